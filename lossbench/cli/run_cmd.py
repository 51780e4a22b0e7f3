"""``lossbench run``: an Optuna sweep over arms (loss x cell x remedy set), then a leaderboard."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Annotated

import typer

from lossbench.cli.context import session
from lossbench.cli.output import note, print_json, stdout, warn
from lossbench.convergence import cap_caution
from lossbench.cli.progress import LiveProgress
from lossbench.cli.sets import parse_sets, sweep_overrides


# The leaderboard fields `run --json` prints (results.json has them all: see lossbench/report/export.py).
SUMMARY_KEYS = ("arm", "loss", "cell", "remedies", "finished", "test_accuracy", "test_nll_mean", "test_ece_mean",
                "final_runs", "final_diverged", "tuning", "best_params")
FLAG_VALUES = ("true", "false", "yes", "no", "on", "off", "1", "0")  # a value given to a flag reads as SPEC.toml
# What a sweep flag left out gives: the spec file's value, else SweepSpec's default; with no spec file, the
# quickstart preset's (tests/test_cli_reads.py keeps these true; importing the sweep here would slow every command)
DEFAULTS = {"trials": "the spec's, else 4; quickstart 5", "epochs": "the spec's, else 10; quickstart 20",
            "patience": "the spec's, else 5", "seeds": "the spec's, else 3; quickstart auto, at most 7",
            "dataset": "the spec's, else mnist1d", "sampler": "the spec's, else screen",
            "pruner": "the spec's, else none", "objective": "the spec's, else val_accuracy",
            "sampler_seed": "the spec's, else 0", "max_epochs": "the spec's, else 200",
            "tuning": "the spec's, else patience; quickstart halving"}


def run_command(
    spec_file: Annotated[str | None, typer.Argument(metavar="SPEC.toml|NAME", help="Sweep spec (TOML), or the name "
                                                                                   "of a stored sweep to resume or "
                                                                                   "grow.")] = None,
    preset: Annotated[str | None, typer.Option(help="A built-in sweep: quickstart (the default with no spec), seed (the "
                                                    "seed article done right), or a paper preset that judges a "
                                                    "published claim: greydanus2020, muller2019, pascanu2013, le2015, "
                                                    "tallec2018 (docs/method.md lists each).")] = None,
    budget: Annotated[str, typer.Option(help="A preset's scale: default (sized for a 2-core CPU) or paper (the "
                                             "paper's own, where feasible).")] = "default",
    name: Annotated[str | None, typer.Option(help="Sweep name (default: the spec's name or stem, or the preset's).")] = None,
    storage: Annotated[str | None, typer.Option(help="Database URL (postgresql://...) shared by many machines; "
                                                     "default: a journal file under OUT/NAME/.")] = None,
    workers: Annotated[str, typer.Option(help="Worker processes on this machine: auto (as many as the cores allow at "
                                              "--threads each, never more than trials in flight) or a number.")] = "auto",
    threads: Annotated[int | None, typer.Option(help="torch threads per worker (default: OMP_NUM_THREADS if set, else "
                                                     "1; a resumed sweep keeps the count it started with).")] = None,
    device: Annotated[str, typer.Option(help="cpu or cuda (workers placed one per visible GPU, round-robin).")] = "cpu",
    trials: Annotated[int | None, typer.Option(help="Tuning trials per arm.", show_default=DEFAULTS["trials"])] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs per run: a cap, with --patience; raised on a stored sweep, "
                                                    "its runs still improving continue from their checkpoints.",
                                               show_default=DEFAULTS["epochs"])] = None,
    max_epochs: Annotated[int | None, typer.Option(help="With seeds = auto: the highest cap the race may train an arm's "
                                                        "runs to.", show_default=DEFAULTS["max_epochs"])] = None,
    patience: Annotated[int | None, typer.Option(
        help="Stop a run after this many epochs without gain on its validation objective (not before twice as many "
             "epochs, nor while at chance) and test its best epoch; 0: train every epoch.",
        show_default=DEFAULTS["patience"])] = None,
    seeds: Annotated[str | None, typer.Option(help="Fresh seeds for each arm's best configuration (final phase), or "
                                                   "auto: rounds of seeds until every comparison is decided.",
                                              show_default=DEFAULTS["seeds"])] = None,
    baseline: Annotated[str | None, typer.Option(
        help="Compare against: a loss (ce), loss:remedies (ce:none; same cell) or an arm key (ce:gru:none). "
             "Default: ce with no remedy, same cell. Stored with the sweep.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Dataset plugin name.", show_default=DEFAULTS["dataset"])] = None,
    loss: Annotated[list[str] | None, typer.Option("--loss", help="Loss (repeatable).")] = None,
    cell: Annotated[list[str] | None, typer.Option("--cell", help="Cell (repeatable).")] = None,
    remedies: Annotated[list[str] | None, typer.Option(
        "--remedies", help="A remedy set, names joined by + ('none' for the empty set); repeatable.")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", metavar="NAME=VALUE",
                                                   help="Pin a value: lr, hidden, batch_size, optimizer, readout, "
                                                        "component.param, <dataset>.param.")] = None,
    sampler: Annotated[str | None, typer.Option(help="screen (the same points for every arm), tpe, random, qmc or "
                                                     "grid.", show_default=DEFAULTS["sampler"])] = None,
    pruner: Annotated[str | None, typer.Option(help="none (patience stops runs), median or hyperband.",
                                               show_default=DEFAULTS["pruner"])] = None,
    objective: Annotated[str | None, typer.Option(help="val_accuracy or val_nll.",
                                                  show_default=DEFAULTS["objective"])] = None,
    tuning: Annotated[str | None, typer.Option(help="halving (every point to a fifth of the epochs, the best third "
                                                    "continued to the cap) or patience (every point to the cap).",
                                               show_default=DEFAULTS["tuning"])] = None,
    sampler_seed: Annotated[int | None, typer.Option(help="Seed of the samplers (recorded).",
                                                     show_default=DEFAULTS["sampler_seed"])] = None,
    trial_timeout: Annotated[float | None, typer.Option(
        metavar="SECONDS", help="End a trial that runs longer (recorded as failed, the sweep goes on); workers "
                                "then run as child processes.")] = None,
    time_budget: Annotated[str | None, typer.Option(
        metavar="DURATION", help="Stop this start cleanly after 10m, 90s, 1h...: the report says what is decided and "
                                 "what is still open; the same command (with a longer time budget) continues.")] = None,
    out: Annotated[str, typer.Option(help="Results folder.")] = "results",
    artifacts: Annotated[str | None, typer.Option(
        metavar="DIR", help="Folder of the runs' checkpoints (default: the one this sweep was started with, else "
                            "OUT/NAME/artifacts); with --storage shared by "
                            "machines, one every machine reaches.")] = None,
    heartbeat: Annotated[int | None, typer.Option(help="Heartbeat interval in seconds on database storage.",
                                                  hidden=True)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print nothing but errors.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Print a JSON summary to stdout, nothing else.")] = False,
) -> None:
    """Tune every arm on the same budget, rerun each best configuration on fresh seeds, rank the arms."""
    options = dict(locals())
    from lossbench.errors import InterruptedRunError
    from lossbench.sweep.interrupt import Stopped, stop_on_signals

    try:
        with stop_on_signals():  # Ctrl-C while the data loads or the report is written: exit 130 too, not 1
            _run(**options)
    except Stopped as stop:
        raise InterruptedRunError(f"interrupted by {stop}; finished trials are kept: run the same command again to "
                                  f"resume", stop.signum) from None


def _run(*, spec_file, preset, budget, name, storage, workers, threads, device, trials, epochs, max_epochs,  # noqa: ANN001
         patience, seeds, baseline, dataset, loss, cell, remedies, set_, sampler, pruner, objective, tuning, sampler_seed, trial_timeout, time_budget,
         out,
         artifacts, heartbeat, quiet, json) -> None:
    """Options into ``lossbench.sweep.run``, then its report, and what came back rendered."""
    from contextlib import ExitStack

    from lossbench import report, sweep

    spec = _spec(spec_file, preset, budget, set_, {
        "name": name, "dataset": dataset, "losses": loss, "cells": cell, "remedy_sets": remedies, "trials": trials,
        "epochs": epochs, "max_epochs": max_epochs, "patience": patience, "seeds": seeds, "sampler": sampler,
        "pruner": pruner, "baseline": baseline,
        "objective": objective, "tuning": tuning, "sampler_seed": sampler_seed, "trial_timeout": trial_timeout,
        "time_budget": time_budget}, out, storage)
    show = not quiet and not json

    live = LiveProgress()
    with ExitStack() as display:
        def started(spec, execution, store) -> None:  # noqa: ANN001
            seeds = f"up to {spec.seeds} seeds, racing" if spec.race else f"{spec.seeds} seeds"
            note(f"sweep {spec.name}: {len(spec.arms)} arms x ({spec.trials} trials + {seeds}), "
                 f"{execution.workers} worker(s) x {execution.threads} thread(s) on {execution.device}, "
                 f"storage {store.describe()}")
            for key, reason in spec.refused.items():
                note(f"refused arm {key}: {reason}", style="yellow")
            if caution := cap_caution(spec.epochs, spec.patience):
                warn(caution)
            display.enter_context(live.shown())

        outcome = sweep.run(spec, storage=storage, out=out, workers=workers, threads=threads, device=device,
                            registry=session.registry(), plugins_dirs=session.plugins_dirs, heartbeat=heartbeat,
                            artifacts=artifacts, on_start=started if show else None,
                            on_progress=live.update if show else None)
    for line in [*outcome.crashes, *outcome.warnings]:
        warn(line)
    for line in outcome.notes if show else ():
        note(line, style="yellow")
    if outcome.out_of_time:
        queued = {0: "no trial was running", 1: "the running trial was queued again"}.get(
            outcome.released, f"the {outcome.released} running trials were queued again")
        note(f"time budget of {outcome.spec.time_budget:g} s reached with {len(outcome.unfinished)} arm(s) unfinished: "
             f"{queued}; the report says what is decided and what is still open, and the same command (with a larger "
             f"--time-budget) continues", style="yellow")
    paths = report.write(outcome.storage, ["md", "html", "json"] if quiet or json else ["all"], console=stdout)
    if json:
        results = jsonlib.loads(Path(paths["json"]).read_text())
        print_json({"schema": "lossbench.run-summary/1", "name": outcome.name, "storage": outcome.location,
                    "outputs": {k: str(v) for k, v in paths.items()},
                    "leaderboard": [{k: row[k] for k in SUMMARY_KEYS} for row in results["leaderboard"]],
                    "refused": results["refused"]})
    elif not quiet:
        for kind, path in paths.items():
            note(f"{kind}: {path}")
    _raise_on_failed_trials(outcome, paths)


def _spec(spec_file, preset, budget, set_, flags, out, storage):  # noqa: ANN001, ANN202
    """The sweep the options describe: a spec file, a stored sweep's name (``sweep.resume``: a file of that name
    wins) or a preset, flags on top (shapes checked, values not yet); ``flags["remedy_sets"]`` as --remedies gives
    them (``a+b``, ``none``)."""
    from dataclasses import replace

    from lossbench.errors import LossbenchError
    from lossbench.sweep import build_spec, load_toml, preset_fields
    from lossbench.sweep.resume import not_found, stored_fields

    if spec_file and spec_file.strip().lower() in FLAG_VALUES and not Path(spec_file).exists():
        raise LossbenchError(f"{spec_file!r} is not a spec file: --quiet and --json are flags and take no value "
                             f"(give --quiet alone, or name the spec file first)")
    stored = None if not spec_file or Path(spec_file).is_file() else stored_fields(spec_file, out, storage)
    if spec_file and stored is None and not Path(spec_file).is_file() and not spec_file.endswith(".toml"):
        raise not_found(spec_file, out, storage)
    if spec_file and preset:
        raise LossbenchError(f"give {'a stored sweep' if stored else 'a spec file'} or --preset, not both")
    if spec_file and budget != "default":
        raise LossbenchError(f"--budget applies to a --preset, not to {'a stored sweep' if stored else 'a spec file'}")
    base = stored if stored is not None else load_toml(spec_file) if spec_file else preset_fields(preset or "quickstart",
                                                                                                  budget)
    remedies = flags["remedy_sets"]
    flags = {**flags, "remedy_sets": [[] if text.strip().lower() in ("", "none") else
                                      [r.strip() for r in text.split("+") if r.strip()] for text in remedies]
             if remedies else None}
    spec = build_spec(base, flags)
    seeds = flags.get("seeds")
    if seeds is not None and str(seeds).strip().lower() != "auto" and not spec.race:
        prior = stored if stored is not None else stored_fields(spec.name, out, storage)
        if prior and prior.get("race"):  # --seeds N on a stored race: its maximum raised, still a race
            spec = build_spec(base, {**flags, "race": True})
    return replace(spec, **sweep_overrides(parse_sets(set_), spec.dataset, spec.fixed, spec.dataset_params))


def _raise_on_failed_trials(outcome, paths) -> None:  # noqa: ANN001
    """A sweep that finished with failed trials, or stopped unfinished because its workers crashed, exits
    non-zero (even with --quiet), naming the first error."""
    from lossbench.errors import TrialsFailedError

    if outcome.crashes and outcome.partial:
        raise TrialsFailedError(f"the sweep stopped unfinished: its workers crashed ({outcome.crashes[-1]}); run the "
                                f"same command again to resume")
    if outcome.failed:
        where = paths.get("md") or paths.get("json") or outcome.folder
        raise TrialsFailedError(f"{outcome.failed} of {outcome.trials} trials failed (first: {outcome.first_error}); "
                                f"every error is listed in {where}")
