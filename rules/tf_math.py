"""``tf.math`` (and its top-level aliases such as ``tf.reduce_sum``): reductions and
element-wise maths. One row per API; see ``rules/base.py`` for the row format."""

from __future__ import annotations

import libcst as cst

from migrate.rules.base import DROP, ApiCall, CannotMigrate, Drop, Kw, NewArg, NotLiteral, Pos, Rule, RuleContext, build_call, literal
from migrate.rules.convert import axis

_REDUCTION_SIGNATURE = "input_tensor, axis=None, keepdims=False, name=None"


def _reduction(name: str, torch: str, what: str, *, dim_needs_keepdim: bool = False) -> ApiCall:
    dim = Kw("dim", axis, default=None, default_with="keepdims") if dim_needs_keepdim else Kw("dim", axis)
    return ApiCall(
        id=f"ops.{name}",
        tf=[f"tf.math.{name}", f"tf.{name}"],
        torch=torch,
        signature=_REDUCTION_SIGNATURE,
        args={
            "input_tensor": Pos(0),
            "axis": dim,
            "keepdims": Kw("keepdim", omit_if=(False,)),
            "name": DROP,
        },
        summary=f"`tf.{name}` → `{torch}`: {what}, with `axis`→`dim` and `keepdims`→`keepdim`.",
        why=(
            "Same reduction, PyTorch's argument names. A list of axes becomes a tuple, the "
            "form every torch reduction accepts."
            + (
                f" `{torch}` accepts `keepdim` only together with `dim`, so `dim=None` is "
                "written when the source passes `keepdims` without `axis`."
                if dim_needs_keepdim
                else ""
            )
            + (
                " `torch.max`/`torch.min` with a `dim` return (values, indices); `amax`/`amin`"
                " return values like TF."
                if torch in ("torch.amax", "torch.amin")
                else ""
            )
        ),
        example=f"y = tf.{name}(x, axis=[1, 2], keepdims=True)",
    )


def _unary(name: str, torch: str, *, tf_names: tuple[str, ...] | None = None, param: str = "x") -> ApiCall:
    return ApiCall(
        id=f"ops.{name}",
        tf=list(tf_names or (f"tf.math.{name}", f"tf.{name}")),
        torch=torch,
        signature=f"{param}, name=None",
        args={param: Pos(0), "name": DROP},
        summary=f"`{(tf_names or ('tf.' + name,))[0]}` → `{torch}`.",
        why="Same element-wise function; `name=` labels a graph op and has no PyTorch meaning.",
        example=f"y = {(tf_names or ('tf.' + name,))[0]}(x)",
    )


def _is_number(node: cst.BaseExpression) -> bool:
    try:
        value = literal(node)
    except NotLiteral:
        return False
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Binary(Rule):
    """An element-wise binary op. TF takes a Python number on either side; most torch
    functions want a tensor first, and `torch.maximum`/`minimum` want two tensors. A
    number literal therefore moves to where torch accepts it."""

    def __init__(self, name: str, torch: str, *, commutative: bool, reversed_op: str | None = None, clamp: str | None = None):
        self.id = f"ops.{name}"
        self.names = (f"tf.math.{name}", f"tf.{name}")
        self.torch, self.commutative, self.reversed_op, self.clamp = torch, commutative, reversed_op, clamp
        self.summary = f"`tf.{name}` → `{torch}`" + (f" (`{clamp}=` of `torch.clamp` for a number)." if clamp else ".")
        self.why = (
            "Same element-wise function with broadcasting. TF accepts a Python number as either "
            "operand; torch needs the tensor first"
            + (
                f", and `{torch}` needs two tensors, so a number becomes `torch.clamp(x, {clamp}=n)`."
                if clamp
                else (", so a number on the left moves right" + (f" (`{reversed_op}` for subtraction)." if reversed_op else "."))
            )
        )
        self.example = f"z = tf.{name}(x, y)\nw = tf.{name}(2.0, x)"

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        names = ["x", "y", "name"]
        args: dict[str, cst.Arg] = {}
        for position, arg in enumerate(call.args):
            name = arg.keyword.value if arg.keyword else (names[position] if position < 3 else "?")
            if arg.star or name not in names or name in args:
                raise CannotMigrate("arguments cannot be matched to `x, y, name`")
            args[name] = arg
        if not {"x", "y"} <= set(args):
            raise CannotMigrate("arguments cannot be matched to `x, y, name`")
        x, y = (NewArg(args[n].value, None, args[n]) for n in ("x", "y"))
        if _is_number(x.value) and _is_number(y.value):
            raise CannotMigrate("both operands are numbers: there is no tensor to compute with")
        target = self.torch
        if _is_number(x.value):
            x, y = y, x
            target = self.torch if self.commutative or self.clamp else self.reversed_op  # type: ignore[assignment]
        if self.clamp and _is_number(y.value):
            return build_call(call, ctx.name("torch.clamp"), [x, NewArg(y.value, self.clamp, y.original)])
        return build_call(call, ctx.name(target), [x, y])


RULES = [
    _reduction("reduce_sum", "torch.sum", "sum over axes", dim_needs_keepdim=True),
    _reduction("reduce_mean", "torch.mean", "mean over axes", dim_needs_keepdim=True),
    _reduction("reduce_max", "torch.amax", "maximum over axes"),
    _reduction("reduce_min", "torch.amin", "minimum over axes"),
    _reduction("reduce_any", "torch.any", "logical or over axes"),
    _reduction("reduce_all", "torch.all", "logical and over axes"),
    ApiCall(
        id="ops.argmax",
        tf=["tf.math.argmax", "tf.argmax"],
        torch="torch.argmax",
        signature="input, axis=None, output_type=None, name=None",
        args={"input": Pos(0), "axis": Kw("dim", default=0), "name": DROP},
        summary="`tf.argmax` → `torch.argmax`, writing TF's default `axis=0` explicitly.",
        why=(
            "Without an axis TF reduces axis 0, while `torch.argmax` without `dim` flattens the "
            "tensor first: the default is written out. TF returns int64 like torch; an "
            "explicit `output_type` is left as a TODO."
        ),
        example="i = tf.argmax(logits)",
    ),
    ApiCall(
        id="ops.argmin",
        tf=["tf.math.argmin", "tf.argmin"],
        torch="torch.argmin",
        signature="input, axis=None, output_type=None, name=None",
        args={"input": Pos(0), "axis": Kw("dim", default=0), "name": DROP},
        summary="`tf.argmin` → `torch.argmin`, writing TF's default `axis=0` explicitly.",
        why="As for `tf.argmax`: TF's missing axis means 0, torch's means 'flatten'.",
        example="i = tf.argmin(distances)",
    ),
    _unary("abs", "torch.abs"),
    _unary("exp", "torch.exp"),
    _unary("log", "torch.log", tf_names=("tf.math.log",)),
    _unary("sqrt", "torch.sqrt"),
    _unary("square", "torch.square"),
    _unary("tanh", "torch.tanh"),
    _unary("sigmoid", "torch.sigmoid", tf_names=("tf.math.sigmoid", "tf.sigmoid", "tf.nn.sigmoid")),
    Binary("add", "torch.add", commutative=True),
    Binary("subtract", "torch.subtract", commutative=False, reversed_op="torch.rsub"),
    Binary("multiply", "torch.multiply", commutative=True),
    Binary("maximum", "torch.maximum", commutative=True, clamp="min"),
    Binary("minimum", "torch.minimum", commutative=True, clamp="max"),
    ApiCall(
        id="ops.matmul",
        tf=["tf.linalg.matmul", "tf.matmul"],
        torch="torch.matmul",
        signature=(
            "a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, "
            "a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False, grad_b=False, name=None"
        ),
        args={
            "a": Pos(0),
            "b": Pos(1),
            "a_is_sparse": Drop(only=(False,)),
            "b_is_sparse": Drop(only=(False,)),
            "grad_a": Drop(only=(False,)),
            "grad_b": Drop(only=(False,)),
            "name": DROP,
        },
        summary="`tf.matmul` → `torch.matmul` (batched, broadcasting).",
        why=(
            "Both multiply the last two dimensions and broadcast the batch dimensions. "
            "`transpose_*`/`adjoint_*` are left as a TODO rather than folded into a "
            "`.mT`, so the rewrite stays obviously correct."
        ),
        example="c = tf.matmul(a, b)",
    ),
]
