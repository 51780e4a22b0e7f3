"""A final run whose curve holds no finite value ended in a way nobody knows: one meaning for the decisions, the race
and the worker that decides what a raised cap continues. Not still improving (nothing continues it, so the race
gives it no epochs), not plateaued (no verdict that needs its side to have stopped improving is made on it)."""

from __future__ import annotations

import math

from sweeps import converged_curve, run_result

from lossbench.convergence import UNKNOWN
from lossbench.decisions import Run, decide, judged_arms
from lossbench.results.run import RunResult
from lossbench.sweep.racing import Allowance, Plan, look
from lossbench.sweep.spec import SweepSpec
from lossbench.sweep.trial import still_improving

SEEDS = (1000, 1001, 1002, 1003, 1004)
NAN = [math.nan] * 10


def arms(lower_curve: list[float]):
    """A clear gap: "high" (about 0.90, plateaued) against "low" (about 0.70) whose runs have ``lower_curve``."""
    high = [Run(s, 0.90 + i / 1000, converged_curve(0.9), converged_curve(0.9), examples=1000, classes=10)
            for i, s in enumerate(SEEDS)]
    low = [Run(s, 0.70 + i / 500, lower_curve, lower_curve, examples=1000, classes=10) for i, s in enumerate(SEEDS)]
    return judged_arms([(("high:gru:none", "high", "gru", "none"), high, 10),
                        (("low:gru:none", "low", "gru", "none"), low, 10)], True, 5)


def test_a_run_of_unknown_state_is_neither_improving_nor_plateaued_for_the_decisions_and_the_worker():
    _, low = arms(NAN)
    assert set(low.states.values()) == {UNKNOWN} and low.unknown == SEEDS
    assert not low.still_improving and low.improving_runs == 0  # no raised cap would continue it
    assert not any(low.plateaued.values())  # nor is it called plateaued
    assert "not known" in low.state() and "improving" not in low.state()
    spec = SweepSpec(dataset="digits", epochs=10)
    unknown = RunResult.from_json(run_result(NAN, 0.7, classes=10))
    improving = RunResult.from_json(run_result([0.1 * i for i in range(1, 11)], 0.9, classes=10))
    assert still_improving(unknown, spec) is False  # the worker stores it as not improving: never continued
    assert still_improving(improving, spec) is True
    assert arms([0.1 * i for i in range(1, 11)])[1].still_improving  # ... as the decisions read the same curve


def test_a_gap_whose_trailing_arm_ended_unknown_is_open_with_nothing_to_race():
    (known,) = decide(arms(converged_curve(0.7)), 0.05)
    assert known.kind == "worse" or known.kind == "better"  # the control: a plateaued trailer decides it
    (verdict,) = decide(arms(NAN), 0.05)
    assert verdict.kind == "open" and "not known" in verdict.why
    assert verdict.needs_epochs is None and verdict.needs_seeds is None and not verdict.improving
    judged = arms(NAN)
    taken, grown = look(judged, {a.key: Allowance(5, 10) for a in judged}, Plan(10, 10, 40))
    assert taken.steps == {} and grown == {a.key: Allowance(5, 10) for a in judged}  # no epochs for what cannot go on
    assert list(taken.open.values()) == ["not raced: nothing at these caps would decide it"]
