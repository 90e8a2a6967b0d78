"""One Keras layer call → the torch module that replaces it and the forward lines that call it.

``base`` holds the shared vocabulary (values and their layout, emissions, the handler
registry); ``conv``, ``norm``, ``shape`` and ``sequence`` each register the handlers of one
family of layers.
"""

from . import conv, norm, sequence, shape  # noqa: F401  (importing them registers the handlers)
from .base import (
    HANDLERS,
    Call,
    Emission,
    Unsupported,
    Value,
    WeightSlot,
    channels_first,
    channels_last,
)

__all__ = ["HANDLERS", "Call", "Emission", "Unsupported", "Value", "WeightSlot", "channels_first", "channels_last"]
