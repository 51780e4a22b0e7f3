"""``lossbench run NAME``: a stored sweep resumed (or grown) from its stored spec, by its name.

Where the positional argument names no file, and a sweep of that name is stored (its journal OUT/NAME/sweep.journal,
or in ``--storage``), the run starts from that sweep's stored spec with its caps in force; the options given go on
top (a raised ``--epochs``, ``--seeds`` or ``--max-epochs`` grows it, a ``--time-budget`` is this start's, and an
option that changes what decides the results is refused as for any start under that name). A file of that name
wins over a stored sweep; a stored sweep with ``--preset`` is refused (which one is meant?).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from lossbench.errors import LossbenchError, setting
from lossbench.results.halving import PATIENCE
from lossbench.results.reader import stored_attrs
from lossbench.results.schema import CAPS_ATTR, SPEC_ATTR, name_problem
from lossbench.results.storage import JOURNAL, Storage
from lossbench.sweep.grow import stored_caps


def stored_fields(name: str, out: str | Path = "results", url: str | None = None) -> dict[str, Any] | None:
    """The spec fields of the stored sweep ``name`` (its identity and the caps in force; ``time_budget`` is left to
    each start), or None where none is stored."""
    if name_problem(name) is not None:
        return None
    store = Storage(name=name, out=str(out), url=url)
    if url is None and not store.journal.is_file():
        return None
    found = stored_attrs(name, store.open(create=False))
    if found is None or not isinstance(found[0].get(SPEC_ATTR), dict):
        return None
    attrs = found[0]
    fields = {**attrs[SPEC_ATTR], **{k: v for k, v in stored_caps(attrs).items() if k != "time_budget"}}
    if CAPS_ATTR not in attrs:
        fields.pop("time_budget", None)
    fields.pop("refused", None)  # found again by the checks, from the plugins installed now
    fields.setdefault("tuning", PATIENCE)  # a sweep stored before tuning rules existed tuned so
    return fields


def not_found(name: str, out: str | Path = "results", url: str | None = None) -> LossbenchError:
    """The one message for a positional argument that is neither a spec file nor a stored sweep (a typo)."""
    names = stored_names(out, url)
    close = difflib.get_close_matches(name, names, n=1)
    where = f"in {setting('storage')}" if url else f"under {setting('out')} {out}"
    known = (f"; did you mean {close[0]!r}?" if close else f" (stored there: {', '.join(names)})" if names else
             " (none is stored there)")
    return LossbenchError(f"no spec file {name!r} and no sweep named {name!r} {where}{known}: give a spec file "
                          f"(.toml), the name of a stored sweep to resume or grow it, or {setting('preset')}")


def stored_names(out: str | Path = "results", url: str | None = None) -> list[str]:
    """The sweeps stored under ``out`` (each folder with a journal) or in the database ``url``."""
    if url is None:
        folder = Path(out)
        return sorted(p.parent.name for p in folder.glob(f"*/{JOURNAL}")) if folder.is_dir() else []
    try:
        import optuna

        summaries = optuna.study.get_all_study_summaries(Storage(name="_", url=url).open(create=False),
                                                         include_best_trial=False)
    except Exception:  # an unreachable database: the message says less
        return []
    return sorted(s.study_name.removesuffix(":spec") for s in summaries if s.study_name.endswith(":spec"))
