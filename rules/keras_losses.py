"""``keras.losses``: loss classes and functions.

Builders other rules call: ``torch_loss(node, ctx) -> LossPlan``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import libcst as cst

from migrate.rules.base import CannotMigrate, Rule, RuleContext


@dataclass(frozen=True)
class LossPlan:
    """A Keras loss under torch.

    ``call(y_true, y_pred)`` is the expression of the reduced loss in Keras's argument order
    (the training step writes ``loss = <plan.call(y, outputs)>``); ``function`` is an
    expression callable as ``function(y_true, y_pred)`` (Keras's order), for a loss passed
    around as a value.
    """

    keras: str
    build: Callable[[cst.BaseExpression, cst.BaseExpression], cst.BaseExpression]
    function: cst.BaseExpression
    notes: tuple[str, ...] = ()

    def call(self, y_true: cst.BaseExpression, y_pred: cst.BaseExpression) -> cst.BaseExpression:
        return self.build(y_true, y_pred)


def torch_loss(node: cst.BaseExpression | str, ctx: RuleContext) -> LossPlan:
    """The torch loss for a Keras loss: a constructor call, a ``compile`` string
    (``"sparse_categorical_crossentropy"``), a loss function reference, or the name of a
    loss object the file constructs. Raises CannotMigrate with the reason."""
    raise CannotMigrate("losses are being written (rules/keras_losses.py)")


RULES: list[Rule] = []
