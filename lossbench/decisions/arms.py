"""What the rule reads of an arm: its final runs' test accuracy by seed, how each run ended (plateaued, still
improving, collapsed), its learning rate, the metric's grain and chance; built from stored runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lossbench import stats
from lossbench.convergence import (CHANCE_MARGIN, COLLAPSED, IMPROVING, NOT_TRAINING, PATIENCE, UNKNOWN, at_chance,
                                   run_state)


@dataclass(frozen=True)
class Run:
    """What the rule reads of one final run."""

    seed: int
    test_accuracy: float
    curve: list[float | None]  # the validation objective per epoch
    accuracy_curve: list[float | None]  # validation accuracy per epoch
    seconds: float = 0.0  # the run's wall time
    examples: int | None = None  # test predictions scored: accuracy moves in steps of 1 / examples
    classes: int | None = None
    lr: float | None = None
    clip_rate: float | None = None
    cap: int | None = None  # the epoch cap it trained to (a continued run's: its latest)


@dataclass(frozen=True)
class JudgedArm:
    """An arm's final runs as the rule sees them: test accuracy and whether each run had plateaued, by seed; its
    mean seconds per final run, its epoch cap, its recent gain; and what its words need (grain, chance, lr).

    A run whose curve holds no finite value ended in a way nobody knows (``UNKNOWN``): it is not still improving
    (no raised cap continues it: only a run stored as improving is, ``sweep.trial``; so the race gives it no epochs)
    and not plateaued either: a verdict that needs its side to have stopped improving is not made on it
    (``rule``)."""

    key: str
    loss: str
    cell: str
    remedies: str
    accuracy: dict[int, float]
    plateaued: dict[int, bool]  # known no longer improving: plateaued, not training (at chance) or collapsed
    seconds_per_run: float | None = None
    epochs_cap: int | None = None
    gain_per_epoch: float = 0.0  # the fastest recent gain in validation accuracy of its runs still improving
    curves: dict[int, list[float | None]] = field(default_factory=dict)  # validation accuracy per epoch, by seed
    grain: float | None = None  # 1 / test examples: the step of its test accuracy
    chance: float | None = None  # 1 / classes
    collapsed: dict[int, bool] = field(default_factory=dict)  # runs whose last epochs fell far below their best
    lr: float | None = None  # the learning rate of its final runs (its best configuration's)
    clip_rate: float | None = None  # the share of training steps a remedy clipped, over its final runs
    states: dict[int, str] = field(default_factory=dict)  # how each run ended (``lossbench.convergence.run_state``)

    @property
    def mean(self) -> float | None:
        return sum(self.accuracy.values()) / len(self.accuracy) if self.accuracy else None

    @property
    def at_chance(self) -> bool:
        """Not training at this budget: its mean test accuracy lies within ``CHANCE_MARGIN`` of chance."""
        return at_chance(self.mean, self.chance)

    @property
    def still_improving(self) -> bool:
        """A run reached the cap still gaining (a collapsed run is over; a run at chance has not started; a run of
        unknown state is not known to gain)."""
        return self.improving_runs > 0

    @property
    def improving_runs(self) -> int:
        """Its runs still improving at their cap: the ones a raised cap would continue."""
        return sum(1 for s, done in self.plateaued.items()
                   if not done and not self.collapsed.get(s, False) and self.states.get(s) != UNKNOWN)

    @property
    def unknown(self) -> tuple[int, ...]:
        """The seeds whose run ended in a way nobody knows (no finite value on its curve)."""
        return tuple(s for s, state in self.states.items() if state == UNKNOWN)

    def could_gain(self, epochs: int) -> float:
        """The most its accuracy could rise in ``epochs`` more epochs, at its recent rate (an upper bound for a
        concave learning curve); 0 for an arm that plateaued."""
        return self.gain_per_epoch * epochs if self.still_improving else 0.0

    def state(self) -> str:
        """Why it was no longer improving, in words: not training (at chance), collapsed on some seeds, plateaued."""
        cap = f" of {self.epochs_cap} epochs" if self.epochs_cap else ""
        if self.at_chance or (self.states and all(v == NOT_TRAINING for v in self.states.values())):
            chance = f", {self.chance:.3f}" if self.chance else ""
            return f"was not training at this budget{cap} (within {CHANCE_MARGIN} of chance{chance})"
        broke = sum(self.collapsed.values())
        if self.unknown and not self.still_improving:
            return (f"ended in a way not known on {len(self.unknown)} of {len(self.accuracy)} seeds (no finite "
                    f"validation value stored)")
        if broke:
            return f"collapsed on {broke} of {len(self.accuracy)} seeds (its last epochs far below its best)"
        return "was still improving" if self.still_improving else "had plateaued on every seed"


def arm_from_runs(key: str, loss: str, cell: str, remedies: str, runs: list[Run], maximize: bool,
                  patience: int | None, epochs_cap: int | None, chance: float | None = None,
                  grain: float | None = None) -> JudgedArm:
    """An ``JudgedArm`` from its final runs; a run counts as plateaued when it stopped before its cap (its own, where it
    says: a continued run's is its latest; else ``epochs_cap``), or when the patience rule says so of its curve
    (for fixed-epoch runs: its best epoch at least ``patience`` epochs before the end). Its recent gain: the rise in
    validation accuracy per epoch over the last ``patience`` epochs, the fastest of its runs still improving; its
    cap, the highest of its runs'. ``chance``: 1 / classes, and ``grain`` (the step of its test accuracy), where the
    runs do not say (runs stored before they did): the grain is 1 / the test examples they scored."""
    window = patience or PATIENCE
    classes = next((run.classes for run in runs if run.classes), None)
    chance = 1 / classes if classes else chance
    accuracy, plateaued, broke, gains, curves, states = {}, {}, {}, [0.0], {}, {}
    for run in runs:
        accuracy[run.seed] = run.test_accuracy
        curves[run.seed] = list(run.accuracy_curve)
        state = run_state(run.curve, run.accuracy_curve, maximize, window, run.cap or epochs_cap, chance)
        states[run.seed] = state or UNKNOWN
        plateaued[run.seed] = state not in (None, IMPROVING)
        broke[run.seed] = state == COLLAPSED
        acc = [v for v in run.accuracy_curve if v is not None]
        if state == IMPROVING and len(acc) > 1:
            span = min(window, len(acc) - 1)
            gains.append(max(0.0, (max(acc[-span:]) - max(acc[:-span])) / span))
    caps = [run.cap for run in runs if run.cap]
    epochs_cap = max(caps) if caps else epochs_cap
    seconds = [run.seconds for run in runs]
    examples = [run.examples for run in runs if run.examples]
    rates = [run.clip_rate for run in runs if run.clip_rate is not None]
    return JudgedArm(key, loss, cell, remedies, accuracy, plateaued,
               seconds_per_run=(sum(seconds) / len(seconds)) if seconds else None, epochs_cap=epochs_cap,
               gain_per_epoch=max(gains), curves=curves,
               grain=1 / min(examples) if examples else grain,
               chance=chance, collapsed=broke, lr=next((run.lr for run in runs if run.lr is not None), None),
               clip_rate=sum(rates) / len(rates) if rates else None, states=states)


def runs_of(trials: Any, objective: str) -> list[Run]:
    """The completed final runs among stored trials (``TrialRecord``s) that have a seed and a test accuracy."""
    runs = []
    for trial in trials:
        run = trial.run
        accuracy = run.test_metric("accuracy") if run is not None else None
        if trial.state != "COMPLETE" or trial.seed is None or accuracy is None:
            continue
        examples, classes = run.test_metric("examples"), run.test_metric("classes")
        cap = run.config.get("epochs")
        runs.append(Run(trial.seed, accuracy, run.curve(objective), run.curve("val_accuracy"), run.wall_seconds,
                        int(examples) if examples else None, int(classes) if classes else None, run.lr,
                        run.clip_rate if run.steps else None, int(cap) if isinstance(cap, int) else None))
    return runs


def judged_arms(entries: list[tuple[tuple[str, str, str, str], list[Run], int | None]], maximize: bool,
                patience: int | None, chance: float | None = None) -> list[JudgedArm]:
    """The arms that have runs, built one way for the race and the report: each entry its (key, loss, cell,
    remedies), its final runs and its epoch cap. Where the runs do not say how many test examples they scored, the
    grain of accuracy is inferred from every arm's accuracies together (each k / n on one test set); ``chance``
    where they do not say how many classes."""
    grain = stats.grain([r.test_accuracy for _, runs, _ in entries for r in runs])
    arms = [arm_from_runs(*names, runs, maximize, patience, cap, chance, grain) for names, runs, cap in entries]
    return [a for a in arms if a.accuracy]


def sweep_arms(data: Any) -> tuple[list[JudgedArm], int]:
    """The arms of a stored sweep (``SweepData``) that have completed final runs, the runs the race judged where a
    race ended (``data.judged_final``), and its number of workers."""
    spec = data.spec_record
    workers = int((data.provenance or {}).get("workers") or 1)
    classes = ((data.provenance or {}).get("dataset_info") or {}).get("num_classes")
    chance = 1 / classes if isinstance(classes, int) and classes > 1 else None
    caps = (data.race or {}).get("caps") or {} if spec.race else {}
    entries = [((arm.key, arm.loss, arm.cell, "+".join(arm.remedies) or "none"),
                runs_of(data.judged_final(arm), spec.objective.name), caps.get(arm.key, spec.epochs))
               for arm in data.arms]
    return judged_arms(entries, spec.objective.maximize, spec.patience, chance), workers
