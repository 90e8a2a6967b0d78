"""Stateful Keras metrics used by hand in a custom loop (``rules/keras_metrics.py``,
``OBJECT_CLASSES``): the migrated file's class, updated over several uneven batches (some with
``sample_weight``), reset, and updated again, must give Keras's ``result()`` after every batch
(1e-6 for the confusion counts and MeanIoU, 1e-5 for AUC)."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

from migrate.codemod import migrate_source  # noqa: E402

BATCHES = (7, 32, 3, 19)  # uneven on purpose


def _binary(rng: np.random.Generator, n: int):
    y_true = rng.integers(0, 2, size=(n, 3)).astype("float32")
    # Predictions pulled towards the labels so the curves are not trivial.
    y_pred = np.clip(0.35 * y_true + 0.65 * rng.uniform(size=(n, 3)), 0, 1).astype("float32")
    return y_true, y_pred


def _logits(rng: np.random.Generator, n: int):
    y_true = rng.integers(0, 2, size=(n, 1)).astype("float32")
    return y_true, (2 * y_true - 1 + rng.normal(size=(n, 1))).astype("float32")


def _classes(rng: np.random.Generator, n: int):
    return rng.integers(0, 4, size=(n, 5)).astype("int64"), rng.integers(0, 4, size=(n, 5)).astype("int64")


def _one_hot(rng: np.random.Generator, n: int):
    return np.eye(4, dtype="float32")[rng.integers(0, 4, size=(n,))], rng.uniform(size=(n, 4)).astype("float32")


#: (Keras constructor, data, tolerance)
CASES = [
    ("keras.metrics.Precision()", _binary, 1e-6),
    ("keras.metrics.Recall(thresholds=0.3)", _binary, 1e-6),
    ("keras.metrics.Precision(thresholds=[0.2, 0.5, 0.9], name='p')", _binary, 1e-6),
    ("keras.metrics.Recall(class_id=1)", _binary, 1e-6),
    ("keras.metrics.TruePositives()", _binary, 1e-6),
    ("keras.metrics.FalsePositives(thresholds=0.7)", _binary, 1e-6),
    ("keras.metrics.TrueNegatives()", _binary, 1e-6),
    ("keras.metrics.FalseNegatives(thresholds=[0.1, 0.6])", _binary, 1e-6),
    ("keras.metrics.AUC()", _binary, 1e-5),
    ("keras.metrics.AUC(curve='PR')", _binary, 1e-5),
    ("keras.metrics.AUC(num_thresholds=50, summation_method='minoring')", _binary, 1e-5),
    ("keras.metrics.AUC(curve='PR', summation_method='majoring')", _binary, 1e-5),
    ("keras.metrics.AUC(from_logits=True)", _logits, 1e-5),
    ("keras.metrics.MeanIoU(num_classes=4)", _classes, 1e-6),
    ("keras.metrics.MeanIoU(num_classes=4, ignore_class=0)", _classes, 1e-6),
    ("keras.metrics.MeanIoU(num_classes=4, sparse_y_true=False, sparse_y_pred=False)", _one_hot, 1e-6),
]


def _migrated_metric(source: str):
    result = migrate_source(f"import keras\n\nmetric = {source}\n")
    assert result.error is None and "TODO" not in result.output, result.output
    assert "keras" not in result.output.replace("import keras\n", ""), result.output
    namespace: dict = {}
    exec(compile(result.output.replace("import keras\n", ""), "<migrated>", "exec"), namespace)  # noqa: S102
    return namespace["metric"]


@pytest.mark.parametrize("case", CASES, ids=[c[0].removeprefix("keras.metrics.") for c in CASES])
def test_stateful_metric_matches_keras_over_uneven_batches(case) -> None:  # noqa: ANN001
    source, make, tolerance = case
    ours, theirs = _migrated_metric(source), eval(source, {"keras": keras})  # noqa: S307
    rng = np.random.default_rng(11)
    for epoch in range(2):
        for i, n in enumerate(BATCHES):
            y_true, y_pred = make(rng, n)
            weight = rng.uniform(0.2, 2.0, size=(n,)).astype("float32") if i % 2 else None
            if weight is not None:
                # Keras broadcasts a (batch, 1) weight over the outputs; MeanIoU takes one per value.
                # (Keras's MeanIoU casts weights to int: 0.2 counts 0, 1.7 counts 1.)
                if "MeanIoU" not in source:
                    weight = weight.reshape(n, 1)
                elif make is _classes:
                    weight = np.broadcast_to(weight.reshape(n, 1), y_true.shape).copy()
            theirs.update_state(y_true, y_pred, sample_weight=weight)
            ours.update_state(torch.from_numpy(y_true), torch.from_numpy(y_pred), sample_weight=None if weight is None else torch.from_numpy(weight))
            expected = np.asarray(theirs.result())
            got = ours.result().numpy()
            assert got.shape == expected.shape
            # Weighted counts are float32 sums (Keras's variables too): equal to 1e-6 relative.
            np.testing.assert_allclose(got, expected, atol=tolerance, rtol=1e-6)
        theirs.reset_state()
        ours.reset_states() if epoch == 0 else ours.reset_state()
        assert float(np.asarray(ours.result()).sum()) == 0.0


@pytest.mark.parametrize(
    "source, reason",
    [
        ("keras.metrics.Precision(top_k=0)", "top_k"),
        ("keras.metrics.AUC(num_labels=3)", "num_labels"),
        ("keras.metrics.AUC(curve='PRGAIN')", "PRGAIN"),
        ("keras.metrics.MeanIoU(num_classes=n)", "literal"),
        ("keras.metrics.Recall(thresholds=[0.0, 0.5, 1.0])", "evenly spaced"),
        ("keras.metrics.RecallAtPrecision(0.5, num_thresholds=1)", "num_thresholds"),
    ],
)
def test_unmigrated_stateful_options_leave_a_todo(source: str, reason: str) -> None:
    result = migrate_source(f"import keras\n\nn = 4\nmetric = {source}\n")
    assert "TODO(metrics.metric)" in result.output and reason in result.output, result.output


FIT_SCRIPT = '''\
import numpy as np
import keras

rng = np.random.default_rng(0)
x = rng.normal(size=(50, 4)).astype("float32")
y = (x[:, :1] + 0.5 * rng.normal(size=(50, 1)) > 0).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=0.0),
    loss="binary_crossentropy",
    metrics=[keras.metrics.AUC(), "accuracy", keras.metrics.Precision(name="prec")],
)
history = model.fit(x, y, batch_size=16, epochs=2, validation_data=(x, y), verbose=0)
result = model.evaluate(x, y, batch_size=16, verbose=0)
'''


def test_compiled_stateful_metrics_are_reset_per_epoch_and_logged_as_keras_does() -> None:
    """``compile(metrics=[AUC(), ...])`` + ``fit``/``evaluate``: with a learning rate of 0 the
    model is fixed, so Keras's epoch value is the metric over the whole data set — which a
    per-batch mean would miss and a metric never reset would double count."""
    result = migrate_source(FIT_SCRIPT)
    assert result.error is None and "TODO" not in result.output, result.output
    assert migrate_source(result.output).output == result.output
    namespace: dict = {}
    exec(compile(result.output.replace("import keras\n", ""), "<migrated>", "exec"), namespace)  # noqa: S102
    model, x, y = namespace["model"], namespace["x"], namespace["y"]
    with torch.no_grad():
        predictions = model(torch.from_numpy(x)).numpy()
    expected = {}
    for key, metric in (("auc", keras.metrics.AUC()), ("prec", keras.metrics.Precision())):
        metric.update_state(y, predictions)
        expected[key] = float(metric.result())
    logs = namespace["history"].history
    for key, value in expected.items():
        assert logs[key] == pytest.approx([value, value], abs=1e-5)
        assert logs["val_" + key] == pytest.approx([value, value], abs=1e-5)
    loss, auc, accuracy, precision = namespace["result"]  # Keras's order: loss, then the metrics as compiled
    assert (auc, precision) == pytest.approx((expected["auc"], expected["prec"]), abs=1e-5)
    assert accuracy == pytest.approx(float(np.mean((predictions > 0.5) == y)), abs=1e-6)
