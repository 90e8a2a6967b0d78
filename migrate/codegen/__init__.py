"""``migrate model``: idiomatic nn.Module source from a built Keras model.

``generate(model)`` walks the model's layer graph (``graph.py``), maps each layer call through
the layer table in ``rules/layers.py`` (``handlers.py``, one module per family of layers:
``conv``, ``norm``, ``shape``, ``sequence``) and writes one ``nn.Module`` class per Keras
model, nested models as their own classes (``generate.py``). ``load.py`` builds the model from
a factory (``keras.applications.ResNet50``) or loads a ``.keras``/``.h5`` file. TensorFlow is
imported only by ``load.py`` and only when a command runs.
"""

from .generate import CodegenError, Generated, Slot, generate

__all__ = ["CodegenError", "Generated", "Slot", "generate"]
