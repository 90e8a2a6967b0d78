"""Running a script in a fresh interpreter, for tests that compare a TF script with its
migration: process-wide settings (seeds, threads, determinism) stay in that process, and the
migrated side runs with TensorFlow and Keras unimportable, as in a project that has dropped
them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

#: Prepended to a migrated script: importing TensorFlow, Keras or tf_keras raises ImportError.
BLOCK_TF = '''
import builtins
_real_import = builtins.__import__
def _guarded(name, *args, **kwargs):
    if name.split(".")[0] in ("tensorflow", "keras", "tf_keras"):
        raise ImportError(f"{name} must not be imported by migrated code")
    return _real_import(name, *args, **kwargs)
builtins.__import__ = _guarded
'''


def run(code: str, *args: str, cwd: Path | None = None, timeout: int = 240) -> str:
    """Run ``code`` (``python -c``) on the CPU; its stdout. Fails the test on a non-zero exit."""
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def run_json(code: str, *args: str, cwd: Path | None = None) -> dict:
    """Run ``code``; the JSON its last line of output holds."""
    return json.loads(run(code, *args, cwd=cwd).strip().splitlines()[-1])
