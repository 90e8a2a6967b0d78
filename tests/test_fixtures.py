"""Golden tests: every fixtures/<rule or case>/before.py migrates to exactly after.py.

To add or refresh a golden file after a deliberate change, run
`python -m pytest tests/test_fixtures.py --update-goldens` and read the diff.
"""

from __future__ import annotations

import ast

import pytest

from migrate.codemod import migrate_source
from migrate.rules import default_registry

from .conftest import FIXTURES

CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "before.py").exists())


@pytest.mark.parametrize("case", CASES)
def test_before_migrates_to_after(case: str, request: pytest.FixtureRequest) -> None:
    before = (FIXTURES / case / "before.py").read_text(encoding="utf-8")
    result = migrate_source(before, f"fixtures/{case}/before.py")
    assert result.error is None
    golden = FIXTURES / case / "after.py"
    if request.config.getoption("--update-goldens"):
        golden.write_text(result.output, encoding="utf-8")
    assert result.output == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_after_is_valid_and_final(case: str) -> None:
    after = (FIXTURES / case / "after.py").read_text(encoding="utf-8")
    ast.parse(after)
    again = migrate_source(after)
    assert again.error is None
    assert again.output == after, "a second run must change nothing"


@pytest.mark.parametrize("rule", default_registry().ids())
def test_every_rule_has_a_fixture_that_exercises_it(rule: str) -> None:
    before = FIXTURES / rule / "before.py"
    assert before.exists(), f"rule {rule} has no fixtures/{rule}/before.py"
    result = migrate_source(before.read_text(encoding="utf-8"))
    assert any(f.rule == rule for f in result.findings), f"fixtures/{rule} never reaches rule {rule}"


def test_fixture_directories_name_a_rule_or_a_case() -> None:
    ids = set(default_registry().ids())
    strays = [c for c in CASES if c not in ids and not c.startswith("case.")]
    assert not strays, f"fixtures that name no rule (rename to case.<name> or fix the id): {strays}"
