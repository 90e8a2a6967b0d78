"""The CI gate (``migrate check``): the engine's findings as a pass/fail verdict for a PR.

``check.run`` migrates every file in memory (nothing is written, no user code runs) and
turns what it finds into gate findings; ``baseline`` keeps known ones from failing;
``formats`` writes them as text, SARIF 2.1.0, JUnit XML or GitHub Actions annotations.
"""

from migrate.gate.baseline import Baseline, BaselineError
from migrate.gate.check import CheckResult, GateFinding, run

__all__ = ["Baseline", "BaselineError", "CheckResult", "GateFinding", "run"]
