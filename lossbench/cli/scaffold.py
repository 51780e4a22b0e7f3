"""``lossbench new-plugin NAME``: a ready plugin package, one working component per kind asked for.

It writes NAME/ with a pyproject.toml (the ``lossbench`` entry points), the package (a registration module per
kind, in the built-ins' style), a test that runs the conformance kit, and a README."""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from string import Template
from typing import Annotated

import typer

from lossbench.api.version import API_VERSION
from lossbench.cli import scaffold_files as files
from lossbench.cli.output import stderr
from lossbench.errors import LossbenchError, UnknownNameError

# kind -> (registration module, the files it needs beside it, the component's name suffix)
KINDS = {
    "loss": ("losses", {"losses.py": files.LOSSES}, "ce"),
    "cell": ("cells", {"cells.py": files.CELLS, "cell_modules.py": files.CELL_MODULES}, "rnn"),
    "dataset": ("datasets", {"datasets.py": files.DATASETS, "sines.py": files.SINES}, "sines"),
    "remedy": ("remedies", {"remedies.py": files.REMEDIES}, "clip"),
}
_DIST = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*$")
TAKEN = {"lossbench", "lossbench_builtins", "torch", "numpy", "optuna", "pluggy", "tests", "test"}


def new_plugin_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The project's name, e.g. lossbench-mylosses (its package: "
                                             "lossbench_mylosses; its components: mylosses_ce, ...).")],
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", metavar="KIND", help="A kind of component to include: loss, cell, dataset or remedy (repeatable; default: all).",
        show_default=False)] = None,
    out: Annotated[str, typer.Option(help="The folder to create the project in.")] = ".",
) -> None:
    """Create a plugin package: pyproject with the lossbench entry points, a working component per kind, a test
    that runs the conformance kit, and a README."""
    kinds = list(dict.fromkeys(kind or KINDS))
    for k in kinds:
        if k not in KINDS:
            raise UnknownNameError("kind", k, KINDS)
    folder = Path(out) / name
    written = write_project(name, kinds, folder)
    stderr.print(f"created {folder} ({', '.join(kinds)}): {len(written)} files; next: cd {folder} && "
                 f"pip install -e '.[test]' && python -m pytest -q", markup=False, highlight=False)


def names_for(dist: str) -> tuple[str, str]:
    """(package, components' prefix) of a project name; an error saying why when it cannot make them."""
    if not _DIST.match(dist):
        raise LossbenchError(f"plugin name {dist!r}: use letters, digits, '-', '_' or '.', starting with a letter")
    package = re.sub(r"[-.]+", "_", dist).lower()
    prefix = package.removeprefix("lossbench_").strip("_")
    if not re.match(r"^[a-z][a-z0-9_]*$", prefix):  # a component's name starts with a letter: keep the whole name
        prefix = package.strip("_")
    if keyword.iskeyword(package) or package in TAKEN:
        raise LossbenchError(f"plugin name {dist!r} would make the package {package!r}, which shadows another "
                             f"module; choose another name")
    return package, prefix


def write_project(dist: str, kinds: list[str], folder: Path) -> list[Path]:
    """Write the project into ``folder`` (which must not exist or be empty); the files written."""
    package, prefix = names_for(dist)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise LossbenchError(f"{folder} already exists and is not an empty folder; choose another name or --out")
    modules = [KINDS[k][0] for k in kinds]
    values = {
        "dist": dist, "pkg": package, "p": prefix, "P": prefix.upper(), "api": API_VERSION,
        "kinds": ", ".join(kinds), "modules": "[" + "".join(f'\n    "{package}.{m}",' for m in modules) + "\n]",
        "entry_points": "\n".join(f'{m} = "{package}.{m}"' for m in modules),
        "table": "\n".join(f"| `{package}/{KINDS[k][0]}.py` | {k} `{prefix}_{KINDS[k][2]}` |" for k in kinds),
        "train": _train_line(prefix, kinds),
        "params": (f'{{"{prefix}_sines": [{{"n": 100}}, {{"n": 60, "max_steps": 8}}]}}  # two dataset sizes'
                   if "dataset" in kinds else '{}  # e.g. {"' + f'{prefix}_{KINDS[kinds[0]][2]}": {{...}}}}'),
    }
    texts = {Path("pyproject.toml"): files.PYPROJECT, Path("README.md"): files.README,
             Path(package) / "__init__.py": files.INIT, Path("tests") / f"test_{package}.py": files.TEST}
    for k in kinds:
        texts.update({Path(package) / file: text for file, text in KINDS[k][1].items()})
    written = []
    for relative, text in texts.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(text).substitute(values))
        written.append(path)
    return written


def _train_line(prefix: str, kinds: list[str]) -> str:
    """A ``lossbench train`` command using the generated components (built-ins for the kinds not asked for)."""
    parts = ["lossbench train --epochs 2"]
    parts.append(f"--dataset {prefix}_sines" if "dataset" in kinds else "--dataset digits")
    parts.append(f"--cell {prefix}_rnn" if "cell" in kinds else "--cell gru")
    parts.append(f"--loss {prefix}_ce" if "loss" in kinds else "--loss ce")
    if "remedy" in kinds:
        parts.append(f"--remedy {prefix}_clip")
    return " ".join(parts)
