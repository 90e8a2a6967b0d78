"""Subclassed models and layers: ``class M(keras.Model)`` / ``class L(keras.layers.Layer)``.

A structural rule: the engine hands it the whole class after the sites inside it are
rewritten. It makes the class an ``nn.Module``: ``call`` becomes ``forward``, the
``training`` argument becomes the module's own ``self.training`` (set by ``.train()`` /
``.eval()``), sub-layers are no longer told ``training=``, and Keras-only constructor
arguments no longer reach ``nn.Module.__init__``. A custom layer's ``build`` and
``add_weight`` are ``rules/keras_custom_layers.py``'s part.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from migrate.rules.base import CannotMigrate, Rule, RuleContext
from migrate.rules.keras_functional import functional_model, functional_subclass
from migrate.rules.keras_custom_layers import contains, is_add_weight, rewrite_custom_layer

_TRAINING = "training"


def _methods(body: Sequence[cst.BaseStatement]) -> dict[str, cst.FunctionDef]:
    return {s.name.value: s for s in body if isinstance(s, cst.FunctionDef)}


def _dotted_tail(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


#: Keras constructor arguments that only name or type the layer: nn.Module has no use for them.
_LAYER_ONLY_KEYWORDS = frozenset({"name", "dtype", "autocast", "dynamic", "input_shape", "batch_input_shape", "input_dim"})


class _SuperInit(cst.CSTTransformer):
    """``super().__init__(**kwargs)`` → ``super().__init__()``: ``nn.Module`` takes no
    ``name=`` or ``dtype=``. An argument with a meaning (``activity_regularizer=``,
    ``trainable=False``, a functional model's ``inputs=``/``outputs=``) is a TODO instead."""

    def __init__(self, ctx: RuleContext):
        super().__init__()
        self.ctx = ctx

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        func = updated_node.func
        if not (
            isinstance(func, cst.Attribute)
            and func.attr.value == "__init__"
            and isinstance(func.value, cst.Call)
            and isinstance(func.value.func, cst.Name)
            and func.value.func.value == "super"
        ):
            return updated_node
        for arg in updated_node.args:
            if arg.star == "**" or (arg.keyword and arg.keyword.value in _LAYER_ONLY_KEYWORDS):
                continue
            if arg.keyword and arg.keyword.value == "trainable" and _is_true(arg.value):
                continue
            raise CannotMigrate(
                f"`super().__init__({self.ctx.source(arg)})` means something nn.Module cannot "
                "take (a regularizer is a loss term, `trainable=False` is `requires_grad_(False)`, "
                "`inputs=`/`outputs=` a functional model): move it by hand"
            )
        for arg in original_node.args:  # the nodes the engine knows (this walk copies them)
            self.ctx.consume(arg.value)  # dropped: TODOs inside it no longer apply
        return updated_node.with_changes(args=[])


def _is_true(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


class _SuperGetConfig(cst.CSTTransformer):
    """``super().get_config()`` → ``{}``: ``nn.Module`` has no config of its own."""

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = updated_node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "get_config"
            and isinstance(func.value, cst.Call)
            and isinstance(func.value.func, cst.Name)
            and func.value.func.value == "super"
        ):
            return cst.Dict([])
        return updated_node


class _TrainingFlag(cst.CSTTransformer):
    """Inside ``forward``: the ``training`` argument is ``self.training``, and calls of
    sub-layers (``self.dropout(x, training=training)``) lose ``training=``; calls of the
    class's own methods keep it (they take it as a plain argument)."""

    def __init__(self, own_methods: set[str]):
        super().__init__()
        self.own_methods = own_methods

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a nested function: its own `training` is its own business

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return not any(p.name.value == _TRAINING for p in node.params.params)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        func = updated_node.func
        if not (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value == "self"
            and func.attr.value not in self.own_methods
        ):
            return updated_node
        # `self.dropout(x, training=training)` and `self.dropout(x, training)` alike.
        args = [
            new
            for old, new in zip(original_node.args, updated_node.args)
            if not (old.keyword and old.keyword.value == _TRAINING)
            and not (old.keyword is None and not old.star and isinstance(old.value, cst.Name) and old.value.value == _TRAINING)
        ]
        if len(args) == len(updated_node.args):
            return updated_node
        if args:
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(args=args)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if updated_node.value == _TRAINING:
            return cst.Attribute(cst.Name("self"), cst.Name(_TRAINING))
        return updated_node

    # Names that are not reads of the variable (a keyword, an attribute) keep their name.
    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        return updated_node.with_changes(keyword=original_node.keyword)

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.Attribute:
        return updated_node.with_changes(attr=original_node.attr)


def _without_training_param(params: cst.Parameters) -> tuple[cst.Parameters, bool]:
    kept = [p for p in params.params if p.name.value != _TRAINING]
    kwonly = [p for p in params.kwonly_params if p.name.value != _TRAINING]
    removed = len(kept) != len(params.params) or len(kwonly) != len(params.kwonly_params)
    if kept and len(kept) != len(params.params) and not kwonly and isinstance(params.star_arg, cst.MaybeSentinel) and params.star_kwarg is None:
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    star_arg = params.star_arg
    if not kwonly and isinstance(star_arg, cst.ParamStar):
        star_arg = cst.MaybeSentinel.DEFAULT  # a bare `*` needs a keyword-only parameter after it
        if kept and params.star_kwarg is None:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return params.with_changes(params=kept, kwonly_params=kwonly, star_arg=star_arg), removed


def _assigns_training(node: cst.CSTNode) -> bool:
    """Whether ``training`` is rebound (``training = …``): then it is not the module's mode."""
    found = False

    class Finder(cst.CSTVisitor):
        def visit_AssignTarget(self, target: cst.AssignTarget) -> None:
            nonlocal found
            found |= isinstance(target.target, cst.Name) and target.target.value == _TRAINING

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            nonlocal found
            found |= isinstance(node.target, cst.Name) and node.target.value == _TRAINING

        def visit_FunctionDef(self, function: cst.FunctionDef) -> bool:
            return False

    node.visit(Finder())
    return found


class SubclassedModule(Rule):
    id = "models.subclass"
    names = ("keras.Model", "keras.models.Model", "keras.layers.Layer", "keras.Layer")
    summary = (
        "`class M(keras.Model)` / `class L(keras.layers.Layer)` → `class M(nn.Module)` with `forward`; "
        "a functional `keras.Model(inputs, outputs)` → a generated nn.Module class."
    )
    why = (
        "A Keras model or layer subclass and a torch module have the same shape: sub-layers "
        "created in `__init__`, the computation in one method. `call` becomes `forward`. Keras "
        "passes `training` to every call; torch keeps it as module state (`model.train()` / "
        "`model.eval()`), so the argument becomes `self.training` and sub-layer calls no longer "
        "pass `training=` (calls of the class's own helper methods keep it, with the value "
        "`self.training`). `super().__init__(**kwargs)` loses its arguments (`nn.Module` takes no "
        "`name=`/`dtype=`), and `super().get_config()` is `{}`, so `get_config` keeps working "
        "as a plain method. A custom layer's `self.<attr> = self.add_weight(shape=..., ...)` becomes "
        "an `nn.Parameter` of the Keras shape, initialised as Keras would (the `initializer=`, "
        "glorot_uniform by default, written as `nn.init`/`torch` calls with Keras's fans); a "
        "`name=` other than the attribute renames the attribute, so the state_dict key is "
        "`<layer>.<Keras weight name>`. When `build` does not read its input shape its body moves "
        "to `__init__` (concrete sizes); when it does, the weights are lazy like `nn.LazyLinear`: "
        "`nn.UninitializedParameter` in `__init__`, the class takes `LazyModuleMixin`, and "
        "`initialize_parameters` calls `build` with the first input's shape (or `load_state_dict` "
        "sizes them). `regularizer=` L1/L2 becomes a `regularization_penalty()` method the training "
        "loop adds to the loss, `constraint='non_neg'` an `apply_constraints()` method to call "
        "after `optimizer.step()`. `compute_output_shape` and `self.input_spec = ...` are dropped "
        "with a note (Keras's machinery read them; torch has none). A functional model, "
        "`keras.Model(inputs, outputs)`, is traced from its outputs back to its `keras.Input` lines "
        "and becomes a class defined above it (`rules/keras_functional.py`): layers as modules keyed "
        "by their Keras names and sized from the inputs' shapes, `forward` replaying the graph, the "
        "enclosing function's names the layers use as constructor arguments; a graph built in a "
        "loop or with TF ops between layers is a TODO pointing to `migrate model`."
    )
    example = (
        "import tensorflow as tf\n\n\n"
        "class Classifier(tf.keras.Model):\n"
        "    def __init__(self, hidden, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.hidden = hidden\n\n"
        "    def call(self, inputs, training=None):\n"
        "        x = self.body(inputs, training=training)\n"
        "        if training:\n"
        "            x = x * 0.5\n"
        "        return x\n\n\n"
        "class Scale(tf.keras.layers.Layer):\n"
        "    def build(self, input_shape):\n"
        "        self.gamma = self.add_weight(shape=(input_shape[-1],), initializer=\"ones\", name=\"gamma\")\n\n"
        "    def call(self, x):\n"
        "        return x * self.gamma\n\n\n"
        "def build_head(classes):\n"
        "    inputs = tf.keras.Input(shape=(64,))\n"
        "    x = tf.keras.layers.Dense(32, activation=\"relu\")(inputs)\n"
        "    outputs = tf.keras.layers.Dense(classes, name=\"logits\")(x)\n"
        "    return tf.keras.Model(inputs, outputs, name=\"head\")\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if qualified in ("keras.Model", "keras.models.Model"):
            # The functional style: `keras.Model(inputs, outputs)` after `x = layer(x)` lines.
            return functional_model(call, ctx)
        return super().rewrite_call(call, qualified, ctx)

    def rewrite_class(self, node: cst.ClassDef, qualified: str, ctx: RuleContext) -> cst.ClassDef:
        if not isinstance(node.body, cst.IndentedBlock):
            raise CannotMigrate("a one-line class body; write it as a block first")
        statements = functional_subclass(node, ctx) or list(node.body.body)
        lazy = False
        if any(contains(s, is_add_weight) for s in statements) or "build" in _methods(statements):
            statements, lazy = rewrite_custom_layer(statements, ctx)
        methods = _methods(statements)
        body = [self._method(s, set(methods), ctx) if isinstance(s, cst.FunctionDef) else s for s in statements]
        bases = self._bases(node, qualified, ctx)
        if lazy:  # weights sized on the first call: torch's Lazy-module machinery (see keras_custom_layers)
            bases.insert(0, cst.Arg(ctx.name("torch.nn.modules.lazy.LazyModuleMixin"), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))))
        return node.with_changes(bases=bases, body=node.body.with_changes(body=body))

    def _bases(self, node: cst.ClassDef, qualified: str, ctx: RuleContext) -> list[cst.Arg]:
        tail = qualified.rsplit(".", 1)[1]
        bases = list(node.bases)
        for i, arg in enumerate(bases):
            if not arg.keyword and _dotted_tail(arg.value) == tail:
                bases[i] = arg.with_changes(value=ctx.name("torch.nn.Module"))
                return bases
        raise CannotMigrate(f"the `{tail}` base of the class could not be found")

    def _method(self, function: cst.FunctionDef, own: set[str], ctx: RuleContext) -> cst.FunctionDef:
        name = function.name.value
        if name == "__init__":
            return function.visit(_SuperInit(ctx))  # type: ignore[return-value]
        if name == "get_config":
            return function.visit(_SuperGetConfig())  # type: ignore[return-value]
        if name != "call":
            return function
        if _assigns_training(function.body):
            raise CannotMigrate("`call` assigns to `training`; it cannot become the module's `self.training`")
        params, _ = _without_training_param(function.params)
        body = function.body.visit(_TrainingFlag(own - {"call"}))
        return function.with_changes(name=cst.Name("forward"), params=params, body=body)


class SerializableRegistration(Rule):
    id = "models.serializable"
    names = ("keras.saving.register_keras_serializable", "keras.utils.register_keras_serializable")
    summary = "`@keras.saving.register_keras_serializable()` is removed: torch saves weights, not classes by name."
    why = (
        "Keras registers a custom class under a name so that `load_model` can rebuild it from "
        "its `get_config()`. A torch model is rebuilt by calling its class and loading a "
        "`state_dict`, so the registry has no counterpart; the decorator goes. `get_config` / "
        "`from_config` stay as plain methods: their values are the constructor's arguments, "
        "`cls(**config)` still builds the module."
    )
    example = (
        "import keras\n\n\n"
        "@keras.saving.register_keras_serializable(package=\"demo\")\n"
        "class Offset(keras.layers.Layer):\n"
        "    def __init__(self, value=1.0, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.value = value\n\n"
        "    def call(self, x):\n"
        "        return x + self.value\n\n"
        "    def get_config(self):\n"
        "        return {**super().get_config(), \"value\": self.value}\n"
    )

    def rewrite_decorator(self, decorator: cst.Decorator, qualified: str, ctx: RuleContext) -> cst.Decorator | None:
        return None

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        raise CannotMigrate("registering a class for Keras deserialisation has no torch counterpart: torch rebuilds a module by calling its class")


class CallWithTraining(Rule):
    id = "models.call_training"
    names = ("keras.Model.__call__", "keras.layers.Layer.__call__")
    summary = "`model(x, training=True)` → `model.train()(x)`; `training=False` → `model.eval()(x)`."
    why = (
        "A migrated model is an `nn.Module` whose `forward` reads `self.training`, so it takes "
        "no `training=` argument: a call that passes one would raise `TypeError`. The mode is "
        "the module's own, set by `.train(mode)`, which returns the module, so "
        "`model.train()(x)` is the same call in the same mode. One difference: Keras's flag "
        "holds for that call only, the module's mode stays until changed (custom loops that "
        "pass `training=` on every call behave the same). Inside a class the subclass rule "
        "drops `training=` from sub-layer calls instead, since the parent's mode reaches them. "
        "`mask=` has no counterpart and is a TODO unless it is `None`. Outside the model's "
        "own code (a custom loop, the data boundary), a call of a model the file builds from "
        "images — a Sequential, a functional model or a subclass whose layers are 2-D (1-D, "
        "3-D) convolutions or pools — permutes its input once, as `fit` does: "
        "`model(images.permute(0, 3, 1, 2))`, since the migrated model is channels-first "
        "(and a Sequential that answers a map permutes it back)."
    )
    example = (
        "model = keras.Sequential([keras.layers.Dense(2)])\n"
        "logits = model(images, training=True)\n"
        "val = model(images, training=False)\n"
        "flagged = model(images, training=is_training)\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if not isinstance(call.func, cst.Name):
            return call  # `self.block(x, training=...)`: the subclass rule's business
        return _at_the_data_boundary(self._with_mode(call), call.func.value, ctx)

    @staticmethod
    def _with_mode(call: cst.Call) -> cst.Call:
        kept, mode = [], None
        for arg in call.args:
            keyword = arg.keyword.value if arg.keyword else None
            if keyword == "training":
                mode = arg.value
            elif keyword == "mask":
                if not (isinstance(arg.value, cst.Name) and arg.value.value == "None"):
                    raise CannotMigrate("`mask=` has no nn.Module counterpart: pass the mask to `forward` by hand")
            else:
                kept.append(arg)
        if mode is None:
            if len(kept) == len(call.args):
                return call
            return call.with_changes(args=_without_trailing_comma(kept))
        if isinstance(mode, cst.Name) and mode.value == "None":
            module: cst.BaseExpression = call.func
        elif isinstance(mode, cst.Name) and mode.value in ("True", "False"):
            method = "train" if mode.value == "True" else "eval"
            module = cst.Call(cst.Attribute(call.func, cst.Name(method)))
        else:
            module = cst.Call(cst.Attribute(call.func, cst.Name("train")), [cst.Arg(mode)])
        return call.with_changes(func=module, args=_without_trailing_comma(kept))


_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)


def _permuted(value: cst.BaseExpression, permutation: tuple[int, ...]) -> cst.Call:
    if not isinstance(value, _ATOMS) or value.lpar:
        value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]) if not value.lpar else value
    return cst.Call(cst.Attribute(value, cst.Name("permute")), [cst.Arg(cst.Integer(str(axis))) for axis in permutation])


def _in_a_class(ctx: RuleContext) -> bool:
    """The site is in a method: the model's own code, where tensors are channels-first already."""
    scope = ctx.scope()
    if isinstance(scope, cst.Module):
        return False
    return any(
        isinstance(statement, cst.ClassDef) and contains(statement, lambda node: node is scope) for statement in ctx.module().body
    )


def _at_the_data_boundary(call: cst.Call, model: str, ctx: RuleContext) -> cst.BaseExpression:
    """``model(images)`` with the batch permuted to the migrated model's channels-first layout
    (and its output back, for a Sequential that answers a map), as fit's loop does."""
    # Read-only use of the fit rule's knowledge of what a model of the file reads.
    from migrate.rules.keras_training import _model_output_permutation, _model_permutation

    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    if len(positional) != 1 or _in_a_class(ctx):
        return call
    permutation = _model_permutation(model, ctx)
    if permutation is None:
        return call
    args = [arg.with_changes(value=_permuted(arg.value, permutation)) if arg is positional[0] else arg for arg in call.args]
    answer: cst.BaseExpression = call.with_changes(args=args)
    back = _model_output_permutation(model, ctx)
    return _permuted(answer, back) if back is not None else answer


def _without_trailing_comma(args: list[cst.Arg]) -> list[cst.Arg]:
    if args and args[-1].comma is not cst.MaybeSentinel.DEFAULT:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return args


RULES = [SubclassedModule(), SerializableRegistration(), CallWithTraining()]
