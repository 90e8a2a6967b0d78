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

Layouts the code generator adds for the modules it emits (``migrate/codegen/``):

``dense_conv``      a Dense applied to a channels-first image tensor becomes a 1×1 conv:
                    Keras (in, out) → torch (out, in, 1, …, 1)
``gru_bias``        Keras GRU bias (2, 3·units), ``reset_after=True``: row 0 → ``bias_ih``,
                    row 1 → ``bias_hh``, each with gate blocks z,r,h → r,z,n
``mha_in``          MultiHeadAttention query/key/value kernel (dim, heads, key_dim) →
                    torch Linear weight (heads·key_dim, dim)
``mha_out``         attention_output kernel (heads, key_dim, dim) → (dim, heads·key_dim)
``flat``            any array → flattened to 1-D (MultiHeadAttention biases (heads, key_dim))

The constructor side (``args``) maps a Keras layer's ``get_config()`` and its input shape (Keras
order, channels last, batch dimension first) to the torch constructor's keyword arguments, with
every Keras default that differs from torch's written out (DESIGN decision 4, SEMANTICS.md).
``inits`` names, per torch parameter, the Keras config key of its initializer and torch's own
default for it (``None``: torch's default differs from every Keras initializer, so always write
one); ``initializer_call`` turns a Keras initializer into an ``nn.init`` call.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Shape = Sequence[int | None]
Args = Callable[[Mapping[str, Any], Shape], dict[str, Any]]


@dataclass(frozen=True)
class Weight:
    keras: str  # the variable's name inside the Keras layer: "kernel", "moving_mean"
    torch: str  # the parameter or buffer inside the torch module: "weight", "running_mean"
    layout: str = "same"


@dataclass(frozen=True)
class LayerSpec:
    keras: str  # Keras class name: "Dense"
    torch: str  # qualified torch class: "torch.nn.Linear"; "" when forward writes a function call
    weights: tuple[Weight, ...] = ()
    # (config, input shape) → torch constructor keyword arguments, Keras defaults written out.
    args: Args | None = None
    positional: int = 0  # how many leading ``args`` entries read best as positional (sizes)
    # (Keras initializer config key, torch parameter, torch's default: "ones"/"zeros"/None)
    inits: tuple[tuple[str, str, str | None], ...] = ()
    # Per-rank torch classes where the rank picks the module (BatchNorm1d/2d/3d, MaxPool1d…):
    # the input rank (batch included) → qualified class.
    by_rank: Mapping[int, str] = field(default_factory=dict)
    # Keras variables the torch module has no use for, by design (Normalization's ``count``,
    # read by ``adapt`` only): not looked for, not placed.
    dropped: tuple[str, ...] = ()


def module_attr(keras_name: str) -> str:
    """The torch attribute for a Keras layer name (DESIGN decision 1): a valid identifier.

    Characters that cannot appear in an identifier become ``_``; a leading digit gets a ``_``
    prefix; a Python keyword or an ``nn.Module`` member gets a ``_`` suffix (``lambda`` →
    ``lambda_``, ``forward`` → ``forward_``).
    """
    name = re.sub(r"\W", "_", keras_name, flags=re.ASCII) or "_"
    if name[0].isdigit():
        name = "_" + name
    if keyword.iskeyword(name) or name in _MODULE_MEMBERS:
        name += "_"
    return name


# nn.Module's own public members (torch 2.13) and the generated class's method: a layer named
# "forward" or "train" must not shadow them (``self.forward = nn.Linear(…)`` breaks the module).
_MODULE_MEMBERS = frozenset(
    "T_destination add_module apply bfloat16 buffers call_super_init children compile cpu cuda double "
    "dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter get_submodule "
    "half ipu load_state_dict modules mtia named_buffers named_children named_modules named_parameters "
    "parameters register_backward_hook register_buffer register_forward_hook register_forward_pre_hook "
    "register_full_backward_hook register_full_backward_pre_hook register_load_state_dict_post_hook "
    "register_load_state_dict_pre_hook register_module register_parameter register_state_dict_post_hook "
    "register_state_dict_pre_hook requires_grad_ set_extra_state set_submodule share_memory state_dict to "
    "to_empty train training type xpu zero_grad reset_parameters".split()
)


def variable_name(layer_name: str, path: str, name: str) -> str:
    """A Keras variable's name in the layer table, from its layer's name, its ``path`` and
    ``name``: the path inside the layer ("kernel", "query/kernel"), an RNN cell's level dropped
    ("lstm_cell/kernel" → "kernel"), and an unnamed variable ("variable_3": Keras numbers them
    across layers) as "variable". Shared by `migrate weights` and `migrate model`."""
    prefix = layer_name + "/"
    index = path.rfind(prefix)
    rest = path[index + len(prefix):] if index >= 0 else name
    rest = re.sub(r"^variable_\d+$", "variable", rest)
    parts = rest.split("/")
    if len(parts) == 2 and parts[0].endswith("_cell"):
        return parts[1]
    return rest


# ---------------------------------------------------------------------------------------
# Shapes and padding (pure arithmetic; the code generator calls these with static sizes).


def _tuple(value: Any, n: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * n
    return tuple(int(v) for v in value)


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TF's ``padding="same"``: output ceil(size/stride), the odd pixel goes after (bottom/right)."""
    effective = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def conv_pads(config: Mapping[str, Any], shape: Shape) -> list[tuple[int, int]] | None:
    """(before, after) per spatial dimension of a conv or pool with ``padding="same"``
    (or a Conv1D's ``"causal"``).

    None when padding is "valid"; raises ValueError when a "same" size is unknown statically
    and would need it (stride > 1 or an even kernel).
    """
    padding = config.get("padding")
    if padding not in ("same", "causal"):
        return None
    spatial = list(shape[1:-1])
    n = len(spatial)
    kernel = _tuple(config.get("kernel_size", config.get("pool_size")), n)
    strides = _tuple(config.get("strides") or kernel, n)
    dilation = _tuple(config.get("dilation_rate", 1), n)
    if padding == "causal":  # Conv1D: all the padding before, so no step sees the future
        return [((k - 1) * d, 0) for k, d in zip(kernel, dilation)]
    pads = []
    for size, k, s, d in zip(spatial, kernel, strides, dilation):
        if size is None:
            if s != 1 or ((k - 1) * d) % 2:
                raise ValueError("padding='same' with a stride or an even kernel needs a known input size")
            pads.append(((k - 1) * d // 2,) * 2)
        else:
            pads.append(same_padding(size, k, s, d))
    return pads


def symmetric(pads: list[tuple[int, int]] | None) -> bool:
    return pads is None or all(a == b for a, b in pads)


def _conv_padding(config: Mapping[str, Any], shape: Shape) -> int | tuple[int, ...]:
    pads = conv_pads(config, shape)
    if pads is None or not symmetric(pads):
        return 0  # asymmetric "same": the code generator writes an explicit F.pad before the conv
    before = tuple(a for a, _ in pads)
    return before[0] if len(set(before)) == 1 else before


def _scalar(value: tuple[int, ...]) -> int | tuple[int, ...]:
    return value[0] if len(set(value)) == 1 else value


def _conv_args(config: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    n = len(shape) - 2
    return {
        "in_channels": shape[-1],
        "out_channels": config["filters"],
        "kernel_size": _scalar(_tuple(config["kernel_size"], n)),
        "stride": _scalar(_tuple(config["strides"], n)),
        "padding": _conv_padding(config, shape),
        "dilation": _scalar(_tuple(config.get("dilation_rate", 1), n)),
        "groups": config.get("groups", 1),
        "bias": config["use_bias"],
    }


def _depthwise_args(config: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    n = len(shape) - 2
    return {
        "in_channels": shape[-1],
        "out_channels": shape[-1] * config["depth_multiplier"],
        "kernel_size": _scalar(_tuple(config["kernel_size"], n)),
        "stride": _scalar(_tuple(config["strides"], n)),
        "padding": _conv_padding(config, shape),
        "dilation": _scalar(_tuple(config.get("dilation_rate", 1), n)),
        "groups": shape[-1],
        "bias": config["use_bias"],
    }


def _conv_transpose_args(config: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    n = len(shape) - 2
    return {
        "in_channels": shape[-1],
        "out_channels": config["filters"],
        "kernel_size": _scalar(_tuple(config["kernel_size"], n)),
        "stride": _scalar(_tuple(config["strides"], n)),
        "dilation": _scalar(_tuple(config.get("dilation_rate", 1), n)),
        "bias": config["use_bias"],
    }


def transpose_crops(config: Mapping[str, Any], shape: Shape, out_shape: Shape) -> list[tuple[int, int]]:
    """(crop before, crop after) per spatial dim of a transposed conv's full output.

    A negative "after" means the output is longer than the full output (Keras "same" with
    kernel < stride): torch's ``output_padding``.
    """
    n = len(shape) - 2
    kernel = _tuple(config["kernel_size"], n)
    strides = _tuple(config["strides"], n)
    dilation = _tuple(config.get("dilation_rate", 1), n)
    crops = []
    for size, out, k, s, d in zip(shape[1:-1], out_shape[1:-1], kernel, strides, dilation):
        full = (size - 1) * s + (k - 1) * d + 1
        total = full - out
        before = max(total, 0) // 2
        crops.append((before, total - before))
    return crops


def _dense_args(config: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    return {"in_features": shape[-1], "out_features": config["units"], "bias": config["use_bias"]}


def _axis(config: Mapping[str, Any], shape: Shape) -> int:
    axis = config.get("axis", -1)
    if isinstance(axis, (list, tuple)):
        (axis,) = axis
    return axis % len(shape)


def _batch_norm_args(config: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    if config.get("center", True) != config.get("scale", True):
        raise ValueError("center and scale differ: torch's affine switches both")
    if config.get("renorm") or config.get("synchronized"):
        raise ValueError("renorm / synchronized batch norm has no torch equivalent here")
    return {
        "num_features": shape[_axis(config, shape)],
        "eps": config["epsilon"],
        # Keras keeps `momentum` of the old statistic, torch takes `momentum` of the new one.
        "momentum": round(1.0 - config["momentum"], 12),
        "affine": config.get("scale", True),
    }


def _layer_norm_args(config: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    if config.get("rms_scaling"):
        raise ValueError("rms_scaling=True: use torch.nn.RMSNorm by hand")
    axes = config.get("axis", -1)
    axes = sorted(a % len(shape) for a in (axes if isinstance(axes, (list, tuple)) else [axes]))
    normalized = [shape[a] for a in axes]
    return {
        "normalized_shape": normalized[0] if len(normalized) == 1 else normalized,
        "eps": config["epsilon"],
        "elementwise_affine": config.get("scale", True),
        "bias": config.get("center", True),
    }


def _group_norm_args(config: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    if config.get("center", True) != config.get("scale", True):
        raise ValueError("center and scale differ: torch's affine switches both")
    return {
        "num_groups": config["groups"],
        "num_channels": shape[_axis(config, shape)],
        "eps": config["epsilon"],
        "affine": config.get("scale", True),
    }


def _dropout_args(config: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    return {"p": config["rate"]}


def pool_geometry(config: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    """Kernel, stride, symmetric padding and ceil_mode reproducing a Keras pool.

    TF's "same" puts the odd cell after; torch pads symmetrically, and ``ceil_mode=True`` adds
    the one trailing partial window — for average pools with ``count_include_pad=False`` it
    averages only real cells, as TF does.
    """
    n = len(shape) - 2
    kernel = _tuple(config["pool_size"], n)
    strides = _tuple(config.get("strides") or kernel, n)
    pads = conv_pads({**config, "strides": strides}, shape)
    padding = tuple(a for a, _ in pads) if pads else (0,) * n
    ceil = bool(pads) and not symmetric(pads)
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise ValueError("padding='same' needs more padding than torch pools allow")
    out = {"kernel_size": _scalar(kernel), "stride": _scalar(strides), "padding": _scalar(padding)}
    if ceil:
        out["ceil_mode"] = True
    return out


def _max_pool_args(config: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    return pool_geometry(config, shape)


def _avg_pool_args(config: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    out = pool_geometry(config, shape)
    if config.get("padding") == "same":
        out["count_include_pad"] = False  # TF averages over real cells only
    return out


def _upsampling_args(config: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    n = len(shape) - 2
    factors = _tuple(config["size"] if "size" in config else config["length"], n)
    mode = config.get("interpolation", "nearest")
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"interpolation={mode!r} is not mapped")
    out: dict[str, Any] = {"scale_factor": _scalar(tuple(float(f) for f in factors)), "mode": mode}
    if mode == "bilinear":
        out["align_corners"] = False  # tf.image.resize uses half-pixel centres
    return out


def _embedding_args(config: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    return {"num_embeddings": config["input_dim"], "embedding_dim": config["output_dim"]}


def _rnn_args(config: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    return {"input_size": shape[-1], "hidden_size": config["units"], "batch_first": True}


def _simple_rnn_args(config: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    activation = config.get("activation", "tanh")
    if activation not in ("tanh", "relu"):
        raise ValueError(f"activation={activation!r}: nn.RNN has tanh and relu only")
    return {**_rnn_args(config, shape), "nonlinearity": activation, "bias": config.get("use_bias", True)}


def _gated_args(config: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    if config.get("activation", "tanh") != "tanh" or config.get("recurrent_activation", "sigmoid") != "sigmoid":
        raise ValueError("only activation='tanh', recurrent_activation='sigmoid' match torch's cells")
    if config.get("reset_after") is False:
        raise ValueError("GRU(reset_after=False) has no nn.GRU equivalent")
    if config.get("recurrent_dropout"):
        raise ValueError("recurrent_dropout has no nn.LSTM/nn.GRU equivalent")
    return {**_rnn_args(config, shape), "bias": config.get("use_bias", True)}


# ---------------------------------------------------------------------------------------
# Initializers: a Keras initializer config → an nn.init call on a torch parameter.

TORCH_DEFAULT_INIT = {"ones": "Ones", "zeros": "Zeros"}


def keras_fans(shape: Sequence[int]) -> tuple[int, int]:
    """Keras's fan_in / fan_out of a Keras-layout variable (keras.src.initializers)."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _number(value: float) -> str:
    return repr(float(f"{value:.9g}"))


def initializer_call(init: Any, param: str, keras_shape: Sequence[int]) -> str | None:
    """``nn.init`` source for Keras initializer ``init`` (name or config) on ``param``.

    ``keras_shape`` is the variable's shape in Keras layout (fans are computed from it, as
    Keras does, so a depthwise kernel gets Keras's fans, not torch's). None: not mapped.
    """
    if isinstance(init, str):
        name, cfg = init, {}
    elif isinstance(init, Mapping):
        name, cfg = init.get("class_name", ""), init.get("config", {}) or {}
    else:
        return None
    key = re.sub(r"[_\s]", "", name).lower()
    # Keras's short aliases (keras.initializers.get): "uniform" is RandomUniform(-0.05, 0.05).
    key = {"uniform": "randomuniform", "normal": "randomnormal", "one": "ones", "zero": "zeros"}.get(key, key)
    scales = {
        "glorotuniform": (1.0, "fan_avg", "uniform"),
        "glorotnormal": (1.0, "fan_avg", "truncated_normal"),
        "heuniform": (2.0, "fan_in", "uniform"),
        "henormal": (2.0, "fan_in", "truncated_normal"),
        "lecununiform": (1.0, "fan_in", "uniform"),
        "lecunnormal": (1.0, "fan_in", "truncated_normal"),
    }
    if key in scales:
        scale, mode, distribution = scales[key]
        if key == "glorotuniform":
            return f"nn.init.xavier_uniform_({param})  # glorot_uniform" if len(keras_shape) == 2 else (
                _variance_scaling(scale, mode, distribution, param, keras_shape, "glorot_uniform"))
        return _variance_scaling(scale, mode, distribution, param, keras_shape, name)
    if key == "variancescaling":
        return _variance_scaling(
            cfg.get("scale", 1.0), cfg.get("mode", "fan_in"), cfg.get("distribution", "truncated_normal"),
            param, keras_shape, "VarianceScaling",
        )
    if key == "zeros":
        return f"nn.init.zeros_({param})"
    if key == "ones":
        return f"nn.init.ones_({param})"
    if key == "constant":
        return f"nn.init.constant_({param}, {_number(cfg.get('value', 0.0))})"
    if key == "randomuniform":
        return f"nn.init.uniform_({param}, {_number(cfg.get('minval', -0.05))}, {_number(cfg.get('maxval', 0.05))})"
    if key == "randomnormal":
        return f"nn.init.normal_({param}, {_number(cfg.get('mean', 0.0))}, {_number(cfg.get('stddev', 0.05))})"
    if key == "truncatednormal":
        mean, std = cfg.get("mean", 0.0), cfg.get("stddev", 0.05)
        return (
            f"nn.init.trunc_normal_({param}, {_number(mean)}, {_number(std)}, "
            f"{_number(mean - 2 * std)}, {_number(mean + 2 * std)})"
        )
    if key == "identity" and len(keras_shape) == 2 and cfg.get("gain", 1.0) == 1.0:
        return f"nn.init.eye_({param})"  # Keras's eye(in, out) is torch's eye(out, in) transposed
    if key == "orthogonal":
        return f"nn.init.orthogonal_({param}, gain={_number(cfg.get('gain', 1.0))})"
    return None


def _variance_scaling(
    scale: float, mode: str, distribution: str, param: str, keras_shape: Sequence[int], label: str
) -> str:
    fan_in, fan_out = keras_fans(keras_shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    variance = scale / max(1.0, n)
    if distribution == "uniform":
        limit = math.sqrt(3.0 * variance)
        return f"nn.init.uniform_({param}, -{_number(limit)}, {_number(limit)})  # {label}"
    if distribution == "untruncated_normal":
        return f"nn.init.normal_({param}, 0.0, {_number(math.sqrt(variance))})  # {label}"
    # Keras's truncated normal cuts at two standard deviations of a stretched normal.
    std = math.sqrt(variance) / 0.87962566103423978
    return f"nn.init.trunc_normal_({param}, 0.0, {_number(std)}, -{_number(2 * std)}, {_number(2 * std)})  # {label}"


# ---------------------------------------------------------------------------------------
# The table.


def _spec(keras: str, torch: str, *weights: Weight, **more: Any) -> LayerSpec:
    return LayerSpec(keras, torch, tuple(weights), **more)


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
_KB_INITS = (("kernel_initializer", "weight", None), ("bias_initializer", "bias", None))
_NORM_INITS = (("gamma_initializer", "weight", "ones"), ("beta_initializer", "bias", "zeros"))
_BN_INITS = _NORM_INITS + (
    ("moving_mean_initializer", "running_mean", "zeros"),
    ("moving_variance_initializer", "running_var", "ones"),
)
_RNN_WEIGHTS = (
    Weight("kernel", "weight_ih_l0", "rnn_kernel"),
    Weight("recurrent_kernel", "weight_hh_l0", "rnn_kernel"),
    Weight("bias", "bias_ih_l0", "rnn_bias"),  # torch's bias_hh_l0 stays zero
)
_RNN_INITS = (
    ("kernel_initializer", "weight_ih_l0", None),
    ("recurrent_initializer", "weight_hh_l0", None),
    ("bias_initializer", "bias_ih_l0", None),
)
_POOL_RANKS = {3: "1d", 4: "2d", 5: "3d"}


def _ranked(prefix: str) -> dict[int, str]:
    return {rank: f"{prefix}{suffix}" for rank, suffix in _POOL_RANKS.items()}


LAYERS: dict[str, LayerSpec] = {
    spec.keras: spec
    for spec in (
        _spec("Dense", "torch.nn.Linear", *_KERNEL_BIAS["dense"], args=_dense_args, positional=2, inits=_KB_INITS),
        *(
            _spec(f"Conv{n}D", f"torch.nn.Conv{n}d", *_KERNEL_BIAS["conv"], args=_conv_args, positional=3, inits=_KB_INITS)
            for n in (1, 2, 3)
        ),
        *(
            _spec(
                f"Conv{n}DTranspose", f"torch.nn.ConvTranspose{n}d", *_KERNEL_BIAS["conv_transpose"],
                args=_conv_transpose_args, positional=3, inits=_KB_INITS,
            )
            for n in (1, 2, 3)
        ),
        _spec(
            "DepthwiseConv2D",
            "torch.nn.Conv2d",
            Weight("depthwise_kernel", "weight", "depthwise"),
            Weight("kernel", "weight", "depthwise"),  # Keras 3 names the variable "kernel"
            Weight("bias", "bias"),
            args=_depthwise_args,
            positional=3,
            inits=(("depthwise_initializer", "weight", None), ("bias_initializer", "bias", None)),
        ),
        # Two modules under one attribute: nn.Sequential(depthwise, pointwise).
        _spec(
            "SeparableConv2D",
            "torch.nn.Sequential",
            Weight("depthwise_kernel", "0.weight", "depthwise"),
            Weight("pointwise_kernel", "1.weight", "conv"),
            Weight("bias", "1.bias"),
            inits=(
                ("depthwise_initializer", "0.weight", None),
                ("pointwise_initializer", "1.weight", None),
                ("bias_initializer", "1.bias", None),
            ),
        ),
        _spec(
            "BatchNormalization", "torch.nn.BatchNorm2d", *_BATCH_NORM, args=_batch_norm_args, positional=1,
            inits=_BN_INITS, by_rank={2: "torch.nn.BatchNorm1d", **_ranked("torch.nn.BatchNorm")},
        ),
        _spec("LayerNormalization", "torch.nn.LayerNorm", *_NORM, args=_layer_norm_args, positional=1, inits=_NORM_INITS),
        _spec("GroupNormalization", "torch.nn.GroupNorm", *_NORM, args=_group_norm_args, positional=2, inits=_NORM_INITS),
        _spec(
            "Embedding", "torch.nn.Embedding", Weight("embeddings", "weight"), args=_embedding_args, positional=2,
            inits=(("embeddings_initializer", "weight", None),),
        ),
        _spec("Dropout", "torch.nn.Dropout", args=_dropout_args),
        _spec("SpatialDropout1D", "torch.nn.Dropout1d", args=_dropout_args),
        _spec("SpatialDropout2D", "torch.nn.Dropout2d", args=_dropout_args),
        _spec("SpatialDropout3D", "torch.nn.Dropout3d", args=_dropout_args),
        *(
            _spec(f"MaxPooling{n}D", f"torch.nn.MaxPool{n}d", args=_max_pool_args)
            for n in (1, 2, 3)
        ),
        *(
            _spec(f"AveragePooling{n}D", f"torch.nn.AvgPool{n}d", args=_avg_pool_args)
            for n in (1, 2, 3)
        ),
        *(_spec(f"UpSampling{n}D", "torch.nn.Upsample", args=_upsampling_args) for n in (1, 2, 3)),
        _spec("SimpleRNN", "torch.nn.RNN", *_RNN_WEIGHTS, args=_simple_rnn_args, positional=2, inits=_RNN_INITS),
        _spec("LSTM", "torch.nn.LSTM", *_RNN_WEIGHTS, args=_gated_args, positional=2, inits=_RNN_INITS),
        _spec(
            "GRU", "torch.nn.GRU",
            Weight("kernel", "weight_ih_l0", "rnn_kernel"),
            Weight("recurrent_kernel", "weight_hh_l0", "rnn_kernel"),
            Weight("bias", "bias_ih_l0+bias_hh_l0", "gru_bias"),
            args=_gated_args, positional=2, inits=_RNN_INITS[:2],
        ),
        # Written as small classes inside the generated file (migrate/codegen/helpers.py):
        # torch has no module with these semantics and no permute may enter forward.
        _spec(
            "MultiHeadAttention", "MultiHeadAttention",
            Weight("query/kernel", "query.weight", "mha_in"), Weight("query/bias", "query.bias", "flat"),
            Weight("key/kernel", "key.weight", "mha_in"), Weight("key/bias", "key.bias", "flat"),
            Weight("value/kernel", "value.weight", "mha_in"), Weight("value/bias", "value.bias", "flat"),
            Weight("attention_output/kernel", "attention_output.weight", "mha_out"),
            Weight("attention_output/bias", "attention_output.bias"),
        ),
        # ``count`` (the number of samples ``adapt`` saw) has no torch counterpart: dropped.
        _spec("Normalization", "Normalization", Weight("mean", "mean"), Weight("variance", "variance"), dropped=("count",)),
        _spec("LayerScale", "LayerScale", Weight("variable", "gamma")),  # keras.src.applications.convnext
        _spec("StochasticDepth", "StochasticDepth"),  # keras.src.applications.convnext
        # No module: forward writes a function call or an operator.
        *(
            _spec(name, "")
            for name in (
                "InputLayer", "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "Flatten", "Reshape",
                "Permute", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
                "Rescaling", "Identity",
                "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
                "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
                "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
                "Cropping1D", "Cropping2D", "Cropping3D",
            )
        ),
        _spec("Bidirectional", "", ),  # the wrapped RNN's module with bidirectional=True
    )
}


# ---------------------------------------------------------------------------------------
# Shared with the source rewrite (rules/keras_layers.py, rules/keras_sequential.py).

#: A Keras activation name → (torch module class, its keyword arguments) for the module that
#: follows a layer's ``activation=`` (or stands for an ``Activation`` layer). Keras values that
#: differ from torch's defaults are written: leaky_relu's slope is 0.2 in Keras 3 (torch 0.01);
#: Keras 3's gelu is exact and hard_sigmoid is relu6(x + 3) / 6, both as torch's. softmax and
#: log_softmax take a ``dim`` the caller adds (the channel axis moves under NCHW).
ACTIVATION_MODULES: dict[str, tuple[str, dict[str, Any]]] = {
    "relu": ("torch.nn.ReLU", {}),
    "relu6": ("torch.nn.ReLU6", {}),
    "sigmoid": ("torch.nn.Sigmoid", {}),
    "tanh": ("torch.nn.Tanh", {}),
    "gelu": ("torch.nn.GELU", {}),
    "silu": ("torch.nn.SiLU", {}),
    "swish": ("torch.nn.SiLU", {}),
    "elu": ("torch.nn.ELU", {}),
    "selu": ("torch.nn.SELU", {}),
    "softplus": ("torch.nn.Softplus", {}),
    "softsign": ("torch.nn.Softsign", {}),
    "hard_sigmoid": ("torch.nn.Hardsigmoid", {}),
    "hard_silu": ("torch.nn.Hardswish", {}),
    "hard_swish": ("torch.nn.Hardswish", {}),
    "leaky_relu": ("torch.nn.LeakyReLU", {"negative_slope": 0.2}),
    "mish": ("torch.nn.Mish", {}),
    "softmax": ("torch.nn.Softmax", {}),
    "log_softmax": ("torch.nn.LogSoftmax", {}),
}
#: Activations whose torch module needs the ``dim`` of the Keras axis -1.
ACTIVATIONS_WITH_DIM = frozenset({"softmax", "log_softmax"})

#: The same activations as functions of a tensor (`migrate model` writes them in ``forward``),
#: called with the module's arguments above (leaky_relu's slope stays in one place); and
#: ``exponential``, which has no module.
ACTIVATION_FUNCTIONS: dict[str, str] = {
    "relu": "torch.nn.functional.relu",
    "relu6": "torch.nn.functional.relu6",
    "sigmoid": "torch.sigmoid",
    "tanh": "torch.tanh",
    "gelu": "torch.nn.functional.gelu",
    "silu": "torch.nn.functional.silu",
    "swish": "torch.nn.functional.silu",
    "elu": "torch.nn.functional.elu",
    "selu": "torch.nn.functional.selu",
    "softplus": "torch.nn.functional.softplus",
    "softsign": "torch.nn.functional.softsign",
    "exponential": "torch.exp",
    "hard_sigmoid": "torch.nn.functional.hardsigmoid",
    "hard_silu": "torch.nn.functional.hardswish",
    "hard_swish": "torch.nn.functional.hardswish",
    "leaky_relu": "torch.nn.functional.leaky_relu",
    "mish": "torch.nn.functional.mish",
    "log_softmax": "torch.nn.functional.log_softmax",
    "softmax": "torch.nn.functional.softmax",
}

#: torch constructor arguments whose default is the value shown: written out they read as
#: noise, so both front ends leave them out (a Keras value that differs stays written).
TORCH_ARGUMENT_DEFAULTS: dict[str, Any] = {
    "stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True, "affine": True, "elementwise_affine": True,
}

#: The Lazy module torch offers for a class whose input size it can infer on the first call.
LAZY_MODULES: dict[str, str] = {
    "torch.nn.Linear": "torch.nn.LazyLinear",
    **{f"torch.nn.Conv{n}d": f"torch.nn.LazyConv{n}d" for n in (1, 2, 3)},
    **{f"torch.nn.ConvTranspose{n}d": f"torch.nn.LazyConvTranspose{n}d" for n in (1, 2, 3)},
    **{f"torch.nn.BatchNorm{n}d": f"torch.nn.LazyBatchNorm{n}d" for n in (1, 2, 3)},
}
#: The constructor argument each Lazy module infers (and so does not take).
LAZY_INFERRED = frozenset({"in_features", "in_channels", "num_features"})


# ---------------------------------------------------------------------------------------
# Small nn.Module classes the source rewrite writes into a migrated file (once per file, with
# ``ctx.add_definition``) where torch has no module with Keras's behaviour. Plain PyTorch a
# user can read and keep; ``nn.``/``torch.`` are respelled to the file's imports.

_RECURRENT = '''
class KerasRecurrent(nn.modules.lazy.LazyModuleMixin):
    """Gives a torch RNN Keras's outputs: the last step (every step with return_sequences),
    then the final states with return_state; a bidirectional one merges its two directions
    as Keras's merge_mode says. ``input_size=None``: sized on the first call (or by
    load_state_dict), like torch's Lazy modules, the input kernel drawn as Keras's
    glorot_uniform. Keras's LSTM and SimpleRNN add one bias where torch adds two: their
    ``bias_hh`` stays zero and frozen, so the bias trains as fast as Keras's (GRU keeps both:
    Keras's reset_after GRU has two)."""

    def __init__(self, input_size, *args, return_sequences=False, return_state=False, merge_mode="concat", **kwargs):
        super().__init__(1 if input_size is None else input_size, *args, **kwargs)
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.merge_mode = merge_mode
        if self.mode != "GRU" and self.bias:
            for name in self._flat_weights_names:
                if name.startswith("bias_hh"):
                    getattr(self, name).requires_grad_(False)
        if input_size is None:
            for name in self._flat_weights_names:
                if name.startswith("weight_ih"):
                    setattr(self, name, nn.UninitializedParameter())
            self._register_load_state_dict_pre_hook(self._input_size_from_state)

    def reset_parameters(self):
        super().reset_parameters()
        if self.mode != "GRU" and self.bias:
            with torch.no_grad():
                for name in self._flat_weights_names:
                    if name.startswith("bias_hh"):
                        getattr(self, name).zero_()

    def _input_size_from_state(self, state_dict, prefix, *args):
        if prefix + "weight_ih_l0" in state_dict:
            self.input_size = state_dict[prefix + "weight_ih_l0"].shape[1]

    def initialize_parameters(self, x, *args, **kwargs):
        if self.has_uninitialized_params():
            self.input_size = x.shape[-1]
            with torch.no_grad():
                for name in self._flat_weights_names:
                    weight = getattr(self, name)
                    if isinstance(weight, nn.UninitializedParameter):
                        rows = getattr(self, name.replace("_ih_", "_hh_")).shape[0]
                        weight.materialize((rows, self.input_size))
                        nn.init.xavier_uniform_(weight)

    def forward(self, x):
        output, state = super().forward(x)
        if self.bidirectional:
            forward, backward = output.chunk(2, dim=-1)
            if not self.return_sequences:
                # Keras's backward layer ends on the first step: its last output is torch's step 0.
                forward, backward = forward[:, -1], backward[:, 0]
            if self.merge_mode == "concat":
                output = torch.cat([forward, backward], dim=-1)
            elif self.merge_mode == "sum":
                output = forward + backward
            elif self.merge_mode == "mul":
                output = forward * backward
            elif self.merge_mode == "ave":
                output = (forward + backward) / 2
            else:
                output = (forward, backward)
        elif not self.return_sequences:
            output = output[:, -1]
        if not self.return_state:
            return output
        # torch: each state (directions, N, units); Keras: h (and c) per direction, forward first.
        states = state if isinstance(state, tuple) else (state,)
        return (output, *[s[d] for d in range(states[0].shape[0]) for s in states])
'''

_RNN_CLASS = '''
class Keras{keras}(KerasRecurrent, nn.{torch}):
    """nn.{torch} (batch_first) returning what Keras's {keras} returns."""
'''

_MERGE = {  # Keras class → (what it computes, the step folding one more input in, the result)
    "Add": ("the sum of its inputs", "result + x", "result"),
    "Multiply": ("the product of its inputs", "result * x", "result"),
    "Average": ("the mean of its inputs", "result + x", "result / len(inputs)"),
    "Maximum": ("the elementwise maximum of its inputs", "torch.maximum(result, x)", "result"),
    "Minimum": ("the elementwise minimum of its inputs", "torch.minimum(result, x)", "result"),
}
_MERGE_CLASS = '''
class Keras{keras}(nn.Module):
    """Keras's {keras} layer: {doc} (called with a list, as in Keras)."""

    def forward(self, inputs):
        result = inputs[0]
        for x in inputs[1:]:
            result = {step}
        return {result}
'''
_SUBTRACT = '''
class KerasSubtract(nn.Module):
    """Keras's Subtract layer: its first input minus its second (called with a list)."""

    def forward(self, inputs):
        first, second = inputs
        return first - second
'''

_CONCATENATE = '''
class KerasConcatenate(nn.Module):
    """Keras's Concatenate along Keras axis ``axis`` of channels-last tensors; images (rank 4
    and 5) are channels-first in the migrated model, so their channel axis is torch dim 1."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis

    def forward(self, inputs):
        rank = inputs[0].dim()
        axis = self.axis % rank
        if rank >= 4 and axis > 0:  # Keras (N, H, W, C) axis → torch (N, C, H, W) dim
            axis = 1 if axis == rank - 1 else axis + 1
        return torch.cat(list(inputs), dim=axis)
'''

_RESCALING = '''
class KerasRescaling(nn.Module):
    """Keras's Rescaling: ``x * scale + offset``."""

    def __init__(self, scale, offset=0.0):
        super().__init__()
        self.scale = scale
        self.offset = offset

    def forward(self, x):
        return x * self.scale + self.offset
'''

_PERMUTE = '''
class KerasPermute(nn.Module):
    """Keras's Permute: reorders the axes after the batch axis (``dims`` counts from 1)."""

    def __init__(self, dims):
        super().__init__()
        self.dims = (0, *dims)

    def forward(self, x):
        return x.permute(self.dims)
'''

_NORMALIZATION = '''
class KerasNormalization(nn.modules.lazy.LazyModuleMixin, nn.Module):
    """Keras's Normalization: ``(x - mean) / max(sqrt(variance), 1e-7)`` over torch dim ``dim``.
    Statistics written in the Keras source are constants (not in the state_dict); otherwise
    they are buffers that ``keras_adapt`` computes or ``migrate weights`` fills, sized then
    (or on the first call) when the number of features is not given."""

    def __init__(self, num_features=None, dim=-1, mean=None, variance=None):
        super().__init__()
        self.dim = dim
        if mean is not None:
            self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).reshape(-1), persistent=False)
            self.register_buffer("variance", torch.tensor(variance, dtype=torch.float32).reshape(-1), persistent=False)
        elif num_features is None:
            self.register_buffer("mean", nn.UninitializedBuffer())
            self.register_buffer("variance", nn.UninitializedBuffer())
        else:
            self.register_buffer("mean", torch.zeros(num_features))
            self.register_buffer("variance", torch.ones(num_features))

    def initialize_parameters(self, x):
        """Before a first call that no adapt() preceded: Keras's unadapted statistics."""
        if self.has_uninitialized_params():
            with torch.no_grad():
                self.mean.materialize((x.shape[self.dim],))
                self.variance.materialize((x.shape[self.dim],))
                self.mean.zero_()
                self.variance.fill_(1.0)

    def forward(self, x):
        shape = [1] * x.dim()
        shape[self.dim] = -1
        std = torch.sqrt(self.variance).clamp(min=1e-7)
        return (x - self.mean.view(shape)) / std.view(shape)
'''

_ADAPT = '''
def keras_adapt(layer, data):
    """Keras's ``Normalization.adapt(data)``: the mean and (population) variance of ``data``
    over every axis but the last — the features, channels-last as the raw data is — into the
    layer's statistics."""
    values = torch.as_tensor(data, dtype=torch.float32)
    values = values.reshape(-1, values.shape[-1])
    with torch.no_grad():
        if layer.has_uninitialized_params():
            layer.initialize_parameters(values)
        layer.mean.copy_(values.mean(0))
        layer.variance.copy_(values.var(0, unbiased=False))
'''

_ATTENTION = '''
class KerasMultiHeadAttention(nn.Module):
    """Keras's MultiHeadAttention over the last axis: per-head query/key/value projections,
    softmax(q·kᵀ/√key_dim) (``attention_mask``: True where a query may attend), then the
    output projection. Called as Keras calls it: ``(query, value, key=None, ...)``."""

    def __init__(self, num_heads, key_dim, value_dim, output_dim, use_bias=True, dropout=0.0):
        super().__init__()
        self.num_heads, self.key_dim, self.value_dim = num_heads, key_dim, value_dim
        self.query = nn.LazyLinear(num_heads * key_dim, bias=use_bias)
        self.key = nn.LazyLinear(num_heads * key_dim, bias=use_bias)
        self.value = nn.LazyLinear(num_heads * value_dim, bias=use_bias)
        self.attention_output = nn.Linear(num_heads * value_dim, output_dim, bias=use_bias)
        self.dropout = nn.Dropout(dropout)

    def forward(self, query, value, key=None, attention_mask=None, return_attention_scores=False, use_causal_mask=False):
        key = value if key is None else key
        batch = query.shape[0]
        q = self.query(query).view(batch, -1, self.num_heads, self.key_dim).transpose(1, 2)
        k = self.key(key).view(batch, -1, self.num_heads, self.key_dim).transpose(1, 2)
        v = self.value(value).view(batch, -1, self.num_heads, self.value_dim).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / self.key_dim**0.5
        mask = None if attention_mask is None else attention_mask.bool().unsqueeze(1)
        if use_causal_mask:
            causal = torch.ones(scores.shape[-2:], dtype=torch.bool, device=scores.device).tril()
            mask = causal if mask is None else mask & causal
        if mask is not None:
            scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        weights = self.dropout(torch.softmax(scores, dim=-1))
        out = torch.matmul(weights, v).transpose(1, 2).reshape(batch, -1, self.num_heads * self.value_dim)
        out = self.attention_output(out)
        return (out, weights) if return_attention_scores else out
'''


def helper_definitions(name: str) -> list[str]:
    """The source of helper class ``name`` (``KerasLSTM``, ``KerasAdd``…), preceded by what it
    builds on, in the order they must be defined; ``nn.`` and ``torch.`` as written."""
    keras = name.removeprefix("Keras")
    if keras in ("SimpleRNN", "LSTM", "GRU"):
        torch_class = {"SimpleRNN": "RNN"}.get(keras, keras)
        return [_RECURRENT, _RNN_CLASS.format(keras=keras, torch=torch_class)]
    if keras in _MERGE:
        doc, step, result = _MERGE[keras]
        return [_MERGE_CLASS.format(keras=keras, doc=doc, step=step, result=result)]
    if name == "keras_adapt":
        return [_ADAPT]
    fixed = {"Subtract": _SUBTRACT, "Concatenate": _CONCATENATE, "Rescaling": _RESCALING, "Permute": _PERMUTE,
             "Normalization": _NORMALIZATION, "MultiHeadAttention": _ATTENTION}
    return [fixed[keras]]


# ---------------------------------------------------------------------------------------
# Initializers written after a source-rewritten module (DESIGN decision 4: a freshly built
# migrated model starts from Keras's distributions, not torch's).


def keras_weight_shapes(keras: str, config: Mapping[str, Any], shape: Shape) -> dict[str, tuple[int, ...]]:
    """{torch parameter: the Keras variable's shape} for the ``inits`` rows of ``keras`` on an
    input of Keras ``shape`` (batch first, channels last); {} when the layer has none mapped."""
    channels = shape[-1]
    n = len(shape) - 2
    if keras == "Dense":
        return {"weight": (channels, config["units"]), "bias": (config["units"],)}
    if re.fullmatch(r"Conv[123]D", keras):
        kernel = _tuple(config["kernel_size"], n)
        groups = config.get("groups", 1) or 1
        return {"weight": (*kernel, channels // groups, config["filters"]), "bias": (config["filters"],)}
    if re.fullmatch(r"Conv[123]DTranspose", keras):
        kernel = _tuple(config["kernel_size"], n)
        return {"weight": (*kernel, config["filters"], channels), "bias": (config["filters"],)}
    if keras == "Embedding":
        return {"weight": (config["input_dim"], config["output_dim"])}
    if keras in ("SimpleRNN", "LSTM", "GRU"):
        gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[keras] * config["units"]
        return {"weight_ih_l0": (channels, gates), "weight_hh_l0": (config["units"], gates), "bias_ih_l0": (gates,)}
    if keras in ("BatchNormalization", "LayerNormalization", "GroupNormalization"):
        return {param: (channels,) for _, param, _ in LAYERS[keras].inits}
    return {}


def init_statements(keras: str, config: Mapping[str, Any], shape: Shape, target: str, suffix: str = "") -> list[str]:
    """``nn.init`` lines giving module ``target``'s parameters Keras's initial values: every
    initializer that differs from torch's own default, and the tensors torch has and Keras
    lacks (an RNN's ``bias_hh``, zero in Keras's math). ``suffix``: "_reverse" for the backward
    half of a bidirectional RNN. Raises ValueError for an initializer with no ``nn.init``
    equivalent."""
    spec = LAYERS[keras]
    shapes = keras_weight_shapes(keras, config, shape)

    def at(param: str) -> str:
        return f"{target}.{param}{suffix}"

    lines = []
    for key, param, torch_default in spec.inits:
        init = config.get(key)
        if param not in shapes or init is None:
            continue
        name = init if isinstance(init, str) else init.get("class_name", "") if isinstance(init, Mapping) else ""
        if torch_default and re.sub(r"[_\s]", "", str(name)).lower() == torch_default:
            continue
        if param.startswith("bias") and not config.get("use_bias", True):
            continue
        line = initializer_call(init, at(param), shapes[param])
        if line is None:
            raise ValueError(f"`{key}={init!r}` has no nn.init equivalent")
        lines.append(line)
    if keras in ("SimpleRNN", "LSTM", "GRU") and config.get("use_bias", True):
        bias = config.get("bias_initializer", "zeros")
        if keras == "GRU":  # Keras's bias (2, 3·units): both rows from bias_initializer
            lines.append(initializer_call(bias, at("bias_ih_l0"), (3 * config["units"],)) or "")
            lines.append(initializer_call(bias, at("bias_hh_l0"), (3 * config["units"],)) or "")
        else:
            lines.append(f"nn.init.zeros_({at('bias_hh_l0')})  # Keras has one bias")
        if keras == "LSTM" and config.get("unit_forget_bias", True):
            units = config["units"]
            lines.append(f"nn.init.ones_({at('bias_ih_l0')}[{units}:{2 * units}])  # unit_forget_bias")
    return [line for line in lines if line]
