"""Run-time configuration a training script sets up before it builds anything:
``tf.config`` (devices, memory growth, threads, determinism, eager functions), ``tf.test``'s
device queries, ``keras.utils.set_random_seed`` and ``keras.backend.clear_session``.

Most of these are statements whose PyTorch counterpart is another statement, or nothing at
all (torch's CUDA allocator already grows on demand); a statement that goes leaves a report
note saying why, so the reader knows it was not lost by accident.
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from migrate.rules.base import CannotMigrate, Rule, RuleContext, argument, bare_call, code_of, dotted_name


def _argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    found = argument(call, keyword, position)
    return found.value if found is not None else None


def _repeatable(node: cst.BaseExpression) -> bool:
    """An expression that may be written several times without running anything twice."""
    return isinstance(node, (cst.Integer, cst.SimpleString)) or bool(dotted_name(node))


def _statements(code: str) -> list[cst.BaseStatement]:
    return list(cst.parse_module(code).body)


class _DroppedStatement(Rule):
    """A setting PyTorch does not need: the statement goes, with a note that says why."""

    because: ClassVar[str]

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if not bare_call(ctx.statement()) is not None:
            raise CannotMigrate("only the call as a statement of its own is removed; its value has no PyTorch counterpart")
        ctx.replace_statement([])
        ctx.note(f"`{dotted_name(call.func) or qualified}(…)` removed: {self.because}")
        return call


class MemoryGrowth(_DroppedStatement):
    id = "config.memory_growth"
    names = ("tf.config.experimental.set_memory_growth",)
    summary = "`tf.config.experimental.set_memory_growth(gpu, True)` is removed: torch's CUDA allocator grows on demand."
    why = (
        "TF reserves nearly all of a GPU's memory up front unless memory growth is on. torch's "
        "caching allocator never does: it takes memory as tensors need it and keeps freed blocks "
        "for reuse, which is what memory growth asks for. A line that turns growth off has no "
        "counterpart either; to cap a process, use `torch.cuda.set_per_process_memory_fraction`."
    )
    example = "tf.config.experimental.set_memory_growth(gpu, True)"
    because = "torch's CUDA caching allocator takes memory as tensors need it, as memory growth does"


class SoftPlacement(_DroppedStatement):
    id = "config.soft_device_placement"
    names = ("tf.config.set_soft_device_placement",)
    summary = "`tf.config.set_soft_device_placement(...)` is removed: torch places nothing by itself."
    why = (
        "TF falls back to the CPU for an op a GPU cannot run when soft placement is on. torch "
        "runs each op where its tensors are and never moves them, so there is nothing to switch."
    )
    example = "tf.config.set_soft_device_placement(True)"
    because = "torch runs each op where its tensors are and never moves them"


class ClearSession(_DroppedStatement):
    id = "config.clear_session"
    names = ("keras.backend.clear_session", "keras.utils.clear_session")
    summary = "`keras.backend.clear_session()` is removed: torch keeps no global graph or layer-name state."
    why = (
        "Keras resets its global state (the graph, the counters behind automatic layer names) "
        "and collects garbage. A torch module holds its own state and is freed with its last "
        "reference; `del model` (and `torch.cuda.empty_cache()` to hand cached GPU memory back) "
        "is the counterpart where memory matters."
    )
    example = "tf.keras.backend.clear_session()"
    because = "torch keeps no global graph or layer-name state; `del` a model to free it"


#: TF's device type → what torch lists for it.
_DEVICES = {
    "GPU": "[{device}(\"cuda\", index) for index in range({count}())]",
    "CPU": "[{device}(\"cpu\")]",
    None: "[{device}(\"cpu\"), *({device}(\"cuda\", index) for index in range({count}()))]",
}


class ListDevices(Rule):
    id = "config.list_devices"
    names = (
        "tf.config.list_physical_devices",
        "tf.config.experimental.list_physical_devices",
        "tf.config.list_logical_devices",
        "tf.config.experimental.list_logical_devices",
    )
    summary = '`tf.config.list_physical_devices("GPU")` → `[torch.device("cuda", i) for i in range(torch.cuda.device_count())]`.'
    why = (
        "Scripts list devices to count them or to test for a GPU (`if gpus:`), which the list "
        "of torch devices answers the same way: one entry per visible GPU, in order. The "
        "entries are `torch.device`s, not TF's `PhysicalDevice`s: code that reads `.name` "
        "(`/physical_device:GPU:0`) or `.device_type` needs `str(device)` / `device.type`. "
        "Logical devices are listed as physical ones: torch does not split a GPU into virtual "
        "devices. With no device type, the CPU comes first and the GPUs follow, as in TF. A device "
        "type other than a literal \"GPU\" or \"CPU\" stays a TODO."
    )
    example = 'gpus = tf.config.list_physical_devices("GPU")'

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        kind = _argument(call, 0, "device_type")
        if kind is None or (isinstance(kind, cst.Name) and kind.value == "None"):
            wanted = None  # every device, the CPU first as TF lists them
        elif isinstance(kind, cst.SimpleString) and str(kind.evaluated_value).upper() in _DEVICES:
            wanted = str(kind.evaluated_value).upper()
        else:
            raise CannotMigrate('only a literal device type, "GPU" or "CPU" (or none), is listed the same way by torch')
        code = _DEVICES[wanted].format(
            device=code_of(ctx.name("torch.device")), count=code_of(ctx.name("torch.cuda.device_count"))
        )
        return cst.parse_expression(code)


class GpuAvailable(Rule):
    id = "config.gpu_available"
    names = ("tf.test.is_gpu_available", "tf.test.is_built_with_cuda", "tf.test.is_built_with_gpu_support")
    summary = "`tf.test.is_gpu_available()` → `torch.cuda.is_available()`; `is_built_with_cuda()` → `torch.backends.cuda.is_built()`."
    why = (
        "The same questions: is a CUDA device usable now, and was the framework built with CUDA. "
        "`is_gpu_available(cuda_only, min_cuda_compute_capability)` with arguments stays a TODO: "
        "compare `torch.cuda.get_device_capability()` yourself."
    )
    example = "if tf.test.is_gpu_available():\n    print('GPU')"

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if qualified.endswith("is_gpu_available"):
            if call.args:
                raise CannotMigrate("`is_gpu_available` with arguments: compare `torch.cuda.get_device_capability()` yourself")
            return cst.Call(func=ctx.name("torch.cuda.is_available"))
        return cst.Call(func=ctx.name("torch.backends.cuda.is_built"))


class OpDeterminism(Rule):
    id = "config.op_determinism"
    names = ("tf.config.experimental.enable_op_determinism",)
    summary = "`tf.config.experimental.enable_op_determinism()` → `torch.use_deterministic_algorithms(True)`."
    why = (
        "Both make ops pick deterministic kernels and raise on an op that has none. On CUDA "
        "torch also needs `CUBLAS_WORKSPACE_CONFIG=:4096:8` in the environment before the first "
        "cuBLAS call (the report says so); seeds are a separate call in both frameworks."
    )
    example = "tf.config.experimental.enable_op_determinism()"

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        ctx.note("on CUDA, deterministic cuBLAS needs `CUBLAS_WORKSPACE_CONFIG=:4096:8` set before the process starts")
        return cst.Call(func=ctx.name("torch.use_deterministic_algorithms"), args=[cst.Arg(cst.Name("True"))])


_THREADS = {
    "tensorflow.config.threading.set_intra_op_parallelism_threads": "torch.set_num_threads",
    "tensorflow.config.threading.set_inter_op_parallelism_threads": "torch.set_num_interop_threads",
}


class Threads(Rule):
    id = "config.threads"
    names = tuple(_THREADS)
    summary = "`tf.config.threading.set_intra_op_parallelism_threads(n)` → `torch.set_num_threads(n)` (inter-op → `torch.set_num_interop_threads`)."
    why = (
        "The same two pools: threads inside one op, and ops run side by side. TF's 0 means "
        "\"let the runtime choose\", which torch does when nothing is set, so a literal 0 drops "
        "the line; torch refuses 0. A count that is not a literal stays a TODO for that reason. "
        "torch allows the inter-op count to be set once, before any parallel work starts, as TF does."
    )
    example = "tf.config.threading.set_intra_op_parallelism_threads(2)"

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        count = _argument(call, 0, "num_threads")
        if not isinstance(count, cst.Integer):
            raise CannotMigrate("the thread count is not a literal: TF reads 0 as \"the runtime chooses\", which torch refuses")
        if count.evaluated_value == 0:
            if not bare_call(ctx.statement()) is not None:
                raise CannotMigrate("0 threads means \"the runtime chooses\": remove the call")
            ctx.replace_statement([])
            ctx.note("a thread count of 0 lets the runtime choose, which torch does when nothing is set: line removed")
            return call
        return cst.Call(func=ctx.name(_THREADS[qualified]), args=[cst.Arg(count)])


class FunctionsEagerly(Rule):
    id = "config.run_functions_eagerly"
    names = ("tf.config.run_functions_eagerly", "tf.config.experimental_run_functions_eagerly")
    summary = '`tf.config.run_functions_eagerly(True)` → `torch.compiler.set_stance("force_eager")`.'
    why = (
        "TF runs `tf.function`s as plain Python, for debugging; the functions the migration "
        "wraps in `torch.compile` run eagerly under `torch.compiler.set_stance(\"force_eager\")`, "
        "and compile again under the `\"default\"` stance. A flag that is not a literal stays a TODO."
    )
    example = "tf.config.run_functions_eagerly(True)"

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        flag = _argument(call, 0, "run_eagerly")
        if not (isinstance(flag, cst.Name) and flag.value in ("True", "False")):
            raise CannotMigrate('the flag is not a literal: pick `set_stance("force_eager")` or `set_stance("default")`')
        stance = '"force_eager"' if flag.value == "True" else '"default"'
        return cst.Call(func=ctx.name("torch.compiler.set_stance"), args=[cst.Arg(cst.SimpleString(stance))])


class SetRandomSeed(Rule):
    id = "config.set_random_seed"
    names = ("keras.utils.set_random_seed",)
    summary = "`keras.utils.set_random_seed(s)` → `random.seed(s)`, `numpy.random.seed(s)` and `torch.manual_seed(s)`."
    why = (
        "Keras seeds three generators: Python's `random`, NumPy's global one and the backend's. "
        "The first two are the same generators after the migration, so data shuffled or drawn "
        "with them repeats the Keras run exactly; torch's stream differs from TF's (weights "
        "initialised from it differ; migrate them with `migrate weights`). A seed that is not a "
        "name or a literal would run twice and stays a TODO."
    )
    example = "keras.utils.set_random_seed(42)"

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        seed = _argument(call, 0, "seed")
        if seed is None or not _repeatable(seed):
            raise CannotMigrate("the seed is not a name or a literal: assign it to a name first, it seeds three generators")
        if not bare_call(ctx.statement()) is not None:
            raise CannotMigrate("the call is not a statement of its own: it becomes three statements")
        text = code_of(seed)
        ctx.replace_statement(
            _statements(
                f"{code_of(ctx.name('random.seed'))}({text})\n"
                f"{code_of(ctx.name('numpy.random.seed'))}({text})\n"
                f"{code_of(ctx.name('torch.manual_seed'))}({text})\n"
            )
        )
        return call


RULES = [
    MemoryGrowth(),
    SoftPlacement(),
    ClearSession(),
    ListDevices(),
    GpuAvailable(),
    OpDeterminism(),
    Threads(),
    FunctionsEagerly(),
    SetRandomSeed(),
]
