"""Every preset runs at a reduced budget and reports its published claims beside this run's numbers."""

from __future__ import annotations

import json

import pytest

from lossbench.report.markdown import escape
from lossbench.sweep import PRESETS

VERDICTS = {"supported", "contradicted", "not supported at this budget",
            "not supported with this setup (it differs from the paper's)"}
SMALL = {  # the presets' own datasets, made small: this checks that each runs and reports, not what it finds
    "pascanu2013": ["--set", "temporal_order.n_train=200", "--set", "temporal_order.n_val=50",
                    "--set", "temporal_order.n_test=50"],
    "tallec2018": ["--set", "copy.n_train=200", "--set", "copy.n_val=50", "--set", "copy.n_test=50"],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_runs_at_a_reduced_budget_and_reports_its_claims(name, tmp_path, cli):
    done = cli("run", "--preset", name, "--name", f"{name}-ci", "--trials", "1", "--seeds", "2", "--epochs", "1",
               "--set", "hidden=8", *SMALL.get(name, []), "--quiet", cwd=tmp_path, timeout=900)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "results" / f"{name}-ci"
    document = json.loads((folder / "results.json").read_text())
    claims = PRESETS[name].spec.claims
    assert [c["id"] for c in document["claims"]] == [c["id"] for c in claims]
    assert all(c["verdict"] in VERDICTS and c["checks"] for c in document["claims"])
    markdown = (folder / "report.md").read_text()
    assert ("Published claims against this run" in markdown) == bool(claims)
    for claim in claims:
        assert escape(claim["published"]) in markdown
    for claim in document["claims"]:  # every output says how the setup departs from the paper's
        assert claim["departures"] == list(PRESETS[name].departures)
        assert escape(claim["departures"][0]) in markdown


def test_the_paper_budget_is_given_where_feasible_and_refused_with_why_elsewhere(tmp_path, cli):
    assert any(p.paper for p in PRESETS.values()) and any(not p.paper for p in PRESETS.values())
    for name, preset in PRESETS.items():
        if preset.paper is None:
            done = cli("run", "--preset", name, "--budget", "paper", cwd=tmp_path)
            assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
            assert f"preset {name} has no --budget paper: {preset.no_paper}" in done.stderr
