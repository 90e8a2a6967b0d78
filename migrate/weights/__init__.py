"""Keras weights into the migrated PyTorch module (``migrate weights``).

The route (DESIGN.md): Keras model → tf2onnx → ONNX, every layer's variables read back from
the ONNX graph by the layer that made them, checked against the Keras variables, moved to
torch layout, and keyed by the module's attribute names → a state_dict the module loads
with ``strict=True``.

    from migrate.weights import convert
    state = convert("model.keras", MyModule())   # or a keras.Model
    module.load_state_dict(state)

TensorFlow, tf2onnx, onnx and torch are imported when a function runs, never on import.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import WeightsError


@dataclass
class Conversion:
    state_dict: dict[str, Any]  # parameter/buffer name → torch.Tensor
    onnx: Any  # the onnx.ModelProto the weights came through (BatchNormalization unfused)
    layers: int  # Keras layers whose weights were placed


def export_onnx(model: Any) -> Any:
    """The ONNX export ``convert`` reads weights from (an ``onnx.ModelProto``)."""
    from .export import to_onnx

    return to_onnx(_as_model(model))[0]


def convert(model: Any, module: Any, unsafe: bool = False) -> dict[str, Any]:
    """The state_dict for ``module`` (the migrated nn.Module) from ``model`` (a keras.Model or
    a .keras/.h5 path). Lazy modules are materialised first. Raises ``WeightsError``."""
    return run(model, module, unsafe=unsafe).state_dict


def run(model: Any, module: Any, unsafe: bool = False) -> Conversion:
    from .export import to_onnx
    from .keras_model import input_layouts, input_specs, leaf_layers
    from .mapper import check_supported, keyed_arrays, state_dict_for
    from .module import materialise

    model = _as_model(model, unsafe)
    check_supported(leaf_layers(model))  # before the slow export
    materialise(module, input_specs(model), input_layouts(model))
    proto, scopes = to_onnx(model)
    arrays, owners = keyed_arrays(model, proto, scopes)
    state = state_dict_for(module, arrays, owners)
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise WeightsError(f"module {type(module).__name__}: load_state_dict(strict=True) failed: {error}") from None
    return Conversion(state, proto, len(set(owners.values())))


def _as_model(model: Any, unsafe: bool = False) -> Any:
    if isinstance(model, (str, Path)):
        from .keras_model import load

        return load(model, unsafe=unsafe)
    return model


__all__ = ["Conversion", "WeightsError", "convert", "export_onnx", "run"]
