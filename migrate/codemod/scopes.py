"""Which names are references, and which imports a local name hides.

A parameter, an assignment, a loop variable, an ``as`` name or a walrus target with the
name of an import hides the import from there on in its function (or, at module level,
in the rest of the file), as it does in Python. Names that are not references at all —
keyword argument names, parameter names, attribute names, def/class names, assignment
targets — are never resolved.
"""

from __future__ import annotations

from typing import Iterable

import libcst as cst


class ScopeTracker(cst.CSTTransformer):
    """Transformer base that keeps ``_not_loads`` and answers ``_shadowed(name)``."""

    def __init__(self) -> None:
        super().__init__()
        self._scopes: list[set[str]] = [set()]  # the module's, then one per function/lambda
        self._pending_params: list[set[str]] = []
        self._not_loads: set[int] = set()  # ids of Name nodes that are not references

    def _shadowed(self, name: str) -> bool:
        return any(name in scope for scope in self._scopes)

    def _bind(self, target: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            self._scopes[-1].add(target.value)
            self._not_loads.add(id(target))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value)
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._not_loads.add(id(node.name))
        names = {p.name.value for p in _all_params(node.params)}
        self._not_loads.update(id(p.name) for p in _all_params(node.params))
        self._pending_params.append(names)

    def visit_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self._scopes.append(self._pending_params.pop())

    def leave_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self._scopes.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._not_loads.update(id(p.name) for p in _all_params(node.params))
        self._scopes.append({p.name.value for p in _all_params(node.params)})

    def leave_Lambda(self, original_node: cst.Lambda, updated_node: cst.Lambda) -> cst.BaseExpression:
        self._scopes.pop()
        return updated_node

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._not_loads.add(id(node.name))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._not_loads.add(id(node.keyword))

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._mark_targets(node.target)

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        for target in original_node.targets:
            self._bind(target.target)
        return updated_node

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._mark_targets(node.target)

    def leave_AnnAssign(self, original_node: cst.AnnAssign, updated_node: cst.AnnAssign) -> cst.AnnAssign:
        self._bind(original_node.target)
        return updated_node

    def visit_For(self, node: cst.For) -> None:
        self._mark_targets(node.target)

    def visit_For_body(self, node: cst.For) -> None:
        self._bind(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._bind(node.name)  # type: ignore[arg-type]

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target)

    def _mark_targets(self, target: cst.BaseExpression) -> None:
        """Assignment targets are stores, not references (bound after the value is read)."""
        if isinstance(target, cst.Name):
            self._not_loads.add(id(target))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._mark_targets(element.value)
        elif isinstance(target, cst.StarredElement):
            self._mark_targets(target.value)


def _all_params(params: cst.Parameters) -> Iterable[cst.Param]:
    yield from params.posonly_params
    yield from params.params
    yield from params.kwonly_params
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            yield star
