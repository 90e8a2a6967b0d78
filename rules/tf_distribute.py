"""``tf.distribute`` strategies → ``torch.distributed`` with DistributedDataParallel (DDP).

MirroredStrategy keeps one model replica per device in one process and splits each global
batch between them; MultiWorkerMirroredStrategy does the same over several machines. PyTorch
runs one process per device instead, started by ``torchrun``, and DDP averages the gradients
across processes in ``backward()``. So:

* ``strategy = tf.distribute.MirroredStrategy()`` → ``torch.distributed.init_process_group(...)``
  with the ``torchrun`` launch line written above it (and in the rule's docs);
* ``with strategy.scope():`` → the models built in it are wrapped in
  ``DistributedDataParallel`` right after the block, and the ``with`` statement gives way
  to its body;
* ``strategy.num_replicas_in_sync`` → ``torch.distributed.get_world_size()``;
  ``strategy.run(fn, args=...)`` → ``fn(*args)`` (each process runs its own replica);
  ``strategy.reduce(op, value, axis)`` → an all-reduce; ``experimental_distribute_dataset``
  → every process reads the same global batches and keeps its own slice of each.

TPU, parameter-server and central-storage strategies stay TODOs that say why.
"""

from __future__ import annotations

from typing import Iterator

import libcst as cst

from migrate.rules.base import CannotMigrate, NotLiteral, Rule, RuleContext, dotted_name, literal

STRATEGY = "tensorflow.distribute.Strategy"

#: The attributes of a strategy the rules below rewrite; any other use of the variable
#: would be left dangling once its assignment is gone.
_HANDLED = frozenset({"scope", "run", "reduce", "experimental_distribute_dataset", "num_replicas_in_sync"})

LAUNCH = "torchrun --nproc_per_node={n} {script}"


def launch_command(processes: str = "<devices per machine>", script: str = "<script>.py") -> str:
    """The command that starts a migrated distributed script (one process per device)."""
    return LAUNCH.format(n=processes, script=script)


def _walk_with_parents(node: cst.CSTNode, parent: cst.CSTNode | None = None) -> Iterator[tuple[cst.CSTNode, cst.CSTNode | None]]:
    yield node, parent
    for child in node.children:
        yield from _walk_with_parents(child, node)


def _arg(value: cst.BaseExpression, keyword: str | None = None) -> cst.Arg:
    if keyword is None:
        return cst.Arg(value)
    return cst.Arg(value, keyword=cst.Name(keyword), equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))


def _statements(code: str) -> list[cst.BaseStatement]:
    return list(cst.parse_module(code).body)


_STRATEGY_CLASSES = ("MirroredStrategy", "MultiWorkerMirroredStrategy")


def strategy_blocker(statement: cst.CSTNode, call: cst.Call, ctx: RuleContext) -> str | None:
    """Why the strategy built by ``call`` (in ``statement``, as parsed) cannot become a
    process group, or None when it can."""
    if not (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Assign)
        and len(statement.body[0].targets) == 1
        and isinstance(statement.body[0].targets[0].target, cst.Name)
    ):
        return "only `strategy = tf.distribute.MirroredStrategy(...)` on a line of its own is migrated"
    for arg in call.args:
        keyword = arg.keyword.value if arg.keyword else None
        if arg.star or keyword not in (None, "devices", "cross_device_ops", "communication_options", "cluster_resolver"):
            return f"`{ctx.source(arg)}` has no torch.distributed counterpart"
        if keyword == "cluster_resolver":
            return (
                "a cluster resolver names the workers; torchrun takes them as `--nnodes`, "
                "`--node_rank` and `--rdzv_endpoint` — set those and drop the resolver"
            )
    name = statement.body[0].targets[0].target.value
    for node, parent in _walk_with_parents(ctx.module()):
        if not (isinstance(node, cst.Name) and node.value == name):
            continue
        if isinstance(parent, (cst.AssignTarget, cst.Param)):
            continue
        if isinstance(parent, cst.Attribute) and parent.value is node:
            if parent.attr.value in _HANDLED:
                continue
            return f"`{name}.{parent.attr.value}` has no torch.distributed counterpart yet"
        if isinstance(parent, cst.Attribute):
            continue  # `x.strategy`: another object's attribute
        return (
            f"`{name}` is used as a value; once it is gone that use needs the process group "
            "(`torch.distributed`) instead"
        )
    return None


def require_migrated_strategy(receiver: cst.BaseExpression, ctx: RuleContext) -> None:
    """Raise CannotMigrate unless ``receiver`` names a strategy built in this file that the
    strategy rule turns into a process group (else its uses must stay TF too)."""
    if not isinstance(receiver, cst.Name):
        raise CannotMigrate("only a strategy held in a variable of this file is migrated")
    for node, _ in _walk_with_parents(ctx.module()):
        if not (isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1 and isinstance(node.body[0], cst.Assign)):
            continue
        assign = node.body[0]
        targets = [t.target for t in assign.targets]
        if any(isinstance(t, cst.Name) and t.value == receiver.value for t in targets):
            value = assign.value
            if isinstance(value, cst.Call) and dotted_name(value.func).rsplit(".", 1)[-1] in _STRATEGY_CLASSES:
                reason = strategy_blocker(node, value, ctx)
                if reason:
                    raise CannotMigrate(f"`{receiver.value}` stays a TF strategy (see its TODO): {reason}")
                return
    raise CannotMigrate(f"`{receiver.value}` is not a MirroredStrategy built in this file")


class MirroredStrategy(Rule):
    id = "distribute.mirrored_strategy"
    names = (
        "tf.distribute.MirroredStrategy",
        "tf.distribute.MultiWorkerMirroredStrategy",
        "tf.distribute.experimental.MultiWorkerMirroredStrategy",
    )
    returns = {
        "tensorflow.distribute.MirroredStrategy": STRATEGY,
        "tensorflow.distribute.MultiWorkerMirroredStrategy": STRATEGY,
        "tensorflow.distribute.experimental.MultiWorkerMirroredStrategy": STRATEGY,
    }
    summary = (
        "`strategy = tf.distribute.MirroredStrategy()` → `torch.distributed.init_process_group(...)`, "
        "launched with `torchrun --nproc_per_node=N script.py`."
    )
    why = (
        "MirroredStrategy runs one replica per GPU inside one process; PyTorch runs one process "
        "per GPU, started by `torchrun --nproc_per_node=<GPUs> script.py` (several machines: add "
        "`--nnodes`, `--node_rank` and `--rdzv_endpoint`, where MultiWorkerMirroredStrategy read "
        "`TF_CONFIG`). Each process joins the group with NCCL on GPUs and gloo on CPUs, and uses "
        "the GPU `torchrun` gives it (`LOCAL_RANK`). DDP all-reduces the gradients in "
        "`backward()` as the strategy's cross-device ops did, so `cross_device_ops` and "
        "`communication_options` are dropped. The strategy variable is gone: its `scope()`, "
        "`run`, `reduce`, `experimental_distribute_dataset` and `num_replicas_in_sync` are "
        "rewritten where they are used; any other use of it keeps the assignment a TODO."
    )
    example = (
        "import tensorflow as tf\n\n"
        "strategy = tf.distribute.MirroredStrategy()\n"
        "global_batch = 64 * strategy.num_replicas_in_sync\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        reason = strategy_blocker(ctx.statement(), call, ctx)
        if reason:
            raise CannotMigrate(reason)
        for arg in call.args:  # the collective implementation: DDP picks its own
            if arg.keyword and arg.keyword.value in ("cross_device_ops", "communication_options"):
                ctx.consume(arg.value)
        devices = next((a.value for a in call.args if (a.keyword and a.keyword.value == "devices") or (a.keyword is None)), None)
        processes = "<GPUs per machine>"
        if devices is not None:
            try:
                processes = str(len(literal(devices)))
            except (NotLiteral, TypeError):
                pass
        torch = ctx.source(ctx.name("torch"))
        os_ = ctx.source(ctx.name("os"))
        multi = "MultiWorker" in qualified
        launch = launch_command(processes, "<this script>.py")
        if multi:
            launch = launch.replace(
                "torchrun ", "torchrun --nnodes=<machines> --node_rank=<this machine> --rdzv_endpoint=<host:port> "
            )
        code = (
            f'{torch}.distributed.init_process_group(backend="nccl" if {torch}.cuda.is_available() else "gloo")\n'
            f"if {torch}.cuda.is_available():\n"
            f'    {torch}.cuda.set_device(int({os_}.environ["LOCAL_RANK"]))\n'
        )
        statements = _statements(code)
        note = cst.EmptyLine(comment=cst.Comment(f"# One process per device: launch with `{launch}`."))
        statements[0] = statements[0].with_changes(leading_lines=[note])
        ctx.replace_statement(statements)
        ctx.note(f"one process per device: launch with `{launch}`")
        return call

class StrategyScope(Rule):
    id = "distribute.scope"
    names = (f"{STRATEGY}.scope",)
    summary = (
        "`with strategy.scope():` → the models built in the block are wrapped in "
        "`DistributedDataParallel` right after it."
    )
    why = (
        "Under a strategy's scope, variables are mirrored on every replica. DDP instead "
        "broadcasts rank 0's parameters when it wraps the model and keeps the replicas in step "
        "by all-reducing (averaging) gradients in `backward()`, so the model built in the block "
        "(a name later compiled or fitted or whose trainable variables the file reads, or one "
        "built by a Keras model constructor or a Keras model subclass of the file) is wrapped "
        "after the "
        "block: `model = DistributedDataParallel(model)`, on this process's GPU when there is "
        "one. In a custom loop (the file calls `strategy.run`), the TF guide scales each "
        "replica's loss by the global batch size and `apply_gradients` adds the replicas' "
        "gradients; DDP averages them, so a `sum_gradients` communication hook is registered "
        "to add them instead (with `fit`, Keras averages, as DDP does). Save `model.module.state_dict()` to get keys without the `module.` prefix. The "
        "`with` statement gives way to its body."
    )
    example = (
        "import tensorflow as tf\n"
        "from tensorflow import keras\n\n"
        "strategy = tf.distribute.MirroredStrategy()\n"
        "with strategy.scope():\n"
        "    model = build_model()\n"
        "    model.compile(optimizer=\"adam\", loss=\"mse\")\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        require_migrated_strategy(call.func.value, ctx)  # type: ignore[attr-defined]
        statement = ctx.statement()
        if not isinstance(statement, cst.With) or len(statement.items) != 1:
            raise CannotMigrate("`strategy.scope()` is migrated as the only item of a `with` statement")
        models = _models_built_in(statement, ctx)
        torch = ctx.source(ctx.name("torch"))
        wraps = [
            f"{m} = {torch}.nn.parallel.DistributedDataParallel({m}.cuda() if {torch}.cuda.is_available() else {m})\n"
            for m in models
        ]
        if not models and _custom_loop(ctx):
            raise CannotMigrate(
                "no model is built in this block that the file trains: wrap the model in "
                "`torch.nn.parallel.DistributedDataParallel` by hand, or its replicas will not "
                "stay in step"
            )
        if wraps and _custom_loop(ctx):
            # strategy.run steps scale each replica's loss by the global batch and the
            # optimizer adds the replicas' gradients; DDP would average them.
            ctx.add_definition(_statements(_SUM_HOOK.lstrip("\n").replace("torch.", f"{torch}.")))
            wraps += [f"{m}.register_comm_hook(None, sum_gradients)\n" for m in models]
        if wraps:
            ctx.insert_after(_statements("".join(wraps)))
        ctx.unwrap()
        return call


_MODEL_CONSTRUCTORS = ("Sequential", "Model", "Functional")

_SUM_HOOK = '''
def sum_gradients(state, bucket):
    """A DDP communication hook that adds the processes' gradients, as MirroredStrategy's
    `apply_gradients` adds the replicas' (DDP's default hook averages them)."""
    reduced = torch.distributed.all_reduce(bucket.buffer(), async_op=True).get_future()
    return reduced.then(lambda future: future.value()[0])
'''


def _custom_loop(ctx: RuleContext) -> bool:
    """Whether the file runs its own steps on the replicas (`strategy.run`): the TF guide's
    custom loop, whose per-replica losses are scaled by the global batch size."""
    for node, _ in _walk_with_parents(ctx.module()):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "run":
            if ctx.type_of(node.func.value) == STRATEGY or dotted_name(node.func.value) in _strategy_names(ctx):
                return True
    return False


def _strategy_names(ctx: RuleContext) -> set[str]:
    """Names assigned a MirroredStrategy anywhere in the file."""
    names = set()
    for node, _ in _walk_with_parents(ctx.module()):
        if isinstance(node, cst.Assign) and isinstance(node.value, cst.Call) and len(node.targets) == 1:
            target = node.targets[0].target
            if isinstance(target, cst.Name) and dotted_name(node.value.func).endswith("MirroredStrategy"):
                names.add(target.value)
    return names


def _models_built_in(block: cst.With, ctx: RuleContext) -> list[str]:
    """Names assigned in the block that hold a model: compiled or fitted in the file, whose
    trainable variables the file reads (a custom loop), or built by a Keras model constructor
    or a class of the file that subclasses a Keras model."""
    trained: set[str] = set()
    model_classes = set(_MODEL_CONSTRUCTORS)
    for node, _ in _walk_with_parents(ctx.module()):
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in ("compile", "fit", "train_on_batch")
            and isinstance(node.func.value, cst.Name)
        ):
            trained.add(node.func.value.value)
        elif (
            isinstance(node, cst.Attribute)
            and node.attr.value in ("trainable_variables", "trainable_weights")
            and isinstance(node.value, cst.Name)
        ):
            trained.add(node.value.value)
        elif isinstance(node, cst.ClassDef) and any(
            dotted_name(base.value).rsplit(".", 1)[-1] in _MODEL_CONSTRUCTORS for base in node.bases
        ):
            model_classes.add(node.name.value)
    found: list[str] = []
    for node, _ in _walk_with_parents(block.body):
        if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            name = node.targets[0].target.value
            value = node.value
            constructor = isinstance(value, cst.Call) and dotted_name(value.func).rsplit(".", 1)[-1] in model_classes
            if (name in trained or constructor) and name not in found:
                found.append(name)
    return found


class NumReplicas(Rule):
    id = "distribute.num_replicas_in_sync"
    names = (f"{STRATEGY}.num_replicas_in_sync",)
    summary = "`strategy.num_replicas_in_sync` → `torch.distributed.get_world_size()`."
    why = "One process per replica: the number of replicas is the number of processes in the group."
    example = (
        "import tensorflow as tf\n\n"
        "strategy = tf.distribute.MirroredStrategy()\n"
        "global_batch = 64 * strategy.num_replicas_in_sync\n"
    )

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        require_migrated_strategy(node.value, ctx)  # type: ignore[attr-defined]
        return cst.Call(ctx.name("torch.distributed.get_world_size"))


class StrategyRun(Rule):
    id = "distribute.run"
    names = (f"{STRATEGY}.run",)
    summary = "`strategy.run(fn, args=(a, b))` → `fn(a, b)`: each process runs its own replica."
    why = (
        "MirroredStrategy calls `fn` once per replica and returns per-replica values; with one "
        "process per replica, each process calls `fn` once and gets its own plain value, which "
        "`strategy.reduce` (an all-reduce) combines."
    )
    example = (
        "import tensorflow as tf\n\n"
        "strategy = tf.distribute.MirroredStrategy()\n"
        "losses = strategy.run(train_step, args=(batch,))\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        require_migrated_strategy(call.func.value, ctx)  # type: ignore[attr-defined]
        fn = None
        args: list[cst.Arg] = []
        for i, arg in enumerate(call.args):
            keyword = arg.keyword.value if arg.keyword else None
            if arg.star:
                raise CannotMigrate("`run(*...)` hides which function runs")
            if keyword in (None, "fn") and fn is None and (keyword or i == 0):
                fn = arg.value
            elif keyword == "args" or (keyword is None and i == 1):
                if isinstance(arg.value, cst.Tuple):
                    args.extend(_arg(e.value) for e in arg.value.elements)
                else:
                    args.append(cst.Arg(arg.value, star="*"))
            elif keyword == "kwargs" or (keyword is None and i == 2):
                if isinstance(arg.value, cst.Dict) and all(
                    isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString) for e in arg.value.elements
                ):
                    args.extend(_arg(e.value, literal(e.key)) for e in arg.value.elements)  # type: ignore[union-attr]
                else:
                    args.append(cst.Arg(arg.value, star="**"))
            else:
                raise CannotMigrate(f"`run` has no argument `{keyword}=`")
        if fn is None:
            raise CannotMigrate("`run` needs the function it runs")
        if not isinstance(fn, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
            fn = fn.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return cst.Call(fn, args)


_REDUCE_HELPER = '''
def all_reduce(value, op, axis=None):
    """`strategy.reduce(op, value, axis)` with one process per replica: "SUM" adds the
    processes' values; "MEAN" divides that by the number of values added (processes, times
    the length of `axis` when one is given, as TF averages over the whole global batch)."""
    value = torch.as_tensor(value).detach().clone()
    count = torch.tensor(1.0 if axis is None else float(value.shape[axis]), device=value.device)
    if axis is not None:
        value = value.sum(axis)
    torch.distributed.all_reduce(value)
    if op == "MEAN":
        torch.distributed.all_reduce(count)
        value = value / count
    return value
'''


class StrategyReduce(Rule):
    id = "distribute.reduce"
    names = (f"{STRATEGY}.reduce",)
    summary = "`strategy.reduce(ReduceOp.SUM | MEAN, value, axis)` → a generated `all_reduce(value, \"SUM\" | \"MEAN\", axis)`."
    why = (
        "Each process holds its replica's value; `torch.distributed.all_reduce` sums them in "
        "every process. MEAN divides by the number of values summed: the processes, times the "
        "length of `axis` when the values are first summed along it (TF's mean over the global "
        "batch). The result is detached: it is for logging, as the strategy's was."
    )
    example = (
        "import tensorflow as tf\n\n"
        "strategy = tf.distribute.MirroredStrategy()\n"
        "total = strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica_loss, axis=None)\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        require_migrated_strategy(call.func.value, ctx)  # type: ignore[attr-defined]
        names = ("reduce_op", "value", "axis")
        bound: dict[str, cst.BaseExpression] = {}
        for i, arg in enumerate(call.args):
            if arg.star:
                raise CannotMigrate("`reduce(*...)` hides its arguments")
            key = arg.keyword.value if arg.keyword else (names[i] if i < len(names) else None)
            if key not in names:
                raise CannotMigrate(f"`reduce` has no argument `{key}=`")
            bound[key] = arg.value
        if "reduce_op" not in bound or "value" not in bound:
            raise CannotMigrate("`reduce` needs an op and a value")
        op = bound["reduce_op"]
        try:
            text = str(literal(op)).upper()
        except NotLiteral:
            text = dotted_name(op).rsplit(".", 1)[-1]
        if text not in ("SUM", "MEAN"):
            raise CannotMigrate(f"reduce op `{ctx.source(op)}` is not a literal ReduceOp.SUM or ReduceOp.MEAN")
        ctx.consume(op)
        torch = ctx.source(ctx.name("torch"))
        ctx.add_definition(_statements(_REDUCE_HELPER.lstrip("\n").replace("torch.", f"{torch}.")))
        args = [_arg(bound["value"]), _arg(cst.SimpleString(f'"{text}"'))]
        axis = bound.get("axis")
        if axis is not None and not (isinstance(axis, cst.Name) and axis.value == "None"):
            args.append(_arg(axis, "axis"))
        return cst.Call(cst.Name("all_reduce"), args)


_SHARD_HELPER = '''
class ReplicaBatches:
    """`strategy.experimental_distribute_dataset`: every process reads the same global
    batches and keeps its own slice of each (rows split as evenly as possible), as each
    replica does under MirroredStrategy. Every process must read the batches in the same
    order: seed the script (`torch.manual_seed`) the same way in every process."""

    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        rank, world = torch.distributed.get_rank(), torch.distributed.get_world_size()
        for batch in self.batches:
            yield self.slice(batch, rank, world)

    def slice(self, batch, rank, world):
        if isinstance(batch, (tuple, list)):
            return type(batch)(self.slice(part, rank, world) for part in batch)
        if isinstance(batch, dict):
            return {key: self.slice(part, rank, world) for key, part in batch.items()}
        return torch.tensor_split(batch, world)[rank]
'''


class DistributeDataset(Rule):
    id = "distribute.distribute_dataset"
    names = (f"{STRATEGY}.experimental_distribute_dataset", f"{STRATEGY}.distribute_datasets_from_function")
    returns = {f"{STRATEGY}.experimental_distribute_dataset": "tensorflow.data.Dataset"}
    summary = (
        "`strategy.experimental_distribute_dataset(ds)` → a generated `ReplicaBatches(ds)`: each "
        "process keeps its slice of every global batch."
    )
    why = (
        "Under MirroredStrategy the dataset's batch is the global batch, split between the "
        "replicas. `ReplicaBatches` does the same in each process: it reads the global batches "
        "and keeps rows `rank` of `world_size` (`torch.tensor_split`), so the gradient DDP "
        "averages is the global batch's. Every process must read the batches in the same order: "
        "seed all processes alike. `distribute_datasets_from_function` stays a TODO: its "
        "function builds a per-replica pipeline from an `InputContext` (use a `DistributedSampler`)."
    )
    example = (
        "import tensorflow as tf\n\n"
        "strategy = tf.distribute.MirroredStrategy()\n"
        "dist_ds = strategy.experimental_distribute_dataset(train_ds)\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if qualified.endswith("distribute_datasets_from_function"):
            raise CannotMigrate(
                "the function builds one pipeline per replica from an InputContext: build one "
                "DataLoader per process with `DistributedSampler(dataset)` (and "
                "`sampler.set_epoch(epoch)` each epoch)"
            )
        require_migrated_strategy(call.func.value, ctx)  # type: ignore[attr-defined]
        values = [a for a in call.args if not (a.keyword and a.keyword.value == "options")]
        if len(values) != 1 or values[0].star or (values[0].keyword and values[0].keyword.value != "dataset"):
            raise CannotMigrate("`experimental_distribute_dataset` is migrated with one dataset argument")
        options = [a for a in call.args if a.keyword and a.keyword.value == "options"]
        if options:
            raise CannotMigrate("`options=` (InputOptions) has no counterpart: each process reads the global batches")
        return replica_batches(values[0].value, ctx)


def under_strategy(ctx: RuleContext) -> bool:
    """Whether the file builds a MirroredStrategy or MultiWorkerMirroredStrategy (which the
    rules above turn into a process group)."""
    return any(
        isinstance(node, cst.Call) and dotted_name(node.func).rsplit(".", 1)[-1] in ("MirroredStrategy", "MultiWorkerMirroredStrategy")
        for node, _ in _walk_with_parents(ctx.module())
    )


def replica_batches(batches: cst.BaseExpression, ctx: RuleContext) -> cst.BaseExpression:
    """``ReplicaBatches(batches)``, defining the class once: for a rule whose Keras call
    distributes its dataset by itself under a strategy (``model.fit(ds)``,
    ``model.evaluate(ds)``), so each process trains on its slice of every global batch."""
    torch = ctx.source(ctx.name("torch"))
    ctx.add_definition(_statements(_SHARD_HELPER.lstrip("\n").replace("torch.", f"{torch}.")))
    return cst.Call(cst.Name("ReplicaBatches"), [_arg(batches)])


class OtherStrategies(Rule):
    id = "distribute.unsupported"
    names = (
        "tf.distribute.TPUStrategy",
        "tf.distribute.experimental.TPUStrategy",
        "tf.distribute.cluster_resolver.TPUClusterResolver",
        "tf.tpu.experimental.initialize_tpu_system",
        "tf.config.experimental_connect_to_cluster",
        "tf.distribute.experimental.ParameterServerStrategy",
        "tf.distribute.ParameterServerStrategy",
        "tf.distribute.experimental.CentralStorageStrategy",
        "tf.distribute.OneDeviceStrategy",
    )
    summary = "TPU, parameter-server, central-storage and one-device strategies stay TODOs that say why."
    why = (
        "PyTorch core has no TPU backend: TPUs run PyTorch through torch_xla (PJRT, SPMD "
        "sharding), a different runtime with its own input pipeline and launch, so a TPU script "
        "is a port, not a rewrite (`migrate audit` flags it as a blocker). Parameter servers have "
        "no torch.distributed counterpart (use DDP, or FSDP for large models); CentralStorage "
        "keeps variables on the CPU (DDP on one machine is the usual replacement); "
        "OneDeviceStrategy is plain placement: `model.to(device)`."
    )
    example = (
        "import tensorflow as tf\n\n"
        "resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=\"\")\n"
        "strategy = tf.distribute.TPUStrategy(resolver)\n"
    )

    _TPU = (
        "PyTorch core has no TPU backend; TPUs run PyTorch through torch_xla (PJRT, SPMD sharding), "
        "a different runtime with its own data loading and launch — port this by hand or keep it on TF"
    )
    _REASONS = {
        "ParameterServerStrategy": "torch.distributed has no parameter servers: use DDP (or FSDP for models too large for one device)",
        "CentralStorageStrategy": "keeps variables on the CPU and computes on the GPUs: use DDP on one machine instead",
        "OneDeviceStrategy": "one device is plain placement in PyTorch: `model.to(device)` and move each batch there",
    }

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        last = qualified.rsplit(".", 1)[-1]
        raise CannotMigrate(self._REASONS.get(last, self._TPU))


RULES: list[Rule] = [
    MirroredStrategy(),
    StrategyScope(),
    NumReplicas(),
    StrategyRun(),
    StrategyReduce(),
    DistributeDataset(),
    OtherStrategies(),
]
