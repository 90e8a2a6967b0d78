"""Every row of the layer table: a tiny seeded Keras model → `migrate model` source → weights
copied from ``layer.weights`` with the table's layouts → the same outputs (max |Δ| ≤ 1e-5).

Training-mode outputs are compared too where they are deterministic (BatchNormalization uses
the batch statistics); Dropout-like layers are compared in eval mode only.
"""

from __future__ import annotations

import ast

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytest.importorskip("torch")

from migrate.codegen import CodegenError, generate  # noqa: E402

from .codegen_support import compare, randomize  # noqa: E402

L = keras.layers
TOL = 1e-5


def _seq(shape, *layers, name="m"):
    inp = keras.Input(shape)
    x = inp
    for layer in layers:
        x = layer(x)
    return keras.Model(inp, x, name=name)


def _two(shape, make):
    a, b = keras.Input(shape, name="a"), keras.Input(shape, name="b")
    return keras.Model([a, b], make(a, b), name="merge")


CASES = {
    # name: (builder, train-mode check too)
    "dense": (lambda: _seq((6,), L.Dense(5, activation="relu")), False),
    "dense_on_sequence": (lambda: _seq((4, 6), L.Dense(5, activation="gelu")), False),
    "dense_on_image_is_1x1_conv": (lambda: _seq((5, 5, 3), L.Conv2D(4, 1), L.Dense(6)), False),
    "conv1d_same_stride2": (lambda: _seq((11, 3), L.Conv1D(4, 3, strides=2, padding="same")), False),
    "conv1d_causal_dilated": (lambda: _seq((9, 3), L.Conv1D(4, 3, padding="causal", dilation_rate=2)), False),
    "conv2d_valid": (lambda: _seq((8, 8, 3), L.Conv2D(4, 3, activation="tanh")), False),
    "conv2d_same_stride2": (lambda: _seq((9, 9, 3), L.Conv2D(4, 3, strides=2, padding="same")), False),
    "conv2d_same_stride2_even_input": (lambda: _seq((8, 8, 3), L.Conv2D(4, 3, strides=2, padding="same")), False),
    "conv2d_same_even_kernel": (lambda: _seq((8, 8, 3), L.Conv2D(4, 4, padding="same")), False),
    "conv2d_same_dilated": (lambda: _seq((8, 8, 3), L.Conv2D(4, 3, padding="same", dilation_rate=2)), False),
    "conv2d_groups": (lambda: _seq((6, 6, 4), L.Conv2D(6, 3, groups=2, use_bias=False)), False),
    "conv3d_same": (lambda: _seq((5, 5, 5, 2), L.Conv3D(3, 3, padding="same")), False),
    "conv2d_transpose_valid": (lambda: _seq((5, 5, 3), L.Conv2DTranspose(4, 3, strides=2)), False),
    "conv2d_transpose_same_k3s2": (lambda: _seq((5, 5, 3), L.Conv2DTranspose(4, 3, strides=2, padding="same")), False),
    "conv2d_transpose_same_k4s2": (lambda: _seq((5, 5, 3), L.Conv2DTranspose(4, 4, strides=2, padding="same")), False),
    "conv2d_transpose_same_k1s2": (lambda: _seq((5, 5, 3), L.Conv2DTranspose(4, 1, strides=2, padding="same")), False),
    "depthwise_same_stride2": (
        lambda: _seq((9, 9, 3), L.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2)), False),
    "separable_same": (lambda: _seq((8, 8, 3), L.SeparableConv2D(5, 3, padding="same", depth_multiplier=2)), False),
    "batch_norm_image": (lambda: _seq((6, 6, 3), L.BatchNormalization()), True),
    "batch_norm_features": (lambda: _seq((7,), L.BatchNormalization(momentum=0.9, epsilon=1e-2)), True),
    "batch_norm_after_conv1d": (lambda: _seq((9, 3), L.Conv1D(4, 3), L.BatchNormalization()), True),
    "layer_norm_features": (lambda: _seq((7,), L.LayerNormalization()), True),
    "layer_norm_sequence": (lambda: _seq((4, 6), L.LayerNormalization()), True),
    "layer_norm_image_channels": (lambda: _seq((5, 5, 6), L.LayerNormalization(epsilon=1e-6)), True),
    "group_norm": (lambda: _seq((5, 5, 6), L.GroupNormalization(groups=3)), True),
    "dropout": (lambda: _seq((6,), L.Dense(4), L.Dropout(0.5)), False),
    "dropout_noise_shape": (lambda: _seq((4, 4, 3), L.Dropout(0.3, noise_shape=(None, 1, 1, 1))), False),
    "spatial_dropout": (lambda: _seq((4, 4, 3), L.SpatialDropout2D(0.3)), False),
    "flatten_after_conv": (lambda: _seq((6, 6, 3), L.Conv2D(4, 3), L.Flatten(), L.Dropout(0.1), L.Dense(5)), False),
    "flatten_before_non_dense": (lambda: _seq((3, 3, 2), L.Flatten(), L.Reshape((2, 9))), False),
    "reshape_to_1x1xc": (lambda: _seq((6,), L.Reshape((1, 1, 6)), L.Conv2D(3, 1)), False),
    "reshape_to_image": (lambda: _seq((12,), L.Reshape((2, 2, 3)), L.Conv2D(2, 1)), False),
    "permute_sequence": (lambda: _seq((4, 6), L.Permute((2, 1)), L.Dense(3)), False),
    "max_pool_valid": (lambda: _seq((8, 8, 3), L.MaxPooling2D(3, 2)), False),
    "max_pool_same": (lambda: _seq((8, 8, 3), L.MaxPooling2D(3, 2, padding="same")), False),
    "avg_pool_same": (lambda: _seq((8, 8, 3), L.AveragePooling2D(3, 2, padding="same")), False),
    "avg_pool_same_odd": (lambda: _seq((7, 7, 3), L.AveragePooling2D(2, 2, padding="same")), False),
    "max_pool_same_stride1_odd": (lambda: _seq((5, 6, 2), L.MaxPooling2D(2, 1, padding="same")), False),
    "avg_pool_same_stride3_uneven": (lambda: _seq((10, 7, 2), L.AveragePooling2D((2, 3), 3, padding="same")), False),
    "avg_pool_same_stride3": (lambda: _seq((10, 7, 2), L.AveragePooling2D(3, 3, padding="same")), False),
    "pool_1d": (lambda: _seq((9, 3), L.MaxPooling1D(2), L.AveragePooling1D(2, padding="same")), False),
    "pool_3d": (lambda: _seq((4, 4, 4, 2), L.MaxPooling3D(2), L.AveragePooling3D(1)), False),
    "global_pools": (lambda: _seq((5, 5, 3), L.GlobalMaxPooling2D(keepdims=True), L.GlobalAveragePooling2D()), False),
    "global_pool_1d": (lambda: _seq((5, 3), L.GlobalAveragePooling1D()), False),
    "zero_padding_2d": (lambda: _seq((4, 4, 3), L.ZeroPadding2D(((1, 2), (3, 0)))), False),
    "zero_padding_1d_sequence": (lambda: _seq((4, 3), L.ZeroPadding1D((1, 2))), False),
    "cropping_2d": (lambda: _seq((6, 6, 3), L.Cropping2D(((1, 2), (0, 1)))), False),
    "cropping_1d": (lambda: _seq((6, 3), L.Cropping1D((1, 2))), False),
    "upsampling_2d_nearest": (lambda: _seq((3, 3, 2), L.UpSampling2D((2, 3))), False),
    "upsampling_2d_bilinear": (lambda: _seq((3, 3, 2), L.UpSampling2D(2, interpolation="bilinear")), False),
    "upsampling_1d": (lambda: _seq((3, 2), L.Conv1D(2, 1), L.UpSampling1D(2)), False),
    "embedding": (lambda: _seq((5,), L.Embedding(11, 4)), False),
    "simple_rnn": (lambda: _seq((5, 4), L.SimpleRNN(3, return_sequences=True)), True),
    "lstm_last": (lambda: _seq((5, 4), L.LSTM(3)), True),
    "lstm_sequences_backwards": (lambda: _seq((5, 4), L.LSTM(3, return_sequences=True, go_backwards=True)), True),
    "lstm_state": (lambda: keras.Model(*(lambda i: (i, L.LSTM(3, return_state=True)(i)))(keras.Input((5, 4)))), True),
    "gru": (lambda: _seq((5, 4), L.GRU(3, return_sequences=True)), True),
    "bidirectional_concat": (lambda: _seq((5, 4), L.Bidirectional(L.LSTM(3, return_sequences=True))), True),
    "bidirectional_sum_last": (lambda: _seq((5, 4), L.Bidirectional(L.GRU(3), merge_mode="sum")), True),
    "multi_head_attention": (
        lambda: keras.Model(*(lambda i: (i, L.MultiHeadAttention(2, 4)(i, i)))(keras.Input((5, 6)))), False),
    "multi_head_attention_causal": (
        lambda: keras.Model(*(lambda i: (i, L.MultiHeadAttention(2, 3)(i, i, use_causal_mask=True)))(
            keras.Input((5, 6)))), False),
    "multi_head_attention_cross": (
        lambda: keras.Model(*(lambda q, v: ([q, v], L.MultiHeadAttention(3, 2, value_dim=5)(q, v)))(
            keras.Input((4, 6)), keras.Input((7, 8)))), False),
    "activations": (lambda: _seq((6,), *[L.Activation(a) for a in (
        "relu", "sigmoid", "tanh", "gelu", "silu", "elu", "selu", "softplus", "softsign", "hard_sigmoid",
        "hard_silu", "leaky_relu", "relu6", "mish", "linear", "log_softmax", "softmax")]), True),
    "relu_variants": (lambda: keras.Model(*(lambda i: (i, [
        L.ReLU()(i), L.ReLU(max_value=6.0)(i), L.ReLU(negative_slope=0.1)(i),
        L.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5)(i), L.LeakyReLU()(i), L.ELU(0.5)(i)]))(
            keras.Input((6,)))), True),
    "softmax_image_channels": (lambda: _seq((3, 3, 4), L.Softmax()), False),
    "softmax_image_height": (lambda: _seq((3, 3, 4), L.Softmax(axis=1)), False),
    "merges": (lambda: _two((3, 3, 2), lambda a, b: [
        L.Add()([a, b]), L.Subtract()([a, b]), L.Multiply()([a, b]), L.Average()([a, b]),
        L.Maximum()([a, b]), L.Minimum()([a, b]), L.Concatenate()([a, b]), L.Concatenate(axis=1)([a, b])]), False),
    "rescaling": (lambda: _seq((4, 4, 3), L.Rescaling(1 / 255.0, offset=-0.5)), False),
    "normalization_adapted": (lambda: _seq((4, 4, 3), L.Normalization()), False),
    "normalization_given": (lambda: _seq((4, 4, 3), L.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 5.0, 6.0])), False),
    "nested_and_shared": (lambda: _nested(), True),
    "sequential_built_by_shape": (lambda: _built_sequential(), False),
    "awkward_layer_names": (lambda: _seq((3,), L.Dense(4, name="forward"), L.Dense(4, name="train"),
                                         L.Dense(2, name="1st-layer.out"), L.Dense(2, name="lambda")), True),
}


def _built_sequential():
    model = keras.Sequential([L.Dense(4, activation="relu"), L.Dense(2)], name="seq")
    model.build((None, 3))
    return model


def _nested():
    inner = _seq((6, 6, 3), L.Conv2D(4, 3, padding="same"), L.BatchNormalization(), name="inner")
    a, b = keras.Input((6, 6, 3), name="left"), keras.Input((6, 6, 3), name="right")
    shared = L.Conv2D(3, 1, name="shared")
    x = L.Add()([inner(shared(a)), inner(shared(b))])
    pooled = L.GlobalAveragePooling2D()(x)
    return keras.Model([a, b], [x, L.Dense(2, name="head")(pooled)], name="outer")


def _inputs(model, rng):
    arrays = []
    for tensor in model.inputs:
        shape = (2,) + tuple(tensor.shape[1:])
        if "int" in str(tensor.dtype) or any(type(n.operation).__name__ == "Embedding" for n in _users(model, tensor)):
            arrays.append(rng.integers(0, 10, shape).astype("int64"))
        else:
            arrays.append(rng.normal(size=shape).astype("float32"))
    return arrays


def _users(model, tensor):
    return [layer for layer in model.layers if any(
        any(t is tensor for t in node.input_tensors) for node in layer._inbound_nodes)] and [
        node for layer in model.layers for node in layer._inbound_nodes
        if any(t is tensor for t in node.input_tensors)]


@pytest.mark.parametrize("name", list(CASES))
def test_layer_row_matches_keras(name):
    build, train = CASES[name]
    keras.utils.set_random_seed(0)
    model = build()
    randomize(model)
    generated = generate(model)
    ast.parse(generated.source)
    inputs = _inputs(model, np.random.default_rng(1))
    assert compare(model, generated, inputs) <= TOL
    if train:
        assert compare(model, generated, inputs, training=True) <= TOL


def test_every_table_row_has_a_case():
    from migrate.rules.layers import LAYERS

    covered = {type(layer).__name__ for build, _ in CASES.values() for layer in _walk(build())}
    covered |= {"InputLayer", "LayerScale", "StochasticDepth"}  # LayerScale: ConvNeXt test; StochasticDepth below
    untested = sorted(set(LAYERS) - covered - {"Conv1DTranspose", "Conv3DTranspose", "SpatialDropout1D",
                                                "SpatialDropout3D", "Identity", "GlobalMaxPooling1D",
                                                "GlobalMaxPooling3D", "GlobalAveragePooling3D",
                                                "ZeroPadding3D", "Cropping3D", "UpSampling3D"})
    assert not untested, f"layer table rows without a numeric case: {untested}"


def _walk(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _walk(layer)
        for attr in ("forward_layer", "backward_layer"):
            if hasattr(layer, attr):
                yield getattr(layer, attr)


def test_stochastic_depth_is_identity_in_eval_and_drops_samples_in_training():
    from keras.src.applications.convnext import StochasticDepth

    keras.utils.set_random_seed(0)
    model = _seq((4, 4, 3), L.Conv2D(3, 1), StochasticDepth(0.5, name="drop"))
    randomize(model)
    generated = generate(model)
    inputs = _inputs(model, np.random.default_rng(1))
    assert compare(model, generated, inputs) <= TOL
    assert "StochasticDepth(0.5)" in generated.source


def test_unmapped_layer_is_an_error_naming_it_or_a_todo_stub():
    keras.utils.set_random_seed(0)
    model = _seq((4,), L.Dense(3), L.Lambda(lambda t: t * 2, name="double"))
    with pytest.raises(CodegenError, match="double .Lambda."):
        generate(model)
    generated = generate(model, allow_todo=True)
    assert generated.todos == ["double (Lambda)"]
    assert "TODO(model.unmapped) double (Lambda)" in generated.source
    ast.parse(generated.source)


def test_fresh_module_starts_from_keras_initial_distributions():
    """Keras initializers are written out: glorot/he/lecun scales, uniform embeddings, the
    LSTM's unit forget bias, zero biases — compared by standard deviation (10 %)."""
    import torch
    from .codegen_support import load_module

    keras.utils.set_random_seed(0)
    inp = keras.Input((16, 16, 32))
    x = L.Conv2D(64, 3, kernel_initializer="he_normal", name="c")(inp)
    x = L.DepthwiseConv2D(5, name="dw")(x)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dense(300, kernel_initializer="lecun_uniform", name="d")(x)
    model = keras.Model(inp, x, name="init_check")
    seq = _seq((7,), L.Embedding(1000, 64, name="emb"), L.LSTM(32, name="lstm"), name="init_seq")
    for keras_model in (model, seq):
        generated = generate(keras_model)
        torch.manual_seed(0)
        module = load_module(generated.source, generated.class_name)()
        for slot in generated.slots:
            variable = keras_model.get_layer(slot.layer_path[-1]).weights[slot.index]
            keras_std = float(np.std(variable.numpy()))
            key = slot.torch.split("+")[0]
            torch_value = module.state_dict()[key].numpy()
            if keras_std == 0.0:
                assert np.all(torch_value == variable.numpy().reshape(-1)[0]) or slot.keras == "bias", key
                continue
            assert abs(float(np.std(torch_value)) - keras_std) <= 0.1 * keras_std, (key, np.std(torch_value), keras_std)
    lstm = load_module(generate(seq).source, "InitSeq")()
    assert torch.all(lstm.lstm.bias_ih_l0[32:64] == 1) and torch.all(lstm.lstm.bias_ih_l0[:32] == 0)
    assert torch.all(lstm.lstm.bias_hh_l0 == 0)
