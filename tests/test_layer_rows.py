"""Every row of the layer table (rules/layers.py), end to end: a Keras source using it,
converted by the source rewrite, weights through ONNX (``migrate.weights``), outputs compared
on one batch, max |Δ| ≤ 1e-5 fp32 — in train mode too where the model has no random op.

Rows already run by tests/test_keras_layers.py (Dense, Conv, pools, BatchNormalization…) are
not run again here; ``test_every_row_has_a_case`` checks the two files together cover the
table. Rows are grouped into few models: one tf2onnx export costs seconds.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from migrate.codemod import Outcome, migrate_source
from migrate.rules.layers import LAYERS

from . import test_keras_layers
from .test_keras_layers_support import TOLERANCE, Wrapped, keras_names_left, max_delta, randomise, run_pair

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

HEAD = "from tensorflow import keras\nfrom tensorflow.keras import layers\n\n"

# case → (layers inside keras.Sequential([...]), input shape without batch, train-mode check)
SEQUENTIAL = {
    "recurrent": (
        'keras.Input(shape=(6, 3)), layers.LSTM(5, return_sequences=True), '
        'layers.Bidirectional(layers.GRU(4, return_sequences=True), merge_mode="sum"), '
        'layers.Bidirectional(layers.LSTM(3)), layers.Reshape((2, 3)), layers.SimpleRNN(4)',
        (6, 3), True,
    ),
    "recurrent_last": ('keras.Input(shape=(5, 2)), layers.GRU(3, return_sequences=True), layers.Bidirectional(layers.SimpleRNN(2), merge_mode="ave")', (5, 2), True),
    "sequence_1d": (
        'layers.Conv1D(4, 2, input_shape=(7, 3)), layers.Conv1DTranspose(3, 3, strides=2, padding="same"), '
        'layers.Cropping1D((1, 2)), layers.UpSampling1D(2), layers.Conv1DTranspose(2, 2), layers.GlobalMaxPooling1D()',
        (7, 3), True,
    ),
    "image_2d": (
        'layers.Conv2D(6, 3, input_shape=(8, 8, 2)), layers.GroupNormalization(3), layers.Cropping2D(((1, 0), (0, 2))), '
        'layers.Flatten(), layers.Dense(12), layers.GroupNormalization(4, epsilon=0.01), layers.Reshape((3, 4)), '
        'layers.Permute((2, 1)), layers.Flatten(), layers.Dense(2)',
        (8, 8, 2), True,
    ),
    "volume_3d": (
        'layers.Conv3D(4, 2, input_shape=(5, 5, 5, 2)), layers.SpatialDropout3D(0.2), layers.Cropping3D(1), '
        'layers.UpSampling3D((1, 2, 2)), layers.GlobalAveragePooling3D()',
        (5, 5, 5, 2), False,
    ),
    "normalization": (
        'keras.Input(shape=(4,)), layers.Normalization(), layers.Rescaling(0.5, offset=0.25), layers.Dense(3), '
        'layers.Normalization(mean=[0.5, 1.0, -1.0], variance=[2.0, 0.5, 1.5])',
        (4,), True,
    ),
    "normalization_lazy": ('layers.Normalization(), layers.Dense(3)', (4,), True),
    "normalization_image": ('keras.Input(shape=(4, 4, 3)), layers.Normalization(), layers.Conv2D(2, 3), layers.GlobalMaxPooling2D()', (4, 4, 3), True),
}

# A subclassed model for the layers that take several inputs (merges, attention). Its layers keep
# Keras's automatic names (`dense`, `dense_1`…): `migrate weights` joins them by attribute.
SUBCLASS = HEAD + '''
class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.left = layers.Dense(4)
        self.right = layers.Dense(4)
        self.add = layers.Add()
        self.subtract = layers.Subtract()
        self.multiply = layers.Multiply()
        self.average = layers.Average()
        self.maximum = layers.Maximum()
        self.minimum = layers.Minimum()
        self.concatenate = layers.Concatenate()
        self.attention = layers.MultiHeadAttention(2, 3, value_dim=2, output_shape=4)

    def call(self, x):
        a = self.left(x)
        b = self.right(x)
        merged = [self.add([a, b]), self.subtract([a, b]), self.multiply([a, b]), self.average([a, b, x]),
                  self.maximum([a, b]), self.minimum([a, b]), self.attention(a, b)]
        return self.concatenate(merged)


model = Net()
'''

#: Rows that no source rewrite emits, with the reason; everything else must have a case.
NOT_SOURCE_ROWS = {
    "InputLayer": "keras.Input is read by models.sequential (every case above starts from one)",
    "LayerScale": "keras.src.applications.convnext internals, emitted by `migrate model` only",
    "StochasticDepth": "keras.src.applications.convnext internals, emitted by `migrate model` only",
}


def _source(layers: str) -> str:
    return HEAD + f"model = keras.Sequential([{layers}])\n"


@pytest.mark.parametrize("case", list(SEQUENTIAL))
def test_row_matches_keras(case: str) -> None:
    layers, shape, train = SEQUENTIAL[case]
    pair = run_pair(_source(layers), shape)
    assert not pair.todos, pair.todos
    assert not keras_names_left(pair.migrated), pair.migrated
    delta = max_delta(pair)
    print(f"{case}: eval max |Δ| {delta:.2e}")
    assert delta <= TOLERANCE
    if train:
        delta = max_delta(pair, training=True)
        print(f"{case}: train max |Δ| {delta:.2e}")
        assert delta <= TOLERANCE


def test_recurrent_rows_are_written_as_keras_returns() -> None:
    out = migrate_source(_source(SEQUENTIAL["recurrent"][0])).output
    assert "KerasLSTM(3, 5, batch_first=True, return_sequences=True)" in out
    assert "KerasGRU(5, 4, batch_first=True, bidirectional=True, merge_mode='sum', return_sequences=True)" in out
    assert out.count("class KerasRecurrent") == 1


def test_merge_and_attention_rows_match_keras() -> None:
    from migrate.weights import convert

    keras.backend.clear_session()
    keras.utils.set_random_seed(3)
    namespace: dict[str, Any] = {}
    exec(compile(SUBCLASS, "<keras>", "exec"), namespace)
    net = namespace["model"]
    inputs = np.random.default_rng(3).normal(size=(2, 5, 4)).astype("float32")
    net(inputs)
    randomise(net, 3)
    tensor = keras.Input(shape=(5, 4))
    wrapped = keras.Model(tensor, net(tensor), name="wrapper")

    result = migrate_source(SUBCLASS)
    todos = [f.message for f in result.findings if f.outcome is Outcome.TODO]
    assert not todos, todos
    migrated: dict[str, Any] = {}
    exec(compile(result.output, "<migrated>", "exec"), migrated)
    module = Wrapped(net.name, migrated["model"])
    convert(wrapped, module)
    expected = keras.ops.convert_to_numpy(wrapped(inputs))
    module.eval()
    with torch.no_grad():
        got = module(torch.from_numpy(inputs)).numpy()
    delta = float(np.max(np.abs(expected - got)))
    print(f"merges + attention: max |Δ| {delta:.2e}")
    assert np.std(expected) > 1e-3
    assert delta <= TOLERANCE


def test_every_row_has_a_case() -> None:
    sources = " ".join(c[0] for c in test_keras_layers.CASES.values())
    sources += " ".join(c[0] for c in SEQUENTIAL.values()) + SUBCLASS
    used = set(re.findall(r"layers\.(\w+)\(", sources)) | {"Activation"}
    missing = sorted(row for row in LAYERS if row not in used and row not in NOT_SOURCE_ROWS)
    assert not missing, f"layer table rows without an end-to-end case: {missing}"


INIT_SOURCE = HEAD + '''
model = keras.Sequential([
    keras.Input(shape=(20, 64)),
    layers.LSTM(64, return_sequences=True),
    layers.Flatten(),
    layers.Dense(128, kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02), bias_initializer="ones"),
    layers.Dense(64, kernel_initializer=keras.initializers.RandomUniform(-0.1, 0.2)),
])
tokens = layers.Embedding(500, 64)
convnet = keras.Sequential([keras.Input(shape=(20, 64)), layers.Conv1D(96, 3, kernel_initializer="he_normal")])
'''


def test_a_fresh_migrated_model_starts_from_keras_distributions() -> None:
    """Not trained, not loaded: each parameter's statistics match the Keras layer's own fresh
    variable (std within 6 %, bounds and constants exact)."""
    keras.backend.clear_session()
    namespace: dict[str, Any] = {}
    exec(compile(INIT_SOURCE, "<keras>", "exec"), namespace)
    result = migrate_source(INIT_SOURCE)
    assert not [f for f in result.findings if f.outcome is Outcome.TODO]
    torch.manual_seed(0)
    migrated: dict[str, Any] = {}
    exec(compile(result.output, "<migrated>", "exec"), migrated)
    fresh, conv = migrated["model"], migrated["convnet"].conv1d
    weights = {
        v.path.split("/", 1)[1]: keras.ops.convert_to_numpy(v)
        for m in (namespace["model"], namespace["convnet"]) for v in m.weights
    }
    pairs = {
        "lstm/lstm_cell/kernel": fresh.lstm.weight_ih_l0, "lstm/lstm_cell/recurrent_kernel": fresh.lstm.weight_hh_l0,
        "conv1d/kernel": conv.weight, "dense/kernel": fresh.dense.weight, "dense_1/kernel": fresh.dense_1.weight,
    }
    for path, param in pairs.items():
        ours, theirs = float(param.detach().std()), float(np.std(weights[path]))
        assert abs(ours - theirs) <= 0.06 * theirs, (path, ours, theirs)
    assert float(fresh.dense.weight.detach().abs().max()) <= 0.04 + 1e-6  # truncated at 2σ, as Keras
    assert float(fresh.dense_1.weight.detach().min()) >= -0.1 and float(fresh.dense_1.weight.detach().max()) <= 0.2
    assert torch.all(fresh.dense.bias == 1) and torch.all(conv.bias == 0)
    bias = fresh.lstm.bias_ih_l0.detach()
    assert torch.all(bias[64:128] == 1) and torch.all(bias[:64] == 0) and torch.all(fresh.lstm.bias_hh_l0 == 0)
    table = migrated["tokens"].weight.detach()
    assert float(table.abs().max()) <= 0.05 and abs(float(table.std()) - 0.05 / 3**0.5) < 0.003


CUSTOM_SOURCE = HEAD.replace("from tensorflow.keras import layers\n", "from tensorflow.keras import layers, ops\n") + '''

class MyLinear(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, x):
        return ops.matmul(x, self.kernel) + self.bias


class Scale(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.gamma = self.add_weight(shape=(3,), initializer="ones", name="gamma")

    def call(self, x):
        return x * self.gamma


model = keras.Sequential([keras.Input(shape=(4,)), MyLinear(3), layers.Dense(3), Scale(name="scale")])
'''


def test_custom_layers_weights_are_placed_by_name() -> None:
    """A user's `keras.layers.Layer` subclass: each add_weight variable is found among the
    constants its ONNX nodes read, by value, and lands on the Parameter of the same name."""
    pair = run_pair(CUSTOM_SOURCE, (4,))
    assert not pair.todos, pair.todos
    assert "('my_linear', MyLinear(3))" in pair.migrated
    assert set(pair.module.state_dict()) >= {"my_linear.kernel", "my_linear.bias", "scale.gamma"}
    delta = max_delta(pair)
    print(f"custom layers: max |Δ| {delta:.2e}")
    assert delta <= TOLERANCE


def test_a_custom_layer_weight_folded_away_is_an_error_naming_it() -> None:
    from migrate.weights import WeightsError, convert

    keras.backend.clear_session()

    class Folded(keras.layers.Layer):  # the weight only enters as 2·w: TF folds it
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, x):
            return x * (self.w * 2.0)

    model = keras.Sequential([keras.Input(shape=(3,)), Folded(name="folded")])
    model.layers[0].w.assign(np.array([1.5, -2.0, 0.25], dtype="float32"))

    class Module(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.folded = torch.nn.Module()
            self.folded.w = torch.nn.Parameter(torch.ones(3))

        def forward(self, x: Any) -> Any:
            return x * self.folded.w * 2

    with pytest.raises(WeightsError, match=r"layer 'folded' \(Folded\) variable 'w': not found among the constants"):
        convert(model, Module())


ADAPT_SOURCE = HEAD + '''import numpy as np

features = np.random.default_rng(0).normal(3.0, 2.0, size=(64, 5)).astype("float32")
norm = layers.Normalization()
norm.adapt(features)
'''


def test_adapt_computes_keras_statistics() -> None:
    """`norm.adapt(data)` → `keras_adapt(norm, data)`: the same mean and population variance,
    so both layers normalise a batch alike (1e-5); `migrate weights` then fills the same
    buffers from the Keras layer (checked in the `normalization` rows above)."""
    keras.backend.clear_session()
    namespace: dict[str, Any] = {}
    exec(compile(ADAPT_SOURCE, "<keras>", "exec"), namespace)
    result = migrate_source(ADAPT_SOURCE)
    assert not [f for f in result.findings if f.outcome is Outcome.TODO]
    assert "keras_adapt(norm, features)" in result.output
    migrated: dict[str, Any] = {}
    exec(compile(result.output, "<migrated>", "exec"), migrated)
    batch = np.random.default_rng(1).normal(3.0, 2.0, size=(8, 5)).astype("float32")
    expected = keras.ops.convert_to_numpy(namespace["norm"](batch))
    got = migrated["norm"](torch.from_numpy(batch)).detach().numpy()
    assert float(np.max(np.abs(expected - got))) <= TOLERANCE


RECURRENT_SUBCLASS = HEAD + '''
class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.lstm = layers.LSTM(6, return_sequences=True)
        self.gru = layers.Bidirectional(layers.GRU(3))
        self.head = layers.Dense(2)

    def call(self, x):
        return self.head(self.gru(self.lstm(x)))


model = Net()
'''


def test_recurrent_layers_of_a_subclass_size_themselves() -> None:
    """In a subclassed model the input size is unknown: `KerasLSTM(None, 6, …)` sizes itself on
    the first call (here: `migrate weights`'s sizing pass), then takes Keras's weights."""
    from migrate.weights import convert

    keras.backend.clear_session()
    namespace: dict[str, Any] = {}
    exec(compile(RECURRENT_SUBCLASS, "<keras>", "exec"), namespace)
    net = namespace["model"]
    inputs = np.random.default_rng(5).normal(size=(3, 7, 4)).astype("float32")
    net(inputs)
    randomise(net, 5)
    tensor = keras.Input(shape=(7, 4))
    wrapped = keras.Model(tensor, net(tensor), name="wrapper")
    result = migrate_source(RECURRENT_SUBCLASS)
    assert not [f for f in result.findings if f.outcome is Outcome.TODO]
    assert "KerasLSTM(None, 6, batch_first=True, return_sequences=True)" in result.output
    migrated: dict[str, Any] = {}
    exec(compile(result.output, "<migrated>", "exec"), migrated)
    module = Wrapped(net.name, migrated["model"])
    convert(wrapped, module)
    expected = keras.ops.convert_to_numpy(wrapped(inputs))
    module.eval()
    with torch.no_grad():
        got = module(torch.from_numpy(inputs)).numpy()
    delta = float(np.max(np.abs(expected - got)))
    print(f"recurrent subclass: max |Δ| {delta:.2e}")
    assert np.std(expected) > 1e-3 and delta <= TOLERANCE


BOUND_SOURCE = HEAD + '''import numpy as np

features = np.random.default_rng(0).normal(2.0, 3.0, size=(40, 4)).astype("float32")
norm = layers.Normalization()
norm.adapt(features)
model = keras.Sequential([keras.Input(shape=(4,)), norm, layers.Dense(3)])
'''


def test_a_layer_bound_to_a_name_is_reused_by_the_sequential() -> None:
    """The tutorial pattern: `norm` adapted on its own line, then listed in the Sequential —
    one module (`('normalization', norm)`), weights joined by its Keras name."""
    pair = run_pair(BOUND_SOURCE, (4,))
    assert not pair.todos, pair.todos
    assert "('normalization', norm)" in pair.migrated and "nn.Linear(4, 3)" in pair.migrated
    delta = max_delta(pair)
    print(f"bound layer: max |Δ| {delta:.2e}")
    assert delta <= TOLERANCE
