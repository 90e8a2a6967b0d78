"""``keras.optimizers``: optimisers and learning-rate schedules.

An optimiser becomes the ``torch.optim`` class that does the same update, with every Keras
default written out (Keras and torch disagree on most of them: SGD's learning rate, Adam's
epsilon, RMSprop's ``rho``/``alpha``, Adagrad's initial accumulator, Adadelta's learning rate).
What Keras does inside ``apply_gradients`` and torch leaves to the training loop — gradient
clipping (``clipnorm`` per variable, ``global_clipnorm``, ``clipvalue``), decoupled weight decay
for the optimisers whose torch class only has L2 decay, and the learning-rate schedule stepped
once per batch — is an ``OptimizerPlan`` that the training-loop rules
(``rules/keras_training.py``, ``rules/tf_autodiff.py``) turn into statements around
``optimizer.step()``.

A schedule (``keras.optimizers.schedules.ExponentialDecay(...)``) becomes a function of the
step written out in Python — the Keras formula, exactly — because a Keras schedule *is* a
callable of the step; an optimiser that takes it is built with ``lr=1.0`` and a
``torch.optim.lr_scheduler.LambdaLR`` whose factor is that function, so the rate at step k is
the Keras rate at step k.

Builders other rules call: ``torch_optimizer(node, params, ctx) -> OptimizerPlan``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping, Sequence

import libcst as cst

from migrate.rules.base import (
    CannotMigrate,
    NotLiteral,
    Param,
    Rule,
    RuleContext,
    literal,
    parse_signature,
    to_node,
)

# ---------------------------------------------------------------------------------------
# The plan a training loop carries out.


@dataclass(frozen=True)
class OptimizerPlan:
    """How one Keras optimiser trains under torch.

    ``optimizer`` constructs the torch optimiser over the parameters passed to the builder
    (or, when ``built`` is true, is the name of one the file already constructs: ``opt``).
    The training step does, in this order (as Keras's ``apply_gradients`` does)::

        loss.backward()
        <plan.before_step(optimizer, params, ctx)>   # clipping, decoupled weight decay
        optimizer.step()
        <plan.after_step(scheduler)>                # scheduler.step() when there is a schedule
    """

    optimizer: cst.BaseExpression
    #: The Keras optimiser's class name (``"Adam"``), for messages and notes.
    keras: str = ""
    #: True when ``optimizer`` names an optimiser the file constructs already.
    built: bool = False
    #: A function of the step giving the learning rate (a rewritten Keras schedule), or None
    #: for a constant rate. With one, the torch optimiser is built with ``lr=1.0``.
    schedule: cst.BaseExpression | None = None
    #: The name of the ``LambdaLR`` the file already constructs for a built optimiser.
    scheduler_name: cst.BaseExpression | None = None
    #: Keras ``clipnorm``: each gradient clipped to this L2 norm on its own.
    clipnorm: cst.BaseExpression | None = None
    #: Keras ``global_clipnorm``: all gradients scaled together.
    global_clipnorm: cst.BaseExpression | None = None
    #: Keras ``clipvalue``: each element clipped to [-v, v].
    clipvalue: cst.BaseExpression | None = None
    #: Keras's decoupled weight decay, for a torch optimiser that only has L2 decay:
    #: ``p -= lr * weight_decay * p`` before the update.
    weight_decay: cst.BaseExpression | None = None
    #: Sentences for the user (``# Keras adds epsilon ...``), one comment line each.
    notes: tuple[str, ...] = ()

    def scheduler(self, optimizer: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression | None:
        """``torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=schedule)``, to be stepped
        after every ``optimizer.step()``; None without a schedule (or when the file builds
        it already: ``scheduler_name``)."""
        if self.schedule is None or self.scheduler_name is not None:
            return None
        return _call(ctx.name("torch.optim.lr_scheduler.LambdaLR"), optimizer, lr_lambda=self.schedule)

    def before_step(
        self, optimizer: cst.BaseExpression, params: cst.BaseExpression, ctx: RuleContext
    ) -> list[cst.BaseStatement]:
        """Statements between ``loss.backward()`` and ``optimizer.step()``: Keras clips the
        gradients (one of clipnorm, global_clipnorm, clipvalue, in that priority, as Keras
        does) and then applies decoupled weight decay. ``params`` must be an expression that
        can be evaluated more than once (``model.parameters()``)."""
        code = _Code(ctx)
        out: list[str] = []
        if self.clipnorm is not None:
            out.append(
                f"for p in {code(params)}:\n"
                f"    {code(ctx.name('torch.nn.utils.clip_grad_norm_'))}(p, max_norm={code(self.clipnorm)})  # Keras clipnorm: per variable\n"
            )
        elif self.global_clipnorm is not None:
            out.append(f"{code(ctx.name('torch.nn.utils.clip_grad_norm_'))}({code(params)}, max_norm={code(self.global_clipnorm)})\n")
        elif self.clipvalue is not None:
            out.append(f"{code(ctx.name('torch.nn.utils.clip_grad_value_'))}({code(params)}, clip_value={code(self.clipvalue)})\n")
        if self.weight_decay is not None:
            out.append(
                f"with {code(ctx.name('torch.no_grad'))}():  # Keras's decoupled weight decay, before the update\n"
                f"    for p in {code(params)}:\n"
                f"        p.mul_(1 - {code(optimizer)}.param_groups[0][\"lr\"] * {code(self.weight_decay)})\n"
            )
        return [s for text in out for s in cst.parse_module(text).body]

    def after_step(self, scheduler: cst.BaseExpression | None = None) -> list[cst.BaseStatement]:
        """``scheduler.step()`` after every batch (Keras schedules count optimiser steps)."""
        target = scheduler if scheduler is not None else self.scheduler_name
        if self.schedule is None or target is None:
            return []
        return [cst.SimpleStatementLine([cst.Expr(cst.Call(cst.Attribute(target, cst.Name("step"))))])]


class _Code:
    """Source text of nodes, to write statements as text and parse them back."""

    def __init__(self, ctx: RuleContext):
        self.module = cst.Module([])

    def __call__(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)


def _call(func: cst.BaseExpression, *args: Any, **kwargs: Any) -> cst.Call:
    from migrate.rules.tf_nn import call

    return call(func, *args, **kwargs)


# ---------------------------------------------------------------------------------------
# The table: each Keras optimiser, its torch class, and the arguments that make it Keras's.

#: Keras arguments every optimiser takes (base_optimizer.BaseOptimizer.__init__).
_COMMON = (
    "weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, "
    "ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None, "
    "gradient_accumulation_steps=None, name=None"
)

Values = Mapping[str, cst.BaseExpression]


@dataclass(frozen=True)
class OptimizerSpec:
    keras: str  # class name under keras.optimizers
    torch: str
    signature: str  # Keras's own arguments (before _COMMON), with Keras's defaults
    #: Keras values → torch keyword arguments (every value the update depends on, written out).
    kwargs: Callable[[Values], dict[str, Any]]
    #: How torch applies Keras's (decoupled) weight decay: "arg" (the class does it as Keras
    #: does when given these kwargs), or "explicit" (a statement before the step).
    decay: str = "explicit"
    decay_kwargs: Mapping[str, Any] = field(default_factory=dict)
    #: Keras arguments only migrated at these literal values (with why).
    only: Mapping[str, tuple[tuple[Any, ...], str]] = field(default_factory=dict)
    #: A sentence written beside the rewrite: where the maths cannot be the same.
    note: str = ""

    @property
    def params(self) -> tuple[Param, ...]:
        own = parse_signature(self.signature)
        names = {p.name for p in own}
        return own + tuple(p for p in parse_signature(_COMMON) if p.name not in names)

    #: torch keyword arguments left out when their literal value is torch's default too
    #: (``amsgrad=False``): only values that differ are worth a reader's attention.
    torch_defaults: ClassVar[Mapping[str, Any]] = {
        "momentum": 0.0, "nesterov": False, "amsgrad": False, "centered": False,
    }


def _betas(v: Values) -> cst.Tuple:
    return cst.Tuple([cst.Element(v["beta_1"], comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), cst.Element(v["beta_2"])])


_EPS_NOTE = (
    "Keras adds epsilon to sqrt(v) before bias correction, torch after: the first steps "
    "differ by about epsilon/sqrt(1 - beta_2**t) in the denominator"
)

SPECS: dict[str, OptimizerSpec] = {
    s.keras: s
    for s in [
        OptimizerSpec(
            "SGD",
            "torch.optim.SGD",
            "learning_rate=0.01, momentum=0.0, nesterov=False",
            lambda v: {"lr": v["learning_rate"], "momentum": v["momentum"], "nesterov": v["nesterov"]},
            note="",
        ),
        OptimizerSpec(
            "Adam",
            "torch.optim.Adam",
            "learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=False",
            lambda v: {"lr": v["learning_rate"], "betas": _betas(v), "eps": v["epsilon"], "amsgrad": v["amsgrad"]},
            decay="arg",
            decay_kwargs={"decoupled_weight_decay": True},
            note=_EPS_NOTE,
        ),
        OptimizerSpec(
            "AdamW",
            "torch.optim.AdamW",
            "learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=False",
            lambda v: {"lr": v["learning_rate"], "betas": _betas(v), "eps": v["epsilon"], "weight_decay": v["weight_decay"], "amsgrad": v["amsgrad"]},
            decay="own",
            note=_EPS_NOTE,
        ),
        OptimizerSpec(
            "RMSprop",
            "torch.optim.RMSprop",
            "learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-07, centered=False",
            lambda v: {"lr": v["learning_rate"], "alpha": v["rho"], "eps": v["epsilon"], "momentum": v["momentum"], "centered": v["centered"]},
            note=(
                "Keras divides by sqrt(v + epsilon), torch by sqrt(v) + epsilon: the steps "
                "differ where gradients are small (v near epsilon)"
            ),
        ),
        OptimizerSpec(
            "Adagrad",
            "torch.optim.Adagrad",
            "learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-07",
            lambda v: {"lr": v["learning_rate"], "initial_accumulator_value": v["initial_accumulator_value"], "eps": v["epsilon"]},
            note="Keras divides by sqrt(acc + epsilon), torch by sqrt(acc) + epsilon (the accumulator starts at initial_accumulator_value)",
        ),
        OptimizerSpec(
            "Adadelta",
            "torch.optim.Adadelta",
            "learning_rate=0.001, rho=0.95, epsilon=1e-07",
            lambda v: {"lr": v["learning_rate"], "rho": v["rho"], "eps": v["epsilon"]},
        ),
        OptimizerSpec(
            "Adamax",
            "torch.optim.Adamax",
            "learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07",
            lambda v: {"lr": v["learning_rate"], "betas": _betas(v), "eps": v["epsilon"]},
            note="Keras adds epsilon after the running max of |g|, torch before it",
        ),
        OptimizerSpec(
            "Nadam",
            "torch.optim.NAdam",
            "learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07",
            # Keras's momentum schedule is beta_1 * (1 - 0.5 * 0.96**t); torch's is
            # 0.96**(t * momentum_decay), so momentum_decay=1.0 is Keras's.
            lambda v: {"lr": v["learning_rate"], "betas": _betas(v), "eps": v["epsilon"], "momentum_decay": 1.0},
            decay="arg",
            decay_kwargs={"decoupled_weight_decay": True},
        ),
    ]
}

#: ``compile(optimizer="adam")`` strings → class names.
BY_STRING = {name.lower(): name for name in SPECS}


def _unsupported(name: str, value: Any) -> str | None:
    """Why a common Keras argument cannot be migrated at this value (None: it can)."""
    if name == "use_ema" and value is not False:
        return "`use_ema=True` keeps a moving average of the weights: use torch.optim.swa_utils.AveragedModel"
    if name == "loss_scale_factor" and value is not None:
        return "`loss_scale_factor` scales the loss: use torch.amp.GradScaler"
    if name == "gradient_accumulation_steps" and value is not None:
        return "`gradient_accumulation_steps` needs the training loop to accumulate gradients"
    return None


# ---------------------------------------------------------------------------------------
# Finding the parameters an optimiser updates, and what a name refers to.


def _dotted(node: cst.CSTNode | None) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr.value}" if inner else ""
    return ""


def as_parameters(vars_expr: cst.BaseExpression) -> cst.BaseExpression:
    """The torch parameters for a Keras variable list: ``model.trainable_variables`` →
    ``model.parameters()``; ``a.trainable_weights + b.trainable_weights`` →
    ``[*a.parameters(), *b.parameters()]``; anything else as it is (a list the rewrite of its
    own definition turns into tensors)."""
    if isinstance(vars_expr, cst.Attribute) and vars_expr.attr.value in (
        "trainable_variables", "trainable_weights", "variables", "weights",
    ):
        return cst.Call(cst.Attribute(vars_expr.value, cst.Name("parameters")))
    if isinstance(vars_expr, cst.BinaryOperation) and isinstance(vars_expr.operator, cst.Add):
        parts = [vars_expr.left, vars_expr.right]
        flat: list[cst.BaseExpression] = []
        while parts:
            part = parts.pop(0)
            if isinstance(part, cst.BinaryOperation) and isinstance(part.operator, cst.Add):
                parts[:0] = [part.left, part.right]
            else:
                flat.append(part)
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        elements = [cst.StarredElement(as_parameters(p), comma=comma) for p in flat]
        elements[-1] = elements[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return cst.List(elements)
    return vars_expr


class _Uses(cst.CSTVisitor):
    """Where an optimiser named ``target`` is used: the parameters it updates."""

    def __init__(self, target: str):
        self.target = target
        self.params: cst.BaseExpression | None = None

    def visit_Call(self, node: cst.Call) -> None:
        if self.params is not None or not isinstance(node.func, cst.Attribute):
            return
        method = node.func.attr.value
        receiver = _dotted(node.func.value)
        if method == "compile" and receiver:
            for arg in node.args:
                if arg.keyword and arg.keyword.value == "optimizer" and _dotted(arg.value) == self.target:
                    self.params = cst.Call(cst.Attribute(node.func.value, cst.Name("parameters")))
            return
        if receiver != self.target:
            return
        if method == "apply_gradients" and node.args:
            pairs = node.args[0].value
            if isinstance(pairs, cst.Call) and _dotted(pairs.func) == "zip" and len(pairs.args) == 2:
                self.params = as_parameters(pairs.args[1].value)
        elif method == "minimize":
            for i, arg in enumerate(node.args):
                if (arg.keyword and arg.keyword.value == "var_list") or (arg.keyword is None and i == 1):
                    self.params = as_parameters(arg.value)


def find_parameters(target: str, ctx: RuleContext) -> cst.BaseExpression | None:
    """The parameters the optimiser called ``target`` (``opt``, ``self.opt``) updates, read
    from a later ``compile(optimizer=opt)``, ``opt.apply_gradients(zip(grads, vars))`` or
    ``opt.minimize(loss, var_list)`` in the enclosing function (a ``self.`` attribute: the
    whole file)."""
    for where in ("scope", "module") if not target.startswith("self.") else ("module",):
        getter = getattr(ctx, where, None)
        if getter is None:
            continue
        tree = getter()
        if tree is None:
            continue
        uses = _Uses(target)
        tree.visit(uses)
        if uses.params is not None:
            return uses.params
    return None


class _Assignment(cst.CSTVisitor):
    """The value last assigned to ``target`` (a name or ``self.attr``) before ``limit``."""

    def __init__(self, target: str):
        self.target = target
        self.value: cst.BaseExpression | None = None

    def visit_Assign(self, node: cst.Assign) -> None:
        if any(_dotted(t.target) == self.target for t in node.targets):
            self.value = node.value

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if _dotted(node.target) == self.target and node.value is not None:
            self.value = node.value


def assigned_value(target: str, ctx: RuleContext) -> cst.BaseExpression | None:
    """The (original) value assigned to a name in the enclosing function or the module."""
    for where in ("scope", "module"):
        getter = getattr(ctx, where, None)
        tree = getter() if getter is not None else None
        if tree is None:
            continue
        finder = _Assignment(target)
        tree.visit(finder)
        if finder.value is not None:
            return finder.value
    return None


# ---------------------------------------------------------------------------------------
# The builder.

_OPTIMIZER_TYPE = "keras.optimizers.Optimizer"
_SCHEDULE_TYPE = "keras.optimizers.schedules.LearningRateSchedule"


def _canonical(func: cst.BaseExpression, ctx: RuleContext) -> str | None:
    """The Keras optimiser class a call's function names (``keras.optimizers.Adam``,
    ``tf.keras.optimizers.legacy.Adam``, ``optimizers.Adam``), by its last name."""
    dotted = _dotted(func)
    if not dotted:
        return None
    last = dotted.rsplit(".", 1)[-1]
    return last if last in SPECS and ("optimizers" in dotted or dotted == last) else None


def torch_optimizer(
    node: cst.BaseExpression | str, params: cst.BaseExpression, ctx: RuleContext
) -> OptimizerPlan:
    """The torch optimiser for a Keras one: ``node`` is the Keras constructor call
    (``keras.optimizers.Adam(1e-3, clipnorm=1.0)``), a ``compile`` string (``"adam"``), or the
    name of an optimiser the file constructs (``opt``, ``self.g_opt``: the plan then refers to
    it, ``built=True``). Raises CannotMigrate with the reason a faithful rewrite is not possible.
    """
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        node = value if isinstance(value, str) else ""
    if isinstance(node, str):
        name = BY_STRING.get(node.lower())
        if name is None:
            raise CannotMigrate(f"optimizer {node!r} has no torch optimizer in this table")
        return _plan(SPECS[name], {}, params, ctx)
    if isinstance(node, cst.Call):
        name = _canonical(node.func, ctx)
        if name is None:
            raise CannotMigrate(f"`{ctx.source(node.func)}` is not a Keras optimizer this table knows")
        return _plan(SPECS[name], _bind(SPECS[name], node, ctx), params, ctx)
    target = _dotted(node)
    if target:
        original = assigned_value(target, ctx)
        if isinstance(original, cst.Call) and _canonical(original.func, ctx):
            spec = SPECS[_canonical(original.func, ctx) or ""]
            plan = _plan(spec, _bind(spec, original, ctx), params, ctx)
            scheduler = None
            if plan.schedule is not None:
                scheduler = cst.parse_expression(scheduler_name(target))
            return OptimizerPlan(
                optimizer=node, keras=plan.keras, built=True, schedule=plan.schedule, scheduler_name=scheduler,
                clipnorm=plan.clipnorm, global_clipnorm=plan.global_clipnorm, clipvalue=plan.clipvalue,
                weight_decay=plan.weight_decay, notes=plan.notes,
            )
    raise CannotMigrate(
        f"`{ctx.source(node)}` is not an optimizer constructed in this file: which torch optimizer it is cannot be known"
    )


def scheduler_name(optimizer: str) -> str:
    """The name the rewrite gives the LambdaLR of an optimiser called ``optimizer``."""
    return f"{optimizer}_scheduler"


def _bind(spec: OptimizerSpec, call: cst.Call, ctx: RuleContext) -> dict[str, cst.BaseExpression]:
    params = spec.params
    positional = [p for p in params if not p.keyword_only]
    bound: dict[str, cst.BaseExpression] = {}
    known = {p.name for p in params}
    index = 0
    for arg in call.args:
        if arg.star:
            raise CannotMigrate(f"`{arg.star}{ctx.source(arg.value)}` hides which arguments are passed")
        if arg.keyword is None:
            if index >= len(positional):
                raise CannotMigrate("more positional arguments than Keras's signature has")
            bound[positional[index].name] = arg.value
            index += 1
            continue
        keyword = arg.keyword.value
        if keyword == "lr":  # Keras 2's spelling of learning_rate
            keyword = "learning_rate"
        if keyword not in known:
            raise CannotMigrate(f"`{keyword}=` has no meaning the torch optimizer can carry (Keras 2's `decay` is a schedule now)")
        bound[keyword] = arg.value
    return bound


def _lit(value: cst.BaseExpression) -> Any:
    try:
        return literal(value)
    except NotLiteral:
        return _NOT_LITERAL


_NOT_LITERAL = object()


def _is_schedule(value: cst.BaseExpression, ctx: RuleContext) -> bool:
    """A learning rate that is a schedule: a rewritten one (a ``lambda step: ...``), a Keras
    schedule call not yet rewritten, or a name the engine types as a schedule (or assigned
    one in this function)."""
    if isinstance(value, cst.Lambda):
        return True
    if isinstance(value, cst.Call) and "schedules" in _dotted(value.func):
        return True
    type_of = getattr(ctx, "type_of", None)
    if type_of is not None and isinstance(value, (cst.Name, cst.Attribute)):
        if type_of(value) == _SCHEDULE_TYPE:
            return True
    dotted = _dotted(value)
    if dotted:
        original = assigned_value(dotted, ctx)
        if isinstance(original, cst.Call) and "schedules" in _dotted(original.func):
            return True
    return False


def _plan(
    spec: OptimizerSpec, bound: Mapping[str, cst.BaseExpression], params: cst.BaseExpression, ctx: RuleContext
) -> OptimizerPlan:
    values: dict[str, cst.BaseExpression] = {}
    for p in spec.params:
        value = bound.get(p.name)
        if value is None:
            value = to_node(p.default)
        values[p.name] = value
        why = _unsupported(p.name, _lit(value))
        if why is not None:
            raise CannotMigrate(why)
        if p.name in ("use_ema",) and _lit(value) is _NOT_LITERAL:
            raise CannotMigrate(f"`{p.name}=` is not a literal")
    schedule = None
    lr = values["learning_rate"]
    if _is_schedule(lr, ctx):
        schedule = lr
        values["learning_rate"] = cst.Float("1.0")
    elif not _is_number_like(lr):
        raise CannotMigrate(
            f"learning rate `{ctx.source(lr)}` is neither a number nor a Keras schedule this rewrite can follow"
        )
    kwargs = spec.kwargs(values)
    weight_decay = None
    if spec.decay != "own" and _lit(values["weight_decay"]) is not None:
        if spec.decay == "arg":
            kwargs["weight_decay"] = values["weight_decay"]
            kwargs.update(spec.decay_kwargs)
        else:
            weight_decay = values["weight_decay"]
    clip = {k: values[k] for k in ("clipnorm", "global_clipnorm", "clipvalue") if _lit(values[k]) is not None}
    if "clipnorm" in clip and "global_clipnorm" in clip:
        raise CannotMigrate("Keras refuses `clipnorm` together with `global_clipnorm`")
    kwargs = {
        k: v for k, v in kwargs.items()
        if not (k in OptimizerSpec.torch_defaults and _same(_lit(v), OptimizerSpec.torch_defaults[k]))
    }
    optimizer = _call(ctx.name(spec.torch), params, **kwargs)
    return OptimizerPlan(
        optimizer=optimizer,
        keras=spec.keras,
        schedule=schedule,
        clipnorm=clip.get("clipnorm"),
        global_clipnorm=clip.get("global_clipnorm"),
        clipvalue=clip.get("clipvalue"),
        weight_decay=weight_decay,
        notes=(spec.note,) if spec.note else (),
    )


def _same(value: Any, default: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return value is default
    return isinstance(value, (int, float)) and value == default


def _is_number_like(value: cst.BaseExpression) -> bool:
    lit = _lit(value)
    if lit is not _NOT_LITERAL:
        return isinstance(lit, (int, float)) and not isinstance(lit, bool)
    # A name or an arithmetic expression over names holds a number (a schedule would have
    # been found above); a call might return anything.
    return isinstance(value, (cst.Name, cst.Attribute, cst.BinaryOperation))


RULES: list[Rule] = []
