"""The report: JSON (validated against docs/schemas/report.schema.json), Markdown and the
terminal text."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_notebook

from migrate import __version__
from migrate.cli import main
from migrate.codemod.findings import FileResult, Finding, Outcome
from migrate.codemod.report import SCHEMA, Report

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "schemas" / "report.schema.json"

TF_OK = "import tensorflow as tf\ny = tf.reduce_sum(x, axis=1)\n"
TF_TODO = "import tensorflow as tf\ny = tf.reduce_sum(x)\nz = tf.no_such_api(x)\n"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def convert(*args: str | Path, input: str | None = None):  # noqa: A002
    return CliRunner().invoke(main, ["convert", *map(str, args)], input=input, catch_exceptions=False)


def tree(root: Path) -> Path:
    """A bit of everything: rewritten, TODO, unchanged, ignored-by-nothing, broken, notebook."""
    files = {
        "a_ok.py": TF_OK,
        "b_todo.py": TF_TODO,
        "c_plain.py": "x = 1\n",
        "d_bad.py": "import tensorflow as tf\nprint 'x'\n",
        "e_star.py": "from tensorflow.keras.layers import *\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    nb = new_notebook(cells=[new_code_cell("import tensorflow as tf"), new_code_cell("z = tf.no_such_api(1)")])
    nbformat.write(nb, str(root / "f_nb.ipynb"))
    (root / "g_latin.py").write_bytes(b"# caf\xe9\n")
    return root


def finding(rule: str, outcome: Outcome, line: int, col: int = 0, cell: int | None = None) -> Finding:
    message = "" if outcome is Outcome.REWRITTEN else f"why {rule}"
    return Finding(rule, outcome, f"tensorflow.{rule}", message, line, col, cell)


# ---------------------------------------------------------------------------------------
# JSON


def test_cli_json_report_validates(tmp_path: Path, validator: jsonschema.Draft202012Validator) -> None:
    src = tree(tmp_path / "src")
    result = convert(src, "--check", "--select", "ALL", "--ignore", "nn", "--report", tmp_path / "report.json")
    assert result.exit_code == 2  # two files have errors
    data = json.loads((tmp_path / "report.json").read_text())
    validator.validate(data)
    assert data["schema"] == SCHEMA and data["tool"] == {"name": "migrate", "version": __version__}

    by_name = {Path(f["path"]).name: f for f in data["files"]}
    assert list(by_name) == sorted(by_name)
    assert by_name["a_ok.py"]["status"] == "changed" and by_name["a_ok.py"]["coverage"] == 100.0
    assert by_name["b_todo.py"]["todo_by_rule"] == {"unmapped": 1}
    assert by_name["c_plain.py"] == {
        "path": str(src / "c_plain.py"), "status": "unchanged", "error": None, "sites": 0, "rewritten": 0,
        "todo": 0, "ignored": 0, "coverage": 100.0, "todo_by_rule": {}, "findings": [],
    }
    assert by_name["d_bad.py"]["status"] == "error" and by_name["d_bad.py"]["error"].startswith("does not parse: line 2")
    assert by_name["g_latin.py"]["error"].startswith("is not UTF-8")
    assert [f["rule"] for f in by_name["e_star.py"]["findings"]] == ["imports.star"]
    (nb_finding,) = by_name["f_nb.ipynb"]["findings"]
    assert (nb_finding["cell"], nb_finding["line"], nb_finding["col"]) == (1, 1, 4)
    assert "cell" not in by_name["b_todo.py"]["findings"][0]

    summary = data["summary"]
    assert summary["files"] == 7 and summary["errors"] == 2
    for key in ("sites", "rewritten", "todo", "ignored"):
        assert summary[key] == sum(f[key] for f in data["files"])
    assert summary["changed"] == sum(f["status"] == "changed" for f in data["files"])
    assert summary["todo_by_rule"] == {"imports.star": 1, "unmapped": 2}


def test_stdin_json_report_validates(tmp_path: Path, validator: jsonschema.Draft202012Validator) -> None:
    result = convert("-", "--report", tmp_path / "r.json", input=TF_TODO)
    assert result.exit_code == 1
    data = json.loads((tmp_path / "r.json").read_text())
    validator.validate(data)
    assert data["files"][0]["path"] == "<stdin>"


def test_schema_lists_exactly_the_fields_to_json_writes() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    report = Report()
    report.add(FileResult("a.py", "x", "y", [finding("ops.add", Outcome.REWRITTEN, 1, cell=0)]))
    data = report.to_json()
    assert set(schema["properties"]) == set(schema["required"]) == set(data)
    assert set(schema["properties"]["summary"]["properties"]) == set(data["summary"])
    file_schema = schema["$defs"]["file"]
    assert set(file_schema["properties"]) == set(file_schema["required"]) == set(data["files"][0])
    finding_schema = schema["$defs"]["finding"]
    assert set(finding_schema["properties"]) == set(data["files"][0]["findings"][0])
    assert set(finding_schema["properties"]) - set(finding_schema["required"]) == {"cell"}


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d.update(extra=1),
        lambda d: d["summary"].update(extra=1),
        lambda d: d["files"][0].update(status="modified"),
        lambda d: d["files"][0].update(error="boom"),  # an error on a file that is not in error
        lambda d: d["files"][1].update(error=None),  # an error file without its reason
        lambda d: d["files"][0]["findings"][0].update(outcome="done"),
        lambda d: d["files"][0]["findings"][0].update(line=0),
        lambda d: d["files"][0]["findings"][0].pop("api"),
        lambda d: d["files"][0]["todo_by_rule"].update({"ops.add": 0}),
        lambda d: d["summary"].update(coverage=100.5),
        lambda d: d.update(schema="migrate.report/2"),
    ],
)
def test_schema_rejects_what_to_json_never_writes(validator: jsonschema.Draft202012Validator, breakage) -> None:  # noqa: ANN001
    report = Report()
    report.add(FileResult("a.py", "x", "y", [finding("ops.add", Outcome.TODO, 3, 4)]))
    report.add(FileResult("b.py", "", "", error="does not parse"))
    data = report.to_json()
    validator.validate(copy.deepcopy(data))
    breakage(data)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)


def test_empty_report_validates(validator: jsonschema.Draft202012Validator) -> None:
    data = Report().to_json()
    validator.validate(data)
    assert data["summary"]["coverage"] == 100.0 and data["files"] == []


def test_coverage_leaves_ignored_sites_out() -> None:
    report = Report()
    report.add(
        FileResult(
            "a.py", "x", "y",
            [finding("ops.add", Outcome.REWRITTEN, 1), finding("ops.add", Outcome.TODO, 2), finding("nn.relu", Outcome.IGNORED, 3)],
        )
    )
    summary = report.to_json()["summary"]
    assert (summary["sites"], summary["rewritten"], summary["todo"], summary["ignored"]) == (3, 1, 1, 1)
    assert summary["coverage"] == 50.0
    assert report.summary_line() == (
        "migrate: 1 file · 1 changed · 3 TF/Keras sites · 1 rewritten · 1 TODO · 1 ignored · coverage 50.0%"
    )


def test_json_report_is_written_atomically(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(TF_OK)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "r.json").write_text("old")
    convert(tmp_path / "a.py", "--report", tmp_path / "reports" / "r.json")
    assert [p.name for p in (tmp_path / "reports").iterdir()] == ["r.json"]
    assert json.loads((tmp_path / "reports" / "r.json").read_text())["summary"]["changed"] == 1


# ---------------------------------------------------------------------------------------
# Markdown


def test_cli_markdown_report(tmp_path: Path) -> None:
    src = tree(tmp_path / "src")
    convert(src, "--report", tmp_path / "report.md")
    text = (tmp_path / "report.md").read_text()
    assert text.startswith("# Migration report\n\n7 files · ")
    for row in ("| files | 7 |", "| errors | 2 |", "| left as TODO | 3 |", "| `unmapped` | 2 |", "| `imports.star` | 1 |"):
        assert row in text
    assert "## TODOs by rule" in text and "## What is left" in text and "## Errors" in text
    assert f"| `{src / 'a_ok.py'}` | changed | 1 | 1 | 0 | 100.0% |" in text
    assert f"- {src / 'b_todo.py'}:3:4 `unmapped`: no rule for `tf.no_such_api` yet" in text
    assert f"- {src / 'f_nb.ipynb'}[cell 1]:1:4 `unmapped`: no rule for `tf.no_such_api` yet" in text
    assert f"<summary><code>{src / 'b_todo.py'}</code>: 1 TODO</summary>" in text
    assert re.search(rf"- `{re.escape(str(src / 'd_bad.py'))}`: does not parse: line 2", text)


def test_markdown_escapes_table_pipes() -> None:
    report = Report()
    report.add(FileResult("a|b.py", "x", "x", [finding("ops.add", Outcome.TODO, 1)]))
    report.files[0].findings[0] = Finding("ops.add", Outcome.TODO, "tensorflow.add", "a | b", 1, 0)
    text = report.markdown()
    assert "| `a\\|b.py` | unchanged |" in text
    assert "`ops.add`: a \\| b" in text


def test_markdown_escapes_html_in_the_details_summary() -> None:
    report = Report()
    report.add(FileResult("a<b>&c.py", "x", "y", [finding("ops.add", Outcome.TODO, 1)]))
    assert "<summary><code>a&lt;b&gt;&amp;c.py</code>: 1 TODO</summary>" in report.markdown()


def test_markdown_without_todos_or_errors_has_no_such_sections() -> None:
    report = Report()
    report.add(FileResult("a.py", "x", "y", [finding("ops.add", Outcome.REWRITTEN, 1)]))
    text = report.markdown()
    assert "| coverage | 100.0% |" in text
    assert "## What is left" not in text and "## Errors" not in text and "## TODOs by rule" not in text


# ---------------------------------------------------------------------------------------
# Terminal text


def test_text_lists_todos_as_path_line_col(tmp_path: Path) -> None:
    src = tree(tmp_path / "src")
    result = convert(src, "--check")
    lines = result.stdout.splitlines()
    summary = next(line for line in lines if line.startswith("migrate: "))
    assert summary == "migrate: 7 files · 4 changed · 5 TF/Keras sites · 2 rewritten · 3 TODO · coverage 40.0% · 2 errors"
    todo_lines = [line for line in lines if " TODO(" in line]
    assert todo_lines == [
        f"{src / 'b_todo.py'}:3:4: TODO(unmapped) no rule for `tf.no_such_api` yet",
        f"{src / 'e_star.py'}:1:36: TODO(imports.star) a star import from TF/Keras hides which names this file uses; import them by name",
        f"{src / 'f_nb.ipynb'}[cell 1]:1:4: TODO(unmapped) no rule for `tf.no_such_api` yet",
    ]
    assert "TODO by rule: unmapped 2, imports.star 1" in lines
    assert f"{src / 'g_latin.py'}: error: is not UTF-8 (byte 5): left untouched" in lines


def test_text_caps_the_todo_list_at_50(tmp_path: Path) -> None:
    source = "import tensorflow as tf\n" + "".join(f"v{i} = tf.no_such_api_{i}(x)\n" for i in range(63))
    (tmp_path / "many.py").write_text(source)
    result = convert(tmp_path / "many.py")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    todo_lines = [line for line in lines if re.fullmatch(r".*many\.py:\d+:\d+: TODO\(unmapped\) no rule for `tf\.no_such_api_\d+` yet", line)]
    assert len(todo_lines) == 50
    assert todo_lines[0] == f"{tmp_path / 'many.py'}:2:5: TODO(unmapped) no rule for `tf.no_such_api_0` yet"
    assert "… 13 more TODOs (write them all with --report FILE.json or FILE.md)" in lines
    assert "TODO by rule: unmapped 63" in lines


def test_text_limit_is_exact() -> None:
    report = Report()
    report.add(FileResult("a.py", "x", "y", [finding("ops.add", Outcome.TODO, i) for i in range(1, 4)]))
    assert "more TODOs" not in report.text(limit=3)
    assert "… 1 more TODOs" in report.text(limit=2)


def test_quiet_prints_only_the_summary(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(TF_TODO)
    result = convert(tmp_path / "a.py", "-q")
    assert result.stdout.splitlines() == [
        "migrate: 1 file · 1 changed · 2 TF/Keras sites · 1 rewritten · 1 TODO · coverage 50.0%"
    ]
