"""Rule documentation, generated from the rules themselves.

The "after" half of every example is produced by running the engine on the "before" half,
so a doc can never show a rewrite the tool does not make. ``python -m migrate.ruledocs
docs/rules`` writes one Markdown page per rule; a test fails when the pages are stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from migrate.codemod import migrate_source
from migrate.rules import default_registry
from migrate.rules.base import Rule

_DEFAULT_IMPORTS = "import tensorflow as tf\n\n"


def example_pair(rule: Rule) -> tuple[str, str]:
    before = rule.example.rstrip("\n") + "\n"
    if "import " not in before:
        before = _DEFAULT_IMPORTS + before
    result = migrate_source(before, f"<example of {rule.id}>")
    if result.error:
        raise ValueError(f"the example of rule {rule.id} does not migrate: {result.error}")
    return before, result.output


def check_lines(rule: Rule) -> list[str]:
    """One line per numeric check of the rule: what runs, on what, within what tolerance."""
    lines = []
    for check in rule.checks:
        code = " ".join(part.strip() for part in check.code.strip().splitlines())
        inputs = ", ".join(f"{name}: {spec}" for name, spec in check.inputs.items())
        if check.todo:
            verdict = "left as a TODO"
        elif check.compare == "shape":
            verdict = "same shape and dtype (random values)"
        else:
            verdict = f"equal (floats within atol {check.atol:g}, rtol {check.rtol:g})" + ("" if check.dtype else ", dtype not compared")
        lines.append(f"`{code}`" + (f" on {inputs}" if inputs else "") + f": {verdict}")
    return lines


def render_text(rule: Rule) -> str:
    before, after = example_pair(rule)
    indent = lambda text: "\n".join("    " + line if line else "" for line in text.rstrip("\n").split("\n"))  # noqa: E731
    checks = check_lines(rule)
    proven = ("Proven against TensorFlow by:\n\n" + "\n".join(f"  - {c}" for c in checks) + "\n") if checks else ""
    return (
        f"{rule.id}\n{'=' * len(rule.id)}\n\n{rule.summary}\n\n{rule.why}\n\n"
        f"Before:\n\n{indent(before)}\n\nAfter:\n\n{indent(after)}\n"
        + (f"\n{proven}" if proven else "")
    )


def render_markdown(rule: Rule) -> str:
    before, after = example_pair(rule)
    claims = ", ".join(f"`{name}`" for name in rule.claims()) or "(reported by the engine)"
    return (
        f"# `{rule.id}`\n\n{rule.summary}\n\n## Why\n\n{rule.why}\n\n"
        f"## Example\n\nBefore:\n\n```python\n{before}```\n\nAfter:\n\n```python\n{after}```\n\n"
        + _proven(rule)
        + f"## Matches\n\n{claims}\n\n"
        f"Fixture: `fixtures/{rule.id}/`. Silence with `--ignore {rule.id}`.\n"
    )


def _proven(rule: Rule) -> str:
    checks = check_lines(rule)
    if not checks:
        return ""
    items = "\n".join(f"- {c}" for c in checks)
    return (
        "## Proven by\n\nThese checks run the TF code with TensorFlow and the rewrite with torch on "
        f"the same random inputs (`tests/test_ops_numeric.py`):\n\n{items}\n\n"
    )


def render_index() -> str:
    rows = "\n".join(f"| [`{r.id}`]({r.id}.md) | {_cell(r.summary)} |" for r in default_registry())
    return f"# Rules\n\nGenerated from `rules/` by `python -m migrate.ruledocs docs/rules`.\n\n| rule | what it does |\n|---|---|\n{rows}\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def pages() -> dict[str, str]:
    result = {"index.md": render_index()}
    for rule in default_registry():
        result[f"{rule.id}.md"] = render_markdown(rule)
    return result


def main(directory: str) -> None:
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.glob("*.md"):
        stale.unlink()
    for name, text in pages().items():
        (target / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/rules")
