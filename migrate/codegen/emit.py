"""One Keras layer call → the torch module that replaces it and the forward lines that call it.

Tensors in the generated forward are channels-first (NCHW) when they are images (rank ≥ 4);
a rank-3 tensor is (batch, steps, features) — channels last — unless a 1-D conv made it
(batch, channels, steps). ``Value.cf`` records which, and every axis a Keras layer names is
mapped through it. A layer that needs the other layout gets an explicit transpose, which a
model of one kind (all images, or all sequences) never needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from migrate.rules import layers as table
from migrate.rules.layers import LAYERS, conv_pads, initializer_call, symmetric, transpose_crops


class Unsupported(Exception):
    """This layer call has no mapping; the message says why."""


@dataclass
class Value:
    name: str  # the Python expression (a variable name)
    shape: tuple  # Keras shape, batch first, channels last
    cf: bool  # torch layout is channels-first
    flat_from: tuple | None = None  # a Flatten of a channels-first (H, W, C) tensor made this

    @property
    def rank(self) -> int:
        return len(self.shape)


@dataclass
class WeightSlot:
    """Where one Keras variable goes: ``torch`` is relative to the layer's attribute."""

    keras: str  # the variable's path inside the layer: "kernel", "query/kernel", "forward_lstm/…/kernel"
    index: int  # its position in layer.weights
    torch: str  # "weight", "0.weight", "bias_ih_l0+bias_hh_l0"
    layout: str
    extra: dict = field(default_factory=dict)


@dataclass
class Emission:
    module: str | None = None  # constructor source; None: nothing in __init__
    inits: list[str] = field(default_factory=list)  # nn.init lines, `{m}` is the attribute
    lines: list[str] = field(default_factory=list)  # forward statements
    outputs: list[Value] = field(default_factory=list)
    weights: list[WeightSlot] = field(default_factory=list)
    helpers: set[str] = field(default_factory=set)
    constants: list[str] = field(default_factory=list)  # state entries set from the config, not weights


@dataclass
class Call:
    """What a handler sees: the layer, its inputs, the names its outputs get, its attribute."""

    layer: Any
    config: dict
    inputs: list[Value]
    out_names: list[str]
    out_shapes: list[tuple]
    attr: str  # "self.conv1"
    consumers: list[str]  # Keras class names that read the output (through Dropout/Activation)
    call_kwargs: dict


def torch_dim(axis: int, rank: int, cf: bool) -> int:
    """The torch dim of Keras axis ``axis`` of a rank-``rank`` tensor."""
    axis %= rank
    if not cf or rank < 3 or axis == 0:
        return axis
    return 1 if axis == rank - 1 else axis + 1


def channels_first(value: Value) -> str:
    if value.cf or value.rank < 3:
        return value.name
    if value.rank == 3:
        return f"{value.name}.transpose(1, 2)"
    return f"{value.name}.permute(0, {value.rank - 1}, {', '.join(map(str, range(1, value.rank - 1)))})"


def channels_last(value: Value) -> str:
    if not value.cf or value.rank < 3:
        return value.name
    if value.rank == 3:
        return f"{value.name}.transpose(1, 2)"
    return f"{value.name}.permute(0, {', '.join(map(str, range(2, value.rank)))}, 1)"


def _kw(args: dict, positional: int) -> str:
    items = list(args.items())
    parts = [repr(v) for _, v in items[:positional]] + [f"{k}={v!r}" for k, v in items[positional:]]
    return ", ".join(parts)


# Arguments equal to torch's own default read as noise; Keras values that differ stay written.
_TORCH_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True, "affine": True,
                   "elementwise_affine": True}


def _module(spec_torch: str, args: dict, positional: int) -> str:
    defaults = dict(_TORCH_DEFAULTS)
    if "Pool" in spec_torch:
        defaults.pop("stride")  # a torch pool's stride defaults to its kernel size, not 1
    keep = {k: v for i, (k, v) in enumerate(args.items()) if i < positional or defaults.get(k, object()) != v}
    name = spec_torch.replace("torch.nn.", "nn.")
    return f"{name}({_kw(keep, positional)})"


def _slots(layer: Any, spec: table.LayerSpec, layout_override: dict | None = None, extra: dict | None = None) -> list[WeightSlot]:
    names = [_var_name(layer, v) for v in layer.weights]
    slots = []
    for weight in spec.weights:
        if weight.keras in names:
            layout = (layout_override or {}).get(weight.keras, weight.layout)
            more = dict(extra or {}) if layout != "same" else {}
            slots.append(WeightSlot(weight.keras, names.index(weight.keras), weight.torch, layout, more))
    return slots


def _var_name(layer: Any, variable: Any) -> str:
    """A variable's path inside its layer: "kernel", "query/kernel" (Keras 3 paths)."""
    path = variable.path
    prefix = layer.name + "/"
    i = path.rfind(prefix)
    rest = path[i + len(prefix):] if i >= 0 else variable.name
    # An unnamed variable is "variable", "variable_1"… by creation order (ConvNeXt's LayerScale).
    rest = re.sub(r"^variable_\d+$", "variable", rest)
    parts = rest.split("/")
    # RNN cells add one level ("lstm_cell/kernel"): keep the variable's own name then.
    if len(parts) == 2 and parts[0].endswith("_cell"):
        return parts[1]
    return rest


def _inits(call: Call, spec: table.LayerSpec, shapes: dict[str, tuple]) -> list[str]:
    """nn.init lines for the parameters whose Keras initializer differs from torch's default."""
    lines = []
    for key, param, torch_default in spec.inits:
        init = call.config.get(key)
        if init is None or param not in shapes:
            continue
        name = init if isinstance(init, str) else init.get("class_name", "")
        if torch_default and table.TORCH_DEFAULT_INIT.get(torch_default, "").lower() == name.replace("_", "").lower():
            continue
        source = initializer_call(init, "{m}." + param if not param[0].isdigit() else "{m}[%s].%s" % tuple(param.split(".", 1)), shapes[param])
        lines.append(source if source else f"# migrate: TODO(model.init) {param}: initializer {name} is not mapped")
    return lines


def _weight_shapes(layer: Any, spec: table.LayerSpec) -> dict[str, tuple]:
    names = {_var_name(layer, v): tuple(v.shape) for v in layer.weights}
    return {w.torch: names[w.keras] for w in spec.weights if w.keras in names}


# ---------------------------------------------------------------------------------------
# Activations: a Keras activation name → a torch expression on `v`.

_ACTIVATIONS = {
    "relu": "F.relu({v})",
    "relu6": "F.relu6({v})",
    "sigmoid": "torch.sigmoid({v})",
    "tanh": "torch.tanh({v})",
    "gelu": "F.gelu({v})",  # Keras 3's gelu is exact (approximate=False), as is torch's default
    "silu": "F.silu({v})",
    "swish": "F.silu({v})",
    "elu": "F.elu({v})",
    "selu": "F.selu({v})",
    "softplus": "F.softplus({v})",
    "softsign": "F.softsign({v})",
    "exponential": "torch.exp({v})",
    "hard_sigmoid": "F.hardsigmoid({v})",  # Keras 3: relu6(x + 3) / 6, as torch
    "hard_silu": "F.hardswish({v})",
    "hard_swish": "F.hardswish({v})",
    "leaky_relu": "F.leaky_relu({v}, 0.2)",  # Keras 3's function default; torch's is 0.01
    "mish": "F.mish({v})",
    "log_softmax": "F.log_softmax({v}, dim={dim})",
    "softmax": "F.softmax({v}, dim={dim})",
}


def activation(name: Any, var: str, value: Value) -> str | None:
    """``var = <activation>(var)`` or None for linear; raises Unsupported for the unknown."""
    if isinstance(name, dict):
        name = name.get("config", {}).get("name", name.get("class_name"))
    if name in (None, "linear"):
        return None
    template = _ACTIVATIONS.get(name)
    if template is None:
        raise Unsupported(f"activation {name!r} is not mapped")
    return f"{var} = " + template.format(v=var, dim=torch_dim(-1, value.rank, value.cf))


# ---------------------------------------------------------------------------------------
# Handlers, one per Keras class (or family).

HANDLERS: dict[str, Any] = {}


def handles(*names: str):
    def register(fn):
        for name in names:
            HANDLERS[name] = fn
        return fn

    return register


def _out(call: Call, cf: bool, i: int = 0, **more: Any) -> Value:
    return Value(call.out_names[i], tuple(call.out_shapes[i]), cf, **more)


def _pad_arg(pads_by_dim: dict[int, tuple[int, int]], rank: int) -> tuple[int, ...]:
    """F.pad's argument: pairs from the last dim backwards to the first padded one."""
    first = min(pads_by_dim)
    out: list[int] = []
    for dim in range(rank - 1, first - 1, -1):
        out.extend(pads_by_dim.get(dim, (0, 0)))
    return tuple(out)


def _spatial_pad_line(var: str, src: str, pads: list[tuple[int, int]], rank: int, value: str = "") -> str:
    arg = _pad_arg({2 + i: p for i, p in enumerate(pads)}, rank)
    fill = f", value={value}" if value else ""
    return f"{var} = F.pad({src}, {arg}{fill})  # TF 'same': the odd pixel goes bottom/right"


@handles("Dense")
def _dense(call: Call) -> Emission:
    spec = LAYERS["Dense"]
    (value,) = call.inputs
    cfg = call.config
    out = call.out_names[0]
    args = spec.args(cfg, value.shape)
    shapes = _weight_shapes(call.layer, spec)
    if value.cf and value.rank >= 3:
        # Dense on an image acts on the channel axis: a 1×1 conv keeps NCHW (no permute).
        n = value.rank - 2
        bias = "" if args["bias"] else ", bias=False"
        module = f"nn.Conv{n}d({args['in_features']}, {args['out_features']}, kernel_size=1{bias})"
        slots = _slots(call.layer, spec, {"kernel": "dense_conv"})
        result = Value(out, tuple(call.out_shapes[0]), True)
    else:
        module = _module(spec.torch, args, spec.positional)
        extra = {"flatten_from": value.flat_from} if value.flat_from else {}
        slots = _slots(call.layer, spec, extra=extra)
        result = Value(out, tuple(call.out_shapes[0]), value.cf)
    lines = [f"{out} = {call.attr}({value.name})"]
    act = activation(cfg.get("activation"), out, result)
    lines += [act] if act else []
    return Emission(module, _inits(call, spec, shapes), lines, [result], slots)


@handles("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D", "DepthwiseConv1D")
def _conv(call: Call) -> Emission:
    name = type(call.layer).__name__
    spec = LAYERS["DepthwiseConv2D" if name.startswith("Depthwise") else name]
    (value,) = call.inputs
    cfg = call.config
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise Unsupported("data_format='channels_first' is not mapped")
    out = call.out_names[0]
    try:
        args = spec.args(cfg, value.shape)
        pads = conv_pads(cfg, value.shape)
    except ValueError as error:
        raise Unsupported(str(error)) from None
    torch_cls = spec.torch.replace("2d", f"{value.rank - 2}d")
    lines = []
    src = channels_first(value)
    if pads and not symmetric(pads):
        lines.append(_spatial_pad_line(out, src, pads, value.rank))
        src = out
    lines.append(f"{out} = {call.attr}({src})")
    result = _out(call, True)
    act = activation(cfg.get("activation"), out, result)
    lines += [act] if act else []
    return Emission(
        _module(torch_cls, args, spec.positional), _inits(call, spec, _weight_shapes(call.layer, spec)), lines,
        [result], _slots(call.layer, spec),
    )


@handles("SeparableConv1D", "SeparableConv2D")
def _separable(call: Call) -> Emission:
    spec = LAYERS["SeparableConv2D"]
    (value,) = call.inputs
    cfg = call.config
    out = call.out_names[0]
    n = value.rank - 2
    depthwise_cfg = {**cfg, "use_bias": False}
    try:
        dw = table._depthwise_args(depthwise_cfg, value.shape)
        pads = conv_pads(cfg, value.shape)
    except ValueError as error:
        raise Unsupported(str(error)) from None
    channels = dw["out_channels"]
    module = (
        f"nn.Sequential({_module(f'torch.nn.Conv{n}d', dw, 3)}, "
        f"nn.Conv{n}d({channels}, {cfg['filters']}, kernel_size=1{'' if cfg['use_bias'] else ', bias=False'}))"
    )
    lines = []
    src = channels_first(value)
    if pads and not symmetric(pads):
        lines.append(_spatial_pad_line(out, src, pads, value.rank))
        src = out
    lines.append(f"{out} = {call.attr}({src})")
    result = _out(call, True)
    act = activation(cfg.get("activation"), out, result)
    lines += [act] if act else []
    return Emission(module, _inits(call, spec, _weight_shapes(call.layer, spec)), lines, [result], _slots(call.layer, spec))


@handles("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
def _conv_transpose(call: Call) -> Emission:
    spec = LAYERS[type(call.layer).__name__]
    (value,) = call.inputs
    cfg = call.config
    if cfg.get("output_padding") not in (None, [None] * (value.rank - 2)):
        raise Unsupported("output_padding is not mapped")
    out = call.out_names[0]
    args = spec.args(cfg, value.shape)
    crops = transpose_crops(cfg, value.shape, call.out_shapes[0])
    padding = tuple(min(b, a) if a >= 0 else 0 for b, a in crops)
    output_padding = tuple(-a if a < 0 else 0 for _, a in crops)
    extra_end = tuple(a - b if a > b else 0 for b, a in crops)
    args["padding"] = table._scalar(padding)
    if any(output_padding):
        args["output_padding"] = table._scalar(output_padding)
    args = {k: args[k] for k in ("in_channels", "out_channels", "kernel_size", "stride", "padding", *(
        ("output_padding",) if "output_padding" in args else ()), "dilation", "bias")}
    call_src = f"{call.attr}({channels_first(value)})"
    if any(extra_end):
        # TF crops the odd row/column at the end only; torch's padding crops both ends.
        index = ", ".join([":", ":"] + [f":-{e}" if e else ":" for e in extra_end])
        call_src = f"{call_src}[{index}]  # TF 'same': crop the odd pixel at the end"
    lines = [f"{out} = {call_src}"]
    result = _out(call, True)
    act = activation(cfg.get("activation"), out, result)
    lines += [act] if act else []
    return Emission(
        _module(spec.torch, args, spec.positional), _inits(call, spec, _weight_shapes(call.layer, spec)), lines,
        [result], _slots(call.layer, spec),
    )


@handles("BatchNormalization")
def _batch_norm(call: Call) -> Emission:
    spec = LAYERS["BatchNormalization"]
    (value,) = call.inputs
    try:
        args = spec.args(call.config, value.shape)
    except ValueError as error:
        raise Unsupported(str(error)) from None
    axis = table._axis(call.config, value.shape)
    src = value.name
    cf = value.cf
    if value.rank >= 3 and axis == value.rank - 1:
        src, cf = channels_first(value), True
    elif value.rank >= 3 and torch_dim(axis, value.rank, value.cf) != 1:
        raise Unsupported(f"BatchNormalization over axis {call.config.get('axis')} is not the channel axis")
    module = _module(spec.by_rank[value.rank], args, spec.positional)
    out = call.out_names[0]
    return Emission(
        module, _inits(call, spec, _weight_shapes(call.layer, spec)), [f"{out} = {call.attr}({src})"],
        [_out(call, cf if value.rank >= 3 else value.cf)], _slots(call.layer, spec),
    )


@handles("LayerNormalization")
def _layer_norm(call: Call) -> Emission:
    spec = LAYERS["LayerNormalization"]
    (value,) = call.inputs
    try:
        args = spec.args(call.config, value.shape)
    except ValueError as error:
        raise Unsupported(str(error)) from None
    axes = call.config.get("axis", -1)
    axes = sorted(a % value.rank for a in (axes if isinstance(axes, (list, tuple)) else [axes]))
    out = call.out_names[0]
    helpers = set()
    if value.cf and value.rank >= 3 and axes == [value.rank - 1]:
        # LayerNorm over the channels of an NCHW tensor: torch's LayerNorm wants them last.
        module = (
            f"ChannelLayerNorm({args['normalized_shape']}, eps={args['eps']!r}, "
            f"affine={args['elementwise_affine']}, bias={args['bias']})"
        )
        helpers.add("ChannelLayerNorm")
        src = value.name
        cf = True
    else:
        src = channels_last(value) if value.rank >= 3 else value.name
        if axes != list(range(value.rank - len(axes), value.rank)):
            raise Unsupported(f"LayerNormalization over axes {axes} is not trailing")
        module = _module(spec.torch, args, spec.positional)
        cf = False
    return Emission(
        module, _inits(call, spec, _weight_shapes(call.layer, spec)), [f"{out} = {call.attr}({src})"],
        [_out(call, cf)], _slots(call.layer, spec), helpers,
    )


@handles("GroupNormalization")
def _group_norm(call: Call) -> Emission:
    spec = LAYERS["GroupNormalization"]
    (value,) = call.inputs
    if table._axis(call.config, value.shape) != value.rank - 1:
        raise Unsupported("GroupNormalization over an axis other than the channels")
    args = spec.args(call.config, value.shape)
    out = call.out_names[0]
    return Emission(
        _module(spec.torch, args, spec.positional), _inits(call, spec, _weight_shapes(call.layer, spec)),
        [f"{out} = {call.attr}({channels_first(value)})"], [_out(call, True)], _slots(call.layer, spec),
    )


@handles("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D")
def _dropout(call: Call) -> Emission:
    name = type(call.layer).__name__
    (value,) = call.inputs
    out = call.out_names[0]
    rate = call.config["rate"]
    noise = call.config.get("noise_shape")
    src, cf = value.name, value.cf
    helpers = set()
    if name.startswith("Spatial"):
        src, cf = channels_first(value), True
        module = _module(LAYERS[name].torch, {"p": rate}, 0)
    elif noise is not None and any(n is not None for n in noise):
        # Keras noise_shape in Keras axis order → torch dims.
        torch_noise = [None] * value.rank
        for axis, n in enumerate([None, *list(noise)[1:]] if len(noise) == value.rank else noise):
            torch_noise[torch_dim(axis, value.rank, value.cf)] = n
        module = f"NoiseDropout({rate!r}, {tuple(torch_noise)!r})"
        helpers.add("NoiseDropout")
    else:
        module = f"nn.Dropout({rate!r})"
    return Emission(module, [], [f"{out} = {call.attr}({src})"], [_out(call, cf, flat_from=value.flat_from)], helpers=helpers)


@handles("Activation")
def _activation(call: Call) -> Emission:
    (value,) = call.inputs
    out = call.out_names[0]
    line = activation(call.config["activation"], out, value)
    lines = [line.replace(f"({out}", f"({value.name}", 1)] if line else [f"{out} = {value.name}"]
    return Emission(None, [], lines, [_out(call, value.cf, flat_from=value.flat_from)])


@handles("Identity")
def _identity(call: Call) -> Emission:
    (value,) = call.inputs
    return Emission(None, [], [f"{call.out_names[0]} = {value.name}"], [_out(call, value.cf, flat_from=value.flat_from)])


@handles("ReLU")
def _relu(call: Call) -> Emission:
    (value,) = call.inputs
    cfg = call.config
    out, v = call.out_names[0], value.name
    top, slope, threshold = cfg.get("max_value"), cfg.get("negative_slope", 0.0), cfg.get("threshold", 0.0)
    if not slope and not threshold:
        expr = f"F.relu({v})" if top is None else f"F.relu6({v})" if float(top) == 6.0 else f"torch.clamp({v}, 0.0, {float(top)!r})"
    elif not threshold and top is None:
        expr = f"F.leaky_relu({v}, {float(slope)!r})"
    else:
        expr = f"torch.where({v} >= {float(threshold)!r}, {v}, {float(slope)!r} * ({v} - {float(threshold)!r}))"
        if top is not None:
            expr = f"torch.clamp({expr}, max={float(top)!r})"
    return Emission(None, [], [f"{out} = {expr}"], [_out(call, value.cf)])


@handles("LeakyReLU")
def _leaky(call: Call) -> Emission:
    (value,) = call.inputs
    slope = call.config.get("negative_slope", call.config.get("alpha", 0.3))
    return Emission(None, [], [f"{call.out_names[0]} = F.leaky_relu({value.name}, {float(slope)!r})"], [_out(call, value.cf)])


@handles("ELU")
def _elu(call: Call) -> Emission:
    (value,) = call.inputs
    alpha = call.config.get("alpha", 1.0)
    return Emission(None, [], [f"{call.out_names[0]} = F.elu({value.name}, {float(alpha)!r})"], [_out(call, value.cf)])


@handles("Softmax")
def _softmax(call: Call) -> Emission:
    (value,) = call.inputs
    axis = call.config.get("axis", -1)
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise Unsupported("Softmax over several axes")
        (axis,) = axis
    dim = torch_dim(axis, value.rank, value.cf)
    return Emission(None, [], [f"{call.out_names[0]} = F.softmax({value.name}, dim={dim})"], [_out(call, value.cf)])


@handles("Flatten")
def _flatten(call: Call) -> Emission:
    (value,) = call.inputs
    out = call.out_names[0]
    if value.cf and value.rank >= 3 and any(s != 1 for s in value.shape[1:-1]):
        if call.consumers and all(c == "Dense" for c in call.consumers):
            # torch flattens C,H,W where Keras flattens H,W,C: the weight mapper permutes the
            # next Linear's input rows instead of permuting here (DESIGN decision 2).
            return Emission(None, [], [f"{out} = torch.flatten({value.name}, 1)"],
                            [_out(call, False, flat_from=tuple(value.shape[1:]))])
        return Emission(None, [], [f"{out} = torch.flatten({channels_last(value)}, 1)  # Keras order: H, W, C"],
                        [_out(call, False)])
    return Emission(None, [], [f"{out} = torch.flatten({value.name}, 1)"], [_out(call, False)])


def _to_keras_order(value: Value) -> tuple[str, bool]:
    """(expression in Keras axis order, whether a permute was needed)."""
    if value.cf and value.rank >= 3 and any(s != 1 for s in value.shape[1:-1]):
        return channels_last(value), True
    if value.cf and value.rank >= 3:
        return value.name, False  # spatial dims of size 1: C,1,1 and 1,1,C lie alike in memory
    return value.name, False


@handles("Reshape")
def _reshape(call: Call) -> Emission:
    (value,) = call.inputs
    out = call.out_names[0]
    target = tuple(call.out_shapes[0][1:])
    src, _ = _to_keras_order(value)
    rank = len(target) + 1
    out_cf = rank >= 4
    if out_cf and all(s == 1 for s in target[:-1]):
        shape = (target[-1],) + target[:-1]
        return Emission(None, [], [f"{out} = {src}.reshape(-1, {', '.join(map(str, shape))})"], [_out(call, True)])
    lines = [f"{out} = {src}.reshape(-1, {', '.join(map(str, target))})"]
    if out_cf:
        lines[0] += "  # Keras order (H, W, C)"
        lines.append(f"{out} = {channels_first(Value(out, tuple(call.out_shapes[0]), False))}")
    return Emission(None, [], lines, [_out(call, out_cf)])


@handles("Permute")
def _permute(call: Call) -> Emission:
    (value,) = call.inputs
    dims = [0, *call.config["dims"]]
    rank = value.rank
    out_cf = value.cf and rank >= 4
    inverse_out = {torch_dim(k, rank, out_cf): k for k in range(rank)}
    perm = [torch_dim(dims[inverse_out[j]], rank, value.cf) for j in range(rank)]
    out = call.out_names[0]
    if perm == list(range(rank)):
        return Emission(None, [], [f"{out} = {value.name}"], [_out(call, out_cf)])
    return Emission(None, [], [f"{out} = {value.name}.permute({', '.join(map(str, perm))})"], [_out(call, out_cf)])


_MERGE = {"Add": " + ", "Subtract": " - ", "Multiply": " * "}


@handles("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate")
def _merge(call: Call) -> Emission:
    name = type(call.layer).__name__
    first = call.inputs[0]
    srcs = [v.name if v.cf == first.cf else (channels_first(v) if first.cf else channels_last(v)) for v in call.inputs]
    out = call.out_names[0]
    if name in _MERGE:
        expr = _MERGE[name].join(srcs)
    elif name == "Average":
        expr = f"({' + '.join(srcs)}) / {len(srcs)}"
    elif name in ("Maximum", "Minimum"):
        fn = "torch." + name.lower()
        expr = srcs[0]
        for s in srcs[1:]:
            expr = f"{fn}({expr}, {s})"
    else:
        dim = torch_dim(call.config.get("axis", -1), first.rank, first.cf)
        expr = f"torch.cat([{', '.join(srcs)}], dim={dim})"
    return Emission(None, [], [f"{out} = {expr}"], [_out(call, first.cf)])


@handles("Rescaling")
def _rescaling(call: Call) -> Emission:
    (value,) = call.inputs
    scale, offset = call.config.get("scale", 1.0), call.config.get("offset", 0.0)
    if not isinstance(scale, (int, float)) or not isinstance(offset, (int, float)):
        raise Unsupported("Rescaling with per-channel scale or offset is not mapped")
    expr = f"{value.name} * {float(scale)!r}" + (f" + {float(offset)!r}" if offset else "")
    return Emission(None, [], [f"{call.out_names[0]} = {expr}"], [_out(call, value.cf)])


@handles("Normalization")
def _normalization(call: Call) -> Emission:
    (value,) = call.inputs
    cfg = call.config
    if cfg.get("invert"):
        raise Unsupported("Normalization(invert=True) is not mapped")
    axes = cfg.get("axis", -1)
    axes = [a % value.rank for a in (axes if isinstance(axes, (list, tuple)) else [axes])]
    kept = [torch_dim(a, value.rank, value.cf) for a in axes]
    sizes = [value.shape[a] for a in axes]
    if sorted(kept) != kept:
        raise Unsupported("Normalization over axes whose order changes in NCHW")
    view = tuple(-1 if d == kept[0] else (value.shape[axes[kept.index(d)]] if d in kept else 1) for d in range(1, value.rank))
    if cfg.get("mean") is not None:
        mean = [float(m) for m in _listify(cfg["mean"], sizes)]
        variance = [float(v) for v in _listify(cfg["variance"], sizes)]
        slots = []
        constants = ["mean", "variance"]
    else:
        count = 1
        for s in sizes:
            count *= s
        mean, variance = f"[0.0] * {count}", f"[1.0] * {count}"
        slots = _slots(call.layer, LAYERS["Normalization"], {"mean": "flat", "variance": "flat"})
        constants = []
    module = f"Normalization({mean}, {variance}, view={view!r})"
    return Emission(
        module, [], [f"{call.out_names[0]} = {call.attr}({value.name})"], [_out(call, value.cf)], slots,
        {"Normalization"}, constants,
    )


def _listify(values: Any, sizes: list[int]) -> list[float]:
    flat = list(values) if isinstance(values, (list, tuple)) else [values]
    count = 1
    for s in sizes:
        count *= s
    return flat * count if len(flat) == 1 else flat


@handles("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
         "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D")
def _global_pool(call: Call) -> Emission:
    (value,) = call.inputs
    if call.config.get("data_format", "channels_last") != "channels_last":
        raise Unsupported("data_format='channels_first' is not mapped")
    dims = tuple(torch_dim(a, value.rank, value.cf) for a in range(1, value.rank - 1))
    keep = bool(call.config.get("keepdims"))
    fn = "mean" if "Average" in type(call.layer).__name__ else "amax"
    dim = dims[0] if len(dims) == 1 else dims
    expr = f"{value.name}.{fn}({dim}" + (", keepdim=True)" if keep else ")")
    return Emission(None, [], [f"{call.out_names[0]} = {expr}"], [_out(call, value.cf if keep else False)])


@handles("MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D")
def _pool(call: Call) -> Emission:
    spec = LAYERS[type(call.layer).__name__]
    (value,) = call.inputs
    if call.config.get("data_format", "channels_last") != "channels_last":
        raise Unsupported("data_format='channels_first' is not mapped")
    try:
        args = spec.args(call.config, value.shape)
    except ValueError as error:
        raise Unsupported(str(error)) from None
    out = call.out_names[0]
    src = channels_first(value)
    lines = []
    try:
        _check_pool_size(args, value.shape, call.out_shapes[0])
    except Unsupported:
        pads = conv_pads({**call.config, "strides": call.config.get("strides") or call.config["pool_size"]}, value.shape)
        if not type(call.layer).__name__.startswith("Max") or not pads:
            raise
        # ceil_mode cannot add the trailing cell (stride 1): pad with -inf, as TF's max pool ignores padding.
        lines.append(_spatial_pad_line(out, src, pads, value.rank, value='float("-inf")'))
        src = out
        args = {**args, "padding": 0}
        args.pop("ceil_mode", None)
        _check_pool_size(args, tuple(value.shape[:1]) + tuple(
            n + a + b if n is not None else None for n, (a, b) in zip(value.shape[1:-1], pads)) + tuple(value.shape[-1:]),
            call.out_shapes[0])
    lines.append(f"{out} = {call.attr}({src})")
    return Emission(_module(spec.torch, args, 0), [], lines, [_out(call, True)])


def _check_pool_size(args: dict, shape: tuple, out_shape: tuple) -> None:
    """torch's pool arithmetic must land on Keras's output size, or the mapping is wrong."""
    n = len(shape) - 2

    def each(v: Any) -> tuple:
        return tuple(v) if isinstance(v, tuple) else (v,) * n

    for size, want, k, s, p in zip(shape[1:-1], out_shape[1:-1], each(args["kernel_size"]), each(args["stride"]),
                                   each(args["padding"])):
        if size is None:
            continue
        span = size + 2 * p - k
        out = (-(-span // s) if args.get("ceil_mode") else span // s) + 1
        if args.get("ceil_mode") and (out - 1) * s >= size + p:
            out -= 1  # torch drops a last window that would start in the right padding
        if out != want:
            raise Unsupported(f"torch pooling gives {out} cells where Keras gives {want}")


@handles("UpSampling1D", "UpSampling2D", "UpSampling3D")
def _upsampling(call: Call) -> Emission:
    spec = LAYERS[type(call.layer).__name__]
    (value,) = call.inputs
    try:
        args = spec.args(call.config, value.shape)
    except ValueError as error:
        raise Unsupported(str(error)) from None
    out = call.out_names[0]
    return Emission(_module(spec.torch, args, 0), [], [f"{out} = {call.attr}({channels_first(value)})"], [_out(call, True)])


def _pairs(value: Any, n: int) -> list[tuple[int, int]]:
    if isinstance(value, int):
        return [(value, value)] * n
    out = []
    for v in value:
        out.append((v, v) if isinstance(v, int) else (int(v[0]), int(v[1])))
    if len(out) == 2 and n == 1 and isinstance(value[0], int):
        return [(int(value[0]), int(value[1]))]
    return out


@handles("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D")
def _zero_padding(call: Call) -> Emission:
    (value,) = call.inputs
    n = value.rank - 2
    pads = _pairs(call.config["padding"], n)
    by_dim = {torch_dim(1 + i, value.rank, value.cf): p for i, p in enumerate(pads)}
    arg = _pad_arg(by_dim, value.rank)
    return Emission(None, [], [f"{call.out_names[0]} = F.pad({value.name}, {arg})"], [_out(call, value.cf)])


@handles("Cropping1D", "Cropping2D", "Cropping3D")
def _cropping(call: Call) -> Emission:
    (value,) = call.inputs
    n = value.rank - 2
    crops = _pairs(call.config["cropping"], n)
    index = [":"] * value.rank
    for i, (a, b) in enumerate(crops):
        index[torch_dim(1 + i, value.rank, value.cf)] = f"{a or ''}:{-b if b else ''}"
    while index and index[-1] == ":":
        index.pop()
    return Emission(None, [], [f"{call.out_names[0]} = {value.name}[{', '.join(index)}]"], [_out(call, value.cf)])


@handles("Embedding")
def _embedding(call: Call) -> Emission:
    spec = LAYERS["Embedding"]
    (value,) = call.inputs
    args = spec.args(call.config, value.shape)
    out = call.out_names[0]
    return Emission(
        _module(spec.torch, args, spec.positional), _inits(call, spec, _weight_shapes(call.layer, spec)),
        [f"{out} = {call.attr}({value.name})"], [_out(call, False)], _slots(call.layer, spec),
    )


@handles("LayerScale")
def _layer_scale(call: Call) -> Emission:
    (value,) = call.inputs
    dim = torch_dim(-1, value.rank, value.cf)
    module = f"LayerScale({call.config['projection_dim']}, {float(call.config['init_values'])!r}, channel_dim={dim})"
    slots = _slots(call.layer, LAYERS["LayerScale"])
    return Emission(module, [], [f"{call.out_names[0]} = {call.attr}({value.name})"], [_out(call, value.cf)], slots, {"LayerScale"})


@handles("StochasticDepth")
def _stochastic_depth(call: Call) -> Emission:
    (value,) = call.inputs
    module = f"StochasticDepth({float(call.config['drop_path_rate'])!r})"
    return Emission(module, [], [f"{call.out_names[0]} = {call.attr}({value.name})"], [_out(call, value.cf)], helpers={"StochasticDepth"})


# --- recurrent layers ---------------------------------------------------------------------


def _rnn_parts(layer: Any, value: Value, bidirectional: bool = False) -> tuple[str, dict, list[str]]:
    name = type(layer).__name__
    spec = LAYERS[name]
    cfg = layer.get_config()
    if cfg.get("stateful"):
        raise Unsupported("stateful RNNs are not mapped")
    if cfg.get("unroll"):
        pass  # unrolling changes speed, not results
    try:
        args = spec.args(cfg, value.shape)
    except ValueError as error:
        raise Unsupported(str(error)) from None
    if bidirectional:
        args["bidirectional"] = True
    inits = []
    return _module(spec.torch, args, spec.positional), cfg, inits


def _rnn_inits(layer: Any, cfg: dict, suffix: str = "") -> list[str]:
    spec = LAYERS[type(layer).__name__]
    shapes = {}
    for v in layer.weights:
        shapes[_var_name(layer, v).split("/")[-1]] = tuple(v.shape)
    lines = []
    for key, param, _ in spec.inits:
        keras_var = {"kernel_initializer": "kernel", "recurrent_initializer": "recurrent_kernel",
                     "bias_initializer": "bias"}[key]
        if keras_var not in shapes:
            continue
        init = cfg.get(key)
        if key == "bias_initializer" and type(layer).__name__ == "LSTM" and cfg.get("unit_forget_bias", True):
            units = cfg["units"]
            lines.append(f"nn.init.zeros_({{m}}.{param}{suffix})")
            lines.append(f"nn.init.ones_({{m}}.{param}{suffix}[{units}:{2 * units}])  # unit_forget_bias")
        else:
            source = initializer_call(init, f"{{m}}.{param}{suffix}", shapes[keras_var])
            lines.append(source or f"# migrate: TODO(model.init) {param}: initializer not mapped")
        if param.startswith("bias_ih"):
            lines.append(f"nn.init.zeros_({{m}}.{param.replace('ih', 'hh')}{suffix})  # Keras has one bias")
    if type(layer).__name__ == "GRU":
        lines.append(f"nn.init.zeros_({{m}}.bias_ih_l0{suffix})")
        lines.append(f"nn.init.zeros_({{m}}.bias_hh_l0{suffix})")
    return lines


def _rnn_slots(layer: Any, prefix: str, suffix: str, base_index: int, names: list[str]) -> list[WeightSlot]:
    kind = type(layer).__name__
    slots = []
    for weight in LAYERS[kind].weights:
        for i, name in enumerate(names):
            if name.split("/")[-1] == weight.keras and name.startswith(prefix):
                torch_name = "+".join(t + suffix for t in weight.torch.split("+"))
                slots.append(WeightSlot(name, i, torch_name, weight.layout, {"cell": kind}))
    return slots


@handles("SimpleRNN", "LSTM", "GRU")
def _rnn(call: Call) -> Emission:
    layer = call.layer
    value = call.inputs[0]
    if len(call.inputs) > 1:
        raise Unsupported("initial_state is not mapped")
    module, cfg, _ = _rnn_parts(layer, value)
    src = channels_last(value)
    if cfg.get("go_backwards"):
        src = f"torch.flip({src}, (1,))"
    kind = type(layer).__name__
    seq, state = call.out_names[0], call.out_names[1:]
    names = [_var_name(layer, v) for v in layer.weights]
    if kind == "LSTM":
        lines = [f"{seq}, (h_n, c_n) = {call.attr}({src})"]
        finals = ["h_n[0]", "c_n[0]"]
    else:
        lines = [f"{seq}, h_n = {call.attr}({src})"]
        finals = ["h_n[0]"]
    if not cfg.get("return_sequences"):
        lines.append(f"{seq} = {finals[0]}")
    for name, final in zip(state, finals):
        lines.append(f"{name} = {final}")
    outs = [Value(n, tuple(s), False) for n, s in zip(call.out_names, call.out_shapes)]
    return Emission(module, _rnn_inits(layer, cfg), lines, outs, _rnn_slots(layer, "", "", 0, names))


@handles("Bidirectional")
def _bidirectional(call: Call) -> Emission:
    layer = call.layer
    value = call.inputs[0]
    forward, backward = layer.forward_layer, layer.backward_layer
    if type(forward).__name__ not in ("SimpleRNN", "LSTM", "GRU") or type(backward) is not type(forward):
        raise Unsupported("Bidirectional of anything but a matching SimpleRNN/LSTM/GRU pair")
    if forward.get_config().get("go_backwards") or not backward.get_config().get("go_backwards"):
        raise Unsupported("Bidirectional with a custom backward layer")
    if len(call.inputs) > 1:
        raise Unsupported("initial_state is not mapped")
    module, cfg, _ = _rnn_parts(forward, value, bidirectional=True)
    merge = layer.merge_mode
    units = cfg["units"]
    kind = type(forward).__name__
    out = call.out_names[0]
    lines = [f"{out}, (h_n, c_n) = {call.attr}({channels_last(value)})" if kind == "LSTM" else f"{out}, h_n = {call.attr}({channels_last(value)})"]
    if not cfg.get("return_sequences"):
        lines.append(f"{out} = torch.cat([h_n[0], h_n[1]], dim=-1)")
    if merge is None or len(call.out_names) > 1:
        raise Unsupported("Bidirectional with merge_mode=None or return_state is not mapped")
    combine = {
        "concat": None,
        "sum": f"{out}[..., :{units}] + {out}[..., {units}:]",
        "mul": f"{out}[..., :{units}] * {out}[..., {units}:]",
        "ave": f"({out}[..., :{units}] + {out}[..., {units}:]) / 2",
    }[merge]
    if combine:
        lines.append(f"{out} = {combine}")
    names = [_var_name(layer, v) for v in layer.weights]
    fwd_prefix = names[0].split("/")[0] + "/" if "/" in names[0] else ""
    slots = []
    for i, name in enumerate(names):
        head = name.split("/")[0]
        suffix = "" if head == forward.name else "_reverse" if head == backward.name else None
        if suffix is None:
            continue
        for weight in LAYERS[kind].weights:
            if name.split("/")[-1] == weight.keras:
                torch_name = "+".join(t + suffix for t in weight.torch.split("+"))
                slots.append(WeightSlot(name, i, torch_name, weight.layout, {"cell": kind}))
    del fwd_prefix
    inits = _rnn_inits(forward, cfg) + _rnn_inits(backward, backward.get_config(), "_reverse")
    return Emission(module, inits, lines, [_out(call, False)], slots)


@handles("MultiHeadAttention")
def _mha(call: Call) -> Emission:
    layer = call.layer
    cfg = call.config
    args = call.inputs
    query, value = args[0], args[1]
    key = args[2] if len(args) > 2 else None
    if cfg.get("output_shape") not in (None, []) or cfg.get("attention_axes") not in (None, [1], (1,)):
        raise Unsupported("MultiHeadAttention with output_shape or attention_axes is not mapped")
    kw = call.call_kwargs
    if any(kw.get(k) is not None for k in ("attention_mask", "query_mask", "value_mask", "key_mask")):
        raise Unsupported("MultiHeadAttention masks are not mapped")
    if kw.get("return_attention_scores"):
        raise Unsupported("return_attention_scores is not mapped")
    heads, key_dim = cfg["num_heads"], cfg["key_dim"]
    value_dim = cfg.get("value_dim") or key_dim
    qd, vd = query.shape[-1], value.shape[-1]
    kd = key.shape[-1] if key is not None else vd
    module = (
        f"MultiHeadAttention({qd}, {kd}, {vd}, num_heads={heads}, head_dim={key_dim}, value_head_dim={value_dim}, "
        f"output_dim={qd}, bias={cfg.get('use_bias', True)}, dropout={float(cfg.get('dropout', 0.0))!r})"
    )
    srcs = [channels_last(query), channels_last(value)] + ([channels_last(key)] if key is not None else [])
    causal = ", is_causal=True" if kw.get("use_causal_mask") else ""
    out = call.out_names[0]
    inits = []
    shapes = {_var_name(layer, v): tuple(v.shape) for v in layer.weights}
    for part in ("query", "key", "value", "attention_output"):
        for var, param, key_ in (("kernel", "weight", "kernel_initializer"), ("bias", "bias", "bias_initializer")):
            if f"{part}/{var}" in shapes:
                line = initializer_call(cfg.get(key_), f"{{m}}.{part}.{param}", shapes[f"{part}/{var}"])
                inits.append(line or f"# migrate: TODO(model.init) {part}.{param}")
    return Emission(
        module, inits, [f"{out} = {call.attr}({', '.join(srcs)}{causal})"], [_out(call, False)],
        _slots(layer, LAYERS["MultiHeadAttention"]), {"MultiHeadAttention"},
    )
