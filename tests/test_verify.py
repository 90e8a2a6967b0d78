"""`migrate verify`: a correct migration passes; deliberately broken ones are caught and the first
divergent layer is named.

The Keras models (fixtures/verify/verify_models.py: a conv net with BatchNormalization, a Dense
MLP, an Embedding + LSTM text model) are built once per session with every variable seeded.
The migrated modules (fixtures/verify/verify_migrated.py) are written the way `migrate model`
emits them; the broken ones carry one classic slip each: BatchNorm eps left at torch's 1e-5, a
forgotten relu, a Dense kernel copied untransposed, the LSTM input and forget gates swapped.
Tolerances: outputs within atol 1e-5 + rtol 1e-4 (verify's defaults), training within 1e-4.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import numpy as np
import pytest

from .conftest import FIXTURES, ROOT

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")
jsonschema = pytest.importorskip("jsonschema")

VERIFY_FIXTURES = FIXTURES / "verify"
sys.path.insert(0, str(VERIFY_FIXTURES))
import verify_migrated as migrated  # noqa: E402  (fixtures/verify/verify_migrated.py)
import verify_models as builders  # noqa: E402  (fixtures/verify/verify_models.py)

from migrate.verify import VerifyError, assert_equivalent, verify  # noqa: E402
from migrate.weights import convert  # noqa: E402


@pytest.fixture(scope="session")
def models() -> dict[str, Any]:
    keras.utils.set_random_seed(0)
    return {"conv_net": builders.conv_net(), "mlp": builders.mlp(), "text": builders.text()}


def loaded(module: Any, model: Any, slip: Any = None) -> Any:
    """``module`` with the Keras weights, passed through ``slip`` (a hand port's mistake)."""
    state = convert(model, module)
    module.load_state_dict(slip(state) if slip else state)
    return module


@pytest.mark.parametrize(("model", "module"), [("conv_net", migrated.ConvNet), ("mlp", migrated.MLP), ("text", migrated.Text)])
def test_a_correct_migration_is_equivalent(models: dict[str, Any], model: str, module: type) -> None:
    report = verify(models[model], module())
    assert report.ok, report.render()
    assert report.divergence is None
    for output in report.outputs:
        assert output.migrated is not None and output.migrated.max_abs <= 1e-5
        ort = output.references["onnxruntime"]
        assert not isinstance(ort, str) and ort.max_abs <= 1e-5  # the four-way columns are filled
    # every layer with a module was compared and matched (before its activation where forward applies it)
    statuses = {check.layer: check.status for check in report.layers}
    assert set(statuses.values()) <= {"ok", "ok before activation", "no module"}, statuses
    assert "EQUIVALENT" in report.render()


def test_onnx2torch_is_a_fourth_column_where_it_converts(models: dict[str, Any]) -> None:
    conv = verify(models["conv_net"], migrated.ConvNet()).outputs[0].references["onnx2torch"]
    assert not isinstance(conv, str) and conv.max_abs <= 1e-5
    text = verify(models["text"], migrated.Text()).outputs[0].references["onnx2torch"]
    assert isinstance(text, str) and "LSTM" in text  # onnx2torch 1.5.15 has no LSTM converter: reported, not fatal


# case → (model, the broken module (weights loaded by hand where the slip is in the weights),
#         the layer to name, a word its reason must hold)
BROKEN = {
    "batchnorm_eps": ("conv_net", lambda m: migrated.ConvNetWrongEps(), "bn", "eps"),
    "missing_activation": ("mlp", lambda m: migrated.MLPMissingActivation(), "hidden", "relu"),
    "transposed_kernel": ("mlp", lambda m: loaded(migrated.MLP(), m, builders.transpose_kernel), "hidden", "transposed"),
    "swapped_lstm_gates": ("text", lambda m: loaded(migrated.Text(), m, builders.swap_lstm_gates), "lstm", "gate order"),
}
HAND_PORTED = {"transposed_kernel", "swapped_lstm_gates"}  # verify must keep the module's own weights


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_migration_names_its_first_divergent_layer(models: dict[str, Any], case: str) -> None:
    model_name, make, layer, hint = BROKEN[case]
    model = models[model_name]
    module = make(model)
    report = verify(model, module, convert_weights=case not in HAND_PORTED)
    assert not report.ok
    assert report.divergence is not None, report.render()
    assert report.divergence.layer == layer, report.render()
    assert hint in report.divergence.reason
    assert report.divergence.max_abs > 1e-3
    assert any(not o.ok for o in report.outputs)
    # ONNX Runtime still matches Keras: the report points at the module, not the export
    assert all(not isinstance(o.references["onnxruntime"], str) and o.references["onnxruntime"].ok for o in report.outputs)
    assert "the difference is in the migrated module" in report.render()
    assert f"first divergent layer: {layer} " in report.render()


def test_tolerances_apply_to_the_layer_walk_too(models: dict[str, Any]) -> None:
    report = verify(models["conv_net"], migrated.ConvNetWrongEps(), atol=1.0, rtol=0.0)
    assert all(o.ok for o in report.outputs)
    assert report.divergence is None  # within atol 1.0 nothing diverges: tolerances apply to layers too


def test_assert_equivalent_raises_with_the_report(models: dict[str, Any]) -> None:
    assert assert_equivalent(models["mlp"], migrated.MLP()).ok
    with pytest.raises(AssertionError, match="first divergent layer: bn"):
        assert_equivalent(models["conv_net"], migrated.ConvNetWrongEps())


def test_training_check_matches_with_adam(models: dict[str, Any]) -> None:
    model = builders.conv_net()  # its own: compile() changes the model
    before = [np.array(v.numpy()) for v in model.variables]
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    report = verify(model, migrated.ConvNet(), train_steps=3)
    training = report.training
    assert training is not None and training.ok, report.render()
    assert len(training.keras_losses) == len(training.torch_losses) == 3
    assert training.keras_losses[-1] < training.keras_losses[0]  # it really trained
    assert training.max_loss_delta <= 1e-4
    assert training.worst_parameter is not None and training.worst_parameter[1] <= 1e-4
    assert training.torch_optimizer.startswith("KerasAdam(") and "eps=1e-07" in training.torch_optimizer
    assert any("running_var" in note for note in training.notes)  # torch's unbiased running variance
    # the Keras model's weights are restored afterwards
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(before, model.variables, strict=True))


def test_a_saved_compiled_model_is_checked_with_its_own_optimizer(tmp_path: Path) -> None:
    """A .keras file keeps its compile(): the training check uses that optimizer, not SGD."""
    model = builders.mlp()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    path = tmp_path / "mlp.keras"
    model.save(path)
    report = verify(path, migrated.MLP(), train_steps=2)
    assert report.training is not None and report.training.ok, report.render()
    assert "Adam" in report.training.optimizer and "eps=1e-07" in report.training.torch_optimizer


class TrainableRecurrentBias(migrated.Text):
    """The LSTM as `nn.LSTM` leaves it: bias_hh trains next to bias_ih."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm.bias_hh_l0.requires_grad_(True)


def test_training_check_catches_a_second_recurrent_bias(models: dict[str, Any]) -> None:
    report = verify(models["text"], TrainableRecurrentBias(), train_steps=3)
    assert all(o.ok for o in report.outputs)  # inference is the same ...
    assert report.training is not None and not report.training.ok  # ... training is not
    assert not report.ok
    assert any("bias_hh_l0 trains beside bias_ih_l0" in note for note in report.training.notes)
    good = verify(models["text"], migrated.Text(), train_steps=3)
    assert good.ok and good.training is not None and good.training.worst_parameter[1] <= 1e-4


def test_training_check_is_skipped_with_a_reason_for_an_unmapped_optimizer(models: dict[str, Any]) -> None:
    model = builders.mlp()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, clipnorm=1.0), loss="mse")
    report = verify(model, migrated.MLP(), train_steps=2)
    assert report.ok and report.training is not None
    assert "clipnorm" in report.training.skipped
    junit = ET.fromstring(report.to_junit())
    assert junit.find("testcase[@name='training']/skipped") is not None


def test_user_data_by_input_name(models: dict[str, Any], tmp_path: Path) -> None:
    ids = np.random.default_rng(5).integers(0, 20, (4, 7)).astype("int32")
    np.savez(tmp_path / "batch.npz", ids=ids)
    report = verify(models["text"], migrated.Text(), data=tmp_path / "batch.npz")
    assert report.ok and report.batch == 4 and report.data.endswith("batch.npz")
    np.savez(tmp_path / "wrong.npz", ids=ids[:, :5])
    with pytest.raises(VerifyError, match="shape"):
        verify(models["text"], migrated.Text(), data=tmp_path / "wrong.npz")


def test_seeded_token_ids_stay_inside_the_embedding(models: dict[str, Any]) -> None:
    from migrate.verify.batches import seeded

    arrays = seeded(models["text"], [("ids", (None, 7), "int32")], 64, seed=3)
    assert arrays[0].dtype == np.int32 and arrays[0].min() >= 0 and arrays[0].max() < 20


def test_report_serialises(models: dict[str, Any]) -> None:
    report = verify(models["text"], loaded(migrated.Text(), models["text"], builders.swap_lstm_gates), convert_weights=False)
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    jsonschema.validate(data, json.loads((ROOT / "docs" / "schemas" / "verify.schema.json").read_text()))
    assert data["schema"] == "migrate.verify/1"
    assert data["ok"] is False
    assert data["divergence"]["layer"] == "lstm"
    assert [layer["layer"] for layer in data["layers"]] == ["embed", "lstm", "cls"]
    assert data["outputs"][0]["references"]["onnx2torch"]["error"].startswith("cannot run")
    suite = ET.fromstring(report.to_junit())
    assert suite.tag == "testsuite" and suite.get("tests") == "2" and suite.get("failures") == "2"
    assert "lstm" in suite.find("testcase[@name='layers']/failure").get("message")


# --- layout readings (no framework needed beyond numpy) --------------------------------------


def test_readings_put_torch_tensors_in_keras_layout() -> None:
    from migrate.verify.align import compare

    nhwc = np.random.default_rng(0).normal(size=(2, 3, 4, 5)).astype("float32")
    nchw = torch.from_numpy(np.ascontiguousarray(np.moveaxis(nhwc, -1, 1)))
    found = compare(nhwc, nchw, 1e-6, 0.0, prefer_first=True)
    assert found is not None and found.ok and found.reading == "channels-first"
    # a Keras Flatten of H,W,C against torch.flatten of C,H,W
    flat_keras = nhwc.reshape(2, -1)
    flat_torch = nchw.reshape(2, -1)
    assert not compare(flat_keras, flat_torch, 1e-6, 0.0, prefer_first=False).ok
    found = compare(flat_keras, flat_torch, 1e-6, 0.0, prefer_first=False, flatten_shapes=[(3, 4, 5)])
    assert found.ok and found.reading.startswith("flatten C")
    # nn.LSTM's (output, (h_n, c_n)) against a Keras LSTM's last output
    out = torch.randn(2, 7, 6)
    found = compare(out[:, -1].numpy(), (out, (out[:, -1][None], torch.zeros(1, 2, 6))), 1e-6, 0.0, prefer_first=False)
    assert found.ok
    # a shape no reading produces
    assert compare(np.zeros((2, 9)), torch.zeros(2, 8), 1e-6, 0.0, prefer_first=False) is None


def test_optimizer_mapping_writes_keras_defaults() -> None:
    from migrate.verify.training import Unmapped, torch_optimizer

    sgd = torch_optimizer(keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True))
    assert sgd.name == "torch.optim.SGD" and sgd.kwargs == {"lr": 0.05, "momentum": 0.9, "nesterov": True}
    adam = torch_optimizer(keras.optimizers.Adam())
    assert adam.name == "KerasAdam"  # the class a migrated script defines: Keras's epsilon placement
    assert adam.kwargs == {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-7, "amsgrad": False}
    adamw = torch_optimizer(keras.optimizers.AdamW())
    assert adamw.kwargs["weight_decay"] == 0.004 and adamw.kwargs["decoupled_weight_decay"] is True
    rms = torch_optimizer(keras.optimizers.RMSprop())
    assert rms.name == "KerasRMSprop"
    assert rms.kwargs == {"lr": 0.001, "rho": 0.9, "eps": 1e-7, "momentum": 0.0, "centered": False}
    with pytest.raises(Unmapped, match="clipnorm"):
        torch_optimizer(keras.optimizers.Adam(clipnorm=1.0))
    with pytest.raises(Unmapped, match="Adagrad"):
        torch_optimizer(keras.optimizers.Adagrad())
    with pytest.raises(Unmapped, match="weight_decay"):
        torch_optimizer(keras.optimizers.SGD(weight_decay=0.1))


@pytest.mark.parametrize("make", [
    lambda: keras.optimizers.Adam(learning_rate=0.01),
    lambda: keras.optimizers.RMSprop(learning_rate=0.01, momentum=0.9, centered=True),
])
def test_the_check_trains_with_keras_maths(make: Any) -> None:
    # Three steps of one variable under Keras and under the class the check builds (the one a
    # migrated script defines) give the same values: no epsilon drift left to report.
    from migrate.verify.training import torch_optimizer

    start, gradients = np.float32([0.5, -1.0, 2.0]), [np.float32([0.1, -2e-4, 3.0]), np.float32([1e-3, 0.2, -0.5]), np.float32([0.3, 0.0, 1e-5])]
    keras_optimizer = make()
    variable = keras.Variable(start)
    param = torch.nn.Parameter(torch.from_numpy(start.copy()))
    optimizer = torch_optimizer(keras_optimizer).build([param])
    for g in gradients:
        keras_optimizer.apply_gradients([(keras.ops.convert_to_tensor(g), variable)])
        param.grad = torch.from_numpy(g.copy())
        optimizer.step()
    np.testing.assert_allclose(param.detach().numpy(), np.asarray(variable), rtol=0, atol=1e-6)


def test_bad_inputs_raise_verify_error(models: dict[str, Any]) -> None:
    with pytest.raises(VerifyError, match="conv"):
        verify(models["conv_net"], migrated.MLP())  # names that do not match: no module attribute `conv`
    with pytest.raises(VerifyError, match="not a torch.nn.Module"):
        verify(models["conv_net"], migrated.NotAModule())


class _Head(torch.nn.Module):
    """Dense(4) → ReLU layer → Dense(3, softmax), migrated with the softmax and the relu in forward."""

    def __init__(self, relu: bool = True, softmax: bool = True) -> None:
        super().__init__()
        self.d1 = torch.nn.Linear(5, 4)
        self.head = torch.nn.Linear(4, 3)
        self.relu, self.softmax = relu, softmax

    def forward(self, x: Any) -> Any:
        h = self.d1(x)
        y = self.head(torch.relu(h) if self.relu else h)
        return torch.softmax(y, dim=1) if self.softmax else y


@pytest.fixture(scope="module")
def head_model() -> Any:
    L = keras.layers  # noqa: N806
    x = keras.Input((5,), name="x")
    h = L.ReLU(name="act")(L.Dense(4, name="d1")(x))
    return builders.randomise(keras.Model(x, L.Dense(3, activation="softmax", name="head")(h), name="head_model"), seed=4)


@pytest.mark.parametrize(("relu", "softmax", "layer", "words"), [
    (True, True, None, ""),
    (True, False, "head", "before its softmax activation"),  # a fused activation of the output layer
    (False, True, "act", "ReLU runs as code in forward"),  # a layer the module runs as code
])
def test_steps_that_no_module_hook_sees(head_model: Any, relu: bool, softmax: bool, layer: str | None, words: str) -> None:
    report = verify(head_model, _Head(relu, softmax))
    assert report.ok is (layer is None)
    if layer is None:
        assert report.divergence is None
    else:
        assert report.divergence is not None and report.divergence.layer == layer, report.render()
        assert words in report.divergence.reason


class _Encoder(torch.nn.Module):
    def __init__(self, activation: Any) -> None:
        super().__init__()
        self.dense = torch.nn.Linear(4, 5)
        self.dense_1 = torch.nn.Linear(5, 3)
        self.activation = activation

    def forward(self, x: Any) -> Any:
        return self.dense_1(self.activation(self.dense(x)))


class _Outer(torch.nn.Module):
    def __init__(self, activation: Any = torch.relu) -> None:
        super().__init__()
        self.encoder = _Encoder(activation)
        self.shared = torch.nn.Linear(3, 3)

    def forward(self, x: Any) -> Any:
        return self.shared(self.shared(self.encoder(x)))  # one layer called twice, as in Keras


def test_nested_models_and_shared_layers_are_named_by_path() -> None:
    L = keras.layers  # noqa: N806
    inner = keras.Input((4,), name="inner_x")
    encoder = keras.Model(inner, L.Dense(3, name="dense_1")(L.Dense(5, activation="relu", name="dense")(inner)), name="encoder")
    x = keras.Input((4,), name="x")
    shared = L.Dense(3, name="shared")
    model = builders.randomise(keras.Model(x, shared(shared(encoder(x))), name="outer"), seed=5)
    good = verify(model, _Outer())
    assert good.ok, good.render()
    assert [(c.layer, c.call) for c in good.layers] == [("encoder/dense", 0), ("encoder/dense_1", 0), ("shared", 0), ("shared", 1)]
    bad = verify(model, _Outer(torch.tanh))
    assert bad.divergence is not None and (bad.divergence.layer, bad.divergence.module) == ("encoder/dense", "encoder.dense")
    assert "relu" in bad.divergence.reason


def test_speed_table_is_asked_for_with_both_layouts(models: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The wiring only (the speed table itself is tested in test_verify_speed.py, at its own cost):
    verify hands the same batch in each framework's layout and keeps the table in its report."""
    from migrate.verify import speed

    seen: dict[str, Any] = {}

    class Table:
        def to_dict(self) -> dict[str, Any]:
            return {"rows": []}

        def render(self) -> str:
            return "speed table here\n"

    def fake_speed_table(keras_model: Any, torch_module: Any, inputs_keras: Any, inputs_torch: Any, **kwargs: Any) -> Table:
        seen.update(keras=inputs_keras, torch=inputs_torch, device=kwargs.get("device"), onnx=kwargs.get("onnx_model"))
        return Table()

    monkeypatch.setattr(speed, "speed_table", fake_speed_table)
    report = verify(models["conv_net"], migrated.ConvNet(), speed=True)
    assert seen["keras"][0].shape == (2, 8, 8, 3) and tuple(seen["torch"][0].shape) == (2, 3, 8, 8)
    assert np.array_equal(np.moveaxis(seen["keras"][0], -1, 1), seen["torch"][0].numpy())
    assert seen["device"] == "cpu" and seen["onnx"] is not None
    assert report.to_dict()["speed"] == {"rows": []}
    assert "speed table here" in report.render()


class _Residual(torch.nn.Module):
    """conv0 → relu (a Keras ReLU layer: code in forward) → shortcut + (conv1 → bn) → Add → conv2."""

    def __init__(self, bn_eps: float) -> None:
        super().__init__()
        self.conv0 = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.conv1 = torch.nn.Conv2d(4, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4, eps=bn_eps, momentum=0.01)
        self.conv2 = torch.nn.Conv2d(4, 2, 1)

    def forward(self, x: Any) -> Any:
        h = torch.relu(self.conv0(x))
        return self.conv2(h + self.bn(self.conv1(h)))


def test_a_divergence_in_one_branch_of_a_merge_is_not_blamed_on_the_other() -> None:
    L = keras.layers  # noqa: N806
    x = keras.Input((6, 6, 3), name="image")
    h = L.ReLU(name="relu")(L.Conv2D(4, 3, padding="same", name="conv0")(x))
    branch = L.BatchNormalization(name="bn")(L.Conv2D(4, 3, padding="same", name="conv1")(h))
    out = L.Conv2D(2, 1, name="conv2")(L.Add(name="add")([h, branch]))
    model = builders.randomise(keras.Model(x, out, name="residual"), seed=6)
    assert verify(model, _Residual(1e-3)).ok
    report = verify(model, _Residual(1e-5))
    assert report.divergence is not None and report.divergence.layer == "bn", report.render()


class _FailsInTraining(migrated.MLP):
    def forward(self, features: Any) -> Any:
        if self.training:
            raise RuntimeError("only inference was migrated")
        return super().forward(features)


def test_a_module_that_cannot_train_fails_the_training_check(models: dict[str, Any]) -> None:
    report = verify(models["mlp"], _FailsInTraining(), train_steps=1)
    assert all(o.ok for o in report.outputs)
    assert report.training is not None and not report.training.ok and not report.ok
    assert "only inference was migrated" in report.training.error
    assert "training check: FAILED" in report.render()
    jsonschema.validate(json.loads(json.dumps(report.to_dict())), json.loads((ROOT / "docs" / "schemas" / "verify.schema.json").read_text()))
