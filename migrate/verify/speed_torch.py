"""The torch rows of the speed table: eager, torch.compile, reduce-overhead, eager_on_recompile.

Every row runs on its own deep copy of the caller's module (training changes weights and
BatchNorm statistics; ``.to(memory_format=…)`` changes parameters in place), and every
compiled row starts from ``torch._dynamo.reset()``, so its first call really compiles (the
on-disk Inductor cache still applies: see ``notes()``).
"""

from __future__ import annotations

import contextlib
import copy
import types
from collections.abc import Callable
from typing import Any

from .speed import LEARNING_RATE
from .timing import Prepared, Skip, first_call

_AUTOCAST = {"float16": "float16", "bfloat16": "bfloat16"}


def wants_channels_last(module: Any, inputs: list[Any]) -> bool:
    """True for a conv net on images: the module has a 2-D convolution and every floating
    input is 4-D. oneDNN (CPU) and cuDNN (tensor cores) run NHWC convolutions without the
    layout reorders an NCHW tensor costs around each conv."""
    import torch

    floating = [t for t in inputs if torch.is_tensor(t) and t.is_floating_point()]
    has_conv = any(isinstance(m, torch.nn.Conv2d) for m in module.modules())
    return has_conv and bool(floating) and all(t.ndim == 4 for t in floating)


class Runner:
    def __init__(self, module: Any, inputs: list[Any], device: str, channels_last: bool) -> None:
        import torch

        self.module = module
        self.device = device
        self.channels_last = channels_last
        self.inputs = [self._place(t) for t in inputs]
        self.sync: Callable[[], None] = torch.cuda.synchronize if device == "cuda" and torch.cuda.is_available() else (lambda: None)
        self._targets: list[Any] | None = None
        self._rows = 0

    def notes(self) -> list[str]:
        import torch
        import torch._inductor.config as inductor

        layout = "torch.channels_last" if self.channels_last else "contiguous (NCHW)"
        cache = "on: a model compiled before in this environment compiles warm" if inductor.fx_graph_cache else "off"
        return [
            f"torch {torch.__version__}: {torch.get_num_threads()} CPU threads; module and 4-D inputs in {layout}; "
            "inference under torch.inference_mode(); torch.compile wraps the module (the optimizer step runs eager)",
            f"Inductor FX graph cache {cache}",
        ]

    def _place(self, tensor: Any) -> Any:
        import torch

        if not torch.is_tensor(tensor):
            tensor = torch.as_tensor(tensor)
        tensor = tensor.to(self.device)
        if self.channels_last and tensor.ndim == 4 and tensor.is_floating_point():
            tensor = tensor.contiguous(memory_format=torch.channels_last)
        return tensor

    def _copy(self, train: bool) -> Any:
        import torch

        try:
            module = copy.deepcopy(self.module)
        except Exception as error:  # noqa: BLE001 - a module holding something that will not copy
            raise Skip(f"the module cannot be deep-copied to time it ({type(error).__name__}: {error})") from None
        module = module.to(self.device)
        if self.channels_last:
            module = module.to(memory_format=torch.channels_last)
        return module.train(train)

    def prepare(self, row: Any) -> Prepared:
        """The row's callable on its own module copy, its first call done."""
        import torch

        if row.mode in ("reduce-overhead", "eager_on_recompile") and self.device != "cuda":
            raise Skip("no CUDA device")
        train = row.phase == "train"
        module = self._copy(train)
        self._rows += 1
        entry = _own_entry(module, f"speed_row_{self._rows}")
        if row.mode == "eager":
            forward = entry
        elif row.mode == "reduce-overhead":
            forward = torch.compile(entry, mode="reduce-overhead")
        elif row.mode == "freezing":
            forward = torch.compile(entry, options={"freezing": True})
        else:  # torch.compile, eager_on_recompile: the default compile
            forward = torch.compile(entry)
        autocast = self._autocast(row.dtype)
        call = self._train_step(module, forward, autocast) if train else self._inference(forward, autocast)
        if row.mode == "reduce-overhead":  # a new CUDA graph step per call: outputs of the last one are not kept
            inner = call

            def call(inputs: list[Any] | None = None) -> None:
                torch.compiler.cudagraph_mark_step_begin()
                inner(inputs)

        first = first_call(call, self.sync)
        compiled = row.mode != "eager"
        if row.mode == "eager_on_recompile":
            return self._under_stance(call, first)
        return Prepared(call, self.sync, first, compile_s=first if compiled else None)

    def _under_stance(self, call: Callable[..., None], compile_s: float) -> Prepared:
        """Compiled on the table's batch; then timed under the stance with another batch size.
        Without the stance Dynamo would recompile for the new shape (marking the batch
        dimension dynamic); with it the new shape runs eagerly and nothing compiles. The note
        says what happened: the first call's time and how many graphs were compiled."""
        import torch
        from torch._dynamo.utils import counters

        other = [self._rebatch(t) for t in self.inputs]
        graphs = {"count": 0}

        def stanced() -> None:
            before = counters["stats"]["unique_graphs"]
            with torch.compiler.set_stance("eager_on_recompile"):
                call(other)
            graphs["count"] += counters["stats"]["unique_graphs"] - before

        first_other = first_call(stanced, self.sync)
        size_from = int(self.inputs[0].shape[0]) if self.inputs[0].ndim else 1
        size_to = int(other[0].shape[0]) if other[0].ndim else 1

        def finish() -> str:
            count = graphs["count"]
            return (
                f"batch {size_from}→{size_to} after compiling: first call {first_other * 1000:.1f} ms, "
                f"{count} graph{'s' if count != 1 else ''} compiled for it"
            )

        return Prepared(stanced, self.sync, first_other, compile_s=compile_s, finish=finish)

    def _rebatch(self, tensor: Any) -> Any:
        """The same input with another batch size: half the batch, or twice a batch of one."""
        import torch

        if tensor.ndim == 0:
            return tensor
        if tensor.shape[0] > 1:
            return tensor[: tensor.shape[0] // 2]
        return torch.cat([tensor, tensor])

    def _autocast(self, dtype: str) -> Callable[[], Any]:
        import torch

        if dtype == "float32":
            return contextlib.nullcontext
        if self.device != "cuda":
            raise Skip("no CUDA device")
        return lambda: torch.autocast(device_type="cuda", dtype=getattr(torch, _AUTOCAST[dtype]))

    def _inference(self, forward: Any, autocast: Callable[[], Any]) -> Callable[..., None]:
        import torch

        def call(inputs: list[Any] | None = None) -> None:
            with torch.inference_mode(), autocast():
                forward(*(self.inputs if inputs is None else inputs))

        return call

    def _train_step(self, module: Any, forward: Any, autocast: Callable[[], Any]) -> Callable[..., None]:
        import torch
        import torch.nn.functional as F

        parameters = [p for p in module.parameters() if p.requires_grad]
        if not parameters:
            raise Skip("the module has no trainable parameters")
        optimizer = torch.optim.SGD(parameters, lr=LEARNING_RATE)
        targets = self._fixed_targets(module)

        def call(inputs: list[Any] | None = None) -> None:
            batch = self.inputs if inputs is None else inputs
            optimizer.zero_grad(set_to_none=True)
            with autocast():
                outputs = floating_leaves(forward(*batch))
            size = int(batch[0].shape[0]) if batch and batch[0].ndim else None
            loss = sum(F.mse_loss(o.float(), _fit(t, size)) for o, t in zip(outputs, targets, strict=True))
            loss.backward()
            optimizer.step()

        return call

    def _fixed_targets(self, module: Any) -> list[Any]:
        """Random targets shaped like the outputs, the same for every training row."""
        import torch

        if self._targets is None:
            was_training = module.training
            with torch.no_grad():
                outputs = floating_leaves(module.eval()(*self.inputs))
            module.train(was_training)
            if not outputs:
                raise Skip("the module returns no floating tensor to put a loss on")
            generator = torch.Generator(device="cpu").manual_seed(0)
            self._targets = [torch.randn(o.shape, generator=generator).to(self.device) for o in outputs]
        return self._targets



def _own_entry(module: Any, name: str) -> Callable[..., Any]:
    """``module(*inputs)`` behind a function with a code object of its own. Dynamo keeps its
    compiled code per code object: every row compiling ``module.forward`` itself would share
    one cache (eight entries at most, then silent eager fallback) and reuse another row's
    graph; a code object per row keeps each row's compile its own, with no global reset."""

    def forward(*inputs: Any) -> Any:
        return module(*inputs)

    code = forward.__code__.replace(co_name=name)
    return types.FunctionType(code, forward.__globals__, name, None, forward.__closure__)


def _fit(target: Any, size: int | None) -> Any:
    """The targets for a batch of ``size`` (a rebatched eager_on_recompile call): the first
    rows, or the rows repeated."""
    import torch

    if size is None or target.ndim == 0 or size == target.shape[0]:
        return target
    repeats = -(-size // target.shape[0])
    return torch.cat([target] * repeats)[:size]


def floating_leaves(value: Any) -> list[Any]:
    import torch
    from torch.utils._pytree import tree_leaves

    return [t for t in tree_leaves(value) if torch.is_tensor(t) and t.is_floating_point()]
