"""`migrate verify` on the command line: exit codes (0 equivalent, 1 mismatch, 2 bad input), the
text report, --json, --junit, --weights (.pt and .safetensors), --data, and one real process.

The Keras models of fixtures/verify/verify_models.py are saved once per session as .keras files;
the modules are imported as a user would name them, `verify_migrated:ConvNet`, with
fixtures/verify as the current directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import numpy as np
import pytest
from click.testing import CliRunner

from migrate.cli import main

from .conftest import FIXTURES, ROOT

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")
jsonschema = pytest.importorskip("jsonschema")

# Keras's own model.save warns under NumPy 2 (keras/src/backend/tensorflow/core.py); not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

VERIFY_FIXTURES = FIXTURES / "verify"
sys.path.insert(0, str(VERIFY_FIXTURES))
import verify_migrated as migrated  # noqa: E402
import verify_models as builders  # noqa: E402


@pytest.fixture(scope="session")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    keras.utils.set_random_seed(0)
    folder = tmp_path_factory.mktemp("verify_models")
    paths = {}
    for name in ("conv_net", "mlp", "text"):
        paths[name] = folder / f"{name}.keras"
        getattr(builders, name)().save(paths[name])
    return paths


@pytest.fixture
def in_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(VERIFY_FIXTURES)


def run(*args: Any) -> Any:
    return CliRunner().invoke(main, ["verify", *map(str, args)])


def test_equivalent_exits_0_and_writes_json_and_junit(saved: dict[str, Path], in_fixtures: None, tmp_path: Path) -> None:
    result = run("--keras", saved["conv_net"], "--torch", "verify_migrated:ConvNet",
                 "--json", tmp_path / "r.json", "--junit", tmp_path / "r.xml")
    assert result.exit_code == 0, result.output
    assert "result: EQUIVALENT" in result.stdout
    assert "onnxruntime" in result.stdout and "onnx2torch" in result.stdout  # the four-way header
    data = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(data, json.loads((ROOT / "docs" / "schemas" / "verify.schema.json").read_text()))
    assert data["ok"] is True and data["divergence"] is None and data["failures"] == []
    assert data["outputs"][0]["migrated"]["max_abs"] <= 1e-5
    suite = ET.parse(tmp_path / "r.xml").getroot()
    assert suite.get("failures") == "0" and int(suite.get("tests")) == 2


def test_mismatch_exits_1_and_names_the_layer(saved: dict[str, Path], in_fixtures: None, tmp_path: Path) -> None:
    result = run("--keras", saved["conv_net"], "--torch", "verify_migrated:ConvNetWrongEps", "--junit", tmp_path / "r.xml")
    assert result.exit_code == 1, result.output
    assert "first divergent layer: bn (module bn, BatchNormalization)" in result.stdout
    assert "result: MISMATCH" in result.stdout
    failures = ET.parse(tmp_path / "r.xml").getroot().findall("testcase/failure")
    assert any("first divergent layer bn" in f.get("message") for f in failures)


def test_quiet_prints_the_verdict_only(saved: dict[str, Path], in_fixtures: None) -> None:
    result = run("--keras", saved["mlp"], "--torch", "verify_migrated:MLPMissingActivation", "-q")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "migrate verify: MISMATCH"
    assert any("first divergent layer hidden" in line and "relu" in line for line in lines)
    assert "layers (execution order)" not in result.stdout


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_weights_from_a_file_are_used_as_they_are(saved: dict[str, Path], in_fixtures: None, tmp_path: Path, suffix: str) -> None:
    """A hand port with swapped LSTM gates, saved as a state_dict: verify loads it and finds the slip."""
    from migrate.weights import convert

    model = keras.models.load_model(saved["text"])
    state = builders.swap_lstm_gates(convert(model, migrated.Text()))
    path = tmp_path / f"text{suffix}"
    if suffix == ".pt":
        torch.save(state, path)
    else:
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    result = run("--keras", saved["text"], "--torch", "verify_migrated:Text", "--weights", path, "--json", tmp_path / "r.json")
    assert result.exit_code == 1, result.output
    assert json.loads((tmp_path / "r.json").read_text())["divergence"]["layer"] == "lstm"


def test_own_data_and_training_steps(saved: dict[str, Path], in_fixtures: None, tmp_path: Path) -> None:
    np.savez(tmp_path / "batch.npz", features=np.random.default_rng(1).normal(size=(5, 8)).astype("float32"))
    result = run("--keras", saved["mlp"], "--torch", "verify_migrated:MLP", "--data", tmp_path / "batch.npz",
                 "--train-steps", "2", "--json", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(data, json.loads((ROOT / "docs" / "schemas" / "verify.schema.json").read_text()))
    assert data["batch"] == 5
    assert data["training"]["ok"] is True and len(data["training"]["torch_losses"]) == 2
    assert "training check: 2 steps" in result.stdout


def test_a_factory_with_args(in_fixtures: None) -> None:
    result = run("--keras", "verify_models:mlp", "--torch", "verify_migrated:MLP", "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "migrate verify: equivalent"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--keras", "verify_migrated.py", "--torch", "verify_migrated:ConvNet"], "not a Keras model file"),
        (["--keras", "{conv_net}", "--torch", "nowhere:ConvNet"], "cannot import nowhere"),
        (["--keras", "{conv_net}", "--torch", "verify_migrated:Nothing"], "verify_migrated has no Nothing"),
        (["--keras", "{conv_net}", "--torch", "verify_migrated:NotAModule"], "is not a torch.nn.Module"),
        (["--keras", "{conv_net}", "--torch", "verify_migrated:MLP"], "layer 'conv'"),
        (["--keras", "{conv_net}", "--torch", "verify_migrated:ConvNet", "--weights", "verify_models.py"], "--weights"),
        (["--keras", "{conv_net}", "--torch", "verify_migrated:ConvNet", "--data", "nothing.npz"], "--data nothing.npz: no such file"),
        (["--keras", "verify_models:nothing", "--torch", "verify_migrated:ConvNet"], "verify_models has no attribute nothing"),
        (["--keras", "{conv_net}", "--torch", "verify_migrated:ConvNet", "--batch", "0"], "--batch"),
    ],
)
def test_bad_input_exits_2_with_one_line(saved: dict[str, Path], in_fixtures: None, args: list[str], message: str) -> None:
    result = run(*[a.format(conv_net=saved["conv_net"]) for a in args])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("migrate: error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert result.stdout == ""


def test_weights_that_do_not_fit_name_the_keys(saved: dict[str, Path], in_fixtures: None, tmp_path: Path) -> None:
    torch.save(migrated.MLP().state_dict(), tmp_path / "mlp.pt")
    result = run("--keras", saved["conv_net"], "--torch", "verify_migrated:ConvNet", "--weights", tmp_path / "mlp.pt")
    assert result.exit_code == 2
    assert "does not fit ConvNet: missing conv.weight" in result.stderr


def test_a_real_process(saved: dict[str, Path], tmp_path: Path) -> None:
    """As a CI job runs it: no terminal, so no progress display; the report on stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        [sys.executable, "-m", "migrate", "verify", "--keras", str(saved["text"]), "--torch", "verify_migrated:Text",
         "--json", str(tmp_path / "r.json")],
        cwd=VERIFY_FIXTURES, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "result: EQUIVALENT" in done.stdout
    assert "migrate verify: loading" not in done.stderr  # the status line is for terminals only
    assert json.loads((tmp_path / "r.json").read_text())["ok"] is True


def test_the_commands_in_docs_verify_exist_with_those_options() -> None:
    import re

    import click

    text = (ROOT / "docs" / "verify.md").read_text(encoding="utf-8")
    command = main.get_command(click.Context(main, info_name="migrate"), "verify")
    options = {opt for param in command.params for opt in getattr(param, "opts", []) + getattr(param, "secondary_opts", [])}
    shown = re.findall(r"^migrate verify\b([^\n]*)", text, flags=re.M)
    assert len(shown) >= 4
    for rest in shown:
        for option in re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", rest.split("#")[0]):
            assert option in options, f"docs/verify.md: `migrate verify` has no option {option}"
    for option in re.findall(r"^\| `(--?[a-z][a-z-]*)", text, flags=re.M):  # the options table
        assert option in options, option
