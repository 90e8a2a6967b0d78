"""What `migrate verify` needs around ``verify``: the Keras model and the migrated module from
their command-line names, the module's weights from a file, and a progress line on stderr."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import VerifyError


def load_keras(target: str, args_json: str | None, unsafe: bool) -> Any:
    """A saved model (safe_mode unless ``unsafe``) or what a factory returns."""
    from migrate.codegen.load import LoadError, is_model_file, load_target, parse_args, start_tensorflow
    from migrate.weights import WeightsError
    from migrate.weights.keras_model import load

    try:
        if is_model_file(target):
            if args_json:
                raise VerifyError("--args applies to a factory, not to a saved model file")
            start_tensorflow()
            return load(target, unsafe=unsafe, compiled=True)  # the training check reads the optimizer
        return load_target(target, parse_args(args_json), unsafe=unsafe)
    except (LoadError, WeightsError) as error:
        raise VerifyError(f"--keras {target}: {error}" if not str(error).startswith(str(target)) else str(error)) from None


def load_module(spec: str, args_json: str | None) -> Any:
    from migrate.usercode import UserCodeError, build_module

    try:
        return build_module(spec, args_json)
    except UserCodeError as error:
        message = str(error)
        raise VerifyError(message if message.startswith("--module-args") else f"--torch {spec}: {message}") from None


def load_weights(module: Any, path: Path) -> None:
    """``module.load_state_dict(strict=True)`` from a .pt (weights_only) or .safetensors file."""
    import torch

    if not path.is_file():
        raise VerifyError(f"--weights {path}: no such file")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unreadable file is a bad input
        text = " ".join(str(error).split())[:160]
        raise VerifyError(f"--weights {path}: not a state_dict torch can load safely ({text})") from None
    if not isinstance(state, dict) or not all(hasattr(v, "shape") for v in state.values()):
        raise VerifyError(f"--weights {path}: holds a {type(state).__name__}, not a state_dict of tensors")
    mine = module.state_dict()
    missing = [k for k in mine if k not in state]
    unexpected = [k for k in state if k not in mine]
    shapes = [f"{k} {tuple(state[k].shape)} vs {tuple(mine[k].shape)}" for k in mine if k in state and state[k].shape != mine[k].shape]
    problems = []
    if missing:
        problems.append(f"missing {', '.join(missing[:5])}" + (" …" if len(missing) > 5 else ""))
    if unexpected:
        problems.append(f"unexpected {', '.join(unexpected[:5])}" + (" …" if len(unexpected) > 5 else ""))
    if shapes:
        problems.append(f"shape {'; '.join(shapes[:3])}")
    if problems:
        raise VerifyError(f"--weights {path}: does not fit {type(module).__name__}: {'; '.join(problems)}")
    module.load_state_dict(state, strict=True)


def load_inputs(keras_target: str, args_json: str | None, module_spec: str, module_args: str | None,
                weights: Path | None, unsafe: bool, progress: Callable[[str], None]) -> tuple[Any, Any]:
    progress("loading the Keras model")
    model = load_keras(keras_target, args_json, unsafe)
    progress("building the migrated module")
    module = load_module(module_spec, module_args)
    if weights is not None:
        load_weights(module, weights)
    return model, module


@contextlib.contextmanager
def spinner(enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """A one-line status on stderr while verify runs; nothing when stderr is not a terminal
    (CI logs get the report only)."""
    if not enabled or not sys.stderr.isatty():
        yield lambda _text: None
        return
    from rich.console import Console

    console = Console(stderr=True)
    with console.status("migrate verify") as status:
        yield lambda text: status.update(f"migrate verify: {text}")
