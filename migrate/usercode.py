"""Import and build the user's nn.Module class (``pkg.module:Class``) for the commands that
load models by design (`weights`, `export`): the one place user code is imported.

The current directory goes on ``sys.path`` first, as ``python -m`` would do, because that
is where the user's package usually is.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any


class UserCodeError(Exception):
    """The class could not be imported or built; the message names the culprit, one line."""


def build_module(spec: str, args_json: str | None = None) -> Any:
    """An instance of the nn.Module class ``spec`` names, called with ``args_json`` (a JSON
    object of keyword arguments, or a list of positional ones)."""
    import torch

    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise UserCodeError("expected PKG.MODULE:CLASS")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        imported = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 - any failure of the user's import is a bad input
        raise UserCodeError(f"cannot import {module_name}: {_one_line(error)}") from None
    cls = getattr(imported, class_name, None)
    if cls is None:
        raise UserCodeError(f"{module_name} has no {class_name}")
    try:
        args = json.loads(args_json) if args_json else {}
    except json.JSONDecodeError as error:
        raise UserCodeError(f"--module-args: not JSON: {error}") from None
    if not isinstance(args, (dict, list)):
        raise UserCodeError("--module-args: expected a JSON object (keywords) or list (positional arguments)")
    try:
        instance = cls(*args) if isinstance(args, list) else cls(**args)
    except Exception as error:  # noqa: BLE001 - the user's constructor can raise anything
        raise UserCodeError(f"{class_name}(…) failed: {_one_line(error)}") from None
    if not isinstance(instance, torch.nn.Module):
        raise UserCodeError(f"{class_name} is not a torch.nn.Module")
    return instance


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."
