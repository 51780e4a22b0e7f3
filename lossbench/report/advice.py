"""The command that would decide what a sweep left open, on this same sweep (``lossbench run NAME`` grows a stored
sweep: docs/growth.md). Written from the verdicts and the stored spec only, so a report rebuilt anywhere gives it.

- A race (``seeds = "auto"``) raises caps and adds seeds itself, up to its ``max_epochs`` and its most seeds: a
  pair only epochs past ``max_epochs`` would decide asks for ``--max-epochs``, one more seeds than its most (and no
  more than ``SEEDS_WORTH``) for ``--seeds``; a race its time budget stopped goes on with the same command.
- Otherwise: ``--epochs`` to the most epochs an open pair needs, ``--seeds`` to the most seeds (up to
  ``SEEDS_WORTH``: a pair needing more is within the noise, and no command is offered for it).
- Where this start had a time budget: ``--time-budget`` of the minutes the open pairs' runs are estimated to take
  (``Verdict.minutes``, measured here), plus the time budget again where arms are still unfinished.
"""

from __future__ import annotations

import math
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from lossbench.decisions import SEEDS_WORTH
from lossbench.results.masking import MASK
from lossbench.results.storage import JOURNAL

if TYPE_CHECKING:
    from lossbench.decisions import Verdict
    from lossbench.results import SpecRecord

DEFAULT_OUT = "results"  # ``lossbench run --out``'s default


def command(name: str, spec: SpecRecord, decisions: list[Verdict], unfinished: list[str], storage: str,
            race_over: bool = True) -> str | None:
    """``lossbench run NAME ...`` that would decide the open comparisons of arms, finish the unfinished arms, or
    go on with a race that was stopped (``race_over`` false); None where nothing is left that a larger cap or
    time budget could decide."""
    open_ = [d for d in decisions if d.kind == "open" and d.scope == "arms"]
    epochs = [d for d in open_ if d.needs_epochs is not None]
    seeds = [d for d in open_ if d.needs_epochs is None and d.needs_seeds is not None
             and d.needs_seeds <= SEEDS_WORTH]
    flags = []
    most_epochs = max((d.needs_epochs for d in epochs), default=0)
    most_seeds = max((d.needs_seeds for d in seeds), default=0)
    if spec.race:
        ceiling = max(spec.max_epochs or 0, spec.epochs or 0)
        if most_epochs > ceiling:
            flags.append(f"--max-epochs {most_epochs}")
    elif most_epochs > (spec.epochs or 0):
        flags.append(f"--epochs {most_epochs}")
    if most_seeds > (spec.seeds or 0):
        flags.append(f"--seeds {most_seeds}")
    if not flags and not unfinished and (race_over or not spec.race):
        return None
    if spec.time_budget is not None:
        minutes = sum(d.minutes or 0.0 for d in [*epochs, *seeds]) + (spec.time_budget / 60 if unfinished else 0)
        flags.append(f"--time-budget {max(1, math.ceil(minutes))}m")
    # the URL as shown (its password masked: no option or variable of the CLI takes it apart), with that said
    masked = "://" in storage and MASK in storage
    return " ".join(["lossbench run", name, *_where(name, storage), *flags,
                     *([f"# with the password put back in place of {MASK}"] if masked else [])])


def _where(name: str, storage: str) -> list[str]:
    """The storage option that names the sweep's storage: none for the journal under the default ``--out``; quoted
    for a shell where it must be (a URL's ``?`` and ``&``). The checkpoints' folder needs none: a resume defaults to
    the ``--artifacts`` its sweep was started with (``sweep.runner.stored_artifacts``)."""
    if "://" in storage:
        return ["--storage", shlex.quote(storage)]
    path = Path(storage)
    if path.name == JOURNAL and path.parent.name == name:
        out = path.parent.parent
        return [] if out == Path(DEFAULT_OUT) else ["--out", shlex.quote(str(out))]
    return []
