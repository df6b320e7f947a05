"""A private PostgreSQL 15 server for the test session: initdb into a temporary directory, on a
free port, trust authentication on 127.0.0.1 only, stopped when the session ends.

As root the server binaries run as the `postgres` account (initdb and pg_ctl refuse root); Python
never runs as that account. Every test gets a fresh database copied from a migrated template.
"""

import itertools
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path

import psycopg

BIN_DIRS = [Path("/usr/lib/postgresql/15/bin")]
SUPERUSER = "postgres"
TEMPLATE = "crm_template"


class ServerMissing(RuntimeError):
    pass


def server_bin(name: str) -> str:
    for folder in BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise ServerMissing(f"PostgreSQL 15's {name} is not installed (apt-get install postgresql)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, root: Path):
        self.root = root
        self.port = _free_port()
        self.data, self.sockets = root / "data", root / "sock"
        self._run_as = SUPERUSER if os.geteuid() == 0 else None
        self._databases = itertools.count(1)

    def _run(self, *args: str) -> None:
        command = list(args)
        if self._run_as:
            command = ["runuser", "-u", self._run_as, "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def _own(self, path: Path) -> None:
        path.mkdir(mode=0o700)
        if self._run_as:
            account = pwd.getpwnam(self._run_as)
            os.chown(path, account.pw_uid, account.pw_gid)

    def start(self) -> "Server":
        self.root.chmod(0o755)  # the server's account reaches its folders through it
        self._own(self.data)
        self._own(self.sockets)
        self._run(server_bin("initdb"), "-D", str(self.data), "--auth=trust", "-U", SUPERUSER, "-E", "UTF8",
                  "--locale=C.UTF-8")
        self._run(server_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.data / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                  # No background ANALYZE: plans depend only on what the product does itself.
                  "-c autovacuum=off", "start")
        return self

    def stop(self) -> None:
        self._run(server_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str, user: str = SUPERUSER) -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True)

    def make_template(self) -> None:
        """The schema at head, once: every test's database is a copy of it."""
        from crm_tui import postgres_roles
        from crm_tui.db import open_database

        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        engine = open_database(self.url(TEMPLATE))
        with engine.begin() as conn:
            postgres_roles.setup(conn)
        engine.dispose()

    def fresh_database(self) -> str:
        name = f"test_{next(self._databases)}"
        with self.admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)
