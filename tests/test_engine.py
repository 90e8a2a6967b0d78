"""The engine's guarantees, one at a time, on small sources."""

from __future__ import annotations

import ast

import libcst as cst
import pytest

from migrate.codemod import Outcome, Selection, migrate_source
from migrate.codemod.imports import ImportPlan
from migrate.codemod.names import Aliases, Binding, canonical
from migrate.rules import Registry, default_registry
from migrate.rules.base import Rule


@pytest.mark.parametrize(
    ("spelled", "canonical_name"),
    [
        ("tensorflow.keras.layers.Dense", "keras.layers.Dense"),
        ("tensorflow.python.keras.layers.Dense", "keras.layers.Dense"),
        ("tf_keras.layers.Dense", "keras.layers.Dense"),
        ("tf_keras", "keras"),
        ("keras.src.layers.core.dense.Dense", "keras.layers.Dense"),
        ("keras.src.ops.numpy.mean", "keras.ops.mean"),
        ("keras.src.layers.Dense", "keras.layers.Dense"),
        ("tensorflow.compat.v2.reduce_sum", "tensorflow.reduce_sum"),
        ("tensorflow.keras", "keras"),
        ("tensorflow.math.reduce_sum", "tensorflow.math.reduce_sum"),
        ("keras.ops.sum", "keras.ops.sum"),
    ],
)
def test_canonical_names(spelled: str, canonical_name: str) -> None:
    assert canonical(spelled) == canonical_name


def test_file_without_tf_is_returned_as_is_without_parsing() -> None:
    # Not valid Python: proves the text check short-circuits before the parser.
    result = migrate_source("def broken(:\n")
    assert result.error is None and result.output == "def broken(:\n" and result.findings == []


def test_unparseable_file_is_left_untouched_with_a_one_line_reason() -> None:
    source = "import tensorflow as tf\ny = tf.reduce_sum(x\n"
    result = migrate_source(source, "bad.py")
    assert result.output == source
    assert result.error is not None and "\n" not in result.error
    assert result.error.startswith("does not parse: line")


def test_a_crashing_rule_leaves_the_file_untouched_and_is_named() -> None:
    class Boom(Rule):
        id = "test.boom"
        names = ("tf.reduce_sum",)
        summary = why = example = ""

        def rewrite_call(self, call, qualified, ctx):  # noqa: ANN001, ANN201
            raise ZeroDivisionError("bug")

    source = "import tensorflow as tf\ny = tf.reduce_sum(x)\n"
    result = migrate_source(source, registry=Registry([Boom()]))
    assert result.output == source
    assert result.error == "rule test.boom raised ZeroDivisionError: bug"


def test_sites_report_original_line_and_column() -> None:
    source = "import tensorflow as tf\n\n\ndef f(x):\n    return 1 + tf.reduce_sum(x) + tf.raw_ops.Foo(x)\n"
    result = migrate_source(source)
    by_rule = {f.rule: f for f in result.findings}
    assert (by_rule["ops.reduce_sum"].line, by_rule["ops.reduce_sum"].col) == (5, 15)
    assert (by_rule["unmapped"].line, by_rule["unmapped"].col) == (5, 34)
    assert by_rule["unmapped"].outcome is Outcome.TODO


def test_ignored_rule_leaves_code_without_a_marker_and_keeps_the_import() -> None:
    source = "import tensorflow as tf\ny = tf.reduce_sum(x)\nz = tf.abs(x)\n"
    result = migrate_source(source, selection=Selection(ignore=("ops.reduce_sum",)))
    assert result.output == "import torch\nimport tensorflow as tf\ny = tf.reduce_sum(x)\nz = torch.abs(x)\n"
    assert [f.outcome for f in result.findings] == [Outcome.IGNORED, Outcome.REWRITTEN]


def test_select_by_prefix() -> None:
    selection = Selection(select=("ops",), ignore=("ops.abs",))
    assert selection.enabled("ops.reduce_sum")
    assert not selection.enabled("ops.abs")
    assert not selection.enabled("nn.relu")
    assert not selection.enabled("opsx.thing")  # a prefix ends at a dot
    assert selection.unknown(default_registry().ids()) == []
    assert Selection(select=("nope",)).unknown(default_registry().ids()) == ["nope"]


def test_todo_marker_is_written_once_and_stays_one_line() -> None:
    source = "import tensorflow as tf\ny = tf.split(x, n)\ny = tf.split(x, n)\n"
    first = migrate_source(source).output
    assert first.count("# migrate: TODO(ops.split)") == 2
    assert migrate_source(first).output == first
    for line in first.splitlines():
        if "TODO(" in line:
            assert line.startswith("# migrate: TODO(ops.split) ")


def test_one_marker_per_statement_and_reason_in_source_order() -> None:
    source = "import tensorflow as tf\ny = tf.raw_ops.B(tf.raw_ops.A(x))\n"
    lines = migrate_source(source).output.splitlines()
    assert lines[1].endswith("`tf.raw_ops.B` yet") and lines[2].endswith("`tf.raw_ops.A` yet")


@pytest.mark.parametrize(
    "snippet",
    [
        "for tf in items:\n    tf.abs(1)\n",
        "with open(p) as tf:\n    tf.abs(1)\n",
        "try:\n    pass\nexcept ValueError as tf:\n    tf.abs(1)\n",
        "def f(*tf):\n    return tf.abs(1)\n",
        "def f(**tf):\n    return tf.abs(1)\n",
        "def f(*, tf):\n    return tf.abs(1)\n",
        "tf = object()\ny = tf.abs(1)\n",
        "if (tf := thing()):\n    tf.abs(1)\n",
    ],
)
def test_a_rebound_name_is_not_tf(snippet: str) -> None:
    source = "import tensorflow as tf\n" + snippet
    result = migrate_source(source)
    assert [f for f in result.findings if f.rule == "ops.abs"] == []
    assert "torch" not in result.output


def test_names_in_non_load_positions_are_not_sites() -> None:
    source = "import tensorflow as tf\nclass tf_thing: pass\nf(tf=1)\nobj.tf.abs(1)\n"
    assert migrate_source(source).findings == []


def test_a_tf_module_used_as_a_value_keeps_its_import() -> None:
    source = "import tensorflow as tf\nregister(tf)\ny = tf.abs(x)\n"
    output = migrate_source(source).output
    assert "import tensorflow as tf" in output and "torch.abs(x)" in output


def test_star_import_is_flagged_not_removed() -> None:
    result = migrate_source("from tensorflow.keras.layers import *\nx = Dense(3)\n")
    assert [f.rule for f in result.findings] == ["imports.star"]
    assert "from tensorflow.keras.layers import *" in result.output


def test_partial_from_import_keeps_used_names() -> None:
    source = "from tensorflow.math import reduce_sum, raw_thing\ny = reduce_sum(x)\nz = raw_thing(x)\n"
    output = migrate_source(source).output
    assert "from tensorflow.math import raw_thing\n" in output


def test_import_removed_from_a_block_leaves_pass() -> None:
    source = "try:\n    import tensorflow as tf\nexcept ImportError:\n    tf = None\n"
    output = migrate_source(source).output
    ast.parse(output)
    assert "import tensorflow" not in output and "    pass\n" in output


def test_import_plan_spells_short_names_unless_taken() -> None:
    free = ImportPlan("x = 1\n", Aliases())
    assert cst.Module([]).code_for_node(free.spell("torch.nn.functional.relu")) == "F.relu"
    assert cst.Module([]).code_for_node(free.spell("torch.nn.Linear")) == "nn.Linear"
    assert free.needed == {"import torch.nn.functional as F", "from torch import nn"}

    taken = ImportPlan("F = 3\n", Aliases())
    assert cst.Module([]).code_for_node(taken.spell("torch.nn.functional.relu")) == "nn.functional.relu"
    assert taken.needed == {"from torch import nn"}

    all_taken = ImportPlan("F = 3\nnn = 4\n", Aliases())
    assert cst.Module([]).code_for_node(all_taken.spell("torch.nn.functional.relu")) == "torch.nn.functional.relu"
    assert all_taken.needed == {"import torch"}

    aliases = Aliases()
    aliases.add(Binding("nn", "torch.nn"))
    reused = ImportPlan("from torch import nn\n", aliases)
    assert cst.Module([]).code_for_node(reused.spell("torch.nn.Linear")) == "nn.Linear"
    assert reused.needed == set()


def test_crlf_newlines_survive() -> None:
    source = "import tensorflow as tf\r\ny = tf.abs(x)\r\n"
    assert migrate_source(source).output == "import torch\r\ny = torch.abs(x)\r\n"


def test_deeply_nested_source_is_an_error_not_a_crash() -> None:
    source = "import tensorflow as tf\ny = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    result = migrate_source(source)
    assert result.output == source
    assert result.error is not None


@pytest.mark.parametrize("source", ["import tensorflow as tf\ny = tf.abs(x)", "import tensorflow as tf"])
def test_source_without_final_newline(source: str) -> None:
    result = migrate_source(source)
    assert result.error is None
    assert not result.output.endswith("\n") or result.output == ""
    assert migrate_source(result.output).output == result.output


def test_parse_error_names_the_right_line() -> None:
    result = migrate_source("import tensorflow as tf\na = 1\nprint 'hi'\nb = 2\n")
    assert result.error is not None and result.error.startswith("does not parse: line 3, column 1:")


def _positions(source: str) -> list[tuple[int, int]]:
    return [(f.line, f.col) for f in migrate_source(source).findings]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (  # a conditional expression: the value comes before the condition in the text
            "from tensorflow.python.framework import tensor_util\n"
            "x = tensor_util.constant_value(b) if tensor_util.is_tensor(c) else tensor_util.constant_value_as_shape(s)\n",
            [(2, 4), (2, 37), (2, 67)],
        ),
        (  # a comprehension: its element comes before its loop
            "from tensorflow.python.util import nest\nfrom tensorflow.python.framework import ops\n"
            "v = f(shapes=[ops.convert_to_tensor(s) for s in nest.flatten(p)],\n      values=nest.flatten(q))\n",
            [(3, 14), (3, 48), (4, 13)],
        ),
        (  # a compound statement's header, then its body
            "from tensorflow.python.framework import tensor\nfrom tensorflow.python.util import nest\n"
            "if any(isinstance(a, tensor.TensorSpec) for a in nest.flatten(xs)):\n"
            "    bad = [a for a in nest.flatten(xs) if isinstance(a, tensor.TensorSpec)]\n",
            [(3, 21), (3, 49), (4, 22), (4, 56)],
        ),
        (  # a dotted name broken over lines is found by its first name, past comments
            "from tensorflow.python.data.ops import options as options_lib\n# comment\n"
            "f(policy=options_lib\n  .ExternalStatePolicy.FAIL)\n",
            [(3, 9)],
        ),
        (  # whole names only: `xtf.abs` and `tf.abs_grad` are not `tf.abs`
            "import tensorflow as tf\ny = xtf.abs(1) + tf.abs_grad(2) + tf.abs(3)\n",
            [(2, 17), (2, 34)],
        ),
    ],
)
def test_site_positions_follow_the_text(source: str, expected: list[tuple[int, int]]) -> None:
    assert _positions(source) == expected


def test_comprehension_variable_hides_an_import_but_not_in_the_first_iterable() -> None:
    source = "import tensorflow as tf\nys = [tf for tf in tf.unstack(x)]\n"
    findings = migrate_source(source).findings
    assert [(f.api, f.col) for f in findings] == [("tensorflow.unstack", 19)]


def test_todos_in_elif_and_else_headers_are_written() -> None:
    source = (
        "import tensorflow as tf\n"
        "if a:\n    pass\nelif tf.raw_ops.Foo(x):\n    y = 1\nelse: z = tf.raw_ops.Bar()\n"
    )
    output = migrate_source(source).output
    # Both sites belong to the `elif` statement (the `else:` one-liner is part of it).
    assert (
        "# migrate: TODO(unmapped) no rule for `tf.raw_ops.Foo` yet\n"
        "# migrate: TODO(unmapped) no rule for `tf.raw_ops.Bar` yet\nelif"
    ) in output
    compile(output, "<migrated>", "exec")


def test_decorator_calls_are_sites_and_their_arguments_too() -> None:
    source = (
        "import tensorflow as tf\n\n"
        "@tf.keras.utils.register_keras_serializable(package=tf.raw_ops.P)\n"
        "class Block:\n    pass\n"
    )
    result = migrate_source(source, registry=Registry([]))  # no rule: both are TODOs
    assert [(f.api, f.outcome) for f in result.findings] == [
        ("keras.utils.register_keras_serializable", Outcome.TODO),
        ("tensorflow.raw_ops.P", Outcome.TODO),
    ]
    assert "@tf.keras.utils.register_keras_serializable(package=tf.raw_ops.P)\nclass Block" in result.output


class _CallBranches(Rule):
    """A stand-in for ``tf.cond``: turns its two value arguments into calls."""

    id = "test.cond"
    names = ("tf.cond",)
    summary = why = example = ""

    def rewrite_call(self, call, qualified, ctx):  # noqa: ANN001, ANN201
        predicate, true_fn, false_fn = (arg.value for arg in call.args)
        return cst.IfExp(test=predicate, body=ctx.call(true_fn), orelse=ctx.call(false_fn))


class _CallOnly(Rule):
    """A stand-in for ``tf.no_op``: migrated as a call, not as a value."""

    id = "test.no_op"
    names = ("tf.no_op",)
    summary = why = example = ""

    def rewrite_call(self, call, qualified, ctx):  # noqa: ANN001, ANN201
        return cst.Name("None")


def test_a_reference_a_rule_makes_a_call_is_migrated_in_the_same_run() -> None:
    registry = Registry([_CallBranches(), _CallOnly()])
    source = "import tensorflow as tf\nz = tf.cond(p, f, tf.no_op)\n"
    result = migrate_source(source, registry=registry)
    assert result.output == "z = f() if p else None\n"
    assert [(f.rule, f.outcome) for f in result.findings] == [
        ("test.cond", Outcome.REWRITTEN),
        ("test.no_op", Outcome.REWRITTEN),
    ]
    assert migrate_source(result.output, registry=registry).output == result.output


def test_a_reference_made_a_call_keeps_its_todo_when_its_rule_refuses_the_call() -> None:
    registry = Registry([_CallBranches()])
    source = "import tensorflow as tf\nz = tf.cond(p, f, tf.math.unknown)\n"
    result = migrate_source(source, registry=registry)
    assert "# migrate: TODO(unmapped)" in result.output
    assert "tf.math.unknown()" in result.output


def test_a_site_under_an_earlier_marker_is_located_in_the_code() -> None:
    source = "import tensorflow as tf\n# migrate: TODO(unmapped) no rule for `tf.foo.bar` yet\ny = tf.foo.bar(x)\n"
    result = migrate_source(source)
    assert [(f.line, f.col) for f in result.findings] == [(3, 4)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("f(\n    logits,  # scores\n)\n", "g(\n    logits,  # scores\n    dim=0,\n)\n"),
        ("f(\n    logits  # scores\n)\n", "g(\n    logits,  # scores\n    dim=0\n)\n"),
        ("f(\n    a,\n    b\n)\n", "g(\n    a,\n    b,\n    dim=0\n)\n"),
        ("f(logits)\n", "g(logits, dim=0)\n"),
    ],
)
def test_an_added_argument_follows_the_call_layout_and_comments_stay_once(source: str, expected: str) -> None:
    from migrate.rules.base import NewArg, build_call

    call = cst.parse_module(source).body[0].body[0].value
    args = [NewArg(a.value, None, a) for a in call.args] + [NewArg(cst.Integer("0"), "dim", None)]
    assert cst.Module([]).code_for_node(build_call(call, cst.Name("g"), args)) + "\n" == expected
