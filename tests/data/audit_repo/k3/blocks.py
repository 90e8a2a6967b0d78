import keras
from keras import ops


def gelu_block(x):
    return ops.mean(keras.activations.gelu(x), axis=-1)
