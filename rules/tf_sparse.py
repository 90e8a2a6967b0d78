"""``tf.SparseTensor`` and ``tf.sparse``: torch sparse COO tensors."""

from __future__ import annotations

import libcst as cst

from migrate.rules.base import DROP, ApiCall, CannotMigrate, Check, Drop, Kw, NewArg, NotLiteral, Pos, Rule, RuleContext, build_call, literal
from migrate.rules.tf_tensor import _literal_kind, attr, kwarg

_ATTRIBUTES = (
    " A TF sparse tensor's attributes are torch methods this rule does not see: "
    "`st.indices` is `st.indices().T` (torch stores indices as [rank, N] and needs "
    "`st.coalesce()` first), `st.values` is `st.values()`, `st.dense_shape` is `st.shape`."
)


class SparseTensor(Rule):
    id = "sparse.SparseTensor"
    names = ("tf.SparseTensor", "tf.sparse.SparseTensor")
    summary = "`tf.SparseTensor(indices, values, dense_shape)` → `torch.sparse_coo_tensor(indices.T, values, dense_shape)`."
    why = (
        "Both are coordinate-format sparse tensors. TF takes indices as [N, rank], torch as "
        "[rank, N], hence the transpose; literal integer values are int32 in TF and are given "
        "that dtype. TF requires the indices in row-major order without duplicates; torch "
        "accepts any order (and sums duplicates when it coalesces), so a valid TF sparse tensor "
        "means the same. `dense_shape` must be a list or tuple: torch refuses a shape tensor, "
        "loudly. `isinstance(x, tf.SparseTensor)` has no class to map to (torch sparse tensors "
        "are `torch.Tensor`s with `x.is_sparse`) and stays a TODO." + _ATTRIBUTES
    )
    example = (
        "st = tf.SparseTensor(indices=[[0, 1], [2, 0]], values=[1.0, 2.0], dense_shape=[3, 4])\n"
        "ids = tf.sparse.SparseTensor(idx, vals, [batch, vocab])"
    )
    checks = (
        Check("tf.SparseTensor([[0, 1], [2, 0]], [1.5, 2.5], [3, 3])"),
        Check("tf.SparseTensor(indices=[[0, 0, 1]], values=[7], dense_shape=(1, 2, 2))"),
        Check("tf.sparse.SparseTensor(i, v, [4, 5])", {"i": [[0, 1], [2, 3], [3, 0]], "v": "f64[3]"}),
        Check("tf.SparseTensor(i, v, [3])", {"i": "i64[0,1]", "v": "f32[0]"}),
        Check("isinstance(x, tf.SparseTensor)", {"x": "f32[2]"}, todo=True),
    )

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        raise CannotMigrate(
            "torch has no sparse tensor class: a sparse tensor is a `torch.Tensor` with "
            "`x.is_sparse` (`isinstance(x, tf.SparseTensor)` → `torch.is_tensor(x) and x.is_sparse`)"
        )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        binder = ApiCall(id=self.id, tf=(), torch="", signature="indices, values, dense_shape", args={}, summary="", example="")
        bound = binder.bind(call, ctx)
        i, v, s = bound["indices"], bound["values"], bound["dense_shape"]
        try:
            literal(i.value)
            indices: cst.BaseExpression = cst.Call(ctx.name("torch.tensor"), [cst.Arg(i.value)])
        except NotLiteral:
            indices = cst.Call(ctx.name("torch.as_tensor"), [cst.Arg(i.value)])
        values = v.value
        try:
            lit = literal(values)
        except NotLiteral:
            lit = NotLiteral
        if lit is not NotLiteral:
            kind = _literal_kind(lit)
            if kind is None:
                raise CannotMigrate("the values mix types TF and torch may type differently")
            if kind == "int":
                values = cst.Call(
                    ctx.name("torch.tensor"),
                    [cst.Arg(values, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), kwarg("dtype", ctx.name("torch.int32"))],
                )
        return build_call(
            call,
            ctx.name("torch.sparse_coo_tensor"),
            [NewArg(attr(indices, "T"), None, i), NewArg(values, None, v), NewArg(s.value, None, s)],
        )


RULES = [
    SparseTensor(),
    ApiCall(
        id="sparse.to_dense",
        tf="tf.sparse.to_dense",
        torch="Tensor.to_dense",
        signature="sp_input, default_value=None, validate_indices=True, name=None",
        args={"sp_input": Pos(0), "default_value": Drop(only=(None, 0, 0.0, False)), "validate_indices": Drop(), "name": DROP},
        summary="`tf.sparse.to_dense(st)` → `st.to_dense()`.",
        why=(
            "Both fill the missing entries with zero. A `default_value` other than zero has no "
            "torch argument and stays a TODO. `validate_indices` (TF checks the index order) "
            "is dropped: torch accepts any order." + _ATTRIBUTES
        ),
        example="dense = tf.sparse.to_dense(st)\nfilled = tf.sparse.to_dense(st, default_value=-1)",
        checks=[
            Check("tf.sparse.to_dense(tf.SparseTensor([[0, 1], [2, 0]], [1.5, 2.5], [3, 3]))"),
            Check("tf.sparse.to_dense(tf.sparse.from_dense(x), validate_indices=False)", {"x": "i32[3,4]:0..2"}),
            Check("tf.sparse.to_dense(tf.sparse.from_dense(x), default_value=0.0)", {"x": "f32[2,0]"}),
            Check("tf.sparse.to_dense(tf.sparse.from_dense(x), default_value=-1.0)", {"x": "f32[2,2]"}, todo=True),
        ],
    ),
    ApiCall(
        id="sparse.from_dense",
        tf="tf.sparse.from_dense",
        torch="Tensor.to_sparse",
        signature="tensor, name=None",
        args={"tensor": Pos(0), "name": DROP},
        summary="`tf.sparse.from_dense(x)` → `x.to_sparse()`.",
        why="Both keep the non-zero entries of `x` as a coordinate-format sparse tensor." + _ATTRIBUTES,
        example="st = tf.sparse.from_dense(mask)",
        checks=[
            Check("tf.sparse.from_dense(x)", {"x": "i32[3,4]:0..2"}),
            Check("tf.sparse.from_dense(x)", {"x": "f32[5]"}),
            Check("tf.sparse.from_dense(x)", {"x": "f64[2,0,3]"}),
            Check("tf.sparse.from_dense(x)", {"x": "bool[2,3]"}),
        ],
    ),
    ApiCall(
        id="sparse.concat",
        tf="tf.sparse.concat",
        torch="torch.cat",
        signature="axis, sp_inputs, expand_nonconcat_dims=False, name=None",
        args={"axis": Kw("dim"), "sp_inputs": Pos(0), "expand_nonconcat_dims": Drop(only=(False,)), "name": DROP},
        summary="`tf.sparse.concat(axis, sts)` → `torch.cat(sts, dim=axis)`.",
        why=(
            "`torch.cat` concatenates sparse COO tensors into a sparse tensor, as TF does; note "
            "TF's argument order (axis first). `expand_nonconcat_dims=True` (growing the other "
            "dimensions to the largest) has no torch form and stays a TODO." + _ATTRIBUTES
        ),
        example="batch = tf.sparse.concat(0, [a, b])",
        checks=[
            Check("tf.sparse.concat(0, [tf.sparse.from_dense(a), tf.sparse.from_dense(b)])", {"a": "f32[2,3]", "b": "f32[1,3]"}),
            Check("tf.sparse.concat(axis=-1, sp_inputs=[tf.sparse.from_dense(a), tf.sparse.from_dense(a)])", {"a": "i32[2,2]:0..2"}),
            Check("tf.sparse.concat(1, [tf.sparse.from_dense(a), tf.sparse.from_dense(b)], expand_nonconcat_dims=False)", {"a": "f32[2,0]", "b": "f32[2,2]"}),
            Check("tf.sparse.concat(0, [tf.sparse.from_dense(a)], expand_nonconcat_dims=True)", {"a": "f32[2,2]"}, todo=True),
        ],
    ),
    ApiCall(
        id="sparse.expand_dims",
        tf="tf.sparse.expand_dims",
        torch="torch.unsqueeze",
        signature="sp_input, axis=None, name=None",
        args={"sp_input": Pos(0), "axis": Pos(1, required=True), "name": DROP},
        summary="`tf.sparse.expand_dims(st, axis)` → `torch.unsqueeze(st, axis)`.",
        why="`torch.unsqueeze` inserts a dimension of size 1 into a sparse COO tensor as into a dense one; negative axes count from the end in both." + _ATTRIBUTES,
        example="st = tf.sparse.expand_dims(st, axis=-1)",
        checks=[
            Check("tf.sparse.expand_dims(tf.sparse.from_dense(a), -1)", {"a": "f32[2,3]"}),
            Check("tf.sparse.expand_dims(tf.sparse.from_dense(a), axis=0)", {"a": "i64[3]:0..2"}),
            Check("tf.sparse.expand_dims(tf.sparse.from_dense(a), 1)", {"a": "f32[2,0]"}),
        ],
    ),
]
