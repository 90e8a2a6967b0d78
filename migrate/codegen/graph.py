"""The layer graph of a built Keras model, in an order and with names forward can use.

Keras records each layer call as a ``Node`` (operation, arguments, outputs). This module
walks a model's nodes from its outputs back to its inputs, orders them topologically (a chain
is followed to its end, other ties go by the model's own layer order), and
names every tensor: ``x`` for a value consumed at once by the next statement only, the
layer's attribute name otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrate.rules.layers import module_attr

RESERVED = {"x", "self", "torch", "nn", "F", "math"}


@dataclass
class CallNode:
    layer: Any  # the Keras layer (or nested model)
    node: Any  # keras.src.ops.node.Node
    inputs: list[Any]  # the KerasTensors it consumes, in call order
    outputs: list[Any]
    out_names: list[str] = field(default_factory=list)


@dataclass
class Graph:
    inputs: list[Any]  # the model's input KerasTensors
    input_names: list[str]
    nodes: list[CallNode]
    outputs: list[Any]
    names: dict[int, str]  # id(KerasTensor) → variable name
    consumers: dict[int, list[CallNode]]


def _history(tensor: Any) -> tuple[Any, int, int]:
    history = tensor._keras_history
    return history.operation, history.node_index, history.tensor_index


def _flat(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _flat(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _flat(v)]
    return [value]


def build_graph(model: Any) -> Graph:
    functional = getattr(model, "_functional", None) or model  # a built Sequential wraps one
    inputs = _flat(functional.inputs)
    outputs = _flat(functional.outputs)
    input_ids = {id(t) for t in inputs}
    order = {id(layer): i for i, layer in enumerate(model.layers)}

    found: dict[int, CallNode] = {}
    stack = list(outputs)
    while stack:
        tensor = stack.pop()
        if id(tensor) in input_ids:
            continue
        layer, node_index, _ = _history(tensor)
        node = layer._inbound_nodes[node_index]
        if id(node) in found:
            continue
        if type(layer).__name__ == "InputLayer":
            continue
        call = CallNode(layer, node, list(node.input_tensors), list(node.outputs))
        found[id(node)] = call
        stack.extend(call.inputs)

    # Kahn's algorithm. Among ready nodes: one that reads what the last line wrote (a chain
    # reads top to bottom, its values stay `x`), then the one first in model.layers.
    producer = {id(t): c for c in found.values() for t in c.outputs}
    waiting = {id(c.node): {id(producer[id(t)].node) for t in c.inputs if id(t) in producer} for c in found.values()}
    done: set[int] = set()
    ordered: list[CallNode] = []

    def rank(call: CallNode) -> tuple[int, int, int]:
        last = {id(t) for t in ordered[-1].outputs} if ordered else set()
        follows = any(id(t) in last for t in call.inputs)
        return (0 if follows else 1, order.get(id(call.layer), len(order)), call.layer._inbound_nodes.index(call.node))

    while len(ordered) < len(found):
        ready = [c for c in found.values() if id(c.node) not in done and waiting[id(c.node)] <= done]
        if not ready:
            raise ValueError("the layer graph has a cycle")
        nxt = min(ready, key=rank)
        ordered.append(nxt)
        done.add(id(nxt.node))

    consumers: dict[int, list[CallNode]] = {}
    for call in ordered:
        for t in call.inputs:
            consumers.setdefault(id(t), []).append(call)
    names = _name(model, inputs, outputs, ordered, consumers)
    for call in ordered:
        call.out_names = [names[id(t)] for t in call.outputs]
    return Graph(inputs, [names[id(t)] for t in inputs], ordered, outputs, names, consumers)


def _name(model: Any, inputs: list[Any], outputs: list[Any], ordered: list[CallNode], consumers: dict) -> dict[int, str]:
    taken = set(RESERVED)
    names: dict[int, str] = {}
    output_ids = {id(t) for t in outputs}

    def fresh(base: str) -> str:
        base = module_attr(base)
        name, i = base, 1
        while name in taken:
            i += 1
            name = f"{base}_{i}"
        taken.add(name)
        return name

    def transient(tensor: Any, position: int) -> bool:
        users = consumers.get(id(tensor), [])
        return (
            id(tensor) not in output_ids
            and len(users) == 1
            and sum(id(t) == id(tensor) for t in users[0].inputs) == 1
            and position + 1 < len(ordered)
            and users[0] is ordered[position + 1]
        )

    for tensor in inputs:
        layer = _history(tensor)[0]
        names[id(tensor)] = "x" if len(inputs) == 1 and transient(tensor, -1) else fresh(layer.name)
    for position, call in enumerate(ordered):
        many = len(call.outputs) > 1
        node_index = call.layer._inbound_nodes.index(call.node)
        for i, tensor in enumerate(call.outputs):
            if not many and transient(tensor, position):
                names[id(tensor)] = "x"
                continue
            base = call.layer.name + (f"_call{node_index}" if node_index else "") + (f"_{i}" if many else "")
            names[id(tensor)] = fresh(base)
    return names
