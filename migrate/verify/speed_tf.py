"""The TensorFlow rows of the speed table: eager, ``tf.function``, ``tf.function(jit_compile=True)``.

Inference calls ``model(x, training=False)``; the training step is a ``GradientTape`` step
with the same loss and optimizer as the torch rows (``speed.LOSS``). Training writes to the
caller's model, so its weights (BatchNorm statistics included) are saved before the first
training row and put back by ``restore()``. float16/bfloat16 rows run a clone of a functional
or Sequential model built under Keras's ``mixed_float16`` / ``mixed_bfloat16`` policy (Keras's
counterpart of autocast), with the same weights.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .speed import LEARNING_RATE
from .timing import Prepared, Skip, first_call

_POLICIES = {"float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}


def set_threads(threads: int) -> None:
    """TF's intra- and inter-op pools at ``threads``; TF refuses once its runtime has started
    (then the defaults stay, and ``Runner.notes()`` reports the real sizes)."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        pass


class Runner:
    def __init__(self, model: Any, inputs: list[Any], device: str) -> None:
        import tensorflow as tf

        self.model = model
        self.want_gpu = device == "cuda"
        self.gpus = tf.config.list_logical_devices("GPU")
        self.device_name = "/GPU:0" if self.want_gpu and self.gpus else "/CPU:0"
        with tf.device(self.device_name):
            self.inputs = [tf.convert_to_tensor(np.asarray(x) if not tf.is_tensor(x) else x) for x in inputs]
        self._saved: list[Any] | None = None
        self._clones: dict[str, Any] = {}
        self._targets: list[Any] | None = None

    def notes(self) -> list[str]:
        import tensorflow as tf

        return [
            f"tensorflow {tf.__version__} on {self.device_name}: intra-op threads "
            f"{tf.config.threading.get_intra_op_parallelism_threads() or 'default'}, inter-op "
            f"{tf.config.threading.get_inter_op_parallelism_threads() or 'default'}; the Keras model is called with training=False "
            "(inference) or under a GradientTape (train)"
        ]

    def sync(self) -> None:
        if self.device_name != "/CPU:0":
            import tensorflow as tf

            tf.test.experimental.sync_devices()

    def prepare(self, row: Any) -> Prepared:
        """The row's callable, its first call (for tf.function: the trace; XLA: the compile) done."""
        import tensorflow as tf

        if self.want_gpu and not self.gpus:
            raise Skip("TensorFlow sees no GPU (a CPU-only tensorflow build, or CUDA_VISIBLE_DEVICES)")
        model = self.model if row.dtype == "float32" else self._mixed(row.dtype)
        step = self._train_step(model) if row.phase == "train" else self._inference(model)
        if row.mode == "tf.function":
            step = tf.function(step)
        elif row.mode == "xla":
            step = tf.function(step, jit_compile=True)
        arguments = self.inputs + (self._fixed_targets() if row.phase == "train" else [])
        device = self.device_name

        def call() -> None:
            with tf.device(device):
                step(*arguments)

        first = first_call(call, self.sync)
        return Prepared(call, self.sync, first, compile_s=None if row.mode == "eager" else first)

    def _call(self, model: Any, inputs: list[Any], training: bool) -> Any:
        return model(inputs[0] if len(inputs) == 1 else list(inputs), training=training)

    def _inference(self, model: Any) -> Callable[..., Any]:
        def infer(*inputs: Any) -> Any:
            return self._call(model, list(inputs), False)

        return infer

    def _train_step(self, model: Any) -> Callable[..., Any]:
        import keras
        import tensorflow as tf

        if self._saved is None:
            self._saved = self.model.get_weights()
        variables = model.trainable_variables
        if not variables:
            raise Skip("the Keras model has no trainable variables")
        optimizer = keras.optimizers.SGD(learning_rate=LEARNING_RATE)
        optimizer.build(variables)  # its variables exist before any tf.function traces the step
        count = len(self.inputs)

        def train(*arguments: Any) -> Any:
            inputs, targets = arguments[:count], arguments[count:]
            with tf.GradientTape() as tape:
                outputs = _floating(self._call(model, list(inputs), True))
                loss = tf.add_n([
                    tf.reduce_mean(tf.square(tf.cast(o, tf.float32) - t)) for o, t in zip(outputs, targets, strict=True)
                ])
            gradients = tape.gradient(loss, variables)
            optimizer.apply_gradients(zip(gradients, variables))
            return loss

        return train

    def _fixed_targets(self) -> list[Any]:
        """Random targets shaped like the outputs (seeded; the same for every training row)."""
        import tensorflow as tf

        if self._targets is None:
            outputs = _floating(self._call(self.model, self.inputs, False))
            if not outputs:
                raise Skip("the Keras model returns no floating tensor to put a loss on")
            rng = np.random.default_rng(0)
            self._targets = [tf.constant(rng.standard_normal(tuple(o.shape)).astype("float32")) for o in outputs]
        return self._targets

    def _mixed(self, dtype: str) -> Any:
        """The model rebuilt under Keras's mixed policy for ``dtype``, with the same weights."""
        if dtype not in self._clones:
            import keras

            policy = _POLICIES[dtype]

            def under_policy(layer: Any) -> Any:
                config = layer.get_config()
                config["dtype"] = policy
                return layer.__class__.from_config(config)

            try:
                clone = keras.models.clone_model(self.model, clone_function=under_policy)
                clone.set_weights(self.model.get_weights())
            except Exception as error:  # noqa: BLE001 - subclassed models, custom layers without from_config
                raise Skip(f"Keras cannot rebuild this model under the {policy} policy ({type(error).__name__})") from None
            self._clones[dtype] = clone
        return self._clones[dtype]

    def restore(self) -> None:
        """Put back the weights the training rows changed."""
        if self._saved is not None:
            self.model.set_weights(self._saved)
            self._saved = None


def _floating(value: Any) -> list[Any]:
    import tensorflow as tf

    return [t for t in tf.nest.flatten(value) if tf.is_tensor(t) and t.dtype.is_floating]
