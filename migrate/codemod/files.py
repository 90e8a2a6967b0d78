"""Files in, files out: which files a run covers, how they are read, and atomic writes."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import pathspec

SOURCE_SUFFIXES = (".py", ".ipynb")

# Directories nobody wants converted (the set ruff and black skip).
DEFAULT_EXCLUDES = (
    ".bzr", ".direnv", ".eggs", ".git", ".hg", ".ipynb_checkpoints", ".mypy_cache", ".nox",
    ".pytest_cache", ".ruff_cache", ".svn", ".tox", ".venv", "__pycache__", "__pypackages__",
    "_build", "buck-out", "build", "dist", "node_modules", "site-packages", "venv",
)


class InputError(Exception):
    """A problem with what the user asked for (exit code 2)."""


@dataclass(frozen=True)
class SourceFile:
    path: Path  # where to read
    relative: Path  # where it goes under an output directory


class _Ignores:
    """gitignore files (found from the repository root down) plus ``exclude`` patterns."""

    def __init__(self, excludes: Iterable[str], base: Path, respect_gitignore: bool):
        patterns = list(excludes)
        self._exclude = pathspec.GitIgnoreSpec.from_lines(patterns) if patterns else None
        self._base = base.resolve()
        self._root: Path | None = None  # the directory being walked
        # .gitignore files by the directory they sit in. A directory is loaded once, however
        # many given paths share it (several paths inside one repository).
        self._specs: dict[Path, pathspec.PathSpec] = {}
        self._gitignore = respect_gitignore

    def load_ancestors(self, directory: Path) -> None:
        self._root = directory
        if not self._gitignore:
            return
        chain = []
        for parent in [directory, *directory.parents]:
            chain.append(parent)
            if (parent / ".git").exists():
                break
        else:
            chain = [directory]  # not in a repository: only the tree's own .gitignore files
        for parent in reversed(chain):
            self.load(parent)

    def load(self, directory: Path) -> None:
        if not self._gitignore or directory in self._specs:
            return
        ignore_file = directory / ".gitignore"
        if ignore_file.is_file():
            try:
                lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                return
            self._specs[directory] = pathspec.GitIgnoreSpec.from_lines(lines)

    def ignored(self, path: Path, is_dir: bool) -> bool:
        if self._exclude is not None and self._excluded(path, is_dir):
            return True
        # As git does: the deepest .gitignore with a matching pattern decides, so a nested
        # `!keep.py` re-includes what a parent's `*.py` ignored. (First match anywhere used
        # to win, which made negations in nested .gitignore files dead letters.)
        decision = False
        for base in reversed(path.parents):  # the root first, the deepest last
            spec = self._specs.get(base)
            if spec is None:
                continue
            relative = path.relative_to(base).as_posix()
            check = spec.check_file(relative + "/" if is_dir else relative)
            if check.include is not None:
                decision = check.include
        return decision

    def _excluded(self, path: Path, is_dir: bool) -> bool:
        # `exclude` patterns are relative to `base` (the pyproject.toml's directory, or the
        # working directory). A tree outside it is matched relative to its own root, so
        # `--exclude legacy` works on `migrate convert /elsewhere/src` too; before, such
        # paths failed relative_to() and were silently never excluded.
        for base in (self._base, self._root):
            if base is None:
                continue
            try:
                relative = path.relative_to(base).as_posix()
            except ValueError:
                continue
            if relative in ("", "."):
                return False
            return self._exclude.match_file(relative + "/" if is_dir else relative)  # type: ignore[union-attr]
        return False


def discover(
    paths: Iterable[Path],
    excludes: Iterable[str] = (),
    respect_gitignore: bool = True,
    skip: Path | None = None,
    base: Path | None = None,
) -> list[SourceFile]:
    """Python files and notebooks under ``paths``, sorted, each once.

    A file named explicitly is always included; files found by walking a directory skip
    the default excludes, ``excludes`` (gitignore syntax, relative to ``base``) and, unless
    told otherwise, what .gitignore files ignore. ``skip`` (an output directory inside the
    input) is never walked.
    """
    paths = list(paths)
    ignores = _Ignores(excludes, base or Path.cwd(), respect_gitignore)
    several = len(paths) > 1
    found: dict[Path, SourceFile] = {}
    skip_resolved = skip.resolve() if skip else None
    for given in paths:
        if not given.exists():
            raise InputError(f"{given}: no such file or directory")
        if given.is_file():
            if given.suffix not in SOURCE_SUFFIXES:
                raise InputError(f"{given}: not a Python file or notebook (.py, .ipynb)")
            found.setdefault(given.resolve(), SourceFile(given, Path(given.name)))
            continue
        root = given.resolve()
        ignores.load_ancestors(root)
        prefix = Path(root.name) if several else Path()
        for path in _walk(root, ignores, skip_resolved):
            relative = path.relative_to(root)
            # Read through the path as the user gave it, so reports show their spelling.
            found.setdefault(path, SourceFile(given / relative, prefix / relative))
    return sorted(found.values(), key=lambda f: str(f.relative))


def _walk(root: Path, ignores: _Ignores, skip: Path | None) -> Iterator[Path]:
    for directory, dirnames, filenames in os.walk(root):
        here = Path(directory)
        if here != root:
            ignores.load(here)
        kept = []
        for name in sorted(dirnames):
            child = here / name
            if name in DEFAULT_EXCLUDES or child == skip or ignores.ignored(child, True):
                continue
            if child.is_symlink():  # a link can lead out of the tree or into a loop
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            child = here / name
            if child.suffix in SOURCE_SUFFIXES and not ignores.ignored(child, False):
                yield child


# ---------------------------------------------------------------------------------------
# Reading and writing


def read_text(path: Path) -> str:
    """The file as text, newlines untouched. Raises InputError for bytes that are not UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"is not UTF-8 (byte {error.start}): left untouched") from None


def write_atomic(path: Path, data: str | bytes, mode: int | None = None) -> None:
    """Write through a temporary file in the same directory and rename it into place.

    A reader, or a run killed half-way, sees the old file or the new one, never a mix (a
    SIGKILL between the two steps can leave a hidden ``.NAME.*.migrate-tmp`` file behind;
    the target itself is intact). An existing file keeps its permission bits; a new one
    gets ``mode`` if given (the source's, when mirroring a tree), else the umask's default.
    Text is written with its newlines untouched. A symbolic link is written through, so
    the link stays a link.
    """
    if path.is_symlink():
        path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        mode = path.stat().st_mode & 0o7777
    elif mode is None:
        # mkstemp creates 0600 files: without this, every file -o wrote was private.
        mode = 0o666 & ~_umask()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".migrate-tmp", dir=path.parent)
    try:
        if isinstance(data, bytes):
            stream = os.fdopen(handle, "wb")
        else:
            stream = os.fdopen(handle, "w", encoding="utf-8", newline="")
        with stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
