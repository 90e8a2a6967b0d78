"""tf_sparse: rows are added by the op-table work (issue 5)."""

from __future__ import annotations

RULES: list = []
