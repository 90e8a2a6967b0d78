"""`keras.Sequential` → `nn.Sequential(OrderedDict(...))` (rules/keras_sequential.py), run for real.

The Keras source is executed with TensorFlow in a fresh session (automatic names count from
`dense`), the migrated source with torch; `migrate.weights.convert` joins the weights by the
module keys the rule wrote (strict load) and both models must agree to 1e-5 on one batch.
"""

from __future__ import annotations

import pytest

from migrate.codemod import Outcome, migrate_source

from .test_keras_layers_support import TOLERANCE, keras_names_left, max_delta, run_pair

HEAD = "from tensorflow import keras\nfrom tensorflow.keras import layers\n\n"

# Two models in one file: the second one's automatic names continue the count of the first
# (`dense_1`: `code` is named, so the encoder used only `dense`), as a Keras session does.
TWO_MODELS = HEAD + '''
encoder = keras.Sequential([
    layers.Dense(16, activation="relu", input_shape=(10,)),
    layers.Dense(8, name="code"),
])
model = keras.models.Sequential(
    [
        keras.Input(shape=(13, 13, 3)),
        layers.Conv2D(6, 3, strides=2, padding="same", activation="relu", name="stem"),
        layers.BatchNormalization(),
        layers.Conv2D(8, 3),
        layers.BatchNormalization(name="bn"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(12, activation="sigmoid"),
        layers.Dense(4, activation="softmax"),
    ],
    name="classifier",
)
'''

CASES = {
    # case → (source, input shape, module keys the migrated model must have)
    "input_and_names": (
        TWO_MODELS, (13, 13, 3),
        ["stem", "stem_activation", "batch_normalization", "conv2d", "bn", "max_pooling2d", "flatten",
         "dense_1", "dense_1_activation", "dense_2", "dense_2_activation"],
    ),
    "asymmetric_same": (
        HEAD + 'model = keras.Sequential([keras.Input(shape=(12, 12, 3)), layers.Conv2D(4, 3, strides=2, padding="same"), '
        'layers.Conv2D(5, 2, padding="same", name="even"), layers.Flatten(), layers.Dense(3)])\n',
        (12, 12, 3), ["conv2d_pad", "conv2d", "even_pad", "even", "flatten", "dense"],
    ),
    "nested": (
        HEAD + '''
model = keras.Sequential([
    keras.Input(shape=(8, 8, 3)),
    keras.Sequential([layers.Conv2D(4, 3, padding="same", activation="relu"), layers.BatchNormalization()]),
    keras.Sequential([layers.Conv2D(5, 3), layers.BatchNormalization()], name="second"),
    layers.GlobalAveragePooling2D(),
    layers.Dense(2),
])
''',
        (8, 8, 3), ["sequential", "second", "global_average_pooling2d", "dense"],
    ),
    "lazy_mlp": (
        HEAD + 'model = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dropout(0.1), layers.Dense(3, name="out")])\n',
        (5,), ["dense", "dense_activation", "dropout", "out"],
    ),
    "lazy_cnn": (
        HEAD + 'model = keras.Sequential([layers.Conv2D(4, 3, activation="relu"), layers.GlobalAveragePooling2D(), layers.Dense(2)])\n',
        (9, 9, 3), ["conv2d", "conv2d_activation", "global_average_pooling2d", "dense"],
    ),
}


@pytest.fixture(scope="module")
def pairs() -> dict:
    return {case: run_pair(source, shape) for case, (source, shape, _) in CASES.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_sequential_matches_keras(pairs: dict, case: str) -> None:
    pair = pairs[case]
    assert "models.sequential" in pair.rules
    assert not keras_names_left(pair.migrated), pair.migrated
    assert [name for name, _ in pair.module.named_children()] == CASES[case][2]
    assert [layer.name for layer in pair.keras_model.layers if layer.weights] == [
        name for name, child in pair.module.named_children() if list(child.parameters())
    ], "the module keys are the Keras layer names"
    random = any(name.startswith("dropout") for name, _ in pair.module.named_children())
    for training in (False,) if random else (False, True):  # Dropout draws differ in training
        delta = max_delta(pair, training=training)
        print(f"{case}: {'train' if training else 'eval'} max |Δ| {delta:.2e}")
        assert delta <= TOLERANCE


def test_shapes_are_propagated_to_concrete_sizes(pairs: dict) -> None:
    migrated = pairs["input_and_names"].migrated
    assert "Lazy" not in migrated
    assert "('stem', nn.Conv2d(3, 6, 3, stride=2, padding=1))" in migrated  # 13 → 7: symmetric
    assert "('dense_1', nn.Linear(32, 12))" in migrated  # 7 → 5 → 2: 2·2·8 after the Flatten
    assert "nn.BatchNorm2d(6, eps=0.001, momentum=0.01)" in migrated


def test_add_chains_are_rebuilt_by_the_add_rule() -> None:
    """`model.add(...)` chains are folded into the Sequential by `models.sequential_add`."""
    source = HEAD + "model = keras.Sequential()\nmodel.add(layers.Dense(3))\n"
    result = migrate_source(source)
    (found,) = [f for f in result.findings if f.rule == "models.sequential"]
    assert found.outcome is Outcome.REWRITTEN
    assert "('dense', nn.LazyLinear(3))" in result.output


def test_an_element_that_is_not_a_layer_call_is_a_todo() -> None:
    result = migrate_source(HEAD + "def build(base):\n    return keras.Sequential([base, layers.Dense(1)])\n")
    (todo,) = [f for f in result.findings if f.rule == "models.sequential"]
    assert todo.outcome is Outcome.TODO and "`base`" in todo.message


def test_a_non_literal_name_is_a_todo() -> None:
    result = migrate_source(HEAD + "def build(n):\n    return keras.Sequential([layers.Dense(1, name=n)])\n")
    (todo,) = [f for f in result.findings if f.rule == "models.sequential"]
    # The generic reason: a second run, seeing the Dense already migrated, must give the same.
    assert todo.outcome is Outcome.TODO and "Keras name and size" in todo.message



def test_elements_rebuilt_by_the_sequential_leave_no_todo_and_the_output_is_final() -> None:
    from migrate.codemod import Outcome, migrate_source

    source = (
        "import keras\nfrom keras import layers\n\n"
        "model = keras.Sequential([\n"
        "    keras.Input(shape=(32, 32, 3)),\n"
        '    layers.Conv2D(16, 3, strides=2, padding="same"),\n'
        "    layers.BatchNormalization(),\n"
        "])\n"
    )
    result = migrate_source(source)
    assert "TODO" not in result.output and "keras" not in result.output
    assert all(f.outcome is Outcome.REWRITTEN for f in result.findings)
    assert migrate_source(result.output).output == result.output


def test_a_sequential_that_stays_a_todo_gives_the_same_reason_on_a_second_run() -> None:
    """Found on keras-hub: its layers are migrated one by one, so the second run sees torch
    modules where the first saw Keras layers, and must not add a different TODO."""
    from migrate.codemod import migrate_source

    source = (
        "import keras\n\n"
        "def head(units, dim):\n"
        "    return keras.Sequential([\n"
        "        keras.layers.Conv2D(units, 7, activation='relu'),\n"
        "        keras.layers.LayerNormalization(),\n"
        "        keras.layers.Dense(dim),\n"
        "    ])\n"
    )
    first = migrate_source(source)
    assert "TODO(models.sequential)" in first.output
    assert migrate_source(first.output).output == first.output


def test_the_builders_the_functional_rule_shares_are_public() -> None:
    """rules/keras_functional.py lays out a nested Sequential with these: they are an interface."""
    from migrate.rules import keras_functional, keras_sequential

    assert keras_functional.input_shape_of is keras_sequential.input_shape_of
    assert keras_functional.layout_of is keras_sequential.layout_of
    for method in ("entries", "sequential_module", "init_lines"):
        assert callable(getattr(keras_sequential.SequentialModel, method))
