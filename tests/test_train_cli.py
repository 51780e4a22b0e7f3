"""``lossbench train`` as a user runs it: a real subprocess, real datasets, tiny networks."""

from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from idx_files import write_idx


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The CLI's environment on top of run_cli's clean one."""
    return {
        "FORCE_COLOR": None,  # plain text unless a test asks for colour
        "LOSSBENCH_CACHE_DIR": str(tmp_path_factory.mktemp("cache")),  # never the user's cache
        "OMP_NUM_THREADS": "1",  # tiny networks; and test processes share two cores
        "COLUMNS": "200",
    }


# ------------------------------------------------------------------------------------------- runs that work


@pytest.mark.slow
def test_json_goes_alone_to_stdout_and_progress_to_stderr(cli, env):
    # a terminal on stderr (FORCE_COLOR) so that the progress bar really draws; stdout stays pure JSON
    done = cli("train", "--dataset", "digits", "--cell", "gru", "--loss", "ce", "--epochs", "1", "--hidden", "8",
               "--json", env={**env, "FORCE_COLOR": "1"}, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # fails on anything else printed to stdout
    assert result["schema"] == "lossbench.run/1" and result["status"] == "completed"
    assert result["config"]["dataset"] == "digits" and result["config"]["cell"] == "gru"
    assert result["config"]["loss"] == "ce" and result["config"]["hidden"] == [8]
    assert len(result["epochs"]) == 1 and result["steps"] == 11 == len(result["grad_norms"])  # 1078 / 100
    assert all(math.isfinite(result["test"][k]) for k in ("accuracy", "nll", "ece"))
    assert set(result["flow"]["profiles"]) == {"0", "1"} and len(result["flow"]["profiles"]["0"]) == 8
    assert "epoch 1/1" in done.stderr  # the progress went to stderr
    assert "Traceback" not in done.stderr


SEED_MODEL = ["--dataset", "digits", "--cell", "rnn", "--hidden", "64,32", "--optimizer", "adam", "--lr", "0.001",
              "--batch-size", "64", "--epochs", "1"]


@pytest.mark.slow
def test_seed_article_model_with_bce(cli, env):
    done = cli("train", *SEED_MODEL, "--loss", "bce", "--json", env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "completed"
    config = result["config"]
    assert (config["cell"], config["loss"], config["optimizer"]) == ("rnn", "bce", "adam")
    assert config["hidden"] == [64, 32] and config["lr"] == 0.001 and config["batch_size"] == 64
    assert result["params"]["rnn"]["activation"] == "tanh"
    assert result["steps"] == 17  # ceil(1078 / 64)
    assert 0.0 <= result["test"]["accuracy"] <= 1.0 and math.isfinite(result["test"]["nll"])


@pytest.mark.slow
def test_irnn_with_relu_set_on_the_command_line(cli, env):
    # identity_init is refused with the default tanh, but --set rnn.activation=relu makes it an IRNN
    done = cli("train", "--dataset", "digits", "--cell", "rnn", "--remedy", "identity_init", "--set",
               "rnn.activation=relu", "--epochs", "1", "--hidden", "8", "--json", env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["params"]["rnn"]["activation"] == "relu" and result["config"]["remedies"] == ["identity_init"]


@pytest.mark.slow
def test_seed_article_model_with_ce_prints_a_summary(cli, env):
    done = cli("train", *SEED_MODEL, "--loss", "ce", env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ce / rnn / digits" in done.stdout
    for row in ("completed", "test accuracy", "test NLL", "test ECE", "vanishing ratio", "clipped steps"):
        assert row in done.stdout, row
    assert "epoch 1/1" in done.stderr and "17/17" in done.stderr  # the progress bar's final state
    assert "Traceback" not in done.stderr


# ------------------------------------------------------------------------------------------- bad input


SMNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@pytest.fixture(scope="module")
def smnist_folders(tmp_path_factory):
    """Two folders: one missing its test files, one whose training labels carry an image file's magic number."""
    rng = np.random.default_rng(0)
    partial = tmp_path_factory.mktemp("smnist-partial")
    write_idx(partial / "train-images-idx3-ubyte", rng.integers(0, 256, (20, 28, 28)), 2051)
    write_idx(partial / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, 20), 2049, gz=True)
    corrupt = tmp_path_factory.mktemp("smnist-corrupt")
    write_idx(corrupt / "train-images-idx3-ubyte", rng.integers(0, 256, (20, 28, 28)), 2051)
    write_idx(corrupt / "train-labels-idx1-ubyte", rng.integers(0, 10, 20), 2051)  # wrong magic number
    write_idx(corrupt / "t10k-images-idx3-ubyte", rng.integers(0, 256, (5, 28, 28)), 2051)
    write_idx(corrupt / "t10k-labels-idx1-ubyte", rng.integers(0, 10, 5), 2049)
    return partial, corrupt


# (arguments, substrings the error line must hold); every case fails before any training
BAD_INPUT = {
    "unknown dataset": (["--dataset", "digitz"], ["unknown dataset 'digitz'", "did you mean digits"]),
    "unknown loss": (["--loss", "nosuchloss"], ["unknown loss 'nosuchloss'", "ce", "focal"]),
    "out-of-range --set": (["--loss", "focal", "--set", "focal.gamma=99"], ["focal.gamma", "99", "[0, 5]"]),
    "ill-typed --set": (["--loss", "focal", "--set", "focal.gamma=abc"], ["focal.gamma", "'abc'", "number"]),
    "unknown --set parameter": (["--loss", "focal", "--set", "focal.gama=1"],
                                ["gama", "focal", "did you mean gamma"]),
    "unknown bare --set name": (["--set", "nosuch=1"], ["nosuch", "component.param"]),
    "--set without =": (["--set", "focal.gamma"], ["--set", "name=value"]),
    "incompatible remedy": (["--cell", "gru", "--remedy", "identity_init"], ["identity_init", "gru", "init_styles"]),
    "remedy needing relu": (["--cell", "rnn", "--remedy", "identity_init"], ["identity_init", "activation=relu"]),
    "incompatible remedy and a bad --set": (["--cell", "gru", "--remedy", "identity_init", "--set", "nosuch=1"],
                                            ["identity_init", "gru", "init_styles"]),
    "focal alpha not a number": (["--loss", "focal", "--set", "focal.alpha=abc"], ["focal.alpha", "'abc'"]),
    "bitempered num_iters 0": (["--loss", "bitempered", "--set", "bitempered.num_iters=0"],
                               ["bitempered.num_iters=0", "out of range"]),
    "negative dataset seed": (["--set", "digits.split_seed=-1"], ["digits.split_seed=-1", "out of range"]),
    "hidden 0": (["--hidden", "0"], ["--hidden", "positive"]),
    "hidden not a number": (["--hidden", "64,abc"], ["--hidden", "64,abc"]),
    "epochs 0": (["--epochs", "0"], ["epochs must be an integer in [1, 100000]"]),
    "learning rate past float32": (["--lr", "1e38"], ["learning rate", "(0, 1e+06]", "1e+38"]),
    "learning rate inf": (["--lr", "inf"], ["learning rate", "inf"]),
    "ucr folder missing": (["--dataset", "ucr", "--set", "ucr.path=/nonexistent", "--set", "ucr.name=X"],
                           ["/nonexistent/X_TRAIN.ts"]),
    "mnist1d extra signals not a multiple of 10": (["--dataset", "mnist1d", "--set", "mnist1d.extra_val=15"],
                                                   ["mnist1d.extra_val", "multiple of 10", "got 15"]),
    "ucr package not installed": (["--dataset", "ucr", "--set", "ucr.package=lossbench_no_such_package",
                                   "--set", "ucr.name=ItalyPowerDemand"],
                                  ["ucr.package 'lossbench_no_such_package' is not an installed Python package"]),
    "text file missing": (["--dataset", "text", "--set", "text.path=/nonexistent.txt"],
                          ["/nonexistent.txt does not exist"]),
    "unknown optimizer": (["--optimizer", "adamw"], ["optimizer", "adamw", "did you mean adam"]),
}


def check_one_error_line(done, expected):
    assert done.returncode == 2, (done.returncode, done.stdout[-500:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr  # one clear line, nothing else (no half-drawn progress bar)
    assert lines[0].startswith("error: ")
    for text in expected:
        assert text in lines[0], (text, lines[0])
    assert done.stdout == ""


@pytest.fixture(scope="module")
def bad_input_runs(cli, env):
    # independent processes, two at a time: most of each is start-up (importing torch)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {case: pool.submit(cli, "train", "--epochs", "1", "--hidden", "8", "--dataset", "digits",
                                     *args, "--json", env=env, timeout=120)
                   for case, (args, _) in BAD_INPUT.items()}
        return {case: future.result() for case, future in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_one_line_and_exit_code_2(bad_input_runs, case):
    check_one_error_line(bad_input_runs[case], BAD_INPUT[case][1])


def test_smnist_folder_missing_files(cli, env, smnist_folders):
    partial, _ = smnist_folders
    done = cli("train", "--dataset", "smnist", "--set", f"smnist.path={partial}", "--epochs", "1", "--hidden", "8",
               env=env, timeout=120)
    check_one_error_line(done, [str(partial), "missing: t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte",
                                *SMNIST_FILES])


def test_smnist_corrupt_file(cli, env, smnist_folders):
    _, corrupt = smnist_folders
    done = cli("train", "--dataset", "smnist", "--set", f"smnist.path={corrupt}", "--epochs", "1", "--hidden", "8",
               env=env, timeout=120)
    check_one_error_line(done, [str(corrupt / "train-labels-idx1-ubyte"), "magic number 2051", "expected 2049"])
