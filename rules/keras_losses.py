"""``keras.losses``: loss classes, loss functions, and the loss strings of ``compile``.

Keras computes a loss in two stages: a value per example (the elementwise loss averaged over
the last axis, or the cross-entropy over the class axis), then the reduction
(``"sum_over_batch_size"`` by default: the sum divided by the number of per-example values).
torch's functional losses average over every element at once, which is the same number only
because every example has the same number of elements — true of dense tensors — so the
default reduction is written as torch's plain ``mean`` form, and ``"sum"`` / ``None`` as the
per-example value summed or left alone (Keras's ``"sum"`` sums the per-example *means*, not
every element, so ``reduction="sum"`` in torch would be a different number).

Where the two libraries differ:

* Keras's cross-entropies take probabilities by default (``from_logits=False``) and clip them to
  [1e-7, 1 - 1e-7] before the log; the rewrite writes the clip. (Keras also recognises an
  output made by a softmax/sigmoid *activation* and then works from its logits: same value
  except for saturated probabilities, where the clipped form has a zero gradient.)
* Binary label smoothing moves labels towards 0.5 (``y(1-ε) + ε/2``), categorical towards
  1/classes (torch's ``label_smoothing=`` does exactly the categorical one).
* Sparse labels of shape ``(batch, 1)`` are squeezed by Keras: the rewrite flattens logits to
  ``(N, classes)`` and labels to ``(N,)``, which also covers sequence outputs.
* Keras's loss objects (and ``compile``, which wraps every loss in one) first bring labels and
  predictions to the same rank, adding or dropping a trailing axis of 1
  (``squeeze_or_expand_to_same_rank``); torch broadcasts labels ``(N,)`` against predictions
  ``(N, 1)`` to ``(N, N)`` — silently wrong numbers from ``mse_loss`` — or refuses
  (``binary_cross_entropy``). The elementwise losses call ``same_rank`` (written into the file
  once) on both; the class-axis ones need not (a trailing axis of 1 would be one class).
* Keras casts labels to the prediction's dtype; torch wants float targets for the binary
  losses and int64 class indices for the sparse ones (``.float()``, ``.long()``).

Builders other rules call: ``torch_loss(node, ctx) -> LossPlan``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import libcst as cst

from migrate.rules.base import (
    CannotMigrate,
    NotLiteral,
    Rule,
    RuleContext,
    code_of,
    dotted_name,
    literal,
    parse_signature,
    top_level_names,
)
from migrate.rules import tf_nn

# ---------------------------------------------------------------------------------------
# The plan a training step carries out.


@dataclass(frozen=True)
class LossPlan:
    """A Keras loss under torch.

    ``call(y_true, y_pred)`` is the reduced loss as Keras reduces it, in Keras's argument
    order (a training step writes ``loss = <plan.call(y, outputs)>``); ``per_example`` is the
    value before the reduction (for sample and class weights: Keras multiplies these values by
    the weights, then sums and divides by their count, ``weighted``). ``function`` is an
    expression callable as ``function(y_true, y_pred)``, for a loss passed around as a value.
    """

    keras: str
    reduction: str
    _mean: Callable[[cst.BaseExpression, cst.BaseExpression], cst.BaseExpression]
    _per_example: Callable[[cst.BaseExpression, cst.BaseExpression], cst.BaseExpression]
    notes: tuple[str, ...] = ()
    #: An instance of the file's own ``keras.losses.Loss`` subclass (``FocalLoss(gamma=2.0)``),
    #: as code: the migrated class reduces and weighs as Keras's ``Loss.__call__`` does, so the
    #: object itself is the loss function.
    instance: str | None = None

    def call(self, y_true: cst.BaseExpression, y_pred: cst.BaseExpression) -> cst.BaseExpression:
        if self.reduction == "mean":
            return self._mean(y_true, y_pred)
        per = self._per_example(y_true, y_pred)
        if self.reduction == "sum":
            return _method(per, "sum")
        return per

    def per_example(self, y_true: cst.BaseExpression, y_pred: cst.BaseExpression) -> cst.BaseExpression:
        return self._per_example(y_true, y_pred)

    def weighted(
        self, y_true: cst.BaseExpression, y_pred: cst.BaseExpression, sample_weight: cst.BaseExpression
    ) -> cst.BaseExpression:
        """The loss with per-example weights, reduced as Keras reduces it: ``"mean"`` divides
        the weighted sum by the number of values (not by the sum of the weights, as torch's
        ``weight=`` arguments do)."""
        per = _parse(f"{code_of(self._per_example(y_true, y_pred))} * {_atom(sample_weight)}")
        if self.reduction == "mean":
            return _parse(f"({code_of(per)}).sum() / {_atom(self._per_example(y_true, y_pred))}.numel()")
        if self.reduction == "sum":
            return _parse(f"({code_of(per)}).sum()")
        return per

    @property
    def function(self) -> cst.BaseExpression:
        """``lambda y_true, y_pred: <the reduced loss>``."""
        return _parse(f"lambda y_true, y_pred: {code_of(self.call(cst.Name('y_true'), cst.Name('y_pred')))}")


# ---------------------------------------------------------------------------------------
# Writing expressions as text.

_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float)


def _atom(node: cst.BaseExpression) -> str:
    """Source of ``node``, parenthesised unless it is safe as an operand or receiver."""
    text = code_of(node)
    return text if isinstance(node, _ATOMIC) or node.lpar else f"({text})"


def _parse(text: str) -> cst.BaseExpression:
    return cst.parse_expression(text)


def _method(node: cst.BaseExpression, name: str) -> cst.BaseExpression:
    return _parse(f"{_atom(node)}.{name}()")


def _is_simple(node: cst.BaseExpression) -> bool:
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


# ---------------------------------------------------------------------------------------
# The table. A form is text with ``{yt}``/``{yp}`` for the labels and predictions, ``{F}`` for
# torch.nn.functional, ``{torch}`` for torch, and the loss's own arguments by name.


@dataclass(frozen=True)
class LossSpec:
    keras: str  # class name under keras.losses
    function: str  # the function under keras.losses that computes the per-example value
    signature: str  # the class's arguments after the common ones are removed
    #: (bound literal arguments) -> (mean form, per-example form); None where the arguments
    #: have no faithful form (raise CannotMigrate inside instead).
    forms: Callable[[Mapping[str, Any]], tuple[str, str]]
    aliases: tuple[str, ...] = ()  # compile strings and legacy function names
    #: Arguments whose value picks the form, so must be literals.
    literal_args: tuple[str, ...] = ()
    note: str = ""
    #: Where Keras applies its rank rule to this loss: "function" (the loss function itself,
    #: so everywhere), "object" (only the Loss object and ``compile``, which wrap the function),
    #: or "" (a loss over a class axis, where a trailing axis of 1 would be a single class).
    same_rank: str = ""


def _elementwise(torch_fn: str, extra: str = "") -> tuple[str, str]:
    """A torch loss that exists with ``reduction="none"``; Keras averages the last axis."""
    return (
        f"{{F}}.{torch_fn}({{yp}}, {{yt}}{extra})",
        f"{{F}}.{torch_fn}({{yp}}, {{yt}}{extra}, reduction=\"none\").mean(-1)",
    )


def _formula(per_element: str) -> tuple[str, str]:
    """A per-element formula; Keras averages over the last axis, then over the batch."""
    return (f"({per_element}).mean()", f"({per_element}).mean(-1)")


def _check_axis(a: Mapping[str, Any]) -> None:
    if a.get("axis", -1) != -1:
        raise CannotMigrate("a class axis other than the last has no faithful form written yet")


def _bce(a: Mapping[str, Any]) -> tuple[str, str]:
    _check_axis(a)
    smoothing = a["label_smoothing"]
    target = "{yt}.float()"
    if smoothing:
        target = f"{{yt}}.float() * {_num(1 - smoothing)} + {_num(0.5 * smoothing)}"
    if a["from_logits"]:
        fn = f"{{F}}.binary_cross_entropy_with_logits({{yp}}, {target}"
    else:
        fn = f"{{F}}.binary_cross_entropy({{yp}}.clamp(1e-07, 1 - 1e-07), {target}"
    return fn + ")", fn + ', reduction="none").mean(-1)'


def _num(value: float) -> str:
    """A float as a reader would write it (``0.9``, not ``0.9000000000000001``)."""
    return repr(round(float(value), 12))


def _cce(a: Mapping[str, Any]) -> tuple[str, str]:
    _check_axis(a)
    smoothing = a["label_smoothing"]
    if a["from_logits"]:
        # torch smooths probability targets as Keras does: y(1-ε) + ε/classes.
        extra = f", label_smoothing={smoothing!r}" if smoothing else ""
        return (
            f"{{F}}.cross_entropy({{yp}}.flatten(0, -2), {{yt}}.flatten(0, -2){extra})",
            f"{{F}}.cross_entropy({{yp}}.movedim(-1, 1), {{yt}}.movedim(-1, 1){extra}, reduction=\"none\")",
        )
    target = "{yt}"
    if smoothing:
        target = f"({{yt}} * {_num(1 - smoothing)} + {_num(smoothing)} / {{yt}}.shape[-1])"
    # Keras renormalises the probabilities, clips them, then takes -Σ y·log p.
    per = f"-({target} * ({{yp}} / {{yp}}.sum(-1, keepdim=True)).clamp(1e-07, 1 - 1e-07).log()).sum(-1)"
    return f"({per}).mean()", per


def _sparse(a: Mapping[str, Any]) -> tuple[str, str]:
    _check_axis(a)
    # Without logits Keras clips the probabilities and takes their log as logits (then
    # softmax renormalises them): cross_entropy of the clipped log does the same.
    logits = "{yp}" if a["from_logits"] else "{yp}.clamp(1e-07, 1 - 1e-07).log()"
    # Keras zeroes the ignored examples and divides by the count of the others, as torch's
    # mean with ignore_index does; per example, the ignored ones are 0 in both.
    ignore = a.get("ignore_class")
    extra = f", ignore_index={ignore!r}" if ignore is not None else ""
    return (
        f"{{F}}.cross_entropy({logits}.flatten(0, -2), {{yt}}.flatten().long(){extra})",
        f"{{F}}.cross_entropy({logits}.movedim(-1, 1), {{yt}}.reshape({{yp}}.shape[:-1]).long(){extra}, reduction=\"none\")",
    )


def _kld(a: Mapping[str, Any]) -> tuple[str, str]:
    per = "{F}.kl_div({yp}.clamp(1e-07, 1).log(), {yt}.clamp(1e-07, 1), reduction=\"none\").sum(-1)"
    return f"{per}.mean()", per


def _cosine(a: Mapping[str, Any]) -> tuple[str, str]:
    axis = a["axis"]
    per = f"-{{F}}.cosine_similarity({{yp}}, {{yt}}, dim={axis!r})"
    return f"({per}).mean()", per


def _huber(a: Mapping[str, Any]) -> tuple[str, str]:
    return _elementwise("huber_loss", f", delta={float(a['delta'])!r}")


LOG2 = "0.6931471805599453"
#: Keras's hinge losses take labels in {-1, 1}; labels that are all 0 or 1 are mapped to them.
_PLUS_MINUS = "{torch}.where((({yt} == 0) | ({yt} == 1)).all(), 2 * {yt} - 1, {yt})"


def _per_example_only(per: str) -> tuple[str, str]:
    """A formula that is already one value per example."""
    return f"({per}).mean()", per


#: Keras's ``squeeze_or_expand_to_same_rank``, written into the file once, applied to each
#: tensor against the other (the rule is symmetric, so each side can be computed on its own).
_SAME_RANK = '''
def same_rank(x, other):
    """``x`` as Keras's losses shape it against ``other``: when the ranks differ by one and the
    longer tensor ends in an axis of 1, a rank-1 tensor gains that axis, otherwise the longer
    one loses it. Labels (N,) with predictions (N, 1) become (N, 1); torch would broadcast the
    pair to (N, N) or refuse it."""
    if other.dim() == x.dim() + 1 and other.shape[-1] == 1 and x.dim() == 1:
        return x.unsqueeze(-1)
    if x.dim() == other.dim() + 1 and x.shape[-1] == 1 and other.dim() != 1:
        return x.squeeze(-1)
    return x
'''


SPECS: dict[str, LossSpec] = {
    s.keras: s
    for s in [
        LossSpec("MeanSquaredError", "mean_squared_error", "", lambda a: _elementwise("mse_loss"), ("mse", "MSE"), same_rank="function"),
        LossSpec("MeanAbsoluteError", "mean_absolute_error", "", lambda a: _elementwise("l1_loss"), ("mae", "MAE"), same_rank="function"),
        LossSpec(
            "MeanAbsolutePercentageError", "mean_absolute_percentage_error", "",
            lambda a: _formula("100.0 * ({yt} - {yp}).abs() / {yt}.abs().clamp(min=1e-07)"), ("mape", "MAPE"),
            same_rank="function",
        ),
        LossSpec(
            "MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", "",
            lambda a: _formula("({torch}.log1p({yp}.clamp(min=1e-07)) - {torch}.log1p({yt}.clamp(min=1e-07))) ** 2"),
            ("msle", "MSLE"), same_rank="function",
        ),
        LossSpec("Huber", "huber", "delta=1.0", _huber, (), ("delta",), same_rank="function"),
        LossSpec(
            "LogCosh", "log_cosh", "",
            # log(cosh(x)) = x + softplus(-2x) - log 2, Keras's stable form.
            lambda a: _formula(f"({{yp}} - {{yt}}) + {{F}}.softplus(-2.0 * ({{yp}} - {{yt}})) - {LOG2}"),
            ("logcosh",), same_rank="function",
        ),
        LossSpec(
            "Poisson", "poisson", "", lambda a: _formula("{yp} - {yt} * {torch}.log({yp} + 1e-07)"), same_rank="object",
        ),
        LossSpec(
            "BinaryCrossentropy", "binary_crossentropy",
            "from_logits=False, label_smoothing=0.0, axis=-1", _bce, (), ("from_logits", "label_smoothing", "axis"),
            same_rank="object",
        ),
        LossSpec(
            "CategoricalCrossentropy", "categorical_crossentropy",
            "from_logits=False, label_smoothing=0.0, axis=-1", _cce, (), ("from_logits", "label_smoothing", "axis"),
        ),
        LossSpec(
            "SparseCategoricalCrossentropy", "sparse_categorical_crossentropy",
            "from_logits=False, ignore_class=None, axis=-1", _sparse, (), ("from_logits", "ignore_class", "axis"),
        ),
        LossSpec("Hinge", "hinge", "", lambda a: _formula(f"({{F}}.relu(1 - {_PLUS_MINUS} * {{yp}}))"), same_rank="object"),
        LossSpec(
            "SquaredHinge", "squared_hinge", "", lambda a: _formula(f"{{F}}.relu(1 - {_PLUS_MINUS} * {{yp}}) ** 2"),
            same_rank="object",
        ),
        LossSpec(
            "CategoricalHinge", "categorical_hinge", "",
            lambda a: _per_example_only(
                "{F}.relu(((1 - {yt}) * {yp}).amax(-1) - ({yt} * {yp}).sum(-1) + 1)"
            ),
        ),
        LossSpec("KLDivergence", "kl_divergence", "", _kld, ("kld", "KLD", "kullback_leibler_divergence")),
        LossSpec("CosineSimilarity", "cosine_similarity", "axis=-1", _cosine, (), ("axis",)),
    ]
}

#: A function or compile-string name → the class whose default instance computes it.
BY_FUNCTION: dict[str, str] = {}
for _spec in SPECS.values():
    BY_FUNCTION[_spec.function] = _spec.keras
    for _alias in _spec.aliases:
        BY_FUNCTION[_alias] = _spec.keras

#: Keras arguments of every loss class (keras.losses.Loss.__init__).
_COMMON = 'reduction="sum_over_batch_size", name=None, dtype=None'
_REDUCTIONS = {"sum_over_batch_size": "mean", "mean": "mean", "mean_with_sample_weight": "mean", "sum": "sum", "none": "none", None: "none"}


# ---------------------------------------------------------------------------------------
# Building a plan.


def _class_of(func: cst.BaseExpression) -> str | None:
    dotted = dotted_name(func)
    last = dotted.rsplit(".", 1)[-1]
    return last if last in SPECS and ("losses" in dotted or dotted == last) else None


def _function_of(node: cst.BaseExpression) -> str | None:
    dotted = dotted_name(node)
    last = dotted.rsplit(".", 1)[-1]
    return BY_FUNCTION.get(last) if last and ("losses" in dotted or "metrics" in dotted) else None


def _bind(spec: LossSpec, call: cst.Call, ctx: RuleContext, common: bool = True) -> dict[str, Any]:
    """The literal values of a class call's arguments, defaults filled in."""
    text = ", ".join(s for s in (spec.signature, _COMMON if common else "") if s)
    params = parse_signature(text)
    values = {p.name: p.default for p in params}
    positional = [p for p in params if not p.keyword_only]
    index = 0
    for arg in call.args:
        if arg.star:
            raise CannotMigrate(f"`{arg.star}{ctx.source(arg.value)}` hides which arguments are passed")
        if arg.keyword is None:
            if index >= len(positional):
                raise CannotMigrate("more positional arguments than Keras's signature has")
            name = positional[index].name
            index += 1
        else:
            name = arg.keyword.value
            if name not in values:
                raise CannotMigrate(f"`{name}=` has no torch counterpart written")
        if name == "name":
            continue
        try:
            values[name] = literal(arg.value)
        except NotLiteral:
            raise CannotMigrate(f"`{name}={ctx.source(arg.value)}` is not a literal: it picks the torch form") from None
    if values.get("dtype") is not None:
        raise CannotMigrate("a loss `dtype=` other than the default needs the inputs cast")
    return values


def _defaults(spec: LossSpec) -> dict[str, Any]:
    return {p.name: p.default for p in parse_signature(", ".join(s for s in (spec.signature, _COMMON) if s))}


def _plan(spec: LossSpec, values: Mapping[str, Any], ctx: RuleContext, wrapped: bool = True) -> LossPlan:
    """The plan for a loss with these argument values. ``wrapped``: computed as a Keras Loss
    object or ``compile`` computes it (with the rank rule of ``same_rank="object"`` losses),
    rather than by calling the bare loss function."""
    reduction = values.get("reduction", "sum_over_batch_size")
    if reduction not in _REDUCTIONS:
        raise CannotMigrate(f"reduction {reduction!r} is not one Keras knows")
    mean_form, per_form = spec.forms(values)
    names = {"F": code_of(ctx.name("torch.nn.functional")), "torch": code_of(ctx.name("torch"))}
    ranked = spec.same_rank == "function" or (spec.same_rank == "object" and wrapped)

    def builder(form: str) -> Callable[[cst.BaseExpression, cst.BaseExpression], cst.BaseExpression]:
        def build(y_true: cst.BaseExpression, y_pred: cst.BaseExpression) -> cst.BaseExpression:
            # With the rank rule each tensor is written inside both placeholders.
            uses = form.count("{yt}") + form.count("{yp}")
            for text, node in (("{yt}", y_true), ("{yp}", y_pred)):
                if (uses if ranked else form.count(text)) > 1 and not _is_simple(node):
                    raise CannotMigrate(
                        f"`{code_of(node)}` would be evaluated twice by the rewrite; assign it to a name first"
                    )
            yt, yp = _atom(y_true), _atom(y_pred)
            if ranked:
                ctx.add_definition(list(cst.parse_module(_SAME_RANK.lstrip("\n")).body))  # type: ignore[attr-defined]
                yt, yp = f"same_rank({yt}, {yp})", f"same_rank({yp}, {yt})"
            out = form.replace("{yt}", yt).replace("{yp}", yp)
            for key, value in names.items():
                out = out.replace("{" + key + "}", value)
            return _parse(out)

        return build

    return LossPlan(
        keras=spec.keras,
        reduction=_REDUCTIONS[reduction],
        _mean=builder(mean_form),
        _per_example=builder(per_form),
        notes=(spec.note,) if spec.note else (),
    )


def torch_loss(node: cst.BaseExpression | str, ctx: RuleContext) -> LossPlan:
    """The torch loss for a Keras loss: a class call (``keras.losses.Huber(delta=2.0)``), a
    ``compile`` string (``"sparse_categorical_crossentropy"``), a function reference
    (``keras.losses.mse``), or the name of a loss object the file constructs (the plan then
    calls that name, which the class rule has made a function of ``(y_true, y_pred)``).
    Raises CannotMigrate with the reason."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        node = value if isinstance(value, str) else ""
    if isinstance(node, str):
        keras = BY_FUNCTION.get(node) or (node if node in SPECS else None)
        if keras is None:
            raise CannotMigrate(f"loss {node!r} has no torch form in this table")
        return _plan(SPECS[keras], _defaults(SPECS[keras]), ctx)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and ctx.type_of(node) == "keras.losses.Loss":
        return _user_loss(node)
    if isinstance(node, cst.Call):
        keras = _class_of(node.func)
        if keras is None:
            raise CannotMigrate(f"`{ctx.source(node.func)}` is not a Keras loss this table knows")
        return _plan(SPECS[keras], _bind(SPECS[keras], node, ctx), ctx)
    keras = _function_of(node)
    if keras is not None:
        return _plan(SPECS[keras], _defaults(SPECS[keras]), ctx)
    target = dotted_name(node)
    if target:
        from migrate.rules.keras_optimizers import assigned_value

        original = assigned_value(target, ctx)
        if isinstance(original, cst.Call) and _class_of(original.func):
            spec = SPECS[_class_of(original.func) or ""]
            plan = _plan(spec, _bind(spec, original, ctx), ctx)
            called = lambda yt, yp: tf_nn.call(node, yt, yp)  # noqa: E731
            return LossPlan(plan.keras, plan.reduction, called, plan._per_example, plan.notes)
    raise CannotMigrate(f"`{ctx.source(node)}` is not a loss this rewrite can read")


def _user_loss(node: cst.Call) -> LossPlan:
    """An instance of the file's own Loss subclass: called as it is (custom_objects.loss makes
    it an nn.Module that reduces and weighs as Keras's ``Loss.__call__``)."""

    def called(y_true: cst.BaseExpression, y_pred: cst.BaseExpression) -> cst.BaseExpression:
        return tf_nn.call(node, y_true, y_pred)

    def per_example(y_true: cst.BaseExpression, y_pred: cst.BaseExpression) -> cst.BaseExpression:
        raise CannotMigrate(f"`{code_of(node)}` reduces itself: its per-example values are not known here")

    return LossPlan(node.func.value, "instance", called, per_example, instance=code_of(node))  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------
# The rules: loss objects and loss functions where the file uses them directly.


class LossClass(Rule):
    id = "losses.loss"
    names = tuple(f"keras.losses.{name}" for name in SPECS)
    returns = {f"keras.losses.{name}": "keras.losses.Loss" for name in SPECS}
    summary = "`keras.losses.SparseCategoricalCrossentropy(from_logits=True)` → `lambda y_true, y_pred: F.cross_entropy(...)` (Keras's argument order and reduction)."
    why = (
        "A Keras loss object is called as `loss(y_true, y_pred)`; torch's losses take "
        "`(input, target)`. The rewrite is a function of `(y_true, y_pred)`, so the calls "
        "that follow keep working, computing Keras's value: per-example loss (the last axis "
        "averaged), then the reduction (`sum_over_batch_size`: a mean; `sum`: the sum of the "
        "per-example values; None: those values). Probabilities (`from_logits=False`, Keras's "
        "default) are clipped to [1e-7, 1 - 1e-7] as Keras clips them; label smoothing, "
        "Huber's delta, `ignore_class`, the cosine axis are carried; sparse labels are "
        "flattened so `(batch, 1)` labels and sequence outputs work as in Keras. Keras first "
        "brings labels and predictions to the same rank (a trailing axis of 1 added or "
        "dropped: labels `(N,)` with predictions `(N, 1)`), where torch would broadcast to "
        "`(N, N)` or refuse: the elementwise losses call `same_rank`, a function written "
        "into the file once, on both. Arguments that "
        "pick the formula must be literals. A loss inside `compile(...)` is left to the "
        "compile rewrite; a Keras loss's optional `sample_weight` argument is not carried by "
        "the function (the fit rewrite weights the per-example values itself)."
    )
    example = (
        "import keras\n\n"
        "loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)\n"
        "bce = keras.losses.BinaryCrossentropy(label_smoothing=0.1)\n"
        "huber = keras.losses.Huber(delta=2.0, reduction=\"sum\")"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        from migrate.rules.keras_optimizers import argument_of_compile

        if argument_of_compile(call, ctx):
            return call
        return torch_loss(call, ctx).function


def _function_names() -> dict[str, str]:
    """``keras.losses.<function>`` → loss class, every public spelling (Keras 2 aliases too)."""
    out = {}
    for name, keras in BY_FUNCTION.items():
        out[f"keras.losses.{name}"] = keras
    return out


FUNCTIONS = _function_names()


def _ours(function: cst.FunctionDef) -> bool:
    """A loss function this rule wrote into the file (a second run finds it)."""
    return (function.get_docstring() or "").startswith("`keras.losses.")


class LossFunction(Rule):
    id = "losses.function"
    names = tuple(FUNCTIONS)
    summary = "`keras.losses.mean_squared_error(y_true, y_pred)` → the per-example loss in torch (`F.mse_loss(..., reduction=\"none\").mean(-1)`)."
    why = (
        "Keras's loss functions return one value per example (the elementwise loss averaged "
        "over the last axis, or the cross-entropy over the class axis) and reduce nothing "
        "further; torch's functional losses reduce to a mean by default, so the rewrite asks "
        "for `reduction=\"none\"` and averages the last axis as Keras does. Keyword arguments "
        "(`from_logits`, `label_smoothing`, `delta`, `axis`) are carried as for the loss "
        "classes, and so is the rank rule of the functions that apply it (MSE, MAE, MAPE, "
        "MSLE, Huber, LogCosh: `same_rank`). Such a form reads each tensor twice, so a call "
        "given an expression that is not a name (`mse(y, model(x))`) becomes a call of a "
        "function written into the file under Keras's name (`def mean_squared_error(y_true, "
        "y_pred)`), which reads it once; with other arguments too it stays a TODO. Passed by value (`loss=keras.losses.mse` "
        "outside `compile`), the function becomes `lambda y_true, y_pred: ...` with the same "
        "per-example result."
    )
    example = (
        "import keras\n\n"
        "per_example = keras.losses.mean_squared_error(y_true, y_pred)\n"
        "ce = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)\n"
        "fn = keras.losses.huber"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        spec = SPECS[FUNCTIONS[qualified]]
        if any(a.star for a in call.args):
            raise CannotMigrate("`*args`/`**kwargs` hide which arguments are passed")
        positional = [a.value for a in call.args if a.keyword is None]
        named = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        y_true = named.get("y_true", positional[0] if positional else None)
        y_pred = named.get("y_pred", positional[1] if len(positional) > 1 else None)
        if y_true is None or y_pred is None:
            raise CannotMigrate("the labels and predictions must be given")
        # The loss's own arguments: what follows the two tensors, bound to its signature.
        rest = call.with_changes(args=[
            a for a in call.args[min(len(positional), 2):]
            if not (a.keyword and a.keyword.value in ("y_true", "y_pred"))
        ])
        values = _bind(spec, rest, ctx, common=False)
        plan = _plan(spec, values, ctx, wrapped=False)
        try:
            return plan.per_example(y_true, y_pred)
        except CannotMigrate:
            if rest.args or spec.function in top_level_names(ctx.module(), skip=_ours):
                raise
        # `mse(y, model(x))`: the form reads each tensor twice (the rank rule), so the loss
        # becomes a function of the file, named as Keras's, that reads each argument once.
        body = code_of(plan.per_example(cst.Name("y_true"), cst.Name("y_pred")))
        ctx.add_definition(list(cst.parse_module(
            f"def {spec.function}(y_true, y_pred):\n"
            f'    """`keras.losses.{spec.function}`: one loss value per example, as Keras computes it."""\n'
            f"    return {body}\n"
        ).body))
        return tf_nn.call(cst.Name(spec.function), y_true, y_pred)

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        from migrate.rules.keras_optimizers import argument_of_compile

        if argument_of_compile(node, ctx):
            return node
        plan = _plan(SPECS[FUNCTIONS[qualified]], _defaults(SPECS[FUNCTIONS[qualified]]), ctx, wrapped=False)
        body = plan.per_example(cst.Name("y_true"), cst.Name("y_pred"))
        function = f"lambda y_true, y_pred: {code_of(body)}"
        if _assigned_as_is(node, ctx):
            return _parse(function)
        # Anywhere else (`loss_fn.fn == losses.mse`) a bare lambda would swallow the rest
        # of the expression, or not parse.
        return _parse(f"({function})")


def _assigned_as_is(node: cst.BaseExpression, ctx: RuleContext) -> bool:
    """``fn = keras.losses.mse``: the reference is the whole value of an assignment."""
    statement = ctx.statement()
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    assign = statement.body[0]
    return isinstance(assign, cst.Assign) and ctx.source(assign.value) == ctx.source(node)


_REDUCTION_NAMES = {"NONE": "none", "SUM": "sum", "SUM_OVER_BATCH_SIZE": "sum_over_batch_size", "AUTO": "sum_over_batch_size"}


class Reduction(Rule):
    id = "losses.reduction"
    names = tuple(f"keras.losses.Reduction.{name}" for name in _REDUCTION_NAMES)
    summary = "tf.keras 2's `tf.keras.losses.Reduction.NONE` (`SUM`, `SUM_OVER_BATCH_SIZE`, `AUTO`) → the reduction's string, which the loss rewrite reads."
    why = (
        "Keras 3 names reductions by string (`reduction=\"none\"`), tf.keras 2 by an enum whose "
        "values are those strings; `AUTO` meant `SUM_OVER_BATCH_SIZE` outside a distribution "
        "strategy. The string is what the loss rewrite needs to pick the reduction. (Under "
        "`tf.distribute`, `AUTO` was an error in custom loops: the tutorials pass `NONE` and "
        "divide by the global batch size themselves, which the rewrite keeps.)"
    )
    example = (
        "import tensorflow as tf\n\n"
        "loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=tf.keras.losses.Reduction.NONE)"
    )

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        return cst.SimpleString(f'"{_REDUCTION_NAMES[qualified.rsplit(".", 1)[-1]]}"')


RULES: list[Rule] = [LossClass(), LossFunction(), Reduction()]
