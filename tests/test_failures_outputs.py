"""Output faults tried for real (docs/failures.md F30-F32): spreadsheet formulas and escape sequences in
trials.csv, a plugin printing to stdout under --json, a loss whose value needs no gradient."""

from __future__ import annotations

import csv
import json

import pytest

from lossbench.text import FORMULA_STARTS
from test_failures import ESC, exits_as_documented, write_plugin

TINY = ["--dataset", "digits", "--cell", "rnn", "--remedies", "none", "--set", "hidden=8", "--epochs", "1",
        "--seeds", "1", "--trials", "1", "--workers", "1"]
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.mark.slow
def test_F30_trials_csv_holds_no_formula_and_no_control_character(cli, tmp_path):
    folder = write_plugin(tmp_path / "plugins", "formula", f'''
from lossbench import DataError

def build():
    raise DataError({FORMULA + " " + ESC!r})

@hookimpl
def register_losses(register):
    register(LossSpec(name="formula", summary="raises", space={{}}, defaults={{}}, build=build,
                      targets=frozenset({{"binary", "multiclass"}})))
''')
    done = cli("--plugins-dir", str(folder), "run", "--name", "=1+2", "--loss", "ce", "--loss", "formula", *TINY,
               "--quiet", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    text = (tmp_path / "results" / "=1+2" / "trials.csv").read_text()
    assert "\x1b" not in text and "\x07" not in text
    rows = list(csv.DictReader(text.splitlines()))
    cells = [cell for row in rows for cell in row.values()]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)], cells
    assert {row["sweep"] for row in rows} == {"'=1+2"}
    assert "'" + FORMULA in {row["error"].strip() for row in rows}
    assert all(float(row["value"]) >= 0 for row in rows if row["value"])  # numbers stay numbers


PRINTER = '''
import sys
print("x" * 2_000_000)  # at import
sys.stdout.write("{not json\\n")

def build():
    print("built " * 100_000)
    import torch.nn.functional as F
    return lambda logits, target: F.cross_entropy(logits, target)

@hookimpl
def register_losses(register):
    print("registering")
    register(LossSpec(name="noisy", summary="prints", space={}, defaults={}, build=build,
                      targets=frozenset({"binary", "multiclass"})))
'''


@pytest.mark.parametrize("command", [
    ["plugins", "--json"],
    ["list", "losses", "--json"],
    pytest.param(["train", "--dataset", "digits", "--cell", "rnn", "--loss", "noisy", "--hidden", "8", "--epochs", "1",
                  "--json"], marks=pytest.mark.slow),
    pytest.param(["run", "--name", "noisy", "--loss", "noisy", *TINY, "--json"], marks=pytest.mark.slow),
    ["check", "noisy", "--json"],
])
def test_F31_plugin_stdout_never_reaches_json_output(cli, tmp_path, command):
    folder = write_plugin(tmp_path / "plugins", "noisy", PRINTER)
    done = cli("--plugins-dir", str(folder), *command, cwd=tmp_path, timeout=600)
    exits_as_documented(done, "F31")
    json.loads(done.stdout)  # JSON alone
    assert "x" * 1000 in done.stderr  # what the plugin printed went to stderr


@pytest.mark.slow
def test_F32_train_with_a_loss_that_needs_no_gradient(cli, tmp_path):
    folder = write_plugin(tmp_path / "plugins", "nograd", '''
import torch

def build():
    return lambda logits, target: torch.tensor(1.0)

@hookimpl
def register_losses(register):
    register(LossSpec(name="nograd", summary="detached", space={}, defaults={}, build=build,
                      targets=frozenset({"binary", "multiclass"})))
''')
    for flow in ("--flow-profile", "--no-flow-profile"):
        done = cli("--plugins-dir", str(folder), "train", "--dataset", "digits", "--cell", "rnn", "--loss", "nograd",
                   "--hidden", "8", "--epochs", "1", flow, cwd=tmp_path)
        exits_as_documented(done, "F32")
        last = done.stderr.strip().splitlines()[-1]  # after the progress bar's last state
        assert last.startswith("error: loss nograd (plugin nograd): the loss function returned a tensor that needs "
                               "no gradient"), done.stderr
    swept = cli("--plugins-dir", str(folder), "run", "--name", "nograd", "--loss", "nograd", *TINY, "--quiet",
                cwd=tmp_path)
    assert swept.returncode == 3 and "needs no gradient" in swept.stderr, swept.stderr  # as F06b: the trial failed
