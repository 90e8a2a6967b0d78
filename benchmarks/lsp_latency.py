"""How fast `migrate lsp` answers in an editor: diagnostics for a 1,000-line file.

Starts the server as an editor does (`python -m migrate lsp`, stdio), opens a generated
1,000-line TF/Keras file, and times, from the client's side, each edit (a `didChange`) until
the `publishDiagnostics` for that version arrives: the wait a user sees after typing. The
first open (parse, rules loaded) is reported apart. Listing the code actions at the cursor,
and making the edit of "Migrate this call" (codeAction/resolve), are timed too.
In the same run, a plain `migrate_source` call on the same text gives the engine's own
time, and the ratio says what the server adds. Goal: median under 200 ms.

    .venv/bin/python benchmarks/lsp_latency.py [--lines 1000] [--edits 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from migrate.codemod import migrate_source

BLOCK = '''\


def block_{n}(x, y, training=False):
    """A training-step-like function with TF ops, plain Python and comments."""
    total = tf.reduce_sum(x, axis=1)  # per-row sum
    mean = tf.reduce_mean(tf.square(total - y))
    scale = tf.sqrt(tf.maximum(mean, 1e-6))
    values = [v * 2 for v in range(10) if v % 3]
    if training:
        noise = tf.random.normal(tf.shape(x))
        x = x + noise * 0.1
    out = tf.concat([x, tf.expand_dims(total, -1)], axis=1)
    return tf.reshape(out, (-1,)) / scale, values
'''


def make_source(lines: int) -> str:
    text, n = "import tensorflow as tf\nimport numpy as np\n", 0
    while text.count("\n") < lines:
        text += BLOCK.format(n=n)
        n += 1
    return "\n".join(text.split("\n")[:lines]) + "\n"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def measure(source: str, edits: int) -> dict[str, list[float] | float]:
    client = LanguageClient("lsp-latency", "1")
    arrived: asyncio.Queue[lsp.PublishDiagnosticsParams] = asyncio.Queue()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def _diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
        arrived.put_nowait(params)

    async def wait_for(version: int) -> lsp.PublishDiagnosticsParams:
        while True:
            params = await asyncio.wait_for(arrived.get(), 60)
            if params.version == version:
                return params

    await client.start_io(sys.executable, "-m", "migrate", "lsp")
    # An editor's capabilities as far as they matter here: code action edits on request.
    capabilities = lsp.ClientCapabilities(
        text_document=lsp.TextDocumentClientCapabilities(
            code_action=lsp.CodeActionClientCapabilities(
                data_support=True, resolve_support=lsp.ClientCodeActionResolveOptions(properties=["edit"])
            )
        )
    )
    await client.initialize_async(lsp.InitializeParams(capabilities=capabilities, process_id=None))
    client.initialized(lsp.InitializedParams())
    uri = "file:///tmp/lsp_latency_model.py"

    start = time.perf_counter()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", 1, source)))
    first = await wait_for(1)
    first_open = time.perf_counter() - start

    lines = source.split("\n")
    target = next(i for i, line in enumerate(lines) if "values = [" in line)
    changes = []
    for version in range(2, edits + 2):
        # Type one character into a line in the middle of the file (an incremental change).
        line = target + 13 * ((version * 7) % 60)
        where = lsp.Range(lsp.Position(line, 4), lsp.Position(line, 4))
        start = time.perf_counter()
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(version, uri),
                [lsp.TextDocumentContentChangePartial(range=where, text="_" if version % 2 else "")],
            )
        )
        await wait_for(version)
        changes.append(time.perf_counter() - start)
        # Undo the typed character so every version is a 1,000-line file that parses.
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(version + 1000, uri),
                [lsp.TextDocumentContentChangeWholeDocument(text=source)],
            )
        )
        await wait_for(version + 1000)

    call_line = first.diagnostics[len(first.diagnostics) // 2].range.start.line
    actions, resolves = [], []
    for line in range(call_line, call_line + 10):  # the cursor moving over ten lines
        where = lsp.Range(lsp.Position(line, 12), lsp.Position(line, 12))
        start = time.perf_counter()
        listed = await client.text_document_code_action_async(
            lsp.CodeActionParams(lsp.TextDocumentIdentifier(uri), where, lsp.CodeActionContext([]))
        )
        actions.append(time.perf_counter() - start)
        calls = [a for a in listed or [] if a.title.startswith("Migrate this call")]
        if calls and len(resolves) < 3:  # the user picks "Migrate this call": its edit is made
            start = time.perf_counter()
            await client.code_action_resolve_async(calls[0])
            resolves.append(time.perf_counter() - start)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {"first": first_open, "changes": changes, "actions": actions, "resolves": resolves, "diagnostics": len(first.diagnostics)}


def engine_times(source: str, runs: int) -> list[float]:
    migrate_source(source)  # warm: rules loaded
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        migrate_source(source)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--edits", type=int, default=30)
    args = parser.parse_args()
    source = make_source(args.lines)
    result = asyncio.run(measure(source, args.edits))
    engine = engine_times(source, max(5, args.edits // 2))
    changes, actions = result["changes"], result["actions"]
    ms = lambda s: f"{1000 * s:7.1f} ms"  # noqa: E731
    median = statistics.median(changes)
    print(f"file: {args.lines} lines, {result['diagnostics']} diagnostics")
    print(f"first open (rules loaded, first parse)  {ms(result['first'])}")
    print(f"edit → diagnostics, median              {ms(median)}   (p90 {ms(percentile(changes, 0.9)).strip()}, n={len(changes)})")
    print(f"code actions listed at the cursor, median {ms(statistics.median(actions))}   (n={len(actions)})")
    resolves = result["resolves"]
    if resolves:
        print(f"'Migrate this call' edit (resolve), first {ms(resolves[0])}   (then {', '.join(ms(r).strip() for r in resolves[1:])})")
    print(f"plain migrate_source, median             {ms(statistics.median(engine))}")
    print(f"server / engine ratio                    {median / statistics.median(engine):7.2f}x")
    print(f"goal < 200 ms after the first parse: {'met' if median < 0.2 else 'MISSED'}")
    sys.exit(0 if median < 0.2 else 1)


if __name__ == "__main__":
    main()
