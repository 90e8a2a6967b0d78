"""What a name in a user's file really is, whatever the import style.

A rule matches a canonical, fully qualified name (``tensorflow.math.reduce_sum``,
``keras.layers.Dense``), never the spelling. The many ways to reach Keras — ``tf.keras``,
``tensorflow.keras``, ``tf_keras``, ``keras.src.<package>.<module>`` — all canonicalise to
the public ``keras.`` name.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

#: Top-level modules whose names the engine treats as TensorFlow/Keras.
TF_ROOTS = frozenset({"tensorflow", "keras", "tf_keras"})

_PREFIX_ALIASES = (
    # Longest first: the first match wins.
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.compat.v2.", "tensorflow."),
    ("tensorflow.keras.", "keras."),
    ("tf_keras.src.", "keras.src."),
    ("tf_keras.", "keras."),
)
_WHOLE_ALIASES = {
    "tensorflow.keras": "keras",
    "tensorflow.python.keras": "keras",
    "tensorflow.compat.v2": "tensorflow",
    "tf_keras": "keras",
}


def canonical(qualified: str) -> str:
    """The public, canonical spelling of a TF/Keras qualified name."""
    if qualified in _WHOLE_ALIASES:
        return _WHOLE_ALIASES[qualified]
    for prefix, replacement in _PREFIX_ALIASES:
        if qualified.startswith(prefix):
            qualified = replacement + qualified[len(prefix) :]
            break
    if qualified.startswith("keras.src."):
        # keras.src.layers.core.dense.Dense -> keras.layers.Dense: Keras exports each symbol
        # from the top-level package of its source tree.
        parts = qualified.split(".")
        qualified = ".".join(["keras", parts[2], parts[-1]] if len(parts) > 4 else ["keras", *parts[2:]])
    return qualified


def is_tf(qualified: str) -> bool:
    return qualified.split(".", 1)[0] in TF_ROOTS


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for an Attribute/Name chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def module_name(node: cst.BaseExpression) -> str:
    name = dotted(node)
    assert name is not None
    return name


@dataclass
class Binding:
    """A local name bound by an import: ``local`` refers to module/object ``qualified``."""

    local: str
    qualified: str


def bindings_of(statement: cst.SimpleStatementLine) -> list[Binding]:
    """Every name an import statement binds, with what it refers to."""
    found: list[Binding] = []
    for small in statement.body:
        if isinstance(small, cst.Import):
            for alias in small.names:
                full = module_name(alias.name)
                if alias.asname is not None:
                    local = alias.asname.name
                    assert isinstance(local, cst.Name)
                    found.append(Binding(local.value, full))
                else:
                    # `import tensorflow.keras` binds `tensorflow`.
                    root = full.split(".", 1)[0]
                    found.append(Binding(root, root))
        elif isinstance(small, cst.ImportFrom):
            if small.relative or small.module is None:
                continue
            base = module_name(small.module)
            if isinstance(small.names, cst.ImportStar):
                found.append(Binding("*", base))
                continue
            for alias in small.names:
                imported = module_name(alias.name)
                local_node = alias.asname.name if alias.asname else alias.name
                assert isinstance(local_node, cst.Name)
                found.append(Binding(local_node.value, f"{base}.{imported}"))
    return found


class Aliases:
    """Local names bound to TF/Keras modules or objects, plus names taken by anything else."""

    def __init__(self) -> None:
        self.tf: dict[str, str] = {}
        self.other: dict[str, str] = {}
        self.star_imports: list[str] = []

    def add(self, binding: Binding) -> None:
        if binding.local == "*":
            if is_tf(binding.qualified):
                self.star_imports.append(binding.qualified)
            return
        if is_tf(binding.qualified):
            self.tf[binding.local] = binding.qualified
            self.other.pop(binding.local, None)
        else:
            self.other[binding.local] = binding.qualified
            self.tf.pop(binding.local, None)

    def resolve(self, name: str) -> str | None:
        """Canonical qualified name of a dotted local name, if it is TF/Keras."""
        head, _, rest = name.partition(".")
        base = self.tf.get(head)
        if base is None:
            return None
        return canonical(f"{base}.{rest}" if rest else base)
