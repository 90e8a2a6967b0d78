"""Normalisation, dropout and ConvNeXt's LayerScale / StochasticDepth."""

from __future__ import annotations

from typing import Any

from migrate.rules import layers as table
from migrate.rules.layers import LAYERS

from .base import (
    Call,
    Emission,
    Unsupported,
    channels_first,
    channels_last,
    handles,
    init_lines,
    module_source,
    output,
    torch_dim,
    weight_shapes,
    weight_slots,
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
    module = module_source(spec.by_rank[value.rank], args, spec.positional)
    out = call.out_names[0]
    return Emission(
        module, init_lines(call, spec, weight_shapes(call.layer, spec)), [f"{out} = {call.attr}({src})"],
        [output(call, cf if value.rank >= 3 else value.cf)], weight_slots(call.layer, spec),
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
        module = module_source(spec.torch, args, spec.positional)
        cf = False
    return Emission(
        module, init_lines(call, spec, weight_shapes(call.layer, spec)), [f"{out} = {call.attr}({src})"],
        [output(call, cf)], weight_slots(call.layer, spec), helpers,
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
        module_source(spec.torch, args, spec.positional), init_lines(call, spec, weight_shapes(call.layer, spec)),
        [f"{out} = {call.attr}({channels_first(value)})"], [output(call, True)], weight_slots(call.layer, spec),
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
        module = module_source(LAYERS[name].torch, {"p": rate}, 0)
    elif noise is not None and any(n is not None for n in noise):
        # Keras noise_shape in Keras axis order → torch dims.
        torch_noise = [None] * value.rank
        for axis, n in enumerate([None, *list(noise)[1:]] if len(noise) == value.rank else noise):
            torch_noise[torch_dim(axis, value.rank, value.cf)] = n
        module = f"NoiseDropout({rate!r}, {tuple(torch_noise)!r})"
        helpers.add("NoiseDropout")
    else:
        module = f"nn.Dropout({rate!r})"
    return Emission(module, [], [f"{out} = {call.attr}({src})"], [output(call, cf, flat_from=value.flat_from)], helpers=helpers)



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
        slots = weight_slots(call.layer, LAYERS["Normalization"], {"mean": "flat", "variance": "flat"})
        constants = []
    module = f"Normalization({mean}, {variance}, view={view!r})"
    return Emission(
        module, [], [f"{call.out_names[0]} = {call.attr}({value.name})"], [output(call, value.cf)], slots,
        {"Normalization"}, constants,
    )


def _listify(values: Any, sizes: list[int]) -> list[float]:
    flat = list(values) if isinstance(values, (list, tuple)) else [values]
    count = 1
    for s in sizes:
        count *= s
    return flat * count if len(flat) == 1 else flat



@handles("LayerScale")
def _layer_scale(call: Call) -> Emission:
    (value,) = call.inputs
    dim = torch_dim(-1, value.rank, value.cf)
    module = f"LayerScale({call.config['projection_dim']}, {float(call.config['init_values'])!r}, channel_dim={dim})"
    slots = weight_slots(call.layer, LAYERS["LayerScale"])
    return Emission(module, [], [f"{call.out_names[0]} = {call.attr}({value.name})"], [output(call, value.cf)], slots, {"LayerScale"})


@handles("StochasticDepth")
def _stochastic_depth(call: Call) -> Emission:
    (value,) = call.inputs
    module = f"StochasticDepth({float(call.config['drop_path_rate'])!r})"
    return Emission(module, [], [f"{call.out_names[0]} = {call.attr}({value.name})"], [output(call, value.cf)], helpers={"StochasticDepth"})
