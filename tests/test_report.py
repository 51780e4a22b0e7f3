"""Reports from real stored sweeps (made by ``lossbench run``): outputs agree with storage, statistics are right,
odd and hostile input (escaping, passwords, diverged arms, one arm, one seed, partial sweeps) is handled."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as scipy_stats

from lossbench import stats
from lossbench.results import read_sweep

TINY = ["--dataset", "digits", "--set", "hidden=8", "--epochs", "2", "--quiet"]
EVIL = "<script>alert(1)</script>"
PLUGIN = f'''
from lossbench import LossSpec, hookimpl


def build_evil():
    import torch.nn.functional as F
    return lambda logits, target: F.cross_entropy(logits, target)


@hookimpl
def register_losses(register):
    register(LossSpec(name="evil", summary={EVIL!r}, space={{}}, defaults={{}}, build=build_evil,
                      targets=frozenset({{"multiclass"}})))
'''
def build_sweeps(root: Path) -> None:
    """Three real sweeps, run at once (three commands, three journals): main (2 losses, one from a local plugin,
    x 2 remedy sets, 3 seeds); a single arm with a single seed; a single arm whose every run diverges (relu RNN,
    SGD at an absurd fixed learning rate)."""
    from conftest import start_cli

    (root / "plugins").mkdir()
    (root / "plugins" / "evil_plugin.py").write_text(PLUGIN)
    commands = [
        ["--plugins-dir", "plugins", "run", "--name", "main", *TINY, "--loss", "ce", "--loss", "evil", "--cell", "rnn",
         "--remedies", "none", "--remedies", "clip_norm", "--trials", "2", "--seeds", "3"],
        ["run", "--name", "single", *TINY, "--loss", "ce", "--cell", "gru", "--remedies", "none", "--trials", "1",
         "--seeds", "1"],
        ["run", "--name", "diverged", *TINY, "--loss", "ce", "--cell", "rnn", "--remedies", "none", "--trials", "2",
         "--seeds", "2", "--set", "optimizer=sgd", "--set", "lr=1e6", "--set", "rnn.activation=relu"]]
    started = [start_cli(*args, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for args in commands]
    for process in started:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err


@pytest.fixture(scope="session")
def sweeps(tmp_path_factory):
    """A copy, this process's own, of the three sweeps of ``build_sweeps``, built once for the whole test run:
    under pytest-xdist the first worker to need them builds them, under a lock, in the run's shared folder
    (test_report_browser.py reads the main sweep's page too)."""
    import fcntl

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if worker else base) / "report-sweeps"
    with open(shared.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "built").is_file():
            shutil.rmtree(shared, ignore_errors=True)
            shared.mkdir()
            build_sweeps(shared)
            (shared / "built").touch()
    root = tmp_path_factory.mktemp("sweeps")
    shutil.copytree(shared, root, dirs_exist_ok=True)
    return root


@pytest.fixture(scope="session")
def main_report(sweeps, cli):
    done = cli("--plugins-dir", "plugins", "report", "main", cwd=sweeps, timeout=600, check=True)
    return sweeps / "results" / "main", done


def all_text(folder: Path) -> str:
    """Every text output, inline images left out (base64 can spell anything)."""
    text = "\n".join(p.read_text() for p in folder.glob("*") if p.suffix in (".md", ".html", ".json", ".csv"))
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]*", "data:image/png;base64,...", text)


# -- the main sweep -----------------------------------------------------------------------------------------------


def test_main_effects_compare_matched_arms_only():
    """A missing arm (refused or diverged everywhere) must not let one level's mean come from easier company."""
    from types import SimpleNamespace

    from lossbench.report.factorial import build_factorial
    from lossbench.results import SpecRecord

    accuracy = {("ce", "rnn", "none"): 0.2, ("ce", "gru", "none"): 0.9,
                ("bce", "rnn", "none"): 0.1, ("bce", "gru", "none"): None}  # bce on gru: no result
    arms = [SimpleNamespace(loss=l, cell=c, remedies=r, acc_mean=v, accuracy={}) for (l, c, r), v in accuracy.items()]
    spec = SpecRecord.parse({"losses": ["ce", "bce"], "cells": ["rnn", "gru"], "remedy_sets": [[]]})
    effects = {e.factor: e for e in build_factorial(spec, arms).effects}
    loss = effects["loss"]  # only rnn has both losses: ce 0.2 vs bce 0.1, not ce's mean of 0.55 over rnn and gru
    assert loss.levels == pytest.approx({"ce": 0.2, "bce": 0.1}) and loss.spread == pytest.approx(0.1)
    assert loss.excluded == 1
    cell = effects["cell"]  # only ce has both cells
    assert cell.levels == pytest.approx({"rnn": 0.2, "gru": 0.9}) and cell.excluded == 1
    remedy = effects["remedy"]  # one level: no spread, nothing left out
    assert remedy.spread is None and remedy.excluded == 0


@pytest.mark.slow
def test_every_output_exists_and_the_terminal_report_prints(main_report):
    folder, done = main_report
    for name in ["report.md", "report.html", "results.json", "trials.csv"]:
        assert (folder / name).stat().st_size > 0, name
    plots = sorted(p.name for p in (folder / "plots").glob("*.png"))
    assert {"accuracy.png", "factorial.png", "flow_rnn.png", "grad_norms_rnn.png", "curves_rnn.png",
            "sensitivity_rnn.png"} <= set(plots)
    assert all((folder / "plots" / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in plots)
    assert "Leaderboard" in done.stdout and "Findings" in done.stdout and "evil:rnn:none" in done.stdout


@pytest.mark.slow
def test_leaderboard_agrees_with_storage(main_report):
    folder, _ = main_report
    document = json.loads((folder / "results.json").read_text())
    assert document["schema"] == "lossbench.results/1" and document["partial"] is False
    data = read_sweep("main", str(folder / "sweep.journal"))
    stored = {a.key: {t.seed: t.result["test"]["accuracy"] for t in a.completed_final} for a in data.arms}
    rows = document["leaderboard"]
    assert {r["arm"] for r in rows} == set(stored) and len(rows) == 4
    means = [r["test_accuracy"]["mean"] for r in rows]
    assert means == sorted(means, reverse=True)
    for row in rows:
        accuracies = stored[row["arm"]]
        assert {int(k): v for k, v in row["test_accuracy"]["by_seed"].items()} == accuracies
        assert row["test_accuracy"]["mean"] == pytest.approx(np.mean(list(accuracies.values())))
        assert row["test_accuracy"]["std"] == pytest.approx(np.std(list(accuracies.values()), ddof=1))
        low, high = row["test_accuracy"]["ci95"]
        # (a resample of one value repeated has that value as its mean, up to rounding)
        assert min(accuracies.values()) - 1e-12 <= low <= row["test_accuracy"]["mean"] <= high <= max(accuracies.values()) + 1e-12
        assert row["tuning"]["trials"] == 2
    # the Markdown shows the same numbers
    markdown = (folder / "report.md").read_text()
    assert f"{rows[0]['test_accuracy']['mean']:.4f} ± {rows[0]['test_accuracy']['std']:.4f}" in markdown


@pytest.fixture(scope="session")
def wilcoxon_report(sweeps, cli):
    """The main sweep's report with Wilcoxon's signed-rank test instead of the default paired t-test."""
    from lossbench.report import write

    folder = sweeps / "wilcoxon" / "main"
    write("main", ["md", "json"], out=sweeps / "results", folder=folder, test="wilcoxon")
    return folder


@pytest.mark.slow
def test_the_default_test_is_the_paired_t_test_the_decisions_use(main_report):
    folder, _ = main_report
    document = json.loads((folder / "results.json").read_text())
    by_arm = {r["arm"]: r["test_accuracy"]["by_seed"] for r in document["leaderboard"]}
    against = [c for c in document["comparisons"] if c["factor"] is None]
    assert against and document["decisions"]
    for c in against:
        seeds = [str(s) for s in c["seeds_run"]]
        left, right = [by_arm[c["arm"]][s] for s in seeds], [by_arm["ce:rnn:none"][s] for s in seeds]
        expected = scipy_stats.ttest_rel(left, right)
        if np.std(np.subtract(left, right), ddof=1) >= 1 / 359:  # above the grain of 359 test digits: scipy's own
            assert c["p"] == pytest.approx(expected.pvalue)
    assert "paired t-test" in (folder / "report.md").read_text()


@pytest.mark.slow
def test_comparisons_are_paired_on_shared_seeds_and_holm_corrected(wilcoxon_report):
    folder = wilcoxon_report
    document = json.loads((folder / "results.json").read_text())
    by_arm = {r["arm"]: r["test_accuracy"]["by_seed"] for r in document["leaderboard"]}
    comparisons = document["comparisons"]
    against = [c for c in comparisons if c["factor"] is None]
    assert {c["arm"] for c in against} == {"ce:rnn:clip_norm", "evil:rnn:none", "evil:rnn:clip_norm"}
    assert all(c["baseline"] == "ce:rnn:none" for c in against)
    for c in against:
        seeds = [str(s) for s in c["seeds_run"]]
        expected = scipy_stats.wilcoxon([by_arm[c["arm"]][s] for s in seeds], [by_arm["ce:rnn:none"][s] for s in seeds])
        if not math.isnan(expected.pvalue):
            assert c["p"] == pytest.approx(expected.pvalue)
    # factor levels over matched arms, one unit per seed (the mean over the matched pairs): evil vs ce on both remedy
    # sets, clip_norm vs none on both losses; never one seed twice
    factors = {(c["factor"], c["arm"], c["baseline"]): c for c in comparisons if c["factor"]}
    assert set(factors) == {("loss", "evil", "ce"), ("remedies", "clip_norm", "none")}
    loss = factors["loss", "evil", "ce"]
    assert sorted(map(tuple, loss["pairs"])) == [("evil:rnn:clip_norm", "ce:rnn:clip_norm"), ("evil:rnn:none", "ce:rnn:none")]
    units = [np.mean([by_arm[a][str(s)] - by_arm[b][str(s)] for a, b in loss["pairs"]]) for s in loss["seeds_run"]]
    assert loss["seeds"] == 3 and loss["mean_difference"] == pytest.approx(np.mean(units))
    expected = scipy_stats.wilcoxon(units)
    if not math.isnan(expected.pvalue):
        assert loss["p"] == pytest.approx(expected.pvalue)
    # Holm once, over the whole family the decisions judge
    family = [d for d in document["decisions"] if d["p"] is not None]
    assert [d["p"] for d in family] == pytest.approx(stats.holm([d["p_raw"] for d in family]))
    # 3 seeds: Wilcoxon's exact p is at least 2 / 2^3 = 0.25, too much for any level: the findings say so
    note = next(s for s in document["findings"] if "smallest exact p-value" in s)
    assert "With at most 3 seeds per pair the smallest exact p-value of a Wilcoxon test is 0.250" in note
    assert all(c["p"] is None or c["p"] >= 2 / 2 ** c["seeds"] - 1e-12 for c in comparisons)


@pytest.mark.slow
def test_factorial_and_findings_come_from_the_numbers(main_report):
    folder, _ = main_report
    document = json.loads((folder / "results.json").read_text())
    means = {r["arm"]: r["test_accuracy"]["mean"] for r in document["leaderboard"]}
    (grid,) = document["factorial"]["grids"]
    assert grid["losses"] == ["ce", "evil"] and grid["remedies"] == ["none", "clip_norm"]
    assert grid["values"][1][1] == pytest.approx(means["evil:rnn:clip_norm"])
    loss = next(e for e in document["factorial"]["main_effects"] if e["factor"] == "loss")
    assert loss["levels"]["ce"] == pytest.approx((means["ce:rnn:none"] + means["ce:rnn:clip_norm"]) / 2)
    best = document["leaderboard"][0]
    improving = [r for r in document["leaderboard"] if r["convergence"]["converged"] is False]
    assert document["findings"][0].startswith("This sweep could not decide a tie: an epoch cap of 2")  # said first
    ranking = document["findings"][1]
    if improving:  # two epochs of a tiny RNN: whichever way the curves went, the findings follow the verdicts
        refusal = ranking
        assert refusal.startswith("No full ranking is concluded") and f"{best['arm']} first at" in refusal
        for row in improving:
            assert f"{row['arm']} {row['convergence']['gain']:+.4f}" in refusal
    else:
        assert ranking.startswith(f"The highest mean test accuracy is {best['arm']}'s")
        assert f"{best['test_accuracy']['mean']:.4f}" in ranking
    change = means["ce:rnn:clip_norm"] - means["ce:rnn:none"]
    comparison = next(c for c in document["comparisons"] if c["arm"] == "ce:rnn:clip_norm")
    assert f"{change:+.4f}" in comparison_row((folder / "report.md").read_text(), comparison)


def comparison_row(report: str, c: dict) -> str:
    """A comparison's row in report.md's comparisons table."""
    from lossbench.report.markdown import escape

    label = escape(c["arm"] if c["factor"] is None else f"{c['factor']}: {c['arm']}")
    return next(line for line in report.splitlines()
                if line.startswith(f"| {label} | {escape(c['baseline'])} |") and "matched pair" in line
                or line.startswith(f"| {label} | {escape(c['baseline'])} |") and c["factor"] is None)


@pytest.mark.slow
def test_convergence_calibration_robustness_and_rules_reach_every_output(main_report):
    """Through the real CLI on a real sweep: the new fields in results.json, report.md, report.html and the terminal."""
    folder, done = main_report
    document = json.loads((folder / "results.json").read_text())
    data = read_sweep("main", str(folder / "sweep.journal"))
    for row in document["leaderboard"]:
        stored = next(a for a in data.arms if a.key == row["arm"])
        tests = [t.result["test"] for t in stored.completed_final]
        assert row["test_confidence_mean"] == pytest.approx(np.mean([t["confidence"] for t in tests]))
        assert row["overconfidence"] == pytest.approx(row["test_confidence_mean"] - row["test_accuracy"]["mean"])
        convergence = row["convergence"]
        assert convergence["metric"] == "val_accuracy" and convergence["epochs"] == 2 and convergence["window"] == 5
        gains = [max(e["val_accuracy"] for e in t.result["epochs"]) - t.result["epochs"][0]["val_accuracy"]
                 for t in stored.completed_final]
        assert convergence["gain"] == pytest.approx(np.mean(gains))
        assert convergence["converged"] is False  # 2 epochs at a cap of 2: no run can have plateaued
        assert row["robustness"]["lr_range"]["tried"] and row["robustness"]["seed_range"] is not None
        assert row["gradients"]["alignment"] == "last_valid_step" and row["gradients"]["profile_steps"] == 8
    assert [r["topic"] for r in document["rules"]][:3] == ["tests", "not significant", "convergence"]
    assert any(s.startswith("Calibration (test ECE") for s in document["findings"])
    assert any(s.startswith("Pairs judged") for s in document["findings"])
    markdown, html = (folder / "report.md").read_text(), (folder / "report.html").read_text()
    for text in (markdown, html):
        assert "converged" in text and "mean confidence" in text and "Method and thresholds" in text
        assert "Robustness: learning rate, seeds, tuning" in text and "seeds for power 0.8" in text
    for row in document["leaderboard"]:  # the leaderboard's converged cell, as the model judged it
        verdict = "NO: still improving" if row["convergence"]["converged"] is False else "yes ("
        assert verdict in markdown
    assert "conv." in done.stdout and "Calibration and NLL" in done.stdout and "Robustness" in done.stdout
    assert "Calibration (test ECE" in done.stdout


@pytest.mark.slow
def test_gradients_and_curves_are_summarised(main_report):
    folder, _ = main_report
    row = json.loads((folder / "results.json").read_text())["leaderboard"][0]
    gradients = row["gradients"]
    assert len(gradients["flow_init"]) == 8 and len(gradients["flow_final"]) == 8  # digits rows: 8 steps
    assert gradients["vanishing_ratio_init"] is not None and gradients["grad_norms"]
    assert 0.0 <= gradients["clip_rate"] <= 1.0
    assert len(row["curve"]["val_accuracy_mean"]) == 2  # 2 epochs
    assert len(row["sensitivity"]) == 2  # every tuning trial


@pytest.mark.slow
def test_trials_csv_has_one_row_per_stored_trial(main_report):
    folder, _ = main_report
    rows = list(csv.DictReader((folder / "trials.csv").open()))
    data = read_sweep("main", str(folder / "sweep.journal"))
    assert len(rows) == sum(len(a.tuning) + len(a.final) for a in data.arms)
    # a trial without a result (a surplus slot two workers claimed at once, a lost one retried) has its row too,
    # with no accuracy: rows with an accuracy are compared with the stored results, one to one
    final = [r for r in rows if r["phase"] == "final" and r["arm"] == "ce:rnn:none" and r["test_accuracy"]]
    stored = {t.seed: t.result["test"]["accuracy"] for a in data.arms if a.key == "ce:rnn:none" for t in a.final
              if t.result is not None}
    assert len(final) == len(stored) == 3
    assert {int(r["seed"]): float(r["test_accuracy"]) for r in final} == pytest.approx(stored)


@pytest.mark.slow
def test_plugin_strings_are_escaped_everywhere(main_report):
    folder, done = main_report
    html = (folder / "report.html").read_text()
    markdown = (folder / "report.md").read_text()
    assert EVIL not in html and EVIL not in markdown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown
    assert "<script" not in html.lower()  # the report itself carries no script at all
    assert EVIL in json.loads((folder / "results.json").read_text())["components"]["evil"]["summary"]  # data as is
    assert "http://" not in html and "https://" not in html  # nothing external


@pytest.mark.slow
def test_storage_stays_readable_by_optuna(main_report):
    import optuna

    folder, _ = main_report
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(folder / "sweep.journal")))
    names = {s.study_name for s in optuna.study.get_all_study_summaries(storage)}
    assert "main:ce:rnn:none:tune" in names and "main:spec" in names


# -- odd and hostile input ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_single_arm_single_seed_says_no_interval_or_test(sweeps, cli):
    cli("report", "single", cwd=sweeps, timeout=600, check=True)
    folder = sweeps / "results" / "single"
    document = json.loads((folder / "results.json").read_text())
    (row,) = document["leaderboard"]
    assert row["test_accuracy"]["n"] == 1 and row["test_accuracy"]["ci95"] is None and row["test_accuracy"]["std"] is None
    assert document["comparisons"] == []
    markdown = (folder / "report.md").read_text()
    assert "no interval" in markdown and "no test possible" in markdown
    assert any("no interval or significance test is possible" in s for s in document["findings"])
    assert not re.search(r"\b(nan|-?inf)\b", markdown, re.IGNORECASE)


@pytest.mark.slow
def test_an_arm_whose_every_run_diverged(sweeps, cli):
    done = cli("report", "diverged", cwd=sweeps, timeout=600, check=True)
    folder = sweeps / "results" / "diverged"
    document = json.loads((folder / "results.json").read_text())
    (row,) = document["leaderboard"]
    assert row["tuning"]["diverged"] == row["tuning"]["trials"] == 2 and row["tuning"]["divergence_rate"] == 1.0
    assert row["test_accuracy"]["mean"] is None and row["final_diverged"] == 2
    assert any("Every tuning trial diverged for ce:rnn:none" in s for s in document["findings"])
    text = all_text(folder)
    assert "NaN" not in text and "Infinity" not in text and "-inf" not in text
    assert "all diverged" in (folder / "report.md").read_text() and "all diverged" in (folder / "report.html").read_text()
    assert "0 (2 more diverged)" in (folder / "report.md").read_text()  # the seeds column says what is missing
    assert done.returncode == 0


@pytest.mark.slow
def test_partial_sweep_and_refused_combination(sweeps, tmp_path, cli):
    """A copy of a finished sweep with one trial still in flight (what a running sweep looks like) and a
    combination recorded as refused: the report says partial, names the arm, lists the refusal with why."""
    import optuna

    folder = tmp_path / "results" / "main"
    folder.mkdir(parents=True)
    shutil.copy(sweeps / "results" / "main" / "sweep.journal", folder / "sweep.journal")
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(folder / "sweep.journal")))
    optuna.load_study(study_name="main:evil:rnn:clip_norm:final", storage=storage).ask()  # RUNNING
    spec_study = optuna.load_study(study_name="main:spec", storage=storage)
    spec_study.set_user_attr("spec", {**spec_study.user_attrs["spec"], "refused": {"ce:gru:chrono_init": EVIL}})
    done = cli("report", "main", "--format", "terminal", "--format", "md,json", cwd=tmp_path, timeout=600,
               check=True)
    document = json.loads((folder / "results.json").read_text())
    assert document["partial"] is True and document["unfinished"] == ["evil:rnn:clip_norm"]
    assert document["refused"] == [{"arm": "ce:gru:chrono_init", "reason": EVIL}]
    assert "PARTIAL" in done.stdout
    markdown = (folder / "report.md").read_text()
    assert "Partial report" in markdown and "ce:gru:chrono\\_init" in markdown
    assert EVIL not in markdown and "&lt;script&gt;" in markdown
    assert not (folder / "report.html").exists()  # only the formats asked for


def test_password_never_appears_on_an_unreachable_database(tmp_path, cli):
    url = "postgresql://lossbench:hunter2secret@127.0.0.1:1/nowhere"
    done = cli("report", "x", "--storage", url, cwd=tmp_path, timeout=600)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "hunter2secret" not in done.stdout + done.stderr and "lossbench:***@127.0.0.1" in done.stderr


@pytest.mark.slow
def test_password_is_masked_in_every_output_of_a_database_sweep(tmp_path, cli, postgres_url):
    url = postgres_url.replace("postgres@", "postgres:hunter2secret@")  # trust auth: any password is accepted
    cli("run", "--name", "pw", "--storage", url, *TINY, "--loss", "ce", "--cell", "rnn",
        "--remedies", "none", "--trials", "1", "--seeds", "1", "--epochs", "1",
        cwd=tmp_path, timeout=600, check=True)
    done = cli("report", "pw", "--storage", url, cwd=tmp_path, timeout=600, check=True)
    folder = tmp_path / "results" / "pw"
    assert (folder / "report.html").exists()
    everything = all_text(folder) + done.stdout + done.stderr
    assert "hunter2secret" not in everything and "postgres:***@" in everything


@pytest.mark.slow
def test_unknown_sweep_and_bad_format_exit_2_with_one_message(sweeps, tmp_path, cli):
    done = cli("report", "nosuch", cwd=sweeps, timeout=600)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "nosuch" in done.stderr
    done = cli("report", "main", "--out", str(tmp_path), cwd=sweeps, timeout=600)  # no journal there
    assert done.returncode == 2 and "no sweep storage" in done.stderr
    done = cli("report", "main", "--format", "pdf", cwd=sweeps, timeout=600)
    assert done.returncode == 2 and "unknown report format 'pdf'" in done.stderr
    done = cli("report", "main", "--test", "anova", cwd=sweeps, timeout=600)
    assert done.returncode == 2 and "wilcoxon or t" in done.stderr


@pytest.mark.slow
def test_baseline_and_wilcoxon_are_settable(sweeps, tmp_path):
    from lossbench import load_sweep
    from lossbench.report import write

    paths = write(load_sweep("main", storage=sweeps / "results" / "main" / "sweep.journal"), ["json"], folder=tmp_path,
                  baseline="evil:rnn:none", test="wilcoxon")
    document = json.loads(paths["json"].read_text())
    against = [c for c in document["comparisons"] if c["factor"] is None]
    assert document["test"] == "wilcoxon" and {c["baseline"] for c in against} == {"evil:rnn:none"}
    assert {(c["factor"], c["arm"], c["baseline"]) for c in document["comparisons"] if c["factor"]} == {
        ("loss", "evil", "ce"), ("remedies", "clip_norm", "none")}  # levels: the later against the earlier
    assert all(c["effect_name"] == "rank-biserial r" for c in document["comparisons"])
    assert not (tmp_path / "report.html").exists()


def test_a_baseline_matching_no_arm_is_an_error():
    from lossbench.errors import LossbenchError
    from lossbench.results.baseline import family_pairs

    arms = [(f"{loss}:rnn:none", "rnn") for loss in ("ce", "focal")]
    spec = {"losses": ["ce", "focal"], "remedy_sets": [[]]}
    assert family_pairs(spec, arms, "focal") == [("ce:rnn:none", "focal:rnn:none")]
    with pytest.raises(LossbenchError, match="nosuch"):
        family_pairs(spec, arms, "nosuch")  # a typo must not silently drop every comparison
    with pytest.raises(LossbenchError, match="ce:gru:none"):
        family_pairs(spec, arms, "ce:gru:none")


@pytest.mark.slow
def test_the_report_reads_storage_only(sweeps, tmp_path):
    """Layering: building a report never imports the engine, the sweep, the CLI or torch."""
    code = ("import sys\nfrom lossbench.report import write\n"
            f"write('main', ['all'], out={str(sweeps / 'results')!r}, folder={str(tmp_path)!r})\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'torch' or m.startswith("
            "('lossbench.engine', 'lossbench.sweep', 'lossbench.cli')))\nassert not bad, bad\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "report.html").exists()
