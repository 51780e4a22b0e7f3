"""`lossbench list` and `lossbench plugins` as a person reads them: in an 80-column terminal, through the real
CLI, checked against what the same command says in JSON."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

NARROW = {"COLUMNS": "80"}
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")

# A plugin whose summary and ranges are longer than any built-in's: many words, long numbers.
WORDY = '''
from lossbench import Float, Int, LossSpec, hookimpl

def _build(scale=1.0, steps=10):
    import torch.nn.functional as F
    return lambda logits, target: scale * F.cross_entropy(logits, target)

@hookimpl
def register_losses(register):
    register(LossSpec(
        name="a_rather_long_named_cross_entropy_variant",
        summary=("Cross-entropy times a constant, with a summary long enough to need three or four lines at "
                 "eighty columns, hyphenated-words-that-must-not-split and numbers like 0.000123456 or "
                 "123456789.5 near the ends of lines, so that wrapping has to get every one of them right."),
        space={"scale": Float(0.000123456, 98765.4321, log=True)},
        constraints={"steps": Int(1, 4294967295)},
        defaults={"scale": 1.000123456, "steps": 1234567890},
        build=_build))
'''


def blocks(text: str) -> dict[str, list[str]]:
    """The output's blocks by title: a title line at the margin, its indented lines up to the next blank one."""
    found: dict[str, list[str]] = {}
    for chunk in text.split("\n\n"):
        lines = chunk.strip("\n").splitlines()
        if len(lines) > 1 and not lines[0].startswith(" ") and all(line.startswith("  ") for line in lines[1:]):
            found[lines[0].split()[0]] = lines
    return found


def joined(lines: list[str]) -> str:
    """The text of wrapped lines read as one paragraph."""
    return " ".join(" ".join(lines).split())


def assert_narrow(text: str, width: int = 80) -> None:
    too_long = [line for line in text.splitlines() if len(line) > width]
    assert not too_long, f"lines over {width} characters:\n" + "\n".join(too_long)


def at_80_columns(cli, plugins_dir: Path, command: str) -> tuple[dict[str, list[str]], dict]:
    """The command's blocks at 80 columns (every line checked to fit), and what it says in JSON."""
    args = ("--plugins-dir", str(plugins_dir), command)
    done = cli(*args, env=NARROW)
    assert done.returncode == 0, done.stderr
    assert_narrow(done.stdout)
    return blocks(done.stdout), json.loads(cli(*args, "--json").stdout)


def test_list_reads_at_80_columns_every_component_whole(tmp_path: Path, cli):
    (tmp_path / "wordy.py").write_text(textwrap.dedent(WORDY))
    found, data = at_80_columns(cli, tmp_path, "list")
    components = data["components"]
    assert set(found) == {c["name"] for c in components}
    for component in components:
        block = found[component["name"]]
        text = joined(block)
        assert joined([component["summary"]]) in text, (component["summary"], block)
        assert f"plugin {component['plugin']}" in text
        shown = [*(f"{p}: {d}" for p, d in component["space_text"].items()),
                 *(f"{p}: {d}" for p, d in component["constraints_text"].items())]
        for entry in shown:
            assert entry in text, (entry, block)
        expected_numbers = NUMBER.findall(" ".join([*shown, *map(str, component["defaults"].values())]))
        numbers_on_lines = [n for line in block for n in NUMBER.findall(line)]
        for number in expected_numbers:
            assert number in numbers_on_lines, f"{number} of {component['name']} is cut or missing: {block}"
        for key, value in component["compatibility"].items():
            values = value if isinstance(value, list) else [value]
            assert f"{key}: {', '.join(map(str, values))}" in text, (key, block)


def test_a_long_summary_wraps_between_words_at_any_width(tmp_path: Path, cli):
    (tmp_path / "wordy.py").write_text(textwrap.dedent(WORDY))
    listed = json.loads(cli("--plugins-dir", str(tmp_path), "list", "losses", "--json").stdout)["components"]
    wordy = next(c for c in listed if c["name"] == "a_rather_long_named_cross_entropy_variant")
    for width in (47, 53, 61, 67, 73):
        done = cli("--plugins-dir", str(tmp_path), "list", "losses", env={"COLUMNS": str(width)})
        assert_narrow(done.stdout, width)
        block = blocks(done.stdout)["a_rather_long_named_cross_entropy_variant"]
        assert joined([wordy["summary"]]) in joined(block), block


def test_list_wide_is_one_row_per_component(cli):
    done = cli("list", "losses", "--wide", env=NARROW)
    assert done.returncode == 0, done.stderr
    components = json.loads(cli("list", "losses", "--json").stdout)["components"]
    lines = done.stdout.splitlines()
    for component in components:
        assert any(f" {component['name']} " in line and component["summary"] in line for line in lines), \
            component["name"]


def test_plugins_read_at_80_columns(tmp_path: Path, cli):
    (tmp_path / "wordy.py").write_text(textwrap.dedent(WORDY))
    (tmp_path / "broken.py").write_text("import a_module_that_does_not_exist_anywhere_at_all\n")
    found, data = at_80_columns(cli, tmp_path, "plugins")
    plugins = data["plugins"]
    assert set(found) == {p["name"] for p in plugins}
    for plugin in plugins:
        block = found[plugin["name"]]
        text = joined(block)
        assert block[0].split()[1:] == [plugin["version"] or "-", "ok" if plugin["status"] == "ok" else "failed"]
        assert plugin["source"] in text
        for kind, names in plugin["components"].items():
            if names:
                assert f"{kind} {', '.join(names)}" in text, (kind, block)
        if plugin["error"]:
            assert f"error {plugin['error']}" in text, block
    assert found["broken"][0].split()[-1] == "failed"


def test_plugins_wide_is_one_row_per_plugin(cli):
    done = cli("plugins", "--wide", env=NARROW)
    assert done.returncode == 0, done.stderr
    plugins = json.loads(cli("plugins", "--json").stdout)["plugins"]
    for plugin in plugins:
        names = ", ".join(next(names for names in plugin["components"].values() if names))
        assert any(f" {plugin['name']} " in line and names in line for line in done.stdout.splitlines())


MIN_GRU = '''
from lossbench import CellSpec, hookimpl

LOSSBENCH_API = "1.1"


def build_mingru(input_size, hidden_size):
    import torch

    return torch.nn.GRU(input_size, hidden_size, batch_first=True)  # never built here


MINGRU = CellSpec(name="mingru", summary="minGRU, gates not declared", build=build_mingru, gates=("z", "h"),
                  recurrent_weight=None, init_styles={"chrono"})
SPECS = (MINGRU,)


@hookimpl
def register_cells(register):
    for spec in SPECS:
        register(spec)
'''


def test_list_cells_names_the_remedies_each_cell_accepts_and_refuses_with_why(tmp_path: Path, cli):
    (tmp_path / "mingru.py").write_text(MIN_GRU)
    found, data = at_80_columns(cli, tmp_path, "list")
    cells = {c["name"]: c for c in data["components"] if c["kind"] == "cells"}
    remedies = {c["name"] for c in data["components"] if c["kind"] == "remedies"}
    for cell in cells.values():  # every remedy is either accepted or refused with a reason
        assert set(cell["remedies"]["accepted"]) | set(cell["remedies"]["refused"]) == remedies
        assert not set(cell["remedies"]["accepted"]) & set(cell["remedies"]["refused"])
    assert "chrono_init" in cells["gru"]["remedies"]["accepted"]
    assert "init_styles={'identity'}" in cells["gru"]["remedies"]["refused"]["identity_init"]
    assert "set rnn.activation=relu" in cells["rnn"]["remedies"]["refused"]["identity_init"]
    mingru = cells["mingru"]["remedies"]["refused"]
    assert "declares no gate_roles" in mingru["chrono_init"] and "no recurrent weight" in mingru["orthogonal_init"]
    assert cells["gru"]["compatibility"]["gate roles"] == ["z keep"]
    text = joined(found["mingru"])
    assert "accepts: batch_norm, clip_norm" in text and "refuses chrono_init: remedy chrono_init sets the bias" in text
