"""The stored schema of a sweep, and a reader for it. Imports nothing else of lossbench; Optuna only lazily."""

from lossbench.results.reader import (ArmData, SweepData, TrialRecord, best_tuning_trial, leaderboard, load_sweep,
                                      open_storage)
from lossbench.results.schema import SCHEMA, arm_key, spec_study, study_name

__all__ = ["SCHEMA", "ArmData", "SweepData", "TrialRecord", "arm_key", "best_tuning_trial", "leaderboard", "load_sweep",
           "open_storage", "spec_study", "study_name"]
