"""Storage faults on a real PostgreSQL server (docs/failures.md F34, F58, F59): a role without CREATE on schema
public, the sweep's database (or its tables) dropped mid-sweep, a role that may read but not write."""

from __future__ import annotations

import subprocess
import time

import pytest

from postgres import needs_postgres, server_fixture
from test_failures import exits_as_documented, one_error_line

pytestmark = needs_postgres()


server = server_fixture()


def admin(url: str):
    import sqlalchemy

    return sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"),
                                    isolation_level="AUTOCOMMIT").connect()


def sweep(url: str, name: str, *extra: str) -> list[str]:
    return ["run", "--name", name, "--storage", url, "--dataset", "digits", "--cell", "rnn", "--remedies", "none",
            "--loss", "ce", "--set", "hidden=8", "--seeds", "1", "--workers", "1", "--quiet", *extra]


def rows(url: str) -> dict[str, list]:
    """Every row of Optuna's tables, as the owner reads them."""
    import sqlalchemy
    from optuna.storages._rdb import models

    with admin(url) as db:
        return {table: sorted(map(str, db.execute(sqlalchemy.text(f"SELECT * FROM {table}"))))
                for table in models.BaseModel.metadata.tables}


def test_F34_a_role_without_create_on_schema_public(cli, server, tmp_path):
    import sqlalchemy

    with admin(server.url) as db:
        db.execute(sqlalchemy.text("CREATE ROLE reader LOGIN PASSWORD 'Secr3tpw'"))
        db.execute(sqlalchemy.text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    url = server.url.replace("postgres@", "reader:Secr3tpw@")
    done = cli("run", "--name", "denied", "--storage", url, "--dataset", "digits", "--cell", "rnn", "--remedies",
               "none", "--set", "hidden=8", "--epochs", "1", "--seeds", "1", "--trials", "1", "--workers", "1",
               cwd=tmp_path)
    exits_as_documented(done, "F34")
    line = one_error_line(done)
    assert "refused to create the sweep's tables" in line and "permission denied" in line, line
    assert "GRANT CREATE ON SCHEMA public" in line and "Secr3tpw" not in done.stderr
    assert "SELECT" not in line and "CREATE TABLE" not in line  # the driver's message, not the SQL it ran


@pytest.mark.parametrize("fault", ["database dropped", "tables dropped"])
def test_F58_the_database_dropped_mid_sweep(cli_process, server, tmp_path, fault):
    import sqlalchemy

    from lossbench.results import read_sweep

    with admin(server.url) as db:
        db.execute(sqlalchemy.text("CREATE DATABASE sweeps"))
    url = server.url.rsplit("/", 1)[0] + "/sweeps"
    # a digits epoch takes ~0.02 s: 200 epochs a run keep the sweep going for seconds after the first trial ends
    process = cli_process(*sweep(url, "dropped", "--epochs", "200", "--patience", "0", "--trials", "4",
                                 "--heartbeat", "1"), cwd=tmp_path, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while time.time() < deadline:
        time.sleep(0.3)
        try:
            if any(t.state == "COMPLETE" for arm in read_sweep("dropped", url).arms for t in arm.tuning):
                break
        except Exception:  # the sweep's studies do not exist yet
            continue
    if fault == "database dropped":
        with admin(server.url) as db:
            db.execute(sqlalchemy.text("DROP DATABASE sweeps WITH (FORCE)"))
    else:
        with admin(url) as db:
            db.execute(sqlalchemy.text("DROP SCHEMA public CASCADE"))
    _, err = process.communicate(timeout=300)
    done = subprocess.CompletedProcess([], process.returncode, "", err)
    exits_as_documented(done, "F58")
    line = one_error_line(done)
    assert "its trials are lost" in line and "kept" not in line and "resume" not in line, line
    assert ("no longer exists (dropped while the sweep ran)" if fault == "database dropped" else
            "the sweep's studies were deleted from the database") in line, line


def test_F59_a_role_that_may_only_read(cli, server, tmp_path):
    import sqlalchemy

    cli(*sweep(server.url, "finished", "--epochs", "1", "--trials", "1"), cwd=tmp_path, check=True)
    with admin(server.url) as db:
        db.execute(sqlalchemy.text("CREATE ROLE reader LOGIN PASSWORD 'Secr3tpw'"))
        db.execute(sqlalchemy.text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader"))
    stored = rows(server.url)
    reader = server.url.replace("postgres@", "reader:Secr3tpw@")
    for name in ("finished", "new"):  # a finished sweep's start writes nothing, but a start is for writing
        done = cli(*sweep(reader, name, "--epochs", "1", "--trials", "1"), cwd=tmp_path)
        exits_as_documented(done, "F59")
        line = one_error_line(done)
        assert "does not let this role write the sweep: it lacks DELETE on studies, INSERT on studies" in line, line
        assert "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES" in line and "run the same command" not in line
        assert "Secr3tpw" not in done.stderr and "reader:***@" in line
    assert rows(server.url) == stored  # nothing written
    report = cli("report", "finished", "--storage", reader, "--format", "json", cwd=tmp_path)
    assert report.returncode == 0, report.stderr  # reading is what this role may do
    # tables granted, but not the sequences that number new rows: refused at the first write, named the same way
    with admin(server.url) as db:
        db.execute(sqlalchemy.text("GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO reader"))
    done = cli(*sweep(reader, "new", "--epochs", "1", "--trials", "1"), cwd=tmp_path)
    exits_as_documented(done, "F59")
    line = one_error_line(done)
    assert "refused what the sweep must do: permission denied for sequence" in line and "GRANT USAGE" in line, line
    assert "run the same command" not in line and "Secr3tpw" not in done.stderr
