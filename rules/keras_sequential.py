"""``keras.Sequential([...])`` → ``nn.Sequential(OrderedDict([("<keras name>", module), ...]))``.

A structural rule. The layer calls inside the list are rewritten first (``rules/keras_layers.py``)
and recorded; this rule builds each again with the input shape it propagates from the model's
``keras.Input(shape=...)`` or the first layer's ``input_shape=``, so sizes are concrete where
they can be known and Lazy modules stand in only where they cannot (DESIGN decision 3).

Each module is keyed by its Keras layer name (DESIGN decision 1): the explicit ``name=``, or the
automatic name Keras gives an unnamed layer (``dense``, ``dense_1``, ``conv2d``), counted in
source order within the file. Automatic names assume a fresh Keras session in which each
constructor runs once, in that order; ``migrate weights`` joins the Keras weights to the module
by these names, so a model built after other layers in the same session needs explicit names.
"""

from __future__ import annotations

import dataclasses
import re

import libcst as cst

from migrate.rules.base import CannotMigrate, NotLiteral, Rule, RuleContext, dotted_name, literal
from migrate.rules.keras_layers import RULES_BY_CLASS, UNKNOWN, Recorded, Shape, file_state
from migrate.rules.layers import LAYERS, init_statements, module_attr

_INPUTS = ("keras.Input", "keras.layers.Input", "keras.layers.InputLayer")
# The 1-D layers that read a sequence channels-first (as `migrate weights` decides the input
# layout: migrate/weights/keras_model.py CHANNELS_FIRST_1D).
_CONV_1D = frozenset({"Conv1D", "MaxPooling1D", "AveragePooling1D", "UpSampling1D", "SpatialDropout1D"})


def input_shape_of(call: cst.Call, ctx: RuleContext) -> tuple[int | None, ...]:
    """The batch-first shape of a ``keras.Input(shape=...)`` element."""
    for i, arg in enumerate(call.args):
        keyword = arg.keyword.value if arg.keyword else None
        if keyword in ("shape", "input_shape", None) and (keyword or i == 0):  # InputLayer(input_shape=): Keras 2
            try:
                shape = literal(arg.value)
            except NotLiteral:
                raise CannotMigrate(f"`shape={ctx.source(arg.value)}` is not a literal") from None
            if not isinstance(shape, (tuple, list)):
                raise CannotMigrate("`keras.Input(shape=...)` must be a tuple")
            return (None, *shape)
        if keyword == "batch_shape":
            raise CannotMigrate("`batch_shape=` is not migrated yet; use `shape=`")
    raise CannotMigrate("`keras.Input` without a literal `shape=`")


def sequential_name(ctx: RuleContext) -> str:
    """Keras's automatic name of the next unnamed Sequential model: `sequential`, `sequential_1`…"""
    counters = file_state(ctx).counters
    count = counters["sequential"]
    counters["sequential"] += 1
    return "sequential" if count == 0 else f"sequential_{count}"


def _is_input(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and dotted_name(node.func).split(".")[-1] in ("Input", "InputLayer")


def layout_of(dims: tuple[int | None, ...], first_layer: str | None) -> Shape:
    """Images (rank 4 and 5) are channels-first in the migrated module; a sequence (rank 3)
    only when a 1-D convolution reads it (as `migrate weights` feeds it)."""
    if len(dims) >= 4:
        return Shape(dims, True)
    return Shape(dims, len(dims) == 3 and first_layer in _CONV_1D)


#: Why a Sequential whose layers were (or will be) migrated one by one is not rebuilt whole.
_NOT_WHOLE = (
    "not every layer of this Sequential can be given its Keras name and size statically "
    "(see the TODOs of its layers); they are migrated one by one, and the model must be "
    "rebuilt as an nn.Sequential by hand"
)


def _is_torch(node: cst.BaseExpression) -> bool:
    """A module a previous run wrote (``nn.LazyConv2d(…)``, ``torch.nn.ReLU()``)."""
    head = node.func if isinstance(node, cst.Call) else node
    while isinstance(head, cst.Attribute):
        head = head.value
    return isinstance(head, cst.Name) and head.value in ("nn", "torch", "F")


#: ``Recorded.keras`` of a user's own layer class (``class Scale(keras.layers.Layer)``).
CUSTOM = "<custom layer>"


def _custom_layer(element: cst.BaseExpression, ctx: RuleContext) -> Recorded | None:
    """An element that constructs a layer class defined in this file (its base a Keras layer):
    the class is migrated by its own rule (an nn.Module holding its add_weight variables as
    Parameters), and the Sequential keeps the call, keyed by the layer's Keras name — its
    ``name=``, or Keras's automatic one (the class name in snake case, counted in the file)."""
    if not isinstance(element, cst.Call) or not isinstance(element.func, cst.Name):
        return None
    class_name = element.func.value
    defined = [
        node for node in ctx.module().body
        if isinstance(node, cst.ClassDef) and node.name.value == class_name
        and any(dotted_name(base.value).split(".")[-1] in ("Layer", "Model") for base in node.bases)
    ]
    if not defined:
        return None
    name: str | None = None
    for arg in element.args:
        if arg.keyword is not None and arg.keyword.value == "name":
            try:
                name = literal(arg.value)
            except NotLiteral:
                raise CannotMigrate(f"the `name=` of `{ctx.source(element)}` is not a literal; the module key must be its Keras name") from None
    if name is None:
        base = re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()  # Keras's to_snake_case
        counters = file_state(ctx).counters
        count = counters[base]
        counters[base] += 1
        name = base if count == 0 else f"{base}_{count}"
    return Recorded(CUSTOM, {}, name, element, None)


#: ``Recorded.keras`` of a name bound above to a layer call migrated on its own line.
BOUND = "<bound layer>"


def _bound_layer(element: cst.BaseExpression, ctx: RuleContext) -> Recorded | None:
    """``norm`` in ``keras.Sequential([norm, ...])`` where ``norm = layers.Normalization()``
    was migrated on its own line in this scope (and not rebound since): the Sequential holds
    that module (``norm.adapt(...)`` keeps acting on it), keyed by the layer's Keras name."""
    if not isinstance(element, cst.Name):
        return None
    scope_body = _body_of(ctx.scope())
    here = ctx.statement()
    binding = None
    for statement in scope_body:
        if statement is here:
            break
        if isinstance(statement, cst.SimpleStatementLine) and element.value in _targets(statement):
            binding = statement
        elif not isinstance(statement, cst.SimpleStatementLine) and element.value in _names_assigned(statement):
            binding = None  # rebound inside a block: which value it holds is not known here
    if binding is None:
        return None
    for found in file_state(ctx).recorded.values():
        if found.statement is binding and found.bound == element.value:  # set on a migrated call only
            if found.name is None:
                raise CannotMigrate(f"the `name=` of `{element.value}` is not a literal; the module key must be its Keras name")
            return Recorded(BOUND, {"layer": found}, found.name, element, None)
    return None


def _body_of(scope: cst.CSTNode) -> list[cst.CSTNode]:
    body = getattr(scope, "body", [])
    return list(getattr(body, "body", body))


def _targets(statement: cst.SimpleStatementLine) -> set[str]:
    names = set()
    for small in statement.body:
        for target in getattr(small, "targets", []):
            if isinstance(target.target, cst.Name):
                names.add(target.target.value)
    return names


def _names_assigned(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class Visitor(cst.CSTVisitor):
        def visit_AssignTarget(self, target: cst.AssignTarget) -> None:
            if isinstance(target.target, cst.Name):
                found.add(target.target.value)

    node.visit(Visitor())
    return found


class SequentialModel(Rule):
    id = "models.sequential"
    names = ("keras.Sequential", "keras.models.Sequential")
    summary = "`keras.Sequential([...])` → `nn.Sequential(OrderedDict([(\"<keras name>\", module), ...]))`."
    why = (
        "Each layer becomes a module keyed by its Keras layer name (its `name=`, or the automatic "
        "`dense`, `dense_1`, `conv2d`… counted in source order within the file, which assumes a "
        "fresh Keras session where each constructor runs once): `migrate weights` joins the Keras "
        "weights to the module by these names. A layer's `activation=` becomes its own module "
        "right after it (`<name>_activation`). The input shape of `keras.Input(shape=...)` or of "
        "the first layer's `input_shape=` is propagated, so `in_features`/`in_channels` are "
        "concrete where they can be known; elsewhere the Lazy modules stand in, never a guessed "
        "size. The migrated module takes channels-first images (NCHW) where the Keras model took "
        "NHWC: the data boundary changes, and `migrate weights` fixes the kernel layouts and the "
        "Dense after a Flatten. A Sequential inside the list is one module keyed by its own name "
        "(`sequential`, `sequential_1`… counted like layers). An empty `keras.Sequential()` filled "
        "by `model.add(...)` lines is rebuilt by `models.sequential_add`; one whose `.add` calls "
        "sit in a loop or a branch stays a TODO."
    )
    example = (
        "from tensorflow import keras\n"
        "from tensorflow.keras import layers\n\n"
        "model = keras.Sequential([\n"
        "    keras.Input(shape=(28, 28, 1)),\n"
        "    layers.Conv2D(8, 3, activation=\"relu\"),\n"
        "    layers.MaxPooling2D(),\n"
        "    layers.Flatten(),\n"
        "    layers.Dense(10, name=\"logits\"),\n"
        "])\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        name = self._name(call, ctx)  # every model takes its automatic name, migrated or not
        layers_node = self._layers_arg(call, ctx)
        if not isinstance(layers_node, (cst.List, cst.Tuple)):
            raise CannotMigrate(f"`{ctx.source(layers_node)}` is not a literal list of layers")
        state = file_state(ctx)
        if any(isinstance(e, cst.StarredElement) for e in layers_node.elements):
            raise CannotMigrate("a starred element hides which layers the model has")
        elements = [e.value for e in layers_node.elements]
        dims: tuple[int | None, ...] | None = None
        if elements and _is_input(elements[0]):
            dims = input_shape_of(elements[0], ctx)  # type: ignore[arg-type]
            elements = elements[1:]
        recorded = []
        migrated_before = False  # an element a previous run already turned into torch
        for element in elements:
            found = state.recorded.get(id(element))
            if found is None:
                found = _custom_layer(element, ctx) or _bound_layer(element, ctx)
            if found is None or found.node is not element:
                if _is_torch(element):
                    migrated_before = True
                    continue
                raise CannotMigrate(
                    f"`{ctx.source(element)}` is not a layer call the rewrite follows "
                    "(its Keras name and output shape are unknown here)"
                )
            recorded.append(found)
        if migrated_before:
            raise CannotMigrate(_NOT_WHOLE)
        if recorded and dims is None and recorded[0].input_shape is not None:
            dims = recorded[0].input_shape
        # Recorded before the build, like a layer: an enclosing Sequential that knows the input
        # shape builds it again (a nested Sequential is one module keyed by its own name).
        model = Recorded("Sequential", {"layers": recorded}, name, call, dims)
        state.recorded[id(call)] = model
        shape = UNKNOWN if dims is None else layout_of(dims, recorded[0].keras if recorded else None)
        try:
            entries, _ = self.entries(recorded, shape, ctx)
        except CannotMigrate:
            # Its layers are migrated one by one all the same, so a second run sees torch
            # modules here and cannot tell why: both runs must give the same reason.
            raise CannotMigrate(_NOT_WHOLE) from None
        initialise = self._initialise(recorded, shape, layers_node, ctx)  # before any edit: it may refuse
        for element in layers_node.elements:  # rebuilt here: their own TODOs no longer apply
            ctx.consume(element.value)
        result = self.sequential_module(entries, ctx)
        if initialise:
            ctx.insert_after(initialise)
        state.recorded[id(result)] = dataclasses.replace(model, node=result)
        return result

    def entries(
        self, recorded: list[Recorded], shape: Shape, ctx: RuleContext, depth: int = 0
    ) -> tuple[list[tuple[str, cst.BaseExpression]], Shape]:
        """(key, module) for each layer (and its activation or padding), and the output shape."""
        entries: list[tuple[str, cst.BaseExpression]] = []
        taken = {module_attr(r.name) for r in recorded if r.name is not None}
        for found in recorded:
            if found.name is None:
                raise CannotMigrate(f"the `name=` of `{ctx.source(found.node)}` is not a literal; the module key must be its Keras name")
            if found.keras == BOUND:  # `norm = layers.X(...)` above, migrated there: its module reused
                entries.append((module_attr(found.name), found.node))
                shape = self._out(found, shape, ctx)
                continue
            if found.keras == CUSTOM:  # the user's class, migrated by its own rule: kept as called
                entries.append((module_attr(found.name), found.node))
                shape = UNKNOWN  # its output shape is its call's business
                continue
            if found.keras == "Sequential":
                inner = shape if found.input_shape is None else layout_of(found.input_shape, None)
                nested, shape = self.entries(found.config["layers"], inner, ctx, depth + 1)
                entries.append((module_attr(found.name), self.sequential_module(nested, ctx, depth + 1)))
                continue
            made = RULES_BY_CLASS[found.keras].build(found, shape, ctx)
            for suffix, module in made.modules:
                key = module_attr(found.name) if not suffix else self._free(module_attr(found.name) + suffix, taken)
                entries.append((key, module))
            shape = made.out
        return entries, shape

    def _initialise(
        self, recorded: list[Recorded], shape: Shape, layers_node: cst.BaseExpression, ctx: RuleContext
    ) -> list[cst.BaseStatement]:
        """``nn.init`` lines for after the statement binding the model, giving each sized module
        Keras's initial values (Lazy modules are initialised by torch on their first call)."""
        statement = ctx.statement()
        body = getattr(statement, "body", None)
        if not body or not isinstance(body[0], cst.Assign) or len(body[0].targets) != 1:
            return []  # no name to reach the modules by (`return keras.Sequential(...)`)
        value = body[0].value
        listed = value.args[0].value if isinstance(value, cst.Call) and value.args else None
        if not isinstance(listed, (cst.List, cst.Tuple)) or len(listed.elements) != len(layers_node.elements):  # type: ignore[attr-defined]
            return []  # a Sequential nested in another: the outer one writes the lines
        originals = [e.value for e in listed.elements if not _is_input(e.value)]
        kinds = [dotted_name(e.func).split(".")[-1] if isinstance(e, cst.Call) else "" for e in originals]
        kinds = [k for k, e in zip(kinds, originals) if not isinstance(e, cst.Name)]
        wanted = [dotted_name(r.node.func) if r.keras == CUSTOM else r.keras for r in recorded if r.keras != BOUND]  # type: ignore[attr-defined]
        if kinds != wanted:
            return []  # the same count, other layers: nested in another
        target = ctx.source(body[0].targets[0].target)
        if f"{target}.add(" in ctx.source(ctx.scope()):
            return []  # layers added later (models.sequential_add rebuilds the statement): none written
        nn = ctx.source(ctx.name("torch.nn.Module")).rsplit(".", 1)[0]
        lines = [re.sub(r"^nn\.", nn + ".", line) for line in self.init_lines(recorded, shape, target, ctx)]
        return [cst.parse_statement(line) for line in lines]

    def init_lines(self, recorded: list[Recorded], shape: Shape, prefix: str, ctx: RuleContext) -> list[str]:
        lines: list[str] = []
        for found in recorded:
            key = f"{prefix}.{module_attr(found.name or '')}"
            if found.keras == "Sequential":
                inner = shape if found.input_shape is None else layout_of(found.input_shape, None)
                lines += self.init_lines(found.config["layers"], inner, key, ctx)
                shape = self._out(found, inner, ctx)
                continue
            inner = found
            if found.keras == "Bidirectional":  # one torch RNN: the backward half is `_reverse`
                layer = found.config.get("layer")
                inner = file_state(ctx).recorded.get(id(getattr(layer, "node", None)))  # type: ignore[assignment]
            if inner is not None and shape.dims is not None and shape.channels() is not None and inner.keras in LAYERS:
                try:
                    lines += init_statements(inner.keras, inner.config, shape.dims, key)
                    if inner is not found:
                        lines += init_statements(inner.keras, inner.config, shape.dims, key, "_reverse")
                except ValueError:
                    raise CannotMigrate(_NOT_WHOLE) from None  # an initializer nn.init lacks: the layer's own TODO says which
                except (TypeError, KeyError, IndexError):
                    pass  # a non-literal size: torch's own init stays
            shape = self._out(found, shape, ctx)
        return lines

    def _out(self, found: Recorded, shape: Shape, ctx: RuleContext) -> Shape:
        if found.keras == CUSTOM:
            return UNKNOWN
        if found.keras == BOUND:  # the shape it would have here (its module is the one above)
            try:
                return RULES_BY_CLASS[found.config["layer"].keras].build(found.config["layer"], shape, ctx).out
            except CannotMigrate:
                return UNKNOWN
        if found.keras == "Sequential":
            return self.entries(found.config["layers"], shape, ctx, 1)[1]
        return RULES_BY_CLASS[found.keras].build(found, shape, ctx).out

    @staticmethod
    def _name(call: cst.Call, ctx: RuleContext) -> str | None:
        for i, arg in enumerate(call.args):
            if (arg.keyword and arg.keyword.value == "name") or (arg.keyword is None and i == 2):
                try:
                    value = literal(arg.value)
                except NotLiteral:
                    return None
                return value if isinstance(value, str) else None
        return sequential_name(ctx)

    @staticmethod
    def _layers_arg(call: cst.Call, ctx: RuleContext) -> cst.BaseExpression:
        value = None
        for i, arg in enumerate(call.args):
            keyword = arg.keyword.value if arg.keyword else None
            if arg.star:
                raise CannotMigrate(f"`{arg.star}{ctx.source(arg.value)}` hides which arguments are passed")
            if keyword == "layers" or (keyword is None and i == 0):
                value = arg.value
            elif keyword == "name" or (keyword is None and i == 2):
                continue  # nn.Sequential has no name; the variable holding it is the name
            elif keyword == "trainable" or (keyword is None and i == 1):
                if not (isinstance(arg.value, cst.Name) and arg.value.value == "True"):
                    raise CannotMigrate("`trainable=` other than True: freeze with `requires_grad_(False)` by hand")
            else:
                raise CannotMigrate(f"unknown argument `{keyword}=` of `keras.Sequential`")
        if value is None:
            raise CannotMigrate(
                "an empty `keras.Sequential()` is migrated with the `.add(...)` lines after it in the "
                "same body (`models.sequential_add`); here they are missing, in a loop or a branch, or "
                "the model is used before them: list the layers in `keras.Sequential([...])` or "
                "generate the model with `migrate model`"
            )
        return value

    @staticmethod
    def _free(key: str, taken: set[str]) -> str:
        while key in taken:
            key += "_"
        taken.add(key)
        return key

    @staticmethod
    def sequential_module(entries: list[tuple[str, cst.BaseExpression]], ctx: RuleContext, depth: int = 0) -> cst.Call:
        """``nn.Sequential(collections.OrderedDict([...]))``, one entry a line, nested ones
        indented one level more."""
        inner, outer = _line_break("    " * (depth + 1)), _line_break("    " * depth)
        items = []
        for i, (key, module) in enumerate(entries):
            pair = cst.Tuple(
                [cst.Element(cst.SimpleString(repr(key)), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), cst.Element(module)]
            )
            last = i == len(entries) - 1
            items.append(cst.Element(pair, comma=cst.Comma(whitespace_after=outer if last else inner)))
        listing = cst.List(items, lbracket=cst.LeftSquareBracket(whitespace_after=inner)) if items else cst.List([])
        ordered = cst.Call(ctx.name("collections.OrderedDict"), [cst.Arg(listing)])
        return cst.Call(ctx.name("torch.nn.Sequential"), [cst.Arg(ordered)])


def _line_break(indent: str) -> cst.ParenthesizedWhitespace:
    """A line break inside brackets, then the statement's indentation plus ``indent``."""
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(), empty_lines=[], indent=True, last_line=cst.SimpleWhitespace(indent)
    )


class KerasInput(Rule):
    id = "models.input"
    names = _INPUTS
    summary = "`keras.Input(shape=...)`: read by the model it feeds; no torch value of its own."
    why = (
        "A Keras input is a symbolic tensor; torch modules take real tensors, so it has no "
        "counterpart of its own. Inside `keras.Sequential([keras.Input(shape=...), ...])` its "
        "shape sizes the modules (and the element is dropped); in a functional model "
        "(`keras.Model(inputs, outputs)`) `models.subclass` makes it an argument of the class's "
        "`forward`. An input left over feeds no model the rewrite could migrate: a TODO."
    )
    example = "from tensorflow import keras\n\ninputs = keras.Input(shape=(32,))\n"

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        raise CannotMigrate(
            "a symbolic Keras input has no torch value: it is migrated with the model it feeds (a "
            "`keras.Sequential`'s shape, a functional model's `forward` argument), and no model built "
            "from it in this body could be migrated (see that model's TODO)"
        )


RULES = [SequentialModel(), KerasInput()]
