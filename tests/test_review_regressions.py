"""Defects a review of the training rewrites found, each reproduced on a small input: the output
must parse, be final, and say what it must (or not say what it must not)."""

from __future__ import annotations

import ast

import pytest

from migrate.codemod import migrate_source

MIXED = 'from tensorflow import keras\nkeras.mixed_precision.set_global_policy("mixed_float16")\n'
MODEL = "model = keras.Sequential([keras.layers.Input((8,)), keras.layers.Dense(1)])\n"

CASES = {
    # The generated GradScaler must not take the name of the user's own `scaler`.
    "scaler_name_taken": (
        MIXED + "scaler = StandardScaler()\nx = scaler.fit_transform(x)\n" + MODEL
        + 'model.compile(optimizer="sgd", loss="mse")\nmodel.fit(x, y)\nz = scaler.transform(x)\n',
        ["TODO(training.compile) the GradScaler would be `scaler`, a name this file already uses"],
        ["torch.amp.GradScaler(\n"],
    ),
    # Keras skips a scaled step's weight decay with the step; scaler.step skips only step().
    "decay_under_loss_scaling": (
        MIXED + MODEL + 'model.compile(optimizer=keras.optimizers.SGD(0.1, weight_decay=0.5), loss="mse")\nmodel.fit(x, y)\n',
        ["TODO(training.compile) weight decay under loss scaling"],
        [],
    ),
    # tf.keras 2's LossScaleOptimizer(inner, dynamic, initial_scale): the second argument is `dynamic`.
    "legacy_loss_scale_positions": (
        MIXED + MODEL + "opt = keras.mixed_precision.LossScaleOptimizer(keras.optimizers.SGD(0.1), True, 1024)\n"
        'model.compile(optimizer=opt, loss="mse")\nmodel.fit(x, y)\n',
        ["init_scale=1024", "growth_interval=2000"],
        ["init_scale=True"],
    ),
    "legacy_fixed_loss_scale": (
        MIXED + MODEL + 'model.compile(optimizer=keras.mixed_precision.LossScaleOptimizer(keras.optimizers.SGD(0.1), False), loss="mse")\n',
        ["TODO(training.compile) a fixed loss scale (`dynamic=False`)"],
        ["init_scale=False"],
    ),
    # A loss function the file imports keeps its name: no generated def may shadow it.
    "imported_loss_function_name": (
        "import tensorflow as tf\nfrom sklearn.metrics import mean_squared_error\n"
        "def step(x, y):\n    return tf.keras.losses.mse(y, model(x))\n",
        ["TODO(losses.function)"],
        ["def mean_squared_error("],
    ),
    # A schedule written inside the optimizer inside compile becomes its formula.
    "inline_schedule_in_compile": (
        "import keras\n" + MODEL
        + 'model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.9)), loss="mse")\n',
        ["lr_lambda=lambda step: 1e-3 * 0.9 ** (step / 10)"],
        ["keras.optimizers.schedules"],
    ),
    # A rule that gives up writes none of the imports it had spelled.
    "no_imports_from_a_rule_that_gave_up": (
        MIXED + "AMP = True\n" + MODEL + 'model.compile(optimizer="adam", loss="mse", auto_scale_loss=AMP)\n',
        ["TODO(training.compile)"],
        ["import math", "import torch.nn.functional as F"],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_review_defect_stays_fixed(name: str) -> None:
    source, present, absent = CASES[name]
    result = migrate_source(source)
    assert result.error is None
    ast.parse(result.output)
    assert migrate_source(result.output).output == result.output
    for text in present:
        assert text in result.output, text
    for text in absent:
        assert text not in result.output, text


def test_a_metric_returning_its_own_state_logs_one_array_per_epoch() -> None:
    # The history must hold each epoch's result, not the state tensor the next epoch resets.
    result = migrate_source(
        "from tensorflow import keras\n" + MODEL + 'model.compile(optimizer="sgd", loss="mse", metrics=[keras.metrics.F1Score()])\n'
        "model.fit(x, y)\n"
    )
    assert "result.detach().cpu().numpy().copy()" in result.output


def test_a_metric_helper_that_gave_up_leaves_its_sites_as_todos() -> None:
    source = (
        "import tensorflow as tf\n\n\nclass TP(tf.keras.metrics.Metric):\n"
        "    def __init__(self, name='tp', **kwargs):\n        super().__init__(name=name, **kwargs)\n"
        "        self.tp = self.add_weight(name='tp', initializer=tf.keras.initializers.Zeros(), aggregation=tf.VariableAggregation.SUM)\n\n"
        "    def update_state(self, y_true, y_pred, sample_weight=None):\n        return self.tp.assign_add(tf.reduce_sum(y_pred))\n\n"
        "    def result(self):\n        return self.tp\n"
    )
    result = migrate_source(source)
    left = [f for f in result.findings if f.outcome.value == "todo"]
    # Every site still in the output is reported as a TODO, none as rewritten.
    assert len(left) == len(result.todos) and result.output.count("# migrate: TODO(") >= 1
