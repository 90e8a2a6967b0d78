"""dtype objects and ``tf.newaxis``: references, not calls."""

from __future__ import annotations

from migrate.rules.base import Reference

_DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool", "complex64", "complex128")

RULES = [
    Reference(
        id="dtypes.names",
        mapping={
            **{f"tf.{d}": f"torch.{d}" for d in _DTYPES},
            **{f"tf.dtypes.{d}": f"torch.{d}" for d in _DTYPES},
            "tf.half": "torch.float16",
            "tf.double": "torch.float64",
        },
        summary="`tf.float32` and the other dtype objects → `torch.float32` …",
        why=(
            "The dtype objects correspond one to one. Note that TF makes Python ints int32 where "
            "torch makes them int64: the rules for tensor constructors write the dtype out."
        ),
        example="x = tf.zeros_like(y, dtype=tf.float32)\nd = tf.int64",
    ),
    Reference(
        id="ops.newaxis",
        mapping={"tf.newaxis": None},
        summary="`tf.newaxis` → `None` in an index.",
        why="`x[:, tf.newaxis]` inserts an axis; in torch (as in NumPy) that is `x[:, None]`.",
        example="y = x[:, tf.newaxis]",
    ),
]
