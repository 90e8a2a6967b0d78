"""The weight layouts on NumPy arrays (no TensorFlow, no torch), and the package's light import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from migrate.weights import layouts
from rules.layers import LAYERS


def test_every_layout_the_layer_table_names_is_implemented() -> None:
    named = {w.layout for spec in LAYERS.values() for w in spec.weights}
    assert named <= set(layouts.LAYOUTS), named - set(layouts.LAYOUTS)


def test_flatten_fix_makes_a_chw_flatten_compute_what_the_hwc_flatten_did() -> None:
    rng = np.random.default_rng(0)
    image = rng.normal(size=(2, 3, 4, 5))  # N, H, W, C
    kernel = rng.normal(size=(3 * 4 * 5, 6))  # Keras Dense after Flatten: rows in H, W, C order
    keras_out = image.reshape(2, -1) @ kernel
    weight = layouts.flatten_rows_hwc_to_chw(layouts.to_torch("dense", kernel, "Dense"), (3, 4))
    torch_out = image.transpose(0, 3, 1, 2).reshape(2, -1) @ weight.T  # torch.flatten of NCHW
    np.testing.assert_allclose(keras_out, torch_out, rtol=1e-12, atol=1e-12)  # same sums, other order


def test_gru_gates_move_from_z_r_h_to_r_z_n() -> None:
    units = 2
    kernel = np.concatenate([np.full((3, units), g) for g in (1.0, 2.0, 3.0)], axis=1)  # z, r, h
    assert layouts.to_torch("rnn_kernel", kernel, "GRU")[:, 0].tolist() == [2, 2, 1, 1, 3, 3]
    assert layouts.to_torch("rnn_kernel", kernel, "LSTM")[:, 0].tolist() == [1, 1, 2, 2, 3, 3]  # i,f,c,o kept
    bias = np.stack([np.repeat([1.0, 2.0, 3.0], units), np.repeat([4.0, 5.0, 6.0], units)])
    assert layouts.to_torch("gru_bias", bias, "GRU").tolist() == [[2, 2, 1, 1, 3, 3], [5, 5, 4, 4, 6, 6]]


def test_importing_the_package_loads_no_framework() -> None:
    code = (
        "import sys, migrate.weights, migrate.weights.layouts\n"
        "print(sorted(m for m in ('tensorflow', 'torch', 'keras', 'onnx', 'tf2onnx') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
