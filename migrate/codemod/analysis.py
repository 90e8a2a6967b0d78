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

Method sites: the walk also follows the *types* of values TF/Keras calls make, as the
rules declare them (``Rule.returns``): ``tape`` in ``with tf.GradientTape() as tape`` is a
``tensorflow.GradientTape``, so ``tape.gradient(...)`` is a site named
``tensorflow.GradientTape.gradient`` when a rule claims that name. Types follow names,
``self.attr`` within a class, call chains, instances of the file's own subclasses of
TF/Keras classes and calls of the file's functions that return one typed value; a receiver
of ``.compile(optimizer=…/loss=…)`` is taken for a Keras model.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Iterable, Iterator, Mapping, Protocol

import libcst as cst

from migrate.codemod.names import Aliases, dotted, is_tf
from migrate.codemod.spans import Spans


class Kind(Enum):
    CALL = "call"  # keyed by the Call node; the rule rewrites the whole call
    DECORATOR = "decorator"  # keyed by the Decorator node (`@tf.function`, `@tf.function(...)`)
    REFERENCE = "reference"  # keyed by the Name/Attribute node
    CLASS = "class"  # keyed by the ClassDef whose first TF base it is (`class M(keras.Model)`)
    STAR_IMPORT = "star_import"  # keyed by the ImportFrom node


_NO_TYPES: Mapping[str, str] = MappingProxyType({})


@dataclass
class Site:
    kind: Kind
    qualified: str
    spelling: str  # as written: `tf.math.reduce_sum`
    statement: int  # id of the innermost statement with leading lines (where a TODO goes)
    line: int
    col: int
    statement_node: cst.CSTNode | None = None
    scope: cst.CSTNode | None = None  # the innermost FunctionDef, or the Module
    #: the types of names (`model`) and `self.attr`s visible at the site
    types: Mapping[str, str] = field(default_factory=lambda: _NO_TYPES)
    #: the file's classes and functions visible at the site whose calls return a typed value
    #: (`class Warmup(LearningRateSchedule)`: `Warmup(...)` is a schedule)
    callables: Mapping[str, str] = field(default_factory=lambda: _NO_TYPES)


class Types(Protocol):
    """What the analysis asks the rules library about types (``Registry`` answers)."""

    def returns(self, qualified: str) -> str | None: ...

    def lookup(self, qualified: str) -> object | None: ...


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

    def __init__(self, aliases: Aliases, spans: Spans, types: Types):
        self.aliases = aliases
        self.spans = spans
        self.types = types
        self.result = Analysis()
        self._scopes: list[set[str]] = [set()]
        # Per scope, parallel to _scopes: names bound to a typed value, and the file's
        # classes and functions whose calls return a typed value (`class M(keras.Model)`,
        # `def build_model(): return keras.Sequential(...)`).
        self._typed: list[dict[str, str]] = [{}]
        self._classes: list[dict[str, str]] = [{}]
        self._self_attrs: list[dict[str, str]] = []  # per enclosing class: `self.x` types
        self._return_types: list[list[str | None]] = []  # per enclosing function: what it returns
        self._typed_count = 0  # any types at all? most files have none: skip the snapshots
        self._statements: list[cst.CSTNode] = []  # the enclosing markable statements
        self._scope_nodes: list[cst.CSTNode] = []  # the module, then enclosing functions
        self._cursors: dict[int, int] = {}  # per statement: where to look for the next site

    def run(self, module: cst.Module) -> Analysis:
        self._scope_nodes.append(module)
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
        node = self._statements[-1]
        statement = id(node)
        line, col = self._locate(statement, spelling)
        types = self._visible_types() if self._typed_count else _NO_TYPES
        callables = self._visible_callables() if any(self._classes) else _NO_TYPES
        self.result.sites[id(key)] = Site(
            kind, qualified, spelling, statement, line, col, node, self._scope_nodes[-1], types, callables
        )
        self.result.paths.setdefault(statement, tuple(id(s) for s in self._statements))

    # -- types ----------------------------------------------------------------------------

    def _visible_types(self) -> Mapping[str, str]:
        visible: dict[str, str] = {}
        for bound, typed in zip(self._scopes, self._typed):  # outermost first: inner wins
            for name in bound:
                visible.pop(name, None)
            visible.update(typed)
        if self._self_attrs:
            visible.update(("self." + attr, type_) for attr, type_ in self._self_attrs[-1].items())
        return visible

    def _visible_callables(self) -> Mapping[str, str]:
        visible: dict[str, str] = {}
        for bound, classes in zip(self._scopes, self._classes):  # outermost first: inner wins
            for name in bound:
                visible.pop(name, None)
            visible.update(classes)
        return visible

    def _name_type(self, name: str) -> str | None:
        for bound, typed, classes in zip(reversed(self._scopes), reversed(self._typed), reversed(self._classes)):
            if name in typed:
                return typed[name]
            if name in bound or name in classes:
                return None
        return None

    def _class_type(self, name: str) -> str | None:
        for bound, classes in zip(reversed(self._scopes), reversed(self._classes)):
            if name in classes:
                return classes[name]
            if name in bound:
                return None
        return None

    def type_of(self, node: cst.CSTNode | None) -> str | None:
        """The type of an expression's value, from what the walk has seen so far."""
        kind = type(node)
        if kind is cst.Name:
            return self._name_type(node.value)  # type: ignore[union-attr]
        if kind is cst.Attribute:
            value = node.value  # type: ignore[union-attr]
            if type(value) is cst.Name and value.value == "self" and self._self_attrs:
                return self._self_attrs[-1].get(node.attr.value)  # type: ignore[union-attr]
            return None
        if kind is cst.Call:
            func = node.func  # type: ignore[union-attr]
            if type(func) in (cst.Name, cst.Attribute):
                resolved = self._resolve(func)
                if resolved:
                    return self.types.returns(resolved[0])
            if type(func) is cst.Name:
                return self._class_type(func.value)
            if type(func) is cst.Attribute:
                receiver = self.type_of(func.value)
                if receiver:
                    return self.types.returns(f"{receiver}.{func.attr.value}")
        return None

    def _set_type(self, target: cst.CSTNode | None, type_: str | None) -> None:
        """Record (or forget) the type of what an assignment binds."""
        if type(target) is cst.Name:
            if type_:
                self._typed[-1][target.value] = type_  # type: ignore[union-attr]
                self._typed_count += 1
            else:
                self._typed[-1].pop(target.value, None)  # type: ignore[union-attr]
        elif type(target) is cst.Attribute and self._self_attrs:
            value = target.value  # type: ignore[union-attr]
            if type(value) is cst.Name and value.value == "self":
                attrs = self._self_attrs[-1]
                if type_:
                    attrs[target.attr.value] = type_  # type: ignore[union-attr]
                    self._typed_count += 1
                else:
                    attrs.pop(target.attr.value, None)  # type: ignore[union-attr]

    def _method_site(self, node: cst.Call, func: cst.Attribute) -> bool:
        """Record ``recv.meth(...)`` as a site when ``recv``'s type is known and a rule
        claims ``<type>.<meth>``; the receiver has been walked already."""
        method = func.attr.value
        receiver = self.type_of(func.value)
        if receiver is None and method == "compile" and type(func.value) is cst.Name and any(
            arg.keyword is not None and arg.keyword.value in ("optimizer", "loss") for arg in node.args
        ):
            receiver = "keras.Model"  # `model = build_model(); model.compile(loss=...)`
            self._set_type(func.value, receiver)
        elif receiver is None and method == "apply_gradients" and self.aliases.tf:
            # `self.optimizer.apply_gradients(zip(grads, vars))` in a file that uses TF: an
            # optimizer the walk could not type (a parameter, Keras's own attribute) is still
            # one, and its rule says what it cannot read rather than leave it silently.
            receiver = "keras.optimizers.Optimizer"
        if receiver is None:
            return False
        qualified = f"{receiver}.{method}"
        if self.types.lookup(qualified) is None:
            return False
        spelling = dotted(func)
        self._record(node, Kind.CALL, qualified, spelling or "." + method)
        return True

    def _called_value(self, node: cst.Call, func: cst.BaseExpression) -> bool:
        """``model(x, training=True)``: a call of a typed value is the site
        ``<type>.__call__`` when a rule claims it."""
        receiver = self.type_of(func)
        if receiver is None:
            return False
        qualified = f"{receiver}.__call__"
        if self.types.lookup(qualified) is None:
            return False
        self._record(node, Kind.CALL, qualified, dotted(func) or "")
        return True

    def _typed_reference(self, node: cst.Attribute) -> bool:
        """``recv.attr`` (not called) on a typed receiver, when a rule claims it:
        ``model.trainable_variables``, ``strategy.num_replicas_in_sync``."""
        receiver = self.type_of(node.value)
        if receiver is None:
            return False
        qualified = f"{receiver}.{node.attr.value}"
        if self.types.lookup(qualified) is None:
            return False
        self._record(node, Kind.REFERENCE, qualified, dotted(node) or "." + node.attr.value)
        return True

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
            self._statements.append(node)
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
            if self._typed_count:
                self._typed_reference(node)

    def _call(self, node: cst.Call) -> None:
        func = node.func
        resolved = self._resolve(func) if type(func) in (cst.Name, cst.Attribute) else None
        if resolved:
            self._record(node, Kind.CALL, *resolved)
        elif type(func) is cst.Attribute:
            self._walk(func.value)  # the receiver first: its sites come first in the text
            if not self._method_site(node, func) and self._typed_count:
                if not self._called_value(node, func):
                    self._typed_reference(func)
        else:
            self._walk(func)
            if self._typed_count and type(func) is cst.Name:
                self._called_value(node, func)
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
        self._statements.append(node)
        self._walk_all(node.decorators)
        params = list(_params(node.params))
        for param in params:  # defaults and annotations are read in the enclosing scope
            self._walk_all((param.annotation, param.default))
        self._walk_all((node.returns,))
        self._push_scope({p.name.value for p in params})
        self._scope_nodes.append(node)
        self._return_types.append([])
        self._walk(node.body)
        returned = set(self._return_types.pop())
        self._scope_nodes.pop()
        self._pop_scope()
        self._statements.pop()
        self._typed[-1].pop(node.name.value, None)
        # `def build_model(): ... return model`: its calls return a Keras model too (a
        # method is called through its instance, never by its bare name).
        method = bool(self._statements) and type(self._statements[-1]) is cst.ClassDef
        if len(returned) == 1 and None not in returned and not method:
            self._classes[-1][node.name.value] = returned.pop()  # type: ignore[assignment]
            self._typed_count += 1
        else:
            self._classes[-1].pop(node.name.value, None)

    def _push_scope(self, names: set[str]) -> None:
        self._scopes.append(names)
        self._typed.append({})
        self._classes.append({})

    def _pop_scope(self) -> None:
        self._scopes.pop()
        self._typed.pop()
        self._classes.pop()

    def _class(self, node: cst.ClassDef) -> None:
        # A class with a TF base (`class M(keras.Model)`) is one site: its rule rewrites the
        # whole class (base, `call` → `forward` …) after the sites inside it.
        self._statements.append(node)
        self._walk_all(node.decorators)
        based = False
        instance_type = None
        for arg in node.bases:
            resolved = None
            if not based and not arg.keyword and type(arg.value) in (cst.Name, cst.Attribute):
                resolved = self._resolve(arg.value)
            if resolved:
                self._record(node, Kind.CLASS, *resolved)
                based = True
                instance_type = instance_type or self.types.returns(resolved[0]) or resolved[0]
            else:
                self._walk(arg.value)
                if type(arg.value) is cst.Name:  # a subclass of the file's own Keras class
                    instance_type = instance_type or self._class_type(arg.value.value)
        for arg in node.keywords:
            self._walk(arg.value)
        self._self_attrs.append({})
        self._walk(node.body)
        self._self_attrs.pop()
        self._statements.pop()
        self._typed[-1].pop(node.name.value, None)
        if instance_type:
            self._classes[-1][node.name.value] = instance_type
            self._typed_count += 1
        else:
            self._classes[-1].pop(node.name.value, None)

    def _lambda(self, node: cst.Lambda) -> None:
        params = list(_params(node.params))
        for param in params:
            self._walk_all((param.default,))
        self._push_scope({p.name.value for p in params})
        self._walk(node.body)
        self._pop_scope()

    def _comprehension(self, node: cst.BaseComp) -> None:
        # Walked in textual order (element first) for positions, with Python's scoping: the
        # loop variables are bound for the element and the conditions, but the first
        # iterable is read in the enclosing scope.
        names: set[str] = set()
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            names |= _bound_names(clause.target)
            clause = clause.inner_for_in
        self._push_scope(names)
        for name in ("elt", "key", "value"):
            if hasattr(node, name):
                self._walk(getattr(node, name))
        self._pop_scope()
        clause = node.for_in
        self._walk(clause.iter)
        self._push_scope(names)
        while clause is not None:
            if clause is not node.for_in:
                self._walk(clause.iter)
            self._walk_all(i.test for i in clause.ifs)
            clause = clause.inner_for_in
        self._pop_scope()

    def _if_exp(self, node: cst.IfExp) -> None:
        self._walk_all((node.body, node.test, node.orelse))  # textual order

    def _assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._read_targets(target.target)
        self._walk(node.value)
        type_ = self.type_of(node.value) if type(node.value) in (cst.Call, cst.Name) else None
        for target in node.targets:  # bound after the value is read: `tf = tf.compat.v1`
            self._bind(target.target)
            self._set_type(target.target, type_)

    def _ann_assign(self, node: cst.AnnAssign) -> None:
        self._read_targets(node.target)
        self._walk(node.annotation.annotation)
        self._walk_all((node.value,))
        self._bind(node.target)
        self._set_type(node.target, self.type_of(node.value) if node.value is not None else None)

    def _aug_assign(self, node: cst.AugAssign) -> None:
        self._read_targets(node.target)
        self._walk(node.value)
        self._bind(node.target)
        self._set_type(node.target, None)

    def _named_expr(self, node: cst.NamedExpr) -> None:
        self._walk(node.value)
        self._bind(node.target)
        self._set_type(node.target, self.type_of(node.value))

    def _for(self, node: cst.For) -> None:
        self._statements.append(node)
        self._read_targets(node.target)
        self._walk(node.iter)
        self._bind(node.target)
        for name in _bound_names(node.target):
            self._typed[-1].pop(name, None)
        self._walk(node.body)
        self._walk_all((node.orelse,))
        self._statements.pop()

    def _return(self, node: cst.Return) -> None:
        self._walk_all((node.value,))
        if self._return_types:
            self._return_types[-1].append(self.type_of(node.value) if node.value is not None else None)

    def _with_item(self, node: cst.WithItem) -> None:
        self._walk(node.item)
        self._bind(node.asname)
        if node.asname is not None:
            self._set_type(node.asname.name, self.type_of(node.item))

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
    cst.Return: SiteFinder._return,
    cst.ExceptHandler: SiteFinder._except,
    cst.Import: SiteFinder._skip,
    cst.Global: SiteFinder._skip,
    cst.Nonlocal: SiteFinder._skip,
    cst.ImportFrom: SiteFinder._import_from,
}
