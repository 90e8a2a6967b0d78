"""The training check's optimisers: a Keras optimiser's configuration → the torch optimiser that
trains the same, with the Keras defaults written out (shared/SEMANTICS.md, DESIGN decision 4).

Where no torch setting reproduces a Keras one exactly, ``TorchOptimizer.notes`` says so, and the
training check measures the drift instead of hiding it. A configuration with no faithful
counterpart (gradient clipping, EMA, schedules…) raises ``Unmapped`` and the check is skipped
with that reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


class Unmapped(Exception):
    """An optimiser setting the check cannot reproduce in torch; the message says which."""


@dataclass
class TorchOptimizer:
    name: str  # "torch.optim.SGD", or "KerasAdam": a class the migration writes into a file
    kwargs: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def build(self, params: Iterable[Any]) -> Any:
        import torch

        if "." in self.name:
            cls = getattr(torch.optim, self.name.rsplit(".", 1)[-1])
        else:
            cls = migrated_optimizer_class(self.name)
        return cls(params, **self.kwargs)

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{self.name}({args})"


def migrated_optimizer_class(name: str) -> type:
    """A class the migration writes into a file where torch.optim cannot express Keras's
    update (``KerasAdam``: epsilon before the bias correction; ``KerasRMSprop``: epsilon inside
    the square root), built from the same source, so the check trains with what a migrated
    script runs."""
    import math

    import torch

    from migrate.rules.keras_optimizers import definition_source

    namespace: dict[str, Any] = {"torch": torch, "math": math}
    exec(compile(definition_source(name), f"<migrate: {name}>", "exec"), namespace)  # noqa: S102 - our own source
    return namespace[name]


# Keras settings that change the update and that no torch optimiser argument carries.
_UNSUPPORTED = {
    "clipnorm": "clipnorm clips each gradient by its own norm (torch's clip_grad_norm_ is global)",
    "global_clipnorm": "global_clipnorm needs clip_grad_norm_ in the loop",
    "clipvalue": "clipvalue needs clip_grad_value_ in the loop",
    "use_ema": "use_ema keeps an exponential moving average of the weights",
    "loss_scale_factor": "loss_scale_factor scales the loss",
    "gradient_accumulation_steps": "gradient_accumulation_steps accumulates gradients",
}


def _lr(config: dict[str, Any]) -> float:
    lr = config.get("learning_rate")
    if isinstance(lr, dict):  # a serialised LearningRateSchedule
        raise Unmapped("a learning-rate schedule (the check steps a constant rate)")
    return float(f"{float(lr):.7g}")  # the float32 Keras holds, as the decimal it was written as


def _sgd(config: dict[str, Any]) -> TorchOptimizer:
    # Keras: v = m·v − lr·g; w += v (nesterov: w += m·v − lr·g). torch: b = m·b + g; w −= lr·b.
    # The same trajectory at a constant learning rate.
    return TorchOptimizer("torch.optim.SGD", {"lr": _lr(config), "momentum": float(config.get("momentum", 0.0)),
                                              "nesterov": bool(config.get("nesterov", False))})


def _adam(config: dict[str, Any], cls: str = "Adam") -> TorchOptimizer:
    # KerasAdam: torch's Adam with Keras's epsilon placement, as a migrated script writes it.
    kwargs: dict[str, Any] = {
        "lr": _lr(config),
        "betas": (float(config.get("beta_1", 0.9)), float(config.get("beta_2", 0.999))),
        "eps": float(config.get("epsilon", 1e-7)),
        "amsgrad": bool(config.get("amsgrad", False)),
    }
    if cls == "AdamW":
        kwargs["weight_decay"] = float(config.get("weight_decay") or 0.004)
        kwargs["decoupled_weight_decay"] = True
    return TorchOptimizer("KerasAdam", kwargs)


def _rmsprop(config: dict[str, Any]) -> TorchOptimizer:
    # KerasRMSprop: Keras's update (epsilon inside the square root), as a migrated script writes it.
    return TorchOptimizer("KerasRMSprop", {
        "lr": _lr(config), "rho": float(config.get("rho", 0.9)), "eps": float(config.get("epsilon", 1e-7)),
        "momentum": float(config.get("momentum", 0.0)), "centered": bool(config.get("centered", False)),
    })


_MAPPERS: dict[str, Callable[[dict[str, Any]], TorchOptimizer]] = {
    "SGD": _sgd,
    "Adam": _adam,
    "AdamW": lambda config: _adam(config, "AdamW"),
    "RMSprop": _rmsprop,
}


def torch_optimizer(keras_optimizer: Any) -> TorchOptimizer:
    """The torch optimiser equivalent to ``keras_optimizer``; raises ``Unmapped``."""
    kind = type(keras_optimizer).__name__
    mapper = _MAPPERS.get(kind)
    if mapper is None:
        raise Unmapped(f"optimizer {kind} (the check maps {', '.join(sorted(_MAPPERS))})")
    config = keras_optimizer.get_config()
    for key, why in _UNSUPPORTED.items():
        if config.get(key) not in (None, False):
            raise Unmapped(why)
    if kind != "AdamW" and config.get("weight_decay"):
        raise Unmapped(f"{kind}(weight_decay=…): Keras decays the weights directly, torch's {kind} adds an L2 term")
    return mapper(config)
