"""The subclassed-model rule, run: the migrated class is a working nn.Module whose
`training` follows `.train()` / `.eval()`."""

from __future__ import annotations

import pytest

from migrate.codemod import Outcome, migrate_source

torch = pytest.importorskip("torch")

SOURCE = '''
import tensorflow as tf


class Gate(tf.keras.Model):
    def __init__(self, inner, **kwargs):
        super().__init__(name="gate", **kwargs)
        self.inner = inner

    def call(self, inputs, training=None):
        x = self.inner(inputs, training=training)
        if training:
            return x * 2.0
        return x - 1.0
'''


def _migrated_class(source: str, name: str):  # noqa: ANN202
    result = migrate_source(source)
    assert [f.outcome for f in result.findings if f.rule == "models.subclass"] == [Outcome.REWRITTEN]
    namespace: dict = {}
    exec(compile(result.output, "<migrated>", "exec"), namespace)
    return namespace[name]


def test_training_follows_the_module_mode_and_sublayers_are_not_told() -> None:
    Gate = _migrated_class(SOURCE, "Gate")
    seen: list[tuple] = []

    class Inner(torch.nn.Module):
        def forward(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
            seen.append((len(args), sorted(kwargs)))
            return args[0]

    gate = Gate(Inner())
    assert isinstance(gate, torch.nn.Module)
    x = torch.ones(2)
    assert torch.equal(gate(x), torch.full((2,), 2.0))  # a new module trains
    gate.eval()
    assert torch.equal(gate(x), torch.zeros(2))
    assert seen == [(1, []), (1, [])], "the sub-layer must get the input only"
    assert list(gate.state_dict()) == [], "no Keras state is carried over"


def test_a_class_that_rebinds_training_is_left_alone() -> None:
    source = SOURCE.replace("        x = self.inner", "        training = False\n        x = self.inner")
    result = migrate_source(source)
    assert [f.outcome for f in result.findings if f.rule == "models.subclass"] == [Outcome.TODO]
    assert "class Gate(tf.keras.Model)" in result.output


def test_build_with_add_weight_is_a_todo_not_a_guess() -> None:
    source = "import keras\n\nclass S(keras.layers.Layer):\n    def build(self, shape):\n        self.w = self.add_weight(shape=(3,))\n"
    result = migrate_source(source)
    assert "# migrate: TODO(models.subclass)" in result.output
    assert "class S(keras.layers.Layer)" in result.output


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        ("self, x, *, training=False", "self, x"),
        ("self, x, *, training=False, mask=None", "self, x, *, mask=None"),
        ("self, x, training=None, **kwargs", "self, x, **kwargs"),
        ("self, inputs, training", "self, inputs"),
    ],
)
def test_the_training_parameter_leaves_a_valid_signature(signature: str, expected: str) -> None:
    source = f"import keras\n\nclass M(keras.Model):\n    def call({signature}):\n        return x\n"
    result = migrate_source(source)
    assert f"    def forward({expected}):\n" in result.output


def test_a_meaningful_super_init_argument_is_a_todo() -> None:
    source = (
        "import keras\n\nclass R(keras.layers.Layer):\n"
        "    def __init__(self, l1, **kwargs):\n"
        "        super().__init__(activity_regularizer=keras.regularizers.L1(l1), **kwargs)\n"
    )
    result = migrate_source(source)
    (todo,) = [f for f in result.findings if f.rule == "models.subclass"]
    assert todo.outcome is Outcome.TODO and "activity_regularizer" in todo.message


def test_a_dropped_argument_takes_its_todo_and_its_tf_import_with_it() -> None:
    source = (
        "import keras\nimport tensorflow as tf\n\nclass M(keras.Model):\n"
        "    def __init__(self, **kwargs):\n"
        '        super().__init__(name=tf.unknown_name("m"), **kwargs)\n'
        "        self.k = tf.other_unknown()\n\n"
        "    def call(self, x):\n        return x\n"
    )
    result = migrate_source(source)
    assert "unknown_name" not in result.output
    assert result.output.count("# migrate: TODO(unmapped)") == 1  # tf.other_unknown's stays
    assert migrate_source(result.output).output == result.output
