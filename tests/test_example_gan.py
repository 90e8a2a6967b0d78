"""The GAN example (two GradientTapes, two optimizers, a CheckpointManager) converts with no
TODO left, and the result trains under PyTorch with TensorFlow and Keras out of reach.

The script's `@tf.function` becomes `@torch.compile`; the run sets TORCHDYNAMO_DISABLE=1 so
the two steps take a second instead of the ~40 s Inductor needs to compile them on a shared
2-core machine (the compiled run is the same Python; compiling it is torch's business).
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
EXAMPLE = ROOT / "examples" / "gan" / "train_gan.py"

# Runs the migrated script with TF/Keras unimportable (a None entry in sys.modules makes
# `import tensorflow` raise ImportError), then records what it trained.
RUNNER = '''
import json, runpy, sys
for name in ("tensorflow", "keras", "tf_keras"):
    sys.modules[name] = None
scope = runpy.run_path(sys.argv[1], run_name="__main__")
import torch
torch.save({"generator": scope["generator"].state_dict(), "discriminator": scope["discriminator"].state_dict()}, "final.pt")
steps = {
    name: sorted({int(state["step"]) for state in scope[name].state_dict()["state"].values()})
    for name in ("generator_optimizer", "discriminator_optimizer")
}
with open("run.json", "w") as f:
    json.dump({"history": scope["history"], "optimizer_steps": steps, "steps_done": int(scope["steps_done"])}, f)
'''


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gan")
    result = CliRunner().invoke(main, ["convert", str(EXAMPLE), "-o", str(out / "src")])
    assert result.exit_code == 0, result.output  # every site rewritten, no TODO
    return out / "src" / "train_gan.py"


@pytest.fixture(scope="module")
def run(migrated: Path) -> tuple[Path, dict]:
    workdir = migrated.parent.parent / "run"
    workdir.mkdir()
    (workdir / "runner.py").write_text(RUNNER, encoding="utf-8")
    env = {**os.environ, "TORCHDYNAMO_DISABLE": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "runner.py", str(migrated)], cwd=workdir, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "step 1: generator" in done.stdout
    return workdir, json.loads((workdir / "run.json").read_text(encoding="utf-8"))


def test_the_example_converts_to_autograd(migrated: Path) -> None:
    code = migrated.read_text(encoding="utf-8")
    assert "tensorflow" not in code and "import keras" not in code
    # Two tapes over one forward pass: the first gradient keeps the graph for the second. The
    # losses are known scalars (the file's loss functions return reduce_means), so no `.sum()`;
    # `allow_unused=True` gives None for an unconnected variable, as TF does.
    assert "torch.autograd.grad(gen_loss, list(generator.parameters()), retain_graph=True, allow_unused=True)" in code
    assert "torch.autograd.grad(disc_loss, list(discriminator.parameters()), allow_unused=True)" in code
    assert code.count(".step()") == 2 and "param.grad = grad" in code
    assert "with torch.enable_grad()" not in code  # the tapes' `with` gave way to its body
    assert "@torch.compile" in code


def test_both_networks_train_two_steps(run: tuple[Path, dict]) -> None:
    _, record = run
    history = record["history"]
    assert len(history) == 2
    assert all(math.isfinite(v) for step in history for v in step)
    # Each optimizer took exactly one step per batch, on every parameter of its network.
    assert record["optimizer_steps"] == {"generator_optimizer": [2], "discriminator_optimizer": [2]}
    assert record["steps_done"] == 2


def test_the_checkpoint_manager_keeps_one_checkpoint_that_restores(run: tuple[Path, dict]) -> None:
    workdir, _ = run
    assert sorted(p.name for p in (workdir / "gan_checkpoints").iterdir()) == ["ckpt-2"]
    saved = torch.load(workdir / "gan_checkpoints" / "ckpt-2")
    final = torch.load(workdir / "final.pt")
    assert saved["save_counter"] == 2
    for net in ("generator", "discriminator"):
        for key, value in final[net].items():
            assert torch.equal(saved["objects"][net][key], value), key
    assert int(saved["objects"]["steps_done"]) == 2
    weights = torch.load(workdir / "generator.pt")  # save_weights("generator.weights.h5"): a torch file now
    for key, value in final["generator"].items():
        assert torch.equal(weights[key], value), key
