"""Dense, convolutions, pooling, upsampling, zero padding and cropping."""

from __future__ import annotations

from typing import Any

from migrate.rules import layers as table
from migrate.rules.layers import LAYERS, conv_pads, symmetric, transpose_crops

from .base import (
    Call,
    Emission,
    Unsupported,
    Value,
    activation,
    channels_first,
    handles,
    init_lines,
    module_source,
    output,
    pad_arg,
    pad_line,
    torch_dim,
    weight_shapes,
    weight_slots,
)


@handles("Dense")
def _dense(call: Call) -> Emission:
    spec = LAYERS["Dense"]
    (value,) = call.inputs
    cfg = call.config
    out = call.out_names[0]
    args = spec.args(cfg, value.shape)
    shapes = weight_shapes(call.layer, spec)
    if value.cf and value.rank >= 3:
        # Dense on an image acts on the channel axis: a 1×1 conv keeps NCHW (no permute).
        n = value.rank - 2
        bias = "" if args["bias"] else ", bias=False"
        module = f"nn.Conv{n}d({args['in_features']}, {args['out_features']}, kernel_size=1{bias})"
        slots = weight_slots(call.layer, spec, {"kernel": "dense_conv"})
        result = Value(out, tuple(call.out_shapes[0]), True)
    else:
        module = module_source(spec.torch, args, spec.positional)
        extra = {"flatten_from": value.flat_from} if value.flat_from else {}
        slots = weight_slots(call.layer, spec, extra=extra)
        result = Value(out, tuple(call.out_shapes[0]), value.cf)
    lines = [f"{out} = {call.attr}({value.name})"]
    act = activation(cfg.get("activation"), out, result)
    lines += [act] if act else []
    return Emission(module, init_lines(call, spec, shapes), lines, [result], slots)


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
        lines.append(pad_line(out, src, pads, value.rank))
        src = out
    lines.append(f"{out} = {call.attr}({src})")
    result = output(call, True)
    act = activation(cfg.get("activation"), out, result)
    lines += [act] if act else []
    return Emission(
        module_source(torch_cls, args, spec.positional), init_lines(call, spec, weight_shapes(call.layer, spec)), lines,
        [result], weight_slots(call.layer, spec),
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
        f"nn.Sequential({module_source(f'torch.nn.Conv{n}d', dw, 3)}, "
        f"nn.Conv{n}d({channels}, {cfg['filters']}, kernel_size=1{'' if cfg['use_bias'] else ', bias=False'}))"
    )
    lines = []
    src = channels_first(value)
    if pads and not symmetric(pads):
        lines.append(pad_line(out, src, pads, value.rank))
        src = out
    lines.append(f"{out} = {call.attr}({src})")
    result = output(call, True)
    act = activation(cfg.get("activation"), out, result)
    lines += [act] if act else []
    return Emission(module, init_lines(call, spec, weight_shapes(call.layer, spec)), lines, [result], weight_slots(call.layer, spec))


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
    result = output(call, True)
    act = activation(cfg.get("activation"), out, result)
    lines += [act] if act else []
    return Emission(
        module_source(spec.torch, args, spec.positional), init_lines(call, spec, weight_shapes(call.layer, spec)), lines,
        [result], weight_slots(call.layer, spec),
    )



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
        lines.append(pad_line(out, src, pads, value.rank, value='float("-inf")'))
        src = out
        args = {**args, "padding": 0}
        args.pop("ceil_mode", None)
        _check_pool_size(args, tuple(value.shape[:1]) + tuple(
            n + a + b if n is not None else None for n, (a, b) in zip(value.shape[1:-1], pads)) + tuple(value.shape[-1:]),
            call.out_shapes[0])
    lines.append(f"{out} = {call.attr}({src})")
    return Emission(module_source(spec.torch, args, 0), [], lines, [output(call, True)])


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
    return Emission(module_source(spec.torch, args, 0), [], [f"{out} = {call.attr}({channels_first(value)})"], [output(call, True)])


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
    arg = pad_arg(by_dim, value.rank)
    return Emission(None, [], [f"{call.out_names[0]} = F.pad({value.name}, {arg})"], [output(call, value.cf)])


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
    return Emission(None, [], [f"{call.out_names[0]} = {value.name}[{', '.join(index)}]"], [output(call, value.cf)])
