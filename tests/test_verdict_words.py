"""One rule for every verdict (issue 27), what its verdicts say: chance and collapse, speed and the learning rate,
the words, the presets' departures from their papers, defaults that can decide. On stored sweeps made by hand."""

from __future__ import annotations

import json

import pytest
from sweeps import SEEDS, arm, converged_curve, report_of, run_result, sweep
from test_verdicts import by_pair, plateaued

from lossbench.decisions import sweep_arms
from lossbench.report import tables
from lossbench.report.export import results_json
from lossbench.sweep.racing import Allowance, Plan, look


# -- chance and collapse ----------------------------------------------------------------------------------------------


def at_chance(key: str, accuracies, epochs: int = 12) -> object:
    """An arm sitting at chance (10 classes) for every epoch: stopped on patience, but not a plateau."""
    return arm(key, {s: run_result([0.10 + 0.002 * (e % 2) for e in range(epochs)], a, seed=s, classes=10,
                                   examples=1000) for s, a in zip(SEEDS, accuracies)})


def trained(key: str, accuracies) -> object:
    return arm(key, {s: run_result(converged_curve(a), a, seed=s, classes=10, examples=1000)
                     for s, a in zip(SEEDS, accuracies)})


def test_the_convergence_rule_tells_a_slow_start_a_plateau_and_a_collapse_apart():
    from lossbench.convergence import COLLAPSED, IMPROVING, NOT_TRAINING, PLATEAUED, run_state

    flat = [0.10, 0.11, 0.10, 0.10, 0.11, 0.10, 0.10, 0.11, 0.10, 0.10, 0.11, 0.10]
    assert run_state(flat, flat, True, chance=0.1) == NOT_TRAINING  # the patience rule alone calls this a plateau
    assert run_state(flat, flat, True) == PLATEAUED  # (without a chance level nothing can tell)
    assert run_state(converged_curve(0.9), converged_curve(0.9), True, chance=0.1) == PLATEAUED
    rising = [0.1 + 0.05 * e for e in range(12)]
    assert run_state(rising, rising, True, cap=12, chance=0.1) == IMPROVING
    fell = [0.5, 0.8, 0.935, 0.93, 0.6, 0.31, 0.18]
    assert run_state(fell, fell, True, chance=0.1) == COLLAPSED


def test_two_arms_at_chance_are_not_training_and_get_no_seeds_or_minutes():
    data = sweep([at_chance("ce:rnn:none", (0.098, 0.101, 0.103)), at_chance("focal:rnn:none", (0.100, 0.099, 0.104)),
                  trained("ce:gru:none", (0.95, 0.96, 0.955))])
    report = report_of(data)
    pair = by_pair(report.decisions)[frozenset(("ce:rnn:none", "focal:rnn:none"))]
    assert pair.kind == "not training" and pair.needs_seeds is None and pair.minutes is None and pair.p is None
    assert "not training at this budget of 12 epochs" in pair.why
    arms, _ = sweep_arms(data)
    allowed = {a.key: Allowance(len(SEEDS), 12) for a in arms}
    taken, grown = look(arms, allowed, Plan(10, 12, 200))
    assert not any("ce:rnn:none" in name and "focal:rnn:none" in name for name in taken.steps)
    assert taken.open["ce:rnn:none vs focal:rnn:none"] == "not raced: both arms at chance"
    assert grown["ce:rnn:none"] == grown["focal:rnn:none"] == Allowance(len(SEEDS), 12)
    row = next(r for r in tables.leaderboard(report)[1] if r[1] == "ce:rnn:none")
    assert "not training at this budget (at chance) on 3/3 seeds" in " ".join(row) and "plateaued" not in " ".join(row)
    assert not any("seeds" in s and "ce:rnn:none against focal:rnn:none" in s for s in report.answer)
    # against a trained arm the gap is decided, at this budget, and says why the trailing arm stopped
    gap = by_pair(report.decisions)[frozenset(("ce:rnn:none", "ce:gru:none"))]
    assert gap.separated and "ce:rnn:none was not training at this budget of 12 epochs" in gap.why
    assert "had plateaued" not in gap.why


def test_a_collapse_is_named_in_the_leaderboard_and_the_findings_and_the_tuning_seed_is_not_blamed_for_it():
    fell = [0.5, 0.8, 0.935, 0.93, 0.92, 0.6, 0.31, 0.18]  # lr 0.05: from 0.935 to 0.18 over its last epochs
    finals = {1000: run_result(converged_curve(0.93), 0.93, seed=1000, lr=0.05),
              1001: run_result(fell, 0.93, seed=1001, lr=0.05),
              1002: run_result(converged_curve(0.935), 0.935, seed=1002, lr=0.05)}
    data = sweep([arm("ce:gru:none", finals, tuning=[(0.05, 0.94), (0.01, 0.90)]),
                  trained("focal:gru:none", (0.93, 0.94, 0.935))])
    report = report_of(data)
    gru = report.arm("ce:gru:none")
    assert [c.seed for c in gru.collapses] == [1001] and gru.convergence.collapsed == 1
    row = next(r for r in tables.leaderboard(report)[1] if r[1] == "ce:gru:none")
    assert any("collapsed (its last epochs far below its best) on 1/3 seeds" in cell for cell in row)
    words = "\n".join(report.findings)
    assert "Instability: final runs collapsed" in words and "ce:gru:none on seed 1001 (from 0.935 at epoch 3 to 0.180" in words
    assert "No run diverged (to a non-finite loss), but 1 final run collapsed" in words
    assert gru.tuning_gap is not None and not gru.tuning_gap.flagged  # the collapse is left out: no lucky seed
    assert "ce:gru:none by" not in next((s for s in report.findings if s.startswith("Tuning scores")), "")


# -- speed and learning rate ------------------------------------------------------------------------------------------


def test_speed_is_compared_only_at_one_learning_rate_and_a_rate_that_trains_is_said_at_its_budget():
    import math

    def curve(tau: float) -> list[float]:
        return [0.95 * (1 - math.exp(-e / tau)) for e in range(1, 41)] + [0.95] * 6

    def tied(key: str, tau: float, lr: float) -> object:
        return arm(key, {s: run_result(curve(tau * (1 + 0.05 * i)), 0.95 + 0.001 * i, seed=s, lr=lr)
                         for i, s in enumerate(SEEDS)}, tuning=[(lr, 0.95), (lr * 10, 0.10)])

    same = report_of(sweep([tied("ce:gru:none", 2.0, 0.01), tied("label_smoothing:gru:none", 8.0, 0.01)]))
    assert [d.kind for d in same.speed] == ["better"]  # ce is faster, at one learning rate: a speed verdict
    other = report_of(sweep([tied("ce:gru:none", 2.0, 4.2e-2), tied("label_smoothing:gru:none", 8.0, 7.5e-3)]))
    [d] = other.speed
    assert d.kind == "confounded" and d.p is None and "4.20e-02" in d.why and "7.50e-03" in d.why
    assert not any("fewer epochs" in s for s in other.answer)
    assert tables.decisions(other)[1][-1][3] == "speed confounded (two learning rates)"
    words = "\n".join(other.findings)
    assert "trained only at lr 4.20e-02 at this budget of 46 epochs" in words


# -- words --------------------------------------------------------------------------------------------------------------


def test_arms_not_yet_separated_are_said_so_never_one_tier_of_equals():
    """The issue's "All 3 arms share one tier" put a 0.973 arm with a 0.435 arm: nothing was decided yet."""
    report = report_of(sweep([plateaued("ce:gru:none", (0.973, 0.96, 0.99)), plateaued("ce:rnn:none", (0.435, 0.9, 0.1))]))
    assert not any(v.decided for v in report.decisions)
    assert report.answer[0].startswith("No arm is yet separated from another") and "share" not in report.answer[0]
    from lossbench.report.outline import TIER_NOTE

    assert "not yet separated" in TIER_NOTE and "not a tie" in TIER_NOTE


def test_an_equivalence_claims_verdict_names_its_margin_and_a_difference_decided_within_it():
    """The seed preset: "bce trains it as well as ce" is supported within +-0.02, and ce is decidedly ahead all the
    same: the answer says both, with the margin that makes both true."""
    ce = (0.948, 0.950, 0.946, 0.949, 0.947)
    bce = (0.940, 0.941, 0.939, 0.942, 0.938)
    data = sweep([arm(k, {1000 + i: run_result(converged_curve(a), a, seed=1000 + i) for i, a in enumerate(values)})
                  for k, values in (("bce:rnn:none", bce), ("ce:rnn:none", ce))],
                 claims=[{"id": "seed", "claim": "bce trains it as well as ce", "source": "s", "published": "p",
                          "checks": [{"kind": "matches", "arm": "bce:rnn:none", "than": "ce:rnn:none",
                                      "margin": 0.02}]}])
    report = report_of(data)
    [claim] = report.claims
    assert claim.verdict == "supported" and claim.verdict_words == "supported (within ±0.02)"
    assert "within +-0.02: supported; ce:rnn:none still ahead by 0.008 (decided)" in claim.evidence
    assert report.answer[0] == ("The preset's claim, \u201cbce trains it as well as ce\u201d, is supported by this run "
                                "(within ±0.02; ce:rnn:none still ahead by 0.008 (decided)).")
    assert tables.claims(report)[1][0][-1] == "supported (within ±0.02)"


def test_the_answer_leads_with_the_losses_and_remedies_before_the_cells():
    data = sweep([plateaued("ce:rnn:none", (0.40, 0.41, 0.42)), plateaued("ce:gru:none", (0.95, 0.96, 0.955)),
                  plateaued("focal:gru:none", (0.90, 0.905, 0.91)), plateaued("focal:rnn:none", (0.39, 0.40, 0.41))])
    report = report_of(data)
    decided = next(s for s in report.answer if s.startswith("Decided"))
    assert decided.startswith("Decided: ce:gru:none beats focal:gru:none")  # a loss gap of 0.05 before the cells' 0.5


# -- presets as their papers ------------------------------------------------------------------------------------------


def test_every_presets_departures_from_its_paper_are_stored_with_its_claims():
    from lossbench.sweep import PRESETS, preset_fields

    for name, preset in PRESETS.items():
        for scale in ("default", "paper") if preset.paper else ("default",):
            for claim in preset_fields(name, scale)["claims"]:
                assert claim["departures"], (name, scale)
    [greydanus] = preset_fields("greydanus2020", "paper")["claims"]
    # --budget paper builds the paper's model (a bidirectional GRU read out over all steps): what is left is the split
    assert not any("bidirectional" in d for d in greydanus["departures"]) and not greydanus.get("reduced_budget")
    assert any("3,600 of the 4,000" in d for d in greydanus["departures"]), greydanus["departures"]


def test_a_claim_not_reached_by_a_setup_unlike_the_papers_blames_the_setup_not_the_budget():
    """greydanus2020 --budget paper as it was before it built the paper's model: a one-direction GRU(6) read at its
    last step plateaus near 0.70."""
    from lossbench.sweep import preset_fields

    [claim] = preset_fields("greydanus2020", "paper")["claims"]
    claim = {**claim, "departures": ["a one-direction GRU(6) read at its last step, where the paper's is "
                                     "bidirectional with a linear read-out over all 40 steps"]}
    gru = trained("ce:gru:none", (0.69, 0.71, 0.70))
    report = report_of(sweep([gru], claims=[claim]))
    [verdict] = report.claims
    assert verdict.verdict == "not supported with this setup (it differs from the paper's)"
    assert "at this budget" not in verdict.verdict and verdict.departures == claim["departures"]
    assert "bidirectional" in report.answer[0] and "at this budget" not in report.answer[0]
    headers, rows = tables.claims(report)
    assert "bidirectional" in rows[0][headers.index("how this setup departs from the paper's")]
    assert json.loads(results_json(report))["claims"][0]["departures"] == claim["departures"]
    from lossbench.report import compact

    assert "setup departs from the paper's" in compact.claims(report)[2][0][1]
    # at the default budget the same numbers are "not supported at this budget", and the departures are listed
    [default] = preset_fields("greydanus2020")["claims"]
    low = report_of(sweep([trained("ce:gru:none", (0.80, 0.82, 0.81))], claims=[{**default, "checks": default["checks"]}]))
    assert low.claims[0].verdict == "not supported at this budget" and low.claims[0].departures


# -- defaults that can decide -----------------------------------------------------------------------------------------


def test_the_default_epochs_let_a_run_plateau_and_a_cap_below_that_is_warned_about():
    from lossbench.convergence import PATIENCE, WARMUP, cap_caution
    from lossbench.sweep import build_spec

    assert build_spec({"name": "x"}, {}).epochs >= WARMUP * PATIENCE  # a TOML spec without epochs
    assert cap_caution(WARMUP * PATIENCE, PATIENCE) is None and cap_caution(3, None) is None  # fixed epochs: fine
    caution = cap_caution(3, 5)
    assert "an epoch cap of 3 is below the 10 epochs before any run can count as plateaued" in caution
    report = report_of(sweep([plateaued("ce:gru:none", (0.9, 0.91, 0.92))], epochs=3, patience=5))
    assert any(s.startswith("This sweep could not decide a tie: an epoch cap of 3") for s in report.findings)


def test_the_thresholds_print_the_sweeps_own_values():
    report = report_of(sweep([plateaued("ce:gru:none", (0.9, 0.91, 0.92))], patience=3, epochs=40, race=True, seeds=10))
    rules = dict(tables.rules(report)[1])
    assert "once 3 epochs (the spec's patience)" in rules["convergence"] and "not before 6 epochs" in rules["convergence"]
    assert "a cap of 40 epochs" in rules["convergence"] and "at 0.0125 (the race's level)" in rules["tests"]
    fixed = dict(tables.rules(report_of(sweep([plateaued("ce:gru:none", (0.9, 0.91, 0.92))], patience=None, epochs=12)))[1])
    assert "every run trains a cap of 12 epochs (no patience: fixed epochs)" in fixed["convergence"]


@pytest.mark.slow
def test_the_cli_warns_of_a_cap_below_the_plateau_rules_minimum(tmp_path, cli):
    done = cli("run", "--dataset", "digits", "--set", "hidden=8", "--loss", "ce", "--cell", "gru", "--remedies", "none",
               "--trials", "1", "--seeds", "1", "--epochs", "2", "--name", "short", cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "warning: an epoch cap of 2 is below the 10 epochs before any run can count as plateaued" in done.stderr


def test_no_preset_caps_its_epochs_below_the_plateau_rules_minimum():
    from lossbench.convergence import cap_caution
    from lossbench.sweep import PRESETS

    assert [name for name, p in PRESETS.items() if cap_caution(p.spec.epochs, p.spec.patience)] == []


def test_a_claim_on_two_arms_at_chance_says_why_once_and_never_that_a_level_plateaued():
    """pascanu2013 at its default budget: both arms at chance on the temporal order problem (4 classes)."""
    from lossbench.sweep import preset_fields

    [claim] = preset_fields("pascanu2013")["claims"]
    flat = {s: run_result([0.25, 0.26, 0.25, 0.26, 0.25, 0.25, 0.26, 0.25, 0.25, 0.26], a, seed=s, classes=4)
            for s, a in zip(SEEDS, (0.25, 0.26, 0.255))}
    report = report_of(sweep([arm("ce:rnn:none", flat), arm("ce:rnn:clip_norm", flat)], claims=[claim], patience=5,
                         epochs=10))
    [verdict] = report.claims
    better, level = verdict.checks
    assert better.evidence.count("no number of seeds would compare them") == 1
    assert "had plateaued" not in level.evidence and "it sat at chance (0.255) at this budget" in level.evidence


def test_an_equivalence_claim_not_supported_names_its_margin_as_a_margin():
    ce = {s: run_result(converged_curve(a), a, seed=s) for s, a in zip(SEEDS, (0.90, 0.91, 0.92))}
    irnn = {s: run_result(converged_curve(a), a, seed=s) for s, a in zip(SEEDS, (0.70, 0.99, 0.80))}
    data = sweep([arm("ce:lstm:none", ce), arm("ce:rnn:identity_init", irnn)],
                 claims=[{"id": "le", "claim": "an IRNN matches an LSTM", "source": "s", "published": "p",
                          "checks": [{"kind": "matches", "arm": "ce:rnn:identity_init", "than": "ce:lstm:none",
                                      "margin": 0.05}]}])
    report = report_of(data)
    assert report.claims[0].verdict == "not supported at this budget"
    assert report.answer[0].endswith("is not supported at this budget by this run (its margin: ±0.05).")
