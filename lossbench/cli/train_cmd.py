"""``lossbench train``: one run, with a progress bar per epoch and a summary."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from dataclasses import replace

from lossbench.cli.context import session
from lossbench.cli.output import print_json, stderr, stdout
from lossbench.cli.sets import component_params, parse_hidden, parse_sets


def train_command(
    dataset: Annotated[str, typer.Option(help="Dataset plugin name.")] = "mnist1d",
    cell: Annotated[str, typer.Option(help="Cell plugin name.")] = "gru",
    loss: Annotated[str, typer.Option(help="Loss plugin name.")] = "ce",
    remedy: Annotated[list[str] | None, typer.Option("--remedy", help="Remedy plugin name (repeatable).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", metavar="NAME=VALUE",
                                                   help="A component parameter: focal.gamma=2 (or gamma=2 when unambiguous); "
                                                        "readout=last|mean|all: what the head reads.")] = None,
    epochs: Annotated[int, typer.Option(help="Training epochs (a cap, with --patience).")] = 10,
    patience: Annotated[int | None, typer.Option(
        help="Stop after this many epochs without gain in validation accuracy (not before twice as many, nor "
             "while at chance) and test the best epoch's weights. Default: train every epoch.")] = None,
    batch_size: Annotated[int, typer.Option(help="Mini-batch size.")] = 100,
    lr: Annotated[float, typer.Option(help="Learning rate.")] = 1e-2,
    hidden: Annotated[str, typer.Option(help="Hidden size, or one per layer: 64,32.")] = "128",
    layers: Annotated[int | None, typer.Option(help="Stacked layers (each of --hidden units).")] = None,
    optimizer: Annotated[str, typer.Option(help="adam, rmsprop or sgd (momentum 0.9).")] = "adam",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    device: Annotated[str, typer.Option(help="cpu, cuda or cuda:N.")] = "cpu",
    threads: Annotated[int | None, typer.Option(help="torch threads (default: OMP_NUM_THREADS if set, else 1: more "
                                                     "threads are no faster on small shared machines).")] = None,
    flow_profile: Annotated[bool, typer.Option(help="Measure the gradient-flow profile ||dL/dx_t||.")] = True,
    flow_every: Annotated[int, typer.Option(help="Profile every N epochs too (0: at start and end only).")] = 0,
    json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON to stdout.")] = False,
) -> None:
    """Train one run: dataset, cell, loss, remedies, hyperparameters and seed -> metrics."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from lossbench.engine.config import LAYERS_MAX, RunConfig, resolve
    from lossbench.engine.threads import default_threads
    from lossbench.errors import ParameterError
    from lossbench.registry.guard import no_hard_exit

    registry = session.registry()
    sizes = parse_hidden(hidden)
    if layers is not None:
        if not 1 <= layers <= LAYERS_MAX:
            raise ParameterError(f"--layers must be in [1, {LAYERS_MAX}]; got {layers}")
        if len(sizes) not in (1, layers):
            raise ParameterError(f"--hidden gives {len(sizes)} sizes but --layers says {layers}")
        sizes = sizes * layers if len(sizes) == 1 else sizes
    pairs = parse_sets(set_)
    readout = [value for key, value in pairs if key == "readout"]  # the model's, not a component's
    config = RunConfig(dataset=dataset, cell=cell, loss=loss, remedies=tuple(remedy or ()), epochs=epochs,
                       batch_size=batch_size, lr=lr, hidden=sizes, optimizer=optimizer, seed=seed, device=device,
                       threads=default_threads() if threads is None else threads, flow_profile=flow_profile,
                       flow_every=flow_every, patience=patience, readout=readout[-1] if readout else "last")
    config = replace(config, params=_params(config, registry, [p for p in pairs if p[0] != "readout"]))
    with no_hard_exit():  # a plugin calling os._exit in its build is a message naming it, not a silent exit
        resolve(config, registry)  # names and values refused before torch is imported (about 1 s of start-up)
        from lossbench.engine import prepare

        run = prepare(config, registry)  # every check (names, values, device, data, shapes) before the bar appears
    with Progress(TextColumn("epoch {task.fields[epoch]}/{task.fields[epochs]}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[status]}"), TimeElapsedColumn(), console=stderr, transient=json,
                  disable=json and not stderr.is_terminal) as progress:
        task = progress.add_task("train", total=None, epoch=0, epochs=epochs, status="")

        def on_step(epoch: int, step: int, steps: int) -> None:
            progress.update(task, completed=step, total=steps, epoch=epoch)

        def on_epoch(record) -> None:
            progress.update(task, status=f"loss {record.train_loss:.4f}  val acc {record.val_accuracy:.4f}")

        with no_hard_exit():
            result = run.fit(on_epoch, on_step)
    if json:
        print_json(result.to_json())
    else:
        stdout.print(summary_table(result))


def _params(config, registry, pairs: list[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """``--set`` values by component. A wrong name, or a combination that cannot work, says more than a ``--set``
    problem: those are reported first (identity_init needs rnn.activation=relu, which only --set gives, so
    combinations are judged once the values are in)."""
    from lossbench.engine import resolve
    from lossbench.errors import LossbenchError

    try:
        components = {spec.name: spec for spec in (
            registry.get("datasets", config.dataset), registry.get("cells", config.cell),
            registry.get("losses", config.loss), *(registry.get("remedies", r) for r in config.remedies))}
        return component_params(pairs, components)
    except LossbenchError:
        resolve(config, registry)  # every problem with names or combinations at once
        raise


def summary_table(result) -> Table:
    from lossbench.text import printable

    title = (f"{result.config['loss']} / {result.config['cell']} / {result.config['dataset']}"
             + (f" + {', '.join(result.config['remedies'])}" if result.config["remedies"] else ""))
    table = Table(title=Text(printable(title)), show_header=False, title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    if result.status == "diverged":
        where = result.diverged_at
        table.add_row("status", f"[red]diverged[/red] at epoch {where['epoch']} step {where['step']} ({where['reason']})")
    else:
        table.add_row("status", "completed")
    both = result.params.get(result.config["cell"], {}).get("bidirectional") is True
    readout = result.config.get("readout", "last")
    if both or readout != "last":
        table.add_row("model", f"{'both directions' if both else 'one direction'}, readout {readout}")
    if result.best_epoch is not None:
        stop = "plateaued: stopped on patience" if result.plateaued else "still improving at the cap"
        table.add_row("epochs", f"{len(result.epochs)} ({stop}; tested at its best epoch, {result.best_epoch})")
    if result.time_to_target:
        reached = result.time_to_target
        table.add_row(f"time to {reached['share']:.0%} of its best", f"epoch {reached['epoch']}, {reached['seconds']:.1f} s")
    if result.test:
        table.add_row("test accuracy", f"{result.test['accuracy']:.4f}")
        table.add_row("test NLL", f"{result.test['nll']:.4f}")
        table.add_row("test ECE (15 bins)", f"{result.test['ece']:.4f}")
    if result.epochs:
        last = result.epochs[-1]
        table.add_row("final train loss", f"{last.train_loss:.4f}")
        table.add_row("final val accuracy / NLL", f"{last.val_accuracy:.4f} / {last.val_nll:.4f}")
    norms = result.grad_norms
    if norms:
        table.add_row("gradient norm (median / max)", f"{sorted(norms)[len(norms) // 2]:.3g} / {max(norms):.3g}")
        table.add_row("clipped steps", f"{result.clipped_steps} of {result.steps} ({result.clip_rate:.1%})")
    both = "backward" in result.flow
    for label, ratios in (("vanishing ratio |dL/dx_1|/|dL/dx_T|" + (" (forward)" if both else ""),
                           result.flow.get("vanishing_ratio", {})),
                          ("vanishing ratio |dL/dx_T|/|dL/dx_1| (backward)",
                           result.flow.get("backward", {}).get("vanishing_ratio", {}))):
        if ratios:
            table.add_row(label, "  ".join(f"epoch {e}: {'n/a' if r is None else f'{r:.2e}'}" for e, r in ratios.items()))
    for key, value in result.dataset_info.items():
        if "baseline" in key:
            table.add_row(Text(printable(key.replace("_", " "))), f"{value:.4f}")  # a plugin's key: no markup
    table.add_row("time per epoch", f"{result.seconds_per_epoch:.3f} s")
    table.add_row("peak memory", f"{result.peak_memory_mb:.0f} MiB")
    return table
