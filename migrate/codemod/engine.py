"""The engine: one source string in, PyTorch source and findings out.

``migrate_source`` is the single entry point every front door calls (the CLI, the CI gate,
the editor server). It never raises for bad input: a file that does not parse or a rule
that crashes comes back as ``FileResult.error`` with the source untouched.

How a file is migrated:

1. A text check: no ``tensorflow``/``keras``/``tf_keras`` anywhere means nothing to do.
2. Parse, then find the statement spans (``spans.py``) and the import bindings.
3. Find every site (``analysis.py``): a reference such as ``tf.reduce_sum``, resolved to its
   canonical qualified name. A name no rule claims, or whose rule is deselected, is decided
   there and then.
4. Rewrite: a libcst transformer enters only the statements on the way to a site a rule
   must see. The rule rewrites it, or says why it cannot (``CannotMigrate``); TODO markers
   go above their statements.
5. Fix the imports: add what the new code needs, drop TF imports nothing uses any more.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import libcst as cst

from migrate.codemod import imports, markers
from migrate.codemod.analysis import MARKABLE, Kind, Site, SiteFinder
from migrate.codemod.findings import FileResult, Finding, Outcome
from migrate.codemod.names import Aliases, bindings_of, dotted
from migrate.codemod.selection import Selection
from migrate.codemod.spans import STATEMENT_TYPES, Spans
from migrate.rules import UNMAPPED, Registry, default_registry
from migrate.rules.base import CannotMigrate, Rule

STAR_IMPORT = "imports.star"
_NAMES_TO_NOTICE = ("keras", "tensorflow")  # "tf_keras" contains "keras"
_EMPTY_MODULE = cst.Module(body=[])


class RuleCrashed(Exception):
    def __init__(self, rule: str, error: BaseException):
        super().__init__(f"rule {rule} raised {type(error).__name__}: {error}")


class _Context:
    """The RuleContext handed to rules."""

    def __init__(self, plan: imports.ImportPlan, rewriter: "_Rewriter"):
        self._plan = plan
        self._rewriter = rewriter

    def name(self, qualified: str) -> cst.BaseExpression:
        return self._plan.spell(qualified)

    def call(self, func: cst.BaseExpression, args: Sequence[cst.Arg] = ()) -> cst.BaseExpression:
        """``func(*args)``, itself migrated when ``func`` is a TF reference left as it was
        (``tf.cond(p, f, tf.no_op)`` → ``f() if p else None``): a rule that turns a value into
        a call must not leave a site that only a second run would rewrite."""
        return self._rewriter.call_left_reference(func, args)

    def source(self, node: cst.CSTNode) -> str:
        return _EMPTY_MODULE.code_for_node(node)

    def consume(self, node: cst.CSTNode) -> None:
        """A structural rule took ``node`` into its own rewrite (``keras.Sequential`` builds its
        layers again with known shapes): a TODO its own rule left on it is retracted, and the
        site counts as rewritten — once the rule succeeds (staged like the statement edits)."""
        self._rewriter.staged.append(("consume", node, []))  # type: ignore[arg-type]

    # The code around the site, as parsed (see RuleContext in rules/base.py).

    def scope(self) -> cst.CSTNode:
        return self._site().scope or self._rewriter.module

    def module(self) -> cst.Module:
        return self._rewriter.module

    def statement(self) -> cst.CSTNode:
        node = self._site().statement_node
        assert node is not None
        return node

    def type_of(self, expression: cst.BaseExpression) -> str | None:
        return self._rewriter.type_of(expression, self._site())

    # Statement edits, applied when the body holding the statement is finished.

    # Staged while the rule runs; kept only if it succeeds (a CannotMigrate leaves the code
    # as it was, edits included).

    def replace_statement(self, statements: Sequence[cst.BaseStatement]) -> None:
        if not isinstance(self.statement(), cst.SimpleStatementLine):
            raise CannotMigrate("this rewrite is a statement, and the call is not a statement of its own")
        self._rewriter.staged.append(("replacement", self._site().statement, list(statements)))

    def insert_before(self, statements: Sequence[cst.BaseStatement]) -> None:
        self._rewriter.staged.append(("before", self._site().statement, list(statements)))

    def insert_after(self, statements: Sequence[cst.BaseStatement]) -> None:
        self._rewriter.staged.append(("after", self._site().statement, list(statements)))

    def remove_statement(self, statement: cst.CSTNode) -> None:
        self._rewriter.staged.append(("removed", id(statement), []))

    def add_definition(self, statements: Sequence[cst.BaseStatement]) -> None:
        top = self._rewriter.paths.get(self._site().statement, (self._site().statement,))[0]
        self._rewriter.staged.append(("definition", top, list(statements)))

    def unwrap(self) -> None:
        if not isinstance(self.statement(), cst.With):
            raise CannotMigrate("only a `with` statement can give way to its body")
        self._rewriter.staged.append(("unwrap", self._site().statement, []))

    def unbind(self) -> None:
        statement = self.statement()
        if not isinstance(statement, cst.With):
            raise CannotMigrate("only an item of a `with` statement has an `as` target to drop")
        # The items the site's call makes (two tapes in one `with` are two such items, each
        # its own site, and both go the same way).
        spelling = self._site().spelling
        indexes = [
            index
            for index, item in enumerate(statement.items)
            if isinstance(item.item, cst.Call) and dotted(item.item.func) == spelling
        ]
        if not indexes:
            raise CannotMigrate("the site is not an item of its `with` statement")
        for index in indexes:
            self._rewriter.staged.append(("unbind", self._site().statement, [index]))  # type: ignore[list-item]

    def note(self, message: str) -> None:
        self._rewriter.staged.append(("note", self._site().statement, [message]))  # type: ignore[list-item]

    def _site(self) -> Site:
        site = self._rewriter.current
        if site is None:
            raise RuntimeError("the code around a site is only known while a rule rewrites it")
        return site


@dataclass
class _StatementEdits:
    """What rules asked to do to one statement (by the id of the statement as parsed)."""

    before: list[cst.BaseStatement] = field(default_factory=list)
    replacement: list[cst.BaseStatement] | None = None  # None: keep the statement
    after: list[cst.BaseStatement] = field(default_factory=list)
    removed: bool = False  # folded into another rewrite: nothing of it stays, edits included
    unwrap: bool = False  # a `with` statement replaced by its body
    unbound: set[int] = field(default_factory=set)  # `with` items whose `as` target goes


_METHODS: dict[tuple[str, type], object] = {}
# Statements the rewriter skips unless they lead to work (a one-line suite belongs to its
# compound statement, which decides for it).
_ENTERED_ONLY_ON_A_PATH = STATEMENT_TYPES - {cst.SimpleStatementSuite}


def _method(prefix: str, kind: type):  # noqa: ANN202
    key = (prefix, kind)
    try:
        return _METHODS[key]
    except KeyError:
        method = _METHODS[key] = getattr(_Rewriter, f"{prefix}_{kind.__name__}", None)
        return method


class _Outcomes:
    """Findings, TODO markers and remaining uses of TF names, as the two phases decide them."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.markers: dict[int, list[tuple[tuple[int, int], str, str]]] = {}  # statement id -> TODOs
        self.uses_left: Counter[str] = Counter()  # TF-bound local names still used

    def rewritten(self, rule_id: str, site: Site, note: str = "") -> None:
        self._finding(rule_id, Outcome.REWRITTEN, site, note)

    def ignored(self, rule_id: str, site: Site) -> None:
        self._finding(rule_id, Outcome.IGNORED, site, "rule not selected")
        self.uses_left[site.spelling.split(".", 1)[0]] += 1

    def todo(self, rule_id: str, site: Site, why: str) -> None:
        self._finding(rule_id, Outcome.TODO, site, why)
        self.uses_left[site.spelling.split(".", 1)[0]] += 1  # "*" for star imports: harmless
        self.markers.setdefault(site.statement, []).append(((site.line, site.col), rule_id, why))

    def retract_todo(self, rule_id: str, site: Site) -> str | None:
        """Take back the TODO of a site that a later rewrite migrated after all; its reason."""
        for i in range(len(self.findings) - 1, -1, -1):
            finding = self.findings[i]
            if finding.rule == rule_id and (finding.line, finding.col) == (site.line, site.col) and finding.outcome is Outcome.TODO:
                del self.findings[i]
                break
        self.uses_left[site.spelling.split(".", 1)[0]] -= 1
        marks = self.markers.get(site.statement, [])
        why = None
        for i, (where, rule, reason) in enumerate(marks):
            if where == (site.line, site.col) and rule == rule_id:
                why = reason
                del marks[i]
                break
        if not marks:
            self.markers.pop(site.statement, None)
        return why

    def _finding(self, rule_id: str, outcome: Outcome, site: Site, message: str) -> None:
        self.findings.append(Finding(rule_id, outcome, site.qualified, message, site.line, site.col))


_CLAUSE_FIELDS = ("body", "orelse", "handlers", "finalbody", "cases")


class _WithdrawMarkers(cst.CSTTransformer):
    """Removes marker comments, once each, from the statements of a rule's result."""

    def __init__(self, texts: list[str]):
        super().__init__()
        self.texts = list(texts)

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        leading = getattr(updated_node, "leading_lines", None)
        if not leading or not self.texts:
            return updated_node
        kept = []
        for line in leading:
            if line.comment is not None and line.comment.value in self.texts:
                self.texts.remove(line.comment.value)
                continue
            kept.append(line)
        return updated_node.with_changes(leading_lines=kept) if len(kept) != len(leading) else updated_node


class _Rewriter(cst.CSTTransformer):
    """Phase two: applies the rules to the pending sites and writes the TODO markers.

    Statements that only lead to work are rebuilt by a plain walk over statement lists
    (``rewrite``); the libcst transformer runs only over statements holding a site a rule
    must see. Everything else is left as the parser built it.
    """

    def __init__(
        self,
        pending: dict[int, tuple[Site, Rule]],
        paths: dict[int, tuple[int, ...]],
        outcomes: _Outcomes,
        plan: imports.ImportPlan,
        header_comments: dict[int, frozenset[str]],
        module: cst.Module = _EMPTY_MODULE,
        registry: Registry | None = None,
        aliases: Aliases | None = None,
    ):
        super().__init__()
        self.pending = pending
        self.paths = paths
        self.module = module
        self.registry = registry
        self.aliases = aliases
        self.current: Site | None = None  # the site a rule is rewriting
        # Statement edits rules asked for, and the module-level definitions they need (by
        # the id of the top-level statement they go above).
        self.edits: dict[int, _StatementEdits] = {}
        self.definitions: dict[int, list[cst.BaseStatement]] = {}
        self.defined: set[str] = set()
        self.staged: list[tuple[str, int, list[cst.BaseStatement]]] = []
        self.outcomes = outcomes
        self.ctx = _Context(plan, self)
        self.header_comments = header_comments
        # References a rule could not rewrite as values, by the id of the node left in their
        # place, in case an enclosing rule makes them calls (``_Context.call``).
        self.left_references: dict[int, tuple[cst.CSTNode, Site, Rule]] = {}
        # Every site a rule left as it was (a TODO), for ``_Context.consume``.
        self.left_sites: dict[int, tuple[cst.CSTNode, Site, str]] = {}
        # Sites decided in phase one as TODOs (no rule claims them), by their node's id.
        self.decided_todos: dict[int, tuple[Site, str]] = {}
        # Statements whose markers are written, and markers withdrawn after that (a class
        # rule decides after the statements inside it are done): removed from its result.
        self.marked_statements: set[int] = set()
        self.withdrawn_markers: list[str] = []
        self.markers_added = False
        # Statements holding a pending site, and every statement on the way to some work (a
        # statement that only gets a marker is not entered: its leading lines are enough).
        self.transform = {site.statement for site, _ in pending.values()}
        self.enter: set[int] = set()
        for statement in self.transform:
            self.enter.update(paths[statement])
        for statement in outcomes.markers:
            self.enter.update(paths[statement][:-1])

    def rewrite(self, module: cst.Module) -> cst.Module:
        if not (self.enter or self.outcomes.markers):
            return module
        return module.with_changes(body=self._statements(module.body, top_level=True))

    def _statements(self, statements: Sequence[cst.CSTNode], top_level: bool = False) -> list[cst.CSTNode]:
        markers = self.outcomes.markers
        rebuilt = [self._rebuild(s) if id(s) in self.enter or id(s) in markers else s for s in statements]
        return self._finish_body(statements, rebuilt, top_level)

    # -- statement edits ------------------------------------------------------------------

    def _commit_staged(self) -> str:
        """Apply what the rule asked for; its note, if it left one."""
        note = ""
        for what, statement, statements in self.staged:
            if what == "note":
                note = str(statements[0])
                continue
            if what == "consume":
                self.consume(statement)  # type: ignore[arg-type]
                continue
            if what == "definition":
                code = "".join(_EMPTY_MODULE.code_for_node(s) for s in statements)
                if code not in self.defined:
                    self.defined.add(code)
                    self.definitions.setdefault(statement, []).extend(statements)
                continue
            edits = self.edits.setdefault(statement, _StatementEdits())
            if what == "removed":
                edits.removed = True
            elif what == "unwrap":
                edits.unwrap = True
            elif what == "unbind":
                edits.unbound.add(int(statements[0]))  # type: ignore[call-overload]
            elif what == "replacement":
                edits.replacement = statements
            else:
                getattr(edits, what).extend(statements)
        self.staged = []
        return note

    def _finish_body(
        self, originals: Sequence[cst.CSTNode], rebuilt: Sequence[cst.CSTNode], top_level: bool = False
    ) -> list[cst.CSTNode]:
        """Apply the statement edits rules asked for to one body (statements as parsed and as
        rewritten, in step). Edits may name a statement already rewritten: a functional
        model's graph lines are folded into a class when the ``keras.Model(...)`` call after
        them is reached."""
        if not self.edits and not (top_level and self.definitions):
            return list(rebuilt)
        body: list[cst.CSTNode] = []
        for original, node in zip(originals, rebuilt):
            if top_level and id(original) in self.definitions:
                body.extend(_spaced(self.definitions[id(original)], first=not body))
                node = _after_definitions(node)
            edits = self.edits.get(id(original))
            if edits is None:
                body.append(node)
                continue
            if edits.removed:
                self.consume(node, withdraw_markers=False)
                continue
            if edits.replacement == [] and not (edits.before or edits.after):
                self.consume(node, withdraw_markers=False)
            if edits.unbound and isinstance(node, cst.With):
                node = _unbind(node, edits.unbound)
            kept = [node] if edits.replacement is None else edits.replacement
            if edits.unwrap and isinstance(node, cst.With) and isinstance(node.body, cst.IndentedBlock):
                kept = list(node.body.body)  # dedented by being spliced in; comments follow below
            emitted = [*edits.before, *kept, *edits.after]
            if emitted and node is not None and emitted[0] is not node:
                emitted[0] = _with_leading_lines(emitted[0], getattr(node, "leading_lines", ()))
                if edits.replacement is None and edits.before:
                    index = len(edits.before)
                    emitted[index] = emitted[index].with_changes(leading_lines=())
            body.extend(emitted)
        return body

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        if not self.edits:
            return updated_node
        body = self._finish_body(original_node.body, updated_node.body)
        return updated_node.with_changes(body=body or [cst.SimpleStatementLine([cst.Pass()])])

    def type_of(self, expression: cst.BaseExpression, site: Site) -> str | None:
        if isinstance(expression, cst.Name):
            return site.types.get(expression.value)
        if isinstance(expression, cst.Attribute):
            if isinstance(expression.value, cst.Name) and expression.value.value == "self":
                return site.types.get("self." + expression.attr.value)
            return None
        if isinstance(expression, cst.Call) and self.registry is not None:
            func = expression.func
            spelling = dotted(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
            qualified = self.aliases.resolve(spelling) if spelling and self.aliases else None
            if qualified:
                return self.registry.returns(qualified)
            if isinstance(func, cst.Name):
                return site.callables.get(func.value)  # the file's own class or builder
            if isinstance(func, cst.Attribute):
                receiver = self.type_of(func.value, site)
                return self.registry.returns(f"{receiver}.{func.attr.value}") if receiver else None
        return None

    def _rebuild(self, node: cst.CSTNode) -> cst.CSTNode:
        if id(node) in self.transform:
            return node.visit(self)  # type: ignore[return-value]
        changes = {}
        for name in _CLAUSE_FIELDS:
            child = getattr(node, name, None)
            if isinstance(child, (list, tuple)):  # handlers, cases
                changes[name] = [self._rebuild(c) for c in child]
            elif isinstance(child, cst.IndentedBlock):
                body = self._statements(child.body)
                changes[name] = child.with_changes(body=body or [cst.SimpleStatementLine([cst.Pass()])])
            elif isinstance(child, (cst.Else, cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase)):
                changes[name] = self._rebuild(child)
            elif isinstance(child, cst.If) and (id(child) in self.enter or id(child) in self.outcomes.markers):
                changes[name] = self._rebuild(child)  # an `elif`
        rebuilt = node.with_changes(**changes) if changes else node
        return self._mark(node, rebuilt)

    def _mark(self, original: cst.CSTNode, node: cst.CSTNode) -> cst.CSTNode:
        todo = self.outcomes.markers.get(id(original))
        if not todo or not isinstance(node, MARKABLE):
            return node
        ordered = [(rule, why) for _, rule, why in sorted(todo, key=lambda m: m[0])]
        self.marked_statements.add(id(original))
        marked = markers.attach(node, ordered, self.header_comments.get(id(original), frozenset()))
        self.markers_added |= marked is not node
        return marked

    # on_visit/on_leave run for every node entered: they dispatch through a per-type cache
    # instead of libcst's per-node f-string and getattr.

    def on_visit(self, node: cst.CSTNode) -> bool:
        kind = type(node)
        if kind in _ENTERED_ONLY_ON_A_PATH and id(node) not in self.enter:
            return False
        visit = _method("visit", kind)
        return visit is None or visit(self, node) is not False

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        leave = _method("leave", type(original_node))
        result = updated_node if leave is None else leave(self, original_node, updated_node)
        return self._mark(original_node, result)

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        return self._apply(original_node, updated_node, "rewrite_reference")

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self._apply(original_node, updated_node, "rewrite_reference")

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        return self._apply(original_node, updated_node, "rewrite_call")

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        return self._apply(original_node, updated_node, "rewrite_class")

    def leave_Decorator(self, original_node: cst.Decorator, updated_node: cst.Decorator):  # type: ignore[override]
        result = self._apply(original_node, updated_node, "rewrite_decorator")
        return cst.RemoveFromParent() if result is None else result

    def _apply(self, original: cst.CSTNode, updated, hook: str):  # noqa: ANN001, ANN202
        entry = self.pending.get(id(original))
        if entry is None:
            decided = self.decided_todos.get(id(original))
            if decided is not None:
                self.left_sites[id(updated)] = (updated, decided[0], decided[1])
            return updated
        site, rule = entry
        self.current, self.staged = site, []
        imports = set(self.ctx._plan.needed)
        try:
            result = getattr(rule, hook)(updated, site.qualified, self.ctx)
        except CannotMigrate as reason:
            self.staged = []
            self.ctx._plan.needed = imports  # the names the rule spelled are not written
            self.outcomes.todo(rule.id, site, reason.reason)
            self.left_sites[id(updated)] = (updated, site, rule.id)
            if hook == "rewrite_reference":
                self.left_references[id(updated)] = (updated, site, rule)
            return updated
        except Exception as error:  # a bug in a rule must not take the file down with it
            raise RuleCrashed(rule.id, error) from error
        finally:
            self.current = None
        note = self._commit_staged()
        self.outcomes.rewritten(rule.id, site, note)
        if self.withdrawn_markers and isinstance(result, cst.CSTNode):
            result = result.visit(_WithdrawMarkers(self.withdrawn_markers))
            self.withdrawn_markers = []
        return result


    def consume(self, node: cst.CSTNode, withdraw_markers: bool = True) -> None:
        """Withdraw the TODOs of every site left as it was in ``node`` (a subtree a rule rebuilt
        or dropped): their code is gone from the output, so neither their markers nor the TF
        imports they kept may stay. A statement deleted whole takes its markers with it
        (``withdraw_markers=False``)."""
        stack = [node]
        while stack:
            current = stack.pop()
            entry = self.left_sites.pop(id(current), None)
            if entry is None and id(current) in self.decided_todos:
                # A statement the rewriter never entered keeps the parser's nodes.
                entry = (current, *self.decided_todos.pop(id(current)))
            if entry is not None and entry[0] is current:
                _, site, rule_id = entry
                self.left_references.pop(id(current), None)
                why = self.outcomes.retract_todo(rule_id, site)
                if withdraw_markers and why is not None and site.statement in self.marked_statements:
                    self.withdrawn_markers.append(markers.text(rule_id, why))
                self.outcomes.rewritten(rule_id, site)
            stack.extend(current.children)

    def call_left_reference(self, func: cst.BaseExpression, args: Sequence[cst.Arg]) -> cst.BaseExpression:
        call = cst.Call(func, list(args))
        entry = self.left_references.get(id(func))
        if entry is None or entry[0] is not func:
            return call
        _, site, rule = entry
        outer, self.current = self.current, site
        staged, self.staged = self.staged, []
        imports = set(self.ctx._plan.needed)
        try:
            result = rule.rewrite_call(call, site.qualified, self.ctx)
            note = self._commit_staged()
        except CannotMigrate:
            self.ctx._plan.needed = imports
            return call  # the reference's TODO stands, and is as true of the call
        except Exception as error:
            raise RuleCrashed(rule.id, error) from error
        finally:
            self.current, self.staged = outer, staged
        del self.left_references[id(func)]
        self.outcomes.retract_todo(rule.id, site)
        self.outcomes.rewritten(rule.id, site, note)
        return result


def _public(qualified: str) -> str:
    return "tf." + qualified[len("tensorflow.") :] if qualified.startswith("tensorflow.") else qualified


def migrate_source(
    source: str,
    path: str = "<string>",
    selection: Selection | None = None,
    registry: Registry | None = None,
) -> FileResult:
    """Migrate one Python source string. Never raises for bad input."""
    if not any(name in source for name in _NAMES_TO_NOTICE):  # a plain substring search: fast
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
        return _migrate_module(module, source, path, selection or Selection(), registry if registry is not None else default_registry())
    except RuleCrashed as error:
        return FileResult(path, source, source, error=str(error))
    except RecursionError:
        return FileResult(path, source, source, error="too deeply nested to rewrite")


def _migrate_module(module: cst.Module, source: str, path: str, selection: Selection, registry: Registry) -> FileResult:
    spans = Spans.of(module, source)
    aliases = Aliases()
    for node in spans.nodes:
        if type(node) is cst.SimpleStatementLine and any(type(s) in (cst.Import, cst.ImportFrom) for s in node.body):
            for binding in bindings_of(node):  # type: ignore[arg-type]
                aliases.add(binding)
    if not aliases.tf and not aliases.star_imports:
        return FileResult(path, source, source)

    # Phase one: every site, read-only. Sites no rule needs to see are decided here.
    analysis = SiteFinder(aliases, spans, registry).run(module)
    outcomes = _Outcomes()
    pending: dict[int, tuple[Site, Rule]] = {}
    decided_todos: dict[int, tuple[Site, str]] = {}
    for key, site in analysis.sites.items():
        rule = registry.lookup(site.qualified) if site.kind is not Kind.STAR_IMPORT else registry.get(STAR_IMPORT)
        rule_id = rule.id if rule is not None else UNMAPPED
        if not selection.enabled(rule_id):
            outcomes.ignored(rule_id, site)
        elif site.kind is Kind.STAR_IMPORT:
            outcomes.todo(rule_id, site, "a star import from TF/Keras hides which names this file uses; import them by name")
        elif rule is None:
            outcomes.todo(rule_id, site, f"no rule for `{_public(site.qualified)}` yet")
            decided_todos[key] = (site, rule_id)
        else:
            pending[key] = (site, rule)

    # Phase two: rewrite, entering only the statements on the way to some work.
    plan = imports.ImportPlan(source, aliases)
    rewriter = _Rewriter(pending, analysis.paths, outcomes, plan, _header_comments(module), module, registry, aliases)
    rewriter.decided_todos = decided_todos
    new_module = rewriter.rewrite(module)

    findings = sorted(outcomes.findings, key=lambda f: (f.line, f.col))
    unused = {name for name in aliases.tf if outcomes.uses_left[name] == 0}
    rewritten = any(f.outcome is Outcome.REWRITTEN for f in findings)
    if not (rewritten or unused or rewriter.markers_added):
        return FileResult(path, source, source, findings)
    new_module = imports.finalize(new_module, plan, unused)
    return FileResult(path, source, new_module.code, findings)


def _with_leading_lines(statement: cst.CSTNode, lines: Sequence[cst.EmptyLine]) -> cst.CSTNode:
    """A statement that takes the place of another takes its comments and blank lines too."""
    if not lines or not hasattr(statement, "leading_lines"):
        return statement
    return statement.with_changes(leading_lines=[*lines, *statement.leading_lines])  # type: ignore[attr-defined]


def _unbind(statement: cst.With, unbound: set[int]) -> cst.With:
    """The ``with`` without the ``as`` targets of the ``unbound`` items; an item that became
    the same as an earlier one goes (two tapes over one pass: one ``torch.autocast``)."""
    items: list[cst.WithItem] = []
    seen: set[str] = set()
    for index, item in enumerate(statement.items):
        if index in unbound:
            item = item.with_changes(asname=None)
            code = _EMPTY_MODULE.code_for_node(item.item)
            if code in seen:
                continue
            seen.add(code)
        items.append(item)
    items[-1] = items[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return statement.with_changes(items=items)


def _spaced(definitions: Sequence[cst.CSTNode], first: bool) -> list[cst.CSTNode]:
    """Module-level definitions set off by two blank lines, as PEP 8 spaces them."""
    blank = [cst.EmptyLine(), cst.EmptyLine()]
    spaced = []
    for i, node in enumerate(definitions):
        if hasattr(node, "leading_lines") and not (first and i == 0):
            node = node.with_changes(leading_lines=[*blank, *node.leading_lines])  # type: ignore[attr-defined]
        spaced.append(node)
    return spaced


def _after_definitions(statement: cst.CSTNode) -> cst.CSTNode:
    """The statement below inserted definitions is set off from them by two blank lines."""
    lines = getattr(statement, "leading_lines", None)
    if lines is None:
        return statement
    blank = next((i for i, line in enumerate(lines) if line.comment is not None), len(lines))
    if blank >= 2:
        return statement
    return statement.with_changes(leading_lines=[*[cst.EmptyLine()] * (2 - blank), *lines])  # type: ignore[attr-defined]


def _header_comments(module: cst.Module) -> dict[int, frozenset[str]]:
    """libcst keeps the comments that open a file in the module header, not in the first
    statement: a marker already written there must not be written again."""
    if not module.body:
        return {}
    return {id(module.body[0]): frozenset(line.comment.value for line in module.header if line.comment)}


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
