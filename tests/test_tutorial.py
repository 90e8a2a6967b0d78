"""docs/tutorial.md cannot drift: its project files are converted and audited for real, and
the converted code and the command outputs the page shows must be what the commands print.

Fast by design: only `migrate audit` and `migrate convert` run (they read code, never import
TensorFlow or torch); the steps that build models are checked by hand when the page changes.

How the page marks its files: a ```python block whose first line is `# digits/<file>` is a
project file; one whose first line is `# digits_torch/<file>` is the converted file, either whole
or as an excerpt whose elided parts are lines `...` (the parts must appear in order, the first
at the start and the last at the end). A ```console block `$ migrate audit …` or
`$ migrate convert …` shows the command's whole output (less trailing blank lines).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrate.cli import main

from .conftest import ROOT

PAGE = ROOT / "docs" / "tutorial.md"
SOURCE, CONVERTED = "digits/", "digits_torch/"


def _blocks(language: str) -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.M | re.S)


def _files(prefix: str) -> dict[str, str]:
    """The page's files under ``prefix``, by path, without their marker line."""
    files = {}
    for block in _blocks("python"):
        first, _, body = block.partition("\n")
        if first.startswith(f"# {prefix}"):
            files[first.removeprefix("# ")] = body
    return files


def _console(command: str) -> tuple[list[str], str]:
    """The arguments and the shown output of the page's console block ``$ migrate <command> …``."""
    for block in _blocks("console"):
        first, _, output = block.partition("\n")
        if first.startswith(f"$ migrate {command} "):
            return shlex.split(first)[3:], output
    raise AssertionError(f"the tutorial shows no `$ migrate {command}` block")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The tutorial's project written out, audited and converted as the page does it."""
    root = tmp_path_factory.mktemp("tutorial")
    sources = _files(SOURCE)
    (root / SOURCE).mkdir()
    (root / SOURCE / "__init__.py").write_text("", encoding="utf-8")  # "an empty digits/__init__.py"
    for path, text in sources.items():
        (root / path).write_text(text, encoding="utf-8")
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)  # the commands print paths as the user typed them
        audit_args, _ = _console("audit")
        convert_args, _ = _console("convert")
        audit = runner.invoke(main, ["audit", *audit_args], catch_exceptions=False)
        convert = runner.invoke(main, ["convert", *convert_args, "--jobs", "1"], catch_exceptions=False)
    converted = {
        str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted((root / CONVERTED).rglob("*.py"))
    }
    return {"sources": sources, "audit": audit, "convert": convert, "converted": converted}


def test_the_page_shows_the_whole_project() -> None:
    assert sorted(_files(SOURCE)) == ["digits/data.py", "digits/model.py", "digits/train.py"]
    assert sorted(_files(CONVERTED)) == ["digits_torch/data.py", "digits_torch/model.py", "digits_torch/train.py"]


def test_the_steps_run_in_the_order_of_a_migration() -> None:
    """audit → convert → model → weights → verify → export, each first shown in that order."""
    text = PAGE.read_text(encoding="utf-8")
    commands = re.findall(r"^\$ (?:[A-Z_]+=\S* )?migrate ([a-z]+)", text, flags=re.M)
    assert list(dict.fromkeys(commands)) == ["audit", "convert", "model", "weights", "verify", "export"]


def test_audit_prints_what_the_page_shows(project: dict) -> None:
    _, shown = _console("audit")
    assert project["audit"].exit_code == 0
    assert project["audit"].output.rstrip("\n") == shown.rstrip("\n")  # the page drops the final blank line


def test_convert_prints_what_the_page_shows(project: dict) -> None:
    _, shown = _console("convert")
    assert project["convert"].exit_code == 0, "no TODO is left, so the exit code is 0"
    assert project["convert"].output == shown


@pytest.mark.parametrize("path", sorted(_files(CONVERTED)))
def test_converted_code_is_what_the_page_shows(project: dict, path: str) -> None:
    shown = _files(CONVERTED)[path]
    actual = project["converted"].get(path)
    assert actual is not None, f"`migrate convert` wrote no {path}"
    parts = re.split(r"^\.\.\.\n", shown, flags=re.M)
    if len(parts) == 1:
        assert actual == shown
        return
    assert actual.startswith(parts[0]), f"{path}: the page's first part is not how the file begins"
    assert actual.endswith(parts[-1]), f"{path}: the page's last part is not how the file ends"
    position = len(parts[0])
    for part in parts[1:-1]:
        found = actual.find(part, position)
        assert found >= 0, f"{path}: this part of the page is not in the converted file (in order):\n{part}"
        position = found + len(part)
    assert position <= len(actual) - len(parts[-1])


def test_the_handwritten_mistake_is_one_line_of_the_converted_model(project: dict) -> None:
    """The verify step breaks the converted module by one line: that line must still be there."""
    (diff,) = _blocks("diff")
    removed = [line[1:] for line in diff.splitlines() if line.startswith("-")]
    added = [line[1:] for line in diff.splitlines() if line.startswith("+")]
    assert len(removed) == len(added) == 1
    assert removed[0] + "\n" in project["converted"]["digits_torch/model.py"]
    assert removed[0] != added[0]
