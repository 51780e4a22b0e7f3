"""The worker loop: claim a slot in an arm's study, train it, store what it measured; until every arm is done.

Exact budgets with concurrent workers: a worker claims a slot with ``study.ask()``, then counts the trials
numbered below it that are not FAIL; at or over the budget, the new trial is surplus (told FAIL, marked
``surplus``). Final-phase trials claim the lowest seed not held by a lower non-FAIL trial, the same way.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from lossbench.results.schema import (ATTR_ARM, ATTR_DIVERGED_AT, ATTR_ERROR, ATTR_PHASE, ATTR_RESULT, ATTR_RETRY_OF,
                                      ATTR_SEED, ATTR_STATUS, ATTR_SURPLUS, ATTR_TIMING, ATTR_WORKER, FINAL, TUNE,
                                      finite_json)
from lossbench.sweep import storage as storage_mod
from lossbench.sweep.spec import Arm, SweepSpec, arm_space, run_config

POLL_SECONDS = 0.5
WORST_NLL = 1e6
WORKER_SEED_STRIDE = 1000  # worker k samples with sampler_seed + arm + 1000 k: one worker is reproducible


@dataclass
class Tally:
    budget: int
    nonfail: int = 0
    waiting: int = 0
    running: int = 0
    finished: int = 0
    errored: int = 0

    @property
    def done(self) -> bool:
        return self.finished >= self.budget or (self.errored >= self.budget and self.running + self.waiting == 0)

    @property
    def can_ask(self) -> bool:
        return not self.done and (self.nonfail < self.budget or self.waiting > 0)


def tally(trials: list[Any], budget: int, finished_states: tuple[str, ...]) -> Tally:
    t = Tally(budget)
    for trial in trials:
        state = trial.state.name
        if state != "FAIL":
            t.nonfail += 1
        if state == "WAITING":
            t.waiting += 1
        elif state == "RUNNING":
            t.running += 1
        elif state in finished_states:
            t.finished += 1
        elif state == "FAIL" and trial.user_attrs.get(ATTR_STATUS) == "failed":
            t.errored += 1
    return t


def make_sampler(spec: SweepSpec, arm: Arm, space: dict[str, Any], worker_index: int) -> Any:
    import optuna

    from lossbench.api.params import Categorical

    seed = spec.sampler_seed + arm.index + WORKER_SEED_STRIDE * worker_index
    if spec.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if spec.sampler == "qmc":
        return optuna.samplers.QMCSampler(seed=seed, warn_independent_sampling=False)
    if spec.sampler == "grid":
        return optuna.samplers.GridSampler({k: list(p.choices) for k, p in space.items() if isinstance(p, Categorical)},
                                           seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(2, spec.trials // 3)))


def make_pruner(spec: SweepSpec) -> Any:
    import optuna

    if spec.pruner == "none" or spec.epochs < 2:
        return optuna.pruners.NopPruner()
    if spec.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=spec.epochs, reduction_factor=3)
    # Few epochs: never judge a trial on its first epoch, and only once a few trials have finished.
    return optuna.pruners.MedianPruner(n_startup_trials=min(4, max(2, spec.trials // 4)), n_warmup_steps=2 if spec.epochs > 2 else 1)


def ensure_spec(storage: Any, spec: SweepSpec, provenance: dict[str, Any]) -> None:
    """Record the spec on the first start; refuse a different spec under the same name."""
    import optuna

    from lossbench.errors import LossbenchError
    from lossbench.results.schema import spec_study

    study = optuna.create_study(study_name=spec_study(spec.name), storage=storage, load_if_exists=True)
    stored = study.user_attrs.get("spec")
    if stored is None:
        study.set_user_attr("spec", spec.identity())
        study.set_user_attr("provenance", provenance)
        return
    if stored != spec.identity():
        diff = [k for k in spec.identity() if stored.get(k) != spec.identity()[k]]
        diff = [k for k in diff if k != "refused"] or diff  # refused arms follow from the rest: name the cause
        raise LossbenchError(f"a sweep named {spec.name!r} already exists in this storage with a different spec "
                             f"(differs in: {', '.join(diff)}); give another --name, or the same settings to resume it")


class Worker:
    def __init__(self, spec: SweepSpec, storage: Any, registry: Any, worker_index: int = 0, database: bool = False):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.spec, self.storage, self.registry, self.database = spec, storage, registry, database
        self.worker_index = worker_index
        self.identity = storage_mod.identity()
        self.spaces = {arm.index: arm_space(spec, arm, registry) for arm in spec.arms}
        direction = "maximize" if spec.maximize else "minimize"
        self.studies: dict[tuple[int, str], Any] = {}
        for arm in spec.arms:
            for phase in (TUNE, FINAL):
                sampler = make_sampler(spec, arm, self.spaces[arm.index], worker_index)
                self.studies[arm.index, phase] = optuna.create_study(
                    study_name=arm.study(spec.name, phase), storage=storage, sampler=sampler,
                    pruner=make_pruner(spec) if phase == TUNE else optuna.pruners.NopPruner(),
                    direction=direction, load_if_exists=True)
        self._data = None
        self.trials_run = 0
        self._tune_best: dict[int, Any] = {}
        self._arms_done: set[int] = set()

    # -- the loop ---------------------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> int:
        """Work until every arm has its tuning budget finished and every final seed run; the trials this ran."""
        while stop is None or not stop.is_set():
            all_done, worked = True, False
            for arm in self.spec.arms:
                phase = self._phase(arm)
                if phase is None:
                    continue
                all_done = False
                name, study, budget, states = phase
                if tally(study.get_trials(deepcopy=False), budget, states).can_ask:
                    (self._tune if name == TUNE else self._final)(arm, study)
                    worked = True
                    break
            if all_done:
                break
            if not worked:
                time.sleep(POLL_SECONDS)
        return self.trials_run

    def _phase(self, arm: Arm) -> tuple[str, Any, int, tuple[str, ...]] | None:
        # Finished trials never change state, so a phase once done stays done: remember it (fewer storage reads).
        if arm.index in self._arms_done:
            return None
        if arm.index not in self._tune_best:
            tune = self.studies[arm.index, TUNE]
            trials = self._recovered(tune)
            if not tally(trials, self.spec.trials, ("COMPLETE", "PRUNED")).done:
                return TUNE, tune, self.spec.trials, ("COMPLETE", "PRUNED")
            self._tune_best[arm.index] = self._best(trials)
        if self._tune_best[arm.index] is None:
            self._arms_done.add(arm.index)
            return None
        final = self.studies[arm.index, FINAL]
        if not tally(self._recovered(final), self.spec.seeds, ("COMPLETE",)).done:
            return FINAL, final, self.spec.seeds, ("COMPLETE",)
        self._arms_done.add(arm.index)
        return None

    def _best(self, trials: list[Any]) -> Any:
        trials = [t for t in trials if t.state.name == "COMPLETE" and t.value is not None]
        pool = [t for t in trials if t.user_attrs.get(ATTR_STATUS) != "diverged"] or trials
        if not pool:
            return None
        sign = 1 if self.spec.maximize else -1
        return max(pool, key=lambda t: (sign * t.value, -t.number))

    def _recovered(self, study: Any) -> list[Any]:
        """The study's trials, after failing those whose worker is dead (heartbeat on a database; pid here)."""
        import optuna
        from optuna.exceptions import UpdateFinishedTrialError
        from optuna.trial import TrialState

        if self.database:
            optuna.storages.fail_stale_trials(study)
            return study.get_trials(deepcopy=False)
        trials = study.get_trials(deepcopy=False)
        changed = False
        for trial in trials:
            if trial.state != TrialState.RUNNING:
                continue
            worker = trial.user_attrs.get(ATTR_WORKER)
            if worker and worker.get("pid") == self.identity["pid"] and worker.get("host") == self.identity["host"]:
                continue
            age = time.time() - trial.datetime_start.timestamp() if trial.datetime_start else 0
            if not (storage_mod.owner_dead(worker) if worker else age > storage_mod.ORPHAN_SECONDS):
                continue
            try:
                self.storage.set_trial_user_attr(trial._trial_id, ATTR_STATUS, "lost")
                self.storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
            except UpdateFinishedTrialError:
                continue  # another worker got there first and enqueued the retry
            keep = {k: trial.user_attrs[k] for k in (ATTR_ARM, ATTR_PHASE, ATTR_SEED, "params") if k in trial.user_attrs}
            study.enqueue_trial(dict(trial.params), user_attrs={**keep, ATTR_RETRY_OF: trial.number})
            changed = True
        return study.get_trials(deepcopy=False) if changed else trials

    # -- one trial --------------------------------------------------------------------------------------

    def _claim(self, study: Any, budget: int) -> tuple[Any, list[Any]] | None:
        trial = study.ask()
        self.storage.set_trial_user_attr(trial._trial_id, ATTR_WORKER, self.identity)
        if self.database:
            self.storage.record_heartbeat(trial._trial_id)
        lower = [t for t in study.get_trials(deepcopy=False) if t.number < trial.number and t.state.name != "FAIL"]
        if len(lower) >= budget:
            self._surplus(study, trial)
            return None
        return trial, lower

    def _surplus(self, study: Any, trial: Any) -> None:
        from optuna.trial import TrialState

        trial.set_user_attr(ATTR_SURPLUS, True)
        study.tell(trial, state=TrialState.FAIL)

    def _tune(self, arm: Arm, study: Any) -> None:
        claimed = self._claim(study, self.spec.trials)
        if claimed is None:
            return
        trial, _ = claimed
        params = {}
        for key, param in self.spaces[arm.index].items():
            params[key] = _suggest(trial, key, param)
        seed = trial.user_attrs.get(ATTR_SEED, trial.number)
        self._train(arm, study, trial, TUNE, params, int(seed))

    def _final(self, arm: Arm, study: Any) -> None:
        best = self._tune_best[arm.index]
        claimed = self._claim(study, self.spec.seeds)
        if claimed is None:
            return
        trial, lower = claimed
        deadline = time.time() + 30
        while any(ATTR_SEED not in t.user_attrs for t in lower) and time.time() < deadline:
            time.sleep(0.1)  # a concurrent claim writes its seed right after ask(): wait for it
            lower = [t for t in study.get_trials(deepcopy=False) if t.number < trial.number and t.state.name != "FAIL"]
        taken = {t.user_attrs.get(ATTR_SEED) for t in lower}
        free = [s for s in self.spec.final_seeds if s not in taken]
        own = trial.user_attrs.get(ATTR_SEED)
        seed = own if own in free else (free[0] if free else None)
        if seed is None or any(ATTR_SEED not in t.user_attrs for t in lower):
            self._surplus(study, trial)
            return
        trial.set_user_attr("params", dict(best.params))
        trial.set_user_attr("best_trial", best.number)
        self._train(arm, study, trial, FINAL, dict(best.params), seed)

    def _train(self, arm: Arm, study: Any, trial: Any, phase: str, params: dict[str, Any], seed: int) -> None:
        import optuna
        from optuna.trial import TrialState

        from lossbench.engine import train

        trial.set_user_attr(ATTR_ARM, arm.key)
        trial.set_user_attr(ATTR_PHASE, phase)
        trial.set_user_attr(ATTR_SEED, seed)
        config = run_config(self.spec, arm, params, seed, flow_profile=phase == FINAL)
        epochs: list[Any] = []
        maximize = self.spec.maximize

        def on_epoch(record: Any) -> None:
            epochs.append(record)
            trial.report(_objective(record, maximize), record.epoch)  # the final phase too: progress shows the epoch
            if phase == TUNE and trial.should_prune():
                raise optuna.TrialPruned()

        heartbeat = _Heartbeat(self.storage, trial._trial_id) if self.database else None
        started = time.perf_counter()
        try:
            result = train(config, registry=self.registry, on_epoch=on_epoch, data=self._dataset(config))
        except optuna.TrialPruned:
            from dataclasses import asdict

            partial = {"config": config.to_json(), "params": config.params, "status": "pruned",
                       "epochs": [asdict(e) for e in epochs]}
            self._finish(trial, {ATTR_STATUS: "pruned", ATTR_RESULT: partial}, started)
            study.tell(trial, state=TrialState.PRUNED)
        except Exception as error:  # a plugin raising: this trial fails, the sweep goes on
            line = f"{type(error).__name__}: {error}".replace("\n", " ")[:500]
            self._finish(trial, {ATTR_STATUS: "failed", ATTR_ERROR: line}, started)
            study.tell(trial, state=TrialState.FAIL)
        else:
            value = _objective(result.epochs[-1], maximize) if result.epochs else None
            if result.status == "diverged" or value is None or not math.isfinite(value):
                value = 0.0 if maximize else WORST_NLL
            attrs = {ATTR_STATUS: result.status, ATTR_RESULT: result.to_json()}
            if result.diverged_at:
                attrs[ATTR_DIVERGED_AT] = result.diverged_at
            self._finish(trial, attrs, started)
            study.tell(trial, value)
        finally:
            if heartbeat:
                heartbeat.stop()
        self.trials_run += 1

    def _finish(self, trial: Any, attrs: dict[str, Any], started: float) -> None:
        elapsed = time.perf_counter() - started  # the whole train() call: building the model included
        attrs[ATTR_TIMING] = {"train_seconds": elapsed, "trial_seconds": elapsed}
        for key, value in attrs.items():
            trial.set_user_attr(key, finite_json(value))

    def _dataset(self, config: Any) -> Any:
        if self._data is None:
            from lossbench.engine import load_dataset, resolve

            self._data = load_dataset(resolve(config, self.registry))
        return self._data


def _objective(record: Any, maximize: bool) -> float:
    return record.val_accuracy if maximize else record.val_nll


def _suggest(trial: Any, key: str, param: Any) -> Any:
    from lossbench.api.params import Categorical, Float, Int

    if isinstance(param, Float):
        return trial.suggest_float(key, param.low, param.high, log=param.log)
    if isinstance(param, Int):
        return trial.suggest_int(key, param.low, param.high, log=param.log)
    if isinstance(param, Categorical):
        return trial.suggest_categorical(key, list(param.choices))
    raise TypeError(f"unknown parameter type for {key}: {param!r}")


class _Heartbeat:
    """Record a heartbeat for a trial every interval while it trains (ask/tell does not start one)."""

    def __init__(self, storage: Any, trial_id: int):
        self.storage, self.trial_id = storage, trial_id
        self.interval = storage.get_heartbeat_interval() or storage_mod.DEFAULT_HEARTBEAT
        self.event = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)
        self.thread.start()

    def _beat(self) -> None:
        while not self.event.wait(self.interval):
            try:
                self.storage.record_heartbeat(self.trial_id)
            except Exception:  # a missed beat is retried next interval
                pass

    def stop(self) -> None:
        self.event.set()
        self.thread.join(timeout=5)


def main(argv: list[str] | None = None) -> None:
    """A worker process started by ``lossbench run --workers N``: ``python -m lossbench.sweep.worker JOB.json INDEX``."""
    import json
    import sys

    import torch

    from lossbench.plugins import load_registry

    args = argv if argv is not None else sys.argv[1:]
    job = json.loads(open(args[0]).read())
    index = int(args[1])
    _die_with_parent()
    torch.set_num_threads(int(job["threads"]))
    spec = SweepSpec.from_json(job["spec"])
    registry = load_registry(job["plugins_dirs"])
    storage = storage_mod.open_storage(job["storage"], storage_mod.journal_path(job["out"], spec.name),
                                       job.get("heartbeat"))
    Worker(spec, storage, registry, index, database=storage_mod.is_database(job["storage"])).run()


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when the process that started it dies, so a killed run leaves no orphans."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except Exception:
        pass


if __name__ == "__main__":
    main()
