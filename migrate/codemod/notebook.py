"""Jupyter notebooks: code cells are migrated together, as one module, outputs kept.

Cells share imports (cell 1 imports ``tf``, cell 5 uses it), so they are joined with a
boundary comment between them, migrated in one pass and split again. IPython magics and
shell escapes are not Python: those lines are swapped for placeholders and restored.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import replace

import nbformat

from migrate.codemod.engine import migrate_source
from migrate.codemod.findings import FileResult
from migrate.codemod.selection import Selection

# Line magics, shell escapes, and `obj?` help lookups.
_MAGIC = re.compile(r"^(\s*)([%!?].*|[\w.]+\?{1,2})\s*$")


def migrate_notebook(text: str, path: str, selection: Selection | None = None) -> FileResult:
    try:
        notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    except Exception as error:  # nbformat raises several unrelated types for bad JSON
        return FileResult(path, text, text, error=f"not a readable notebook: {_first_line(error)}")
    if notebook.get("nbformat", 0) < 4:
        return FileResult(path, text, text, error="notebook format < 4 is not supported; upgrade it with nbconvert")
    token = uuid.uuid4().hex[:12]
    boundary = f"# migrate-notebook-cell-{token}"
    cells = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code" and not cell.source.lstrip().startswith("%%")]
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
    findings = [replace(f, cell=_cell_of(f.line, starts, cells), line=f.line - starts[_cell_pos(f.line, starts)] + 1) for f in result.findings]
    if result.output == joined:
        return FileResult(path, text, text, findings)
    new_sources = _split(result.output, boundary)
    if sorted(new_sources) != cells:
        return FileResult(path, text, text, error="cell boundaries were lost while migrating; left untouched")
    for index, source in new_sources.items():
        notebook.cells[index].source = _restore_magics(source, magics)
    return FileResult(path, text, nbformat.writes(notebook) + "\n", findings)


def _hide_magics(source: str, token: str, magics: dict[str, str]) -> str:
    lines = []
    for line in source.split("\n"):
        match = _MAGIC.match(line)
        if match and not line.lstrip().startswith("#"):
            key = f"# migrate-magic-{token}-{len(magics)}"
            magics[key] = match.group(2)
            line = match.group(1) + key
        lines.append(line)
    return "\n".join(lines)


def _restore_magics(source: str, magics: dict[str, str]) -> str:
    for key, magic in magics.items():
        source = source.replace(key, magic)
    return source


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
    pos = 0
    for i, start in enumerate(starts):
        if start <= line:
            pos = i
    return pos


def _cell_of(line: int, starts: list[int], cells: list[int]) -> int:
    return cells[_cell_pos(line, starts)]


def _cell_error(error: str, starts: list[int], cells: list[int]) -> str:
    match = re.search(r"line (\d+)", error)
    if not match or not cells:
        return error
    line = int(match.group(1))
    pos = _cell_pos(line, starts)
    return f"cell {cells[pos]}, " + error.replace(match.group(0), f"line {line - starts[pos] + 1}", 1)


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
