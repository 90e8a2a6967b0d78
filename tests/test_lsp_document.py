"""The editor server's pure parts: minimal edits, the call edit, settings (no server process)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as lsp

from migrate.codemod import Selection, migrate_source
from migrate.lsp.document import Document, SettingsCache, split_lines, text_edits

from .lsp_edits import apply_edits


def to_client(lines, line, character):  # noqa: ANN001, ANN201  (UTF-16 units)
    text = lines[line] if line < len(lines) else ""
    return lsp.Position(line, len(text[:character].encode("utf-16-le")) // 2)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("a\nb\nc\n", "a\nB\nc\n"),
        ("a\nb", "a\nb\nc"),  # no final line break
        ("a\r\nb\r\n", "x\r\na\r\nb\r\n"),
        ("", "import torch\n"),
        ("x = '😋'\ny\n", "x = '😋'\nz\n"),
        ("one\ntwo\nthree", "zero\none\nthree\nfour\n"),
    ],
)
def test_text_edits_turn_one_text_into_the_other(before: str, after: str) -> None:
    assert apply_edits(before, text_edits(before, after, to_client)) == after


def test_split_lines_counts_line_breaks_as_lsp_does() -> None:
    assert split_lines("a\r\nb\rc\nd") == ["a\r\n", "b\r", "c\n", "d"]
    assert split_lines("a\x0cb\n") == ["a\x0cb\n"]  # a form feed is not a line break in LSP


SOURCE = (
    "import tensorflow as tf\n"
    "\n"
    "def loss(x, y):\n"
    "    total = tf.reduce_sum(x, axis=1)\n"
    "    return tf.reduce_mean(total - y)\n"
)


def test_the_call_edit_migrates_one_call_and_agrees_with_the_file_edit() -> None:
    document = Document.analyse("file:///t.py", Path("/t.py"), 1, SOURCE, Selection())
    [call] = document.finding_at(3)
    text = document.call_output(call)
    assert text is not None
    assert "tf.reduce_mean(" in text and "tf.reduce_sum(" not in text
    assert migrate_source(text).output == migrate_source(SOURCE).output == document.file_output()


def test_half_typed_code_gives_no_diagnostics_and_no_edits() -> None:
    document = Document.analyse("file:///t.py", None, 1, SOURCE + "y = tf.reduce_sum(\n", Selection())
    assert not document.parses
    assert document.diagnostics(to_client) == []
    assert document.file_output() is None


def test_settings_come_from_the_nearest_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.migrate]\nignore = ["ops.reduce_mean"]\nexclude = ["legacy/"]\n')
    (tmp_path / "legacy").mkdir()
    cache = SettingsCache()
    selection, excluded, error = cache.for_path(tmp_path / "a.py")
    assert (selection.enabled("ops.reduce_mean"), selection.enabled("ops.reduce_sum"), excluded, error) == (False, True, False, None)
    assert cache.for_path(tmp_path / "legacy" / "b.py")[1] is True
    (tmp_path / "pyproject.toml").write_text('[tool.migrate]\nselct = ["ops"]\n')
    selection, excluded, error = cache.for_path(tmp_path / "a.py")
    assert error is not None and "selct" in error and selection == Selection()
