"""Assemble the nn.Module source: helpers, one class per (nested) Keras model, a weight plan."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from migrate.rules.layers import module_attr

from .handlers import HANDLERS, Call, Emission, Unsupported, Value, channels_first, channels_last
from .graph import build_graph
from .helpers import helper_source

# Keras classes whose rank-3 input is best taken channels-first (batch, channels, steps).
_CHANNELS_FIRST_USERS = {
    "Conv1D", "Conv1DTranspose", "SeparableConv1D", "DepthwiseConv1D", "MaxPooling1D", "AveragePooling1D",
    "UpSampling1D", "SpatialDropout1D",
}
_PASS_THROUGH = {"Dropout", "Activation", "Identity"}


class CodegenError(Exception):
    """A model that cannot be generated; the message names the layer."""


@dataclass
class Slot:
    """One Keras variable → one entry of the generated module's state_dict."""

    layer_path: tuple[str, ...]  # Keras layer names from the top model down: ("stem", "stem_conv")
    keras: str  # the variable inside that layer: "kernel", "query/kernel"
    index: int  # its position in layer.weights
    torch: str  # state_dict key(s), '+'-joined when one Keras array fills two ("x.bias_ih_l0+x.bias_hh_l0")
    layout: str  # see rules/layers.py
    extra: dict = field(default_factory=dict)


@dataclass
class Generated:
    source: str
    class_name: str
    slots: list[Slot]
    todos: list[str]  # "layer_name (Class)" of every TODO stub
    input_layouts: list[str]  # per input: "channels_first" or "channels_last"
    output_layouts: list[str]
    constants: list[str]  # state_dict entries the generated code sets from the Keras config


@dataclass
class _Class:
    name: str
    source: str
    input_cf: list[bool]
    output_cf: list[bool]


class _Builder:
    def __init__(self, allow_todo: bool) -> None:
        self.allow_todo = allow_todo
        self.classes: list[_Class] = []
        self.by_model: dict[int, _Class] = {}
        self.class_names: set[str] = set()
        self.helpers: set[str] = set()
        self.slots: list[Slot] = []
        self.todos: list[str] = []
        self.constants: list[str] = []
        self.uses_math = False

    def class_name(self, model: Any, wanted: str | None) -> str:
        base = wanted or _camel(model.name)
        if base[0].isdigit():
            base = "Model" + base
        name, i = base, 1
        while name in self.class_names:
            i += 1
            name = f"{base}{i}"
        self.class_names.add(name)
        return name

    def build(self, model: Any, name: str | None, path: tuple[str, ...], prefix: str) -> _Class:
        if id(model) in self.by_model:
            return self.by_model[id(model)]
        graph = build_graph(model)
        consumers_of = graph.consumers
        values: dict[int, Value] = {}
        input_cf = []
        for tensor, var in zip(graph.inputs, graph.input_names):
            shape = tuple(tensor.shape)
            users = {type(c.layer).__name__ for c in consumers_of.get(id(tensor), [])}
            cf = len(shape) >= 4 or (len(shape) == 3 and bool(users) and users <= _CHANNELS_FIRST_USERS)
            values[id(tensor)] = Value(var, shape, cf)
            input_cf.append(cf)

        init_lines: list[str] = []
        reset_lines: list[str] = []
        forward: list[str] = []
        seen_layers: dict[int, str] = {}
        for call_node in graph.nodes:
            layer = call_node.layer
            attr = module_attr(layer.name)
            inputs = [values[id(t)] for t in call_node.inputs]
            if hasattr(layer, "_functional") or type(layer).__name__ in ("Functional", "Sequential", "Model"):
                emission = self.nested(layer, attr, inputs, call_node, path, prefix)
            else:
                emission = self.emit(layer, attr, inputs, call_node, graph)
            first_call = id(layer) not in seen_layers
            if emission.module and first_call:
                init_lines.append(f"self.{attr} = {emission.module}")
                reset_lines.extend(line.replace("{m}", f"self.{attr}") for line in emission.inits)
                for slot in emission.weights:
                    keys = "+".join(f"{prefix}{attr}.{t}" for t in slot.torch.split("+"))
                    self.slots.append(Slot(path + (layer.name,), slot.keras, slot.index, keys, slot.layout, slot.extra))
                self.constants.extend(f"{prefix}{attr}.{c}" for c in emission.constants)
            seen_layers[id(layer)] = attr
            forward.extend(emission.lines)
            self.helpers |= emission.helpers
            for tensor, value in zip(call_node.outputs, emission.outputs):
                values[id(tensor)] = value

        outputs = [values[id(t)] for t in graph.outputs]
        class_name = self.class_name(model, name)
        source = self.render(class_name, model, graph.input_names, init_lines, reset_lines, forward, outputs)
        built = _Class(class_name, source, input_cf, [v.cf for v in outputs])
        self.classes.append(built)
        self.by_model[id(model)] = built
        return built

    def emit(self, layer: Any, attr: str, inputs: list[Value], call_node: Any, graph: Any) -> Emission:
        kind = type(layer).__name__
        handler = HANDLERS.get(kind)
        config = layer.get_config()
        call = Call(
            layer, config, inputs, call_node.out_names, [tuple(t.shape) for t in call_node.outputs],
            f"self.{attr}", self.consumer_kinds(call_node, graph), dict(call_node.node.arguments.kwargs),
        )
        # Call order: arguments beyond the tensors (MultiHeadAttention's query, value, key).
        if handler is None:
            return self.todo(layer, attr, inputs, call, f"no mapping for Keras layer class {kind}")
        try:
            return handler(call)
        except Unsupported as error:
            return self.todo(layer, attr, inputs, call, str(error))

    def consumer_kinds(self, call_node: Any, graph: Any) -> list[str]:
        kinds = []
        stack = list(call_node.outputs)
        while stack:
            tensor = stack.pop()
            for user in graph.consumers.get(id(tensor), []):
                kind = type(user.layer).__name__
                if kind in _PASS_THROUGH:
                    stack.extend(user.outputs)
                else:
                    kinds.append(kind)
        if any(id(t) in {id(o) for o in graph.outputs} for t in call_node.outputs):
            kinds.append("<output>")
        return kinds

    def todo(self, layer: Any, attr: str, inputs: list[Value], call: Call, why: str) -> Emission:
        label = f"{layer.name} ({type(layer).__name__})"
        if not self.allow_todo:
            raise CodegenError(f"layer {label}: {why} (use --allow-todo to write a stub)")
        self.todos.append(label)
        outs = [Value(n, tuple(s), len(s) >= 4) for n, s in zip(call.out_names, call.out_shapes)]
        targets = ", ".join(call.out_names)
        lines = [
            f"# migrate: TODO(model.unmapped) {label}: {why}",
            f"{targets} = {call.attr}({', '.join(v.name for v in inputs)})",
        ]
        return Emission(f"TodoLayer({layer.name!r}, {type(layer).__name__!r})", [], lines, outs, helpers={"TodoLayer"})

    def nested(self, model: Any, attr: str, inputs: list[Value], call_node: Any, path: tuple, prefix: str) -> Emission:
        inner = self.build(model, None, path + (model.name,), f"{prefix}{attr}.")
        srcs = [channels_first(v) if cf else channels_last(v) for v, cf in zip(inputs, inner.input_cf)]
        targets = ", ".join(call_node.out_names)
        outs = [Value(n, tuple(t.shape), cf) for n, t, cf in zip(call_node.out_names, call_node.outputs, inner.output_cf)]
        return Emission(f"{inner.name}()", [], [f"{targets} = self.{attr}({', '.join(srcs)})"], outs)

    def render(self, class_name: str, model: Any, inputs: list[str], init: list[str], reset: list[str],
               forward: list[str], outputs: list[Value]) -> str:
        doc = f'"""Keras model {model.name!r} ({type(model).__name__}); image inputs are NCHW."""'
        lines = [f"class {class_name}(nn.Module):", f"    {doc}", "", "    def __init__(self) -> None:", "        super().__init__()"]
        lines += [f"        {line}" for line in init]
        if reset:
            lines += ["        self.reset_parameters()", "", "    def reset_parameters(self) -> None:",
                      '        """Keras initializers, so a fresh module starts from the same distribution."""']
            lines += [f"        {line}" for line in reset]
        params = ", ".join(f"{name}: torch.Tensor" for name in inputs)
        returns = "torch.Tensor" if len(outputs) == 1 else "tuple[torch.Tensor, ...]"
        lines += ["", f"    def forward(self, {params}) -> {returns}:"]
        lines += [f"        {line}" for line in forward]
        lines.append(f"        return {', '.join(v.name for v in outputs)}")
        return "\n".join(lines) + "\n"


def _camel(name: str) -> str:
    """resnet50 → Resnet50, mobilenetv2_1.00_64 → Mobilenetv2_1_00_64 (digits stay apart)."""
    out = ""
    for part in (p for p in re.split(r"\W+|_", name) if p):
        if out and out[-1].isdigit() and part[0].isdigit():
            out += "_"
        out += part[:1].upper() + part[1:]
    return out or "Model"


def generate(model: Any, class_name: str | None = None, allow_todo: bool = False) -> Generated:
    """PyTorch source for a built Keras model. Raises CodegenError naming an unmapped layer."""
    if not getattr(model, "built", False) or not hasattr(model, "inputs"):
        raise CodegenError(f"{getattr(model, 'name', model)!r} is not a built functional or Sequential Keras model")
    try:
        model.inputs
    except (AttributeError, ValueError):
        raise CodegenError(f"model {model.name!r} has no defined inputs: build it on an input shape first") from None
    builder = _Builder(allow_todo)
    top = builder.build(model, class_name, (), "")
    header = (
        f'"""PyTorch version of the Keras model {model.name!r}, written by `migrate model`.\n\n'
        "Layout: image tensors are channels-first (N, C, H, W). Attribute names are the Keras layer\n"
        '"""\n\n'
    )
    header = header.replace("Keras layer\n", "Keras layer names.\n")
    imports = "from __future__ import annotations\n\nimport torch\nimport torch.nn.functional as F\nfrom torch import nn\n\n\n"
    body = helper_source(builder.helpers) + "\n\n".join(c.source for c in builder.classes)
    source = header + imports + body
    source = _reflow(source)
    ast.parse(source)  # a generator bug must never write a file that does not parse
    layouts = ["channels_first" if cf else "channels_last" for cf in top.input_cf]
    out_layouts = ["channels_first" if cf else "channels_last" for cf in top.output_cf]
    return Generated(source, top.name, builder.slots, builder.todos, layouts, out_layouts, builder.constants)


def _reflow(source: str) -> str:
    """Blank lines between top-level classes and long calls wrapped, as black writes them."""
    source = re.sub(r"\n+(?=class )", "\n\n\n", source).rstrip() + "\n"
    return "".join(_wrap(line) for line in source.splitlines(keepends=True))


LINE_LENGTH = 100


def _wrap(line: str) -> str:
    """``head(args)tail`` longer than LINE_LENGTH → args on their own line(s), black style."""
    if len(line.rstrip("\n")) <= LINE_LENGTH or "(" not in line:
        return line
    body = line.rstrip("\n")
    indent = body[: len(body) - len(body.lstrip())]
    code, comment = body, ""
    if "  # " in body:
        code, comment = body.split("  # ", 1)
        comment = "  # " + comment
    start = code.find("(")
    end = _matching(code, start)
    if end is None or code[end + 1:].strip(" :") not in ("",):
        return line
    head, args = code[:start + 1], code[start + 1:end]
    inner = indent + "    "
    if len(inner) + len(args) <= LINE_LENGTH:
        return f"{head}\n{inner}{args}\n{indent}){code[end + 1:]}{comment}\n"
    parts = _split_args(args)
    lines = "".join(f"{inner}{part},\n" for part in parts)
    return f"{head}\n{lines}{indent}){code[end + 1:]}{comment}\n"


def _matching(code: str, start: int) -> int | None:
    depth, quote = 0, ""
    for i in range(start, len(code)):
        c = code[i]
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i
    return None


def _split_args(args: str) -> list[str]:
    parts, depth, quote, current = [], 0, "", ""
    for c in args:
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += c
    if current.strip():
        parts.append(current.strip())
    return parts
