"""Embedded PostgreSQL and Redis: created on first use, reused, shared, stopped by the last user."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis

from tests.conftest import REPO_ROOT

USER_SCRIPT = """
import json, sys, time
import psycopg, redis
from icare_tom import embedded

db = embedded.start_postgres()
redis_url = embedded.start_redis()
with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"],
                     autocommit=True) as connection:
    # Concurrent CREATE TABLE IF NOT EXISTS can collide in the catalog: take turns.
    connection.execute("SELECT pg_advisory_lock(7)")
    connection.execute("CREATE TABLE IF NOT EXISTS marker (n int)")
    connection.execute("INSERT INTO marker VALUES (1)")
    rows = connection.execute("SELECT count(*) FROM marker").fetchone()[0]
    started = str(connection.execute("SELECT pg_postmaster_start_time()").fetchone()[0])
    connection.execute("SELECT pg_advisory_unlock(7)")
client = redis.Redis(unix_socket_path=redis_url.removeprefix("unix://"))
client.incr("uses")
print(json.dumps({"rows": rows, "redis": redis_url, "redis_pid": client.info()["process_id"],
                  "postgres_started": started}))
sys.stdout.flush()
time.sleep(float(sys.argv[1]))
"""


def _start_user(var_dir: Path, hold_s: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", USER_SCRIPT, str(hold_s)],
        cwd=REPO_ROOT,
        env={**os.environ, "ICARE_VAR_DIR": str(var_dir)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen) -> dict:
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    return json.loads(stdout.strip().splitlines()[-1])


def _postgres_running(var_dir: Path) -> bool:
    pid_file = var_dir / "postgres" / "postmaster.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().split()[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _redis_running(socket_url: str) -> bool:
    try:
        return redis.Redis(unix_socket_path=socket_url.removeprefix("unix://")).ping()
    except redis.ConnectionError:
        return False


@pytest.fixture
def var_dir():
    # Not under pytest's tmp dir: pytest resets that tree to mode 0700 whenever a session
    # starts, which would lock out the unprivileged user the embedded PostgreSQL runs as.
    path = Path(tempfile.mkdtemp(prefix="embedded-", dir=REPO_ROOT / "var"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_it_creates_reuses_and_stops_the_servers(var_dir):
    first = _finish(_start_user(var_dir, hold_s=0))
    assert first["rows"] == 1
    assert not _postgres_running(var_dir), "the last user should stop PostgreSQL"
    assert not _redis_running(first["redis"]), "the last user should stop Redis"

    second = _finish(_start_user(var_dir, hold_s=0))
    assert second["rows"] == 2, "data written by the first run must be reused"
    assert not _postgres_running(var_dir)


def test_it_shares_one_server_between_commands_started_at_once(var_dir):
    users = [_start_user(var_dir, hold_s=3) for _ in range(2)]
    results = [_finish(user) for user in users]
    # Each saw its own row; the later count also sees the other's (both may count last).
    assert all(r["rows"] in (1, 2) for r in results) and max(r["rows"] for r in results) == 2
    assert results[0]["postgres_started"] == results[1]["postgres_started"]
    assert results[0]["redis_pid"] == results[1]["redis_pid"]
    assert not _postgres_running(var_dir)
    assert not _redis_running(results[0]["redis"])


def test_it_outlives_a_killed_user_and_still_stops_with_the_last(var_dir):
    killed = _start_user(var_dir, hold_s=60)
    assert killed.stdout.readline()  # it is connected
    killed.kill()
    killed.wait()
    survivor = _start_user(var_dir, hold_s=0)
    assert _finish(survivor)["rows"] == 2
    deadline = time.monotonic() + 10
    while _postgres_running(var_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _postgres_running(var_dir), "a SIGKILLed user must not keep the server alive"
