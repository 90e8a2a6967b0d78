"""Train a small image classifier the Keras way: tf.data input, compile/fit, callbacks.

Synthetic, seeded data so the script runs anywhere in seconds: an image is "bright" (class 1)
when its mean pixel is above one half.
"""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class LossHistory(keras.callbacks.Callback):
    """Records the loss after every batch."""

    def on_train_begin(self, logs=None):
        self.batch_losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.batch_losses.append(logs["loss"])


def make_data(count, seed):
    rng = np.random.default_rng(seed)
    images = rng.random((count, 8, 8, 1)).astype("float32")
    labels = (images.mean(axis=(1, 2, 3)) > 0.5).astype("int64")
    return images, labels


def main(epochs=2):
    images, labels = make_data(64, seed=0)
    val_images, val_labels = make_data(32, seed=1)
    train_ds = tf.data.Dataset.from_tensor_slices((images, labels)).batch(16)
    val_ds = tf.data.Dataset.from_tensor_slices((val_images, val_labels)).batch(16)

    model = keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            layers.Conv2D(4, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    recorder = LossHistory()
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
        keras.callbacks.ModelCheckpoint("best.weights.h5", monitor="val_loss", save_best_only=True, save_weights_only=True),
        keras.callbacks.CSVLogger("training.csv"),
        keras.callbacks.TerminateOnNaN(),
        recorder,
    ]
    history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, callbacks=callbacks, verbose=0)
    val_loss, val_accuracy = model.evaluate(val_ds, verbose=0)
    predictions = model.predict(val_ds, verbose=0)
    print("loss per epoch:", history.history["loss"])
    print("batches seen:", len(recorder.batch_losses))
    print(f"validation: loss {val_loss:.4f}, accuracy {val_accuracy:.4f}, predictions {predictions.shape}")
    return history, recorder


if __name__ == "__main__":
    main()
