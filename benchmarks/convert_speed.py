"""How fast ``migrate convert`` is on real code, against libcst's own floor.

On a corpus (by default the installed ``keras`` and ``tensorflow`` packages), in one run:

(a) baseline: a libcst no-op round trip, ``libcst.parse_module(src).code``, over every file,
    in this process;
(b) ``migrate_source(src, path)`` over the same files, same order, same process. Sources are
    read into memory first, so neither (a) nor (b) includes I/O. (a) and (b) alternate for
    ``--rounds`` rounds (default 2); the medians and the ratio (b)/(a) are printed: the goal
    is a ratio of at most 1.5;
(c) the real CLI, ``python -m migrate convert CORPUS -o TMP -q``, with ``-j 1`` and ``-j 2``:
    files per second by wall clock, process start-up included;
(d) peak memory (``ru_maxrss``): of each CLI run (the largest single process of its tree,
    from ``wait4``; the CLI runs first, while this process is small, because a child's
    ``ru_maxrss`` starts at its parent's size when it forks), and of this process after
    reading the corpus, after (a) and after (b);
(e) the cost of a file with no TF/Keras in it: ``migrate_source`` on the standard library's
    own ``.py`` files that do not mention tensorflow or keras, against reading them into a
    ``str``, in microseconds per file.

Run it (7 to 9 minutes on 2 cores for the full default corpus, depending on the engine;
``--limit`` and ``--rounds 1`` for a quick look)::

    .venv/bin/python benchmarks/convert_speed.py
    .venv/bin/python benchmarks/convert_speed.py --limit 300 --rounds 3
    .venv/bin/python benchmarks/convert_speed.py path/to/project

Exit status 0, or 2 when no corpus directory exists. Nothing is asserted: it measures.
"""

from __future__ import annotations

import resource
import statistics
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Callable

import libcst as cst

from _corpus import argument_parser, cli_inputs, load_corpus, read_sources, run_cli
from migrate.codemod import migrate_source
from migrate.codemod.selection import Selection

MIB = 1024  # ru_maxrss is in KiB on Linux


def roundtrip(sources: list[tuple[str, str]]) -> None:
    for _, text in sources:
        try:
            cst.parse_module(text).code
        except cst.ParserSyntaxError:
            pass  # migrate_source pays for the failed parse as well


def migrate_all(sources: list[tuple[str, str]], selection: Selection, crashed: set[str]) -> None:
    """``migrate_source`` on every source; the paths where it raised go to ``crashed``."""
    for path, text in sources:
        try:
            migrate_source(text, path, selection)
        except Exception:  # noqa: BLE001 - robustness.py reports these; here they only cost time
            crashed.add(path)


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MIB


def stdlib_without_tf(limit: int) -> list[Path]:
    """Up to ``limit`` UTF-8 ``.py`` files of the standard library that never mention TF/Keras."""
    root = Path(sysconfig.get_paths()["stdlib"])
    chosen = []
    for path in sorted(root.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if "tensorflow" not in text and "keras" not in text:
            chosen.append(path)
            if len(chosen) == limit:
                break
    return chosen


def per_file_us(work: Callable[[], object], files: int, rounds: int) -> float:
    return statistics.median(timed(work) for _ in range(rounds)) / files * 1e6


def main() -> int:
    parser = argument_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of (a) and (b) (default: 2)")
    parser.add_argument("--stdlib-files", type=int, default=1000, metavar="N", help="files for (e) (default: 1000)")
    args = parser.parse_args()
    corpus = load_corpus(args.corpus, args.limit)
    files = corpus.files

    # The CLI runs come first: a child's ru_maxrss starts from this process's size when it
    # forks, so they must run while this process is still small.
    rss = {"when the CLI ran": peak_rss_mib()}
    cli_runs = {}
    with tempfile.TemporaryDirectory(prefix="migrate-speed-") as tmp:
        scratch = Path(tmp)
        inputs = [str(path) for path in cli_inputs(corpus, scratch)[0]]
        for jobs in (1, 2):
            output = str(scratch / f"out-j{jobs}")
            cli_runs[jobs] = run_cli(["convert", *inputs, "-o", output, "-j", str(jobs), "-q"], scratch)

    loaded = read_sources(files)
    sources = [(str(s.file.path), s.text) for s in loaded if s.text is not None]
    megabytes = sum(len(text.encode("utf-8")) for _, text in sources) / 1e6
    rss["after reading the corpus"] = peak_rss_mib()
    times_a, times_b = [], []
    crashed: set[str] = set()
    for _ in range(args.rounds):
        times_a.append(timed(lambda: roundtrip(sources)))
        rss.setdefault("after (a)", peak_rss_mib())
        times_b.append(timed(lambda: migrate_all(sources, corpus.selection, crashed)))
        rss.setdefault("after (b)", peak_rss_mib())
    a, b = statistics.median(times_a), statistics.median(times_b)

    plain = stdlib_without_tf(args.stdlib_files)
    plain_sources = [(str(path), path.read_text(encoding="utf-8")) for path in plain]
    read_us = per_file_us(lambda: [path.read_text(encoding="utf-8") for path in plain], len(plain), 5)
    migrate_us = per_file_us(lambda: migrate_all(plain_sources, corpus.selection, crashed), len(plain), 5)

    skipped = len(loaded) - len(sources)
    print(
        f"convert speed: {len(sources)} files, {megabytes:.1f} MB under {', '.join(map(str, corpus.roots))}"
        + (f" (--limit {args.limit})" if corpus.limited else "")
        + (f"; {skipped} non-UTF-8 files left out" if skipped else "")
    )
    print(f"  medians of {args.rounds} alternating rounds, sources in memory, 1 process:")
    for label, seconds, rounds in (("(a) libcst parse + .code", a, times_a), ("(b) migrate_source", b, times_b)):
        rates = f"{len(sources) / seconds:7.1f} files/s  {megabytes / seconds:5.2f} MB/s"
        print(f"  {label:<26} {seconds:7.2f} s  {rates}  rounds: {', '.join(f'{t:.1f}' for t in rounds)} s")
    print(f"  ratio (b)/(a)              {b / a:7.2f}x  (goal <= 1.5x)")
    if crashed:
        first = sorted(crashed)[0]
        print(f"      migrate_source raised on {len(crashed)} files, e.g. {first} (timed anyway; see robustness.py)")
    print("  (c) CLI `python -m migrate convert CORPUS -o TMP -q`, wall clock including process start:")
    for jobs, run in cli_runs.items():
        covered = run.returncode in (0, 1, 2) and run.stdout.startswith(f"migrate: {len(files)} file")
        failed = "" if covered else "  FAILED: " + (run.stderr.strip().splitlines() or ["no summary"])[-1]
        rate = len(files) / run.wall_s
        print(f"      -j {jobs}  {run.wall_s:7.2f} s  {rate:7.1f} files/s  exit {run.returncode}{failed}")
    print(
        "  (d) peak RSS, CLI (largest single process): "
        + ", ".join(f"-j {jobs} {run.max_rss_kib / MIB:.0f} MiB" for jobs, run in cli_runs.items())
    )
    print("      peak RSS of this process: " + ", ".join(f"{v:.0f} MiB {k}" for k, v in rss.items()))
    print(
        f"  (e) {len(plain)} stdlib files without TF/Keras: migrate_source {migrate_us:.1f} us/file, "
        f"read_text {read_us:.1f} us/file (medians of 5)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
