"""Activations, merges, reshapes and global pooling: forward lines, no module."""

from __future__ import annotations


from .base import (
    Call,
    Emission,
    Unsupported,
    Value,
    activation,
    channels_first,
    channels_last,
    handles,
    output,
    torch_dim,
)


@handles("Activation")
def _activation(call: Call) -> Emission:
    (value,) = call.inputs
    out = call.out_names[0]
    line = activation(call.config["activation"], out, value)
    lines = [line.replace(f"({out}", f"({value.name}", 1)] if line else [f"{out} = {value.name}"]
    return Emission(None, [], lines, [output(call, value.cf, flat_from=value.flat_from)])


@handles("Identity")
def _identity(call: Call) -> Emission:
    (value,) = call.inputs
    return Emission(None, [], [f"{call.out_names[0]} = {value.name}"], [output(call, value.cf, flat_from=value.flat_from)])


@handles("ReLU")
def _relu(call: Call) -> Emission:
    (value,) = call.inputs
    cfg = call.config
    out, v = call.out_names[0], value.name
    top, slope, threshold = cfg.get("max_value"), cfg.get("negative_slope", 0.0), cfg.get("threshold", 0.0)
    if not slope and not threshold:
        expr = f"F.relu({v})" if top is None else f"F.relu6({v})" if float(top) == 6.0 else f"torch.clamp({v}, 0.0, {float(top)!r})"
    elif not threshold and top is None:
        expr = f"F.leaky_relu({v}, {float(slope)!r})"
    else:
        expr = f"torch.where({v} >= {float(threshold)!r}, {v}, {float(slope)!r} * ({v} - {float(threshold)!r}))"
        if top is not None:
            expr = f"torch.clamp({expr}, max={float(top)!r})"
    return Emission(None, [], [f"{out} = {expr}"], [output(call, value.cf)])


@handles("LeakyReLU")
def _leaky(call: Call) -> Emission:
    (value,) = call.inputs
    slope = call.config.get("negative_slope", call.config.get("alpha", 0.3))
    return Emission(None, [], [f"{call.out_names[0]} = F.leaky_relu({value.name}, {float(slope)!r})"], [output(call, value.cf)])


@handles("ELU")
def _elu(call: Call) -> Emission:
    (value,) = call.inputs
    alpha = call.config.get("alpha", 1.0)
    return Emission(None, [], [f"{call.out_names[0]} = F.elu({value.name}, {float(alpha)!r})"], [output(call, value.cf)])


@handles("Softmax")
def _softmax(call: Call) -> Emission:
    (value,) = call.inputs
    axis = call.config.get("axis", -1)
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise Unsupported("Softmax over several axes")
        (axis,) = axis
    dim = torch_dim(axis, value.rank, value.cf)
    return Emission(None, [], [f"{call.out_names[0]} = F.softmax({value.name}, dim={dim})"], [output(call, value.cf)])


@handles("Flatten")
def _flatten(call: Call) -> Emission:
    (value,) = call.inputs
    out = call.out_names[0]
    if value.cf and value.rank >= 3 and any(s != 1 for s in value.shape[1:-1]):
        if call.consumers and all(c == "Dense" for c in call.consumers):
            # torch flattens C,H,W where Keras flattens H,W,C: the weight mapper permutes the
            # next Linear's input rows instead of permuting here (DESIGN decision 2).
            return Emission(None, [], [f"{out} = torch.flatten({value.name}, 1)"],
                            [output(call, False, flat_from=tuple(value.shape[1:]))])
        return Emission(None, [], [f"{out} = torch.flatten({channels_last(value)}, 1)  # Keras order: H, W, C"],
                        [output(call, False)])
    return Emission(None, [], [f"{out} = torch.flatten({value.name}, 1)"], [output(call, False)])


def _to_keras_order(value: Value) -> tuple[str, bool]:
    """(expression in Keras axis order, whether a permute was needed)."""
    if value.cf and value.rank >= 3 and any(s != 1 for s in value.shape[1:-1]):
        return channels_last(value), True
    if value.cf and value.rank >= 3:
        return value.name, False  # spatial dims of size 1: C,1,1 and 1,1,C lie alike in memory
    return value.name, False


@handles("Reshape")
def _reshape(call: Call) -> Emission:
    (value,) = call.inputs
    out = call.out_names[0]
    target = tuple(call.out_shapes[0][1:])
    src, _ = _to_keras_order(value)
    rank = len(target) + 1
    out_cf = rank >= 4
    if out_cf and all(s == 1 for s in target[:-1]):
        shape = (target[-1],) + target[:-1]
        return Emission(None, [], [f"{out} = {src}.reshape(-1, {', '.join(map(str, shape))})"], [output(call, True)])
    lines = [f"{out} = {src}.reshape(-1, {', '.join(map(str, target))})"]
    if out_cf:
        lines[0] += "  # Keras order (H, W, C)"
        lines.append(f"{out} = {channels_first(Value(out, tuple(call.out_shapes[0]), False))}")
    return Emission(None, [], lines, [output(call, out_cf)])


@handles("Permute")
def _permute(call: Call) -> Emission:
    (value,) = call.inputs
    dims = [0, *call.config["dims"]]
    rank = value.rank
    out_cf = value.cf and rank >= 4
    inverse_out = {torch_dim(k, rank, out_cf): k for k in range(rank)}
    perm = [torch_dim(dims[inverse_out[j]], rank, value.cf) for j in range(rank)]
    out = call.out_names[0]
    if perm == list(range(rank)):
        return Emission(None, [], [f"{out} = {value.name}"], [output(call, out_cf)])
    return Emission(None, [], [f"{out} = {value.name}.permute({', '.join(map(str, perm))})"], [output(call, out_cf)])


_MERGE = {"Add": " + ", "Subtract": " - ", "Multiply": " * "}


@handles("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate")
def _merge(call: Call) -> Emission:
    name = type(call.layer).__name__
    first = call.inputs[0]
    srcs = [v.name if v.cf == first.cf else (channels_first(v) if first.cf else channels_last(v)) for v in call.inputs]
    out = call.out_names[0]
    if name in _MERGE:
        expr = _MERGE[name].join(srcs)
    elif name == "Average":
        expr = f"({' + '.join(srcs)}) / {len(srcs)}"
    elif name in ("Maximum", "Minimum"):
        fn = "torch." + name.lower()
        expr = srcs[0]
        for s in srcs[1:]:
            expr = f"{fn}({expr}, {s})"
    else:
        dim = torch_dim(call.config.get("axis", -1), first.rank, first.cf)
        expr = f"torch.cat([{', '.join(srcs)}], dim={dim})"
    return Emission(None, [], [f"{out} = {expr}"], [output(call, first.cf)])


@handles("Rescaling")
def _rescaling(call: Call) -> Emission:
    (value,) = call.inputs
    scale, offset = call.config.get("scale", 1.0), call.config.get("offset", 0.0)
    if not isinstance(scale, (int, float)) or not isinstance(offset, (int, float)):
        raise Unsupported("Rescaling with per-channel scale or offset is not mapped")
    expr = f"{value.name} * {float(scale)!r}" + (f" + {float(offset)!r}" if offset else "")
    return Emission(None, [], [f"{call.out_names[0]} = {expr}"], [output(call, value.cf)])



@handles("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
         "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D")
def _global_pool(call: Call) -> Emission:
    (value,) = call.inputs
    if call.config.get("data_format", "channels_last") != "channels_last":
        raise Unsupported("data_format='channels_first' is not mapped")
    dims = tuple(torch_dim(a, value.rank, value.cf) for a in range(1, value.rank - 1))
    keep = bool(call.config.get("keepdims"))
    fn = "mean" if "Average" in type(call.layer).__name__ else "amax"
    dim = dims[0] if len(dims) == 1 else dims
    expr = f"{value.name}.{fn}({dim}" + (", keepdim=True)" if keep else ")")
    return Emission(None, [], [f"{call.out_names[0]} = {expr}"], [output(call, value.cf if keep else False)])
