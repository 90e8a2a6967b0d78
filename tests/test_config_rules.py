"""Run-time configuration (rules/tf_config.py): the migrated lines set torch up as the TF lines
set TensorFlow up. Each side runs in its own subprocess (these settings are process-wide), the
migrated one with TensorFlow and Keras unimportable."""

from __future__ import annotations

import textwrap

import pytest

from migrate.codemod import migrate_source

from .isolated import BLOCK_TF, run_json

SETUP = """
import json
import random
import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(42)
tf.config.experimental.enable_op_determinism()
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.run_functions_eagerly(True)
gpus = tf.config.list_physical_devices("GPU")
for gpu in gpus:
    tf.config.experimental.set_memory_growth(gpu, True)
cpus = tf.config.list_logical_devices("CPU")
everything = tf.config.list_physical_devices()
tf.keras.backend.clear_session()
drawn = {"random": [random.random() for _ in range(3)], "numpy": np.random.rand(3).tolist()}
counts = {"gpus": len(gpus), "cpus": len(cpus), "everything": len(everything)}
"""

TORCH_PROBE = """
import torch
state = {
    "deterministic": torch.are_deterministic_algorithms_enabled(),
    "threads": torch.get_num_threads(),
    "interop": torch.get_num_interop_threads(),
    "eager": torch.compile(lambda t: t + 1)(torch.ones(1)).item() == 2.0,
    "torch_draw": torch.rand(2).tolist(),
}
"""


DUMP = "\nprint(json.dumps({'drawn': drawn, 'counts': counts, **({'state': state} if 'state' in dir() else {})}))\n"




@pytest.fixture(scope="module")
def migrated() -> str:
    result = migrate_source(SETUP)
    assert result.error is None
    assert "tensorflow" not in result.output and "TODO" not in result.output, result.output
    return result.output


@pytest.fixture(scope="module")
def keras_side() -> dict:
    return run_json(SETUP + DUMP)


@pytest.fixture(scope="module")
def torch_side(migrated: str) -> dict:
    return run_json(BLOCK_TF + migrated + TORCH_PROBE + DUMP)


def test_python_and_numpy_draws_repeat_the_keras_run_exactly(keras_side: dict, torch_side: dict) -> None:
    # keras.utils.set_random_seed seeds Python's and NumPy's generators: after the migration
    # they are the same generators, so data shuffled or drawn with them is the same data.
    assert torch_side["drawn"] == keras_side["drawn"]


def test_devices_are_counted_as_tensorflow_counts_them(keras_side: dict, torch_side: dict) -> None:
    assert torch_side["counts"] == keras_side["counts"] == {"gpus": 0, "cpus": 1, "everything": 1}


def test_the_process_is_set_up_as_the_tf_lines_asked(torch_side: dict, migrated: str) -> None:
    state = torch_side["state"]
    assert state["deterministic"] is True
    assert (state["threads"], state["interop"]) == (1, 1)
    assert state["eager"] is True and 'torch.compiler.set_stance("force_eager")' in migrated


def test_the_torch_generator_is_seeded(migrated: str) -> None:
    first = run_json(BLOCK_TF + migrated + TORCH_PROBE + DUMP)["state"]["torch_draw"]
    second = run_json(BLOCK_TF + migrated + TORCH_PROBE + DUMP)["state"]["torch_draw"]
    assert first == second


@pytest.mark.parametrize(
    "line, reason",
    [
        ('devices = tf.config.list_physical_devices("TPU")', "literal device type"),
        ("tf.config.threading.set_intra_op_parallelism_threads(n)", "not a literal"),
        ("tf.keras.utils.set_random_seed(base + rank)", "name or a literal"),
        ("ok = [tf.config.experimental.set_memory_growth(g, True) for g in gpus]", "statement of its own"),
    ],
)
def test_what_torch_cannot_say_the_same_way_stays_a_todo(line: str, reason: str) -> None:
    result = migrate_source(textwrap.dedent(f"import tensorflow as tf\n{line}\n"))
    assert result.error is None
    todo = [f for f in result.findings if f.outcome.value == "todo"]
    assert len(todo) == 1 and reason in todo[0].message
    assert line in result.output
