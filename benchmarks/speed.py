"""How fast the migrated module runs, against XLA and onnxruntime, on this machine.

For each model — ResNet-50 (``keras.applications.ResNet50(weights=None)``) and a small
transformer encoder (embedding, two post-norm encoder blocks of MultiHeadAttention and a
feed-forward, pooled, a classifier) — in one process:

1. the toolkit converts it: ``migrate model`` writes the nn.Module source
   (``migrate.codegen.generate``), ``migrate weights`` fills it through ONNX
   (``migrate.weights.run``), and the outputs are compared (max |Δ| printed);
2. the same batch (8, float32, seeded) is timed on the CPU by the speed table
   (``migrate.verify.speed.speed_table``): TF eager, ``tf.function``, XLA
   (``tf.function(jit_compile=True)``), torch eager, ``torch.compile`` of the migrated module,
   ``torch.compile(options={"freezing": True})`` (weights as constants: conv+BN folded, weights
   pre-packed for oneDNN; the inference deployment setting on a CPU),
   and onnxruntime (CPUExecutionProvider) on the ONNX file ``migrate weights`` exported —
   the same file, written to disk and loaded from it;
3. it prints throughput (samples/s) and the ratios torch.compile / XLA (goal ≥ 1.10) and
   torch.compile / onnxruntime (goal ≥ 1.0), all from this one run, plus the compile time:
   cold (an empty Inductor cache directory, made for this run) and warm (the same module
   compiled again after ``torch._dynamo.reset()``, which Inductor's FX graph cache serves).

Run it (5 to 15 minutes on 2 cores, most of it tf2onnx's export and Inductor's cold compile
of ResNet-50)::

    .venv/bin/python benchmarks/speed.py
    .venv/bin/python benchmarks/speed.py --models encoder --repeats 10
    .venv/bin/python benchmarks/speed.py --json speed.json
    .venv/bin/python benchmarks/speed.py --threads 1   # every framework on one thread

Noise between runs on a shared 2-core machine is ±10–15 %: compare ratios within one run.
The load average is printed at the start and the end: when other processes keep the cores busy
(a load above the CPU count), torch's OpenMP pool suffers far more than TensorFlow's and
onnxruntime's (a parallel region waits for its slowest, descheduled thread), and the ratios say
more about the neighbours than about the module; ``--threads 1`` takes that effect out (every
framework on one thread) at the price of measuring single-thread speed.
Nothing is asserted: it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

# Before TensorFlow and torch load: quiet TF, hide GPUs from TF (the comparison is on the CPU),
# and give Inductor an empty cache directory so the first compile is a cold one.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
_CACHE = tempfile.mkdtemp(prefix="migrate-speed-inductor-")
os.environ["TORCHINDUCTOR_CACHE_DIR"] = _CACHE

import numpy as np  # noqa: E402

BATCH = 8


def resnet50():
    import keras

    return keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3), classes=1000)


def encoder(vocabulary: int = 8000, steps: int = 128, width: int = 256, heads: int = 4, blocks: int = 2):
    """A small BERT-style encoder: token embedding, post-norm blocks, mean pooling, 4 classes."""
    import keras

    layers = keras.layers
    tokens = keras.Input((steps,), dtype="int32", name="tokens")
    h = layers.Embedding(vocabulary, width, name="embed")(tokens)
    for i in range(blocks):
        attended = layers.MultiHeadAttention(heads, width // heads, name=f"block{i}_mha")(h, h)
        h = layers.LayerNormalization(epsilon=1e-6, name=f"block{i}_ln1")(layers.Add(name=f"block{i}_add1")([h, attended]))
        f = layers.Dense(4 * width, activation="gelu", name=f"block{i}_ff1")(h)
        f = layers.Dense(width, name=f"block{i}_ff2")(f)
        h = layers.LayerNormalization(epsilon=1e-6, name=f"block{i}_ln2")(layers.Add(name=f"block{i}_add2")([h, f]))
    pooled = layers.GlobalAveragePooling1D(name="pool")(h)
    return keras.Model(tokens, layers.Dense(4, name="classifier")(pooled), name="encoder")


MODELS = {"resnet50": resnet50, "encoder": encoder}


def batch_for(model, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in model.inputs:
        shape = (BATCH, *tensor.shape[1:])
        if "int" in str(tensor.dtype):
            arrays.append(rng.integers(0, 8000, shape).astype("int32"))
        else:
            arrays.append(rng.standard_normal(shape).astype("float32"))
    return arrays


def convert(model, workdir: Path):
    """The toolkit's route: generated source → module class → weights through ONNX."""
    import onnx

    from migrate import codegen
    from migrate.weights import run

    start = time.perf_counter()
    generated = codegen.generate(model, None)
    namespace: dict = {}
    exec(compile(generated.source, f"<migrate model {model.name}>", "exec"), namespace)  # noqa: S102
    module = namespace[generated.class_name]()
    conversion = run(model, module)
    path = workdir / f"{model.name}.onnx"
    onnx.save(conversion.onnx, str(path))
    return module.eval(), generated, path, time.perf_counter() - start


def torch_inputs(arrays: list[np.ndarray], layouts: list[str]):
    import torch

    tensors = []
    for array, layout in zip(arrays, layouts, strict=True):
        if layout == "channels_first" and array.ndim >= 3:
            array = np.moveaxis(array, -1, 1)
        tensor = torch.from_numpy(np.ascontiguousarray(array))
        tensors.append(tensor.long() if array.dtype.kind == "i" else tensor)
    return tensors


def max_delta(model, module, arrays, tensors, output_layouts) -> float:
    import torch

    expected = np.asarray(model(arrays[0] if len(arrays) == 1 else arrays, training=False))
    with torch.no_grad():
        got = module(*tensors).numpy()
    if output_layouts[0] == "channels_first" and expected.ndim >= 3:
        expected = np.moveaxis(expected, -1, 1)
    return float(np.max(np.abs(expected - got)))


def warm_compile_s(module, tensors, threads: int | None) -> float:
    """The module compiled again in this process after a Dynamo reset: Inductor's FX graph
    cache (filled by the table's cold compile) serves it."""
    import copy

    import torch

    from migrate.verify.speed_torch import wants_channels_last

    torch._dynamo.reset()
    restore = torch.get_num_threads()
    torch.set_num_threads(threads or restore)
    module = copy.deepcopy(module).eval()
    if wants_channels_last(module, tensors):
        module = module.to(memory_format=torch.channels_last)
        tensors = [t.contiguous(memory_format=torch.channels_last) if t.ndim == 4 else t for t in tensors]
    compiled = torch.compile(module)
    start = time.perf_counter()
    with torch.inference_mode():
        compiled(*tensors)
    elapsed = time.perf_counter() - start
    torch._dynamo.reset()
    torch.set_num_threads(restore)
    return elapsed


def bench(name: str, repeats: int, warmup: int, workdir: Path, threads: int | None) -> dict:
    import keras

    from migrate.verify.speed import progress_printer, speed_table

    # A fresh Inductor cache directory per model, so each model's first compile is a cold one
    # (compiled kernels loaded into this process stay in memory: a later model can still reuse
    # a kernel an earlier one built).
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix=f"{name}-", dir=_CACHE)
    keras.utils.set_random_seed(0)
    model = MODELS[name]()
    module, generated, onnx_path, convert_s = convert(model, workdir)
    arrays = batch_for(model)
    tensors = torch_inputs(arrays, generated.input_layouts)
    delta = max_delta(model, module, arrays, tensors, generated.output_layouts)
    print(f"\n== {name}: converted in {convert_s:.1f} s (source + weights through ONNX), max |Δ| vs Keras {delta:.2e}")
    table = speed_table(
        model, module, arrays, tensors, device="cpu", train=False, progress=progress_printer(),
        repeats=repeats, warmup=warmup, onnx_model=onnx_path, extra_modes=("freezing",),
        threads=threads,
    )
    print(table.render())
    xla = table.row("tensorflow", "xla")
    compiled = table.row("torch", "torch.compile")
    ort = table.row("onnxruntime", "session")
    frozen = table.row("torch", "freezing")
    warm = warm_compile_s(module, tensors, threads)
    result = {
        "model": name,
        "batch": BATCH,
        "max_abs_diff": delta,
        "table": table.to_dict(),
        "throughput": {
            f"{row.framework} {row.label}": BATCH * 1000.0 / row.median_ms for row in table.rows if row.measured
        },
        "ratio_vs_xla": table.ratio_compile_vs_xla,
        "ratio_vs_onnxruntime": _quotient(ort, compiled),
        "freezing_ratio_vs_xla": _quotient(xla, frozen),
        "freezing_ratio_vs_onnxruntime": _quotient(ort, frozen),
        "load_average": os.getloadavg(),
        "compile_cold_s": compiled.compile_s,
        "compile_warm_s": warm,
        "xla_compile_s": xla.compile_s,
    }
    print(f"-- {name}, batch {BATCH}, float32, CPU, one run:")
    for label, value in result["throughput"].items():
        print(f"   {label:<45} {value:8.1f} samples/s")
    print(f"   torch.compile / XLA                     {_ratio(result['ratio_vs_xla'])}  (goal ≥ 1.10×)")
    print(f"   torch.compile / onnxruntime             {_ratio(result['ratio_vs_onnxruntime'])}  (goal ≥ 1.00×)")
    print(f"   torch.compile(freezing) / XLA           {_ratio(result['freezing_ratio_vs_xla'])}")
    print(f"   torch.compile(freezing) / onnxruntime   {_ratio(result['freezing_ratio_vs_onnxruntime'])}")
    print("   load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.1f}" for x in result["load_average"]))
    print(f"   torch.compile compile time: cold {compiled.compile_s:.1f} s, warm {warm:.1f} s; XLA first call {xla.compile_s:.1f} s")
    return result


def _quotient(slower, faster) -> float | None:
    """Throughput of ``faster``'s row over ``slower``'s: slower's median time / faster's."""
    if slower is None or faster is None or not slower.measured or not faster.measured:
        return None
    return slower.median_ms / faster.median_ms


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS))
    parser.add_argument("--repeats", type=int, default=20, help="timed rounds, each calling every row once (default 20)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed rounds before them (default 5)")
    parser.add_argument("--threads", type=int, help="CPU threads for every framework (default: each one's own default)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if args.threads is not None:
        from migrate.verify.speed_tf import set_threads

        set_threads(args.threads)  # before TensorFlow runs its first op
    import torch

    print(f"torch {torch.__version__}, {args.threads or torch.get_num_threads()} threads; Inductor cache {_CACHE} (empty: cold compiles)")
    print("load average (1, 5, 15 min) at the start: " + ", ".join(f"{x:.1f}" for x in os.getloadavg())
          + f" on {os.cpu_count()} CPUs: above the CPU count, other processes share the cores and times stretch")
    with tempfile.TemporaryDirectory(prefix="migrate-speed-") as workdir:
        results = [bench(name, args.repeats, args.warmup, Path(workdir), args.threads) for name in args.models]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
