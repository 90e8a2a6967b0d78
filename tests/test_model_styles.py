"""Every Keras model style end to end: the source rewrite (`migrate convert`), then the Keras
weights through ONNX into the migrated module (`migrate weights`), then both models on one batch.

Each case is a Keras source a user could have written. It runs with TensorFlow in a fresh Keras
session (automatic layer names count from `dense`), every variable randomised; the migrated
source runs with torch; `migrate.weights.convert` joins the weights by the module attributes
the rewrite named after the Keras layers (strict load), and the outputs must agree:
max |Δ| ≤ 1e-5 · max(1, max |Keras output|) in fp32 (the conv case reaches outputs around 10).
Images go in NHWC to Keras and NCHW to torch, as `migrate weights` lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from migrate.codemod import Outcome, migrate_source

from .test_keras_layers_support import keras_names_left, randomise

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

HEAD = "from tensorflow import keras\nfrom tensorflow.keras import layers\n\n"

CUSTOM_LAYER = '''
class Affine(keras.layers.Layer):
    """A Dense written by hand, the way library code writes custom layers."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return keras.ops.matmul(inputs, self.kernel) + self.bias
'''

STYLES: dict[str, tuple[str, str, list[tuple[int, ...]]]] = {
    # style → (Keras source, the name holding the model, input shapes without the batch)
    "sequential_list": (HEAD + '''
model = keras.Sequential([
    keras.Input(shape=(10,)),
    layers.Dense(16, activation="relu"),
    layers.Dense(4, name="logits"),
])
''', "model", [(10,)]),
    "sequential_add": (HEAD + '''
model = keras.Sequential(name="cnn")
model.add(keras.Input(shape=(9, 9, 3)))
model.add(layers.Conv2D(4, 3, activation="relu"))
model.add(layers.MaxPooling2D())
model.add(layers.Flatten())
model.add(layers.Dense(5, name="logits"))
''', "model", [(9, 9, 3)]),
    "functional_inline": (HEAD + '''
inputs = keras.Input(shape=(12, 12, 3))
x = layers.Conv2D(6, 3, strides=2, padding="same", activation="relu")(inputs)
x = layers.BatchNormalization()(x)
x = layers.Flatten()(x)
outputs = layers.Dense(3, activation="softmax", name="probabilities")(x)
model = keras.Model(inputs, outputs, name="inline")
''', "model", [(12, 12, 3)]),
    "functional_in_function": (HEAD + '''
def build_model(hidden, classes=4):
    inputs = keras.Input(shape=(7,))
    x = layers.Dense(hidden, activation="tanh")(inputs)
    x = layers.Dropout(0.25)(x)
    outputs = layers.Dense(classes, name="head")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="mlp")


model = build_model(hidden=12)
''', "model", [(7,)]),
    "subclassed": (HEAD + '''
class Block(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # A layer's activation= would be a nn.Sequential(layer, activation) here, which
        # migrate weights does not key yet: the activation is applied in call instead.
        self.hidden = layers.Dense(8, name="hidden")
        self.drop = layers.Dropout(0.5, name="drop")
        self.out = layers.Dense(2, name="out")

    def call(self, inputs, training=None):
        return self.out(self.drop(self.hidden(inputs) * 0.5, training=training))


inputs = keras.Input(shape=(6,))
model = keras.Model(inputs, Block(name="block")(inputs), name="wrapped")
''', "model", [(6,)]),
    "functional_subclass": (HEAD + '''
class Backbone(keras.Model):
    """The keras-hub style: __init__ builds a graph and hands it to super().__init__."""

    def __init__(self, hidden_dim, **kwargs):
        inputs = keras.Input(shape=(8,), name="features")
        x = layers.Dense(hidden_dim, activation="relu", name="hidden")(inputs)
        outputs = layers.Dense(3, name="logits")(x * 2.0)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.hidden_dim = hidden_dim

    def get_config(self):
        return {**super().get_config(), "hidden_dim": self.hidden_dim}


model = Backbone(hidden_dim=5, name="backbone")
''', "model", [(8,)]),
    "nested": (HEAD + '''
encoder_input = keras.Input(shape=(6,))
code = layers.Dense(3, activation="tanh", name="code")(encoder_input)
encoder = keras.Model(encoder_input, code, name="encoder")

block = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(4)], name="block")

features = keras.Input(shape=(6,))
h = block(encoder(features))
model = keras.Model(features, layers.Dense(2, name="head")(h + 1.0), name="outer")
''', "model", [(6,)]),
    "shared_multi_io": (HEAD + '''
left = keras.Input(shape=(8,), name="left")
right = keras.Input(shape=(8,), name="right")
embed = layers.Dense(4, name="embed")
distance = layers.Subtract()([embed(left), embed(right)])
same = layers.Dense(1, activation="sigmoid", name="same")(distance)
scaled = layers.Lambda(lambda t: t * 0.5)(distance)
model = keras.Model([left, right], {"same": same, "scaled": scaled}, name="siamese")
''', "model", [(8,), (8,)]),
    "custom_layer": (HEAD + CUSTOM_LAYER + '''

inputs = keras.Input(shape=(5,))
outputs = Affine(4, name="head")(layers.Dense(6, name="body")(inputs))
model = keras.Model(inputs, outputs, name="custom")
''', "model", [(5,)]),
}


@dataclass
class Run:
    migrated: str
    todos: list[str]
    keras_model: Any
    module: Any
    inputs: list[np.ndarray]
    error: Exception | None = None


def _outputs(value: Any) -> list[np.ndarray]:
    if isinstance(value, dict):
        return [np.asarray(keras.ops.convert_to_numpy(value[k]) if not hasattr(value[k], "detach") else value[k].detach().numpy()) for k in sorted(value)]
    if isinstance(value, (list, tuple)):
        return [o for v in value for o in _outputs(v)]
    return [value.detach().numpy() if hasattr(value, "detach") else np.asarray(keras.ops.convert_to_numpy(value))]


def run_style(source: str, name: str, shapes: list[tuple[int, ...]], seed: int = 3) -> Run:
    from migrate.weights import WeightsError, convert

    keras.backend.clear_session()  # automatic names count from a fresh session
    keras.utils.set_random_seed(seed)
    namespace: dict[str, Any] = {}
    exec(compile(source, "<keras>", "exec"), namespace)
    model = namespace[name]
    rng = np.random.default_rng(seed)
    inputs = [rng.normal(size=(4, *shape)).astype("float32") for shape in shapes]
    randomise(model, seed)
    result = migrate_source(source)
    assert result.error is None
    todos = [f"{f.rule}: {f.message}" for f in result.findings if f.outcome is Outcome.TODO]
    migrated_ns: dict[str, Any] = {}
    torch.manual_seed(seed)
    exec(compile(result.output, "<migrated>", "exec"), migrated_ns)
    module = migrated_ns[name]
    run = Run(result.output, todos, model, module, inputs)
    try:
        convert(model, module)  # loads with strict=True, or raises
    except WeightsError as error:
        run.error = error
    return run


@pytest.fixture(scope="module")
def runs() -> dict[str, Run]:
    return {style: run_style(*case) for style, case in STYLES.items()}


def _delta(run: Run, training: bool = False) -> float:
    from migrate.weights.keras_model import input_layouts

    batch = run.inputs if len(run.inputs) > 1 else run.inputs[0]
    expected = _outputs(run.keras_model(batch, training=training))
    layouts = input_layouts(run.keras_model)
    tensors = [torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, -1, 1)) if first else x) for x, first in zip(run.inputs, layouts)]
    run.module.train(training)
    with torch.no_grad():
        got = _outputs(run.module(*tensors))
    run.module.eval()
    assert len(got) == len(expected)
    worst = 0.0
    for e, g in zip(expected, got):
        assert np.std(e) > 1e-3, "a constant output would prove nothing"
        if e.ndim == 4:
            e = np.moveaxis(e, -1, 1)
        assert e.shape == g.shape
        worst = max(worst, float(np.max(np.abs(e - g))) / max(1.0, float(np.max(np.abs(e)))))
    return worst


@pytest.mark.parametrize("style", list(STYLES))
def test_each_style_converts_and_matches_keras(runs: dict[str, Run], style: str) -> None:
    run = runs[style]
    assert not run.todos, run.todos
    assert not keras_names_left(run.migrated), run.migrated
    assert run.error is None, run.error
    delta = _delta(run)
    print(f"{style}: eval max |Δ| (relative to the output scale) {delta:.2e}")
    assert delta <= 1e-5
    random = any(k in run.migrated for k in ("Dropout", "drop"))
    if not random:  # BatchNorm trains on batch statistics in both
        assert _delta(run, training=True) <= 1e-5


def test_module_keys_are_the_keras_layer_names(runs: dict[str, Run]) -> None:
    keys = {style: sorted({k.rsplit(".", 1)[0] for k in run.module.state_dict()}) for style, run in runs.items() if run.error is None}
    assert keys["functional_inline"] == ["batch_normalization", "conv2d", "probabilities"]
    assert keys["nested"] == ["block.dense", "block.dense_1", "encoder.code", "head"]
    assert keys["shared_multi_io"] == ["embed", "same"]  # one module for the shared layer
    assert keys["subclassed"] == ["block.hidden", "block.out"]
    assert keys["functional_subclass"] == ["hidden", "logits"]


def test_function_parameters_become_constructor_arguments(runs: dict[str, Run]) -> None:
    migrated = runs["functional_in_function"].migrated
    assert "def __init__(self, hidden, classes=4):" in migrated  # the function's default carried over
    assert "return Mlp(hidden=hidden, classes=classes)" in migrated
    assert "self.head = nn.LazyLinear(classes)" in migrated  # `hidden` is known only when called
    assert migrate_source(migrated).output == migrated


def test_a_custom_layer_whose_weights_cannot_be_placed_is_one_line_naming_it(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`migrate weights` on a model whose custom layer's weight never reaches the ONNX graph as
    itself (tf2onnx folds `exp(scale)` into a constant): exit 2, one line, the layer named."""
    from click.testing import CliRunner

    from migrate.cli import main

    source = (
        "import keras\n\n\n"
        "@keras.saving.register_keras_serializable(package='styles_test')\n"
        "class LogScale(keras.layers.Layer):\n"
        "    def build(self, input_shape):\n"
        "        self.log_scale = self.add_weight(shape=(input_shape[-1],), initializer='zeros', name='log_scale')\n\n"
        "    def call(self, x):\n"
        "        return x * keras.ops.exp(self.log_scale)\n\n\n"
        "inputs = keras.Input(shape=(3,))\n"
        "model = keras.Model(inputs, LogScale(name='rescale')(inputs), name='folded')\n"
    )
    keras.backend.clear_session()
    namespace: dict[str, Any] = {}
    exec(compile(source, "<keras>", "exec"), namespace)
    randomise(namespace["model"], 0)
    path = tmp_path / "folded.keras"
    namespace["model"].save(path)
    (tmp_path / "folded_torch.py").write_text(migrate_source(source).output, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    result = CliRunner().invoke(main, ["weights", str(path), "--module", "folded_torch:Folded", "-o", str(tmp_path / "w.pt")])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("migrate: error: "), result.stderr
    print(lines[0])
    assert "rescale" in lines[0], lines[0]
