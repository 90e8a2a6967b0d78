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
    ("keras.metrics.pearson_correlation", "regression", None, "pearson_correlation"),
    ("keras.metrics.concordance_correlation", "regression", None, "concordance_correlation"),
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
    expression = cst.Module([]).code_for_node(plan.call(cst.Name("y_true"), cst.Name("y_pred")))
    scope = {"torch": torch, "F": torch.nn.functional, "y_true": torch.from_numpy(y_true), "y_pred": torch.from_numpy(y_pred)}
    for definition in getattr(CTX, "definitions", []):  # helpers the expression calls (the losses' rank rule)
        exec(definition, scope)  # noqa: S102
    got = float(eval(expression, scope))  # noqa: S307
    assert got == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "source, loss",
    [("keras.metrics.AUC()", None), ("keras.metrics.Precision()", None), ("'accuracy'", "'mse'"), ("'accuracy'", None)],
)
def test_metrics_without_a_faithful_batch_mean_say_why(source: str, loss: str | None) -> None:
    with pytest.raises(CannotMigrate) as error:
        torch_metric(cst.parse_expression(source), CTX, cst.parse_expression(loss) if loss else None)
    assert "batches" in error.value.reason or "shapes" in error.value.reason


#: (Keras metric source, data kind) for metric objects a custom loop updates by hand.
OBJECTS = [
    ("keras.metrics.SparseCategoricalAccuracy(name='train_accuracy')", "sparse"),
    ("keras.metrics.CategoricalAccuracy()", "onehot"),
    ("keras.metrics.BinaryAccuracy(threshold=0.6)", "binary"),
    ("keras.metrics.TopKCategoricalAccuracy(k=2)", "onehot"),
    ("keras.metrics.MeanSquaredError()", "regression"),
    ("keras.metrics.SparseCategoricalCrossentropy(from_logits=True)", "sparse"),
]


def _run_migrated(source: str, namespace: dict) -> dict:
    from migrate.codemod import migrate_source

    result = migrate_source(source)
    assert result.error is None and "TODO" not in result.output, result.output
    code = "\n".join(line for line in result.output.splitlines() if line != "import keras")
    exec(compile(code, "<migrated>", "exec"), namespace)  # noqa: S102 - generated by our rules
    return namespace


@pytest.mark.parametrize("source, kind", OBJECTS, ids=[o[0] for o in OBJECTS])
def test_metric_objects_keep_keras_running_mean_across_batches(source: str, kind: str) -> None:
    """update_state on batches of different sizes, result, reset_state, and a call: Keras's
    numbers at each point (the running mean weighs examples, not batches)."""
    rng = np.random.default_rng(3)
    batches = [_data(kind, rng) for _ in range(3)]
    batches[1] = (batches[1][0][:7], batches[1][1][:7])  # a short batch
    keras_metric = eval(source, {"keras": keras})  # noqa: S307
    expected = []
    for y, p in batches[:2]:
        keras_metric.update_state(y, p)
        expected.append(float(keras_metric.result()))
    keras_metric.reset_state()
    expected.append(float(keras_metric(batches[2][0], batches[2][1])))

    scope = _run_migrated(f"import keras\n\nmetric = {source}\n", {})
    metric = scope["metric"]
    got = []
    for y, p in batches[:2]:
        metric.update_state(torch.from_numpy(y), torch.from_numpy(p))
        got.append(float(metric.result()))
    metric.reset_state()
    got.append(float(metric(torch.from_numpy(batches[2][0]), torch.from_numpy(batches[2][1]))))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert metric.name == keras_metric.name


def test_mean_metric_averages_every_value_given() -> None:
    keras_mean = keras.metrics.Mean(name="train_loss")
    scope = _run_migrated('import keras\n\nmean = keras.metrics.Mean(name="train_loss")\n', {})
    for values in ([1.0, 2.0], [4.0], [0.5, 0.5, 0.5]):
        keras_mean.update_state(np.array(values, "float32"))
        scope["mean"](torch.tensor(values))
    assert float(scope["mean"].result()) == pytest.approx(float(keras_mean.result()), rel=1e-6)
    assert scope["mean"].name == "train_loss"
