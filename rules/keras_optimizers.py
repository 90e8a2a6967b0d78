"""``keras.optimizers``: optimisers and learning-rate schedules.

An optimiser becomes the ``torch.optim`` class that does the same update, with every Keras
default written out (Keras and torch disagree on most of them: SGD's learning rate, Adam's
epsilon, RMSprop's ``rho``/``alpha``, Adagrad's initial accumulator, Adadelta's learning rate).
Where no torch.optim class can do Keras's update (Adam's and RMSprop's epsilon placement), a
small subclass written into the file once does it: ``KerasAdam``, ``KerasRMSprop``.
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

import string
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping

import libcst as cst

from migrate.rules.base import (
    NOT_LITERAL,
    CannotMigrate,
    Param,
    Rule,
    RuleContext,
    code_of,
    dotted_name,
    literal_or,
    parse_signature,
    to_node,
)
from migrate.rules.tf_nn import call as _call

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
    #: SGD with momentum: Keras's momentum holds lr·g, torch's holds g (see after_step).
    momentum_carries_lr: bool = False

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
        code = code_of
        p = _loop_name(ctx)
        out: list[str] = []
        if self.clipnorm is not None:
            out.append(
                f"for {p} in {code(params)}:\n"
                f"    {code(ctx.name('torch.nn.utils.clip_grad_norm_'))}({p}, max_norm={code(self.clipnorm)})  # Keras clipnorm: per variable\n"
            )
        elif self.global_clipnorm is not None:
            out.append(f"{code(ctx.name('torch.nn.utils.clip_grad_norm_'))}({code(params)}, max_norm={code(self.global_clipnorm)})\n")
        elif self.clipvalue is not None:
            out.append(f"{code(ctx.name('torch.nn.utils.clip_grad_value_'))}({code(params)}, clip_value={code(self.clipvalue)})\n")
        if self.weight_decay is not None:
            out.append(
                f"with {code(ctx.name('torch.no_grad'))}():  # Keras's decoupled weight decay, before the update\n"
                f"    for {p} in {code(params)}:\n"
                f"        {p}.mul_(1 - {code(optimizer)}.param_groups[0][\"lr\"] * {code(self.weight_decay)})\n"
            )
        return [s for text in out for s in cst.parse_module(text).body]

    def after_step(
        self, scheduler: cst.BaseExpression | None = None, optimizer: cst.BaseExpression | None = None
    ) -> list[cst.BaseStatement]:
        """``scheduler.step()`` after every batch (Keras schedules count optimiser steps).

        Keras's SGD keeps the learning rate *inside* the momentum (``m = μ·m - lr·g``), torch
        applies it outside (``p -= lr·buf``): the same at a constant rate, not when a schedule
        changes it. When both meet, torch's momentum buffers are rescaled by old/new rate after
        each schedule step, which makes the two identical. (RMSprop's class, ``KerasRMSprop``,
        keeps the rate inside its momentum itself.)
        """
        target = scheduler if scheduler is not None else self.scheduler_name
        if self.schedule is None or target is None:
            return []
        step = f"{code_of(target)}.step()\n"
        if not self.momentum_carries_lr:
            return list(cst.parse_module(step).body)
        opt = optimizer if optimizer is not None else (self.optimizer if self.built else None)
        if opt is None:
            raise CannotMigrate("the momentum rescaling a schedule needs the optimizer's name")
        o = code_of(opt)
        return list(cst.parse_module(
            f"previous_lr = {o}.param_groups[0][\"lr\"]\n"
            + step
            + f"for param_state in {o}.state.values():  # Keras keeps the learning rate inside the momentum\n"
            f"    param_state[\"momentum_buffer\"].mul_(previous_lr / {o}.param_groups[0][\"lr\"])\n"
        ).body)


def _loop_name(ctx: RuleContext) -> str:
    """``p`` for the loops over parameters, unless the code around the site uses that name
    (the loop would overwrite the user's variable): then ``param``, ``parameter``…"""
    scope = getattr(ctx, "scope", None)
    try:
        tree = scope() if scope is not None else None
    except RuntimeError:  # not while a rule rewrites a site (a builder called from a test)
        tree = None
    if tree is None:
        return "p"
    taken: set[str] = set()

    class _Names(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            taken.add(node.value)

    tree.visit(_Names())
    for name in ("p", "param", "parameter", "trainable_param"):
        if name not in taken:
            return name
    return next(f"param_{i}" for i in range(1, 1000) if f"param_{i}" not in taken)


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
    #: The class the rewrite writes into the file (once) when no torch.optim class does
    #: Keras's maths: a template of ``_DEFINITIONS``; ``torch`` is then that class's name.
    definition: str = ""

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


# Where torch.optim has no setting for Keras's update, the rewrite writes a small subclass
# into the file (once), so the optimiser object itself carries the maths — in a generated
# ``fit`` loop and in a hand-written ``GradientTape`` loop alike:
#
# * Adam/AdamW (and Adam's amsgrad and decoupled weight decay): Keras adds epsilon to sqrt(v)
#   *before* the bias correction, torch after it. Keras's update is torch's with epsilon
#   divided by sqrt(1 - beta_2**t), so ``KerasAdam`` sets that epsilon before each step
#   (torch's Adam reads ``group["eps"]`` at every step, in the for-loop, foreach and fused paths).
# * RMSprop: Keras divides by sqrt(v + epsilon) (torch: sqrt(v) + epsilon) and keeps the
#   learning rate inside the momentum; ``KerasRMSprop`` is Keras's update_step as it is.
#
# The others are torch's own classes: SGD (the momentum rescaling of ``after_step`` makes a
# schedule exact), Adadelta and Nadam are Keras's maths; Adagrad and Adamax place epsilon
# differently (Adagrad sqrt(acc) + eps for sqrt(acc + eps), relative difference below
# eps / sqrt(acc) ≤ 3e-7 at Keras's defaults since the accumulator starts at 0.1; Adamax adds
# eps to |g| before the running max, not after), negligibly unless gradients are near epsilon.

_DEFINITIONS = {
    "KerasAdam": '''
class KerasAdam($Adam):
    """``torch.optim.Adam`` with Keras's epsilon, which torch.optim cannot express.

    Keras adds epsilon to sqrt(v) before the bias correction, torch after it: Keras's update
    is torch's with epsilon / sqrt(1 - beta_2**t) at step t, so each step sets that epsilon
    first. Keras's epsilon is kept in the group as "epsilon", torch's per-step one in "eps".
    """

    def step(self, closure=None):
        for group in self.param_groups:
            group.setdefault("epsilon", group["eps"])  # at the first step: Keras's epsilon
            t = 1 + max((int(self.state[p].get("step", 0)) for p in group["params"]), default=0)
            group["eps"] = group["epsilon"] / $sqrt(1 - group["betas"][1] ** t)
        return super().step(closure)
''',
    "KerasRMSprop": '''
class KerasRMSprop($Optimizer):
    """RMSprop as Keras computes it, which ``torch.optim.RMSprop`` cannot express.

    Keras divides by sqrt(v + epsilon), torch by sqrt(v) + epsilon; and Keras's momentum
    accumulates lr * g / sqrt(...), so a learning-rate schedule changes only the new term
    (torch multiplies the whole momentum by the current rate).
    """

    def __init__(self, params, lr=0.001, rho=0.9, momentum=0.0, eps=1e-07, centered=False):
        super().__init__(params, dict(lr=lr, rho=rho, momentum=momentum, eps=eps, centered=centered))

    @$no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with $enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, rho, momentum, eps = group["lr"], group["rho"], group["momentum"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                state = self.state[p]
                if not state:
                    state["velocity"] = $zeros_like(p)
                    if group["centered"]:
                        state["average_gradient"] = $zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = $zeros_like(p)
                velocity = state["velocity"].mul_(rho).addcmul_(g, g, value=1 - rho)
                if group["centered"]:
                    average = state["average_gradient"].mul_(rho).add_(g, alpha=1 - rho)
                    denominator = velocity - average.square() + eps
                else:
                    denominator = velocity + eps
                increment = lr * g / denominator.sqrt()
                if momentum > 0:
                    increment = state["momentum_buffer"].mul_(momentum).add_(increment)
                p.sub_(increment)
        return loss
''',
}

_DEFINITIONS["KerasLion"] = '''
class KerasLion($Optimizer):
    """Lion as Keras computes it; torch.optim has no Lion.

    The step is the sign of an interpolation between the momentum and the gradient (beta_1),
    and the momentum then moves towards the gradient at its own rate (beta_2).
    """

    def __init__(self, params, lr=0.001, betas=(0.9, 0.99)):
        super().__init__(params, dict(lr=lr, betas=betas))

    @$no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with $enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta_1, beta_2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["momentum_buffer"] = $zeros_like(p)
                m = state["momentum_buffer"]
                p.sub_(group["lr"] * (m * beta_1 + p.grad * (1 - beta_1)).sign())
                m.mul_(beta_2).add_(p.grad * (1 - beta_2))
        return loss
'''

#: ``$key`` in a definition → the qualified name it spells.
_DEFINITION_NAMES = {
    "Adam": "torch.optim.Adam", "Optimizer": "torch.optim.Optimizer", "sqrt": "math.sqrt",
    "no_grad": "torch.no_grad", "enable_grad": "torch.enable_grad", "zeros_like": "torch.zeros_like",
}


def definition_source(name: str) -> str:
    """The source of the class ``name`` of ``_DEFINITIONS`` with its names fully qualified
    (``torch.optim.Adam``), for code that runs it rather than writes it: ``migrate verify``
    trains with the very optimiser a migrated file defines."""
    return string.Template(_DEFINITIONS[name]).substitute(_DEFINITION_NAMES).lstrip("\n")


def _define(name: str, ctx: RuleContext) -> cst.BaseExpression:
    """Write the class ``name`` of ``_DEFINITIONS`` into the file (once); its name."""
    template = _DEFINITIONS[name]
    spelled = {key: code_of(ctx.name(q)) for key, q in _DEFINITION_NAMES.items() if "$" + key in template}
    ctx.add_definition(list(cst.parse_module(string.Template(template).substitute(spelled).lstrip("\n")).body))  # type: ignore[attr-defined]
    return cst.Name(name)


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
            "KerasAdam",
            "learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=False",
            lambda v: {"lr": v["learning_rate"], "betas": _betas(v), "eps": v["epsilon"], "amsgrad": v["amsgrad"]},
            decay="arg",
            decay_kwargs={"decoupled_weight_decay": True},
            definition="KerasAdam",
        ),
        OptimizerSpec(
            "AdamW",
            "KerasAdam",
            "learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=False",
            # torch's AdamW is Adam with decoupled_weight_decay=True: one class serves both.
            lambda v: {
                "lr": v["learning_rate"], "betas": _betas(v), "eps": v["epsilon"], "weight_decay": v["weight_decay"],
                "decoupled_weight_decay": True, "amsgrad": v["amsgrad"],
            },
            decay="own",
            definition="KerasAdam",
        ),
        OptimizerSpec(
            "RMSprop",
            "KerasRMSprop",
            "learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-07, centered=False",
            lambda v: {"lr": v["learning_rate"], "rho": v["rho"], "momentum": v["momentum"], "eps": v["epsilon"], "centered": v["centered"]},
            definition="KerasRMSprop",
        ),
        OptimizerSpec(
            "Adagrad",
            "torch.optim.Adagrad",
            "learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-07",
            lambda v: {"lr": v["learning_rate"], "initial_accumulator_value": v["initial_accumulator_value"], "eps": v["epsilon"]},
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
        ),
        OptimizerSpec(
            "Lion",
            "KerasLion",
            "learning_rate=0.001, beta_1=0.9, beta_2=0.99",
            lambda v: {"lr": v["learning_rate"], "betas": _betas(v)},
            definition="KerasLion",
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

#: Keras optimisers with no faithful torch form yet, and why (a TODO says it at each site).
NOT_MIGRATED = {
    "Ftrl": "Keras's Ftrl (per-coordinate FTRL-proximal with L1/L2 shrinkage) has no torch.optim counterpart; write its update as a torch.optim.Optimizer subclass",
    "Lamb": "Keras's Lamb (Adam with a per-layer trust ratio) has no torch.optim counterpart; write its update as a torch.optim.Optimizer subclass",
    "Adafactor": "torch.optim.Adafactor follows a different paper variant than Keras's Adafactor (clipping threshold, relative step): the updates differ",
}


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
        receiver = dotted_name(node.func.value)
        if method == "compile" and receiver:
            for i, arg in enumerate(node.args):
                named = arg.keyword.value == "optimizer" if arg.keyword else i == 0  # compile(optimizer, loss, ...)
                if named and dotted_name(arg.value) == self.target:
                    self.params = cst.Call(cst.Attribute(node.func.value, cst.Name("parameters")))
            return
        if receiver != self.target:
            return
        if method == "apply_gradients" and node.args:
            pairs = node.args[0].value
            if isinstance(pairs, cst.Call) and dotted_name(pairs.func) == "zip" and len(pairs.args) == 2:
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
        if any(dotted_name(t.target) == self.target for t in node.targets):
            self.value = node.value

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if dotted_name(node.target) == self.target and node.value is not None:
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
    ``tf.keras.optimizers.legacy.Adam``, ``optimizers.Adam``), by its last name.
    CannotMigrate for one this table knows it cannot migrate (``NOT_MIGRATED``)."""
    dotted = dotted_name(func)
    if not dotted:
        return None
    last = dotted.rsplit(".", 1)[-1]
    if last in NOT_MIGRATED and ("optimizers" in dotted or dotted == last):
        raise CannotMigrate(NOT_MIGRATED[last])
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
            unsupported = {k.lower(): why for k, why in NOT_MIGRATED.items()}.get(node.lower())
            raise CannotMigrate(unsupported or f"optimizer {node!r} has no torch optimizer in this table")
        return _plan(SPECS[name], {}, params, ctx)
    if isinstance(node, cst.Call):
        name = _canonical(node.func, ctx)
        if name is None:
            raise CannotMigrate(f"`{ctx.source(node.func)}` is not a Keras optimizer this table knows")
        return _plan(SPECS[name], _bind(SPECS[name], node, ctx), params, ctx)
    target = dotted_name(node)
    if target:
        original = assigned_value(target, ctx)
        if isinstance(original, cst.Call) and _canonical(original.func, ctx):
            spec = SPECS[_canonical(original.func, ctx) or ""]
            plan = _plan(spec, _bind(spec, original, ctx), params, ctx, define=False)
            scheduler = None
            if plan.schedule is not None:
                scheduler = cst.parse_expression(scheduler_name(target))
            return OptimizerPlan(
                optimizer=node, keras=plan.keras, built=True, schedule=plan.schedule, scheduler_name=scheduler,
                clipnorm=plan.clipnorm, global_clipnorm=plan.global_clipnorm, clipvalue=plan.clipvalue,
                weight_decay=plan.weight_decay, notes=plan.notes, momentum_carries_lr=plan.momentum_carries_lr,
            )
        # Built elsewhere (a function parameter, another file): the torch optimizer is used as
        # it is; that file's own rewrite says what its clipping and schedule need.
        return OptimizerPlan(
            optimizer=node, built=True,
            notes=(f"`{target}` is built elsewhere: clipping, weight decay and a schedule, if it has them, are that rewrite's to carry",),
        )
    raise CannotMigrate(f"`{ctx.source(node)}` is not an optimizer this rewrite can read")


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
        if keyword not in known and keyword != "decay":  # Keras 2's time decay: see _plan
            raise CannotMigrate(f"`{keyword}=` has no meaning the torch optimizer can carry")
        bound[keyword] = arg.value
    return bound


def _is_schedule(value: cst.BaseExpression, ctx: RuleContext) -> bool:
    """A learning rate that is a schedule: a rewritten one (a ``lambda step: ...``), a Keras
    schedule call not yet rewritten, a call of the file's own schedule class, or a name the
    engine types as a schedule (or assigned one in this function)."""
    if isinstance(value, cst.Lambda):
        return True
    if isinstance(value, cst.Call) and "schedules" in dotted_name(value.func):
        return True
    type_of = getattr(ctx, "type_of", None)
    if type_of is not None and isinstance(value, (cst.Name, cst.Attribute, cst.Call)):
        if type_of(value) == _SCHEDULE_TYPE:  # a call: an instance of the file's own schedule class
            return True
    dotted = dotted_name(value)
    if dotted:
        original = assigned_value(dotted, ctx)
        if isinstance(original, cst.Call) and "schedules" in dotted_name(original.func):
            return True
    return False


def _plan(
    spec: OptimizerSpec, bound: Mapping[str, cst.BaseExpression], params: cst.BaseExpression, ctx: RuleContext,
    define: bool = True,
) -> OptimizerPlan:
    """The plan for a Keras optimiser's arguments. ``define``: the constructor will be written
    into the file, so a class of ``_DEFINITIONS`` it names is written too (not when the plan
    only describes an optimiser the file builds elsewhere)."""
    values: dict[str, cst.BaseExpression] = {}
    for p in spec.params:
        value = bound.get(p.name)
        if value is None:
            value = to_node(p.default)
        values[p.name] = value
        why = _unsupported(p.name, literal_or(value, None))
        if why is not None:
            raise CannotMigrate(why)
        if p.name in ("use_ema",) and literal_or(value, None) is NOT_LITERAL:
            raise CannotMigrate(f"`{p.name}=` is not a literal")
    schedule = None
    lr = values["learning_rate"]
    decay = bound.get("decay")
    if decay is not None and literal_or(decay, None) not in (0, 0.0, None):
        # Keras 2 (tf.keras before 2.11) `decay=d`: lr / (1 + d * iterations) at every step.
        if _is_schedule(lr, ctx) or not _is_number_like(lr) or not _is_number_like(decay):
            raise CannotMigrate("Keras 2's `decay=` together with a schedule, or not a number, has no faithful form")
        code = code_of
        lr_text = code(lr) if isinstance(lr, (cst.Name, cst.Attribute, cst.Integer, cst.Float)) else f"({code(lr)})"
        decay_text = code(decay) if isinstance(decay, (cst.Name, cst.Attribute, cst.Integer, cst.Float)) else f"({code(decay)})"
        lr = cst.parse_expression(f"lambda step: {lr_text} / (1 + {decay_text} * step)")
    if isinstance(lr, cst.Call) and dotted_name(lr.func).rsplit(".", 1)[-1] in SCHEDULES and "schedules" in dotted_name(lr.func):
        # A Keras schedule written inside a call the rewrite reads as parsed (`compile(optimizer=
        # Adam(ExponentialDecay(...)))`): its own rule's rewrite never reaches the output there.
        kind = dotted_name(lr.func).rsplit(".", 1)[-1]
        lr = Schedule().rewrite_call(lr, f"keras.optimizers.schedules.{kind}", ctx)
    if _is_schedule(lr, ctx):
        schedule = lr
        values["learning_rate"] = cst.Float("1.0")
    elif not _is_number_like(lr):
        raise CannotMigrate(
            f"learning rate `{ctx.source(lr)}` is neither a number nor a Keras schedule this rewrite can follow"
        )
    kwargs = spec.kwargs(values)
    weight_decay = None
    if spec.decay != "own" and literal_or(values["weight_decay"], None) is not None:
        if spec.decay == "arg":
            kwargs["weight_decay"] = values["weight_decay"]
            kwargs.update(spec.decay_kwargs)
        else:
            weight_decay = values["weight_decay"]
    clip = {k: values[k] for k in ("clipnorm", "global_clipnorm", "clipvalue") if literal_or(values[k], None) is not None}
    if "clipnorm" in clip and "global_clipnorm" in clip:
        raise CannotMigrate("Keras refuses `clipnorm` together with `global_clipnorm`")
    kwargs = {
        k: v for k, v in kwargs.items()
        if not (k in OptimizerSpec.torch_defaults and _same(literal_or(v, None), OptimizerSpec.torch_defaults[k]))
    }
    if spec.definition:
        torch_class = _define(spec.definition, ctx) if define else cst.Name(spec.definition)
    else:
        torch_class = ctx.name(spec.torch)
    optimizer = _call(torch_class, params, **kwargs)
    return OptimizerPlan(
        optimizer=optimizer,
        keras=spec.keras,
        schedule=schedule,
        clipnorm=clip.get("clipnorm"),
        global_clipnorm=clip.get("global_clipnorm"),
        clipvalue=clip.get("clipvalue"),
        weight_decay=weight_decay,
        notes=(spec.note,) if spec.note else (),
        momentum_carries_lr=spec.keras == "SGD" and literal_or(values["momentum"], None) not in (0, 0.0),
    )


def _same(value: Any, default: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return value is default
    return isinstance(value, (int, float)) and value == default


def _is_number_like(value: cst.BaseExpression) -> bool:
    lit = literal_or(value, None)
    if lit is not NOT_LITERAL:
        return isinstance(lit, (int, float)) and not isinstance(lit, bool)
    # A name or an arithmetic expression over names holds a number (a schedule would have
    # been found above); a call might return anything.
    return isinstance(value, (cst.Name, cst.Attribute, cst.BinaryOperation))


# ---------------------------------------------------------------------------------------
# The rules: optimiser constructors and schedules as sites of their own.


def argument_of_compile(call: cst.BaseExpression, ctx: RuleContext) -> bool:
    """Whether ``call`` is (part of) an argument of a ``.compile(...)`` call in its statement:
    the compile rule builds the optimiser, loss and metrics from the Keras calls, so the
    rules of those calls leave them as they are there."""
    statement = ctx.statement()  # type: ignore[attr-defined]
    finder = _CompileArguments()
    statement.visit(finder)
    return any(arg.deep_equals(call) or _contains(arg, call) for arg in finder.arguments)


class _CompileArguments(cst.CSTVisitor):
    def __init__(self) -> None:
        self.arguments: list[cst.BaseExpression] = []

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "compile":
            self.arguments.extend(arg.value for arg in node.args)


def _contains(tree: cst.CSTNode, node: cst.CSTNode) -> bool:
    found = False

    class _Find(cst.CSTVisitor):
        def on_visit(self, candidate: cst.CSTNode) -> bool:
            nonlocal found
            if not found and type(candidate) is type(node) and candidate.deep_equals(node):
                found = True
            return not found

    tree.visit(_Find())
    return found


def assignment_target(ctx: RuleContext) -> str | None:
    """``opt`` / ``self.opt`` when the site's statement is ``<target> = <the call>``."""
    statement = ctx.statement()  # type: ignore[attr-defined]
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        return dotted_name(small.targets[0].target) or None
    if isinstance(small, cst.AnnAssign) and small.value is not None:
        return dotted_name(small.target) or None
    return None


def _assigned_later(params: cst.BaseExpression, ctx: RuleContext) -> str | None:
    """The name of the model whose ``parameters()`` the optimiser takes, when the function
    assigns it only after the optimiser's own statement (``opt = Adam()`` above
    ``model = build()``): torch needs the parameters when the optimiser is built."""
    root = params
    while isinstance(root, (cst.Call, cst.Attribute)):
        root = root.func if isinstance(root, cst.Call) else root.value
    if not isinstance(root, cst.Name) or root.value == "self":
        return None
    scope = ctx.scope()  # type: ignore[attr-defined]
    body = scope.body.body if isinstance(scope, cst.FunctionDef) else getattr(scope, "body", [])
    statement = ctx.statement()  # type: ignore[attr-defined]
    seen_own = False
    for top in body:
        if top is statement or _contains(top, statement):
            seen_own = True
            continue
        assigns = _Assignment(root.value)
        top.visit(assigns)
        if assigns.value is not None:
            return root.value if seen_own else None
    return None


_ALL_OPTIMIZER_NAMES = tuple(
    f"{prefix}.{name}" for name in SPECS for prefix in ("keras.optimizers", "keras.optimizers.legacy")
) + tuple(f"keras.optimizers.{name}" for name in NOT_MIGRATED)


class OptimizerConstructor(Rule):
    id = "optimizers.optimizer"
    names = _ALL_OPTIMIZER_NAMES
    returns: ClassVar[Mapping[str, str]] = {n: _OPTIMIZER_TYPE for n in _ALL_OPTIMIZER_NAMES}
    summary = "`keras.optimizers.Adam(...)` → `torch.optim.Adam(<the parameters it updates>, ...)` with Keras's defaults written out."
    why = (
        "A torch optimiser is built over the parameters it updates, a Keras one is not: they are "
        "read from where the optimiser is used — a later `model.compile(optimizer=opt)` "
        "(`model.parameters()`), `opt.apply_gradients(zip(grads, model.trainable_variables))` or "
        "`opt.minimize(loss, var_list)`. Keras's defaults differ from torch's for almost every "
        "class (SGD lr 0.01 vs 0.001; Adam/Adamax/Nadam epsilon 1e-7 vs 1e-8; RMSprop lr 1e-3, "
        "rho 0.9, epsilon 1e-7 vs lr 1e-2, alpha 0.99, eps 1e-8; Adagrad initial accumulator 0.1 "
        "vs 0; Adadelta lr 1e-3, rho 0.95 vs 1.0, 0.9; AdamW weight decay 0.004 vs 0.01), so "
        "each is written. Keras's `weight_decay` is decoupled (`p -= lr·wd·p` before the "
        "update): Adam and Nadam get `decoupled_weight_decay=True`, the others a statement in "
        "the training step. Nadam's momentum schedule is torch's with `momentum_decay=1.0`. "
        "Clipping and a learning-rate schedule are done by the training step "
        "(`apply_gradients`/`fit` rewrites); a schedule makes the optimiser `lr=1.0` and a "
        "`LambdaLR` follows the Keras formula, stepped per batch. Two updates torch.optim "
        "cannot express get a small class written into the file once: Adam and AdamW add "
        "epsilon before the bias correction in Keras (`KerasAdam(torch.optim.Adam)` sets "
        "torch's epsilon to ε/√(1−β₂ᵗ) before each step, which is the same update), RMSprop "
        "divides by √(v + ε) and keeps the learning rate inside its momentum (`KerasRMSprop`, "
        "Keras's update step). SGD, Adadelta and Nadam are Keras's maths in torch's classes; "
        "Adagrad (√acc + ε for √(acc + ε)) and Adamax (ε added before the running max) are "
        "close approximations, relative difference about ε/√acc. Lion, which torch.optim "
        "lacks, is `KerasLion`, Keras's update written once into the file. Ftrl, Lamb and "
        "Adafactor are TODOs that say why. An optimiser inside `compile(...)` is left to the "
        "compile rewrite."
    )
    example = (
        "import keras\n\n"
        "model = build_model()\n"
        "opt = keras.optimizers.RMSprop(1e-3, clipnorm=1.0)\n"
        "model.compile(optimizer=opt, loss=\"mse\")"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if argument_of_compile(call, ctx):
            return call
        if qualified.rsplit(".", 1)[-1] in NOT_MIGRATED:
            raise CannotMigrate(NOT_MIGRATED[qualified.rsplit(".", 1)[-1]])
        target = assignment_target(ctx)
        if target is None:
            raise CannotMigrate("the optimizer needs the parameters it updates: assign it to a name used by `compile` or `apply_gradients`")
        params = find_parameters(target, ctx)
        if params is None:
            raise CannotMigrate("the optimizer needs the parameters it updates, and no `compile`, `apply_gradients` or `minimize` here names them")
        later = _assigned_later(params, ctx)
        if later is not None:
            raise CannotMigrate(f"the optimizer is built before `{later}`, whose parameters it updates: build it after `{later} = ...`")
        plan = torch_optimizer(call, params, ctx)
        extra: list[cst.BaseStatement] = []
        if plan.schedule is not None:
            scheduler = plan.scheduler(cst.parse_expression(target), ctx)
            assert scheduler is not None
            line = cst.parse_statement(
                f"{scheduler_name(target)} = {code_of(scheduler)}  # step it after every optimizer step: Keras schedules count batches\n"
            )
            extra.append(line)
        carried = [
            f"{k}={code_of(v)}" for k, v in (
                ("clipnorm", plan.clipnorm), ("global_clipnorm", plan.global_clipnorm),
                ("clipvalue", plan.clipvalue), ("weight_decay", plan.weight_decay),
            ) if v is not None
        ]
        if carried:
            # The optimiser's statement, rewritten, under a comment saying what the training
            # step has to do (the apply_gradients / fit rewrites do it; a hand-written loop must).
            statement = ctx.statement()  # type: ignore[attr-defined]
            comment = cst.EmptyLine(comment=cst.Comment(
                f"# Keras {', '.join(carried)}: done by the training step between backward() and {target}.step()"
            ))
            small = statement.body[0].with_changes(value=plan.optimizer)
            # The engine keeps the statement's own leading comments above its replacement.
            ctx.replace_statement([  # type: ignore[attr-defined]
                statement.with_changes(body=[small], leading_lines=[comment]), *extra
            ])
        elif extra:
            ctx.insert_after(extra)  # type: ignore[attr-defined]
        return plan.optimizer


# ---------------------------------------------------------------------------------------
# Learning-rate schedules: the Keras formula as a function of the step.

#: Schedule class → Keras signature.
SCHEDULES: dict[str, str] = {
    "ExponentialDecay": "initial_learning_rate, decay_steps, decay_rate, staircase=False, name='ExponentialDecay'",
    "PiecewiseConstantDecay": "boundaries, values, name='PiecewiseConstant'",
    "PolynomialDecay": "initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False, name='PolynomialDecay'",
    "InverseTimeDecay": "initial_learning_rate, decay_steps, decay_rate, staircase=False, name='InverseTimeDecay'",
    "CosineDecay": "initial_learning_rate, decay_steps, alpha=0.0, name='CosineDecay', warmup_target=None, warmup_steps=0",
}


def _schedule_formula(kind: str, a: Mapping[str, str], flags: Mapping[str, Any], ctx: RuleContext) -> str:
    """The body of ``lambda step: ...``: Keras's ``__call__`` of that schedule, in Python."""
    code = code_of
    if kind == "ExponentialDecay":
        p = f"(step // {a['decay_steps']})" if flags["staircase"] else f"(step / {a['decay_steps']})"
        return f"{a['initial_learning_rate']} * {a['decay_rate']} ** {p}"
    if kind == "InverseTimeDecay":
        p = f"(step // {a['decay_steps']})" if flags["staircase"] else f"step / {a['decay_steps']}"
        return f"{a['initial_learning_rate']} / (1 + {a['decay_rate']} * {p})"
    if kind == "PiecewiseConstantDecay":
        # Keras: values[0] up to and including boundaries[0], values[i] on (b[i-1], b[i]].
        return f"{a['values']}[{code(ctx.name('bisect.bisect_left'))}({a['boundaries']}, step)]"
    if kind == "PolynomialDecay":
        lr0, steps, end, power = a["initial_learning_rate"], a["decay_steps"], a["end_learning_rate"], a["power"]
        if flags["cycle"]:
            math_ceil = code(ctx.name("math.ceil"))
            fraction = f"step / ({steps} * max(1, {math_ceil}(step / {steps})))"
        else:
            fraction = f"min(step, {steps}) / {steps}"
        return f"({lr0} - {end}) * (1 - {fraction}) ** {power} + {end}"
    if kind == "CosineDecay":
        lr0, steps, alpha = a["initial_learning_rate"], a["decay_steps"], a["alpha"]
        cos, pi = code(ctx.name("math.cos")), code(ctx.name("math.pi"))
        if flags["warmup_target"] is None:
            return f"{lr0} * ((1 - {alpha}) * 0.5 * (1 + {cos}({pi} * min(step, {steps}) / {steps})) + {alpha})"
        target, warm = a["warmup_target"], a["warmup_steps"]
        return (
            f"({target} - {lr0}) * step / {warm} + {lr0} if step < {warm} "
            f"else {target} * ((1 - {alpha}) * 0.5 * (1 + {cos}({pi} * (min(step, {steps} + {warm}) - {warm}) / {steps})) + {alpha})"
        )
    raise AssertionError(kind)


def _operand(value: cst.BaseExpression, ctx: RuleContext) -> str:
    """An argument written into the formula (possibly more than once): a literal, a name or
    arithmetic over them, parenthesised; a call could do work or differ per evaluation."""

    class _NoCalls(cst.CSTVisitor):
        found = False

        def visit_Call(self, node: cst.Call) -> None:
            self.found = True

    finder = _NoCalls()
    value.visit(finder)
    if finder.found:
        raise CannotMigrate(f"`{ctx.source(value)}` is evaluated at every step by the rewrite; assign it to a name first")
    text = code_of(value)
    return text if isinstance(value, (cst.Name, cst.Attribute, cst.Integer, cst.Float, cst.List, cst.Tuple)) else f"({text})"


_SCHEDULE_NAMES = tuple(
    f"{prefix}.{name}" for name in SCHEDULES for prefix in ("keras.optimizers.schedules", "keras.optimizers.legacy.schedules")
)


class Schedule(Rule):
    id = "optimizers.schedule"
    names = _SCHEDULE_NAMES[::2]
    returns: ClassVar[Mapping[str, str]] = {n: _SCHEDULE_TYPE for n in _SCHEDULE_NAMES[::2]}
    summary = "`keras.optimizers.schedules.ExponentialDecay(...)` (and Piecewise, Polynomial, InverseTime, Cosine with warm-up) → `lambda step: <Keras's formula>`."
    why = (
        "A Keras schedule is a function of the optimiser's step count, evaluated before every "
        "batch. torch's built-in schedulers are close but not the same maths (`ExponentialLR` "
        "multiplies per call and has no `decay_steps`; `CosineAnnealingLR` rises again after "
        "`T_max` where Keras stays at `alpha`; `PolynomialLR` ends at 0, not "
        "`end_learning_rate`), so the rewrite is the Keras formula itself as a Python function "
        "of the step. An optimiser given it is built with `lr=1.0` and a "
        "`torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=schedule)` stepped after every "
        "batch: the rate at step k is then exactly the schedule at k, as in Keras. Arguments "
        "that choose the formula (`staircase`, `cycle`, `warmup_target` given or not) must be "
        "literals. Keras evaluates in float32, the function in float64: rates agree to about "
        "1e-7 relative."
    )
    example = (
        "import keras\n\n"
        "schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96, staircase=True)\n"
        "warm = keras.optimizers.schedules.CosineDecay(0.0, 10000, warmup_target=1e-3, warmup_steps=500)\n"
        "steps = keras.optimizers.schedules.PiecewiseConstantDecay([1000, 2000], [1e-2, 1e-3, 1e-4])"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        kind = qualified.rsplit(".", 1)[-1]
        params = parse_signature(SCHEDULES[kind])
        bound: dict[str, cst.BaseExpression] = {}
        positional = [p for p in params if not p.keyword_only]
        for i, arg in enumerate(call.args):
            if arg.star:
                raise CannotMigrate(f"`{arg.star}{ctx.source(arg.value)}` hides which arguments are passed")
            if arg.keyword is None:
                if i >= len(positional):
                    raise CannotMigrate("more positional arguments than Keras's signature has")
                bound[positional[i].name] = arg.value
            elif arg.keyword.value in {p.name for p in params}:
                bound[arg.keyword.value] = arg.value
            else:
                raise CannotMigrate(f"`{arg.keyword.value}=` is not an argument of {kind}")
        for p in params:
            if not p.has_default and p.name not in bound:
                raise CannotMigrate(f"required argument `{p.name}` is missing")
        flags: dict[str, Any] = {}
        for flag in ("staircase", "cycle", "warmup_target"):
            if any(p.name == flag for p in params):
                value = bound.get(flag)
                if value is None:
                    flags[flag] = next(p.default for p in params if p.name == flag)
                elif flag == "warmup_target":
                    flags[flag] = None if literal_or(value, None) is None else value
                else:
                    lit = literal_or(value, None)
                    if lit is NOT_LITERAL:
                        raise CannotMigrate(f"`{flag}={ctx.source(value)}` is not a literal: it picks the formula")
                    flags[flag] = lit
        texts = {
            p.name: _operand(bound[p.name], ctx) if p.name in bound else repr(p.default)
            for p in params if p.name != "name"
        }
        body = _schedule_formula(kind, texts, flags, ctx)
        return cst.parse_expression(f"lambda step: {body}")


RULES: list[Rule] = [OptimizerConstructor(), Schedule()]
