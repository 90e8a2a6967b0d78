"""Keras regularizers and constraints → loss terms and projections the training loop applies.

Keras acts on ``kernel_regularizer=``, ``bias_regularizer=``, ``activity_regularizer=`` and
``kernel_constraint=`` inside its training machinery: ``fit`` adds ``sum(model.losses)`` (each
regularizer's penalty) to the loss of every step, and the optimizer replaces a constrained
variable by ``constraint(variable)`` right after each update. torch has neither, so the
migrated layer carries them explicitly:

    self.fc = keras_regularized(nn.LazyLinear(8), penalties={"weight": lambda w: 0.01 * w.square().sum()})

``keras_regularized`` (a helper written into the file) keeps the terms on the module;
``keras_losses(model)`` lists the penalties (what Keras's ``model.losses`` lists) and
``keras_apply_constraints(model)`` applies the constraints. The migrated ``fit`` loop calls both
(``rules/keras_training.py``); ``model.losses`` becomes ``keras_losses(model)``.

Why not ``weight_decay``: Keras's L2(l) adds ``l * sum(w**2)`` to the loss (gradient ``2·l·w``,
and through Adam's moments), torch's ``weight_decay`` is ``λ·w`` in the update (SGD) or decoupled
(AdamW) — different maths, so the penalty is written as a loss term.
"""

from __future__ import annotations

import re
from typing import Any

import libcst as cst

from migrate.rules import layers as table
from migrate.rules.base import CannotMigrate, NotLiteral, Rule, RuleContext, literal

# Keras 3's defaults: L1(l1=0.01), L2(l2=0.01), L1L2(l1=0.0, l2=0.0) (`l1_l2` is L1L2).
_REGULARIZERS = {"l1": ("l1", (("l1", 0.01),)), "l2": ("l2", (("l2", 0.01),)),
                 "l1l2": ("l1l2", (("l1", 0.0), ("l2", 0.0))), "l1_l2": ("l1l2", (("l1", 0.0), ("l2", 0.0)))}
# Constraint class → its parameters and defaults (Keras 3).
_CONSTRAINTS = {
    "nonneg": (),
    "maxnorm": (("max_value", 2.0), ("axis", 0)),
    "unitnorm": (("axis", 0),),
    "minmaxnorm": (("min_value", 0.0), ("max_value", 1.0), ("rate", 1.0), ("axis", 0)),
}
_EPSILON = 1e-07  # keras.backend.epsilon(), in the norm constraints' denominators

_REGULARIZED_HELPER = '''
def keras_regularized(module, penalties=None, constraints=None, activity=None):
    """A layer's Keras `*_regularizer=`, `*_constraint=` and `activity_regularizer=`, kept on its
    torch module: `keras_losses(model)` lists the penalties Keras added to the loss (its
    `model.losses`), `keras_apply_constraints(model)` applies the constraints as Keras did after
    each optimizer step. Written by `migrate convert`."""
    module.keras_penalties = dict(penalties or {})  # parameter name -> penalty(parameter)
    module.keras_constraints = dict(constraints or {})  # parameter name -> its projected value
    if activity is not None:
        def record_activity_penalty(module, inputs, output):
            # Keras 3 divides the penalty of a layer's output by the batch size.
            module.keras_activity_loss = activity(output) / output.shape[0]

        module.register_forward_hook(record_activity_penalty)
    return module
'''

_LOSSES_HELPER = '''
def keras_losses(model):
    """Keras's `model.losses`: the penalty of every `*_regularizer=` of the model's layers (and of
    the weights of its own layers' `regularization_penalty()`), and the activity penalties of the
    last forward pass. Keras's `fit` adds their sum to the loss of each step."""
    losses = []
    for module in model.modules():
        for name, penalty in getattr(module, "keras_penalties", {}).items():
            losses.append(penalty(getattr(module, name)))
        if getattr(module, "keras_activity_loss", None) is not None:
            losses.append(module.keras_activity_loss)
        if callable(getattr(module, "regularization_penalty", None)):
            losses.append(module.regularization_penalty())
    return losses
'''

_CONSTRAINTS_HELPER = '''
@torch.no_grad()
def keras_apply_constraints(model):
    """What Keras's optimizer does after each update: every constrained parameter is replaced by
    `constraint(parameter)` (the `*_constraint=` of the model's layers, and its own layers'
    `apply_constraints()`)."""
    for module in model.modules():
        for name, constraint in getattr(module, "keras_constraints", {}).items():
            parameter = getattr(module, name)
            parameter.copy_(constraint(parameter))
        if callable(getattr(module, "apply_constraints", None)):
            module.apply_constraints()
'''

_NORM_HELPER = '''
def keras_norm_constraint(weight, dim, min_value=0.0, max_value=float("inf"), rate=1.0):
    """Keras's MaxNorm / UnitNorm / MinMaxNorm: `weight` rescaled so that its L2 norms over `dim`
    (the dims Keras's `axis` names, in the torch layout) move `rate` of the way into
    [min_value, max_value]."""
    norms = weight.square().sum(dim=dim, keepdim=True).sqrt()
    desired = rate * norms.clamp(min_value, max_value) + (1.0 - rate) * norms
    return weight * (desired / (1e-07 + norms))
'''


def _define(ctx: RuleContext, name: str, code: str) -> str:
    code = code.lstrip("\n")
    if "torch.no_grad" in code:
        code = code.replace("torch.no_grad", ctx.source(ctx.name("torch.no_grad")))
    ctx.add_definition(list(cst.parse_module(code).body))
    return name


def losses_helper(ctx: RuleContext) -> str:
    """``keras_losses``, written into the file: ``keras_losses(model)`` is Keras's ``model.losses``."""
    return _define(ctx, "keras_losses", _LOSSES_HELPER)


def constraints_helper(ctx: RuleContext) -> str:
    """``keras_apply_constraints``, written into the file: call it after ``optimizer.step()``."""
    return _define(ctx, "keras_apply_constraints", _CONSTRAINTS_HELPER)


def _tail(node: cst.BaseExpression) -> str:
    func = node.func if isinstance(node, cst.Call) else node
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else ""


def _key(name: str) -> str:
    return name.replace("_", "").lower()


def _bind(call: cst.Call, params: tuple[tuple[str, Any], ...], ctx: RuleContext) -> dict[str, Any]:
    values = dict(params)
    for i, arg in enumerate(call.args):
        if arg.star:
            raise CannotMigrate(f"`{ctx.source(call)}`: `{arg.star}` hides the arguments")
        key = arg.keyword.value if arg.keyword else (params[i][0] if i < len(params) else None)
        if key not in values:
            raise CannotMigrate(f"`{ctx.source(call)}`: argument {key or i} is not one Keras takes")
        try:
            values[key] = literal(arg.value)
        except NotLiteral:
            raise CannotMigrate(f"`{ctx.source(call)}`: `{key}` is not a literal, and it is the penalty's weight") from None
    return values


def _number(value: Any) -> str:
    return repr(float(value))


def penalty_lambda(node: cst.BaseExpression, ctx: RuleContext, var: str = "w") -> cst.BaseExpression | None:
    """A Keras regularizer (a literal name or an L1/L2/L1L2 call) as ``lambda w: <penalty>``;
    None when it is ``None`` (or penalises nothing). Another expression (a name) is kept as it
    is: a regularizer bound above is migrated to such a lambda where it is made."""
    if isinstance(node, cst.Lambda):
        return node  # `keras.regularizers.L2(...)` in the call, migrated by its own rule
    try:
        value = literal(node)
    except NotLiteral:
        value = ...
    if value is None:
        return None
    if isinstance(value, str):
        if _key(value) not in ("l1", "l2", "l1l2"):
            raise CannotMigrate(f"regularizer {value!r} is not an L1/L2 regularizer")
        l1 = 0.01 if _key(value) == "l1" else 0.0
        l2 = 0.01 if _key(value) == "l2" else 0.0
    elif isinstance(node, cst.Call) and _key(_tail(node)) in _REGULARIZERS:
        kind, params = _REGULARIZERS[_key(_tail(node))]
        values = _bind(node, params, ctx)
        l1, l2 = values.get("l1", 0.0), values.get("l2", 0.0)
        ctx.consume(node)
    elif isinstance(node, (cst.Name, cst.Attribute)):
        ctx.note(
            f"`{ctx.source(node)}` is called on the torch tensor for its penalty (`{ctx.source(node)}(w)`): "
            "check that it is a migrated regularizer (a Keras one bound above becomes such a lambda)"
        )
        return node
    else:
        raise CannotMigrate(f"`{ctx.source(node)}` is not an L1/L2 regularizer written in the source")
    terms = []
    if l1:
        terms.append(f"{_number(l1)} * {var}.abs().sum()")
    if l2:
        terms.append(f"{_number(l2)} * {var}.square().sum()")
    if not terms:
        return None
    return cst.parse_expression(f"lambda {var}: " + " + ".join(terms))


def _torch_dims(axis: Any, layout: str, rank: int | None, ctx_source: str) -> Any:
    """Keras's ``axis`` of a kernel, in the torch parameter's layout."""
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    if layout == "same":
        if any(a < 0 for a in axes):
            raise CannotMigrate(f"`{ctx_source}`: a negative axis needs the weight's rank")
        dims = axes
    elif layout in ("dense", "conv") and rank is not None:
        spatial = rank - 2
        # dense: Keras (in, out) → torch (out, in); conv: Keras (*k, in, out) → torch (out, in, *k)
        mapping = {spatial: 1, spatial + 1: 0, **{i: i + 2 for i in range(spatial)}}
        dims = [mapping[a % rank] for a in axes]
    else:
        raise CannotMigrate(f"`{ctx_source}`: the axis of the constraint is not mapped for this weight's torch layout")
    dims = sorted(dims)
    return dims[0] if len(dims) == 1 else tuple(dims)


def _bound_to_nonneg(name: str, ctx: RuleContext) -> bool:
    """Whether the file binds ``name`` (at module level or in the enclosing function) to
    ``keras.constraints.NonNeg()`` and nothing else."""
    values: list[cst.BaseExpression] = []
    for tree in {id(t): t for t in (ctx.module(), ctx.scope())}.values():
        body = tree.body.body if isinstance(tree, cst.FunctionDef) else tree.body
        for statement in body:
            for small in getattr(statement, "body", ()) if isinstance(statement, cst.SimpleStatementLine) else ():
                if isinstance(small, cst.Assign) and any(
                    isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets
                ):
                    values.append(small.value)
    return bool(values) and all(isinstance(v, cst.Call) and _key(_tail(v)) == "nonneg" for v in values)


def constraint_lambda(node: cst.BaseExpression, layout: str, rank: int | None, ctx: RuleContext) -> cst.BaseExpression | None:
    """A Keras constraint as ``lambda w: <the projected w>`` in the torch layout."""
    try:
        value = literal(node)
    except NotLiteral:
        value = ...
    if value is None:
        return None
    if isinstance(node, cst.Lambda):
        return node  # `keras.constraints.NonNeg()` in the call, migrated by its own rule
    if isinstance(value, str):
        name, values = _key(value), {}
        if name not in _CONSTRAINTS:
            raise CannotMigrate(f"constraint {value!r} is not one Keras has")
        values = dict(_CONSTRAINTS[name])
    elif isinstance(node, cst.Call) and _key(_tail(node)) in _CONSTRAINTS:
        name = _key(_tail(node))
        values = _bind(node, _CONSTRAINTS[name], ctx)
        ctx.consume(node)
    elif isinstance(node, cst.Name) and (layout == "same" or _bound_to_nonneg(node.value, ctx)):
        return node  # bound above to NonNeg (element-wise, any layout), migrated there
    else:
        raise CannotMigrate(f"`{ctx.source(node)}` is not a Keras constraint written in the call (NonNeg, MaxNorm, UnitNorm, MinMaxNorm)")
    if name == "nonneg":
        return cst.parse_expression("lambda w: w.clamp(min=0.0)")
    dim = _torch_dims(values["axis"], layout, rank, ctx.source(node))
    norm = _define(ctx, "keras_norm_constraint", _NORM_HELPER)
    if name == "maxnorm":
        extra = f"max_value={_number(values['max_value'])}"
    elif name == "unitnorm":
        extra = "min_value=1.0, max_value=1.0"
    else:
        extra = f"min_value={_number(values['min_value'])}, max_value={_number(values['max_value'])}, rate={_number(values['rate'])}"
    return cst.parse_expression(f"lambda w: {norm}(w, dim={dim!r}, {extra})")


# ---------------------------------------------------------------------------------------
# The layer side: `layers.Dense(..., kernel_regularizer=...)`.

#: The layer arguments this module reads (rules/keras_layers.py leaves them to it).
PREFIXES = {"kernel": "kernel", "bias": "bias", "recurrent": "recurrent_kernel", "embeddings": "embeddings",
            "gamma": "gamma", "beta": "beta", "depthwise": "depthwise_kernel", "pointwise": "pointwise_kernel"}


def is_term_argument(name: str) -> bool:
    return name == "activity_regularizer" or (
        name.endswith(("_regularizer", "_constraint")) and name.rsplit("_", 1)[0] in PREFIXES)


def _rank(keras: str) -> int | None:
    if keras == "Dense":
        return 2
    match = re.search(r"Conv(\d)D", keras)
    return int(match.group(1)) + 2 if match and "Transpose" not in keras else None


def _parameters(keras: str, weight: str) -> list[tuple[str, str]]:
    spec = table.LAYERS.get(keras)
    found: list[tuple[str, str]] = []
    for w in spec.weights if spec else ():
        if w.keras == weight and w.torch not in [t for t, _ in found]:
            found.append((w.torch, w.layout))
    if keras == "DepthwiseConv2D" and weight == "depthwise_kernel":
        found = found[:1]
    if not found or any("." in torch for torch, _ in found):
        raise CannotMigrate(f"`{keras}`'s `{weight}` has no single torch parameter the term could be kept on")
    return found


def wrap_terms(
    keras: str, config: dict[str, Any], module: cst.BaseExpression, ctx: RuleContext, *, weights: bool = True, output: bool = True,
    suffixes: tuple[str, ...] = ("",),
) -> cst.BaseExpression:
    """``module`` wrapped in ``keras_regularized(module, penalties=…, constraints=…, activity=…)``
    when the layer's config has regularizers or constraints; ``module`` itself otherwise.
    ``weights``: the module holds the layer's weights (its penalties and constraints go on it);
    ``output``: it answers the layer's output (after the activation: the activity penalty);
    ``suffixes``: the copies of each parameter (``_reverse``: a bidirectional RNN's backward one)."""
    penalties: list[tuple[str, cst.BaseExpression]] = []
    constraints: list[tuple[str, cst.BaseExpression]] = []
    activity = None
    for key, value in config.items():
        if value is None or not is_term_argument(key):
            continue
        node = value.node if hasattr(value, "node") else cst.parse_expression(repr(value))
        if key == "activity_regularizer":
            activity = penalty_lambda(node, ctx, var="y") if output else None  # y: the layer's output
            continue
        if not weights:
            continue
        prefix, kind = key.rsplit("_", 1)
        parameters = [(torch + suffix, layout) for torch, layout in _parameters(keras, PREFIXES[prefix]) for suffix in suffixes]
        if kind == "regularizer":
            term = penalty_lambda(node, ctx)
            if term is not None:
                penalties += [(torch, term) for torch, _ in parameters]
        else:
            for torch, layout in parameters:
                if layout not in ("same",) and _key(_tail(node) if not isinstance(value, str) else value) != "nonneg":
                    if keras == "Dense" and "Linear" not in ctx.source(getattr(module, "func", module)):
                        raise CannotMigrate(f"`{key}=`: the Dense is migrated as a convolution here, and its axis is not mapped")
                term = constraint_lambda(node, layout, _rank(keras), ctx)
                if term is not None:
                    constraints.append((torch, term))
    if not (penalties or constraints or activity):
        return module
    helper = _define(ctx, "keras_regularized", _REGULARIZED_HELPER)
    args = [cst.Arg(module)]
    for keyword, items in (("penalties", penalties), ("constraints", constraints)):
        if items:
            entries = ", ".join(f'"{name}": {ctx_code(term)}' for name, term in items)
            args.append(cst.Arg(cst.parse_expression("{" + entries + "}"), keyword=cst.Name(keyword), equal=_EQUAL))
    if activity is not None:
        args.append(cst.Arg(activity, keyword=cst.Name("activity"), equal=_EQUAL))
    return cst.Call(cst.Name(helper), args)


def ctx_code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


_EQUAL = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


def file_has_terms(module: cst.Module) -> tuple[bool, bool]:
    """Whether the file passes regularizers (penalties) / constraints to its layers or weights:
    its training loops then add ``keras_losses(model)`` / call ``keras_apply_constraints``."""
    found = [False, False]

    class Finder(cst.CSTVisitor):
        def visit_Arg(self, node: cst.Arg) -> None:
            if node.keyword is None or (isinstance(node.value, cst.Name) and node.value.value == "None"):
                return
            if node.keyword.value.endswith("regularizer"):
                found[0] = True
            elif node.keyword.value.endswith("constraint"):
                found[1] = True

    module.visit(Finder())
    return found[0], found[1]


# ---------------------------------------------------------------------------------------
# Rules: `keras.regularizers.L2(0.01)` on its own, `model.losses`.


def _given_to_add_weight(call: cst.Call, ctx: RuleContext) -> bool:
    """Whether ``call`` is an argument that another rule reads as Keras wrote it: the
    ``regularizer=``/``constraint=`` of a custom layer's ``self.add_weight(...)``
    (rules/keras_custom_layers.py) or a ``*_regularizer=``/``*_constraint=`` of a layer call
    (the layer rewrite maps it onto its torch parameters and layout). Left as it is here, the
    layer call keeps the code it was parsed with, which the model rewrites match it by."""
    found = [False]

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            for arg in node.args:
                keyword = arg.keyword.value if arg.keyword is not None else ""
                if (keyword in ("regularizer", "constraint") and _tail(node) == "add_weight") or (
                    is_term_argument(keyword) and _tail(node) in table.LAYERS
                ):
                    if arg.value.deep_equals(call):
                        found[0] = True

    ctx.statement().visit(Finder())
    return found[0]


class RegularizerRule(Rule):
    """``keras.regularizers.L2(0.01)`` on its own → the penalty as a function of the weight."""

    id = "regularizers.penalty"
    names = tuple(f"keras.regularizers.{name}" for name in ("L1", "L2", "L1L2", "l1", "l2", "l1_l2"))
    summary = "`keras.regularizers.L2(...)` (L1, L1L2) → `lambda w: <its penalty>`, Keras's defaults written out."
    why = (
        "A Keras regularizer is a function of a weight that Keras's fit adds to the loss. The "
        "lambda computes the same penalty on the torch parameter (L1 and L2 sums do not depend "
        "on the layout): `l1 * |w|.sum()` and `l2 * (w**2).sum()`, no 1/2, with Keras 3's defaults "
        "(L1 and L2: 0.01; L1L2 and `l1_l2`: 0.0 each — Keras 2's `l1_l2` defaulted to 0.01). "
        "Passed to a migrated layer it lands in `keras_regularized(...)`, which the migrated loop "
        "reads through `keras_losses(model)`. Not `weight_decay`: the maths differ."
    )
    example = "from tensorflow import keras\n\nreg = keras.regularizers.L1L2(l1=0.001, l2=0.01)\n"

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if _given_to_add_weight(call, ctx):
            return call
        term = penalty_lambda(call, ctx)
        if term is None:
            return cst.parse_expression("lambda w: 0.0")
        return term


class NonNegRule(Rule):
    """``keras.constraints.NonNeg()`` on its own → ``lambda w: w.clamp(min=0.0)``."""

    id = "constraints.NonNeg"
    names = ("keras.constraints.NonNeg", "keras.constraints.non_neg")
    summary = "`keras.constraints.NonNeg()` → `lambda w: w.clamp(min=0.0)`: the projection as a function of the weight."
    why = (
        "A Keras constraint is a projection the optimizer applies after each update. NonNeg is "
        "element-wise, so it reads the same in torch's layout wherever it is made; a migrated "
        "layer keeps it in `keras_regularized(..., constraints=...)` and the migrated loop applies "
        "it after `optimizer.step()` through `keras_apply_constraints(model)`."
    )
    example = "from tensorflow import keras\n\nclamp = keras.constraints.NonNeg()\n"

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if _given_to_add_weight(call, ctx):
            return call
        term = constraint_lambda(call, "same", None, ctx)
        assert term is not None
        return term


class NormConstraintRule(Rule):
    """``keras.constraints.MaxNorm(2)`` on its own: a TODO (the axis needs the layer's layout)."""

    id = "constraints.norm"
    names = tuple(
        f"keras.constraints.{name}"
        for name in ("MaxNorm", "max_norm", "UnitNorm", "unit_norm", "MinMaxNorm", "min_max_norm")
    )
    summary = "`keras.constraints.MaxNorm(...)` (UnitNorm, MinMaxNorm) in a layer call → `keras_norm_constraint` over the torch dims; on its own a TODO."
    why = (
        "The norm constraints rescale a kernel so its L2 norms over `axis` stay in a range, and "
        "`axis` names dimensions of Keras's kernel layout — (in, out) for Dense, "
        "(*kernel, in, out) for a convolution — which torch lays out as (out, in, *kernel). In a "
        "layer call (`kernel_constraint=keras.constraints.MaxNorm(2)`) the layer rewrite knows the "
        "layout and writes `keras_norm_constraint(w, dim=...)` with the axis mapped (Keras's "
        "epsilon 1e-7 in the denominator); made on its own, the layout is unknown, so it is a TODO."
    )
    example = (
        "from tensorflow.keras import constraints, layers\n\n"
        "fc = layers.Dense(16, kernel_constraint=constraints.MaxNorm(2.0))\n"
        "limit = constraints.MaxNorm(3.0)\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if _given_to_add_weight(call, ctx):
            return call  # the custom layer's rule says what it makes of it
        raise CannotMigrate(
            "a norm constraint's `axis` depends on the layer's kernel layout: pass it in the layer "
            "call (`kernel_constraint=...`) so it is migrated there"
        )


class ModelLosses(Rule):
    """``model.losses`` → ``keras_losses(model)``."""

    id = "training.losses"
    names = ("keras.Model.losses",)
    summary = "`model.losses` → `keras_losses(model)`: the regularizers' penalties, as a list."
    why = (
        "Keras's `model.losses` lists each regularizer's penalty (and the activity penalties of the "
        "last call); a GradientTape loop adds `sum(model.losses)` to its loss as `fit` does. The "
        "migrated layers keep their regularizers on the module (`keras_regularized`), and "
        "`keras_losses(model)` walks the modules and lists the same penalties, so "
        "`loss += sum(keras_losses(model))` is the same step."
    )
    example = (
        "from tensorflow import keras\n\n"
        "model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2, kernel_regularizer=\"l2\")])\n"
        "model.compile(optimizer=\"sgd\", loss=\"mse\")\n"
        "penalty = sum(model.losses)\n"
    )

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if not isinstance(node, cst.Attribute):
            raise CannotMigrate("`losses` is not read from a model here")
        return cst.Call(cst.Name(losses_helper(ctx)), [cst.Arg(node.value)])


RULES: list[Rule] = [RegularizerRule(), NonNegRule(), NormConstraintRule(), ModelLosses()]
