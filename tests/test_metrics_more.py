"""The Keras metrics added after the first stateful ones (``rules/keras_metrics.py``): F1Score /
FBetaScore, R2Score, RootMeanSquaredError, the four "at" metrics, the IoU family, cosine
similarity and hinge metrics, ``sample_weight`` in ``Mean``-style metrics, and the
``compile(metrics=[...])`` strings resolved as Keras 3's ``metrics.get`` resolves them.

Each migrated metric is updated over several uneven batches (every other one weighted), reset,
and updated again, and must give Keras's ``result()`` after every batch: 1e-6 for counts and
ratios of counts, 1e-5 for threshold-bucketed values and sums of squares (float32 sums in a
different order)."""

from __future__ import annotations

import inspect
import re

import libcst as cst
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

from migrate.codemod import migrate_source  # noqa: E402
from migrate.rules.base import CannotMigrate  # noqa: E402
from migrate.rules.keras_metrics import KERAS_STRINGS, torch_metric  # noqa: E402

BATCHES = (7, 32, 3, 19)  # uneven on purpose


def _binary(rng: np.random.Generator, n: int):
    y_true = rng.integers(0, 2, size=(n, 3)).astype("float32")
    return y_true, np.clip(0.35 * y_true + 0.65 * rng.uniform(size=(n, 3)), 0, 1).astype("float32")


def _one_hot(rng: np.random.Generator, n: int):
    y_true = np.eye(4, dtype="float32")[rng.integers(0, 4, size=(n,))]
    return y_true, np.clip(0.3 * y_true + rng.uniform(size=(n, 4)), 0, 1).astype("float32")


def _six_classes(rng: np.random.Generator, n: int):  # more classes than top-k's default k=5
    return np.eye(6, dtype="float32")[rng.integers(0, 6, size=(n,))], rng.uniform(size=(n, 6)).astype("float32")


def _multi_label(rng: np.random.Generator, n: int):
    return rng.integers(0, 2, size=(n, 4)).astype("float32"), rng.uniform(size=(n, 4)).astype("float32")


def _regression(rng: np.random.Generator, n: int):
    y_true = rng.normal(size=(n, 3)).astype("float32")
    return y_true, (y_true + 0.7 * rng.normal(size=(n, 3))).astype("float32")


def _classes(rng: np.random.Generator, n: int):
    return rng.integers(0, 4, size=(n, 5)).astype("int64"), rng.integers(0, 4, size=(n, 5)).astype("int64")


def _probabilities(rng: np.random.Generator, n: int):  # BinaryIoU: labels 0/1, scores in [0, 1]
    return rng.integers(0, 2, size=(n, 6)).astype("float32"), rng.uniform(size=(n, 6)).astype("float32")


def _per_example(n: int, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.2, 2.0, size=(n,)).astype("float32").reshape(n, *shape)


def _per_value(n: int, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.2, 2.0, size=(n, *shape)).astype("float32")


def _integer_per_value(n: int, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    # Keras's IoU metrics cast weights to int: integer weights keep the test about the counts.
    return rng.integers(0, 4, size=(n, *shape)).astype("float32")


#: (Keras constructor, data, weights (None: unweighted) as (n, rng, label shape) -> array, tolerance)
CASES = [
    ("keras.metrics.F1Score()", _one_hot, lambda n, rng, s: _per_example(n, rng, ()), 1e-6),
    ("keras.metrics.F1Score(average='micro', threshold=0.5)", _multi_label, lambda n, rng, s: _per_example(n, rng, ()), 1e-6),
    ("keras.metrics.F1Score(average='macro', threshold=0.4)", _multi_label, lambda n, rng, s: _per_example(n, rng, ()), 1e-6),
    ("keras.metrics.FBetaScore(beta=2.0, average='weighted')", _one_hot, lambda n, rng, s: _per_example(n, rng, ()), 1e-6),
    ("keras.metrics.FBetaScore(beta=0.5, threshold=0.6, name='f_half')", _multi_label, None, 1e-6),
    ("keras.metrics.R2Score()", _regression, lambda n, rng, s: _per_example(n, rng, ()), 1e-5),
    ("keras.metrics.R2Score(class_aggregation=None)", _regression, lambda n, rng, s: _per_example(n, rng, (1,)), 1e-5),
    ("keras.metrics.R2Score(class_aggregation='variance_weighted_average')", _regression, lambda n, rng, s: _per_example(n, rng, ()), 1e-5),
    ("keras.metrics.R2Score(num_regressors=2)", _regression, None, 1e-5),
    ("keras.metrics.RootMeanSquaredError()", _regression, lambda n, rng, s: _per_example(n, rng, ()), 1e-5),
    ("keras.metrics.RootMeanSquaredError(name='rmse')", _regression, _per_value, 1e-5),
    ("keras.metrics.SensitivityAtSpecificity(0.9)", _binary, lambda n, rng, s: _per_example(n, rng, (1,)), 1e-5),
    ("keras.metrics.SpecificityAtSensitivity(0.7, num_thresholds=50)", _binary, lambda n, rng, s: _per_example(n, rng, (1,)), 1e-5),
    ("keras.metrics.PrecisionAtRecall(recall=0.6)", _binary, lambda n, rng, s: _per_example(n, rng, ()), 1e-5),
    ("keras.metrics.RecallAtPrecision(0.7, class_id=1)", _binary, lambda n, rng, s: _per_example(n, rng, ()), 1e-5),
    ("keras.metrics.RecallAtPrecision(precision=0.95, num_thresholds=20)", _binary, None, 1e-5),
    ("keras.metrics.Precision(top_k=2)", _multi_label, lambda n, rng, s: _per_example(n, rng, (1,)), 1e-6),
    ("keras.metrics.Recall(top_k=1, thresholds=[0.3, 0.6], class_id=2)", _multi_label, lambda n, rng, s: _per_example(n, rng, (1,)), 1e-6),
    ("keras.metrics.AUC(multi_label=True)", _multi_label, lambda n, rng, s: _per_example(n, rng, ()), 1e-5),
    ("keras.metrics.AUC(multi_label=True, num_labels=4, summation_method='minoring')", _multi_label, _per_value, 1e-5),
    ("keras.metrics.AUC(curve='PR', multi_label=True, label_weights=[1, 0, 2, 0.5])", _multi_label, lambda n, rng, s: _per_example(n, rng, (1,)), 1e-5),
    ("keras.metrics.AUC(label_weights=[0.5, 1, 2, 1], from_logits=True)", lambda rng, n: (_multi_label(rng, n)[0], rng.normal(size=(n, 4)).astype("float32")), lambda n, rng, s: _per_example(n, rng, ()), 1e-5),
    ("keras.metrics.IoU(num_classes=4, target_class_ids=[0, 2])", _classes, lambda n, rng, s: _integer_per_value(n, rng, s), 1e-6),
    ("keras.metrics.IoU(num_classes=4, target_class_ids=[3], ignore_class=1)", _classes, None, 1e-6),
    ("keras.metrics.BinaryIoU()", _probabilities, lambda n, rng, s: _integer_per_value(n, rng, s), 1e-6),
    ("keras.metrics.BinaryIoU(target_class_ids=[1], threshold=0.3)", _probabilities, None, 1e-6),
    ("keras.metrics.OneHotIoU(num_classes=4, target_class_ids=[1, 3])", _one_hot, lambda n, rng, s: _integer_per_value(n, rng, ()), 1e-6),
    ("keras.metrics.OneHotMeanIoU(num_classes=4)", _one_hot, lambda n, rng, s: _integer_per_value(n, rng, ()), 1e-6),
    ("keras.metrics.OneHotMeanIoU(num_classes=4, sparse_y_pred=True)", lambda rng, n: (_one_hot(rng, n)[0], rng.integers(0, 4, size=(n,))), None, 1e-6),
    ("keras.metrics.CosineSimilarity()", _regression, lambda n, rng, s: _per_example(n, rng, ()), 1e-6),
    ("keras.metrics.PearsonCorrelation()", _regression, lambda n, rng, s: _per_example(n, rng, ()), 1e-5),
    ("keras.metrics.ConcordanceCorrelation(axis=0, name='ccc')", _regression, None, 1e-5),
    ("keras.metrics.Hinge()", _regression, lambda n, rng, s: _per_example(n, rng, (1,)), 1e-6),
    ("keras.metrics.BinaryAccuracy(threshold=0.6)", _binary, _per_value, 1e-6),
    ("keras.metrics.MeanSquaredError(dtype='float32')", _regression, lambda n, rng, s: _per_example(n, rng, ()), 1e-6),
    ("keras.metrics.AUC(dtype='float32')", _binary, lambda n, rng, s: _per_example(n, rng, ()), 1e-5),
]


def _migrated(source: str):
    result = migrate_source(f"import keras\n\nmetric = {source}\n")
    assert result.error is None and "TODO" not in result.output, result.output
    assert migrate_source(result.output).output == result.output
    namespace: dict = {}
    exec(compile(result.output.replace("import keras\n", ""), "<migrated>", "exec"), namespace)  # noqa: S102
    return namespace["metric"]


def _tensor(value):
    return None if value is None else torch.from_numpy(np.asarray(value))


@pytest.mark.parametrize("case", CASES, ids=[c[0].removeprefix("keras.metrics.") for c in CASES])
def test_metric_matches_keras_over_uneven_weighted_batches(case) -> None:  # noqa: ANN001
    source, make, weigh, tolerance = case
    ours, theirs = _migrated(source), eval(source, {"keras": keras})  # noqa: S307
    assert ours.name == re.sub(r"_\d+$", "", theirs.name)  # Keras numbers a default name already taken
    rng = np.random.default_rng(5)
    for epoch in range(2):
        for i, n in enumerate(BATCHES):
            y_true, y_pred = make(rng, n)
            weight = weigh(n, rng, y_true.shape[1:]) if weigh is not None and i % 2 else None
            theirs.update_state(y_true, y_pred, sample_weight=weight)
            ours.update_state(_tensor(y_true), _tensor(y_pred), sample_weight=_tensor(weight))
            expected, got = np.asarray(theirs.result()), np.asarray(ours.result())
            assert got.shape == expected.shape
            np.testing.assert_allclose(got, expected, atol=tolerance, rtol=tolerance)
        theirs.reset_state()
        ours.reset_states() if epoch == 0 else ours.reset_state()


def test_mean_weighs_values_as_keras_does() -> None:
    """``Mean.update_state(values, sample_weight)``: per example, per value, by position, and a
    weight with a trailing axis of 1 — Keras's numbers after each update."""
    theirs, ours = keras.metrics.Mean(name="loss"), _migrated('keras.metrics.Mean(name="loss")')
    rng = np.random.default_rng(2)
    updates = [
        (rng.normal(size=(5, 3)), rng.uniform(size=(5,))),
        (rng.normal(size=(4,)), None),
        (rng.normal(size=(6, 2)), rng.uniform(size=(6, 2))),
        (rng.normal(size=(3,)), rng.uniform(size=(3, 1))),
        (np.float32(2.5), None),
        (rng.normal(size=(4, 1)), rng.uniform(size=(4,))),
    ]
    for i, (values, weight) in enumerate(updates):
        values = np.asarray(values, "float32")
        weight = None if weight is None else np.asarray(weight, "float32")
        theirs.update_state(values, sample_weight=weight)
        if i == 2:
            ours.update_state(_tensor(values), _tensor(weight))  # Keras's second positional argument
        else:
            ours(_tensor(values), sample_weight=_tensor(weight))
        assert float(ours.result()) == pytest.approx(float(theirs.result()), rel=1e-6, abs=1e-6)


#: Keras's ALL_OBJECTS_DICT entries no compile string should name.
_NOT_METRICS = {"Metric", "metric", "MeanMetricWrapper", "mean_metric_wrapper"}


def test_the_string_table_is_keras_metrics_get() -> None:
    from keras.src.metrics import ALL_OBJECTS_DICT

    assert KERAS_STRINGS == {name: cls.__name__ for name, cls in ALL_OBJECTS_DICT.items() if name not in _NOT_METRICS}


class _Ctx:
    """The slice of the engine's context the metric builders use, keeping the definitions."""

    def __init__(self) -> None:
        self.definitions: list[str] = []

    def name(self, qualified: str) -> cst.BaseExpression:
        return cst.parse_expression({"torch.nn.functional": "F"}.get(qualified, qualified))

    def source(self, node: cst.CSTNode) -> str:
        return cst.Module([]).code_for_node(node)

    def add_definition(self, statements) -> None:  # noqa: ANN001
        self.definitions.append("".join(cst.Module([]).code_for_node(s) for s in statements))


#: (compile string, data) — mean metrics and metrics with state, in both of Keras's spellings.
STRINGS = [
    ("mse", _regression), ("MAE", _regression), ("mape", _regression), ("msle", _regression),
    ("root_mean_squared_error", _regression), ("r2_score", _regression), ("log_cosh_error", _regression),
    ("cosine_similarity", _regression), ("CosineSimilarity", _regression), ("pearson_correlation", _regression),
    ("ConcordanceCorrelation", _regression), ("squared_hinge", _regression),
    ("binary_accuracy", _binary), ("BinaryAccuracy", _binary), ("bce", _binary), ("kl_divergence", _binary),
    ("poisson", _binary), ("categorical_accuracy", _one_hot), ("top_k_categorical_accuracy", _six_classes),
    ("categorical_crossentropy", _one_hot), ("auc", _binary), ("AUC", _binary), ("precision", _binary),
    ("Recall", _binary), ("true_positives", _binary), ("f1_score", _one_hot), ("FBetaScore", _one_hot),
    ("binary_io_u", _probabilities),
]


@pytest.mark.parametrize("text, make", STRINGS, ids=[s[0] for s in STRINGS])
def test_compile_strings_match_keras_metrics_get(text: str, make) -> None:  # noqa: ANN001
    """The metric a string names, built with its defaults and logged under the string itself:
    a per-batch mean (averaged by batch size, as the migrated loop does) or an object."""
    from keras.src.trainers.compile_utils import get_metric

    rng = np.random.default_rng(9)
    batches = [make(rng, n) for n in BATCHES]
    theirs = get_metric(text, batches[0][0], batches[0][1])
    ctx = _Ctx()
    plan = torch_metric(cst.SimpleString(repr(text)), ctx)
    assert plan.name == text == theirs.name
    code = cst.Module([]).code_for_node
    built = code(plan.state) if plan.stateful else "lambda y_true, y_pred: " + code(plan.call(cst.Name("y_true"), cst.Name("y_pred")))
    scope: dict = {"torch": torch, "F": torch.nn.functional}
    for definition in ctx.definitions:  # the classes and helpers the plan writes into the file
        exec(definition, scope)  # noqa: S102
    ours = eval(built, scope)  # noqa: S307
    total = seen = 0.0
    for y_true, y_pred in batches:
        theirs.update_state(y_true, y_pred)
        if plan.stateful:
            assert ours.name == text
            ours.update_state(torch.from_numpy(y_true), torch.from_numpy(y_pred))
            got = ours.result().numpy()
        else:  # the migrated loop's mean of batch means, weighted by batch size
            total, seen = total + float(ours(torch.from_numpy(y_true), torch.from_numpy(y_pred))) * len(y_true), seen + len(y_true)
            got = total / seen
        np.testing.assert_allclose(got, np.asarray(theirs.result()), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("huber", "'huber' is not a name Keras"),
        ("kld", "'kld' is not a name Keras"),
        ("crossentropy", "'crossentropy' is not a name Keras"),
        ("mean", "labels weighted by the predictions"),
        ("mean_io_u", "num_classes"),
        ("one_hot_io_u", "num_classes"),
    ],
)
def test_strings_keras_would_not_take_as_migrated_say_why(text: str, reason: str) -> None:
    with pytest.raises(CannotMigrate) as error:
        torch_metric(cst.SimpleString(repr(text)), _Ctx())
    assert reason in error.value.reason


@pytest.mark.parametrize(
    "source, reason",
    [
        ("keras.metrics.F1Score(average='samples')", "average"),
        ("keras.metrics.FBetaScore(beta=2)", "float"),
        ("keras.metrics.R2Score(class_aggregation='mean')", "class_aggregation"),
        ("keras.metrics.SensitivityAtSpecificity(s)", "`specificity=s` is not a literal"),
        ("keras.metrics.PrecisionAtRecall(0.5, num_thresholds=1)", "num_thresholds"),
        ("keras.metrics.IoU(num_classes=3, target_class_ids=[3])", "target_class_ids"),
        ("keras.metrics.BinaryIoU(threshold=t)", "literal"),
        ("keras.metrics.ConcordanceCorrelation(axis=t)", "`axis=t` is not a literal"),
        ("keras.metrics.AUC(thresholds=[0.2, 0.7])", "thresholds"),
        ("keras.metrics.F1Score(dtype='float64')", "dtype='float64'"),
        ("keras.metrics.MeanIoU(num_classes=2, dtype='float32')", "dtype='float32'"),
    ],
)
def test_unmigrated_options_leave_a_todo(source: str, reason: str) -> None:
    result = migrate_source(f"import keras\n\ns = t = 0.5\nmetric = {source}\n")
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
    metrics=[
        keras.metrics.F1Score(average="micro", threshold=0.5),
        keras.metrics.RootMeanSquaredError(name="rmse"),
        keras.metrics.PrecisionAtRecall(0.5),
        keras.metrics.BinaryIoU(),
        keras.metrics.R2Score(),
        keras.metrics.CosineSimilarity(),
    ],
)
history = model.fit(x, y, batch_size=16, epochs=2, validation_data=(x, y), verbose=0)
result = model.evaluate(x, y, batch_size=16, verbose=0)
'''


def test_compiled_new_metrics_log_keras_values_over_the_epoch() -> None:
    """With a learning rate of 0 the model is fixed: each epoch's value is the metric over the
    whole data set (50 examples in batches of 16, 16, 16, 2), for the objects with state and
    the per-batch mean (cosine similarity) alike."""
    result = migrate_source(FIT_SCRIPT)
    assert result.error is None and "TODO" not in result.output, result.output
    namespace: dict = {}
    exec(compile(result.output.replace("import keras\n", ""), "<migrated>", "exec"), namespace)  # noqa: S102
    model, x, y = namespace["model"], namespace["x"], namespace["y"]
    with torch.no_grad():
        predictions = model(torch.from_numpy(x)).numpy()
    expected = {}
    for key, metric in (
        ("f1_score", keras.metrics.F1Score(average="micro", threshold=0.5)),
        ("rmse", keras.metrics.RootMeanSquaredError()),
        ("precision_at_recall", keras.metrics.PrecisionAtRecall(0.5)),
        ("binary_io_u", keras.metrics.BinaryIoU()),
        ("r2_score", keras.metrics.R2Score()),
        ("cosine_similarity", keras.metrics.CosineSimilarity()),
    ):
        metric.update_state(y, predictions)
        expected[key] = float(metric.result())
    logs = namespace["history"].history
    for key, value in expected.items():
        assert logs[key] == pytest.approx([value, value], abs=1e-5), key
        assert logs["val_" + key] == pytest.approx([value, value], abs=1e-5), key
    assert namespace["result"][1:] == pytest.approx(list(expected.values()), abs=1e-5)  # compiled order


def test_default_names_are_keras_own() -> None:
    """The history key of a metric built without ``name=``: what the compile rewrite must log."""
    from migrate.rules.keras_metrics import OBJECT_CLASSES, keras_default_name

    arguments = {"num_classes": 3, "target_class_ids": [0], "specificity": 0.5, "sensitivity": 0.5, "recall": 0.5, "precision": 0.5}
    for cls in sorted({*OBJECT_CLASSES, "LogCoshError", "CosineSimilarity", "Hinge", "PearsonCorrelation"}):
        keras_class = getattr(keras.metrics, cls)
        needed = [p for p in inspect.signature(keras_class).parameters.values() if p.default is inspect.Parameter.empty and p.name in arguments]
        metric = keras_class(**{p.name: arguments[p.name] for p in needed})
        assert keras_default_name(cls) == re.sub(r"_\d+$", "", metric.name), cls


def test_sum_weighs_values_as_keras_does() -> None:
    theirs, ours = keras.metrics.Sum(), _migrated("keras.metrics.Sum()")
    assert ours.name == re.sub(r"_\d+$", "", theirs.name)
    rng = np.random.default_rng(4)
    for values, weight in [
        (rng.normal(size=(5, 3)), rng.uniform(size=(5,))),
        (rng.normal(size=(4,)), None),
        (rng.normal(size=(6, 2)), rng.uniform(size=(6, 2))),
        (rng.normal(size=(3,)), rng.uniform(size=(3, 1))),
        (rng.normal(size=(4, 1)), rng.uniform(size=(4,))),
    ]:
        values = np.asarray(values, "float32")
        weight = None if weight is None else np.asarray(weight, "float32")
        theirs.update_state(values, sample_weight=weight)
        ours.update_state(_tensor(values), sample_weight=_tensor(weight))
        assert float(ours.result()) == pytest.approx(float(theirs.result()), rel=1e-6, abs=1e-6)
    theirs.reset_state()
    ours.reset_state()
    assert float(ours(torch.tensor([1.5, 2.0]))) == float(theirs(np.array([1.5, 2.0], "float32"))) == 3.5
