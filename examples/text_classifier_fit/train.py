"""Train a small text classifier: Embedding + LSTM, compile/fit with NumPy arrays.

Synthetic, seeded token sequences so the script runs anywhere in seconds: a sequence is
positive (class 1) when it holds more tokens from the upper half of the vocabulary.
"""

import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

VOCABULARY = 50
LENGTH = 12


def make_data(count, seed):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, VOCABULARY, size=(count, LENGTH))
    labels = ((tokens >= VOCABULARY // 2).sum(axis=1) > LENGTH // 2).astype("float32")
    return tokens, labels.reshape(-1, 1)  # one column, like the model's output


def main(epochs=2):
    tokens, labels = make_data(96, seed=0)
    model = keras.Sequential(
        [
            keras.Input(shape=(12,), dtype="int64"),
            layers.Embedding(VOCABULARY, 8),
            layers.LSTM(16),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.01),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1)
    history = model.fit(
        tokens,
        labels,
        batch_size=32,
        epochs=epochs,
        validation_split=0.25,
        callbacks=[reduce_lr],
        verbose=0,
    )
    probabilities = model.predict(tokens[:4], verbose=0)
    print("loss per epoch:", history.history["loss"])
    print("probabilities:", probabilities.ravel())
    return history, probabilities


if __name__ == "__main__":
    main()
