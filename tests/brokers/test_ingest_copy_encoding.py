"""Photometry goes to PostgreSQL as a binary COPY stream built from columns: the compiled
encoder and the pure-Python one write the same bytes, and PostgreSQL reads back every
value of the real alerts' points, nulls included."""

import os

import numpy as np
import pytest
from django.db import connection

from brokers.fink import pgcopy
from brokers.fink.ingest import PHOTOMETRY_COLUMNS, _photometry_copy
from brokers.fink.parsing import parse_alert
from brokers.fink.photometry import PhotometryTable
from tests.brokers.conftest import avro_records


@pytest.fixture
def real_points(ztf_file, lsst_file):
    alerts = [parse_alert(r, "ztf") for r in avro_records(ztf_file)]
    alerts += [parse_alert(r, "lsst") for r in avro_records(lsst_file)]
    points = PhotometryTable.concatenate([a.photometry for a in alerts])
    targets = np.repeat(
        np.arange(1, len(alerts) + 1, dtype=np.int32), [len(a.photometry) for a in alerts]
    )
    return targets, points


@pytest.mark.skipif(
    bool(os.environ.get("ICARE_PURE_PYTHON")),
    reason="compares the compiled encoder with pure Python; ICARE_PURE_PYTHON disables it",
)
def test_it_writes_the_same_stream_compiled_and_in_pure_python(real_points, monkeypatch):
    targets, points = real_points
    assert pgcopy.load_extension("_pgcopy") is not None
    compiled = bytes(_photometry_copy(targets, points))
    monkeypatch.setattr(pgcopy, "load_extension", lambda name: None)
    assert bytes(_photometry_copy(targets, points)) == compiled


def test_it_reads_back_every_value_and_null(db, real_points):
    targets, points = real_points
    expected = [(int(t), *p) for t, p in zip(targets, points, strict=True)]
    assert any(row[4] is None for row in expected) and any(row[10] is None for row in expected)
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's, for COPY
        cursor.execute(
            "CREATE TEMP TABLE copied (target_id int, mjd float8, band text, instrument text,"
            " flux float8, fluxerr float8, mag float8, magerr float8, limiting_mag float8,"
            " origin text, alert_id bigint, measurement_key bigint, detection_id bigint)"
        )
        with cursor.copy(
            f"COPY copied ({', '.join(PHOTOMETRY_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.write(_photometry_copy(targets, points))
        cursor.execute(f"SELECT {', '.join(PHOTOMETRY_COLUMNS)} FROM copied")
        assert cursor.fetchall() == expected
