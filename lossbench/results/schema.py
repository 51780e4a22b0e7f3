"""The stored schema of a sweep in Optuna storage. Every name a writer and a reader share lives here.

Studies: ``<sweep>:spec`` (study user attrs: ``spec``, ``provenance``, and ``caps``: the run options and caps in
force, the latest given: {epochs, seeds, max_epochs, time_budget, trial_timeout}, which are not part of the spec's
identity; with ``seeds = "auto"`` ``race``: {seeds, arms, caps, looks, method, over}), and per arm and phase
``<sweep>:<loss>:<cell>:<remedies joined by + or none>:tune`` / ``...:final``.

Trial user attrs (all JSON):
- ``arm``: the arm key; ``phase``: tune or final; ``slot``: the trial's slot in its phase (0, 1, ...: a retry
  carries the slot it retries); ``seed``: the training seed, the slot's (tuning: its index; final: 1000 + index)
- ``status``: completed, pruned, diverged, failed (a plugin raised), timeout (past ``trial_timeout``), lost (its
  worker died) or interrupted (SIGINT/SIGTERM); the last two are retried. ``diverged_at``: {epoch, step, reason}
- ``result``: the full ``RunResult.to_json()`` (a pruned trial: config, params and the epochs it ran);
  ``lossbench.results.run`` defines it, ``TrialRecord.run`` reads it back typed
- ``error``: one line, for a trial whose plugin raised or that timed out; ``surplus``: True for a taken slot over
  its phase's quota
- ``worker``: {host, pid, start, threads, workers, device} of the process that ran it; ``retry_of``: the number
  of the trial it retries
- ``timing``: {train_seconds}: the whole trial (loading its data when not loaded yet, building, training)
- ``params``, ``best_trial`` (final phase): the tuned parameters it reruns and the tuning trial they came from
- ``checkpoint``: {id, epoch, bytes}: the artifact (in the sweep's artifact store, ``lossbench.sweep.checkpoints``)
  holding the run's state at its stop, and the epoch it is at. A retry carries its interrupted trial's, and
  continues from it; a later checkpoint of the same run deletes the artifact, so an older trial's link may name
  one that is gone
- ``cap``: the epoch cap the trial trains to; ``improving``: True for a completed run that reached its cap still
  improving (``lossbench.convergence.run_state``): only such a run is continued when its slot's cap is raised
- ``continues``: on a continuation (``lossbench.results.chains``), the number of the trial whose run it trains on
  from that run's checkpoint; it carries the slot, seed, params, ``checkpoint`` and its new ``cap``
- ``rungs``: on a tuning trial of a two-rung successive halving (``lossbench.results.halving``), the rungs' caps
  [first, last]

``lossbench.results.writer`` writes every one of these; ``lossbench.results.reader`` reads them back.
"""

from __future__ import annotations

import math
from typing import Any

SPEC_PHASE = "spec"
TUNE, FINAL = "tune", "final"

ATTR_ARM, ATTR_PHASE, ATTR_SEED = "arm", "phase", "seed"
ATTR_STATUS, ATTR_DIVERGED_AT, ATTR_RESULT = "status", "diverged_at", "result"
ATTR_ERROR, ATTR_SURPLUS, ATTR_WORKER, ATTR_RETRY_OF, ATTR_TIMING = "error", "surplus", "worker", "retry_of", "timing"
ATTR_PARAMS, ATTR_BEST_TRIAL, ATTR_SLOT = "params", "best_trial", "slot"
ATTR_CHECKPOINT = "checkpoint"
ATTR_CAP, ATTR_CONTINUES, ATTR_IMPROVING = "cap", "continues", "improving"  # a slot's continuation (``chains``)
ATTR_RUNGS = "rungs"  # a tuning trial's halving schedule (``halving``)
SPEC_ATTR, PROVENANCE_ATTR = "spec", "provenance"  # user attrs of the ``<sweep>:spec`` study
CAPS_ATTR = "caps"  # the run options and caps in force (``spec`` holds the identity only)
CAP_KEYS = ("epochs", "seeds", "max_epochs", "time_budget", "trial_timeout")  # what a later start may change
ARTIFACTS_ATTR = "artifacts"  # the --artifacts folder a start gave (absolute): a later start defaults to it
RACE_ATTR = "race"  # with seeds = "auto": where the race stands (its looks, each arm's seeds and cap, over or not)

FAILED_STATUSES = ("failed", "timeout")  # failed for good; "lost" and "interrupted" trials are retried
NAME_MAX_BYTES = 100  # a sweep's name is a folder name and part of every study name


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a sweep, or None: it names a folder (OUT/NAME) and prefixes its studies."""
    from lossbench.text import shown as quote

    shown = quote(name)
    if not isinstance(name, str) or not name or name.startswith(".") or any(c in name for c in "/\\:"):
        return f"sweep name {shown} must be non-empty, not start with '.' and contain no '/', '\\' or ':'"
    if not name.strip() or name != name.strip():
        return f"sweep name {shown} must not be blank nor start or end with a space"
    if not name.isprintable():
        return f"sweep name {shown} must be printable (no control characters)"
    if len(name.encode()) > NAME_MAX_BYTES:
        return f"sweep name {shown} is {len(name.encode())} bytes long; at most {NAME_MAX_BYTES}"
    return None


def arm_key(loss: str, cell: str, remedies: list[str] | tuple[str, ...]) -> str:
    return f"{loss}:{cell}:{'+'.join(remedies) or 'none'}"


def study_name(sweep: str, key: str, phase: str) -> str:
    return f"{sweep}:{key}:{phase}"


def spec_study(sweep: str) -> str:
    return f"{sweep}:{SPEC_PHASE}"


def finite_json(value: Any) -> Any:
    """``value`` with every non-finite float as None (and dict keys as strings), so that every storage and
    every strict JSON reader accepts it."""
    from lossbench.text import walk

    return walk(value, lambda v: None if isinstance(v, float) and not math.isfinite(v) else v, keys=str)
