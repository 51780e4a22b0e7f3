"""A throwaway PostgreSQL server for tests: initdb and pg_ctl as the postgres user, 127.0.0.1 only, trust auth."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def find_binaries() -> tuple[str, str] | None:
    """(initdb, pg_ctl) from Debian's postgresql package, or None when it is not installed."""
    found: dict[str, str] = {}
    try:
        listed = subprocess.run(["dpkg", "-L", "postgresql-15"], capture_output=True, text=True).stdout.splitlines()
    except OSError:
        listed = []
    candidates = [p for p in listed if p.endswith(("bin/initdb", "bin/pg_ctl"))]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    for path in candidates:
        name = Path(path).name
        if name not in found and os.access(path, os.X_OK):
            found[name] = path
    if "initdb" in found and "pg_ctl" in found:
        return found["initdb"], found["pg_ctl"]
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(*args: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return list(args)


class PostgresServer:
    """A throwaway server in a temporary folder that can be stopped and started again (same port, same data)."""

    def __init__(self) -> None:
        binaries = find_binaries()
        if binaries is None:
            raise RuntimeError("PostgreSQL binaries not found")
        initdb, self.pg_ctl = binaries
        self.root = Path(tempfile.mkdtemp(prefix="lossbench-pg-"))
        self.data = self.root / "data"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        subprocess.run(_as_postgres(initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"),
                       check=True, capture_output=True)

    def start(self) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
                   f"-c fsync=off")
        subprocess.run(_as_postgres(self.pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                                    "-w", "-t", "60", "start"), check=True, capture_output=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.2)

    def stop(self, mode: str = "immediate") -> None:
        subprocess.run(_as_postgres(self.pg_ctl, "-D", str(self.data), "-m", mode, "stop"), capture_output=True)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def new_database(self) -> str:
        """A fresh, empty database on this server (what a test gets of a server shared by the session); its URL."""
        import psycopg2

        name = f"test_{next(_databases)}"
        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        try:
            connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {name}")
        finally:
            connection.close()
        return self.url.rsplit("/", 1)[0] + f"/{name}"


_databases = itertools.count()


def needs_postgres():
    """The marks of a test module that runs a real server: slow, and skipped (with why) without the binaries."""
    import pytest

    return [pytest.mark.slow, pytest.mark.skipif(find_binaries() is None,
                                                reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed")]


def _server():
    server = PostgresServer()
    server.start()
    yield server
    server.remove()


def server_fixture():
    """A fresh server per test: ``server = server_fixture()`` in a test module, for a test that stops the server or
    changes what is server-wide (roles); any other takes the ``postgres_url`` fixture (tests/conftest.py): a fresh
    database on one server per test process."""
    import pytest

    return pytest.fixture(name="server")(_server)
