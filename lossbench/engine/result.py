"""What one run measured. ``to_json`` is the contract the CLI prints and the sweep stores."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

RESULT_SCHEMA = "lossbench.run/1"


@dataclass
class EpochRecord:
    epoch: int
    train_loss: float
    val_accuracy: float
    val_nll: float
    seconds: float


@dataclass
class RunResult:
    config: dict[str, Any]
    params: dict[str, dict[str, Any]]
    status: str = "completed"  # or "diverged"
    diverged_at: dict[str, Any] | None = None  # {"epoch", "step", "reason"}
    epochs: list[EpochRecord] = field(default_factory=list)
    test: dict[str, float] | None = None  # accuracy, nll, ece
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
        data = {k: v for k, v in data.items() if k not in {"schema", "steps", "clip_rate"}}
        data["epochs"] = [EpochRecord(**e) for e in data.get("epochs", [])]
        return cls(**data)
