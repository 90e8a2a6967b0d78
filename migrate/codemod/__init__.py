"""The codemod engine: source in, PyTorch source and findings out.

Every front door (``migrate convert``, the CI gate, the editor server) calls
``migrate_source`` and nothing else.
"""

from migrate.codemod.engine import migrate_source
from migrate.codemod.findings import FileResult, Finding, Outcome
from migrate.codemod.selection import Selection

__all__ = ["FileResult", "Finding", "Outcome", "Selection", "migrate_source"]
