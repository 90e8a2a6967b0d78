"""Build the Keras model `migrate model` reads: call a factory, or load a saved file.

A factory is imported and called — that is the documented point of the command, so only name
code you trust. Saved files load with ``safe_mode=True`` (a Lambda layer's pickled code runs
only with ``unsafe=True``).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any


class LoadError(Exception):
    """The target could not be turned into a Keras model; the message is one line."""


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def parse_args(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise LoadError(f"--args is not valid JSON: {error.msg} at column {error.colno}") from None
    if not isinstance(value, dict):
        raise LoadError("--args must be a JSON object of keyword arguments, e.g. '{\"weights\": null}'")
    # Keras factories check shapes with tuple comparisons: [64, 64, 3] → (64, 64, 3).
    return {k: tuple(v) if k.endswith("shape") and isinstance(v, list) else v for k, v in value.items()}


def is_model_file(target: str) -> bool:
    return target.endswith((".keras", ".h5", ".hdf5")) or os.path.sep in target or Path(target).exists()


@contextlib.contextmanager
def _quiet_stderr():
    """TensorFlow's C++ start-up lines (oneDNN, CUDA probes) ignore TF_CPP_MIN_LOG_LEVEL in
    TF 2.21: hold file descriptor 2 while it starts, and show what was held only on failure."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def start_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "keras" in sys.modules:
        return
    with _quiet_stderr():
        import keras
        import tensorflow as tf

        tf.config.list_physical_devices()  # the device probe logs here, not at the first op
        del keras


def load_target(target: str, args: dict[str, Any] | None = None, unsafe: bool = False) -> Any:
    """A built Keras model from ``pkg.module:factory`` / ``pkg.module.Factory`` or a file path."""
    start_tensorflow()
    if is_model_file(target):
        if args:
            raise LoadError("--args applies to a factory, not to a saved model file")
        model = _load_file(Path(target), unsafe)
    else:
        model = _call_factory(target, args or {})
    import keras

    if not isinstance(model, keras.Model):
        raise LoadError(f"{target} returned {type(model).__name__}, not a Keras model")
    if not model.built:
        raise LoadError(f"{target}: the model is not built: give it an input shape")
    return model


def _load_file(path: Path, unsafe: bool) -> Any:
    if not path.is_file():
        raise LoadError(f"{path}: no such file")
    import keras

    try:
        return keras.saving.load_model(path, compile=False, safe_mode=not unsafe)
    except Exception as error:  # noqa: BLE001 - any failure of a foreign file is an input error
        message = _first_line(error)
        if "safe_mode" in message or "Lambda" in message:
            message += " (pass --unsafe only for a file you trust)"
        raise LoadError(f"{path}: cannot be loaded as a Keras model: {message}") from None


def _call_factory(target: str, args: dict[str, Any]) -> Any:
    if ":" in target:
        module_name, _, attr = target.partition(":")
    else:
        module_name, _, attr = target.rpartition(".")
    if not module_name or not attr or not all(p.isidentifier() for p in module_name.split(".") + attr.split(".")):
        raise LoadError(f"{target!r} is neither a saved model (.keras/.h5) nor a factory like pkg.module:function")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as `python -m` would, and as `migrate weights` does
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 - an import of user code can raise anything
        raise LoadError(f"cannot import {module_name}: {_first_line(error)}") from None
    factory: Any = module
    for part in attr.split("."):
        factory = getattr(factory, part, None)
        if factory is None:
            raise LoadError(f"{module_name} has no attribute {attr}")
    if not callable(factory):
        return factory
    try:
        return factory(**args)
    except Exception as error:  # noqa: BLE001
        raise LoadError(f"{target}(**args) failed: {_first_line(error)}") from None
