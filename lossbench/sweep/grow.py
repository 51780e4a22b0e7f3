"""A sweep grows instead of being refused: its caps (``epochs``, ``seeds``, ``max_epochs``) and its run options
(``time_budget``, ``trial_timeout``) are not part of its identity (``SweepSpec.identity``). Each start stores the
ones in force (the spec study's ``caps``): each cap the larger of the one given and the one stored (a cap never
shrinks: a lower one given leaves the stored one, with a note), ``trial_timeout`` the latest given (else the
stored one), ``time_budget`` this start's own. A start with a raised cap continues its runs from their checkpoints
(``continuation``) and adds seeds; the tuning phase's choice is frozen once made (tuned at the sweep's first cap).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lossbench.results.schema import CAPS_ATTR, SPEC_ATTR
from lossbench.sweep.spec import SweepSpec

CAPS = ("epochs", "seeds", "max_epochs")  # never lower than stored


def stored_caps(attrs: dict[str, Any]) -> dict[str, Any]:
    """The caps in force of a stored sweep (its spec study's user attrs): its ``caps``, or, for a sweep stored
    before they were, the caps its spec recorded; a sweep stored before a race raised caps (no ``max_epochs``) has
    ``max_epochs`` = its ``epochs``, as its report judges it (``SpecRecord``): a resume plans no cap steps for it."""
    caps, spec = attrs.get(CAPS_ATTR), attrs.get(SPEC_ATTR) or {}
    found = dict(caps) if isinstance(caps, dict) else {key: spec[key] for key in CAPS if key in spec}
    if "max_epochs" not in found and "epochs" in found:
        found["max_epochs"] = found["epochs"]
    return found


def in_force(spec: SweepSpec, stored: dict[str, Any] | None) -> tuple[SweepSpec, list[str]]:
    """``spec`` with the caps in force given what is ``stored``, and a note for each cap given lower than stored. A
    cap the spec does not name (``SweepSpec.given``: a spec file or preset without it, no flag) is the stored one,
    as ``lossbench run NAME`` reads it (``resume.stored_fields``): an old race resumed from its file keeps its
    ``max_epochs``, never the default's."""
    if not stored:
        return spec, []
    changes: dict[str, Any] = {}
    notes = []
    for key in CAPS:
        before, given = stored.get(key), getattr(spec, key)
        if not isinstance(before, int) or isinstance(before, bool):
            continue
        if spec.given is not None and key not in spec.given:
            changes[key] = before
        elif before > given:
            changes[key] = before
            notes.append(f"{key} = {given} is below the {before} this sweep has already: a cap never shrinks, so it "
                         f"stays {before}")
    if spec.trial_timeout is None and isinstance(stored.get("trial_timeout"), (int, float)):
        changes["trial_timeout"] = stored["trial_timeout"]
    return replace(spec, **changes), notes


def comparable(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored spec as its identity (what a later start must match): without its caps and run options."""
    from lossbench.results.schema import CAP_KEYS

    return {key: value for key, value in stored.items() if key not in CAP_KEYS}
