"""Robustness of the converter on real third-party code.

Converts every Python file of a corpus (by default the installed ``keras`` and
``tensorflow`` packages, about 2,750 files) with ``migrate_source`` and checks, per file:

* no crash: an exception escaping ``migrate_source`` (on the input or on its own output);
* ``result.error`` is only set for files libcst cannot parse. Errors are counted apart from
  crashes; those on a file that parses as Python (``ast``) are engine bugs or libcst limits;
* a changed output compiles (``compile(output, path, "exec")``) and parses with libcst;
* idempotence: ``migrate_source(output).output == output``;
* no input file is modified, added or removed (before and after, every source file of the
  corpus is hashed; every other file's size and mtime are compared).

It finds the files and the rule selection as the CLI does (pyproject ``[tool.migrate]``,
.gitignore). Then it runs the real CLI once over the same files in a subprocess,
``python -m migrate convert CORPUS -o TMP/out -j 2 --report TMP/report.json -q``, and checks
that it exits with the documented code (0 ok, 1 TODOs left, 2 errors) that the in-process
results predict, that the JSON report loads and agrees with them, that every file written
under ``TMP/out`` is the in-process output (or the input, copied, for a file in error), and
that the input tree is unchanged.

Run it (about 3.5 minutes on 2 cores for the full default corpus; ``--limit`` for a quick
look)::

    .venv/bin/python benchmarks/robustness.py                      # keras + tensorflow
    .venv/bin/python benchmarks/robustness.py --limit 200
    .venv/bin/python benchmarks/robustness.py path/to/project other/tree

Exit status: 0 all good; 1 a crash, an output that does not parse, a non-idempotent file,
a modified input or a CLI check failed; 2 no corpus directory exists.
"""

from __future__ import annotations

import ast
import json
import tempfile
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from _corpus import (
    Corpus,
    Source,
    argument_parser,
    cli_inputs,
    load_corpus,
    read_sources,
    run_cli,
    snapshot,
    snapshot_changes,
)
from migrate.codemod import migrate_source
from migrate.codemod.findings import FileResult
from migrate.codemod.selection import Selection

EXAMPLES = 10

# Problem classes, in report order: (key, label, fails the run).
CLASSES = (
    ("crash", "crashes", True),
    ("libcst", "libcst cannot parse the input", False),
    ("valid", "engine errors on valid Python (ast parses)", False),
    ("output", "output-parse failures", True),
    ("idempotence", "non-idempotent files", True),
    ("input", "inputs changed", True),
    ("cli", "CLI check failures", True),
)


@dataclass
class Expected:
    """What the CLI must report and write for one file, from the in-process run."""

    status: str  # "changed" | "unchanged" | "error"
    counts: dict[str, int]  # sites, rewritten, todo
    output: bytes  # the migrated text, or the input itself for a file in error


class Checker:
    """Runs the per-file checks and collects counts and problem examples."""

    def __init__(self, selection: Selection) -> None:
        self.selection = selection
        self.counts: Counter[str] = Counter()
        self.problems: dict[str, list[tuple[str, str]]] = {key: [] for key, _, _ in CLASSES}
        self.expected: dict[Path, Expected] = {}  # by relative output path; crashed files have none

    def problem(self, key: str, path: str, message: str) -> None:
        first_line = (message.strip().splitlines() or [""])[0]
        self.problems[key].append((path, first_line))

    def check(self, source: Source) -> None:
        path = str(source.file.path)
        if source.text is None:
            self.counts["not_utf8"] += 1
            self._expect(source, "error", source.file.path.read_bytes())
            return
        result = self._migrate(source.text, path, "")
        if result is None:
            return
        if result.error:
            self._expect(source, "error", source.text.encode("utf-8"))
            self._classify_error(source.text, path, result.error)
            return
        counts = {"sites": result.found, "rewritten": result.rewritten, "todo": len(result.todos)}
        self.counts.update(counts)
        self._expect(source, "changed" if result.changed else "unchanged", result.output.encode("utf-8"), counts)
        if result.changed:
            self.counts["changed"] += 1
            self._check_output(source.text, path, result.output)

    def _expect(self, source: Source, status: str, output: bytes, counts: dict[str, int] | None = None) -> None:
        zero = {"sites": 0, "rewritten": 0, "todo": 0}
        self.expected[source.file.relative] = Expected(status, counts or zero, output)

    def _migrate(self, text: str, path: str, when: str) -> FileResult | None:
        try:
            return migrate_source(text, path, self.selection)
        except Exception as error:  # noqa: BLE001 - a crash is what this benchmark looks for
            frame = traceback.extract_tb(error.__traceback__)[-1]
            where = f"{Path(frame.filename).name}:{frame.lineno}"
            self.problem("crash", path, f"{when}{type(error).__name__}: {error} (at {where})")
            return None

    def _classify_error(self, text: str, path: str, error: str) -> None:
        self.counts["errors"] += 1
        try:
            cst.parse_module(text)
        except Exception:  # noqa: BLE001 - any parser failure, RecursionError included
            self.problem("libcst", path, error)
        if _compile_error(text, path, ast.PyCF_ONLY_AST) is None:
            self.problem("valid", path, error)

    def _check_output(self, text: str, path: str, output: str) -> None:
        bad = _compile_error(output, path)
        if bad is not None and _compile_error(text, path) is None:
            self.problem("output", path, f"does not compile: {bad}")
            return
        again = self._migrate(output, path, "on its own output: ")
        if again is None:
            return
        if again.error:
            self.problem("output", path, f"migrating the output failed: {again.error}")
        elif again.output != output:
            self.problem("idempotence", path, _first_difference(output, again.output))


def _compile_error(text: str, path: str, flags: int = 0) -> str | None:
    """Why ``text`` does not compile with this interpreter (3.11 in the project's venv), or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            compile(text, path, "exec", flags=flags, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return f"{type(error).__name__}: {error}"  # a SyntaxError names the file and line
    return None


def _first_difference(first: str, second: str) -> str:
    a, b = first.splitlines(), second.splitlines()
    for number, (left, right) in enumerate(zip(a, b), 1):
        if left != right:
            return f"second pass changes line {number}: {left.strip()!r} -> {right.strip()!r}"
    return f"second pass changes the length: {len(a)} -> {len(b)} lines"


def check_cli(checker: Checker, corpus: Corpus, scratch: Path) -> str:
    """Run the CLI over the corpus; record where it disagrees with the in-process results.

    Files that crashed in process are left out of the comparison (the CLI's answer for them
    is unknown), and then only the exit code's range is checked.
    """
    out, report_path = scratch / "out", scratch / "report.json"
    files = corpus.files
    inputs, shown = cli_inputs(corpus, scratch)
    args = ["convert", *map(str, inputs), "-o", str(out), "-j", "2", "--report", str(report_path), "-q"]
    command = f"python -m migrate {' '.join(args)}"
    run = run_cli(args, scratch)
    expected = checker.expected
    if len(expected) < len(files):
        allowed = {0, 1, 2}
    else:  # the documented exit codes: 2 errors, 1 TODOs left, 0 ok
        errors = any(e.status == "error" for e in expected.values())
        allowed = {2 if errors else 1 if checker.counts["todo"] else 0}
    if run.returncode not in allowed:
        last = (run.stderr.strip().splitlines() or ["(no stderr)"])[-1]
        wanted = " or ".join(map(str, sorted(allowed)))
        checker.problem("cli", command, f"exit {run.returncode}, expected {wanted}: {last}")
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        entries = {entry["path"]: entry for entry in report["files"]}
    except (OSError, ValueError, KeyError, TypeError) as error:
        checker.problem("cli", str(report_path), f"report does not load: {type(error).__name__}: {error}")
        entries = {}
    if entries and len(entries) != len(files):
        checker.problem("cli", str(report_path), f"report lists {len(entries)} files, the corpus has {len(files)}")
    mismatches = 0
    for file, path in zip(files, shown):
        want = expected.get(file.relative)
        why = want and _disagreement(want, entries.get(path) if entries else {}, out / file.relative)
        if why:
            mismatches += 1
            checker.problem("cli", path, why)
    said = run.stdout.strip()
    return f"exit {run.returncode}, {run.wall_s:.1f} s, {mismatches} files disagree with in-process; CLI said: {said}"


def _disagreement(want: Expected, entry: dict | None, written: Path) -> str | None:
    """How the CLI's report ``entry`` ({} without a report) and output file differ from ``want``."""
    if entry is None:
        return "missing from the report"
    if entry and (entry.get("status"), {key: entry.get(key) for key in want.counts}) != (want.status, want.counts):
        counts = "/".join(str(entry.get(key)) for key in want.counts)
        return f"report says {entry.get('status')} {counts} (sites/rewritten/todo)"
    if not written.is_file():
        return "output file missing"
    if written.read_bytes() != want.output:
        return "output file differs from migrate_source's"
    return None


def main() -> int:
    args = argument_parser(__doc__.split("\n\n")[0]).parse_args()
    corpus = load_corpus(args.corpus, args.limit)
    start = time.perf_counter()
    before = snapshot(corpus.roots)

    checker = Checker(corpus.selection)
    for source in read_sources(corpus.files):
        checker.check(source)
    middle = snapshot(corpus.roots)
    for change in snapshot_changes(before, middle):
        checker.problem("input", change, "changed by the in-process pass")
    in_process = time.perf_counter() - start

    with tempfile.TemporaryDirectory(prefix="migrate-robustness-") as tmp:
        cli = check_cli(checker, corpus, Path(tmp))
    for change in snapshot_changes(middle, snapshot(corpus.roots)):
        checker.problem("input", change, "changed by the CLI run")
    wall = time.perf_counter() - start

    counts, problems = checker.counts, checker.problems
    rows = [
        ("files", len(corpus.files)),
        ("not UTF-8 (CLI reports them as errors)", counts["not_utf8"]),
        ("changed", counts["changed"]),
        ("TF/Keras sites", counts["sites"]),
        ("rewritten", counts["rewritten"]),
        ("TODO", counts["todo"]),
        ("engine errors (result.error set)", counts["errors"]),
        *((label, len(problems[key])) for key, label, _ in CLASSES),
    ]
    print(f"robustness: {', '.join(map(str, corpus.roots))}" + (f" (--limit {args.limit})" if corpus.limited else ""))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    print(f"  {'CLI -j 2':<{width}}  {cli}")
    print(f"  {'wall time':<{width}}  {wall:.1f} s (in-process checks {in_process:.1f} s)")
    for key, label, _ in CLASSES:
        if problems[key]:
            print(f"\n{label} ({len(problems[key])}):")
            for path, message in problems[key][:EXAMPLES]:
                print(f"  {path}: {message}")
    return 1 if any(problems[key] for key, _, fails in CLASSES if fails) else 0


if __name__ == "__main__":
    raise SystemExit(main())
