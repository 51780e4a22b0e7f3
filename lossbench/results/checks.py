"""What is read back is what lossbench writes: a stored spec and each trial's attributes checked for shape before
anything reads them, so a storage written by another version, or edited, is one message naming what is wrong and
where, never an empty leaderboard for a finished sweep, another objective than the one tuned, or a traceback.

Checked: the fields every reader relies on, and the type of every known field that is there. Keys this version
does not know are left alone (a newer version may add some); an older spec without one of the optional fields
(``patience``, ``race``, ``claims`` ...) still reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lossbench.errors import LossbenchError
from lossbench.results.objective import OBJECTIVES
from lossbench.results.schema import (ATTR_DIVERGED_AT, ATTR_ERROR, ATTR_PARAMS, ATTR_RESULT, ATTR_SEED, ATTR_STATUS,
                                      ATTR_SURPLUS)


class StoredFormError(LossbenchError):
    """Storage holds something this version does not write (another version's sweep, an edited storage)."""


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _optional(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or check(value)


def _epoch(record: Any) -> bool:
    """One epoch of a run: its number, and its measures as numbers (null where not finite)."""
    return isinstance(record, dict) and _int(record.get("epoch")) and all(
        _optional(_number)(record.get(key)) for key in ("train_loss", "val_accuracy", "val_nll", "seconds"))


SPEC_REQUIRED: dict[str, tuple[Callable[[Any], bool], str]] = {
    "name": (lambda v: isinstance(v, str), "a text"),
    "dataset": (lambda v: isinstance(v, str), "a text"),
    "losses": (_names, "a list of names"),
    "cells": (_names, "a list of names"),
    "remedy_sets": (lambda v: isinstance(v, list) and all(_names(s) for s in v), "a list of lists of names"),
    "trials": (_int, "an integer"),
    "epochs": (_int, "an integer"),
    "seeds": (_int, "an integer"),
    "objective": (lambda v: v in OBJECTIVES, f"one of {', '.join(OBJECTIVES)}"),
}
SPEC_OPTIONAL: dict[str, tuple[Callable[[Any], bool], str]] = {
    "patience": (_optional(_int), "an integer or null"),
    "race": (lambda v: isinstance(v, bool), "true or false"),
    "baseline": (_optional(lambda v: isinstance(v, str)), "a text or null"),
    "claims": (lambda v: isinstance(v, list) and all(isinstance(c, dict) for c in v), "a list of tables"),
    "refused": (lambda v: isinstance(v, dict), "a table"),
    "hidden": (lambda v: isinstance(v, list) and all(_int(h) for h in v), "a list of integers"),
    "batch_size": (_int, "an integer"),
    "optimizer": (lambda v: isinstance(v, str), "a text"),
    "sampler": (lambda v: isinstance(v, str), "a text"),
    "pruner": (lambda v: isinstance(v, str), "a text"),
    "sampler_seed": (_optional(_int), "an integer"),
    "dataset_params": (lambda v: isinstance(v, dict), "a table"),
    "fixed": (lambda v: isinstance(v, dict), "a table"),
    "space": (lambda v: isinstance(v, dict), "a table"),
    "max_epochs": (_optional(_int), "an integer"),
}
TRIAL_ATTRS: dict[str, tuple[Callable[[Any], bool], str]] = {
    ATTR_STATUS: (lambda v: isinstance(v, str), "a text"),
    ATTR_SEED: (_int, "an integer"),
    ATTR_RESULT: (lambda v: isinstance(v, dict), "a table (a run's result)"),
    ATTR_ERROR: (lambda v: isinstance(v, str), "a text"),
    ATTR_SURPLUS: (lambda v: isinstance(v, bool), "true or false"),
    ATTR_PARAMS: (lambda v: isinstance(v, dict), "a table"),
    ATTR_DIVERGED_AT: (lambda v: isinstance(v, dict), "a table"),
}
RESULT_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "config": (lambda v: isinstance(v, dict), "a table"),
    "params": (lambda v: isinstance(v, dict), "a table"),
    "status": (lambda v: isinstance(v, str), "a text"),
    "epochs": (lambda v: isinstance(v, list) and all(_epoch(e) for e in v), "a list of epoch records"),
    "test": (_optional(lambda v: isinstance(v, dict)), "a table or null"),
    "grad_norms": (_optional(lambda v: isinstance(v, list)), "a list"),
    "flow": (_optional(lambda v: isinstance(v, dict)), "a table"),
}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    return {list: "a list", dict: "a table", str: "a text", bool: "a boolean", type(None): "null"}.get(
        type(value), type(value).__name__)


def spec_problem(spec: Any) -> str | None:
    """What is wrong with a stored spec (the ``spec`` attribute of a sweep's spec study), or None."""
    if not isinstance(spec, dict):
        return f"its spec is {_kind(spec)}, not a table"
    missing = [key for key in SPEC_REQUIRED if key not in spec]
    if missing:
        unknown = sorted(set(spec) - set(SPEC_REQUIRED) - set(SPEC_OPTIONAL) - {"trial_timeout", "time_budget"})
        besides = f" (it has {', '.join(map(repr, unknown))}, which this version does not know)" if unknown else ""
        return f"its stored spec has no {', '.join(map(repr, missing))}{besides}"
    for fields in (SPEC_REQUIRED, SPEC_OPTIONAL):
        for key, (check, wanted) in fields.items():
            if key in spec and not check(spec[key]):
                return f"its stored spec's {key!r} is {_shown(spec[key])}, not {wanted}"
    return None


def trial_problem(attrs: dict[str, Any]) -> str | None:
    """What is wrong with a stored trial's user attributes, or None."""
    for key, (check, wanted) in TRIAL_ATTRS.items():
        if attrs.get(key) is not None and not check(attrs[key]):
            return f"its {key!r} is {_kind(attrs[key])}, not {wanted}"
    result = attrs.get(ATTR_RESULT)
    for key, (check, wanted) in RESULT_FIELDS.items() if isinstance(result, dict) else ():
        if key in result and not check(result[key]):
            return f"its result's {key!r} is {_shown(result[key])}, not {wanted}"
    return None


def refuse(sweep: str, where: str | None, problem: str) -> StoredFormError:
    at = f" in {where}" if where else ""
    return StoredFormError(f"the sweep {sweep!r}{at} cannot be read: {problem}; was it written by another version "
                           f"of lossbench, or edited?")
