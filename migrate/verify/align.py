"""Put a torch tensor in the Keras layout and measure how far it is from the Keras tensor.

The migrated module is channels-first where Keras is channels-last (DESIGN decision 2), keeps
recurrent outputs in tuples, and flattens C,H,W where Keras flattens H,W,C. ``compare`` tries
the readings a faithful migration may produce, preferred one first, and keeps the first that
is within tolerance — or, when none is, the preferred one whose shape fits, so a mismatch is
measured the way the migration most likely meant it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Delta:
    max_abs: float
    max_rel: float  # max |Δ| / max |expected| (stable where single values are near zero)
    ok: bool  # every element within atol + rtol·|expected| (numpy.allclose)
    reading: str  # how the torch value was read: "as is", "channels-first", "flatten C,H,W"…

    def to_dict(self) -> dict[str, Any]:
        return {"max_abs": self.max_abs, "max_rel": self.max_rel, "ok": self.ok, "reading": self.reading}


def delta(expected: np.ndarray, got: np.ndarray, atol: float, rtol: float, reading: str = "as is") -> Delta:
    expected = np.asarray(expected, dtype=np.float64)
    got = np.asarray(got, dtype=np.float64)
    diff = np.abs(expected - got)
    max_abs = float(diff.max()) if diff.size else 0.0
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
    finite = bool(np.all(np.isfinite(got) == np.isfinite(expected)))
    ok = finite and bool(np.all(diff[np.isfinite(diff)] <= atol + rtol * np.abs(expected[np.isfinite(diff)])))
    return Delta(max_abs, max_rel, ok, reading)


def to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        return value.detach().float().cpu().numpy() if value.is_floating_point() else value.detach().cpu().numpy()
    return np.asarray(value)


def tensors(value: Any) -> list[Any]:
    """The tensors in a module's output, tuples and lists flattened (nn.LSTM: out, (h, c))."""
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in tensors(item)]
    return [value] if hasattr(value, "shape") else []


def readings(value: Any, keras_shape: tuple[int, ...], prefer_first: bool, flatten_shapes: Iterable[tuple[int, ...]] = ()) -> Iterator[tuple[str, np.ndarray]]:
    """(name, array in Keras layout) for each way ``value`` may hold the Keras tensor, preferred
    first; only readings whose shape equals ``keras_shape`` are yielded."""
    candidates = tensors(value)
    several = len(candidates) > 1
    for index, tensor in enumerate(candidates):
        array = to_numpy(tensor)
        where = f"output[{index}] " if several else ""
        views = [("as is", array)]
        if array.ndim >= 3:
            views.append(("channels-first", np.moveaxis(array, 1, -1)))
            views.append(("last step", array[:, -1]))  # (N, L, H) → (N, H): a recurrent layer's last output
            views.append(("last layer", array[-1]))  # (layers, N, H) → (N, H): h_n of nn.LSTM / nn.GRU
        if array.ndim == 2:
            for shape in flatten_shapes:  # Keras flattened H,W,C; the module C,H,W
                if int(np.prod(shape)) == array.shape[1]:
                    chw = array.reshape(array.shape[0], shape[-1], *shape[:-1])
                    spatial = {2: "L", 3: "H,W", 4: "D,H,W"}.get(len(shape), "…")
                    views.append((f"flatten C,{spatial}", np.moveaxis(chw, 1, -1).reshape(array.shape[0], -1)))
        if prefer_first and array.ndim >= 3:
            views.sort(key=lambda view: view[0] != "channels-first")
        for name, view in views:
            if tuple(view.shape) == tuple(keras_shape):
                yield (where + name).strip(), view


def compare(expected: np.ndarray, value: Any, atol: float, rtol: float, prefer_first: bool,
            flatten_shapes: Iterable[tuple[int, ...]] = ()) -> Delta | None:
    """The Delta of the best reading of ``value`` (see the module doc); None when no reading has
    the Keras shape."""
    first: Delta | None = None
    for name, view in readings(value, tuple(expected.shape), prefer_first, tuple(flatten_shapes)):
        found = delta(expected, view, atol, rtol, name)
        if found.ok:
            return found
        first = first or found
    return first
