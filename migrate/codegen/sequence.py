"""Embedding, recurrent layers, Bidirectional and MultiHeadAttention."""

from __future__ import annotations

from typing import Any

from migrate.rules.layers import LAYERS, initializer_call

from .base import (
    Call,
    Emission,
    Unsupported,
    Value,
    WeightSlot,
    channels_last,
    handles,
    init_lines,
    module_source,
    output,
    variable_name,
    weight_shapes,
    weight_slots,
)


@handles("Embedding")
def _embedding(call: Call) -> Emission:
    spec = LAYERS["Embedding"]
    (value,) = call.inputs
    args = spec.args(call.config, value.shape)
    out = call.out_names[0]
    return Emission(
        module_source(spec.torch, args, spec.positional), init_lines(call, spec, weight_shapes(call.layer, spec)),
        [f"{out} = {call.attr}({value.name})"], [output(call, False)], weight_slots(call.layer, spec),
    )



# --- recurrent layers ---------------------------------------------------------------------


def _rnn_module(layer: Any, value: Value, bidirectional: bool = False) -> tuple[str, dict]:
    """The nn.RNN/LSTM/GRU constructor for a Keras recurrent layer, and the layer's config."""
    spec = LAYERS[type(layer).__name__]
    cfg = layer.get_config()
    if cfg.get("stateful"):
        raise Unsupported("stateful RNNs are not mapped")
    try:
        args = spec.args(cfg, value.shape)  # `unroll` changes speed, not results: ignored
    except ValueError as error:
        raise Unsupported(str(error)) from None
    if bidirectional:
        args["bidirectional"] = True
    return module_source(spec.torch, args, spec.positional), cfg


def _rnn_inits(layer: Any, cfg: dict, suffix: str = "") -> list[str]:
    spec = LAYERS[type(layer).__name__]
    shapes = {}
    for v in layer.weights:
        shapes[variable_name(layer, v).split("/")[-1]] = tuple(v.shape)
    lines = []
    for key, param, _ in spec.inits:
        keras_var = {"kernel_initializer": "kernel", "recurrent_initializer": "recurrent_kernel",
                     "bias_initializer": "bias"}[key]
        if keras_var not in shapes:
            continue
        init = cfg.get(key)
        if key == "bias_initializer" and type(layer).__name__ == "LSTM" and cfg.get("unit_forget_bias", True):
            units = cfg["units"]
            lines.append(f"nn.init.zeros_({{m}}.{param}{suffix})")
            lines.append(f"nn.init.ones_({{m}}.{param}{suffix}[{units}:{2 * units}])  # unit_forget_bias")
        else:
            source = initializer_call(init, f"{{m}}.{param}{suffix}", shapes[keras_var])
            lines.append(source or f"# migrate: TODO(model.init) {param}: initializer not mapped")
        if param.startswith("bias_ih"):  # LSTM, SimpleRNN: Keras's one bias is bias_ih
            hh = f"{{m}}.{param.replace('ih', 'hh')}{suffix}"
            lines.append(f"nn.init.zeros_({hh})  # Keras has one bias")
            lines.append(f"{hh}.requires_grad_(False)  # trainable, it would move the bias twice as fast")
    if type(layer).__name__ == "GRU":
        lines.append(f"nn.init.zeros_({{m}}.bias_ih_l0{suffix})")
        lines.append(f"nn.init.zeros_({{m}}.bias_hh_l0{suffix})")
    return lines


def _rnn_slots(layer: Any, kind: str, suffix_of: Any) -> list[WeightSlot]:
    """Slots of a recurrent layer's variables; ``suffix_of(path)`` gives "" (forward),
    "_reverse" (the backward half of a Bidirectional) or None (not a cell variable)."""
    slots = []
    for i, variable in enumerate(layer.weights):
        name = variable_name(layer, variable)
        suffix = suffix_of(name)
        for weight in LAYERS[kind].weights:
            if suffix is not None and name.split("/")[-1] == weight.keras:
                torch_name = "+".join(t + suffix for t in weight.torch.split("+"))
                slots.append(WeightSlot(name, i, torch_name, weight.layout, {"cell": kind}))
    return slots


@handles("SimpleRNN", "LSTM", "GRU")
def _rnn(call: Call) -> Emission:
    layer = call.layer
    value = call.inputs[0]
    if len(call.inputs) > 1:
        raise Unsupported("initial_state is not mapped")
    module, cfg = _rnn_module(layer, value)
    src = channels_last(value)
    if cfg.get("go_backwards"):
        src = f"torch.flip({src}, (1,))"
    kind = type(layer).__name__
    seq, state = call.out_names[0], call.out_names[1:]
    if kind == "LSTM":
        lines = [f"{seq}, (h_n, c_n) = {call.attr}({src})"]
        finals = ["h_n[0]", "c_n[0]"]
    else:
        lines = [f"{seq}, h_n = {call.attr}({src})"]
        finals = ["h_n[0]"]
    if not cfg.get("return_sequences"):
        lines.append(f"{seq} = {finals[0]}")
    for name, final in zip(state, finals):
        lines.append(f"{name} = {final}")
    outs = [Value(n, tuple(s), False) for n, s in zip(call.out_names, call.out_shapes)]
    return Emission(module, _rnn_inits(layer, cfg), lines, outs, _rnn_slots(layer, kind, lambda name: ""))


@handles("Bidirectional")
def _bidirectional(call: Call) -> Emission:
    layer = call.layer
    value = call.inputs[0]
    forward, backward = layer.forward_layer, layer.backward_layer
    if type(forward).__name__ not in ("SimpleRNN", "LSTM", "GRU") or type(backward) is not type(forward):
        raise Unsupported("Bidirectional of anything but a matching SimpleRNN/LSTM/GRU pair")
    if forward.get_config().get("go_backwards") or not backward.get_config().get("go_backwards"):
        raise Unsupported("Bidirectional with a custom backward layer")
    if len(call.inputs) > 1:
        raise Unsupported("initial_state is not mapped")
    module, cfg = _rnn_module(forward, value, bidirectional=True)
    merge = layer.merge_mode
    units = cfg["units"]
    kind = type(forward).__name__
    out = call.out_names[0]
    lines = [f"{out}, (h_n, c_n) = {call.attr}({channels_last(value)})" if kind == "LSTM" else f"{out}, h_n = {call.attr}({channels_last(value)})"]
    if not cfg.get("return_sequences"):
        lines.append(f"{out} = torch.cat([h_n[0], h_n[1]], dim=-1)")
    if merge is None or len(call.out_names) > 1:
        raise Unsupported("Bidirectional with merge_mode=None or return_state is not mapped")
    combine = {
        "concat": None,
        "sum": f"{out}[..., :{units}] + {out}[..., {units}:]",
        "mul": f"{out}[..., :{units}] * {out}[..., {units}:]",
        "ave": f"({out}[..., :{units}] + {out}[..., {units}:]) / 2",
    }[merge]
    if combine:
        lines.append(f"{out} = {combine}")
    directions = {forward.name: "", backward.name: "_reverse"}
    slots = _rnn_slots(layer, kind, lambda name: directions.get(name.split("/")[0]))
    inits = _rnn_inits(forward, cfg) + _rnn_inits(backward, backward.get_config(), "_reverse")
    return Emission(module, inits, lines, [output(call, False)], slots)


@handles("MultiHeadAttention")
def _mha(call: Call) -> Emission:
    layer = call.layer
    cfg = call.config
    args = call.inputs
    query, value = args[0], args[1]
    key = args[2] if len(args) > 2 else None
    if cfg.get("output_shape") not in (None, []) or cfg.get("attention_axes") not in (None, [1], (1,)):
        raise Unsupported("MultiHeadAttention with output_shape or attention_axes is not mapped")
    kw = call.call_kwargs
    if any(kw.get(k) is not None for k in ("attention_mask", "query_mask", "value_mask", "key_mask")):
        raise Unsupported("MultiHeadAttention masks are not mapped")
    if kw.get("return_attention_scores"):
        raise Unsupported("return_attention_scores is not mapped")
    heads, key_dim = cfg["num_heads"], cfg["key_dim"]
    value_dim = cfg.get("value_dim") or key_dim
    qd, vd = query.shape[-1], value.shape[-1]
    kd = key.shape[-1] if key is not None else vd
    module = (
        f"MultiHeadAttention({qd}, {kd}, {vd}, num_heads={heads}, head_dim={key_dim}, value_head_dim={value_dim}, "
        f"output_dim={qd}, bias={cfg.get('use_bias', True)}, dropout={float(cfg.get('dropout', 0.0))!r})"
    )
    srcs = [channels_last(query), channels_last(value)] + ([channels_last(key)] if key is not None else [])
    causal = ", is_causal=True" if kw.get("use_causal_mask") else ""
    out = call.out_names[0]
    inits = []
    shapes = {variable_name(layer, v): tuple(v.shape) for v in layer.weights}
    for part in ("query", "key", "value", "attention_output"):
        for var, param, key_ in (("kernel", "weight", "kernel_initializer"), ("bias", "bias", "bias_initializer")):
            if f"{part}/{var}" in shapes:
                line = initializer_call(cfg.get(key_), f"{{m}}.{part}.{param}", shapes[f"{part}/{var}"])
                inits.append(line or f"# migrate: TODO(model.init) {part}.{param}")
    return Emission(
        module, inits, [f"{out} = {call.attr}({', '.join(srcs)}{causal})"], [output(call, False)],
        weight_slots(layer, LAYERS["MultiHeadAttention"]), {"MultiHeadAttention"},
    )
