"""GradientTape loops, optimizer steps, tf.Module, tf.Variable methods and checkpoints: the
migrated code computes what the TF code computes.

Each test migrates a small TF program with the engine, runs the original with TensorFlow and
the rewrite with torch (the rewrite must import neither TF nor Keras), starting from the same
numbers, and compares. Tolerances: gradients and single steps 1e-5 (float32 rounding of the
same formulas); three training steps 1e-5 on losses and parameters.
"""

from __future__ import annotations

import numpy as np
import pytest

from migrate.codemod import migrate_source

tf = pytest.importorskip("tensorflow")
torch = pytest.importorskip("torch")
from .dense_weights import copy_dense_weights  # noqa: E402


def migrated(source: str, todo: bool = False) -> str:
    result = migrate_source(source)
    assert result.error is None
    if not todo:
        assert "TODO" not in result.output, result.output
        assert "import tensorflow" not in result.output and "keras" not in result.output, result.output
    return result.output


def run(code: str) -> dict:
    scope: dict = {"__name__": "migrated"}
    exec(compile(code, "<migrated>", "exec"), scope)  # noqa: S102 - our own migrated test code
    return scope


def value(x) -> np.ndarray:  # noqa: ANN001
    if hasattr(x, "detach"):
        return x.detach().numpy()
    return np.asarray(x)


TAPES = '''
import tensorflow as tf


def persistent(x0):
    x = tf.constant(x0, dtype=tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    dz_dx = tape.gradient(z, x)
    dy_dx = tape.gradient(y, x)
    del tape
    return dz_dx, dy_dx


def second(x0):
    x = tf.Variable(tf.constant(x0, dtype=tf.float32))
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = x * x * x
        dy_dx = inner.gradient(y, x)
    d2y_dx2 = outer.gradient(dy_dx, x)
    return dy_dx, d2y_dx2


def linear(x, w0, b0):
    w = tf.Variable(tf.constant(w0, dtype=tf.float32))
    b = tf.Variable(tf.constant(b0, dtype=tf.float32))
    unused = tf.Variable(tf.constant(1.0, dtype=tf.float32))
    with tf.GradientTape() as tape:
        y = tf.matmul(tf.constant(x, dtype=tf.float32), w) + b
        loss = tf.reduce_mean(y**2)
    dw, db, du = tape.gradient(loss, [w, b, unused], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return dw, db, du
'''


def test_tape_gradients_match_tf() -> None:
    code = migrated(TAPES)
    assert "retain_graph=True" in code and "create_graph=True" in code and "materialize_grads=True" in code
    ours, theirs = run(code), run(TAPES)
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=(2,))
    for name, args in (("persistent", (1.5,)), ("second", (-0.7,)), ("linear", (x, w, b))):
        for got, want in zip(ours[name](*args), theirs[name](*args), strict=True):
            np.testing.assert_allclose(value(got), want.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


TARGETS = '''
import tensorflow as tf


def vector_target(x0):
    x = tf.Variable(tf.constant(x0, dtype=tf.float32))
    with tf.GradientTape() as tape:
        y = x * x * 3.0
    return tape.gradient(y, x)


def weighted_target(x0, w0):
    x = tf.Variable(tf.constant(x0, dtype=tf.float32))
    with tf.GradientTape() as tape:
        y = tf.sin(x)
    return tape.gradient(y, x, output_gradients=tf.constant(w0, dtype=tf.float32))


def several_targets(x0):
    x = tf.Variable(tf.constant(x0, dtype=tf.float32))
    with tf.GradientTape() as tape:
        a = tf.reduce_sum(x**3)
        b = x * 2.0
    return tape.gradient([a, b], x)


def named_targets(x0):
    x = tf.Variable(tf.constant(x0, dtype=tf.float32))
    with tf.GradientTape() as tape:
        total = [tf.reduce_mean(x), tf.exp(x)]
    return tape.gradient(total, x)


def unconnected(x0):
    x = tf.Variable(tf.constant(x0, dtype=tf.float32))
    u = tf.Variable(tf.constant(1.0, dtype=tf.float32))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x * x)
    return tape.gradient(y, [x, u])


def unconnected_none(x0):
    x = tf.Variable(tf.constant(x0, dtype=tf.float32))
    u = tf.Variable(tf.constant(1.0, dtype=tf.float32))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x * x)
    return tape.gradient(y, [x, u], unconnected_gradients=tf.UnconnectedGradients.NONE)
'''


def test_non_scalar_targets_and_unconnected_sources_match_tf() -> None:
    # TF differentiates the sum of a tensor target and returns None for a source the target
    # does not depend on; torch needs `.sum()` and `allow_unused=True` to do the same.
    code = migrated(TARGETS)
    assert "y.sum()" in code and "grad_outputs=" in code and "allow_unused=True" in code
    assert "torch.autograd.grad(y, [x, u]" in code  # a reduce_sum is a scalar: no `.sum()`
    ours, theirs = run(code), run(TARGETS)
    x0 = np.random.default_rng(3).normal(size=(2, 3))
    w0 = np.random.default_rng(4).normal(size=(2, 3))
    for name, args in (
        ("vector_target", (x0,)), ("weighted_target", (x0, w0)), ("several_targets", (x0,)), ("named_targets", (x0,)),
    ):
        np.testing.assert_allclose(value(ours[name](*args)), theirs[name](*args).numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
    for name in ("unconnected", "unconnected_none"):
        got, want = ours[name](x0), theirs[name](x0)
        assert want[1] is None and got[1] is None, name
        np.testing.assert_allclose(value(got[0]), want[0].numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


LOSS_OBJECTS = '''
import tensorflow as tf

mse = tf.keras.losses.MeanSquaredError()
per_example = tf.keras.losses.MeanSquaredError(reduction="none")
BATCH = 4


def gradients(x0, y0, w0):
    x, y = tf.constant(x0, dtype=tf.float32), tf.constant(y0, dtype=tf.float32)
    w = tf.Variable(tf.constant(w0, dtype=tf.float32))
    with tf.GradientTape(persistent=True) as tape:
        mean_loss = mse(y, x @ w)
        per_example_loss = per_example(y, x @ w)
        share = tf.reduce_sum(per_example_loss) / BATCH
    return (tape.gradient(mean_loss, w), tape.gradient(per_example_loss, w), tape.gradient(share, w))
'''


def test_loss_object_targets_are_summed_only_without_a_reduction() -> None:
    code = migrated(LOSS_OBJECTS)
    assert "grad(mean_loss, w" in code and "grad(per_example_loss.sum(), w" in code and "grad(share, w" in code
    ours, theirs = run(code), run(LOSS_OBJECTS)
    rng = np.random.default_rng(5)
    args = rng.normal(size=(4, 3)), rng.normal(size=(4, 2)), rng.normal(size=(3, 2))
    for got, want in zip(ours["gradients"](*args), theirs["gradients"](*args), strict=True):
        np.testing.assert_allclose(value(got), want.numpy(), rtol=1e-5, atol=1e-6)


STEPS = '''
import tensorflow as tf
from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(4, activation="tanh", input_shape=(3,)), keras.layers.Dense(2)])
critic = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
optimizer = keras.optimizers.SGD(0.1, momentum=0.9, global_clipnorm=0.5)
critic_optimizer = keras.optimizers.SGD(0.05)


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


def adversarial_step(x):
    with tf.GradientTape() as model_tape, tf.GradientTape() as critic_tape:
        out = model(x)
        model_loss = -tf.reduce_mean(critic(out))
        critic_loss = tf.reduce_mean(critic(out) ** 2)
    model_grads = model_tape.gradient(model_loss, model.trainable_variables)
    critic_grads = critic_tape.gradient(critic_loss, critic.trainable_variables)
    optimizer.apply_gradients(zip(model_grads, model.trainable_variables))
    critic_optimizer.apply_gradients(zip(critic_grads, critic.trainable_variables))
    return model_loss, critic_loss
'''


def _assert_same_weights(keras_model, torch_model) -> None:  # noqa: ANN001
    linears = [m for m in torch_model.modules() if isinstance(m, torch.nn.Linear)]
    for layer, linear in zip(keras_model.layers, linears):
        kernel, bias = layer.get_weights()
        np.testing.assert_allclose(value(linear.weight), kernel.T, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(value(linear.bias), bias, rtol=1e-5, atol=1e-5)


def test_one_tape_step_and_two_tape_step_train_like_keras() -> None:
    code = migrated(STEPS)
    assert "loss.backward()" in code  # one tape, one loss: the idiomatic step
    assert "retain_graph=True" in code  # two tapes over one forward pass
    tf.random.set_seed(0)
    theirs, ours = run(STEPS), run(code)
    for name in ("model", "critic"):
        copy_dense_weights(theirs[name], ours[name])
    rng = np.random.default_rng(1)
    for _ in range(3):
        x, y = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
        want = theirs["train_step"](tf.constant(x), tf.constant(y))
        got = ours["train_step"](torch.from_numpy(x), torch.from_numpy(y))
        np.testing.assert_allclose(value(got), want.numpy(), rtol=1e-5, atol=1e-6)
        want = theirs["adversarial_step"](tf.constant(x))
        got = ours["adversarial_step"](torch.from_numpy(x))
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(value(g), w.numpy(), rtol=1e-5, atol=1e-6)
    for name in ("model", "critic"):
        _assert_same_weights(theirs[name], ours[name])


MINIMIZE = '''
import tensorflow as tf
from tensorflow import keras

w = tf.Variable(tf.constant([1.0, -2.0], dtype=tf.float32))
opt = keras.optimizers.SGD(0.1)


def step():
    opt.minimize(lambda: tf.reduce_sum((w - 5.0) ** 2), var_list=[w])
'''


NON_SCALAR_MINIMIZE = MINIMIZE.replace("tf.reduce_sum((w - 5.0) ** 2)", "(w - 5.0) ** 2")


@pytest.mark.parametrize("source", [MINIMIZE, NON_SCALAR_MINIMIZE], ids=["scalar", "tensor"])
def test_minimize_takes_the_same_steps(source: str) -> None:
    # Keras 3 optimizers dropped `minimize` (tf.keras 2 had it), so the reference is SGD's
    # formula itself: w <- w - lr * d/dw sum((w - 5)^2) = w - 0.1 * 2 (w - 5).
    # A tensor loss is summed, as TF's tape does: the same formula.
    ours = run(migrated(source))
    expected = np.array([1.0, -2.0])
    for _ in range(3):
        ours["step"]()
        expected = expected - 0.1 * 2 * (expected - 5.0)
    np.testing.assert_allclose(value(ours["w"]), expected, rtol=1e-6)


VARIABLES = '''
import tensorflow as tf

step = tf.Variable(0, trainable=False)
w = tf.Variable([1.0, 2.0, 3.0])
step.assign_add(2)
step.assign_sub(1)
w.assign(w * 0.5)
w.assign_add([1.0, 1.0, 1.0])
w.assign_sub([0.25, 0.25, 0.25])
snapshot = w.read_value()
w.assign([0.0, 0.0, 0.0])
as_numpy = w.numpy()
'''


def test_variable_updates_match_tf() -> None:
    code = migrated(VARIABLES)
    theirs, ours = run(VARIABLES), run(code)
    assert int(ours["step"]) == int(theirs["step"]) == 1
    np.testing.assert_allclose(value(ours["snapshot"]), theirs["snapshot"].numpy())
    np.testing.assert_allclose(ours["as_numpy"], theirs["as_numpy"])
    assert isinstance(ours["as_numpy"], np.ndarray)
    assert ours["w"].requires_grad  # still the trainable parameter it was


MODULE = '''
import tensorflow as tf


class Dense(tf.Module):
    def __init__(self, w0, b0, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(tf.constant(w0, dtype=tf.float32), name="w")
        self.b = tf.Variable(tf.constant(b0, dtype=tf.float32), name="b")
        self.calls = tf.Variable(0, trainable=False)

    def __call__(self, x):
        self.calls.assign_add(1)
        return tf.nn.relu(tf.matmul(x, self.w) + self.b)


class Stack(tf.Module):
    def __init__(self, w0, b0):
        super().__init__()
        self.first = Dense(w0, b0)

    def __call__(self, x):
        return self.first(x) * 2.0
'''


def test_tf_module_becomes_an_nn_module_with_the_same_output() -> None:
    code = migrated(MODULE)
    theirs, ours = run(MODULE), run(code)
    rng = np.random.default_rng(2)
    w0, b0, x = rng.normal(size=(3, 2)), rng.normal(size=(2,)), rng.normal(size=(5, 3)).astype("float32")
    tf_stack, torch_stack = theirs["Stack"](w0, b0), ours["Stack"](w0, b0)
    assert isinstance(torch_stack, torch.nn.Module)
    # Trainable variables are parameters (registered through the submodule); the counter is a buffer.
    assert sorted(dict(torch_stack.named_parameters())) == ["first.b", "first.w"]
    assert sorted(dict(torch_stack.named_buffers())) == ["first.calls"]
    assert len(tf_stack.trainable_variables) == len(list(torch_stack.parameters()))
    np.testing.assert_allclose(value(torch_stack(torch.from_numpy(x))), tf_stack(tf.constant(x)).numpy(), rtol=1e-5, atol=1e-6)
    assert int(torch_stack.first.calls) == int(tf_stack.first.calls) == 1


CHECKPOINTS = '''
import tensorflow as tf
from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
optimizer = keras.optimizers.SGD(0.1)
step = tf.Variable(0, trainable=False)


def make_manager(directory):
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, step=step)
    manager = tf.train.CheckpointManager(checkpoint, directory, max_to_keep=2)
    return checkpoint, manager


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    step.assign_add(1)
'''


def test_checkpoint_manager_keeps_the_last_files_and_restores_them(tmp_path) -> None:  # noqa: ANN001
    code = migrated(CHECKPOINTS)
    ours = run(code)
    model, directory = ours["model"], str(tmp_path / "ckpts")
    checkpoint, manager = ours["make_manager"](directory)
    assert checkpoint.restore(manager.latest_checkpoint) is checkpoint  # None: a fresh start
    x, y = torch.randn(4, 3), torch.randn(4, 2)
    saved = []
    for _ in range(3):
        ours["train_step"](x, y)
        saved.append(manager.save())
    assert sorted(p.name for p in (tmp_path / "ckpts").iterdir()) == ["ckpt-2", "ckpt-3"]
    assert manager.latest_checkpoint == saved[-1]
    expected = {k: v.clone() for k, v in model.state_dict().items()}
    ours["train_step"](x, y)  # move away from the saved state
    # A restart: a new manager finds the files, and restoring brings everything back.
    checkpoint, manager = ours["make_manager"](directory)
    assert manager.checkpoints == saved[1:]
    checkpoint.restore(manager.latest_checkpoint).expect_partial()
    for key, tensor in model.state_dict().items():
        assert torch.equal(tensor, expected[key]), key
    assert int(ours["step"]) == 3 and checkpoint.save_counter == 3
    manager.save()
    assert sorted(p.name for p in (tmp_path / "ckpts").iterdir()) == ["ckpt-3", "ckpt-4"]


SAVING = '''
from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])


def save(path):
    model.save_weights(path)


def load(path):
    model.load_weights(path)
'''


def test_save_weights_then_load_weights_round_trips(tmp_path) -> None:  # noqa: ANN001
    code = migrated(SAVING)
    assert "torch.save(model.state_dict()" in code and "model.load_state_dict(torch.load(" in code
    ours = run(code)
    path = str(tmp_path / "w.weights.h5")
    ours["save"](path)
    saved = {k: v.clone() for k, v in ours["model"].state_dict().items()}
    with torch.no_grad():
        for p in ours["model"].parameters():
            p.add_(1.0)
    ours["load"](path)
    for key, tensor in ours["model"].state_dict().items():
        assert torch.equal(tensor, saved[key]), key
