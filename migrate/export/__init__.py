"""`migrate export`: deployable artefacts of the migrated module, each checked before it lands.

The module class is imported (user code runs, as with `migrate weights`), its state_dict
loaded with ``torch.load(weights_only=True)`` and ``strict=True``. The artefact is written into
a temporary directory beside ``-o``, loaded back with its own runtime, run on seeded example
inputs and compared with the eager module; only when every output matches within the
tolerance is it moved into place. So a failed export leaves nothing half-written.

Imports torch, onnx and onnxruntime (DESIGN.md): never tensorflow.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ArtefactError, ExportError
from .module import DTYPES, build, example_inputs, input_names, load_weights, parse_shape, run
from .targets import TARGETS, Names, Target, check_available

__all__ = ["DTYPES", "TARGETS", "ArtefactError", "ExportError", "ExportResult", "export", "parse_shape", "tolerance"]

# Default tolerance on max |Δ| between the artefact and the eager module, by dtype. float32
# and float64: 1e-5 (the bar). Half precision has 10 (float16) or 7 (bfloat16)
# mantissa bits, so a different but correct kernel order already moves outputs of size ~1 by
# several ulps (1e-3 and 8e-3 each): 1e-2 and 5e-2.
_ATOL = {"float32": 1e-5, "float64": 1e-5, "float16": 1e-2, "bfloat16": 5e-2}


def tolerance(dtype: str) -> float:
    return _ATOL[dtype]


@dataclass
class ExportResult:
    target: str
    path: Path  # the artefact (for Triton, the model's directory in the repository)
    max_abs_diff: float
    atol: float
    outputs: int
    files: list[Path] = field(default_factory=list)

    def summary_line(self) -> str:
        return (
            f"wrote {self.path} ({self.target}): {self.outputs} output{'s' if self.outputs != 1 else ''} "
            f"match the eager module, max |Δ| {self.max_abs_diff:.3g} ≤ {self.atol:g}"
        )


def export(
    spec: str,
    weights: Path,
    shapes: list[str],
    target_name: str,
    output: Path,
    *,
    module_args: str | None = None,
    dtype: str = "float32",
    atol: float | None = None,
    name: str | None = None,
) -> ExportResult:
    """Write ``target_name``'s artefact of ``spec`` with ``weights`` to ``output``, checked.

    Raises ExportError for a bad input (nothing done) and ArtefactError when the artefact does
    not load back or does not match the eager module (nothing written)."""
    target = _target(target_name)
    _check_output(target, output)
    if dtype not in target.dtypes:
        raise ExportError(f"--to {target.name} does not take --dtype {dtype} (it takes {', '.join(target.dtypes)})")
    if not shapes:
        raise ExportError("--example-shape is required: the shape of each input, like 1,3,32,32")
    parsed = [parse_shape(text) for text in shapes]
    if name is not None and not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ExportError(f"--name {name!r}: use letters, digits, '_', '-' and '.' (it is a directory name)")
    check_available(target)
    try:
        import torch
    except ImportError as error:
        raise ExportError(f"`migrate export` needs torch: pip install 'migrate[export]' ({error})") from None

    module = build(spec, module_args)
    inputs = example_inputs(parsed, dtype)
    load_weights(module, weights, inputs)
    module = module.to(getattr(torch, dtype)).eval()
    try:
        with torch.no_grad():
            expected = run(module, inputs)
    except Exception as error:  # noqa: BLE001 - the user's forward on the user's shapes
        raise ExportError(f"{spec}: the forward pass on --example-shape {' '.join(shapes)} failed: {_one_line(error)}") from None
    if not expected or not all(isinstance(t, torch.Tensor) for t in expected):
        raise ExportError(f"{spec}: forward must return a tensor, or a tuple, list or dict of tensors")
    names = Names(input_names(module, len(inputs)), _output_names(module, inputs, len(expected)), name or _snake(type(module).__name__))
    limit = tolerance(dtype) if atol is None else atol

    made = [d for d in (output.parent, *output.parent.parents) if not d.exists()]
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    done = False
    try:
        staged = staging / (names.model if target.suffix is None else output.name)
        try:
            with torch.no_grad():
                target.write(module, inputs, names, staged)
        except (ArtefactError, ExportError):
            raise
        except Exception as error:  # noqa: BLE001 - the exporter refused the model
            raise ArtefactError(f"{target.name}: export failed: {_one_line(error)}") from None
        try:
            with torch.no_grad():
                got = target.load(staged)(inputs)
        except ArtefactError:
            raise
        except Exception as error:  # noqa: BLE001
            raise ArtefactError(f"{target.name}: the artefact was written but does not load back and run: {_one_line(error)}") from None
        diff = _max_abs_diff(target, expected, got)
        if not diff <= limit:  # also catches NaN
            raise ArtefactError(
                f"{target.name}: outputs differ from the eager module: max |Δ| {diff:.3g} > {limit:g}; nothing written"
            )
        final = output / names.model if target.suffix is None else output
        final.parent.mkdir(parents=True, exist_ok=True)  # the Triton repository, made on success only
        _move(staged, final)
        done = True
        files = sorted(p for p in final.rglob("*") if p.is_file()) if final.is_dir() else [final]
        return ExportResult(target.name, final, diff, limit, len(expected), files)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not done:  # leave no trace: directories made for -o go again (if still empty)
            for directory in made:
                try:
                    directory.rmdir()
                except OSError:
                    break


def _target(name: str) -> Target:
    if name not in TARGETS:
        raise ExportError(f"--to {name!r}: expected one of {', '.join(TARGETS)}")
    return TARGETS[name]


def _check_output(target: Target, output: Path) -> None:
    if target.suffix is None:
        if output.exists() and not output.is_dir():
            raise ExportError(f"-o {output}: --to {target.name} writes a model repository, a directory; this is a file")
    elif output.suffix != target.suffix:
        raise ExportError(f"-o {output}: --to {target.name} writes a {target.suffix} file; name it like model{target.suffix}")
    elif output.is_dir():
        raise ExportError(f"-o {output}: is a directory; --to {target.name} writes a {target.suffix} file")


def _max_abs_diff(target: Target, expected: list[Any], got: list[Any]) -> float:
    import torch

    if len(got) != len(expected):
        raise ArtefactError(f"{target.name}: the artefact returns {len(got)} outputs, the eager module {len(expected)}")
    worst = 0.0
    for index, (want, have) in enumerate(zip(expected, got, strict=True)):
        have = torch.as_tensor(have)
        if tuple(have.shape) != tuple(want.shape):
            raise ArtefactError(f"{target.name}: output {index} has shape {tuple(have.shape)}, the eager module's {tuple(want.shape)}")
        if want.numel():
            delta = (have.to(torch.float64) - want.detach().to(torch.float64)).abs().max().item()
            worst = max(worst, delta) if delta == delta else float("nan")
    return worst


def _move(staged: Path, final: Path) -> None:
    """Into place by rename: a file atomically; a Triton model directory replaces an older one
    of the same name (renamed aside first, removed after)."""
    if staged.is_dir():
        aside = None
        if final.exists():
            aside = final.with_name(f".{final.name}.old-{os.getpid()}")
            os.replace(final, aside)
        os.replace(staged, final)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(staged, final)


def _output_names(module: Any, inputs: list[Any], count: int) -> list[str]:
    """A dict output keeps its keys; otherwise ``output`` or ``output_0``, ``output_1``…"""
    import torch

    with torch.no_grad():
        value = module(*inputs)
    if isinstance(value, dict) and len(value) == count and all(isinstance(k, str) and k.isidentifier() for k in value):
        return list(value)
    return ["output"] if count == 1 else [f"output_{i}" for i in range(count)]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return (text[:200] + "…") if len(text) > 200 else text or type(error).__name__
