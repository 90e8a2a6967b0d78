"""Apply LSP TextEdits to a text as a client does (positions in UTF-16 code units)."""

from __future__ import annotations

from migrate.lsp.document import split_lines


def offset(text: str, line: int, character: int) -> int:
    lines = split_lines(text)
    if line >= len(lines):
        return len(text)
    start = sum(len(l) for l in lines[:line])
    content = lines[line].rstrip("\r\n")
    units = 0
    for index, char in enumerate(content):
        if units >= character:
            return start + index
        units += 2 if ord(char) > 0xFFFF else 1
    return start + len(content)


def apply_edits(text: str, edits) -> str:  # noqa: ANN001
    spans = sorted(
        ((offset(text, e.range.start.line, e.range.start.character), offset(text, e.range.end.line, e.range.end.character), e.new_text) for e in edits),
        reverse=True,
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def apply_workspace_edit(text: str, uri: str, edit) -> str:  # noqa: ANN001
    for change in edit.document_changes or []:
        assert change.text_document.uri == uri
        text = apply_edits(text, change.edits)
    for changed_uri, edits in (edit.changes or {}).items():
        assert changed_uri == uri
        text = apply_edits(text, edits)
    return text
