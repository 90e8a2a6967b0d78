"""Keras's LSTM and SimpleRNN add one bias, torch's nn.LSTM/nn.RNN two (``bias_ih`` and
``bias_hh``). A migrated module whose ``bias_hh`` trains moves the bias twice as fast as Keras:
inference matches, training does not. Both routes — the source rewrite (``KerasLSTM``) and
``migrate model`` — must freeze it; GRU (``reset_after=True``) has two trainable biases in
Keras too and keeps both.

Checked with `migrate verify`'s training check: 5 SGD steps (learning rate 0.1), every
parameter within verify's training tolerance (1e-4) of Keras's.
"""

from __future__ import annotations

import types
from typing import Any

import pytest

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

from migrate.codegen import generate  # noqa: E402
from migrate.codemod import migrate_source  # noqa: E402
from migrate.verify import verify  # noqa: E402

from .codegen_support import load_module, randomize  # noqa: E402

SOURCE = '''
from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([
    keras.Input(shape=(7, 5)),
    layers.{cell}(6, name="rnn"),
    layers.Dense(2, name="head"),
], name="seq")
'''


def _keras_model(cell: str) -> Any:
    keras.backend.clear_session()
    keras.utils.set_random_seed(4)
    namespace: dict[str, Any] = {}
    exec(compile(SOURCE.format(cell=cell), "<keras>", "exec"), namespace)
    model = namespace["model"]
    randomize(model, 4)  # a nonzero bias: a zero one hides a wrong mapping
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


def _rewritten(cell: str) -> Any:
    result = migrate_source(SOURCE.format(cell=cell))
    assert result.error is None and "TODO" not in result.output, result.output
    namespace = types.ModuleType("rewritten")
    exec(compile(result.output, "<rewritten>", "exec"), namespace.__dict__)
    return namespace.model


@pytest.mark.parametrize("cell", ["LSTM", "SimpleRNN"])
def test_the_rewritten_recurrent_layer_trains_like_keras(cell: str) -> None:
    model = _keras_model(cell)
    module = _rewritten(cell)
    report = verify(model, module, train_steps=5)
    assert report.training is not None and report.training.ok, report.render()
    assert report.ok, report.render()
    assert report.training.worst_parameter is not None and report.training.worst_parameter[1] <= 1e-4


@pytest.mark.parametrize("cell", ["LSTM", "SimpleRNN"])
def test_the_generated_recurrent_layer_trains_like_keras(cell: str) -> None:
    model = _keras_model(cell)
    generated = generate(model)
    assert "bias_hh_l0.requires_grad_(False)" in generated.source
    module = load_module(generated.source, generated.class_name)()
    report = verify(model, module, train_steps=5)
    assert report.training is not None and report.training.ok, report.render()
    assert report.training.worst_parameter is not None and report.training.worst_parameter[1] <= 1e-4


def test_gru_keeps_both_biases_trainable() -> None:
    """Keras's reset_after GRU has a bias row for the input and one for the recurrent kernel."""
    module = _rewritten("GRU")
    rnn = next(m for m in module.modules() if type(m).__name__ == "KerasGRU")
    assert rnn.bias_ih_l0.requires_grad and rnn.bias_hh_l0.requires_grad
    generated = generate(_keras_model("GRU"))
    assert "requires_grad_(False)" not in generated.source


def test_a_reset_keeps_the_second_bias_zero() -> None:
    rnn = next(m for m in _rewritten("LSTM").modules() if type(m).__name__ == "KerasLSTM")
    rnn.reset_parameters()
    assert not rnn.bias_hh_l0.requires_grad and torch.all(rnn.bias_hh_l0 == 0)
