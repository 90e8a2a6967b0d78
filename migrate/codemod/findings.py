"""What the engine found in one file: every TF/Keras site and what became of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Outcome(str, Enum):
    REWRITTEN = "rewritten"  # a rule replaced the site with PyTorch code
    TODO = "todo"  # left as it was, under a `# migrate: TODO(<rule>)` marker
    IGNORED = "ignored"  # left as it was because the rule is deselected (--select/--ignore)


@dataclass(frozen=True)
class Finding:
    rule: str
    outcome: Outcome
    api: str  # canonical qualified name, e.g. tensorflow.math.reduce_sum
    message: str
    line: int  # 1-based, in the original file (in the cell, for a notebook)
    col: int  # 0-based, in the original file
    cell: int | None = None  # notebook cell index


@dataclass
class FileResult:
    """The engine's answer for one source: new text, findings, or an error."""

    path: str
    source: str
    output: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.error is None and self.output != self.source

    @property
    def found(self) -> int:
        return len(self.findings)

    @property
    def rewritten(self) -> int:
        return sum(1 for f in self.findings if f.outcome is Outcome.REWRITTEN)

    @property
    def todos(self) -> list[Finding]:
        return [f for f in self.findings if f.outcome is Outcome.TODO]


def coverage(rewritten: int, found: int) -> float:
    """Share of TF/Keras sites rewritten, in percent (100 when there was nothing to do)."""
    return 100.0 if found == 0 else round(100.0 * rewritten / found, 1)
