"""Phase one of the engine: find every TF/Keras site of a module, read-only.

A site is a reference to a name bound to TF/Keras — ``tf.reduce_sum`` in a call, ``@tf.function``
as a decorator, ``tf.float32`` as a value — resolved to its canonical qualified name.

The walk is our own, over the dataclass fields of libcst's nodes, not a libcst visitor: it
rebuilds nothing and skips whitespace, which makes it about twenty times cheaper than a
visitor pass. That lets the engine find the sites of the whole file first and then run the
rewriting transformer over only the statements that have work.

Python's scoping is followed where it changes what a name means: a parameter, an
assignment, a loop or ``as`` target, a walrus target or a comprehension variable with the
name of an import hides the import (in its function, its comprehension, or — at module
level — the rest of the file). Names that are not references (keyword argument names,
parameter names, attribute names, def/class names) are never resolved.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable, Iterator

import libcst as cst

from migrate.codemod.names import Aliases, dotted, is_tf
from migrate.codemod.spans import Spans


class Kind(Enum):
    CALL = "call"  # keyed by the Call node; the rule rewrites the whole call
    DECORATOR = "decorator"  # keyed by the Decorator node (`@tf.function`, `@tf.function(...)`)
    REFERENCE = "reference"  # keyed by the Name/Attribute node
    CLASS = "class"  # keyed by the ClassDef whose first TF base it is (`class M(keras.Model)`)
    STAR_IMPORT = "star_import"  # keyed by the ImportFrom node


@dataclass
class Site:
    kind: Kind
    qualified: str
    spelling: str  # as written: `tf.math.reduce_sum`
    statement: int  # id of the innermost statement with leading lines (where a TODO goes)
    line: int
    col: int


@dataclass
class Analysis:
    sites: dict[int, Site] = field(default_factory=dict)  # id(node) -> site, in source order
    #: ids of the statements enclosing each statement with a site, innermost last
    paths: dict[int, tuple[int, ...]] = field(default_factory=dict)


_SKIPPED_FIELDS = frozenset(
    {
        "lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after_decorators",
        "trailing_whitespace", "header", "footer", "equal", "dot", "colon", "newline", "indent",
        "operator", "star", "asynchronous", "lbracket", "rbracket", "lbrace", "rbrace",
    }
)
_FIELDS: dict[type, tuple[str, ...]] = {}

# Statements that can carry a TODO comment above them (a one-line suite's statements
# cannot: their markers go above the compound statement that holds them).
MARKABLE = (cst.SimpleStatementLine, cst.BaseCompoundStatement)


def _child_fields(kind: type) -> tuple[str, ...]:
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(
            f.name for f in dataclasses.fields(kind) if f.name not in _SKIPPED_FIELDS and "whitespace" not in f.name
        )
    return fields


def _children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif type(value) in (list, tuple):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


@functools.lru_cache(maxsize=4096)
def _occurrence(spelling: str) -> re.Pattern[str]:
    """``spelling`` as a whole dotted name: not ``xtf.abs``, not ``tf.abs_grad``."""
    return re.compile(r"(?<![\w.])" + re.escape(spelling) + r"(?!\w)")


_BLANK_OR_COMMENT_LINE = re.compile(r"[ \t]*(?:#[^\n]*)?\n")


def _first_code(source: str, start: int, end: int) -> int:
    """The offset of a statement's first character of code, past its leading comment lines."""
    position = start
    while position < end:
        line = _BLANK_OR_COMMENT_LINE.match(source, position)
        if not line:
            break
        position = line.end()
    while position < end and source[position] in " \t":
        position += 1
    return min(position, end)


def _bound_names(target: cst.CSTNode | None) -> set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return set().union(*(_bound_names(e.value) for e in target.elements))
    if isinstance(target, cst.StarredElement):
        return _bound_names(target.value)
    if isinstance(target, cst.AsName):
        return _bound_names(target.name)
    return set()


def _params(params: cst.Parameters) -> Iterable[cst.Param]:
    yield from params.posonly_params
    yield from params.params
    yield from params.kwonly_params
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            yield star


class SiteFinder:
    """Walks a module once and records its sites (see the module docstring)."""

    def __init__(self, aliases: Aliases, spans: Spans):
        self.aliases = aliases
        self.spans = spans
        self.result = Analysis()
        self._scopes: list[set[str]] = [set()]
        self._statements: list[int] = []  # ids of the enclosing markable statements
        self._cursors: dict[int, int] = {}  # per statement: where to look for the next site

    def run(self, module: cst.Module) -> Analysis:
        for statement in module.body:
            self._walk(statement)
        return self.result

    # -- sites ----------------------------------------------------------------------------

    def _shadowed(self, name: str) -> bool:
        return any(name in scope for scope in self._scopes)

    def _resolve(self, node: cst.BaseExpression) -> tuple[str, str] | None:
        head = node
        while type(head) is cst.Attribute:
            head = head.value
        if type(head) is not cst.Name or head.value not in self.aliases.tf or self._shadowed(head.value):
            return None
        spelling = dotted(node)
        if spelling is None:
            return None
        qualified = self.aliases.resolve(spelling)
        return (qualified, spelling) if qualified else None

    def _record(self, key: cst.CSTNode, kind: Kind, qualified: str, spelling: str) -> None:
        statement = self._statements[-1]
        line, col = self._locate(statement, spelling)
        self.result.sites[id(key)] = Site(kind, qualified, spelling, statement, line, col)
        self.result.paths.setdefault(statement, tuple(self._statements))

    def _locate(self, statement: int, spelling: str) -> tuple[int, int]:
        """Line and column of the next occurrence of ``spelling`` in the statement's text.

        The walk meets sites in textual order, so a cursor per statement tells repeated
        spellings apart. A dotted name broken over lines is found by its first name.
        """
        start, end = self._span(statement)
        source = self.spans.source
        # Past the statement's leading comments: a TODO marker written by an earlier run
        # names the same API, and the site is in the code below it.
        cursor = self._cursors.get(statement)
        if cursor is None:
            cursor = _first_code(source, start, end)
        for wanted in (spelling, spelling.split(".", 1)[0]):
            match = _occurrence(wanted).search(source, cursor, end)
            if match:
                self._cursors[statement] = match.end()
                return self.spans.line_col(match.start())
        return self.spans.line_col(_first_code(source, start, end))

    def _span(self, statement: int) -> tuple[int, int]:
        return self.spans.span_of_id(statement) or (0, len(self.spans.source))

    # -- the walk -------------------------------------------------------------------------

    def _walk(self, node: cst.CSTNode) -> None:
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node)
            return
        markable = isinstance(node, MARKABLE)
        if markable:
            self._statements.append(id(node))
        for child in _children(node):
            self._walk(child)
        if markable:
            self._statements.pop()

    def _walk_all(self, nodes: Iterable[cst.CSTNode | None]) -> None:
        for node in nodes:
            if node is not None:
                self._walk(node)

    def _read_targets(self, target: cst.CSTNode | None) -> None:
        """The parts of an assignment target that are read (``a`` in ``a.b = …``, ``a[i] = …``)."""
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._read_targets(element.value)
        elif isinstance(target, cst.StarredElement):
            self._read_targets(target.value)
        elif target is not None and not isinstance(target, cst.Name):
            self._walk(target)

    def _bind(self, target: cst.CSTNode | None) -> None:
        """Names an assignment target binds hide any import of the same name from here on."""
        self._scopes[-1].update(_bound_names(target))

    def _name(self, node: cst.Name) -> None:
        resolved = self._resolve(node)
        if resolved:
            self._record(node, Kind.REFERENCE, *resolved)

    def _attribute(self, node: cst.Attribute) -> None:
        resolved = self._resolve(node)
        if resolved:
            self._record(node, Kind.REFERENCE, *resolved)  # the outermost name of a TF chain
        else:
            self._walk(node.value)  # `.attr` is not a reference

    def _call(self, node: cst.Call) -> None:
        resolved = self._resolve(node.func) if type(node.func) in (cst.Name, cst.Attribute) else None
        if resolved:
            self._record(node, Kind.CALL, *resolved)
        else:
            self._walk(node.func)
        for arg in node.args:
            self._walk(arg.value)  # `keyword=` is not a reference

    def _decorator(self, node: cst.Decorator) -> None:
        # `@tf.function` and `@tf.function(...)` are both decorator sites: a rule may write a
        # different decorator for each (`@torch.compile`, never `@torch.compile()`).
        expression = node.decorator
        callee = expression.func if type(expression) is cst.Call else expression
        resolved = self._resolve(callee) if type(callee) in (cst.Name, cst.Attribute) else None
        if resolved:
            self._record(node, Kind.DECORATOR, *resolved)
            if type(expression) is cst.Call:
                for arg in expression.args:
                    self._walk(arg.value)
        else:
            self._walk(expression)

    def _function(self, node: cst.FunctionDef) -> None:
        self._statements.append(id(node))
        self._walk_all(node.decorators)
        params = list(_params(node.params))
        for param in params:  # defaults and annotations are read in the enclosing scope
            self._walk_all((param.annotation, param.default))
        self._walk_all((node.returns,))
        self._scopes.append({p.name.value for p in params})
        self._walk(node.body)
        self._scopes.pop()
        self._statements.pop()

    def _class(self, node: cst.ClassDef) -> None:
        # A class with a TF base (`class M(keras.Model)`) is one site: its rule rewrites the
        # whole class (base, `call` → `forward` …) after the sites inside it.
        self._statements.append(id(node))
        self._walk_all(node.decorators)
        based = False
        for arg in node.bases:
            resolved = None
            if not based and not arg.keyword and type(arg.value) in (cst.Name, cst.Attribute):
                resolved = self._resolve(arg.value)
            if resolved:
                self._record(node, Kind.CLASS, *resolved)
                based = True
            else:
                self._walk(arg.value)
        for arg in node.keywords:
            self._walk(arg.value)
        self._walk(node.body)
        self._statements.pop()

    def _lambda(self, node: cst.Lambda) -> None:
        params = list(_params(node.params))
        for param in params:
            self._walk_all((param.default,))
        self._scopes.append({p.name.value for p in params})
        self._walk(node.body)
        self._scopes.pop()

    def _comprehension(self, node: cst.BaseComp) -> None:
        # Walked in textual order (element first) for positions, with Python's scoping: the
        # loop variables are bound for the element and the conditions, but the first
        # iterable is read in the enclosing scope.
        names: set[str] = set()
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            names |= _bound_names(clause.target)
            clause = clause.inner_for_in
        self._scopes.append(names)
        for name in ("elt", "key", "value"):
            if hasattr(node, name):
                self._walk(getattr(node, name))
        self._scopes.pop()
        clause = node.for_in
        self._walk(clause.iter)
        self._scopes.append(names)
        while clause is not None:
            if clause is not node.for_in:
                self._walk(clause.iter)
            self._walk_all(i.test for i in clause.ifs)
            clause = clause.inner_for_in
        self._scopes.pop()

    def _if_exp(self, node: cst.IfExp) -> None:
        self._walk_all((node.body, node.test, node.orelse))  # textual order

    def _assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._read_targets(target.target)
        self._walk(node.value)
        for target in node.targets:  # bound after the value is read: `tf = tf.compat.v1`
            self._bind(target.target)

    def _ann_assign(self, node: cst.AnnAssign) -> None:
        self._read_targets(node.target)
        self._walk(node.annotation.annotation)
        self._walk_all((node.value,))
        self._bind(node.target)

    def _aug_assign(self, node: cst.AugAssign) -> None:
        self._read_targets(node.target)
        self._walk(node.value)
        self._bind(node.target)

    def _named_expr(self, node: cst.NamedExpr) -> None:
        self._walk(node.value)
        self._bind(node.target)

    def _for(self, node: cst.For) -> None:
        self._statements.append(id(node))
        self._read_targets(node.target)
        self._walk(node.iter)
        self._bind(node.target)
        self._walk(node.body)
        self._walk_all((node.orelse,))
        self._statements.pop()

    def _with_item(self, node: cst.WithItem) -> None:
        self._walk(node.item)
        self._bind(node.asname)

    def _except(self, node: cst.ExceptHandler) -> None:
        self._walk_all((node.type,))
        self._bind(node.name)
        self._walk(node.body)

    def _skip(self, node: cst.CSTNode) -> None:
        """Imports are the import manager's business; `global`/`nonlocal` name no value."""

    def _import_from(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar) and node.module is not None and not node.relative:
            module = dotted(node.module) or ""
            if is_tf(module):
                self._record(node, Kind.STAR_IMPORT, module, "*")


_HANDLERS = {
    cst.Name: SiteFinder._name,
    cst.Attribute: SiteFinder._attribute,
    cst.Call: SiteFinder._call,
    cst.Decorator: SiteFinder._decorator,
    cst.FunctionDef: SiteFinder._function,
    cst.ClassDef: SiteFinder._class,
    cst.Lambda: SiteFinder._lambda,
    cst.ListComp: SiteFinder._comprehension,
    cst.SetComp: SiteFinder._comprehension,
    cst.DictComp: SiteFinder._comprehension,
    cst.GeneratorExp: SiteFinder._comprehension,
    cst.IfExp: SiteFinder._if_exp,
    cst.Assign: SiteFinder._assign,
    cst.AnnAssign: SiteFinder._ann_assign,
    cst.AugAssign: SiteFinder._aug_assign,
    cst.NamedExpr: SiteFinder._named_expr,
    cst.For: SiteFinder._for,
    cst.WithItem: SiteFinder._with_item,
    cst.ExceptHandler: SiteFinder._except,
    cst.Import: SiteFinder._skip,
    cst.Global: SiteFinder._skip,
    cst.Nonlocal: SiteFinder._skip,
    cst.ImportFrom: SiteFinder._import_from,
}
