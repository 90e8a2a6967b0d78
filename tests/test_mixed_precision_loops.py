"""Mixed-precision GradientTape loops: a Keras ``mixed_float16`` policy with a
``LossScaleOptimizer`` migrates to ``torch.autocast`` and a ``torch.amp.GradScaler`` that run
on the CPU, and train as Keras does.

Keras and the rewrite start from the same weights and take the same steps on the same
batches, both on the CPU, both computing the layers in float16. Tolerances: parameters
2e-4 absolute, losses 2e-3 relative — float16 rounding of the same matmuls, which TF's and
torch's CPU kernels accumulate differently (a float16 ulp is 2**-11 ≈ 4.9e-4 of the value).
Measured worst cases: parameters 3.8e-5 after 10 one-tape steps (either tf.keras 2 or
Keras 3 form) and 2.4e-5 after 3 GAN steps; losses 1.8e-4 and 6.9e-4 relative. The loss
scale is compared exactly: it only ever doubles or halves, and an inf/nan gradient skips the
step in both.
"""

from __future__ import annotations

import numpy as np
import pytest

from migrate.codemod import migrate_source

tf = pytest.importorskip("tensorflow")
torch = pytest.importorskip("torch")
from .dense_weights import copy_dense_weights  # noqa: E402
keras = pytest.importorskip("keras")

#: Parameters after the steps, absolute; losses, relative. See the module docstring for the
#: measured figures.
PARAMS_ATOL = 2e-4
LOSS_RTOL = 2e-3

#: Keras 3's loop: `scale_loss`, and `apply_gradients` unscales, checks and steps.
ONE_TAPE = '''
import tensorflow as tf
from tensorflow import keras

keras.mixed_precision.set_global_policy("mixed_float16")

model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(2)])
optimizer = keras.mixed_precision.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=2.0**17, dynamic_growth_steps=2)


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(tf.cast(model(x), tf.float32) - y))
        scaled_loss = optimizer.scale_loss(loss)
    grads = tape.gradient(scaled_loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
'''

#: Two tapes over one forward pass, each network with its own loss-scale optimizer; the
#: critic's optimizer clips, which must see the unscaled gradients. The critic runs twice in
#: one autocast region: torch casts its weights to float16 once (autocast's cache) and adds
#: the two calls' weight gradients in float16, TF adds them in float32. Near float16's limit
#: (65504) torch's sum overflows where TF's does not (measured: 66112 at a scale of 2**15),
#: and torch skips that step; the critic's scale starts at 2**10, away from that edge.
TWO_TAPES = '''
import tensorflow as tf
from tensorflow import keras

keras.mixed_precision.set_global_policy("mixed_float16")

generator = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)])
critic = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
generator_optimizer = keras.mixed_precision.LossScaleOptimizer(keras.optimizers.SGD(0.05))
critic_optimizer = keras.mixed_precision.LossScaleOptimizer(keras.optimizers.SGD(0.05, clipnorm=0.1), initial_scale=2.0**10)


def gan_step(noise, real):
    with tf.GradientTape() as gen_tape, tf.GradientTape() as critic_tape:
        fake = generator(noise, training=True)
        fake_out = tf.cast(critic(fake, training=True), tf.float32)
        real_out = tf.cast(critic(real, training=True), tf.float32)
        gen_loss = tf.reduce_mean(tf.square(fake_out - 1.0))
        critic_loss = tf.reduce_mean(tf.square(real_out - 1.0)) + tf.reduce_mean(tf.square(fake_out))
        scaled_gen = generator_optimizer.scale_loss(gen_loss)
        scaled_critic = critic_optimizer.scale_loss(critic_loss)
    gen_grads = gen_tape.gradient(scaled_gen, generator.trainable_variables)
    critic_grads = critic_tape.gradient(scaled_critic, critic.trainable_variables)
    generator_optimizer.apply_gradients(zip(gen_grads, generator.trainable_variables))
    critic_optimizer.apply_gradients(zip(critic_grads, critic.trainable_variables))
    return gen_loss, critic_loss
'''

#: tf.keras 2's loop (`get_scaled_loss`, `get_unscaled_gradients`). Keras 3 dropped those two
#: methods, so the reference for its rewrite is ONE_TAPE run by Keras: the same maths.
LEGACY = ONE_TAPE.replace("optimizer.scale_loss(loss)", "optimizer.get_scaled_loss(loss)").replace(
    "    grads = tape.gradient(scaled_loss, model.trainable_variables)\n",
    "    scaled_grads = tape.gradient(scaled_loss, model.trainable_variables)\n"
    "    grads = optimizer.get_unscaled_gradients(scaled_grads)\n",
)
#: Gradients changed between unscaling and the step: the rewrite unscales them on the
#: parameters (`scaler.unscale_`) and reads them back. Keras 3's reference halves the scaled
#: gradients, which its `apply_gradients` then unscales: the same numbers.
_HALVED = "    grads = [g * 0.5 for g in grads]\n"
_APPLY = "    optimizer.apply_gradients("
LEGACY_CHANGED = LEGACY.replace(_APPLY, _HALVED + _APPLY)
ONE_TAPE_CHANGED = ONE_TAPE.replace(_APPLY, _HALVED + _APPLY)


def migrated(source: str) -> str:
    result = migrate_source(source)
    assert result.error is None
    assert "TODO" not in result.output, result.output
    assert "import tensorflow" not in result.output and "keras" not in result.output, result.output
    return result.output


def run(code: str) -> dict:
    scope: dict = {"__name__": "migrated"}
    exec(compile(code, "<migrated>", "exec"), scope)  # noqa: S102 - our own migrated test code
    return scope


@pytest.fixture
def keras_run():  # noqa: ANN201
    """Runs a Keras source (which sets the global mixed_float16 policy) and puts Keras's
    policy back afterwards, so no other test computes in float16."""
    previous = keras.mixed_precision.global_policy().name
    keras.utils.set_random_seed(0)
    yield run
    keras.mixed_precision.set_global_policy(previous)


def _max_difference(keras_model, torch_model) -> float:  # noqa: ANN001
    linears = [m for m in torch_model.modules() if isinstance(m, torch.nn.Linear)]
    worst = 0.0
    for layer, linear in zip(keras_model.layers, linears):
        kernel, bias = layer.get_weights()
        worst = max(worst, float(np.abs(linear.weight.detach().numpy() - kernel.T).max()))
        worst = max(worst, float(np.abs(linear.bias.detach().numpy() - bias).max()))
    return worst


def test_the_rewrite_autocasts_on_the_machine_it_runs_on() -> None:
    code = migrated(ONE_TAPE)
    assert 'AUTOCAST_DEVICE = "cuda" if torch.cuda.is_available() else "cpu"' in code
    assert "torch.autocast(device_type=AUTOCAST_DEVICE, dtype=MIXED_PRECISION_DTYPE)" in code
    assert "torch.amp.GradScaler(AUTOCAST_DEVICE, init_scale=2.0**17, growth_interval=2)" in code
    ours = run(code)
    assert ours["AUTOCAST_DEVICE"] == "cpu"  # this test machine has no GPU
    with torch.autocast(device_type=ours["AUTOCAST_DEVICE"], dtype=ours["MIXED_PRECISION_DTYPE"]):
        assert ours["model"](torch.zeros(1, 3)).dtype == torch.float16  # autocast is on, not disabled


@pytest.mark.parametrize(
    ("source", "reference"),
    [(ONE_TAPE, ONE_TAPE), (LEGACY, ONE_TAPE), (LEGACY_CHANGED, ONE_TAPE_CHANGED)],
    ids=["scale_loss", "get_unscaled_gradients", "changed_unscaled_gradients"],
)
def test_loss_scaled_steps_match_keras_including_skipped_ones(source: str, reference: str, keras_run) -> None:  # noqa: ANN001
    code = migrated(source)
    if source is LEGACY_CHANGED:
        assert "scaler.unscale_(optimizer)" in code
    else:  # the idiomatic step
        assert "scaled_loss.backward()" in code and "scaler.step(optimizer)" in code and "scaler.update()" in code
    theirs, ours = keras_run(reference), run(code)
    copy_dense_weights(theirs["model"], ours["model"])
    rng = np.random.default_rng(0)
    scales, worst = [], 0.0
    for _ in range(10):
        x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
        want = theirs["train_step"](tf.constant(x), tf.constant(y))
        got = ours["train_step"](torch.from_numpy(x), torch.from_numpy(y))
        np.testing.assert_allclose(float(got.detach()), float(want), rtol=LOSS_RTOL)
        worst = max(worst, _max_difference(theirs["model"], ours["model"]))
        keras_scale = float(theirs["optimizer"].dynamic_scale.numpy())
        assert ours["scaler"].get_scale() == keras_scale
        scales.append(keras_scale)
    # At 2**17 float16 gradients overflow now and then: those steps are skipped and the scale
    # halves; it doubles after every 2 finite steps.
    assert any(b < a for a, b in zip(scales, scales[1:])) and any(b > a for a, b in zip(scales, scales[1:])), scales
    assert worst <= PARAMS_ATOL, worst


def test_two_tape_gan_step_with_two_scalers_matches_keras(keras_run) -> None:  # noqa: ANN001
    code = migrated(TWO_TAPES)
    assert "generator_scaler.step(generator_optimizer)" in code
    assert "critic_scaler.unscale_(critic_optimizer)" in code  # clipping sees unscaled gradients
    theirs, ours = keras_run(TWO_TAPES), run(code)
    for name in ("generator", "critic"):
        copy_dense_weights(theirs[name], ours[name])
    rng = np.random.default_rng(1)
    for _ in range(3):
        noise, real = rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
        want = theirs["gan_step"](tf.constant(noise), tf.constant(real))
        got = ours["gan_step"](torch.from_numpy(noise), torch.from_numpy(real))
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(float(g.detach()), float(w), rtol=LOSS_RTOL)
        for name in ("generator", "critic"):
            assert ours[f"{name}_scaler"].get_scale() == float(theirs[f"{name}_optimizer"].dynamic_scale.numpy())
    worst = max(_max_difference(theirs[name], ours[name]) for name in ("generator", "critic"))
    assert worst <= PARAMS_ATOL, worst


COMPILED = '''
from tensorflow import keras

keras.mixed_precision.set_global_policy("mixed_float16")

model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(4)])
opt = keras.mixed_precision.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=2.0**12)
model.compile(optimizer=opt, loss="mse")
'''


def test_a_compiled_loss_scale_optimizer_gets_one_scaler() -> None:
    # `fit`'s rewrite builds the GradScaler of a compiled LossScaleOptimizer; the optimizer's
    # own rewrite only unwraps it, so no second, unused scaler is written.
    code = migrate_source(COMPILED).output
    assert "opt = torch.optim.SGD(model.parameters(), lr=0.1)" in code
    built = [line for line in code.splitlines() if "GradScaler(" in line and not line.lstrip().startswith("#")]
    assert len(built) == 1, code
