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

Metrics that are not a mean of per-example values (AUC, Precision, Recall, MeanIoU, the
confusion counts) keep a state of counts across batches. They become small classes
written into the file with Keras's maths (``OBJECT_CLASSES``, ``object_constructor``): used by
hand in a custom loop, and in ``compile(metrics=[...])``, where the migrated ``fit``/``evaluate``
reset them when an epoch (or evaluation) starts, update them per batch and log ``result()``.

Builders other rules call: ``torch_metric(node, ctx, loss) -> MetricPlan``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import libcst as cst

from migrate.rules.base import CannotMigrate, NotLiteral, Rule, RuleContext, dotted_name, literal


@dataclass(frozen=True)
class MetricPlan:
    """A Keras metric under torch, computed over one batch.

    ``name`` is the Keras history key (``"accuracy"``); ``call(y_true, y_pred)`` is an
    expression of the metric's mean value on one batch (a 0-d tensor); the training loop
    averages it over the batches of an epoch weighted by batch size, as Keras's running mean
    does. ``stateful`` marks metrics that are not such a mean (``state`` then constructs an
    object to update per batch and ``compute()`` at the end); none is written this way: the
    stateful metrics are objects (``object_constructor``) that the compile rewrite builds itself.
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
        last = dotted_name(loss).rsplit(".", 1)[-1]
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
        cls = dotted_name(node.func).rsplit(".", 1)[-1]
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
    last = dotted_name(node).rsplit(".", 1)[-1]
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


# ---------------------------------------------------------------------------------------
# Metrics with state across batches, as small classes written into the migrated file with
# Keras's methods and maths (keras/src/metrics/confusion_metrics.py, iou_metrics.py).
# ``torch.`` in these templates is respelled to however the file imports torch.

_CONFUSION_METRIC = '''
class ConfusionMetric:
    """Keras's Precision, Recall, TruePositives, FalsePositives, TrueNegatives, FalseNegatives:
    confusion counts summed over every batch since the last `reset_state`. A label is positive
    when it is non-zero, a prediction when it is strictly greater than the threshold; a ratio
    with a zero denominator is 0, as Keras's divide_no_nan gives."""

    def __init__(self, result_of, thresholds=0.5, class_id=None, name=None):
        self.result_of = result_of  # "precision", "recall", "tp", "fp", "tn" or "fn"
        self.one_threshold = not isinstance(thresholds, (list, tuple))
        self.thresholds = torch.tensor(thresholds, dtype=torch.float32).reshape(-1, 1)
        self.class_id = class_id
        self.name = name
        self.reset_state()

    def reset_state(self):
        zeros = torch.zeros(len(self.thresholds))
        self.tp, self.fp, self.tn, self.fn = zeros.clone(), zeros.clone(), zeros.clone(), zeros.clone()

    reset_states = reset_state  # Keras 2's name

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = torch.as_tensor(y_pred, dtype=torch.float32).detach().cpu()
        y_true = torch.as_tensor(y_true).detach().cpu().reshape(y_pred.shape)
        weights = torch.ones_like(y_pred) if sample_weight is None else torch.as_tensor(sample_weight, dtype=torch.float32).cpu().broadcast_to(y_pred.shape)
        if self.class_id is not None:
            y_true, y_pred, weights = y_true[..., self.class_id], y_pred[..., self.class_id], weights[..., self.class_id]
        positive = (y_true != 0).reshape(1, -1)
        predicted = y_pred.reshape(1, -1) > self.thresholds  # one row per threshold
        weights = weights.reshape(1, -1)
        self.tp += (weights * (positive & predicted)).sum(1)
        self.fp += (weights * (~positive & predicted)).sum(1)
        self.tn += (weights * (~positive & ~predicted)).sum(1)
        self.fn += (weights * (positive & ~predicted)).sum(1)

    def result(self):
        if self.result_of in ("precision", "recall"):
            other = self.fp if self.result_of == "precision" else self.fn
            total = self.tp + other
            value = torch.where(total > 0, self.tp / total.clamp(min=1e-30), torch.zeros_like(total))
        else:
            value = getattr(self, self.result_of).clone()
        return value[0] if self.one_threshold else value

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()
'''

_AREA_UNDER_CURVE = '''
class AreaUnderCurve:
    """Keras's AUC: confusion counts at `num_thresholds` evenly spaced thresholds (the first
    just below 0, the last just above 1), summed over every batch since the last
    `reset_state`, and the area under the ROC or PR curve by Keras's Riemann sum
    ("interpolation": trapezoids for ROC, Davis & Goadrich's interpolation for PR)."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", from_logits=False, name=None):
        self.num_thresholds = num_thresholds
        self.curve, self.summation_method = curve.upper(), summation_method.lower()
        self.from_logits = from_logits
        self.name = name
        self.reset_state()

    def reset_state(self):
        zeros = torch.zeros(self.num_thresholds)
        self.tp, self.fp, self.tn, self.fn = zeros.clone(), zeros.clone(), zeros.clone(), zeros.clone()

    reset_states = reset_state  # Keras 2's name

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = torch.as_tensor(y_pred, dtype=torch.float32).detach().cpu()
        if self.from_logits:
            y_pred = torch.sigmoid(y_pred)
        weights = torch.ones_like(y_pred) if sample_weight is None else torch.as_tensor(sample_weight, dtype=torch.float32).cpu().broadcast_to(y_pred.shape)
        positive = (torch.as_tensor(y_true).detach().cpu().reshape(-1) != 0).float()
        weights, y_pred = weights.reshape(-1), y_pred.reshape(-1).clamp(0.0, 1.0)
        # Keras's bucketing: a prediction p counts as positive at threshold i when
        # ceil(p * (T - 1)) - 1 >= i, i.e. p > i / (T - 1), computed in float32 as Keras does.
        bucket = torch.relu(torch.ceil(y_pred * (self.num_thresholds - 1)) - 1).long()
        true_in_bucket = torch.zeros(self.num_thresholds).index_add_(0, bucket, positive * weights)
        false_in_bucket = torch.zeros(self.num_thresholds).index_add_(0, bucket, (1.0 - positive) * weights)
        tp = true_in_bucket.flip(0).cumsum(0).flip(0)
        fp = false_in_bucket.flip(0).cumsum(0).flip(0)
        self.tp += tp
        self.fp += fp
        self.fn += (positive * weights).sum() - tp
        self.tn += ((1.0 - positive) * weights).sum() - fp

    @staticmethod
    def _ratio(a, b):
        return torch.where(b > 0, a / b.clamp(min=1e-30), torch.zeros_like(b))

    def result(self):
        tp, fp, tn, fn = self.tp, self.fp, self.tn, self.fn
        if self.curve == "PR" and self.summation_method == "interpolation":
            dtp = tp[:-1] - tp[1:]
            p = tp + fp
            dp = p[:-1] - p[1:]
            slope = self._ratio(dtp, dp.clamp(min=0))
            intercept = tp[1:] - slope * p[1:]
            both = (p[:-1] > 0) & (p[1:] > 0)
            p_ratio = torch.where(both, self._ratio(p[:-1], p[1:].clamp(min=0)), torch.ones_like(p[1:]))
            return self._ratio(slope * (dtp + intercept * torch.log(p_ratio)), (tp[1:] + fn[1:]).clamp(min=0)).sum()
        recall = self._ratio(tp, tp + fn)
        if self.curve == "ROC":
            x, y = self._ratio(fp, fp + tn), recall
        else:
            x, y = recall, self._ratio(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        return ((x[:-1] - x[1:]) * heights).sum()

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()
'''

_MEAN_IOU = '''
class MeanIntersectionOverUnion:
    """Keras's MeanIoU: a num_classes x num_classes confusion matrix of integer counts (rows:
    true class, columns: predicted class) summed over every batch since the last
    `reset_state`; the result is the mean of TP / (TP + FP + FN) over the classes that occurred.
    As in Keras, class ids outside [0, num_classes) are skipped and `sample_weight` is cast to
    an integer (Keras's metric dtype is "int": a weight of 0.5 counts 0)."""

    def __init__(self, num_classes, ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1, name=None):
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = sparse_y_true, sparse_y_pred, axis
        self.name = name
        self.reset_state()

    def reset_state(self):
        self.matrix = torch.zeros(self.num_classes, self.num_classes, dtype=torch.int64)

    reset_states = reset_state  # Keras 2's name

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = torch.as_tensor(y_true).detach().cpu(), torch.as_tensor(y_pred).detach().cpu()  # the counts live on the CPU
        if not self.sparse_y_true:
            y_true = y_true.argmax(self.axis)
        if not self.sparse_y_pred:
            y_pred = y_pred.argmax(self.axis)
        y_true, y_pred = y_true.reshape(-1).long(), y_pred.reshape(-1).long()
        weights = torch.ones_like(y_true) if sample_weight is None else torch.as_tensor(sample_weight).detach().cpu().reshape(-1).long().broadcast_to(y_true.shape)
        keep = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (y_pred < self.num_classes)
        if self.ignore_class is not None:
            keep &= y_true != self.ignore_class
        cells = y_true[keep] * self.num_classes + y_pred[keep]
        counts = torch.zeros(self.num_classes**2, dtype=torch.int64).index_add_(0, cells, weights[keep])
        self.matrix += counts.reshape(self.num_classes, self.num_classes)

    def result(self):
        tp = self.matrix.diagonal().float()
        denominator = (self.matrix.sum(0) + self.matrix.sum(1)).float() - tp
        valid = denominator > 1e-9  # a class never seen nor predicted does not count
        iou = torch.where(valid, tp / (denominator + 1e-7), torch.zeros_like(tp))
        return iou.sum() / (valid.sum() + 1e-7)

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()
'''

#: Keras class → (template, its class name, Keras's signature after ``self``).
OBJECT_CLASSES: dict[str, tuple[str, str, str]] = {
    **{
        cls: (_CONFUSION_METRIC, "ConfusionMetric", "thresholds=None, name=None, dtype=None")
        for cls in ("TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives")
    },
    "Precision": (_CONFUSION_METRIC, "ConfusionMetric", "thresholds=None, top_k=None, class_id=None, name=None, dtype=None"),
    "Recall": (_CONFUSION_METRIC, "ConfusionMetric", "thresholds=None, top_k=None, class_id=None, name=None, dtype=None"),
    "AUC": (
        _AREA_UNDER_CURVE, "AreaUnderCurve",
        "num_thresholds=200, curve='ROC', summation_method='interpolation', name=None, dtype=None, "
        "thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False",
    ),
    "MeanIoU": (
        _MEAN_IOU, "MeanIntersectionOverUnion",
        "num_classes=None, name=None, dtype=None, ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1",
    ),
}

_RESULT_OF = {
    "TruePositives": "tp", "FalsePositives": "fp", "TrueNegatives": "tn", "FalseNegatives": "fn",
    "Precision": "precision", "Recall": "recall",
}


def _thresholds(value: Any) -> float | list[float]:
    """Keras's ``thresholds=`` for the confusion metrics: None → 0.5, a number or a list."""
    if value is None:
        return 0.5
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in values):
        raise CannotMigrate("`thresholds=` must be numbers in [0, 1]")
    n = len(values)
    if n >= 3 and all(abs(v - i / (n - 1)) < 1e-7 for i, v in enumerate(values)):
        # Keras then buckets the predictions instead of comparing them (it differs at p == 0).
        raise CannotMigrate("evenly spaced `thresholds=` from 0 to 1 take Keras's bucketed path, which is not migrated")
    return [float(v) for v in values] if isinstance(value, (list, tuple)) else float(value)


def object_constructor(call: cst.Call, cls: str, ctx: RuleContext) -> tuple[str, str]:
    """The class definition (torch spelled as the file imports it) and the constructor
    expression for a stateful Keras metric ``call``. Raises CannotMigrate with the reason."""
    template, class_name, signature = OBJECT_CLASSES[cls]
    values = _literal_args(call, signature, ctx)
    name = values.get("name")
    args: list[str] = []
    if class_name == "ConfusionMetric":
        if values.get("top_k") is not None:
            raise CannotMigrate("`top_k=` (only the k highest predictions count as positive) is not migrated")
        args = [f'"{_RESULT_OF[cls]}"', f"thresholds={_thresholds(values['thresholds'])!r}"]
        if values.get("class_id") is not None:
            args.append(f"class_id={int(values['class_id'])}")
    elif class_name == "AreaUnderCurve":
        for unsupported in ("thresholds", "label_weights", "num_labels"):
            if values[unsupported] is not None:
                raise CannotMigrate(f"AUC `{unsupported}=` is not migrated (only evenly spaced `num_thresholds`)")
        if values["multi_label"]:
            raise CannotMigrate("AUC `multi_label=True` (one curve per label, averaged) is not migrated")
        curve, method = str(values["curve"]).upper(), str(values["summation_method"]).lower()
        if curve not in ("ROC", "PR"):
            raise CannotMigrate(f"AUC `curve={values['curve']!r}` is not migrated (ROC and PR are)")
        if method not in ("interpolation", "minoring", "majoring"):
            raise CannotMigrate(f"AUC `summation_method={values['summation_method']!r}` is not one Keras knows")
        if not isinstance(values["num_thresholds"], int) or values["num_thresholds"] < 2:
            raise CannotMigrate("AUC `num_thresholds=` must be an integer > 1")
        args = [f"num_thresholds={values['num_thresholds']}", f'curve="{curve}"', f'summation_method="{method}"']
        if values["from_logits"]:
            args.append("from_logits=True")
    else:
        if not isinstance(values["num_classes"], int):
            raise CannotMigrate("MeanIoU needs a literal integer `num_classes`")
        args = [f"num_classes={values['num_classes']}"]
        for key, default in (("ignore_class", None), ("sparse_y_true", True), ("sparse_y_pred", True), ("axis", -1)):
            if values[key] != default:
                args.append(f"{key}={values[key]!r}")
    if name is not None:
        if not isinstance(name, str):
            raise CannotMigrate("a metric `name=` that is not a literal string")
        args.append(f'name="{name}"' if '"' not in name and "\\" not in name else f"name={name!r}")
    torch_prefix = cst.Module([]).code_for_node(ctx.name("torch.as_tensor")).rsplit(".", 1)[0]
    definition = template.lstrip("\n").replace("torch.", f"{torch_prefix}.")
    return definition, f"{class_name}({', '.join(args)})"


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
        "calls stay as they are. Precision, Recall, TruePositives/FalsePositives/TrueNegatives/"
        "FalseNegatives, AUC (ROC/PR, Keras's 200 bucketed thresholds and its interpolation) and "
        "MeanIoU keep counts across batches: each becomes a small class in the file "
        "(`ConfusionMetric`, `AreaUnderCurve`, `MeanIntersectionOverUnion`) with Keras's maths and "
        "`update_state(y_true, y_pred, sample_weight=None)`. Other stateful metrics are TODOs. A metric inside `compile(...)` is left to the compile rewrite; "
        "`RunningMean` does not carry `sample_weight`."
    )
    example = (
        "import keras\n\n"
        'train_loss = keras.metrics.Mean(name="train_loss")\n'
        'train_accuracy = keras.metrics.SparseCategoricalAccuracy(name="train_accuracy")\n'
        "train_loss(loss)\n"
        "train_accuracy.update_state(labels, predictions)\n"
        "print(train_accuracy.result())\n"
        "train_accuracy.reset_state()\n"
        'val_auc = keras.metrics.AUC(curve="PR")\n'
        "val_auc.update_state(labels, probabilities)"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        from migrate.rules.keras_optimizers import argument_of_compile

        if argument_of_compile(call, ctx):
            return call
        cls = qualified.rsplit(".", 1)[-1]
        if cls in OBJECT_CLASSES:
            definition, constructor = object_constructor(call, cls, ctx)
            ctx.add_definition(list(cst.parse_module(definition).body))  # type: ignore[attr-defined]
            return cst.parse_expression(constructor)
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
