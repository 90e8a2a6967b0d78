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
    name: str  # "torch.optim.Adam"
    kwargs: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    # Adam: Keras adds eps to the bias-uncorrected √v, torch to the corrected one. Stepping
    # torch's eps as eps/√(1−β₂ᵗ) makes the two updates the same formula, so the check can
    # judge the module rather than this known difference (which it measures separately).
    keras_eps_schedule: bool = False

    def before_step(self, optimizer: Any, step: int) -> None:
        """Called with the 1-based step before ``optimizer.step()``."""
        if not self.keras_eps_schedule:
            return
        beta_2 = self.kwargs["betas"][1]
        for group in optimizer.param_groups:
            group["eps"] = self.kwargs["eps"] / (1.0 - beta_2**step) ** 0.5

    def build(self, params: Iterable[Any]) -> Any:
        import torch

        cls = getattr(torch.optim, self.name.rsplit(".", 1)[-1])
        return cls(params, **self.kwargs)

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{self.name}({args})"


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
    kwargs: dict[str, Any] = {
        "lr": _lr(config),
        "betas": (float(config.get("beta_1", 0.9)), float(config.get("beta_2", 0.999))),
        "eps": float(config.get("epsilon", 1e-7)),
        "amsgrad": bool(config.get("amsgrad", False)),
    }
    if cls == "AdamW":
        kwargs["weight_decay"] = float(config.get("weight_decay") or 0.004)
    return TorchOptimizer(f"torch.optim.{cls}", kwargs, keras_eps_schedule=True)


def _rmsprop(config: dict[str, Any]) -> TorchOptimizer:
    return TorchOptimizer("torch.optim.RMSprop", {
        "lr": _lr(config), "alpha": float(config.get("rho", 0.9)), "eps": float(config.get("epsilon", 1e-7)),
        "momentum": float(config.get("momentum", 0.0)), "centered": bool(config.get("centered", False)),
    }, ["Keras divides by √(v + eps), torch by √v + eps: a difference of order eps"])


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
