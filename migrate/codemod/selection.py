"""Which rules run: ``--select`` / ``--ignore`` by rule id or id prefix, as in ruff.

``ops`` selects every ``ops.*`` rule; ``ops.reduce_sum`` that one; ``ALL`` everything.
A deselected rule leaves its sites as they are, without a TODO marker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


def _matches(rule_id: str, pattern: str) -> bool:
    return pattern == "ALL" or rule_id == pattern or rule_id.startswith(pattern + ".")


@dataclass(frozen=True)
class Selection:
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()

    def enabled(self, rule_id: str) -> bool:
        if any(_matches(rule_id, p) for p in self.ignore):
            return False
        return any(_matches(rule_id, p) for p in self.select)

    def unknown(self, rule_ids: Iterable[str]) -> list[str]:
        """Patterns that name no rule: a typo here would silently select nothing."""
        ids = list(rule_ids)
        return [
            p
            for p in (*self.select, *self.ignore)
            if not any(_matches(rule_id, p) for rule_id in ids)
        ]
