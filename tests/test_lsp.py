"""`migrate lsp` end to end: a real LSP client (pytest-lsp) talking to the server process.

initialize → didOpen → publishDiagnostics → codeAction → apply the edit → the text is what
`migrate convert` writes; half-typed code; settings from [tool.migrate].
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from click.testing import CliRunner
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from migrate.cli import main
from migrate.codemod import migrate_source

from .lsp_edits import apply_workspace_edit

pytestmark = pytest.mark.asyncio(loop_scope="module")

SOURCE = (
    "import tensorflow as tf\n"
    "\n"
    "\n"
    "def loss(x, y):\n"
    "    total = tf.reduce_sum(x, axis=1)  # keep me\n"
    "    return tf.reduce_mean(total - y)\n"
    "\n"
    "\n"
    "class Scale:\n"
    "    def __call__(self, x):\n"
    "        return tf.sqrt(tf.no_such_api_anywhere(x))\n"
)
TIMEOUT = 20


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(server_command=[sys.executable, "-m", "migrate", "lsp", "--stdio"]),
)
async def client(lsp_client: LanguageClient):  # noqa: ANN201
    await lsp_client.initialize_session(
        lsp.InitializeParams(capabilities=pytest_lsp.client_capabilities("visual-studio-code"))
    )
    yield
    await lsp_client.shutdown_session()


def convert_output(path: Path, tmp: Path) -> str:
    """What `migrate convert PATH -o OUT` writes, run as the CLI."""
    out = tmp / ("converted_" + path.name)
    result = CliRunner().invoke(main, ["convert", str(path), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return out.read_text(encoding="utf-8")


async def open_and_wait(client: LanguageClient, path: Path, text: str, version: int = 1) -> list[lsp.Diagnostic]:
    uri = path.as_uri()
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", version, text)))
    while uri not in client.diagnostics:
        await asyncio.wait_for(client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), TIMEOUT)
    return client.diagnostics[uri]


async def published_again(client: LanguageClient, path: Path, before: list[lsp.Diagnostic]) -> list[lsp.Diagnostic]:
    """Wait for the next diagnostics of ``path`` (notifications for other files may come first)."""
    uri = path.as_uri()
    while client.diagnostics.get(uri) is before:
        await asyncio.wait_for(client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), TIMEOUT)
    return client.diagnostics[uri]


async def change(client: LanguageClient, path: Path, text: str, version: int) -> None:
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(version, path.as_uri()),
            [lsp.TextDocumentContentChangeWholeDocument(text)],
        )
    )


async def actions_at(
    client: LanguageClient, path: Path, line: int, character: int, only: list[str] | None = None, resolve: bool = True
) -> list[lsp.CodeAction]:
    uri = path.as_uri()
    diagnostics = [d for d in client.diagnostics.get(uri, []) if d.range.start.line == line]
    where = lsp.Range(lsp.Position(line, character), lsp.Position(line, character))
    result = await asyncio.wait_for(
        client.text_document_code_action_async(
            lsp.CodeActionParams(lsp.TextDocumentIdentifier(uri), where, lsp.CodeActionContext(diagnostics, only=only))
        ),
        TIMEOUT,
    )
    actions = [a for a in result or [] if isinstance(a, lsp.CodeAction)]
    if not resolve:
        return actions
    # As VS Code and Neovim do when the user picks one: the edit comes on request.
    return [a if a.edit is not None else await asyncio.wait_for(client.code_action_resolve_async(a), TIMEOUT) for a in actions]


async def test_diagnostics_name_the_rule_and_link_its_doc(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(SOURCE)
    diagnostics = await open_and_wait(client, path, SOURCE)
    by_code = {d.code: d for d in diagnostics}
    assert set(by_code) == {"ops.reduce_sum", "ops.reduce_mean", "ops.sqrt", "unmapped"}
    reduce_sum = by_code["ops.reduce_sum"]
    assert reduce_sum.source == "migrate"
    assert (reduce_sum.range.start.line, reduce_sum.range.start.character, reduce_sum.range.end.character) == (4, 12, 25)
    assert reduce_sum.severity == lsp.DiagnosticSeverity.Information
    assert reduce_sum.code_description.href.endswith("docs/rules/ops.reduce_sum.md")
    assert Path(reduce_sum.code_description.href.removeprefix("file://")).is_file()
    assert by_code["unmapped"].severity == lsp.DiagnosticSeverity.Warning
    assert "tf.no_such_api_anywhere" in by_code["unmapped"].message


async def test_migrate_this_file_gives_exactly_what_convert_writes(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(SOURCE)
    await open_and_wait(client, path, SOURCE)
    listed = await actions_at(client, path, 4, 16, resolve=False)
    assert [a.title.split(":")[0] for a in listed] == ["Migrate this call to PyTorch", "Migrate this file to PyTorch"]
    assert all(a.edit is None and a.data["version"] == 1 for a in listed)  # edits come on resolve
    actions = await actions_at(client, path, 4, 16)
    titles = [a.title for a in await actions_at(client, path, 4, 16)]
    # Once the whole file has been run, the quick fix's title previews the new code.
    assert titles[0] == "Migrate this call to PyTorch: total = torch.sum(x, dim=1) # keep me", titles
    [file_action] = [a for a in actions if a.title == "Migrate this file to PyTorch"]
    edited = apply_workspace_edit(SOURCE, path.as_uri(), file_action.edit)
    assert edited == convert_output(path, tmp_path)
    # The client applies the edit: the server sees the new text, and only the TODO is left.
    before = client.diagnostics[path.as_uri()]
    await change(client, path, edited, 2)
    assert {d.code for d in await published_again(client, path, before)} == {"unmapped"}


async def test_migrate_this_call_changes_that_call_only(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "calls.py"
    await open_and_wait(client, path, SOURCE)
    [call] = [a for a in await actions_at(client, path, 4, 16) if a.title.startswith("Migrate this call")]
    assert call.kind == lsp.CodeActionKind.QuickFix and call.is_preferred
    assert [d.code for d in call.diagnostics] == ["ops.reduce_sum"]
    edited = apply_workspace_edit(SOURCE, path.as_uri(), call.edit)
    assert "torch.sum(x, dim=1)  # keep me" in edited
    assert "tf.reduce_mean(total - y)" in edited and "import tensorflow as tf" in edited
    # Migrating the rest afterwards lands on convert's output: the two edits agree.
    assert migrate_source(edited).output == migrate_source(SOURCE).output


async def test_migrate_this_model_inside_a_class(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "scale.py"
    await open_and_wait(client, path, SOURCE)
    [model] = [a for a in await actions_at(client, path, 10, 20) if a.title == "Migrate this model to PyTorch (Scale)"]
    edited = apply_workspace_edit(SOURCE, path.as_uri(), model.edit)
    assert "torch.sqrt(" in edited and "tf.reduce_sum(x, axis=1)" in edited  # the class only
    assert migrate_source(edited).output == migrate_source(SOURCE).output
    titles = [a.title for a in await actions_at(client, path, 3, 0)]  # `def loss`: not in a class
    assert not any("model" in t for t in titles)


async def test_half_typed_code_keeps_the_last_diagnostics_and_offers_no_edit(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "typing.py"
    uri = path.as_uri()
    good = await open_and_wait(client, path, SOURCE)
    broken = SOURCE + "y = tf.reduce_sum(x,\n"
    await change(client, path, broken, 2)
    # The server handles messages in order: a publish for the broken text would be here by
    # the time the code action's answer is.
    assert await actions_at(client, path, 4, 16) == []
    assert client.diagnostics[uri] == good
    await change(client, path, SOURCE + "y = tf.reduce_sum(x, axis=0)\n", 3)
    assert len(await published_again(client, path, good)) == len(good) + 1  # alive, and up to date again


async def test_settings_come_from_tool_migrate(client: LanguageClient, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[tool.migrate]\nignore = ["ops.reduce_mean", "unmapped"]\n')
    path = project / "src" / "model.py"
    path.write_text(SOURCE)
    diagnostics = await open_and_wait(client, path, SOURCE)
    assert {d.code for d in diagnostics} == {"ops.reduce_sum", "ops.sqrt"}
    [file_action] = [a for a in await actions_at(client, path, 4, 16) if a.title == "Migrate this file to PyTorch"]
    edited = apply_workspace_edit(SOURCE, path.as_uri(), file_action.edit)
    assert edited == convert_output(path, tmp_path)  # convert reads the same pyproject
    assert "tf.reduce_mean" in edited


async def test_the_kinds_follow_what_the_client_asks_for(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "kinds.py"
    await open_and_wait(client, path, SOURCE)
    everything = {a.title: a.kind for a in await actions_at(client, path, 4, 16)}
    assert everything["Migrate this file to PyTorch"] == "refactor.rewrite"  # VS Code's light bulb hides source.*
    source = await actions_at(client, path, 4, 16, only=["source"])
    assert [(a.title, a.kind) for a in source] == [("Migrate this file to PyTorch", "source.migrate")]
    quick = await actions_at(client, path, 4, 16, only=["quickfix"])
    assert {a.kind for a in quick} == {"quickfix"} and len(quick) == 2


async def test_positions_are_in_utf16_units_and_exclude_is_respected(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.migrate]\nexclude = ["legacy/"]\n')
    path = tmp_path / "emoji.py"
    text = 'import tensorflow as tf\nx = "😋"; y = tf.reduce_sum(x)\n'
    [diagnostic] = await open_and_wait(client, path, text)
    assert (diagnostic.range.start.character, diagnostic.range.end.character) == (14, 27)  # code point 13; 😋 is two UTF-16 units
    [file_action] = [a for a in await actions_at(client, path, 1, 14) if a.title == "Migrate this file to PyTorch"]
    assert apply_workspace_edit(text, path.as_uri(), file_action.edit) == migrate_source(text).output
    (tmp_path / "legacy").mkdir()
    assert list(await open_and_wait(client, tmp_path / "legacy" / "old.py", SOURCE)) == []


async def test_a_file_that_rebinds_tf_is_analysed_whole(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "rebind.py"
    text = "import tensorflow as tf\ny = tf.reduce_sum(x)\ntf = None\nz = tf.sqrt(y)\n"
    diagnostics = await open_and_wait(client, path, text)
    assert [(d.code, d.range.start.line) for d in diagnostics] == [("ops.reduce_sum", 1)]


async def test_an_action_resolved_after_an_edit_gets_no_edit(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "stale.py"
    await open_and_wait(client, path, SOURCE)
    [stale] = [a for a in await actions_at(client, path, 4, 16, resolve=False) if a.title == "Migrate this file to PyTorch"]
    before = client.diagnostics[path.as_uri()]
    await change(client, path, SOURCE + "w = tf.sqrt(2.0)\n", 2)
    await published_again(client, path, before)
    resolved = await asyncio.wait_for(client.code_action_resolve_async(stale), TIMEOUT)
    assert resolved.edit is None  # computed for a text that is gone: no edit rather than a wrong one
