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
