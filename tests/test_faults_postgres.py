"""Storage faults on a real PostgreSQL server (docs/failures.md F34): a role without CREATE on schema public."""

from __future__ import annotations

from postgres import needs_postgres, server_fixture
from test_failures import exits_as_documented, one_error_line

pytestmark = needs_postgres()


server = server_fixture()


def test_F34_a_role_without_create_on_schema_public(cli, server, tmp_path):
    import sqlalchemy

    with sqlalchemy.create_engine(server.url.replace("postgresql://", "postgresql+psycopg2://"),
                                  isolation_level="AUTOCOMMIT").connect() as db:
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
