"""Tensors as values and types: ``tf.Tensor``/``tf.Variable``/``tf.TensorShape`` references,
``tf.Variable(...)``, ``tf.shape``/``tf.size``/``tf.rank``, ``tf.is_tensor``."""

from __future__ import annotations

import libcst as cst

from migrate.rules.base import (
    DROP,
    ApiCall,
    CannotMigrate,
    Check,
    Drop,
    Kw,
    NewArg,
    NotLiteral,
    Pos,
    Rule,
    RuleContext,
    build_call,
    expand,
    literal,
)
from migrate.rules.convert import dtype as dtype_value

_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.List, cst.Tuple, cst.Dict)


def receiver(value: cst.BaseExpression) -> cst.BaseExpression:
    """``value`` ready to take ``.attr`` (``(a + b).shape``)."""
    if isinstance(value, _ATOMIC) or value.lpar:
        return value
    return value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def attr(value: cst.BaseExpression, name: str) -> cst.Attribute:
    return cst.Attribute(receiver(value), cst.Name(name))


def method(value: cst.BaseExpression, name: str, *args: cst.Arg) -> cst.Call:
    return cst.Call(attr(value, name), list(args))


def kwarg(name: str, value: cst.BaseExpression) -> cst.Arg:
    eq = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
    return cst.Arg(value, keyword=cst.Name(name), equal=eq)


def _args(*args: cst.Arg) -> list[cst.Arg]:
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return [a.with_changes(comma=comma) for a in args[:-1]] + list(args[-1:])


def _dtype_or_default(bound: dict[str, cst.Arg], name: str, ctx: RuleContext, default: str) -> cst.BaseExpression:
    arg = bound.get(name)
    if arg is None or (isinstance(arg.value, cst.Name) and arg.value.value == "None"):
        return ctx.name(default)
    return dtype_value(arg.value, ctx)


# ---------------------------------------------------------------------------------------
# Type references.


class TypeNames(Rule):
    """Names of TF types, in annotations and ``isinstance`` checks: a torch type, or a TODO
    saying why there is none (also for calls to the names that have none)."""

    def __init__(self, id: str, mapping: dict[str, str], todo: dict[str, str], summary: str, why: str, example: str, checks: list[Check]):
        self.id, self.summary, self.why, self.example, self.checks = id, summary, why, example, tuple(checks)
        self.mapping = {expand(k): v for k, v in mapping.items()}
        self.todo = {expand(k): v for k, v in todo.items()}
        self.names = tuple(self.mapping) + tuple(self.todo)

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if qualified in self.todo:
            raise CannotMigrate(self.todo[qualified])
        return ctx.name(self.mapping[qualified])

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if qualified in self.todo:
            raise CannotMigrate(self.todo[qualified])
        raise CannotMigrate(f"`{ctx.source(call.func)}(...)` does not build a tensor; use a torch constructor")


_SPEC = (
    "a TypeSpec describes a traced signature; torch traces example inputs instead "
    "(`torch.export` with `torch.export.Dim` for dynamic sizes)"
)

TENSOR_TYPES = TypeNames(
    id="ops.Tensor",
    mapping={"tf.Tensor": "torch.Tensor"},
    todo={
        "tf.TensorSpec": _SPEC,
        "tf.TypeSpec": _SPEC,
        "tf.type_spec_from_value": _SPEC,
        "tf.RaggedTensor": (
            "torch has no ragged tensor type: pad with a mask, or use `torch.nested` "
            "(jagged layout), which supports fewer operations"
        ),
        "tf.RaggedTensorSpec": _SPEC,
        "tf.SparseTensorSpec": _SPEC,
        "tf.IndexedSlices": (
            "torch has no IndexedSlices: sparse gradients are sparse COO tensors (`x.is_sparse`)"
        ),
        "tf.Operation": "torch has no graph operations: an eager torch program has only tensors",
        "tf.Graph": "torch has no graph object: code runs eagerly",
    },
    summary="`tf.Tensor` in annotations and `isinstance` checks → `torch.Tensor`; spec and graph types are TODOs.",
    why=(
        "`tf.Tensor` is the type of every eager tensor, as `torch.Tensor` is. One difference: a "
        "`tf.Variable` is not a `tf.Tensor`, while the `torch.nn.Parameter` it becomes is a "
        "`torch.Tensor`, so `isinstance(v, tf.Tensor)` turns true for variables. "
        "`tf.TensorSpec`/`tf.TypeSpec` and the other specs describe traced signatures, which "
        "torch does not have; `tf.RaggedTensor` and `tf.IndexedSlices` have no torch type; "
        "`tf.Graph`/`tf.Operation` have no meaning in eager torch. Those stay TODOs saying so."
    ),
    example=(
        "def scale(x: tf.Tensor, k: float) -> tf.Tensor:\n"
        "    return x * k if isinstance(x, tf.Tensor) else x\n"
        "spec = tf.TensorSpec([None, 3], tf.float32)"
    ),
    checks=[
        Check("isinstance(x, tf.Tensor)", {"x": "f32[2,3]"}),
        Check("isinstance(x, tf.Tensor)", {"x": "i64[0]"}),
        Check("isinstance(1.5, tf.Tensor)"),
        Check("isinstance([x], (tf.Tensor, list))", {"x": "f32[]"}),
        Check(
            "def f(t: tf.Tensor) -> tf.Tensor:\n    return t * 2\nresult = f(x)",
            {"x": "f32[4]"},
        ),
        Check("tf.TensorSpec([None, 3], tf.float32)", todo=True),
        Check("isinstance(x, tf.RaggedTensor)", {"x": "f32[2]"}, todo=True),
    ],
)


# ---------------------------------------------------------------------------------------
# tf.Variable


#: torch functions whose result is a fresh tensor (no view of an argument): a variable made
#: from one needs no copy.
_FRESH = {
    "zeros", "ones", "full", "empty", "eye", "arange", "linspace", "logspace", "tensor",
    "zeros_like", "ones_like", "full_like", "empty_like", "rand", "randn", "randint",
    "rand_like", "randn_like", "normal", "clone",
}
_INT_DTYPES = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool"}
_FLOAT_DTYPES = {"float16", "bfloat16", "float32", "float64", "half", "double", "float", "complex64", "complex128"}


def _dtype_kind(node: cst.BaseExpression | None) -> str | None:
    """"int"/"float" for a dtype expression whose name says which, else None."""
    name = None
    if isinstance(node, cst.Attribute):
        name = node.attr.value
    elif isinstance(node, cst.SimpleString):
        name = node.evaluated_value
    if name in _INT_DTYPES:
        return "int"
    if name in _FLOAT_DTYPES:
        return "float"
    return None


def _literal_kind(value: object) -> str | None:
    """"int" when a literal is made of ints (TF: int32), "float"/"bool" otherwise."""
    leaves: list[object] = []

    def walk(v: object) -> None:
        if isinstance(v, (list, tuple)):
            for item in v:
                walk(item)
        else:
            leaves.append(v)

    walk(value)
    if not leaves:
        return "float"  # tf.Variable([]) is float32, as torch.tensor([]) is
    if all(isinstance(v, bool) for v in leaves):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in leaves):
        return "int"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in leaves):
        return "float"
    return None


def _is_false(arg: cst.Arg | None) -> bool:
    return arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == "False"


def _module_attribute(call: cst.Call, ctx: RuleContext) -> str | None:
    """``"step"`` for ``self.step = tf.Variable(...)`` in a method of a class that becomes an
    ``nn.Module`` (a ``tf.Module``, Keras layer or model subclass), else None."""
    statement = getattr(ctx, "statement", None)
    if statement is None:
        return None
    line = statement()
    if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 and isinstance(line.body[0], cst.Assign)):
        return None
    assign = line.body[0]
    target = assign.targets[0].target if len(assign.targets) == 1 else None
    if not (
        isinstance(target, cst.Attribute)
        and isinstance(target.value, cst.Name)
        and target.value.value == "self"
        and isinstance(assign.value, cst.Call)
    ):
        return None
    scope = ctx.scope()  # type: ignore[attr-defined]
    for node in ctx.module().body:  # type: ignore[attr-defined]
        if isinstance(node, cst.ClassDef) and isinstance(node.body, cst.IndentedBlock) and any(s is scope for s in node.body.body):
            bases = {_last_name(arg.value) for arg in node.bases if not arg.keyword}
            return target.attr.value if bases & {"Module", "Model", "Layer"} else None
    return None


def _last_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return node.value if isinstance(node, cst.Name) else None


def _fresh_torch_call(node: cst.BaseExpression) -> bool:
    if not isinstance(node, cst.Call):
        return False
    func = node.func
    parts = []
    while isinstance(func, cst.Attribute):
        parts.append(func.attr.value)
        func = func.value
    if not isinstance(func, cst.Name):
        return False
    parts.append(func.value)
    return parts[-1] == "torch" and parts[0] in _FRESH


class Variable(ApiCall):
    """``tf.Variable(value, trainable=..., dtype=...)`` → ``torch.nn.Parameter(tensor, requires_grad=...)``."""

    #: ``v = tf.Variable(...)`` makes ``v.assign(...)`` a site (rules/tf_autodiff.py).
    returns = {"tf.Variable": "tf.Variable"}

    def __init__(self) -> None:
        super().__init__(
            id="ops.Variable",
            tf="tf.Variable",
            torch="torch.nn.Parameter",
            signature=(
                "initial_value=None, trainable=None, validate_shape=True, caching_device=None, "
                "name=None, variable_def=None, dtype=None, import_scope=None, constraint=None, "
                "synchronization=None, aggregation=None, shape=None, "
                "experimental_enable_variable_lifting=True"
            ),
            args={
                "initial_value": Pos(0),
                "trainable": Kw("requires_grad"),
                "validate_shape": Drop(),
                "name": DROP,
                "dtype": Kw("dtype"),
                "experimental_enable_variable_lifting": Drop(),
            },
            summary="`tf.Variable(v, trainable=..., dtype=...)` → `torch.nn.Parameter(tensor, requires_grad=...)`.",
            why=(
                "A variable is a tensor that a module tracks and an optimizer updates: "
                "`torch.nn.Parameter` is that, registered when assigned to a `nn.Module` "
                "attribute as a `tf.Variable` is tracked by a `tf.Module`/layer; "
                "`trainable=False` becomes `requires_grad=False` (it stays in the state dict, "
                "as a non-trainable variable stays in checkpoints). TF never differentiates "
                "integer variables, and torch refuses `requires_grad` on them, so a variable "
                "whose dtype is known to be integer gets `requires_grad=False`. A literal "
                "value becomes `torch.tensor(...)` with TF's dtype (Python ints are int32 in "
                "TF); any other value is copied (`.clone()`, as TF copies the initial value), "
                "and a Python number held in a variable fails loudly there instead of changing "
                "dtype. Unlike TF, a torch Parameter of an integer dtype whose dtype the source "
                "does not show fails at `requires_grad=True`: pass `trainable=False`. "
                "`v.assign(x)`/`assign_add` are method calls this rule does not see: in torch "
                "they are `with torch.no_grad(): v.copy_(x)` / `v.add_(x)`. `validate_shape` "
                "is dropped (torch parameters can always be replaced by `v.data = ...`); "
                "`shape=`, `constraint=`, `synchronization=` and `aggregation=` stay TODOs."
            ),
            example=(
                "self.step = tf.Variable(0, trainable=False)\n"
                "self.scale = tf.Variable(1.0, dtype=tf.float64)\n"
                "self.w = tf.Variable(tf.zeros([3, 4]), name=\"w\")\n"
                "self.b = tf.Variable(init_b, dtype=tf.float32)\n"
                "self.c = tf.Variable(initializer(shape))"
            ),
            checks=[
                Check("tf.Variable(0)"),
                Check("tf.Variable(1.5)"),
                Check("tf.Variable([[1, 2], [3, 4]], trainable=False)"),
                Check("tf.Variable([1.0, 2.0], dtype=tf.float64, name='v')"),
                Check("tf.Variable(3, dtype=tf.int64)"),
                Check("tf.Variable(x, dtype=tf.float64)", {"x": "f64[2,3]"}),
                Check("tf.Variable(x, dtype=tf.float32)", {"x": [1, 2, 3]}),
                Check("tf.Variable(x, trainable=False)", {"x": "i32[2,0]"}),
                Check("tf.Variable(tf.reshape(x, [-1]))", {"x": "f32[2,3]"}),
                Check("tf.Variable(x)", {"x": "f32[3]"}),
                Check("tf.Variable(x, shape=tf.TensorShape(None))", {"x": "f32[3]"}, todo=True),
                Check("tf.Variable(x, constraint=c)", {"x": "f32[3]", "c": None}, todo=True),
            ],
        )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = self.bind(call, ctx)
        for name in ("caching_device", "variable_def", "import_scope", "constraint", "synchronization", "aggregation", "shape"):
            arg = bound.get(name)
            if arg is not None and not (isinstance(arg.value, cst.Name) and arg.value.value == "None"):
                raise CannotMigrate(f"argument `{name}=` has no torch.nn.Parameter equivalent")
        if "initial_value" not in bound:
            raise CannotMigrate("a variable without an initial value has nothing to hold")
        value_arg = bound["initial_value"]
        value = value_arg.value
        dtype_arg = bound.get("dtype")
        dtype = None
        if dtype_arg is not None and not (isinstance(dtype_arg.value, cst.Name) and dtype_arg.value.value == "None"):
            dtype = dtype_value(dtype_arg.value, ctx)
        kind = _dtype_kind(dtype) if dtype is not None else None
        try:
            lit = literal(value)
        except NotLiteral:
            lit = NotLiteral
        if lit is not NotLiteral:
            if isinstance(lit, str) or lit is None:
                raise CannotMigrate("the initial value is not a number")
            lit_kind = _literal_kind(lit)
            if lit_kind is None:
                raise CannotMigrate("the initial value mixes types TF and torch may type differently")
            if dtype is None and lit_kind == "int":
                dtype = ctx.name("torch.int32")
            kind = kind or ("float" if lit_kind == "float" else "int")
            extra = [kwarg("dtype", dtype)] if dtype is not None else []
            tensor: cst.BaseExpression = cst.Call(ctx.name("torch.tensor"), _args(cst.Arg(value), *extra))
        elif dtype is not None:
            if _fresh_torch_call(value):
                tensor = method(value, "to", cst.Arg(dtype))
            else:
                tensor = method(
                    cst.Call(ctx.name("torch.as_tensor"), _args(cst.Arg(value), kwarg("dtype", dtype))), "clone"
                )
        elif _fresh_torch_call(value):
            tensor = value
        else:
            tensor = method(value, "clone")
        args = [NewArg(tensor, None, value_arg)]
        trainable = bound.get("trainable")
        if trainable is not None and not (isinstance(trainable.value, cst.Name) and trainable.value.value in ("None", "True")):
            args.append(NewArg(trainable.value, "requires_grad", trainable))
        elif kind == "int":
            args.append(NewArg(cst.Name("False"), "requires_grad", trainable))
        buffer = _module_attribute(call, ctx) if _is_false(trainable) else None
        if buffer is not None:
            # A module's non-trainable state is a buffer: saved in its state dict, moved by
            # `.to()`, and not among the parameters an optimizer or autograd.grad is given.
            ctx.replace_statement(  # type: ignore[attr-defined]
                [cst.SimpleStatementLine([cst.Expr(method(cst.Name("self"), "register_buffer", cst.Arg(cst.SimpleString(f'"{buffer}"')), cst.Arg(tensor)))])]
            )
            return call
        return build_call(call, ctx.name("torch.nn.Parameter"), args)

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        return ctx.name("torch.nn.Parameter")


# ---------------------------------------------------------------------------------------
# Shapes.


class ShapeOf(ApiCall):
    """``tf.shape``/``tf.size``/``tf.rank``: an int32 tensor made from the torch tensor's
    Python-int shape, size or rank."""

    def __init__(self, name: str, what: str, build, signature: str, checks: list[Check], why: str, example: str):  # noqa: ANN001
        self.build = build
        has_out = "out_type" in signature
        args = {"input": Pos(0), "name": DROP}
        if has_out:
            args["out_type"] = Kw("dtype")
        super().__init__(
            id=f"ops.{name}",
            tf=[f"tf.{name}"],
            torch="torch.tensor",
            signature=signature,
            args=args,
            summary=f"`tf.{name}(x)` → `torch.tensor({what}, dtype=torch.int32)`.",
            why=why,
            example=example,
            checks=checks,
        )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = self.bind(call, ctx)
        x = bound["input"]
        dtype = _dtype_or_default(bound, "out_type", ctx, "torch.int32")
        return build_call(
            call,
            ctx.name("torch.tensor"),
            [NewArg(self.build(x.value), None, x), NewArg(dtype, "dtype", bound.get("out_type"))],
        )


_SHAPE_WHY = (
    "`tf.shape(x)` is a 1-D int32 *tensor*, and `tf.shape(x)[0]` a 0-d int32 tensor; "
    "`x.shape` is a `torch.Size`, a tuple of Python ints, on which `*` and `+` repeat and "
    "concatenate instead of computing (`tf.shape(x) * 2`), and `tf.cast(tf.shape(x)[0], ...)` "
    "would fail. The faithful form is `torch.tensor(x.shape, dtype=torch.int32)`; its elements "
    "work as sizes (`torch.reshape(y, (s[0], -1))`). torch functions that take a size refuse "
    "a whole 1-D tensor (`torch.zeros(s)`, `torch.reshape(y, s)`), loudly: pass `x.shape` "
    "there. `out_type` becomes `dtype`. In a `torch.compile`d function prefer `x.shape[i]` "
    "(a traced symbolic int) where a tensor is not needed."
)

SHAPE = ShapeOf(
    "shape",
    "x.shape",
    lambda x: attr(x, "shape"),
    "input, out_type=None, name=None",
    checks=[
        Check("tf.shape(x)", {"x": "f32[2,3]"}),
        Check("tf.shape(x)[0]", {"x": "f32[4,3,2]"}),
        Check("tf.shape(x)[-1]", {"x": "i64[2,0]"}),
        Check("tf.shape(x)", {"x": "f32[]"}),
        Check("tf.shape(x, out_type=tf.int64)", {"x": "bool[5,1]"}),
        Check("tf.shape(a + b)[1:]", {"a": "f32[2,3,4]", "b": "f32[3,4]"}),
        Check("tf.shape(x) * 2", {"x": "f32[2,3]"}),
        Check("tf.reshape(x, [tf.shape(x)[0], -1])", {"x": "f32[2,3,4]"}),
        Check("tf.cast(tf.shape(x)[1], tf.float32)", {"x": "f32[2,7]"}),
    ],
    why=_SHAPE_WHY,
    example="batch = tf.shape(x)[0]\ny = tf.reshape(x, [batch, -1])\nhw = tf.cast(tf.shape(images)[1:3], tf.float32)",
)

SIZE = ShapeOf(
    "size",
    "x.numel()",
    lambda x: method(x, "numel"),
    "input, out_type=None, name=None",
    checks=[
        Check("tf.size(x)", {"x": "f32[2,3]"}),
        Check("tf.size(x)", {"x": "f32[2,0]"}),
        Check("tf.size(x)", {"x": "i32[]"}),
        Check("tf.size(x, out_type=tf.int64)", {"x": "f32[4,5]"}),
        Check("tf.cast(tf.size(x), tf.float32)", {"x": "f32[3]"}),
    ],
    why=(
        "`tf.size` is a 0-d int32 tensor (`out_type` changes the dtype); `x.numel()` is a "
        "Python int, so the result is made a tensor of TF's dtype: arithmetic and `tf.cast` "
        "on it then behave as in TF."
    ),
    example="n = tf.size(x)\nmean = tf.reduce_sum(x) / tf.cast(tf.size(x), tf.float32)",
)

RANK = ShapeOf(
    "rank",
    "x.dim()",
    lambda x: method(x, "dim"),
    "input, name=None",
    checks=[
        Check("tf.rank(x)", {"x": "f32[2,3]"}),
        Check("tf.rank(x)", {"x": "f32[]"}),
        Check("tf.rank(x)", {"x": "u8[2,0,1]"}),
        Check("tf.rank(x) - 1", {"x": "f32[2,3]"}),
    ],
    why="`tf.rank` is a 0-d int32 tensor; `x.dim()` is a Python int, so it is made a tensor of that dtype.",
    example="last = tf.rank(x) - 1",
)


class TensorShape(Rule):
    id = "ops.TensorShape"
    names = ("tf.TensorShape",)
    summary = "`tf.TensorShape([2, 3])` → `torch.Size([2, 3])`; `tf.TensorShape` as a type → `torch.Size`."
    why = (
        "A fully known shape is a `torch.Size` (a tuple of ints). TF shapes may have unknown "
        "dimensions (`None`) or an unknown rank (`TensorShape(None)`), which a `torch.Size` "
        "cannot hold: a literal with `None` stays a TODO, and a non-literal one fails loudly in "
        "`torch.Size`. `TensorShape` methods are method calls this rule does not see: "
        "`s.as_list()` is `list(s)`, `s.rank` is `len(s)`, `s.num_elements()` is `s.numel()`, "
        "and `is_fully_defined()` is always true."
    )
    example = (
        "shape = tf.TensorShape([None, 28, 28])\n"
        "full = tf.TensorShape([batch, 28, 28])\n"
        "def build(self, input_shape: tf.TensorShape):\n"
        "    self.ok = isinstance(input_shape, tf.TensorShape)"
    )
    checks = (
        Check("tf.TensorShape([2, 3])"),
        Check("tf.TensorShape([])"),
        Check("tf.TensorShape((n, 4))", {"n": 5}),
        Check("tf.TensorShape(x.shape)", {"x": "f32[2,0,3]"}),
        Check("isinstance(x.shape, tf.TensorShape)", {"x": "f32[2]"}),
        Check("tf.TensorShape([None, 3])", todo=True),
        Check("tf.TensorShape(None)", todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if len(call.args) != 1 or call.args[0].star or (call.args[0].keyword and call.args[0].keyword.value != "dims"):
            raise CannotMigrate("expected one argument, `dims`")
        arg = call.args[0]
        try:
            value = literal(arg.value)
        except NotLiteral:
            value = ()
        if value is None:
            raise CannotMigrate("a shape of unknown rank has no torch.Size")
        if isinstance(value, (list, tuple)) and any(v is None for v in value):
            raise CannotMigrate("a shape with unknown (`None`) dimensions has no torch.Size")
        return build_call(call, ctx.name("torch.Size"), [NewArg(arg.value, None, arg)])

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        return ctx.name("torch.Size")


def _torch_rooted(node: cst.BaseExpression) -> bool:
    """A call of a ``torch.*`` function, or an index/attribute of one: a tensor."""
    while isinstance(node, (cst.Subscript, cst.Attribute)) and not (
        isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)
    ):
        node = node.value
    if not isinstance(node, cst.Call):
        return False
    func = node.func
    while isinstance(func, cst.Attribute):
        func = func.value
    return isinstance(func, cst.Name) and func.value == "torch"


class GetStaticValue(Rule):
    id = "ops.get_static_value"
    names = ("tf.get_static_value",)
    summary = "`tf.get_static_value(x)` → `(x.numpy(force=True) if torch.is_tensor(x) else x)`."
    why = (
        "Every torch value is known when the line runs, as every eager TF value is: TF then "
        "returns a tensor's value as a NumPy array (a copy on the host) and any other value "
        "unchanged. `x.numpy(force=True)` is that copy (it detaches and moves to the CPU). A "
        "name is tested with `torch.is_tensor`, since callers pass Python values too "
        "(`training` flags); a `torch` expression is a tensor; any other expression would be "
        "evaluated twice and stays a TODO. A 0-d tensor gives TF a NumPy scalar and torch a "
        "0-d array (they compute alike; that check compares values only). `partial=True` "
        "stays a TODO."
    )
    example = "n = tf.get_static_value(batch_size)\nd = tf.get_static_value(tf.shape(x)[-1])\nf = tf.get_static_value(make())"
    checks = (
        Check("tf.get_static_value(x)", {"x": "f32[2,3]"}),
        Check("tf.get_static_value(x)", {"x": True}),
        Check("tf.get_static_value(x, partial=False)", {"x": "i64[0]"}),
        Check("tf.get_static_value(tf.shape(x)[-1])", {"x": "f32[2,5]"}, dtype=False),
        Check("tf.get_static_value(x + 1)", {"x": "f32[2]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        binder = ApiCall(id=self.id, tf=(), torch="", signature="tensor, partial=False", args={}, summary="", example="")
        bound = binder.bind(call, ctx)
        partial = bound.get("partial")
        if partial is not None and not (isinstance(partial.value, cst.Name) and partial.value.value == "False"):
            raise CannotMigrate("`partial=True` (a partly known value) has no torch meaning: every value is known")
        x = bound["tensor"].value
        force = kwarg("force", cst.Name("True"))
        if _torch_rooted(x):
            return method(x, "numpy", force)
        if isinstance(x, (cst.Name, cst.Attribute)):
            expr = cst.IfExp(
                test=cst.Call(ctx.name("torch.is_tensor"), [cst.Arg(x)]),
                body=method(x, "numpy", force),
                orelse=x,
            )
            return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        raise CannotMigrate(f"`{ctx.source(x)}` would be evaluated twice: assign it to a name first")


RULES = [
    TENSOR_TYPES,
    GetStaticValue(),
    Variable(),
    SHAPE,
    SIZE,
    RANK,
    TensorShape(),
    ApiCall(
        id="ops.is_tensor",
        tf="tf.is_tensor",
        torch="torch.is_tensor",
        signature="x",
        args={"x": Pos(0)},
        summary="`tf.is_tensor` → `torch.is_tensor`.",
        why=(
            "Both are true for tensors and false for Python numbers and NumPy arrays. TF also "
            "says true for variables and sparse/ragged tensors; the `torch.nn.Parameter` a "
            "variable becomes and torch sparse tensors are tensors too."
        ),
        example="if tf.is_tensor(x):\n    x = tf.cast(x, tf.float32)",
        checks=[
            Check("tf.is_tensor(x)", {"x": "f32[2,3]"}),
            Check("tf.is_tensor(x)", {"x": "i32[0]"}),
            Check("tf.is_tensor(1.0)"),
            Check("tf.is_tensor(np.zeros(2))"),
            Check("tf.is_tensor([x])", {"x": "f32[]"}),
        ],
    ),
]
