"""``tf.random`` and ``keras.random``: random draws.

No row can reproduce TF's stream: TF's generators (Philox with TF's own key schedule and op
seeds) and torch's are different algorithms, so the same seed gives different numbers. The
rows keep the distribution, shape and dtype, and their checks compare exactly those
(``compare="shape"``); a fixed draw (``minval == maxval``, ``stddev=0``) checks values
where one exists.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from migrate.rules.base import CannotMigrate, Check, NotLiteral, literal, to_node
from migrate.rules.convert import shape as shape_convert
from migrate.rules.tf_nn import _FLOAT_DTYPES, Args, Composite, bare, binop, call, dotted_name, dtype_name, is_simple, method

_STREAMS = (
    "TF's and torch's generators are different algorithms, so no seed makes the numbers "
    "match: the checks compare shape and dtype (and values where the draw is fixed)."
)


def _no_seed(a: Args) -> None:
    if "seed" in a and not a.is_default("seed"):
        raise CannotMigrate(
            "an op-level `seed=` has no PyTorch form (torch seeds a generator, not an op); "
            "pass a seeded `torch.Generator` as `generator=`"
        )


def _dtype(a: Args, name: str = "dtype", default: str = "float32", *, float_only: bool = False) -> tuple[str, cst.BaseExpression]:
    """The dtype's name and the torch expression for it (TF's default written out).

    With ``float_only`` (a draw TF makes only in floats) a dtype that cannot be read, such
    as ``x.dtype``, passes through, named ``"float"``."""
    if name not in a or (isinstance(a[name], cst.Name) and a[name].value == "None"):
        return default, a.name(f"torch.{default}")
    value = a[name]
    dname = dtype_name(value)
    if dname is None and float_only:
        return "float", value
    if dname is None:
        raise CannotMigrate(f"`{name}={a.ctx.source(value)}` cannot be read: float and integer draws need different torch functions")
    if isinstance(value, cst.SimpleString):
        value = a.name(f"torch.{dname}")
    return dname, value


def _number(value: cst.BaseExpression) -> float | None:
    try:
        lit = literal(value)
    except NotLiteral:
        return None
    if isinstance(lit, (int, float)) and not isinstance(lit, bool):
        return lit
    return None


def _shape(a: Args, name: str = "shape") -> cst.BaseExpression:
    """A size torch's factories accept. TF also takes a shape *tensor*, which torch refuses:
    `torch.tensor(x.shape, ...)` (the rewrite of `tf.shape(x)`) becomes `x.shape` again,
    another expression `tuple(...)` (which takes a list, a Size or a 1-D tensor)."""
    value = a[name]
    if isinstance(value, (cst.List, cst.Tuple)):
        return shape_convert(value, a.ctx)
    if isinstance(value, cst.Attribute) and value.attr.value == "shape":
        return value
    if isinstance(value, cst.Call) and (dotted_name(value.func) or "").endswith("tensor") and value.args:
        inner = value.args[0].value
        if isinstance(inner, cst.Attribute) and inner.attr.value == "shape":
            return inner
    return call(cst.Name("tuple"), value)


def _uniform(a: Args, maxval_default: float | None = None) -> cst.BaseExpression:
    _no_seed(a)
    minval = a["minval"]
    maxval = a.get("maxval")
    if maxval is not None and isinstance(maxval, cst.Name) and maxval.value == "None":
        maxval = None
    # Without `maxval` TF draws only floats (an integer draw needs it), so any dtype is a float.
    dname, dtype = _dtype(a, float_only=maxval is None or maxval_default is not None)
    shape = _shape(a)
    if dname not in _FLOAT_DTYPES:
        if maxval is None:
            raise CannotMigrate("an integer draw needs `maxval`")
        return call(a.name("torch.randint"), minval, maxval, shape, dtype=dtype)
    low, high = _number(minval), (_number(maxval) if maxval is not None else (maxval_default or 1.0))
    if low == 0 and high == 1:
        return call(a.name("torch.rand"), shape, dtype=dtype)
    if maxval is None:
        maxval = to_node(maxval_default or 1.0)
    if low is not None and high is not None:
        return method(call(a.name("torch.empty"), shape, dtype=dtype), "uniform_", minval, maxval)
    # TF computes `rand * (maxval - minval) + minval`, which also broadcasts tensor bounds.
    if low == 0:
        return binop(call(a.name("torch.rand"), shape, dtype=dtype), "*", maxval)
    if not is_simple(minval):
        raise CannotMigrate(f"`{a.ctx.source(minval)}` would be evaluated twice; assign it to a name first")
    scaled = binop(call(a.name("torch.rand"), shape, dtype=dtype), "*", binop(maxval, "-", minval))
    return binop(bare(scaled), "+", minval)


def _normal(a: Args) -> cst.BaseExpression:
    _no_seed(a)
    dname, dtype = _dtype(a, float_only=True)
    if dname not in _FLOAT_DTYPES:
        raise CannotMigrate(f"a normal draw of dtype {dname}")
    shape = _shape(a)
    mean, std = a["mean"], a["stddev"]
    m, s = _number(mean), _number(std)
    if m == 0 and s == 1:
        return call(a.name("torch.randn"), shape, dtype=dtype)
    if m is not None and s is not None:
        return method(call(a.name("torch.empty"), shape, dtype=dtype), "normal_", mean, s)
    # TF computes `randn * stddev + mean`, which also broadcasts tensor arguments.
    out: cst.BaseExpression = call(a.name("torch.randn"), shape, dtype=dtype)
    if s != 1:
        out = binop(out, "*", std)
    if m != 0:
        out = binop(bare(out), "+", mean)
    return out


def _truncated_normal(a: Args) -> cst.BaseExpression:
    _no_seed(a)
    dname, dtype = _dtype(a, float_only=True)
    if dname not in _FLOAT_DTYPES:
        raise CannotMigrate(f"a normal draw of dtype {dname}")
    mean, std = a["mean"], a["stddev"]
    m, s = _number(mean), _number(std)
    if m is not None and s is not None:
        low: Any = m - 2 * s
        high: Any = m + 2 * s
    else:
        a.simple("mean", "(it also sets the bounds)")
        a.simple("stddev", "(it also sets the bounds)")
        low = bare(binop(mean, "-", bare(binop(2, "*", std))))
        high = bare(binop(mean, "+", bare(binop(2, "*", std))))
    empty = call(a.name("torch.empty"), _shape(a), dtype=dtype)
    return call(a.name("torch.nn.init.trunc_normal_"), empty, mean=mean, std=std, a=low, b=high)


def _categorical(a: Args, default_dtype: str = "int64") -> cst.BaseExpression:
    _no_seed(a)
    dname, dtype = _dtype(a, default=default_dtype)
    probs = call(a.name("torch.softmax"), a["logits"], dim=-1)
    draw = call(a.name("torch.multinomial"), probs, a["num_samples"], replacement=True)
    if dname == "int64":
        return draw
    return method(draw, "to", dtype)


def _shuffle(a: Args, param: str = "value") -> cst.BaseExpression:
    _no_seed(a)
    value = a.simple(param, "(it is indexed by a permutation of its own length)")
    size = cst.Subscript(cst.Attribute(value, cst.Name("shape")), [cst.SubscriptElement(cst.Index(cst.Integer("0")))])
    perm = call(a.name("torch.randperm"), size)
    return cst.Subscript(value, [cst.SubscriptElement(cst.Index(perm))])


def _set_seed(a: Args) -> cst.BaseExpression:
    return call(a.name("torch.manual_seed"), a["seed"])


def _gamma(a: Args) -> cst.BaseExpression:
    _no_seed(a)
    dname, dtype = _dtype(a, float_only=True)
    if dname not in _FLOAT_DTYPES:
        raise CannotMigrate(f"a gamma draw of dtype {dname}")
    alpha = call(a.name("torch.as_tensor"), a["alpha"], dtype=dtype)
    beta = a.get("beta")
    if beta is None or (isinstance(beta, cst.Name) and beta.value == "None"):
        rate: cst.BaseExpression = to_node(1.0)  # made a tensor of alpha's dtype by Gamma
    else:
        rate = call(a.name("torch.as_tensor"), beta, dtype=dtype)
    return method(call(a.name("torch.distributions.Gamma"), alpha, rate), "sample", _shape(a))


def _randint(a: Args) -> cst.BaseExpression:
    _no_seed(a)
    dname, dtype = _dtype(a, default="int32")
    if dname in _FLOAT_DTYPES:
        raise CannotMigrate("a float dtype for an integer draw")
    return call(a.name("torch.randint"), a["minval"], a["maxval"], _shape(a), dtype=dtype)


def _keras_dropout(a: Args) -> cst.BaseExpression:
    _no_seed(a)
    if not a.is_default("noise_shape"):
        raise CannotMigrate("`noise_shape` (a broadcast mask) has no `F.dropout` argument")
    return call(a.name("torch.nn.functional.dropout"), a["inputs"], p=a["rate"], training=True)


RULES = [
    Composite(
        id="random.uniform",
        tf="tf.random.uniform",
        signature="shape, minval=0, maxval=None, dtype='float32', seed=None, name=None",
        handles=("shape", "minval", "maxval", "dtype", "seed"),
        build=_uniform,
        summary="`tf.random.uniform` → `torch.rand` / `torch.empty(...).uniform_(lo, hi)` / `torch.randint`.",
        why=(
            "A float draw in [minval, maxval) (default [0, 1)) is `torch.rand`, or "
            "`torch.empty(shape).uniform_(minval, maxval)` for other number bounds, or TF's own "
            "`rand * (maxval - minval) + minval` when a bound is an expression (tensors "
            "broadcast). An integer dtype draws in [minval, maxval) with `torch.randint` and "
            "needs `maxval`, as in TF. The dtype is always written (TF's float32 default "
            "does not follow torch's settable default dtype); a dtype that cannot be read "
            "stays a TODO, because it picks the function. " + _STREAMS + " An op `seed=` "
            "stays a TODO."
        ),
        example=(
            "noise = tf.random.uniform([batch, 10])\n"
            "w = tf.random.uniform((3, 3), -0.1, 0.1)\n"
            "ids = tf.random.uniform([8], maxval=100, dtype=tf.int32)"
        ),
        checks=[
            Check("tf.random.uniform([3, 4])", compare="shape"),
            Check("tf.random.uniform((2, 0), minval=-1.0, maxval=1.0)", compare="shape"),
            Check("tf.random.uniform([5], 0, 10, dtype=tf.int32)", compare="shape"),
            Check("tf.random.uniform([2, 3], dtype=tf.float64)", compare="shape"),
            Check("tf.random.uniform([4], minval=2.0, maxval=2.0)"),
            Check("tf.random.uniform([4], minval=lo, maxval=lo)", {"lo": "f32[4]"}),
            Check("tf.random.uniform([4], maxval=hi) * 0", {"hi": "f32[4]"}),
            Check("tf.random.uniform([2, 3], 0, hi)", {"hi": 5.0}, compare="shape"),
            Check("tf.random.uniform([6], maxval=5, dtype='int64')", compare="shape"),
            Check("tf.random.uniform(tf.shape(x))", {"x": "f32[2,3]"}, compare="shape"),
            Check("tf.random.uniform(s, maxval=3, dtype=tf.int32)", {"s": [2, 5]}, compare="shape"),
            Check("tf.random.uniform([3], dtype=x.dtype)", {"x": "f64[2]"}, compare="shape"),
            Check("tf.random.uniform([3], seed=1)", todo=True),
            Check("tf.random.uniform([3], maxval=5, dtype=d)", {"d": None}, todo=True),
        ],
    ),
    Composite(
        id="random.normal",
        tf="tf.random.normal",
        signature="shape, mean=0.0, stddev=1.0, dtype='float32', seed=None, name=None",
        handles=("shape", "mean", "stddev", "dtype", "seed"),
        build=_normal,
        summary="`tf.random.normal` → `torch.randn` / `torch.empty(...).normal_(mean, std)`.",
        why=(
            "A standard normal draw is `torch.randn`; number `mean`/`stddev` use "
            "`torch.empty(shape).normal_(mean, std)`, other expressions TF's own "
            "`randn * stddev + mean` (tensors broadcast). The dtype is written out (TF "
            "defaults to float32 whatever torch's default dtype is). " + _STREAMS
        ),
        example="eps = tf.random.normal(tf.shape(mu))\nw = tf.random.normal([3, 3], stddev=0.02)",
        checks=[
            Check("tf.random.normal([3, 4])", compare="shape"),
            Check("tf.random.normal((2, 0), stddev=0.02)", compare="shape"),
            Check("tf.random.normal([5], 1.0, 2.0, dtype=tf.float64)", compare="shape"),
            Check("tf.random.normal([4], mean=3.0, stddev=0.0)"),
            Check("tf.random.normal([4], mean=m, stddev=0.0)", {"m": "f32[4]"}),
            Check("tf.random.normal([2, 2], stddev=s)", {"s": 0.5}, compare="shape"),
            Check("tf.random.normal(tf.shape(x), mean=m)", {"x": "f32[4,2]", "m": "f32[2]"}, compare="shape"),
            Check("tf.random.normal([3], dtype=x.dtype)", {"x": "f64[2]"}, compare="shape"),
            Check("tf.random.normal([3], seed=7)", todo=True),
        ],
    ),
    Composite(
        id="random.truncated_normal",
        tf="tf.random.truncated_normal",
        signature="shape, mean=0.0, stddev=1.0, dtype='float32', seed=None, name=None",
        handles=("shape", "mean", "stddev", "dtype", "seed"),
        build=_truncated_normal,
        summary="`tf.random.truncated_normal` → `nn.init.trunc_normal_(torch.empty(shape), mean, std, a, b)` with TF's 2-stddev bounds.",
        why=(
            "TF redraws values more than two standard deviations from the mean; "
            "`torch.nn.init.trunc_normal_` takes absolute bounds `a`, `b`, so "
            "`mean ± 2 * stddev` is written (computed for literals). " + _STREAMS
        ),
        example="w = tf.random.truncated_normal([784, 256], stddev=0.1)",
        checks=[
            Check("tf.random.truncated_normal([3, 4])", compare="shape"),
            Check("tf.random.truncated_normal((2, 0), stddev=0.02)", compare="shape"),
            Check("tf.random.truncated_normal([5], 1.0, 2.0, dtype=tf.float64)", compare="shape"),
            Check("result = tf.reduce_all(tf.abs(tf.random.truncated_normal([1000], mean=3.0, stddev=0.5) - 3.0) <= 1.0)"),
            Check("result = tf.reduce_max(tf.abs(tf.random.truncated_normal([1000], stddev=s))) <= 2 * s", {"s": 0.5}),
            Check("tf.random.truncated_normal([2, 3], dtype=x.dtype)", {"x": "f16[2]"}, compare="shape"),
            Check("tf.random.truncated_normal([3], stddev=tf.sqrt(v))", {"v": "f32[]:pos"}, todo=True),
        ],
    ),
    Composite(
        id="random.categorical",
        tf="tf.random.categorical",
        signature="logits, num_samples, dtype=None, seed=None, name=None",
        handles=("logits", "num_samples", "dtype", "seed"),
        build=_categorical,
        summary="`tf.random.categorical(logits, n)` → `torch.multinomial(torch.softmax(logits, dim=-1), n, replacement=True)`.",
        why=(
            "TF samples class indices from unnormalised log-probabilities with replacement; "
            "`torch.multinomial` takes probabilities and samples without replacement unless "
            "told, so the softmax and `replacement=True` are written. Both return int64 by "
            "default; another `dtype` becomes `.to(dtype)`. " + _STREAMS
        ),
        example="actions = tf.random.categorical(logits, 1)",
        checks=[
            Check("tf.random.categorical(x, 5)", {"x": "f32[3,4]"}, compare="shape"),
            Check("tf.random.categorical(x, num_samples=2, dtype=tf.int32)", {"x": "f64[2,6]"}, compare="shape"),
            Check("tf.random.categorical(tf.math.log(p), 4)", {"p": "f32[1,3]:unit"}, compare="shape"),
            Check("tf.random.categorical(x, 3, seed=2)", {"x": "f32[3,4]"}, todo=True),
        ],
    ),
    Composite(
        id="random.shuffle",
        tf="tf.random.shuffle",
        signature="value, seed=None, name=None",
        handles=("value", "seed"),
        build=_shuffle,
        summary="`tf.random.shuffle(x)` → `x[torch.randperm(x.shape[0])]`.",
        why=(
            "TF permutes the first dimension. torch has no shuffle; indexing with "
            "`torch.randperm` of the first dimension's size does the same, which writes the "
            "tensor twice: an expression that is not a name stays a TODO. " + _STREAMS
        ),
        example="examples = tf.random.shuffle(examples)",
        checks=[
            Check("tf.random.shuffle(x)", {"x": "f32[5,3]"}, compare="shape"),
            Check("tf.sort(tf.random.shuffle(x))", {"x": "f32[7]"}),
            Check("tf.random.shuffle(x)", {"x": "i32[0,2]"}, compare="shape"),
            Check("tf.random.shuffle(x * 2)", {"x": "f32[4]"}, todo=True),
        ],
    ),
    Composite(
        id="random.set_seed",
        tf="tf.random.set_seed",
        signature="seed",
        handles=("seed",),
        build=_set_seed,
        summary="`tf.random.set_seed(s)` → `torch.manual_seed(s)`.",
        why=(
            "Both seed the global generator so that a run repeats itself. Neither makes the "
            "other framework's numbers: " + _STREAMS + " `torch.manual_seed` returns the "
            "generator where TF returns None."
        ),
        example="tf.random.set_seed(42)",
        checks=[
            Check("tf.random.set_seed(3)\nresult = x + 1", {"x": "f32[3]"}),
            Check("tf.random.set_seed(s)\nresult = tf.random.uniform([2])", {"s": 11}, compare="shape"),
        ],
    ),
    Composite(
        id="random.gamma",
        tf="tf.random.gamma",
        signature="shape, alpha, beta=None, dtype='float32', seed=None, name=None",
        handles=("shape", "alpha", "beta", "dtype", "seed"),
        build=_gamma,
        summary="`tf.random.gamma(shape, alpha, beta)` → `torch.distributions.Gamma(alpha, beta).sample(shape)`.",
        why=(
            "Both draw `shape + alpha.shape` samples, with `beta` the rate (inverse scale, "
            "default 1). The parameters are made tensors of TF's dtype (float32 by "
            "default) so the samples have it. " + _STREAMS
        ),
        example="g = tf.random.gamma([10], alpha=2.0, beta=1.0)",
        checks=[
            Check("tf.random.gamma([3, 4], 2.0)", compare="shape"),
            Check("tf.random.gamma([5], alpha=a, beta=b)", {"a": "f32[2]:pos", "b": "f32[2]:pos"}, compare="shape"),
            Check("tf.random.gamma([2], 0.5, dtype=tf.float64)", compare="shape"),
        ],
    ),
    Composite(
        id="random.keras_uniform",
        tf="keras.random.uniform",
        signature="shape, minval=0.0, maxval=1.0, dtype=None, seed=None",
        handles=("shape", "minval", "maxval", "dtype", "seed"),
        build=lambda a: _uniform(a, maxval_default=1.0),
        summary="`keras.random.uniform` → `torch.rand` / `torch.empty(...).uniform_(lo, hi)`.",
        why=(
            "A float draw in [minval, maxval); Keras's dtype default is `floatx()` (float32 "
            "unless configured), written out as float32. " + _STREAMS + " A `seed` (an int "
            "or a `SeedGenerator`) stays a TODO."
        ),
        example="noise = keras.random.uniform((batch, 10), minval=-1.0)",
        checks=[
            Check("keras.random.uniform((3, 4))", compare="shape"),
            Check("keras.random.uniform([2, 0], minval=-1.0)", compare="shape"),
            Check("keras.random.uniform([4], minval=2.0, maxval=2.0, dtype='float64')"),
            Check("keras.random.uniform([3], seed=1)", todo=True),
        ],
    ),
    Composite(
        id="random.keras_normal",
        tf="keras.random.normal",
        signature="shape, mean=0.0, stddev=1.0, dtype=None, seed=None",
        handles=("shape", "mean", "stddev", "dtype", "seed"),
        build=_normal,
        summary="`keras.random.normal` → `torch.randn` / `torch.empty(...).normal_(mean, std)`.",
        why="As `tf.random.normal`, with Keras's `floatx()` default written as float32. " + _STREAMS,
        example="eps = keras.random.normal((batch, latent_dim))",
        checks=[
            Check("keras.random.normal((3, 4))", compare="shape"),
            Check("keras.random.normal([2, 0], stddev=0.1)", compare="shape"),
            Check("keras.random.normal([4], mean=1.5, stddev=0.0, dtype='float64')"),
            Check("keras.random.normal([3], seed=1)", todo=True),
        ],
    ),
    Composite(
        id="random.keras_truncated_normal",
        tf="keras.random.truncated_normal",
        signature="shape, mean=0.0, stddev=1.0, dtype=None, seed=None",
        handles=("shape", "mean", "stddev", "dtype", "seed"),
        build=_truncated_normal,
        summary="`keras.random.truncated_normal` → `nn.init.trunc_normal_` with 2-stddev bounds.",
        why="As `tf.random.truncated_normal`: values beyond two standard deviations are redrawn. " + _STREAMS,
        example="w = keras.random.truncated_normal((64, 64), stddev=0.02)",
        checks=[
            Check("keras.random.truncated_normal((3, 4))", compare="shape"),
            Check("result = tf.reduce_all(tf.abs(keras.random.truncated_normal([1000], mean=1.0, stddev=2.0) - 1.0) <= 4.0)"),
        ],
    ),
    Composite(
        id="random.randint",
        tf="keras.random.randint",
        signature="shape, minval, maxval, dtype='int32', seed=None",
        handles=("shape", "minval", "maxval", "dtype", "seed"),
        build=_randint,
        summary="`keras.random.randint(shape, lo, hi)` → `torch.randint(lo, hi, shape, dtype=torch.int32)`.",
        why="Both draw integers in [minval, maxval); Keras's default dtype is int32, torch's int64, so it is written. " + _STREAMS,
        example="ids = keras.random.randint((8,), 0, vocab_size)",
        checks=[
            Check("keras.random.randint((3, 4), 0, 10)", compare="shape"),
            Check("keras.random.randint([5], minval=3, maxval=4, dtype='int64')"),
        ],
    ),
    Composite(
        id="random.keras_categorical",
        tf="keras.random.categorical",
        signature="logits, num_samples, dtype='int32', seed=None",
        handles=("logits", "num_samples", "dtype", "seed"),
        build=lambda a: _categorical(a, default_dtype="int32"),
        summary="`keras.random.categorical` → `torch.multinomial(torch.softmax(logits, dim=-1), n, replacement=True).to(torch.int32)`.",
        why="As `tf.random.categorical`, with Keras's int32 default dtype written as a cast. " + _STREAMS,
        example="tokens = keras.random.categorical(logits, 1)",
        checks=[
            Check("keras.random.categorical(x, 5)", {"x": "f32[3,4]"}, compare="shape"),
            Check("keras.random.categorical(x, 2, dtype='int64')", {"x": "f32[2,6]"}, compare="shape"),
        ],
    ),
    Composite(
        id="random.keras_shuffle",
        tf="keras.random.shuffle",
        signature="x, axis=0, seed=None",
        handles=("x", "seed"),
        build=lambda a: _shuffle(a, "x"),
        summary="`keras.random.shuffle(x)` → `x[torch.randperm(x.shape[0])]`.",
        why="As `tf.random.shuffle` (axis 0); another `axis` stays a TODO. " + _STREAMS,
        example="batch = keras.random.shuffle(batch)",
        checks=[
            Check("keras.random.shuffle(x)", {"x": "f32[5,3]"}, compare="shape"),
            Check("keras.random.shuffle(x, axis=1)", {"x": "f32[5,3]"}, todo=True),
        ],
    ),
    Composite(
        id="random.keras_dropout",
        tf="keras.random.dropout",
        signature="inputs, rate, noise_shape=None, seed=None",
        handles=("inputs", "rate", "noise_shape", "seed"),
        build=_keras_dropout,
        summary="`keras.random.dropout(x, rate)` → `F.dropout(x, p=rate, training=True)`.",
        why="Both drop with probability `rate` and scale the rest by 1/(1-rate) on every call. " + _STREAMS,
        example="h = keras.random.dropout(h, 0.1)",
        checks=[
            Check("keras.random.dropout(x, 0.5)", {"x": "f32[4,5]"}, compare="shape"),
            Check("keras.random.dropout(x, rate=0.0)", {"x": "f32[3]"}),
            Check("keras.random.dropout(x, 0.5, seed=3)", {"x": "f32[3]"}, todo=True),
        ],
    ),
]


for _rule in RULES:
    if "keras." in _rule.example and "import " not in _rule.example:
        _rule.example = "import keras\n\n" + _rule.example
