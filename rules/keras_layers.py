"""Keras layer constructors → torch modules: ``layers.Dense(64, activation="relu")``.

One rule per Keras layer class (``layers.Dense``, ``layers.Conv2D``…). The torch class and its
arguments come from the shared layer table (``rules/layers.py``, the one ``migrate model`` and
``migrate weights`` read), Keras's defaults from the generated ``rules/keras_signatures.py``.

A layer call on its own (``self.fc = layers.Dense(64)``) knows no input size: the module is
the Lazy one (``nn.LazyLinear(64)``), which torch sizes on its first call — never a guessed
size (DESIGN decision 3). Inside ``keras.Sequential([...])`` the input shape is propagated from
``keras.Input``/``input_shape=`` and the Sequential rule (``rules/keras_sequential.py``) builds
each layer again with concrete sizes, from what this module recorded about the call.
"""

from __future__ import annotations

import math
import re
import weakref
from functools import lru_cache
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import libcst as cst

from migrate.rules import layers as table
from migrate.rules.base import CannotMigrate, NotLiteral, Param, Rule, RuleContext, literal, parse_signature, to_node
from migrate.rules.keras_signatures import AUTO_NAMES, LAYER_KWARGS, SIGNATURES
from migrate.rules import keras_regularizers as terms


class Expr:
    """A non-literal argument the table passes through unchanged (``units=hidden``)."""

    def __init__(self, node: cst.BaseExpression):
        self.node = node


@dataclass(frozen=True)
class Shape:
    """A tensor shape in Keras order (batch first, channels last); ``None`` sizes are unknown.

    ``dims is None``: even the rank is unknown. ``channels_first``: the migrated torch tensor
    holds it channels-first (an image read by convolutions), as DESIGN decision 2 says."""

    dims: tuple[int | None, ...] | None
    channels_first: bool = False

    @property
    def rank(self) -> int | None:
        return None if self.dims is None else len(self.dims)

    def channels(self) -> Any:
        return None if self.dims is None else self.dims[-1]


UNKNOWN = Shape(None)


@dataclass
class Made:
    """What a layer call becomes: its modules in order (the layer, then its activation)
    and the shape of its output."""

    modules: list[tuple[str, cst.BaseExpression]]  # (name suffix: "" or "_activation", module)
    out: Shape


@dataclass
class Recorded:
    """A layer call this module rewrote, kept for the Sequential rule (keyed by the node it
    returned): enough to build it again with a known input shape."""

    keras: str
    config: dict[str, Any]
    name: str | None  # the Keras layer name, None when it is not a literal
    node: cst.BaseExpression
    input_shape: tuple[int | None, ...] | None  # from `input_shape=` / `input_dim=`
    # The layer's binding statement when it is `name = layers.X(...)` on its own, its call
    # rewritten there (`bound` is that name): a Sequential listing `name` reuses the module.
    bound: str | None = None
    statement: Any = None


@dataclass
class FileState:
    """Per migrated file: Keras's automatic-name counters and the recorded layer calls."""

    counters: Counter[str] = field(default_factory=Counter)
    recorded: dict[int, Recorded] = field(default_factory=dict)


_STATES: "weakref.WeakKeyDictionary[Any, FileState]" = weakref.WeakKeyDictionary()


def file_state(ctx: RuleContext) -> FileState:
    """The state of the file ``ctx`` migrates (the engine makes one context per file)."""
    state = _STATES.get(ctx)
    if state is None:
        state = _STATES[ctx] = FileState()
    return state


def auto_name(keras: str, ctx: RuleContext) -> str:
    """Keras's automatic name of the next unnamed ``keras`` layer: ``dense``, ``dense_1``…
    counted in source order within the file, as a fresh Keras session counts them."""
    base = AUTO_NAMES[keras]
    counters = file_state(ctx).counters
    count = counters[base]
    counters[base] += 1
    return base if count == 0 else f"{base}_{count}"


# ---------------------------------------------------------------------------------------
# Binding a call to the Keras signature.

# Layer-base keyword arguments: `input_shape`/`input_dim` are read for the Sequential's first
# layer; the rest must keep the value that changes nothing in torch.
_EXTRA = "input_shape=None, input_dim=None, batch_size=None, batch_input_shape=None"
_HARMLESS = {"trainable": (True,), "dtype": (None, "float32"), "autocast": (True,)}


@lru_cache(maxsize=None)
def signature(keras: str) -> tuple[Param, ...]:
    """The constructor parameters of Keras class ``keras`` ("": those every layer takes)."""
    text = SIGNATURES[keras] if keras else LAYER_KWARGS + ", " + _EXTRA
    return parse_signature(", ".join(p for p in text.split(", ") if not p.startswith("**")))


def bind(keras: str, call: cst.Call, ctx: RuleContext) -> dict[str, cst.BaseExpression]:
    own = signature(keras)
    base = signature("")
    positional = [p for p in own if not p.keyword_only]
    known = {p.name for p in own} | {p.name for p in base}
    bound: dict[str, cst.BaseExpression] = {}
    index = 0
    for arg in call.args:
        if arg.star:
            raise CannotMigrate(f"`{arg.star}{ctx.source(arg.value)}` hides which arguments are passed")
        if arg.keyword is None:
            if index >= len(positional):
                raise CannotMigrate(f"more positional arguments than `{keras}` takes")
            bound[positional[index].name] = arg.value
            index += 1
        elif arg.keyword.value in known:
            bound[arg.keyword.value] = arg.value
        else:
            raise CannotMigrate(f"unknown argument `{arg.keyword.value}=` of `{keras}`")
    missing = [p.name for p in own if not p.has_default and p.name not in bound]
    if missing:
        raise CannotMigrate(f"required argument `{missing[0]}` is missing")
    return bound


#: Keras initializer classes → their positional parameters (keras.initializers, Keras 3).
_INITIALIZER_PARAMS = {
    "Zeros": (), "Ones": (), "Constant": ("value",), "Identity": ("gain",),
    "RandomNormal": ("mean", "stddev", "seed"), "RandomUniform": ("minval", "maxval", "seed"),
    "TruncatedNormal": ("mean", "stddev", "seed"), "Orthogonal": ("gain", "seed"),
    "VarianceScaling": ("scale", "mode", "distribution", "seed"),
    **{name: ("seed",) for name in ("GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal")},
}


def initializer_config(node: cst.BaseExpression, ctx: RuleContext) -> dict[str, Any] | None:
    """``keras.initializers.HeNormal(seed=1)`` as Keras's config ``{"class_name", "config"}``;
    None when ``node`` is not such a call with literal arguments."""
    if not isinstance(node, cst.Call):
        return None
    head, parts = node.func, []
    while isinstance(head, cst.Attribute):
        parts.append(head.attr.value)
        head = head.value
    if isinstance(head, cst.Name):
        parts.append(head.value)
    dotted = ".".join(reversed(parts))
    name = parts[0] if parts else ""
    if name not in _INITIALIZER_PARAMS or not (dotted == name or "initializers" in dotted):
        return None
    params = _INITIALIZER_PARAMS[name]
    config: dict[str, Any] = {}
    try:
        for i, arg in enumerate(node.args):
            if arg.star or (arg.keyword is None and i >= len(params)):
                return None
            key = arg.keyword.value if arg.keyword else params[i]
            config[key] = literal(arg.value)
    except NotLiteral:
        return None
    config.pop("seed", None)  # torch and Keras draw different streams anyway
    return {"class_name": name, "config": config}


def read_config(
    keras: str, bound: dict[str, cst.BaseExpression], passthrough: frozenset[str], ctx: RuleContext
) -> dict[str, Any]:
    """Keras's config of the call: literal values, Keras defaults for the rest, ``Expr`` for
    a non-literal that the table passes through; any other non-literal is a TODO."""
    config = {p.name: p.default for p in signature(keras) if p.has_default}
    for name, node in bound.items():
        try:
            config[name] = literal(node)
        except NotLiteral:
            initializer = initializer_config(node, ctx) if name.endswith("_initializer") else None
            if initializer is not None:
                config[name] = initializer
                ctx.consume(node)  # read here: `keras.initializers.X(...)` leaves no TODO of its own
            elif name in passthrough or terms.is_term_argument(name):
                config[name] = Expr(node)  # a regularizer or constraint: read by keras_regularizers
            elif name == "name":
                config[name] = Expr(node)  # the module is the same; only the Sequential needs it
            else:
                raise CannotMigrate(
                    f"`{name}={ctx.source(node)}` is not a literal, and it decides the torch module"
                ) from None
    for name, harmless in _HARMLESS.items():
        if name in config and config[name] not in harmless:
            raise CannotMigrate(f"`{name}={config[name]!r}` has no torch module argument")
    for key, value in config.items():
        # Regularizers and constraints become terms the training loop applies (keras_regularizers);
        # one on a weight the table does not name stays a TODO.
        if key.endswith(("_regularizer", "_constraint")) and value is not None and not terms.is_term_argument(key):
            raise CannotMigrate(
                f"`{key}=` acts through Keras's training loop: add the penalty to the loss "
                "(or clamp after the step) by hand"
            )
    if config.get("data_format") not in (None, "channels_last"):
        raise CannotMigrate("`data_format='channels_first'` is not migrated yet (the rewrite assumes Keras's NHWC source)")
    return config


# Read by every rule (or checked in read_config); initializers are a TODO when not Keras's default.
_GENERIC = frozenset({
    "name", "trainable", "dtype", "autocast", "input_shape", "input_dim", "batch_size", "batch_input_shape",
    "data_format", "activity_regularizer",
})


def check_unhandled(keras: str, bound: dict[str, cst.BaseExpression], config: dict[str, Any], handled: frozenset[str]) -> None:
    defaults = {p.name: p.default for p in signature(keras) if p.has_default}
    for name in bound:
        if name in handled or name in _GENERIC or name.endswith(("_regularizer", "_constraint")):
            continue
        if name in defaults and not isinstance(config[name], Expr) and config[name] == defaults[name]:
            continue
        if name.endswith("_initializer") and keras in table.LAYERS and any(k == name for k, _, _ in table.LAYERS[keras].inits):
            continue  # written as nn.init lines after the module (init_statements), or a TODO if Lazy
        if name.endswith("_initializer"):
            raise CannotMigrate(
                f"`{name}={config[name]!r}`: the torch module initialises with torch's own scheme; "
                "write the nn.init call after it by hand"
            )
        raise CannotMigrate(f"`{name}=` of `{keras}` is not migrated")


def input_shape_of(config: dict[str, Any]) -> tuple[int | None, ...] | None:
    """The full Keras input shape from `input_shape=` / `input_dim=`, batch first."""
    shape = config.get("input_shape")
    if config.get("input_dim") is not None:
        shape = (config["input_dim"],)
    if shape is None:
        return None
    if isinstance(shape, Expr) or not isinstance(shape, (tuple, list)):
        raise CannotMigrate("`input_shape=` must be a literal tuple for the sizes to be known")
    return (None, *shape)


# ---------------------------------------------------------------------------------------
# Building the torch modules.


def value_node(value: Any) -> cst.BaseExpression:
    if isinstance(value, Expr):
        return value.node
    return to_node(value)


def module_call(
    ctx: RuleContext, torch: str, args: dict[str, Any], positional: int = 0
) -> cst.Call:
    """``nn.X(a, b, key=value)``; arguments equal to torch's own default are left out."""
    defaults = dict(_TORCH_DEFAULTS)
    if "Pool" in torch:
        defaults.pop("stride")  # a torch pool's stride defaults to its kernel size
    items = list(args.items())
    call_args = []
    for i, (key, value) in enumerate(items):
        if i >= positional and not isinstance(value, Expr) and defaults.get(key, _MISSING) == value:
            continue
        node = value_node(value)
        if i < positional:
            call_args.append(cst.Arg(node))
        else:
            call_args.append(cst.Arg(node, keyword=cst.Name(key), equal=_EQUAL))
    return cst.Call(ctx.name(torch), call_args)


_MISSING = object()
_EQUAL = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
_TORCH_DEFAULTS = table.TORCH_ARGUMENT_DEFAULTS


def torch_dim(shape: Shape) -> int:
    """The torch dim of Keras axis -1 (the channels) of a tensor of ``shape``."""
    return 1 if shape.channels_first and (shape.rank or 0) > 2 else -1


def activation_module(name: Any, shape: Shape, ctx: RuleContext, where: str) -> cst.Call | None:
    """The module for a Keras activation name; None for linear."""
    if isinstance(name, Expr):
        raise CannotMigrate(f"`{where}={ctx.source(name.node)}`: only an activation named by a string is migrated")
    if name in (None, "linear"):
        return None
    if not isinstance(name, str) or name not in table.ACTIVATION_MODULES:
        raise CannotMigrate(f"activation {name!r} has no torch module in the table")
    torch, kwargs = table.ACTIVATION_MODULES[name]
    kwargs = dict(kwargs)
    if name in table.ACTIVATIONS_WITH_DIM:
        kwargs["dim"] = torch_dim(shape)
    return module_call(ctx, torch, kwargs)


def _sized(spec: table.LayerSpec, torch: str, args: dict[str, Any], known: bool, ctx: RuleContext) -> cst.Call:
    """The module with concrete sizes when ``known``, else its Lazy form."""
    positional = spec.positional
    if not known:
        lazy = table.LAZY_MODULES.get(torch)
        if lazy is None:
            raise CannotMigrate(f"`{torch.replace('torch.nn.', 'nn.')}` needs the input size, which is not known here (torch has no Lazy form)")
        dropped = [k for k in args if k in table.LAZY_INFERRED]
        positional -= sum(1 for k in list(args)[: spec.positional] if k in dropped)
        args = {k: v for k, v in args.items() if k not in dropped}
        torch = lazy
    return module_call(ctx, torch, args, positional)


def _with_activation(made_layer: cst.Call, config: dict[str, Any], out: Shape, ctx: RuleContext) -> Made:
    modules: list[tuple[str, cst.BaseExpression]] = [("", made_layer)]
    act = activation_module(config.get("activation"), out, ctx, "activation")
    if act is not None:
        modules.append(("_activation", act))
    return Made(modules, out)


def _dense(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    if shape.rank is not None and shape.rank > 2 and shape.channels_first:
        raise CannotMigrate("a Dense applied to a channels-first image acts on torch dim 1: not migrated yet (Flatten first)")
    spec = table.LAYERS["Dense"]
    known = shape.channels() is not None
    args = table._dense_args(config, shape.dims if known else (None, 0))  # noqa: SLF001 - the shared table's own mapping
    units = config["units"]
    out = Shape(None if shape.dims is None else (*shape.dims[:-1], units if isinstance(units, int) else None), shape.channels_first)
    return _with_activation(_sized(spec, spec.torch, args, known, ctx), config, out, ctx)


def _conv(n: int) -> Callable[[dict[str, Any], Shape, RuleContext], Made]:
    keras = f"Conv{n}D"

    def build(config: dict[str, Any], shape: Shape, ctx: RuleContext, standalone: bool = True) -> Made:
        if shape.rank not in (None, n + 2):
            raise CannotMigrate(f"{keras} on a rank-{shape.rank} input")
        if shape.rank is not None and not shape.channels_first:
            raise CannotMigrate(f"{keras} reads a channels-last tensor here; the migrated module is channels-first only for images read by convolutions")
        dims = shape.dims or (None,) * (n + 2)
        spec = table.LAYERS[keras]
        for key in ("kernel_size", "strides", "dilation_rate"):
            if not isinstance(config[key], (int, tuple, list)):
                raise CannotMigrate(f"`{key}` must be an int or a tuple of ints written in the source")
        try:
            pads = table.conv_pads(config, dims)
        except ValueError:
            raise CannotMigrate(
                "padding='same' with a stride > 1 or an even kernel pads by the input size, which is "
                "not known here (torch's symmetric padding='same' would differ); give the Sequential "
                "a keras.Input shape"
            ) from None
        pad_first = None
        if not table.symmetric(pads):
            if standalone:
                raise CannotMigrate(
                    "padding='same' pads one more pixel bottom/right here (TF's rule): inside a "
                    "keras.Sequential it becomes an nn.ZeroPad module before the conv"
                )
            # torch pads the last dimension first: (W before, W after, H before, H after).
            flat = tuple(p for pair in reversed(pads) for p in pair)  # type: ignore[arg-type]
            pad_first = module_call(ctx, f"torch.nn.ZeroPad{n}d", {"padding": flat}, 1)
        known = dims[-1] is not None
        args = table._conv_args(config, dims if known else (*dims[:-1], 0))  # noqa: SLF001
        out = Shape(_conv_out(config, dims, pads, n), True)
        made = _with_activation(_sized(spec, spec.torch, args, known, ctx), config, out, ctx)
        if pad_first is not None:
            made.modules.insert(0, ("_pad", pad_first))
        return made

    return build


def _conv_out(config: dict[str, Any], dims: tuple, pads: list | None, n: int) -> tuple:
    kernel = table._tuple(config["kernel_size"], n)  # noqa: SLF001
    strides = table._tuple(config["strides"], n)  # noqa: SLF001
    dilation = table._tuple(config.get("dilation_rate", 1), n)  # noqa: SLF001
    spatial = []
    for i, size in enumerate(dims[1:-1]):
        if size is None:
            spatial.append(None)
            continue
        before, after = pads[i] if pads else (0, 0)
        effective = (kernel[i] - 1) * dilation[i] + 1
        spatial.append((size + before + after - effective) // strides[i] + 1)
    filters = config.get("filters")
    return (dims[0], *spatial, filters if isinstance(filters, int) else None)


def _batch_norm(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    spec = table.LAYERS["BatchNormalization"]
    if shape.rank is None:
        raise CannotMigrate("the input rank picks BatchNorm1d/2d/3d and is not known here; give the Sequential a keras.Input shape")
    axis = config["axis"]
    if not isinstance(axis, int) or axis % shape.rank != shape.rank - 1:
        raise CannotMigrate(f"`axis={axis!r}`: only the channel axis (-1) is migrated")
    if shape.rank > 2 and not shape.channels_first:
        raise CannotMigrate("BatchNormalization of a channels-last sequence: torch's BatchNorm1d normalises dim 1")
    torch = spec.by_rank.get(shape.rank)
    if torch is None:
        raise CannotMigrate(f"BatchNormalization of a rank-{shape.rank} tensor")
    try:
        args = table._batch_norm_args(config, shape.dims if shape.channels() is not None else (*shape.dims[:-1], 0))  # noqa: SLF001
    except ValueError as error:
        raise CannotMigrate(str(error)) from None
    return Made([("", _sized(spec, torch, args, shape.channels() is not None, ctx))], shape)


def _dropout(torch: str) -> Callable[[dict[str, Any], Shape, RuleContext], Made]:
    def build(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
        if config.get("noise_shape") is not None:
            raise CannotMigrate("`noise_shape=` has no nn.Dropout equivalent")
        return Made([("", module_call(ctx, torch, {"p": config["rate"]}))], shape)

    return build


def _flatten(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    # NCHW flattens C,H,W where Keras flattens H,W,C: `migrate weights` permutes the rows of
    # the next Dense's weight, so no runtime permute enters the model (DESIGN decision 2).
    size = None
    if shape.dims is not None and all(d is not None for d in shape.dims[1:]):
        size = math.prod(shape.dims[1:])  # type: ignore[arg-type]
    out = Shape(None if shape.dims is None else (shape.dims[0], size))
    return Made([("", module_call(ctx, "torch.nn.Flatten", {}))], out)


def _pool(kind: str, n: int) -> Callable[[dict[str, Any], Shape, RuleContext], Made]:
    keras = f"{kind}Pooling{n}D"

    def build(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
        if shape.rank not in (None, n + 2) or (shape.rank is not None and not shape.channels_first):
            raise CannotMigrate(f"{keras} on a channels-last or rank-{shape.rank} input")
        dims = shape.dims or (None,) * (n + 2)
        for key in ("pool_size", "strides"):
            if config.get(key) is not None and not isinstance(config[key], (int, tuple, list)):
                raise CannotMigrate(f"`{key}` must be an int or a tuple of ints written in the source")
        spec = table.LAYERS[keras]
        try:
            args = spec.args(config, dims)  # type: ignore[misc]
        except ValueError as error:
            raise CannotMigrate(f"{error}; give the Sequential a keras.Input shape") from None
        kernel = table._tuple(config["pool_size"], n)  # noqa: SLF001
        strides = table._tuple(config.get("strides") or kernel, n)  # noqa: SLF001
        conv_like = {"kernel_size": kernel, "strides": strides, "padding": config["padding"], "filters": None}
        pads = table.conv_pads(conv_like, dims) if None not in dims[1:-1] or config["padding"] == "valid" else None
        out = _conv_out(conv_like, dims, pads, n)
        return Made([("", module_call(ctx, spec.torch, args))], Shape((*out[:-1], dims[-1]), True))

    return build


def _global_pool(kind: str, n: int) -> Callable[[dict[str, Any], Shape, RuleContext], Made]:
    keras = f"Global{kind}Pooling{n}D"

    def build(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
        if shape.rank not in (None, n + 2) or (shape.rank is not None and not shape.channels_first):
            raise CannotMigrate(f"{keras} on a channels-last or rank-{shape.rank} input")
        adaptive = module_call(ctx, f"torch.nn.Adaptive{'Avg' if kind == 'Average' else 'Max'}Pool{n}d", {"output_size": 1}, 1)
        if config.get("keepdims"):
            channels = shape.channels()
            return Made([("", adaptive)], Shape((None, *(1,) * n, channels), True))
        module = cst.Call(ctx.name("torch.nn.Sequential"), [cst.Arg(adaptive, comma=_COMMA), cst.Arg(module_call(ctx, "torch.nn.Flatten", {}))])
        return Made([("", module)], Shape((None, shape.channels())))

    return build


_COMMA = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _activation_layer(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    module = activation_module(config["activation"], shape, ctx, "activation")
    return Made([("", module if module is not None else module_call(ctx, "torch.nn.Identity", {}))], shape)


def _relu(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    if config.get("negative_slope") or config.get("threshold"):
        raise CannotMigrate("ReLU with negative_slope or threshold has no single torch module")
    if config.get("max_value") is None:
        return Made([("", module_call(ctx, "torch.nn.ReLU", {}))], shape)
    if config["max_value"] == 6:
        return Made([("", module_call(ctx, "torch.nn.ReLU6", {}))], shape)
    return Made([("", module_call(ctx, "torch.nn.Hardtanh", {"min_val": 0.0, "max_val": float(config["max_value"])}))], shape)


def _softmax(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    if config.get("axis") != -1:
        raise CannotMigrate("Softmax over an axis other than -1 is not migrated yet")
    return Made([("", module_call(ctx, "torch.nn.Softmax", {"dim": torch_dim(shape)}))], shape)


def _leaky_relu(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    # Keras's layer slope default (0.3) differs from torch's (0.01): written out.
    return Made([("", module_call(ctx, "torch.nn.LeakyReLU", {"negative_slope": float(config["negative_slope"])}))], shape)


def _elu(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    return Made([("", module_call(ctx, "torch.nn.ELU", {"alpha": float(config["alpha"])}))], shape)


def _embedding(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    if config.get("mask_zero"):
        raise CannotMigrate("`mask_zero=True` makes later layers skip padded steps: torch has no masks; pass lengths by hand")
    args = table._embedding_args(config, shape.dims or (None, None))  # noqa: SLF001
    dim = config["output_dim"]
    out = Shape(None if shape.dims is None else (*shape.dims, dim if isinstance(dim, int) else None))
    return Made([("", module_call(ctx, "torch.nn.Embedding", args, 2))], out)


def _layer_norm(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    if shape.rank is None or shape.channels() is None:
        raise CannotMigrate("nn.LayerNorm needs the normalised size, which is not known here (torch has no Lazy LayerNorm); give the Sequential a keras.Input shape")
    axis = config["axis"]
    if axis not in (-1, shape.rank - 1, [-1], (-1,)):
        raise CannotMigrate(f"`axis={axis!r}`: only the last axis is migrated")
    if shape.channels_first and shape.rank > 2:
        raise CannotMigrate("LayerNormalization over the channels of a channels-first image: torch's LayerNorm normalises the last dims")
    try:
        args = table._layer_norm_args(config, shape.dims)  # noqa: SLF001
    except ValueError as error:
        raise CannotMigrate(str(error)) from None
    if args["bias"] is True:
        del args["bias"]
    return Made([("", module_call(ctx, "torch.nn.LayerNorm", args, 1))], shape)


def _pairs(padding: Any, n: int) -> list[tuple[int, int]]:
    """Keras's ZeroPadding/Cropping argument as (before, after) per spatial dim."""
    if isinstance(padding, int):
        return [(padding, padding)] * n
    items = list(padding)
    if n == 1 and len(items) == 2 and all(isinstance(i, int) for i in items):
        return [(items[0], items[1])]
    return [(p, p) if isinstance(p, int) else (int(p[0]), int(p[1])) for p in items]


def _zero_padding(n: int) -> Callable[[dict[str, Any], Shape, RuleContext], Made]:
    def build(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
        if shape.rank is not None and (shape.rank != n + 2 or not shape.channels_first):
            raise CannotMigrate(f"ZeroPadding{n}D on a channels-last or rank-{shape.rank} input")
        pads = _pairs(config["padding"], n)
        flat = tuple(p for pair in reversed(pads) for p in pair)  # torch: last dim first
        out = None
        if shape.dims is not None:
            spatial = [None if d is None else d + a + b for d, (a, b) in zip(shape.dims[1:-1], pads)]
            out = (shape.dims[0], *spatial, shape.dims[-1])
        return Made([("", module_call(ctx, f"torch.nn.ZeroPad{n}d", {"padding": flat}, 1))], Shape(out, True))

    return build


def _upsampling(n: int) -> Callable[[dict[str, Any], Shape, RuleContext], Made]:
    def build(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
        if shape.rank is not None and (shape.rank != n + 2 or not shape.channels_first):
            raise CannotMigrate(f"UpSampling{n}D on a channels-last or rank-{shape.rank} input")
        try:
            args = table._upsampling_args(config, (None,) * (n + 2))  # noqa: SLF001
        except ValueError as error:
            raise CannotMigrate(str(error)) from None
        factors = table._tuple(config["size"], n)  # noqa: SLF001
        out = None
        if shape.dims is not None:
            out = (shape.dims[0], *(None if d is None else d * f for d, f in zip(shape.dims[1:-1], factors)), shape.dims[-1])
        return Made([("", module_call(ctx, "torch.nn.Upsample", args))], Shape(out, True))

    return build


def _depthwise(config: dict[str, Any], shape: Shape, ctx: RuleContext, standalone: bool = True) -> Made:
    if shape.channels() is None or shape.rank != 4:
        raise CannotMigrate("a depthwise conv needs the input channels (groups = channels), which are not known here; give the Sequential a keras.Input shape")
    if not shape.channels_first:
        raise CannotMigrate("DepthwiseConv2D reads a channels-last tensor here")
    conv_like = {**config, "filters": None}
    try:
        pads = table.conv_pads(conv_like, shape.dims)
    except ValueError:
        raise CannotMigrate("padding='same' needs the input size here") from None
    pad_first = None
    if not table.symmetric(pads):
        if standalone:
            raise CannotMigrate("padding='same' pads one more pixel bottom/right here: inside a keras.Sequential it becomes an nn.ZeroPad module")
        pad_first = module_call(ctx, "torch.nn.ZeroPad2d", {"padding": tuple(p for pair in reversed(pads) for p in pair)}, 1)  # type: ignore[arg-type]
    args = table._depthwise_args(config, shape.dims)  # noqa: SLF001
    out_dims = _conv_out({**config, "filters": args["out_channels"]}, shape.dims, pads, 2)
    made = _with_activation(module_call(ctx, "torch.nn.Conv2d", args, 3), config, Shape(out_dims, True), ctx)
    if pad_first is not None:
        made.modules.insert(0, ("_pad", pad_first))
    return made


def _conv_transpose(n: int) -> Callable[..., Made]:
    keras = f"Conv{n}DTranspose"

    def build(config: dict[str, Any], shape: Shape, ctx: RuleContext, standalone: bool = True) -> Made:
        if shape.rank not in (None, n + 2) or (shape.rank is not None and not shape.channels_first):
            raise CannotMigrate(f"{keras} on a channels-last or rank-{shape.rank} input")
        if config.get("output_padding") is not None:
            raise CannotMigrate("`output_padding=` is not migrated yet")
        if table._tuple(config.get("dilation_rate", 1), n) != (1,) * n:  # noqa: SLF001
            raise CannotMigrate("a dilated transposed conv is not migrated yet")
        dims = shape.dims or (None,) * (n + 2)
        kernel = table._tuple(config["kernel_size"], n)  # noqa: SLF001
        strides = table._tuple(config["strides"], n)  # noqa: SLF001
        # Keras's output length: valid i·s + max(k − s, 0), same i·s. torch's full output is
        # (i − 1)·s + k: crop `padding` on both sides, or add `output_padding` at the end.
        padding, extra, crops = [], [], []
        for k, st in zip(kernel, strides):
            total = (k - st) if config["padding"] == "same" else min(k - st, 0)
            if total < 0:
                padding.append(0)
                extra.append(-total)
                crops.append(0)
            else:
                before = total // 2
                padding.append(before)
                extra.append(0)
                crops.append(total - 2 * before)  # TF crops the odd cell at the end
        crop = None
        if any(crops):
            if standalone:
                raise CannotMigrate(
                    "padding='same' crops one more cell at the end here (TF's rule): inside a "
                    "keras.Sequential it becomes a cropping nn.ZeroPad module after the conv"
                )
            crop = module_call(ctx, f"torch.nn.ZeroPad{n}d", {"padding": tuple(p for c in reversed(crops) for p in (0, -c))}, 1)
        args = table._conv_transpose_args(config, dims if dims[-1] is not None else (*dims[:-1], 0))  # noqa: SLF001
        args = dict(args)
        bias = args.pop("bias")
        args["padding"] = _scalar(tuple(padding))
        if any(extra):
            args["output_padding"] = _scalar(tuple(extra))
        args["bias"] = bias
        spatial = [None if d is None else (d * st if config["padding"] == "same" else d * st + max(k - st, 0))
                   for d, k, st in zip(dims[1:-1], kernel, strides)]
        filters = config["filters"]
        out = Shape((dims[0], *spatial, filters if isinstance(filters, int) else None), True)
        spec = table.LAYERS[keras]
        made = _with_activation(_sized(spec, spec.torch, args, dims[-1] is not None, ctx), config, out, ctx)
        if crop is not None:
            made.modules.insert(1, ("_crop", crop))
        return made

    return build


def _scalar(values: tuple[int, ...]) -> int | tuple[int, ...]:
    return values[0] if len(set(values)) == 1 else values


def _separable(config: dict[str, Any], shape: Shape, ctx: RuleContext, standalone: bool = True) -> Made:
    if shape.channels() is None or shape.rank != 4:
        raise CannotMigrate("a separable conv needs the input channels (groups = channels), which are not known here; give the Sequential a keras.Input shape")
    if not shape.channels_first:
        raise CannotMigrate("SeparableConv2D reads a channels-last tensor here")
    channels, multiplier = shape.channels(), config["depth_multiplier"]
    depthwise = _depthwise({**config, "activation": None, "use_bias": False}, shape, ctx, standalone)
    pointwise = module_call(
        ctx, "torch.nn.Conv2d", {"in_channels": channels * multiplier, "out_channels": config["filters"], "kernel_size": 1, "bias": config["use_bias"]}, 3
    )
    pad = [m for suffix, m in depthwise.modules if suffix == "_pad"]
    (conv,) = [m for suffix, m in depthwise.modules if suffix == ""]
    # One attribute holding (depthwise, pointwise), as the layer table and `migrate weights` key it.
    pair = cst.Call(ctx.name("torch.nn.Sequential"), [cst.Arg(conv, comma=_COMMA), cst.Arg(pointwise)])
    filters = config["filters"]
    out = Shape((*depthwise.out.dims[:-1], filters if isinstance(filters, int) else None), True)  # type: ignore[index]
    made = _with_activation(pair, config, out, ctx)
    if pad:
        made.modules.insert(0, ("_pad", pad[0]))
    return made


def _identity(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    return Made([("", module_call(ctx, "torch.nn.Identity", {}))], shape)


def _group_norm(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    if shape.rank is None or shape.channels() is None:
        raise CannotMigrate("nn.GroupNorm needs the number of channels, which is not known here (torch has no Lazy GroupNorm); give the Sequential a keras.Input shape")
    axis = config["axis"]
    if not isinstance(axis, int) or axis % shape.rank != shape.rank - 1:
        raise CannotMigrate(f"`axis={axis!r}`: only the channel axis (-1) is migrated")
    if shape.rank > 2 and not shape.channels_first:
        raise CannotMigrate("GroupNormalization of a channels-last sequence: torch's GroupNorm reads the channels at dim 1")
    try:
        args = table._group_norm_args(config, shape.dims)  # noqa: SLF001
    except ValueError as error:
        raise CannotMigrate(str(error)) from None
    return Made([("", module_call(ctx, "torch.nn.GroupNorm", args, 2))], shape)


def _cropping(n: int) -> Callable[[dict[str, Any], Shape, RuleContext], Made]:
    def build(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
        if shape.rank is not None and (shape.rank != n + 2 or not shape.channels_first):
            raise CannotMigrate(f"Cropping{n}D on a channels-last or rank-{shape.rank} input")
        crops = _pairs(config["cropping"], n)
        # torch's ZeroPad with negative pads crops; the last dimension comes first.
        flat = tuple(-p for pair in reversed(crops) for p in pair)
        out = None
        if shape.dims is not None:
            spatial = [None if d is None else d - a - b for d, (a, b) in zip(shape.dims[1:-1], crops)]
            out = (shape.dims[0], *spatial, shape.dims[-1])
        return Made([("", module_call(ctx, f"torch.nn.ZeroPad{n}d", {"padding": flat}, 1))], Shape(out, True))

    return build


def _reshape(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    target = config["target_shape"]
    if not isinstance(target, (tuple, list)) or not all(isinstance(d, int) for d in target):
        raise CannotMigrate("`target_shape` must be a literal tuple of ints")
    if shape.rank is None:
        raise CannotMigrate(
            "the input's rank and layout are not known here (a channels-first image flattens in "
            "another order than Keras's); give the Sequential a keras.Input shape"
        )
    if shape.channels_first and shape.rank > 2:
        raise CannotMigrate("Reshape of a channels-first tensor: torch's element order (C, H, W) differs from Keras's (H, W, C)")
    if len(target) + 1 >= 4:
        raise CannotMigrate("Reshape to an image: the migrated model holds images channels-first; write the view and permute by hand")
    dims = shape.dims or ()
    known = None not in dims[1:]
    sizes = list(target)
    if known and -1 in sizes:
        rest = math.prod(d for d in sizes if d != -1)
        sizes[sizes.index(-1)] = math.prod(dims[1:]) // rest  # type: ignore[arg-type]
    unflatten = module_call(ctx, "torch.nn.Unflatten", {"dim": 1, "unflattened_size": tuple(target)}, 2)
    out = Shape((dims[0] if dims else None, *(d if d != -1 else None for d in sizes)))
    if shape.rank == 2:
        module = unflatten  # (N, F) → (N, *target)
    else:  # a channels-last tensor: flatten its Keras order, then unflatten
        module = cst.Call(ctx.name("torch.nn.Sequential"), [cst.Arg(module_call(ctx, "torch.nn.Flatten", {}), comma=_COMMA), cst.Arg(unflatten)])
    return Made([("", module)], out)


def helper_class(ctx: RuleContext, name: str) -> cst.Name:
    """``name``, a small class from the layer table's helpers (``KerasLSTM``…), defined once
    in the migrated file with ``nn.``/``torch.`` spelled as the file imports them."""
    nn = ctx.source(ctx.name("torch.nn.Module")).rsplit(".", 1)[0]
    for text in table.helper_definitions(name):
        code = re.sub(r"(?<![\w.])nn\.", nn + ".", text.lstrip("\n"))
        if re.search(r"(?<![\w.])torch\.", text):
            torch = ctx.source(ctx.name("torch.Tensor")).rsplit(".", 1)[0]
            code = re.sub(r"(?<![\w.])torch\.", torch + ".", code)
        ctx.add_definition(list(cst.parse_module(code).body))
    return cst.Name(name)


def helper_call(ctx: RuleContext, name: str, args: dict[str, Any], positional: int = 0) -> cst.Call:
    call = module_call(ctx, "torch.nn.Identity", args, positional)  # arguments laid out as any module's
    return call.with_changes(func=helper_class(ctx, name))


#: Keras calls whose layer arguments the container's own rule rebuilds, nn.init lines included.
_CONTAINERS = frozenset({"Sequential", "Bidirectional"})

_RNN_UNSUPPORTED = {
    "dropout": "Keras drops the inputs of every step in training; torch's `dropout` acts between stacked layers only",
    "recurrent_dropout": "torch's RNNs have no recurrent dropout",
    "go_backwards": "torch's RNNs have no go_backwards; flip the sequence by hand",
    "stateful": "a stateful RNN keeps its state across batches; pass `hx` by hand in torch",
}


def _rnn_module(keras: str, config: dict[str, Any], shape: Shape, ctx: RuleContext, extra: dict[str, Any]) -> Made:
    for key, why in _RNN_UNSUPPORTED.items():
        if config.get(key):
            raise CannotMigrate(f"`{key}=`: {why}")
    if shape.rank is not None and (shape.rank != 3 or shape.channels_first):
        raise CannotMigrate(f"{keras} reads a (batch, steps, features) tensor; here it gets rank {shape.rank}"
                            + (" channels-first" if shape.channels_first else ""))
    dims = shape.dims if shape.channels() is not None else (None, None, None)
    try:
        args = (table._simple_rnn_args if keras == "SimpleRNN" else table._gated_args)(config, dims)  # noqa: SLF001
    except ValueError as error:
        raise CannotMigrate(str(error)) from None
    # input_size None: the class sizes itself on its first call, as torch's Lazy modules do
    if args.get("nonlinearity") == "tanh":
        del args["nonlinearity"]
    units = config["units"]
    if not isinstance(units, int):
        raise CannotMigrate("`units` must be a literal int")
    args.update(extra)
    if config.get("return_sequences"):
        args["return_sequences"] = True
    if config.get("return_state"):
        args["return_state"] = True
    width = units * (2 if extra.get("bidirectional") and extra.get("merge_mode", "concat") == "concat" else 1)
    out = Shape((dims[0], dims[1], width) if config.get("return_sequences") else (dims[0], width))
    if config.get("return_state") or extra.get("merge_mode", "concat") is None:
        out = UNKNOWN  # a tuple, as in Keras
    return Made([("", helper_call(ctx, f"Keras{keras}", args, 2))], out)


def _recurrent(keras: str) -> Callable[[dict[str, Any], Shape, RuleContext], Made]:
    def build(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
        return _rnn_module(keras, config, shape, ctx, {})

    return build


def _bidirectional(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    layer = config["layer"]
    inner = file_state(ctx).recorded.get(id(layer.node)) if isinstance(layer, Expr) else None
    if inner is None or inner.keras not in ("SimpleRNN", "LSTM", "GRU"):
        raise CannotMigrate("only a Bidirectional of an LSTM, GRU or SimpleRNN layer written in place is migrated")
    if config.get("backward_layer") is not None or config.get("weights") is not None:
        raise CannotMigrate("`backward_layer=`/`weights=` are not migrated")
    merge = config["merge_mode"]
    if merge not in ("concat", "sum", "mul", "ave", None):
        raise CannotMigrate(f"merge_mode={merge!r} is not a Keras merge mode")
    made = _rnn_module(inner.keras, inner.config, shape, ctx, {"bidirectional": True, **({} if merge == "concat" else {"merge_mode": merge})})
    ctx.consume(layer.node)  # rebuilt here, as one torch RNN with bidirectional=True
    return made


def _merge(keras: str) -> Callable[[dict[str, Any], Shape, RuleContext], Made]:
    def build(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
        args: dict[str, Any] = {}
        if keras == "Concatenate":
            if not isinstance(config["axis"], int):
                raise CannotMigrate("`axis` must be a literal int")
            if config["axis"] != -1:
                args["axis"] = config["axis"]
        return Made([("", helper_call(ctx, f"Keras{keras}", args))], UNKNOWN)

    return build


def _rescaling(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    scale, offset = config["scale"], config["offset"]
    if any(isinstance(v, Expr) for v in (scale, offset)):  # `1.0 / 255`: passed through as written
        args = {"scale": scale, **({"offset": offset} if offset != 0.0 else {})}
        return Made([("", helper_call(ctx, "KerasRescaling", args, 1))], shape)
    if not all(isinstance(v, (int, float)) for v in (scale, offset)):
        raise CannotMigrate("a per-channel `scale`/`offset` (a list) is not migrated: its channel axis moves under NCHW")
    args = {"scale": float(scale)}
    if offset:
        args["offset"] = float(offset)
    return Made([("", helper_call(ctx, "KerasRescaling", args, 1))], shape)


def _permute(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    dims = config["dims"]
    if not isinstance(dims, (tuple, list)) or sorted(dims) != list(range(1, len(dims) + 1)):
        raise CannotMigrate("`dims` must be a literal permutation of 1..rank-1")
    if shape.rank is None:
        raise CannotMigrate("the input's layout is not known here (images are channels-first in the migrated model); give the Sequential a keras.Input shape")
    if shape.channels_first and shape.rank > 2:
        raise CannotMigrate("Permute of a channels-first tensor: Keras's axes are channels-last")
    if len(dims) + 1 >= 4:
        raise CannotMigrate("Permute to an image: the migrated model holds images channels-first")
    out = Shape((shape.dims[0], *(shape.dims[d] for d in dims)))  # type: ignore[index]
    return Made([("", helper_call(ctx, "KerasPermute", {"dims": tuple(dims)}, 1))], out)


def _normalization(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    if config.get("invert"):
        raise CannotMigrate("`invert=True` is not migrated")
    axis = config["axis"]
    if axis not in (-1, (-1,), [-1]) and not (shape.rank is not None and axis in (shape.rank - 1, (shape.rank - 1,), [shape.rank - 1])):
        raise CannotMigrate(f"`axis={axis!r}`: only the last axis is migrated")
    mean, variance = config["mean"], config["variance"]
    if (mean is None) != (variance is None):
        raise CannotMigrate("`mean=` and `variance=` go together")
    scalar = mean is not None and all(isinstance(v, (int, float)) for v in (mean, variance))
    if mean is not None and not scalar and shape.rank is None:
        raise CannotMigrate("the feature axis is torch dim 1 for an image and -1 otherwise; the input's rank is not known here (give the Sequential a keras.Input shape)")
    args: dict[str, Any]
    if mean is None:
        # Unknown: sized by keras_adapt(), by load_state_dict, or on the first call.
        args = {} if shape.channels() is None else {"num_features": shape.channels()}
    else:
        values = [list(v) if isinstance(v, (list, tuple)) else [v] for v in (mean, variance)]
        if not all(isinstance(x, (int, float)) for v in values for x in v) or len(values[0]) != len(values[1]):
            raise CannotMigrate("`mean=`/`variance=` must be literal numbers or lists of one length")
        args = {"num_features": len(values[0])}
    if not scalar and torch_dim(shape) != -1:
        args["dim"] = torch_dim(shape)
    if mean is not None:
        args["mean"] = [float(x) for x in (mean if isinstance(mean, (list, tuple)) else [mean])]
        args["variance"] = [float(x) for x in (variance if isinstance(variance, (list, tuple)) else [variance])]
    return Made([("", helper_call(ctx, "KerasNormalization", args, 1))], shape)


def _attention(config: dict[str, Any], shape: Shape, ctx: RuleContext) -> Made:
    for key in ("attention_axes", "sliding_window"):
        if config.get(key) is not None:
            raise CannotMigrate(f"`{key}=` is not migrated")
    if config.get("use_gate"):
        raise CannotMigrate("`use_gate=True` is not migrated")
    output = config["output_shape"]
    if isinstance(output, (tuple, list)) and len(output) == 1:
        output = output[0]
    if not isinstance(output, int):
        raise CannotMigrate(
            "the output size is the query's feature size, which is not known here (the output "
            "projection cannot be Lazy); give the layer `output_shape=<query features>`"
        )
    for key in ("num_heads", "key_dim"):
        if not isinstance(config[key], int):
            raise CannotMigrate(f"`{key}` must be a literal int")
    args = {
        "num_heads": config["num_heads"], "key_dim": config["key_dim"],
        "value_dim": config["value_dim"] if config["value_dim"] is not None else config["key_dim"],
        "output_dim": output,
    }
    if not config["use_bias"]:
        args["use_bias"] = False
    if config["dropout"]:
        args["dropout"] = float(config["dropout"])
    return Made([("", helper_call(ctx, "KerasMultiHeadAttention", args, 4))], UNKNOWN)


# ---------------------------------------------------------------------------------------
# The rules.


#: Layers that read a (batch, steps, channels) sequence channels-first in the migrated module
#: (as `migrate weights` lays inputs out: migrate/weights/keras_model.py CHANNELS_FIRST_1D).
CHANNELS_FIRST_1D = frozenset({
    "Conv1D", "Conv1DTranspose", "MaxPooling1D", "AveragePooling1D", "UpSampling1D", "SpatialDropout1D",
    "GlobalMaxPooling1D", "GlobalAveragePooling1D", "ZeroPadding1D", "Cropping1D",
})
@dataclass(frozen=True)
class Family:
    build: Callable[[dict[str, Any], Shape, RuleContext], Made]
    passthrough: frozenset[str] = frozenset()
    why: str = ""
    in_sequence: bool = False  # build takes `standalone=False` (a Sequential may add modules)
    #: The Keras arguments the build reads; any other one with a non-default value is a TODO.
    handled: frozenset[str] = frozenset()


_NCHW = (
    "The migrated module is channels-first: it takes NCHW where the Keras layer took NHWC, so "
    "the data boundary changes (permute the batch once before the model); `migrate weights` "
    "moves the kernels to torch's layout. "
)
_LAZY = (
    "Without a known input size the module is the Lazy one, sized on its first call; torch then "
    "also initialises it on that call with its own initializers (Keras's glorot/zeros are not "
    "written), which matters for training from scratch, not for migrated weights. "
)

FAMILIES: dict[str, Family] = {
    "Dense": Family(_dense, frozenset({"units"}), handled=frozenset({'activation', 'use_bias'}), why="`units` → `out_features`; `activation=` becomes its own module after the Linear. " + _LAZY),
    **{
        f"Conv{n}D": Family(
            _conv(n), frozenset({"filters"}), in_sequence=True,
            handled=frozenset({'kernel_size', 'strides', 'padding', 'dilation_rate', 'groups', 'activation', 'use_bias'}), why=(
            "`filters` → `out_channels`, strides/dilation/groups/bias written as torch arguments. "
            "`padding='same'` becomes a symmetric integer padding when it is one (stride 1, odd "
            "kernel, or a known input size); TF pads the odd pixel bottom/right, so any other "
            "'same' is an `nn.ZeroPad` module keyed `<name>_pad` before the conv inside a "
            "Sequential, and a TODO on its own — never torch's own padding='same'. " + _NCHW + _LAZY),
        )
        for n in (1, 2, 3)
    },
    "BatchNormalization": Family(
        _batch_norm, frozenset(), handled=frozenset({"axis", "momentum", "epsilon", "center", "scale"}), why=(
        "Keras keeps `momentum` of the old statistic, torch takes `momentum` of the new one: "
        "momentum 0.99 → 0.01, and Keras's eps 1e-3 is written out (torch's is 1e-5). The input "
        "rank picks BatchNorm1d/2d/3d, so it must be known. One difference no argument removes: "
        "while training, torch moves `running_var` towards the unbiased batch variance, Keras "
        "towards the biased one (a factor n/(n−1) over the n values per channel: 3 % for a batch "
        "of 32 vectors, negligible for images); outputs in train mode agree exactly. " + _NCHW),
    ),
    "Dropout": Family(_dropout("torch.nn.Dropout"), frozenset({"rate"}), handled=frozenset({'noise_shape', 'seed'}), why="`rate` → `p`; both drop in training only."),
    "SpatialDropout1D": Family(_dropout("torch.nn.Dropout1d"), frozenset({"rate"}), handled=frozenset({'seed'}), why="Drops whole channels, as Dropout1d."),
    "SpatialDropout2D": Family(_dropout("torch.nn.Dropout2d"), frozenset({"rate"}), handled=frozenset({'seed'}), why="Drops whole channels, as Dropout2d."),
    "Flatten": Family(
        _flatten, frozenset(), why=
        "`nn.Flatten()` flattens C,H,W where Keras flattens H,W,C; `migrate weights` permutes the "
        "rows of the next Dense's weight instead of a runtime permute (DESIGN decision 2).",
    ),
    **{
        f"{kind}Pooling{n}D": Family(
            _pool(kind, n), frozenset(), handled=frozenset({"pool_size", "strides", "padding"}), why=
            "Kernel, stride and padding from the table; TF's 'same' puts the odd cell after, which "
            "torch reproduces with `ceil_mode=True` when the input size is known"
            + (" and `count_include_pad=False` (TF averages real cells only)." if kind == "Average" else "."),
        )
        for kind in ("Max", "Average")
        for n in (1, 2, 3)
    },
    **{
        f"Global{kind}Pooling{n}D": Family(
            _global_pool(kind, n), frozenset(), handled=frozenset({"keepdims"}), why=
            f"An adaptive {kind.lower()} pool to size 1, then `nn.Flatten()` (unless `keepdims=True`).",
        )
        for kind in ("Average", "Max")
        for n in (1, 2, 3)
    },
    "Embedding": Family(
        _embedding, frozenset({"input_dim", "output_dim"}), handled=frozenset({"mask_zero"}), why=
        "`input_dim`/`output_dim` → `num_embeddings`/`embedding_dim`. Keras draws the table from "
        "U(-0.05, 0.05), torch from N(0, 1): the weights are migrated, a fresh model initialises differently.",
    ),
    "LayerNormalization": Family(
        _layer_norm, frozenset(), handled=frozenset({"axis", "epsilon", "center", "scale", "rms_scaling"}), why=
        "`nn.LayerNorm` over the last axis with Keras's eps 1e-3 written out; it needs the size, "
        "so it is migrated inside a Sequential with a known input shape (or with `input_shape=`).",
    ),
    **{
        f"ZeroPadding{n}D": Family(
            _zero_padding(n), frozenset(), handled=frozenset({"padding"}), why=
            f"`nn.ZeroPad{n}d` with the pads in torch's order (last dimension first).",
        )
        for n in (1, 2, 3)
    },
    **{
        f"UpSampling{n}D": Family(
            _upsampling(n), frozenset(), handled=frozenset({"size", "interpolation"}), why=
            "`nn.Upsample` by the same factor; bilinear uses half-pixel centres (`align_corners=False`), as TF does.",
        )
        for n in (1, 2, 3)
    },
    "DepthwiseConv2D": Family(
        _depthwise, frozenset(), in_sequence=True,
        handled=frozenset({"kernel_size", "strides", "padding", "depth_multiplier", "dilation_rate", "activation", "use_bias"}),
        why="`nn.Conv2d` with `groups` = input channels and `depth_multiplier` × channels out; it needs the channels. " + _NCHW,
    ),
    **{
        f"Conv{n}DTranspose": Family(
            _conv_transpose(n), frozenset({"filters"}), in_sequence=True,
            handled=frozenset({"kernel_size", "strides", "padding", "output_padding", "dilation_rate", "activation", "use_bias"}),
            why="`nn.ConvTranspose` with `padding`/`output_padding` reproducing Keras's output length "
            "(valid: i·s + max(k − s, 0); same: i·s). Where TF crops one more cell at the end, a "
            "Sequential adds a cropping `nn.ZeroPad` (negative pads) keyed `<name>_crop`. " + _NCHW + _LAZY,
        )
        for n in (1, 2, 3)
    },
    "SeparableConv2D": Family(
        _separable, frozenset({"filters"}), in_sequence=True,
        handled=frozenset({"kernel_size", "strides", "padding", "depth_multiplier", "dilation_rate", "activation", "use_bias"}),
        why="One attribute holding `nn.Sequential(depthwise, pointwise)`: a grouped `nn.Conv2d` "
        "without bias, then a 1×1 `nn.Conv2d` with the bias, as the layer table and `migrate weights` "
        "key them (`<name>.0.weight`, `<name>.1.weight`). It needs the input channels. " + _NCHW,
    ),
    "GroupNormalization": Family(
        _group_norm, frozenset(), handled=frozenset({"groups", "axis", "epsilon", "center", "scale"}), why=
        "`nn.GroupNorm(groups, channels)` with Keras's eps 1e-3 written out (torch's is 1e-5); both "
        "split the channels into contiguous groups. It needs the channels (no Lazy GroupNorm). " + _NCHW,
    ),
    **{
        f"Cropping{n}D": Family(
            _cropping(n), frozenset(), handled=frozenset({"cropping"}), why=
            f"`nn.ZeroPad{n}d` with negative pads, which crop, in torch's order (last dimension first). " + _NCHW,
        )
        for n in (1, 2, 3)
    },
    "Reshape": Family(
        _reshape, frozenset(), handled=frozenset({"target_shape"}), why=
        "`nn.Unflatten(1, target_shape)` (after an `nn.Flatten()` when the input has more than one "
        "feature axis): the same element order as Keras for flat and sequence tensors. A Reshape of "
        "a channels-first image, or to an image, is a TODO: the layouts differ.",
    ),
    "SpatialDropout3D": Family(_dropout("torch.nn.Dropout3d"), frozenset({"rate"}), handled=frozenset({'seed'}), why="Drops whole channels, as Dropout3d."),
    **{
        keras: Family(
            _recurrent(keras), frozenset(), handled=frozenset({
                "units", "activation", "recurrent_activation", "use_bias", "return_sequences", "return_state", "reset_after",
                "dropout", "recurrent_dropout", "go_backwards", "stateful", "unroll", "use_cudnn", "seed", "unit_forget_bias",
            }), why=(
                f"`{ {'SimpleRNN': 'nn.RNN'}.get(keras, 'nn.' + keras)}(input_size, units, batch_first=True)` inside a small "
                f"class `Keras{keras}` written into the file, whose forward returns what Keras returns: the "
                "last step's output, or every step's with `return_sequences=True`, followed by the final "
                "states with `return_state=True` (torch returns `(output, state)` always). Used in an "
                "`nn.Sequential` it passes one tensor on, as in Keras. "
                + ("Keras's gates i,f,c,o are torch's i,f,g,o. " if keras == "LSTM" else "")
                + ("Keras has one bias, torch two: Keras's is `bias_ih`, and `bias_hh` stays zero and frozen "
                   "(`requires_grad=False`), or it would train and move the bias twice as fast. " if keras != "GRU" else "")
                + ("`reset_after=True` (Keras's default) is torch's GRU; `reset_after=False` is a TODO. " if keras == "GRU" else "")
                + "Where the input size is not known (a layer of a subclassed model) the class sizes "
                "itself on its first call or from `load_state_dict`, as torch's Lazy modules do. "
                "`dropout`/`recurrent_dropout`/`go_backwards`/`stateful` are TODOs."
            ),
        )
        for keras in ("SimpleRNN", "LSTM", "GRU")
    },
    "Bidirectional": Family(
        _bidirectional, frozenset({"layer"}), handled=frozenset({"layer", "merge_mode", "backward_layer", "weights"}), why=(
        "The wrapped RNN's class with `bidirectional=True`: torch concatenates the forward and "
        "backward outputs as Keras's `merge_mode='concat'`; other merge modes are applied in "
        "forward. Without `return_sequences` Keras's backward half is its output at the first "
        "step (torch's step 0), which the class selects. `migrate weights` maps the backward "
        "layer's tensors to the `_reverse` parameters."),
    ),
    **{
        keras: Family(
            _merge(keras), frozenset(), handled=frozenset({"axis"}), why=(
            f"A small class `Keras{keras}` written into the file (torch has no module for it), called "
            "with a list as in Keras."
            + (" Keras's axis is channels-last: on a rank-4/5 tensor (an image, channels-first in the "
               "migrated model) the class maps it to torch's dim; a rank-3 tensor is taken as a "
               "(batch, steps, features) sequence." if keras == "Concatenate" else "")),
        )
        for keras in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate")
    },
    "Rescaling": Family(_rescaling, frozenset({"scale", "offset"}), handled=frozenset({"scale", "offset"}), why="A small class `KerasRescaling` computing `x * scale + offset` (a scalar scale and offset)."),
    "Permute": Family(_permute, handled=frozenset({"dims"}), why=(
        "A small class `KerasPermute` (torch has no permute module), for flat and sequence tensors "
        "whose layout is known; a Permute of or to a channels-first image is a TODO.")),
    "Normalization": Family(_normalization, handled=frozenset({"axis", "mean", "variance", "invert"}), why=(
        "A small class `KerasNormalization`: `(x - mean) / max(sqrt(variance), 1e-7)` over the "
        "feature axis (torch dim 1 of a channels-first image). Statistics written in the source "
        "are constants; those `adapt` computes are buffers `migrate weights` fills (the `.adapt()` "
        "call itself is left to you).")),
    "MultiHeadAttention": Family(
        _attention, frozenset(), handled=frozenset({
            "num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape", "attention_axes",
            "sliding_window", "flash_attention", "use_gate",
        }), why=(
        "A small class `KerasMultiHeadAttention` with Keras's separate query/key/value projections "
        "(`num_heads·key_dim` wide, Lazy inputs), scaled dot-product softmax and output projection, "
        "called as Keras calls it (`(query, value, key=None, attention_mask=None, ...)`). "
        "`nn.MultiheadAttention` is not used: it ties the projection width to the embedding size "
        "and packs q/k/v into one weight. The output size must be known: `output_shape=`. The "
        "input projections are Lazy, so torch initialises them on the first call (Keras: "
        "glorot_uniform kernels, zero biases) — it matters for training from scratch, not for "
        "migrated weights; a non-default initializer is a TODO."),
    ),
    "Identity": Family(_identity, why="`nn.Identity()`."),
    "Activation": Family(_activation_layer, handled=frozenset({'activation'}), why="The activation's torch module (`rules/layers.py` ACTIVATION_MODULES)."),
    "ReLU": Family(_relu, handled=frozenset({'max_value', 'negative_slope', 'threshold'}), why="`nn.ReLU`; `max_value=6` is `nn.ReLU6`, another cap `nn.Hardtanh(0, cap)`."),
    "Softmax": Family(_softmax, handled=frozenset({'axis'}), why="`nn.Softmax` over the channel axis, which is dim 1 on a channels-first image."),
    "LeakyReLU": Family(_leaky_relu, handled=frozenset({'negative_slope'}), why="Keras's slope default 0.3 is written out (torch's is 0.01)."),
    "ELU": Family(_elu, handled=frozenset({'alpha'}), why="`alpha` written out."),
}


def guarded(build: Callable[..., Made], *args: Any, **kwargs: Any) -> Made:
    """``build(...)``; a literal of an unexpected type (``momentum="high"``) is a TODO, not a crash."""
    try:
        return build(*args, **kwargs)
    except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError) as error:
        raise CannotMigrate(f"unexpected argument values ({type(error).__name__}: {error})") from None


class LayerRule(Rule):
    """A Keras layer constructor → its torch module (or modules, with `activation=`)."""

    def __init__(self, keras: str, family: Family):
        self.keras = keras
        self.family = family
        self.id = f"layers.{keras}"
        self.names = (f"keras.layers.{keras}",)
        self.summary = f"`layers.{keras}(...)` → its torch module."
        self.why = family.why
        spec = table.LAYERS.get(keras)
        if spec is not None and spec.inits:
            self.why += (
                " Initial values: Keras's initializers (its defaults, or the `*_initializer=` the "
                "source chooses, as a string or `keras.initializers.X(...)`) are written as `nn.init` "
                "lines after the statement that binds a module whose sizes are known; an initializer "
                "nn.init lacks, or one chosen for a Lazy module (torch initialises it on its first "
                "call), is a TODO."
            )
        if spec is not None and any(w.keras in terms.PREFIXES.values() for w in spec.weights):
            self.why += (
                " Regularizers and constraints (`kernel_regularizer=`, `activity_regularizer=`, "
                "`kernel_constraint=`…) act in Keras's training loop: the module is wrapped in "
                "`keras_regularized(...)`, which keeps them for the migrated loop's "
                "`keras_losses(model)` and `keras_apply_constraints(model)`."
            )
        if keras == "Normalization":  # `norm.adapt(data)` is a method site of this type
            self.returns = {"keras.layers.Normalization": "keras.layers.Normalization"}
        self.example = _EXAMPLES.get(keras, f"from tensorflow.keras import layers\n\nlayer = layers.{keras}()\n")

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        name: str | None
        bound = bind(self.keras, call, ctx)
        explicit = bound.get("name")
        config = read_config(self.keras, bound, self.family.passthrough, ctx)
        check_unhandled(self.keras, bound, config, self.family.handled | self.family.passthrough)
        if explicit is None:
            name = auto_name(self.keras, ctx)  # counted whether or not the rewrite succeeds
        else:
            name = config["name"] if isinstance(config["name"], str) else None
        full = input_shape_of(config)
        # Recorded before the standalone build: a layer that cannot be sized on its own (a
        # BatchNormalization of unknown rank) is still built by an enclosing keras.Sequential
        # that knows its input shape. On a TODO the engine leaves ``call`` in place.
        state = file_state(ctx)
        state.recorded[id(call)] = Recorded(self.keras, config, name, call, full)
        # Images are channels-first in the migrated module; a sequence only where a 1-D conv reads it.
        shape = Shape(full, len(full) > 3 or (len(full) == 3 and self.keras in CHANNELS_FIRST_1D)) if full else UNKNOWN
        made = guarded(self.family.build, config, shape, ctx)
        node = made.modules[0][1] if len(made.modules) == 1 else cst.Call(
            ctx.name("torch.nn.Sequential"),
            [cst.Arg(m, comma=_COMMA if i < len(made.modules) - 1 else cst.MaybeSentinel.DEFAULT) for i, (_, m) in enumerate(made.modules)],
        )
        for key, _, _ in table.LAYERS[self.keras].inits if self.keras in table.LAYERS else ():
            value = config.get(key)
            if isinstance(value, (str, dict)) and table.initializer_call(value, "p", (2, 2)) is None:
                raise CannotMigrate(f"`{key}={value!r}` has no nn.init equivalent; initialise the parameter by hand")
        self._initialise(config, made, full, call, ctx)
        node = self._with_terms(config, made, node, ctx)
        statement = ctx.statement()
        body = statement.body if isinstance(statement, cst.SimpleStatementLine) else None  # not an if/for header
        bound = None
        if body and isinstance(body[0], cst.Assign) and len(body[0].targets) == 1 and isinstance(body[0].targets[0].target, cst.Name):
            value = body[0].value
            if isinstance(value, cst.Call) and ctx.source(value.func).split(".")[-1] == self.keras:
                bound = body[0].targets[0].target.value
        state.recorded[id(node)] = Recorded(self.keras, config, name, node, full, bound, statement if bound else None)
        return node

    def _initialise(self, config: dict[str, Any], made: Made, full: tuple[int | None, ...] | None, call: cst.Call, ctx: RuleContext) -> None:
        """``nn.init`` lines after ``x = layers.X(...)`` when the module is sized; a Lazy module
        is initialised by torch on its first call, so an initializer chosen in the source is
        then a TODO (a Keras default is noted in the rule's doc)."""
        spec = table.LAYERS.get(self.keras)
        if spec is None or not spec.inits:
            return
        defaults = {p.name: p.default for p in signature(self.keras) if p.has_default}
        chosen = [k for k, _, _ in spec.inits if k in config and config[k] != defaults.get(k)]
        index = next(i for i, (suffix, _) in enumerate(made.modules) if suffix == "")
        module = made.modules[index][1]
        lazy = "Lazy" in ctx.source(module.func) if isinstance(module, cst.Call) else True
        recurrent = self.keras in ("SimpleRNN", "LSTM", "GRU") and full is None
        if recurrent and any(k == "kernel_initializer" for k in chosen):
            raise CannotMigrate(
                "`kernel_initializer=`: the input size is not known here, so the input kernel is "
                "drawn on the first call (as glorot_uniform); give the layer `input_shape=`"
            )
        if lazy or (full is None and self.keras != "Embedding" and not recurrent):
            if chosen:
                raise CannotMigrate(
                    f"`{chosen[0]}=`: the module is Lazy (its input size is not known here) and torch "
                    "initialises it on its first call; give the layer `input_shape=` (or the Sequential "
                    "a keras.Input shape) so the nn.init lines can be written"
                )
            return
        statement = ctx.statement()
        body = statement.body if isinstance(statement, cst.SimpleStatementLine) else None  # not an if/for header
        value = body[0].value if body and isinstance(body[0], cst.Assign) else None
        func = value.func if isinstance(value, cst.Call) else None
        own = (func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)) == self.keras
        if not own or len(body[0].targets) != 1:  # type: ignore[index]
            # inside a Keras container: a Sequential's list (or the Bidirectional wrapping an
            # RNN) builds it again with its own lines; inside anything else (`wrap(layers.X(…))`)
            # no line can reach the module, and an initializer the source chose would be lost
            outer = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
            if chosen and value is not None and not own and outer in _CONTAINERS:
                return
            if chosen:
                raise CannotMigrate(f"`{chosen[0]}=`: the module is not bound to a name the nn.init lines could use")
            return
        target = ctx.source(body[0].targets[0].target) + (f"[{index}]" if len(made.modules) > 1 else "")
        try:
            if recurrent:  # the input kernel is drawn when the class sizes itself
                lines = [line for line in table.init_statements(self.keras, config, (None, None, 1), target) if "weight_ih" not in line]
            else:
                lines = table.init_statements(self.keras, config, full or (None, None), target)
        except ValueError as error:
            raise CannotMigrate(str(error)) from None
        except (TypeError, KeyError, IndexError):
            if chosen:
                raise CannotMigrate(f"`{chosen[0]}=`: the parameter sizes are not literals") from None
            return
        nn = ctx.source(ctx.name("torch.nn.Module")).rsplit(".", 1)[0]
        if lines:
            ctx.insert_after([cst.parse_statement(re.sub(r"^nn\.", nn + ".", line)) for line in lines])

    def _with_terms(self, config: dict[str, Any], made: Made, node: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
        """The layer's module wrapped in ``keras_regularized(...)`` when the call passes
        regularizers or constraints (rules/keras_regularizers.py); ``made`` is updated in place."""
        if not made.modules:
            if any(value is not None and terms.is_term_argument(key) for key, value in config.items()):
                raise CannotMigrate("the layer becomes no module its regularizer or constraint could be kept on")
            return node
        keras, suffixes = self.keras, ("",)
        layer = config.get("layer") if self.keras == "Bidirectional" else None
        inner = file_state(ctx).recorded.get(id(layer.node)) if isinstance(layer, Expr) else None
        if inner is not None and any(v is not None and terms.is_term_argument(k) for k, v in inner.config.items()):
            # Keras's Bidirectional copies the layer, regularizers and constraints included, for
            # each direction: torch's one bidirectional RNN has the backward copies as `*_reverse`.
            if inner.config.get("activity_regularizer") is not None:
                raise CannotMigrate("the wrapped layer's `activity_regularizer=` penalises each direction's output, which the merged torch RNN does not answer")
            keras, config, suffixes = inner.keras, {**inner.config, "activity_regularizer": None}, ("", "_reverse")
        index = next((i for i, (suffix, _) in enumerate(made.modules) if suffix == ""), 0)
        last = len(made.modules) - 1  # the activation module when there is one: Keras's output
        before = list(made.modules)
        for i, (suffix, module) in enumerate(made.modules):
            if i in (index, last):
                wrapped = terms.wrap_terms(keras, config, module, ctx, weights=i == index, output=i == last, suffixes=suffixes)
                made.modules[i] = (suffix, wrapped)
        if all(new is old for (_, new), (_, old) in zip(made.modules, before)):
            return node
        if len(made.modules) == 1:
            return made.modules[0][1]
        return cst.Call(
            ctx.name("torch.nn.Sequential"),
            [cst.Arg(m, comma=_COMMA if i < len(made.modules) - 1 else cst.MaybeSentinel.DEFAULT) for i, (_, m) in enumerate(made.modules)],
        )

    def build(self, recorded: Recorded, shape: Shape, ctx: RuleContext) -> Made:
        """The modules of a recorded call inside a Sequential that knows its input ``shape``."""
        if self.family.in_sequence:
            made = guarded(self.family.build, recorded.config, shape, ctx, standalone=False)
        else:
            made = guarded(self.family.build, recorded.config, shape, ctx)
        self._with_terms(recorded.config, made, made.modules[0][1] if made.modules else cst.Name("None"), ctx)
        return made


_EXAMPLES = {
    "Dense": "from tensorflow.keras import layers\n\nhead = layers.Dense(10, activation=\"softmax\", name=\"head\")\n",
    "Conv2D": "from tensorflow.keras import layers\n\nconv = layers.Conv2D(32, 3, padding=\"same\", activation=\"relu\")\n",
    "BatchNormalization": "from tensorflow.keras import layers\n\nbn = layers.BatchNormalization(input_shape=(8, 8, 16))\n",
    "Dropout": "from tensorflow.keras import layers\n\ndrop = layers.Dropout(0.5)\n",
    "MaxPooling2D": "from tensorflow.keras import layers\n\npool = layers.MaxPooling2D(2)\n",
    "AveragePooling2D": "from tensorflow.keras import layers\n\npool = layers.AveragePooling2D(2)\n",
    "Activation": "from tensorflow.keras import layers\n\nact = layers.Activation(\"gelu\")\n",
    "Conv1D": "from tensorflow.keras import layers\n\nconv = layers.Conv1D(16, 5)\n",
    "Conv3D": "from tensorflow.keras import layers\n\nconv = layers.Conv3D(8, 3)\n",
    "SpatialDropout1D": "from tensorflow.keras import layers\n\ndrop = layers.SpatialDropout1D(0.1)\n",
    "SpatialDropout2D": "from tensorflow.keras import layers\n\ndrop = layers.SpatialDropout2D(0.1)\n",
    "LeakyReLU": "from tensorflow.keras import layers\n\nact = layers.LeakyReLU()\n",
    "ELU": "from tensorflow.keras import layers\n\nact = layers.ELU()\n",
    "Embedding": "from tensorflow.keras import layers\n\ntokens = layers.Embedding(1000, 64)\n",
    "LayerNormalization": "from tensorflow.keras import layers\n\nnorm = layers.LayerNormalization(input_shape=(128,))\n",
    "ZeroPadding1D": "from tensorflow.keras import layers\n\npad = layers.ZeroPadding1D((1, 2))\n",
    "ZeroPadding2D": "from tensorflow.keras import layers\n\npad = layers.ZeroPadding2D(((0, 1), (2, 3)))\n",
    "ZeroPadding3D": "from tensorflow.keras import layers\n\npad = layers.ZeroPadding3D(1)\n",
    "UpSampling2D": "from tensorflow.keras import layers\n\nup = layers.UpSampling2D(2, interpolation=\"bilinear\")\n",
    "DepthwiseConv2D": "from tensorflow.keras import layers\n\ndw = layers.DepthwiseConv2D(3, padding=\"same\", depth_multiplier=2, input_shape=(16, 16, 8))\n",
    "Identity": "from tensorflow.keras import layers\n\nskip = layers.Identity()\n",
    "Conv2DTranspose": "from tensorflow.keras import layers\n\nup = layers.Conv2DTranspose(16, 3, strides=2)\nsame = layers.Conv2DTranspose(16, 4, strides=2, padding=\"same\")\nodd = layers.Conv2DTranspose(16, 3, strides=2, padding=\"same\")\n",
    "Conv3DTranspose": "from tensorflow.keras import layers\n\nup = layers.Conv3DTranspose(4, 2, strides=2)\n",
    "SeparableConv2D": "from tensorflow.keras import layers\n\nsep = layers.SeparableConv2D(32, 3, padding=\"same\", activation=\"relu\", input_shape=(16, 16, 8))\n",
}
_EXAMPLES.update({
    "GroupNormalization": "from tensorflow import keras\nfrom tensorflow.keras import layers\n\nmodel = keras.Sequential([keras.Input(shape=(8, 8, 6)), layers.GroupNormalization(3)])\n",
    "Cropping1D": "from tensorflow.keras import layers\n\ncrop = layers.Cropping1D((1, 2))\n",
    "Cropping2D": "from tensorflow.keras import layers\n\ncrop = layers.Cropping2D(((1, 0), (2, 2)))\n",
    "Cropping3D": "from tensorflow.keras import layers\n\ncrop = layers.Cropping3D(1)\n",
    "Reshape": "from tensorflow import keras\nfrom tensorflow.keras import layers\n\nmodel = keras.Sequential([keras.Input(shape=(12,)), layers.Reshape((3, 4))])\n",
    "Permute": "from tensorflow import keras\nfrom tensorflow.keras import layers\n\nmodel = keras.Sequential([keras.Input(shape=(3, 4)), layers.Permute((2, 1))])\n",
    "SpatialDropout3D": "from tensorflow.keras import layers\n\ndrop = layers.SpatialDropout3D(0.1)\n",
    "UpSampling1D": "from tensorflow.keras import layers\n\nup = layers.UpSampling1D(2)\n",
    "UpSampling3D": "from tensorflow.keras import layers\n\nup = layers.UpSampling3D((1, 2, 2))\n",
    "Conv1DTranspose": "from tensorflow.keras import layers\n\nup = layers.Conv1DTranspose(8, 3, strides=2)\n",
    "SimpleRNN": "from tensorflow.keras import layers\n\nrnn = layers.SimpleRNN(16, input_shape=(10, 8))\n",
    "LSTM": "from tensorflow import keras\nfrom tensorflow.keras import layers\n\nmodel = keras.Sequential([\n    keras.Input(shape=(10, 8)),\n    layers.LSTM(16, return_sequences=True),\n    layers.LSTM(4),\n])\n",
    "GRU": "from tensorflow.keras import layers\n\ngru = layers.GRU(16, return_sequences=True, return_state=True, input_shape=(10, 8))\n",
    "Bidirectional": "from tensorflow import keras\nfrom tensorflow.keras import layers\n\nmodel = keras.Sequential([keras.Input(shape=(10, 8)), layers.Bidirectional(layers.LSTM(16), merge_mode=\"sum\")])\n",
    "MultiHeadAttention": "from tensorflow.keras import layers\n\nattention = layers.MultiHeadAttention(num_heads=4, key_dim=16, output_shape=64)\n",
    "Concatenate": "from tensorflow.keras import layers\n\nconcat = layers.Concatenate(axis=1)\n",
    "Rescaling": "from tensorflow.keras import layers\n\nscale = layers.Rescaling(1.0 / 255)\n",
    "Normalization": "from tensorflow import keras\nfrom tensorflow.keras import layers\n\nmodel = keras.Sequential([keras.Input(shape=(3,)), layers.Normalization(mean=[0.5, 1.0, 2.0], variance=[1.0, 4.0, 0.25])])\n",
})
for _merge in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
    _EXAMPLES.setdefault(_merge, f"from tensorflow.keras import layers\n\nmerge = layers.{_merge}()\n")
for _n in (1, 2, 3):
    for _kind in ("Max", "Average"):
        _EXAMPLES.setdefault(f"{_kind}Pooling{_n}D", f"from tensorflow.keras import layers\n\npool = layers.{_kind}Pooling{_n}D(2)\n")
        _EXAMPLES.setdefault(f"Global{_kind}Pooling{_n}D", f"from tensorflow.keras import layers\n\npool = layers.Global{_kind}Pooling{_n}D()\n")

class NormalizationAdapt(Rule):
    """``norm.adapt(data)`` → ``keras_adapt(norm, data)``."""

    id = "layers.Normalization.adapt"
    names = ("keras.layers.Normalization.adapt",)
    summary = "`norm.adapt(data)` → `keras_adapt(norm, data)`: the statistics computed in torch."
    why = (
        "Keras's `adapt` computes the mean and population variance of the data over every axis "
        "but the last and freezes them into the layer. The migrated file gets a small function "
        "`keras_adapt` doing the same into the `KerasNormalization` buffers (sizing them when the "
        "number of features was unknown). It takes an array or tensor as Keras took it "
        "(channels-last, the raw data); a `tf.data.Dataset`, `batch_size=` or `steps=` is a TODO."
    )
    example = (
        "import numpy as np\nfrom tensorflow.keras import layers\n\n"
        "features = np.random.rand(100, 3).astype(\"float32\")\n"
        "norm = layers.Normalization()\nnorm.adapt(features)\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if not isinstance(call.func, cst.Attribute):
            raise CannotMigrate("`adapt` is migrated when called on the layer's name")
        data = None
        for i, arg in enumerate(call.args):
            keyword = arg.keyword.value if arg.keyword else None
            if arg.star:
                raise CannotMigrate("a starred argument hides what is passed")
            if keyword == "data" or (keyword is None and i == 0):
                data = arg.value
            elif keyword in ("batch_size", "steps") and not (isinstance(arg.value, cst.Name) and arg.value.value == "None"):
                raise CannotMigrate(f"`{keyword}=`: keras_adapt reads the whole array at once")
            else:
                raise CannotMigrate(f"unknown argument of `adapt`: `{ctx.source(arg)}`")
        if data is None:
            raise CannotMigrate("`adapt()` without data")
        return cst.Call(helper_class(ctx, "keras_adapt"), [cst.Arg(call.func.value, comma=_COMMA), cst.Arg(data)])


RULES_BY_CLASS = {keras: LayerRule(keras, family) for keras, family in FAMILIES.items()}
RULES: list[Rule] = [*RULES_BY_CLASS.values(), NormalizationAdapt(), *terms.RULES]
