"""Control flow and graph-only constructs: ``tf.cond``, ``tf.map_fn``, ``tf.name_scope``,
``tf.control_dependencies``, ``tf.executing_eagerly``, ``tf.print``, ``tf.group``…

torch runs eagerly, as TF 2 does outside ``tf.function``: each rewrite here is what the TF
construct does in eager mode, which is also what ``torch.compile`` traces."""

from __future__ import annotations

import re

import libcst as cst

from migrate.rules.base import ApiCall, CannotMigrate, Check, NewArg, Rule, RuleContext, build_call
from migrate.rules.tf_tensor import kwarg

_NULLCONTEXT = "contextlib.nullcontext"


def _parens(node: cst.BaseExpression) -> cst.BaseExpression:
    if node.lpar:
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _is_none(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _pure(node: cst.BaseExpression) -> bool:
    """Evaluating ``node`` has no effect (names, attributes, literals, lists of those)."""
    if isinstance(node, (cst.Name, cst.Integer, cst.Float, cst.SimpleString)):
        return True
    if isinstance(node, cst.Attribute):
        return _pure(node.value)
    if isinstance(node, (cst.List, cst.Tuple)):
        return all(not isinstance(e, cst.StarredElement) and _pure(e.value) for e in node.elements)
    if isinstance(node, cst.Subscript):  # `t.shape[0]`, `sizes[1:]`
        return _pure(node.value) and all(
            isinstance(e.slice, cst.Index) and _pure(e.slice.value)
            or isinstance(e.slice, cst.Slice) and all(p is None or _pure(p) for p in (e.slice.lower, e.slice.upper, e.slice.step))
            for e in node.slice
        )
    if isinstance(node, cst.BinaryOperation):  # `padded_size + [3]`, `3 * ps`
        return _pure(node.left) and _pure(node.right)
    if isinstance(node, cst.UnaryOperation):
        return _pure(node.expression)
    return False


class _Bound(ApiCall):
    """An ApiCall used for its signature binding only."""

    def __init__(self, id: str, signature: str) -> None:
        super().__init__(id=id, tf=(), torch="", signature=signature, args={}, summary="", example="")


def _bind(rule: Rule, signature: str, call: cst.Call, ctx: RuleContext) -> dict[str, cst.Arg]:
    return _Bound(rule.id, signature).bind(call, ctx)


class NullContext(Rule):
    """A TF context manager that does nothing in eager code → ``contextlib.nullcontext()``."""

    def __init__(self, id: str, names: tuple[str, ...], signature: str, summary: str, why: str, example: str, checks: list[Check], keep: str | None = None):
        self.id, self.names, self.signature = id, names, signature
        self.summary, self.why, self.example, self.checks = summary, why, example, tuple(checks)
        self.keep = keep  # an argument whose evaluation must survive (it may have effects)

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(self, self.signature, call, ctx)
        args = []
        if self.keep and self.keep in bound and not _pure(bound[self.keep].value) and not _is_none(bound[self.keep].value):
            arg = bound[self.keep]
            args.append(NewArg(arg.value, None, arg))
        return build_call(call, ctx.name(_NULLCONTEXT), args)


class Constant(Rule):
    """A TF call whose eager result is a constant (``tf.executing_eagerly()`` → ``True``)."""

    def __init__(self, id: str, names: tuple[str, ...], value: str, summary: str, why: str, example: str, checks: list[Check], signature: str = "", pure_args: bool = False):
        self.id, self.names, self.value, self.signature, self.pure_args = id, names, value, signature, pure_args
        self.summary, self.why, self.example, self.checks = summary, why, example, tuple(checks)

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if self.pure_args:
            for arg in call.args:
                if arg.keyword and arg.keyword.value == "name":
                    continue
                if not _pure(arg.value):
                    raise CannotMigrate(
                        f"`{ctx.source(arg.value)}` is evaluated for its effect (an assignment, an "
                        "update): keep it as a statement of its own, then drop the call"
                    )
        elif call.args:
            _bind(self, self.signature, call, ctx)
        return cst.Name(self.value).with_changes(lpar=call.lpar, rpar=call.rpar)


# ---------------------------------------------------------------------------------------
# tf.cond


def _branch(fn: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
    """A branch's value: a no-argument lambda's body, else a call of the function (through
    ``ctx.call``, which migrates ``tf.no_op`` and other TF functions passed as branches)."""
    if isinstance(fn, cst.Lambda) and not fn.params.params and not fn.params.posonly_params and not fn.params.kwonly_params and isinstance(fn.params.star_arg, cst.MaybeSentinel) and fn.params.star_kwarg is None:
        body = fn.body
        if isinstance(body, (cst.IfExp, cst.Lambda, cst.NamedExpr)):
            body = _parens(body)
        return body
    if isinstance(fn, cst.Lambda):
        return cst.Call(_parens(fn))
    return ctx.call(fn)


class Cond(Rule):
    id = "ops.cond"
    names = ("tf.cond",)
    summary = "`tf.cond(pred, true_fn, false_fn)` → `(true_fn() if pred else false_fn())`."
    why = (
        "In eager TF, `tf.cond` evaluates `pred` and calls one branch, exactly what Python's "
        "conditional expression does (a one-element tensor `pred` is truthy as in TF); a "
        "branch that is a `lambda:` is written as its body. Inside `tf.function` TF traces "
        "both branches into the graph; under `torch.compile` a tensor condition causes a graph "
        "break (or use `torch.cond` for a traced branch with matching outputs). Both "
        "branches are required, as TF 2 requires them."
    )
    example = (
        "y = tf.cond(x > 0, lambda: x, lambda: -x)\n"
        "loss = tf.cond(training, train_loss_fn, eval_loss_fn)"
    )
    checks = (
        Check("tf.cond(x > 0, lambda: x, lambda: -x)", {"x": "f32[]"}),
        Check("tf.cond(x < 0, lambda: x * 2, lambda: x + 1)", {"x": "f32[]"}),
        Check("tf.cond(tf.reduce_all(x > -10.0), lambda: x * 2, lambda: x)", {"x": "f32[2,3]"}),
        Check("tf.cond(flag, lambda: (x, x + 1), lambda: (x - 1, x))", {"flag": False, "x": "i32[3]"}),
        Check(
            "def f():\n    return x * 3\ndef g():\n    return x\nresult = tf.cond(pred=x[0] > 100.0, true_fn=f, false_fn=g)",
            {"x": "f32[2]"},
        ),
        Check("1.0 + tf.cond(x > 0, lambda: x if x > 1 else x * 0, lambda: x)", {"x": "f32[]:pos"}),
        Check("tf.cond(x > 0, lambda: x)", {"x": "f32[]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(self, "pred, true_fn=None, false_fn=None, name=None", call, ctx)
        if "true_fn" not in bound or "false_fn" not in bound or _is_none(bound["true_fn"].value) or _is_none(bound["false_fn"].value):
            raise CannotMigrate("`tf.cond` needs both `true_fn` and `false_fn`")
        pred = bound["pred"].value
        if isinstance(pred, (cst.IfExp, cst.Lambda, cst.NamedExpr)):
            pred = _parens(pred)
        expr = cst.IfExp(
            test=pred,
            body=_branch(bound["true_fn"].value, ctx),
            orelse=_branch(bound["false_fn"].value, ctx),
        )
        return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


# ---------------------------------------------------------------------------------------
# tf.map_fn

_DTYPE_NAMES = {
    "float16", "half", "bfloat16", "float32", "float", "float64", "double", "int8", "int16",
    "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool", "complex64", "complex128",
}


def _is_dtype(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value in _DTYPE_NAMES
    if isinstance(node, cst.Attribute) and node.attr.value == "dtype":
        return True  # `images.dtype`: a tensor's dtype
    return isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "torch" and node.attr.value in _DTYPE_NAMES


class MapFn(Rule):
    id = "ops.map_fn"
    names = ("tf.map_fn",)
    summary = "`tf.map_fn(fn, x)` → `torch.stack([fn(elem) for elem in x])`."
    why = (
        "`tf.map_fn` applies `fn` to each slice of `elems` along axis 0 and stacks the "
        "results; iterating a torch tensor yields the same slices. A one-argument `lambda` is "
        "written as a comprehension. `fn_output_signature`/`dtype` only declare the dtype "
        "`fn` returns (TF raises if they differ), so a plain dtype (or a tensor's `.dtype`) is "
        "dropped; a nested or "
        "ragged signature, and `elems` given as a list, a dict or a deeper structure, stay "
        "TODOs; a tuple of tensors is zipped (`zip(..., strict=True)`, which, like TF, refuses different lengths), so `fn` gets a tuple of slices as in TF. "
        "`back_prop=False` (no gradient through the map) becomes `.detach()` on the result; "
        "`parallel_iterations`, `swap_memory` and `infer_shape` are performance hints and are "
        "dropped. Two differences: an empty `elems` gives TF an empty tensor and "
        "`torch.stack` an error, and a `fn` that returns a Python number fails in "
        "`torch.stack` (TF converts it). For a pure function, `torch.vmap(fn)(x)` is the "
        "vectorised equivalent."
    )
    example = (
        "norms = tf.map_fn(lambda row: tf.reduce_sum(row * row), x)\n"
        "ids = tf.map_fn(lookup, tokens, fn_output_signature=tf.int64)"
    )
    checks = (
        Check("tf.map_fn(lambda v: v * 2.0, x)", {"x": "f32[3,2]"}),
        Check("tf.map_fn(lambda row: tf.reduce_sum(row * row), x)", {"x": "f32[4,3]"}),
        Check("def f(v):\n    return tf.cast(v, tf.int32)\nresult = tf.map_fn(f, x, fn_output_signature=tf.int32)", {"x": "f32[5]"}),
        Check("tf.map_fn(fn=lambda v: v[1:] * 2, elems=x, dtype=tf.int64, parallel_iterations=4)", {"x": "i64[2,3]"}),
        Check("tf.map_fn(lambda v: v + 1, x, fn_output_signature=x.dtype)", {"x": "u8[2,2]"}),
        Check("elem = 3.0\nresult = tf.map_fn(lambda e: e * elem, x)", {"x": "f32[2,2,2]"}),
        Check("tf.map_fn(lambda ab: ab[0] * ab[1], (x, y), fn_output_signature=tf.float32)", {"x": "f32[3]", "y": "f32[3,1]"}),
        Check("def f(pair):\n    a, b = pair\n    return a - b\nresult = tf.map_fn(f, (x, x * 2), fn_output_signature=tf.int32)", {"x": "i32[2,2]"}),
        Check("tf.map_fn(lambda v: v * 3.0, x, back_prop=False)", {"x": "f32[3]"}),
        Check("tf.map_fn(lambda ab: ab[0] + ab[1], [x, x])", {"x": "f32[3]"}, todo=True),
        Check("tf.map_fn(lambda v: v, x, back_prop=flag)", {"x": "f32[3]", "flag": True}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(
            self,
            "fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False, "
            "infer_shape=True, name=None, fn_output_signature=None",
            call,
            ctx,
        )
        fn, elems = bound["fn"].value, bound["elems"].value
        if isinstance(elems, cst.Tuple) and elems.elements and all(
            isinstance(e, cst.Element) and not isinstance(e.value, (cst.Tuple, cst.List, cst.Dict, cst.Set)) for e in elems.elements
        ):
            # A tuple of tensors: `fn` gets a tuple of their slices, which `zip` makes
            # (`strict=True`: TF, too, refuses tensors of different lengths).
            comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            elems = cst.Call(
                cst.Name("zip"),
                [cst.Arg(e.value, comma=comma) for e in elems.elements] + [kwarg("strict", cst.Name("True"))],
            )
        elif isinstance(elems, (cst.Tuple, cst.List, cst.Dict)):
            raise CannotMigrate("`elems` is a nested structure other than a tuple of tensors: map `fn` over its slices by hand")
        for name in ("dtype", "fn_output_signature"):
            if name in bound and not _is_none(bound[name].value) and not _is_dtype(bound[name].value):
                raise CannotMigrate(f"`{name}={ctx.source(bound[name].value)}` is not a plain dtype (a nested or ragged output)")
        detach = False
        if "back_prop" in bound:
            flag = bound["back_prop"].value
            if not (isinstance(flag, cst.Name) and flag.value in ("True", "False")):
                raise CannotMigrate(f"`back_prop={ctx.source(flag)}` is not a literal: gradients flow or not")
            detach = flag.value == "False"
        if (
            isinstance(fn, cst.Lambda)
            and len(fn.params.params) == 1
            and fn.params.params[0].default is None
            and not fn.params.posonly_params
            and not fn.params.kwonly_params
            and isinstance(fn.params.star_arg, cst.MaybeSentinel)
            and fn.params.star_kwarg is None
        ):
            target: cst.BaseExpression = fn.params.params[0].name
            element = fn.body
        else:
            used = set(re.findall(r"\w+", ctx.source(fn)))
            name = "elem"
            while name in used:
                name += "_"
            target = cst.Name(name)
            element = (
                cst.Call(_parens(fn), [cst.Arg(cst.Name(name))])
                if isinstance(fn, cst.Lambda)
                else ctx.call(fn, [cst.Arg(cst.Name(name))])
            )
        comp = cst.ListComp(element, cst.CompFor(target=target, iter=elems))
        stacked = build_call(call, ctx.name("torch.stack"), [NewArg(comp)])
        return cst.Call(cst.Attribute(stacked, cst.Name("detach"))) if detach else stacked


# ---------------------------------------------------------------------------------------
# tf.print


def _stream(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "sys" and node.attr.value in ("stdout", "stderr")


class Print(Rule):
    id = "ops.print"
    names = ("tf.print",)
    summary = "`tf.print(*values)` → `print(*values, file=sys.stderr)`."
    why = (
        "`tf.print` writes to standard error by default, so the rewrite says `file=sys.stderr` "
        "(an explicit `output_stream=sys.stdout` becomes `file=sys.stdout`; a logging function "
        "or a file URL stays a TODO). `sep` and `end` are the same. The text differs: TF "
        "prints a tensor's values (`[1 2 3]`), torch its repr (`tensor([1, 2, 3])`), and "
        "`summarize` (elements shown per dimension) is dropped for torch's own threshold "
        "(`torch.set_printoptions`)."
    )
    example = 'tf.print("loss:", loss)\ntf.print(x, output_stream=sys.stdout, summarize=-1)'
    checks = (
        Check("tf.print(x)", {"x": "f32[3]"}),
        Check('tf.print("value", x, sep=": ", end="!\\n")', {"x": "i32[2]"}),
        Check("import sys\nresult = tf.print(x, output_stream=sys.stdout, summarize=-1)", {"x": "f32[2,0]"}),
        Check("tf.print(x, output_stream=log_fn)", {"x": "f32[2]", "log_fn": None}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        args: list[NewArg] = []
        stream: cst.BaseExpression | None = None
        for arg in call.args:
            key = arg.keyword.value if arg.keyword else None
            if arg.star == "**":
                raise CannotMigrate("`**options` hides which options are set")
            if key is None:
                args.append(NewArg(arg.value, None, arg) if not arg.star else NewArg(arg.value, None, arg))
            elif key in ("sep", "end"):
                args.append(NewArg(arg.value, key, arg))
            elif key == "output_stream":
                if not _stream(arg.value):
                    raise CannotMigrate(f"`output_stream={ctx.source(arg.value)}` is not `sys.stdout`/`sys.stderr`")
                stream = ctx.name(f"sys.{arg.value.attr.value}")  # type: ignore[attr-defined]
            elif key in ("summarize", "name"):
                continue
            else:
                raise CannotMigrate(f"argument `{key}=` has no `print` equivalent")
        args.append(NewArg(stream or ctx.name("sys.stderr"), "file"))
        return build_call(call, cst.Name("print"), args)


# ---------------------------------------------------------------------------------------


class EnsureShape(Rule):
    id = "ops.ensure_shape"
    names = ("tf.ensure_shape",)
    summary = "`tf.ensure_shape(x, shape)` → `x`."
    why = (
        "`tf.ensure_shape` returns its input unchanged; it raises when the shape is not "
        "compatible with `shape` and, in a graph, fixes the static shape for later ops. torch "
        "shapes are always known, so the value is `x`. The check itself is dropped: where it "
        "guards user input, write `assert tuple(x.shape) == ...` (with `None` dimensions "
        "left out) by hand."
    )
    example = "x = tf.ensure_shape(x, [None, 224, 224, 3])"
    checks = (
        Check("tf.ensure_shape(x, [None, 3])", {"x": "f32[2,3]"}),
        Check("tf.ensure_shape(x, (2, 0))", {"x": "i32[2,0]"}),
        Check("tf.ensure_shape(a + b, shape=[4], name='s') * 2", {"a": "f32[4]", "b": "f32[4]"}),
        Check("tf.ensure_shape(x, [x.shape[0], None, 2 * n])", {"x": "f32[2,3,4]", "n": 2}),
        Check("tf.ensure_shape(x, make_shape())", {"x": "f32[2]", "make_shape": None}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(self, "x, shape, name=None", call, ctx)
        shape = bound["shape"].value
        if not _pure(shape):
            raise CannotMigrate(
                f"`{ctx.source(shape)}` is evaluated by TF and may have effects: keep it as a statement "
                "of its own if so; the result is the tensor itself"
            )
        return _parens(bound["x"].value) if not isinstance(bound["x"].value, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) else bound["x"].value


class Assert(Rule):
    id = "ops.Assert"
    names = ("tf.Assert", "tf.debugging.Assert")
    summary = "`tf.Assert(cond, data)` → `torch._assert(cond, data)`."
    why = (
        "In eager TF, `tf.Assert` raises when the scalar `cond` is false, showing `data`, and "
        "returns None. `torch._assert` is torch's assert that `torch.compile` and `torch.fx` "
        "can trace (a plain `assert` statement is fine in eager code too); it raises "
        "`AssertionError` where TF raises `InvalidArgumentError`, with `data` as the message. "
        "`summarize` (how many entries of `data` are shown) is dropped."
    )
    example = "tf.Assert(tf.reduce_all(x >= 0), [x])"
    checks = (
        Check("tf.Assert(tf.reduce_all(x > -100.0), [x])", {"x": "f32[3]"}),
        Check("tf.Assert(x > 0, ['x must be positive', x], summarize=3)", {"x": "i32[]:1..5"}),
        Check(
            "try:\n    tf.Assert(tf.reduce_any(x > 100.0), [x])\n    result = 'held'\n"
            "except Exception:\n    result = 'raised'",
            {"x": "f32[2,2]"},
        ),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(self, "condition, data, summarize=None, name=None", call, ctx)
        c, d = bound["condition"], bound["data"]
        return build_call(call, ctx.name("torch._assert"), [NewArg(c.value, None, c), NewArg(d.value, None, d)])


def _operand(node: cst.BaseExpression) -> cst.BaseExpression:
    atomic = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float, cst.SimpleString, cst.List, cst.Tuple)
    return node if isinstance(node, atomic) or node.lpar else _parens(node)


class AssertEqual(Rule):
    id = "ops.assert_equal"
    names = ("tf.debugging.assert_equal", "tf.assert_equal")
    summary = "`tf.debugging.assert_equal(x, y)` → `torch._assert(torch.all(x == y), message)`."
    why = (
        "TF raises unless every element of `x == y` (broadcast) holds, and returns None. "
        "`torch.all(x == y)` is that condition and `torch._assert` the traceable assert; it "
        "raises `AssertionError` where TF raises `InvalidArgumentError`. Without a `message` "
        "the rewrite states the comparison. `summarize` is dropped."
    )
    example = 'tf.debugging.assert_equal(tf.shape(a)[0], tf.shape(b)[0], message="batch sizes differ")'
    checks = (
        Check("tf.debugging.assert_equal(x, x)", {"x": "f32[2,3]"}),
        Check("tf.assert_equal(x, 3, message='all three')", {"x": "i32[4]:3..4"}),
        Check("tf.debugging.assert_equal(a + 0, b, summarize=2)", {"a": "i64[2,0]", "b": "i64[0]"}),
        Check(
            "try:\n    tf.debugging.assert_equal(x, x + 1)\n    result = 'held'\n"
            "except Exception:\n    result = 'raised'",
            {"x": "f32[3]"},
        ),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(self, "x, y, message=None, summarize=None, name=None", call, ctx)
        x, y = bound["x"], bound["y"]
        condition = cst.Call(ctx.name("torch.all"), [cst.Arg(cst.Comparison(_operand(x.value), [cst.ComparisonTarget(cst.Equal(), _operand(y.value))]))])
        message = bound.get("message")
        if message is not None and not _is_none(message.value):
            text = NewArg(message.value, None, message)
        else:
            text = NewArg(cst.SimpleString(repr(f"assert_equal({ctx.source(x.value)}, {ctx.source(y.value)}) failed")))
        return build_call(call, ctx.name("torch._assert"), [NewArg(condition, None, x), text])


class GetLogger(Rule):
    id = "ops.get_logger"
    names = ("tf.get_logger",)
    summary = "`tf.get_logger()` → `logging.getLogger(\"tensorflow\")`."
    why = (
        "TF's logger is the standard `logging` logger named \"tensorflow\"; asking `logging` "
        "for it by name gives the same object (its handlers and level as the program sets "
        "them). Consider a logger of the program's own name once TF is gone."
    )
    example = "tf.get_logger().setLevel(\"ERROR\")"
    checks = (Check("tf.get_logger().name"), Check("tf.get_logger().name == 'tensorflow'"))

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if call.args:
            raise CannotMigrate("`tf.get_logger` takes no arguments")
        return call.with_changes(func=ctx.name("logging.getLogger"), args=[cst.Arg(cst.SimpleString('"tensorflow"'))])


RULES = [
    Assert(),
    AssertEqual(),
    GetLogger(),
    NullContext(
        id="ops.name_scope",
        names=("tf.name_scope",),
        signature="name, default_name=None, values=None, skip_on_eager=True",
        summary="`with tf.name_scope(name):` → `with contextlib.nullcontext():`.",
        why=(
            "A name scope only prefixes the names of graph ops and variables; torch ops have "
            "no names, so the scope does nothing (`contextlib.nullcontext()`, which keeps the "
            "block's indentation and structure). A `with tf.name_scope(n) as scope:` target is "
            "TF's prefix string (`'n/'`) and becomes `None`. For a label in profiler traces, "
            "`torch.profiler.record_function(name)` is the torch tool."
        ),
        example='with tf.name_scope("encoder"):\n    h = layer(x)',
        checks=[
            Check('with tf.name_scope("block"):\n    result = x * 2', {"x": "f32[2,3]"}),
            Check("prefix = 'outer'\nwith tf.name_scope(name=prefix + '/inner'):\n    result = x - 1", {"x": "i32[0]"}),
            Check('with tf.name_scope("a"), tf.name_scope("b"):\n    result = x', {"x": "f32[]"}),
        ],
    ),
    NullContext(
        id="ops.control_dependencies",
        names=("tf.control_dependencies",),
        signature="control_inputs",
        keep="control_inputs",
        summary="`with tf.control_dependencies(ops):` → `with contextlib.nullcontext(ops):`.",
        why=(
            "Control dependencies order graph ops; eager code (TF 2 outside `tf.function`, and "
            "torch) already runs in program order, and TF's eager implementation does nothing. "
            "The `control_inputs` expression is still evaluated in TF (an assert or an update "
            "in it runs), so a non-trivial one is kept as the argument of "
            "`contextlib.nullcontext(...)`; names are dropped."
        ),
        example="with tf.control_dependencies([update_op]):\n    y = x * 2\nwith tf.control_dependencies([check(x)]):\n    y = x + 1",
        checks=[
            Check("with tf.control_dependencies([x]):\n    result = x * 2", {"x": "f32[3]"}),
            Check("with tf.control_dependencies(None):\n    result = x + 1", {"x": "i64[2,0]"}),
            Check(
                "seen = []\nwith tf.control_dependencies(seen.append(1) or [x]):\n    result = (x * 3, len(seen))",
                {"x": "f32[2]"},
            ),
        ],
    ),
    NullContext(
        id="ops.init_scope",
        names=("tf.init_scope",),
        signature="",
        summary="`with tf.init_scope():` → `with contextlib.nullcontext():`.",
        why=(
            "`init_scope` lifts ops out of a `tf.function` graph into the eager context; in "
            "eager code it does nothing, and torch is always eager."
        ),
        example="with tf.init_scope():\n    self.table = build_table()",
        checks=[Check("with tf.init_scope():\n    result = x * 2", {"x": "f32[2]"})],
    ),
    Constant(
        id="ops.executing_eagerly",
        names=("tf.executing_eagerly",),
        value="True",
        summary="`tf.executing_eagerly()` → `True`.",
        why=(
            "torch always executes eagerly. Inside `tf.function` TF says False so code can take "
            "a graph-safe path; under `torch.compile` the eager path is the one compiled, so "
            "`True` keeps the branch torch can run (`torch.compiler.is_compiling()` tells "
            "whether Dynamo is tracing, if that matters)."
        ),
        example="if tf.executing_eagerly():\n    print(x.numpy())",
        checks=[Check("tf.executing_eagerly()"), Check("1 if tf.executing_eagerly() else 2")],
    ),
    Constant(
        id="ops.inside_function",
        names=("tf.inside_function",),
        value="False",
        summary="`tf.inside_function()` → `False`.",
        why="The counterpart of `tf.executing_eagerly()`: torch code is never inside a TF graph.",
        example="if not tf.inside_function():\n    log(x)",
        checks=[Check("tf.inside_function()"), Check("2 if tf.inside_function() else 3")],
    ),
    Constant(
        id="ops.no_op",
        names=("tf.no_op",),
        value="None",
        signature="name=None",
        summary="`tf.no_op()` → `None`.",
        why="In eager TF, `tf.no_op()` does nothing and returns None.",
        example="train_op = tf.no_op()",
        checks=[Check("tf.no_op()"), Check("tf.no_op(name='noop')")],
    ),
    Constant(
        id="ops.group",
        names=("tf.group",),
        value="None",
        pure_args=True,
        summary="`tf.group(a, b)` → `None`.",
        why=(
            "In eager TF, `tf.group` returns None: its inputs have already run when they were "
            "evaluated as arguments. Arguments that are names are dropped with the call; any "
            "other argument (`v.assign(x)`, a comprehension of updates) has an effect and stays "
            "a TODO: keep it as its own statement."
        ),
        example="train_op = tf.group(*update_ops)\nstep = tf.group(v.assign(0), w.assign(1))",
        checks=[
            Check("tf.group(x, y)", {"x": "f32[2]", "y": "f32[3]"}),
            Check("tf.group(*updates, name='g')", {"updates": []}),
            Check("tf.group(tf.add(x, 1))", {"x": "f32[2]"}, todo=True),
        ],
    ),
    Print(),
    Cond(),
    MapFn(),
    EnsureShape(),
]
