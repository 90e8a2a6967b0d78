"""Functional models: ``keras.Model(inputs, outputs)`` → an ``nn.Module`` class, and ``layers.Lambda``.

A functional model is a graph of layer calls written as statements above the model::

    inputs = keras.Input(shape=(8,))
    x = layers.Dense(16, activation="relu")(inputs)
    outputs = layers.Dense(1, name="score")(x)
    model = keras.Model(inputs, outputs, name="scorer")

The trace starts at the model's outputs and follows each name back to the statement that
assigned it last (in the function, or the module, holding the model), down to the
``keras.Input`` lines. What it finds becomes a class defined above the enclosing top-level
statement: every layer a module attribute named after its Keras name (DESIGN decision 1) in
``__init__``, sized from the inputs' shapes where they are known (Lazy modules elsewhere,
decision 3); ``forward`` replays the graph statements with each layer call made a module
call. The graph lines are removed; the model becomes ``Scorer()`` — with the enclosing
function's names the layers use passed as keyword arguments (``Classifier(units=units)``).

A layer object called twice is one module used twice (shared weights, as in Keras). A model
used as a layer of another one is a module of that one, keyed by its Keras name. The trace
refuses what it cannot follow statically (a loop or a branch that assigns a graph value, a
helper function building layers, TF ops between layers, whose axes are channels-last): those
stay, with a TODO that points to ``migrate model``, which builds the model and reads its graph.

The layers' own rules (``rules/keras_layers.py``) have rewritten each layer call already and
recorded what they read; this module finds that record again for the call as parsed, and
builds the modules again with the shape the trace knows (as ``keras.Sequential`` does).
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from typing import Any, Sequence

import libcst as cst

from migrate.rules.base import CannotMigrate, NotLiteral, Rule, RuleContext, dotted_name, literal
from migrate.rules.keras_layers import RULES_BY_CLASS, UNKNOWN, Recorded, Shape, file_state
from migrate.rules.keras_sequential import SequentialModel, input_shape_of, layout_of
from migrate.rules.layers import LAYERS, init_statements, module_attr

_WHY_TRACE = "generate it from the built model with `migrate model` instead"


# ---------------------------------------------------------------------------------------
# Finding what the layer rules recorded, for calls as parsed.


@dataclass
class _FileIndex:
    """Per file: the calls of the parsed module in source order, grouped by their code."""

    by_code: dict[str, list[cst.Call]] = field(default_factory=dict)
    models: dict[int, "Built"] = field(default_factory=dict)  # parsed statement id → a model made here
    codes: dict[int, str] = field(default_factory=dict)  # id of a recorded call → its code (cached)
    classes: set[str] = field(default_factory=set)  # class names this file's models took


_INDEXES: "weakref.WeakKeyDictionary[Any, _FileIndex]" = weakref.WeakKeyDictionary()


def _index(ctx: RuleContext) -> _FileIndex:
    index = _INDEXES.get(ctx)
    if index is None:
        index = _INDEXES[ctx] = _FileIndex()
        calls: list[cst.Call] = []

        class Collect(cst.CSTVisitor):
            def visit_Call(self, node: cst.Call) -> None:
                calls.append(node)

        ctx.module().visit(Collect())
        for call in calls:
            index.by_code.setdefault(ctx.source(call), []).append(call)
    return index


def recorded_layer(call: cst.Call, ctx: RuleContext) -> Recorded | None:
    """What the layer rule recorded for ``call`` (a node as parsed), or None.

    The rules record the call they were given; for a layer constructor without sites inside
    its arguments that call has the parsed call's code. Identical calls are told apart by
    their order: the n-th such call in the file is the n-th recorded (both in source order)."""
    code = ctx.source(call)
    same = _index(ctx).by_code.get(code, [])
    position = next((i for i, c in enumerate(same) if c is call), None)
    if position is None:
        return None
    codes = _index(ctx).codes
    records = []
    for key, record in file_state(ctx).recorded.items():
        if key != id(record.node) or not isinstance(record.node, cst.Call):
            continue
        if key not in codes:
            codes[key] = ctx.source(record.node)
        if codes[key] == code:
            records.append(record)
    return records[position] if position < len(records) else None


# ---------------------------------------------------------------------------------------
# The trace.


@dataclass
class Built:
    """A functional model made into a class: what an enclosing model needs to use it."""

    class_name: str
    keras_name: str
    call: cst.Call  # ``Name(arg=arg)``
    out: Shape


@dataclass
class _Layer:
    """A layer (or submodel) of the graph: its module attributes, once built."""

    record: Recorded | Built | None
    node: cst.CSTNode  # the constructor as parsed, for messages
    attrs: list[str] = field(default_factory=list)
    out: Shape = UNKNOWN
    free: str | None = None  # a layer passed into the enclosing function (``base(inputs)``)


_ASSIGN_TYPES = (cst.Assign, cst.AnnAssign, cst.AugAssign)


def _targets(statement: cst.CSTNode) -> list[str] | None:
    """Names a simple ``a = …`` / ``a, b = …`` line assigns; None for any other statement."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    small = statement.body[0]
    if not isinstance(small, cst.Assign) or len(small.targets) != 1:
        return None
    target = small.targets[0].target
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)) and all(isinstance(e.value, cst.Name) for e in target.elements):
        return [e.value.value for e in target.elements]  # type: ignore[attr-defined]
    return None


def _is_definition_line(statement: cst.CSTNode) -> bool:
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        return True
    return isinstance(statement, cst.SimpleStatementLine) and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body)


def _assigned_anywhere(statement: cst.CSTNode) -> set[str]:
    """Every name a statement binds (targets, for/with targets, imports, defs)."""
    names: set[str] = set()

    class Finder(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            pass

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            names.update(_names_in(node.target))

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            names.update(_names_in(node.target))

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            names.update(_names_in(node.target))

        def visit_For(self, node: cst.For) -> None:
            names.update(_names_in(node.target))

        def visit_WithItem(self, node: cst.WithItem) -> None:
            if node.asname is not None:
                names.update(_names_in(node.asname.name))

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            names.add(node.name.value)
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            names.add(node.name.value)
            return False

        def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
            names.add(node.evaluated_alias or node.evaluated_name.split(".")[0])

    statement.visit(Finder())
    return names


def _names_in(node: cst.CSTNode) -> set[str]:
    if isinstance(node, cst.Name):
        return {node.value}
    if isinstance(node, (cst.Tuple, cst.List)):
        return set().union(*(_names_in(e.value) for e in node.elements)) if node.elements else set()
    if isinstance(node, cst.StarredElement):
        return _names_in(node.value)
    return set()


def _reads(node: cst.CSTNode) -> list[str]:
    """Names a node reads, in order (not attribute names, not keywords, not lambda parameters)."""
    found: list[str] = []

    class Finder(cst.CSTVisitor):
        def visit_Attribute(self, attribute: cst.Attribute) -> bool:
            attribute.value.visit(self)
            return False

        def visit_Arg(self, arg: cst.Arg) -> bool:
            arg.value.visit(self)
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            own = {p.name.value for p in node.params.params}
            found.extend(n for n in _reads(node.body) if n not in own)
            return False

        def visit_Name(self, name: cst.Name) -> None:
            found.append(name.value)

    node.visit(Finder())
    return found


def _is_input(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and dotted_name(node.func).rsplit(".", 1)[-1] == "Input"


def _is_model_call(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and dotted_name(node.func).rsplit(".", 1)[-1] in ("Model", "Functional")


def _is_lambda_layer(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and dotted_name(node.func).rsplit(".", 1)[-1] == "Lambda"


def _class_name(text: str) -> str:
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", text) if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts) or "Model"
    return "_" + name if name[0].isdigit() else name


_BLOCKS = {cst.For: "a `for` loop", cst.While: "a `while` loop", cst.If: "an `if` block", cst.With: "a `with` block",
           cst.Try: "a `try` block", cst.Match: "a `match` block"}
_BUILDER_PREFIXES = ("build_", "make_", "create_", "get_", "define_", "construct_")


@dataclass
class _Model:
    """``keras.Model(...)``'s arguments, as parsed."""

    inputs: cst.BaseExpression
    outputs: cst.BaseExpression
    name: str | None  # the literal name=, None when absent


def _model_args(call: cst.Call, ctx: RuleContext) -> _Model:
    values: dict[str, cst.BaseExpression] = {}
    order = ("inputs", "outputs", "name")
    for i, arg in enumerate(call.args):
        if arg.star:
            raise CannotMigrate(f"`{arg.star}{ctx.source(arg.value)}` hides the model's inputs and outputs")
        key = arg.keyword.value if arg.keyword else (order[i] if i < len(order) else None)
        if key not in order:
            if key == "trainable" and isinstance(arg.value, cst.Name) and arg.value.value == "True":
                continue
            raise CannotMigrate(f"`{key}=` of a functional model is not migrated")
        values[key] = arg.value
    if "inputs" not in values or "outputs" not in values:
        raise CannotMigrate(
            "`keras.Model(...)` without inputs and outputs is a model subclass's constructor or an "
            "empty model; only the functional form `keras.Model(inputs, outputs)` is migrated"
        )
    name = None
    if "name" in values:
        try:
            name = literal(values["name"])
        except NotLiteral:
            raise CannotMigrate(f"`name={ctx.source(values['name'])}` is not a literal; the class and module key need it") from None
    return _Model(values["inputs"], values["outputs"], name if isinstance(name, str) else None)


class _Trace:
    """The statements a model's outputs depend on, back to its inputs."""

    def __init__(self, body: Sequence[cst.CSTNode], until: int, ctx: RuleContext, local: set[str]):
        self.body, self.until, self.ctx, self.local = body, until, ctx, local
        self.graph: dict[int, list[str]] = {}  # statement index → names it assigns (graph values)
        self.inputs: dict[str, int] = {}  # input name → statement index
        self.layers: dict[str, tuple[int, _Layer]] = {}  # layer variable → (statement, layer)
        self.free: list[str] = []  # names of the enclosing function the graph reads

    def definition(self, name: str, before: int) -> int | None:
        for j in range(before - 1, -1, -1):
            statement = self.body[j]
            targets = _targets(statement)
            if targets is not None and name in targets:
                return j
            if _is_definition_line(statement):
                continue  # an import, a def or a class: not a graph value
            if name in _assigned_anywhere(statement):
                raise CannotMigrate(
                    f"`{name}` is assigned in {_BLOCKS.get(type(statement), 'a statement')} the trace cannot "
                    f"follow statically; {_WHY_TRACE}"
                )
        return None

    def follow(self, name: str, before: int) -> None:
        j = self.definition(name, before)
        if j is None:
            if name in self.local and name not in self.free:
                self.free.append(name)
            return
        statement = self.body[j]
        value = statement.body[0].value  # type: ignore[attr-defined]
        targets = _targets(statement) or []
        if _is_input(value):
            self.inputs[name] = j
            return
        layer = self.layer_definition(value)
        if layer is not None:
            if len(targets) != 1:
                raise CannotMigrate(f"`{self.ctx.source(statement).strip()}` unpacks a layer")
            if name not in self.layers:
                self.layers[name] = (j, layer)
            return
        if j in self.graph:
            return
        self.graph[j] = targets
        self.expression(value, j)

    def layer_definition(self, value: cst.BaseExpression) -> _Layer | None:
        """A layer object (``layers.Dense(4)``), a Sequential or a functional model made in the
        file; None for anything else."""
        if not isinstance(value, cst.Call):
            return None
        if _is_model_call(value):
            built = _index(self.ctx).models.get(id(self._statement_of(value)))
            if built is None:
                raise CannotMigrate(f"the model `{self.ctx.source(value)}` used as a layer was not migrated (see its TODO)")
            return _Layer(built, value)
        recorded = recorded_layer(value, self.ctx)
        if recorded is not None:
            return _Layer(recorded, value)
        custom = _custom_layer(value, self.ctx)
        if custom is not None:
            return _Layer(custom, value)
        sequential = self._sequential(value)
        if sequential is not None:
            return _Layer(sequential, value)
        return None

    def _statement_of(self, value: cst.CSTNode) -> cst.CSTNode | None:
        for statement in self.body:
            if isinstance(statement, cst.SimpleStatementLine) and any(
                isinstance(s, cst.Assign) and s.value is value for s in statement.body
            ):
                return statement
        return None

    def _sequential(self, call: cst.Call) -> Recorded | None:
        if dotted_name(call.func).rsplit(".", 1)[-1] != "Sequential" or not call.args:
            return None
        listing = call.args[0].value
        if not isinstance(listing, (cst.List, cst.Tuple)):
            return None
        inner = []
        for element in listing.elements:
            if _is_input(element.value):
                continue
            found = recorded_layer(element.value, self.ctx) if isinstance(element.value, cst.Call) else None
            if found is None:
                return None
            inner.append(found.name)
        for key, record in file_state(self.ctx).recorded.items():
            if record.keras == "Sequential" and key == id(record.node) and [r.name for r in record.config["layers"]] == inner:
                return record
        return None

    def expression(self, node: cst.CSTNode, before: int) -> None:
        """Follow every name ``node`` reads; refuse what is not graph code."""
        for sub in _walk_calls(node):
            func = sub.func
            if isinstance(func, cst.Call):
                if _is_lambda_layer(func):
                    continue
                if self.layer_definition(func) is None:
                    raise CannotMigrate(
                        f"`{self.ctx.source(func)}` is called on a graph value but is not a layer the "
                        f"rewrite follows; {_WHY_TRACE}"
                    )
            elif isinstance(func, cst.Name):
                continue  # a layer variable or a layer passed in: decided when followed
            elif dotted_name(func).rsplit(".", 1)[-1][:1].isupper():
                raise CannotMigrate(
                    f"`{dotted_name(func)}(...)` makes a layer the rewrite does not migrate (see its own TODO); {_WHY_TRACE}"
                )
            else:
                raise CannotMigrate(
                    f"a call between the layers (`{dotted_name(func) or '…'}`) is no layer call: TF ops there read "
                    f"Keras's channels-last axes, and the trace only follows layer calls; {_WHY_TRACE}"
                )
        for name in _reads(_without_constructors(node)):
            self.follow(name, before)


def _custom_layer(call: cst.Call, ctx: RuleContext) -> Built | None:
    """``Affine(4, name="head")``: an instance of a Keras layer or model class defined in this
    file (``models.subclass`` makes it an nn.Module), keyed by its ``name=`` or by Keras's
    automatic name, the class name in snake case (``affine``, ``affine_1``…, counted like layers)."""
    if not isinstance(call.func, cst.Name):
        return None
    classes = [s for s in ctx.module().body if isinstance(s, cst.ClassDef) and s.name.value == call.func.value]
    if len(classes) != 1 or not any(dotted_name(b.value).rsplit(".", 1)[-1] in ("Layer", "Model") for b in classes[0].bases):
        return None
    name = None
    for arg in call.args:
        if arg.keyword and arg.keyword.value == "name":
            try:
                name = literal(arg.value)
            except NotLiteral:
                raise CannotMigrate(f"the `name=` of `{ctx.source(call)}` is not a literal; the module key must be its Keras name") from None
    if not isinstance(name, str):
        base = re.sub(r"(?<!^)(?=[A-Z])", "_", call.func.value).lower()
        counters = file_state(ctx).counters
        count = counters[base]
        counters[base] += 1
        name = base if count == 0 else f"{base}_{count}"
    return Built(call.func.value, name, call, UNKNOWN)


def _walk_calls(node: cst.CSTNode) -> list[cst.Call]:
    """The calls of a graph expression that apply something (``f(x)``), outermost first —
    not the constructors in callee position nor the calls inside a Lambda layer."""
    found: list[cst.Call] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> bool:
            found.append(call)
            if isinstance(call.func, cst.Call):
                for arg in call.args:
                    arg.visit(self)
                return False  # the constructor's own arguments are no graph code
            return True

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

    node.visit(Finder())
    return found


def _without_constructors(node: cst.CSTNode) -> cst.CSTNode:
    """``node`` with every constructor in callee position (``Dense(4)`` of ``Dense(4)(x)``)
    replaced by a placeholder: its arguments are not graph values."""

    class Strip(cst.CSTTransformer):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
            if isinstance(updated.func, cst.Call):
                return updated.with_changes(func=cst.Name("__layer__"))
            return updated

    return node.visit(Strip())


# ---------------------------------------------------------------------------------------
# Building the class.


class _Emitter:
    """Rebuilds the graph statements as ``forward`` code and the layers as ``__init__`` code."""

    def __init__(self, trace: _Trace, ctx: RuleContext):
        self.trace, self.ctx = trace, ctx
        self.init: list[tuple[str, cst.BaseExpression]] = []
        self.taken: set[str] = set()
        self.shapes: dict[str, Any] = {}
        self.inline: dict[int, _Layer] = {}  # id of a parsed constructor → its layer
        self.forward_attrs: list[str] = []  # free names forward reads: stored on self
        self.init_lines: dict[str, list[str]] = {}  # attr → its `nn.init` lines (Keras's initializers)

    # -- layers --------------------------------------------------------------------------

    def build(self, layer: _Layer, shape: Any) -> None:
        if layer.attrs or layer.free:
            return
        record = layer.record
        if isinstance(record, Built):
            attr = self._attr(module_attr(record.keras_name))
            self.init.append((attr, record.call))
            layer.attrs, layer.out = [attr], record.out
            return
        assert isinstance(record, Recorded)
        if record.name is None:
            raise CannotMigrate(f"the `name=` of `{self.ctx.source(layer.node)}` is not a literal; the module key must be its Keras name")
        first = shape[0] if isinstance(shape, list) and shape else shape
        first = first if isinstance(first, Shape) else UNKNOWN
        if record.keras == "Sequential":
            inner = first if record.input_shape is None else layout_of(record.input_shape, None)
            rule = SequentialModel()
            entries, out = rule.entries(record.config["layers"], inner, self.ctx)  # the Sequential's own builder
            attr = self._attr(module_attr(record.name))
            self.init.append((attr, rule.sequential_module(entries, self.ctx)))
            self.init_lines[attr] = rule.init_lines(record.config["layers"], inner, f"self.{attr}", self.ctx)
            layer.attrs, layer.out = [attr], out
            return
        made = RULES_BY_CLASS[record.keras].build(record, first, self.ctx)
        base = module_attr(record.name)
        for suffix, module in made.modules:
            attr = self._attr(base + suffix)
            self.init.append((attr, module))
            layer.attrs.append(attr)
            if not suffix:
                self.init_lines[attr] = keras_init_lines(record, first, f"self.{attr}")
        layer.out = made.out

    def _attr(self, key: str) -> str:
        while key in self.taken:
            key += "_"
        self.taken.add(key)
        return key

    def apply(self, layer: _Layer, call: cst.Call, callee: cst.BaseExpression | None = None) -> tuple[cst.BaseExpression, Any]:
        if any(a.keyword is not None or a.star for a in call.args) or len(call.args) != 1:
            raise CannotMigrate(
                f"`{self.ctx.source(call).strip()}`: a layer call in a functional graph is migrated with one "
                "input and no keyword (`training=`, `mask=`)"
            )
        argument, shape = self.value(call.args[0].value)
        if layer.free:
            return cst.Call(_self(layer.free), [cst.Arg(argument)]), UNKNOWN
        self.build(layer, shape)
        result: cst.BaseExpression = argument
        for attr in layer.attrs:
            result = cst.Call(_self(attr), [cst.Arg(result)])
        return result, layer.out

    # -- forward expressions -------------------------------------------------------------

    def value(self, node: cst.BaseExpression) -> tuple[cst.BaseExpression, Any]:
        """The forward expression of a graph expression, and its shape."""
        trace = self.trace
        if isinstance(node, cst.Name):
            if node.value in self.shapes:
                return node, self.shapes[node.value]
            if node.value in trace.free:
                if node.value not in self.forward_attrs:
                    self.forward_attrs.append(node.value)
                return _self(node.value), UNKNOWN
            return node, UNKNOWN
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Call) and _is_lambda_layer(func):
                return self.lambda_layer(func, node)
            if isinstance(func, cst.Call):
                layer = self.inline.get(id(func))
                if layer is None:
                    layer = self.inline[id(func)] = trace.layer_definition(func)  # type: ignore[assignment]
                return self.apply(layer, node)  # type: ignore[arg-type]
            if isinstance(func, cst.Name) and func.value in trace.layers:
                return self.apply(trace.layers[func.value][1], node)
            if isinstance(func, cst.Name) and func.value in trace.free:
                if func.value not in self.forward_attrs:
                    self.forward_attrs.append(func.value)
                return self.apply(_Layer(None, func, free=func.value), node)
            raise CannotMigrate(f"`{self.ctx.source(node).strip()}` is not a layer call the trace rewrites; {_WHY_TRACE}")
        if isinstance(node, (cst.List, cst.Tuple)):
            elements, shapes = [], []
            for element in node.elements:
                if isinstance(element, cst.StarredElement):
                    raise CannotMigrate("a starred element in the graph hides which values flow")
                new, shape = self.value(element.value)
                elements.append(element.with_changes(value=new))
                shapes.append(shape)
            return node.with_changes(elements=elements), shapes
        if isinstance(node, cst.Dict):
            elements = []
            for element in node.elements:
                if not isinstance(element, cst.DictElement):
                    raise CannotMigrate("a `**` entry in the graph hides which values flow")
                elements.append(element.with_changes(value=self.value(element.value)[0]))
            return node.with_changes(elements=elements), UNKNOWN
        if isinstance(node, cst.BinaryOperation):
            left, left_shape = self.value(node.left)
            right, right_shape = self.value(node.right)
            same = left_shape if left_shape == right_shape else (left_shape if right_shape == UNKNOWN and _is_number(node.right) else UNKNOWN)
            elementwise = isinstance(node.operator, (cst.Add, cst.Subtract, cst.Multiply, cst.Divide))
            return node.with_changes(left=left, right=right), same if elementwise else UNKNOWN
        if isinstance(node, cst.UnaryOperation):
            operand, shape = self.value(node.expression)
            return node.with_changes(expression=operand), shape
        if isinstance(node, cst.Subscript):
            base, _ = self.value(node.value)
            for element in node.slice:
                if not (isinstance(element.slice, cst.Index) and isinstance(element.slice.value, (cst.Integer, cst.SimpleString))):
                    raise CannotMigrate(f"`{self.ctx.source(node)}`: only a literal index of a layer's outputs is followed")
            return node.with_changes(value=base), UNKNOWN
        if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString)):
            return node, UNKNOWN
        raise CannotMigrate(f"`{self.ctx.source(node)}` in the graph is not followed; {_WHY_TRACE}")

    def lambda_layer(self, constructor: cst.Call, call: cst.Call) -> tuple[cst.BaseExpression, Any]:
        """``layers.Lambda(lambda t: t * 2)(x)`` → ``x * 2``: a body of arithmetic on its
        argument is code; anything else (TF ops with channels-last axes) is a TODO."""
        fn = constructor.args[0].value if constructor.args and constructor.args[0].keyword is None else None
        if not isinstance(fn, cst.Lambda) or len(fn.params.params) != 1 or len(constructor.args) != 1:
            raise CannotMigrate(f"`{self.ctx.source(constructor)}`: only a Lambda of a one-argument `lambda` is migrated")
        if len(call.args) != 1 or call.args[0].keyword:
            raise CannotMigrate(f"`{self.ctx.source(call)}`: a Lambda layer is migrated with one input")
        argument, shape = self.value(call.args[0].value)
        parameter = fn.params.params[0].name.value
        body = fn.body
        for sub in _walk_calls(body):
            raise CannotMigrate(
                f"the Lambda body calls `{self.ctx.source(sub.func)}`: its axes are Keras's (channels-last), so it "
                "is not rewritten in place; write it as torch code by hand"
            )

        class Substitute(cst.CSTTransformer):
            def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
                return _parenthesised(argument) if updated.value == parameter else updated

            def visit_Attribute(self, node: cst.Attribute) -> bool:
                raise CannotMigrate("the Lambda body reads an attribute; write it as torch code by hand")

        new = body.visit(Substitute())
        for name in _reads(body):
            if name != parameter and name not in ("True", "False", "None"):
                raise CannotMigrate(f"the Lambda body reads `{name}`; write it as torch code by hand")
        return _parenthesised(new) if isinstance(new, (cst.BinaryOperation, cst.UnaryOperation)) else new, shape


def keras_init_lines(record: Recorded, shape: Shape, target: str) -> list[str]:
    """Keras's initializers of a layer built with a known input size, as ``nn.init`` lines on
    ``target`` (the layer table's, as a Sequential writes them); none for a Lazy module, which
    torch initialises on its first call."""
    if shape.dims is None or shape.channels() is None or record.keras not in LAYERS:
        return []
    try:
        return init_statements(record.keras, record.config, shape.dims, target)
    except (TypeError, ValueError, KeyError, IndexError):
        return []  # a non-literal size or an unmapped initializer: torch's own init stays


def _is_number(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.Integer, cst.Float))


def _parenthesised(node: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(node, (cst.BinaryOperation, cst.UnaryOperation, cst.BooleanOperation, cst.Comparison)) and not node.lpar:
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


def _self(attr: str) -> cst.Attribute:
    return cst.Attribute(cst.Name("self"), cst.Name(attr))


# ---------------------------------------------------------------------------------------
# The rule's entry point (``models.subclass`` claims ``keras.Model`` and hands calls here).


_MARKER = re.compile(r"#\s*migrate:\s*TODO\((?P<rule>[^)]+)\)\s*(?P<why>.*)")


def _previous_reason(rule_id: str, statement: cst.CSTNode) -> str | None:
    """The reason a previous run wrote above ``statement`` for ``rule_id``: its rewritten graph
    (torch modules where Keras layers were) no longer says why, and a second run must change
    nothing."""
    for line in getattr(statement, "leading_lines", ()):
        match = _MARKER.match(line.comment.value) if line.comment else None
        if match and match.group("rule") == rule_id:
            return match.group("why")
    return None


def stable_reasons(rule_id: str, rewrite: Any) -> Any:
    """``rewrite`` (a ``rewrite_call``), whose TODO keeps the reason a previous run gave."""

    def wrapped(call: cst.Call, ctx: RuleContext, *args: Any) -> cst.BaseExpression:
        try:
            return rewrite(call, ctx, *args)
        except CannotMigrate as error:
            previous = _previous_reason(rule_id, ctx.statement())
            if previous is not None and previous != " ".join(error.reason.split()):
                raise CannotMigrate(previous) from None
            raise

    return wrapped


def functional_model(call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    return _stable_functional(call, ctx)


def _functional_model(call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
    statement = ctx.statement()
    original = _original_call(call, statement, ctx)
    model = _model_args(original, ctx)
    scope = ctx.scope()
    body = list(scope.body.body) if isinstance(scope, cst.FunctionDef) else list(scope.body)  # type: ignore[union-attr]
    position = next((i for i, s in enumerate(body) if s is statement), None)
    if position is None:
        raise CannotMigrate(f"the model is built inside a block (if/for/with/try); the trace follows the body of a function or module; {_WHY_TRACE}")
    local = _locals(scope) if isinstance(scope, cst.FunctionDef) else set()
    trace = _Trace(body, position, ctx, local)
    input_names = _input_names(model.inputs, ctx)
    for name in input_names:
        j = trace.definition(name, position)
        if j is None or not _is_input(body[j].body[0].value):  # type: ignore[attr-defined]
            raise CannotMigrate(f"the model input `{name}` is not a `keras.Input(...)` line of this scope; {_WHY_TRACE}")
        trace.inputs[name] = j
    trace.expression(model.outputs, position)
    stray = set(trace.inputs) - set(input_names)
    if stray:
        raise CannotMigrate(f"the outputs depend on `{sorted(stray)[0]}`, a `keras.Input` that is not among the model's inputs")
    keras_name = model.name if model.name is not None else _auto_name(ctx)
    class_name = _free_class_name(model.name or _enclosing_name(scope, statement), ctx)
    emitter = _Emitter(trace, ctx)
    emitter.shapes = {name: _input_layout(body[j].body[0].value, name, trace, ctx) for name, j in trace.inputs.items()}  # type: ignore[attr-defined]
    forward = _forward(trace, emitter, model.outputs, input_names, ctx)
    _check_not_read_elsewhere(trace, body, position, ctx)
    init_params = _init_params(scope, local, emitter)
    if "self" in init_params or "cls" in init_params:
        raise CannotMigrate(
            "the layers read attributes of the enclosing method's `self`; pass those values to the "
            f"model's function as arguments first, or {_WHY_TRACE.replace(' instead', '')}"
        )
    definition = _class(class_name, init_params, emitter, forward, input_names, ctx, _defaults(scope, init_params, ctx))
    kept = [  # comments above the removed lines that are not forward code: above the class
        line for j in sorted({*trace.inputs.values(), *(j for j, _ in trace.layers.values())})
        for line in body[j].leading_lines if line.comment  # type: ignore[attr-defined]
    ]
    definition = definition.with_changes(leading_lines=[line.with_changes(indent=False) for line in kept])
    out = emitter.shapes.get(model.outputs.value, UNKNOWN) if isinstance(model.outputs, cst.Name) else UNKNOWN
    for j in sorted({*trace.graph, *trace.inputs.values(), *(j for j, _ in trace.layers.values())}):
        ctx.remove_statement(body[j])
    ctx.add_definition([definition])
    made = cst.Call(cst.Name(class_name), [
        cst.Arg(cst.Name(n), keyword=cst.Name(n), equal=_EQUAL, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")) if i < len(init_params) - 1 else cst.MaybeSentinel.DEFAULT)
        for i, n in enumerate(init_params)
    ])
    _index(ctx).models[id(statement)] = Built(class_name, keras_name, made, out)
    _index(ctx).classes.add(class_name)
    ctx.consume(call)
    return made


_EQUAL = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
_stable_functional = stable_reasons("models.subclass", _functional_model)


def _stable_subclass(node: cst.ClassDef, ctx: RuleContext, *args: Any) -> list[cst.BaseStatement]:
    return stable_reasons("models.subclass", _functional_subclass)(node, ctx, *args)


def _original_call(call: cst.Call, statement: cst.CSTNode, ctx: RuleContext) -> cst.Call:
    """The parsed ``keras.Model(...)`` call of the statement (the rule gets a rewritten copy)."""
    head = ctx.source(call.func)
    found = [c for c in _all_calls(statement) if ctx.source(c.func) == head and len(c.args) == len(call.args)]
    if len(found) != 1:
        raise CannotMigrate("one functional model per statement is migrated")
    return found[0]


def _all_calls(node: cst.CSTNode) -> list[cst.Call]:
    found: list[cst.Call] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            found.append(call)

    node.visit(Finder())
    return found


def _locals(function: cst.FunctionDef) -> set[str]:
    names = {p.name.value for p in (*function.params.params, *function.params.kwonly_params, *function.params.posonly_params)}
    for star in (function.params.star_arg, function.params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    for statement in function.body.body:  # type: ignore[union-attr]
        names |= _assigned_anywhere(statement)
    return names


def _input_names(node: cst.BaseExpression, ctx: RuleContext) -> list[str]:
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, (cst.List, cst.Tuple)) and all(isinstance(e.value, cst.Name) for e in node.elements):
        return [e.value.value for e in node.elements]  # type: ignore[attr-defined]
    if isinstance(node, cst.Dict):
        raise CannotMigrate("a dict of inputs: forward takes positional arguments; list the inputs instead")
    raise CannotMigrate(f"the model's inputs `{ctx.source(node)}` are not names of `keras.Input` lines")


def _input_layout(value: cst.Call, name: str, trace: _Trace, ctx: RuleContext) -> Shape:
    dims = input_shape_of(value, ctx)
    readers = [r for r in _first_readers(name, trace)]
    return layout_of(dims, readers[0] if readers else None)


def _first_readers(name: str, trace: _Trace) -> list[str]:
    """Keras classes of the layers applied directly to input ``name``."""
    found = []
    for j in sorted(trace.graph):
        for call in _walk_calls(trace.body[j]):
            if len(call.args) == 1 and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == name:
                layer = None
                if isinstance(call.func, cst.Call):
                    layer = recorded_layer(call.func, trace.ctx)
                elif isinstance(call.func, cst.Name) and call.func.value in trace.layers:
                    record = trace.layers[call.func.value][1].record
                    layer = record if isinstance(record, Recorded) else None
                if layer is not None:
                    found.append(layer.keras)
    return found


def _auto_name(ctx: RuleContext) -> str:
    counters = file_state(ctx).counters
    count = counters["functional"]
    counters["functional"] += 1
    return "functional" if count == 0 else f"functional_{count}"


def _enclosing_name(scope: cst.CSTNode, statement: cst.CSTNode) -> str:
    if isinstance(scope, cst.FunctionDef):
        name = scope.name.value
        for prefix in _BUILDER_PREFIXES:
            if name.startswith(prefix) and len(name) > len(prefix):
                return name[len(prefix):]
        return name
    targets = _targets(statement)
    return targets[0] if targets else "model"


def _free_class_name(text: str, ctx: RuleContext) -> str:
    """``text`` in CamelCase, unless the file (or another model of it) has that name already."""
    name = _class_name(text)
    taken = set(_index(ctx).classes)
    for statement in ctx.module().body:
        taken |= _assigned_anywhere(statement)
    candidate, n = name, 1
    while candidate in taken or candidate in ("Module", "Sequential"):
        candidate = f"{name}Module" if n == 1 else f"{name}Module{n}"
        n += 1
    return candidate


def _forward(trace: _Trace, emitter: _Emitter, outputs: cst.BaseExpression, input_names: list[str],
             ctx: RuleContext) -> list[cst.BaseStatement]:
    lines: list[cst.BaseStatement] = []
    for j in sorted(trace.graph):
        statement = trace.body[j]
        assign = statement.body[0]  # type: ignore[attr-defined]
        value, shape = emitter.value(assign.value)
        if value.lpar and not assign.value.lpar:
            value = value.with_changes(lpar=[], rpar=[])  # a Lambda body needs no brackets of its own here
        for i, name in enumerate(trace.graph[j]):
            emitter.shapes[name] = shape if len(trace.graph[j]) == 1 else UNKNOWN
        comments = [line for line in statement.leading_lines if line.comment]  # type: ignore[attr-defined]
        lines.append(statement.with_changes(body=[assign.with_changes(value=value)], leading_lines=comments))  # type: ignore[attr-defined]
    result, _ = emitter.value(outputs)
    if isinstance(result, cst.List):
        result = cst.Tuple(result.elements)  # several outputs: a tuple, as torch modules return them
    if isinstance(result, cst.Tuple):
        result = result.with_changes(lpar=[], rpar=[])
    lines.append(cst.SimpleStatementLine([cst.Return(result)]))
    return lines


def _init_params(scope: cst.CSTNode, local: set[str], emitter: _Emitter) -> list[str]:
    """The enclosing function's names the class needs: those its modules are built from, and
    those forward reads (kept on ``self``). Function parameters first, in their order."""
    used = {*emitter.forward_attrs, *(n for _, module in emitter.init for n in _reads(module) if n in local)}
    order: list[str] = []
    if isinstance(scope, cst.FunctionDef):
        order = [p.name.value for p in (*scope.params.posonly_params, *scope.params.params, *scope.params.kwonly_params)]
    extra = [n for n in [*emitter.forward_attrs, *(n for _, m in emitter.init for n in _reads(m))] if n in used and n not in order]
    return list(dict.fromkeys([n for n in order if n in used] + extra))


def _check_not_read_elsewhere(trace: _Trace, body: Sequence[cst.CSTNode], position: int, ctx: RuleContext) -> None:
    """The graph lines are removed: none of their names may be read by code that stays."""
    removed = {*trace.graph, *trace.inputs.values(), *(j for j, _ in trace.layers.values())}
    names = {n for j in removed for n in (_targets(body[j]) or [])}
    for j, statement in enumerate(body):
        if j in removed or j == position or isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            continue  # (a def has names of its own: its `inputs` parameter is not the graph's)
        read = names & set(_reads(statement))
        if read:
            raise CannotMigrate(
                f"`{sorted(read)[0]}` of the graph is used outside the model as well; the graph lines "
                "cannot move into the class"
            )
    model_line = body[position]
    model_reads = set(_reads(model_line)) - set(_reads(_model_call_only(model_line)))
    if names & model_reads:
        raise CannotMigrate(f"`{sorted(names & model_reads)[0]}` is used beside the model on its own line")


def _model_call_only(statement: cst.CSTNode) -> cst.CSTNode:
    calls = [c for c in _all_calls(statement) if _is_model_call(c)] or [c for c in [_super_init_graph(statement)] if c is not None]
    return calls[0] if calls else cst.Name("None")


def _defaults(scope: cst.CSTNode, params: list[str], ctx: RuleContext) -> dict[str, str]:
    """The enclosing function's defaults of ``params`` (``def build_model(num_classes=10)`` →
    ``num_classes=10``), for the longest run of trailing parameters that all have one: the
    class is built as the function was called, and can be built without arguments where
    the function could."""
    if not isinstance(scope, cst.FunctionDef):
        return {}
    given = {
        p.name.value: ctx.source(p.default)
        for p in (*scope.params.posonly_params, *scope.params.params, *scope.params.kwonly_params)
        if p.default is not None
    }
    defaults: dict[str, str] = {}
    for name in reversed(params):
        if name not in given:
            break
        defaults[name] = given[name]
    return defaults


def _class(name: str, params: list[str], emitter: _Emitter, forward: list[cst.BaseStatement],
           inputs: list[str], ctx: RuleContext, defaults: dict[str, str] | None = None) -> cst.ClassDef:
    module = ctx.source(ctx.name("torch.nn.Module"))
    defaults = defaults or {}
    signature = ", ".join(["self", *(f"{p}={defaults[p]}" if p in defaults else p for p in params)])
    init = ["super().__init__()"]
    for attr in emitter.forward_attrs:
        init.append(f"self.{attr} = {attr}")
    code = (
        f"class {name}({module}):\n"
        f"    def __init__({signature}):\n"
        + "".join(f"        {line}\n" for line in init)
        + "\n"
        f"    def forward(self, {', '.join(inputs)}):\n"
        "        pass\n"
    )
    classdef = cst.parse_statement(code)
    assert isinstance(classdef, cst.ClassDef)
    init_def, forward_def = classdef.body.body  # type: ignore[misc]
    modules = _module_lines(emitter, ctx)
    init_def = init_def.with_changes(body=init_def.body.with_changes(body=[*init_def.body.body, *modules]))
    forward_def = forward_def.with_changes(body=forward_def.body.with_changes(body=forward))
    return classdef.with_changes(
        body=classdef.body.with_changes(body=[init_def, forward_def]),
        leading_lines=[],
    )


def _module_lines(emitter: _Emitter, ctx: RuleContext) -> list[cst.BaseStatement]:
    """``self.<attr> = <module>`` for each layer, each followed by its ``nn.init`` lines."""
    nn = ctx.source(ctx.name("torch.nn.Module")).rsplit(".", 1)[0]
    lines: list[cst.BaseStatement] = []
    for attr, value in emitter.init:
        lines.append(cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(_self(attr))], value)]))
        lines.extend(cst.parse_statement(re.sub(r"^nn\.", nn + ".", line)) for line in emitter.init_lines.get(attr, []))
    return lines


# ---------------------------------------------------------------------------------------
# ``class M(keras.Model)`` whose ``__init__`` builds a graph and hands it to
# ``super().__init__(inputs=..., outputs=...)`` (the keras-hub style).


def _super_init_graph(statement: cst.CSTNode) -> cst.Call | None:
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 and isinstance(statement.body[0], cst.Expr)):
        return None
    call = statement.body[0].value
    func = call.func if isinstance(call, cst.Call) else None
    if not (
        isinstance(func, cst.Attribute) and func.attr.value == "__init__" and isinstance(func.value, cst.Call)
        and isinstance(func.value.func, cst.Name) and func.value.func.value == "super"
    ):
        return None
    keywords = {a.keyword.value for a in call.args if a.keyword}  # type: ignore[union-attr]
    positional = [a for a in call.args if a.keyword is None and not a.star]  # type: ignore[union-attr]
    return call if {"inputs", "outputs"} <= keywords or len(positional) >= 2 else None  # type: ignore[return-value]


def functional_subclass(node: cst.ClassDef, ctx: RuleContext) -> list[cst.BaseStatement] | None:
    """The class body with the graph of ``__init__`` made modules and a ``forward``; None when
    the class is no functional subclass."""
    original = ctx.statement()
    if not isinstance(original, cst.ClassDef) or not isinstance(original.body, cst.IndentedBlock):
        return None
    inits = [s for s in original.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"]
    if len(inits) != 1 or not isinstance(inits[0].body, cst.IndentedBlock):
        return None
    body = list(inits[0].body.body)
    position = next((i for i, s in enumerate(body) if _super_init_graph(s) is not None), None)
    if position is None:
        return None
    return _stable_subclass(node, ctx, inits[0], body, position)


def _functional_subclass(node: cst.ClassDef, ctx: RuleContext, init: cst.FunctionDef, body: list[cst.BaseStatement],
                         position: int) -> list[cst.BaseStatement]:
    if any(isinstance(s, cst.FunctionDef) and s.name.value == "call" for s in node.body.body):  # type: ignore[union-attr]
        raise CannotMigrate("the class hands a graph to `super().__init__` and defines `call` too; write forward by hand")
    super_call = _super_init_graph(body[position])
    assert super_call is not None
    values: dict[str, cst.BaseExpression] = {}
    for i, arg in enumerate(super_call.args):
        if arg.star == "**" or (arg.keyword and arg.keyword.value in ("name", "dtype", "trainable")):
            continue  # Keras-only naming, as for any subclass
        key = arg.keyword.value if arg.keyword else ("inputs", "outputs")[i] if i < 2 else None
        if key not in ("inputs", "outputs") or arg.star:
            raise CannotMigrate(f"`super().__init__({ctx.source(arg).strip(', ')})` of a functional subclass is not migrated")
        values[key] = arg.value
    local = _locals(init) - {"self"}
    trace = _Trace(body, position, ctx, local)
    input_names = _input_names(values["inputs"], ctx)
    for name in input_names:
        j = trace.definition(name, position)
        if j is None or not _is_input(body[j].body[0].value):  # type: ignore[attr-defined]
            raise CannotMigrate(f"the model input `{name}` is not a `keras.Input(...)` line of `__init__`; {_WHY_TRACE}")
        trace.inputs[name] = j
    trace.expression(values["outputs"], position)
    emitter = _Emitter(trace, ctx)
    emitter.shapes = {name: _input_layout(body[j].body[0].value, name, trace, ctx) for name, j in trace.inputs.items()}  # type: ignore[attr-defined]
    forward = _forward(trace, emitter, values["outputs"], input_names, ctx)
    _check_not_read_elsewhere(trace, body, position, ctx)
    updated = [s for s in node.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"]  # type: ignore[union-attr]
    kept = list(updated[0].body.body)  # type: ignore[union-attr]
    if len(kept) != len(body):
        raise CannotMigrate("`__init__` of the functional subclass changed shape while migrating; move the graph by hand")
    removed = {*trace.graph, *trace.inputs.values(), *(j for j, _ in trace.layers.values()), position}
    for j in sorted(removed):
        ctx.consume(kept[j])
    stored = [cst.parse_statement(f"self.{n} = {n}\n") for n in emitter.forward_attrs]
    layers_made = [*stored, *_module_lines(emitter, ctx)]
    comments = [  # above the removed input, layer and super() lines: above the modules now
        line for j in sorted(removed - set(trace.graph)) for line in body[j].leading_lines if line.comment  # type: ignore[attr-defined]
    ]
    if layers_made and comments:
        layers_made[0] = layers_made[0].with_changes(leading_lines=comments)
    new_body: list[cst.BaseStatement] = [cst.parse_statement("super().__init__()\n")]
    for j, statement in enumerate(kept):
        if j == position:
            new_body.extend(layers_made)
        elif j not in removed:
            new_body.append(statement)
    new_init = updated[0].with_changes(body=updated[0].body.with_changes(body=new_body))
    forward_def = cst.parse_statement(f"def forward(self, {', '.join(input_names)}):\n    pass\n")
    assert isinstance(forward_def, cst.FunctionDef)
    forward_def = forward_def.with_changes(
        body=forward_def.body.with_changes(body=forward), leading_lines=[cst.EmptyLine(indent=False)]
    )
    result: list[cst.BaseStatement] = []
    for statement in node.body.body:  # type: ignore[union-attr]
        if statement is updated[0]:
            result.extend([new_init, forward_def])
        else:
            result.append(statement)
    return result


# ---------------------------------------------------------------------------------------
# ``layers.Lambda`` outside a functional graph.


class LambdaLayer(Rule):
    id = "layers.Lambda"
    names = ("keras.layers.Lambda",)
    summary = "`layers.Lambda(fn)`: inside a functional graph, a simple body becomes forward code; elsewhere a TODO."
    why = (
        "A Lambda layer runs a Python function on Keras tensors. In a functional model whose graph "
        "`models.subclass` rewrites, a one-argument `lambda` whose body is arithmetic on its argument "
        "(`lambda t: t * 2.0 + 1.0`) becomes that expression in `forward`. A body that calls TF ops "
        "reads Keras's channels-last axes, and torch has no Lambda module: both stay as they are, "
        "with this TODO, to be written as torch code (or a small nn.Module) by hand."
    )
    example = (
        "from tensorflow import keras\n"
        "from tensorflow.keras import layers\n\n"
        "inputs = keras.Input(shape=(4,))\n"
        "doubled = layers.Lambda(lambda t: t * 2.0)(inputs)\n"
        "outputs = layers.Dense(1, name=\"out\")(doubled)\n"
        "model = keras.Model(inputs, outputs, name=\"doubler\")\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        raise CannotMigrate(
            "torch has no Lambda module: inside a functional model the trace writes a simple body as "
            "forward code; here, write the function as torch code (or a small nn.Module) by hand"
        )


RULES: list[Rule] = [LambdaLayer()]


# ---------------------------------------------------------------------------------------
# ``model = keras.Sequential()`` then ``model.add(layer)`` lines.


def _receiver(call: cst.Call) -> str | None:
    func = call.func
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        return func.value.value
    return None


def _add_of(statement: cst.CSTNode, name: str) -> cst.Call | None:
    """The ``name.add(x)`` call a statement line is, or None."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 and isinstance(statement.body[0], cst.Expr)):
        return None
    call = statement.body[0].value
    if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "add" and _receiver(call) == name:
        return call
    return None


def _sequential_constructor(statement: cst.CSTNode, name: str) -> cst.Call | None:
    targets = _targets(statement)
    if targets != [name]:
        return None
    value = statement.body[0].value  # type: ignore[attr-defined]
    if isinstance(value, cst.Call) and dotted_name(value.func).rsplit(".", 1)[-1] == "Sequential":
        return value
    return None


class SequentialAdd(Rule):
    id = "models.sequential_add"
    names = ("keras.Model.add",)
    summary = "`model = keras.Sequential()` + `model.add(layer)` lines → one `nn.Sequential(OrderedDict([...]))`."
    why = (
        "The `.add` style builds the same model as a list: the chain (the constructor and every "
        "`model.add(...)` line after it, up to the first other use of the model) becomes one "
        "`model = nn.Sequential(OrderedDict([...]))` where the last `.add` was, each module keyed by "
        "its Keras layer name and sized from `model.add(keras.Input(shape=...))` or the first "
        "layer's `input_shape=`, exactly as `models.sequential` does for a list. Until the last "
        "`.add` is reached, each line waits with a TODO that the chain's rewrite withdraws; a chain "
        "with anything but layer calls added (a loop, a model built elsewhere) stays as it was."
    )
    example = (
        "from tensorflow import keras\n"
        "from tensorflow.keras import layers\n\n"
        "model = keras.Sequential(name=\"mlp\")\n"
        "model.add(keras.Input(shape=(16,)))\n"
        "model.add(layers.Dense(32, activation=\"relu\"))\n"
        "model.add(layers.Dense(10, name=\"logits\"))\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        return stable_reasons(self.id, self._rewrite)(call, ctx)

    def _rewrite(self, call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
        name = _receiver(call)
        statement = ctx.statement()
        scope = ctx.scope()
        body = list(scope.body.body) if isinstance(scope, cst.FunctionDef) else list(scope.body)  # type: ignore[union-attr]
        position = next((i for i, s in enumerate(body) if s is statement), None)
        if name is None or _add_of(statement, name) is None:
            raise CannotMigrate("`.add(...)` is migrated as a line of its own, called on the name of the model")
        if position is None:
            raise CannotMigrate(
                f"`{name}.add(...)` inside a block (a loop, a branch): which layers the model holds is not "
                "known statically; list them in an nn.Sequential by hand, or generate the model with `migrate model`"
            )
        start = next((j for j in range(position - 1, -1, -1) if name in _assigned_anywhere(body[j])), None)
        constructor = _sequential_constructor(body[start], name) if start is not None else None
        if constructor is None:
            raise CannotMigrate(f"`{name}` is not assigned `keras.Sequential(...)` in this body: the chain cannot be read")
        chain = [start]
        for j in range(start + 1, len(body)):
            if _add_of(body[j], name) is not None:
                chain.append(j)
            elif name in _reads(body[j]) or name in _assigned_anywhere(body[j]):
                break
        if chain[-1] != position:
            raise CannotMigrate(f"one line of the `{name}.add(...)` chain: the chain is migrated at its last `.add`")
        elements = self._initial(constructor, ctx) + [_add_of(body[j], name).args[0].value for j in chain[1:]]  # type: ignore[union-attr]
        dims = None
        if elements and _is_input(elements[0]):
            dims = input_shape_of(elements[0], ctx)  # type: ignore[arg-type]
            elements = elements[1:]
        recorded = []
        for element in elements:
            found = recorded_layer(element, ctx) if isinstance(element, cst.Call) else None
            if found is None:
                raise CannotMigrate(f"`{ctx.source(element)}` is not a layer call the rewrite follows (its Keras name and output shape are unknown here)")
            recorded.append(found)
        if recorded and dims is None and recorded[0].input_shape is not None:
            dims = recorded[0].input_shape
        shape = UNKNOWN if dims is None else layout_of(dims, recorded[0].keras if recorded else None)
        rule = SequentialModel()
        entries, _ = rule.entries(recorded, shape, ctx)  # the Sequential's own builder
        model = rule.sequential_module(entries, ctx)
        # Comments of the removed lines stay, above the model (a trailing one on a line of its own).
        leading = list(body[start].leading_lines)  # type: ignore[attr-defined]
        for j in chain:
            if j != start:
                leading.extend(line for line in body[j].leading_lines if line.comment)  # type: ignore[attr-defined]
            trailing = body[j].trailing_whitespace.comment  # type: ignore[attr-defined]
            if trailing is not None:
                leading.append(cst.EmptyLine(comment=trailing))
        line = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(name))], model)], leading_lines=leading)
        nn = ctx.source(ctx.name("torch.nn.Module")).rsplit(".", 1)[0]
        inits = [cst.parse_statement(re.sub(r"^nn\.", nn + ".", text)) for text in rule.init_lines(recorded, shape, name, ctx)]
        for j in chain[:-1]:
            ctx.remove_statement(body[j])
        ctx.replace_statement([line, *inits])
        ctx.consume(call)
        return call

    @staticmethod
    def _initial(constructor: cst.Call, ctx: RuleContext) -> list[cst.BaseExpression]:
        """The layers listed in ``keras.Sequential([...])`` before the `.add` lines."""
        elements: list[cst.BaseExpression] = []
        for i, arg in enumerate(constructor.args):
            key = arg.keyword.value if arg.keyword else ("layers", "trainable", "name")[i] if i < 3 else None
            if arg.star or key not in ("layers", "trainable", "name"):
                raise CannotMigrate(f"`{ctx.source(arg).strip(', ')}` of `keras.Sequential` is not migrated")
            if key == "trainable" and not (isinstance(arg.value, cst.Name) and arg.value.value == "True"):
                raise CannotMigrate("`trainable=` other than True: freeze with `requires_grad_(False)` by hand")
            if key == "layers":
                if not isinstance(arg.value, (cst.List, cst.Tuple)) or any(isinstance(e, cst.StarredElement) for e in arg.value.elements):
                    raise CannotMigrate(f"`{ctx.source(arg.value)}` is not a literal list of layers")
                elements = [e.value for e in arg.value.elements]
        return elements


RULES.append(SequentialAdd())
