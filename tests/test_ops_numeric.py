"""Every row of the op table, proven numerically.

For each ``Check`` of each rule in an op-table module (``migrate.rules.OP_MODULES``): migrate
the TF code with the engine, run it with TensorFlow and the rewrite with torch on the same
inputs, and compare type, shape, dtype and values within the row's stated tolerance. A row
without a check fails here, so none can be added untested.
"""

from __future__ import annotations

import pytest

from migrate.rules import OP_MODULES, module_rules
from migrate.rules.base import Rule

from . import numeric

pytest.importorskip("tensorflow")
pytest.importorskip("torch")

OP_RULES: list[tuple[str, Rule]] = [(module, rule) for module in OP_MODULES for rule in module_rules(module)]
CASES = [
    pytest.param(rule, check, id=f"{rule.id}[{index}]")
    for _, rule in OP_RULES
    for index, check in enumerate(rule.checks)
]


@pytest.mark.parametrize("rule", [r for _, r in OP_RULES], ids=lambda r: r.id)
def test_every_op_row_has_a_numeric_check(rule: Rule) -> None:
    assert rule.checks, f"rule {rule.id} has no `checks`: add at least one Check to its row"
    # A row may exist only to say why an API has no faithful torch form: its checks are then
    # all `todo=True`, and prove that the TODO (with its reason) is what users get.


@pytest.mark.parametrize(("rule", "check"), CASES)
def test_rewrite_computes_what_tf_computes(rule: Rule, check: numeric.Check) -> None:
    result = numeric.migrate_check(check)
    assert result.error is None, result.error
    reached = {f.rule for f in result.findings}
    assert rule.id in reached, f"the check never reaches {rule.id} (it reached {sorted(reached)})"
    todos = numeric.todo_rules(result)
    if check.todo:
        assert any(t.startswith(f"{rule.id}:") for t in todos), f"expected a TODO from {rule.id}, got:\n{result.output}"
        return
    assert not todos, f"the rewrite left TODOs: {todos}\n{result.output}"
    values = numeric.inputs_for(check)
    expected = numeric.plain(numeric.run_tf(check, values), "tf")
    actual = numeric.plain(numeric.run_torch(check, result.output, values), "torch")
    numeric.assert_same(expected, actual, check)
