"""The first divergent layer: walk the Keras layer calls in execution order, hold each against
the migrated module of the same name (DESIGN decision 1: ``encoder.dense`` ↔ Keras
``encoder/dense``), and name the first one whose output leaves the tolerance.

Two checks per layer that has a module:

- its **output** against the Keras output, or against the output before a fused activation
  (the migrated ``forward`` applies ``F.relu`` after ``self.dense``, where no hook sees it);
- its **input** against the Keras input. An input that differs while the layer that made it
  matched shows a fault between them: a missing or wrong activation, or a layer the module
  runs as plain code in ``forward`` (Flatten, Add, ReLU layers…). The blame goes to the first
  unverified step on that path, in execution order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from migrate.weights.keras_model import CHANNELS_FIRST_1D

from .align import Delta, compare
from .capture import KerasCall, TorchCalls

OK, OK_BEFORE, DIVERGED, NO_MODULE, NOT_CALLED = "ok", "ok before activation", "diverged", "no module", "not called"


@dataclass
class LayerCheck:
    layer: str  # Keras path: encoder/dense
    module: str  # module path: encoder.dense
    kind: str  # Keras class
    call: int  # which call of the layer (shared layers)
    status: str
    delta: Delta | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {"layer": self.layer, "module": self.module, "kind": self.kind, "call": self.call, "status": self.status}
        if self.delta is not None:
            out.update(self.delta.to_dict())
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class Divergence:
    layer: str
    module: str
    kind: str
    max_abs: float
    max_rel: float
    reason: str
    also: list[str] = field(default_factory=list)  # later layers that diverge too

    def to_dict(self) -> dict[str, Any]:
        return {"layer": self.layer, "module": self.module, "kind": self.kind, "max_abs": self.max_abs,
                "max_rel": self.max_rel, "reason": self.reason, "also": self.also}


def _prefer_first(record: KerasCall, array: np.ndarray) -> bool:
    return array.ndim >= 4 or (array.ndim == 3 and record.kind in CHANNELS_FIRST_1D)


def _first_array(value: Any) -> np.ndarray | None:
    while isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, np.ndarray) else None


def _key(value: np.ndarray) -> tuple[Any, ...]:
    return (value.shape, value.dtype.str, hashlib.blake2b(np.ascontiguousarray(value).tobytes(), digest_size=16).digest())


class _Producers:
    """Which call made a value: Keras passes tensors on unchanged, so equal bytes find the edge.
    Each output is hashed once (a deep model has hundreds of calls and large activations)."""

    def __init__(self, records: list[KerasCall]) -> None:
        self._made: dict[tuple[Any, ...], list[int]] = {}
        for index, record in enumerate(records):
            out = _first_array(record.output)
            if out is not None:
                self._made.setdefault(_key(out), []).append(index)

    def before(self, index: int, value: np.ndarray) -> int | None:
        """The latest call before ``index`` whose output is ``value``."""
        made = [j for j in self._made.get(_key(value), []) if j < index]
        return made[-1] if made else None


def walk(records: list[KerasCall], torch_calls: TorchCalls, modules: dict[str, Any], atol: float, rtol: float) -> tuple[list[LayerCheck], Divergence | None]:
    checks: list[LayerCheck] = []
    producers = _Producers(records)
    found: list[tuple[int, Divergence]] = []  # (index of the blamed call, divergence)
    flatten_shapes: list[tuple[int, ...]] = []

    for i, record in enumerate(records):
        leaf = record.leaf
        check = LayerCheck(leaf.name, leaf.attr, record.kind, record.index, NO_MODULE)
        checks.append(check)
        if record.kind == "Flatten" and record.inputs and getattr(record.inputs[0], "ndim", 0) >= 3:
            flatten_shapes.append(tuple(record.inputs[0].shape[1:]))
        if leaf.attr not in modules:
            check.note = "runs as code in forward; checked where a module reads its output"
            continue
        calls = torch_calls.calls.get(leaf.attr, [])
        if record.index >= len(calls):
            check.status = NOT_CALLED
            check.note = f"module {leaf.attr} ran {len(calls)} time(s), Keras called the layer {record.index + 1}"
            if record.leaf.layer.weights:
                found.append((i, Divergence(leaf.name, leaf.attr, record.kind, float("nan"), float("nan"),
                                            f"the module {leaf.attr} is not called where Keras calls {leaf.name}")))
            continue
        torch_inputs, torch_output = calls[record.index]
        if record.kind == "Bidirectional":
            torch_output = _merged_directions(torch_output, getattr(record.leaf.layer, "merge_mode", "concat"))

        # Input: made by an earlier call that matched?
        keras_input = _first_array(record.inputs[0]) if record.inputs else None
        if keras_input is not None and torch_inputs and hasattr(torch_inputs[0], "shape"):
            got = compare(keras_input, torch_inputs[0], atol, rtol, _prefer_first(record, keras_input), flatten_shapes)
            if got is None or not got.ok:
                fault = _input_fault(records, checks, producers, i, keras_input, got)
                if fault is not None:
                    found.append(fault)

        # Output.
        expected = _first_array(record.output)
        if expected is None:
            check.status, check.note = OK, "no tensor output to compare"
            continue
        after = compare(expected, torch_output, atol, rtol, _prefer_first(record, expected), flatten_shapes)
        before = None
        if record.before_activation is not None:
            before = compare(record.before_activation, torch_output, atol, rtol, _prefer_first(record, expected), flatten_shapes)
        if after is not None and after.ok:
            check.status, check.delta = OK, after
        elif before is not None and before.ok:
            check.status, check.delta = OK_BEFORE, before
            check.note = f"the module's output is the value before {record.activation}; forward applies it"
        else:
            check.status = DIVERGED
            measured = [d for d in (after, before) if d is not None]
            if not measured:
                shapes = [tuple(getattr(t, "shape", ())) for t in _tensors(torch_output)]
                check.note = f"no reading of the module's output {shapes} has the Keras shape {tuple(expected.shape)}"
                found.append((i, Divergence(leaf.name, leaf.attr, record.kind, float("nan"), float("nan"), check.note)))
                continue
            check.delta = min(measured, key=lambda d: d.max_abs)
            found.append((i, Divergence(leaf.name, leaf.attr, record.kind, check.delta.max_abs, check.delta.max_rel,
                                        _output_reason(record, check.delta))))

    if not found:
        return checks, None
    found.sort(key=lambda item: item[0])
    first = found[0][1]
    first.also = list(dict.fromkeys(d.layer for _, d in found[1:] if d.layer != first.layer))
    return checks, first


def _merged_directions(value: Any, merge_mode: str | None) -> list[Any]:
    """A bidirectional nn.LSTM/nn.GRU's output as Keras's Bidirectional gives it: the forward and
    backward halves merged (concat, sum, mul, ave) — of the sequence output (N, L, 2H), and of
    the final states h_n (2·layers, N, H), the backward direction's final state being its last."""
    import torch

    def merge(forward: Any, backward: Any) -> Any:
        if merge_mode == "sum":
            return forward + backward
        if merge_mode == "mul":
            return forward * backward
        if merge_mode == "ave":
            return (forward + backward) / 2
        return torch.cat([forward, backward], dim=-1)

    views = []
    for tensor in _tensors(value):
        if tensor.ndim == 3 and tensor.shape[-1] % 2 == 0:  # (N, L, 2H)
            half = tensor.shape[-1] // 2
            views.append(merge(tensor[..., :half], tensor[..., half:]))
        if tensor.ndim == 3 and tensor.shape[0] >= 2 and tensor.shape[0] % 2 == 0:  # h_n
            views.append(merge(tensor[-2], tensor[-1]))
    return views + _tensors(value)


def _tensors(value: Any) -> list[Any]:
    from .align import tensors

    return tensors(value)


def _output_reason(record: KerasCall, delta: Delta) -> str:
    reason = f"output differs (max |Δ| {delta.max_abs:.3g}, read {delta.reading})"
    if record.kind in ("BatchNormalization", "LayerNormalization", "GroupNormalization"):
        reason += "; check eps and momentum against the Keras layer"
    elif record.kind in ("LSTM", "GRU", "SimpleRNN", "Bidirectional"):
        reason += "; check the gate order and the bias of the recurrent weights"
    elif record.kind in ("Dense", "EinsumDense") or record.kind.startswith(("Conv", "Depthwise", "Separable")):
        reason += "; check the kernel layout (transposed?) and padding"
    return reason


def _input_fault(records: list[KerasCall], checks: list[LayerCheck], producers: _Producers, i: int, keras_input: np.ndarray, got: Delta | None) -> tuple[int, Divergence] | None:
    """Blame for an input of call ``i`` that differs: the first unverified step on the path from
    the last calls whose outputs matched; else the reader itself. None when an earlier
    divergence explains it."""
    reader = records[i]
    blamed = _blame(records, checks, producers, i, keras_input, f"{reader.leaf.name} reads", got)
    if blamed == CONSEQUENCE:
        return None
    if blamed is not None:
        return blamed  # type: ignore[return-value]
    max_abs, max_rel = _sizes(got)
    j = producers.before(i, keras_input)
    if j is None:
        reason = f"the model input as {reader.leaf.name} reads it differs (max |Δ| {max_abs:.3g}): check the input layout"
    else:
        reason = (f"its input differs from the output of {records[j].leaf.name}, which matched (max |Δ| {max_abs:.3g}): "
                  "forward changes the value between them")
    return i, Divergence(reader.leaf.name, reader.leaf.attr, reader.kind, max_abs, max_rel, reason)


def output_fault(records: list[KerasCall], checks: list[LayerCheck], name: str, expected: np.ndarray, got: Delta | None) -> Divergence | None:
    """For a model output that differs while every layer with a module matched: the step after
    the last of them — a fused activation (softmax on the last Dense, say) or code in forward."""
    producers = _Producers(records)
    blamed = _blame(records, checks, producers, len(records), expected, f"the module returns as output {name}", got)
    if blamed == CONSEQUENCE:
        return None
    if blamed is not None:
        return blamed[1]  # type: ignore[index]
    j = producers.before(len(records), expected)
    if j is None:
        return None
    max_abs, max_rel = _sizes(got)
    record = records[j]
    reason = (f"the module's output {name} differs from what {record.leaf.name} made, which matched "
              f"(max |Δ| {max_abs:.3g}): forward changes the value after it")
    return Divergence(record.leaf.name, record.leaf.attr, record.kind, max_abs, max_rel, reason)


def _sizes(got: Delta | None) -> tuple[float, float]:
    return (got.max_abs, got.max_rel) if got is not None else (float("nan"), float("nan"))


CONSEQUENCE = "consequence"  # _blame's answer when an earlier divergence explains the value


def _arrays_in(value: Any) -> list[np.ndarray]:
    if isinstance(value, list):
        return [a for item in value for a in _arrays_in(item)]
    return [value] if isinstance(value, np.ndarray) else []


def _blame(records: list[KerasCall], checks: list[LayerCheck], producers: _Producers, before: int, value: np.ndarray, reader: str,
           got: Delta | None) -> tuple[int, Divergence] | str | None:
    """Who made the value that ``reader`` (a phrase: "dense_1 reads") gets differently.

    Walks back from the Keras value through the layers that have no module — every branch of
    a merge (Add, Concatenate) — to the first calls that have one. If one of those already
    diverged, that explains it: CONSEQUENCE. Else the first unverified step takes the blame: a
    fused activation no module saw (the call matched only before it), or the earliest
    module-less layer on the way. None when the path holds neither."""
    max_abs, max_rel = _sizes(got)
    codeless: set[int] = set()
    frontier: set[int] = set()
    stack = [j for j in [producers.before(before, value)] if j is not None]
    while stack:
        j = stack.pop()
        if j in codeless or j in frontier:
            continue
        if checks[j].status != NO_MODULE:
            frontier.add(j)
            continue
        codeless.add(j)
        for array in _arrays_in(records[j].inputs):
            k = producers.before(j, array)
            if k is not None:
                stack.append(k)
    if any(checks[j].status in (DIVERGED, NOT_CALLED) for j in frontier):
        return CONSEQUENCE
    before_activation = sorted(j for j in frontier if checks[j].status == OK_BEFORE)
    if before_activation:
        j = before_activation[0]
        blamed = records[j]
        through = [records[k].leaf.name for k in sorted(codeless) if k > j]
        via = f" (through {', '.join(through)})" if through else ""
        reason = (f"output matches before its {blamed.activation} activation but not after: {reader} "
                  f"a different value{via} (max |Δ| {max_abs:.3g}); the activation is missing or different in forward")
        return j, Divergence(blamed.leaf.name, blamed.leaf.attr, blamed.kind, max_abs, max_rel, reason)
    if codeless:
        k = min(codeless)  # the earliest module-less step
        blamed = records[k]
        reason = f"{blamed.kind} runs as code in forward, and {reader} a different value from it (max |Δ| {max_abs:.3g})"
        return k, Divergence(blamed.leaf.name, blamed.leaf.attr, blamed.kind, max_abs, max_rel, reason)
    return None
