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


def _producer(records: list[KerasCall], before: int, value: np.ndarray) -> int | None:
    """The latest call before ``before`` whose output is ``value`` (Keras passes tensors on
    unchanged, so equality of values finds the edge)."""
    for j in range(before - 1, -1, -1):
        out = _first_array(records[j].output)
        if out is not None and out.shape == value.shape and np.array_equal(out, value):
            return j
    return None


def walk(records: list[KerasCall], torch_calls: TorchCalls, modules: dict[str, Any], atol: float, rtol: float) -> tuple[list[LayerCheck], Divergence | None]:
    checks: list[LayerCheck] = []
    found: list[tuple[int, Divergence]] = []  # (index of the blamed call, divergence)
    flatten_shapes: list[tuple[int, ...]] = []

    for i, record in enumerate(records):
        leaf = record.leaf
        check = LayerCheck(leaf.name, leaf.attr, record.kind, record.index, NO_MODULE)
        checks.append(check)
        if record.kind == "Flatten" and record.inputs and record.inputs[0].ndim >= 3:
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
        if record.inputs and torch_inputs and hasattr(torch_inputs[0], "shape"):
            keras_input = record.inputs[0]
            got = compare(keras_input, torch_inputs[0], atol, rtol, _prefer_first(record, keras_input), flatten_shapes)
            if got is None or not got.ok:
                found.append(_input_fault(records, checks, i, keras_input, got))

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


def _input_fault(records: list[KerasCall], checks: list[LayerCheck], i: int, keras_input: np.ndarray, got: Delta | None) -> tuple[int, Divergence]:
    """Blame for an input of call ``i`` that differs: the first unverified step on the path from
    the last call whose output matched; else the reader itself."""
    reader = records[i]
    blamed = _blame(records, checks, i, keras_input, f"{reader.leaf.name} reads", got)
    if blamed is not None:
        return blamed
    max_abs, max_rel = _sizes(got)
    j = _producer(records, i, keras_input)
    if j is None:
        reason = f"the model input as {reader.leaf.name} reads it differs (max |Δ| {max_abs:.3g}): check the input layout"
    else:
        reason = (f"its input differs from the output of {records[j].leaf.name}, which matched (max |Δ| {max_abs:.3g}): "
                  "forward changes the value between them")
    return i, Divergence(reader.leaf.name, reader.leaf.attr, reader.kind, max_abs, max_rel, reason)


def output_fault(records: list[KerasCall], checks: list[LayerCheck], name: str, expected: np.ndarray, got: Delta | None) -> Divergence | None:
    """For a model output that differs while every layer with a module matched: the step after
    the last of them — a fused activation (softmax on the last Dense, say) or code in forward."""
    blamed = _blame(records, checks, len(records), expected, f"the module returns as output {name}", got)
    if blamed is not None:
        return blamed[1]
    j = _producer(records, len(records), expected)
    if j is None:
        return None
    max_abs, max_rel = _sizes(got)
    record = records[j]
    reason = (f"the module's output {name} differs from what {record.leaf.name} made, which matched "
              f"(max |Δ| {max_abs:.3g}): forward changes the value after it")
    return Divergence(record.leaf.name, record.leaf.attr, record.kind, max_abs, max_rel, reason)


def _sizes(got: Delta | None) -> tuple[float, float]:
    return (got.max_abs, got.max_rel) if got is not None else (float("nan"), float("nan"))


def _blame(records: list[KerasCall], checks: list[LayerCheck], before: int, value: np.ndarray, reader: str,
           got: Delta | None) -> tuple[int, Divergence] | None:
    """Walk back from the Keras value that ``reader`` (a phrase: "dense_1 reads") a different value of, through layers that have no module, to the
    call that made it. A fused activation never seen by a module, or a module-less layer on the
    way, is the first unverified step: it takes the blame. None when neither is on the path."""
    max_abs, max_rel = _sizes(got)
    path: list[int] = []
    j = _producer(records, before, value)
    while j is not None and checks[j].status == NO_MODULE:
        path.append(j)
        inputs = records[j].inputs
        j = _producer(records, j, inputs[0]) if inputs else None
    if j is not None and checks[j].status == OK_BEFORE:
        blamed = records[j]
        through = f" (through {', '.join(records[k].leaf.name for k in reversed(path))})" if path else ""
        reason = (f"output matches before its {blamed.activation} activation but not after: {reader} "
                  f"a different value{through} (max |Δ| {max_abs:.3g}); the activation is missing or different in forward")
        return j, Divergence(blamed.leaf.name, blamed.leaf.attr, blamed.kind, max_abs, max_rel, reason)
    if path:
        k = path[-1]  # earliest module-less step
        blamed = records[k]
        reason = f"{blamed.kind} runs as code in forward, and {reader} a different value from it (max |Δ| {max_abs:.3g})"
        return k, Divergence(blamed.leaf.name, blamed.leaf.attr, blamed.kind, max_abs, max_rel, reason)
    return None
