"""``lossbench new-plugin``: the scaffold round trip. A package made in a temporary folder, installed for real
(pip, into a folder put on PYTHONPATH, as in test_plugins), is listed by ``plugins``, passes ``check`` and its
own tests, and ``train`` and ``run`` use its components; the sweep's report names the dataset and versions."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys

import pytest

import lossbench


def test_new_plugin_writes_a_package_in_the_builtins_style(cli, tmp_path):
    done = cli("new-plugin", "lossbench-tides", "--kind", "loss", "--kind", "remedy", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    project = tmp_path / "lossbench-tides"
    files = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    assert files == ["README.md", "lossbench_tides/__init__.py", "lossbench_tides/losses.py",
                     "lossbench_tides/remedies.py", "pyproject.toml", "tests/test_lossbench_tides.py"]
    pyproject = (project / "pyproject.toml").read_text()
    assert 'losses = "lossbench_tides.losses"' in pyproject and 'remedies = "lossbench_tides.remedies"' in pyproject
    sys.path.insert(0, str(project))
    try:
        from lossbench_tides import losses, remedies

        for module, hook in ((losses, "register_losses"), (remedies, "register_remedies")):
            assert module.LOSSBENCH_API == lossbench.API_VERSION and len(module.SPECS) == 1
            source = [line for line in inspect.getsource(getattr(module, hook)).splitlines() if line.strip()]
            assert source == ["@hookimpl", f"def {hook}(register):", "    for spec in SPECS:", "        register(spec)"]
        assert losses.SPECS[0].name == "tides_ce" and remedies.SPECS[0].name == "tides_clip"
    finally:
        sys.path.remove(str(project))
        for name in [m for m in sys.modules if m.startswith("lossbench_tides")]:
            del sys.modules[name]


@pytest.mark.parametrize("args, message", [
    (["lossbench-x", "--kind", "optimizer"], "unknown kind 'optimizer'"),
    (["torch"], "shadows another module"),
    (["9lives"], "starting with a letter"),
])
def test_new_plugin_refuses_bad_names_with_one_message(cli, tmp_path, args, message):
    done = cli("new-plugin", *args, "--out", str(tmp_path))
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_new_plugin_never_overwrites(cli, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    done = cli("new-plugin", "mine", "--out", str(tmp_path))
    assert done.returncode == 2 and "already exists" in done.stderr
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]


@pytest.mark.slow
def test_scaffold_round_trip(cli, tmp_path):
    assert cli("new-plugin", "lossbench-tides", "--out", str(tmp_path)).returncode == 0
    project = tmp_path / "lossbench-tides"
    site = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                                str(project)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    modules = ["losses", "cells", "datasets", "remedies"]

    plugins = {p["name"]: p for p in json.loads(cli("plugins", "--json", env=env).stdout)["plugins"]}
    for module in modules:
        assert plugins[f"lossbench-tides:{module}"] | {"status": "ok", "version": "0.1.0", "source": "entry point"} \
            == plugins[f"lossbench-tides:{module}"]

    checked = cli("check", "lossbench-tides", "--json", env=env)  # the distribution: every module it installs
    data = json.loads(checked.stdout)
    assert checked.returncode == 0 and data["passed"], checked.stdout[-2000:]
    assert {(r["kind"], r["name"]) for r in data["results"]} >= {
        ("loss", "tides_ce"), ("cell", "tides_rnn"), ("dataset", "tides_sines"), ("remedy", "tides_clip")}

    own_tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project,
                               capture_output=True, text=True, env={**os.environ, **env})
    assert own_tests.returncode == 0 and "4 passed" in own_tests.stdout, own_tests.stdout[-2000:]

    trained = cli("train", "--dataset", "tides_sines", "--cell", "tides_rnn", "--loss", "tides_ce", "--remedy",
                  "tides_clip", "--epochs", "1", "--hidden", "8", "--json", env=env)
    result = json.loads(trained.stdout)
    assert trained.returncode == 0 and result["status"] == "completed", trained.stderr
    assert result["dataset_info"]["source"].startswith("generated sine waves")

    swept = cli("run", "--name", "tides", "--dataset", "tides_sines", "--loss", "tides_ce", "--cell", "tides_rnn",
                "--remedies", "tides_clip", "--trials", "2", "--seeds", "1", "--epochs", "1", "--set", "hidden=8",
                "--json", env=env, cwd=tmp_path, timeout=600)
    assert swept.returncode == 0, swept.stderr
    [arm] = json.loads(swept.stdout)["leaderboard"]
    assert arm["arm"] == "tides_ce:tides_rnn:tides_clip" and arm["final_runs"] == 1 and arm["tuning"]["trials"] == 2
    assert "tides_clip.max_norm" in arm["best_params"] and "tides_ce.temperature" in arm["best_params"]
    # the report's provenance: the dataset's info and the components' plugins and versions
    report = (tmp_path / "results" / "tides" / "report.md").read_text()
    assert "| dataset: source | generated sine waves (seed 0) |" in report
    assert "tides\\_sines: lossbench-tides:datasets 0.1.0" in report
    results = json.loads((tmp_path / "results" / "tides" / "results.json").read_text())
    assert results["provenance"]["dataset_info"] == {"num_classes": 2, **result["dataset_info"]}
    # its own distribution's requirements, with the versions installed (the test extra left out)
    import importlib.metadata

    lossbench_version = importlib.metadata.version("lossbench")
    assert results["provenance"]["plugin_requirements"]["lossbench-tides"] == {
        "version": "0.1.0", "requires": {"lossbench": lossbench_version}}
    assert f"lossbench-tides 0.1.0: lossbench {lossbench_version}" in report


@pytest.mark.parametrize("name, prefix", [("lossbench-gjs", "gjs"), ("lossbench-2x", "lossbench_2x"),
                                          ("My.Losses", "my_losses")])
def test_the_test_of_a_loss_only_plugin_names_only_what_it_registers(tmp_path, name, prefix):
    """Issue 30: ``--kind loss`` wrote PARAMS for a dataset it did not generate; every component's name is the
    plugin's prefix and a suffix, a valid name even when the prefix would start with a digit."""
    import ast

    from lossbench.cli.scaffold import write_project
    from lossbench.testing import check_plugin

    folder = tmp_path / name
    written = write_project(name, ["loss"], folder)
    test = next(p for p in written if p.parent.name == "tests").read_text()
    params = ast.literal_eval(next(line for line in test.splitlines() if line.startswith("PARAMS = ")).split(" = ", 1)[1]
                              .split("  #")[0])
    losses = next(p for p in written if p.name == "losses.py")
    report = check_plugin(losses, params)
    names = {r.component.split(" ", 1)[1] for r in report if r.component.startswith("loss ")}
    assert report.passed and names == {f"{prefix}_ce"}, report.summary()
    assert set(params) <= names  # PARAMS names nothing the plugin does not register
    assert f"loss `{prefix}_ce`" in (folder / "README.md").read_text()


def test_dir_shows_the_helpers_handed_out_on_first_use():
    import lossbench.testing

    assert {"pad_sequences", "stratified_split", "standardize", "read_ts", "TsFile", "train"} <= set(dir(lossbench))
    assert {"assert_conforms", "check_plugin", "check_cell", "check_remedy"} <= set(dir(lossbench.testing))
    assert set(lossbench.__all__) <= set(dir(lossbench)) and set(lossbench.testing.__all__) <= set(dir(lossbench.testing))
