"""Jupyter notebooks: code cells are migrated together, as one module, outputs kept.

Cells share imports (cell 1 imports ``tf``, cell 5 uses it), so they are joined with a
boundary comment between them, migrated in one pass and split again. IPython magics and
shell escapes are not Python: those lines are swapped for placeholders and restored.
"""

from __future__ import annotations

import bisect
import re
import uuid
from dataclasses import replace

import nbformat

from migrate.codemod.engine import migrate_source
from migrate.codemod.findings import FileResult, Finding
from migrate.codemod.selection import Selection

# Line magics, shell escapes, and `obj?` help lookups; also their assigned forms
# (`files = !ls`, `t = %timeit -o f()`), which are just as common and just as unparseable.
_MAGIC = re.compile(r"^(\s*)([%!?].*|[\w.]+\?{1,2}|[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*[%!].*)\s*$")


def migrate_notebook(text: str, path: str, selection: Selection | None = None) -> FileResult:
    try:
        notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    except Exception as error:  # nbformat raises several unrelated types for bad JSON
        return FileResult(path, text, text, error=f"not a readable notebook: {_first_line(error)}")
    if notebook.get("nbformat", 0) < 4:
        return FileResult(path, text, text, error="notebook format < 4 is not supported; upgrade it with nbconvert")
    language = _language(notebook)
    if language not in (None, "python"):
        # An R or Julia notebook that mentions tensorflow is not Python: parsing its cells
        # only produced bogus syntax errors.
        return FileResult(path, text, text)
    token = uuid.uuid4().hex[:12]
    boundary = f"# migrate-notebook-cell-{token}"
    cells = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code" and _is_python(cell.source)]
    magics: dict[str, str] = {}
    pieces, starts = [], []
    line = 1
    for index in cells:
        source = _hide_magics(notebook.cells[index].source, token, magics)
        pieces.append(f"{boundary} {index}\n{source}\n")
        starts.append(line + 1)
        line += source.count("\n") + 2
    joined = "".join(pieces)
    result = migrate_source(joined, path, selection)
    if result.error:
        return FileResult(path, text, text, error=_cell_error(result.error, starts, cells))
    findings = [_in_cell(f, starts, cells) for f in result.findings]
    if result.output == joined:
        return FileResult(path, text, text, findings)
    new_sources = _split(result.output, boundary)
    if sorted(new_sources) != cells:
        return FileResult(path, text, text, error="cell boundaries were lost while migrating; left untouched")
    for index, source in new_sources.items():
        notebook.cells[index].source = _restore_magics(source, magics)
    return FileResult(path, text, nbformat.writes(notebook) + "\n", findings)


# Cell magics whose body is Python (the `%%` line itself is hidden like a line magic).
# Other cell magics (`%%bash`, `%%writefile`, `%%html`…) hold something else: skipped.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}


def _is_python(source: str) -> bool:
    stripped = source.lstrip()
    if not stripped.startswith("%%"):
        return True
    name = stripped[2:].split(maxsplit=1)
    return bool(name) and name[0] in _PYTHON_CELL_MAGICS


def _hide_magics(source: str, token: str, magics: dict[str, str]) -> str:
    lines = []
    opens_block = False  # does the last code line end with `:`?
    for line in source.split("\n"):
        match = _MAGIC.match(line)
        if match and not line.lstrip().startswith("#"):
            key = f"# migrate-magic-{token}-{len(magics)}"
            magics[key] = match.group(2)
            # A magic first in a block (`for f in files:` / `    !wget {f}`) may be all the
            # block holds, and a comment alone is no statement: it stands behind a `pass`.
            line = match.group(1) + (_PASS if opens_block and match.group(1) else "") + key
        if line.strip() and not line.lstrip().startswith("#"):
            opens_block = line.split("#", 1)[0].rstrip().endswith(":")
        lines.append(line)
    return "\n".join(lines)


_PASS = "pass  "


def _restore_magics(source: str, magics: dict[str, str]) -> str:
    # One regex pass, not str.replace per key: key `...-1` is a prefix of key `...-10`, so
    # replacing in turn mangled the 11th magic of a notebook.
    if not magics:
        return source
    token = next(iter(magics)).rsplit("-", 1)[0]
    pattern = re.compile(rf"(?:{_PASS})?({re.escape(token)}-\d+)(?!\d)")
    return pattern.sub(lambda m: magics.get(m.group(1), m.group(0)), source)


def _split(output: str, boundary: str) -> dict[int, str]:
    parts = re.split(rf"^{re.escape(boundary)} (\d+)\n", output, flags=re.MULTILINE)
    sources: dict[int, str] = {}
    # parts = [text before first boundary, index, source, index, source, ...]
    head = parts[0]
    for i in range(1, len(parts), 2):
        source = parts[i + 1]
        if source.endswith("\n"):
            source = source[:-1]
        if i == 1 and head:
            source = head + source  # imports the engine added above the first cell
        sources[int(parts[i])] = source
    return sources


def _cell_pos(line: int, starts: list[int]) -> int:
    """Which joined cell holds ``line`` (``starts``: the first line of each, ascending)."""
    return max(bisect.bisect_right(starts, line) - 1, 0)


def _in_cell(finding: Finding, starts: list[int], cells: list[int]) -> Finding:
    """A finding of the joined cells, placed in its cell: cell index, line within it."""
    pos = _cell_pos(finding.line, starts)
    return replace(finding, cell=cells[pos], line=finding.line - starts[pos] + 1)


def _cell_error(error: str, starts: list[int], cells: list[int]) -> str:
    """The engine's error, with its positions made relative to the cell that holds them."""
    ours = re.search(r"line (\d+)", error)
    theirs = re.search(r"error at (\d+):(\d+)", error)  # libcst's own, in its message
    if not (ours or theirs) or not cells:
        return error
    # When only libcst could name the error, its message carries a position of its own.
    pos = _cell_pos(int((theirs or ours).group(1)), starts)  # type: ignore[union-attr]

    def relative(line: str) -> int:
        return max(1, int(line) - starts[pos] + 1)

    if ours:
        error = error.replace(ours.group(0), f"line {relative(ours.group(1))}", 1)
    # Translated too, or the message names two lines of which one is in no cell.
    error = re.sub(r"error at (\d+):(\d+)", lambda m: f"error at {relative(m.group(1))}:{m.group(2)}", error, count=1)
    return f"cell {cells[pos]}: " + error


def _language(notebook) -> str | None:  # noqa: ANN001
    metadata = notebook.get("metadata", {})
    name = metadata.get("language_info", {}).get("name") or metadata.get("kernelspec", {}).get("language")
    return name.lower() if isinstance(name, str) else None


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
