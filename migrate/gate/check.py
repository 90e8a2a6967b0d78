"""What ``migrate check`` decides: which files hold TF/Keras code that should not be there.

Every file is migrated in memory by the same engine as ``migrate convert`` (nothing is
written and no user code runs: the engine only parses). A site the rules can rewrite, or a
site they would leave under a TODO, is new TF/Keras code in a tree being migrated: a gate
finding. With ``against``, the check is instead that a mirrored tree (``convert -o OUT``)
is exactly what ``convert`` produces today: a file that differs is *drift*.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable

from migrate.codemod.files import InputError, SourceFile, read_text
from migrate.codemod.findings import FileResult, Finding, Outcome
from migrate.codemod.runner import migrate_files
from migrate.codemod.selection import Selection

# Gate-only rule ids (the engine's own rule ids name everything else).
CHANGED = "gate.changed"  # convert would change the file, though no site was found (imports)
DRIFT = "gate.drift"  # a mirrored file differs from convert's output

_BOM = "\ufeff"


def fingerprint(line_text: str) -> str:
    """A hash of the line's text with its whitespace collapsed: survives moves and re-indents."""
    return hashlib.sha256(" ".join(line_text.split()).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class GateFinding:
    path: str  # as the user spelled it (reports, annotations)
    key_path: str  # POSIX path relative to the project root (baseline keys, SARIF URIs)
    line: int  # 1-based
    col: int  # 0-based
    rule: str
    api: str
    message: str
    line_text: str = ""
    cell: int | None = None
    outcome: str = "todo"  # rewritten (convert can do it), todo, changed or drift
    baselined: bool = False

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.line_text)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.key_path, self.rule, self.api, self.fingerprint)

    @property
    def where(self) -> str:
        cell = f"[cell {self.cell}]" if self.cell is not None else ""
        return f"{self.path}{cell}:{self.line}:{self.col + 1}"


@dataclass
class CheckResult:
    files: int = 0
    findings: list[GateFinding] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, one-line reason)
    stale_baseline: int = 0  # baseline entries no file holds any more
    drift_check: bool = False
    checked: set[str] = field(default_factory=set)  # key paths of the files looked at

    @property
    def new(self) -> list[GateFinding]:
        return [f for f in self.findings if not f.baselined]

    @property
    def baselined(self) -> list[GateFinding]:
        return [f for f in self.findings if f.baselined]

    def exit_code(self) -> int:
        if self.errors:
            return 2
        return 1 if self.new else 0

    def summary_line(self) -> str:
        parts = [f"{self.files} file{'s' if self.files != 1 else ''}"]
        if self.drift_check:
            parts.append(f"{len(self.new)} drifted")
        else:
            parts.append(f"{len(self.new)} new finding{'s' if len(self.new) != 1 else ''}")
            if self.baselined:
                parts.append(f"{len(self.baselined)} in the baseline")
        if self.stale_baseline:
            parts.append(f"{self.stale_baseline} baseline entries fixed")
        if self.errors:
            parts.append(f"{len(self.errors)} error{'s' if len(self.errors) != 1 else ''}")
        return "migrate check: " + " · ".join(parts)


def key_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form; a path outside ``root`` stays absolute
    (it can never match a baseline entry, which is always relative)."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def public(api: str) -> str:
    return "tf." + api[len("tensorflow.") :] if api.startswith("tensorflow.") else api


def run(
    files: Iterable[SourceFile],
    selection: Selection,
    root: Path,
    jobs: int = 1,
    against: dict[SourceFile, Path] | None = None,
) -> CheckResult:
    """Migrate ``files`` in memory and collect the gate findings (baseline not applied)."""
    result = CheckResult(drift_check=against is not None)
    for source_file, file_result in migrate_files(list(files), selection, jobs):
        result.files += 1
        result.checked.add(key_path(source_file.path, root))
        if file_result.error:
            result.errors.append((file_result.path, file_result.error))
            continue
        if against is not None:
            result.findings += _drift(source_file, file_result, against[source_file], root)
        else:
            result.findings += findings_of(file_result, key_path(source_file.path, root))
    return result


def findings_of(result: FileResult, key: str) -> list[GateFinding]:
    """The gate findings of one engine result: every site not deselected, and a file that
    convert would change although no site says so."""
    lines = _line_source(result)
    found = []
    for finding in result.findings:
        if finding.outcome is Outcome.IGNORED:
            continue
        found.append(
            GateFinding(
                path=result.path,
                key_path=key,
                line=finding.line,
                col=finding.col,
                rule=finding.rule,
                api=finding.api,
                message=_message(finding),
                line_text=lines(finding),
                cell=finding.cell,
                outcome=finding.outcome.value,
            )
        )
    if result.changed and not found:  # e.g. a TF import nothing uses: convert drops it
        line, text = _first_difference(result.source, result.output)
        found.append(
            GateFinding(
                result.path, key, line, 0, CHANGED, "", "`migrate convert` would change this file (its imports)",
                text, outcome="changed",
            )
        )
    return found


def _message(finding: Finding) -> str:
    name = public(finding.api)
    if finding.outcome is Outcome.REWRITTEN:
        return f"`{name}` is TensorFlow/Keras code; `migrate convert` rewrites it to PyTorch"
    return f"`{name}` is TensorFlow/Keras code with no automatic rewrite: {finding.message}"


def _line_source(result: FileResult):  # noqa: ANN202
    """A function giving the source line a finding points at (in its cell, for a notebook)."""
    if result.path.endswith(".ipynb"):
        try:
            cells = json.loads(result.source).get("cells", [])
        except (ValueError, AttributeError):
            cells = []

        def notebook_line(finding: Finding) -> str:
            try:
                source = cells[finding.cell]["source"]
            except (IndexError, KeyError, TypeError):
                return ""
            text = "".join(source) if isinstance(source, list) else str(source)
            return _nth(text.splitlines(), finding.line)

        return notebook_line
    lines = result.source.removeprefix(_BOM).splitlines()
    return lambda finding: _nth(lines, finding.line)


def _nth(lines: list[str], line: int) -> str:
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _first_difference(before: str, after: str) -> tuple[int, str]:
    """1-based number and text (in ``before``) of the first line that differs."""
    old, new = before.splitlines(), after.splitlines()
    for number, (a, b) in enumerate(zip(old, new), start=1):
        if a != b:
            return number, a
    number = min(len(old), len(new)) + 1
    return number, _nth(old, number)


def _drift(source_file: SourceFile, result: FileResult, destination: Path, root: Path) -> list[GateFinding]:
    display = str(destination)
    key = key_path(destination, root)
    hint = f"regenerate it with `migrate convert {source_file.path} -o {destination}`"
    try:
        actual = read_text(destination) if destination.is_file() else None
    except (InputError, OSError):  # not UTF-8, unreadable: it differs, whatever it is
        actual = ""
    if actual is None:
        return [GateFinding(display, key, 1, 0, DRIFT, "", f"missing: `migrate convert` writes it from {source_file.path}; {hint}", outcome="drift")]
    if actual == result.output:
        return []
    line, text = _first_difference(actual, result.output)
    message = f"differs from what `migrate convert` makes of {source_file.path} (from line {line}); {hint}"
    return [GateFinding(display, key, line, 0, DRIFT, "", message, text, outcome="drift")]


def mark_baselined(result: CheckResult, baselined: set[int], stale: int) -> CheckResult:
    findings = [replace(f, baselined=i in baselined) for i, f in enumerate(result.findings)]
    return replace(result, findings=findings, stale_baseline=stale)
