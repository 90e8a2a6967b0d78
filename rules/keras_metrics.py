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

Metrics that are not a mean of per-example values (AUC, Precision, Recall, the confusion
counts, the IoUs, F-scores, R², RMSE, the "at" metrics) keep a state across batches. They become small classes
written into the file with Keras's maths (``OBJECT_CLASSES``, ``object_constructor``): used by
hand in a custom loop, and in ``compile(metrics=[...])``, where the migrated ``fit``/``evaluate``
reset them when an epoch (or evaluation) starts, update them per batch and log ``result()``.

Compile strings resolve as Keras 3's ``metrics.get`` resolves them (``KERAS_STRINGS``: each
class by its name and its snake-case name, and ``mse``/``mae``/``mape``/``msle``/``bce``), are
built with the class's defaults and logged under the string itself; a string Keras does not
know stays a TODO naming it.

Builders other rules call: ``torch_metric(node, ctx, loss) -> MetricPlan``,
``object_constructor(call, cls, ctx)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

import libcst as cst

from migrate.rules.base import CannotMigrate, NotLiteral, Rule, RuleContext, dotted_name, literal, literal_or


@dataclass(frozen=True)
class MetricPlan:
    """A Keras metric under torch, computed over one batch.

    ``name`` is the Keras history key (``"accuracy"``); ``call(y_true, y_pred)`` is an
    expression of the metric's mean value on one batch (a 0-d tensor); the training loop
    averages it over the batches of an epoch weighted by batch size, as Keras's running mean
    does. ``stateful`` marks metrics that are not such a mean: ``state`` then constructs an
    object with Keras's ``update_state``/``result``/``reset_state`` (its class already written
    into the file). Compile *strings* naming such a metric (``"auc"``, ``"Precision"``) come
    back this way; a metric *call* in ``compile`` is built by the compile rewrite through
    ``object_constructor``.
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
    "Hinge": "Hinge",
    "SquaredHinge": "SquaredHinge",
    "CategoricalHinge": "CategoricalHinge",
}

#: Metrics with state across batches (not a mean of per-example values).
STATEFUL = {
    "AUC", "Precision", "Recall", "RootMeanSquaredError", "MeanIoU", "IoU", "BinaryIoU", "OneHotIoU",
    "OneHotMeanIoU", "F1Score", "FBetaScore", "PrecisionAtRecall", "RecallAtPrecision",
    "SensitivityAtSpecificity", "SpecificityAtSensitivity", "TruePositives", "TrueNegatives",
    "FalsePositives", "FalseNegatives", "R2Score",
}

#: Function names of accuracy metrics (`keras.metrics.binary_accuracy` passed to compile).
_ACCURACY_FUNCTIONS = {
    "binary_accuracy": lambda: _binary_accuracy(0.5),
    "categorical_accuracy": lambda: _ACCURACY["categorical_accuracy"],
    "sparse_categorical_accuracy": lambda: _ACCURACY["sparse_categorical_accuracy"],
    "top_k_categorical_accuracy": lambda: _top_k(5, sparse=False),
    "sparse_top_k_categorical_accuracy": lambda: _top_k(5, sparse=True),
}


#: Metrics that are a mean over examples of a value computed along ``axis`` (Keras's
#: MeanMetricWrapper with an ``axis=`` argument): class → (default name, batch-mean form, in
#: which ``{yt}`` is the labels cast to the predictions' dtype, as Keras casts them).
_AXIS_METRICS = {
    # Both sides scaled to unit length (the norm floored at Keras's epsilon); the loss is its negative.
    "CosineSimilarity": (
        "cosine_similarity",
        "(({yt} / {yt}.norm(dim={axis}, keepdim=True).clamp(min=1e-7))"
        " * ({yp} / {yp}.norm(dim={axis}, keepdim=True).clamp(min=1e-7))).sum({axis}).mean()",
    ),
    # Per example along the axis (Keras 3 is not a correlation over the data set): population std.
    "PearsonCorrelation": (
        "pearson_correlation",
        "((({yt} - {yt}.mean({axis}, keepdim=True)) / {yt}.std({axis}, correction=0, keepdim=True))"
        " * (({yp} - {yp}.mean({axis}, keepdim=True)) / {yp}.std({axis}, correction=0, keepdim=True))).mean({axis}).mean()",
    ),
    # Keras's formula as written: the covariance centres the labels on the predictions' mean.
    "ConcordanceCorrelation": (
        "concordance_correlation",
        "(2 * ({yt} - {yp}.mean({axis}, keepdim=True)) * ({yp} - {yp}.mean({axis}, keepdim=True))"
        " / ({yt}.var({axis}, correction=0, keepdim=True) + {yp}.var({axis}, correction=0, keepdim=True)"
        " + ({yt}.mean({axis}, keepdim=True) - {yp}.mean({axis}, keepdim=True)) ** 2 + 1e-7)).mean({axis}).mean()",
    ),
}


def _snake_case(name: str) -> str:
    """Keras's ``to_snake_case``: ``MeanIoU`` → ``mean_io_u``, ``AUC`` → ``auc``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def keras_default_name(cls: str) -> str:
    """The name a Keras metric class gives itself (its history key when ``name=`` is not
    passed): the class in snake case, but for the few whose constructor names them otherwise."""
    return {"FBetaScore": "fbeta_score", "LogCoshError": "logcosh"}.get(cls, _snake_case(cls))


#: Every compile string Keras 3's ``metrics.get`` resolves (keras/src/metrics/__init__.py,
#: ALL_OBJECTS_DICT): each metric class by its name and by its name in snake case, and the
#: short forms below. "accuracy"/"acc" in any case are read before it (``_accuracy_for``).
KERAS_STRINGS: dict[str, str] = {
    **{
        spelling: cls
        for cls in (*CLASSES, *LOSS_METRICS, *_AXIS_METRICS, *sorted(STATEFUL), "Mean", "Sum")
        for spelling in (cls, _snake_case(cls))
    },
    **{short: "BinaryCrossentropy" for short in ("bce", "BCE")},
    **{short: "MeanSquaredError" for short in ("mse", "MSE")},
    **{short: "MeanAbsoluteError" for short in ("mae", "MAE")},
    **{short: "MeanAbsolutePercentageError" for short in ("mape", "MAPE")},
    **{short: "MeanSquaredLogarithmicError" for short in ("msle", "MSLE")},
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


class NameCode(str):
    """A metric ``name=`` that is an expression (``Mean(name)``, ``name=prefix + "_loss"``):
    it only labels the metric, so it is carried as code; ``repr`` gives that code back, so the
    places that write a literal name write the expression instead."""

    def __repr__(self) -> str:
        return str(self)


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
            if name == "dtype":
                if dotted_name(arg.value).rsplit(".", 1)[-1] not in ("float32", "float"):
                    raise CannotMigrate(f"a metric `dtype={ctx.source(arg.value)}` needs the inputs and counts cast") from None
                values[name] = "float32"  # tf.float32 (or the torch.float32 it became)
                continue
            if name != "name":
                raise CannotMigrate(f"`{name}={ctx.source(arg.value)}` is not a literal") from None
            values[name] = NameCode(ctx.source(arg.value))
    if values.get("dtype") not in (None, "float32"):  # float32 is Keras's default (but for the IoUs)
        raise CannotMigrate(f"a metric `dtype={values['dtype']!r}` needs the inputs and counts cast")
    if values.get("from_sorted_ids"):
        raise CannotMigrate("`from_sorted_ids=True` (predictions that are class ids) is not migrated")
    return values


def torch_metric(node: cst.BaseExpression | str, ctx: RuleContext, loss: cst.BaseExpression | str | None = None) -> MetricPlan:
    """The torch metric for a Keras one: a ``compile(metrics=[...])`` string (``"accuracy"``,
    whose meaning depends on the shapes, read here from ``loss``), a metric class call, or a
    function reference. Raises CannotMigrate with the reason."""
    from migrate.rules.keras_losses import BY_FUNCTION, torch_loss

    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        node = value if isinstance(value, str) else ""
    if isinstance(node, str):
        return _string_metric(node, ctx, loss)
    if isinstance(node, cst.Call):
        cls = dotted_name(node.func).rsplit(".", 1)[-1]
        if cls in _AXIS_METRICS:
            default_name, form = _AXIS_METRICS[cls]
            values = _literal_args(node, f"name={default_name!r}, dtype=None, axis=-1", ctx)
            if not isinstance(values["axis"], int) or isinstance(values["axis"], bool):
                raise CannotMigrate(f"{cls} `axis=` must be a literal integer")
            form = form.replace("{yt}", "{yt}.to({yp}.dtype)").replace("{axis}", str(values["axis"]))
            return _plan(values["name"], form)
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
            for arg in node.args:
                if arg.keyword and arg.keyword.value == "dtype" and literal_or(arg.value, None) not in (None, "float32"):
                    raise CannotMigrate(f"a metric `dtype={ctx.source(arg.value)}` needs the inputs cast")
            loss_call = node.with_changes(
                func=cst.parse_expression(f"keras.losses.{LOSS_METRICS[cls]}"),
                args=[a for a in node.args if not (a.keyword and a.keyword.value in ("name", "dtype"))],
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
    if last in ("pearson_correlation", "concordance_correlation"):  # keras.metrics functions only
        return torch_metric(cst.parse_expression(f"keras.metrics.{_upper_camel(last)}(name={last!r})"), ctx)
    raise CannotMigrate(f"`{ctx.source(node)}` is not a metric this rewrite can read")


def _upper_camel(snake: str) -> str:
    return "".join(part.title() for part in snake.split("_"))


def _string_metric(text: str, ctx: RuleContext, loss: cst.BaseExpression | str | None) -> MetricPlan:
    """A ``compile(metrics=[...])`` string, resolved as Keras 3 resolves it: "accuracy"/"acc"
    by the shapes (read from the loss), any other through ``metrics.get`` to a metric class
    built with its defaults. Keras logs it under the string itself. A metric that keeps counts
    across batches is a plan with ``state`` (its class is written into the file here)."""
    if text.lower() in ("accuracy", "acc"):
        return _accuracy_for(loss, text)
    cls = KERAS_STRINGS.get(text)
    if cls is None:
        raise CannotMigrate(f"metric {text!r} is not a name Keras's `metrics.get` knows")
    if cls in ("Mean", "Sum"):
        raise CannotMigrate(f"metric {text!r} would average the labels weighted by the predictions, as Keras does with it")
    call = cst.parse_expression(f"keras.metrics.{cls}(name={text!r})")
    assert isinstance(call, cst.Call)
    if cls in OBJECT_CLASSES:
        definition, constructor = object_constructor(call, cls, ctx)
        ctx.add_definition(list(cst.parse_module(definition).body))  # type: ignore[attr-defined]
        return MetricPlan(text, state=cst.parse_expression(constructor))
    return torch_metric(call, ctx, loss)


def _default_metric_name(cls: str) -> str:
    from migrate.rules.keras_losses import SPECS

    if cls == "LogCoshError":
        return "logcosh"
    return SPECS[LOSS_METRICS[cls]].function


# ---------------------------------------------------------------------------------------
# Metric objects a hand-written loop updates (``m.update_state(y, p)``, ``m.result()``,
# ``m.reset_state()``, ``m(y, p)``), as the TF2 custom-loop guides write them.

_RUNNING_MEAN = '''
class RunningMean:
    """A Keras mean metric (`keras.metrics.Mean`, accuracies, error metrics): the mean of every
    value given to `update_state` since the last `reset_state`, as Keras keeps it: values are
    averaged down to one per example, weighted by `sample_weight` (one per example, or one per
    value) and divided by the sum of the weights. `root=True` gives the square root of that
    mean (`RootMeanSquaredError`)."""

    def __init__(self, per_example=None, root=False, name=None):
        self.per_example = per_example  # (y_true, y_pred) -> the values to average; None: the values given
        self.root = root
        self.name = name
        self.reset_state()

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    reset_states = reset_state  # Keras 2's name

    def update_state(self, *args, sample_weight=None):
        if len(args) > (1 if self.per_example is None else 2):  # sample_weight passed by position
            *args, sample_weight = args
        values = self.per_example(*args) if self.per_example is not None else args[0]
        values = torch.as_tensor(values, dtype=torch.float32).detach()
        if sample_weight is None:
            weights = torch.ones(values.shape[:1], device=values.device)  # one per example; a scalar counts once
        else:
            weights = torch.as_tensor(sample_weight, dtype=torch.float32, device=values.device).detach()
            # Keras's squeeze_or_expand_to_same_rank: ranks one apart meet at a last axis of 1.
            if values.dim() == weights.dim() + 1 and values.shape[-1] == 1:
                values, weights = (values, weights.unsqueeze(-1)) if weights.dim() == 1 else (values.squeeze(-1), weights)
            elif weights.dim() == values.dim() + 1 and weights.shape[-1] == 1:
                values, weights = (values.unsqueeze(-1), weights) if values.dim() == 1 else (values, weights.squeeze(-1))
        if values.dim() > weights.dim():  # average the values down to the weights' shape
            values = values.mean(dim=tuple(range(weights.dim(), values.dim())))
        weights = weights.broadcast_to(values.shape)
        values = values * weights
        if values.dim() > 1:  # one value and one weight per example
            values, weights = values.mean(dim=tuple(range(1, values.dim()))), weights.mean(dim=tuple(range(1, weights.dim())))
        self.total += values.sum().item()
        self.count += weights.sum().item()

    def result(self):
        mean = torch.tensor(self.total / self.count if self.count else 0.0)
        return mean.sqrt() if self.root else mean

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()
'''


_RUNNING_SUM = '''
class RunningSum:
    """Keras's `keras.metrics.Sum`: the sum of every value given to `update_state` since the
    last `reset_state`, each multiplied by its `sample_weight` (one per example, or one per
    value) as Keras weighs them."""

    def __init__(self, name=None):
        self.name = name
        self.reset_state()

    def reset_state(self):
        self.total = 0.0

    reset_states = reset_state  # Keras 2's name

    def update_state(self, values, sample_weight=None):
        values = torch.as_tensor(values, dtype=torch.float32).detach()
        if sample_weight is not None:
            weights = torch.as_tensor(sample_weight, dtype=torch.float32, device=values.device).detach()
            # Keras's squeeze_or_expand_to_same_rank: ranks one apart meet at a last axis of 1.
            if values.dim() == weights.dim() + 1 and values.shape[-1] == 1:
                values, weights = (values, weights.unsqueeze(-1)) if weights.dim() == 1 else (values.squeeze(-1), weights)
            elif weights.dim() == values.dim() + 1 and weights.shape[-1] == 1:
                values, weights = (values.unsqueeze(-1), weights) if values.dim() == 1 else (values, weights.squeeze(-1))
            if values.dim() > weights.dim():  # sum the values down to the weights' shape
                values = values.sum(dim=tuple(range(weights.dim(), values.dim())))
            values = values * weights.broadcast_to(values.shape)
        self.total += values.sum().item()

    def result(self):
        return torch.tensor(self.total)

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()
'''


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

    def __init__(self, result_of, thresholds=0.5, top_k=None, class_id=None, name=None):
        self.result_of = result_of  # "precision", "recall", "tp", "fp", "tn" or "fn"
        self.one_threshold = not isinstance(thresholds, (list, tuple))
        self.thresholds = torch.tensor(thresholds, dtype=torch.float32).reshape(-1, 1)
        self.top_k = top_k  # only each row's k highest predictions can count as positive
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
        if self.top_k is not None:  # Keras sets the others to -1e10, below any threshold
            kept = torch.zeros_like(y_pred, dtype=torch.bool).scatter_(-1, y_pred.topk(self.top_k, dim=-1).indices, True)
            y_pred = torch.where(kept, y_pred, torch.full_like(y_pred, -1e10))
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
    ("interpolation": trapezoids for ROC, Davis & Goadrich's interpolation for PR). With
    `multi_label=True` each label (column) has its own counts and curve and the result is the
    mean of their areas, weighted by `label_weights` when given; without it every value is
    counted in one curve, its weight multiplied by its label's weight."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", multi_label=False, label_weights=None, from_logits=False, name=None):
        self.num_thresholds = num_thresholds
        self.curve, self.summation_method = curve.upper(), summation_method.lower()
        self.multi_label = multi_label
        self.label_weights = None if label_weights is None else torch.tensor(label_weights, dtype=torch.float32)
        self.from_logits = from_logits
        self.name = name
        self.reset_state()

    def reset_state(self):
        zeros = torch.zeros(self.num_thresholds, 1)  # one column per curve (per label with multi_label)
        self.tp, self.fp, self.tn, self.fn = zeros.clone(), zeros.clone(), zeros.clone(), zeros.clone()

    reset_states = reset_state  # Keras 2's name

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = torch.as_tensor(y_pred, dtype=torch.float32).detach().cpu()
        if self.from_logits:
            y_pred = torch.sigmoid(y_pred)
        weights = torch.ones_like(y_pred) if sample_weight is None else torch.as_tensor(sample_weight, dtype=torch.float32).detach().cpu()
        if weights.dim() == y_pred.dim() - 1:
            weights = weights.unsqueeze(-1)  # one weight per example, as Keras expands it
        weights = weights.broadcast_to(y_pred.shape)
        if self.label_weights is not None and not self.multi_label:
            weights = weights * self.label_weights
        positive = (torch.as_tensor(y_true).detach().cpu().reshape(y_pred.shape) != 0).float()
        curves = y_pred.shape[-1] if self.multi_label else 1
        positive, weights, y_pred = positive.reshape(-1, curves), weights.reshape(-1, curves), y_pred.reshape(-1, curves).clamp(0.0, 1.0)
        # Keras's bucketing: a prediction p counts as positive at threshold i when
        # ceil(p * (T - 1)) - 1 >= i, i.e. p > i / (T - 1), computed in float32 as Keras does.
        bucket = torch.relu(torch.ceil(y_pred * (self.num_thresholds - 1)) - 1).long()
        true_in_bucket = torch.zeros(self.num_thresholds, curves).scatter_add_(0, bucket, positive * weights)
        false_in_bucket = torch.zeros(self.num_thresholds, curves).scatter_add_(0, bucket, (1.0 - positive) * weights)
        tp = true_in_bucket.flip(0).cumsum(0).flip(0)
        fp = false_in_bucket.flip(0).cumsum(0).flip(0)
        self.tp = self.tp + tp
        self.fp = self.fp + fp
        self.fn = self.fn + (positive * weights).sum(0) - tp
        self.tn = self.tn + ((1.0 - positive) * weights).sum(0) - fp

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
            areas = self._ratio(slope * (dtp + intercept * torch.log(p_ratio)), (tp[1:] + fn[1:]).clamp(min=0)).sum(0)
        else:
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
            areas = ((x[:-1] - x[1:]) * heights).sum(0)  # one area per curve
        if self.multi_label and self.label_weights is not None:
            return self._ratio((areas * self.label_weights).sum(), self.label_weights.sum())
        return areas.mean()

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()
'''

_MEAN_IOU = '''
class MeanIntersectionOverUnion:
    """Keras's IoU metrics (MeanIoU, IoU, BinaryIoU, OneHotIoU, OneHotMeanIoU): a
    num_classes x num_classes confusion matrix of integer counts (rows: true class, columns:
    predicted class) summed over every batch since the last `reset_state`; the result is the
    mean of TP / (TP + FP + FN) over the `target_class_ids` (all classes when None) that
    occurred. As in Keras, class ids outside [0, num_classes) are skipped and `sample_weight` is
    cast to an integer (Keras's metric dtype is "int": a weight of 0.5 counts 0). BinaryIoU
    predicts class 1 where the prediction is >= `threshold`."""

    def __init__(self, num_classes, target_class_ids=None, threshold=None, ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1, name=None):
        self.num_classes = num_classes
        self.target_class_ids = list(range(num_classes)) if target_class_ids is None else list(target_class_ids)
        self.threshold = threshold
        self.ignore_class = ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = sparse_y_true, sparse_y_pred, axis
        self.name = name
        self.reset_state()

    def reset_state(self):
        self.matrix = torch.zeros(self.num_classes, self.num_classes, dtype=torch.int64)

    reset_states = reset_state  # Keras 2's name

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = torch.as_tensor(y_true).detach().cpu(), torch.as_tensor(y_pred).detach().cpu()  # the counts live on the CPU
        if self.threshold is not None:
            y_pred = (y_pred.float() >= self.threshold).long()
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
        targets = torch.tensor(self.target_class_ids)
        tp, denominator = tp[targets], denominator[targets]
        valid = denominator > 1e-9  # a class never seen nor predicted does not count
        iou = torch.where(valid, tp / (denominator + 1e-7), torch.zeros_like(tp))
        return iou.sum() / (valid.sum() + 1e-7)

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()
'''

_F_SCORE = '''
class FScore:
    """Keras's F1Score and FBetaScore: true positives, false positives, false negatives and
    true labels per class (per example weighted by `sample_weight`), summed over every batch
    since the last `reset_state`, and the F-beta score from them. A prediction is positive above
    `threshold`, or with `threshold=None` where it is the largest of its row (and not 0).
    `average`: None (one score per class), "micro" (counts pooled over the classes), "macro"
    (the mean of the classes' scores) or "weighted" (weighted by each class's true labels)."""

    def __init__(self, average=None, beta=1.0, threshold=None, name=None):
        self.average, self.beta, self.threshold = average, beta, threshold
        self.name = name
        self.reset_state()

    def reset_state(self):
        zero = torch.zeros(())  # becomes one count per class on the first update unless "micro"
        self.tp, self.fp, self.fn, self.support = zero, zero, zero, zero

    reset_states = reset_state  # Keras 2's name

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = torch.as_tensor(y_pred, dtype=torch.float32).detach().cpu()
        y_true = torch.as_tensor(y_true, dtype=torch.float32).detach().cpu()
        if self.threshold is None:
            y_pred = ((y_pred >= y_pred.max(-1, keepdim=True).values) & (y_pred.abs() > 1e-9)).float()
        else:
            y_pred = (y_pred > self.threshold).float()
        weights = torch.ones(len(y_true), 1) if sample_weight is None else torch.as_tensor(sample_weight, dtype=torch.float32).detach().cpu().reshape(-1, 1)

        def total(values):
            return (values * weights).sum() if self.average == "micro" else (values * weights).sum(0)

        self.tp = self.tp + total(y_pred * y_true)
        self.fp = self.fp + total(y_pred * (1 - y_true))
        self.fn = self.fn + total((1 - y_pred) * y_true)
        self.support = self.support + total(y_true)

    def result(self):
        epsilon = 1e-7  # Keras's backend.epsilon()
        precision = self.tp / (self.tp + self.fp + epsilon)
        recall = self.tp / (self.tp + self.fn + epsilon)
        score = precision * recall / (self.beta**2 * precision + recall + epsilon) * (1 + self.beta**2)
        if self.average == "weighted":
            return (score * self.support / (self.support.sum() + epsilon)).sum()
        if self.average is not None:  # "micro" (one score already) or "macro"
            return score.mean()
        return score

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()
'''

_R_SQUARED = '''
class RSquared:
    """Keras's R2Score: per output, the sums of the (weighted) targets, their squares, the
    squared errors and the weights over every batch since the last `reset_state`, and the
    coefficient of determination from them. `class_aggregation`: "uniform_average" (the mean
    over the outputs), "variance_weighted_average" or None (one score per output);
    `num_regressors` > 0 gives Keras's adjusted score (Keras counts values, not examples)."""

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name=None):
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.name = name
        self.reset_state()

    def reset_state(self):
        zero = torch.zeros(())  # becomes one sum per output on the first update
        self.sum, self.squared_sum, self.squared_error, self.count = zero, zero, zero, zero
        self.num_samples = 0

    reset_states = reset_state  # Keras 2's name

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = torch.as_tensor(y_pred, dtype=torch.float32).detach().cpu()
        y_true = torch.as_tensor(y_true, dtype=torch.float32).detach().cpu().reshape(y_pred.shape)
        weights = torch.ones(()) if sample_weight is None else torch.as_tensor(sample_weight, dtype=torch.float32).detach().cpu()
        if weights.dim() == 1:
            weights = weights.unsqueeze(1)  # one weight per example, for every output
        weights = weights.broadcast_to(y_true.shape)
        self.sum = self.sum + (y_true * weights).sum(0)
        self.squared_sum = self.squared_sum + (y_true * y_true * weights).sum(0)
        self.squared_error = self.squared_error + ((y_true - y_pred) ** 2 * weights).sum(0)
        self.count = self.count + weights.sum(0)
        self.num_samples += y_true.numel()

    def result(self):
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        scores = 1 - self.squared_error / total
        scores = torch.where(scores.isinf(), torch.zeros_like(scores), scores)
        if self.class_aggregation == "uniform_average":
            score = scores.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * scores).sum() / total.sum()
        else:
            score = scores
        n, p = self.num_samples, self.num_regressors
        if p != 0 and p < n - 1:  # otherwise Keras warns and keeps the plain score
            score = 1 - (1 - score) * (n - 1) / (n - p - 1)
        return score

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()
'''

_SENSITIVITY_SPECIFICITY = '''
class SensitivitySpecificity(AreaUnderCurve):
    """Keras's SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall and
    RecallAtPrecision: the AUC's confusion counts at `num_thresholds` evenly spaced thresholds,
    and the largest `result_of` rate among the thresholds where the `constraint` rate is at
    least `value` (0 when there is none). Rates: "sensitivity" (recall), "specificity",
    "precision"; `class_id` keeps that column of the labels and predictions only."""

    def __init__(self, result_of, constraint, value, num_thresholds=200, class_id=None, name=None):
        self.result_of, self.constraint, self.value = result_of, constraint, value
        self.class_id = class_id
        super().__init__(num_thresholds=num_thresholds, name=name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.class_id is not None:
            y_pred = torch.as_tensor(y_pred)
            y_true = torch.as_tensor(y_true).reshape(y_pred.shape)
            y_true, y_pred = y_true[..., self.class_id, None], y_pred[..., self.class_id, None]
        super().update_state(y_true, y_pred, sample_weight)

    def rate(self, which):
        hits, misses = {"sensitivity": (self.tp, self.fn), "specificity": (self.tn, self.fp), "precision": (self.tp, self.fp)}[which]
        return self._ratio(hits, hits + misses)

    def result(self):
        feasible = self.rate(self.constraint) >= self.value
        return torch.where(feasible, self.rate(self.result_of), torch.zeros(())).max()
'''

def _iou_options(name: str | None) -> str:
    """The IoU metrics' shared arguments in Keras's order, with the class's default name."""
    return f"name={name!r}, dtype=None, ignore_class=None"

#: The four "at" metrics: Keras class → (the rate maximised, the rate constrained, its argument).
_AT_METRICS = {
    "SensitivityAtSpecificity": ("sensitivity", "specificity", "specificity"),
    "SpecificityAtSensitivity": ("specificity", "sensitivity", "sensitivity"),
    "PrecisionAtRecall": ("precision", "sensitivity", "recall"),
    "RecallAtPrecision": ("sensitivity", "precision", "precision"),
}

#: Keras class → (template, its class name, Keras's signature after ``self``). A required
#: Keras argument is written ``=None`` here and checked by ``object_constructor``.
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
    **{
        cls: (
            _SENSITIVITY_SPECIFICITY, "SensitivitySpecificity",
            f"{argument}=None, num_thresholds=200, class_id=None, name='{_snake_case(cls)}', dtype=None",
        )
        for cls, (_, _, argument) in _AT_METRICS.items()
    },
    "MeanIoU": (
        _MEAN_IOU, "MeanIntersectionOverUnion",
        f"num_classes=None, {_iou_options(None)}, sparse_y_true=True, sparse_y_pred=True, axis=-1",
    ),
    "IoU": (
        _MEAN_IOU, "MeanIntersectionOverUnion",
        f"num_classes=None, target_class_ids=None, {_iou_options('io_u')}, sparse_y_true=True, sparse_y_pred=True, axis=-1",
    ),
    "BinaryIoU": (_MEAN_IOU, "MeanIntersectionOverUnion", "target_class_ids=(0, 1), threshold=0.5, name='binary_io_u', dtype=None"),
    "OneHotIoU": (
        _MEAN_IOU, "MeanIntersectionOverUnion",
        f"num_classes=None, target_class_ids=None, {_iou_options('one_hot_io_u')}, sparse_y_pred=False, axis=-1",
    ),
    "OneHotMeanIoU": (
        _MEAN_IOU, "MeanIntersectionOverUnion",
        f"num_classes=None, {_iou_options('one_hot_mean_io_u')}, sparse_y_pred=False, axis=-1",
    ),
    "F1Score": (_F_SCORE, "FScore", "average=None, threshold=None, name='f1_score', dtype=None"),
    "FBetaScore": (_F_SCORE, "FScore", "average=None, beta=1.0, threshold=None, name='fbeta_score', dtype=None"),
    "R2Score": (_R_SQUARED, "RSquared", "class_aggregation='uniform_average', num_regressors=0, name='r2_score', dtype=None"),
    "RootMeanSquaredError": (_RUNNING_MEAN, "RunningMean", "name='root_mean_squared_error', dtype=None"),
}

#: Templates another template subclasses: written into the file first.
_BASES = {_SENSITIVITY_SPECIFICITY: _AREA_UNDER_CURVE}

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


def _code(value: Any) -> str:
    """A literal as the generated code writes it (strings in double quotes); a name written as
    an expression, as that expression."""
    if isinstance(value, NameCode):
        return str(value)
    return f'"{value}"' if isinstance(value, str) and '"' not in value and "\\" not in value else repr(value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _class_ids(value: Any, num_classes: int, what: str) -> list[int]:
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, int) and 0 <= v < num_classes for v in value):
        raise CannotMigrate(f"{what} needs a literal list of class ids in [0, {num_classes}) as `target_class_ids`")
    return list(value)


def _confusion_args(cls: str, values: dict[str, Any]) -> list[str]:
    top_k = values.get("top_k")
    if top_k is None:
        args = [f'"{_RESULT_OF[cls]}"', f"thresholds={_thresholds(values['thresholds'])!r}"]
    elif not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
        raise CannotMigrate(f"{cls} `top_k=` must be a literal integer > 0")
    elif values["thresholds"] is None:  # Keras's default with top_k: every kept prediction counts
        args = [f'"{_RESULT_OF[cls]}"', "thresholds=-1e10", f"top_k={top_k}"]
    else:
        args = [f'"{_RESULT_OF[cls]}"', f"thresholds={_thresholds(values['thresholds'])!r}", f"top_k={top_k}"]
    if values.get("class_id") is not None:
        args.append(f"class_id={int(values['class_id'])}")
    return args


def _auc_args(values: dict[str, Any]) -> list[str]:
    if values["thresholds"] is not None:
        raise CannotMigrate("AUC `thresholds=` is not migrated (only evenly spaced `num_thresholds`)")
    label_weights, num_labels = values["label_weights"], values["num_labels"]
    if label_weights is not None and (not isinstance(label_weights, (list, tuple)) or not all(_number(w) and w >= 0 for w in label_weights)):
        raise CannotMigrate("AUC `label_weights=` must be a literal list of non-negative numbers")
    if num_labels is not None and not (isinstance(num_labels, int) and values["multi_label"]):
        raise CannotMigrate("AUC `num_labels=` is read with `multi_label=True` and a literal integer only")
    curve, method = str(values["curve"]).upper(), str(values["summation_method"]).lower()
    if curve not in ("ROC", "PR"):
        raise CannotMigrate(f"AUC `curve={values['curve']!r}` is not migrated (ROC and PR are)")
    if method not in ("interpolation", "minoring", "majoring"):
        raise CannotMigrate(f"AUC `summation_method={values['summation_method']!r}` is not one Keras knows")
    if not isinstance(values["num_thresholds"], int) or values["num_thresholds"] < 2:
        raise CannotMigrate("AUC `num_thresholds=` must be an integer > 1")
    args = [f"num_thresholds={values['num_thresholds']}", f'curve="{curve}"', f'summation_method="{method}"']
    if values["multi_label"]:
        args.append("multi_label=True")
    if label_weights is not None:
        args.append(f"label_weights={[float(w) for w in label_weights]!r}")
    if values["from_logits"]:
        args.append("from_logits=True")
    return args


def _at_args(cls: str, values: dict[str, Any]) -> list[str]:
    result_of, constraint, argument = _AT_METRICS[cls]
    value = values[argument]
    if not _number(value) or not 0 <= value <= 1:
        raise CannotMigrate(f"{cls} needs a literal `{argument}` in [0, 1]")
    if not isinstance(values["num_thresholds"], int) or values["num_thresholds"] < 2:
        # One threshold is Keras's 0.5 compared, not bucketed.
        raise CannotMigrate(f"{cls} `num_thresholds=` must be a literal integer > 1")
    args = [f'result_of="{result_of}"', f'constraint="{constraint}"', f"value={float(value)!r}", f"num_thresholds={values['num_thresholds']}"]
    if values["class_id"] is not None:
        if not isinstance(values["class_id"], int):
            raise CannotMigrate(f"{cls} `class_id=` must be a literal integer")
        args.append(f"class_id={values['class_id']}")
    return args


def _iou_args(cls: str, values: dict[str, Any]) -> list[str]:
    if values["dtype"] is not None:  # Keras's IoUs count in "int" unless told otherwise
        raise CannotMigrate(f"{cls} `dtype={values['dtype']!r}` changes how Keras casts the weights; not migrated")
    if cls == "BinaryIoU":
        if not _number(values["threshold"]):
            raise CannotMigrate("BinaryIoU needs a literal number as `threshold`")
        ids = _class_ids(values["target_class_ids"], 2, cls)
        return ["num_classes=2", f"target_class_ids={ids!r}", f"threshold={float(values['threshold'])!r}"]
    if not isinstance(values["num_classes"], int) or isinstance(values["num_classes"], bool) or values["num_classes"] < 1:
        raise CannotMigrate(f"{cls} needs a literal integer `num_classes`")
    args = [f"num_classes={values['num_classes']}"]
    if "target_class_ids" in values:
        args.append(f"target_class_ids={_class_ids(values['target_class_ids'], values['num_classes'], cls)!r}")
    if cls.startswith("OneHot"):
        values = {**values, "sparse_y_true": False}
    for key, default in (("ignore_class", None), ("sparse_y_true", True), ("sparse_y_pred", True), ("axis", -1)):
        if values[key] != default:
            args.append(f"{key}={values[key]!r}")
    return args


def _f_score_args(cls: str, values: dict[str, Any]) -> list[str]:
    average, threshold, beta = values["average"], values["threshold"], values.get("beta", 1.0)
    if average not in (None, "micro", "macro", "weighted"):
        raise CannotMigrate(f"{cls} `average={average!r}` is not one Keras takes (None, 'micro', 'macro', 'weighted')")
    if not isinstance(beta, float) or beta <= 0:
        raise CannotMigrate(f"{cls} `beta=` must be a literal float > 0 (Keras refuses an int)")
    if threshold is not None and (not isinstance(threshold, float) or not 0 < threshold <= 1):
        raise CannotMigrate(f"{cls} `threshold=` must be a literal float in (0, 1] (Keras refuses an int)")
    return [f"average={_code(average)}", f"beta={beta!r}", f"threshold={threshold!r}"]


def _r2_args(values: dict[str, Any]) -> list[str]:
    aggregation, regressors = values["class_aggregation"], values["num_regressors"]
    if aggregation not in (None, "uniform_average", "variance_weighted_average"):
        raise CannotMigrate(f"R2Score `class_aggregation={aggregation!r}` is not one Keras takes")
    if not isinstance(regressors, int) or isinstance(regressors, bool) or regressors < 0:
        raise CannotMigrate("R2Score `num_regressors=` must be a literal integer >= 0")
    return [f"class_aggregation={_code(aggregation)}", f"num_regressors={regressors}"]


def _torch_spelled(template: str, ctx: RuleContext) -> str:
    torch_prefix = cst.Module([]).code_for_node(ctx.name("torch.as_tensor")).rsplit(".", 1)[0]
    return template.lstrip("\n").replace("torch.", f"{torch_prefix}.")


def object_constructor(call: cst.Call, cls: str, ctx: RuleContext) -> tuple[str, str]:
    """The class definition (torch spelled as the file imports it) and the constructor
    expression for a stateful Keras metric ``call``. Raises CannotMigrate with the reason.
    A class that subclasses another template's (``SensitivitySpecificity``) has its base
    written into the file here, before the caller writes the definition returned."""
    template, class_name, signature = OBJECT_CLASSES[cls]
    values = _literal_args(call, signature, ctx)
    name = values.get("name") or keras_default_name(cls)  # Keras names a metric after its class
    if class_name == "ConfusionMetric":
        args = _confusion_args(cls, values)
    elif class_name == "AreaUnderCurve":
        args = _auc_args(values)
    elif class_name == "SensitivitySpecificity":
        args = _at_args(cls, values)
    elif class_name == "MeanIntersectionOverUnion":
        args = _iou_args(cls, values)
    elif class_name == "FScore":
        args = _f_score_args(cls, values)
    elif class_name == "RSquared":
        args = _r2_args(values)
    else:  # RootMeanSquaredError: Keras squares the error per value and keeps their mean
        args = ["per_example=lambda y_true, y_pred: (y_pred - y_true.reshape(y_pred.shape)) ** 2", "root=True"]
    if name is not None:
        if not isinstance(name, str):
            raise CannotMigrate("a metric `name=` that is not a literal string")
        args.append(f"name={_code(name)}")
    if template in _BASES:
        ctx.add_definition(list(cst.parse_module(_torch_spelled(_BASES[template], ctx)).body))  # type: ignore[attr-defined]
    return _torch_spelled(template, ctx), f"{class_name}({', '.join(args)})"


class MetricObject(Rule):
    id = "metrics.metric"
    names = tuple(f"keras.metrics.{name}" for name in ["Mean", "Sum", *CLASSES, *LOSS_METRICS, *_AXIS_METRICS, *sorted(STATEFUL)])
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
        "values — the same expressions the `compile(metrics=...)` rewrite averages — weighted "
        "by `sample_weight` as Keras weighs them (`Sum` is `RunningSum`). The loop's calls stay "
        "as they are. Metrics that "
        "keep counts across batches become small classes in the file with Keras's maths and "
        "`update_state(y_true, y_pred, sample_weight=None)`: `ConfusionMetric` (Precision, "
        "Recall with `top_k`/`class_id`, TruePositives/FalsePositives/TrueNegatives/"
        "FalseNegatives), `AreaUnderCurve` (AUC: ROC/PR, Keras's bucketed thresholds and its "
        "interpolation, `multi_label`, `label_weights`), "
        "`SensitivitySpecificity` (SensitivityAtSpecificity, SpecificityAtSensitivity, "
        "PrecisionAtRecall, RecallAtPrecision, on the AUC's counts), `MeanIntersectionOverUnion` "
        "(MeanIoU, IoU, BinaryIoU, OneHotIoU, OneHotMeanIoU), `FScore` (F1Score, FBetaScore), "
        "`RSquared` (R2Score) and `RunningMean(root=True)` (RootMeanSquaredError); each is "
        "given Keras's default `name`. Keras 3's correlation metrics are per-example means "
        "along an axis and migrate as such. A metric inside `compile(...)` is left to the "
        "compile rewrite."
    )
    example = (
        "import keras\n\n"
        'train_loss = keras.metrics.Mean(name="train_loss")\n'
        'train_accuracy = keras.metrics.SparseCategoricalAccuracy(name="train_accuracy")\n'
        "train_loss(loss, sample_weight=weights)\n"
        "train_accuracy.update_state(labels, predictions)\n"
        "print(train_accuracy.result())\n"
        "train_accuracy.reset_state()\n"
        'val_auc = keras.metrics.AUC(curve="PR")\n'
        "val_auc.update_state(labels, probabilities)\n"
        'f1 = keras.metrics.F1Score(average="macro", threshold=0.5)\n'
        "f1.update_state(one_hot_labels, probabilities)"
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
        if cls == "Sum":
            name = _literal_args(call, "name='sum', dtype=None", ctx)["name"]
            ctx.add_definition(list(cst.parse_module(_torch_spelled(_RUNNING_SUM, ctx)).body))  # type: ignore[attr-defined]
            return cst.parse_expression(f"RunningSum(name={_code(name)})")
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
        definition = _torch_spelled(_RUNNING_MEAN, ctx)
        ctx.add_definition(list(cst.parse_module(definition).body))  # type: ignore[attr-defined]
        args = ([f"per_example={per_example}"] if per_example else []) + [f"name={_code(name)}"]
        return cst.parse_expression(f"RunningMean({', '.join(args)})")


RULES: list[Rule] = [MetricObject()]
