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


CUSTOM = '''
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="demo")
class Affine(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), name="kernel",
                                 regularizer=keras.regularizers.L2(0.01))
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", constraint="non_neg")
        self.input_spec = keras.layers.InputSpec(min_ndim=2)
        super().build(input_shape)

    def call(self, inputs, training=None, mask=None):
        y = ops.matmul(inputs, self.w) + self.bias
        return y * 0.5 if training else y

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class Gain(keras.layers.Layer):
    def __init__(self, size, **kwargs):
        super().__init__(**kwargs)
        self.size = size

    def build(self, input_shape):
        self.gain = self.add_weight(shape=(self.size,), initializer=keras.initializers.RandomNormal(stddev=0.1), name="gain")
        self.frozen = self.add_weight(shape=(self.size, 2), initializer="he_uniform", trainable=False, name="frozen")

    def call(self, x):
        return x * self.gain + ops.sum(self.frozen)
'''


@pytest.fixture(scope="module")
def custom() -> dict:
    result = migrate_source(CUSTOM)
    assert result.error is None
    assert not [f for f in result.findings if f.outcome is Outcome.TODO], result.output
    namespace: dict = {}
    exec(compile(result.output, "<migrated>", "exec"), namespace)
    return {"output": result.output, **namespace}


def test_a_custom_layer_is_a_module_with_keras_weights(custom: dict) -> None:
    """Outputs equal (1e-6, fp32) with the Keras variables copied by their Keras names."""
    keras = pytest.importorskip("keras")
    import numpy as np

    namespace: dict = {}
    exec(compile(CUSTOM, "<keras>", "exec"), namespace)
    x = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
    layer = namespace["Affine"](4, name="affine")
    layer(x)
    module = custom["Affine"](4)
    assert list(module.state_dict()) == ["kernel", "bias"]  # lazy, like nn.LazyLinear: no sizes yet
    # The bias has no `name=`: Keras calls it "variable", the module keeps its attribute name.
    assert [v.name for v in layer.weights] == ["kernel", "variable"]
    state = {"kernel": torch.from_numpy(np.asarray(layer.weights[0].numpy())), "bias": torch.rand(4)}  # Keras's is zero: give the sum something to add
    layer.weights[1].assign(state["bias"].numpy())
    expected = keras.ops.convert_to_numpy(layer(x, training=False))
    module.load_state_dict(state, strict=True)  # sizes the lazy weights; the first call keeps them
    module.eval()
    got = module(torch.from_numpy(x)).detach().numpy()
    assert [(name, tuple(p.shape)) for name, p in module.named_parameters()] == [("kernel", (5, 4)), ("bias", (4,))]
    assert np.max(np.abs(got - expected)) <= 1e-6
    fresh = custom["Affine"](4)
    fresh(torch.zeros(1, 5))  # or the first call sizes them, from the input
    assert fresh.kernel.shape == (5, 4) and torch.equal(fresh.bias, torch.zeros(4))
    module.train()
    assert np.allclose(module(torch.from_numpy(x)).detach().numpy(), expected * 0.5, atol=1e-6)


def test_regularizers_and_constraints_become_methods_the_loop_calls(custom: dict) -> None:
    module = custom["Affine"](2)
    module(torch.zeros(1, 3))
    with torch.no_grad():
        module.kernel.fill_(2.0)
        module.bias.fill_(-1.0)
    assert module.regularization_penalty().item() == pytest.approx(0.01 * 4.0 * 6)  # L2(0.01) · Σ w²
    module.apply_constraints()
    assert torch.equal(module.bias, torch.zeros(2))  # NonNeg clamps after the step
    assert "compute_output_shape() dropped" in custom["output"]
    assert "register_keras_serializable" not in custom["output"]
    assert custom["Affine"](**module.get_config()).units == 2  # get_config stays the constructor's arguments


def test_sizes_the_constructor_fixes_are_concrete_and_initialised_like_keras(custom: dict) -> None:
    torch.manual_seed(0)
    gain = custom["Gain"](4000)
    assert gain.gain.shape == (4000,) and gain.frozen.shape == (4000, 2)  # before any call
    assert not gain.frozen.requires_grad
    assert "def build" not in custom["output"].split("class Gain")[1]
    assert abs(gain.gain.std().item() - 0.1) < 0.01  # RandomNormal(stddev=0.1)
    limit = (6 / 4000) ** 0.5  # he_uniform: sqrt(6 / fan_in), Keras's fan_in of (4000, 2) is 4000
    assert gain.frozen.abs().max().item() <= limit and gain.frozen.abs().max().item() > 0.95 * limit


def test_an_add_weight_that_is_not_assigned_to_an_attribute_is_a_todo() -> None:
    source = "import keras\n\nclass S(keras.layers.Layer):\n    def build(self, shape):\n        w = self.add_weight(shape=(3,))\n        self.ws = [w]\n"
    result = migrate_source(source)
    (todo,) = [f for f in result.findings if f.rule == "models.subclass"]
    assert todo.outcome is Outcome.TODO and "`self.<attribute>`" in todo.message
    assert "class S(keras.layers.Layer)" in result.output


def test_an_initializer_that_is_not_written_in_the_source_is_a_todo() -> None:
    source = "import keras\n\nclass S(keras.layers.Layer):\n    def build(self, shape):\n        self.w = self.add_weight(shape=(3,), initializer=make_init())\n"
    result = migrate_source(source)
    (todo,) = [f for f in result.findings if f.rule == "models.subclass"]
    assert todo.outcome is Outcome.TODO and "initializer=make_init()" in todo.message


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


# ---------------------------------------------------------------------------------------
# Functional models and `.add` chains: what the trace refuses, and why (the numeric proof of
# what it accepts is tests/test_model_styles.py).

FUNCTIONAL_HEAD = "import tensorflow as tf\nfrom tensorflow import keras\nfrom tensorflow.keras import layers\n\n"


def _model_todo(source: str, rule: str = "models.subclass") -> str:
    result = migrate_source(FUNCTIONAL_HEAD + source)
    assert result.error is None
    todos = [f.message for f in result.findings if f.rule == rule and f.outcome is Outcome.TODO]
    # An `.add` chain waits on each line; its last `.add` says why the chain stays.
    assert len([t for t in todos if "migrated at its last `.add`" not in t]) == 1, result.output
    assert migrate_source(result.output).output == result.output
    return todos[-1]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (
            "def tower(depth):\n    inputs = keras.Input(shape=(8,))\n    x = inputs\n"
            "    for _ in range(depth):\n        x = layers.Dense(8)(x)\n    return keras.Model(inputs, x)\n",
            "`x` is assigned in a `for` loop",
        ),
        (
            "inputs = keras.Input(shape=(8,))\nx = tf.reduce_mean(layers.Dense(4)(inputs), axis=-1)\n"
            "model = keras.Model(inputs, x)\n",
            "channels-last axes",
        ),
        (
            "inputs = keras.Input(shape=(8,))\ncode = layers.Dense(4)(inputs)\nencoder = keras.Model(inputs, code)\n"
            "decoded = layers.Dense(8)(code)\n",
            "`code` of the graph is used outside the model",
        ),
        (
            "def build(flag):\n    inputs = keras.Input(shape=(8,))\n    if flag:\n"
            "        return keras.Model(inputs, layers.Dense(2)(inputs))\n",
            "inside a block",
        ),
        (
            "def build(make_layer):\n    inputs = keras.Input(shape=(8,))\n"
            "    return keras.Model(inputs, make_layer(4)(inputs))\n",
            "is not a layer the rewrite follows",
        ),
        (
            "inputs = keras.Input(shape=(8,))\nother = keras.Input(shape=(2,))\n"
            "model = keras.Model(inputs, layers.Dense(2)(other))\n",
            "not among the model's inputs",
        ),
    ],
    ids=["loop", "tf_op", "shared_graph", "in_block", "helper_builds_layers", "stray_input"],
)
def test_a_graph_the_trace_cannot_follow_is_a_todo_that_says_why(source: str, reason: str) -> None:
    assert reason in _model_todo(source)


def test_the_generated_class_takes_a_free_name_and_the_enclosing_names_it_needs() -> None:
    source = FUNCTIONAL_HEAD + (
        "class Classifier:\n    pass\n\n\n"
        "def classifier(width, scale):\n"
        "    inputs = keras.Input(shape=(4,))\n"
        "    x = layers.Dense(width)(inputs) * scale\n"
        "    return keras.Model(inputs, layers.Dense(2, name='out')(x))\n"
    )
    result = migrate_source(source)
    assert "class ClassifierModule(nn.Module):" in result.output
    assert "def __init__(self, width, scale):" in result.output
    assert "self.scale = scale" in result.output and "x = self.dense(inputs) * self.scale" in result.output
    assert "return ClassifierModule(width=width, scale=scale)" in result.output
    namespace: dict = {}
    exec(compile(result.output, "<migrated>", "exec"), namespace)
    module = namespace["classifier"](3, 2.0)
    assert module(torch.ones(5, 4)).shape == (5, 2)


def test_an_add_chain_in_a_loop_is_a_todo() -> None:
    source = "def stacked(depth):\n    tower = keras.Sequential()\n    for _ in range(depth):\n        tower.add(layers.Dense(8))\n    return tower\n"
    assert "inside a block" in _model_todo(source, "models.sequential_add")


def test_an_add_chain_of_something_not_a_layer_call_is_a_todo() -> None:
    source = "def grow(base):\n    model = keras.Sequential()\n    model.add(base)\n    model.add(layers.Dense(2))\n    return model\n"
    assert "`base` is not a layer call" in _model_todo(source, "models.sequential_add")


def test_a_lazy_build_of_a_list_input_gets_the_list_of_shapes_and_keeps_keras_fans() -> None:
    source = (
        "import keras\n\nclass Pair(keras.layers.Layer):\n"
        "    def build(self, input_shape):\n"
        "        self.w = self.add_weight(shape=(input_shape[0][-1],), name='w')\n\n"
        "    def call(self, inputs):\n        a, b = inputs\n        return a * self.w + b\n"
    )
    result = migrate_source(source)
    namespace: dict = {}
    exec(compile(result.output, "<migrated>", "exec"), namespace)
    torch.manual_seed(0)
    pair = namespace["Pair"]()
    out = pair([torch.ones(2, 3000), torch.zeros(2, 3000)])
    limit = (3 / 3000) ** 0.5  # glorot_uniform of a vector: fan_in = fan_out = 3000
    assert out.shape == (2, 3000) and 0.95 * limit < pair.w.abs().max().item() <= limit


def test_a_build_that_makes_sub_layers_from_the_input_shape_is_a_todo() -> None:
    source = (
        "import keras\n\nclass Proj(keras.layers.Layer):\n"
        "    def build(self, input_shape):\n        self.proj = keras.layers.Dense(input_shape[-1])\n\n"
        "    def call(self, x):\n        return self.proj(x)\n"
    )
    result = migrate_source(source)
    (todo,) = [f for f in result.findings if f.rule == "models.subclass"]
    assert todo.outcome is Outcome.TODO and "sub-layers from the input shape" in todo.message
    assert migrate_source(result.output).output == result.output


def test_an_initializer_the_layer_holds_is_applied_when_the_weight_is_made() -> None:
    """The library style: `self.kernel_initializer = initializers.get(name)` in __init__ and
    `initializer=self.kernel_initializer` in build → a helper with Keras's defaults and fans."""
    source = (
        "import keras\nfrom keras import initializers, ops\n\n\n"
        "class Scale(keras.layers.Layer):\n"
        "    def __init__(self, kernel_initializer='glorot_uniform', **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.kernel_initializer = initializers.get(kernel_initializer)\n\n"
        "    def build(self, input_shape):\n"
        "        self.kernel = self.add_weight(shape=(input_shape[-1], 4), initializer=self.kernel_initializer, name='kernel')\n\n"
        "    def call(self, x):\n        return ops.matmul(x, self.kernel)\n"
    )
    result = migrate_source(source)
    assert not [f for f in result.findings if f.outcome is Outcome.TODO], result.output
    assert result.output.count("def keras_initializer(") == 1
    namespace: dict = {}
    exec(compile(result.output, "<migrated>", "exec"), namespace)
    torch.manual_seed(0)
    for name, check in (
        ("glorot_uniform", lambda w: 0.95 * (6 / 3004) ** 0.5 < w.abs().max() <= (6 / 3004) ** 0.5),
        ("he_normal", lambda w: abs(w.std() - (2 / 3000) ** 0.5) < 0.002),  # fan_in of (3000, 4)
        ("zeros", lambda w: not w.any()),
    ):
        layer = namespace["Scale"](kernel_initializer=name)
        layer(torch.ones(1, 3000))
        assert check(layer.kernel.detach()), name
    assert migrate_source(result.output).output == result.output


def test_a_regularizer_and_constraint_the_layer_holds_are_read_when_used() -> None:
    source = (
        "import keras\nfrom keras import constraints, ops, regularizers\n\n\n"
        "class Scale(keras.layers.Layer):\n"
        "    def __init__(self, kernel_regularizer=None, kernel_constraint=None, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.kernel_regularizer = regularizers.get(kernel_regularizer)\n"
        "        self.kernel_constraint = constraints.get(kernel_constraint)\n\n"
        "    def build(self, input_shape):\n"
        "        self.kernel = self.add_weight(shape=(input_shape[-1], 2), initializer='ones', name='kernel', dtype=self.dtype,\n"
        "                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)\n\n"
        "    def call(self, x):\n        return ops.matmul(x, self.kernel)\n"
    )
    result = migrate_source(source)
    assert not [f for f in result.findings if f.outcome is Outcome.TODO], result.output
    namespace: dict = {}
    exec(compile(result.output, "<migrated>", "exec"), namespace)
    plain = namespace["Scale"]()
    plain(torch.ones(1, 3))
    assert plain.regularization_penalty().item() == 0.0  # None: no term
    held = namespace["Scale"](kernel_regularizer="l2", kernel_constraint="non_neg")
    held(torch.ones(1, 3))
    assert held.regularization_penalty().item() == pytest.approx(0.01 * 6)  # l2's default 0.01 · Σ w²
    with torch.no_grad():
        held.kernel.fill_(-1.0)
    held.apply_constraints()
    assert torch.equal(held.kernel, torch.zeros(3, 2))
