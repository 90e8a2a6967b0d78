"""Matching batches: one batch of inputs in Keras's layout and the same values in the migrated
module's layout (images channels-first; DESIGN decision 2).

Seeded random values follow the model's input signature: floats ~ N(0, 1); integer inputs
read by an Embedding are token ids in [0, input_dim) of the smallest such Embedding, other
integer inputs in [0, 10). Or the user's own arrays from an ``.npz`` file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import VerifyError


@dataclass
class Batch:
    keras: list[np.ndarray]  # model input order, Keras layout
    channels_first: list[bool]  # per input: the module takes it channels-first
    source: str  # "seeded random (seed 0)" or the data file

    def torch(self, device: str = "cpu") -> list[Any]:
        import torch

        tensors = []
        for array, first in zip(self.keras, self.channels_first, strict=True):
            moved = np.moveaxis(array, -1, 1) if first and array.ndim >= 3 else array
            tensor = torch.from_numpy(np.ascontiguousarray(moved))
            tensor = tensor.long() if array.dtype.kind in "iu" else tensor.float() if array.dtype.kind == "f" else tensor
            tensors.append(tensor.to(device))
        return tensors

    @property
    def size(self) -> int:
        return int(self.keras[0].shape[0])


def token_range(model: Any) -> int | None:
    """The id range an integer input may take: the smallest Embedding's input_dim, if any."""
    from migrate.weights.keras_model import leaf_layers

    dims = [int(leaf.layer.input_dim) for leaf in leaf_layers(model) if type(leaf.layer).__name__ == "Embedding"]
    return min(dims) if dims else None


def seeded(model: Any, specs: list[tuple[str, tuple[int | None, ...], str]], batch: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = []
    high = token_range(model) or 10
    for name, shape, dtype in specs:
        dims = shape[1:]
        if any(d is None for d in dims):
            raise VerifyError(
                f"input {name!r} has a dynamic shape {shape}: pass your own batch with --data FILE.npz"
            )
        full = (batch, *(int(d) for d in dims))
        if "int" in dtype:
            arrays.append(rng.integers(0, high, full).astype(dtype))
        elif "bool" in dtype:
            arrays.append(rng.integers(0, 2, full).astype(bool))
        else:
            arrays.append(rng.normal(size=full).astype(dtype if "float" in dtype else "float32"))
    return arrays


def from_file(path: str | Path, specs: list[tuple[str, tuple[int | None, ...], str]]) -> list[np.ndarray]:
    """Arrays from an .npz, by input name, else in order (``arr_0``, ``arr_1``… as np.savez writes)."""
    path = Path(path)
    if not path.is_file():
        raise VerifyError(f"--data {path}: no such file")
    try:
        data = np.load(path, allow_pickle=False)
        names = list(data.files)
        arrays = {name: data[name] for name in names}
    except Exception as error:  # noqa: BLE001 - any unreadable file is a bad input
        raise VerifyError(f"--data {path}: not a NumPy .npz file ({' '.join(str(error).split())[:120]})") from None
    wanted = [name for name, _, _ in specs]
    if all(name in arrays for name in wanted):
        chosen = [arrays[name] for name in wanted]
    elif len(names) >= len(specs) and not any(name in arrays for name in wanted):
        chosen = [arrays[name] for name in names[: len(specs)]]
    else:
        missing = [name for name in wanted if name not in arrays]
        raise VerifyError(f"--data {path}: has no array for input(s) {', '.join(missing)} (it holds {', '.join(names)})")
    for (name, shape, dtype), array in zip(specs, chosen, strict=True):
        if array.ndim != len(shape) or any(d is not None and d != a for d, a in zip(shape[1:], array.shape[1:], strict=True)):
            raise VerifyError(f"--data {path}: input {name!r} has shape {array.shape}, the model takes {shape}")
    sizes = {array.shape[0] for array in chosen}
    if len(sizes) != 1:
        raise VerifyError(f"--data {path}: the inputs have different batch sizes {sorted(sizes)}")
    return [a.astype(dtype) if "float" in dtype and a.dtype.kind == "f" else a for a, (_, _, dtype) in zip(chosen, specs, strict=True)]
