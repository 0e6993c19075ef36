"""Fixtures for the stream tests: fresh topics on the session's tansu broker
(``kafka_broker``, tests/conftest.py), and helpers to run ``manage.py fink_stream`` as a
separate process against the test database."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from confluent_kafka import Consumer, TopicPartition

from brokers.fink.kafka_broker import TansuBroker, create_topics
from tests import child_process

REPO_ROOT = Path(__file__).resolve().parents[3]
# Every wait in these tests is bounded; a consumer that does not get there fails the test.
WAIT_S = 45.0


@pytest.fixture
def topic(kafka_broker) -> Callable[[int], str]:
    """Create a fresh topic of ``survey`` with ``partitions`` partitions; returns its name."""

    def make(partitions: int = 1, survey: str = "ztf") -> str:
        name = f"fink_test_sn_candidates_{survey}_{uuid.uuid4().hex[:8]}"
        create_topics(kafka_broker.bootstrap, [(name, partitions)])
        return name

    return make


@pytest.fixture
def child_env(transactional_db) -> dict[str, str]:
    """Environment for a child Django process using this test's database and Redis."""
    return child_process.child_env()


def write_config(path: Path, broker: TansuBroker, topic: str, **overrides) -> Path:
    settings_ = {
        "name": f"test-{uuid.uuid4().hex[:8]}",
        "survey": "ztf",
        "servers": broker.bootstrap,
        "topics": [topic],
        "group_id": f"test-group-{uuid.uuid4().hex[:8]}",
        "owning_group": "Fink",
        "poll_timeout_s": 0.3,
        "batch_size": 25,
    }
    settings_.update(overrides)
    path.write_text(yaml.safe_dump(settings_))
    return path


class ChildProcess:
    """A ``manage.py`` command run in its own process, output kept in a file."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def terminate(self, timeout_s: float = 20.0) -> int:
        if self.alive():
            self.process.terminate()
        try:
            return self.process.wait(timeout_s)
        finally:
            self._log.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)
        self._log.close()


@pytest.fixture
def run_command(child_env, tmp_path) -> Iterator[Callable[..., ChildProcess]]:
    """Start ``manage.py <args>`` in a child process; every child is stopped afterwards."""
    children: list[ChildProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> ChildProcess:
        log = tmp_path / f"child-{len(children)}.log"
        child = ChildProcess(list(args), env or child_env, log)
        children.append(child)
        return child

    yield start
    for child in children:
        if child.alive():
            child.process.kill()
            child.process.wait(10)


def wait_until(
    condition: Callable[[], bool],
    what: str,
    timeout_s: float = WAIT_S,
    children: tuple[ChildProcess, ...] = (),
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        for child in children:
            if not child.alive():
                raise AssertionError(f"child exited while waiting for {what}:\n{child.output}")
        time.sleep(0.1)
    logs = "\n".join(child.output[-3000:] for child in children)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}\n{logs}")


def committed_offsets(broker: TansuBroker, group_id: str, topic: str, partitions: int) -> int:
    """Sum over partitions of the group's committed offsets (0 where none)."""
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group_id})
    try:
        found = consumer.committed(
            [TopicPartition(topic, p) for p in range(partitions)], timeout=10
        )
    finally:
        consumer.close()
    return sum(max(tp.offset, 0) for tp in found)
