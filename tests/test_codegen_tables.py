"""`migrate model` (migrate/codegen) reads the layer table's own helpers instead of keeping
copies that could drift: the torch argument defaults it leaves out and the variable names it
maps weights by are the ones the source rewrite and `migrate weights` use."""

from __future__ import annotations

import pytest

from migrate.codegen import base
from migrate.rules import layers as table
from migrate.weights import keras_model


def test_codegen_names_variables_as_migrate_weights_does() -> None:
    assert base.variable_name is keras_model.variable_name
    assert not hasattr(base, "var_name")


@pytest.mark.parametrize("argument", sorted(table.TORCH_ARGUMENT_DEFAULTS))
def test_codegen_omits_the_table_defaults(argument: str, monkeypatch: pytest.MonkeyPatch) -> None:
    default = table.TORCH_ARGUMENT_DEFAULTS[argument]
    assert argument not in base.module_source("torch.nn.Conv2d", {"in_channels": 3, argument: default}, 1)
    # one table: a default the table no longer lists is written out by codegen too
    monkeypatch.delitem(table.TORCH_ARGUMENT_DEFAULTS, argument)
    assert f"{argument}={default!r}" in base.module_source("torch.nn.Conv2d", {"in_channels": 3, argument: default}, 1)


def test_codegen_activations_come_from_the_layer_table(monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(table.ACTIVATION_MODULES) <= set(table.ACTIVATION_FUNCTIONS)
    value = base.Value("x", (None, 8), False)
    assert base.activation("leaky_relu", "x", value) == "x = F.leaky_relu(x, negative_slope=0.2)"  # Keras 3's slope
    assert base.activation("softmax", "x", base.Value("x", (None, 4, 4, 3), True)) == "x = F.softmax(x, dim=1)"
    monkeypatch.setitem(table.ACTIVATION_MODULES, "leaky_relu", ("torch.nn.LeakyReLU", {"negative_slope": 0.3}))
    assert base.activation("leaky_relu", "x", value) == "x = F.leaky_relu(x, negative_slope=0.3)"  # one copy
