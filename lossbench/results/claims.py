"""Published claims a sweep checks (a paper preset's, or a spec's own ``[[claims]]``), as stored with the spec.

A claim has an ``id``, the ``claim`` in words, its ``source``, the ``published`` figure, and ``checks``: each a
test of this run's numbers (see lossbench.report.claim_verdicts for how each verdict is reached):
- ``reaches``: ``arm``'s mean ``metric`` is at least ``value``;
- ``better``: ``arm`` beats ``than`` on ``metric`` (paired over seeds; which way is better is the metric's
  ``Objective``: for ``test_ece``, lower);
- ``matches``: ``arm`` and ``than`` differ by less than ``margin`` on ``metric`` (equivalence);
- ``differs``: ``arm`` and ``than`` differ on ``metric`` (either direction).
Metrics: ``test_accuracy``, ``test_ece``, ``flow_ratio_init`` (log10 of the gradient reaching the first step
over the last step's, at initialisation).

``reduced_budget = true`` says the run trains far less than the paper did (a preset at its default scale): a
level not reached then cannot contradict the claim (a plateau at chance can last for the millions of updates a
paper used), only fail to support it. ``departures`` lists how this run's setup differs from the paper's (a model,
a dataset, an optimizer): every output shows them, and at the paper's own scale a claim not supported is "not
supported with this setup", never blamed on the training's length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lossbench.results.objective import CLAIM_METRICS as METRICS
from lossbench.results.objective import Objective

KINDS = ("reaches", "better", "matches", "differs")


@dataclass(frozen=True)
class Check:
    kind: str
    arm: str
    metric: str = "test_accuracy"
    than: str | None = None
    value: float | None = None  # reaches
    margin: float | None = None  # matches, differs (what counts as no difference)

    @property
    def measure(self) -> Objective:
        """The metric checked, with its direction and its words."""
        return METRICS[self.metric]


@dataclass(frozen=True)
class Claim:
    id: str
    claim: str
    source: str
    published: str
    checks: tuple[Check, ...]
    reduced_scale: bool = False  # stored as ``reduced_budget`` (the key stored sweeps and spec files carry)
    departures: tuple[str, ...] = ()  # how this run's setup differs from the paper's


def parse_claims(raw: Any, arms: set[str]) -> tuple[list[Claim], list[str]]:
    """Claims from a spec's ``claims`` (a list of tables), and every problem with them (``arms``: the grid's keys)."""
    claims, problems = [], []
    if not isinstance(raw, (list, tuple)):
        return [], [f"claims must be a list of tables, got {raw!r}"]
    for index, item in enumerate(raw):
        where = f"claim {index + 1}"
        if not isinstance(item, dict):
            problems.append(f"{where} must be a table, got {item!r}")
            continue
        where = f"claim {item.get('id', index + 1)!r}"
        missing = [k for k in ("id", "claim", "checks") if not item.get(k)]
        unknown = sorted(set(item) - {"id", "claim", "source", "published", "checks", "reduced_budget", "departures"})
        problems += [f"{where} has no {k}" for k in missing] + [f"{where} has an unknown key {k!r}" for k in unknown]
        checks = []
        for number, check in enumerate(item.get("checks") or []):
            parsed, found = _check(check, arms, f"{where} check {number + 1}")
            problems += found
            if parsed is not None:
                checks.append(parsed)
        if not missing and not unknown and len(checks) == len(item["checks"]):
            claims.append(Claim(str(item["id"]), str(item["claim"]), str(item.get("source", "")),
                                str(item.get("published", "")), tuple(checks), bool(item.get("reduced_budget")),
                                tuple(str(d) for d in item.get("departures") or ())))
    return claims, problems


def _check(raw: Any, arms: set[str], where: str) -> tuple[Check | None, list[str]]:
    if not isinstance(raw, dict):
        return None, [f"{where} must be a table, got {raw!r}"]
    unknown = sorted(set(raw) - {"kind", "arm", "metric", "than", "value", "margin"})
    problems = [f"{where} has an unknown key {k!r}" for k in unknown]
    kind, metric = raw.get("kind"), raw.get("metric", "test_accuracy")
    if kind not in KINDS:
        problems.append(f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if metric not in METRICS:
        problems.append(f"{where}: metric must be one of {', '.join(METRICS)}, got {metric!r}")
    for key in ("arm", *(("than",) if kind in ("better", "matches", "differs") else ())):
        if raw.get(key) not in arms:
            problems.append(f"{where}: {key} {raw.get(key)!r} is not an arm of this sweep ({', '.join(sorted(arms))})")
    needed = {"reaches": "value", "matches": "margin", "differs": "margin"}.get(kind)
    if needed and not isinstance(raw.get(needed), (int, float)):
        problems.append(f"{where}: {kind} needs a number {needed}")
    if problems:
        return None, problems
    return Check(kind, raw["arm"], metric, raw.get("than"), raw.get("value"), raw.get("margin")), []
