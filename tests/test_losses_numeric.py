"""Every loss form ``rules/keras_losses.py`` writes, against Keras: value and gradient.

For each variant the Keras loss object is called on seeded inputs under a GradientTape; the
torch expression the plan writes (``LossPlan.call``, ``per_example``, ``weighted``) is
evaluated on the same inputs with autograd. Values and d(loss)/d(y_pred) must agree to
1e-5 (fp32; the torch side runs the same clipping and formulas, so only rounding differs).
"""

from __future__ import annotations

from typing import Any

import libcst as cst
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")
F = torch.nn.functional

from migrate.rules.keras_losses import SPECS, LossPlan, torch_loss  # noqa: E402

ATOL = 1e-5


class _Ctx:
    """The slice of the engine's context the loss builder uses; the module-level definitions
    it asks for (``same_rank``) are collected once each and run before the expressions."""

    def __init__(self) -> None:
        self.definitions: list[str] = []

    def add_definition(self, statements: list[cst.BaseStatement]) -> None:
        code = cst.Module(body=statements).code
        if code not in self.definitions:
            self.definitions.append(code)

    def name(self, qualified: str) -> cst.BaseExpression:
        return cst.parse_expression({"torch.nn.functional": "F"}.get(qualified, qualified))

    def source(self, node: cst.CSTNode) -> str:
        return cst.Module([]).code_for_node(node)


CTX = _Ctx()
RNG_SEED = 1234


def _inputs(kind: str, shape: tuple[int, ...], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(y_true, y_pred) for a kind of loss."""
    classes = shape[-1]
    if kind == "regression":
        return rng.normal(size=shape).astype("float32"), rng.normal(size=shape).astype("float32")
    if kind == "positive":
        return rng.uniform(0.1, 3, size=shape).astype("float32"), rng.uniform(0.1, 3, size=shape).astype("float32")
    if kind == "binary_probs":
        return rng.integers(0, 2, size=shape).astype("float32"), rng.uniform(0.02, 0.98, size=shape).astype("float32")
    if kind == "binary_saturated":  # probabilities past the clip: the clip decides value and gradient
        p = rng.uniform(0.02, 0.98, size=shape).astype("float32")
        p.flat[0], p.flat[1] = 1e-9, 1 - 1e-9
        return rng.integers(0, 2, size=shape).astype("float32"), p
    if kind == "binary_logits":
        return rng.integers(0, 2, size=shape).astype("float32"), rng.normal(scale=2, size=shape).astype("float32")
    if kind == "plus_minus":  # hinge labels already in {-1, 1}
        return rng.choice([-1.0, 1.0], size=shape).astype("float32"), rng.normal(size=shape).astype("float32")
    if kind == "onehot_probs":
        labels = rng.integers(0, classes, size=shape[:-1])
        logits = rng.normal(size=shape)
        probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        return np.eye(classes, dtype="float32")[labels], probs.astype("float32")
    if kind == "onehot_logits":
        labels = rng.integers(0, classes, size=shape[:-1])
        return np.eye(classes, dtype="float32")[labels], rng.normal(size=shape).astype("float32")
    if kind == "soft_logits":  # label distributions, not one-hot
        t = rng.uniform(size=shape)
        return (t / t.sum(-1, keepdims=True)).astype("float32"), rng.normal(size=shape).astype("float32")
    if kind == "sparse_logits":
        return rng.integers(0, classes, size=shape[:-1]).astype("int32"), rng.normal(size=shape).astype("float32")
    if kind == "sparse_column":  # labels of shape (batch, 1), squeezed by Keras
        return rng.integers(0, classes, size=shape[:-1] + (1,)).astype("int64"), rng.normal(size=shape).astype("float32")
    if kind == "sparse_probs":
        labels = rng.integers(0, classes, size=shape[:-1]).astype("int32")
        logits = rng.normal(size=shape)
        return labels, (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype("float32")
    if kind == "distributions":
        t, p = rng.uniform(size=shape), rng.uniform(size=shape)
        return (t / t.sum(-1, keepdims=True)).astype("float32"), (p / p.sum(-1, keepdims=True)).astype("float32")
    raise ValueError(kind)


#: (class, keyword arguments, input kind, shape)
CASES: list[tuple[str, dict[str, Any], str, tuple[int, ...]]] = [
    ("MeanSquaredError", {}, "regression", (6, 3)),
    ("MeanSquaredError", {"reduction": "sum"}, "regression", (6, 3)),
    ("MeanSquaredError", {"reduction": None}, "regression", (6, 3)),
    ("MeanAbsoluteError", {}, "regression", (6, 3)),
    ("MeanAbsolutePercentageError", {}, "positive", (6, 3)),
    ("MeanSquaredLogarithmicError", {}, "positive", (6, 3)),
    ("Huber", {}, "regression", (6, 3)),
    ("Huber", {"delta": 0.5}, "regression", (6, 3)),
    ("Huber", {"delta": 2.0, "reduction": "sum"}, "regression", (6, 3)),
    ("LogCosh", {}, "regression", (6, 3)),
    ("Poisson", {}, "positive", (6, 3)),
    ("BinaryCrossentropy", {}, "binary_probs", (6, 4)),
    ("BinaryCrossentropy", {}, "binary_saturated", (6, 4)),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_logits", (6, 4)),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "binary_probs", (6, 4)),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.2, "reduction": "sum"}, "binary_logits", (6, 4)),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_logits", (6, 1)),
    ("CategoricalCrossentropy", {}, "onehot_probs", (6, 5)),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot_logits", (6, 5)),
    ("CategoricalCrossentropy", {"from_logits": True}, "soft_logits", (6, 5)),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot_logits", (2, 3, 5)),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "onehot_probs", (6, 5)),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "onehot_logits", (6, 5)),
    ("CategoricalCrossentropy", {"from_logits": True, "reduction": None}, "onehot_logits", (2, 3, 5)),
    ("SparseCategoricalCrossentropy", {}, "sparse_probs", (6, 5)),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits", (6, 5)),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_column", (6, 5)),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits", (2, 3, 5)),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "reduction": "sum"}, "sparse_logits", (2, 3, 5)),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 0}, "sparse_logits", (8, 5)),
    ("SparseCategoricalCrossentropy", {"reduction": None}, "sparse_probs", (6, 5)),
    ("Hinge", {}, "binary_logits", (6, 4)),
    ("Hinge", {}, "plus_minus", (6, 4)),
    ("SquaredHinge", {}, "binary_logits", (6, 4)),
    ("CategoricalHinge", {}, "onehot_logits", (6, 5)),
    ("KLDivergence", {}, "distributions", (6, 4)),
    ("CosineSimilarity", {}, "regression", (6, 4)),
    ("CosineSimilarity", {"axis": 1}, "regression", (6, 4)),
]


def _keras(cls: str, kwargs: dict[str, Any], y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray | None = None):
    loss = getattr(keras.losses, cls)(**kwargs)
    pred = tf.Variable(y_pred)
    with tf.GradientTape() as tape:
        value = loss(tf.constant(y_true), pred, sample_weight=None if weights is None else tf.constant(weights))
        total = tf.reduce_sum(value)
    return value.numpy(), tape.gradient(total, pred).numpy()


def _torch(expr: cst.BaseExpression, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray | None = None):
    pred = torch.tensor(y_pred, requires_grad=True)
    scope = {"F": F, "torch": torch, "y_true": torch.tensor(y_true), "y_pred": pred}
    for definition in CTX.definitions:
        exec(definition, scope)  # noqa: S102 - our own generated code
    if weights is not None:
        scope["w"] = torch.tensor(weights)
    value = eval(cst.Module([]).code_for_node(expr), scope)  # noqa: S307 - our own generated code
    value.sum().backward()
    return value.detach().numpy(), pred.grad.numpy()


def _case_id(case: tuple[str, dict[str, Any], str, tuple[int, ...]]) -> str:
    cls, kwargs, kind, shape = case
    args = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{cls}({args})-{kind}-{'x'.join(map(str, shape))}"


def _class_plan(cls: str, kwargs: dict[str, Any]) -> LossPlan:
    call = cst.parse_expression(f"keras.losses.{cls}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})")
    return torch_loss(call, CTX)


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_loss_value_and_gradient_match_keras(case) -> None:  # noqa: ANN001
    cls, kwargs, kind, shape = case
    y_true, y_pred = _inputs(kind, shape, np.random.default_rng(RNG_SEED))
    expected, expected_grad = _keras(cls, kwargs, y_true, y_pred)
    plan = _class_plan(cls, kwargs)
    got, got_grad = _torch(plan.call(cst.Name("y_true"), cst.Name("y_pred")), y_true, y_pred)
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=1e-5)
    np.testing.assert_allclose(got_grad, expected_grad, atol=ATOL, rtol=1e-4)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if not c[1]][:12] + [("BinaryCrossentropy", {"from_logits": True}, "binary_logits", (6, 4))],
    ids=lambda c: _case_id(c),
)
def test_sample_weights_reduce_as_keras_does(case) -> None:  # noqa: ANN001
    """Keras multiplies the per-example losses by the weights and divides by their count."""
    cls, kwargs, kind, shape = case
    rng = np.random.default_rng(RNG_SEED)
    y_true, y_pred = _inputs(kind, shape, rng)
    weights = rng.uniform(0, 2, size=shape[:1]).astype("float32")
    expected, expected_grad = _keras(cls, kwargs, y_true, y_pred, weights)
    plan = _class_plan(cls, kwargs)
    got, got_grad = _torch(plan.weighted(cst.Name("y_true"), cst.Name("y_pred"), cst.Name("w")), y_true, y_pred, weights)
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=1e-5)
    np.testing.assert_allclose(got_grad, expected_grad, atol=ATOL, rtol=1e-4)


@pytest.mark.parametrize(
    "string, kind",
    [
        ("mse", "regression"), ("mae", "regression"), ("mape", "positive"), ("msle", "positive"),
        ("huber", "regression"), ("log_cosh", "regression"), ("poisson", "positive"), ("kld", "distributions"),
        ("binary_crossentropy", "binary_probs"), ("categorical_crossentropy", "onehot_probs"),
        ("sparse_categorical_crossentropy", "sparse_probs"), ("cosine_similarity", "regression"),
    ],
)
def test_compile_strings_mean_the_keras_function(string: str, kind: str) -> None:
    """``compile(loss="mse")`` is the function's per-example value averaged over the batch."""
    y_true, y_pred = _inputs(kind, (6, 4), np.random.default_rng(RNG_SEED))
    loss = keras.losses.get(string)
    pred = tf.Variable(y_pred)
    with tf.GradientTape() as tape:
        value = tf.reduce_mean(loss(tf.constant(y_true), pred))
    expected, expected_grad = value.numpy(), tape.gradient(value, pred).numpy()
    got, got_grad = _torch(torch_loss(string, CTX).call(cst.Name("y_true"), cst.Name("y_pred")), y_true, y_pred)
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=1e-5)
    np.testing.assert_allclose(got_grad, expected_grad, atol=ATOL, rtol=1e-4)


def test_every_loss_class_has_a_case() -> None:
    assert {c[0] for c in CASES} == set(SPECS)


# ---------------------------------------------------------------------------------------
# Keras's rank rule: labels and predictions whose ranks differ by a trailing axis of 1.

#: (loss, input kind): every loss whose torch form would broadcast or refuse such a pair.
RANKED = [(name, kind) for name, kind in [
    ("MeanSquaredError", "regression"), ("MeanAbsoluteError", "regression"),
    ("MeanAbsolutePercentageError", "positive"), ("MeanSquaredLogarithmicError", "positive"),
    ("Huber", "regression"), ("LogCosh", "regression"), ("Poisson", "positive"),
    ("BinaryCrossentropy", "binary_probs"), ("Hinge", "binary_logits"), ("SquaredHinge", "binary_logits"),
]]

#: (y_true shape, y_pred shape): Keras expands the rank-1 side, or squeezes the longer one.
RANK_PAIRS = [((6,), (6, 1)), ((6, 1), (6,)), ((2, 3, 1), (2, 3)), ((2, 3), (2, 3, 1))]


def _shaped(kind: str, true_shape: tuple[int, ...], pred_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = _inputs(kind, (int(np.prod(true_shape)),), np.random.default_rng(RNG_SEED))
    return y_true.reshape(true_shape), y_pred.reshape(pred_shape)


def test_rank_rule_covers_every_elementwise_loss() -> None:
    assert {name for name, _ in RANKED} == {name for name, spec in SPECS.items() if spec.same_rank}


@pytest.mark.parametrize("shapes", RANK_PAIRS, ids=lambda s: f"{s[0]}-{s[1]}")
@pytest.mark.parametrize("loss", RANKED, ids=lambda c: c[0])
def test_rank_rule_matches_keras(loss: tuple[str, str], shapes) -> None:  # noqa: ANN001
    """Labels (N,) against predictions (N, 1) and the reverse (and a sequence's trailing
    axis): the mean and the per-example values are Keras's, where torch alone would
    broadcast to (N, N) or refuse."""
    cls, kind = loss
    y_true, y_pred = _shaped(kind, *shapes)
    for kwargs in ({}, {"reduction": None}):
        expected, expected_grad = _keras(cls, kwargs, y_true, y_pred)
        got, got_grad = _torch(_class_plan(cls, kwargs).call(cst.Name("y_true"), cst.Name("y_pred")), y_true, y_pred)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=ATOL, rtol=1e-5)
        np.testing.assert_allclose(got_grad, expected_grad, atol=ATOL, rtol=1e-4)


@pytest.mark.parametrize("function", ["mean_squared_error", "mean_absolute_error", "huber", "log_cosh"])
def test_rank_rule_of_the_loss_functions_matches_keras(function: str) -> None:
    """The functions that apply the rule themselves (``keras.losses.mse(y, p)``)."""
    from migrate.rules.keras_losses import BY_FUNCTION, _defaults, _plan

    spec = SPECS[BY_FUNCTION[function]]
    y_true, y_pred = _shaped("regression", (6,), (6, 1))
    pred = tf.Variable(y_pred)
    with tf.GradientTape() as tape:
        value = getattr(keras.losses, function)(tf.constant(y_true), pred)
        total = tf.reduce_sum(value)
    expected, expected_grad = value.numpy(), tape.gradient(total, pred).numpy()
    plan = _plan(spec, _defaults(spec), CTX, wrapped=False)
    got, got_grad = _torch(plan.per_example(cst.Name("y_true"), cst.Name("y_pred")), y_true, y_pred)
    assert got.shape == expected.shape == (6,)
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=1e-5)
    np.testing.assert_allclose(got_grad, expected_grad, atol=ATOL, rtol=1e-4)


@pytest.mark.filterwarnings("ignore:Using a target size:UserWarning")  # torch's broadcasting warning: expected here
def test_same_shapes_are_left_alone_by_the_rank_rule() -> None:
    """(N, 1) labels with (N, 3) predictions broadcast in Keras too: the rule changes nothing."""
    y_true, y_pred = _shaped("regression", (6, 1), (6, 1))
    y_pred = np.repeat(y_pred, 3, axis=1)
    expected, expected_grad = _keras("MeanSquaredError", {}, y_true, y_pred)
    got, got_grad = _torch(_class_plan("MeanSquaredError", {}).call(cst.Name("y_true"), cst.Name("y_pred")), y_true, y_pred)
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=1e-5)
    np.testing.assert_allclose(got_grad, expected_grad, atol=ATOL, rtol=1e-4)


def test_a_loss_function_of_a_call_becomes_a_file_function_with_keras_values() -> None:
    """``mse(y, model(x))``: the rank rule reads each tensor twice, so the rewrite writes a
    ``def mean_squared_error`` into the file; run, it gives Keras's per-example values."""
    from migrate.codemod import migrate_source

    source = "import tensorflow as tf\n\ndef per_example(y, x):\n    return tf.keras.losses.mse(y, model(x))\n"
    result = migrate_source(source)
    assert "TODO" not in result.output and "mean_squared_error(y, model(x))" in result.output
    y_true, y_pred = _shaped("regression", (6,), (6, 1))
    namespace: dict[str, Any] = {}
    exec(compile(result.output.replace("import tensorflow as tf\n", ""), "<migrated>", "exec"), namespace)
    namespace["model"] = lambda x: x * 1.0  # the "model" returns the predictions it is given
    got = namespace["per_example"](torch.from_numpy(y_true), torch.from_numpy(y_pred)).numpy()
    expected = keras.losses.mean_squared_error(tf.constant(y_true), tf.constant(y_pred)).numpy()
    assert got.shape == expected.shape == (6,)
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=1e-5)
