"""Test helpers for ``migrate model``: load generated source, copy Keras weights straight from
``layer.weights`` with the layer table's layouts, and compare outputs.

The product's weight route goes through ONNX (``migrate weights``); this direct copy exists so
the generated modules can be tested on their own.
"""

from __future__ import annotations

import types

import numpy as np


def randomize(model, seed: int = 0) -> None:
    """No weight left at a constant: biases, gamma/beta and BN statistics get random values
    (zero tensors hide mapping bugs); kernels keep their seeded Keras initialisation, which
    keeps a deep model's activations in a sane range."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        if "int" in str(variable.dtype):
            continue
        value = np.asarray(variable.numpy())
        if value.size > 1 and np.ptp(value) > 0:
            continue
        shape = value.shape
        if "variance" in variable.path:
            new = rng.uniform(0.5, 1.5, shape)
        elif "gamma" in variable.path or value.size == 0 or float(value.flat[0]) == 1.0:
            new = rng.uniform(0.5, 1.5, shape)
        else:
            new = rng.normal(0.0, 0.2, shape)
        variable.assign(new.astype("float32"))
    for layer in _all_layers(model):
        if type(layer).__name__ == "Normalization" and layer.weights:
            layer.finalize_state()  # Keras caches mean/variance as tensors when it is built


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


def load_module(source: str, class_name: str):
    namespace = types.ModuleType("generated_model")
    exec(compile(source, f"<{class_name}>", "exec"), namespace.__dict__)
    return getattr(namespace, class_name)


def _gates(array: np.ndarray, cell: str, axis: int) -> np.ndarray:
    if cell != "GRU":
        return array  # LSTM i,f,c,o = torch i,f,g,o; SimpleRNN has one block
    z, r, h = np.split(array, 3, axis=axis)
    return np.concatenate([r, z, h], axis=axis)


def convert(array: np.ndarray, layout: str, target_shape: tuple, extra: dict) -> list[np.ndarray]:
    if layout == "same":
        out = array
    elif layout == "dense":
        if extra.get("flatten_from"):
            h_w_c = tuple(extra["flatten_from"])
            n = len(h_w_c)
            array = array.reshape(*h_w_c, -1).transpose(n - 1, *range(n - 1), n).reshape(array.shape)
        out = array.T
    elif layout in ("conv", "conv_transpose"):
        n = array.ndim
        out = array.transpose(n - 1, n - 2, *range(n - 2))
    elif layout == "depthwise":
        n = array.ndim
        k = array.shape[:-2]
        flat = array.reshape(*k, -1)
        out = flat.transpose(n - 2, *range(n - 2)).reshape(-1, 1, *k)
    elif layout == "dense_conv":
        out = array.T.reshape(target_shape)
    elif layout == "rnn_kernel":
        out = _gates(array, extra.get("cell", ""), 1).T
    elif layout == "rnn_bias":
        out = _gates(array, extra.get("cell", ""), 0)
    elif layout == "gru_bias":
        return [_gates(array[0], "GRU", 0), _gates(array[1], "GRU", 0)]
    elif layout == "mha_in":
        out = array.reshape(array.shape[0], -1).T
    elif layout == "mha_out":
        out = array.reshape(-1, array.shape[-1]).T
    elif layout == "flat":
        out = array.reshape(-1)
    else:
        raise AssertionError(f"unknown layout {layout}")
    return [out]


def _layer(model, path):
    layer = model
    for name in path:
        layer = layer.get_layer(name)
    return layer


def copy_weights(keras_model, generated, module) -> None:
    import torch

    state = module.state_dict()
    filled = set()
    for slot in generated.slots:
        layer = _layer(keras_model, slot.layer_path)
        array = np.asarray(layer.weights[slot.index].numpy())
        keys = slot.torch.split("+")
        arrays = convert(array, slot.layout, tuple(state[keys[0]].shape), slot.extra)
        for key, value in zip(keys, arrays):
            assert tuple(state[key].shape) == value.shape, (key, state[key].shape, value.shape)
            state[key] = torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))
            filled.add(key)
    missing = [
        k for k in state
        if k not in filled and k not in generated.constants and not k.endswith("num_batches_tracked") and "bias_hh" not in k
    ]
    assert not missing, f"state_dict entries no Keras weight fills: {missing}"
    module.load_state_dict(state)


def to_torch(array: np.ndarray, layout: str):
    import torch

    if layout == "channels_first" and array.ndim >= 3:
        array = np.moveaxis(array, -1, 1)
    return torch.from_numpy(np.ascontiguousarray(array))


def from_torch(tensor, layout: str) -> np.ndarray:
    array = tensor.detach().numpy()
    if layout == "channels_first" and array.ndim >= 3:
        array = np.moveaxis(array, 1, -1)
    return array


def compare(keras_model, generated, inputs: list[np.ndarray], training: bool = False) -> float:
    """max |Δ| over all outputs of the Keras model and the generated module, weights copied."""
    import torch

    module = load_module(generated.source, generated.class_name)()
    copy_weights(keras_model, generated, module)
    module.train(training)
    expected = keras_model([np.asarray(a) for a in inputs] if len(inputs) > 1 else inputs[0], training=training)
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    with torch.no_grad():
        got = module(*[to_torch(a, lay) for a, lay in zip(inputs, generated.input_layouts)])
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(expected)
    worst = 0.0
    for e, g, lay in zip(expected, got, generated.output_layouts):
        g = from_torch(g, lay)
        e = np.asarray(e)
        assert e.shape == g.shape, (e.shape, g.shape)
        worst = max(worst, float(np.max(np.abs(e - g))) if e.size else 0.0)
    return worst
