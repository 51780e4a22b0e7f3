"""Data and spec faults tried for real (docs/failures.md F26-F28): ucr files with a value past float32 or a class
missing from the data, a text file with a byte-order mark and CR line ends, duplicate arms, a blank name, a default
given explicitly, bidirectional controls."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lossbench.errors import DataError
from lossbench_builtins import datasets as plugin
from test_failures import exits_as_documented, one_error_line, write_plugin

HEADER = "@problemName Toy\n@univariate true\n@equalLength true\n@classLabel true dog cat\n@data\n"


@pytest.fixture(scope="module")
def specs():
    found = []
    plugin.register_datasets(found.append)
    return {spec.name: spec for spec in found}


def load(spec, **overrides):
    return spec.load(**spec.resolve(overrides))


def write_ucr(folder, train_rows, test_rows=None):
    rng = np.random.default_rng(0)
    rows = lambda n: [",".join(f"{v:.3f}" for v in rng.normal(100, 8, 5)) + (":dog" if i % 2 else ":cat")
                      for i in range(n)]
    (folder / "Toy_TRAIN.ts").write_text(HEADER + "\n".join(train_rows or rows(10)) + "\n")
    (folder / "Toy_TEST.ts").write_text(HEADER + "\n".join(test_rows or rows(4)) + "\n")
    return rows


@pytest.mark.parametrize("value", ["1e39", "inf", "-Infinity"])
def test_F26_a_ucr_value_past_float32_is_an_error_naming_its_row(specs, tmp_path, value):
    rows = write_ucr(tmp_path, None)(10)
    rows[3] = f"100,101,{value},99,98:dog"
    write_ucr(tmp_path, rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning on the way
        with pytest.raises(DataError) as error:
            load(specs["ucr"], path=str(tmp_path), name="Toy")
    assert f"Toy_TRAIN.ts:{HEADER.count(chr(10)) + 4}: dimension 1: {value!r} is not a finite float32" in str(
        error.value)


def test_F26_the_largest_float32_value_is_still_standardised(specs, tmp_path):
    rows = write_ucr(tmp_path, None)(10)
    rows[3] = "100,101,3e38,99,98:dog"
    write_ucr(tmp_path, rows)
    data = load(specs["ucr"], path=str(tmp_path), name="Toy")
    assert np.isfinite(data.train.x).all() and abs(float(data.train.x.std())) > 0


def test_F27_a_ucr_header_naming_two_classes_with_data_of_one(specs, tmp_path):
    one = [",".join(["1", "2", "3", "4", "5"]) + ":dog" for _ in range(10)]
    write_ucr(tmp_path, one)
    with pytest.raises(DataError) as error:
        load(specs["ucr"], path=str(tmp_path), name="Toy")
    assert "@classLabel lists 2 classes (dog cat) but its data holds 1 (dog)" in str(error.value)


def test_F27_a_class_absent_from_the_training_data_is_warned(specs, tmp_path):
    header = HEADER.replace("dog cat", "dog cat bird")
    rows = [f"{i},{i + 1},{i},{i},{i}:{'dog' if i % 2 else 'cat'}" for i in range(10)]
    (tmp_path / "Toy_TRAIN.ts").write_text(header + "\n".join(rows) + "\n")
    (tmp_path / "Toy_TEST.ts").write_text(header + "\n".join(rows[:4]) + "\n")
    with pytest.warns(UserWarning, match="no case of class bird"):
        load(specs["ucr"], path=str(tmp_path), name="Toy")


def test_F28_a_text_file_s_byte_order_mark_and_cr_are_no_classes(specs, tmp_path):
    body = "the cat sat on the mat\r\n" * 40
    (tmp_path / "windows.txt").write_bytes(b"\xef\xbb\xbf" + body.encode())
    (tmp_path / "unix.txt").write_text(body.replace("\r\n", "\n"))
    windows = load(specs["text"], path=str(tmp_path / "windows.txt"), seq_len=8)
    unix = load(specs["text"], path=str(tmp_path / "unix.txt"), seq_len=8)
    assert "\ufeff" not in windows.class_names and "\r" not in windows.class_names
    assert windows.class_names == unix.class_names
    np.testing.assert_array_equal(windows.train.y, unix.train.y)


SPEC = ["run", "--dataset", "digits", "--cell", "rnn", "--set", "hidden=8", "--epochs", "1", "--seeds", "1",
        "--trials", "1", "--workers", "1", "--quiet"]


@pytest.mark.parametrize("toml, message", [
    ('losses = ["ce", "ce"]', "losses lists 'ce' more than once"),
    ('cells = ["rnn", "rnn"]', "cells lists 'rnn' more than once"),
    ("remedies = [[], []]", "the remedy set none is listed more than once"),
    ('remedies = [["clip_norm", "orthogonal_init"], ["orthogonal_init", "clip_norm"]]',
     "the remedy set orthogonal_init+clip_norm is listed more than once (as clip_norm+orthogonal_init)"),
])
def test_F29_duplicate_arms_are_refused(cli, tmp_path, toml, message):
    spec = tmp_path / "twice.toml"
    spec.write_text(f'dataset = "digits"\n{toml}\n' + ("" if "cells" in toml else 'cells = ["rnn"]\n'))
    done = cli(*[a for a in SPEC if a not in ("--cell", "rnn")], str(spec), cwd=tmp_path)
    exits_as_documented(done, "F29")
    assert message in done.stderr, done.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("name", [" ", "  padded", "trail ", "\u202eevil"])
def test_F29_a_blank_or_padded_or_bidi_name_is_refused(cli, tmp_path, name):
    done = cli(*SPEC, "--name", name, cwd=tmp_path)
    exits_as_documented(done, "F29")
    assert "sweep name" in one_error_line(done) and "\u202e" not in done.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_F29_a_default_given_explicitly_is_the_same_spec(cli, tmp_path):
    from lossbench.registry import load_registry

    default = load_registry().get("datasets", "digits").defaults["split_seed"]
    cli(*SPEC, "--name", "same", cwd=tmp_path, check=True)
    again = cli(*SPEC, "--name", "same", "--set", f"digits.split_seed={default}", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    other = cli(*SPEC, "--name", "same", "--set", f"digits.split_seed={default + 1}", cwd=tmp_path)
    exits_as_documented(other, "F29")
    assert "different spec (differs in: dataset_params)" in other.stderr


@pytest.mark.slow
def test_F29_bidi_controls_never_reach_list_or_a_report(cli, tmp_path):
    from lossbench.text import printable

    assert printable("abc\u202edef\u2066x\u200f") == "abcdefx"
    folder = write_plugin(tmp_path / "plugins", "bidi", '''
def build():
    raise ValueError("bad \\u202egnp.exe")

@hookimpl
def register_losses(register):
    register(LossSpec(name="bidi", summary="looks \\u202eright", space={}, defaults={}, build=build,
                      targets=frozenset({"binary", "multiclass"})))
''')
    listed = cli("--plugins-dir", str(folder), "list", "losses", cwd=tmp_path)
    assert listed.returncode == 0 and "looks right" in listed.stdout and "\u202e" not in listed.stdout
    done = cli("--plugins-dir", str(folder), *SPEC, "--loss", "bidi", "--name", "bidi", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    for report in ("report.md", "report.html", "trials.csv"):
        text = (tmp_path / "results" / "bidi" / report).read_text()
        assert "gnp.exe" in text and "\u202e" not in text, report
    assert "\u202e" not in done.stderr


DRIFT = '''
def build(scale):
    import torch.nn.functional as F
    return lambda logits, target: scale * F.cross_entropy(logits, target)

@hookimpl
def register_losses(register):
    register(LossSpec(name="drift", summary="scaled", space={}, defaults={"scale": SCALE}, build=build,
                      targets=frozenset({"binary", "multiclass"})))
'''


@pytest.mark.slow
def test_F33_a_plugin_default_or_a_data_file_changed_before_a_resume(cli, tmp_path):
    plugins = write_plugin(tmp_path / "plugins", "drift", DRIFT.replace("SCALE", "1.0"))
    write_ucr(tmp_path, None)
    args = ["--plugins-dir", str(plugins), *SPEC, "--name", "drift", "--loss", "drift", "--dataset", "ucr",
            "--set", f"ucr.path={tmp_path}", "--set", "ucr.name=Toy"]
    cli(*args, cwd=tmp_path, check=True)
    assert cli(*args, cwd=tmp_path).returncode == 0  # nothing changed: resumes (here: already finished)
    write_plugin(tmp_path / "plugins", "drift", DRIFT.replace("SCALE", "2.0"))
    changed = cli(*args, cwd=tmp_path)
    exits_as_documented(changed, "F33")
    assert "changed: drift: default scale = 1.0 -> 2.0" in one_error_line(changed)
    write_plugin(tmp_path / "plugins", "drift", DRIFT.replace("SCALE", "1.0"))
    train = tmp_path / "Toy_TRAIN.ts"
    train.write_text(train.read_text().replace("\n1", "\n2", 1))  # one value of the data file
    changed = cli(*args, cwd=tmp_path)
    exits_as_documented(changed, "F33")
    assert "changed: the dataset's data (fingerprint" in one_error_line(changed)
    assert "drift:" not in one_error_line(changed).split("changed:")[1]
