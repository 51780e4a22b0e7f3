"""The worker loop: find an arm with slots left, take a slot in its study, run it; until every arm is done.

Each arm has two studies: tuning (``trials`` trials over its search space) and final (its best tuning
configuration rerun on each of ``seeds`` fresh seeds). Each phase's quota of slots stays exact with any number of
workers: a slot's protocol (taken, surplus, released, lost, retried) is ``slots``'.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from lossbench.errors import Stopped
from lossbench.results import to_record, tuned_best, writer
from lossbench.results.baseline import family_pairs
from lossbench.results.chains import PENDING, chains, state_of
from lossbench.results.phase import FINAL_FINISHED, TUNE_FINISHED, Tally, round_done, tally
from lossbench.results.schema import FINAL, RACE_ATTR, SPEC_ATTR, TUNE, spec_study
from lossbench.sweep import slots
from lossbench.sweep.continuation import continue_to
from lossbench.sweep.final_runs import FinalRuns
from lossbench.sweep.halving import tuned, tuning_cap
from lossbench.sweep.interrupt import OutOfTime, held
from lossbench.sweep.recovery import identity
from lossbench.sweep.samplers import make_pruner, make_sampler
from lossbench.sweep.space import arm_space, suggest
from lossbench.sweep.execution import Execution
from lossbench.sweep.probe import load_data
from lossbench.sweep.racing import Allowance, Plan, as_json, race_state
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
        self._epoch_seconds: dict[int, float] = {}  # ... and per epoch: to estimate what fits in a time budget
        self._need: dict[int, int] = {}  # the epochs an arm's next run needs to train
        self._arms_done: set[int] = set()
        self.tune_cap = tuned_cap(storage, spec)  # tuning runs train to the sweep's first cap: frozen once made
        self.plan = Plan(spec.seeds, spec.epochs, max(spec.max_epochs, spec.epochs),
                         stored_looks(storage, spec)) if spec.race else None
        first = self.plan.first if self.plan else Allowance(spec.seeds, spec.epochs)
        self._allowed = {arm.key: first for arm in spec.arms}  # each arm's final phase now: (seeds, cap)
        self._race_over = not spec.race
        self._race_read: tuple[Any, ...] | None = None  # the finished final trials the race was last replayed from
        self._recorded: dict[str, Any] | None = None

    @property
    def out_of_time(self) -> bool:
        return self.deadline is not None and time.time() >= self.deadline

    def run(self, stop: threading.Event | None = None) -> int:
        """Work until every arm has its tuning trials finished and every final seed run; the trials this ran.

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
            work, all_done = [], True
            for arm in self.spec.arms:
                phase = self._phase(arm)
                if phase is None:
                    continue
                all_done = False
                if phase != WAIT:
                    work.append((arm, phase))
            if all_done:
                break
            for arm, (name, study, size, states, cap) in sorted(work, key=lambda w: self._order(w[0])):
                if tally(study.get_trials(deepcopy=False), size, states, cap).can_ask:
                    self._slot(self._tune if name == TUNE else self._final, arm, study)
                    break
            else:
                time.sleep(POLL_SECONDS)
        return self.trials_run

    def _order(self, arm: Arm) -> tuple[Any, ...]:
        """Tuning first, in the spec's order; then the final runs. With a time budget, the cheapest first: the
        runs that fit in the time left (estimated by the seconds per epoch measured so far), by the epochs they
        need, so the open decisions that cost least are settled first. Without one, the arms with the longest runs
        first: short runs then fill the end of a race's round, so fewer workers idle while it waits for its last
        run (a longest processing time first schedule). The order changes no number: each run's point, seed and
        cap are its slot's."""
        tuned = arm.index in self._tune_best
        if self.deadline is None:
            return tuned, -self._run_seconds.get(arm.index, 0.0), arm.index
        need = self._need.get(arm.index, self.spec.epochs)
        fits = need * self._epoch_seconds.get(arm.index, 0.0) <= self.deadline - time.time()
        return tuned, not fits, need, arm.index

    def _slot(self, use: Any, arm: Arm, study: Any) -> None:
        """Take a slot of ``study`` and use it; one taken over meanwhile (finished by another worker: this process
        was paused past its heartbeat's grace) is dropped with one line, never written to again."""
        from optuna.exceptions import UpdateFinishedTrialError

        try:
            use(arm, study)
        except UpdateFinishedTrialError:
            slots.taken_over(None if self.held is None else self.held[2], study)
            self.held = None

    def _phase(self, arm: Arm) -> tuple[str, Any, int, tuple[str, ...], int | None] | str | None:
        """What the arm needs now: a phase with room (name, study, quota of slots, finished states, cap), WAIT (its race
        round is done, others' are not), or None (done). Finished trials never change state, so an arm once done
        stays done (fewer storage reads)."""
        if arm.index in self._arms_done:
            return None
        if not self._tuned(arm):
            self._need[arm.index] = self.tune_cap
            return TUNE, self.studies[arm.index, TUNE], self.spec.trials, TUNE_FINISHED, None
        if self._tune_best[arm.index] is None:
            self._arms_done.add(arm.index)
            return None
        final, allowed = self.studies[arm.index, FINAL], self._allowed[arm.key]
        trials = self._recovered(final)
        if continue_to(final, allowed.cap, allowed.seeds, trials):  # its cap was raised: runs still improving go on
            trials = final.get_trials(deepcopy=False)
        # a continuation past this cap is a later look's (another worker's replay of the race ran ahead of this
        # one's): the phase is not done, and it is taken and run, never taken as surplus and dropped
        done = round_done(trials, allowed.seeds, allowed.cap) and not continued_past(trials, allowed.cap)
        if not self._done(final, tally(trials, allowed.seeds, FINAL_FINISHED, allowed.cap), FINAL, done):
            self._need[arm.index] = next_need(trials, allowed)
            return FINAL, final, allowed.seeds, FINAL_FINISHED, allowed.cap
        if not self._race_over:
            self._update_race()
        if self._race_over and self._allowed[arm.key] == allowed:
            self._arms_done.add(arm.index)
            return None
        return WAIT

    def _tuned(self, arm: Arm) -> bool:
        """Whether the arm's tuning trials are finished (its best trial, or None, then remembered)."""
        if arm.index not in self._tune_best:
            tune = self.studies[arm.index, TUNE]
            done, trials = tuned(tune, self._recovered(tune), self.spec, self.tune_cap)  # halving: rungs go on
            if not self._done(tune, tally(trials, self.spec.trials, TUNE_FINISHED), TUNE, done):
                return False
            records = [to_record(t) for t in trials]
            self._tune_best[arm.index] = tuned_best(records, self.spec.to_json())
            runs = [r.run for r in records if r.run is not None]
            self._run_seconds[arm.index] = sum(r.wall_seconds for r in runs) / len(runs) if runs else 0.0
            epochs = sum(len(r.epochs) for r in runs)
            self._epoch_seconds[arm.index] = sum(r.wall_seconds for r in runs) / epochs if epochs else 0.0
        return True

    def _update_race(self) -> None:
        """Replay the race from the stored runs (``racing``): each arm's allowance now, and whether it is over; the
        race record stored when it changed. Only finished final trials decide it (a look reads each slot's finished
        run; a finished trial never changes), so with the same finished trials as at the last replay nothing is
        judged again: a replay judges the family at each look (about a second each), and every arm waiting for a
        round asks for one, at every trial another worker takes or enqueues."""
        if not all(self._tuned(arm) for arm in self.spec.arms):
            return
        racing = {arm.key: FinalRuns(self.spec, arm, self.studies[arm.index, FINAL].get_trials(deepcopy=False))
                  for arm in self.spec.arms if self._tune_best[arm.index] is not None}
        read = tuple((key, t.number, state_of(t)) for key, runs in racing.items() for t in runs.trials
                     if state_of(t) not in PENDING)
        if read == self._race_read:
            return  # nothing finished since the last replay: the same state
        self._race_read = read
        pairs = family_pairs(self.spec.to_json(), [(a.key, a.cell) for a in self.spec.arms])
        state = race_state(self.plan, racing, pairs)
        self._allowed.update(state.allowed)
        self._race_over = state.over
        record = as_json(state, self.plan)
        if record != self._recorded and writer.record_race_if_newer(self.storage, self.spec.name, record):
            self._recorded = record

    def _done(self, study: Any, counted: Tally, phase: str, done: bool | None = None) -> bool:
        """Whether the phase is done (``done``, where the caller knows better than the count); a retry still queued
        in a done phase (its worker died right after taking a slot that was surplus) is taken here, and ``take``
        tells it surplus: nothing is left waiting for ever. A trial that ``take`` hands out instead (queued since the
        count by a worker whose replay of the race ran ahead: a continuation past this cap) is queued again for
        whoever runs it, never held untrained."""
        done = counted.done if done is None else done
        if done and counted.waiting:
            for _ in range(counted.waiting):
                taken = self._take(study, counted.quota, phase)  # the quota is full: the slot comes back surplus
                if taken is not None:
                    slots.release(study, self.storage, taken[0])
                    self.held = None
        return done

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
        cap = tuning_cap(self.spec, self.tune_cap, trial)  # its rung's (successive halving), or the sweep's
        self._run(arm, study, trial, TUNE, params, slot_seed(TUNE, slot), cap)

    def _final(self, arm: Arm, study: Any) -> None:
        best, allowed = self._tune_best[arm.index], self._allowed[arm.key]
        taken = self._take(study, allowed.seeds, FINAL)
        if taken is None:
            return
        trial, slot = taken
        seed = slot_seed(FINAL, slot)
        tuned = best.run  # its configuration reached 95% of its best at this epoch: see convergence
        trained = None if tuned is None else (tuned.time_to_target or {}).get("epoch") or tuned.best_epoch
        cap = max(allowed.cap, writer.cap_attr(trial) or 0)  # a retry taken after the cap was raised goes on to it
        self._run(arm, study, trial, FINAL, dict(best.params), seed, cap, best=best.number, min_epochs=trained)

    def _run(self, arm: Arm, study: Any, trial: Any, phase: str, params: dict[str, Any], seed: int, cap: int,
             best: int | None = None, min_epochs: int | None = None) -> None:
        if phase == FINAL:
            writer.record_start(trial, arm.key, phase, seed, params=params, best_trial=best, cap=cap)
        else:
            writer.record_start(trial, arm.key, phase, seed, cap=cap)
        config = run_config(self.spec, arm, params, seed, flow_profile=phase == FINAL, device=self.device,
                            threads=self.threads, min_epochs=min_epochs, epochs=cap)  # final runs: see convergence
        run_trial(self.spec, self.storage, study, trial, phase, config, self.registry, self._dataset, self.database,
                  deadline=self.deadline, checkpoints=self.checkpoints)
        self.held = None
        self.trials_run += 1

    def _dataset(self, config: Any) -> Any:
        """The dataset, loaded once per worker: every arm of a sweep uses the same one."""
        if self._data is None:
            self._data = load_data(self.spec, self.registry, config)
        return self._data


def tuned_cap(storage: Any, spec: SweepSpec) -> int:
    """The cap the tuning runs train to: the sweep's first (its stored spec's), whatever a later start raised
    ``epochs`` to; the tuning phase's choice is frozen once made (the report says "tuned at N epochs")."""
    epochs = (_spec_attrs(storage, spec).get(SPEC_ATTR) or {}).get("epochs")
    return int(epochs) if isinstance(epochs, int) and not isinstance(epochs, bool) else spec.epochs


def stored_looks(storage: Any, spec: SweepSpec) -> int:
    """The looks the stored race planned (its record's plan; 0 for none): a grown race plans no fewer."""
    looks = ((_spec_attrs(storage, spec).get(RACE_ATTR) or {}).get("plan") or {}).get("looks")
    return looks if isinstance(looks, int) and not isinstance(looks, bool) else 0


def _spec_attrs(storage: Any, spec: SweepSpec) -> dict[str, Any]:
    try:
        return storage.get_study_user_attrs(storage.get_study_id_from_name(spec_study(spec.name)))
    except KeyError:
        return {}


def continued_past(trials: list[Any], cap: int) -> bool:
    """Whether a slot's continuation waits to train past ``cap``."""
    return any(chain.pending is not None and state_of(chain.pending) == "WAITING"
               and (writer.cap_attr(chain.pending) or 0) > cap for chain in chains(trials))


def next_need(trials: list[Any], allowed: Allowance) -> int:
    """The epochs the arm's next run needs: a pending continuation's from its checkpoint to its cap, else a new
    run's cap."""
    for chain in chains(trials):
        pending = chain.pending
        waiting = pending is not None and state_of(pending) == "WAITING"
        if waiting and chain.slot is not None and chain.slot < allowed.seeds:
            done = (writer.checkpoint_of(pending) or {}).get("epoch") or 0
            return max(1, max(allowed.cap, writer.cap_attr(pending) or 0) - done)
    return allowed.cap
