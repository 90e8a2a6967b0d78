"""Data-parallel training with tf.distribute.MirroredStrategy, as the TF guide teaches it.

A small regression model on synthetic data: the dataset's batch is the global batch, split
between the replicas; the model and optimizer are created under the strategy's scope.
"""

import numpy as np
import tensorflow as tf
from tensorflow import keras

tf.random.set_seed(0)
rng = np.random.default_rng(0)
features = rng.normal(size=(64, 8)).astype("float32")
targets = (features @ rng.normal(size=(8, 1))).astype("float32")

strategy = tf.distribute.MirroredStrategy()
print("replicas:", strategy.num_replicas_in_sync)
GLOBAL_BATCH = 8 * strategy.num_replicas_in_sync

train = tf.data.Dataset.from_tensor_slices((features, targets))
train = train.shuffle(64, seed=0).batch(GLOBAL_BATCH).prefetch(tf.data.AUTOTUNE)

with strategy.scope():
    model = keras.Sequential([
        keras.Input(shape=(8,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")

history = model.fit(train, epochs=2, steps_per_epoch=2)
print("loss:", history.history["loss"])
