"""``keras.backend`` (``K.*``): Keras's configuration and the Keras 2 backend functions.

The Keras 2 functions (``K.int_shape``, ``K.dot``, ``K.mean`` …) live on in
``tf.keras.backend``; their checks call them there. Functions that read the user's Keras
configuration at run time (``image_data_format``) are not rewritten to a constant.
"""

from __future__ import annotations

import libcst as cst

from migrate.rules.base import CannotMigrate, Check, to_node
from migrate.rules.convert import axis as axis_convert
from migrate.rules.convert import dtype as dtype_convert
from migrate.rules.tf_nn import _FLOAT_DTYPES, Args, Composite, call, dtype_name, is_simple, method, paren

KB = "tf.keras.backend"  # the Keras 2 functions, as the checks reach them


def _name(value: str) -> cst.Name:
    return cst.Name(value)


def _reduction(name: str, torch: str, *, needs_keepdim_dim: bool) -> Composite:
    def build(a: Args) -> cst.BaseExpression:
        kwargs: dict[str, object] = {}
        if "axis" in a and not a.is_default("axis"):
            kwargs["dim"] = axis_convert(a["axis"], a.ctx)
        if not a.is_default("keepdims"):
            if "dim" not in kwargs and needs_keepdim_dim:
                kwargs["dim"] = to_node(None)
            if "dim" not in kwargs:
                raise CannotMigrate(f"`{torch}` takes `keepdim` only with `dim`")
            kwargs["keepdim"] = a["keepdims"]
        return call(a.name(torch), a["x"], **kwargs)

    return Composite(
        id=f"backend.{name}",
        tf=f"keras.backend.{name}",
        signature="x, axis=None, keepdims=False",
        handles=("x", "axis", "keepdims"),
        build=build,
        summary=f"`K.{name}` → `{torch}`.",
        why=(
            f"The Keras 2 reduction, TF's `reduce_{name}`: same result with `axis`→`dim`, "
            "`keepdims`→`keepdim`; a list of axes becomes a tuple."
            + (" Keras casts a bool input to float first; torch's mean refuses bool and integers." if name == "mean" else "")
            + (
                " Over an empty axis TF gives -inf/inf where torch raises."
                if name in ("max", "min")
                else ""
            )
        ),
        example=f"m = K.{name}(x, axis=-1, keepdims=True)",
        checks=[
            Check(f"{KB}.{name}(x)", {"x": "f32[3,4]"}, atol=1e-5),
            Check(f"{KB}.{name}(x, axis=-1, keepdims=True)", {"x": "f64[2,3,4]"}),
            Check(f"{KB}.{name}(x, axis=[0, 2])", {"x": "f32[2,3,4]"}, atol=1e-5),
            Check(f"{KB}.{name}(x, 1)", {"x": "f32[0,3]"} if name in ("max", "min") else {"x": "f32[3,0]"}),
        ],
    )


def _floatx(a: Args) -> cst.BaseExpression:
    return call(a.name("torch.get_default_dtype"))


def _epsilon(a: Args) -> cst.BaseExpression:
    return cst.Float("1e-07")


def _int_shape(a: Args) -> cst.BaseExpression:
    return call(_name("tuple"), cst.Attribute(_atom(a["x"]), cst.Name("shape")))


def _atom(value: cst.BaseExpression) -> cst.BaseExpression:
    return paren(value)


def _ndim(a: Args) -> cst.BaseExpression:
    return method(a["x"], "dim")


def _shape(a: Args) -> cst.BaseExpression:
    return cst.Attribute(_atom(a["x"]), cst.Name("shape"))


def _name_scope(a: Args) -> cst.BaseExpression:
    return call(a.name("contextlib.nullcontext"))


def _numpy(value: cst.BaseExpression) -> cst.BaseExpression:
    return method(method(method(value, "detach"), "cpu"), "numpy")


def _get_value(a: Args) -> cst.BaseExpression:
    return _numpy(a["x"])


def _batch_get_value(a: Args) -> cst.BaseExpression:
    element = _numpy(cst.Name("value"))
    return cst.ListComp(element, cst.CompFor(target=cst.Name("value"), iter=a["tensors"]))


def _set_value(a: Args) -> cst.BaseExpression:
    x = a.simple("x", "(its dtype is read for the new value)")
    value = call(a.name("torch.as_tensor"), a["value"], dtype=cst.Attribute(x, cst.Name("dtype")))
    return method(cst.Attribute(x, cst.Name("data")), "copy_", value)


def _variable(a: Args) -> cst.BaseExpression:
    if "dtype" in a and not a.is_default("dtype"):
        dname = dtype_name(a["dtype"])
        if dname not in _FLOAT_DTYPES:
            raise CannotMigrate("a variable of a dtype that is not a float (or cannot be read) cannot be a trainable torch Parameter")
        dtype = dtype_convert(a["dtype"], a.ctx)
    else:
        dtype = a.name("torch.float32")
    if not a.is_default("constraint"):
        raise CannotMigrate("a `constraint` is applied by Keras's optimizer after each step; apply it after `optimizer.step()`")
    return call(a.name("torch.nn.Parameter"), call(a.name("torch.tensor"), a["value"], dtype=dtype))


def _dot(a: Args) -> cst.BaseExpression:
    return call(a.name("torch.tensordot"), a["x"], a["y"], dims=cst.parse_expression("([-1], [-2])"))


def _cast(a: Args) -> cst.BaseExpression:
    return method(a["x"], "to", dtype_convert(a["dtype"], a.ctx))


def _bias_add(a: Args) -> cst.BaseExpression:
    fmt = a.lit("data_format", "it says which axis the bias runs along")
    if fmt is None:
        raise CannotMigrate(
            "without `data_format` Keras reads `image_data_format()` from its config at run "
            "time; write data_format=\"channels_last\" (bias on the last axis) if that is the layout"
        )
    if fmt != "channels_last":
        raise CannotMigrate(f"data_format={fmt!r}: the bias runs along axis 1; reshape it to broadcast there")
    return call(a.name("torch.add"), a["x"], a["bias"])


def _concatenate(a: Args) -> cst.BaseExpression:
    return call(a.name("torch.cat"), a["tensors"], dim=a["axis"])


def _reshape(a: Args) -> cst.BaseExpression:
    return call(a.name("torch.reshape"), a["x"], axis_convert(a["shape"], a.ctx))


def _sqrt(a: Args) -> cst.BaseExpression:
    return call(a.name("torch.sqrt"), call(a.name("torch.clamp"), a["x"], min=0))


def _zeros_like(torch: str):  # noqa: ANN202
    def build(a: Args) -> cst.BaseExpression:
        if "dtype" in a and not a.is_default("dtype"):
            return call(a.name(torch), a["x"], dtype=dtype_convert(a["dtype"], a.ctx))
        return call(a.name(torch), a["x"])

    return build


def _filled(torch: str):  # noqa: ANN202
    def build(a: Args) -> cst.BaseExpression:
        if "dtype" in a and not a.is_default("dtype"):
            dtype = dtype_convert(a["dtype"], a.ctx)
        else:
            dtype = a.name("torch.float32")
        return call(a.name(torch), axis_convert(a["shape"], a.ctx), dtype=dtype)

    return build


def _constant(a: Args) -> cst.BaseExpression:
    if not a.is_default("shape"):
        raise CannotMigrate("`shape=` fills or checks the value's shape; build it with `torch.full`")
    if "dtype" in a and not a.is_default("dtype"):
        dtype = dtype_convert(a["dtype"], a.ctx)
    else:
        dtype = a.name("torch.float32")
    return call(a.name("torch.tensor"), a["value"], dtype=dtype)


def _is_sparse(a: Args) -> cst.BaseExpression:
    return cst.Attribute(_atom(a["tensor"]), cst.Name("is_sparse"))


def _clip(a: Args) -> cst.BaseExpression:
    from migrate.rules.tf_random import _number

    low, high = a["min_value"], a["max_value"]
    lo, hi = _number(low), _number(high)
    if _is_none(low) or _is_none(high) or (lo is not None and hi is not None):
        if lo is not None and hi is not None and hi < lo:
            high = low  # Keras raises max_value to min_value
        return call(a.name("torch.clamp"), a["x"], low, high)
    a.simple("min_value", "(Keras raises `max_value` to it when it is larger)")
    return call(a.name("torch.clamp"), a["x"], low, call(_name("max"), low, high))


def _is_none(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value == "None"


def _stack(a: Args) -> cst.BaseExpression:
    if a.is_default("axis"):
        return call(a.name("torch.stack"), a["x"])
    return call(a.name("torch.stack"), a["x"], dim=a["axis"])


def _softmax(a: Args) -> cst.BaseExpression:
    return call(a.name("torch.softmax"), a["x"], dim=a["axis"])


def _argmax(a: Args) -> cst.BaseExpression:
    return call(a.name("torch.argmax"), a["x"], dim=a["axis"])


def _reverse(a: Args) -> cst.BaseExpression:
    axes = a["axes"]
    if isinstance(axes, (cst.Integer, cst.UnaryOperation)):
        axes = cst.Tuple([cst.Element(axes, comma=cst.Comma())])
    return call(a.name("torch.flip"), a["x"], dims=axis_convert(axes, a.ctx))


def _maximum(torch: str, clamp: str):  # noqa: ANN202
    def build(a: Args) -> cst.BaseExpression:
        x, y = a["x"], a["y"]
        from migrate.rules.tf_random import _number

        if _number(y) is not None:
            return call(a.name("torch.clamp"), x, **{clamp: y})
        if _number(x) is not None:
            raise CannotMigrate("a number as the first operand")
        return call(a.name(torch), x, y)

    return build


def _dtype_of(a: Args) -> cst.BaseExpression:
    text = call(cst.Name("str"), cst.Attribute(paren(a["x"]), cst.Name("dtype")))
    return method(text, "removeprefix", "torch.")


def _is_keras_tensor(a: Args) -> cst.BaseExpression:
    if not is_simple(a["x"]):
        raise CannotMigrate(
            f"`{a.ctx.source(a['x'])}` would no longer be evaluated (the answer is `False` for "
            "every torch tensor); assign it to a name first"
        )
    return cst.Name("False")


def _batch_set_value(a: Args) -> cst.BaseExpression:
    x, value = cst.Name("variable"), cst.Name("value")
    new = call(a.name("torch.as_tensor"), value, dtype=cst.Attribute(x, cst.Name("dtype")))
    element = method(cst.Attribute(x, cst.Name("data")), "copy_", new)
    target = cst.Tuple([cst.Element(x, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), cst.Element(value)], lpar=[], rpar=[])
    return cst.ListComp(element, cst.CompFor(target=target, iter=a["tuples"]))


def _cast_to_floatx(a: Args) -> cst.BaseExpression:
    return call(a.name("torch.as_tensor"), a["x"], dtype=call(a.name("torch.get_default_dtype")))


def _count_params(a: Args) -> cst.BaseExpression:
    return method(a["x"], "numel")


def _k_relu(a: Args) -> cst.BaseExpression:
    slope = a.lit("alpha", "it picks the torch function")
    max_value = a.lit("max_value", "it picks the torch function")
    if a.lit("threshold", "it picks the torch function") != 0:
        raise CannotMigrate("a `threshold` other than 0 has no torch activation")
    if slope == 0 and max_value is None:
        return call(a.name("torch.relu"), a["x"])
    if slope == 0 and max_value == 6:
        return call(a.name("torch.nn.functional.relu6"), a["x"])
    if slope == 0:
        return call(a.name("torch.clamp"), a["x"], min=0.0, max=max_value)
    if max_value is None:
        return call(a.name("torch.nn.functional.leaky_relu"), a["x"], negative_slope=slope)
    raise CannotMigrate("`alpha` together with `max_value` has no torch activation")


def _k_elu(a: Args) -> cst.BaseExpression:
    if a.is_default("alpha"):
        return call(a.name("torch.nn.functional.elu"), a["x"])
    return call(a.name("torch.nn.functional.elu"), a["x"], alpha=a["alpha"])


RULES = [
    Composite(
        id="backend.floatx",
        tf="keras.backend.floatx",
        signature="",
        handles=(),
        build=_floatx,
        summary="`K.floatx()` → `torch.get_default_dtype()`.",
        why=(
            "`floatx()` is Keras's configured default float type (float32 unless "
            "`set_floatx` changed it); its torch counterpart is the configured default "
            "dtype, `torch.get_default_dtype()` (float32 unless `torch.set_default_dtype` "
            "changed it). It is used almost always as a dtype argument, where the torch "
            "dtype object is what torch wants. Code that compares it with a string "
            "(`K.floatx() == \"float16\"`) must compare with `torch.float16` instead."
        ),
        example="x = tf.cast(x, K.floatx())",
        checks=[
            Check("K.floatx()"),
            Check("tf.cast(x, K.floatx())", {"x": "i32[3]"}),
            Check("tf.keras.backend.floatx()"),
        ],
    ),
    Composite(
        id="backend.epsilon",
        tf="keras.backend.epsilon",
        signature="",
        handles=(),
        build=_epsilon,
        summary="`K.epsilon()` → `1e-07`.",
        why=(
            "Keras's fuzz factor, 1e-7 unless the program calls `K.set_epsilon`; PyTorch "
            "has no such setting, so the value is written. A program that changes it with "
            "`set_epsilon` needs its own constant (`set_epsilon` is not rewritten)."
        ),
        example="y = x / (norm + K.epsilon())",
        checks=[Check("K.epsilon()"), Check("x / (tf.abs(x) + K.epsilon())", {"x": "f32[4]"})],
    ),
    Composite(
        id="backend.int_shape",
        tf="keras.backend.int_shape",
        signature="x",
        handles=("x",),
        build=_int_shape,
        summary="`K.int_shape(x)` → `tuple(x.shape)`.",
        why=(
            "A tuple of Python ints. Keras writes None for a dimension unknown while a "
            "graph is traced; an eager torch tensor always knows its shape."
        ),
        example="batch, height, width, channels = K.int_shape(x)",
        checks=[
            Check(f"{KB}.int_shape(x)", {"x": "f32[2,3,4]"}),
            Check(f"{KB}.int_shape(x)", {"x": "i32[0]"}),
            Check(f"{KB}.int_shape(x)[-1]", {"x": "f32[2,5]"}),
            Check(f"{KB}.int_shape(x)", {"x": "f32[]"}),
        ],
    ),
    Composite(
        id="backend.ndim",
        tf="keras.backend.ndim",
        signature="x",
        handles=("x",),
        build=_ndim,
        summary="`K.ndim(x)` → `x.dim()`.",
        why="The rank as a Python int in both.",
        example="if K.ndim(x) == 4:\n    x = tf.reduce_mean(x, axis=[1, 2])",
        checks=[Check(f"{KB}.ndim(x)", {"x": "f32[2,3,4]"}), Check(f"{KB}.ndim(x)", {"x": "f32[]"})],
    ),
    Composite(
        id="backend.shape",
        tf="keras.backend.shape",
        signature="x",
        handles=("x",),
        build=_shape,
        summary="`K.shape(x)` → `x.shape`.",
        why=(
            "Keras returns the dynamic shape as an int32 tensor (`tf.shape`), needed while "
            "a graph is traced; an eager torch tensor's `x.shape` is a `torch.Size` of "
            "Python ints, the idiomatic form. The values agree; the checks compare them "
            "without the dtype, which a Size does not have."
        ),
        example="batch = K.shape(x)[0]",
        checks=[
            Check(f"{KB}.shape(x)", {"x": "f32[2,3,4]"}, dtype=False),
            Check(f"{KB}.shape(x)[0]", {"x": "f32[5,3]"}, dtype=False),
        ],
    ),
    Composite(
        id="backend.name_scope",
        tf="keras.backend.name_scope",
        signature="name",
        handles=("name",),
        build=_name_scope,
        summary="`with K.name_scope(\"block\"):` → `with contextlib.nullcontext():`.",
        why=(
            "A name scope prefixes the names of the graph ops and variables made inside it. "
            "PyTorch names parameters by module attribute, not by scope, so the scope has "
            "nothing to do; the `with` block stays, so the code's structure does too. "
            "Checkpoint names that relied on the scope are the weight mapper's business."
        ),
        example='with K.name_scope("decoder"):\n    y = layer(x)',
        checks=[Check('with tf.keras.backend.name_scope("block"):\n    result = x + 1', {"x": "f32[3]"})],
    ),
    Composite(
        id="backend.get_value",
        tf=["keras.backend.get_value", "keras.backend.eval"],
        signature="x",
        handles=("x",),
        build=_get_value,
        summary="`K.get_value(x)` → `x.detach().cpu().numpy()`.",
        why=(
            "Both give the value as a NumPy array: torch needs the tensor detached from "
            "autograd and on the CPU first. `K.eval` is the same function for a tensor."
        ),
        example="lr = K.get_value(optimizer.lr)",
        checks=[
            Check(f"{KB}.get_value(x)", {"x": "f32[2,3]"}),
            Check(f"{KB}.get_value(x)", {"x": "i64[4]"}),
            Check(f"{KB}.eval(x)", {"x": "f64[0]"}),
        ],
    ),
    Composite(
        id="backend.batch_get_value",
        tf="keras.backend.batch_get_value",
        signature="tensors",
        handles=("tensors",),
        build=_batch_get_value,
        summary="`K.batch_get_value(ts)` → `[value.detach().cpu().numpy() for value in ts]`.",
        why="A list of NumPy arrays, one per tensor, as `K.get_value` for each.",
        example="values = K.batch_get_value(model.weights)",
        checks=[Check(f"{KB}.batch_get_value([x, y])", {"x": "f32[2,3]", "y": "i32[4]"})],
    ),
    Composite(
        id="backend.set_value",
        tf="keras.backend.set_value",
        signature="x, value",
        handles=("x", "value"),
        build=_set_value,
        summary="`K.set_value(v, value)` → `v.data.copy_(torch.as_tensor(value, dtype=v.dtype))`.",
        why=(
            "Keras assigns a NumPy value to a variable in place, outside of autograd; "
            "`.data.copy_` does the same for a torch tensor or Parameter, converting the "
            "value to the variable's dtype. `x` is written twice, so it must be a name."
        ),
        example="K.set_value(self.step, 0)",
        checks=[
            Check(f"v = {KB}.variable(a)\n{KB}.set_value(v, b)\nresult = {KB}.get_value(v)", {"a": "f32[3]", "b": [0.0, 1.0, 2.5]}),
        ],
    ),
    Composite(
        id="backend.variable",
        tf="keras.backend.variable",
        signature="value, dtype=None, name=None, constraint=None",
        handles=("value", "dtype", "constraint"),
        build=_variable,
        summary="`K.variable(value)` → `torch.nn.Parameter(torch.tensor(value, dtype=torch.float32))`.",
        why=(
            "A trainable variable holding a copy of the value, of Keras's float type "
            "(float32 unless `floatx` was changed) unless `dtype` says otherwise: a "
            "`Parameter` of a copied tensor, with the dtype written (torch would keep an "
            "integer or float64 value's dtype). Integer variables cannot be trainable "
            "Parameters, and a `constraint` runs after each optimizer step: both TODO."
        ),
        example="self.alpha = K.variable(0.5)",
        checks=[
            Check(f"{KB}.variable(x) + 0", {"x": "f32[2,3]"}),
            Check(f"{KB}.variable(0.5) * 1"),
            Check(f"{KB}.variable(x, dtype='float64') * 1", {"x": "f64[2]"}),
            Check(f"{KB}.variable(x, dtype='int32')", {"x": "i32[2]"}, todo=True),
        ],
    ),
    Composite(
        id="backend.dot",
        tf="keras.backend.dot",
        signature="x, y",
        handles=("x", "y"),
        build=_dot,
        summary="`K.dot(x, y)` → `torch.tensordot(x, y, dims=([-1], [-2]))`.",
        why=(
            "Keras's `dot` contracts the last axis of `x` with the second-to-last of `y` "
            "(a matrix product for 2-D operands; for higher ranks every other axis is "
            "kept, unlike `torch.matmul`'s batching): that is `torch.tensordot` over those "
            "two axes, right for every rank."
        ),
        example="scores = K.dot(h, w)",
        checks=[
            Check(f"{KB}.dot(x, y)", {"x": "f32[3,4]", "y": "f32[4,5]"}, atol=1e-5),
            Check(f"{KB}.dot(x, y)", {"x": "f64[2,3,4]", "y": "f64[4,5]"}),
            Check(f"{KB}.dot(x, y)", {"x": "f32[2,3]", "y": "f32[4,3,5]"}, atol=1e-5),
            Check(f"{KB}.dot(x, y)", {"x": "f32[0,3]", "y": "f32[3,2]"}),
        ],
    ),
    _reduction("mean", "torch.mean", needs_keepdim_dim=True),
    _reduction("sum", "torch.sum", needs_keepdim_dim=True),
    _reduction("max", "torch.amax", needs_keepdim_dim=False),
    Composite(
        id="backend.cast",
        tf="keras.backend.cast",
        signature="x, dtype",
        handles=("x", "dtype"),
        build=_cast,
        summary="`K.cast(x, dtype)` → `x.to(dtype)`.",
        why="As `tf.cast`: float to int truncates towards zero in both; dtype names become torch dtypes.",
        example='mask = K.cast(mask, "float32")',
        checks=[Check(f"{KB}.cast(x, 'int32')", {"x": "f32[5]"}), Check(f"{KB}.cast(x, tf.float64)", {"x": "i32[0,2]"})],
    ),
    Composite(
        id="backend.bias_add",
        tf="keras.backend.bias_add",
        signature="x, bias, data_format=None",
        handles=("x", "bias", "data_format"),
        build=_bias_add,
        summary="`K.bias_add(x, b, data_format=\"channels_last\")` → `torch.add(x, b)`.",
        why=(
            "With channels last, a 1-D bias runs along the last axis: plain broadcasting. "
            "Without `data_format` Keras reads `image_data_format()` from its configuration "
            "at run time, which a rewrite cannot know: a TODO, as is channels first."
        ),
        example='y = K.bias_add(x, b, data_format="channels_last")',
        checks=[
            Check(f"{KB}.bias_add(x, b, data_format='channels_last')", {"x": "f32[2,4,3]", "b": "f32[3]"}),
            Check(f"{KB}.bias_add(x, b)", {"x": "f32[2,3]", "b": "f32[3]"}, todo=True),
            Check(f"{KB}.bias_add(x, b, 'channels_first')", {"x": "f32[2,3,4]", "b": "f32[3]"}, todo=True),
        ],
    ),
    Composite(
        id="backend.concatenate",
        tf="keras.backend.concatenate",
        signature="tensors, axis=-1",
        handles=("tensors", "axis"),
        build=_concatenate,
        summary="`K.concatenate(ts)` → `torch.cat(ts, dim=-1)`.",
        why="Keras concatenates on the last axis by default, `torch.cat` on the first: the axis is always written.",
        example="h = K.concatenate([a, b])",
        checks=[
            Check(f"{KB}.concatenate([x, y])", {"x": "f32[2,3]", "y": "f32[2,4]"}),
            Check(f"{KB}.concatenate([x, y], axis=0)", {"x": "i32[1,3]", "y": "i32[0,3]"}),
        ],
    ),
    Composite(
        id="backend.reshape",
        tf="keras.backend.reshape",
        signature="x, shape",
        handles=("x", "shape"),
        build=_reshape,
        summary="`K.reshape(x, shape)` → `torch.reshape(x, shape)`.",
        why="Same operation; `-1` infers a dimension in both. A list literal becomes a tuple.",
        example="y = K.reshape(x, (-1, 10))",
        checks=[Check(f"{KB}.reshape(x, (-1, 4))", {"x": "f32[2,3,4]"}), Check(f"{KB}.reshape(x, [0, 3])", {"x": "f32[0,3]"})],
    ),
    Composite(
        id="backend.sqrt",
        tf="keras.backend.sqrt",
        signature="x",
        handles=("x",),
        build=_sqrt,
        summary="`K.sqrt(x)` → `torch.sqrt(torch.clamp(x, min=0))`.",
        why="Keras 2's `sqrt` clips negative inputs to 0 first (no NaN); the clamp is written.",
        example="std = K.sqrt(var)",
        checks=[Check(f"{KB}.sqrt(x)", {"x": "f32[8]"}), Check(f"{KB}.sqrt(x)", {"x": "f64[2,3]:pos"})],
    ),
    Composite(
        id="backend.zeros",
        tf="keras.backend.zeros",
        signature="shape, dtype=None, name=None",
        handles=("shape", "dtype"),
        build=_filled("torch.zeros"),
        summary="`K.zeros(shape)` → `torch.zeros(shape, dtype=torch.float32)`.",
        why=(
            "Keras's dtype default is `floatx()` (float32), written out. Keras 2 returns a "
            "variable; a torch tensor is just as assignable in place."
        ),
        example="state = K.zeros((batch, units))",
        checks=[Check(f"{KB}.zeros((2, 3)) + 0"), Check(f"{KB}.zeros([4], dtype='int32') + 0"), Check(f"{KB}.zeros((0, 2)) + 0")],
    ),
    Composite(
        id="backend.ones",
        tf="keras.backend.ones",
        signature="shape, dtype=None, name=None",
        handles=("shape", "dtype"),
        build=_filled("torch.ones"),
        summary="`K.ones(shape)` → `torch.ones(shape, dtype=torch.float32)`.",
        why="As `K.zeros`: Keras's float32 default is written.",
        example="mask = K.ones((batch, 1))",
        checks=[Check(f"{KB}.ones((2, 3)) + 0"), Check(f"{KB}.ones([4], dtype='float64') + 0")],
    ),
    Composite(
        id="backend.zeros_like",
        tf="keras.backend.zeros_like",
        signature="x, dtype=None, name=None",
        handles=("x", "dtype"),
        build=_zeros_like("torch.zeros_like"),
        summary="`K.zeros_like(x)` → `torch.zeros_like(x)`.",
        why="Same shape and, without `dtype`, the same dtype as `x`.",
        example="z = K.zeros_like(x)",
        checks=[Check(f"{KB}.zeros_like(x)", {"x": "f32[2,3]"}), Check(f"{KB}.zeros_like(x, dtype='int32')", {"x": "f64[4]"})],
    ),
    Composite(
        id="backend.constant",
        tf="keras.backend.constant",
        signature="value, dtype=None, shape=None, name=None",
        handles=("value", "dtype", "shape"),
        build=_constant,
        summary="`K.constant(v)` → `torch.tensor(v, dtype=torch.float32)`.",
        why="Keras makes a constant of `floatx()` (float32) unless told; torch would keep an int's int64: the dtype is written.",
        example="scale = K.constant(0.5)",
        checks=[Check(f"{KB}.constant(1)"), Check(f"{KB}.constant([1.5, 2.0], dtype='float64')"), Check(f"{KB}.constant(0.0, shape=(2, 2))", todo=True)],
    ),
    Composite(
        id="backend.is_sparse",
        tf="keras.backend.is_sparse",
        signature="tensor",
        handles=("tensor",),
        build=_is_sparse,
        summary="`K.is_sparse(x)` → `x.is_sparse`.",
        why="Whether the tensor uses a sparse (COO) layout, a bool in both.",
        example="if K.is_sparse(x):\n    x = tf.sparse.to_dense(x)",
        checks=[Check(f"{KB}.is_sparse(x)", {"x": "f32[3]"})],
    ),
    Composite(
        id="backend.clip",
        tf="keras.backend.clip",
        signature="x, min_value, max_value",
        handles=("x", "min_value", "max_value"),
        build=_clip,
        summary="`K.clip(x, lo, hi)` → `torch.clamp(x, lo, hi)`.",
        why=(
            "Same clipping for bounds with lo <= hi. Keras raises `max_value` to "
            "`min_value` when it is smaller, where `torch.clamp` gives `max` everywhere: "
            "for number bounds the rewrite writes the raised bound, for other bounds "
            "`max(lo, hi)` (a `None` bound means unbounded in both)."
        ),
        example="p = K.clip(p, K.epsilon(), 1 - K.epsilon())",
        checks=[
            Check(f"{KB}.clip(x, -0.5, 0.5)", {"x": "f32[3,4]"}),
            Check(f"{KB}.clip(x, 0, 1)", {"x": "f64[6]"}),
            Check(f"{KB}.clip(x, 0.5, -0.5)", {"x": "f32[6]"}),
            Check(f"{KB}.clip(x, lo, hi)", {"x": "f32[6]", "lo": 0.5, "hi": -0.5}),
            Check(f"{KB}.clip(x, lo, None)", {"x": "f32[6]", "lo": 0.1}),
        ],
    ),
    Composite(
        id="backend.stack",
        tf="keras.backend.stack",
        signature="x, axis=0",
        handles=("x", "axis"),
        build=_stack,
        summary="`K.stack(ts)` → `torch.stack(ts)`.",
        why="Same operation and default axis 0.",
        example="y = K.stack([a, b], axis=1)",
        checks=[Check(f"{KB}.stack([x, y])", {"x": "f32[2,3]", "y": "f32[2,3]"}), Check(f"{KB}.stack([x, y], axis=-1)", {"x": "i32[2]", "y": "i32[2]"})],
    ),
    Composite(
        id="backend.softmax",
        tf="keras.backend.softmax",
        signature="x, axis=-1",
        handles=("x", "axis"),
        build=_softmax,
        summary="`K.softmax(x)` → `torch.softmax(x, dim=-1)`.",
        why="Keras's default last axis is written; torch has none.",
        example="p = K.softmax(logits)",
        checks=[Check(f"{KB}.softmax(x)", {"x": "f32[2,5]"}), Check(f"{KB}.softmax(x, axis=0)", {"x": "f64[3,2]"})],
    ),
    Composite(
        id="backend.argmax",
        tf="keras.backend.argmax",
        signature="x, axis=-1",
        handles=("x", "axis"),
        build=_argmax,
        summary="`K.argmax(x)` → `torch.argmax(x, dim=-1)`.",
        why="Keras's default is the last axis (not TF's 0, nor torch's flattening): it is written. int64 in both.",
        example="pred = K.argmax(probs)",
        checks=[Check(f"{KB}.argmax(x)", {"x": "f32[3,5]"}), Check(f"{KB}.argmax(x, axis=0)", {"x": "f64[3,5]"})],
    ),
    Composite(
        id="backend.reverse",
        tf="keras.backend.reverse",
        signature="x, axes",
        handles=("x", "axes"),
        build=_reverse,
        summary="`K.reverse(x, axes)` → `torch.flip(x, dims=axes)`.",
        why="Both reverse the given axes; an int axis becomes a one-element tuple, which `dims` needs.",
        example="rev = K.reverse(seq, 1)",
        checks=[Check(f"{KB}.reverse(x, 1)", {"x": "f32[2,4]"}), Check(f"{KB}.reverse(x, [0, -1])", {"x": "i32[2,3,2]"})],
    ),
    Composite(
        id="backend.maximum",
        tf="keras.backend.maximum",
        signature="x, y",
        handles=("x", "y"),
        build=_maximum("torch.maximum", "min"),
        summary="`K.maximum(x, y)` → `torch.maximum(x, y)` (`torch.clamp(x, min=n)` for a number).",
        why="Element-wise maximum with broadcasting; `torch.maximum` needs two tensors, so a number becomes `torch.clamp`.",
        example="y = K.maximum(x, 0.0)",
        checks=[Check(f"{KB}.maximum(x, y)", {"x": "f32[3,4]", "y": "f32[4]"}), Check(f"{KB}.maximum(x, 0.5)", {"x": "f32[5]"})],
    ),
    _reduction("all", "torch.all", needs_keepdim_dim=True),
    _reduction("min", "torch.amin", needs_keepdim_dim=False),
    Composite(
        id="backend.dtype",
        tf="keras.backend.dtype",
        signature="x",
        handles=("x",),
        build=_dtype_of,
        summary="`K.dtype(x)` → `str(x.dtype).removeprefix(\"torch.\")` (the dtype's name).",
        why=(
            "Keras returns the dtype's name as a string (`\"float32\"`); torch's dtype prints as "
            "`torch.float32`, so the prefix is removed and string comparisons keep working. "
            "Where the name is passed back as a dtype, `x.dtype` itself is the torch idiom."
        ),
        example='if K.dtype(x) == "float16":\n    x = tf.cast(x, "float32")',
        checks=[Check(f"{KB}.dtype(x)", {"x": "f32[2]"}), Check(f"{KB}.dtype(x)", {"x": "i64[0]"}), Check(f"{KB}.dtype(x)", {"x": "bf16[3]"})],
    ),
    Composite(
        id="backend.is_keras_tensor",
        tf="keras.backend.is_keras_tensor",
        signature="x",
        handles=("x",),
        build=_is_keras_tensor,
        summary="`K.is_keras_tensor(x)` → `False`.",
        why=(
            "True only for the symbolic tensors of Keras's functional API while a model is "
            "being built. Migrated code runs eagerly on torch tensors, where no such tensor "
            "exists, so the answer is `False` (as Keras gives for every eager tensor). The "
            "argument is dropped, so it must be a name (no side effects lost)."
        ),
        example="symbolic = K.is_keras_tensor(inputs)",
        checks=[Check("K.is_keras_tensor(x)", {"x": "f32[3]"}), Check(f"{KB}.is_keras_tensor(x)", {"x": "i32[2,2]"}), Check("K.is_keras_tensor(x + 1)", {"x": "f32[3]"}, todo=True)],
    ),
    Composite(
        id="backend.batch_set_value",
        tf="keras.backend.batch_set_value",
        signature="tuples",
        handles=("tuples",),
        build=_batch_set_value,
        summary="`K.batch_set_value(pairs)` → `[variable.data.copy_(torch.as_tensor(value, dtype=variable.dtype)) for variable, value in pairs]`.",
        why="`K.set_value` for each (variable, value) pair: an in-place copy outside autograd, converted to the variable's dtype.",
        example="K.batch_set_value(zip(model.weights, saved))",
        checks=[
            Check(f"v = {KB}.variable(a)\nw = {KB}.variable(b)\n{KB}.batch_set_value([(v, [1.0, 2.0]), (w, [3.0])])\nresult = [{KB}.get_value(v), {KB}.get_value(w)]", {"a": "f32[2]", "b": "f32[1]"}),
        ],
    ),
    Composite(
        id="backend.cast_to_floatx",
        tf="keras.backend.cast_to_floatx",
        signature="x",
        handles=("x",),
        build=_cast_to_floatx,
        summary="`K.cast_to_floatx(x)` → `torch.as_tensor(x, dtype=torch.get_default_dtype())`.",
        why=(
            "Keras casts to its configured float type, whose torch counterpart is the default "
            "dtype (see `backend.floatx`). Keras returns a NumPy array for a NumPy or Python "
            "input and a tensor for a tensor; the rewrite returns a tensor for all of them."
        ),
        example="w = K.cast_to_floatx(w)",
        checks=[Check(f"{KB}.cast_to_floatx(x)", {"x": "i32[3]"}), Check(f"{KB}.cast_to_floatx(x)", {"x": "f64[2,2]"})],
    ),
    Composite(
        id="backend.count_params",
        tf="keras.backend.count_params",
        signature="x",
        handles=("x",),
        build=_count_params,
        summary="`K.count_params(x)` → `x.numel()`.",
        why="The number of elements, as a Python int in both.",
        example="total = sum(K.count_params(w) for w in model.trainable_weights)",
        checks=[Check(f"{KB}.count_params(x)", {"x": "f32[3,4]"}), Check(f"{KB}.count_params(x)", {"x": "f32[0,4]"})],
    ),
    Composite(
        id="backend.relu",
        tf="keras.backend.relu",
        signature="x, alpha=0.0, max_value=None, threshold=0.0",
        handles=("x", "alpha", "max_value", "threshold"),
        build=_k_relu,
        summary="`K.relu` → `torch.relu` / `F.leaky_relu` / `F.relu6` / `torch.clamp`.",
        why=(
            "As `keras.activations.relu`: the slope (`alpha`), cap and threshold pick the "
            "torch function, so they must be literals; a threshold, or a slope with a cap, "
            "has none: a TODO."
        ),
        example="y = K.relu(x, max_value=6.0)",
        checks=[
            Check(f"{KB}.relu(x)", {"x": "f32[3,4]"}),
            Check(f"{KB}.relu(x, alpha=0.1)", {"x": "f64[6]"}),
            Check(f"{KB}.relu(x * 5, max_value=2.5)", {"x": "f32[8]"}),
            Check(f"{KB}.relu(x * 5, max_value=6.0)", {"x": "f32[8]"}),
            Check(f"{KB}.relu(x, threshold=0.5)", {"x": "f32[8]"}, todo=True),
        ],
    ),
    Composite(
        id="backend.elu",
        tf="keras.backend.elu",
        signature="x, alpha=1.0",
        handles=("x", "alpha"),
        build=_k_elu,
        summary="`K.elu` → `F.elu`.",
        why="Keras scales the negative part by `alpha` (1.0 by default), as `F.elu` does.",
        example="y = K.elu(x, alpha=0.5)",
        checks=[Check(f"{KB}.elu(x)", {"x": "f32[3,4]"}), Check(f"{KB}.elu(x, 0.5)", {"x": "f64[6]"})],
    ),
]


def _with_imports(example: str) -> str:
    """Examples spell the backend `K`, as Keras code does: the doc example imports it."""
    head = "from keras import backend as K\n" + ("import tensorflow as tf\n" if "tf." in example else "")
    return head + "\n" + example


for _rule in RULES:
    _rule.example = _with_imports(_rule.example)
