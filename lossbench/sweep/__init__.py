"""Sweeps: arms (loss x cell x remedy set), one Optuna study per arm and phase, workers, recovery.

pipeline (``run``: one sweep from Python, its ``SweepOutcome``), arguments (``run``'s, checked), spec (what a
sweep is, a slot's seed), presets, inputs (TOML, presets, flags), validate, probe (the data, loaded once), space,
samplers (a slot's point), slots (taking a trial slot within a phase's exact quota), recovery, trial (one trial),
worker (the loop), racing (seeds = "auto"), execution (workers, threads, devices), runner (start), processes and
child (worker processes), supervise (watching them: deaths, per-trial time limits), time_budget (a start its
time budget stopped), interrupt (SIGINT/SIGTERM), provenance.
Imports engine and results; Optuna and torch only inside the functions that use them."""

from lossbench.sweep.inputs import build_spec, load_toml, preset_fields
from lossbench.sweep.pipeline import SweepOutcome, run
from lossbench.sweep.presets import PRESETS
from lossbench.sweep.spec import Arm, SweepSpec

__all__ = ["PRESETS", "Arm", "SweepOutcome", "SweepSpec", "build_spec", "load_toml", "preset_fields", "run"]
