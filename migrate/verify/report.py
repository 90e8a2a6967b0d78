"""What ``migrate verify`` found: per-output equivalence (four-way), the first divergent layer,
the training check and the speed table — as text for a CI log, a dict for JSON, JUnit XML."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

from .align import Delta
from .divergence import Divergence, LayerCheck

REFERENCES = ("onnxruntime", "onnx2torch")
SCHEMA = "migrate.verify/1"  # docs/schemas/verify.schema.json; bump when a field is removed or retyped


@dataclass
class OutputCheck:
    name: str
    shape: tuple[int, ...]
    migrated: Delta | None  # None: no reading of the module's output has the Keras shape
    references: dict[str, Delta | str] = field(default_factory=dict)  # "onnxruntime" → Delta, or why it did not run
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.migrated is not None and self.migrated.ok

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "shape": list(self.shape), "ok": self.ok,
                               "migrated": self.migrated.to_dict() if self.migrated else None}
        out["references"] = {k: v.to_dict() if isinstance(v, Delta) else {"error": v} for k, v in self.references.items()}
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class TrainingCheck:
    steps: int
    optimizer: str  # the Keras side, as configured
    torch_optimizer: str
    loss: str
    keras_losses: list[float] = field(default_factory=list)
    torch_losses: list[float] = field(default_factory=list)
    parameters: dict[str, float] = field(default_factory=dict)  # torch name → max |Δ| after training
    buffers: dict[str, float] = field(default_factory=dict)  # running statistics: reported, not judged
    tolerance: float = 1e-4
    notes: list[str] = field(default_factory=list)
    skipped: str = ""
    error: str = ""  # a side could not train: a failure, not a skip

    @property
    def max_loss_delta(self) -> float:
        # the sides can have run different numbers of steps when one failed (``error``)
        return max((abs(a - b) for a, b in zip(self.keras_losses, self.torch_losses, strict=False)), default=0.0)

    @property
    def worst_parameter(self) -> tuple[str, float] | None:
        return max(self.parameters.items(), key=lambda kv: kv[1]) if self.parameters else None

    @property
    def ok(self) -> bool:
        if self.error:
            return False
        if self.skipped:
            return True
        worst = self.worst_parameter
        losses_ok = all(
            abs(a - b) <= self.tolerance * max(1.0, abs(a)) for a, b in zip(self.keras_losses, self.torch_losses, strict=True)
        )
        return losses_ok and (worst is None or worst[1] <= self.tolerance)

    def to_dict(self) -> dict[str, Any]:
        worst = self.worst_parameter
        return {
            "ok": self.ok, "skipped": self.skipped or None, "error": self.error or None, "steps": self.steps, "optimizer": self.optimizer,
            "torch_optimizer": self.torch_optimizer, "loss": self.loss, "keras_losses": self.keras_losses,
            "torch_losses": self.torch_losses, "max_loss_delta": self.max_loss_delta, "tolerance": self.tolerance,
            "parameters": self.parameters, "buffers": self.buffers, "worst_parameter": {"name": worst[0], "max_abs": worst[1]} if worst else None,
            "notes": self.notes,
        }


@dataclass
class Report:
    model: str
    module: str
    batch: int
    data: str
    atol: float
    rtol: float
    outputs: list[OutputCheck]
    layers: list[LayerCheck]
    divergence: Divergence | None
    training: TrainingCheck | None = None
    speed: Any = None  # migrate.verify.speed.SpeedTable, when asked for
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outputs) and self.divergence is None and (self.training is None or self.training.ok)

    def failures(self) -> list[str]:
        """One line per thing that does not match (empty when ``ok``)."""
        lines = [f"output {o.name}: {_delta_text(o.migrated)}" for o in self.outputs if not o.ok]
        if self.divergence is not None:
            d = self.divergence
            lines.append(f"first divergent layer {d.layer} (module {d.module}, {d.kind}): {d.reason}")
        if self.training is not None and not self.training.ok:
            t = self.training
            worst = t.worst_parameter
            if t.error:
                lines.append(f"training: {t.error}")
                return lines
            lines.append(f"training: max loss Δ {t.max_loss_delta:.3g}" + (f", worst parameter {worst[0]} max |Δ| {worst[1]:.3g}" if worst else "")
                         + f" (tolerance {t.tolerance:g})")
        return lines

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; a value that could not be measured (NaN, inf) is None."""
        from migrate import __version__

        return _finite({
            "schema": SCHEMA,
            "tool": {"name": "migrate", "version": __version__},
            "ok": self.ok,
            "model": self.model,
            "module": self.module,
            "batch": self.batch,
            "data": self.data,
            "atol": self.atol,
            "rtol": self.rtol,
            "outputs": [o.to_dict() for o in self.outputs],
            "divergence": self.divergence.to_dict() if self.divergence else None,
            "layers": [c.to_dict() for c in self.layers],
            "training": self.training.to_dict() if self.training else None,
            "speed": self.speed.to_dict() if self.speed is not None else None,
            "failures": self.failures(),
            "notes": self.notes,
        })

    def render(self) -> str:
        lines = [f"migrate verify: Keras {self.model} vs {self.module}",
                 f"batch {self.batch} ({self.data}); pass when |Δ| ≤ {self.atol:g} + {self.rtol:g}·|keras| everywhere", ""]
        header = f"{'output':<20} {'shape':<18} {'migrated max|Δ|':>16} {'rel':>9} {'onnxruntime':>12} {'onnx2torch':>12}  result"
        lines += [header, "-" * len(header)]
        for o in self.outputs:
            refs = [_ref_cell(o.references.get(name)) for name in REFERENCES]
            migrated = o.migrated
            lines.append(f"{o.name[:20]:<20} {str(o.shape)[:18]:<18} {_num(migrated.max_abs if migrated else math.nan):>16} "
                         f"{_num(migrated.max_rel if migrated else math.nan):>9} {refs[0]:>12} {refs[1]:>12}  {'ok' if o.ok else 'MISMATCH'}")
            if o.note:
                lines.append(f"  {o.note}")
        for o in self.outputs:
            for name in REFERENCES:
                ref = o.references.get(name)
                if isinstance(ref, str):
                    lines.append(f"  {name}: {ref}")
            break
        hint = _four_way_hint(self.outputs)
        if hint:
            lines.append(hint)
        if self.divergence is not None:
            d = self.divergence
            lines += ["", f"first divergent layer: {d.layer} (module {d.module}, {d.kind})",
                      f"  {d.reason}", f"  max |Δ| {_num(d.max_abs)}, rel {_num(d.max_rel)}"]
            if d.also:
                shown = ", ".join(d.also[:6]) + (f" and {len(d.also) - 6} more" if len(d.also) > 6 else "")
                lines.append(f"  diverging after it: {shown}")
            lines += ["", "layers (execution order):"]
            for c in self.layers:
                delta = f"max|Δ| {_num(c.delta.max_abs)}" if c.delta else ""
                lines.append(f"  {c.layer[:28]:<28} {c.kind[:20]:<20} {c.status:<22} {delta}")
        if self.training is not None:
            lines += [""] + _training_lines(self.training)
        if self.speed is not None:
            lines += ["", self.speed.render().rstrip("\n")]
        for note in self.notes:
            lines.append(f"note: {note}")
        lines += ["", "result: EQUIVALENT" if self.ok else "result: MISMATCH"]
        lines += [f"  {line}" for line in self.failures()]
        return "\n".join(lines) + "\n"

    def to_junit(self) -> str:
        """JUnit XML: a test case per output, one for the layer walk, one for training."""
        suite = ET.Element("testsuite", name="migrate verify", timestamp="", hostname="")
        cases = 0
        failures = 0

        def case(name: str, failure: str | None, detail: str = "") -> None:
            nonlocal cases, failures
            cases += 1
            element = ET.SubElement(suite, "testcase", classname=f"migrate.verify.{self.module}", name=name)
            if failure is not None:
                failures += 1
                ET.SubElement(element, "failure", message=failure).text = detail or failure
            elif detail:
                ET.SubElement(element, "system-out").text = detail

        for o in self.outputs:
            case(f"output {o.name}", None if o.ok else f"output {o.name}: {_delta_text(o.migrated)}", _delta_text(o.migrated))
        d = self.divergence
        case("layers", None if d is None else f"first divergent layer {d.layer}: {d.reason}")
        if self.training is not None:
            t = self.training
            text = "\n".join(_training_lines(t))
            if t.skipped:
                element = ET.SubElement(suite, "testcase", classname=f"migrate.verify.{self.module}", name="training")
                ET.SubElement(element, "skipped", message=t.skipped)
                cases += 1
            else:
                case("training", None if t.ok else self.failures()[-1], text)
        suite.set("tests", str(cases))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.attrib.pop("timestamp")
        suite.attrib.pop("hostname")
        return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _four_way_hint(outputs: list[OutputCheck]) -> str:
    """Where the four-way columns point when an output differs."""
    bad = [o for o in outputs if not o.ok]
    if not bad:
        return ""
    ort = [o.references.get("onnxruntime") for o in bad]
    if all(isinstance(r, Delta) and r.ok for r in ort):
        return "ONNX Runtime on the export matches Keras: the difference is in the migrated module or its weights"
    if all(isinstance(r, Delta) and not r.ok for r in ort):
        return "ONNX Runtime on the export differs from Keras too: suspect the export (tf2onnx) or an op that differs by design"
    return ""


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _num(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2e}"


def _ref_cell(ref: Delta | str | None) -> str:
    if ref is None:
        return "-"
    if isinstance(ref, str):
        return "n/a"
    return _num(ref.max_abs)


def _delta_text(delta: Delta | None) -> str:
    if delta is None:
        return "no reading of the module's output has the Keras shape"
    return f"max |Δ| {delta.max_abs:.3g}, rel {delta.max_rel:.3g} ({'within' if delta.ok else 'outside'} tolerance, read {delta.reading})"


def _training_lines(t: TrainingCheck) -> list[str]:
    if t.skipped:
        return [f"training check: skipped: {t.skipped}"]
    if t.error:
        return [f"training check: FAILED: {t.error}"]
    lines = [f"training check: {t.steps} steps, {t.optimizer} ↔ {t.torch_optimizer}, loss {t.loss}"]
    lines.append(f"  {'step':>4} {'keras loss':>14} {'torch loss':>14} {'|Δ|':>10}")
    for step, (a, b) in enumerate(zip(t.keras_losses, t.torch_losses, strict=True), 1):
        lines.append(f"  {step:>4} {a:>14.8g} {b:>14.8g} {abs(a - b):>10.2e}")
    worst = t.worst_parameter
    if worst:
        lines.append(f"  parameters after training: worst {worst[0]} max |Δ| {worst[1]:.2e} (tolerance {t.tolerance:g})")
    if t.buffers:
        name, value = max(t.buffers.items(), key=lambda kv: kv[1])
        lines.append(f"  buffers after training: worst {name} max |Δ| {value:.2e} (reported, not judged)")
    lines += [f"  note: {note}" for note in t.notes]
    lines.append(f"  training: {'ok' if t.ok else 'MISMATCH'}")
    return lines
