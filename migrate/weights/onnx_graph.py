"""Join the ONNX graph to the Keras layers: which layer's call made each weight-reading node.

A node is joined by its name scope (``m_1/dense_2/MatMul`` → the layer whose call opened
``m_1/dense_2``, as recorded during export), never by stripping ``_N`` suffixes. tf2onnx
names some nodes it creates without a scope (``LSTM__51``, ``Conv__61`` when it fuses a bias
into a depthwise Conv); those are joined, in this order, by
1. the scoped names of constant inputs that only this node reads (the fused bias),
2. the nearest scoped nodes up- and downstream, kept if that layer reads this op type
   (the LSTM op sits between its own layer's Transpose nodes),
3. the one layer that reads this op type and has no node of it yet.
Only ops whose weights sit at known input positions are joined this way (``_POSITIONAL``).
A node none of these places stays unjoined; if a layer then lacks a weight, the mapper says so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from .keras_model import LayerPath


# Ops whose weight inputs are known by position (Conv input 1 is a kernel…): only these are
# joined to a layer when tf2onnx gave them no scope. A decomposed norm's Mul/Add constants are
# read only from nodes inside the layer's scope.
_POSITIONAL = frozenset(
    "Conv ConvTranspose MatMul Gemm Einsum Gather LSTM GRU RNN Loop BatchNormalization "
    "LayerNormalization GroupNormalization InstanceNormalization".split()
)


class LayerView:
    """The ONNX nodes one Keras layer made, and the constants they read."""

    def __init__(self, graph: OnnxGraph, leaf: LayerPath, nodes: list[Any]):
        self.graph = graph
        self.leaf = leaf
        self.nodes = nodes

    def owns(self, node: Any) -> bool:
        """Whether ``node`` may be this layer's: in its scope, or in no layer's scope."""
        leaf = self.graph.leaf_of(node.name)
        return leaf is None or leaf.layer is self.leaf.layer

    def of(self, *op_types: str) -> list[Any]:
        return [n for n in self.nodes if n.op_type in op_types]

    def const(self, node: Any, index: int) -> np.ndarray | None:
        """The constant at input ``index`` of ``node``, or None (no input, or computed)."""
        if index >= len(node.input) or not node.input[index]:
            return None
        return self.graph.consts.get(node.input[index])

    def producer(self, tensor: str) -> Any | None:
        return self.graph.producers.get(tensor)


class OnnxGraph:
    def __init__(self, proto: Any, scopes: dict[str, list[Any]], leaves: list[LayerPath], reads: dict[str, frozenset[str]]):
        """``reads``: Keras class name → the ONNX op types its weights may be read by."""
        from onnx import numpy_helper

        graph = proto.graph
        self.consts: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        for node in graph.node:
            if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
                self.consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        self.producers: dict[str, Any] = {out: n for n in graph.node for out in n.output}
        self.consumers: dict[str, list[Any]] = defaultdict(list)
        for node in graph.node:
            for name in node.input:
                self.consumers[name].append(node)
        self._leaves = {id(leaf.layer): leaf for leaf in leaves}
        self._scopes = scopes
        self._reads = reads
        self._nodes: dict[int, list[Any]] = defaultdict(list)
        self._join(graph.node)

    def view(self, leaf: LayerPath) -> LayerView:
        return LayerView(self, leaf, self._nodes.get(id(leaf.layer), []))

    # -- joining -------------------------------------------------------------------------

    def leaf_of(self, name: str) -> LayerPath | None:
        """The innermost recorded layer whose scope encloses ``name`` (a node or tensor name)."""
        parts = name.split(":")[0].split("/")
        for end in range(len(parts) - 1, 0, -1):
            for caller in self._scopes.get("/".join(parts[:end]), ()):
                leaf = self._leaves.get(id(caller))
                if leaf is not None:
                    return leaf
        return None

    def enclosing(self, name: str) -> Iterator[Any]:
        """The layers (leaves, their sublayers, models) whose call scopes enclose ``name``,
        innermost first."""
        parts = name.split(":")[0].split("/")
        for end in range(len(parts) - 1, 0, -1):
            yield from self._scopes.get("/".join(parts[:end]), ())

    def caller_of(self, name: str) -> Any | None:
        """The innermost layer (a leaf or one of its sublayers) whose call scope encloses ``name``."""
        return next(self.enclosing(name), None)

    def _reads_op(self, leaf: LayerPath, op_type: str) -> bool:
        kind = type(leaf.layer).__name__
        if kind == "Bidirectional":  # reads what its wrapped RNN reads (a GRU pair: no LSTM op)
            kind = type(leaf.layer.forward_layer).__name__
        return op_type in self._reads.get(kind, frozenset())

    def _join(self, nodes: Iterable[Any]) -> None:
        loose = []
        for node in nodes:
            if not any(name in self.consts for name in node.input):
                continue  # reads no constant: carries no weight
            leaf = self.leaf_of(node.name)
            if leaf is not None:
                self._nodes[id(leaf.layer)].append(node)
            else:
                loose.append(node)
        for node in loose:
            if node.op_type not in _POSITIONAL:
                continue  # an unscoped Mul/Add is tf2onnx's own arithmetic, not a weight's home
            leaf = self._by_constant_names(node) or self._by_neighbours(node) or self._by_elimination(node)
            if leaf is not None:
                self._nodes[id(leaf.layer)].append(node)

    def _by_constant_names(self, node: Any) -> LayerPath | None:
        found = {
            id(leaf.layer): leaf
            for name in node.input
            if name in self.consts and len(self.consumers[name]) == 1
            for leaf in [self.leaf_of(name)]
            if leaf is not None and self._reads_op(leaf, node.op_type)
        }
        return next(iter(found.values())) if len(found) == 1 else None

    def _by_neighbours(self, node: Any, depth: int = 3) -> LayerPath | None:
        found: dict[int, LayerPath] = {}
        frontier, seen = [node], {id(node)}
        for _ in range(depth):
            following = []
            for current in frontier:
                near = [self.producers.get(t) for t in current.input if t not in self.consts]
                near += [c for t in current.output for c in self.consumers.get(t, [])]
                for other in near:
                    if other is None or id(other) in seen:
                        continue
                    seen.add(id(other))
                    leaf = self.leaf_of(other.name)
                    if leaf is None:
                        following.append(other)
                    elif self._reads_op(leaf, node.op_type):
                        found[id(leaf.layer)] = leaf
            if found:
                break
            frontier = following
        return next(iter(found.values())) if len(found) == 1 else None

    def _by_elimination(self, node: Any) -> LayerPath | None:
        found = [
            leaf
            for leaf in self._leaves.values()
            if leaf.layer.weights
            and self._reads_op(leaf, node.op_type)
            and not any(n.op_type == node.op_type for n in self._nodes.get(id(leaf.layer), []))
        ]
        return found[0] if len(found) == 1 else None
