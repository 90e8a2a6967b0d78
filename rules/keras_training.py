"""``model.compile`` / ``fit`` / ``evaluate`` / ``predict`` (and the ``*_on_batch`` forms) →
an explicit PyTorch training loop in the user's file.

PyTorch has no ``fit``: the loop is the user's code. So:

* ``model.compile(optimizer, loss, metrics)`` becomes the statements the loop needs: the device
  (``cuda`` when there is one), ``model.to(device)``, the torch optimizer (and its per-batch
  LR scheduler), ``def loss_fn(y_true, y_pred)`` and a ``metrics`` dict — built by the optimizer,
  loss and metric tables (``rules/keras_optimizers.py``, ``keras_losses.py``, ``keras_metrics.py``).
  Their names are derived from the model's (``model`` → ``optimizer``, ``loss_fn``, ``metrics``;
  ``critic`` → ``critic_optimizer``…), so ``fit`` finds them again.
* ``history = model.fit(...)`` becomes ``history = fit(model, optimizer, loss_fn, ...)``: a
  module-level function written into the file once, holding only what that call uses
  (validation, callbacks, metrics, gradient clipping, a schedule, ``initial_epoch``,
  ``steps_per_epoch``, class and sample weights), with Keras's defaults written at the call (``batch_size=32``,
  ``shuffle=True``). A function rather than an inline loop: a script often calls ``fit`` more
  than once, and the loop then reads once, under its own name, like the Keras call it replaces.
  Calls that need a different loop get their own (``fit_2``).

The loop follows Keras 3's order: callbacks' ``on_train_begin``; per epoch ``on_epoch_begin``,
``model.train()``, per batch the step and ``on_train_batch_end`` with the running means
(each batch weighted by its size, as Keras's ``Mean`` metrics weigh them), ``stop_training``
checked after each batch; then validation in ``model.eval()`` under ``torch.no_grad()``, the
``val_`` logs, ``on_epoch_end``, the History; ``on_train_end`` last.
"""

from __future__ import annotations

import re
import textwrap
import weakref
from dataclasses import dataclass, field
from typing import Any, Sequence

import libcst as cst

from migrate.rules.base import NOT_LITERAL, CannotMigrate, Rule, RuleContext, code_of, dotted_name, literal_or, parse_signature, top_level_names
from migrate.rules import keras_regularizers as regularizers
from migrate.rules.keras_losses import LossPlan, torch_loss
from migrate.rules.keras_metrics import OBJECT_CLASSES, keras_default_name, object_constructor, torch_metric
from migrate.rules.keras_optimizers import OptimizerPlan, scheduler_name, torch_optimizer
from migrate.rules.tf_autodiff import _DTYPE_CONSTANT, _mixed_dtype, loss_scale_arguments
from migrate.rules.tf_distribute import replica_batches, under_strategy

_MODEL_TYPE = "keras.Model"
_DATASET_TYPE = "tensorflow.data.Dataset"


def _spell(ctx: RuleContext, qualified: str) -> str:
    return code_of(ctx.name(qualified))


def _statements(text: str) -> list[cst.BaseStatement]:
    return list(cst.parse_module(text).body)


def _signature(name: str, params: Sequence[str]) -> str:
    """``def name(params):``, the parameters wrapped over lines when they do not fit in 100."""
    line = f"def {name}({', '.join(params)}):"
    if len(line) <= 100:
        return line + "\n"
    rows: list[str] = []
    for param in params:
        if rows and len(rows[-1]) + len(param) + 2 <= 92:
            rows[-1] += f" {param},"
        else:
            rows.append(f"    {param},")
    return f"def {name}(\n" + "\n".join(rows) + "\n):\n"


def _indent(lines: Sequence[str], depth: int) -> str:
    pad = "    " * depth
    return "".join(pad + line + "\n" if line else "\n" for text in lines for line in text.splitlines())


# ---------------------------------------------------------------------------------------
# Binding a method call to its Keras signature.

#: tf.keras 2's knobs of its own input queue: the migrated loop has none (a DataLoader's
#: `num_workers` is the counterpart, chosen where the data is built), so they are dropped.
_FEEDING = ", max_queue_size=10, workers=1, use_multiprocessing=False"

_SIGNATURES = {
    "compile": 'optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None, run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True',
    "fit": 'x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1' + _FEEDING,
    "evaluate": 'x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None, callbacks=None, return_dict=False' + _FEEDING,
    "predict": 'x, batch_size=None, verbose="auto", steps=None, callbacks=None' + _FEEDING,
    "train_on_batch": "x, y=None, sample_weight=None, class_weight=None, return_dict=False",
    "test_on_batch": "x, y=None, sample_weight=None, return_dict=False",
    "predict_on_batch": "x",
    "summary": "line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False, layer_range=None",
}
_PARAMS = {method: parse_signature(text) for method, text in _SIGNATURES.items()}


def _bind(call: cst.Call, method: str, ctx: RuleContext) -> dict[str, cst.BaseExpression]:
    params = _PARAMS[method]
    names = [p.name for p in params]
    bound: dict[str, cst.BaseExpression] = {}
    for i, arg in enumerate(call.args):
        if arg.star:
            raise CannotMigrate(f"`{arg.star}{ctx.source(arg.value)}` hides which arguments are passed")
        if arg.keyword is None:
            if i >= len(names):
                raise CannotMigrate(f"more positional arguments than `{method}` takes")
            bound[names[i]] = arg.value
        elif arg.keyword.value in names:
            bound[arg.keyword.value] = arg.value
        else:
            raise CannotMigrate(f"unknown argument `{arg.keyword.value}=` of `{method}`")
    for p in params:
        if not p.has_default and p.name not in bound:
            raise CannotMigrate(f"required argument `{p.name}` is missing")
    return bound


def _is_default(node: cst.BaseExpression | None, default: Any) -> bool:
    value = literal_or(node, default)
    return value is not NOT_LITERAL and type(value) is type(default) and value == default


def _original_call(ctx: RuleContext, method: str) -> cst.Call:
    """The site's call as parsed (before the rules inside it ran): what the builders read."""
    found: list[cst.Call] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == method:
                found.append(node)

    ctx.statement().visit(Finder())
    if not found:
        raise CannotMigrate(f"the `.{method}(...)` call could not be found in its statement")
    return found[0]


def _receiver(call: cst.Call, ctx: RuleContext) -> str:
    func = call.func
    assert isinstance(func, cst.Attribute)
    if not isinstance(func.value, cst.Name):
        raise CannotMigrate(
            f"the model `{ctx.source(func.value)}` is not a plain name; the loop's optimizer and "
            "loss are named after the model's variable"
        )
    return func.value.value


# ---------------------------------------------------------------------------------------
# What `compile` makes, and how `fit` finds it again.


@dataclass
class Compiled:
    """The names ``compile`` gives the optimizer, scheduler, loss and metrics of a model."""

    model: str
    optimizer: str
    scheduler: str | None
    loss: str
    metrics: str | None
    plan: OptimizerPlan
    loss_plan: LossPlan
    metric_entries: list[str] = field(default_factory=list)
    #: Some metric keeps counts across batches (AUC, Precision…): an object with Keras's
    #: update_state/result/reset_state, which the loop resets per epoch and logs `result()` of.
    stateful_metrics: bool = False
    #: A `fit` of this model passes `class_weight` or `sample_weight`: `loss_fn` takes
    #: per-example weights.
    weighted: bool = False
    #: Under a mixed_float16 policy: the name of the GradScaler standing for the
    #: LossScaleOptimizer Keras's `compile` wraps the optimizer in.
    scaler: str | None = None
    #: The scaler's initial scale and growth interval, as code (Keras's 2**15 and 2000 unless
    #: the file wraps the optimizer in a LossScaleOptimizer with other values), and whether
    #: the file wrapped it itself.
    scale: tuple[str, str] = ("2.0**15", "2000")
    wrapped: bool = False


def _prefix(model: str) -> str:
    return "" if model == "model" else model + "_"


def _find_compile(model: str, ctx: RuleContext) -> cst.Call | None:
    """The parsed ``<model>.compile(...)`` call of the function holding the site (else of the
    module's top level): the last one before the site (a model compiled again to fine-tune
    trains with the new optimizer), else the first one after it."""
    site = ctx.statement()
    for tree in (ctx.scope(), ctx.module()):
        before: list[cst.Call] = []
        after: list[cst.Call] = []
        passed = False

        class Finder(cst.CSTVisitor):
            def on_visit(self, node: cst.CSTNode) -> bool:
                nonlocal passed
                if node is site:
                    passed = True
                return super().on_visit(node)

            def visit_Call(self, node: cst.Call) -> None:
                func = node.func
                if isinstance(func, cst.Attribute) and func.attr.value == "compile" and dotted_name(func.value) == model:
                    (after if passed else before).append(node)

            def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
                return node is tree

            def visit_ClassDef(self, node: cst.ClassDef) -> bool:
                return False

        tree.visit(Finder())
        if before:
            return before[-1]
        if after:
            return after[0]
    return None


def _compiled(model: str, compile_call: cst.Call, ctx: RuleContext) -> Compiled:
    """Read a parsed compile call: the optimizer, loss and metric plans and the names its
    rewrite defines (CannotMigrate with the reason when one of them has no faithful form)."""
    bound = _bind(compile_call, "compile", ctx)
    for name in ("loss_weights", "weighted_metrics"):
        if name in bound and not _is_default(bound[name], None):
            raise CannotMigrate(f"`{name}=` is not migrated yet: weight the losses and metrics in the loop by hand")
    prefix = _prefix(model)
    params = cst.parse_expression(f"{model}.parameters()")
    optimizer_node = bound.get("optimizer", cst.SimpleString('"rmsprop"'))
    optimizer_node, wrapper = _loss_scale_wrapper(optimizer_node, ctx)
    if isinstance(optimizer_node, cst.Name):  # `opt = LossScaleOptimizer(...)` on a line of its own
        built = _assigned(optimizer_node.value, ctx.scope()) or _assigned(optimizer_node.value, ctx.module())
        if built is not None:
            wrapper = _loss_scale_wrapper(built, ctx)[1]
    plan = torch_optimizer(optimizer_node, params, ctx)
    optimizer = code_of(plan.optimizer) if plan.built else prefix + "optimizer"
    scheduler = None
    if plan.schedule is not None:
        scheduler = code_of(plan.scheduler_name) if plan.built and plan.scheduler_name is not None else scheduler_name(optimizer)
    loss_node = bound.get("loss")
    if loss_node is None or _is_default(loss_node, None):
        raise CannotMigrate("`compile` without `loss=`: the loss the model adds itself (`add_loss`) is not migrated")
    if isinstance(loss_node, (cst.List, cst.Tuple, cst.Dict)):
        raise CannotMigrate("one loss per output is not migrated yet: sum the outputs' losses in `loss_fn` by hand")
    loss = torch_loss(loss_node, ctx)
    metrics = None
    metric_entries: list[str] = []
    if "metrics" in bound and not _is_default(bound["metrics"], None):
        metrics = prefix + "metrics"
        metric_entries = _metric_entries(bound["metrics"], loss_node, ctx)
    weighted = _fits_with_weights(model, ctx)
    stateful = any(not entry.split(": ", 1)[1].startswith("lambda ") for entry in metric_entries)
    scaler = prefix + "scaler" if wrapper is not None or (_mixed_dtype(ctx.module()) == "float16" and _scales_loss(bound)) else None
    if scaler is not None:
        if scaler in top_level_names(ctx.module()) or _assigned(scaler, ctx.scope()) is not None:
            raise CannotMigrate(f"the GradScaler would be `{scaler}`, a name this file already uses")
        if plan.weight_decay is not None:
            raise CannotMigrate(
                "weight decay under loss scaling: Keras skips the whole update (decay included) when a "
                "gradient overflows, while `scaler.step` skips only `optimizer.step()`; decay inside the "
                "optimizer (AdamW) or only when `scaler.get_scale()` did not drop"
            )
    return Compiled(
        model, optimizer, scheduler, prefix + "loss_fn", metrics, plan, loss, metric_entries, stateful, weighted, scaler,
        wrapper or ("2.0**15", "2000"), wrapper is not None,
    )


def _loss_scale_wrapper(node: cst.BaseExpression, ctx: RuleContext) -> tuple[cst.BaseExpression, tuple[str, str] | None]:
    """``compile(optimizer=LossScaleOptimizer(inner, initial_scale=..., dynamic_growth_steps=...))``
    (or tf.keras 2's ``LossScaleOptimizer(inner, True, 1024)``): the inner optimizer, and the
    scaler's initial scale and growth interval as code."""
    if not isinstance(node, cst.Call) or dotted_name(node.func).rsplit(".", 1)[-1] != "LossScaleOptimizer":
        return node, None
    inner, scale, growth = loss_scale_arguments(node)
    return inner, (code_of(scale), code_of(growth))


def _scales_loss(bound: dict[str, cst.BaseExpression]) -> bool:
    """Keras's ``compile(auto_scale_loss=True)`` (the default) wraps the optimizer in a
    LossScaleOptimizer under mixed_float16; ``False`` trains without loss scaling."""
    value = literal_or(bound.get("auto_scale_loss"), True)
    if value is NOT_LITERAL:
        raise CannotMigrate("`auto_scale_loss=` must be a literal under mixed_float16: it decides whether the loss is scaled")
    return bool(value)


def _fits_with_weights(model: str, ctx: RuleContext) -> bool:
    """Whether a ``<model>.fit(...)`` or ``evaluate(...)`` in the file passes ``class_weight``
    or ``sample_weight``."""
    for call in _calls(ctx.module()):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("fit", "evaluate") and dotted_name(func.value) == model:
            for arg in call.args:
                if arg.keyword and arg.keyword.value in ("class_weight", "sample_weight") and not _is_default(arg.value, None):
                    return True
    return False


def _metric_entries(node: cst.BaseExpression, loss: cst.BaseExpression, ctx: RuleContext) -> list[str]:
    """``"name": lambda y_true, y_pred: <value on one batch>`` for each compiled metric."""
    if isinstance(node, cst.Dict):
        raise CannotMigrate("metrics per output are not migrated yet")
    items = [e.value for e in node.elements] if isinstance(node, (cst.List, cst.Tuple)) else [node]
    entries = []
    for item in items:
        if isinstance(item, cst.Call) and isinstance(item.func, cst.Name) and ctx.type_of(item) == "keras.metrics.Metric":
            # The file's own Metric subclass: an object with Keras's update_state/result/reset_state.
            entries.append(f"{_user_metric_key(item, ctx)!r}: {code_of(item)},")
            continue
        if isinstance(item, cst.Call) and dotted_name(item.func).rsplit(".", 1)[-1] in OBJECT_CLASSES:
            # Counts across batches: an object the loop updates per batch and resets per epoch.
            definition, constructor = object_constructor(item, dotted_name(item.func).rsplit(".", 1)[-1], ctx)
            ctx.add_definition(list(cst.parse_module(definition).body))  # type: ignore[attr-defined]
            key = _metric_key(item, ctx)
            entries.append(f"{key!r}: {constructor},")
            continue
        plan = torch_metric(item, ctx, loss)
        if plan.stateful:  # a string naming a metric with counts ("auc"): its class is already written
            entries.append(f"{plan.name!r}: {code_of(plan.state)},")
            continue
        value = code_of(plan.call(cst.Name("y_true"), cst.Name("y_pred")))
        entries.append(f"{plan.name!r}: lambda y_true, y_pred: {value},")
    return entries


def _metric_key(call: cst.Call, ctx: RuleContext) -> str:
    """The history key of a stateful metric: its literal ``name=``, else Keras's default
    (the class name in snake case: ``AUC`` → ``auc``, ``MeanIoU`` → ``mean_io_u``)."""
    for arg in call.args:
        if arg.keyword and arg.keyword.value == "name" and isinstance(arg.value, cst.SimpleString):
            value = arg.value.evaluated_value
            if isinstance(value, str):
                return value
    cls = dotted_name(call.func).rsplit(".", 1)[-1]
    if any(arg.keyword and arg.keyword.value == "name" for arg in call.args):
        raise CannotMigrate("a metric `name=` that is not a literal: the history key is unknown")
    return keras_default_name(cls)


def _user_metric_key(call: cst.Call, ctx: RuleContext) -> str:
    """The history key of an instance of the file's own Metric subclass: its literal
    ``name=``, else the default its ``__init__`` gives (a ``name="f1"`` parameter or a
    ``super().__init__(name="f1")``), else Keras's: the class name in snake case."""
    for arg in call.args:
        if arg.keyword and arg.keyword.value == "name":
            if isinstance(arg.value, cst.SimpleString) and isinstance(arg.value.evaluated_value, str):
                return arg.value.evaluated_value
            raise CannotMigrate("a metric `name=` that is not a literal: the history key is unknown")
    cls = call.func.value  # type: ignore[attr-defined]
    init = next(
        (
            s
            for c in ctx.module().body
            if isinstance(c, cst.ClassDef) and c.name.value == cls
            for s in c.body.body
            if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"
        ),
        None,
    )
    if init is not None:
        for param in (*init.params.params, *init.params.kwonly_params):
            if param.name.value == "name" and param.default is not None:
                default = literal_or(param.default, NOT_LITERAL)
                if isinstance(default, str):
                    return default
                if default is not None:
                    raise CannotMigrate("the metric's default `name` is not a literal: the history key is unknown")
        for inner in _calls(init):
            if isinstance(inner.func, cst.Attribute) and inner.func.attr.value == "__init__":
                for arg in inner.args:
                    if arg.keyword and arg.keyword.value == "name" and isinstance(arg.value, cst.SimpleString):
                        value = arg.value.evaluated_value
                        if isinstance(value, str):
                            return value
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", cls)).lower()


def _compiled_for(model: str, ctx: RuleContext) -> Compiled:
    compile_call = _find_compile(model, ctx)
    if compile_call is None:
        raise CannotMigrate(
            f"no `{model}.compile(...)` in this function or at the top level: the optimizer and "
            "loss the loop needs are unknown (compile the model where it is trained)"
        )
    try:
        return _compiled(model, compile_call, ctx)
    except CannotMigrate as reason:
        raise CannotMigrate(f"`{model}.compile(...)` is not migrated, so the loop has no optimizer and loss: {reason.reason}") from None


# ---------------------------------------------------------------------------------------
# The model's input layout: Keras images are channels-last, the migrated modules channels-first.

_SPATIAL = {
    "1": ("Conv1D", "SeparableConv1D", "MaxPooling1D", "AveragePooling1D", "MaxPool1D", "AvgPool1D", "UpSampling1D", "SpatialDropout1D", "Conv1DTranspose"),
    "2": ("Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose", "MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AvgPool2D",
          "GlobalAveragePooling2D", "GlobalMaxPooling2D", "UpSampling2D", "ZeroPadding2D", "SpatialDropout2D", "Cropping2D"),
    "3": ("Conv3D", "Conv3DTranspose", "MaxPooling3D", "AveragePooling3D", "GlobalAveragePooling3D", "GlobalMaxPooling3D", "UpSampling3D", "ZeroPadding3D"),
}
_PERMUTATIONS = {1: (0, 2, 1), 2: (0, 3, 1, 2), 3: (0, 4, 1, 2, 3)}


def _layer_tail(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Call):
        name = dotted_name(node.func)
        return name.rsplit(".", 1)[-1] if name else None
    return None


def _spatial_rank(tail: str | None) -> int | None:
    for rank, names in _SPATIAL.items():
        if tail in names:
            return int(rank)
    return None


def _sequential_elements(call: cst.Call, added: Sequence[cst.BaseExpression] = ()) -> list[cst.BaseExpression]:
    """The layers of ``keras.Sequential([...])``, or of the ``model.add(...)`` lines after an
    empty one."""
    layers = call.args[0].value if call.args and call.args[0].keyword is None else None
    for arg in call.args:
        if arg.keyword and arg.keyword.value == "layers":
            layers = arg.value
    if isinstance(layers, (cst.List, cst.Tuple)):
        return [e.value for e in layers.elements]
    return list(added) if layers is None else []


#: Layers that keep their input's layout: the output's layout is the layer's before them.
_SAME_LAYOUT = (
    "Activation", "BatchNormalization", "Dropout", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax",
    "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "Identity",
)
#: Layers whose output is a map of the spatial rank they work on (channels-first in torch).
_MAP_OUTPUT = {
    1: ("Conv1D", "Conv1DTranspose", "SeparableConv1D", "MaxPooling1D", "AveragePooling1D", "UpSampling1D", "ZeroPadding1D", "Cropping1D"),
    2: ("Conv2D", "Conv2DTranspose", "SeparableConv2D", "DepthwiseConv2D", "MaxPooling2D", "AveragePooling2D", "UpSampling2D", "ZeroPadding2D", "Cropping2D"),
    3: ("Conv3D", "Conv3DTranspose", "MaxPooling3D", "AveragePooling3D", "UpSampling3D", "ZeroPadding3D", "Cropping3D"),
}


def _sequential_output_permutation(elements: Sequence[cst.BaseExpression]) -> tuple[int, ...] | None:
    """A Sequential that ends in a convolution answers a channels-first map; Keras's answer
    (and the targets) are channels-last."""
    for element in reversed(elements):
        tail = _layer_tail(element)
        if tail in _SAME_LAYOUT:
            continue
        for rank, names in _MAP_OUTPUT.items():
            if tail in names:
                return _BACK[rank + 2]
        return None
    return None


def _sequential_permutation(call: cst.Call, added: Sequence[cst.BaseExpression] = ()) -> tuple[int, ...] | None:
    """The permutation from Keras's layout to the migrated Sequential's (as
    ``rules/keras_sequential.py`` lays it out): images of known rank, or a first layer that
    reads channels-first. ``added``: the layers of ``model.add(...)`` lines after an empty one."""
    elements = _sequential_elements(call, added)
    if not elements:
        return None
    first = elements[0]
    shape = None
    if _layer_tail(first) in ("Input", "InputLayer"):
        assert isinstance(first, cst.Call)
        for i, arg in enumerate(first.args):
            if (arg.keyword is None and i == 0) or (arg.keyword and arg.keyword.value in ("shape", "input_shape")):
                shape = literal_or(arg.value, None)
        elements = elements[1:]
        first = elements[0] if elements else None
    if shape is None and isinstance(first, cst.Call):
        for arg in first.args:
            if arg.keyword and arg.keyword.value == "input_shape":
                shape = literal_or(arg.value, None)
    rank = _spatial_rank(_layer_tail(first)) if first is not None else None
    if isinstance(shape, (tuple, list)):
        if len(shape) >= 3:
            return _PERMUTATIONS.get(len(shape) - 1)
        return _PERMUTATIONS[1] if len(shape) == 2 and rank == 1 else None
    return _PERMUTATIONS.get(rank) if rank else None


def _model_definition(model: str, ctx: RuleContext) -> tuple[str, Any] | None:
    """What builds the model variable: ``("sequential", elements)``, ``("functional", call)``
    or ``("class", classdef)`` — a Sequential (with its ``model.add`` lines, or returned by a
    builder function of the file), a functional ``keras.Model(inputs, outputs)``, or an
    instance of a class of the file."""
    module = ctx.module()
    scope = ctx.scope()
    value = _assigned(model, scope)
    if value is None and not _is_parameter(model, scope):
        value = _assigned(model, module)
    if not isinstance(value, cst.Call):
        return None
    tail = _layer_tail(value)
    if tail == "Sequential":
        added = [
            c.args[0].value
            for c in _calls(scope)
            if isinstance(c.func, cst.Attribute) and c.func.attr.value == "add" and dotted_name(c.func.value) == model and c.args
        ]
        return "sequential", (value, added)
    if tail == "Model":
        return "functional", (value, scope if _assigned(model, scope) is value else module)
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == tail:
            returned = _returned_call(statement)
            if returned is not None and _layer_tail(returned) == "Sequential":
                return "sequential", (returned, ())
            if returned is not None and _layer_tail(returned) == "Model":  # a builder of a functional model
                return "functional", (returned, statement)
        if isinstance(statement, cst.ClassDef) and statement.name.value == tail:
            return "class", statement
    return None


#: Methods of a Keras model class that change what fit/evaluate do: the written loop would skip them.
_CUSTOM_STEPS = ("train_step", "test_step", "predict_step", "compute_loss", "compute_metrics")


def _custom_steps(model: str, ctx: RuleContext, steps: Sequence[str] = _CUSTOM_STEPS) -> None:
    """A model class of the file that overrides Keras's steps: its loop is its own."""
    found = _model_definition(model, ctx)
    if found is None or found[0] != "class":
        return
    methods = [s.name.value for s in found[1].body.body if isinstance(s, cst.FunctionDef)]
    overridden = [m for m in methods if m in steps]
    if overridden:
        raise CannotMigrate(
            f"`{found[1].name.value}` overrides `{overridden[0]}`: Keras runs that code in place of "
            "its own, so the loop must call it — write the loop around it by hand"
        )


def _model_permutation(model: str, ctx: RuleContext) -> tuple[int, ...] | None:
    """How a batch of the Keras model's input is permuted for the migrated model."""
    found = _model_definition(model, ctx)
    if found is None:
        return None
    kind, what = found
    if kind == "sequential":
        return _sequential_permutation(*what)
    if kind == "functional":
        return _functional_permutation(*what, ctx)
    ranks = {_spatial_rank(_layer_tail(c)) for c in _calls(what)} - {None}
    return _PERMUTATIONS[ranks.pop()] if len(ranks) == 1 else None


def _model_unseen(model: str, ctx: RuleContext) -> bool:
    """The model is built where the rules cannot see its layers: a parameter, a function of
    another module, a loaded file. Whether it takes images is unknown, and guessing from the
    batches' shapes at run time would be a guess: the loop takes the permutation as an argument.

    A model made by a function the file neither defines nor imports is not flagged: nothing
    is known of it either way (the editor's per-statement runs see a file's functions apart
    from their callers, and must report what the whole file does)."""
    if _model_definition(model, ctx) is not None:
        return False
    scope = ctx.scope()
    value = _assigned(model, scope)
    if value is None and not _is_parameter(model, scope):
        value = _assigned(model, ctx.module())
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and not _binds(ctx.module(), value.func.value):
        return False
    return True


def _binds(module: cst.Module, name: str) -> bool:
    """Whether the module's top level defines or imports ``name`` (a star import may)."""
    star = any(
        isinstance(small, cst.ImportFrom) and isinstance(small.names, cst.ImportStar)
        for statement in module.body
        if isinstance(statement, cst.SimpleStatementLine)
        for small in statement.body
    )
    return star or name in top_level_names(module)


def _model_output_permutation(model: str, ctx: RuleContext) -> tuple[int, ...] | None:
    """How the migrated model's output goes back to the Keras model's layout (a Sequential
    that ends in a convolution: an autoencoder, a segmentation model)."""
    found = _model_definition(model, ctx)
    if found is None or found[0] != "sequential":
        return None
    return _sequential_output_permutation(_sequential_elements(*found[1]))


def _is_parameter(name: str, scope: cst.CSTNode) -> bool:
    """A parameter of the function: whatever the caller passes, not a module-level value."""
    if not isinstance(scope, cst.FunctionDef):
        return False
    params = scope.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            every.append(star)
    return any(p.name.value == name for p in every)


def _functional_permutation(call: cst.Call, tree: cst.CSTNode, ctx: RuleContext) -> tuple[int, ...] | None:
    """A functional model (``keras.Model(inputs, outputs)``, built in ``tree``: the function
    or builder holding it) of one image input: its ``keras.Input(shape=...)`` rank decides, as
    the functional rewrite lays the class out."""
    inputs = None
    for i, arg in enumerate(call.args):
        if (arg.keyword is None and i == 0) or (arg.keyword and arg.keyword.value == "inputs"):
            inputs = arg.value
    if not isinstance(inputs, cst.Name):
        return None
    source = _assigned(inputs.value, tree) or _assigned(inputs.value, ctx.module())
    if not isinstance(source, cst.Call) or _layer_tail(source) not in ("Input", "InputLayer"):
        return None
    for i, arg in enumerate(source.args):
        if (arg.keyword is None and i == 0) or (arg.keyword and arg.keyword.value == "shape"):
            shape = literal_or(arg.value, None)
            if isinstance(shape, (tuple, list)) and len(shape) >= 3:
                return _PERMUTATIONS.get(len(shape) - 1)
    return None


def _assigned(name: str, tree: cst.CSTNode) -> cst.BaseExpression | None:
    found: list[cst.BaseExpression] = []

    class Finder(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            if any(isinstance(t.target, cst.Name) and t.target.value == name for t in node.targets):
                found.append(node.value)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is tree

    tree.visit(Finder())
    return found[-1] if found else None


def _returned_call(function: cst.FunctionDef) -> cst.Call | None:
    found: list[cst.BaseExpression] = []

    class Finder(cst.CSTVisitor):
        def visit_Return(self, node: cst.Return) -> None:
            if node.value is not None:
                found.append(node.value)

    function.visit(Finder())
    if not found:
        return None
    value = found[-1]
    if isinstance(value, cst.Name):
        value = _assigned(value.value, function)
    return value if isinstance(value, cst.Call) else None


def _calls(node: cst.CSTNode) -> list[cst.Call]:
    found: list[cst.Call] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            found.append(call)

    node.visit(Finder())
    return found


# ---------------------------------------------------------------------------------------
# The generated helpers.

_HISTORY = '''
class History:
    """What Keras's `fit` returns: `history[name]` lists one value per epoch."""

    def __init__(self):
        self.history = {}
        self.epoch = []
'''


def _batches(ctx: RuleContext) -> str:
    torch = _spell(ctx, "torch.as_tensor")
    loader = _spell(ctx, "torch.utils.data.DataLoader")
    dataset = _spell(ctx, "torch.utils.data.TensorDataset")
    return f'''
def batches(x, y, batch_size, shuffle):
    """The batches Keras makes of `fit`/`evaluate` data: NumPy arrays become a DataLoader
    (floating-point data as float32, as Keras casts it); a DataLoader, or any iterable of
    (inputs, targets) batches, is used as it is."""
    if y is None:
        return x
    x, y = {torch}(x), {torch}(y)
    x = x.float() if x.is_floating_point() else x
    y = y.float() if y.is_floating_point() else y
    return {loader}({dataset}(x, y), batch_size=batch_size, shuffle=shuffle)
'''


def _weighted_batches(ctx: RuleContext) -> str:
    as_tensor = _spell(ctx, "torch.as_tensor")
    float32 = _spell(ctx, "torch.float32")
    loader = _spell(ctx, "torch.utils.data.DataLoader")
    dataset = _spell(ctx, "torch.utils.data.TensorDataset")
    return f'''
def weighted_batches(x, y, sample_weight, batch_size, shuffle):
    """`batches` of NumPy arrays with each example's weight beside it (Keras's `sample_weight`)."""
    x, y = {as_tensor}(x), {as_tensor}(y)
    x = x.float() if x.is_floating_point() else x
    y = y.float() if y.is_floating_point() else y
    weights = {as_tensor}(sample_weight, dtype={float32})
    return {loader}({dataset}(x, y, weights), batch_size=batch_size, shuffle=shuffle)
'''


@dataclass(frozen=True)
class LoopShape:
    """What one call site needs from the generated loop."""

    permutation: tuple[int, ...] | None = None
    #: The model's output is a channels-first map (a Sequential ending in a convolution): it
    #: goes back to Keras's channels-last layout, which the targets have.
    output_permutation: tuple[int, ...] | None = None
    metrics: bool = False
    #: Some metric is an object with counts across batches (see Compiled.stateful_metrics).
    stateful_metrics: bool = False
    validation_split: bool = False
    validation_data: bool = False
    callbacks: bool = False
    initial_epoch: bool = False
    steps_per_epoch: bool = False
    class_weight: bool = False
    sample_weight: bool = False
    validation_freq: bool = False
    validation_batch_size: bool = False
    validation_steps: bool = False
    #: `evaluate(steps=N)`: the first N batches of a fresh pass.
    eval_steps: bool = False
    scheduler: bool = False
    before_step: str = ""  # clipping / decoupled weight decay, as the optimizer plan writes it
    #: what follows `optimizer.step()` for the schedule, as the optimizer plan writes it (with
    #: SGD/RMSprop momentum: the buffers rescaled to keep Keras's lr-inside-momentum maths)
    after_step: str = ""
    #: The file's layers have regularizers / constraints (rules/keras_regularizers.py): the
    #: helper that lists their penalties (Keras's `model.losses`) / applies the constraints.
    penalties: str = ""
    constraints: str = ""
    #: The file's Keras mixed-precision policy ("float16" / "bfloat16"): the forward pass runs
    #: under `torch.autocast` with its dtype, the loss and metrics in float32.
    mixed: str | None = None
    #: mixed_float16: the step scales the loss with the `scaler` argument (a GradScaler).
    scaled: bool = False
    #: The model is built where the rules cannot see its layers (a parameter, an import, a
    #: loaded file): the helper takes the layout change as an `input_permutation=` argument,
    #: which the call site passes explicitly (None until the user says the model takes images).
    permutation_argument: bool = False
    #: Under a MirroredStrategy (DDP after the rewrite), each process trains on its slice of
    #: every global batch (the call passes `ReplicaBatches(dataset)`): the logged loss is
    #: summed over the processes, as Keras logs it over the global batch.
    distributed: bool = False


def _permute_line(shape: LoopShape) -> list[str]:
    if shape.permutation_argument:
        return [
            "if input_permutation is not None:  # Keras feeds images channels-last; the migrated modules take NCHW",
            "    batch_x = batch_x.permute(input_permutation)",
        ]
    if shape.permutation is None:
        return []
    layout = {3: "sequences channels-last (NLC); the migrated model takes NCL", 4: "images channels-last (NHWC); the migrated model takes NCHW", 5: "volumes channels-last (NDHWC); the migrated model takes NCDHW"}[len(shape.permutation)]
    return [f"batch_x = batch_x.permute{shape.permutation}  # Keras feeds {layout}"]


_BACK = {3: (0, 2, 1), 4: (0, 2, 3, 1), 5: (0, 2, 3, 4, 1)}


def _forward(shape: LoopShape, inputs: str, then: str = "") -> tuple[str, str]:
    """``model(inputs)`` (permuted back to channels-last when the model answers a map), and
    the comment that says why."""
    if shape.output_permutation is None:
        return f"model({inputs}){then}", ""
    return f"model({inputs}).permute{shape.output_permutation}{then}", "  # back to Keras's channels-last layout, the targets'"


def _metric_lines(stateful: bool = False) -> list[str]:
    if stateful:
        return [
            "for name, metric in (metrics or {}).items():",
            "    if hasattr(metric, \"update_state\"):  # counts across batches: Keras logs its result()",
            "        metric.update_state(batch_y, y_pred)",
            "    else:",
            "        sums[name] = sums.get(name, 0.0) + float(metric(batch_y, y_pred)) * len(batch_x)",
        ]
    return [
        "for name, metric in (metrics or {}).items():",
        "    sums[name] = sums.get(name, 0.0) + float(metric(batch_y, y_pred)) * len(batch_x)",
    ]


#: Keras resets its metrics when an epoch (or an evaluation) starts.
_RESET_METRICS = [
    "for metric in (metrics or {}).values():",
    "    if hasattr(metric, \"reset_state\"):",
    "        metric.reset_state()",
]

#: The logged value of a stateful metric is its result over every batch so far.
#: A metric's result is a scalar, or one value per class (F1Score(average=None)): Keras logs
#: the latter as an array — a copy, since a metric may return its own state, which the next
#: epoch's reset_state zeroes in place.
_STATEFUL_LOGS = (
    "{name: result.item() if result.dim() == 0 else result.detach().cpu().numpy().copy() "
    "for name, result in ((name, metric.result()) for name, metric in (metrics or {}).items() if hasattr(metric, \"result\"))}"
)


def _evaluation_loss(shape: LoopShape) -> list[str]:
    if not shape.sample_weight and not shape.penalties:
        return ["sums[\"loss\"] = sums.get(\"loss\", 0.0) + loss_fn(batch_y, y_pred).item() * len(batch_x)"]
    if shape.sample_weight:
        lines = ["loss = loss_fn(batch_y, y_pred, sample_weight=batch_weight[0].to(device)) if batch_weight else loss_fn(batch_y, y_pred)"]
    else:
        lines = ["loss = loss_fn(batch_y, y_pred)"]
    return [*lines, *_penalty_lines(shape), "sums[\"loss\"] = sums.get(\"loss\", 0.0) + loss.item() * len(batch_x)"]


def _penalty_lines(shape: LoopShape) -> list[str]:
    if not shape.penalties:
        return []
    return [f"loss = loss + sum({shape.penalties}(model))  # Keras adds `sum(model.losses)`: the regularizers' penalties"]


def _autocast(shape: LoopShape, lines: list[str], ctx: RuleContext) -> list[str]:
    """``lines`` (the forward pass and the loss) under the file's mixed-precision policy, as
    Keras runs its layers under it; without a policy, the lines as they are."""
    if shape.mixed is None:
        return lines
    autocast = _spell(ctx, "torch.autocast")
    return [
        f"with {autocast}(device_type=device.type, dtype={_DTYPE_CONSTANT}):  # Keras's mixed_{shape.mixed} policy",
        *("    " + line for line in lines),
    ]


def _predicted(shape: LoopShape, inputs: str) -> str:
    """``y_pred = model(inputs)``; under a mixed policy cast to float32, as Keras's losses and
    metrics compute in float32."""
    line = "y_pred = {}{}".format(*_forward(shape, inputs, ".float()" if shape.mixed else ""))
    if shape.mixed and shape.output_permutation is None:
        line += "  # Keras computes the loss and metrics in float32"
    return line


def _update_lines(shape: LoopShape) -> list[str]:
    """From ``zero_grad`` to the schedule's step: backward, the optimizer's clipping, the
    update, the layers' constraints; under mixed_float16 with the loss scaled as Keras's
    LossScaleOptimizer scales it."""
    lines = ["optimizer.zero_grad()"]
    if shape.scaled:
        lines.append("scaler.scale(loss).backward()")
        if shape.before_step:
            lines.append("scaler.unscale_(optimizer)  # Keras clips the unscaled gradients")
    else:
        lines.append("loss.backward()")
    if shape.before_step:
        lines += shape.before_step.rstrip("\n").splitlines()
    lines.append("scaler.step(optimizer)  # skips the update when a gradient overflowed, as Keras does" if shape.scaled else "optimizer.step()")
    if shape.constraints:
        lines.append(f"{shape.constraints}(model)  # Keras's optimizer applies the layers' constraints after each update")
    if shape.scaled and shape.scheduler:
        lines += [
            "scale = scaler.get_scale()",
            "scaler.update()",
            "if scaler.get_scale() >= scale:  # a skipped update does not count as a step of Keras's schedule",
            *("    " + line for line in _scheduler_lines(shape)),
        ]
    elif shape.scaled:
        lines.append("scaler.update()")
    elif shape.scheduler:
        lines += _scheduler_lines(shape)
    return lines


def _evaluation_step(shape: LoopShape, ctx: RuleContext) -> list[str]:
    if shape.mixed is None:
        return ["y_pred = {}{}".format(*_forward(shape, "batch_x")), "seen += len(batch_x)", *_evaluation_loss(shape)]
    return [*_autocast(shape, [_predicted(shape, "batch_x"), *_evaluation_loss(shape)], ctx), "seen += len(batch_x)"]


def _predicted_outputs(shape: LoopShape, inputs: str, then: str, ctx: RuleContext, keep: str = "outputs.append({}){}") -> list[str]:
    """The model's outputs for ``inputs`` in inference; under a mixed policy in its dtype, as
    Keras's ``predict`` answers (float16; NumPy has no bfloat16, so bfloat16 outputs come as
    float32)."""
    if shape.mixed == "bfloat16":
        then = ".float()" + then
    line = keep.format(*_forward(shape, inputs, then))
    if shape.mixed == "bfloat16" and "  #" not in line:
        line += "  # NumPy has no bfloat16"
    return _autocast(shape, [line], ctx)


def _evaluate_source(name: str, shape: LoopShape, ctx: RuleContext) -> str:
    no_grad = _spell(ctx, "torch.no_grad")
    params = "model, loss_fn, x, y=None, *, batch_size=32" + (", metrics=None" if shape.metrics else "")
    data = "batches(x, y, batch_size, shuffle=False)"
    unpack = "batch_x, batch_y"
    if shape.sample_weight:
        params += ", sample_weight=None"
        data = f"({data} if sample_weight is None else weighted_batches(x, y, sample_weight, batch_size, shuffle=False))"
        unpack = "batch_x, batch_y, *batch_weight"
    if shape.eval_steps:  # `steps=`: the first batches of a fresh pass, as Keras's evaluate takes them
        params += ", steps=None"
        islice = _spell(ctx, "itertools.islice")
        data = f"{islice}({data}, steps)"
    if shape.permutation_argument:
        params += ", input_permutation=None"
    body = [
        "device = next(model.parameters()).device",
        "model.eval()",
        "sums, seen = {}, 0",
        *(_RESET_METRICS if shape.stateful_metrics else []),
        f"with {no_grad}():",
        f"    for {unpack} in {data}:",
        "        batch_x, batch_y = batch_x.to(device), batch_y.to(device)",
        *("        " + line for line in _permute_line(shape)),
        *("        " + line for line in _evaluation_step(shape, ctx)),
        *("        " + line for line in (_metric_lines(shape.stateful_metrics) if shape.metrics else [])),
        *(
            [
                "logs = {name: total / seen for name, total in sums.items()} | " + _STATEFUL_LOGS,
                "return {name: logs[name] for name in [\"loss\", *(metrics or {})]}  # Keras's order: the loss, then the metrics as compiled",
            ]
            if shape.stateful_metrics
            else ["return {name: total / seen for name, total in sums.items()}"]
        ),
    ]
    what = "loss and metrics" if shape.metrics else "loss"
    doc = f'"""`model.evaluate(...)`: the mean {what} over the data (each batch weighted by its\n    size), in eval mode and without gradients."""'
    return f"def {name}({params}):\n    {doc}\n" + _indent(body, 1)


def _fit_source(name: str, evaluate: str | None, shape: LoopShape, ctx: RuleContext) -> str:
    no_grad = _spell(ctx, "torch.no_grad")
    params = ["model", "optimizer", "loss_fn", "x", "y=None", "*", "epochs=1", "batch_size=32", "shuffle=True", "verbose=1"]
    if shape.metrics:
        params.append("metrics=None")
    if shape.scheduler:
        params.append("scheduler=None")
    if shape.validation_split:
        params.append("validation_split=0.0")
    if shape.validation_data or shape.validation_split:
        params.append("validation_data=None")
    if shape.callbacks:
        params.append("callbacks=()")
    if shape.initial_epoch:
        params.append("initial_epoch=0")
    if shape.steps_per_epoch:
        params.append("steps_per_epoch=None")
    if shape.class_weight:
        params.append("class_weight=None")
    if shape.sample_weight:
        params.append("sample_weight=None")
    if shape.validation_batch_size:
        params.append("validation_batch_size=None")
    if shape.validation_freq:
        params.append("validation_freq=1")
    if shape.validation_steps:
        params.append("validation_steps=None")
    if shape.permutation_argument:
        params.append("input_permutation=None")
    if shape.scaled:
        params.append("scaler")
    validation = shape.validation_data or shape.validation_split
    C = shape.callbacks

    def hook(call: str) -> list[str]:
        return ["for callback in callbacks:", f"    callback.{call}"] if C else []

    body: list[str] = ["device = next(model.parameters()).device"]
    if shape.validation_split:
        body += [
            "if validation_split:",
            "    # Keras holds out the last fraction of the arrays, before any shuffling.",
            "    split_at = int(len(x) * (1.0 - validation_split))",
            "    x, y, validation_data = x[:split_at], y[:split_at], (x[split_at:], y[split_at:])",
        ]
        if shape.sample_weight:
            body += ["    if sample_weight is not None:", "        sample_weight = sample_weight[:split_at]"]
    body += ["history = History()", "model.stop_training = False  # a callback sets it to end training, as in Keras"]
    if C:
        body += [
            "for callback in callbacks:",
            "    callback.set_model(model)",
            "    callback.optimizer = optimizer  # Keras callbacks reach it as `self.model.optimizer`",
        ]
        body += hook("on_train_begin({})")
    body.append("logs = {}")
    if shape.steps_per_epoch:
        body.append("data_pass = None  # the pass over the data that epochs of `steps_per_epoch` batches share")
    body.append(f"for epoch in range({'initial_epoch, ' if shape.initial_epoch else ''}epochs):")
    epoch: list[str] = [*hook("on_epoch_begin(epoch, {})"), "model.train()", "sums, seen = {}, 0", *(_RESET_METRICS if shape.stateful_metrics else [])]
    if shape.sample_weight:
        source = "batches(x, y, batch_size, shuffle) if sample_weight is None else weighted_batches(x, y, sample_weight, batch_size, shuffle)"
        unpack = "(batch_x, batch_y, *batch_weight)"
    else:
        source = "batches(x, y, batch_size, shuffle)"
        unpack = "(batch_x, batch_y)"
    if shape.steps_per_epoch:
        chain = _spell(ctx, "itertools.chain")
        islice = _spell(ctx, "itertools.islice")
        epoch += [
            "if steps_per_epoch is None:",
            f"    epoch_batches = {source}",
            "else:",
            "    # Keras draws `steps_per_epoch` batches an epoch from one pass over the data, and",
            "    # starts a new pass only once the data has run out.",
            "    first = next(data_pass, None) if data_pass is not None else None",
            "    if first is None:",
            f"        data_pass = iter({source})",
            "        first = next(data_pass, None)",
            f"    epoch_batches = {islice}({chain}([] if first is None else [first], data_pass), steps_per_epoch)",
            f"for step, {unpack} in enumerate(epoch_batches):",
        ]
    elif shape.sample_weight:
        epoch += [f"data = {source}", f"for step, {unpack} in enumerate(data):"]
    else:
        epoch.append(f"for step, {unpack} in enumerate({source}):")
    step: list[str] = []
    step += hook("on_train_batch_begin(step, {})")
    step += ["batch_x, batch_y = batch_x.to(device), batch_y.to(device)", *_permute_line(shape)]
    forward = [_predicted(shape, "batch_x")]
    tensor = _spell(ctx, "torch.tensor")
    if shape.sample_weight or shape.class_weight:
        forward.append("weights = batch_weight[0].to(device) if batch_weight else None" if shape.sample_weight else "weights = None")
    if shape.class_weight:
        forward += [
            "if class_weight is not None:",
            "    # Keras weighs each example by its class: the index, or the argmax of a one-hot row.",
            "    classes = batch_y.argmax(-1) if batch_y.dim() > 1 and batch_y.shape[-1] > 1 else batch_y.reshape(len(batch_y))",
            f"    by_class = {tensor}([class_weight.get(int(c), 1.0) for c in classes.round().long()], device=device)",
            "    weights = by_class if weights is None else weights * by_class" if shape.sample_weight else "    weights = by_class",
        ]
    if shape.sample_weight or shape.class_weight:
        forward.append("loss = loss_fn(batch_y, y_pred) if weights is None else loss_fn(batch_y, y_pred, sample_weight=weights)")
    else:
        forward.append("loss = loss_fn(batch_y, y_pred)")
    forward += _penalty_lines(shape)
    step += _autocast(shape, forward, ctx)
    step += _update_lines(shape)
    if shape.distributed:
        totals = _spell(ctx, "torch.tensor")
        all_reduce = _spell(ctx, "torch.distributed.all_reduce")
        step += [
            "# The running means Keras logs: each batch weighs by its size, and every process's",
            "# slice of the global batch counts, as Keras logs the loss over all its replicas.",
            f"totals = {totals}([loss.item() * len(batch_x), len(batch_x)], dtype={_spell(ctx, 'torch.float64')})",
            f"{all_reduce}(totals)",
            "seen += int(totals[1])",
            "sums[\"loss\"] = sums.get(\"loss\", 0.0) + totals[0].item()",
        ]
    else:
        step += [
            "# The running means Keras logs: each batch weighs by its size.",
            "seen += len(batch_x)",
            "sums[\"loss\"] = sums.get(\"loss\", 0.0) + loss.item() * len(batch_x)",
        ]
    if shape.metrics:
        step += [f"with {no_grad}():", *("    " + line for line in _metric_lines(shape.stateful_metrics))]
    step.append("logs = {name: total / seen for name, total in sums.items()}" + (" | " + _STATEFUL_LOGS if shape.stateful_metrics else ""))
    if C:
        step += hook("on_train_batch_end(step, logs)")
        step += ["if model.stop_training:", "    break"]
    epoch += ["    " + line for line in step]
    epoch.append("logs = dict(logs)")
    if validation:
        metrics_arg = (", metrics=metrics" if shape.metrics else "") + (", steps=validation_steps" if shape.validation_steps else "")
        metrics_arg += ", input_permutation=input_permutation" if shape.permutation_argument else ""
        when = " and (epoch + 1) % validation_freq == 0" if shape.validation_freq else ""
        size = "validation_batch_size or batch_size" if shape.validation_batch_size else "batch_size"
        epoch += [
            f"if validation_data is not None{when}:",
            "    val_x, val_y = validation_data if isinstance(validation_data, tuple) else (validation_data, None)",
            f"    val_logs = {evaluate}(model, loss_fn, val_x, val_y, batch_size={size}{metrics_arg})",
            "    logs.update({\"val_\" + name: value for name, value in val_logs.items()})",
        ]
    epoch += hook("on_epoch_end(epoch, logs)")
    epoch += [
        "history.epoch.append(epoch)",
        "for name, value in logs.items():",
        "    history.history.setdefault(name, []).append(value)",
        "if verbose:",
        "    print(f\"Epoch {epoch + 1}/{epochs}: \" + \", \".join(f\"{name}: {value:.4f}\" for name, value in logs.items()))"
        if not shape.stateful_metrics
        else "    print(f\"Epoch {epoch + 1}/{epochs}: \" + \", \".join(f\"{name}: {value:.4f}\" if isinstance(value, float) else f\"{name}: {value}\" for name, value in logs.items()))",
        "if model.stop_training:",
        "    break",
    ]
    body += ["    " + line for line in epoch]
    body += hook("on_train_end(logs)")
    body.append("return history")
    parts = ["the mean loss" + (" and metrics" if shape.metrics else "") + " of each epoch"]
    if validation:
        parts.append("validation after each epoch")
    if C:
        parts.append("the callbacks' hooks where Keras calls them")
    text = f"`model.fit(...)` as Keras runs it: {', '.join(parts)}. Returns the History."
    doc = '"""' + "\n    ".join(textwrap.wrap(text, 92)) + '"""'
    return _signature(name, params) + f"    {doc}\n" + _indent(body, 1)


def _predict_source(name: str, shape: LoopShape, dataset: bool, ctx: RuleContext) -> str:
    no_grad = _spell(ctx, "torch.no_grad")
    cat = _spell(ctx, "torch.cat")
    steps = ", steps=None" if shape.eval_steps else ""
    if dataset:
        params = "model, x" + (", *" + steps if steps else "") + ((", " if steps else ", *, ") + "input_permutation=None" if shape.permutation_argument else "")
        batches_of_x = f"{_spell(ctx, 'itertools.islice')}(x, steps)" if steps else "x"
        source = [
            f"for batch in {batches_of_x}:",
            "    batch_x = batch[0] if isinstance(batch, (tuple, list)) else batch  # the inputs of (inputs, targets)",
        ]
        doc = '"""`model.predict(...)`: the outputs for every batch, in eval mode and without gradients,\n    as one NumPy array."""'
    else:
        loader = _spell(ctx, "torch.utils.data.DataLoader")
        as_tensor = _spell(ctx, "torch.as_tensor")
        params = "model, x, *, batch_size=32" + steps + (", input_permutation=None" if shape.permutation_argument else "")
        loaded = f"{loader}(x, batch_size=batch_size)"
        if steps:
            loaded = f"{_spell(ctx, 'itertools.islice')}({loaded}, steps)"
        source = [
            f"x = {as_tensor}(x)",
            "x = x.float() if x.is_floating_point() else x",
            f"for batch_x in {loaded}:",
        ]
        doc = '"""`model.predict(...)`: the outputs for the inputs in batches, in eval mode and without\n    gradients, as one NumPy array."""'
    body = [
        "device = next(model.parameters()).device",
        "model.eval()",
        "outputs = []",
        f"with {no_grad}():",
        *("    " + line for line in source),
        "        batch_x = batch_x.to(device)",
        *("        " + line for line in _permute_line(shape)),
        *("        " + line for line in _predicted_outputs(shape, "batch_x", ".cpu()", ctx)),
        f"return {cat}(outputs).numpy()",
    ]
    return f"def {name}({params}):\n    {doc}\n" + _indent(body, 1)


_DEVICES: "weakref.WeakKeyDictionary[Any, set[int]]" = weakref.WeakKeyDictionary()
_HELPERS: "weakref.WeakKeyDictionary[Any, dict[str, str]]" = weakref.WeakKeyDictionary()


def _define(base: str, make, ctx: RuleContext) -> str:  # noqa: ANN001
    """Write a helper function into the file once per distinct code; its name (``fit``, or
    ``fit_2`` for a second, different loop; a name the file already uses is avoided)."""
    names = _HELPERS.setdefault(ctx, {})
    taken = top_level_names(ctx.module())
    index = 1
    while True:
        name = base if index == 1 else f"{base}_{index}"
        index += 1
        if name in taken:
            continue
        code = make(name)
        known = names.get(name)
        if known is None:
            names[name] = code
            break
        if known == code:
            break
    ctx.add_definition(_statements(code))
    return name


def _terms(ctx: RuleContext, *, step: bool = True) -> dict[str, str]:
    """The regularizer / constraint helpers the loops call, when the file's layers have them
    (Keras adds `sum(model.losses)` to the loss, and its optimizer step applies the constraints;
    ``step``: the loop takes optimizer steps)."""
    penalties, constraints = regularizers.file_has_terms(ctx.module())
    return {
        "penalties": regularizers.losses_helper(ctx) if penalties else "",
        "constraints": regularizers.constraints_helper(ctx) if constraints and step else "",
    }


def _add_common(ctx: RuleContext, history: bool = False) -> None:
    if history:
        ctx.add_definition(_statements(_HISTORY.lstrip("\n")))
    ctx.add_definition(_statements(_batches(ctx).lstrip("\n")))


def _before_step(plan: OptimizerPlan, ctx: RuleContext) -> str:
    statements = plan.before_step(cst.Name("optimizer"), cst.parse_expression("model.parameters()"), ctx)
    return "".join(code_of(s) for s in statements)


def _after_step(plan: OptimizerPlan) -> str:
    if not plan.momentum_carries_lr:
        return ""  # a plain `scheduler.step()` (below) says it all
    return "".join(code_of(s) for s in plan.after_step(cst.Name("scheduler"), cst.Name("optimizer")))


def _scheduler_lines(shape: LoopShape) -> list[str]:
    if shape.after_step:
        return shape.after_step.rstrip("\n").splitlines()
    return ["scheduler.step()  # Keras's learning-rate schedule counts optimizer steps"]


def _arg(value: cst.BaseExpression, keyword: str | None = None) -> cst.Arg:
    if keyword is None:
        return cst.Arg(value)
    equal = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
    return cst.Arg(value, keyword=cst.Name(keyword), equal=equal)


def _call(func: str, args: list[cst.Arg]) -> cst.Call:
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    args = [a.with_changes(comma=comma) for a in args[:-1]] + args[-1:]
    return cst.Call(cst.Name(func), args)


_UNSEEN_LAYOUTS = "if it takes channels-last images, pass input_permutation=(0, 3, 1, 2)"


def _call_for(func: str, args: list[cst.Arg], model: str, shape: LoopShape, ctx: RuleContext) -> cst.Call:
    """``_call``; for a model whose layers the rules cannot see, with ``input_permutation=None``
    passed explicitly and a comment (and a report note) saying when to change it."""
    if not shape.permutation_argument:
        return _call(func, args)
    ctx.note(
        f"`{model}` is built where migrate cannot see its layers: Keras feeds images channels-last (NHWC) "
        f"and the migrated modules take NCHW — {_UNSEEN_LAYOUTS} to `{func}`"
    )
    call = _call(func, [*args, _arg(cst.Name("None"), "input_permutation")])
    comment = f"# `{model}` is built elsewhere: {_UNSEEN_LAYOUTS}"
    opening = cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(comment)),
        indent=True,
        last_line=cst.SimpleWhitespace("    "),
    )
    closing = cst.ParenthesizedWhitespace(indent=True, last_line=cst.SimpleWhitespace(""))
    last = call.args[-1].with_changes(whitespace_after_arg=closing)
    return call.with_changes(whitespace_before_args=opening, args=[*call.args[:-1], last])


# ---------------------------------------------------------------------------------------
# The rules.


def _one_input(x: cst.BaseExpression, ctx: RuleContext) -> None:
    """The loop feeds one input tensor to the model."""
    if isinstance(x, (cst.List, cst.Tuple, cst.Dict)):
        raise CannotMigrate(
            f"`{ctx.source(x)}` is several inputs: the migrated loop batches one input array; "
            "build a DataLoader of (inputs, targets) and call the model with them by hand"
        )


class _MethodRule(Rule):
    method: str = ""


class Compile(_MethodRule):
    id = "training.compile"
    method = "compile"
    names = ("keras.Model.compile",)
    summary = "`model.compile(optimizer, loss, metrics)` → the device, the torch optimizer, `def loss_fn(y_true, y_pred)` and a metrics dict."
    why = (
        "PyTorch keeps the optimizer, the loss and the metrics as the training loop's own "
        "variables, not as the model's state. `compile` becomes the statements that make them: "
        "`device` (`cuda` when available) and `model.to(device)`; the torch optimizer over "
        "`model.parameters()` with every Keras default written out (and a `LambdaLR` stepped per "
        "batch for a Keras schedule); `def loss_fn(y_true, y_pred)` computing the loss as Keras "
        "reduces it, in Keras's argument order; `metrics = {\"accuracy\": ...}` keyed by the "
        "names Keras logs (a per-batch expression for a mean metric; for AUC, Precision, Recall, "
        "the confusion counts and MeanIoU an object with Keras's `update_state`/`result`/"
        "`reset_state`, which the loop resets per epoch and logs the `result()` of). Under a "
        "`mixed_float16` policy, `compile` also makes `scaler = torch.amp.GradScaler(...)` with "
        "the values of the LossScaleOptimizer Keras wraps the optimizer in (scale 2**15, doubled "
        "after 2000 finite steps, halved on overflow), kept beside the optimizer across `fit` calls "
        "as Keras keeps its wrapper (`auto_scale_loss=False` makes none); an optimizer given as "
        "`LossScaleOptimizer(inner, initial_scale=..., dynamic_growth_steps=...)` becomes the "
        "inner optimizer and a scaler with those values. They are named after the model (`model` → `optimizer`, `loss_fn`, "
        "`metrics`; `critic` → `critic_optimizer`…) so the migrated `fit`/`evaluate` find them. "
        "Keras's default optimizer is RMSprop. `loss_weights`/`weighted_metrics` are a TODO; "
        "`run_eagerly`, `steps_per_execution`, `jit_compile` and `auto_scale_loss` only tune "
        "Keras's own execution and are dropped."
    )
    example = (
        "from tensorflow import keras\n\n"
        "model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])\n"
        "model.compile(\n"
        "    optimizer=keras.optimizers.Adam(1e-3),\n"
        "    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
        ")\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        model = _receiver(call, ctx)
        _custom_steps(model, ctx, ("compile", *_CUSTOM_STEPS))
        if _compiled_for_the_caller(model, ctx.scope()):
            raise CannotMigrate(
                f"`{model}` is compiled here but trained by the caller (this function returns it): in "
                "PyTorch the optimizer and loss live beside the training loop — move this `compile` "
                "next to the `fit`"
            )
        compiled = _compiled(model, _original_call(ctx, "compile"), ctx)
        device = _spell(ctx, "torch.device")
        cuda = _spell(ctx, "torch.cuda.is_available")
        lines = [f"{model}.to(device)"]
        devices = _DEVICES.setdefault(ctx, set())
        if id(ctx.scope()) not in devices:  # one device per function
            devices.add(id(ctx.scope()))
            lines.insert(0, f'device = {device}("cuda" if {cuda}() else "cpu")')
        plan = compiled.plan
        for note in plan.notes:
            lines.append(f"# {note}")
        if not plan.built:
            lines.append(f"{compiled.optimizer} = {code_of(plan.optimizer)}")
            scheduler = plan.scheduler(cst.Name(compiled.optimizer), ctx)
            if scheduler is not None and compiled.scheduler is not None:
                lines.append(f"{compiled.scheduler} = {code_of(scheduler)}")
        if compiled.scaler is not None:
            grad_scaler = _spell(ctx, "torch.amp.GradScaler")
            initial, growth = compiled.scale
            if compiled.wrapped:
                lines.append("# The LossScaleOptimizer's scale doubles after `growth_interval` finite steps and halves on overflow.")
            else:
                lines += [
                    "# mixed_float16: Keras's compile wraps the optimizer in a LossScaleOptimizer, whose scale",
                    "# starts at 2**15, doubles after 2000 finite steps and halves when a gradient overflows.",
                ]
            lines += [
                f"{compiled.scaler} = {grad_scaler}(",
                f"    device.type, init_scale={initial}, growth_factor=2.0, backoff_factor=0.5, growth_interval={growth}",
                ")",
            ]
        loss_plan = compiled.loss_plan
        loss_expr = "" if loss_plan.instance else code_of(loss_plan.call(cst.Name("y_true"), cst.Name("y_pred")))
        doc = "The loss Keras's `compile(loss=...)` computes, reduced as Keras reduces it."
        if loss_plan.instance:
            # The file's own Loss subclass reduces and weighs as Keras's Loss.__call__ does.
            loss_lines = [f"{compiled.loss} = {loss_plan.instance}"]
        elif compiled.weighted:
            loss_lines = [f"def {compiled.loss}(y_true, y_pred, sample_weight=None):", f'    """{doc}"""']
            loss_lines += [f"    # {note}" for note in loss_plan.notes]
            loss_lines += ["    if sample_weight is None:", f"        return {loss_expr}"]
            if loss_plan.reduction == "mean":
                per_example = code_of(loss_plan.per_example(cst.Name("y_true"), cst.Name("y_pred")))
                loss_lines += [
                    "    # Keras weighs each example's loss and divides the sum by their count (not by the weights' sum).",
                    f"    per_example = {per_example}",
                    "    return (per_example * sample_weight).sum() / per_example.numel()",
                ]
            else:
                weighted = code_of(loss_plan.weighted(cst.Name("y_true"), cst.Name("y_pred"), cst.Name("sample_weight")))
                loss_lines.append(f"    return {weighted}")
        else:
            loss_lines = [f"def {compiled.loss}(y_true, y_pred):", f'    """{doc}"""']
            loss_lines += [f"    # {note}" for note in loss_plan.notes]
            loss_lines.append(f"    return {loss_expr}")
        statements = _statements("\n".join(lines) + "\n")
        blank = [cst.EmptyLine(indent=False)]
        statements += [s.with_changes(leading_lines=blank) for s in _statements("\n".join(loss_lines) + "\n")]
        if compiled.metrics is not None:
            entries = "".join(f"    {entry}\n" for entry in compiled.metric_entries)
            statements += [s.with_changes(leading_lines=blank) for s in _statements(f"{compiled.metrics} = {{\n{entries}}}\n")]
        for arg in call.args:
            ctx.consume(arg.value)
        ctx.replace_statement(statements)
        return call


_TRAINING_METHODS = ("fit", "evaluate", "train_on_batch", "test_on_batch")


def _compiled_for_the_caller(model: str, scope: cst.CSTNode) -> bool:
    """A function that compiles ``model``, returns it and never trains it."""
    if not isinstance(scope, cst.FunctionDef):
        return False
    trains = any(
        isinstance(c.func, cst.Attribute) and c.func.attr.value in _TRAINING_METHODS and dotted_name(c.func.value) == model
        for c in _calls(scope)
    )
    returned: list[cst.BaseExpression] = []

    class Returns(cst.CSTVisitor):
        def visit_Return(self, node: cst.Return) -> None:
            if node.value is not None:
                returned.append(node.value)

    scope.visit(Returns())
    return not trains and any(dotted_name(r) == model for r in returned)


class Fit(_MethodRule):
    id = "training.fit"
    method = "fit"
    names = ("keras.Model.fit",)
    summary = "`model.fit(...)` → `fit(model, optimizer, loss_fn, ...)`, an explicit training loop written into the file."
    why = (
        "The loop is a function written once into the file with only what the call uses "
        "(validation, callbacks, metrics, gradient clipping, a per-batch schedule, "
        "`initial_epoch`, `steps_per_epoch`), and the call passes Keras's defaults explicitly "
        "(`epochs=1`, `batch_size=32`, `shuffle=True`). It runs as Keras 3 runs `fit`: "
        "`model.train()`, per batch forward, `loss_fn(y_true, y_pred)`, backward, clipping, "
        "`optimizer.step()`, the scheduler; the logged `loss` and metrics are running means "
        "weighted by batch size; validation in `model.eval()` under `torch.no_grad()` adds the "
        "`val_` logs; callbacks' hooks are called where Keras calls them and "
        "`model.stop_training` ends training; it returns a `History` whose `.history[name]` "
        "lists one value per epoch. NumPy arrays become a `DataLoader(TensorDataset(...), "
        "shuffle=...)` (floats as float32, as Keras casts them); `validation_split` takes the "
        "last fraction of the arrays before shuffling, as Keras does; a dataset (a DataLoader "
        "after the tf.data rewrite) is iterated as it is. Keras feeds images channels-last: "
        "when the model is a Sequential, a functional model (also one returned by a builder "
        "function of the file) or a file's class of 2-D layers, each batch is permuted to NCHW; "
        "when it is built where the rules cannot see it (a parameter, an import, a loaded "
        "file), the loop takes `input_permutation=` and the call passes `None` explicitly, with "
        "a comment and a report note saying to pass `(0, 3, 1, 2)` if the model takes images. "
        "Under a Keras mixed-precision policy (`mixed_float16`/`mixed_bfloat16` in the file) "
        "the forward pass and the loss run under `torch.autocast(device_type=device.type, "
        "dtype=MIXED_PRECISION_DTYPE)`, the output cast to float32 first as Keras's losses and "
        "metrics compute in float32; for float16 the step scales the loss with the compiled "
        "`scaler` (`unscale_` before clipping, `scaler.step`, `scaler.update`; a skipped update "
        "does not step the schedule, as in Keras). Under a MirroredStrategy (DDP after the "
        "rewrite), a dataset without compiled metrics is passed as `ReplicaBatches(dataset)`: "
        "each process trains on its slice of every global batch, as Keras's replicas do, and "
        "the logged loss is summed over the processes. `class_weight` and `sample_weight` weigh each example's loss (by "
        "its class or by its own weight; `loss_fn` takes "
        "`sample_weight=` and divides the weighted sum by the batch size, as Keras does). "
        "`validation_freq` (every N epochs), `validation_batch_size` and `validation_steps` "
        "(the first N batches of a fresh pass, each time) are kept; a list of validation "
        "epochs is a TODO. Shuffling "
        "draws from torch's generator: the order cannot match TensorFlow's."
    )
    example = (
        "import numpy as np\n"
        "from tensorflow import keras\n\n"
        "x = np.zeros((64, 4), \"float32\")\n"
        "y = np.zeros((64,), \"int64\")\n"
        "model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])\n"
        "model.compile(optimizer=\"adam\", loss=\"sparse_categorical_crossentropy\")\n"
        "history = model.fit(x, y, epochs=3, validation_split=0.25)\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        model = _receiver(call, ctx)
        _custom_steps(model, ctx)
        compiled = _compiled_for(model, ctx)
        original = _original_call(ctx, "fit")
        bound_original = _bind(original, "fit", ctx)
        args = _bind(call, "fit", ctx)
        if isinstance(args.get("validation_freq"), (cst.List, cst.Tuple, cst.Set)):
            raise CannotMigrate("`validation_freq=` as a list of epochs is not migrated yet: validate on those epochs in the loop")
        if "x" not in args:
            raise CannotMigrate("`fit` without data")
        _one_input(args["x"], ctx)
        dataset = "y" not in args or ctx.type_of(bound_original["x"]) == _DATASET_TYPE
        validation_data = args.get("validation_data")
        if isinstance(validation_data, cst.Tuple) and len(validation_data.elements) != 2:
            raise CannotMigrate("`validation_data` with sample weights is not migrated yet")
        shape = LoopShape(
            permutation=_model_permutation(model, ctx),
            output_permutation=_model_output_permutation(model, ctx),
            metrics=compiled.metrics is not None,
            stateful_metrics=compiled.stateful_metrics,
            validation_split="validation_split" in args and not _is_default(args["validation_split"], 0.0),
            validation_data=validation_data is not None and not _is_default(validation_data, None),
            callbacks="callbacks" in args and not _is_default(args["callbacks"], None),
            initial_epoch="initial_epoch" in args and not _is_default(args["initial_epoch"], 0),
            steps_per_epoch="steps_per_epoch" in args and not _is_default(args["steps_per_epoch"], None),
            class_weight="class_weight" in args and not _is_default(args["class_weight"], None),
            sample_weight="sample_weight" in args and not _is_default(args["sample_weight"], None),
            validation_freq="validation_freq" in args and not _is_default(args["validation_freq"], 1),
            validation_batch_size="validation_batch_size" in args and not _is_default(args["validation_batch_size"], None),
            validation_steps="validation_steps" in args and not _is_default(args["validation_steps"], None),
            scheduler=compiled.scheduler is not None,
            before_step=_before_step(compiled.plan, ctx),
            after_step=_after_step(compiled.plan) if compiled.scheduler is not None else "",
            mixed=_mixed_dtype(ctx.module()),
            scaled=compiled.scaler is not None,
            permutation_argument=_model_unseen(model, ctx),
            # Keras splits each global batch of a dataset between the replicas; the metrics'
            # counts are not summed over the processes yet, so with metrics each process
            # still trains on the whole global batch (the same maths, without the speed-up).
            distributed=dataset and compiled.metrics is None and under_strategy(ctx),
            **_terms(ctx),
        )
        if shape.sample_weight and dataset:
            raise CannotMigrate("`sample_weight` needs NumPy arrays (Keras refuses it for a dataset: yield the weights from it instead)")
        if shape.validation_split and dataset:
            raise CannotMigrate("`validation_split` needs NumPy arrays (Keras refuses it for a dataset)")
        evaluate = None
        _add_common(ctx, history=True)
        if shape.sample_weight:
            ctx.add_definition(_statements(_weighted_batches(ctx).lstrip("\n")))
        if shape.validation_split or shape.validation_data:
            evaluation = LoopShape(
                permutation=shape.permutation,
                output_permutation=shape.output_permutation,
                metrics=shape.metrics,
                stateful_metrics=shape.stateful_metrics,
                eval_steps=shape.validation_steps,
                penalties=shape.penalties,
                mixed=shape.mixed,
                permutation_argument=shape.permutation_argument,
            )
            evaluate = _define("evaluate", lambda name: _evaluate_source(name, evaluation, ctx), ctx)
        fit = _define("fit", lambda name: _fit_source(name, evaluate, shape, ctx), ctx)
        data = replica_batches(args["x"], ctx) if shape.distributed else args["x"]
        new: list[cst.Arg] = [_arg(cst.Name(model)), _arg(cst.Name(compiled.optimizer)), _arg(cst.Name(compiled.loss)), _arg(data)]
        if not dataset:
            new.append(_arg(args["y"]))
        new.append(_arg(args.get("epochs", cst.Integer("1")), "epochs"))
        if not dataset or not _is_default(args.get("batch_size"), None):
            new.append(_arg(args.get("batch_size") if not _is_default(args.get("batch_size"), None) else cst.Integer("32"), "batch_size"))
        if not dataset:
            new.append(_arg(args.get("shuffle", cst.Name("True")), "shuffle"))
        if "verbose" in args and not _is_default(args["verbose"], "auto"):
            new.append(_arg(args["verbose"], "verbose"))
        if shape.metrics:
            new.append(_arg(cst.Name(compiled.metrics or ""), "metrics"))
        if shape.scheduler:
            new.append(_arg(cst.Name(compiled.scheduler or ""), "scheduler"))
        for name in ("validation_split", "validation_data", "callbacks", "initial_epoch", "steps_per_epoch", "class_weight", "sample_weight", "validation_batch_size", "validation_freq", "validation_steps"):
            if getattr(shape, name):
                new.append(_arg(args[name], name))
        if shape.scaled:
            new.append(_arg(cst.Name(compiled.scaler or ""), "scaler"))
        return _call_for(fit, new, model, shape, ctx)


_NOT_YET = {
    "class_weight": "Keras multiplies each example's loss by its class's weight and divides by the batch size; write it in `loss_fn` with the per-example loss",
    "sample_weight": "Keras multiplies each example's loss by its weight and divides by the batch size; write it in `loss_fn` with the per-example loss",
    "validation_batch_size": "batch the validation data by hand",
    "validation_freq": "validate every N epochs in the loop",
}


class Evaluate(_MethodRule):
    id = "training.evaluate"
    method = "evaluate"
    names = ("keras.Model.evaluate",)
    summary = "`model.evaluate(...)` → `evaluate(model, loss_fn, ...)`: the mean loss (and metrics) in eval mode, without gradients."
    why = (
        "The helper written into the file runs the model in `model.eval()` under "
        "`torch.no_grad()` and returns the loss and metrics averaged over the data with each "
        "batch weighted by its size, as Keras's `Mean` metrics are. The call keeps Keras's "
        "return value: the loss alone without metrics, `[loss, *metrics]` with them, the dict "
        "with `return_dict=True`. `batch_size` defaults to 32 for arrays, as in Keras; "
        "`steps=N` takes the first N batches; `sample_weight` weighs each example's loss as "
        "`fit` does. `callbacks` are a TODO."
    )
    example = (
        "import numpy as np\n"
        "from tensorflow import keras\n\n"
        "x = np.zeros((8, 4), \"float32\")\n"
        "y = np.zeros((8,), \"int64\")\n"
        "model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])\n"
        "model.compile(optimizer=\"adam\", loss=\"sparse_categorical_crossentropy\")\n"
        "loss = model.evaluate(x, y)\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        model = _receiver(call, ctx)
        _custom_steps(model, ctx)
        compiled = _compiled_for(model, ctx)
        original = _original_call(ctx, "evaluate")
        bound_original = _bind(original, "evaluate", ctx)
        args = _bind(call, "evaluate", ctx)
        if "callbacks" in args and not _is_default(args["callbacks"], None):
            raise CannotMigrate("`callbacks=` of `evaluate` is not migrated yet: the migrated evaluate calls no hooks")
        if "x" not in args:
            raise CannotMigrate("`evaluate` without data")
        _one_input(args["x"], ctx)
        return_dict = literal_or(args.get("return_dict"), False)
        if return_dict is NOT_LITERAL:
            raise CannotMigrate("`return_dict=` must be a literal: the value returned depends on it")
        dataset = "y" not in args or ctx.type_of(bound_original["x"]) == _DATASET_TYPE
        steps = "steps" in args and not _is_default(args["steps"], None)
        weighted = "sample_weight" in args and not _is_default(args["sample_weight"], None)
        shape = LoopShape(
            permutation=_model_permutation(model, ctx),
            output_permutation=_model_output_permutation(model, ctx),
            metrics=compiled.metrics is not None,
            stateful_metrics=compiled.stateful_metrics,
            eval_steps=steps,
            sample_weight=weighted,
            penalties=_terms(ctx, step=False)["penalties"],
            mixed=_mixed_dtype(ctx.module()),
            permutation_argument=_model_unseen(model, ctx),
        )
        _add_common(ctx)
        if weighted:
            if dataset:
                raise CannotMigrate("`sample_weight` needs NumPy arrays (Keras refuses it for a dataset: yield the weights from it instead)")
            ctx.add_definition(_statements(_weighted_batches(ctx).lstrip("\n")))
        name = _define("evaluate", lambda n: _evaluate_source(n, shape, ctx), ctx)
        new = [_arg(cst.Name(model)), _arg(cst.Name(compiled.loss)), _arg(args["x"])]
        if not dataset:
            new.append(_arg(args["y"]))
        if not dataset or not _is_default(args.get("batch_size"), None):
            new.append(_arg(args.get("batch_size") if not _is_default(args.get("batch_size"), None) else cst.Integer("32"), "batch_size"))
        if shape.metrics:
            new.append(_arg(cst.Name(compiled.metrics or ""), "metrics"))
        if steps:
            new.append(_arg(args["steps"], "steps"))
        if weighted:
            new.append(_arg(args["sample_weight"], "sample_weight"))
        result: cst.BaseExpression = _call_for(name, new, model, shape, ctx)
        if return_dict:
            return result
        if not shape.metrics:
            return cst.Subscript(result, [cst.SubscriptElement(cst.Index(cst.SimpleString('"loss"')))])
        return cst.Call(cst.Name("list"), [cst.Arg(cst.Call(cst.Attribute(result, cst.Name("values"))))])


class Predict(_MethodRule):
    id = "training.predict"
    method = "predict"
    names = ("keras.Model.predict",)
    summary = "`model.predict(x)` → `predict(model, x, batch_size=32)`: outputs in eval mode, without gradients, as a NumPy array."
    why = (
        "Keras's `predict` batches the inputs (32 by default), runs the model in inference mode "
        "and returns one NumPy array. The helper written into the file does the same with "
        "`model.eval()` and `torch.no_grad()`, concatenating the batches' outputs. A dataset "
        "(a DataLoader after the tf.data rewrite) is iterated as it is, using the inputs of "
        "`(inputs, targets)` batches. `steps=N` takes the first N batches; `callbacks` are a TODO."
    )
    example = (
        "import numpy as np\n"
        "from tensorflow import keras\n\n"
        "model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])\n"
        "model.compile(optimizer=\"adam\", loss=\"mse\")\n"
        "outputs = model.predict(np.zeros((8, 4), \"float32\"))\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        model = _receiver(call, ctx)
        original = _original_call(ctx, "predict")
        bound_original = _bind(original, "predict", ctx)
        args = _bind(call, "predict", ctx)
        if "callbacks" in args and not _is_default(args["callbacks"], None):
            raise CannotMigrate("`callbacks=` of `predict` is not migrated yet: the migrated predict calls no hooks")
        dataset = ctx.type_of(bound_original["x"]) == _DATASET_TYPE
        steps = "steps" in args and not _is_default(args["steps"], None)
        shape = LoopShape(
            permutation=_model_permutation(model, ctx),
            output_permutation=_model_output_permutation(model, ctx),
            eval_steps=steps,
            mixed=_mixed_dtype(ctx.module()),
            permutation_argument=_model_unseen(model, ctx),
        )
        name = _define("predict", lambda n: _predict_source(n, shape, dataset, ctx), ctx)
        new = [_arg(cst.Name(model)), _arg(args["x"])]
        if not dataset:
            size = args.get("batch_size")
            new.append(_arg(size if size is not None and not _is_default(size, None) else cst.Integer("32"), "batch_size"))
        if steps:
            new.append(_arg(args["steps"], "steps"))
        return _call_for(name, new, model, shape, ctx)


class Summary(_MethodRule):
    id = "training.summary"
    method = "summary"
    names = ("keras.Model.summary",)
    summary = "`model.summary()` → `print(model)`: the module tree, as torch prints it."
    why = (
        "torch has no layer table with output shapes and parameter counts; printing the module "
        "shows its layers and their arguments. (`torchinfo.summary(model, input_size=...)` "
        "gives Keras's table, given an input size.) `print_fn=` is called with the text instead."
    )
    example = (
        "from tensorflow import keras\n\n"
        "model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])\n"
        "model.summary()\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        assert isinstance(call.func, cst.Attribute)
        model = call.func.value
        args = _bind(call, "summary", ctx)
        printer: cst.BaseExpression = cst.Name("print")
        if "print_fn" in args and not _is_default(args["print_fn"], None):
            printer = args["print_fn"]
        # line_length, positions, expand_nested, show_trainable, layer_range lay out Keras's
        # table; torch's printout has no such layout.
        if isinstance(printer, cst.Name) and printer.value == "print":
            return cst.Call(printer, [cst.Arg(model)])
        return cst.Call(printer, [cst.Arg(cst.Call(cst.Name("str"), [cst.Arg(model)]))])


class OnBatch(_MethodRule):
    """``train_on_batch`` / ``test_on_batch`` / ``predict_on_batch``: one step, written inline."""

    def __init__(self, method: str, summary: str, why: str, example: str):
        self.method = method
        self.id = f"training.{method}"
        self.names = (f"keras.Model.{method}",)
        self.summary = summary
        self.why = why
        self.example = example

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        model = _receiver(call, ctx)
        call = _without_reset_metrics(call, ctx)
        args = _bind(call, self.method, ctx)
        for name in ("sample_weight", "class_weight"):
            if name in args and not _is_default(args[name], None):
                raise CannotMigrate(f"`{name}=` is not migrated yet: {_NOT_YET[name]}")
        shape = LoopShape(
            permutation=_model_permutation(model, ctx),
            output_permutation=_model_output_permutation(model, ctx),
            mixed=_mixed_dtype(ctx.module()),
            permutation_argument=_model_unseen(model, ctx),
        )
        if self.method == "predict_on_batch":
            name = _define(self.method, lambda n: _on_batch_source(n, self.method, shape, None, ctx), ctx)
            return _call_for(name, [_arg(cst.Name(model)), _arg(args["x"])], model, shape, ctx)
        _custom_steps(model, ctx)
        compiled = _compiled_for(model, ctx)
        if "y" not in args:
            raise CannotMigrate(f"`{self.method}` without targets (`y`) is not migrated")
        return_dict = literal_or(args.get("return_dict"), False)
        if return_dict is NOT_LITERAL:
            raise CannotMigrate("`return_dict=` must be a literal: the value returned depends on it")
        shape = LoopShape(
            permutation=shape.permutation,
            output_permutation=shape.output_permutation,
            metrics=compiled.metrics is not None,
            stateful_metrics=compiled.stateful_metrics,
            mixed=shape.mixed,
            permutation_argument=shape.permutation_argument,
            scaled=compiled.scaler is not None and self.method == "train_on_batch",
            scheduler=compiled.scheduler is not None and self.method == "train_on_batch",
            before_step=_before_step(compiled.plan, ctx) if self.method == "train_on_batch" else "",
            after_step=_after_step(compiled.plan) if compiled.scheduler is not None and self.method == "train_on_batch" else "",
            **_terms(ctx, step=self.method == "train_on_batch"),
        )
        name = _define(self.method, lambda n: _on_batch_source(n, self.method, shape, compiled, ctx), ctx)
        new = [_arg(cst.Name(model))]
        if self.method == "train_on_batch":
            new.append(_arg(cst.Name(compiled.optimizer)))
        new += [_arg(cst.Name(compiled.loss)), _arg(args["x"]), _arg(args["y"])]
        if shape.metrics:
            new.append(_arg(cst.Name(compiled.metrics or ""), "metrics"))
        if shape.scheduler:
            new.append(_arg(cst.Name(compiled.scheduler or ""), "scheduler"))
        if shape.scaled:
            new.append(_arg(cst.Name(compiled.scaler or ""), "scaler"))
        result: cst.BaseExpression = _call_for(name, new, model, shape, ctx)
        if return_dict:
            return result
        if not shape.metrics:
            return cst.Subscript(result, [cst.SubscriptElement(cst.Index(cst.SimpleString('"loss"')))])
        return cst.Call(cst.Name("list"), [cst.Arg(cst.Call(cst.Attribute(result, cst.Name("values"))))])


def _without_reset_metrics(call: cst.Call, ctx: RuleContext) -> cst.Call:
    """tf.keras 2's ``reset_metrics=True`` (its default) is what Keras 3 always does: the
    metrics of this batch alone. ``False`` kept them accumulating until ``reset_metrics()``."""
    kept = []
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "reset_metrics":
            if literal_or(arg.value, None) is not True:
                raise CannotMigrate(
                    "`reset_metrics=False` (tf.keras 2) accumulates the metrics across calls until "
                    "`model.reset_metrics()`; Keras 3 removed it — keep running sums by hand"
                )
            continue
        kept.append(arg)
    if len(kept) == len(call.args):
        return call
    if kept:
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return call.with_changes(args=kept)


def _on_batch_metric_lines(shape: LoopShape) -> list[str]:
    """The metrics of one batch, under ``torch.no_grad()``: Keras 3's ``*_on_batch`` resets
    its metrics before each call, so an object with counts logs this batch's result."""
    if not shape.metrics:
        return []
    if not shape.stateful_metrics:
        return ["for metric_name, metric in (metrics or {}).items():", "    logs[metric_name] = float(metric(y, y_pred))"]
    return [
        "for metric_name, metric in (metrics or {}).items():",
        "    if hasattr(metric, \"update_state\"):  # Keras 3 resets its metrics on each call: this batch's result",
        "        metric.reset_state()",
        "        metric.update_state(y, y_pred)",
        "        logs[metric_name] = metric.result().item()",
        "    else:",
        "        logs[metric_name] = float(metric(y, y_pred))",
    ]


def _on_batch_source(name: str, method: str, shape: LoopShape, compiled: Compiled | None, ctx: RuleContext) -> str:
    no_grad = _spell(ctx, "torch.no_grad")
    as_tensor = _spell(ctx, "torch.as_tensor")
    convert = [
        f"x = {as_tensor}(x, device=device)",
        "x = x.float() if x.is_floating_point() else x",
    ]
    if method == "predict_on_batch":
        body = ["device = next(model.parameters()).device", *convert, *_permute_line(shape).copy()]
        body = [line.replace("batch_x", "x") for line in body]
        body += ["model.eval()", f"with {no_grad}():", *("    " + line for line in _predicted_outputs(shape, "x", ".cpu().numpy()", ctx, keep="return {}{}"))]
        doc = '"""`model.predict_on_batch(x)`: the model\'s outputs for one batch, in eval mode, as a NumPy array."""'
        params = "model, x, *, input_permutation=None" if shape.permutation_argument else "model, x"
        return f"def {name}({params}):\n    {doc}\n" + _indent(body, 1)
    params = ["model"] + (["optimizer"] if method == "train_on_batch" else []) + ["loss_fn", "x", "y"]
    if shape.metrics:
        params.append("metrics=None")
    if shape.scheduler:
        params.append("scheduler=None")
    if shape.scaled or shape.permutation_argument:
        params.append("*")
    if shape.permutation_argument:
        params.append("input_permutation=None")
    if shape.scaled:
        params.append("scaler")
    body = ["device = next(model.parameters()).device", *convert]
    body += [f"y = {as_tensor}(y, device=device)", "y = y.float() if y.is_floating_point() else y"]
    body += [line.replace("batch_x", "x") for line in _permute_line(shape)]
    if method == "train_on_batch":
        body += ["model.train()", *_autocast(shape, [_predicted(shape, "x"), "loss = loss_fn(y, y_pred)", *_penalty_lines(shape)], ctx)]
        body += _update_lines(shape)
        body.append("logs = {\"loss\": loss.item()}")
        if shape.metrics:
            body += [f"with {no_grad}():", *("    " + line for line in _on_batch_metric_lines(shape))]
        doc = '"""`model.train_on_batch(x, y)`: one optimizer step on one batch; the loss (and metrics) of that batch."""'
    else:
        if shape.penalties or shape.mixed:
            forward = _autocast(shape, [_predicted(shape, "x"), "loss = loss_fn(y, y_pred)", *_penalty_lines(shape)], ctx)
            body += [
                "model.eval()",
                f"with {no_grad}():",
                *("    " + line for line in forward),
                "    logs = {\"loss\": loss.item()}",
            ]
        else:
            body += ["model.eval()", f"with {no_grad}():", "    y_pred = {}{}".format(*_forward(shape, "x")), "    logs = {\"loss\": loss_fn(y, y_pred).item()}"]
        body += ["    " + line for line in _on_batch_metric_lines(shape)]
        doc = '"""`model.test_on_batch(x, y)`: the loss (and metrics) of one batch, in eval mode and without gradients."""'
    body.append("return logs")
    return _signature(name, params) + f"    {doc}\n" + _indent(body, 1)


class GeneratorMethods(_MethodRule):
    id = "training.generator_methods"
    names = ("keras.Model.fit_generator", "keras.Model.evaluate_generator", "keras.Model.predict_generator")
    summary = "`model.fit_generator(...)` and friends (tf.keras 2, removed in Keras 3): a TODO to call `fit` / `evaluate` / `predict` first."
    why = (
        "Keras 2.1 made `fit`, `evaluate` and `predict` take a generator themselves and later "
        "removed the `*_generator` methods. Their arguments differ (`generator`, "
        "`steps_per_epoch` required for an endless generator), so the call is left as it is, "
        "with a TODO to write it as `fit(generator, ...)` first; `migrate` then writes that loop."
    )
    example = (
        "from tensorflow import keras\n\n"
        "model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])\n"
        "model.compile(optimizer=\"sgd\", loss=\"mse\")\n"
        "model.fit_generator(batches(), steps_per_epoch=10, epochs=2)\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        method = qualified.rsplit(".", 1)[1]
        raise CannotMigrate(
            f"`{method}` is tf.keras 2's form (removed in Keras 3): call `{method.removesuffix('_generator')}` "
            "with the generator, then migrate"
        )


RULES: Sequence[Rule] = [
    Compile(),
    Fit(),
    Evaluate(),
    Predict(),
    Summary(),
    GeneratorMethods(),
    OnBatch(
        "train_on_batch",
        "`model.train_on_batch(x, y)` → `train_on_batch(model, optimizer, loss_fn, x, y)`: one optimizer step.",
        "One training step in `model.train()`: forward, `loss_fn(y_true, y_pred)`, backward, the "
        "optimizer's clipping, `optimizer.step()` (and the schedule's step). Keras's return "
        "value is kept: the loss, `[loss, *metrics]` with metrics, or the dict with "
        "`return_dict=True`; the loss and metrics are this batch's, as Keras 3 resets its "
        "metrics on each call (an AUC/Precision object is reset, updated with the batch and "
        "its `result()` logged; tf.keras 2's `reset_metrics=True` is that, `False` a TODO). "
        "Under a mixed policy the step is `fit`'s (autocast, the float16 loss scale). "
        "`sample_weight`/`class_weight` are TODOs.",
        "import numpy as np\nfrom tensorflow import keras\n\nmodel = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])\nmodel.compile(optimizer=\"sgd\", loss=\"mse\")\nloss = model.train_on_batch(np.zeros((8, 4), \"float32\"), np.zeros((8, 1), \"float32\"))\n",
    ),
    OnBatch(
        "test_on_batch",
        "`model.test_on_batch(x, y)` → `test_on_batch(model, loss_fn, x, y)`: the loss of one batch, without gradients.",
        "The loss (and metrics) of one batch in `model.eval()` under `torch.no_grad()`, with "
        "Keras's return value (the loss, `[loss, *metrics]`, or a dict with `return_dict=True`).",
        "import numpy as np\nfrom tensorflow import keras\n\nmodel = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])\nmodel.compile(optimizer=\"sgd\", loss=\"mse\")\nloss = model.test_on_batch(np.zeros((8, 4), \"float32\"), np.zeros((8, 1), \"float32\"))\n",
    ),
    OnBatch(
        "predict_on_batch",
        "`model.predict_on_batch(x)` → `predict_on_batch(model, x)`: the outputs of one batch as a NumPy array.",
        "The model in `model.eval()` under `torch.no_grad()` on one batch, the outputs returned as "
        "a NumPy array as Keras returns them.",
        "import numpy as np\nfrom tensorflow import keras\n\nmodel = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])\noutputs = model.predict_on_batch(np.zeros((8, 4), \"float32\"))\n",
    ),
]
