"""``lossbench check``: the conformance kit from the command line, on the built-ins (every one passes) and on
plugins broken on purpose (exit 1, the failure in one line); a table that reads at 80 columns; --json."""

from __future__ import annotations

import json
import random
import textwrap

import pytest

from ts_files import write_ts_problem

NAIVE = '''
from lossbench import LossSpec, hookimpl

LOSSBENCH_API = "1.0"


def build_naive_ce():
    import torch

    return lambda logits, target: -torch.log(torch.softmax(logits, -1)).gather(1, target[:, None]).mean()


NAIVE_CE = LossSpec(name="naive_ce", summary="log of a rounded softmax", build=build_naive_ce)

SPECS = (NAIVE_CE,)


@hookimpl
def register_losses(register):
    for spec in SPECS:
        register(spec)
'''


def check_json(cli, *names, plugins_dir=None):
    done = cli(*(["--plugins-dir", str(plugins_dir)] if plugins_dir else []), "check", *names, "--json")
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.mark.slow
def test_every_builtin_passes_lossbench_check(cli, tmp_path, idx_folder):
    folder, _ = idx_folder(n_train=30, n_test=10)
    write_ts_problem(tmp_path / "ucr", "Ragged", lengths=(4, 15))
    words = random.Random(0).choices(["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog"], k=400)
    (tmp_path / "text.txt").write_text(" ".join(words))  # not periodic: no sequence of test repeats one of train
    done = cli("check", "--json", "--set", f"smnist.path={folder}", "--set", f"ucr.path={tmp_path / 'ucr'}",
               "--set", "ucr.name=Ragged", "--set", f"text.path={tmp_path / 'text.txt'}", timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    data = json.loads(done.stdout)
    assert data["schema"] == "lossbench.check/1" and data["passed"] is True
    components = json.loads(cli("list", "--json").stdout)["components"]
    checked = {(r["kind"], r["name"]) for r in data["results"] if r["status"] == "passed"}
    singular = {"losses": "loss", "cells": "cell", "datasets": "dataset", "remedies": "remedy"}
    assert {(singular[c["kind"]], c["name"]) for c in components} <= checked  # every built-in, none skipped
    assert {("plugin", name) for name in ("losses", "cells", "datasets", "remedies")} <= checked
    ucr = next(r for r in data["results"] if r["name"] == "ucr")
    assert "unequal lengths: padding after each length" in {c["check"] for c in ucr["checks"]}


@pytest.mark.slow
def test_a_broken_plugin_fails_check_with_exit_1_and_a_table_that_reads_at_80_columns(cli, tmp_path):
    (tmp_path / "naive.py").write_text(NAIVE)
    done = cli("--plugins-dir", str(tmp_path), "check", "naive", env={"COLUMNS": "80"})
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, "\n".join(lines)
    rows = [line.split() for line in lines]
    assert ["(plugin)", "naive", "3/3", "ok"] in rows
    assert ["loss", "naive_ce", "naive", "16/18", "2", "failed"] in rows
    text = " ".join(done.stdout.split())
    assert "FAIL loss naive_ce stable at +-1e4 (binary, C=2)" in text
    assert "value at logits +-1e4 is inf; compute from log_softmax" in text
    assert text.endswith("1 passed, 1 failed, 0 skipped (21 checks: 2 failed, 0 notes)")


@pytest.mark.slow
def test_checking_everything_fails_on_the_one_broken_component(cli, tmp_path):
    (tmp_path / "naive.py").write_text(NAIVE)
    code, data = check_json(cli, plugins_dir=tmp_path)  # everything: the built-ins pass, naive fails
    assert code == 1 and data["passed"] is False
    failed = [r for r in data["results"] if r["status"] == "failed"]
    assert [(r["plugin"], r["kind"], r["name"]) for r in failed] == [("naive", "loss", "naive_ce")]
    assert {c["check"] for c in failed[0]["checks"] if c["status"] == "fail"} == {
        "stable at +-1e4 (binary, C=2)", "stable at +-1e4 (multiclass, C=10)"}


@pytest.mark.slow
def test_a_dataset_that_needs_parameters_is_skipped_and_set_runs_it(cli, tmp_path):
    code, data = check_json(cli, "ucr")
    ucr = next(r for r in data["results"] if r["name"] == "ucr")
    assert code == 0 and ucr["status"] == "skipped" and "ucr.path is not set" in ucr["skipped"]
    write_ts_problem(tmp_path, "Toy", lengths=(6, 6))
    done = cli("check", "ucr", "--set", f"ucr.path={tmp_path}", "--set", "name=Toy", "--json")
    ucr = next(r for r in json.loads(done.stdout)["results"] if r["name"] == "ucr")
    assert done.returncode == 0 and ucr["status"] == "passed", done.stdout
    assert "unequal lengths: padding after each length" not in {c["check"] for c in ucr["checks"]}  # all equal


def test_a_plugin_that_failed_to_load_fails_check(cli, tmp_path):
    (tmp_path / "future.py").write_text('LOSSBENCH_API = "2.0"\n')
    code, data = check_json(cli, "future", plugins_dir=tmp_path)
    future = next(r for r in data["results"] if r["name"] == "future")
    assert code == 1 and future["status"] == "failed"
    assert "written for lossbench API 2.0; this lossbench provides API 1.1" in future["checks"][0]["message"]


@pytest.mark.parametrize("args, message", [
    (["focall"], "unknown plugin, distribution or component 'focall'; did you mean focal"),
    (["focal", "--set", "focal.gamma=99"], "focal.gamma=99 is out of range"),
    (["focal", "--set", "gru.x=1"], "'gru' is not a component of this run"),
])
def test_bad_input_is_one_message_and_exit_2(cli, args, message):
    done = cli("check", *args)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert message in done.stderr, done.stderr


def test_check_help_documents_the_exit_codes(cli):
    done = cli("check", "--help", env={"COLUMNS": "100"})
    assert done.returncode == 0 and "exit 1 when a check fails, 2 for bad input" in " ".join(done.stdout.split())
    text = textwrap.dedent(done.stdout)
    assert "--json" in text and "--set" in text


def test_a_remedy_for_a_plugins_own_cell_is_checked_on_that_cell(tmp_path):
    from lossbench.registry import load_registry
    from lossbench.testing.installed import check_installed

    (tmp_path / "own.py").write_text(textwrap.dedent('''
        from lossbench import CellSpec, Remedy, RemedySpec, hookimpl

        def build_own_gru(input_size, hidden_size):
            import torch

            class Layer(torch.nn.GRU):
                def forward(self, x):
                    return super().forward(x)[0]

            return Layer(input_size, hidden_size, batch_first=True)

        OWN_GRU = CellSpec(name="own_gru", summary="a GRU of its own", build=build_own_gru, gates=("r", "z", "n"))
        HALVE = RemedySpec(name="halve_own", summary="halves own_gru's gradients", cells=("own_gru",),
                           build=lambda: Remedy())

        @hookimpl
        def register_cells(register):
            register(OWN_GRU)

        @hookimpl
        def register_remedies(register):
            register(HALVE)
    '''))
    [plugin, cell, remedy] = check_installed(load_registry([str(tmp_path)]), ["own"])
    assert (plugin.kind, cell.label, remedy.label) == ("plugin", "cell own_gru", "remedy halve_own")
    assert remedy.status == "passed", remedy.report.summary()
    assert "on_model (own_gru)" in {r.check for r in remedy.report}


def test_a_distribution_name_selects_every_plugin_it_installs():
    from lossbench.registry import PluginInfo, Registry
    from lossbench.testing.installed import select

    registry = Registry(plugins=[PluginInfo("losses", "built-in", "lossbench_builtins.losses", "1"),
                                 PluginInfo("lossbench-poly:poly", "entry point", "poly:plugin", "0.1"),
                                 PluginInfo("lossbench-poly:extra", "entry point", "poly.extra", "0.1")])
    registry.plugins[1].components["losses"].append("poly2")
    registry.components["losses"]["poly2"] = (object(), "lossbench-poly:poly")
    plugins, components = select(registry, ["lossbench-poly"])
    assert [p.name for p in plugins] == ["lossbench-poly:poly", "lossbench-poly:extra"]
    assert components == [("losses", "poly2")]
    assert [p.name for p in select(registry, ["lossbench"])[0]] == ["losses"]
    assert len(select(registry, ["Lossbench_Poly"])[0]) == 2  # as pip compares names


def test_a_plugin_whose_name_conflicts_fails_check_naming_both_sides(tmp_path):
    from lossbench.registry import load_registry
    from lossbench.testing.installed import check_installed

    (tmp_path / "copycat.py").write_text(NAIVE.replace('name="naive_ce"', 'name="poly1"'))
    [plugin] = check_installed(load_registry([str(tmp_path)]), ["copycat"])
    [failure] = plugin.report.failures
    assert failure.check == "unique names" and "losses (built-in" in failure.message and "skipped" in failure.message
