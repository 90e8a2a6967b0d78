"""compile(loss=<the file's Loss subclass>, metrics=["auc", <the file's Metric subclass>]) →
the generated fit uses the migrated objects as they are, and two epochs of fit log what Keras
logs: loss, AUC and the custom metric per epoch (tests/data/compile_custom_objects.py, run by
Keras and, migrated, with TensorFlow and Keras unimportable)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from migrate.codemod import migrate_source

from .isolated import BLOCK_TF, run_json

SCRIPT = Path(__file__).parent / "data" / "compile_custom_objects.py"
DUMP = "\nimport json\nprint(json.dumps({k: [float(v) for v in vs] for k, vs in history.history.items()}))\n"


def test_a_compiled_fit_with_the_files_own_loss_and_metric_logs_what_keras_logs() -> None:
    source = SCRIPT.read_text(encoding="utf-8")
    result = migrate_source(source)
    assert result.error is None and "TODO" not in result.output, result.output
    assert "loss_fn = FocalLoss()" in result.output and "'hit_rate': HitRate()," in result.output
    by_keras = run_json(source + DUMP)
    by_torch = run_json(BLOCK_TF + result.output + DUMP)
    assert sorted(by_torch) == sorted(by_keras) == ["auc", "hit_rate", "loss"]
    for key in by_keras:
        # Same starting weights (a constant kernel), same batches (no shuffling): float32 noise only.
        np.testing.assert_allclose(by_torch[key], by_keras[key], rtol=0, atol=1e-5, err_msg=key)
    assert by_keras["loss"][1] < by_keras["loss"][0]
