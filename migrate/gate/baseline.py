"""Known findings a team has accepted, so that only new ones fail the gate.

A finding is keyed by (path, rule, api, fingerprint of its line's text), not by its line
number: an edit elsewhere in the file moves it without making it new. The same key may
occur several times (the same line copied); the baseline counts them, and a file that
gains one more copy has one new finding.

The file is JSON, sorted, one entry per key, so it diffs well in review::

    {"schema": "migrate.baseline/1",
     "findings": [{"path": "src/model.py", "rule": "ops.reduce_sum",
                   "api": "tensorflow.math.reduce_sum", "fingerprint": "9f2c…", "count": 1}]}

Paths are relative to the project root and are only ever compared, never opened; a path
that is absolute or climbs out with ``..`` is refused when the baseline is read.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from migrate.codemod.files import write_atomic
from migrate.gate.check import DRIFT, CheckResult, mark_baselined

SCHEMA = "migrate.baseline/1"
Key = tuple[str, str, str, str]


class BaselineError(Exception):
    """A baseline file that cannot be used (exit code 2)."""


@dataclass
class Baseline:
    counts: Counter[Key] = field(default_factory=Counter)

    @classmethod
    def read(cls, path: Path) -> Baseline:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BaselineError(f"{path}: no such baseline (create it with --write-baseline)") from None
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise BaselineError(f"{path}: not a readable baseline: {error}") from None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("findings"), list):
            raise BaselineError(f"{path}: not a migrate baseline (expected \"schema\": \"{SCHEMA}\")")
        counts: Counter[Key] = Counter()
        for number, entry in enumerate(data["findings"]):
            if not isinstance(entry, dict):
                raise BaselineError(f"{path}: entry {number} is not an object")
            values = [entry.get(name) for name in ("path", "rule", "api", "fingerprint")]
            count = entry.get("count", 1)
            if not all(isinstance(v, str) for v in values) or not (isinstance(count, int) and not isinstance(count, bool) and count >= 1):
                raise BaselineError(f"{path}: entry {number} needs string path, rule, api, fingerprint and a positive count")
            if not _inside_the_tree(values[0]):
                raise BaselineError(f"{path}: entry {number}: path {values[0]!r} is not relative to the project root")
            counts[tuple(values)] += count  # type: ignore[index]
        return cls(counts)

    @classmethod
    def of(cls, result: CheckResult) -> Baseline:
        """Every finding of ``result`` (drift is never baselined: regenerate instead)."""
        return cls(Counter(f.key for f in result.findings if f.rule != DRIFT and _inside_the_tree(f.key_path)))

    def write(self, path: Path) -> None:
        entries = [
            {"path": p, "rule": r, "api": a, "fingerprint": fp, "count": n}
            for (p, r, a, fp), n in sorted(self.counts.items())
        ]
        write_atomic(path, json.dumps({"schema": SCHEMA, "findings": entries}, indent=1) + "\n")

    def apply(self, result: CheckResult) -> CheckResult:
        """``result`` with the findings this baseline knows marked as baselined."""
        left = Counter(self.counts)
        known = set()
        for index, finding in enumerate(result.findings):
            if finding.rule != DRIFT and left[finding.key] > 0:
                left[finding.key] -= 1
                known.add(index)
        # Entries of files this run did not look at (pre-commit passes only the staged
        # files) are not stale.
        stale = sum(n for key, n in left.items() if key[0] in result.checked)
        return mark_baselined(result, known, stale)

    def updated(self, result: CheckResult) -> Baseline:
        """This baseline with the files ``result`` looked at recorded anew."""
        kept = Counter({key: n for key, n in self.counts.items() if key[0] not in result.checked})
        return Baseline(kept + Baseline.of(result).counts)


def _inside_the_tree(path: str) -> bool:
    if not path or "\\" in path or "\x00" in path or PureWindowsPath(path).drive:
        return False
    posix = PurePosixPath(path)
    return not posix.is_absolute() and ".." not in posix.parts
