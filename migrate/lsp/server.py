"""``migrate lsp``: diagnostics and "Migrate … to PyTorch" code actions over stdio (pygls).

- Diagnostics on open and on every change: one per TF/Keras site the rules rewrite
  (Information) or leave as a TODO (Warning), with the rule id as ``code`` and its doc page
  as ``codeDescription``.
- Code actions at the cursor: "Migrate this call to PyTorch" (a quick fix whose title
  previews the new code), "Migrate this model to PyTorch" when the cursor is inside a class
  that holds TF/Keras code (the class and its imports; the whole file where the class alone
  cannot be migrated consistently), and "Migrate this file to PyTorch". The file edit is
  exactly what ``migrate convert`` writes. A call or class edit is used only where
  migrating the rest afterwards gives exactly that too; elsewhere the action carries the
  file's edit (or, for a client that takes edits with the list, the call is not offered).
- Clients that resolve code actions (``codeAction/resolve`` for ``edit``) get the list
  without edits, at no engine cost, and the edit of the action picked.
- A text that does not parse (half-typed) gets no edits, and its diagnostics are not
  recomputed: the last good ones stay until it parses again.
- Settings come from ``[tool.migrate]`` of the nearest pyproject.toml (``select``,
  ``ignore``, ``exclude``). Initialization option ``docsUrl`` points the rule links at a
  documentation site instead of the checkout's ``docs/rules/``.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from migrate import __version__
from migrate.codemod.findings import Outcome
from migrate.lsp.chunks import ChunkedFindings, split_lines
from migrate.lsp.document import (
    CALL_TITLE,
    FILE_TITLE,
    MODEL_TITLE,
    SOURCE,
    Document,
    SettingsCache,
)

KIND_CALL = lsp.CodeActionKind.QuickFix.value  # "quickfix"
KIND_FILE = "source.migrate"
KIND_MODEL = lsp.CodeActionKind.RefactorRewrite.value  # "refactor.rewrite"
IDLE_SECONDS = 0.4  # typing paused this long: run the whole file, whose findings win


class MigrateServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("migrate", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.documents: dict[str, Document] = {}
        self.chunks: dict[str, ChunkedFindings] = {}
        self.settings = SettingsCache()
        self.docs_url: str | None = None
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._diagnostic_cache: dict[str, dict] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="migrate-whole-file")

    # -- helpers --------------------------------------------------------------------------

    def to_client(self, lines: list[str], line: int, character: int) -> lsp.Position:
        return self.workspace.position_codec.position_to_client_units(lines, lsp.Position(line, character))

    def refresh(self, uri: str) -> None:
        """Run the engine on the document's current text and publish its diagnostics."""
        text_document = self.workspace.get_text_document(uri)
        path = _path(uri)
        if not _is_python(text_document.language_id, uri):
            return
        selection, excluded, error = self.settings.for_path(path)
        if error and error not in self.settings.errors_shown:
            self.settings.errors_shown.add(error)
            self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Warning, f"migrate: {error}; using the defaults"))
        if excluded:
            self.documents.pop(uri, None)
            self._publish(uri, text_document.version, [])
            return
        chunks = self.chunks.setdefault(uri, ChunkedFindings())
        document = Document.analyse(uri, path, text_document.version, text_document.source, selection, chunks)
        self.documents[uri] = document
        if not document.parses:
            return  # half-typed code: the last good diagnostics stay, no edits are offered
        self._publish(uri, text_document.version, self._diagnostics(document))
        if document.full is None:
            self._when_idle(uri, document)

    def _when_idle(self, uri: str, document: Document) -> None:
        """Run the whole file once typing pauses; publish its findings if they differ."""
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._timers[uri] = loop.call_later(IDLE_SECONDS, lambda: loop.create_task(self._whole_file(uri, document)))

    async def _whole_file(self, uri: str, document: Document) -> None:
        self._timers.pop(uri, None)
        if self.documents.get(uri) is not document:
            return  # superseded by an edit
        result = await asyncio.get_running_loop().run_in_executor(self._pool, lambda: document.result)
        if self.documents.get(uri) is not document or result.error is not None:
            return
        if result.findings != document.findings:
            document.findings = result.findings
            self._publish(uri, document.version, self._diagnostics(document))

    def _diagnostics(self, document: Document) -> list[dict]:
        """The document's diagnostics as JSON-ready dicts, each made once per finding and
        line text: a 1,000-line file has hundreds, and building and serialising them anew
        on every keystroke cost more than finding them."""
        lines = split_lines(document.text)
        cache = self._diagnostic_cache.get(document.uri, {})
        fresh = {}
        out = []
        for finding in document.findings:
            if finding.outcome is Outcome.IGNORED:
                continue
            line = finding.line - 1
            key = (finding, lines[line] if 0 <= line < len(lines) else "")
            made = cache.get(key) or fresh.get(key)
            if made is None:
                diagnostic = document.diagnostic(finding, lines, self.to_client, self.docs_url)
                made = self.protocol._converter.unstructure(diagnostic)
            fresh[key] = made
            out.append(made)
        self._diagnostic_cache[document.uri] = fresh
        return out

    def _publish(self, uri: str, version: int | None, diagnostics: list[dict]) -> None:
        params = {"uri": uri, "diagnostics": diagnostics}
        if version is not None:
            params["version"] = version
        send = getattr(self.protocol, "_send_data", None)
        if send is None:  # a pygls without it: the typed (slower) way
            typed = [self.protocol._converter.structure(d, lsp.Diagnostic) for d in diagnostics]
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=typed))
            return
        send({"jsonrpc": "2.0", "method": lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, "params": params})

    def _resolves_edits(self) -> bool:
        """Whether the client asks for an action's edit only when the user picks it."""
        try:
            properties = self.client_capabilities.text_document.code_action.resolve_support.properties
        except AttributeError:
            return False
        return "edit" in (properties or [])

    def code_actions(self, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        """The actions at the cursor. A client that resolves edits (VS Code, Neovim) gets
        them without edits, at no engine cost: editors ask on every cursor move, and a
        call edit costs two engine runs. The edit comes with ``codeAction/resolve``."""
        uri = params.text_document.uri
        document = self.documents.get(uri)
        text_document = self.workspace.get_text_document(uri)
        if document is None or not document.parses or document.text != text_document.source:
            return []
        lazy = self._resolves_edits()
        only = params.context.only
        wanted = lambda kind: not only or any(kind == k or kind.startswith(k + ".") for k in only)  # noqa: E731
        actions = []
        line = params.range.start.line
        diagnostics = [d for d in params.context.diagnostics if d.source == SOURCE]
        on_line = [d for d in diagnostics if d.range.start.line == line]
        if wanted(KIND_CALL):
            calls = [f for f in document.findings if f.line - 1 == line and f.outcome is Outcome.REWRITTEN]
            for finding in calls if lazy else document.finding_at(line):
                if lazy:
                    full = document.full.output if document.full is not None and document.full.error is None else None
                    preview = _preview(document, full, line) if full else ""
                    title = CALL_TITLE + (f": {preview}" if preview else "")
                    data = {"what": "call", "line": finding.line, "col": finding.col}
                    actions.append(self._lazy_action(title, KIND_CALL, uri, document, data, on_line, True))
                    continue
                text = document.call_output(finding)
                if text is None:
                    continue
                preview = _preview(document, text, line)
                title = CALL_TITLE + (f": {preview}" if preview else "")
                actions.append(self._action(title, KIND_CALL, uri, document, text, on_line, True))
        if lazy:
            changes = document.file_output() is not None if document.full is not None else any(
                f.outcome is not Outcome.IGNORED for f in document.findings
            )
            output = None
        else:
            output = document.file_output()
            changes = output is not None
        if not changes:
            return actions
        model = document.class_at(line)
        if model is not None and wanted(KIND_MODEL):
            title = f"{MODEL_TITLE} ({model})"
            if lazy:
                actions.append(self._lazy_action(title, KIND_MODEL, uri, document, {"what": "model", "line": line}, [], False))
            else:
                # The class alone where that agrees with the whole file; else the whole file.
                text = document.model_output(line) or output
                actions.append(self._action(title, KIND_MODEL, uri, document, text, [], False))
        # The file action's kind follows what was asked for: a client asking for everything
        # (VS Code's light bulb, which hides source actions) gets a refactoring; "Source
        # Action…" (only=source) a source action; a quick-fix menu a quick fix.
        if not only:
            kind = KIND_MODEL
        else:
            kind = next((k for k in (KIND_FILE, KIND_CALL, KIND_MODEL) if wanted(k)), None)
        if kind is not None:
            if lazy:
                actions.append(self._lazy_action(FILE_TITLE, kind, uri, document, {"what": "file"}, diagnostics, False))
            else:
                actions.append(self._action(FILE_TITLE, kind, uri, document, output, diagnostics, False))
        return actions

    def resolve(self, action: lsp.CodeAction) -> lsp.CodeAction:
        """The edit of an action ``code_actions`` gave without one; none if the text moved on."""
        data = action.data if isinstance(action.data, dict) else {}
        document = self.documents.get(data.get("uri", ""))
        if document is None or document.version != data.get("version") or not document.parses:
            return action
        what = data.get("what")
        text = None
        if what == "call":
            found = [f for f in document.finding_at(data.get("line", 0) - 1) if f.col == data.get("col")]
            text = document.call_output(found[0]) if found else None
        elif what == "model":
            text = document.model_output(data.get("line", -1))
        # Where the call or class alone cannot be migrated consistently: the whole file.
        text = text or document.file_output()
        if text is not None:
            action.edit = self._edit(document, text)
        return action

    def _lazy_action(
        self, title: str, kind: str, uri: str, document: Document, data: dict,
        diagnostics: list[lsp.Diagnostic], preferred: bool,
    ) -> lsp.CodeAction:
        return lsp.CodeAction(
            title=title,
            kind=kind,
            diagnostics=diagnostics or None,
            is_preferred=preferred or None,
            data={**data, "uri": uri, "version": document.version},
        )

    def _action(
        self, title: str, kind: str, uri: str, document: Document, new_text: str,
        diagnostics: list[lsp.Diagnostic], preferred: bool,
    ) -> lsp.CodeAction:
        return lsp.CodeAction(
            title=title,
            kind=kind,
            diagnostics=diagnostics or None,
            is_preferred=preferred or None,
            edit=self._edit(document, new_text),
        )

    def _edit(self, document: Document, new_text: str) -> lsp.WorkspaceEdit:
        change = lsp.TextDocumentEdit(
            text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=document.uri, version=document.version),
            edits=document.edits_to(new_text, self.to_client),
        )
        return lsp.WorkspaceEdit(document_changes=[change])


def _preview(document: Document, after: str, line: int, width: int = 60) -> str:
    """The migrated text of ``line`` (0-based), shortened: the quick fix's preview."""
    text = " ".join(document.line_in(after, line).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def _is_python(language_id: str | None, uri: str) -> bool:
    return language_id == "python" or uri.endswith((".py", ".pyi"))


server = MigrateServer()


@server.feature(lsp.INITIALIZE)
def _initialize(ls: MigrateServer, params: lsp.InitializeParams) -> None:
    options = params.initialization_options
    if isinstance(options, dict) and isinstance(options.get("docsUrl"), str):
        ls.docs_url = options["docsUrl"]


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def _did_open(ls: MigrateServer, params: lsp.DidOpenTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def _did_change(ls: MigrateServer, params: lsp.DidChangeTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def _did_save(ls: MigrateServer, params: lsp.DidSaveTextDocumentParams) -> None:
    # A saved pyproject.toml may have changed the settings: the cache notices its mtime.
    ls.refresh(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def _did_close(ls: MigrateServer, params: lsp.DidCloseTextDocumentParams) -> None:
    ls.documents.pop(params.text_document.uri, None)
    ls.chunks.pop(params.text_document.uri, None)
    ls._diagnostic_cache.pop(params.text_document.uri, None)
    ls._publish(params.text_document.uri, None, [])


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(code_action_kinds=[KIND_CALL, KIND_MODEL, KIND_FILE], resolve_provider=True),
)
def _code_action(ls: MigrateServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    return ls.code_actions(params)


@server.feature(lsp.CODE_ACTION_RESOLVE)
def _code_action_resolve(ls: MigrateServer, params: lsp.CodeAction) -> lsp.CodeAction:
    return ls.resolve(params)


def serve() -> None:
    server.start_io()
