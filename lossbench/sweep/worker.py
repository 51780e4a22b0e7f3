"""The worker loop: find an arm with budget left, take a slot in its study, run it; until every arm is done.

Each arm has two studies: tuning (``trials`` trials over its search space) and final (its best tuning
configuration rerun on each of ``seeds`` fresh seeds). Budgets stay exact with any number of workers: a slot's
protocol (taken, surplus, released, lost, retried) is ``slots``'.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from lossbench.errors import Stopped
from lossbench.results import best_trial, to_record, writer
from lossbench.decisions import arm_from_runs, runs_of
from lossbench.results.baseline import family_pairs
from lossbench.results.phase import FINAL_FINISHED, TUNE_FINISHED, Tally, tally
from lossbench.results.schema import FINAL, TUNE
from lossbench.sweep import slots
from lossbench.sweep.interrupt import OutOfTime, held
from lossbench.sweep.recovery import identity
from lossbench.sweep.samplers import make_pruner, make_sampler
from lossbench.sweep.space import arm_space, suggest
from lossbench.sweep.execution import Execution
from lossbench.sweep.probe import load_data
from lossbench.sweep.racing import METHOD, as_json, race_state, schedule
from lossbench.sweep.spec import Arm, SweepSpec, slot_seed
from lossbench.sweep.trial import run_config, run_trial

POLL_SECONDS = 0.5
WAIT = "wait"  # an arm with nothing to do until other arms finish a round of the race


class Worker:
    def __init__(self, spec: SweepSpec, storage: Any, registry: Any, execution: Execution, worker_index: int = 0,
                 database: bool = False, data: Any = None, supervised: bool = False, checkpoints: Any = None):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)  # its warnings would repeat ours
        self.spec, self.storage, self.registry, self.database = spec, storage, registry, database
        self.threads, self.device = execution.threads, execution.device_of(worker_index)
        self.deadline = execution.deadline
        self.checkpoints = checkpoints  # where each run's checkpoint goes (``checkpoints.Checkpoints``), or None
        # recorded on every trial this worker takes: which process (and its supervising parent, for a child),
        # with how many threads, among how many workers
        self.me = {**identity(supervised), "threads": execution.threads, "workers": execution.workers, "device": self.device}
        self.spaces = {arm.index: arm_space(spec, arm, registry) for arm in spec.arms}
        direction = spec.goal.direction
        self.studies: dict[tuple[int, str], Any] = {}
        for arm in spec.arms:
            for phase in (TUNE, FINAL):
                study = writer.open_study(
                    storage, arm.study(spec.name, phase), direction=direction,
                    pruner=make_pruner(spec) if phase == TUNE else optuna.pruners.NopPruner())
                study.sampler = make_sampler(spec, arm, self.spaces[arm.index])
                self.studies[arm.index, phase] = study
        self._data = data  # the dataset, when this process loaded it already (a child worker, before any trial)
        self.held: tuple[Any, Any, Any] | None = None  # (study, storage, trial) this worker holds
        self.trials_run = 0
        self._tune_best: dict[int, Any] = {}
        self._run_seconds: dict[int, float] = {}  # an arm's mean seconds per tuning run, once it is tuned
        self._arms_done: set[int] = set()
        first = schedule(spec.seeds)[0] if spec.race else spec.seeds
        self._race_seeds = {arm.key: first for arm in spec.arms}  # each arm's final-phase budget now
        self._race_over = not spec.race

    @property
    def out_of_time(self) -> bool:
        return self.deadline is not None and time.time() >= self.deadline

    def run(self, stop: threading.Event | None = None) -> int:
        """Work until every arm has its tuning budget finished and every final seed run; the trials this ran.

        Stopped on the way (a signal, ``Stopped``), the trial this worker holds is released (``interrupted``, queued
        again: the next start reruns that slot); anything else raised here loses it (retried, within the limit)."""
        try:
            return self._loop(stop)
        except OutOfTime:
            if self.held is not None:
                slots.release(*self.held)  # rerun from its start by the next start of the sweep
                self.held = None
            return self.trials_run
        except BaseException as error:
            if self.held is not None:
                study, storage, trial = self.held
                try:
                    if isinstance(error, Stopped):
                        slots.release(study, storage, trial)
                    else:
                        slots.lose(study, storage, storage.get_trial(trial._trial_id),
                                   f"its worker stopped on {type(error).__name__}: {error}"[:300])
                except Exception:  # the storage itself failed: recovery (pid, heartbeat) retries the trial later
                    pass
            raise

    def _loop(self, stop: threading.Event | None) -> int:
        while (stop is None or not stop.is_set()) and not self.out_of_time:
            all_done, worked = True, False
            for arm in self._order():
                phase = self._phase(arm)
                if phase is None:
                    continue
                all_done = False
                if phase == WAIT:
                    continue
                name, study, size, states = phase
                if tally(study.get_trials(deepcopy=False), size, states).can_ask:
                    self._slot(self._tune if name == TUNE else self._final, arm, study)
                    worked = True
                    break
            if all_done:
                break
            if not worked:
                time.sleep(POLL_SECONDS)
        return self.trials_run

    def _order(self) -> list[Arm]:
        """Tuning first, in the spec's order, then the final runs of the arms with the longest runs first: short
        runs then fill the end of a race's round, so fewer workers idle while it waits for its last run (a longest
        processing time first schedule). The order changes no number: each run's point and seed are its slot's."""
        return sorted(self.spec.arms, key=lambda arm: (arm.index in self._tune_best,
                                                       -self._run_seconds.get(arm.index, 0.0)))

    def _slot(self, use: Any, arm: Arm, study: Any) -> None:
        """Take a slot of ``study`` and use it; one taken over meanwhile (finished by another worker: this process
        was paused past its heartbeat's grace) is dropped with one line, never written to again."""
        from optuna.exceptions import UpdateFinishedTrialError

        try:
            use(arm, study)
        except UpdateFinishedTrialError:
            slots.taken_over(None if self.held is None else self.held[2], study)
            self.held = None

    def _phase(self, arm: Arm) -> tuple[str, Any, int, tuple[str, ...]] | str | None:
        """What the arm needs now: a phase with room, WAIT (its race round is done, others' are not), or None
        (done). Finished trials never change state, so an arm once done stays done (fewer storage reads)."""
        if arm.index in self._arms_done:
            return None
        if not self._tuned(arm):
            return TUNE, self.studies[arm.index, TUNE], self.spec.trials, TUNE_FINISHED
        if self._tune_best[arm.index] is None:
            self._arms_done.add(arm.index)
            return None
        final = self.studies[arm.index, FINAL]
        seeds = self._race_seeds[arm.key]
        if not self._done(final, tally(self._recovered(final), seeds, FINAL_FINISHED), FINAL):
            return FINAL, final, seeds, FINAL_FINISHED
        if not self._race_over:
            self._update_race()
        if self._race_over:
            self._arms_done.add(arm.index)
            return None
        return WAIT

    def _tuned(self, arm: Arm) -> bool:
        """Whether the arm's tuning budget is finished (its best trial, or None, then remembered)."""
        if arm.index not in self._tune_best:
            tune = self.studies[arm.index, TUNE]
            trials = self._recovered(tune)
            if not self._done(tune, tally(trials, self.spec.trials, TUNE_FINISHED), TUNE):
                return False
            records = [to_record(t) for t in trials]
            self._tune_best[arm.index] = best_trial(records, self.spec.maximize)
            seconds = [r.run.wall_seconds for r in records if r.run is not None]
            self._run_seconds[arm.index] = sum(seconds) / len(seconds) if seconds else 0.0
        return True

    def _update_race(self) -> None:
        """Take the race's next look once every arm has finished the current round (see ``racing``)."""
        arms: list[Any] = []
        ready: dict[str, int] = {}
        for arm in self.spec.arms:
            if not self._tuned(arm):
                return
            if self._tune_best[arm.index] is None:
                continue
            trials = self.studies[arm.index, FINAL].get_trials(deepcopy=False)
            count = tally(trials, self._race_seeds[arm.key], FINAL_FINISHED)
            ready[arm.key] = self._race_seeds[arm.key] if count.done else count.finished
            runs = runs_of(map(to_record, trials), self.spec.objective)
            if not runs and count.done and count.errored:
                continue  # its final runs all failed for good: no comparison with it can be decided
            arms.append(arm_from_runs(arm.key, arm.loss, arm.cell, "+".join(arm.remedies) or "none", runs,
                                      self.spec.maximize, self.spec.patience, self.spec.epochs))
        pairs = family_pairs(self.spec.to_json(), [(a.key, a.cell) for a in self.spec.arms])
        budget, self._race_over, looks = race_state(self.spec.seeds, arms, ready, self.spec.final_seeds, pairs)
        self._race_seeds.update(budget)
        if self._race_over:
            writer.record_race(self.storage, self.spec.name, {"seeds": max(budget.values(), default=0), "arms": budget,
                                                              "looks": as_json(looks), "method": METHOD})

    def _done(self, study: Any, counted: Tally, phase: str) -> bool:
        """Whether the phase is done; a retry still queued in a done phase (its worker died right after taking a
        slot that was surplus) is taken here, and ``take`` tells it surplus: nothing is left waiting for ever."""
        if counted.done and counted.waiting:
            for _ in range(counted.waiting):
                self._take(study, counted.budget, phase)  # the budget is full: the slot comes back surplus
        return counted.done

    def _recovered(self, study: Any) -> list[Any]:
        return slots.recover(study, self.storage, self.database, self.me)

    def _take(self, study: Any, size: int, phase: str) -> tuple[Any, int] | None:
        with held():  # a signal in between would leave a taken trial that no one marks
            taken = slots.take(study, self.storage, size, self.me, heartbeat=self.database, phase=phase)
            self.held = None if taken is None else (study, self.storage, taken[0])
        return taken

    def _tune(self, arm: Arm, study: Any) -> None:
        taken = self._take(study, self.spec.trials, TUNE)
        if taken is None:
            return
        trial, slot = taken
        params = {key: suggest(trial, key, param) for key, param in self.spaces[arm.index].items()}  # the slot's
        self._run(arm, study, trial, TUNE, params, slot_seed(TUNE, slot))

    def _final(self, arm: Arm, study: Any) -> None:
        best = self._tune_best[arm.index]
        taken = self._take(study, self._race_seeds[arm.key], FINAL)
        if taken is None:
            return
        trial, slot = taken
        seed = slot_seed(FINAL, slot)
        tuned = best.run  # its configuration reached 95% of its best at this epoch: see convergence
        trained = None if tuned is None else (tuned.time_to_target or {}).get("epoch") or tuned.best_epoch
        self._run(arm, study, trial, FINAL, dict(best.params), seed, best=best.number, min_epochs=trained)

    def _run(self, arm: Arm, study: Any, trial: Any, phase: str, params: dict[str, Any], seed: int,
             best: int | None = None, min_epochs: int | None = None) -> None:
        if phase == FINAL:
            writer.record_start(trial, arm.key, phase, seed, params=params, best_trial=best)
        else:
            writer.record_start(trial, arm.key, phase, seed)
        config = run_config(self.spec, arm, params, seed, flow_profile=phase == FINAL, device=self.device,
                            threads=self.threads, min_epochs=min_epochs)  # final runs: see convergence
        run_trial(self.spec, self.storage, study, trial, phase, config, self.registry, self._dataset, self.database,
                  deadline=self.deadline, checkpoints=self.checkpoints)
        self.held = None
        self.trials_run += 1

    def _dataset(self, config: Any) -> Any:
        """The dataset, loaded once per worker: every arm of a sweep uses the same one."""
        if self._data is None:
            self._data = load_data(self.spec, self.registry, config)
        return self._data
