"""`migrate verify`: prove a migrated PyTorch module computes what its Keras model computes.

    from migrate.verify import verify, assert_equivalent
    report = verify(keras_model, MyModule())          # weights converted through ONNX first
    assert report.ok, report.render()
    assert_equivalent(keras_model, MyModule(), train_steps=3)   # in your own pytest suite

The report gives per output max |Δ| (against ONNX Runtime and onnx2torch too), the first
layer whose output diverges, an optional training check and speed table (``speed.py``).
TensorFlow and torch are imported when a function runs, never on import.
"""

from __future__ import annotations

from typing import Any

from .errors import VerifyError


def verify(keras_model: Any, torch_module: Any, **kwargs: Any) -> Any:
    """See ``migrate.verify.core.verify``."""
    from .core import verify as run

    return run(keras_model, torch_module, **kwargs)


def assert_equivalent(keras_model: Any, torch_module: Any, **kwargs: Any) -> Any:
    """See ``migrate.verify.core.assert_equivalent``."""
    from .core import assert_equivalent as check

    return check(keras_model, torch_module, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "Report":
        from .report import Report

        return Report
    raise AttributeError(name)


__all__ = ["Report", "VerifyError", "assert_equivalent", "verify"]
