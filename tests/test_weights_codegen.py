"""`migrate weights` into the modules `migrate model` writes: the two halves of the pipeline agree.

The module source comes from the code generator (migrate/codegen/), not from this file, so a
change of name, layout or flatten convention on either side fails here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")
codegen = pytest.importorskip("migrate.codegen")

from migrate.weights import convert  # noqa: E402
from migrate.weights.keras_model import input_layouts  # noqa: E402

from . import test_weights as cases  # noqa: E402


def generated_module(model: Any) -> Any:
    generated = codegen.generate(model, None)
    # The generator and the mapper must agree on which inputs arrive channels-first.
    assert generated.input_layouts == ["channels_first" if cf else "channels_last" for cf in input_layouts(model)]
    namespace: dict[str, Any] = {}
    exec(compile(generated.source, f"<migrate model {model.name}>", "exec"), namespace)  # noqa: S102
    return namespace[generated.class_name]()


def separable_group_norm() -> Any:
    x = keras.Input((8, 8, 3), name="image")
    h = keras.layers.SeparableConv2D(5, 3, depth_multiplier=2, padding="same", name="sep")(x)
    return keras.Model(x, keras.layers.GroupNormalization(groups=5, name="gn")(h), name="separable_group_norm")


def attention_block() -> Any:
    x = keras.Input((5, 8), name="x")
    h = keras.layers.MultiHeadAttention(2, 3, name="mha")(x, x)
    h = keras.layers.LayerNormalization(name="ln")(keras.layers.Add()([x, h]))
    return keras.Model(x, keras.layers.Dense(4, name="out")(h), name="attention_block")


def bidirectional() -> Any:
    x = keras.Input((5, 3), name="x")
    h = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True), name="bi_lstm")(x)
    h = keras.layers.Bidirectional(keras.layers.GRU(3), merge_mode="sum", name="bi_gru")(h)
    return keras.Model(x, h, name="bidirectional")


@pytest.mark.parametrize(
    "builder",
    [
        cases.mlp, cases.cnn, cases.depthwise_up, cases.norm, cases.embed, cases.recurrent("LSTM"),
        cases.recurrent("GRU"), cases.dense_bn, cases.conv1d_flat, cases.flatten_dropout, cases.flatten_output,
        cases.two_inputs, cases.nested, separable_group_norm, attention_block,
        bidirectional,
    ],
    ids=lambda b: b.__name__ if b.__name__ != "build" else "recurrent",
)
def test_weights_load_into_the_generated_module(builder: Any) -> None:
    keras.utils.set_random_seed(0)
    model = cases.randomise(builder(), seed=21)
    module = generated_module(model)
    convert(model, module)
    delta = cases.max_delta(model, module, cases.batch(model, seed=5))
    print(f"codegen {model.name}: max |Δ| {delta:.2e}")
    assert delta <= cases.TOLERANCE


def test_an_application_model_end_to_end() -> None:
    """MobileNetV2 (depthwise convs, 52 BatchNormalizations, ZeroPadding, ReLU6), small."""
    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV2(
        weights=None, input_shape=(32, 32, 3), alpha=0.35, classes=7, classifier_activation=None
    )
    model = cases.randomise(model, seed=22, deep=True)
    module = generated_module(model)
    state = convert(model, module)
    assert sum(key.endswith("running_var") for key in state) == 52
    inputs = cases.batch(model, seed=6)
    delta = cases.max_delta(model, module, inputs)
    scale = float(np.max(np.abs(keras.ops.convert_to_numpy(model(inputs[0], training=False)))))
    print(f"codegen MobileNetV2: max |Δ| {delta:.2e}, max |output| {scale:.2f}")
    assert delta <= 1e-4  # a whole application model (the project's stated tolerance)
