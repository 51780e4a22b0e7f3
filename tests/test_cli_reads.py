"""The command line reads right: flags shown as flags, usage lines without doubled brackets, the sweep flags'
defaults, help and terminal tables at the terminal's width, and a live display whose time left is steady."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from sweeps import SEEDS, arm, converged_curve, report_of, run_result, sweep

from lossbench.cli.progress import Countdown, render
from lossbench.results import Progress

READINGS = Path(__file__).parent / "progress_readings.json"  # benchmarks/record_progress.py, a real sweep's


def help_of(cli, *command: str, columns: int = 100) -> str:
    done = cli(*command, "--help", env={"COLUMNS": str(columns)})
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("command", ["run", "report", "check", "new-plugin", "list", "plugins", "train"])
def test_flags_show_no_type_and_usage_lines_no_doubled_brackets(cli, command):
    text = help_of(cli, command)
    assert "<bool>" not in text, text
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "[[" not in usage and "{" not in usage, usage
    for flag in ("--help", *(["--quiet", "--json"] if command == "run" else [])):
        line = next(line for line in text.splitlines() if f" {flag} " in line)
        assert re.search(rf"{flag}\s+[A-Z]", line), line  # straight on to its help: no type between


def test_run_s_usage_and_its_defaults(cli):
    text = " ".join(help_of(cli, "run", columns=200).split())
    assert "lossbench run [OPTIONS] [SPEC.toml|NAME] " in text
    assert "lossbench report [OPTIONS] NAME " in " ".join(help_of(cli, "report").split())
    for flag in ("trials", "epochs", "patience", "seeds", "dataset", "sampler", "pruner", "objective"):
        shown = re.search(rf"--{flag} .*?\[default: \((.*?)\)\]", text)
        assert shown, flag


def test_the_defaults_shown_are_those_a_run_gets():
    """run_cmd.DEFAULTS is written out (importing the sweep would slow every command): it must say what
    SweepSpec's defaults and the quickstart preset are."""
    from lossbench.cli.run_cmd import DEFAULTS
    from lossbench.sweep.presets import PRESETS
    from lossbench.sweep.spec import SweepSpec

    plain, quick = SweepSpec(), PRESETS["quickstart"].spec
    for field, shown in DEFAULTS.items():
        assert f"else {getattr(plain, field)}" in shown, (field, shown)
        value = "auto" if field == "seeds" and quick.race else getattr(quick, field)
        assert (f"quickstart {value}" in shown) == (value != getattr(plain, field)), (field, shown)
    assert f"at most {quick.seeds}" in DEFAULTS["seeds"]


def test_a_value_given_to_a_flag_is_not_read_as_the_spec_file(cli, tmp_path):
    done = cli("run", "--quiet", "true", cwd=tmp_path)
    assert done.returncode == 2 and "'true' is not a spec file: --quiet and --json are flags" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "results").exists()


@pytest.mark.parametrize("command", ["check", "new-plugin"])
def test_help_is_wrapped_at_the_terminal_s_width(cli, command):
    wide, narrow = help_of(cli, command, columns=200), help_of(cli, command, columns=80)
    summary = [line for line in wide.splitlines() if line.strip()][1]  # the line after the usage
    assert len(summary.strip()) > 100 and summary.strip().endswith("."), summary  # one line: no early break
    assert max(len(line) for line in narrow.splitlines()) <= 80


def made_report():
    keys = ["ce:gru:none", "focal:gru:clip_norm+orthogonal_init", "label_smoothing:lstm:clip_norm",
            "ce:rnn:orthogonal_init"]
    arms = [arm(key, {s: run_result(converged_curve(0.8 - 0.1 * i, seed_offset=j / 100), 0.8 - 0.1 * i + j / 100,
                                    seed=s) for j, s in enumerate(SEEDS)}) for i, key in enumerate(keys)]
    return report_of(sweep(arms)), keys


def terminal_text(report, width: int) -> str:
    from rich.console import Console

    from lossbench.report.terminal import render_terminal

    buffer = io.StringIO()
    render_terminal(report, Console(file=buffer, width=width, color_system=None))
    return buffer.getvalue()


def test_terminal_tables_use_the_terminal_s_width_and_still_read_at_80_columns():
    report, keys = made_report()
    wide = terminal_text(report, 160)
    board = wide[wide.index("Leaderboard"):wide.index("Calibration and NLL")]
    assert max(len(line.rstrip()) for line in wide.splitlines()) > 100
    for key in keys:  # every arm's name whole on one line of the leaderboard, where there is room
        assert re.search(rf"^\s+\d\s+{re.escape(key)}\s", board, flags=re.MULTILINE), board
    narrow = terminal_text(report, 80)
    assert max(len(line) for line in narrow.splitlines()) <= 80
    board = narrow[narrow.index("Leaderboard"):narrow.index("Calibration and NLL")]
    for a in report.arms:  # numbers are never cut: every mean and interval appears whole
        assert f"{a.acc_mean:.3f} ± {a.acc_std:.3f}" in board and f"[{a.acc_ci[0]:.3f}, {a.acc_ci[1]:.3f}]" in board
    names = [line.split()[1] for line in board.splitlines() if re.match(r"^\s+\d\s", line)]
    assert len(names) == len(keys) and all(len(n) <= 20 for n in names)  # broken at their parts, not cut


def replay() -> tuple[list[dict], list[float | None], float]:
    """The recorded readings, what the display shows after each, and when training ended."""
    recorded = json.loads(READINGS.read_text())
    countdown = Countdown()
    shown = [countdown.update(Progress("recorded", elapsed=r["elapsed"], epochs_left=r["epochs_left"],
                                       epoch_seconds=r["epoch_seconds"], workers=r["workers"]))
             for r in recorded["readings"]]
    return recorded["readings"], shown, recorded["ended"]


def steady(readings: list[dict], shown: list[float | None], ended: float) -> list[str]:
    """What is wrong with these estimates: far from the time truly left (more than 40% of it and 5 s), or rising
    between two readings by more than 15% of itself and 1 s (a swing)."""
    problems = []
    for reading, left, before in zip(readings, shown, [None, *shown]):
        true = ended - reading["elapsed"]
        if left is not None and abs(left - true) > 0.4 * true + 5:
            problems.append(f"at {reading['elapsed']:.0f} s: {left:.0f} s left shown, {true:.0f} s true")
        if left is not None and before is not None and left - before > 0.15 * before + 1:
            problems.append(f"at {reading['elapsed']:.0f} s: from {before:.0f} s left up to {left:.0f} s")
    return problems


def test_the_time_left_is_steady_on_a_recorded_sweep_and_says_when_it_cannot_estimate():
    readings, shown, ended = replay()
    assert len(readings) > 30
    first = next(i for i, left in enumerate(shown) if left is not None)
    assert first > 0 and all(r["runs_done"] <= r["workers"] * 2 for r in readings[:first])  # nothing measured yet
    assert not steady(readings, shown, ended), steady(readings, shown, ended)
    assert shown[-1] == 0
    # the estimate it replaces (elapsed x runs left / runs done) fails the same check on the same readings
    old = [r["elapsed"] * (1 - r["fraction"]) / r["fraction"] if r["fraction"] else None for r in readings]
    assert steady(readings, old, ended)


def test_the_live_display_counts_arms_tuned_and_done_and_says_when_it_cannot_estimate():
    from rich.console import Console

    def text(progress: Progress, left: float | None) -> str:
        console = Console(record=True, width=200, file=io.StringIO())
        console.print(render(progress, left))
        return " ".join(console.export_text().split())

    progress = Progress("s", arms=8, arms_tuned=3, arms_done=1, trials_total=40, trials_done=17, finals_total=24,
                        finals_done=2, elapsed=300.0)
    assert "arms 3/8 tuned, 1/8 done (phases 4/16)" in text(progress, None)
    assert "cannot estimate yet" in text(progress, None)
    progress.epoch_seconds = 0.62
    assert "about 8 min left (0.6s per epoch measured)" in text(progress, 480.0)
