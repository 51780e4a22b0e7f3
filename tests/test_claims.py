"""A published claim beside this run's numbers: supported, contradicted, or not supported at this budget."""

from __future__ import annotations

import pytest

from lossbench.report.claim_verdicts import CONTRADICTED, SUPPORTED, UNDECIDED, judge_claims
from lossbench.results import ArmData, SpecRecord, TrialRecord


def arm(key: str, accuracy: list[float], ece: list[float] | None = None, ratio: list[float] | None = None) -> ArmData:
    loss, cell, remedies = key.split(":")
    data = ArmData(key, loss, cell, [] if remedies == "none" else remedies.split("+"))
    for i, acc in enumerate(accuracy):
        result = {"status": "completed", "test": {"accuracy": acc, "nll": 0.5, "ece": (ece or [0.02] * 9)[i]},
                  "flow": {"vanishing_ratio": {"0": (ratio or [1e-3] * 9)[i]}}}
        data.final.append(TrialRecord(i, "COMPLETE", "completed", acc, {}, 1000 + i, result, {}))
    return data


def claim(*checks: dict) -> dict:
    return {"claims": [{"id": "c", "claim": "a claim", "source": "a paper", "published": "a figure",
                        "checks": list(checks)}]}


def verdict(spec: dict, arms: list[ArmData], converged: dict | None = None) -> tuple[str, str]:
    (found,) = judge_claims(SpecRecord.parse(spec), arms, converged or {})
    return found.verdict, found.evidence


def test_reaches_is_judged_on_the_interval_of_the_mean():
    gru = arm("ce:gru:none", [0.95, 0.96, 0.97])
    assert verdict(claim({"kind": "reaches", "arm": "ce:gru:none", "value": 0.89}), [gru])[0] == SUPPORTED
    low = arm("ce:gru:none", [0.50, 0.52, 0.51])
    spec = claim({"kind": "reaches", "arm": "ce:gru:none", "value": 0.89})
    assert verdict(spec, [low])[0] == CONTRADICTED
    text = verdict(spec, [low], {"ce:gru:none": False})
    assert text[0] == UNDECIDED and "still improving" in text[1]  # an unconverged arm contradicts nothing


def test_better_is_a_paired_difference_in_the_claimed_direction_lower_ece_counts_as_better():
    ce, ls = arm("ce:gru:none", [0.95] * 5, ece=[0.014, 0.015, 0.013, 0.016, 0.014]), \
        arm("label_smoothing:gru:none", [0.95] * 5, ece=[0.093, 0.090, 0.095, 0.091, 0.094])
    spec = claim({"kind": "better", "arm": "label_smoothing:gru:none", "than": "ce:gru:none", "metric": "test_ece"})
    found, text = verdict(spec, [ce, ls])
    assert found == CONTRADICTED and "+0.0782" in text  # label smoothing's ECE is higher: the paper's claim fails here
    differs = claim({"kind": "differs", "arm": "label_smoothing:gru:none", "than": "ce:gru:none",
                     "metric": "test_ece", "margin": 0.01})
    assert verdict(differs, [ce, ls])[0] == SUPPORTED


def test_matches_needs_the_difference_inside_the_margin():
    lstm = arm("ce:lstm:none", [0.90, 0.91, 0.92, 0.90])
    irnn_close = arm("ce:rnn:identity_init", [0.905, 0.912, 0.918, 0.902])
    irnn_far = arm("ce:rnn:identity_init", [0.60, 0.62, 0.61, 0.63])
    spec = claim({"kind": "matches", "arm": "ce:rnn:identity_init", "than": "ce:lstm:none", "margin": 0.05})
    assert verdict(spec, [lstm, irnn_close])[0] == SUPPORTED
    assert verdict(spec, [lstm, irnn_far])[0] == CONTRADICTED
    noisy = arm("ce:rnn:identity_init", [0.70, 0.99, 0.80, 0.95])
    assert verdict(spec, [lstm, noisy])[0] == UNDECIDED


def test_gradient_flow_at_initialisation_is_compared_on_a_log_scale():
    none = arm("ce:lstm:none", [0.9] * 3, ratio=[1e-20, 1e-19, 1e-21])
    chrono = arm("ce:lstm:chrono_init", [0.9] * 3, ratio=[1e-3, 2e-3, 5e-4])
    spec = claim({"kind": "better", "arm": "ce:lstm:chrono_init", "than": "ce:lstm:none", "metric": "flow_ratio_init"})
    found, text = verdict(spec, [none, chrono])
    assert found == SUPPORTED and "+17" in text  # about 17 decades more gradient at the first step
    # taken at initialisation: arms still improving at their last epoch cannot change it (tallec2018 at its cap)
    assert verdict(spec, [none, chrono], {"ce:lstm:none": False, "ce:lstm:chrono_init": False})[0] == SUPPORTED
    accuracy = claim({"kind": "better", "arm": "ce:lstm:chrono_init", "than": "ce:lstm:none"})
    faster = arm("ce:lstm:chrono_init", [0.95, 0.96, 0.97])
    assert verdict(accuracy, [none, faster], {"ce:lstm:none": False})[0] == UNDECIDED  # accuracy is not exempt


@pytest.mark.parametrize("checks, expected", [
    ([{"kind": "reaches", "arm": "ce:gru:none", "value": 0.5}, {"kind": "reaches", "arm": "ce:gru:none", "value": 0.99}],
     CONTRADICTED),
    ([{"kind": "reaches", "arm": "ce:gru:none", "value": 0.5}, {"kind": "reaches", "arm": "ce:gru:none", "value": 0.5}],
     SUPPORTED),
])
def test_a_claim_holds_when_every_check_does_and_falls_when_one_is_contradicted(checks, expected):
    assert verdict(claim(*checks), [arm("ce:gru:none", [0.80, 0.81, 0.82])])[0] == expected


def test_one_seed_decides_nothing():
    found, text = verdict(claim({"kind": "reaches", "arm": "ce:gru:none", "value": 0.5}), [arm("ce:gru:none", [0.9])])
    assert found == UNDECIDED and "too few seeds" in text


def test_a_gap_between_arms_still_improving_decides_nothing():
    ce, focal = arm("ce:gru:none", [0.40, 0.42, 0.41]), arm("focal:gru:none", [0.82, 0.83, 0.81])
    spec = claim({"kind": "better", "arm": "focal:gru:none", "than": "ce:gru:none"})
    assert verdict(spec, [ce, focal])[0] == SUPPORTED
    found, text = verdict(spec, [ce, focal], {"focal:gru:none": False})
    assert found == UNDECIDED and "+0.4100" in text and "still improving" in text


def test_a_level_not_reached_on_a_budget_below_the_papers_supports_nothing_and_contradicts_nothing():
    spec = claim({"kind": "reaches", "arm": "ce:rnn:clip_norm", "value": 0.99})
    spec["claims"][0]["reduced_budget"] = True
    found, text = verdict(spec, [arm("ce:rnn:clip_norm", [0.25, 0.26, 0.25])])
    assert found == UNDECIDED and "far below the paper's" in text  # a plateau at chance, 4000 updates against 5M
    spec["claims"][0]["reduced_budget"] = False
    assert verdict(spec, [arm("ce:rnn:clip_norm", [0.25, 0.26, 0.25])])[0] == CONTRADICTED


def test_a_preset_at_its_default_budget_marks_its_claims_as_reduced_and_the_paper_budget_does_not():
    from lossbench.sweep import preset_fields

    assert all(c["reduced_budget"] for c in preset_fields("pascanu2013")["claims"])
    assert not any(c.get("reduced_budget") for c in preset_fields("greydanus2020", "paper")["claims"])


# -- what would decide a claim not decided: estimated from the run's own numbers ----------------------------------


def rule_arm(data: ArmData, improving: bool = False, gain: float = 0.0, seconds: float = 6.0):
    """The decision rule's view of an arm: plateaued on every seed unless ``improving`` (then gaining ``gain`` a
    epoch at a cap of 20 epochs), ``seconds`` per final run."""
    from lossbench.decisions import JudgedArm

    accuracy = {t.seed: t.value for t in data.final}
    return JudgedArm(data.key, data.loss, data.cell, "+".join(data.remedies) or "none", accuracy,
                     {s: not improving for s in accuracy}, seconds, 20, gain)


def with_estimates(spec: dict, arms: list[ArmData], rules: list, converged: dict | None = None) -> tuple[str, str]:
    from lossbench.report.claim_verdicts import Estimates

    (found,) = judge_claims(SpecRecord.parse(spec), arms, converged or {}, (),
                            Estimates({r.key: r for r in rules}, workers=2))
    return found.verdict, found.evidence


def test_a_level_not_yet_reached_by_an_arm_still_improving_says_how_many_epochs_its_recent_rate_needs():
    gru = arm("ce:gru:none", [0.80, 0.82, 0.81])
    spec = claim({"kind": "reaches", "arm": "ce:gru:none", "value": 0.89})
    found, text = with_estimates(spec, [gru], [rule_arm(gru, improving=True, gain=0.01)], {"ce:gru:none": False})
    assert found == UNDECIDED and "at least 8 more epochs (a cap of about 28" in text  # (0.89 - 0.81) / 0.01
    found, text = with_estimates(spec, [gru], [rule_arm(gru)])
    assert found == CONTRADICTED  # plateaued below, at the paper's budget
    spec["claims"][0]["reduced_budget"] = True
    found, text = with_estimates(spec, [gru], [rule_arm(gru)])
    assert found == UNDECIDED and "more epochs of this setup would not reach 0.89" in text


def test_a_claim_comparing_arms_that_differ_in_two_factors_is_decided_by_the_same_rule_and_sized_when_open():
    lstm = arm("ce:lstm:none", [0.90, 0.91, 0.92, 0.90])
    noisy = arm("ce:rnn:identity_init", [0.70, 0.99, 0.80, 0.95])
    spec = claim({"kind": "matches", "arm": "ce:rnn:identity_init", "than": "ce:lstm:none", "margin": 0.05})
    found, text = with_estimates(spec, [lstm, noisy], [rule_arm(lstm), rule_arm(noisy)])
    assert found == UNDECIDED and "it would take about" in text and "seeds" in text
    far = arm("ce:rnn:identity_init", [0.60, 0.62, 0.61, 0.63])
    behind = with_estimates(spec, [lstm, far], [rule_arm(lstm), rule_arm(far, improving=True, gain=0.05)],
                      {"ce:rnn:identity_init": False})  # 0.3 behind, but gaining 0.05 per epoch: could close it
    assert behind[0] == UNDECIDED and "epochs" in behind[1]
    slow = with_estimates(spec, [lstm, far], [rule_arm(lstm), rule_arm(far, improving=True, gain=0.001)],
                    {"ce:rnn:identity_init": False})  # at 0.001 per epoch 20 more epochs cannot close 0.3
    assert slow[0] == CONTRADICTED


def test_a_calibration_claim_not_decided_says_how_many_seeds_would_decide_it():
    ce = arm("ce:gru:none", [0.95] * 3, ece=[0.02, 0.03, 0.025])
    ls = arm("label_smoothing:gru:none", [0.95] * 3, ece=[0.021, 0.045, 0.02])
    spec = claim({"kind": "better", "arm": "label_smoothing:gru:none", "than": "ce:gru:none", "metric": "test_ece"})
    found, text = with_estimates(spec, [ce, ls], [rule_arm(ce), rule_arm(ls)])
    assert found == UNDECIDED and "it would take about" in text and "on this machine" in text
