"""The rules library format.

A rule has a stable id, a one-line summary, a paragraph saying why the rewrite is what it is,
an example (the "after" half of every doc is produced by running the engine on it, so docs
cannot drift from behaviour), and the TF/Keras names it claims.

Two kinds exist:

* ``ApiCall`` — a table row for a 1:1 call rewrite (rename, argument mapping, values made
  explicit). Adding one is a row in a ``rules/<namespace>.py`` table plus a fixture.
* ``Rule`` subclasses — small Python classes for structural rewrites a row cannot express.

Rules never import TensorFlow or torch: they build libcst nodes, and name their targets by
fully qualified name (``torch.nn.functional.softmax``); the engine decides how to spell the
name in the user's file and which import that needs.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping, Protocol, Sequence

import libcst as cst


class CannotMigrate(Exception):
    """Raised by a rule that recognises a site but cannot rewrite it faithfully.

    The engine leaves the code as it was and writes ``# migrate: TODO(<rule id>) <reason>``.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class RuleContext(Protocol):
    """What the engine offers a rule while it rewrites one site."""

    def name(self, qualified: str) -> cst.BaseExpression:
        """An expression for ``qualified`` (e.g. ``torch.sum``) that works in this file.

        The engine records the import the spelling needs (``import torch``,
        ``from torch import nn``, ``import torch.nn.functional as F``).
        """
        ...

    def source(self, node: cst.CSTNode) -> str:
        """The source text of ``node``, for messages."""
        ...

    def call(self, func: cst.BaseExpression, args: Sequence[cst.Arg] = ()) -> cst.BaseExpression:
        """``func(*args)`` for a rule that turns a value into a call (``tf.cond``'s branches):
        when ``func`` is a TF reference that could not be rewritten as a value, the call is
        migrated by its own rule, so one run reaches what a second run would."""
        ...

    def consume(self, node: cst.CSTNode) -> None:
        """Say that the rule rebuilt ``node`` itself (``keras.Sequential`` sizes its layers
        from the model's input): a TODO the node's own rule left is withdrawn, and the site
        counts as rewritten."""
        ...

    # -- the code around the site (original nodes, as parsed; read-only) ---------------

    def scope(self) -> cst.Module | cst.FunctionDef:
        """The innermost function (or the module) holding the site, as it was parsed."""
        ...

    def module(self) -> cst.Module:
        """The whole module, as it was parsed."""
        ...

    def statement(self) -> cst.CSTNode:
        """The innermost statement holding the site, as it was parsed."""
        ...

    def type_of(self, expression: cst.BaseExpression) -> str | None:
        """The TF/Keras type the analysis inferred at the site for a name (``model``), a
        ``self.attr`` or a call (``tf.GradientTape()``): ``"keras.Model"``, or None."""
        ...

    # -- statement edits, for rewrites that are statements rather than expressions ------

    def replace_statement(self, statements: Sequence[cst.BaseStatement]) -> None:
        """Replace the statement holding the site by ``statements`` (``[]`` deletes it); the
        rule's return value is then ignored. Only a simple statement line can be replaced:
        anything else raises ``CannotMigrate``."""
        ...

    def insert_before(self, statements: Sequence[cst.BaseStatement]) -> None:
        """Put ``statements`` just above the statement holding the site."""
        ...

    def insert_after(self, statements: Sequence[cst.BaseStatement]) -> None:
        """Put ``statements`` just below the statement holding the site."""
        ...

    def remove_statement(self, statement: cst.CSTNode) -> None:
        """Delete another statement of the code (an original node from ``scope()``) that the
        rule folded into its own rewrite; the TODOs of the sites in it are withdrawn."""
        ...

    def add_definition(self, statements: Sequence[cst.BaseStatement]) -> None:
        """Module-level definitions (a class, a helper function) the rewrite needs, placed
        above the top-level statement holding the site; identical code is added once."""
        ...

    def unwrap(self) -> None:
        """Replace the ``with`` statement whose header holds the site by its body (rewritten):
        ``with strategy.scope():`` has no PyTorch counterpart, its body stays."""
        ...

    def unbind(self) -> None:
        """Drop the ``as`` target of the ``with`` items the site's call makes (a tape that
        became ``torch.autocast(...)`` binds nothing worth a name); an item that then repeats
        an earlier one of the same ``with`` goes."""
        ...

    def note(self, message: str) -> None:
        """Something the reader of the rewritten code must know or do (``run it with
        torchrun --nproc_per_node=N``): reported with the rewritten site."""
        ...


def dotted_name(node: cst.CSTNode | None) -> str:
    """``"tf.keras.layers.Dense"`` for that Name/Attribute chain; ``""`` for anything else
    (a call, a subscript, or a chain that starts with one)."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = dotted_name(node.value)
        return f"{inner}.{node.attr.value}" if inner else ""
    return ""


def argument(call: cst.Call, name: str, position: int | None = None) -> cst.Arg | None:
    """The argument of ``call`` for the parameter ``name``: passed by keyword, or the
    positional one at ``position`` (None when the parameter is keyword-only); None if absent."""
    for index, arg in enumerate(call.args):
        if (arg.keyword is not None and arg.keyword.value == name) or (
            arg.keyword is None and not arg.star and position is not None and index == position
        ):
            return arg
    return None


def top_level_names(module: cst.Module, skip: Callable[[cst.FunctionDef], bool] = lambda _: False) -> set[str]:
    """The names a module binds at its top level: functions (but those ``skip`` accepts: a
    helper a rule wrote, found again by a second run), classes, assignments and imports — the
    names a helper the rewrite adds must not take."""
    names: set[str] = set()
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef):
            if not skip(statement):
                names.add(statement.name.value)
        elif isinstance(statement, cst.ClassDef):
            names.add(statement.name.value)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    names.update(t.target.value for t in small.targets if isinstance(t.target, cst.Name))
                elif isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                    for alias in small.names:
                        bound = alias.asname.name if alias.asname else alias.name
                        names.add(dotted_name(bound).split(".")[0])  # type: ignore[arg-type]
    return names


def bare_call(statement: cst.CSTNode) -> cst.Call | None:
    """The call of a statement that is only a call (``opt.apply_gradients(...)`` on its own
    line): the statement a rule may replace or drop; None for anything else."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            return small.value
    return None


_EMPTY_MODULE = cst.Module([])


def code_of(node: cst.CSTNode) -> str:
    """The source text of a node (rules that write statements as text and parse them back)."""
    return _EMPTY_MODULE.code_for_node(node)


def expand(name: str) -> str:
    """Expand the ``tf.`` shorthand used in tables to the module's real name."""
    return "tensorflow." + name[3:] if name.startswith("tf.") else name


@dataclass(frozen=True)
class Check:
    """One numeric test of a row: the TF code and its rewrite run on the same inputs.

    ``tests/test_ops_numeric.py`` runs every check of every op-table rule: it migrates
    ``code`` with the engine, runs the original with TensorFlow and the rewrite with torch (with
    TensorFlow and Keras out of reach), and compares the results.

    ``code`` is one expression, or statements that assign ``result``. It may use ``tf``,
    ``keras``, ``ops`` (``keras.ops``), ``K`` (``keras.backend``), ``np`` and the inputs.

    ``inputs`` maps a name to a spec ``"<dtype>[<dims>]"`` with an optional range:
    ``"f32[3,4]"`` (standard normal), ``"f32[2,0]"`` (empty), ``"f32[]"`` (a scalar),
    ``"f32[3]:pos"`` (in [0.1, 2)), ``"f32[3]:unit"`` (in [0, 1)), ``"i64[5]:0..10"``
    (integers in [0, 10)). Dtypes: f16 bf16 f32 f64 i8 i16 i32 i64 u8 bool c64. Any value that
    is not a string is given to both sides as it is (a Python number, list, NumPy array).

    ``compare``: ``"values"`` (type, shape, dtype, and values within ``atol``/``rtol``) or
    ``"shape"`` (type, shape and dtype only: for random draws). ``dtype=False`` skips the dtype
    comparison (say why in the row's ``why``).
    ``todo``: the rewrite must leave a TODO for this rule instead (a value that decides the
    mapping is not a literal, or no faithful form exists); nothing is run then.
    """

    code: str
    inputs: Mapping[str, Any] = field(default_factory=dict)
    atol: float = 1e-6
    rtol: float = 1e-5
    compare: str = "values"
    dtype: bool = True  # compare dtypes too
    todo: bool = False


class Rule:
    """Base class of every rule. Subclasses set the class attributes and override the hooks."""

    id: ClassVar[str]
    summary: ClassVar[str]
    why: ClassVar[str]
    example: ClassVar[str]
    #: Canonical qualified names (``tf.`` shorthand allowed) the rule handles.
    names: ClassVar[Sequence[str]] = ()
    #: Numeric tests (required for every rule of an op-table module; see ``Check``).
    checks: Sequence[Check] = ()
    #: The TF/Keras type a call of a claimed name returns (``{"tf.GradientTape":
    #: "tf.GradientTape"}``, ``{"tf.data.Dataset.batch": "tf.data.Dataset"}``): a method
    #: called on a value of that type is a site named ``<type>.<method>``
    #: (``tensorflow.GradientTape.gradient``), which a rule claims like any other name.
    returns: ClassVar[Mapping[str, str]] = {}

    def claims(self) -> tuple[str, ...]:
        return tuple(expand(n) for n in self.names)

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        raise CannotMigrate(f"`{ctx.source(call.func)}` is only migrated as a reference, not as a call")

    def rewrite_reference(
        self, node: cst.BaseExpression, qualified: str, ctx: RuleContext
    ) -> cst.BaseExpression:
        raise CannotMigrate(
            f"`{ctx.source(node)}` is used as a value; only calls to it can be migrated"
        )

    def rewrite_class(self, node: cst.ClassDef, qualified: str, ctx: RuleContext) -> cst.ClassDef:
        """Rewrite a class whose first TF base is ``qualified`` (the sites inside it are
        already rewritten)."""
        raise CannotMigrate(f"subclassing `{qualified}` has no PyTorch counterpart yet")

    def rewrite_decorator(
        self, decorator: cst.Decorator, qualified: str, ctx: RuleContext
    ) -> cst.Decorator | None:
        """Rewrite a decorator; return None to remove it. A decorator that is a call
        (``@tf.foo(...)``) is rewritten as a call unless a rule says otherwise."""
        if isinstance(decorator.decorator, cst.Call):
            return decorator.with_changes(decorator=self.rewrite_call(decorator.decorator, qualified, ctx))
        raise CannotMigrate(f"`@{ctx.source(decorator.decorator)}` has no PyTorch decorator")


# ---------------------------------------------------------------------------------------
# Literal values: a rule may only depend on a value it can read in the source.


class NotLiteral(Exception):
    pass


def literal(node: cst.BaseExpression) -> Any:
    """The Python value of a literal expression, or raise NotLiteral.

    Numbers, strings, True/False/None, and tuples/lists of those count as literals.
    """
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString)):
        try:
            return ast.literal_eval(cst.Module([]).code_for_node(node))
        except (ValueError, SyntaxError) as exc:  # e.g. f-strings
            raise NotLiteral() from exc
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        value = literal(node.expression)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
        raise NotLiteral()
    if isinstance(node, (cst.Tuple, cst.List)):
        items = []
        for element in node.elements:
            if isinstance(element, cst.StarredElement):
                raise NotLiteral()
            items.append(literal(element.value))
        return tuple(items) if isinstance(node, cst.Tuple) else items
    raise NotLiteral()


#: What ``literal_or`` answers for an expression that is not a literal.
NOT_LITERAL: Any = object()


def literal_or(node: cst.BaseExpression | None, default: Any) -> Any:
    """``literal(node)``; ``default`` for a missing argument (None); ``NOT_LITERAL`` for an
    expression whose value cannot be read in the source."""
    if node is None:
        return default
    try:
        return literal(node)
    except NotLiteral:
        return NOT_LITERAL


def to_node(value: Any) -> cst.BaseExpression:
    """A libcst expression for a Python literal value."""
    if isinstance(value, bool) or value is None:
        return cst.Name(repr(value))
    if isinstance(value, (int, float)):
        if value < 0:
            return cst.UnaryOperation(cst.Minus(), to_node(-value))
        return cst.Integer(repr(value)) if isinstance(value, int) else cst.Float(repr(value))
    if isinstance(value, str):
        return cst.SimpleString(repr(value))
    if isinstance(value, (tuple, list)):
        elements = [cst.Element(to_node(v)) for v in value]
        if isinstance(value, list):
            return cst.List(elements)
        if len(elements) == 1:
            elements = [elements[0].with_changes(comma=cst.Comma())]
        return cst.Tuple(elements)
    raise TypeError(f"no literal form for {value!r}")


# ---------------------------------------------------------------------------------------
# Argument mapping for table rows.

#: A value converter: receives the argument's expression, returns the expression to emit.
Convert = Callable[[cst.BaseExpression, RuleContext], cst.BaseExpression]


@dataclass(frozen=True)
class Arg:
    """Where a TF parameter goes in the PyTorch call.

    ``to`` is a position (int) or a keyword name (str). ``convert`` rewrites the value.
    ``default`` is a literal written out when the source omits the argument: used where the
    two libraries' defaults differ (decision 4: defaults are semantics). ``omit_if`` drops
    the argument when its literal value equals PyTorch's own default.
    """

    to: int | str
    convert: Convert | None = None
    default: Any = field(default=None)
    has_default: bool = False
    omit_if: tuple[Any, ...] = ()
    required: bool = False  # TF has a default PyTorch cannot express: no value, no rewrite
    #: Write ``default`` only when this other TF parameter is passed (torch.sum takes
    #: ``keepdim`` only together with ``dim``).
    default_with: str | None = None


def Kw(name: str, convert: Convert | None = None, **kwargs: Any) -> Arg:
    if "default" in kwargs:
        kwargs["has_default"] = True
    return Arg(name, convert, **kwargs)


def Pos(index: int, convert: Convert | None = None, **kwargs: Any) -> Arg:
    if "default" in kwargs:
        kwargs["has_default"] = True
    return Arg(index, convert, **kwargs)


@dataclass(frozen=True)
class Drop:
    """Drop a TF parameter. With ``only`` set, only when its literal value is one of those.

    ``name=`` is the common case: it labels a graph op and has no meaning in PyTorch.
    """

    only: tuple[Any, ...] | None = None
    why: str = ""


DROP = Drop()


@dataclass(frozen=True)
class Param:
    name: str
    has_default: bool
    default: Any = None
    keyword_only: bool = False


def parse_signature(text: str) -> tuple[Param, ...]:
    """Parse ``"input_tensor, axis=None, *, name=None"`` into Params (defaults are literals)."""
    tree = ast.parse(f"def f({text}): pass").body[0]
    assert isinstance(tree, ast.FunctionDef)
    args = tree.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = [
        Param(a.arg, d is not None, ast.literal_eval(d) if d is not None else None)
        for a, d in zip(positional, defaults)
    ]
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        params.append(
            Param(a.arg, d is not None, ast.literal_eval(d) if d is not None else None, True)
        )
    return tuple(params)


class ApiCall(Rule):
    """A 1:1 call rewrite described by data: one row of a namespace table."""

    def __init__(
        self,
        id: str,
        tf: str | Sequence[str],
        torch: str,
        signature: str,
        args: Mapping[str, Arg | Drop | int | str],
        summary: str,
        example: str,
        why: str = "",
        choose: Callable[[dict[str, cst.BaseExpression], RuleContext], str] | None = None,
        checks: Sequence[Check] = (),
    ):
        self.id = id
        self.checks = tuple(checks)
        self.names = (tf,) if isinstance(tf, str) else tuple(tf)
        self.torch = torch
        self.signature = parse_signature(signature)
        self.args = {k: self._normalise(v) for k, v in args.items()}
        self.summary = summary
        self.example = example
        self.why = why
        self.choose = choose
        unknown = set(self.args) - {p.name for p in self.signature}
        if unknown:
            raise ValueError(f"rule {id}: args {sorted(unknown)} are not in its signature")

    @staticmethod
    def _normalise(spec: Arg | Drop | int | str) -> Arg | Drop:
        if isinstance(spec, (Arg, Drop)):
            return spec
        return Arg(spec)

    def bind(self, call: cst.Call, ctx: RuleContext) -> dict[str, cst.Arg]:
        """Match the call's arguments to the TF signature, like Python would."""
        bound: dict[str, cst.Arg] = {}
        positional = [p for p in self.signature if not p.keyword_only]
        known = {p.name for p in self.signature}
        index = 0
        for arg in call.args:
            if arg.star:
                raise CannotMigrate(
                    f"`{arg.star}{ctx.source(arg.value)}` hides which arguments are passed"
                )
            if arg.keyword is None:
                if index >= len(positional):
                    raise CannotMigrate("more positional arguments than the TF signature has")
                bound[positional[index].name] = arg
                index += 1
            else:
                if arg.keyword.value not in known:
                    raise CannotMigrate(f"unknown argument `{arg.keyword.value}=`")
                bound[arg.keyword.value] = arg
        missing = [p.name for p in self.signature if not p.has_default and p.name not in bound]
        if missing:
            raise CannotMigrate(f"required argument `{missing[0]}` is missing")
        return bound

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = self.bind(call, ctx)
        positional: dict[int, NewArg] = {}
        keywords: list[NewArg] = []
        for param in self.signature:
            spec = self.args.get(param.name)
            original = bound.get(param.name)
            value = original.value if original is not None else None
            if spec is None:
                if value is None or _equals_default(value, param):
                    continue
                raise CannotMigrate(f"argument `{param.name}=` has no PyTorch equivalent")
            if isinstance(spec, Drop):
                if value is not None and spec.only is not None:
                    if not _literal_in(value, spec.only):
                        raise CannotMigrate(
                            f"`{param.name}={ctx.source(value)}` is only migrated when it is "
                            + " or ".join(repr(v) for v in spec.only)
                            + (f": {spec.why}" if spec.why else "")
                        )
                continue
            if value is None:
                if spec.required:
                    raise CannotMigrate(f"`{param.name}=` must be given for a faithful rewrite")
                if not spec.has_default or (spec.default_with and spec.default_with not in bound):
                    continue
                value = to_node(spec.default)
            elif spec.omit_if and _literal_in(value, spec.omit_if):
                continue
            if spec.convert is not None:
                value = spec.convert(value, ctx)
            if isinstance(spec.to, int):
                positional[spec.to] = NewArg(value, None, original)
            else:
                keywords.append(NewArg(value, spec.to, original))
        if sorted(positional) != list(range(len(positional))):
            raise ValueError(f"rule {self.id}: positional targets leave a gap")
        target = self.choose({k: a.value for k, a in bound.items()}, ctx) if self.choose else self.torch
        args = [positional[i] for i in range(len(positional))] + keywords
        if target.startswith("Tensor."):
            # A method target: the first positional argument is the receiver.
            func: cst.BaseExpression = cst.Attribute(_receiver(args.pop(0).value), cst.Name(target[7:]))
        else:
            func = ctx.name(target)
        return build_call(call, func, args)


@dataclass(frozen=True)
class NewArg:
    """An argument of a rewritten call: its value, keyword (None: positional), and the
    source argument it came from, whose spacing and comments it keeps."""

    value: cst.BaseExpression
    keyword: str | None = None
    original: cst.Arg | None = None


def build_call(original: cst.Call, func: cst.BaseExpression, args: list[NewArg]) -> cst.Call:
    """A call that replaces ``original``: its parentheses, line breaks and the comments
    between its arguments survive; new arguments get the usual ``, `` spacing."""
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    built: list[cst.Arg] = []
    for new in args:
        keyword = cst.Name(new.keyword) if new.keyword else None
        equal = _TIGHT_EQUAL if keyword else cst.MaybeSentinel.DEFAULT
        if new.original is not None:
            arg = new.original.with_changes(value=new.value, keyword=keyword, equal=equal)
            if keyword and new.original.keyword:
                arg = arg.with_changes(equal=new.original.equal)
        else:
            arg = cst.Arg(new.value, keyword=keyword, equal=equal)
        built.append(arg)
    tail = original.args[-1].comma if original.args else cst.MaybeSentinel.DEFAULT
    indent = _argument_indent(original)
    closing_on_own_line = None  # the source's `)` on its own line, after its last argument
    for i, arg in enumerate(built[:-1]):
        after = arg.whitespace_after_arg
        if not isinstance(arg.comma, cst.Comma) and isinstance(after, cst.ParenthesizedWhitespace):
            # `f(\n    x  # note\n)` gains an argument: the comma goes right after `x`, the
            # comment and line break after the comma, and `)` stays on its own line.
            built[i] = arg.with_changes(
                comma=cst.Comma(whitespace_after=after.with_changes(last_line=indent or after.last_line)),
                whitespace_after_arg=cst.SimpleWhitespace(""),
            )
            closing_on_own_line = after.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
        elif not isinstance(arg.comma, cst.Comma):  # it was last, or is new
            built[i] = arg.with_changes(comma=comma)
        elif arg.comma is tail and _breaks_line(tail) and indent is not None:
            # The source's last argument is no longer last: the line after it holds an
            # argument, indented like the others, not the closing parenthesis.
            built[i] = arg.with_changes(comma=_with_last_line(tail, indent))
    if built:
        # The last argument ends the way the source's last one did: a trailing comma on its
        # own line stays (that layout), anything else loses the comma.
        # A comment after the last argument's own comma stays with it, and only there.
        own = built[-1].comma
        if isinstance(own, cst.Comma) and _has_comment(own):
            pass
        elif isinstance(tail, cst.Comma) and _breaks_line(tail):
            kept_elsewhere = any(a.comma is tail or (isinstance(a.comma, cst.Comma) and a.comma.deep_equals(_with_last_line(tail, indent or cst.SimpleWhitespace("")))) for a in built[:-1])
            built[-1] = built[-1].with_changes(comma=_without_comment(tail) if kept_elsewhere else tail)
        else:
            built[-1] = built[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        if closing_on_own_line is not None and not isinstance(built[-1].whitespace_after_arg, cst.ParenthesizedWhitespace):
            built[-1] = built[-1].with_changes(whitespace_after_arg=closing_on_own_line)
    return original.with_changes(func=func, args=built)


def _argument_indent(call: cst.Call) -> cst.SimpleWhitespace | None:
    """The indentation of a call's arguments when they start on their own line."""
    space = call.whitespace_before_args
    if isinstance(space, cst.ParenthesizedWhitespace):
        return space.last_line
    for arg in call.args[:-1]:
        if isinstance(arg.comma, cst.Comma) and isinstance(arg.comma.whitespace_after, cst.ParenthesizedWhitespace):
            return arg.comma.whitespace_after.last_line
    return None


def _with_last_line(comma: cst.Comma, last_line: cst.SimpleWhitespace) -> cst.Comma:
    space = comma.whitespace_after
    assert isinstance(space, cst.ParenthesizedWhitespace)
    return comma.with_changes(whitespace_after=space.with_changes(last_line=last_line))


def _without_comment(comma: cst.Comma) -> cst.Comma:
    space = comma.whitespace_after
    assert isinstance(space, cst.ParenthesizedWhitespace)
    return comma.with_changes(
        whitespace_after=space.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    )


def _has_comment(comma: cst.Comma) -> bool:
    space = comma.whitespace_after
    if not isinstance(space, cst.ParenthesizedWhitespace):
        return False
    return space.first_line.comment is not None or any(line.comment for line in space.empty_lines)


def _breaks_line(comma: cst.Comma) -> bool:
    return isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace)


def _receiver(value: cst.BaseExpression) -> cst.BaseExpression:
    """Parenthesise a receiver that would otherwise bind wrongly (``(a + b).to(...)``)."""
    atomic = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.List, cst.Tuple, cst.Dict)
    if isinstance(value, atomic) or value.lpar:
        return value
    return value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


_TIGHT_EQUAL = cst.AssignEqual(
    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
)


def _literal_in(value: cst.BaseExpression, options: tuple[Any, ...]) -> bool:
    try:
        lit = literal(value)
    except NotLiteral:
        return False
    return any(type(lit) is type(o) and lit == o for o in options)


def _equals_default(value: cst.BaseExpression, param: Param) -> bool:
    return param.has_default and _literal_in(value, (param.default,))


# ---------------------------------------------------------------------------------------
# Non-call references: dtype objects, constants.


class Reference(Rule):
    """Rewrites references to names (``tf.float32`` → ``torch.float32``) from a mapping.

    A target of ``None`` means the Python constant ``None`` (as for ``tf.newaxis``).
    """

    def __init__(
        self,
        id: str,
        mapping: Mapping[str, str | None],
        summary: str,
        example: str,
        why: str = "",
        checks: Sequence[Check] = (),
    ):
        self.id = id
        self.checks = tuple(checks)
        self.mapping = {expand(k): v for k, v in mapping.items()}
        self.names = tuple(self.mapping)
        self.summary = summary
        self.example = example
        self.why = why

    def rewrite_reference(
        self, node: cst.BaseExpression, qualified: str, ctx: RuleContext
    ) -> cst.BaseExpression:
        target = self.mapping[qualified]
        return cst.Name("None") if target is None else ctx.name(target)
