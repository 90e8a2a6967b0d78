"""The "quickstart for experts" custom loop (examples/custom_loop) converts with no TODO left,
and the result trains under PyTorch with TensorFlow and Keras out of reach: it logs to
TensorBoard, checkpoints every epoch, and a second run resumes from the latest checkpoint.

The same script also runs under TensorFlow here, so that what can match exactly does: the
seeded NumPy data, the TensorBoard tags and steps, the checkpoint names, the resume. (The
losses cannot: each framework initialises its own weights; tests/test_training_equivalence.py
compares training from the same weights.)

The `@tf.function` steps become `@torch.compile`; the run sets TORCHDYNAMO_DISABLE=1 so the
steps take a second instead of the time Inductor needs to compile them on a 2-core machine.
"""

from __future__ import annotations

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
EXAMPLE = ROOT / "examples" / "custom_loop" / "train.py"

# Runs a script, then records what it trained and logged. `BLOCK` (first argument "torch")
# makes importing TensorFlow or Keras raise, as in a project that no longer has them.
RUNNER = '''
import json, runpy, sys
if sys.argv[1] == "torch":
    for name in ("tensorflow", "keras", "tf_keras"):
        sys.modules[name] = None
scope = runpy.run_path(sys.argv[2], run_name="__main__")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
events = EventAccumulator("logs", size_guidance={"scalars": 0, "tensors": 0})
events.Reload()
logged = {tag: sorted(e.step for e in events.Scalars(tag)) for tag in events.Tags()["scalars"]}
logged.update({tag: sorted(e.step for e in events.Tensors(tag)) for tag in events.Tags()["tensors"]})
with open("run.json", "w") as f:
    json.dump({"history": scope["history"], "logged": logged, "first_labels": scope["y_train"][:5].tolist()}, f)
'''


def _run(framework: str, script: Path, workdir: Path) -> dict:
    (workdir / "runner.py").write_text(RUNNER, encoding="utf-8")
    env = {**os.environ, "TORCHDYNAMO_DISABLE": "1", "PYTHONWARNINGS": "ignore", "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "runner.py", framework, str(script)], cwd=workdir, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "Epoch 2, Loss:" in done.stdout
    return json.loads((workdir / "run.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("custom_loop")
    result = CliRunner().invoke(main, ["convert", str(EXAMPLE), "-o", str(out / "src")])
    assert result.exit_code == 0, result.output  # every site rewritten, no TODO
    return out / "src" / "train.py"


@pytest.fixture(scope="module")
def runs(migrated: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[dict]]]:
    """Each framework runs the script twice in its own directory: a first run, then a resume."""
    found = {}
    for framework, script in (("tf", EXAMPLE), ("torch", migrated)):
        workdir = tmp_path_factory.mktemp(framework)
        found[framework] = (workdir, [_run(framework, script, workdir), _run(framework, script, workdir)])
    return found


def test_the_example_converts_to_an_idiomatic_loop(migrated: Path) -> None:
    code = migrated.read_text(encoding="utf-8")
    assert "tensorflow" not in code and "import keras" not in code
    # NHWC data, NCHW model: permuted once, where the batch enters the model.
    assert "predictions = model.train()(images.permute(0, 3, 1, 2))" in code
    assert "predictions = model.eval()(images.permute(0, 3, 1, 2))" in code
    assert "loss.backward()" in code and "optimizer.step()" in code
    assert "writer.add_scalar(\"loss\", train_loss.result(), epoch)" in code
    assert "checkpoint.restore(latest_checkpoint(CHECKPOINT_DIR))" in code
    assert "os.makedirs(LOG_DIR, exist_ok=True)" in code and "torch.manual_seed(0)" in code


def test_the_migrated_loop_trains(runs: dict) -> None:
    _, (first, _) = runs["torch"]
    history = first["history"]
    assert len(history) == 2 and all(math.isfinite(v) and v > 0 for epoch in history for v in epoch)
    assert history[1][0] < history[0][0]  # the training loss went down


def test_it_logs_and_checkpoints_what_the_tf_script_does(runs: dict) -> None:
    tf_dir, (tf_first, tf_second) = runs["tf"]
    torch_dir, (torch_first, torch_second) = runs["torch"]
    assert torch_first["first_labels"] == tf_first["first_labels"]  # the same seeded data
    # Both runs append to the same log directory: each epoch logged once per run.
    assert torch_second["logged"] == tf_second["logged"] == {"loss": [0, 0, 1, 1], "accuracy": [0, 0, 1, 1]}
    # The second run resumed: its checkpoints continue the first run's numbering.
    tf_names = {p.name.split(".")[0] for p in (tf_dir / "checkpoints").iterdir() if p.name.startswith("ckpt-")}
    torch_names = {p.name for p in (torch_dir / "checkpoints").iterdir()}
    assert torch_names == tf_names == {"ckpt-1", "ckpt-2", "ckpt-3", "ckpt-4"}


def test_the_resumed_run_starts_from_the_saved_weights(runs: dict) -> None:
    torch_dir, (first, second) = runs["torch"]
    # Resuming restored the trained model: its first epoch starts where the first run ended,
    # not from fresh weights, so its loss is below the first run's first epoch.
    assert second["history"][0][0] < first["history"][0][0]
    saved = torch.load(torch_dir / "checkpoints" / "ckpt-4")
    assert saved["save_counter"] == 4 and set(saved["objects"]) == {"model", "optimizer"}
