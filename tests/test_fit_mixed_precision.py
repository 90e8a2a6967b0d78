"""The migrated loops under a Keras mixed-precision policy train as Keras's do.

A file that sets ``mixed_float16`` / ``mixed_bfloat16`` gets loops that run the forward pass
under ``torch.autocast`` (CPU autocast supports both dtypes in torch 2.13) with the loss and
metrics in float32, and for float16 a ``torch.amp.GradScaler`` standing for the
LossScaleOptimizer Keras's ``compile`` adds (scale 2**15, doubled after 2000 finite steps,
halved on overflow). Each test converts a small script, runs it under torch on CPU and compares
it with Keras under the same policy (Keras runs mixed_float16 on CPU too), from the same
weights, on the same batches.

Tolerances, measured on these seeds (4 fit steps and one train_on_batch step of a 6-8-3 MLP):
float16 matches Keras to 1.3e-8 relative on the losses and 1.2e-7 on the weights (both
frameworks round the same operations to float16), so the bar is 1e-5 relative / 1e-6 absolute —
the same loop in float32 misses it (3e-5 on the losses, 6e-5 on the weights). bfloat16 (8
mantissa bits; TF's and torch's CPU kernels round partial sums differently) agrees to 2.5e-4
relative on the losses, 2.9e-4 on the weights and one bfloat16 step (2e-3) on the outputs: the
bar is 1e-3 relative, 1e-3 on the weights, 8e-3 on the outputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from migrate.codemod import migrate_source

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

SCRIPT = """
import numpy as np
from tensorflow import keras

keras.mixed_precision.set_global_policy("mixed_{dtype}")


def build():
    return keras.Sequential([
        keras.Input(shape=(6,)),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(3),
    ])


def train(model, x, y):
    model.compile(
        optimizer=keras.optimizers.SGD(0.1, momentum=0.5, clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    step = model.train_on_batch(x[:4], y[:4])
    return history, step, model.evaluate(x, y, verbose=0), model.predict(x, verbose=0)
"""


def migrated(source: str) -> tuple[str, dict[str, Any]]:
    result = migrate_source(source)
    assert result.error is None
    todos = [f for f in result.findings if f.outcome.name == "TODO"]
    assert not todos, todos
    scope: dict[str, Any] = {"__name__": "migrated"}
    exec(compile(result.output, "<migrated>", "exec"), scope)  # noqa: S102
    return result.output, scope


def run_keras(source: str, *args: Any) -> tuple[Any, Any]:
    """Build and train the Keras model under the script's policy, then restore float32 (the
    policy is process-wide)."""
    scope: dict[str, Any] = {}
    try:
        exec(compile(source, "<keras>", "exec"), scope)  # noqa: S102
        model = scope["build"]()
        weights = [w.copy() for w in model.get_weights()]
        return model, weights, scope["train"](model, *args)
    finally:
        keras.mixed_precision.set_global_policy("float32")


def load(t_model: Any, weights: list[np.ndarray]) -> None:
    """Keras's Dense kernels (in, out) into the torch Linears (out, in)."""
    linears = [m for m in t_model.modules() if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for linear, kernel, bias in zip(linears, weights[0::2], weights[1::2]):
            linear.weight.copy_(torch.from_numpy(kernel.T))
            linear.bias.copy_(torch.from_numpy(bias))


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    return rng.normal(size=(16, 6)).astype("float32"), rng.integers(0, 3, size=16)


@pytest.mark.parametrize("dtype, rtol, weight_atol, output_atol", [("float16", 1e-5, 1e-6, 1e-6), ("bfloat16", 1e-3, 1e-3, 8e-3)])
def test_mixed_policy_trains_like_keras(dtype: str, rtol: float, weight_atol: float, output_atol: float) -> None:
    source = SCRIPT.format(dtype=dtype)
    x, y = data()
    k_model, weights, (k_history, k_step, k_eval, k_pred) = run_keras(source, x, y)
    output, scope = migrated(source)
    assert "torch.autocast(device_type=device.type, dtype=MIXED_PRECISION_DTYPE)" in output
    assert ("GradScaler" in output) == (dtype == "float16")  # Keras scales the loss only for float16
    t_model = scope["build"]()
    load(t_model, weights)
    t_history, t_step, t_eval, t_pred = scope["train"](t_model, x, y)

    # 4 fit steps, then one train_on_batch step: losses, metrics and weights.
    np.testing.assert_allclose(t_history.history["loss"], k_history.history["loss"], rtol=rtol)
    np.testing.assert_allclose(t_step, k_step, rtol=rtol)  # [loss, accuracy]
    np.testing.assert_allclose(t_eval, k_eval, rtol=rtol)
    linears = [m for m in t_model.modules() if isinstance(m, torch.nn.Linear)]
    for linear, kernel in zip(linears, k_model.get_weights()[0::2]):
        assert linear.weight.dtype == torch.float32  # the variables stay float32, as Keras's
        np.testing.assert_allclose(linear.weight.detach().numpy(), kernel.T, rtol=0, atol=weight_atol)
    assert not np.allclose(k_model.get_weights()[0], weights[0])  # it did train
    # predict answers in the policy's dtype, as Keras's (bfloat16 as float32: NumPy has none).
    assert t_pred.dtype == (np.float16 if dtype == "float16" else np.float32)
    np.testing.assert_allclose(t_pred.astype("float32"), np.asarray(k_pred, "float32"), rtol=0, atol=output_atol)


OVERFLOW = """
from tensorflow import keras

keras.mixed_precision.set_global_policy("mixed_float16")

model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
schedule = keras.optimizers.schedules.ExponentialDecay(1e-6, decay_steps=1, decay_rate=0.5)
model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")


def train(x, y):
    return [model.train_on_batch(x, y) for _ in range(3)]
"""


def test_float16_loss_scale_skips_overflowing_steps_like_keras() -> None:
    """Targets of 1e4 make the scaled float16 gradients overflow (2**15 · 2·1e4 > 65504): Keras's
    LossScaleOptimizer skips those updates and halves the scale each time, and its schedule does
    not count them; the GradScaler must do the same (without it, the weights would move)."""
    x = np.ones((4, 2), "float32")
    y = np.full((4, 1), 1e4, "float32")
    k_scope: dict[str, Any] = {}
    try:
        exec(compile(OVERFLOW, "<keras>", "exec"), k_scope)  # noqa: S102
        k_model = k_scope["model"]
        weights = [w.copy() for w in k_model.get_weights()]
        k_losses = k_scope["train"](x, y)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    _, scope = migrated(OVERFLOW)
    load(scope["model"], weights)
    t_losses = scope["train"](x, y)
    assert float(k_model.optimizer.dynamic_scale.numpy()) == scope["scaler"].get_scale() == 2.0**12  # 3 halvings
    np.testing.assert_array_equal(k_model.get_weights()[0], weights[0])  # every update skipped
    np.testing.assert_array_equal(scope["model"].dense.weight.detach().numpy(), weights[0].T)
    np.testing.assert_allclose(t_losses, k_losses, rtol=1e-3)
    assert int(k_model.optimizer.iterations.numpy()) == scope["optimizer_scheduler"].last_epoch == 0


WRAPPED = """
from tensorflow import keras

keras.mixed_precision.set_global_policy("mixed_float16")

model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
model.compile(
    optimizer=keras.mixed_precision.LossScaleOptimizer(keras.optimizers.SGD(0.05), initial_scale=2.0**10, dynamic_growth_steps=2),
    loss="mse",
)


def train(x, y):
    return [model.train_on_batch(x, y) for _ in range(5)]
"""


def test_a_loss_scale_optimizer_given_to_compile_keeps_its_values() -> None:
    """`compile(optimizer=LossScaleOptimizer(inner, initial_scale, dynamic_growth_steps))`: the
    inner optimizer, and a GradScaler with those values — 5 finite steps with growth every 2
    double the scale twice, in Keras and in torch."""
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(8, 2)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    k_scope: dict[str, Any] = {}
    try:
        exec(compile(WRAPPED, "<keras>", "exec"), k_scope)  # noqa: S102
        k_model = k_scope["model"]
        weights = [w.copy() for w in k_model.get_weights()]
        k_losses = k_scope["train"](x, y)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    output, scope = migrated(WRAPPED)
    assert "init_scale=2.0**10, growth_factor=2.0, backoff_factor=0.5, growth_interval=2" in output
    load(scope["model"], weights)
    t_losses = scope["train"](x, y)
    assert float(k_model.optimizer.dynamic_scale.numpy()) == scope["scaler"].get_scale() == 2.0**12
    np.testing.assert_allclose(t_losses, k_losses, rtol=1e-5)
    np.testing.assert_allclose(scope["model"].dense.weight.detach().numpy(), k_model.get_weights()[0].T, atol=1e-6)
