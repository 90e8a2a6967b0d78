"""``tf.linalg``: matrix functions. ``tf.linalg.matmul``/``norm``/``einsum``/``tensordot`` are
the rows of their top-level names in ``tf_math.py``. See ``rules/base.py`` for the row format."""

from __future__ import annotations

from typing import Mapping

import libcst as cst

from migrate.rules.base import DROP, ApiCall, CannotMigrate, Check, Kw, NewArg, NotLiteral, Pos, Rule, RuleContext, build_call, literal, to_node
from migrate.rules.tf_math import Custom, _atom, _call, _l2_normalize, _lit, _repeatable


def _band_part(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    x = values["input"]
    bounds: dict[str, cst.BaseExpression | int | None] = {}
    for side, node, dim in (("lower", values["num_lower"], -2), ("upper", values["num_upper"], -1)):
        try:
            value = literal(node)
        except NotLiteral:
            # A count known only at run time: a negative one keeps the whole triangle, which a
            # diagonal past the matrix's edge does too.
            if not (_repeatable(x, ctx) and _repeatable(node, ctx)):
                raise CannotMigrate(
                    f"`num_{side}` is not a literal and the general form writes it and the input "
                    "several times: assign them to names first"
                ) from None
            edge = cst.Subscript(cst.Attribute(_atom(x), cst.Name("shape")), [cst.SubscriptElement(cst.Index(to_node(dim)))])
            count = cst.UnaryOperation(cst.Minus(), _atom(node)) if side == "lower" else node
            beyond = cst.UnaryOperation(cst.Minus(), edge) if side == "lower" else edge
            bounds[side] = cst.IfExp(
                test=cst.Comparison(_atom(node), [cst.ComparisonTarget(cst.GreaterThanEqual(), cst.Integer("0"))]),
                body=count,
                orelse=beyond,
            )
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            raise CannotMigrate(f"`num_{side}` is not an integer")
        bounds[side] = None if value < 0 else (-value if side == "lower" else value)
    lower, upper = bounds["lower"], bounds["upper"]
    if lower is None and upper is None:
        raise CannotMigrate("`band_part(x, -1, -1)` keeps every element: it is `x` itself")

    def diagonal(bound: cst.BaseExpression | int) -> list[NewArg]:
        if isinstance(bound, int):
            return [NewArg(to_node(bound), "diagonal")] if bound else []
        return [NewArg(bound, "diagonal")]

    if upper is None:
        return build_call(call, ctx.name("torch.triu"), [NewArg(x), *diagonal(lower)])  # type: ignore[arg-type]
    inner = x
    if lower is not None:
        inner = _call(ctx, "torch.triu", x, **{a.keyword: a.value for a in diagonal(lower)})  # type: ignore[misc]
    return build_call(call, ctx.name("torch.tril"), [NewArg(inner), *diagonal(upper)])


def _scalar_k(values: Mapping[str, cst.BaseExpression]) -> cst.BaseExpression | None:
    k = values.get("k")
    if k is None:
        return None
    try:
        value = literal(k)
    except NotLiteral:
        return k  # an int at run time; a pair (a band of diagonals) would fail loudly in torch
    if isinstance(value, (list, tuple)):
        raise CannotMigrate("`k` is a range of diagonals: torch takes one offset")
    return None if value == 0 else k


def _diag(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    k = _scalar_k(values)
    return build_call(call, ctx.name("torch.diag_embed"), [NewArg(values["diagonal"]), *([NewArg(k, "offset")] if k is not None else [])])


def _diag_part(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    k = _scalar_k(values)
    return build_call(
        call,
        ctx.name("torch.diagonal"),
        [
            NewArg(values["input"]),
            *([NewArg(k, "offset")] if k is not None else []),
            NewArg(to_node(-2), "dim1"),
            NewArg(to_node(-1), "dim2"),
        ],
    )


def _tensor_diag_part(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    x = values["input"]
    if not _repeatable(x, ctx):
        raise CannotMigrate("the input is written several times in the rewrite: assign it to a name first")
    # A rank-2k tensor: out[i1..ik] = x[i1..ik, i1..ik]. Flatten each half, take the diagonal.
    half = cst.Subscript(
        cst.Attribute(_atom(x), cst.Name("shape")),
        [cst.SubscriptElement(cst.Slice(lower=None, upper=cst.BinaryOperation(_call(ctx, "Tensor.dim", x), cst.FloorDivide(), cst.Integer("2"))))],
    )
    last = cst.BinaryOperation(
        cst.BinaryOperation(_call(ctx, "Tensor.dim", x), cst.FloorDivide(), cst.Integer("2")), cst.Subtract(), cst.Integer("1")
    )
    square = _call(ctx, "Tensor.flatten", _call(ctx, "Tensor.flatten", x, cst.Integer("0"), last), cst.Integer("1"))
    return _call(ctx, "Tensor.reshape", build_call(call, ctx.name("torch.diagonal"), [NewArg(square)]), half)


def _transposed(operand: cst.BaseExpression, transpose: cst.BaseExpression | None, adjoint: cst.BaseExpression | None, what: str) -> cst.BaseExpression:
    try:
        t, a = _lit(transpose, False), _lit(adjoint, False)
    except NotLiteral:
        raise CannotMigrate(f"`{what}` is not a literal: `.mT` is written only for a literal True") from None
    if t and a:
        raise CannotMigrate("transpose and adjoint are both set (TF refuses this)")
    if t or a:
        return cst.Attribute(_atom(operand), cst.Name("mH" if a else "mT"))
    return operand


def _matvec(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    a = _transposed(values["a"], values.get("transpose_a"), values.get("adjoint_a"), "transpose_a/adjoint_a")
    column = _call(ctx, "Tensor.unsqueeze", values["b"], to_node(-1))
    product = build_call(call, ctx.name("torch.matmul"), [NewArg(a), NewArg(column)])
    return _call(ctx, "Tensor.squeeze", product, to_node(-1))


def _matrix_transpose(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    try:
        conjugate = _lit(values.get("conjugate"), False)
    except NotLiteral:
        raise CannotMigrate("`conjugate` is not a literal: `.mT` or `.mH` depends on it") from None
    return cst.Attribute(_atom(values["a"]), cst.Name("mH" if conjugate else "mT"))


def _adjoint(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    return cst.Attribute(_atom(values["matrix"]), cst.Name("mH"))


def _trace(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    diagonal = build_call(call, ctx.name("torch.diagonal"), [NewArg(values["x"]), NewArg(to_node(-2), "dim1"), NewArg(to_node(-1), "dim2")])
    return _call(ctx, "Tensor.sum", diagonal, to_node(-1))


def _global_norm(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    element = _call(ctx, "torch.linalg.vector_norm", cst.Name("t"))
    comprehension = cst.ListComp(
        element,
        cst.CompFor(
            target=cst.Name("t"),
            iter=values["t_list"],
            ifs=[cst.CompIf(cst.Comparison(cst.Name("t"), [cst.ComparisonTarget(cst.IsNot(), cst.Name("None"))]))],
        ),
    )
    return build_call(call, ctx.name("torch.linalg.vector_norm"), [NewArg(_call(ctx, "torch.stack", comprehension))])


def _set_diag(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    k = _scalar_k(values)
    return build_call(
        call,
        ctx.name("torch.diagonal_scatter"),
        [
            NewArg(values["input"]),
            NewArg(values["diagonal"]),
            *([NewArg(k, "offset")] if k is not None else []),
            NewArg(to_node(-2), "dim1"),
            NewArg(to_node(-1), "dim2"),
        ],
    )


def _qr_mode(value: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
    try:
        full = literal(value)
    except NotLiteral:
        raise CannotMigrate("`full_matrices` is not a literal: torch's `mode` is a string chosen from it") from None
    return cst.SimpleString('"complete"' if full else '"reduced"')


def _cholesky_solve(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    # TF: (chol, rhs); torch: (rhs, chol), both with a lower factor by default.
    return build_call(call, ctx.name("torch.cholesky_solve"), [NewArg(values["rhs"]), NewArg(values["chol"])])


def _tensor_diag(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    x = values["diagonal"]
    if not _repeatable(x, ctx):
        raise CannotMigrate("the input is written several times in the rewrite: assign it to a name first")
    # Any rank k: a diagonal matrix of the flattened input, reshaped to (*shape, *shape).
    shape = cst.Attribute(_atom(x), cst.Name("shape"))
    matrix = build_call(call, ctx.name("torch.diag"), [NewArg(_call(ctx, "Tensor.flatten", x))])
    return _call(ctx, "Tensor.reshape", matrix, cst.BinaryOperation(shape, cst.Add(), shape))


def _svd(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    try:
        compute_uv = _lit(values.get("compute_uv"), True)
    except NotLiteral:
        raise CannotMigrate("`compute_uv` is not a literal") from None
    if compute_uv:
        raise CannotMigrate(
            "TF returns (s, u, v) and torch.linalg.svd returns (U, S, Vh) with Vh = v.mH: "
            "unpack `u, s, vh = torch.linalg.svd(x, full_matrices=False)` and use `vh.mH`"
        )
    return build_call(call, ctx.name("torch.linalg.svdvals"), [NewArg(values["tensor"])])


def _triangular_solve(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    try:
        lower = _lit(values.get("lower"), True)
    except NotLiteral:
        raise CannotMigrate("`lower` is not a literal: torch asks for `upper`, its negation") from None
    matrix = _transposed(values["matrix"], None, values.get("adjoint"), "adjoint")
    if matrix is not values["matrix"]:
        lower = not lower  # the adjoint of a lower-triangular matrix is upper-triangular
    return build_call(
        call,
        ctx.name("torch.linalg.solve_triangular"),
        [NewArg(matrix), NewArg(values["rhs"]), NewArg(cst.Name(repr(not lower)), "upper")],
    )


def _simple(name: str, torch: str, checks: list[Check], *, param: str = "input", why: str = "", extra: str = "") -> ApiCall:
    return ApiCall(
        id=f"linalg.{name}",
        tf=[f"tf.linalg.{name}"] + ([extra] if extra else []),
        torch=torch,
        signature=f"{param}, name=None",
        args={param: Pos(0), "name": DROP},
        summary=f"`tf.linalg.{name}` → `{torch}`.",
        why=why or "Same function on the last two dimensions, batched over the leading ones.",
        example=f"y = tf.linalg.{name}(a)",
        checks=checks,
    )


#: Symmetric positive-definite matrices from a random one, using only rewritten ops.
_SPD = "tf.matmul(a, a, transpose_b=True) + tf.linalg.diag(d)"

RULES: list[Rule] = [
    Custom(
        id="linalg.l2_normalize",
        tf=["tf.linalg.l2_normalize"],
        signature="x, axis=None, epsilon=1e-12, name=None, dim=None",
        handled=["x", "axis", "epsilon", "dim"],
        build=_l2_normalize,
        summary="`tf.linalg.l2_normalize(x, axis, epsilon)` → `F.normalize(x, dim=axis, eps=sqrt(epsilon))`.",
        why=(
            "TF divides by sqrt(max(sum(x²), epsilon)); `F.normalize` divides by "
            "max(‖x‖, eps). These agree when eps = sqrt(epsilon), so the default 1e-12 becomes "
            "`eps=1e-06` (a literal epsilon is converted, another becomes `epsilon ** 0.5`). "
            "`F.normalize` defaults to dim 1 and TF to all axes, so a call without `axis` is a "
            "TODO. (`tf.math`/`tf.nn.l2_normalize` are the row `nn.l2_normalize`.)"
        ),
        example="emb = tf.linalg.l2_normalize(emb, axis=-1)",
        checks=[
            Check("tf.linalg.l2_normalize(x, axis=-1)", {"x": "f32[3,4]"}),
            Check("tf.linalg.l2_normalize(x, 1)", {"x": "f64[2,3,4]"}),
            Check("tf.linalg.l2_normalize(x, axis=[0, 1])", {"x": "f32[3,4]"}),
            Check("tf.linalg.l2_normalize(x * 1e-5, axis=-1, epsilon=1e-6)", {"x": "f32[3,4]"}),
            Check("tf.linalg.l2_normalize(x * 1e-9, axis=-1)", {"x": "f32[3,4]"}),
            Check("tf.linalg.l2_normalize(x, axis=0, epsilon=e)", {"x": "f32[3,4]", "e": 0.01}),
            Check("tf.linalg.l2_normalize(x)", {"x": "f32[3,4]"}, todo=True),
        ],
    ),
    Custom(
        id="linalg.band_part",
        tf=["tf.linalg.band_part"],
        signature="input, num_lower, num_upper, name=None",
        handled=["input", "num_lower", "num_upper"],
        build=_band_part,
        summary="`tf.linalg.band_part` → `torch.tril` / `torch.triu` (both for a band).",
        why=(
            "Keeps `num_lower` sub-diagonals and `num_upper` super-diagonals of the last two "
            "dimensions, a negative count meaning the whole triangle: (-1, 0) is `torch.tril(x)`, "
            "(0, -1) is `torch.triu(x)`, (l, u) is `torch.tril(torch.triu(x, diagonal=-l), "
            "diagonal=u)`. Literal counts pick the call; a count known only at run time is "
            "written `diagonal=-l if l >= 0 else -x.shape[-2]` (a diagonal past the edge keeps "
            "the whole triangle), which needs the input and the count to be names or other "
            "expressions that can be written twice."
        ),
        example="causal = tf.linalg.band_part(tf.ones((n, n)), -1, 0)",
        checks=[
            Check("tf.linalg.band_part(x, -1, 0)", {"x": "f32[4,4]"}),
            Check("tf.linalg.band_part(x, 0, -1)", {"x": "f32[2,3,5]"}),
            Check("tf.linalg.band_part(x, 1, 2)", {"x": "f64[5,5]"}),
            Check("tf.linalg.band_part(x, 0, 0)", {"x": "i32[3,4]"}),
            Check("tf.linalg.band_part(x, -1, 1)", {"x": "f32[4,3]"}),
            Check("tf.linalg.band_part(x, 2, -1)", {"x": "bool[4,4]"}),
            Check("tf.linalg.band_part(x, -1, 0)", {"x": "f32[0,0]"}),
            Check("tf.linalg.band_part(x, lower, 0)", {"x": "f32[4,4]", "lower": -1}),
            Check("tf.linalg.band_part(x, n, n)", {"x": "f32[2,5,5]", "n": 1}),
            Check("tf.linalg.band_part(x, n, m)", {"x": "f32[4,6]", "n": 0, "m": -1}),
            Check("tf.linalg.band_part(x, n - 1, 2)", {"x": "f64[5,5]", "n": 3}),
            Check("tf.linalg.band_part(f(x), n, 0)", {"x": "f32[4,4]", "n": 1}, todo=True),
        ],
    ),
    Custom(
        id="linalg.diag",
        tf=["tf.linalg.diag"],
        signature="diagonal, name='diag', k=0, num_rows=-1, num_cols=-1, padding_value=0, align='RIGHT_LEFT'",
        handled=["diagonal", "k"],
        build=_diag,
        summary="`tf.linalg.diag` → `torch.diag_embed` (batched diagonal matrices).",
        why=(
            "Both turn the last dimension into the diagonal of a square matrix, batched over the "
            "rest, with `k` as `offset`. Not `torch.diag`, which only handles one vector and "
            "extracts for 2-D input. A band of diagonals (`k` a pair), `num_rows`/`num_cols` and "
            "`padding_value` are TODOs."
        ),
        example="m = tf.linalg.diag(scale)",
        checks=[
            Check("tf.linalg.diag(x)", {"x": "f32[4]"}),
            Check("tf.linalg.diag(x)", {"x": "f64[2,3]"}),
            Check("tf.linalg.diag(x, k=1)", {"x": "i32[3]"}),
            Check("tf.linalg.diag(x, k=-2)", {"x": "f32[2,3]"}),
            Check("tf.linalg.diag(x)", {"x": "f32[2,0]"}),
            Check("tf.linalg.diag(x, num_rows=5)", {"x": "f32[3]"}, todo=True),
        ],
    ),
    Custom(
        id="linalg.diag_part",
        tf=["tf.linalg.diag_part"],
        signature="input, name='diag_part', k=0, padding_value=0, align='RIGHT_LEFT'",
        handled=["input", "k"],
        build=_diag_part,
        summary="`tf.linalg.diag_part` → `torch.diagonal(x, dim1=-2, dim2=-1)`.",
        why=(
            "Both take the diagonal of the last two dimensions (of length min(m, n)), batched; "
            "`torch.diagonal` defaults to the first two dimensions, so `dim1=-2, dim2=-1` is "
            "written. The result is a view in torch (a copy in TF): write to it only after "
            "`.clone()`. A band (`k` a pair) and `padding_value` are TODOs."
        ),
        example="d = tf.linalg.diag_part(cov)",
        checks=[
            Check("tf.linalg.diag_part(x)", {"x": "f32[4,4]"}),
            Check("tf.linalg.diag_part(x)", {"x": "f64[2,3,5]"}),
            Check("tf.linalg.diag_part(x, k=1)", {"x": "i32[4,4]"}),
            Check("tf.linalg.diag_part(x, k=-1)", {"x": "f32[2,4,3]"}),
            Check("tf.linalg.diag_part(x)", {"x": "f32[2,0,3]"}),
            Check("tf.linalg.diag_part(x, k=(0, 1))", {"x": "f32[4,4]"}, todo=True),
        ],
    ),
    Custom(
        id="linalg.tensor_diag_part",
        tf=["tf.linalg.tensor_diag_part"],
        signature="input, name=None",
        handled=["input"],
        build=_tensor_diag_part,
        summary="`tf.linalg.tensor_diag_part` → `torch.diagonal` of the input flattened to a square matrix.",
        why=(
            "For a rank-2k input, `out[i1..ik] = x[i1..ik, i1..ik]`; the rank is not in the "
            "source, so the rewrite works for every even rank: flatten each half to one "
            "dimension, take `torch.diagonal`, and restore the first half's shape. For a matrix "
            "this is just `torch.diagonal(x)`. The input appears several times, so an expression "
            "that may not give the same value twice is a TODO."
        ),
        example="d = tf.linalg.tensor_diag_part(x)",
        checks=[
            Check("tf.linalg.tensor_diag_part(x)", {"x": "f32[4,4]"}),
            Check("tf.linalg.tensor_diag_part(x)", {"x": "f64[2,3,2,3]"}),
            Check("tf.linalg.tensor_diag_part(x)", {"x": "i32[2,2,3,2,2,3]"}),
            Check("tf.linalg.tensor_diag_part(x)", {"x": "f32[0,0]"}),
            Check("tf.linalg.tensor_diag_part(f(x))", {"x": "f32[3,3]"}, todo=True),
        ],
    ),
    Custom(
        id="linalg.matvec",
        tf=["tf.linalg.matvec"],
        signature="a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False, name=None",
        handled=["a", "b", "transpose_a", "adjoint_a"],
        build=_matvec,
        summary="`tf.linalg.matvec(a, b)` → `torch.matmul(a, b.unsqueeze(-1)).squeeze(-1)`.",
        why=(
            "A batched matrix-vector product: `b` is a batch of vectors, which `torch.matmul` "
            "would read as a matrix when batched, so it becomes a column and back. "
            "`transpose_a`/`adjoint_a=True` become `.mT`/`.mH`."
        ),
        example="y = tf.linalg.matvec(w, x)",
        checks=[
            Check("tf.linalg.matvec(a, b)", {"a": "f32[3,4]", "b": "f32[4]"}, atol=1e-5),
            Check("tf.linalg.matvec(a, b)", {"a": "f32[2,3,4]", "b": "f32[2,4]"}, atol=1e-5),
            Check("tf.linalg.matvec(a, b, transpose_a=True)", {"a": "f64[4,3]", "b": "f64[2,4]"}),
            Check("tf.linalg.matvec(a, b)", {"a": "f32[0,4]", "b": "f32[4]"}),
            Check("tf.linalg.matvec(a, b, transpose_a=t)", {"a": "f32[4,4]", "b": "f32[4]", "t": True}, todo=True),
        ],
    ),
    Custom(
        id="linalg.matrix_transpose",
        tf=["tf.linalg.matrix_transpose"],
        signature="a, name='matrix_transpose', conjugate=False",
        handled=["a", "conjugate"],
        build=_matrix_transpose,
        summary="`tf.linalg.matrix_transpose(a)` → `a.mT` (`conjugate=True`: `a.mH`).",
        why="Both swap the last two dimensions, batched over the rest.",
        example="at = tf.linalg.matrix_transpose(a)",
        checks=[
            Check("tf.linalg.matrix_transpose(a)", {"a": "f32[3,4]"}),
            Check("tf.linalg.matrix_transpose(a)", {"a": "i32[2,3,4]"}),
            Check("tf.linalg.matrix_transpose(a, conjugate=True)", {"a": "c64[2,3]"}),
            Check("tf.linalg.matrix_transpose(a + 1.0)", {"a": "f32[2,0]"}),
            Check("tf.linalg.matrix_transpose(a, conjugate=c)", {"a": "c64[2,3]", "c": True}, todo=True),
        ],
    ),
    Custom(
        id="linalg.adjoint",
        tf=["tf.linalg.adjoint"],
        signature="matrix, name=None",
        handled=["matrix"],
        build=_adjoint,
        summary="`tf.linalg.adjoint(a)` → `a.mH` (conjugate transpose).",
        why="Both conjugate and swap the last two dimensions; for real tensors this is `.mT`.",
        example="ah = tf.linalg.adjoint(a)",
        checks=[
            Check("tf.linalg.adjoint(a)", {"a": "c64[3,4]"}),
            Check("tf.linalg.adjoint(a)", {"a": "f32[2,3,4]"}),
        ],
    ),
    Custom(
        id="linalg.trace",
        tf=["tf.linalg.trace"],
        signature="x, name=None",
        handled=["x"],
        build=_trace,
        summary="`tf.linalg.trace(x)` → `torch.diagonal(x, dim1=-2, dim2=-1).sum(-1)`.",
        why=(
            "TF sums the diagonal of the last two dimensions, batched; `torch.trace` accepts "
            "only a 2-D matrix, so the batched form is written. Integer traces are int64 in "
            "torch (int32 in TF), hence `dtype=False` on the integer check."
        ),
        example="t = tf.linalg.trace(cov)",
        checks=[
            Check("tf.linalg.trace(x)", {"x": "f32[4,4]"}),
            Check("tf.linalg.trace(x)", {"x": "f64[2,3,5]"}),
            Check("tf.linalg.trace(x)", {"x": "i32[3,3]"}, dtype=False),
            Check("tf.linalg.trace(x)", {"x": "f32[0,3,3]"}),
        ],
    ),
    _simple("inv", "torch.linalg.inv", [Check(f"tf.linalg.inv({_SPD})", {"a": "f64[3,3]", "d": "f64[3]:pos"}), Check(f"tf.linalg.inv({_SPD})", {"a": "f32[2,3,3]", "d": "f32[3]:1..2"}, atol=1e-4)]),
    _simple("det", "torch.linalg.det", [Check("tf.linalg.det(a)", {"a": "f64[3,3]"}), Check("tf.linalg.det(a)", {"a": "f32[2,4,4]"}, atol=1e-5)]),
    _simple("slogdet", "torch.linalg.slogdet", [Check("tf.linalg.slogdet(a)", {"a": "f64[3,3]"}), Check("tf.linalg.slogdet(a)", {"a": "f32[2,4,4]"}, atol=1e-5)],
            why="Both return (sign, log|det|), batched."),
    _simple("logdet", "torch.logdet", [Check(f"tf.linalg.logdet({_SPD})", {"a": "f64[3,3]", "d": "f64[3]:pos"}), Check(f"tf.linalg.logdet({_SPD})", {"a": "f32[2,3,3]", "d": "f32[3]:1..2"}, atol=1e-5)],
            param="matrix", why="TF's logdet is for Hermitian positive-definite matrices (via Cholesky); `torch.logdet` gives the same value for them."),
    _simple("cholesky", "torch.linalg.cholesky", [Check(f"tf.linalg.cholesky({_SPD})", {"a": "f64[3,3]", "d": "f64[3]:pos"}), Check(f"tf.linalg.cholesky({_SPD})", {"a": "f32[2,3,3]", "d": "f32[3]:1..2"}, atol=1e-5)],
            why="Both return the lower-triangular factor, batched."),
    _simple("expm", "torch.linalg.matrix_exp", [Check("tf.linalg.expm(a)", {"a": "f64[3,3]"}), Check("tf.linalg.expm(a * 0.5)", {"a": "f32[2,3,3]"}, atol=1e-5)]),
    _simple("eigvalsh", "torch.linalg.eigvalsh", [Check(f"tf.linalg.eigvalsh({_SPD})", {"a": "f64[4,4]", "d": "f64[4]:pos"}), Check("tf.linalg.eigvalsh(a + tf.linalg.matrix_transpose(a))", {"a": "f32[2,3,3]"}, atol=1e-5)],
            param="tensor", why="Eigenvalues of a symmetric matrix in ascending order in both (TF reads the lower triangle, as torch does by default)."),
    ApiCall(
        id="linalg.eigh",
        tf=["tf.linalg.eigh"],
        torch="torch.linalg.eigh",
        signature="tensor, name=None",
        args={"tensor": Pos(0), "name": DROP},
        summary="`tf.linalg.eigh` → `torch.linalg.eigh` (eigenvalues, eigenvectors).",
        why=(
            "Both return ascending eigenvalues and the matching eigenvectors as columns, reading "
            "the lower triangle. An eigenvector is defined up to its sign, which LAPACK drivers "
            "may choose differently: the checks compare eigenvalues and |eigenvectors|."
        ),
        example="e, v = tf.linalg.eigh(cov)",
        checks=[
            Check(f"tf.linalg.eigh({_SPD})[0]", {"a": "f64[4,4]", "d": "f64[4]:pos"}),
            Check(f"tf.abs(tf.linalg.eigh({_SPD})[1])", {"a": "f64[3,3]", "d": "f64[3]:pos"}, atol=1e-6),
        ],
    ),
    ApiCall(
        id="linalg.solve",
        tf=["tf.linalg.solve"],
        torch="torch.linalg.solve",
        signature="matrix, rhs, adjoint=False, name=None",
        args={"matrix": Pos(0), "rhs": Pos(1), "name": DROP},
        summary="`tf.linalg.solve(A, B)` → `torch.linalg.solve(A, B)`.",
        why="Both solve A X = B for square A with B a batch of matrices (`[..., M, K]`); `adjoint=True` is a TODO.",
        example="x = tf.linalg.solve(a, b)",
        checks=[
            Check(f"tf.linalg.solve({_SPD}, b)", {"a": "f64[3,3]", "d": "f64[3]:pos", "b": "f64[3,2]"}),
            Check(f"tf.linalg.solve({_SPD}, b)", {"a": "f32[2,3,3]", "d": "f32[3]:1..2", "b": "f32[2,3,1]"}, atol=1e-4),
            Check("tf.linalg.solve(a, b, adjoint=True)", {"a": "f32[3,3]", "b": "f32[3,1]"}, todo=True),
        ],
    ),
    Custom(
        id="linalg.triangular_solve",
        tf=["tf.linalg.triangular_solve"],
        signature="matrix, rhs, lower=True, adjoint=False, name=None",
        handled=["matrix", "rhs", "lower", "adjoint"],
        build=_triangular_solve,
        summary="`tf.linalg.triangular_solve` → `torch.linalg.solve_triangular(..., upper=not lower)`.",
        why=(
            "Same solve with a triangular matrix. TF says `lower` (default True), torch `upper` "
            "(required), so the negation is written from a literal; `adjoint=True` solves with "
            "`matrix.mH`, which is triangular the other way."
        ),
        example="x = tf.linalg.triangular_solve(chol, b)",
        checks=[
            Check(f"tf.linalg.triangular_solve(tf.linalg.cholesky({_SPD}), b)", {"a": "f64[3,3]", "d": "f64[3]:pos", "b": "f64[3,2]"}),
            Check(f"tf.linalg.triangular_solve(tf.linalg.matrix_transpose(tf.linalg.cholesky({_SPD})), b, lower=False)", {"a": "f64[3,3]", "d": "f64[3]:pos", "b": "f64[3,2]"}),
            Check(f"tf.linalg.triangular_solve(tf.linalg.cholesky({_SPD}), b, adjoint=True)", {"a": "f64[3,3]", "d": "f64[3]:pos", "b": "f64[3,2]"}),
            Check("tf.linalg.triangular_solve(a, b, lower=low)", {"a": "f32[3,3]", "b": "f32[3,1]", "low": True}, todo=True),
        ],
    ),
    ApiCall(
        id="linalg.cross",
        tf=["tf.linalg.cross"],
        torch="torch.linalg.cross",
        signature="a, b, name=None",
        args={"a": Pos(0), "b": Pos(1), "name": DROP},
        summary="`tf.linalg.cross` → `torch.linalg.cross` (over the last axis).",
        why="Both take the cross product of 3-vectors in the last dimension (`torch.cross` without `dim` would pick the first size-3 dimension).",
        example="n = tf.linalg.cross(u, v)",
        checks=[
            Check("tf.linalg.cross(a, b)", {"a": "f32[3]", "b": "f32[3]"}),
            Check("tf.linalg.cross(a, b)", {"a": "f64[3,4,3]", "b": "f64[3,4,3]"}),
        ],
    ),
    Custom(
        id="linalg.global_norm",
        tf=["tf.linalg.global_norm"],
        signature="t_list, name=None",
        handled=["t_list"],
        build=_global_norm,
        summary="`tf.linalg.global_norm(ts)` → the 2-norm of the tensors' 2-norms.",
        why=(
            "sqrt(sum of every element squared, over all tensors), skipping None entries as TF "
            "does: `torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(t) for t in "
            "ts if t is not None]))`. An empty list is an error in torch (0 in TF)."
        ),
        example="gn = tf.linalg.global_norm(grads)",
        checks=[
            Check("tf.linalg.global_norm([a, b])", {"a": "f32[3,4]", "b": "f32[5]"}),
            Check("tf.linalg.global_norm([a, None, b])", {"a": "f64[2]", "b": "f64[2,2]"}),
            Check("tf.linalg.global_norm(t_list=(a,))", {"a": "f32[2,0]"}),
        ],
    ),
    Custom(
        id="linalg.set_diag",
        tf=["tf.linalg.set_diag"],
        signature="input, diagonal, name='set_diag', k=0, align='RIGHT_LEFT'",
        handled=["input", "diagonal", "k"],
        build=_set_diag,
        summary="`tf.linalg.set_diag(x, d)` → `torch.diagonal_scatter(x, d, dim1=-2, dim2=-1)`.",
        why=(
            "Both return a copy of `x` whose diagonal (of the last two dimensions, batched, "
            "offset `k`) is replaced by `d`. A band (`k` a pair) is a TODO."
        ),
        example="m = tf.linalg.set_diag(m, tf.zeros_like(tf.linalg.diag_part(m)))",
        checks=[
            Check("tf.linalg.set_diag(x, d)", {"x": "f32[3,3]", "d": "f32[3]"}),
            Check("tf.linalg.set_diag(x, d)", {"x": "f64[2,3,4]", "d": "f64[2,3]"}),
            Check("tf.linalg.set_diag(x, d, k=1)", {"x": "i32[4,4]", "d": "i32[3]"}),
            Check("tf.linalg.set_diag(x, d, k=(0, 1))", {"x": "f32[3,3]", "d": "f32[2,3]"}, todo=True),
        ],
    ),
    ApiCall(
        id="linalg.qr",
        tf=["tf.linalg.qr"],
        torch="torch.linalg.qr",
        signature="input, full_matrices=False, name=None",
        args={"input": Pos(0), "full_matrices": Kw("mode", _qr_mode, omit_if=(False,)), "name": DROP},
        summary="`tf.linalg.qr` → `torch.linalg.qr` (`full_matrices=True`: `mode=\"complete\"`).",
        why=(
            "Both return (q, r) from the same Householder factorisation, reduced by default; "
            "TF's `full_matrices=True` is torch's `mode=\"complete\"`."
        ),
        example="q, r = tf.linalg.qr(x)",
        checks=[
            Check("tf.linalg.qr(x)", {"x": "f64[4,3]"}),
            Check("tf.linalg.qr(x, full_matrices=True)", {"x": "f64[4,3]"}),
            Check("tf.linalg.qr(x)", {"x": "f32[2,3,3]"}, atol=1e-5),
            Check("tf.linalg.qr(x, full_matrices=f)", {"x": "f32[3,3]", "f": True}, todo=True),
        ],
    ),
    Custom(
        id="linalg.cholesky_solve",
        tf=["tf.linalg.cholesky_solve"],
        signature="chol, rhs, name=None",
        handled=["chol", "rhs"],
        build=_cholesky_solve,
        summary="`tf.linalg.cholesky_solve(chol, rhs)` → `torch.cholesky_solve(rhs, chol)` (arguments swapped).",
        why="Both solve A X = rhs given the lower Cholesky factor of A, batched; torch takes the right-hand side first.",
        example="x = tf.linalg.cholesky_solve(tf.linalg.cholesky(a), b)",
        checks=[
            Check(f"tf.linalg.cholesky_solve(tf.linalg.cholesky({_SPD}), b)", {"a": "f64[3,3]", "d": "f64[3]:pos", "b": "f64[3,2]"}),
            Check(f"tf.linalg.cholesky_solve(tf.linalg.cholesky({_SPD}), b)", {"a": "f32[2,3,3]", "d": "f32[3]:1..2", "b": "f32[2,3,1]"}, atol=1e-4),
        ],
    ),
    Custom(
        id="linalg.tensor_diag",
        tf=["tf.linalg.tensor_diag"],
        signature="diagonal, name=None",
        handled=["diagonal"],
        build=_tensor_diag,
        summary="`tf.linalg.tensor_diag(d)` → `torch.diag(d.flatten()).reshape(d.shape + d.shape)`.",
        why=(
            "A rank-k input becomes a rank-2k tensor with `out[i..., i...] = d[i...]` and zeros "
            "elsewhere: the diagonal matrix of the flattened input, reshaped. For a vector this "
            "is `torch.diag(d)`. The input appears twice, so an expression that may not give "
            "the same value twice is a TODO."
        ),
        example="m = tf.linalg.tensor_diag(d)",
        checks=[
            Check("tf.linalg.tensor_diag(d)", {"d": "f32[4]"}),
            Check("tf.linalg.tensor_diag(d)", {"d": "i32[2,3]"}),
            Check("tf.linalg.tensor_diag(f(d))", {"d": "f32[3]"}, todo=True),
        ],
    ),
    Custom(
        id="linalg.svd",
        tf=["tf.linalg.svd"],
        signature="tensor, full_matrices=False, compute_uv=True, name=None",
        handled=["tensor", "compute_uv"],
        build=_svd,
        summary="`tf.linalg.svd(x, compute_uv=False)` → `torch.linalg.svdvals(x)`; with vectors, a TODO.",
        why=(
            "Singular values alone agree (descending, batched). With vectors TF returns "
            "(s, u, v) while `torch.linalg.svd` returns (U, S, Vh) with Vh the conjugate "
            "transpose of v: the order and v differ, so that call is a TODO that says how to "
            "unpack it."
        ),
        example="s = tf.linalg.svd(x, compute_uv=False)",
        checks=[
            Check("tf.linalg.svd(x, compute_uv=False)", {"x": "f64[4,3]"}),
            Check("tf.linalg.svd(x, compute_uv=False)", {"x": "f32[2,3,5]"}, atol=1e-5),
            Check("tf.linalg.svd(x)", {"x": "f32[3,3]"}, todo=True),
        ],
    ),
]
