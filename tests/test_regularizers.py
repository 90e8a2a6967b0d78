"""Regularizers and constraints, end to end: a Keras script with `kernel_regularizer=`,
`bias_regularizer=`, `activity_regularizer=`, `kernel_constraint=` trained by `fit`, and the
script `migrate convert` writes, trained by its generated loop from the same weights.

Bars (issue 6): the per-epoch losses Keras's History reports (which include the penalties) and
the parameters after 3 epochs agree to max |Δ| ≤ 1e-4 in fp32; `sum(keras_losses(model))`
equals Keras's `sum(model.losses)` to 1e-5 (relative) on the same weights and batch.
"""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

from migrate.codemod.engine import migrate_source  # noqa: E402

BAR = 1e-4

SCRIPT = '''
from tensorflow import keras
from tensorflow.keras import layers, regularizers, constraints


def build():
    return keras.Sequential([
        keras.Input(shape=(6,)),
        layers.Dense(8, activation="relu", kernel_regularizer=regularizers.L2(0.05), bias_regularizer=regularizers.L1(0.02)),
        layers.Dense(
            5,
            activation="tanh",
            kernel_regularizer=regularizers.L1L2(l1=0.01, l2=0.03),
            kernel_constraint=constraints.MaxNorm(0.3),
            activity_regularizer=regularizers.L2(0.01),
        ),
        layers.Dense(2, kernel_regularizer="l1", kernel_constraint=constraints.NonNeg()),
    ])


def train(model, x, y):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.02), loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    return history, model.evaluate(x, y, batch_size=8, verbose=0)
'''


@pytest.fixture(scope="module")
def migrated() -> str:
    result = migrate_source(SCRIPT)
    assert result.error is None
    assert "TODO" not in result.output, result.output
    return result.output


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(32, 6)).astype("float32"), rng.normal(size=(32, 2)).astype("float32")


def _namespaces(migrated: str) -> tuple[dict, dict]:
    keras_ns: dict = {}
    exec(compile(SCRIPT, "<keras>", "exec"), keras_ns)
    torch_ns: dict = {}
    exec(compile(migrated, "<migrated>", "exec"), torch_ns)
    return keras_ns, torch_ns


def _twins(keras_ns: dict, torch_ns: dict):
    keras.utils.set_random_seed(1)
    kmodel = keras_ns["build"]()
    tmodel = torch_ns["build"]()
    with torch.no_grad():
        for layer, name in zip(kmodel.layers, ("dense", "dense_1", "dense_2")):
            kernel, bias = layer.get_weights()
            module = getattr(tmodel, name)
            module.weight.copy_(torch.from_numpy(kernel.T.copy()))
            module.bias.copy_(torch.from_numpy(bias))
    return kmodel, tmodel


def _max_diff(kmodel, tmodel) -> float:
    worst = 0.0
    for layer, name in zip(kmodel.layers, ("dense", "dense_1", "dense_2")):
        kernel, bias = layer.get_weights()
        module = getattr(tmodel, name)
        worst = max(worst, float(np.abs(kernel.T - module.weight.detach().numpy()).max()))
        worst = max(worst, float(np.abs(bias - module.bias.detach().numpy()).max()))
    return worst


def test_the_migrated_loop_adds_the_penalties_and_applies_the_constraints(migrated: str) -> None:
    assert "loss = loss + sum(keras_losses(model))" in migrated
    assert "keras_apply_constraints(model)" in migrated
    assert migrated.count("loss = loss + sum(keras_losses(model))") == 2  # fit's step and evaluate
    assert "weight_decay" not in migrated  # the penalty is a loss term, not decay


def test_fit_trains_as_keras_with_regularizers_and_constraints(migrated: str) -> None:
    x, y = _data()
    keras_ns, torch_ns = _namespaces(migrated)
    kmodel, tmodel = _twins(keras_ns, torch_ns)
    assert _max_diff(kmodel, tmodel) == 0.0
    keras_history, keras_loss = keras_ns["train"](kmodel, x, y)
    torch_history, torch_loss = torch_ns["train"](tmodel, x, y)
    keras_history, torch_history = keras_history.history["loss"], torch_history.history["loss"]
    assert len(keras_history) == len(torch_history) == 3
    assert np.abs(np.array(keras_history) - np.array(torch_history)).max() <= BAR, (keras_history, torch_history)
    assert _max_diff(kmodel, tmodel) <= BAR
    # evaluate's loss includes the penalties too (Keras's test step computes the same total).
    assert abs(keras_loss - torch_loss) <= BAR
    plain = float(np.mean((kmodel.predict(x, verbose=0) - y) ** 2))
    assert keras_loss - plain > 0.01  # the penalties are a visible part of it
    # The constraints acted: the NonNeg kernel has no negative entry, the MaxNorm kernel's
    # columns (each unit's incoming weights) are at most 0.3 long.
    assert float(tmodel.dense_2.weight.detach().min()) >= 0.0
    assert float(tmodel.dense_1.weight.detach().norm(dim=1).max()) <= 0.3 + 1e-5
    assert float(tmodel.dense_1.weight.detach().norm(dim=1).max()) >= 0.3 - 1e-4  # the bound was reached
    # …and they had something to do (else the comparison above would not test them).
    assert float(np.abs(kmodel.layers[2].get_weights()[0]).min()) == 0.0


def test_penalty_equals_keras_model_losses(migrated: str) -> None:
    x, _ = _data()
    keras_ns, torch_ns = _namespaces(migrated)
    kmodel, tmodel = _twins(keras_ns, torch_ns)
    kmodel(x[:8])  # the activity penalty is the last call's
    tmodel(torch.from_numpy(x[:8]))
    expected = float(sum(float(loss) for loss in kmodel.losses))
    got = float(sum(torch_ns["keras_losses"](tmodel)))
    assert len(kmodel.losses) == len(torch_ns["keras_losses"](tmodel)) == 5  # 4 weight penalties + 1 activity
    assert got == pytest.approx(expected, rel=1e-5)
    assert expected > 0.0


@pytest.mark.parametrize(
    ("constraint", "keras_shape", "layout"),
    [
        (lambda: keras.constraints.MaxNorm(0.5, axis=0), (6, 4), "dense"),
        (lambda: keras.constraints.UnitNorm(axis=1), (6, 4), "dense"),
        (lambda: keras.constraints.MaxNorm(0.8, axis=[0, 1, 2]), (3, 3, 2, 4), "conv"),
        (lambda: keras.constraints.MinMaxNorm(0.5, 1.0, rate=0.5, axis=[0, 1]), (3, 3, 2, 4), "conv"),
        (lambda: keras.constraints.MaxNorm(0.3, axis=-1), (3, 2, 4), "conv"),
    ],
)
def test_norm_constraints_project_over_the_mapped_dims(constraint, keras_shape, layout) -> None:
    """The axis of a Keras kernel, mapped onto torch's layout, projects the same numbers (1e-6)."""
    from migrate.rules import keras_regularizers as terms

    kernel = np.random.default_rng(3).normal(size=keras_shape).astype("float32")
    expected = np.asarray(constraint()(keras.ops.convert_to_tensor(kernel)))
    config = constraint().get_config()
    dim = terms._torch_dims(config["axis"], layout, len(keras_shape), "test")
    namespace: dict = {}
    exec(terms._NORM_HELPER, namespace)
    order = (1, 0) if layout == "dense" else (len(keras_shape) - 1, len(keras_shape) - 2, *range(len(keras_shape) - 2))
    weight = torch.from_numpy(kernel.transpose(order).copy())
    if "max_value" in config and "min_value" not in config:
        got = namespace["keras_norm_constraint"](weight, dim=dim, max_value=config["max_value"])
    elif "min_value" in config:
        got = namespace["keras_norm_constraint"](weight, dim=dim, min_value=config["min_value"], max_value=config["max_value"], rate=config["rate"])
    else:
        got = namespace["keras_norm_constraint"](weight, dim=dim, min_value=1.0, max_value=1.0)
    back = np.argsort(order)
    np.testing.assert_allclose(got.numpy().transpose(back), expected, atol=1e-6)
    assert not np.allclose(expected, kernel)  # the constraint changed the kernel
