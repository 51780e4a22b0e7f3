"""One rule for every verdict (issue 27): one decision module judges every pair, and every table, claim and sentence
reads its verdicts. On stored sweeps made by hand (``sweeps``): nothing trains."""

from __future__ import annotations

import json

import pytest
from scipy import stats as scipy_stats
from sweeps import SEEDS, arm, converged_curve, report_of, run_result, sweep

from lossbench import stats
from lossbench.decisions import LEVELS, race_alpha, sweep_arms
from lossbench.report import tables
from lossbench.report.export import results_json
from lossbench.sweep.racing import Allowance, Plan, look


def plateaued(key: str, accuracies, clipped: int = 0) -> object:
    """An arm whose runs all plateaued at the given test accuracies (one per seed)."""
    finals = {}
    for s, a in zip(SEEDS, accuracies):
        result = run_result(converged_curve(a), a, seed=s)
        result["clipped_steps"], result["clip_rate"] = clipped, clipped / 10
        finals[s] = result
    return arm(key, finals)


def copy(key: str, of: object) -> object:
    """An arm that ran exactly as ``of`` did, seed for seed (a remedy that never acted)."""
    return arm(key, {t.seed: dict(t.result) for t in of.final})


def by_pair(verdicts) -> dict:
    return {frozenset((v.arm, v.other)): v for v in verdicts if v.scope == "arms"}


def test_a_factors_levels_count_each_seed_once_and_runs_identical_seed_for_seed_are_said():
    """The issue's small real dataset: clipping never fired, so the clipped arms repeat the plain ones seed for seed.
    Pooled as four pairs, focal against ce read significant; one unit per seed, it is not."""
    ce, focal = plateaued("ce:gru:none", (0.960, 0.950, 0.955)), plateaued("focal:gru:none", (0.935, 0.925, 0.922))
    data = sweep([ce, copy("ce:gru:clip_norm", ce), focal, copy("focal:gru:clip_norm", focal)])
    report = report_of(data)
    loss = next(v for v in report.decisions if v.scope == LEVELS and v.factor == "loss")
    units = [f - c for f, c in zip((0.935, 0.925, 0.922), (0.960, 0.950, 0.955))]
    assert loss.seeds == 3 and loss.units == pytest.approx(units) and len(loss.pairs) == 2
    pooled = scipy_stats.ttest_rel([*[0.935, 0.925, 0.922]] * 2, [*[0.960, 0.950, 0.955]] * 2).pvalue
    assert loss.p_raw == pytest.approx(scipy_stats.ttest_1samp(units, 0).pvalue) and loss.p_raw > 2 * pooled
    remedy = next(v for v in report.decisions if v.scope == LEVELS and v.factor == "remedies")
    assert set(remedy.identical) == {("ce:gru:clip_norm", "ce:gru:none"), ("focal:gru:clip_norm", "focal:gru:none")}
    assert remedy.units == (0.0, 0.0, 0.0) and "clipping never fired" in remedy.why
    arms_pair = by_pair(report.decisions)[frozenset(("ce:gru:none", "ce:gru:clip_norm"))]
    assert "ran identically seed for seed" in arms_pair.why and "clipped 0.0% of its steps" in arms_pair.why
    stored = json.loads(results_json(report))["decisions"]
    assert any(d["identical"] for d in stored) and all(len(d["units"]) == d["seeds"] for d in stored)


def quickstart_like() -> object:
    """Two losses x two cells, three seeds: decided cell pairs, open loss pairs, a two-factor baseline pair."""
    return sweep([plateaued("ce:rnn:none", (0.40, 0.46, 0.52)), plateaued("focal:rnn:none", (0.44, 0.40, 0.60)),
                  plateaued("ce:gru:none", (0.960, 0.962, 0.955)), plateaued("focal:gru:none", (0.950, 0.965, 0.951))],
                 claims=[{"id": "x", "claim": "focal on a GRU beats ce on a tanh RNN", "source": "s", "published": "p",
                          "checks": [{"kind": "better", "arm": "focal:gru:none", "than": "ce:rnn:none"}]}])


def test_a_pair_reads_the_same_in_the_comparisons_the_decisions_the_claims_and_results_json():
    report = report_of(quickstart_like())
    decisions = by_pair(report.decisions)
    assert report.comparisons
    for row in report.comparisons:
        if row.scope != "arms":
            assert row in report.decisions  # a factor's levels: the verdict itself
            continue
        verdict = decisions[frozenset((row.arm, row.other))]
        same = verdict if verdict.arm == row.arm else verdict.flipped()
        assert (row.difference, row.interval, row.p, row.kind) == (same.difference, same.interval, same.p, same.kind)
    document = json.loads(results_json(report))
    for c in document["comparisons"]:
        match = next(d for d in document["decisions"] if {d["arm"], d["other"]} == {c["arm"], c["baseline"]}
                     or (c["factor"] and d["scope"] == "levels" and d["arm"] == c["arm"]))
        sign = 1 if match["arm"] == c["arm"] else -1
        assert c["mean_difference"] == pytest.approx(sign * match["difference"])
        assert sorted(sign * x for x in c["interval"]) == pytest.approx(match["interval"])
    # the claim's pair differs in two factors: judged in the family, not on its own
    claim_pair = decisions[frozenset(("focal:gru:none", "ce:rnn:none"))]
    assert claim_pair.factor == "arms" and claim_pair.p == pytest.approx(
        stats.holm([v.p_raw for v in report.decisions if v.p_raw is not None])[
            [v for v in report.decisions if v.p_raw is not None].index(claim_pair)])
    [claim] = report.claims  # the claim reads that verdict, from its own side
    oriented = claim_pair if claim_pair.arm == "focal:gru:none" else claim_pair.flipped()
    assert f"[{oriented.interval[0]:+.4f}, {oriented.interval[1]:+.4f}]" in claim.evidence
    assert claim.verdict == "supported" and oriented.kind == "better"


def test_holm_is_applied_once_over_the_whole_family():
    report = report_of(quickstart_like())
    tested = [v for v in report.decisions if v.p_raw is not None]
    assert len(tested) >= 5  # four one-factor pairs, the claim's pair, the levels
    assert [v.p for v in tested] == pytest.approx(stats.holm([v.p_raw for v in tested]))
    assert [1 - v.level for v in tested] == pytest.approx(stats.holm_levels([v.p_raw for v in tested], 0.05))
    import lossbench.decisions.family as family

    assert "holm_levels" not in vars(family) or family.stats.holm_levels is stats.holm_levels


def test_a_raced_sweep_is_judged_at_the_races_level_and_the_report_says_so():
    """A gap a t-test finds at 0.05 but not at 0.05 / 4: the race left it open, and so does the report."""
    base = (0.900, 0.910, 0.905, 0.915, 0.895)
    ahead = (0.915, 0.917, 0.915, 0.935, 0.900)
    data = sweep([plateaued("ce:gru:none", base[:3]), plateaued("focal:gru:none", ahead[:3])])
    p = scipy_stats.ttest_rel(ahead[:3], base[:3]).pvalue
    assert race_alpha(10) < p < 0.05
    fixed = report_of(data)
    assert fixed.decisions[0].kind == "worse"  # ce against focal
    data.spec.update(race=True, seeds=10)
    raced = report_of(data)
    assert raced.alpha == pytest.approx(0.0125) and raced.decisions[0].kind == "open"
    assert raced.decisions[0].level == pytest.approx(1 - 0.0125)
    arms, _ = sweep_arms(data)
    taken, _ = look(arms, {a.key: Allowance(3, 10) for a in arms}, Plan(10, 10, 10))
    assert list(taken.steps) + list(taken.open) == ["ce:gru:none vs focal:gru:none"]  # the race's own verdict: the same
    assert "at 0.0125, the race's level" in "\n".join(raced.findings)
    headers, rows = tables.decisions(raced)
    assert rows[0][headers.index("interval")].endswith("at 98.8%")
    assert json.loads(results_json(raced))["alpha"] == pytest.approx(0.0125)


def test_the_race_judges_the_same_family_as_the_report():
    data = quickstart_like()
    report = report_of(data)
    arms, _ = sweep_arms(data)
    from lossbench.results.baseline import family_pairs

    pairs = family_pairs(data.spec, [(a.key, a.cell) for a in data.arms])
    taken, _ = look(arms, {a.key: Allowance(3, 10) for a in arms}, Plan(3, 10, 10), pairs=pairs)
    decided = {f"{v.arm} vs {v.other}": v.kind for v in report.decisions if v.decided}
    assert taken.decided == decided
    assert len(taken.decided) + len(taken.open) + len(taken.steps) == len(report.decisions)
    assert not any(name.startswith(("focal vs", "gru vs")) for name in taken.steps)  # levels race nothing of their own


def test_main_effects_read_their_levels_verdicts():
    report = report_of(quickstart_like())
    sentence = next(s for s in report.findings if s.startswith("Averaged over the matched arms"))
    cell = next(v for v in report.decisions if v.scope == LEVELS and v.factor == "cell")
    loss = next(v for v in report.decisions if v.scope == LEVELS and v.factor == "loss")
    assert cell.kind in ("better", "worse") and loss.kind == "open"
    assert "for the cell (best gru at 0.9572, worst rnn at 0.4700) (decided)" in sentence
    assert "for the loss (best focal at 0.7177, worst ce at 0.7095) (not yet separated: open)" in sentence
    contrast = report.factorial.contrast  # which factor matters more: the same rule, on the spreads per seed
    assert contrast.metric == "spread of mean test accuracy" and contrast.seeds == 3


# -- sound at small n and on a discrete metric ------------------------------------------------------------------------


def digits_sweep(examples: int | None = 359) -> object:
    """The issue's sweep: digits (359 test examples), ce and label smoothing x no remedy or clip_norm on an LSTM,
    2 seeds, 3 epochs (every arm still improving). label smoothing is one test example ahead of ce on both seeds."""
    one = 1 / 359
    base = {1000: 226 / 359, 1001: 273 / 359}
    accuracy = {"ce:lstm:none": base, "label_smoothing:lstm:none": {s: v + one for s, v in base.items()},
                "ce:lstm:clip_norm": {1000: 212 / 359, 1001: 262 / 359},
                "label_smoothing:lstm:clip_norm": {1000: 216 / 359, 1001: 268 / 359}}
    arms = [arm(key, {s: run_result([0.3, 0.5, a], a, seed=s, examples=examples, classes=10)
                      for s, a in values.items()}) for key, values in accuracy.items()]
    return sweep(arms)


@pytest.mark.parametrize("examples", [359, None], ids=["stored", "inferred"])
def test_the_issues_digits_sweep_reports_no_significance(examples):
    report = report_of(digits_sweep(examples))
    pair = by_pair(report.decisions)[frozenset(("ce:lstm:none", "label_smoothing:lstm:none"))]
    assert pair.units == pytest.approx((-1 / 359, -1 / 359)) and pair.grain == pytest.approx(1 / 359)
    assert pair.p_raw > 0.3 and abs(pair.effect) <= 1.0 + 1e-9  # a one-example gap on both seeds is no evidence
    assert pair.interval[0] < 0 < pair.interval[1]
    assert not any(v.decided for v in report.decisions)
    words = "\n".join(report.findings)
    assert "0 decided" in words and "Decided apart" not in words and "significant:" not in words.lower()
    document = json.loads(results_json(report))
    assert all(c["effect"] is None or abs(c["effect"]) <= stats.MAX_EFFECT for c in document["comparisons"])
    assert all(d["effect"] is None or abs(d["effect"]) <= stats.MAX_EFFECT for d in document["decisions"])
    if examples:
        assert {r["test_accuracy"]["test_examples"] for r in document["leaderboard"]} == {359}


def test_no_verdict_is_decided_on_two_seeds():
    gap = sweep([plateaued("ce:gru:none", (0.50, 0.52)), plateaued("focal:gru:none", (0.95, 0.96))])
    (verdict,) = report_of(gap).decisions
    assert verdict.kind == "open" and verdict.p_raw < 0.05 and verdict.needs_seeds == 3
    assert "a verdict needs at least 3" in verdict.why


def test_an_interval_of_an_accuracy_difference_never_leaves_minus_one_to_one():
    """The issue's "beats ... by 0.825 (99.5% interval 0.593 to 1.058)": three seeds that disagree, at Holm's level."""
    wide = sweep([plateaued("ce:rnn:none", (0.10, 0.11, 0.60)), plateaued("ce:gru:none", (0.97, 0.96, 0.975)),
                  plateaued("ce:lstm:none", (0.12, 0.10, 0.58))])
    report = report_of(wide)
    cut = [v for v in report.decisions if v.clipped]
    assert cut and all(-1 in v.interval or 1 in v.interval for v in cut)
    assert all("cut at -1 or +1" in v.why for v in cut)
    document = json.loads(results_json(report))
    for d in document["decisions"] + document["comparisons"]:
        assert d["interval"] is None or -1 <= d["interval"][0] <= d["interval"][1] <= 1
    for sentence in report.answer:
        assert not any(float(x) > 1 for x in __import__("re").findall(r"\d+\.\d+", sentence) if "interval" in sentence)
    from lossbench.report.plots import difference_axis

    low, high = difference_axis(report.decisions)
    assert low == -1.0 and high <= 1.0  # the decision plot's axis stops at -1


def test_a_pair_a_hair_apart_is_not_offered_a_thousand_seeds_while_an_arm_still_improves():
    """The issue's "about 810 seeds, 8 h for all" for two arms 0.002 apart: a tie is far nearer, once both plateau."""
    ahead = {s: run_result([0.5 + 0.04 * e for e in range(12)], a, seed=s) for s, a in zip(SEEDS, (0.958, 0.918, 0.939))}
    data = sweep([plateaued("ce:gru:none", (0.934, 0.936, 0.933)), arm("focal:gru:none", ahead)], patience=5, epochs=12)
    (verdict,) = report_of(data).decisions
    assert verdict.kind == "open" and verdict.needs_seeds is None and verdict.needs_epochs == 24
    assert "a tie within +-0.02 is nearer" in verdict.why and "train longer first" in verdict.why


def test_a_race_over_seeds_and_epochs_is_judged_by_the_report_at_its_plan_s_level():
    """The race plans a look per round of seeds and per cap step up to max_epochs; the report on the raced sweep
    judges at that same level (one function, ``race_alpha``, for both)."""
    data = sweep([plateaued("ce:gru:none", (0.90, 0.91, 0.905)), plateaued("focal:gru:none", (0.915, 0.917, 0.915))])
    data.spec.update(race=True, seeds=10, max_epochs=4 * data.spec["epochs"])
    plan = Plan(10, data.spec["epochs"], data.spec["max_epochs"])
    raced = report_of(data)
    assert plan.looks == 4 + 2 and raced.alpha == pytest.approx(plan.alpha) == pytest.approx(0.05 / 6)
