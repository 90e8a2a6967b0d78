"""``migrate audit``: should this code base move to PyTorch, and what will it cost?

Reads the code (never imports or runs it) with the same engine as ``migrate convert``,
adds the signals that argue for staying on TensorFlow (``signals.py``), and gives each
component a recommendation with file:line evidence (``report.py``).
"""

from __future__ import annotations

from pathlib import Path

from migrate.audit.report import Audit
from migrate.audit.scan import audit_dependencies, audit_file, component_of, dependency_files
from migrate.codemod.files import discover
from migrate.codemod.selection import Selection


def audit(paths: list[Path], excludes: tuple[str, ...] = (), respect_gitignore: bool = True, base: Path | None = None) -> Audit:
    """Audit the trees (or files) ``paths``. Raises ``InputError`` for a path that is missing."""
    result = Audit([str(p) for p in paths])
    selection = Selection()
    for source_file in discover(paths, excludes, respect_gitignore=respect_gitignore, base=base):
        result.add_file(audit_file(source_file, "", selection))
    for path, relative in dependency_files(paths):
        evidence = audit_dependencies(path, relative)
        if not evidence:
            continue
        # A dependency file at the top describes the whole project, not a component.
        if len(relative.parts) == 1:
            result.dependencies.extend(evidence)
        else:
            result.component(component_of(relative)).evidence.extend(evidence)
    return result
