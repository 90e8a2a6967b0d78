"""`migrate audit` on a small repository with one component of each kind."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from migrate.audit import audit
from migrate.audit.report import KEEP_ON_TF, MIGRATE_NOW, MIGRATE_WITH_WORK, NOTHING, SWITCH_BACKEND
from migrate.cli import main

REPO = Path(__file__).parent / "data" / "audit_repo"


@pytest.fixture(scope="module")
def result():  # noqa: ANN201
    return audit([REPO])


def _evidence(result, component: str, signal: str) -> list[tuple[str, int]]:  # noqa: ANN001
    return [(e.path, e.line) for e in result.components[component].signals().get(signal, [])]


def test_each_blocker_is_found_where_it_is(result) -> None:  # noqa: ANN001
    assert _evidence(result, "pipeline", "tfx") == [("pipeline/tfx_pipeline.py", 2)]
    assert _evidence(result, "mobile", "tflite") == [("mobile/export_tflite.py", 5), ("mobile/export_tflite.py", 6)]
    assert _evidence(result, "training", "tpu") == [("training/tpu_train.py", n) for n in (3, 4, 5, 6)]
    assert [(e.signal, e.path, e.line) for e in result.dependencies] == [("tf_hub", "requirements.txt", 2)]


def test_recommendations(result) -> None:  # noqa: ANN001
    verdicts = {name: c.recommendation()[0] for name, c in result.components.items()}
    assert verdicts == {
        "pipeline": KEEP_ON_TF,
        "mobile": KEEP_ON_TF,
        "training": KEEP_ON_TF,
        "model": MIGRATE_NOW,
        "k3": SWITCH_BACKEND,
    }


def test_work_signals_and_low_coverage_mean_migrate_with_work(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "hub.py").write_text("import tensorflow as tf\nimport tensorflow_hub as hub\nx = tf.reduce_sum(y)\n")
    (tmp_path / "nlp").mkdir()
    (tmp_path / "nlp" / "bert.py").write_text("from transformers import TFBertModel, AutoTokenizer\nimport tensorflow as tf\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "conf.py").write_text("project = 'x'\n")
    result = audit([tmp_path])
    verdicts = {name: c.recommendation()[0] for name, c in result.components.items()}
    assert verdicts == {"app": MIGRATE_WITH_WORK, "nlp": MIGRATE_WITH_WORK, "docs": NOTHING}
    assert _evidence(result, "nlp", "hf_transformers_tf") == [("nlp/bert.py", 1)]
    assert "TensorFlow Probability" not in result.markdown()


def test_a_notebook_and_a_broken_file_are_read_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("%matplotlib inline\nimport tensorflow as tf"),
        nbformat.v4.new_code_cell(f"open({str(marker)!r}, 'w')\nconverter = tf.lite.TFLiteConverter.from_saved_model('m')"),
    ]
    (tmp_path / "nb").mkdir()
    nbformat.write(notebook, tmp_path / "nb" / "export.ipynb")
    (tmp_path / "nb" / "broken.py").write_text("import tensorflow as tf\ndef f(:\n")
    result = audit([tmp_path])
    assert not marker.exists()
    assert "tflite" in result.components["nb"].signals()
    assert [p for p, _ in result.errors] == ["nb/broken.py"]


def test_cli_writes_json_and_markdown(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "audit.json"
    done = runner.invoke(main, ["audit", str(REPO), "--report", str(out)])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("migrate audit: 5 components")
    data = json.loads(out.read_text())
    assert data["schema"] == "migrate.audit/1"
    by_name = {c["name"]: c for c in data["components"]}
    assert by_name["training"]["recommendation"] == KEEP_ON_TF
    assert by_name["model"]["coverage"] == 100.0
    assert [s["id"] for s in by_name["mobile"]["signals"]] == ["tflite"]
    markdown = runner.invoke(main, ["audit", str(REPO)])
    assert markdown.exit_code == 0
    assert "`pipeline/tfx_pipeline.py:2`" in markdown.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["audit", "no/such/dir"], "no/such/dir: no such file or directory"),
        (["audit", str(REPO), "--report", "audit.txt"], "--report must name a .json or .md file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 2
    assert message in done.output
    assert len(done.output.strip().splitlines()) == 1


def test_the_audited_tree_is_not_modified(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(REPO, copy)
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    audit([copy])
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before
