"""Array manipulation, indexing and tensor creation: ``tf.concat``, ``tf.reshape``,
``tf.gather``, ``tf.pad``, ``tf.constant``, ``tf.zeros``, ``tf.range``…

Simple renames are ``ApiCall`` rows. Rewrites whose shape depends on the arguments (a
subscript for ``tf.gather``, a reordered padding tuple for ``tf.pad``, a dtype written out for
``tf.constant(1)``) are ``_Op`` rows: the same signature binding, and a small function that
builds the torch expression.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import libcst as cst

from migrate.rules.base import (
    DROP,
    ApiCall,
    CannotMigrate,
    Check,
    Kw,
    NotLiteral,
    Pos,
    Rule,
    RuleContext,
    _equals_default,
    code_of,
    dotted_name,
    literal,
)
from migrate.rules.convert import axis, dtype

# ---------------------------------------------------------------------------------------
# Building expressions from templates.

_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.List, cst.Tuple, cst.Dict, cst.Integer, cst.Float)


def _atom(node: cst.BaseExpression) -> str:
    """Source of ``node``, parenthesised where a following ``.attr`` or ``[...]`` would bind
    to a part of it (``(a + b)[i]``; ``(1)`` keeps ``1.x`` from reading as a float)."""
    code = code_of(node)
    if isinstance(node, (cst.Integer, cst.Float)) or not (isinstance(node, _ATOMIC) or node.lpar):
        return f"({code})"
    return code


def _simple(node: cst.BaseExpression) -> bool:
    """A name or attribute chain: safe to write twice in the rewrite."""
    if isinstance(node, cst.Name):
        return True
    return isinstance(node, cst.Attribute) and _simple(node.value)


def _lit(node: cst.BaseExpression, what: str) -> Any:
    try:
        return literal(node)
    except NotLiteral:
        raise CannotMigrate(what) from None


def _is_literal(node: cst.BaseExpression | None) -> bool:
    if node is None:
        return False
    try:
        literal(node)
    except NotLiteral:
        return False
    return True


def _tuple_code(node: cst.BaseExpression, ctx: RuleContext | None = None) -> str:
    """A shape/axes argument: a list literal becomes a tuple, anything else passes through."""
    return code_of(_size(node, ctx) if ctx is not None else axis(node, None))  # type: ignore[arg-type]


def _size(value: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
    """A shape argument. A list literal becomes a tuple. ``tf.shape(x)`` has become the int32
    tensor ``torch.tensor(x.shape, dtype=...)`` by now, which torch refuses as a size: it
    goes back to ``x.shape`` (and ``tf.shape(x)[1:]`` to ``x.shape[1:]``, ``tf.shape(x)[0]``
    to ``x.shape[0]``), the same sizes."""
    inner, subscript = value, None
    if isinstance(value, cst.Subscript) and len(value.slice) == 1:
        inner, subscript = value.value, value
    if (
        isinstance(inner, cst.Call)
        and code_of(inner.func) == code_of(ctx.name("torch.tensor"))
        and inner.args
        and inner.args[0].keyword is None
        and isinstance(inner.args[0].value, cst.Attribute)
        and inner.args[0].value.attr.value == "shape"
        and all(arg.keyword is not None and arg.keyword.value == "dtype" for arg in inner.args[1:])
    ):
        sizes = inner.args[0].value.with_changes(lpar=[], rpar=[])
        return sizes if subscript is None else subscript.with_changes(value=sizes)
    return axis(value, ctx)


def _tensors(value: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
    """The tensors of ``tf.stack``/``tf.concat``: TF packs Python numbers among them
    (``tf.stack([1, n, 1])`` is an int32 shape); torch takes tensors only."""
    if isinstance(value, (cst.List, cst.Tuple)) and any(
        not isinstance(e, cst.StarredElement) and _is_literal(e.value) for e in value.elements
    ):
        raise CannotMigrate(
            "the list holds Python numbers, which TF packs into a tensor (int32 for ints) and "
            "torch.stack/torch.cat refuse: build it with torch.tensor or x.shape"
        )
    return value


def _tensor(value: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
    """A tensor argument. TF converts a Python number or list literal where it wants a
    tensor; torch does not: it becomes ``torch.tensor`` with TF's dtype (int32 for ints)."""
    if not _is_literal(value) or literal(value) is None:
        return value
    d = _dtype_of_literal(literal(value))
    return cst.parse_expression(f"{code_of(ctx.name('torch.tensor'))}({code_of(value)}{f', dtype={code_of(ctx.name(d))}' if d else ''})")


def _flat(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in _flat(item)]
    return [value]


def _dtype_of_literal(value: Any) -> str | None:
    """TF's dtype for a Python literal (``tf.constant(1)`` is int32, ``1.0`` float32), as a
    torch dtype name; None for bool, which torch infers the same way."""
    flat = _flat(value)
    if any(not isinstance(v, (bool, int, float)) for v in flat):
        raise CannotMigrate("only numbers and booleans make a torch tensor (TF string tensors have no torch form)")
    if flat and all(isinstance(v, bool) for v in flat):
        return None
    if not flat or any(isinstance(v, float) for v in flat):
        return "torch.float32"
    if any(not -(2**31) <= v < 2**31 for v in flat):
        return "torch.int64"
    return "torch.int32"


class _Args:
    """The bound arguments of one call: their (already rewritten) expressions by TF name."""

    def __init__(self, bound: dict[str, cst.Arg], ctx: RuleContext):
        self.bound, self.ctx = bound, ctx

    def __contains__(self, name: str) -> bool:
        return name in self.bound

    def get(self, name: str) -> cst.BaseExpression | None:
        arg = self.bound.get(name)
        return arg.value if arg is not None else None

    def __getitem__(self, name: str) -> cst.BaseExpression:
        return self.bound[name].value

    def code(self, name: str) -> str:
        return code_of(self[name])

    def lit(self, name: str, default: Any, what: str = "") -> Any:
        """The literal value of an argument (``default`` when absent), or a TODO."""
        node = self.get(name)
        if node is None:
            return default
        return _lit(node, f"`{name}=` is not a literal" + (f": {what}" if what else ""))

    def torch_dtype(self, name: str) -> str | None:
        node = self.get(name)
        if node is None or _is_literal(node) and literal(node) is None:
            return None
        return code_of(dtype(node, self.ctx))

    def name(self, qualified: str) -> str:
        return code_of(self.ctx.name(qualified))


class _Op(ApiCall):
    """A row whose torch expression is built by ``build`` from the bound arguments.

    Parameters outside ``handles`` (and ``name``, which is dropped) are a TODO when passed
    with a value other than TF's default, as in an ``ApiCall`` row.
    """

    def __init__(
        self,
        id: str,
        tf: str | Sequence[str],
        signature: str,
        handles: Sequence[str],
        build: Callable[[_Args], str],
        summary: str,
        why: str,
        example: str,
        checks: Sequence[Check],
    ):
        super().__init__(id=id, tf=tf, torch="", signature=signature, args={}, summary=summary, example=example, why=why, checks=checks)
        self.handles = set(handles) | {"name"}
        self.build = build

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = self.bind(call, ctx)
        for param in self.signature:
            arg = bound.get(param.name)
            if param.name not in self.handles and arg is not None and not _equals_default(arg.value, param):
                raise CannotMigrate(f"argument `{param.name}=` has no PyTorch equivalent")
        rewritten = cst.parse_expression(self.build(_Args(bound, ctx)))
        _keep_comments(call, rewritten)
        return rewritten


def _comments(node: cst.CSTNode) -> list[str]:
    found: list[str] = []

    class Collect(cst.CSTVisitor):
        def visit_Comment(self, comment: cst.Comment) -> None:
            found.append(comment.value)

    node.visit(Collect())
    return found


def _keep_comments(call: cst.Call, rewritten: cst.BaseExpression) -> None:
    """A rewrite built from a template keeps the comments inside argument values, not those
    between arguments: rather than drop one silently, leave the site to a person."""
    kept = _comments(rewritten)
    for comment in _comments(call):
        if comment in kept:
            kept.remove(comment)
        else:
            raise CannotMigrate("the rewrite would drop a comment inside the call: move it above the statement")


def _dim_index(position: int, index: str) -> str:
    """The subscript that puts ``index`` at dimension ``position`` (``x[:, :, i]``,
    ``x[..., i, :]`` for a negative position)."""
    if position >= 0:
        return ", ".join([":"] * position + [index])
    return ", ".join(["..."] + [index] + [":"] * (-position - 1))


def _vmapped(a: _Args, batch_dims: int, body: str, *operands: str) -> str:
    """``body`` (a lambda over ``p, i``) applied per example over ``batch_dims`` leading
    dimensions: TF's ``batch_dims`` is torch.vmap nested that many times."""
    if batch_dims == 0:
        return body
    vmap = a.name("torch.vmap")
    function = f"lambda p, i: {body}"
    for _ in range(batch_dims):
        function = f"{vmap}({function})"
    return f"{function}({', '.join(operands)})"


# ---------------------------------------------------------------------------------------
# Creation.


def _build_constant(a: _Args) -> str:
    value = a["value"]
    tensor = a.name("torch.tensor")
    given = a.torch_dtype("dtype")
    if _is_literal(value):
        lit = literal(value)
        inferred = _dtype_of_literal(lit)
        d = given or inferred
    elif given:
        lit, d = None, given
    else:
        raise CannotMigrate(
            "`value` is not a literal and no `dtype=` is given: TF makes Python ints int32, "
            "torch int64; write the dtype"
        )
    dtype_kw = f", dtype={d}" if d else ""
    if "shape" in a and not (_is_literal(a["shape"]) and literal(a["shape"]) is None):
        if not _is_literal(value):
            raise CannotMigrate("`shape=` with a value that is not a literal: TF broadcasts a scalar and reshapes a list")
        if not isinstance(lit, (list, tuple)):
            return f"{a.name('torch.full')}({_tuple_code(a['shape'], a.ctx)}, {code_of(value)}{dtype_kw})"
        return f"{tensor}({code_of(value)}{dtype_kw}).reshape({_tuple_code(a['shape'], a.ctx)})"
    return f"{tensor}({code_of(value)}{dtype_kw})"


def _build_convert_to_tensor(a: _Args) -> str:
    value = a["value"]
    given = a.torch_dtype("dtype")
    if a.get("dtype_hint") is not None and not given:
        raise CannotMigrate("`dtype_hint=` applies only when the value converts to it: write `dtype=` instead")
    if _is_literal(value):
        d = given or _dtype_of_literal(literal(value))
        return f"{a.name('torch.tensor')}({code_of(value)}{f', dtype={d}' if d else ''})"
    if not given:
        raise CannotMigrate(
            "`value` is not a literal and no `dtype=` is given: a tensor or array keeps its "
            "dtype in both, but Python ints become int32 in TF and int64 in torch; write the "
            "dtype, or `torch.as_tensor(value)` if it is a tensor or array"
        )
    return f"{a.name('torch.as_tensor')}({code_of(value)}, dtype={given})"


def _build_fill(a: _Args) -> str:
    value = a["value"]
    if not _is_literal(value):
        raise CannotMigrate("`value` is not a literal: TF takes the dtype from it (a Python int is int32 there, int64 in torch)")
    d = _dtype_of_literal(literal(value))
    if isinstance(literal(value), (list, tuple)):
        raise CannotMigrate("`value` must be a scalar")
    return f"{a.name('torch.full')}({_tuple_code(a['dims'], a.ctx)}, {code_of(value)}{f', dtype={d}' if d else ''})"


def _build_range(a: _Args) -> str:
    start, limit, delta = a.get("start"), a.get("limit"), a.get("delta")
    given = a.torch_dtype("dtype")
    if limit is None and delta is not None:
        bounds = ["0", code_of(_size(start, a.ctx)), code_of(_size(delta, a.ctx))]  # tf.range(5, delta=2): 0 to 5 by 2
    else:
        bounds = [code_of(_size(n, a.ctx)) for n in (start, limit, delta) if n is not None]
    if given is None:
        given = _range_dtype(a, [n for n in (start, limit, delta) if n is not None])
    return f"{a.name('torch.arange')}({', '.join(bounds)}, dtype={given})"


def _range_dtype(a: _Args, bounds: list[cst.BaseExpression]) -> str:
    """TF's dtype for ``tf.range`` without ``dtype=``: that of its tensor arguments (Python
    ints adapt to it), else int32 for ints and float32 when one is a float."""
    numbers, tensors = [], set()
    for node in bounds:
        if _is_literal(node):
            numbers.append(literal(node))
            continue
        known = _known_dtype(node, a.ctx)
        if known is None:
            raise CannotMigrate(
                f"`{code_of(node)}` is not a literal: TF infers the dtype from the values (int32 "
                "for Python ints, float32 for floats, a tensor's own), torch.arange makes int64; "
                "add `dtype=` to the TF code"
            )
        tensors.add(known)
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in numbers):
        raise CannotMigrate("`tf.range` takes numbers")
    if len(tensors) > 1 or tensors and any(isinstance(v, float) for v in numbers):
        raise CannotMigrate("the arguments have different dtypes")
    if tensors:
        return tensors.pop()
    return a.name("torch.float32") if any(isinstance(v, float) for v in numbers) else a.name("torch.int32")


def _known_dtype(node: cst.BaseExpression, ctx: RuleContext) -> str | None:
    """The integer dtype of an expression an earlier rewrite made: ``torch.tensor(x.shape,
    dtype=torch.int32)[0]`` (``tf.shape(x)[0]``, ``tf.size(x)``), or ``n.to(torch.int32)`` /
    ``torch.as_tensor(n, dtype=torch.int32)`` (``tf.cast``)."""
    while isinstance(node, cst.Subscript):
        node = node.value
    if not isinstance(node, cst.Call):
        return None
    integers = {code_of(ctx.name(f"torch.{d}")) for d in ("int32", "int64")}
    if code_of(node.func) in (code_of(ctx.name("torch.tensor")), code_of(ctx.name("torch.as_tensor"))):
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "dtype" and code_of(arg.value) in integers:
                return code_of(arg.value)
        return None
    if isinstance(node.func, cst.Attribute) and node.func.attr.value == "to" and len(node.args) == 1:
        code = code_of(node.args[0].value)
        return code if node.args[0].keyword is None and code in integers else None
    return None


def _build_linspace(a: _Args) -> str:
    if a.lit("axis", 0) != 0:
        raise CannotMigrate("`axis=` places a batched linspace; torch.linspace takes scalars only")
    numbers = [a.lit(n, None, "TF takes the dtype from `start`/`stop` (float64 for ints)") for n in ("start", "stop")]
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in numbers):
        raise CannotMigrate("`start` and `stop` must be numbers")
    d = "torch.float32" if any(isinstance(v, float) for v in numbers) else "torch.float64"
    return f"{a.name('torch.linspace')}({a.code('start')}, {a.code('stop')}, {a.code('num')}, dtype={d})"


def _build_eye(a: _Args) -> str:
    if a.get("batch_shape") is not None and a.lit("batch_shape", None) is not None:
        raise CannotMigrate("`batch_shape=` has no torch.eye equivalent")
    columns = a.get("num_columns")
    columns_code = "" if columns is None or _is_literal(columns) and literal(columns) is None else f", {code_of(columns)}"
    return f"{a.name('torch.eye')}({a.code('num_rows')}{columns_code}, dtype={a.torch_dtype('dtype') or a.name('torch.float32')})"


def _build_sequence_mask(a: _Args) -> str:
    lengths = a["lengths"]
    if not _simple(lengths):
        raise CannotMigrate("`lengths` is written twice in the rewrite (values and device): bind it to a name first")
    code = code_of(lengths)
    maxlen = a.get("maxlen")
    limit = f"{code}.max()" if maxlen is None or _is_literal(maxlen) and literal(maxlen) is None else code_of(maxlen)
    mask = f"{a.name('torch.arange')}({limit}, device={code}.device) < {code}.unsqueeze(-1)"
    d = a.torch_dtype("dtype")
    if d and d != a.name("torch.bool"):
        return f"({mask}).to({d})"
    return mask


# ---------------------------------------------------------------------------------------
# Shape manipulation and indexing.


def _split_sizes(a: _Args) -> tuple[str, list[Any] | int]:
    value = a.lit(
        "num_or_size_splits",
        None,
        "a count needs `torch.tensor_split`, a list of sizes `torch.split`",
    )
    if isinstance(value, int) and not isinstance(value, bool):
        return "torch.tensor_split", value
    if isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) and v >= -1 for v in value):
        if list(value).count(-1) > 1:
            raise CannotMigrate("at most one size may be -1")
        return "torch.split", list(value)
    raise CannotMigrate("`num_or_size_splits` is neither a count nor a list of sizes")


def _build_split(a: _Args) -> str:
    target, sizes = _split_sizes(a)
    ax = a.lit("axis", 0, "the dimension of a -1 size must be known") if isinstance(sizes, list) and -1 in sizes else None
    dim = f", dim={a.code('axis')}" if "axis" in a and not (_is_literal(a["axis"]) and literal(a["axis"]) == 0) else ""
    if isinstance(sizes, list) and -1 in sizes:
        value = a["value"]
        if not _simple(value):
            raise CannotMigrate("a -1 size is computed from the tensor's shape, which writes `value` twice: bind it to a name first")
        known = sum(s for s in sizes if s != -1)
        rest = f"{code_of(value)}.shape[{ax}]" + (f" - {known}" if known else "")
        parts = [rest if s == -1 else str(s) for s in sizes]
        return f"{a.name(target)}({code_of(value)}, [{', '.join(parts)}]{dim})"
    sizes_code = a.code("num_or_size_splits") if isinstance(sizes, int) else code_of(axis(a["num_or_size_splits"], a.ctx))
    if isinstance(sizes, list):
        sizes_code = "[" + ", ".join(str(s) for s in sizes) + "]"
    return f"{a.name(target)}({a.code('value')}, {sizes_code}{dim})"


def _build_transpose(a: _Args) -> str:
    x = a["a"]
    conjugate = a.lit("conjugate", False, "TF conjugates complex values when it is True")
    perm = a.get("perm")
    permute = a.name("torch.permute")
    if perm is None or _is_literal(perm) and literal(perm) is None:
        if not _simple(x):
            raise CannotMigrate(
                "without `perm` TF reverses every axis, which needs the rank: bind the tensor to "
                "a name first, or write `perm`"
            )
        result = f"{permute}({code_of(x)}, tuple(reversed(range({code_of(x)}.ndim))))"
    else:
        result = f"{permute}({code_of(x)}, {_tuple_code(perm)})"
    return f"{result}.conj()" if conjugate else result


def _build_gather(a: _Args) -> str:
    batch_dims = a.lit("batch_dims", 0, "it decides how many leading dimensions are batched")
    ax = a.lit("axis", None, "the gathered dimension must be known")
    if not isinstance(batch_dims, int) or batch_dims < 0:
        raise CannotMigrate("a negative `batch_dims` counts from the rank of `indices`, which is unknown here")
    if ax is None:
        ax = batch_dims
    if not isinstance(ax, int) or 0 <= ax < batch_dims:
        raise CannotMigrate("`axis` must be an integer not less than `batch_dims`")
    if _is_literal(a["params"]):
        raise CannotMigrate("`params` is a Python literal, not a tensor")
    indices = a["indices"]
    if isinstance(indices, cst.Tuple):
        index = "[" + ", ".join(code_of(e.value) for e in indices.elements) + "]"
    else:
        index = code_of(indices)
    if batch_dims and _is_literal(indices):
        raise CannotMigrate("batched `indices` must be a tensor")
    position = ax - batch_dims if ax >= 0 else ax
    if batch_dims == 0:
        return f"{_atom(a['params'])}[{_dim_index(position, index)}]"
    return _vmapped(a, batch_dims, f"p[{_dim_index(position, 'i')}]", a.code("params"), index)


def _index_tensor(a: _Args, name: str) -> str:
    """``indices`` of the `*_nd` ops as a tensor whose last axis is unbound into a tuple."""
    node = a[name]
    if isinstance(node, (cst.List, cst.Tuple)):
        return f"{a.name('torch.tensor')}({code_of(node)}).unbind(-1)"
    return f"{_atom(node)}.unbind(-1)"


def _build_gather_nd(a: _Args) -> str:
    batch_dims = a.lit("batch_dims", 0, "it decides how many leading dimensions are batched")
    if not isinstance(batch_dims, int) or batch_dims < 0:
        raise CannotMigrate("`batch_dims` must be a non-negative integer")
    if batch_dims == 0:
        return f"{_atom(a['params'])}[{_index_tensor(a, 'indices')}]"
    indices = a["indices"]
    if _is_literal(indices):
        raise CannotMigrate("batched `indices` must be a tensor")
    return _vmapped(a, batch_dims, "p[i.unbind(-1)]", a.code("params"), code_of(indices))


def _build_scatter_update(accumulate: bool) -> Callable[[_Args], str]:
    def build(a: _Args) -> str:
        extra = ", accumulate=True" if accumulate else ""
        updates = a["updates"]
        updates_code = code_of(updates)
        if isinstance(updates, (cst.List, cst.Tuple)):
            if any(isinstance(e, cst.StarredElement) or _is_literal(e.value) for e in updates.elements):
                raise CannotMigrate("`updates` is a Python list holding numbers: `index_put` needs a tensor of the tensor's dtype")
            updates_code = f"{a.name('torch.stack')}({updates_code})"  # a list of tensors, as TF packs it
        return f"{_atom(a['tensor'])}.index_put({_index_tensor(a, 'indices')}, {updates_code}{extra})"

    return build


def _build_scatter_nd(a: _Args) -> str:
    updates = a["updates"]
    if not _simple(updates):
        raise CannotMigrate("`updates` gives the dtype and device of the result and is written twice: bind it to a name first")
    return (
        f"{code_of(updates)}.new_zeros({_tuple_code(a['shape'], a.ctx)})"
        f".index_put({_index_tensor(a, 'indices')}, {code_of(updates)}, accumulate=True)"
    )


def _build_slice(a: _Args) -> str:
    begin, size = a["begin"], a["size"]
    if not isinstance(begin, (cst.List, cst.Tuple)) or not isinstance(size, (cst.List, cst.Tuple)):
        raise CannotMigrate("`begin` and `size` must be list literals: the subscript has one entry per dimension")
    starts = [e.value for e in begin.elements]
    sizes = [e.value for e in size.elements]
    if len(starts) != len(sizes) or any(isinstance(e, cst.StarredElement) for e in (*begin.elements, *size.elements)):
        raise CannotMigrate("`begin` and `size` must have one entry per dimension")
    parts = []
    for start, length in zip(starts, sizes):
        n = _lit(length, f"size `{code_of(length)}` is not a literal: -1 means 'to the end' in TF")
        if not isinstance(n, int) or n < -1:
            raise CannotMigrate("sizes must be integers, -1 meaning 'to the end'")
        b = literal(start) if _is_literal(start) else None
        if isinstance(b, int) and not isinstance(b, bool):
            lower = "" if b == 0 else str(b)
            upper = "" if n == -1 else str(b + n)
        else:
            lower = code_of(start)
            upper = "" if n == -1 else f"{_atom(start)} + {n}"
        parts.append(f"{lower}:{upper}")
    return f"{_atom(a['input_'])}[{', '.join(parts) or '...'}]"


def _build_strided_slice(a: _Args) -> str:
    for mask in ("ellipsis_mask", "new_axis_mask"):
        if a.lit(mask, 0, "the subscript depends on it") != 0:
            raise CannotMigrate(f"`{mask}=` is not migrated: write the subscript by hand")
    begin_mask = a.lit("begin_mask", 0, "the subscript depends on it")
    end_mask = a.lit("end_mask", 0, "the subscript depends on it")
    shrink = a.lit("shrink_axis_mask", 0, "the subscript depends on it")
    lists = []
    for name in ("begin", "end", "strides"):
        node = a.get(name)
        if node is None:
            lists.append(None)
            continue
        if not isinstance(node, (cst.List, cst.Tuple)) or any(isinstance(e, cst.StarredElement) for e in node.elements):
            raise CannotMigrate(f"`{name}` must be a list literal: the subscript has one entry per dimension")
        lists.append([e.value for e in node.elements])
    begins, ends, strides = lists
    if begins is None or ends is None or strides is not None and len(strides) != len(begins) or len(ends) != len(begins):
        raise CannotMigrate("`begin`, `end` and `strides` must have one entry per dimension")
    parts = []
    for i, (start, stop) in enumerate(zip(begins, ends)):
        step = 1 if strides is None else _lit(strides[i], "a stride is not a literal")
        if not isinstance(step, int) or step <= 0:
            raise CannotMigrate("torch slicing takes positive steps only (use torch.flip for a negative stride)")
        if shrink >> i & 1:
            parts.append(code_of(start))
            continue
        lower = "" if begin_mask >> i & 1 or _is_literal(start) and literal(start) == 0 else code_of(start)
        upper = "" if end_mask >> i & 1 else code_of(stop)
        parts.append(f"{lower}:{upper}" + (f":{step}" if step != 1 else ""))
    return f"{_atom(a['input_'])}[{', '.join(parts) or '...'}]"


_PAD_MODES = {"CONSTANT": "constant", "REFLECT": "reflect"}


def _build_pad(a: _Args) -> str:
    mode = a.lit("mode", "CONSTANT", "it picks the torch padding mode")
    if not isinstance(mode, str) or mode.upper() not in (*_PAD_MODES, "SYMMETRIC"):
        raise CannotMigrate("`mode` must be CONSTANT, REFLECT or SYMMETRIC")
    if mode.upper() == "SYMMETRIC":
        raise CannotMigrate("SYMMETRIC padding (the edge value repeated) has no torch padding mode")
    paddings = a["paddings"]
    if not isinstance(paddings, (cst.List, cst.Tuple)):
        raise CannotMigrate(
            "`paddings` is not a literal list of [before, after] pairs: F.pad wants them flat "
            "and last dimension first"
        )
    pairs = []
    for element in paddings.elements:
        pair = element.value
        if isinstance(element, cst.StarredElement) or not isinstance(pair, (cst.List, cst.Tuple)) or len(pair.elements) != 2:
            raise CannotMigrate("`paddings` must list one [before, after] pair per dimension")
        pairs.append([e.value for e in pair.elements])
    # F.pad: (before_last, after_last, before_second_last, ...). Leading dimensions with no
    # padding are left out. TF has one pair per dimension, so the rank is len(pairs).
    rank = len(pairs)
    padded = list(pairs)
    while len(padded) > 1 and all(_is_literal(v) and literal(v) == 0 for v in padded[0]):
        padded.pop(0)
    tensor, unbatch = a.code("tensor"), ""
    extra = ""
    if mode.upper() == "REFLECT":
        # torch reflects the last k = 1..3 dimensions of a tensor of rank k + 1 or k + 2.
        if rank - len(padded) > 2:
            padded = pairs[2:]  # zero pairs kept so that the rank is k + 2
        if len(padded) > 3:
            raise CannotMigrate("torch reflects at most the last three dimensions")
        if len(padded) == rank:
            tensor, unbatch = f"{_atom(a['tensor'])}.unsqueeze(0)", ".squeeze(0)"
        extra = ', mode="reflect"'
    elif a.get("constant_values") is not None and not (_is_literal(a["constant_values"]) and literal(a["constant_values"]) == 0):
        extra = f", value={a.code('constant_values')}"
    flat = [code_of(v) for pair in reversed(padded) for v in pair]
    pad = "(" + ", ".join(flat) + ("," if len(flat) == 1 else "") + ")"
    return f"{a.name('torch.nn.functional.pad')}({tensor}, {pad}{extra}){unbatch}"


def _build_where(a: _Args) -> str:
    x, y = a.get("x"), a.get("y")
    none = [n is None or _is_literal(n) and literal(n) is None for n in (x, y)]
    if all(none):
        return f"{a.name('torch.argwhere')}({a.code('condition')})"
    if any(none):
        raise CannotMigrate("`tf.where` takes both `x` and `y`, or neither")
    result = f"{a.name('torch.where')}({a.code('condition')}, {code_of(x)}, {code_of(y)})"
    values = [literal(n) for n in (x, y) if _is_literal(n)]  # type: ignore[arg-type]
    if len(values) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return f"{result}.to({a.name('torch.int32')})"  # TF makes Python ints int32
    return result


def _build_boolean_mask(a: _Args) -> str:
    ax = a.lit("axis", None, "the masked dimension must be known")
    if ax is None:
        ax = 0
    if not isinstance(ax, int) or ax < 0:
        raise CannotMigrate("a negative `axis` counts from the end past the mask's rank, which is unknown here")
    return f"{_atom(a['tensor'])}[{_dim_index(ax, a.code('mask'))}]"


def _one_hot_mask(a: _Args) -> tuple[str, str, str]:
    """A boolean one-hot tensor with TF's rows of False for an index outside [0, depth): as
    an argument, as the receiver of a method call, and a 0/1 tensor to cast from.

    A name is compared with the positions (on its own device); a list of indices is made a
    tensor first; any other expression is written once, shifted by one and clamped so that
    every out-of-range index lands on one of two extra classes that are then cut off.
    """
    indices, depth = a["indices"], a["depth"]
    arange = a.name("torch.arange")
    if isinstance(indices, (cst.List, cst.Tuple)):
        mask = f"{a.name('torch.tensor')}({code_of(indices)}).unsqueeze(-1) == {arange}({code_of(depth)})"
        return mask, f"({mask})", f"({mask})"
    if _simple(indices):
        code = code_of(indices)
        mask = f"{code}.unsqueeze(-1) == {arange}({code_of(depth)}, device={code}.device)"
        return mask, f"({mask})", f"({mask})"
    one_hot = a.name("torch.nn.functional.one_hot")
    n = literal(depth) if _is_literal(depth) else None
    wider = str(n + 2) if isinstance(n, int) else f"{_atom(depth)} + 2"
    hot = f"{one_hot}({_atom(indices)}.long().clamp(-1, {code_of(depth)}) + 1, {wider})[..., 1:-1]"
    return f"{hot}.bool()", f"{hot}.bool()", hot


def _build_one_hot(a: _Args) -> str:
    mask, receiver, hot = _one_hot_mask(a)
    on, off = a.get("on_value"), a.get("off_value")
    on = None if on is None or _is_literal(on) and literal(on) is None else on
    off = None if off is None or _is_literal(off) and literal(off) is None else off
    on_off = [n for n in (on, off) if n is not None]
    d = a.torch_dtype("dtype")
    if on_off:
        values = [literal(n) if _is_literal(n) else None for n in on_off]
        if values == [True, False] and on is not None and d in (None, a.name("torch.bool")):
            return _moved(a, mask, receiver)
        if d is None:
            if any(v is None for v in values):
                raise CannotMigrate("`on_value`/`off_value` is not a literal and no `dtype=` is given: TF takes the dtype from it")
            if any(isinstance(v, bool) for v in values) or not all(isinstance(v, (int, float)) for v in values):
                raise CannotMigrate("`on_value`/`off_value` must be two booleans or numbers")
            d = a.name("torch.float32") if any(isinstance(v, float) for v in values) else a.name("torch.int32")
        on_code = "1" if on is None else code_of(on)
        off_code = "0" if off is None else code_of(off)
        result = f"{a.name('torch.where')}({mask}, {on_code}, {off_code}).to({d})"
    else:
        result = f"{hot}.to({d or a.name('torch.float32')})"
    return _moved(a, result)


def _moved(a: _Args, result: str, receiver: str | None = None) -> str:
    """The one-hot dimension moved from last to TF's `axis`."""
    ax = a.lit("axis", None, "the position of the new axis must be known")
    if ax is not None and ax != -1:
        return f"{receiver or result}.movedim(-1, {ax})"
    return result


def _build_sort(indices: bool) -> Callable[[_Args], str]:
    def build(a: _Args) -> str:
        direction = a.lit("direction", "ASCENDING", "it decides the order")
        if direction not in ("ASCENDING", "DESCENDING"):
            raise CannotMigrate("`direction` must be ASCENDING or DESCENDING")
        dim = f", dim={a.code('axis')}" if "axis" in a and not (_is_literal(a["axis"]) and literal(a["axis"]) == -1) else ""
        descending = ", descending=True" if direction == "DESCENDING" else ""
        if indices:
            return (
                f"{a.name('torch.argsort')}({a.code('values')}{dim}{descending}, stable=True)"
                f".to({a.name('torch.int32')})"
            )
        return f"{a.name('torch.sort')}({a.code('values')}{dim}{descending}).values"

    return build


def _build_repeat(a: _Args) -> str:
    repeats = a["repeats"]
    repeats_code = code_of(repeats)
    if _is_literal(repeats) and isinstance(literal(repeats), (list, tuple)):
        repeats_code = f"{a.name('torch.tensor')}({repeats_code})"
    ax = a.get("axis")
    dim = "" if ax is None or _is_literal(ax) and literal(ax) is None else f", dim={code_of(ax)}"
    return f"{a.name('torch.repeat_interleave')}({a.code('input')}, {repeats_code}{dim})"


def _build_searchsorted(a: _Args) -> str:
    side = a.lit("side", "left", "it picks the side")
    if side not in ("left", "right"):
        raise CannotMigrate("`side` must be 'left' or 'right'")
    out = a.torch_dtype("out_type") or a.name("torch.int32")
    if out not in (a.name("torch.int32"), a.name("torch.int64")):
        raise CannotMigrate("`out_type` must be int32 or int64")
    int32 = ", out_int32=True" if out == a.name("torch.int32") else ""
    side_kw = ', side="right"' if side == "right" else ""
    return f"{a.name('torch.searchsorted')}({a.code('sorted_sequence')}, {a.code('values')}{side_kw}{int32})"


class _Method(ApiCall):
    """A call becomes a tensor method (``x.clone()``); the function used as a value (passed
    as a callback) becomes the equivalent torch function, ``reference``."""

    def __init__(self, reference: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.reference = reference

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        return ctx.name(self.reference)


class _Cast(ApiCall):
    """``x.to(dtype)``; a Python number has no ``.to`` and becomes ``torch.tensor``; a name
    may hold either, and becomes ``torch.as_tensor``, which takes both."""

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = self.bind(call, ctx)
        x = bound["x"].value
        if isinstance(x, (cst.Name, cst.Attribute)) and dotted_name(x):
            # `tf.cast(d_model, tf.float32)`: TF takes a Python number as readily as a tensor.
            d = code_of(dtype(bound["dtype"].value, ctx))
            return cst.parse_expression(f"{code_of(ctx.name('torch.as_tensor'))}({code_of(x)}, dtype={d})")
        if not _is_literal(x):
            return super().rewrite_call(call, qualified, ctx)
        _dtype_of_literal(literal(x))  # numbers only
        d = code_of(dtype(bound["dtype"].value, ctx))
        return cst.parse_expression(f"{code_of(ctx.name('torch.tensor'))}({code_of(x)}, dtype={d})")


# ---------------------------------------------------------------------------------------
# The table.

RULES = [
    _Cast(
        id="ops.cast",
        tf=["tf.cast", "tf.dtypes.cast"],
        torch="Tensor.to",
        signature="x, dtype, name=None",
        args={"x": Pos(0), "dtype": Pos(1, dtype), "name": DROP},
        summary="`tf.cast(x, dtype)` → `x.to(dtype)`.",
        why=(
            "Float to int truncates towards zero in both, and any non-zero value becomes True "
            "when cast to bool. TF names dtypes as strings too; those become torch dtype "
            "objects. A Python number (`tf.cast(1, tf.float32)`) has no `.to`: it becomes "
            "`torch.tensor(1, dtype=...)`. A name or attribute may hold a number as well as a "
            "tensor (`tf.cast(d_model, tf.float32)` in a schedule), so it becomes "
            "`torch.as_tensor(x, dtype=...)`, which casts a tensor as `.to` does (gradients "
            "flow through) and makes a number a tensor."
        ),
        example='y = tf.cast(mask, "float32")\nn = tf.cast(tf.shape(x)[0], tf.float32)',
        checks=[
            Check("tf.cast(x, tf.int32)", {"x": "f32[3,4]:-5..5"}),
            Check('tf.cast(x, "float32")', {"x": "i32[2,3]"}),
            Check("tf.cast(m, tf.float32)", {"m": "bool[5]"}),
            Check("tf.cast(x, tf.bool)", {"x": "i32[6]:-1..2"}),
            Check("tf.cast(x, tf.float16)", {"x": "f64[2,0]"}),
            Check("tf.cast(x + 1.5, tf.int64)", {"x": "f32[4]"}),
            Check("tf.cast(3, tf.float32)"),
            Check("tf.cast(-2.7, tf.int32)"),
            Check("tf.cast(n, tf.float32)", {"n": 512}),
            Check("tf.cast(x, tf.int32)", {"x": "f32[3]:-5..5"}),
        ],
    ),
    _Op(
        id="ops.constant",
        tf="tf.constant",
        signature="value, dtype=None, shape=None, name='Const'",
        handles=["value", "dtype", "shape"],
        build=_build_constant,
        summary="`tf.constant(v)` → `torch.tensor(v, dtype=…)` with TF's dtype written out.",
        why=(
            "TF makes Python ints int32 and floats float32; `torch.tensor` makes ints int64. "
            "For a literal value the rewrite writes TF's dtype (int64 when an int does not fit "
            "int32, as TF does; booleans need none). A value that is not a literal (a NumPy "
            "array keeps its dtype in both, but a variable holding a Python int does not) "
            "needs `dtype=` to be rewritten, else it stays a TODO. `shape=` broadcasts a "
            "scalar (`torch.full`) or reshapes a list. `torch.tensor` copies its input, as "
            "`tf.constant` does. TF string constants have no torch form."
        ),
        example="ids = tf.constant([[1, 2], [3, 4]])\neps = tf.constant(1e-6)\nw = tf.constant(weights, dtype=tf.float32)",
        checks=[
            Check("tf.constant(1)"),
            Check("tf.constant(1.0)"),
            Check("tf.constant([[1, 2], [3, 4]])"),
            Check("tf.constant([1, 2.5])"),
            Check("tf.constant([True, False])"),
            Check("tf.constant([])"),
            Check("tf.constant(1099511627776)"),
            Check("tf.constant([1, 2], dtype=tf.int64)"),
            Check("tf.constant(np.full((2, 3), 0.1), dtype=tf.float32)"),
            Check("tf.constant(0.5, shape=[2, 3])"),
            Check("tf.constant([1, 2, 3, 4], shape=[2, 2])"),
            Check("tf.constant(-1, shape=[n, 2])", {"n": 3}),
            Check("tf.constant(w)", {"w": "f32[2]"}, todo=True),
            Check('tf.constant("abc")', todo=True),
        ],
    ),
    _Op(
        id="ops.convert_to_tensor",
        tf="tf.convert_to_tensor",
        signature="value, dtype=None, dtype_hint=None, name=None",
        handles=["value", "dtype", "dtype_hint"],
        build=_build_convert_to_tensor,
        summary="`tf.convert_to_tensor(v, dtype)` → `torch.as_tensor(v, dtype=…)`.",
        why=(
            "`torch.as_tensor` returns a tensor unchanged and converts arrays and lists, like "
            "`tf.convert_to_tensor`. The dtype must be known: TF makes Python ints int32 and "
            "torch int64, so a literal gets TF's dtype written (`torch.tensor`), and a value "
            "that is not a literal needs `dtype=`, else it stays a TODO. `dtype_hint=` only "
            "applies when the value converts to it, so it stays a TODO."
        ),
        example="t = tf.convert_to_tensor(5, dtype=tf.int64)\ny = tf.convert_to_tensor(y_pred, dtype=tf.float32)\nz = tf.convert_to_tensor(x)",
        checks=[
            Check("tf.convert_to_tensor(5)"),
            Check("tf.convert_to_tensor([1.5, 2.0])"),
            Check("tf.convert_to_tensor(5, dtype=tf.int64)"),
            Check("tf.convert_to_tensor(x, dtype=tf.float32)", {"x": "f32[2,3]"}),
            Check("tf.convert_to_tensor(np.arange(4), dtype=tf.float32)"),
            Check("tf.convert_to_tensor(x)", {"x": "f32[3]"}, todo=True),
            Check("tf.convert_to_tensor(1, dtype_hint=tf.float32)", todo=True),
        ],
    ),
    ApiCall(
        id="ops.reshape",
        tf="tf.reshape",
        torch="torch.reshape",
        signature="tensor, shape, name=None",
        args={"tensor": Pos(0, _tensor), "shape": Pos(1, _size), "name": DROP},
        summary="`tf.reshape` → `torch.reshape`.",
        why=(
            "Same operation; `-1` infers a dimension in both. A list literal becomes a tuple. "
            "torch refuses a size held in a tensor, so `tf.shape(y)` (by now "
            "`torch.tensor(y.shape, dtype=torch.int32)`) goes back to `y.shape`."
        ),
        example="y = tf.reshape(x, [-1, 28 * 28])",
        checks=[
            Check("tf.reshape(x, [-1, 6])", {"x": "f32[2,3,4]"}),
            Check("tf.reshape(x, (4, 6))", {"x": "i64[2,3,4]"}),
            Check("tf.reshape(x, [])", {"x": "f32[1,1]"}),
            Check("tf.reshape(x, [3, 0])", {"x": "f32[0,5]"}),
            Check("tf.reshape(x, shape=[2, -1, 2])", {"x": "bool[2,6]"}),
            Check("tf.reshape(x, tf.shape(y))", {"x": "f32[6]", "y": "f32[2,3]"}),
            Check("tf.reshape([1.0, 2.0, 3.0, 4.0], (1, -1, 1))"),
            Check("tf.reshape([[1, 2], [3, 4]], [-1])"),
        ],
    ),
    ApiCall(
        id="ops.expand_dims",
        tf="tf.expand_dims",
        torch="torch.unsqueeze",
        signature="input, axis, name=None",
        args={"input": Pos(0, _tensor), "axis": Pos(1), "name": DROP},
        summary="`tf.expand_dims` → `torch.unsqueeze`.",
        why="Same operation, negative axes included (-1 appends a dimension in both).",
        example="y = tf.expand_dims(x, -1)",
        checks=[
            Check("tf.expand_dims(x, -1)", {"x": "f32[2,3]"}),
            Check("tf.expand_dims(x, 0)", {"x": "i32[3]"}),
            Check("tf.expand_dims(x, axis=1)", {"x": "f32[2,0]"}),
            Check("tf.expand_dims(x, 0)", {"x": "f64[]"}),
            Check("tf.expand_dims(3, 0)"),
        ],
    ),
    ApiCall(
        id="ops.concat",
        tf="tf.concat",
        torch="torch.cat",
        signature="values, axis, name='concat'",
        args={"values": Pos(0, _tensors), "axis": Kw("dim"), "name": DROP},
        summary="`tf.concat` → `torch.cat`.",
        why=(
            "Same operation; `axis` is called `dim`. A list holding a Python number (which TF "
            "converts, torch refuses) stays a TODO."
        ),
        example="y = tf.concat([a, b], axis=-1)",
        checks=[
            Check("tf.concat([a, b], axis=-1)", {"a": "f32[2,3]", "b": "f32[2,4]"}),
            Check("tf.concat([a, b], 0)", {"a": "i32[0,3]", "b": "i32[2,3]"}),
            Check("tf.concat([a, b, a], axis=1)", {"a": "f64[2,1,3]", "b": "f64[2,2,3]"}),
            Check("tf.concat((a,), 0)", {"a": "bool[3]"}),
            Check("tf.concat([a, [1, 2]], 0)", {"a": "i32[3]"}, todo=True),
        ],
    ),
    _Op(
        id="ops.zeros",
        tf="tf.zeros",
        signature="shape, dtype='float32', name=None",
        handles=["shape", "dtype"],
        build=lambda a: f"{a.name('torch.zeros')}({_tuple_code(a['shape'], a.ctx)}, dtype={a.torch_dtype('dtype') or a.name('torch.float32')})",
        summary="`tf.zeros(shape)` → `torch.zeros(shape, dtype=torch.float32)`.",
        why=(
            "TF's default dtype is always float32; torch's follows `torch.set_default_dtype`, "
            "so float32 is written out. A list shape becomes a tuple; `tf.shape(x)` becomes "
            "`x.shape` (torch refuses a size held in a tensor). Any other tensor of sizes "
            "raises in torch: pass `tuple(t.tolist())`."
        ),
        example="h = tf.zeros([batch, units])\nm = tf.zeros((3,), dtype=tf.int32)",
        checks=[
            Check("tf.zeros([2, 3])"),
            Check("tf.zeros((3,), dtype=tf.int32)"),
            Check("tf.zeros(4, tf.bool)"),
            Check("tf.zeros([2, 0])"),
            Check("tf.zeros([])"),
            Check("tf.zeros(tf.shape(x))", {"x": "f32[2,3]"}),
            Check("tf.zeros([tf.shape(x)[0], 3], tf.int32)", {"x": "f32[4,1]"}),
        ],
    ),
    _Op(
        id="ops.ones",
        tf="tf.ones",
        signature="shape, dtype='float32', name=None",
        handles=["shape", "dtype"],
        build=lambda a: f"{a.name('torch.ones')}({_tuple_code(a['shape'], a.ctx)}, dtype={a.torch_dtype('dtype') or a.name('torch.float32')})",
        summary="`tf.ones(shape)` → `torch.ones(shape, dtype=torch.float32)`.",
        why=(
            "As for `tf.zeros`: TF's default dtype is always float32, torch's follows "
            "`torch.set_default_dtype`, so float32 is written out."
        ),
        example="m = tf.ones([batch, 1])\nk = tf.ones((3, 3), tf.int64)",
        checks=[
            Check("tf.ones([2, 3])"),
            Check("tf.ones((3, 3), tf.int64)"),
            Check('tf.ones(2, dtype="float16")'),
            Check("tf.ones([0, 4])"),
            Check("tf.ones(tf.shape(x)[1:])", {"x": "f32[2,3,4]"}),
        ],
    ),
    _Op(
        id="ops.where",
        tf="tf.where",
        signature="condition, x=None, y=None, name=None",
        handles=["condition", "x", "y"],
        build=_build_where,
        summary="`tf.where(c, x, y)` → `torch.where(c, x, y)`; `tf.where(c)` → `torch.argwhere(c)`.",
        why=(
            "With three arguments both pick element-wise with broadcasting, and accept Python "
            "numbers for `x`/`y`; two int literals make int32 in TF, int64 in torch, so the "
            "result is cast. With one argument TF returns the int64 coordinates of the true "
            "(non-zero) elements, shape (N, rank): that is `torch.argwhere`, not "
            "`torch.where(c)` (a tuple of index vectors)."
        ),
        example="y = tf.where(mask, x, tf.zeros_like(x))\nidx = tf.where(labels > 0)",
        checks=[
            Check("tf.where(c, x, y)", {"c": "bool[3,4]", "x": "f32[3,4]", "y": "f32[3,4]"}),
            Check("tf.where(c, x, 0.0)", {"c": "bool[3,1]", "x": "f32[3,4]"}),
            Check("tf.where(c, 1, 0)", {"c": "bool[5]"}),
            Check("tf.where(c, x, -1)", {"c": "bool[5]", "x": "i32[5]"}),
            Check("tf.where(c, 0.5, y)", {"c": "bool[2,3]", "y": "f64[3]"}),
            Check("tf.where(c)", {"c": "bool[3,4]"}),
            Check("tf.where(x > 0)", {"x": "f32[2,3,2]"}),
            Check("tf.where(c)", {"c": "bool[0,2]"}),
            Check("tf.where(c, x)", {"c": "bool[3]", "x": "f32[3]"}, todo=True),
        ],
    ),
    _Op(
        id="ops.gather",
        tf="tf.gather",
        signature="params, indices, validate_indices=None, axis=None, batch_dims=0, name=None",
        handles=["params", "indices", "validate_indices", "axis", "batch_dims"],
        build=_build_gather,
        summary="`tf.gather(x, i, axis=a)` → `x[:, …, i]`; `batch_dims=b` → `torch.vmap` b times.",
        why=(
            "`tf.gather` places the shape of `indices` where `axis` was: "
            "`params.shape[:axis] + indices.shape + params.shape[axis+1:]`. A single tensor "
            "index at that position of a subscript does exactly this for indices of any rank "
            "(`torch.index_select` takes 1-D indices only). With `batch_dims=b` the leading b "
            "dimensions of `params` and `indices` are paired, which is the per-example gather "
            "under `torch.vmap` nested b times. `axis` and `batch_dims` must be literals; a "
            "negative `batch_dims` depends on the rank of `indices` and stays a TODO. A tuple "
            "literal of indices becomes a list (a tuple in a subscript indexes several axes)."
        ),
        example=(
            "top = tf.gather(boxes, indices)\n"
            "cols = tf.gather(x, [0, 2], axis=-1)\n"
            "picked = tf.gather(scores, ids, batch_dims=1)"
        ),
        checks=[
            Check("tf.gather(x, i)", {"x": "f32[5,3]", "i": "i32[4]:0..5"}),
            Check("tf.gather(x, i, axis=1)", {"x": "f32[2,5,3]", "i": "i64[2,3]:0..5"}),
            Check("tf.gather(x, [0, 2], axis=-1)", {"x": "f32[2,3,4]"}),
            Check("tf.gather(x, (2, 0), axis=-2)", {"x": "i32[2,3,4]"}),
            Check("tf.gather(x, 1, axis=1)", {"x": "f32[2,3,4]"}),
            Check("tf.gather(x, i)", {"x": "f32[5,3]", "i": "i32[0]"}),
            Check("tf.gather(x, i, batch_dims=1)", {"x": "f32[2,5,3]", "i": "i32[2,4]:0..5"}),
            Check("tf.gather(x, i, axis=2, batch_dims=1)", {"x": "f32[2,3,5]", "i": "i32[2,2,2]:0..5"}),
            Check("tf.gather(x, i, batch_dims=2)", {"x": "f32[2,3,5]", "i": "i32[2,3,4]:0..5"}),
            Check("tf.gather(x, i, axis=-1, batch_dims=1)", {"x": "f32[2,3,5]", "i": "i64[2,4]:0..5"}),
            Check("tf.gather(x, i, axis=k)", {"x": "f32[5,3]", "i": "i32[4]:0..3", "k": 1}, todo=True),
            Check("tf.gather(x, i, batch_dims=-1)", {"x": "f32[2,5]", "i": "i32[2,3]:0..5"}, todo=True),
        ],
    ),
    _Op(
        id="ops.range",
        tf="tf.range",
        signature="start, limit=None, delta=1, dtype=None, name='range'",
        handles=["start", "limit", "delta", "dtype"],
        build=_build_range,
        summary="`tf.range` → `torch.arange` with TF's dtype written out.",
        why=(
            "TF infers the dtype from the arguments: int32 for Python ints, float32 when one "
            "is a float; `torch.arange` makes int64 for ints. With literal bounds the TF dtype "
            "is written; with an explicit `dtype=` it is passed on; otherwise (`tf.range(n)` "
            "with a variable n, which may be an int, a float or a tensor) the dtype is not "
            "known and the site stays a TODO: add `dtype=` to the TF code."
        ),
        example="steps = tf.range(10)\npos = tf.range(0, seq_len, dtype=tf.int32)\nt = tf.range(0.0, 1.0, 0.25)",
        checks=[
            Check("tf.range(5)"),
            Check("tf.range(1, 10, 3)"),
            Check("tf.range(0.0, 1.0, 0.25)"),
            Check("tf.range(0, 1, 0.25)"),
            Check("tf.range(n, dtype=tf.float32)", {"n": 4}),
            Check("tf.range(2, n, dtype=tf.int64)", {"n": 7}),
            Check("tf.range(5, delta=2)"),
            Check("tf.range(5, 2, -1)"),
            Check("tf.range(0)"),
            Check("tf.range(n)", {"n": 4}, todo=True),
            Check("tf.range(tf.shape(x)[0])", {"x": "f32[3,2]"}),
            Check("tf.range(1, tf.size(x), 2)", {"x": "f32[3,2]"}),
            Check("tf.range(tf.cast(n, tf.int64))", {"n": "f32[]:1..5"}),
            Check("tf.range(tf.cast(n, tf.float32))", {"n": "f32[]:1..5"}, todo=True),
        ],
    ),
    ApiCall(
        id="ops.stack",
        tf="tf.stack",
        torch="torch.stack",
        signature="values, axis=0, name='stack'",
        args={"values": Pos(0, _tensors), "axis": Kw("dim", omit_if=(0,)), "name": DROP},
        summary="`tf.stack` → `torch.stack`.",
        why=(
            "Same operation and the same default axis 0; negative axes count the new dimension "
            "in both. TF also packs Python numbers (`tf.stack([1, n, 1])`, often a shape); "
            "torch takes tensors only, so a list holding a number literal stays a TODO."
        ),
        example="y = tf.stack([a, b], axis=1)",
        checks=[
            Check("tf.stack([a, b])", {"a": "f32[2,3]", "b": "f32[2,3]"}),
            Check("tf.stack([a, b], axis=-1)", {"a": "i32[2,3]", "b": "i32[2,3]"}),
            Check("tf.stack([a, b, a], axis=1)", {"a": "f32[0,3]", "b": "f32[0,3]"}),
            Check("tf.stack((a,), axis=0)", {"a": "bool[]"}),
            Check("tf.stack([-1, n])", {"n": 3}, todo=True),
        ],
    ),
    ApiCall(
        id="ops.tile",
        tf="tf.tile",
        torch="torch.tile",
        signature="input, multiples, name=None",
        args={"input": Pos(0, _tensor), "multiples": Pos(1, _size), "name": DROP},
        summary="`tf.tile` → `torch.tile`.",
        why=(
            "Same operation: each dimension repeated `multiples[i]` times. A list becomes a "
            "tuple. torch needs a sequence of ints: multiples held in a tensor raise there."
        ),
        example="y = tf.tile(tf.expand_dims(x, 1), [1, n, 1])",
        checks=[
            Check("tf.tile(x, [2, 3])", {"x": "f32[2,3]"}),
            Check("tf.tile(x, (1, 0, 2))", {"x": "i32[2,3,1]"}),
            Check("tf.tile(x, [3])", {"x": "bool[2]"}),
            Check("tf.tile(x, multiples=[2, 1])", {"x": "f32[0,3]"}),
            Check("tf.tile(x, tf.shape(y))", {"x": "f32[1,1]", "y": "f32[2,3]"}),
            Check("tf.tile([[1, 2]], [2, 1])"),
        ],
    ),
    _Op(
        id="ops.transpose",
        tf="tf.transpose",
        signature="a, perm=None, conjugate=False, name='transpose'",
        handles=["a", "perm", "conjugate"],
        build=_build_transpose,
        summary="`tf.transpose(x, perm)` → `torch.permute(x, perm)`; no perm reverses the axes.",
        why=(
            "`torch.transpose` swaps two dimensions; `tf.transpose` permutes all of them, which "
            "is `torch.permute`. Without `perm` TF reverses every axis: "
            "`torch.permute(x, tuple(reversed(range(x.ndim))))`, which writes `x` twice, so "
            "only a name or attribute is rewritten that way (`x.T` is deprecated for "
            "rank ≠ 2). `conjugate=True` also conjugates: `.conj()`."
        ),
        example="y = tf.transpose(x, perm=[0, 3, 1, 2])\nwt = tf.transpose(w)",
        checks=[
            Check("tf.transpose(x, perm=[0, 3, 1, 2])", {"x": "f32[2,3,4,5]"}),
            Check("tf.transpose(x, [1, 0])", {"x": "i32[2,0]"}),
            Check("tf.transpose(x)", {"x": "f32[2,3]"}),
            Check("tf.transpose(x)", {"x": "f64[2,3,4]"}),
            Check("tf.transpose(x)", {"x": "f32[]"}),
            Check("tf.transpose(x, [1, 0], conjugate=True)", {"x": "c64[2,3]"}),
            Check("tf.transpose(x + 1.0)", {"x": "f32[2,3]"}, todo=True),
        ],
    ),
    ApiCall(
        id="ops.ones_like",
        tf="tf.ones_like",
        torch="torch.ones_like",
        signature="input, dtype=None, name=None",
        args={"input": Pos(0, _tensor), "dtype": Kw("dtype", dtype, omit_if=(None,)), "name": DROP},
        summary="`tf.ones_like` → `torch.ones_like`.",
        why="Same operation: the input's shape and dtype unless `dtype` is given.",
        example="w = tf.ones_like(x)\nm = tf.ones_like(x, dtype=tf.bool)",
        checks=[
            Check("tf.ones_like(x)", {"x": "f32[2,3]"}),
            Check("tf.ones_like(x, dtype=tf.bool)", {"x": "i32[4]"}),
            Check("tf.ones_like(x, tf.float64)", {"x": "f32[2,0]"}),
        ],
    ),
    ApiCall(
        id="ops.zeros_like",
        tf="tf.zeros_like",
        torch="torch.zeros_like",
        signature="input, dtype=None, name=None",
        args={"input": Pos(0, _tensor), "dtype": Kw("dtype", dtype, omit_if=(None,)), "name": DROP},
        summary="`tf.zeros_like` → `torch.zeros_like`.",
        why="Same operation: the input's shape and dtype unless `dtype` is given.",
        example="b = tf.zeros_like(x)\nc = tf.zeros_like(x, dtype=tf.int64)",
        checks=[
            Check("tf.zeros_like(x)", {"x": "f32[2,3]"}),
            Check("tf.zeros_like(x, dtype=tf.int64)", {"x": "f32[4]"}),
            Check('tf.zeros_like(x, "float16")', {"x": "bool[0]"}),
        ],
    ),
    _Op(
        id="ops.split",
        tf="tf.split",
        signature="value, num_or_size_splits, axis=0, num=None, name='split'",
        handles=["value", "num_or_size_splits", "axis", "num"],
        build=_build_split,
        summary="`tf.split` → `torch.tensor_split` (a count) or `torch.split` (a list of sizes).",
        why=(
            "`torch.split(x, 2)` makes pieces *of size* 2, while `tf.split(x, 2)` makes 2 "
            "pieces: a count maps to `torch.tensor_split`. Which one applies depends on the "
            "value, so a value that is not a literal stays a TODO. A size of -1 (the rest) "
            "has no torch spelling: it is written as `x.shape[axis]` minus the other sizes, "
            "which names `x` twice, so only a name or attribute is rewritten that way. `num` "
            "only helps TF's shape inference and is dropped. TF returns a list, torch a tuple."
        ),
        example="a, b = tf.split(x, 2, axis=1)\nhead, rest = tf.split(x, [1, -1], axis=-1)",
        checks=[
            Check("tf.split(x, 2, axis=1)", {"x": "f32[2,4]"}),
            Check("tf.split(x, 3)", {"x": "i32[6,2]"}),
            Check("tf.split(x, 2, axis=-1)", {"x": "f32[3,4]"}),
            Check("tf.split(x, [1, 3], axis=-1)", {"x": "f32[2,4]"}),
            Check("tf.split(x, [1, -1], axis=-1)", {"x": "f32[2,5]"}),
            Check("tf.split(x, [-1, 2])", {"x": "f32[5,2]"}),
            Check("tf.split(x, [2, 0, 1], 0, num=3)", {"x": "f32[3,0]"}),
            Check("tf.split(x, n)", {"x": "f32[4]", "n": 2}, todo=True),
            Check("tf.split(x + 1, [1, -1])", {"x": "f32[4]"}, todo=True),
        ],
    ),
    ApiCall(
        id="ops.squeeze",
        tf="tf.squeeze",
        torch="torch.squeeze",
        signature="input, axis=None, name=None",
        args={"input": Pos(0, _tensor), "axis": Pos(1, axis), "name": DROP},
        summary="`tf.squeeze` → `torch.squeeze`.",
        why=(
            "Same operation. A list of axes becomes a tuple. TF raises when a named axis is not "
            "of size 1; torch leaves such an axis alone."
        ),
        example="y = tf.squeeze(x, axis=[1])",
        checks=[
            Check("tf.squeeze(x)", {"x": "f32[1,3,1,2]"}),
            Check("tf.squeeze(x, axis=[1])", {"x": "f32[2,1,3]"}),
            Check("tf.squeeze(x, [0, -1])", {"x": "i32[1,3,1]"}),
            Check("tf.squeeze(x, -1)", {"x": "f32[0,1]"}),
        ],
    ),
    _Method(
        "torch.clone",
        id="ops.identity",
        tf="tf.identity",
        torch="Tensor.clone",
        signature="input, name=None",
        args={"input": Pos(0, _tensor), "name": DROP},
        summary="`tf.identity(x)` → `x.clone()`.",
        why=(
            "TF tensors are immutable, so `tf.identity` hands back a value nothing can change "
            "behind the caller's back. Returning `x` itself would let a later in-place torch "
            "op change both; `clone()` is a copy that gradients flow through, like "
            "`tf.identity`. Passed as a function (`activation=tf.identity`) it becomes "
            "`torch.clone`."
        ),
        example="y = tf.identity(x)",
        checks=[
            Check("tf.identity(x)", {"x": "f32[2,3]"}),
            Check("tf.identity(x)", {"x": "i64[0]"}),
            Check("tf.identity(x * 2)", {"x": "i32[3]"}),
            Check("tf.identity([1.5, 2.5])"),
            Check("result = list(map(tf.identity, [x, x]))", {"x": "f32[2]"}),
        ],
    ),
    _Op(
        id="ops.one_hot",
        tf="tf.one_hot",
        signature="indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None",
        handles=["indices", "depth", "on_value", "off_value", "axis", "dtype"],
        build=_build_one_hot,
        summary="`tf.one_hot(i, depth)` → `(i.unsqueeze(-1) == torch.arange(depth)).to(torch.float32)`.",
        why=(
            "TF writes a row of `off_value` for an index outside [0, depth): -1 is the usual "
            "'no class' label, and `tf.one_hot([-1, axis], rank)` a common idiom. `F.one_hot` "
            "raises on such an index, so the rewrite compares the indices with the positions "
            "instead (on the indices' device), which is exact for every index. That names "
            "the indices twice; an expression that is not a name is written once, as "
            "`F.one_hot(i.long().clamp(-1, depth) + 1, depth + 2)[..., 1:-1]` (every "
            "out-of-range index lands on one of two extra classes, which are cut off). The "
            "result is float32 unless `dtype=` says otherwise; `on_value`/`off_value` become "
            "a `torch.where` (without `dtype=`, their own dtype: int32 for Python ints, bool "
            "for True/False), and `axis` a `movedim` of the new last dimension."
        ),
        example=(
            "y = tf.one_hot(labels, num_classes)\n"
            "t = tf.one_hot(ids, depth=4, on_value=0.9, off_value=0.1)\n"
            "m = tf.one_hot(ids, 3, axis=0, dtype=tf.int32)"
        ),
        checks=[
            Check("tf.one_hot(i, 4)", {"i": "i32[5]:0..4"}),
            Check("tf.one_hot(i, depth=3)", {"i": "i64[2,3]:0..3"}),
            Check("tf.one_hot(i, 4, on_value=0.9, off_value=0.1)", {"i": "i32[5]:0..4"}),
            Check("tf.one_hot(i, 4, on_value=5, off_value=-1)", {"i": "i32[3]:0..4"}),
            Check("tf.one_hot(i, 3, axis=0, dtype=tf.int32)", {"i": "i32[2,4]:0..3"}),
            Check("tf.one_hot(i, 3, axis=1)", {"i": "i32[2,4]:0..3"}),
            Check("tf.one_hot(i, 3, dtype=tf.float64)", {"i": "u8[4]:0..3"}),
            Check("tf.one_hot(i, 3)", {"i": "i32[0]"}),
            Check("tf.one_hot(i, 3, on_value=True, off_value=False, axis=0)", {"i": "i32[4]:0..3"}),
            Check("tf.one_hot(i, 4)", {"i": "i32[3,4]:-3..7"}),
            Check("tf.one_hot(i + 0, 4, on_value=2.0, off_value=-1.0)", {"i": "i64[8]:-3..7"}),
            Check("tf.one_hot(i * 1, 3, on_value=True, off_value=False, dtype=tf.bool)", {"i": "i32[6]:-2..5"}),
            Check("tf.one_hot([-1, a], 3, dtype=tf.int32)", {"a": 1}),
            Check("tf.one_hot(i, 3, on_value=v)", {"i": "i32[2]:0..3", "v": 2.0}, todo=True),
        ],
    ),
    _Method(
        "torch.Tensor.detach",
        id="ops.stop_gradient",
        tf="tf.stop_gradient",
        torch="Tensor.detach",
        signature="input, name=None",
        args={"input": Pos(0, _tensor), "name": DROP},
        summary="`tf.stop_gradient(x)` → `x.detach()`.",
        why=(
            "Both return the same values with no gradient flowing back into `x`. Passed as a "
            "function (`tf.nest.map_structure(tf.stop_gradient, s)`) it becomes "
            "`torch.Tensor.detach`."
        ),
        example="target = tf.stop_gradient(q_next)",
        checks=[
            Check("tf.stop_gradient(x)", {"x": "f32[2,3]"}),
            Check("tf.stop_gradient(x + 1)", {"x": "i32[0,2]"}),
            Check("result = [f(x) for f in (tf.stop_gradient,)]", {"x": "f32[3]"}),
        ],
    ),
    _Op(
        id="ops.gather_nd",
        tf="tf.gather_nd",
        signature="params, indices, batch_dims=0, name=None",
        handles=["params", "indices", "batch_dims"],
        build=_build_gather_nd,
        summary="`tf.gather_nd(x, idx)` → `x[idx.unbind(-1)]`; `batch_dims` → `torch.vmap`.",
        why=(
            "The last axis of `indices` (length k) addresses the first k dimensions of "
            "`params`; the result has shape `indices.shape[:-1] + params.shape[k:]`. Indexing "
            "with the k index tensors of `indices.unbind(-1)` is exactly that. `batch_dims=b` "
            "pairs the leading b dimensions: the same gather under `torch.vmap` nested b "
            "times. A literal list of indices becomes a tensor first."
        ),
        example="vals = tf.gather_nd(scores, coords)\nrows = tf.gather_nd(x, idx, batch_dims=1)",
        checks=[
            Check("tf.gather_nd(x, i)", {"x": "f32[4,5]", "i": "i32[3,2]:0..4"}),
            Check("tf.gather_nd(x, i)", {"x": "f32[4,5,2]", "i": "i64[2,3,1]:0..4"}),
            Check("tf.gather_nd(x, [[0, 1], [2, 0]])", {"x": "i32[3,2,2]"}),
            Check("tf.gather_nd(x, i, batch_dims=1)", {"x": "f32[2,4,5]", "i": "i32[2,3,1]:0..4"}),
            Check("tf.gather_nd(x, i)", {"x": "f32[4,5]", "i": "i32[0,2]"}),
            Check("tf.gather_nd(x, i, batch_dims=b)", {"x": "f32[2,4]", "i": "i32[2,1]:0..4", "b": 1}, todo=True),
        ],
    ),
    _Op(
        id="ops.slice",
        tf="tf.slice",
        signature="input_, begin, size, name=None",
        handles=["input_", "begin", "size"],
        build=_build_slice,
        summary="`tf.slice(x, begin, size)` → `x[b0:b0 + s0, …]`.",
        why=(
            "`tf.slice` takes a start and a length per dimension, -1 meaning 'to the end'; a "
            "subscript takes start:stop. Each length must be a literal (a variable could be "
            "-1, which means something else): begins may be any expression. Lists held in "
            "variables or tensors stay a TODO."
        ),
        example="head = tf.slice(x, [0, 0], [-1, 3])\nwin = tf.slice(x, [0, start, 0], [-1, 4, -1])",
        checks=[
            Check("tf.slice(x, [0, 1], [-1, 2])", {"x": "f32[3,4]"}),
            Check("tf.slice(x, [1, 0, 2], [1, -1, 2])", {"x": "i32[2,3,4]"}),
            Check("tf.slice(x, [0, s], [2, 2])", {"x": "f32[3,4]", "s": 1}),
            Check("tf.slice(x, [1], [0])", {"x": "f32[4]"}),
            Check("tf.slice(x, b, [1, 1])", {"x": "f32[3,4]", "b": [0, 1]}, todo=True),
            Check("tf.slice(x, [0, 0], [n, -1])", {"x": "f32[3,4]", "n": 2}, todo=True),
        ],
    ),
    _Op(
        id="ops.pad",
        tf="tf.pad",
        signature="tensor, paddings, mode='CONSTANT', constant_values=0, name=None",
        handles=["tensor", "paddings", "mode", "constant_values"],
        build=_build_pad,
        summary="`tf.pad(x, [[b, a], …])` → `F.pad(x, (b_last, a_last, …))`.",
        why=(
            "TF lists one [before, after] pair per dimension, first dimension first; `F.pad` "
            "takes a flat tuple that starts at the *last* dimension. The pairs are reordered "
            "(their values may be any expressions) and leading dimensions without padding are "
            "left out. `paddings` that is not a list literal stays a TODO. CONSTANT → "
            "`value=constant_values`; REFLECT → `mode=\"reflect\"` (torch reflects the last one "
            "to three dimensions only); SYMMETRIC repeats the edge value, which no torch mode "
            "does, so it stays a TODO."
        ),
        example=(
            "y = tf.pad(x, [[0, 0], [1, 1], [2, 2], [0, 0]])\n"
            "z = tf.pad(ids, [[0, 0], [0, max_len - n]], constant_values=-1)\n"
            "r = tf.pad(img, [[0, 0], [1, 1], [1, 1]], mode=\"REFLECT\")"
        ),
        checks=[
            Check("tf.pad(x, [[1, 2], [0, 3]])", {"x": "f32[2,3]"}),
            Check("tf.pad(x, [[0, 0], [1, 1], [2, 2], [0, 0]])", {"x": "f32[2,3,4,2]"}),
            Check("tf.pad(x, [[0, 0], [0, n]], constant_values=-1)", {"x": "i32[2,3]", "n": 2}),
            Check("tf.pad(x, ((1, 0),))", {"x": "f64[3]"}),
            Check('tf.pad(x, [[0, 0], [1, 1], [2, 1]], mode="REFLECT")', {"x": "f32[2,3,4]"}),
            Check('tf.pad(x, [[1, 1], [1, 1]], "reflect")', {"x": "f32[3,4]"}),
            Check('tf.pad(x, [[0, 0], [1, 1], [1, 2], [0, 0]], mode="REFLECT")', {"x": "f32[2,3,4,2]"}),
            Check('tf.pad(x, [[0, 0], [0, 0], [0, 0], [0, 0], [2, 1]], mode="REFLECT")', {"x": "f32[1,2,1,2,4]"}),
            Check('tf.pad(x, [[1, 1], [0, 0], [0, 0], [1, 1]], mode="REFLECT")', {"x": "f32[3,2,2,3]"}, todo=True),
            Check("tf.pad(x, [[0, 0], [0, 0]])", {"x": "f32[2,0]"}),
            Check("tf.pad(x, p)", {"x": "f32[2,3]", "p": [[1, 1], [0, 0]]}, todo=True),
            Check('tf.pad(x, [[1, 1]], mode="SYMMETRIC")', {"x": "f32[3]"}, todo=True),
        ],
    ),
    ApiCall(
        id="ops.unstack",
        tf="tf.unstack",
        torch="torch.unbind",
        signature="value, num=None, axis=0, name='unstack'",
        args={"value": Pos(0, _tensor), "num": DROP, "axis": Kw("dim", omit_if=(0,)), "name": DROP},
        summary="`tf.unstack` → `torch.unbind`.",
        why=(
            "Same operation and default axis 0. `num` only tells TF's graph the count and is "
            "dropped. TF returns a list, torch a tuple."
        ),
        example="a, b = tf.unstack(pair)\nrows = tf.unstack(x, axis=-1)",
        checks=[
            Check("tf.unstack(x)", {"x": "f32[3,2]"}),
            Check("tf.unstack(x, axis=-1)", {"x": "i32[2,3,2]"}),
            Check("tf.unstack(x, num=2, axis=1)", {"x": "f32[0,2]"}),
        ],
    ),
    _Op(
        id="ops.boolean_mask",
        tf="tf.boolean_mask",
        signature="tensor, mask, axis=None, name='boolean_mask'",
        handles=["tensor", "mask", "axis"],
        build=_build_boolean_mask,
        summary="`tf.boolean_mask(x, m)` → `x[m]` (`x[:, m]` for `axis=1`).",
        why=(
            "A k-dimensional boolean mask in a subscript selects over k dimensions and puts the "
            "selected elements in one dimension, as `tf.boolean_mask` does; `axis` is the "
            "number of full slices before it. A negative `axis` would need the mask's rank and "
            "stays a TODO."
        ),
        example="pos = tf.boolean_mask(scores, scores > 0)\nkept = tf.boolean_mask(boxes, valid, axis=1)",
        checks=[
            Check("tf.boolean_mask(x, m)", {"x": "f32[4,3]", "m": "bool[4]"}),
            Check("tf.boolean_mask(x, m)", {"x": "f32[4,3,2]", "m": "bool[4,3]"}),
            Check("tf.boolean_mask(x, m, axis=1)", {"x": "i32[2,5,3]", "m": "bool[5]"}),
            Check("tf.boolean_mask(x, m, axis=1)", {"x": "f32[2,3,4,5]", "m": "bool[3,4]"}),
            Check("tf.boolean_mask(x, x > 0)", {"x": "f32[6]"}),
            Check("tf.boolean_mask(x, [True, False, True])", {"x": "f32[3,2]"}),
            Check("tf.boolean_mask(x, m, axis=-1)", {"x": "f32[2,3]", "m": "bool[3]"}, todo=True),
        ],
    ),
    ApiCall(
        id="ops.broadcast_to",
        tf="tf.broadcast_to",
        torch="torch.broadcast_to",
        signature="input, shape, name=None",
        args={"input": Pos(0, _tensor), "shape": Pos(1, _size), "name": DROP},
        summary="`tf.broadcast_to` → `torch.broadcast_to`.",
        why=(
            "Same broadcasting rules. torch returns a view of the input (no copy): writing "
            "into it in place would write into the input, which TF's immutable result never "
            "allows."
        ),
        example="y = tf.broadcast_to(bias, [batch, units])",
        checks=[
            Check("tf.broadcast_to(x, [2, 3])", {"x": "f32[3]"}),
            Check("tf.broadcast_to(x, (4, 2, 3))", {"x": "i32[2,1]"}),
            Check("tf.broadcast_to(x, [0, 3])", {"x": "f32[1,3]"}),
            Check("tf.broadcast_to(x, tf.shape(y))", {"x": "f32[3]", "y": "f32[2,3]"}),
        ],
    ),
    _Op(
        id="ops.fill",
        tf="tf.fill",
        signature="dims, value, name=None",
        handles=["dims", "value"],
        build=_build_fill,
        summary="`tf.fill(dims, v)` → `torch.full(dims, v, dtype=…)` with TF's dtype.",
        why=(
            "TF takes the dtype from the value: int32 for a Python int, float32 for a float; "
            "`torch.full` makes int64 for an int. With a literal value TF's dtype is written; "
            "a value that is not a literal stays a TODO."
        ),
        example="neg = tf.fill([batch, n], -1)\nmask = tf.fill((2, 3), 0.5)",
        checks=[
            Check("tf.fill([2, 3], -1)"),
            Check("tf.fill((2,), 0.5)"),
            Check("tf.fill([2, 0], True)"),
            Check("tf.fill([n, 2], 3)", {"n": 3}),
            Check("tf.fill(tf.shape(x), 2.0)", {"x": "i32[2,2]"}),
            Check("tf.fill([2], v)", {"v": "f32[]"}, todo=True),
        ],
    ),
    _Op(
        id="ops.tensor_scatter_nd_update",
        tf="tf.tensor_scatter_nd_update",
        signature="tensor, indices, updates, name=None",
        handles=["tensor", "indices", "updates"],
        build=_build_scatter_update(False),
        summary="`tf.tensor_scatter_nd_update(t, idx, u)` → `t.index_put(idx.unbind(-1), u)`.",
        why=(
            "The last axis of `indices` addresses the first k dimensions of `tensor`, as in "
            "`tf.gather_nd`; `Tensor.index_put` (not `index_put_`) writes into a copy, as TF "
            "does. With duplicate indices both leave which update wins unspecified. A list of "
            "updates (`[cos, -sin]`) is packed with `torch.stack`, which wants tensors: a list "
            "holding a number literal stays a TODO."
        ),
        example="y = tf.tensor_scatter_nd_update(x, [[0], [2]], rows)",
        checks=[
            Check("tf.tensor_scatter_nd_update(x, [[0], [3]], u)", {"x": "f32[5,3]", "u": "f32[2,3]"}),
            Check("tf.tensor_scatter_nd_update(x, [[0, 1], [2, 2]], u)", {"x": "i32[3,4]", "u": "i32[2]"}),
            Check("tf.tensor_scatter_nd_update(x, tf.constant([[2], [0]]), u)", {"x": "f32[4,2]", "u": "f32[2,2]"}),
            Check("tf.tensor_scatter_nd_update(x, [[0, 1], [1, 0]], [c, -c])", {"x": "f32[2,2]", "c": "f32[]"}),
            Check("tf.tensor_scatter_nd_update(x, [[i]], [h])", {"x": "f32[3,2]", "i": 1, "h": "f32[2]"}),
            Check("tf.tensor_scatter_nd_update(x, [[0]], [1.0])", {"x": "f32[3]"}, todo=True),
        ],
    ),
    _Op(
        id="ops.tensor_scatter_nd_add",
        tf="tf.tensor_scatter_nd_add",
        signature="tensor, indices, updates, name=None",
        handles=["tensor", "indices", "updates"],
        build=_build_scatter_update(True),
        summary="`tf.tensor_scatter_nd_add` → `t.index_put(idx.unbind(-1), u, accumulate=True)`.",
        why=(
            "As for `tf.tensor_scatter_nd_update`, with `accumulate=True`: updates at the same "
            "index are summed, as TF sums them."
        ),
        example="counts = tf.tensor_scatter_nd_add(counts, ids, ones)",
        checks=[
            Check("tf.tensor_scatter_nd_add(x, i, u)", {"x": "f32[5,3]", "i": "i32[6,1]:0..3", "u": "f32[6,3]"}),
            Check("tf.tensor_scatter_nd_add(x, [[1, 1]], u)", {"x": "i32[2,2]", "u": "i32[1]"}),
        ],
    ),
    _Op(
        id="ops.eye",
        tf="tf.eye",
        signature="num_rows, num_columns=None, batch_shape=None, dtype='float32', name=None",
        handles=["num_rows", "num_columns", "batch_shape", "dtype"],
        build=_build_eye,
        summary="`tf.eye` → `torch.eye(…, dtype=torch.float32)`.",
        why=(
            "Same matrix; TF's default float32 is written out (torch's follows "
            "`torch.set_default_dtype`). `batch_shape` stays a TODO."
        ),
        example="i = tf.eye(3)\nm = tf.eye(2, 4, dtype=tf.int32)",
        checks=[
            Check("tf.eye(3)"),
            Check("tf.eye(2, 4, dtype=tf.int32)"),
            Check("tf.eye(n, num_columns=2)", {"n": 3}),
            Check("tf.eye(0)"),
            Check("tf.eye(2, batch_shape=[3])", todo=True),
        ],
    ),
    _Op(
        id="ops.repeat",
        tf="tf.repeat",
        signature="input, repeats, axis=None, name=None",
        handles=["input", "repeats", "axis"],
        build=_build_repeat,
        summary="`tf.repeat` → `torch.repeat_interleave`.",
        why=(
            "Same operation: each element repeated in place, the input flattened when no axis "
            "is given. A literal list of counts becomes a tensor, which torch needs for "
            "per-element counts."
        ),
        example="y = tf.repeat(x, 2, axis=1)\nz = tf.repeat(x, [1, 2, 3], axis=0)",
        checks=[
            Check("tf.repeat(x, 2, axis=1)", {"x": "f32[2,3]"}),
            Check("tf.repeat(x, [1, 0, 2], axis=0)", {"x": "i32[3,2]"}),
            Check("tf.repeat(x, 3)", {"x": "f32[2,2]"}),
            Check("tf.repeat(x, r, axis=-1)", {"x": "f32[2,3]", "r": "i64[3]:0..3"}),
        ],
    ),
    ApiCall(
        id="ops.reverse",
        tf="tf.reverse",
        torch="torch.flip",
        signature="tensor, axis, name=None",
        args={"tensor": Pos(0, _tensor), "axis": Kw("dims", axis), "name": DROP},
        summary="`tf.reverse(x, axis)` → `torch.flip(x, dims=axis)`.",
        why="Same operation on the listed axes (negative ones included). A list becomes a tuple.",
        example="y = tf.reverse(x, axis=[-1])",
        checks=[
            Check("tf.reverse(x, axis=[-1])", {"x": "f32[2,3]"}),
            Check("tf.reverse(x, [0, 2])", {"x": "i32[2,3,2]"}),
            Check("tf.reverse(x, [0])", {"x": "f32[0,3]"}),
        ],
    ),
    _Op(
        id="ops.argsort",
        tf="tf.argsort",
        signature="values, axis=-1, direction='ASCENDING', stable=False, name='argsort'",
        handles=["values", "axis", "direction", "stable"],
        build=_build_sort(True),
        summary="`tf.argsort` → `torch.argsort(…, stable=True).to(torch.int32)`.",
        why=(
            "TF's sort is always stable (its unstable sort is not implemented), so ties keep "
            "their order: `stable=True` is written whatever `stable=` says. TF returns int32 "
            "indices, torch int64: the result is cast. `direction` must be a literal."
        ),
        example='order = tf.argsort(scores, direction="DESCENDING")',
        checks=[
            Check("tf.argsort(x)", {"x": "f32[3,5]"}),
            Check('tf.argsort(x, axis=0, direction="DESCENDING")', {"x": "f32[4,2]"}),
            Check('tf.argsort(x, direction="DESCENDING")', {"x": "i32[8]:0..3"}),
            Check("tf.argsort(x, stable=True)", {"x": "i32[8]:0..3"}),
            Check("tf.argsort(x, direction=d)", {"x": "f32[3]", "d": "ASCENDING"}, todo=True),
        ],
    ),
    _Op(
        id="ops.sort",
        tf="tf.sort",
        signature="values, axis=-1, direction='ASCENDING', name='sort'",
        handles=["values", "axis", "direction"],
        build=_build_sort(False),
        summary="`tf.sort` → `torch.sort(…).values`.",
        why="`torch.sort` returns (values, indices); TF returns the values. `direction` must be a literal.",
        example='top = tf.sort(scores, direction="DESCENDING")',
        checks=[
            Check("tf.sort(x)", {"x": "f32[3,5]"}),
            Check('tf.sort(x, axis=0, direction="DESCENDING")', {"x": "i32[4,2]"}),
            Check("tf.sort(x)", {"x": "f32[0]"}),
        ],
    ),
    _Op(
        id="ops.sequence_mask",
        tf="tf.sequence_mask",
        signature="lengths, maxlen=None, dtype='bool', name=None",
        handles=["lengths", "maxlen", "dtype"],
        build=_build_sequence_mask,
        summary="`tf.sequence_mask(n, maxlen)` → `torch.arange(maxlen) < n.unsqueeze(-1)`.",
        why=(
            "torch has no sequence_mask; the comparison of positions with lengths is the "
            "idiom. Without `maxlen` TF uses the largest length. The positions are made on "
            "the lengths' device, which writes `lengths` more than once, so it must be a name "
            "or attribute."
        ),
        example="mask = tf.sequence_mask(lengths, maxlen=max_len, dtype=tf.float32)",
        checks=[
            Check("tf.sequence_mask(n, 5)", {"n": "i32[3]:0..6"}),
            Check("tf.sequence_mask(n)", {"n": "i64[2,2]:1..4"}),
            Check("tf.sequence_mask(n, maxlen=4, dtype=tf.float32)", {"n": "i32[3]:0..5"}),
            Check("tf.sequence_mask(n + 1, 4)", {"n": "i32[3]:0..3"}, todo=True),
        ],
    ),
    _Op(
        id="ops.scatter_nd",
        tf="tf.scatter_nd",
        signature="indices, updates, shape, name=None",
        handles=["indices", "updates", "shape"],
        build=_build_scatter_nd,
        summary="`tf.scatter_nd(idx, u, shape)` → `u.new_zeros(shape).index_put(idx.unbind(-1), u, accumulate=True)`.",
        why=(
            "TF scatters into zeros and sums duplicate indices: `index_put` with "
            "`accumulate=True` on zeros of `updates`' dtype and device. `updates` is written "
            "twice, so it must be a name or attribute."
        ),
        example="dense = tf.scatter_nd(indices, values, [4, 4])",
        checks=[
            Check("tf.scatter_nd(i, u, [5, 2])", {"i": "i64[6,1]:0..5", "u": "f32[6,2]"}),
            Check("tf.scatter_nd([[1, 1], [0, 2]], u, (2, 3))", {"u": "i32[2]"}),
            Check("tf.scatter_nd(i, u * 2, [4])", {"i": "i32[1,1]:0..4", "u": "f32[1]"}, todo=True),
        ],
    ),
    _Op(
        id="ops.linspace",
        tf="tf.linspace",
        signature="start, stop, num, name=None, axis=0",
        handles=["start", "stop", "num", "axis"],
        build=_build_linspace,
        summary="`tf.linspace` → `torch.linspace` with TF's dtype written out.",
        why=(
            "TF takes the dtype from `start`/`stop`: float32 for floats, float64 for Python "
            "ints; `torch.linspace` makes the default float dtype. With literal bounds TF's "
            "dtype is written; other bounds (tensors, possibly batched) stay a TODO."
        ),
        example="t = tf.linspace(0.0, 1.0, 5)",
        checks=[
            Check("tf.linspace(0.0, 1.0, 5)"),
            Check("tf.linspace(0, 10, 4)"),
            Check("tf.linspace(-1.0, 1.0, num=n)", {"n": 3}),
            Check("tf.linspace(a, 1.0, 5)", {"a": "f32[]"}, todo=True),
        ],
    ),
    _Op(
        id="ops.searchsorted",
        tf="tf.searchsorted",
        signature="sorted_sequence, values, side='left', out_type='int32', name=None",
        handles=["sorted_sequence", "values", "side", "out_type"],
        build=_build_searchsorted,
        summary="`tf.searchsorted` → `torch.searchsorted(…, out_int32=True)`.",
        why="Same operation over the last dimension; TF returns int32 by default, which torch writes `out_int32=True`.",
        example='pos = tf.searchsorted(edges, x, side="right")',
        checks=[
            Check("tf.searchsorted(tf.constant([[1.0, 3.0, 5.0]]), v)", {"v": "f32[1,4]:0..6"}),
            Check('tf.searchsorted(tf.constant([[1, 3, 3, 5]]), v, side="right")', {"v": "i32[1,5]:0..6"}),
            Check("tf.searchsorted(tf.sort(s), v, out_type=tf.int64)", {"s": "f32[2,3]:0..1", "v": "f32[2,2]"}),
        ],
    ),
    _Op(
        id="ops.strided_slice",
        tf="tf.strided_slice",
        signature=(
            "input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0, "
            "new_axis_mask=0, shrink_axis_mask=0, var=None, name=None"
        ),
        handles=["input_", "begin", "end", "strides", "begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"],
        build=_build_strided_slice,
        summary="`tf.strided_slice(x, begin, end, strides)` → `x[b0:e0:s0, …]`.",
        why=(
            "With literal lists and masks the slice is a subscript: a `begin_mask`/`end_mask` "
            "bit leaves the bound out, a `shrink_axis_mask` bit indexes with the begin value. "
            "torch slicing takes positive steps only, so a negative stride stays a TODO (as "
            "do `ellipsis_mask` and `new_axis_mask`)."
        ),
        example="y = tf.strided_slice(x, [0, 1], [2, 5], [1, 2])\nlast = tf.strided_slice(x, [0, -1], [0, 0], end_mask=1, shrink_axis_mask=2)",
        checks=[
            Check("tf.strided_slice(x, [0, 1], [2, 5], [1, 2])", {"x": "f32[3,6]"}),
            Check("tf.strided_slice(x, [0, -1], [0, 0], end_mask=1, shrink_axis_mask=2)", {"x": "i32[3,4]"}),
            Check("tf.strided_slice(x, [1], [3], begin_mask=1)", {"x": "f32[4,2]"}),
            Check("tf.strided_slice(x, [3], [0], [-1])", {"x": "f32[4]"}, todo=True),
        ],
    ),
    ApiCall(
        id="ops.roll",
        tf="tf.roll",
        torch="torch.roll",
        signature="input, shift, axis, name=None",
        args={"input": Pos(0, _tensor), "shift": Kw("shifts", axis), "axis": Kw("dims", axis), "name": DROP},
        summary="`tf.roll(x, shift, axis)` → `torch.roll(x, shifts=shift, dims=axis)`.",
        why="Same operation, one shift per axis; lists become tuples.",
        example="y = tf.roll(x, shift=1, axis=-1)",
        checks=[
            Check("tf.roll(x, shift=1, axis=-1)", {"x": "f32[2,4]"}),
            Check("tf.roll(x, [1, -2], [0, 1])", {"x": "i32[3,4]"}),
            Check("tf.roll(x, 2, 0)", {"x": "f32[0]"}),
        ],
    ),
]


class Meshgrid(Rule):
    """``tf.meshgrid(*tensors, indexing='xy')``: variadic, so bound by hand."""

    id = "ops.meshgrid"
    names = ("tf.meshgrid",)
    summary = '`tf.meshgrid(x, y)` → `torch.meshgrid(x, y, indexing="xy")`.'
    why = (
        "TF's default indexing is 'xy' (Cartesian), torch's 'ij' (matrix): the TF value is "
        "written out. TF returns a list, torch a tuple."
    )
    example = "xx, yy = tf.meshgrid(x, y)"
    checks = (
        Check("tf.meshgrid(x, y)", {"x": "f32[3]", "y": "f32[4]"}),
        Check('tf.meshgrid(x, y, z, indexing="ij")', {"x": "i32[2]", "y": "i32[3]", "z": "i32[1]"}),
        Check("tf.meshgrid(x, y, indexing=k)", {"x": "f32[2]", "y": "f32[2]", "k": "xy"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        tensors, indexing = [], "xy"
        for arg in call.args:
            if arg.star == "*":
                tensors.append(f"*{code_of(arg.value)}")
            elif arg.star:
                raise CannotMigrate("`**kwargs` hides the indexing")
            elif arg.keyword is None:
                tensors.append(code_of(arg.value))
            elif arg.keyword.value == "indexing":
                indexing = _lit(arg.value, "`indexing=` is not a literal: TF's default differs from torch's")
                if indexing not in ("xy", "ij"):
                    raise CannotMigrate("`indexing` must be 'xy' or 'ij'")
            elif arg.keyword.value != "name":
                raise CannotMigrate(f"unknown argument `{arg.keyword.value}=`")
        name = code_of(ctx.name("torch.meshgrid"))
        return cst.parse_expression(f'{name}({", ".join(tensors)}, indexing="{indexing}")')


RULES.append(Meshgrid())
