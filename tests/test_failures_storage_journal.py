"""Journal faults tried for real (docs/failures.md F21, F22): a journal torn, added to, or joined to a torn line
before a start appends; a journal deleted, cut short or added to, or its folder deleted, under a running sweep.
Split from test_failures_storage.py (which holds the helpers) so that the test processes share the storage faults."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

from test_failures import exits_as_documented, one_error_line
from test_failures_storage import finished, sweep

pytestmark = pytest.mark.slow  # every test starts lossbench processes that train


TORN = b'{"op_code":6,"worker_id":"x","trial_id":0,"st'
TAILS = {
    "torn": TORN,  # a write cut off
    "garbage": b"garbage\n\x00\x01 not json\n",  # text added to it
    "joined": TORN + b'{"op_code":0,"worker_id":"y","study_name":"joined:extra","directions":[1]}\n',  # what an
    # older start did: it appended right after the torn line, joining the two into one line
}


@pytest.mark.parametrize("tail", list(TAILS))
def test_F21_a_damaged_journal_is_repaired_before_a_start_appends(cli, cli_process, tmp_path, tail):
    journal = tmp_path / "results" / "damaged" / "sweep.journal"
    # 12 epochs a trial: the first start is still busy when the poll below sees its first trial finished
    first = cli_process(*sweep("damaged", 3, 12), cwd=tmp_path, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not (journal.is_file() and finished(journal)):
        time.sleep(0.2)
    first.send_signal(signal.SIGINT)  # stopped after its first trial: the next start appends
    assert first.wait(timeout=120) == 130
    before = finished(journal)
    with open(journal, "ab") as file:
        file.write(TAILS[tail])
    again = cli(*sweep("damaged", 3, 12), cwd=tmp_path)
    exits_as_documented(again, "F21")
    assert "set aside in sweep.journal.damaged-" in again.stderr, again.stderr
    (aside,) = journal.parent.glob("sweep.journal.damaged-*")
    assert TORN in aside.read_bytes() or b"garbage" in aside.read_bytes()
    after = finished(journal)
    assert before < after and len(after) == 3 + 1, (before, after)
    report = cli("report", "damaged", "--format", "json", cwd=tmp_path)
    assert report.returncode == 0, report.stderr


@pytest.mark.parametrize("fault", ["journal deleted", "journal cut short", "text added", "folder deleted"])
def test_F22_the_journal_changed_under_a_running_sweep(cli_process, tmp_path, fault):
    journal = tmp_path / "results" / "moved" / "sweep.journal"
    process = cli_process(*sweep("moved", 12, 3), cwd=tmp_path, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not (journal.is_file() and journal.stat().st_size > 6000) and time.time() < deadline:
        time.sleep(0.05)
    if fault == "journal deleted":
        journal.unlink()
    elif fault == "journal cut short":
        os.truncate(journal, 3000)
    elif fault == "text added":
        with open(journal, "ab") as file:
            file.write(b"garbage\n")
    else:
        shutil.rmtree(journal.parent)
    _, err = process.communicate(timeout=300)
    done = subprocess.CompletedProcess([], process.returncode, "", err)
    exits_as_documented(done, "F22")
    line = one_error_line(done)
    if fault in ("journal deleted", "folder deleted"):
        assert "deleted while the sweep ran" in line and "lost" in line and "kept" not in line, line
    elif fault == "journal cut short":  # a torn line, then the sweep's next entry: set aside by the next start
        assert "changed under the sweep" in line and "what is left of it is kept" in line, line
    else:  # a line with entries after it: named, never dropped (F50)
        assert "changed under the sweep" in line and "mend line" in line and "is kept" in line, line
