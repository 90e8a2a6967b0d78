"""`migrate lsp` in a real editor: headless Neovim opens a file, receives the diagnostics,
applies "Migrate this file to PyTorch", and saves what convert would have written.

The editor side is the Lua script beside this file (tests/test_nvim_client.lua). Skipped,
with the reason, where `nvim` is not installed (`apt-get install neovim`; 0.7 or newer).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrate.cli import main

SCRIPT = Path(__file__).with_name("test_nvim_client.lua")
SOURCE = (
    "import tensorflow as tf\n"
    "\n"
    "\n"
    "def loss(x, y):\n"
    "    total = tf.reduce_sum(x, axis=1)\n"
    "    return tf.reduce_mean(total - y)\n"
    "\n"
    "\n"
    "z = tf.no_such_api_anywhere(1)\n"
)


def _nvim_version() -> tuple[int, int] | None:
    nvim = shutil.which("nvim")
    if nvim is None:
        return None
    try:
        first = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=30).stdout.splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return None
    match = re.search(r"v(\d+)\.(\d+)", first)
    return (int(match[1]), int(match[2])) if match else None


VERSION = _nvim_version()
pytestmark = pytest.mark.skipif(
    VERSION is None or VERSION < (0, 7),
    reason="Neovim 0.7 or newer is not installed (`apt-get install neovim`): the real-editor test of `migrate lsp` needs `nvim` on PATH",
)


def test_neovim_receives_diagnostics_and_applies_the_code_action(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(SOURCE)
    expected = tmp_path / "expected.py"
    CliRunner().invoke(main, ["convert", str(path), "-o", str(expected)], catch_exceptions=False)
    saved, report = tmp_path / "saved.py", tmp_path / "report.json"
    env = {
        **os.environ,
        "MIGRATE_NVIM_FILE": str(path),
        "MIGRATE_NVIM_SAVED": str(saved),
        "MIGRATE_NVIM_REPORT": str(report),
        "MIGRATE_NVIM_CMD": json.dumps([sys.executable, "-m", "migrate", "lsp"]),
        "XDG_STATE_HOME": str(tmp_path / "state"),  # nvim's LSP log goes here, not to ~
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    command = ["nvim", "--headless", "--clean", "-n", "-i", "NONE", "-c", f"luafile {SCRIPT}"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL)
    assert report.exists(), done.stdout + done.stderr
    seen = json.loads(report.read_text())
    assert seen["ok"], seen
    assert seen["codes"] == ["ops.reduce_sum", "ops.reduce_mean", "unmapped"]
    assert "Migrate this file to PyTorch" in seen["titles"]
    assert any(t.startswith("Migrate this call to PyTorch") for t in seen["titles"])
    assert saved.read_text() == expected.read_text()  # the editor's buffer is convert's output
    assert seen["left"] == ["unmapped"]
