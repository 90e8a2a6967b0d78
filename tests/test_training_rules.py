"""The migrated training loop and callbacks behave as Keras's do.

Each test migrates a small Keras source with the engine, executes the result with torch, and
compares it with Keras itself driven the same way:

* the callbacks (EarlyStopping, ReduceLROnPlateau, ModelCheckpoint, CSVLogger,
  LearningRateScheduler, TerminateOnNaN) are fed the same sequence of epoch logs as the Keras
  callbacks attached to a real Keras model: the epoch training stops at, the restored weights,
  the learning rates, the files saved and the CSV bytes must be identical;
* `fit` calls a custom callback's hooks in the order Keras 3's `fit` calls them (same data
  sizes, batch size, epochs, validation);
* `fit` with `validation_split` validates on the last fraction of the arrays, and the History
  has Keras's keys, one value per epoch.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from migrate.codemod import migrate_source

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")


def migrated(source: str) -> dict[str, Any]:
    """Migrate ``source``, check nothing is left to do, and execute the result."""
    result = migrate_source(source)
    assert result.error is None
    todos = [f for f in result.findings if f.outcome.name == "TODO"]
    assert not todos, todos
    scope: dict[str, Any] = {"__name__": "migrated"}
    exec(compile(result.output, "<migrated>", "exec"), scope)  # noqa: S102
    return scope


CALLBACKS = """
from tensorflow import keras

def schedule(epoch, lr):
    return lr * 0.5 if epoch % 2 else lr
"""


@pytest.fixture(scope="module")
def torch_callbacks() -> dict[str, Any]:
    source = CALLBACKS + "\n".join(
        f"{name} = keras.callbacks.{call}"
        for name, call in {
            "stop": "EarlyStopping()",
            "reduce": "ReduceLROnPlateau()",
            "checkpoint": 'ModelCheckpoint("m.weights.h5")',
            "logger": 'CSVLogger("log.csv")',
            "scheduler": "LearningRateScheduler(schedule)",
            "guard": "TerminateOnNaN()",
            "printer": "LambdaCallback(on_epoch_end=print)",
        }.items()
    )
    return migrated(source)


def keras_model(lr: float = 0.1) -> Any:
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse")
    return model


def torch_model(lr: float = 0.1) -> tuple[Any, Any]:
    model = torch.nn.Linear(2, 1)
    return model, torch.optim.SGD(model.parameters(), lr=lr)


# Validation losses with plateaus, a tiny improvement below min_delta, and a late best.
VAL_LOSSES = [1.0, 0.9, 0.9, 0.89995, 0.95, 0.8, 0.8, 0.81, 0.82, 0.83, 0.84, 0.85]


def drive_keras(callback: Any, model: Any, values: list[float], key: str = "val_loss") -> tuple[int, list[dict]]:
    """Epoch hooks as Keras's fit calls them; each epoch's weights are the epoch number."""
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin({})
    seen = []
    epoch = -1
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch, {})
        model.set_weights([np.full(w.shape, float(epoch), "float32") for w in model.get_weights()])
        logs = {"loss": value + 1.0, key: value}
        callback.on_epoch_end(epoch, logs)
        seen.append(dict(logs))
        if model.stop_training:
            break
    callback.on_train_end({})
    return epoch, seen


def drive_torch(callback: Any, model: Any, optimizer: Any, values: list[float], key: str = "val_loss") -> tuple[int, list[dict]]:
    callback.set_model(model)
    callback.optimizer = optimizer
    model.stop_training = False
    callback.on_train_begin({})
    seen = []
    epoch = -1
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch, {})
        with torch.no_grad():
            for p in model.parameters():
                p.fill_(float(epoch))
        logs = {"loss": value + 1.0, key: value}
        callback.on_epoch_end(epoch, logs)
        seen.append(dict(logs))
        if model.stop_training:
            break
    callback.on_train_end({})
    return epoch, seen


@pytest.mark.parametrize(
    "arguments",
    [
        {"patience": 2},
        {"patience": 2, "restore_best_weights": True},
        {"patience": 1, "min_delta": 0.01, "restore_best_weights": True},
        {"patience": 3, "baseline": 0.85},
        {"patience": 0, "start_from_epoch": 3},
        {"monitor": "val_accuracy", "mode": "max", "patience": 2, "restore_best_weights": True},
    ],
)
def test_early_stopping_stops_and_restores_like_keras(torch_callbacks: dict, arguments: dict) -> None:
    key = arguments.get("monitor", "val_loss")
    values = VAL_LOSSES if key == "val_loss" else [1 - v for v in VAL_LOSSES]
    k_model = keras_model()
    k_epoch, _ = drive_keras(keras.callbacks.EarlyStopping(**arguments), k_model, values, key)
    t_model, t_opt = torch_model()
    t_epoch, _ = drive_torch(torch_callbacks["EarlyStopping"](**arguments), t_model, t_opt, values, key)
    assert t_epoch == k_epoch
    # The weights left at the end: the best epoch's (restored) or the last one's.
    assert float(t_model.weight.detach().flatten()[0]) == float(k_model.get_weights()[0].flatten()[0])


@pytest.mark.parametrize(
    "arguments",
    [
        {},
        {"patience": 1},
        {"patience": 1, "factor": 0.5, "cooldown": 2},
        {"patience": 2, "min_delta": 0.05, "min_lr": 0.02},
    ],
)
def test_reduce_lr_on_plateau_changes_the_rate_like_keras(torch_callbacks: dict, arguments: dict) -> None:
    k_model = keras_model()
    _, k_logs = drive_keras(keras.callbacks.ReduceLROnPlateau(**arguments), k_model, VAL_LOSSES)
    t_model, t_opt = torch_model()
    _, t_logs = drive_torch(torch_callbacks["ReduceLROnPlateau"](**arguments), t_model, t_opt, VAL_LOSSES)
    k_rates = [log["learning_rate"] for log in k_logs]
    t_rates = [log["learning_rate"] for log in t_logs]
    assert len(set(k_rates)) > 1 or arguments == {}  # the cases do reduce
    np.testing.assert_allclose(t_rates, k_rates, rtol=1e-6)  # Keras keeps the rate in float32


def test_learning_rate_scheduler_sets_and_logs_the_rate_like_keras(torch_callbacks: dict) -> None:
    def schedule(epoch: int, lr: float) -> float:
        return lr * 0.5 if epoch % 2 else lr

    k_model = keras_model()
    _, k_logs = drive_keras(keras.callbacks.LearningRateScheduler(schedule), k_model, VAL_LOSSES[:6])
    t_model, t_opt = torch_model()
    _, t_logs = drive_torch(torch_callbacks["LearningRateScheduler"](schedule), t_model, t_opt, VAL_LOSSES[:6])
    np.testing.assert_allclose([l["learning_rate"] for l in t_logs], [l["learning_rate"] for l in k_logs], rtol=1e-6)


def test_csv_logger_writes_the_same_file_as_keras(torch_callbacks: dict, tmp_path: Path) -> None:
    values = [0.5, 0.25, 0.125]
    drive_keras(keras.callbacks.CSVLogger(str(tmp_path / "keras.csv")), keras_model(), values)
    t_model, t_opt = torch_model()
    drive_torch(torch_callbacks["CSVLogger"](str(tmp_path / "torch.csv")), t_model, t_opt, values)
    assert (tmp_path / "torch.csv").read_bytes() == (tmp_path / "keras.csv").read_bytes()
    # append=True adds rows without a second header, as Keras does.
    drive_keras(keras.callbacks.CSVLogger(str(tmp_path / "keras.csv"), append=True), keras_model(), values)
    drive_torch(torch_callbacks["CSVLogger"](str(tmp_path / "torch.csv"), append=True), t_model, t_opt, values)
    assert (tmp_path / "torch.csv").read_bytes() == (tmp_path / "keras.csv").read_bytes()


def test_model_checkpoint_saves_the_epochs_keras_saves(torch_callbacks: dict, tmp_path: Path) -> None:
    k_dir, t_dir = tmp_path / "keras", tmp_path / "torch"
    drive_keras(
        keras.callbacks.ModelCheckpoint(str(k_dir / "m-{epoch:02d}-{val_loss:.3f}.weights.h5"), save_best_only=True, save_weights_only=True),
        keras_model(), VAL_LOSSES,
    )
    t_model, t_opt = torch_model()
    drive_torch(
        torch_callbacks["ModelCheckpoint"](str(t_dir / "m-{epoch:02d}-{val_loss:.3f}.pt"), save_best_only=True, save_weights_only=True),
        t_model, t_opt, VAL_LOSSES,
    )
    keras_saved = sorted(p.name.removesuffix(".weights.h5") for p in k_dir.iterdir())
    torch_saved = sorted(p.name.removesuffix(".pt") for p in t_dir.iterdir())
    assert torch_saved == keras_saved and len(torch_saved) == 4
    last = torch.load(t_dir / (torch_saved[-1] + ".pt"))
    assert set(last) == {"weight", "bias"} and float(last["weight"][0, 0]) == 5.0  # epoch 6's weights


def test_terminate_on_nan_stops_at_the_bad_batch(torch_callbacks: dict) -> None:
    t_model, _ = torch_model()
    guard = torch_callbacks["TerminateOnNaN"]()
    guard.set_model(t_model)
    t_model.stop_training = False
    guard.on_train_batch_end(0, {"loss": 1.0})
    assert not t_model.stop_training
    guard.on_train_batch_end(1, {"loss": math.nan})
    assert t_model.stop_training
    with pytest.raises(RuntimeError):
        torch_callbacks["TerminateOnNaN"](raise_error=True).on_train_batch_end(2, {"loss": math.inf})


# ---------------------------------------------------------------------------------------
# fit itself.

HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end")

FIT = """
import numpy as np
from tensorflow import keras


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append(("on_train_begin", None, sorted(logs or {})))

    def on_train_end(self, logs=None):
        self.events.append(("on_train_end", None, sorted(logs or {})))

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("on_epoch_begin", epoch, sorted(logs or {})))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("on_epoch_end", epoch, sorted(logs or {})))

    def on_train_batch_begin(self, batch, logs=None):
        self.events.append(("on_train_batch_begin", batch, sorted(logs or {})))

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("on_train_batch_end", batch, sorted(logs or {})))


rng = np.random.default_rng(0)
x = rng.random((20, 3)).astype("float32")
y = rng.random((20, 1)).astype("float32")
model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
recorder = Recorder()
history = model.fit(x, y, batch_size=8, epochs=3, validation_split=0.2, callbacks=[recorder], verbose=0)
frequent = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
frequent.compile(optimizer="sgd", loss="mse")
every_other = frequent.fit(x, y, epochs=4, validation_data=(x, y), validation_freq=2, validation_batch_size=5, verbose=0)
after_fit = model.evaluate(x[16:], y[16:], verbose=0)
"""


@pytest.fixture(scope="module")
def keras_fit() -> dict[str, Any]:
    scope: dict[str, Any] = {}
    exec(compile(FIT, "<keras>", "exec"), scope)  # noqa: S102
    return scope


@pytest.fixture(scope="module")
def torch_fit() -> dict[str, Any]:
    torch.manual_seed(0)
    return migrated(FIT)


def test_fit_calls_the_hooks_in_keras_order(keras_fit: dict, torch_fit: dict) -> None:
    keras_events = [e for e in keras_fit["recorder"].events if e[0] in HOOKS]
    torch_events = torch_fit["recorder"].events
    assert [e[:2] for e in torch_events] == [e[:2] for e in keras_events]
    # 16 training rows in batches of 8: two batches per epoch, three epochs.
    assert sum(e[0] == "on_train_batch_end" for e in torch_events) == 6
    # The logs each hook sees carry the same names.
    assert [e[2] for e in torch_events] == [e[2] for e in keras_events]


def test_fit_history_has_keras_keys_and_validates_on_the_last_fraction(keras_fit: dict, torch_fit: dict) -> None:
    history = torch_fit["history"]
    assert sorted(history.history) == sorted(keras_fit["history"].history) == ["loss", "val_loss"]
    assert history.epoch == [0, 1, 2]
    assert all(len(v) == 3 and all(math.isfinite(x) for x in v) for v in history.history.values())
    # The last epoch's validation ran on the last 20% of the arrays (Keras's split, before
    # shuffling): evaluating the trained model on x[16:] gives the same number (fp32, 1e-6).
    assert history.history["val_loss"][-1] == pytest.approx(torch_fit["after_fit"], rel=1e-6)
    assert keras_fit["history"].history["val_loss"][-1] == pytest.approx(keras_fit["after_fit"], rel=1e-5)


def test_fit_validates_every_validation_freq_epochs(keras_fit: dict, torch_fit: dict) -> None:
    keras_history = keras_fit["every_other"].history
    torch_history = torch_fit["every_other"].history
    assert len(torch_history["val_loss"]) == len(keras_history["val_loss"]) == 2
    assert len(torch_history["loss"]) == len(keras_history["loss"]) == 4


def test_fit_trains(torch_fit: dict) -> None:
    losses = torch_fit["history"].history["loss"]
    assert losses[-1] < losses[0]


# ---------------------------------------------------------------------------------------
# fit trains the same numbers as Keras's fit, from the same weights, on the same batches.

SAME = """
import numpy as np
from tensorflow import keras


def build():
    return keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])


def train(model, x, y, x_val, y_val, class_weight, sample_weight, steps_per_epoch):
    model.compile(
        optimizer=keras.optimizers.SGD(0.1, momentum=0.5),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model.fit(
        x, y, batch_size=8, epochs=3, shuffle=False, class_weight=class_weight, sample_weight=sample_weight,
        steps_per_epoch=steps_per_epoch,
        # With steps_per_epoch, validation takes the first batch of 4 rows of a fresh pass.
        validation_batch_size=4 if steps_per_epoch else None,
        validation_steps=1 if steps_per_epoch else None,
        validation_data=(x_val, y_val), verbose=0,
    )
"""


@pytest.mark.parametrize(
    "class_weight, weighted, steps_per_epoch",
    [(None, False, None), ({0: 1.0, 1: 2.0, 2: 0.5}, False, None), (None, True, None), (None, False, 2)],
    ids=["plain", "class_weight", "sample_weight", "steps_per_epoch"],
)
def test_fit_matches_keras_from_the_same_weights(class_weight: dict | None, weighted: bool, steps_per_epoch: int | None) -> None:
    """`steps_per_epoch=2` of 3 batches: Keras takes batches 1-2, then 3 (the pass runs out),
    then 1-2 of a new pass; the migrated loop must take the same ones."""
    rng = np.random.default_rng(1)
    sample_weight = rng.uniform(0.5, 2.0, size=20).astype("float32") if weighted else None
    x, x_val = rng.normal(size=(20, 4)).astype("float32"), rng.normal(size=(6, 4)).astype("float32")
    y, y_val = rng.integers(0, 3, size=20), rng.integers(0, 3, size=6)
    k_scope: dict[str, Any] = {}
    exec(compile(SAME, "<keras>", "exec"), k_scope)  # noqa: S102
    k_model = k_scope["build"]()
    kernel, bias = (w.copy() for w in k_model.get_weights())
    k_history = k_scope["train"](k_model, x, y, x_val, y_val, class_weight, sample_weight, steps_per_epoch).history

    t_scope = migrated(SAME)
    t_model = t_scope["build"]()
    with torch.no_grad():
        t_model.dense.weight.copy_(torch.from_numpy(kernel.T))
        t_model.dense.bias.copy_(torch.from_numpy(bias))
    t_history = t_scope["train"](t_model, x, y, x_val, y_val, class_weight, sample_weight, steps_per_epoch).history

    assert sorted(t_history) == sorted(k_history) == ["loss", "val_loss"]
    # 3 epochs of 3 batches (the last one of 4 rows), fp32: within 1e-5.
    for name in ("loss", "val_loss"):
        np.testing.assert_allclose(t_history[name], k_history[name], rtol=1e-5, atol=1e-6)
    new_kernel, new_bias = k_model.get_weights()
    np.testing.assert_allclose(t_model.dense.weight.detach().numpy(), new_kernel.T, atol=1e-5)
    np.testing.assert_allclose(t_model.dense.bias.detach().numpy(), new_bias, atol=1e-5)
    assert not np.allclose(new_kernel, kernel)  # it did train


SCHEDULED = """
import numpy as np
from tensorflow import keras


def build():
    return keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])


def train(model, x, y):
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    model.compile(optimizer=keras.optimizers.SGD(schedule, momentum=0.9), loss="mse")
    return model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
"""


def test_fit_with_momentum_under_a_schedule_matches_keras() -> None:
    """Keras keeps the learning rate inside SGD's momentum, torch outside: under a schedule
    the loop must rescale torch's buffers after each scheduler step (the optimizer plan's
    after_step), or the weights drift (by ~0.1 here)."""
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(12, 4)).astype("float32"), rng.normal(size=(12, 3)).astype("float32")
    k_scope: dict[str, Any] = {}
    exec(compile(SCHEDULED, "<keras>", "exec"), k_scope)  # noqa: S102
    k_model = k_scope["build"]()
    kernel, bias = (w.copy() for w in k_model.get_weights())
    k_history = k_scope["train"](k_model, x, y).history
    t_scope = migrated(SCHEDULED)
    t_model = t_scope["build"]()
    with torch.no_grad():
        t_model.dense.weight.copy_(torch.from_numpy(kernel.T))
        t_model.dense.bias.copy_(torch.from_numpy(bias))
    t_history = t_scope["train"](t_model, x, y).history
    np.testing.assert_allclose(t_history["loss"], k_history["loss"], rtol=1e-5, atol=1e-6)
    new_kernel, _ = k_model.get_weights()
    np.testing.assert_allclose(t_model.dense.weight.detach().numpy(), new_kernel.T, atol=1e-5)


def test_lambda_callback_functions_are_the_hooks(torch_callbacks: dict) -> None:
    seen: list = []
    callback = torch_callbacks["LambdaCallback"](
        on_epoch_end=lambda epoch, logs: seen.append(("epoch", epoch, logs["loss"])),
        on_batch_end=lambda batch, logs: seen.append(("batch", batch, logs["loss"])),
    )
    callback.on_train_batch_end(0, {"loss": 2.0})  # Keras's on_train_batch_end calls on_batch_end
    callback.on_epoch_end(0, {"loss": 1.5})
    callback.on_train_begin({})  # not given: a no-op
    assert seen == [("batch", 0, 2.0), ("epoch", 0, 1.5)]


ON_BATCH = """
from tensorflow import keras


def build():
    return keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])


def steps(model, x, y):
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    losses = [model.train_on_batch(x, y) for _ in range(3)]
    return losses, model.test_on_batch(x, y), model.predict_on_batch(x)
"""


def test_on_batch_calls_match_keras_from_the_same_weights() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(6, 4)).astype("float32"), rng.normal(size=(6, 2)).astype("float32")
    k_scope: dict[str, Any] = {}
    exec(compile(ON_BATCH, "<keras>", "exec"), k_scope)  # noqa: S102
    k_model = k_scope["build"]()
    kernel, bias = (w.copy() for w in k_model.get_weights())
    k_losses, k_test, k_pred = k_scope["steps"](k_model, x, y)

    t_scope = migrated(ON_BATCH)
    t_model = t_scope["build"]()
    with torch.no_grad():
        t_model.dense.weight.copy_(torch.from_numpy(kernel.T))
        t_model.dense.bias.copy_(torch.from_numpy(bias))
    t_losses, t_test, t_pred = t_scope["steps"](t_model, x, y)

    # [loss, mae] per step, as Keras returns them with a metric; Adam's epsilon placement
    # differs (see the optimizer page): 1e-4 after 3 steps.
    np.testing.assert_allclose(np.array(t_losses), np.array(k_losses), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(t_test, k_test, rtol=1e-4, atol=1e-5)
    assert isinstance(t_pred, np.ndarray) and t_pred.shape == (6, 2)
    np.testing.assert_allclose(t_pred, k_pred, rtol=1e-4, atol=1e-5)


LAYOUTS = """
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

rng = np.random.default_rng(0)
images = rng.random((16, 8, 8, 1)).astype("float32")
labels = (images.mean(axis=(1, 2, 3)) > 0.5).astype("int64")

classifier = keras.Sequential()
classifier.add(layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)))
classifier.add(layers.Flatten())
classifier.add(layers.Dense(2))
classifier.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
classified = classifier.fit(images, labels, epochs=2, batch_size=8, verbose=0)
scores = classifier.predict(images, verbose=0)

autoencoder = keras.Sequential([
    keras.Input(shape=(8, 8, 1)),
    layers.Conv2D(4, 3, padding="same", activation="relu"),
    layers.Conv2D(1, 3, padding="same"),
    layers.Activation("sigmoid"),
])
autoencoder.compile(optimizer="adam", loss="mse")
encoded = autoencoder.fit(images, images, epochs=2, batch_size=8, verbose=0)
reconstructions = autoencoder.predict(images, verbose=0)
"""


def test_channels_last_data_trains_channels_first_models_and_outputs_come_back() -> None:
    """NHWC arrays reach the NCHW modules permuted; a map-valued output is permuted back, so
    `predict` answers in Keras's shapes (checked against Keras's own predict shapes)."""
    keras_scope: dict[str, Any] = {}
    exec(compile(LAYOUTS, "<keras>", "exec"), keras_scope)  # noqa: S102
    torch.manual_seed(0)
    scope = migrated(LAYOUTS)
    assert scope["scores"].shape == keras_scope["scores"].shape == (16, 2)
    assert scope["reconstructions"].shape == keras_scope["reconstructions"].shape == (16, 8, 8, 1)
    for history in (scope["classified"], scope["encoded"]):
        losses = history.history["loss"]
        assert len(losses) == 2 and all(math.isfinite(v) for v in losses)


WEIGHTED_EVALUATE = """
from tensorflow import keras


def build():
    return keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])


def score(model, x, y, weights):
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model.evaluate(x, y, batch_size=4, sample_weight=weights, verbose=0)
"""


def test_evaluate_with_sample_weight_matches_keras() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(10, 4)).astype("float32"), rng.integers(0, 3, size=10)
    weights = rng.uniform(0.2, 3.0, size=10).astype("float32")
    k_scope: dict[str, Any] = {}
    exec(compile(WEIGHTED_EVALUATE, "<keras>", "exec"), k_scope)  # noqa: S102
    k_model = k_scope["build"]()
    kernel, bias = k_model.get_weights()
    k_loss, k_accuracy = k_scope["score"](k_model, x, y, weights)
    t_scope = migrated(WEIGHTED_EVALUATE)
    t_model = t_scope["build"]()
    with torch.no_grad():
        t_model.dense.weight.copy_(torch.from_numpy(kernel.T))
        t_model.dense.bias.copy_(torch.from_numpy(bias))
    t_loss, t_accuracy = t_scope["score"](t_model, x, y, weights)
    assert t_loss == pytest.approx(k_loss, rel=1e-5)  # batches of 4, 4 and 2 rows, weighted
    assert t_accuracy == pytest.approx(k_accuracy, rel=1e-6)  # `metrics=` are not weighted (`weighted_metrics=` are)


STATEFUL_ON_BATCH = """
from tensorflow import keras


def build():
    return keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1, activation="sigmoid")])


def steps(model, batches):
    model.compile(
        optimizer=keras.optimizers.SGD(0.5),
        loss="binary_crossentropy",
        metrics=[keras.metrics.Precision(), keras.metrics.AUC(name="auc"), "accuracy"],
    )
    trained = [model.train_on_batch(x, y, return_dict=True) for x, y in batches]
    x, y = batches[0]
    return trained, model.test_on_batch(x, y)  # [loss, *metrics] in the compiled order
"""


def test_on_batch_with_stateful_metrics_matches_keras() -> None:
    """Keras 3's `train_on_batch` / `test_on_batch` reset the metrics before each call: a
    Precision or AUC object reports the result of that batch alone (not a running count)."""
    rng = np.random.default_rng(5)
    batches = [
        (rng.normal(size=(8, 4)).astype("float32"), rng.integers(0, 2, size=(8, 1)).astype("float32"))
        for _ in range(3)
    ]
    k_scope: dict[str, Any] = {}
    exec(compile(STATEFUL_ON_BATCH, "<keras>", "exec"), k_scope)  # noqa: S102
    k_model = k_scope["build"]()
    kernel, bias = (w.copy() for w in k_model.get_weights())
    k_trained, k_test = k_scope["steps"](k_model, batches)

    t_scope = migrated(STATEFUL_ON_BATCH)
    t_model = t_scope["build"]()
    with torch.no_grad():
        t_model.dense.weight.copy_(torch.from_numpy(kernel.T))
        t_model.dense.bias.copy_(torch.from_numpy(bias))
    t_trained, t_test = t_scope["steps"](t_model, batches)

    for t_logs, k_logs in zip(t_trained, k_trained):
        assert sorted(t_logs) == sorted(k_logs) == ["accuracy", "auc", "loss", "precision"]
        for name in k_logs:
            assert t_logs[name] == pytest.approx(float(k_logs[name]), rel=1e-5, abs=1e-6), name
    np.testing.assert_allclose(t_test, k_test, rtol=1e-5, atol=1e-6)
    # Running counts over the calls would give another precision: the reset is what matches.
    assert len({round(logs["precision"], 6) for logs in k_trained}) > 1


FLOAT64 = """
import numpy as np
from tensorflow import keras


def build():
    return keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])


def train(model, x, y):
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, validation_split=0.25, verbose=0)
    step = model.train_on_batch(x[:4], y[:4])
    return history, step, model.test_on_batch(x, y), model.evaluate(x, y, verbose=0), model.predict(x, verbose=0), model.predict_on_batch(x)
"""


def test_float64_arrays_train_as_keras_casts_them() -> None:
    """NumPy's default float64: Keras casts the inputs and targets to the model's float32; the
    migrated helpers do the same (a float32 Linear refuses float64 inputs)."""
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(16, 4)), rng.normal(size=(16, 2))
    assert x.dtype == y.dtype == np.float64
    k_scope: dict[str, Any] = {}
    exec(compile(FLOAT64, "<keras>", "exec"), k_scope)  # noqa: S102
    k_model = k_scope["build"]()
    kernel, bias = (w.copy() for w in k_model.get_weights())
    k_history, k_step, k_test, k_eval, k_pred, k_batch_pred = k_scope["train"](k_model, x, y)
    t_scope = migrated(FLOAT64)
    t_model = t_scope["build"]()
    with torch.no_grad():
        t_model.dense.weight.copy_(torch.from_numpy(kernel.T))
        t_model.dense.bias.copy_(torch.from_numpy(bias))
    t_history, t_step, t_test, t_eval, t_pred, t_batch_pred = t_scope["train"](t_model, x, y)
    for name in ("loss", "mae", "val_loss", "val_mae"):
        np.testing.assert_allclose(t_history.history[name], k_history.history[name], rtol=1e-5)
    np.testing.assert_allclose(t_step, k_step, rtol=1e-5)
    np.testing.assert_allclose(t_test, k_test, rtol=1e-5)
    np.testing.assert_allclose(t_eval, k_eval, rtol=1e-5)
    assert t_pred.dtype == t_batch_pred.dtype == k_pred.dtype == np.float32
    np.testing.assert_allclose(t_pred, k_pred, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(t_batch_pred, k_batch_pred, rtol=1e-5, atol=1e-6)


def test_fit_under_a_strategy_trains_each_process_on_its_slice() -> None:
    """Keras splits each global batch of a dataset between the replicas: the migrated call
    passes `ReplicaBatches(dataset)` (each process keeps its rows) and the loop sums the logged
    loss over the processes. tests/test_example_ddp.py runs it on 2 gloo processes against a
    2-replica MirroredStrategy (losses and weights within 1e-5)."""
    source = (Path(__file__).resolve().parent.parent / "examples" / "mirrored_strategy" / "train.py").read_text(encoding="utf-8")
    result = migrate_source(source)
    assert result.error is None
    assert "history = fit(model, optimizer, loss_fn, ReplicaBatches(train), epochs=2, steps_per_epoch=2)" in result.output
    assert "torch.distributed.all_reduce(totals)" in result.output
    # Without a strategy, the same call keeps the whole batch and logs the local loss.
    plain = migrate_source(source.replace("tf.distribute.MirroredStrategy()", "None"))
    assert "history = fit(model, optimizer, loss_fn, train, epochs=2, steps_per_epoch=2)" in plain.output
    assert "ReplicaBatches" not in plain.output and "all_reduce" not in plain.output
