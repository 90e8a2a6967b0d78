"""Automatic differentiation and low-level TF2 state: ``tf.GradientTape`` loops, optimizer
steps (``apply_gradients``/``minimize``), ``tf.Module`` subclasses, ``tf.Variable`` methods,
and mixed-precision policies.

A tape loop has two faithful PyTorch forms, and the rules pick by reading the function the
loop is in (the original code, ``ctx.scope()``):

* the idiomatic one — ``loss.backward()`` between ``optimizer.zero_grad()`` and
  ``optimizer.step()`` — when the loop is exactly one tape, one loss, and gradients that
  only go to one ``apply_gradients(zip(grads, variables))``;
* otherwise ``grads = torch.autograd.grad(loss, params)`` (``retain_graph`` where the graph is
  needed again: a persistent tape, or another tape recording the same computation as in a
  GAN; ``create_graph`` for a tape inside another tape) and an apply step that sets each
  parameter's ``.grad`` and calls ``step()``.

Both compute the same gradients as TF; each rule makes the same decision from the same code,
so the tape, the gradient and the apply statement always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import libcst as cst

from migrate.rules.base import CannotMigrate, NewArg, Rule, RuleContext, argument, bare_call, build_call, code_of, dotted_name
from migrate.rules.tf_nn import call, method

_TF_ROOTS = ("tensorflow", "keras", "tf_keras")
#: Attributes of a Keras model / tf.Module holding its trainable variables.
_TRAINABLE = ("trainable_variables", "trainable_weights")
_OPTIMIZER_TYPES = ("keras.optimizers.Optimizer", "keras.optimizers.LossScaleOptimizer", "keras.mixed_precision.LossScaleOptimizer")

# ---------------------------------------------------------------------------------------
# Reading the original code around a site.


def _tail(node: cst.CSTNode | None) -> str:
    return dotted_name(node).rsplit(".", 1)[-1]


def _statements_of(block: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Every statement of a block, nested blocks included, in source order; nested function
    and class definitions are other scopes and are not entered."""
    for statement in block:
        yield statement
        if not isinstance(statement, cst.BaseCompoundStatement) or isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            continue
        for name in ("body", "orelse", "handlers", "finalbody"):
            child = getattr(statement, name, None)
            if isinstance(child, (list, tuple)):
                for handler in child:
                    yield from _statements_of(handler.body.body)
            elif isinstance(child, cst.IndentedBlock):
                yield from _statements_of(child.body)
            elif isinstance(child, (cst.Else, cst.Finally)):
                yield from _statements_of(child.body.body)
            elif isinstance(child, cst.If):  # an `elif`
                yield from _statements_of([child])


def _scope_statements(scope: cst.CSTNode) -> list[cst.CSTNode]:
    body = scope.body
    return list(_statements_of(body.body if isinstance(body, cst.BaseSuite) else body))


def _blocks(scope: cst.CSTNode) -> Iterator[Sequence[cst.CSTNode]]:
    """Every statement list of a scope (its body and the blocks nested in it)."""
    body = scope.body
    top = body.body if isinstance(body, cst.BaseSuite) else body
    yield top
    for statement in _statements_of(top):
        if not isinstance(statement, cst.BaseCompoundStatement) or isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody"):
            child = getattr(statement, name, None)
            if isinstance(child, cst.IndentedBlock):
                yield child.body
            elif isinstance(child, (cst.Else, cst.Finally)):
                yield child.body.body
        for handler in getattr(statement, "handlers", ()) or ():
            yield handler.body.body


def _nodes(root: cst.CSTNode, kind: type) -> list:
    found: list = []

    class Finder(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, kind):
                found.append(node)
            return True

    root.visit(Finder())
    return found


def _own_nodes(statement: cst.CSTNode, kind: type) -> list:
    """Nodes of ``kind`` in a statement itself, not in the blocks a compound statement holds."""
    if isinstance(statement, cst.SimpleStatementLine):
        return _nodes(statement, kind)
    if isinstance(statement, cst.With):
        return [n for item in statement.items for n in _nodes(item, kind)]
    if isinstance(statement, (cst.If, cst.While)):
        return _nodes(statement.test, kind)
    if isinstance(statement, cst.For):
        return _nodes(statement.iter, kind)
    return []


def tf_aliases(module: cst.Module) -> set[str]:
    """The local names a module binds to TF/Keras imports (``tf``, ``keras``, ``layers``)."""
    bound: set[str] = set()
    for line in _nodes(module, cst.SimpleStatementLine):  # function-local imports too
        for small in line.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    name = dotted_name(alias.name)
                    if name.split(".")[0] in _TF_ROOTS:
                        asname = alias.asname.name if alias.asname else None
                        bound.add(asname.value if isinstance(asname, cst.Name) else name.split(".")[0])
            elif isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative:
                if dotted_name(small.module).split(".")[0] in _TF_ROOTS and not isinstance(small.names, cst.ImportStar):
                    for alias in small.names:
                        local = alias.asname.name if alias.asname else alias.name
                        if isinstance(local, cst.Name):
                            bound.add(local.value)
    return bound


def _single_assign(statement: cst.CSTNode) -> cst.Assign | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            return small
    return None


def _literal_bool(node: cst.BaseExpression | None) -> bool | None:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


def statements_code(code: str) -> list[cst.BaseStatement]:
    return list(cst.parse_module(code).body)


def fresh(preferred: str, taken: set[str]) -> str:
    name, n = preferred, 1
    while name in taken:
        n += 1
        name = f"{preferred}_{n}"
    return name


def as_parameter_list(value: cst.BaseExpression) -> cst.BaseExpression:
    """``model.trainable_variables`` → ``list(model.parameters())``; anything else as it is."""
    if isinstance(value, cst.Attribute) and value.attr.value in _TRAINABLE:
        return call(cst.Name("list"), method(value.value, "parameters"))
    return value


# ---------------------------------------------------------------------------------------
# The tapes of one function, and the gradients taken from them.


@dataclass
class _Tape:
    name: str | None
    call: cst.Call
    statement: cst.With
    persistent: cst.BaseExpression | None  # the `persistent=` value, None when absent


@dataclass
class _Gradient:
    call: cst.Call
    statement: cst.CSTNode
    index: int  # position of its statement in the scope's statement order
    tape: _Tape


class TapeCode:
    """What the tape rules need to know about the function holding a site."""

    def __init__(self, scope: cst.CSTNode, module: cst.Module):
        self.scope = scope
        self.aliases = tf_aliases(module)
        self.mixed = _mixed_dtype(module)
        self.statements = _scope_statements(scope)
        self.position = {id(s): i for i, s in enumerate(self.statements)}
        self.tapes: list[_Tape] = []
        for statement in self.statements:
            if isinstance(statement, cst.With):
                for item in statement.items:
                    if self.is_tape_call(item.item):
                        name = item.asname.name if item.asname else None
                        persistent = argument(item.item, "persistent", 0)  # type: ignore[arg-type]
                        self.tapes.append(
                            _Tape(
                                name.value if isinstance(name, cst.Name) else None,
                                item.item,  # type: ignore[arg-type]
                                statement,
                                persistent.value if persistent is not None else None,
                            )
                        )
        self.gradients: list[_Gradient] = []
        for i, statement in enumerate(self.statements):
            for node in _own_nodes(statement, cst.Call):
                func = node.func
                if isinstance(func, cst.Attribute) and func.attr.value == "gradient" and isinstance(func.value, cst.Name):
                    # The tape of that name opened last before this statement (a loop body
                    # or a later step may open another tape under the same name).
                    opened = [t for t in self.tapes if t.name == func.value.value and self.position[id(t.statement)] < i]
                    if opened:
                        self.gradients.append(_Gradient(node, statement, i, opened[-1]))

    def is_tape_call(self, node: cst.BaseExpression) -> bool:
        if not isinstance(node, cst.Call):
            return False
        dotted = dotted_name(node.func)
        return dotted.endswith("GradientTape") and dotted.split(".")[0] in self.aliases

    def gradient_at(self, statement: cst.CSTNode, receiver: str, call_: cst.Call | None = None) -> _Gradient | None:
        """The gradient of ``receiver`` taken in ``statement``; with several there (a tuple of
        gradients), the one whose arguments read as ``call_``'s (the site, rewritten inside
        but for its target, which stays a name or an expression of names)."""
        found = [
            g for g in self.gradients
            if g.statement is statement and dotted_name(g.call.func.value) == receiver  # type: ignore[attr-defined]
        ]
        if len(found) <= 1 or call_ is None:
            return found[0] if found else None
        for same in (
            lambda g: [code_of(a) for a in g.call.args] == [code_of(a) for a in call_.args],
            lambda g: bool(g.call.args and call_.args) and code_of(g.call.args[0].value) == code_of(call_.args[0].value),
        ):
            matches = [g for g in found if same(g)]
            if len(matches) == 1:
                return matches[0]
        raise CannotMigrate("several gradients in one statement that cannot be told apart; take them one per line")

    def body_ids(self, with_statement: cst.With) -> set[int]:
        return {id(s) for s in _statements_of(with_statement.body.body)} if isinstance(with_statement.body, cst.IndentedBlock) else set()

    def retain_graph(self, gradient: _Gradient) -> cst.BaseExpression | None:
        """``retain_graph=``: the tape is persistent, or another tape that recorded while
        this graph was built takes a gradient later (two tapes over one forward pass)."""
        persistent = gradient.tape.persistent
        if persistent is not None and _literal_bool(persistent) is not False:
            return persistent
        start = self.position[id(gradient.tape.statement)]
        for later in self.gradients:
            if later.index > gradient.index and later.tape is not gradient.tape and self.position[id(later.tape.statement)] <= start:
                return cst.Name("True")
        return None

    def create_graph(self, gradient: _Gradient) -> bool:
        """A gradient taken while another tape records is differentiated again (a tape
        inside a tape: second derivatives), so its graph must be built."""
        for tape in self.tapes:
            if tape is not gradient.tape and id(gradient.statement) in self.body_ids(tape.statement):
                return True
        return False

    def uses(self, name: str) -> int:
        return sum(1 for s in self.statements for n in _own_nodes(s, cst.Name) if n.value == name)

    def block_of(self, statement: cst.CSTNode) -> Sequence[cst.CSTNode] | None:
        for block in _blocks(self.scope):
            if any(s is statement for s in block):
                return block
        return None

    def unwrappable(self, tape: _Tape, ctx: RuleContext) -> bool:
        """Whether the tape's ``with`` can give way to its body: one item, and a body with no
        TF/Keras code (its statements are then moved as they are)."""
        with_statement = tape.statement
        if not isinstance(with_statement.body, cst.IndentedBlock) or self.mixed is not None:
            return False  # under a mixed-precision policy the `with` is the autocast
        if not all(self.is_tape_call(item.item) for item in with_statement.items):
            return False  # another context manager keeps the `with`
        for name in _nodes(with_statement.body, cst.Name):
            if name.value in self.aliases:
                return False
        for item in with_statement.items:
            if item.asname is not None and not self.only_tape_methods_use(dotted_name(item.asname.name)):
                return False  # `del tape`, `tape.reset()`: the name must stay bound
        for node in _nodes(with_statement.body, cst.Call):
            if isinstance(node.func, (cst.Name, cst.Attribute)) and _type_of(ctx, node.func) is not None:
                return False  # `model(x)`: a site of its own (the call rule sets the mode, the layout)
        for attribute in _nodes(with_statement.body, cst.Attribute):
            receiver = attribute.value
            if isinstance(receiver, (cst.Name, cst.Attribute)) and _type_of(ctx, receiver) is not None:
                return False  # a method or attribute of a TF/Keras object: a site of its own
            if attribute.attr.value in _TRAINABLE:
                return False
        return True

    def only_tape_methods_use(self, name: str) -> bool:
        """Whether every use of the tape ``name`` is a method a rule rewrites away."""
        receivers = 0
        for statement in self.statements:
            for node in _own_nodes(statement, cst.Call):
                func = node.func
                if isinstance(func, cst.Attribute) and dotted_name(func.value) == name and func.attr.value in ("gradient", "watch", "stop_recording"):
                    receivers += 1
        bindings = sum(1 for t in self.tapes if t.name == name)  # the `as` targets
        return self.all_uses(name) == receivers + bindings

    def all_uses(self, name: str) -> int:
        count = 0
        for statement in self.statements:
            if isinstance(statement, cst.With):
                count += sum(1 for item in statement.items for n in _nodes(item, cst.Name) if n.value == name)
            else:
                count += sum(1 for n in _own_nodes(statement, cst.Name) if n.value == name)
        return count

    def follows(self, first: cst.CSTNode, second: cst.CSTNode) -> bool:
        """Whether ``second`` comes right after ``first`` in the same block."""
        block = self.block_of(first)
        if block is None:
            return False
        for a, b in zip(block, block[1:]):
            if a is first:
                return b is second
        return False


def _type_of(ctx: RuleContext, node: cst.BaseExpression) -> str | None:
    type_of = getattr(ctx, "type_of", None)
    return type_of(node) if type_of is not None else None


def _tape_code(ctx: RuleContext) -> TapeCode:
    scope = getattr(ctx, "scope", None)
    if scope is None:
        raise CannotMigrate("this engine cannot show the rule the code around a tape")
    return TapeCode(ctx.scope(), ctx.module())  # type: ignore[attr-defined]


@dataclass
class _Step:
    """The idiomatic case: one tape, one ``grads = tape.gradient(loss, vars)``, and those
    gradients used only by one ``optimizer.apply_gradients(zip(grads, vars))``."""

    tape: _Tape
    gradient: _Gradient
    apply: cst.Call
    apply_statement: cst.CSTNode
    loss: cst.Name
    #: ``grads = opt.get_unscaled_gradients(scaled_grads)`` between the gradient and the apply
    #: (tf.keras 2's loss-scale loop): ``scaler.step`` unscales, so the statement goes.
    unscale: cst.CSTNode | None = None


def _single_step(code: TapeCode, ctx: RuleContext) -> _Step | None:
    if len(code.tapes) != 1 or len(code.gradients) != 1:
        return None
    tape, gradient = code.tapes[0], code.gradients[0]
    if tape.persistent is not None and _literal_bool(tape.persistent) is not False:
        return None
    if any(arg.keyword is None or arg.keyword.value != "persistent" for arg in tape.call.args):
        return None  # watch_accessed_variables=False: gradients only for watched tensors
    assign = _single_assign(gradient.statement)
    if assign is None or assign.value is not gradient.call or not isinstance(assign.targets[0].target, cst.Name):
        return None
    args = gradient.call.args
    if len(args) != 2 or any(a.keyword is not None or a.star for a in args) or not isinstance(args[0].value, cst.Name):
        return None
    if id(gradient.statement) in code.body_ids(tape.statement):
        return None
    if isinstance(_last_assigned(args[0].value.value, code.statements[: gradient.index]), (cst.List, cst.Tuple)):
        return None  # several targets: their gradients are added, which `backward()` of one does not say
    grads = assign.targets[0].target.value
    unscale = _unscale_after(code, gradient, grads)
    if unscale is not None:
        grads = unscale[1]
    applies = [
        (s, c)
        for s in code.statements
        for c in _own_nodes(s, cst.Call)
        if isinstance(c.func, cst.Attribute)
        and (
            c.func.attr.value in ("apply_gradients", "minimize")
            or (c.func.attr.value == "apply" and _type_of(ctx, c.func.value) in _OPTIMIZER_TYPES)
        )
    ]
    if len(applies) != 1:
        return None
    statement, apply = applies[0]
    if bare_call(statement) is not apply or apply.func.attr.value == "minimize":  # type: ignore[attr-defined]
        return None
    if _type_of(ctx, apply.func.value) not in _OPTIMIZER_TYPES:  # type: ignore[attr-defined]
        return None
    pairs = _pairs_of(apply)
    if not (
        isinstance(pairs, cst.Call)
        and dotted_name(pairs.func) == "zip"
        and len(pairs.args) == 2
        and isinstance(pairs.args[0].value, cst.Name)
        and pairs.args[0].value.value == grads
        and pairs.args[1].value.deep_equals(args[1].value)
    ):
        return None
    if code.uses(grads) != 2 or code.position[id(statement)] < gradient.index:
        return None
    if code.block_of(statement) is not code.block_of(gradient.statement):
        return None
    try:  # the apply step must be writable, or the gradients it needs stay values
        _optimizer_plan(apply.func.value, _parameters_of(pairs), ctx)  # type: ignore[attr-defined]
    except CannotMigrate:
        return None
    return _Step(tape, gradient, apply, statement, args[0].value, unscale[0] if unscale else None)  # type: ignore[arg-type]


def _unscale_after(code: TapeCode, gradient: _Gradient, grads: str) -> tuple[cst.CSTNode, str] | None:
    """``grads = opt.get_unscaled_gradients(scaled)`` right after ``scaled = tape.gradient(...)``,
    with the scaled gradients used nowhere else: the statement and the unscaled name."""
    for statement in code.statements:
        if code.follows(gradient.statement, statement):
            assign = _single_assign(statement)
            value = assign.value if assign is not None else None
            if (
                isinstance(value, cst.Call)
                and _tail(value.func) == "get_unscaled_gradients"
                and len(value.args) == 1
                and isinstance(value.args[0].value, cst.Name)
                and value.args[0].value.value == grads
                and isinstance(assign.targets[0].target, cst.Name)  # type: ignore[union-attr]
                and code.uses(grads) == 2
            ):
                return statement, assign.targets[0].target.value  # type: ignore[union-attr]
    return None


def _unwrap_before(code: TapeCode, tape: _Tape, statement: cst.CSTNode, ctx: RuleContext) -> list[cst.BaseStatement]:
    """The tape's body, when its ``with`` sits right before ``statement`` and can give way
    to it: the caller puts these statements in the with's place (the with is removed)."""
    if not (code.follows(tape.statement, statement) and code.unwrappable(tape, ctx)):
        return []
    body = list(tape.statement.body.body)  # type: ignore[union-attr]
    if body and tape.statement.leading_lines:
        body[0] = body[0].with_changes(leading_lines=[*tape.statement.leading_lines, *body[0].leading_lines])
    ctx.remove_statement(tape.statement)  # type: ignore[attr-defined]
    return body


def _mixed_dtype(module: cst.Module) -> str | None:
    """``"float16"``/``"bfloat16"`` when the module sets a Keras mixed-precision policy."""
    for statement in module.body:
        call_ = bare_call(statement)
        if call_ is not None and _tail(call_.func) in ("set_global_policy", "set_policy") and call_.args:
            value = call_.args[0].value
            if isinstance(value, cst.SimpleString):
                return _MIXED.get(str(value.evaluated_value))
            if isinstance(value, cst.Call) and value.args and isinstance(value.args[0].value, cst.SimpleString):
                return _MIXED.get(str(value.args[0].value.evaluated_value))
    return None


_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
#: The module-level constant a mixed-precision policy line becomes.
_DTYPE_CONSTANT = "MIXED_PRECISION_DTYPE"
#: The module-level constant written beside it: the device type autocast and GradScaler act
#: on. Autocast only changes operations on its own device type, so "cuda" on a CPU run would
#: leave everything in float32 (torch warns and disables it); the constant follows the machine.
_DEVICE_CONSTANT = "AUTOCAST_DEVICE"


# ---------------------------------------------------------------------------------------
# Whether a gradient's target is a scalar. TF differentiates the sum of a tensor target;
# torch's `backward()`/`autograd.grad` accept only a scalar (or an explicit `grad_outputs`),
# so a target not known to be a scalar is written `target.sum()`: the same maths, and for a
# scalar the same value.

#: TF/Keras reductions that give a scalar when called with the tensor alone (no axis).
_REDUCTIONS = frozenset({
    "reduce_mean", "reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_logsumexp",
    "reduce_euclidean_norm", "reduce_std", "reduce_variance", "l2_loss", "compute_average_loss",
    "mean", "sum", "max", "min", "prod", "logsumexp", "std", "var",
})
_SCALAR_DEPTH = 4


def is_scalar(
    expr: cst.BaseExpression, statements: Sequence[cst.CSTNode], ctx: RuleContext, depth: int = 0,
    function: cst.CSTNode | None = None,
) -> bool:
    """Whether ``expr`` (original code, read among ``statements`` of ``function``, by default
    the site's) is known to be a scalar: a reduction over every axis, a Keras loss object's
    call (unless built with ``reduction="none"``), a call of a function of this file that only
    returns scalars, a Python number, arithmetic of those, or a name last assigned one of them
    (in the function, else at module level)."""
    if depth > _SCALAR_DEPTH:
        return False
    function = function if function is not None else ctx.scope()  # type: ignore[attr-defined]

    def scalar(e: cst.BaseExpression, where: Sequence[cst.CSTNode] = statements, owner: cst.CSTNode | None = function) -> bool:
        return is_scalar(e, where, ctx, depth + 1, owner)

    if isinstance(expr, (cst.Integer, cst.Float)):
        return True
    if isinstance(expr, cst.UnaryOperation):
        return scalar(expr.expression)
    if isinstance(expr, cst.BinaryOperation) and isinstance(
        expr.operator, (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.FloorDivide, cst.Power)
    ):
        return scalar(expr.left) and scalar(expr.right)
    if isinstance(expr, cst.Attribute):
        return expr.attr.value == "num_replicas_in_sync"  # a tf.distribute strategy's Python int
    if isinstance(expr, cst.Name):
        value = _last_assigned(expr.value, statements)
        if value is None and not _is_parameter(expr.value, function):  # a module constant: `BATCH = 64`
            module = ctx.module().body  # type: ignore[attr-defined]
            value = _last_assigned(expr.value, module)
            return value is not None and scalar(value, module, ctx.module())  # type: ignore[attr-defined]
        return value is not None and scalar(value)
    if not isinstance(expr, cst.Call):
        return False
    func = expr.func
    tail = _tail(func)
    if isinstance(func, cst.Name) and func.value in ("len", "int", "float"):
        return True  # Python numbers
    root = dotted_name(func).split(".")[0]
    if tail in _REDUCTIONS and isinstance(func, cst.Attribute) and root in tf_aliases(ctx.module()):  # type: ignore[attr-defined]
        return argument(expr, "axis", 1) is None and all(a.keyword is None or a.keyword.value != "keepdims" for a in expr.args)
    if tail == "add_n" and expr.args and isinstance(expr.args[0].value, (cst.List, cst.Tuple)):
        return all(scalar(e.value) for e in expr.args[0].value.elements)
    if isinstance(func, cst.Attribute) and tail in ("scale_loss", "get_scaled_loss") and expr.args:
        return scalar(expr.args[0].value)  # the loss times the scale
    if isinstance(func, (cst.Name, cst.Attribute)) and _type_of(ctx, func) == "keras.losses.Loss":
        return _loss_reduces(func, ctx)
    if isinstance(func, cst.Name):
        definition = _module_function(func.value, ctx)
        if definition is not None:
            inner = _scope_statements(definition)
            returns = [r.value for s in inner for r in _own_nodes(s, cst.Return)]
            return bool(returns) and all(r is not None and scalar(r, inner, definition) for r in returns)
    return False


def _last_assigned(name: str, statements: Sequence[cst.CSTNode]) -> cst.BaseExpression | None:
    value = None
    for statement in statements:
        assign = _single_assign(statement)
        if assign is not None and isinstance(assign.targets[0].target, cst.Name) and assign.targets[0].target.value == name:
            value = assign.value
    return value


def _is_parameter(name: str, scope: cst.CSTNode) -> bool:
    if not isinstance(scope, cst.FunctionDef):
        return False
    params = scope.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    every += [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
    return any(p.name.value == name for p in every)


def _module_function(name: str, ctx: RuleContext) -> cst.FunctionDef | None:
    for statement in ctx.module().body:  # type: ignore[attr-defined]
        if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
            return statement
    return None


def _loss_reduces(func: cst.BaseExpression, ctx: RuleContext) -> bool:
    """A Keras loss object reduces to a scalar unless it was built with ``reduction="none"``
    (or ``None``); a constructor that cannot be read is taken as not known."""
    from migrate.rules.keras_optimizers import assigned_value

    constructor = func if isinstance(func, cst.Call) else assigned_value(dotted_name(func), ctx)
    if not isinstance(constructor, cst.Call):
        return False
    reduction = argument(constructor, "reduction")
    if reduction is None:
        return True
    value = reduction.value
    if isinstance(value, cst.SimpleString):
        return str(value.evaluated_value).lower() not in ("none",)
    return _tail(value) in ("SUM", "SUM_OVER_BATCH_SIZE", "AUTO")


def scalar_target(original: cst.BaseExpression, new: cst.BaseExpression, code: "TapeCode", index: int, ctx: RuleContext) -> cst.BaseExpression:
    """The target torch differentiates: ``new`` when the original is known to be a scalar,
    else ``new.sum()`` (TF's implicit sum); each element of a list of targets on its own
    (TF and torch both add the gradients of several targets)."""
    before = code.statements[:index]
    if isinstance(original, (cst.List, cst.Tuple)) and isinstance(new, (cst.List, cst.Tuple)) and len(original.elements) == len(new.elements):
        elements = [
            n.with_changes(value=scalar_target(o.value, n.value, code, index, ctx))
            for o, n in zip(original.elements, new.elements)
        ]
        return new.with_changes(elements=elements)
    if isinstance(original, cst.Name) and isinstance(new, cst.Name):
        value = _last_assigned(original.value, before)
        if isinstance(value, (cst.List, cst.Tuple)):  # a name for a list of targets
            if all(is_scalar(e.value, before, ctx) for e in value.elements):
                return new
            taken = {n.value for n in _nodes(ctx.scope(), cst.Name)}  # type: ignore[attr-defined]
            each = fresh("target", taken)
            return cst.parse_expression(f"[{each}.sum() for {each} in {new.value}]")
    return new if is_scalar(original, before, ctx) else method(new, "sum")


# ---------------------------------------------------------------------------------------
# Rules.


_TAPE_METHODS = frozenset({"gradient", "watch", "stop_recording", "reset", "jacobian", "batch_jacobian"})


def _tape_used_beyond_gradients(statement: cst.With, ctx: RuleContext) -> bool:
    """A tape name read other than through its methods (passed to a function, returned)
    still needs a value: the ``with`` stays, as ``torch.enable_grad()``."""
    names = {item.asname.name.value for item in statement.items if item.asname and isinstance(item.asname.name, cst.Name)}
    if not names:
        return False
    scope = ctx.scope()

    class Reads(cst.CSTVisitor):
        found = False

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            if isinstance(node.value, cst.Name) and node.value.value in names and node.attr.value in _TAPE_METHODS:
                return False  # `tape.gradient`: the tape's methods are rewritten where they are called
            return True

        def visit_Name(self, node: cst.Name) -> None:
            if node.value in names:
                Reads.found = True

        def visit_WithItem(self, node: cst.WithItem) -> bool:
            node.item.visit(self)
            return False  # `as tape` binds, it does not read

    scope.visit(Reads())
    return Reads.found


class GradientTape(Rule):
    id = "autodiff.gradient_tape"
    names = ("tf.GradientTape",)
    returns = {"tf.GradientTape": "tf.GradientTape"}
    summary = "`with tf.GradientTape() as tape:` → autograd: the forward pass runs as it is, the `with` gives way to its body."
    why = (
        "torch records every operation on tensors that require gradients, so the tape itself "
        "has no counterpart: the `with` gives way to its (rewritten) body. Only when the tape "
        "itself is read other than through its methods (passed to a function), or one of its "
        "gradients stays a TODO, does the `with` stay, as `with torch.enable_grad():`, which "
        "records as a tape does. Under a Keras mixed-precision "
        "policy the tape becomes `torch.autocast(device_type=AUTOCAST_DEVICE, "
        "dtype=MIXED_PRECISION_DTYPE)`, the constants the policy line became. What "
        "the tape was for — `tape.gradient`, `apply_gradients` — is rewritten at those calls "
        "(see `autodiff.tape_gradient`, `autodiff.apply_gradients`). A tape used outside a "
        "`with` statement is left as a TODO."
    )
    example = (
        "model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(3,))])\n"
        "optimizer = tf.keras.optimizers.SGD(0.1)\n\n\n"
        "def train_step(x, y):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = loss_fn(model(x, training=True), y)\n"
        "    grads = tape.gradient(loss, model.trainable_variables)\n"
        "    optimizer.apply_gradients(zip(grads, model.trainable_variables))\n"
        "    return loss"
    )

    def rewrite_call(self, call_: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        statement = ctx.statement() if hasattr(ctx, "statement") else None  # type: ignore[attr-defined]
        if not isinstance(statement, cst.With) or not any(
            isinstance(i.item, cst.Call) and _tail(i.item.func) == "GradientTape" for i in statement.items
        ):
            raise CannotMigrate("a tape used outside `with tf.GradientTape() as tape:` has no torch counterpart; write the `with` form")
        for arg in call_.args:
            keyword = arg.keyword.value if arg.keyword else ("persistent" if arg is call_.args[0] else "")
            if keyword not in ("persistent", "watch_accessed_variables"):
                raise CannotMigrate(f"`{code_of(arg)}` has no autograd counterpart")
        dtype = _mixed_dtype(ctx.module()) if hasattr(ctx, "module") else None  # type: ignore[attr-defined]
        kept = _tape_used_beyond_gradients(statement, ctx) or self._gradient_left_as_todo(statement, ctx)
        if dtype is not None:  # the constant the policy line became holds the dtype
            if not kept:
                ctx.unbind()  # `as tape` would name the autocast, which nothing uses
            return call(ctx.name("torch.autocast"), device_type=cst.Name(_DEVICE_CONSTANT), dtype=cst.Name(_DTYPE_CONSTANT))
        if kept:
            return call(ctx.name("torch.enable_grad"))
        ctx.unwrap()  # torch records without a tape: the (rewritten) body takes the with's place
        return call_

    @staticmethod
    def _gradient_left_as_todo(statement: cst.With, ctx: RuleContext) -> bool:
        code = _tape_code(ctx)
        rule = TapeGradient()
        return any(g.tape.statement is statement and rule.blocked(g, code, ctx) for g in code.gradients)


class TapeGradient(Rule):
    id = "autodiff.tape_gradient"
    names = ("tf.GradientTape.gradient",)
    summary = "`tape.gradient(loss, vars)` → `loss.backward()` in a one-tape step, else `torch.autograd.grad(loss, params, ...)`."
    why = (
        "In a step that is exactly one tape, one loss and gradients that only go to one "
        "`apply_gradients(zip(grads, vars))`, the idiomatic torch step is the same maths: the "
        "gradient line goes and the apply line becomes `zero_grad()`, `loss.backward()`, "
        "`step()`. Anywhere else the gradients are values the code uses, and "
        "`torch.autograd.grad` returns them: `retain_graph=True` when the tape is persistent "
        "or another tape recorded the same forward pass (a GAN's generator and discriminator "
        "losses share it, and torch frees a graph after one use), `create_graph=True` for a "
        "tape inside another tape (second derivatives), `grad_outputs=` for "
        "`output_gradients=`. A source the target does not depend on gets None in TF: "
        "`allow_unused=True` (torch would raise), or zeros with `materialize_grads=True` for "
        "`UnconnectedGradients.ZERO`. TF differentiates the sum of a tensor target; torch "
        "takes only a scalar, so a target not known to be one (a reduction over all axes, a "
        "Keras loss object, a function of the file returning those) is written `target.sum()` "
        "— each of a list of targets on its own, whose gradients both libraries add. "
        "`model.trainable_variables` becomes `list(model.parameters())`. TF returns one "
        "gradient for one source and a list for a list; torch always returns a tuple, so a "
        "single variable's gradient is `[0]` of it, and a source whose structure cannot be "
        "read stays a TODO."
    )
    example = (
        "x = tf.Variable(3.0)\n"
        "with tf.GradientTape(persistent=True) as tape:\n"
        "    y = x * x\n"
        "    z = y * y\n"
        "dz_dx = tape.gradient(z, x)\n"
        "dy_dx = tape.gradient(y, x)"
    )

    def rewrite_call(self, call_: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        code = _tape_code(ctx)
        receiver = dotted_name(call_.func.value) if isinstance(call_.func, cst.Attribute) else ""
        gradient = code.gradient_at(ctx.statement(), receiver, call_)  # type: ignore[attr-defined]
        if gradient is None:
            raise CannotMigrate("the tape's `with` statement is not in this function")
        step = _single_step(code, ctx)
        if step is not None and step.gradient is gradient:
            ctx.replace_statement(_unwrap_before(code, gradient.tape, gradient.statement, ctx))  # type: ignore[attr-defined]
            return call_
        self._check_consumers(code, gradient, ctx)
        new = self._autograd(call_, gradient, code, ctx)
        first_here = next(g for g in code.gradients if g.statement is gradient.statement)
        body = _unwrap_before(code, gradient.tape, gradient.statement, ctx) if gradient is first_here else []
        if body:
            ctx.insert_before(body)  # type: ignore[attr-defined]
        return new

    def _check_consumers(self, code: TapeCode, gradient: _Gradient, ctx: RuleContext) -> None:
        assign = _single_assign(gradient.statement)
        if assign is None or not isinstance(assign.targets[0].target, cst.Name):
            return
        grads = assign.targets[0].target.value
        for statement in code.statements:
            for node in _own_nodes(statement, cst.Call):
                if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("apply_gradients", "apply"):
                    if grads in {n.value for n in _nodes(node, cst.Name)} and _type_of(ctx, node.func.value) not in _OPTIMIZER_TYPES:
                        raise CannotMigrate(
                            f"the gradients go to `{code_of(node.func.value)}.apply_gradients`, and which "
                            "optimizer that is cannot be read here; construct it in this file (or pass "
                            "the torch optimizer and call `step()` by hand)"
                        )

    @staticmethod
    def _bind(original: cst.Call) -> list[str]:
        """The parameter each argument of an (original) ``tape.gradient`` call binds."""
        positions = ("target", "sources", "output_gradients", "unconnected_gradients")
        names = []
        for i, old in enumerate(original.args):
            if old.star:
                raise CannotMigrate(f"`{old.star}{code_of(old.value)}` hides which arguments are passed")
            name = old.keyword.value if old.keyword else positions[i] if i < len(positions) else ""
            if name not in positions:
                raise CannotMigrate(f"argument `{name}` has no torch.autograd.grad counterpart")
            names.append(name)
        if "target" not in names or "sources" not in names:
            raise CannotMigrate("`tape.gradient` needs a target and its sources")
        return names

    def blocked(self, gradient: _Gradient, code: TapeCode, ctx: RuleContext) -> bool:
        """Whether this gradient will stay a TODO (read without rewriting anything): its
        tape's `with` must then stay, for the TODO's `tape` to mean something."""
        step = _single_step(code, ctx)
        if step is not None and step.gradient is gradient:
            return False
        try:
            self._check_consumers(code, gradient, ctx)
            names = self._bind(gradient.call)
            self._single_source(gradient.call.args[names.index("sources")].value, code, ctx)
        except CannotMigrate:
            return True
        return False

    def _autograd(self, call_: cst.Call, gradient: _Gradient, code: TapeCode, ctx: RuleContext) -> cst.BaseExpression:
        original = gradient.call
        bound = {name: (old, new) for name, old, new in zip(self._bind(original), original.args, call_.args)}
        single = self._single_source(bound["sources"][0].value, code, ctx)
        sources = bound["sources"][1].value
        if not single:
            sources = as_parameter_list(sources)
        target = bound["target"][1].value
        upstream = bound.get("output_gradients")
        if upstream is not None and isinstance(upstream[0].value, cst.Name) and upstream[0].value.value == "None":
            upstream = None
        if upstream is None:  # TF differentiates the sum of a tensor target
            target = scalar_target(bound["target"][0].value, target, code, gradient.index, ctx)
        args = [NewArg(target, None, bound["target"][1]), NewArg(sources, None, bound["sources"][1])]
        if upstream is not None:
            args.append(NewArg(upstream[1].value, "grad_outputs", upstream[1]))
        retain = code.retain_graph(gradient)
        if code.create_graph(gradient):
            args.append(NewArg(cst.Name("True"), "create_graph"))  # retains the graph too
        elif retain is not None:
            args.append(NewArg(retain, "retain_graph"))
        if "unconnected_gradients" in bound:
            old, new_arg = bound["unconnected_gradients"]
            ctx.consume(new_arg.value)  # read here: `tf.UnconnectedGradients.ZERO` is not kept
            kind = _tail(old.value) if not isinstance(old.value, cst.SimpleString) else str(old.value.evaluated_value).upper()
            if kind not in ("ZERO", "NONE"):
                raise CannotMigrate(f"`unconnected_gradients={code_of(old.value)}` is not a literal")
        else:
            kind = "NONE"
        # A source the target does not depend on: TF gives None (or zeros when asked), torch
        # raises unless told: `allow_unused=True` returns None, `materialize_grads=True` zeros.
        if kind == "ZERO":
            args.append(NewArg(cst.Name("True"), "materialize_grads"))
        else:
            args.append(NewArg(cst.Name("True"), "allow_unused"))
        result: cst.BaseExpression = build_call(call_, ctx.name("torch.autograd.grad"), args)
        if single:
            result = cst.Subscript(result, [cst.SubscriptElement(cst.Index(cst.Integer("0")))])
        return result

    def _single_source(self, source: cst.BaseExpression, code: TapeCode, ctx: RuleContext) -> bool:
        """True for one tensor, False for a list of them; CannotMigrate when unknown."""
        if isinstance(source, (cst.List, cst.Tuple)):
            return False
        if isinstance(source, cst.Attribute) and source.attr.value in (*_TRAINABLE, "variables", "weights"):
            if source.attr.value in ("variables", "weights"):
                raise CannotMigrate(
                    f"`.{source.attr.value}` includes non-trainable variables (buffers in torch), which "
                    "have no gradient; take the gradient of `.trainable_variables`"
                )
            return False
        if isinstance(source, (cst.Name, cst.Attribute)):
            if _type_of(ctx, source) == "tensorflow.Variable":
                return True
            name = dotted_name(source)
            for statement in code.statements:
                for node in _own_nodes(statement, cst.Call):
                    if isinstance(node.func, cst.Attribute) and node.func.attr.value == "watch" and node.args:
                        if dotted_name(node.args[0].value) == name:
                            return True  # `tape.watch(x)`: a tensor
                assign = _single_assign(statement)
                if assign is not None and dotted_name(assign.targets[0].target) == name:
                    value = assign.value
                    if isinstance(value, (cst.List, cst.Tuple)) or (
                        isinstance(value, cst.Attribute) and value.attr.value in _TRAINABLE
                    ):
                        return False
                    if isinstance(value, cst.Call) and _tail(value.func) in ("Variable", "constant", "convert_to_tensor"):
                        return True
        raise CannotMigrate(
            f"whether `{code_of(source)}` is one tensor or a list cannot be read here (TF returns a "
            "gradient in the same structure; torch always a tuple): pass a list, e.g. `[x]`"
        )


def _pairs_of(call_: cst.Call) -> cst.BaseExpression | None:
    """The (gradient, variable) pairs of ``opt.apply_gradients(pairs)`` or Keras 3's
    ``opt.apply(grads, variables)`` (as ``zip(grads, variables)``); None for anything else."""
    method = call_.func.attr.value if isinstance(call_.func, cst.Attribute) else ""
    if any(arg.star for arg in call_.args):
        return None
    if method == "apply_gradients":
        pairs = argument(call_, "grads_and_vars", 0)
        extra = [a for a in call_.args if a is not pairs and not (a.keyword and a.keyword.value in _IGNORED_APPLY_ARGS)]
        return pairs.value if pairs is not None and not extra else None
    if method == "apply":
        grads, variables = argument(call_, "grads", 0), argument(call_, "trainable_variables", 1)
        if grads is None or variables is None or len(call_.args) != 2:
            return None
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        return cst.Call(cst.Name("zip"), [cst.Arg(grads.value, comma=comma), cst.Arg(variables.value)])
    return None


#: `apply_gradients` arguments about distribution that a single-process torch step ignores.
_IGNORED_APPLY_ARGS = ("name", "experimental_aggregate_gradients", "skip_gradients_aggregation")


def _parameters_of(pairs: cst.BaseExpression) -> cst.BaseExpression | None:
    """``model.parameters()`` for ``zip(grads, model.trainable_variables)``, for the optimizer
    plan's clipping (an expression that can be read more than once)."""
    if isinstance(pairs, cst.Call) and dotted_name(pairs.func) == "zip" and len(pairs.args) == 2:
        variables = pairs.args[1].value
        if isinstance(variables, cst.Attribute) and variables.attr.value in _TRAINABLE:
            return method(variables.value, "parameters")
        if isinstance(variables, cst.Call) and dotted_name(variables.func) == "list" and len(variables.args) == 1:
            return variables.args[0].value  # already rewritten: `list(model.parameters())`
        return variables
    return None


def _constraints_after(params: cst.BaseExpression | None, ctx: RuleContext) -> list[cst.BaseStatement]:
    """Keras's optimizer applies the layers' constraints after each update: when the file
    gives its layers constraints, ``keras_apply_constraints(model)`` follows ``step()``."""
    from migrate.rules import keras_regularizers

    if not keras_regularizers.file_has_terms(ctx.module())[1]:  # type: ignore[attr-defined]
        return []
    if not (isinstance(params, cst.Call) and isinstance(params.func, cst.Attribute) and params.func.attr.value == "parameters"):
        raise CannotMigrate("the file's layers have constraints, and which model these variables belong to cannot be read here")
    helper = keras_regularizers.constraints_helper(ctx)
    return statements_code(f"{helper}({code_of(params.func.value)})  # Keras's optimizer applies the constraints after each update\n")


def _optimizer_plan(optimizer: cst.BaseExpression, params: cst.BaseExpression | None, ctx: RuleContext):  # noqa: ANN202
    """What the optimizer's Keras arguments ask of the step (clipping, decay, a schedule),
    from the optimizer rules; CannotMigrate when that optimizer cannot be rewritten. For a
    LossScaleOptimizer, the plan of the optimizer it wraps (which the rewrite keeps)."""
    from migrate.rules.keras_optimizers import torch_optimizer

    wrapper = loss_scale_of(optimizer, ctx)
    if wrapper is None:
        return torch_optimizer(optimizer, params or cst.Name("params"), ctx)
    inner = _inner_optimizer(wrapper)
    plan = torch_optimizer(inner, params or cst.Name("params"), ctx)  # type: ignore[arg-type]
    if plan.schedule is not None or plan.weight_decay is not None:
        raise CannotMigrate(
            "Keras skips the wrapped optimizer's whole update on inf/nan gradients, its learning-rate "
            "schedule and weight decay included, while `scaler.step` skips only `optimizer.step()`; "
            "step the schedule (and decay) only when `scaler.get_scale()` did not drop"
        )
    return plan


#: The types a ``LossScaleOptimizer`` call gives (``LossScaleOptimizer.returns``).
_LOSS_SCALE_TYPE = "keras.mixed_precision.LossScaleOptimizer"


def loss_scale_of(optimizer: cst.BaseExpression, ctx: RuleContext) -> cst.Call | None:
    """The ``LossScaleOptimizer(...)`` call (original code) an optimizer name was assigned in
    this file, when it is one; None for any other optimizer. A loss-scale optimizer whose
    construction cannot be read (a parameter) is a CannotMigrate: which GradScaler goes with
    it is not known."""
    from migrate.rules.keras_optimizers import assigned_value

    if _type_of(ctx, optimizer) != _LOSS_SCALE_TYPE:  # type: ignore[arg-type]
        return None
    value = assigned_value(dotted_name(optimizer), ctx)
    if isinstance(value, cst.Call) and _tail(value.func) == "LossScaleOptimizer":
        return value
    raise CannotMigrate(f"`{code_of(optimizer)}` is a LossScaleOptimizer built elsewhere; which GradScaler goes with it cannot be read here")


def _inner_optimizer(wrapper: cst.Call) -> cst.BaseExpression:
    inner = argument(wrapper, "inner_optimizer", 0)
    if inner is None:
        raise CannotMigrate("the LossScaleOptimizer's inner optimizer cannot be read")
    return inner.value


def _unscaled_before(code: "TapeCode", apply_statement: cst.CSTNode, optimizer: str) -> bool:
    """Whether ``optimizer.get_unscaled_gradients(...)`` (rewritten to ``scaler.unscale_``)
    comes before this apply statement in the function."""
    limit = code.position.get(id(apply_statement), len(code.statements))
    for statement in code.statements[:limit]:
        for node in _own_nodes(statement, cst.Call):
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "get_unscaled_gradients" and dotted_name(node.func.value) == optimizer:
                return True
    return False


def scaler_name(optimizer: str) -> str:
    """The GradScaler beside an optimizer: ``optimizer`` → ``scaler``, ``gen_optimizer`` →
    ``gen_scaler``, ``self.opt`` → ``self.scaler``, ``d_opt`` → ``d_opt_scaler``."""
    head, _, last = optimizer.rpartition(".")
    if last.endswith("optimizer"):
        last = last[: -len("optimizer")] + "scaler"
    elif last == "opt":
        last = "scaler"
    else:
        last += "_scaler"
    return f"{head}.{last}" if head else last


def _scaled_step(optimizer: cst.BaseExpression, before: list[cst.BaseStatement], unscaled: bool) -> list[cst.BaseStatement]:
    """``scaler.step(opt)`` and ``scaler.update()`` in place of ``opt.step()``: the scaler
    unscales the gradients (first, with ``unscale_``, where clipping must see them unscaled, as
    Keras clips the unscaled gradients), skips the step on inf/nan, and adjusts its scale."""
    opt = code_of(optimizer)
    scaler = scaler_name(opt)
    head = statements_code(f"{scaler}.unscale_({opt})\n") if before and not unscaled else []
    return [*head, *before, *statements_code(f"{scaler}.step({opt})\n{scaler}.update()\n")]


class ApplyGradients(Rule):
    id = "autodiff.apply_gradients"
    names = (
        "keras.optimizers.Optimizer.apply_gradients",
        "keras.optimizers.Optimizer.apply",
        "keras.optimizers.Optimizer.minimize",
        "keras.mixed_precision.LossScaleOptimizer.apply_gradients",
        "keras.mixed_precision.LossScaleOptimizer.apply",
    )
    summary = "`optimizer.apply_gradients(zip(grads, vars))` → `optimizer.step()` (after `loss.backward()`, or after setting each `.grad`)."
    why = (
        "A torch optimizer updates the parameters it was built over from their `.grad`. In a "
        "one-tape step the gradients are `loss.backward()`'s, between `zero_grad()` and "
        "`step()`; otherwise each gradient is assigned to its parameter's `.grad` (a None "
        "gradient leaves the parameter alone, as Keras skips it) and `step()` runs. What Keras "
        "does inside `apply_gradients` and torch leaves to the loop — clipping "
        "(`clipnorm` per variable, `global_clipnorm`, `clipvalue`), decoupled weight decay, a "
        "learning-rate schedule stepped per batch — is written around `step()` from the "
        "optimizer's own rewrite. `minimize(loss, var_list)` is the one-tape step in one call "
        "(a `lambda: ...` loss is evaluated first; a tensor loss is summed, as TF's tape does). "
        "The step of a LossScaleOptimizer is its GradScaler's: `scaler.step(opt)` (which "
        "unscales, and skips the update on inf/nan gradients) and `scaler.update()`, with "
        "`scaler.unscale_(opt)` first when clipping must see the unscaled gradients."
    )
    example = (
        "optimizer = tf.keras.optimizers.SGD(0.1)\n\n\n"
        "def step(x, y):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = loss_fn(model(x), y)\n"
        "    grads = tape.gradient(loss, model.trainable_variables)\n"
        "    grads = [g * 0.5 for g in grads]\n"
        "    optimizer.apply_gradients(zip(grads, model.trainable_variables))\n"
        "    return loss"
    )

    def rewrite_call(self, call_: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        statement = ctx.statement()  # type: ignore[attr-defined]
        original = bare_call(statement)
        if original is None:
            raise CannotMigrate("the optimizer step's return value is used; in torch `step()` returns nothing to use")
        optimizer = call_.func.value  # type: ignore[attr-defined]
        if qualified.endswith(".minimize"):
            ctx.replace_statement(self._minimize(call_, original, optimizer, ctx))  # type: ignore[attr-defined]
            return call_
        pairs_original, pairs = _pairs_of(original), _pairs_of(call_)
        if pairs_original is None or pairs is None:
            raise CannotMigrate("the step needs its gradients and variables as `zip(grads, vars)` pairs or `apply(grads, vars)`")
        code = _tape_code(ctx)
        step = _single_step(code, ctx)
        params = _parameters_of(pairs_original)
        plan = self._plan(optimizer, params, ctx)
        before = plan.before_step(optimizer, params, ctx) if plan is not None and params is not None else []
        after = plan.after_step() if plan is not None else []
        if plan is not None and params is None and (plan.clipnorm or plan.global_clipnorm or plan.clipvalue or plan.weight_decay):
            raise CannotMigrate("the optimizer clips or decays gradients, and the parameters it updates cannot be read from these pairs")
        opt = code_of(optimizer)
        if step is not None and step.apply is original:
            loss = scalar_target(step.loss, step.loss, code, step.gradient.index, ctx)
            head = statements_code(f"{opt}.zero_grad()\n{code_of(loss)}.backward()\n")
        else:
            taken = {n.value for n in _nodes(ctx.scope(), cst.Name)}  # type: ignore[attr-defined]
            grad, param = fresh("grad", taken), fresh("param", taken)
            if isinstance(pairs, cst.Call) and dotted_name(pairs.func) == "zip" and len(pairs.args) == 2:
                pairs = pairs.with_changes(args=[pairs.args[0], pairs.args[1].with_changes(value=as_parameter_list(pairs.args[1].value))])
            head = statements_code(f"for {grad}, {param} in {code_of(pairs)}:\n    {param}.grad = {grad}\n")
        if loss_scale_of(optimizer, ctx) is not None:
            unscaled = not (step is not None and step.apply is original) and _unscaled_before(code, statement, opt)
            steps = _scaled_step(optimizer, before, unscaled)
        else:
            steps = [*before, *statements_code(f"{opt}.step()\n")]
        ctx.replace_statement([*head, *steps, *_constraints_after(params, ctx), *after])  # type: ignore[attr-defined]
        return call_

    def _plan(self, optimizer: cst.BaseExpression, params: cst.BaseExpression | None, ctx: RuleContext):  # noqa: ANN202
        return _optimizer_plan(optimizer, params, ctx)

    def _minimize(self, call_: cst.Call, original: cst.Call, optimizer: cst.BaseExpression, ctx: RuleContext) -> list[cst.BaseStatement]:
        loss = argument(call_, "loss", 0)
        original_loss = argument(original, "loss", 0)
        variables = argument(call_, "var_list", 1)
        tape = argument(call_, "tape", 2)
        if loss is None or variables is None:
            raise CannotMigrate("`minimize` needs a loss and the variables it updates")
        value, original_value = loss.value, original_loss.value if original_loss is not None else loss.value
        if isinstance(value, cst.Lambda) and not value.params.params:
            value = value.body
            original_value = original_value.body if isinstance(original_value, cst.Lambda) else value
        elif tape is None:
            raise CannotMigrate(
                f"whether `{code_of(value)}` is a callable or a tensor cannot be read here; pass `lambda: ...` or the loss tensor with `tape=`"
            )
        plan = self._plan(optimizer, as_parameter_list(variables.value), ctx)
        params = _parameters_of(cst.Call(cst.Name("zip"), [cst.Arg(cst.Name("_")), cst.Arg(variables.value)]))
        before = plan.before_step(optimizer, params, ctx) if plan is not None and params is not None else []
        after = plan.after_step() if plan is not None else []
        opt = code_of(optimizer)
        scope = _scope_statements(ctx.scope())  # type: ignore[attr-defined]
        if not is_scalar(original_value, scope[: scope.index(ctx.statement())] if ctx.statement() in scope else scope, ctx):  # type: ignore[attr-defined]
            value = method(value, "sum")  # TF differentiates the sum of a tensor loss
        loss_code = code_of(value)
        if not isinstance(value, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
            loss_code = f"({loss_code})"
        return [
            *statements_code(f"{opt}.zero_grad()\n{loss_code}.backward()\n"),
            *before,
            *statements_code(f"{opt}.step()\n"),
            *after,
        ]


class TapeMethods(Rule):
    id = "autodiff.tape_methods"
    names = (
        "tf.GradientTape.watch",
        "tf.GradientTape.stop_recording",
        "tf.GradientTape.reset",
        "tf.GradientTape.jacobian",
        "tf.GradientTape.batch_jacobian",
        "tf.GradientTape.watched_variables",
    )
    summary = "`tape.watch(x)` → `x.requires_grad_(True)`; `with tape.stop_recording():` → `with torch.no_grad():`."
    why = (
        "A tape records operations on watched tensors (trainable variables are watched for "
        "you); torch records operations on tensors with `requires_grad`, so watching a "
        "constant is `requires_grad_(True)` on it before it is used. `stop_recording()` is "
        "`torch.no_grad()`. `jacobian`/`batch_jacobian` need the computation as a function in "
        "torch (`torch.autograd.functional.jacobian(f, x)` / `torch.func.jacrev`), so they stay "
        "TODOs, as do `reset()` and `watched_variables()`, which have no torch state to act on."
    )
    example = (
        "x = tf.constant(3.0)\n"
        "with tf.GradientTape() as tape:\n"
        "    tape.watch(x)\n"
        "    y = x * x\n"
        "dy_dx = tape.gradient(y, x)"
    )

    def rewrite_call(self, call_: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        name = qualified.rsplit(".", 1)[1]
        if name == "watch":
            if len(call_.args) != 1 or call_.args[0].keyword is not None or call_.args[0].star:
                raise CannotMigrate("`watch` takes the tensor to watch")
            value = call_.args[0].value
            if isinstance(value, (cst.List, cst.Tuple)):
                statement = ctx.statement()  # type: ignore[attr-defined]
                if bare_call(statement) is None:
                    raise CannotMigrate("the result of `watch` is used")
                ctx.replace_statement(  # type: ignore[attr-defined]
                    statements_code("".join(f"{code_of(e.value)}.requires_grad_(True)\n" for e in value.elements))
                )
                return call_
            return method(value, "requires_grad_", True)
        if name == "stop_recording" and not call_.args:
            return call(ctx.name("torch.no_grad"))
        reasons = {
            "jacobian": "torch computes Jacobians of functions, not of recorded values: `torch.autograd.functional.jacobian(f, x)` or `torch.func.jacrev(f)(x)`",
            "batch_jacobian": "torch computes Jacobians of functions: `torch.func.vmap(torch.func.jacrev(f))(x)` for per-example Jacobians",
            "reset": "torch keeps no tape to reset: drop the call and start the computation again",
            "watched_variables": "torch keeps no list of watched tensors: the tensors with `requires_grad` are the ones recorded",
        }
        raise CannotMigrate(reasons.get(name, f"`{name}` has no torch counterpart"))


class TrainableVariables(Rule):
    id = "autodiff.trainable_variables"
    names = (
        "keras.Model.trainable_variables",
        "keras.Model.trainable_weights",
        "keras.layers.Layer.trainable_variables",
        "keras.layers.Layer.trainable_weights",
        "tf.Module.trainable_variables",
    )
    summary = "`model.trainable_variables` → `list(model.parameters())`."
    why = (
        "A Keras model's trainable variables are the torch module's parameters, in the order "
        "their layers were created (the order `migrate weights` keeps). Non-trainable Keras "
        "variables (BatchNormalization's moving statistics, `tf.Variable(trainable=False)`) "
        "are buffers in torch, so they are not among the parameters either. A layer frozen "
        "with `requires_grad_(False)` still is: filter on `p.requires_grad` where that matters."
    )
    example = "model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(3,))])\nn = len(model.trainable_variables)"

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if not isinstance(node, cst.Attribute):
            raise CannotMigrate("only `model.trainable_variables` is migrated")
        return call(cst.Name("list"), method(node.value, "parameters"))


class TfModule(Rule):
    id = "autodiff.tf_module"
    names = ("tf.Module",)
    summary = "`class M(tf.Module)` → `class M(nn.Module)`: `__call__` → `forward`, `super().__init__()` first."
    why = (
        "A `tf.Module` tracks the variables and modules assigned to its attributes, as an "
        "`nn.Module` tracks parameters and submodules; `tf.Variable` attributes become "
        "`nn.Parameter`s (buffers when `trainable=False`). torch registers them through "
        "`nn.Module.__setattr__`, which needs `super().__init__()` to have run, so the call is "
        "put first in `__init__` (without TF's `name=`). `__call__` becomes `forward`, which "
        "`nn.Module.__call__` runs with its hooks; `self.trainable_variables` is "
        "`list(self.parameters())`. `name_scope`, `submodules` and `with_name_scope` name TF "
        "graph scopes and have no counterpart: they stay TODOs."
    )
    example = (
        "class Dense(tf.Module):\n"
        "    def __init__(self, in_features, out_features, name=None):\n"
        "        super().__init__(name=name)\n"
        "        self.w = tf.Variable(tf.random.normal([in_features, out_features]), name=\"w\")\n"
        "        self.b = tf.Variable(tf.zeros([out_features]), name=\"b\")\n\n"
        "    def __call__(self, x):\n"
        "        return tf.nn.relu(x @ self.w + self.b)"
    )

    def rewrite_class(self, node: cst.ClassDef, qualified: str, ctx: RuleContext) -> cst.ClassDef:
        if not isinstance(node.body, cst.IndentedBlock):
            raise CannotMigrate("a one-line class body; write it as a block first")
        for attribute in _nodes(node, cst.Attribute):
            if dotted_name(attribute) in ("self.name_scope", "self.submodules", "self.with_name_scope", "self.variables", "self.non_trainable_variables"):
                raise CannotMigrate(f"`{dotted_name(attribute)}` is a tf.Module feature nn.Module has no counterpart for")
        methods = {s.name.value: s for s in node.body.body if isinstance(s, cst.FunctionDef)}
        if "__call__" in methods and "forward" in methods:
            raise CannotMigrate("the class has both `__call__` and `forward`")
        body = []
        for statement in node.body.body:
            if isinstance(statement, cst.FunctionDef):
                if statement.name.value == "__init__":
                    statement = _with_super_init(statement)
                elif statement.name.value == "__call__":
                    statement = statement.with_changes(name=cst.Name("forward"))
                statement = statement.visit(_SelfTrainable())
            body.append(statement)
        bases = []
        for arg in node.bases:
            if not arg.keyword and _tail(arg.value) == "Module" and dotted_name(arg.value) != "nn.Module" and "torch" not in dotted_name(arg.value):
                arg = arg.with_changes(value=ctx.name("torch.nn.Module"))
            bases.append(arg)
        return node.with_changes(bases=bases, body=node.body.with_changes(body=body))


class _SelfTrainable(cst.CSTTransformer):
    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        if dotted_name(original_node) == "self.trainable_variables":
            return call(cst.Name("list"), method(cst.Name("self"), "parameters"))
        return updated_node


def _is_super_init(statement: cst.CSTNode) -> bool:
    call_ = bare_call(statement)
    return (
        call_ is not None
        and isinstance(call_.func, cst.Attribute)
        and call_.func.attr.value == "__init__"
        and isinstance(call_.func.value, cst.Call)
        and dotted_name(call_.func.value.func) == "super"
    )


def _with_super_init(function: cst.FunctionDef) -> cst.FunctionDef:
    """``super().__init__(name=name)`` → ``super().__init__()``, first in the body."""
    body = list(function.body.body)  # type: ignore[union-attr]
    start = 0
    if body and isinstance(body[0], cst.SimpleStatementLine) and isinstance(body[0].body[0], cst.Expr) and isinstance(body[0].body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
        start = 1  # the docstring stays first
    found = [i for i, s in enumerate(body) if _is_super_init(s)]
    line = statements_code("super().__init__()\n")[0]
    if found:
        i = found[0]
        line = line.with_changes(leading_lines=body[i].leading_lines)  # type: ignore[union-attr]
        call_ = bare_call(body[i])
        if call_ is not None and any(a.keyword is None or a.keyword.value != "name" for a in call_.args):
            raise CannotMigrate(f"`{code_of(call_)}` passes what nn.Module's constructor does not take")
        if i < start or any(_assigns_self(s) for s in body[start:i]):
            del body[i]
            body.insert(start, line)
        else:
            body[i] = line
    else:
        body.insert(start, line)
    return function.with_changes(body=function.body.with_changes(body=body))


def _assigns_self(statement: cst.CSTNode) -> bool:
    assign = _single_assign(statement)
    return assign is not None and dotted_name(assign.targets[0].target).startswith("self.")


class VariableMethods(Rule):
    id = "autodiff.variable_methods"
    names = (
        "tf.Variable.assign",
        "tf.Variable.assign_add",
        "tf.Variable.assign_sub",
        "tf.Variable.numpy",
        "tf.Variable.read_value",
        "tf.Variable.value",
    )
    summary = "`v.assign(x)` → `with torch.no_grad(): v.copy_(x)`; `assign_add`/`assign_sub` → `add_`/`sub_`; `v.numpy()` → `v.detach().cpu().numpy()`."
    why = (
        "A variable update is not part of the computation being differentiated, in TF as in "
        "torch, and torch refuses an in-place change of a parameter that requires gradients "
        "unless it happens under `torch.no_grad()`. `copy_` keeps the parameter object (an "
        "optimizer or module holding it sees the new value), as `assign` keeps the variable. "
        "`numpy()` needs the value detached from autograd and on the CPU; `read_value()`/"
        "`value()` are a copy of the current value (`clone()`). An update whose return value "
        "is used is left as a TODO: in TF it is the variable, in torch the statement returns "
        "nothing."
    )
    example = (
        "step = tf.Variable(0, trainable=False)\n"
        "w = tf.Variable([1.0, 2.0])\n"
        "step.assign_add(1)\n"
        "w.assign(w * 0.5)\n"
        "print(w.numpy())"
    )

    _UPDATE = {"assign": "copy_", "assign_add": "add_", "assign_sub": "sub_"}

    def rewrite_call(self, call_: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        name = qualified.rsplit(".", 1)[1]
        variable = call_.func.value  # type: ignore[attr-defined]
        if name in self._UPDATE:
            value = argument(call_, "value", 0)
            extra = [a for a in call_.args if a is not value and not (a.keyword and a.keyword.value in ("use_locking", "name", "read_value"))]
            if value is None or extra:
                raise CannotMigrate(f"`{name}` takes the new value (and `use_locking`/`name`, which torch does not need)")
            if bare_call(ctx.statement()) is None:  # type: ignore[attr-defined]
                raise CannotMigrate(f"the result of `{name}` is used; in torch the in-place update is a statement")
            new_value = value.value
            if isinstance(new_value, (cst.List, cst.Tuple)) or (
                name == "assign" and isinstance(new_value, (cst.Integer, cst.Float, cst.UnaryOperation))
            ):
                new_value = call(ctx.name("torch.as_tensor"), new_value)  # in-place ops take tensors
            update = code_of(method(variable, self._UPDATE[name], new_value))
            no_grad = code_of(ctx.name("torch.no_grad"))
            ctx.replace_statement(statements_code(f"with {no_grad}():\n    {update}\n"))  # type: ignore[attr-defined]
            return call_
        if call_.args:
            raise CannotMigrate(f"`{name}` takes no arguments")
        if name == "numpy":
            return method(method(method(variable, "detach"), "cpu"), "numpy")
        return method(variable, "clone")


class MixedPrecision(Rule):
    id = "autodiff.mixed_precision"
    names = ("keras.mixed_precision.set_global_policy", "keras.mixed_precision.set_policy")
    summary = "`keras.mixed_precision.set_global_policy(\"mixed_float16\")` → `MIXED_PRECISION_DTYPE` and `AUTOCAST_DEVICE` constants; tapes become `torch.autocast`."
    why = (
        "A Keras policy makes layers compute in float16 (or bfloat16) while their variables "
        "stay float32; torch does the same per operation inside `torch.autocast(device_type, "
        "dtype=...)`. The global switch goes (torch has no global policy): two constants take "
        "its place, the compute dtype and `AUTOCAST_DEVICE`, \"cuda\" when a GPU is there and "
        "\"cpu\" otherwise — autocast only acts on its own device type, so a fixed \"cuda\" "
        "would leave a CPU run in float32. A comment says where the autocast goes, and a "
        "GradientTape in the same file becomes `torch.autocast(device_type=AUTOCAST_DEVICE, "
        "dtype=MIXED_PRECISION_DTYPE)`. Keras scales the loss only through "
        "`LossScaleOptimizer` (which `fit` adds for you); its torch counterpart is a "
        "`torch.amp.GradScaler(AUTOCAST_DEVICE, init_scale=2.0**15)` (see "
        "`autodiff.loss_scale_optimizer`). `\"float32\"` is torch's default and the call "
        "simply goes; any other policy stays a TODO."
    )
    example = 'keras.mixed_precision.set_global_policy("mixed_float16")'

    def rewrite_call(self, call_: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if bare_call(ctx.statement()) is None or len(call_.args) != 1:  # type: ignore[attr-defined]
            raise CannotMigrate("only a `set_global_policy(\"...\")` statement is migrated")
        value = call_.args[0].value
        if isinstance(value, cst.Call) and value.args:
            value = value.args[0].value  # Policy("mixed_float16")
        policy = value.evaluated_value if isinstance(value, cst.SimpleString) else None
        if policy == "float32":
            ctx.replace_statement([])  # type: ignore[attr-defined]
            return call_
        dtype = _MIXED.get(str(policy))
        if dtype is None:
            raise CannotMigrate(f"policy `{code_of(value)}` is not one of mixed_float16, mixed_bfloat16, float32")
        autocast = code_of(ctx.name("torch.autocast"))
        torch_dtype = code_of(ctx.name(f"torch.{dtype}"))
        available = code_of(ctx.name("torch.cuda.is_available"))
        note = [
            f"Keras {policy} policy: torch has no global policy; run each forward pass under",
            f"`with {autocast}(device_type={_DEVICE_CONSTANT}, dtype={_DTYPE_CONSTANT}):` (variables stay float32).",
        ]
        if dtype == "float16":
            note[-1] = note[-1][:-1] + ","
            note.append("and scale the loss with a torch.amp.GradScaler(AUTOCAST_DEVICE, init_scale=2.0**15) where Keras used a LossScaleOptimizer.")
        statements = statements_code(
            f"{_DTYPE_CONSTANT} = {torch_dtype}\n{_DEVICE_CONSTANT} = \"cuda\" if {available}() else \"cpu\"\n"
        )
        comments = [cst.EmptyLine(comment=cst.Comment("# " + line)) for line in note]
        ctx.replace_statement([statements[0].with_changes(leading_lines=comments), statements[1]])  # type: ignore[attr-defined]
        return call_


_LOSS_SCALE_POSITIONS = ("inner_optimizer", "initial_scale", "dynamic_growth_steps")  # Keras 3
_LEGACY_LOSS_SCALE_POSITIONS = ("inner_optimizer", "dynamic", "initial_scale", "dynamic_growth_steps")  # tf.keras 2


def loss_scale_arguments(call_: cst.Call) -> tuple[cst.BaseExpression, cst.BaseExpression, cst.BaseExpression]:
    """A ``LossScaleOptimizer(...)`` call read in Keras 3's signature or tf.keras 2's (whose
    second positional argument is ``dynamic``): the inner optimizer, and the GradScaler's
    initial scale and growth interval, Keras's defaults (2**15, 2000) where not given. A fixed
    scale, or an argument GradScaler has no counterpart for, raises CannotMigrate."""
    positions = _LOSS_SCALE_POSITIONS
    if len(call_.args) > 1 and call_.args[1].keyword is None and _literal_bool(call_.args[1].value) is not None:
        positions = _LEGACY_LOSS_SCALE_POSITIONS
    bound: dict[str, cst.BaseExpression] = {}
    for i, arg in enumerate(call_.args):
        if arg.star:
            raise CannotMigrate(f"`{arg.star}{code_of(arg.value)}` hides which arguments are passed")
        name = arg.keyword.value if arg.keyword is not None else positions[i] if i < len(positions) else ""
        bound[name] = arg.value
    if "inner_optimizer" not in bound:
        raise CannotMigrate("the LossScaleOptimizer's inner optimizer cannot be read")
    unknown = set(bound) - {"inner_optimizer", "initial_scale", "dynamic_growth_steps", "dynamic", "name"}
    if unknown:
        raise CannotMigrate(f"`{sorted(unknown)[0]}=` has no GradScaler counterpart")
    if "dynamic" in bound and _literal_bool(bound["dynamic"]) is not True:
        raise CannotMigrate(
            "a fixed loss scale (`dynamic=False`): GradScaler's scale always moves; multiply the loss by "
            "the scale and divide the gradients by it by hand"
        )
    scale = bound.get("initial_scale")
    if scale is None or (isinstance(scale, cst.Name) and scale.value == "None"):
        scale = cst.parse_expression("2.0**15")
    growth = bound.get("dynamic_growth_steps")
    if growth is None or (isinstance(growth, cst.Name) and growth.value == "None"):
        growth = cst.Integer("2000")
    return bound["inner_optimizer"], scale, growth


class LossScaleOptimizer(Rule):
    id = "autodiff.loss_scale_optimizer"
    names = ("keras.mixed_precision.LossScaleOptimizer", "keras.optimizers.LossScaleOptimizer")
    returns = {name: _LOSS_SCALE_TYPE for name in names}
    summary = "`opt = LossScaleOptimizer(inner)` → `opt = inner` and `scaler = torch.amp.GradScaler(device, init_scale=2.0**15, growth_interval=2000)` beside it."
    why = (
        "Keras wraps the optimizer; torch keeps the optimizer and puts a `GradScaler` beside "
        "it, which does what the wrapper does: multiply the loss by the scale "
        "(`scaler.scale(loss)` for `scale_loss`/`get_scaled_loss`), divide the gradients by it "
        "(`scaler.unscale_(opt)` for `get_unscaled_gradients`, or inside `scaler.step`), skip "
        "the update when a gradient is inf or nan and halve the scale, and double it after "
        "`dynamic_growth_steps` finite steps (`scaler.step(opt)`, `scaler.update()` for "
        "`apply_gradients`). Keras's values are written out: `initial_scale` 2**15 (torch's "
        "default is 2**16) and `dynamic_growth_steps` 2000; the growth factor 2 and backoff 0.5 "
        "are both libraries' fixed defaults. The device is where autocast runs "
        "(`AUTOCAST_DEVICE`). An optimizer only given to `compile` gets its scaler from the "
        "rewritten `fit`, which reads the same values. A fixed scale (`dynamic=False`) stays a "
        "TODO: GradScaler's scale always moves."
    )
    example = (
        'keras.mixed_precision.set_global_policy("mixed_float16")\n'
        "model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])\n"
        "optimizer = keras.mixed_precision.LossScaleOptimizer(keras.optimizers.SGD(0.1))\n\n\n"
        "def train_step(x, y):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = tf.reduce_mean(tf.square(model(x) - y))\n"
        "        scaled_loss = optimizer.scale_loss(loss)\n"
        "    grads = tape.gradient(scaled_loss, model.trainable_variables)\n"
        "    optimizer.apply_gradients(zip(grads, model.trainable_variables))\n"
        "    return loss"
    )

    def rewrite_call(self, call_: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        assign = _single_assign(ctx.statement())  # type: ignore[attr-defined]
        target = dotted_name(assign.targets[0].target) if assign is not None else ""
        if assign is None or not target or not _is_assigned_call(assign):
            raise CannotMigrate("only `name = LossScaleOptimizer(...)` is migrated: the GradScaler needs a name beside the optimizer's")
        from migrate.rules.keras_optimizers import assigned_value

        scaler_target = scaler_name(target)
        if assigned_value(scaler_target, ctx) is not None:
            raise CannotMigrate(f"the GradScaler would be `{scaler_target}`, a name this file already uses")
        inner, scale, growth = loss_scale_arguments(call_)
        scaler = code_of(
            call(ctx.name("torch.amp.GradScaler"), _device(ctx), init_scale=scale, growth_interval=growth)
        )
        if not _only_compiled(target, ctx):  # `fit`'s rewrite writes the scaler of a compiled one
            ctx.insert_after(statements_code(f"{scaler_target} = {scaler}\n"))  # type: ignore[attr-defined]
        return inner


def _only_compiled(optimizer: str, ctx: RuleContext) -> bool:
    """Whether the optimizer is given to ``model.compile(optimizer=...)`` and never stepped by
    the file's own loops: the rewritten ``fit`` then builds the GradScaler from the same
    LossScaleOptimizer, and a second one here would go unused."""
    compiled = stepped = False
    for node in _nodes(ctx.module(), cst.Call):  # type: ignore[attr-defined]
        if not isinstance(node.func, cst.Attribute):
            continue
        method_name = node.func.attr.value
        if method_name == "compile":
            given = argument(node, "optimizer", 0)
            compiled = compiled or (given is not None and dotted_name(given.value) == optimizer)
        elif dotted_name(node.func.value) == optimizer and method_name in (
            "apply_gradients", "apply", "minimize", "scale_loss", "get_scaled_loss", "get_unscaled_gradients",
        ):
            stepped = True
    return compiled and not stepped


def _is_assigned_call(assign: cst.Assign) -> bool:
    """Whether the assignment's whole value is the LossScaleOptimizer call (not a call that
    holds it), so that the name it binds is the optimizer's."""
    value = assign.value
    return isinstance(value, cst.Call) and _tail(value.func) == "LossScaleOptimizer"


def _device(ctx: RuleContext) -> cst.BaseExpression:
    """The device type autocast and GradScaler act on: the constant a policy line became, or
    the same choice written out when the file sets no policy."""
    if _mixed_dtype(ctx.module()) is not None:  # type: ignore[attr-defined]
        return cst.Name(_DEVICE_CONSTANT)
    available = code_of(ctx.name("torch.cuda.is_available"))
    return cst.parse_expression(f'"cuda" if {available}() else "cpu"')


class LossScaleMethods(Rule):
    id = "autodiff.loss_scale_methods"
    names = (
        f"{_LOSS_SCALE_TYPE}.scale_loss",
        f"{_LOSS_SCALE_TYPE}.get_scaled_loss",
        f"{_LOSS_SCALE_TYPE}.get_unscaled_gradients",
    )
    summary = "`opt.scale_loss(loss)` → `scaler.scale(loss)`; `grads = opt.get_unscaled_gradients(scaled)` → `scaler.unscale_(opt)` on the parameters' `.grad`."
    why = (
        "The loss is multiplied by the current scale in both libraries. Unscaling differs in "
        "form: Keras divides a list of gradients, torch's `GradScaler` divides the `.grad` of "
        "the optimizer's parameters in place (`unscale_`) and records whether one was inf or "
        "nan, which the following `scaler.step(opt)` reads to skip the update. So the scaled "
        "gradients are put on the parameters, unscaled there, and read back into the same "
        "name; the `apply_gradients` that follows becomes `scaler.step(opt)` and "
        "`scaler.update()`. Unscaled gradients that go anywhere but that optimizer's "
        "`apply_gradients` stay a TODO."
    )
    example = (
        "optimizer = keras.mixed_precision.LossScaleOptimizer(keras.optimizers.SGD(0.1))\n\n\n"
        "def train_step(x, y):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = tf.reduce_mean(tf.square(model(x) - y))\n"
        "        scaled_loss = optimizer.get_scaled_loss(loss)\n"
        "    scaled_grads = tape.gradient(scaled_loss, model.trainable_variables)\n"
        "    grads = optimizer.get_unscaled_gradients(scaled_grads)\n"
        "    optimizer.apply_gradients(zip(grads, model.trainable_variables))\n"
        "    return loss"
    )

    def rewrite_call(self, call_: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        name = qualified.rsplit(".", 1)[1]
        optimizer = call_.func.value  # type: ignore[attr-defined]
        if loss_scale_of(optimizer, ctx) is None:
            raise CannotMigrate(f"`{code_of(optimizer)}` is not a LossScaleOptimizer built in this file")
        scaler = cst.parse_expression(scaler_name(dotted_name(optimizer)))
        if len(call_.args) != 1 or call_.args[0].keyword is not None or call_.args[0].star:
            raise CannotMigrate(f"`{name}` takes one positional argument")
        if name != "get_unscaled_gradients":
            return method(scaler, "scale", call_.args[0].value)
        return self._unscale(call_, optimizer, scaler, ctx)

    def _unscale(self, call_: cst.Call, optimizer: cst.BaseExpression, scaler: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
        assign = _single_assign(ctx.statement())  # type: ignore[attr-defined]
        if assign is None or not isinstance(assign.targets[0].target, cst.Name) or not isinstance(call_.args[0].value, cst.Name):
            raise CannotMigrate("only `grads = optimizer.get_unscaled_gradients(scaled_grads)` is migrated")
        grads, scaled = assign.targets[0].target.value, code_of(call_.args[0].value)
        code = _tape_code(ctx)
        step = _single_step(code, ctx)
        if step is not None and step.unscale is ctx.statement():  # type: ignore[attr-defined]
            ctx.replace_statement([])  # type: ignore[attr-defined]  # `scaler.step` unscales
            return call_
        opt = dotted_name(optimizer)
        variables = None
        for statement in code.statements:
            for node in _own_nodes(statement, cst.Call):
                if isinstance(node.func, cst.Attribute) and dotted_name(node.func.value) == opt:
                    pairs = _pairs_of(node)
                    if pairs is not None and isinstance(pairs, cst.Call) and dotted_name(pairs.args[0].value) == grads:
                        variables = pairs.args[1].value
        if variables is None:
            raise CannotMigrate(
                f"the unscaled gradients go somewhere other than `{opt}.apply_gradients(zip({grads}, ...))`; torch "
                "unscales the `.grad` of the optimizer's parameters (`scaler.unscale_(opt)`)"
            )
        params = code_of(as_parameter_list(variables))
        readable = _parameters_of(cst.Call(cst.Name("zip"), [cst.Arg(cst.Name(grads)), cst.Arg(variables)]))
        params_again = code_of(readable) if readable is not None else params
        taken = {n.value for n in _nodes(ctx.scope(), cst.Name)}  # type: ignore[attr-defined]
        grad, param = fresh("grad", taken), fresh("param", taken)
        s = code_of(scaler)
        ctx.replace_statement(  # type: ignore[attr-defined]
            statements_code(
                f"for {grad}, {param} in zip({scaled}, {params}):\n    {param}.grad = {grad}\n"
                f"{s}.unscale_({code_of(optimizer)})\n"
                f"{grads} = [{param}.grad for {param} in {params_again}]\n"
            )
        )
        ctx.consume(variables)  # type: ignore[attr-defined]
        return call_


RULES = [
    GradientTape(),
    TapeGradient(),
    TapeMethods(),
    ApplyGradients(),
    TrainableVariables(),
    TfModule(),
    VariableMethods(),
    MixedPrecision(),
    LossScaleOptimizer(),
    LossScaleMethods(),
]
