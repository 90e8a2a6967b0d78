"""The editor server's pure parts: minimal edits, the call edit, settings (no server process)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as lsp

from migrate.codemod import Selection, migrate_source
from migrate.lsp.document import Document, SettingsCache, split_lines, text_edits

from .lsp_edits import apply_edits


def to_client(lines, line, character):  # noqa: ANN001, ANN201  (UTF-16 units)
    text = lines[line] if line < len(lines) else ""
    return lsp.Position(line, len(text[:character].encode("utf-16-le")) // 2)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("a\nb\nc\n", "a\nB\nc\n"),
        ("a\nb", "a\nb\nc"),  # no final line break
        ("a\r\nb\r\n", "x\r\na\r\nb\r\n"),
        ("", "import torch\n"),
        ("x = '😋'\ny\n", "x = '😋'\nz\n"),
        ("one\ntwo\nthree", "zero\none\nthree\nfour\n"),
    ],
)
def test_text_edits_turn_one_text_into_the_other(before: str, after: str) -> None:
    assert apply_edits(before, text_edits(before, after, to_client)) == after


def test_split_lines_counts_line_breaks_as_lsp_does() -> None:
    assert split_lines("a\r\nb\rc\nd") == ["a\r\n", "b\r", "c\n", "d"]
    assert split_lines("a\x0cb\n") == ["a\x0cb\n"]  # a form feed is not a line break in LSP


SOURCE = (
    "import tensorflow as tf\n"
    "\n"
    "def loss(x, y):\n"
    "    total = tf.reduce_sum(x, axis=1)\n"
    "    return tf.reduce_mean(total - y)\n"
)


def test_the_call_edit_migrates_one_call_and_agrees_with_the_file_edit() -> None:
    document = Document.analyse("file:///t.py", Path("/t.py"), 1, SOURCE, Selection())
    [call] = document.finding_at(3)
    text = document.call_output(call)
    assert text is not None
    assert "tf.reduce_mean(" in text and "tf.reduce_sum(" not in text
    assert migrate_source(text).output == migrate_source(SOURCE).output == document.file_output()


def test_the_model_edit_migrates_the_class_only() -> None:
    source = SOURCE + "\n\nclass Net:\n    def __call__(self, x):\n        return tf.sqrt(x)\n"
    document = Document.analyse("file:///t.py", None, 1, source, Selection())
    line = source.splitlines().index("        return tf.sqrt(x)")
    assert document.class_at(line) == "Net" and document.class_at(3) is None
    text = document.model_output(line)
    assert text is not None
    assert "return torch.sqrt(x)" in text and "tf.reduce_sum(x, axis=1)" in text
    assert migrate_source(text).output == document.file_output()


def test_half_typed_code_gives_no_diagnostics_and_no_edits() -> None:
    document = Document.analyse("file:///t.py", None, 1, SOURCE + "y = tf.reduce_sum(\n", Selection())
    assert not document.parses
    assert document.diagnostics(to_client) == []
    assert document.file_output() is None


def test_settings_come_from_the_nearest_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.migrate]\nignore = ["ops.reduce_mean"]\nexclude = ["legacy/"]\n')
    (tmp_path / "legacy").mkdir()
    cache = SettingsCache()
    selection, excluded, error = cache.for_path(tmp_path / "a.py")
    assert (selection.enabled("ops.reduce_mean"), selection.enabled("ops.reduce_sum"), excluded, error) == (False, True, False, None)
    assert cache.for_path(tmp_path / "legacy" / "b.py")[1] is True
    (tmp_path / "pyproject.toml").write_text('[tool.migrate]\nselct = ["ops"]\n')
    selection, excluded, error = cache.for_path(tmp_path / "a.py")
    assert error is not None and "selct" in error and selection == Selection()


# ---------------------------------------------------------------------------------------
# Diagnostics piece by piece (migrate/lsp/chunks.py) must equal the whole-file run.

from migrate.codemod.runner import migrate_text  # noqa: E402
from migrate.lsp.chunks import ChunkedFindings, NotParsed  # noqa: E402

from .conftest import FIXTURES  # noqa: E402

EDGE_CASES = {
    "semicolons": "import tensorflow as tf\na = tf.reduce_sum(x); b = tf.reduce_mean(a)\n",
    "decorated": "import tensorflow as tf\n\n# a comment\n@tf.function\ndef f(x):\n    return tf.sqrt(x)\n",
    "try_import": "try:\n    import tensorflow as tf\nexcept ImportError:\n    tf = None\n\ny = tf.reduce_sum(x)\n",
    "late_import": "x = 1\nimport tensorflow as tf\ny = tf.reduce_sum(x)\nfrom tensorflow import keras\nz = keras.layers.Dense(3)\n",
    "star": "from tensorflow import *\ny = reduce_sum(x)\n",
    "crlf": "import tensorflow as tf\r\ny = tf.reduce_sum(x)\r\n\r\nz = tf.sqrt(y)\r\n",
    "form_feed": "import tensorflow as tf\n\x0c\ny = tf.reduce_sum(x)  # \u2028 not a line break\nz = tf.sqrt(y)\n",
    "class": "import tensorflow as tf\n\n\nclass M(tf.Module):\n    def __call__(self, x):\n        return tf.reduce_sum(x)\n",
    "no_tf": "import numpy as np\nx = np.ones(3)\n",
    "bom": "\ufeffimport tensorflow as tf\ny = tf.reduce_sum(x)\n",
    # statements tied by names: types and structural rules cross top-level statements
    "script": (
        "import keras\nimport tensorflow as tf\n\ndef build():\n    return keras.Sequential([keras.layers.Dense(2)])\n\n"
        "model = build()\nmodel.compile(optimizer='sgd', loss='mse')\nx = tf.ones((4, 3))\n"
        "model.fit(x, x, epochs=1)\nwith tf.GradientTape() as tape:\n    y = model(x)\ng = tape.gradient(y, model.trainable_variables)\n"
    ),
    "functional_builder_and_loops": (
        "import keras\nimport tensorflow as tf\n\ndef build():\n    inputs = keras.Input((8, 8, 1))\n"
        "    x = keras.layers.Conv2D(2, 3)(inputs)\n    outputs = keras.layers.Dense(1)(keras.layers.Flatten()(x))\n"
        "    return keras.Model(inputs, outputs)\n\n"
        "def train(x, y):\n    model = build()\n    model.compile(optimizer='sgd', loss='mse')\n    model.fit(x, y)\n\n"
        "def step(model, x):\n    with tf.GradientTape() as tape:\n        y = model(x)\n    return tape.gradient(y, model.trainable_variables)\n"
    ),
    "subclass_used_later": (
        "import keras\n\nclass Net(keras.Model):\n    def call(self, x):\n        return x\n\n"
        "def train(x):\n    net = Net()\n    net.compile(loss='mse')\n    net.fit(x, x)\n"
    ),
}


def _fixture_sample() -> list[Path]:
    files = sorted(FIXTURES.rglob("*.py"))
    return files[::6]  # a spread over every namespace; the whole set is slow on a shared machine


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_chunked_findings_equal_the_whole_file_run_on_edge_cases(name: str) -> None:
    text = EDGE_CASES[name]
    found = ChunkedFindings().findings(text, "t.py", Selection())
    assert found == migrate_text(text, "t.py").findings


def test_chunked_findings_equal_the_whole_file_run_on_fixtures() -> None:
    differ = []
    for path in _fixture_sample():
        text = path.read_text(encoding="utf-8")
        whole = migrate_text(text, str(path))
        try:
            found = ChunkedFindings().findings(text, str(path), Selection())
        except NotParsed:
            assert whole.error is not None, path
            continue
        if found is not None and whole.error is None and found != whole.findings:
            differ.append(path)
    assert not differ


@pytest.mark.parametrize("setting", [
    'keras.mixed_precision.set_global_policy("mixed_float16")\n',
    "writer = tf.summary.create_file_writer('logs')\nwriter.set_as_default()\n",
])
def test_a_file_wide_setting_falls_back_to_the_whole_file(setting: str) -> None:
    text = (
        "import keras\nimport tensorflow as tf\n" + setting
        + "tf.summary.scalar('loss', 0.5, step=0)\nwith tf.GradientTape() as tape:\n    y = model(x)\n"
    )
    assert ChunkedFindings().findings(text, "t.py", Selection()) is None


def test_rebinding_an_imported_name_falls_back_to_the_whole_file() -> None:
    text = "import tensorflow as tf\ny = tf.reduce_sum(x)\ntf = None\nz = tf.sqrt(y)\n"
    assert ChunkedFindings().findings(text, "t.py", Selection()) is None
    document = Document.analyse("file:///t.py", None, 1, text, Selection(), ChunkedFindings())
    assert document.findings == migrate_text(text, "t.py").findings  # the whole-file answer


def test_an_edit_parses_only_the_edited_statement(monkeypatch: pytest.MonkeyPatch) -> None:
    from migrate.lsp import chunks as module

    text = "import tensorflow as tf\n" + "".join(f"\ndef f{i}(x):\n    return tf.reduce_sum(x, axis={i})\n" for i in range(20))
    cache = ChunkedFindings()
    first = cache.findings(text, "t.py", Selection())
    runs = []
    real = module.migrate_source
    monkeypatch.setattr(module, "migrate_source", lambda source, *a: runs.append(source) or real(source, *a))
    edited = text.replace("axis=7)", "axis=7) + 1")
    again = cache.findings(edited, "t.py", Selection())
    assert len(runs) == 1 and "axis=7) + 1" in runs[0]
    assert len(again) == len(first) == 20
    assert again == migrate_text(edited, "t.py").findings
