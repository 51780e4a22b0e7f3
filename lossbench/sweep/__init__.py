"""Sweeps: arms (loss x cell x remedy set), one Optuna study per arm and phase, workers, storage.

Imports engine and results; Optuna and torch only inside the functions that use them."""

from lossbench.sweep.spec import PRESETS, Arm, SweepSpec, apply_sets, arm_space, build_spec, check, load_toml, validate

__all__ = ["PRESETS", "Arm", "SweepSpec", "apply_sets", "arm_space", "build_spec", "check", "load_toml", "validate"]
