"""The MirroredStrategy example converts, and the result trains under DDP with 2 processes.

`migrate convert` rewrites examples/mirrored_strategy/train.py; the output runs under
`torchrun --nproc_per_node=2` on gloo (CPU) with TensorFlow and Keras out of reach (importing
them raises). Each process writes its parameters and loss history; the test checks that both
processes ran in one group of 2, trained (finite losses that decrease) and ended with
identical parameters (DDP keeps the replicas in step: max |Δ| = 0).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrate.cli import main

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "mirrored_strategy" / "train.py"

# Runs the migrated script with TF/Keras unimportable (a None entry in sys.modules makes
# `import tensorflow` raise ImportError), then records what each process trained.
RUNNER = '''
import json, os, runpy, sys
for name in ("tensorflow", "keras", "tf_keras"):
    sys.modules[name] = None
scope = runpy.run_path(sys.argv[1], run_name="__main__")
import torch
model = scope["model"]
inner = model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model
out = os.environ["DDP_OUT"]
rank = os.environ["RANK"]
torch.save({k: v.detach().cpu() for k, v in inner.state_dict().items()}, f"{out}/params{rank}.pt")
with open(f"{out}/history{rank}.json", "w") as f:
    json.dump({"loss": scope["history"].history["loss"], "world": torch.distributed.get_world_size(),
               "ddp": isinstance(model, torch.nn.parallel.DistributedDataParallel)}, f)
torch.distributed.destroy_process_group()
'''


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


def test_the_migrated_example_trains_with_two_processes_on_gloo(migrated: Path, tmp_path: Path) -> None:
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER, encoding="utf-8")
    env = {**os.environ, "DDP_OUT": str(tmp_path), "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
        str(runner), str(migrated),
    ]
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.count("replicas: 2") == 2
    histories = [json.loads((tmp_path / f"history{r}.json").read_text()) for r in (0, 1)]
    for history in histories:
        assert history["world"] == 2 and history["ddp"]
        losses = history["loss"]
        assert len(losses) == 2 and all(map(lambda v: v == v and abs(v) < float("inf"), losses))
        assert losses[1] < losses[0], losses
    params = [torch.load(tmp_path / f"params{r}.pt") for r in (0, 1)]
    assert params[0].keys() == params[1].keys()
    for name in params[0]:
        assert torch.equal(params[0][name], params[1][name]), f"{name} differs between the processes"
