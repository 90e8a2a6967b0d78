"""``keras.activations``: activation functions, called or passed around by value.

Each row rewrites a call and, where PyTorch has the same function of one argument, the name
used as a value (``Dense(64, activation=keras.activations.gelu)``). The semantics are Keras
3's (the installed Keras the checks run against); where Keras 2 (``tf_keras``) differs, the
row says so.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from migrate.rules.base import CannotMigrate, Check, NotLiteral, literal
from migrate.rules.tf_nn import Args, Composite, call, dotted_name, reference_check

F = "torch.nn.functional."

#: Keras activation name -> (torch function, keyword arguments that make it Keras's).
_BY_NAME: dict[str, tuple[str, dict[str, Any]]] = {
    "relu": ("torch.relu", {}),
    "sigmoid": ("torch.sigmoid", {}),
    "tanh": ("torch.tanh", {}),
    "softmax": ("torch.softmax", {"dim": -1}),
    "log_softmax": ("torch.log_softmax", {"dim": -1}),
    "gelu": (F + "gelu", {}),
    "silu": (F + "silu", {}),
    "swish": (F + "silu", {}),
    "elu": (F + "elu", {}),
    "selu": (F + "selu", {}),
    "softplus": (F + "softplus", {}),
    "softsign": (F + "softsign", {}),
    "relu6": (F + "relu6", {}),
    "leaky_relu": (F + "leaky_relu", {"negative_slope": 0.2}),
    "exponential": ("torch.exp", {}),
    "mish": (F + "mish", {}),
    "hard_sigmoid": (F + "hardsigmoid", {}),
    "hard_silu": (F + "hardswish", {}),
    "hard_swish": (F + "hardswish", {}),
    "log_sigmoid": (F + "logsigmoid", {}),
    "tanh_shrink": (F + "tanhshrink", {}),
    "hard_tanh": (F + "hardtanh", {}),
    "celu": (F + "celu", {}),
    "glu": (F + "glu", {}),
    "hard_shrink": (F + "hardshrink", {}),
    "soft_shrink": (F + "softshrink", {}),
    "linear": ("torch.nn.Identity", {}),  # a module instance, written as a call below
}


def _function(ctx: Any, name: str) -> cst.BaseExpression:
    torch, kwargs = _BY_NAME[name]
    if name == "linear":
        return call(ctx.name(torch))
    if kwargs:
        return call(ctx.name("functools.partial"), ctx.name(torch), **kwargs)
    return ctx.name(torch)


def _get(a: Args) -> cst.BaseExpression:
    identifier = a["identifier"]
    try:
        value = literal(identifier)
    except NotLiteral:
        dotted = dotted_name(identifier) or ""
        if dotted.startswith(("torch.", "F.", "nn.", "functools.")) or isinstance(identifier, cst.Call) and (
            dotted_name(identifier.func) or ""
        ).startswith(("functools.partial", "torch.nn.Identity", "nn.Identity")):
            return identifier  # a function already (a rewritten reference): `get` returns it
        raise CannotMigrate(
            f"`{a.ctx.source(identifier)}` is not a literal name: which torch function it "
            "means is only known at run time"
        ) from None
    if value is None:
        value = "linear"
    if not isinstance(value, str) or value not in _BY_NAME:
        raise CannotMigrate(f"activation {value!r} has no torch function in this table")
    return _function(a.ctx, value)


def _act(name: str, torch: str, *, signature: str = "x", checks: list[Check], why: str, handles: tuple[str, ...] = ("x",), build: Any = None, kwargs: dict[str, Any] | None = None) -> Composite:
    fixed = dict(kwargs or {})

    def default_build(a: Args) -> cst.BaseExpression:
        return call(a.name(torch), a["x"], **fixed)

    return Composite(
        id=f"activations.{name}",
        tf=f"keras.activations.{name}",
        signature=signature,
        handles=handles,
        build=build or default_build,
        summary=f"`keras.activations.{name}` → `{torch.replace('torch.nn.functional.', 'F.')}`.",
        why=why,
        example=f"import keras\n\ny = keras.activations.{name}(x)\nact = keras.activations.{name}",
        checks=checks,
        reference=lambda ctx: _function(ctx, name),
    )


def _relu(a: Args) -> cst.BaseExpression:
    slope = a.lit("negative_slope", "it picks the torch function")
    if "alpha" in a:
        slope = a.lit("alpha", "it picks the torch function")
    max_value = a.lit("max_value", "it picks the torch function")
    threshold = a.lit("threshold", "it picks the torch function")
    if threshold != 0:
        raise CannotMigrate("a `threshold` other than 0 has no torch activation")
    if slope == 0 and max_value is None:
        return call(a.name("torch.relu"), a["x"])
    if slope == 0 and max_value == 6:
        return call(a.name("torch.nn.functional.relu6"), a["x"])
    if slope == 0:
        return call(a.name("torch.clamp"), a["x"], min=0.0, max=max_value)
    if max_value is None:
        return call(a.name("torch.nn.functional.leaky_relu"), a["x"], negative_slope=slope)
    raise CannotMigrate("`negative_slope` together with `max_value` has no torch activation")


def _gelu(a: Args) -> cst.BaseExpression:
    if a.lit("approximate", "it picks the exact or the tanh form"):
        return call(a.name("torch.nn.functional.gelu"), a["x"], approximate="tanh")
    return call(a.name("torch.nn.functional.gelu"), a["x"])


def _softmax(torch: str):  # noqa: ANN202
    def build(a: Args) -> cst.BaseExpression:
        axis = a["axis"]
        if isinstance(axis, (cst.List, cst.Tuple)):
            raise CannotMigrate("softmax over several axes has no torch function")
        return call(a.name(torch), a["x"], dim=axis)

    return build


def _elu(a: Args) -> cst.BaseExpression:
    if a.is_default("alpha"):
        return call(a.name("torch.nn.functional.elu"), a["x"])
    return call(a.name("torch.nn.functional.elu"), a["x"], alpha=a["alpha"])


def _leaky(a: Args) -> cst.BaseExpression:
    return call(a.name("torch.nn.functional.leaky_relu"), a["x"], negative_slope=a["negative_slope"])


def _linear(a: Args) -> cst.BaseExpression:
    return a["x"]


def _keyword(torch: str, tf_name: str, torch_name: str, *, always: bool = False):  # noqa: ANN202
    """A builder passing one Keras argument under torch's name (only when given, unless
    ``always``: written out when the defaults differ)."""

    def build(a: Args) -> cst.BaseExpression:
        if always or not a.is_default(tf_name):
            return call(a.name(torch), a["x"], **{torch_name: a[tf_name]})
        return call(a.name(torch), a["x"])

    return build


def _threshold(a: Args) -> cst.BaseExpression:
    return call(a.name("torch.nn.functional.threshold"), a["x"], a["threshold"], a["default_value"])


_EXTRA = [
    _act(
        "hard_silu", "torch.nn.functional.hardswish", why="`x * relu6(x + 3) / 6` in both (`hard_swish` is the same function).",
        checks=[Check("keras.activations.hard_silu(x * 4)", {"x": "f32[3,4]"}), reference_check("keras.activations.hard_silu", {"x": "f64[9]"})],
    ),
    _act(
        "hard_swish", "torch.nn.functional.hardswish", why="`x * relu6(x + 3) / 6` in both.",
        checks=[Check("keras.activations.hard_swish(x * 4)", {"x": "f32[3,4]"}), reference_check("keras.activations.hard_swish", {"x": "f32[9]"})],
    ),
    _act(
        "log_sigmoid", "torch.nn.functional.logsigmoid", why="`log(sigmoid(x))`, computed stably in both.",
        checks=[Check("keras.activations.log_sigmoid(x * 10)", {"x": "f32[3,4]"}), reference_check("keras.activations.log_sigmoid", {"x": "f32[9]"})],
    ),
    _act(
        "tanh_shrink", "torch.nn.functional.tanhshrink", why="`x - tanh(x)` in both.",
        checks=[Check("keras.activations.tanh_shrink(x)", {"x": "f32[3,4]"}), reference_check("keras.activations.tanh_shrink", {"x": "f64[9]"})],
    ),
    _act(
        "hard_tanh", "torch.nn.functional.hardtanh", why="`clip(x, -1, 1)` in both.",
        checks=[Check("keras.activations.hard_tanh(x * 3)", {"x": "f32[3,4]"}), reference_check("keras.activations.hard_tanh", {"x": "f32[9]"})],
    ),
    _act(
        "celu", "torch.nn.functional.celu", signature="x, alpha=1.0", handles=("x", "alpha"), build=_keyword("torch.nn.functional.celu", "alpha", "alpha"),
        why="`max(x, 0) + min(alpha * (exp(x / alpha) - 1), 0)` in both; `alpha` is 1.0 by default in both.",
        checks=[Check("keras.activations.celu(x)", {"x": "f32[3,4]"}), Check("keras.activations.celu(x, alpha=0.5)", {"x": "f64[6]"}), reference_check("keras.activations.celu", {"x": "f32[9]"})],
    ),
    _act(
        "glu", "torch.nn.functional.glu", signature="x, axis=-1", handles=("x", "axis"), build=_keyword("torch.nn.functional.glu", "axis", "dim"),
        why="The first half of `axis` gated by the sigmoid of the second half, in both; both split the last axis by default, another `axis` is torch's `dim`.",
        checks=[Check("keras.activations.glu(x)", {"x": "f32[3,4]"}), Check("keras.activations.glu(x, axis=0)", {"x": "f64[4,3]"}), reference_check("keras.activations.glu", {"x": "f32[2,6]"})],
    ),
    _act(
        "hard_shrink", "torch.nn.functional.hardshrink", signature="x, threshold=0.5", handles=("x", "threshold"), build=_keyword("torch.nn.functional.hardshrink", "threshold", "lambd"),
        why="Zero where `|x| <= threshold`, `x` elsewhere; Keras's `threshold` is torch's `lambd` (0.5 by default in both).",
        checks=[Check("keras.activations.hard_shrink(x)", {"x": "f32[3,4]"}), Check("keras.activations.hard_shrink(x, threshold=1.0)", {"x": "f64[8]"}), reference_check("keras.activations.hard_shrink", {"x": "f32[9]"})],
    ),
    _act(
        "soft_shrink", "torch.nn.functional.softshrink", signature="x, threshold=0.5", handles=("x", "threshold"), build=_keyword("torch.nn.functional.softshrink", "threshold", "lambd"),
        why="`x ∓ threshold` outside `[-threshold, threshold]`, zero inside; Keras's `threshold` is torch's `lambd` (0.5 by default in both).",
        checks=[Check("keras.activations.soft_shrink(x)", {"x": "f32[3,4]"}), Check("keras.activations.soft_shrink(x, threshold=1.0)", {"x": "f64[8]"}), reference_check("keras.activations.soft_shrink", {"x": "f32[9]"})],
    ),
    Composite(
        id="activations.threshold",
        tf="keras.activations.threshold",
        signature="x, threshold, default_value",
        handles=("x", "threshold", "default_value"),
        build=_threshold,
        summary="`keras.activations.threshold(x, t, v)` → `F.threshold(x, t, v)`.",
        why="`x` where `x > threshold`, `default_value` elsewhere, in both.",
        example="import keras\n\ny = keras.activations.threshold(x, 0.1, 0.0)",
        checks=[Check("keras.activations.threshold(x, 0.1, -1.0)", {"x": "f32[3,4]"}), Check("keras.activations.threshold(x, threshold=0.0, default_value=2.0)", {"x": "f64[6]"})],
    ),
]


RULES = [
    Composite(
        id="activations.get",
        tf=["keras.activations.get", "keras.activations.deserialize"],
        signature="identifier, custom_objects=None",
        handles=("identifier",),
        build=_get,
        summary="`keras.activations.get(\"relu\")` → the torch function (`torch.relu`, `F.gelu`, …).",
        why=(
            "With a literal name the function is known: it becomes the torch function that "
            "computes what Keras's does with its defaults (`functools.partial` writes the "
            "defaults torch lacks, such as softmax's last axis and leaky_relu's 0.2 slope; "
            "`None`/`\"linear\"` becomes `nn.Identity()`). A function passed in is returned "
            "as it is, as Keras does. A name that is not a literal is only known at run "
            "time: a TODO. `deserialize` of a name is the same lookup. The names follow "
            "Keras 3 (`hard_sigmoid` is `relu6(x + 3) / 6`; Keras 2's was `0.2x + 0.5`)."
        ),
        example='import keras\n\nact = keras.activations.get("gelu")\ny = keras.activations.get(self.activation)(x)',
        checks=[
            Check('keras.activations.get("relu")(x)', {"x": "f32[3,4]"}),
            Check('keras.activations.get("gelu")(x)', {"x": "f32[6]"}),
            Check('keras.activations.get("softmax")(x)', {"x": "f32[2,5]"}),
            Check('keras.activations.get("leaky_relu")(x)', {"x": "f64[7]"}),
            Check('keras.activations.get("swish")(x)', {"x": "f32[2,0]"}),
            Check('keras.activations.get("hard_sigmoid")(x * 4)', {"x": "f32[9]"}),
            Check("keras.activations.get(None)(x)", {"x": "f32[3]"}),
            Check('keras.activations.get("linear")(x)', {"x": "f32[3]"}),
            Check('keras.activations.deserialize("tanh")(x)', {"x": "f32[3]"}),
            Check('keras.activations.get("exponential")(x)', {"x": "f32[3]"}),
            Check('keras.activations.get("glu")(x)', {"x": "f32[2,4]"}),
            Check('keras.activations.get("hard_shrink")(x)', {"x": "f32[6]"}),
            Check("keras.activations.get(keras.activations.relu)(x)", {"x": "f32[3]"}),
            Check("keras.activations.get(name)(x)", {"x": "f32[3]", "name": "relu"}, todo=True),
        ],
    ),
    Composite(
        id="activations.relu",
        tf="keras.activations.relu",
        signature="x, negative_slope=0.0, max_value=None, threshold=0.0, *, alpha=0.0",
        handles=("x", "negative_slope", "max_value", "threshold", "alpha"),
        build=_relu,
        summary="`keras.activations.relu` → `torch.relu` / `F.leaky_relu` / `F.relu6` / `torch.clamp`.",
        why=(
            "Keras's relu has a slope below zero, a cap and a threshold; which torch "
            "function computes it depends on them, so they must be literals: the plain "
            "form is `torch.relu`, a slope `F.leaky_relu`, a cap of 6 `F.relu6`, another "
            "cap `torch.clamp(x, min=0.0, max=cap)`. A threshold, or a slope with a cap, has "
            "no torch function: a TODO. Keras 2 called the slope `alpha`; both are read."
        ),
        example="import keras\n\ny = keras.activations.relu(x, max_value=6.0)\nact = keras.activations.relu",
        checks=[
            Check("keras.activations.relu(x)", {"x": "f32[3,4]"}),
            Check("keras.activations.relu(x, negative_slope=0.1)", {"x": "f64[6]"}),
            Check("keras.activations.relu(x * 5, max_value=6)", {"x": "f32[8]"}),
            Check("keras.activations.relu(x * 5, max_value=2.5)", {"x": "f32[8]"}),
            Check("keras.activations.relu(x)", {"x": "f32[2,0]"}),
            reference_check("keras.activations.relu", {"x": "f32[5]"}),
            Check("keras.activations.relu(x, threshold=0.5)", {"x": "f32[8]"}, todo=True),
            Check("keras.activations.relu(x, max_value=m)", {"x": "f32[8]", "m": 3.0}, todo=True),
        ],
        reference=lambda ctx: ctx.name("torch.relu"),
    ),
    Composite(
        id="activations.gelu",
        tf="keras.activations.gelu",
        signature="x, approximate=False",
        handles=("x", "approximate"),
        build=_gelu,
        summary="`keras.activations.gelu` → `F.gelu` (`approximate=True` → `approximate=\"tanh\"`).",
        why=(
            "Keras's gelu is exact (erf) by default, as torch's is; `approximate=True` is "
            "the same tanh formula as torch's `approximate=\"tanh\"`. A flag that is not a "
            "literal stays a TODO."
        ),
        example="import keras\n\ny = keras.activations.gelu(x)\nact = keras.activations.gelu",
        checks=[
            Check("keras.activations.gelu(x)", {"x": "f32[3,4]"}),
            Check("keras.activations.gelu(x, approximate=True)", {"x": "f64[6]"}),
            Check("keras.activations.gelu(x, False)", {"x": "f32[2,0]"}),
            reference_check("keras.activations.gelu", {"x": "f32[5]"}),
            Check("keras.activations.gelu(x, approximate=a)", {"x": "f32[3]", "a": True}, todo=True),
        ],
        reference=lambda ctx: ctx.name("torch.nn.functional.gelu"),
    ),
    _act(
        "sigmoid", "torch.sigmoid", why="Same function.",
        checks=[Check("keras.activations.sigmoid(x)", {"x": "f32[3,4]"}), Check("keras.activations.sigmoid(x)", {"x": "f64[0]"}), reference_check("keras.activations.sigmoid", {"x": "f32[5]"})],
    ),
    _act(
        "tanh", "torch.tanh", why="Same function.",
        checks=[Check("keras.activations.tanh(x)", {"x": "f32[3,4]"}), reference_check("keras.activations.tanh", {"x": "f64[5]"})],
    ),
    _act(
        "softmax", "torch.softmax", signature="x, axis=-1", handles=("x", "axis"), build=_softmax("torch.softmax"),
        why="Keras normalises over the last axis by default; torch needs `dim`, so it is written. Several axes at once have no torch function: a TODO.",
        checks=[
            Check("keras.activations.softmax(x)", {"x": "f32[3,4]"}),
            Check("keras.activations.softmax(x, axis=1)", {"x": "f64[2,3,4]"}),
            reference_check("keras.activations.softmax", {"x": "f32[2,5]"}),
            Check("keras.activations.softmax(x, axis=(1, 2))", {"x": "f32[2,3,4]"}, todo=True),
        ],
    ),
    _act(
        "log_softmax", "torch.log_softmax", signature="x, axis=-1", handles=("x", "axis"), build=_softmax("torch.log_softmax"),
        why="As softmax: Keras's default last axis is written as `dim=-1`.",
        checks=[Check("keras.activations.log_softmax(x)", {"x": "f32[3,4]"}), Check("keras.activations.log_softmax(x, axis=0)", {"x": "f64[3,4]"})],
    ),
    _act(
        "silu", "torch.nn.functional.silu", why="`x * sigmoid(x)` in both (`swish` is the same function).",
        checks=[Check("keras.activations.silu(x)", {"x": "f32[3,4]"}), reference_check("keras.activations.silu", {"x": "f64[5]"})],
    ),
    _act(
        "swish", "torch.nn.functional.silu", why="`x * sigmoid(x)` in both.",
        checks=[Check("keras.activations.swish(x)", {"x": "f32[3,4]"}), reference_check("keras.activations.swish", {"x": "f32[5]"})],
    ),
    _act(
        "hard_sigmoid", "torch.nn.functional.hardsigmoid",
        why=(
            "Keras 3's hard_sigmoid is `relu6(x + 3) / 6`, which is `F.hardsigmoid`. Keras 2 "
            "(`tf_keras`) used `clip(0.2x + 0.5, 0, 1)`: code written for Keras 2 keeps that "
            "meaning only with the Keras 2 formula, which this rewrite does not write."
        ),
        checks=[Check("keras.activations.hard_sigmoid(x * 4)", {"x": "f32[3,4]"}), reference_check("keras.activations.hard_sigmoid", {"x": "f32[9]"})],
    ),
    _act(
        "relu6", "torch.nn.functional.relu6", why="`min(max(x, 0), 6)` in both.",
        checks=[Check("keras.activations.relu6(x * 5)", {"x": "f32[3,4]"}), reference_check("keras.activations.relu6", {"x": "f32[9]"})],
    ),
    _act(
        "elu", "torch.nn.functional.elu", signature="x, alpha=1.0", handles=("x", "alpha"), build=_elu,
        why="Same function; `alpha` (1.0 in both) is passed when given.",
        checks=[Check("keras.activations.elu(x)", {"x": "f32[3,4]"}), Check("keras.activations.elu(x, alpha=0.5)", {"x": "f64[6]"}), reference_check("keras.activations.elu", {"x": "f32[5]"})],
    ),
    _act(
        "selu", "torch.nn.functional.selu", why="Same function and constants.",
        checks=[Check("keras.activations.selu(x)", {"x": "f32[3,4]"}), reference_check("keras.activations.selu", {"x": "f32[5]"})],
    ),
    _act(
        "softplus", "torch.nn.functional.softplus",
        why="`log(1 + exp(x))` in both; torch returns `x` above 20, below float precision of the difference.",
        checks=[Check("keras.activations.softplus(x)", {"x": "f32[3,4]"}), reference_check("keras.activations.softplus", {"x": "f32[5]"})],
    ),
    _act(
        "softsign", "torch.nn.functional.softsign", why="`x / (1 + |x|)` in both.",
        checks=[Check("keras.activations.softsign(x)", {"x": "f32[3,4]"}), reference_check("keras.activations.softsign", {"x": "f32[5]"})],
    ),
    _act(
        "exponential", "torch.exp", why="`exp(x)`.",
        checks=[Check("keras.activations.exponential(x)", {"x": "f32[3,4]"}), reference_check("keras.activations.exponential", {"x": "f32[5]"})],
    ),
    _act(
        "mish", "torch.nn.functional.mish", why="`x * tanh(softplus(x))` in both.",
        checks=[Check("keras.activations.mish(x)", {"x": "f32[3,4]"}), reference_check("keras.activations.mish", {"x": "f32[5]"})],
    ),
    _act(
        "leaky_relu", "torch.nn.functional.leaky_relu", signature="x, negative_slope=0.2", handles=("x", "negative_slope"), build=_leaky,
        why="Keras's default slope is 0.2, torch's 0.01: the slope is always written.",
        checks=[Check("keras.activations.leaky_relu(x)", {"x": "f32[3,4]"}), Check("keras.activations.leaky_relu(x, negative_slope=0.1)", {"x": "f64[6]"}), reference_check("keras.activations.leaky_relu", {"x": "f32[5]"})],
    ),
    _act(
        "linear", "torch.nn.Identity", build=_linear,
        why="The identity: a call becomes its argument; the function as a value becomes `nn.Identity()`.",
        checks=[Check("keras.activations.linear(x)", {"x": "f32[3,4]"}), reference_check("keras.activations.linear", {"x": "f32[5]"})],
    ),
    *_EXTRA,
]
