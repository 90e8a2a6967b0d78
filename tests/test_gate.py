"""`migrate check`, the CI gate: exit codes, read-only, the baseline, drift, and the four
output formats (SARIF validated against the official 2.1.0 schema, vendored in
tests/data/gate/)."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from click.testing import CliRunner

from migrate.cli import main

DATA = Path(__file__).parent / "data" / "gate"
TF_OK = "import tensorflow as tf\ny = tf.reduce_sum(x, axis=1)\n"
TF_TODO = "import tensorflow as tf\nz = tf.no_such_api_anywhere(x)\n"
PLAIN = "import numpy as np\nx = np.ones(3)\n"


def check(*args: str | Path, env: dict[str, str] | None = None):  # noqa: ANN201
    environment = {"GITHUB_ACTIONS": "false", **(env or {})}
    return CliRunner().invoke(main, ["check", *map(str, args)], env=environment, catch_exceptions=False)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root (pyproject.toml) as the working directory, with src/ in it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    return tmp_path


# ---------------------------------------------------------------------------------------
# Exit codes and what the gate reads


def test_exit_0_on_a_tree_without_tf_code(tree: Path) -> None:
    write(tree, {"src/a.py": PLAIN, "src/b.py": "x = 1\n"})
    result = check("src")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("migrate check: 2 files · 0 new findings")


def test_new_tf_code_fails_with_where_and_how_to_fix(tree: Path) -> None:
    write(tree, {"src/a.py": TF_OK, "src/b.py": TF_TODO, "src/c.py": PLAIN})
    before = snapshot(tree)
    result = check("src")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "migrate check: 3 files · 2 new findings"
    assert lines[1] == "src/a.py:2:5: ops.reduce_sum `tf.reduce_sum` is TensorFlow/Keras code; `migrate convert` rewrites it to PyTorch"
    assert lines[2].startswith("src/b.py:2:5: unmapped `tf.no_such_api_anywhere`")
    assert "fix: `migrate convert src/a.py --in-place`" in result.output
    assert snapshot(tree) == before  # read-only


def test_a_converted_tree_passes(tree: Path) -> None:
    write(tree, {"src/a.py": TF_OK})
    assert check("src").exit_code == 1
    converted = CliRunner().invoke(main, ["convert", "src", "--in-place"], catch_exceptions=False)
    assert converted.exit_code == 0, converted.output
    result = check("src")
    assert result.exit_code == 0, result.output


def test_user_code_is_never_run(tree: Path) -> None:
    write(tree, {"src/evil.py": "import tensorflow as tf\nopen('pwned', 'w').write('x')\ny = tf.reduce_sum(x)\n"})
    assert check("src").exit_code == 1
    assert not (tree / "pwned").exists()


def test_a_file_that_does_not_parse_is_exit_2_and_the_rest_is_checked(tree: Path) -> None:
    write(tree, {"src/a.py": TF_OK, "src/broken.py": "import tensorflow as tf\nprint 'hi'\n"})
    result = check("src")
    assert result.exit_code == 2
    assert "src/a.py:2:5: ops.reduce_sum" in result.output
    assert "src/broken.py: error: does not parse" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["src", "--write-baseline"], "--write-baseline needs --baseline FILE"),
        (["src", "--format", "xml"], "Invalid value for '--format'"),
        (["src", "--select", "ops.no_such_rule"], "unknown rule id or prefix: ops.no_such_rule"),
        (["src", "--against", "out", "--baseline", "b.json", "--write-baseline"], "--against checks drift"),
        (["nowhere"], "nowhere: no such file or directory"),
        (["-"], "reads files, not standard input"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(tree: Path, args: list[str], message: str) -> None:
    write(tree, {"src/a.py": TF_OK})
    result = check(*args)
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("migrate: error: ") and message in lines[0], result.stderr


def test_select_and_ignore_like_convert(tree: Path) -> None:
    write(tree, {"src/a.py": TF_OK + "z = tf.no_such_api_anywhere(x)\n"})
    result = check("src", "--ignore", "unmapped")
    assert result.exit_code == 1 and "unmapped" not in result.output and "ops.reduce_sum" in result.output
    (tree / "pyproject.toml").write_text('[tool.migrate]\nignore = ["unmapped", "ops.reduce_sum"]\n')
    assert check("src").exit_code == 0


def test_unused_tf_import_alone_is_a_finding(tree: Path) -> None:
    write(tree, {"src/a.py": "import tensorflow as tf\nx = 1\n"})
    result = check("src")
    if result.exit_code == 0:
        pytest.skip("the engine leaves an unused TF import alone")
    assert "gate.changed" in result.output


# ---------------------------------------------------------------------------------------
# The baseline


def test_baseline_accepts_known_findings_and_survives_unrelated_edits(tree: Path) -> None:
    write(tree, {"src/a.py": TF_OK + TF_TODO.splitlines(keepends=True)[1], "src/b.py": TF_OK})
    written = check("src", "--baseline", "baseline.json", "--write-baseline")
    assert written.exit_code == 0 and "recorded 3 findings" in written.output
    data = json.loads((tree / "baseline.json").read_text())
    assert data["schema"] == "migrate.baseline/1"
    assert {e["path"] for e in data["findings"]} == {"src/a.py", "src/b.py"}
    assert all("line" not in e for e in data["findings"])
    assert check("src", "--baseline", "baseline.json").exit_code == 0

    # Lines added above, and re-indentation, move the findings without making them new.
    source = (tree / "src/a.py").read_text()
    (tree / "src/a.py").write_text('"""Docs."""\n\n' + source.replace("y = tf", "if True:\n    y = tf"))
    result = check("src", "--baseline", "baseline.json")
    assert result.exit_code == 0, result.output
    assert "0 new findings · 3 in the baseline" in result.output

    # A new site fails, alone; so does one more copy of a known line.
    with (tree / "src/a.py").open("a") as f:
        f.write("m = tf.reduce_mean(x)\ny = tf.reduce_sum(x, axis=1)\n")
    result = check("src", "--baseline", "baseline.json")
    assert result.exit_code == 1
    assert "2 new findings · 3 in the baseline" in result.output
    assert "ops.reduce_mean" in result.output


def test_fixed_findings_are_reported_and_a_subset_run_keeps_other_entries(tree: Path) -> None:
    write(tree, {"src/a.py": TF_OK, "src/b.py": TF_TODO})
    check("src", "--baseline", "b.json", "--write-baseline")
    (tree / "src/a.py").write_text(PLAIN)
    result = check("src", "--baseline", "b.json")
    assert result.exit_code == 0 and "1 baseline entries fixed" in result.output
    # pre-commit passes only the staged files: entries of the others are neither stale nor lost.
    assert "fixed" not in check("src/b.py", "--baseline", "b.json").output
    check("src/a.py", "--baseline", "b.json", "--write-baseline")
    paths = [e["path"] for e in json.loads((tree / "b.json").read_text())["findings"]]
    assert paths == ["src/b.py"]


@pytest.mark.parametrize("bad", ["../outside.py", "/etc/passwd", "src/../../x.py", "C:/x.py", "a\\..\\b.py", ""])
def test_baseline_paths_never_escape_the_tree(tree: Path, bad: str) -> None:
    write(tree, {"src/a.py": TF_OK})
    entry = {"path": bad, "rule": "ops.reduce_sum", "api": "tensorflow.reduce_sum", "fingerprint": "0", "count": 1}
    (tree / "b.json").write_text(json.dumps({"schema": "migrate.baseline/1", "findings": [entry]}))
    result = check("src", "--baseline", "b.json")
    assert result.exit_code == 2
    assert "is not relative to the project root" in result.stderr


@pytest.mark.parametrize("content", ["not json", "[]", '{"schema": "other/1", "findings": []}', '{"schema": "migrate.baseline/1", "findings": [{"path": "a.py"}]}'])
def test_a_bad_baseline_is_exit_2(tree: Path, content: str) -> None:
    write(tree, {"src/a.py": TF_OK, "b.json": content})
    result = check("src", "--baseline", "b.json")
    assert result.exit_code == 2 and result.stderr.startswith("migrate: error: b.json")
    assert check("src", "--baseline", "missing.json").exit_code == 2


# ---------------------------------------------------------------------------------------
# Drift of a mirrored tree (convert -o OUT)


def test_drift_of_a_migrated_tree(tree: Path) -> None:
    write(tree, {"src/a.py": TF_OK, "src/pkg/b.py": TF_TODO, "src/c.py": PLAIN})
    CliRunner().invoke(main, ["convert", "src", "-o", "out"], catch_exceptions=False)
    assert check("src", "--against", "out").exit_code == 0  # TF in src is expected: only drift counts
    (tree / "out/a.py").write_text((tree / "out/a.py").read_text() + "extra = 1\n")
    (tree / "out/pkg/b.py").unlink()
    result = check("src", "--against", "out")
    assert result.exit_code == 1
    assert "2 drifted" in result.output
    assert "out/a.py:3:1: gate.drift differs from what `migrate convert` makes of src/a.py (from line 3)" in result.output
    assert "out/pkg/b.py:1:1: gate.drift missing" in result.output


# ---------------------------------------------------------------------------------------
# Output formats


def sarif_schema() -> dict:
    return json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def test_sarif_validates_against_the_official_schema(tree: Path) -> None:
    write(tree, {"src/a.py": TF_OK, "src/b b.py": TF_TODO, "src/broken.py": "import tensorflow as tf\nprint 'x'\n"})
    check("src/a.py", "--baseline", "b.json", "--write-baseline")
    result = check("src", "--baseline", "b.json", "--format", "sarif", "--output", "out.sarif")
    assert result.exit_code == 2  # broken.py
    assert result.output.startswith("migrate check: 3 files")  # the terminal gets text
    log = json.loads((tree / "out.sarif").read_text())
    jsonschema.Draft4Validator.check_schema(sarif_schema())
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    run = log["runs"][0]
    assert log["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "migrate"
    states = {(r["ruleId"], r["baselineState"]) for r in run["results"]}
    assert states == {("ops.reduce_sum", "unchanged"), ("unmapped", "new")}
    [new] = [r for r in run["results"] if r["baselineState"] == "new"]
    assert new["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/b%20b.py"
    assert new["locations"][0]["physicalLocation"]["region"] == {"startLine": 2, "startColumn": 5}
    assert run["tool"]["driver"]["rules"][new["ruleIndex"]]["id"] == "unmapped"
    assert run["invocations"][0]["executionSuccessful"] is False


def test_sarif_on_stdout_with_no_findings_validates(tree: Path) -> None:
    write(tree, {"src/a.py": PLAIN})
    result = check("src", "--format", "sarif")
    assert result.exit_code == 0
    jsonschema.Draft4Validator(sarif_schema()).validate(json.loads(result.stdout))


def test_junit_xml(tree: Path) -> None:
    write(tree, {"src/a.py": TF_OK, "src/b.py": TF_TODO, "src/c.py": PLAIN, "src/d.py": "import tensorflow as tf\nx = (\n"})
    result = check("src", "--format", "junit")
    assert result.exit_code == 2
    suites = ET.fromstring(result.stdout)
    suite = suites.find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert int(suite.get("tests")) == len(cases) and suite.get("failures") == "2" and suite.get("errors") == "1"
    assert cases["src/a.py"].find("failure").get("message") == "1 new finding"
    assert "ops.reduce_sum" in cases["src/a.py"].find("failure").text
    assert cases["src/b.py"].find("failure") is not None
    assert "does not parse" in cases["src/d.py"].find("error").get("message")
    assert "1 other files: no TF/Keras code" in cases


def test_github_annotations_when_running_in_actions(tree: Path) -> None:
    write(tree, {"src/we,ird:name.py": TF_TODO.replace("no_such_api_anywhere", "no_such_api_anywhere_100%")})
    (tree / "src/we,ird:name.py").write_text("import tensorflow as tf\nz = tf.no_such_api_anywhere(x)\n")
    result = check("src", env={"GITHUB_ACTIONS": "true"})
    assert result.exit_code == 1
    first = result.stdout.splitlines()[0]
    assert first.startswith("::error file=src/we%2Cird%3Aname.py,line=2,col=5,title=migrate unmapped::`tf.no_such_api_anywhere`")
    assert "migrate check: 1 file · 1 new finding" in result.stdout  # and the summary for the log
    assert check("src", "--format", "text", env={"GITHUB_ACTIONS": "true"}).stdout.startswith("migrate check:")


def test_notebook_findings_name_their_cell_and_baseline_by_cell_text(tree: Path) -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# A model"),
        nbformat.v4.new_code_cell("import tensorflow as tf"),
        nbformat.v4.new_code_cell("x = 1\ny = tf.reduce_sum(x)"),
    ]
    (tree / "nb.ipynb").write_text(nbformat.writes(notebook))
    result = check("nb.ipynb")
    assert result.exit_code == 1
    assert "nb.ipynb[cell 2]:2:5: ops.reduce_sum" in result.output
    check("nb.ipynb", "--baseline", "b.json", "--write-baseline")
    notebook.cells.insert(1, nbformat.v4.new_code_cell("print('a new cell above')"))
    (tree / "nb.ipynb").write_text(nbformat.writes(notebook))
    assert check("nb.ipynb", "--baseline", "b.json").exit_code == 0  # moved to cell 3: still known
