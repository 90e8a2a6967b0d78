"""A custom training loop under tf.distribute.MirroredStrategy, as the TF guide teaches it.

Each replica computes its loss over its slice of the global batch, scaled by the global batch
size; strategy.run runs the step on every replica and strategy.reduce sums their losses.
"""

import numpy as np
import tensorflow as tf
from tensorflow import keras

tf.random.set_seed(0)
rng = np.random.default_rng(0)
features = rng.normal(size=(64, 8)).astype("float32")
targets = (features @ rng.normal(size=(8, 1))).astype("float32")

strategy = tf.distribute.MirroredStrategy()
GLOBAL_BATCH = 8 * strategy.num_replicas_in_sync

dataset = tf.data.Dataset.from_tensor_slices((features, targets)).shuffle(64, seed=0).batch(GLOBAL_BATCH)
dist_dataset = strategy.experimental_distribute_dataset(dataset)

with strategy.scope():
    model = keras.Sequential([
        keras.Input(shape=(8,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1),
    ])
    optimizer = keras.optimizers.SGD(learning_rate=0.05)


def train_step(inputs):
    x, y = inputs
    with tf.GradientTape() as tape:
        predictions = model(x)
        # The replica's share of the global mean: its squared errors over the global batch.
        loss = tf.reduce_sum(tf.square(y - predictions)) / GLOBAL_BATCH
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss


@tf.function
def distributed_train_step(inputs):
    per_replica_losses = strategy.run(train_step, args=(inputs,))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica_losses, axis=None)


losses = []
for epoch in range(2):
    total, batches = 0.0, 0
    for batch in dist_dataset:
        total += float(distributed_train_step(batch))
        batches += 1
    losses.append(total / batches)
    print(f"epoch {epoch + 1}: loss {losses[-1]:.4f}")
