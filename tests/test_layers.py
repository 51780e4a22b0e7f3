"""One test per layering rule of DESIGN.md (docs/architecture.md copies it): a break names file, line and rule.

The checks read every .py under lossbench/ and plugins/ with ``ast`` (see tests/layering.py). Imports inside
functions count, since they run when called; imports under ``if TYPE_CHECKING:`` do not, since they never run:
a type-only import may cross layers.
"""

from __future__ import annotations

import re
import textwrap
import tomllib
from pathlib import Path

import pytest

import layering
from layering import Tree

REPO = Path(__file__).resolve().parent.parent


def repo_tree() -> Tree:
    """This checkout: the packages and built-in entry points pyproject.toml installs."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    folders = project["tool"]["setuptools"].get("package-dir", {})
    roots = {"lossbench": REPO / "lossbench", **{name: REPO / folder for name, folder in folders.items() if name}}
    entry_points = [value.split(":")[0] for value in project["project"]["entry-points"]["lossbench"].values()]
    return Tree(roots, entry_points)


TREE = repo_tree()
IMPORTS = TREE.imports()


def assert_unbroken(breaks: list[layering.Break]) -> None:
    assert not breaks, "\n" + "\n".join(map(str, breaks))


def test_the_picture_names_every_layer_there_is():
    """DESIGN.md's picture stays true: every folder (layer) of lossbench is in it, and it names no missing one."""
    present = {layering.layer(module) for module in TREE.files()}
    assert present == set(layering.ARROWS), (sorted(present - set(layering.ARROWS)),
                                             sorted(set(layering.ARROWS) - present))


def drawn_arrows() -> dict[str, set[str]]:
    """docs/architecture.md's picture: each ``lossbench.X ──> a, b`` line as X -> {a, b}; "all of the above" is
    every layer drawn before it, "(nothing of ours)" none; the built-ins' line as ``builtins`` (its target, the
    api, imports no layer)."""
    picture = (REPO / "docs" / "architecture.md").read_text().split("```\n", 2)[1]
    drawn: dict[str, set[str]] = {}
    for line in picture.splitlines():
        if line.startswith("plugins/ (built-ins)"):
            drawn["builtins"] = {line.split("─> lossbench.", 1)[1].split()[0]}
            drawn.update({target: set() for target in drawn["builtins"]})  # the api: drawn with no arrow of its own
        elif found := re.match(r"lossbench\.(\w+)\s+─+> (.+?)(?:\s{2,}|$)", line):
            targets = found.group(2)
            drawn[found.group(1)] = (set(drawn) - {"builtins"} - set(layering.LEAVES) if targets == "all of the above"
                                     else set()
                                     if targets == "(nothing of ours)" else set(targets.split(", ")))
    return drawn


def test_this_picture_draws_the_arrows_the_checker_enforces():
    """docs/architecture.md's picture is ARROWS: the same layers, the same arrows; a leaf's arrows are the other
    leaves it imports."""
    drawn = drawn_arrows()
    assert set(drawn) == set(layering.ARROWS) - {"root", "__main__"}, sorted(set(drawn) ^ set(layering.ARROWS))
    for name, targets in drawn.items():
        if name in layering.LEAVES:
            imported = {layering.layer(i.target) for i in IMPORTS if layering.layer(i.module) == name}
            assert targets == imported & set(layering.LEAVES) - {name}, (name, targets)
        else:
            assert targets == layering.ARROWS[name], (name, targets, layering.ARROWS[name])


def test_each_layer_imports_only_what_its_arrow_names():
    assert_unbroken(layering.arrow_breaks(IMPORTS))


def test_api_and_plugin_registration_modules_import_no_torch_optuna_rich_at_module_level():
    assert_unbroken(layering.light_module_breaks(TREE, IMPORTS))


LIGHT = sorted(m for m in TREE.files() if layering.layer(m) == "api") + TREE.entry_points


@pytest.mark.parametrize("module", LIGHT)
def test_importing_the_api_or_a_plugin_registration_module_loads_no_torch_optuna_rich(module):
    assert layering.heavy_modules_loaded(module) == [], f"importing {module} loads them (start-up time)"


def test_nothing_imports_the_cli():
    assert_unbroken(layering.cli_import_breaks(IMPORTS))


def test_report_never_imports_engine_or_sweep():
    assert_unbroken(layering.report_breaks(IMPORTS))


def test_engine_never_imports_optuna():
    assert_unbroken(layering.engine_optuna_breaks(IMPORTS))


def test_builtin_plugins_use_public_names_only():
    assert_unbroken(layering.builtin_public_name_breaks(TREE, IMPORTS))


def test_no_import_cycle_inside_lossbench():
    """Two modules that import each other (even for a type only) are one module in two files, or a stage that reads
    the half-built whole it is part of: cut the cycle (a narrower argument, the shared piece in a module of its own)."""
    assert_unbroken(layering.cycle_breaks(IMPORTS))


# A small package that breaks every rule once or more; "# breaks: RULE, ..." marks each line the checker must
# report, and no other line may be reported (the TYPE_CHECKING import in report is allowed).
SYNTHETIC = {
    "lossbench/__init__.py": """
        from lossbench.api import Spec
        Hidden = 1
        __all__ = ["Spec"]
    """,
    "lossbench/errors.py": "",
    "lossbench/stats/__init__.py": """
        from lossbench.errors import LossbenchError
        def holm():
            from lossbench.results import load  # breaks: arrows
    """,
    "lossbench/api/__init__.py": """
        import torch  # breaks: light
        class Spec:
            pass
    """,
    "lossbench/registry/__init__.py": "from lossbench.api import Spec\n",
    "lossbench/engine/__init__.py": """
        from lossbench.registry import Spec
        def train():
            import optuna.trial  # breaks: optuna
            from lossbench import sweep  # breaks: arrows
    """,
    "lossbench/sweep/__init__.py": """
        from lossbench.engine import train
        from lossbench.results import load
        from lossbench import cli  # breaks: arrows, cli
    """,
    "lossbench/sweep/runner.py": "",
    "lossbench/results/__init__.py": """
        import lossbench.errors
        from lossbench.stats import holm
        from .. import engine  # breaks: arrows
        def load():
            pass
    """,
    "lossbench/report/__init__.py": """
        from typing import TYPE_CHECKING
        from lossbench.results import load
        if TYPE_CHECKING:
            from lossbench.engine import train
        def build():
            from ..sweep import runner  # breaks: arrows, report
        from lossbench import stats
    """,
    "lossbench/testing/__init__.py": """
        from lossbench import Spec
        def builtins():
            from lossbench_builtins import losses  # breaks: arrows
    """,
    "lossbench/cli/__init__.py": """
        from lossbench.report import build
        from lossbench.sweep import runner
    """,
    "lossbench/__main__.py": "import lossbench.cli\n",
    "lossbench/extra.py": "from lossbench import Spec  # breaks: arrows\n",
    "lossbench_builtins/__init__.py": "",
    "lossbench_builtins/losses.py": """
        import rich  # breaks: light
        import lossbench
        from lossbench import Spec, Hidden  # breaks: public
        from lossbench.api import Spec as Same  # breaks: public
        from . import helpers
        def build():
            return lossbench.engine  # breaks: public
    """,
    "lossbench_builtins/helpers.py": "import torch  # breaks: light\n",
    "torch.py": "", "optuna/__init__.py": "", "optuna/trial.py": "", "rich.py": "",  # stand-ins, for the run-time check
}


def test_the_checker_reports_every_break_and_nothing_else(tmp_path):
    expected: dict[str, set[tuple[str, int]]] = {}
    for name, source in SYNTHETIC.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"))
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if found := re.search(r"# breaks: (.*)", line):
                for rule in found.group(1).split(", "):
                    expected.setdefault(rule, set()).add((name, number))
    tree = Tree({"lossbench": tmp_path / "lossbench", "lossbench_builtins": tmp_path / "lossbench_builtins"},
                ["lossbench_builtins.losses"])
    imports = tree.imports()
    reported = {
        "arrows": layering.arrow_breaks(imports),
        "light": layering.light_module_breaks(tree, imports),
        "cli": layering.cli_import_breaks(imports),
        "report": layering.report_breaks(imports),
        "optuna": layering.engine_optuna_breaks(imports),
        "public": layering.builtin_public_name_breaks(tree, imports),
    }
    for rule, breaks in reported.items():
        assert {(str(b.imp.path), b.imp.line) for b in breaks} == expected[rule], (rule, [str(b) for b in breaks])
    text = str(reported["report"][0])
    assert text.startswith("lossbench/report/__init__.py:6: lossbench.report imports lossbench.sweep.runner")
    assert text.endswith("report never imports engine or sweep")
    assert any("layer 'extra' is not in DESIGN.md's picture" in str(b) for b in reported["arrows"])

    # run time: a stand-in torch and rich, imported by the api and by the registration module's helper
    assert layering.heavy_modules_loaded("lossbench.api", tmp_path) == ["torch"]
    assert layering.heavy_modules_loaded("lossbench_builtins.losses", tmp_path) == ["rich", "torch"]
    assert layering.heavy_modules_loaded("lossbench_builtins", tmp_path) == []  # the check can pass too


CYCLES = {  # "# cycle" marks each import the cycle check must report; no other may be reported
    "lossbench/__init__.py": "",
    "lossbench/results/__init__.py": "from lossbench.results.reader import read\n",  # a package and its module: no cycle
    "lossbench/results/reader.py": """
        from typing import TYPE_CHECKING
        from lossbench.results import writer  # cycle
        if TYPE_CHECKING:
            from lossbench.results.checks import Check  # cycle
        def read():
            pass
    """,
    "lossbench/results/writer.py": """
        def write():
            from lossbench.results.checks import check  # cycle
    """,
    "lossbench/results/checks.py": """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from lossbench.results.writer import write  # cycle
        from lossbench.results import reader  # cycle
    """,
    "lossbench/report/__init__.py": "from lossbench.results import reader\n",  # into the cycle, not on it
}


def test_the_cycle_check_reports_each_import_on_a_cycle_and_nothing_else(tmp_path):
    expected = set()
    for name, source in CYCLES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"))
        expected |= {(name, n) for n, line in enumerate(path.read_text().splitlines(), 1) if line.endswith("# cycle")}
    breaks = layering.cycle_breaks(Tree({"lossbench": tmp_path / "lossbench"}, []).imports())
    assert {(str(b.imp.path), b.imp.line) for b in breaks} == expected, [str(b) for b in breaks]
    assert str(breaks[0]).endswith("an import cycle through lossbench.results.checks, lossbench.results.reader, "
                                   "lossbench.results.writer")
