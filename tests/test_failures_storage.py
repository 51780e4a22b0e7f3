"""Storage faults tried for real (docs/failures.md F20-F26): a disk that fills mid-sweep (a real tmpfs, or a
file-size limit), a stale lock, two starts at once, a report killed mid-write (a journal torn, added to, deleted or
cut short: test_failures_storage_journal.py). Each loses nothing that was stored, and says what happened in one
line."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import cli_command, cli_environment
from test_failures import exits_as_documented, one_error_line, stored_sweep

from lossbench.results import read_sweep

pytestmark = pytest.mark.slow  # every test starts lossbench processes that train

SWEEP = ["--dataset", "digits", "--cell", "rnn", "--remedies", "none", "--loss", "ce", "--set", "hidden=8",
         "--seeds", "1", "--workers", "1", "--pruner", "none", "--tuning", "patience", "--quiet"]  # each point once


def sweep(name: str, trials: int = 3, epochs: int = 1, *extra: str) -> list[str]:
    return ["run", "--name", name, *SWEEP, "--trials", str(trials), "--epochs", str(epochs), *extra]


def run(args: list[str], cwd: Path, file_size: int | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """The command, under a file-size limit of ``file_size`` bytes if given (SIGXFSZ ignored, as a full disk: the
    write raises EFBIG instead of killing the process)."""
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    return subprocess.run(cli_command(*args), cwd=cwd, env=cli_environment(), capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit if file_size else None)


def finished(journal: Path) -> set[tuple[str, str, int]]:
    """(arm, phase, number) of every finished trial in the journal, read by Optuna alone (lossbench would repair it)."""
    import optuna
    from optuna.storages.journal import JournalFileBackend

    storage = optuna.storages.JournalStorage(JournalFileBackend(str(journal)))
    return {(*study.study_name.split(":", 1)[1].rsplit(":", 1), trial.number)
            for study in optuna.get_all_study_summaries(storage) if not study.study_name.endswith(":spec")
            for trial in optuna.load_study(study_name=study.study_name, storage=storage).trials
            if trial.state.name == "COMPLETE"}


def reported(folder: Path) -> set[tuple[str, str, int]]:
    """(arm, phase, number) of every finished trial in the report's trials.csv."""
    import csv

    with open(folder / "trials.csv") as rows:
        return {(row["arm"], row["phase"], int(row["number"])) for row in csv.DictReader(rows) if row["state"] == "COMPLETE"}


def test_F20_a_disk_that_fills_mid_sweep_under_a_file_size_limit(tmp_path):
    journal = tmp_path / "results" / "full" / "sweep.journal"
    done = run(sweep("full", 4), tmp_path, file_size=9000)
    exits_as_documented(done, "F20")
    line = one_error_line(done)
    assert "File too large" in line and "the trials stored before are kept" in line, line
    before = finished(journal)
    assert before and not journal.read_bytes().endswith(b"\n")  # the write cut off left a torn line
    again = run(sweep("full", 4), tmp_path)  # space freed: the same command
    assert again.returncode == 0, again.stderr
    assert "set aside" in again.stderr and list(journal.parent.glob("sweep.journal.damaged-*"))
    assert before <= finished(journal) and before <= reported(journal.parent)
    assert len(finished(journal)) == 4 + 1  # the exact budget: 4 tuning trials and 1 final seed


@contextmanager
def tmpfs(size: str) -> Iterator[Path]:
    """A real tmpfs of ``size`` mounted on a fresh folder (root needed: skipped otherwise)."""
    mount = Path(tempfile.mkdtemp(prefix="lossbench-full-"))
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True,
                              text=True)
    except OSError as error:
        done = subprocess.CompletedProcess([], 1, "", str(error))
    if done.returncode != 0:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs here (root needed): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)])
        mount.rmdir()


def fill(mount: Path, leave: int = 0) -> None:
    """Fill the file system of ``mount`` to the last byte, then free ``leave`` bytes of it."""
    filler = mount / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(descriptor, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(descriptor)
    os.truncate(filler, max(0, filler.stat().st_size - leave))


def test_F20_F56_a_disk_that_fills_mid_sweep_on_a_real_tmpfs(tmp_path):
    with tmpfs("28k") as mount:
        out = ["--out", str(mount)]
        full = run(sweep("tmpfs", 6, 1, *out), tmp_path)
        exits_as_documented(full, "F20")
        assert "No space left on device" in one_error_line(full)
        journal = mount / "tmpfs" / "sweep.journal"
        before, stored = finished(journal), journal.read_bytes()
        assert before
        fill(mount)  # whatever the failed write left free
        still = run(sweep("tmpfs", 6, 1, *out), tmp_path)  # the same command on the disk still full
        exits_as_documented(still, "F56")
        assert "No space left on device" in one_error_line(still) and "free space" in still.stderr, still.stderr
        assert journal.read_bytes() == stored and not list(journal.parent.glob("sweep.journal*lock*"))
        (mount / "filler").unlink()
        subprocess.run(["mount", "-o", "remount,size=2m", str(mount)], check=True)  # space freed
        again = run(sweep("tmpfs", 6, 1, *out), tmp_path)
        assert again.returncode == 0, again.stderr
        assert before <= finished(journal) and before <= reported(journal.parent)


def test_F57_report_on_a_full_disk_leaves_no_truncated_plot(cli, tmp_path):
    from stored import store_journal

    stored = store_journal(tmp_path / "made").read_bytes()  # made here: this process holds it open
    with tmpfs("256k") as mount:
        journal = mount / "kept" / "sweep.journal"
        journal.parent.mkdir()
        journal.write_bytes(stored)
        fill(mount, leave=40_000)  # room for a plot or two (7 plots take about 110 KB)
        done = cli("report", "kept", "--out", str(mount), "--format", "md", cwd=tmp_path)
        exits_as_documented(done, "F57")
        assert "No space left on device" in one_error_line(done)
        for plot in (journal.parent / "plots").glob("*"):
            assert plot.read_bytes().startswith(b"\x89PNG") and plot.read_bytes().endswith(b"IEND\xaeB`\x82"), plot
        assert not [p.name for p in journal.parent.rglob(".*")]  # no temporary file left
        assert journal.read_bytes() == stored


def test_F60_a_plugin_that_changes_the_working_directory(cli, tmp_path):
    from test_failures import loss_plugin

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    plugins = loss_plugin(tmp_path / "plugins", "wander", f"os.chdir({str(elsewhere)!r})")
    for workers in ("1", "2"):
        args = sweep(f"wander{workers}", 2)
        args[args.index("ce")] = "wander"
        args[args.index("--workers") + 1] = workers
        done = cli("--plugins-dir", str(plugins), *args, cwd=tmp_path)
        exits_as_documented(done, "F60")
        folder = tmp_path / "results" / f"wander{workers}"
        assert (folder / "report.md").is_file() and not done.stderr.strip(), done.stderr
        (arm,) = read_sweep(f"wander{workers}", folder / "sweep.journal").arms
        assert len(arm.finished_tuning) == 2 and len(arm.completed_final) == 1
    assert not list(elsewhere.iterdir())  # nothing went where the plugin moved


def test_F23_a_report_killed_mid_write_leaves_the_old_file_whole(tmp_path):
    from stored import store_journal

    from lossbench.report import write

    store_journal(tmp_path / "results", "atomic")  # a stored sweep (nothing trains) and its whole report
    html = write("atomic", ["html"], out=tmp_path / "results")["html"]
    whole = html.read_bytes()
    done = run(["report", "atomic", "--format", "html"], tmp_path, file_size=len(whole) // 2)
    assert done.returncode == 2 and "cannot write the report" in done.stderr, done.stderr
    assert html.read_bytes() == whole  # not a truncated half
    assert not list(html.parent.glob(".report.html.*"))  # no temporary file left


def test_F24_a_stale_journal_lock_is_said_and_broken(cli, tmp_path):
    stored_sweep(tmp_path / "results", "locked", pruner="none")  # what `lossbench sweep("locked", 1)` stores
    from lossbench.results.journal import lock_file

    lock = lock_file(tmp_path / "results" / "locked" / "sweep.journal")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket

    lock.write_text(f"{socket.gethostname()} {dead.pid}")  # left by a process that died holding it
    again = cli(*sweep("locked", 1), cwd=tmp_path)
    exits_as_documented(again, "F24")
    assert f"{lock.name} was left by process {dead.pid}, which is dead: broken" in again.stderr, again.stderr
    lock.write_text("")  # Optuna's own lock file (no holder written), left an hour ago
    os.utime(lock, (time.time() - 3600, time.time() - 3600))
    again = cli(*sweep("locked", 1), cwd=tmp_path)
    exits_as_documented(again, "F24")
    assert "held it for more than 30 s: broken" in again.stderr, again.stderr
    assert not lock.exists()


def test_F24_a_held_journal_lock_is_waited_for_out_loud(tmp_path):
    from lossbench.results.journal import make_lock

    path = str(tmp_path / "sweep.journal")
    holder = make_lock(path)
    holder.acquire()  # held by this live process
    waiter = subprocess.Popen([sys.executable, "-c", f"from lossbench.results.journal import make_lock\n"
                               f"make_lock({path!r}).acquire(); print('acquired', flush=True)"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    said = b""
    os.set_blocking(waiter.stderr.fileno(), False)
    while b"waiting for the journal's lock" not in said and time.time() < deadline:
        time.sleep(0.2)
        said += (waiter.stderr.buffer.read() or b"")
    assert f"held by process {os.getpid()}".encode() in said, said
    holder.release()
    out, _ = waiter.communicate(timeout=60)
    assert out.strip() == "acquired"


def test_F25_two_specs_started_under_one_name_at_once(tmp_path):
    starts = [subprocess.Popen(cli_command(*sweep("twice", trials)), cwd=tmp_path, env=cli_environment(),
                               stderr=subprocess.PIPE, text=True) for trials in (1, 2)]
    outcomes = sorted((p.wait(timeout=300), p.stderr.read()) for p in starts)
    assert [code for code, _ in outcomes] == [0, 2], outcomes
    assert "already exists in this storage with a different spec (differs in: trials)" in outcomes[1][1]
    exits_as_documented(outcomes[1][0], "F25")
