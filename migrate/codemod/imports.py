"""Import bookkeeping: rules name targets by qualified name; this module spells them and
keeps the file's imports right.

* ``torch.nn.functional.x`` is written ``F.x`` (``import torch.nn.functional as F``),
  ``torch.nn.X`` as ``nn.X`` (``from torch import nn``), anything else ``torch.x``
  (``import torch``) — the spellings PyTorch's own docs use. When the short name is already
  taken in the file by something else, a longer spelling is written instead.
* A TF/Keras import is removed only when nothing in the file uses the names it binds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from migrate.codemod.names import Aliases, bindings_of, is_tf, module_name


@dataclass(frozen=True)
class _Short:
    prefix: str  # qualified prefix the short name stands for
    local: str  # the short name
    statement: str  # the import that binds it
    #: Used only where the file already binds it: the migration never adds the alias itself.
    reuse_only: bool = False


# Most specific first.
_SHORTS = (
    _Short("torch.nn.functional", "F", "import torch.nn.functional as F"),
    _Short("torch.nn", "nn", "from torch import nn"),
    _Short("torch", "torch", "import torch"),
    _Short("numpy", "np", "import numpy as np", reuse_only=True),
)
#: Submodules that `import torch` does not import: a name under one needs its own import, or
#: the attribute chain fails at run time (`module 'torch.utils' has no attribute 'tensorboard'`).
_SEPARATE_SUBMODULES = ("torch.utils.tensorboard",)

_ORDER = [s.statement for s in reversed(_SHORTS) if not s.reuse_only]  # isort order: import torch, ... as F, from


def _expression(dotted_name: str) -> cst.BaseExpression:
    parts = dotted_name.split(".")
    node: cst.BaseExpression = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


class ImportPlan:
    """The imports one file needs, decided while rules run."""

    def __init__(self, source: str, aliases: Aliases):
        self._source = source
        self._aliases = aliases
        self.needed: set[str] = set()
        self._usable: dict[str, bool] = {}

    def _short_usable(self, short: _Short) -> bool:
        if short.local not in self._usable:
            bound = self._aliases.other.get(short.local)
            if bound is not None:
                usable = bound == short.prefix
            elif short.reuse_only:
                usable = False
            else:
                # Any other use of the identifier (a variable, a parameter) makes it taken.
                usable = re.search(rf"\b{short.local}\b", self._source) is None
            self._usable[short.local] = usable
        return self._usable[short.local]

    def spell(self, qualified: str) -> cst.BaseExpression:
        for module in _SEPARATE_SUBMODULES:
            if qualified.startswith(module + "."):
                self.needed.add(f"import {module}")  # binds `torch` too
                return _expression(qualified)
        for short in _SHORTS:
            if qualified == short.prefix or qualified.startswith(short.prefix + "."):
                if not self._short_usable(short):
                    continue
                if self._aliases.other.get(short.local) != short.prefix:
                    self.needed.add(short.statement)
                return _expression(short.local + qualified[len(short.prefix) :])
        root = qualified.split(".", 1)[0]
        if self._aliases.other.get(root) != root:
            self.needed.add(f"import {root}")
        return _expression(qualified)


# ---------------------------------------------------------------------------------------
# Rewriting the import statements themselves, once the rules have run.


def _is_import_line(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body
    )


def _is_docstring_or_future(statement: cst.CSTNode) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString)):
        return True
    return isinstance(small, cst.ImportFrom) and isinstance(small.module, cst.Name) and small.module.value == "__future__"


def _drop_names(statement: cst.SimpleStatementLine, unused: set[str]) -> cst.SimpleStatementLine | None:
    """The statement without the TF bindings in ``unused``; None when nothing is left."""
    kept_small: list[cst.BaseSmallStatement] = []
    for small in statement.body:
        if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
            names = [a for a in small.names if not _binds_unused(small, a, unused)]
            if not names:
                continue
            if len(names) != len(small.names):
                last = names[-1]
                if not (isinstance(small, cst.ImportFrom) and small.lpar):
                    names[-1] = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
                small = small.with_changes(names=names)
        kept_small.append(small)
    if not kept_small:
        return None
    if len(kept_small) != len(statement.body):
        kept_small[-1] = kept_small[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    return statement.with_changes(body=kept_small)


def _binds_unused(small: cst.Import | cst.ImportFrom, alias: cst.ImportAlias, unused: set[str]) -> bool:
    if isinstance(small, cst.Import):
        full = module_name(alias.name)
        local = alias.asname.name.value if alias.asname else full.split(".", 1)[0]  # type: ignore[union-attr]
        qualified = full
    else:
        if small.relative or small.module is None:
            return False
        local = alias.asname.name.value if alias.asname else module_name(alias.name)  # type: ignore[union-attr]
        qualified = module_name(small.module)
    return local in unused and is_tf(qualified)


_BODY_FIELDS = ("body", "orelse", "handlers", "finalbody")


def _prune_block(
    statements: list[cst.CSTNode],
    unused: set[str],
    replacement: tuple[int, list[cst.SimpleStatementLine]] | None = None,
) -> tuple[list[cst.CSTNode], bool]:
    """Remove unused TF bindings from import lines anywhere in a statement list.

    A plain walk over statement lists, not a visitor: it touches statements only, so it
    costs nothing next to a parse. Nothing the user wrote is lost: comments above a removed
    import, and its trailing comment, move to the next statement. ``replacement`` puts new
    import lines at an index: instead of the statement there if it goes, before it if not,
    taking over its comments either way.
    """
    result: list[cst.CSTNode] = []
    carried: list[cst.EmptyLine] = []
    changed = False
    for index, statement in enumerate(statements):
        if _is_import_line(statement):
            new = _drop_names(statement, unused)  # type: ignore[arg-type]
        else:
            new = _prune_compound(statement, unused)
        if replacement is not None and index == replacement[0]:
            lines = list(replacement[1])
            lines[0] = lines[0].with_changes(leading_lines=[*carried, *statement.leading_lines])  # type: ignore[attr-defined]
            carried = []
            if new is None:
                lines[-1] = lines[-1].with_changes(trailing_whitespace=statement.trailing_whitespace)  # type: ignore[attr-defined]
            else:
                new = new.with_changes(leading_lines=[])
            result.extend(lines)
            changed = True
        elif new is None:
            carried.extend(statement.leading_lines)  # type: ignore[attr-defined]
            comment = statement.trailing_whitespace.comment  # type: ignore[attr-defined]
            if comment is not None:
                carried.append(cst.EmptyLine(comment=comment))
            changed = True
        if new is None:
            continue
        if new is not statement or carried:
            changed = True
        if hasattr(new, "leading_lines") and (carried or (not result and index > 0)):
            leading = [*carried, *new.leading_lines]  # type: ignore[attr-defined]
            if not result:  # the block's first statements went: do not open it with blanks
                while leading and leading[0].comment is None:
                    leading.pop(0)
            new = new.with_changes(leading_lines=leading)
            carried = []
        result.append(new)
    if carried:
        result.append(cst.SimpleStatementLine([cst.Pass()], leading_lines=carried))
    return result, changed


def _prune_compound(statement: cst.CSTNode, unused: set[str]) -> cst.CSTNode:
    if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        return statement
    changes = {}
    for name in _BODY_FIELDS:
        child = getattr(statement, name, None)
        if child is None:
            continue
        if isinstance(child, (tuple, list)):  # Try.handlers
            new_items = [_prune_compound(h, unused) for h in child]
            if any(a is not b for a, b in zip(new_items, child)):
                changes[name] = new_items
        elif isinstance(child, cst.IndentedBlock):
            body, changed = _prune_block(list(child.body), unused)
            if changed:
                body = body or [cst.SimpleStatementLine([cst.Pass()])]
                changes[name] = child.with_changes(body=body)
        elif isinstance(child, cst.CSTNode):
            new_child = _prune_compound(child, unused)
            if new_child is not child:
                changes[name] = new_child
    return statement.with_changes(**changes) if changes else statement


def finalize(module: cst.Module, plan: ImportPlan, unused: set[str]) -> cst.Module:
    """Remove unused TF imports and add the torch imports the rewrites need."""
    body = list(module.body)
    missing = [s for s in _ORDER if s in plan.needed] + sorted(plan.needed - set(_ORDER))
    new_lines = [cst.parse_statement(s + module.default_newline) for s in missing]
    at = _insertion_point(body)
    if at == len(body) and new_lines:
        body.append(new_lines[0].with_changes(body=[cst.Pass()]))  # a placeholder to replace
        body, _ = _prune_block(body, unused, (at, new_lines))
        body.pop(at + len(new_lines))
    else:
        body, _ = _prune_block(body, unused, (at, new_lines) if new_lines else None)  # type: ignore[assignment]
    return module.with_changes(body=body)


def _insertion_point(body: list[cst.CSTNode]) -> int:
    """Where new imports go: where the first TF import of the header is, else after the
    header's imports (docstring and ``__future__`` first)."""
    index = 0
    while index < len(body) and _is_docstring_or_future(body[index]):
        index += 1
    while index < len(body) and _is_import_line(body[index]):
        if any(is_tf(b.qualified) for b in bindings_of(body[index])):  # type: ignore[arg-type]
            return index
        index += 1
    return index
