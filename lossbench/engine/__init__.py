"""The training engine: one run end to end. Imports torch; nothing on the CLI's start-up path imports it."""

from lossbench.engine.config import ResolvedRun, RunConfig, resolve
from lossbench.engine.loop import load_dataset, train
from lossbench.engine.result import EpochRecord, RunResult

__all__ = ["EpochRecord", "ResolvedRun", "RunConfig", "RunResult", "load_dataset", "resolve", "train"]
