"""Findings a reviewer can trust (issue 11): each observed problem, rebuilt from stored-sweep data with the numbers
it was observed with, and what the findings must say and refuse to say. The report (a SweepReport) is built exactly as
``lossbench report`` builds it, from ``SweepData`` shaped like a real stored sweep (``tests/sweeps.py``)."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from scipy import stats as scipy_stats
from sweeps import SEEDS, arm, converged_curve, report_of, run_result, sweep, text

from lossbench.report import compact, tables, thresholds
from lossbench.report.export import results_json
from lossbench.report.html import render_html
from lossbench.report.markdown import render_markdown
from lossbench.report.terminal import render_terminal


def terminal(report_model) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=250)
    render_terminal(report_model, console)
    return console.file.getvalue()


# -- convergence: the quickstart named a winner from curves still climbing ------------------------------------------


def climbing_quickstart():
    """focal:gru:none at 4 epochs, validation accuracy 0.15, 0.36, 0.62, 0.83 (still climbing), against ce."""
    focal = {s: run_result([0.15 + d, 0.36 + d, 0.62 + d, 0.83 + d], 0.83 + d, seed=s)
             for s, d in zip(SEEDS, (0.0, 0.012, -0.01))}
    ce = {s: run_result([0.10 + d, 0.21 + d, 0.33 + d, 0.43 + d], 0.43 + d, seed=s)
          for s, d in zip(SEEDS, (0.0, 0.02, -0.015))}
    return sweep([arm("ce:gru:none", ce), arm("focal:gru:none", focal)])


def test_arms_still_improving_are_not_ranked_and_the_findings_say_by_how_much():
    report = report_of(climbing_quickstart())
    focal = report.arm("focal:gru:none")
    assert focal.improving and focal.convergence.gain == pytest.approx(0.68)  # its best rose 0.15 -> 0.83
    assert focal.convergence.window == 5 and focal.convergence.epochs == 4
    words = text(report)
    assert "The best arm" not in words and "highest mean test accuracy is" not in words  # no winner named
    refusal = next(s for s in report.findings if s.startswith("No full ranking is concluded"))
    assert "at 4 epochs, 2 of 2 arms were still improving" in refusal
    assert "focal:gru:none +0.6800" in refusal and "ce:gru:none +0.3300" in refusal
    assert "Train for more epochs" in refusal and "decided all the same" not in refusal  # ce could still catch up
    assert "levels' order at this budget only" in words  # the main effect of the loss is not a conclusion either
    comparison = next(c for c in report.comparisons if c.arm == "focal:gru:none")
    assert set(comparison.improving) == {"ce:gru:none", "focal:gru:none"}
    # a paired t-test would call +0.399 significant at 3 seeds, but ce was still climbing fast enough to close it
    assert comparison.kind == "open" and comparison.needs_epochs is not None
    assert "Open: 1, the largest difference ce:gru:none against focal:gru:none -0.399 (train longer first" in words


def test_a_leader_still_improving_against_a_plateaued_arm_is_decided_and_the_findings_say_so():
    plateaued = {s: run_result(converged_curve(0.40, epochs=12, seed_offset=d), 0.40 + d, seed=s)
                 for s, d in zip(SEEDS, (0.0, 0.01, -0.012))}
    climbing = {s: run_result([0.2 + 0.06 * e + d for e in range(12)], 0.86 + d, seed=s)
                for s, d in zip(SEEDS, (0.0, 0.004, -0.003))}
    report = report_of(sweep([arm("ce:rnn:none", plateaued), arm("ce:gru:none", climbing)]))
    decision = next(d for d in report.decisions if {d.arm, d.other} == {"ce:rnn:none", "ce:gru:none"})
    assert decision.decided and decision.kind == ("worse" if decision.arm == "ce:rnn:none" else "better")
    assert "had plateaued on every seed" in decision.why
    refusal = next(s for s in report.findings if s.startswith("No full ranking is concluded"))
    assert "decided all the same" in refusal and "ce:gru:none" in refusal
    stored = json.loads(results_json(report))["decisions"]
    assert [d["kind"] for d in stored] == [decision.kind] and stored[0]["interval"][0] * stored[0]["interval"][1] > 0


def test_an_arm_still_improving_is_marked_in_every_output():
    report = report_of(climbing_quickstart())
    headers, rows = tables.leaderboard(report)
    column = headers.index("converged (gain: best validation accuracy over the last epochs)")  # labelled, with unit
    assert all(row[column].startswith("NO: still improving on 3/3 seeds, gain +0.") for row in rows)
    assert "Still improving" in render_markdown(report, []) and "NO: still improving" in render_markdown(report, [])
    assert "Still improving" in render_html(report, []) and "NO: still improving" in render_html(report, [])
    printed = terminal(report)
    assert "NO +0.680" in printed and "still improving at the last epoch" in printed
    row = next(r for r in json.loads(results_json(report))["leaderboard"] if r["arm"] == "focal:gru:none")
    assert row["convergence"]["converged"] is False and row["convergence"]["gain"] == pytest.approx(0.68)
    assert row["convergence"]["plateaued"] == 0


def test_converged_arms_are_ranked_and_a_mix_ranks_only_the_settled_ones():
    settled = {s: run_result(converged_curve(0.96, seed_offset=d), 0.96 + d, seed=s)
               for s, d in zip(SEEDS, (0.0, 0.004, -0.004))}
    other = {s: run_result(converged_curve(0.95, seed_offset=d), 0.95 + d, seed=s)
             for s, d in zip(SEEDS, (0.002, -0.003, 0.0))}
    report = report_of(sweep([arm("ce:gru:none", other), arm("focal:gru:none", settled)]))
    assert not any(a.improving for a in report.arms)
    assert report.findings[0].startswith("The highest mean test accuracy is focal:gru:none's, 0.9600")
    assert "No full ranking is concluded" not in text(report)
    climbing = {s: run_result([0.2, 0.4, 0.6, 0.7, 0.8, 0.85, 0.88, 0.9 + d, 0.93 + d, 0.97 + d], 0.97 + d, seed=s)
                for s, d in zip(SEEDS, (0.0, 0.005, -0.005))}
    mixed = report_of(sweep([arm("ce:gru:none", other), arm("focal:gru:none", settled), arm("bce:gru:none", climbing)]))
    words = text(mixed)
    assert "1 of 3 arms were still improving" in words and "bce:gru:none +0.1700" in words
    assert "Among the 2 arms no longer improving, the highest mean test accuracy is focal:gru:none's" in words


def judged(curves, objective=None, cap=None):
    """The convergence the report reads of runs with these objective curves (``cap``: each run's own), judged as
    the decisions judge them."""
    from lossbench.decisions import Run, arm_from_runs
    from lossbench.report.improvement import convergence_of
    from lossbench.results.objective import ACCURACY

    objective = objective or ACCURACY
    runs = [Run(s, 0.5, c, c if objective is ACCURACY else [], cap=cap) for s, c in enumerate(curves)]
    arm = arm_from_runs("a", "ce", "gru", "none", runs, objective.maximize, None, None)
    return convergence_of({r.seed: r.curve for r in runs}, arm.states, objective)


def test_the_convergence_rule_by_hand():
    from lossbench.results.objective import NLL

    flat = [0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]  # best at epoch 5, then 5 epochs without gain
    assert judged([flat, flat]).converged
    assert judged([flat[:9]]).improving  # 4 epochs after the best: not yet a plateau
    late = [0.1] * 9 + [0.2]  # at chance, then a gain at the last epoch
    verdict = judged([flat, late])
    assert verdict.improving and verdict.plateaued == 1 and verdict.gain == pytest.approx((0.0 + 0.1) / 2)
    short = [0.1, 0.1, 0.1, 0.1]  # stopped on patience... only after the warm-up of 10 epochs
    assert judged([short]).improving and judged([short], cap=20).converged
    assert judged([[2.0, 1.5, 1.4]], NLL).improving  # NLL falling is an improvement
    assert judged([[0.5]]).converged is None and judged([]) is None


def test_a_run_stopped_at_its_own_cap_still_rising_is_still_improving_though_the_spec_s_epochs_were_raised():
    """Runs of 10 epochs (their cap), still rising, in a sweep whose epochs were then raised to 40: the decisions
    read each run at its own cap, still improving; so do the leaderboard and a claim (not "stopped early")."""
    from lossbench.decisions import sweep_arms
    from lossbench.report.claim_levels import UNDECIDED
    from lossbench.report.frames import leaderboard

    rising = {s: run_result([0.3 + 0.05 * i + d for i in range(10)], 0.75 + d, seed=s)
              for s, d in zip(SEEDS, (0.0, 0.01, -0.01))}
    check = {"kind": "reaches", "arm": "ce:gru:none", "value": 0.89}
    data = sweep([arm("ce:gru:none", rising)], epochs=40, claims=[
        {"id": "c", "claim": "a claim", "source": "a paper", "published": "a figure", "checks": [check]}])
    (decided,), _ = sweep_arms(data)
    assert decided.still_improving and decided.epochs_cap == 10
    report = report_of(data)
    assert leaderboard(report).loc[0, "still_improving"] == True  # noqa: E712 (a numpy bool)
    (claimed,) = report.claims
    assert claimed.checks[0].verdict == UNDECIDED and "still improving" in claimed.checks[0].evidence


# -- calibration: label smoothing called "the best arm" with an ECE six times ce's -----------------------------------


def calibration_sweep():
    """ce, label smoothing (eps 0.1) and focal (gamma 2) on a GRU: ECE 0.014 / 0.093 / 0.120."""
    numbers = {"ce": ((0.960, 0.962, 0.958), (0.013, 0.014, 0.015), 0.955),
               "label_smoothing": ((0.975, 0.954, 0.966), (0.090, 0.093, 0.096), 0.872),
               "focal": ((0.957, 0.953, 0.955), (0.118, 0.120, 0.122), 0.835)}
    arms = []
    for loss, (accuracies, eces, confidence) in numbers.items():
        finals = {s: run_result(converged_curve(a), a, ece=e, confidence=confidence, seed=s)
                  for s, a, e in zip(SEEDS, accuracies, eces)}
        arms.append(arm(f"{loss}:gru:none", finals))
    return sweep(arms)


def test_calibration_is_stated_with_its_direction_and_the_trade_off_against_the_baseline():
    report = report_of(calibration_sweep(), test="t")
    words = text(report)
    best = report.findings[0]
    assert best.startswith("The highest mean test accuracy is label_smoothing:gru:none's")
    assert "does not show it better than its baseline" in best and "The best arm" not in words
    calibration = next(s for s in report.findings if s.startswith("Calibration"))
    assert "well calibrated (ECE below 0.02): ce:gru:none 0.014" in calibration
    assert "label_smoothing:gru:none 0.093 (under-confident)" in calibration
    assert "focal:gru:none 0.120 (under-confident)" in calibration
    # the numbers behind the direction are in the calibration table
    _, _, rows = compact.calibration(report)
    assert any(r[0] == "label_smoothing:gru:none" and r[3] == "0.872" and r[4] == "-0.093" for r in rows)
    # the trade-offs against the baseline: one sentence with a list, not a paragraph per arm
    [trades] = [s for s in report.findings if s.startswith("Against their baselines, calibration moves")]
    assert "label_smoothing:gru:none worse than ce:gru:none, ECE 0.093 against 0.014 on every seed, under-confident" in trades
    assert "its test accuracy differs by +0.0050, not decidedly" in trades
    assert "focal:gru:none worse than ce:gru:none, ECE 0.120 against 0.014 on every seed, under-confident, while its " \
           "test accuracy ties with it (within ±0.02, decided)" in trades
    assert "a loss of calibration for no measurable gain in accuracy" in trades
    assert "focal:gru:none worse than ce:gru:none, ECE 0.120 against 0.014" in trades
    row = next(r for r in json.loads(results_json(report))["leaderboard"] if r["arm"] == "label_smoothing:gru:none")
    assert row["test_confidence_mean"] == pytest.approx(0.872) and row["overconfidence"] == pytest.approx(0.872 - 0.965)
    assert row["test_ece_by_seed"] == {"1000": 0.090, "1001": 0.093, "1002": 0.096}


def test_over_confidence_and_runs_that_stored_no_confidence():
    finals = {s: run_result(converged_curve(0.9), 0.9, ece=0.08, confidence=0.98, seed=s) for s in SEEDS}
    old = {s: run_result(converged_curve(0.9), 0.9, ece=0.08, seed=s) for s in SEEDS}  # stored before confidence
    words = text(report_of(sweep([arm("ce:gru:none", finals), arm("ce:gru:clip_norm", old)])))
    assert "ce:gru:none 0.080 (over-confident)" in words
    assert "ce:gru:clip_norm 0.080 (direction not measured" in words


# -- learning rate, seeds, the winner's curse; a sweep of cells gets tests ------------------------------------------


def cells_sweep(seeds=SEEDS):
    """One loss, three cells, lr choices 1e-3 / 3e-3 / 1e-2: the tanh RNN trains only at 1e-3; the LSTM picked
    1e-2 from a lucky 0.94 and its final seeds scored 0.10, 0.32, 0.93."""
    rnn = {s: run_result(converged_curve(0.60 + d), 0.60 + d, seed=s) for s, d in zip(seeds, (0.0, 0.01, -0.01))}
    gru = {s: run_result(converged_curve(0.96 + d), 0.96 + d, seed=s) for s, d in zip(seeds, (0.0, 0.004, -0.002))}
    lstm = {s: run_result(converged_curve(a), a, seed=s) for s, a in zip(seeds, (0.10, 0.32, 0.93))}
    choices = (1e-3, 3e-3, 1e-2)
    return sweep([arm("ce:rnn:none", rnn, list(zip(choices, (0.62, 0.11, 0.10)))),
                  arm("ce:gru:none", gru, list(zip(choices, (0.93, 0.96, 0.96)))),
                  arm("ce:lstm:none", lstm, list(zip(choices, (0.80, 0.85, 0.94))))])


def test_learning_rate_sensitivity_instability_and_the_tuning_gap_are_stated():
    report = report_of(cells_sweep())
    words = text(report)
    assert "ce:rnn:none trained only at lr 1.00e-03 at this budget of 10 epochs (0.6200), not at 3.00e-03 (0.1100), " \
           "1.00e-02 (0.1000)" in words
    assert "ce:gru:none trained only" not in words  # 3e-3 and 1e-2 both within 0.05 of its best
    assert "The final seeds disagree (test accuracies spanning more than 0.1) for ce:lstm:none (0.10, 0.32, 0.93: a " \
           "range of 0.83, mean 0.45)" in words
    assert "such a mean describes no single run" in words
    gap = next(s for s in report.findings if s.startswith("Tuning scores overstated the final seeds"))
    assert "ce:lstm:none by 0.4900 (tuning 0.9400 at lr 1.00e-02, 3 final seeds 0.4500" in gap
    assert "ce:gru:none by" not in gap  # 0.96 tuning, 0.961 final
    row = next(r for r in json.loads(results_json(report))["leaderboard"] if r["arm"] == "ce:rnn:none")
    assert row["robustness"]["lr_range"]["only_one"] is True and row["robustness"]["lr_range"]["good"] == [1e-3]
    lstm = next(r for r in json.loads(results_json(report))["leaderboard"] if r["arm"] == "ce:lstm:none")
    assert lstm["robustness"]["unstable"] is True and lstm["robustness"]["tuning_gap"]["flagged"] is True


def test_a_sweep_of_cells_gets_paired_tests_between_cells():
    report = report_of(cells_sweep(), test="t")
    cells = [c.levels for c in report.comparisons if c.factor == "cell"]
    assert cells == [("gru", "rnn"), ("lstm", "rnn"), ("lstm", "gru")]  # each level pair's one matched pair
    assert all(c.factor == "cell" for c in report.comparisons)  # one loss, one remedy set: no baseline tests
    tested = [c for c in report.decisions if c.p is not None]
    assert [c.p for c in tested] == pytest.approx(_holm([c.p_raw for c in tested]))  # Holm once, over the family
    gru = next(c for c in report.comparisons if c.levels[0] == "gru")
    assert gru.p_raw == pytest.approx(scipy_stats.ttest_rel([0.96, 0.964, 0.958], [0.60, 0.61, 0.59]).pvalue)
    assert {frozenset((v.arm, v.other)): v for v in report.decisions}[frozenset((gru.arm, gru.other))].p == gru.p
    words = text(report)
    assert "No significance test was made" not in words
    assert "3 tested, 1 decided" in words


def test_when_no_test_can_be_made_the_findings_say_why():
    one_seed = text(report_of(cells_sweep(seeds=(1000,))))
    assert "No significance test was made: no pair has 2 or more seeds with results on both sides" in one_seed
    lone = {s: run_result(converged_curve(0.9), 0.9, seed=s) for s in SEEDS}
    assert "No significance test was made: fewer than 2 arms" in text(report_of(sweep([arm("ce:gru:none", lone)])))


def _holm(pvalues):
    from lossbench.stats import holm

    return holm(pvalues)


# -- main effects: "matters most" within noise, "gru over gru" ------------------------------------------------------


def factorial_sweep(effects: dict[str, float], noise=(0.02, -0.02, 0.0)):
    """2 x 2 x 2 arms whose means differ by exactly ``effects`` (loss focal, cell lstm, remedy clip_norm) and whose
    seeds scatter by ``noise`` in a different order per arm (so every arm's mean is exact)."""
    arms, index = [], 0
    for loss in ("ce", "focal"):
        for cell in ("gru", "lstm"):
            for remedies in ("none", "clip_norm"):
                mean = 0.9 + effects["loss"] * (loss == "focal") + effects["cell"] * (cell == "lstm") \
                    + effects["remedy"] * (remedies == "clip_norm")
                order = np.roll(noise, index)
                index += 1
                finals = {s: run_result(converged_curve(mean + d), mean + d, seed=s) for s, d in zip(SEEDS, order)}
                arms.append(arm(f"{loss}:{cell}:{remedies}", finals))
    return sweep(arms)


def test_no_factor_matters_most_within_the_noise_and_ties_name_no_winner():
    report = report_of(factorial_sweep({"loss": 0.010, "cell": 0.001, "remedy": 0.0}), test="t")
    sentence = next(s for s in report.findings if s.startswith("Averaged over the matched arms"))
    assert "matters most" not in sentence and "do not differ significantly" in sentence
    assert "0.0100 for the loss (best focal at 0.9105, worst ce at 0.9005)" in sentence
    assert "0.0000 for the remedy (none and clip_norm all at 0.9055)" in sentence
    remedy = next(e for e in report.factorial.effects if e.factor == "remedy")
    assert remedy.best is None and remedy.worst is None
    tied = report_of(factorial_sweep({"loss": 0.010, "cell": 0.0, "remedy": 0.0}), test="t")
    for words in (text(tied), render_markdown(tied, [])):
        assert "gru over gru" not in words and "best gru" not in words and "worst gru" not in words
    assert "gru and lstm all at" in text(tied)


def test_a_factor_is_called_most_important_only_when_its_spread_is_significantly_larger():
    report = report_of(factorial_sweep({"loss": 0.01, "cell": 0.5, "remedy": 0.0}, noise=(0.001, -0.001, 0.0)), test="t")
    sentence = next(s for s in report.findings if s.startswith("Averaged over the matched arms"))
    assert ": the cell matters most here (the cell's spread exceeds the loss's by +0.4900 per seed" in sentence
    assert report.factorial.contrast.p < 0.05
    document = json.loads(results_json(report))
    assert document["factorial"]["contrast"]["mean_difference"] == pytest.approx(0.49)
    # a factor's levels over 4 matched pairs of arms: one unit per seed (the mean over the pairs), 3 units, never 12
    cell = next(c for c in report.comparisons if c.factor == "cell")
    assert len(cell.pairs) == 4 and cell.seeds == 3 and cell.difference == pytest.approx(0.5)


# -- gradient flow: per remedy, never a median over arms that differ in it; padding never counted -------------------


def flow_sweep(**run):
    arms = []
    for loss, scale in (("ce", 1.0), ("focal", 2.0)):
        for remedies, ratio in (("none", 1e-22), ("orthogonal_init", 1e-3)):
            finals = {s: run_result(converged_curve(0.5), 0.5, ratio_init=ratio * scale, seed=s, **run)
                      for s in SEEDS}
            arms.append(arm(f"{loss}:rnn:{remedies}", finals))
    return sweep(arms)


def report_findings(words: str) -> list[str]:
    return words.split("\n")


def test_gradient_flow_is_stated_per_remedy_set():
    words = text(report_of(flow_sweep()))
    [flow] = [s for s in report_findings(words) if s.startswith("The gradient reaching the first of 40 time steps")]
    assert ("on rnn, at initialisation 1.00e-22 to 2.00e-22 with no remedy, orthogonal_init raises it to 1.00e-03 to "
            "2.00e-03") in flow and "(a range: over the losses)" in flow  # one sentence for every cell and moment
    assert "median over arms" not in words
    assert "and after training" in flow and "orthogonal_init leaves it" in flow


def test_unequal_lengths_are_stated_and_unaligned_profiles_are_not_read():
    aligned = text(report_of(flow_sweep(equal_length=False)))
    assert "aligns each sequence at its own last valid step" in aligned and "raises it to" in aligned
    unaligned = report_of(flow_sweep(equal_length=False, alignment=None))
    words = text(unaligned)
    assert "recorded no alignment" in words and "raises it to" not in words and "of the last step's" not in words
    assert "may count padded steps" in tables.flow_note(unaligned)


# -- power and equivalence: what a comparison that is not significant rules out --------------------------------------


def pair_sweep(differences, base=(0.90, 0.91, 0.92, 0.89, 0.90, 0.91)):
    seeds = tuple(range(1000, 1000 + len(base)))
    ce = {s: run_result(converged_curve(b), b, seed=s) for s, b in zip(seeds, base)}
    focal = {s: run_result(converged_curve(b + d), b + d, seed=s) for s, b, d in zip(seeds, base, differences)}
    return sweep([arm("ce:gru:none", ce), arm("focal:gru:none", focal)])


def test_a_comparison_that_is_not_significant_says_what_it_rules_out_and_the_seeds_it_needs():
    from statsmodels.stats.power import TTestPower

    d = np.array([0.04, -0.03, 0.06, 0.01, -0.02, 0.0])  # too spread for a tie within 0.02, or a difference
    report = report_of(pair_sweep(d), test="t")
    (comparison,) = report.comparisons
    assert not comparison.decided and comparison.kind == "open"
    low, high = scipy_stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=scipy_stats.sem(d))
    assert comparison.interval == pytest.approx((low, high)) and comparison.level == 0.95  # one pair: Holm's level
    needed = math.ceil(TTestPower().solve_power(effect_size=abs(d.mean()) / d.std(ddof=1), alpha=0.05, power=0.8))
    assert comparison.needs_seeds <= needed  # the nearer of a difference (this many) and a tie within the margin
    sentence = next(s for s in report.findings if s.startswith("Pairs judged"))
    assert f"Open: 1, the largest difference ce:gru:none against focal:gru:none {-d.mean():+.3f} (about " \
           f"{comparison.needs_seeds} seeds to decide)" in sentence
    row = next(r for r in tables.comparisons(report)[1] if r[0] == "focal:gru:none")  # the detail is in the table
    assert f"rules out a difference larger than {max(-low, high):.4f} in either direction" in row[-1]
    assert row[-2] == str(comparison.needs_seeds)
    assert any("power 0.8" in rule for _, rule in thresholds.rules(report.objective))
    exported = json.loads(results_json(report))["comparisons"][0]
    assert exported["interval"] == pytest.approx([low, high]) and exported["seeds_needed"] == comparison.needs_seeds


def test_an_interval_wider_than_accuracy_can_differ_rules_out_nothing():
    """Three seeds that disagree (focal's 0.29, 0.30, 0.83 against ce's 0.95) give a t interval past -1: a
    difference of accuracies that large cannot exist, so "rules out a difference larger than 1.25" said nothing."""
    report = report_of(pair_sweep(np.array([-0.66, -0.65, -0.11]), base=(0.95, 0.95, 0.94)))
    (comparison,) = report.comparisons
    assert not comparison.decided and comparison.interval[0] == -1 and comparison.clipped  # cut at the bound, and said
    assert "cut at -1 or +1" in comparison.why
    row = next(r for r in tables.comparisons(report)[1] if r[0] == "focal:gru:none")
    assert "rules out nothing at this many seeds" in row[-1] and "rules out a difference" not in row[-1]


def test_a_significant_comparison_reads_as_such_with_its_interval():
    report = report_of(pair_sweep([0.05, 0.06, 0.055, 0.052, 0.058, 0.061]), test="wilcoxon")
    (comparison,) = report.comparisons
    assert comparison.kind == "better" and comparison.p == pytest.approx(0.03125)  # Wilcoxon's exact p, 6 pairs
    sentence = next(s for s in report.findings if s.startswith("Pairs judged"))
    assert "Decided apart: focal:gru:none against ce:gru:none +0.056 ([+" in sentence and "Open" not in sentence
    row = next(r for r in tables.comparisons(report)[1] if r[0] == "focal:gru:none")
    assert row[-2] == "decided" and "rules out" not in row[-1]


# -- the sequential final phase (seeds = "auto") slots in --------------------------------------------------------


def test_a_sequential_final_phase_is_stated():
    data = pair_sweep([0.01, 0.0, 0.02, 0.01, 0.0, 0.01])
    data.spec["seeds"], data.spec["race"] = 10, True
    report = report_of(data)  # the race has not ended: its arms are not finished
    assert not any(a.finished for a in report.arms)
    head = render_markdown(report, [])  # how the seeds were chosen: the report's head note, not a finding
    assert "seeds = \"auto\"" in head and "does not record the method" in head
    assert "The race has not ended yet." in head
    data.race = {"seeds": 6, "looks": [{"seeds": 6, "decided": {"x vs y": "equivalent"}, "open": []}],
                 "method": "rounds of 3 and 6 seeds, stopped by a Holm-corrected bound"}
    report = report_of(data)
    assert report.seeds == 6 and all(a.finished for a in report.arms)
    head = render_markdown(report, [])
    assert "rounds of 3 and 6 seeds, stopped by a Holm-corrected bound." in head
    assert "It stopped at 6 seeds: every comparison was decided." in head


# -- a preset's published claims slot in: "claim vs this run" --------------------------------------------------


def test_a_presets_published_claims_are_checked_against_this_run():
    gru = {s: run_result(converged_curve(a), a, seed=s) for s, a in zip(SEEDS, (0.95, 0.96, 0.955))}
    rnn = {s: run_result(converged_curve(a), a, ratio_init=1e-22, seed=s) for s, a in zip(SEEDS, (0.60, 0.62, 0.58))}
    lstm = {s: run_result([0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.88, 0.9 + d, 0.93 + d, 0.95 + d], 0.95 + d, seed=s)
            for s, d in zip(SEEDS, (0.0, 0.004, -0.004))}
    data = sweep([arm("ce:gru:none", gru), arm("ce:rnn:none", rnn), arm("ce:lstm:none", lstm)])

    def claim(id: str, *checks: dict) -> dict:
        return {"id": id, "claim": id, "source": "a paper", "published": "91%", "checks": list(checks)}

    data.spec["claims"] = [
        claim("a GRU reaches about 91% on MNIST-1D", {"kind": "reaches", "arm": "ce:gru:none", "value": 0.91}),
        claim("a tanh RNN reaches 91% too", {"kind": "reaches", "arm": "ce:rnn:none", "value": 0.91}),
        claim("gru beats rnn", {"kind": "better", "arm": "ce:gru:none", "than": "ce:rnn:none"}),
        claim("lstm matches gru", {"kind": "matches", "arm": "ce:lstm:none", "than": "ce:gru:none", "margin": 0.02})]
    report = report_of(data)
    assert [c.verdict for c in report.claims] == ["supported", "contradicted", "supported",
                                                  "not supported at this budget"]
    assert "still improving" in report.claims[3].evidence  # an unconverged arm decides nothing
    assert "95% interval" in report.claims[0].evidence
    assert report.answer[0] == ("The preset's 4 claims, checked on this run: 2 supported, 1 contradicted, 1 not "
                                "supported at this budget.")
    assert "Published claims against this run" in render_markdown(report, [])
    assert "a tanh RNN reaches 91% too" in terminal(report)
    exported = json.loads(results_json(report))["claims"]
    assert exported[1]["verdict"] == "contradicted" and exported[0]["published"] == "91%"
    assert report_of(sweep([arm("ce:gru:none", gru)])).claims == []  # no claims, no table


# -- review fixes: the stored baseline, failed arms, timeouts --------------------------------------------------


def test_the_report_compares_with_the_baseline_stored_with_the_sweep():
    data = pair_sweep([0.01, 0.0, 0.02, 0.01, 0.0, 0.01])
    assert report_of(data).baseline == "ce with no remedy, same cell"
    data.spec["baseline"] = "focal"  # run --baseline focal: the race and the report compare with the same arm
    report = report_of(data)
    assert report.baseline == "focal with no remedy, same cell"
    assert [(c.arm, c.other) for c in report.comparisons if c.scope == "arms"] == [("ce:gru:none", "focal:gru:none")]


def test_an_arm_whose_trials_all_failed_is_finished_and_its_timeouts_count_as_failed():
    from lossbench.results import TrialRecord

    data = pair_sweep([0.01, 0.0, 0.02, 0.01, 0.0, 0.01])
    broken = arm("evil:gru:none", {})
    broken.tuning = [TrialRecord(n, "FAIL", status, None, {"lr": 0.01}, n, None, {"status": status, "error": "boom"})
                     for n, status in enumerate(["failed", "timeout", "failed", "failed"])]
    data.arms.append(broken)
    data.spec["losses"] = [*data.spec["losses"], "evil"]
    report = report_of(data)
    evil = report.arm("evil:gru:none")
    assert evil.finished and evil.failed == 4 and not report.partial  # nothing more will ever run for it
