"""`migrate weights` on a subclassed model the source rewrite migrated.

A layer with `activation=` becomes ``nn.Sequential(layer, activation)`` under the attribute the
Keras model gave it: its parameters are found inside (``block.hidden.0.weight``). A Dense after
a Flatten of an image gets its columns moved to torch's C,H,W order although Keras keeps no
graph of a subclass's calls (read from the ONNX graph). Outputs compared with Keras within 1e-5."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

from migrate.codemod import Outcome, migrate_source  # noqa: E402
from migrate.weights import convert  # noqa: E402

from .test_keras_layers_support import Wrapped, randomise  # noqa: E402

SOURCE = '''
from tensorflow import keras
from tensorflow.keras import layers


class Block(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv = layers.Conv2D(4, 3, padding="same", activation="relu")
        self.flat = layers.Flatten()
        self.hidden = layers.Dense(8, activation="tanh")
        self.out = layers.Dense(2)

    def call(self, x):
        return self.out(self.hidden(self.flat(self.conv(x))))


block = Block()
'''


def test_weights_find_a_layer_wrapped_with_its_activation() -> None:
    keras.backend.clear_session()
    keras.utils.set_random_seed(6)
    namespace: dict[str, Any] = {}
    exec(compile(SOURCE, "<keras>", "exec"), namespace)
    net = namespace["block"]
    images = np.random.default_rng(6).normal(size=(3, 8, 8, 3)).astype("float32")
    net(images)
    randomise(net, 6)
    tensor = keras.Input(shape=(8, 8, 3))
    wrapped = keras.Model(tensor, net(tensor), name="wrapper")

    result = migrate_source(SOURCE)
    assert not [f for f in result.findings if f.outcome is Outcome.TODO], result.output
    assert "self.hidden = nn.Sequential(" in result.output  # the layer and its activation
    migrated: dict[str, Any] = {}
    exec(compile(result.output, "<migrated>", "exec"), migrated)
    module = Wrapped(net.name, migrated["block"])
    state = convert(wrapped, module)
    assert f"{net.name}.hidden.0.weight" in state
    expected = keras.ops.convert_to_numpy(wrapped(images))
    module.eval()
    with torch.no_grad():
        got = module(torch.from_numpy(images.transpose(0, 3, 1, 2).copy())).numpy()
    delta = float(np.max(np.abs(expected - got)))
    assert np.std(expected) > 1e-3 and delta <= 1e-5, delta
