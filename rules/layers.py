"""The layer table: each Keras layer class, the torch module it becomes, and where its weights go.

Read by the code generator (``migrate model``), the source rewrite of models, and the weight
mapper (``migrate weights``), so that a layer learned once works in all three and the weight
mapper knows every module the others emit (DESIGN.md, "Two front ends, one rules library").

A ``Weight`` says where one Keras variable of the layer lands in the torch module and how its
array is rearranged on the way (``layout``). The layouts are named here and implemented, on
NumPy arrays, in ``migrate/weights/layouts.py`` (this package imports neither TF nor torch):

``same``            copied as is (biases, gamma/beta, moving statistics, embeddings)
``dense``           Keras (in, out) → torch (out, in)
``conv``            Keras (*kernel, in, out) → torch (out, in, *kernel)   (HWIO → OIHW)
``conv_transpose``  Keras (*kernel, out, in) → torch (in, out, *kernel)
``depthwise``       Keras (*kernel, in, mult) → torch (in·mult, 1, *kernel)
``rnn_kernel``      Keras (in, gates·units) → torch (gates·units, in), gate blocks reordered
                    from Keras order to torch order (LSTM i,f,c,o → i,f,g,o: unchanged;
                    GRU z,r,h → r,z,n)
``rnn_bias``        as ``rnn_kernel`` for a bias vector
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Weight:
    keras: str  # the variable's name inside the Keras layer: "kernel", "moving_mean"
    torch: str  # the parameter or buffer inside the torch module: "weight", "running_mean"
    layout: str = "same"


@dataclass(frozen=True)
class LayerSpec:
    keras: str  # Keras class name: "Dense"
    torch: str  # qualified torch class: "torch.nn.Linear"
    weights: tuple[Weight, ...] = ()


def _spec(keras: str, torch: str, *weights: Weight) -> LayerSpec:
    return LayerSpec(keras, torch, tuple(weights))


_KERNEL_BIAS = {
    "dense": (Weight("kernel", "weight", "dense"), Weight("bias", "bias")),
    "conv": (Weight("kernel", "weight", "conv"), Weight("bias", "bias")),
    "conv_transpose": (Weight("kernel", "weight", "conv_transpose"), Weight("bias", "bias")),
}
_BATCH_NORM = (
    Weight("gamma", "weight"),
    Weight("beta", "bias"),
    Weight("moving_mean", "running_mean"),
    Weight("moving_variance", "running_var"),
)
_NORM = (Weight("gamma", "weight"), Weight("beta", "bias"))

LAYERS: dict[str, LayerSpec] = {
    spec.keras: spec
    for spec in (
        _spec("Dense", "torch.nn.Linear", *_KERNEL_BIAS["dense"]),
        _spec("Conv1D", "torch.nn.Conv1d", *_KERNEL_BIAS["conv"]),
        _spec("Conv2D", "torch.nn.Conv2d", *_KERNEL_BIAS["conv"]),
        _spec("Conv3D", "torch.nn.Conv3d", *_KERNEL_BIAS["conv"]),
        _spec("Conv2DTranspose", "torch.nn.ConvTranspose2d", *_KERNEL_BIAS["conv_transpose"]),
        _spec(
            "DepthwiseConv2D",
            "torch.nn.Conv2d",
            Weight("depthwise_kernel", "weight", "depthwise"),
            Weight("bias", "bias"),
        ),
        _spec("BatchNormalization", "torch.nn.BatchNorm2d", *_BATCH_NORM),
        _spec("LayerNormalization", "torch.nn.LayerNorm", *_NORM),
        _spec("GroupNormalization", "torch.nn.GroupNorm", *_NORM),
        _spec("Embedding", "torch.nn.Embedding", Weight("embeddings", "weight")),
    )
}
