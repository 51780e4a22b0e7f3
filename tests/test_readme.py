"""The README as a front door (issue 29): at most 200 lines, its Python example runs as written on a stored sweep
(tests/stored.py, nothing trains), `.ci/run` finds its test command, what it counts is what is registered, and
every relative link of the README, docs/ and benchmarks/README.md reaches a file (and a heading, where it names one)."""

from __future__ import annotations

import re
import runpy
import subprocess
from pathlib import Path

import pytest
from stored import store_journal

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCUMENTS = [README, ROOT / "benchmarks" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def python_block(text: str, first_line: str) -> str:
    """The ```python block that starts with ``first_line``."""
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    return next(b for b in blocks if b.startswith(first_line))


def anchors(text: str) -> set[str]:
    """GitHub's anchor of every heading outside code: lower case, punctuation dropped, spaces to hyphens; a
    repeated heading gets -1, -2, ..."""
    seen: set[str] = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *$", FENCE.sub("", text), re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        candidate, n = slug, 0
        while candidate in seen:
            n += 1
            candidate = f"{slug}-{n}"
        seen.add(candidate)
    return seen


def broken_links(document: Path) -> list[str]:
    """Every relative link of ``document`` (outside code) whose file, or heading, does not exist."""
    text = document.read_text()
    prose = re.sub(r"`[^`\n]*`", "", FENCE.sub("", text))
    broken = []
    for target in LINK.findall(prose):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        path, _, anchor = target.partition("#")
        file = (document.parent / path).resolve() if path else document
        if not file.exists():
            broken.append(f"{target}: no file {file}")
        elif anchor and (file.suffix != ".md" or anchor not in anchors(file.read_text())):
            broken.append(f"{target}: no heading #{anchor} in {file.name}")
    return broken


def test_the_readme_is_a_front_door_of_at_most_200_lines():
    lines = README.read_text().splitlines()
    assert len(lines) <= 200, len(lines)
    for document in ["docs/method.md", "docs/reports.md", "docs/scale.md", "docs/failures.md", "docs/plugins.md",
                     "benchmarks/README.md"]:
        assert f"]({document})" in README.read_text(), document


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_reaches_a_file_and_its_heading(document):
    assert broken_links(document) == []


def test_the_link_check_finds_a_missing_file_and_a_missing_heading(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "there.md").write_text("# There\n\n## A `code` heading: yes\n\n"
                                                "```bash\n# not a heading\n```\n")
    page = tmp_path / "README.md"
    page.write_text("[ok](docs/there.md) [ok](docs/there.md#a-code-heading-yes) [web](https://example.org/x)\n"
                    "![gone](docs/gone.png) [bad](docs/there.md#not-a-heading) `[code](not/checked.md)`\n"
                    "```\n[fenced](not/checked.md)\n```\n[self](#nowhere)\n")
    assert broken_links(page) == [f"docs/gone.png: no file {tmp_path}/docs/gone.png",
                                  "docs/there.md#not-a-heading: no heading #not-a-heading in there.md",
                                  "#nowhere: no heading #nowhere in README.md"]


def test_ci_reads_the_test_command_from_the_readme():
    """`.ci/run`'s own sed expression, run on the README, gives the test command (torch pinned first, then pytest)."""
    expression = re.search(r"sed -n '([^']+)' README\.md", (ROOT / ".ci" / "run").read_text()).group(1)
    command = subprocess.run(["sed", "-n", expression, "README.md"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
    assert command.startswith("pip install 'torch==") and command.endswith("python -m pytest -q"), command
    assert "pip install -e '.[test]'" in command, command


def test_the_readme_notebook_example_runs_as_written_on_a_stored_sweep(tmp_path, monkeypatch, capsys):
    store_journal(tmp_path / "results", "quickstart", trials=4, seeds=3, losses=("ce", "focal"))
    (tmp_path / "notebook.py").write_text(python_block(README.read_text(), "# notebook.py"))
    assert len(python_block(README.read_text(), "# notebook.py").splitlines()) <= 12  # a short example
    monkeypatch.chdir(tmp_path)
    seen = runpy.run_path(str(tmp_path / "notebook.py"))
    printed = capsys.readouterr().out
    assert printed.startswith(" ".join(seen["sweep"].answer)), printed
    assert list(seen["board"].arm) == ["ce:rnn:none", "focal:rnn:none"]
    assert len(seen["trials"]) == 2 * (4 + 3) and not seen["decisions"].empty
    for shown in ["ce:rnn:none", "focal:rnn:none", "final", "tune", "difference", "ci_low"]:
        assert shown in printed, (shown, printed)


def test_what_the_readme_counts_is_what_is_built_in():
    from lossbench.registry import load_registry

    registry = load_registry()
    counted = re.search(r"Built in: (\d+) losses, (\d+) cells, (\d+) datasets \(all offline\) and (\d+) remedies",
                        README.read_text())
    assert counted, "the README's count of the built-ins"
    ours = {p.name for p in registry.plugins if p.source == "built-in"}
    built_in = [len([n for n in registry.names(kind) if registry.owner(kind, n) in ours])
                for kind in ("losses", "cells", "datasets", "remedies")]
    assert [int(n) for n in counted.groups()] == built_in
