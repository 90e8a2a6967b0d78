"""The onnxruntime row of the speed table: the Keras model's ONNX export, inference, float32.

The session is asked for one provider explicitly and checked to be on it: onnxruntime-gpu
lists CUDA providers on a machine without a GPU and falls back to the CPU silently
(STACK.md). Its "compile" time is the session's creation, when onnxruntime optimises the graph.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from .timing import Prepared, Skip, first_call

_NUMPY = {
    "tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
    "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(bool)": np.bool_,
}


def session(onnx_model: Any, device: str, threads: int | None = None) -> Any:
    import onnxruntime as ort

    provider = "CUDAExecutionProvider" if device == "cuda" else "CPUExecutionProvider"
    if provider not in ort.get_available_providers():
        raise Skip(f"onnxruntime has no {provider}")
    model = str(onnx_model) if isinstance(onnx_model, (str, Path)) else onnx_model.SerializeToString()
    options = ort.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
    created = ort.InferenceSession(model, options, providers=[provider])
    if created.get_providers()[:1] != [provider]:
        raise Skip(f"onnxruntime did not run on {provider}: {created.get_providers()}")
    return created


def feeds(created: Any, inputs: list[Any]) -> dict[str, Any]:
    """The Keras-layout inputs by the session's input names, in their declared element types."""
    declared = created.get_inputs()
    if len(declared) != len(inputs):
        raise Skip(f"the ONNX model takes {len(declared)} inputs, the Keras model {len(inputs)}")
    return {
        spec.name: np.asarray(value).astype(_NUMPY.get(spec.type, None) or np.asarray(value).dtype, copy=False)
        for spec, value in zip(declared, inputs, strict=True)
    }


def prepare(onnx_model: Any, inputs: list[Any], device: str, threads: int | None = None) -> Prepared:
    start = time.perf_counter()
    created = session(onnx_model, device, threads)
    created_s = time.perf_counter() - start
    feed = feeds(created, inputs)

    def call() -> None:
        created.run(None, feed)

    first = first_call(call)
    provider = created.get_providers()[0]
    pool = f"{threads} intra-op threads" if threads is not None else "default threads"
    return Prepared(call, lambda: None, first, compile_s=created_s, finish=lambda: f"{provider}, {pool}; compile = session creation")
