"""The pre-commit hook, run by the real `pre-commit` tool on a temporary git repository.

The hook definition is read from this checkout's `.pre-commit-hooks.yaml` and installed as
a `repo: local` hook with the same id, entry and file types. Only `language` is changed,
from `python` to `system`: `python` would make pre-commit pip-install this checkout into a
fresh virtual environment, which needs the network; `system` runs the `migrate` of the
environment running the tests instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (BIN / "pre-commit").exists() or not (BIN / "migrate").exists(),
    reason="needs git, and pre-commit and migrate installed beside this Python (pip install -e '.[test]')",
)


def run(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "HOME": str(tmp_path),  # no user git config, no user pre-commit cache
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
        "GITHUB_ACTIONS": "false",
    }
    root = tmp_path / "repo"
    root.mkdir()
    assert run(root, "git", "init", "-q", "-b", "main", env=env).returncode == 0
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "migrate-check" and hook["language"] == "python"
    local = {**hook, "language": "system"}
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    installed = run(root, str(BIN / "pre-commit"), "install", env=env)
    assert installed.returncode == 0, installed.stderr
    run(root, "git", "add", ".pre-commit-config.yaml", env=env)
    first = run(root, "git", "commit", "-q", "-m", "config", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    return root, env


def test_a_commit_adding_tf_code_fails_and_passes_once_converted(repo: tuple[Path, dict[str, str]]) -> None:
    root, env = repo
    (root / "src").mkdir()
    (root / "src" / "model.py").write_text("import tensorflow as tf\n\n\ndef total(x):\n    return tf.reduce_sum(x, axis=1)\n")
    (root / "README.txt").write_text("not python\n")
    run(root, "git", "add", ".", env=env)
    refused = run(root, "git", "commit", "-m", "add a TF op", env=env)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "migrate check (no new TensorFlow/Keras code)" in output and "Failed" in output
    assert "src/model.py:5:12: ops.reduce_sum `tf.reduce_sum` is TensorFlow/Keras code" in output
    assert "fix: `migrate convert src/model.py --in-place`" in output

    converted = run(root, str(BIN / "migrate"), "convert", "src/model.py", "--in-place", env=env)
    assert converted.returncode == 0, converted.stdout + converted.stderr
    assert "torch.sum(x, dim=1)" in (root / "src" / "model.py").read_text()
    # pre-commit's `python` type also matches a script without a suffix: not for migrate.
    (root / "tool").write_text("#!/usr/bin/env python\nprint('hi')\n")
    run(root, "git", "add", ".", env=env)
    accepted = run(root, "git", "commit", "-m", "add a torch op", env=env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "Passed" in accepted.stdout + accepted.stderr


def test_the_manifest_is_valid_for_pre_commit() -> None:
    result = subprocess.run(
        [str(BIN / "pre-commit"), "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
