"""A tiny GAN trained with two GradientTapes, as TensorFlow's DCGAN tutorial does.

The generator learns to map noise to points near a fixed 2-D target. The data is synthetic
and seeded, so the script runs in seconds on a CPU; a checkpoint manager keeps the latest
training state, and the generator's weights are saved at the end.
"""

import numpy as np
import tensorflow as tf
from tensorflow import keras

LATENT = 4
BATCH = 16
STEPS = 2
CHECKPOINT_DIR = "gan_checkpoints"

tf.random.set_seed(0)
rng = np.random.default_rng(0)
real_points = (rng.normal(size=(BATCH * STEPS, 2)) * 0.1 + [1.0, -1.0]).astype("float32")

generator = keras.Sequential(
    [
        keras.Input(shape=(4,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(2),
    ]
)
discriminator = keras.Sequential(
    [
        keras.Input(shape=(2,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1),
    ]
)

generator_optimizer = keras.optimizers.Adam(1e-3)
discriminator_optimizer = keras.optimizers.Adam(1e-3)
steps_done = tf.Variable(0, trainable=False)

checkpoint = tf.train.Checkpoint(
    generator=generator,
    discriminator=discriminator,
    generator_optimizer=generator_optimizer,
    discriminator_optimizer=discriminator_optimizer,
    steps_done=steps_done,
)
manager = tf.train.CheckpointManager(checkpoint, CHECKPOINT_DIR, max_to_keep=1)


def discriminator_loss(real_output, fake_output):
    real_loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like(real_output), logits=real_output)
    fake_loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros_like(fake_output), logits=fake_output)
    return tf.reduce_mean(real_loss) + tf.reduce_mean(fake_loss)


def generator_loss(fake_output):
    return tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like(fake_output), logits=fake_output)
    )


@tf.function
def train_step(real):
    noise = tf.random.normal([BATCH, LATENT])
    # Both tapes record the same forward pass.
    with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
        generated = generator(noise)
        real_output = discriminator(real)
        fake_output = discriminator(generated)
        gen_loss = generator_loss(fake_output)
        disc_loss = discriminator_loss(real_output, fake_output)
    gen_gradients = gen_tape.gradient(gen_loss, generator.trainable_variables)
    disc_gradients = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
    generator_optimizer.apply_gradients(zip(gen_gradients, generator.trainable_variables))
    discriminator_optimizer.apply_gradients(zip(disc_gradients, discriminator.trainable_variables))
    return gen_loss, disc_loss


history = []
for step in range(STEPS):
    batch = tf.constant(real_points[step * BATCH : (step + 1) * BATCH], dtype=tf.float32)
    gen_loss, disc_loss = train_step(batch)
    steps_done.assign_add(1)
    manager.save()
    history.append((float(gen_loss), float(disc_loss)))
    print(f"step {step}: generator {float(gen_loss):.4f} discriminator {float(disc_loss):.4f}")

generator.save_weights("generator.weights.h5")
