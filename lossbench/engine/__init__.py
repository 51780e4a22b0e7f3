"""The training engine: one run end to end. Imports torch; nothing on the CLI's start-up path imports it.

``prepare(config, registry, data)`` resolves and checks a run once and builds it; ``PreparedRun.fit`` trains it.
``train`` does both. ``PreparedRun.checkpoint()`` hands over a run's state at its last finished epoch, which
``fit(resume=...)`` continues exactly (``checkpoint``)."""

from lossbench.engine.checkpoint import Checkpoint
from lossbench.engine.config import ResolvedRun, RunConfig, resolve
from lossbench.engine.prepare import PreparedRun, load_dataset, prepare, train
from lossbench.results.run import EpochRecord, RunResult

__all__ = ["Checkpoint", "EpochRecord", "PreparedRun", "ResolvedRun", "RunConfig", "RunResult", "load_dataset",
           "prepare", "resolve", "train"]
