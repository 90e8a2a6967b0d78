"""`migrate convert`, driven as a user drives it: exit codes, where results go, what is
written (and what is not), errors that do not stop the run, atomic writes under SIGKILL,
-j determinism and the progress bar.

Most cases run through click's CliRunner (fast, same process); a few run
`python -m migrate` in a subprocess, end to end.
"""

from __future__ import annotations

import ast
import os
import pty
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrate.cli import main
from migrate.codemod import migrate_source

TF_OK = "import tensorflow as tf\ny = tf.reduce_sum(x, axis=1)\n"  # every site rewritten
TF_TODO = "import tensorflow as tf\nz = tf.no_such_api_anywhere(x)\n"  # one TODO(unmapped)
PLAIN = "import numpy as np\nx = np.ones(3)\n"  # nothing TF
BROKEN = "import tensorflow as tf\nprint 'hi'\n"  # does not parse
LATIN1 = "# caf\xe9\nimport tensorflow as tf\ny = tf.reduce_sum(x)\n".encode("latin-1")  # not UTF-8


def converted(source: str) -> str:
    """What the engine makes of ``source`` (the CLI must write exactly this)."""
    result = migrate_source(source)
    assert result.error is None
    return result.output


def run(*args: str | Path, input: str | bytes | None = None):  # noqa: A002
    return CliRunner().invoke(main, ["convert", *map(str, args)], input=input, catch_exceptions=False)


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes: equal snapshots mean nothing was written."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------
# Exit codes


def test_exit_0_when_nothing_is_tensorflow(tmp_path: Path) -> None:
    write(tmp_path / "src", {"a.py": PLAIN, "b.py": "x = 1\n"})
    result = run(tmp_path / "src", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "2 files · 0 changed" in result.stdout
    assert (tmp_path / "out" / "a.py").read_text() == PLAIN


def test_exit_0_when_everything_is_rewritten(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": TF_OK})
    result = run(tmp_path / "a.py", "-o", tmp_path / "out.py")
    assert result.exit_code == 0, result.output
    assert "0 TODO" in result.stdout and "coverage 100.0%" in result.stdout
    assert "torch.sum(x, dim=1)" in (tmp_path / "out.py").read_text()


def test_exit_1_when_todos_are_left(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": TF_TODO})
    result = run(tmp_path / "a.py", "-o", tmp_path / "out.py")
    assert result.exit_code == 1
    assert "TODO(unmapped)" in result.stdout
    assert "# migrate: TODO(unmapped)" in (tmp_path / "out.py").read_text()


def test_check_exits_1_and_lists_files_that_would_change(tmp_path: Path) -> None:
    write(tmp_path / "src", {"a.py": TF_OK, "b.py": PLAIN})
    before = snapshot(tmp_path)
    result = run(tmp_path / "src", "--check")
    assert result.exit_code == 1
    assert f"would migrate {tmp_path / 'src' / 'a.py'}" in result.stdout
    assert "b.py" not in "".join(line for line in result.stdout.splitlines() if line.startswith("would migrate"))
    assert snapshot(tmp_path) == before


def test_check_exits_0_when_nothing_would_change(tmp_path: Path) -> None:
    write(tmp_path / "src", {"a.py": PLAIN})
    result = run(tmp_path / "src", "--check")
    assert result.exit_code == 0
    assert "would migrate" not in result.output


def test_dry_run_writes_nothing_and_says_so(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": TF_OK})
    before = snapshot(tmp_path)
    result = run(tmp_path / "a.py")
    assert result.exit_code == 0
    assert "nothing written" in result.stderr
    assert snapshot(tmp_path) == before


USAGE_ERRORS = {
    "o-with-in-place": (["{src}", "-o", "{tmp}/out", "--in-place"], "-o and --in-place"),
    "diff-with-o": (["{src}", "--diff", "-o", "{tmp}/out"], "--diff"),
    "check-with-in-place": (["{src}", "--check", "--in-place"], "--check"),
    "bad-report-suffix": (["{src}", "--report", "{tmp}/report.txt"], "--report"),
    "unknown-select": (["{src}", "--select", "ops,nosuchrule"], "nosuchrule"),
    "unknown-ignore": (["{src}", "--ignore", "nosuch.prefix"], "nosuch.prefix"),
    "nonexistent-path": (["{tmp}/missing"], "no such file"),
    "not-python-explicit": (["{tmp}/notes.txt"], "not a Python file"),
    "stdin-with-others": (["-", "{src}"], "standard input"),
    "stdin-with-o": (["-", "-o", "{tmp}/out.py"], "standard input"),
    "o-is-input": (["{src}", "-o", "{src}"], "is the input itself"),
    "o-file-for-tree": (["{src}", "-o", "{tmp}/notes.txt"], "is a file"),
    "o-overwrites-input": (["{src}/a.py", "-o", "{src}"], "would overwrite the input"),
    # click's own parse errors are one line too
    "no-paths": ([], "Missing argument 'PATHS...'"),
    "jobs-zero": (["{src}", "-j", "0", "--in-place"], "'-j' / '--jobs': 0 is not in the range"),
    "unknown-option": (["{src}", "--in-place", "--bogus"], "No such option '--bogus'"),
}


@pytest.mark.parametrize("case", sorted(USAGE_ERRORS))
def test_usage_errors_are_one_line_exit_2_and_write_nothing(tmp_path: Path, case: str) -> None:
    write(tmp_path, {"src/a.py": TF_OK, "notes.txt": "hello\n"})
    args, expected = USAGE_ERRORS[case]
    before = snapshot(tmp_path)
    result = run(*[a.format(src=tmp_path / "src", tmp=tmp_path) for a in args], input=TF_OK)
    assert result.exit_code == 2
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("migrate: error: ") and expected in lines[0]
    assert result.stdout == ""
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "pyproject",
    [
        "[tool.migrate]\nselectt = ['ops']\n",  # unknown key
        "[tool.migrate]\nselect = 'ops'\n",  # wrong type
        "[tool.migrate]\njobs = 0\n",  # out of range
        "[tool.migrate]\nselect = [\n",  # not TOML
        "[tool.migrate]\nselect = ['nosuchrule']\n",  # unknown rule id
    ],
)
def test_bad_tool_migrate_table_is_a_one_line_usage_error(tmp_path: Path, pyproject: str) -> None:
    write(tmp_path, {"pyproject.toml": pyproject, "src/a.py": TF_OK})
    before = snapshot(tmp_path)
    result = run(tmp_path / "src", "--in-place")
    assert result.exit_code == 2
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("migrate: error: "), result.stderr
    assert snapshot(tmp_path) == before


def test_an_unknown_command_is_one_line() -> None:
    result = CliRunner().invoke(main, ["conver", "x.py"])
    assert result.exit_code == 2
    assert error_lines(result.stderr) == [
        "migrate: error: No such command 'conver'. Did you mean 'convert'? (see `main --help`)"
    ]


def test_empty_tree_is_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run(tmp_path / "empty", "--check")
    assert result.exit_code == 0
    assert "no Python files" in result.stderr


# ---------------------------------------------------------------------------------------
# -o OUT


def test_output_mirrors_the_tree_and_reports_the_broken_file(tmp_path: Path) -> None:
    src = write(
        tmp_path / "src",
        {"a.py": TF_OK, "plain.py": PLAIN, "pkg/__init__.py": "", "pkg/deep/b.py": TF_OK, "bad.py": BROKEN},
    )
    os.chmod(src / "a.py", 0o755)
    before = snapshot(src)
    result = run(src, "-o", tmp_path / "out", "-j", "1")
    out = tmp_path / "out"
    assert result.exit_code == 2  # an input error, though the rest was converted
    assert sorted(snapshot(out)) == sorted(before)  # the tree is complete
    assert (out / "a.py").read_text() == converted(TF_OK)
    assert (out / "pkg/deep/b.py").read_text() == converted(TF_OK)
    assert (out / "plain.py").read_text() == PLAIN
    assert (out / "pkg/__init__.py").read_text() == ""
    assert (out / "bad.py").read_text() == BROKEN  # copied as it was
    assert stat.S_IMODE((out / "a.py").stat().st_mode) == 0o755  # a script stays executable
    assert re.search(r"bad\.py: error: does not parse: line 2, column \d+", result.stdout)
    assert snapshot(src) == before  # the input is untouched


def test_output_files_are_not_private(tmp_path: Path) -> None:
    # mkstemp makes 0600 files: new outputs must get the usual umask mode instead.
    write(tmp_path, {"a.py": TF_OK})
    os.chmod(tmp_path / "a.py", 0o644)
    run(tmp_path / "a.py", "-o", tmp_path / "out.py")
    assert stat.S_IMODE((tmp_path / "out.py").stat().st_mode) == 0o644


def test_output_single_file(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": TF_OK})
    result = run(tmp_path / "a.py", "-o", tmp_path / "new" / "b.py")
    assert result.exit_code == 0
    assert (tmp_path / "new" / "b.py").read_text() == converted(TF_OK)
    assert list((tmp_path / "new").iterdir()) == [tmp_path / "new" / "b.py"]


@pytest.mark.parametrize("existing", [True, False])
def test_output_directory_for_a_single_file(tmp_path: Path, existing: bool) -> None:
    # An existing directory, or a new name without a suffix, receives the file by its name.
    write(tmp_path, {"a.py": TF_OK})
    if existing:
        (tmp_path / "out").mkdir()
    result = run(tmp_path / "a.py", "-o", tmp_path / "out")
    assert result.exit_code == 0
    assert (tmp_path / "out" / "a.py").read_text() == converted(TF_OK)


def test_several_paths_go_under_their_names(tmp_path: Path) -> None:
    write(tmp_path, {"one/a.py": TF_OK, "two/sub/b.py": PLAIN, "c.py": TF_OK})
    result = run(tmp_path / "one", tmp_path / "two", tmp_path / "c.py", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert sorted(snapshot(tmp_path / "out")) == ["c.py", "one/a.py", "two/sub/b.py"]
    assert (tmp_path / "out/one/a.py").read_text() == converted(TF_OK)


def test_two_inputs_with_one_destination_are_refused(tmp_path: Path) -> None:
    write(tmp_path, {"x/src/a.py": TF_OK, "y/src/a.py": TF_OK})
    result = run(tmp_path / "x/src", tmp_path / "y/src", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "would both be written" in result.stderr
    assert not (tmp_path / "out").exists()


def test_output_inside_the_input_is_not_walked(tmp_path: Path) -> None:
    src = write(tmp_path / "src", {"a.py": TF_OK, "b.py": TF_TODO})
    first = run(src, "-o", src / "converted")
    second = run(src, "-o", src / "converted")
    assert first.exit_code == second.exit_code == 1
    assert "2 files" in second.stdout  # not 4: converted/ is never an input
    assert not (src / "converted" / "converted").exists()


# ---------------------------------------------------------------------------------------
# --in-place, --diff, --check, stdin


def test_in_place_rewrites_only_changed_files_and_keeps_their_mode(tmp_path: Path) -> None:
    src = write(tmp_path / "src", {"a.py": TF_OK, "plain.py": PLAIN})
    os.chmod(src / "a.py", 0o751)
    untouched = (src / "plain.py").stat()
    result = run(src, "--in-place")
    assert result.exit_code == 0
    assert (src / "a.py").read_text() == converted(TF_OK)
    assert stat.S_IMODE((src / "a.py").stat().st_mode) == 0o751
    after = (src / "plain.py").stat()
    assert (after.st_ino, after.st_mtime_ns) == (untouched.st_ino, untouched.st_mtime_ns)
    assert not list(src.rglob("*.migrate-tmp"))
    again = run(src, "--in-place")  # a second run changes nothing
    assert "0 changed" in again.stdout


def test_in_place_keeps_crlf_newlines(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": TF_OK.replace("\n", "\r\n")})
    run(tmp_path / "a.py", "--in-place")
    data = (tmp_path / "a.py").read_bytes()
    assert b"torch.sum" in data and data.count(b"\r\n") == data.count(b"\n")


def test_in_place_keeps_a_byte_order_mark(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": "\ufeff" + TF_OK})
    result = run(tmp_path / "a.py", "--in-place")
    assert result.exit_code == 0
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == "\ufeff" + converted(TF_OK)


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path: Path) -> None:
    src = write(tmp_path / "src", {"a.py": TF_OK, "plain.py": PLAIN})
    before = snapshot(tmp_path)
    result = run(src, "--diff")
    assert result.exit_code == 0
    a = src / "a.py"
    assert result.stdout.startswith(f"--- a/{a}\n+++ b/{a}\n@@ ")
    assert "-y = tf.reduce_sum(x, axis=1)\n" in result.stdout
    assert "+y = torch.sum(x, dim=1)\n" in result.stdout
    assert "plain.py" not in result.stdout
    assert "migrate: " in result.stderr and "migrate: " not in result.stdout  # the report stays off stdout
    assert snapshot(tmp_path) == before


def test_diff_marks_a_missing_final_newline() -> None:
    from migrate.cli import _unified_diff

    text = _unified_diff("a.py", "x = 1\ny = 2", "x = 1\ny = 3")
    assert text.endswith("-y = 2\n\\ No newline at end of file\n+y = 3\n\\ No newline at end of file\n")


def test_file_without_final_newline_is_converted(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": TF_OK.rstrip("\n")})
    result = run(tmp_path / "a.py", "--diff")
    assert result.exit_code == 0, result.output
    assert "+y = torch.sum(x, dim=1)" in result.stdout


def test_an_engine_crash_costs_one_file_not_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import migrate.codemod.runner as runner

    real = runner.migrate_source

    def fragile(source: str, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if "boom" in source:
            raise IndexError("list index out of range")
        return real(source, *args, **kwargs)

    monkeypatch.setattr(runner, "migrate_source", fragile)
    src = write(tmp_path / "src", {"a.py": TF_OK + "# boom\n", "b.py": TF_OK})
    result = run(src, "--in-place", "-j", "1")
    assert result.exit_code == 2
    assert "a.py: error: internal error, left untouched (please report): IndexError" in result.stdout
    assert (src / "a.py").read_text() == TF_OK + "# boom\n"
    assert (src / "b.py").read_text() == converted(TF_OK)


def test_diff_and_check_together(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": TF_OK})
    result = run(tmp_path / "a.py", "--diff", "--check")
    assert result.exit_code == 1
    assert "+y = torch.sum" in result.stdout
    assert "would migrate" in result.stderr and "would migrate" not in result.stdout


def test_stdin_to_stdout() -> None:
    result = run("-", input=TF_OK)
    assert result.exit_code == 0
    assert result.stdout == converted(TF_OK)
    assert "1 rewritten" in result.stderr


def test_stdin_unparseable_is_echoed_back_with_exit_2() -> None:
    result = run("-", input=BROKEN)
    assert result.exit_code == 2
    assert result.stdout == BROKEN
    assert "<stdin>: error: does not parse" in result.stderr


def test_stdin_with_diff_and_check() -> None:
    diff = run("-", "--diff", input=TF_OK)
    assert diff.stdout.startswith("--- a/<stdin>\n+++ b/<stdin>\n")
    check = run("-", "--check", input=TF_OK)
    assert check.exit_code == 1 and check.stdout == ""
    assert "would migrate <stdin>" in check.stderr


def test_stdin_not_utf8_is_one_line_exit_2() -> None:
    result = run("-", input=LATIN1)
    assert result.exit_code == 2
    assert error_lines(result.stderr) == ["migrate: error: <stdin>: is not UTF-8"]


# ---------------------------------------------------------------------------------------
# Bad files are reported and left alone; the run goes on


def test_non_utf8_and_unparseable_files_are_left_untouched(tmp_path: Path) -> None:
    src = write(tmp_path / "src", {"a_latin.py": LATIN1, "b_bad.py": BROKEN, "c_ok.py": TF_OK})
    result = run(src, "--in-place", "-j", "1")
    assert result.exit_code == 2
    assert (src / "a_latin.py").read_bytes() == LATIN1
    assert (src / "b_bad.py").read_text() == BROKEN
    assert (src / "c_ok.py").read_text() == converted(TF_OK)  # the run went on
    errors = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 2
    assert re.fullmatch(rf"{re.escape(str(src / 'a_latin.py'))}: error: is not UTF-8 .*", errors[0])
    assert re.fullmatch(rf"{re.escape(str(src / 'b_bad.py'))}: error: does not parse: line 2, column \d+: .*", errors[1])
    assert "2 errors" in result.stdout


def test_a_failed_write_fails_that_file_not_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import migrate.cli

    real = migrate.cli.write_atomic

    def read_only_disk(path: Path, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        if "locked" in str(path):
            raise PermissionError(13, "Permission denied")
        real(path, *args, **kwargs)

    monkeypatch.setattr(migrate.cli, "write_atomic", read_only_disk)
    src = write(tmp_path / "src", {"locked/a.py": TF_OK, "open/b.py": TF_OK})
    result = run(src, "--in-place", "-j", "1")
    assert result.exit_code == 2
    assert "a.py: error: cannot be written: Permission denied" in result.stdout
    assert (src / "locked/a.py").read_text() == TF_OK
    assert (src / "open/b.py").read_text() == converted(TF_OK)


# ---------------------------------------------------------------------------------------
# Selection


def test_select_and_ignore(tmp_path: Path) -> None:
    source = "import tensorflow as tf\na, b = tf.split(x, 2, axis=1)\ny = tf.reduce_sum(x, axis=1)\nz = tf.nn.relu(y)\n"
    write(tmp_path, {"a.py": source})
    result = run(tmp_path / "a.py", "--select", "ops", "--ignore", "ops.split", "--diff")
    assert result.exit_code == 0
    assert "+y = torch.sum(x, dim=1)" in result.stdout
    assert "tf.split(x, 2, axis=1)" not in "".join(l for l in result.stdout.splitlines() if l.startswith("-"))
    assert "tf.nn.relu" not in "".join(l for l in result.stdout.splitlines() if l.startswith("-"))
    assert "1 rewritten" in result.stderr and "2 ignored" in result.stderr


# ---------------------------------------------------------------------------------------
# -j


def test_parallel_output_is_byte_identical(tmp_path: Path) -> None:
    files = {}
    for i in range(30):
        kind = (TF_OK, TF_TODO, PLAIN)[i % 3]
        files[f"pkg{i % 4}/m{i:02d}.py"] = f"# module {i}\n" + kind
    src = write(tmp_path / "src", files)
    one = run(src, "-o", tmp_path / "j1", "-j", "1")
    two = run(src, "-o", tmp_path / "j2", "-j", "2")
    assert one.exit_code == two.exit_code == 1
    assert snapshot(tmp_path / "j1") == snapshot(tmp_path / "j2")
    assert len(snapshot(tmp_path / "j1")) == 30
    assert one.stdout == two.stdout


# ---------------------------------------------------------------------------------------
# End to end, in a subprocess


def cli(*args: str | Path, cwd: Path, **kwargs) -> subprocess.CompletedProcess:  # noqa: ANN003
    return subprocess.run(
        [sys.executable, "-m", "migrate", "convert", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=60, **kwargs,
    )


def test_end_to_end_tree_to_output_with_report(tmp_path: Path) -> None:
    write(tmp_path / "src", {"a.py": TF_OK, "b.py": TF_TODO, "c.py": PLAIN})
    done = cli("src", "-o", "out", "--report", "report.md", cwd=tmp_path)
    assert done.returncode == 1
    assert (tmp_path / "out/a.py").read_text() == converted(TF_OK)
    assert (tmp_path / "out/c.py").read_text() == PLAIN
    assert re.search(r"^src/b\.py:2:4: TODO\(unmapped\) ", done.stdout, re.MULTILINE)
    assert "## What is left" in (tmp_path / "report.md").read_text()
    # No progress bar when stderr is not a terminal.
    assert "converting" not in done.stderr and "━" not in done.stderr + done.stdout


def test_end_to_end_stdin(tmp_path: Path) -> None:
    done = cli("-", cwd=tmp_path, input=TF_OK)
    assert done.returncode == 0
    assert done.stdout == converted(TF_OK)


def test_end_to_end_usage_error(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": TF_OK})
    done = cli("a.py", "-o", "out", "--in-place", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("migrate: error:")
    assert not (tmp_path / "out").exists()


def test_progress_bar_goes_to_a_terminal_stderr_never_stdout(tmp_path: Path) -> None:
    write(tmp_path / "src", {f"m{i}.py": TF_OK for i in range(8)})
    leader, follower = pty.openpty()
    received = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                return
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "migrate", "convert", "src", "--diff", "-j", "1"],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=follower, timeout=60,
            env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
        )
    finally:
        os.close(follower)
        reader.join(timeout=5)
        os.close(leader)
    assert done.returncode == 0
    assert b"converting" in received  # the bar is drawn on the terminal...
    assert b"converting" not in done.stdout and "━".encode() not in done.stdout  # ...and never in the diff
    assert done.stdout.startswith(b"--- a/src/m0.py\n")


# ---------------------------------------------------------------------------------------
# Atomic writes when the process is killed


BIG_TF = "import tensorflow as tf\n" + "".join(
    f"y{i} = tf.reduce_sum(tf.square(x{i}), axis=1)\nz{i} = tf.nn.relu(tf.matmul(y{i}, w))\n" for i in range(20)
)


def test_sigkill_leaves_every_file_original_or_fully_converted(tmp_path: Path) -> None:
    src = write(tmp_path / "src", {f"m{i:03d}.py": BIG_TF for i in range(200)})
    expected = converted(BIG_TF)
    assert expected != BIG_TF
    process = subprocess.Popen(
        [sys.executable, "-m", "migrate", "convert", "src", "--in-place", "-j", "1", "-q"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    first = src / "m000.py"
    deadline = time.monotonic() + 30
    try:
        while first.read_text() == BIG_TF and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL  # killed, not finished
    states = {"original": 0, "converted": 0}
    for path in sorted(src.glob("*.py")):
        text = path.read_text()
        assert text in (BIG_TF, expected), f"{path.name} is half-written"
        ast.parse(text)
        states["original" if text == BIG_TF else "converted"] += 1
    assert states["converted"] >= 1 and states["original"] >= 1, states  # it really stopped mid-run
    # SIGKILL can land between creating a temporary file and renaming it into place: at most
    # one hidden `.NAME.*.migrate-tmp` file may remain, never under a source name, and never
    # picked up by a later run (its suffix is not .py).
    leftovers = list(src.glob("*.migrate-tmp")) + list(src.glob(".*.migrate-tmp"))
    assert len(leftovers) <= 1
    assert all(p.name.startswith(".m") for p in leftovers)
