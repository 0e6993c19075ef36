"""Fixtures for the Django-free GCN tests: locate the shared sample data."""

import os
from pathlib import Path

import pytest


def shared_data_dir() -> Path:
    """``ICARE_SHARED_DATA`` or ``../shared/data`` next to the repository."""
    env = os.environ.get("ICARE_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_cache():
    """These tests are Django-free: replace the suite's cache fixture (needs pytest-django)."""
    yield


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared sample data not found at {path} (set ICARE_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def read_shared(shared_data):
    def read(rel: str) -> bytes:
        p = shared_data / rel
        if not p.is_file():
            pytest.skip(f"shared sample {rel} is missing from {shared_data}")
        return p.read_bytes()

    return read
