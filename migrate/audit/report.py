"""The audit's verdict: per component, what the rules migrate, what is left, what stands in
the way, a rough effort figure and a recommendation; as Markdown (people) and JSON (tools).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from migrate import __version__
from migrate.audit.scan import Evidence, FileAudit
from migrate.audit.signals import BLOCKER, BY_ID, MULTI_BACKEND, WORK
from migrate.codemod.findings import Outcome, coverage

SCHEMA = "migrate.audit/1"

MIGRATE_NOW = "migrate now"
MIGRATE_WITH_WORK = "migrate with work"
KEEP_ON_TF = "keep on TF"
SWITCH_BACKEND = "switch the Keras backend (no migration)"
NOTHING = "nothing to migrate"

#: A rough cost model, stated in the report: hours per TODO left, per changed file (review),
#: per kind of work signal, and per kind of blocker.
HOURS = {"todo": 0.1, "file": 0.25, WORK: 4.0, BLOCKER: 16.0}
#: Below this share of sites rewritten, a component needs hand work whatever its signals.
COVERAGE_FOR_NOW = 80.0


@dataclass
class Component:
    name: str
    files: list[FileAudit] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)  # from dependency files too

    @property
    def tf_files(self) -> list[FileAudit]:
        return [f for f in self.files if f.uses_tf]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for f in self.files for x in f.result.findings if x.outcome is outcome)

    @property
    def sites(self) -> int:
        return sum(len(f.result.findings) for f in self.files)

    def coverage(self) -> float:
        return coverage(self.count(Outcome.REWRITTEN), self.sites - self.count(Outcome.IGNORED))

    def all_evidence(self) -> list[Evidence]:
        return self.evidence + [e for f in self.files for e in f.evidence]

    def signals(self) -> dict[str, list[Evidence]]:
        grouped: dict[str, list[Evidence]] = {}
        for item in sorted(self.all_evidence(), key=lambda e: (e.path, e.line)):
            grouped.setdefault(item.signal, []).append(item)
        return grouped

    def todo_by_family(self) -> Counter[str]:
        """TODOs by rule family; `unmapped` ones by the API's namespace (what a new rule would cover)."""
        families: Counter[str] = Counter()
        for f in self.files:
            for x in f.result.findings:
                if x.outcome is not Outcome.TODO:
                    continue
                if x.rule == "unmapped":
                    families["unmapped: " + ".".join(x.api.split(".")[:2])] += 1
                else:
                    families[x.rule.split(".", 1)[0]] += 1
        return families

    def recommendation(self) -> tuple[str, list[str]]:
        signals = self.signals()
        blockers = [BY_ID[s].title for s in signals if BY_ID[s].weight == BLOCKER]
        work = [BY_ID[s].title for s in signals if BY_ID[s].weight == WORK]
        tf_files = self.tf_files
        if not tf_files and not blockers:
            return NOTHING, ["no TensorFlow or Keras code"]
        if blockers:
            return KEEP_ON_TF, [f"{', '.join(blockers)}: keep this component on TensorFlow, or stage it (migrate the rest first)"]
        multi = {e.path for e in signals.get(MULTI_BACKEND.id, [])}
        if tf_files and all(f.path in multi for f in tf_files):
            return SWITCH_BACKEND, [MULTI_BACKEND.why]
        reasons = [f"{t}" for t in work]
        cov = self.coverage()
        if cov < COVERAGE_FOR_NOW:
            reasons.append(f"the rules rewrite {cov:.1f}% of its TF/Keras sites (below {COVERAGE_FOR_NOW:.0f}%)")
        if reasons:
            return MIGRATE_WITH_WORK, reasons
        return MIGRATE_NOW, [f"the rules rewrite {cov:.1f}% of its TF/Keras sites and nothing blocks it"]

    def effort_hours(self) -> float:
        signals = self.signals()
        kinds = Counter(BY_ID[s].weight for s in signals)
        changed = sum(1 for f in self.files if f.result.changed)
        hours = (
            HOURS["todo"] * self.count(Outcome.TODO)
            + HOURS["file"] * changed
            + HOURS[WORK] * kinds[WORK]
            + HOURS[BLOCKER] * kinds[BLOCKER]
        )
        return round(hours, 1)


@dataclass
class Audit:
    roots: list[str]
    components: dict[str, Component] = field(default_factory=dict)
    dependencies: list[Evidence] = field(default_factory=list)  # the project's own dependency files
    errors: list[tuple[str, str]] = field(default_factory=list)

    def component(self, name: str) -> Component:
        return self.components.setdefault(name, Component(name))

    def add_file(self, audit: FileAudit) -> None:
        if audit.result.error:
            self.errors.append((audit.path, audit.result.error))
        self.component(audit.component).files.append(audit)

    def sorted_components(self) -> list[Component]:
        return [self.components[k] for k in sorted(self.components)]

    # -- JSON -----------------------------------------------------------------------------

    def to_json(self) -> dict:
        return {
            "schema": SCHEMA,
            "tool": {"name": "migrate", "version": __version__},
            "roots": self.roots,
            "cost_model_hours": HOURS,
            "components": [self._component_json(c) for c in self.sorted_components()],
            "dependencies": [
                {"signal": e.signal, "title": BY_ID[e.signal].title, "weight": BY_ID[e.signal].weight,
                 "counterpart": BY_ID[e.signal].counterpart, "path": e.path, "line": e.line, "text": e.text}
                for e in self.dependencies
            ],
            "errors": [{"path": p, "error": e} for p, e in self.errors],
        }

    def _component_json(self, c: Component) -> dict:
        verdict, reasons = c.recommendation()
        return {
            "name": c.name,
            "recommendation": verdict,
            "reasons": reasons,
            "files": len(c.files),
            "tf_files": len(c.tf_files),
            "sites": c.sites,
            "rewritten": c.count(Outcome.REWRITTEN),
            "todo": c.count(Outcome.TODO),
            "coverage": c.coverage(),
            "todo_by_family": dict(c.todo_by_family().most_common()),
            "effort_hours": c.effort_hours(),
            "signals": [
                {
                    "id": sid,
                    "title": BY_ID[sid].title,
                    "weight": BY_ID[sid].weight,
                    "why": BY_ID[sid].why,
                    "counterpart": BY_ID[sid].counterpart,
                    "evidence": [{"path": e.path, "line": e.line, "text": e.text} for e in items],
                }
                for sid, items in c.signals().items()
            ],
        }

    def json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"

    # -- Markdown -------------------------------------------------------------------------

    def markdown(self) -> str:
        components = self.sorted_components()
        out = ["# Migration audit", "", f"Scanned: {', '.join(f'`{r}`' for r in self.roots)}. Nothing was run: the code was only read.", ""]
        out += ["| component | recommendation | TF files | sites | rewritten | TODO | blockers / work | effort (h) |", "|---|---|---:|---:|---:|---:|---|---:|"]
        for c in components:
            verdict, _ = c.recommendation()
            signals = ", ".join(BY_ID[s].title for s in c.signals() if BY_ID[s].weight in (BLOCKER, WORK)) or "—"
            rewritten = f"{c.coverage():.1f}%" if c.sites else "—"
            out.append(
                f"| `{c.name}` | **{verdict}** | {len(c.tf_files)} | {c.sites} | {rewritten} | "
                f"{c.count(Outcome.TODO)} | {signals} | {c.effort_hours():g} |"
            )
        out += [
            "",
            f"Effort is a rough figure: {HOURS['todo']:g} h per TODO left, {HOURS['file']:g} h to review each "
            f"changed file, {HOURS[WORK]:g} h per kind of extra work and {HOURS[BLOCKER]:g} h per kind of blocker "
            "found in the component.",
            "",
        ]
        for c in components:
            verdict, reasons = c.recommendation()
            out += [f"## `{c.name}`: {verdict}", ""]
            out += [f"- {r}" for r in reasons] + [""]
            for sid, items in c.signals().items():
                signal = BY_ID[sid]
                out += [f"### {signal.title} ({signal.weight})", "", signal.why, "", f"PyTorch route: {signal.counterpart}.", ""]
                out += [f"- `{e.path}:{e.line}` `{e.text}`" for e in items[:20]]
                if len(items) > 20:
                    out.append(f"- … {len(items) - 20} more")
                out.append("")
            families = c.todo_by_family()
            if families:
                out += ["TODOs by family: " + ", ".join(f"{k} {n}" for k, n in families.most_common(12)), ""]
        if self.dependencies:
            out += ["## Project dependencies", "", "Named in the project's own dependency files; they concern every component.", ""]
            for e in self.dependencies:
                signal = BY_ID[e.signal]
                out.append(f"- `{e.path}:{e.line}` `{e.text}`: {signal.title} ({signal.weight}). {signal.why} PyTorch route: {signal.counterpart}.")
            out.append("")
        if self.errors:
            out += ["## Files that could not be read", ""] + [f"- `{p}`: {e}" for p, e in self.errors] + [""]
        return "\n".join(out)

    def summary_line(self) -> str:
        verdicts = Counter(c.recommendation()[0] for c in self.components.values())
        parts = [f"{n} {v}" for v, n in verdicts.most_common()]
        return f"migrate audit: {len(self.components)} components · " + " · ".join(parts)
