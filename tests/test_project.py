"""Promises about the project itself: the README's commands, light installs, fresh docs."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from migrate import ruledocs
from migrate.rules import default_registry

from .conftest import ROOT


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.S)][:2]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    setup, tests = _readme_commands()
    assert "migrate convert examples/" in setup
    assert "pytest" in tests
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_torch_is_pinned_and_the_core_install_stays_light() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    heavy = ("torch", "tensorflow", "tf2onnx", "onnx", "onnxruntime", "onnx2torch")
    assert not [d for d in project["dependencies"] if re.split(r"[<>=\[ ]", d)[0] in heavy]
    assert "torch==2.13.0" in project["optional-dependencies"]["ml"]


def test_convert_never_imports_the_heavy_frameworks() -> None:
    code = (
        "import sys\n"
        "from migrate.cli import main\n"
        "from migrate.codemod import migrate_source\n"
        "migrate_source('import tensorflow as tf\\ny = tf.reduce_sum(x)\\n')\n"
        "print(sorted(m for m in ('tensorflow', 'torch', 'keras', 'onnx') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_rule_docs_are_generated_and_current() -> None:
    pages = ruledocs.pages()
    directory = ROOT / "docs" / "rules"
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in directory.glob("*.md")}
    stale = sorted(name for name in pages.keys() | on_disk.keys() if pages.get(name) != on_disk.get(name))
    assert not stale, f"regenerate with `python -m migrate.ruledocs docs/rules`: {stale}"


def test_every_rule_is_documented() -> None:
    for rule in default_registry():
        assert re.fullmatch(r"[a-z_]+(\.[A-Za-z0-9_]+)+|unmapped", rule.id), rule.id  # `layers.Dense`: an API keeps its case
        assert rule.summary.strip() and rule.why.strip() and rule.example.strip(), rule.id
        before, after = ruledocs.example_pair(rule)
        assert before != after or rule.id in ("unmapped", "imports.star"), f"the example of {rule.id} changes nothing"


def test_the_package_imports_the_rules_as_installed() -> None:
    """`rules` is importable from a checkout only; installed, it is `migrate.rules`."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "migrate").rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.match(r"\s*(from rules[. ]|import rules\b)", line)
    ]
    assert not offenders, offenders
