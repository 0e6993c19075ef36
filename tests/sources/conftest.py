"""Alice scans for group A, bob for group B; each group has a filter on a Fink stream."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from tom_targets.models import Target

from accounts.access import view_target_permission
from accounts.models import TargetGroupObjectPermission
from sources.models import Candidate, Filter, Photometry, Stream, TargetSummary

_alert_ids = itertools.count(10_000_000)


@pytest.fixture
def group_a(db) -> Group:
    return Group.objects.create(name="A")


@pytest.fixture
def group_b(db) -> Group:
    return Group.objects.create(name="B")


@pytest.fixture
def alice(group_a) -> User:
    user = User.objects.create_user("alice", password="alice-pass-1234")
    user.groups.add(group_a)
    return user


@pytest.fixture
def bob(group_b) -> User:
    user = User.objects.create_user("bob", password="bob-pass-1234")
    user.groups.add(group_b)
    return user


@pytest.fixture
def ztf(db) -> Stream:
    return Stream.objects.create(name="Fink ZTF", survey="ztf")


@pytest.fixture
def lsst(db) -> Stream:
    return Stream.objects.create(name="Fink LSST", survey="lsst")


@pytest.fixture
def filter_a(ztf, group_a) -> Filter:
    return Filter.objects.create(name="SN A", stream=ztf, group=group_a, topic="fink_sn_ztf")


@pytest.fixture
def filter_b(ztf, group_b) -> Filter:
    return Filter.objects.create(name="SN B", stream=ztf, group=group_b, topic="fink_sn_ztf")


def make_target(name: str, groups, ra: float = 150.0, dec: float = 2.2) -> Target:
    target = Target.objects.create(name=name, type="SIDEREAL", ra=ra, dec=dec, epoch=2000)
    TargetSummary.objects.create(
        target=target, healpix=0, first_detection_mjd=61000.0, last_detection_mjd=61010.0,
        n_detections=3,
    )  # fmt: skip
    permission = view_target_permission()
    for group in groups:
        TargetGroupObjectPermission.objects.get_or_create(
            group=group, permission=permission, content_object=target
        )
    return target


def make_candidate(
    target: Target, filter_: Filter, hours_ago: float = 1.0, annotations=None
) -> Candidate:
    now = timezone.now()
    return Candidate.objects.create(
        target=target,
        filter=filter_,
        alert_id=next(_alert_ids),
        passed_at=now - timedelta(hours=hours_ago),
        ingested_at=now,
        annotations=annotations or {},
    )


def add_photometry(target: Target, n: int = 3, band: str = "ztfg") -> None:
    Photometry.objects.bulk_create(
        [
            Photometry(
                target=target,
                mjd=61000.0 + i,
                band=band,
                instrument="ZTF",
                flux=100.0 + i,
                fluxerr=5.0,
                mag=18.9 - 0.01 * i,
                magerr=0.05,
                origin="alert",
                measurement_key=round((61000.0 + i) * 1e6) * 64 + 1,  # time-ordered, as stored
            )
            for i in range(n)
        ]
        + [
            Photometry(
                target=target,
                mjd=60990.0,
                band=band,
                instrument="ZTF",
                limiting_mag=20.1,
                origin="history",
                measurement_key=round(60990.0 * 1e6) * 64 + 2,
            )
        ]
    )


def names(cards_or_results) -> list[str]:
    return [c["name"] if isinstance(c, dict) else c.candidate.target.name for c in cards_or_results]
