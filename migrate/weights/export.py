"""Keras → ONNX with tf2onnx, keeping BatchNormalization whole and recording name scopes.

Two things the default export loses, and how this module keeps them (shared/STACK.md):

- BatchNormalization: Keras 3 computes it with plain TF math, which tf2onnx folds into the
  previous Conv or into one Mul and one Add, and gamma/beta/mean/variance cannot be recovered
  from those. ``unfused_batch_norm`` routes rank-4 channels-last BN through
  ``fused_batch_norm`` (exported as one ONNX BatchNormalization) and switches off tf2onnx's
  Conv+BN folding; both are restored afterwards.
- Grouped convolutions and exact GELU: ``graph_grouped_conv``, ``erf_gelu``.
- Which layer made which node: TF makes name scopes unique with ``_N`` suffixes that do not
  follow the layer names (a layer ``dense`` can get scope ``dense_2`` while ``dense_1`` gets
  ``dense_1_1``). ``recorded_scopes`` notes, while the model is traced, the scope each layer
  call really got, so ONNX node names are joined to layers exactly.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .errors import WeightsError
from .keras_model import input_specs, quiet_tensorflow

OPSET = 17


@contextlib.contextmanager
def unfused_batch_norm() -> Iterator[None]:
    import tensorflow as tf
    from keras.src.backend.tensorflow import nn as keras_tf_nn
    from tf2onnx.optimizer import back_to_back_optimizer

    plain = keras_tf_nn.batch_normalization

    def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):  # noqa: ANN001, ANN202
        rank = len(x.shape)
        last = axis in (-1, rank - 1)
        if 2 <= rank <= 4 and last and offset is not None and scale is not None and x.dtype == tf.float32:
            # fused_batch_norm takes 4-D input only: (N, C) and (N, L, C) pass as (N, 1, ·, C)
            shape = tf.shape(x)
            four = x if rank == 4 else tf.reshape(x, [shape[0], 1, -1, x.shape[-1]])
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(
                four, scale, offset, mean=mean, variance=variance, epsilon=epsilon,
                is_training=False, data_format="NHWC",
            )
            return y if rank == 4 else tf.reshape(y, shape)
        return plain(x, mean, variance, axis, offset=offset, scale=scale, epsilon=epsilon)

    folds = back_to_back_optimizer._func_map
    key = ("Conv", "BatchNormalization")
    fold = folds.pop(key, None)
    keras_tf_nn.batch_normalization = batch_normalization
    try:
        yield
    finally:
        keras_tf_nn.batch_normalization = plain
        if fold is not None:
            folds[key] = fold


@contextlib.contextmanager
def graph_grouped_conv() -> Iterator[None]:
    """Keras runs a grouped convolution (ConvNeXt's depthwise ``Conv2D(groups=C)``) as an XLA
    function call, because TF's CPU kernel lacks it; tf2onnx cannot look inside that call and
    leaves a ``StatefulPartitionedCall`` in the ONNX graph. The export only traces, so the plain
    ``tf.nn.convolution`` is used here, which tf2onnx turns into an ONNX Conv with ``group``."""
    import tensorflow as tf
    from keras.src.backend.tensorflow import nn as keras_tf_nn

    plain = keras_tf_nn.conv

    def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):  # noqa: ANN001, ANN202
        tf_format = keras_tf_nn._convert_data_format(data_format, len(inputs.shape))
        return tf.nn.convolution(inputs, kernel, strides, padding.upper(), data_format=tf_format, dilations=dilation_rate)

    keras_tf_nn.conv = conv
    try:
        yield
    finally:
        keras_tf_nn.conv = plain


@contextlib.contextmanager
def erf_gelu() -> Iterator[None]:
    """TF's exact GELU is ``0.5·x·erfc(−x/√2)`` and tf2onnx has no Erfc; ONNX has Erf, so the
    export writes the same function as ``0.5·x·(1 + erf(x/√2))`` (ConvNeXt's GELU). Only the
    ONNX graph's arithmetic changes (by rounding), never a weight."""
    import tensorflow as tf
    from keras.src.backend.tensorflow import nn as keras_tf_nn

    plain = keras_tf_nn.gelu

    def gelu(x, approximate=True):  # noqa: ANN001, ANN202
        if approximate:
            return plain(x, approximate=True)
        x = tf.convert_to_tensor(x)
        return 0.5 * x * (1.0 + tf.math.erf(x * 0.7071067811865476))

    keras_tf_nn.gelu = gelu
    try:
        yield
    finally:
        keras_tf_nn.gelu = plain


@contextlib.contextmanager
def normalization_variables(model: Any) -> Iterator[None]:
    """An adapted Normalization computes with constant tensors ``finalize_state`` copied from
    its variables, which TF folds with its neighbours (``1/√variance`` times the next layer's
    scale): the statistics cannot be read back. For the export it reads its variables
    instead, so the mean is the Sub's input and the variance the divisor's (under √)."""
    saved = []
    for layer in model._flatten_layers():  # noqa: SLF001
        if type(layer).__name__ == "Normalization" and layer.input_mean is None and layer.built and not layer.invert:
            saved.append((layer, layer.mean, layer.variance))
            # object.__setattr__: Keras would track the variables a second time
            object.__setattr__(layer, "mean", layer.adapt_mean)
            object.__setattr__(layer, "variance", layer.adapt_variance)
    try:
        yield
    finally:
        for layer, mean, variance in saved:
            object.__setattr__(layer, "mean", mean)
            object.__setattr__(layer, "variance", variance)


@contextlib.contextmanager
def recorded_scopes() -> Iterator[dict[str, list[Any]]]:
    """Yields {TF name scope: [layers whose call opened it]}, filled while the model is traced."""
    import tensorflow as tf
    from keras.src.backend.tensorflow import core

    scopes: dict[str, list[Any]] = {}
    enter = core.name_scope.__enter__

    def recording_enter(self):  # noqa: ANN001, ANN202
        result = enter(self)
        if getattr(self, "_pop_on_exit", False) and self.caller is not None:
            scope = tf.compat.v1.get_default_graph().get_name_scope()
            callers = scopes.setdefault(scope, [])
            if not any(c is self.caller for c in callers):
                callers.append(self.caller)
        return result

    core.name_scope.__enter__ = recording_enter
    try:
        yield scopes
    finally:
        core.name_scope.__enter__ = enter


def to_onnx(model: Any) -> tuple[Any, dict[str, list[Any]]]:
    """(onnx.ModelProto, the scope map of ``recorded_scopes``) for a Keras model, inference mode."""
    quiet_tensorflow()
    import tensorflow as tf
    import tf2onnx

    specs = [tf.TensorSpec(shape, dtype, name=name) for name, shape, dtype in input_specs(model)]
    several = len(specs) > 1

    def call(*inputs):  # noqa: ANN002, ANN202
        return model(list(inputs) if several else inputs[0], training=False)

    with unfused_batch_norm(), graph_grouped_conv(), erf_gelu(), normalization_variables(model), recorded_scopes() as scopes:
        try:
            proto, _ = tf2onnx.convert.from_function(tf.function(call), input_signature=specs, opset=OPSET)
        except Exception as error:  # noqa: BLE001 - tf2onnx raises anything; report it on one line
            text = " ".join(str(error).split())[:200]
            raise WeightsError(f"model {model.name!r}: tf2onnx cannot export it: {text}") from None
    _check_converted(proto, model)
    return proto, scopes


def _check_converted(proto: Any, model: Any) -> None:
    """Refuse an export in which tf2onnx left a TensorFlow op (it does so without an error)."""
    from onnx import defs

    for node in proto.graph.node:
        if node.domain in ("", "ai.onnx") and not defs.has(node.op_type):
            raise WeightsError(
                f"model {model.name!r}: tf2onnx left the TensorFlow op {node.op_type} ({node.name}) "
                "unconverted, so the ONNX graph is not valid"
            )
