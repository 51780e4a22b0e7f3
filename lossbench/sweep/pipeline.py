"""``run``: one sweep from Python, every step in order (check the spec, check the storage, load the data, plan
the workers, record provenance, train), and ``SweepOutcome``, what it returns. Prints nothing: the CLI renders
the outcome, and writing the report is ``lossbench.report.write``; ``SweepOutcome.load()`` reads the sweep back
through the public ``lossbench.load_sweep`` (the sweep layer imports nothing else of the report).

Ctrl-C or SIGTERM while it trains raises ``InterruptedRunError`` (the running trials are marked and rerun on the
next start); before training, Python's own ``KeyboardInterrupt``. The CLI turns both into exit 130/143.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lossbench.results import Progress, Storage, mask_secrets, read_progress, read_sweep
from lossbench.sweep.finished import unfinished
from lossbench.sweep.spec import SweepSpec

if TYPE_CHECKING:  # importing it imports torch (lossbench.engine): ``import lossbench.sweep`` stays light
    from lossbench.report.loaded import Sweep
    from lossbench.sweep.execution import Execution


@dataclass(frozen=True)
class SweepOutcome:
    """What a finished (or stopped) ``run`` left in storage, counted once; ``load()`` reads it back: the same
    ``Sweep`` as ``lossbench.load_sweep`` (its arms and trials typed, its report in memory, its DataFrames)."""

    name: str
    location: str  # where the sweep lives, shown: a database URL with its password masked, or the journal's path
    storage: Storage
    spec: SweepSpec  # as run: with its refused arms (``spec.refused``: arm key -> why)
    execution: Execution  # workers, threads per worker, device
    crashes: tuple[str, ...]  # the last error line of each worker process that failed (passwords masked)
    trials: int  # trials stored (surplus slots left out)
    failed: int  # of them, failed for good: a plugin raised, a time limit ran out
    first_error: str | None  # the first failed trial's error
    unfinished: tuple[str, ...]  # keys of the arms with work left (the report calls the sweep partial)
    out_of_time: bool = False  # the spec's time_budget ran out before the sweep was done
    released: int = 0  # trials this start began and queued again when its time budget ran out
    warnings: tuple[str, ...] = ()  # what its worker processes warned of (a trial taken over, plugin code left running)
    notes: tuple[str, ...] = ()  # what the start changed of what was asked (a cap given lower than stored stays)

    @property
    def partial(self) -> bool:
        return bool(self.unfinished)

    @property
    def folder(self) -> Path:
        """Where the journal (without a database) and the report's files go: OUT/NAME."""
        return self.storage.folder

    def load(self, *, baseline: str | None = None, test: str = "t") -> Sweep:
        """The stored sweep (``lossbench.load_sweep``), compared against ``baseline`` with ``test``."""
        from lossbench import load_sweep as load_stored

        return load_stored(self.name, storage=self.storage, baseline=baseline, test=test)


def run(spec: SweepSpec | Mapping[str, Any], *, storage: str | None = None, out: str | Path = "results",
        workers: str | int = "auto", threads: int | None = None, device: str = "cpu", registry: Any = None,
        plugins_dirs: tuple[str, ...] | list[str] = (), heartbeat: int | None = None,
        artifacts: str | Path | None = None, on_start: Callable[[SweepSpec, Execution, Storage], Any] | None = None,
        on_progress: Callable[[Progress], Any] | None = None) -> SweepOutcome:
    """Run (or resume) the sweep ``spec`` until it is finished; raises ``LossbenchError`` (every problem of the
    spec at once, before any storage exists) on bad input.

    ``spec``: a ``SweepSpec`` or a dict of its fields as a TOML spec file has them (``{"losses": ["ce", "focal"],
    "hidden": 16, ...}``). ``storage``: a database URL, or None for the journal OUT/NAME/sweep.journal.
    ``artifacts``: the folder of the runs' checkpoints (Optuna's artifact store; default OUT/NAME/artifacts): on a
    database shared by machines, give one every machine reaches (``lossbench.sweep.checkpoints``); a resume without it
    uses the folder a start of the stored sweep gave.
    ``registry``: the components (default: every installed plugin, and those in ``plugins_dirs``); the trials run
    in worker processes, which load the installed plugins and those in ``plugins_dirs``: a registry given here
    must hold nothing else. ``on_start(spec, execution, storage)`` is called once the
    spec, data and plan are checked, just before training (the CLI starts its live display there).
    ``on_progress(progress)``: a ``lossbench.results.Progress`` about once a second while training, from a thread
    of its own, and the final one when training ends; if it raises, it is not called again and its error is
    raised once training ends (the trials are kept in storage). It may be called from any thread (stop signals
    then reach the main thread's handlers, not this call). A start that its spec's ``time_budget`` stopped before
    any trial finished raises ``LossbenchError`` saying what the start-up and an epoch took."""
    from lossbench.registry import load_registry
    from lossbench.registry.guard import no_hard_exit
    from lossbench.sweep.arguments import check_arguments
    from lossbench.sweep.execution import plan
    from lossbench.sweep.inputs import build_spec
    from lossbench.sweep.probe import probe_data
    from lossbench.sweep.provenance import provenance
    from lossbench.sweep.runner import caps_in_force, run_sweep, started_threads, stored, stored_artifacts
    from lossbench.sweep.validate import check

    started = time.time()  # a time budget counts from here: checks and the data's load included
    check_arguments(spec, storage, out, registry, plugins_dirs, heartbeat, on_start, on_progress)
    if not isinstance(spec, SweepSpec):
        fields = dict(spec)
        if "remedies" in fields:  # as in a TOML file
            fields["remedy_sets"] = fields.pop("remedies")
        spec = build_spec(fields, {})
    store = Storage(name=spec.name, out=str(out), url=storage, heartbeat=heartbeat,
                    artifacts=None if artifacts is None else str(artifacts))
    store.check()
    if artifacts is None:  # a stored sweep's checkpoints stay where its start put them
        store = replace(store, artifacts=stored_artifacts(store))
    if registry is None:
        registry = load_registry(list(plugins_dirs))
        registry.raise_conflicts()
    with no_hard_exit():  # plugin code runs here too (a remedy's check, a dataset's load)
        spec = check(spec, registry)  # every problem at once, before any storage exists or anything trains
        data = probe_data(spec, registry)  # the dataset loads and fits every loss, or one error here
    spec, notes = caps_in_force(store, spec)  # a stored sweep's caps never shrink; a raised one grows it
    execution = plan(spec, workers, threads, device, started_with=started_threads(store))
    if spec.time_budget is not None:
        execution = replace(execution, deadline=started + spec.time_budget)
    store.check_writable()  # the journal and the report, before anything trains
    if on_start is not None:
        on_start(spec, execution, store)
    with _reporting(spec.name, store, on_progress):
        # the provenance is recorded at the first start only (git, plugin metadata): a resume compares the inputs alone
        recorded = {} if stored(store) else provenance(spec, registry, store.describe(), execution,
                                                         {"num_classes": data.num_classes, **data.info}, data)
        said = run_sweep(spec, registry, store, execution, plugins_dirs=[str(d) for d in plugins_dirs],
                         provenance=recorded, data=data)
    outcome = _outcome(spec, store, execution, [mask_secrets(line, store.url) for line in said.crashes])
    outcome = replace(outcome, warnings=tuple(dict.fromkeys(mask_secrets(w, store.url) for w in said.warnings)),
                      notes=tuple(notes))
    if not (outcome.unfinished and execution.deadline is not None and time.time() >= execution.deadline):
        return outcome
    from lossbench.sweep.time_budget import no_progress, start_report

    opened = store.open()
    this_start = start_report(opened, spec.name)
    if not this_start.made_progress:  # every start would stop so: say it, never exit as if all were well
        raise no_progress(spec, opened, started, time.time(), execution.workers)
    return replace(outcome, out_of_time=True, released=this_start.released)


@contextmanager
def _reporting(name: str, store: Storage, on_progress: Callable[[Progress], Any] | None,
               every: float = 1.0) -> Iterator[None]:
    """``on_progress`` with what storage says, from a thread while the block trains here, then once at its end."""
    if on_progress is None:
        yield
        return
    started, stop, broken = time.perf_counter(), threading.Event(), []
    monitor: list[Any] = []  # its own storage, to read only (the worker's is busy in this thread), once there is one

    def read() -> Progress:
        if not monitor:
            monitor.append(store.open(create=False))
        return read_progress(name, monitor[0], started)

    def poll() -> None:
        while not stop.wait(every):
            try:
                progress = read()
            except Exception:  # storage busy this second: the next one reads it
                continue
            try:
                on_progress(progress)
            except BaseException as error:  # the caller's code: raised where the caller can see it
                broken.append(error)
                return

    poller = threading.Thread(target=poll, name="lossbench-progress", daemon=True)
    poller.start()
    try:
        yield
    finally:
        stop.set()
        poller.join(timeout=10)
    if broken:
        raise broken[0]
    on_progress(read())


def _outcome(spec: SweepSpec, store: Storage, execution: Execution, crashes: list[str]) -> SweepOutcome:
    """Count what storage holds now: failed trials, and the arms not finished by the rule the report uses."""
    data = read_sweep(spec.name, store.open(create=False))
    failed = data.failed_trials()
    return SweepOutcome(
        name=spec.name, location=store.describe(), storage=store, spec=spec, execution=execution,
        crashes=tuple(crashes), trials=sum(1 for arm in data.arms for t in [*arm.tuning, *arm.final] if not t.surplus),
        failed=len(failed), first_error=failed[0].error if failed else None, unfinished=unfinished(data))
