"""Shared helpers: run the real ``lossbench`` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(*args: str, env: dict[str, str] | None = None, python: str | None = None, timeout: int = 300,
            cwd: str | Path | None = None) -> subprocess.CompletedProcess:
    """``python -m lossbench ARGS`` with a clean plugin environment, output captured as text."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LOSSBENCH_")}
    full_env.update(env or {})
    return subprocess.run([python or sys.executable, "-m", "lossbench", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=cwd)


@pytest.fixture
def cli():
    return run_cli
