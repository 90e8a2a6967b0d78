"""Keras model + ONNX export + migrated nn.Module → the module's state_dict.

For every Keras layer with weights: read its variables back from the ONNX graph (``sites``),
check each equals the Keras variable bit for bit, move it to the torch layout the layer table
names (``rules/layers.py``, ``layouts``), fix a Dense after a Flatten of an image, and key it
by the module attribute path (``encoder.dense.weight``). Then hold the result against the
module's own state_dict: every tensor placed, every parameter filled, every shape equal.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from migrate.rules.layers import LAYERS, Weight

from . import layouts
from .errors import WeightsError
from .keras_model import LayerPath, flatten_source, leaf_layers, model_output_ids, variable_name
from .onnx_graph import OnnxGraph
from .sites import DERIVED_RTOL, READERS, is_custom, reader_for


def check_supported(leaves: list[LayerPath]) -> None:
    """Refuse, before the slow export, a layer whose weights have no known place."""
    for leaf in leaves:
        layer, kind = leaf.layer, type(leaf.layer).__name__
        if kind == "Lambda":
            continue  # loaded under --unsafe: runs in the graph, holds no weights
        if not layer.weights:
            continue
        if is_custom(layer):
            inner = [sub.name for sub in layer._flatten_layers(include_self=False) if sub.weights]  # noqa: SLF001
            if inner:
                raise WeightsError(
                    f"layer {leaf.name!r}: custom layer {kind} holds layers with weights ({inner[0]!r}); "
                    "only a custom layer's own add_weight variables are mapped"
                )
            continue
        if kind not in LAYERS or kind not in READERS:
            raise WeightsError(f"layer {leaf.name!r}: {kind} has weights, and migrate weights has no mapping for {kind}")
        if kind == "Bidirectional":
            inner = type(layer.forward_layer).__name__
            if inner not in ("LSTM", "GRU", "SimpleRNN") or type(layer.backward_layer) is not type(layer.forward_layer):
                raise WeightsError(f"layer {leaf.name!r}: Bidirectional of {inner} has no mapping (LSTM, GRU, SimpleRNN pairs only)")
            layer = layer.forward_layer
            kind = inner
        if kind == "GRU" and not getattr(layer, "reset_after", True):
            raise WeightsError(
                f"layer {leaf.name!r}: GRU(reset_after=False) has no torch.nn.GRU equivalent "
                "(torch applies the reset gate after the recurrent matmul)"
            )


def table_rows(layer: Any) -> tuple[str, tuple[Weight, ...]]:
    """(the Keras class whose gate order the layouts follow, the layer's table rows).

    A Bidirectional has no rows of its own: it is one torch RNN with ``bidirectional=True``,
    the forward layer's variables on the wrapped class's rows and the backward layer's on the
    same rows with ``_reverse`` after each torch name (as `migrate model` emits it)."""
    kind = type(layer).__name__
    if is_custom(layer):
        # A user's layer: each add_weight variable is the module's Parameter of the same name,
        # in the Keras shape (`self.kernel = self.add_weight(...)` → `nn.Parameter`).
        return kind, tuple(Weight(variable_name(layer, v), variable_name(layer, v)) for v in layer.weights)
    if kind != "Bidirectional":
        return kind, LAYERS[kind].weights
    inner = type(layer.forward_layer).__name__
    directions = {layer.forward_layer.name: "", layer.backward_layer.name: "_reverse"}
    rows = []
    for variable in layer.weights:
        name = variable_name(layer, variable)
        suffix = directions.get(name.split("/")[0])
        for weight in LAYERS[inner].weights:
            if suffix is not None and name.split("/")[-1] == weight.keras:
                torch_name = "+".join(t + suffix for t in weight.torch.split("+"))
                rows.append(Weight(name, torch_name, weight.layout))
    return inner, tuple(rows)


def keras_arrays(layer: Any) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for variable in layer.weights:
        name = variable_name(layer, variable)
        if name in arrays:
            raise WeightsError(f"layer {layer.name!r}: two variables named {name!r}")
        arrays[name] = np.asarray(variable.numpy())
    return arrays


def _fit(value: np.ndarray, shape: tuple[int, ...], where: str) -> np.ndarray:
    """``value`` with ``shape``, when they differ only by dimensions of size 1 ((1,C,1,1) → (C,))."""
    if value.shape == shape:
        return value
    if tuple(d for d in value.shape if d != 1) == tuple(d for d in shape if d != 1):
        return value.reshape(shape)
    raise WeightsError(f"{where}: ONNX holds shape {value.shape}, the Keras variable has {shape}")


def recover(leaf: LayerPath, graph: OnnxGraph, dropped: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
    """Each Keras variable of the layer, as read from ONNX and checked against Keras.

    ``dropped``: variables the torch module has no place for by design (the layer table's
    ``dropped``, such as Normalization's ``count``); they are not looked for."""
    layer = leaf.layer
    reader = reader_for(layer)
    found = reader.read(graph.view(leaf), layer)
    recovered: dict[str, np.ndarray] = {}
    for name, expected in keras_arrays(layer).items():
        if name in dropped:
            continue
        where = f"layer {leaf.name!r} ({type(layer).__name__}) variable {name!r}"
        if name in reader.derived:
            # Read back through folded arithmetic: equal to rounding, then Keras's own value.
            # TF may fold it further into the next layer's constant (Normalization then
            # Rescaling): then only the Keras variable holds it, and that is what is placed.
            for candidate in found.get(name, []):
                if not np.allclose(np.reshape(candidate, expected.shape), expected, rtol=DERIVED_RTOL, atol=0.0):
                    raise WeightsError(f"{where}: the ONNX graph's value does not match the Keras variable")
            recovered[name] = expected
            continue
        candidates = [_fit(np.asarray(v, dtype=expected.dtype), expected.shape, where) for v in found.get(name, [])]
        if not candidates:
            if not np.any(expected):
                # An all-zero tensor (a fresh bias) is optimised out of the graph: proven zero.
                recovered[name] = np.zeros_like(expected)
                continue
            if is_custom(layer):
                raise WeightsError(
                    f"{where}: not found among the constants its ONNX nodes read (TF folded it into "
                    "other arithmetic), so it cannot be placed; custom layer weights are matched by value"
                )
            raise WeightsError(f"{where}: not found in the ONNX graph")
        for candidate in candidates:
            if not np.array_equal(candidate, expected):
                delta = float(np.max(np.abs(candidate.astype(np.float64) - expected)))
                raise WeightsError(
                    f"{where}: the ONNX tensor differs from the Keras variable (max |Δ| {delta:.3g}); "
                    "this is a bug in migrate weights, please report it"
                )
        recovered[name] = candidates[0]
    return recovered


def _flattened_image(graph: OnnxGraph, leaf: LayerPath, proto: Any) -> tuple[int, ...] | None:
    """For a Dense inside a subclassed model, whose calls Keras keeps no graph of: the spatial
    shape (H, W…) of the image a Flatten layer fed it, read from the ONNX graph, else None. The
    source rewrite's ``nn.Flatten`` flattens the NCHW tensor (C, H, W), as `migrate model`'s
    does, so the weight's columns move as ``flatten_source`` says for a graph model."""
    matmuls = graph.view(leaf).of("MatMul")
    if len(matmuls) != 1:
        return None
    node = graph.producers.get(matmuls[0].input[0])
    while node is not None and node.op_type == "Identity":  # a Dropout between them
        node = graph.producers.get(node.input[0])
    if node is None or node.op_type != "Reshape":
        return None
    owner = graph.leaf_of(node.name)
    if owner is None or type(owner.layer).__name__ != "Flatten":
        return None
    import onnx

    inferred = onnx.shape_inference.infer_shapes(proto).graph
    for info in (*inferred.value_info, *inferred.input):
        if info.name == node.input[0]:
            dims = tuple(d.dim_value if d.HasField("dim_value") else None for d in info.type.tensor_type.shape.dim)
            # Keras layout (N, H, W…, C): an image (rank 4 or more) is channels-first in torch
            if len(dims) >= 4 and None not in dims[1:]:
                return tuple(int(d) for d in dims[1:-1])
            return None
    return None


def keyed_arrays(model: Any, proto: Any, scopes: dict[str, list[Any]]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """({state_dict key: torch-layout array}, {key: Keras layer path}) for the whole model."""
    leaves = leaf_layers(model)
    check_supported(leaves)
    graph = OnnxGraph(proto, scopes, leaves, {name: r.ops for name, r in READERS.items()})
    arrays: dict[str, np.ndarray] = {}
    owners: dict[str, str] = {}
    outputs = model_output_ids(model)
    for leaf in leaves:
        if not leaf.layer.weights or type(leaf.layer).__name__ == "Lambda":
            continue
        kind, rows = table_rows(leaf.layer)
        recovered = recover(leaf, graph, frozenset(LAYERS[kind].dropped) if kind in LAYERS else frozenset())
        spatial = flatten_source(leaf.layer, outputs) if kind == "Dense" else None
        if kind == "Dense" and spatial is None and not getattr(leaf.layer, "_inbound_nodes", None):
            spatial = _flattened_image(graph, leaf, proto)
        unplaced = sorted(set(recovered) - {w.keras for w in rows})
        if unplaced:
            raise WeightsError(
                f"layer {leaf.name!r} ({kind}): variable {unplaced[0]!r} has no place in the torch "
                "module (the layer table has no row for it)"
            )
        for weight in rows:
            if weight.keras not in recovered:
                continue  # use_bias=False and the like: the module has no such tensor either
            value = layouts.to_torch(weight.layout, recovered[weight.keras], kind)
            if spatial is not None and weight.torch == "weight":
                value = layouts.flatten_rows_hwc_to_chw(value, spatial)
            targets = weight.torch.split("+")  # "bias_ih_l0+bias_hh_l0": one row each
            parts = [value] if len(targets) == 1 else list(value)
            for target, part in zip(targets, parts, strict=True):
                key = f"{leaf.attr}.{target}"
                arrays[key] = part
                owners[key] = leaf.name
        # Keras's LSTM and SimpleRNN add one bias; torch adds bias_ih and bias_hh. The Keras
        # math is bias_hh = 0 (and the ONNX LSTM's recurrent bias was checked to be zero).
        for suffix in ("", "_reverse"):
            ih, hh = f"{leaf.attr}.bias_ih_l0{suffix}", f"{leaf.attr}.bias_hh_l0{suffix}"
            if kind in ("LSTM", "SimpleRNN") and ih in arrays and hh not in arrays:
                arrays[hh] = np.zeros_like(arrays[ih])
                owners[hh] = leaf.name
    return arrays, owners


def _squeezed(shape: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in shape if d != 1)


def _inside_sequential(module: Any, key: str, own: Any) -> str | None:
    """``key`` inside the one child of an ``nn.Sequential`` that holds it (``hidden.weight`` →
    ``hidden.0.weight``), or None. The source rewrite writes a layer with ``activation=`` as
    ``nn.Sequential(layer, activation)`` under the attribute a subclassed model gave the layer."""
    import torch

    parts = key.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        attr, rest = ".".join(parts[:cut]), ".".join(parts[cut:])
        try:
            container = module.get_submodule(attr)
        except AttributeError:
            continue
        if isinstance(container, torch.nn.Sequential):
            found = [f"{attr}.{child}.{rest}" for child, _ in container.named_children() if f"{attr}.{child}.{rest}" in own]
            return found[0] if len(found) == 1 else None
    return None


def state_dict_for(module: Any, arrays: dict[str, np.ndarray], owners: dict[str, str]) -> dict[str, Any]:
    """The arrays as the module's state_dict, in its key order; refuses any mismatch."""
    import torch

    own = module.state_dict()
    for key in [k for k in arrays if k not in own]:
        moved = _inside_sequential(module, key, own)
        if moved is not None and moved not in arrays:
            arrays[moved] = arrays.pop(key)
            owners[moved] = owners.pop(key)
    # Keras side first: a layer without its attribute is the likelier mistake, and the
    # message can name the Keras layer.
    extra = [key for key in arrays if key not in own]
    if extra:
        key = extra[0]
        attr = key.rsplit(".", 1)[0]
        raise WeightsError(
            f"layer {owners[key]!r}: the module {type(module).__name__} has no {key} "
            f"(expected an attribute {attr!r} named after the Keras layer)"
        )
    result: dict[str, torch.Tensor] = {}
    for key, tensor in own.items():
        if key.endswith("num_batches_tracked"):
            result[key] = tensor.clone()  # a counter, not a weight: Keras has none
            continue
        if key not in arrays:
            layer = key.rsplit(".", 1)[0]
            raise WeightsError(
                f"module {type(module).__name__}: {key} has no Keras weight (no Keras layer maps to "
                f"attribute {layer!r}, or that layer has no such variable)"
            )
        value = arrays[key]
        if tuple(value.shape) != tuple(tensor.shape) and _squeezed(value.shape) == _squeezed(tensor.shape):
            value = value.reshape(tuple(tensor.shape))  # size-1 dimensions only: a Dense as 1×1 conv
        if tuple(value.shape) != tuple(tensor.shape):
            raise WeightsError(
                f"layer {owners[key]!r}: {key} is {tuple(tensor.shape)} in the module, "
                f"the Keras weight gives {tuple(value.shape)}"
            )
        result[key] = torch.from_numpy(np.array(value, copy=True)).to(tensor.dtype)
    return result

