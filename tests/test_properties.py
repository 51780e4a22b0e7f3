"""Property-based tests (hypothesis) of what a user types: spec files (TOML text), ``--set`` and search spaces.

Whatever comes in, the answer is a valid spec or one LossbenchError naming what is wrong: never another
exception (a traceback on the command line). In-process for speed; a handful through the real CLI (F19)."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lossbench.errors import LossbenchError
from lossbench.registry import load_registry
from lossbench.sweep import build_spec
from lossbench.sweep.inputs import TOML_KEYS
from lossbench.sweep.validate import check

# allow_subnormal=False: the engine flushes subnormal floats to zero process-wide (see engine/loop.py), and
# hypothesis refuses to generate them then
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REGISTRY = load_registry()
NAMES = ["ce", "focal", "bce", "rnn", "gru", "lstm", "clip_norm", "orthogonal_init", "digits", "mnist1d", "lr",
         "focal.gamma", "rnn.activation", "clip_norm.max_norm", "digits.mode"]

scalars = st.one_of(st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=False),
                    st.booleans(), st.sampled_from(NAMES), st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.sampled_from(NAMES + ["low", "high", "log",
                                                                                                "choices"]),
                                                                       inner, max_size=4)), max_leaves=12)
spaces = st.dictionaries(st.sampled_from(NAMES), st.one_of(
    st.fixed_dictionaries({"low": scalars, "high": scalars}, optional={"log": scalars}),
    st.fixed_dictionaries({"choices": st.lists(scalars, max_size=4)}), values), max_size=3)
specs = st.fixed_dictionaries({}, optional={
    **{key: values for key in sorted(TOML_KEYS)},
    "losses": st.lists(st.sampled_from(NAMES), max_size=3), "cells": st.lists(st.sampled_from(NAMES), max_size=2),
    "dataset": st.sampled_from(NAMES), "space": spaces, "fixed": st.dictionaries(st.sampled_from(NAMES), scalars)})


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")  # TOML takes no raw DEL
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_text(data: dict) -> str:
    return "".join(f"{json.dumps(key)} = {toml_value(value)}\n" for key, value in data.items())


def only_lossbench_errors(call) -> None:
    """``call()`` returns or raises a LossbenchError with a message: nothing else."""
    try:
        call()
    except LossbenchError as error:
        assert str(error).strip()


@SETTINGS
@given(text=st.text(max_size=200))
def test_any_text_as_a_spec_file(tmp_path_factory, text):
    from lossbench.sweep import load_toml

    path = tmp_path_factory.mktemp("spec") / "spec.toml"
    path.write_text(text, errors="surrogateescape")
    only_lossbench_errors(lambda: check(build_spec(load_toml(path), {}), REGISTRY))


@SETTINGS
@given(data=specs)
def test_any_spec_fields(tmp_path_factory, data):
    from lossbench.sweep import load_toml

    path = tmp_path_factory.mktemp("spec") / "spec.toml"
    path.write_text(toml_text(data))
    only_lossbench_errors(lambda: check(build_spec(load_toml(path), {}), REGISTRY))


@SETTINGS
@given(texts=st.lists(st.one_of(st.text(max_size=30), st.builds("{}={}".format, st.sampled_from(NAMES + ["hidden",
                      "batch_size", "optimizer"]), st.text(max_size=20))), max_size=4))
def test_any_set_values_in_a_sweep_and_a_run(texts):
    from dataclasses import replace

    from lossbench.cli.sets import component_params, parse_sets, sweep_overrides
    from lossbench.engine import RunConfig, resolve

    def sweep() -> None:
        spec = build_spec({"dataset": "digits", "losses": ["focal"], "cells": ["rnn"]}, {})
        spec = replace(spec, **sweep_overrides(parse_sets(texts), spec.dataset, spec.fixed, spec.dataset_params))
        check(spec, REGISTRY)

    def run() -> None:
        config = RunConfig(dataset="digits", cell="rnn", loss="focal", remedies=("clip_norm",))
        components = {n: REGISTRY.get(k, n) for k, n in [("datasets", "digits"), ("cells", "rnn"),
                                                         ("losses", "focal"), ("remedies", "clip_norm")]}
        resolve(replace(config, params=component_params(parse_sets(texts), components)), REGISTRY)

    only_lossbench_errors(sweep)
    only_lossbench_errors(run)


@SETTINGS
@given(space=spaces)
def test_any_search_space_validates_or_samples(space):
    import optuna

    from lossbench.sweep.space import arm_space, suggest

    try:
        spec = check(build_spec({"dataset": "digits", "losses": ["focal"], "cells": ["rnn"],
                                 "remedies": [["clip_norm"]], "space": space}, {}), REGISTRY)
    except LossbenchError as error:
        assert str(error).strip()
        return
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trial = optuna.create_study().ask()
    for key, param in arm_space(spec, spec.arms[0], REGISTRY).items():  # a valid space samples
        suggest(trial, key, param)


@pytest.mark.slow
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(data=specs)
def test_F19_random_specs_through_the_cli(cli, tmp_path, data):
    (tmp_path / "spec.toml").write_text(toml_text({**data, "zz_unknown": 1}))  # never valid: nothing trains
    done = cli("run", "spec.toml", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("error: ") and "zz_unknown" in done.stderr
