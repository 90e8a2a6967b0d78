"""``tf.summary`` (TensorBoard logging in custom loops) → ``torch.utils.tensorboard``.

TF writes a summary to the *default* writer — the one a ``with writer.as_default():`` block
(or ``writer.set_as_default()``) installed — at the step given to the call or to that block.
torch has no default writer: each value is written by a method of the ``SummaryWriter``
itself (``writer.add_scalar(tag, value, step)``). So the rewrite needs to see which writer
is the default where the summary is written: the ``with`` block around it, or a module-level
``set_as_default()``. A summary written in a function called from such a block cannot know
its writer and stays a TODO that says so.

The migrated code needs the ``tensorboard`` package, as the TensorBoard callback's does.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from migrate.rules.base import NOT_LITERAL, CannotMigrate, NewArg, Rule, RuleContext, argument, build_call, code_of, dotted_name, literal_or

WRITER = "tensorflow.summary.SummaryWriter"


def _is_none(node: cst.BaseExpression | None) -> bool:
    return node is None or (isinstance(node, cst.Name) and node.value == "None")


@dataclass(frozen=True)
class DefaultWriter:
    """The writer a summary call writes to, and the step its block set (if any)."""

    writer: str
    step: cst.BaseExpression | None


def _default_writer_call(node: cst.CSTNode) -> tuple[str, cst.BaseExpression | None] | None:
    """``("writer", step)`` for ``writer.as_default(step=…)`` / ``writer.set_as_default(…)``."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        if node.func.attr.value in ("as_default", "set_as_default") and dotted_name(node.func.value):
            step = argument(node, "step", 0)
            return dotted_name(node.func.value), None if step is None or _is_none(step.value) else step.value
    return None


class _BlockFinder(cst.CSTVisitor):
    """Walks down to one statement, keeping the ``with`` blocks open around it."""

    def __init__(self, root: cst.CSTNode, target: cst.CSTNode) -> None:
        self.root, self.target = root, target
        # Open blocks, innermost last: a DefaultWriter, None for another `with`, or _BARRIER
        # for a function defined inside (its body runs when called, not in the block).
        self.open: list[object] = []
        self.found: DefaultWriter | None = None

    def on_visit(self, node: cst.CSTNode) -> bool:
        if node is self.target:
            for block in reversed(self.open):
                if block is _BARRIER:
                    break
                if isinstance(block, DefaultWriter):
                    self.found = block
                    break
            return False
        return super().on_visit(node)

    def visit_With(self, node: cst.With) -> None:
        writers = [_default_writer_call(item.item) for item in node.items if item.asname is None]
        writer = next((w for w in writers if w is not None), None)
        self.open.append(DefaultWriter(*writer) if writer is not None else None)

    def leave_With(self, original_node: cst.With) -> None:
        self.open.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.open.append(None if node is self.root else _BARRIER)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.open.pop()


_BARRIER = object()


def _enclosing_block(root: cst.CSTNode, target: cst.CSTNode) -> DefaultWriter | None:
    """The innermost ``with W.as_default(...)`` of ``root`` whose body holds ``target``."""
    finder = _BlockFinder(root, target)
    root.visit(finder)
    return finder.found


def _module_default(module: cst.Module) -> DefaultWriter | None:
    """A top-level ``writer.set_as_default()`` statement: the writer of the whole file."""
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Expr):
                    writer = _default_writer_call(small.value)
                    if writer is not None and isinstance(small.value.func, cst.Attribute) and small.value.func.attr.value == "set_as_default":  # type: ignore[union-attr]
                        return DefaultWriter(*writer)
    return None


def default_writer(ctx: RuleContext) -> DefaultWriter:
    """The writer a summary call at the site writes to, or CannotMigrate saying why not."""
    found = _enclosing_block(ctx.scope(), ctx.statement()) or _module_default(ctx.module())
    if found is None:
        raise CannotMigrate(
            "the default writer is installed where this code cannot see it (torch has no default "
            "writer): pass the SummaryWriter in and call its `add_*` method"
        )
    return found


# -- the writer ------------------------------------------------------------------------


class CreateFileWriter(Rule):
    id = "summary.create_file_writer"
    names = ("tf.summary.create_file_writer",)
    returns = {"tensorflow.summary.create_file_writer": WRITER}
    summary = "`tf.summary.create_file_writer(logdir)` → `torch.utils.tensorboard.SummaryWriter(logdir)`."
    why = (
        "Both write TensorBoard event files into the directory, queueing up to 10 events and "
        "flushing every 2 minutes by default (`flush_millis` becomes `flush_secs`). TensorBoard "
        "reads both. `name` (a TF op name) goes; the `experimental_*` arguments stay a TODO."
    )
    example = 'writer = tf.summary.create_file_writer("logs/train")'

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        logdir = argument(call, "logdir", 0)
        if logdir is None:
            raise CannotMigrate("no log directory is given")
        extra = [a.keyword.value for a in call.args if a.keyword is not None and a.keyword.value.startswith("experimental_")]
        if extra:
            raise CannotMigrate(f"`{extra[0]}` has no SummaryWriter counterpart")
        args = [NewArg(logdir.value, None, logdir)]
        for index, keyword in enumerate(("max_queue", "flush_millis", "filename_suffix"), start=1):
            given = argument(call, keyword, index)
            if given is None or _is_none(given.value):
                continue
            value = given.value
            if keyword == "flush_millis":
                millis = literal_or(value, None)
                text = f"{millis / 1000!r}" if isinstance(millis, (int, float)) and millis is not NOT_LITERAL else f"{code_of(value)} / 1000"
                args.append(NewArg(cst.parse_expression(text), "flush_secs", given))
            else:
                args.append(NewArg(value, keyword, given))
        return build_call(call, ctx.name("torch.utils.tensorboard.SummaryWriter"), args)


class AsDefault(Rule):
    id = "summary.as_default"
    names = (f"{WRITER}.as_default", f"{WRITER}.set_as_default")
    summary = "`with writer.as_default():` gives way to its body; the summaries in it are written by `writer.add_*`."
    why = (
        "torch has no default writer: each summary call in the block becomes a method call on "
        "the writer (`tf.summary.scalar(...)` → `writer.add_scalar(...)`), so the block itself "
        "has nothing left to do. A step given to the block (`as_default(step=...)`) becomes "
        "the step of the summaries in it that give none. `writer.set_as_default()` at the top "
        "of a file goes the same way; elsewhere it stays a TODO."
    )
    example = (
        'writer = tf.summary.create_file_writer("logs")\n'
        "with writer.as_default():\n"
        '    tf.summary.scalar("loss", loss, step=epoch)\n'
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        statement = ctx.statement()
        if qualified.endswith(".set_as_default"):
            if _module_default(ctx.module()) is None or statement not in ctx.module().body:
                raise CannotMigrate("`set_as_default()` is followed only at the top of the file")
            ctx.replace_statement([])
            return call
        if not isinstance(statement, cst.With) or len(statement.items) != 1 or statement.items[0].asname is not None:
            raise CannotMigrate("only `with writer.as_default():` as the only item of its `with` is migrated")
        ctx.unwrap()
        return call


# -- the summaries ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Summary:
    method: str  # SummaryWriter's method
    data: str  # TF's name of the value argument
    extra: tuple[str, ...] = ()  # TF arguments after `step` and `description`, in order


_SUMMARIES = {
    "tensorflow.summary.scalar": _Summary("add_scalar", "data"),
    "tensorflow.summary.histogram": _Summary("add_histogram", "data", ("buckets",)),
    "tensorflow.summary.text": _Summary("add_text", "data"),
    "tensorflow.summary.image": _Summary("add_images", "data", ("max_outputs",)),
}


class SummaryValue(Rule):
    id = "summary.write"
    names = tuple(_SUMMARIES)
    summary = '`tf.summary.scalar("loss", loss, step=s)` in a writer\'s block → `writer.add_scalar("loss", loss, s)`.'
    why = (
        "The value goes to the writer whose `as_default()` block (or top-level "
        "`set_as_default()`) surrounds the call, at the call's step or else the block's. "
        "Scalars and text are written the same way. Histograms: TF2 buckets the values into "
        "30 equal-width buckets between their minimum and maximum, which `bins=30` does in "
        "torch (TensorBoard draws both alike; the bucket edges may differ in the last digit). "
        "Images: TF takes NHWC batches and writes the first `max_outputs` (3) images, which "
        "`add_images(..., dataformats=\"NHWC\")` is given; TF shows them one by one, torch as "
        "one grid, and float pixels are scaled by 255 and truncated in torch where TF rounds. "
        "`description` has no counterpart and goes. Without a step anywhere, TF reads the "
        "global step of `tf.summary.experimental.set_step`: that stays a TODO."
    )
    example = (
        'writer = tf.summary.create_file_writer("logs")\n'
        "with writer.as_default():\n"
        '    tf.summary.scalar("loss", loss, step=epoch)\n'
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        spec = _SUMMARIES[qualified]
        name, data, step = argument(call, "name", 0), argument(call, spec.data, 1), argument(call, "step", 2)
        if name is None or data is None:
            raise CannotMigrate("the summary's name or value is missing")
        default = default_writer(ctx)
        step_value = step.value if step is not None and not _is_none(step.value) else default.step
        if step_value is None:
            raise CannotMigrate("no step is given: TF reads the one `tf.summary.experimental.set_step` set; pass it as `step=`")
        step_arg = step if step is not None and step.value is step_value else None
        values = data.value
        if spec.method == "add_images":
            outputs = argument(call, "max_outputs", 3)
            if not dotted_name(values):
                raise CannotMigrate("the images are not a name: slicing them to `max_outputs` would compute them twice")
            values = cst.parse_expression(f"{code_of(values)}[:{code_of(outputs.value) if outputs else '3'}]")
        args = [NewArg(name.value, None, name), NewArg(values, None, data), NewArg(step_value, None, step_arg)]
        if spec.method == "add_histogram":
            buckets = argument(call, "buckets", 4)
            bins = buckets.value if buckets is not None and not _is_none(buckets.value) else cst.Integer("30")
            args.append(NewArg(bins, "bins", buckets))
        if spec.method == "add_images":
            args.append(NewArg(cst.SimpleString('"NHWC"'), "dataformats"))
        method = cst.Attribute(value=cst.parse_expression(default.writer), attr=cst.Name(spec.method))
        return build_call(call, method, args)


class Flush(Rule):
    id = "summary.flush"
    names = ("tf.summary.flush",)
    summary = "`tf.summary.flush(writer)` → `writer.flush()`."
    why = "Both write the queued events to disk. Without a writer, TF flushes the default one: the writer of the surrounding block."
    example = "tf.summary.flush(writer)"

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        writer = argument(call, "writer", 0)
        target = code_of(writer.value) if writer is not None and not _is_none(writer.value) else default_writer(ctx).writer
        return cst.parse_expression(f"{target}.flush()")


RULES = [CreateFileWriter(), AsDefault(), SummaryValue(), Flush()]
