"""The answer first (report.answer), the tiers (report.tiers), merged findings, the chance margin, the decision plot
and the layout fixes: on stored-sweep data shaped by ``sweeps`` (nothing trains), and on real small sweeps
(marked slow: the quickstart preset shrunk with overrides, since these tests are about the report's shape; a
4-arm sweep of a plugin loss and cell; a one-epoch sweep at chance)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from sweeps import SEEDS, arm, converged_curve, report_of, run_result, sweep

from lossbench.report import compact, tables
from lossbench.report.answer import MAX_SENTENCES, MAX_WORDS
from lossbench.decisions import SEEDS_WORTH
from lossbench.report.html import render_html
from lossbench.report.markdown import render_markdown
from lossbench.report.terminal import name_lines, render_terminal
from lossbench.report.tiers import tiers
from lossbench.decisions import Verdict as Decision

LONG = "focal:gru:clip_norm+orthogonal_init"


def words(sentences: list[str]) -> int:
    return sum(len(s.split()) for s in sentences)


def terminal(report_model, width: int = 250, plots: Path | None = None) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width)
    render_terminal(report_model, console, plots)
    return console.file.getvalue()


def settled(means: dict[str, tuple[float, float, float]], **spec) -> object:
    """A sweep of plateaued arms: key -> its three seeds' test accuracies."""
    return sweep([arm(key, {s: run_result(converged_curve(a), a, seed=s) for s, a in zip(SEEDS, values)})
                  for key, values in means.items()], **spec)


def three_cells() -> object:
    """gru and lstm tie far above rnn: decided gru > rnn and lstm > rnn, gru against lstm not separated."""
    return settled({"ce:gru:none": (0.95, 0.96, 0.955), "ce:lstm:none": (0.951, 0.958, 0.956),
                    "ce:rnn:none": (0.60, 0.62, 0.58)})


def decision(kind: str, arm_: str, other: str) -> Decision:
    return Decision(kind, arm_, other, "cell", ("a", "b"), "test_accuracy", 0.1, (0.05, 0.15), 0.95, 0.01, 3, "t", "")


# -- words: levels, the race's end, the advised command --------------------------------------------------------------


@pytest.mark.parametrize("value, words", [(0.95, "95%"), (0.994, "99.4%"), (0.99957, "99.96%"),
                                          (0.999996, "99.9996%"), (0.9999999, "> 99.9999%"),
                                          (1.0, "100%")])
def test_a_confidence_level_below_1_never_reads_100_percent(value, words):
    """Holm's level for the first of 16 pairs at a race's 0.05 / 7 is 99.955%: rounded to one decimal it read
    "100% interval", which no interval is."""
    from lossbench.report import fmt

    assert fmt.level(value) == words


def test_a_race_that_stopped_before_its_most_seeds_does_not_say_the_maximum_was_reached():
    """The quickstart's race stops at 5 of at most 7 seeds when no open pair is within reach: 'the maximum was
    reached' would be false there."""
    from types import SimpleNamespace

    from lossbench.report.outline import _race_end
    from lossbench.results import RaceRecord

    spec = SimpleNamespace(seeds=7, max_epochs=200)
    ended = {"seeds": 5, "looks": [{"seeds": 5, "open": {"a vs b": "within the noise"}}]}
    assert _race_end(RaceRecord.parse(ended), spec) == ("no comparison still open could be decided within its most "
                                                        "seeds and epochs (the decision table says why of each).")
    assert "not ended" in _race_end(RaceRecord.parse({**ended, "over": False}), spec)
    assert "decided within" in _race_end(RaceRecord.parse(ended), SimpleNamespace(seeds=None, max_epochs=None))
    assert "maximum was reached" in _race_end(RaceRecord.parse({**ended, "seeds": 7}), spec)
    assert _race_end(RaceRecord.parse({"seeds": 3, "looks": [{"seeds": 3, "open": {}}]}), spec) == \
        "every comparison was decided."


def test_the_command_is_offered_for_the_pairs_of_arms_it_decides_not_for_a_factor_it_does_not_race():
    """The advice raises seeds for pairs of arms only (the race gives a factor's levels no seeds of their own): an
    open factor within reach is counted among what more seeds would decide, not among what the command decides."""
    from types import SimpleNamespace

    from lossbench.report.answer import _open

    def pair(arm: str, seeds: int, scope: str = "arms") -> SimpleNamespace:
        return SimpleNamespace(arm=arm, other="b", scope=scope, needs_seeds=seeds, needs_epochs=None, minutes=1.0)

    found = _open([pair("a", 15), pair("c", 23), pair("remedies", 29, scope="levels")], "lossbench run x --seeds 23")
    assert "more seeds would decide 3" in found and "to decide the 2 pairs of arms within reach" in found
    assert "to decide them" in _open([pair("a", 15), pair("c", 23)], "lossbench run x --seeds 23")


# -- tiers ----------------------------------------------------------------------------------------------------------


def test_tiers_follow_only_decided_comparisons():
    arms = ["a", "b", "c", "d"]
    assert tiers(arms, []) == dict.fromkeys(arms, 1)  # nothing decided: one tier
    ranked = tiers(arms, [decision("better", "a", "b"), decision("worse", "c", "b"), decision("open", "d", "a"),
                          decision("equivalent", "a", "d")])
    assert ranked == {"a": 1, "d": 1, "b": 2, "c": 3}  # a chain of decided comparisons; open and ties separate nothing
    cycle = tiers(["x", "y", "z"], [decision("better", "x", "y"), decision("better", "y", "z"),
                                    decision("better", "z", "x")])
    assert cycle == dict.fromkeys(["x", "y", "z"], 1)  # contradicting decisions: one tier, never a loop


def test_the_leaderboard_shows_the_tier_and_is_ordered_by_it():
    report = report_of(three_cells())
    assert sum(1 for d in report.decisions if d.kind in ("better", "worse")) == 2
    assert report.tiers == {"ce:gru:none": 1, "ce:lstm:none": 1, "ce:rnn:none": 2}
    headers, rows = tables.leaderboard(report)
    assert headers[0] == "tier" and [(r[0], r[1]) for r in rows][-1] == ("2", "ce:rnn:none")
    assert [r[0] for r in compact.leaderboard(report)[2]] == ["1", "1", "2"]
    from lossbench.report.export import results_json

    document = json.loads(results_json(report))
    assert {r["arm"]: r["tier"] for r in document["leaderboard"]} == report.tiers
    assert document["answer"] == report.answer


# -- the answer -----------------------------------------------------------------------------------------------------


def test_the_answer_states_what_is_decided_by_how_much_from_the_decisions():
    report = report_of(three_cells())
    answer = report.answer
    assert len(answer) <= MAX_SENTENCES and words(answer) <= MAX_WORDS
    assert answer[0] == ("Top tier (2 arms not yet separated from each other, which is not a tie): ce:gru:none 0.955, "
                         "ce:lstm:none 0.955.")
    biggest = max((d for d in report.decisions if d.kind in ("better", "worse")), key=lambda d: abs(d.difference))
    low, high = sorted(abs(v) for v in biggest.interval)
    winner, loser = (biggest.arm, biggest.other) if biggest.kind == "better" else (biggest.other, biggest.arm)
    assert (f"Decided: {winner} beats {loser} by {abs(biggest.difference):.3f} test accuracy "
            f"({biggest.level:.1%} interval {low:.3f} to {high:.3f})".replace(".0%", "%")) in answer[1]
    # the answer leads every output
    assert render_markdown(report, []).index("## Answer") < render_markdown(report, []).index("## Findings")
    assert terminal(report).index("Answer") < terminal(report).index("Findings")
    assert '<p class="answer">Top tier' in render_html(report, [])


def test_an_open_comparison_says_what_would_decide_it():
    near = {"ce:gru:none": (0.90, 0.91, 0.92), "focal:gru:none": (0.95, 0.92, 0.97)}
    report = report_of(settled(near))
    [d] = report.decisions
    assert d.kind == "open" and d.needs_seeds is not None and d.needs_seeds <= SEEDS_WORTH
    assert report.answer[-1].startswith(f"Open: 1 comparison; more seeds would decide 1 (the nearest, {d.arm} against "
                                        f"{d.other}, at about {d.needs_seeds} seeds, ")
    assert "on this machine" in report.answer[-1] or "min" in report.answer[-1]


def test_a_pair_needing_more_seeds_than_worth_offering_is_within_the_noise_not_decided_by_more_seeds():
    noisy = {"ce:gru:none": (0.90, 0.91, 0.92), "focal:gru:none": (0.93, 0.88, 0.95)}
    report = report_of(settled(noisy))
    [d] = report.decisions
    assert d.kind == "open" and d.needs_seeds > SEEDS_WORTH
    assert report.answer[0] == ("No arm is yet separated from another: no comparison is decided, so the 2 arms' means "
                                "(from ce:gru:none's 0.910 to focal:gru:none's 0.920) rank nothing yet.")
    assert "tier" not in report.answer[0]  # never one tier of equals
    assert report.answer[-1] == (f"Open: 1 comparison; 1 within the noise (each would need more than {SEEDS_WORTH} "
                                 f"seeds; the nearest about {d.needs_seeds}).")  # no time, no command for it


def test_the_answer_keeps_to_its_limits_with_many_long_named_arms():
    keys = [f"{loss}:{cell}:{remedy}" for loss in ("focal_with_a_long_name", "ce") for cell in ("gru", "rnn", "lstm")
            for remedy in ("none", "clip_norm+orthogonal_init")]
    report = report_of(settled({k: (0.5 + 0.07 * i, 0.51 + 0.07 * i, 0.49 + 0.07 * i) for i, k in enumerate(keys)}))
    assert len(report.answer) <= MAX_SENTENCES and words(report.answer) <= MAX_WORDS
    assert sum(1 for d in report.decisions if d.decided) > 2


# -- nothing said that the numbers cannot mean ----------------------------------------------------------------------


def chance_sweep(classes: int | None) -> object:
    """ce at 0.11 (10 classes: chance 0.1) calibrated at ECE 0.013; focal trained, ECE 0.12."""
    ce = {s: run_result(converged_curve(0.11), 0.11, ece=0.013, confidence=0.12, seed=s) for s in SEEDS}
    focal = {s: run_result(converged_curve(0.9), 0.9, ece=0.12, confidence=0.78, seed=s) for s in SEEDS}
    data = sweep([arm("ce:gru:none", ce), arm("focal:gru:none", focal)])
    if classes is not None:
        data.provenance["dataset_info"] = {"num_classes": classes}
    return data


def test_no_calibration_is_read_for_an_arm_at_chance():
    report = report_of(chance_sweep(10))
    assert report.chance == pytest.approx(0.1) and report.at_chance(report.arm("ce:gru:none"))
    [group] = [g for title, g in report.finding_groups if title == "Calibration"]
    assert "No calibration is read for ce:gru:none: within 0.05 of chance accuracy (0.100)" in group[0]
    assert not any("ce:gru:none 0.013" in s or "calibrated than ce:gru:none" in s or "than ce:gru:none, ECE" in s
                   for s in group)
    assert "focal:gru:none 0.120" in group[0]
    # without a stored class count (older sweeps) chance is unknown, and the calibration is read as before
    unknown = report_of(chance_sweep(None))
    assert unknown.chance is None and "ce:gru:none 0.013" in "\n".join(unknown.findings)


def test_an_interval_that_excludes_zero_beside_a_test_that_is_not_significant_says_why():
    """Three pairs, all +0.05ish: the t interval excludes 0 while Wilcoxon's smallest p over 3 pairs is 0.25."""
    data = settled({"ce:gru:none": (0.90, 0.91, 0.92), "focal:gru:none": (0.95, 0.965, 0.968)})
    report = report_of(data, test="wilcoxon")
    [c] = report.comparisons
    assert not c.decided and c.interval[0] > 0
    words_ = "\n".join(report.findings)
    assert "there is no contradiction: the interval is a t interval for that pair" in words_
    row = next(r for r in tables.comparisons(report)[1] if r[0] == "focal:gru:none")
    assert "excludes 0, but the Wilcoxon test, Holm-adjusted over the family, is not significant" in row[-1]


# -- findings grouped, one sentence per shape --------------------------------------------------------------------


def test_findings_are_grouped_and_sentences_of_one_shape_merged():
    unstable = {s: run_result(converged_curve(a), a, seed=s) for s, a in zip(SEEDS, (0.3, 0.6, 0.9))}
    data = sweep([arm("ce:gru:none", {s: run_result(converged_curve(0.9), 0.9, seed=s) for s in SEEDS}),
                  arm("ce:rnn:none", unstable), arm("focal:rnn:none", dict(unstable)),
                  arm("focal:gru:none", dict(unstable))])
    report = report_of(data)
    titles = [t for t, _ in report.finding_groups]
    assert titles[0] == "Accuracy and ranking" and "Robustness: learning rate, seeds, tuning gap" in titles
    disagree = [s for s in report.findings if "seeds disagree" in s]
    assert len(disagree) == 1 and all(k in disagree[0] for k in ("ce:rnn:none", "focal:rnn:none", "focal:gru:none"))
    html = render_html(report, [])
    assert html.count("<details>") == len(report.finding_groups)
    assert "<summary><strong>Accuracy and ranking</strong>" in html


# -- layout: names never cut, labelled columns, the factorial's labels ---------------------------------------------


def long_names() -> object:
    return settled({LONG: (0.9, 0.91, 0.92), "ce:gru:clip_norm+orthogonal_init": (0.6, 0.61, 0.62),
                    "ce:gru:none": (0.5, 0.52, 0.51), "focal:gru:none": (0.55, 0.56, 0.57)})


@pytest.mark.parametrize("width", [80, 120])
def test_the_terminal_leaderboard_never_cuts_an_arm_name(width):
    report = report_of(long_names())
    printed = terminal(report, width)
    board = printed[printed.index("Leaderboard"):printed.index("Calibration and NLL")]
    assert all(len(line) <= width for line in board.splitlines())
    names = [line[8:].split()[0] for line in board.splitlines()[4:] if line.strip() and len(line) > 8
             and line[8:].strip()]
    for key in [a.key for a in report.arms]:  # every name is there, whole or in whole parts on consecutive lines
        parts = name_lines(key)
        assert key in names or all(part in names for part in parts), (key, names)
    assert "0.910 ± 0.010" in board  # numbers are never cut either


def test_name_lines_break_only_after_separators():
    assert name_lines("ce:gru:none") == ["ce:gru:none"]
    assert name_lines(LONG) == ["focal:gru:", "clip_norm+", "orthogonal_init"]
    assert "".join(name_lines(LONG)) == LONG


def test_html_names_break_only_at_separators_and_columns_are_labelled():
    report = report_of(long_names())
    html = render_html(report, [])
    assert '<td class="name">focal:<wbr>gru:<wbr>clip_norm+<wbr>orthogonal_init</td>' in html
    assert "word-break: break-word" not in html and "td.name { text-align: left; overflow-wrap: normal;" in html
    headers = tables.gradients(report)[0]
    assert "mean grad norm, first training step" in headers and "last training step" in headers
    assert any("first / last time step" in h for h in headers)
    assert any(h.startswith("converged (gain: best validation accuracy") for h in tables.leaderboard(report)[0])


def test_factorial_labels_do_not_overlap_with_long_names():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from lossbench.report.plots import heatmap_figure

    keys = [f"{loss}:{cell}:{remedy}" for loss in ("ce", "focal_label_smoothing_mix") for cell in ("gru", "rnn")
            for remedy in ("none", "clip_norm+orthogonal_init+weight_noise")]
    report = report_of(settled({k: (0.6, 0.61, 0.62) for k in keys}))
    fig = heatmap_figure(report)
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for ax in fig.axes for t in
             [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.title] if t.get_visible() and t.get_text()]
    assert len(boxes) > 8
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (a, b)
    width, height = fig.get_size_inches() * fig.dpi
    assert all(b.x0 >= 0 and b.y0 >= 0 and b.x1 <= width and b.y1 <= height for b in boxes)  # nothing cut off


def test_the_decision_plot_and_the_curves_marks_are_drawn():
    from lossbench.report.plots import make_plots

    report = report_of(three_cells())
    plots = {p.name: p for p in make_plots(report)}
    assert plots["decisions"].section == "answer" and plots["decisions"].png.startswith(b"\x89PNG")
    assert "curves_gru" in plots
    assert "![Decisions: each comparison's difference and interval](plots/decisions.png)" in \
        render_markdown(report, list(plots.values()))
    assert 'alt="Decisions: each comparison' in render_html(report, list(plots.values()))
    assert "decisions.png" in terminal(report, plots=Path("results/made/plots"))


# -- real sweeps ------------------------------------------------------------------------------------------------


def answer_and_bullets(report_md: str) -> tuple[list[str], int]:
    answer = report_md.split("## Answer\n", 1)[1].split("\n\n", 1)[0].strip()
    sentences = [s for s in re.split(r"(?<=[.])\s+(?=[A-Z])", answer) if s]
    findings = report_md.split("## Findings\n", 1)[1].split("\n## ", 1)[0]
    return sentences, sum(1 for line in findings.splitlines() if line.startswith("- "))


def check_shape(folder: Path) -> dict:
    report_md = (folder / "report.md").read_text()
    sentences, bullets = answer_and_bullets(report_md)
    document = json.loads((folder / "results.json").read_text())
    assert 1 <= len(sentences) <= MAX_SENTENCES and len(" ".join(sentences).split()) <= MAX_WORDS, sentences
    assert len(document["answer"]) == len(sentences) and words(document["answer"]) <= MAX_WORDS
    assert bullets <= 12, bullets
    assert (folder / "plots" / "decisions.png").exists() and "plots/decisions.png" in report_md
    assert 'alt="Decisions: each comparison' in (folder / "report.html").read_text()
    return document


@pytest.mark.slow
def test_the_quickstart_report_leads_with_a_short_answer(cli, tmp_path):
    """The quickstart preset, shrunk (4 epochs raced up to 8, 2 trials, 3 seeds, hidden 8): the report's shape, not its
    numbers. With stderr redirected, the list of outputs starts on its own line after the progress display."""
    done = cli("run", "--preset", "quickstart", "--epochs", "4", "--max-epochs", "8", "--trials", "2", "--seeds", "3",
               "--set", "hidden=8", cwd=tmp_path, timeout=900, check=True)
    check_shape(tmp_path / "results" / "quickstart")
    assert re.search(r"^plots: ", done.stderr, re.MULTILINE), done.stderr[-500:]
    assert "decisions.png" in done.stdout  # the terminal names the plots


PLUGIN = '''
import torch
import torch.nn.functional as F
from lossbench import CellSpec, LossSpec, hookimpl

__version__ = "0.3.1"


def build_poly(**_):
    def loss(logits, target):
        ce = F.cross_entropy(logits, target, reduction="none")
        return (ce + (1 - torch.exp(-ce))).mean()
    return loss


def build_own_gru(input_size, hidden_size):
    class Layer(torch.nn.GRU):
        def forward(self, x):
            return super().forward(x)[0]
    return Layer(input_size, hidden_size, batch_first=True)


@hookimpl
def register_losses(register):
    register(LossSpec(name="polyloss_own", summary="poly-1 loss", space={}, defaults={}, build=build_poly,
                      targets=frozenset({"multiclass"})))


@hookimpl
def register_cells(register):
    register(CellSpec(name="own_gru", summary="a GRU of its own", build=build_own_gru, gates=("r", "z", "n")))
'''


@pytest.mark.slow
def test_a_plugin_authors_four_arm_sweep_reads_in_thirty_seconds(cli, tmp_path):
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "own_plugin.py").write_text(PLUGIN)
    cli("--plugins-dir", "plugins", "run", "--name", "own", "--dataset", "digits", "--set", "hidden=8",
        "--epochs", "3", "--quiet", "--loss", "ce", "--loss", "polyloss_own", "--cell", "gru", "--cell", "own_gru",
        "--remedies", "none", "--trials", "1", "--seeds", "3", cwd=tmp_path, timeout=900, check=True)
    document = check_shape(tmp_path / "results" / "own")
    assert len(document["leaderboard"]) == 4 and all(r["tier"] for r in document["leaderboard"])
    for width in (80, 120):
        done = cli("--plugins-dir", "plugins", "report", "own", "--format", "terminal", cwd=tmp_path, timeout=600,
                   check=True, env={"COLUMNS": str(width)})
        assert "0.3.1" in done.stdout  # the plugin's version in the terminal report
        assert "polyloss_own:own_gru:none" in done.stdout  # no arm name cut
        assert all(len(line) <= width for line in done.stdout.splitlines())


@pytest.mark.slow
def test_a_one_epoch_sweep_at_chance_reads_no_calibration(cli, tmp_path):
    cli("run", "--name", "chance", "--dataset", "digits", "--set", "hidden=8", "--set", "lr=1e-6", "--epochs", "1",
        "--quiet", "--loss", "ce", "--loss", "focal", "--cell", "gru", "--remedies", "none", "--trials", "1",
        "--seeds", "2", cwd=tmp_path, timeout=600, check=True)
    document = json.loads((tmp_path / "results" / "chance" / "results.json").read_text())
    assert document["provenance"]["dataset_info"]["num_classes"] == 10
    near = [r["arm"] for r in document["leaderboard"] if r["test_accuracy"]["mean"] <= 0.1 + 0.05]
    assert near, [r["test_accuracy"]["mean"] for r in document["leaderboard"]]  # the test means something
    [calibration] = [g["findings"] for g in document["findings_by_topic"] if g["topic"] == "Calibration"]
    said = " ".join(re.sub(r"No calibration is read for .*?: within", "", sentence) for sentence in calibration)
    assert all(key not in said for key in near), calibration  # named only where no calibration is read for it


def test_two_tied_arms_one_decidedly_faster_the_answer_says_by_how_many_epochs():
    """bce against ce on the seed preset: the same accuracy, reached in far more epochs."""
    def slow_curve(final: float) -> list[float]:  # 20 epochs of climbing, then 6 at its plateau
        return [final * (e + 1) / 21 for e in range(20)] + [final] * 6

    fast = {s: run_result(converged_curve(a, epochs=26), a, seed=s) for s, a in zip(SEEDS, (0.95, 0.951, 0.949))}
    slow = {s: run_result(slow_curve(a), a, seed=s) for s, a in zip(SEEDS, (0.951, 0.95, 0.95))}
    report = report_of(sweep([arm("ce:rnn:none", fast), arm("bce:rnn:none", slow)]))
    [tie] = report.decisions
    [faster] = report.speed
    assert tie.kind == "equivalent" and faster.kind == "better" and faster.arm == "ce:rnn:none"
    assert faster.interval[1] < 0 and faster.metric == "epochs_to_target"
    assert report.answer[-1].startswith(f"Faster, where accuracy does not separate them: ce:rnn:none trains in "
                                        f"{abs(faster.difference):.1f} fewer epochs than bce:rnn:none")
    assert any(row[3] == "faster (decided)" for row in tables.decisions(report)[1])
