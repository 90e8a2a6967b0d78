"""``verify``: run the Keras model and the migrated module on the same batch and report.

Steps: weights (converted through ONNX on the fly, or the module's own), matching batches,
one recorded forward pass on each side (outputs and every layer), ONNX Runtime and onnx2torch
on the export (the four-way columns), the first divergent layer, then — when asked — the
training check and the speed table.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .align import compare, delta
from .batches import Batch, from_file, seeded
from .capture import keras_recording, torch_recording
from .divergence import output_fault, walk
from .errors import VerifyError
from .report import OutputCheck, Report

Progress = Callable[[str], None]


def verify(
    keras_model: Any,
    torch_module: Any,
    *,
    batch: int = 2,
    data: str | Path | dict[str, np.ndarray] | list[np.ndarray] | None = None,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    train_steps: int = 0,
    train_atol: float = 1e-4,
    speed: bool = False,
    device: str = "cpu",
    convert_weights: bool = True,
    four_way: bool = True,
    seed: int = 0,
    unsafe: bool = False,
    progress: Progress | None = None,
) -> Report:
    """Compare ``keras_model`` (a keras.Model or a .keras/.h5 path) with ``torch_module`` (the
    migrated nn.Module).

    ``convert_weights``: load the Keras weights into the module first (through ONNX, as
    `migrate weights` does); False keeps the module's own weights (you loaded them). ``data``:
    an .npz path, a dict by input name or a list of arrays in Keras layout; else ``batch``
    seeded random rows. Raises ``VerifyError`` for inputs that cannot be compared at all.
    """
    import torch

    from migrate.weights import WeightsError, export_onnx, run
    from migrate.weights.keras_model import input_layouts, input_specs, load

    say = progress or (lambda _text: None)
    try:
        if isinstance(keras_model, (str, Path)):
            keras_model = load(keras_model, unsafe=unsafe, compiled=True)  # the training check reads the optimizer
        if not isinstance(torch_module, torch.nn.Module):
            raise VerifyError(f"{type(torch_module).__name__} is not a torch.nn.Module")
        specs = input_specs(keras_model)
        layouts = input_layouts(keras_model)
        proto = None
        if convert_weights:
            say("converting the Keras weights through ONNX")
            proto = run(keras_model, torch_module).onnx
        elif four_way:
            say("exporting the Keras model to ONNX")
            try:
                proto = export_onnx(keras_model)
            except WeightsError:
                proto = None
    except WeightsError as error:
        raise VerifyError(str(error)) from None
    if device == "cuda" and not torch.cuda.is_available():
        raise VerifyError("--device cuda: no CUDA device is available to torch")

    arrays, source = _inputs(keras_model, specs, batch, data, seed)
    inputs = Batch(arrays, layouts, source)
    notes: list[str] = []

    say("running the Keras model")
    keras_outputs, records = _run_keras(keras_model, inputs)
    say("running the migrated module")
    module = torch_module.to(device)
    torch_outputs, torch_calls = _run_torch(module, inputs, device)

    references: dict[str, Any] = {}
    if four_way and proto is not None:
        say("running ONNX Runtime and onnx2torch")
        from .reference import run_references

        references = run_references(proto, inputs.keras)
    elif four_way:
        notes.append("no ONNX export of the model: the onnxruntime and onnx2torch columns are empty")

    names = _output_names(keras_model, len(keras_outputs))
    got = _tensors_of(torch_outputs)
    outputs = []
    if len(got) != len(keras_outputs):
        notes.append(f"the module returns {len(got)} tensor(s), the Keras model {len(keras_outputs)}")
    for index, (name, expected) in enumerate(zip(names, keras_outputs, strict=True)):
        found = compare(expected, got[index], atol, rtol, expected.ndim >= 4) if index < len(got) else None
        check = OutputCheck(name, tuple(expected.shape), found)
        for ref_name, ref in references.items():
            if isinstance(ref, str):
                check.references[ref_name] = ref
            elif index < len(ref) and ref[index].shape == expected.shape:
                check.references[ref_name] = delta(expected, ref[index], atol, rtol)
            else:
                check.references[ref_name] = "its outputs do not line up with the model's"
        if found is not None and found.ok and np.std(expected) == 0:
            check.note = "the Keras output is constant: this comparison proves little"
        outputs.append(check)

    say("walking the layers")
    layers, divergence = walk(records, torch_calls, dict(module.named_modules()), atol, rtol)
    if divergence is None:  # every module matched, yet an output differs: blame the step after them
        for check, expected in zip(outputs, keras_outputs, strict=True):
            if not check.ok:
                divergence = output_fault(records, layers, check.name, expected, check.migrated)
                if divergence is not None:
                    break
    if divergence is not None and all(o.ok for o in outputs):
        notes.append(f"the outputs match, but layer {divergence.layer} does not: {divergence.reason}")

    report = Report(
        model=getattr(keras_model, "name", "model"), module=type(torch_module).__name__, batch=inputs.size,
        data=source, atol=atol, rtol=rtol, outputs=outputs, layers=layers, divergence=divergence, notes=notes,
    )
    if train_steps > 0:
        say(f"training {train_steps} steps on each side")
        from .train import training_check

        report.training = training_check(keras_model, module, inputs, train_steps, train_atol, device, seed)
    if speed:
        report.speed = _speed(keras_model, module, inputs, device, proto, progress)
    return report


def assert_equivalent(keras_model: Any, torch_module: Any, **kwargs: Any) -> Any:
    """For your own test suite: ``verify`` and raise AssertionError with the rendered report
    when anything differs. Returns the Report when all is equivalent."""
    report = verify(keras_model, torch_module, **kwargs)
    if not report.ok:
        raise AssertionError("the migrated module is not equivalent to the Keras model\n" + report.render())
    return report


def _inputs(model: Any, specs: list[Any], batch: int, data: Any, seed: int) -> tuple[list[np.ndarray], str]:
    if data is None:
        if batch < 1:
            raise VerifyError(f"--batch must be at least 1, not {batch}")
        return seeded(model, specs, batch, seed), f"seeded random inputs, seed {seed}"
    if isinstance(data, (str, Path)):
        return from_file(data, specs), str(data)
    if isinstance(data, dict):
        missing = [name for name, _, _ in specs if name not in data]
        if missing:
            raise VerifyError(f"data has no array for input(s) {', '.join(missing)}")
        return [np.asarray(data[name]) for name, _, _ in specs], "your data"
    arrays = [np.asarray(a) for a in (data if isinstance(data, (list, tuple)) else [data])]
    if len(arrays) != len(specs):
        raise VerifyError(f"data has {len(arrays)} array(s), the model {len(specs)} input(s)")
    return arrays, "your data"


def _run_keras(model: Any, inputs: Batch) -> tuple[list[np.ndarray], list[Any]]:
    from migrate.weights import WeightsError

    args = inputs.keras if len(inputs.keras) > 1 else inputs.keras[0]
    try:
        with keras_recording(model) as records:
            out = model(args, training=False)
    except WeightsError as error:  # two layers that would share one module attribute
        raise VerifyError(str(error)) from None
    except Exception as error:  # noqa: BLE001 - a batch the model refuses (shape, dtype) is a bad input
        text = " ".join(str(error).split())[:200]
        raise VerifyError(f"the Keras model {model.name!r} fails on the batch: {type(error).__name__}: {text}") from None
    flat = _keras_flat(out)
    return [np.asarray(o) for o in flat], records


def _keras_flat(out: Any) -> list[Any]:
    if isinstance(out, dict):
        return [v for value in out.values() for v in _keras_flat(value)]
    if isinstance(out, (list, tuple)):
        return [v for value in out for v in _keras_flat(value)]
    return [out]


def _run_torch(module: Any, inputs: Batch, device: str) -> tuple[Any, Any]:
    import torch

    training = module.training
    module.eval()
    try:
        with torch.no_grad(), torch_recording(module) as calls:
            out = module(*inputs.torch(device))
    except Exception as error:  # noqa: BLE001 - the user's forward can raise anything
        text = " ".join(str(error).split())[:200]
        raise VerifyError(f"{type(module).__name__}.forward failed on the batch: {type(error).__name__}: {text}") from None
    finally:
        module.train(training)
    return out, calls


def _tensors_of(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors_of(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors_of(v)]
    return [value]


def _output_names(model: Any, count: int) -> list[str]:
    names = list(getattr(model, "output_names", None) or [])
    if len(names) != count:
        try:
            names = [t.name for t in model.outputs]
        except (AttributeError, ValueError):
            names = []
    return names if len(names) == count else [f"output_{i}" for i in range(count)]


def _speed(model: Any, module: Any, inputs: Batch, device: str, proto: Any, progress: Progress | None) -> Any:
    from .speed import speed_table

    def show(done: int, total: int, label: str) -> None:
        if progress is not None:
            progress(f"speed [{done}/{total}] {label}")

    try:
        return speed_table(model, copy.deepcopy(module), inputs.keras, inputs.torch(device), device=device,
                           train=True, progress=show, onnx_model=proto)
    except ValueError as error:
        raise VerifyError(f"--speed: {error}") from None


__all__ = ["assert_equivalent", "verify"]
