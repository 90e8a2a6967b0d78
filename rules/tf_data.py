"""``tf.data`` pipelines → ``torch.utils.data`` datasets and a ``DataLoader``.

A tf.data pipeline is a chain of transformations, in one expression or over several
statements (``ds = ...; ds = ds.map(f); ds = ds.batch(32)``). Each transformation becomes a
torch object that yields the same elements in the same order, so a chain split over
statements migrates statement by statement:

* sources: ``from_tensor_slices((x, y))`` → ``TensorDataset``, ``from_tensor_slices(x)`` → the
  tensor itself (a tensor is a map-style dataset of its rows), ``range`` → ``torch.arange``,
  ``from_generator`` and ``zip`` → small generated ``IterableDataset`` classes;
* element transformations (``map``, ``filter``, ``shuffle``, ``repeat``, ``take``, ``skip``) →
  small generated ``IterableDataset`` classes, defined once at the top of the file (torch has no
  dataset combinators of its own);
* ``batch`` → ``DataLoader(ds, batch_size=..., drop_last=...)``; a ``shuffle`` directly before a
  ``batch`` of a map-style dataset folds into ``DataLoader(shuffle=True)``;
* ``prefetch`` and ``cache`` → dropped (the receiver stays).

The rules never import TF or torch: the generated classes are source text, and their torch
names are spelled by the engine.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Iterator

import libcst as cst

from migrate.rules.base import NOT_LITERAL, CannotMigrate, NewArg, Rule, RuleContext, build_call, dotted_name, expand, literal_or

DATASET = "tensorflow.data.Dataset"


def _method(name: str) -> str:
    return f"{DATASET}.{name}"


# ---------------------------------------------------------------------------------------
# Per-file memory: what kind of torch object each rewritten node is.

MAP_STYLE = "map-style"  # random access, a length: DataLoader(shuffle=True) works on it
ITERABLE = "iterable"  # an IterableDataset: elements in order, no random access
BATCHES = "batches"  # a DataLoader (or an iterable over batches)


@dataclass
class _FileState:
    kinds: dict[int, tuple[cst.CSTNode, str]] = field(default_factory=dict)
    #: receivers returned by a `shuffle` that the `batch` right after it folds in
    folded_shuffles: dict[int, tuple[cst.CSTNode, "_Shuffle"]] = field(default_factory=dict)


_STATES: "weakref.WeakKeyDictionary[object, _FileState]" = weakref.WeakKeyDictionary()


def _state(ctx: RuleContext) -> _FileState:
    state = _STATES.get(ctx)
    if state is None:
        state = _STATES[ctx] = _FileState()
    return state


def _record(ctx: RuleContext, node: cst.BaseExpression, kind: str) -> cst.BaseExpression:
    _state(ctx).kinds[id(node)] = (node, kind)
    return node


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    yield node
    for child in node.children:
        yield from _walk(child)


def _assignment(ctx: RuleContext, name: str, before: cst.CSTNode | None = None) -> cst.Assign | None:
    """The assignment that last bound ``name`` before ``before`` (default: the statement
    being migrated), in the original code of its function (or module): how a pipeline split
    over statements is followed back to its source."""
    scope, here = ctx.scope(), before if before is not None else ctx.statement()
    found: cst.Assign | None = None
    for node in _walk(scope.body if isinstance(scope, cst.FunctionDef) else scope):
        if node is here:
            return found
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            target = node.targets[0].target
            if isinstance(target, cst.Name) and target.value == name:
                found = node
    return None


def _assignment_before(ctx: RuleContext, name: str) -> cst.BaseExpression | None:
    assignment = _assignment(ctx, name)
    return assignment.value if assignment is not None else None


def _original_kind(
    expr: cst.BaseExpression, ctx: RuleContext, before: cst.CSTNode | None = None, depth: int = 0
) -> str | None:
    """The kind of torch object the original TF expression ``expr`` migrates to, when it can
    be read from the code (a chain, or a name assigned one earlier in the same function)."""
    if depth > 50:
        return None
    if isinstance(expr, cst.Name):
        assignment = _assignment(ctx, expr.value, before)
        if assignment is None:
            return None
        return _original_kind(assignment.value, ctx, assignment, depth + 1)
    if not isinstance(expr, cst.Call):
        return None
    name = dotted_name(expr.func)
    last = name.rsplit(".", 1)[-1] if name else (
        expr.func.attr.value if isinstance(expr.func, cst.Attribute) else ""
    )
    if last in ("from_tensor_slices", "range"):
        return MAP_STYLE
    if last in ("batch", "padded_batch", "image_dataset_from_directory"):
        return BATCHES
    if last in ("prefetch", "cache") and isinstance(expr.func, cst.Attribute):
        return _original_kind(expr.func.value, ctx, before, depth + 1)
    if last in ("map", "filter", "shuffle", "repeat", "take", "skip") and isinstance(expr.func, cst.Attribute):
        below = _original_kind(expr.func.value, ctx, before, depth + 1)
        return BATCHES if below == BATCHES else ITERABLE
    if last in ("zip", "from_generator", "unbatch", "enumerate"):
        return ITERABLE
    if last == "from_tensors":
        return MAP_STYLE
    return None


def _kind(receiver: cst.BaseExpression, ctx: RuleContext) -> str | None:
    """The kind of an already rewritten receiver: recorded when this rule family built it,
    else read from the original code."""
    recorded = _state(ctx).kinds.get(id(receiver))
    if recorded is not None and recorded[0] is receiver:
        return recorded[1]
    return _original_kind(receiver, ctx)


# ---------------------------------------------------------------------------------------
# Arguments.


def _bind(call: cst.Call, signature: tuple[str, ...], ctx: RuleContext, what: str) -> dict[str, cst.BaseExpression]:
    """Bind a call's arguments to ``signature`` (parameter names in order), like Python."""
    bound: dict[str, cst.BaseExpression] = {}
    position = 0
    for arg in call.args:
        if arg.star:
            raise CannotMigrate(f"`{arg.star}{ctx.source(arg.value)}` hides which arguments `{what}` gets")
        if arg.keyword is None:
            if position >= len(signature):
                raise CannotMigrate(f"`{what}` takes at most {len(signature)} positional arguments")
            bound[signature[position]] = arg.value
            position += 1
        elif arg.keyword.value in signature:
            bound[arg.keyword.value] = arg.value
        else:
            raise CannotMigrate(f"`{what}` has no argument `{arg.keyword.value}=`")
    return bound


def _arg(value: cst.BaseExpression, keyword: str | None = None) -> cst.Arg:
    if keyword is None:
        return cst.Arg(value)
    return cst.Arg(
        value,
        keyword=cst.Name(keyword),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )


def _call(func: cst.BaseExpression, *args: cst.Arg) -> cst.Call:
    return cst.Call(func, list(args))


def _receiver(call: cst.Call) -> cst.BaseExpression:
    assert isinstance(call.func, cst.Attribute)
    return call.func.value


def _consume_all(ctx: RuleContext, *nodes: cst.CSTNode | None) -> None:
    """Arguments the rewrite drops take their TODOs with them (``tf.data.AUTOTUNE``)."""
    for node in nodes:
        if node is not None:
            ctx.consume(node)


# ---------------------------------------------------------------------------------------
# The generated dataset classes. Each is defined once per file, above its first use.

_HELPERS: dict[str, str] = {
    "MapDataset": '''
class MapDataset(torch.utils.data.IterableDataset):
    """tf.data's `map`: `fn` applied to every element in order; a tuple element (or a
    batch, which DataLoader collates into a list) is unpacked into arguments, as tf.data does."""

    def __init__(self, source, fn):
        super().__init__()
        self.source, self.fn = source, fn

    def __iter__(self):
        for element in self.source:
            yield self.fn(*element) if isinstance(element, (tuple, list)) else self.fn(element)
''',
    "FilterDataset": '''
class FilterDataset(torch.utils.data.IterableDataset):
    """tf.data's `filter`: the elements for which `predicate` is true, in order; a tuple
    element is unpacked into arguments, as tf.data does."""

    def __init__(self, source, predicate):
        super().__init__()
        self.source, self.predicate = source, predicate

    def __iter__(self):
        for element in self.source:
            unpack = isinstance(element, (tuple, list))
            if bool(self.predicate(*element) if unpack else self.predicate(element)):
                yield element
''',
    "ShuffleBufferDataset": '''
class ShuffleBufferDataset(torch.utils.data.IterableDataset):
    """tf.data's `shuffle(buffer_size)`: a buffer of `buffer_size` elements; each output is a
    uniformly drawn element of the buffer, replaced by the next input. Not a full permutation
    unless the buffer holds the whole dataset. Each pass draws a new order unless
    `reshuffle_each_iteration` is False."""

    def __init__(self, source, buffer_size, seed=None, reshuffle_each_iteration=True):
        super().__init__()
        self.source, self.buffer_size = source, buffer_size
        self.seed = int(torch.randint(2**62, ()).item()) if seed is None else seed
        self.reshuffle_each_iteration = reshuffle_each_iteration
        self.generator = torch.Generator().manual_seed(self.seed)

    def __iter__(self):
        generator = self.generator
        if not self.reshuffle_each_iteration:
            generator = torch.Generator().manual_seed(self.seed)
        buffer = []
        for element in self.source:
            buffer.append(element)
            if len(buffer) >= self.buffer_size:
                yield buffer.pop(int(torch.randint(len(buffer), (), generator=generator)))
        while buffer:
            yield buffer.pop(int(torch.randint(len(buffer), (), generator=generator)))
''',
    "RepeatDataset": '''
class RepeatDataset(torch.utils.data.IterableDataset):
    """tf.data's `repeat(count)`: the source `count` times over (forever when `count` is
    None or -1); elements run on across the pass boundaries, as in tf.data."""

    def __init__(self, source, count=None):
        super().__init__()
        self.source, self.count = source, count

    def __iter__(self):
        forever = self.count is None or self.count < 0
        passes = itertools.count() if forever else range(self.count)
        for _ in passes:
            yield from self.source
''',
    "TakeDataset": '''
class TakeDataset(torch.utils.data.IterableDataset):
    """tf.data's `take(count)`: the first `count` elements (all of them when `count` is -1)."""

    def __init__(self, source, count):
        super().__init__()
        self.source, self.count = source, count

    def __iter__(self):
        return itertools.islice(self.source, None if self.count < 0 else self.count)
''',
    "SkipDataset": '''
class SkipDataset(torch.utils.data.IterableDataset):
    """tf.data's `skip(count)`: every element after the first `count` (none when `count` is -1)."""

    def __init__(self, source, count):
        super().__init__()
        self.source, self.count = source, count

    def __iter__(self):
        if self.count < 0:
            return iter(())
        return itertools.islice(self.source, self.count, None)
''',
    "UnbatchDataset": '''
class UnbatchDataset(torch.utils.data.IterableDataset):
    """tf.data's `unbatch`: the rows of every batch, in order (a tuple batch, or the list a
    DataLoader collates, gives tuples of rows)."""

    def __init__(self, source):
        super().__init__()
        self.source = source

    def __iter__(self):
        for batch in self.source:
            if isinstance(batch, (tuple, list)):
                yield from zip(*batch)
            else:
                yield from batch
''',
    "EnumerateDataset": '''
class EnumerateDataset(torch.utils.data.IterableDataset):
    """tf.data's `enumerate(start)`: `(index, element)` pairs, the index an int64 tensor."""

    def __init__(self, source, start=0):
        super().__init__()
        self.source, self.start = source, start

    def __iter__(self):
        for index, element in enumerate(self.source, self.start):
            yield torch.tensor(index), element
''',
    "ZipDataset": '''
class ZipDataset(torch.utils.data.IterableDataset):
    """tf.data's `Dataset.zip((a, b, ...))`: tuples of the datasets' elements, up to the
    shortest."""

    def __init__(self, *sources):
        super().__init__()
        self.sources = sources

    def __iter__(self):
        return zip(*self.sources)
''',
    "GeneratorDataset": '''
class GeneratorDataset(torch.utils.data.IterableDataset):
    """tf.data's `from_generator`: calls `generator(*args)` at every pass over the data, and
    makes each component a tensor of the dtype the output signature gave it."""

    def __init__(self, generator, args=(), dtypes=None):
        super().__init__()
        self.generator, self.args, self.dtypes = generator, tuple(args), dtypes

    def __iter__(self):
        for element in self.generator(*self.args):
            if self.dtypes is None:
                yield element
            elif isinstance(self.dtypes, tuple):
                yield tuple(torch.as_tensor(v, dtype=d) for v, d in zip(element, self.dtypes))
            else:
                yield torch.as_tensor(element, dtype=self.dtypes)
''',
}

#: Which generated class needs `import itertools`.
_NEEDS_ITERTOOLS = {"RepeatDataset", "TakeDataset", "SkipDataset"}


def helper(name: str, ctx: RuleContext) -> cst.BaseExpression:
    """The name of generated class ``name``, defined once above the statement that uses it."""
    torch = ctx.source(ctx.name("torch"))
    code = _HELPERS[name].lstrip("\n").replace("torch.", f"{torch}.")
    if name in _NEEDS_ITERTOOLS:
        ctx.name("itertools")  # the engine adds `import itertools`
    ctx.add_definition(list(cst.parse_module(code).body))
    return cst.Name(name)


# ---------------------------------------------------------------------------------------
# Sources.


def _as_tensor(value: cst.BaseExpression, ctx: RuleContext) -> cst.Call:
    return _call(ctx.name("torch.as_tensor"), _arg(value))


class FromTensorSlices(Rule):
    id = "data.from_tensor_slices"
    names = ("tf.data.Dataset.from_tensor_slices",)
    returns = {"tensorflow.data.Dataset.from_tensor_slices": DATASET}
    summary = (
        "`tf.data.Dataset.from_tensor_slices((x, y))` → `TensorDataset(torch.as_tensor(x), "
        "torch.as_tensor(y))`; of one array → the tensor itself."
    )
    why = (
        "Element i of `from_tensor_slices` is the i-th row of every tensor it was given, which is "
        "what `TensorDataset` yields for a tuple of tensors; for one array, a tensor is already a "
        "map-style dataset of its rows (a `TensorDataset` would wrap each row in a 1-tuple). The "
        "values keep their NumPy dtypes (`torch.as_tensor`), except that TF makes Python integer "
        "lists int32 where torch makes them int64. A tuple assigned to a variable in the same "
        "function is sliced tensor by tensor (`torch.as_tensor` of the tuple would stack it); "
        "a variable that holds a tuple assigned elsewhere (a parameter) would be stacked, so "
        "pass tuples literally. A dict of features stays a TODO."
    )
    example = (
        "import tensorflow as tf\n\n"
        "train = tf.data.Dataset.from_tensor_slices((x_train, y_train))\n"
        "images = tf.data.Dataset.from_tensor_slices(x_train)\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("tensors", "name"), ctx, "from_tensor_slices")
        tensors = bound.get("tensors")
        if tensors is None:
            raise CannotMigrate("`from_tensor_slices` needs its tensors")
        if isinstance(tensors, cst.Tuple):
            if any(isinstance(e, cst.StarredElement) for e in tensors.elements):
                raise CannotMigrate("a starred tuple hides how many tensors are sliced")
            if any(isinstance(e.value, (cst.Tuple, cst.Dict)) for e in tensors.elements):
                raise CannotMigrate(
                    "nested structures are not migrated: TensorDataset yields a flat tuple of rows"
                )
            built = _call(
                ctx.name("torch.utils.data.TensorDataset"),
                *(_arg(_as_tensor(e.value, ctx)) for e in tensors.elements),
            )
            return _record(ctx, built, MAP_STYLE)
        if isinstance(tensors, cst.Dict):
            raise CannotMigrate(f"a dict of features: {_DICT_TODO}")
        held = _assignment_before(ctx, tensors.value) if isinstance(tensors, cst.Name) else None
        if isinstance(held, cst.Dict):
            raise CannotMigrate(f"`{tensors.value}` holds a dict of features: {_DICT_TODO}")
        if isinstance(held, (cst.Tuple, cst.List)) and isinstance(held, cst.Tuple):
            if any(isinstance(e, cst.StarredElement) or isinstance(e.value, (cst.Tuple, cst.Dict)) for e in held.elements):
                raise CannotMigrate(f"`{tensors.value}` holds a nested structure: TensorDataset yields a flat tuple of rows")
            # A tuple held in a variable: slice each of its tensors (torch.as_tensor would stack them).
            each = cst.parse_expression(f"({ctx.source(ctx.name('torch.as_tensor'))}(t) for t in {tensors.value})")
            built = _call(ctx.name("torch.utils.data.TensorDataset"), cst.Arg(each, star="*"))
            return _record(ctx, built, MAP_STYLE)
        return _record(ctx, _as_tensor(tensors, ctx), MAP_STYLE)


_DICT_TODO = "write a Dataset whose `__getitem__` returns `{key: tensor[i] for key, tensor in features.items()}`"


class Range(Rule):
    id = "data.range"
    names = ("tf.data.Dataset.range",)
    returns = {"tensorflow.data.Dataset.range": DATASET}
    summary = "`tf.data.Dataset.range(a, b, step)` → `torch.arange(a, b, step)`."
    why = (
        "A tensor is a map-style dataset of its elements: `torch.arange` yields the same int64 "
        "scalars, in order, and batches into the same int64 vectors."
    )
    example = "import tensorflow as tf\n\nsteps = tf.data.Dataset.range(10).batch(4)\n"

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        args = []
        for arg in call.args:
            if arg.star or arg.keyword is not None:
                if arg.keyword is not None and arg.keyword.value in ("name",):
                    continue
                if arg.keyword is not None and arg.keyword.value == "output_type":
                    raise CannotMigrate("`output_type=` is not migrated: cast the elements with a map")
                raise CannotMigrate("`range` is migrated with positional start/stop/step only")
            args.append(_arg(arg.value))
        return _record(ctx, _call(ctx.name("torch.arange"), *args), MAP_STYLE)


class FromGenerator(Rule):
    id = "data.from_generator"
    names = ("tf.data.Dataset.from_generator",)
    returns = {"tensorflow.data.Dataset.from_generator": DATASET}
    summary = (
        "`tf.data.Dataset.from_generator(gen, output_signature=...)` → a generated "
        "`GeneratorDataset(gen, dtypes=...)` (an `IterableDataset`)."
    )
    why = (
        "tf.data calls the generator again at every pass and converts each component to the "
        "dtype of its `tf.TensorSpec`; the generated `IterableDataset` does both (shapes are not "
        "checked: torch has no static shapes to enforce). `args=` are passed to the generator. "
        "A signature that is not a literal `TensorSpec` or tuple of them stays a TODO."
    )
    example = (
        "import tensorflow as tf\n\n"
        "ds = tf.data.Dataset.from_generator(\n"
        "    samples,\n"
        "    output_signature=(tf.TensorSpec(shape=(4,), dtype=tf.float32), tf.TensorSpec(shape=(), dtype=tf.int64)),\n"
        ")\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(
            call, ("generator", "output_types", "output_shapes", "args", "output_signature", "name"), ctx, "from_generator"
        )
        if "generator" not in bound:
            raise CannotMigrate("`from_generator` needs its generator")
        signature = bound.get("output_signature") or bound.get("output_types")
        args = [_arg(bound["generator"])]
        if "args" in bound:
            args.append(_arg(bound["args"], "args"))
        if signature is not None:
            dtypes = _dtypes(signature, ctx, from_specs="output_signature" in bound)
            args.append(_arg(dtypes, "dtypes"))
        _consume_all(ctx, bound.get("output_signature"), bound.get("output_shapes"))
        return _record(ctx, _call(helper("GeneratorDataset", ctx), *args), ITERABLE)


def _dtypes(signature: cst.BaseExpression, ctx: RuleContext, from_specs: bool) -> cst.BaseExpression:
    """The dtype (or tuple of dtypes) of an output signature (TensorSpecs) or output_types."""
    if isinstance(signature, cst.Tuple):
        items = [ctx.source(_dtypes(e.value, ctx, from_specs)) for e in signature.elements]
        return cst.parse_expression("(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")")
    if not from_specs:
        return signature
    if isinstance(signature, cst.Call) and dotted_name(signature.func).endswith("TensorSpec"):
        for i, arg in enumerate(signature.args):
            if (arg.keyword is not None and arg.keyword.value == "dtype") or (arg.keyword is None and i == 1):
                return arg.value
        return ctx.name("torch.float32")  # TensorSpec's default dtype
    raise CannotMigrate(
        f"output signature `{ctx.source(signature)}` is not a literal `tf.TensorSpec` or a tuple of them"
    )


class FromTensors(Rule):
    id = "data.from_tensors"
    names = ("tf.data.Dataset.from_tensors",)
    returns = {"tensorflow.data.Dataset.from_tensors": DATASET}
    summary = "`tf.data.Dataset.from_tensors((x, y))` → `[(torch.as_tensor(x), torch.as_tensor(y))]`: a one-element dataset."
    why = (
        "`from_tensors` makes a dataset of exactly one element, the whole value; a list of one "
        "element is a map-style dataset with that element (a `DataLoader` over it makes one "
        "batch with a leading dimension of 1, as `batch` does in tf.data)."
    )
    example = "import tensorflow as tf\n\nwhole = tf.data.Dataset.from_tensors((features, labels))\n"

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, ("tensors", "name"), ctx, "from_tensors")
        tensors = bound.get("tensors")
        if tensors is None:
            raise CannotMigrate("`from_tensors` needs its tensors")
        if isinstance(tensors, cst.Tuple):
            if any(isinstance(e, cst.StarredElement) or isinstance(e.value, (cst.Tuple, cst.Dict)) for e in tensors.elements):
                raise CannotMigrate("nested structures are not migrated")
            parts = [_as_tensor(e.value, ctx) for e in tensors.elements]
            element: cst.BaseExpression = cst.Tuple(
                [cst.Element(p, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for p in parts[:-1]]
                + [cst.Element(parts[-1], comma=cst.Comma() if len(parts) == 1 else cst.MaybeSentinel.DEFAULT)]
            )
        elif isinstance(tensors, cst.Dict):
            raise CannotMigrate(f"a dict of features: {_DICT_TODO}")
        else:
            element = _as_tensor(tensors, ctx)
        return _record(ctx, cst.List([cst.Element(element)]), MAP_STYLE)


class Zip(Rule):
    id = "data.zip"
    names = ("tf.data.Dataset.zip",)
    returns = {"tensorflow.data.Dataset.zip": DATASET}
    summary = "`tf.data.Dataset.zip((a, b))` → a generated `ZipDataset(a, b)` (an `IterableDataset`)."
    why = (
        "Element i is the tuple of the datasets' i-th elements, up to the shortest, as Python's "
        "`zip` gives. A dict of datasets stays a TODO."
    )
    example = (
        "import tensorflow as tf\n\n"
        "pairs = tf.data.Dataset.zip((tf.data.Dataset.range(3), tf.data.Dataset.range(3, 6)))\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        values = [a for a in call.args if not (a.keyword and a.keyword.value == "name")]
        if any(a.star or a.keyword for a in values):
            raise CannotMigrate("`zip` is migrated with its datasets given positionally")
        if len(values) == 1 and isinstance(values[0].value, cst.Tuple):
            datasets = [e.value for e in values[0].value.elements]
        elif len(values) > 1:  # TF 2.13+: zip(a, b)
            datasets = [a.value for a in values]
        else:
            raise CannotMigrate("only a literal tuple of datasets is migrated (a dict or a variable is not)")
        if any(isinstance(d, (cst.Tuple, cst.Dict)) for d in datasets):
            raise CannotMigrate("nested structures of datasets are not migrated")
        return _record(ctx, _call(helper("ZipDataset", ctx), *(_arg(d) for d in datasets)), ITERABLE)


# ---------------------------------------------------------------------------------------
# Transformations.


@dataclass(frozen=True)
class _Shuffle:
    buffer_size: cst.BaseExpression
    seed: cst.BaseExpression | None


_BATCH_SIGNATURE = ("batch_size", "drop_remainder", "num_parallel_calls", "deterministic", "name")
_SHUFFLE_SIGNATURE = ("buffer_size", "seed", "reshuffle_each_iteration", "name")


class Batch(Rule):
    id = "data.batch"
    names = ("tf.data.Dataset.batch",)
    returns = {"tensorflow.data.Dataset.batch": DATASET}
    summary = (
        "`ds.batch(n, drop_remainder=...)` → `DataLoader(ds, batch_size=n, drop_last=...)`; "
        "`ds.shuffle(k).batch(n)` of a map-style dataset → `DataLoader(ds, batch_size=n, shuffle=True)`."
    )
    why = (
        "A DataLoader with the default sequential sampler batches the elements in order, with "
        "the last short batch kept unless `drop_last=True` (`drop_remainder`). Batches of tuple "
        "elements come out as lists (`[x, y]`), which unpack the same way. A `shuffle(k)` right "
        "before the `batch` of a map-style dataset (`TensorDataset`, a tensor) becomes "
        "`shuffle=True`: a full permutation each epoch, where tf.data draws from a k-element "
        "buffer (the same only when k covers the dataset; orders cannot match across frameworks "
        "anyway); its `seed=` becomes a seeded `generator=`. `num_parallel_calls` and "
        "`deterministic` are dropped: batching is in order. Batching batches stays a TODO."
    )
    example = (
        "import tensorflow as tf\n\n"
        "train = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(1000).batch(32)\n"
        "test = tf.data.Dataset.from_tensor_slices((x, y)).batch(32, drop_remainder=True)\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, _BATCH_SIGNATURE, ctx, "batch")
        if "batch_size" not in bound:
            raise CannotMigrate("`batch` needs its batch size")
        source = _receiver(call)
        state = _state(ctx)
        folded = state.folded_shuffles.pop(id(source), None)
        shuffle = folded[1] if folded is not None and folded[0] is source else None
        if shuffle is None and _kind(source, ctx) == BATCHES:
            raise CannotMigrate("batching batches (a nested batch) has no DataLoader form")
        args = [_arg(source), _arg(bound["batch_size"], "batch_size")]
        if shuffle is not None:
            args.append(_arg(cst.Name("True"), "shuffle"))
            if shuffle.seed is not None:
                generator = _call(ctx.name("torch.Generator"))
                seeded = _call(cst.Attribute(generator, cst.Name("manual_seed")), _arg(shuffle.seed))
                args.append(_arg(seeded, "generator"))
        drop = bound.get("drop_remainder")
        if drop is not None and literal_or(drop, False) is not False:
            args.append(_arg(drop, "drop_last"))
        _consume_all(ctx, bound.get("num_parallel_calls"))
        loader = _call(ctx.name("torch.utils.data.DataLoader"), *args)
        return _record(ctx, loader, BATCHES)


class Shuffle(Rule):
    id = "data.shuffle"
    names = ("tf.data.Dataset.shuffle",)
    returns = {"tensorflow.data.Dataset.shuffle": DATASET}
    summary = "`ds.shuffle(buffer_size, seed)` → a generated `ShuffleBufferDataset` (tf.data's buffered shuffle)."
    why = (
        "tf.data shuffles through a buffer of `buffer_size` elements: each output is drawn "
        "uniformly from the buffer and replaced by the next input, so an element cannot move "
        "much more than a buffer's length ahead — not a full permutation. The generated "
        "`IterableDataset` does the same with a `torch.Generator` (seeded by `seed=`; a new order "
        "each pass unless `reshuffle_each_iteration=False`). The random streams differ, so the "
        "orders differ from TF's; the kind of shuffle is the same. Directly before a `batch` of "
        "a map-style dataset the shuffle becomes `DataLoader(shuffle=True)` instead (see `data.batch`)."
    )
    example = (
        "import tensorflow as tf\n\n"
        "ds = tf.data.Dataset.from_tensor_slices((x, y))\n"
        "ds = ds.shuffle(256, seed=7)\n"
        "ds = ds.batch(32)\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, _SHUFFLE_SIGNATURE, ctx, "shuffle")
        if "buffer_size" not in bound:
            raise CannotMigrate("`shuffle` needs its buffer size")
        source = _receiver(call)
        reshuffle = literal_or(bound.get("reshuffle_each_iteration"), True)
        if reshuffle is True and _kind(source, ctx) == MAP_STYLE and _batched_next(call, ctx):
            _state(ctx).folded_shuffles[id(source)] = (source, _Shuffle(bound["buffer_size"], bound.get("seed")))
            return source
        if _kind(source, ctx) == BATCHES:
            pass  # shuffling batches is fine: the buffer holds batches, as in tf.data
        args = [_arg(source), _arg(bound["buffer_size"])]
        if "seed" in bound:
            args.append(_arg(bound["seed"], "seed"))
        if "reshuffle_each_iteration" in bound and reshuffle is not True:
            args.append(_arg(bound["reshuffle_each_iteration"], "reshuffle_each_iteration"))
        return _record(ctx, _call(helper("ShuffleBufferDataset", ctx), *args), ITERABLE)


def _batched_next(call: cst.Call, ctx: RuleContext) -> bool:
    """Whether, in the original statement, this ``shuffle(...)`` is the receiver of a
    ``.batch(...)`` whose arguments the batch rule takes (so the fold cannot be lost). The
    original call is found by its arguments' text: every shuffle with the same arguments in
    the statement must be batched so."""
    wanted = ctx.source(cst.Call(cst.Name("f"), call.args))
    shuffles, batched = 0, 0
    for node in _walk(ctx.statement()):
        if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
            continue
        if node.func.attr.value == "shuffle" and ctx.source(cst.Call(cst.Name("f"), node.args)) == wanted:
            shuffles += 1
        inner = node.func.value
        if (
            node.func.attr.value == "batch"
            and isinstance(inner, cst.Call)
            and isinstance(inner.func, cst.Attribute)
            and inner.func.attr.value == "shuffle"
            and ctx.source(cst.Call(cst.Name("f"), inner.args)) == wanted
        ):
            keywords = {a.keyword.value for a in node.args if a.keyword is not None}
            positional = sum(1 for a in node.args if a.keyword is None)
            if not any(a.star for a in node.args) and keywords <= set(_BATCH_SIGNATURE) and positional <= 4:
                batched += 1
    return shuffles > 0 and shuffles == batched


class _Wrap(Rule):
    """A transformation that wraps its receiver in a generated dataset class."""

    helper_name: str
    signature: tuple[str, ...]
    required: str
    dropped: tuple[str, ...] = ()

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        method = qualified.rsplit(".", 1)[-1]
        bound = _bind(call, self.signature, ctx, method)
        self.check(bound, ctx)
        args = [_arg(_receiver(call))]
        if self.required in bound:
            args.append(_arg(bound[self.required]))
        elif self.required != "count":
            raise CannotMigrate(f"`{method}` needs `{self.required}`")
        for name in self.signature:
            if name not in (self.required, "name") and name not in self.dropped and name in bound:
                args.append(_arg(bound[name], name))
        _consume_all(ctx, *(bound.get(d) for d in self.dropped))
        return _record(ctx, _call(helper(self.helper_name, ctx), *args), self.kind(call, ctx))

    def check(self, bound: dict[str, cst.BaseExpression], ctx: RuleContext) -> None:
        pass

    def kind(self, call: cst.Call, ctx: RuleContext) -> str:
        return BATCHES if _kind(_receiver(call), ctx) == BATCHES else ITERABLE


class Map(_Wrap):
    id = "data.map"
    names = ("tf.data.Dataset.map",)
    returns = {"tensorflow.data.Dataset.map": DATASET}
    helper_name = "MapDataset"
    signature = ("map_func", "num_parallel_calls", "deterministic", "name")
    required = "map_func"
    dropped = ("num_parallel_calls", "deterministic")
    summary = "`ds.map(fn, num_parallel_calls=...)` → a generated `MapDataset(ds, fn)` (an `IterableDataset`)."
    why = (
        "`fn` runs on every element in order, a tuple element unpacked into arguments as tf.data "
        "does (so `lambda x, y: ...` keeps working); after a `batch` it runs on whole batches, "
        "as in tf.data. tf.data traces `fn` into a graph once, so Python side effects inside it "
        "(prints, counters) run once there and on every element here. `num_parallel_calls` and "
        "`deterministic` are dropped: the migrated pipeline maps in order, in the main process "
        "(a `DataLoader(num_workers=N)` over an `IterableDataset` would have every worker replay "
        "the whole stream)."
    )
    example = (
        "import tensorflow as tf\n\n"
        "ds = tf.data.Dataset.from_tensor_slices((x, y))\n"
        "ds = ds.map(lambda image, label: (image / 255.0, label), num_parallel_calls=tf.data.AUTOTUNE)\n"
        "ds = ds.batch(8)\n"
    )


class Filter(_Wrap):
    id = "data.filter"
    names = ("tf.data.Dataset.filter",)
    returns = {"tensorflow.data.Dataset.filter": DATASET}
    helper_name = "FilterDataset"
    signature = ("predicate", "name")
    required = "predicate"
    summary = "`ds.filter(predicate)` → a generated `FilterDataset(ds, predicate)` (an `IterableDataset`)."
    why = (
        "Keeps the elements for which the predicate is true, in order; a tuple element is "
        "unpacked into arguments as tf.data does. The predicate's scalar tensor is read with "
        "`bool(...)`."
    )
    example = "import tensorflow as tf\n\nevens = tf.data.Dataset.range(10).filter(lambda i: i % 2 == 0)\n"


class Repeat(_Wrap):
    id = "data.repeat"
    names = ("tf.data.Dataset.repeat",)
    returns = {"tensorflow.data.Dataset.repeat": DATASET}
    helper_name = "RepeatDataset"
    signature = ("count", "name")
    required = "count"
    summary = "`ds.repeat(count)` → a generated `RepeatDataset(ds, count)`; no count repeats forever."
    why = (
        "The source is read `count` times over, its elements running on across the pass "
        "boundaries (a `batch` after `repeat` makes batches that straddle epochs, as in tf.data). "
        "Without a count (or with -1) the dataset is infinite: a loop over it never ends by "
        "itself, as in TF, so `steps_per_epoch`-style limits must stay in the training loop."
    )
    example = "import tensorflow as tf\n\nds = tf.data.Dataset.range(3).repeat(2).batch(4)\nforever = tf.data.Dataset.range(3).repeat()\n"


class Take(_Wrap):
    id = "data.take"
    names = ("tf.data.Dataset.take",)
    returns = {"tensorflow.data.Dataset.take": DATASET}
    helper_name = "TakeDataset"
    signature = ("count", "name")
    required = "count"
    summary = "`ds.take(n)` → a generated `TakeDataset(ds, n)`: the first n elements (or batches)."
    why = "The first `count` elements in order (all of them for -1), as `itertools.islice` reads them."
    example = "import tensorflow as tf\n\nfirst = tf.data.Dataset.range(10).take(3)\n"

    def check(self, bound: dict[str, cst.BaseExpression], ctx: RuleContext) -> None:
        if "count" not in bound:
            raise CannotMigrate("`take` needs its count")


class Skip(Take):
    id = "data.skip"
    names = ("tf.data.Dataset.skip",)
    returns = {"tensorflow.data.Dataset.skip": DATASET}
    helper_name = "SkipDataset"
    summary = "`ds.skip(n)` → a generated `SkipDataset(ds, n)`: every element after the first n."
    why = "Every element after the first `count`, in order (none for -1), as `itertools.islice` reads them."
    example = "import tensorflow as tf\n\nrest = tf.data.Dataset.range(10).skip(3)\n"


class Unbatch(_Wrap):
    id = "data.unbatch"
    names = ("tf.data.Dataset.unbatch",)
    returns = {"tensorflow.data.Dataset.unbatch": DATASET}
    helper_name = "UnbatchDataset"
    signature = ("name",)
    required = "count"  # no argument besides the receiver
    summary = "`ds.unbatch()` → a generated `UnbatchDataset(ds)`: the rows of every batch, in order."
    why = "Splits each batch into its rows, as tf.data does; tuple batches give tuples of rows."
    example = "import tensorflow as tf\n\nrows = tf.data.Dataset.range(6).batch(4).unbatch()\n"

    def kind(self, call: cst.Call, ctx: RuleContext) -> str:
        return ITERABLE


class Enumerate(_Wrap):
    id = "data.enumerate"
    names = ("tf.data.Dataset.enumerate",)
    returns = {"tensorflow.data.Dataset.enumerate": DATASET}
    helper_name = "EnumerateDataset"
    signature = ("start", "name")
    required = "start"
    summary = "`ds.enumerate(start)` → a generated `EnumerateDataset(ds, start)`: `(index, element)` pairs."
    why = "The index is an int64 scalar tensor, as tf.data's; it counts from `start` (default 0)."
    example = "import tensorflow as tf\n\nnumbered = tf.data.Dataset.range(10, 13).enumerate(1)\n"

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, self.signature, ctx, "enumerate")
        args = [_arg(_receiver(call))] + ([_arg(bound["start"])] if "start" in bound else [])
        return _record(ctx, _call(helper(self.helper_name, ctx), *args), self.kind(call, ctx))


class PrefetchCache(Rule):
    id = "data.prefetch_cache"
    names = ("tf.data.Dataset.prefetch", "tf.data.Dataset.cache")
    returns = {_method("prefetch"): DATASET, _method("cache"): DATASET}
    summary = "`ds.prefetch(n)` and `ds.cache()` are dropped: the receiver stays."
    why = (
        "Both change speed, not values. `prefetch` overlaps input with training; a DataLoader "
        "prefetches with `num_workers > 0` (`prefetch_factor`) and `pin_memory=True` speeds host "
        "to GPU copies — for a map-style dataset add them to the DataLoader (an `IterableDataset` "
        "would be replayed by every worker). `cache()` keeps elements in memory after the first "
        "pass; the migrated sources are in-memory tensors already. One case where `cache` changes "
        "values: after a random `map` (augmentation) it freezes the first epoch's draws, which the "
        "migrated pipeline redraws every epoch. `cache(filename)` (an on-disk cache) stays a TODO."
    )
    example = (
        "import tensorflow as tf\n\n"
        "ds = tf.data.Dataset.from_tensor_slices((x, y)).cache().batch(32).prefetch(tf.data.AUTOTUNE)\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        method = qualified.rsplit(".", 1)[-1]
        if method == "cache":
            bound = _bind(call, ("filename", "name"), ctx, "cache")
            if literal_or(bound.get("filename"), "") != "":
                raise CannotMigrate(
                    "an on-disk cache has no DataLoader counterpart: save the prepared tensors "
                    "once (`torch.save`) and load them, or drop the cache"
                )
        else:
            bound = _bind(call, ("buffer_size", "name"), ctx, "prefetch")
        _consume_all(ctx, *bound.values())
        receiver = _receiver(call)
        if _reassigns_itself(receiver, call, ctx):
            ctx.replace_statement([])  # `ds = ds.prefetch(n)` has nothing left to do
        return receiver


def _reassigns_itself(receiver: cst.BaseExpression, call: cst.Call, ctx: RuleContext) -> bool:
    """Whether the statement is `name = name.<this call>` with nothing else on the line
    (no comment that deleting it would lose)."""
    statement = ctx.statement()
    if not (isinstance(receiver, cst.Name) and isinstance(statement, cst.SimpleStatementLine)):
        return False
    if len(statement.body) != 1 or not isinstance(statement.body[0], cst.Assign):
        return False
    if any(line.comment for line in statement.leading_lines) or statement.trailing_whitespace.comment:
        return False
    assign = statement.body[0]
    target = assign.targets[0].target if len(assign.targets) == 1 else None
    value = assign.value
    method = call.func.attr.value  # type: ignore[union-attr]
    calls = [
        n for n in _walk(value) if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == method
    ]
    outermost = len(calls) == 1 and calls[0] is value  # this call is the whole value
    return outermost and isinstance(target, cst.Name) and target.value == receiver.value


class Unsupported(Rule):
    id = "data.unsupported"
    names = tuple(
        f"tf.data.Dataset.{m}" for m in ("interleave", "flat_map", "padded_batch", "window", "shard", "bucket_by_sequence_length", "rejection_resample", "group_by_window")
    ) + (
        "tf.data.TFRecordDataset", "tf.data.TextLineDataset", "tf.data.FixedLengthRecordDataset",
        "tf.data.experimental.make_csv_dataset", "keras.utils.text_dataset_from_directory",
        "keras.preprocessing.text_dataset_from_directory", "keras.utils.audio_dataset_from_directory",
    )
    returns = {expand(n): DATASET for n in names}
    summary = (
        "tf.data transformations and file readers (TFRecord, text, CSV; text and audio "
        "directories) with no faithful DataLoader form stay TODOs that say what to use."
    )
    why = (
        "`TFRecordDataset` reads `tf.train.Example` protocol buffers, which only TF or a "
        "TFRecord reader can decode (the `tfrecord` package's `tfrecord.torch.dataset."
        "TFRecordDataset` with a feature description; or convert the records once to NumPy / "
        "WebDataset shards). `interleave` mixes several sources by `cycle_length`/`block_length`, "
        "`padded_batch` pads to the longest element (a `collate_fn` with "
        "`torch.nn.utils.rnn.pad_sequence`), `window`, `group_by_window` and "
        "`bucket_by_sequence_length` group elements in ways a sampler must be written for."
    )
    example = (
        "import tensorflow as tf\n\n"
        "records = tf.data.TFRecordDataset([\"train.tfrecord\"])\n"
        "lines = tf.data.Dataset.range(4).interleave(lambda i: tf.data.Dataset.range(i), cycle_length=2)\n"
    )

    _REASONS = {
        "TFRecordDataset": (
            "TFRecord files hold tf.train.Example protos that only TF or a TFRecord reader can "
            "decode: use `tfrecord.torch.dataset.TFRecordDataset` (pip install tfrecord) with a "
            "feature description, or convert the records once to NumPy/WebDataset shards"
        ),
        "TextLineDataset": "read the lines with a small IterableDataset over `open(path)` (tf.data strips the newline)",
        "FixedLengthRecordDataset": "read fixed-size records with `numpy.fromfile` or a small IterableDataset",
        "make_csv_dataset": "read the CSV with `pandas`/`csv` into tensors and use a TensorDataset",
        "text_dataset_from_directory": (
            "its elements are tf.string tensors, which torch has no type for: list the files as "
            "image_dataset_from_directory does (sorted class folders, label = folder index) in a "
            "Dataset that returns (text, label) and tokenizes the text itself"
        ),
        "audio_dataset_from_directory": (
            "decode the WAV files in a Dataset (`torchaudio.load` or `soundfile.read`), listing "
            "them as image_dataset_from_directory does (sorted class folders, label = folder index)"
        ),
        "interleave": (
            "interleave's cycle_length/block_length order has no DataLoader form: write a "
            "generator that round-robins over the inner datasets"
        ),
        "flat_map": "write a generator (an IterableDataset) that yields from each inner dataset in turn",
        "padded_batch": (
            "pad in the DataLoader's `collate_fn` (`torch.nn.utils.rnn.pad_sequence`; tf.data pads "
            "to the longest element of each batch with zeros unless padding_values is given)"
        ),
        "window": "sliding windows need a Dataset that indexes `data[i*shift : i*shift + size]`",
        "shard": "use `DistributedSampler(dataset, num_replicas, rank, shuffle=False)` (every num_shards-th element)",
    }

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        last = qualified.rsplit(".", 1)[-1]
        raise CannotMigrate(self._REASONS.get(last, f"`{last}` groups or resamples elements in a way a custom sampler must be written for"))


class Autotune(Rule):
    id = "data.autotune"
    names = ("tf.data.AUTOTUNE", "tf.data.experimental.AUTOTUNE")
    summary = "`tf.data.AUTOTUNE` → `-1` (its value), where it is not an argument the pipeline rewrite drops."
    why = (
        "`AUTOTUNE` is tf.data's sentinel -1 meaning 'let the runtime choose'. The `map`, "
        "`batch` and `prefetch` rewrites drop the arguments it feeds; a copy kept in a variable "
        "(`AUTOTUNE = tf.data.AUTOTUNE`) keeps its value, which no torch API reads."
    )
    example = "import tensorflow as tf\n\nAUTOTUNE = tf.data.AUTOTUNE\n"

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        return cst.UnaryOperation(cst.Minus(), cst.Integer("1"))


RULES: list[Rule] = [
    FromTensorSlices(),
    Range(),
    FromGenerator(),
    FromTensors(),
    Zip(),
    Batch(),
    Shuffle(),
    Map(),
    Filter(),
    Repeat(),
    Take(),
    Skip(),
    Unbatch(),
    Enumerate(),
    PrefetchCache(),
    Unsupported(),
    Autotune(),
]


# ---------------------------------------------------------------------------------------
# keras.utils.image_dataset_from_directory.

_IMAGE_HELPER = '''
class ImageDirectoryDataset(torch.utils.data.Dataset):
    """The files, labels and images of `keras.utils.image_dataset_from_directory`, read
    with Pillow.

    Files: the class subdirectories in alphanumeric order (or `class_names`), each walked in
    sorted order; with `shuffle`, put in the order NumPy's `RandomState(seed)` gives, as Keras
    does, so a `validation_split` keeps the same files in each subset. Images: decoded to
    `color_mode`, resized to `image_size` with half-pixel centres and no antialiasing (as
    `tf.image.resize`), float32 in [0, 255], channels first (C, H, W) for the migrated model."""

    FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
    MODES = {"rgb": "RGB", "grayscale": "L", "rgba": "RGBA"}

    def __init__(self, directory, image_size=(256, 256), labels="inferred", label_mode="int",
                 class_names=None, color_mode="rgb", shuffle=True, seed=None, validation_split=None,
                 subset=None, interpolation="bilinear", follow_links=False):
        if labels == "inferred" and class_names is None:
            class_names = sorted(
                entry for entry in os.listdir(directory)
                if os.path.isdir(os.path.join(directory, entry)) and not entry.startswith(".")
            )
        self.class_names = list(class_names) if labels == "inferred" else None
        self.paths, self.labels = [], []
        for index, subdir in enumerate(self.class_names or [""]):
            walk = os.walk(os.path.join(directory, subdir), followlinks=follow_links)
            for root, _, files in sorted(walk, key=lambda entry: entry[0]):
                for name in sorted(files):
                    if name.lower().endswith(self.FORMATS):
                        self.paths.append(os.path.join(root, name))
                        self.labels.append(index)
        if shuffle:
            seed = numpy.random.randint(1e6) if seed is None else seed
            numpy.random.RandomState(seed).shuffle(self.paths)
            numpy.random.RandomState(seed).shuffle(self.labels)
        if validation_split:
            count = int(validation_split * len(self.paths))
            kept = slice(None, -count) if subset == "training" else slice(-count, None)
            self.paths, self.labels = self.paths[kept], self.labels[kept]
        self.image_size = tuple(image_size) if isinstance(image_size, (tuple, list)) else (image_size, image_size)
        self.label_mode = label_mode if labels is not None else None
        self.mode = self.MODES[color_mode]
        self.interpolation = {"bilinear": "bilinear", "nearest": "nearest-exact"}[interpolation]

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        from PIL import Image  # Pillow; torchvision's ImageFolder would not split or resize as Keras does

        with Image.open(self.paths[index]) as image:
            pixels = numpy.asarray(image.convert(self.mode))
        image = torch.from_numpy(pixels.reshape(pixels.shape[0], pixels.shape[1], -1).copy())
        image = image.permute(2, 0, 1).float()[None]
        smooth = self.interpolation == "bilinear"
        image = torch.nn.functional.interpolate(
            image, size=self.image_size, mode=self.interpolation,
            align_corners=False if smooth else None, antialias=False,
        )[0]
        if self.label_mode is None:
            return image
        label = self.labels[index]
        if self.label_mode == "categorical":
            return image, torch.nn.functional.one_hot(torch.tensor(label), len(self.class_names)).float()
        if self.label_mode == "binary":
            return image, torch.tensor([label], dtype=torch.float32)
        return image, label
'''

_IMAGE_SIGNATURE = (
    "directory", "labels", "label_mode", "class_names", "color_mode", "batch_size", "image_size",
    "shuffle", "seed", "validation_split", "subset", "interpolation", "follow_links",
    "crop_to_aspect_ratio", "pad_to_aspect_ratio", "data_format", "verbose", "format",
)


class ImageDatasetFromDirectory(Rule):
    id = "data.image_dataset_from_directory"
    names = (
        "keras.utils.image_dataset_from_directory",
        "keras.preprocessing.image_dataset_from_directory",
    )
    returns = {
        "keras.utils.image_dataset_from_directory": DATASET,
        "keras.preprocessing.image_dataset_from_directory": DATASET,
    }
    summary = (
        "`keras.utils.image_dataset_from_directory(dir, ...)` → `DataLoader(ImageDirectoryDataset(dir, ...), "
        "batch_size=32, shuffle=True)` (a generated map-style dataset, Pillow-based)."
    )
    why = (
        "The generated dataset lists the files as Keras does (class subdirectories in "
        "alphanumeric order, label = the subdirectory's index, files in sorted order, formats "
        "bmp/gif/jpeg/jpg/png) and, with `shuffle=True`, orders them with NumPy's "
        "`RandomState(seed)` exactly as Keras does, so `validation_split` + `subset` (which needs "
        "a `seed`) put the same files in each subset. Each epoch the DataLoader then draws a full "
        "permutation, where Keras shuffles through a buffer of 8 batches (orders differ anyway). "
        "Images are float32 in [0, 255] like Keras's, resized with half-pixel centres and no "
        "antialiasing like `tf.image.resize` (bilinear, or nearest → `nearest-exact`), but "
        "channels first (C, H, W), as the migrated model takes them. Two differences remain: "
        "`int` labels are int64 (Keras: int32), and JPEG decoders and colour-to-grayscale "
        "weights differ between Pillow and TF, so such pixels can differ by a few levels. "
        "torchvision's `ImageFolder` is not used: it cannot reproduce the seeded split or TF's "
        "resize, and its CUDA builds break next to a CPU torch. `bicubic`/`area`/`lanczos` "
        "interpolation, `crop_to_aspect_ratio`, `pad_to_aspect_ratio` and explicit label lists "
        "stay TODOs. `subset=\"both\"` returns a (training, validation) pair of loaders, the "
        "validation one unshuffled; `ds.class_names` becomes `ds.dataset.class_names`."
    )
    example = (
        "import keras\n\n"
        "train_ds = keras.utils.image_dataset_from_directory(\n"
        "    \"photos/\", validation_split=0.2, subset=\"training\", seed=123,\n"
        "    image_size=(180, 180), batch_size=32)\n"
        "class_names = train_ds.class_names\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, _IMAGE_SIGNATURE, ctx, "image_dataset_from_directory")
        if "directory" not in bound:
            raise CannotMigrate("`image_dataset_from_directory` needs its directory")
        checks = {
            "labels": ("inferred", None),
            "label_mode": ("int", "categorical", "binary", None),
            "color_mode": ("rgb", "grayscale", "rgba"),
            "interpolation": ("bilinear", "nearest"),
            "crop_to_aspect_ratio": (False,),
            "pad_to_aspect_ratio": (False,),
            "data_format": (None, "channels_last"),
            "subset": ("training", "validation", "both", None),
            "format": ("tf", "grain"),  # Keras 3's backing pipeline: the same files and images
        }
        for name, allowed in checks.items():
            value = literal_or(bound.get(name), allowed[0])
            if value is NOT_LITERAL or value not in allowed:
                raise CannotMigrate(
                    f"`{name}={ctx.source(bound[name])}` is migrated only as a literal "
                    + " or ".join(repr(a) for a in allowed)
                )
        subset = literal_or(bound.get("subset"), None)
        originals = {
            (a.keyword.value if a.keyword else _IMAGE_SIGNATURE[i]): a for i, a in enumerate(call.args)
        }
        dataset_args = [NewArg(bound["directory"], None, originals["directory"])]
        if "image_size" not in bound:  # Keras's default, written out
            dataset_args.append(NewArg(to_tuple((256, 256)), "image_size"))
        for name in ("image_size", "labels", "label_mode", "class_names", "color_mode", "shuffle", "seed", "validation_split", "interpolation", "follow_links"):
            if name in bound:
                dataset_args.append(NewArg(bound[name], name, originals[name]))
        _consume_all(ctx, bound.get("verbose"), bound.get("data_format"), bound.get("format"))
        torch = ctx.source(ctx.name("torch"))
        code = _IMAGE_HELPER.lstrip("\n").replace("torch.", f"{torch}.").replace("numpy.", ctx.source(ctx.name("numpy")) + ".")
        code = code.replace("os.", ctx.source(ctx.name("os")) + ".")
        ctx.add_definition(list(cst.parse_module(code).body))
        batch_size = bound.get("batch_size", cst.Integer("32"))
        shuffle = bound.get("shuffle", cst.Name("True"))

        def loader(subset_value: str | None, shuffled: cst.BaseExpression) -> cst.BaseExpression:
            args = list(dataset_args)
            if subset_value is not None:
                args.append(NewArg(cst.SimpleString(f'"{subset_value}"'), "subset", originals.get("subset")))
            dataset = build_call(call, cst.Name("ImageDirectoryDataset"), args)
            if isinstance(batch_size, cst.Name) and batch_size.value == "None":
                return dataset  # unbatched: the images one by one
            return _record(ctx, _call(
                ctx.name("torch.utils.data.DataLoader"), _arg(dataset), _arg(batch_size, "batch_size"), _arg(shuffled, "shuffle")
            ), BATCHES)

        if subset == "both":
            return cst.Tuple([
                cst.Element(loader("training", shuffle), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                cst.Element(loader("validation", cst.Name("False"))),
            ])
        return loader(subset, shuffle)


def to_tuple(values: tuple) -> cst.BaseExpression:
    return cst.parse_expression(repr(tuple(values)))


class ClassNames(Rule):
    id = "data.class_names"
    names = (f"{DATASET}.class_names",)
    summary = "`ds.class_names` of an `image_dataset_from_directory` loader → `ds.dataset.class_names`."
    why = (
        "The migrated loader is a DataLoader; the class names live on its dataset. Only a name "
        "assigned straight from `image_dataset_from_directory` in the same function is "
        "rewritten: after a `map` or `prefetch` the loader is another object, so the names must "
        "be read before."
    )
    example = (
        "import keras\n\n"
        "train_ds = keras.utils.image_dataset_from_directory(\"photos/\", image_size=(64, 64))\n"
        "class_names = train_ds.class_names\n"
    )

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        assert isinstance(node, cst.Attribute)
        receiver = node.value
        assignment = _assignment(ctx, receiver.value) if isinstance(receiver, cst.Name) else None
        value = assignment.value if assignment is not None else None
        # `ds = ds.prefetch(n)` / `.cache()` are dropped, so the loader is still the same object.
        while (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Attribute)
            and value.func.attr.value in ("prefetch", "cache")
            and isinstance(value.func.value, (cst.Name, cst.Call))
        ):
            inner = value.func.value
            if isinstance(inner, cst.Name):
                assignment = _assignment(ctx, inner.value, assignment)
                value = assignment.value if assignment is not None else None
            else:
                value = inner
        if not (isinstance(value, cst.Call) and dotted_name(value.func).endswith("image_dataset_from_directory")):
            raise CannotMigrate(
                "read `class_names` from the loader `image_dataset_from_directory` returned "
                "(`loader.dataset.class_names`), before it is mapped or prefetched"
            )
        if any(a.keyword and a.keyword.value == "batch_size" and isinstance(a.value, cst.Name) and a.value.value == "None" for a in value.args):
            return node  # an unbatched dataset is the ImageDirectoryDataset itself
        return cst.Attribute(cst.Attribute(receiver, cst.Name("dataset")), cst.Name("class_names"))


RULES += [ImageDatasetFromDirectory(), ClassNames()]


# ---------------------------------------------------------------------------------------
# keras.utils.timeseries_dataset_from_array.

_TIMESERIES_HELPER = '''
class TimeseriesDataset(torch.utils.data.Dataset):
    """The windows of `keras.utils.timeseries_dataset_from_array`: window i is
    `data[p : p + sequence_length * sampling_rate : sampling_rate]` for the i-th start
    position p (every `sequence_stride` steps from `start_index`), with `targets[p]` beside
    it. With `shuffle`, the windows come in the order NumPy's `RandomState(seed)` gives,
    as Keras orders them."""

    def __init__(self, data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                 shuffle=False, seed=None, start_index=None, end_index=None):
        start = 0 if start_index is None else start_index
        end = len(data) if end_index is None else end_index
        count = end - start - (sequence_length - 1) * sampling_rate
        if targets is not None:
            count = min(count, len(targets))
        self.positions = numpy.arange(0, count, sequence_stride)
        if shuffle:
            numpy.random.RandomState(numpy.random.randint(1e6) if seed is None else seed).shuffle(self.positions)
        self.data = torch.as_tensor(numpy.asarray(data[start:end]))
        self.targets = None if targets is None else torch.as_tensor(numpy.asarray(targets[start:]))
        self.length, self.rate = sequence_length, sampling_rate

    def __len__(self):
        return len(self.positions)

    def __getitem__(self, index):
        position = int(self.positions[index])
        window = self.data[position : position + self.length * self.rate : self.rate]
        return window if self.targets is None else (window, self.targets[position])
'''

_TIMESERIES_SIGNATURE = (
    "data", "targets", "sequence_length", "sequence_stride", "sampling_rate", "batch_size",
    "shuffle", "seed", "start_index", "end_index", "format",
)


class TimeseriesDatasetFromArray(Rule):
    id = "data.timeseries_dataset_from_array"
    names = (
        "keras.utils.timeseries_dataset_from_array",
        "keras.preprocessing.timeseries_dataset_from_array",
    )
    returns = {n: DATASET for n in names}
    summary = (
        "`keras.utils.timeseries_dataset_from_array(data, targets, sequence_length, ...)` → "
        "`DataLoader(TimeseriesDataset(...), batch_size=128, shuffle=False)` (a generated map-style dataset)."
    )
    why = (
        "The generated dataset makes the same windows as Keras: the same start positions "
        "(every `sequence_stride` steps, limited by `start_index`/`end_index` and the number of "
        "targets), `sampling_rate` steps apart, the target of a window at its start; unshuffled "
        "they come in the same order (tested against Keras). With `shuffle=True` the windows are "
        "first ordered by NumPy's `RandomState(seed)` as in Keras; each epoch the DataLoader "
        "then draws a full permutation where Keras shuffles through a buffer of 8 batches. "
        "Values keep the array's dtype, as in Keras."
    )
    example = (
        "import keras\n\n"
        "windows = keras.utils.timeseries_dataset_from_array(\n"
        "    series, targets, sequence_length=24, sequence_stride=2, sampling_rate=6, batch_size=64)\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = _bind(call, _TIMESERIES_SIGNATURE, ctx, "timeseries_dataset_from_array")
        missing = [n for n in ("data", "targets", "sequence_length") if n not in bound]
        if missing:
            raise CannotMigrate(f"`timeseries_dataset_from_array` needs `{missing[0]}`")
        if literal_or(bound.get("format"), "tf") not in ("tf", "grain"):
            raise CannotMigrate("`format=` must be a literal \"tf\" or \"grain\"")
        originals = {(a.keyword.value if a.keyword else _TIMESERIES_SIGNATURE[i]): a for i, a in enumerate(call.args)}
        args = []
        for name in _TIMESERIES_SIGNATURE:
            if name in bound and name not in ("batch_size", "format"):
                keyword = originals[name].keyword is not None or name not in ("data", "targets", "sequence_length")
                args.append(NewArg(bound[name], name if keyword else None, originals[name]))
        _consume_all(ctx, bound.get("format"))
        torch = ctx.source(ctx.name("torch"))
        code = _TIMESERIES_HELPER.lstrip("\n").replace("torch.", f"{torch}.").replace("numpy.", ctx.source(ctx.name("numpy")) + ".")
        ctx.add_definition(list(cst.parse_module(code).body))
        dataset = build_call(call, cst.Name("TimeseriesDataset"), args)
        batch_size = bound.get("batch_size", cst.Integer("128"))
        if isinstance(batch_size, cst.Name) and batch_size.value == "None":
            return _record(ctx, dataset, MAP_STYLE)
        shuffle = bound.get("shuffle", cst.Name("False"))
        loader = _call(ctx.name("torch.utils.data.DataLoader"), _arg(dataset), _arg(batch_size, "batch_size"), _arg(shuffle, "shuffle"))
        return _record(ctx, loader, BATCHES)


RULES += [TimeseriesDatasetFromArray()]
