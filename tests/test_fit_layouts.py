"""The migrated loops feed images in the layout the migrated model takes.

Keras feeds channels-last batches (NHWC); the migrated modules are channels-first (NCHW). The
loop permutes each batch when it can see how the model is built — now also through a builder
function of the file that returns a functional model — and, when it cannot (a model passed in,
imported or loaded), takes the permutation as an explicit ``input_permutation=`` argument
that the call site passes (``None``, with a comment saying when to change it): the rules never
guess a layout from the batches' shapes at run time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from migrate.codemod import migrate_source

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")


def migrated(source: str) -> tuple[Any, dict[str, Any]]:
    result = migrate_source(source)
    assert result.error is None
    todos = [f for f in result.findings if f.outcome.name == "TODO"]
    assert not todos, todos
    scope: dict[str, Any] = {"__name__": "migrated"}
    exec(compile(result.output, "<migrated>", "exec"), scope)  # noqa: S102
    return result, scope


BUILDER = """
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    inputs = keras.Input(shape=(8, 8, 1))
    x = layers.Conv2D(4, 3, activation="relu")(inputs)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(2)(x)
    model = keras.Model(inputs, outputs)
    return model


def train(images, labels):
    model = build_model()
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(images, labels, epochs=2, batch_size=8, verbose=0)
    return history, model.evaluate(images, labels, verbose=0), model.predict(images, verbose=0), model.train_on_batch(images, labels)
"""


def test_a_functional_model_from_a_builder_gets_channels_first_batches() -> None:
    """Without the permutation, the NHWC batch (16, 8, 8, 1) reaches a Conv2d of 1 input
    channel as 8 channels and torch refuses it."""
    rng = np.random.default_rng(0)
    images = rng.random((16, 8, 8, 1)).astype("float32")
    labels = (images.mean(axis=(1, 2, 3)) > 0.5).astype("int64")
    result, scope = migrated(BUILDER)
    assert result.output.count("batch_x = batch_x.permute(0, 3, 1, 2)") == 3  # fit, evaluate, predict
    assert "    x = x.permute(0, 3, 1, 2)" in result.output  # train_on_batch
    assert "input_permutation" not in result.output  # the builder is seen: nothing to ask
    history, loss, outputs, step = scope["train"](images, labels)
    k_outputs = keras.Sequential([keras.Input(shape=(8, 8, 1)), keras.layers.Conv2D(4, 3), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)]).predict(images, verbose=0)
    assert outputs.shape == k_outputs.shape == (16, 2)
    assert len(history.history["loss"]) == 2 and np.isfinite(loss) and np.isfinite(step)


ELSEWHERE = """
from tensorflow import keras


def train(model, images, labels):
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(images, labels, epochs=2, batch_size=4, shuffle=False, verbose=0)
    return history, model.predict(images, verbose=0)
"""


def keras_and_torch_twins() -> tuple[Any, Any]:
    """The same image classifier in Keras (NHWC) and torch (NCHW), with the same weights."""
    k_model = keras.Sequential([keras.Input(shape=(6, 6, 2)), keras.layers.Conv2D(3, 3), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    t_model = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 2))
    kernel, bias, dense, dense_bias = k_model.get_weights()
    with torch.no_grad():
        t_model[0].weight.copy_(torch.from_numpy(kernel.transpose(3, 2, 0, 1)))
        t_model[0].bias.copy_(torch.from_numpy(bias))
        t_model[3].weight.copy_(torch.from_numpy(dense.T))
        t_model[3].bias.copy_(torch.from_numpy(dense_bias))
    return k_model, t_model


def test_a_model_built_elsewhere_takes_the_permutation_the_call_site_passes() -> None:
    rng = np.random.default_rng(1)
    images = rng.normal(size=(8, 6, 6, 2)).astype("float32")
    labels = rng.integers(0, 2, size=8)
    result, scope = migrated(ELSEWHERE)
    output = result.output
    # The call sites pass the argument explicitly, with the comment that says when to change it,
    # and the report carries a note.
    assert output.count("input_permutation=None\n") == 2
    assert output.count("# `model` is built elsewhere: if it takes channels-last images, pass input_permutation=(0, 3, 1, 2)") == 2
    assert any("input_permutation=(0, 3, 1, 2)" in f.message for f in result.findings if f.outcome.name != "TODO")
    assert migrate_source(output).output == output  # stable

    k_model, t_model = keras_and_torch_twins()
    with pytest.raises(RuntimeError):  # as migrated: NHWC batches into an NCHW module
        scope["train"](t_model, images, labels)

    # The user's one edit: the permutation the comment names.
    edited = output.replace("input_permutation=None\n", "input_permutation=(0, 3, 1, 2)\n")
    scope = {"__name__": "migrated"}
    exec(compile(edited, "<edited>", "exec"), scope)  # noqa: S102
    k_model, t_model = keras_and_torch_twins()
    k_scope: dict[str, Any] = {}
    exec(compile(ELSEWHERE, "<keras>", "exec"), k_scope)  # noqa: S102
    k_history, k_outputs = k_scope["train"](k_model, images, labels)
    t_history, t_outputs = scope["train"](t_model, images, labels)
    np.testing.assert_allclose(t_history.history["loss"], k_history.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(t_outputs, k_outputs, rtol=1e-5, atol=1e-6)
