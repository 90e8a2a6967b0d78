"""Properties of every migration, on generated programs: the output compiles, a second run
changes nothing, and nothing the user wrote outside TF calls is lost (comments, plain
statements)."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrate.codemod import markers, migrate_source

IMPORTS = [
    "import tensorflow as tf",
    "from tensorflow import keras",
    "from tensorflow.keras import layers",
    "from tensorflow.keras import backend as K",
    "from tensorflow.math import reduce_sum",
    "import numpy as np",
    "import torch",
]

# Expression templates; {e} is a smaller expression.
TF_EXPRESSIONS = [
    "tf.reduce_sum({e}, axis={axis}, keepdims={flag})",
    "tf.reduce_mean({e})",
    "tf.nn.softmax({e}, axis=-1)",
    "tf.split({e}, {n}, axis=1)[0]",
    "tf.split({e}, [1, 2])",
    "tf.cast({e}, tf.float32)",
    'tf.cast({e}, "int64")',
    "tf.transpose({e})",
    "tf.transpose({e}, perm=[1, 0])",
    "tf.maximum({e}, 0.0)",
    "tf.subtract(1.0, {e})",
    "tf.matmul({e}, {e}, transpose_b=True)",
    "tf.raw_ops.Foo(x={e})",
    "({e})[:, tf.newaxis]",
    "tf.keras.layers.Dense(3)({e})",
    "layers.Dense(2, name='d')({e})",
    "K.mean({e})",
    "reduce_sum({e}, 1)",
    "tf.concat([{e}, {e}], axis=0)",
    "tf.reshape({e}, [-1, 4])",
    "tf.argmax({e})",
    "tf.function(lambda tf: tf.abs({e}))",
    "[tf.abs(v) for v in {e} if tf.reduce_any(v > 0)]",
    "{{k: tf.exp(v) for k, v in items if k}}",
    "(tf for tf in {e})",
    "f'{{tf.reduce_sum(x, axis=1)}}'",
    "sorted({e}, key=lambda x, tf=tf: tf.abs(x))",
]
LEAVES = ["x", "y + 1", "f(x)", "self.w", "np.ones(3)", "(a if b else c)", "[a, b][0]", "torch.ones(2)"]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    if depth >= 2 or draw(st.booleans()):
        return draw(st.sampled_from(LEAVES))
    template = draw(st.sampled_from(TF_EXPRESSIONS))
    return template.format(
        e=draw(expressions(depth + 1)),
        axis=draw(st.sampled_from(["1", "-1", "[1, 2]", "(0,)", "axis"])),
        flag=draw(st.sampled_from(["True", "False", "keep"])),
        n=draw(st.sampled_from(["2", "num"])),
    )


counter = iter(range(10**9))
# A TF expression for a compound statement's header, so headers get TODOs and rewrites.
CONDITIONS = st.sampled_from(TF_EXPRESSIONS).map(lambda t: t.format(e="x", axis="1", flag="True", n="2"))


@st.composite
def simple_statements(draw: st.DrawFn) -> list[str]:
    kind = draw(st.sampled_from(["assign", "keep", "comment", "multiline", "blank"]))
    n = next(counter)
    if kind == "assign":
        return [f"v{n} = {draw(expressions())}"]
    if kind == "keep":
        return [f"keep_{n} = {n}"]
    if kind == "comment":
        return [f"# note-{n}"]
    if kind == "multiline":
        return [f"w{n} = tf.reduce_sum(  # note-{n}", f"    {draw(expressions())},", "    axis=1,", ")"]
    return [""]


@st.composite
def blocks(draw: st.DrawFn, depth: int = 0) -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        if depth < 2 and draw(st.integers(0, 3)) == 0:
            header = draw(
                st.sampled_from(
                    [
                        "def fn{n}(x, layers=None):",
                        "class C{n}:",
                        "if x:",
                        "for tf_item in items:",
                        "with ctx() as c{n}:",
                        "@tf.function\ndef step{n}(x):",
                        "try:",
                        "if x:\n    pass\nelif {cond}:",
                        "while {cond}:",
                        "with {cond} as w{n}:",
                    ]
                )
            ).format(n=next(counter), cond=draw(CONDITIONS))
            body = draw(blocks(depth + 1))
            lines += header.split("\n") + ["    " + line if line else "" for line in body]
            if header == "try:":
                lines += ["except tf.errors.OpError:", "    pass"]
            if header.startswith(("if", "for", "while")) and draw(st.booleans()):
                lines += ["else:"] + ["    " + line if line else "" for line in draw(blocks(depth + 1))]
        else:
            lines += draw(simple_statements())
    if all(not line.strip() or line.lstrip().startswith("#") for line in lines):
        lines.append("pass")
    return lines


@st.composite
def programs(draw: st.DrawFn) -> str:
    imports = draw(st.lists(st.sampled_from(IMPORTS), min_size=1, max_size=5, unique=True))
    return "\n".join(imports + [""] + draw(blocks())) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_output_compiles_is_final_and_loses_nothing(source: str) -> None:
    compile(source, "<generated>", "exec")  # the generator makes valid Python
    result = migrate_source(source)
    assert result.error is None
    compile(result.output, "<migrated>", "exec")
    assert migrate_source(result.output).output == result.output
    for marker in re.findall(r"# note-\d+|keep_\d+ = \d+", source):
        assert marker in result.output
    for finding in result.findings:  # every TODO the report counts is written in the file
        if finding.outcome.value == "todo":
            assert markers.text(finding.rule, finding.message) in result.output
