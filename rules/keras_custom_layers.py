"""The custom-layer part of ``models.subclass``: ``build(input_shape)`` and ``self.add_weight``.

A Keras layer makes its weights in ``build`` once the input shape is known; a torch module
makes them in ``__init__``. Each ``self.<attr> = self.add_weight(shape=..., initializer=...)``
becomes ``self.<attr> = nn.Parameter(<Keras's initial value>)`` of the Keras shape (so the call
code and ``migrate weights`` see the same tensor), and then:

* ``build`` never reads its input shape → its body moves to the end of ``__init__``: the sizes
  are concrete (the constructor fixes them).
* it does → the weights are lazy, like torch's Lazy modules (DESIGN decision 3): ``__init__``
  holds an ``nn.UninitializedParameter`` per weight, and ``forward`` calls ``build`` with the
  input's shape on the first call. Nothing is guessed.

``regularizer=`` becomes a ``regularization_penalty()`` method the training loop adds to the
loss, ``constraint=`` an ``apply_constraints()`` method to call after the optimiser step: Keras
did both inside ``fit``, torch leaves them to the loop. Everything here is libcst; no framework
is imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import libcst as cst

from migrate.rules import layers as table
from migrate.rules.base import CannotMigrate, NotLiteral, RuleContext, dotted_name, literal, literal_or
from migrate.rules.layers import module_attr

# Keras 3: add_weight(shape, initializer, dtype, trainable, autocast, regularizer, constraint,
# aggregation, overwrite_with_gradient, name); tf.keras (Keras 2) starts with `name`.
_KERAS3 = ("shape", "initializer", "dtype", "trainable", "autocast", "regularizer", "constraint",
           "aggregation", "overwrite_with_gradient", "name")
_KERAS2 = ("name", "shape", "dtype", "initializer", "regularizer", "trainable", "constraint",
           "use_resource", "synchronization", "aggregation")
# Arguments that change nothing a torch Parameter holds (variable placement, mixed precision).
_HARMLESS = {"autocast", "aggregation", "synchronization", "use_resource", "overwrite_with_gradient", "experimental_autocast", "caching_device"}

_DTYPES = {"float32": None, "float64": "torch.float64", "float16": "torch.float16", "bfloat16": "torch.bfloat16",
           "int32": "torch.int32", "int64": "torch.int64", "bool": "torch.bool"}


def _is_self_attr(node: cst.BaseExpression, attr: str | None = None) -> bool:
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == "self"
        and (attr is None or node.attr.value == attr)
    )


def is_add_weight(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Call) and _is_self_attr(node.func, "add_weight")


@dataclass
class Weight:
    """One ``self.<attr> = self.add_weight(...)``, read."""

    attr: str  # the Python attribute (after a rename to the Keras name)
    keras_name: str | None
    value: cst.BaseExpression  # the nn.Parameter(...) expression
    trainable: bool
    penalty: str | None = None  # source of the penalty term, ``{w}`` standing for the weight
    constraint: str | None = None  # source of the in-place clamp, ``{w}`` for the weight


@dataclass
class Weights:
    found: list[Weight] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)  # python attr → Keras weight name


def bind_add_weight(
    call: cst.Call, keras3: Sequence[str], keras2: Sequence[str], ctx: RuleContext
) -> dict[str, cst.BaseExpression]:
    """The arguments of ``self.add_weight(...)`` (or ``add_variable``) by parameter name:
    positional ones in Keras 3's order ``keras3``, or in tf.keras's ``keras2`` when the first
    is a string (tf.keras puts the name first)."""
    method = call.func.attr.value if isinstance(call.func, cst.Attribute) else "add_weight"
    positional = [a for a in call.args if a.keyword is None]
    order = keras3
    if positional and isinstance(literal_or(positional[0].value, None), str):
        order = keras2  # a name first: tf.keras's signature
    bound: dict[str, cst.BaseExpression] = {}
    index = 0
    for arg in call.args:
        if arg.star:
            raise CannotMigrate(f"`{method}({arg.star}{ctx.source(arg.value)})` hides which arguments are passed")
        if arg.keyword is None:
            if index >= len(order):
                raise CannotMigrate(f"`{method}` has more positional arguments than Keras takes")
            bound[order[index]] = arg.value
            index += 1
        else:
            bound[arg.keyword.value] = arg.value
    return bound


def _literal_or(node: cst.BaseExpression | None, default: Any, what: str, ctx: RuleContext) -> Any:
    if node is None:
        return default
    try:
        return literal(node)
    except NotLiteral:
        raise CannotMigrate(f"`{what}={ctx.source(node)}` of add_weight is not a literal") from None


def read_weight(target: cst.Attribute, call: cst.Call, ctx: RuleContext) -> Weight:
    bound = bind_add_weight(call, _KERAS3, _KERAS2, ctx)
    unknown = set(bound) - set(_KERAS3) - set(_KERAS2) - _HARMLESS
    if unknown:
        raise CannotMigrate(f"`add_weight({sorted(unknown)[0]}=...)` is not migrated")
    shape = bound.get("shape")
    if shape is None:
        raise CannotMigrate("`add_weight` without `shape=` makes a scalar only by accident; give the shape")
    dims = _dims(shape)
    name = _literal_or(bound.get("name"), None, "name", ctx)
    trainable = _literal_or(bound.get("trainable"), True, "trainable", ctx)
    trainable = True if trainable is None else trainable  # tf.keras: None means trainable
    dtype_node = bound.get("dtype")
    if dtype_node is not None and _is_self_attr(dtype_node) and dtype_node.attr.value in ("dtype", "variable_dtype"):  # type: ignore[attr-defined]
        dtype_node = None  # the layer's dtype policy: variables are float32 unless set otherwise, as torch's are
    dtype = _literal_or(dtype_node, None, "dtype", ctx)
    if dtype is not None and dtype not in _DTYPES:
        raise CannotMigrate(f"`dtype={dtype!r}` of add_weight has no torch dtype here")
    torch_dtype = _DTYPES.get(dtype) if dtype else None
    init = _initializer(bound.get("initializer"), ctx)
    if init is None:
        # Keras's default: glorot_uniform for floats, zeros for the rest.
        init = "glorot_uniform" if torch_dtype in (None, "torch.float64", "torch.float16", "torch.bfloat16") else "zeros"
    value = _initial_value(init, shape, dims, torch_dtype, ctx)
    args = [cst.Arg(value)]
    if not trainable:
        args.append(cst.Arg(cst.Name("False"), keyword=cst.Name("requires_grad"), equal=_EQUAL))
    parameter = cst.Call(ctx.name("torch.nn.Parameter"), args)
    weight = Weight(target.attr.value, name if isinstance(name, str) else None, parameter, bool(trainable))
    weight.penalty = _penalty(bound.get("regularizer"), ctx)
    weight.constraint = _constraint(bound.get("constraint"), ctx)
    return weight


_EQUAL = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


def _dims(shape: cst.BaseExpression) -> list[cst.BaseExpression] | None:
    """The dimension expressions of a literal tuple/list shape; None when the rank is unknown."""
    if isinstance(shape, (cst.Tuple, cst.List)) and not any(isinstance(e, cst.StarredElement) for e in shape.elements):
        return [e.value for e in shape.elements]
    if isinstance(shape, (cst.Integer,)):
        return [shape]
    return None


# ---------------------------------------------------------------------------------------
# Initializers: a name or a ``keras.initializers.X(...)`` call → the value of the tensor.

_FAN_FREE = frozenset({"zeros", "ones", "constant", "randomuniform", "randomnormal", "truncatednormal", "orthogonal", "identity"})
_ALIASES = {"normal": "randomnormal", "uniform": "randomuniform", "zero": "zeros", "one": "ones"}
_VARIANCE = {  # key → (scale, mode, distribution), as keras.src.initializers
    "glorotuniform": (1.0, "fan_avg", "uniform"),
    "glorotnormal": (1.0, "fan_avg", "truncated_normal"),
    "heuniform": (2.0, "fan_in", "uniform"),
    "henormal": (2.0, "fan_in", "truncated_normal"),
    "lecununiform": (1.0, "fan_in", "uniform"),
    "lecunnormal": (1.0, "fan_in", "truncated_normal"),
}


def _key(name: str) -> str:
    key = re.sub(r"[_\s]", "", name).lower()
    return _ALIASES.get(key, key)


@dataclass(frozen=True)
class RunTime:
    """An initializer held by the layer (``self.kernel_initializer``), known when it runs."""

    node: cst.BaseExpression


def _initializer(node: cst.BaseExpression | None, ctx: RuleContext) -> Any:
    """A Keras initializer as ``initializer_call`` reads it: a name, or a config mapping; a
    ``RunTime`` for one the layer holds (the library style, ``self.kernel_initializer``)."""
    if node is None:
        return None
    if _is_self_attr(node):
        return RunTime(node)
    try:
        value = literal(node)
    except NotLiteral:
        value = None
    if isinstance(value, str):
        return value
    if isinstance(node, cst.Call):
        tail = dotted_name(node.func).rsplit(".", 1)[-1]
        if ".initializers." in "." + dotted_name(node.func) + "." or tail in {"Zeros", "Ones", "Constant"}:
            config: dict[str, Any] = {}
            positional = {"Constant": ("value",), "RandomNormal": ("mean", "stddev"), "RandomUniform": ("minval", "maxval"),
                          "TruncatedNormal": ("mean", "stddev"), "VarianceScaling": ("scale", "mode", "distribution"),
                          "Orthogonal": ("gain",)}.get(tail, ())
            for i, arg in enumerate(node.args):
                key = arg.keyword.value if arg.keyword else (positional[i] if i < len(positional) else None)
                if key is None or arg.star:
                    raise CannotMigrate(f"`{ctx.source(node)}`: an argument of the initializer is not understood")
                if key == "seed":
                    continue  # torch draws from its own generator: seeds cannot match anyway
                config[key] = _literal_or(arg.value, None, key, ctx)
            return {"class_name": tail, "config": config}
    raise CannotMigrate(f"`initializer={ctx.source(node)}` is not a Keras initializer named in the source")


def _initial_value(init: Any, shape: cst.BaseExpression, dims: list[cst.BaseExpression] | None,
                   torch_dtype: str | None, ctx: RuleContext) -> cst.BaseExpression:
    if isinstance(init, RunTime):
        shape_args = [cst.Arg(shape if dims is None else _tuple_node(dims))]
        if torch_dtype:
            shape_args.append(cst.Arg(ctx.name(torch_dtype), keyword=cst.Name("dtype"), equal=_EQUAL))
        empty = cst.Call(ctx.name("torch.empty"), shape_args)
        return cst.Call(_runtime_helper(ctx), [cst.Arg(empty, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), cst.Arg(init.node)])
    name = init if isinstance(init, str) else init["class_name"]
    config = {} if isinstance(init, str) else init["config"]
    key = _key(name)
    shape_args = [cst.Arg(shape if dims is None else _tuple_node(dims))]
    if torch_dtype:
        shape_args.append(cst.Arg(ctx.name(torch_dtype), keyword=cst.Name("dtype"), equal=_EQUAL))
    if key == "zeros":
        return cst.Call(ctx.name("torch.zeros"), shape_args)
    if key == "ones":
        return cst.Call(ctx.name("torch.ones"), shape_args)
    empty = cst.Call(ctx.name("torch.empty"), shape_args)
    if key == "identity":
        if dims is not None and len(dims) != 2:
            raise CannotMigrate("the identity initializer needs a 2-D weight")
        gain = config.get("gain", 1.0)
        eye = cst.Call(ctx.name("torch.nn.init.eye_"), [cst.Arg(empty)])
        return eye if gain == 1.0 else cst.BinaryOperation(eye, cst.Multiply(), cst.Float(repr(float(gain))))
    literal_dims = _literal_ints(dims)
    if key in _FAN_FREE or (key == "glorotuniform" and dims is not None and len(dims) == 2):
        keras_shape = literal_dims if literal_dims is not None else (1,) * (len(dims) if dims is not None else 2)
        return _from_table(init if isinstance(init, str) else {"class_name": name, "config": config}, keras_shape, empty, ctx)
    if key not in _VARIANCE and key != "variancescaling":
        raise CannotMigrate(f"initializer {name!r} has no nn.init counterpart in the table")
    if literal_dims is not None:
        return _from_table(init, literal_dims, empty, ctx)
    if dims is None:
        raise CannotMigrate(f"initializer {name!r} scales by the weight's fans, and the rank of `shape=` is not written in the source")
    scale, mode, distribution = _VARIANCE.get(key) or (
        float(config.get("scale", 1.0)), config.get("mode", "fan_in"), config.get("distribution", "truncated_normal"))
    return _variance_scaling(scale, mode, distribution, dims, empty, ctx)


_RUNTIME_HELPER = '''
def keras_initializer(tensor, initializer):
    """`tensor` (Keras layout: (..., in, out)) filled as the Keras initializer named
    `initializer` fills it, with Keras's defaults and fans; written by `migrate convert` for a
    layer that takes its initializer as an argument."""
    name = initializer.replace("_", "").lower() if isinstance(initializer, str) else None
    if name in ("zeros", "zero"):
        return nn.init.zeros_(tensor)
    if name in ("ones", "one"):
        return nn.init.ones_(tensor)
    if name in ("randomnormal", "normal"):
        return nn.init.normal_(tensor, 0.0, 0.05)
    if name in ("randomuniform", "uniform"):
        return nn.init.uniform_(tensor, -0.05, 0.05)
    if name == "truncatednormal":
        return nn.init.trunc_normal_(tensor, 0.0, 0.05, -0.1, 0.1)
    if name == "orthogonal":
        return nn.init.orthogonal_(tensor)
    scales = {
        "glorotuniform": (1.0, "fan_avg", "uniform"), "glorotnormal": (1.0, "fan_avg", "normal"),
        "heuniform": (2.0, "fan_in", "uniform"), "henormal": (2.0, "fan_in", "normal"),
        "lecununiform": (1.0, "fan_in", "uniform"), "lecunnormal": (1.0, "fan_in", "normal"),
    }
    if name not in scales:
        raise ValueError(f"initializer {initializer!r}: only Keras's initializer names are migrated")
    scale, mode, distribution = scales[name]
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        fan_in = fan_out = shape[0] if shape else 1
    else:
        receptive = math.prod(shape[:-2])
        fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
    n = max(1.0, fan_in if mode == "fan_in" else (fan_in + fan_out) / 2)
    if distribution == "uniform":
        limit = math.sqrt(3.0 * scale / n)
        return nn.init.uniform_(tensor, -limit, limit)
    std = math.sqrt(scale / n) / 0.87962566103423978  # Keras's truncated normal: cut at 2σ
    return nn.init.trunc_normal_(tensor, 0.0, std, -2.0 * std, 2.0 * std)
'''


def _runtime_helper(ctx: RuleContext) -> cst.Name:
    """``keras_initializer``, defined once in the file with ``nn``/``math`` spelled as it imports them."""
    nn = ctx.source(ctx.name("torch.nn.Module")).rsplit(".", 1)[0]
    math = ctx.source(ctx.name("math.prod")).rsplit(".", 1)[0]
    code = re.sub(r"(?<![\w.])nn\.", nn + ".", _RUNTIME_HELPER.lstrip("\n"))
    code = re.sub(r"(?<![\w.])math\.", math + ".", code)
    ctx.add_definition(list(cst.parse_module(code).body))
    return cst.Name("keras_initializer")


def _held_initializer(node: cst.CSTNode) -> bool:
    """``self.add_weight(..., initializer=self.<attr>)`` (or a held regularizer or constraint)."""
    return is_add_weight(node) and any(
        a.keyword is not None and a.keyword.value in ("initializer", "regularizer", "constraint") and _is_self_attr(a.value)
        for a in node.args  # type: ignore[attr-defined]
    )


_LOOKUPS = ("initializers.get", "regularizers.get", "constraints.get")


class _InitializerLookups(cst.CSTTransformer):
    """``self.x = initializers.get(value)`` → ``self.x = value``: the layer keeps the name or
    config it was given, and ``keras_initializer`` reads it when the weight is made."""

    def __init__(self, ctx: RuleContext):
        super().__init__()
        self.ctx = ctx

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if dotted_name(updated_node.func).endswith(_LOOKUPS) and len(updated_node.args) == 1 and not updated_node.args[0].keyword:
            self.ctx.consume(original_node)
            return updated_node.args[0].value
        return updated_node


def _tuple_node(dims: Sequence[cst.BaseExpression]) -> cst.Tuple:
    elements = [cst.Element(d, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for d in dims]
    if elements:
        elements[-1] = elements[-1].with_changes(comma=cst.Comma() if len(elements) == 1 else cst.MaybeSentinel.DEFAULT)
    return cst.Tuple(elements)


def _literal_ints(dims: list[cst.BaseExpression] | None) -> tuple[int, ...] | None:
    if dims is None:
        return None
    try:
        values = tuple(literal(d) for d in dims)
    except NotLiteral:
        return None
    return values if all(isinstance(v, int) and not isinstance(v, bool) for v in values) else None


class _Spell(cst.CSTTransformer):
    """``nn.init.x_(__tensor__, …)`` from the layer table → this file's spelling, on ``tensor``."""

    def __init__(self, tensor: cst.BaseExpression, ctx: RuleContext):
        super().__init__()
        self.tensor, self.ctx = tensor, ctx

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self.tensor if updated_node.value == "__tensor__" else updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        dotted = dotted_name(updated_node.func)
        if dotted.startswith("nn.init."):
            return updated_node.with_changes(func=self.ctx.name("torch." + dotted))
        return updated_node


def _from_table(init: Any, keras_shape: Sequence[int], tensor: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
    """The shared layer table's ``nn.init`` call for ``init``, as an expression on ``tensor``."""
    code = table.initializer_call(init, "__tensor__", keras_shape)
    if code is None:
        raise CannotMigrate(f"initializer {init!r} has no nn.init counterpart in the table")
    expression = cst.parse_expression(code.split("  #", 1)[0])
    return expression.visit(_Spell(tensor, ctx))  # type: ignore[return-value]


def _variance_scaling(scale: float, mode: str, distribution: str, dims: list[cst.BaseExpression],
                      tensor: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
    """Keras's variance scaling with fans written from the shape's own expressions (Keras's
    fans: (..., in, out) layout), for sizes known only when the layer is built."""
    source = [_atom(ctx.source(d)) for d in dims]
    if len(source) == 1:
        fan_in = fan_out = source[0]
    elif len(source) == 2:
        fan_in, fan_out = source
    else:
        receptive = " * ".join(source[:-2])
        fan_in, fan_out = f"{source[-2]} * {receptive}", f"{source[-1]} * {receptive}"
    average = fan_in if fan_in == fan_out else f"({fan_in} + {fan_out}) / 2"
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": average}.get(mode)
    n = n if n is None or " " not in n else f"({n})"
    if n is None:
        raise CannotMigrate(f"VarianceScaling mode {mode!r} is not one Keras has")
    sqrt = ctx.source(ctx.name("math.sqrt"))
    if distribution == "uniform":
        # U(-limit, limit) as limit · U(-1, 1): the limit is written once.
        code = f"__tensor__.uniform_(-1.0, 1.0).mul_({sqrt}({3.0 * scale!r} / {n}))"
    elif distribution in ("truncated_normal", "normal"):
        # Keras's truncated normal cuts at two standard deviations of a stretched normal.
        code = f"nn.init.trunc_normal_(__tensor__, 0.0, 1.0, -2.0, 2.0).mul_({sqrt}({scale!r} / {n}) / 0.87962566103423978)"
    elif distribution == "untruncated_normal":
        code = f"__tensor__.normal_(0.0, 1.0).mul_({sqrt}({scale!r} / {n}))"
    else:
        raise CannotMigrate(f"VarianceScaling distribution {distribution!r} is not one Keras has")
    return cst.parse_expression(code).visit(_Spell(tensor, ctx))  # type: ignore[return-value]


def _atom(source: str) -> str:
    return source if re.fullmatch(r"[\w.]+(\[[^\]]*\])*", source) else f"({source})"


# ---------------------------------------------------------------------------------------
# Regularizers and constraints: what Keras's fit did with them, as methods.


def _penalty(node: cst.BaseExpression | None, ctx: RuleContext) -> str | None:
    if node is None:
        return None
    if _is_self_attr(node):  # held by the layer (`self.kernel_regularizer`): read when the loss is made
        return f"{_helper(ctx, 'keras_penalty', _PENALTY_HELPER)}({{w}}, {ctx.source(node)})"
    try:
        value = literal(node)
    except NotLiteral:
        value = ...
    if value is None:
        return None
    if isinstance(value, str) and value.lower() in ("l1", "l2", "l1_l2"):
        # Keras's defaults: 0.01 for the named regularizers.
        l1, l2 = {"l1": (0.01, 0.0), "l2": (0.0, 0.01), "l1_l2": (0.01, 0.01)}[value.lower()]
        return _penalty_terms(l1, l2)
    if isinstance(node, cst.Call):
        tail = dotted_name(node.func).rsplit(".", 1)[-1].lower()
        if tail in ("l1", "l2", "l1l2", "l1_l2"):
            config = {}
            names = {"l1": ("l1",), "l2": ("l2",)}.get(tail, ("l1", "l2"))
            for i, arg in enumerate(node.args):
                key = arg.keyword.value if arg.keyword else (names[i] if i < len(names) else None)
                if key is None:
                    raise CannotMigrate(f"`{ctx.source(node)}`: an argument of the regularizer is not understood")
                config[key] = _literal_or(arg.value, None, key, ctx)
            if tail == "l1":
                return _penalty_terms(config.get("l1", 0.01), 0.0)
            if tail == "l2":
                return _penalty_terms(0.0, config.get("l2", 0.01))
            return _penalty_terms(config.get("l1", 0.0), config.get("l2", 0.0))  # L1L2's defaults are 0
    raise CannotMigrate(f"`regularizer={ctx.source(node)}` is not an L1/L2 regularizer written in the source")


_PENALTY_HELPER = '''
def keras_penalty(weight, regularizer):
    """The loss term Keras's `regularizer` (None, "l1", "l2", "l1_l2" or an {"l1": …, "l2": …}
    config) adds for `weight`; written by `migrate convert` for a layer that takes it as an argument."""
    if regularizer is None:
        return weight.new_zeros(())
    if isinstance(regularizer, str):
        l1, l2 = {"l1": (0.01, 0.0), "l2": (0.0, 0.01), "l1_l2": (0.01, 0.01), "l1l2": (0.01, 0.01)}[regularizer.lower()]
    else:
        config = regularizer.get("config", regularizer)
        l1, l2 = config.get("l1", 0.0), config.get("l2", 0.0)
    return l1 * weight.abs().sum() + l2 * weight.square().sum()
'''

_CONSTRAINT_HELPER = '''
def keras_constrain_(weight, constraint):
    """Keras's `constraint` (None or "non_neg") applied to `weight` in place, as Keras did after
    each optimiser step; written by `migrate convert` for a layer that takes it as an argument."""
    if constraint is None:
        return
    if isinstance(constraint, str) and constraint.replace("_", "").lower() in ("nonneg", "nonnegative"):
        weight.clamp_(min=0.0)
        return
    raise ValueError(f"constraint {constraint!r}: only NonNeg is migrated")
'''


def _helper(ctx: RuleContext, name: str, code: str) -> str:
    ctx.add_definition(list(cst.parse_module(code.lstrip("\n")).body))
    return name


def _penalty_terms(l1: float, l2: float) -> str | None:
    terms = []
    if l1:
        terms.append(f"{float(l1)!r} * {{w}}.abs().sum()")
    if l2:
        terms.append(f"{float(l2)!r} * {{w}}.square().sum()")
    return " + ".join(terms) or None


def _constraint(node: cst.BaseExpression | None, ctx: RuleContext) -> str | None:
    if node is None:
        return None
    if _is_self_attr(node):
        return f"{_helper(ctx, 'keras_constrain_', _CONSTRAINT_HELPER)}({{w}}, {ctx.source(node)})"
    try:
        value = literal(node)
    except NotLiteral:
        value = ...
    if value is None:
        return None
    name = value if isinstance(value, str) else (
        dotted_name(node.func).rsplit(".", 1)[-1] if isinstance(node, cst.Call) and not node.args else "")
    if _key(name) in ("nonneg", "nonnegative"):
        return "{w}.clamp_(min=0.0)"
    raise CannotMigrate(
        f"`constraint={ctx.source(node)}`: only NonNeg is migrated (a clamp after the optimiser step); "
        "write the projection by hand"
    )


def penalty_method(weights: Sequence[Weight]) -> cst.FunctionDef | None:
    terms = [w.penalty.format(w=f"self.{w.attr}") for w in weights if w.penalty]
    if not terms:
        return None
    body = " + ".join(f"({t})" if " + " in t and len(terms) > 1 else t for t in terms)
    return _method(
        "def regularization_penalty(self):\n"
        '    """The `regularizer=` terms of this layer\'s weights: Keras added them to the loss in\n'
        '        `fit`; add `regularization_penalty()` to the loss in the training loop."""\n'
        f"    return {body}\n"
    )


def constraint_method(weights: Sequence[Weight], ctx: RuleContext) -> cst.FunctionDef | None:
    lines = [w.constraint.format(w=f"self.{w.attr}") for w in weights if w.constraint]
    if not lines:
        return None
    no_grad = ctx.source(ctx.name("torch.no_grad"))
    body = "".join(f"    {line}\n" for line in lines)
    return _method(
        f"@{no_grad}()\n"
        "def apply_constraints(self):\n"
        '    """The `constraint=` of this layer\'s weights: Keras applied it after each optimiser\n'
        '        step; call `apply_constraints()` after `optimizer.step()`."""\n'
        f"{body}"
    )


def _method(code: str) -> cst.FunctionDef:
    function = cst.parse_statement(code)
    assert isinstance(function, cst.FunctionDef)
    return function.with_changes(leading_lines=[cst.EmptyLine(indent=False)])


# ---------------------------------------------------------------------------------------
# The class: weights made where torch makes them.


class _ReplaceAddWeight(cst.CSTTransformer):
    """``self.<attr> = self.add_weight(...)`` → ``self.<attr> = nn.Parameter(...)``."""

    def __init__(self, ctx: RuleContext, found: list[Weight]):
        super().__init__()
        self.ctx, self.found = ctx, found

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if not is_add_weight(updated_node.value):
            return updated_node
        if len(updated_node.targets) != 1 or not _is_self_attr(updated_node.targets[0].target):
            raise CannotMigrate("`self.add_weight(...)` is migrated when assigned to one `self.<attribute>`")
        target = updated_node.targets[0].target
        assert isinstance(target, cst.Attribute) and isinstance(updated_node.value, cst.Call)
        weight = read_weight(target, updated_node.value, self.ctx)
        self.ctx.consume(original_node.value)  # rebuilt here (the walk copies nodes): TODOs inside no longer apply
        self.found.append(weight)
        return updated_node.with_changes(value=weight.value)


class _Rename(cst.CSTTransformer):
    def __init__(self, renames: dict[str, str]):
        super().__init__()
        self.renames = renames

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.Attribute:
        if _is_self_attr(updated_node) and updated_node.attr.value in self.renames:
            return updated_node.with_changes(attr=cst.Name(self.renames[updated_node.attr.value]))
        return updated_node


def contains(node: cst.CSTNode, predicate: Any) -> bool:
    found = False

    class Finder(cst.CSTVisitor):
        def on_visit(self, current: cst.CSTNode) -> bool:
            nonlocal found
            found = found or predicate(current)
            return not found

    node.visit(Finder())
    return found


def _self_attrs_assigned(node: cst.CSTNode) -> set[str]:
    names: set[str] = set()

    class Finder(cst.CSTVisitor):
        def visit_AssignTarget(self, target: cst.AssignTarget) -> None:
            if _is_self_attr(target.target):
                names.add(target.target.attr.value)  # type: ignore[attr-defined]

    node.visit(Finder())
    return names


def _expression_call(statement: cst.CSTNode, predicate: Any) -> bool:
    """A statement line that is only a call matching ``predicate``."""
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.Call)
        and predicate(statement.body[0].value)
    )


def _is_super_call(call: cst.Call, method: str) -> bool:
    func = call.func
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value == method
        and isinstance(func.value, cst.Call)
        and isinstance(func.value.func, cst.Name)
        and func.value.func.value == "super"
    )


def _assigns_self(statement: cst.CSTNode, attr: str) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Assign)
        and len(statement.body[0].targets) == 1
        and _is_self_attr(statement.body[0].targets[0].target, attr)
    )


def _uses_name(node: cst.CSTNode, name: str) -> bool:
    return contains(node, lambda n: isinstance(n, cst.Name) and n.value == name)


def _line(code: str) -> cst.BaseStatement:
    return cst.parse_statement(code)


def _comment(text: str) -> cst.EmptyLine:
    return cst.EmptyLine(comment=cst.Comment("# " + " ".join(text.split())))  # one line, always


def _with_note(statement: cst.BaseStatement, note: str) -> cst.BaseStatement:
    return statement.with_changes(leading_lines=[*statement.leading_lines, _comment(note)])


def rewrite_custom_layer(body: Sequence[cst.BaseStatement], ctx: RuleContext) -> tuple[list[cst.BaseStatement], bool]:
    """The class body with Keras's weight life cycle made torch's (see the module's doc), and
    whether the weights are lazy (the class then takes ``LazyModuleMixin`` as a base)."""
    found: list[Weight] = []
    statements = _notes_for_dropped(list(body), ctx)  # first: it withdraws TODOs of original nodes
    if any(contains(s, _held_initializer) for s in statements):
        statements = [s.visit(_InitializerLookups(ctx)) for s in statements]  # type: ignore[misc]
    statements = [s.visit(_ReplaceAddWeight(ctx, found)) for s in statements]
    if any(contains(s, is_add_weight) for s in statements):
        raise CannotMigrate("`self.add_weight(...)` is migrated when assigned to one `self.<attribute>`")
    statements = _renamed(statements, found)
    functions = {s.name.value: i for i, s in enumerate(statements) if isinstance(s, cst.FunctionDef)}
    lazy = False
    if "build" in functions:
        statements, lazy = _place_build(statements, functions, found, ctx)
    extra = [m for m in (penalty_method(found), constraint_method(found, ctx)) if m is not None]
    return [*statements, *extra], lazy


def _renamed(statements: list[cst.BaseStatement], found: list[Weight]) -> list[cst.BaseStatement]:
    """A weight named in Keras (``name="kernel"``) is the module's parameter of that name, so
    the state_dict key is ``<layer>.<Keras weight name>`` as `migrate weights` reads it."""
    holder = cst.Module(body=statements)
    taken = _self_attrs_assigned(holder)
    renames: dict[str, str] = {}
    for weight in found:
        name = weight.keras_name
        if name and name != weight.attr and module_attr(name) == name and name not in taken and name not in renames.values():
            renames[weight.attr] = name
    if not renames:
        return statements
    for weight in found:
        weight.attr = renames.get(weight.attr, weight.attr)
    return [s.visit(_Rename(renames)) for s in statements]  # type: ignore[misc]


_DROPPED_METHODS = {
    "compute_output_shape": "compute_output_shape() dropped: torch modules have no shape inference; run forward to know a shape",
}


_KEPT_METHODS = {
    "compute_mask": "compute_mask() kept as a plain method: Keras passed masks between layers itself; in torch the caller passes `mask=`",
}


def _notes_for_dropped(statements: list[cst.BaseStatement], ctx: RuleContext) -> list[cst.BaseStatement]:
    """Drop what only Keras's machinery reads (``compute_output_shape``, ``self.input_spec``),
    leaving a note where it was."""
    kept: list[cst.BaseStatement] = []
    notes: list[str] = []
    for statement in statements:
        if isinstance(statement, cst.FunctionDef) and statement.name.value in _DROPPED_METHODS:
            notes.append(_DROPPED_METHODS[statement.name.value])
            ctx.consume(statement)
            continue
        if isinstance(statement, cst.FunctionDef) and statement.name.value in _KEPT_METHODS:
            statement = _with_note(statement, _KEPT_METHODS[statement.name.value])
        if isinstance(statement, cst.FunctionDef) and isinstance(statement.body, cst.IndentedBlock):
            statement = statement.with_changes(body=_drop_input_spec(statement.body, ctx))
        if notes:
            for note in notes:
                statement = _with_note(statement, note)
            notes = []
        kept.append(statement)
    if notes and kept:
        kept[-1] = kept[-1].with_changes(leading_lines=[*kept[-1].leading_lines, *(_comment(n) for n in notes)])
    return kept


def _drop_input_spec(block: cst.IndentedBlock, ctx: RuleContext) -> cst.IndentedBlock:
    kept: list[cst.BaseStatement] = []
    note = None
    for statement in block.body:
        if _assigns_self(statement, "input_spec"):
            ctx.consume(statement)
            note = f"dropped `{ctx.source(statement.body[0]).strip()}`: Keras checked the input against it; torch does not"  # type: ignore[attr-defined]
            continue
        if note:
            statement = _with_note(statement, note)
            note = None
        kept.append(statement)
    return _ending(block, kept, [_comment(note)] if note else [])


def _ending(block: cst.IndentedBlock, body: list[cst.BaseStatement], notes: list[cst.EmptyLine]) -> cst.IndentedBlock:
    """``block`` holding ``body``, ``notes`` (comments of dropped statements) after its last line."""
    if not body:
        body = [_line("pass\n")]
    return block.with_changes(body=body, footer=[*notes, *block.footer])


def _place_build(statements: list[cst.BaseStatement], functions: dict[str, int], found: list[Weight],
                 ctx: RuleContext) -> tuple[list[cst.BaseStatement], bool]:
    build = statements[functions["build"]]
    assert isinstance(build, cst.FunctionDef)
    if not isinstance(build.body, cst.IndentedBlock):
        raise CannotMigrate("a one-line `build`; write it as a block first")
    params = [p for p in build.params.params if p.name.value != "self"]
    if len(params) != 1 or not isinstance(build.params.star_arg, cst.MaybeSentinel):
        raise CannotMigrate("`build` takes one argument, the input shape")
    shape_name = params[0].name.value
    # Keras's bookkeeping: `super().build(shape)` and `self.built = True` mark the layer built.
    body: list[cst.BaseStatement] = []
    carried: list[cst.EmptyLine] = []  # comments above a dropped statement stay
    for statement in build.body.body:
        if _expression_call(statement, lambda c: _is_super_call(c, "build")) or _assigns_self(statement, "built"):
            carried.extend(line for line in statement.leading_lines if line.comment)
            continue
        if carried:
            statement = statement.with_changes(leading_lines=[*carried, *statement.leading_lines])
            carried = []
        body.append(statement)
    init_index = functions.get("__init__")
    init = statements[init_index] if init_index is not None else _new_init()
    assert isinstance(init, cst.FunctionDef) and isinstance(init.body, cst.IndentedBlock)
    result = list(statements)
    lazy = False
    if not any(_uses_name(s, shape_name) for s in body):
        # The constructor fixes every size: the weights are made in __init__, concrete.
        # Comments (TODO markers among them) move with their statements; blank lines do not.
        moved = [s.with_changes(leading_lines=[line for line in s.leading_lines if line.comment]) for s in body]
        if moved:
            moved[0] = _with_note(moved[0], "made in Keras's build(); no size depends on the input")
        new_init = init.with_changes(body=_ending(init.body, [*init.body.body, *moved], carried))
        result[functions["build"]] = None  # type: ignore[call-overload]
    else:
        if "call" not in functions:
            raise CannotMigrate("`build` reads the input shape, and the class has no `call` to build it from")
        if any(contains(s, _makes_module) for s in body):
            raise CannotMigrate(
                "`build` makes sub-layers from the input shape: torch registers sub-modules in "
                "`__init__` (a Lazy module takes the size on its first call); move them there by hand"
            )
        placeholders = [
            _line(f"self.{w.attr} = {ctx.source(ctx.name('torch.nn.UninitializedParameter'))}("
                  + ("" if w.trainable else "requires_grad=False") + ")\n")
            for w in found if contains(cst.Module(body=body), lambda n, w=w: isinstance(n, cst.Attribute) and _is_self_attr(n, w.attr))
        ]
        if placeholders:
            placeholders[0] = _with_note(placeholders[0], "sized by build() on the first call (or by load_state_dict), like torch's Lazy modules")
        new_init = init.with_changes(body=init.body.with_changes(body=[*init.body.body, *placeholders]))
        result[functions["build"]] = build.with_changes(body=_ending(build.body, body, carried))
        call = result[functions["call"]]
        assert isinstance(call, cst.FunctionDef)
        listed = any(contains(s, lambda n: _indexes_twice(n, shape_name)) for s in body)
        result.insert(functions["build"], _initialize_parameters(call, listed))
        lazy = True
    if init_index is None:
        first = min(i for i, s in enumerate(result) if s is not None and isinstance(s, cst.FunctionDef))
        result.insert(first, new_init)
    else:
        result[result.index(init)] = new_init
    return _spaced([s for s in result if s is not None], statements[0].leading_lines), lazy


def _spaced(body: list[cst.BaseStatement], opening: Sequence[cst.EmptyLine]) -> list[cst.BaseStatement]:
    """The class body's first statement keeps the source's opening lines; a method that is not
    first starts after a blank line (methods moved or added here have none of their own)."""
    spaced = [body[0].with_changes(leading_lines=opening)]
    for statement in body[1:]:
        if isinstance(statement, cst.FunctionDef) and not statement.leading_lines and not statement.decorators:
            statement = statement.with_changes(leading_lines=[cst.EmptyLine(indent=False)])
        spaced.append(statement)
    return spaced


def _makes_module(node: cst.CSTNode) -> bool:
    """``self.x = nn.Something(...)`` (a module, not a Parameter)."""
    if not (isinstance(node, cst.Assign) and len(node.targets) == 1 and _is_self_attr(node.targets[0].target)):
        return False
    value = node.value
    if not isinstance(value, cst.Call):
        return False
    dotted = dotted_name(value.func)
    return (dotted.startswith(("nn.", "torch.nn.")) and not dotted.endswith(("Parameter", "UninitializedParameter")))


def _new_init() -> cst.FunctionDef:
    function = cst.parse_statement("def __init__(self, **kwargs):\n    super().__init__()\n")
    assert isinstance(function, cst.FunctionDef)
    return function


def _indexes_twice(node: cst.CSTNode, name: str) -> bool:
    """``input_shape[0][-1]``: build reads the shapes of a list of inputs."""
    return (
        isinstance(node, cst.Subscript)
        and isinstance(node.value, cst.Subscript)
        and isinstance(node.value.value, cst.Name)
        and node.value.value.value == name
    )


def _initialize_parameters(call: cst.FunctionDef, listed: bool) -> cst.FunctionDef:
    """torch's hook of a Lazy module (``LazyModuleMixin``), run before the first forward: it
    builds the weights from the input's shape, unless load_state_dict already sized them."""
    params = [p for p in call.params.params if p.name.value != "self"]
    if not params:
        raise CannotMigrate("`call` has no input argument to build the weights from")
    first = params[0].name.value
    # Keras gives build() the shape of the input, or the list of shapes of a list of inputs.
    shape = f"[t.shape for t in {first}]" if listed else f"{first}.shape"
    function = cst.parse_statement(
        f"def initialize_parameters(self, {first}, *args, **kwargs):\n"
        f'    """Before the first call: the weights take their sizes from `{first}`, as in Keras\'s\n'
        '        build() (load_state_dict sizes them too)."""\n'
        "    if self.has_uninitialized_params():\n"
        f"        self.build({shape})\n"
    )
    return function.with_changes(leading_lines=[cst.EmptyLine(indent=False)])  # type: ignore[return-value]


def is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )
