"""The rules library: one module per TF/Keras namespace, gathered into one registry.

To add a 1:1 rewrite, add a row to the table of its namespace (``tf_math.py``, …) and a
fixture pair under ``fixtures/<rule id>/``. To add a structural rewrite, write a ``Rule``
subclass (see ``tf_function.py``) and list it in its module's ``RULES``.

This package is the repository's top-level ``rules/`` directory, installed as
``migrate.rules``. It imports neither TensorFlow nor torch.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import import_module
from typing import Iterable, Iterator

from migrate.rules.base import Rule, expand

#: The rule id of a TF/Keras name that no rule claims.
UNMAPPED = "unmapped"

#: The op table (tf.*, tf.math/nn/linalg/image/random/nest/sparse, keras.ops, keras.backend,
#: keras.activations, dtypes): 1:1 rewrites of functions, each row proven by its numeric
#: ``checks`` (tests/test_ops_numeric.py refuses a row without one).
OP_MODULES = (
    "tf_math",
    "tf_linalg",
    "tf_array",
    "tf_tensor",
    "tf_control",
    "tf_nest",
    "tf_sparse",
    "dtypes",
    "tf_nn",
    "tf_image",
    "tf_random",
    "keras_ops",
    "keras_backend",
    "keras_activations",
)
_MODULES = (
    "general",
    "tf_function",
    "keras_models",
    "keras_layers",
    "keras_sequential",
    "keras_functional",
    "keras_training",
    "keras_callbacks",
    "keras_optimizers",
    "keras_losses",
    "keras_metrics",
    "tf_autodiff",
    "tf_data",
    "tf_distribute",
    "tf_saving",
    "tf_config",
    "tf_summary",
    "tf_gfile",
    "keras_custom_objects",
    *OP_MODULES,
)


#: Types of instances of TF/Keras classes a user subclasses or builds, beyond what rules
#: declare in ``Rule.returns``: every spelling of a Keras model is one type.
_BUILTIN_TYPES = {
    "keras.Model": "keras.Model",
    "keras.models.Model": "keras.Model",
    "keras.Sequential": "keras.Model",
    "keras.models.Sequential": "keras.Model",
    "keras.layers.Layer": "keras.layers.Layer",
    "keras.Layer": "keras.layers.Layer",
    "tensorflow.Module": "tensorflow.Module",
}


class Registry:
    def __init__(self, rules: Iterable[Rule]):
        self._by_id: dict[str, Rule] = {}
        self._by_name: dict[str, Rule] = {}
        self._returns: dict[str, str] = dict(_BUILTIN_TYPES)
        for rule in rules:
            if rule.id in self._by_id:
                raise ValueError(f"duplicate rule id {rule.id}")
            self._by_id[rule.id] = rule
            for name in rule.claims():
                if name in self._by_name:
                    raise ValueError(f"{name} is claimed by {self._by_name[name].id} and {rule.id}")
                self._by_name[name] = rule
            for name, type_ in rule.returns.items():
                self._returns[expand(name)] = expand(type_)

    def lookup(self, qualified: str) -> Rule | None:
        """The rule for a canonical qualified name, if any."""
        return self._by_name.get(qualified)

    def returns(self, qualified: str) -> str | None:
        """The type a call of ``qualified`` returns (see ``Rule.returns``), if known."""
        return self._returns.get(qualified)

    def get(self, rule_id: str) -> Rule | None:
        return self._by_id.get(rule_id)

    def ids(self) -> list[str]:
        return sorted(self._by_id)

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self._by_id.values(), key=lambda r: r.id))

    def __len__(self) -> int:
        return len(self._by_id)


def module_rules(name: str) -> list[Rule]:
    """The rules of one module of this package (``"tf_math"``)."""
    return list(import_module(f"{__name__}.{name}").RULES)


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    rules: list[Rule] = []
    for name in _MODULES:
        rules.extend(module_rules(name))
    return Registry(rules)
