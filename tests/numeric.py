"""Run one ``Check`` of an op-table row: the TF code with TensorFlow, its rewrite with torch.

Used by ``test_ops_numeric.py``. Inputs are drawn once from a generator seeded by the check's
text, so a failure reproduces; the torch side runs with ``tensorflow`` and ``keras`` refused at
import, so a rewrite that still leans on TF cannot pass.
"""

from __future__ import annotations

import builtins
import hashlib
import re
from typing import Any

import numpy as np

from migrate.codemod import migrate_source
from migrate.codemod.findings import FileResult, Outcome
from migrate.rules.base import Check

PRELUDE = (
    "import numpy as np\n"
    "import tensorflow as tf\n"
    "import keras\n"
    "from keras import ops\n"
    "from keras import backend as K\n"
)

_DTYPES = {
    "f16": "float16", "bf16": "bfloat16", "f32": "float32", "f64": "float64",
    "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64", "u8": "uint8",
    "bool": "bool", "c64": "complex64",
}
_SPEC = re.compile(r"^(?P<dtype>[a-z0-9]+)\[(?P<dims>[0-9, ]*)\](?::(?P<range>.+))?$")


class SpecError(ValueError):
    pass


def draw(spec: Any, rng: np.random.Generator) -> Any:
    """A NumPy value for an input spec (see ``Check``); a non-string passes through."""
    if not isinstance(spec, str):
        return spec
    match = _SPEC.match(spec.replace(" ", ""))
    if not match or match["dtype"] not in _DTYPES:
        raise SpecError(f"bad input spec {spec!r}")
    dtype = _DTYPES[match["dtype"]]
    dims = tuple(int(d) for d in match["dims"].split(",") if d)
    span = match["range"]
    if dtype == "bool":
        return rng.random(dims) < 0.5
    if dtype.startswith(("int", "uint")):
        low, high = (0, 10) if dtype.startswith("uint") else (-5, 6)
        if span:
            low, high = (int(v) for v in span.split(".."))
        return rng.integers(low, high, size=dims).astype(dtype)
    if span == "pos":
        values = rng.uniform(0.1, 2.0, size=dims)
    elif span == "unit":
        values = rng.uniform(0.0, 1.0, size=dims)
    elif span and ".." in span:
        low, high = (float(v) for v in span.split(".."))
        values = rng.uniform(low, high, size=dims)
    elif span:
        raise SpecError(f"bad range in input spec {spec!r}")
    else:
        values = rng.standard_normal(dims)
    if dtype == "complex64":
        return (values + 1j * rng.standard_normal(dims)).astype(np.complex64)
    if dtype == "bfloat16":
        return values.astype(np.float32)  # made bfloat16 by each framework
    return values.astype(dtype)


def inputs_for(check: Check) -> dict[str, Any]:
    seed = int.from_bytes(hashlib.sha256(repr((check.code, sorted(check.inputs.items()))).encode()).digest()[:4], "little")
    rng = np.random.default_rng(seed)
    return {name: draw(spec, rng) for name, spec in check.inputs.items()}


def _is_bf16(spec: Any) -> bool:
    return isinstance(spec, str) and spec.startswith("bf16[")


def source_of(check: Check) -> str:
    body = check.code.strip("\n")
    if "result" not in body or "\n" not in body and not body.startswith("result"):
        body = f"result = {body}"
    return PRELUDE + body + "\n"


def migrate_check(check: Check) -> FileResult:
    return migrate_source(source_of(check), "<check>")


def run_tf(check: Check, values: dict[str, Any]) -> Any:
    import tensorflow as tf

    namespace: dict[str, Any] = {}
    for name, value in values.items():
        spec = check.inputs[name]
        if isinstance(spec, str):
            value = tf.constant(value, dtype=tf.bfloat16 if _is_bf16(spec) else None)
        namespace[name] = value
    exec(compile(source_of(check), "<tf>", "exec"), namespace)
    return namespace["result"]


_REFUSED = ("tensorflow", "keras", "tf_keras")


def _guarded_import(name: str, *args: Any, **kwargs: Any) -> Any:
    if name.split(".")[0] in _REFUSED:
        raise ImportError(f"the migrated code imports {name}")
    return builtins.__import__(name, *args, **kwargs)


def run_torch(check: Check, migrated: str, values: dict[str, Any]) -> Any:
    import torch

    guarded = dict(vars(builtins))
    guarded["__import__"] = _guarded_import
    namespace: dict[str, Any] = {"__builtins__": guarded}
    for name, value in values.items():
        spec = check.inputs[name]
        if isinstance(spec, str):
            value = torch.from_numpy(np.array(value))
            if _is_bf16(spec):
                value = value.to(torch.bfloat16)
        namespace[name] = value
    # The prelude's own imports are gone when nothing uses them; `np` may stay.
    exec(compile(migrated, "<torch>", "exec"), namespace)
    return namespace["result"]


# ---------------------------------------------------------------------------------------
# Comparing results across frameworks.


def plain(value: Any, side: str) -> Any:
    """A framework-free form of a result: NumPy arrays, dtype names, lists, dicts, scalars."""
    module = type(value).__module__.split(".")[0]
    if side == "torch" and module in ("tensorflow", "keras"):
        raise AssertionError(f"the migrated code returned a {type(value).__name__} from {module}")
    if module == "torch":
        import torch

        if isinstance(value, torch.Tensor):
            tensor = value.detach().cpu()
            if tensor.dtype == torch.bfloat16:
                return Array(tensor.float().numpy(), "bfloat16")
            if tensor.layout != torch.strided:
                tensor = tensor.to_dense()
            return Array(tensor.resolve_conj().numpy(), None)
        if isinstance(value, torch.dtype):
            return DType(str(value).removeprefix("torch."))
        if isinstance(value, torch.Size):
            return [int(v) for v in value]
    if module == "tensorflow":
        import tensorflow as tf

        if isinstance(value, tf.SparseTensor):
            value = tf.sparse.to_dense(value)
        if isinstance(value, (tf.Tensor, tf.Variable)):
            if value.dtype == tf.bfloat16:
                return Array(tf.cast(value, tf.float32).numpy(), "bfloat16")
            return Array(np.asarray(value.numpy()), None)
        if isinstance(value, tf.dtypes.DType):
            return DType(value.name)
        if isinstance(value, tf.TensorShape):
            return value.as_list()
    if isinstance(value, np.ndarray):
        return Array(value, None)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [plain(v, side) for v in value]
    if isinstance(value, dict):
        return {k: plain(v, side) for k, v in value.items()}
    return value


class DType(str):
    pass


class Array:
    def __init__(self, array: np.ndarray, dtype: str | None):
        self.array = array
        self.dtype = dtype or str(array.dtype)


def _as_array(value: Any) -> Any:
    """A Python number or a flat list of numbers as an Array (for ``dtype=False`` checks)."""
    if isinstance(value, (int, float, bool)) or (
        isinstance(value, list) and all(isinstance(v, (int, float, bool)) for v in value)
    ):
        return Array(np.asarray(value), None)
    return value


def assert_same(tf_value: Any, torch_value: Any, check: Check, where: str = "result") -> None:
    if not check.dtype and (isinstance(tf_value, Array) != isinstance(torch_value, Array)):
        # `tf.shape(x)[0]` is a tensor, `x.shape[0]` an int: equal values, which a check
        # with `dtype=False` accepts (its row says why).
        tf_value, torch_value = _as_array(tf_value), _as_array(torch_value)
    if isinstance(tf_value, Array) or isinstance(torch_value, Array):
        if not (isinstance(tf_value, Array) and isinstance(torch_value, Array)):
            # A Python number on one side and a 0-d tensor on the other is a real difference.
            raise AssertionError(f"{where}: TF gave {_kind(tf_value)}, torch gave {_kind(torch_value)}")
        a, b = tf_value.array, torch_value.array
        assert a.shape == b.shape, f"{where}: shape {a.shape} (TF) != {b.shape} (torch)"
        if check.dtype:
            assert tf_value.dtype == torch_value.dtype, f"{where}: dtype {tf_value.dtype} (TF) != {torch_value.dtype} (torch)"
        if check.compare == "values":
            if a.dtype.kind in "biu" and b.dtype.kind in "biu":
                assert np.array_equal(a, b), f"{where}: values differ:\nTF    {a}\ntorch {b}"
            else:
                np.testing.assert_allclose(
                    b.astype(np.complex128 if b.dtype.kind == "c" else np.float64),
                    a.astype(np.complex128 if a.dtype.kind == "c" else np.float64),
                    atol=check.atol, rtol=check.rtol, equal_nan=True, err_msg=where,
                )
        return
    if isinstance(tf_value, list) and isinstance(torch_value, list):
        assert len(tf_value) == len(torch_value), f"{where}: {len(tf_value)} items (TF) != {len(torch_value)} (torch)"
        for i, (a, b) in enumerate(zip(tf_value, torch_value)):
            assert_same(a, b, check, f"{where}[{i}]")
        return
    if isinstance(tf_value, dict) and isinstance(torch_value, dict):
        assert list(tf_value) == list(torch_value), f"{where}: keys {list(tf_value)} != {list(torch_value)}"
        for key in tf_value:
            assert_same(tf_value[key], torch_value[key], check, f"{where}[{key!r}]")
        return
    if isinstance(tf_value, float) and isinstance(torch_value, float):
        assert abs(tf_value - torch_value) <= check.atol + check.rtol * abs(tf_value), f"{where}: {tf_value} != {torch_value}"
        return
    assert type(tf_value) is type(torch_value) or {type(tf_value), type(torch_value)} <= {str, DType}, (
        f"{where}: TF gave {_kind(tf_value)}, torch gave {_kind(torch_value)}"
    )
    assert tf_value == torch_value, f"{where}: {tf_value!r} (TF) != {torch_value!r} (torch)"


def _kind(value: Any) -> str:
    if isinstance(value, Array):
        return f"an array {value.array.shape} {value.dtype}"
    return f"{type(value).__name__} {value!r}"


def todo_rules(result: FileResult) -> list[str]:
    return [f"{f.rule}: {f.message}" for f in result.findings if f.outcome is Outcome.TODO]
