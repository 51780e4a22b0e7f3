"""``lossbench run``: an Optuna sweep over arms (loss x cell x remedy set), then a leaderboard."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Annotated, Any

import typer

from lossbench.cli.context import session
from lossbench.cli.output import print_json, stderr, stdout


def run_command(
    spec_file: Annotated[str | None, typer.Argument(metavar="[SPEC.toml]", help="Sweep spec (TOML).")] = None,
    preset: Annotated[str | None, typer.Option(help="A built-in sweep: quickstart (default with no spec) or seed.")] = None,
    name: Annotated[str | None, typer.Option(help="Sweep name (default: the spec's name or stem, or the preset's).")] = None,
    storage: Annotated[str | None, typer.Option(help="Database URL (postgresql://...) shared by many machines; "
                                                     "default: a journal file under OUT/NAME/.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes on this machine (torch threads are divided).")] = 1,
    trials: Annotated[int | None, typer.Option(help="Tuning trials per arm.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs per run.")] = None,
    seeds: Annotated[int | None, typer.Option(help="Fresh seeds for each arm's best configuration (final phase).")] = None,
    dataset: Annotated[str | None, typer.Option(help="Dataset plugin name.")] = None,
    loss: Annotated[list[str] | None, typer.Option("--loss", help="Loss (repeatable).")] = None,
    cell: Annotated[list[str] | None, typer.Option("--cell", help="Cell (repeatable).")] = None,
    remedies: Annotated[list[str] | None, typer.Option(
        "--remedies", help="A remedy set, names joined by + ('none' for the empty set); repeatable.")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", metavar="NAME=VALUE",
                                                   help="Pin a value: lr, hidden, batch_size, optimizer, "
                                                        "component.param, <dataset>.param.")] = None,
    sampler: Annotated[str | None, typer.Option(help="tpe (default), random, qmc or grid.")] = None,
    pruner: Annotated[str | None, typer.Option(help="median (default), hyperband or none.")] = None,
    objective: Annotated[str | None, typer.Option(help="val_accuracy (default) or val_nll.")] = None,
    sampler_seed: Annotated[int | None, typer.Option(help="Seed of the samplers (recorded).")] = None,
    out: Annotated[str, typer.Option(help="Results folder.")] = "results",
    heartbeat: Annotated[int | None, typer.Option(help="Heartbeat interval in seconds on database storage.",
                                                  hidden=True)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print nothing but errors.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Print a JSON summary to stdout, nothing else.")] = False,
) -> None:
    """Tune every arm on the same budget, rerun each best configuration on fresh seeds, rank the arms."""
    from lossbench import __version__
    from lossbench.errors import LossbenchError
    from lossbench.sweep import PRESETS, apply_sets, build_spec, check, load_toml
    from lossbench.sweep import storage as storage_mod

    if spec_file and preset:
        raise LossbenchError("give a spec file or --preset, not both")
    if spec_file:
        base = load_toml(spec_file)
    else:
        preset = preset or "quickstart"
        if preset not in PRESETS:
            from lossbench.errors import UnknownNameError

            raise UnknownNameError("preset", preset, PRESETS)
        base = PRESETS[preset].to_json()
    remedy_sets = None
    if remedies:
        remedy_sets = [[] if text.strip().lower() in ("", "none") else [r.strip() for r in text.split("+") if r.strip()]
                       for text in remedies]
    spec = build_spec(base, {"name": name, "dataset": dataset, "losses": loss, "cells": cell, "remedy_sets": remedy_sets,
                             "trials": trials, "epochs": epochs, "seeds": seeds, "sampler": sampler, "pruner": pruner,
                             "objective": objective, "sampler_seed": sampler_seed})
    spec = apply_sets(spec, list(set_ or []))
    if workers < 1:
        raise LossbenchError(f"--workers must be at least 1, got {workers}")
    registry = session.registry()
    check(spec, registry)  # every problem at once, before any storage exists or anything trains

    import optuna
    import torch

    from lossbench.results import load_sweep
    from lossbench.sweep.runner import run_sweep

    where = storage_mod.describe(storage, storage_mod.journal_path(out, spec.name))
    provenance = {"lossbench": __version__, "torch": torch.__version__, "optuna": optuna.__version__,
                  "storage": where, "sampler_seed": spec.sampler_seed}
    show = None
    if not quiet and not json:
        stderr.print(f"sweep {spec.name}: {len(spec.arms)} arms x ({spec.trials} trials + {spec.seeds} seeds), "
                     f"{workers} worker(s), storage {where}", markup=False, highlight=False)
        from rich.live import Live

        def show(render):  # noqa: ANN001
            class _Renderable:
                def __rich__(self) -> Any:
                    return render()

            return Live(_Renderable(), console=stderr, refresh_per_second=2, transient=False)

    stored = run_sweep(spec, registry, url=storage, out=out, workers=workers, plugins_dirs=session.plugins_dirs,
                       provenance=provenance, heartbeat=heartbeat, show=show)
    data = load_sweep(spec.name, stored)
    path = Path(out) / spec.name / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    full = data.to_json()
    path.write_text(jsonlib.dumps(full, default=str))
    summary = {"name": spec.name, "storage": where, "results": str(path), "leaderboard": full["leaderboard"]}
    if json:
        print_json(summary)
    elif not quiet:
        stdout.print(leaderboard_table(full["leaderboard"], spec.name, spec.objective))
        stdout.print(f"results: {path}", markup=False, highlight=False)


def leaderboard_table(rows: list[dict[str, Any]], name: str, objective: str) -> Any:
    from rich.table import Table

    table = Table(title=f"sweep {name}: final-phase test metrics (arms tuned on {objective})", title_justify="left")
    for column, justify in [("arm", "left"), ("test accuracy", "right"), ("test NLL", "right"), ("runs", "right"),
                            ("trials", "right"), ("pruned", "right"), ("diverged", "right"), ("failed", "right"),
                            ("best lr", "right")]:
        table.add_column(column, justify=justify)
    for row in rows:
        acc = "-" if row["test_accuracy_mean"] is None else f"{row['test_accuracy_mean']:.4f} ± {row['test_accuracy_std']:.4f}"
        nll = "-" if row["test_nll_mean"] is None else f"{row['test_nll_mean']:.4f}"
        lr = "-" if row["best_lr"] is None else f"{row['best_lr']:.2e}"
        table.add_row(row["arm"], acc, nll, str(row["final_runs"]), str(row["trials"]), str(row["pruned"]),
                      str(row["diverged"]), str(row["failed"]), lr)
    return table
