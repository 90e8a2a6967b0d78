"""One entry per deployment target: how its artefact is written, and how it is loaded back and
run so that its outputs can be compared with the eager module's.

A target writes into a staging path that the caller gives (a file, or for Triton a model
directory); the caller checks the loaded artefact and only then moves it into place.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ArtefactError, ExportError

Runner = Callable[[list[Any]], list[Any]]


@dataclass(frozen=True)
class Target:
    name: str
    suffix: str | None  # what -o must end with (None: a directory, the Triton model repository)
    what: str  # one line for the docs and --help
    write: Callable[[Any, list[Any], "Names", Path], None]
    load: Callable[[Path], Runner]
    dtypes: tuple[str, ...] = ("float32", "float64", "float16", "bfloat16")
    needs: str | None = None  # a module that must import, with how to install it


@dataclass(frozen=True)
class Names:
    inputs: list[str]
    outputs: list[str]
    model: str  # the Triton model name


# --- ONNX ---------------------------------------------------------------------------------


def write_onnx(module: Any, inputs: list[Any], names: Names, path: Path) -> None:
    """``torch.onnx.export(..., dynamo=True)``: the torch.export-based exporter (needs onnxscript)."""
    import torch

    # The exporter prints its progress on stdout ("[torch.onnx] Obtain model graph…") and
    # torch's own deprecation warnings: keep the command's output to the one line it promises.
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        program = torch.onnx.export(
            module,
            tuple(inputs),
            dynamo=True,
            input_names=names.inputs,
            output_names=names.outputs,
            verbose=False,
        )
        if program is None:
            raise ArtefactError("onnx: torch.onnx.export returned no program")
        program.save(str(path))


def load_onnx(path: Path) -> Runner:
    """An onnxruntime session on the CPU provider, checked to be on it (onnxruntime-gpu lists
    CUDA providers on a machine without a GPU and falls back silently: STACK.md)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    if session.get_providers()[:1] != ["CPUExecutionProvider"]:
        raise ArtefactError(f"onnx: onnxruntime did not run on CPUExecutionProvider: {session.get_providers()}")
    names = [i.name for i in session.get_inputs()]

    def run(inputs: list[Any]) -> list[Any]:
        import torch

        feeds = {name: tensor.detach().cpu().numpy() for name, tensor in zip(names, inputs, strict=True)}
        return [torch.from_numpy(out) for out in session.run(None, feeds)]

    return run


# --- torch.export -------------------------------------------------------------------------


def _exported(module: Any, inputs: list[Any]) -> Any:
    import torch

    return torch.export.export(module, tuple(inputs), strict=False)


def write_torch_export(module: Any, inputs: list[Any], names: Names, path: Path) -> None:  # noqa: ARG001
    import torch

    torch.export.save(_exported(module, inputs), str(path))


def load_torch_export(path: Path) -> Runner:
    import torch

    program = torch.export.load(str(path)).module()
    return lambda inputs: _flat(program(*inputs))


# --- AOTInductor --------------------------------------------------------------------------


def write_aoti(module: Any, inputs: list[Any], names: Names, path: Path) -> None:  # noqa: ARG001
    """A compiled package (C++ and a shared library inside a .pt2): needs a C++ compiler."""
    import torch._inductor

    torch._inductor.aoti_compile_and_package(_exported(module, inputs), package_path=str(path))


def load_aoti(path: Path) -> Runner:
    import torch._inductor

    runner = torch._inductor.aoti_load_package(str(path))
    return lambda inputs: _flat(runner(*inputs))


# --- ExecuTorch ---------------------------------------------------------------------------


def write_executorch(module: Any, inputs: list[Any], names: Names, path: Path) -> None:  # noqa: ARG001
    """``to_edge_transform_and_lower`` with the XNNPACK partitioner where it imports (the
    portable CPU kernels otherwise), then ``to_executorch()``: a .pte program."""
    from executorch.exir import to_edge_transform_and_lower

    try:
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

        partitioners = [XnnpackPartitioner()]
    except ImportError:
        partitioners = []
    program = to_edge_transform_and_lower(_exported(module, inputs), partitioner=partitioners).to_executorch()
    path.write_bytes(program.buffer)


def load_executorch(path: Path) -> Runner:
    from executorch.runtime import Runtime

    method = Runtime.get().load_program(str(path)).load_method("forward")
    return lambda inputs: _flat(method.execute(list(inputs)))


# --- Triton -------------------------------------------------------------------------------

# ONNX TensorProto element types → Triton's data_type names.
_TRITON_TYPES = {
    1: "TYPE_FP32", 2: "TYPE_UINT8", 3: "TYPE_INT8", 4: "TYPE_UINT16", 5: "TYPE_INT16", 6: "TYPE_INT32",
    7: "TYPE_INT64", 9: "TYPE_BOOL", 10: "TYPE_FP16", 11: "TYPE_FP64", 12: "TYPE_UINT32", 13: "TYPE_UINT64",
    16: "TYPE_BF16",
}


def triton_config(model: Any, name: str) -> str:
    """config.pbtxt for the onnxruntime backend, every input and output as the ONNX model
    declares it: name, data type, dims. Shapes are static (the example's), so there is no
    batching dimension of Triton's own: max_batch_size 0 and the batch is part of dims."""

    def tensors(values: Any) -> str:
        blocks = []
        for value in values:
            tensor_type = value.type.tensor_type
            if tensor_type.elem_type not in _TRITON_TYPES:
                raise ArtefactError(f"triton: {value.name}: ONNX element type {tensor_type.elem_type} has no Triton data type")
            dims = ", ".join(str(d.dim_value) if d.HasField("dim_value") else "-1" for d in tensor_type.shape.dim)
            blocks.append(
                f'  {{\n    name: "{value.name}"\n    data_type: {_TRITON_TYPES[tensor_type.elem_type]}\n    dims: [ {dims} ]\n  }}'
            )
        return ",\n".join(blocks)

    initializers = {i.name for i in model.graph.initializer}
    graph_inputs = [v for v in model.graph.input if v.name not in initializers]
    return (
        f'name: "{name}"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 0\n'
        f"input [\n{tensors(graph_inputs)}\n]\noutput [\n{tensors(model.graph.output)}\n]\n"
    )


def write_triton(module: Any, inputs: list[Any], names: Names, directory: Path) -> None:
    """A model directory of a Triton model repository: ``<name>/config.pbtxt`` and
    ``<name>/1/model.onnx`` (version 1)."""
    import onnx

    (directory / "1").mkdir(parents=True)
    model_path = directory / "1" / "model.onnx"
    write_onnx(module, inputs, names, model_path)
    config = triton_config(onnx.load(str(model_path), load_external_data=False), names.model)
    (directory / "config.pbtxt").write_text(config, encoding="utf-8")


def load_triton(directory: Path) -> Runner:
    return load_onnx(directory / "1" / "model.onnx")


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("onnx", ".onnx", "an ONNX model from torch.onnx.export(dynamo=True), checked with onnxruntime",
               write_onnx, load_onnx, dtypes=("float32", "float64", "float16")),
        Target("torch-export", ".pt2", "a torch.export program (torch.export.save), checked with torch.export.load",
               write_torch_export, load_torch_export),
        Target("aoti", ".pt2", "an AOTInductor package (aoti_compile_and_package), checked with aoti_load_package",
               write_aoti, load_aoti),
        Target("executorch", ".pte", "an ExecuTorch program (.pte), checked with the ExecuTorch runtime",
               write_executorch, load_executorch, needs="executorch"),
        Target("triton", None, "a Triton model repository entry: <name>/config.pbtxt and <name>/1/model.onnx",
               write_triton, load_triton, dtypes=("float32", "float64", "float16")),
    )
}


def check_available(target: Target) -> None:
    """Exit-2 error, before any work, when the target's package is not installed."""
    if target.needs is None:
        return
    try:
        __import__(target.needs)
    except ImportError as error:
        raise ExportError(
            f"--to {target.name} needs the {target.needs} package, which is not importable here ({error}): "
            f"pip install {target.needs} (or pip install 'migrate[{target.needs}]')"
        ) from None


def _flat(value: Any) -> list[Any]:
    from torch.utils._pytree import tree_leaves

    return list(tree_leaves(value))
