"""A report written again with the same content (a finished sweep resumed, `lossbench report` twice) reuses the
plots it drew last time (``report.plot_cache``); any change to the report, or to a plot's file, draws them again.
The report reads the same either way."""

from __future__ import annotations

import json
import re
from pathlib import Path

from stored import store_journal

from lossbench import report
from lossbench.report.plot_cache import MANIFEST


def written(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Each PNG of the report's plots: (inode, bytes). A file written again (atomically) gets a new inode."""
    return {p.name: (p.stat().st_ino, p.read_bytes()) for p in sorted((folder / "plots").glob("*.png"))}


def without_time(text: str) -> str:
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "TIME", text)


def test_a_report_written_again_unchanged_reuses_its_plots_and_reads_the_same(tmp_path):
    folder = store_journal(tmp_path).parent
    report.write("kept", ["md", "html"], out=tmp_path)
    first, html = written(folder), (folder / "report.html").read_text()
    assert first and json.loads((folder / "plots" / MANIFEST).read_text())["plots"]
    report.write("kept", ["md", "html"], out=tmp_path)
    assert written(folder) == first  # the same files, not drawn and written again
    assert without_time((folder / "report.html").read_text()) == without_time(html)
    (folder / "plots" / MANIFEST).unlink()  # no record of what was drawn: drawn again, to the same pixels
    report.write("kept", ["md", "html"], out=tmp_path)
    again = written(folder)
    assert {name: png for name, (_, png) in again.items()} == {name: png for name, (_, png) in first.items()}
    assert all(again[name][0] != first[name][0] for name in first)
    assert without_time((folder / "report.html").read_text()) == without_time(html)


def test_a_changed_report_or_a_changed_plot_file_draws_the_plots_again(tmp_path):
    folder = store_journal(tmp_path).parent
    report.write("kept", ["md"], out=tmp_path)
    first = written(folder)
    damaged = folder / "plots" / "accuracy.png"
    damaged.write_bytes(damaged.read_bytes()[:100])  # a plot file changed since: not the one drawn
    report.write("kept", ["md"], out=tmp_path)
    assert damaged.read_bytes() == first["accuracy.png"][1]
    drawn = written(folder)
    assert all(drawn[name][0] != first[name][0] for name in first if name != "accuracy.png")
    key = json.loads((folder / "plots" / MANIFEST).read_text())["key"]
    report.write("kept", ["md"], out=tmp_path, test="wilcoxon")  # another report of the same sweep
    rebased = written(folder)
    assert all(rebased[name][0] != drawn[name][0] for name in drawn)
    assert json.loads((folder / "plots" / MANIFEST).read_text())["key"] != key


REPORT_AGAIN = """
import json, sys
from lossbench import report
paths = report.write("kept", ["json"], out=sys.argv[1])
print(json.dumps({"sklearn": "sklearn" in sys.modules}))
"""


def importances(folder: Path) -> dict[str, dict[str, float] | None]:
    return {arm["arm"]: arm["importances"] for arm in json.loads((folder / "results.json").read_text())["leaderboard"]}


def test_importances_are_computed_once_per_arm_s_completed_trials_and_read_back_the_same(tmp_path):
    import subprocess
    import sys

    import optuna

    from lossbench.report.importance import REMEMBERED
    from lossbench.results import open_storage

    gamma = optuna.distributions.FloatDistribution(0.0, 5.0)
    journal = store_journal(tmp_path, losses=("focal",), trials=4, space={"focal.gamma": gamma})
    folder = journal.parent
    report.write("kept", ["json"], out=tmp_path)
    computed = importances(folder)
    assert set(computed["focal:rnn:none"]) == {"lr", "focal.gamma"}
    remembered = json.loads((folder / REMEMBERED).read_text())
    assert remembered["focal:rnn:none"]["importances"] == computed["focal:rnn:none"]

    again = subprocess.run([sys.executable, "-c", REPORT_AGAIN, str(tmp_path)], capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout.strip().splitlines()[-1]) == {"sklearn": False}  # optuna.importance not imported
    assert importances(folder) == computed

    tune = optuna.load_study(study_name="kept:focal:rnn:none:tune", storage=open_storage(journal, create=True))
    tune.add_trial(optuna.trial.create_trial(params={"lr": 0.02, "focal.gamma": 4.0},
                                             distributions={"lr": tune.trials[0].distributions["lr"],
                                                            "focal.gamma": gamma}, value=0.1))
    report.write("kept", ["json"], out=tmp_path)  # another trial completed: computed again from all five
    assert json.loads((folder / REMEMBERED).read_text())["focal:rnn:none"]["digest"] != remembered[
        "focal:rnn:none"]["digest"]
