"""The metric expressions ``rules/keras_metrics.py`` writes, against Keras, on one batch.

A fresh Keras metric updated with one batch gives that batch's mean; the torch expression
(``MetricPlan.call``) must give the same number (1e-6; accuracies are exact fractions).
"""

from __future__ import annotations

import libcst as cst
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

from migrate.rules.base import CannotMigrate  # noqa: E402
from migrate.rules.keras_metrics import torch_metric  # noqa: E402

from .test_losses_numeric import CTX  # noqa: E402


def _data(kind: str, rng: np.random.Generator):
    if kind == "sparse":
        return rng.integers(0, 5, size=(40,)).astype("int64"), rng.normal(size=(40, 5)).astype("float32")
    if kind == "sparse_column":
        return rng.integers(0, 5, size=(40, 1)).astype("int64"), rng.normal(size=(40, 5)).astype("float32")
    if kind == "onehot":
        return np.eye(5, dtype="float32")[rng.integers(0, 5, size=(40,))], rng.normal(size=(40, 5)).astype("float32")
    if kind == "binary":
        return rng.integers(0, 2, size=(40, 3)).astype("float32"), rng.uniform(size=(40, 3)).astype("float32")
    if kind == "binary_column":  # labels (batch,), one output unit
        return rng.integers(0, 2, size=(40,)).astype("float32"), rng.uniform(size=(40, 1)).astype("float32")
    if kind == "regression":
        return rng.normal(size=(40, 3)).astype("float32"), rng.normal(size=(40, 3)).astype("float32")
    if kind == "equal":
        return rng.integers(0, 3, size=(40, 2)).astype("float32"), rng.integers(0, 3, size=(40, 2)).astype("float32")
    raise ValueError(kind)


#: (Keras metric source, data kind, compile loss for "accuracy", expected history name)
CASES = [
    ("keras.metrics.SparseCategoricalAccuracy()", "sparse", None, "sparse_categorical_accuracy"),
    ("keras.metrics.SparseCategoricalAccuracy(name='acc')", "sparse_column", None, "acc"),
    ("keras.metrics.CategoricalAccuracy()", "onehot", None, "categorical_accuracy"),
    ("keras.metrics.BinaryAccuracy()", "binary", None, "binary_accuracy"),
    ("keras.metrics.BinaryAccuracy(threshold=0.7)", "binary_column", None, "binary_accuracy"),
    ("keras.metrics.Accuracy()", "equal", None, "accuracy"),
    ("keras.metrics.TopKCategoricalAccuracy(k=2)", "onehot", None, "top_k_categorical_accuracy"),
    ("keras.metrics.SparseTopKCategoricalAccuracy(k=3)", "sparse", None, "sparse_top_k_categorical_accuracy"),
    ("keras.metrics.MeanSquaredError()", "regression", None, "mean_squared_error"),
    ("keras.metrics.MeanAbsoluteError(name='mae')", "regression", None, "mae"),
    ("keras.metrics.SparseCategoricalCrossentropy(from_logits=True)", "sparse", None, "sparse_categorical_crossentropy"),
    ("keras.metrics.LogCoshError()", "regression", None, "logcosh"),
    ("'accuracy'", "sparse", "'sparse_categorical_crossentropy'", "accuracy"),
    ("'acc'", "onehot", "keras.losses.CategoricalCrossentropy(from_logits=True)", "acc"),
    ("'accuracy'", "binary_column", "'binary_crossentropy'", "accuracy"),
    ("'sparse_categorical_accuracy'", "sparse", "'sparse_categorical_crossentropy'", "sparse_categorical_accuracy"),
    ("'top_k_categorical_accuracy'", "onehot", None, "top_k_categorical_accuracy"),
    ("'mse'", "regression", None, "mse"),
    ("keras.metrics.categorical_accuracy", "onehot", None, "categorical_accuracy"),
]


def _keras_metric(source: str, loss: str | None, y_true, y_pred):
    if source.startswith("'"):
        model = keras.Sequential([keras.Input(y_pred.shape[1:]), keras.layers.Identity()])
        model.compile(loss=eval(loss or "'mse'", {"keras": keras}), metrics=[eval(source)])  # noqa: S307
        # compile's metrics are built on the first batch; evaluate runs exactly one.
        result = model.evaluate(y_pred, y_true, batch_size=len(y_pred), verbose=0, return_dict=True)
        return result[eval(source)]  # noqa: S307
    value = eval(source, {"keras": keras})  # noqa: S307
    if callable(value) and not isinstance(value, keras.metrics.Metric):
        return float(np.mean(value(tf.constant(y_true), tf.constant(y_pred))))
    value.update_state(y_true, y_pred)
    return float(value.result())


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_metric_matches_keras_on_a_batch(case) -> None:  # noqa: ANN001
    source, kind, loss, name = case
    y_true, y_pred = _data(kind, np.random.default_rng(7))
    expected = _keras_metric(source, loss, y_true, y_pred)
    plan = torch_metric(cst.parse_expression(source), CTX, cst.parse_expression(loss) if loss else None)
    assert plan.name == name
    scope = {"torch": torch, "F": torch.nn.functional, "y_true": torch.from_numpy(y_true), "y_pred": torch.from_numpy(y_pred)}
    got = float(eval(cst.Module([]).code_for_node(plan.call(cst.Name("y_true"), cst.Name("y_pred"))), scope))  # noqa: S307
    assert got == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "source, loss",
    [("keras.metrics.AUC()", None), ("keras.metrics.Precision()", None), ("'accuracy'", "'mse'"), ("'accuracy'", None)],
)
def test_metrics_without_a_faithful_batch_mean_say_why(source: str, loss: str | None) -> None:
    with pytest.raises(CannotMigrate) as error:
        torch_metric(cst.parse_expression(source), CTX, cst.parse_expression(loss) if loss else None)
    assert "batches" in error.value.reason or "shapes" in error.value.reason
