"""Jupyter notebooks: converted cell by cell, with outputs, metadata, markdown and IPython
magics left as they were, and findings that name their cell."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from migrate.cli import main
from migrate.codemod.notebook import migrate_notebook


def notebook(*cells, language: str = "python") -> nbformat.NotebookNode:  # noqa: ANN002
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": language}
    nb.metadata["language_info"] = {"name": language, "version": "3.11.7"}
    return nb


def code(source: str, count: int | None = None, outputs: list | None = None, **metadata) -> nbformat.NotebookNode:  # noqa: ANN003
    return new_code_cell(source, execution_count=count, outputs=outputs or [], metadata=metadata)


def save(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def convert(*args: str | Path):
    return CliRunner().invoke(main, ["convert", *map(str, args)], catch_exceptions=False)


def demo() -> nbformat.NotebookNode:
    return notebook(
        code("%matplotlib inline\nimport tensorflow as tf\nimport numpy as np", 1, tags=["setup"]),
        new_markdown_cell("## Sum\nWe call `tf.reduce_sum(x, axis=1)` here.\n\n    y = tf.reduce_sum(x)"),
        code(
            "!pip install foo\nx = np.ones((2, 3))\ny = tf.reduce_sum(x, axis=1)\nz = tf.no_such_api(x)",
            2,
            [
                new_output("stream", name="stdout", text="Collecting foo\n"),
                new_output("execute_result", data={"text/plain": "array([3., 3.])"}, execution_count=2),
            ],
        ),
        code("%%bash\necho tf.reduce_sum(x)\n", 3, [new_output("stream", name="stdout", text="tf.reduce_sum(x)\n")]),
        new_raw_cell("tf.reduce_sum(x) in a raw cell"),
        code("", None),
    )


def test_cells_are_converted_one_by_one_and_everything_else_kept(tmp_path: Path) -> None:
    original = demo()
    source = save(original, tmp_path / "nb.ipynb")
    result = convert(source, "-o", tmp_path / "out", "--report", tmp_path / "report.json")
    assert result.exit_code == 1, result.output  # one TODO is left
    out = nbformat.read(str(tmp_path / "out" / "nb.ipynb"), as_version=4)
    nbformat.validate(out)
    assert len(out.cells) == len(original.cells)
    assert out.metadata == original.metadata

    setup = out.cells[0].source.splitlines()
    assert setup[0] == "%matplotlib inline"  # the magic is back, in its place
    assert "import torch" in setup and "import numpy as np" in setup
    assert out.cells[0].metadata == {"tags": ["setup"]}

    assert out.cells[1] == original.cells[1]  # markdown: untouched, code-looking text included

    body = out.cells[2].source.splitlines()
    assert body[0] == "!pip install foo"
    assert "y = torch.sum(x, dim=1)" in body
    assert "# migrate: TODO(unmapped) no rule for `tf.no_such_api` yet" in body
    assert body[-1] == "z = tf.no_such_api(x)"

    for index in (0, 2, 3, 5):  # outputs and execution counts survive
        assert out.cells[index].outputs == original.cells[index].outputs
        assert out.cells[index].execution_count == original.cells[index].execution_count
    assert out.cells[3] == original.cells[3]  # a %%bash cell is not Python
    assert out.cells[4] == original.cells[4]  # raw
    assert out.cells[5].source == ""

    # Findings name the cell, with the line and column inside it.
    assert "nb.ipynb[cell 2]:4:4: TODO(unmapped) no rule for `tf.no_such_api` yet" in result.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    findings = report["files"][0]["findings"]
    assert {(f["rule"], f["cell"], f["line"], f["col"]) for f in findings} == {
        ("ops.reduce_sum", 2, 3, 4),
        ("unmapped", 2, 4, 4),
    }


def test_a_converted_notebook_is_stable(tmp_path: Path) -> None:
    path = save(demo(), tmp_path / "nb.ipynb")
    convert(path, "--in-place")
    once = path.read_bytes()
    again = convert(path, "--in-place")
    assert "0 changed" in again.stdout
    assert path.read_bytes() == once
    assert once.endswith(b"}\n")


def test_imports_in_one_cell_uses_in_another(tmp_path: Path) -> None:
    nb = notebook(code("import tensorflow as tf"), code("x = 1"), code("y = tf.reduce_sum(x, axis=1)"))
    result = migrate_notebook(nbformat.writes(nb), "nb.ipynb")
    assert result.error is None
    sources = [cell.source for cell in nbformat.reads(result.output, 4).cells]
    assert sources == ["import torch", "x = 1", "y = torch.sum(x, dim=1)"]
    assert [(f.cell, f.line) for f in result.findings] == [(2, 1)]


def test_a_notebook_without_tensorflow_is_left_byte_for_byte(tmp_path: Path) -> None:
    path = save(notebook(code("import numpy as np\n%time np.ones(3)", 1)), tmp_path / "nb.ipynb")
    text = path.read_text().replace("\n", "\n\n", 1)  # formatting nbformat would not write
    path.write_text(text)
    result = convert(path, "--in-place")
    assert result.exit_code == 0
    assert path.read_text() == text


def test_many_magics_are_restored_exactly() -> None:
    # Placeholder keys `...-1` and `...-10` share a prefix: each magic must come back as itself.
    magics = [f"%env VAR_{i}=value_{i}" for i in range(13)]
    nb = notebook(code("import tensorflow as tf\n" + "\n".join(magics) + "\ny = tf.reduce_sum(x)"))
    result = migrate_notebook(nbformat.writes(nb), "nb.ipynb")
    assert result.error is None and result.changed
    lines = nbformat.reads(result.output, 4).cells[0].source.splitlines()
    assert [line for line in lines if line.startswith("%")] == magics


@pytest.mark.parametrize(
    "cell",
    [
        "files = !ls *.csv\ny = tf.reduce_sum(x)",  # an assigned shell escape
        "t = %timeit -o f()\ny = tf.reduce_sum(x)",  # an assigned line magic
        "for f in files:\n    !wget {f}\ny = tf.reduce_sum(x)",  # a magic alone in a block
        "if x:\n    %time f()\n    g()\ny = tf.reduce_sum(x)",
        "tf.reduce_sum?\ny = tf.reduce_sum(x)",  # help lookup
        "  ?tf.reduce_sum\ny = tf.reduce_sum(x)",
    ],
)
def test_ipython_syntax_is_kept(cell: str) -> None:
    nb = notebook(code("import tensorflow as tf"), code(cell))
    result = migrate_notebook(nbformat.writes(nb), "nb.ipynb")
    assert result.error is None, result.error
    out = nbformat.reads(result.output, 4).cells[1].source
    assert out == cell.replace("y = tf.reduce_sum(x)", "y = torch.sum(x)")


def test_cell_magics_with_a_python_body_are_converted() -> None:
    nb = notebook(
        code("%%time\nimport tensorflow as tf"),
        code("%%timeit -n 10\ny = tf.reduce_sum(x)"),
        code("%%writefile train.py\nimport tensorflow as tf\ny = tf.reduce_sum(x)"),
    )
    result = migrate_notebook(nbformat.writes(nb), "nb.ipynb")
    assert result.error is None
    sources = [cell.source for cell in nbformat.reads(result.output, 4).cells]
    assert sources == [
        "%%time\nimport torch",
        "%%timeit -n 10\ny = torch.sum(x)",
        "%%writefile train.py\nimport tensorflow as tf\ny = tf.reduce_sum(x)",  # a file's text, not code
    ]


def test_invalid_json_is_an_error_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [ {"cell_type": "code", "source": "import tensorflow as tf"')
    other = save(notebook(code("import tensorflow as tf\ny = tf.reduce_sum(x)")), tmp_path / "ok.ipynb")
    before = path.read_bytes()
    result = convert(tmp_path, "--in-place", "-j", "1")
    assert result.exit_code == 2
    assert path.read_bytes() == before
    assert f"{path}: error: not a readable notebook" in result.stdout
    assert "torch.sum" in other.read_text()  # the run went on


def test_a_cell_that_does_not_parse_is_named(tmp_path: Path) -> None:
    nb = notebook(code("import tensorflow as tf"), new_markdown_cell("text"), code("x = 1\ny = tf.reduce_sum(x,\n"))
    path = save(nb, tmp_path / "nb.ipynb")
    before = path.read_bytes()
    result = convert(path, "--in-place")
    assert result.exit_code == 2
    assert path.read_bytes() == before
    (line,) = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert line.startswith(f"{path}: error: cell 2: does not parse: line ")


def test_a_syntax_error_names_the_line_inside_its_cell() -> None:
    nb = notebook(code("import tensorflow as tf\nx = 1"), code("a = 1\nb = 2\nprint 'hi'\n"))
    result = migrate_notebook(nbformat.writes(nb), "nb.ipynb")
    assert result.error is not None and result.error.startswith("cell 1: does not parse: line ")
    # Line 3 of the cell, not of the joined cells (that would be 7).
    assert result.error.startswith("cell 1: does not parse: line 3, column 1: Missing parentheses")


def test_old_notebook_format_is_an_error() -> None:
    old = json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]})
    result = migrate_notebook(old, "old.ipynb")
    assert result.error is not None and "format < 4" in result.error
    assert result.output == old


def test_a_notebook_in_another_language_is_left_alone() -> None:
    nb = notebook(code("library(tensorflow)\nx <- tf$reduce_sum(y)"), language="R")
    text = nbformat.writes(nb)
    result = migrate_notebook(text, "r.ipynb")
    assert result.error is None and result.output == text and not result.changed


def test_diff_of_a_notebook(tmp_path: Path) -> None:
    path = save(notebook(code("import tensorflow as tf\ny = tf.reduce_sum(x)")), tmp_path / "nb.ipynb")
    before = path.read_bytes()
    result = convert(path, "--diff")
    assert result.exit_code == 0
    assert '+    "y = torch.sum(x)"' in result.stdout
    assert path.read_bytes() == before
