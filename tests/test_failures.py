"""The fault-and-bad-input suite: every case of docs/failures.md tried for real (real signals, a real read-only
mount, real plugins that raise, hang, exit or return NaN), each checked against the exit code the table gives.
This file holds the table's check, bad input and the helpers of every test_failures_*.py file; signals and hung
trials are in test_failures_signals.py, sweeps that end in a documented failure in test_failures_sweeps.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from lossbench.errors import LossbenchError
from lossbench.results import read_sweep

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "docs" / "failures.md"
TINY = ["--dataset", "digits", "--cell", "rnn", "--remedies", "none", "--set", "hidden=8", "--epochs", "1",
        "--seeds", "1", "--workers", "1", "--tuning", "patience"]  # as TINY_SPEC (flags alone start from the quickstart)
ESC = "\x1b]0;pwned\x07\x1b[2J"  # sets the terminal's title, clears the screen
TINY_SPEC = {"dataset": "digits", "cells": ["rnn"], "remedy_sets": [[]], "hidden": 8, "epochs": 1, "seeds": 1}


def stored_sweep(out: Path, name: str, **fields: object) -> None:
    """The sweep ``lossbench run --name NAME *TINY --loss ce ...`` stores, run by ``lossbench.sweep.run`` in this
    process (its trials in a worker process): for a test whose subject is a later start or report, not this one."""
    from lossbench import sweep

    outcome = sweep.run({"name": name, **TINY_SPEC, "losses": ["ce"], "trials": 1, **fields}, out=out, workers=1)
    assert outcome.failed == 0 and not outcome.partial, outcome


def table() -> dict[str, dict[str, str]]:
    """docs/failures.md's rows by id: case, outcome, exit, test."""
    rows = {}
    for line in TABLE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"F\d+b?", cells[0]):
            rows[cells[0]] = dict(zip(("case", "outcome", "exit", "test"), cells[1:]))
    return rows


def expected(case: str) -> list[int]:
    """The exit codes the table documents for ``case``."""
    return [int(code) for code in re.findall(r"\d+", table()[case]["exit"])]


def exits_as_documented(done: subprocess.CompletedProcess | int, case: str) -> None:
    code = done if isinstance(done, int) else done.returncode
    assert code in expected(case), (case, code, getattr(done, "stderr", ""))
    if not isinstance(done, int):
        assert "Traceback" not in done.stderr, done.stderr


def one_error_line(done: subprocess.CompletedProcess) -> str:
    """The one error line of a failed command; a full disk may also have stopped a checkpoint's write before the
    journal's, said in a warning line of its own (F45), which is not counted."""
    lines = [line for line in done.stderr.splitlines()
             if line.strip() and not line.startswith("warning: the checkpoint of trial")]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def write_plugin(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    header = "import os, time\nfrom lossbench import DatasetSpec, LossSpec, hookimpl\n"
    (folder / f"{name}.py").write_text(header + body)
    return folder


def loss_plugin(folder: Path, name: str, build_body: str, module: str | None = None) -> Path:
    """A loss plugin whose build runs ``build_body`` first, then returns cross-entropy."""
    return write_plugin(folder, module or name, f'''
def build():
    {build_body}
    import torch.nn.functional as F
    return lambda logits, target: F.cross_entropy(logits, target)

@hookimpl
def register_losses(register):
    register(LossSpec(name="{name}", summary="test loss", space={{}}, defaults={{}}, build=build,
                      targets=frozenset({{"binary", "multiclass"}})))
''')


def test_the_table_is_kept_true():
    rows = table()
    assert {f"F{i:02d}" for i in range(1, 20)} <= set(rows), sorted(rows)
    for case, row in rows.items():
        path, _, name = row["test"].partition("::")
        assert (ROOT / path).is_file() and re.search(rf"^def {name}\(", (ROOT / path).read_text(), re.M), (case, row)
        assert expected(case) or row["exit"] == "-", (case, row["exit"])
    for path in ROOT.glob("tests/test_*.py"):  # every F-test names cases of the table
        for ids in re.findall(r"^def test_((?:F\d+b?_)+)", path.read_text(), re.M):
            assert set(ids.strip("_").split("_")) <= set(rows), (path.name, ids)


@pytest.mark.parametrize("args, message", [
    (["train", "--seed", "99999999999999999999"], "seed must be an integer in [0, 4294967295]"),
    (["train", "--layers", "100000000000000000000"], "--layers must be in [1, 32]"),
    (["run", "--seeds", "99999999999999999999"], "seeds must be an integer in [1, 1000]"),
    (["run", "--workers", "99999999999999999999"], "--workers must be auto or an integer in [1, 256]"),
])
def test_F01_F02_F03_numbers_past_their_bounds(cli, tmp_path, args, message):
    done = cli(*args, "--dataset", "digits", cwd=tmp_path)
    exits_as_documented(done, "F01")
    assert message in one_error_line(done), done.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("fields, message", [  # the same checks in-process: every bound, one message each
    ({"seed": 2**32}, "seed must be an integer in [0, 4294967295], got 4294967296"),
    ({"seed": -1}, "seed must be an integer in [0, 4294967295]"),
    ({"hidden": (99999999999999,)}, "a hidden size must be an integer in [1, 16384], got 99999999999999"),
    ({"hidden": (10**20,)}, "a hidden size must be an integer in [1, 16384]"),
    ({"hidden": (8,) * 100000}, "at most 32 layers, got 100000"),
    ({"hidden": (16384,) * 32}, "GiB for weights, gradients and optimiser state (4 gates a layer)"),
    ({"epochs": 10**20}, "epochs must be an integer in [1, 100000]"),
    ({"batch_size": 10**20}, "batch size must be an integer in [1, 10000000]"),
    ({"flow_every": 10**20}, "flow_every must be an integer in [0, 100000]"),
])
def test_F01_F02_F03_a_run_s_bounds(fields, message):
    from lossbench.engine import RunConfig, resolve
    from lossbench.registry import load_registry

    with pytest.raises(LossbenchError) as error:
        resolve(RunConfig(dataset="digits", cell="rnn", **fields), load_registry())
    assert message in str(error.value)


@pytest.mark.parametrize("fields, message", [
    ({"trials": 10**20}, "trials must be an integer in [1, 10000]"),
    ({"seeds": 1001}, "seeds must be an integer in [1, 1000]"),
    ({"epochs": 10**20}, "epochs must be an integer in [1, 100000]"),
    ({"hidden": [10**20]}, "a hidden size must be an integer in [1, 16384]"),
    ({"trial_timeout": -1}, "trial_timeout must be a number of seconds in (0, 604800]"),
    ({"trial_timeout": 1e9}, "trial_timeout must be a number of seconds in (0, 604800]"),
])
def test_F01_F02_F03_a_sweep_s_bounds(fields, message):
    from lossbench.registry import load_registry
    from lossbench.sweep import build_spec
    from lossbench.sweep.validate import check

    with pytest.raises(LossbenchError) as error:
        check(build_spec({"dataset": "digits", "losses": ["ce"], "cells": ["rnn"], **fields}, {}), load_registry())
    assert message in str(error.value)


def test_F01_F02_F03_a_spec_file_past_the_bounds(cli, tmp_path):
    (tmp_path / "big.toml").write_text('dataset = "digits"\nhidden = [99999999999999999999]\n'
                                       'trials = 99999999999999999999\nseeds = 5000\n')
    done = cli("run", "big.toml", cwd=tmp_path)
    exits_as_documented(done, "F02")
    assert "(3 problems)" in done.stderr and "a hidden size must be" in done.stderr, done.stderr


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(bytes(range(256)) * 3), "is not UTF-8 text"),
    (lambda p: p.mkdir(), "is a folder"),
    (lambda p: None, "not found"),
])
def test_F04_a_spec_that_is_not_a_toml_file(cli, tmp_path, make, message):
    make(tmp_path / "spec.toml")
    done = cli("run", "spec.toml", cwd=tmp_path)
    exits_as_documented(done, "F04")
    assert message in one_error_line(done)


@pytest.mark.parametrize("command", ["run", "report"])
@pytest.mark.parametrize("name, message", [("a" * 300, "300 bytes long; at most 100"),
                                           ("x" + ESC, "must be printable")])
def test_F05_a_name_too_long_or_unprintable(cli, tmp_path, command, name, message):
    done = cli(command, *(["--name", name, "--dataset", "digits"] if command == "run" else [name]), cwd=tmp_path)
    exits_as_documented(done, "F05")
    assert message in one_error_line(done) and "\x1b" not in done.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_F06_data_that_cannot_train_is_refused_before_training(cli, tmp_path):
    corrupt = tmp_path / "idx"
    corrupt.mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (corrupt / name).write_bytes(os.urandom(64))
    done = cli("run", "--quiet", "--dataset", "smnist", "--set", f"smnist.path={corrupt}", "--loss", "ce",
               "--cell", "rnn", "--remedies", "none", cwd=tmp_path)
    exits_as_documented(done, "F06")
    assert str(corrupt / "train-images-idx3-ubyte") in one_error_line(done)  # a DataError naming the file
    done = cli("run", "--quiet", "--dataset", "smnist", "--loss", "ce", "--cell", "rnn", cwd=tmp_path)
    exits_as_documented(done, "F06")
    assert "smnist.path is not set" in one_error_line(done)
    # a dataset that may hold either kind of target loads binary ones; a multiclass-only loss cannot fit them
    plugins = write_plugin(tmp_path / "plugins", "twoclass", '''
import numpy as np
from lossbench import Dataset, Split

def load():
    rng = np.random.default_rng(0)
    split = lambda n: Split(rng.normal(size=(n, 5, 2)).astype("float32"), rng.integers(0, 2, n))
    return Dataset(train=split(40), val=split(20), test=split(20), num_classes=2)

def build():
    import torch.nn.functional as F
    return lambda logits, target: F.cross_entropy(logits, target)

@hookimpl
def register_datasets(register):
    register(DatasetSpec(name="twoclass", summary="binary data", load=load,
                         targets=frozenset({"binary", "multiclass"})))

@hookimpl
def register_losses(register):
    register(LossSpec(name="multionly", summary="multiclass only", build=build, targets=frozenset({"multiclass"})))
''')
    done = cli("--plugins-dir", str(plugins), "run", "--quiet", "--dataset", "twoclass", "--loss", "multionly",
               "--cell", "rnn", "--remedies", "none", cwd=tmp_path)
    exits_as_documented(done, "F06")
    assert "loss multionly supports multiclass targets; dataset twoclass has binary targets" in done.stderr
    assert not (tmp_path / "results").exists()  # refused before anything was stored


@pytest.fixture(scope="module")
def failing_sweep(tmp_path_factory):
    """A finished sweep (--quiet) with a working arm, a loss whose build raises with an escape sequence in its
    message, and one whose build calls os._exit."""
    from conftest import run_cli

    folder = tmp_path_factory.mktemp("failing")
    plugins = loss_plugin(folder / "plugins", "raising", f"raise ValueError({'bad' + ESC + 'loss'!r})")
    loss_plugin(plugins, "exiting", "os._exit(5)")
    done = run_cli("--plugins-dir", str(plugins), "run", "--name", "failing", "--quiet", *TINY, "--trials", "1",
                   "--loss", "ce", "--loss", "raising", "--loss", "exiting", cwd=folder, timeout=600)
    return folder, done


@pytest.mark.slow
def test_F06b_F13_failed_trials_exit_non_zero_even_when_quiet(failing_sweep):
    folder, done = failing_sweep
    exits_as_documented(done, "F06b")
    line = one_error_line(done)
    assert "2 of 4 trials failed" in line and "report.md" in line, line
    data = read_sweep("failing", str(folder / "results" / "failing" / "sweep.journal"))
    arms = {arm.loss: arm for arm in data.arms}
    assert len(arms["ce"].finished_tuning) == 1 and len(arms["ce"].completed_final) == 1  # nothing else lost
    assert "PluginExit: called os._exit(5)" in arms["exiting"].tuning[0].error  # a failed trial, not a dead sweep
    assert "loss raising (plugin raising): build raised ValueError" in arms["raising"].tuning[0].error


@pytest.mark.slow
def test_F12_escape_sequences_never_reach_the_terminal_or_a_report(cli, tmp_path, failing_sweep):
    plugins = write_plugin(tmp_path / "plugins", "evil", f'''
def build():
    import torch.nn.functional as F
    return lambda logits, target: F.cross_entropy(logits, target)

@hookimpl
def register_losses(register):
    register(LossSpec(name="evil", summary={"Evil" + ESC + " [red]markup[/red]"!r}, build=build))
''')
    (plugins / "broken.py").write_text(f"raise RuntimeError({'broken' + ESC!r})\n")
    for args in (["list", "losses"], ["list", "--wide", "losses"], ["plugins"], ["plugins", "--wide"]):
        done = cli("--plugins-dir", str(plugins), *args, cwd=tmp_path)
        exits_as_documented(done, "F12")
        assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stdout + done.stderr, args
        assert "broken" in done.stderr  # the failing plugin's warning, cleaned
    assert "Evil [red]markup[/red]" in cli("--plugins-dir", str(plugins), "list", "losses").stdout  # no markup
    folder, _ = failing_sweep
    report = folder / "results" / "failing"
    for path in (report / "report.md", report / "report.html"):
        text = path.read_text()
        assert "\x1b" not in text and "\x07" not in text, path
    assert "badloss" in (report / "report.md").read_text()  # the message is there, its escape sequences are not
    done = cli("report", "failing", "--format", "terminal", cwd=folder)
    assert done.returncode == 0 and "\x1b" not in done.stdout, done.stderr


def test_F12_the_live_display_and_messages_drop_control_characters():
    from rich.console import Console

    from lossbench.cli.progress import render
    from lossbench.report.html import escape as html_escape
    from lossbench.report.markdown import escape as md_escape
    from lossbench.results import Progress

    console = Console(record=True, width=200, file=open(os.devnull, "w"))
    console.print(render(Progress(name="s" + ESC, current=["arm" + ESC + "[bold]x[/bold] tune epoch 1/2"])))
    text = console.export_text(styles=False)
    assert "\x1b" not in text and "[bold]x[/bold]" in text
    assert "\x1b" not in md_escape("a" + ESC) and "\x1b" not in html_escape("a" + ESC)


def _wait_for(predicate, seconds: float = 120, every: float = 0.2):
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(every)
    raise AssertionError("timed out waiting")


def _running_trials(journal: Path) -> list:
    try:
        data = read_sweep("sig", str(journal))
    except Exception:  # not created yet
        return []
    return [t for arm in data.arms for t in [*arm.tuning, *arm.final] if t.state == "RUNNING"]


@pytest.mark.parametrize("url", [
    "postgresql://user:S3cretPw@host/db",
    "postgresql://user@host/db?password=S3cretPw",
    "postgresql://user:S3cretPw@host/db?password=S3cretPw&sslmode=require",
    "postgresql://user:S3cret@Pw@host:5432/db",
    "postgresql://user:S3cret/Pw@host/db",
    "postgresql://user:S3cret?Pw@host/db",
    "postgresql://user:S3cret#Pw@host/db",
    "postgresql://user:S3cret%40Pw@host/db",
    "postgresql://user:S3cretPw@host:notaport/db",
    "postgresql://user@host/db?PASSWORD=S3cretPw",
    "postgresql://user@host/db?sslpassword=S3cretPw",
])
def test_F11b_every_form_of_password_is_masked(url):
    from lossbench.results import mask_secrets, mask_text, mask_url

    assert "S3cret" not in mask_url(url) and "***" in mask_url(url), mask_url(url)
    assert "S3cret" not in mask_text(f"could not connect to {url}: refused")
    decoded = url.replace("%40", "@")
    assert "S3cret" not in mask_secrets(f"FATAL: password {decoded.split('://')[1]} rejected", url)


@pytest.mark.slow
def test_F13_os_exit_in_a_plugin(cli, tmp_path):
    plugins = write_plugin(tmp_path / "plugins", "at_import", "os._exit(7)\n")
    write_plugin(plugins, "in_hook", "@hookimpl\ndef register_losses(register):\n    os._exit(9)\n")
    done = cli("--plugins-dir", str(plugins), "plugins", "--json", cwd=tmp_path)
    exits_as_documented(done, "F13")
    status = {p["name"]: p for p in json.loads(done.stdout)["plugins"]}
    assert status["at_import"]["error"] == "PluginExit: called os._exit(7)"
    assert status["in_hook"]["error"] == "register_losses raised PluginExit: called os._exit(9)"
    assert cli("--plugins-dir", str(plugins), "list", "losses", cwd=tmp_path).returncode == 0  # every command runs


@pytest.mark.slow
def test_F15_train_names_the_plugin_whose_build_raises(cli, tmp_path):
    plugins = loss_plugin(tmp_path / "plugins", "broken", "raise ValueError('no such thing')", module="mylosses")
    done = cli("--plugins-dir", str(plugins), "train", "--dataset", "digits", "--loss", "broken", "--epochs", "1",
               "--hidden", "8", cwd=tmp_path)
    exits_as_documented(done, "F15")
    assert one_error_line(done) == "error: loss broken (plugin mylosses): build raised ValueError: no such thing"
