"""The compile/fit examples convert with no TODO left, and the results train under PyTorch.

`migrate convert` rewrites examples/image_classifier_fit (tf.data + compile/fit + built-in and
custom callbacks) and examples/text_classifier_fit (Embedding + LSTM + fit on NumPy arrays with
`validation_split` and ReduceLROnPlateau + predict). Each result runs in a subprocess where
importing TensorFlow or Keras raises, for 2 epochs on tiny seeded data, and must have trained:
finite losses that go down, the History Keras would return (its keys, one value per epoch), and
the files its callbacks write (the checkpoint is a state_dict of the model; the CSV has Keras's
columns).
"""

from __future__ import annotations

import ast
import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrate.cli import main

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# Runs the migrated script's main() with TF/Keras unimportable (a None entry in sys.modules
# makes `import tensorflow` raise ImportError) and writes what it returned as JSON.
RUNNER = """
import json, runpy, sys
for name in ("tensorflow", "keras", "tf_keras"):
    sys.modules[name] = None
import torch
torch.manual_seed(0)
scope = runpy.run_path(sys.argv[1], run_name="migrated")
history, extra = scope["main"](epochs=2)
if hasattr(extra, "batch_losses"):
    extra = extra.batch_losses
else:
    extra = [float(v) for v in extra.ravel()]
with open("result.json", "w") as f:
    json.dump({"history": history.history, "epoch": history.epoch, "extra": extra}, f)
"""


def convert(name: str, out: Path) -> Path:
    result = CliRunner().invoke(main, ["convert", str(EXAMPLES / name), "-o", str(out)])
    assert result.exit_code == 0, result.output  # every site rewritten: no TODO left
    script = out / "train.py"
    code = script.read_text(encoding="utf-8")
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(code))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
    }
    assert not imported & {"tensorflow", "keras", "tf_keras"}
    return script


def run(script: Path, cwd: Path) -> dict:
    (cwd / "runner.py").write_text(RUNNER, encoding="utf-8")
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, str(cwd / "runner.py"), str(script)], cwd=cwd, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((cwd / "result.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def image_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    out = tmp_path_factory.mktemp("image")
    script = convert("image_classifier_fit", out / "src")
    return script, out, run(script, out)


@pytest.fixture(scope="module")
def text_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    out = tmp_path_factory.mktemp("text")
    script = convert("text_classifier_fit", out / "src")
    return script, out, run(script, out)


def test_the_image_example_becomes_an_explicit_loop(image_run: tuple) -> None:
    code = image_run[0].read_text(encoding="utf-8")
    assert "def fit(" in code and "model, optimizer, loss_fn, x, y=None, *, epochs=1" in code
    assert "history = fit(model, optimizer, loss_fn, train_ds" in code
    assert "class EarlyStopping(MonitorCallback)" in code and "class LossHistory(Callback)" in code
    assert "batch_x.permute(0, 3, 1, 2)" in code  # NHWC data, NCHW model
    assert "torch.utils.data.DataLoader" in code  # the tf.data pipeline


def test_the_migrated_image_example_trains(image_run: tuple) -> None:
    _, out, result = image_run
    history = result["history"]
    assert sorted(history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert result["epoch"] == [0, 1]
    assert all(len(v) == 2 and all(math.isfinite(x) for x in v) for v in history.values())
    assert history["loss"][1] < history["loss"][0]
    assert all(0.0 <= a <= 1.0 for a in history["accuracy"] + history["val_accuracy"])
    # The custom callback saw every batch: 64 images in batches of 16, two epochs.
    assert len(result["extra"]) == 8


def test_the_migrated_image_example_writes_what_its_callbacks_write(image_run: tuple) -> None:
    _, out, result = image_run
    state = torch.load(out / "best.pt")  # ModelCheckpoint: a state_dict, not a Keras file
    assert set(state) == {"conv2d.weight", "conv2d.bias", "dense.weight", "dense.bias"}
    with open(out / "training.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]  # Keras's columns
    assert [r[0] for r in rows[1:]] == ["0", "1"]
    assert float(rows[2][2]) == pytest.approx(result["history"]["loss"][1])


def test_the_migrated_text_example_trains(text_run: tuple) -> None:
    script, _, result = text_run
    code = script.read_text(encoding="utf-8")
    assert "validation_split=0.25" in code and "class ReduceLROnPlateau(MonitorCallback)" in code
    history = result["history"]
    assert sorted(history) == ["accuracy", "learning_rate", "loss", "val_accuracy", "val_loss"]
    assert all(len(v) == 2 and all(math.isfinite(x) for x in v) for v in history.values())
    assert history["loss"][1] < history["loss"][0]
    probabilities = result["extra"]
    assert len(probabilities) == 4 and all(0.0 < p < 1.0 for p in probabilities)


def test_the_readme_command_still_converts_the_examples(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["convert", str(EXAMPLES), "-o", str(tmp_path / "out"), "--report", str(tmp_path / "out" / "REPORT.md")])
    assert result.exit_code in (0, 1), result.output
    assert (tmp_path / "out" / "image_classifier_fit" / "train.py").exists()
