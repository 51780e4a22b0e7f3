"""A sweep grown from another machine's folder: on one PostgreSQL storage and one artifact folder, a second process
with another --out continues the runs the first one checkpointed (see tests/postgres.py for the server)."""

from __future__ import annotations

import pytest
from postgres import find_binaries

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(find_binaries() is None,
                                 reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed")]


def test_a_run_checkpointed_from_one_out_folder_is_continued_by_a_process_with_another(tmp_path, cli,
                                                                                         postgres_url):
    from lossbench.results import read_sweep

    artifacts, first, second = tmp_path / "shared", tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    shared = ["--storage", postgres_url, "--artifacts", str(artifacts), "--workers", "1", "--quiet"]
    started = cli("run", "--name", "far", "--dataset", "digits", "--loss", "ce", "--cell", "gru", "--remedies",
                  "none", "--set", "hidden=8", "--trials", "1", "--seeds", "2", "--patience", "0", "--epochs", "2",
                  "--out", str(first / "results"), *shared, cwd=first)
    assert started.returncode == 0, started.stderr
    grown = cli("run", "far", "--epochs", "4", "--out", str(second / "results"), *shared, cwd=second)
    assert grown.returncode == 0 and "warning" not in grown.stderr, grown.stderr
    data = read_sweep("far", postgres_url)
    [arm] = data.arms
    assert [len(t.run.epochs) for t in arm.completed_final] == [4, 4]
    assert [t.run.continued_from for t in arm.completed_final] == [2, 2]  # from the first process's checkpoints
    assert sorted(t.number for t in arm.superseded) == [0, 1]
    assert any((second / "results" / "far").glob("report.*")) and not any(
        (second / "results" / "far").glob("artifacts"))  # the report here, the checkpoints in the shared folder
