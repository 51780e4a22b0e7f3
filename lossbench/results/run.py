"""What one run measured, both ways: the engine fills a ``RunResult``, ``to_json`` is what the CLI prints and the
sweep stores (a trial's ``result`` attribute), ``from_json`` reads a stored one back, and the typed accessors
below are how the report and the live display read it (test metrics, curves, gradient flow)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

RESULT_SCHEMA = "lossbench.run/1"
INIT, TRAINED = "init", "final"  # which gradient-flow profile: at initialisation, or the last one after training
_DERIVED = {"schema", "steps", "clip_rate"}  # written by to_json, recomputed on reading


@dataclass
class EpochRecord:
    epoch: int
    train_loss: float
    val_accuracy: float  # stored non-finite values read back as None
    val_nll: float
    seconds: float


@dataclass
class RunResult:
    config: dict[str, Any]
    params: dict[str, dict[str, Any]]
    status: str = "completed"  # or "diverged", "stopped" (pruned)
    diverged_at: dict[str, Any] | None = None  # {"epoch", "step", "reason"}
    epochs: list[EpochRecord] = field(default_factory=list)
    test: dict[str, float] | None = None  # accuracy, nll, ece, confidence; examples (predictions scored), classes
    grad_norms: list[float] = field(default_factory=list)  # total norm per step, before clipping
    clipped_steps: int = 0
    flow: dict[str, Any] = field(default_factory=dict)  # profiles by epoch ("0" = initialisation) and ratios
    seconds_per_epoch: float = 0.0
    wall_seconds: float = 0.0
    peak_memory_mb: float = 0.0
    environment: dict[str, Any] = field(default_factory=dict)
    dataset_info: dict[str, Any] = field(default_factory=dict)
    # With patience: whether the run stopped on it before its cap, and the epoch whose weights were tested.
    # Time to target: {"share", "epoch", "seconds"} (lossbench.convergence), for any completed run.
    plateaued: bool = False
    best_epoch: int | None = None
    time_to_target: dict[str, Any] | None = None
    continued_from: int | None = None  # the epoch of the checkpoint it was continued from (trained after it here)

    @property
    def steps(self) -> int:
        return len(self.grad_norms)

    @property
    def clip_rate(self) -> float:
        return self.clipped_steps / self.steps if self.steps else 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data = {"schema": RESULT_SCHEMA, **data, "steps": self.steps, "clip_rate": self.clip_rate}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunResult:
        """A stored result back; fields it lacks (a pruned trial stores its config, params and epochs) take their
        defaults, keys this version does not know are left out."""
        known = {f.name for f in fields(cls)} - {"epochs"}
        kept = {k: v for k, v in data.items() if k in known and k not in _DERIVED}
        kept.setdefault("config", {})
        kept.setdefault("params", {})
        for key in ("grad_norms", "flow", "environment", "dataset_info"):  # stored null reads as empty
            if kept.get(key) is None:
                kept.pop(key, None)
        names = [f.name for f in fields(EpochRecord)]
        epochs = [EpochRecord(**{n: e.get(n) for n in names}) for e in data.get("epochs") or []]
        return cls(**kept, epochs=epochs)

    # ----------------------------------------------------------------------------------- typed reading

    def test_metric(self, metric: str) -> float | None:
        """A test-split metric (accuracy, nll, ece, confidence; examples, the predictions scored; classes); None
        where not stored or not finite."""
        return _finite((self.test or {}).get(metric))

    def curve(self, metric: str) -> list[float | None]:
        """One value per epoch of an epoch record's field (val_accuracy, val_nll, train_loss, seconds)."""
        return [getattr(e, metric) for e in self.epochs]

    def last(self, metric: str) -> float | None:
        """The last epoch's value of ``metric``; None without epochs or when it is not finite."""
        return _finite(getattr(self.epochs[-1], metric)) if self.epochs else None

    @property
    def lr(self) -> float | None:
        return self.config.get("lr")

    def _profile_key(self, which: str) -> str | None:
        keys = sorted(self.flow.get("profiles") or {}, key=int)
        if not keys:
            return None
        return keys[0] if which == INIT else (keys[-1] if len(keys) > 1 else None)

    def flow_profile(self, which: str) -> list[float] | None:
        """||dL/dx_t|| per input step, at initialisation (``INIT``) or after training (``TRAINED``); None where
        not recorded or incomplete."""
        key = self._profile_key(which)
        profile = self.flow["profiles"][key] if key is not None else None
        return None if not profile or any(v is None for v in profile) else profile

    def flow_ratio(self, which: str) -> float | None:
        """The vanishing ratio (first step's gradient / last step's) of the profile ``which``."""
        key = self._profile_key(which)
        return (self.flow.get("vanishing_ratio") or {}).get(key) if key is not None else None

    def flow_ratio_at(self, epoch: int) -> float | None:
        """The vanishing ratio recorded after ``epoch`` epochs (0: at initialisation); None where not recorded."""
        return (self.flow.get("vanishing_ratio") or {}).get(str(epoch))

    def last_ratio(self) -> float | None:
        """The vanishing ratio of the last epoch recorded after initialisation; None with only that one."""
        ratios = self.flow.get("vanishing_ratio") or {}
        last = max(ratios, key=int) if ratios else None
        return ratios[last] if last is not None and last != "0" else None

    @property
    def flow_alignment(self) -> str | None:
        """How profiles of unequal-length sequences were aligned, as the run recorded it."""
        return self.flow.get("alignment")

    @property
    def equal_length(self) -> bool | None:
        """Whether the dataset's sequences all have one length, as the run recorded it."""
        return self.dataset_info.get("equal_length")


def _finite(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
