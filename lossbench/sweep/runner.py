"""Start (or resume) a sweep: record its spec, then run its workers as child processes (``supervise``)."""

from __future__ import annotations

from typing import Any

from lossbench.errors import InterruptedRunError, LossbenchError, again, setting
from lossbench.results import writer
from lossbench.results.reader import read_sweep, stored_attrs
from lossbench.results.schema import ARTIFACTS_ATTR, PROVENANCE_ATTR, SPEC_ATTR, spec_study
from lossbench.results.failure import storage_failure
from lossbench.results.storage import Storage, spec_lock
from lossbench.sweep.execution import Execution
from lossbench.sweep.finished import nothing_to_train
from lossbench.sweep.grow import CAPS, comparable, in_force, stored_caps
from lossbench.sweep.probe import load_data
from lossbench.sweep.provenance import INPUTS, identity_changes, inputs_identity
from lossbench.sweep.interrupt import Stopped, stop_on_signals
from lossbench.sweep.spec import SweepSpec
from lossbench.sweep.supervise import Supervised, supervise
from lossbench.sweep.worker import Worker


def run_sweep(spec: SweepSpec, registry: Any, storage: Storage, execution: Execution, *, plugins_dirs: list[str],
              provenance: dict[str, Any], data: Any = None) -> Supervised:
    """Run the sweep until it is finished; what its worker processes said (``Supervised``). ``data``: the
    dataset, when the caller has loaded it (its fingerprint is the one every worker's copy must have)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # its warnings would repeat ours
    try:
        with stop_on_signals():
            return _run(spec, registry, storage, execution, plugins_dirs, provenance, data)
    except Stopped as stop:
        raise InterruptedRunError(f"interrupted by {stop}: {_released(stop.released)}; {again()} to resume "
                                  f"(finished trials are kept)", stop.signum) from None
    except LossbenchError:
        raise
    except Exception as error:  # a storage that failed mid-sweep is one line (exit 4), never a traceback
        if (lost := storage_failure(error, storage)) is None:
            raise
        raise lost from None


def _released(count: int | None) -> str:
    """What a stop did to the running trials, as counted (None: not counted, the storage failing too)."""
    if count == 0:
        return "no trial was running"
    if count == 1:
        return "the running trial was marked interrupted and will be rerun"
    return f"the{'' if count is None else f' {count}'} running trials were marked interrupted and will be rerun"


def _run(spec: SweepSpec, registry: Any, storage: Storage, execution: Execution, plugins_dirs: list[str],
         provenance: dict[str, Any], data: Any) -> Supervised:
    if data is None:
        data = load_data(spec, registry)
    provenance = {**provenance, INPUTS: inputs_identity(spec, registry, data)}
    optuna_storage = storage.open()
    with spec_lock(storage, optuna_storage):  # two starts at once: one records its spec, the other compares
        spec, as_stored = ensure_spec(optuna_storage, spec, provenance,
                                      str(storage.artifact_folder) if storage.artifacts else None)
    if as_stored and nothing_to_train(read_sweep(spec.name, optuna_storage)):
        return Supervised()  # a finished sweep, not grown: no worker process to start (each costs seconds)
    # Every worker is a child process this one watches (only a process can be stopped wherever it hangs, and a
    # child killed by the out-of-memory killer leaves this one to mark its trial and start another): this one
    # only creates the studies.
    Worker(spec, optuna_storage, registry, execution, 0, database=storage.is_database)
    return supervise(spec, optuna_storage, storage, execution, plugins_dirs, provenance[INPUTS]["dataset_sha256"])


def stored(storage: Storage) -> bool:
    """Whether a start of the sweep recorded its spec already (a resume)."""
    if not storage.is_database and not storage.journal.is_file():
        return False
    found = stored_attrs(storage.name, storage.open(create=False))
    return bool(found and found[0].get(SPEC_ATTR) is not None)


def started_threads(storage: Storage) -> int | None:
    """The torch threads per worker a stored sweep started with; None for a new sweep."""
    if not storage.is_database and not storage.journal.is_file():
        return None
    found = stored_attrs(storage.name, storage.open(create=False))
    return (found[0].get(PROVENANCE_ATTR) or {}).get("threads") if found else None


def ensure_spec(optuna_storage: Any, spec: SweepSpec, provenance: dict[str, Any],
                artifacts: str | None = None) -> tuple[SweepSpec, bool]:
    """Record the spec on the first start; refuse a different spec under the same name (its caps and run options
    may differ: ``grow``); (the spec with the caps in force, which are recorded, as is ``artifacts`` (the checkpoints'
    folder given, which a later start without ``--artifacts`` defaults to: ``stored_artifacts``); whether this start
    resumes a stored sweep at the caps it had, none raised)."""
    study = writer.open_study(optuna_storage, spec_study(spec.name))
    stored = writer.stored_spec(study)
    if artifacts is not None and (stored is None or comparable(stored) == spec.identity()):
        study.set_user_attr(ARTIFACTS_ATTR, artifacts)
    if stored is None:
        writer.record_spec(study, spec.recorded(), provenance)
        writer.record_caps(study, spec.caps())
        return spec, False
    if comparable(stored) == spec.identity():
        before = (study.user_attrs.get(PROVENANCE_ATTR) or {}).get(INPUTS)
        if before is not None and (changes := identity_changes(before, provenance[INPUTS])):
            raise LossbenchError(f"the sweep {spec.name!r} was started with other plugins or data, which would mix "
                                 f"trials under both; changed: {'; '.join(changes)}: give another {setting('name')} "
                                 f"for a new sweep, or restore them to resume it")
        caps = stored_caps(study.user_attrs)
        spec, _ = in_force(spec, caps)
        writer.record_caps(study, spec.caps())
        return spec, all(caps.get(key) == getattr(spec, key) for key in CAPS)
    identity = spec.identity()
    diff = [k for k in identity if comparable(stored).get(k) != identity[k]]
    diff = [k for k in diff if k != "refused"] or diff  # refused arms follow from the rest: name the cause
    raise LossbenchError(f"a sweep named {spec.name!r} already exists in this storage with a different spec "
                         f"(differs in: {', '.join(diff)}); give another {setting('name')}, or the same settings to "
                         f"resume it (its epochs, seeds, max_epochs, time budget and trial timeout may change: "
                         f"`lossbench run {spec.name} --epochs N` grows it)")


def stored_artifacts(storage: Storage) -> str | None:
    """The checkpoints' folder a start of the stored sweep gave (``--artifacts``), or None."""
    if not storage.is_database and not storage.journal.is_file():
        return None
    found = stored_attrs(storage.name, storage.open(create=False))
    folder = found[0].get(ARTIFACTS_ATTR) if found else None
    return folder if isinstance(folder, str) else None


def caps_in_force(storage: Storage, spec: SweepSpec) -> tuple[SweepSpec, list[str]]:
    """``spec`` with the caps a stored sweep of its name has in force (``grow``), and the notes of caps given lower
    than stored; ``spec`` as it is for a new sweep."""
    if not storage.is_database and not storage.journal.is_file():
        return spec, []
    found = stored_attrs(storage.name, storage.open(create=False))
    return in_force(spec, stored_caps(found[0])) if found else (spec, [])
