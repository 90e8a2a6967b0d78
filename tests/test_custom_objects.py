"""User subclasses of keras.metrics.Metric, keras.losses.Loss and LearningRateSchedule
(``rules/keras_custom_objects.py``): a user-style file is migrated, the migrated file runs in a
subprocess with TensorFlow and Keras unimportable, and its numbers must be Keras's, computed
here from the original file:

* metrics (a running F1 in tf.keras's style, a weighted mean absolute error in Keras 3's, a
  count that starts from ones, a metric holding two others) over uneven batches, some
  weighted, reset and updated again: ``result()`` after every batch ≤ 1e-6;
* a focal loss and an elementwise loss, each reduction, with and without ``sample_weight``
  (per example, as a column, per value): ≤ 1e-6 absolute and relative (float32 sums), and
  the gradient flows;
* a warm-up schedule over 20 steps ≤ 1e-6, and the rate an SGD optimiser with
  ``LambdaLR(optimizer, lr_lambda=schedule)`` (what the optimizer rule writes) applies at
  each of those steps;
* a GradientTape loop using all three, converted by the other rules around them: 5 SGD steps
  from the same weights give Keras's losses, weights (≤ 1e-6) and metric.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from migrate.codemod import migrate_source

from .isolated import BLOCK_TF

SOURCE = '''
import tensorflow as tf
import keras
from keras import ops


class BinaryF1(tf.keras.metrics.Metric):
    def __init__(self, threshold=0.5, name="binary_f1", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.tp = self.add_weight(name="tp", initializer="zeros")
        self.fp = self.add_weight(name="fp", initializer="zeros")
        self.fn = self.add_weight(name="fn", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = tf.cast(y_true, tf.float32)
        y_pred = tf.cast(y_pred > self.threshold, tf.float32)
        if sample_weight is None:
            sample_weight = tf.ones_like(y_true)
        sample_weight = tf.cast(sample_weight, tf.float32)
        self.tp.assign_add(tf.reduce_sum(y_true * y_pred * sample_weight))
        self.fp.assign_add(tf.reduce_sum((1.0 - y_true) * y_pred * sample_weight))
        self.fn.assign_add(tf.reduce_sum(y_true * (1.0 - y_pred) * sample_weight))

    def result(self):
        precision = tf.math.divide_no_nan(self.tp, self.tp + self.fp)
        recall = tf.math.divide_no_nan(self.tp, self.tp + self.fn)
        return tf.math.divide_no_nan(2.0 * precision * recall, precision + recall)


class WeightedMeanAbsoluteError(keras.metrics.Metric):
    def __init__(self, name="wmae", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer=keras.initializers.Zeros(), name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = ops.abs(ops.cast(y_true, self.dtype) - ops.cast(y_pred, self.dtype))
        if sample_weight is None:
            sample_weight = ops.ones_like(errors)
        sample_weight = ops.cast(sample_weight, self.dtype)
        self.total.assign(self.total + ops.sum(errors * sample_weight))
        self.count.assign(self.count + ops.sum(sample_weight))

    def result(self):
        return ops.divide_no_nan(self.total, self.count)


class CountAll(keras.metrics.Metric):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = self.add_weight(shape=(2,), initializer="ones", name="seen")

    def update_state(self, values):
        self.seen.assign_add(ops.ones((2,)) * ops.cast(ops.size(values), "float32"))

    def result(self):
        return self.seen


class MeanAndF1(keras.metrics.Metric):
    """Metrics held by a metric: Keras's reset_state resets their state too."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.mean = keras.metrics.Mean(name="mean_prediction")
        self.f1 = BinaryF1()

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.mean.update_state(y_pred)
        self.f1.update_state(y_true, y_pred)

    def result(self):
        return self.mean.result() + self.f1.result()


class FocalLoss(tf.keras.losses.Loss):
    def __init__(self, gamma=2.0, alpha=0.25, name="focal_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.gamma = gamma
        self.alpha = alpha

    def call(self, y_true, y_pred):
        y_pred = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)
        p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
        alpha_t = y_true * self.alpha + (1.0 - y_true) * (1.0 - self.alpha)
        return tf.reduce_mean(-alpha_t * tf.pow(1.0 - p_t, self.gamma) * tf.math.log(p_t), axis=-1)


class ElementwiseSquare(keras.losses.Loss):
    def call(self, y_true, y_pred):
        return ops.square(y_true - y_pred)


class WarmupRsqrt(tf.keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak, warmup_steps):
        super().__init__()
        self.peak = peak
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = self.peak * (step + 1.0) / self.warmup_steps
        decay = self.peak * tf.math.rsqrt((step + 1.0) / self.warmup_steps)
        return tf.minimum(warm, decay)

    def get_config(self):
        return {"peak": self.peak, "warmup_steps": self.warmup_steps}
'''

# The same protocol on both sides: `np`, the classes and `to_tensor` (tf.constant or
# torch.as_tensor) are given; it fills `out` with plain floats.
PROTOCOL = '''
rng = np.random.default_rng(5)
out = {"f1": [], "wmae": [], "count": [], "held": [], "loss": {}, "schedule": []}
f1, wmae, count, held = BinaryF1(threshold=0.4), WeightedMeanAbsoluteError(), CountAll(), MeanAndF1()
for epoch in range(2):
    for i, n in enumerate((7, 32, 3, 19)):
        y_true = rng.integers(0, 2, size=(n, 3)).astype("float32")
        y_pred = np.clip(0.4 * y_true + 0.6 * rng.uniform(size=(n, 3)), 0, 1).astype("float32")
        weight = rng.uniform(0.2, 2.0, size=(n, 1)).astype("float32") if i % 2 else None
        sw = None if weight is None else to_tensor(weight)
        f1.update_state(to_tensor(y_true), to_tensor(y_pred), sample_weight=sw)
        out["f1"].append(float(f1.result()))
        out["wmae"].append(float(wmae(to_tensor(y_true), to_tensor(y_pred), sample_weight=sw)))
        count.update_state(to_tensor(y_true))
        out["count"].append([float(v) for v in np.asarray(count.result())])
        held.update_state(to_tensor(y_true), to_tensor(y_pred))
        out["held"].append(float(held.result()))
    for metric in (f1, wmae, count, held):
        metric.reset_state()
    out["after_reset"] = [float(f1.result()), float(wmae.result()), float(held.result()), [float(v) for v in np.asarray(count.result())]]
out["names"] = [f1.name, wmae.name, count.name]
y_true = rng.integers(0, 2, size=(6, 4)).astype("float32")
y_pred = rng.uniform(0.01, 0.99, size=(6, 4)).astype("float32")
weights = {
    "plain": None,
    "per_example": rng.uniform(0.1, 3.0, size=(6,)).astype("float32"),
    "column": rng.uniform(0.1, 3.0, size=(6, 1)).astype("float32"),  # Keras meets ranks at the last axis
    "per_value": rng.uniform(0.1, 3.0, size=(6, 4)).astype("float32"),
}
for reduction in ("sum_over_batch_size", "sum", "none", "mean_with_sample_weight"):
    focal = FocalLoss(gamma=1.5, reduction=reduction)
    square = ElementwiseSquare(reduction=reduction)
    for label, weight in weights.items():
        sw = None if weight is None else to_tensor(weight)
        for key, loss in (("focal", focal), ("square", square)):
            if (key, label) in (("focal", "per_value"), ("square", "per_example")):
                continue  # shapes Keras refuses too: one value per example, or four
            value = loss(to_tensor(y_true), to_tensor(y_pred), sample_weight=sw)
            out["loss"][f"{key}/{reduction}/{label}"] = np.asarray(value).astype("float64").ravel().tolist()
out["loss_name"] = [FocalLoss().name, ElementwiseSquare().name]
schedule = WarmupRsqrt(0.05, 6)
out["schedule"] = [float(schedule(step)) for step in range(20)]
'''

# A custom training loop with all three (the TF2 guides' shape): 5 SGD steps from the same
# weights must give Keras's losses, parameters and metric (≤ 1e-6).
LOOP_SOURCE = '''
import tensorflow as tf
from tensorflow import keras


class FocalLoss(keras.losses.Loss):
    def __init__(self, gamma=2.0, name="focal_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.gamma = gamma

    def call(self, y_true, y_pred):
        y_pred = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)
        p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
        return tf.reduce_mean(-tf.pow(1.0 - p_t, self.gamma) * tf.math.log(p_t), axis=-1)


class Hits(keras.metrics.Metric):
    def __init__(self, name="hits", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hits = self.add_weight(name="hits", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.hits.assign_add(tf.reduce_sum(tf.cast(tf.equal(y_true, tf.round(y_pred)), tf.float32)))

    def result(self):
        return self.hits


class Warmup(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak, warmup_steps):
        self.peak = peak
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        return tf.minimum(self.peak * (step + 1.0) / self.warmup_steps, self.peak * tf.ones_like(step))


model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1, activation="sigmoid")])
loss_object = FocalLoss(gamma=1.5)
hits = Hits()
schedule = Warmup(0.5, 3)
optimizer = keras.optimizers.SGD(learning_rate=schedule)


def train_step(x, y):
    with tf.GradientTape() as tape:
        predictions = model(x, training=True)
        loss = loss_object(y, predictions)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    hits.update_state(y, predictions)
    return loss
'''

# `set_weights(kernel, bias)`, `weights()` and `to_tensor` are given on each side.
LOOP_PROTOCOL = '''
rng = np.random.default_rng(9)
set_weights(rng.normal(size=(4, 1)).astype("float32"), np.array([0.1], dtype="float32"))
loop = {"losses": [], "hits": []}
for n in (8, 5, 8, 3, 8):
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    loop["losses"].append(float(train_step(to_tensor(x), to_tensor(y))))
    loop["hits"].append(float(hits.result()))
loop["weights"] = weights()
'''


TORCH_SIDE = BLOCK_TF + '''
import json
import numpy as np
import torch
namespace = {}
exec(compile(MIGRATED, "<migrated>", "exec"), namespace)
globals().update({k: v for k, v in namespace.items() if not k.startswith("__")})
to_tensor = torch.as_tensor

def np_of(value):
    return value.detach().numpy() if isinstance(value, torch.Tensor) else value
_asarray = np.asarray
np.asarray = lambda value, *a, **k: _asarray(np_of(value), *a, **k)
PROTOCOL
np.asarray = _asarray

# The rate SGD applies at each step under the LambdaLR the optimizer rule writes.
weight = torch.nn.Parameter(torch.zeros(()))
optimizer = torch.optim.SGD([weight], lr=1.0)
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=WarmupRsqrt(0.05, 6))
applied = []
for step in range(20):
    optimizer.zero_grad()
    (-weight).backward()  # gradient -1: the step moves the weight by the rate
    before = weight.item()
    optimizer.step()
    applied.append(weight.item() - before)
    scheduler.step()
out["applied"] = applied

# Gradients flow through KerasLoss.forward into the subclass's call.
y_pred = torch.full((3, 2), 0.3, requires_grad=True)
FocalLoss()(torch.ones(3, 2), y_pred).backward()
out["grad_finite"] = bool(torch.isfinite(y_pred.grad).all()) and float(y_pred.grad.abs().sum()) > 0

# Keras 2's names and the call on the metric.
f1 = BinaryF1()
f1(torch.ones(4), torch.ones(4))
f1.reset_states()
out["reset_states"] = float(f1.result())
out["variables"] = len(f1.variables)

space = {}
exec(compile(LOOP_MIGRATED, "<migrated loop>", "exec"), space)
def set_weights(kernel, bias):
    with torch.no_grad():
        space["model"].dense.weight.copy_(torch.as_tensor(kernel).T)
        space["model"].dense.bias.copy_(torch.as_tensor(bias))
def weights():
    return [*space["model"].dense.weight.detach().T.reshape(-1).tolist(), *space["model"].dense.bias.detach().tolist()]
train_step, hits = space["train_step"], space["hits"]
LOOP_PROTOCOL
out["loop"] = loop
print("RESULT" + json.dumps(out))
'''


@pytest.fixture(scope="module")
def migrated() -> str:
    result = migrate_source(SOURCE)
    assert result.error is None
    assert "TODO" not in result.output, result.output
    assert "tensorflow" not in result.output and "import keras" not in result.output, result.output
    return result.output


@pytest.fixture(scope="module")
def torch_side(migrated: str) -> dict:
    loop = migrate_source(LOOP_SOURCE)
    assert loop.error is None and "TODO" not in loop.output, loop.output
    assert "LambdaLR(optimizer, lr_lambda=schedule)" in loop.output
    code = (
        TORCH_SIDE.replace("LOOP_PROTOCOL", LOOP_PROTOCOL).replace("PROTOCOL", PROTOCOL)
        .replace("LOOP_MIGRATED", repr(loop.output)).replace("MIGRATED", repr(migrated))
    )
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT"))
    return json.loads(line[len("RESULT"):])


@pytest.fixture(scope="module")
def keras_side() -> dict:
    tf = pytest.importorskip("tensorflow")
    namespace: dict = {"np": np, "to_tensor": tf.constant}
    exec(compile(SOURCE, "<keras>", "exec"), namespace)  # noqa: S102
    exec(compile(PROTOCOL, "<protocol>", "exec"), namespace)  # noqa: S102
    out = namespace["out"]
    space: dict = {}
    exec(compile(LOOP_SOURCE, "<keras loop>", "exec"), space)  # noqa: S102
    dense = space["model"].layers[0]
    space.update(
        np=np, to_tensor=tf.constant,
        set_weights=lambda kernel, bias: dense.set_weights([kernel, bias]),
        weights=lambda: [*dense.kernel.numpy().reshape(-1).tolist(), *dense.bias.numpy().tolist()],
    )
    exec(compile(LOOP_PROTOCOL, "<loop protocol>", "exec"), space)  # noqa: S102
    out["loop"] = space["loop"]
    return out


def _close(ours, theirs, rtol: float = 0.0) -> None:  # noqa: ANN001
    np.testing.assert_allclose(np.asarray(ours, dtype="float64"), np.asarray(theirs, dtype="float64"), rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("metric", ["f1", "wmae", "count", "held"])
def test_metric_matches_keras_after_every_batch(metric: str, torch_side: dict, keras_side: dict) -> None:
    assert len(torch_side[metric]) == 8
    _close(torch_side[metric], keras_side[metric])


def test_reset_state_sets_the_state_to_zero_as_keras_does(torch_side: dict, keras_side: dict) -> None:
    # CountAll starts from ones, and Keras's reset_state still writes zeros.
    assert keras_side["after_reset"][3] == [0.0, 0.0]
    _close(torch_side["after_reset"][:3], keras_side["after_reset"][:3])
    assert torch_side["after_reset"][3] == keras_side["after_reset"][3]


def test_names_are_keras_names(torch_side: dict, keras_side: dict) -> None:
    assert torch_side["names"] == keras_side["names"] == ["binary_f1", "wmae", "count_all"]
    # Keras makes default names unique per session (`elementwise_square_4`); the migrated base
    # gives the class name in snake case, without the counter.
    assert torch_side["loss_name"] == [re.sub(r"_\d+$", "", name) for name in keras_side["loss_name"]]


def test_loss_matches_keras_for_each_reduction_and_weighting(torch_side: dict, keras_side: dict) -> None:
    assert set(torch_side["loss"]) == set(keras_side["loss"])
    assert len(keras_side["loss"]) == 24
    for key, theirs in keras_side["loss"].items():
        ours = torch_side["loss"][key]
        assert len(ours) == len(theirs), key
        # A "sum" of 24 float32 values near 18 is one float32 step (2e-6) from Keras's when
        # summed in another order: 1e-6 relative as well.
        _close(ours, theirs, rtol=1e-6)


def test_loss_gradient_flows(torch_side: dict) -> None:
    assert torch_side["grad_finite"] is True


def test_schedule_matches_keras_over_20_steps(torch_side: dict, keras_side: dict) -> None:
    _close(torch_side["schedule"], keras_side["schedule"])
    assert max(keras_side["schedule"]) > 4 * min(keras_side["schedule"])  # the warm-up and decay both happen


def test_lambda_lr_applies_the_schedule_at_each_step(torch_side: dict, keras_side: dict) -> None:
    _close(torch_side["applied"], keras_side["schedule"])


def test_keras2_names_and_calling_the_metric(torch_side: dict) -> None:
    assert torch_side["reset_states"] == 0.0
    assert torch_side["variables"] == 3


# ---------------------------------------------------------------------------------------
# Source-level behaviour.


def _output(source: str) -> str:
    result = migrate_source(textwrap.dedent(source))
    assert result.error is None
    return result.output


def test_add_weight_arguments_become_keywords_in_keras_words() -> None:
    out = _output('''
        import tensorflow as tf


        class Totals(tf.keras.metrics.Metric):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.total = self.add_weight("total", (3,), tf.VariableAggregation.SUM, initializer=tf.keras.initializers.Constant(2.0))

            def update_state(self, x):
                self.total.assign_sub(x)

            def result(self):
                return self.total
        ''')
    assert 'self.total = self.add_weight(name="total", shape=(3,), initializer=2.0)' in out
    assert "self.total.sub_(x)" in out
    assert "TODO" not in out and "tensorflow" not in out


def test_update_whose_result_is_used_is_a_todo() -> None:
    out = _output('''
        import keras


        class Steps(keras.metrics.Metric):
            def __init__(self):
                super().__init__()
                self.steps = self.add_weight(shape=(), initializer="zeros")

            def update_state(self):
                return self.steps.assign_add(1.0)

            def result(self):
                return self.steps
        ''')
    assert "TODO(custom_objects.metric) `assign_add` that is not a statement" in out
    assert "class Steps(keras.metrics.Metric)" in out


def test_loss_positional_super_arguments_are_a_todo() -> None:
    out = _output('''
        import tensorflow as tf


        class Old(tf.keras.losses.Loss):
            def __init__(self):
                super().__init__("sum", "old")

            def call(self, y_true, y_pred):
                return tf.abs(y_true - y_pred)
        ''')
    assert "TODO(custom_objects.loss)" in out and "by keyword" in out


def test_schedule_without_a_step_argument_use_is_left_alone() -> None:
    out = _output('''
        import keras


        class Flat(keras.optimizers.schedules.LearningRateSchedule):
            def __call__(self, step):
                return 0.1
        ''')
    assert "class Flat:" in out and "as_tensor" not in out


def test_custom_loop_with_all_three_trains_as_keras(torch_side: dict, keras_side: dict) -> None:
    ours, theirs = torch_side["loop"], keras_side["loop"]
    _close(ours["losses"], theirs["losses"])
    _close(ours["weights"], theirs["weights"])
    assert ours["hits"] == theirs["hits"]
    assert theirs["weights"] != [0.0] * 5 and len(set(theirs["losses"])) == 5


def test_schedule_written_inline_in_the_optimizer() -> None:
    out = _output(LOOP_SOURCE.replace("learning_rate=schedule", "learning_rate=Warmup(0.5, 3)"))
    assert "TODO" not in out and "lr_lambda=Warmup(0.5, 3)" in out
