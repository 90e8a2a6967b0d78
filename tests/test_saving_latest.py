"""tf.train.latest_checkpoint (rules/tf_saving.py): a resume-from-the-last-checkpoint script,
run by TensorFlow and, migrated, with TensorFlow unimportable, finds the same checkpoint
(the same `prefix-N` path), None in an empty directory, and restores the same value."""

from __future__ import annotations

import os
from pathlib import Path

from migrate.codemod import migrate_source

from .isolated import BLOCK_TF, run_json

SCRIPT = """
import json
import os
import tensorflow as tf

checkpoint_dir = os.path.join(ROOT, "checkpoints")
step = tf.Variable(0.0)
checkpoint = tf.train.Checkpoint(step=step)
seen = {"before": tf.train.latest_checkpoint(checkpoint_dir)}
checkpoint.restore(tf.train.latest_checkpoint(checkpoint_dir))
for epoch in range(3):
    step.assign_add(1.5)
    checkpoint.save(file_prefix=os.path.join(checkpoint_dir, "ckpt"))
latest = tf.train.latest_checkpoint(checkpoint_dir)
seen["latest"] = os.path.relpath(latest, ROOT)
step.assign(-1.0)
checkpoint.restore(latest)
seen["restored"] = float(step.numpy())
print(json.dumps(seen))
"""





def test_resuming_finds_and_restores_what_tf_does(tmp_path: Path) -> None:
    result = migrate_source(SCRIPT)
    assert result.error is None and "TODO" not in result.output, result.output
    assert "tensorflow" not in result.output
    by_tf = run_json(f"ROOT = {str(tmp_path / 'tf')!r}\n" + SCRIPT)
    by_torch = run_json(BLOCK_TF + f"ROOT = {str(tmp_path / 'torch')!r}\n" + result.output)
    assert by_tf == {"before": None, "latest": os.path.join("checkpoints", "ckpt-3"), "restored": 4.5}
    assert by_torch == by_tf
