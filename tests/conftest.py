"""Shared test helpers: the one way tests run the real ``lossbench`` command, and fixtures several files use.

Test modules use the ``cli`` / ``cli_process`` fixtures; plain helpers for writing data files live beside this
file (``idx_files.py``, ``postgres.py``), which pytest puts on ``sys.path``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from idx_files import write_idx


def cli_command(*args: str, python: str | None = None) -> list[str]:
    """``python -m lossbench ARGS``: this interpreter (so this checkout's code) unless ``python`` names another."""
    return [python or sys.executable, "-m", "lossbench", *args]


def cli_environment(env: dict[str, str | None] | None = None) -> dict[str, str]:
    """This process's environment without LOSSBENCH_* (the user's plugin folders, cache, strictness), updated by
    ``env``; a value of None removes that variable."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("LOSSBENCH_")}
    for key, value in (env or {}).items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = value
    return full


def run_cli(*args: str, env: dict[str, str | None] | None = None, python: str | None = None, timeout: int = 300,
            cwd: str | Path | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """Run the command to the end, output captured as text; ``check`` asserts exit code 0 (showing stderr)."""
    done = subprocess.run(cli_command(*args, python=python), capture_output=True, text=True,
                          env=cli_environment(env), timeout=timeout, cwd=cwd)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def start_cli(*args: str, cwd: str | Path | None = None, **popen) -> subprocess.Popen:
    """Start the command in the background (to kill it, or to run several at once); ``popen``: Popen's options."""
    return subprocess.Popen(cli_command(*args), cwd=cwd, env=cli_environment(), text=True, **popen)


@pytest.fixture(scope="session")
def cli():
    return run_cli


@pytest.fixture(scope="session")
def cli_process():
    return start_cli


@pytest.fixture
def idx_folder(tmp_path):
    """``idx_folder(n_train=12, n_test=5)`` writes tiny MNIST-like IDX files into tmp_path (the test files gzipped)
    and returns (folder, (images, labels, test_images, test_labels))."""
    def write(n_train: int = 12, n_test: int = 5):
        rng = np.random.default_rng(0)
        images, labels = rng.integers(0, 256, (n_train, 28, 28)), rng.integers(0, 10, n_train)
        test_images, test_labels = rng.integers(0, 256, (n_test, 28, 28)), rng.integers(0, 10, n_test)
        write_idx(tmp_path / "train-images-idx3-ubyte", images, 2051)
        write_idx(tmp_path / "train-labels-idx1-ubyte", labels, 2049)
        write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", test_images, 2051, gz=True)
        write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", test_labels, 2049, gz=True)
        return tmp_path, (images, labels, test_images, test_labels)

    return write


@pytest.fixture(scope="session")
def postgres_session():
    """One throwaway PostgreSQL server per test process (xdist worker), started when a test first needs it
    (initdb costs seconds); each test takes a database of its own on it (``postgres_url``)."""
    from postgres import PostgresServer, find_binaries

    if find_binaries() is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    server = PostgresServer()
    server.start()
    yield server
    server.remove()


@pytest.fixture
def postgres_url(postgres_session) -> str:
    """``postgresql://postgres@127.0.0.1:PORT/test_N``: a fresh, empty database on the session's server."""
    return postgres_session.new_database()


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


@pytest.fixture(autouse=True)
def subnormal_floats_restored():
    """The engine flushes subnormal floats to zero process-wide (engine/loop.py): a test that trains in this process
    must not leave that to the next one (hypothesis, for one, refuses to draw floats then)."""
    yield
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_flush_denormal(False)


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module's tests (``pytestmark = pytest.mark.usefixtures("one_torch_thread")``): their
    networks are tiny, one thread is faster, and it keeps OpenMP threads of test processes sharing the two cores
    from starving each other."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
