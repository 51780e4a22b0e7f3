"""The stored schema of a sweep, both ways: where it lives (``Storage``), the writer the sweep uses for every
attribute, the reader the report and the progress display use, the typed stored forms (``RunResult`` of one run,
which the engine fills; ``SpecRecord`` of a spec; the ``Objective``), when a phase is done (``phase``), one masking of
passwords, one naming of arms and studies, one best-trial rule, one baseline rule, the claims a spec carries.
Imports nothing of lossbench but its shared leaves (errors, text); Optuna only lazily."""

from lossbench.results.masking import mask_all, mask_secrets, mask_text, mask_url
from lossbench.results.objective import Objective
from lossbench.results.progress import Progress, read_progress
from lossbench.results.reader import (ArmData, SweepData, TrialRecord, best_trial, final_metric, read_sweep,
                                      to_record, tuned_best)
from lossbench.results.run import EpochRecord, RunResult
from lossbench.results.schema import FINAL, TUNE, arm_key, spec_study, study_name
from lossbench.results.spec_record import RaceRecord, SpecRecord
from lossbench.results.storage import Storage, open_storage

__all__ = ["FINAL", "TUNE", "ArmData", "EpochRecord", "Objective", "Progress", "RaceRecord", "RunResult", "SpecRecord",
           "Storage", "SweepData", "TrialRecord", "arm_key", "best_trial", "final_metric", "mask_all", "mask_secrets",
           "mask_text", "mask_url", "open_storage", "read_progress", "read_sweep", "to_record", "spec_study",
           "study_name", "tuned_best"]
