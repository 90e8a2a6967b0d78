"""`migrate export` end to end, as a user runs it: a small migrated project (conv + BN +
linear) with seeded weights on disk, the command run per target, and each artefact loaded
back here with its own runtime and compared with the eager module.

AOTInductor compiles C++ (about a minute on two cores): it is built once per session.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript", reason="torch.onnx.export(dynamo=True) needs onnxscript (the test extra)")

from migrate.cli import main  # noqa: E402

SHAPE = (2, 3, 8, 8)
ATOL = 1e-5

MODEL_SOURCE = '''
import torch
from torch import nn
import torch.nn.functional as F


class SmallNet(nn.Module):
    """What `migrate convert` makes of a Keras Conv2D + BatchNormalization + Dense model."""

    def __init__(self, classes: int = 5) -> None:
        super().__init__()
        self.conv2d = nn.Conv2d(3, 4, 3, padding=1)
        self.batch_normalization = nn.BatchNorm2d(4, eps=1e-3, momentum=0.01)
        self.dense = nn.Linear(4 * 8 * 8, classes)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.batch_normalization(self.conv2d(image)))
        return self.dense(torch.flatten(x, 1))


class TwoHeads(nn.Module):
    """Two inputs, a dict of two outputs: the names travel into the artefacts."""

    def __init__(self) -> None:
        super().__init__()
        self.left = nn.Linear(4, 3)
        self.right = nn.Linear(5, 3)

    def forward(self, query: torch.Tensor, key: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"total": self.left(query) + self.right(key), "gap": self.left(query) - self.right(key)}


class Stateful(SmallNet):
    """A forward with Python state: torch.export bakes the count in at trace time."""

    calls = 0

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        Stateful.calls += 1
        return super().forward(image) * Stateful.calls
'''


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.weights = root / "model.pt"

    def run(self, *args: str) -> Any:
        return CliRunner().invoke(main, ["export", "exportproj.net:SmallNet", "--weights", str(self.weights), *args])

    def eager(self) -> tuple[Any, Any]:
        """The module with the weights, and one seeded input (not the command's own)."""
        module = importlib.import_module("exportproj.net").SmallNet()
        module.load_state_dict(torch.load(self.weights, weights_only=True))
        return module.eval(), torch.randn(SHAPE, generator=torch.Generator().manual_seed(7))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("export")
    (root / "exportproj").mkdir()
    (root / "exportproj" / "__init__.py").write_text("")
    (root / "exportproj" / "net.py").write_text(MODEL_SOURCE)
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module("exportproj.net").SmallNet()
        # Every tensor random (a zero or a one could hide a mix-up), at the scale a trained
        # model has: outputs of order 1, where float32 rounding is ~1e-7. The check is an
        # absolute max |Δ|, so a model whose outputs are in the hundreds needs --atol.
        generator = torch.Generator().manual_seed(0)
        state = {k: 0.1 * torch.randn(v.shape, generator=generator) for k, v in module.state_dict().items() if v.is_floating_point()}
        state["batch_normalization.weight"] += 1.0
        state["batch_normalization.running_var"] = 0.5 + torch.rand(4, generator=generator)
        state["batch_normalization.num_batches_tracked"] = torch.tensor(3)
        torch.save(state, root / "model.pt")
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(root)  # the command imports the user's package from the current directory
            yield Project(root)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == "exportproj" or m.startswith("exportproj.")]:
            del sys.modules[name]


def _ok(result: Any, target: str) -> float:
    """The max |Δ| the command measured and printed, after checking it succeeded."""
    assert result.exit_code == 0, result.output
    match = re.search(rf"\({re.escape(target)}\): 1 output match the eager module, max \|Δ\| (\S+) ≤ 1e-05", result.output)
    assert match, result.output
    return float(match.group(1))


def _delta(want: Any, have: Any) -> float:
    return (torch.as_tensor(have).double() - want.detach().double()).abs().max().item()


def test_onnx_is_written_loaded_by_onnxruntime_and_equal(project: Project) -> None:
    import onnx
    import onnxruntime as ort

    out = project.root / "out" / "model.onnx"
    measured = _ok(project.run("--example-shape", "2,3,8,8", "--to", "onnx", "-o", str(out)), "onnx")
    model = onnx.load(str(out))
    assert [i.name for i in model.graph.input] == ["image"] and [o.name for o in model.graph.output] == ["output"]
    assert model.ir_version <= 10  # onnxruntime 1.31 reads what torch's exporter writes (STACK.md)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert session.get_providers() == ["CPUExecutionProvider"]
    module, x = project.eager()
    with torch.no_grad():
        assert _delta(module(x), session.run(None, {"image": x.numpy()})[0]) <= ATOL
    assert measured <= ATOL
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")], "no staging left behind"


def test_torch_export_is_written_loaded_and_equal(project: Project) -> None:
    out = project.root / "model.pt2"
    measured = _ok(project.run("--example-shape", "2,3,8,8", "--to", "torch-export", "-o", str(out)), "torch-export")
    program = torch.export.load(str(out))
    module, x = project.eager()
    with torch.no_grad():
        assert _delta(module(x), program.module()(x)) <= ATOL
    assert measured <= ATOL


@pytest.fixture(scope="module")
def aoti(project: Project) -> tuple[Path, float]:
    out = project.root / "aoti" / "model.pt2"
    return out, _ok(project.run("--example-shape", "2,3,8,8", "--to", "aoti", "-o", str(out)), "aoti")


def test_aoti_package_is_written_loaded_and_equal(project: Project, aoti: tuple[Path, float]) -> None:
    out, measured = aoti
    runner = torch._inductor.aoti_load_package(str(out))
    module, x = project.eager()
    with torch.no_grad():
        assert _delta(module(x), runner(x)) <= ATOL
    assert measured <= ATOL


def test_triton_repository_has_the_models_names_types_and_dims(project: Project) -> None:
    import onnxruntime as ort

    repository = project.root / "models"
    result = project.run("--example-shape", "2,3,8,8", "--to", "triton", "-o", str(repository), "--name", "smallnet")
    measured = _ok(result, "triton")
    assert sorted(str(p.relative_to(repository)) for p in repository.rglob("*") if p.is_file()) == [
        "smallnet/1/model.onnx",
        "smallnet/config.pbtxt",
    ]
    config = (repository / "smallnet" / "config.pbtxt").read_text()
    assert re.search(r'^name: "smallnet"$', config, re.M)
    assert re.search(r'^platform: "onnxruntime_onnx"$', config, re.M)
    assert re.search(r"^max_batch_size: 0$", config, re.M)
    tensors = re.findall(r'name: "(\w+)"\s+data_type: (\w+)\s+dims: \[ ([\d, -]+) \]', config)
    assert tensors == [("image", "TYPE_FP32", "2, 3, 8, 8"), ("output", "TYPE_FP32", "2, 5")]
    session = ort.InferenceSession(str(repository / "smallnet" / "1" / "model.onnx"), providers=["CPUExecutionProvider"])
    module, x = project.eager()
    with torch.no_grad():
        assert _delta(module(x), session.run(["output"], {"image": x.numpy()})[0]) <= ATOL
    assert measured <= ATOL
    # A second export replaces the model directory, and only it.
    (repository / "other").mkdir()
    assert project.run("--example-shape", "2,3,8,8", "--to", "triton", "-o", str(repository), "--name", "smallnet").exit_code == 0
    assert sorted(p.name for p in repository.iterdir()) == ["other", "smallnet"]


def test_executorch_program_is_written_loaded_and_equal(project: Project) -> None:
    pytest.importorskip("executorch", reason="executorch is not installed (pip install 'migrate[executorch]')")
    from executorch.runtime import Runtime

    out = project.root / "model.pte"
    measured = _ok(project.run("--example-shape", "2,3,8,8", "--to", "executorch", "-o", str(out)), "executorch")
    method = Runtime.get().load_program(str(out)).load_method("forward")
    module, x = project.eager()
    with torch.no_grad():
        assert _delta(module(x), method.execute([x])[0]) <= ATOL
    assert measured <= ATOL


def test_executorch_missing_is_a_one_line_error_saying_how_to_install(project: Project) -> None:
    try:
        import executorch  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("executorch is installed here")
    out = project.root / "missing.pte"
    result = project.run("--example-shape", "2,3,8,8", "--to", "executorch", "-o", str(out))
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "pip install executorch" in result.output
    assert not out.exists()


def test_a_mismatch_names_the_target_and_the_delta_and_writes_nothing(project: Project) -> None:
    out = project.root / "new_dir" / "stateful.pt2"
    result = CliRunner().invoke(
        main,
        ["export", "exportproj.net:Stateful", "--weights", str(project.weights), "--example-shape", "2,3,8,8",
         "--to", "torch-export", "-o", str(out)],
    )
    assert result.exit_code == 1, result.output
    assert re.fullmatch(r"migrate: export failed: torch-export: outputs differ from the eager module: max \|Δ\| \S+ > 1e-05; nothing written\n", result.output)
    assert not out.parent.exists(), "the directory made for -o goes again"
    assert not [p for p in project.root.iterdir() if p.name.startswith(".stateful")]


def test_a_tolerance_the_exporter_cannot_meet_fails_with_exit_1(project: Project) -> None:
    out = project.root / "strict.onnx"
    result = project.run("--example-shape", "2,3,8,8", "--to", "onnx", "-o", str(out), "--atol", "0")
    # onnxruntime's convolution sums in another order than torch's: never bit-identical here.
    assert result.exit_code == 1 and "onnx: outputs differ" in result.output and "> 0;" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["exportproj.nope:SmallNet", "--weights", "model.pt"], "cannot import exportproj.nope"),
        (["exportproj.net:Nope", "--weights", "model.pt"], "exportproj.net has no Nope"),
        (["exportproj.net:SmallNet", "--weights", "missing.pt"], "no such file"),
        (["exportproj.net:SmallNet", "--weights", "list.pt"], "not a state_dict"),
        (["exportproj.net:SmallNet", "--weights", "other.pt"], "does not fit SmallNet: missing"),
        (["exportproj.net:SmallNet", "--weights", "model.pt", "--module-args", "{oops"], "--module-args: not JSON"),
    ],
)
def test_bad_inputs_are_one_line_errors_with_exit_2(project: Project, args: list[str], message: str) -> None:
    torch.save([torch.zeros(1)], project.root / "list.pt")
    torch.save({"conv.weight": torch.zeros(1)}, project.root / "other.pt")
    result = CliRunner().invoke(main, ["export", *args, "--example-shape", "2,3,8,8", "--to", "onnx", "-o", "bad.onnx"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("migrate: error: ") and result.output.count("\n") == 1, result.output
    assert message in result.output
    assert not (project.root / "bad.onnx").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--example-shape", "2,three,8", "--to", "onnx", "-o", "x.onnx"], "--example-shape '2,three,8': expected positive integers"),
        (["--example-shape", "2,0,8", "--to", "onnx", "-o", "x.onnx"], "every dimension must be a positive integer"),
        (["--example-shape", "2,3,8,8", "--to", "aoti", "-o", "x.onnx"], "--to aoti writes a .pt2 file"),
        (["--example-shape", "2,3,8,8", "--to", "onnx", "--dtype", "bfloat16", "-o", "x.onnx"], "does not take --dtype bfloat16"),
        (["--example-shape", "2,3,8,8", "--to", "tflite", "-o", "x.tflite"], "'tflite' is not one of"),
        (["--example-shape", "2,3,8", "--to", "onnx", "-o", "x.onnx"], "the forward pass on --example-shape 2,3,8 failed"),
    ],
)
def test_bad_usage_is_a_one_line_error_with_exit_2(project: Project, args: list[str], message: str) -> None:
    result = project.run(*args)
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and message in result.output, result.output


def test_several_inputs_and_a_dict_output_keep_their_names(project: Project) -> None:
    import onnxruntime as ort

    torch.manual_seed(0)
    two = importlib.import_module("exportproj.net").TwoHeads()
    torch.save(two.state_dict(), project.root / "two.pt")
    repository = project.root / "two_models"
    result = CliRunner().invoke(
        main,
        ["export", "exportproj.net:TwoHeads", "--weights", "two.pt", "--example-shape", "2,4", "--example-shape", "2,5",
         "--to", "triton", "-o", str(repository)],
    )
    assert result.exit_code == 0 and "(triton): 2 outputs match the eager module" in result.output, result.output
    config = (repository / "two_heads" / "config.pbtxt").read_text()
    tensors = re.findall(r'name: "(\w+)"\s+data_type: (\w+)\s+dims: \[ ([\d, -]+) \]', config)
    assert tensors == [("query", "TYPE_FP32", "2, 4"), ("key", "TYPE_FP32", "2, 5"), ("total", "TYPE_FP32", "2, 3"), ("gap", "TYPE_FP32", "2, 3")]
    session = ort.InferenceSession(str(repository / "two_heads" / "1" / "model.onnx"), providers=["CPUExecutionProvider"])
    q, k = torch.randn(2, 4), torch.randn(2, 5)
    total, gap = session.run(["total", "gap"], {"query": q.numpy(), "key": k.numpy()})
    with torch.no_grad():
        want = two.eval()(q, k)
    assert _delta(want["total"], total) <= ATOL and _delta(want["gap"], gap) <= ATOL


def test_the_cli_offers_every_target_and_importing_it_stays_light() -> None:
    import subprocess

    from migrate.cli import _EXPORT_TARGETS
    from migrate.export import TARGETS

    assert tuple(TARGETS) == _EXPORT_TARGETS
    code = "import sys, migrate.export, migrate.cli; print(sorted(m for m in ('torch', 'onnx', 'onnxruntime', 'tensorflow') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
