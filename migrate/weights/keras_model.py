"""The Keras side: load a model file safely, list its layers with their paths, read its graph."""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate.rules.layers import module_attr
from migrate.rules.layers import variable_name as table_variable_name

from .errors import WeightsError


def quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def load(path: str | os.PathLike[str], unsafe: bool = False, compiled: bool = False) -> Any:
    """The Keras model in ``path`` (.keras, .h5). Lambda layers need ``unsafe``: they run code.
    ``compiled``: with the optimizer and loss it was saved with (the verifier's training check
    needs them), falling back to the bare model when they cannot be rebuilt (a custom loss
    Keras does not know)."""
    path = Path(path)
    if not path.exists():
        raise WeightsError(f"{path}: no such file")
    if path.is_dir():
        if (path / "saved_model.pb").exists():
            raise WeightsError(
                f"{path}: a SavedModel keeps no Keras layer graph that Keras 3 can load; "
                "load it where it was made and save it with model.save('model.keras')"
            )
        raise WeightsError(f"{path}: is a directory, not a Keras model file")
    if path.suffix not in (".keras", ".h5", ".hdf5"):
        raise WeightsError(f"{path}: not a Keras model file (expected .keras, .h5 or a SavedModel directory)")
    if path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise WeightsError(f"{path}: not a Keras model file (a .keras file is a zip archive)")
    quiet_tensorflow()
    import keras

    try:
        model = None
        if compiled:
            try:
                model = keras.models.load_model(path, compile=True, safe_mode=not unsafe)
            except Exception:  # noqa: BLE001 - the compile config is the part that failed: try without
                model = None
        if model is None:
            model = keras.models.load_model(path, compile=False, safe_mode=not unsafe)
    except Exception as error:  # noqa: BLE001 - Keras raises many types; all are a bad input
        text = " ".join(str(error).split())
        if "lambda" in text.lower() and "safe" in text.lower():
            raise WeightsError(
                f"{path}: contains a Lambda layer, whose code runs when loaded; "
                "pass --unsafe if you trust this file"
            ) from None
        raise WeightsError(f"{path}: cannot be loaded as a Keras model: {text[:200]}") from None
    if not isinstance(model, keras.Model):
        raise WeightsError(f"{path}: holds a {type(model).__name__}, not a Keras model")
    return model


def is_container(layer: Any) -> bool:
    """A model used as a layer (Functional, Sequential, subclassed): its layers become a
    nested module whose attribute path is the layer path."""
    import keras

    return isinstance(layer, keras.Model)


@dataclass(frozen=True)
class LayerPath:
    layer: Any
    keras_path: tuple[str, ...]  # Keras names, outermost first: ("encoder", "dense")
    # The module attribute of each step where it is not the Keras name: a subclassed model's
    # own attribute (`self.head = layers.Dense(…)` is module attribute `head`, whatever the
    # layer's name), a list element's index (`self.blocks[1]` → `blocks.1`).
    attrs: tuple[str | None, ...] = ()

    @property
    def attr(self) -> str:
        """The module attribute path: ``encoder.dense``."""
        steps = self.attrs or (None,) * len(self.keras_path)
        return ".".join(a if a is not None else module_attr(name) for name, a in zip(self.keras_path, steps))

    @property
    def name(self) -> str:
        return "/".join(self.keras_path)


def leaf_layers(model: Any) -> list[LayerPath]:
    """Every non-model layer under ``model``, depth first, with its path of Keras names."""
    found: list[LayerPath] = []
    seen: set[int] = set()

    def walk(container: Any, prefix: tuple[str, ...], prefix_attrs: tuple[str | None, ...]) -> None:
        attrs: dict[str, str] = {}
        own = subclass_attributes(container)
        for layer in container.layers:
            attr = own.get(id(layer)) or module_attr(layer.name)
            if attr in attrs:
                raise WeightsError(
                    f"layers {attrs[attr]!r} and {layer.name!r} would both be the module attribute {attr!r}"
                )
            attrs[attr] = layer.name
            if id(layer) in seen:
                continue  # a layer shared by two nested models is placed once, at its first path
            seen.add(id(layer))
            path, steps = (*prefix, layer.name), (*prefix_attrs, own.get(id(layer)))
            if is_container(layer):
                walk(layer, path, steps)
            else:
                found.append(LayerPath(layer, path, steps))

    walk(model, (), ())
    return found


def subclass_attributes(container: Any) -> dict[int, str]:
    """{id(layer): module attribute} for the layers a subclassed Keras model holds as its own
    attributes (``self.head = layers.Dense(...)`` → ``head``; ``self.blocks = [...]`` →
    ``blocks.0``…), which the migrated class keeps (the `models.subclass` rewrite). Empty for a
    Functional or Sequential model, whose modules are named after the Keras layers."""
    import keras

    if type(container).__module__.startswith("keras.") or not isinstance(container, keras.Model):
        return {}
    found: dict[int, str] = {}
    for name, value in vars(container).items():
        if name.startswith("_"):
            continue
        if isinstance(value, keras.layers.Layer):
            found.setdefault(id(value), name)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                if isinstance(item, keras.layers.Layer):
                    found.setdefault(id(item), f"{name}.{index}")
    return found


# Layers whose input and output of rank 3 are channels-first in the migrated module, the way
# `migrate model` lays them out (migrate/codegen/generate.py): a (N, L, C) tensor they make or
# read is (N, C, L) in torch. Images (rank 4 and 5) are always channels-first.
CHANNELS_FIRST_1D = frozenset(
    "Conv1D Conv1DTranspose SeparableConv1D DepthwiseConv1D MaxPooling1D AveragePooling1D "
    "UpSampling1D SpatialDropout1D".split()
)
# Layers that keep the layout of their input (channels-first in, channels-first out).
_KEEPS_LAYOUT = frozenset(
    "Dropout Activation Identity ReLU LeakyReLU ELU BatchNormalization GaussianNoise "
    "GaussianDropout ZeroPadding1D Cropping1D".split()
)
# Layers `migrate model` looks through when it asks who reads a Flatten (its _PASS_THROUGH).
_PASS_THROUGH = frozenset({"Dropout", "Activation", "Identity"})


def flatten_source(layer: Any, model_outputs: frozenset[int] = frozenset()) -> tuple[int, ...] | None:
    """For a Dense fed by a Flatten of a channels-first tensor (an image, or a sequence a Conv1D
    made): the spatial shape (H, W…) of that tensor, so the Dense weight's columns move from
    Keras's H,W,C order to torch's C,H,W. None otherwise.

    This is `migrate model`'s convention (migrate/codegen/): it writes ``torch.flatten(x, 1)``
    on the NCHW tensor when every reader of the Flatten, looking through Dropout, Activation
    and Identity, is a Dense and the Flatten is no model output, and leaves the fix to the
    weights; otherwise it permutes back to H,W,C at run time and the weight keeps Keras's
    order. Read from the Keras graph, once per call of the layer; calls that disagree are an
    error. ``model_outputs``: ids of the tensors that are outputs of the model or a submodel.
    """
    found: set[tuple[int, ...] | None] = set()
    for node in getattr(layer, "_inbound_nodes", []):
        found.add(_flatten_spatial(node, model_outputs))
    if len(found) > 1:
        raise WeightsError(
            f"layer {layer.name!r}: called on inputs with different flatten orders; "
            "one torch weight cannot serve them all"
        )
    return found.pop() if found else None


def _flatten_spatial(node: Any, model_outputs: frozenset[int]) -> tuple[int, ...] | None:
    parents = list(getattr(node, "parent_nodes", []))
    while len(parents) == 1 and type(parents[0].operation).__name__ in _PASS_THROUGH:
        parents = list(parents[0].parent_nodes)
    if len(parents) != 1 or type(parents[0].operation).__name__ != "Flatten":
        return None
    flatten = parents[0]
    if _readers(flatten, model_outputs) != {"Dense"}:
        return None
    source = flatten.input_tensors[0]
    shape = tuple(source.shape)
    if any(d is None for d in shape[1:]) or not _channels_first(source, flatten):
        return None
    return tuple(int(d) for d in shape[1:-1])


def _readers(node: Any, model_outputs: frozenset[int]) -> set[str]:
    """Classes of the layers that read ``node``'s outputs, through pass-through layers."""
    kinds: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if any(id(t) in model_outputs for t in current.output_tensors):
            kinds.add("<output>")
        for reader in getattr(current.operation, "_outbound_nodes", []):
            if not any(any(t is o for o in current.output_tensors) for t in reader.input_tensors):
                continue  # a call of the same layer on other tensors
            kind = type(reader.operation).__name__
            if kind in _PASS_THROUGH:
                stack.append(reader)
            else:
                kinds.add(kind)
    return kinds


def model_output_ids(model: Any) -> frozenset[int]:
    """ids of the output tensors of ``model`` and of every model nested in it."""
    ids: set[int] = set()
    stack = [model]
    while stack:
        current = stack.pop()
        ids.update(id(t) for t in getattr(current, "outputs", None) or [])
        stack.extend(layer for layer in getattr(current, "layers", []) if is_container(layer))
    return frozenset(ids)


def _channels_first(tensor: Any, node: Any) -> bool:
    rank = len(tensor.shape)
    if rank >= 4:
        return True
    if rank != 3:
        return False
    while True:  # rank 3: channels-first when a 1-D conv family layer made it
        parents = list(getattr(node, "parent_nodes", []))
        if len(parents) != 1:
            return False
        kind = type(parents[0].operation).__name__
        if kind in CHANNELS_FIRST_1D:
            return True
        if kind not in _KEEPS_LAYOUT:
            return False
        node = parents[0]


def input_layouts(model: Any) -> list[bool]:
    """Whether each model input is channels-first in the migrated module: images always, a
    sequence when only 1-D conv family layers read it (as `migrate model` decides)."""
    layouts = []
    for tensor in model.inputs:
        rank = len(tensor.shape)
        readers = {
            type(node.operation).__name__
            for layer in model.layers
            for node in getattr(layer, "_inbound_nodes", [])
            if any(t is tensor for t in node.input_tensors)
        }
        layouts.append(rank >= 4 or (rank == 3 and bool(readers) and readers <= CHANNELS_FIRST_1D))
    return layouts


def input_specs(model: Any) -> list[tuple[str, tuple[int | None, ...], str]]:
    """(name, shape, dtype) of each model input, batch dimension first."""
    try:
        inputs = list(model.inputs)
    except (AttributeError, ValueError):
        inputs = []
    if not inputs:
        raise WeightsError(
            f"model {model.name!r} has no symbolic inputs (a subclassed model not built as a "
            "functional one): wrap it, keras.Model(inputs, model(inputs)), and save that"
        )
    return [(t.name, tuple(t.shape), str(t.dtype)) for t in inputs]


def variable_name(layer: Any, variable: Any) -> str:
    """A variable's name in the layer table ("kernel", "query/kernel"; rules/layers.py
    ``variable_name`` says how)."""
    return table_variable_name(layer.name, variable.path, variable.name)
