"""The corpus both benchmarks run on: third-party Python trees, found and read as the CLI does.

Shared by ``robustness.py`` and ``convert_speed.py`` (run them as scripts, so this module is
importable from their directory). The default corpus is the ``keras`` and ``tensorflow``
packages of a venv with TensorFlow installed; any directories can be given instead.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from migrate import config
from migrate.codemod.files import SourceFile, discover
from migrate.codemod.selection import Selection

def _installed(package: str) -> Path | None:
    """Where ``package`` is installed for this interpreter, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


# The TF and Keras sources of this environment (`pip install -e '.[ml]'` puts them there).
DEFAULT_CORPUS = tuple(path for path in map(_installed, ("keras", "tensorflow")) if path is not None)


def argument_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "corpus",
        nargs="*",
        type=Path,
        default=list(DEFAULT_CORPUS),
        help="directories of Python code (default: the keras and tensorflow packages installed here)",
    )
    parser.add_argument("--limit", type=int, metavar="N", help="use N files, evenly spread over the corpus")
    return parser


@dataclass
class Corpus:
    roots: list[Path]  # the directories given that exist
    files: list[SourceFile]  # what `migrate convert ROOTS` covers, in its order (or a sample)
    limited: bool  # whether --limit cut the files down
    selection: Selection  # the rules `migrate convert ROOTS` runs
    pyproject: Path | None  # where the settings came from


def load_corpus(given: list[Path], limit: int | None) -> Corpus:
    """The corpus as the CLI sees it: the same files (pyproject ``[tool.migrate]`` excludes and
    .gitignore files apply), and the same rule selection. ``limit`` keeps a sample spread
    evenly over it. Exits with status 2 and a message when no directory exists.
    """
    roots = [path for path in given if path.is_dir()]
    for path in given:
        if not path.is_dir():
            print(f"note: corpus directory {path} does not exist, skipped", file=sys.stderr)
    if not roots:
        print(
            "error: no corpus directory exists. Pass directories of Python code as arguments "
            "(the default, the keras and tensorflow packages, needs `pip install -e '.[ml]'`).",
            file=sys.stderr,
        )
        sys.exit(2)
    settings = config.load(roots[0])
    files = discover(roots, settings.exclude, respect_gitignore=settings.respect_gitignore, base=settings.base)
    limited = limit is not None and limit < len(files)
    if limited:
        files = [files[i * len(files) // limit] for i in range(limit)]
    return Corpus(roots, files, limited, Selection(settings.select, settings.ignore), settings.source)


@dataclass
class Source:
    file: SourceFile
    text: str | None  # None: not UTF-8


def read_sources(files: list[SourceFile]) -> list[Source]:
    sources = []
    for file in files:
        try:
            text = file.path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            text = None
        sources.append(Source(file, text))
    return sources


def snapshot(roots: list[Path]) -> dict[str, tuple]:
    """Every file under ``roots``: size and mtime, plus a SHA-256 for Python sources."""
    state: dict[str, tuple] = {}
    for root in roots:
        for directory, _, filenames in os.walk(root):
            for name in filenames:
                path = os.path.join(directory, name)
                info = os.lstat(path)
                digest = None
                if name.endswith((".py", ".ipynb")):
                    with open(path, "rb") as stream:
                        digest = hashlib.sha256(stream.read()).hexdigest()
                state[path] = (info.st_size, info.st_mtime_ns, digest)
    return state


def snapshot_changes(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    """Paths added, removed or modified between two snapshots."""
    changes = [f"{path}: removed" for path in before.keys() - after.keys()]
    changes += [f"{path}: added" for path in after.keys() - before.keys()]
    changes += [f"{path}: modified" for path in before.keys() & after.keys() if before[path] != after[path]]
    return sorted(changes)


def cli_inputs(corpus: Corpus, scratch: Path) -> tuple[list[Path], list[str]]:
    """What to pass to ``migrate convert`` so it covers exactly the corpus files, and the path
    its report will give each of them.

    The corpus directories themselves, or for a ``--limit`` sample a tree of symbolic links
    to the sampled files, laid out so the CLI maps them to the same relative output paths,
    under a link to the corpus's pyproject.toml (for its rule selection).
    """
    if not corpus.limited:
        return corpus.roots, [str(file.path) for file in corpus.files]
    farm_roots = [scratch / "sample" / str(i) / root.name for i, root in enumerate(corpus.roots)]
    if corpus.pyproject is not None:
        (scratch / "sample").mkdir()
        (scratch / "sample" / "pyproject.toml").symlink_to(corpus.pyproject.resolve())
    for root in farm_roots:
        root.mkdir(parents=True)
    by_name = {root.name: farm for root, farm in zip(corpus.roots, farm_roots)}
    shown = []
    for file in corpus.files:
        if len(farm_roots) == 1:
            target = farm_roots[0] / file.relative
        else:
            top, *rest = file.relative.parts
            target = by_name[top].joinpath(*rest)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(file.path.resolve())
        shown.append(str(target))
    return farm_roots, shown


@dataclass
class CliRun:
    returncode: int
    wall_s: float
    max_rss_kib: int  # the largest single process of the run's tree (CLI or a worker)
    stdout: str
    stderr: str


def run_cli(args: list[str], scratch: Path) -> CliRun:
    """Run ``python -m migrate ARGS`` and wait for it with ``wait4`` to get its own rusage."""
    out_path, err_path = scratch / "cli.stdout", scratch / "cli.stderr"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "migrate", *args], stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait again
    return CliRun(
        process.returncode,
        wall,
        usage.ru_maxrss,
        out_path.read_text(errors="replace"),
        err_path.read_text(errors="replace"),
    )
