"""dtype objects and ``tf.newaxis``: references, not calls."""

from __future__ import annotations

import libcst as cst

from migrate.rules.base import CannotMigrate, Check, Reference, Rule, RuleContext, expand
from migrate.rules.convert import dtype

_DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool", "complex64", "complex128")

#: dtypes TF has and torch has not: a reference to one is a TODO with this reason.
_NO_TORCH_DTYPE = {
    "string": "torch has no string dtype: keep strings in Python (lists of str) or tokenize them to integer tensors",
    "resource": "a TF resource handle has no torch counterpart (torch tensors are their own storage)",
    "variant": "a TF variant (a tensor of nested tensors) has no torch dtype",
    "qint8": "TF's quantized dtypes differ from torch's (torch.qint8 carries scale/zero point in the tensor): migrate the quantization by hand",
    "quint8": "TF's quantized dtypes differ from torch's (torch.quint8 carries scale/zero point in the tensor): migrate the quantization by hand",
    "qint32": "TF's quantized dtypes differ from torch's (torch.qint32 carries scale/zero point in the tensor): migrate the quantization by hand",
}


class DTypeNames(Reference):
    """A Reference whose mapping may say why a name has no torch form (a TODO)."""

    def __init__(self, *args, todo: dict[str, str], **kwargs):  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.todo = {expand(k): v for k, v in todo.items()}
        self.names = self.names + tuple(self.todo)

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if qualified in self.todo:
            raise CannotMigrate(self.todo[qualified])
        return super().rewrite_reference(node, qualified, ctx)


def _as_dtype(value: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
    """``tf.as_dtype``'s argument: a dtype name or a dtype object (already rewritten)."""
    if isinstance(value, cst.SimpleString):
        return dtype(value, ctx)
    if isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) and value.value.value == "torch":
        return value  # `tf.float32` was rewritten to `torch.float32` already
    if isinstance(value, (cst.Name, cst.Attribute)):
        # A name may hold a dtype name (Keras configs, `layer.dtype`) or a dtype object (a TF
        # dtype this tool rewrote to torch's): `getattr(torch, name)` is the torch dtype of a
        # name ("float32", "int64", "half", "double", "bool" ...).
        expr = cst.IfExp(
            test=cst.Call(cst.Name("isinstance"), [cst.Arg(value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), cst.Arg(cst.Name("str"))]),
            body=cst.Call(cst.Name("getattr"), [cst.Arg(ctx.name("torch"), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), cst.Arg(value)]),
            orelse=value,
        )
        return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    raise CannotMigrate(
        f"`{ctx.source(value)}` may be a string, a NumPy dtype or a TF dtype: torch has no "
        "`as_dtype`; assign it to a name, or write the torch dtype (`torch.float32`) here"
    )


class AsDType(Rule):
    id = "dtypes.as_dtype"
    names = ("tf.as_dtype", "tf.dtypes.as_dtype")
    summary = "`tf.as_dtype(\"float32\")` → `torch.float32`."
    why = (
        "torch has no `as_dtype`: a dtype is named by its object. A string literal becomes "
        "that object and a TF dtype object is already one (this tool rewrites it to torch's). "
        "A name may hold either (Keras keeps dtypes as strings), so it becomes "
        "`(getattr(torch, d) if isinstance(d, str) else d)`: right for every dtype name torch "
        "shares with TF and for dtype objects; `\"string\"` fails loudly there, and a NumPy "
        "dtype passes through and fails where torch expects a dtype. Any other expression "
        "would be evaluated twice and stays a TODO. `tf.DType` properties (`is_floating`, "
        "`as_numpy_dtype`, `size`) are attributes this rule does not see: torch's are "
        "`is_floating_point`, `itemsize`."
    )
    example = 'd = tf.as_dtype("float16")\ne = tf.as_dtype(tf.int32)\nf = tf.as_dtype(self.dtype)\ng = tf.as_dtype(config["dtype"])'
    checks = (
        Check('tf.as_dtype("float32")'),
        Check('tf.dtypes.as_dtype("int64")'),
        Check("tf.as_dtype(tf.bfloat16)"),
        Check('tf.cast(x, tf.as_dtype("float16"))', {"x": "f32[2,0]"}),
        Check("d = 'int32'\nresult = tf.as_dtype(d)"),
        Check("d = tf.float64\nresult = tf.as_dtype(d)"),
        Check("class C:\n    dtype = 'bfloat16'\nresult = tf.cast(x, tf.as_dtype(C.dtype))", {"x": "f32[3]"}),
        Check("tf.as_dtype(config['dtype'])", {"config": {"dtype": "float32"}}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if len(call.args) != 1 or call.args[0].star or (call.args[0].keyword and call.args[0].keyword.value != "type_value"):
            raise CannotMigrate("expected one argument, `type_value`")
        return _as_dtype(call.args[0].value, ctx)


RULES = [
    DTypeNames(
        id="dtypes.names",
        mapping={
            **{f"tf.{d}": f"torch.{d}" for d in _DTYPES},
            **{f"tf.dtypes.{d}": f"torch.{d}" for d in _DTYPES},
            "tf.half": "torch.float16",
            "tf.double": "torch.float64",
            "tf.dtypes.half": "torch.float16",
            "tf.dtypes.double": "torch.float64",
            "tf.DType": "torch.dtype",
            "tf.dtypes.DType": "torch.dtype",
        },
        todo={
            **{f"tf.{d}": why for d, why in _NO_TORCH_DTYPE.items()},
            **{f"tf.dtypes.{d}": why for d, why in _NO_TORCH_DTYPE.items()},
        },
        summary="`tf.float32` and the other dtype objects → `torch.float32` …; `tf.DType` → `torch.dtype`.",
        why=(
            "The dtype objects correspond one to one, and `tf.DType` (in annotations and "
            "`isinstance` checks) is `torch.dtype`. Note that TF makes Python ints int32 where "
            "torch makes them int64: the rules for tensor constructors write the dtype out. "
            "`torch.uint16`/`uint32`/`uint64` exist but few torch operations support them "
            "(casts, copies, comparisons do). `tf.string`, `tf.resource`, `tf.variant` and the "
            "quantized dtypes have no torch dtype and stay TODOs."
        ),
        example="x = tf.cast(y, dtype=tf.float32)\nd = tf.int64\nif isinstance(d, tf.DType):\n    pass\nkind = tf.string",
        checks=[
            Check("tf.float32"),
            Check("tf.dtypes.int64"),
            Check("[tf.half, tf.double, tf.bfloat16, tf.bool, tf.uint8, tf.complex64]"),
            Check("tf.cast(x, tf.int32)", {"x": "f32[2,3]"}),
            Check("tf.cast(x, tf.dtypes.float64)", {"x": "i32[0,3]"}),
            Check("tf.cast(x, tf.uint16)", {"x": "u8[4]"}),
            Check("isinstance(tf.int32, tf.DType)"),
            Check("isinstance(x.dtype, tf.dtypes.DType)", {"x": "f16[2]"}),
            Check("tf.string", todo=True),
        ],
    ),
    AsDType(),
    Reference(
        id="ops.newaxis",
        mapping={"tf.newaxis": None},
        summary="`tf.newaxis` → `None` in an index.",
        why="`x[:, tf.newaxis]` inserts an axis; in torch (as in NumPy) that is `x[:, None]`.",
        example="y = x[:, tf.newaxis]",
        checks=[
            Check("x[:, tf.newaxis]", {"x": "f32[2,3]"}),
            Check("x[tf.newaxis, ..., tf.newaxis]", {"x": "i64[3]"}),
            Check("x[..., tf.newaxis]", {"x": "f32[2,0]"}),
            Check("tf.newaxis is None"),
        ],
    ),
]
