"""A start of a sweep with nothing left to train (a finished sweep resumed, as every `lossbench run NAME` of a done
sweep is) checks its inputs and writes its report, but starts no worker process and never imports torch: each
worker costs seconds to start, torch about one. The process that starts a sweep trains nothing and imports torch
only to name a GPU it may see."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lossbench.results import read_sweep

pytestmark = pytest.mark.slow  # a real sweep with a worker process first

# a dataset that writes one line per load: the loading process's pid and whether it is a sweep's worker process
LOGGED = '''
import os, sys
import numpy as np
from lossbench import Dataset, DatasetSpec, Split, hookimpl

def load():
    with open(os.environ["LOADS_LOG"], "a") as log:
        log.write(f"{os.getpid()} {'worker' if sys.argv[0].endswith('child.py') else 'command'}\\n")
    rng = np.random.default_rng(0)
    split = lambda n: Split(rng.normal(size=(n, 5, 2)).astype("float32"), rng.integers(0, 3, n))
    return Dataset(train=split(30), val=split(12), test=split(12), num_classes=3)

@hookimpl
def register_datasets(register):
    register(DatasetSpec(name="logged", summary="writes a line at every load", load=load))
'''
SPEC = {"name": "done", "dataset": "logged", "losses": ["ce"], "cells": ["gru"], "hidden": 8, "trials": 1, "seeds": 1,
        "epochs": 1, "patience": 0}
START = textwrap.dedent('''
    import json, os, sys
    from lossbench import report, sweep
    outcome = sweep.run(json.loads(sys.argv[1]), out=sys.argv[2], plugins_dirs=[sys.argv[3]], workers=1)
    paths = report.write(outcome.storage, ["md", "json"])
    print(json.dumps({"pid": os.getpid(), "torch": "torch" in sys.modules, "partial": outcome.partial,
                      "trials": outcome.trials, "report": str(paths["md"])}))
''')


def loads(log: Path) -> list[tuple[int, str]]:
    return [(int(pid), role) for pid, role in (line.split() for line in log.read_text().splitlines())]


def start(tmp_path: Path, plugins: Path) -> dict:
    """``sweep.run`` then ``report.write`` in a fresh interpreter: what it said."""
    done = subprocess.run([sys.executable, "-c", START, json.dumps(SPEC), str(tmp_path / "results"), str(plugins)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_finished_sweep_resumed_loads_its_data_once_in_its_own_process_starts_no_worker_and_imports_no_torch(
        tmp_path, monkeypatch):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "logged.py").write_text(LOGGED)
    log = tmp_path / "loads.log"
    monkeypatch.setenv("LOADS_LOG", str(log))
    first = start(tmp_path, plugins)
    assert first["partial"] is False and first["trials"] == 2
    assert loads(log) == [(first["pid"], "command"), (loads(log)[1][0], "worker")]  # checked here, trained there
    may_see_a_gpu = sys.platform != "linux" or any(next(Path("/dev").glob(p), None) for p in ("nvidia*", "kfd", "dxg"))
    assert first["torch"] is may_see_a_gpu  # the provenance names the GPU torch sees
    journal = tmp_path / "results" / "done" / "sweep.journal"
    before = [(t.number, t.state, t.value) for arm in read_sweep("done", str(journal)).arms for t in arm.tuning + arm.final]

    said = start(tmp_path, plugins)
    assert said["partial"] is False and said["trials"] == 2
    assert loads(log)[2:] == [(said["pid"], "command")]  # its data checked once here (F33), and no worker started
    assert said["torch"] is False  # neither for the check of the data, nor the provenance, nor the report
    after = [(t.number, t.state, t.value) for arm in read_sweep("done", str(journal)).arms for t in arm.tuning + arm.final]
    assert after == before
    assert "ce:gru:none" in Path(said["report"]).read_text()


def test_a_race_whose_record_predates_its_raised_caps_is_not_finished(tmp_path):
    """A start that raised a race's caps and stopped before a worker replayed the race leaves the record of the
    race at the old caps, "over": the next start must still train (its workers replay the race at the new caps)."""
    import optuna

    from lossbench import sweep
    from lossbench.results.schema import RACE_ATTR, spec_study
    from lossbench.sweep.finished import nothing_to_train

    spec = {"name": "raced", "dataset": "digits", "losses": ["ce", "bce"], "cells": ["gru"], "hidden": 8,
            "trials": 1, "seeds": 3, "race": True, "epochs": 1, "max_epochs": 1, "patience": 0}
    outcome = sweep.run(spec, out=tmp_path, workers=1)
    journal = str(tmp_path / "raced" / "sweep.journal")
    data = read_sweep("raced", journal)
    assert data.race["over"] and nothing_to_train(data)
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(journal))
    study = optuna.load_study(study_name=spec_study("raced"), storage=storage)
    stale = {**data.race, "plan": {**data.race["plan"], "max_seeds": 2}}  # as planned before --seeds 3
    study.set_user_attr(RACE_ATTR, stale)
    assert not nothing_to_train(read_sweep("raced", journal))
    assert outcome.unfinished == ()
