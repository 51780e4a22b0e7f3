"""Plugin discovery for real: the built-ins' entry points, a third-party package installed into a
temporary environment, local plugin folders, and every way a plugin can go wrong."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lossbench.api import hookspecs
from lossbench.errors import DuplicateNameError, ParameterError, UnknownNameError
from lossbench.registry import load_registry

GOOD_LOSS = """
from lossbench import hookimpl, LossSpec, Float

__version__ = "1.2.3"

def _build(scale=1.0):
    import torch.nn.functional as F
    return lambda logits, target: scale * F.cross_entropy(logits, target)

@hookimpl
def register_losses(register):
    register(LossSpec(name="{name}", summary="scaled cross-entropy", space={{"scale": Float(0.5, 2.0)}},
                      defaults={{"scale": 1.0}}, build=_build))
"""


def write_plugin(folder: Path, stem: str, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.py"
    path.write_text(textwrap.dedent(source))
    return path


def plugins_json(cli, *args: str, env: dict[str, str] | None = None) -> dict:
    done = cli(*args, "plugins", "--json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def by_name(data: dict) -> dict:
    return {p["name"]: p for p in data["plugins"]}


def test_builtins_load_through_the_entry_point_group(cli):
    plugins = by_name(plugins_json(cli))
    for name, kind, component in [("losses", "losses", "focal"), ("cells", "cells", "gru"),
                                  ("datasets", "datasets", "mnist1d"), ("remedies", "remedies", "clip_norm")]:
        assert plugins[name]["source"] == "built-in"
        assert plugins[name]["status"] == "ok", plugins[name]["error"]
        assert component in plugins[name]["components"][kind]
        assert plugins[name]["location"].startswith("lossbench_builtins.")


@pytest.mark.slow
def test_third_party_package_installed_in_a_temporary_environment(tmp_path, cli):
    project = tmp_path / "lossbench-scaled"
    write_plugin(project / "lossbench_scaled", "__init__", GOOD_LOSS.format(name="scaled_ce"))
    (project / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "lossbench-scaled"
        version = "0.3.1"
        [project.entry-points.lossbench]
        scaled = "lossbench_scaled"
        [tool.setuptools]
        packages = ["lossbench_scaled"]
    """))
    # A real pip install (wheel built, entry points written into its metadata) into a folder of its own, put on
    # the path of whatever interpreter runs the tests: a virtualenv, a system Python or a user install alike.
    target = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                                str(target), str(project)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (target / "lossbench_scaled-0.3.1.dist-info" / "entry_points.txt").is_file()
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")]))}

    plugins = by_name(plugins_json(cli, env=env))
    third = plugins["lossbench-scaled:scaled"]
    assert third == {**third, "source": "entry point", "version": "0.3.1", "status": "ok"}
    assert third["components"]["losses"] == ["scaled_ce"]
    listed = json.loads(cli("list", "losses", "--json", env=env).stdout)
    assert {"scaled_ce", "ce"} <= {c["name"] for c in listed["components"]}
    # The same interpreter without that folder on its path does not see it.
    assert "lossbench-scaled:scaled" not in by_name(plugins_json(cli))


def test_local_plugins_from_option_and_environment(tmp_path, cli):
    write_plugin(tmp_path / "a", "alpha", GOOD_LOSS.format(name="alpha_ce"))
    write_plugin(tmp_path / "b", "beta", GOOD_LOSS.format(name="beta_ce"))
    data = plugins_json(cli, "--plugins-dir", str(tmp_path / "a"), env={"LOSSBENCH_PLUGINS_DIR": str(tmp_path / "b")})
    plugins = by_name(data)
    assert plugins["alpha"]["source"] == "local file" and plugins["alpha"]["version"] == "1.2.3"
    assert plugins["alpha"]["components"]["losses"] == ["alpha_ce"]
    assert plugins["beta"]["components"]["losses"] == ["beta_ce"]


def test_a_plugin_that_fails_to_import_is_reported_and_skipped(tmp_path, cli):
    write_plugin(tmp_path, "broken", "import a_module_that_does_not_exist\n")
    write_plugin(tmp_path, "fine", GOOD_LOSS.format(name="fine_ce"))
    done = cli("--plugins-dir", str(tmp_path), "list", "losses", "--json")
    assert done.returncode == 0, done.stderr
    assert "fine_ce" in {c["name"] for c in json.loads(done.stdout)["components"]}
    assert "broken" in done.stderr and "a_module_that_does_not_exist" in done.stderr
    assert "Traceback" not in done.stderr
    broken = by_name(plugins_json(cli, "--plugins-dir", str(tmp_path)))["broken"]
    assert broken["status"] == "failed" and broken["error"].startswith("ModuleNotFoundError")

    strict = cli("--plugins-dir", str(tmp_path), "list", env={"LOSSBENCH_STRICT_PLUGINS": "1"})
    assert strict.returncode == 2
    assert "broken" in strict.stderr and "Traceback" not in strict.stderr


def test_a_hook_that_raises_is_reported_and_its_components_dropped(tmp_path, cli):
    write_plugin(tmp_path, "half", """
        from lossbench import hookimpl, LossSpec
        @hookimpl
        def register_losses(register):
            register(LossSpec(name="half_ce", summary="never visible", build=lambda: None))
            raise RuntimeError("the plugin's own bug")
    """)
    done = cli("--plugins-dir", str(tmp_path), "plugins", "--json")
    half = by_name(json.loads(done.stdout))["half"]
    assert half["status"] == "failed"
    assert "register_losses raised RuntimeError: the plugin's own bug" == half["error"]
    assert half["components"]["losses"] == []
    listed = cli("--plugins-dir", str(tmp_path), "list", "losses", "--json")
    assert listed.returncode == 0
    names = {c["name"] for c in json.loads(listed.stdout)["components"]}
    assert "half_ce" not in names and "ce" in names


def test_a_plugin_calling_sys_exit_is_a_failed_plugin_not_the_end_of_the_command(tmp_path, cli):
    write_plugin(tmp_path, "quits", "import sys\nsys.exit(3)\n")
    write_plugin(tmp_path, "quits_in_hook", """
        from lossbench import hookimpl
        @hookimpl
        def register_losses(register):
            raise SystemExit(4)
    """)
    write_plugin(tmp_path, "fine", GOOD_LOSS.format(name="fine_ce"))
    done = cli("--plugins-dir", str(tmp_path), "plugins", "--json")
    assert done.returncode == 0, done.stderr
    plugins = by_name(json.loads(done.stdout))
    assert plugins["quits"]["status"] == "failed" and plugins["quits"]["error"].startswith("SystemExit")
    assert plugins["quits_in_hook"]["error"].startswith("register_losses raised SystemExit")
    assert plugins["fine"]["status"] == "ok"


def test_a_python_warning_is_one_warning_line(tmp_path, cli):
    write_plugin(tmp_path, "chatty", "import warnings\nwarnings.warn('the cache folder is read-only')\n")
    done = cli("--plugins-dir", str(tmp_path), "list", "losses")
    assert done.returncode == 0
    lines = [line for line in done.stderr.splitlines() if "read-only" in line]
    assert lines == ["warning: the cache folder is read-only"], done.stderr
    assert "warnings.warn(" not in done.stderr


def test_a_plugins_dir_that_is_a_file_says_so(tmp_path, cli):
    (tmp_path / "plugin.py").write_text("")
    done = cli("--plugins-dir", str(tmp_path / "plugin.py"), "list", "losses")
    assert done.returncode == 0 and "is not a folder" in done.stderr, done.stderr


def test_a_plugin_implementing_an_unknown_hook_is_skipped(tmp_path, cli):
    write_plugin(tmp_path, "future", """
        from lossbench import hookimpl
        @hookimpl
        def register_optimizers(register):
            pass
    """)
    future = by_name(plugins_json(cli, "--plugins-dir", str(tmp_path)))["future"]
    assert future["status"] == "failed" and "register_optimizers" in future["error"]


def test_a_registered_object_of_the_wrong_kind_fails_that_plugin(tmp_path):
    write_plugin(tmp_path, "wrong", """
        from lossbench import hookimpl
        @hookimpl
        def register_losses(register):
            register("ce")
    """)
    registry = load_registry([str(tmp_path)])
    wrong = next(p for p in registry.plugins if p.name == "wrong")
    assert wrong.status == "failed" and "expected LossSpec" in wrong.error


def test_a_duplicate_name_is_a_conflict_the_first_registration_wins(tmp_path, cli):
    write_plugin(tmp_path, "copycat", GOOD_LOSS.format(name="poly1"))
    done = cli("--plugins-dir", str(tmp_path), "list", "losses", "--json")
    assert done.returncode == 0, done.stderr
    poly1 = next(c for c in json.loads(done.stdout)["components"] if c["name"] == "poly1")
    assert poly1["plugin"] == "losses"  # the built-in registered it first
    assert "conflict" in done.stderr and "copycat" in done.stderr and "Traceback" not in done.stderr
    data = plugins_json(cli, "--plugins-dir", str(tmp_path))
    copycat = by_name(data)["copycat"]
    assert copycat["status"] == "conflict" and copycat["components"]["losses"] == []
    assert "losses (built-in" in copycat["conflicts"][0] and "copycat (local file" in copycat["conflicts"][0]
    assert data["conflicts"] == copycat["conflicts"]
    shown = cli("--plugins-dir", str(tmp_path), "plugins")
    assert shown.returncode == 0 and "conflict" in shown.stdout and "copycat" in shown.stdout


def test_a_conflicting_plugin_leaves_other_commands_working(tmp_path, cli):
    write_plugin(tmp_path, "copycat", GOOD_LOSS.format(name="poly1"))
    done = cli("--plugins-dir", str(tmp_path), "train", "--loss", "ce", "--dataset", "digits", "--cell", "gru",
               "--epochs", "1", "--json", timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)


def test_strict_loading_refuses_a_conflict(tmp_path):
    write_plugin(tmp_path, "copycat", GOOD_LOSS.format(name="focal"))
    registry = load_registry([str(tmp_path)], strict=True)
    with pytest.raises(DuplicateNameError, match="copycat"):
        registry.raise_conflicts()


def test_a_local_plugin_named_like_an_installed_one_is_refused(tmp_path, cli):
    path = write_plugin(tmp_path, "losses", GOOD_LOSS.format(name="my_scaled"))
    data = plugins_json(cli, "--plugins-dir", str(tmp_path))
    plugins = by_name(data)
    assert len(plugins) == len(data["plugins"])  # every name is one plugin
    assert plugins["losses"]["source"] == "built-in" and plugins["losses"]["status"] == "ok"
    local = plugins[str(path)]  # named by its path
    assert local["status"] == "failed" and local["components"]["losses"] == []
    assert "a plugin named losses is already loaded" in local["error"] and f"rename {path}" in local["error"]


def test_a_plugin_setting_float64_at_import_is_blamed_and_undone(tmp_path, cli):
    write_plugin(tmp_path, "doubled", """
        import torch
        torch.set_default_dtype(torch.float64)
        from lossbench import hookimpl
        @hookimpl
        def register_losses(register):
            pass
    """)
    data = plugins_json(cli, "--plugins-dir", str(tmp_path))
    doubled = by_name(data)["doubled"]
    assert doubled["status"] == "failed" and "default dtype from float32 to float64" in doubled["error"]
    registry = load_registry([str(tmp_path)])
    import torch
    assert torch.get_default_dtype() == torch.float32
    assert any(p.name == "doubled" and "at import changed torch's" in p.error for p in registry.failures())


def test_unknown_names_suggest_the_closest(tmp_path):
    registry = load_registry()
    with pytest.raises(UnknownNameError) as caught:
        registry.get("losses", "focall")
    assert "did you mean focal?" in str(caught.value)
    with pytest.raises(UnknownNameError, match="unknown cell 'grux'; did you mean gru"):
        registry.get("cells", "grux")


def test_a_missing_plugins_folder_is_reported(tmp_path, cli):
    data = plugins_json(cli, "--plugins-dir", str(tmp_path / "nope"))
    missing = [p for p in data["plugins"] if p["status"] == "failed"]
    assert len(missing) == 1 and "does not exist" in missing[0]["error"]


def test_every_hookspec_is_documented():
    specs = [getattr(hookspecs, name) for name in dir(hookspecs) if name.startswith("register_")]
    assert len(specs) == 4
    for spec in specs:
        doc = inspect.getdoc(spec) or ""
        assert ":param register:" in doc, f"{spec.__name__} lacks a documented parameter"


def test_start_up_imports_no_torch_optuna():
    code = ("import sys, lossbench, lossbench.cli.app; from lossbench.registry import load_registry; load_registry();"
            "heavy = [m for m in ('torch', 'optuna', 'numpy', 'sklearn', 'matplotlib') if m in sys.modules];"
            "assert not heavy, heavy")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_list_json_is_stable_and_complete(cli):
    done = cli("list", "--json")
    assert done.returncode == 0 and done.stderr == ""
    data = json.loads(done.stdout)
    assert data["schema"] == "lossbench.components/1"
    focal = next(c for c in data["components"] if c["name"] == "focal")
    assert focal["kind"] == "losses" and focal["plugin"] == "losses"
    assert focal["space"]["gamma"]["type"] == "float" and "gamma" in focal["defaults"]
    assert focal["constraints"]["alpha"] == {"type": "float", "low": 0.0, "high": 1.0, "log": False}
    assert "alpha" in focal["constraints_text"]
    identity = next(c for c in data["components"] if c["name"] == "identity_init")
    assert identity["compatibility"]["init style"] == "identity"
    assert identity["compatibility"]["recurrent weight"] == ["matrix", "vector"]
    orthogonal = next(c for c in data["components"] if c["name"] == "orthogonal_init")
    assert orthogonal["compatibility"]["recurrent weight"] == ["matrix"]
    rnn = next(c for c in data["components"] if c["name"] == "rnn")
    assert rnn["compatibility"]["init styles"] == ["identity"] and rnn["compatibility"]["recurrent weight"] == "matrix"


def test_an_unknown_kind_in_list_suggests_the_closest(cli):
    done = cli("list", "losss")
    assert done.returncode == 2 and "did you mean losses?" in done.stderr and "Traceback" not in done.stderr


def test_version(cli):
    import lossbench

    done = cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"lossbench {lossbench.__version__}"


def test_a_plugin_written_for_another_api_version_is_skipped_with_one_message(tmp_path, cli):
    import lossbench

    assert lossbench.API_VERSION == "1.1"
    write_plugin(tmp_path, "future", 'LOSSBENCH_API = "2.0"\n' + GOOD_LOSS.format(name="future_ce"))
    write_plugin(tmp_path, "older_minor", 'LOSSBENCH_API = "1.0"\n' + GOOD_LOSS.format(name="current_ce"))
    write_plugin(tmp_path, "garbled", 'LOSSBENCH_API = 1.5\n' + GOOD_LOSS.format(name="garbled_ce"))
    done = cli("--plugins-dir", str(tmp_path), "list", "losses", "--json")
    assert done.returncode == 0, done.stderr
    names = {c["name"] for c in json.loads(done.stdout)["components"]}
    assert "current_ce" in names and not {"future_ce", "garbled_ce"} & names
    warnings = [line for line in done.stderr.splitlines() if "future" in line]
    assert warnings == [f"warning: plugin future (local file, {tmp_path / 'future.py'}) skipped: written for lossbench "
                        f"API 2.0; this lossbench provides API 1.1 (upgrade lossbench, or install a release of the "
                        f"plugin written for API 1.x)"]
    garbled = by_name(plugins_json(cli, "--plugins-dir", str(tmp_path)))["garbled"]
    assert garbled["error"] == "LOSSBENCH_API = 1.5 is not a version string like '1.1'"
    strict = cli("--plugins-dir", str(tmp_path), "list", env={"LOSSBENCH_STRICT_PLUGINS": "1"})
    assert strict.returncode == 2 and "written for lossbench API 2.0" in strict.stderr


def test_choices_are_shown_as_declared_and_typed_in_any_case(tmp_path, cli):
    write_plugin(tmp_path, "problems", """
        from lossbench import Categorical, Dataset, DatasetSpec, hookimpl

        PROBLEMS = DatasetSpec(name="problems", summary="named UCR problems",
                               constraints={"name": Categorical(["GunPoint", "ArrowHead", None])},
                               defaults={"name": "GunPoint"}, load=lambda name: None)

        @hookimpl
        def register_datasets(register):
            register(PROBLEMS)
    """)
    listed = json.loads(cli("--plugins-dir", str(tmp_path), "list", "datasets", "--json").stdout)["components"]
    problems = next(c for c in listed if c["name"] == "problems")
    assert problems["constraints_text"] == {"name": "one of GunPoint, ArrowHead, none"}
    spec = load_registry([str(tmp_path)]).get("datasets", "problems")
    assert spec.resolve({"name": "arrowhead"}) == {"name": "ArrowHead"}
    assert spec.resolve({"name": "None"}) == {"name": None}
    with pytest.raises(ParameterError, match="problems.name must be one of GunPoint, ArrowHead, none; got 'Gun'"):
        spec.resolve({"name": "Gun"})
