"""`migrate weights`: the command end to end, and the inputs it must refuse in one line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import FIXTURES

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")
sys.path.insert(0, str(FIXTURES / "models"))
import migrated  # noqa: E402  (fixtures/models/migrated.py)
from click.testing import CliRunner  # noqa: E402

from migrate.cli import main  # noqa: E402
from migrate.weights import WeightsError, convert  # noqa: E402

from .test_weights import batch, cnn, max_delta, mlp, randomise  # noqa: E402

L = keras.layers


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The CNN (BatchNormalization, Flatten → Dense) and the MLP saved as .keras, once."""
    directory = tmp_path_factory.mktemp("models")
    keras.utils.set_random_seed(0)
    paths = {}
    for name, builder, seed in (("cnn", cnn, 11), ("mlp", mlp, 12)):
        paths[name] = directory / f"{name}.keras"
        randomise(builder(), seed).save(paths[name])
    return paths


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, ["weights", *map(str, args)])


def one_line_error(result: Any) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("migrate: error: "), result.stderr
    return lines[0]


def test_cli_writes_a_state_dict_onnx_and_safetensors_that_reproduce_keras(
    saved: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import onnx
    import onnxruntime
    from safetensors.torch import load_file

    monkeypatch.chdir(FIXTURES / "models")  # --module migrated:CNN is imported from the cwd
    out = tmp_path / "out"
    result = cli(saved["cnn"], "--module", "migrated:CNN", "-o", out / "cnn.pt",
                 "--onnx", out / "cnn.onnx", "--safetensors", out / "cnn.safetensors")
    assert result.exit_code == 0, result.output
    assert "9 tensors from 3 Keras layers" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["cnn.onnx", "cnn.pt", "cnn.safetensors"]

    model = keras.models.load_model(saved["cnn"])
    inputs = batch(model, seed=3)
    state = torch.load(out / "cnn.pt", weights_only=True)
    module = migrated.CNN()
    module.load_state_dict(state, strict=True)
    assert max_delta(model, module, inputs) <= 1e-5
    assert all(torch.equal(state[k], v) for k, v in load_file(out / "cnn.safetensors").items())

    # The ONNX file keeps BatchNormalization whole and computes what Keras computes.
    proto = onnx.load(out / "cnn.onnx")
    assert "BatchNormalization" in {node.op_type for node in proto.graph.node}
    session = onnxruntime.InferenceSession(str(out / "cnn.onnx"), providers=["CPUExecutionProvider"])
    assert session.get_providers() == ["CPUExecutionProvider"]
    (got,) = session.run(None, {session.get_inputs()[0].name: inputs[0]})
    assert np.max(np.abs(got - np.asarray(model(inputs[0], training=False)))) <= 1e-5


def test_not_a_model_file(tmp_path: Path) -> None:
    junk = tmp_path / "model.keras"
    junk.write_text("not a zip\n")
    message = one_line_error(cli(junk, "--module", "migrated:MLP", "-o", tmp_path / "w.pt"))
    assert "model.keras: not a Keras model file" in message
    assert not (tmp_path / "w.pt").exists()
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    assert "not a Keras model file" in one_line_error(cli(text, "--module", "migrated:MLP", "-o", tmp_path / "w.pt"))


def test_a_module_whose_names_do_not_match_is_refused_naming_the_layer(
    saved: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURES / "models")
    message = one_line_error(cli(saved["mlp"], "--module", "migrated:MisnamedMLP", "-o", tmp_path / "w.pt"))
    assert "layer 'dense_1'" in message and "dense_1.weight" in message
    assert not (tmp_path / "w.pt").exists()


def test_a_module_of_the_wrong_size_is_refused_naming_the_layer() -> None:
    class Wider(migrated.MLP):
        def __init__(self) -> None:
            super().__init__()
            self.dense = torch.nn.Linear(8, 4)

    keras.utils.set_random_seed(0)
    with pytest.raises(WeightsError, match=r"layer 'dense': dense.weight is \(4, 8\) in the module, the Keras weight gives \(3, 8\)"):
        convert(randomise(mlp(), 1), Wider())


def test_lambda_needs_unsafe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    x = keras.Input((6,), name="x")
    h = L.Lambda(lambda t: t * 2.0, name="double")(L.Dense(8, activation="relu", name="dense_1")(x))
    path = tmp_path / "lambda.keras"
    randomise(keras.Model(x, L.Dense(3, name="dense")(h), name="with_lambda"), 5).save(path)
    monkeypatch.chdir(FIXTURES / "models")
    message = one_line_error(cli(path, "--module", "migrated:MLP", "-o", tmp_path / "w.pt"))
    assert "Lambda" in message and "--unsafe" in message
    result = cli(path, "--module", "migrated:MLP", "-o", tmp_path / "w.pt", "--unsafe")
    assert result.exit_code == 0, result.output
    legacy = tmp_path / "lambda.h5"  # the legacy format is held to safe mode too
    keras.models.load_model(path, safe_mode=False).save(legacy)
    assert "--unsafe" in one_line_error(cli(legacy, "--module", "migrated:MLP", "-o", tmp_path / "h.pt"))
    assert not (tmp_path / "h.pt").exists()


def test_layers_without_a_torch_equivalent_are_refused_before_export() -> None:
    x = keras.Input((5, 3), name="x")
    model = keras.Model(x, L.GRU(4, reset_after=False, name="old_gru")(x))
    with pytest.raises(WeightsError, match=r"layer 'old_gru': GRU\(reset_after=False\) has no torch.nn.GRU"):
        convert(model, migrated.Recurrent("GRU"))
    x = keras.Input((4,), name="x")
    model = keras.Model(x, L.PReLU(name="act")(x))
    with pytest.raises(WeightsError, match="layer 'act': PReLU has weights, and migrate weights has no mapping"):
        convert(model, torch.nn.Module())


def test_a_zero_bias_that_vanished_from_onnx_is_zero_because_keras_says_so() -> None:
    keras.utils.set_random_seed(0)
    model = randomise(mlp(), 4)
    model.get_layer("dense").bias.assign(np.zeros(3, "float32"))  # tf2onnx drops the Add
    module = migrated.MLP()
    state = convert(model, module)
    assert not state["dense.bias"].any()
    assert max_delta(model, module, batch(model, seed=1)) <= 1e-5


def test_module_spec_and_output_errors(saved: dict[str, Path], tmp_path: Path) -> None:
    assert "expected PKG.MODULE:CLASS" in one_line_error(cli(saved["mlp"], "--module", "migrated", "-o", tmp_path / "w.pt"))
    assert "cannot import no_such_module" in one_line_error(
        cli(saved["mlp"], "--module", "no_such_module:X", "-o", tmp_path / "w.pt")
    )
    same = tmp_path / "w.pt"
    assert "the same file" in one_line_error(cli(saved["mlp"], "--module", "migrated:MLP", "-o", same, "--onnx", same))


def test_a_savedmodel_directory_is_refused_with_the_way_out(tmp_path: Path) -> None:
    # Keras 3 loads no layer graph from a SavedModel (only an opaque TFSMLayer): nothing to join.
    (tmp_path / "exported").mkdir()
    (tmp_path / "exported" / "saved_model.pb").write_bytes(b"")
    message = one_line_error(cli(tmp_path / "exported", "--module", "migrated:MLP", "-o", tmp_path / "w.pt"))
    assert "SavedModel" in message and "model.save('model.keras')" in message


def test_an_h5_file_converts_like_a_keras_file(saved: dict[str, Path], tmp_path: Path) -> None:
    model = keras.models.load_model(saved["mlp"])
    model.save(tmp_path / "mlp.h5")
    module = migrated.MLP()
    convert(tmp_path / "mlp.h5", module)
    assert max_delta(model, module, batch(model, seed=2)) <= 1e-5


def test_the_export_patches_are_undone_even_when_the_export_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import tf2onnx
    from keras.src.backend.tensorflow import core
    from keras.src.backend.tensorflow import nn as keras_tf_nn
    from tf2onnx.optimizer import back_to_back_optimizer

    from migrate.weights.export import to_onnx

    before = (
        keras_tf_nn.batch_normalization, keras_tf_nn.conv, keras_tf_nn.gelu, core.name_scope.__enter__,
        dict(back_to_back_optimizer._func_map),
    )
    keras.utils.set_random_seed(0)
    to_onnx(randomise(cnn(), 3))

    def broken(*args: Any, **kwargs: Any) -> Any:
        assert keras_tf_nn.batch_normalization is not before[0]  # the patches are in place here
        raise RuntimeError("tf2onnx broke")

    monkeypatch.setattr(tf2onnx.convert, "from_function", broken)
    with pytest.raises(WeightsError, match="tf2onnx cannot export it: tf2onnx broke"):
        to_onnx(mlp())
    after = (
        keras_tf_nn.batch_normalization, keras_tf_nn.conv, keras_tf_nn.gelu, core.name_scope.__enter__,
        dict(back_to_back_optimizer._func_map),
    )
    assert after == before
    assert ("Conv", "BatchNormalization") in after[-1]
