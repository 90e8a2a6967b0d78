"""The report of a run: per file and in total, as text (terminal), JSON (tools) or
Markdown (a pull request). The JSON form is a stable, documented schema:
docs/schemas/report.schema.json."""

from __future__ import annotations

import html
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from migrate import __version__
from migrate.codemod.findings import FileResult, Finding, Outcome, coverage

SCHEMA = "migrate.report/1"


@dataclass
class FileEntry:
    path: str
    status: str  # "changed" | "unchanged" | "error"
    error: str | None
    findings: list[Finding]

    @classmethod
    def of(cls, result: FileResult, path: str | None = None) -> FileEntry:
        status = "error" if result.error else "changed" if result.changed else "unchanged"
        return cls(path or result.path, status, result.error, result.findings)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for f in self.findings if f.outcome is outcome)


@dataclass
class Report:
    files: list[FileEntry] = field(default_factory=list)

    def add(self, result: FileResult, path: str | None = None) -> None:
        self.files.append(FileEntry.of(result, path))

    # -- totals ---------------------------------------------------------------------------

    def findings(self) -> Iterable[tuple[FileEntry, Finding]]:
        for entry in self.files:
            for finding in entry.findings:
                yield entry, finding

    def total(self, outcome: Outcome) -> int:
        return sum(entry.count(outcome) for entry in self.files)

    @property
    def sites(self) -> int:
        return sum(len(entry.findings) for entry in self.files)

    @property
    def errors(self) -> list[FileEntry]:
        return [e for e in self.files if e.status == "error"]

    @property
    def changed(self) -> list[FileEntry]:
        return [e for e in self.files if e.status == "changed"]

    def notes(self) -> list[tuple[FileEntry, Finding]]:
        """What a rewrite asks of its reader (a launch command, a behaviour to know about)."""
        return [(e, f) for e, f in self.findings() if f.outcome is Outcome.REWRITTEN and f.message]

    def todo_by_rule(self) -> Counter[str]:
        return Counter(f.rule for _, f in self.findings() if f.outcome is Outcome.TODO)

    def coverage(self) -> float:
        return coverage(self.total(Outcome.REWRITTEN), self.sites - self.total(Outcome.IGNORED))

    # -- JSON -----------------------------------------------------------------------------

    def to_json(self) -> dict:
        return {
            "schema": SCHEMA,
            "tool": {"name": "migrate", "version": __version__},
            "summary": self._counts(self.files) | {"files": len(self.files), "changed": len(self.changed), "errors": len(self.errors)},
            "files": [
                {
                    "path": entry.path,
                    "status": entry.status,
                    "error": entry.error,
                    **self._counts([entry]),
                    "findings": [_finding_json(f) for f in entry.findings],
                }
                for entry in self.files
            ],
        }

    @staticmethod
    def _counts(entries: list[FileEntry]) -> dict:
        sub = Report(entries)
        return {
            "sites": sub.sites,
            "rewritten": sub.total(Outcome.REWRITTEN),
            "todo": sub.total(Outcome.TODO),
            "ignored": sub.total(Outcome.IGNORED),
            "coverage": sub.coverage(),
            "todo_by_rule": dict(sorted(sub.todo_by_rule().items())),
        }

    def json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"

    # -- text -----------------------------------------------------------------------------

    def summary_line(self) -> str:
        parts = [
            f"{len(self.files)} file{'s' if len(self.files) != 1 else ''}",
            f"{len(self.changed)} changed",
            f"{self.sites} TF/Keras sites",
            f"{self.total(Outcome.REWRITTEN)} rewritten",
            f"{self.total(Outcome.TODO)} TODO",
        ]
        if self.total(Outcome.IGNORED):
            parts.append(f"{self.total(Outcome.IGNORED)} ignored")
        parts.append(f"coverage {self.coverage():.1f}%")
        if self.errors:
            parts.append(f"{len(self.errors)} error{'s' if len(self.errors) != 1 else ''}")
        return "migrate: " + " · ".join(parts)

    def text(self, limit: int = 50) -> str:
        """Summary first, then ``file:line:col: TODO(rule) why``, then errors."""
        lines = [self.summary_line()]
        todos = [(e, f) for e, f in self.findings() if f.outcome is Outcome.TODO]
        for entry, finding in todos[:limit]:
            lines.append(f"{_where(entry.path, finding)}: TODO({finding.rule}) {finding.message}")
        if len(todos) > limit:
            lines.append(f"… {len(todos) - limit} more TODOs (write them all with --report FILE.json or FILE.md)")
        by_rule = self.todo_by_rule()
        if by_rule:
            lines.append("TODO by rule: " + ", ".join(f"{rule} {n}" for rule, n in by_rule.most_common()))
        for entry, finding in self.notes()[:limit]:
            lines.append(f"{_where(entry.path, finding)}: note({finding.rule}) {finding.message}")
        for entry in self.errors:
            lines.append(f"{entry.path}: error: {entry.error}")
        return "\n".join(lines) + "\n"

    # -- Markdown -------------------------------------------------------------------------

    def markdown(self) -> str:
        out = ["# Migration report", "", self.summary_line().removeprefix("migrate: ") + ".", ""]
        out += ["| | count |", "|---|---:|"]
        out += [
            f"| files | {len(self.files)} |",
            f"| changed | {len(self.changed)} |",
            f"| TF/Keras sites | {self.sites} |",
            f"| rewritten | {self.total(Outcome.REWRITTEN)} |",
            f"| left as TODO | {self.total(Outcome.TODO)} |",
            f"| coverage | {self.coverage():.1f}% |",
            f"| errors | {len(self.errors)} |",
            "",
        ]
        by_rule = self.todo_by_rule()
        if by_rule:
            out += ["## TODOs by rule", "", "| rule | TODOs |", "|---|---:|"]
            out += [f"| `{rule}` | {n} |" for rule, n in by_rule.most_common()]
            out.append("")
        out += ["## Files", "", "| file | status | sites | rewritten | TODO | coverage |", "|---|---|---:|---:|---:|---:|"]
        for entry in self.files:
            counts = self._counts([entry])
            out.append(
                f"| `{_md(entry.path)}` | {entry.status} | {counts['sites']} | {counts['rewritten']} | {counts['todo']} | {counts['coverage']:.1f}% |"
            )
        out.append("")
        details = [(e, [f for f in e.findings if f.outcome is Outcome.TODO]) for e in self.files]
        details = [(e, todos) for e, todos in details if todos]
        if details:
            out += ["## What is left", ""]
            for entry, todos in details:
                # Inside HTML, Markdown escapes do not apply: `<` or `&` in a path needs HTML's.
                out += [f"<details><summary><code>{html.escape(entry.path)}</code>: {len(todos)} TODO</summary>", ""]
                out += [f"- {_where(entry.path, f)} `{f.rule}`: {_md(f.message)}" for f in todos]
                out += ["", "</details>", ""]
        notes = self.notes()
        if notes:
            out += ["## Notes on rewritten code", ""]
            out += [f"- {_where(e.path, f)} `{f.rule}`: {_md(f.message)}" for e, f in notes]
            out.append("")
        if self.errors:
            out += ["## Errors", ""]
            out += [f"- `{_md(e.path)}`: {_md(e.error or '')}" for e in self.errors]
            out.append("")
        return "\n".join(out)


def _finding_json(finding: Finding) -> dict:
    data = {
        "rule": finding.rule,
        "outcome": finding.outcome.value,
        "api": finding.api,
        "message": finding.message,
        "line": finding.line,
        "col": finding.col,
    }
    if finding.cell is not None:
        data["cell"] = finding.cell
    return data


def _where(path: str, finding: Finding) -> str:
    cell = f"[cell {finding.cell}]" if finding.cell is not None else ""
    return f"{path}{cell}:{finding.line}:{finding.col}"


def _md(text: str) -> str:
    return text.replace("|", "\\|")
