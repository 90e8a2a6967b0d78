"""The ``--speed`` table: the Keras model and the migrated module timed side by side.

One table, one process, the same inputs: TF eager, ``tf.function`` and
``tf.function(jit_compile=True)`` (XLA) against torch eager, ``torch.compile`` (default),
``torch.compile(mode="reduce-overhead")`` and a ``torch.compiler.set_stance("eager_on_recompile")``
row, for inference and for one training step, in float32 and — on CUDA — under float16 and
bfloat16 autocast. Each row: the first call alone (its time is the compile time of a compiled
mode); then warm-up rounds and timed rounds, each round calling every row once, so that a
shared machine's changing load falls on all rows alike (``timing.py``); a row's repeats are
summarised by their median, quartiles and range.

A row that cannot run here is kept, with the reason (``"no CUDA device"``): the table always
has the same rows, so a reader sees what was not measured and why.

The training step is the same on both sides: forward in training mode, mean squared error
against fixed random targets (summed over outputs), gradients of every trainable variable,
one plain SGD step (learning rate 1e-3, no momentum). It trains copies: the caller's module
is deep-copied and the Keras model's weights are restored afterwards.

TensorFlow, Keras and torch are imported when a table is made, never on import.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from .timing import Prepared, Skip, Stats, interleaved

PHASES = ("inference", "train")
DTYPES = ("float32", "float16", "bfloat16")
TF_MODES = ("eager", "tf.function", "xla")
TORCH_MODES = ("eager", "torch.compile", "reduce-overhead", "eager_on_recompile")
# What each mode runs, as the table shows it.
MODE_LABELS = {
    ("tensorflow", "eager"): "eager",
    ("tensorflow", "tf.function"): "tf.function",
    ("tensorflow", "xla"): "tf.function(jit_compile=True)",
    ("torch", "eager"): "eager",
    ("torch", "torch.compile"): "torch.compile()",
    ("torch", "reduce-overhead"): 'torch.compile(mode="reduce-overhead")',
    ("torch", "eager_on_recompile"): 'set_stance("eager_on_recompile")',
    ("torch", "freezing"): 'torch.compile(options={"freezing": True})',
    ("onnxruntime", "session"): "InferenceSession",
}
# Modes whose point is a CUDA feature: CUDA graphs (reduce-overhead), and what the stance does
# to a recompile on a GPU serving path. On another device their rows are skipped.
CUDA_ONLY_MODES = {"reduce-overhead", "eager_on_recompile"}
COMPILED_MODES = {"tf.function", "xla", "torch.compile", "reduce-overhead", "eager_on_recompile", "freezing"}
# Rows a caller may add (``extra_modes=``): Inductor's freezing, which treats the weights as
# constants (conv+BatchNorm folded, weights pre-packed for oneDNN) — inference only.
EXTRA_MODES = {"freezing": "inference"}
LEARNING_RATE = 1e-3
LOSS = f"MSE against fixed random targets (summed over outputs), plain SGD lr={LEARNING_RATE:g}"
NO_CUDA = "no CUDA device"

Progress = Callable[[int, int, str], None]


@dataclass
class SpeedRow:
    framework: str  # "tensorflow", "torch" or "onnxruntime"
    mode: str  # a key of MODE_LABELS for its framework
    dtype: str  # "float32", or the autocast / mixed-precision dtype
    phase: str  # "inference" or "train"
    median_ms: float | None = None  # per call (one batch)
    q1_ms: float | None = None  # the spread: interquartile range of the repeats…
    q3_ms: float | None = None
    min_ms: float | None = None  # …and their full range
    max_ms: float | None = None
    compile_s: float | None = None  # the first call alone, for compiled modes (trace + compile + run)
    skipped: str | None = None  # why the row was not measured
    note: str = ""
    times_ms: list[float] = field(default_factory=list)  # every timed call, in round order

    @property
    def label(self) -> str:
        return MODE_LABELS[(self.framework, self.mode)]

    @property
    def measured(self) -> bool:
        return self.skipped is None and self.median_ms is not None

    def fill(self, times: tuple[float, ...], prepared: Prepared) -> None:
        stats = Stats.of(times)
        self.times_ms = list(times)
        self.median_ms, self.q1_ms, self.q3_ms, self.min_ms, self.max_ms = (
            stats.median, stats.q1, stats.q3, stats.low, stats.high,
        )
        self.compile_s = prepared.compile_s


@dataclass
class SpeedTable:
    device: str
    batch: int
    warmup: int
    repeats: int
    rows: list[SpeedRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how it ran: threads, memory format, caches

    def row(self, framework: str, mode: str, dtype: str = "float32", phase: str = "inference") -> SpeedRow | None:
        for row in self.rows:
            if (row.framework, row.mode, row.dtype, row.phase) == (framework, mode, dtype, phase):
                return row
        return None

    def ratio(self, phase: str = "inference", dtype: str = "float32") -> float | None:
        """torch.compile's throughput over XLA's: XLA's median time / torch.compile's median
        time (above 1: the compiled module is faster). None when either row was not measured."""
        xla, compiled = self.row("tensorflow", "xla", dtype, phase), self.row("torch", "torch.compile", dtype, phase)
        if xla is None or compiled is None or not xla.measured or not compiled.measured:
            return None
        return xla.median_ms / compiled.median_ms

    @property
    def ratio_compile_vs_xla(self) -> float | None:
        """The headline ratio: float32 inference, torch.compile throughput / XLA throughput."""
        return self.ratio("inference", "float32")

    def ratios(self) -> dict[str, float]:
        """Every measured torch.compile / XLA throughput ratio, keyed ``"<phase>/<dtype>"``."""
        found = {}
        for phase in PHASES:
            for dtype in DTYPES:
                value = self.ratio(phase, dtype)
                if value is not None:
                    found[f"{phase}/{dtype}"] = value
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "batch": self.batch,
            "warmup": self.warmup,
            "repeats": self.repeats,
            "loss": LOSS,
            "notes": list(self.notes),
            "rows": [asdict(row) | {"label": row.label} for row in self.rows],
            "ratio_compile_vs_xla": self.ratio_compile_vs_xla,
            "ratios": self.ratios(),
        }

    def _summary(self, rows: list[SpeedRow]) -> str:
        """The skipped rows in few words: a dtype all of whose rows are among them is "every
        float16 row"; the others are "framework mode dtype (phases)"."""
        ids = {id(row) for row in rows}
        parts, rest = [], rows
        for dtype in DTYPES:
            of_dtype = [row for row in self.rows if row.dtype == dtype]
            if of_dtype and all(id(row) in ids for row in of_dtype):
                parts.append(f"every {dtype} row")
                rest = [row for row in rest if row.dtype != dtype]
        phases: dict[str, list[str]] = {}
        for row in rest:
            phases.setdefault(f"{row.framework} {row.label} {row.dtype}", []).append(row.phase)
        parts.extend(f"{name} ({', '.join(found)})" for name, found in phases.items())
        return "; ".join(parts)

    def render(self) -> str:
        """A fixed-width table of the measured rows, then the skipped ones grouped by reason."""
        head = ("framework", "mode", "dtype", "phase", "median ms", "IQR ms", "min–max ms", "compile s", "note")
        lines = [head]
        for row in self.rows:
            if not row.measured:
                continue
            lines.append((
                row.framework, row.label, row.dtype, row.phase, f"{row.median_ms:.2f}",
                f"{row.q1_ms:.2f}–{row.q3_ms:.2f}", f"{row.min_ms:.2f}–{row.max_ms:.2f}",
                "" if row.compile_s is None else f"{row.compile_s:.2f}", row.note,
            ))
        widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
        numeric = {4, 5, 6, 7}

        def fmt(line: tuple[str, ...]) -> str:
            cells = [cell.rjust(w) if i in numeric else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths))]
            return "  ".join(cells).rstrip()

        out = [
            f"speed on {self.device}: batch {self.batch}; {self.warmup} warm-up and {self.repeats} timed rounds, "
            "each calling every row once; times per call; compile = the first call alone",
            fmt(lines[0]),
            fmt(tuple("-" * w for w in widths)),
            *(fmt(line) for line in lines[1:]),
        ]
        for phase in PHASES:
            for dtype in DTYPES:
                value = self.ratio(phase, dtype)
                if value is not None:
                    out.append(f"torch.compile / XLA throughput, {phase} {dtype}: {value:.2f}×")
        skipped: dict[str, list[SpeedRow]] = {}
        for row in self.rows:
            if row.skipped is not None:
                skipped.setdefault(row.skipped, []).append(row)
        for reason, rows in skipped.items():
            out.append(f"skipped ({reason}): {len(rows)} row{'s' if len(rows) != 1 else ''}: {self._summary(rows)}")
        out.append(f"training step: {LOSS}")
        out.extend(self.notes)
        return "\n".join(out)


def speed_table(
    keras_model: Any,
    torch_module: Any,
    inputs_keras: Sequence[Any],
    inputs_torch: Sequence[Any],
    device: str = "cpu",
    train: bool = True,
    progress: Progress | None = None,
    repeats: int = 20,
    warmup: int = 3,
    *,
    channels_last: bool | None = None,
    onnx_model: Any = None,
    extra_modes: Sequence[str] = (),
    threads: int | None = None,
) -> SpeedTable:
    """Time ``keras_model`` on ``inputs_keras`` and ``torch_module`` on ``inputs_torch`` (the
    same batch, each in its framework's layout) on ``device`` ("cpu", "cuda" or "auto").

    ``train``: also one training step per mode (see the module docstring). ``progress`` is
    called as ``progress(done, total, label)`` before each row and once at the end
    (``progress_printer()`` makes one that draws a line on stderr). ``channels_last``: run the
    torch rows with the module and its 4-D inputs in ``torch.channels_last`` (None: when the
    module has a 2-D convolution and every floating input is 4-D). ``onnx_model``: an ONNX
    model (path or ``onnx.ModelProto``) of the Keras model, fed ``inputs_keras``, adds an
    onnxruntime inference row. ``extra_modes``: more torch rows from ``EXTRA_MODES``
    (``"freezing"``: float32 inference under ``torch.compile(options={"freezing": True})``).
    ``threads``: CPU threads for every framework (torch's for the table's duration,
    onnxruntime's intra-op pool, TensorFlow's intra- and inter-op pools if TF has not started
    yet — the notes say what each really used); None keeps each framework's default.
    """
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'auto', got {device!r}")
    if repeats < 1 or warmup < 0:
        raise ValueError(f"repeats must be at least 1 and warmup at least 0, got {repeats} and {warmup}")
    inputs_keras, inputs_torch = list(inputs_keras), list(inputs_torch)
    if not inputs_torch or not inputs_keras:
        raise ValueError("speed_table needs at least one input for each framework")
    batch = int(inputs_torch[0].shape[0]) if getattr(inputs_torch[0], "ndim", 0) else 1
    unknown = sorted(set(extra_modes) - set(EXTRA_MODES))
    if unknown:
        raise ValueError(f"extra_modes: unknown {unknown}; known: {sorted(EXTRA_MODES)}")
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    rows = _plan(train, device, onnx_model is not None, tuple(extra_modes))
    table = SpeedTable(device, batch, warmup, repeats, rows=rows)
    measurable = [row for row in table.rows if row.skipped is None]
    if not measurable:
        _report(progress, 0, 0, "done")
        return table

    from . import speed_ort, speed_tf, speed_torch

    restore_threads = torch.get_num_threads()
    if threads is not None:
        speed_tf.set_threads(threads)  # before the Runner makes TF's first tensors
        torch.set_num_threads(threads)
    tf_runner = speed_tf.Runner(keras_model, inputs_keras, device)
    if channels_last is None:
        channels_last = speed_torch.wants_channels_last(torch_module, inputs_torch)
    torch_runner = speed_torch.Runner(torch_module, inputs_torch, device, channels_last)
    table.notes.extend(torch_runner.notes() + tf_runner.notes())
    prepare = {
        "tensorflow": tf_runner.prepare,
        "torch": torch_runner.prepare,
        "onnxruntime": lambda row: speed_ort.prepare(onnx_model, inputs_keras, device, threads),
    }
    # One progress step per row (its first call: the compile), then one per round.
    steps = len(measurable) + warmup + repeats
    ready: list[tuple[SpeedRow, Prepared]] = []
    try:
        for index, row in enumerate(measurable):
            first = "compiling" if row.mode in COMPILED_MODES or row.framework == "onnxruntime" else "first call"
            _report(progress, index, steps, f"{first}: {row.framework} {row.label} {row.dtype} {row.phase}")
            try:
                ready.append((row, prepare[row.framework](row)))
            except Skip as reason:
                row.skipped = str(reason)
            except Exception as error:  # noqa: BLE001 - one mode failing must not lose the others
                row.skipped = f"failed: {_one_line(error)}"

        def on_round(number: int, rounds: int) -> None:
            kind = "warm-up" if number < warmup else "timing"
            _report(progress, len(measurable) + number, steps, f"{kind} round {number + 1}/{rounds} over {len(ready)} rows")

        if ready:
            times = interleaved([p for _, p in ready], warmup=warmup, repeats=repeats, on_round=on_round)
            for (row, prepared), row_times in zip(ready, times, strict=True):
                row.fill(row_times, prepared)
                if prepared.finish is not None:
                    row.note = prepared.finish()
    finally:
        tf_runner.restore()
        torch.set_num_threads(restore_threads)
    _report(progress, steps, steps, "done")
    return table


def _report(progress: Progress | None, done: int, total: int, label: str) -> None:
    if progress is not None:
        progress(done, total, label)


def _plan(train: bool, device: str, with_onnx: bool, extra_modes: tuple[str, ...] = ()) -> list[SpeedRow]:
    """Every row of the table, the ones that cannot run here already skipped with the reason."""
    cuda = _cuda_present()
    rows = []
    for phase in PHASES if train else PHASES[:1]:
        for dtype in DTYPES:
            for framework, modes in (("tensorflow", TF_MODES), ("torch", TORCH_MODES)):
                for mode in modes:
                    row = SpeedRow(framework, mode, dtype, phase)
                    if not cuda and (device == "cuda" or dtype != "float32" or mode in CUDA_ONLY_MODES):
                        row.skipped = NO_CUDA
                    elif device == "cpu" and (dtype != "float32" or mode in CUDA_ONLY_MODES):
                        row.skipped = "CUDA only; this table ran on cpu (device='cuda' times them)"
                    rows.append(row)
    for mode in extra_modes:
        row = SpeedRow("torch", mode, "float32", EXTRA_MODES[mode])
        if device == "cuda" and not cuda:
            row.skipped = NO_CUDA
        rows.append(row)
    if with_onnx:
        row = SpeedRow("onnxruntime", "session", "float32", "inference")
        if device == "cuda" and not cuda:
            row.skipped = NO_CUDA
        rows.append(row)
    return rows


def _cuda_present() -> bool:
    import torch

    return torch.cuda.is_available()


def progress_printer(stream: TextIO | None = None) -> Progress:
    """A progress callback that redraws one line (``[ 3/10] torch torch.compile() float32
    inference``) on ``stream`` (stderr by default) and ends it when the table is done."""
    out = stream if stream is not None else sys.stderr
    tty = getattr(out, "isatty", lambda: False)()

    def show(done: int, total: int, label: str) -> None:
        text = f"[{done:>{len(str(total))}}/{total}] {label}"
        if tty:
            out.write("\r\033[K" + text + ("\n" if done == total else ""))
        else:
            out.write(text + "\n")
        out.flush()

    return show


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return (text[:160] + "…") if len(text) > 160 else text


__all__ = [
    "DTYPES", "EXTRA_MODES", "LOSS", "NO_CUDA", "PHASES", "SpeedRow", "SpeedTable", "progress_printer", "speed_table",
]
