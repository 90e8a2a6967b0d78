"""Run the engine over many files, in worker processes when asked (``-j N``)."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Iterator

from migrate.codemod.engine import migrate_source
from migrate.codemod.files import InputError, SourceFile, read_text
from migrate.codemod.findings import FileResult
from migrate.codemod.notebook import migrate_notebook
from migrate.codemod.selection import Selection


def migrate_file(path: Path, selection: Selection | None = None, display: str | None = None) -> FileResult:
    """Read and migrate one file. Errors come back in the result, never as exceptions."""
    name = display or str(path)
    try:
        text = read_text(path)
    except InputError as error:
        return FileResult(name, "", "", error=str(error))
    except OSError as error:
        return FileResult(name, "", "", error=f"cannot be read: {error.strerror or error}")
    return migrate_text(text, name, selection, notebook=path.suffix == ".ipynb")


def migrate_text(text: str, name: str, selection: Selection | None = None, notebook: bool = False) -> FileResult:
    """Migrate the text of one file (or of standard input). Never raises."""
    try:
        return _migrate_text(text, name, selection, notebook)
    except Exception as error:  # noqa: BLE001
        # A bug in the engine must cost one file, not the run: uncaught, it was a traceback
        # (or a broken process pool with -j) and every later file went unconverted.
        why = f"internal error, left untouched (please report): {type(error).__name__}: {error}"
        return FileResult(name, text, text, error=why)


def _migrate_text(text: str, name: str, selection: Selection | None, notebook: bool) -> FileResult:
    if notebook:
        return migrate_notebook(text, name, selection)
    # A UTF-8 byte-order mark is not Python: libcst dropped it from rewritten files (and it
    # would shift the columns of line 1). Migrate without it and put it back.
    bom = _BOM if text.startswith(_BOM) else ""
    result = migrate_source(text[len(bom) :], name, selection)
    if bom:
        result = replace(result, source=bom + result.source, output=bom + result.output)
    return result


_BOM = "\ufeff"


def _work(item: tuple[str, str, Selection]) -> FileResult:
    path, display, selection = item
    return migrate_file(Path(path), selection, display)


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def migrate_files(files: Iterable[SourceFile], selection: Selection, jobs: int = 1) -> Iterator[tuple[SourceFile, FileResult]]:
    """Migrate files, yielding results in input order as they complete.

    With ``jobs > 1`` files go to worker processes in chunks: libcst is pure Python past the
    parser, so threads would not scale.
    """
    files = list(files)
    items = [(str(f.path), str(f.path), selection) for f in files]
    if jobs <= 1 or len(files) <= 1:
        for source_file, item in zip(files, items):
            yield source_file, _work(item)
        return
    chunk = max(1, min(16, len(files) // (jobs * 4)))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for source_file, result in zip(files, pool.map(_work, items, chunksize=chunk)):
            yield source_file, result
