"""`migrate model` as a user runs it: a factory or a saved file in, a module file out; bad
input is one line on stderr, exit 2, and nothing written."""

from __future__ import annotations

import ast

import pytest
from click.testing import CliRunner

keras = pytest.importorskip("keras")

from migrate.cli import main  # noqa: E402

from .codegen_support import load_module  # noqa: E402


def tiny(units: int = 3):
    """A factory the tests name as tests.test_codegen_cli:tiny."""
    inputs = keras.Input((4, 4, 2), name="image")
    x = keras.layers.Conv2D(units, 3, padding="same", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, keras.layers.Dense(2, name="head")(x), name="tiny_net")


def with_lambda():
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Lambda(lambda t: t + 1.0, name="plus_one")(inputs))


def not_a_model():
    return 42


def broken():
    raise RuntimeError("no GPU today\nsecond line")


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_factory_with_args_writes_a_module_that_runs(tmp_path):
    out = tmp_path / "tiny_torch.py"
    result = _run("model", "tests.test_codegen_cli:tiny", "--args", '{"units": 5}', "--class-name", "Tiny", "-o", str(out))
    assert result.exit_code == 0, result.output
    source = out.read_text()
    ast.parse(source)
    module = load_module(source, "Tiny")()
    assert module.conv.out_channels == 5
    import torch

    assert module(torch.zeros(1, 2, 4, 4)).shape == (1, 2)


def test_saved_keras_file(tmp_path):
    path = tmp_path / "m.keras"
    tiny().save(path)
    result = _run("model", str(path), "-o", str(tmp_path / "out.py"))
    assert result.exit_code == 0, result.output
    assert "class TinyNet(nn.Module)" in (tmp_path / "out.py").read_text()


def test_stdout_without_output_option():
    result = _run("model", "tests.test_codegen_cli.tiny")  # the dotted form, as keras.applications.ResNet50
    assert result.exit_code == 0
    assert "class TinyNet(nn.Module)" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope.nothing:f"], "cannot import nope.nothing"),
        (["tests.test_codegen_cli:missing"], "has no attribute missing"),
        (["tests.test_codegen_cli:tiny", "--args", "{bad"], "--args is not valid JSON"),
        (["tests.test_codegen_cli:tiny", "--args", "[1]"], "--args must be a JSON object"),
        (["tests.test_codegen_cli:tiny", "--args", '{"nope": 1}'], "tiny(**args) failed: TypeError"),
        (["tests.test_codegen_cli:not_a_model"], "returned int, not a Keras model"),
        (["tests.test_codegen_cli:broken"], "failed: RuntimeError: no GPU today"),
        (["tests.test_codegen_cli:with_lambda"], "layer plus_one (Lambda)"),
        (["missing.keras"], "missing.keras: no such file"),
        (["tests.test_codegen_cli:tiny", "--class-name", "not valid"], "is not a Python identifier"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    out = tmp_path / "out.py"
    result = _run("model", *args, "-o", str(out))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("migrate: error: ") and message in lines[0], result.stderr
    assert not out.exists()


def test_allow_todo_writes_a_stub_and_exits_1(tmp_path):
    out = tmp_path / "out.py"
    result = _run("model", "tests.test_codegen_cli:with_lambda", "--allow-todo", "-o", str(out))
    assert result.exit_code == 1
    assert "plus_one (Lambda)" in result.stderr
    assert "raise NotImplementedError" in out.read_text()


def test_lambda_file_needs_unsafe(tmp_path):
    path = tmp_path / "lam.keras"
    with_lambda().save(path)
    result = _run("model", str(path), "-o", str(tmp_path / "out.py"))
    assert result.exit_code == 2
    assert "--unsafe" in result.stderr
    result = _run("model", str(path), "--unsafe", "--allow-todo", "-o", str(tmp_path / "out.py"))
    assert result.exit_code == 1, result.stderr
