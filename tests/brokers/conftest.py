"""Fixtures for the ingest tests: the real Fink sample files, and alice (group A, which
receives the alerts) and bob (group B)."""

from pathlib import Path

import fastavro
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from brokers.fink.files import ingest_files

GROUP_A = "GRANDMA-A"
GROUP_B = "GRANDMA-B"
ZTF_TOPIC = "fink_sn_candidates_ztf"
LSST_TOPIC = "fink_sn_like_lsst"


@pytest.fixture
def ztf_file(shared_data) -> Path:
    path = shared_data / "fink" / "ztf" / "part-3-305711.avro"
    if not path.exists():
        pytest.skip(f"real Fink ZTF sample {path} is absent")
    return path


@pytest.fixture
def lsst_file(shared_data) -> Path:
    path = shared_data / "fink" / "lsst" / "part-2-918301.avro"
    if not path.exists():
        pytest.skip(f"real Fink LSST sample {path} is absent")
    return path


def avro_records(path: Path) -> list[dict]:
    """The file's records decoded with fastavro alone (independent of our reader)."""
    with open(path, "rb") as stream:
        return list(fastavro.reader(stream))


def avro_schema(path: Path) -> dict:
    with open(path, "rb") as stream:
        return fastavro.reader(stream).writer_schema


@pytest.fixture
def group_a(db):
    return Group.objects.create(name=GROUP_A)


@pytest.fixture
def group_b(db):
    return Group.objects.create(name=GROUP_B)


@pytest.fixture
def alice(group_a):
    user = get_user_model().objects.create_user(username="alice", password="pw-alice")
    user.groups.add(group_a)
    return user


@pytest.fixture
def bob(group_b):
    user = get_user_model().objects.create_user(username="bob", password="pw-bob")
    user.groups.add(group_b)
    return user


@pytest.fixture
def ingested_ztf(db, ztf_file, group_a):
    report, unreadable = ingest_files(
        [ztf_file], survey="ztf", topic=ZTF_TOPIC, group_name=GROUP_A, batch_size=10
    )
    assert not unreadable
    return report


@pytest.fixture
def ingested_lsst(db, lsst_file, group_a):
    report, unreadable = ingest_files(
        [lsst_file], survey="lsst", topic=LSST_TOPIC, group_name=GROUP_A, batch_size=3
    )
    assert not unreadable
    return report
