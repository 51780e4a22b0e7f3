"""The answer's advice is runnable: where comparisons are open (or arms unfinished), the report gives the command
that decides the rest on this sweep (``lossbench.report.advice``), and that command works. With ``--time-budget``,
a later, larger start decides at least as much and trains no epoch twice (every run that took over a slot's run
continued from the epoch its predecessor's checkpoint was at)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from sweeps import arm, converged_curve, report_of, run_result, sweep


def arm_with(key: str, accuracies, curve_of=converged_curve):
    """An arm whose final runs score ``accuracies`` on seeds 1000, 1001, ... along curves ``curve_of`` draws."""
    return arm(key, {1000 + i: run_result(curve_of(a), a, seed=1000 + i) for i, a in enumerate(accuracies)})


def rising(final: float) -> list[float]:
    """Still climbing at its last epoch (10 epochs)."""
    return [final - 0.02 * (9 - i) for i in range(10)]


def test_the_advice_names_the_flags_that_decide_the_open_pairs_on_this_sweep():
    data = sweep([arm_with("ce:gru:none", (0.90, 0.91, 0.905)), arm_with("focal:gru:none", (0.80, 0.82, 0.81), rising)],
                 time_budget=120.0)
    report = report_of(data)
    (pair,) = [v for v in report.decisions if v.scope == "arms"]
    assert pair.kind == "open" and pair.needs_epochs is not None
    minutes = report.advice.split("--time-budget ")[1]
    assert report.advice == f"lossbench run made --epochs {pair.needs_epochs} --time-budget {minutes}"
    assert f"to decide it on this sweep: `{report.advice}`" in report.answer[-1]
    raced = report_of(sweep(data.arms, race=True, seeds=7, max_epochs=10))
    (at_race,) = [v for v in raced.decisions if v.scope == "arms"]
    assert at_race.reach == "epochs" and at_race.needs_epochs > 10  # past the race's max_epochs: raise it
    assert raced.advice == f"lossbench run made --max-epochs {at_race.needs_epochs}"
    done = report_of(sweep([arm_with("ce:gru:none", (0.90, 0.91, 0.905)),
                            arm_with("focal:gru:none", (0.70, 0.71, 0.705))]))
    assert done.advice is None and not any("lossbench run" in s for s in done.answer)


def test_the_advice_names_the_storage_where_it_is_not_the_default_journal():
    from lossbench.report.advice import command
    from lossbench.results import SpecRecord

    spec = SpecRecord.parse({"name": "q", "epochs": 10, "seeds": 3})
    assert command("q", spec, [], ["ce:gru:none"], "results/q/sweep.journal") == "lossbench run q"
    assert command("q", spec, [], ["ce:gru:none"], "/data/out/q/sweep.journal") == "lossbench run q --out /data/out"
    assert command("q", spec, [], ["ce:gru:none"], "postgresql://me:***@db/x") == (
        "lossbench run q --storage 'postgresql://me:***@db/x' # with the password put back in place of ***")
    assert command("q", SpecRecord.parse({"name": "q", "epochs": 10, "seeds": 3, "time_budget": 60}), [],
                   ["ce:gru:none"], "postgresql://me@db/x?sslmode=require&x=1") == (
        "lossbench run q --storage 'postgresql://me@db/x?sslmode=require&x=1' --time-budget 1m")  # runs in a shell
    assert command("q", spec, [], [], "results/q/sweep.journal") is None


def decided(data) -> int:
    return sum(v.decided for v in data.decisions)


def handovers(data) -> list[tuple[int, int]]:
    """(the epoch a run continued from, the epoch its predecessor's checkpoint was at) of every completed run, where
    (0, 0) is a run that started afresh with nothing before it."""
    pairs = []
    for arm in data.arms:
        for trials in (arm.tuning, [*arm.final, *arm.superseded]):
            by_number = {t.number: t for t in trials}
            for t in trials:
                if t.state != "COMPLETE" or t.run is None:
                    continue
                before = t.user_attrs.get("retry_of", t.user_attrs.get("continues"))
                link = (by_number[before].user_attrs.get("checkpoint") or {}) if before is not None else {}
                pairs.append((t.run.continued_from or 0, link.get("epoch") or 0))
    return pairs


SPEC = {"name": "budget", "dataset": "digits", "losses": ["ce", "focal"], "cells": ["gru"], "hidden": 8,
        "trials": 1, "epochs": 2, "max_epochs": 16, "seeds": 5, "race": True, "patience": 0}


@pytest.mark.slow
def test_a_small_time_budget_then_the_advised_command_decides_at_least_as_much_and_trains_no_epoch_twice(
        tmp_path, cli):
    from lossbench import load_sweep
    from lossbench import sweep as lossbench_sweep
    from lossbench.errors import LossbenchError

    out, low, high, budget = tmp_path / "results", 0.0, None, 4.0
    for attempt in range(8):  # a budget that stops this sweep part-way on this machine now, found by bisection
        name = f"budget{attempt}"
        try:
            first = lossbench_sweep.run({**SPEC, "name": name, "time_budget": budget}, out=out, workers=1)
        except LossbenchError as error:  # below the start-up: refused (F65)
            assert "ran out before any trial finished" in str(error), error
            low, budget = budget, 2 * budget if high is None else (budget + high) / 2
            continue
        if first.out_of_time:
            break
        high, budget = budget, (low + budget) / 2  # finished within it: a smaller one
    else:
        pytest.fail(f"no time budget between {low} and {high} s stopped the sweep part-way")
    before = first.load()
    advice = before.report.advice
    assert advice.startswith(f"lossbench run {name} --out {out} --time-budget ") and advice.endswith("m"), advice
    assert f"`{advice}`" in " ".join(before.answer)
    done = cli(*shlex.split(advice)[1:], "--workers", "1", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    after = load_sweep(name, storage=str(Path(out) / name / "sweep.journal"))
    assert decided(after) >= decided(before)
    moves = handovers(after)
    assert moves and all(start == stop for start, stop in moves), moves  # each continued where the last stopped
    assert any(start > 0 for start, _ in moves)  # the race continued runs from their checkpoints
