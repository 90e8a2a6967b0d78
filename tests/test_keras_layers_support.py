"""Shared by tests/test_keras_layers.py and tests/test_sequential.py (no tests of its own).

``run_pair`` executes a Keras source with TensorFlow (in a fresh Keras session, so automatic
layer names start from ``dense``), migrates it, executes the migrated source with torch, moves
the weights with ``migrate.weights.convert`` (strict load) and compares the two models on one
batch: NHWC into Keras, NCHW into torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from migrate.codemod import Outcome, migrate_source

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

TOLERANCE = 1e-5  # max |Δ| fp32, one small model


@dataclass
class Pair:
    source: str
    migrated: str
    rules: set[str]  # rules that rewrote a site
    todos: list[str]
    keras_model: Any
    module: Any
    inputs: np.ndarray
    first: bool  # whether the module takes the batch channels-first


def randomise(model: Any, seed: int) -> None:
    """Every variable random, BN statistics included (a zero tensor vanishes in ONNX)."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        shape = tuple(variable.shape)
        if "variance" in variable.name:
            value = rng.uniform(0.5, 1.5, shape)
        else:
            value = rng.normal(0.0, 0.5, shape)
        variable.assign(value.astype("float32"))
    for layer in model._flatten_layers():  # noqa: SLF001
        if type(layer).__name__ == "Normalization" and layer.input_mean is None:
            layer.finalize_state()  # its call reads the statistics adapt() leaves, not the variables


def run_pair(source: str, input_shape: tuple[int, ...], seed: int = 1, name: str = "model", vocab: int = 0) -> Pair:
    """``vocab``: the batch holds token ids below it (an Embedding model) instead of floats."""
    from migrate.weights import convert
    from migrate.weights.keras_model import input_layouts

    keras.backend.clear_session()  # automatic names count from a fresh session
    keras.utils.set_random_seed(seed)
    namespace: dict[str, Any] = {}
    exec(compile(source, "<keras>", "exec"), namespace)
    model = namespace[name]
    rng = np.random.default_rng(seed)
    if vocab:
        inputs = rng.integers(0, vocab, size=(4, *input_shape)).astype("int32")
    else:
        inputs = rng.normal(size=(4, *input_shape)).astype("float32")
    model(inputs)  # builds a model without an Input
    randomise(model, seed)

    result = migrate_source(source)
    assert result.error is None
    torch.manual_seed(seed)
    migrated_ns: dict[str, Any] = {}
    exec(compile(result.output, "<migrated>", "exec"), migrated_ns)
    module = migrated_ns[name]
    convert(model, module)  # loads with strict=True, or raises
    (first,) = input_layouts(model)
    rules = {f.rule for f in result.findings if f.outcome is Outcome.REWRITTEN}
    todos = [f"{f.rule}: {f.message}" for f in result.findings if f.outcome is Outcome.TODO]
    return Pair(source, result.output, rules, todos, model, module, inputs, first)


def keras_names_left(migrated: str) -> set[str]:
    """Names bound by TF/Keras imports that the migrated code still uses outside imports.

    Until the engine lets a structural rule retract the TODOs of the sites it consumed
    (``ctx.consume``), a layer that only a Sequential could size keeps a stale TODO comment
    above the model; the model itself must hold no Keras code."""
    import ast

    tree = ast.parse(migrated)
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            module = getattr(node, "module", None) or ""
            for alias in node.names:
                root = (module or alias.name).split(".")[0]
                if root in ("tensorflow", "keras", "tf_keras"):
                    bound.add(alias.asname or alias.name.split(".")[0])
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return bound & used


def _nchw(array: np.ndarray, first: bool) -> np.ndarray:
    return np.ascontiguousarray(np.moveaxis(array, -1, 1)) if first and array.ndim >= 3 else array


def max_delta(pair: Pair, training: bool = False) -> float:
    """Max |Δ| of the two models' outputs on the pair's batch, in eval or train mode."""
    expected = keras.ops.convert_to_numpy(pair.keras_model(pair.inputs, training=training))
    pair.module.train(training)
    with torch.no_grad():
        batch = torch.from_numpy(_nchw(pair.inputs, pair.first))
        got = pair.module(batch.long() if pair.inputs.dtype.kind == "i" else batch).numpy()
    pair.module.eval()
    assert np.std(expected) > 1e-3, "a constant output would prove nothing"
    expected = _nchw(expected, expected.ndim >= 3 and pair.first)
    assert expected.shape == got.shape
    return float(np.max(np.abs(expected - got)))


class Wrapped(torch.nn.Module):
    """The torch side of ``keras.Model(inputs, net(inputs))``: the net as a submodule named
    like the Keras model, so `migrate weights` finds ``net.left.weight``."""

    def __init__(self, name: str, net: Any):
        super().__init__()
        self.add_module(name, net)
        self.name = name

    def forward(self, x: Any) -> Any:
        return getattr(self, self.name)(x)
