"""Keras Dense weights copied onto the migrated model's Linear layers, so that both sides of an
equivalence test start from the same weights."""

from __future__ import annotations

import torch


def copy_dense_weights(keras_model, torch_model) -> None:  # noqa: ANN001
    linears = [m for m in torch_model.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == len(keras_model.layers)
    with torch.no_grad():
        for layer, linear in zip(keras_model.layers, linears):
            kernel, bias = layer.get_weights()
            linear.weight.copy_(torch.from_numpy(kernel.T.copy()))
            linear.bias.copy_(torch.from_numpy(bias))
