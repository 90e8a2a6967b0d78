"""Read a code base (never run it) and collect the audit's evidence, file by file.

Per Python file or notebook: the engine's findings (what the rules rewrite and what they
leave as TODOs, by canonical API and line), the modules it imports, and the signals
(``signals.py``) those imports and APIs raise. Per dependency file (requirements*.txt,
setup.cfg, pyproject.toml, environment.yml): the packages it names that raise a signal.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from migrate.audit.signals import MULTI_BACKEND, SIGNALS, Signal
from migrate.codemod.files import InputError, SourceFile, read_text
from migrate.codemod.findings import FileResult, Finding
from migrate.codemod.runner import migrate_text
from migrate.codemod.selection import Selection

DEPENDENCY_FILES = re.compile(r"^(requirements.*\.txt|constraints.*\.txt|setup\.cfg|pyproject\.toml|environment.*\.ya?ml|Pipfile)$")
_SKIPPED_DIRS = {".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", "site-packages", ".tox", ".mypy_cache"}
_TF_MODULES = ("tensorflow", "tf_keras")


@dataclass(frozen=True)
class Evidence:
    signal: str
    path: str
    line: int
    text: str  # the line, stripped and shortened


@dataclass
class FileAudit:
    path: str  # relative to the root it was found under, with `/`
    component: str
    result: FileResult
    imports: set[str] = field(default_factory=set)
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def uses_tf(self) -> bool:
        return bool(self.result.findings) or any(_is_tf_module(m) or m == "keras" or m.startswith("keras.") for m in self.imports)


def _is_tf_module(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in _TF_MODULES)


def component_of(relative: Path) -> str:
    """The top-level directory a file belongs to ("." for files at the top)."""
    return relative.parts[0] if len(relative.parts) > 1 else "."


def audit_file(source_file: SourceFile, root_name: str, selection: Selection) -> FileAudit:
    relative = source_file.relative
    display = relative.as_posix()
    try:
        text = read_text(source_file.path)
    except (InputError, OSError) as error:
        return FileAudit(display, component_of(relative), FileResult(display, "", "", error=str(error)))
    notebook = source_file.path.suffix == ".ipynb"
    result = migrate_text(text, display, selection, notebook=notebook)
    audit = FileAudit(display, component_of(relative), result)
    code = _notebook_code(text) if notebook else text
    lines = code.splitlines()
    for module, names, line in _imports(code):
        audit.imports.add(module)
        for signal in SIGNALS:
            if _matches_import(signal, module, names):
                audit.evidence.append(Evidence(signal.id, display, line, _snippet(lines, line)))
    source_lines = text.splitlines() if not notebook else lines
    for finding in result.findings:
        for signal in SIGNALS:
            if any(finding.api.startswith(prefix) for prefix in signal.apis):
                audit.evidence.append(Evidence(signal.id, display, finding.line, _finding_snippet(finding, source_lines, notebook)))
    if _multi_backend(audit.imports):
        first = min((line for module, _, line in _imports(code) if module.split(".")[0] == "keras"), default=1)
        audit.evidence.append(Evidence(MULTI_BACKEND.id, display, first, _snippet(lines, first)))
    audit.evidence = _dedupe(audit.evidence)
    return audit


def _multi_backend(imports: set[str]) -> bool:
    keras3 = any(m == "keras" or m.startswith("keras.") and not m.startswith("keras.src.backend.tensorflow") for m in imports)
    return keras3 and not any(_is_tf_module(m) for m in imports)


def _matches_import(signal: Signal, module: str, names: tuple[str, ...]) -> bool:
    if any(module == p or module.startswith(p + ".") for p in signal.imports):
        return True
    # `from tensorflow import lite` names a module too.
    if any(f"{module}.{n}" == p or f"{module}.{n}".startswith(p + ".") for n in names for p in signal.imports):
        return True
    return any(module.split(".")[0] == m and any(n.startswith(prefix) for n in names) for m, prefix in signal.names_from)


def _imports(code: str) -> list[tuple[str, tuple[str, ...], int]]:
    """(module, imported names, line) for every import; [] for code that does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, tuple(a.name for a in node.names), node.lineno))
    return found


def _notebook_code(text: str) -> str:
    """A notebook's code cells, magics blanked (so line numbers stay per joined text)."""
    try:
        notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    except Exception:  # noqa: BLE001 - the engine reports an unreadable notebook
        return ""
    cells = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    lines = []
    for cell in cells:
        for line in cell.splitlines():
            lines.append("" if line.lstrip().startswith(("%", "!")) else line)
    return "\n".join(lines)


def _snippet(lines: list[str], line: int) -> str:
    text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return text if len(text) <= 120 else text[:117] + "..."


def _finding_snippet(finding: Finding, lines: list[str], notebook: bool) -> str:
    return finding.api if notebook else _snippet(lines, finding.line)


def _dedupe(evidence: list[Evidence]) -> list[Evidence]:
    seen = set()
    kept = []
    for item in sorted(evidence, key=lambda e: (e.line, e.signal)):
        key = (item.signal, item.line)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


# ---------------------------------------------------------------------------------------
# Dependency files.


def dependency_files(roots: list[Path]) -> list[tuple[Path, Path]]:
    """(path, path relative to its root) of the dependency files under ``roots``."""
    found = []
    for root in roots:
        if root.is_file():
            if DEPENDENCY_FILES.match(root.name):
                found.append((root, Path(root.name)))
            continue
        for directory, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
            for name in sorted(files):
                if DEPENDENCY_FILES.match(name):
                    path = Path(directory) / name
                    found.append((path, path.relative_to(root)))
    return found


_PACKAGE = re.compile(r"(?<![\w.-])([A-Za-z0-9][A-Za-z0-9._-]*)")


def audit_dependencies(path: Path, relative: Path) -> list[Evidence]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    evidence = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0]
        words = {_normalise(w) for w in _PACKAGE.findall(content)}
        for signal in SIGNALS:
            if any(_normalise(p) in words for p in signal.packages):
                evidence.append(Evidence(signal.id, relative.as_posix(), number, line.strip()[:120]))
    return evidence


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
