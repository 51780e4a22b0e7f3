"""The ``--artifacts`` folder a sweep was started with is stored with it: a resume or a growth without the option
(the report's advised command carries none) finds the runs' checkpoints there instead of training from epoch 1."""

from __future__ import annotations

import pytest
from stored import store_journal

from lossbench.results.storage import Storage


def test_the_artifacts_folder_a_start_gave_is_what_a_later_start_defaults_to(tmp_path):
    from lossbench.results.storage import open_storage
    from lossbench.sweep.runner import ensure_spec, stored_artifacts
    from lossbench.sweep.spec import SweepSpec

    journal = store_journal(tmp_path, "kept", trials=1, seeds=1)
    store = Storage(name="kept", out=str(tmp_path))
    assert stored_artifacts(store) is None  # none given: OUT/NAME/artifacts, nothing stored
    spec = SweepSpec(name="kept", dataset="digits", losses=("ce",), cells=("rnn",), trials=1, seeds=1, epochs=2)
    folder = str(tmp_path / "shared" / "ckpt")
    ensure_spec(open_storage(journal, create=True), spec, {"lossbench": "test"}, folder)
    assert stored_artifacts(store) == folder
    assert stored_artifacts(Storage(name="other", out=str(tmp_path))) is None  # no such sweep


@pytest.mark.slow
def test_a_sweep_started_with_artifacts_grown_without_the_option_continues_from_its_checkpoints(tmp_path):
    import torch

    from lossbench import sweep

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        small = {"name": "art", "dataset": "digits", "losses": ["ce"], "cells": ["gru"], "hidden": 8, "trials": 1,
                 "patience": 0, "seeds": 1}
        folder = tmp_path / "elsewhere"
        sweep.run({**small, "epochs": 3}, out=tmp_path / "out", workers=1, artifacts=folder)
        assert any(folder.rglob("*")), "no checkpoint stored in the folder given"
        grown = sweep.run({**small, "epochs": 4}, out=tmp_path / "out", workers=1).load()  # no artifacts given
    finally:
        torch.set_num_threads(threads)
    [arm] = grown.arms
    [final] = arm.completed_final
    assert final.user_attrs.get("continues") is not None and final.run.continued_from == 3  # not from epoch 1
    assert not (tmp_path / "out" / "art" / "artifacts").exists()
