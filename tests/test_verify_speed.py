"""The ``--speed`` table (migrate/verify/speed.py) on a tiny converted model.

Structure and meaning, never speed: every row the issue asks for is there, measured or
skipped with its reason; times are positive and ordered (min ≤ q1 ≤ median ≤ q3 ≤ max);
the compile time is reported apart from the timed calls; the torch.compile / XLA ratio is
the quotient of the two medians; CUDA rows are skipped on a machine without CUDA; timing
leaves the Keras model and the torch module as they were. Speed goals live in
benchmarks/speed.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from migrate import codegen  # noqa: E402
from migrate.verify import speed  # noqa: E402
from migrate.verify.speed_torch import Runner, _own_entry  # noqa: E402
from migrate.weights import run as convert_weights  # noqa: E402

REPEATS = 3
NO_GPU = not torch.cuda.is_available()


def tiny_model() -> Any:
    x = keras.Input((12, 12, 3), name="image")
    h = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv")(x)
    h = keras.layers.BatchNormalization(name="bn")(h)
    h = keras.layers.GlobalAveragePooling2D(name="pool")(h)
    return keras.Model(x, keras.layers.Dense(3, name="head")(h), name="tiny")


@pytest.fixture(scope="module")
def converted() -> dict[str, Any]:
    """The toolkit's route: generated module source, weights through ONNX, one batch of 4."""
    keras.utils.set_random_seed(0)
    model = tiny_model()
    generated = codegen.generate(model, None)
    namespace: dict[str, Any] = {}
    exec(compile(generated.source, "<tiny>", "exec"), namespace)  # noqa: S102
    module = namespace[generated.class_name]()
    conversion = convert_weights(model, module)
    image = np.random.default_rng(1).standard_normal((4, 12, 12, 3)).astype("float32")
    return {
        "model": model, "module": module.eval(), "onnx": conversion.onnx,
        "keras": [image], "torch": [torch.from_numpy(np.ascontiguousarray(image.transpose(0, 3, 1, 2)))],
    }


@pytest.fixture(scope="module")
def table(converted: dict[str, Any]) -> dict[str, Any]:
    model, module = converted["model"], converted["module"]
    keras_before = [w.copy() for w in model.get_weights()]
    torch_before = {k: v.clone() for k, v in module.state_dict().items()}
    calls: list[tuple[int, int, str]] = []
    threads_before = torch.get_num_threads()
    result = speed.speed_table(
        model, module, converted["keras"], converted["torch"], device="cpu", train=True,
        progress=lambda done, total, label: calls.append((done, total, label)),
        repeats=REPEATS, warmup=1, onnx_model=converted["onnx"], extra_modes=("freezing",), threads=1,
    )
    return {
        "table": result, "progress": calls, "keras_before": keras_before, "torch_before": torch_before,
        "threads_before": threads_before, "threads_after": torch.get_num_threads(),
    }


def test_every_required_row_is_there_once(table: dict[str, Any]) -> None:
    rows = table["table"].rows
    keys = [(r.framework, r.mode, r.dtype, r.phase) for r in rows]
    assert len(keys) == len(set(keys))
    wanted = {
        (framework, mode, dtype, phase)
        for phase in ("inference", "train")
        for dtype in ("float32", "float16", "bfloat16")
        for framework, modes in (
            ("tensorflow", ("eager", "tf.function", "xla")),
            ("torch", ("eager", "torch.compile", "reduce-overhead", "eager_on_recompile")),
        )
        for mode in modes
    } | {("onnxruntime", "session", "float32", "inference"), ("torch", "freezing", "float32", "inference")}
    assert set(keys) == wanted
    for row in rows:
        assert row.measured != (row.skipped is not None), row
        assert row.skipped is None or row.skipped.strip(), row


@pytest.mark.skipif(not NO_GPU, reason="checks the rows a machine without CUDA skips")
def test_cuda_rows_are_skipped_without_cuda_and_the_rest_measured(table: dict[str, Any]) -> None:
    for row in table["table"].rows:
        cuda_only = row.dtype != "float32" or row.mode in ("reduce-overhead", "eager_on_recompile")
        if cuda_only:
            assert row.skipped == "no CUDA device", row
        else:
            assert row.skipped is None, row  # fp32 TF, torch eager/compile/freezing and onnxruntime run on a CPU


def test_times_are_positive_ordered_and_from_the_repeats(table: dict[str, Any]) -> None:
    measured = [r for r in table["table"].rows if r.measured]
    assert len(measured) == 12  # 2 phases × (3 TF + 2 torch modes) + freezing + onnxruntime
    for row in measured:
        assert len(row.times_ms) == REPEATS
        assert all(t > 0 for t in row.times_ms)
        assert row.min_ms <= row.q1_ms <= row.median_ms <= row.q3_ms <= row.max_ms
        assert row.median_ms == pytest.approx(float(np.median(row.times_ms)))
        assert (row.min_ms, row.max_ms) == (min(row.times_ms), max(row.times_ms))


def test_compile_time_is_reported_apart_from_the_timed_calls(table: dict[str, Any]) -> None:
    result = table["table"]
    for row in result.rows:
        if not row.measured:
            continue
        if row.mode == "eager":
            assert row.compile_s is None, row
        else:
            assert row.compile_s is not None and row.compile_s > 0, row
    # A compile is far slower than a warm call of a 12×12 model: had the first call been one of
    # the timed repeats, the maximum would show it.
    for framework, mode in (("torch", "torch.compile"), ("tensorflow", "xla")):
        for phase in ("inference", "train"):
            row = result.row(framework, mode, "float32", phase)
            assert row.compile_s * 1000 > row.max_ms, row


def test_the_ratio_is_the_quotient_of_the_two_medians(table: dict[str, Any]) -> None:
    result = table["table"]
    for phase in ("inference", "train"):
        xla = result.row("tensorflow", "xla", "float32", phase)
        compiled = result.row("torch", "torch.compile", "float32", phase)
        assert result.ratio(phase) == pytest.approx(xla.median_ms / compiled.median_ms, rel=1e-12)
    assert result.ratio_compile_vs_xla == result.ratio("inference", "float32")
    assert set(result.ratios()) == {"inference/float32", "train/float32"}
    assert result.ratio("inference", "float16") is None  # skipped rows give no ratio


def test_render_and_dict_say_the_same_thing(table: dict[str, Any]) -> None:
    result = table["table"]
    text = result.render()
    lines = text.splitlines()
    assert "median ms" in lines[1] and "compile s" in lines[1]
    rules = [m.span() for m in re.finditer(r"-+", lines[2])]
    titles = [m.span() for m in re.finditer(r"\S+(?: \S+)*", lines[1])]
    assert len(rules) == len(titles) == 9
    assert all(a <= c and d <= b for (a, b), (c, d) in zip(rules, titles))  # every title within its column's rule
    for row in result.rows:
        if row.measured:
            assert any(row.label in line and f"{row.median_ms:.2f}" in line for line in lines), row
    assert f"torch.compile / XLA throughput, inference float32: {result.ratio_compile_vs_xla:.2f}×" in text
    if NO_GPU:
        assert (
            "skipped (no CUDA device): 32 rows: every float16 row; every bfloat16 row; "
            'torch torch.compile(mode="reduce-overhead") float32 (inference, train); '
            'torch set_stance("eager_on_recompile") float32 (inference, train)'
        ) in text
    assert speed.LOSS in text
    data = json.loads(json.dumps(result.to_dict()))
    assert len(data["rows"]) == len(result.rows)
    assert data["ratio_compile_vs_xla"] == result.ratio_compile_vs_xla
    assert data["device"] == "cpu" and data["repeats"] == REPEATS


def test_progress_runs_from_zero_to_done(table: dict[str, Any]) -> None:
    calls = table["progress"]
    done = [c[0] for c in calls]
    assert done == sorted(done) and done[0] == 0
    total = calls[0][1]
    assert all(c[1] == total for c in calls)
    assert calls[-1] == (total, total, "done")
    assert total == 12 + 1 + REPEATS  # one step per measured row, one per round (1 warm-up)
    assert any("compiling: torch torch.compile()" in c[2] for c in calls)


def test_threads_apply_for_the_table_only(table: dict[str, Any]) -> None:
    result = table["table"]
    assert any(note.startswith("torch ") and ": 1 CPU threads;" in note for note in result.notes)
    assert "1 intra-op threads" in result.row("onnxruntime", "session").note
    assert table["threads_after"] == table["threads_before"]


def test_timing_leaves_the_model_and_the_module_as_they_were(table: dict[str, Any], converted: dict[str, Any]) -> None:
    """The training rows train copies (torch) or restore the weights (Keras)."""
    after = converted["model"].get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(table["keras_before"], after, strict=True))
    module = converted["module"]
    for key, value in module.state_dict().items():
        assert torch.equal(value, table["torch_before"][key]), key
    assert not module.training
    assert all(p.is_contiguous() for p in module.parameters())  # channels_last went to copies only


def test_a_cuda_table_without_cuda_skips_every_row(converted: dict[str, Any]) -> None:
    if not NO_GPU:
        pytest.skip("this machine has CUDA")
    result = speed.speed_table(
        converted["model"], converted["module"], converted["keras"], converted["torch"], device="cuda", repeats=1,
    )
    assert result.rows and all(row.skipped == "no CUDA device" for row in result.rows)
    assert result.ratio_compile_vs_xla is None
    assert "skipped (no CUDA device)" in result.render()


def test_eager_on_recompile_runs_a_new_batch_size_without_compiling(converted: dict[str, Any]) -> None:
    """The stance row's mechanics, on the CPU (the table runs it on CUDA only): after a compile
    on batch 4, batch 2 under the stance compiles no graph and still computes the module."""
    module, inputs = converted["module"], converted["torch"]
    runner = Runner(module, inputs, "cpu", channels_last=False)
    forward = torch.compile(_own_entry(module, "stance_test"))
    call = runner._inference(forward, lambda: torch.inference_mode())
    call()  # the compile, batch 4
    prepared = runner._under_stance(call, compile_s=1.0)
    prepared.call()
    assert "batch 4→2" in prepared.finish() and "0 graphs compiled" in prepared.finish()
    assert prepared.compile_s == 1.0
    with torch.compiler.set_stance("eager_on_recompile"), torch.no_grad():
        got = forward(inputs[0][:2])
    with torch.no_grad():
        assert torch.allclose(got, module(inputs[0][:2]), atol=1e-6)
    # The contrast that makes "0 graphs" mean something: without the stance, batch 2 compiles.
    from torch._dynamo.utils import counters

    before = counters["stats"]["unique_graphs"]
    with torch.no_grad():
        forward(inputs[0][:2])
    assert counters["stats"]["unique_graphs"] > before


def test_wrong_arguments_are_refused(converted: dict[str, Any]) -> None:
    args = (converted["model"], converted["module"], converted["keras"], converted["torch"])
    with pytest.raises(ValueError, match="device"):
        speed.speed_table(*args, device="tpu")
    with pytest.raises(ValueError, match="repeats"):
        speed.speed_table(*args, repeats=0)
    with pytest.raises(ValueError, match="extra_modes"):
        speed.speed_table(*args, extra_modes=("max-autotune",))


def test_the_keras_half_precision_rows_run_a_mixed_policy_clone_with_the_same_weights(converted: dict[str, Any]) -> None:
    """What the CUDA float16/bfloat16 Keras rows run, checked on the CPU: the model rebuilt
    under Keras's mixed policy (compute in the half type, variables in float32), same weights,
    the same outputs within bfloat16's precision (8 bits of mantissa: 0.05 on outputs near 1)."""
    from migrate.verify.speed_tf import Runner as KerasRunner

    model = converted["model"]
    clone = KerasRunner(model, converted["keras"], "cpu")._mixed("bfloat16")
    policies = {layer.name: layer.dtype_policy.name for layer in clone.layers if layer.weights}
    assert policies and set(policies.values()) == {"mixed_bfloat16"}
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), clone.get_weights(), strict=True))
    want = np.asarray(model(converted["keras"][0], training=False))
    got = np.asarray(clone(converted["keras"][0], training=False)).astype("float32")
    assert np.max(np.abs(want - got)) <= 0.05 * max(1.0, float(np.max(np.abs(want))))
