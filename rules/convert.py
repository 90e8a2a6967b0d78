"""Value converters shared by table rows (the ``convert=`` of an ``Arg``)."""

from __future__ import annotations

import libcst as cst

from migrate.rules.base import CannotMigrate, RuleContext


def axis(value: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
    """``axis`` → ``dim``: an int or tuple passes through; a list literal becomes a tuple
    (several torch reductions reject lists)."""
    if isinstance(value, cst.List):
        elements = list(value.elements)
        if len(elements) == 1:
            elements[0] = elements[0].with_changes(comma=cst.Comma())
        return cst.Tuple(elements, lpar=value.lpar or [cst.LeftParen()], rpar=value.rpar or [cst.RightParen()])
    return value


#: TF accepts dtype names as strings; torch wants the dtype object.
_DTYPE_NAMES = {
    "float16": "torch.float16",
    "half": "torch.float16",
    "bfloat16": "torch.bfloat16",
    "float32": "torch.float32",
    "float": "torch.float32",
    "float64": "torch.float64",
    "double": "torch.float64",
    "int8": "torch.int8",
    "int16": "torch.int16",
    "int32": "torch.int32",
    "int64": "torch.int64",
    "uint8": "torch.uint8",
    "bool": "torch.bool",
    "complex64": "torch.complex64",
    "complex128": "torch.complex128",
}


def dtype(value: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
    """A dtype: ``"float32"`` → ``torch.float32``; an expression passes through (the
    dtypes rule has already rewritten ``tf.float32``)."""
    if isinstance(value, cst.SimpleString):
        name = value.evaluated_value
        if name not in _DTYPE_NAMES:
            raise CannotMigrate(f"dtype {name!r} has no torch dtype")
        return ctx.name(_DTYPE_NAMES[name])
    return value


shape = axis  # a shape list literal becomes a tuple, the form torch documents
