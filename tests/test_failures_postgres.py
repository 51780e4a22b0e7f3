"""Failure cases on a real PostgreSQL server (see docs/failures.md): a password in every output and in storage,
and the server stopped mid-sweep, then restarted."""

from __future__ import annotations

import subprocess
import time

from postgres import needs_postgres, server_fixture
from test_failures import exits_as_documented, one_error_line

pytestmark = needs_postgres()

SECRET = "S3cr%40t%2Fpw"  # '@' and '/', percent-encoded as a URL needs them; the server trusts any password


server = server_fixture()


def sweep(url: str, name: str, *extra: str) -> list[str]:
    return ["run", "--name", name, "--storage", url, "--dataset", "digits", "--cell", "rnn", "--remedies", "none",
            "--loss", "ce", "--set", "hidden=8", "--seeds", "1", "--workers", "1", *extra]


def test_F11_a_password_never_appears_in_any_output_or_storage(cli, postgres_url, tmp_path):
    import sqlalchemy

    from lossbench.results import read_sweep

    host = postgres_url.split("@", 1)[1]
    url = f"postgresql://postgres:{SECRET}@{host}?password={SECRET}"
    done = cli(*sweep(url, "secret", "--epochs", "1", "--trials", "1"), cwd=tmp_path)
    exits_as_documented(done, "F11")
    as_json = cli(*sweep(url, "secret", "--epochs", "1", "--trials", "1", "--json"), cwd=tmp_path)  # a resume
    assert as_json.returncode == 0, as_json.stderr
    outputs = {"stdout": done.stdout, "stderr": done.stderr, "--json": as_json.stdout + as_json.stderr}
    folder = tmp_path / "results" / "secret"
    for path in [folder / "report.md", folder / "report.html", folder / "results.json", folder / "trials.csv"]:
        outputs[path.name] = path.read_text()
    outputs["provenance"] = str(read_sweep("secret", postgres_url).provenance)
    with sqlalchemy.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg2://")).connect() as db:
        outputs["database"] = " ".join(str(row) for table in ("study_user_attributes", "trial_user_attributes",
                                                               "study_system_attributes", "trial_system_attributes")
                                       for row in db.execute(sqlalchemy.text(f"SELECT * FROM {table}")))
    assert "***" in outputs["stderr"] and "postgres:***@" in outputs["provenance"]
    for where, text in outputs.items():
        assert "S3cr" not in text, where
    # a raw '@' in the password (not a valid URL for the driver): still one message, nothing of the password
    raw = cli(*sweep(f"postgresql://postgres:S3cr@t/pw@127.0.0.1:1/postgres", "raw", "--trials", "1"), cwd=tmp_path)
    assert raw.returncode == 2 and "S3cr" not in raw.stderr and "Traceback" not in raw.stderr, raw.stderr


def test_F17_database_stopped_mid_sweep_then_resumed(cli, cli_process, server, tmp_path):
    from lossbench.results import read_sweep

    # a digits epoch takes ~0.02 s: 200 epochs a run keep the sweep going for seconds after the first trial ends
    args = sweep(server.url, "outage", "--quiet", "--epochs", "200", "--patience", "0", "--trials", "4",
                 "--heartbeat", "1")
    process = cli_process(*args, cwd=tmp_path, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while time.time() < deadline:
        time.sleep(0.3)
        try:
            if any(t.state == "COMPLETE" for arm in read_sweep("outage", server.url).arms for t in arm.tuning):
                break
        except Exception:  # the sweep's studies do not exist yet
            continue
    server.stop("fast")
    _, err = process.communicate(timeout=300)
    done = subprocess.CompletedProcess(args, process.returncode, "", err)
    exits_as_documented(done, "F17")
    assert "lost the sweep's storage" in one_error_line(done) and "run the same command again" in err
    server.start()
    cli(*args, cwd=tmp_path, check=True)  # resumes: the trial cut off is failed by its heartbeat and retried
    arm = read_sweep("outage", server.url).arms[0]
    assert len(arm.finished_tuning) == 4 and len(arm.completed_final) == 1
    assert not [t for t in [*arm.tuning, *arm.final] if t.state in ("RUNNING", "WAITING")]
