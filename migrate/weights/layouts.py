"""The weight layouts named in ``rules/layers.py``, on NumPy arrays: Keras layout in, torch out.

Each function takes one Keras variable's array and the Keras class of its layer (the gate
order of ``rnn_kernel`` depends on it) and returns the array the torch module holds.
They only move numbers (transpose, reorder, select), so the result is bit-identical.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _same(a: np.ndarray, kind: str) -> np.ndarray:
    return a


def _dense(a: np.ndarray, kind: str) -> np.ndarray:
    return a.T  # (in, out) → (out, in)


def _dense_conv(a: np.ndarray, kind: str) -> np.ndarray:
    # (in, out) → (out, in); the 1×1 kernel dimensions are added to fit the module's conv
    # weight (the mapper reshapes across size-1 dimensions only)
    return a.T


def _conv(a: np.ndarray, kind: str) -> np.ndarray:
    # (*kernel, in, out) → (out, in, *kernel)
    k = a.ndim - 2
    return a.transpose(k + 1, k, *range(k))


def _conv_transpose(a: np.ndarray, kind: str) -> np.ndarray:
    # (*kernel, out, in) → (in, out, *kernel): torch's ConvTranspose weight is (in, out/groups, …)
    k = a.ndim - 2
    return a.transpose(k + 1, k, *range(k))


def _depthwise(a: np.ndarray, kind: str) -> np.ndarray:
    # (*kernel, in, mult) → (in·mult, 1, *kernel): groups=in, output channel c·mult + m
    k = a.ndim - 2
    moved = a.transpose(k, k + 1, *range(k))
    return moved.reshape(a.shape[k] * a.shape[k + 1], 1, *a.shape[:k])


def reorder_gates(a: np.ndarray, order: tuple[int, ...], axis: int = 0) -> np.ndarray:
    """Gate blocks along ``axis`` taken in ``order`` (indices into the source's blocks)."""
    blocks = np.split(a, len(order), axis=axis)
    return np.concatenate([blocks[i] for i in order], axis=axis)


# Keras gate order → torch's. LSTM i,f,c,o is torch's i,f,g,o already; GRU z,r,h → r,z,n.
_GATES = {"GRU": (1, 0, 2)}


def _rnn_kernel(a: np.ndarray, kind: str) -> np.ndarray:
    t = a.T  # (in, gates·units) → (gates·units, in)
    return reorder_gates(t, _GATES[kind]) if kind in _GATES else t


def _rnn_bias(a: np.ndarray, kind: str) -> np.ndarray:
    return reorder_gates(a, _GATES[kind]) if kind in _GATES else a


def _gru_bias(a: np.ndarray, kind: str) -> np.ndarray:
    # (2, 3·units), reset_after=True: row 0 is the input bias, row 1 the recurrent one; the
    # mapper splits the rows into bias_ih_l0 and bias_hh_l0 (torch name "bias_ih_l0+bias_hh_l0")
    if a.ndim != 2 or a.shape[0] != 2:
        raise ValueError(f"a GRU bias of shape {a.shape} is not reset_after=True's (2, 3·units)")
    return np.stack([reorder_gates(row, _GATES["GRU"]) for row in a])


def _mha_in(a: np.ndarray, kind: str) -> np.ndarray:
    return a.reshape(a.shape[0], -1).T  # (dim, heads, key_dim) → (heads·key_dim, dim)


def _mha_out(a: np.ndarray, kind: str) -> np.ndarray:
    return a.reshape(-1, a.shape[-1]).T  # (heads, key_dim, dim) → (dim, heads·key_dim)


def _flat(a: np.ndarray, kind: str) -> np.ndarray:
    return a.reshape(-1)


LAYOUTS: dict[str, Callable[[np.ndarray, str], np.ndarray]] = {
    "same": _same,
    "dense": _dense,
    "dense_conv": _dense_conv,
    "conv": _conv,
    "conv_transpose": _conv_transpose,
    "depthwise": _depthwise,
    "rnn_kernel": _rnn_kernel,
    "rnn_bias": _rnn_bias,
    "gru_bias": _gru_bias,
    "mha_in": _mha_in,
    "mha_out": _mha_out,
    "flat": _flat,
}


def to_torch(layout: str, array: np.ndarray, kind: str) -> np.ndarray:
    """``array`` (Keras layout, a variable of a ``kind`` layer) in the torch layout ``layout``
    names, as a new C-ordered array."""
    return np.ascontiguousarray(LAYOUTS[layout](array, kind))


def flatten_rows_hwc_to_chw(weight: np.ndarray, spatial: tuple[int, ...]) -> np.ndarray:
    """A torch Linear weight (out, H·W·C) whose inputs come from a Keras Flatten of (H, W, C),
    with its columns moved to the order torch's flatten of (C, H, W) produces."""
    channels = weight.shape[1] // int(np.prod(spatial))
    out = weight.shape[0]
    grid = weight.reshape(out, *spatial, channels)
    return np.ascontiguousarray(np.moveaxis(grid, -1, 1).reshape(out, -1))
