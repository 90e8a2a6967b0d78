"""The migrated nn.Module: import it from ``pkg.module:Class``, build it, materialise Lazy layers."""

from __future__ import annotations

from typing import Any

from .errors import WeightsError


def build(spec: str, args_json: str | None = None) -> Any:
    """An instance of the class ``spec`` names (``pkg.module:Class``), called with ``args_json``
    (a JSON object of keyword arguments, or a list of positional ones)."""
    from migrate.usercode import UserCodeError, build_module

    try:
        return build_module(spec, args_json)
    except UserCodeError as error:
        message = str(error)
        raise WeightsError(message if message.startswith("--module-args") else f"--module {spec!r}: {message}") from None


def materialise(module: Any, inputs: list[tuple[str, tuple[int | None, ...], str]], channels_first: list[bool]) -> None:
    """Give Lazy modules (nn.LazyLinear…) their shapes by one forward pass on a zero batch of
    the Keras input shapes, channels moved first where the module takes them so (images;
    sequences read by 1-D convs — ``keras_model.input_layouts``)."""
    import torch
    from torch.nn.parameter import UninitializedBuffer, UninitializedParameter

    if not any(isinstance(p, UninitializedParameter) for p in module.parameters()) and not any(
        isinstance(b, UninitializedBuffer) for b in module.buffers()
    ):
        return
    batch = []
    for (name, shape, dtype), first in zip(inputs, channels_first, strict=True):
        dims = [1 if d is None else int(d) for d in shape[1:]]
        if first:  # (N, H, W, C) → (N, C, H, W); (N, L, C) → (N, C, L)
            if any(d is None for d in shape[1:]):
                raise WeightsError(f"input {name!r}: shape {shape} is not static; a Lazy module needs it")
            dims = [dims[-1], *dims[:-1]]
        torch_dtype = torch.long if "int" in dtype else torch.float32
        batch.append(torch.zeros((1, *dims), dtype=torch_dtype))
    training = module.training
    module.eval()
    try:
        with torch.no_grad():
            module(*batch)
    except Exception as error:  # noqa: BLE001
        raise WeightsError(f"module {type(module).__name__}: the forward pass that sizes its Lazy layers failed: {error}") from None
    finally:
        module.train(training)
