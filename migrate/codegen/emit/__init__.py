"""One Keras layer call → the torch module that replaces it and the forward lines that call it.

``core`` holds the shared vocabulary (values and their layout, emissions, the handler
registry); each other module registers the handlers of one family of layers.
"""

from . import conv, norm, sequence, shape  # noqa: F401  (importing them registers the handlers)
from .core import (
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
