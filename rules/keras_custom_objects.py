"""User subclasses of Keras's metric, loss and learning-rate-schedule base classes.

``class F1(keras.metrics.Metric)``, ``class FocalLoss(keras.losses.Loss)`` and
``class Warmup(keras.optimizers.schedules.LearningRateSchedule)`` keep their bodies (the ops
inside are migrated by the op rules); what the Keras base class did for them is written into the
file once, as a small base class with Keras's behaviour:

* a metric's base (``KerasMetric``) makes the state tensors of ``self.add_weight(...)``, resets
  them to zero (Keras's ``reset_state``), and runs ``update_state`` then ``result`` when the
  metric is called; the state is updated in place (``v.assign_add(x)`` → ``v.add_(x)`` under
  ``torch.no_grad()``), so the tensors stay the ones ``variables`` lists;
* a loss's base (``KerasLoss``, an ``nn.Module``) is Keras's ``Loss.__call__``: the inputs cast
  to the loss's dtype, the subclass's ``call`` for the per-example values, ``sample_weight``
  brought to their rank and multiplied in, then the reduction;
* a schedule needs no base: it is a callable of the step, and Keras gave it an int64 tensor
  where torch's ``LambdaLR`` gives an int, so ``__call__`` first makes the step a tensor.

Everything here is libcst; no framework is imported.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import libcst as cst

from migrate.rules.base import CannotMigrate, Rule, RuleContext, code_of, dotted_name, literal_or, NOT_LITERAL
from migrate.rules.keras_custom_layers import bind_add_weight, is_docstring

# ---------------------------------------------------------------------------------------
# The base classes written into the migrated file. ``torch.``, ``nn.`` and ``re.`` are
# respelled to however the file imports them.

_KERAS_METRIC = '''
class KerasMetric:
    """What `keras.metrics.Metric` does for a subclass, written by `migrate convert`: the
    state tensors made by `add_weight` (not trainable), `reset_state` setting every one back to
    zero as Keras's does, and a call that is `update_state` then `result()`. State tensors are
    updated in place (`add_`, `copy_`), so they stay the tensors `variables` lists. Metrics
    held as attributes are part of the state, as Keras tracks them."""

    def __init__(self, name=None, dtype=None):
        # Keras's default name: the class name in snake case.
        self.name = name or re.sub(r"([a-z])([A-Z])", r"\\1_\\2", re.sub(r"(.)([A-Z][a-z]+)", r"\\1_\\2", type(self).__name__)).lower()
        self.dtype = getattr(torch, dtype) if isinstance(dtype, str) else (dtype or torch.float32)
        self._variables = []

    def add_weight(self, name=None, shape=(), initializer="zeros", dtype=None):
        """A state tensor of `shape` holding the initializer's value ("zeros", "ones" or a number)."""
        fill = {"zeros": 0, "ones": 1}.get(initializer, initializer)
        if not isinstance(fill, (int, float)):
            raise ValueError(f"initializer {initializer!r}: only zeros, ones and constants are migrated")
        dtype = getattr(torch, dtype) if isinstance(dtype, str) else (dtype or torch.float32)
        variable = torch.full(tuple(shape), fill, dtype=dtype)
        self._variables.append(variable)
        return variable

    add_variable = add_weight  # Keras 3's name

    def _held_metrics(self):
        for value in vars(self).values():
            for item in value if isinstance(value, (list, tuple)) else (value,):
                if item is not self and callable(getattr(item, "update_state", None)) and callable(getattr(item, "reset_state", None)):
                    yield item

    @property
    def variables(self):
        """The state tensors: the metric's own, then those of the metrics it holds."""
        held = [v for metric in self._held_metrics() if isinstance(metric, KerasMetric) for v in metric.variables]
        return [*self._variables, *held]

    def reset_state(self):
        if type(self).reset_states is not KerasMetric.reset_states:
            return self.reset_states()  # tf.keras: a subclass that overrides the old name
        with torch.no_grad():
            for variable in self.variables:
                variable.zero_()
        for metric in self._held_metrics():
            if not isinstance(metric, KerasMetric):
                metric.reset_state()  # a migrated built-in metric (RunningMean, ...): its state is zero after it

    def reset_states(self):  # tf.keras's name
        return self.reset_state()

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": str(self.dtype).replace("torch.", "")}
'''

_KERAS_LOSS = '''
class KerasLoss(nn.Module):
    """What `keras.losses.Loss.__call__` does for a subclass, written by `migrate convert`:
    `y_true` and `y_pred` cast to the loss's dtype, the subclass's `call` gives the
    per-example losses, `sample_weight` (brought to their rank as Keras does) multiplies them,
    then the reduction: "sum_over_batch_size" (Keras's default, and "mean") divides the sum by
    the number of values, "sum" is the sum, "mean_with_sample_weight" divides by the sum of
    the weights, "none" or None keeps the values."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        super().__init__()
        if reduction not in ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None):
            raise ValueError(f"Invalid value for argument `reduction`: {reduction!r}")
        # Keras's default name: the class name in snake case.
        self.name = name or re.sub(r"([a-z])([A-Z])", r"\\1_\\2", re.sub(r"(.)([A-Z][a-z]+)", r"\\1_\\2", type(self).__name__)).lower()
        self.reduction = reduction
        self.dtype = getattr(torch, dtype) if isinstance(dtype, str) else (dtype or torch.float32)

    def forward(self, y_true, y_pred, sample_weight=None):
        y_pred = torch.as_tensor(y_pred, dtype=self.dtype)
        y_true = torch.as_tensor(y_true, dtype=self.dtype, device=y_pred.device)
        losses = torch.as_tensor(self.call(y_true, y_pred), dtype=self.dtype)
        if sample_weight is not None:
            sample_weight = torch.as_tensor(sample_weight, dtype=self.dtype, device=losses.device)
            # Keras's squeeze_or_expand_to_same_rank: ranks one apart meet at a last axis of 1.
            if losses.dim() == sample_weight.dim() + 1 and losses.shape[-1] == 1:
                if sample_weight.dim() == 1:
                    sample_weight = sample_weight.unsqueeze(-1)
                else:
                    losses = losses.squeeze(-1)
            elif sample_weight.dim() == losses.dim() + 1 and sample_weight.shape[-1] == 1:
                if losses.dim() == 1:
                    losses = losses.unsqueeze(-1)
                else:
                    sample_weight = sample_weight.squeeze(-1)
            losses = losses * sample_weight
        if self.reduction in (None, "none") or losses.dim() == 0 or tuple(losses.shape) == (0,):
            return losses
        total = losses.sum()
        if self.reduction == "sum":
            return total
        if self.reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = sample_weight.sum()
        else:
            divisor = torch.tensor(float(losses.numel()), dtype=total.dtype, device=total.device)
        return torch.where(divisor != 0, total / divisor, torch.zeros_like(total))  # divide_no_nan

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}
'''


def _spelled(template: str, ctx: RuleContext) -> list[cst.BaseStatement]:
    """``template`` parsed, with ``torch``, ``nn`` and ``re`` spelled as the file imports them."""
    torch = code_of(ctx.name("torch.as_tensor")).rsplit(".", 1)[0]
    text = re.sub(r"(?<![\w.])torch\.", torch + ".", template.lstrip("\n"))
    if "nn.Module" in text:
        nn = code_of(ctx.name("torch.nn.Module")).rsplit(".", 1)[0]
        text = re.sub(r"(?<![\w.])nn\.", nn + ".", text)
    regex = code_of(ctx.name("re.sub")).rsplit(".", 1)[0]
    text = re.sub(r"(?<![\w.])re\.sub\(", regex + ".sub(", text)
    return list(cst.parse_module(text).body)


# ---------------------------------------------------------------------------------------
# Shared pieces of the class rewrites.


def _is_self_call(node: cst.CSTNode, *methods: str) -> bool:
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and isinstance(node.func.value, cst.Name)
        and node.func.value.value == "self"
        and node.func.attr.value in methods
    )


def _is_super_init(node: cst.CSTNode) -> bool:
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "__init__"
        and isinstance(node.func.value, cst.Call)
        and isinstance(node.func.value.func, cst.Name)
        and node.func.value.func.value == "super"
    )


def _find(node: cst.CSTNode, predicate: Any) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []

    class Finder(cst.CSTVisitor):
        def on_visit(self, current: cst.CSTNode) -> bool:
            if predicate(current):
                found.append(current)
            return True

    node.visit(Finder())
    return found


def _check_super_init(body: cst.CSTNode, keywords: Sequence[str], base: str, ctx: RuleContext) -> None:
    """``super().__init__(...)`` passes the base's arguments by keyword: Keras 3 and tf.keras
    order them differently, so a positional one cannot be placed."""
    for call in _find(body, _is_super_init):
        assert isinstance(call, cst.Call)
        for arg in call.args:
            if arg.star:
                continue
            if arg.keyword is None:
                raise CannotMigrate(
                    f"`super().__init__({ctx.source(arg.value)}, ...)` passes an argument by position, and "
                    f"Keras 3 and tf.keras order the {base} arguments differently: pass "
                    + "/".join(f"`{k}=`" for k in keywords) + " by keyword"
                )
            if arg.keyword.value not in keywords:
                raise CannotMigrate(f"`super().__init__({arg.keyword.value}=...)`: the {base} base takes only {', '.join(keywords)}")


def _rebased(node: cst.ClassDef, qualified: str, new_base: cst.BaseExpression | None) -> cst.ClassDef:
    """The class with its Keras base replaced by ``new_base`` (dropped when None)."""
    tail = qualified.rsplit(".", 1)[1]
    bases = list(node.bases)
    for i, arg in enumerate(bases):
        if not arg.keyword and dotted_name(arg.value).rsplit(".", 1)[-1] == tail:
            if new_base is not None:
                bases[i] = arg.with_changes(value=new_base)
            else:
                del bases[i]
                if bases and i == len(bases):
                    bases[-1] = bases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            break
    else:
        raise CannotMigrate(f"the `{tail}` base of the class could not be found")
    if not bases and not node.keywords:
        return node.with_changes(bases=[], lpar=cst.MaybeSentinel.DEFAULT, rpar=cst.MaybeSentinel.DEFAULT)
    return node.with_changes(bases=bases)


def _indented(node: cst.ClassDef) -> cst.IndentedBlock:
    if not isinstance(node.body, cst.IndentedBlock):
        raise CannotMigrate("a one-line class body; write it as a block first")
    return node.body


# ---------------------------------------------------------------------------------------
# Metrics: add_weight read, assign/assign_add/assign_sub made in-place updates.

# Keras 3: add_weight(shape=(), initializer=None, dtype=None, name=None) and add_variable(shape,
# initializer, dtype=None, aggregation="sum", name=None); tf.keras: add_weight(name, shape=(),
# aggregation=SUM, synchronization=ON_READ, initializer=None, dtype=None).
_KERAS3_ADD_WEIGHT = ("shape", "initializer", "dtype", "name")
_KERAS3_ADD_VARIABLE = ("shape", "initializer", "dtype", "aggregation", "name")
_KERAS2_ADD_WEIGHT = ("name", "shape", "aggregation", "synchronization", "initializer", "dtype")
# Where the variable lives and how replicas combine it: nothing a torch tensor holds.
_PLACEMENT = {"aggregation", "synchronization"}
_INITIALIZER_NAMES = {"zeros": "zeros", "zero": "zeros", "ones": "ones", "one": "ones"}


def _bind_add_weight(call: cst.Call, ctx: RuleContext) -> dict[str, cst.BaseExpression]:
    method = call.func.attr.value  # type: ignore[attr-defined]
    keras3 = _KERAS3_ADD_VARIABLE if method == "add_variable" else _KERAS3_ADD_WEIGHT
    bound = bind_add_weight(call, keras3, _KERAS2_ADD_WEIGHT, ctx)
    unknown = set(bound) - {"name", "shape", "initializer", "dtype"} - _PLACEMENT
    if unknown:
        raise CannotMigrate(f"`{method}({sorted(unknown)[0]}=...)` of a metric is not migrated")
    return bound


def _initializer(node: cst.BaseExpression | None, ctx: RuleContext) -> cst.BaseExpression:
    """The initializer as ``KerasMetric.add_weight`` takes it: "zeros", "ones" or a number."""
    if node is None:
        raise CannotMigrate(
            "a metric variable without `initializer=`: Keras 3 refuses it and tf.keras draws it from "
            "glorot_uniform; write the initializer"
        )
    value = literal_or(node, None)
    if isinstance(value, str):
        key = re.sub(r"[_\s]", "", value).lower()
        if key not in _INITIALIZER_NAMES:
            raise CannotMigrate(f"initializer {value!r} of a metric variable: only zeros, ones and constants are migrated")
        return cst.SimpleString(f'"{_INITIALIZER_NAMES[key]}"')
    if isinstance(node, cst.Call):
        tail = dotted_name(node.func).rsplit(".", 1)[-1]
        if tail in ("Zeros", "Ones") and not node.args:
            return cst.SimpleString(f'"{tail.lower()}"')
        if tail == "Constant":
            args = node.args
            if len(args) == 1 and not args[0].star and (args[0].keyword is None or args[0].keyword.value == "value"):
                return args[0].value
    if value is not NOT_LITERAL and isinstance(value, (int, float)) and not isinstance(value, bool):
        return node
    raise CannotMigrate(f"`initializer={ctx.source(node)}` of a metric variable: only zeros, ones and constants are migrated")


class _AddWeights(cst.CSTTransformer):
    """``self.add_weight(...)`` / ``self.add_variable(...)`` → ``self.add_weight(name=...,
    shape=..., initializer=..., dtype=...)``, keywords in Keras's words, placement dropped."""

    def __init__(self, ctx: RuleContext):
        super().__init__()
        self.ctx = ctx
        self.count = 0

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if not _is_self_call(updated_node, "add_weight", "add_variable"):
            return updated_node
        bound = _bind_add_weight(updated_node, self.ctx)
        bound["initializer"] = _initializer(bound.get("initializer"), self.ctx)
        # The nodes the engine knows (this walk copies them): TODOs left in what is rebuilt or
        # dropped (`keras.initializers.Zeros()`, `tf.VariableAggregation.SUM`) no longer apply.
        original = _bind_add_weight(original_node, self.ctx)
        for key in ("initializer", *_PLACEMENT):
            if key in original:
                self.ctx.consume(original[key])
        for key in _PLACEMENT:
            bound.pop(key, None)
        self.count += 1
        args = [
            cst.Arg(bound[key], keyword=cst.Name(key), equal=_EQUAL)
            for key in ("name", "shape", "initializer", "dtype") if key in bound
        ]
        for i in range(len(args) - 1):
            args[i] = args[i].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        func = updated_node.func.with_changes(attr=cst.Name("add_weight"))  # type: ignore[attr-defined]
        return updated_node.with_changes(func=func, args=args)


_EQUAL = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
_UPDATES = {"assign": "copy_", "assign_add": "add_", "assign_sub": "sub_"}
_UPDATE_EXTRAS = ("use_locking", "name", "read_value")  # torch's in-place ops need none of them


def _is_update(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _UPDATES


class _InPlaceUpdates(cst.CSTTransformer):
    """Statements ``v.assign_add(x)`` → ``v.add_(x)`` (``assign`` → ``copy_``, ``assign_sub``
    → ``sub_``), consecutive ones under one ``with torch.no_grad():``: the state is not part of
    any gradient, and an update from predictions that require one must not tie the state to
    their graph."""

    def __init__(self, ctx: RuleContext):
        super().__init__()
        self.ctx = ctx

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        body: list[cst.BaseStatement] = []
        group: list[cst.SimpleStatementLine] = []
        for statement in [*updated_node.body, None]:
            update = self._update(statement) if statement is not None else None
            if update is not None:
                group.append(update)
                continue
            if group:
                body.append(self._no_grad(group))
                group = []
            if statement is not None:
                body.append(statement)
        return updated_node.with_changes(body=body)

    def _update(self, statement: cst.BaseStatement) -> cst.SimpleStatementLine | None:
        """``v.add_(x)`` for a statement ``v.assign_add(x)``; None for any other statement."""
        if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 and isinstance(statement.body[0], cst.Expr)):
            return None
        call = statement.body[0].value
        if not _is_update(call):
            return None
        assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
        kept = [a for a in call.args if not (a.keyword and a.keyword.value in _UPDATE_EXTRAS)]
        if len(kept) != 1 or kept[0].star or (kept[0].keyword and kept[0].keyword.value != "value"):
            raise CannotMigrate(f"`{call.func.attr.value}` takes the new value (and `use_locking`/`name`, which torch does not need)")
        value = kept[0].value
        if isinstance(value, (cst.Integer, cst.Float, cst.UnaryOperation, cst.List, cst.Tuple)):
            value = cst.Call(self.ctx.name("torch.as_tensor"), [cst.Arg(value)])  # in-place ops take tensors
        update = cst.Call(cst.Attribute(call.func.value, cst.Name(_UPDATES[call.func.attr.value])), [cst.Arg(value)])
        return statement.with_changes(body=[cst.Expr(update)])

    def _no_grad(self, group: list[cst.SimpleStatementLine]) -> cst.With:
        no_grad = code_of(self.ctx.name("torch.no_grad"))
        statement = cst.parse_statement(f"with {no_grad}():\n    pass\n")
        assert isinstance(statement, cst.With) and isinstance(statement.body, cst.IndentedBlock)
        # The first update's comments go above the `with`; the others' stay with their lines.
        leading = group[0].leading_lines
        group[0] = group[0].with_changes(leading_lines=[])
        return statement.with_changes(leading_lines=leading, body=statement.body.with_changes(body=group))


class CustomMetric(Rule):
    id = "custom_objects.metric"
    names = ("keras.metrics.Metric",)
    summary = (
        "`class F1(keras.metrics.Metric)` → `class F1(KerasMetric)`, a small base written into the file "
        "with Keras's `add_weight`, `reset_state`, `reset_states` and call; `v.assign_add(x)` → in-place `v.add_(x)`."
    )
    why = (
        "A Keras metric subclass keeps its state in variables made by `self.add_weight(...)`, "
        "changes them with `assign`/`assign_add`/`assign_sub` in `update_state`, and relies on the "
        "base for the rest: `reset_state` (every variable back to zero — Keras resets to zeros, "
        "not to the initializer), calling the metric (`update_state` then `result()`), `name` (the "
        "class name in snake case by default) and `dtype` (float32). torch has no metric class, so "
        "the rewrite writes one small base, `KerasMetric`, into the file with exactly those methods "
        "— the interface of the stateful metric classes the `metrics.metric` rule writes — and the "
        "subclass keeps its body. `add_weight` arguments are written as keywords (tf.keras takes the "
        "name first, Keras 3 the shape; `aggregation`/`synchronization` only place the variable "
        "across replicas and go); the state is a plain tensor made from the initializer (zeros, "
        "ones or a constant; others are a TODO), never trainable. Updates become in-place tensor "
        "ops under `torch.no_grad()` (`assign` → `copy_`, `assign_add` → `add_`, `assign_sub` → "
        "`sub_`), so the state never joins the model's autograd graph and stays the tensor "
        "`variables` lists; an update whose return value is used is a TODO. `super().__init__` "
        "must pass `name=`/`dtype=` by keyword (Keras 3 and tf.keras order them differently). "
        "Keras's unique-name suffixes (`f1_1`) and its tracking of metrics nested in a metric are not carried."
    )
    example = (
        "import tensorflow as tf\n\n\n"
        "class BinaryTruePositives(tf.keras.metrics.Metric):\n"
        "    def __init__(self, name=\"binary_true_positives\", **kwargs):\n"
        "        super().__init__(name=name, **kwargs)\n"
        "        self.true_positives = self.add_weight(name=\"tp\", initializer=\"zeros\")\n\n"
        "    def update_state(self, y_true, y_pred, sample_weight=None):\n"
        "        values = tf.cast(tf.logical_and(tf.cast(y_true, tf.bool), tf.cast(y_pred, tf.bool)), self.dtype)\n"
        "        if sample_weight is not None:\n"
        "            values = values * tf.cast(sample_weight, self.dtype)\n"
        "        self.true_positives.assign_add(tf.reduce_sum(values))\n\n"
        "    def result(self):\n"
        "        return self.true_positives\n"
    )

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        raise CannotMigrate(
            "`keras.metrics.Metric` as a type: migrated metrics are plain classes with Keras's methods "
            "(`update_state`, `result`, `reset_state`) and share no base; annotate with the class used, "
            "and test `hasattr(m, \"update_state\")` rather than `isinstance`"
        )

    def rewrite_class(self, node: cst.ClassDef, qualified: str, ctx: RuleContext) -> cst.ClassDef:
        body = _indented(node)
        _check_super_init(body, ("name", "dtype"), "Metric", ctx)
        body = body.visit(_AddWeights(ctx))  # type: ignore[assignment]
        body = body.visit(_InPlaceUpdates(ctx))  # type: ignore[assignment]
        left = _find(body, _is_update)
        if left:
            method = left[0].func.attr.value  # type: ignore[attr-defined]
            raise CannotMigrate(
                f"`{method}` that is not a statement of its own line (its result used, or on one line "
                "with an `if`): in torch the in-place update is a statement"
            )
        ctx.add_definition(_spelled(_KERAS_METRIC, ctx))
        return _rebased(node, qualified, cst.Name("KerasMetric")).with_changes(body=body)


# ---------------------------------------------------------------------------------------
# Losses.


class CustomLoss(Rule):
    id = "custom_objects.loss"
    names = ("keras.losses.Loss",)
    summary = (
        "`class FocalLoss(keras.losses.Loss)` with `call(y_true, y_pred)` → `class FocalLoss(KerasLoss)`, an "
        "`nn.Module` base written into the file with Keras's cast, `sample_weight` and reductions."
    )
    why = (
        "A Keras loss subclass writes only `call(y_true, y_pred)`, the per-example losses; the "
        "base's `__call__(y_true, y_pred, sample_weight=None)` does the rest, and the subclass's "
        "users (`fit`, a custom loop) call that. The rewrite writes one `nn.Module` base, "
        "`KerasLoss`, into the file doing what Keras's does, in order: `y_true` and `y_pred` "
        "converted to the loss's dtype (float32 by default — integer labels too, as Keras 3 "
        "does), `call`, `sample_weight` brought to the losses' rank (a trailing axis of 1 added "
        "or dropped, Keras's `squeeze_or_expand_to_same_rank`) and multiplied in, then the "
        "reduction: `\"sum_over_batch_size\"` (the default; `\"mean\"` is the same) is the sum "
        "divided by the number of values — not by the sum of the weights —, `\"sum\"` the sum, "
        "`\"mean_with_sample_weight\"` the sum divided by the sum of the weights, `\"none\"`/None "
        "the values; a zero divisor gives 0 (divide_no_nan). `forward` is that `__call__`, so "
        "`loss(y_true, y_pred, sample_weight=w)` keeps working and `.backward()` flows through "
        "`call`. `super().__init__` must pass `name=`/`reduction=`/`dtype=` by keyword (tf.keras "
        "takes `reduction` first, Keras 3 `name`); tf.keras's `Reduction.AUTO` is "
        "`sum_over_batch_size` outside a distribution strategy. Not carried: Keras masks on "
        "`y_pred` (torch tensors have none) and the division by the replica count under "
        "`tf.distribute`."
    )
    example = (
        "import tensorflow as tf\n\n\n"
        "class FocalLoss(tf.keras.losses.Loss):\n"
        "    def __init__(self, gamma=2.0, name=\"focal_loss\", reduction=\"sum_over_batch_size\"):\n"
        "        super().__init__(name=name, reduction=reduction)\n"
        "        self.gamma = gamma\n\n"
        "    def call(self, y_true, y_pred):\n"
        "        y_pred = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)\n"
        "        p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)\n"
        "        return tf.reduce_mean(-tf.pow(1.0 - p_t, self.gamma) * tf.math.log(p_t), axis=-1)\n"
    )

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        raise CannotMigrate(
            "`keras.losses.Loss` as a type: a migrated Keras loss is a function of `(y_true, y_pred)` or, "
            "for a subclass, a `KerasLoss` module; both are callables, which is what a check can test"
        )

    def rewrite_class(self, node: cst.ClassDef, qualified: str, ctx: RuleContext) -> cst.ClassDef:
        body = _indented(node)
        _check_super_init(body, ("name", "reduction", "dtype"), "Loss", ctx)
        methods = {s.name.value for s in body.body if isinstance(s, cst.FunctionDef)}
        if "call" not in methods and "__call__" not in methods:
            raise CannotMigrate("the loss defines no `call(y_true, y_pred)` to compute the per-example losses from")
        ctx.add_definition(_spelled(_KERAS_LOSS, ctx))
        return _rebased(node, qualified, cst.Name("KerasLoss"))


# ---------------------------------------------------------------------------------------
# Learning-rate schedules.


class CustomSchedule(Rule):
    id = "custom_objects.schedule"
    names = ("keras.optimizers.schedules.LearningRateSchedule",)
    summary = (
        "`class Warmup(keras.optimizers.schedules.LearningRateSchedule)` → a plain callable class; "
        "`__call__` first makes the step a tensor, as Keras passed it."
    )
    why = (
        "A Keras schedule is a callable of the optimiser's step count: the base class adds "
        "nothing but `get_config`/`from_config`, so the class loses its base and keeps its body "
        "(the ops inside are migrated by their own rules). Keras calls it with the step as an "
        "int64 tensor; torch's `LambdaLR` (and a hand-written loop) passes a Python int, on which "
        "`step.to(torch.float32)` — the migrated `tf.cast(step, tf.float32)` — would fail, so "
        "`__call__` starts with `step = torch.as_tensor(step)`. The value is a 0-d tensor, as "
        "Keras's is; `float(schedule(step))` is the rate. An optimiser built with "
        "`learning_rate=schedule` trains with `lr=1.0` and "
        "`LambdaLR(optimizer, lr_lambda=schedule)` stepped after every batch (the "
        "`optimizers.optimizer` rule), which makes the rate at step k the schedule's value at k. "
        "`get_config` stays a plain method; `from_config` of the base is not written "
        "(`Warmup(**config)` builds the same object)."
    )
    example = (
        "import tensorflow as tf\n\n\n"
        "class Warmup(tf.keras.optimizers.schedules.LearningRateSchedule):\n"
        "    def __init__(self, peak, warmup_steps):\n"
        "        self.peak = peak\n"
        "        self.warmup_steps = warmup_steps\n\n"
        "    def __call__(self, step):\n"
        "        step = tf.cast(step, tf.float32)\n"
        "        warm = self.peak * (step + 1.0) / self.warmup_steps\n"
        "        decay = self.peak * tf.math.rsqrt((step + 1.0) / self.warmup_steps)\n"
        "        return tf.minimum(warm, decay)\n\n"
        "    def get_config(self):\n"
        "        return {\"peak\": self.peak, \"warmup_steps\": self.warmup_steps}\n"
    )

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        raise CannotMigrate(
            "`LearningRateSchedule` as a type: a migrated schedule is any callable of the step "
            "(a `lambda step: ...` or a class with `__call__`); test `callable(lr)` rather than `isinstance`"
        )

    def rewrite_class(self, node: cst.ClassDef, qualified: str, ctx: RuleContext) -> cst.ClassDef:
        body = _indented(node)
        statements = list(body.body)
        for i, statement in enumerate(statements):
            if isinstance(statement, cst.FunctionDef) and statement.name.value == "__call__":
                statements[i] = _tensor_step(statement, ctx)
                break
        else:
            raise CannotMigrate("the schedule defines no `__call__(self, step)`")
        _check_super_init(body, (), "LearningRateSchedule", ctx)
        return _rebased(node, qualified, None).with_changes(body=body.with_changes(body=statements))


def _tensor_step(function: cst.FunctionDef, ctx: RuleContext) -> cst.FunctionDef:
    params = [p for p in function.params.params if p.name.value != "self"]
    if len(params) != 1 or not isinstance(function.body, cst.IndentedBlock):
        raise CannotMigrate("`__call__` takes one argument, the step, and is a block")
    step = params[0].name.value
    body = list(function.body.body)
    uses = _find(function.body, lambda n: isinstance(n, cst.Name) and n.value == step)
    if not uses:
        return function
    line = cst.parse_statement(
        f"{step} = {code_of(ctx.name('torch.as_tensor'))}({step})  # Keras passed the step as an int64 tensor\n"
    )
    at = 1 if body and is_docstring(body[0]) else 0
    if at < len(body):  # comments above the first line stay above it
        line = line.with_changes(leading_lines=body[at].leading_lines)
        body[at] = body[at].with_changes(leading_lines=[])
    body.insert(at, line)
    return function.with_changes(body=function.body.with_changes(body=body))


RULES: list[Rule] = [CustomMetric(), CustomLoss(), CustomSchedule()]
