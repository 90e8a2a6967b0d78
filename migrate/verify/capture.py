"""Intermediate outputs of both models on one batch, by layer.

Keras: every leaf layer's ``call`` is wrapped on the instance for one eager forward pass, so
each call of each layer (a shared layer is called more than once; nested models are walked)
is recorded in execution order — a topological order of the graph — with its inputs and its
output. A layer with a fused activation (``Dense(…, activation="relu")``) is also run once with
the activation switched off, because the migrated module applies it in ``forward`` after the
module (as `migrate model` writes it), where a hook on the module sees the value before it.

torch: a forward hook on every named submodule records its inputs and outputs per call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from migrate.weights.keras_model import LayerPath, leaf_layers

# Keras layers whose ``activation`` is applied to their output (not inside a recurrence).
FUSED_ACTIVATION = frozenset(
    "Dense EinsumDense Conv1D Conv2D Conv3D Conv1DTranspose Conv2DTranspose Conv3DTranspose "
    "DepthwiseConv1D DepthwiseConv2D SeparableConv1D SeparableConv2D".split()
)


@dataclass
class KerasCall:
    leaf: LayerPath
    index: int  # the how-manieth call of this layer (shared layers are called again)
    inputs: list[np.ndarray]
    output: Any  # np.ndarray, or a list of them (a layer with several outputs)
    before_activation: np.ndarray | None = None  # the output with the fused activation off
    activation: str | None = None

    @property
    def kind(self) -> str:
        return type(self.leaf.layer).__name__


@dataclass
class TorchCalls:
    calls: dict[str, list[tuple[tuple[Any, ...], Any]]] = field(default_factory=dict)  # module path → [(inputs, output)]


def _arrays(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_arrays(v) for v in value]
    if isinstance(value, dict):
        return [_arrays(v) for v in value.values()]
    try:
        return np.asarray(value)
    except Exception:  # noqa: BLE001 - a non-tensor argument (a mask, None) is not recorded
        return None


def _activation_name(layer: Any) -> str | None:
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", None)
    return None if activation is None or name == "linear" else name or type(activation).__name__


@contextlib.contextmanager
def keras_recording(model: Any) -> Iterator[list[KerasCall]]:
    import keras

    records: list[KerasCall] = []
    counts: dict[int, int] = {}
    wrapped: list[Any] = []

    def wrap(leaf: LayerPath) -> None:
        layer = leaf.layer
        plain = layer.call
        activation = _activation_name(layer) if type(layer).__name__ in FUSED_ACTIVATION else None

        def call(*args: Any, **kwargs: Any) -> Any:
            output = plain(*args, **kwargs)
            before = None
            if activation is not None:
                fused = layer.activation
                object.__setattr__(layer, "activation", keras.activations.linear)
                try:
                    before = np.asarray(plain(*args, **kwargs))
                finally:
                    object.__setattr__(layer, "activation", fused)
            index = counts.get(id(layer), 0)
            counts[id(layer)] = index + 1
            inputs = [a for a in (_arrays(x) for x in args) if a is not None]
            records.append(KerasCall(leaf, index, inputs, _arrays(output), before, activation))
            return output

        object.__setattr__(layer, "call", call)
        wrapped.append(layer)

    try:
        for leaf in leaf_layers(model):
            wrap(leaf)
        yield records
    finally:
        for layer in wrapped:
            object.__delattr__(layer, "call")


@contextlib.contextmanager
def torch_recording(module: Any) -> Iterator[TorchCalls]:
    found = TorchCalls()
    handles = []
    for name, sub in module.named_modules():
        if not name:
            continue

        def hook(_module: Any, args: tuple[Any, ...], output: Any, _name: str = name) -> None:
            found.calls.setdefault(_name, []).append((tuple(_detach(a) for a in args), _detach(output)))

        handles.append(sub.register_forward_hook(hook))
    try:
        yield found
    finally:
        for handle in handles:
            handle.remove()


def _detach(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return type(value)(_detach(v) for v in value)
    return value.detach().cpu() if hasattr(value, "detach") else value
