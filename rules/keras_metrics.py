"""``keras.metrics``: the metrics of ``compile(metrics=[...])``.

Most Keras metrics are a *mean of per-example values* (``MeanMetricWrapper``: accuracies, the
regression errors, the cross-entropies): the value over an epoch is the mean over every
example seen. A torch loop gets the same number by computing the batch mean and averaging the
batches weighted by their size, so a metric here is an expression of one batch's mean value
(``MetricPlan.call(y_true, y_pred)``), and the training loop does the running mean.

``"accuracy"`` is chosen by Keras 3 from the shapes at run time: binary when the model has one
output unit, sparse-categorical when the labels have one axis less than the predictions (or a
last axis of 1), categorical otherwise. Statically the loss is the best witness: a sparse
cross-entropy loss means sparse labels, a categorical one one-hot labels, a binary one binary
accuracy (Keras 2 chose by the loss this way; Keras 3 would pick categorical accuracy for a
binary cross-entropy model with several output units — the note says so).

Metrics that are not a mean of per-example values (AUC, Precision, Recall, RootMeanSquaredError,
IoU) keep a state of counts across batches: they are TODOs for now, with that reason.

Builders other rules call: ``torch_metric(node, ctx, loss) -> MetricPlan``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import libcst as cst

from migrate.rules.base import CannotMigrate, NotLiteral, Rule, RuleContext, literal


@dataclass(frozen=True)
class MetricPlan:
    """A Keras metric under torch, computed over one batch.

    ``name`` is the Keras history key (``"accuracy"``); ``call(y_true, y_pred)`` is an
    expression of the metric's mean value on one batch (a 0-d tensor); the training loop
    averages it over the batches of an epoch weighted by batch size, as Keras's running mean
    does. ``stateful`` marks metrics that are not such a mean (``state`` then constructs an
    object to update per batch and ``compute()`` at the end); none is written yet.
    """

    name: str
    build: Callable[[cst.BaseExpression, cst.BaseExpression], cst.BaseExpression] | None = None
    state: cst.BaseExpression | None = None
    notes: tuple[str, ...] = ()
    #: The values Keras averages (one per example, or per element for binary accuracy).
    per_example: Callable[[cst.BaseExpression, cst.BaseExpression], cst.BaseExpression] | None = None

    @property
    def stateful(self) -> bool:
        return self.state is not None

    def call(self, y_true: cst.BaseExpression, y_pred: cst.BaseExpression) -> cst.BaseExpression:
        assert self.build is not None, "a stateful metric is updated through `state`"
        return self.build(y_true, y_pred)


# ---------------------------------------------------------------------------------------
# One batch's mean value, as text with {yt}/{yp} (both names: the loop passes names).

_ACCURACY = {
    # Keras squeezes (batch, 1) labels; reshape to the predictions' leading shape does it.
    "sparse_categorical_accuracy": "({yp}.argmax(-1) == {yt}.reshape({yp}.shape[:-1])).float().mean()",
    "categorical_accuracy": "({yp}.argmax(-1) == {yt}.argmax(-1)).float().mean()",
    "accuracy": "({yp} == {yt}.reshape({yp}.shape)).float().mean()",
}


def _binary_accuracy(threshold: float) -> str:
    return f"(({{yp}} > {threshold!r}).float() == {{yt}}.reshape({{yp}}.shape)).float().mean()"


def _top_k(k: int, sparse: bool) -> str:
    # TF's in_top_k counts a class tied with the k-th largest as in the top k: compare the
    # target's score with the k-th largest score rather than asking topk for indices.
    target = "{yt}.reshape(*{yp}.shape[:-1], 1).long()" if sparse else "{yt}.argmax(-1, keepdim=True)"
    return f"({{yp}}.gather(-1, {target}) >= {{yp}}.topk({k}, dim=-1).values[..., -1:]).float().mean()"


#: Class → (default history name, signature after ``self``).
CLASSES: dict[str, tuple[str, str]] = {
    "Accuracy": ("accuracy", "name='accuracy', dtype=None"),
    "BinaryAccuracy": ("binary_accuracy", "name='binary_accuracy', dtype=None, threshold=0.5"),
    "CategoricalAccuracy": ("categorical_accuracy", "name='categorical_accuracy', dtype=None"),
    "SparseCategoricalAccuracy": ("sparse_categorical_accuracy", "name='sparse_categorical_accuracy', dtype=None"),
    "TopKCategoricalAccuracy": ("top_k_categorical_accuracy", "k=5, name='top_k_categorical_accuracy', dtype=None"),
    "SparseTopKCategoricalAccuracy": ("sparse_top_k_categorical_accuracy", "k=5, name='sparse_top_k_categorical_accuracy', dtype=None, from_sorted_ids=False"),
}

#: Metric classes that are a loss's per-example value averaged: class → loss class.
LOSS_METRICS = {
    "MeanSquaredError": "MeanSquaredError",
    "MeanAbsoluteError": "MeanAbsoluteError",
    "MeanAbsolutePercentageError": "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError": "MeanSquaredLogarithmicError",
    "BinaryCrossentropy": "BinaryCrossentropy",
    "CategoricalCrossentropy": "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy": "SparseCategoricalCrossentropy",
    "KLDivergence": "KLDivergence",
    "Poisson": "Poisson",
    "LogCoshError": "LogCosh",
}

#: Metrics with state across batches (not a mean of per-example values).
STATEFUL = {
    "AUC", "Precision", "Recall", "RootMeanSquaredError", "MeanIoU", "IoU", "BinaryIoU", "OneHotIoU",
    "OneHotMeanIoU", "F1Score", "FBetaScore", "PrecisionAtRecall", "RecallAtPrecision",
    "SensitivityAtSpecificity", "SpecificityAtSensitivity", "TruePositives", "TrueNegatives",
    "FalsePositives", "FalseNegatives", "R2Score", "PearsonCorrelation", "ConcordanceCorrelation",
}

#: Function names (and compile strings) of accuracy metrics.
_ACCURACY_FUNCTIONS = {
    "binary_accuracy": lambda: _binary_accuracy(0.5),
    "categorical_accuracy": lambda: _ACCURACY["categorical_accuracy"],
    "sparse_categorical_accuracy": lambda: _ACCURACY["sparse_categorical_accuracy"],
    "top_k_categorical_accuracy": lambda: _top_k(5, sparse=False),
    "sparse_top_k_categorical_accuracy": lambda: _top_k(5, sparse=True),
}


def _plan(name: str, form: str, notes: tuple[str, ...] = ()) -> MetricPlan:
    """A plan from a batch-mean form ending in ``.mean()``; its per-example values are the
    same form without that mean."""
    assert form.endswith(".mean()")
    return MetricPlan(name, _builder(form), notes=notes, per_example=_builder(form[: -len(".mean()")]))


def _from_loss(name: str, plan: Any) -> MetricPlan:
    return MetricPlan(name, plan._mean, notes=plan.notes, per_example=plan._per_example)


def _builder(form: str) -> Callable[[cst.BaseExpression, cst.BaseExpression], cst.BaseExpression]:
    def build(y_true: cst.BaseExpression, y_pred: cst.BaseExpression) -> cst.BaseExpression:
        code = cst.Module([]).code_for_node
        for node in (y_true, y_pred):
            if not isinstance(node, (cst.Name, cst.Attribute)):
                raise CannotMigrate(f"`{code(node)}` would be evaluated more than once by the metric; assign it to a name first")
        return cst.parse_expression(form.replace("{yt}", code(y_true)).replace("{yp}", code(y_pred)))

    return build


def _dotted(node: cst.CSTNode | None) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr.value}" if inner else ""
    return ""


def _loss_name(loss: cst.BaseExpression | str | None) -> str:
    """The Keras loss class a compile ``loss=`` names ("" when it cannot be read)."""
    from migrate.rules.keras_losses import BY_FUNCTION, SPECS

    if isinstance(loss, cst.SimpleString):
        value = loss.evaluated_value
        loss = value if isinstance(value, str) else None
    if isinstance(loss, str):
        return BY_FUNCTION.get(loss, loss if loss in SPECS else "")
    if isinstance(loss, cst.Call):
        loss = loss.func
    if isinstance(loss, (cst.Name, cst.Attribute)):
        last = _dotted(loss).rsplit(".", 1)[-1]
        return BY_FUNCTION.get(last, last if last in SPECS else "")
    return ""


def _accuracy_for(loss: cst.BaseExpression | str | None, name: str) -> MetricPlan:
    kind = _loss_name(loss)
    if kind == "SparseCategoricalCrossentropy":
        return _plan(name, _ACCURACY["sparse_categorical_accuracy"])
    if kind == "CategoricalCrossentropy":
        return _plan(name, _ACCURACY["categorical_accuracy"])
    if kind == "BinaryCrossentropy":
        return _plan(
            name, _binary_accuracy(0.5),
            notes=("Keras 3 picks categorical accuracy here when the model has more than one output unit; this is Keras 2's binary accuracy",),
        )
    raise CannotMigrate(
        f"`{name}` is binary, categorical or sparse accuracy depending on the label and output shapes, "
        "which the loss does not tell here: name the accuracy metric you mean"
    )


def _literal_args(call: cst.Call, signature: str, ctx: RuleContext) -> dict[str, Any]:
    from migrate.rules.base import parse_signature

    params = parse_signature(signature)
    values = {p.name: p.default for p in params}
    positional = [p for p in params if not p.keyword_only]
    for i, arg in enumerate(call.args):
        if arg.star:
            raise CannotMigrate(f"`{arg.star}{ctx.source(arg.value)}` hides which arguments are passed")
        name = arg.keyword.value if arg.keyword else (positional[i].name if i < len(positional) else None)
        if name is None or name not in values:
            raise CannotMigrate(f"argument `{ctx.source(arg)}` is not one this metric takes")
        try:
            values[name] = literal(arg.value)
        except NotLiteral:
            raise CannotMigrate(f"`{name}={ctx.source(arg.value)}` is not a literal") from None
    if values.get("dtype") is not None:
        raise CannotMigrate("a metric `dtype=` needs the inputs cast")
    if values.get("from_sorted_ids"):
        raise CannotMigrate("`from_sorted_ids=True` (predictions that are class ids) is not migrated")
    return values


def torch_metric(node: cst.BaseExpression | str, ctx: RuleContext, loss: cst.BaseExpression | str | None = None) -> MetricPlan:
    """The torch metric for a Keras one: a ``compile(metrics=[...])`` string (``"accuracy"``,
    whose meaning depends on the shapes, read here from ``loss``), a metric class call, or a
    function reference. Raises CannotMigrate with the reason."""
    from migrate.rules.keras_losses import BY_FUNCTION, SPECS, torch_loss

    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        node = value if isinstance(value, str) else ""
    if isinstance(node, str):
        if node.lower() in ("accuracy", "acc"):
            return _accuracy_for(loss, node)
        if node in _ACCURACY_FUNCTIONS:
            return _plan(node, _ACCURACY_FUNCTIONS[node]())
        if node in BY_FUNCTION or node in SPECS:
            return _from_loss(node, torch_loss(node, ctx))
        raise CannotMigrate(f"metric {node!r} has no torch form in this table")
    if isinstance(node, cst.Call):
        cls = _dotted(node.func).rsplit(".", 1)[-1]
        if cls in STATEFUL:
            raise CannotMigrate(
                f"`{cls}` keeps counts across batches (not a mean of per-batch values); "
                "torchmetrics has a counterpart to update per batch and compute per epoch"
            )
        if cls in CLASSES:
            default_name, signature = CLASSES[cls]
            values = _literal_args(node, signature, ctx)
            name = values["name"] or default_name
            if cls == "Accuracy":
                return _plan(name, _ACCURACY["accuracy"])
            if cls == "BinaryAccuracy":
                return _plan(name, _binary_accuracy(float(values["threshold"])))
            if cls in ("TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy"):
                return _plan(name, _top_k(int(values["k"]), sparse=cls.startswith("Sparse")))
            return _plan(name, _ACCURACY[default_name])
        if cls in LOSS_METRICS:
            loss_call = node.with_changes(
                func=cst.parse_expression(f"keras.losses.{LOSS_METRICS[cls]}"),
                args=[a for a in node.args if not (a.keyword and a.keyword.value == "name")],
            )
            if any(a.keyword is None for a in node.args):
                raise CannotMigrate("pass the metric's arguments by keyword (its first positional argument is `name`)")
            names = [a for a in node.args if a.keyword and a.keyword.value == "name"]
            name = _default_metric_name(cls)
            if names:
                try:
                    name = literal(names[0].value)
                except NotLiteral:
                    raise CannotMigrate("a metric `name=` that is not a literal: the history key is unknown") from None
            return _from_loss(name, torch_loss(loss_call, ctx))
        raise CannotMigrate(f"`{ctx.source(node.func)}` is not a metric this table knows")
    last = _dotted(node).rsplit(".", 1)[-1]
    if last in _ACCURACY_FUNCTIONS:
        return _plan(last, _ACCURACY_FUNCTIONS[last]())
    if last in BY_FUNCTION:
        return _from_loss(last, torch_loss(last, ctx))
    raise CannotMigrate(f"`{ctx.source(node)}` is not a metric this rewrite can read")


def _default_metric_name(cls: str) -> str:
    from migrate.rules.keras_losses import SPECS

    if cls == "LogCoshError":
        return "logcosh"
    return SPECS[LOSS_METRICS[cls]].function


# ---------------------------------------------------------------------------------------
# Metric objects a hand-written loop updates (``m.update_state(y, p)``, ``m.result()``,
# ``m.reset_state()``, ``m(y, p)``), as the TF2 custom-loop guides write them.

_RUNNING_MEAN = """
class RunningMean:
    \"\"\"A Keras mean metric (`keras.metrics.Mean`, accuracies, error metrics): the mean of every
    value given to `update_state` since the last `reset_state`, as Keras keeps it.\"\"\"

    def __init__(self, per_example=None, name=None):
        self.per_example = per_example  # (y_true, y_pred) -> the values to average; None: the values given
        self.name = name
        self.reset_state()

    def reset_state(self):
        self.total, self.count = 0.0, 0

    reset_states = reset_state  # Keras 2's name

    def update_state(self, *args):
        values = self.per_example(*args) if self.per_example is not None else args[0]
        values = {as_tensor}(values).detach()
        self.total += values.sum().item()
        self.count += values.numel()

    def result(self):
        return {tensor}(self.total / self.count if self.count else 0.0)

    def __call__(self, *args):
        self.update_state(*args)
        return self.result()
"""


class MetricObject(Rule):
    id = "metrics.metric"
    names = tuple(f"keras.metrics.{name}" for name in ["Mean", *CLASSES, *LOSS_METRICS, *sorted(STATEFUL)])
    returns = {n: "keras.metrics.Metric" for n in names}
    summary = (
        "`keras.metrics.SparseCategoricalAccuracy()` used by hand → `RunningMean(per_example=...)`, "
        "a small class with Keras's `update_state` / `result` / `reset_state`."
    )
    why = (
        "Keras's accuracy, error and `Mean` metrics are running means of per-example values. "
        "torch has no metric objects of its own (torchmetrics is a separate package), and a "
        "custom loop calls the Keras methods by name, so the rewrite defines one small "
        "`RunningMean` class in the file with the same methods (`update_state`, `result`, "
        "`reset_state`/`reset_states`, and calling it) and passes it the metric's per-example "
        "values — the same expressions the `compile(metrics=...)` rewrite averages. The loop's "
        "calls stay as they are. Metrics with state across batches (AUC, Precision, Recall…) "
        "are TODOs. A metric inside `compile(...)` is left to the compile rewrite; "
        "`sample_weight` is not carried."
    )
    example = (
        "import keras\n\n"
        'train_loss = keras.metrics.Mean(name="train_loss")\n'
        'train_accuracy = keras.metrics.SparseCategoricalAccuracy(name="train_accuracy")\n'
        "train_loss(loss)\n"
        "train_accuracy.update_state(labels, predictions)\n"
        "print(train_accuracy.result())\n"
        "train_accuracy.reset_state()"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        from migrate.rules.keras_optimizers import argument_of_compile

        if argument_of_compile(call, ctx):
            return call
        cls = qualified.rsplit(".", 1)[-1]
        code = cst.Module([]).code_for_node
        per_example = None
        if cls == "Mean":
            name = _literal_args(call, "name='mean', dtype=None", ctx)["name"]
        else:
            plan = torch_metric(call, ctx)
            assert plan.per_example is not None
            body = plan.per_example(cst.Name("y_true"), cst.Name("y_pred"))
            per_example = f"lambda y_true, y_pred: {code(body)}"
            name = plan.name
        definition = _RUNNING_MEAN.format(
            as_tensor=code(ctx.name("torch.as_tensor")), tensor=code(ctx.name("torch.tensor"))
        ).lstrip("\n")
        ctx.add_definition(list(cst.parse_module(definition).body))  # type: ignore[attr-defined]
        quoted = f'"{name}"' if isinstance(name, str) and '"' not in name and "\\" not in name else repr(name)
        args = ([f"per_example={per_example}"] if per_example else []) + [f"name={quoted}"]
        return cst.parse_expression(f"RunningMean({', '.join(args)})")


RULES: list[Rule] = [MetricObject()]
