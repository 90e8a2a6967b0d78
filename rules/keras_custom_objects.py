"""User subclasses of Keras's metric, loss and learning-rate-schedule base classes."""

from __future__ import annotations

RULES: list = []
