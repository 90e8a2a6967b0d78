"""Where each Keras layer's variables sit in the ONNX graph, read back in Keras layout.

One reader per Keras class, registered with the ONNX op types that hold its weights (the
onnx2torch way: a registry keyed by what is converted, so the mapper has no special cases).
A reader gets the layer's ``LayerView`` and the layer itself — for its configuration and
variable *shapes* only: the values come from ONNX, and the mapper then checks each against
the Keras variable. It returns ``{variable name: [array, …]}``, one array per place the
variable was found (a shared layer is read once per call).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import WeightsError
from .keras_model import variable_name
from .onnx_graph import LayerView

Found = dict[str, list[np.ndarray]]


@dataclass(frozen=True)
class Reader:
    ops: frozenset[str]
    read: Callable[[LayerView, Any], Found]
    #: Variables the graph holds only through arithmetic TF folded (Normalization's variance
    #: as 1/√variance): read back with rounding, so the mapper compares them to the Keras
    #: variable within ``DERIVED_RTOL`` and then places the Keras value itself — also when TF
    #: folded them into a neighbour's constant and nothing is left to read.
    derived: frozenset[str] = frozenset()


READERS: dict[str, Reader] = {}
DERIVED_RTOL = 1e-5  # two float32 roundings (a reciprocal, then a square)


def reader(
    *classes: str, ops: tuple[str, ...], derived: tuple[str, ...] = ()
) -> Callable[[Callable[[LayerView, Any], Found]], Callable[[LayerView, Any], Found]]:
    def register(function: Callable[[LayerView, Any], Found]) -> Callable[[LayerView, Any], Found]:
        for name in classes:
            READERS[name] = Reader(frozenset(ops), function, frozenset(derived))
        return function

    return register


_RESHAPES = frozenset({"Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity", "Transpose"})


# A transposed conv's output is cropped to Keras's length before its bias is added (a 1-D
# one runs as 2-D: ConvTranspose → Slice → Pad → Squeeze → Add).
_CROPS = frozenset({"Slice", "Pad"})


def _bias_after(view: LayerView, node: Any, through: frozenset[str] = frozenset()) -> np.ndarray | None:
    """The constant of an Add that follows ``node`` in the same layer, through reshapes (a bias
    tf2onnx did not fuse: a Dense on a sequence is MatMul → Reshape → Add) and the op types
    in ``through``."""
    tensor = node.output[0]
    for _ in range(6):
        # A Shape node reads only the tensor's size (tf2onnx's cropping arithmetic).
        consumers = [c for c in view.graph.consumers.get(tensor, []) if c.op_type != "Shape"]
        if len(consumers) != 1 or not view.owns(consumers[0]):
            return None
        consumer = consumers[0]
        if consumer.op_type == "Add":
            return next((view.graph.consts[n] for n in consumer.input if n in view.graph.consts), None)
        if consumer.op_type not in _RESHAPES and consumer.op_type not in through:
            return None
        tensor = consumer.output[0]
    return None


def _cell_shape(layer: Any, name: str) -> tuple[int, ...] | None:
    """The shape of an RNN layer's variable ``name`` ("kernel": its path may hold a cell level)."""
    for variable in layer.weights:
        if variable.path.split("/")[-1] == name:
            return tuple(variable.shape)
    return None


def _shape(layer: Any, name: str) -> tuple[int, ...] | None:
    for variable in layer.weights:
        if variable.name == name:
            return tuple(variable.shape)
    return None


@reader("Dense", ops=("MatMul", "Gemm"))
def dense(view: LayerView, layer: Any) -> Found:
    found: Found = defaultdict(list)
    for node in view.of("MatMul"):
        kernel = view.const(node, 1)
        if kernel is not None:  # MatMul keeps Keras's (in, out)
            found["kernel"].append(kernel)
            bias = _bias_after(view, node)
            if bias is not None:
                found["bias"].append(bias)
    for node in view.of("Gemm"):
        kernel = view.const(node, 1)
        if kernel is not None:
            trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
            found["kernel"].append(kernel.T if trans_b else kernel)
            bias = view.const(node, 2)
            if bias is not None:
                found["bias"].append(bias)
    return found


def _conv_bias(view: LayerView, node: Any, found: Found, through: frozenset[str] = frozenset()) -> None:
    bias = view.const(node, 2)
    if bias is None:
        bias = _bias_after(view, node, through)
    if bias is not None:
        found["bias"].append(bias)


@reader("Conv1D", "Conv2D", "Conv3D", ops=("Conv",))
def conv(view: LayerView, layer: Any) -> Found:
    found: Found = defaultdict(list)
    for node in view.of("Conv"):
        weight = view.const(node, 1)  # ONNX (out, in, *kernel) → Keras (*kernel, in, out)
        if weight is not None:
            found["kernel"].append(weight.transpose(*range(2, weight.ndim), 1, 0))
            _conv_bias(view, node, found)
    return found


@reader("DepthwiseConv2D", ops=("Conv",))
def depthwise(view: LayerView, layer: Any) -> Found:
    found: Found = defaultdict(list)
    name = "kernel" if _shape(layer, "kernel") else "depthwise_kernel"  # Keras 3 / Keras 2
    shape = _shape(layer, name)
    if shape is None:
        return found
    channels, multiplier = shape[-2:]
    for node in view.of("Conv"):
        weight = view.const(node, 1)  # ONNX (in·mult, 1, *kernel), groups=in
        if weight is not None:
            grid = weight.reshape(channels, multiplier, *weight.shape[2:])
            found[name].append(np.moveaxis(grid, (0, 1), (-2, -1)))
            _conv_bias(view, node, found)
    return found


@reader("SeparableConv1D", "SeparableConv2D", ops=("Conv",))
def separable(view: LayerView, layer: Any) -> Found:
    """Two ONNX Convs: the grouped one is the depthwise step, the 1×1 one the pointwise step
    (which also carries the bias)."""
    found: Found = defaultdict(list)
    shape = _shape(layer, "depthwise_kernel")
    if shape is None:
        return found
    channels, multiplier = shape[-2:]
    for node in view.of("Conv"):
        weight = view.const(node, 1)
        if weight is None:
            continue
        group = next((a.i for a in node.attribute if a.name == "group"), 1)
        if group > 1:
            grid = weight.reshape(channels, multiplier, *weight.shape[2:])
            found["depthwise_kernel"].append(np.moveaxis(grid, (0, 1), (-2, -1)))
        else:
            found["pointwise_kernel"].append(weight.transpose(*range(2, weight.ndim), 1, 0))
            _conv_bias(view, node, found)
    return found


@reader("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", ops=("ConvTranspose",))
def conv_transpose(view: LayerView, layer: Any) -> Found:
    found: Found = defaultdict(list)
    for node in view.of("ConvTranspose"):
        weight = view.const(node, 1)  # ONNX (in, out, *kernel) → Keras (*kernel, out, in)
        if weight is not None:
            found["kernel"].append(weight.transpose(*range(2, weight.ndim), 1, 0))
            _conv_bias(view, node, found, _CROPS)
    return found


@reader("BatchNormalization", ops=("BatchNormalization",))
def batch_norm(view: LayerView, layer: Any) -> Found:
    found: Found = defaultdict(list)
    nodes = view.of("BatchNormalization")
    if not nodes and layer.weights:
        raise WeightsError(
            f"layer {layer.name!r}: tf2onnx folded this BatchNormalization into other ops "
            "(only channels-last BN of rank 2 to 4 stays whole), so gamma/beta/mean/variance are lost"
        )
    for node in nodes:  # inputs 1–4 by position: scale, bias, mean, var
        for index, name in enumerate(("gamma", "beta", "moving_mean", "moving_variance"), start=1):
            value = view.const(node, index)
            if value is not None:
                found[name].append(value)
    return found


@reader("LayerNormalization", ops=("LayerNormalization", "Mul", "Add"))
def layer_norm(view: LayerView, layer: Any) -> Found:
    found: Found = defaultdict(list)
    for node in view.of("LayerNormalization"):
        for index, name in ((1, "gamma"), (2, "beta")):
            value = view.const(node, index)
            if value is not None:
                found[name].append(value)
    if found:
        return found
    # Decomposed (tf2onnx 1.17): y = x·(γ/√(var+ε)) + (β − mean·γ/√(var+ε)). γ is the constant of
    # a Mul, β that of an Add; ε is the Add constant whose sum goes into the square root.
    for node in view.of("Mul", "Add"):
        then = {c.op_type for c in view.graph.consumers.get(node.output[0], [])}
        if node.op_type == "Add" and then & {"Sqrt", "Rsqrt", "Reciprocal", "Pow"}:
            continue  # var + ε
        for name in node.input:
            value = view.graph.consts.get(name)
            if value is not None:
                found["gamma" if node.op_type == "Mul" else "beta"].append(value)
    return found


@reader("GroupNormalization", ops=("Mul", "Add", "InstanceNormalization", "GroupNormalization"))
def group_norm(view: LayerView, layer: Any) -> Found:
    """Decomposed like LayerNormalization: γ the constant of a Mul, β of an Add, ε skipped. TF
    holds γ and β reshaped to (…, groups, channels/groups), channels in order: flattened back."""
    found = layer_norm(view, layer)
    channels = {name: _shape(layer, name) for name in ("gamma", "beta")}
    return {
        name: [v.reshape(channels[name]) if channels[name] and v.size == np.prod(channels[name]) else v for v in values]
        for name, values in found.items()
    }


@reader("LayerScale", ops=("Mul",))
def layer_scale(view: LayerView, layer: Any) -> Found:
    """keras.src.applications.convnext.LayerScale: ``x * gamma`` (its variable is "variable")."""
    found: Found = defaultdict(list)
    for node in view.of("Mul"):
        for name in node.input:
            if name in view.graph.consts:
                found["variable"].append(view.graph.consts[name])
    return found


@reader("MultiHeadAttention", ops=("MatMul", "Einsum"))
def multi_head_attention(view: LayerView, layer: Any) -> Found:
    """Four EinsumDense sublayers (query, key, value, attention_output), each a MatMul (kernel
    flattened to 2-D by tf2onnx) and an Add (bias), told apart by the sublayer scope that
    encloses the node (recorded at export like the layers' own)."""
    found: Found = defaultdict(list)
    for node in view.of("MatMul", "Einsum"):
        sublayer = view.graph.caller_of(node.name)
        kernel = view.const(node, 1)
        if sublayer is None or sublayer is layer or kernel is None or not hasattr(sublayer, "kernel"):
            continue
        name = sublayer.name
        found[f"{name}/kernel"].append(kernel.reshape(tuple(sublayer.kernel.shape)))
        bias = _bias_after(view, node)
        if bias is not None and getattr(sublayer, "bias", None) is not None:
            found[f"{name}/bias"].append(bias.reshape(tuple(sublayer.bias.shape)))
    return found


@reader("Normalization", ops=("Sub", "Mul", "Div"), derived=("variance",))
def normalization(view: LayerView, layer: Any) -> Found:
    """keras.layers.Normalization: ``(x − mean) / max(√variance, 1e-7)``. The mean is the Sub's
    constant, bit for bit; TF folds the divisor into a constant reciprocal (a Mul), or keeps it
    (a Div), so the variance comes back as (1/r)² or d², rounded. ``count`` only feeds
    ``adapt`` and is not in the graph (the layer table drops it)."""
    found: Found = defaultdict(list)
    if getattr(layer, "invert", False):
        raise WeightsError(f"layer {layer.name!r}: Normalization(invert=True) has no mapping")
    for node in view.of("Sub"):
        mean = view.const(node, 1)
        if mean is not None:
            found["mean"].append(mean)
    for node in view.of("Mul", "Div"):
        value = next((view.graph.consts[n] for n in node.input[1:] if n in view.graph.consts), None)
        if value is None:
            continue
        std = 1.0 / value.astype(np.float64) if node.op_type == "Mul" else value.astype(np.float64)
        found["variance"].append(std**2)
    return found


@reader("Embedding", ops=("Gather",))
def embedding(view: LayerView, layer: Any) -> Found:
    found: Found = defaultdict(list)
    for node in view.of("Gather"):
        table = view.const(node, 0)
        if table is not None:
            found["embeddings"].append(table)
    return found


_ONNX_LSTM_TO_KERAS = (0, 2, 3, 1)  # ONNX gate blocks i,o,f,c → Keras i,f,c,o


def _blocks(a: np.ndarray, order: tuple[int, ...], axis: int = 0) -> np.ndarray:
    parts = np.split(a, len(order), axis=axis)
    return np.concatenate([parts[i] for i in order], axis=axis)


@reader("LSTM", ops=("LSTM", "Loop"))
def lstm(view: LayerView, layer: Any) -> Found:
    found: Found = defaultdict(list)
    for node in view.of("LSTM"):
        direction = next((a.s.decode() for a in node.attribute if a.name == "direction"), "forward")
        if direction != "forward":
            raise WeightsError(f"layer {layer.name!r}: ONNX LSTM runs {direction}, expected forward")
        for name, values in _lstm_node(view, node, layer, 0).items():
            found[name].extend(values)
    if not found:
        return _loop_weights(view, layer)
    return found


def _lstm_node(view: LayerView, node: Any, layer: Any, index: int) -> Found:
    """Direction ``index`` of an ONNX LSTM node, in Keras layout."""
    found: Found = defaultdict(list)
    w, r, b = (view.const(node, i) for i in (1, 2, 3))
    if w is not None:  # (directions, 4·units, in), gates i,o,f,c
        found["kernel"].append(_blocks(w[index], _ONNX_LSTM_TO_KERAS).T)
    if r is not None:
        found["recurrent_kernel"].append(_blocks(r[index], _ONNX_LSTM_TO_KERAS).T)
    if b is not None:  # (directions, 8·units): input bias, then a recurrent bias Keras lacks
        input_bias, recurrent_bias = np.split(b[index], 2)
        if np.any(recurrent_bias):
            raise WeightsError(f"layer {layer.name!r}: the ONNX LSTM has a recurrent bias Keras does not")
        found["bias"].append(_blocks(input_bias, _ONNX_LSTM_TO_KERAS))
    return found


@reader("Bidirectional", ops=("LSTM", "Loop"))
def bidirectional(view: LayerView, layer: Any) -> Found:
    """A Bidirectional RNN: tf2onnx merges a Bidirectional(LSTM) into one ONNX LSTM with
    direction "bidirectional" (index 0 forward, 1 backward), and leaves a GRU or SimpleRNN pair
    as two Loops, each inside its direction's scope. Keys are the variable names the mapper
    uses ("forward_lstm/lstm_cell/kernel")."""
    forward, backward = layer.forward_layer, layer.backward_layer
    names = {
        id(sub): {variable_name(sub, v).split("/")[-1]: variable_name(layer, v) for v in sub.weights}
        for sub in (forward, backward)
    }
    found: Found = defaultdict(list)

    def add(sub: Any, part: Found) -> None:
        for short, values in part.items():
            if short in names[id(sub)]:
                found[names[id(sub)][short]].extend(values)

    for node in view.of("LSTM"):
        direction = next((a.s.decode() for a in node.attribute if a.name == "direction"), "forward")
        subs = {"bidirectional": [forward, backward], "forward": [forward], "reverse": [backward]}[direction]
        for index, sub in enumerate(subs):
            add(sub, _lstm_node(view, node, layer, index))
    for node in view.of("Loop"):
        sub = next((c for c in view.graph.enclosing(node.name) if c is forward or c is backward), None)
        if sub is not None:
            add(sub, _loop_weights(LayerView(view.graph, view.leaf, [node]), sub))
    return found


@reader("GRU", "SimpleRNN", ops=("Loop",))
def recurrent_loop(view: LayerView, layer: Any) -> Found:
    return _loop_weights(view, layer)


def _loop_weights(view: LayerView, layer: Any) -> Found:
    """A recurrent layer exported as an ONNX Loop (tf2onnx's form of Keras 3's GRU and
    SimpleRNN): its variables enter the Loop as loop-carried constants, in Keras layout.

    Told apart by how the loop body uses them: the matrix multiplied with the step's input
    row is the kernel, the one multiplied with a loop-carried state is the recurrent kernel,
    and the one constant read otherwise (split, added) is the bias.
    """
    found: Found = defaultdict(list)
    for node in view.of("Loop"):
        body = next(a.g for a in node.attribute if a.name == "body")
        body_inputs = [i.name for i in body.input]
        states = {body_inputs[j] for j in range(2, len(body_inputs)) if j < len(node.input) and node.input[j] not in view.graph.consts}
        for j in range(2, min(len(node.input), len(body_inputs))):
            value = view.graph.consts.get(node.input[j])
            if value is None or value.ndim == 0:
                continue
            uses = [n for n in body.node if body_inputs[j] in n.input]
            matmuls = [n for n in uses if n.op_type == "MatMul" and list(n.input).index(body_inputs[j]) == 1]
            if matmuls:
                recurrent = matmuls[0].input[0] in states
                # The shapes decide where they differ (input size ≠ units): tf2onnx may feed the
                # step's input through a loop-carried tensor too (an RNN after another RNN).
                shapes = {n: _cell_shape(layer, n) for n in ("kernel", "recurrent_kernel")}
                if shapes["kernel"] != shapes["recurrent_kernel"] and value.shape in shapes.values():
                    recurrent = value.shape == shapes["recurrent_kernel"]
                found["recurrent_kernel" if recurrent else "kernel"].append(value)
            elif uses:
                found["bias"].append(value)
    return found


def is_custom(layer: Any) -> bool:
    """A user's own layer class (``class Scale(keras.layers.Layer)``), not one of Keras's."""
    return not type(layer).__module__.startswith(("keras.", "tf_keras.", "tensorflow."))


def custom_layer(view: LayerView, layer: Any) -> Found:
    """A user's layer: its variables are whatever its ``call`` reads, in any op. Each is found
    among the constants the nodes in the layer's scope read, by its exact value (as is, or
    transposed when TF folded a transpose into it); a variable TF folded into other arithmetic
    is then not found, and the mapper says so, naming the layer."""
    found: Found = defaultdict(list)
    constants = [view.graph.consts[name] for node in view.nodes for name in node.input if name in view.graph.consts]
    for variable in layer.weights:
        expected = np.asarray(variable.numpy())
        name = variable_name(layer, variable)
        for value in constants:
            for candidate in (value, value.T) if value.ndim == 2 else (value,):
                if candidate.size == expected.size and np.array_equal(candidate.reshape(expected.shape), expected):
                    found[name].append(candidate.reshape(expected.shape))
                    break
            if found[name]:
                break
    return found


CUSTOM = Reader(frozenset(), custom_layer)


def reader_for(layer: Any) -> Reader:
    """The layer's reader: by Keras class, or the custom one for a user's layer class."""
    kind = type(layer).__name__
    if kind in READERS and not is_custom(layer):
        return READERS[kind]
    return CUSTOM
