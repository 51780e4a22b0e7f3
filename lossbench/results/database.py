"""A sweep in a database (``--storage URL``): opening Optuna's storage on it, and saying what a failed database call
means from what the database says (a permission refused, the database or the sweep's tables gone, the server
unreachable), never from the exception's type alone."""

from __future__ import annotations

import os
from typing import Any

from lossbench.errors import LossbenchError, StorageLostError
from lossbench.results.masking import mask_secrets, mask_url

HEARTBEAT_ENV = "LOSSBENCH_HEARTBEAT_INTERVAL"
DEFAULT_HEARTBEAT = 30
INSUFFICIENT_PRIVILEGE = "42501"  # SQLSTATE
GRANT = ("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ...; GRANT USAGE ON ALL SEQUENCES "
         "IN SCHEMA public TO ...")


def driver_url(url: str) -> str:
    """``postgresql://`` with the driver that is installed: SQLAlchemy 2.1 defaults to psycopg 3, we ship psycopg2."""
    import importlib.util

    if url.startswith(("postgresql://", "postgres://")) and importlib.util.find_spec("psycopg") is None:
        return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def quiet_optuna() -> None:
    """Heartbeats and the stale-trial callback are 'experimental' in Optuna 5 and warn on every use; we use them
    deliberately, and ask/tell with heartbeats (instead of Study.optimize) is how a phase's quota stays exact."""
    import warnings

    import optuna

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used with Study.optimize")


def open_database(url: str, heartbeat: int | None) -> Any:
    import random
    import time

    import optuna
    import sqlalchemy.exc
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    quiet_optuna()
    interval = heartbeat or int(os.environ.get(HEARTBEAT_ENV, DEFAULT_HEARTBEAT))
    for attempt in range(8):
        try:
            return optuna.storages.RDBStorage(
                driver_url(url), heartbeat_interval=interval, grace_period=2 * interval,
                heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=3),
                engine_kwargs={"pool_pre_ping": True})
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError) as error:
            if denied(error):  # a role without the right to create Optuna's tables: no retry will change that
                raise LossbenchError(f"the database {mask_url(url)} refused to create the sweep's tables: "
                                     f"{mask_secrets(first_line(error.orig), url)}; grant the role CREATE on the "
                                     f"schema (GRANT CREATE ON SCHEMA public TO ...), or create the tables once as "
                                     f"a role that may") from None
            if attempt == 7:  # several machines creating the schema at once: the losers retry
                raise
            time.sleep(0.3 + random.random())
        except sqlalchemy.exc.OperationalError as error:
            raise LossbenchError(f"cannot reach the database {mask_url(url)}: "
                                 + mask_secrets(first_line(error.orig), url)) from None
        except (ValueError, ImportError, sqlalchemy.exc.ArgumentError) as error:  # a malformed URL, no driver
            raise LossbenchError(f"--storage {mask_url(url)}: {type(error).__name__}: "
                                 f"{mask_secrets(first_line(error), url)}") from None
    raise AssertionError("unreachable")


def check_can_write(optuna_storage: Any, url: str) -> None:
    """A start writes: on PostgreSQL, ask which of Optuna's tables the role may not write (a role that may only
    read), and refuse before anything runs, naming the privileges; other databases say so on the first write."""
    import sqlalchemy
    from optuna.storages._rdb import models

    engine = getattr(optuna_storage, "engine", None)
    if engine is None or engine.dialect.name != "postgresql":
        return
    with engine.connect() as db:
        lacking = [f"{privilege} on {table}" for table, privilege in db.execute(sqlalchemy.text(
            "SELECT t, p FROM unnest(CAST(:tables AS text[])) AS t CROSS JOIN unnest(CAST(:privileges AS text[])) AS p "
            "WHERE to_regclass(t) IS NOT NULL AND NOT has_table_privilege(t, p) ORDER BY t, p"),
            {"tables": sorted(models.BaseModel.metadata.tables), "privileges": ["SELECT", "INSERT", "UPDATE", "DELETE"]})]
    if lacking:
        shown = ", ".join(lacking[:4]) + (f" and {len(lacking) - 4} more" if len(lacking) > 4 else "")
        raise LossbenchError(f"the database {mask_url(url)} does not let this role write the sweep: it lacks "
                             f"{shown}; grant them ({GRANT}), or give --storage a role that may (`lossbench report` "
                             f"reads a sweep with this one); nothing ran")


def denied(error: Any) -> bool:
    """A permission error of the database (SQLSTATE 42501, insufficient privilege), not a race on the schema."""
    orig = getattr(error, "orig", error)
    return getattr(orig, "pgcode", None) == INSUFFICIENT_PRIVILEGE or "permission denied" in str(orig).lower()


def first_line(error: Any) -> str:
    return (str(error).strip().splitlines() or [""])[0]


def driver_error(error: BaseException | None) -> BaseException | None:
    """The database's own error behind ``error`` (Optuna wraps SQLAlchemy's, which wraps the driver's; SQLAlchemy's
    own where no driver call failed), or None when no database call failed."""
    import sqlalchemy.exc

    seen, found = set(), None
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, sqlalchemy.exc.DBAPIError) and error.orig is not None:
            return error.orig
        if type(error).__module__.split(".")[0] in ("psycopg2", "psycopg", "pymysql", "sqlite3"):
            return error
        if found is None and isinstance(error, sqlalchemy.exc.SQLAlchemyError):
            found = error
        error = error.__cause__ or error.__context__
    return found


def database_failure(error: BaseException, url: str, sweep_study: str) -> LossbenchError | None:
    """``error`` as one line saying what happened to the database, found by asking it: a permission the role lacks
    (a configuration error, exit 2), the database dropped or the sweep's studies deleted (its trials are lost),
    or the server unreachable (what it stored is kept there). None when no database call failed."""
    cause = driver_error(error)
    if cause is None:
        return None
    said = mask_secrets(first_line(cause), url)[:300]
    shown = mask_url(url)
    if denied(cause):
        return LossbenchError(f"the database {shown} refused what the sweep must do: {said}; a sweep reads and writes "
                              f"Optuna's tables: grant the role that ({GRANT}), or give --storage a role that may "
                              f"(`lossbench report` reads a sweep with this one); what is stored is kept")
    state = _probe(url, sweep_study)
    if state == "gone":
        return StorageLostError(f"the sweep's database {shown} no longer exists (dropped while the sweep ran): its "
                                f"trials are lost; the same command starts the sweep over in a database created "
                                f"again under that name")
    if state == "emptied":
        return StorageLostError(f"the sweep's studies were deleted from the database {shown} while it ran ({said}): "
                                f"its trials are lost; run the same command again to start the sweep over")
    if state == "unreachable":
        return StorageLostError(f"lost the sweep's storage {shown}: {said}; the server does not answer: once it is "
                                f"back, run the same command again to resume from what it kept")
    return StorageLostError(f"lost the sweep's storage {shown} for a moment: {said}; the database still holds the "
                            f"sweep: run the same command again to resume")


def _probe(url: str, sweep_study: str) -> str:
    """What the database holds now: "kept" (the sweep's studies are there), "emptied" (the database is, they are
    not), "gone" (the server answers, the database does not exist) or "unreachable"."""
    import sqlalchemy

    def engine(target: str) -> Any:
        return sqlalchemy.create_engine(driver_url(target), connect_args=_timeout(target),
                                        poolclass=sqlalchemy.pool.NullPool)

    try:
        with engine(url).connect() as db:
            found = db.execute(sqlalchemy.text("SELECT 1 FROM studies WHERE study_name = :name"),
                               {"name": sweep_study}).first()
            return "kept" if found else "emptied"
    except sqlalchemy.exc.ProgrammingError:  # no tables any more
        return "emptied"
    except Exception:  # noqa: BLE001 -- unreachable, or no such database: ask the server's own database
        pass
    parsed = sqlalchemy.engine.make_url(url)
    if not parsed.get_backend_name().startswith("postgres") or not parsed.database:
        return "unreachable"
    try:
        with engine(parsed.set(database="postgres").render_as_string(hide_password=False)).connect() as db:
            exists = db.execute(sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                {"name": parsed.database}).first()
    except Exception:  # noqa: BLE001
        return "unreachable"
    return "unreachable" if exists else "gone"


def _timeout(url: str) -> dict[str, Any]:
    return {"connect_timeout": 5} if url.startswith(("postgres", "mysql")) else {}
