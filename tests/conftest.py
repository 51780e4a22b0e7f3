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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ANN001, ANN201
    """Under LOSSBENCH_REQUIRE_SERVICES=1 (set by .ci/run, which installs PostgreSQL and Chromium) a test that
    skips for a missing real service fails instead: CI must never pass by skipping what it is there to check."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("LOSSBENCH_REQUIRE_SERVICES") == "1":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, but LOSSBENCH_REQUIRE_SERVICES=1 requires it to run: {reason}"
