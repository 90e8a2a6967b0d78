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
    assert "opt = KerasAdam(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-07)" in out


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


def test_keras_adam_is_written_once_per_file_and_serves_adamw() -> None:
    out = _out(
        "import keras\n\nmodel = build()\nopt = keras.optimizers.Adam()\nmodel.compile(opt, 'mse')\n"
        "critic = build()\nopt_w = keras.optimizers.AdamW(1e-3)\ncritic.compile(opt_w, 'mse')\n"
    )
    assert out.count("class KerasAdam(torch.optim.Adam):") == 1
    assert "opt_w = KerasAdam(critic.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-07, weight_decay=0.004, decoupled_weight_decay=True)" in out
    assert "import math" in out
    assert migrate_source(out).output == out


def test_rmsprop_with_momentum_and_a_schedule_needs_no_rescaling() -> None:
    """KerasRMSprop keeps the learning rate inside its momentum as Keras does: the schedule
    is stepped and nothing else (SGD's momentum buffers still are rescaled)."""
    out = _out(
        "import keras\n\nmodel = build()\n"
        "opt = keras.optimizers.RMSprop(learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5), momentum=0.9)\n"
        "opt.minimize(lambda: model(x).sum(), model.trainable_variables)\n"
    )
    assert "opt = KerasRMSprop(model.parameters(), lr=1.0, rho=0.9, momentum=0.9, eps=1e-07)" in out
    assert "class KerasRMSprop(torch.optim.Optimizer):" in out
    assert "opt_scheduler.step()" in out and "momentum_buffer\"].mul_(previous_lr" not in out


def test_a_step_reading_an_optimizer_it_does_not_build_writes_no_class() -> None:
    """minimize() reads the plan of an optimizer the file builds; only the constructor's own
    rewrite writes KerasAdam, so a constructor left as a TODO leaves no orphan class."""
    out = _out(
        "import keras\n\nopt = keras.optimizers.Adam()\nmodel = build()\n"
        "opt.minimize(lambda: model(x).sum(), model.trainable_variables)\n"
    )
    assert "TODO(optimizers.optimizer) the optimizer is built before `model`" in out
    assert "opt.step()" in out and "class KerasAdam" not in out


def test_a_comment_above_an_optimizer_with_clipping_is_kept_once() -> None:
    out = _out(
        "import keras\n\nmodel = build()\n\n# Leading comment.\nopt = keras.optimizers.Lion(1e-4, weight_decay=0.01)\n"
        "opt.minimize(lambda: model(x).sum(), var_list=model.trainable_variables)\n"
    )
    assert out.count("# Leading comment.") == 1
    assert "opt = KerasLion(model.parameters(), lr=1e-4, betas=(0.9, 0.99))" in out


def test_optimizers_without_a_torch_form_say_why() -> None:
    out = _out("import keras\n\nmodel = build()\nopt = keras.optimizers.Lamb()\nmodel.compile(optimizer=opt, loss='mse')\n")
    assert "TODO(optimizers.optimizer) Keras's Lamb (Adam with a per-layer trust ratio) has no torch.optim counterpart" in out
