"""Which files a run covers (default excludes, .gitignore, --exclude, symlinks) and how
they are written (write_atomic)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrate.cli import main
from migrate.codemod.files import DEFAULT_EXCLUDES, InputError, discover, read_text, write_atomic

TF_OK = "import tensorflow as tf\ny = tf.reduce_sum(x, axis=1)\n"


def tree(root: Path, names: list[str], text: str = TF_OK) -> Path:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def found(paths: list[Path], root: Path | None = None, **kwargs) -> list[str]:  # noqa: ANN003
    """The files discover() picks, as paths relative to ``root`` (default: the first path)."""
    root = root or paths[0]
    return [f.path.resolve().relative_to(root.resolve()).as_posix() for f in discover(paths, **kwargs)]


def convert(*args: str | Path):
    return CliRunner().invoke(main, ["convert", *map(str, args)], catch_exceptions=False)


# ---------------------------------------------------------------------------------------
# discover


def test_walk_finds_python_files_and_notebooks_sorted(tmp_path: Path) -> None:
    tree(tmp_path, ["b.py", "a/z.py", "a/n.ipynb", "c.txt", "d.pyi", "e.pyc"])
    assert found([tmp_path]) == ["a/n.ipynb", "a/z.py", "b.py"]


@pytest.mark.parametrize("directory", [".venv", "__pycache__", "build", "dist", "node_modules", ".git", ".tox", "venv"])
def test_default_excludes(tmp_path: Path, directory: str) -> None:
    assert directory in DEFAULT_EXCLUDES
    tree(tmp_path, ["keep.py", f"{directory}/skip.py", f"pkg/{directory}/skip.py"])
    assert found([tmp_path]) == ["keep.py"]


def test_a_default_excluded_directory_given_explicitly_is_walked(tmp_path: Path) -> None:
    tree(tmp_path, ["build/x.py"])
    assert found([tmp_path / "build"]) == ["x.py"]


def test_gitignore_outside_a_repository(tmp_path: Path) -> None:
    tree(tmp_path, ["keep.py", "gen/out.py", "proto_pb2.py", "sub/local.py", "sub/other.py"])
    (tmp_path / ".gitignore").write_text("# generated\ngen/\n*_pb2.py\n")
    (tmp_path / "sub" / ".gitignore").write_text("local.py\n")
    assert found([tmp_path]) == ["keep.py", "sub/other.py"]
    assert found([tmp_path], respect_gitignore=False) == [
        "gen/out.py", "keep.py", "proto_pb2.py", "sub/local.py", "sub/other.py"
    ]


def test_nested_gitignore_can_re_include(tmp_path: Path) -> None:
    # git lets a deeper .gitignore negate a parent's pattern; the deepest match decides.
    tree(tmp_path, ["a.py", "sub/keep.py", "sub/drop.py"])
    (tmp_path / ".gitignore").write_text("*.py\n")
    (tmp_path / "sub" / ".gitignore").write_text("!keep.py\n")
    assert found([tmp_path]) == ["sub/keep.py"]


def test_gitignore_above_the_given_directory_inside_a_repository(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("/src/legacy/\nscratch_*.py\n")
    tree(tmp_path, ["src/a.py", "src/legacy/old.py", "src/scratch_1.py"])
    assert found([tmp_path / "src"]) == ["a.py"]


def test_gitignore_above_the_tree_outside_a_repository_is_ignored(tmp_path: Path) -> None:
    # Without a .git, only the tree's own .gitignore files count (a stray file in $HOME
    # must not hide a project).
    (tmp_path / ".gitignore").write_text("*.py\n")
    tree(tmp_path, ["src/a.py"])
    assert found([tmp_path / "src"]) == ["a.py"]


def test_several_paths_in_one_repository_share_its_gitignore(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("*.py\n")
    tree(tmp_path, ["one/a.py", "one/keep.py", "two/b.py"])
    (tmp_path / "one" / ".gitignore").write_text("!keep.py\n")
    assert found([tmp_path / "one", tmp_path / "two"], root=tmp_path) == ["one/keep.py"]


def test_exclude_patterns_relative_to_base(tmp_path: Path) -> None:
    tree(tmp_path, ["src/a.py", "src/legacy/b.py", "src/pkg/legacy/c.py", "src/x_pb2.py", "other/legacy/d.py"])
    files = found([tmp_path / "src"], excludes=["/src/legacy/", "*_pb2.py"], base=tmp_path)
    assert files == ["a.py", "pkg/legacy/c.py"]  # the anchored pattern matches only src/legacy


def test_exclude_patterns_work_on_a_tree_outside_base(tmp_path: Path) -> None:
    # `migrate convert /elsewhere --exclude legacy` from an unrelated working directory.
    tree(tmp_path / "proj", ["a.py", "legacy/b.py"])
    (tmp_path / "cwd").mkdir()
    assert found([tmp_path / "proj"], excludes=["legacy/"], base=tmp_path / "cwd") == ["a.py"]


def test_an_explicitly_named_file_is_always_included(tmp_path: Path) -> None:
    tree(tmp_path, ["build/x.py", "ignored.py"])
    (tmp_path / ".gitignore").write_text("ignored.py\n")
    files = discover([tmp_path / "build" / "x.py", tmp_path / "ignored.py"], excludes=["*.py"], base=tmp_path)
    assert [f.relative.as_posix() for f in files] == ["ignored.py", "x.py"]


def test_a_file_given_twice_is_converted_once(tmp_path: Path) -> None:
    tree(tmp_path, ["src/a.py"])
    assert len(discover([tmp_path / "src", tmp_path / "src" / "a.py"])) == 1


def test_skip_is_not_walked(tmp_path: Path) -> None:
    tree(tmp_path, ["a.py", "out/a.py"])
    assert found([tmp_path], skip=tmp_path / "out") == ["a.py"]


def test_symlinked_directories_are_skipped(tmp_path: Path) -> None:
    tree(tmp_path, ["outside/secret.py", "src/a.py"])
    (tmp_path / "src" / "link").symlink_to(tmp_path / "outside", target_is_directory=True)
    (tmp_path / "src" / "loop").symlink_to(tmp_path / "src", target_is_directory=True)
    assert found([tmp_path / "src"]) == ["a.py"]


def test_relative_names_under_output(tmp_path: Path) -> None:
    tree(tmp_path, ["one/a.py", "two/b.py", "c.py"])
    single = discover([tmp_path / "one"])
    assert [f.relative.as_posix() for f in single] == ["a.py"]
    several = discover([tmp_path / "one", tmp_path / "two", tmp_path / "c.py"])
    assert [f.relative.as_posix() for f in several] == ["c.py", "one/a.py", "two/b.py"]


def test_paths_keep_the_users_spelling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree(tmp_path, ["src/a.py"])
    monkeypatch.chdir(tmp_path)
    assert [str(f.path) for f in discover([Path("src")])] == [os.path.join("src", "a.py")]


def test_input_errors(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("hi\n")
    with pytest.raises(InputError, match="no such file or directory"):
        discover([tmp_path / "missing.py"])
    with pytest.raises(InputError, match=r"not a Python file or notebook \(\.py, \.ipynb\)"):
        discover([tmp_path / "notes.md"])


# ---------------------------------------------------------------------------------------
# The same through the CLI


def test_cli_honours_gitignore_and_can_ignore_it(tmp_path: Path) -> None:
    tree(tmp_path / "src", ["a.py", "gen/b.py"])
    (tmp_path / "src" / ".gitignore").write_text("gen/\n")
    assert "1 file " in convert(tmp_path / "src", "--check").stdout
    assert "2 files" in convert(tmp_path / "src", "--check", "--no-respect-gitignore").stdout


def test_cli_exclude_and_explicit_file(tmp_path: Path) -> None:
    tree(tmp_path / "src", ["a.py", "legacy/b.py", "legacy/c.py"])
    result = convert(tmp_path / "src", "--exclude", "legacy/", "--in-place")
    assert result.exit_code == 0 and "1 file " in result.stdout
    assert (tmp_path / "src/legacy/b.py").read_text() == TF_OK
    result = convert(tmp_path / "src" / "legacy" / "b.py", "--exclude", "legacy/", "--in-place")
    assert result.exit_code == 0
    assert "torch.sum" in (tmp_path / "src/legacy/b.py").read_text()  # named, so converted
    assert (tmp_path / "src/legacy/c.py").read_text() == TF_OK


def test_cli_skips_symlinked_directories_and_default_excludes(tmp_path: Path) -> None:
    tree(tmp_path, ["outside/x.py", "src/a.py", "src/.venv/lib.py", "src/__pycache__/m.py"])
    (tmp_path / "src" / "link").symlink_to(tmp_path / "outside", target_is_directory=True)
    result = convert(tmp_path / "src", "--in-place")
    assert "1 file " in result.stdout
    assert (tmp_path / "outside/x.py").read_text() == TF_OK
    assert (tmp_path / "src/.venv/lib.py").read_text() == TF_OK


# ---------------------------------------------------------------------------------------
# Reading and writing


def test_read_text_keeps_newlines_and_rejects_other_encodings(tmp_path: Path) -> None:
    (tmp_path / "crlf.py").write_bytes(b"x = 1\r\ny = 2\r\n")
    assert read_text(tmp_path / "crlf.py") == "x = 1\r\ny = 2\r\n"
    (tmp_path / "latin.py").write_bytes(b"# caf\xe9\n")
    with pytest.raises(InputError, match=r"is not UTF-8 \(byte 5\)"):
        read_text(tmp_path / "latin.py")


def test_write_atomic_creates_replaces_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "a.py"
    write_atomic(target, "one\n")
    write_atomic(target, "two\r\n")
    assert target.read_bytes() == b"two\r\n"
    write_atomic(tmp_path / "b.bin", b"\x00\xff")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and p.name not in ("a.py", "b.bin")]
    assert leftovers == []


def test_write_atomic_keeps_the_mode_of_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "script.py"
    target.write_text("old\n")
    os.chmod(target, 0o741)
    write_atomic(target, "new\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o741


def test_write_atomic_new_file_modes(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "a.py", "x\n")
        write_atomic(tmp_path / "b.py", "x\n", mode=0o755)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.py").stat().st_mode) == 0o640  # the umask, not mkstemp's 0600
    assert stat.S_IMODE((tmp_path / "b.py").stat().st_mode) == 0o755


def test_write_atomic_writes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_text("old\n")
    link = tmp_path / "link.py"
    link.symlink_to(real)
    write_atomic(link, "new\n")
    assert link.is_symlink()
    assert real.read_text() == "new\n"


def test_write_atomic_failure_keeps_the_old_file_and_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.py"
    target.write_text("old\n")

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]
