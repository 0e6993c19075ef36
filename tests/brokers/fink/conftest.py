"""Shared fixtures for the Django-free Fink pipeline tests (real Fink sample files)."""

import os
from pathlib import Path

import pytest

from brokers.fink.files import read_avro_file

SHARED_DATA = Path(
    os.environ.get("ICARE_SHARED_DATA")
    or Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
)
ZTF_FILE = SHARED_DATA / "fink" / "ztf" / "part-3-305711.avro"
LSST_FILE = SHARED_DATA / "fink" / "lsst" / "part-2-918301.avro"


def _records(path: Path) -> list[dict]:
    if not path.exists():
        pytest.skip(f"real Fink sample {path} is absent (set ICARE_SHARED_DATA to shared/data)")
    return list(read_avro_file(path))


@pytest.fixture(scope="session")
def ztf_records() -> list[dict]:
    return _records(ZTF_FILE)


@pytest.fixture(scope="session")
def lsst_records() -> list[dict]:
    return _records(LSST_FILE)


@pytest.fixture(scope="session")
def ztf_bytes(ztf_records) -> bytes:
    return ZTF_FILE.read_bytes()


@pytest.fixture(scope="session")
def ztf_schema_path() -> Path:
    paths = sorted((SHARED_DATA / "fink" / "ztf").glob("avro_schema_*.json"))
    if not paths:
        pytest.skip("real Fink ZTF schema is absent")
    return paths[0]


@pytest.fixture(scope="session")
def lsst_schema_path() -> Path:
    paths = sorted((SHARED_DATA / "fink" / "lsst").glob("avro_schema_*.json"))
    if not paths:
        pytest.skip("real Fink LSST schema is absent")
    return paths[0]
