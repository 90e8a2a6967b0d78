"""``tf.nn``: activations and friends."""

from __future__ import annotations

from migrate.rules.base import DROP, ApiCall, Kw, Pos

RULES = [
    ApiCall(
        id="nn.relu",
        tf="tf.nn.relu",
        torch="torch.relu",
        signature="features, name=None",
        args={"features": Pos(0), "name": DROP},
        summary="`tf.nn.relu` → `torch.relu`.",
        why="Same function.",
        example="y = tf.nn.relu(x)",
    ),
    ApiCall(
        id="nn.softmax",
        tf=["tf.nn.softmax", "tf.math.softmax"],
        torch="torch.softmax",
        signature="logits, axis=None, name=None",
        args={"logits": Pos(0), "axis": Kw("dim", default=-1), "name": DROP},
        summary="`tf.nn.softmax` → `torch.softmax`, writing TF's default `axis=-1`.",
        why="TF defaults to the last axis; torch has no default and warns or fails without one.",
        example="p = tf.nn.softmax(logits)",
    ),
    ApiCall(
        id="nn.log_softmax",
        tf=["tf.nn.log_softmax", "tf.math.log_softmax"],
        torch="torch.log_softmax",
        signature="logits, axis=None, name=None",
        args={"logits": Pos(0), "axis": Kw("dim", default=-1), "name": DROP},
        summary="`tf.nn.log_softmax` → `torch.log_softmax`, writing TF's default `axis=-1`.",
        why="TF defaults to the last axis; torch needs it stated.",
        example="logp = tf.nn.log_softmax(logits, axis=1)",
    ),
]
