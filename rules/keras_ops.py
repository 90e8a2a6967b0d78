"""``keras.ops``: Keras 3's backend-agnostic ops (NumPy-style names and semantics).

``keras.ops.X``, ``from keras import ops; ops.X`` and ``keras.src.ops...`` all reach these rows
as ``keras.ops.X``; the public submodule spellings (``keras.ops.numpy.X``, ``keras.ops.nn.X``,
``keras.ops.linalg.X``) are claimed by the same rows.

Keras follows NumPy/JAX semantics: a missing ``axis`` means "flatten" or "all axes", Python
ints become int32 and Python floats float32 (``floatx``), and index-producing ops return
int32. Where torch differs, the rows write the Keras value out or say why they do not.
"""

from __future__ import annotations

from typing import Any, Sequence

import libcst as cst

from migrate.rules.base import (
    DROP,
    ApiCall,
    CannotMigrate,
    Check,
    Drop,
    Kw,
    NewArg,
    NotLiteral,
    Pos,
    Rule,
    RuleContext,
    build_call,
    literal,
    to_node,
)
from migrate.rules.convert import axis as _axis
from migrate.rules.convert import dtype as _tf_dtype
from migrate.rules.convert import shape as _shape

# Which public submodule of keras.ops also exports a name (keras.ops.numpy.sum, ...).
_NUMPY = {
    "abs", "add", "all", "any", "arange", "argmax", "argsort", "array", "broadcast_to", "ceil",
    "clip", "concatenate", "copy", "cos", "cumsum", "diagonal", "divide", "divide_no_nan",
    "einsum", "empty", "equal", "exp", "expand_dims", "eye", "flip", "floor", "floor_divide",
    "full", "greater", "greater_equal", "less", "less_equal", "linspace", "log", "log2",
    "logical_and", "logical_not", "logical_or", "matmul", "max", "maximum", "mean", "meshgrid",
    "min", "minimum", "moveaxis", "multiply", "ndim", "not_equal", "ones", "ones_like", "pad",
    "power", "reciprocal", "repeat", "reshape", "roll", "round", "sign", "sin", "split",
    "sqrt", "square", "squeeze", "stack", "subtract", "sum", "take", "take_along_axis", "tanh",
    "tile", "transpose", "tril", "triu", "where", "zeros", "zeros_like", "log1p", "expm1",
    "negative", "prod", "std", "var", "sort", "isnan", "isfinite", "swapaxes", "outer",
    "cumprod", "tan", "arctan", "logical_xor", "mod", "sinh", "cosh", "arcsin", "arccos",
    "isinf", "trace", "count_nonzero", "full_like", "absolute", "amax", "amin", "average",
    "nan_to_num", "arctan2", "nonzero", "size", "tensordot", "isclose", "hstack", "vstack",
    "ravel", "identity", "argmin", "true_divide",
}
_NN = {"softmax", "sigmoid", "relu", "silu", "gelu", "softplus", "one_hot",
       "dot_product_attention", "log_softmax", "relu6", "elu", "selu", "leaky_relu", "softsign",
       "log_sigmoid", "hard_sigmoid", "hard_silu", "glu", "normalize", "sparse_categorical_crossentropy", "moments",
       "binary_crossentropy", "categorical_crossentropy"}
_LINALG = {"norm"}


#: Dtype names Keras accepts beyond TF's (``keras.backend.standardize_dtype``).
def _dtype(value: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
    """A dtype: ``"float32"`` → ``torch.float32``; Keras's ``"int"`` is int64."""
    if isinstance(value, cst.SimpleString) and value.evaluated_value == "int":
        return ctx.name("torch.int64")
    return _tf_dtype(value, ctx)


def _is_pure(node: cst.BaseExpression) -> bool:
    """A read without side effects, safe to write twice: ``x``, ``self.w``, ``layer.weights[0]``."""
    if isinstance(node, cst.Name):
        return True
    if isinstance(node, cst.Attribute):
        return _is_pure(node.value)
    if isinstance(node, cst.Subscript):
        return _is_pure(node.value) and all(
            isinstance(e.slice, cst.Index) and (_is_number(e.slice.value) or isinstance(e.slice.value, cst.Name)) for e in node.slice
        )
    return False


def _names(name: str) -> list[str]:
    names = [f"keras.ops.{name}"]
    for module, members in (("numpy", _NUMPY), ("nn", _NN), ("linalg", _LINALG)):
        if name in members:
            names.append(f"keras.ops.{module}.{name}")
    return names


# ---------------------------------------------------------------------------------------
# Small helpers for structural rows.


def _is_number(node: cst.BaseExpression) -> bool:
    try:
        value = literal(node)
    except NotLiteral:
        return False
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _literal_or(node: cst.BaseExpression, default: Any = NotLiteral) -> Any:
    try:
        return literal(node)
    except NotLiteral:
        return default


def _receiver(value: cst.BaseExpression) -> cst.BaseExpression:
    """Parenthesise a receiver that would otherwise bind wrongly (``(a + b).to(...)``)."""
    atomic = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.List, cst.Tuple, cst.Dict)
    if isinstance(value, atomic) or value.lpar:
        return value
    return value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _method(receiver: cst.BaseExpression, name: str, *args: cst.BaseExpression, **kwargs: cst.BaseExpression) -> cst.Call:
    built = [cst.Arg(a) for a in args] + [
        cst.Arg(v, keyword=cst.Name(k), equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
        for k, v in kwargs.items()
    ]
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    built = [a.with_changes(comma=comma) for a in built[:-1]] + built[-1:]
    return cst.Call(cst.Attribute(_receiver(value=receiver), cst.Name(name)), built)


def _attr(receiver: cst.BaseExpression, name: str) -> cst.Attribute:
    return cst.Attribute(_receiver(receiver), cst.Name(name))


def _bind(call: cst.Call, signature: Sequence[str], ctx: RuleContext, required: int = 1) -> dict[str, cst.Arg]:
    """Bind a call's arguments to parameter names, like Python would (no defaults)."""
    bound: dict[str, cst.Arg] = {}
    for position, arg in enumerate(call.args):
        if arg.star:
            raise CannotMigrate(f"`{arg.star}{ctx.source(arg.value)}` hides which arguments are passed")
        name = arg.keyword.value if arg.keyword else (signature[position] if position < len(signature) else None)
        if name is None or name not in signature or name in bound:
            raise CannotMigrate("the arguments cannot be matched to `" + ", ".join(signature) + "`")
        bound[name] = arg
    for name in signature[:required]:
        if name not in bound:
            raise CannotMigrate(f"required argument `{name}` is missing")
    return bound


def _not_none(name: str):
    """A converter refusing a literal ``None`` (NumPy's "flatten first"), which torch lacks."""

    def convert(value: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
        if isinstance(value, cst.Name) and value.value == "None":
            raise CannotMigrate(f"`{name}=None` flattens the input first; write `torch.flatten(x)` and the op")
        return _axis(value, ctx)

    return convert


def _int_axis(value: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
    if isinstance(value, (cst.List, cst.Tuple)):
        raise CannotMigrate("a tuple of axes: torch takes one axis here")
    return value


_COMMA = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _tuple(elements: Sequence[cst.BaseExpression]) -> cst.Tuple:
    items = [cst.Element(e, comma=_COMMA) for e in elements[:-1]] + [
        cst.Element(elements[-1], comma=cst.Comma() if len(elements) == 1 else cst.MaybeSentinel.DEFAULT)
    ]
    return cst.Tuple(items)


def _add(a: cst.BaseExpression, b: cst.BaseExpression) -> cst.BaseExpression:
    """``a + b``, folding literals (``0 + n`` is ``n``)."""
    la, lb = _literal_or(a, None), _literal_or(b, None)
    if isinstance(la, int) and isinstance(lb, int) and not isinstance(la, bool) and not isinstance(lb, bool):
        return to_node(la + lb)
    if la == 0 and not isinstance(la, bool):
        return b
    wrap = lambda n: n if isinstance(n, (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer)) or n.lpar else n.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])  # noqa: E731
    return cst.BinaryOperation(wrap(a), cst.Add(), wrap(b))


# ---------------------------------------------------------------------------------------
# Row factories.


class _Function(ApiCall):
    """A row whose torch target, as a value, is the same function: ``activation=ops.silu``
    becomes ``activation=F.silu`` (Keras code passes these ops around as callables)."""

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        return ctx.name(self.torch)


class _Extra(ApiCall):
    """A row that also writes constant keyword arguments (``correction=0``)."""

    def __init__(self, *args: Any, extra: dict[str, Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.extra = extra

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        result = super().rewrite_call(call, qualified, ctx)
        assert isinstance(result, cst.Call)
        args = list(result.args)
        if args and not isinstance(args[-1].comma, cst.Comma):
            args[-1] = args[-1].with_changes(comma=_COMMA)
        added = [_kwarg(k, to_node(v)) for k, v in self.extra.items()]
        added = [a.with_changes(comma=_COMMA) for a in added[:-1]] + added[-1:]
        return result.with_changes(args=args + added)


def _unary(name: str, torch: str, *, why: str = "", checks: Sequence[Check] = (), example: str | None = None) -> ApiCall:
    first = next(c for c in checks if not c.todo)
    checks = [*checks, Check(f"f = ops.{name}\nresult = f({', '.join(first.inputs)})", first.inputs, atol=first.atol)]
    return _Function(
        id=f"keras.ops.{name}",
        tf=_names(name),
        torch=torch,
        signature="x",
        args={"x": Pos(0)},
        summary=f"`keras.ops.{name}` → `{torch}`.",
        why=(why or "The same element-wise function.") + f" Passed as a value (`activation=ops.{name}`) it becomes `{torch}`.",
        example=example or f"y = keras.ops.{name}(x)",
        checks=checks,
    )


def _reduction(name: str, torch: str, *, why: str, checks: Sequence[Check], initial: bool = False, keepdim_needs_dim: bool = False) -> ApiCall:
    dim = Kw("dim", _axis, default=None, default_with="keepdims") if keepdim_needs_dim else Kw("dim", _axis)
    return ApiCall(
        id=f"keras.ops.{name}",
        tf=_names(name),
        torch=torch,
        signature="x, axis=None, keepdims=False" + (", initial=None" if initial else ""),
        args={"x": Pos(0), "axis": dim, "keepdims": Kw("keepdim", omit_if=(False,))},
        summary=f"`keras.ops.{name}` → `{torch}`, with `axis`→`dim` and `keepdims`→`keepdim`.",
        why=why,
        example=f"y = keras.ops.{name}(x, axis=-1, keepdims=True)",
        checks=checks,
    )


class _Binary(Rule):
    """An element-wise binary op. Keras takes a Python number on either side; torch wants
    the tensor first, so a number on the left becomes the operator form (``2 - x``) or moves
    right where the op is symmetric."""

    def __init__(self, name: str, torch: str, *, operator: cst.BaseBinaryOp | cst.BaseCompOp | None, swap: str | None = None,
                 clamp: str | None = None, why: str = "", checks: Sequence[Check] = (), example: str | None = None):
        self.id = f"keras.ops.{name}"
        self.names = tuple(_names(name))
        self.torch, self.operator, self.swap, self.clamp = torch, operator, swap, clamp
        self.summary = f"`keras.ops.{name}` → `{torch}`" + (f" (`torch.clamp({clamp}=n)` for a number)." if clamp else ".")
        self.why = (
            "The same element-wise function; torch broadcasts and promotes dtypes the way Keras "
            "does (a Python number is 'weak' and keeps the tensor's dtype). Keras accepts a "
            "number as either operand, torch wants a tensor first"
            + (
                f"; `{torch}` wants two tensors, so a number becomes `torch.clamp(x, {clamp}=n)`."
                if clamp
                else (f", so a number on the left moves right (`{swap}`)." if swap else ", so a number on the left becomes the operator form.")
            )
            + (" " + why if why else "")
        )
        self.example = example or f"z = keras.ops.{name}(x, y)\nw = keras.ops.{name}(x, 2)"
        self.checks = tuple(checks)

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("x1", "x2"), ctx, required=2)
        x = NewArg(bound["x1"].value, None, bound["x1"])
        y = NewArg(bound["x2"].value, None, bound["x2"])
        if _is_number(x.value) and _is_number(y.value):
            raise CannotMigrate("both operands are numbers: there is no tensor to compute with")
        if _is_number(x.value):
            if self.clamp:
                x, y = y, x
            elif self.swap:
                return build_call(call, ctx.name(self.swap), [y, x])
            elif self.operator is not None:
                right = y.value
                if not isinstance(right, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) and not right.lpar:
                    right = right.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
                left = x.value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]) if isinstance(x.value, cst.UnaryOperation) else x.value
                if isinstance(self.operator, cst.BaseCompOp):
                    expr: cst.BaseExpression = cst.Comparison(left, [cst.ComparisonTarget(self.operator, right)])
                else:
                    expr = cst.BinaryOperation(left, self.operator, right)
                return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            else:
                raise CannotMigrate("a number as the first operand: torch wants a tensor there")
        if self.clamp and _is_number(y.value):
            return build_call(call, ctx.name("torch.clamp"), [x, NewArg(y.value, self.clamp, y.original)])
        return build_call(call, ctx.name(self.torch), [x, y])


def _binary(name: str, torch: str, operator: Any = None, **kwargs: Any) -> _Binary:
    return _Binary(name, torch, operator=operator, **kwargs)


_SPACE = cst.SimpleWhitespace(" ")


def _op(kind: type) -> Any:
    """An operator node with the usual spaces (``cst.Subtract`` → `` - ``)."""
    return kind(whitespace_before=_SPACE, whitespace_after=_SPACE)


# ---------------------------------------------------------------------------------------
# Structural rows.


class _Shape(Rule):
    id = "keras.ops.shape"
    names = tuple(_names("shape"))
    summary = "`keras.ops.shape(x)` → `x.shape`."
    why = (
        "Keras returns a tuple of Python ints; `x.shape` is a `torch.Size`, a tuple subclass with "
        "the same ints, which indexes, unpacks, compares and concatenates like the tuple. In a "
        "traced TF graph Keras may give tensors for unknown dimensions; torch always has ints."
    )
    example = "batch, length = keras.ops.shape(x)[:2]\nd = keras.ops.shape(x)[-1]"
    checks = (
        Check("ops.shape(x)", {"x": "f32[2,3,4]"}),
        Check("ops.shape(x)[-1]", {"x": "i32[5]"}),
        Check("ops.shape(x)", {"x": "f32[2,0]"}),
        Check("ops.shape(x)", {"x": "f32[]"}),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("x",), ctx)
        return _attr(bound["x"].value, "shape")


class _Ndim(Rule):
    id = "keras.ops.ndim"
    names = tuple(_names("ndim"))
    summary = "`keras.ops.ndim(x)` → `x.ndim`."
    why = "Keras returns the rank as a Python int, as `Tensor.ndim` does."
    example = "rank = keras.ops.ndim(x)"
    checks = (Check("ops.ndim(x)", {"x": "f32[2,3,4]"}), Check("ops.ndim(x)", {"x": "f32[]"}))

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        return _attr(_bind(call, ("x",), ctx)["x"].value, "ndim")


class _Dtype(Rule):
    id = "keras.ops.dtype"
    names = tuple(_names("dtype"))
    summary = "`keras.ops.dtype(x)` → `x.dtype`."
    why = (
        "Keras returns the dtype's name as a string (`\"float32\"`); torch's `x.dtype` is the "
        "dtype object (`torch.float32`), which is what the migrated `cast`, `zeros` and friends "
        "take. Code that compares the result with a string (`== \"float32\"`) must compare "
        "with `torch.float32` instead."
    )
    example = "y = keras.ops.cast(z, keras.ops.dtype(x))"
    checks = (Check("ops.dtype(x)", {"x": "f32[2]"}), Check("ops.dtype(x)", {"x": "i64[2]"}))

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        return _attr(_bind(call, ("x",), ctx)["x"].value, "dtype")


class _ConvertToNumpy(Rule):
    id = "keras.ops.convert_to_numpy"
    names = tuple(_names("convert_to_numpy"))
    summary = "`keras.ops.convert_to_numpy(x)` → `x.detach().cpu().numpy()`."
    why = (
        "`Tensor.numpy()` refuses a tensor that requires grad or lives on a GPU; Keras converts "
        "any tensor, so the rewrite detaches and moves it to the CPU first."
    )
    example = "array = keras.ops.convert_to_numpy(logits)"
    checks = (
        Check("ops.convert_to_numpy(x)", {"x": "f32[2,3]"}),
        Check("ops.convert_to_numpy(x * 2)", {"x": "i32[4]"}),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        x = _bind(call, ("x",), ctx)["x"].value
        return _method(_method(_method(x, "detach"), "cpu"), "numpy")


class _ExpandDims(Rule):
    id = "keras.ops.expand_dims"
    names = tuple(_names("expand_dims"))
    summary = "`keras.ops.expand_dims(x, axis)` → `torch.unsqueeze(x, axis)`."
    why = (
        "The same operation, negative axes counting in the output as in NumPy. Keras also "
        "takes a tuple of axes, positions in the output: a literal tuple of all non-negative "
        "(or all negative) axes becomes nested `torch.unsqueeze` calls, inserted in "
        "increasing (or, from the end, decreasing) order; a mix needs the rank and stays a "
        "TODO. A tuple held in a variable makes `torch.unsqueeze` raise rather than misbehave."
    )
    example = "y = keras.ops.expand_dims(mask, axis=1)\nt = keras.ops.expand_dims(inv_timescales, [0, 1])"
    checks = (
        Check("ops.expand_dims(x, 1)", {"x": "f32[2,3]"}),
        Check("ops.expand_dims(x, axis=-1)", {"x": "i32[2,3]"}),
        Check("ops.expand_dims(x, 0)", {"x": "f32[]"}),
        Check("ops.expand_dims(x, -3)", {"x": "f32[0,2]"}),
        Check("ops.expand_dims(x, [0, 1])", {"x": "f32[3]"}),
        Check("ops.expand_dims(x, (3, 0))", {"x": "f32[2,3]"}),
        Check("ops.expand_dims(x, (-1, -3))", {"x": "i32[2,3]"}),
        Check("ops.expand_dims(x, (0, -1))", {"x": "f32[3]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("x", "axis"), ctx, required=2)
        x, axis = bound["x"], bound["axis"]
        if not isinstance(axis.value, (cst.List, cst.Tuple)):
            return build_call(call, ctx.name("torch.unsqueeze"), [NewArg(x.value, None, x), NewArg(axis.value, None, axis)])
        axes = _literal_or(axis.value, None)
        if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise CannotMigrate("`axis` is not a literal tuple of ints")
        if len(set(axes)) != len(axes) or not (all(a >= 0 for a in axes) or all(a < 0 for a in axes)):
            raise CannotMigrate("axes counted from both ends need the rank of `x`")
        order = sorted(axes) if axes[0] >= 0 else sorted(axes, reverse=True)
        result: cst.BaseExpression = x.value
        for a in order:
            result = _call(ctx.name("torch.unsqueeze"), cst.Arg(result), cst.Arg(to_node(a)))
        return result


class _Transpose(Rule):
    id = "keras.ops.transpose"
    names = tuple(_names("transpose"))
    summary = "`keras.ops.transpose(x, axes)` → `torch.permute(x, axes)`; without axes, all axes reversed."
    why = (
        "`torch.transpose` swaps two dimensions; `keras.ops.transpose` permutes all of them "
        "(NumPy's `transpose`), which is `torch.permute`. Without `axes` NumPy reverses every "
        "axis: that becomes `x.permute(*reversed(range(x.ndim)))`, written only when `x` is a "
        "plain read such as `x`, `self.kernel` or `layer.weights[0]` (it appears twice); "
        "`x.mT` would swap only the last two."
    )
    example = "y = keras.ops.transpose(x, (0, 2, 1, 3))\nz = keras.ops.transpose(w)"
    checks = (
        Check("ops.transpose(x, (0, 2, 1, 3))", {"x": "f32[2,3,4,5]"}),
        Check("ops.transpose(x, axes=[1, 0])", {"x": "i32[2,3]"}),
        Check("ops.transpose(x)", {"x": "f32[2,3,4]"}),
        Check("ops.transpose(x)", {"x": "f32[3,0]"}),
        Check("result = ops.transpose(w[0])", {"w": "f32[2,3,4]"}),
        Check("ops.transpose(x + 1)", {"x": "f32[2,3]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("x", "axes"), ctx)
        x = bound["x"]
        axes = bound.get("axes")
        if axes is not None and not (isinstance(axes.value, cst.Name) and axes.value.value == "None"):
            return build_call(call, ctx.name("torch.permute"), [NewArg(x.value, None, x), NewArg(_axis(axes.value, ctx), None, axes)])
        if not _is_pure(x.value):
            raise CannotMigrate("without `axes` every axis is reversed, which needs the rank of `x`: name `x` first")
        reversed_range = cst.Call(
            cst.Name("reversed"), [cst.Arg(cst.Call(cst.Name("range"), [cst.Arg(_attr(x.value, "ndim"))]))]
        )
        return cst.Call(cst.Attribute(_receiver(x.value), cst.Name("permute")), [cst.Arg(reversed_range, star="*")])


class _Where(Rule):
    id = "keras.ops.where"
    names = tuple(_names("where"))
    summary = "`keras.ops.where(c, x, y)` → `torch.where(c, x, y)`; `keras.ops.where(c)` → `torch.where(c)`."
    why = (
        "With three arguments both pick element-wise with broadcasting, and a Python number "
        "operand is accepted by both. Two Python int operands make an int32 tensor in Keras "
        "and int64 in torch, so that case gets `.to(torch.int32)`. With only a condition both "
        "return the indices of the true elements, one tensor per dimension; Keras's are int32, "
        "torch's int64 — the dtype torch indexing and `gather` require, so it is kept (the "
        "check compares values without dtypes)."
    )
    example = "y = keras.ops.where(mask, x, 0.0)\nrows, cols = keras.ops.where(mask)"
    checks = (
        Check("ops.where(c, x, y)", {"c": "bool[2,3]", "x": "f32[2,3]", "y": "f32[2,3]"}),
        Check("ops.where(c, x, 0.0)", {"c": "bool[2,1]", "x": "f32[2,3]"}),
        Check("ops.where(c, -1e9, x)", {"c": "bool[3]", "x": "f32[3]"}),
        Check("ops.where(c, 1, 0)", {"c": "bool[4]"}),
        Check("ops.where(c, x, y)", {"c": "bool[0]", "x": "i64[0]", "y": "i64[0]"}),
        Check("ops.where(c)", {"c": "bool[3,4]"}, dtype=False),
        Check("ops.where(c, x)", {"c": "bool[3]", "x": "f32[3]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("condition", "x1", "x2"), ctx)
        given = [n for n in ("x1", "x2") if n in bound and not (isinstance(bound[n].value, cst.Name) and bound[n].value.value == "None")]
        if len(given) == 1:
            raise CannotMigrate("`x1` and `x2` must be given together")
        args = [NewArg(bound[n].value, None, bound[n]) for n in ("condition", *given)]
        result = build_call(call, ctx.name("torch.where"), args)
        if given:
            values = [_literal_or(bound[n].value, None) for n in given]
            if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                return _method(result, "to", ctx.name("torch.int32"))
        return result


class _Einsum(Rule):
    id = "keras.ops.einsum"
    names = tuple(_names("einsum"))
    summary = "`keras.ops.einsum(eq, *operands)` → `torch.einsum(eq, *operands)`."
    why = "The same equation language and argument order. (Keras computes int8 operands in int32; torch keeps int8.)"
    example = 'scores = keras.ops.einsum("btnh,bsnh->bnts", q, k)'
    checks = (
        Check('ops.einsum("btnh,bsnh->bnts", q, k)', {"q": "f32[2,3,4,5]", "k": "f32[2,6,4,5]"}, atol=1e-5),
        Check('ops.einsum("ij->ji", x)', {"x": "i32[2,3]"}),
        Check('ops.einsum("ij,jk", a, b)', {"a": "f32[2,0]", "b": "f32[0,3]"}),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if any(a.keyword for a in call.args):
            raise CannotMigrate("keyword arguments of `einsum` have no torch equivalent")
        if not call.args:
            raise CannotMigrate("required argument `subscripts` is missing")
        return call.with_changes(func=ctx.name("torch.einsum"))


class _Slice(Rule):
    id = "keras.ops.slice"
    names = tuple(_names("slice"))
    summary = "`keras.ops.slice(x, start, shape)` → `x[s0:s0 + n0, s1:s1 + n1, ...]`."
    why = (
        "Keras (like `tf.slice`, `lax.dynamic_slice`) takes start indices and sizes; torch "
        "slices with a subscript. Written when `shape` is a list or tuple literal (its length "
        "is the rank; items may be any expression); start indices held in a variable are "
        "indexed per axis (`start[0]`, ...). A size of literal -1 (TF's \"to the end\") "
        "becomes an open slice. A shape held in a variable stays a TODO."
    )
    example = "y = keras.ops.slice(x, [0, start, 0], [batch, length, dim])\nmask = keras.ops.slice(mask, start, (query_len, key_len))"
    checks = (
        Check("ops.slice(x, [0, 1], [2, 2])", {"x": "f32[3,4]"}),
        Check("ops.slice(x, (1, 0, 2), (1, 3, 2))", {"x": "i32[2,3,4]"}),
        Check("ops.slice(x, [1, 0], [-1, 0])", {"x": "f32[3,4]"}),
        Check("result = ops.slice(x, [0, s], [3, n])", {"x": "f32[3,5]", "s": 1, "n": 3}),
        Check("ops.slice(x, start, [1, 2])", {"x": "f32[3,4]", "start": [2, 1]}),
        Check("ops.slice(x, start, (2, 2))", {"x": "f32[3,4]", "start": "i32[2]:0..2"}),
        Check("ops.slice(x, [0, 0], size)", {"x": "f32[3,4]", "size": [1, 1]}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("inputs", "start_indices", "shape"), ctx, required=3)
        starts, sizes = bound["start_indices"].value, bound["shape"].value
        if not isinstance(sizes, (cst.List, cst.Tuple)) or any(isinstance(e, cst.StarredElement) for e in sizes.elements):
            raise CannotMigrate("`shape` must be a list literal (it gives the rank) to be written as a subscript")
        if not isinstance(starts, (cst.List, cst.Tuple)):
            if not _is_pure(starts):
                raise CannotMigrate("`start_indices` is used once per axis: name it first")
            index = lambda d: cst.Subscript(starts, [cst.SubscriptElement(cst.Index(to_node(d)))])  # noqa: E731
            starts = cst.List([cst.Element(index(d)) for d in range(len(sizes.elements))])
        if len(starts.elements) != len(sizes.elements) or any(e.value is None or isinstance(e, cst.StarredElement) for e in (*starts.elements, *sizes.elements)):
            raise CannotMigrate("`start_indices` and `shape` differ in length")
        slices = []
        for s, n in zip(starts.elements, sizes.elements):
            start, size = s.value, n.value
            lower = _lower(start)
            if _literal_or(size, None) == -1:
                upper = None
            else:
                upper = _add(start, size)
            slices.append(cst.SubscriptElement(cst.Slice(lower=lower, upper=upper)))
        slices = [s.with_changes(comma=_COMMA) for s in slices[:-1]] + slices[-1:]
        return cst.Subscript(_receiver(bound["inputs"].value), slices)


def _lower(start: cst.BaseExpression) -> cst.BaseExpression | None:
    """A slice's lower bound: omitted when it is the literal 0."""
    value = _literal_or(start, None)
    return None if value == 0 and not isinstance(value, bool) else start


class _SliceUpdate(Rule):
    id = "keras.ops.slice_update"
    names = tuple(_names("slice_update"))
    summary = "`keras.ops.slice_update(x, start, updates)` → nested `torch.slice_scatter` (out of place)."
    why = (
        "Keras returns a new tensor with `updates` written at `start`; torch's out-of-place form "
        "is `torch.slice_scatter`, one dimension at a time, so a rank-k update nests k of them "
        "(start indices that are literal 0 in the leading dimensions and updates spanning them "
        "cannot be assumed). It is written when `start_indices` is a list literal. A start held "
        "in a variable (the usual KV-cache code: `start = [0, index, 0, 0]`) stays a TODO: in "
        "torch such a cache is usually updated in place, `cache[:, index:index + n] = update`, "
        "which changes the surrounding code."
    )
    example = "y = keras.ops.slice_update(x, [0, index], update)\ncache = keras.ops.slice_update(cache, start, update)"
    checks = (
        Check("ops.slice_update(x, [1, 2], u)", {"x": "f32[3,5]", "u": "f32[2,2]"}),
        Check("ops.slice_update(x, (0, i, 0), u)", {"x": "i32[2,6,3]", "u": "i32[2,2,3]", "i": 3}),
        Check("ops.slice_update(x, [2], u)", {"x": "f32[4]", "u": "f32[2]"}),
        Check("ops.slice_update(x, start, u)", {"x": "f32[3]", "u": "f32[1]", "start": [1]}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("inputs", "start_indices", "updates"), ctx, required=3)
        x, starts, updates = bound["inputs"].value, bound["start_indices"].value, bound["updates"].value
        if not isinstance(starts, (cst.List, cst.Tuple)) or any(isinstance(e, cst.StarredElement) for e in starts.elements):
            raise CannotMigrate(
                "`start_indices` is not a list literal: write the update as an indexed assignment "
                "(`x[s0:s0 + u.shape[0], ...] = u`, on `x.clone()` if the old value is still used)"
            )
        if not isinstance(updates, (cst.Name, cst.Attribute)) or not isinstance(x, (cst.Name, cst.Attribute)):
            raise CannotMigrate("`inputs` and `updates` are used several times: name them first")
        rank = len(starts.elements)
        ends = [_add(e.value, cst.Subscript(_attr(updates, "shape"), [cst.SubscriptElement(cst.Index(to_node(d)))])) for d, e in enumerate(starts.elements)]

        def region(depth: int) -> cst.BaseExpression:
            # x restricted to the updated range of the first `depth` dimensions.
            if depth == 0:
                return x
            items = [cst.SubscriptElement(cst.Slice(lower=_lower(starts.elements[d].value), upper=ends[d])) for d in range(depth)]
            items = [s.with_changes(comma=_COMMA) for s in items[:-1]] + items[-1:]
            return cst.Subscript(x, items)

        def level(d: int) -> cst.BaseExpression:
            src = updates if d == rank - 1 else level(d + 1)
            args = [cst.Arg(region(d)), cst.Arg(src)]
            kw = {"dim": to_node(d), "start": starts.elements[d].value, "end": ends[d]}
            args += [cst.Arg(v, keyword=cst.Name(k), equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))) for k, v in kw.items()]
            args = [a.with_changes(comma=_COMMA) for a in args[:-1]] + args[-1:]
            return cst.Call(ctx.name("torch.slice_scatter"), args)

        if rank == 0:
            raise CannotMigrate("empty `start_indices`")
        return level(0)


class _Cond(Rule):
    id = "keras.ops.cond"
    names = tuple(_names("cond"))
    summary = "`keras.ops.cond(pred, true_fn, false_fn)` → `true_fn() if pred else false_fn()`."
    why = (
        "Eager PyTorch branches in Python: the predicate (a bool or a one-element tensor) "
        "picks the function to call, as Keras does. A branch written as `lambda: expr` is "
        "inlined as `expr`. Under `torch.compile` a data-dependent branch is a graph break, "
        "the cost of the same trace-time choice in TF."
    )
    example = "y = keras.ops.cond(training, lambda: x * mask, lambda: x)"
    checks = (
        Check("ops.cond(p, lambda: x + 1, lambda: x - 1)", {"p": "bool[]", "x": "f32[3]"}),
        Check("ops.cond(ops.sum(x) > 0, lambda: x * 2.0, lambda: ops.zeros_like(x))", {"x": "f32[4]"}),
        Check("ops.cond(n > 2, lambda: x, lambda: -x)", {"x": "i32[2]", "n": 3}),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("pred", "true_fn", "false_fn"), ctx, required=3)

        def branch(fn: cst.BaseExpression) -> cst.BaseExpression:
            if isinstance(fn, cst.Lambda):
                if fn.params.params or fn.params.star_arg != cst.MaybeSentinel.DEFAULT or fn.params.kwonly_params or fn.params.star_kwarg or fn.params.posonly_params:
                    raise CannotMigrate("a branch takes arguments: `cond` calls it with none")
                body = fn.body
                if isinstance(body, (cst.IfExp, cst.Lambda, cst.NamedExpr)) and not body.lpar:
                    body = body.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
                return body
            if isinstance(fn, (cst.Name, cst.Attribute)):
                return ctx.call(fn)  # a TF/Keras function passed as a branch is migrated too
            return cst.Call(_receiver(fn), [])

        pred = bound["pred"].value
        if isinstance(pred, (cst.IfExp, cst.Lambda, cst.NamedExpr)) and not pred.lpar:
            pred = pred.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        expr = cst.IfExp(test=pred, body=branch(bound["true_fn"].value), orelse=branch(bound["false_fn"].value))
        return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _is_none(node: cst.BaseExpression | None) -> bool:
    return node is None or (isinstance(node, cst.Name) and node.value == "None")


def _kwarg(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(value, keyword=cst.Name(name), equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))


def _call(func: cst.BaseExpression, *args: cst.Arg) -> cst.Call:
    built = [a.with_changes(comma=_COMMA) for a in args[:-1]] + list(args[-1:])
    return cst.Call(func, built)


def _is_python_int(node: cst.BaseExpression) -> bool:
    """An expression that is a Python int whatever the inputs: ``x.shape[1]`` (what
    ``ops.shape(x)[1]`` became), ``len(xs)``, an int literal, and int arithmetic of those."""
    if isinstance(node, cst.Subscript):
        return (
            isinstance(node.value, cst.Attribute) and node.value.attr.value == "shape"
            and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index)
            and _is_number(node.slice[0].slice.value) and isinstance(_literal_or(node.slice[0].slice.value), int)
        )
    if isinstance(node, cst.Call):
        return isinstance(node.func, cst.Name) and node.func.value == "len"
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract, cst.Multiply, cst.FloorDivide)):
        return _is_python_int(node.left) and _is_python_int(node.right)
    value = _literal_or(node, None)
    return isinstance(value, int) and not isinstance(value, bool)


def _python_dtype(node: cst.BaseExpression) -> str | None:
    """``"int32"``/``"float32"``/``"bool"`` for a literal number, bool, or (nested) list of them,
    the dtype Keras gives it (Python ints are int32, floats floatx); None when not literal."""
    if _is_python_int(node):
        return "int32"
    try:
        value = literal(node)
    except NotLiteral:
        return None
    flat: list[Any] = []

    def walk(v: Any) -> None:
        if isinstance(v, (list, tuple)):
            for item in v:
                walk(item)
        else:
            flat.append(v)

    walk(value)
    if not flat or any(not isinstance(v, (int, float, bool)) for v in flat):
        return None
    if all(isinstance(v, bool) for v in flat):
        return "bool"
    if any(isinstance(v, float) for v in flat):
        return "float32"
    return "int32"


class _ConvertToTensor(Rule):
    """``keras.ops.convert_to_tensor`` and ``keras.ops.array``."""

    def __init__(self, name: str, signature: tuple[str, ...], checks: Sequence[Check]):
        self.id = f"keras.ops.{name}"
        self.names = tuple(_names(name))
        self.signature = signature
        self.summary = f"`keras.ops.{name}(x, dtype)` → `torch.as_tensor(x, dtype=dtype)`."
        self.why = (
            "Both keep a tensor or NumPy array as it is (same dtype, no copy where possible) and "
            "convert Python values. Keras makes Python ints int32, torch int64: for a literal "
            "int (or list of ints) without `dtype` the rewrite writes `dtype=torch.int32`. A "
            "Python int held in a variable still becomes int64 in torch, the dtype torch "
            "indexing wants. `sparse=`/`ragged=` other than None/False stay a TODO. Passed as a "
            "value (`tree.map_structure(ops.convert_to_tensor, ...)`) it becomes `torch.as_tensor`."
        )
        self.example = f"t = keras.ops.{name}([1, 2, 3])\nu = keras.ops.{name}(x, dtype=\"float32\")"
        self.checks = tuple(checks)

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, self.signature, ctx)
        for extra in ("sparse", "ragged"):
            if extra in bound and _literal_or(bound[extra].value, "?") not in (None, False):
                raise CannotMigrate(f"`{extra}=` tensors have no dense torch equivalent here")
        x = bound["x"]
        args = [NewArg(x.value, None, x)]
        if "dtype" in bound and not _is_none(bound["dtype"].value):
            args.append(NewArg(_dtype(bound["dtype"].value, ctx), "dtype", bound["dtype"]))
        elif _python_dtype(x.value) == "int32":
            args.append(NewArg(ctx.name("torch.int32"), "dtype"))
        return build_call(call, ctx.name("torch.as_tensor"), args)

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        return ctx.name("torch.as_tensor")


class _Arange(Rule):
    id = "keras.ops.arange"
    names = tuple(_names("arange"))
    summary = "`keras.ops.arange` → `torch.arange`, with Keras's dtype written out."
    why = (
        "Without `dtype` Keras takes the dtype from the values: int32 for Python ints (torch: "
        "int64), float32 for floats. With literal bounds the rewrite writes that dtype; with "
        "a bound held in a variable and no `dtype` the dtype cannot be known (int32 for an "
        "int, float32 for a float, the tensor's own dtype), so that site stays a TODO: pass "
        "`dtype=` to migrate it. A bound read from a shape (`ops.shape(x)[1]`, which became "
        "`x.shape[1]`) or `len(...)` is a Python int, so int32."
    )
    example = 'pos = keras.ops.arange(0, length, dtype="int32")\nsteps = keras.ops.arange(10)\nidx = keras.ops.arange(keras.ops.shape(x)[1])'
    checks = (
        Check("ops.arange(5)"),
        Check("ops.arange(2, 11, 3)"),
        Check("ops.arange(0, 5, 0.5)"),
        Check('ops.arange(0, n, 2, dtype="float32")', {"n": 7}),
        Check('ops.arange(n, dtype="int32")', {"n": 4}),
        Check("ops.arange(start=1, stop=4)"),
        Check("ops.arange(0)"),
        Check("ops.arange(ops.shape(x)[1])", {"x": "f32[2,5]"}),
        Check("ops.arange(1, ops.shape(x)[0] + 1)", {"x": "f32[3]"}),
        Check("ops.arange(n)", {"n": 4}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("start", "stop", "step", "dtype"), ctx)
        args = [NewArg(bound[n].value, None, bound[n]) for n in ("start", "stop", "step") if n in bound and not _is_none(bound[n].value)]
        if "step" in bound and "stop" not in bound:
            raise CannotMigrate("`step` without `stop`")
        if "dtype" in bound and not _is_none(bound["dtype"].value):
            args.append(NewArg(_dtype(bound["dtype"].value, ctx), "dtype", bound["dtype"]))
        else:
            kinds = [_python_dtype(a.value) for a in args]
            if None in kinds:
                raise CannotMigrate("without `dtype=` the dtype follows the values (int32 for ints, float32 for floats), which are not literals here")
            args.append(NewArg(ctx.name("torch.float32" if "float32" in kinds else "torch.int32"), "dtype"))
        return build_call(call, ctx.name("torch.arange"), args)


class _Take(Rule):
    id = "keras.ops.take"
    names = tuple(_names("take"))
    summary = "`keras.ops.take(x, indices, axis)` → `x[:, indices]` (advanced indexing on `axis`)."
    why = (
        "NumPy's `take` picks along one axis with indices of any shape, which is a subscript "
        "with the indices at that axis (`x[indices]` for axis 0, `x[..., indices]` for -1); "
        "`torch.index_select` would take only 1-D indices. Without `axis` the input is "
        "flattened first (`torch.flatten(x)[indices]`). Negative indices count from the end in "
        "both. The axis must be a literal."
    )
    example = "emb = keras.ops.take(table, ids, axis=0)\nlast = keras.ops.take(x, idx, axis=-1)"
    checks = (
        Check("ops.take(x, i, axis=0)", {"x": "f32[5,3]", "i": "i32[2,4]:0..5"}),
        Check("ops.take(x, i, axis=1)", {"x": "f32[2,5,3]", "i": "i64[4]:0..5"}),
        Check("ops.take(x, i, axis=-1)", {"x": "i32[2,5]", "i": "i32[3]:0..5"}),
        Check("ops.take(x, i, axis=-2)", {"x": "f32[2,5,3]", "i": "i32[3]:-5..5"}),
        Check("ops.take(x, i)", {"x": "f32[2,3]", "i": "i32[4]:0..6"}),
        Check("ops.take(x, i, axis=0)", {"x": "f32[5,3]", "i": "i32[0]"}),
        Check("ops.take(x, i, axis=a)", {"x": "f32[5,3]", "i": "i32[2]:0..3", "a": 1}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("x", "indices", "axis"), ctx, required=2)
        x, indices = bound["x"].value, bound["indices"].value
        if "axis" not in bound or _is_none(bound["axis"].value):
            flat = _call(ctx.name("torch.flatten"), cst.Arg(x))
            return cst.Subscript(flat, [cst.SubscriptElement(cst.Index(indices))])
        axis = _literal_or(bound["axis"].value, None)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise CannotMigrate("`axis` is not a literal int: the subscript depends on it")
        full = cst.SubscriptElement(cst.Slice(lower=None, upper=None))
        if axis >= 0:
            items = [full] * axis + [cst.SubscriptElement(cst.Index(indices))]
        else:
            items = [cst.SubscriptElement(cst.Index(cst.Ellipsis())), cst.SubscriptElement(cst.Index(indices))] + [full] * (-axis - 1)
        items = [i.with_changes(comma=_COMMA) for i in items[:-1]] + items[-1:]
        return cst.Subscript(_receiver(x), items)


class _TakeAlongAxis(Rule):
    id = "keras.ops.take_along_axis"
    names = tuple(_names("take_along_axis"))
    summary = "`keras.ops.take_along_axis(x, indices, axis)` → `torch.take_along_dim(x, indices.long(), dim=axis)`."
    why = (
        "`torch.take_along_dim` is NumPy's `take_along_axis`, broadcasting and the flattening "
        "`axis=None` included, but it takes only int64 indices while Keras code mostly holds "
        "int32 ones: `.long()` converts them. Negative indices, which Keras wraps, are an "
        "error in torch."
    )
    example = "picked = keras.ops.take_along_axis(scores, order, axis=-1)"
    checks = (
        Check("ops.take_along_axis(x, i, axis=1)", {"x": "f32[2,5]", "i": "i32[2,3]:0..5"}),
        Check("ops.take_along_axis(x, i, axis=-1)", {"x": "f32[2,3,4]", "i": "i64[2,3,2]:0..4"}),
        Check("ops.take_along_axis(x, i, axis=0)", {"x": "i32[3,2]", "i": "i32[1,2]:0..3"}),
        Check("ops.take_along_axis(x, i)", {"x": "f32[2,3]", "i": "i32[4]:0..6"}),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("x", "indices", "axis"), ctx, required=2)
        args = [NewArg(bound["x"].value, None, bound["x"]), NewArg(_method(bound["indices"].value, "long"), None, bound["indices"])]
        if "axis" in bound and not _is_none(bound["axis"].value):
            args.append(NewArg(_int_axis(bound["axis"].value, ctx), "dim", bound["axis"]))
        return build_call(call, ctx.name("torch.take_along_dim"), args)


class _Pad(Rule):
    id = "keras.ops.pad"
    names = tuple(_names("pad"))
    summary = "`keras.ops.pad(x, [[b0, a0], [b1, a1], ...])` → `F.pad(x, (b_last, a_last, ..., b0, a0))`."
    why = (
        "NumPy's `pad_width` lists (before, after) per axis from the first; `F.pad` takes a "
        "flat tuple from the last axis backwards, and covers only as many trailing axes as it "
        "has pairs, so leading `(0, 0)` pairs are dropped. It is written when `pad_width` is a "
        "literal list of pairs (the items may be expressions) for two or more axes; a single "
        "pair, which NumPy broadcasts to every axis, needs the rank and stays a TODO, as do "
        "modes other than \"constant\". `constant_values` becomes `value=`."
    )
    example = "y = keras.ops.pad(x, [[0, 0], [1, 1], [2, 2], [0, 0]])\nz = keras.ops.pad(x, [[0, 0], [0, n]], constant_values=-1)"
    checks = (
        Check("ops.pad(x, [[0, 0], [1, 2]])", {"x": "f32[2,3]"}),
        Check("ops.pad(x, ((1, 0), (0, 0), (2, 1)))", {"x": "i32[2,3,4]"}),
        Check("ops.pad(x, [[0, 0], [0, n], [0, 0]], constant_values=-1.5)", {"x": "f32[1,2,3]", "n": 2}),
        Check('ops.pad(x, [[1, 1], [1, 1]], mode="constant")', {"x": "f32[2,0]"}),
        Check("ops.pad(x, [[1, 1]])", {"x": "f32[3]"}, todo=True),
        Check('ops.pad(x, [[1, 1], [1, 1]], mode="reflect")', {"x": "f32[3,3]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("x", "pad_width", "mode", "constant_values"), ctx, required=2)
        if "mode" in bound and _literal_or(bound["mode"].value, None) != "constant":
            raise CannotMigrate("only mode=\"constant\" is migrated (F.pad's other modes pad only trailing axes of batched inputs)")
        width = bound["pad_width"].value
        if not isinstance(width, (cst.List, cst.Tuple)) or not all(
            isinstance(e, cst.Element) and isinstance(e.value, (cst.List, cst.Tuple)) and len(e.value.elements) == 2
            and all(isinstance(p, cst.Element) for p in e.value.elements)
            for e in width.elements
        ):
            raise CannotMigrate("`pad_width` is not a literal list of (before, after) pairs")
        pairs = [[p.value for p in e.value.elements] for e in width.elements]  # type: ignore[union-attr]
        if len(pairs) < 2:
            raise CannotMigrate("one pair is broadcast to every axis by NumPy: the rank is needed; write a pair per axis")
        while len(pairs) > 1 and all(_literal_or(v, None) == 0 for v in pairs[0]):
            pairs.pop(0)
        flat = [v for pair in reversed(pairs) for v in pair]
        args = [NewArg(bound["x"].value, None, bound["x"]), NewArg(_tuple(flat), None, bound["pad_width"])]
        if "constant_values" in bound and not _is_none(bound["constant_values"].value):
            args.append(NewArg(bound["constant_values"].value, "value", bound["constant_values"]))
        return build_call(call, ctx.name("torch.nn.functional.pad"), args)


class _Cumsum(Rule):
    id = "keras.ops.cumsum"
    names = tuple(_names("cumsum"))
    torch = "torch.cumsum"
    summary = "`keras.ops.cumsum(x, axis)` → `torch.cumsum(x, dim=axis)`; no axis: over the flattened input."
    why = (
        "NumPy's `cumsum` without `axis` runs over the flattened input; `torch.cumsum` needs a "
        "`dim`, so that case is `torch.cumsum(torch.flatten(x), dim=0)`. Integer and bool "
        "inputs accumulate in int32 in Keras and int64 in torch (the checks on them compare "
        "values, not dtypes)."
    )
    example = "positions = keras.ops.cumsum(mask, axis=1)"
    checks = (
        Check("ops.cumsum(x, axis=1)", {"x": "f32[2,4]"}, atol=1e-5),
        Check("ops.cumsum(x, axis=-1)", {"x": "f32[2,3,0]"}),
        Check("ops.cumsum(x)", {"x": "f32[2,3]"}, atol=1e-5),
        Check('ops.cumsum(x, 0, dtype="float32")', {"x": "i32[4]"}),
        Check("ops.cumsum(x, axis=0)", {"x": "i32[5]"}, dtype=False),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("x", "axis", "dtype"), ctx)
        x = bound["x"]
        if "axis" not in bound or _is_none(bound["axis"].value):
            args = [NewArg(_call(ctx.name("torch.flatten"), cst.Arg(x.value)), None, x), NewArg(to_node(0), "dim")]
        else:
            args = [NewArg(x.value, None, x), NewArg(_int_axis(bound["axis"].value, ctx), "dim", bound["axis"])]
        if "dtype" in bound and not _is_none(bound["dtype"].value):
            args.append(NewArg(_dtype(bound["dtype"].value, ctx), "dtype", bound["dtype"]))
        return build_call(call, ctx.name(self.torch), args)


class _OneHot(Rule):
    id = "keras.ops.one_hot"
    names = tuple(_names("one_hot"))
    summary = "`keras.ops.one_hot(x, n)` → `F.one_hot(x.long(), n).to(torch.float32)`."
    why = (
        "`F.one_hot` takes only int64 indices and returns int64; Keras takes any int indices "
        "and returns float32 (or `dtype`). Keras gives an all-zero row for an index out of "
        "[0, n) where torch raises. `axis` other than -1 and `sparse=True` stay a TODO."
    )
    example = "labels = keras.ops.one_hot(ids, 10)\nmask = keras.ops.one_hot(ids, vocab, dtype=\"int32\")"
    checks = (
        Check("ops.one_hot(x, 4)", {"x": "i32[3]:0..4"}),
        Check('ops.one_hot(x, num_classes=5, dtype="int32")', {"x": "i64[2,3]:0..5"}),
        Check("ops.one_hot(x, 3, axis=-1)", {"x": "i32[0]"}),
        Check("ops.one_hot(x, 3, axis=0)", {"x": "i32[2]:0..3"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("x", "num_classes", "axis", "dtype", "sparse"), ctx, required=2)
        if "axis" in bound and _literal_or(bound["axis"].value, None) != -1:
            raise CannotMigrate("`axis` other than -1: the one-hot axis is last in torch (`torch.movedim` it)")
        if "sparse" in bound and _literal_or(bound["sparse"].value, None) is not False:
            raise CannotMigrate("`sparse=True` has no torch equivalent here")
        x, n = bound["x"], bound["num_classes"]
        hot = build_call(call, ctx.name("torch.nn.functional.one_hot"), [NewArg(_method(x.value, "long"), None, x), NewArg(n.value, None, n)])
        dtype = _dtype(bound["dtype"].value, ctx) if "dtype" in bound and not _is_none(bound["dtype"].value) else ctx.name("torch.float32")
        return _method(hot, "to", dtype)


class _Attention(Rule):
    id = "keras.ops.dot_product_attention"
    names = tuple(_names("dot_product_attention"))
    summary = "`keras.ops.dot_product_attention(q, k, v)` → `F.scaled_dot_product_attention` on (B, H, T, D) views."
    why = (
        "Keras lays out query/key/value as (batch, length, heads, dim); torch's "
        "`scaled_dot_product_attention` wants (batch, heads, length, dim). The rewrite "
        "transposes the inputs and the output (views, no copy). `mask` (True = attend) and "
        "`bias` (added to the logits) are both (B, H, T, S) like torch's `attn_mask`, which "
        "takes either a bool mask or an additive float; both at once, or either with "
        "`is_causal=True`, stay a TODO. The default scale is 1/sqrt(dim) in both, and "
        "`is_causal` aligns the mask top-left in both. `flash_attention` is a kernel hint "
        "(torch picks its kernel itself). Keys with fewer heads than queries (grouped-query "
        "attention) need torch's `enable_gqa=True`. A fully masked row is NaN in torch."
    )
    example = "out = keras.ops.dot_product_attention(q, k, v, mask=mask)\nc = keras.ops.dot_product_attention(q, k, v, is_causal=True)"
    checks = (
        Check("ops.dot_product_attention(q, k, v)", {"q": "f32[2,3,4,8]", "k": "f32[2,5,4,8]", "v": "f32[2,5,4,8]"}, atol=1e-5),
        Check("ops.dot_product_attention(q, k, v, is_causal=True)", {"q": "f32[1,4,2,8]", "k": "f32[1,4,2,8]", "v": "f32[1,4,2,8]"}, atol=1e-5),
        Check("ops.dot_product_attention(q, k, v, is_causal=True)", {"q": "f32[2,3,2,8]", "k": "f32[2,5,2,8]", "v": "f32[2,5,2,8]"}, atol=1e-5),
        Check("ops.dot_product_attention(q, k, v, bias=b, scale=0.5)", {"q": "f32[1,3,2,4]", "k": "f32[1,5,2,4]", "v": "f32[1,5,2,4]", "b": "f32[1,2,3,5]"}, atol=1e-5),
        Check(
            "result = ops.dot_product_attention(q, k, v, mask=ops.logical_or(m, ops.eye(3, 5) > 0))",
            {"q": "f32[2,3,2,4]", "k": "f32[2,5,2,4]", "v": "f32[2,5,2,4]", "m": "bool[2,1,3,5]"},
            atol=1e-5,
        ),
        Check("ops.dot_product_attention(q, k, v, bias=b, mask=m)", {"q": "f32[1,3,2,4]", "k": "f32[1,5,2,4]", "v": "f32[1,5,2,4]", "b": "f32[1,2,3,5]", "m": "bool[1,2,3,5]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        signature = ("query", "key", "value", "bias", "mask", "scale", "is_causal", "flash_attention", "attn_logits_soft_cap")
        bound = _bind(call, signature, ctx, required=3)
        if "attn_logits_soft_cap" in bound and not _is_none(bound["attn_logits_soft_cap"].value):
            raise CannotMigrate("`attn_logits_soft_cap` has no `scaled_dot_product_attention` equivalent")
        masks = [n for n in ("bias", "mask") if n in bound and not _is_none(bound[n].value)]
        causal = bound.get("is_causal")
        if causal is not None and _literal_or(causal.value, None) is False:
            causal = None
        if len(masks) == 2:
            raise CannotMigrate("`bias` and `mask` together: combine them into one additive mask (`bias.masked_fill(~mask, -inf)`)")
        if masks and causal is not None:
            raise CannotMigrate("`is_causal` with a mask: torch takes one of them; fold the causal mask into `attn_mask`")

        def heads_first(name: str) -> NewArg:
            return NewArg(_method(bound[name].value, "transpose", to_node(1), to_node(2)), None, bound[name])

        args = [heads_first(n) for n in ("query", "key", "value")]
        if masks:
            args.append(NewArg(bound[masks[0]].value, "attn_mask", bound[masks[0]]))
        if causal is not None:
            args.append(NewArg(causal.value, "is_causal", causal))
        if "scale" in bound and not _is_none(bound["scale"].value):
            args.append(NewArg(bound["scale"].value, "scale", bound["scale"]))
        out = build_call(call, ctx.name("torch.nn.functional.scaled_dot_product_attention"), args)
        return _method(out, "transpose", to_node(1), to_node(2))


class _ScatterUpdate(Rule):
    id = "keras.ops.scatter_update"
    names = tuple(_names("scatter_update"))
    summary = "`keras.ops.scatter_update(x, indices, updates)` → `x.index_put(indices.unbind(-1), updates)`."
    why = (
        "Keras (`tf.tensor_scatter_nd_update`) takes indices of shape (N, k): each row names "
        "one element (or slice) of the first k axes. `Tensor.index_put` is the out-of-place "
        "form that takes one index tensor per axis, which is `indices.unbind(-1)`. A list "
        "literal is made a tensor first; list updates get `x`'s dtype (Keras casts them). "
        "Duplicate indices leave an unspecified winner in both. `reduction=` stays a TODO."
    )
    example = "y = keras.ops.scatter_update(x, coords, values)\nmask = keras.ops.scatter_update(mask, [[r, c]], [True])"
    checks = (
        Check("ops.scatter_update(x, ops.convert_to_tensor([[0, 1], [2, 3]]), u)", {"x": "f32[3,4]", "u": "f32[2]"}),
        Check("ops.scatter_update(x, [[1], [3]], u)", {"x": "f32[4,2]", "u": "f32[2,2]"}),
        Check("ops.scatter_update(x, [[r, 1]], [True])", {"x": "bool[3,3]", "r": 2}),
        Check("ops.scatter_update(x, [[0], [2]], [5, 7])", {"x": "i32[4]"}),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("inputs", "indices", "updates", "reduction"), ctx, required=3)
        if "reduction" in bound and not _is_none(bound["reduction"].value):
            raise CannotMigrate("`reduction=` is not migrated (torch: `index_put(..., accumulate=True)` for \"add\")")
        x, indices, updates = bound["inputs"], bound["indices"], bound["updates"]
        index = indices.value
        if isinstance(index, (cst.List, cst.Tuple)):
            index = _call(ctx.name("torch.tensor"), cst.Arg(index))
        values = updates.value
        if isinstance(values, (cst.List, cst.Tuple)):
            if not isinstance(x.value, (cst.Name, cst.Attribute)):
                raise CannotMigrate("list `updates` need the dtype of `inputs`: name `inputs` first")
            values = _call(ctx.name("torch.tensor"), cst.Arg(values), _kwarg("dtype", _attr(x.value, "dtype")))
        return build_call(
            call,
            cst.Attribute(_receiver(x.value), cst.Name("index_put")),
            [NewArg(_method(index, "unbind", to_node(-1)), None, indices), NewArg(values, None, updates)],
        )


class _Meshgrid(Rule):
    id = "keras.ops.meshgrid"
    names = tuple(_names("meshgrid"))
    summary = "`keras.ops.meshgrid(*xs)` → `torch.meshgrid(*xs, indexing=\"xy\")`."
    why = (
        "Keras follows NumPy's default Cartesian `indexing=\"xy\"`; `torch.meshgrid` defaults to "
        "matrix \"ij\" indexing (and warns without the argument), so Keras's default is written."
    )
    example = "gx, gy = keras.ops.meshgrid(xs, ys)\nii, jj = keras.ops.meshgrid(a, b, indexing=\"ij\")"
    checks = (
        Check("ops.meshgrid(a, b)", {"a": "f32[3]", "b": "f32[2]"}),
        Check('ops.meshgrid(a, b, indexing="ij")', {"a": "i32[3]", "b": "i32[4]"}),
        Check("ops.meshgrid(a, b, c)", {"a": "f32[2]", "b": "f32[3]", "c": "f32[0]"}),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        args = list(call.args)
        keywords = [a for a in args if a.keyword]
        if any(a.keyword.value != "indexing" for a in keywords):  # type: ignore[union-attr]
            raise CannotMigrate("unknown keyword argument")
        new = [NewArg(a.value, None, a) if not a.keyword else NewArg(a.value, "indexing", a) for a in args]
        if not keywords:
            new.append(NewArg(cst.SimpleString('"xy"'), "indexing"))
        for a in args:
            if a.star:
                new[args.index(a)] = NewArg(a.value, None, a)
        return build_call(call, ctx.name("torch.meshgrid"), new)


class _Gelu(Rule):
    id = "keras.ops.gelu"
    names = tuple(_names("gelu"))
    summary = "`keras.ops.gelu(x)` → `F.gelu(x, approximate=\"tanh\")` (Keras's default is the tanh approximation)."
    why = (
        "Keras's `gelu` defaults to `approximate=True`, the tanh approximation; `F.gelu` "
        "defaults to the exact erf form. The flag becomes `approximate=\"tanh\"` or is dropped "
        "for `approximate=False`; a flag that is not a literal stays a TODO."
    )
    example = "h = keras.ops.gelu(x)\ne = keras.ops.gelu(x, approximate=False)"
    checks = (
        Check("ops.gelu(x)", {"x": "f32[3,4]"}, atol=1e-5),
        Check("ops.gelu(x, approximate=False)", {"x": "f32[5]"}, atol=1e-5),
        Check("ops.gelu(x, True)", {"x": "f32[0]"}),
        Check("ops.gelu(x, approximate=flag)", {"x": "f32[3]", "flag": True}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("x", "approximate"), ctx)
        approximate = _literal_or(bound["approximate"].value, None) if "approximate" in bound else True
        if not isinstance(approximate, bool):
            raise CannotMigrate("`approximate` is not a literal bool: torch takes \"tanh\" or \"none\"")
        args = [NewArg(bound["x"].value, None, bound["x"])]
        if approximate:
            args.append(NewArg(cst.SimpleString('"tanh"'), "approximate", bound.get("approximate")))
        return build_call(call, ctx.name("torch.nn.functional.gelu"), args)


class _Flip(Rule):
    id = "keras.ops.flip"
    names = tuple(_names("flip"))
    summary = "`keras.ops.flip(x, axis)` → `torch.flip(x, dims=(axis,))`."
    why = (
        "`torch.flip` takes a tuple of dims, never a bare int, so an int axis is wrapped. "
        "NumPy's `axis=None` flips every axis: that becomes `dims=tuple(range(x.ndim))`, "
        "written when `x` is a plain name."
    )
    example = "y = keras.ops.flip(x, axis=1)"
    checks = (
        Check("ops.flip(x, axis=1)", {"x": "f32[2,3]"}),
        Check("ops.flip(x, (0, -1))", {"x": "i32[2,3,4]"}),
        Check("ops.flip(x)", {"x": "f32[2,3]"}),
        Check("ops.flip(x, axis=a)", {"x": "f32[2,3]", "a": 0}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("x", "axis"), ctx)
        x = bound["x"]
        axis = bound.get("axis")
        if axis is None or _is_none(axis.value):
            if not _is_pure(x.value):
                raise CannotMigrate("without `axis` every axis is flipped, which needs the rank of `x`: name `x` first")
            dims: cst.BaseExpression = _call(cst.Name("tuple"), cst.Arg(_call(cst.Name("range"), cst.Arg(_attr(x.value, "ndim")))))
        else:
            value = _literal_or(axis.value, None)
            if isinstance(value, int) and not isinstance(value, bool):
                dims = _tuple([axis.value])
            elif isinstance(axis.value, (cst.List, cst.Tuple)):
                dims = _axis(axis.value, ctx)
            else:
                raise CannotMigrate("`axis` is not a literal: torch wants a tuple of dims")
        return build_call(call, ctx.name("torch.flip"), [NewArg(x.value, None, x), NewArg(dims, "dims", axis)])


class _Cumprod(_Cumsum):
    id = "keras.ops.cumprod"
    names = tuple(_names("cumprod"))
    torch = "torch.cumprod"
    summary = "`keras.ops.cumprod(x, axis)` → `torch.cumprod(x, dim=axis)`; no axis: over the flattened input."
    why = (
        "NumPy's `cumprod` without `axis` runs over the flattened input; `torch.cumprod` needs a "
        "`dim`, so that case is `torch.cumprod(torch.flatten(x), dim=0)`. Integer inputs "
        "accumulate in int32 in Keras and int64 in torch."
    )
    example = "decay = keras.ops.cumprod(alphas, axis=0)"
    checks = (
        Check("ops.cumprod(x, axis=1)", {"x": "f32[2,4]:pos"}, atol=1e-5),
        Check("ops.cumprod(x)", {"x": "f32[2,3]:pos"}, atol=1e-5),
        Check("ops.cumprod(x, axis=-1)", {"x": "i32[3,3]"}, dtype=False),
    )


class _Sort(Rule):
    id = "keras.ops.sort"
    names = tuple(_names("sort"))
    summary = "`keras.ops.sort(x, axis)` → `torch.sort(x, dim=axis).values`."
    why = "`torch.sort` returns (values, indices); Keras returns the sorted values. Ascending in both; NumPy's `axis=None` stays a TODO."
    example = "y = keras.ops.sort(scores, axis=-1)"
    checks = (
        Check("ops.sort(x)", {"x": "f32[2,5]"}),
        Check("ops.sort(x, axis=0)", {"x": "i32[4,3]"}),
        Check("ops.sort(x, axis=None)", {"x": "f32[4]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("x", "axis"), ctx)
        args = [NewArg(bound["x"].value, None, bound["x"])]
        if "axis" in bound:
            if _is_none(bound["axis"].value):
                raise CannotMigrate("`axis=None` sorts the flattened input: write `torch.flatten(x)` first")
            args.append(NewArg(_int_axis(bound["axis"].value, ctx), "dim", bound["axis"]))
        else:
            args.append(NewArg(to_node(-1), "dim"))
        return _attr(build_call(call, ctx.name("torch.sort"), args), "values")


class _Logsumexp(Rule):
    id = "keras.ops.logsumexp"
    names = tuple(_names("logsumexp"))
    summary = "`keras.ops.logsumexp(x, axis)` → `torch.logsumexp(x, dim=axis)`."
    why = (
        "The same stable reduction. `torch.logsumexp` needs a `dim`: without an axis Keras "
        "reduces everything, which is `torch.logsumexp(torch.flatten(x), dim=0)`; with "
        "`keepdims=True` and no axis the rank is needed and it stays a TODO."
    )
    example = "lse = keras.ops.logsumexp(logits, axis=-1, keepdims=True)"
    checks = (
        Check("ops.logsumexp(x, axis=-1)", {"x": "f32[2,5]"}, atol=1e-5),
        Check("ops.logsumexp(x, axis=(0, 1), keepdims=True)", {"x": "f32[2,3,4]"}, atol=1e-5),
        Check("ops.logsumexp(x)", {"x": "f32[3,4]"}, atol=1e-5),
        Check("ops.logsumexp(x, keepdims=True)", {"x": "f32[3,4]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("x", "axis", "keepdims"), ctx)
        keep = bound.get("keepdims")
        if keep is not None and _literal_or(keep.value, None) is False:
            keep = None
        x = bound["x"]
        if "axis" not in bound or _is_none(bound["axis"].value):
            if keep is not None:
                raise CannotMigrate("`keepdims` without `axis` needs the rank of `x`")
            return build_call(call, ctx.name("torch.logsumexp"), [NewArg(_call(ctx.name("torch.flatten"), cst.Arg(x.value)), None, x), NewArg(to_node(0), "dim")])
        args = [NewArg(x.value, None, x), NewArg(_axis(bound["axis"].value, ctx), "dim", bound["axis"])]
        if keep is not None:
            args.append(NewArg(keep.value, "keepdim", keep))
        return build_call(call, ctx.name("torch.logsumexp"), args)


class _DivideNoNan(Rule):
    id = "keras.ops.divide_no_nan"
    names = tuple(_names("divide_no_nan"))
    summary = "`keras.ops.divide_no_nan(a, b)` → `torch.where(b == 0, 0.0, a / b)`."
    why = (
        "Keras gives 0 where the divisor is 0 (even for 0/0); torch has no such op, so the "
        "quotient is masked. `b` appears twice and must be a plain read. (The masked quotient "
        "still has an inf/NaN gradient where `b == 0`.)"
    )
    example = "ratio = keras.ops.divide_no_nan(hits, total)"
    checks = (
        Check("ops.divide_no_nan(a, b)", {"a": "f32[6]", "b": "f32[6]"}),
        Check("ops.divide_no_nan(a, b * 0.0)", {"a": "f32[3]", "b": "f32[3]"}, todo=True),
        Check("result = ops.divide_no_nan(a, ops.where(m, b, 0.0))", {"a": "f32[5]", "b": "f32[5]", "m": "bool[5]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("x1", "x2"), ctx, required=2)
        a, b = bound["x1"].value, bound["x2"].value
        if not _is_pure(b):
            raise CannotMigrate("the divisor is used twice: name it first")
        zero = cst.Comparison(b, [cst.ComparisonTarget(_op(cst.Equal), cst.Integer("0"))])
        wrap = lambda n: n if isinstance(n, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) or n.lpar else n.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])  # noqa: E731
        quotient = cst.BinaryOperation(wrap(a), _op(cst.Divide), wrap(b))
        return _call(ctx.name("torch.where"), cst.Arg(zero), cst.Arg(cst.Float("0.0")), cst.Arg(quotient))


class _Normalize(Rule):
    id = "keras.ops.normalize"
    names = ("keras.ops.normalize", "keras.ops.nn.normalize")
    summary = "`keras.ops.normalize(x, axis, order)` → `F.normalize(x, p=order, dim=axis, eps=1e-07)`."
    why = (
        "Both divide by max(‖x‖_p, epsilon) along one axis. Keras's epsilon defaults to "
        "`keras.backend.epsilon()` (1e-7), `F.normalize`'s to 1e-12, so Keras's is written. "
        "A tuple of axes is a matrix norm in Keras and stays a TODO."
    )
    example = "emb = keras.ops.normalize(emb, axis=-1)"
    checks = (
        Check("ops.normalize(x)", {"x": "f32[3,4]"}, atol=1e-6),
        Check("ops.normalize(x, axis=0, order=1)", {"x": "f32[3,4]"}, atol=1e-6),
        Check("ops.normalize(x, epsilon=1e-3)", {"x": "f32[2,3]"}, atol=1e-6),
        Check("ops.nn.normalize(x, axis=-1)", {"x": "f32[2,0]"}),
        Check("ops.normalize(x * 0.0)", {"x": "f32[2,3]"}),
        Check("ops.normalize(x, axis=(0, 1))", {"x": "f32[2,3]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("x", "axis", "order", "epsilon"), ctx)
        args = [NewArg(bound["x"].value, None, bound["x"])]
        if "order" in bound:
            args.append(NewArg(bound["order"].value, "p", bound["order"]))
        axis = bound.get("axis")
        args.append(NewArg(_int_axis(axis.value, ctx) if axis else to_node(-1), "dim", axis))
        eps = bound.get("epsilon")
        if eps is None or _is_none(eps.value):
            args.append(NewArg(cst.Float("1e-07"), "eps", eps))
        else:
            args.append(NewArg(eps.value, "eps", eps))
        return build_call(call, ctx.name("torch.nn.functional.normalize"), args)


class _SparseCategoricalCrossentropy(Rule):
    id = "keras.ops.sparse_categorical_crossentropy"
    names = tuple(_names("sparse_categorical_crossentropy"))
    summary = "`keras.ops.sparse_categorical_crossentropy(y, logits, from_logits=True)` → `F.cross_entropy(..., reduction=\"none\")`."
    why = (
        "Keras returns the per-example loss with classes on the last axis; `F.cross_entropy` "
        "wants classes on axis 1 and int64 targets and reduces by default, so the logits get "
        "`.movedim(-1, 1)` (a no-op for 2-D), the targets `.long()`, and `reduction=\"none\"`. "
        "Keras's default `from_logits=False` takes probabilities, clipped by epsilon before the "
        "log: no torch function does that, so it stays a TODO, as does another `axis`."
    )
    example = "loss = keras.ops.sparse_categorical_crossentropy(labels, logits, from_logits=True)"
    checks = (
        Check("ops.sparse_categorical_crossentropy(y, z, from_logits=True)", {"y": "i32[4]:0..5", "z": "f32[4,5]"}, atol=1e-5),
        Check("ops.sparse_categorical_crossentropy(y, z, True, axis=-1)", {"y": "i64[2,3]:0..4", "z": "f32[2,3,4]"}, atol=1e-5),
        Check("ops.sparse_categorical_crossentropy(y, p)", {"y": "i32[4]:0..3", "p": "f32[4,3]:unit"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("target", "output", "from_logits", "axis"), ctx, required=2)
        if "from_logits" not in bound or _literal_or(bound["from_logits"].value, None) is not True:
            raise CannotMigrate("`from_logits=False` takes probabilities (clipped by epsilon before the log): no torch function does that")
        if "axis" in bound and _literal_or(bound["axis"].value, None) != -1:
            raise CannotMigrate("classes on an axis other than the last")
        y, z = bound["target"], bound["output"]
        return build_call(call, ctx.name("torch.nn.functional.cross_entropy"), [
            NewArg(_method(z.value, "movedim", to_node(-1), to_node(1)), None, z),
            NewArg(_method(y.value, "long"), None, y),
            NewArg(cst.SimpleString('"none"'), "reduction"),
        ])


class _ForiLoop(Rule):
    id = "keras.ops.fori_loop"
    names = tuple(_names("fori_loop"))
    summary = "`keras.ops.fori_loop(lo, hi, body, init)` → `functools.reduce(lambda val, i: body(i, val), range(lo, hi), init)`."
    why = (
        "Keras calls `body(i, val)` for i in [lo, hi) and threads the value through, which "
        "is a fold over the range; eager PyTorch runs it as Python. The bounds must be Python "
        "ints (a tensor bound needs `int(...)`)."
    )
    example = "total = keras.ops.fori_loop(0, steps, body, init)"
    checks = (
        Check("ops.fori_loop(0, 4, lambda i, v: v * 2.0 + i, x)", {"x": "f32[3]"}),
        Check("ops.fori_loop(2, 2, lambda i, v: v + 1, x)", {"x": "i32[2]"}),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("lower", "upper", "body_fun", "init_val"), ctx, required=4)
        body = bound["body_fun"].value
        if not (isinstance(body, cst.Lambda) or (_is_pure(body) and not isinstance(body, cst.Subscript))):
            raise CannotMigrate("`body_fun` is an expression: name the function first")
        params = cst.Parameters([cst.Param(cst.Name("val"), comma=_COMMA), cst.Param(cst.Name("i"))])
        step = cst.Lambda(params, _call(_receiver(body), cst.Arg(cst.Name("i")), cst.Arg(cst.Name("val"))))
        span = _call(cst.Name("range"), cst.Arg(bound["lower"].value), cst.Arg(bound["upper"].value))
        return _call(ctx.name("functools.reduce"), cst.Arg(step), cst.Arg(span), cst.Arg(bound["init_val"].value))


class _ImageResize(Rule):
    id = "keras.ops.image.resize"
    names = ("keras.ops.image.resize",)
    summary = "`keras.ops.image.resize(images, size)` → `F.interpolate` on a channels-first view."
    why = (
        "Keras resizes (batch, height, width, channels) images by default (the default "
        "`image_data_format`, channels_last); `F.interpolate` wants channels first, so the "
        "input is permuted to (N, C, H, W) and back. Both sample at half-pixel centres: "
        "\"bilinear\" is `mode=\"bilinear\"` (with `antialias` passed on: TF's and torch's "
        "antialiased kernels agree), \"nearest\" is `mode=\"nearest-exact\"` (torch's "
        "\"nearest\" uses the legacy asymmetric rule). Bicubic (TF's a=-0.5 vs torch's -0.75), "
        "area, crop/pad to aspect ratio, a `data_format` that is not a literal, and unbatched "
        "3-D images stay a TODO or fail loudly. Integer images come back in their dtype in "
        "Keras; cast float results back with `.round().to(dtype)`."
    )
    example = (
        "small = keras.ops.image.resize(images, (224, 224))\n"
        "masks = keras.ops.image.resize(masks, (h, w), interpolation=\"nearest\")\n"
        "cf = keras.ops.image.resize(x, size, data_format=\"channels_first\")"
    )
    checks = (
        Check("ops.image.resize(x, (10, 14))", {"x": "f32[2,5,7,3]"}, atol=1e-5),
        Check('ops.image.resize(x, (3, 4), interpolation="bilinear", antialias=True)', {"x": "f32[1,9,8,2]"}, atol=1e-5),
        Check('ops.image.resize(x, [8, 5], interpolation="nearest")', {"x": "f32[2,4,4,1]"}),
        Check('ops.image.resize(x, (6, 6), data_format="channels_first")', {"x": "f32[1,3,4,5]"}, atol=1e-5),
        Check('ops.image.resize(x, (6, 6), interpolation="bicubic")', {"x": "f32[1,4,4,3]"}, todo=True),
        Check("ops.image.resize(x, (6, 6), data_format=fmt)", {"x": "f32[1,4,4,3]"}, todo=True),
    )

    _MODES = {"bilinear": "bilinear", "nearest": "nearest-exact"}

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        signature = ("images", "size", "interpolation", "antialias", "crop_to_aspect_ratio", "pad_to_aspect_ratio", "fill_mode", "fill_value", "data_format")
        bound = _bind(call, signature, ctx, required=2)
        for name in ("crop_to_aspect_ratio", "pad_to_aspect_ratio"):
            if name in bound and _literal_or(bound[name].value, None) is not False:
                raise CannotMigrate(f"`{name}` has no `F.interpolate` equivalent")
        mode = _literal_or(bound["interpolation"].value, None) if "interpolation" in bound else "bilinear"
        if mode not in self._MODES:
            raise CannotMigrate(f"interpolation {ctx.source(bound['interpolation'].value)} has no matching `F.interpolate` mode")
        fmt = _literal_or(bound["data_format"].value, "?") if "data_format" in bound else None
        if fmt not in (None, "channels_last", "channels_first"):
            raise CannotMigrate("`data_format` is not a literal: the layout decides the permutation")
        images, size = bound["images"], bound["size"]
        value: cst.BaseExpression = images.value
        if fmt != "channels_first":
            value = _method(value, "permute", *map(to_node, (0, 3, 1, 2)))
        args = [NewArg(value, None, images), NewArg(_shape(size.value, ctx), "size", size), NewArg(cst.SimpleString(f'"{self._MODES[mode]}"'), "mode", bound.get("interpolation"))]
        if mode == "bilinear" and "antialias" in bound and _literal_or(bound["antialias"].value, None) is not False:
            args.append(NewArg(bound["antialias"].value, "antialias", bound["antialias"]))
        out = build_call(call, ctx.name("torch.nn.functional.interpolate"), args)
        return out if fmt == "channels_first" else _method(out, "permute", *map(to_node, (0, 2, 3, 1)))


class _Size(Rule):
    id = "keras.ops.size"
    names = tuple(_names("size"))
    summary = "`keras.ops.size(x)` → `x.numel()`."
    why = (
        "The number of elements. Keras gives an int32 0-d tensor, torch a Python int, which "
        "does everything the tensor did in eager code (the check compares values only)."
    )
    example = "n = keras.ops.size(mask)"
    checks = (Check("ops.size(x)", {"x": "f32[2,3]"}, dtype=False), Check("ops.size(x)", {"x": "i32[0,4]"}, dtype=False))

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        return _method(_bind(call, ("x",), ctx)["x"].value, "numel")


class _Moments(Rule):
    id = "keras.ops.moments"
    names = tuple(_names("moments"))
    summary = "`keras.ops.moments(x, axes)` → `torch.var_mean(x, dim=axes, correction=0)[::-1]`."
    why = (
        "Keras returns (mean, variance), the population variance; `torch.var_mean` returns "
        "(variance, mean) with Bessel's correction by default, so `correction=0` is written and "
        "the pair reversed. `synchronized=True` (a cross-replica mean) stays a TODO."
    )
    example = "mean, variance = keras.ops.moments(x, axes=[1, 2], keepdims=True)"
    checks = (
        Check("ops.moments(x, axes=[0])", {"x": "f32[4,3]"}, atol=1e-6),
        Check("ops.moments(x, axes=(1, 2), keepdims=True)", {"x": "f32[2,3,4]"}, atol=1e-6),
        Check("ops.moments(x, -1)", {"x": "f32[3,5]"}, atol=1e-6),
        Check("ops.moments(x, [0], synchronized=True)", {"x": "f32[3]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("x", "axes", "keepdims", "synchronized"), ctx, required=2)
        if "synchronized" in bound and _literal_or(bound["synchronized"].value, None) is not False:
            raise CannotMigrate("`synchronized=True` averages across replicas: use `torch.distributed.all_reduce`")
        args = [NewArg(bound["x"].value, None, bound["x"]), NewArg(_axis(bound["axes"].value, ctx), "dim", bound["axes"]), NewArg(to_node(0), "correction")]
        if "keepdims" in bound and _literal_or(bound["keepdims"].value, None) is not False:
            args.append(NewArg(bound["keepdims"].value, "keepdim", bound["keepdims"]))
        pair = build_call(call, ctx.name("torch.var_mean"), args)
        return cst.Subscript(pair, [cst.SubscriptElement(cst.Slice(lower=None, upper=None, step=to_node(-1), second_colon=cst.Colon()))])


class _CrossEntropy(Rule):
    """``binary_crossentropy`` / ``categorical_crossentropy`` from logits."""

    def __init__(self, name: str, torch: str, signature: tuple[str, ...], movedim: bool, checks: Sequence[Check]):
        self.id = f"keras.ops.{name}"
        self.names = tuple(_names(name))
        self.torch, self.signature, self.movedim = torch, signature, movedim
        self.summary = f"`keras.ops.{name}(y, logits, from_logits=True)` → `{torch}(..., reduction=\"none\")`."
        self.why = (
            "Keras returns the loss per element"
            + (" (per example, classes on the last axis)" if movedim else "")
            + f"; `{torch.rsplit('.', 1)[1]}` reduces by default, so `reduction=\"none\"` is written"
            + (", and classes move to axis 1 where torch wants them (`.movedim(-1, 1)`, a no-op for 2-D; the target is a probability distribution in both)." if movedim else ".")
            + " Keras's default `from_logits=False` takes probabilities clipped to [epsilon, 1 - epsilon] before the log, which no torch function does: it stays a TODO."
        )
        self.example = f"loss = keras.ops.{name}(labels, logits, from_logits=True)"
        self.checks = tuple(checks)

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, self.signature, ctx, required=2)
        if "from_logits" not in bound or _literal_or(bound["from_logits"].value, None) is not True:
            raise CannotMigrate("`from_logits=False` takes probabilities clipped by epsilon before the log: no torch function does that")
        if "axis" in bound and _literal_or(bound["axis"].value, None) != -1:
            raise CannotMigrate("classes on an axis other than the last")
        y, z = bound["target"], bound["output"]
        move = (lambda v: _method(v, "movedim", to_node(-1), to_node(1))) if self.movedim else (lambda v: v)
        return build_call(call, ctx.name(self.torch), [
            NewArg(move(z.value), None, z), NewArg(move(y.value), None, y), NewArg(cst.SimpleString('"none"'), "reduction"),
        ])


# ---------------------------------------------------------------------------------------
# The table.

_INT_SUM = (
    " Integer and bool inputs sum to int32 in Keras and to int64 in torch (the wider type "
    "torch uses for every integer reduction); checks on them compare values, not dtypes."
)

_INDEX_DTYPE = (
    " Keras returns int32 indices, torch int64 — the dtype torch's indexing, `gather` and "
    "`one_hot` require, so it is kept; the checks compare values, not dtypes."
)


def _like(name: str, torch: str) -> ApiCall:
    return ApiCall(
        id=f"keras.ops.{name}",
        tf=_names(name),
        torch=torch,
        signature="x, dtype=None",
        args={"x": Pos(0), "dtype": Kw("dtype", _dtype, omit_if=(None,))},
        summary=f"`keras.ops.{name}` → `{torch}`.",
        why="The same function: the input's shape, and its dtype unless `dtype` is given (a string dtype becomes a torch dtype).",
        example=f'y = keras.ops.{name}(x)\nm = keras.ops.{name}(x, dtype="bool")',
        checks=[
            Check(f"ops.{name}(x)", {"x": "f32[2,3]"}),
            Check(f'ops.{name}(x, dtype="int32")', {"x": "f32[4]"}),
            Check(f"ops.{name}(x)", {"x": "i64[0,2]"}),
        ],
    )


def _filled(name: str, torch: str) -> ApiCall:
    return ApiCall(
        id=f"keras.ops.{name}",
        tf=_names(name),
        torch=torch,
        signature="shape, dtype=None",
        args={"shape": Pos(0, _shape), "dtype": Kw("dtype", _dtype, omit_if=(None,))},
        summary=f"`keras.ops.{name}(shape)` → `{torch}(shape)`.",
        why=(
            "Keras's default dtype is `floatx` (float32), torch's default dtype is float32 too, "
            "so the default needs no spelling; a string dtype becomes a torch dtype and a list "
            "shape a tuple."
        ),
        example=f'y = keras.ops.{name}((batch, 4))\nm = keras.ops.{name}([2, 3], dtype="int32")',
        checks=(
            [Check(f"ops.{name}((2, 3))"), Check(f'ops.{name}([4], dtype="int32")'), Check(f"ops.{name}(n)", {"n": 3}), Check(f'ops.{name}((0, 2), "bool")')]
            if name != "empty"
            else [Check("ops.empty((2, 3))", compare="shape"), Check('ops.empty([4], dtype="int32")', compare="shape")]
        ),
    )


RULES: list[Rule] = [
    ApiCall(
        id="keras.ops.cast",
        tf=_names("cast"),
        torch="torch.as_tensor",
        signature="x, dtype",
        args={"x": Pos(0), "dtype": Kw("dtype", _dtype)},
        summary="`keras.ops.cast(x, dtype)` → `torch.as_tensor(x, dtype=dtype)`.",
        why=(
            "Keras casts tensors and Python values alike (`ops.cast(head_dim, \"float32\")` on an "
            "int is common), so `x.to(dtype)` would fail on a number: `torch.as_tensor` converts "
            "both, returning `x.to(dtype)` for a tensor (differentiable, same device). Float to "
            "int truncates towards zero in both; a string dtype becomes the torch dtype."
        ),
        example='y = keras.ops.cast(mask, "float32")\nscale = keras.ops.cast(head_dim, x.dtype)',
        checks=[
            Check('ops.cast(x, "float32")', {"x": "i32[2,3]"}),
            Check('ops.cast(x, "int32")', {"x": "f32[5]:-3..3"}),
            Check('ops.cast(x, dtype="bool")', {"x": "i64[0]"}),
            Check('ops.cast(n, "float32")', {"n": 64}),
            Check("ops.cast(x, y.dtype)", {"x": "bool[3]", "y": "f16[1]"}),
            Check('ops.cast(x, "bfloat16")', {"x": "f32[3]"}, atol=1e-2),
        ],
    ),
    _Shape(),
    ApiCall(
        id="keras.ops.reshape",
        tf=_names("reshape"),
        torch="torch.reshape",
        signature="x, newshape",
        args={"x": Pos(0), "newshape": Pos(1, _shape)},
        summary="`keras.ops.reshape(x, shape)` → `torch.reshape(x, shape)`.",
        why="The same operation; -1 infers a dimension in both. A list literal shape becomes a tuple.",
        example="y = keras.ops.reshape(x, (batch, -1, heads, dim))",
        checks=[
            Check("ops.reshape(x, (2, -1))", {"x": "f32[2,3,4]"}),
            Check("ops.reshape(x, [3, 2, 1])", {"x": "i32[6]"}),
            Check("ops.reshape(x, newshape=(0, 5))", {"x": "f32[0]"}),
            Check("ops.reshape(x, ())", {"x": "f32[1]"}),
        ],
    ),
    _ExpandDims(),
    _Transpose(),
    _reduction(
        "sum", "torch.sum", keepdim_needs_dim=True,
        why="The same reduction; a list of axes becomes a tuple. `torch.sum` takes `keepdim` only with a `dim`, so `dim=None` is written when `keepdims` comes alone." + _INT_SUM,
        checks=[
            Check("ops.sum(x)", {"x": "f32[2,3]"}, atol=1e-5),
            Check("ops.sum(x, axis=-1)", {"x": "f32[2,3,4]"}, atol=1e-5),
            Check("ops.sum(x, axis=[0, 2], keepdims=True)", {"x": "f32[2,3,4]"}, atol=1e-5),
            Check("ops.sum(x, keepdims=True)", {"x": "f32[2,3]"}, atol=1e-5),
            Check("ops.sum(x, axis=1)", {"x": "f32[2,0]"}),
            Check("ops.sum(x, axis=0)", {"x": "i32[4,2]"}, dtype=False),
            Check("ops.sum(m, axis=-1)", {"m": "bool[3,4]"}, dtype=False),
        ],
    ),
    ApiCall(
        id="keras.ops.concatenate",
        tf=_names("concatenate"),
        torch="torch.cat",
        signature="xs, axis=0",
        args={"xs": Pos(0), "axis": Kw("dim", _not_none("axis"), omit_if=(0,))},
        summary="`keras.ops.concatenate(xs, axis)` → `torch.cat(xs, dim=axis)`.",
        why="The same operation and default axis 0; both promote mixed dtypes. NumPy's `axis=None` (flatten first) stays a TODO.",
        example="y = keras.ops.concatenate([a, b], axis=-1)",
        checks=[
            Check("ops.concatenate([a, b], axis=-1)", {"a": "f32[2,3]", "b": "f32[2,4]"}),
            Check("ops.concatenate((a, b))", {"a": "i32[0,3]", "b": "i32[2,3]"}),
            Check("ops.concatenate([a, b], 1)", {"a": "f32[2,1,2]", "b": "f32[2,3,2]"}),
            Check("ops.concatenate([a, b], axis=None)", {"a": "f32[2]", "b": "f32[2]"}, todo=True),
        ],
    ),
    ApiCall(
        id="keras.ops.stack",
        tf=_names("stack"),
        torch="torch.stack",
        signature="x, axis=0",
        args={"x": Pos(0), "axis": Kw("dim", omit_if=(0,))},
        summary="`keras.ops.stack(xs, axis)` → `torch.stack(xs, dim=axis)`.",
        why="The same operation and default axis 0.",
        example="y = keras.ops.stack([a, b], axis=1)",
        checks=[
            Check("ops.stack([a, b])", {"a": "f32[2,3]", "b": "f32[2,3]"}),
            Check("ops.stack([a, b], axis=-1)", {"a": "i32[2]", "b": "i32[2]"}),
            Check("ops.stack((a,), 1)", {"a": "f32[0,2]"}),
        ],
    ),
    _Arange(),
    _binary("multiply", "torch.multiply", swap="torch.multiply", example="y = keras.ops.multiply(x, mask)\nz = keras.ops.multiply(0.5, x)", checks=[
        Check("ops.multiply(x, y)", {"x": "f32[2,3]", "y": "f32[3]"}),
        Check("ops.multiply(x, 2)", {"x": "i32[4]"}),
        Check("ops.multiply(0.5, x)", {"x": "f32[2]"}),
        Check("ops.multiply(x, y)", {"x": "i8[3]", "y": "i32[3]"}),
        Check("ops.multiply(x, 1.5)", {"x": "f16[0]"}),
    ]),
    _binary("add", "torch.add", swap="torch.add", example="y = keras.ops.add(x, residual)\nz = keras.ops.add(x, 1e-6)", checks=[
        Check("ops.add(x, y)", {"x": "f32[2,3]", "y": "f32[2,1]"}),
        Check("ops.add(x, 1)", {"x": "i32[3]"}),
        Check("ops.add(1.5, x)", {"x": "i32[3]"}),
        Check("ops.add(x, y)", {"x": "f16[2]", "y": "f32[2]"}),
        Check("ops.add(x, y)", {"x": "f32[0]", "y": "f32[1]"}),
    ]),
    _filled("zeros", "torch.zeros"),
    ApiCall(
        id="keras.ops.squeeze",
        tf=_names("squeeze"),
        torch="torch.squeeze",
        signature="x, axis=None",
        args={"x": Pos(0), "axis": Pos(1, _axis, omit_if=(None,))},
        summary="`keras.ops.squeeze(x, axis)` → `torch.squeeze(x, axis)`.",
        why=(
            "The same operation; a list of axes becomes a tuple. Keras raises when a named axis "
            "is not of size 1, torch leaves such an axis alone."
        ),
        example="y = keras.ops.squeeze(x, axis=-1)",
        checks=[
            Check("ops.squeeze(x)", {"x": "f32[1,3,1]"}),
            Check("ops.squeeze(x, axis=-1)", {"x": "i32[2,1]"}),
            Check("ops.squeeze(x, axis=(0, 2))", {"x": "f32[1,0,1]"}),
        ],
    ),
    _Where(),
    _Einsum(),
    _ConvertToTensor("convert_to_tensor", ("x", "dtype", "sparse", "ragged"), checks=[
        Check("ops.convert_to_tensor(x)", {"x": "f32[2,3]"}),
        Check("ops.convert_to_tensor([1, 2, 3])"),
        Check("ops.convert_to_tensor(1.5)"),
        Check('ops.convert_to_tensor(True, dtype="bool")'),
        Check('ops.convert_to_tensor(n, "int32")', {"n": 7}),
        Check("ops.convert_to_tensor([[0.5, 1], [2, 3]])"),
        Check("ops.convert_to_tensor(x, dtype=y.dtype)", {"x": "i32[3]", "y": "f64[1]"}),
        Check("f = ops.convert_to_tensor\nresult = f(x)", {"x": "f32[2]"}),
        Check("ops.convert_to_tensor(x, sparse=True)", {"x": "f32[2]"}, todo=True),
    ]),
    _unary("logical_not", "torch.logical_not", checks=[
        Check("ops.logical_not(m)", {"m": "bool[2,3]"}),
        Check("ops.logical_not(x)", {"x": "f32[4]:0..2"}),
        Check("ops.logical_not(m)", {"m": "bool[0]"}),
    ], why="The same element-wise function; both treat a non-zero number as true and return bool."),
    _Slice(),
    _SliceUpdate(),
    ApiCall(
        id="keras.ops.clip",
        tf=_names("clip"),
        torch="torch.clamp",
        signature="x, x_min, x_max",
        args={"x": Pos(0), "x_min": Pos(1), "x_max": Pos(2)},
        summary="`keras.ops.clip(x, lo, hi)` → `torch.clamp(x, lo, hi)`.",
        why="The same operation, with numbers or tensors as bounds. (Keras clips bool inputs as int32; torch refuses bool.)",
        example="y = keras.ops.clip(x, 0.0, 1.0)",
        checks=[
            Check("ops.clip(x, -0.5, 0.5)", {"x": "f32[2,3]"}),
            Check("ops.clip(x, 0, 3)", {"x": "i32[6]"}),
            Check("ops.clip(x, lo, hi)", {"x": "f32[4]", "lo": "f32[4]:-2..0", "hi": "f32[4]:0..2"}),
            Check("ops.clip(x, x_min=0.0, x_max=1.0)", {"x": "f32[0]"}),
        ],
    ),
    _binary("matmul", "torch.matmul", example="scores = keras.ops.matmul(q, keras.ops.transpose(k, (0, 2, 1)))", checks=[
        Check("ops.matmul(a, b)", {"a": "f32[2,3]", "b": "f32[3,4]"}, atol=1e-5),
        Check("ops.matmul(a, b)", {"a": "f32[5,2,3]", "b": "f32[3,4]"}, atol=1e-5),
        Check("ops.matmul(a, b)", {"a": "f32[2,0]", "b": "f32[0,3]"}),
        Check("ops.matmul(a, b)", {"a": "f32[4]", "b": "f32[4]"}, atol=1e-5),
    ], why="Keras multiplies int8 operands into int32; torch keeps int8."),
    _reduction(
        "mean", "torch.mean", keepdim_needs_dim=True,
        why=(
            "The same reduction; a list of axes becomes a tuple and `dim=None` is written when "
            "`keepdims` comes alone. Keras averages an integer input as float32, `torch.mean` "
            "refuses one (an error, not a wrong value): cast it first."
        ),
        checks=[
            Check("ops.mean(x)", {"x": "f32[2,3]"}, atol=1e-6),
            Check("ops.mean(x, axis=-1, keepdims=True)", {"x": "f32[2,3,4]"}, atol=1e-6),
            Check("ops.mean(x, axis=(0, 1))", {"x": "f16[2,3,4]"}, atol=1e-2),
            Check("ops.mean(x, keepdims=True)", {"x": "f32[3]"}, atol=1e-6),
            Check("ops.mean(x, axis=1)", {"x": "f32[0,3]"}),
        ],
    ),
    _unary("sqrt", "torch.sqrt", why="The same function; both compute an integer input as float32.", checks=[
        Check("ops.sqrt(x)", {"x": "f32[2,3]:pos"}),
        Check("ops.sqrt(x)", {"x": "i32[4]:0..9"}),
        Check("ops.sqrt(x)", {"x": "f64[0]"}),
    ]),
    _binary("maximum", "torch.maximum", clamp="min", example="y = keras.ops.maximum(x, 0.0)\nz = keras.ops.maximum(a, b)", checks=[
        Check("ops.maximum(x, y)", {"x": "f32[2,3]", "y": "f32[3]"}),
        Check("ops.maximum(x, 0.0)", {"x": "f32[4]"}),
        Check("ops.maximum(1, x)", {"x": "i32[4]"}),
        Check("ops.maximum(x, y)", {"x": "i32[0]", "y": "i32[1]"}),
    ]),
    _binary("minimum", "torch.minimum", clamp="max", example="y = keras.ops.minimum(x, 6.0)\nz = keras.ops.minimum(a, b)", checks=[
        Check("ops.minimum(x, y)", {"x": "f32[2,3]", "y": "f32[2,3]"}),
        Check("ops.minimum(x, 1e-3)", {"x": "f32[4]:unit"}),
        Check("ops.minimum(3, x)", {"x": "i64[4]"}),
    ]),
    _like("ones_like", "torch.ones_like"),
    ApiCall(
        id="keras.ops.tile",
        tf=_names("tile"),
        torch="torch.tile",
        signature="x, repeats",
        args={"x": Pos(0), "repeats": Pos(1, _shape)},
        summary="`keras.ops.tile(x, reps)` → `torch.tile(x, reps)`.",
        why="NumPy's `tile`, which `torch.tile` copies: fewer repeats than axes are padded with leading 1s, more add axes.",
        example="y = keras.ops.tile(x, [batch, 1, 1])",
        checks=[
            Check("ops.tile(x, [2, 1])", {"x": "f32[2,3]"}),
            Check("ops.tile(x, (2,))", {"x": "i32[2,3]"}),
            Check("ops.tile(x, [2, 1, 3])", {"x": "f32[2,0]"}),
        ],
    ),
    _Cumsum(),
    _ConvertToNumpy(),
    _filled("ones", "torch.ones"),
    _like("zeros_like", "torch.zeros_like"),
    _binary("divide", "torch.divide", operator=_op(cst.Divide), example="probs = keras.ops.divide(counts, total)\ninv = keras.ops.divide(1.0, scale)", checks=[
        Check("ops.divide(x, y)", {"x": "f32[2,3]", "y": "f32[3]:pos"}),
        Check("ops.divide(x, 2)", {"x": "i32[4]"}),
        Check("ops.divide(x, y)", {"x": "i64[3]", "y": "i64[3]:1..5"}),
        Check("ops.divide(1.0, x)", {"x": "f32[3]:pos"}),
    ], why="Both divide integers as true division into float32 (torch's default dtype), int64 included."),
    _Pad(),
    _binary("logical_and", "torch.logical_and", example="keep = keras.ops.logical_and(valid, keras.ops.logical_not(padding))", checks=[
        Check("ops.logical_and(a, b)", {"a": "bool[2,3]", "b": "bool[3]"}),
        Check("ops.logical_and(a, b)", {"a": "f32[4]:0..2", "b": "bool[4]"}),
    ]),
    _Take(),
    ApiCall(
        id="keras.ops.broadcast_to",
        tf=_names("broadcast_to"),
        torch="torch.broadcast_to",
        signature="x, shape",
        args={"x": Pos(0), "shape": Pos(1, _shape)},
        summary="`keras.ops.broadcast_to(x, shape)` → `torch.broadcast_to(x, shape)`.",
        why="The same operation (torch returns a view).",
        example="y = keras.ops.broadcast_to(mask, (batch, heads, length, length))",
        checks=[
            Check("ops.broadcast_to(x, (2, 3))", {"x": "f32[3]"}),
            Check("ops.broadcast_to(x, [4, 2, 3])", {"x": "i32[2,1]"}),
            Check("ops.broadcast_to(x, (0, 3))", {"x": "f32[1,3]"}),
        ],
    ),
    ApiCall(
        id="keras.ops.repeat",
        tf=_names("repeat"),
        torch="torch.repeat_interleave",
        signature="x, repeats, axis=None",
        args={"x": Pos(0), "repeats": Pos(1), "axis": Kw("dim", _int_axis, omit_if=(None,))},
        summary="`keras.ops.repeat(x, n, axis)` → `torch.repeat_interleave(x, n, dim=axis)`.",
        why=(
            "NumPy's `repeat` (each element repeated in place) is `torch.repeat_interleave`; "
            "`Tensor.repeat` tiles instead. Both flatten without an axis. Per-element counts "
            "must be a tensor in torch."
        ),
        example="k = keras.ops.repeat(k, groups, axis=2)",
        checks=[
            Check("ops.repeat(x, 2, axis=1)", {"x": "f32[2,3]"}),
            Check("ops.repeat(x, 3)", {"x": "i32[2,2]"}),
            Check("ops.repeat(x, r, axis=0)", {"x": "f32[3,2]", "r": "i64[3]:0..3"}),
            Check("ops.repeat(x, 2, axis=-1)", {"x": "f32[2,0]"}),
        ],
    ),
    _reduction(
        "min", "torch.amin", initial=True,
        why="`torch.min` with a `dim` returns (values, indices); `torch.amin` returns the values like Keras, and reduces every axis without a `dim`. `initial=` stays a TODO.",
        checks=[
            Check("ops.min(x)", {"x": "f32[2,3]"}),
            Check("ops.min(x, axis=-1, keepdims=True)", {"x": "i32[2,3]"}),
            Check("ops.min(x, axis=(0, 1))", {"x": "f32[2,3,4]"}),
            Check("ops.min(x, keepdims=True)", {"x": "f32[2,3]"}),
            Check("ops.min(x, axis=0, initial=0.0)", {"x": "f32[3]"}, todo=True),
        ],
    ),
    _binary("power", "torch.pow", operator=_op(cst.Power), example="sq = keras.ops.power(x, 2)\ninv_freq = keras.ops.power(10000.0, exponent)", checks=[
        Check("ops.power(x, 2)", {"x": "f32[2,3]"}),
        Check("ops.power(x, y)", {"x": "f32[3]:pos", "y": "f32[3]"}, atol=1e-5),
        Check("ops.power(x, 3)", {"x": "i32[4]"}),
        Check("ops.power(10000.0, x)", {"x": "f32[4]:unit"}, rtol=1e-4),
    ]),
    _binary("equal", "torch.eq", swap="torch.eq", example="is_pad = keras.ops.equal(ids, 0)\nsame = keras.ops.equal(a, b)", checks=[
        Check("ops.equal(x, y)", {"x": "i32[2,3]:0..2", "y": "i32[3]:0..2"}),
        Check("ops.equal(x, 0)", {"x": "i64[5]:0..3"}),
        Check("ops.equal(1, x)", {"x": "i32[5]:0..3"}),
    ]),
    ApiCall(
        id="keras.ops.split",
        tf=_names("split"),
        torch="torch.tensor_split",
        signature="x, indices_or_sections, axis=0",
        args={"x": Pos(0), "indices_or_sections": Pos(1, _shape), "axis": Kw("dim", _int_axis, omit_if=(0,))},
        summary="`keras.ops.split(x, n_or_indices, axis)` → `torch.tensor_split(x, n_or_indices, dim=axis)`.",
        why=(
            "NumPy's `split` takes a number of equal sections or a list of split *indices*; "
            "`torch.tensor_split` takes exactly those (NumPy's `array_split`), while "
            "`torch.split` takes section *sizes*. A count that does not divide the axis is an "
            "error in Keras and uneven sections in torch. Keras returns a list, torch a tuple."
        ),
        example="q, k, v = keras.ops.split(qkv, 3, axis=-1)\nhead, tail = keras.ops.split(x, [4], axis=1)",
        checks=[
            Check("ops.split(x, 3, axis=-1)", {"x": "f32[2,6]"}),
            Check("ops.split(x, [1, 3], axis=1)", {"x": "i32[2,5]"}),
            Check("ops.split(x, 2)", {"x": "f32[4,3]"}),
            Check("ops.split(x, 2, axis=1)", {"x": "f32[0,2]"}),
        ],
    ),
    _TakeAlongAxis(),
    ApiCall(
        id="keras.ops.softmax",
        tf=_names("softmax"),
        torch="torch.softmax",
        signature="x, axis=-1",
        args={"x": Pos(0), "axis": Kw("dim", _int_axis, default=-1)},
        summary="`keras.ops.softmax(x, axis=-1)` → `torch.softmax(x, dim=-1)`.",
        why="Keras defaults to the last axis; torch needs the axis stated, so it is written.",
        example="p = keras.ops.softmax(logits)\nq = keras.ops.softmax(scores, axis=1)",
        checks=[
            Check("ops.softmax(x)", {"x": "f32[2,5]"}),
            Check("ops.softmax(x, axis=1)", {"x": "f32[2,3,4]"}),
            Check("ops.softmax(x, axis=-1)", {"x": "f16[3,0]"}),
            Check("ops.softmax(x, axis=(1, 2))", {"x": "f32[2,3,4]"}, todo=True),
        ],
    ),
    _unary("cos", "torch.cos", checks=[Check("ops.cos(x)", {"x": "f32[2,3]"}), Check("ops.cos(x)", {"x": "i32[3]"}), Check("ops.cos(x)", {"x": "f32[0]"})],
           why="The same function; both compute an integer input as float32."),
    _Attention(),
    _unary("sin", "torch.sin", checks=[Check("ops.sin(x)", {"x": "f32[2,3]"}), Check("ops.sin(x)", {"x": "i32[3]"}), Check("ops.sin(x)", {"x": "f64[0]"})],
           why="The same function; both compute an integer input as float32."),
    _unary("log", "torch.log", checks=[Check("ops.log(x)", {"x": "f32[2,3]:pos"}), Check("ops.log(x)", {"x": "i32[3]:1..9"}), Check("ops.log(x)", {"x": "f32[0]"})],
           why="The same function; both compute an integer input as float32."),
    _unary("sigmoid", "torch.sigmoid", checks=[Check("ops.sigmoid(x)", {"x": "f32[2,3]"}), Check("ops.sigmoid(x)", {"x": "f16[4]"}, atol=1e-3), Check("ops.sigmoid(x)", {"x": "f32[0]"})]),
    _ScatterUpdate(),
    _binary("subtract", "torch.subtract", operator=_op(cst.Subtract), example="delta = keras.ops.subtract(x, mean)\nkeep = keras.ops.subtract(1.0, rate)", checks=[
        Check("ops.subtract(x, y)", {"x": "f32[2,3]", "y": "f32[3]"}),
        Check("ops.subtract(x, 1)", {"x": "i32[3]"}),
        Check("ops.subtract(1.0, x)", {"x": "f32[3]:unit"}),
        Check("ops.subtract(-1, x)", {"x": "i32[3]"}),
    ]),
    _Cond(),
    _unary("is_tensor", "torch.is_tensor", why="Both answer whether `x` is a tensor of the framework (a NumPy array is not).", checks=[
        Check("ops.is_tensor(x)", {"x": "f32[2]"}),
        Check("ops.is_tensor(x)", {"x": 3}),
    ]),
    _reduction(
        "any", "torch.any",
        why="The same reduction to bool, every axis without an `axis`; a list of axes becomes a tuple. Numbers count as true when non-zero in both.",
        checks=[
            Check("ops.any(m)", {"m": "bool[2,3]"}),
            Check("ops.any(m, axis=-1, keepdims=True)", {"m": "bool[2,3]"}),
            Check("ops.any(x, axis=0)", {"x": "i32[3,2]:0..2"}),
            Check("ops.any(m, axis=1)", {"m": "bool[2,0]"}),
        ],
    ),
    _unary("rsqrt", "torch.rsqrt", why="The same function, 1/sqrt(x).", checks=[
        Check("ops.rsqrt(x)", {"x": "f32[2,3]:pos"}, atol=1e-5),
        Check("ops.rsqrt(x)", {"x": "f32[0]"}),
    ]),
    ApiCall(
        id="keras.ops.argmax",
        tf=_names("argmax"),
        torch="torch.argmax",
        signature="x, axis=None, keepdims=False",
        args={"x": Pos(0), "axis": Kw("dim", _int_axis, omit_if=(None,)), "keepdims": Kw("keepdim", omit_if=(False,))},
        summary="`keras.ops.argmax(x, axis)` → `torch.argmax(x, dim=axis)`.",
        why="NumPy's `argmax` flattens without an axis, as `torch.argmax` does without a `dim`; ties go to the first index in both." + _INDEX_DTYPE,
        example="ids = keras.ops.argmax(logits, axis=-1)",
        checks=[
            Check("ops.argmax(x, axis=-1)", {"x": "f32[2,5]"}, dtype=False),
            Check("ops.argmax(x)", {"x": "f32[3,4]"}, dtype=False),
            Check("ops.argmax(x, axis=0, keepdims=True)", {"x": "i32[4,3]"}, dtype=False),
        ],
    ),
    _unary("tanh", "torch.tanh", checks=[Check("ops.tanh(x)", {"x": "f32[2,3]"}), Check("ops.tanh(x)", {"x": "f32[0]"})]),
    ApiCall(
        id="keras.ops.top_k",
        tf=_names("top_k"),
        torch="torch.topk",
        signature="x, k, sorted=True",
        args={"x": Pos(0), "k": Pos(1), "sorted": Kw("sorted", omit_if=(True,))},
        summary="`keras.ops.top_k(x, k)` → `torch.topk(x, k)`.",
        why="Both take the k largest along the last axis and return (values, indices)." + _INDEX_DTYPE,
        example="values, indices = keras.ops.top_k(logits, k=5)",
        checks=[
            Check("ops.top_k(x, 2)", {"x": "f32[3,5]"}, dtype=False),
            Check("ops.top_k(x, k=3)", {"x": "f32[6]"}, dtype=False),
            Check("ops.top_k(x, 1)[0]", {"x": "i32[2,4]"}),
        ],
    ),
    _unary("exp", "torch.exp", checks=[Check("ops.exp(x)", {"x": "f32[2,3]"}), Check("ops.exp(x)", {"x": "i32[3]"}, atol=1e-5), Check("ops.exp(x)", {"x": "f32[0]"})],
           why="The same function; both compute an integer input as float32."),
    ApiCall(
        id="keras.ops.stop_gradient",
        tf=_names("stop_gradient"),
        torch="Tensor.detach",
        signature="variable",
        args={"variable": Pos(0)},
        summary="`keras.ops.stop_gradient(x)` → `x.detach()`.",
        why="Both return the same values cut from the autograd graph.",
        example="target = keras.ops.stop_gradient(teacher_logits)",
        checks=[Check("ops.stop_gradient(x)", {"x": "f32[2,3]"}), Check("ops.stop_gradient(x * 2)", {"x": "i32[0]"})],
    ),
    _ConvertToTensor("array", ("x", "dtype"), checks=[
        Check("ops.array([1, 2, 3])"),
        Check("ops.array([0.5, 1.5])"),
        Check('ops.array(x, dtype="float32")', {"x": "i32[2,2]"}),
    ]),
    _OneHot(),
    _unary("square", "torch.square", checks=[Check("ops.square(x)", {"x": "f32[2,3]"}), Check("ops.square(x)", {"x": "i32[4]"}), Check("ops.square(x)", {"x": "f32[0]"})]),
    _unary("floor", "torch.floor", why="The same function. (Keras floors an integer input as float32; torch keeps the integer dtype.)",
           checks=[Check("ops.floor(x)", {"x": "f32[2,3]"}), Check("ops.floor(x)", {"x": "f64[0]"})]),
    _reduction(
        "max", "torch.amax", initial=True,
        why="`torch.max` with a `dim` returns (values, indices); `torch.amax` returns the values like Keras, and reduces every axis without a `dim`. `initial=` stays a TODO.",
        checks=[
            Check("ops.max(x)", {"x": "f32[2,3]"}),
            Check("ops.max(x, axis=-1)", {"x": "i32[2,3]"}),
            Check("ops.max(x, axis=[0, 2], keepdims=True)", {"x": "f32[2,3,4]"}),
            Check("ops.max(x, keepdims=True)", {"x": "f32[2,3]"}),
            Check("ops.max(x, axis=0, initial=1.0)", {"x": "f32[3]"}, todo=True),
        ],
    ),
    _reduction(
        "all", "torch.all",
        why="The same reduction to bool, every axis without an `axis`; a list of axes becomes a tuple.",
        checks=[
            Check("ops.all(m)", {"m": "bool[2,3]"}),
            Check("ops.all(m, axis=0, keepdims=True)", {"m": "bool[2,3]"}),
            Check("ops.all(x, axis=-1)", {"x": "i32[3,2]:0..2"}),
        ],
    ),
    _binary("greater", "torch.gt", operator=_op(cst.GreaterThan), example="mask = keras.ops.greater(scores, threshold)\npos = keras.ops.greater(x, 0)", checks=[
        Check("ops.greater(x, y)", {"x": "f32[2,3]", "y": "f32[3]"}),
        Check("ops.greater(x, 0)", {"x": "i32[5]"}),
        Check("ops.greater(0.5, x)", {"x": "f32[4]:unit"}),
    ]),
    _unary("silu", "torch.nn.functional.silu", why="The same function, x * sigmoid(x).", checks=[
        Check("ops.silu(x)", {"x": "f32[2,3]"}),
        Check("ops.silu(x)", {"x": "f32[0]"}),
    ]),
    ApiCall(
        id="keras.ops.triu",
        tf=_names("triu"),
        torch="torch.triu",
        signature="x, k=0",
        args={"x": Pos(0), "k": Kw("diagonal", omit_if=(0,))},
        summary="`keras.ops.triu(x, k)` → `torch.triu(x, diagonal=k)`.",
        why="The same operation on the last two axes; `k` is called `diagonal`.",
        example="mask = keras.ops.triu(ones, k=1)",
        checks=[
            Check("ops.triu(x)", {"x": "f32[3,4]"}),
            Check("ops.triu(x, k=1)", {"x": "i32[2,3,3]"}),
            Check("ops.triu(x, -1)", {"x": "f32[4,2]"}),
        ],
    ),
    _unary("abs", "torch.abs", checks=[Check("ops.abs(x)", {"x": "f32[2,3]"}), Check("ops.abs(x)", {"x": "i8[4]"}), Check("ops.abs(x)", {"x": "f32[0]"})]),
    _binary("greater_equal", "torch.ge", operator=_op(cst.GreaterThanEqual), example="mask = keras.ops.greater_equal(positions, start)", checks=[
        Check("ops.greater_equal(x, y)", {"x": "i32[2,3]:0..3", "y": "i32[3]:0..3"}),
        Check("ops.greater_equal(x, 0.0)", {"x": "f32[5]"}),
        Check("ops.greater_equal(2, x)", {"x": "i32[5]:0..4"}),
    ]),
    ApiCall(
        id="keras.ops.linspace",
        tf=_names("linspace"),
        torch="torch.linspace",
        signature="start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0",
        args={
            "start": Pos(0),
            "stop": Pos(1),
            "num": Pos(2, default=50),
            "endpoint": Drop(only=(True,), why="torch always includes the end point"),
            "retstep": Drop(only=(False,)),
            "dtype": Kw("dtype", _dtype, default="float32"),
            "axis": Drop(only=(0,)),
        },
        summary="`keras.ops.linspace(a, b, n)` → `torch.linspace(a, b, n, dtype=torch.float32)`.",
        why=(
            "The same points. NumPy's default of 50 points is written (torch has none), and the "
            "dtype too: Keras gives float32 (floatx) for Python bounds, torch its default dtype. "
            "`endpoint=False`, `retstep=True` and tensor bounds along `axis` stay a TODO."
        ),
        example="t = keras.ops.linspace(0.0, 1.0, steps)",
        checks=[
            Check("ops.linspace(0.0, 1.0, 5)"),
            Check("ops.linspace(-2, 2)"),
            Check('ops.linspace(0, 10, num=6, dtype="int32")'),
            Check("ops.linspace(0.0, 1.0, 0)"),
            Check("ops.linspace(0.0, 1.0, 5, endpoint=False)", todo=True),
        ],
    ),
    _binary("logical_or", "torch.logical_or", example="drop = keras.ops.logical_or(is_pad, is_eos)", checks=[
        Check("ops.logical_or(a, b)", {"a": "bool[2,3]", "b": "bool[3]"}),
        Check("ops.logical_or(a, b)", {"a": "bool[0]", "b": "bool[0]"}),
    ]),
    _Ndim(),
    _binary("not_equal", "torch.ne", swap="torch.ne", example="mask = keras.ops.not_equal(ids, pad_id)", checks=[
        Check("ops.not_equal(x, y)", {"x": "i32[2,3]:0..2", "y": "i32[2,3]:0..2"}),
        Check("ops.not_equal(x, 0)", {"x": "i32[6]:0..3"}),
        Check("ops.not_equal(x, 1.0)", {"x": "f32[0]"}),
    ]),
    ApiCall(
        id="keras.ops.tril",
        tf=_names("tril"),
        torch="torch.tril",
        signature="x, k=0",
        args={"x": Pos(0), "k": Kw("diagonal", omit_if=(0,))},
        summary="`keras.ops.tril(x, k)` → `torch.tril(x, diagonal=k)`.",
        why="The same operation on the last two axes; `k` is called `diagonal`.",
        example="causal = keras.ops.tril(ones)",
        checks=[
            Check("ops.tril(x)", {"x": "f32[3,4]"}),
            Check("ops.tril(x, k=-1)", {"x": "i32[2,3,3]"}),
            Check("ops.tril(m)", {"m": "bool[3,3]"}),
        ],
    ),
    _binary("less", "torch.lt", operator=_op(cst.LessThan), example="mask = keras.ops.less(positions, length)\nlow = keras.ops.less(0.5, x)", checks=[
        Check("ops.less(x, y)", {"x": "f32[2,3]", "y": "f32[3]"}),
        Check("ops.less(x, 3)", {"x": "i32[5]"}),
        Check("ops.less(0, x)", {"x": "i32[5]"}),
    ]),
    ApiCall(
        id="keras.ops.unstack",
        tf=_names("unstack"),
        torch="torch.unbind",
        signature="x, num=None, axis=0",
        args={"x": Pos(0), "num": DROP, "axis": Kw("dim", _int_axis, omit_if=(0,))},
        summary="`keras.ops.unstack(x, axis)` → `torch.unbind(x, dim=axis)`.",
        why="The same operation; `num` only states the count, which torch reads from the shape. Keras returns a list, torch a tuple.",
        example="a, b = keras.ops.unstack(pair, axis=-1)",
        checks=[
            Check("ops.unstack(x)", {"x": "f32[2,3]"}),
            Check("ops.unstack(x, num=3, axis=-1)", {"x": "i32[2,3]"}),
            Check("ops.unstack(x, axis=1)", {"x": "f32[0,2]"}),
        ],
    ),
    ApiCall(
        id="keras.ops.full",
        tf=_names("full"),
        torch="torch.full",
        signature="shape, fill_value, dtype=None",
        args={"shape": Pos(0, _shape), "fill_value": Pos(1), "dtype": Kw("dtype", _dtype, default="float32")},
        summary="`keras.ops.full(shape, v)` → `torch.full(shape, v, dtype=torch.float32)`.",
        why=(
            "Without `dtype` Keras fills with floatx (float32) whatever the value; torch infers "
            "the dtype from the value (int64 for an int), so float32 is written."
        ),
        example="mask = keras.ops.full((batch, length), -1e9)",
        checks=[
            Check("ops.full((2, 3), 1)"),
            Check("ops.full([4], -1e9)"),
            Check('ops.full((2,), 7, dtype="int32")'),
            Check("ops.full((0, 2), True, \"bool\")"),
        ],
    ),
    _unary("relu", "torch.relu", checks=[Check("ops.relu(x)", {"x": "f32[2,3]"}), Check("ops.relu(x)", {"x": "i32[4]"}), Check("ops.relu(x)", {"x": "f32[0]"})]),
    ApiCall(
        id="keras.ops.round",
        tf=_names("round"),
        torch="torch.round",
        signature="x, decimals=0",
        args={"x": Pos(0), "decimals": Kw("decimals", omit_if=(0,))},
        summary="`keras.ops.round(x, decimals)` → `torch.round(x, decimals=decimals)`.",
        why="Both round half to even.",
        example="y = keras.ops.round(x * 100) / 100",
        checks=[
            Check("ops.round(x)", {"x": "f32[2,3]"}),
            Check('ops.round(ops.cast(x, "float32") + 0.5)', {"x": "i32[8]"}),
            Check("ops.round(x, decimals=2)", {"x": "f32[4]"}, atol=1e-6),
        ],
    ),
    _binary("floor_divide", "torch.floor_divide", operator=_op(cst.FloorDivide), example="row = keras.ops.floor_divide(index, width)", checks=[
        Check("ops.floor_divide(x, y)", {"x": "i32[5]", "y": "i32[5]:1..4"}),
        Check("ops.floor_divide(x, 2)", {"x": "i32[6]"}),
        Check("ops.floor_divide(x, 0.5)", {"x": "f32[4]"}),
    ], why="Both round towards negative infinity."),
    _unary("ceil", "torch.ceil", why="The same function. (Keras rounds an integer input up as float32; torch keeps the integer dtype.)",
           checks=[Check("ops.ceil(x)", {"x": "f32[2,3]"}), Check("ops.ceil(x)", {"x": "f32[0]"})]),
    _Dtype(),
    ApiCall(
        id="keras.ops.eye",
        tf=_names("eye"),
        torch="torch.eye",
        signature="N, M=None, k=0, dtype=None",
        args={"N": Pos(0), "M": Pos(1, omit_if=(None,)), "k": Drop(only=(0,), why="`torch.eye` has no diagonal offset"), "dtype": Kw("dtype", _dtype, omit_if=(None,))},
        summary="`keras.ops.eye(n, m)` → `torch.eye(n, m)`.",
        why="The same matrix, float32 by default in both. An offset diagonal (`k`) stays a TODO.",
        example="identity = keras.ops.eye(dim)",
        checks=[
            Check("ops.eye(3)"),
            Check("ops.eye(2, 4)"),
            Check('ops.eye(3, dtype="int32")'),
            Check("ops.eye(3, k=1)", todo=True),
        ],
    ),
    _Flip(),
    _Meshgrid(),
    _unary("softplus", "torch.nn.functional.softplus", why="The same function, log(1 + exp(x)) (torch returns x itself above 20, where they agree in float32).", checks=[
        Check("ops.softplus(x)", {"x": "f32[2,3]"}, atol=1e-6),
        Check("ops.softplus(x)", {"x": "f32[4]:15..30"}),
    ]),
    _unary("sign", "torch.sign", checks=[Check("ops.sign(x)", {"x": "f32[2,3]"}), Check("ops.sign(x)", {"x": "i32[5]"})]),
    _Extra(
        extra={"stable": True},
        id="keras.ops.argsort",
        tf=_names("argsort"),
        torch="torch.argsort",
        signature="x, axis=-1",
        args={"x": Pos(0), "axis": Kw("dim", _not_none("axis"), default=-1), },
        summary="`keras.ops.argsort(x, axis=-1)` → `torch.argsort(x, dim=-1, stable=True)`.",
        why="Ascending order; ties keep their order in Keras (TF's sort is stable), so `stable=True` is written. NumPy's `axis=None` stays a TODO." + _INDEX_DTYPE,
        example="order = keras.ops.argsort(scores)",
        checks=[
            Check("ops.argsort(x)", {"x": "f32[2,5]"}, dtype=False),
            Check("ops.argsort(x, axis=0)", {"x": "i32[6,2]:0..3"}, dtype=False),
            Check("ops.argsort(x)", {"x": "i32[40]:0..3"}, dtype=False),
        ],
    ),
    _unary("copy", "torch.clone", why="Both return a new tensor with the same values.", checks=[Check("ops.copy(x)", {"x": "f32[2,3]"}), Check("ops.copy(x)", {"x": "i32[0]"})]),
    ApiCall(
        id="keras.ops.diagonal",
        tf=_names("diagonal"),
        torch="torch.diagonal",
        signature="x, offset=0, axis1=0, axis2=1",
        args={"x": Pos(0), "offset": Kw("offset", omit_if=(0,)), "axis1": Kw("dim1", omit_if=(0,)), "axis2": Kw("dim2", omit_if=(1,))},
        summary="`keras.ops.diagonal(x, offset, axis1, axis2)` → `torch.diagonal(x, offset, dim1, dim2)`.",
        why="The same operation and defaults; the diagonal becomes the last axis in both.",
        example="d = keras.ops.diagonal(m, axis1=-2, axis2=-1)",
        checks=[
            Check("ops.diagonal(x)", {"x": "f32[3,4]"}),
            Check("ops.diagonal(x, offset=1, axis1=-2, axis2=-1)", {"x": "i32[2,3,3]"}),
        ],
    ),
    _filled("empty", "torch.empty"),
    _Gelu(),
    _binary("less_equal", "torch.le", operator=_op(cst.LessThanEqual), example="causal = keras.ops.less_equal(cols, rows)", checks=[
        Check("ops.less_equal(x, y)", {"x": "i32[2,3]:0..3", "y": "i32[3]:0..3"}),
        Check("ops.less_equal(x, 0.5)", {"x": "f32[4]:unit"}),
        Check("ops.less_equal(1, x)", {"x": "i32[4]:0..3"}),
    ]),
    _unary("log2", "torch.log2", checks=[Check("ops.log2(x)", {"x": "f32[2,3]:pos"}), Check("ops.log2(x)", {"x": "i32[3]:1..9"})],
           why="The same function; both compute an integer input as float32."),
    ApiCall(
        id="keras.ops.moveaxis",
        tf=_names("moveaxis"),
        torch="torch.movedim",
        signature="x, source, destination",
        args={"x": Pos(0), "source": Pos(1, _axis), "destination": Pos(2, _axis)},
        summary="`keras.ops.moveaxis(x, src, dst)` → `torch.movedim(x, src, dst)`.",
        why="The same operation, for one axis or a tuple of them.",
        example="y = keras.ops.moveaxis(x, -1, 1)",
        checks=[
            Check("ops.moveaxis(x, -1, 1)", {"x": "f32[2,3,4]"}),
            Check("ops.moveaxis(x, [0, 1], [2, 0])", {"x": "i32[2,3,4]"}),
        ],
    ),
    _unary("reciprocal", "torch.reciprocal", checks=[Check("ops.reciprocal(x)", {"x": "f32[2,3]:pos"}), Check("ops.reciprocal(x)", {"x": "f32[0]"})]),
    ApiCall(
        id="keras.ops.roll",
        tf=_names("roll"),
        torch="torch.roll",
        signature="x, shift, axis=None",
        args={"x": Pos(0), "shift": Pos(1, _axis), "axis": Kw("dims", _axis, omit_if=(None,))},
        summary="`keras.ops.roll(x, shift, axis)` → `torch.roll(x, shift, dims=axis)`.",
        why="The same operation; both roll the flattened input without an axis.",
        example="y = keras.ops.roll(x, shift=1, axis=-1)",
        checks=[
            Check("ops.roll(x, 1, axis=-1)", {"x": "f32[2,4]"}),
            Check("ops.roll(x, 2)", {"x": "i32[2,3]"}),
            Check("ops.roll(x, shift=(1, -1), axis=(0, 1))", {"x": "f32[3,3]"}),
        ],
    ),
    _Cumprod(),
    _Sort(),
    _Logsumexp(),
    _DivideNoNan(),
    _Normalize(),
    _SparseCategoricalCrossentropy(),
    _ForiLoop(),
    ApiCall(
        id="keras.ops.log_softmax",
        tf=_names("log_softmax"),
        torch="torch.log_softmax",
        signature="x, axis=-1",
        args={"x": Pos(0), "axis": Kw("dim", _int_axis, default=-1)},
        summary="`keras.ops.log_softmax(x, axis=-1)` → `torch.log_softmax(x, dim=-1)`.",
        why="Keras defaults to the last axis; torch needs the axis stated, so it is written.",
        example="logp = keras.ops.log_softmax(logits)",
        checks=[
            Check("ops.log_softmax(x)", {"x": "f32[2,5]"}, atol=1e-6),
            Check("ops.log_softmax(x, axis=0)", {"x": "f32[3,2]"}, atol=1e-6),
        ],
    ),
    *[
        _Extra(
            id=f"keras.ops.{name}",
            extra={"correction": 0},
            tf=_names(name),
            torch=f"torch.{name}",
            signature="x, axis=None, keepdims=False",
            args={"x": Pos(0), "axis": Kw("dim", _axis, default=None, default_with="keepdims"), "keepdims": Kw("keepdim", omit_if=(False,))},
            summary=f"`keras.ops.{name}` → `torch.{name}(..., correction=0)`.",
            why=(
                f"NumPy's `{name}` is the population {what} (ddof=0); `torch.{name}` defaults to "
                "Bessel's correction, so `correction=0` is written. Keras computes an integer "
                "input as float32; torch refuses it (an error, not a wrong value)."
            ),
            example=f"s = keras.ops.{name}(x, axis=-1, keepdims=True)",
            checks=[
                Check(f"ops.{name}(x)", {"x": "f32[3,4]"}, atol=1e-5),
                Check(f"ops.{name}(x, axis=-1, keepdims=True)", {"x": "f32[2,5]"}, atol=1e-5),
                Check(f"ops.{name}(x, axis=(0, 2))", {"x": "f32[2,3,4]"}, atol=1e-5),
            ],
        )
        for name, what in (("std", "standard deviation"), ("var", "variance"))
    ],
    ApiCall(
        id="keras.ops.prod",
        tf=_names("prod"),
        torch="torch.prod",
        signature="x, axis=None, keepdims=False, dtype=None",
        args={"x": Pos(0), "axis": Kw("dim", _int_axis, omit_if=(None,)), "keepdims": Kw("keepdim", omit_if=(False,)), "dtype": Kw("dtype", _dtype, omit_if=(None,))},
        summary="`keras.ops.prod(x, axis)` → `torch.prod(x, dim=axis)`.",
        why="The same product; `torch.prod` takes one axis (a tuple stays a TODO) and every axis without one." + _INT_SUM,
        example="n = keras.ops.prod(shape_tensor)",
        checks=[
            Check("ops.prod(x)", {"x": "f32[2,3]:pos"}, atol=1e-5),
            Check("ops.prod(x, axis=-1, keepdims=True)", {"x": "f32[2,3]"}, atol=1e-6),
            Check("ops.prod(x, axis=0)", {"x": "i32[3,2]"}, dtype=False),
            Check("ops.prod(x, axis=(0, 1))", {"x": "f32[2,3]"}, todo=True),
        ],
    ),
    ApiCall(
        id="keras.ops.swapaxes",
        tf=_names("swapaxes"),
        torch="torch.swapaxes",
        signature="x, axis1, axis2",
        args={"x": Pos(0), "axis1": Pos(1), "axis2": Pos(2)},
        summary="`keras.ops.swapaxes(x, a, b)` → `torch.swapaxes(x, a, b)`.",
        why="The same operation (torch returns a view).",
        example="y = keras.ops.swapaxes(x, 1, 2)",
        checks=[Check("ops.swapaxes(x, 1, 2)", {"x": "f32[2,3,4]"}), Check("ops.swapaxes(x, -1, 0)", {"x": "i32[2,3]"})],
    ),
    ApiCall(
        id="keras.ops.full_like",
        tf=_names("full_like"),
        torch="torch.full_like",
        signature="x, fill_value, dtype=None",
        args={"x": Pos(0), "fill_value": Pos(1), "dtype": Kw("dtype", _dtype, omit_if=(None,))},
        summary="`keras.ops.full_like(x, v)` → `torch.full_like(x, v)`.",
        why="The same function: `x`'s shape and dtype unless `dtype` is given.",
        example="neg = keras.ops.full_like(scores, -1e9)",
        checks=[
            Check("ops.full_like(x, -1e9)", {"x": "f32[2,3]"}),
            Check("ops.full_like(x, 7)", {"x": "i32[4]"}),
            Check('ops.full_like(x, 1, dtype="float32")', {"x": "i64[0]"}),
        ],
    ),
    _binary("mod", "torch.remainder", operator=_op(cst.Modulo), example="col = keras.ops.mod(index, width)", checks=[
        Check("ops.mod(x, 3)", {"x": "i32[6]"}),
        Check("ops.mod(x, y)", {"x": "f32[4]", "y": "f32[4]:pos"}, atol=1e-6),
        Check("ops.mod(7, x)", {"x": "i32[4]:1..5"}),
    ], why="Both take the sign of the divisor (Python's `%`), not C's truncation."),
    _binary("logical_xor", "torch.logical_xor", example="flip = keras.ops.logical_xor(a, b)", checks=[
        Check("ops.logical_xor(a, b)", {"a": "bool[2,3]", "b": "bool[3]"}),
    ]),
    _binary("arctan2", "torch.atan2", example="angle = keras.ops.arctan2(y, x)", checks=[
        Check("ops.arctan2(y, x)", {"y": "f32[2,3]", "x": "f32[2,3]"}, atol=1e-6),
    ]),
    _binary("outer", "torch.outer", example="freqs = keras.ops.outer(t, inv_freq)", checks=[
        Check("ops.outer(a, b)", {"a": "f32[3]", "b": "f32[4]"}),
        Check("ops.outer(a, b)", {"a": "i32[2]", "b": "i32[0]"}),
    ], why="NumPy flattens N-D operands; `torch.outer` takes 1-D ones only (an error otherwise)."),
    ApiCall(
        id="keras.ops.count_nonzero",
        tf=_names("count_nonzero"),
        torch="torch.count_nonzero",
        signature="x, axis=None",
        args={"x": Pos(0), "axis": Kw("dim", _axis, omit_if=(None,))},
        summary="`keras.ops.count_nonzero(x, axis)` → `torch.count_nonzero(x, dim=axis)`.",
        why="The same count." + _INDEX_DTYPE.replace("indices", "counts").replace("indexing, `gather` and `one_hot` require", "uses for counts"),
        example="n = keras.ops.count_nonzero(mask, axis=-1)",
        checks=[
            Check("ops.count_nonzero(m)", {"m": "bool[3,4]"}, dtype=False),
            Check("ops.count_nonzero(x, axis=-1)", {"x": "i32[3,4]:0..2"}, dtype=False),
            Check("ops.count_nonzero(x, axis=(0, 1))", {"x": "f32[2,3,2]"}, dtype=False),
        ],
    ),
    ApiCall(
        id="keras.ops.nan_to_num",
        tf=_names("nan_to_num"),
        torch="torch.nan_to_num",
        signature="x, nan=0.0, posinf=None, neginf=None",
        args={"x": Pos(0), "nan": Kw("nan", omit_if=(0.0,)), "posinf": Kw("posinf", omit_if=(None,)), "neginf": Kw("neginf", omit_if=(None,))},
        summary="`keras.ops.nan_to_num(x)` → `torch.nan_to_num(x)`.",
        why="The same replacements and defaults (NaN → 0, ±inf → the dtype's largest finite values).",
        example="y = keras.ops.nan_to_num(x, nan=0.0, posinf=1e4)",
        checks=[
            Check("ops.nan_to_num(ops.log(x))", {"x": "f32[6]:-1..1"}),
            Check("ops.nan_to_num(ops.log(x), nan=-1.0, neginf=-5.0)", {"x": "f32[6]:-1..1"}),
        ],
    ),
    ApiCall(
        id="keras.ops.norm",
        tf=_names("norm"),
        torch="torch.linalg.norm",
        signature="x, ord=None, axis=None, keepdims=False",
        args={"x": Pos(0), "ord": Kw("ord", omit_if=(None,)), "axis": Kw("dim", _axis, omit_if=(None,)), "keepdims": Kw("keepdim", omit_if=(False,))},
        summary="`keras.ops.norm(x, ord, axis)` → `torch.linalg.norm(x, ord, dim=axis)`.",
        why="Both follow `numpy.linalg.norm`: a vector norm for one axis or a 1-D input, a matrix norm for two axes, the 2-norm of the flattened input by default.",
        example="n = keras.ops.norm(x, axis=-1, keepdims=True)",
        checks=[
            Check("ops.norm(x)", {"x": "f32[3,4]"}, atol=1e-5),
            Check("ops.norm(x, axis=-1, keepdims=True)", {"x": "f32[2,5]"}, atol=1e-5),
            Check("ops.norm(x, ord=1, axis=0)", {"x": "f32[3,2]"}, atol=1e-5),
            Check('ops.norm(x, ord="fro", axis=(0, 1))', {"x": "f32[3,2]"}, atol=1e-5),
        ],
    ),
    ApiCall(
        id="keras.ops.elu",
        tf=_names("elu"),
        torch="torch.nn.functional.elu",
        signature="x, alpha=1.0",
        args={"x": Pos(0), "alpha": Kw("alpha", omit_if=(1.0,))},
        summary="`keras.ops.elu(x, alpha)` → `F.elu(x, alpha)`.",
        why="The same function and default alpha 1.0.",
        example="y = keras.ops.elu(x)",
        checks=[Check("ops.elu(x)", {"x": "f32[2,3]"}, atol=1e-6), Check("ops.elu(x, alpha=0.5)", {"x": "f32[4]"}, atol=1e-6)],
    ),
    ApiCall(
        id="keras.ops.leaky_relu",
        tf=_names("leaky_relu"),
        torch="torch.nn.functional.leaky_relu",
        signature="x, negative_slope=0.2",
        args={"x": Pos(0), "negative_slope": Kw("negative_slope", default=0.2)},
        summary="`keras.ops.leaky_relu(x)` → `F.leaky_relu(x, negative_slope=0.2)`.",
        why="Keras's default slope is 0.2, torch's 0.01: Keras's is written.",
        example="y = keras.ops.leaky_relu(x)",
        checks=[Check("ops.leaky_relu(x)", {"x": "f32[2,3]"}), Check("ops.leaky_relu(x, negative_slope=0.1)", {"x": "f32[4]"})],
    ),
    ApiCall(
        id="keras.ops.glu",
        tf=_names("glu"),
        torch="torch.nn.functional.glu",
        signature="x, axis=-1",
        args={"x": Pos(0), "axis": Kw("dim", _int_axis, omit_if=(-1,))},
        summary="`keras.ops.glu(x, axis)` → `F.glu(x, dim=axis)`.",
        why="Both split `axis` in halves a, b and return a * sigmoid(b), on the last axis by default.",
        example="y = keras.ops.glu(x)",
        checks=[Check("ops.glu(x)", {"x": "f32[2,6]"}, atol=1e-6), Check("ops.glu(x, axis=0)", {"x": "f32[4,3]"}, atol=1e-6)],
    ),
    _unary("erf", "torch.erf", checks=[Check("ops.erf(x)", {"x": "f32[2,3]"}, atol=1e-6), Check("ops.erf(x)", {"x": "f32[0]"})]),
    _unary("erfinv", "torch.erfinv", checks=[Check("ops.erfinv(x)", {"x": "f32[5]:-0.9..0.9"}, atol=1e-5)]),
    _unary("log1p", "torch.log1p", checks=[Check("ops.log1p(x)", {"x": "f32[2,3]:unit"})]),
    _unary("expm1", "torch.expm1", checks=[Check("ops.expm1(x)", {"x": "f32[2,3]"}, atol=1e-6)]),
    _unary("negative", "torch.neg", checks=[Check("ops.negative(x)", {"x": "f32[2,3]"}), Check("ops.negative(x)", {"x": "i32[4]"})]),
    _unary("isnan", "torch.isnan", checks=[Check("ops.isnan(ops.log(x))", {"x": "f32[6]:-1..1"}), Check("ops.isnan(x)", {"x": "i32[3]"})]),
    _unary("isfinite", "torch.isfinite", checks=[Check("ops.isfinite(ops.log(x))", {"x": "f32[6]:-1..1"})]),
    _unary("isinf", "torch.isinf", checks=[Check("ops.isinf(ops.log(x))", {"x": "f32[6]:0..1"})]),
    _unary("tan", "torch.tan", checks=[Check("ops.tan(x)", {"x": "f32[2,3]:-1..1"}, atol=1e-6)]),
    _unary("sinh", "torch.sinh", checks=[Check("ops.sinh(x)", {"x": "f32[2,3]"}, atol=1e-6)]),
    _unary("cosh", "torch.cosh", checks=[Check("ops.cosh(x)", {"x": "f32[2,3]"}, atol=1e-6)]),
    _unary("arcsin", "torch.asin", checks=[Check("ops.arcsin(x)", {"x": "f32[5]:-1..1"}, atol=1e-6)]),
    _unary("arccos", "torch.acos", checks=[Check("ops.arccos(x)", {"x": "f32[5]:-1..1"}, atol=1e-6)]),
    _unary("arctan", "torch.atan", checks=[Check("ops.arctan(x)", {"x": "f32[2,3]"}, atol=1e-6)]),
    _unary("relu6", "torch.nn.functional.relu6", checks=[Check("ops.relu6(x * 4.0)", {"x": "f32[2,3]"})]),
    _unary("selu", "torch.nn.functional.selu", checks=[Check("ops.selu(x)", {"x": "f32[2,3]"}, atol=1e-6)]),
    _unary("softsign", "torch.nn.functional.softsign", checks=[Check("ops.softsign(x)", {"x": "f32[2,3]"})]),
    _unary("log_sigmoid", "torch.nn.functional.logsigmoid", checks=[Check("ops.log_sigmoid(x)", {"x": "f32[2,3]"}, atol=1e-6)]),
    _unary("hard_sigmoid", "torch.nn.functional.hardsigmoid", why="Both compute relu6(x + 3) / 6 (Keras 3's definition).",
           checks=[Check("ops.hard_sigmoid(x * 4.0)", {"x": "f32[2,3]"}, atol=1e-6)]),
    _unary("hard_silu", "torch.nn.functional.hardswish", why="Both compute x * relu6(x + 3) / 6 (hard swish).",
           checks=[Check("ops.hard_silu(x * 4.0)", {"x": "f32[2,3]"}, atol=1e-6)]),
    _ImageResize(),
    _Size(),
    _Moments(),
    _CrossEntropy("binary_crossentropy", "torch.nn.functional.binary_cross_entropy_with_logits", ("target", "output", "from_logits"), False, checks=[
        Check("ops.binary_crossentropy(y, z, from_logits=True)", {"y": "f32[3,4]:unit", "z": "f32[3,4]"}, atol=1e-6),
        Check("ops.binary_crossentropy(y, z, True)", {"y": "f32[5]:unit", "z": "f32[5]:-30..30"}, atol=1e-5),
        Check("ops.binary_crossentropy(y, p)", {"y": "f32[3]:unit", "p": "f32[3]:unit"}, todo=True),
    ]),
    _CrossEntropy("categorical_crossentropy", "torch.nn.functional.cross_entropy", ("target", "output", "from_logits", "axis"), True, checks=[
        Check("ops.categorical_crossentropy(ops.softmax(t), z, from_logits=True)", {"t": "f32[4,5]", "z": "f32[4,5]"}, atol=1e-5),
        Check("ops.categorical_crossentropy(ops.one_hot(y, 4), z, from_logits=True, axis=-1)", {"y": "i32[2,3]:0..4", "z": "f32[2,3,4]"}, atol=1e-5),
        Check("ops.categorical_crossentropy(y, p)", {"y": "f32[2,3]:unit", "p": "f32[2,3]:unit"}, todo=True),
    ]),
    ApiCall(
        id="keras.ops.argmin",
        tf=_names("argmin"),
        torch="torch.argmin",
        signature="x, axis=None, keepdims=False",
        args={"x": Pos(0), "axis": Kw("dim", _int_axis, omit_if=(None,)), "keepdims": Kw("keepdim", omit_if=(False,))},
        summary="`keras.ops.argmin(x, axis)` → `torch.argmin(x, dim=axis)`.",
        why="NumPy's `argmin` flattens without an axis, as `torch.argmin` does without a `dim`; ties go to the first index in both." + _INDEX_DTYPE,
        example="nearest = keras.ops.argmin(distances, axis=-1)",
        checks=[
            Check("ops.argmin(x, axis=-1)", {"x": "f32[2,5]"}, dtype=False),
            Check("ops.argmin(x)", {"x": "i32[3,4]"}, dtype=False),
        ],
    ),
    _Extra(
        extra={"as_tuple": True},
        id="keras.ops.nonzero",
        tf=_names("nonzero"),
        torch="torch.nonzero",
        signature="x",
        args={"x": Pos(0)},
        summary="`keras.ops.nonzero(x)` → `torch.nonzero(x, as_tuple=True)`.",
        why="NumPy's `nonzero` returns one index tensor per axis, which is torch's `as_tuple=True` form (the default returns an (N, rank) matrix)." + _INDEX_DTYPE,
        example="rows, cols = keras.ops.nonzero(mask)",
        checks=[Check("ops.nonzero(x)", {"x": "i32[3,4]:0..2"}, dtype=False), Check("ops.nonzero(m)", {"m": "bool[5]"}, dtype=False)],
    ),
    _unary("ravel", "torch.ravel", why="The same flattening (a view where possible).", checks=[Check("ops.ravel(x)", {"x": "f32[2,3]"}), Check("ops.ravel(x)", {"x": "i32[0,2]"})]),
    _unary("absolute", "torch.abs", why="NumPy's other name for `abs`.", checks=[Check("ops.absolute(x)", {"x": "f32[2,3]"})]),
    _reduction("amax", "torch.amax", why="The same reduction; every axis without an `axis`, a list of axes becomes a tuple.", checks=[
        Check("ops.amax(x)", {"x": "f32[2,3]"}), Check("ops.amax(x, axis=-1, keepdims=True)", {"x": "i32[2,3]"}),
    ]),
    _reduction("amin", "torch.amin", why="The same reduction; every axis without an `axis`, a list of axes becomes a tuple.", checks=[
        Check("ops.amin(x)", {"x": "f32[2,3]"}), Check("ops.amin(x, axis=[0, 1])", {"x": "f32[2,3,2]"}),
    ]),
    _binary("true_divide", "torch.true_divide", operator=_op(cst.Divide), example="p = keras.ops.true_divide(counts, total)", checks=[
        Check("ops.true_divide(x, y)", {"x": "f32[2,3]", "y": "f32[3]:pos"}),
        Check("ops.true_divide(x, 2)", {"x": "i32[4]"}),
    ]),
    ApiCall(
        id="keras.ops.identity",
        tf=_names("identity"),
        torch="torch.eye",
        signature="n, dtype=None",
        args={"n": Pos(0), "dtype": Kw("dtype", _dtype, omit_if=(None,))},
        summary="`keras.ops.identity(n)` → `torch.eye(n)`.",
        why="The n×n identity, float32 by default in both.",
        example="i = keras.ops.identity(dim)",
        checks=[Check("ops.identity(3)"), Check('ops.identity(2, dtype="int32")')],
    ),
    *[
        ApiCall(
            id=f"keras.ops.{name}",
            tf=_names(name),
            torch=f"torch.{name}",
            signature="xs",
            args={"xs": Pos(0)},
            summary=f"`keras.ops.{name}(xs)` → `torch.{name}(xs)`.",
            why=f"NumPy's `{name}`, which `torch.{name}` copies." + extra,
            example=f"y = keras.ops.{name}([a, b])",
            checks=[
                Check(f"ops.{name}([a, b])", {"a": "f32[2,3]", "b": "f32[2,3]"}),
                Check(f"ops.{name}((a, b))", {"a": "i32[3,1]", "b": "i32[3,1]"}),
                *extra_checks,
            ],
        )
        for name, extra, extra_checks in (
            ("hstack", " 1-D inputs are joined end to end in both.", [Check("ops.hstack((a, b))", {"a": "i32[3]", "b": "i32[2]"})]),
            (
                "vstack",
                " For 1-D inputs NumPy, JAX and torch stack rows (2, n), but Keras's TensorFlow "
                "backend concatenates them (2n,): code that relied on that needs `torch.cat`.",
                [],
            ),
        )
    ],
    ApiCall(
        id="keras.ops.tensordot",
        tf=_names("tensordot"),
        torch="torch.tensordot",
        signature="x1, x2, axes=2",
        args={"x1": Pos(0), "x2": Pos(1), "axes": Kw("dims", omit_if=(2,))},
        summary="`keras.ops.tensordot(a, b, axes)` → `torch.tensordot(a, b, dims=axes)`.",
        why="The same contraction: a count of trailing/leading axes or a pair of axis lists; the default is 2 in both.",
        example="y = keras.ops.tensordot(x, w, axes=[[2], [0]])",
        checks=[
            Check("ops.tensordot(a, b, axes=[[2], [0]])", {"a": "f32[2,3,4]", "b": "f32[4,5]"}, atol=1e-5),
            Check("ops.tensordot(a, b, 1)", {"a": "f32[2,3]", "b": "f32[3,4]"}, atol=1e-5),
            Check("ops.tensordot(a, b)", {"a": "f32[2,3,4]", "b": "f32[3,4,2]"}, atol=1e-5),
        ],
    ),
    ApiCall(
        id="keras.ops.isclose",
        tf=_names("isclose"),
        torch="torch.isclose",
        signature="x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False",
        args={"x1": Pos(0), "x2": Pos(1), "rtol": Kw("rtol", omit_if=(1e-05,)), "atol": Kw("atol", omit_if=(1e-08,)), "equal_nan": Kw("equal_nan", omit_if=(False,))},
        summary="`keras.ops.isclose(a, b)` → `torch.isclose(a, b)`.",
        why="The same test |a - b| <= atol + rtol * |b| with the same defaults.",
        example="same = keras.ops.isclose(a, b, atol=1e-6)",
        checks=[
            Check("ops.isclose(a, a + d * 1e-6)", {"a": "f32[6]", "d": "f32[6]"}),
            Check("ops.isclose(a, b, atol=0.5)", {"a": "f32[6]", "b": "f32[6]"}),
        ],
    ),
]
