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


# --------------------------------------------------------------------------- database tests
# (fixtures below need pytest-django's ``db``; the Django-free tests never request them;
# alice, bob and their groups come from tests/people.py)


@pytest.fixture
def make_source(db):
    """A target at (ra, dec) deg, first detected at ``first_mjd``, owned by ``groups``."""
    from tom_targets.models import Target

    from accounts import services
    from gcn.skymaps import healpix_index_order29
    from sources.models import TargetSummary

    def make(name, ra, dec, first_mjd, groups=()):
        target = Target.objects.create(name=name, type="SIDEREAL", ra=ra, dec=dec)
        TargetSummary.objects.create(
            target=target,
            healpix=int(healpix_index_order29(ra, dec)[0]),
            first_detection_mjd=first_mjd,
            last_detection_mjd=first_mjd,
            n_detections=1,
        )
        if groups:
            services.assign_target_to_groups(target, list(groups))
        return target

    return make


@pytest.fixture
def ingest_shared(read_shared, db):
    """Ingest one shared file through the service (no Celery dispatch)."""
    from gcn import services

    def ingest(rel):
        return services.ingest_bytes(read_shared(rel), origin=rel, filename_hint=rel)

    return ingest
