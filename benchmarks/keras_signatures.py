"""Write rules/keras_signatures.py: every public ``keras.layers`` class's constructor signature.

The source rewrite binds a layer call (``layers.Dense(64, "relu")``) the way Python would and
writes Keras's own defaults out, so it needs each constructor's parameters and defaults — read
here from the installed Keras with ``inspect.signature``, not typed by hand (STYLE.md: big tables
are generated). ``tests/test_keras_layers.py`` checks the file still matches the installed Keras.

    .venv/bin/python benchmarks/keras_signatures.py            # rewrite the file
    .venv/bin/python benchmarks/keras_signatures.py --check    # exit 1 when it is stale
"""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "rules" / "keras_signatures.py"

HEADER = '''"""Keras layer constructor signatures, generated from keras {version} by
benchmarks/keras_signatures.py — do not edit by hand; rerun the script after a Keras upgrade.

``SIGNATURES[class]`` is the constructor's parameter list as Python source (defaults are
literals; ``...`` stands for a default that has no literal form), ``AUTO_NAMES[class]`` the base
of the automatic layer name Keras gives an unnamed instance (``dense``, ``conv2d``), and
``LAYER_KWARGS`` the keyword arguments every layer takes from ``keras.layers.Layer``.
"""

# fmt: off
'''


def _default(value: object) -> str:
    if value is inspect.Parameter.empty:
        return ""
    text = repr(value)
    try:
        import ast

        ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return "..."
    return text


def _params(function: object) -> str:
    parts: list[str] = []
    star = False
    for param in list(inspect.signature(function).parameters.values())[1:]:  # drop self
        if param.kind is param.VAR_POSITIONAL:
            parts.append(f"*{param.name}")
            star = True
            continue
        if param.kind is param.VAR_KEYWORD:
            parts.append(f"**{param.name}")
            continue
        if param.kind is param.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        default = _default(param.default)
        parts.append(f"{param.name}={default}" if default else param.name)
    return ", ".join(parts)


def generate() -> str:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    from keras.src.utils.naming import to_snake_case

    classes = {}
    for name in sorted(dir(keras.layers)):
        cls = getattr(keras.layers, name)
        if inspect.isclass(cls) and issubclass(cls, keras.layers.Layer) and name == cls.__name__:
            classes[name] = cls
    lines = [HEADER.format(version=keras.__version__), "SIGNATURES = {\n"]
    for name, cls in classes.items():
        lines.append(f"    {name!r}: {_params(cls.__init__)!r},\n")
    lines.append("}\n\nAUTO_NAMES = {\n")
    for name in classes:
        lines.append(f"    {name!r}: {to_snake_case(name)!r},\n")
    lines.append("}\n\n")
    lines.append(f"LAYER_KWARGS = {_params(keras.layers.Layer.__init__)!r}\n")
    return "".join(lines)


def main(argv: list[str]) -> int:
    text = generate()
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is stale: rerun benchmarks/keras_signatures.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
