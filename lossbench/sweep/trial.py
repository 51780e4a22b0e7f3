"""One trial: translate an arm and a point of its space into a run, train it, store what it measured, tell Optuna.

A plugin raising fails this trial only (recorded with its error in one line), whatever it raises short of a stop
signal (a BaseException subclass of its own included); the sweep goes on."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import Any

from lossbench.convergence import IMPROVING, PATIENCE, run_state
from lossbench.errors import LossbenchError, Stopped
from lossbench.results import EpochRecord, Objective, writer
from lossbench.results.schema import TUNE
from lossbench.sweep.checkpoints import Checkpoints
from lossbench.sweep.continuation import missing_checkpoint
from lossbench.sweep.interrupt import OutOfTime
from lossbench.sweep.recovery import Heartbeat
from lossbench.sweep.spec import Arm, SweepSpec

WORST_NLL = 1e6  # the objective a diverged trial gets when minimising val_nll


def run_config(spec: SweepSpec, arm: Arm, params: dict[str, Any], seed: int, flow_profile: bool, device: str = "cpu",
               threads: int | None = None, min_epochs: int | None = None, epochs: int | None = None) -> Any:
    """The engine's RunConfig for an arm with sampled ``params`` (keyed like the space) and a seed; no stop on
    patience before ``min_epochs``; trained to ``epochs`` (its slot's cap; default the spec's)."""
    from lossbench.engine import RunConfig

    values = {**spec.fixed, **params}
    component_params: dict[str, dict[str, Any]] = {}
    if spec.dataset_params:
        component_params[spec.dataset] = dict(spec.dataset_params)
    for key, value in values.items():
        if key == "lr":
            continue
        owner, _, param = key.partition(".")
        if owner in arm.components:
            component_params.setdefault(owner, {})[param] = value
    return RunConfig(dataset=spec.dataset, cell=arm.cell, loss=arm.loss, remedies=arm.remedies, params=component_params,
                     epochs=epochs or spec.epochs, batch_size=spec.batch_size, lr=float(values.get("lr", 1e-2)),
                     hidden=tuple(spec.hidden), readout=spec.readout, optimizer=spec.optimizer, seed=seed, flow_profile=flow_profile,
                     device=device, threads=threads, patience=spec.patience, monitor=spec.objective,
                     min_epochs=min_epochs)


def objective(record: EpochRecord, goal: Objective) -> float:
    return getattr(record, goal.name)


def run_trial(spec: SweepSpec, storage: Any, study: Any, trial: Any, phase: str, config: Any, registry: Any,
              load_data: Callable[[Any], Any], database: bool, deadline: float | None = None,
              checkpoints: Checkpoints | None = None) -> None:
    """Train ``config`` as ``trial`` (taken by ``study.ask()``) and record its outcome; never raises for a
    plugin's error (UpdateFinishedTrialError, a slot taken over by another worker, is the worker's business).

    With ``checkpoints``, the run's checkpoint is stored at its stop (a stop signal or the time budget included:
    then at its last finished epoch), and a retry carrying one continues from it."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    from lossbench.engine import prepare
    from lossbench.registry.guard import no_hard_exit

    maximize = spec.maximize

    def on_epoch(record: Any) -> bool:
        if deadline is not None and time.time() >= deadline and record.epoch < config.epochs:
            raise OutOfTime()  # at an epoch's end, short of the last: the worker queues this trial again and stops
        trial.report(objective(record, spec.goal), record.epoch)  # the final phase too: progress shows the epoch
        return phase == TUNE and trial.should_prune()

    heartbeat = Heartbeat(storage, trial._trial_id) if database else None
    started = time.perf_counter()
    resume = checkpoints.load(writer.checkpoint_of(trial)) if checkpoints is not None else None
    if resume is None and writer.continues_of(trial) is not None:
        missing_checkpoint(trial)
    prepared = None
    try:
        with no_hard_exit():  # a plugin calling os._exit fails this trial, not the worker
            prepared = prepare(config, registry, load_data(config))
            resume = _continuable(resume, config, trial, spec.goal)
            result = prepared.fit(on_epoch, resume=resume)
    except UpdateFinishedTrialError:
        raise  # a slot taken over (the worker drops it)
    except (Stopped, KeyboardInterrupt, GeneratorExit):
        if checkpoints is not None and prepared is not None and prepared.checkpoint() is not resume:
            checkpoints.save(trial, prepared.checkpoint())  # its retry continues from it
        raise  # the user's stop (the worker releases the slot)
    except BaseException as error:  # a plugin raising or exiting: this trial fails, the sweep goes on
        # lossbench's own errors are whole messages (a plugin's code raising names its component and plugin)
        text = str(error) if isinstance(error, LossbenchError) else f"{type(error).__name__}: {error}"
        line = text.replace("\n", " ")[:500]
        writer.record_outcome(trial, "failed", time.perf_counter() - started, error=line)
        study.tell(trial, state=TrialState.FAIL)
        return
    finally:
        if heartbeat:
            heartbeat.stop()
    seconds = time.perf_counter() - started  # the whole call: building the model included
    if result.status == "stopped":
        writer.record_outcome(trial, "pruned", seconds, result=result.to_json())
        _keep(checkpoints, trial, prepared, resume)
        study.tell(trial, state=TrialState.PRUNED)
        return
    scored = result.epochs[result.best_epoch - 1] if result.best_epoch else (result.epochs or [None])[-1]
    value = objective(scored, spec.goal) if scored is not None else None  # the epoch whose weights were tested
    if result.status == "diverged" or value is None or not math.isfinite(value):
        value = 0.0 if maximize else WORST_NLL
    writer.record_outcome(trial, result.status, seconds, result=result.to_json(), diverged_at=result.diverged_at,
                          improving=result.status == "completed" and still_improving(result, spec))
    _keep(checkpoints, trial, prepared, resume)  # after its result: a checkpoint that fails loses nothing
    study.tell(trial, value)


def still_improving(result: Any, spec: SweepSpec) -> bool:
    """Whether a completed run reached its cap still improving, by the rule the decisions read runs with
    (``convergence.run_state``): only such a run is continued when its slot's cap is raised. A run whose curve holds
    no finite value (state unknown) is not: the decisions read it as neither improving nor plateaued
    (``decisions.Arm``)."""
    classes = result.test_metric("classes")
    state = run_state(result.curve(spec.goal.name), result.curve("val_accuracy"), spec.maximize,
                      spec.patience or PATIENCE, result.config.get("epochs"), 1 / classes if classes else None)
    return state == IMPROVING


def _continuable(resume: Any, config: Any, trial: Any, goal: Objective) -> Any:
    """``resume`` if the run of ``config`` can continue from it (its epochs then reported to ``trial`` as they
    were), else None with one warning line."""
    if resume is None:
        return None
    if (problem := resume.problem(config)) is not None:
        sys.stderr.write(f"warning: trial {trial.number} starts again from its first epoch: {problem}\n")
        return None
    for record in resume.epochs:
        trial.report(objective(record, goal), record.epoch)
    return resume


def _keep(checkpoints: Checkpoints | None, trial: Any, prepared: Any, resume: Any) -> None:
    """Store the finished run's checkpoint, unless it is the one it continued from (nothing trained since)."""
    if checkpoints is not None and prepared.checkpoint() is not resume:
        checkpoints.save(trial, prepared.checkpoint())
