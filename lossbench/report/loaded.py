"""A stored sweep, read back for Python and notebooks: ``load_sweep`` (as Optuna's ``load_study``) returns a
``Sweep``, its stored arms and trials typed, its report in memory (``answer``, ``decisions``, ``leaderboard``:
computed once, on first use, as ``lossbench report`` computes them), its data as DataFrames
(``report.frames``), and a notebook display (the answer and the leaderboard). Nothing here writes or trains."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lossbench.errors import LossbenchError

if TYPE_CHECKING:
    import pandas

    from lossbench.decisions import Verdict
    from lossbench.report.builder import SweepReport
    from lossbench.report.summary import ArmSummary
    from lossbench.results import ArmData, SpecRecord, SweepData


class Sweep:
    """A stored sweep: ``name``, ``location`` (its storage, any password masked), ``folder`` (where its report's
    files go), the stored ``spec``, ``arms`` (each arm's tuning and final trials), ``provenance``; its
    ``report`` (``lossbench.report.build``'s), and from it ``answer``, ``decisions`` and ``leaderboard``."""

    def __init__(self, data: SweepData, *, location: str, folder: Path, optuna_storage: Any = None,
                 baseline: str | None = None, test: str = "t"):
        self.data, self.location, self.folder = data, location, Path(folder)
        self.baseline, self.test = baseline, test
        self._optuna_storage = optuna_storage
        self.importances_record: dict[str, Any] | None = None  # importances computed, not yet remembered

    @property
    def name(self) -> str:
        return self.data.name

    @property
    def spec(self) -> SpecRecord:
        return self.data.spec_record

    @property
    def arms(self) -> list[ArmData]:
        return self.data.arms

    @property
    def provenance(self) -> dict[str, Any]:
        return self.data.provenance

    @cached_property
    def report(self) -> SweepReport:
        """Every number, verdict and sentence of the sweep's report (a ``SweepReport``), built once."""
        return self.report_with(self.baseline, self.test)

    def report_with(self, baseline: str | None, test: str) -> SweepReport:
        """The report against another baseline, or with another paired test (``lossbench report``'s options)."""
        if (baseline, test) == (self.baseline, self.test) and "report" in self.__dict__:
            return self.__dict__["report"]
        from lossbench.report.builder import assemble

        return assemble(self.data, self.location, baseline=baseline, test=test, importances=self._importances())

    @property
    def answer(self) -> list[str]:
        """The answer first: a few sentences a reader can use without the rest of the report."""
        return self.report.answer

    @property
    def decisions(self) -> list[Verdict]:
        """Every verdict of the family (``lossbench.decisions.Verdict``): each pair of arms, each factor's levels."""
        return self.report.decisions

    @property
    def leaderboard(self) -> list[ArmSummary]:
        """Each arm summarised, in the leaderboard's order (tier, then mean test accuracy)."""
        from lossbench.report.tables import ranked

        return ranked(self.report)

    def trials_dataframe(self) -> pandas.DataFrame:
        """One row per trial: arm, phase, slot, seed, Optuna's number, state and value, ``params_*``, its test
        metrics, epochs and time."""
        from lossbench.report import frames

        return frames.trials(self.data)

    def curves_dataframe(self) -> pandas.DataFrame:
        """One row per run and epoch: train loss, validation accuracy and NLL, seconds."""
        from lossbench.report import frames

        return frames.curves(self.data)

    def leaderboard_dataframe(self) -> pandas.DataFrame:
        """One row per arm, in the leaderboard's order: tier, mean test accuracy, its spread and interval, ..."""
        from lossbench.report import frames

        return frames.leaderboard(self.report)

    def decisions_dataframe(self) -> pandas.DataFrame:
        """One row per verdict: scope, factor, arm, other, kind, difference, interval, p, what would decide it."""
        from lossbench.report import frames

        return frames.decisions(self.decisions)

    def _repr_html_(self) -> str:
        """The notebook's display: the answer, then the leaderboard."""
        import html

        board = self.leaderboard_dataframe()
        shown = [c for c in ("tier", "arm", "test_accuracy", "test_accuracy_std", "ci_low", "ci_high", "seeds",
                             "still_improving", "test_ece") if c in board.columns]
        answer = "".join(f"<p>{html.escape(sentence)}</p>" for sentence in self.answer)
        return (f"<div><h4>Sweep {html.escape(self.name)} ({html.escape(self.location)})</h4>{answer}"
                f"{board[shown].to_html(index=False, float_format=lambda v: f'{v:.4f}', na_rep='')}</div>")

    def __repr__(self) -> str:
        return f"<lossbench.Sweep {self.name!r}: {len(self.arms)} arms, in {self.location}>"

    def _importances(self) -> dict[str, dict[str, float]]:
        if self._optuna_storage is None:
            return {}
        from lossbench.report.importance import param_importances, recalled

        try:  # those a report written into this sweep's folder computed from the same trials are read back
            known = recalled(self.folder)
            found, record = param_importances(self.name, self._optuna_storage, [a.key for a in self.arms], known)
        except Exception:  # importances are an extra: a failing evaluator never costs the whole report
            return {}
        self.importances_record = None if record == known else record  # for ``report.write`` to remember
        return found


def load_sweep(name: str, *, out: str | Path = "results", storage: Any = None, baseline: str | None = None,
               test: str = "t") -> Sweep:
    """The stored sweep ``name``: from its journal OUT/NAME/sweep.journal, or from ``storage`` (a database URL, a
    journal file's path, a ``lossbench.results.Storage`` or an Optuna storage). ``baseline`` and ``test`` as
    ``lossbench report`` takes them. An unknown sweep or unreadable storage raises ``LossbenchError``."""
    from lossbench.results import Storage, mask_secrets, mask_url, open_storage
    from lossbench.results import read_sweep
    from lossbench.results.storage import NoSweepError

    if isinstance(storage, Path):
        storage = str(storage)
    if storage is None or (isinstance(storage, str) and "://" in storage):
        storage = Storage(name=str(name), out=str(out), url=storage)
    url = storage.url if isinstance(storage, Storage) else storage if isinstance(storage, str) else None
    shown = (storage.describe() if isinstance(storage, Storage) else
             mask_url(storage) if isinstance(storage, str) else type(storage).__name__)
    folder = (storage.folder if isinstance(storage, Storage) else
              Path(storage).absolute().parent if isinstance(storage, str) else Path(out) / str(name))

    def hide(text: str) -> str:  # the password wherever a driver's message quotes it, not only inside URLs
        return mask_secrets(text, url if url and "://" in url else None)

    try:
        optuna_storage = open_storage(storage)
    except LossbenchError:  # no journal there, a damaged one: said where
        raise
    except Exception as error:
        raise LossbenchError(f"cannot open storage {shown}: {hide(_first_line(error))}") from None
    try:
        data = read_sweep(name, optuna_storage)
    except NoSweepError:
        raise LossbenchError(f"no sweep named {name!r} in {shown}") from None
    except LossbenchError:  # a damaged journal, a stored form this version cannot read: said where
        raise
    except Exception as error:
        raise LossbenchError(f"cannot read sweep {name!r} from {shown}: {hide(_first_line(error))}") from None
    return Sweep(data, location=shown, folder=folder, optuna_storage=optuna_storage, baseline=baseline, test=test)


def _first_line(error: Exception) -> str:
    """A library's error by its first line only (a database driver's goes on with the SQL and a link)."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {' '.join(lines[0].split())}" if lines else type(error).__name__
