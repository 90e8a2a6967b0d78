"""``tf.math`` (and its top-level aliases such as ``tf.reduce_sum``): reductions and
element-wise maths. One row per API; see ``rules/base.py`` for the row format."""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import libcst as cst

from migrate.rules.base import (
    DROP,
    ApiCall,
    CannotMigrate,
    Check,
    Kw,
    NewArg,
    NotLiteral,
    Pos,
    Rule,
    RuleContext,
    build_call,
    literal,
    parse_signature,
    to_node,
)
from migrate.rules.convert import axis, dtype

_REDUCTION_SIGNATURE = "input_tensor, axis=None, keepdims=False, name=None"

#: Why integer sums differ in dtype (shared by the rows that sum or multiply).
_INT_PROMOTION = (
    " TF keeps an integer input's dtype (int32 in, int32 out); torch accumulates integer "
    "inputs in int64 and returns int64. Values agree (barring int32 overflow, which torch "
    "avoids); the integer checks compare values with `dtype=False` for that reason. Float "
    "dtypes are preserved by both."
)


# ---------------------------------------------------------------------------------------
# Small helpers shared by the custom rows.


def _is_number(node: cst.BaseExpression) -> bool:
    try:
        value = literal(node)
    except NotLiteral:
        return False
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_number_expr(node: cst.BaseExpression) -> bool:
    """A number literal, or arithmetic on number literals only (``1.0 - 1e-7``)."""
    if _is_number(node):
        return True
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        return _is_number_expr(node.expression)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.Power)):
        return _is_number_expr(node.left) and _is_number_expr(node.right)
    return False


def _lit(node: cst.BaseExpression | None, default: Any = None) -> Any:
    """The literal value of ``node`` (``default`` when absent); NotLiteral otherwise."""
    if node is None:
        return default
    return literal(node)


_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.List, cst.Tuple, cst.Dict, cst.Integer, cst.Float, cst.SimpleString)


def _atom(node: cst.BaseExpression) -> cst.BaseExpression:
    """``node`` parenthesised unless it binds tighter than any operator (a name, a call…)."""
    if isinstance(node, _ATOMIC) or node.lpar:
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


_IMPURE_WORDS = ("random", "rand", "dropout", "normal", "uniform", "shuffle", "assign", "print", "append", "pop", "next", "sample")


#: Module names a call may start from and still count as a pure computation.
_LIBRARIES = frozenset({"torch", "tf", "tensorflow", "np", "numpy", "math", "F", "nn", "K", "ops", "keras", "jnp"})
#: Tensor methods that only compute a value.
_PURE_METHODS = frozenset({
    "sum", "mean", "amax", "amin", "max", "min", "abs", "sqrt", "exp", "log", "square", "pow", "norm",
    "prod", "cumsum", "any", "all", "count_nonzero", "float", "double", "half", "int", "long", "bool",
    "to", "type", "astype", "clamp", "clamp_min", "clamp_max", "reshape", "view", "flatten", "squeeze",
    "unsqueeze", "t", "transpose", "permute", "detach", "numel", "size", "dim",
})


def _repeatable(node: cst.BaseExpression, ctx: RuleContext) -> bool:
    """Whether ``node`` may be written twice: evaluating it again gives the same value and
    does nothing else. Names, attributes, subscripts, numbers, arithmetic on those, and calls
    of dotted functions that are neither random nor stateful qualify."""
    if isinstance(node, (cst.Name, cst.Integer, cst.Float, cst.SimpleString, cst.Ellipsis)):
        return True
    if isinstance(node, cst.Attribute):
        return _repeatable(node.value, ctx)
    if isinstance(node, cst.Subscript):
        if not _repeatable(node.value, ctx):
            return False
        for element in node.slice:
            part = element.slice
            if isinstance(part, cst.Index):
                if not _repeatable(part.value, ctx):
                    return False
            elif isinstance(part, cst.Slice):
                for bound in (part.lower, part.upper, part.step):
                    if bound is not None and not _repeatable(bound, ctx):
                        return False
        return True
    if isinstance(node, cst.UnaryOperation):
        return _repeatable(node.expression, ctx)
    if isinstance(node, cst.BinaryOperation):
        return _repeatable(node.left, ctx) and _repeatable(node.right, ctx)
    if isinstance(node, cst.BooleanOperation):
        return _repeatable(node.left, ctx) and _repeatable(node.right, ctx)
    if isinstance(node, cst.Comparison):
        return _repeatable(node.left, ctx) and all(_repeatable(c.comparator, ctx) for c in node.comparisons)
    if isinstance(node, (cst.Tuple, cst.List)):
        return all(not isinstance(e, cst.StarredElement) and _repeatable(e.value, ctx) for e in node.elements)
    if isinstance(node, cst.Call):
        # A library function (`torch.sum(...)`) or a tensor method that only computes
        # (`mask.sum()`); not `self.encoder(x)`, which may hold dropout or state.
        if not isinstance(node.func, cst.Attribute):
            return False
        text = ctx.source(node.func).lower()
        if any(word in text for word in _IMPURE_WORDS):
            return False
        root: cst.BaseExpression = node.func
        while isinstance(root, cst.Attribute):
            root = root.value
        library = isinstance(root, cst.Name) and root.value in _LIBRARIES
        if not (library or (node.func.attr.value in _PURE_METHODS and not (isinstance(root, cst.Name) and root.value == "self"))):
            return False
        return _repeatable(node.func, ctx) and all(not a.star and _repeatable(a.value, ctx) for a in node.args)
    return False


def _call(ctx: RuleContext, target: str, *args: cst.BaseExpression, **kwargs: cst.BaseExpression) -> cst.Call:
    """A fresh call ``target(*args, **kwargs)`` with the usual spacing."""
    func: cst.BaseExpression
    if target.startswith("Tensor."):
        func = cst.Attribute(_atom(args[0]), cst.Name(target[7:]))
        args = args[1:]
    else:
        func = ctx.name(target)
    built = [cst.Arg(a) for a in args] + [
        cst.Arg(v, keyword=cst.Name(k), equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
        for k, v in kwargs.items()
    ]
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    built = [a.with_changes(comma=comma) for a in built[:-1]] + built[-1:]
    return cst.Call(func, built)


def _append_kw(call: cst.Call, keyword: str, value: cst.BaseExpression) -> cst.Call:
    """``call`` with ``keyword=value`` added as its last argument."""
    args = list(call.args)
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    new = cst.Arg(value, keyword=cst.Name(keyword), equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
    if args:
        last = args[-1]
        if isinstance(last.comma, cst.Comma):  # a trailing comma: keep its layout after the new one
            new = new.with_changes(comma=last.comma)
        args[-1] = last.with_changes(comma=comma)
    return call.with_changes(args=[*args, new])


class Custom(Rule):
    """A row whose rewrite is a small function of the bound arguments.

    Arguments are bound to ``signature`` as Python would; any parameter not in ``handled``
    that is passed with a non-default value makes the site a TODO, like a table row.
    ``build(values, call, ctx)`` gets the bound expressions by TF parameter name and
    returns the replacement (or raises CannotMigrate).
    """

    def __init__(
        self,
        id: str,
        tf: str | Sequence[str],
        signature: str,
        handled: Sequence[str],
        build: Callable[[Mapping[str, cst.BaseExpression], cst.Call, RuleContext], cst.BaseExpression],
        summary: str,
        why: str,
        example: str,
        checks: Sequence[Check],
    ):
        self.id = id
        self.names = (tf,) if isinstance(tf, str) else tuple(tf)
        self.signature = parse_signature(signature)
        self.handled = set(handled) | {"name"}
        self.build = build
        self.summary, self.why, self.example, self.checks = summary, why, example, tuple(checks)
        unknown = self.handled - {p.name for p in self.signature}
        if unknown:
            raise ValueError(f"rule {id}: {sorted(unknown)} are not in its signature")

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = ApiCall.bind(self, call, ctx)  # type: ignore[arg-type]  # uses only .signature
        for param in self.signature:
            arg = bound.get(param.name)
            if arg is None or param.name in self.handled:
                continue
            try:
                same = param.has_default and _lit(arg.value) == param.default and type(_lit(arg.value)) is type(param.default)
            except NotLiteral:
                same = False
            if not same:
                raise CannotMigrate(f"argument `{param.name}=` has no PyTorch equivalent")
        return self.build({k: a.value for k, a in bound.items()}, call, ctx)


#: TF 1 spellings of reduction arguments, still accepted by ``tf.compat.v1`` reductions.
_TF1_REDUCTION_KEYWORDS = {"reduction_indices": "axis", "keep_dims": "keepdims"}


class Reduction(ApiCall):
    """A reduction row; TF 1's ``reduction_indices=``/``keep_dims=`` are read as
    ``axis=``/``keepdims=``."""

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        return super().rewrite_call(_tf1_reduction_keywords(call), qualified, ctx)


def _tf1_reduction_keywords(call: cst.Call) -> cst.Call:
    given = {a.keyword.value for a in call.args if a.keyword}
    args = []
    for arg in call.args:
        new = _TF1_REDUCTION_KEYWORDS.get(arg.keyword.value) if arg.keyword else None
        if new is not None:
            if new in given:
                raise CannotMigrate(f"both `{arg.keyword.value}=` and `{new}=` are given")  # type: ignore[union-attr]
            arg = arg.with_changes(keyword=cst.Name(new))
        args.append(arg)
    return call.with_changes(args=args)


class WithExtra(Reduction):
    """A reduction row that also writes fixed keyword arguments (``correction=0``)."""

    def __init__(self, *args: Any, extra: Mapping[str, Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.extra = dict(extra)

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        result = super().rewrite_call(call, qualified, ctx)
        assert isinstance(result, cst.Call)
        for keyword, value in self.extra.items():
            result = _append_kw(result, keyword, to_node(value))
        return result


# ---------------------------------------------------------------------------------------
# Reductions.


def _reduction(
    name: str,
    torch: str,
    what: str,
    checks: Sequence[Check],
    *,
    dim_needs_keepdim: bool = False,
    extra_why: str = "",
    tf_names: Sequence[str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> ApiCall:
    dim = Kw("dim", axis, default=None, default_with="keepdims") if dim_needs_keepdim else Kw("dim", axis)
    kind: Any = WithExtra if extra else Reduction
    kwargs: dict[str, Any] = {"extra": extra} if extra else {}
    return kind(
        id=f"ops.{name}",
        tf=list(tf_names or (f"tf.math.{name}", f"tf.{name}")),
        torch=torch,
        signature=_REDUCTION_SIGNATURE,
        args={
            "input_tensor": Pos(0),
            "axis": dim,
            "keepdims": Kw("keepdim", omit_if=(False,)),
            "name": DROP,
        },
        summary=f"`tf.{'math.' if tf_names else ''}{name}` → `{torch}`: {what}, with `axis`→`dim` and `keepdims`→`keepdim`.",
        why=(
            "Same reduction, PyTorch's argument names. A list of axes becomes a tuple, the "
            "form every torch reduction accepts."
            + (
                f" `{torch}` accepts `keepdim` only together with `dim`, so `dim=None` is "
                "written when the source passes `keepdims` without `axis`."
                if dim_needs_keepdim
                else ""
            )
            + (
                " `torch.max`/`torch.min` with a `dim` return (values, indices); `amax`/`amin`"
                " return values like TF. Reducing an empty axis gives TF's identity (-inf/+inf)"
                " but is an error in torch."
                if torch in ("torch.amax", "torch.amin")
                else ""
            )
            + extra_why
            + " TF 1's `reduction_indices=`/`keep_dims=` are read as `axis=`/`keepdims=`."
        ),
        example=f"y = tf.{'math.' if tf_names else ''}{name}(x, axis=[1, 2], keepdims=True)",
        checks=checks,
        **kwargs,
    )


def _reduction_checks(name: str, dtype_: str = "f32", *, also: Sequence[Check] = ()) -> list[Check]:
    return [
        Check(f"tf.{name}(x)", {"x": f"{dtype_}[3,4]"}),
        Check(f"tf.{name}(x, axis=-1)", {"x": f"{dtype_}[2,3,4]"}),
        Check(f"tf.math.{name}(x, axis=[0, 2], keepdims=True)", {"x": f"{dtype_}[2,3,4]"}),
        Check(f"tf.{name}(x, 1, True)", {"x": f"{dtype_}[3,4]"}),
        Check(f"tf.{name}(x, keepdims=True)", {"x": f"{dtype_}[3,4]"}),
        Check(f"tf.{name}(x, axis={'0' if name in ('reduce_max', 'reduce_min') else '(1,)'})", {"x": f"{dtype_}[2,0]"}),
        Check(f"tf.{name}(x, axis=k)", {"x": f"{dtype_}[3,4]", "k": 1}),
        # TF 1's keywords (renamed to axis/keepdims) cannot run under TF 2; both at once is a TODO.
        Check(f"tf.{name}(x, axis=0, reduction_indices=0)", {"x": f"{dtype_}[3,4]"}, todo=True),
        *also,
    ]


def _prod(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    x = values["input_tensor"]
    keepdims = _keepdims(values)
    node = values.get("axis")
    try:
        ax = _lit(node)
    except NotLiteral:
        ax = node  # an int at run time: torch.prod takes one dim
    if isinstance(ax, (list, tuple)):
        if len(ax) != 1:
            raise CannotMigrate("`torch.prod` reduces one dimension at a time; several axes need nested calls")
        ax = ax[0]
    if ax is None:
        if keepdims is not False:
            raise CannotMigrate("`keepdims` without `axis`: `torch.prod` keeps dims only with one `dim`")
        return build_call(call, ctx.name("torch.prod"), [NewArg(x)])
    dim = ax if isinstance(ax, cst.BaseExpression) else to_node(ax)
    args = [NewArg(x), NewArg(dim, "dim")]
    if keepdims is not False:
        args.append(NewArg(cst.Name("True") if keepdims is True else keepdims, "keepdim"))
    return build_call(call, ctx.name("torch.prod"), args)


def _keepdims(values: Mapping[str, cst.BaseExpression]) -> bool | cst.BaseExpression:
    """``keepdims`` as a bool when literal (absent or None: False), else its expression."""
    node = values.get("keepdims")
    try:
        return bool(_lit(node, False))
    except NotLiteral:
        return node  # type: ignore[return-value]


def _logsumexp(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    x = values["input_tensor"]
    keepdims = _keepdims(values)
    node = values.get("axis")
    if node is None or (_is_none(node)):
        if keepdims is not False:
            raise CannotMigrate("`keepdims` without `axis` needs the rank, which the source does not show")
        return build_call(call, ctx.name("torch.logsumexp"), [NewArg(_call(ctx, "torch.flatten", x)), NewArg(cst.Integer("0"), "dim")])
    args = [NewArg(x), NewArg(axis(node, ctx), "dim")]
    if keepdims is not False:
        args.append(NewArg(cst.Name("True") if keepdims is True else keepdims, "keepdim"))
    return build_call(call, ctx.name("torch.logsumexp"), args)


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


# ---------------------------------------------------------------------------------------
# Element-wise functions.


class Elementwise(ApiCall):
    """A one-argument element-wise row; used as a value (``map(tf.math.sigmoid, xs)``,
    ``activation=tf.math.tanh``) the name becomes the torch function, which takes the same
    single tensor argument."""

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        return ctx.name(self.torch)


def _unary(
    name: str,
    torch: str,
    checks: Sequence[Check],
    *,
    tf_names: Sequence[str] | None = None,
    param: str = "x",
    why: str = "",
) -> ApiCall:
    names = list(tf_names or (f"tf.math.{name}", f"tf.{name}"))
    return Elementwise(
        id=f"ops.{name}",
        tf=names,
        torch=torch,
        signature=f"{param}, name=None",
        args={param: Pos(0), "name": DROP},
        summary=f"`{names[0]}` → `{torch}`.",
        why=why or "Same element-wise function; `name=` labels a graph op and has no PyTorch meaning.",
        example=f"y = {names[0]}(x)",
        checks=checks,
    )


def _float_checks(name: str, span: str = "", *, f16: bool = True) -> list[Check]:
    suffix = f":{span}" if span else ""
    out = [
        Check(f"tf.math.{name}(x)", {"x": f"f32[3,4]{suffix}"}),
        Check(f"tf.math.{name}(x)", {"x": f"f64[5]{suffix}"}),
        Check(f"tf.math.{name}(x)", {"x": "f32[2,0]"}),
    ]
    if f16:
        out.append(Check(f"tf.math.{name}(x)", {"x": f"f16[4]{suffix}"}, atol=2e-3, rtol=2e-3))
    return out


class Binary(Rule):
    """An element-wise binary op. TF takes a Python number on either side; most torch
    functions want a tensor first, and `torch.maximum`/`minimum` want two tensors. A
    number literal therefore moves to where torch accepts it."""

    def __init__(
        self,
        name: str,
        torch: str,
        checks: Sequence[Check],
        *,
        commutative: bool,
        reversed_op: str | None = None,
        clamp: str | None = None,
        left_number_ok: bool = False,
        tf_names: Sequence[str] | None = None,
        params: tuple[str, str] = ("x", "y"),
        why: str = "",
        tensors_only: bool = False,
    ):
        self.id = f"ops.{name}"
        self.names = tuple(tf_names or (f"tf.math.{name}", f"tf.{name}"))
        self.torch, self.commutative, self.reversed_op, self.clamp = torch, commutative, reversed_op, clamp
        self.left_number_ok, self.params, self.tensors_only = left_number_ok, params, tensors_only
        self.checks = tuple(checks)
        self.summary = f"`{self.names[-1]}` → `{torch}`" + (f" (`{clamp}=` of `torch.clamp` for a number)." if clamp else ".")
        if tensors_only:
            moved = f", and `{torch}` takes two tensors only, so a number operand is a TODO."
        elif left_number_ok:
            moved = ", and accepts a number as either operand too."
        elif clamp:
            moved = f", and `{torch}` needs two tensors, so a number becomes `torch.clamp(x, {clamp}=n)`."
        elif reversed_op:
            moved = f", so a number on the left moves right (`{reversed_op}` with the operands swapped)."
        else:
            moved = ", so a number on the left moves right."
        self.why = (
            "Same element-wise function with broadcasting. TF accepts a Python number as either "
            "operand; torch needs the tensor first" + moved + (" " + why if why else "")
        )
        self.example = f"z = {self.names[-1]}(x, y)\nw = {self.names[-1]}(2.0, x)"

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        """Used as a value (``functools.reduce(tf.add, xs)``) the name becomes the torch
        function: it takes the same two tensors positionally."""
        return ctx.name(self.torch)

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        names = [*self.params, "name"]
        args: dict[str, cst.Arg] = {}
        for position, arg in enumerate(call.args):
            name = arg.keyword.value if arg.keyword else (names[position] if position < 3 else "?")
            if arg.star or name not in names or name in args:
                raise CannotMigrate(f"arguments cannot be matched to `{', '.join(names)}`")
            args[name] = arg
        if not set(self.params) <= set(args):
            raise CannotMigrate(f"arguments cannot be matched to `{', '.join(names)}`")
        x, y = (NewArg(args[n].value, None, args[n]) for n in self.params)
        if _is_number_expr(x.value) and _is_number_expr(y.value):
            raise CannotMigrate("both operands are numbers: there is no tensor to compute with")
        target = self.torch
        if self.tensors_only and (_is_number_expr(x.value) or _is_number_expr(y.value)):
            raise CannotMigrate(f"`{self.torch}` takes two tensors, and one operand here is a number")
        if _is_number_expr(x.value) and not self.left_number_ok:
            if not (self.commutative or self.clamp or self.reversed_op):
                raise CannotMigrate(f"`{self.torch}` needs a tensor as its first operand, and this one is a number")
            x, y = y, x
            target = self.torch if self.commutative or self.clamp else self.reversed_op  # type: ignore[assignment]
        if self.clamp and _is_number_expr(y.value):
            return build_call(call, ctx.name("torch.clamp"), [x, NewArg(y.value, self.clamp, y.original)])
        return build_call(call, ctx.name(target), [x, y])


def _binary_checks(name: str, *, ints: bool = True, number: float | int = 2.0, pos: bool = False, also: Sequence[Check] = ()) -> list[Check]:
    span = ":pos" if pos else ""
    out = [
        Check(f"tf.math.{name}(x, y)", {"x": f"f32[3,4]{span}", "y": f"f32[3,4]{span}"}),
        Check(f"tf.math.{name}(x, y)", {"x": f"f32[2,3,4]{span}", "y": f"f32[4]{span}"}),
        Check(f"tf.math.{name}(x, {number!r})", {"x": f"f32[3,4]{span}"}),
        Check(f"tf.math.{name}({number!r}, x)", {"x": f"f32[5]{span}"}),
        Check(f"tf.math.{name}(x=x, y=y, name='op')", {"x": "f32[2,0]", "y": "f32[2,0]"}),
    ]
    if ints:
        out.append(Check(f"tf.math.{name}(x, y)", {"x": "i32[6]:1..9", "y": "i32[6]:1..9"}))
        out.append(Check(f"tf.math.{name}(x, 3)", {"x": "i64[6]:1..9"}))
    return out + list(also)


# ---------------------------------------------------------------------------------------
# Rows with a structural rewrite.


def _with_dtype(result: cst.BaseExpression, wanted: cst.BaseExpression | None, ctx: RuleContext) -> cst.BaseExpression:
    """``result.to(wanted)`` unless ``wanted`` is absent, None, or int64 (torch's index dtype)."""
    if wanted is None or _is_none(wanted):
        return result
    text = ctx.source(wanted).replace('"', "'")
    if text.endswith(".int64") or text == "'int64'":
        return result
    return _call(ctx, "Tensor.to", result, dtype(wanted, ctx))


def _arg(torch: str) -> Callable[[Mapping[str, cst.BaseExpression], cst.Call, RuleContext], cst.BaseExpression]:
    def build(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
        dim = values.get("axis")
        if dim is None or _is_none(dim):
            dim = cst.Integer("0")
        result = build_call(call, ctx.name(torch), [NewArg(values["input"]), NewArg(dim, "dim")])
        return _with_dtype(result, values.get("output_type"), ctx)

    return build


def _divide_no_nan(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    x, y = values["x"], values["y"]
    if _is_number(y):
        if _lit(y) == 0:
            raise CannotMigrate("dividing by a literal zero: the result is all zeros")
        return build_call(call, ctx.name("torch.div"), [NewArg(x), NewArg(y)])
    if not _repeatable(y, ctx):
        raise CannotMigrate(
            "the divisor is written twice in the rewrite (`torch.where(y != 0, x / y, 0.0)`) "
            "and this expression may not give the same value twice: assign it to a name first"
        )
    condition = cst.Comparison(_atom(y), [cst.ComparisonTarget(cst.NotEqual(), cst.Integer("0"))])
    quotient = cst.BinaryOperation(_atom(x), cst.Divide(), _atom(y))
    return build_call(call, ctx.name("torch.where"), [NewArg(condition), NewArg(quotient), NewArg(cst.Float("0.0"))])


def _add_n(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    return build_call(call, cst.Name("sum"), [NewArg(values["inputs"])])


def _clip_by_value(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    low, high = values["clip_value_min"], values["clip_value_max"]
    numbers = _is_number_expr(low), _is_number_expr(high)
    if numbers[0] != numbers[1] or (_is_number(low) and _is_number(high) and _lit(low) > _lit(high)):
        # torch.clamp takes two numbers or two tensors, not one of each; and TF applies the
        # upper bound first, which decides the result when lo > hi.
        inner = _call(ctx, "torch.clamp", values["t"], max=high)
        return build_call(call, ctx.name("torch.clamp"), [NewArg(inner), NewArg(low, "min")])
    return build_call(
        call,
        ctx.name("torch.clamp"),
        [NewArg(values["t"]), NewArg(values["clip_value_min"], "min"), NewArg(values["clip_value_max"], "max")],
    )


def _clip_by_norm(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    t, clip = values["t"], values["clip_norm"]
    if not _repeatable(t, ctx) or not _repeatable(clip, ctx):
        raise CannotMigrate(
            "`t` and `clip_norm` are each written twice in the rewrite and this expression may "
            "not give the same value twice: assign it to a name first"
        )
    kwargs: dict[str, cst.BaseExpression] = {}
    axes = values.get("axes")
    if axes is not None and not _is_none(axes):
        kwargs["dim"] = axis(axes, ctx)
    kwargs["keepdim"] = cst.Name("True")
    norm = _call(ctx, "torch.linalg.vector_norm", t, **kwargs)
    clamped = _call(ctx, "torch.clamp", norm, min=clip)
    scaled = cst.BinaryOperation(_atom(t), cst.Multiply(), _atom(clip))
    return cst.BinaryOperation(scaled, cst.Divide(), clamped)


def _count_nonzero(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    keepdims = _keepdims(values)
    ax = values.get("axis")
    if keepdims is not False:
        # torch.count_nonzero has no keepdim; counting the non-zero mask is the same number.
        nonzero = cst.Comparison(_atom(values["input"]), [cst.ComparisonTarget(cst.NotEqual(), cst.Integer("0"))])
        dim = axis(ax, ctx) if ax is not None else cst.Name("None")
        keep = cst.Name("True") if keepdims is True else keepdims
        counted = build_call(call, ctx.name("torch.sum"), [NewArg(nonzero), NewArg(dim, "dim"), NewArg(keep, "keepdim")])
        return _with_dtype(counted, values.get("dtype"), ctx)
    args = [NewArg(values["input"])]
    if ax is not None and not _is_none(ax):
        args.append(NewArg(axis(ax, ctx), "dim"))
    return _with_dtype(build_call(call, ctx.name("torch.count_nonzero"), args), values.get("dtype"), ctx)


def _cumulative(torch: str, identity: cst.BaseExpression | None = None) -> Callable[[Mapping[str, cst.BaseExpression], cst.Call, RuleContext], cst.BaseExpression]:
    """A running reduction along ``axis``; ``identity`` pads the exclusive form (None: 0)."""

    def build(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
        x = values["x"]
        dim = values.get("axis") or cst.Integer("0")
        try:
            exclusive = _lit(values.get("exclusive"), False)
            reverse = _lit(values.get("reverse"), False)
        except NotLiteral:
            raise CannotMigrate("`exclusive`/`reverse` is not a literal: the rewrite depends on it") from None
        if not (exclusive or reverse):
            return build_call(call, ctx.name(torch), [NewArg(x), NewArg(dim, "dim")])
        if not _repeatable(dim, ctx):
            raise CannotMigrate("`axis` is written several times in this form: assign it to a name first")
        dims = cst.Tuple([cst.Element(dim, comma=cst.Comma())])
        if reverse:
            x = _call(ctx, "torch.flip", x, dims)
        if exclusive:
            # Shift by one along the axis: run on the last axis, drop the last total, pad the
            # identity in front, move the axis back.
            last = _lit(dim) == -1 if _is_number(dim) else False
            moved = x if last else _call(ctx, "Tensor.movedim", x, dim, to_node(-1))
            running = _call(ctx, torch, moved, dim=to_node(-1))
            head = cst.Subscript(
                running,
                [
                    cst.SubscriptElement(cst.Index(cst.Ellipsis()), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                    cst.SubscriptElement(cst.Slice(lower=None, upper=to_node(-1))),
                ],
            )
            pad_kwargs = {"value": identity} if identity is not None else {}
            result = _call(ctx, "torch.nn.functional.pad", head, to_node((1, 0)), **pad_kwargs)
            if not last:
                result = _call(ctx, "Tensor.movedim", result, to_node(-1), dim)
        else:
            result = _call(ctx, torch, x, dim=dim)
        if reverse:
            result = _call(ctx, "torch.flip", result, dims)
        return result

    return build


def _floordiv(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    x, y = values["x"], values["y"]
    if _is_number(x) and _is_number(y):
        raise CannotMigrate("both operands are numbers: there is no tensor to compute with")
    return build_call(call, ctx.name("torch.div"), [NewArg(x), NewArg(y), NewArg(cst.SimpleString('"floor"'), "rounding_mode")])


def _truncatediv(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    x, y = values["x"], values["y"]
    if _is_number(x):
        raise CannotMigrate("a number as the dividend: TF needs a tensor of the same dtype")
    return build_call(call, ctx.name("torch.div"), [NewArg(x), NewArg(y), NewArg(cst.SimpleString('"trunc"'), "rounding_mode")])


def _mod(torch: str) -> Callable[[Mapping[str, cst.BaseExpression], cst.Call, RuleContext], cst.BaseExpression]:
    def build(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
        x, y = values["x"], values["y"]
        if _is_number(x):
            if torch == "torch.fmod":
                raise CannotMigrate("`torch.fmod` needs a tensor dividend")
            if _is_number(y):
                raise CannotMigrate("both operands are numbers: there is no tensor to compute with")
        return build_call(call, ctx.name(torch), [NewArg(x), NewArg(y)])

    return build


def _squared_difference(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    x, y = values["x"], values["y"]
    if _is_number(x) and _is_number(y):
        raise CannotMigrate("both operands are numbers: there is no tensor to compute with")
    difference = cst.BinaryOperation(_atom(x), cst.Subtract(), _atom(y))
    return build_call(call, ctx.name("torch.square"), [NewArg(difference)])


def _l2_normalize(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    ax = values.get("axis")
    if ax is None or _is_none(ax):
        ax = values.get("dim")
    elif values.get("dim") is not None:
        raise CannotMigrate("both `axis` and `dim` are given")
    if ax is None or _is_none(ax):
        raise CannotMigrate("no `axis`: TF normalises over all elements, `F.normalize` needs the dims")
    eps_node = values.get("epsilon")
    if eps_node is None:
        eps: cst.BaseExpression = cst.Float("1e-06")
    elif _is_number(eps_node):
        eps = to_node(math.sqrt(_lit(eps_node)))
    else:
        eps = cst.BinaryOperation(_atom(eps_node), cst.Power(), cst.Float("0.5"))
    return build_call(call, ctx.name("torch.nn.functional.normalize"), [NewArg(values["x"]), NewArg(axis(ax, ctx), "dim"), NewArg(eps, "eps")])


def _unsorted_segment_sum(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    data, ids, n = values["data"], values["segment_ids"], values["num_segments"]
    if not (_repeatable(data, ctx) and _repeatable(ids, ctx)):
        raise CannotMigrate("`data` and `segment_ids` are written twice in the rewrite: assign them to names first")
    # data.new_zeros((n, *data.shape[ids.dim():])).index_add_(0, ids.flatten(), data.flatten(0, ids.dim() - 1))
    rank = _call(ctx, "Tensor.dim", ids)
    tail = cst.Subscript(
        cst.Attribute(_atom(data), cst.Name("shape")),
        [cst.SubscriptElement(cst.Slice(lower=rank, upper=None))],
    )
    shape = cst.Tuple([cst.Element(n, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), cst.StarredElement(tail)])
    zeros = _call(ctx, "Tensor.new_zeros", data, shape)
    last = cst.BinaryOperation(_call(ctx, "Tensor.dim", ids), cst.Subtract(), cst.Integer("1"))
    flat = _call(ctx, "Tensor.flatten", data, cst.Integer("0"), last)
    return _call(ctx, "Tensor.index_add_", zeros, cst.Integer("0"), _call(ctx, "Tensor.flatten", ids), flat)


# ---------------------------------------------------------------------------------------
# The table.

_SUM_INT = Check("tf.reduce_sum(x, axis=0)", {"x": "i32[3,4]"}, dtype=False)

RULES: list[Rule] = [
    _reduction(
        "reduce_sum", "torch.sum", "sum over axes",
        _reduction_checks("reduce_sum", also=[_SUM_INT, Check("tf.math.reduce_sum(x, [1])", {"x": "f64[2,3]"})]),
        dim_needs_keepdim=True, extra_why=_INT_PROMOTION,
    ),
    _reduction(
        "reduce_mean", "torch.mean", "mean over axes",
        _reduction_checks("reduce_mean", also=[Check("tf.reduce_mean(x, axis=1)", {"x": "f16[3,8]"}, atol=2e-3, rtol=2e-3)]),
        dim_needs_keepdim=True,
        extra_why=(
            " TF's mean of an integer tensor is an integer (truncated); `torch.mean` refuses "
            "integer tensors, so such a site fails loudly rather than silently differing."
        ),
    ),
    _reduction("reduce_max", "torch.amax", "maximum over axes", _reduction_checks("reduce_max", also=[Check("tf.reduce_max(x, axis=1)", {"x": "i32[3,4]"})])),
    _reduction("reduce_min", "torch.amin", "minimum over axes", _reduction_checks("reduce_min", also=[Check("tf.reduce_min(x)", {"x": "i64[5]"})])),
    _reduction("reduce_any", "torch.any", "logical or over axes", _reduction_checks("reduce_any", "bool")),
    _reduction("reduce_all", "torch.all", "logical and over axes", _reduction_checks("reduce_all", "bool")),
    _reduction(
        "reduce_std", "torch.std", "population standard deviation over axes",
        [
            Check("tf.math.reduce_std(x)", {"x": "f32[3,4]"}),
            Check("tf.math.reduce_std(x, axis=0)", {"x": "f64[5,2]"}),
            Check("tf.math.reduce_std(x, axis=-1)", {"x": "f32[2,3,4]"}),
            Check("tf.math.reduce_std(x, axis=[0, 2], keepdims=True)", {"x": "f32[2,3,4]"}),
            Check("tf.math.reduce_std(x, keepdims=True)", {"x": "f64[3,4]"}),
            Check("tf.math.reduce_std(x, 1)", {"x": "f32[2,1]"}),
        ],
        dim_needs_keepdim=True, tf_names=["tf.math.reduce_std"], extra={"correction": 0},
        extra_why=(
            " TF divides by N (the population deviation); `torch.std` divides by N - 1 by "
            "default, so `correction=0` is written. A single element gives 0 in both."
        ),
    ),
    _reduction(
        "reduce_variance", "torch.var", "population variance over axes",
        [
            Check("tf.math.reduce_variance(x)", {"x": "f32[3,4]"}),
            Check("tf.math.reduce_variance(x, axis=-1)", {"x": "f32[2,3,4]"}),
            Check("tf.math.reduce_variance(x, axis=[0, 2], keepdims=True)", {"x": "f32[2,3,4]"}),
            Check("tf.math.reduce_variance(x, keepdims=True)", {"x": "f64[3,4]"}),
            Check("tf.math.reduce_variance(x, 1)", {"x": "f32[2,1]"}),
        ],
        dim_needs_keepdim=True, tf_names=["tf.math.reduce_variance"], extra={"correction": 0},
        extra_why=" TF divides by N; `torch.var` by N - 1 unless told, so `correction=0` is written.",
    ),
    _reduction(
        "reduce_euclidean_norm", "torch.linalg.vector_norm", "the 2-norm over axes",
        [
            Check("tf.math.reduce_euclidean_norm(x)", {"x": "f32[3,4]"}),
            Check("tf.math.reduce_euclidean_norm(x, axis=-1)", {"x": "f32[2,3,4]"}),
            Check("tf.math.reduce_euclidean_norm(x, axis=[0, 2], keepdims=True)", {"x": "f64[2,3,4]"}),
            Check("tf.math.reduce_euclidean_norm(x, keepdims=True)", {"x": "f32[3,4]"}),
        ],
        tf_names=["tf.math.reduce_euclidean_norm"],
        extra_why=" `vector_norm` defaults to the 2-norm and to all dimensions, as TF does; it takes float input only.",
    ),
    Custom(
        id="ops.reduce_prod",
        tf=["tf.math.reduce_prod", "tf.reduce_prod"],
        signature=_REDUCTION_SIGNATURE,
        handled=["input_tensor", "axis", "keepdims"],
        build=_prod,
        summary="`tf.reduce_prod` → `torch.prod` (one axis at a time).",
        why=(
            "`torch.prod` takes a single `dim` (no tuple), and `keepdim` only with a `dim`. One "
            "axis (an int or a one-element list) maps directly; several axes, or `keepdims=True` "
            "without an axis, are left as a TODO." + _INT_PROMOTION
        ),
        example="p = tf.reduce_prod(x, axis=-1)",
        checks=[
            Check("tf.reduce_prod(x)", {"x": "f32[3,4]:pos"}),
            Check("tf.reduce_prod(x, axis=-1)", {"x": "f32[2,3,4]:pos"}),
            Check("tf.math.reduce_prod(x, axis=[1], keepdims=True)", {"x": "f64[2,3]"}),
            Check("tf.reduce_prod(x, 0)", {"x": "f32[2,0]"}),
            Check("tf.reduce_prod(x, axis=0)", {"x": "i32[3,4]:1..4"}, dtype=False),
            Check("tf.reduce_prod(x, 1, keep)", {"x": "f32[3,4]", "keep": True}),
            Check("tf.reduce_prod(x, axis=[0, 1])", {"x": "f32[3,4]"}, todo=True),
        ],
    ),
    Custom(
        id="ops.reduce_logsumexp",
        tf=["tf.math.reduce_logsumexp", "tf.reduce_logsumexp"],
        signature=_REDUCTION_SIGNATURE,
        handled=["input_tensor", "axis", "keepdims"],
        build=_logsumexp,
        summary="`tf.reduce_logsumexp` → `torch.logsumexp`.",
        why=(
            "Same stable log-sum-exp. `torch.logsumexp` needs `dim`: without an axis TF reduces "
            "everything, written as `torch.logsumexp(torch.flatten(x), dim=0)`; `keepdims=True` "
            "without an axis would need the rank and is left as a TODO."
        ),
        example="lse = tf.reduce_logsumexp(logits, axis=-1, keepdims=True)",
        checks=[
            Check("tf.reduce_logsumexp(x)", {"x": "f32[3,4]"}),
            Check("tf.reduce_logsumexp(x, axis=-1, keepdims=True)", {"x": "f32[2,3,4]"}),
            Check("tf.math.reduce_logsumexp(x, axis=[0, 2])", {"x": "f64[2,3,4]"}),
            Check("tf.reduce_logsumexp(x, 1)", {"x": "f32[0,3]"}),
            Check("tf.reduce_logsumexp(x, -1, keep)", {"x": "f32[3,4]", "keep": True}),
            Check("tf.reduce_logsumexp(x, keepdims=True)", {"x": "f32[3,4]"}, todo=True),
        ],
    ),
    Custom(
        id="ops.argmax",
        tf=["tf.math.argmax", "tf.argmax"],
        signature="input, axis=None, output_type=None, name=None",
        handled=["input", "axis", "output_type"],
        build=_arg("torch.argmax"),
        summary="`tf.argmax` → `torch.argmax`, writing TF's default `axis=0` explicitly.",
        why=(
            "Without an axis TF reduces axis 0, while `torch.argmax` without `dim` flattens the "
            "tensor first: the default is written out. Both return int64 by default; another "
            "`output_type` (often `tf.int32`) becomes `.to(dtype)`. Ties go to the first index "
            "in both."
        ),
        example="i = tf.argmax(logits)\nj = tf.argmax(logits, axis=-1, output_type=tf.int32)",
        checks=[
            Check("tf.argmax(x)", {"x": "f32[3,4]"}),
            Check("tf.math.argmax(x, axis=-1)", {"x": "f32[2,3,4]"}),
            Check("tf.argmax(x, 1)", {"x": "i32[4,6]:0..3"}),
            Check("tf.argmax(x, axis=0)", {"x": "f64[5]"}),
            Check("tf.argmax(x, axis=1, output_type=tf.int32)", {"x": "f32[3,4]"}),
            Check("tf.argmax(x, -1, output_type=tf.int64)", {"x": "f32[3,4]"}),
            Check("tf.argmax(input=x, axis=k, output_type='int32')", {"x": "f32[3,4]", "k": 1}),
            Check("tf.argmax(x, dimension=1)", {"x": "f32[3,4]"}, todo=True),
        ],
    ),
    Custom(
        id="ops.argmin",
        tf=["tf.math.argmin", "tf.argmin"],
        signature="input, axis=None, output_type=None, name=None",
        handled=["input", "axis", "output_type"],
        build=_arg("torch.argmin"),
        summary="`tf.argmin` → `torch.argmin`, writing TF's default `axis=0` explicitly.",
        why=(
            "As for `tf.argmax`: TF's missing axis means 0, torch's means 'flatten'; an "
            "`output_type` other than int64 becomes `.to(dtype)`. Ties go to the first index in both."
        ),
        example="i = tf.argmin(distances)",
        checks=[
            Check("tf.argmin(x)", {"x": "f32[3,4]"}),
            Check("tf.math.argmin(x, axis=-1)", {"x": "f32[2,3,4]"}),
            Check("tf.argmin(x, 1)", {"x": "i64[4,6]:0..3"}),
            Check("tf.argmin(x, axis=1, output_type=tf.int32)", {"x": "f32[3,4]"}),
            Check("tf.argmin(x, dimension=1)", {"x": "f32[3,4]"}, todo=True),
        ],
    ),
    # Element-wise, one argument.
    _unary("abs", "torch.abs", [*_float_checks("abs"), Check("tf.abs(x)", {"x": "i32[6]"})]),
    _unary("exp", "torch.exp", [*_float_checks("exp"), Check("tf.exp(x)", {"x": "f32[3]"})]),
    _unary("log", "torch.log", _float_checks("log", "pos"), tf_names=("tf.math.log", "tf.log"),
           why="Same element-wise natural logarithm. (`tf.log` is the TF 1 spelling.)"),
    _unary("sqrt", "torch.sqrt", [*_float_checks("sqrt", "pos"), Check("tf.sqrt(x)", {"x": "f32[3]:pos"})]),
    _unary("square", "torch.square", [*_float_checks("square"), Check("tf.square(x)", {"x": "i32[6]"})]),
    _unary("tanh", "torch.tanh", [*_float_checks("tanh"), Check("tf.tanh(x)", {"x": "f32[3]"}), Check("list(map(tf.math.tanh, [x, y]))", {"x": "f32[3]", "y": "f64[2]"})]),
    _unary(
        "sigmoid", "torch.sigmoid",
        [*_float_checks("sigmoid"), Check("tf.nn.sigmoid(x)", {"x": "f32[3]"}), Check("tf.sigmoid(x)", {"x": "f32[3]"}),
         Check("f = tf.math.sigmoid\nresult = f(x)", {"x": "f32[2,3]"})],
        tf_names=("tf.math.sigmoid", "tf.sigmoid", "tf.nn.sigmoid"),
    ),
    _unary("cos", "torch.cos", [*_float_checks("cos"), Check("tf.cos(x)", {"x": "f32[3]"})]),
    _unary("sin", "torch.sin", [*_float_checks("sin"), Check("tf.sin(x)", {"x": "f32[3]"})]),
    _unary("tan", "torch.tan", [*_float_checks("tan", "-1..1"), Check("tf.tan(x)", {"x": "f32[3]"})]),
    _unary("asin", "torch.asin", [*_float_checks("asin", "-1..1")]),
    _unary("acos", "torch.acos", [*_float_checks("acos", "-1..1")]),
    _unary("atan", "torch.atan", [*_float_checks("atan")]),
    _unary("sinh", "torch.sinh", [*_float_checks("sinh")]),
    _unary("cosh", "torch.cosh", [*_float_checks("cosh")]),
    _unary("floor", "torch.floor", [*_float_checks("floor"), Check("tf.floor(x * 3.0)", {"x": "f32[8]"})]),
    _unary("ceil", "torch.ceil", [*_float_checks("ceil")], tf_names=("tf.math.ceil",)),
    _unary(
        "round", "torch.round",
        [*_float_checks("round"), Check("tf.round(tf.floor(x) + 0.5)", {"x": "f32[12]:-4..4"}), Check("tf.round(x)", {"x": "i32[5]"})],
        why="Both round half to even (0.5 → 0, 1.5 → 2, 2.5 → 2); an integer tensor is returned as it is.",
    ),
    _unary("rint", "torch.round", [*_float_checks("rint", f16=False), Check("tf.math.rint(tf.floor(x) + 0.5)", {"x": "f64[12]:-4..4"})], tf_names=("tf.math.rint",), why="`rint` rounds half to even, like `torch.round`."),
    _unary("rsqrt", "torch.rsqrt", _float_checks("rsqrt", "pos"), tf_names=("tf.math.rsqrt",)),
    _unary("reciprocal", "torch.reciprocal", _float_checks("reciprocal", "pos"), tf_names=("tf.math.reciprocal",),
           why="Same for floats. TF's integer reciprocal is integer division (1 // x); torch returns floats, so integer inputs differ."),
    _unary("log1p", "torch.log1p", _float_checks("log1p", "pos"), tf_names=("tf.math.log1p",)),
    _unary("expm1", "torch.expm1", _float_checks("expm1"), tf_names=("tf.math.expm1",)),
    _unary("erf", "torch.erf", _float_checks("erf"), tf_names=("tf.math.erf",)),
    _unary("erfc", "torch.erfc", _float_checks("erfc"), tf_names=("tf.math.erfc",)),
    _unary("lgamma", "torch.lgamma", _float_checks("lgamma", "pos", f16=False), tf_names=("tf.math.lgamma",)),
    _unary("digamma", "torch.digamma", _float_checks("digamma", "pos", f16=False), tf_names=("tf.math.digamma",)),
    _unary("sign", "torch.sign", [*_float_checks("sign"), Check("tf.sign(x)", {"x": "i32[8]"})]),
    _unary("negative", "torch.neg", [*_float_checks("negative"), Check("tf.negative(x)", {"x": "i32[8]"})]),
    _unary("is_nan", "torch.isnan", [Check("tf.math.is_nan(tf.math.log(x))", {"x": "f32[3,4]"}), Check("tf.math.is_nan(x)", {"x": "f64[0]"})], tf_names=("tf.math.is_nan",)),
    _unary("is_inf", "torch.isinf", [Check("tf.math.is_inf(1.0 / x)", {"x": "f32[3,4]"}), Check("tf.math.is_inf(tf.math.log(x) / tf.floor(y))", {"x": "f32[12]", "y": "f32[12]:0..2"})], tf_names=("tf.math.is_inf",)),
    _unary("is_finite", "torch.isfinite", [Check("tf.math.is_finite(tf.math.log(x) / tf.floor(y))", {"x": "f32[12]", "y": "f32[12]:0..2"}), Check("tf.math.is_finite(x)", {"x": "f16[3]"})], tf_names=("tf.math.is_finite",)),
    _unary(
        "softplus", "torch.nn.functional.softplus",
        [*_float_checks("softplus", f16=False), Check("tf.math.softplus(features=x * 30.0)", {"x": "f32[6]"})],
        tf_names=("tf.math.softplus",), param="features",
        why="log(1 + exp(x)); both switch to the identity (or exp) where that is exact in float, so values agree to rounding.",
    ),
    _unary(
        "log_sigmoid", "torch.nn.functional.logsigmoid",
        [*_float_checks("log_sigmoid", f16=False), Check("tf.math.log_sigmoid(x * 40.0)", {"x": "f32[6]"})],
        tf_names=("tf.math.log_sigmoid",),
        why="Same stable log(sigmoid(x)).",
    ),
    _unary(
        "logical_not", "torch.logical_not",
        [Check("tf.logical_not(x)", {"x": "bool[3,4]"}), Check("tf.math.logical_not(x)", {"x": "bool[2,0]"})],
    ),
    # Element-wise, two arguments.
    Binary("add", "torch.add", _binary_checks("add", also=[Check("list(map(tf.add, [x, y], [y, x]))", {"x": "f32[3]", "y": "f32[3]"})]), commutative=True),
    Binary("subtract", "torch.subtract", _binary_checks("subtract"), commutative=False, reversed_op="torch.rsub"),
    Binary("multiply", "torch.multiply", _binary_checks("multiply", also=[Check("tf.multiply(x, y)", {"x": "bf16[4]", "y": "bf16[4]"}, atol=1e-2)]), commutative=True),
    Binary("maximum", "torch.maximum", _binary_checks("maximum", number=0.0, also=[Check("tf.maximum(x, 0)", {"x": "i32[6]"}), Check("tf.maximum(1e-6, x)", {"x": "f32[6]"}), Check("tf.maximum(x, 1.0 - 0.5)", {"x": "f32[6]"})]), commutative=True, clamp="min"),
    Binary("minimum", "torch.minimum", _binary_checks("minimum", number=1.0, also=[Check("tf.minimum(x, 3)", {"x": "i32[6]"})]), commutative=True, clamp="max"),
    Binary(
        "pow", "torch.pow",
        _binary_checks("pow", pos=True, also=[Check("tf.pow(x, 2)", {"x": "i32[6]"}), Check("tf.pow(x, 0.5)", {"x": "f32[6]:pos"})]),
        commutative=False, left_number_ok=True,
        why="Integer powers stay integers in both; a negative integer exponent is an error in TF.",
    ),
    Binary(
        "divide", "torch.div",
        _binary_checks("divide", ints=False, pos=True, also=[Check("tf.divide(x, y)", {"x": "i32[6]", "y": "i32[6]:1..5"}, dtype=False)]),
        commutative=False, left_number_ok=True,
        why=(
            "True division. TF divides int32/int64 tensors into float64 (int8/int16 into "
            "float32); torch divides any integer tensor into the default float32. The integer "
            "check compares values with `dtype=False` for that reason; float dtypes agree."
        ),
    ),
    Binary(
        "truediv", "torch.div",
        [*_binary_checks("truediv", ints=False, pos=True), Check("tf.truediv(x, y)", {"x": "f32[3,4]", "y": "f32[3,4]:pos"})],
        commutative=False, left_number_ok=True,
        why="True division; as for `tf.divide`, integer inputs become float64 in TF and float32 in torch.",
    ),
    Binary("equal", "torch.eq", _binary_checks("equal", number=1, also=[Check("tf.equal(x, y)", {"x": "i32[3,4]:0..3", "y": "i32[4]:0..3"}), Check("tf.equal(x, y)", {"x": "bool[5]", "y": "bool[5]"})]), commutative=True),
    Binary("not_equal", "torch.ne", _binary_checks("not_equal", number=1, also=[Check("tf.not_equal(x, y)", {"x": "i32[3,4]:0..3", "y": "i32[4]:0..3"})]), commutative=True),
    Binary("greater", "torch.gt", _binary_checks("greater", also=[Check("tf.greater(x, 0)", {"x": "i32[6]"})]), commutative=False, reversed_op="torch.lt"),
    Binary("greater_equal", "torch.ge", _binary_checks("greater_equal", also=[Check("tf.greater_equal(x, 0)", {"x": "i32[6]"})]), commutative=False, reversed_op="torch.le"),
    Binary("less", "torch.lt", _binary_checks("less", also=[Check("tf.less(x, 0)", {"x": "i32[6]"})]), commutative=False, reversed_op="torch.gt"),
    Binary("less_equal", "torch.le", _binary_checks("less_equal", also=[Check("tf.less_equal(x, 0)", {"x": "i32[6]"})]), commutative=False, reversed_op="torch.ge"),
    Binary(
        "atan2", "torch.atan2",
        [Check("tf.math.atan2(y, x)", {"y": "f32[3,4]", "x": "f32[3,4]"}), Check("tf.atan2(y, x)", {"y": "f64[2,3]", "x": "f64[3]"}),
         Check("tf.math.atan2(y, 1.0)", {"y": "f32[4]"}, todo=True), Check("tf.math.atan2(1.0, x)", {"x": "f32[4]"}, todo=True)],
        commutative=False, params=("y", "x"), tensors_only=True,
    ),
    Binary(
        "xlogy", "torch.xlogy",
        [Check("tf.math.xlogy(x, y)", {"x": "f32[3,4]", "y": "f32[3,4]:pos"}), Check("tf.math.xlogy(x * 0.0, y * 0.0)", {"x": "f32[4]", "y": "f32[4]"})],
        commutative=False, left_number_ok=True, tf_names=("tf.math.xlogy",),
        why="Both give 0 where x is 0, whatever y is.",
    ),
    Elementwise(
        id="ops.logical_and",
        tf=["tf.math.logical_and", "tf.logical_and"],
        torch="torch.logical_and",
        signature="x, y, name=None",
        args={"x": Pos(0), "y": Pos(1), "name": DROP},
        summary="`tf.logical_and` → `torch.logical_and`.",
        why="Same element-wise function on booleans, with broadcasting.",
        example="both = tf.logical_and(mask_a, mask_b)",
        checks=[Check("tf.logical_and(x, y)", {"x": "bool[3,4]", "y": "bool[3,4]"}), Check("tf.math.logical_and(x, y)", {"x": "bool[2,3]", "y": "bool[3]"}),
                Check("f = tf.math.logical_and\nresult = f(x, y)", {"x": "bool[4]", "y": "bool[4]"})],
    ),
    Elementwise(
        id="ops.logical_or",
        tf=["tf.math.logical_or", "tf.logical_or"],
        torch="torch.logical_or",
        signature="x, y, name=None",
        args={"x": Pos(0), "y": Pos(1), "name": DROP},
        summary="`tf.logical_or` → `torch.logical_or`.",
        why="Same element-wise function on booleans, with broadcasting.",
        example="either = tf.logical_or(mask_a, mask_b)",
        checks=[Check("tf.logical_or(x, y)", {"x": "bool[3,4]", "y": "bool[3,4]"}), Check("tf.math.logical_or(x, y)", {"x": "bool[2,3]", "y": "bool[3]"})],
    ),
    Elementwise(
        id="ops.logical_xor",
        tf=["tf.math.logical_xor"],
        torch="torch.logical_xor",
        signature="x, y, name='LogicalXor'",
        args={"x": Pos(0), "y": Pos(1), "name": DROP},
        summary="`tf.math.logical_xor` → `torch.logical_xor`.",
        why="Same element-wise function on booleans, with broadcasting.",
        example="differ = tf.math.logical_xor(mask_a, mask_b)",
        checks=[Check("tf.math.logical_xor(x, y)", {"x": "bool[3,4]", "y": "bool[3,4]"}), Check("tf.math.logical_xor(x, y)", {"x": "bool[2,3]", "y": "bool[3]"})],
    ),
    Custom(
        id="ops.divide_no_nan",
        tf=["tf.math.divide_no_nan", "tf.div_no_nan"],
        signature="x, y, name=None",
        handled=["x", "y"],
        build=_divide_no_nan,
        summary="`tf.math.divide_no_nan(x, y)` → `torch.where(y != 0, x / y, 0.0)`.",
        why=(
            "TF returns 0 wherever the divisor is 0 (even for 0/0 and x/0); torch has no such "
            "function, so the quotient is masked with `torch.where`. The divisor appears twice, "
            "which is only written when it is a name, attribute, subscript, arithmetic, or a "
            "call of a library function (`torch.sum(mask)`) or computing tensor method "
            "(`mask.sum()`) that is not random; any other divisor (`self.encoder(x)`, "
            "`next(it)`) is a TODO. The forward "
            "values match; note that autograd through `torch.where` gives NaN gradients where "
            "the divisor is 0 (TF's op does not): mask the divisor first (`y.clamp_min(eps)` or "
            "`torch.where(y != 0, y, 1)`) if gradients flow there."
        ),
        example="mean = tf.math.divide_no_nan(total, count)",
        checks=[
            Check("tf.math.divide_no_nan(x, y * tf.cast(y > 0, tf.float32))", {"x": "f32[3,4]", "y": "f32[3,4]"}),
            Check("tf.math.divide_no_nan(x, y)", {"x": "f32[3,4]", "y": "f32[4]"}),
            Check("tf.math.divide_no_nan(x * 0.0, x * 0.0)", {"x": "f64[5]"}),
            Check("tf.math.divide_no_nan(x, tf.reduce_sum(y))", {"x": "f32[3]", "y": "f32[3]"}),
            Check("tf.math.divide_no_nan(x, y[..., tf.newaxis] * tf.cast(y[..., tf.newaxis] > 0, tf.float32))", {"x": "f32[3,4]", "y": "f32[3]"}),
            Check("tf.math.divide_no_nan(x, 4.0)", {"x": "f32[3]"}),
            Check("tf.math.divide_no_nan(x, y)", {"x": "f32[2,0]", "y": "f32[2,0]"}),
            Check("tf.math.divide_no_nan(x, f(y))", {"x": "f32[3]", "y": "f32[3]"}, todo=True),
            Check("tf.math.divide_no_nan(x, layer.count(y))", {"x": "f32[3]", "y": "f32[3]"}, todo=True),
        ],
    ),
    Custom(
        id="ops.floordiv",
        tf=["tf.math.floordiv", "tf.floordiv"],
        signature="x, y, name=None",
        handled=["x", "y"],
        build=_floordiv,
        summary='`tf.math.floordiv` → `torch.div(x, y, rounding_mode="floor")`.',
        why=(
            "Both round the quotient towards minus infinity, so negative integers agree "
            "(-7 // 2 = -4). For floats TF computes floor(x / y) while torch computes Python's "
            "`//` (from `fmod`): they differ in rare cases where x / y rounds up to a whole "
            "number (1.0 // 0.1 is 10.0 in TF, 9.0 in torch and Python)."
        ),
        example="row = tf.math.floordiv(index, width)",
        checks=[
            Check("tf.math.floordiv(x, y)", {"x": "i32[8]:-20..20", "y": "i32[8]:1..6"}),
            Check("tf.math.floordiv(x, -y)", {"x": "i64[8]:-20..20", "y": "i64[8]:1..6"}),
            Check("tf.math.floordiv(x, 3)", {"x": "i32[3,4]:-20..20"}),
            Check("tf.math.floordiv(x, y)", {"x": "f32[3,4]", "y": "f32[4]:pos"}),
            Check("tf.math.floordiv(7, x)", {"x": "i32[6]:1..5"}),
        ],
    ),
    Custom(
        id="ops.floormod",
        tf=["tf.math.floormod", "tf.math.mod", "tf.floormod", "tf.mod"],
        signature="x, y, name=None",
        handled=["x", "y"],
        build=_mod("torch.remainder"),
        summary="`tf.math.floormod` → `torch.remainder` (result has the divisor's sign).",
        why=(
            "TF's floormod is Python's `%`: the result takes the sign of the divisor, which "
            "is `torch.remainder` (not `torch.fmod`, which takes the dividend's sign)."
        ),
        example="phase = tf.math.floormod(step, period)",
        checks=[
            Check("tf.math.floormod(x, y)", {"x": "i32[8]:-20..20", "y": "i32[8]:1..6"}),
            Check("tf.math.floormod(x, -y)", {"x": "i64[8]:-20..20", "y": "i64[8]:1..6"}),
            Check("tf.math.mod(x, 3)", {"x": "i32[3,4]:-20..20"}),
            Check("tf.math.floormod(x, y)", {"x": "f32[3,4]", "y": "f32[4]:pos"}),
            Check("tf.math.floormod(x, -2.5)", {"x": "f64[6]"}),
            Check("tf.math.floormod(7, x)", {"x": "i32[6]:1..5"}),
        ],
    ),
    Custom(
        id="ops.truncatediv",
        tf=["tf.truncatediv"],
        signature="x, y, name=None",
        handled=["x", "y"],
        build=_truncatediv,
        summary='`tf.truncatediv` → `torch.div(x, y, rounding_mode="trunc")`.',
        why="Integer division rounding towards zero (C semantics): -7 / 2 = -3 in both.",
        example="q = tf.truncatediv(x, y)",
        checks=[
            Check("tf.truncatediv(x, y)", {"x": "i32[8]:-20..20", "y": "i32[8]:1..6"}),
            Check("tf.truncatediv(x, -y)", {"x": "i64[8]:-20..20", "y": "i64[8]:1..6"}),
            Check("tf.truncatediv(x, 3)", {"x": "i32[3,4]:-20..20"}),
        ],
    ),
    Custom(
        id="ops.truncatemod",
        tf=["tf.truncatemod"],
        signature="x, y, name=None",
        handled=["x", "y"],
        build=_mod("torch.fmod"),
        summary="`tf.truncatemod` → `torch.fmod` (result has the dividend's sign).",
        why="C's remainder: the result takes the sign of the dividend, which is `torch.fmod`.",
        example="r = tf.truncatemod(x, y)",
        checks=[
            Check("tf.truncatemod(x, y)", {"x": "i32[8]:-20..20", "y": "i32[8]:1..6"}),
            Check("tf.truncatemod(x, -y)", {"x": "i64[8]:-20..20", "y": "i64[8]:1..6"}),
            Check("tf.truncatemod(x, 3)", {"x": "i32[3,4]:-20..20"}),
            Check("tf.truncatemod(x, y)", {"x": "f32[3,4]", "y": "f32[4]:pos"}),
        ],
    ),
    Custom(
        id="ops.squared_difference",
        tf=["tf.math.squared_difference"],
        signature="x, y, name=None",
        handled=["x", "y"],
        build=_squared_difference,
        summary="`tf.math.squared_difference(x, y)` → `torch.square(x - y)`.",
        why="torch has no fused op; `(x - y)²` is what TF computes, with the same broadcasting.",
        example="err = tf.math.squared_difference(pred, target)",
        checks=[
            Check("tf.math.squared_difference(x, y)", {"x": "f32[3,4]", "y": "f32[3,4]"}),
            Check("tf.math.squared_difference(x, y)", {"x": "f32[2,3]", "y": "f32[3]"}),
            Check("tf.math.squared_difference(x, 1.5)", {"x": "f64[4]"}),
            Check("tf.math.squared_difference(x, y)", {"x": "i32[6]", "y": "i32[6]"}),
            Check("tf.math.squared_difference(x + 1.0, y - x)", {"x": "f32[4]", "y": "f32[4]"}),
        ],
    ),
    Custom(
        id="ops.add_n",
        tf=["tf.math.add_n", "tf.add_n"],
        signature="inputs, name=None",
        handled=["inputs"],
        build=_add_n,
        summary="`tf.add_n(tensors)` → `sum(tensors)`.",
        why=(
            "Adds a list of same-shaped tensors. Python's `sum` adds them starting from 0, "
            "which keeps their dtype (`torch.stack(...).sum(0)` would turn int32 into int64). "
            "TF refuses an empty list; `sum([])` is 0."
        ),
        example="total = tf.add_n([loss_a, loss_b, loss_c])",
        checks=[
            Check("tf.add_n([a, b, c])", {"a": "f32[3,4]", "b": "f32[3,4]", "c": "f32[3,4]"}),
            Check("tf.math.add_n([a])", {"a": "f64[2]"}),
            Check("tf.add_n([a, b])", {"a": "i32[5]", "b": "i32[5]"}),
            Check("tf.add_n((a, b))", {"a": "f32[2,0]", "b": "f32[2,0]"}),
            Check("tf.add_n(inputs=[a, b])", {"a": "f16[3]", "b": "f16[3]"}),
        ],
    ),
    Custom(
        id="ops.clip_by_value",
        tf=["tf.clip_by_value"],
        signature="t, clip_value_min, clip_value_max, name=None",
        handled=["t", "clip_value_min", "clip_value_max"],
        build=_clip_by_value,
        summary="`tf.clip_by_value(t, lo, hi)` → `torch.clamp(t, min=lo, max=hi)`.",
        why=(
            "Same element-wise clamp; bounds may be numbers or tensors that broadcast. "
            "`torch.clamp` takes two numbers or two tensors but not one of each, so a literal "
            "number next to another expression becomes two nested clamps in TF's order "
            "(`torch.clamp(torch.clamp(t, max=hi), min=lo)`). The order matters only when "
            "lo > hi: TF then gives lo, `torch.clamp(t, lo, hi)` gives hi; literal bounds in "
            "that order get the nested form too, other bounds are assumed ordered."
        ),
        example="p = tf.clip_by_value(p, 1e-7, 1.0 - 1e-7)",
        checks=[
            Check("tf.clip_by_value(x, -0.5, 0.5)", {"x": "f32[3,4]"}),
            Check("tf.clip_by_value(x, 0, 3)", {"x": "i32[8]"}),
            Check("tf.clip_by_value(x, lo, hi)", {"x": "f32[3,4]", "lo": "f32[4]:-1..0", "hi": "f32[4]:0..1"}),
            Check("tf.clip_by_value(t=x, clip_value_min=lo, clip_value_max=1.0)", {"x": "f64[5]", "lo": "f64[5]:-1..0"}),
            Check("tf.clip_by_value(x, 1.0, -1.0)", {"x": "f32[5]"}),
            Check("tf.clip_by_value(x, 1e-3, 1.0 - 1e-3)", {"x": "f32[5]:unit"}),
            Check("tf.clip_by_value(x, lo, 0.5)", {"x": "f32[6]", "lo": "f32[6]"}),
            Check("tf.clip_by_value(x, 0.0, 1.0)", {"x": "f32[2,0]"}),
        ],
    ),
    Custom(
        id="ops.clip_by_norm",
        tf=["tf.clip_by_norm"],
        signature="t, clip_norm, axes=None, name=None",
        handled=["t", "clip_norm", "axes"],
        build=_clip_by_norm,
        summary="`tf.clip_by_norm(t, c, axes)` → `t * c / torch.clamp(vector_norm(t, dim=axes, keepdim=True), min=c)`.",
        why=(
            "Rescales `t` so that its L2 norm over `axes` (all of them by default) is at most "
            "`clip_norm` — TF's own formula, written out. This is not "
            "`torch.nn.utils.clip_grad_norm_`, which clips the gradients of parameters in "
            "place. `t` and `clip_norm` appear twice, so an expression that may not give the "
            "same value twice is a TODO."
        ),
        example="g = tf.clip_by_norm(g, 5.0)",
        checks=[
            Check("tf.clip_by_norm(x, 1.0)", {"x": "f32[3,4]"}),
            Check("tf.clip_by_norm(x, 100.0)", {"x": "f32[3,4]"}),
            Check("tf.clip_by_norm(x, 1.0, axes=[1])", {"x": "f32[3,4]"}),
            Check("tf.clip_by_norm(x, c, axes=-1)", {"x": "f64[2,3,4]", "c": 0.5}),
            Check("tf.clip_by_norm(x, 1.0, axes=[0, 2])", {"x": "f32[2,3,4]"}),
            Check("tf.clip_by_norm(f(x), 1.0)", {"x": "f32[3]"}, todo=True),
        ],
    ),
    Custom(
        id="ops.count_nonzero",
        tf=["tf.math.count_nonzero", "tf.count_nonzero"],
        signature="input, axis=None, keepdims=None, dtype=None, name=None",
        handled=["input", "axis", "keepdims", "dtype"],
        build=_count_nonzero,
        summary="`tf.math.count_nonzero` → `torch.count_nonzero` (int64 in both).",
        why=(
            "Both count non-zero (or True) elements over the given axes and return int64; "
            "another `dtype` becomes `.to(dtype)`. `torch.count_nonzero` has no `keepdim`, so "
            "with `keepdims` the count is written as `torch.sum(x != 0, dim=..., keepdim=True)`, "
            "also int64."
        ),
        example="n = tf.math.count_nonzero(mask, axis=-1)",
        checks=[
            Check("tf.math.count_nonzero(x)", {"x": "i32[3,4]:0..3"}),
            Check("tf.math.count_nonzero(x, axis=-1)", {"x": "bool[2,3,4]"}),
            Check("tf.math.count_nonzero(x, axis=[0, 2])", {"x": "f32[2,3,4]"}),
            Check("tf.math.count_nonzero(x, 1, dtype=tf.int32)", {"x": "i64[3,4]:0..3"}),
            Check("tf.math.count_nonzero(x, 1, dtype=tf.int64)", {"x": "i64[3,4]:0..3"}),
            Check("tf.math.count_nonzero(x, 0)", {"x": "f32[0,3]"}),
            Check("tf.math.count_nonzero(x, 1, keepdims=True)", {"x": "f32[3,4]"}),
            Check("tf.math.count_nonzero(x, keepdims=True, dtype=tf.int32)", {"x": "bool[3,4]"}),
            Check("tf.math.count_nonzero(x, axis=[0, 2], keepdims=True)", {"x": "i32[2,3,4]:0..2"}),
            Check("tf.math.count_nonzero(x, 1, unknown=True)", {"x": "f32[3,4]"}, todo=True),
        ],
    ),
    Custom(
        id="ops.cumsum",
        tf=["tf.math.cumsum", "tf.cumsum"],
        signature="x, axis=0, exclusive=False, reverse=False, name=None",
        handled=["x", "axis", "exclusive", "reverse"],
        build=_cumulative("torch.cumsum"),
        summary="`tf.cumsum` → `torch.cumsum`, with TF's default `axis=0` written out.",
        why=(
            "Same running sum. `torch.cumsum` has no default dim, so TF's 0 is written. "
            "`reverse=True` becomes a flip before and after. `exclusive=True` (each position "
            "sums only what comes before it) has no torch argument: the sum runs on the axis "
            "moved last, the last total is dropped and a 0 padded in front "
            "(`F.pad(torch.cumsum(x.movedim(d, -1), dim=-1)[..., :-1], (1, 0)).movedim(-1, d)`), "
            "which is exact, unlike `cumsum(x) - x`. For an empty axis that form gives length "
            "1 where TF gives 0." + _INT_PROMOTION
        ),
        example="positions = tf.cumsum(mask, axis=1)",
        checks=[
            Check("tf.cumsum(x)", {"x": "f32[3,4]"}),
            Check("tf.math.cumsum(x, axis=-1)", {"x": "f32[2,3,4]"}),
            Check("tf.cumsum(x, 1, reverse=True)", {"x": "f64[3,4]"}),
            Check("tf.cumsum(x, axis=1)", {"x": "i32[3,4]"}, dtype=False),
            Check("tf.cumsum(x, axis=0)", {"x": "f32[0,3]"}),
            Check("tf.cumsum(x, axis=1, exclusive=True)", {"x": "f32[3,4]"}),
            Check("tf.cumsum(x, exclusive=True)", {"x": "i64[5]"}),
            Check("tf.cumsum(x, axis=-1, exclusive=True, reverse=True)", {"x": "f64[2,3,4]"}),
            Check("tf.cumsum(x, axis=0, exclusive=True)", {"x": "f32[3,2,2]"}),
            Check("tf.cumsum(x, axis=a, exclusive=True)", {"x": "f32[3,4]", "a": 1}),
            Check("tf.cumsum(x, axis=f(a), exclusive=True)", {"x": "f32[3,4]", "a": 1}, todo=True),
            Check("tf.cumsum(x, axis=1, reverse=flag)", {"x": "f32[3,4]"}, todo=True),
        ],
    ),
    Custom(
        id="ops.cumprod",
        tf=["tf.math.cumprod"],
        signature="x, axis=0, exclusive=False, reverse=False, name=None",
        handled=["x", "axis", "exclusive", "reverse"],
        build=_cumulative("torch.cumprod", cst.Float("1.0")),
        summary="`tf.math.cumprod` → `torch.cumprod`, with TF's default `axis=0` written out.",
        why=(
            "Same running product. `torch.cumprod` has no default dim, so TF's 0 is written. "
            "`reverse=True` becomes a flip before and after; `exclusive=True` shifts by one "
            "along the axis with a 1 in front (as for `tf.cumsum`)." + _INT_PROMOTION
        ),
        example="survival = tf.math.cumprod(1.0 - p, axis=-1)",
        checks=[
            Check("tf.math.cumprod(x)", {"x": "f32[3,4]"}),
            Check("tf.math.cumprod(x, axis=-1, reverse=True)", {"x": "f32[2,3,4]:pos"}),
            Check("tf.math.cumprod(x, axis=1)", {"x": "i32[3,4]:1..4"}, dtype=False),
            Check("tf.math.cumprod(x, axis=1, exclusive=True)", {"x": "f32[3,4]"}),
            Check("tf.math.cumprod(x, exclusive=True, reverse=True)", {"x": "f64[4,2]"}),
            Check("tf.math.cumprod(x, axis=1, exclusive=flag)", {"x": "f32[3,4]", "flag": True}, todo=True),
        ],
    ),
    Custom(
        id="ops.unsorted_segment_sum",
        tf=["tf.math.unsorted_segment_sum"],
        signature="data, segment_ids, num_segments, name=None",
        handled=["data", "segment_ids", "num_segments"],
        build=_unsorted_segment_sum,
        summary="`tf.math.unsorted_segment_sum` → `data.new_zeros(...).index_add_(0, ids, data)`.",
        why=(
            "Sums the rows of `data` into `num_segments` buckets chosen by `segment_ids` (whose "
            "shape is a prefix of `data`'s): a zero tensor of shape (num_segments, *rest) with "
            "`index_add_` along dim 0, after flattening the id dimensions. TF silently drops "
            "negative ids; `index_add_` raises on them. `data` and `segment_ids` appear twice, "
            "so an expression that may not give the same value twice is a TODO."
        ),
        example="per_graph = tf.math.unsorted_segment_sum(node_features, graph_ids, num_graphs)",
        checks=[
            Check("tf.math.unsorted_segment_sum(x, ids, 4)", {"x": "f32[6,3]", "ids": "i64[6]:0..4"}),
            Check("tf.math.unsorted_segment_sum(x, ids, 5)", {"x": "f32[6]", "ids": "i32[6]:0..4"}),
            Check("tf.math.unsorted_segment_sum(x, ids, num_segments=3)", {"x": "f64[2,3,2]", "ids": "i64[2,3]:0..3"}),
            Check("tf.math.unsorted_segment_sum(x, ids, 3)", {"x": "i32[5,2]", "ids": "i64[5]:0..3"}),
            Check("tf.math.unsorted_segment_sum(f(x), ids, 3)", {"x": "f32[5]", "ids": "i64[5]:0..3"}, todo=True),
        ],
    ),
]


# ---------------------------------------------------------------------------------------
# Products and norms (``tf.linalg`` aliases included).


def _matmul(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    operands = []
    for side in ("a", "b"):
        operand = values[side]
        try:
            transpose = _lit(values.get(f"transpose_{side}"), False)
            adjoint = _lit(values.get(f"adjoint_{side}"), False)
        except NotLiteral:
            raise CannotMigrate(
                f"`transpose_{side}`/`adjoint_{side}` is not a literal: `.mT` is written only for a literal True"
            ) from None
        if transpose and adjoint:
            raise CannotMigrate(f"`transpose_{side}` and `adjoint_{side}` are both set (TF refuses this)")
        if transpose or adjoint:
            operand = cst.Attribute(_atom(operand), cst.Name("mH" if adjoint else "mT"))
        operands.append(NewArg(operand))
    return build_call(call, ctx.name("torch.matmul"), operands)


class Einsum(Rule):
    """``tf.einsum(equation, *inputs)`` → ``torch.einsum(equation, *inputs)``."""

    id = "ops.einsum"
    names = ("tf.einsum", "tf.linalg.einsum")
    summary = "`tf.einsum` → `torch.einsum` (same equation, same operands)."
    why = (
        "The same Einstein-summation language (explicit `->` output, implicit output, `...` "
        "broadcasting, spaces) with the operands as further positional arguments. `name=` is "
        "dropped, and so is TF's `optimize=`: it only picks the order of pairwise contractions "
        "(the result is the same up to rounding); torch picks its own order (with opt_einsum "
        "when installed, see `torch.backends.opt_einsum`). Any other keyword is a TODO."
    )
    example = 'scores = tf.einsum("bqhd,bkhd->bhqk", query, key)'
    checks = (
        Check('tf.einsum("ij,jk->ik", a, b)', {"a": "f32[3,4]", "b": "f32[4,5]"}),
        Check('tf.einsum("bqhd,bkhd->bhqk", q, k)', {"q": "f32[2,3,4,5]", "k": "f32[2,6,4,5]"}, atol=1e-5),
        Check('tf.einsum("...ij,...jk->...ik", a, b)', {"a": "f64[2,3,4]", "b": "f64[2,4,5]"}),
        Check('tf.linalg.einsum("ij->ji", a)', {"a": "f32[3,4]"}),
        Check('tf.einsum("ij, j -> i", a, v, name="mv")', {"a": "f32[3,4]", "v": "f32[4]"}),
        Check('tf.einsum("ij,jk", a, b)', {"a": "f32[3,0]", "b": "f32[0,5]"}),
        Check('tf.einsum("i,i->", a, b)', {"a": "i32[5]", "b": "i32[5]"}),
        Check('tf.einsum("ij,jk,kl->il", a, b, c, optimize="optimal")', {"a": "f32[3,4]", "b": "f32[4,5]", "c": "f32[5,2]"}, atol=1e-5),
        Check('tf.einsum("ij,jk->ik", a, b, out=c)', {"a": "f32[3,4]", "b": "f32[4,5]", "c": "f32[3,5]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        equation: NewArg | None = None
        operands: list[NewArg] = []
        for arg in call.args:
            if arg.star == "*" and arg.keyword is None:
                operands.append(NewArg(arg.value, None, arg))
                continue
            if arg.star:
                raise CannotMigrate(f"`**{ctx.source(arg.value)}` hides which arguments are passed")
            if arg.keyword is None:
                if equation is None:
                    equation = NewArg(arg.value, None, arg)
                else:
                    operands.append(NewArg(arg.value, None, arg))
            elif arg.keyword.value == "equation" and equation is None:
                equation = NewArg(arg.value, None, arg)
            elif arg.keyword.value not in ("name", "optimize"):
                raise CannotMigrate(f"argument `{arg.keyword.value}=` has no PyTorch equivalent")
        if equation is None:
            raise CannotMigrate("no equation")
        return build_call(call, ctx.name("torch.einsum"), [equation, *operands])


def _tensordot_axes(value: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
    try:
        axes = literal(value)
    except NotLiteral:
        return value
    if isinstance(axes, (list, tuple)) and len(axes) == 2 and all(isinstance(a, int) for a in axes):
        # TF reads [1, 0] as a_axes=1, b_axes=0; torch wants ([1], [0]).
        return to_node(([axes[0]], [axes[1]]))
    if isinstance(axes, (list, tuple)) and len(axes) == 2:
        return to_node((list(axes[0]), list(axes[1])))
    if isinstance(axes, int):
        return value
    raise CannotMigrate("`axes` is neither a count nor a pair of axis lists")


_INF = ("np.inf", "numpy.inf", "math.inf", "float('inf')", 'float("inf")', "np.Inf", "np.infty")


def _norm(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    x = values["tensor"]
    ord_node = values.get("ord")
    if ord_node is None:
        order: Any = "euclidean"
    elif ctx.source(ord_node).replace(" ", "") in _INF:
        order = math.inf
    else:
        try:
            order = literal(ord_node)
        except NotLiteral:
            raise CannotMigrate("`ord` is not a literal: whether this is a vector or matrix norm depends on it") from None
    try:
        keepdims = _lit(values.get("keepdims"), None)
    except NotLiteral:
        raise CannotMigrate("`keepdims` is not a literal") from None
    ax = values.get("axis")
    try:
        axes = _lit(ax)
        axis_known = True
    except NotLiteral:
        axes, axis_known = None, False
    if isinstance(axes, (list, tuple)) and len(axes) == 1:
        axes = axes[0]
    kwargs: list[NewArg] = [NewArg(x)]
    if order in ("euclidean", "fro"):
        target = "torch.linalg.vector_norm"  # over one axis, two (Frobenius) or all: sqrt(sum(x²))
    elif isinstance(order, (int, float)) and not isinstance(order, bool) and order > 0:
        if not axis_known:
            raise CannotMigrate("`axis` is not a literal: a vector and a matrix norm differ for this `ord`")
        if isinstance(axes, (list, tuple)):
            if order not in (1, 2, math.inf):
                raise CannotMigrate(f"TF has no matrix norm of order {order!r}")
            target = "torch.linalg.matrix_norm"
        else:
            target = "torch.linalg.vector_norm"
        kwargs.append(NewArg(ord_node if order == math.inf else to_node(order), "ord"))
    else:
        raise CannotMigrate(f"`ord={ctx.source(ord_node) if ord_node is not None else order}` is not a norm TF computes")
    if ax is not None and not _is_none(ax):
        kwargs.append(NewArg(axis(ax, ctx) if not isinstance(axes, int) or not axis_known else to_node(axes), "dim"))
    if keepdims:
        kwargs.append(NewArg(cst.Name("True"), "keepdim"))
    return build_call(call, ctx.name(target), kwargs)


RULES.extend([
    Custom(
        id="ops.matmul",
        tf=["tf.linalg.matmul", "tf.matmul"],
        signature=(
            "a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, "
            "a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False, grad_b=False, name=None"
        ),
        handled=["a", "b", "transpose_a", "transpose_b", "adjoint_a", "adjoint_b", "a_is_sparse", "b_is_sparse"],
        build=_matmul,
        summary="`tf.matmul` → `torch.matmul` (batched, broadcasting); a literal `transpose_*=True` becomes `.mT`.",
        why=(
            "Both multiply the last two dimensions and broadcast the batch dimensions. "
            "`transpose_a/b=True` transposes the last two dimensions of that operand first, "
            "which is `.mT` (`adjoint_*`: `.mH`, the conjugate transpose); a value that is not a "
            "literal is a TODO. `a_is_sparse`/`b_is_sparse` only tell TF to pick a kernel for "
            "dense inputs with many zeros (the result is the same), so they are dropped; "
            "`output_type` is a TODO."
        ),
        example="c = tf.matmul(a, b)\nscores = tf.matmul(q, k, transpose_b=True)",
        checks=[
            Check("tf.matmul(a, b)", {"a": "f32[3,4]", "b": "f32[4,5]"}, atol=1e-5),
            Check("tf.linalg.matmul(a, b)", {"a": "f32[2,3,4]", "b": "f32[4,5]"}, atol=1e-5),
            Check("tf.matmul(q, k, transpose_b=True)", {"q": "f32[2,3,4]", "k": "f32[2,5,4]"}, atol=1e-5),
            Check("tf.matmul(a, b, transpose_a=True, transpose_b=True, name='mm')", {"a": "f64[4,3]", "b": "f64[5,4]"}),
            Check("tf.matmul(a, b, adjoint_a=True)", {"a": "c64[4,3]", "b": "c64[4,2]"}, atol=1e-5),
            Check("tf.matmul(a + 1.0, b, transpose_a=True)", {"a": "f32[4,3]", "b": "f32[4,2]"}, atol=1e-5),
            Check("tf.matmul(a, b)", {"a": "i32[3,4]", "b": "i32[4,2]"}),
            Check("tf.linalg.matmul(a * tf.cast(a > 1.0, tf.float32), b, a_is_sparse=True, b_is_sparse=True)", {"a": "f32[5,4]", "b": "f32[4,3]"}, atol=1e-5),
            Check("tf.matmul(a, b)", {"a": "f32[2,0]", "b": "f32[0,3]"}),
            Check("tf.matmul(q, k, transpose_b=flag)", {"q": "f32[3,4]", "k": "f32[5,4]", "flag": True}, todo=True),
        ],
    ),
    Einsum(),
    ApiCall(
        id="ops.tensordot",
        tf=["tf.tensordot", "tf.linalg.tensordot"],
        torch="torch.tensordot",
        signature="a, b, axes, name=None",
        args={"a": Pos(0), "b": Pos(1), "axes": Kw("dims", _tensordot_axes), "name": DROP},
        summary="`tf.tensordot(a, b, axes)` → `torch.tensordot(a, b, dims=axes)`.",
        why=(
            "Same contraction. `axes=N` contracts the last N axes of `a` with the first N of "
            "`b` in both. TF also reads a pair of ints `[i, j]` as one axis of each, which torch "
            "wants as `([i], [j])`: literal pairs are rewritten, a pair of lists passes through."
        ),
        example="y = tf.tensordot(x, w, axes=[[2], [0]])",
        checks=[
            Check("tf.tensordot(a, b, axes=1)", {"a": "f32[3,4]", "b": "f32[4,5]"}, atol=1e-5),
            Check("tf.tensordot(a, b, axes=[[2], [0]])", {"a": "f32[2,3,4]", "b": "f32[4,5]"}, atol=1e-5),
            Check("tf.tensordot(a, b, [1, 0])", {"a": "f64[3,4]", "b": "f64[4,5]"}),
            Check("tf.linalg.tensordot(a, b, axes=0)", {"a": "f32[3]", "b": "f32[2]"}),
            Check("tf.tensordot(a, b, axes=([0, 1], [1, 0]))", {"a": "f32[3,4]", "b": "f32[4,3]"}, atol=1e-5),
            Check("tf.tensordot(a, b, axes=n)", {"a": "f32[3,4]", "b": "f32[4,5]", "n": 1}, atol=1e-5),
        ],
    ),
    Custom(
        id="ops.norm",
        tf=["tf.norm", "tf.linalg.norm"],
        signature="tensor, ord='euclidean', axis=None, keepdims=None, name=None",
        handled=["tensor", "ord", "axis", "keepdims"],
        build=_norm,
        summary="`tf.norm` → `torch.linalg.vector_norm` (or `matrix_norm` for a numeric `ord` over two axes).",
        why=(
            "The default 'euclidean' (and 'fro') norm is sqrt(sum(x²)) over all elements, one "
            "axis, or a pair of axes (the Frobenius norm): `torch.linalg.vector_norm` with the "
            "same `dim`. Not `torch.norm` (deprecated) nor `torch.linalg.norm`, whose default for "
            "2-D input is a matrix norm. A numeric `ord` is a vector p-norm over one axis or all "
            "elements, and a matrix norm over two axes (`matrix_norm`, for 1, 2 and inf); it "
            "needs literal `ord` and `axis` to tell which."
        ),
        example="n = tf.norm(x, axis=-1, keepdims=True)",
        checks=[
            Check("tf.norm(x)", {"x": "f32[3,4]"}),
            Check("tf.norm(x, axis=-1, keepdims=True)", {"x": "f32[2,3,4]"}),
            Check("tf.linalg.norm(x, axis=[1, 2])", {"x": "f64[2,3,4]"}),
            Check("tf.norm(x, ord='fro', axis=(0, 1))", {"x": "f32[3,4]"}),
            Check("tf.norm(x, ord=1, axis=1)", {"x": "f32[3,4]"}),
            Check("tf.norm(x, ord=np.inf, axis=-1)", {"x": "f32[3,4]"}),
            Check("tf.norm(x, ord=1, axis=[0, 1])", {"x": "f32[3,4]"}),
            Check("tf.norm(x, ord=np.inf, axis=[-2, -1])", {"x": "f64[2,3,4]"}),
            Check("tf.norm(x, 2)", {"x": "f32[5]"}),
            Check("tf.norm(x, axis=a)", {"x": "f32[3,4]", "a": 1}),
            Check("tf.norm(x, axis=0)", {"x": "f32[0,3]"}),
            Check("tf.norm(x, ord=p, axis=0)", {"x": "f32[3,4]", "p": 1}, todo=True),
        ],
    ),
])


# ---------------------------------------------------------------------------------------
# Less common element-wise functions, bit operations and complex parts.


def _multiply_no_nan(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    x, y = values["x"], values["y"]
    if not _repeatable(y, ctx):
        raise CannotMigrate(
            "`y` is written twice in the rewrite (`torch.where(y != 0, x * y, 0.0)`) and this "
            "expression may not give the same value twice: assign it to a name first"
        )
    condition = cst.Comparison(_atom(y), [cst.ComparisonTarget(cst.NotEqual(), cst.Integer("0"))])
    product = cst.BinaryOperation(_atom(x), cst.Multiply(), _atom(y))
    return build_call(call, ctx.name("torch.where"), [NewArg(condition), NewArg(product), NewArg(cst.Float("0.0"))])


def _scalar_mul(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    return build_call(call, ctx.name("torch.mul"), [NewArg(values["x"]), NewArg(values["scalar"])])


def _bitwise(name: str, torch: str, checks: Sequence[Check], *, commutative: bool) -> Binary:
    row = Binary(name, torch, checks, commutative=commutative, tf_names=(f"tf.bitwise.{name}",), left_number_ok=not commutative)
    row.id = f"bitwise.{name}"
    row.why = (
        "Same bit operation on integer tensors, with broadcasting; a number operand is "
        "accepted on either side. Shifts of signed integers are arithmetic in both."
    )
    return row


RULES.extend([
    Custom(
        id="ops.multiply_no_nan",
        tf=["tf.math.multiply_no_nan"],
        signature="x, y, name=None",
        handled=["x", "y"],
        build=_multiply_no_nan,
        summary="`tf.math.multiply_no_nan(x, y)` → `torch.where(y != 0, x * y, 0.0)`.",
        why=(
            "TF gives 0 wherever `y` is 0, even where `x` is inf or NaN (plain multiplication "
            "gives NaN there). `y` appears twice, so an expression that may not give the same "
            "value twice is a TODO."
        ),
        example="masked = tf.math.multiply_no_nan(log_probs, mask)",
        checks=[
            Check("tf.math.multiply_no_nan(tf.math.log(x), y * tf.cast(y > 0, tf.float32))", {"x": "f32[3,4]", "y": "f32[3,4]"}),
            Check("tf.math.multiply_no_nan(x, y)", {"x": "f64[2,3]", "y": "f64[3]"}),
            Check("tf.math.multiply_no_nan(x, f(y))", {"x": "f32[3]", "y": "f32[3]"}, todo=True),
        ],
    ),
    Custom(
        id="ops.scalar_mul",
        tf=["tf.math.scalar_mul", "tf.scalar_mul"],
        signature="scalar, x, name=None",
        handled=["scalar", "x"],
        build=_scalar_mul,
        summary="`tf.math.scalar_mul(s, x)` → `torch.mul(x, s)`.",
        why="Multiplies a tensor by a scalar (a number or 0-d tensor); torch takes the tensor first.",
        example="y = tf.math.scalar_mul(0.5, x)",
        checks=[
            Check("tf.math.scalar_mul(0.5, x)", {"x": "f32[3,4]"}),
            Check("tf.scalar_mul(s, x)", {"s": "f32[]", "x": "f32[2,3]"}),
            Check("tf.math.scalar_mul(3, x)", {"x": "i32[5]"}),
        ],
    ),
    Custom(
        id="ops.cumulative_logsumexp",
        tf=["tf.math.cumulative_logsumexp"],
        signature="x, axis=0, exclusive=False, reverse=False, name=None",
        handled=["x", "axis", "exclusive", "reverse"],
        build=_cumulative("torch.logcumsumexp", cst.Call(cst.Name("float"), [cst.Arg(cst.SimpleString('"-inf"'))])),
        summary="`tf.math.cumulative_logsumexp` → `torch.logcumsumexp`, with TF's default `axis=0` written out.",
        why=(
            "Same running log-sum-exp. torch has no default dim, so TF's 0 is written; "
            "`reverse=True` becomes a flip before and after; `exclusive=True` shifts by one "
            "along the axis with -inf (log 0) in front, as for `tf.cumsum`."
        ),
        example="log_cdf = tf.math.cumulative_logsumexp(log_p, axis=-1)",
        checks=[
            Check("tf.math.cumulative_logsumexp(x)", {"x": "f32[4,3]"}),
            Check("tf.math.cumulative_logsumexp(x, axis=-1, reverse=True)", {"x": "f64[2,5]"}),
            Check("tf.math.cumulative_logsumexp(x, axis=1, exclusive=True)", {"x": "f32[3,4]"}),
            Check("tf.math.cumulative_logsumexp(x, axis=1, reverse=r)", {"x": "f32[3,4]", "r": True}, todo=True),
        ],
    ),
    _unary("real", "torch.real", [Check("tf.math.real(x)", {"x": "c64[3,4]"}), Check("tf.math.real(x)", {"x": "f32[3]"})], tf_names=("tf.math.real",), param="input",
           why="The real part; a real tensor is returned as it is in both."),
    _unary("imag", "torch.imag", [Check("tf.math.imag(x)", {"x": "c64[3,4]"})], tf_names=("tf.math.imag",), param="input",
           why="The imaginary part of a complex tensor. TF gives zeros for a real tensor; `torch.imag` refuses one (loudly)."),
    _unary("conj", "torch.conj", [Check("tf.math.conj(x)", {"x": "c64[3,4]"}), Check("tf.math.conj(x)", {"x": "f32[3]"})], tf_names=("tf.math.conj",),
           why="The complex conjugate (a lazy view in torch, resolved when read); a real tensor is returned as it is."),
    _unary("angle", "torch.angle", [Check("tf.math.angle(x)", {"x": "c64[3,4]"}), Check("tf.math.angle(x)", {"x": "f32[5]"})], tf_names=("tf.math.angle",), param="input",
           why="The argument of a complex number; for real input 0 or π by sign, in both."),
    _unary("bessel_i0", "torch.special.i0", _float_checks("bessel_i0", f16=False), tf_names=("tf.math.bessel_i0", "tf.math.special.bessel_i0")),
    _unary("bessel_i0e", "torch.special.i0e", _float_checks("bessel_i0e", f16=False), tf_names=("tf.math.bessel_i0e", "tf.math.special.bessel_i0e")),
    _unary("bessel_i1", "torch.special.i1", _float_checks("bessel_i1", f16=False), tf_names=("tf.math.bessel_i1", "tf.math.special.bessel_i1")),
    _unary("bessel_i1e", "torch.special.i1e", _float_checks("bessel_i1e", f16=False), tf_names=("tf.math.bessel_i1e", "tf.math.special.bessel_i1e")),
    _unary("ndtri", "torch.special.ndtri", _float_checks("ndtri", "unit", f16=False), tf_names=("tf.math.ndtri",)),
    Binary("igamma", "torch.special.gammainc", [Check("tf.math.igamma(a, x)", {"a": "f32[3,4]:pos", "x": "f32[3,4]:pos"}, atol=1e-5), Check("tf.math.igamma(a, x)", {"a": "f64[4]:pos", "x": "f64[2,4]:pos"})],
           commutative=False, tensors_only=True, tf_names=("tf.math.igamma",), params=("a", "x"), why="The regularized lower incomplete gamma function P(a, x)."),
    Binary("igammac", "torch.special.gammaincc", [Check("tf.math.igammac(a, x)", {"a": "f32[3,4]:pos", "x": "f32[3,4]:pos"}, atol=1e-5), Check("tf.math.igammac(a, x)", {"a": "f64[4]:pos", "x": "f64[2,4]:pos"})],
           commutative=False, tensors_only=True, tf_names=("tf.math.igammac",), params=("a", "x"), why="The regularized upper incomplete gamma function Q(a, x)."),
    Binary("zeta", "torch.special.zeta", [Check("tf.math.zeta(x, q)", {"x": "f32[3,4]:1.5..4", "q": "f32[3,4]:pos"}, atol=1e-4), Check("tf.math.zeta(x, q)", {"x": "f64[4]:1.5..4", "q": "f64[4]:pos"})],
           commutative=False, left_number_ok=True, tf_names=("tf.math.zeta",), params=("x", "q"), why="The Hurwitz zeta function."),
    Binary("nextafter", "torch.nextafter", [Check("tf.math.nextafter(x1, x2)", {"x1": "f32[3,4]", "x2": "f32[3,4]"}), Check("tf.math.nextafter(x1, x2)", {"x1": "f64[4]", "x2": "f64[4]"})],
           commutative=False, tensors_only=True, tf_names=("tf.math.nextafter",), params=("x1", "x2"), why="The next representable float after x1 towards x2."),
    _bitwise("bitwise_and", "torch.bitwise_and", [Check("tf.bitwise.bitwise_and(x, y)", {"x": "i32[8]:0..64", "y": "i32[8]:0..64"}), Check("tf.bitwise.bitwise_and(x, 7)", {"x": "i64[2,3]:-50..50"}), Check("tf.bitwise.bitwise_and(x, y)", {"x": "u8[6]", "y": "u8[6]"})], commutative=True),
    _bitwise("bitwise_or", "torch.bitwise_or", [Check("tf.bitwise.bitwise_or(x, y)", {"x": "i32[8]:0..64", "y": "i32[8]:0..64"}), Check("tf.bitwise.bitwise_or(x, 1)", {"x": "i64[2,3]:-50..50"})], commutative=True),
    _bitwise("bitwise_xor", "torch.bitwise_xor", [Check("tf.bitwise.bitwise_xor(x, y)", {"x": "i32[8]:0..64", "y": "i32[8]:0..64"}), Check("tf.bitwise.bitwise_xor(x, 5)", {"x": "i64[2,3]:-50..50"})], commutative=True),
    _bitwise("left_shift", "torch.bitwise_left_shift", [Check("tf.bitwise.left_shift(x, y)", {"x": "i32[8]:-50..50", "y": "i32[8]:0..8"}), Check("tf.bitwise.left_shift(1, y)", {"y": "i32[6]:0..10"})], commutative=False),
    _bitwise("right_shift", "torch.bitwise_right_shift", [Check("tf.bitwise.right_shift(x, y)", {"x": "i32[8]:-500..500", "y": "i32[8]:0..8"}), Check("tf.bitwise.right_shift(x, 2)", {"x": "i64[6]:-500..500"})], commutative=False),
    ApiCall(
        id="bitwise.invert",
        tf=["tf.bitwise.invert"],
        torch="torch.bitwise_not",
        signature="x, name=None",
        args={"x": Pos(0), "name": DROP},
        summary="`tf.bitwise.invert` → `torch.bitwise_not`.",
        why="Flips every bit (two's complement: ~x = -x - 1 for signed integers) in both.",
        example="y = tf.bitwise.invert(x)",
        checks=[Check("tf.bitwise.invert(x)", {"x": "i32[3,4]:-50..50"}), Check("tf.bitwise.invert(x)", {"x": "u8[5]"})],
    ),
])


# ---------------------------------------------------------------------------------------
# Segment reductions other than the unsorted sum.


def _segment(reduce: str, *, sorted_ids: bool) -> Callable[[Mapping[str, cst.BaseExpression], cst.Call, RuleContext], cst.BaseExpression]:
    """``tf.math.[unsorted_]segment_<reduce>`` as ``index_add_``/``index_reduce_`` into a new tensor."""

    def build(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
        data, ids = values["data"], values["segment_ids"]
        if not (_repeatable(data, ctx) and _repeatable(ids, ctx)):
            raise CannotMigrate("`data` and `segment_ids` are written several times in the rewrite: assign them to names first")
        if sorted_ids:
            # Sorted ids: the last one names the last segment.
            last_id = cst.Subscript(_atom(ids), [cst.SubscriptElement(cst.Index(to_node(-1)))])
            count: cst.BaseExpression = cst.BinaryOperation(cst.Call(cst.Name("int"), [cst.Arg(last_id)]), cst.Add(), cst.Integer("1"))
            rank: cst.BaseExpression = cst.Integer("1")
            flat_ids: cst.BaseExpression = ids
            flat_data: cst.BaseExpression = data
        else:
            count = values["num_segments"]
            rank = _call(ctx, "Tensor.dim", ids)
            flat_ids = _call(ctx, "Tensor.flatten", ids)
            last = cst.BinaryOperation(_call(ctx, "Tensor.dim", ids), cst.Subtract(), cst.Integer("1"))
            flat_data = _call(ctx, "Tensor.flatten", data, cst.Integer("0"), last)
        tail = cst.Subscript(cst.Attribute(_atom(data), cst.Name("shape")), [cst.SubscriptElement(cst.Slice(lower=rank, upper=None))])
        shape = cst.Tuple([cst.Element(count, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), cst.StarredElement(tail)])
        if reduce == "sum":
            start = _call(ctx, "Tensor.new_zeros", data, shape)
            return _call(ctx, "Tensor.index_add_", start, cst.Integer("0"), flat_ids, flat_data)
        if reduce in ("amax", "amin") and not sorted_ids:
            # An empty unsorted segment is the dtype's lowest (max) or highest (min) value in TF.
            info = _call(ctx, "torch.finfo", cst.Attribute(_atom(data), cst.Name("dtype")))
            fill = cst.Attribute(info, cst.Name("min" if reduce == "amax" else "max"))
            start = _call(ctx, "Tensor.new_full", data, shape, fill)
            include_self = "True"
        else:
            start = _call(ctx, "Tensor.new_ones" if reduce == "prod" else "Tensor.new_zeros", data, shape)
            include_self = "True" if reduce == "prod" else "False"
        return _call(
            ctx, "Tensor.index_reduce_", start, cst.Integer("0"), flat_ids, flat_data, cst.SimpleString(f'"{reduce}"'),
            include_self=cst.Name(include_self),
        )

    return build


def _segment_row(name: str, reduce: str, *, sorted_ids: bool, what: str, empty: str, checks: Sequence[Check]) -> Custom:
    signature = "data, segment_ids, name=None" if sorted_ids else "data, segment_ids, num_segments, name=None"
    target = "index_add_" if reduce == "sum" else f'index_reduce_(..., "{reduce}")'
    return Custom(
        id=f"ops.{name}",
        tf=[f"tf.math.{name}"],
        signature=signature,
        handled=["data", "segment_ids"] + ([] if sorted_ids else ["num_segments"]),
        build=_segment(reduce, sorted_ids=sorted_ids),
        summary=f"`tf.math.{name}` → `{target}` along dim 0 into a new tensor.",
        why=(
            f"The {what} of the rows of `data` that share a segment id, written as a new tensor "
            f"of shape (segments, *rest) filled by `{target}` along dim 0"
            + (" (`index_reduce_` is marked beta in torch and warns once). " if reduce != "sum" else ". ")
            + (
                "The ids are sorted, so the segment count is `int(segment_ids[-1]) + 1` (an "
                "empty `segment_ids` fails there, where TF returns an empty tensor). "
                if sorted_ids
                else "The id dimensions are flattened first (TF allows any prefix of `data`'s "
                "shape). TF drops negative ids; torch raises on them. "
            )
            + f"Empty segments: {empty}. `data` and `segment_ids` appear several times, so "
            "an expression that may not give the same value twice is a TODO."
        ),
        example=f"out = tf.math.{name}(values, ids{'' if sorted_ids else ', num_segments'})",
        checks=checks,
    )


RULES.extend([
    _segment_row(
        "segment_sum", "sum", sorted_ids=True, what="sum", empty="0 in both",
        checks=[
            Check("tf.math.segment_sum(x, tf.cumsum(steps))", {"x": "f32[6,3]", "steps": "i64[6]:0..2"}),
            Check("tf.math.segment_sum(x, tf.cumsum(steps))", {"x": "i32[4]", "steps": "i32[4]:0..2"}),
            Check("tf.math.segment_sum(f(x), tf.cumsum(steps))", {"x": "f32[4]", "steps": "i32[4]:0..2"}, todo=True),
        ],
    ),
    _segment_row(
        "segment_mean", "mean", sorted_ids=True, what="mean", empty="0 in both",
        checks=[
            Check("tf.math.segment_mean(x, tf.cumsum(steps))", {"x": "f32[6,3]", "steps": "i64[6]:0..2"}),
            Check("tf.math.segment_mean(x, tf.cumsum(steps))", {"x": "f64[4]", "steps": "i32[4]:0..2"}),
        ],
    ),
    _segment_row(
        "segment_max", "amax", sorted_ids=True, what="maximum", empty="0 in both",
        checks=[
            Check("tf.math.segment_max(x, tf.cumsum(steps))", {"x": "f32[6,3]", "steps": "i64[6]:0..2"}),
            Check("tf.math.segment_max(x, tf.cumsum(steps))", {"x": "f64[4]", "steps": "i32[4]:0..2"}),
        ],
    ),
    _segment_row(
        "segment_min", "amin", sorted_ids=True, what="minimum", empty="0 in both",
        checks=[
            Check("tf.math.segment_min(x, tf.cumsum(steps))", {"x": "f32[6,3]", "steps": "i64[6]:0..2"}),
        ],
    ),
    _segment_row(
        "unsorted_segment_mean", "mean", sorted_ids=False, what="mean", empty="0 in both",
        checks=[
            Check("tf.math.unsorted_segment_mean(x, ids, 4)", {"x": "f32[6,3]", "ids": "i64[6]:0..4"}),
            Check("tf.math.unsorted_segment_mean(x, ids, num_segments=3)", {"x": "f64[2,3,2]", "ids": "i64[2,3]:0..3"}),
            Check("tf.math.unsorted_segment_mean(f(x), ids, 3)", {"x": "f32[5]", "ids": "i64[5]:0..3"}, todo=True),
        ],
    ),
    _segment_row(
        "unsorted_segment_max", "amax", sorted_ids=False, what="maximum",
        empty="the dtype's lowest value in both (floats only in torch: `torch.finfo`)",
        checks=[
            Check("tf.math.unsorted_segment_max(x, ids, 5)", {"x": "f32[6,3]", "ids": "i64[6]:0..4"}),
            Check("tf.math.unsorted_segment_max(x, ids, 3)", {"x": "f64[2,3]", "ids": "i32[2,3]:0..3"}),
        ],
    ),
    _segment_row(
        "unsorted_segment_min", "amin", sorted_ids=False, what="minimum",
        empty="the dtype's highest value in both (floats only in torch: `torch.finfo`)",
        checks=[
            Check("tf.math.unsorted_segment_min(x, ids, 5)", {"x": "f32[6,3]", "ids": "i64[6]:0..4"}),
        ],
    ),
    _segment_row(
        "unsorted_segment_prod", "prod", sorted_ids=False, what="product", empty="1 in both",
        checks=[
            Check("tf.math.unsorted_segment_prod(x, ids, 5)", {"x": "f32[6,3]", "ids": "i64[6]:0..4"}),
            Check("tf.math.unsorted_segment_prod(x, ids, 3)", {"x": "i32[5]:1..4", "ids": "i64[5]:0..3"}),
        ],
    ),
])


def _guarded_quotient(numerator_zero: bool) -> Callable[[Mapping[str, cst.BaseExpression], cst.Call, RuleContext], cst.BaseExpression]:
    """``xdivy`` (0 where x is 0) and ``reciprocal_no_nan`` (0 where x is 0)."""

    def build(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
        x = values["x"]
        if not _repeatable(x, ctx):
            raise CannotMigrate("`x` is written twice in the rewrite and may not give the same value twice: assign it to a name first")
        numerator, denominator = (x, values["y"]) if numerator_zero else (cst.Float("1.0"), x)
        condition = cst.Comparison(_atom(x), [cst.ComparisonTarget(cst.NotEqual(), cst.Integer("0"))])
        quotient = cst.BinaryOperation(_atom(numerator), cst.Divide(), _atom(denominator))
        return build_call(call, ctx.name("torch.where"), [NewArg(condition), NewArg(quotient), NewArg(cst.Float("0.0"))])

    return build


def _zero_fraction(values: Mapping[str, cst.BaseExpression], call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    zeros = cst.Comparison(_atom(values["value"]), [cst.ComparisonTarget(cst.Equal(), cst.Integer("0"))])
    return build_call(call, ctx.name("torch.mean"), [NewArg(_call(ctx, "Tensor.to", zeros, ctx.name("torch.float32")))])


RULES.extend([
    _unary("acosh", "torch.acosh", _float_checks("acosh", "1..4")),
    _unary("asinh", "torch.asinh", _float_checks("asinh")),
    _unary("atanh", "torch.atanh", _float_checks("atanh", "-0.9..0.9")),
    _unary("erfinv", "torch.erfinv", _float_checks("erfinv", "-0.9..0.9", f16=False), tf_names=("tf.math.erfinv",)),
    Binary(
        "xlog1py", "torch.special.xlog1py",
        [Check("tf.math.xlog1py(x, y)", {"x": "f32[3,4]", "y": "f32[3,4]:pos"}), Check("tf.math.xlog1py(x * 0.0, y - 1.0)", {"x": "f64[4]", "y": "f64[4]:unit"})],
        commutative=False, left_number_ok=True, tf_names=("tf.math.xlog1py",), why="x * log1p(y), and 0 wherever x is 0, in both.",
    ),
    Custom(
        id="ops.xdivy",
        tf=["tf.math.xdivy"],
        signature="x, y, name=None",
        handled=["x", "y"],
        build=_guarded_quotient(True),
        summary="`tf.math.xdivy(x, y)` → `torch.where(x != 0, x / y, 0.0)`.",
        why="x / y, but 0 wherever x is 0 (even where y is 0). `x` appears twice, so an expression that may not give the same value twice is a TODO.",
        example="r = tf.math.xdivy(counts, totals)",
        checks=[
            Check("tf.math.xdivy(x * tf.cast(x > 0, tf.float32), y * tf.cast(y > 0, tf.float32))", {"x": "f32[3,4]", "y": "f32[3,4]"}),
            Check("tf.math.xdivy(x, y)", {"x": "f64[2,3]", "y": "f64[3]:pos"}),
            Check("tf.math.xdivy(f(x), y)", {"x": "f32[3]", "y": "f32[3]"}, todo=True),
        ],
    ),
    Custom(
        id="ops.reciprocal_no_nan",
        tf=["tf.math.reciprocal_no_nan"],
        signature="x, name=None",
        handled=["x"],
        build=_guarded_quotient(False),
        summary="`tf.math.reciprocal_no_nan(x)` → `torch.where(x != 0, 1.0 / x, 0.0)`.",
        why="1 / x, but 0 wherever x is 0. `x` appears twice, so an expression that may not give the same value twice is a TODO.",
        example="inv = tf.math.reciprocal_no_nan(scale)",
        checks=[
            Check("tf.math.reciprocal_no_nan(x * tf.cast(x > 0, tf.float32))", {"x": "f32[3,4]"}),
            Check("tf.math.reciprocal_no_nan(x)", {"x": "f64[5]"}),
            Check("tf.math.reciprocal_no_nan(f(x))", {"x": "f32[3]"}, todo=True),
        ],
    ),
    Custom(
        id="ops.zero_fraction",
        tf=["tf.math.zero_fraction"],
        signature="value, name=None",
        handled=["value"],
        build=_zero_fraction,
        summary="`tf.math.zero_fraction(x)` → `torch.mean((x == 0).to(torch.float32))`.",
        why="The fraction of elements equal to zero, as a float32 scalar in both.",
        example="sparsity = tf.math.zero_fraction(activations)",
        checks=[
            Check("tf.math.zero_fraction(x)", {"x": "i32[3,4]:0..3"}),
            Check("tf.math.zero_fraction(tf.nn.relu(x))", {"x": "f64[20]"}),
        ],
    ),
    _segment_row(
        "segment_prod", "prod", sorted_ids=True, what="product", empty="1 in both",
        checks=[
            Check("tf.math.segment_prod(x, tf.cumsum(steps))", {"x": "f32[6,3]", "steps": "i64[6]:0..2"}),
            Check("tf.math.segment_prod(x, tf.cumsum(steps))", {"x": "i32[5]:1..4", "steps": "i64[5]:0..2"}),
        ],
    ),
])
