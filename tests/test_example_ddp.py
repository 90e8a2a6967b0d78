"""The MirroredStrategy examples convert, and the results train under DDP with 2 processes.

`migrate convert` rewrites examples/mirrored_strategy/train.py (compile + fit under the
strategy's scope) and custom_loop.py (the guide's loop: strategy.run, strategy.reduce,
experimental_distribute_dataset); each output runs under `torchrun --nproc_per_node=2` on
gloo (CPU) with TensorFlow and Keras out of reach (importing them raises). Each is checked
against TensorFlow itself: the same script under a 2-replica MirroredStrategy (two logical
CPUs), from the same initial weights and unshuffled, must give the same per-epoch losses
(which must decrease) and the same final weights, in both processes (max |Δ| ≤ 1e-5).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from migrate.cli import main

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "mirrored_strategy" / "train.py"

@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ddp")
    result = CliRunner().invoke(main, ["convert", str(EXAMPLE), "-o", str(out / "src")])
    assert result.exit_code == 0, result.output  # every site rewritten, no TODO
    script = out / "src" / "train.py"
    assert script.exists()
    return script


def test_the_example_converts_to_ddp(migrated: Path) -> None:
    code = migrated.read_text(encoding="utf-8")
    assert "tensorflow" not in code and "keras" not in code.replace("Keras", "")
    assert "torch.distributed.init_process_group" in code
    assert "DistributedDataParallel" in code
    assert "torchrun --nproc_per_node=" in code  # the launch line


CUSTOM_LOOP = ROOT / "examples" / "mirrored_strategy" / "custom_loop.py"

# Both runs start from these weights (the Dense kernels and biases of the example's model).
_RNG = np.random.default_rng(1)
WEIGHTS = [w.astype("float32") for w in (_RNG.normal(size=(8, 16)) * 0.3, _RNG.normal(size=16) * 0.1,
                                         _RNG.normal(size=(16, 1)) * 0.3, _RNG.normal(size=1) * 0.1)]

TF_RUNNER = '''
import json, sys, numpy as np, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
weights = [np.load(sys.argv[2])[f"w{i}"] for i in range(4)]
source = open(sys.argv[1]).read()
source = source.replace("MirroredStrategy()", "MirroredStrategy(['/cpu:0', '/cpu:1'])")
source = source.replace(".shuffle(64, seed=0)", "").replace("shuffle(64, seed=0).", "")
source = source.replace("def train_step(", "model.set_weights(weights)\\n\\n\\ndef train_step(", 1)
scope = {"__name__": "__main__", "weights": weights}
exec(compile(source, sys.argv[1], "exec"), scope)
final = [w.tolist() for w in scope["model"].get_weights()]
losses = scope["losses"] if "losses" in scope else scope["history"].history["loss"]
json.dump({"losses": losses, "weights": final, "replicas": scope["strategy"].num_replicas_in_sync}, open(sys.argv[3], "w"))
'''

TORCH_RUNNER = '''
import json, os, sys, numpy as np
for name in ("tensorflow", "keras", "tf_keras"):
    sys.modules[name] = None
import torch
w = np.load(sys.argv[2])
def set_weights(model):
    inner = model.module
    with torch.no_grad():
        inner.dense.weight.copy_(torch.as_tensor(w["w0"]).T); inner.dense.bias.copy_(torch.as_tensor(w["w1"]))
        inner.dense_1.weight.copy_(torch.as_tensor(w["w2"]).T); inner.dense_1.bias.copy_(torch.as_tensor(w["w3"]))
source = open(sys.argv[1]).read()
source = source.replace(", shuffle=True, generator=torch.Generator().manual_seed(0)", "")
source = source.replace("def train_step(", "set_weights(model)\\n\\n\\ndef train_step(", 1)
scope = {"__name__": "__main__", "set_weights": set_weights}
exec(compile(source, sys.argv[1], "exec"), scope)
inner = scope["model"].module
final = [inner.dense.weight.T, inner.dense.bias, inner.dense_1.weight.T, inner.dense_1.bias]
losses = scope["losses"] if "losses" in scope else scope["history"].history["loss"]
out = {"losses": losses, "weights": [t.detach().numpy().tolist() for t in final],
       "world": torch.distributed.get_world_size()}
json.dump(out, open(f"{sys.argv[3]}.{os.environ['RANK']}", "w"))
torch.distributed.destroy_process_group()
'''


@pytest.mark.parametrize(
    "script, tf_marker, torch_marker",
    [
        (CUSTOM_LOOP, "def train_step(", "def train_step("),
        (EXAMPLE, "history = model.fit(", "history = fit("),
    ],
    ids=["custom_loop", "fit"],
)
def test_the_example_trains_like_a_two_replica_mirrored_strategy(
    script: Path, tf_marker: str, torch_marker: str, tmp_path: Path
) -> None:
    out = tmp_path / "src"
    result = CliRunner().invoke(main, ["convert", str(script), "-o", str(out)])
    assert result.exit_code == 0, result.output
    migrated = out / script.name
    code = migrated.read_text(encoding="utf-8")
    assert ", shuffle=True, generator=torch.Generator().manual_seed(0)" in code  # the runner unshuffles it
    if script == CUSTOM_LOOP:
        assert "ReplicaBatches(dataset)" in code and "register_comm_hook(None, sum_gradients)" in code
    np.savez(tmp_path / "weights.npz", **{f"w{i}": w for i, w in enumerate(WEIGHTS)})
    tf_runner = TF_RUNNER.replace("def train_step(", tf_marker)
    torch_runner = TORCH_RUNNER.replace("def train_step(", torch_marker)
    (tmp_path / "tf_runner.py").write_text(tf_runner, encoding="utf-8")
    (tmp_path / "torch_runner.py").write_text(torch_runner, encoding="utf-8")
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
           "TORCHDYNAMO_DISABLE": "1"}  # torch.compile (from @tf.function) is tested elsewhere; here it only costs time
    tf_run = subprocess.run(
        [sys.executable, str(tmp_path / "tf_runner.py"), str(script), str(tmp_path / "weights.npz"), str(tmp_path / "tf.json")],
        env=env, capture_output=True, text=True, timeout=240,
    )
    assert tf_run.returncode == 0, tf_run.stderr[-3000:]
    torch_run = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(tmp_path / "torch_runner.py"),
         str(migrated), str(tmp_path / "weights.npz"), str(tmp_path / "torch.json")],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240,
    )
    assert torch_run.returncode == 0, torch_run.stdout[-3000:] + torch_run.stderr[-3000:]
    expected = json.loads((tmp_path / "tf.json").read_text())
    assert expected["replicas"] == 2
    assert expected["losses"][1] < expected["losses"][0]
    for rank in (0, 1):
        actual = json.loads((tmp_path / f"torch.json.{rank}").read_text())
        assert actual["world"] == 2
        np.testing.assert_allclose(actual["losses"], expected["losses"], rtol=0, atol=1e-5)
        for got, want in zip(actual["weights"], expected["weights"]):
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=0, atol=1e-5)
