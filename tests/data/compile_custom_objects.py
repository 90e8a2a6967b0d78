import numpy as np
import tensorflow as tf
from tensorflow import keras


class FocalLoss(keras.losses.Loss):
    def __init__(self, gamma=2.0, name="focal_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.gamma = gamma

    def call(self, y_true, y_pred):
        p = tf.clip_by_value(y_pred, 1e-7, 1 - 1e-7)
        pt = y_true * p + (1 - y_true) * (1 - p)
        return -tf.reduce_mean((1 - pt) ** self.gamma * tf.math.log(pt), axis=-1)


class HitRate(keras.metrics.Metric):
    def __init__(self, name="hit_rate", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hits = self.add_weight(name="hits", initializer="zeros")
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        hit = tf.cast(tf.equal(tf.round(y_pred), y_true), tf.float32)
        self.hits.assign_add(tf.reduce_sum(hit))
        self.count.assign_add(tf.cast(tf.size(hit), tf.float32))

    def result(self):
        return self.hits / self.count


rng = np.random.default_rng(0)
x = rng.normal(size=(32, 4)).astype("float32")
y = (rng.random((32, 1)) > 0.5).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid", kernel_initializer=keras.initializers.Constant(0.1))])
model.compile(optimizer=keras.optimizers.SGD(0.1), loss=FocalLoss(), metrics=["auc", HitRate()])
history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
