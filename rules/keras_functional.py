"""(being written — see the module's first real commit)."""

from __future__ import annotations

from migrate.rules.base import Rule

RULES: list[Rule] = []
