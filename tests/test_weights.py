"""`migrate weights`: Keras weights through tf2onnx into hand-written migrated modules.

Each case builds a small seeded Keras model with every weight randomised (zero tensors vanish
in ONNX, shared/STACK.md trap 3), converts its weights into the matching module of
fixtures/models/migrated.py (written the way the code generator emits modules), loads them
with strict=True and compares both models on one batch: NHWC into Keras, NCHW into torch.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from .conftest import FIXTURES

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")
sys.path.insert(0, str(FIXTURES / "models"))
import migrated  # noqa: E402  (fixtures/models/migrated.py)

from migrate.weights import convert  # noqa: E402
from migrate.weights.keras_model import input_layouts  # noqa: E402

TOLERANCE = 1e-5  # max |Δ| for fp32, one small model (README of the project's tests)
L = keras.layers


def randomise(model: Any, seed: int, deep: bool = False) -> Any:
    """Every variable random (a zero or one tensor could hide a misplaced weight). ``deep``: keep
    the kernels Keras's seeded initializers drew, which hold the activations' scale through
    many layers, and draw the rest (biases, BN statistics, gamma) near their usual values."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        shape = tuple(variable.shape)
        if deep and "kernel" in variable.name:
            continue
        if "variance" in variable.name or (deep and variable.name in ("gamma", "variable")):
            value = rng.uniform(0.5, 1.5, shape)
        else:
            value = rng.normal(0.0, 0.1 if deep else 0.5, shape)
        variable.assign(value.astype("float32"))
    return model


def mlp() -> Any:
    x = keras.Input((6,), name="x")
    h = L.Dense(8, activation="relu", name="dense_1")(x)
    return keras.Model(x, L.Dense(3, name="dense")(h), name="mlp")


def sequential_mlp() -> Any:
    return keras.Sequential(
        [keras.Input((6,)), L.Dense(8, activation="relu", name="dense_1"), L.Dense(3, name="dense")],
        name="sequential_mlp",
    )


def cnn() -> Any:
    x = keras.Input((8, 8, 3), name="image")
    h = L.Conv2D(4, 3, padding="same", name="conv-1")(x)
    h = L.BatchNormalization(name="bn")(h)
    h = L.MaxPooling2D(2)(L.ReLU()(h))
    return keras.Model(x, L.Dense(5, name="head")(L.Flatten()(h)), name="cnn")


def depthwise_up() -> Any:
    x = keras.Input((6, 6, 3), name="image")
    h = L.DepthwiseConv2D(3, depth_multiplier=2, name="dw")(x)
    return keras.Model(x, L.Conv2DTranspose(2, 2, strides=2, name="up")(h), name="depthwise_up")


def norm() -> Any:
    x = keras.Input((4, 5), name="x")
    return keras.Model(x, L.LayerNormalization(name="ln")(L.Dense(6, name="proj")(x)), name="norm")


def embed() -> Any:
    ids = keras.Input((7,), dtype="int32", name="ids")
    h = L.GlobalAveragePooling1D()(L.Embedding(20, 5, name="emb")(ids))
    return keras.Model(ids, L.Dense(2, name="cls")(h), name="embed")


def recurrent(kind: str) -> Callable[[], Any]:
    def build() -> Any:
        cell = getattr(L, kind)
        x = keras.Input((5, 3), name="x")
        sequence = cell(4, return_sequences=True, name="seq")(x)
        return keras.Model(x, [sequence, cell(6, name="last")(sequence)], name=kind.lower())

    return build


def dense_bn() -> Any:
    x = keras.Input((5,), name="x")
    h = L.ReLU()(L.BatchNormalization(name="bn")(L.Dense(8, name="dense")(x)))
    return keras.Model(x, L.Dense(2, name="out")(h), name="dense_bn")


def conv1d() -> Any:
    x = keras.Input((10, 2), name="x")
    h = L.GlobalAveragePooling1D()(L.Conv1D(4, 3, name="conv1d")(x))
    return keras.Model(x, L.Dense(3, name="out")(h), name="conv1d_net")


def conv1d_flat() -> Any:
    x = keras.Input((10, 2), name="x")
    h = L.Flatten()(L.Conv1D(4, 3, name="conv1d")(x))
    return keras.Model(x, L.Dense(3, name="out")(h), name="conv1d_flat")


def flatten_dropout() -> Any:
    x = keras.Input((5, 5, 2), name="image")
    h = L.Dropout(0.5)(L.Flatten()(L.Conv2D(3, 3, name="conv")(x)))
    return keras.Model(x, L.Dense(2, name="out")(h), name="flatten_dropout")


def flatten_output() -> Any:
    x = keras.Input((5, 5, 2), name="image")
    flat = L.Flatten()(L.Conv2D(3, 3, name="conv")(x))
    return keras.Model(x, [flat, L.Dense(2, name="out")(flat)], name="flatten_output")


def pixel_dense() -> Any:
    x = keras.Input((4, 4, 2), name="image")
    return keras.Model(x, L.Dense(3, name="pixel")(x), name="pixel_dense")


def two_inputs() -> Any:
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    shared = L.Dense(3, name="shared")
    joined = L.Concatenate()([shared(a), shared(b)])
    return keras.Model([a, b], L.Dense(2, name="merge")(joined), name="two_inputs")


def nested() -> Any:
    inner_x = keras.Input((4,), name="inner_x")
    h = L.Dense(5, activation="relu", name="dense")(inner_x)
    encoder = keras.Model(inner_x, L.Dense(3, name="dense_1")(h), name="encoder")
    x = keras.Input((4,), name="x")
    return keras.Model(x, L.Dense(2, name="dense")(encoder(x)), name="outer")


# case id → (Keras builder, torch module factory)
CASES: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
    "dense_mlp": (mlp, migrated.MLP),
    "sequential_mlp": (sequential_mlp, migrated.MLP),
    "conv_bn_pool_flatten_dense": (cnn, migrated.CNN),
    "lazy_conv_bn_pool_flatten_dense": (cnn, migrated.LazyCNN),
    "depthwise_conv_transpose": (depthwise_up, migrated.DepthwiseUp),
    "layer_norm": (norm, migrated.Norm),
    "embedding": (embed, migrated.Embed),
    "lstm": (recurrent("LSTM"), lambda: migrated.Recurrent("LSTM")),
    "gru": (recurrent("GRU"), lambda: migrated.Recurrent("GRU")),
    "simple_rnn": (recurrent("SimpleRNN"), migrated.SimpleRecurrent),
    "dense_batchnorm1d": (dense_bn, migrated.DenseBN),
    "conv1d": (conv1d, migrated.Conv1DNet),
    "conv1d_flatten_dense": (conv1d_flat, migrated.Conv1DFlat),
    "flatten_dropout_dense": (flatten_dropout, migrated.FlattenDropout),
    "flatten_as_output_and_dense": (flatten_output, migrated.FlattenOutput),
    "dense_on_image_as_1x1_conv": (pixel_dense, migrated.PixelDense),
    "two_inputs_shared_layer": (two_inputs, migrated.TwoInputs),
    "nested_submodel": (nested, migrated.Nested),
}


def batch(model: Any, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in model.inputs:
        shape = (3, *tensor.shape[1:])
        if "int" in str(tensor.dtype):
            arrays.append(rng.integers(0, 20, shape).astype("int32"))
        else:
            arrays.append(rng.normal(size=shape).astype("float32"))
    return arrays


def channels_first(array: np.ndarray, first: bool = True) -> np.ndarray:
    return np.moveaxis(array, -1, 1) if first and array.ndim >= 3 else array


def max_delta(model: Any, module: Any, inputs: list[np.ndarray]) -> float:
    """Max |Δ| between the outputs; inputs go channels-first where the module takes them so."""
    expected = model(inputs if len(inputs) > 1 else inputs[0], training=False)
    expected = [keras.ops.convert_to_numpy(e) for e in (expected if isinstance(expected, (list, tuple)) else [expected])]
    module.eval()
    layouts = input_layouts(model)
    with torch.no_grad():
        got = module(*[
            torch.from_numpy(np.ascontiguousarray(channels_first(a, first))).to(torch.long if a.dtype.kind == "i" else torch.float32)
            for a, first in zip(inputs, layouts, strict=True)
        ])
    got = [g.numpy() for g in (got if isinstance(got, (list, tuple)) else [got])]
    assert len(got) == len(expected)
    assert all(np.std(e) > 0.1 for e in expected), "a constant output would prove nothing"
    return max(float(np.max(np.abs(channels_first(e, e.ndim == 4) - g))) for e, g in zip(expected, got, strict=True))


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    return {}


def keras_model(built: dict[str, Any], case: str) -> Any:
    builder = CASES[case][0]
    if builder not in built:
        keras.utils.set_random_seed(0)
        built[builder] = randomise(builder(), seed=len(built) + 1)
    return built[builder]


@pytest.mark.parametrize("case", list(CASES))
def test_weights_reproduce_the_keras_model(built: dict[str, Any], case: str) -> None:
    model = keras_model(built, case)
    module = CASES[case][1]()
    state = convert(model, module)
    assert list(state) == list(module.state_dict())
    delta = max_delta(model, module, batch(model, seed=7))
    print(f"{case}: max |Δ| {delta:.2e}")
    assert delta <= TOLERANCE
