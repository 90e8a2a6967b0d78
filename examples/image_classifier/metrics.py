import tensorflow as tf


def masked_mean(values, mask):
    mask = tf.cast(mask, values.dtype)
    total = tf.reduce_sum(values * mask, axis=[1, 2], keepdims=True)
    count = tf.maximum(tf.reduce_sum(mask, axis=[1, 2], keepdims=True), 1.0)
    return total / count


def pairwise_logits(a, b):
    return tf.matmul(a, tf.transpose(b, perm=[0, 2, 1]))


def split_heads(x, heads):
    return tf.stack(tf.split(x, heads, axis=-1), axis=1)
