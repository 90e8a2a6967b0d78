"""Where each statement of a parsed module sits in its source text.

libcst nodes carry no positions, and its PositionProvider records one for every node, which
costs several times a parse. The engine only needs statements: one code-generation pass
with a hook on statement nodes gives their character spans for about the cost of printing
the module. The engine uses them to give findings line and column numbers in the original
file, and to find the import statements at any depth.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState  # the hook libcst's own PositionProvider uses

STATEMENT_TYPES = frozenset(
    {
        cst.SimpleStatementLine,
        cst.SimpleStatementSuite,
        cst.If,
        cst.For,
        cst.While,
        cst.With,
        cst.Try,
        cst.TryStar,
        cst.FunctionDef,
        cst.ClassDef,
        cst.Match,
    }
)


class _RecordingState(CodegenState):
    def __init__(self, default_indent: str, default_newline: str) -> None:
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.events: list[tuple[cst.CSTNode, int, int]] = []
        self._open: list[int] = []

    def before_codegen(self, node: cst.CSTNode) -> None:
        # `type(...) in` rather than isinstance: this runs for every node of the file.
        if type(node) in STATEMENT_TYPES:
            self._open.append(len(self.events))
            self.events.append((node, len(self.tokens), -1))

    def after_codegen(self, node: cst.CSTNode) -> None:
        if type(node) in STATEMENT_TYPES:
            index = self._open.pop()
            self.events[index] = (node, self.events[index][1], len(self.tokens))


@dataclass
class Spans:
    """Statement spans (character offsets into the source), in source order."""

    source: str
    nodes: list[cst.CSTNode]
    starts: list[int]
    ends: list[int]
    _index: dict[int, int] = field(default_factory=dict, repr=False)
    _line_starts: list[int] = field(default_factory=list, repr=False)

    @classmethod
    def of(cls, module: cst.Module, source: str) -> Spans:
        state = _RecordingState(module.default_indent, module.default_newline)
        module._codegen(state)
        offsets = list(itertools.accumulate(map(len, state.tokens), initial=0))
        # libcst drops the newline it printed after the last statement when the source has
        # none (Module.pop_trailing_newline), so an end can point one token past the list.
        last = len(offsets) - 1
        nodes = [event[0] for event in state.events]
        starts = [offsets[min(event[1], last)] for event in state.events]
        ends = [offsets[min(event[2], last)] for event in state.events]
        return cls(source, nodes, starts, ends)

    def span_of_id(self, node_id: int) -> tuple[int, int] | None:
        """The span of an original statement, by ``id(node)`` (the index is built lazily)."""
        if not self._index:
            self._index = {id(n): i for i, n in enumerate(self.nodes)}
        i = self._index.get(node_id)
        return None if i is None else (self.starts[i], self.ends[i])

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line, 0-based column (the LSP and SARIF conventions start from these)."""
        if not self._line_starts:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.source)]
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line]
