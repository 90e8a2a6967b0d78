"""The engine: one libcst pass over one source string.

``migrate_source`` is the single entry point every front door calls (the CLI, the CI gate,
the editor server). It never raises for bad input: a file that does not parse or a rule
that crashes comes back as ``FileResult.error`` with the source untouched.

How a file is migrated:

1. A text check: no ``tensorflow``/``keras``/``tf_keras`` anywhere means nothing to do.
2. Parse, then find the statement spans (``spans.py``) and the import bindings.
3. Visit only the statements whose text mentions a name bound to TF/Keras. For each site —
   a reference such as ``tf.reduce_sum``, resolved to its canonical qualified name — the
   rule registered for that name rewrites it, or says why it cannot (``CannotMigrate``);
   a name no rule claims is left with a TODO too.
4. Fix the imports: add what the new code needs, drop TF imports nothing uses any more.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections import Counter
from dataclasses import dataclass
import libcst as cst

from migrate.codemod import imports, markers
from migrate.codemod.findings import FileResult, Finding, Outcome
from migrate.codemod.scopes import ScopeTracker
from migrate.codemod.names import Aliases, bindings_of, dotted, is_tf
from migrate.codemod.selection import Selection
from migrate.codemod.spans import STATEMENT_TYPES, Spans
from migrate.rules import UNMAPPED, Registry, default_registry
from migrate.rules.base import CannotMigrate

_MENTIONS_TF = re.compile(r"\b(?:tensorflow|keras|tf_keras)\b")
_EMPTY_MODULE = cst.Module(body=[])


class RuleCrashed(Exception):
    def __init__(self, rule: str, error: BaseException):
        super().__init__(f"rule {rule} raised {type(error).__name__}: {error}")


@dataclass
class _Site:
    qualified: str
    spelling: str
    line: int
    col: int


class _Context:
    """The RuleContext handed to rules."""

    def __init__(self, plan: imports.ImportPlan):
        self._plan = plan

    def name(self, qualified: str) -> cst.BaseExpression:
        return self._plan.spell(qualified)

    def source(self, node: cst.CSTNode) -> str:
        return _EMPTY_MODULE.code_for_node(node)


class _Migrator(ScopeTracker):
    def __init__(
        self,
        spans: Spans,
        relevant: set[int],
        aliases: Aliases,
        registry: Registry,
        selection: Selection,
        plan: imports.ImportPlan,
    ):
        super().__init__()
        self.spans = spans
        self.relevant = relevant
        self.aliases = aliases
        self.registry = registry
        self.selection = selection
        self.ctx = _Context(plan)
        self.findings: list[Finding] = []
        self.uses_left: Counter[str] = Counter()  # TF-bound local names still used
        self.markers_added = False
        # Per statement being visited: its node, its TODO markers (with the site's position,
        # to list them in source order), and a cursor for locating sites in its text.
        self._frames: list[tuple[cst.CSTNode, list[tuple[tuple[int, int], str, str]], list[int]]] = []
        self._sites: dict[int, _Site] = {}
        self._claimed: set[int] = set()  # func/decorator expressions handled by their parent
        self._first_statement = -1
        self._header_comments: frozenset[str] = frozenset()

    def visit_Module(self, node: cst.Module) -> None:
        if node.body:
            self._first_statement = id(node.body[0])
            self._header_comments = frozenset(line.comment.value for line in node.header if line.comment)

    # -- statements: skip the irrelevant ones, collect TODO markers on the rest ------------

    def on_visit(self, node: cst.CSTNode) -> bool:
        if type(node) in STATEMENT_TYPES:
            if id(node) not in self.relevant:
                return False
            span = self.spans.span(node)
            self._frames.append((node, [], [span[0] if span else 0]))
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        result = super().on_leave(original_node, updated_node)
        if type(original_node) in STATEMENT_TYPES and id(original_node) in self.relevant:
            _, todo, _ = self._frames.pop()
            if todo:
                if hasattr(result, "leading_lines"):
                    ordered = [(rule, why) for _, rule, why in sorted(todo, key=lambda m: m[0])]
                    above = self._header_comments if id(original_node) == self._first_statement else frozenset()
                    marked = markers.attach(result, ordered, above)  # type: ignore[arg-type]
                    self.markers_added |= marked is not result
                    result = marked
                elif self._frames:  # a one-line suite: the marker goes above its statement
                    self._frames[-1][1].extend(todo)
        return result

    def visit_Import(self, node: cst.Import) -> bool:
        return False  # imports are the import manager's business

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if isinstance(node.names, cst.ImportStar) and node.module is not None and not node.relative:
            module = dotted(node.module) or ""
            if is_tf(module):
                line, col = self._locate("*")
                site = _Site(module, "*", line, col)
                if self.selection.enabled(STAR_IMPORT):
                    self._todo(STAR_IMPORT, site, "a star import from TF/Keras hides which names this file uses; import them by name")
                else:
                    self._finding(STAR_IMPORT, Outcome.IGNORED, site, "rule not selected")
        return False

    # -- sites --------------------------------------------------------------------------

    def _site(self, node: cst.BaseExpression) -> _Site | None:
        """Record ``node`` as a TF/Keras site if its dotted name resolves to one."""
        name = dotted(node)
        if name is None:
            return None
        head = name.split(".", 1)[0]
        if head not in self.aliases.tf or self._shadowed(head):
            return None
        qualified = self.aliases.resolve(name)
        assert qualified is not None
        line, col = self._locate(name)
        site = _Site(qualified, name, line, col)
        self._sites[id(node)] = site
        return site

    def _locate(self, spelling: str) -> tuple[int, int]:
        """Original line/column of the next occurrence of ``spelling`` in this statement."""
        _, _, cursor = self._frames[-1]
        found = self.spans.source.find(spelling, cursor[0])
        offset = found if found >= 0 else cursor[0]
        if found >= 0:
            cursor[0] = found + len(spelling)
        return self.spans.line_col(offset)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self._not_loads.add(id(node.attr))
        if id(node) in self._not_loads:
            return False
        # The outermost attribute of a TF chain is the site; its inner parts are not.
        return self._site(node) is None

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self._not_loads:
            self._site(node)

    def visit_Call(self, node: cst.Call) -> None:
        self._claimed.add(id(node.func))

    def visit_Decorator(self, node: cst.Decorator) -> None:
        self._claimed.add(id(node.decorator))

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        return self._reference(original_node, updated_node)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self._reference(original_node, updated_node)

    def _reference(self, original: cst.BaseExpression, updated: cst.BaseExpression) -> cst.BaseExpression:
        site = self._sites.get(id(original))
        if site is None or id(original) in self._claimed:
            return updated
        return self._apply(site, updated, lambda rule: rule.rewrite_reference(updated, site.qualified, self.ctx))

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        site = self._sites.get(id(original_node.func))
        if site is None:
            return updated_node
        return self._apply(site, updated_node, lambda rule: rule.rewrite_call(updated_node, site.qualified, self.ctx))

    def leave_Decorator(self, original_node: cst.Decorator, updated_node: cst.Decorator):  # type: ignore[override]
        site = self._sites.get(id(original_node.decorator))
        if site is None:
            return updated_node
        result = self._apply(
            site, updated_node, lambda rule: rule.rewrite_decorator(updated_node, site.qualified, self.ctx)
        )
        return cst.RemoveFromParent() if result is None else result

    def _apply(self, site: _Site, unchanged: cst.CSTNode, rewrite) -> cst.CSTNode | None:  # noqa: ANN001
        rule = self.registry.lookup(site.qualified)
        rule_id = rule.id if rule is not None else UNMAPPED
        head = site.spelling.split(".", 1)[0]
        if not self.selection.enabled(rule_id):
            self._finding(rule_id, Outcome.IGNORED, site, "rule not selected")
            self.uses_left[head] += 1
            return unchanged
        if rule is None:
            why = f"no rule for `{_public(site.qualified)}` yet"
            self._todo(rule_id, site, why)
            return unchanged
        try:
            result = rewrite(rule)
        except CannotMigrate as reason:
            self._todo(rule_id, site, reason.reason)
            return unchanged
        except Exception as error:  # a bug in a rule must not take the file down with it
            raise RuleCrashed(rule_id, error) from error
        self._finding(rule_id, Outcome.REWRITTEN, site, "")
        return result

    def _todo(self, rule_id: str, site: _Site, why: str) -> None:
        self._finding(rule_id, Outcome.TODO, site, why)
        self.uses_left[site.spelling.split(".", 1)[0]] += 1  # "*" for star imports: harmless
        self._frames[-1][1].append(((site.line, site.col), rule_id, why))

    def _finding(self, rule_id: str, outcome: Outcome, site: _Site, message: str) -> None:
        self.findings.append(
            Finding(rule_id, outcome, site.qualified, message, site.line, site.col)
        )


def _public(qualified: str) -> str:
    return "tf." + qualified[len("tensorflow.") :] if qualified.startswith("tensorflow.") else qualified


def migrate_source(
    source: str,
    path: str = "<string>",
    selection: Selection | None = None,
    registry: Registry | None = None,
) -> FileResult:
    """Migrate one Python source string. Never raises for bad input."""
    if not _MENTIONS_TF.search(source):
        return FileResult(path, source, source)
    too_deep = _too_deep_for_python(source)
    if too_deep:
        return FileResult(path, source, source, error=f"does not parse: {too_deep}")
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        return FileResult(path, source, source, error=f"does not parse: {_parse_error(source, error)}")
    except (RecursionError, MemoryError):  # pathological nesting; libcst's parser gives up
        return FileResult(path, source, source, error="too deeply nested to parse")
    try:
        return _migrate_module(module, source, path, selection or Selection(), registry or default_registry())
    except RuleCrashed as error:
        return FileResult(path, source, source, error=str(error))
    except RecursionError:
        return FileResult(path, source, source, error="too deeply nested to rewrite")


def _migrate_module(module: cst.Module, source: str, path: str, selection: Selection, registry: Registry) -> FileResult:
    spans = Spans.of(module, source)
    aliases = Aliases()
    star_lines: set[int] = set()
    for node in spans.nodes:
        if type(node) is cst.SimpleStatementLine and any(type(s) in (cst.Import, cst.ImportFrom) for s in node.body):
            for binding in bindings_of(node):  # type: ignore[arg-type]
                aliases.add(binding)
                if binding.local == "*" and is_tf(binding.qualified):
                    star_lines.add(id(node))
    if not aliases.tf and not star_lines:
        return FileResult(path, source, source)

    names = sorted(aliases.tf, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b") if names else None
    offsets = [m.start() for m in pattern.finditer(source)] if pattern else []
    relevant = spans.touched(offsets) | star_lines | _enclosing(spans, star_lines)

    plan = imports.ImportPlan(source, aliases)
    migrator = _Migrator(spans, relevant, aliases, registry, selection, plan)
    new_module = module.visit(migrator)
    findings = sorted(migrator.findings, key=lambda f: (f.line, f.col))
    unused = {name for name in aliases.tf if migrator.uses_left[name] == 0}
    rewritten = any(f.outcome is Outcome.REWRITTEN for f in findings)
    if not (rewritten or unused or migrator.markers_added):
        return FileResult(path, source, source, findings)
    new_module = imports.finalize(new_module, plan, unused)
    return FileResult(path, source, new_module.code, findings)


STAR_IMPORT = "imports.star"


_BRACKET_DEPTH = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}
_NOT_BRACKETS = re.compile(r"[^()\[\]{}]+")


def _too_deep_for_python(source: str) -> str | None:
    """Why a source nests brackets deeper than Python allows, else None.

    libcst's native parser overflows its stack (a crash, not an exception) on brackets
    nested thousands deep; CPython refuses more than 200. A C-speed upper bound of the
    depth (brackets in strings count too) decides whether CPython's verdict is needed.
    """
    brackets = _NOT_BRACKETS.sub("", source)
    if len(brackets) <= 200 or max(itertools.accumulate(map(_BRACKET_DEPTH.get, brackets)), default=0) <= 200:
        return None
    try:
        ast.parse(source)
    except SyntaxError as error:
        return f"line {error.lineno}, column {error.offset}: {error.msg}"
    except (RecursionError, MemoryError):
        return "too deeply nested"
    return None


def _enclosing(spans: Spans, ids: set[int]) -> set[int]:
    """The compound statements around the statements in ``ids`` (so the visit reaches them)."""
    if not ids:
        return set()
    offsets = [start for node, start in zip(spans.nodes, spans.starts) if id(node) in ids]
    return spans.touched(offsets)


def _parse_error(source: str, error: cst.ParserSyntaxError) -> str:
    """One line: where and why. Python's own message is the clearer one when it has one."""
    try:
        compile(source, "<source>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as python_error:
        return f"line {python_error.lineno}, column {python_error.offset}: {python_error.msg}"
    except (ValueError, RecursionError, MemoryError):
        pass
    message = " ".join(str(error.message).split())
    return f"line {error.editor_line}, column {error.editor_column}: {message}"
