"""An objective: a measure, which way is better, and how it reads. The tuning objective (``OBJECTIVES``: the
per-epoch validation metric a sweep tunes, patience watches and Optuna's studies optimise) and the measures a
claim is checked on (``CLAIM_METRICS``).

Every place that needs a direction or a unit (the engine's patience, the worker's studies, the claims, the report)
asks the ``Objective``, never the objective's name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Objective:
    name: str  # the field of an epoch record (val_accuracy, val_nll), or a claim's metric
    maximize: bool
    label: str  # in words: "validation accuracy"
    unit: str  # appended to a value: "" (a fraction) or " nats"

    @property
    def direction(self) -> str:
        """Optuna's word for it: maximize or minimize."""
        return "maximize" if self.maximize else "minimize"

    @property
    def sign(self) -> float:
        """+1 or -1: ``sign * value`` is larger for a better value."""
        return 1.0 if self.maximize else -1.0

    @property
    def moved(self) -> str:
        """How the value moves when it improves: rose or fell."""
        return "rose" if self.maximize else "fell"

    @classmethod
    def named(cls, name: object) -> Objective:
        """The objective of that name (a stored spec's). None or an unknown name reads as the default, validation
        accuracy: the sweep refuses other names before it stores a spec, and ``read_sweep`` refuses a stored spec
        with one (``results.checks``)."""
        return OBJECTIVES.get(name, ACCURACY) if isinstance(name, str) else ACCURACY

    def __str__(self) -> str:
        return self.name


ACCURACY = Objective("val_accuracy", True, "validation accuracy", "")
NLL = Objective("val_nll", False, "validation NLL", " nats")
OBJECTIVES = {o.name: o for o in (ACCURACY, NLL)}

# what a claim checks (``results.claims``), over a sweep's final runs
CLAIM_METRICS = {o.name: o for o in (
    Objective("test_accuracy", True, "test accuracy", ""),
    Objective("test_ece", False, "test ECE", ""),
    Objective("flow_ratio_init", True, "log10 gradient ratio first/last step at initialisation", ""),
)}
