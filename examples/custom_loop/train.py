"""A custom training loop as TensorFlow's "TensorFlow 2 quickstart for experts" teaches it.

A small convolutional classifier subclasses keras.Model and trains with a GradientTape inside
tf.function steps, with Keras metrics that are reset every epoch. Around it sit the lines real
scripts have: seeds and determinism, GPU memory growth, a log directory made with gfile,
TensorBoard scalars written through tf.summary, and a checkpoint restored from the latest one,
so a second run resumes where the first stopped. The data is synthetic and seeded, so the
script runs in seconds on a CPU.
"""

import os

import numpy as np
import tensorflow as tf
from tensorflow import keras

EPOCHS = 2
BATCH = 16
LOG_DIR = "logs"
CHECKPOINT_DIR = "checkpoints"

keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()
for gpu in tf.config.list_physical_devices("GPU"):
    tf.config.experimental.set_memory_growth(gpu, True)

rng = np.random.default_rng(0)
x_train = rng.random((64, 8, 8, 1)).astype("float32")
y_train = rng.integers(0, 10, size=64)
x_test = rng.random((32, 8, 8, 1)).astype("float32")
y_test = rng.integers(0, 10, size=32)

train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(64, seed=0).batch(BATCH)
test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(BATCH)


class MyModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv1 = keras.layers.Conv2D(4, 3, activation="relu")
        self.flatten = keras.layers.Flatten()
        self.d1 = keras.layers.Dense(16, activation="relu")
        self.d2 = keras.layers.Dense(10)

    def call(self, x):
        x = self.conv1(x)
        x = self.flatten(x)
        x = self.d1(x)
        return self.d2(x)


model = MyModel()
loss_object = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = keras.optimizers.Adam()

train_loss = keras.metrics.Mean(name="train_loss")
train_accuracy = keras.metrics.SparseCategoricalAccuracy(name="train_accuracy")
test_loss = keras.metrics.Mean(name="test_loss")
test_accuracy = keras.metrics.SparseCategoricalAccuracy(name="test_accuracy")


@tf.function
def train_step(images, labels):
    with tf.GradientTape() as tape:
        predictions = model(images, training=True)
        loss = loss_object(labels, predictions)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    train_loss(loss)
    train_accuracy(labels, predictions)


@tf.function
def test_step(images, labels):
    predictions = model(images, training=False)
    t_loss = loss_object(labels, predictions)
    test_loss(t_loss)
    test_accuracy(labels, predictions)


tf.io.gfile.makedirs(LOG_DIR)
writer = tf.summary.create_file_writer(LOG_DIR)
checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
checkpoint.restore(tf.train.latest_checkpoint(CHECKPOINT_DIR))

history = []
for epoch in range(EPOCHS):
    train_loss.reset_state()
    train_accuracy.reset_state()
    test_loss.reset_state()
    test_accuracy.reset_state()

    for images, labels in train_ds:
        train_step(images, labels)
    for test_images, test_labels in test_ds:
        test_step(test_images, test_labels)

    with writer.as_default():
        tf.summary.scalar("loss", train_loss.result(), step=epoch)
        tf.summary.scalar("accuracy", train_accuracy.result(), step=epoch)
    checkpoint.save(os.path.join(CHECKPOINT_DIR, "ckpt"))
    history.append([float(train_loss.result()), float(test_loss.result())])
    print(
        f"Epoch {epoch + 1}, "
        f"Loss: {train_loss.result():.4f}, "
        f"Accuracy: {train_accuracy.result() * 100:.2f}, "
        f"Test Loss: {test_loss.result():.4f}, "
        f"Test Accuracy: {test_accuracy.result() * 100:.2f}"
    )
