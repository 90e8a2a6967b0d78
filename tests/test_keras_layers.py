"""Each Keras layer class the source rewrite maps (rules/keras_layers.py), run for real.

Every case is a Keras source holding the layer; the original runs with TensorFlow, the
migrated source with torch, the weights go through ``migrate.weights.convert`` (strict), and
the outputs must agree to 1e-5 on one batch — in train mode too where the model has no
random op (BatchNormalization then uses the batch statistics in both).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from migrate.codemod import Outcome, migrate_source
from migrate.rules import default_registry
from migrate.rules.keras_layers import RULES_BY_CLASS

from .test_keras_layers_support import TOLERANCE, keras_names_left, max_delta, run_pair

ROOT = Path(__file__).resolve().parent.parent

HEAD = "from tensorflow import keras\nfrom tensorflow.keras import layers\n\n"

# case → (layers inside keras.Sequential([...]), input shape without batch, train-mode check)
CASES = {
    "dense": ('layers.Dense(8, activation="relu", input_shape=(6,)), layers.Dense(3, name="out")', (6,), True),
    "dense_lazy": ('layers.Dense(8, activation="tanh"), layers.Dense(3)', (6,), True),
    "conv2d_bn_pool": (
        'layers.Conv2D(6, 3, activation="relu", input_shape=(12, 12, 3)), layers.BatchNormalization(), '
        'layers.MaxPooling2D(), layers.Conv2D(8, 3, strides=2, padding="same"), layers.Flatten(), '
        'layers.Dense(5, activation="softmax")',
        (12, 12, 3), True,
    ),
    "conv2d_lazy_same": (
        'layers.Conv2D(4, 3, padding="same", use_bias=False), layers.AveragePooling2D(2), '
        'layers.GlobalAveragePooling2D(), layers.Dense(3)',
        (8, 8, 2), True,
    ),
    "pools2d_same": (
        'layers.Conv2D(4, 3, padding="same", dilation_rate=2, input_shape=(9, 9, 2)), layers.BatchNormalization(momentum=0.9, epsilon=0.01), '
        'layers.MaxPooling2D(3, strides=2, padding="same"), layers.AveragePooling2D(2, padding="same"), '
        'layers.GlobalMaxPooling2D()',
        (9, 9, 2), True,
    ),
    "conv1d": (
        'layers.Conv1D(4, 3, activation="elu", input_shape=(16, 3)), layers.SpatialDropout1D(0.2), '
        'layers.MaxPooling1D(2), layers.AveragePooling1D(2, padding="same"), layers.Conv1D(5, 2), '
        'layers.GlobalAveragePooling1D(), layers.BatchNormalization()',
        (16, 3), False,
    ),
    "conv1d_global_max": ('layers.Conv1D(3, 2, input_shape=(7, 2)), layers.GlobalMaxPooling1D()', (7, 2), True),
    "conv3d": (
        'layers.Conv3D(4, 2, input_shape=(6, 6, 6, 2)), '
        'layers.MaxPooling3D(2), layers.AveragePooling3D(1), layers.GlobalMaxPooling3D()',
        (6, 6, 6, 2), True,
    ),
    "conv3d_global_avg": ('layers.Conv3D(3, 2, input_shape=(4, 4, 4, 1)), layers.GlobalAveragePooling3D()', (4, 4, 4, 1), True),
    "activations": (
        'layers.Dense(6, input_shape=(5,)), layers.Activation("gelu"), layers.ReLU(max_value=6.0), '
        'layers.Dense(6), layers.LeakyReLU(), layers.Dense(6), layers.ELU(alpha=0.5), layers.Dense(6), '
        'layers.ReLU(), layers.Dense(4), layers.Softmax()',
        (5,), True,
    ),
    "dropouts": (
        'layers.Conv2D(4, 3, input_shape=(8, 8, 2)), layers.SpatialDropout2D(0.3), layers.Dropout(0.2), '
        'layers.GlobalAveragePooling2D()',
        (8, 8, 2), False,
    ),
    "embedding_layer_norm": (
        'keras.Input(shape=(6,), dtype="int32"), layers.Embedding(20, 4), layers.LayerNormalization(epsilon=0.01), '
        'layers.Flatten(), layers.Dense(3)',
        (6,), True, 20,
    ),
    "padding_upsampling_depthwise": (
        'layers.ZeroPadding2D(((0, 1), (2, 1)), input_shape=(5, 6, 3)), layers.DepthwiseConv2D(3, depth_multiplier=2, '
        'strides=2, padding="same", activation="relu"), layers.UpSampling2D(2), layers.Identity(), '
        'layers.UpSampling2D((1, 2), interpolation="bilinear"), layers.Conv2D(2, 1)',
        (5, 6, 3), True,
    ),
    "padding1d": (
        'layers.Conv1D(3, 2, input_shape=(6, 2)), layers.ZeroPadding1D((1, 2)), layers.Conv1D(3, 2), '
        'layers.GlobalMaxPooling1D()',
        (6, 2), True,
    ),
    "padding3d": ('layers.ZeroPadding3D(1, input_shape=(3, 3, 3, 2)), layers.Conv3D(2, 2), layers.GlobalAveragePooling3D()', (3, 3, 3, 2), True),
    "conv_transpose_separable": (
        'layers.Conv2DTranspose(3, 3, strides=2, padding="same", input_shape=(5, 5, 2)), '
        'layers.Conv2DTranspose(4, 4, strides=2, padding="same", activation="relu"), layers.Conv2DTranspose(2, 1, strides=2), '
        'layers.Conv2DTranspose(3, 3), layers.SeparableConv2D(4, 3, strides=2, padding="same", depth_multiplier=2), '
        'layers.GlobalAveragePooling2D()',
        (5, 5, 2), True,
    ),
    "conv_transpose_3d": ('layers.Conv3DTranspose(2, 3, strides=2, padding="same", input_shape=(3, 3, 3, 2)), layers.GlobalMaxPooling3D()', (3, 3, 3, 2), True),
    "bn_dense": ('layers.Dense(5, input_shape=(4,)), layers.BatchNormalization(), layers.Dense(2)', (4,), True),
}


def _source(layers: str) -> str:
    return HEAD + f"model = keras.Sequential([{layers}])\n"


@pytest.fixture(scope="module")
def pairs() -> dict:
    return {}


@pytest.mark.parametrize("case", list(CASES))
def test_layer_matches_keras(pairs: dict, case: str) -> None:
    layers, shape, train, *vocab = CASES[case]
    pair = pairs[case] = run_pair(_source(layers), shape, vocab=vocab[0] if vocab else 0)
    assert not keras_names_left(pair.migrated), pair.migrated
    delta = max_delta(pair)
    print(f"{case}: eval max |Δ| {delta:.2e}")
    assert delta <= TOLERANCE
    if train:
        delta = max_delta(pair, training=True)
        print(f"{case}: train max |Δ| {delta:.2e}")
        assert delta <= TOLERANCE


def test_every_layer_rule_has_a_numeric_case() -> None:
    """Each Keras class a layer rule maps appears in some case above."""
    from . import test_layer_rows  # the rows added after this file: recurrent, merges, attention…

    sources = " ".join(c[0] for c in [*CASES.values(), *test_layer_rows.SEQUENTIAL.values()]) + test_layer_rows.SUBCLASS
    used = set(re.findall(r"layers\.(\w+)\(", sources))
    missing = sorted(keras for keras in RULES_BY_CLASS if keras not in used)
    assert not missing, f"layer rules without a numeric case: {missing}"


def test_signatures_match_the_installed_keras() -> None:
    script = ROOT / "benchmarks" / "keras_signatures.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_layer_rules_are_registered() -> None:
    ids = set(default_registry().ids())
    assert {rule.id for rule in RULES_BY_CLASS.values()} <= ids


def test_a_layer_inside_an_unmigrated_sequential_writes_no_init_lines_of_its_own() -> None:
    """The layer rule never writes `nn.init…(net.weight)` for a layer nested in an assigned call:
    `net` is the container, not the layer. A Sequential left as a TODO keeps that TODO; a
    chosen initializer inside a call no line can reach is a TODO, not silently dropped."""
    source = (
        "from tensorflow import keras\nfrom tensorflow.keras import layers\n\n"
        "net = keras.Sequential([layers.Conv2D(4, 3, input_shape=(8, 8, 3))], trainable=False)\n"
        "tower = wrap(layers.Dense(4, input_shape=(3,), kernel_initializer=\"he_normal\"))\n"
    )
    result = migrate_source(source)
    assert result.error is None
    assert "net.weight" not in result.output and not re.search(r"nn\.init\.\w+\(", result.output), result.output
    todos = {f.rule: f.message for f in result.findings if f.outcome is Outcome.TODO}
    assert "trainable=" in todos["models.sequential"]
    assert todos["layers.Dense"].startswith("`kernel_initializer=`"), todos


@pytest.mark.parametrize("layer", ["layers.Dense(3)", "layers.Dense(3, input_shape=(4,))"])
def test_a_layer_in_a_compound_statement_header_is_migrated(layer: str) -> None:
    """`elif layers.Dense(3)(x):` — the statement holding the call is the `if`, with no
    assignment to read (found by tests/test_properties.py)."""
    source = f"from tensorflow.keras import layers\n\nif x:\n    pass\nelif {layer}(x):\n    y = 3\n"
    result = migrate_source(source)
    assert result.error is None, result.error
    assert "nn.Linear" in result.output or "nn.LazyLinear" in result.output
