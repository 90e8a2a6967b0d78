"""Whole keras.applications models through `migrate model`: the generated module, with the
Keras weights copied in, computes the same logits (max |Δ| ≤ 1e-4 on a batch of 2), and its
source is idiomatic: no ONNX names, no permute/transpose inside forward.

Each application is built once (weights=None, seeded, small input, classes=10, logits out).
"""

from __future__ import annotations

import ast
import re

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytest.importorskip("torch")

from migrate.codegen import generate  # noqa: E402
from migrate.codegen.helpers import HELPERS  # noqa: E402

from .codegen_support import compare, randomize  # noqa: E402

APPS = {
    "ResNet50": (64, 64, 3),
    "MobileNetV2": (64, 64, 3),
    "EfficientNetB0": (64, 64, 3),
    "DenseNet121": (64, 64, 3),
    "ConvNeXtTiny": (32, 32, 3),
}
ONNX_NAMES = re.compile(r"\bonnx|\b(Gemm|MatMul|Unsqueeze|Gather|ReadVariableOp|BiasAdd|Conv__\d+)\b")


@pytest.fixture(scope="module", params=list(APPS))
def app(request):
    keras.utils.set_random_seed(0)
    model = getattr(keras.applications, request.param)(
        weights=None, input_shape=APPS[request.param], classes=10, classifier_activation=None
    )
    randomize(model)
    return model, generate(model)


def test_application_matches_keras(app):
    model, generated = app
    x = np.random.default_rng(1).normal(size=(2, *model.inputs[0].shape[1:])).astype("float32")
    assert compare(model, generated, [x]) <= 1e-4


def test_application_source_is_idiomatic(app):
    _, generated = app
    assert not ONNX_NAMES.search(generated.source)
    tree = ast.parse(generated.source)
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef) or cls.name in HELPERS:
            continue
        forward = next(f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "forward")
        calls = {n.func.attr for n in ast.walk(forward) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
        assert not calls & {"permute", "transpose", "movedim", "contiguous"}, cls.name
    assert not generated.todos
