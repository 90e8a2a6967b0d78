"""``migrate check`` output in the forms CI systems read natively.

- ``text``: summary, then ``path:line:col: RULE message`` per new finding, then the fix.
- ``github``: workflow commands (``::error file=…,line=…``) that GitHub Actions turns into
  annotations on the pull request's diff, then the text summary.
- ``sarif``: SARIF 2.1.0 for GitHub code scanning and other viewers. Baselined findings are
  included as suppressed results with ``baselineState: unchanged``; new ones are ``new``.
- ``junit``: JUnit XML, one test case per file, failing with its new findings.
"""

from __future__ import annotations

import json
from functools import lru_cache
from xml.etree import ElementTree as ET

from migrate import __version__
from migrate.gate.check import CHANGED, DRIFT, CheckResult, GateFinding

FORMATS = ("text", "sarif", "junit", "github")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT = "migrate/line/v1"
_GATE_RULES = {
    CHANGED: "`migrate convert` would change the file (its imports) although no TF/Keras site is left.",
    DRIFT: "A file of a migrated tree differs from what `migrate convert` produces from its source.",
}


def render(result: CheckResult, fmt: str, limit: int = 200) -> str:
    return {"text": text, "github": github, "sarif": sarif, "junit": junit}[fmt](result, limit)


# -- text ---------------------------------------------------------------------------------


def text(result: CheckResult, limit: int = 200) -> str:
    lines = [result.summary_line()]
    new = result.new
    lines += [f"{f.where}: {f.rule} {f.message}" for f in new[:limit]]
    if len(new) > limit:
        lines.append(f"… {len(new) - limit} more (write them all with --format sarif or junit --output FILE)")
    lines += [f"{path}: error: {why}" for path, why in result.errors]
    lines += _advice(result)
    return "\n".join(lines) + "\n"


def _advice(result: CheckResult) -> list[str]:
    new = result.new
    if not new:
        return []
    if result.drift_check:
        return ["fix: regenerate the migrated tree with `migrate convert SRC -o OUT`"]
    paths = sorted({f.path for f in new if f.outcome in ("rewritten", "changed")})
    advice = []
    if paths:
        shown = " ".join(paths[:5]) + (" …" if len(paths) > 5 else "")
        advice.append(f"fix: `migrate convert {shown} --in-place` rewrites what the rules can")
    if any(f.outcome == "todo" for f in new):
        advice.append("fix: TODO sites need a hand migration; `migrate rules RULE` explains each rule")
    advice.append("known findings can be accepted with `--baseline FILE --write-baseline`")
    return advice


# -- GitHub Actions workflow commands -----------------------------------------------------


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(result: CheckResult, limit: int = 200) -> str:
    lines = []
    for f in result.new:
        props = f"file={_escape_property(f.key_path)},line={f.line},col={f.col + 1},title={_escape_property('migrate ' + f.rule)}"
        message = f.message + (f" (cell {f.cell})" if f.cell is not None else "")
        lines.append(f"::error {props}::{_escape_data(message)}")
    for path, why in result.errors:
        lines.append(f"::error file={_escape_property(path)},title=migrate error::{_escape_data(why)}")
    return "\n".join(lines + [text(result, limit).rstrip("\n")]) + "\n"


# -- SARIF 2.1.0 --------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _rule_summary(rule_id: str) -> str:
    if rule_id in _GATE_RULES:
        return _GATE_RULES[rule_id]
    from migrate.rules import default_registry

    rule = default_registry().get(rule_id)
    return rule.summary.strip() if rule is not None else rule_id


def sarif(result: CheckResult, limit: int = 0) -> str:  # noqa: ARG001 (every finding goes in)
    rule_ids = sorted({f.rule for f in result.findings})
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    rules = [
        {
            "id": rule_id,
            "name": rule_id.replace(".", "_"),
            "shortDescription": {"text": _rule_summary(rule_id)},
            "help": {
                "text": f"{_rule_summary(rule_id)} `migrate rules {rule_id}` explains it; docs/rules/{rule_id}.md.",
            },
            "defaultConfiguration": {"level": "error"},
        }
        for rule_id in rule_ids
    ]
    results = [_sarif_result(f, index[f.rule]) for f in result.findings]
    notifications = [
        {
            "level": "error",
            "message": {"text": why},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(path)}}}],
        }
        for path, why in result.errors
    ]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "migrate",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": "migrate-check/"},
                "invocations": [
                    {
                        "executionSuccessful": not result.errors,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _uri(path: str) -> str:
    from urllib.parse import quote

    return quote(path.replace("\\", "/"), safe="/")


def _sarif_result(f: GateFinding, rule_index: int) -> dict:
    message = f.message + (f" (notebook cell {f.cell})" if f.cell is not None else "")
    location = {
        "physicalLocation": {
            "artifactLocation": {"uri": _uri(f.key_path), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": f.line, "startColumn": f.col + 1},
        }
    }
    if f.key_path.startswith("/"):  # outside the project root: an absolute file URI
        location["physicalLocation"]["artifactLocation"] = {"uri": "file://" + _uri(f.key_path)}
    out = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": "note" if f.baselined else "error",
        "message": {"text": message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: f"{f.rule}:{f.api}:{f.fingerprint}"},
        "baselineState": "unchanged" if f.baselined else "new",
    }
    if f.baselined:
        out["suppressions"] = [{"kind": "external", "justification": "recorded in the migrate baseline"}]
    return out


# -- JUnit XML ----------------------------------------------------------------------------


def junit(result: CheckResult, limit: int = 0) -> str:  # noqa: ARG001
    by_file: dict[str, list[GateFinding]] = {}
    for f in result.findings:
        by_file.setdefault(f.path, []).append(f)
    errors = dict(result.errors)
    names = sorted(set(by_file) | set(errors))
    failed = sum(1 for name in names if name not in errors and any(not f.baselined for f in by_file.get(name, [])))
    clean = max(0, result.files - len(names))  # files without findings: one case for them all
    suite = ET.Element(
        "testsuite",
        name="migrate check",
        tests=str(len(names) + (1 if clean else 0)),
        failures=str(failed),
        errors=str(len(errors)),
        skipped="0",
        time="0",
    )
    for name in names:
        case = ET.SubElement(suite, "testcase", classname="migrate.check", name=name, time="0")
        if name in errors:
            ET.SubElement(case, "error", message=errors[name], type="error").text = errors[name]
            continue
        new = [f for f in by_file.get(name, []) if not f.baselined]
        if new:
            summary = f"{len(new)} new finding{'s' if len(new) != 1 else ''}"
            failure = ET.SubElement(case, "failure", message=summary, type=new[0].rule)
            failure.text = "\n".join(f"{f.where}: {f.rule} {f.message}" for f in new)
        known = [f for f in by_file.get(name, []) if f.baselined]
        if known:
            ET.SubElement(case, "system-out").text = "\n".join(f"{f.where}: {f.rule} (baseline)" for f in known)
    if clean:
        ET.SubElement(suite, "testcase", classname="migrate.check", name=f"{clean} other files: no TF/Keras code", time="0")
    suites = ET.Element("testsuites", name="migrate", tests=suite.get("tests"), failures=str(failed), errors=str(len(errors)))
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
