"""Spec input: a TOML file, a preset or flags as SweepSpec fields. Shapes are checked here (a TOML file can hold
anything); values are checked by ``validate``."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from lossbench.errors import VOICE, LossbenchError, UnknownNameError
from lossbench.sweep.grow import CAPS
from lossbench.sweep.racing import ROUNDS
from lossbench.sweep.spec import SweepSpec
from lossbench.text import shown

SPEC_KEYS = set(SweepSpec.__dataclass_fields__) - {"refused", "problems", "given"}  # what a file or flags may set
TOML_KEYS = SPEC_KEYS | {"remedies"}  # "remedies" is read as "remedy_sets"


def load_toml(path: str | Path) -> dict[str, Any]:
    """A TOML spec as a dict of SweepSpec fields (``remedies`` is accepted for ``remedy_sets``); unknown keys
    are left in for ``build_spec`` to report with every other problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LossbenchError(f"sweep spec {path} not found") from None
    except IsADirectoryError:
        raise LossbenchError(f"sweep spec {path} is a folder; give a .toml file") from None
    except UnicodeDecodeError as error:
        raise LossbenchError(f"sweep spec {path} is not UTF-8 text (byte {error.start}); give a TOML file") from None
    except OSError as error:
        raise LossbenchError(f"cannot read sweep spec {path}: {error.strerror or error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LossbenchError(f"sweep spec {path} is not valid TOML: {error}") from None
    if "remedies" in data:
        data["remedy_sets"] = data.pop("remedies")
    data.setdefault("name", path.stem)
    return data


def build_spec(base: dict[str, Any], overrides: dict[str, Any]) -> SweepSpec:
    """Fields from a TOML file or a preset, then flags on top. An unknown key or a field of the wrong shape is
    left out and recorded in ``problems``; values are checked later, by ``validate``."""
    data = {**base, **{k: v for k, v in overrides.items() if v is not None}}
    data.setdefault("name", "quickstart")
    problems = [str(UnknownNameError("key in the sweep spec", key, sorted(TOML_KEYS)))
                for key in data if key not in TOML_KEYS]
    for key, problem in _shape_problems(data):
        problems.append(problem)
        data.pop(key, None)
    data = {k: v for k, v in data.items() if k in SPEC_KEYS}
    named = frozenset(key for key in CAPS if key in data)  # the others: the stored sweep's, on a resume
    given = overrides.get("seeds")
    if given is not None and str(given).strip().lower() != "auto" and overrides.get("race") is None:
        data["race"] = False  # --seeds N over a racing preset: that many seeds, as asked
    if isinstance(data.get("seeds"), str) and data["seeds"].strip().lower() == "auto":
        data["seeds"], data["race"] = ROUNDS[-1], True
    elif isinstance(data.get("seeds"), str):
        try:
            data["seeds"], data["race"] = int(data["seeds"]), False  # from the command line: a fixed number
        except ValueError:
            problems.append(f"seeds must be a number of seeds or auto, got {data.pop('seeds')!r}")
    if "claims" in data:
        data["claims"] = tuple(data["claims"])
    if isinstance(data.get("time_budget"), str):
        seconds = duration(data["time_budget"])
        if seconds is None or seconds > TIME_BUDGET_MAX:
            past = f" of at most {TIME_BUDGET_MAX // 3600}h" if seconds is not None else " such as 10m, 90s or 1h"
            problems.append(f"time_budget must be a duration{past}, got {shown(data.pop('time_budget'))}")
        else:
            data["time_budget"] = seconds
    if data.get("patience") == 0 and not isinstance(data.get("patience"), bool):
        data["patience"] = None  # 0: train every epoch to the cap
    for key in ("losses", "cells"):
        if isinstance(data.get(key), str):
            data[key] = (data[key],)
    for key in ("losses", "cells", "hidden"):
        if key in data and isinstance(data[key], (list, tuple)):
            data[key] = tuple(data[key])
        elif key == "hidden" and isinstance(data.get(key), int):
            data[key] = (data[key],)
    if "remedy_sets" in data:
        data["remedy_sets"] = tuple(tuple(s) if isinstance(s, (list, tuple)) else (s,) for s in data["remedy_sets"])
    return SweepSpec(**data, problems=tuple(problems), given=named)


def _shape_problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, problem) for fields of the wrong shape (a TOML file can hold anything), found before anything
    iterates them."""
    problems = []
    for key in ("name", "dataset", "sampler", "pruner", "objective", "optimizer", "baseline", "readout", "tuning"):
        if key in data and not isinstance(data[key], str) and not (key == "baseline" and data[key] is None):
            problems.append((key, f"{key} must be a string, got {data[key]!r}"))
    if "race" in data and not isinstance(data["race"], bool):
        problems.append(("race", f"race must be true or false, got {data['race']!r}"))
    if "claims" in data and not (isinstance(data["claims"], (list, tuple))
                                 and all(isinstance(claim, dict) for claim in data["claims"])):
        problems.append(("claims", f"claims must be a list of tables ([[claims]]), got {data['claims']!r}"))
    if "hidden" in data and not isinstance(data["hidden"], (int, list, tuple)):
        problems.append(("hidden", f"hidden must be a size or a list of sizes, got {shown(data['hidden'])}"))
    for key in ("losses", "cells"):
        value = data.get(key, ())
        if not isinstance(value, str) and not (isinstance(value, (list, tuple))
                                               and all(isinstance(v, str) for v in value)):
            problems.append((key, f"{key} must be a name or a list of names, got {value!r}"))
    sets = data.get("remedy_sets", ())
    if not isinstance(sets, (list, tuple)) or not all(
            isinstance(s, str) or (isinstance(s, (list, tuple)) and all(isinstance(r, str) for r in s)) for s in sets):
        problems.append(("remedy_sets", f"remedies must be a list of remedy sets (each a list of names), got {sets!r}"))
    for key in ("dataset_params", "fixed", "space"):
        if key in data and not isinstance(data[key], dict):
            problems.append((key, f"{key} must be a table, got {data[key]!r}"))
    return problems


SCALES = ("default", "paper")  # a preset's scale: the CLI's --budget


def preset_fields(name: str, scale: str = "default") -> dict[str, Any]:
    """A built-in sweep's fields (``scale="paper"``, the CLI's ``--budget paper``: at the paper's own scale), as a
    base flags may override."""
    from lossbench.errors import LossbenchError
    from lossbench.sweep.presets import PRESETS

    if name not in PRESETS:
        raise UnknownNameError("preset", name, PRESETS)
    if scale not in SCALES:
        raise UnknownNameError("budget" if VOICE.get() == "cli" else "scale", scale, SCALES)
    preset = PRESETS[name]
    fields = {k: v for k, v in preset.spec.to_json().items() if k != "refused"}
    if scale == "paper":
        if preset.paper is None:
            asked = "--budget paper" if VOICE.get() == "cli" else "scale='paper'"
            raise LossbenchError(f"preset {name} has no {asked}: {preset.no_paper}")
        claims = [{**claim, "departures": list(preset.paper_departures)} for claim in fields.get("claims", [])]
        return {**fields, **preset.paper, "name": f"{name}-paper", "claims": claims}
    # sized for a 2-core CPU, far below the papers' scale: a level not reached does not contradict a claim
    return {**fields, "claims": [{**claim, "reduced_budget": True,  # the stored key of Claim.reduced_scale
                                  "departures": list(preset.departures)} for claim in fields.get("claims", [])]}


UNITS = {"s": 1, "m": 60, "h": 3600}
TIME_BUDGET_MAX = 7 * 24 * 3600  # as validate's limit: said here with the text given (1e9h is no number of seconds)


DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([smh]?)", re.ASCII)  # ASCII digits, no exponent, no inf


def duration(text: str) -> float | None:
    """Seconds in ``10m``, ``90s``, ``1.5h`` or ``120`` (seconds); None when it is none of these. Digits are ASCII
    only (``float`` would read Arabic-Indic digits, ``1e9`` and ``inf``)."""
    match = DURATION.fullmatch(text.strip().lower())
    if match is None:
        return None
    value = float(match[1]) * UNITS[match[2] or "s"]
    return value if value > 0 else None
