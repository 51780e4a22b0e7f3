"""What `pip install lossbench` asks for: the dependencies in pyproject.toml, read as pip reads them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
UPPER_BOUND_OPERATORS = {"<", "<=", "==", "~=", "==="}


def requirements() -> dict[str, Requirement]:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    return {Requirement(line).name: Requirement(line) for line in dependencies}


def dependency_lines_with_comments() -> list[tuple[str, str]]:
    """Each dependency of ``[project] dependencies`` with the comment on its line or the block just above it."""
    block = re.search(r"^dependencies = \[\n(.*?)^\]", PYPROJECT.read_text(), re.M | re.S)
    assert block, "no [project] dependencies array in pyproject.toml"
    found, comment = [], ""
    for line in block.group(1).splitlines():
        text, _, trailing = line.partition("#")
        if not text.strip():
            comment = (comment + " " + trailing).strip() if trailing else ""
            continue
        found.append((text.strip().rstrip(",").strip('"'), (comment + " " + trailing).strip()))
        comment = ""
    return found


def test_pip_install_resolves_with_any_torch_from_2_2_on():
    torch = requirements()["torch"]
    for version in ("2.2", "2.13.0", "2.14.1", "3.0"):
        assert torch.specifier.contains(version), f"{torch} refuses torch {version}"
    assert not torch.specifier.contains("2.1"), f"{torch} admits torch 2.1, below the floor of 2.2"


def test_an_upper_bound_on_a_dependency_says_why():
    lines = dependency_lines_with_comments()
    assert {Requirement(line).name for line, _ in lines} == set(requirements()), "the text and TOML disagree"
    for line, comment in lines:
        bounded = [s for s in Requirement(line).specifier if s.operator in UPPER_BOUND_OPERATORS]
        assert not bounded or comment, f"{line!r} has an upper bound and no comment saying why"
