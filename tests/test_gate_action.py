"""The composite GitHub Action (action.yml): its shape, and its check step's script run
for real with bash, as the runner would, against a temporary tree."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
BIN = Path(sys.executable).parent


def test_the_action_is_composite_and_every_input_it_reads_exists() -> None:
    assert ACTION["runs"]["using"] == "composite"
    steps = ACTION["runs"]["steps"]
    assert all("shell" in step for step in steps if "run" in step)
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"inputs\.([\w-]+)", text))
    assert used <= set(ACTION["inputs"]), used - set(ACTION["inputs"])
    for step in steps:  # inputs reach scripts through env only (no ${{ }} inside `run`)
        assert "${{" not in step.get("run", "")


def _check_step() -> dict:
    [step] = [s for s in ACTION["runs"]["steps"] if s.get("id") == "check"]
    return step


def run_check_step(tmp: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], str]:
    defaults = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    values = {**defaults, **inputs}
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp / "github_output"),
    }
    for name, template in _check_step()["env"].items():
        env[name] = values[re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", template)[1]]
    (tmp / "github_output").write_text("")
    done = subprocess.run(
        ["bash", "-e", "-c", _check_step()["run"]], cwd=tmp, env=env, capture_output=True, text=True, timeout=120
    )
    return done, (tmp / "github_output").read_text()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "model.py").write_text("import tensorflow as tf\ny = tf.reduce_sum(x, axis=1)\n")
    (tmp_path / "src" / "plain.py").write_text("x = 1\n")
    return tmp_path


def test_the_check_step_annotates_writes_sarif_and_fails(tree: Path) -> None:
    done, outputs = run_check_step(tree, paths="src", **{"sarif-file": "migrate.sarif"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert outputs.strip() == "exit-code=1"
    assert done.stdout.startswith("::error file=src/model.py,line=2,col=5,title=migrate ops.reduce_sum::")
    log = json.loads((tree / "migrate.sarif").read_text())
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["ops.reduce_sum"]


def test_the_check_step_passes_with_a_baseline(tree: Path) -> None:
    subprocess.run(
        [str(BIN / "migrate"), "check", "src", "--baseline", "base.json", "--write-baseline"],
        cwd=tree, check=True, capture_output=True,
    )
    done, outputs = run_check_step(tree, paths="src", baseline="base.json", args="--exclude legacy/")
    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs.strip() == "exit-code=0"
    assert "0 new findings · 1 in the baseline" in done.stdout
