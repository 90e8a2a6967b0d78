"""One open document: the engine's answer for its current text, as diagnostics and edits.

Everything here is computed by the engine ``migrate convert`` runs (``migrate_text``), so
the file-level edit is exactly convert's output. A text that does not parse gives no
diagnostics and no edits: the last good diagnostics stay on screen until it parses again.
"""

from __future__ import annotations

import ast
import difflib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pathspec
from lsprotocol import types as lsp

from migrate import config
from migrate.codemod.findings import FileResult, Finding, Outcome
from migrate.codemod.runner import migrate_text
from migrate.codemod.selection import Selection
from migrate.gate.check import public
from migrate.lsp.chunks import ChunkedFindings, NotParsed, split_lines

SOURCE = "migrate"
CALL_TITLE = "Migrate this call to PyTorch"
MODEL_TITLE = "Migrate this model to PyTorch"
FILE_TITLE = "Migrate this file to PyTorch"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"  # a source checkout's rule pages
_NAME = re.compile(r"[\w.]+")
_IMPORT = re.compile(r"\s*(import\s|from\s\S+\s+import\s|#|$)")


# -- settings -----------------------------------------------------------------------------


@dataclass
class _Cached:
    mtime: float
    settings: config.Settings | None
    error: str | None
    spec: pathspec.GitIgnoreSpec | None


class SettingsCache:
    """``[tool.migrate]`` of the nearest pyproject.toml, re-read when the file changes."""

    def __init__(self) -> None:
        self._by_file: dict[Path, _Cached] = {}
        self.errors_shown: set[str] = set()

    def for_path(self, path: Path | None) -> tuple[Selection, bool, str | None]:
        """(selection, excluded, config error) for a document at ``path``."""
        pyproject = config.find_pyproject(path.parent) if path is not None else None
        if pyproject is None:
            return Selection(), False, None
        try:
            mtime = pyproject.stat().st_mtime
        except OSError:
            return Selection(), False, None
        cached = self._by_file.get(pyproject)
        if cached is None or cached.mtime != mtime:
            try:
                settings = config.load(path)  # type: ignore[arg-type]
                spec = pathspec.GitIgnoreSpec.from_lines(settings.exclude) if settings.exclude else None
                cached = _Cached(mtime, settings, None, spec)
            except config.ConfigError as error:
                cached = _Cached(mtime, None, str(error), None)
            self._by_file[pyproject] = cached
        if cached.settings is None:
            return Selection(), False, cached.error
        settings = cached.settings
        excluded = False
        if cached.spec is not None and path is not None:
            try:
                excluded = cached.spec.match_file(path.resolve().relative_to(settings.base.resolve()).as_posix())
            except ValueError:
                excluded = False
        return Selection(settings.select, settings.ignore), excluded, None


# -- one document -------------------------------------------------------------------------


@dataclass
class Document:
    uri: str
    path: Path | None
    version: int | None
    text: str
    selection: Selection
    findings: list[Finding]  # what the diagnostics show
    parses: bool
    seconds: float  # how long the analysis took
    full: FileResult | None = None  # the whole-file engine run, once made
    _classes: list[tuple[int, int, str]] | None = None
    _calls: dict[tuple[int, int], str | None] = field(default_factory=dict)
    _edits: dict[str, list[lsp.TextEdit]] = field(default_factory=dict)
    _opcodes: dict[str, tuple[list, list[str]]] = field(default_factory=dict)

    @classmethod
    def analyse(
        cls, uri: str, path: Path | None, version: int | None, text: str, selection: Selection,
        chunks: ChunkedFindings | None = None,
    ) -> Document:
        """Findings for ``text``: piece by piece with ``chunks`` (fast after the first
        time), else, or where pieces cannot tell, by a whole-file engine run."""
        start = time.perf_counter()
        name = str(path) if path is not None else uri
        if chunks is not None:
            try:
                found = chunks.findings(text, name, selection)
            except NotParsed:
                return cls(uri, path, version, text, selection, [], False, time.perf_counter() - start)
            except Exception:  # noqa: BLE001  (a bug in the fast path must not cost the diagnostics)
                found = None
            if found is not None:
                return cls(uri, path, version, text, selection, found, True, time.perf_counter() - start)
        result = migrate_text(text, name, selection)
        return cls(
            uri, path, version, text, selection, result.findings, result.error is None, time.perf_counter() - start, result
        )

    @property
    def result(self) -> FileResult:
        """The whole-file engine run (what ``migrate convert`` does), made when first needed."""
        if self.full is None:
            self.full = migrate_text(self.text, str(self.path) if self.path is not None else self.uri, self.selection)
        return self.full

    # -- diagnostics ----------------------------------------------------------------------

    def diagnostics(self, to_client, docs_url: str | None = None) -> list[lsp.Diagnostic]:  # noqa: ANN001
        """One diagnostic per site the rules rewrite or leave as a TODO.

        ``to_client(lines, line, character)`` converts a position to the client's units.
        """
        lines = split_lines(self.text)
        out = []
        for finding in self.findings:
            if finding.outcome is Outcome.IGNORED:
                continue
            out.append(self.diagnostic(finding, lines, to_client, docs_url))
        return out

    def diagnostic(self, finding: Finding, lines: list[str], to_client, docs_url: str | None) -> lsp.Diagnostic:  # noqa: ANN001
        line = finding.line - 1
        text = lines[line] if 0 <= line < len(lines) else ""
        if line == 0:
            text = text.removeprefix("\ufeff")  # the engine's columns do not count a BOM
        match = _NAME.match(text, finding.col)
        end = match.end() if match else finding.col
        offset = 1 if line == 0 and lines and lines[0].startswith("\ufeff") else 0
        start_pos = to_client(lines, line, finding.col + offset)
        end_pos = to_client(lines, line, end + offset)
        name = public(finding.api)
        if finding.outcome is Outcome.REWRITTEN:
            message = f"`{name}` can be migrated to PyTorch ({finding.rule})"
            severity = lsp.DiagnosticSeverity.Information
        else:
            message = f"`{name}` needs a hand migration: {finding.message} ({finding.rule})"
            severity = lsp.DiagnosticSeverity.Warning
        href = rule_doc(finding.rule, docs_url)
        return lsp.Diagnostic(
            range=lsp.Range(start_pos, end_pos),
            message=message,
            severity=severity,
            code=finding.rule,
            code_description=lsp.CodeDescription(href=href) if href else None,
            source=SOURCE,
            data={"rule": finding.rule, "line": finding.line, "col": finding.col, "outcome": finding.outcome.value},
        )

    # -- edits ----------------------------------------------------------------------------

    def line_in(self, new_text: str, line: int) -> str:
        """What 0-based ``line`` of this text became in ``new_text`` ("" if it went)."""
        if new_text not in self._opcodes:
            matcher = difflib.SequenceMatcher(None, split_lines(self.text), split_lines(new_text), autojunk=False)
            self._opcodes[new_text] = (matcher.get_opcodes(), split_lines(new_text))
        opcodes, new_lines = self._opcodes[new_text]
        for tag, i1, i2, j1, j2 in opcodes:
            if i1 <= line < i2:
                if tag == "delete":
                    return ""
                return new_lines[j1 + min(line - i1, j2 - j1 - 1)]
        return ""

    def edits_to(self, new_text: str, to_client) -> list[lsp.TextEdit]:  # noqa: ANN001
        """``text_edits`` from this text to ``new_text``, made once per document version."""
        if new_text not in self._edits:
            self._edits[new_text] = text_edits(self.text, new_text, to_client)
        return self._edits[new_text]

    def file_output(self) -> str | None:
        """What ``migrate convert`` writes for this text, or None when nothing changes."""
        if not self.parses:
            return None
        return self.result.output if self.result.changed else None

    def call_output(self, finding: Finding) -> str | None:
        """The text with only the call at ``finding`` migrated (and the imports it needs).

        The engine runs with only this finding's rule selected; of its changes, the ones on
        the finding's line and added import lines are kept. The result is accepted only if
        it parses and migrating it as a whole gives exactly what migrating the original
        gives, so the call edit and the file edit never disagree.
        """
        key = (finding.line, finding.col)
        if key in self._calls:
            return self._calls[key]
        self._calls[key] = answer = self._call_output(finding)
        return answer

    def _call_output(self, finding: Finding) -> str | None:
        if not self.parses or finding.outcome is not Outcome.REWRITTEN or not self.result.changed:
            return None
        only = Selection((finding.rule,), self.selection.ignore)
        partial = migrate_text(self.text, self.result.path, only)
        if not partial.changed:
            return None
        return self._within(partial.output, finding.line - 1, finding.line - 1)

    def model_output(self, line: int) -> str | None:
        """The text with only the class around 0-based ``line`` migrated (and the imports
        it needs), on the same terms as ``call_output``; None where that cannot be had."""
        around = self._class_around(line)
        if around is None or self.file_output() is None:
            return None
        key = (-1 - around[0], around[1])
        if key not in self._calls:
            self._calls[key] = self._within(self.result.output, around[0], around[1])
        return self._calls[key]

    def _within(self, migrated: str, first: int, last: int) -> str | None:
        """``self.text`` with the changes of ``migrated`` that touch lines ``first``..``last``
        (0-based) and the changes of import lines; None unless migrating the result as a
        whole gives exactly the whole-file output."""
        before, after = split_lines(self.text), split_lines(migrated)
        # A BOM is not in the engine's line 1 either, so line numbers agree.
        pieces: list[str] = []
        took_target = False
        matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            on_target = i1 <= last and max(i2, i1 + 1) > first
            imports_only = all(_IMPORT.match(line) for line in before[i1:i2] + after[j1:j2])
            if tag == "equal" or not (on_target or imports_only):
                pieces += before[i1:i2]
            elif on_target:
                pieces += after[j1:j2]
                took_target = True
            else:
                # Imports: add what the new code needs, remove nothing (code outside the
                # range may still use a TF import; migrating the rest drops it later).
                pieces += before[i1:i2] + [line for line in after[j1:j2] if line not in before[i1:i2]]
        text = "".join(pieces)
        if not took_target or text == self.text:
            return None
        try:
            ast.parse(text.removeprefix("\ufeff"))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        if migrate_text(text, self.result.path, self.selection).output != self.result.output:
            return None
        return text

    def finding_at(self, line: int) -> list[Finding]:
        """Rewritable findings on 0-based ``line``, as the whole-file run has them."""
        if not self.parses:
            return []
        return [f for f in self.result.findings if f.line - 1 == line and f.outcome is Outcome.REWRITTEN]

    def class_at(self, line: int) -> str | None:
        """The name of the innermost class holding 0-based ``line`` that has TF/Keras code."""
        around = self._class_around(line)
        return around[2] if around is not None else None

    def _class_around(self, line: int) -> tuple[int, int, str] | None:
        if self._classes is None:
            self._classes = []
            try:
                tree = ast.parse(self.text.removeprefix("\ufeff"))
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                tree = None
            if tree is not None:
                lines = {f.line for f in self.findings if f.outcome is not Outcome.IGNORED}
                for node in ast.walk(tree):
                    if isinstance(node, ast.ClassDef):
                        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                        last = node.end_lineno or node.lineno
                        if any(first <= n <= last for n in lines):
                            self._classes.append((first - 1, last - 1, node.name))
        inside = [c for c in self._classes if c[0] <= line <= c[1]]
        return min(inside, key=lambda c: c[1] - c[0]) if inside else None


def rule_doc(rule: str, docs_url: str | None) -> str | None:
    """Where rule ``rule`` is documented: ``docs_url`` + ``<id>.md``, or the checkout's page."""
    if docs_url:
        return docs_url.rstrip("/") + f"/{rule}.md"
    page = DOCS / f"{rule}.md"
    return page.as_uri() if page.is_file() else None


def text_edits(before: str, after: str, to_client) -> list[lsp.TextEdit]:  # noqa: ANN001
    """The smallest line-wise edits turning ``before`` into ``after``."""
    old, new = split_lines(before), split_lines(after)

    def position(index: int) -> lsp.Position:
        if index < len(old) or not old or old[-1].endswith(("\n", "\r")):
            return lsp.Position(index, 0)
        # The end of a last line without a line break.
        return to_client(old, len(old) - 1, len(old[-1]))

    edits = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = position(i1) if i1 < len(old) else position(len(old))
        edits.append(lsp.TextEdit(lsp.Range(start, position(i2)), "".join(new[j1:j2])))
    return edits
