"""``keras.metrics``: metrics named in ``compile(metrics=[...])`` and metric objects.

Builders other rules call: ``torch_metric(node, ctx) -> MetricPlan``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import libcst as cst

from migrate.rules.base import CannotMigrate, Rule, RuleContext


@dataclass(frozen=True)
class MetricPlan:
    """A Keras metric under torch, computed over one batch.

    ``name`` is the Keras history key (``"accuracy"``); ``call(y_true, y_pred)`` is an
    expression of the metric's value on one batch (a 0-d tensor); the training loop averages
    it over the batches of an epoch weighted by batch size, as Keras's running mean does.
    ``stateful`` marks metrics that are not a mean of per-batch values (AUC, precision,
    recall): ``call`` is then a torchmetrics object constructor (``state``) to update per batch
    and ``compute()`` at the end.
    """

    name: str
    build: Callable[[cst.BaseExpression, cst.BaseExpression], cst.BaseExpression] | None = None
    state: cst.BaseExpression | None = None
    notes: tuple[str, ...] = ()

    @property
    def stateful(self) -> bool:
        return self.state is not None

    def call(self, y_true: cst.BaseExpression, y_pred: cst.BaseExpression) -> cst.BaseExpression:
        assert self.build is not None, "a stateful metric is updated through `state`"
        return self.build(y_true, y_pred)


def torch_metric(node: cst.BaseExpression | str, ctx: RuleContext, loss: cst.BaseExpression | str | None = None) -> MetricPlan:
    """The torch metric for a Keras one: a ``compile(metrics=[...])`` string (``"accuracy"``,
    whose meaning depends on the loss, hence ``loss``), a metric class call, or a function
    reference. Raises CannotMigrate with the reason."""
    raise CannotMigrate("metrics are being written (rules/keras_metrics.py)")


RULES: list[Rule] = []
