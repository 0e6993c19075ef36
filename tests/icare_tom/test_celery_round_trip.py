"""A real Celery worker process, on the real Redis broker, runs our task."""

import os
import subprocess
import sys
import time

import pytest

from icare_tom import heartbeat
from icare_tom.tasks import record_worker_heartbeat
from tests.conftest import REPO_ROOT


@pytest.fixture
def celery_worker_process(settings):
    environ = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "icare_tom", "worker",
            "--pool", "solo", "--loglevel", "INFO", "--hostname", f"test-worker-{os.getpid()}@%h",
        ],
        cwd=REPO_ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    yield process
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def test_it_runs_a_task_in_a_real_worker(celery_worker_process, settings):
    # The worker stores the heartbeat under the production key prefix; read it the same way.
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": "icare"}}
    started = time.time()
    result = record_worker_heartbeat.apply_async()
    stamped_at = result.get(timeout=90)
    assert stamped_at >= started
    beat = heartbeat.last_worker_heartbeat()
    assert beat["at"] == pytest.approx(stamped_at)
    assert beat["worker"].startswith(f"test-worker-{os.getpid()}@")
