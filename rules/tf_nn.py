"""``tf.nn``: activations, losses, normalisation and friends.

Besides the rows, this module holds the small kit the op-table modules of this namespace
group share (``tf_image``, ``tf_random``, ``keras_activations``, ``keras_backend``):
``Fn`` (a table row whose name may also be used as a value, ``activation=tf.nn.relu``) and
``Composite`` (a row whose rewrite is an expression built from the bound arguments, for the
APIs whose PyTorch form is not one call).
"""

from __future__ import annotations

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
from migrate.rules.convert import axis

# ---------------------------------------------------------------------------------------
# The kit.


class Fn(ApiCall):
    """A table row whose TF name may also be passed around as a value
    (``Dense(activation=tf.nn.relu)``). ``reference`` is the PyTorch function that is the
    same function of the same arguments with every default, or None when there is none."""

    def __init__(
        self, *args: Any, reference: str | None = None, reference_kwargs: Mapping[str, Any] | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.reference = reference
        self.reference_kwargs = dict(reference_kwargs or {})

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if self.reference is None:
            return super().rewrite_reference(node, qualified, ctx)
        if self.reference_kwargs:
            return call(ctx.name("functools.partial"), ctx.name(self.reference), **self.reference_kwargs)
        return ctx.name(self.reference)


_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.List, cst.Tuple, cst.Dict, cst.Integer, cst.Float, cst.SimpleString)


def paren(node: cst.BaseExpression) -> cst.BaseExpression:
    """``node`` parenthesised unless it is atomic (safe as an operand or a receiver)."""
    if isinstance(node, _ATOMIC) or node.lpar:
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def node(value: Any) -> cst.BaseExpression:
    return value if isinstance(value, cst.CSTNode) else to_node(value)


def call(func: cst.BaseExpression, *args: Any, **kwargs: Any) -> cst.Call:
    """A call with the usual ``, `` spacing; Python values become literals."""
    built = [cst.Arg(node(a)) for a in args]
    built += [
        cst.Arg(
            node(v),
            keyword=cst.Name(k),
            equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
        )
        for k, v in kwargs.items()
    ]
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    built = [a.with_changes(comma=comma) for a in built[:-1]] + built[-1:]
    return cst.Call(func, built)


def method(receiver: cst.BaseExpression, name: str, *args: Any, **kwargs: Any) -> cst.Call:
    """``receiver.name(args)``."""
    return call(cst.Attribute(paren(receiver), cst.Name(name)), *args, **kwargs)


def binop(left: Any, op: str, right: Any) -> cst.BinaryOperation:
    """``left op right``, operands parenthesised where needed, the result parenthesised
    (it replaces a call, which can sit anywhere)."""
    ops = {"+": cst.Add, "-": cst.Subtract, "*": cst.Multiply, "/": cst.Divide, "**": cst.Power}
    space = cst.SimpleWhitespace(" ")
    operator = ops[op](whitespace_before=space, whitespace_after=space)
    def operand(value: Any, side: str) -> cst.BaseExpression:
        value = node(value)
        if isinstance(value, cst.UnaryOperation) and op != "**":
            return value  # `-a * b` is `(-a) * b`
        inner = _PRECEDENCE.get(type(value.operator), 0) if isinstance(value, cst.BinaryOperation) else 0
        outer = _PRECEDENCE[type(operator)]
        if inner and op != "**" and (inner > outer or (side == "left" and inner == outer)):
            return value.with_changes(lpar=[], rpar=[])  # `a * b + c`, `a - b - c`
        return paren(value)

    return cst.BinaryOperation(operand(left, "left"), operator, operand(right, "right"), lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


_PRECEDENCE = {cst.Add: 1, cst.Subtract: 1, cst.Multiply: 2, cst.Divide: 2, cst.Power: 3}


def bare(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``expr`` without its outer parentheses (for an argument position)."""
    return expr.with_changes(lpar=[], rpar=[])


def is_simple(value: cst.BaseExpression) -> bool:
    """A name, an attribute chain or a number: safe to write twice in a rewrite."""
    while isinstance(value, cst.Attribute):
        value = value.value
    if isinstance(value, cst.Name):
        return True
    try:
        lit = literal(value)
    except NotLiteral:
        return False
    return isinstance(lit, (int, float)) and not isinstance(lit, bool)


def dotted_name(value: cst.BaseExpression) -> str | None:
    parts: list[str] = []
    while isinstance(value, cst.Attribute):
        parts.append(value.attr.value)
        value = value.value
    if not isinstance(value, cst.Name):
        return None
    parts.append(value.value)
    return ".".join(reversed(parts))


_TORCH_DTYPE_NAMES = {
    "float16", "half", "bfloat16", "float32", "float", "float64", "double", "int8", "int16",
    "int32", "int64", "long", "int", "uint8", "bool", "complex64", "complex128",
}
_FLOAT_DTYPES = {"float16", "half", "bfloat16", "float32", "float", "float64", "double"}


def dtype_name(value: cst.BaseExpression) -> str | None:
    """The dtype a (rewritten) dtype argument names: ``"int32"``, ``torch.int32``,
    ``tf.int32`` not yet rewritten; None when it cannot be read."""
    if isinstance(value, cst.SimpleString):
        name = value.evaluated_value
        return name if isinstance(name, str) else None
    dotted = dotted_name(value)
    if dotted is None:
        return None
    last = dotted.rsplit(".", 1)[-1]
    return last if last in _TORCH_DTYPE_NAMES else None


class Args:
    """The bound arguments of one site, for a ``Composite`` builder."""

    def __init__(self, rule: "Composite", bound: dict[str, cst.BaseExpression], ctx: RuleContext):
        self.rule, self.bound, self.ctx = rule, bound, ctx
        self.defaults = {p.name: p for p in rule.signature}
        self.qualified = ""  # the canonical name the site called

    def __contains__(self, name: str) -> bool:
        return name in self.bound

    def __getitem__(self, name: str) -> cst.BaseExpression:
        if name in self.bound:
            return self.bound[name]
        param = self.defaults[name]
        return to_node(param.default)

    def get(self, name: str) -> cst.BaseExpression | None:
        return self.bound.get(name)

    def lit(self, name: str, why: str = "") -> Any:
        """The literal value of an argument (its default when omitted), or CannotMigrate."""
        if name not in self.bound:
            return self.defaults[name].default
        try:
            return literal(self.bound[name])
        except NotLiteral:
            raise CannotMigrate(
                f"`{name}={self.ctx.source(self.bound[name])}` is not a literal" + (f": {why}" if why else "")
            ) from None

    def is_default(self, name: str) -> bool:
        """Omitted, or passed as a literal equal to TF's default."""
        if name not in self.bound:
            return True
        try:
            value = literal(self.bound[name])
        except NotLiteral:
            return False
        default = self.defaults[name].default
        return type(value) is type(default) and value == default or (
            isinstance(value, (int, float)) and isinstance(default, (int, float))
            and not isinstance(value, bool) and not isinstance(default, bool) and value == default
        )

    def simple(self, name: str, why: str) -> cst.BaseExpression:
        """An argument that the rewrite writes twice: it must be a name or a number."""
        value = self[name]
        if not is_simple(value):
            raise CannotMigrate(f"`{self.ctx.source(value)}` would be evaluated twice {why}; assign it to a name first")
        return value

    def name(self, qualified: str) -> cst.BaseExpression:
        return self.ctx.name(qualified)


class Composite(Rule):
    """A row whose rewrite is an expression built by ``build`` from the bound arguments.

    Arguments are bound to ``signature`` as Python binds them. ``name`` is dropped. A
    parameter not in ``handles`` is a TODO when passed with a value other than its default.
    """

    def __init__(
        self,
        id: str,
        tf: str | Sequence[str],
        signature: str,
        handles: Sequence[str],
        build: Callable[[Args], cst.BaseExpression],
        summary: str,
        why: str,
        example: str,
        checks: Sequence[Check] = (),
        reference: Callable[[RuleContext], cst.BaseExpression] | None = None,
    ):
        self.id = id
        self.names = (tf,) if isinstance(tf, str) else tuple(tf)
        self.signature = parse_signature(signature)
        self.handles = set(handles) | {"name"}
        self.build = build
        self.summary, self.why, self.example = summary, why, example
        self.checks = tuple(checks)
        self.reference = reference
        unknown = self.handles - {p.name for p in self.signature} - {"name"}
        if unknown:
            raise ValueError(f"rule {id}: handles {sorted(unknown)} not in its signature")

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound_args = ApiCall.bind(self, call, ctx)  # type: ignore[arg-type]
        bound = {k: a.value for k, a in bound_args.items()}
        originals = {id(a.value): a for a in bound_args.values()}
        args = Args(self, bound, ctx)
        args.qualified = qualified
        for param in self.signature:
            if param.name not in self.handles and not args.is_default(param.name):
                raise CannotMigrate(f"argument `{param.name}=` has no PyTorch equivalent here")
        return _keep_layout(call, self.build(args), originals)

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if self.reference is None:
            return super().rewrite_reference(node, qualified, ctx)
        return self.reference(ctx)


def _keep_layout(original: cst.Call, result: cst.BaseExpression, originals: dict[int, cst.Arg]) -> cst.BaseExpression:
    """When the rewrite is one call that takes some of the source's arguments as they were,
    rebuild it with ``build_call`` so the source's line breaks and comments survive."""
    if not isinstance(result, cst.Call) or result.lpar:
        return result
    if not any(id(arg.value) in originals for arg in result.args):
        return result
    order = list(originals)
    kept = [order.index(id(arg.value)) for arg in result.args if id(arg.value) in originals]
    if kept != sorted(kept):
        return result  # reordered: each source argument's line break would move with it
    args = [
        NewArg(arg.value, arg.keyword.value if arg.keyword else None, originals.get(id(arg.value)))
        for arg in result.args
    ]
    # build_call puts arguments added after the source's last one on lines of their own.
    return build_call(original, result.func, args)


def reference_check(name: str, inputs: Mapping[str, Any], **kwargs: Any) -> Check:
    """A check that uses ``name`` as a value (``activation=tf.nn.relu``)."""
    return Check(f"f = {name}\nresult = f(x)", inputs, **kwargs)


def _fn_row(
    id: str, tf: Sequence[str], torch: str, summary: str, why: str, checks: Sequence[Check], *, param: str = "features"
) -> Fn:
    return Fn(
        id=id,
        tf=list(tf),
        torch=torch,
        signature=f"{param}, name=None",
        args={param: Pos(0), "name": DROP},
        summary=summary,
        why=why,
        example=f"y = {tf[0]}(x)",
        checks=checks,
        reference=torch,
    )


# ---------------------------------------------------------------------------------------
# Rows.


def _none_is_last(value: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
    """TF's `axis=None` means the last axis; torch's `dim=None` means something else."""
    if isinstance(value, cst.Name) and value.value == "None":
        return to_node(-1)
    return value


def _softmax_row(name: str, torch: str) -> Fn:
    return Fn(
        id=f"nn.{name}",
        tf=[f"tf.nn.{name}", f"tf.math.{name}"],
        torch=torch,
        signature="logits, axis=None, name=None",
        args={"logits": Pos(0), "axis": Kw("dim", _none_is_last, default=-1), "name": DROP},
        summary=f"`tf.nn.{name}` → `{torch}`, writing TF's default `axis=-1`.",
        why=(
            "TF normalises over the last axis by default (also for an explicit `axis=None`); "
            "`torch.softmax`/`torch.log_softmax` have no default dimension, so `dim=-1` is "
            "written out. Used as a value "
            f"(`activation=tf.nn.{name}`) the name becomes `functools.partial({torch}, dim=-1)`, "
            "which is the same function of one argument."
        ),
        example=f"p = tf.nn.{name}(logits)\nq = tf.nn.{name}(scores, axis=1)",
        checks=[
            Check(f"tf.nn.{name}(x)", {"x": "f32[3,5]"}),
            Check(f"tf.nn.{name}(x, axis=0)", {"x": "f32[3,5]"}),
            Check(f"tf.math.{name}(x, -2)", {"x": "f64[2,3,4]"}),
            Check(f"tf.nn.{name}(x, axis=1)", {"x": "f32[2,0,3]"}),
            Check(f"tf.nn.{name}(x, axis=None)", {"x": "f32[2,3,4]"}),
            Check(f"tf.nn.{name}(x)", {"x": "f16[4,6]"}, atol=2e-3, rtol=2e-3),
            reference_check(f"tf.nn.{name}", {"x": "f32[2,7]"}),
        ],
        reference=torch,
        reference_kwargs={"dim": -1},
    )


def _top_k(a: Args) -> cst.BaseExpression:
    if "index_type" in a and dtype_name(a["index_type"]) not in ("int32", "int64"):
        raise CannotMigrate("`index_type=` cannot be read; torch's indices are int64")
    kwargs: dict[str, Any] = {}
    if not a.is_default("sorted"):
        kwargs["sorted"] = a["sorted"]
    return call(a.name("torch.topk"), a["input"], a["k"], **kwargs)


def _bias_add(a: Args) -> cst.BaseExpression:
    fmt = a.lit("data_format", "which axis the bias runs along depends on it")
    if fmt not in (None, "NHWC", "NWC", "NDHWC", "N...C"):
        raise CannotMigrate(f"data_format={fmt!r}: the bias runs along axis 1; reshape it to broadcast there")
    return call(a.name("torch.add"), a["value"], a["bias"])


def _sigmoid_ce(a: Args) -> cst.BaseExpression:
    if "labels" not in a or "logits" not in a:
        raise CannotMigrate("both `labels=` and `logits=` must be given")
    return call(a.name("torch.nn.functional.binary_cross_entropy_with_logits"), a["logits"], a["labels"], reduction="none")


def _softmax_ce(a: Args) -> cst.BaseExpression:
    axis_ = a["axis"]
    product = binop(cst.UnaryOperation(cst.Minus(), paren(a["labels"])), "*", call(a.name("torch.log_softmax"), a["logits"], dim=axis_))
    return call(a.name("torch.sum"), bare(product), dim=axis_)


def _sparse_softmax_ce(a: Args) -> cst.BaseExpression:
    logits = method(a["logits"], "movedim", -1, 1)
    return call(
        a.name("torch.nn.functional.cross_entropy"), logits, method(a["labels"], "long"), reduction="none"
    )


def _silu(a: Args) -> cst.BaseExpression:
    if not a.is_default("beta"):
        raise CannotMigrate("`beta` other than 1.0: write `x * torch.sigmoid(beta * x)`")
    return call(a.name("torch.nn.functional.silu"), a["features"])


def _gelu(a: Args) -> cst.BaseExpression:
    approximate = a.lit("approximate", "it picks the exact or the tanh form")
    if approximate:
        return call(a.name("torch.nn.functional.gelu"), a["features"], approximate="tanh")
    return call(a.name("torch.nn.functional.gelu"), a["features"])


def _dropout(a: Args) -> cst.BaseExpression:
    if "rate" not in a:
        raise CannotMigrate("`rate=` must be given")
    if a.get("seed") is not None and not a.is_default("seed"):
        raise CannotMigrate("an op-level `seed=` has no PyTorch form; seed with `torch.manual_seed`")
    return call(a.name("torch.nn.functional.dropout"), a["x"], p=a["rate"], training=True)


def _embedding_lookup(a: Args) -> cst.BaseExpression:
    if isinstance(a["params"], (cst.List, cst.Tuple)):
        raise CannotMigrate("sharded `params` (a list of tensors) are split by `partition_strategy`; concatenate them first")
    return call(a.name("torch.nn.functional.embedding"), a["ids"], a["params"])


def _moments(a: Args) -> cst.BaseExpression:
    if a.get("shift") is not None and not a.is_default("shift"):
        raise CannotMigrate("`shift=` is unused by TF2 moments but must be None to be dropped")
    kwargs: dict[str, Any] = {"dim": axis(a["axes"], a.ctx), "correction": 0}
    if not a.is_default("keepdims"):
        kwargs["keepdim"] = a["keepdims"]
    var_mean = call(a.name("torch.var_mean"), a["x"], **kwargs)
    return cst.parse_expression("_[::-1]").with_changes(value=var_mean)


def _l2_normalize(a: Args) -> cst.BaseExpression:
    if "axis" not in a or (_is_literal(a["axis"]) and literal(a["axis"]) is None):
        raise CannotMigrate("without `axis` TF normalises over all elements; write the axes out")
    epsilon = a.get("epsilon")
    if epsilon is None:
        eps: cst.BaseExpression = cst.Float("1e-06")
    else:
        try:
            value = literal(epsilon)
            eps = to_node(float(value) ** 0.5)
        except NotLiteral:
            eps = binop(epsilon, "**", 0.5)
    return call(a.name("torch.nn.functional.normalize"), a["x"], dim=axis(a["axis"], a.ctx), eps=eps)


def _is_literal(value: cst.BaseExpression | None) -> bool:
    if value is None:
        return False
    try:
        literal(value)
    except NotLiteral:
        return False
    return True


def _log_poisson_loss(a: Args) -> cst.BaseExpression:
    kwargs: dict[str, Any] = {"log_input": True}
    if not a.is_default("compute_full_loss"):
        kwargs["full"] = a["compute_full_loss"]
    kwargs["reduction"] = "none"
    return call(a.name("torch.nn.functional.poisson_nll_loss"), a["log_input"], a["targets"], **kwargs)


def _l2_loss(a: Args) -> cst.BaseExpression:
    return binop(call(a.name("torch.sum"), call(a.name("torch.square"), a["t"])), "/", 2)


def _batch_normalization(a: Args) -> cst.BaseExpression:
    out: cst.BaseExpression = binop(
        binop(a["x"], "-", a["mean"]), "*", call(a.name("torch.rsqrt"), bare(binop(a["variance"], "+", a["variance_epsilon"])))
    )
    if not (isinstance(a["scale"], cst.Name) and a["scale"].value == "None"):
        out = binop(out, "*", a["scale"])
    if not (isinstance(a["offset"], cst.Name) and a["offset"].value == "None"):
        out = binop(out, "+", a["offset"])
    return out


# ---------------------------------------------------------------------------------------
# Convolution and pooling, functional forms: TF's default layout is channels last (NHWC),
# torch's functions want NCHW, so the input is permuted in and the result out again.


def _layout(a: Args, default: str = "NHWC") -> bool:
    """True for channels last (permute), False for NCHW; a TODO otherwise."""
    fmt = a.lit("data_format", "it decides where the channels are")
    if fmt is None:
        fmt = default
    if fmt in ("NHWC", "NWC", "NDHWC", "channels_last"):
        return True
    if fmt in ("NCHW", "NCW", "NCDHW", "channels_first"):
        return False
    raise CannotMigrate(f"data_format={fmt!r}")


def _window(a: Args, name: str, channels_last: bool, rank: int = 2) -> Any:
    """A 2-D window or stride from TF's int / [k] / [kh, kw] / [1, kh, kw, 1] forms."""
    value = a.lit(name, "it is the window of the torch call")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, int) for v in value):
        value = list(value)
        if len(value) == 1:
            return value[0]
        if len(value) == rank + 2:
            outer = (value[0], value[-1]) if channels_last else (value[0], value[1])
            if outer != (1, 1):
                raise CannotMigrate(f"`{name}` over the batch or channel axis")
            value = value[1:-1] if channels_last else value[2:]
        if len(value) == rank:
            return value[0] if len(set(value)) == 1 else tuple(value)  # torch takes an int for a square window
    raise CannotMigrate(f"`{name}={value!r}` is not a window")


def _all_one(value: Any) -> bool:
    return value == 1 or (isinstance(value, tuple) and all(v == 1 for v in value))


def _padding(a: Args, kernel: Any, stride: Any, *, conv: bool) -> dict[str, Any]:
    padding = a.lit("padding", "it decides the output size")
    if padding == "VALID":
        return {}
    if padding == "SAME":
        if not _all_one(stride):
            raise CannotMigrate(
                "`padding=\"SAME\"` with a stride > 1 pads by an amount that depends on the input "
                "size (extra on the bottom/right); pad with `F.pad` first"
            )
        if conv:
            return {"padding": "same"}
        sizes = kernel if isinstance(kernel, tuple) else (kernel, kernel)
        if kernel is None or any(k % 2 == 0 for k in sizes):
            raise CannotMigrate("`padding=\"SAME\"` with an even window pads one side more; pad with `F.pad` first")
        half = tuple((k - 1) // 2 for k in sizes)
        return {"padding": half[0] if len(set(half)) == 1 else half}
    raise CannotMigrate(f"padding={padding!r} (explicit paddings) is not migrated")


def _in(a: Args, name: str, channels_last: bool) -> cst.BaseExpression:
    return method(a[name], "permute", 0, 3, 1, 2) if channels_last else a[name]


def _out(value: cst.BaseExpression, channels_last: bool) -> cst.BaseExpression:
    return method(value, "permute", 0, 2, 3, 1) if channels_last else value


def _pool(torch: str, *, nd_name: bool):  # noqa: ANN202
    def build(a: Args) -> cst.BaseExpression:
        if nd_name and a.qualified.endswith("_pool") and a.get("data_format") is None:
            sizes = [a.get(n) for n in ("ksize", "strides")]
            if not any(isinstance(v, (cst.List, cst.Tuple)) and len(v.elements) == 4 for v in sizes):
                raise CannotMigrate(
                    "the pooling rank follows the input's rank, which the source does not say: "
                    "use the 2-D name, `data_format=\"NHWC\"` or a 4-element `ksize`"
                )
        channels_last = _layout(a)
        kernel = _window(a, "ksize", channels_last)
        stride = _window(a, "strides", channels_last)
        kwargs: dict[str, Any] = {"kernel_size": kernel, "stride": stride}
        kwargs.update(_padding(a, kernel, stride, conv=False))
        if "avg" in torch and "padding" in kwargs:
            kwargs["count_include_pad"] = False  # TF averages over the real cells only
        return _out(call(a.name(torch), _in(a, "input", channels_last), **kwargs), channels_last)

    return build


def _dilation(a: Args, channels_last: bool) -> dict[str, Any]:
    if a.is_default("dilations"):
        return {}
    dilation = _window(a, "dilations", channels_last)
    return {} if _all_one(dilation) else {"dilation": dilation}


def _conv2d(a: Args) -> cst.BaseExpression:
    channels_last = _layout(a)
    stride = _window(a, "strides", channels_last)
    kwargs: dict[str, Any] = {}
    if not _all_one(stride):
        kwargs["stride"] = stride
    kwargs.update(_padding(a, None, stride, conv=True))
    kwargs.update(_dilation(a, channels_last))
    weight = method(a["filters"], "permute", 3, 2, 0, 1)  # HWIO -> OIHW
    return _out(call(a.name("torch.nn.functional.conv2d"), _in(a, "input", channels_last), weight, **kwargs), channels_last)


def _depthwise_weight(a: Args, name: str) -> tuple[cst.BaseExpression, cst.BaseExpression]:
    """(kh, kw, in, mult) -> (in * mult, 1, kh, kw), and the group count (in)."""
    filt = a.simple(name, "(its input-channel count is the number of groups)")
    weight = method(method(method(filt, "permute", 2, 3, 0, 1), "flatten", 0, 1), "unsqueeze", 1)
    groups = cst.Subscript(cst.Attribute(filt, cst.Name("shape")), [cst.SubscriptElement(cst.Index(to_node(2)))])
    return weight, groups


def _depthwise_conv2d(a: Args) -> cst.BaseExpression:
    channels_last = _layout(a)
    stride = _window(a, "strides", channels_last)
    weight, groups = _depthwise_weight(a, "filter")
    kwargs: dict[str, Any] = {}
    if not _all_one(stride):
        kwargs["stride"] = stride
    kwargs.update(_padding(a, None, stride, conv=True))
    if not a.is_default("dilations"):
        kwargs.update({} if _all_one(_window(a, "dilations", channels_last)) else {"dilation": _window(a, "dilations", channels_last)})
    kwargs["groups"] = groups
    return _out(call(a.name("torch.nn.functional.conv2d"), _in(a, "input", channels_last), weight, **kwargs), channels_last)


def _separable_conv2d(a: Args) -> cst.BaseExpression:
    channels_last = _layout(a)
    stride = _window(a, "strides", channels_last)
    weight, groups = _depthwise_weight(a, "depthwise_filter")
    kwargs: dict[str, Any] = {}
    if not _all_one(stride):
        kwargs["stride"] = stride
    kwargs.update(_padding(a, None, stride, conv=True))
    if not a.is_default("dilations"):
        kwargs.update({} if _all_one(_window(a, "dilations", channels_last)) else {"dilation": _window(a, "dilations", channels_last)})
    kwargs["groups"] = groups
    depthwise = call(a.name("torch.nn.functional.conv2d"), _in(a, "input", channels_last), weight, **kwargs)
    pointwise = method(a["pointwise_filter"], "permute", 3, 2, 0, 1)
    return _out(call(a.name("torch.nn.functional.conv2d"), depthwise, pointwise), channels_last)


def _pool_row(kind: str, tf_names: list[str], torch: str, nd: bool) -> Composite:
    what = "average" if kind == "avg" else "maximum"
    return Composite(
        id=f"nn.{kind}_pool",
        tf=tf_names,
        signature="input, ksize, strides, padding, data_format=None, name=None",
        handles=("input", "ksize", "strides", "padding", "data_format"),
        build=_pool(torch, nd_name=nd),
        summary=f"`tf.nn.{kind}_pool2d` → `{torch.replace('torch.nn.functional.', 'F.')}` on `NCHW` (permuted in and out).",
        why=(
            f"The 2-D {what} pool of a channels-last batch: permuted to `NCHW` for torch and "
            "back. TF's `ksize`/`strides` may be an int, `[k]`, `[kh, kw]` or "
            "`[1, kh, kw, 1]`; torch takes `(kh, kw)`. `VALID` is torch's default (no "
            "padding). `SAME` with stride 1 and an odd window pads (k-1)/2 on each side"
            + (", and TF averages over the real cells only: `count_include_pad=False`" if kind == "avg" else ", where torch pads with -inf like TF")
            + "; `SAME` with a larger stride or an even window pads by an amount that "
            "depends on the input size: a TODO. `tf.nn."
            + kind
            + "_pool` pools over as many axes as the input has, which the source does "
            "not show unless `data_format` or a 4-element `ksize` says so: otherwise a TODO."
        ),
        example=f'y = tf.nn.{kind}_pool2d(x, ksize=2, strides=2, padding="VALID")',
        checks=[
            Check(f'tf.nn.{kind}_pool2d(x, ksize=2, strides=2, padding="VALID")', {"x": "f32[2,6,8,3]"}, atol=1e-6),
            Check(f'tf.nn.{kind}_pool2d(x, [3, 2], [1, 2], "VALID")', {"x": "f64[1,7,6,2]"}),
            Check(f'tf.nn.{kind}_pool(x, ksize=[1, 3, 3, 1], strides=[1, 1, 1, 1], padding="SAME")', {"x": "f32[2,5,5,3]"}, atol=1e-6),
            Check(f'tf.nn.{kind}_pool(x, 2, 2, "VALID", data_format="NHWC")', {"x": "f32[1,4,4,1]"}, atol=1e-6),
            Check(f'tf.nn.{kind}_pool2d(x, 2, 2, "VALID", data_format="NCHW")', {"x": "f32[1,2,4,6]"}, atol=1e-6),
            Check(f'tf.nn.{kind}_pool2d(x, 2, 2, "SAME")', {"x": "f32[1,5,5,1]"}, todo=True),
            Check(f'tf.nn.{kind}_pool(x, 2, 2, "VALID")', {"x": "f32[1,4,4,1]"}, todo=True),
        ],
    )


def _conv1d(a: Args) -> cst.BaseExpression:
    channels_last = _layout(a, default="NWC")
    stride = _window(a, "stride", channels_last, rank=1)
    kwargs: dict[str, Any] = {}
    if not _all_one(stride):
        kwargs["stride"] = stride
    kwargs.update(_padding(a, None, stride, conv=True))
    if not a.is_default("dilations"):
        dilation = _window(a, "dilations", channels_last, rank=1)
        if not _all_one(dilation):
            kwargs["dilation"] = dilation
    x = method(a["input"], "permute", 0, 2, 1) if channels_last else a["input"]
    weight = method(a["filters"], "permute", 2, 1, 0)  # (w, in, out) -> (out, in, w)
    out = call(a.name("torch.nn.functional.conv1d"), x, weight, **kwargs)
    return method(out, "permute", 0, 2, 1) if channels_last else out


def _weighted_ce(a: Args) -> cst.BaseExpression:
    weight = call(a.name("torch.as_tensor"), a["pos_weight"])
    return call(
        a.name("torch.nn.functional.binary_cross_entropy_with_logits"), a["logits"], a["labels"], pos_weight=weight, reduction="none"
    )


def _zero_fraction(a: Args) -> cst.BaseExpression:
    zeros = cst.Comparison(
        paren(a["value"]), [cst.ComparisonTarget(cst.Equal(whitespace_before=cst.SimpleWhitespace(" "), whitespace_after=cst.SimpleWhitespace(" ")), cst.Integer("0"))],
        lpar=[cst.LeftParen()], rpar=[cst.RightParen()],
    )
    return call(a.name("torch.mean"), method(zeros, "to", a.name("torch.float32")))


RULES = [
    Fn(
        id="nn.relu",
        tf="tf.nn.relu",
        torch="torch.relu",
        signature="features, name=None",
        args={"features": Pos(0), "name": DROP},
        summary="`tf.nn.relu` → `torch.relu`.",
        why="Same function, on floats and integers alike. Used as a value (`activation=tf.nn.relu`) it becomes `torch.relu`.",
        example="y = tf.nn.relu(x)\nact = tf.nn.relu",
        checks=[
            Check("tf.nn.relu(x)", {"x": "f32[3,4]"}),
            Check("tf.nn.relu(x)", {"x": "f64[2,3,2]"}),
            Check("tf.nn.relu(x)", {"x": "i32[7]"}),
            Check("tf.nn.relu(features=x)", {"x": "f32[2,0]"}),
            Check("tf.nn.relu(x)", {"x": "f32[]"}),
            reference_check("tf.nn.relu", {"x": "f32[5]"}),
        ],
        reference="torch.relu",
    ),
    _softmax_row("softmax", "torch.softmax"),
    _softmax_row("log_softmax", "torch.log_softmax"),
    Composite(
        id="nn.top_k",
        tf=["tf.math.top_k", "tf.nn.top_k"],
        signature="input, k=1, sorted=True, index_type=tf.int32, name=None".replace("tf.int32", "'int32'"),
        handles=("input", "k", "sorted", "index_type"),
        build=_top_k,
        summary="`tf.math.top_k` → `torch.topk` (values and indices along the last axis).",
        why=(
            "Both take the k largest entries of the last axis, sorted by default, and return "
            "(values, indices) with `.values`/`.indices`. TF's indices are int32 unless "
            "`index_type=` says otherwise; torch's are int64, which is what torch indexing and "
            "`gather` want, so no cast is written (the checks compare values, not that dtype). "
            "TF's `k` defaults to 1; torch needs it, so it is written out. With ties the order "
            "of equal values may differ."
        ),
        example="values, indices = tf.math.top_k(scores, k=5)",
        checks=[
            Check("tf.math.top_k(x, k=3)", {"x": "f32[4,10]"}, dtype=False),
            Check("tf.nn.top_k(x)", {"x": "f64[6]"}, dtype=False),
            Check("tf.nn.top_k(x, 2).values", {"x": "f32[2,3,5]"}),
            Check("tf.nn.top_k(x, k=0)", {"x": "f32[3,4]"}, dtype=False),
            Check("tf.math.top_k(x, 2, index_type=tf.int64)", {"x": "f32[3,4]"}),
            Check("tf.math.top_k(x, 2, index_type=t)", {"x": "f32[3,4]", "t": None}, todo=True),
        ],
    ),
    Composite(
        id="nn.bias_add",
        tf="tf.nn.bias_add",
        signature="value, bias, data_format=None, name=None",
        handles=("value", "bias", "data_format"),
        build=_bias_add,
        summary="`tf.nn.bias_add` → `torch.add` (channels-last: the bias runs along the last axis).",
        why=(
            "With the default (channels-last) layout TF adds a 1-D bias along the last axis, "
            "which is plain broadcasting: `torch.add(value, bias)`. With `NCHW`/`NC...` the "
            "bias runs along axis 1; that and a `data_format` that is not a literal stay a TODO."
        ),
        example="y = tf.nn.bias_add(conv, b)",
        checks=[
            Check("tf.nn.bias_add(x, b)", {"x": "f32[2,4,4,3]", "b": "f32[3]"}),
            Check("tf.nn.bias_add(x, b, data_format='NHWC')", {"x": "f64[5,2]", "b": "f64[2]"}),
            Check("tf.nn.bias_add(x, b)", {"x": "i32[0,3]", "b": "i32[3]"}),
            Check("tf.nn.bias_add(x, b, data_format='NCHW')", {"x": "f32[2,3,4,4]", "b": "f32[3]"}, todo=True),
            Check("tf.nn.bias_add(x, b, data_format=fmt)", {"x": "f32[2,3]", "b": "f32[3]", "fmt": "NHWC"}, todo=True),
        ],
    ),
    Composite(
        id="nn.sigmoid_cross_entropy_with_logits",
        tf="tf.nn.sigmoid_cross_entropy_with_logits",
        signature="labels=None, logits=None, name=None",
        handles=("labels", "logits"),
        build=_sigmoid_ce,
        summary="`tf.nn.sigmoid_cross_entropy_with_logits` → `F.binary_cross_entropy_with_logits(..., reduction=\"none\")`.",
        why=(
            "Both compute the element-wise, numerically stable logistic loss; TF does not "
            "reduce, so `reduction=\"none\"` is written. Note the argument order: torch takes "
            "the logits first."
        ),
        example="loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=z)",
        checks=[
            Check("tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=z)", {"y": "f32[4,3]:unit", "z": "f32[4,3]"}),
            Check("tf.nn.sigmoid_cross_entropy_with_logits(y, z)", {"y": "f64[5]:unit", "z": "f64[5]"}),
            Check("tf.nn.sigmoid_cross_entropy_with_logits(logits=z * 20, labels=y)", {"y": "f32[2,6]:unit", "z": "f32[2,6]"}, atol=1e-5),
            Check("tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=z)", {"y": "f32[0,2]:unit", "z": "f32[0,2]"}),
        ],
    ),
    Composite(
        id="nn.softmax_cross_entropy_with_logits",
        tf="tf.nn.softmax_cross_entropy_with_logits",
        signature="labels, logits, axis=-1, name=None",
        handles=("labels", "logits", "axis"),
        build=_softmax_ce,
        summary="`tf.nn.softmax_cross_entropy_with_logits` → `torch.sum(-labels * torch.log_softmax(logits, dim), dim)`.",
        why=(
            "TF's per-example cross-entropy against a distribution over `axis` (default the "
            "last). `F.cross_entropy` with probability targets takes the classes on dim 1, "
            "which is the last axis only for 2-D logits, so the definition is written out: it "
            "is right for any rank and axis, and it does not reduce over examples, like TF."
        ),
        example="loss = tf.nn.softmax_cross_entropy_with_logits(labels=onehot, logits=logits)",
        checks=[
            Check("tf.nn.softmax_cross_entropy_with_logits(labels=tf.nn.softmax(y), logits=z)", {"y": "f32[4,5]", "z": "f32[4,5]"}, atol=1e-5),
            Check("tf.nn.softmax_cross_entropy_with_logits(y, z, axis=1)", {"y": "f64[2,3,4]:unit", "z": "f64[2,3,4]"}),
            Check("tf.nn.softmax_cross_entropy_with_logits(y, z)", {"y": "f32[2,3,4]:unit", "z": "f32[2,3,4]"}, atol=1e-5),
            Check("tf.nn.softmax_cross_entropy_with_logits(y, z)", {"y": "f32[0,4]:unit", "z": "f32[0,4]"}),
        ],
    ),
    Composite(
        id="nn.sparse_softmax_cross_entropy_with_logits",
        tf="tf.nn.sparse_softmax_cross_entropy_with_logits",
        signature="labels, logits, name=None",
        handles=("labels", "logits"),
        build=_sparse_softmax_ce,
        summary="`tf.nn.sparse_softmax_cross_entropy_with_logits` → `F.cross_entropy(logits.movedim(-1, 1), labels.long(), reduction=\"none\")`.",
        why=(
            "TF takes class indices for the logits' last axis and returns one loss per "
            "example. `F.cross_entropy` wants the classes on dim 1 (`movedim(-1, 1)`, a no-op "
            "for 2-D logits), int64 targets (TF's are usually int32) and `reduction=\"none\"` "
            "to keep the per-example losses. Unlike TF, torch treats the label -100 as "
            "ignored (loss 0) where TF raises."
        ),
        example="loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)",
        checks=[
            Check("tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z)", {"y": "i32[4]:0..5", "z": "f32[4,5]"}, atol=1e-5),
            Check("tf.nn.sparse_softmax_cross_entropy_with_logits(y, z)", {"y": "i64[2,3]:0..4", "z": "f64[2,3,4]"}),
            Check("tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z)", {"y": "i32[0]:0..3", "z": "f32[0,3]"}),
        ],
    ),
    Composite(
        id="nn.silu",
        tf=["tf.nn.silu", "tf.nn.swish"],
        signature="features, beta=1.0, name=None",
        handles=("features", "beta"),
        build=_silu,
        summary="`tf.nn.silu`/`tf.nn.swish` → `F.silu`.",
        why=(
            "`x * sigmoid(x)` in both. A `beta` other than 1 has no `F.silu` argument; the "
            "general form would write `features` twice, so it stays a TODO. Used as a value "
            "(`activation=tf.nn.swish`) the name becomes `F.silu`."
        ),
        example="y = tf.nn.swish(x)",
        checks=[
            Check("tf.nn.silu(x)", {"x": "f32[3,4]"}),
            Check("tf.nn.swish(x, beta=1.0)", {"x": "f64[5]"}),
            Check("tf.nn.swish(x)", {"x": "f32[2,0]"}),
            reference_check("tf.nn.swish", {"x": "f32[6]"}),
            Check("tf.nn.silu(x, beta=2.0)", {"x": "f32[3]"}, todo=True),
        ],
        reference=lambda ctx: ctx.name("torch.nn.functional.silu"),
    ),
    _fn_row(
        "nn.relu6", ["tf.nn.relu6"], "torch.nn.functional.relu6",
        "`tf.nn.relu6` → `F.relu6`.", "`min(max(x, 0), 6)` in both.",
        [Check("tf.nn.relu6(x * 4)", {"x": "f32[4,5]"}), Check("tf.nn.relu6(x)", {"x": "f64[3]"}), Check("tf.nn.relu6(x)", {"x": "f32[0]"}), reference_check("tf.nn.relu6", {"x": "f32[8]"})],
    ),
    _fn_row(
        "nn.elu", ["tf.nn.elu"], "torch.nn.functional.elu",
        "`tf.nn.elu` → `F.elu`.", "Same function with alpha 1 in both.",
        [Check("tf.nn.elu(x)", {"x": "f32[4,5]"}), Check("tf.nn.elu(x)", {"x": "f64[3]"}), Check("tf.nn.elu(x)", {"x": "f32[2,0]"}), reference_check("tf.nn.elu", {"x": "f32[8]"})],
    ),
    _fn_row(
        "nn.selu", ["tf.nn.selu"], "torch.nn.functional.selu",
        "`tf.nn.selu` → `F.selu`.", "Same function and the same constants.",
        [Check("tf.nn.selu(x)", {"x": "f32[4,5]"}), Check("tf.nn.selu(x)", {"x": "f64[3]"}), reference_check("tf.nn.selu", {"x": "f32[8]"})],
    ),
    _fn_row(
        "nn.softplus", ["tf.nn.softplus"], "torch.nn.functional.softplus",
        "`tf.nn.softplus` → `F.softplus`.",
        "`log(1 + exp(x))` in both. torch returns `x` itself above 20 (its `threshold`), where the difference is below float precision.",
        [Check("tf.nn.softplus(x)", {"x": "f32[4,5]"}), Check("tf.nn.softplus(x * 30)", {"x": "f64[6]"}), reference_check("tf.nn.softplus", {"x": "f32[8]"})],
    ),
    _fn_row(
        "nn.softsign", ["tf.nn.softsign"], "torch.nn.functional.softsign",
        "`tf.nn.softsign` → `F.softsign`.", "`x / (1 + |x|)` in both.",
        [Check("tf.nn.softsign(x)", {"x": "f32[4,5]"}), Check("tf.nn.softsign(x)", {"x": "f64[3]"}), reference_check("tf.nn.softsign", {"x": "f32[8]"})],
    ),
    _fn_row(
        "nn.tanh", ["tf.nn.tanh"], "torch.tanh",
        "`tf.nn.tanh` → `torch.tanh`.", "Same function (`tf.math.tanh` and `tf.tanh` are `ops.tanh`).",
        [Check("tf.nn.tanh(x)", {"x": "f32[4,5]"}), Check("tf.nn.tanh(x)", {"x": "f64[0]"}), reference_check("tf.nn.tanh", {"x": "f32[8]"})],
        param="x",
    ),
    Fn(
        id="nn.leaky_relu",
        tf="tf.nn.leaky_relu",
        torch="torch.nn.functional.leaky_relu",
        signature="features, alpha=0.2, name=None",
        args={"features": Pos(0), "alpha": Kw("negative_slope", default=0.2), "name": DROP},
        summary="`tf.nn.leaky_relu` → `F.leaky_relu`, writing TF's slope 0.2.",
        why=(
            "TF's default negative slope is 0.2, torch's 0.01: the slope is always written. "
            "Used as a value the name becomes `functools.partial(F.leaky_relu, negative_slope=0.2)`."
        ),
        reference="torch.nn.functional.leaky_relu",
        reference_kwargs={"negative_slope": 0.2},
        example="y = tf.nn.leaky_relu(x)\nz = tf.nn.leaky_relu(x, alpha=0.1)",
        checks=[
            Check("tf.nn.leaky_relu(x)", {"x": "f32[4,5]"}),
            Check("tf.nn.leaky_relu(x, alpha=0.1)", {"x": "f64[6]"}),
            Check("tf.nn.leaky_relu(x, 0.3)", {"x": "f32[2,0]"}),
            reference_check("tf.nn.leaky_relu", {"x": "f32[8]"}),
        ],
    ),
    Composite(
        id="nn.gelu",
        tf="tf.nn.gelu",
        signature="features, approximate=False, name=None",
        handles=("features", "approximate"),
        build=_gelu,
        summary="`tf.nn.gelu` → `F.gelu` (`approximate=True` → `approximate=\"tanh\"`).",
        why=(
            "Both default to the exact, erf-based GELU. TF's `approximate=True` is torch's "
            "`approximate=\"tanh\"`; a value that is not a literal stays a TODO. Used as a "
            "value the name becomes `F.gelu`."
        ),
        example="y = tf.nn.gelu(x)\nz = tf.nn.gelu(x, approximate=True)",
        checks=[
            Check("tf.nn.gelu(x)", {"x": "f32[4,5]"}, atol=1e-6),
            Check("tf.nn.gelu(x, approximate=True)", {"x": "f64[6]"}),
            Check("tf.nn.gelu(x, False)", {"x": "f32[2,0]"}),
            reference_check("tf.nn.gelu", {"x": "f32[8]"}),
            Check("tf.nn.gelu(x, approximate=flag)", {"x": "f32[3]", "flag": True}, todo=True),
        ],
        reference=lambda ctx: ctx.name("torch.nn.functional.gelu"),
    ),
    Composite(
        id="nn.dropout",
        tf="tf.nn.dropout",
        signature="x, rate, noise_shape=None, seed=None, name=None",
        handles=("x", "rate", "seed"),
        build=_dropout,
        summary="`tf.nn.dropout(x, rate)` → `F.dropout(x, p=rate, training=True)`.",
        why=(
            "Both zero each element with probability `rate` and scale the rest by "
            "1/(1-rate), every time they are called: `tf.nn.dropout` knows no training flag, "
            "so `training=True` is written (the functional form does not follow "
            "`module.train()`/`eval()`). The random masks differ between frameworks, so the "
            "checks compare shapes and dtypes. `noise_shape` (a broadcast mask) and an op "
            "`seed` stay a TODO."
        ),
        example="h = tf.nn.dropout(h, rate=0.1)",
        checks=[
            Check("tf.nn.dropout(x, rate=0.5)", {"x": "f32[4,5]"}, compare="shape"),
            Check("tf.nn.dropout(x, 0.0)", {"x": "f64[6]"}),
            Check("tf.nn.dropout(x, 0.2)", {"x": "f32[0,3]"}, compare="shape"),
            Check("tf.nn.dropout(x, 0.5, noise_shape=[4, 1])", {"x": "f32[4,5]"}, todo=True),
        ],
    ),
    Composite(
        id="nn.embedding_lookup",
        tf="tf.nn.embedding_lookup",
        signature="params, ids, max_norm=None, name=None",
        handles=("params", "ids"),
        build=_embedding_lookup,
        summary="`tf.nn.embedding_lookup(params, ids)` → `F.embedding(ids, params)`.",
        why=(
            "Both gather rows of `params` by `ids` (int32 or int64); torch takes the ids "
            "first. A list of sharded tables and `max_norm` (which torch applies by "
            "renormalising the weight in place) stay a TODO."
        ),
        example="vectors = tf.nn.embedding_lookup(table, token_ids)",
        checks=[
            Check("tf.nn.embedding_lookup(w, i)", {"w": "f32[10,4]", "i": "i32[3,5]:0..10"}),
            Check("tf.nn.embedding_lookup(params=w, ids=i)", {"w": "f64[6,2]", "i": "i64[7]:0..6"}),
            Check("tf.nn.embedding_lookup(w, i)", {"w": "f32[6,2]", "i": "i32[0]:0..6"}),
            Check("tf.nn.embedding_lookup([w, w], i)", {"w": "f32[6,2]", "i": "i32[3]:0..6"}, todo=True),
        ],
    ),
    Composite(
        id="nn.moments",
        tf="tf.nn.moments",
        signature="x, axes, shift=None, keepdims=False, name=None",
        handles=("x", "axes", "shift", "keepdims"),
        build=_moments,
        summary="`tf.nn.moments(x, axes)` → `torch.var_mean(x, dim=axes, correction=0)[::-1]` (mean, variance).",
        why=(
            "TF returns (mean, variance) with the population variance (divide by N); "
            "`torch.var_mean` returns (variance, mean) and divides by N-1 unless "
            "`correction=0`. The pair is reversed with `[::-1]`, so `mean, var = ...` "
            "unpacks as before. A list of axes becomes a tuple."
        ),
        example="mean, variance = tf.nn.moments(x, axes=[0, 1, 2])",
        checks=[
            Check("tf.nn.moments(x, axes=[0])", {"x": "f32[8,3]"}, atol=1e-5),
            Check("tf.nn.moments(x, [0, 1, 2], keepdims=True)", {"x": "f64[2,4,4,3]"}),
            Check("tf.nn.moments(x, axes=[-1])", {"x": "f32[3,5]"}, atol=1e-5),
            Check("tf.nn.moments(x, axes=[1], keepdims=False)", {"x": "f32[2,6]"}, atol=1e-5),
        ],
    ),
    Composite(
        id="nn.l2_normalize",
        tf="tf.nn.l2_normalize",
        signature="x, axis=None, epsilon=1e-12, name=None, dim=None",
        handles=("x", "axis", "epsilon"),
        build=_l2_normalize,
        summary="`tf.nn.l2_normalize(x, axis)` → `F.normalize(x, dim=axis, eps=1e-06)`.",
        why=(
            "TF computes `x * rsqrt(max(sum(x²), epsilon))`; `F.normalize` computes "
            "`x / max(‖x‖, eps)`. Since `sqrt` is monotonic, `max(‖x‖, sqrt(ε)) = "
            "sqrt(max(sum(x²), ε))`, so torch's `eps` is the square root of TF's: 1e-06 for "
            "TF's default 1e-12 (and `epsilon ** 0.5` when it is not a literal). Only the "
            "rounding of the last bit differs. Without `axis` TF normalises over every "
            "element, which `F.normalize` cannot: a TODO. (`tf.math.l2_normalize` is "
            "`ops.l2_normalize`, the same rewrite.)"
        ),
        example="z = tf.nn.l2_normalize(embeddings, axis=-1)",
        checks=[
            Check("tf.nn.l2_normalize(x, axis=-1)", {"x": "f32[4,5]"}),
            Check("tf.nn.l2_normalize(x, 0, epsilon=1e-4)", {"x": "f64[6,2]"}),
            Check("tf.nn.l2_normalize(x * 1e-8, axis=1)", {"x": "f32[3,4]"}),
            Check("tf.nn.l2_normalize(x, axis=[1, 2])", {"x": "f32[2,3,4]"}),
            Check("tf.nn.l2_normalize(x, axis=1, epsilon=e)", {"x": "f32[3,4]", "e": 0.01}),
            Check("tf.nn.l2_normalize(x)", {"x": "f32[3,4]"}, todo=True),
        ],
    ),
    Composite(
        id="nn.log_poisson_loss",
        tf="tf.nn.log_poisson_loss",
        signature="targets, log_input, compute_full_loss=False, name=None",
        handles=("targets", "log_input", "compute_full_loss"),
        build=_log_poisson_loss,
        summary="`tf.nn.log_poisson_loss` → `F.poisson_nll_loss(log_input, targets, log_input=True, reduction=\"none\")`.",
        why=(
            "Both compute `exp(log_input) - targets * log_input` element-wise, and with "
            "`compute_full_loss=True`/`full=True` add the same Stirling term for targets > 1. "
            "torch takes the input first and reduces by default: `reduction=\"none\"` keeps "
            "TF's element-wise loss."
        ),
        example="loss = tf.nn.log_poisson_loss(counts, log_rate)",
        checks=[
            Check("tf.nn.log_poisson_loss(t, l)", {"t": "f32[4,3]:0..5", "l": "f32[4,3]"}, atol=1e-5),
            Check("tf.nn.log_poisson_loss(t, l, compute_full_loss=True)", {"t": "f64[8]:0..5", "l": "f64[8]"}),
            Check("tf.nn.log_poisson_loss(targets=t, log_input=l)", {"t": "f32[0]:0..5", "l": "f32[0]"}),
        ],
    ),
    Composite(
        id="nn.l2_loss",
        tf="tf.nn.l2_loss",
        signature="t, name=None",
        handles=("t",),
        build=_l2_loss,
        summary="`tf.nn.l2_loss(t)` → `torch.sum(torch.square(t)) / 2`.",
        why="TF's `sum(t ** 2) / 2` over every element, written out; the sum order differs, so float32 checks allow 1e-5.",
        example="penalty = tf.nn.l2_loss(w)",
        checks=[
            Check("tf.nn.l2_loss(w)", {"w": "f32[10,4]"}, atol=1e-5),
            Check("tf.nn.l2_loss(w) * 2", {"w": "f64[3]"}),
            Check("tf.nn.l2_loss(w)", {"w": "f32[0,3]"}),
        ],
    ),
    Composite(
        id="nn.batch_normalization",
        tf="tf.nn.batch_normalization",
        signature="x, mean, variance, offset, scale, variance_epsilon, name=None",
        handles=("x", "mean", "variance", "offset", "scale", "variance_epsilon"),
        build=_batch_normalization,
        summary="`tf.nn.batch_normalization` → `(x - mean) * torch.rsqrt(variance + eps) * scale + offset`.",
        why=(
            "TF normalises with given statistics that broadcast against `x` in any layout; "
            "`F.batch_norm` wants channels on dim 1 and 1-D statistics. The formula is "
            "written out, each argument once (`None` scale or offset is left out). TF folds "
            "the terms in another order, so float32 checks allow 1e-5."
        ),
        example="y = tf.nn.batch_normalization(x, mean, var, beta, gamma, 1e-3)",
        checks=[
            Check(
                "tf.nn.batch_normalization(x, m, v, b, g, 1e-3)",
                {"x": "f32[2,3,4]", "m": "f32[4]", "v": "f32[4]:pos", "b": "f32[4]", "g": "f32[4]"},
                atol=1e-5,
            ),
            Check(
                "tf.nn.batch_normalization(x, m, v, None, None, variance_epsilon=0.001)",
                {"x": "f64[5,3]", "m": "f64[3]", "v": "f64[3]:pos"},
            ),
            Check(
                "tf.nn.batch_normalization(x, m, v, offset=b, scale=None, variance_epsilon=1e-5)",
                {"x": "f32[0,3]", "m": "f32[3]", "v": "f32[3]:pos", "b": "f32[3]"},
            ),
        ],
    ),
    _pool_row("avg", ["tf.nn.avg_pool2d", "tf.nn.avg_pool"], "torch.nn.functional.avg_pool2d", True),
    _pool_row("max", ["tf.nn.max_pool2d", "tf.nn.max_pool"], "torch.nn.functional.max_pool2d", True),
    Composite(
        id="nn.conv2d",
        tf="tf.nn.conv2d",
        signature="input, filters, strides, padding, data_format='NHWC', dilations=None, name=None",
        handles=("input", "filters", "strides", "padding", "data_format", "dilations"),
        build=_conv2d,
        summary="`tf.nn.conv2d` → `F.conv2d` on `NCHW` with the filter `HWIO` → `OIHW`.",
        why=(
            "TF convolves a channels-last batch with a `(kh, kw, in, out)` filter; "
            "`F.conv2d` wants `NCHW` and `(out, in, kh, kw)`, so the input is permuted in and "
            "out and the filter by `permute(3, 2, 0, 1)`. Strides and dilations take TF's "
            "int / 2- / 4-element forms. `SAME` with stride 1 is torch's `padding=\"same\"` "
            "(both put the odd pixel at the end); with a larger stride the padding depends "
            "on the input size: a TODO. Both compute in float32 with other summation orders, "
            "so checks allow 1e-5."
        ),
        example='y = tf.nn.conv2d(x, kernel, strides=1, padding="SAME")',
        checks=[
            Check('tf.nn.conv2d(x, w, strides=1, padding="SAME")', {"x": "f32[2,6,6,3]", "w": "f32[3,3,3,4]"}, atol=1e-5),
            Check('tf.nn.conv2d(x, w, [1, 2, 2, 1], "VALID")', {"x": "f64[1,7,7,2]", "w": "f64[3,3,2,5]"}),
            Check('tf.nn.conv2d(x, w, 1, "SAME", dilations=2)', {"x": "f32[1,8,8,2]", "w": "f32[2,2,2,3]"}, atol=1e-5),
            Check('tf.nn.conv2d(x, w, 1, "VALID", data_format="NCHW")', {"x": "f32[1,2,5,5]", "w": "f32[3,3,2,4]"}, atol=1e-5),
            Check('tf.nn.conv2d(x, w, 2, "SAME")', {"x": "f32[1,5,5,1]", "w": "f32[3,3,1,1]"}, todo=True),
        ],
    ),
    Composite(
        id="nn.depthwise_conv2d",
        tf="tf.nn.depthwise_conv2d",
        signature="input, filter, strides, padding, data_format=None, dilations=None, name=None",
        handles=("input", "filter", "strides", "padding", "data_format", "dilations"),
        build=_depthwise_conv2d,
        summary="`tf.nn.depthwise_conv2d` → `F.conv2d(..., groups=in_channels)` with the filter reshaped.",
        why=(
            "TF's `(kh, kw, in, multiplier)` filter convolves each input channel separately; "
            "torch does that with `groups=in` and a `(in * multiplier, 1, kh, kw)` weight, "
            "which is `filter.permute(2, 3, 0, 1).flatten(0, 1).unsqueeze(1)` (output "
            "channel `c * multiplier + m`, TF's order). The group count is read from the "
            "filter's shape, so the filter must be a name. Layout, strides and padding as "
            "for `nn.conv2d`."
        ),
        example='y = tf.nn.depthwise_conv2d(x, dw, strides=[1, 1, 1, 1], padding="SAME")',
        checks=[
            Check('tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME")', {"x": "f32[2,6,6,3]", "w": "f32[3,3,3,2]"}, atol=1e-5),
            Check('tf.nn.depthwise_conv2d(x, w, strides=[1, 2, 2, 1], padding="VALID")', {"x": "f64[1,7,7,2]", "w": "f64[3,3,2,1]"}),
            Check('tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID", dilations=[2, 2])', {"x": "f32[1,8,8,2]", "w": "f32[3,3,2,2]"}, atol=1e-5),
            Check('tf.nn.depthwise_conv2d(x, w * 2, [1, 1, 1, 1], "SAME")', {"x": "f32[1,5,5,1]", "w": "f32[3,3,1,1]"}, todo=True),
        ],
    ),
    Composite(
        id="nn.separable_conv2d",
        tf="tf.nn.separable_conv2d",
        signature="input, depthwise_filter, pointwise_filter, strides, padding, data_format=None, dilations=None, name=None",
        handles=("input", "depthwise_filter", "pointwise_filter", "strides", "padding", "data_format", "dilations"),
        build=_separable_conv2d,
        summary="`tf.nn.separable_conv2d` → a depthwise `F.conv2d` (groups) followed by a 1×1 `F.conv2d`.",
        why=(
            "A depthwise convolution (as `nn.depthwise_conv2d`) then a pointwise 1×1 "
            "convolution whose `(1, 1, in * multiplier, out)` filter becomes `OIHW` by "
            "`permute(3, 2, 0, 1)`; both on `NCHW`, permuted in and out once."
        ),
        example='y = tf.nn.separable_conv2d(x, dw, pw, strides=[1, 1, 1, 1], padding="SAME")',
        checks=[
            Check('tf.nn.separable_conv2d(x, d, p, [1, 1, 1, 1], "SAME")', {"x": "f32[2,6,6,3]", "d": "f32[3,3,3,2]", "p": "f32[1,1,6,4]"}, atol=1e-5),
            Check('tf.nn.separable_conv2d(x, d, p, strides=[1, 2, 2, 1], padding="VALID")', {"x": "f64[1,7,7,2]", "d": "f64[3,3,2,1]", "p": "f64[1,1,2,3]"}),
        ],
    ),
    Composite(
        id="nn.conv1d",
        tf="tf.nn.conv1d",
        signature="input, filters, stride, padding, data_format='NWC', dilations=None, name=None",
        handles=("input", "filters", "stride", "padding", "data_format", "dilations"),
        build=_conv1d,
        summary="`tf.nn.conv1d` → `F.conv1d` on `NCW` with the filter `(w, in, out)` → `(out, in, w)`.",
        why=(
            "As `nn.conv2d` in one dimension: the channels-last input is permuted to `NCW` "
            "and back, the filter by `permute(2, 1, 0)`; `SAME` with stride 1 is "
            "`padding=\"same\"`, with a larger stride a TODO. Checks allow 1e-5 (summation order)."
        ),
        example='y = tf.nn.conv1d(x, kernel, stride=1, padding="SAME")',
        checks=[
            Check('tf.nn.conv1d(x, w, stride=1, padding="SAME")', {"x": "f32[2,9,3]", "w": "f32[3,3,4]"}, atol=1e-5),
            Check('tf.nn.conv1d(x, w, 2, "VALID")', {"x": "f64[1,9,2]", "w": "f64[4,2,3]"}),
            Check('tf.nn.conv1d(x, w, [1, 1, 1], "VALID", dilations=2)', {"x": "f32[1,9,2]", "w": "f32[2,2,3]"}, atol=1e-5),
            Check('tf.nn.conv1d(x, w, 2, "SAME")', {"x": "f32[1,9,2]", "w": "f32[3,2,3]"}, todo=True),
        ],
    ),
    Composite(
        id="nn.weighted_cross_entropy_with_logits",
        tf="tf.nn.weighted_cross_entropy_with_logits",
        signature="labels, logits, pos_weight, name=None",
        handles=("labels", "logits", "pos_weight"),
        build=_weighted_ce,
        summary="`tf.nn.weighted_cross_entropy_with_logits` → `F.binary_cross_entropy_with_logits(..., pos_weight=..., reduction=\"none\")`.",
        why=(
            "Both weigh the positive term of the element-wise logistic loss by `pos_weight`; "
            "torch takes the logits first, wants `pos_weight` as a tensor "
            "(`torch.as_tensor`) and reduces unless `reduction=\"none\"`."
        ),
        example="loss = tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=z, pos_weight=3.0)",
        checks=[
            Check("tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=z, pos_weight=3.0)", {"y": "f32[4,3]:unit", "z": "f32[4,3]"}, atol=1e-5),
            Check("tf.nn.weighted_cross_entropy_with_logits(y, z, w)", {"y": "f32[6]:unit", "z": "f32[6]", "w": "f32[6]:pos"}, atol=1e-5),
            Check("tf.nn.weighted_cross_entropy_with_logits(y, z, 0.5)", {"y": "f64[2,3]:unit", "z": "f64[2,3]"}),
        ],
    ),
    Composite(
        id="nn.zero_fraction",
        tf="tf.nn.zero_fraction",
        signature="value, name=None",
        handles=("value",),
        build=_zero_fraction,
        summary="`tf.nn.zero_fraction(x)` → `torch.mean((x == 0).to(torch.float32))`.",
        why="The share of zero elements as a float32 scalar, as TF returns it (`tf.math.zero_fraction` belongs to the `tf.math` table).",
        example="sparsity = tf.nn.zero_fraction(activations)",
        checks=[Check("tf.nn.zero_fraction(tf.nn.relu(x))", {"x": "f32[4,5]"}), Check("tf.nn.zero_fraction(x)", {"x": "i32[10]:0..3"}), Check("tf.nn.zero_fraction(x)", {"x": "f32[0]"})],
    ),
]
