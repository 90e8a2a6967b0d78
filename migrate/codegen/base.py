"""What every layer handler shares: values and their layout, emissions, the handler registry.

Tensors in the generated forward are channels-first (NCHW) when they are images (rank ≥ 4);
a rank-3 tensor is (batch, steps, features) — channels last — unless a 1-D conv made it
(batch, channels, steps). ``Value.cf`` records which, and every axis a Keras layer names is
mapped through it. A layer that needs the other layout gets an explicit transpose, which a
model of one kind (all images, or all sequences) never needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrate.rules import layers as table
from migrate.rules.layers import initializer_call
from migrate.weights.keras_model import variable_name


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


def call_args(args: dict, positional: int) -> str:
    items = list(args.items())
    parts = [repr(v) for _, v in items[:positional]] + [f"{k}={v!r}" for k, v in items[positional:]]
    return ", ".join(parts)


def module_source(spec_torch: str, args: dict, positional: int) -> str:
    defaults = dict(table.TORCH_ARGUMENT_DEFAULTS)  # written out they read as noise
    if "Pool" in spec_torch:
        defaults.pop("stride")  # a torch pool's stride defaults to its kernel size, not 1
    keep = {k: v for i, (k, v) in enumerate(args.items()) if i < positional or defaults.get(k, object()) != v}
    name = spec_torch.replace("torch.nn.", "nn.")
    return f"{name}({call_args(keep, positional)})"


def weight_slots(layer: Any, spec: table.LayerSpec, layout_override: dict | None = None, extra: dict | None = None) -> list[WeightSlot]:
    names = [variable_name(layer, v) for v in layer.weights]
    slots = []
    for weight in spec.weights:
        if weight.keras in names:
            layout = (layout_override or {}).get(weight.keras, weight.layout)
            more = dict(extra or {}) if layout != "same" else {}
            slots.append(WeightSlot(weight.keras, names.index(weight.keras), weight.torch, layout, more))
    return slots


def init_lines(call: Call, spec: table.LayerSpec, shapes: dict[str, tuple]) -> list[str]:
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


def weight_shapes(layer: Any, spec: table.LayerSpec) -> dict[str, tuple]:
    names = {variable_name(layer, v): tuple(v.shape) for v in layer.weights}
    return {w.torch: names[w.keras] for w in spec.weights if w.keras in names}


# ---------------------------------------------------------------------------------------
# Activations, from the layer table (rules/layers.py ACTIVATION_FUNCTIONS and its arguments).


def activation(name: Any, var: str, value: Value) -> str | None:
    """``var = <activation>(var)`` or None for linear; raises Unsupported for the unknown."""
    if isinstance(name, dict):
        name = name.get("config", {}).get("name", name.get("class_name"))
    if name in (None, "linear"):
        return None
    function = table.ACTIVATION_FUNCTIONS.get(name)
    if function is None:
        raise Unsupported(f"activation {name!r} is not mapped")
    args = [var] + [f"{key}={arg!r}" for key, arg in table.ACTIVATION_MODULES.get(name, ("", {}))[1].items()]
    if name in table.ACTIVATIONS_WITH_DIM:
        args.append(f"dim={torch_dim(-1, value.rank, value.cf)}")
    return f"{var} = {function.replace('torch.nn.functional.', 'F.')}({', '.join(args)})"


# ---------------------------------------------------------------------------------------
# Handlers, one per Keras class (or family).

HANDLERS: dict[str, Any] = {}


def handles(*names: str):
    def register(fn):
        for name in names:
            HANDLERS[name] = fn
        return fn

    return register


def output(call: Call, cf: bool, i: int = 0, **more: Any) -> Value:
    return Value(call.out_names[i], tuple(call.out_shapes[i]), cf, **more)


def pad_arg(pads_by_dim: dict[int, tuple[int, int]], rank: int) -> tuple[int, ...]:
    """F.pad's argument: pairs from the last dim backwards to the first padded one."""
    first = min(pads_by_dim)
    out: list[int] = []
    for dim in range(rank - 1, first - 1, -1):
        out.extend(pads_by_dim.get(dim, (0, 0)))
    return tuple(out)


def pad_line(var: str, src: str, pads: list[tuple[int, int]], rank: int, value: str = "") -> str:
    arg = pad_arg({2 + i: p for i, p in enumerate(pads)}, rank)
    fill = f", value={value}" if value else ""
    return f"{var} = F.pad({src}, {arg}{fill})  # TF 'same': the odd pixel goes bottom/right"
