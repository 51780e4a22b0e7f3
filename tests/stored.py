"""A finished sweep written into real Optuna storage without training: the spec a ``SweepSpec`` stores, and each
trial asked, given its attributes by lossbench's own writer (``RunResult.to_json()`` shaped, from ``sweeps.py``)
and told, as a worker does. What storage tests damage, validate and read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sweeps import run_result

from lossbench.results import writer
from lossbench.results.schema import FINAL, TUNE, spec_study, study_name


def store_sweep(storage: Any, name: str = "kept", trials: int = 4, seeds: int = 2, first_result: Any = None,
                losses: tuple[str, ...] = ("ce",), improving: bool | None = None, space: dict[str, Any] | None = None,
                **fields: Any) -> dict[str, Any]:
    """A finished sweep of one arm per loss (LOSS:rnn:none on digits; ce alone by default) in the Optuna
    ``storage``; the spec as stored. Each later loss scores 0.1 less than the one before, tuning and final alike.
    ``first_result``: what the first tuning trial stores as its result instead of a run's (a stored form to refuse);
    ``improving``: what each final run stores of whether it reached its cap still improving (as a worker does);
    ``space``: tuned parameters beside lr ({name: Optuna distribution})."""
    import optuna

    from lossbench.sweep.spec import SweepSpec

    spec = SweepSpec(name=name, dataset="digits", losses=tuple(losses), cells=("rnn",), trials=trials, seeds=seeds,
                     epochs=2, **fields).recorded()
    writer.record_spec(writer.open_study(storage, spec_study(name)), spec, {"lossbench": "test"})
    lr = optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True)
    for rank, loss in enumerate(losses):
        key, lower = f"{loss}:rnn:none", 0.1 * rank
        tune = writer.open_study(storage, study_name(name, key, TUNE), direction="maximize")
        for number in range(trials):
            value = 0.5 + 0.1 * number - lower
            trial = tune.ask({"lr": lr, **(space or {})})
            writer.record_start(trial, key, TUNE, number)
            writer.record_slot(trial, number)
            writer.record_outcome(trial, "completed", 1.0, result=run_result([value - 0.1, value], value,
                                                                             lr=trial.params["lr"], seed=number))
            if number == 0 and rank == 0 and first_result is not None:
                trial.set_user_attr("result", first_result)
            tune.tell(trial, value)
        final = writer.open_study(storage, study_name(name, key, FINAL), direction="maximize")
        for index in range(seeds):
            trial = final.ask()
            seed = 1000 + index
            writer.record_start(trial, key, FINAL, seed, {"lr": 0.01}, trials - 1)
            writer.record_slot(trial, index)
            writer.record_outcome(trial, "completed", 1.0, result=run_result(
                [0.8 - lower, 0.85 - lower], 0.85 - lower + index / 100, seed=seed), improving=improving)
            final.tell(trial, 0.85 - lower)
    return spec


def store_journal(folder: Path, name: str = "kept", **options: Any) -> Path:
    """``store_sweep`` into ``folder/NAME/sweep.journal`` (as ``lossbench run --out folder`` would place it)."""
    from lossbench.results.storage import open_storage

    journal = folder / name / "sweep.journal"
    journal.parent.mkdir(parents=True, exist_ok=True)
    store_sweep(open_storage(journal, create=True), name, **options)
    return journal


def trials_of(journal: Path, name: str = "kept") -> list[tuple[str, int, str, int | None, float | None]]:
    """(phase, number, state, seed, value) of every trial, read by lossbench."""
    from lossbench.results import read_sweep

    data = read_sweep(name, journal)
    return [(phase, t.number, t.state, t.seed, t.value) for arm in data.arms
            for phase, trials in (("tune", arm.tuning), ("final", arm.final)) for t in trials]


def damage(journal: Path, index: int, at: str = '"study_id"') -> bytes:
    """Change two bytes of line ``index`` (from 0) of ``journal`` (the quote and colon around ``at``, which
    makes it invalid JSON); the journal as it was before."""
    before = journal.read_bytes()
    lines = before.split(b"\n")
    line = lines[index]
    where = line.index(at.encode())
    lines[index] = line[:where - 1] + b"XX" + line[where + 1:]
    journal.write_bytes(b"\n".join(lines))
    return before


def creation_lines(journal: Path) -> list[int]:
    """Indices (from 0) of the journal's trial-creation lines."""
    return [i for i, line in enumerate(journal.read_bytes().split(b"\n")) if line.startswith(b'{"op_code":4,')]
