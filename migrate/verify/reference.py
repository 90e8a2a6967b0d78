"""The two references between Keras and the migrated module, for the four-way comparison: the
ONNX export run by ONNX Runtime (CPU), and the same graph converted by onnx2torch. Both take
the batch in Keras's layout (the export keeps it). Where one cannot run, the reason is kept
and the comparison goes on without it.
"""

from __future__ import annotations

import sys
import types
import warnings
from typing import Any

import numpy as np


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def onnxruntime_outputs(proto: Any, inputs: list[np.ndarray]) -> list[np.ndarray]:
    import onnxruntime

    session = onnxruntime.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    # onnxruntime-gpu falls back to the CPU silently: say so if it ever picks something else.
    if session.get_providers()[:1] != ["CPUExecutionProvider"]:
        raise RuntimeError(f"onnxruntime chose {session.get_providers()}, not CPUExecutionProvider")
    names = [i.name for i in session.get_inputs()]
    return list(session.run(None, dict(zip(names, inputs, strict=True))))


def install_torchvision_stand_in() -> None:
    """onnx2torch imports torchvision for two converters only (NonMaxSuppression, RoiAlign).
    Next to the CPU torch, the only torchvision for torch 2.13 is a CUDA build that dies on
    import (shared/STACK.md trap 1): then a stand-in whose ops raise takes its place."""
    try:
        import torchvision  # noqa: F401
        return
    except Exception:  # noqa: BLE001 - RuntimeError "operator torchvision::nms does not exist"
        pass
    for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
        del sys.modules[name]

    def unavailable(*_args: Any, **_kwargs: Any) -> Any:
        raise NotImplementedError("torchvision is not usable next to this torch build (migrate verify's stand-in)")

    package = types.ModuleType("torchvision")
    ops = types.ModuleType("torchvision.ops")
    for op in ("nms", "batched_nms", "roi_align", "box_convert"):
        setattr(ops, op, unavailable)
    package.ops = ops  # type: ignore[attr-defined]
    package.__version__ = "0.0-stand-in"  # type: ignore[attr-defined]
    sys.modules["torchvision"] = package
    sys.modules["torchvision.ops"] = ops


def onnx2torch_outputs(proto: Any, inputs: list[np.ndarray]) -> list[np.ndarray]:
    import torch

    install_torchvision_stand_in()
    from onnx2torch import convert

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # onnx2torch's own deprecation warnings are not the user's
        graph = convert(proto).eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = graph(*[torch.from_numpy(np.ascontiguousarray(a)) for a in inputs])
    out = out if isinstance(out, (list, tuple)) else [out]
    return [o.detach().cpu().numpy() for o in out]


def run_references(proto: Any, inputs: list[np.ndarray]) -> dict[str, list[np.ndarray] | str]:
    """{"onnxruntime": outputs or why not, "onnx2torch": outputs or why not}."""
    found: dict[str, list[np.ndarray] | str] = {}
    for name, runner in (("onnxruntime", onnxruntime_outputs), ("onnx2torch", onnx2torch_outputs)):
        try:
            found[name] = runner(proto, inputs)
        except Exception as error:  # noqa: BLE001 - a reference that cannot run is reported, not fatal
            found[name] = f"cannot run: {_one_line(error)}"
    return found
