"""tf.io.gfile → the standard library (rules/tf_gfile.py): a script that manages a checkpoint
directory with gfile, run by TensorFlow and, migrated, with TensorFlow unimportable, returns the
same values and leaves the same files behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.codemod import migrate_source

from .isolated import BLOCK_TF, run_json

SCRIPT = """
import json
import os
import tensorflow as tf

root = tf.io.gfile.join(ROOT, "run")
seen = {"fresh": tf.io.gfile.exists(root)}
tf.io.gfile.makedirs(tf.io.gfile.join(root, "ckpt", "old"))
tf.io.gfile.makedirs(tf.io.gfile.join(root, "ckpt"))  # exists already: fine in TF
tf.io.gfile.mkdir(tf.io.gfile.join(root, "logs"))
tf.io.gfile.mkdir(tf.io.gfile.join(root, "logs"))
for step in range(3):
    with tf.io.gfile.GFile(tf.io.gfile.join(root, "ckpt", f"step-{step}.txt"), "w") as f:
        f.write(f"weights {step}")
with tf.io.gfile.GFile(tf.io.gfile.join(root, "ckpt", "step-2.txt"), "rb") as f:
    seen["bytes"] = f.read().decode()
seen["listed"] = sorted(tf.io.gfile.listdir(tf.io.gfile.join(root, "ckpt")))
seen["globbed"] = sorted(os.path.basename(p) for p in tf.io.gfile.glob(tf.io.gfile.join(root, "ckpt", "step-*.txt")))
seen["dirs"] = [tf.io.gfile.isdir(tf.io.gfile.join(root, n)) for n in ("ckpt", "logs", "nothing")]
tf.io.gfile.copy(tf.io.gfile.join(root, "ckpt", "step-2.txt"), tf.io.gfile.join(root, "best.txt"), overwrite=True)
tf.io.gfile.copy(tf.io.gfile.join(root, "ckpt", "step-1.txt"), tf.io.gfile.join(root, "best.txt"), overwrite=True)
tf.io.gfile.rename(tf.io.gfile.join(root, "best.txt"), tf.io.gfile.join(root, "final.txt"), overwrite=True)
tf.io.gfile.remove(tf.io.gfile.join(root, "ckpt", "step-0.txt"))
tf.io.gfile.rmtree(tf.io.gfile.join(root, "ckpt", "old"))
seen["walked"] = sorted((os.path.relpath(d, root), sorted(s), sorted(f)) for d, s, f in tf.io.gfile.walk(root))
with tf.io.gfile.GFile(tf.io.gfile.join(root, "final.txt")) as f:
    seen["final"] = f.read()
print(json.dumps(seen))
"""





def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() if p.is_file() else "<dir>" for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="module")
def migrated() -> str:
    result = migrate_source(SCRIPT)
    assert result.error is None
    assert "tensorflow" not in result.output and "TODO" not in result.output, result.output
    return result.output


def test_the_migrated_script_returns_and_leaves_what_tf_does(migrated: str, tmp_path: Path) -> None:
    by_tf = run_json(f"ROOT = {str(tmp_path / 'tf')!r}\n" + SCRIPT)
    by_stdlib = run_json(BLOCK_TF + f"ROOT = {str(tmp_path / 'stdlib')!r}\n" + migrated)
    assert by_stdlib == by_tf
    assert by_tf["final"] == "weights 1" and by_tf["listed"] == ["old", "step-0.txt", "step-1.txt", "step-2.txt"]
    assert _tree(tmp_path / "stdlib") == _tree(tmp_path / "tf")


@pytest.mark.parametrize("call", ["tf.io.gfile.copy(a, b)", "tf.io.gfile.rename(a, b, overwrite=False)", "tf.io.gfile.copy(a, b, overwrite=flag)"])
def test_an_overwrite_tf_would_refuse_stays_a_todo(call: str) -> None:
    result = migrate_source(f"import tensorflow as tf\n{call}\n")
    (todo,) = [f for f in result.findings if f.outcome.value == "todo"]
    assert "refuses to overwrite" in todo.message and call in result.output
