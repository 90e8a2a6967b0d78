"""tf.summary → torch.utils.tensorboard (rules/tf_summary.py): a custom loop's logging, run by
TensorFlow and, migrated, by torch with TensorFlow unimportable, writes the same tags, steps and
values, read back from both event files with TensorBoard's own reader."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from migrate.codemod import migrate_source

from .isolated import BLOCK_TF, run

LOOP = """
import numpy as np
import tensorflow as tf

writer = tf.summary.create_file_writer(LOGDIR)
losses = [0.9, 0.5, 0.25]
for epoch, loss in enumerate(losses):
    with writer.as_default():
        tf.summary.scalar("loss", loss, step=epoch)
    with writer.as_default(step=epoch):
        tf.summary.scalar("accuracy", 1.0 - loss / 2)
        tf.summary.text("note", "epoch " + str(epoch))
tf.summary.flush(writer=writer)
"""


READ = """
import json, sys
import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

events = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "tensors": 0})
events.Reload()
out = {}
for tag in events.Tags()["scalars"]:
    out[tag] = [[e.step, e.value] for e in events.Scalars(tag)]
for tag in events.Tags()["tensors"]:
    values = []
    for e in events.Tensors(tag):
        proto = e.tensor_proto
        if proto.string_val:
            value = proto.string_val[0].decode()
        else:
            value = float(np.frombuffer(proto.tensor_content, np.float32)[0]) if proto.tensor_content else float(proto.float_val[0])
        values.append([e.step, value])
    out[tag.removesuffix("/text_summary")] = values
print(json.dumps(out))
"""




def _read(logdir: Path) -> dict:
    return json.loads(run(READ, str(logdir)).strip().splitlines()[-1])


@pytest.fixture(scope="module")
def migrated() -> str:
    result = migrate_source(LOOP)
    assert result.error is None
    assert "tensorflow" not in result.output and "TODO" not in result.output, result.output
    return result.output


def test_the_migrated_loop_logs_what_the_tf_loop_logs(migrated: str, tmp_path: Path) -> None:
    tf_dir, torch_dir = tmp_path / "tf", tmp_path / "torch"
    run(f"LOGDIR = {str(tf_dir)!r}\n" + LOOP)
    run(BLOCK_TF + f"LOGDIR = {str(torch_dir)!r}\n" + migrated + "\nwriter.close()\n")
    logged_by_tf, logged_by_torch = _read(tf_dir), _read(torch_dir)
    assert sorted(logged_by_tf) == sorted(logged_by_torch) == ["accuracy", "loss", "note"]
    for tag in ("loss", "accuracy"):
        tf_steps, tf_values = zip(*logged_by_tf[tag])
        torch_steps, torch_values = zip(*logged_by_torch[tag])
        assert tf_steps == torch_steps == (0, 1, 2)
        # Both store the value as float32.
        np.testing.assert_array_equal(np.float32(tf_values), np.float32(torch_values))
    assert logged_by_tf["note"] == logged_by_torch["note"] == [[0, "epoch 0"], [1, "epoch 1"], [2, "epoch 2"]]


def test_a_summary_far_from_its_writer_stays_a_todo() -> None:
    source = "import tensorflow as tf\n\ndef log(v, step):\n    tf.summary.scalar('v', v, step=step)\n"
    result = migrate_source(source)
    (todo,) = [f for f in result.findings if f.outcome.value == "todo"]
    assert todo.rule == "summary.write" and "default writer" in todo.message


def test_a_function_defined_in_the_block_does_not_write_to_its_writer() -> None:
    # The function runs when it is called, where another writer may be the default.
    source = (
        "import tensorflow as tf\n\nwriter = tf.summary.create_file_writer('logs')\n"
        "with writer.as_default():\n    def log(v, step):\n        tf.summary.scalar('v', v, step=step)\n"
    )
    result = migrate_source(source)
    assert [f.rule for f in result.findings if f.outcome.value == "todo"] == ["summary.write"]
