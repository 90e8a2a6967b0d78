"""The module to export: its class imported, its state_dict loaded strictly, example inputs made."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ExportError

# The dtypes an example input may have, by the name `--dtype` takes.
DTYPES = ("float32", "float64", "float16", "bfloat16")


def parse_shape(text: str) -> tuple[int, ...]:
    """``"1,3,32,32"`` (or ``"1x3x32x32"``) → (1, 3, 32, 32); every dimension a positive int."""
    parts = [part.strip() for part in text.replace("x", ",").split(",")]
    try:
        dims = tuple(int(part) for part in parts)
    except ValueError:
        raise ExportError(f"--example-shape {text!r}: expected positive integers separated by commas, like 1,3,32,32") from None
    if not dims or any(d <= 0 for d in dims):
        raise ExportError(f"--example-shape {text!r}: every dimension must be a positive integer, like 1,3,32,32")
    return dims


def build(spec: str, args_json: str | None) -> Any:
    """An instance of the nn.Module class ``spec`` (``pkg.module:Class``) names, called with
    ``args_json`` (a JSON object of keyword arguments or a list of positional ones). The class
    is imported with the current directory on sys.path: this runs the user's code."""
    from migrate.usercode import UserCodeError, build_module

    try:
        return build_module(spec, args_json)
    except UserCodeError as error:
        message = str(error)
        raise ExportError(message if message.startswith("--module-args") else f"{spec!r}: {message}") from None


def load_weights(module: Any, path: Path, inputs: list[Any]) -> None:
    """Load the state_dict at ``path`` (``torch.load(weights_only=True)``: no pickled code
    runs) into ``module`` with strict=True. Lazy modules are sized first by one forward pass
    on the example inputs."""
    import torch
    from torch.nn.parameter import UninitializedParameter

    if not path.is_file():
        raise ExportError(f"--weights {path}: no such file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - not a torch file, or pickled code refused
        raise ExportError(f"--weights {path}: cannot be read as a state_dict ({_one_line(error)})") from None
    if not isinstance(state, Mapping) or not state or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ExportError(f"--weights {path}: not a state_dict (a dict of names to tensors, as module.state_dict() gives)")
    if any(isinstance(p, UninitializedParameter) for p in module.parameters()):
        module.eval()
        with torch.no_grad():
            run(module, inputs)
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as error:
        missing = [k for k in module.state_dict() if k not in state]
        unexpected = [k for k in state if k not in module.state_dict()]
        if missing or unexpected:
            what = "; ".join(
                f"{label} {_few(keys)}" for label, keys in (("missing", missing), ("unexpected", unexpected)) if keys
            )
            raise ExportError(f"--weights {path}: does not fit {type(module).__name__}: {what}") from None
        raise ExportError(f"--weights {path}: does not fit {type(module).__name__}: {_one_line(error)}") from None


def example_inputs(shapes: list[tuple[int, ...]], dtype: str, seed: int = 0) -> list[Any]:
    """One seeded standard-normal tensor per shape."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=generator, dtype=torch.float32).to(getattr(torch, dtype)) for shape in shapes]


def input_names(module: Any, count: int) -> list[str]:
    """The forward's parameter names (`x`, `image`…), so the artefacts' inputs are named as
    the code names them; ``input_N`` where the signature does not say (``*args``)."""
    try:
        params = list(inspect.signature(module.forward).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(names) < count:
        return [f"input_{i}" for i in range(count)] if count > 1 else ["input"]
    return names[:count]


def run(module: Any, inputs: list[Any]) -> list[Any]:
    """The module's outputs as a flat list of tensors (a tuple, list or dict output flattened
    in pytree order, the order every exporter uses)."""
    from torch.utils._pytree import tree_leaves

    return list(tree_leaves(module(*inputs)))


def _few(keys: list[str]) -> str:
    shown = ", ".join(keys[:3])
    return shown + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return (text[:200] + "…") if len(text) > 200 else text or type(error).__name__
