"""Fixtures shared by the whole suite."""

import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.people"]  # alice, bob, victor, carol and their groups

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("ICARE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real sample data (Fink alerts, GCN notices, sky maps) kept beside the repository."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real sample data not found at {SHARED_DATA} (set ICARE_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory):
    """A real Kafka-protocol broker (tansu, memory only) for the whole test session."""
    from brokers.fink.kafka_broker import TansuBroker

    broker = TansuBroker(log_path=tmp_path_factory.mktemp("tansu") / "tansu.log").start()
    yield broker
    broker.stop()


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Keep test cache keys apart from a demo that may share the embedded Redis."""
    prefix = f"icare-test-{os.getpid()}"
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": prefix}}
    from django.core.cache import cache

    yield
    # Only this process's keys: clear() would flush the database under the feet of the
    # other test workers sharing this Redis.
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
