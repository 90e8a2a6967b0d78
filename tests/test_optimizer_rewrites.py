"""Where an optimizer's parameters come from, and the code written around ``step()``.

Source-level behaviours of ``rules/keras_optimizers.py`` the golden fixtures do not pin
(their numbers are in test_training_equivalence.py); no TensorFlow or torch needed.
"""

from __future__ import annotations

from migrate.codemod import migrate_source


def _out(source: str) -> str:
    result = migrate_source(source)
    assert result.error is None
    return result.output


def test_compile_positional_optimizer_names_the_parameters() -> None:
    out = _out("import keras\n\nmodel = build()\nopt = keras.optimizers.Adam(1e-4)\nmodel.compile(opt, 'mse')\n")
    assert "opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-07)" in out


def test_optimizer_built_before_its_model_is_a_todo() -> None:
    out = _out(
        "import keras\n\nopt = keras.optimizers.SGD()\nmodel = build()\n"
        "opt.minimize(lambda: model(x).sum(), model.trainable_variables)\n"
    )
    assert "TODO(optimizers.optimizer) the optimizer is built before `model`" in out


def test_optimizer_without_a_use_is_a_todo() -> None:
    out = _out("import keras\n\nopt = keras.optimizers.SGD()\n")
    assert "TODO(optimizers.optimizer) the optimizer needs the parameters it updates" in out


def test_loops_around_step_do_not_overwrite_the_users_p() -> None:
    out = _out(
        "import tensorflow as tf\n\nmodel = build()\nopt = tf.keras.optimizers.SGD(0.1, clipnorm=1.0)\n\n\n"
        "def step(x, y):\n"
        "    with tf.GradientTape() as tape:\n"
        "        p = model(x)\n"
        "        loss = tf.reduce_mean((p - y) ** 2)\n"
        "    grads = tape.gradient(loss, model.trainable_variables)\n"
        "    opt.apply_gradients(zip(grads, model.trainable_variables))\n"
    )
    assert "for param in model.parameters():" in out and "for p in" not in out


def test_keras2_decay_becomes_a_schedule_with_momentum_rescaling() -> None:
    out = _out(
        "import keras\n\nmodel = build()\nopt = keras.optimizers.SGD(lr=0.1, decay=1e-3, momentum=0.9)\n"
        "opt.minimize(lambda: model(x).sum(), model.trainable_variables)\n"
    )
    assert "opt = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9)" in out
    assert "LambdaLR(opt, lr_lambda=lambda step: 0.1 / (1 + 1e-3 * step))" in out
    assert 'param_state["momentum_buffer"].mul_(previous_lr / opt.param_groups[0]["lr"])' in out


def test_optimizer_inside_compile_is_left_to_the_compile_rewrite() -> None:
    out = _out("import keras\n\nmodel = build()\nmodel.compile(optimizer=keras.optimizers.Adam(1e-3), loss='mse')\n")
    assert "TODO(optimizers.optimizer)" not in out
