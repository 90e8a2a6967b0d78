"""Diagnostics fast enough to follow typing: the file in top-level pieces, each cached.

A full engine run parses the whole file with libcst; for a 1,000-line file that is most of
a second, too slow to run on every keystroke. The findings of one top-level statement,
though, depend only on that statement and on the file's imports. So the file is cut (with
Python's own ``ast``, which is fast) into a *header* (the module-level imports, and any
top-level statement holding one, such as ``try: import …``) and one *chunk* per other
top-level statement. Each chunk is migrated as ``header + chunk``, and its findings are
cached under that text: after an edit, only the edited statement is parsed again.

Statements can depend on each other: ``model = keras.Sequential()`` makes
``model.fit(...)`` further down a site, a class with a Keras base types its instances
elsewhere, and structural rules read the code around a site. So the chunks are the groups
of top-level statements tied by names one binds and another reads (a function counts as
binding its name when it uses TF or Keras: it may build the model its caller trains); a file
of independent functions is one chunk per function, a script is one chunk.

This is an approximation of the whole-file run, used for diagnostics only (every edit is
computed by the whole-file run). Where it could differ, it is not used: when a top-level
statement rebinds an imported name (``tf = …`` hides the import for the rest of the file),
``findings`` answers None and the caller runs the engine on the whole file; so it does when a
statement sets something rules read file-wide (a mixed-precision policy, a default
TensorBoard writer). The server
also runs the whole file when typing pauses and publishes its findings, which win.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from typing import Iterator

from migrate.codemod.engine import migrate_source
from migrate.codemod.findings import Finding
from migrate.codemod.selection import Selection

_BOM = "\ufeff"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # Python's and LSP's line breaks: \n, \r\n, \r


def split_lines(text: str) -> list[str]:
    """Lines with their line breaks, counted as Python and LSP clients count them (a form
    feed or U+2028 is not a line break, as ``str.splitlines`` would have it)."""
    return _LINE.findall(text)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class NotParsed(Exception):
    """The text (or a piece of it) does not parse."""


class _Piece:
    """One top-level piece: its lines, and the module-level names it binds and reads."""

    __slots__ = ("first", "end", "header", "binds", "reads", "rebinds", "file_wide")

    def __init__(self, first: int, end: int, header: bool) -> None:
        self.first, self.end, self.header = first, end, header
        # names whose value may carry a type: not functions, unless they use TF/Keras
        self.binds: set[str] = set()
        self.reads: set[str] = set()
        self.rebinds: set[str] = set()  # every name bound in the module scope
        self.file_wide = False  # sets something rules read across the whole file


def _pieces(text: str) -> tuple[list[str], list[_Piece], set[str]]:
    """Lines, the top-level pieces, and imported names."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise NotParsed from None
    lines = split_lines(text)
    pieces: list[_Piece] = []
    imported: set[str] = set()
    for statement in tree.body:
        first = min([statement.lineno] + [d.lineno for d in getattr(statement, "decorator_list", [])]) - 1
        end = statement.end_lineno or statement.lineno
        header = False
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for node in ast.walk(statement):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    header = True
                    imported.update((a.asname or a.name).split(".")[0] for a in node.names)
        if pieces and first < pieces[-1].end:  # `a = 1; b = 2`: one line, one piece
            piece = pieces[-1]
            piece.end, piece.header = max(end, piece.end), piece.header or header
        else:
            # A piece starts where the previous one ended: the comments and blank lines
            # above a statement are its own, as they are in libcst (and as the engine
            # reads them, e.g. a TODO marker already written there).
            piece = _Piece(pieces[-1].end if pieces else first, end, header)
            pieces.append(piece)
        _names(statement, piece, imported)
    return lines, pieces, imported


#: Calls whose effect rules read anywhere in the file, without a name to tie them to the code
#: they affect: a mixed-precision policy (tapes and fits become autocast), a default
#: TensorBoard writer (tf.summary calls write to it).
_FILE_WIDE_CALLS = {"set_global_policy", "set_policy", "set_as_default"}


def _names(statement: ast.stmt, piece: _Piece, imported: set[str]) -> None:
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            piece.reads.add(node.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _FILE_WIDE_CALLS:
            piece.file_wide = True
    for node in _module_scope(statement):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            piece.rebinds.add(node.name)
            if _reads_any(node, imported):
                # A function using TF/Keras may build what its callers train (`model =
                # build_model()`; rules follow such builders): it goes with its callers.
                piece.binds.add(node.name)
        elif isinstance(node, ast.ClassDef):
            piece.rebinds.add(node.name)
            piece.binds.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            piece.rebinds.add(node.id)
            piece.binds.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            piece.rebinds.update(node.names)
        elif isinstance(node, ast.alias):
            piece.rebinds.add((node.asname or node.name).split(".")[0])


def _reads_any(function: ast.AST, names: set[str]) -> bool:
    return any(isinstance(node, ast.Name) and node.id in names for node in ast.walk(function))


def _module_scope(node: ast.AST) -> Iterator[ast.AST]:
    """``node`` and what it holds in the module's scope (not inside defs, classes, lambdas)."""
    yield node
    if isinstance(node, _SCOPES):
        return
    for child in ast.iter_child_nodes(node):
        yield from _module_scope(child)


def _components(pieces: list[_Piece]) -> list[list[_Piece]]:
    """The non-header pieces, grouped: two pieces are together when one binds a name the
    other reads (rules read the code around a site, backwards and forwards). In file order."""
    body = [piece for piece in pieces if not piece.header]
    parent = list(range(len(body)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    binders: dict[str, list[int]] = {}
    for i, piece in enumerate(body):
        for name in piece.binds:
            binders.setdefault(name, []).append(i)
    for i, piece in enumerate(body):
        for name in piece.reads | piece.binds:
            for j in binders.get(name, ()):
                parent[root(j)] = root(i)
    groups: dict[int, list[_Piece]] = {}
    for i, piece in enumerate(body):
        groups.setdefault(root(i), []).append(piece)
    return sorted(groups.values(), key=lambda group: group[0].first)


class ChunkedFindings:
    """Findings of a text, piece by piece, with a cache that follows the document."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Selection, str, str], list[Finding] | str] = {}

    def findings(self, text: str, path: str, selection: Selection) -> list[Finding] | None:
        """The findings, lines as in ``text``; None when only a whole-file run can tell.

        Raises NotParsed for a text that does not parse.
        """
        text = text.removeprefix(_BOM)
        if "tensorflow" not in text and "keras" not in text:
            return []  # what the engine answers too, as fast
        lines, pieces, imported = _pieces(text)
        header_lines = [n for piece in pieces if piece.header for n in range(piece.first, piece.end)]
        header = "".join(_line(lines, n) for n in header_lines)
        used: dict[tuple[Selection, str, str], list[Finding] | str] = {}
        found: list[Finding] = []
        for finding in self._run(used, selection, "", header, path):
            found.append(replace(finding, line=header_lines[finding.line - 1] + 1))
        if any(imported & piece.rebinds for piece in pieces if not piece.header):
            return None  # rebinds an imported name: the rest of the file reads it anew
        if any(piece.file_wide for piece in pieces):
            return None  # a setting every statement may read: only the whole file tells
        offset = header.count("\n")
        for group in _components(pieces):
            origin = [n for piece in group for n in range(piece.first, piece.end)]
            chunk = "".join(_line(lines, n) for n in origin)
            for finding in self._run(used, selection, header, chunk, path):
                if finding.line > offset:
                    found.append(replace(finding, line=origin[finding.line - offset - 1] + 1))
        self._cache = used  # keep what this text uses, drop the rest
        found.sort(key=lambda f: (f.line, f.col))
        return found

    def _run(self, used: dict, selection: Selection, header: str, chunk: str, path: str) -> list[Finding]:
        key = (selection, header, chunk)
        answer = self._cache.get(key)
        if answer is None:
            result = migrate_source(header + chunk, path, selection)
            answer = result.error if result.error else result.findings
        used[key] = answer
        if isinstance(answer, str):
            raise NotParsed(answer)
        return answer


def _line(lines: list[str], number: int) -> str:
    line = lines[number] if number < len(lines) else ""
    return line if line.endswith(("\n", "\r")) else line + "\n"
