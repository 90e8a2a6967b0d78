"""Array manipulation: ``tf.concat``, ``tf.stack``, ``tf.reshape``, ``tf.split``, ``tf.cast``…"""

from __future__ import annotations

import libcst as cst

from migrate.rules.base import DROP, ApiCall, CannotMigrate, Check, Kw, NotLiteral, Pos, RuleContext, literal
from migrate.rules.convert import axis, dtype, shape


def _split_target(bound: dict[str, cst.BaseExpression], ctx: RuleContext) -> str:
    """``tf.split`` takes a count or a list of sizes; torch has one function for each."""
    try:
        value = literal(bound["num_or_size_splits"])
    except NotLiteral:
        raise CannotMigrate(
            "`num_or_size_splits` is not a literal: a count needs `torch.tensor_split`, "
            "a list of sizes `torch.split`"
        ) from None
    if isinstance(value, int) and not isinstance(value, bool):
        return "torch.tensor_split"
    if isinstance(value, (list, tuple)) and all(isinstance(v, int) and v >= 0 for v in value):
        return "torch.split"
    raise CannotMigrate("`num_or_size_splits` is neither a count nor a list of sizes")


RULES = [
    ApiCall(
        id="ops.concat",
        tf="tf.concat",
        torch="torch.cat",
        signature="values, axis, name='concat'",
        args={"values": Pos(0), "axis": Kw("dim"), "name": DROP},
        summary="`tf.concat` → `torch.cat`.",
        why="Same operation; `axis` is called `dim`.",
        example="y = tf.concat([a, b], axis=-1)",
        checks=[
            Check("tf.concat([a, b], axis=-1)", {"a": "f32[2,3]", "b": "f32[2,4]"}),
            Check("tf.concat([a, b], 0)", {"a": "i32[0,3]", "b": "i32[2,3]"}),
        ],
    ),
    ApiCall(
        id="ops.stack",
        tf="tf.stack",
        torch="torch.stack",
        signature="values, axis=0, name='stack'",
        args={"values": Pos(0), "axis": Kw("dim", omit_if=(0,)), "name": DROP},
        summary="`tf.stack` → `torch.stack`.",
        why="Same operation and the same default axis 0.",
        example="y = tf.stack([a, b], axis=1)",
    ),
    ApiCall(
        id="ops.expand_dims",
        tf="tf.expand_dims",
        torch="torch.unsqueeze",
        signature="input, axis, name=None",
        args={"input": Pos(0), "axis": Pos(1), "name": DROP},
        summary="`tf.expand_dims` → `torch.unsqueeze`.",
        why="Same operation, negative axes included.",
        example="y = tf.expand_dims(x, -1)",
    ),
    ApiCall(
        id="ops.squeeze",
        tf="tf.squeeze",
        torch="torch.squeeze",
        signature="input, axis=None, name=None",
        args={"input": Pos(0), "axis": Pos(1, axis), "name": DROP},
        summary="`tf.squeeze` → `torch.squeeze`.",
        why=(
            "Same operation. A list of axes becomes a tuple. TF raises when a named axis is not "
            "of size 1; torch leaves such an axis alone."
        ),
        example="y = tf.squeeze(x, axis=[1])",
    ),
    ApiCall(
        id="ops.reshape",
        tf="tf.reshape",
        torch="torch.reshape",
        signature="tensor, shape, name=None",
        args={"tensor": Pos(0), "shape": Pos(1, shape), "name": DROP},
        summary="`tf.reshape` → `torch.reshape`.",
        why="Same operation; `-1` infers a dimension in both. A list literal becomes a tuple.",
        example="y = tf.reshape(x, [-1, 28 * 28])",
    ),
    ApiCall(
        id="ops.transpose",
        tf="tf.transpose",
        torch="torch.permute",
        signature="a, perm=None, conjugate=False, name='transpose'",
        args={"a": Pos(0), "perm": Pos(1, required=True), "conjugate": Kw("conjugate", omit_if=(False,)), "name": DROP},
        summary="`tf.transpose(x, perm)` → `torch.permute(x, perm)`.",
        why=(
            "`torch.transpose` swaps two dimensions; `tf.transpose` permutes all of them, which "
            "is `torch.permute`. Without `perm` TF reverses every axis, which needs the rank: "
            "that case stays a TODO."
        ),
        example="y = tf.transpose(x, perm=[0, 3, 1, 2])",
    ),
    ApiCall(
        id="ops.split",
        tf="tf.split",
        torch="torch.split",
        signature="value, num_or_size_splits, axis=0, num=None, name='split'",
        args={"value": Pos(0), "num_or_size_splits": Pos(1), "axis": Kw("dim", omit_if=(0,)), "name": DROP},
        choose=_split_target,
        summary="`tf.split` → `torch.tensor_split` (a count) or `torch.split` (a list of sizes).",
        why=(
            "`torch.split(x, 2)` makes pieces *of size* 2, while `tf.split(x, 2)` makes 2 "
            "pieces: a count maps to `torch.tensor_split`. Which one applies depends on the "
            "value, so a value that is not a literal stays a TODO."
        ),
        example="a, b = tf.split(x, 2, axis=1)",
    ),
    ApiCall(
        id="ops.cast",
        tf=["tf.cast", "tf.dtypes.cast"],
        torch="Tensor.to",
        signature="x, dtype, name=None",
        args={"x": Pos(0), "dtype": Pos(1, dtype), "name": DROP},
        summary="`tf.cast(x, dtype)` → `x.to(dtype)`.",
        why=(
            "Float to int truncates towards zero in both. TF names dtypes as strings too; "
            "those become torch dtype objects."
        ),
        example='y = tf.cast(mask, "float32")',
    ),
]
