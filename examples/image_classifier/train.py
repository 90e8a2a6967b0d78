"""A small tf.keras training script, the kind `migrate convert` is for."""

import numpy as np
import tensorflow as tf
from tensorflow import keras


def normalise(images):
    # Scale to [0, 1] and add a channel axis.
    images = tf.cast(images, tf.float32) / 255.0
    return tf.expand_dims(images, axis=-1)


def confidence(logits):
    probabilities = tf.nn.softmax(logits)
    return tf.reduce_max(probabilities, axis=1)


@tf.function
def predict_classes(model, images):
    logits = model(normalise(images), training=False)
    return tf.argmax(logits, axis=1)


def build_model(num_classes=10):
    return keras.Sequential(
        [
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(num_classes),
        ]
    )


if __name__ == "__main__":
    images = np.random.randint(0, 255, size=(8, 28, 28)).astype("uint8")
    model = build_model()
    print(predict_classes(model, images))
