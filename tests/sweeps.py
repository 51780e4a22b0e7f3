"""Stored sweeps made by hand: ``SweepData`` / ``ArmData`` / ``TrialRecord`` shaped exactly as ``read_sweep`` returns
them from a real sweep (user attrs and ``RunResult.to_json()`` as the worker stores them), with the numbers a
test chooses. Nothing trains; the report (a SweepReport) is built from these as from storage."""

from __future__ import annotations

from typing import Any, Sequence

from lossbench.results import ArmData, SweepData, TrialRecord

SEEDS = (1000, 1001, 1002)
STEPS = 40


def run_result(curve: Sequence[float], accuracy: float, *, ece: float = 0.02, confidence: float | None = None,
               lr: float = 1e-3, seed: int = 0, ratio_init: float = 1e-3, ratio_final: float = 1e-2,
               flow: bool = True, alignment: str | None = "last_valid_step", equal_length: bool | None = None,
               status: str = "completed", examples: int | None = None, classes: int | None = None) -> dict[str, Any]:
    """``RunResult.to_json()`` of one run: the validation curve per epoch and the test metrics given (``examples``
    and ``classes``: the test set's size and class count, as runs store them since issue 27)."""
    epochs = [{"epoch": i + 1, "train_loss": 2.3 * (1 - v), "val_accuracy": v, "val_nll": 2.3 * (1 - v),
               "seconds": 0.5} for i, v in enumerate(curve)]
    test = {"accuracy": accuracy, "nll": 2.3 * (1 - accuracy), "ece": ece}
    if confidence is not None:
        test["confidence"] = confidence
    if examples is not None:
        test["examples"] = examples
    if classes is not None:
        test["classes"] = classes
    profiles = {"0": [ratio_init ** (1 - t / (STEPS - 1)) for t in range(STEPS)],
                str(len(curve)): [ratio_final ** (1 - t / (STEPS - 1)) for t in range(STEPS)]}
    result = {"schema": "lossbench.run/1", "config": {"lr": lr, "seed": seed, "epochs": len(curve)}, "params": {},
              "status": status, "diverged_at": None, "epochs": epochs, "test": test if status == "completed" else None,
              "grad_norms": [1.0] * 10, "clipped_steps": 0,
              "flow": ({"profiles": profiles, "vanishing_ratio": {"0": ratio_init, str(len(curve)): ratio_final}}
                       | ({"alignment": alignment} if alignment else {})) if flow else {},
              "seconds_per_epoch": 0.5, "wall_seconds": 2.0, "peak_memory_mb": 100.0,
              "environment": {"torch": "2.13.0+cpu", "python": "3.11", "device": "cpu", "threads": 1},
              "dataset_info": {} if equal_length is None else {"equal_length": equal_length}, "steps": 10,
              "clip_rate": 0.0}
    return result


def tuning_trial(number: int, lr: float, value: float, status: str = "completed") -> TrialRecord:
    curve = [value]
    result = run_result(curve, value, lr=lr, seed=number, flow=False)
    result["status"] = status
    return TrialRecord(number, "COMPLETE", status, 0.0 if status == "diverged" else value, {"lr": lr}, number, result,
                       {"status": status, "result": result, "phase": "tune", "seed": number})


def final_trial(number: int, seed: int, result: dict[str, Any]) -> TrialRecord:
    value = result["epochs"][-1]["val_accuracy"] if result["epochs"] else None
    return TrialRecord(number, "COMPLETE", result["status"], value, {}, seed, result,
                       {"status": result["status"], "result": result, "phase": "final", "seed": seed})


def arm(key: str, finals: dict[int, dict[str, Any]], tuning: Sequence[tuple[float, float]] | None = None) -> ArmData:
    """An arm from its final runs (seed -> run_result) and its tuning trials ((lr, value), completed)."""
    loss, cell, remedies = key.split(":")
    data = ArmData(key, loss, cell, [] if remedies == "none" else remedies.split("+"))
    data.tuning = [tuning_trial(i, lr, value) for i, (lr, value) in enumerate(tuning or [(1e-3, 0.9), (3e-3, 0.85)])]
    data.final = [final_trial(i, seed, result) for i, (seed, result) in enumerate(finals.items())]
    return data


def sweep(arms: list[ArmData], **spec: Any) -> SweepData:
    """A finished sweep of these arms; ``spec`` overrides (losses, cells and remedy sets come from the arms)."""
    full = {"name": "made", "dataset": "mnist1d", "losses": list(dict.fromkeys(a.loss for a in arms)),
            "cells": list(dict.fromkeys(a.cell for a in arms)),
            "remedy_sets": [list(r) for r in dict.fromkeys(tuple(a.remedies) for a in arms)],
            "trials": max(len(a.tuning) for a in arms), "epochs": max(len(a.final[0].result["epochs"]) for a in arms),
            "seeds": max(len(a.final) for a in arms), "objective": "val_accuracy", "sampler_seed": 0, **spec}
    return SweepData("made", full, {"lossbench": "test"}, arms)


def converged_curve(final: float, epochs: int = 10, seed_offset: float = 0.0) -> list[float]:
    """A curve that rises and then sits at ``final`` (plus a seed's small offset) for its last 6 epochs: plateaued
    by the patience rule (5 epochs without gain, at 10 epochs or more)."""
    rise = [final * (1 - 0.5 ** (i + 1)) for i in range(epochs - 6)]
    return [*rise, *[final + seed_offset] * 6]


def report_of(data: SweepData, **options: Any) -> Any:
    """The ``SweepReport`` of ``data``, as the report builds it from storage."""
    from lossbench.report.builder import assemble

    return assemble(data, "made.journal", **options)


def text(report: Any) -> str:
    return "\n".join(report.findings)
