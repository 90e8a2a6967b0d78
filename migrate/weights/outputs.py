"""Atomic writes: each output is a temporary file beside its destination, renamed in place."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any


def state_dict_bytes(state: dict[str, Any]) -> bytes:
    """torch.save of a plain dict of tensors: loads with ``torch.load(..., weights_only=True)``."""
    import torch

    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def safetensors_bytes(state: dict[str, Any]) -> bytes:
    from safetensors.torch import save

    return save({key: tensor.contiguous() for key, tensor in state.items()})


def write_all(outputs: dict[Path, bytes]) -> None:
    """Write every output, or none: all temporary files first, then the renames."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in outputs.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            staged.append((temp, path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        for temp, path in staged:
            os.replace(temp, path)
    finally:
        for temp, _ in staged:
            if os.path.exists(temp):
                os.unlink(temp)
