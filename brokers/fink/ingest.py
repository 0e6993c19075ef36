"""Bulk, idempotent ingest of normalized Fink alerts into PostgreSQL.

One call of :func:`ingest_batch` is one transaction: targets, group permissions,
target summaries, photometry (with histories), candidates, classifications, cutouts,
the raw-alert archive and the quarantined records of the batch are written with a
handful of set-based statements (``INSERT … SELECT FROM unnest(arrays) ON CONFLICT``,
and binary ``COPY`` of the rows known to be new: photometry, candidates, cutouts,
archive), never one round trip per row.

Every write is keyed on a unique constraint, so replaying alerts (a consumer restart,
a file ingested twice) changes nothing:

* target: ``name`` (ZTF objectId, LSST diaObjectId, or MPC designation);
* photometry: ``(target, measurement_key, detection_id)`` (detections by the survey's
  id, upper limits by time and band, forced points by visit and band); a point first
  stored as history and later received as an alert's own source is upgraded to
  ``origin='alert'``;
* candidate: ``(filter, alert_id)``; classification: ``(target, author, alert_id, label)``;
  cutout: ``(alert_id, kind)``; archive: ``(survey, alert_id)``.

Concurrent consumers sharing a topic may ingest overlapping objects; rows are
written in a sorted order so that two transactions lock targets in the same order.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from functools import partial

import numpy as np
import orjson
import psycopg
import zstandard
from django.db import connection, transaction
from psycopg.types.json import Jsonb

from accounts import bulk as accounts_bulk
from brokers.fink.alert import NormalizedAlert
from brokers.fink.bootstrap import DEFAULT_GROUP, FinkSetup, bootstrap
from brokers.fink.pgcopy import CopyColumn, encode_copy
from brokers.fink.photometry import (
    CHANNEL_BANDS,
    CHANNEL_INSTRUMENTS,
    ORIGIN_CODES,
    ORIGINS,
    PhotometryPoint,
    PhotometryTable,
)
from brokers.models import ArchivedAlert, QuarantinedAlert
from icare_tom.bulk import column, columns, insert_new_rows, table
from icare_tom.times import mjd_to_datetime
from sources import bulk
from sources.sky import healpix_index_order29

__all__ = [
    "IngestReport",
    "ReceivedAlert",
    "RejectedRecord",
    "ingest_batch",
    "tune_garbage_collector",
]


@dataclass(frozen=True, slots=True)
class ReceivedAlert:
    """A parsed alert and where it came from (``raw``: the Avro bytes as received)."""

    alert: NormalizedAlert
    raw: bytes
    topic: str
    kafka_timestamp: datetime | None = None
    partition: int | None = None
    offset: int | None = None


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A record that could not become an alert; it is quarantined with its reason."""

    raw: bytes
    reason: str
    detail: str = ""
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None


@dataclass
class IngestReport:
    """Counts of one or more batches.

    ``read``: records seen (alerts + rejections); ``ingested``: alerts written or
    already present; ``quarantined``: rejections stored; ``new_targets`` and
    ``new_photometry``: rows that did not exist before (0 on a replay).
    """

    read: int = 0
    ingested: int = 0
    quarantined: int = 0
    new_targets: int = 0
    new_photometry: int = 0

    def merge(self, other: IngestReport) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def tune_garbage_collector() -> None:
    """Make Python's cycle collector cheap for a long-running ingest process.

    A batch allocates 10^5 to 10^6 short-lived objects (decoded records, points). Under
    the default thresholds that triggers collections that traverse every object the
    process holds, the ~10^6 of Django, astropy and the rest included, several times a
    second: a fifth of the ingest time. Objects that exist after start-up are frozen
    out of collection, and young objects are collected less often. Reference counting
    still frees almost everything at once; only cyclic garbage waits longer.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


# zstd level 1: ~0.2 ms for a ZTF alert (mostly already-gzipped stamps) and ~1.7 ms for an
# LSST one (halved), where gzip level 1 takes 3 ms and 11 ms. Compression releases the GIL,
# so it runs in threads while the batch's first statements wait on the database.
ARCHIVE_ZSTD_LEVEL = 1
_COMPRESSORS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="archive-zstd")


def compress_archive(data: bytes) -> bytes:
    """The archived form of a raw alert: a zstd frame (``zstandard.decompress`` reverses it)."""
    return zstandard.ZstdCompressor(level=ARCHIVE_ZSTD_LEVEL).compress(data)


def _json(value: dict) -> bytes:
    """JSON text of annotations; NaN and infinities become null (orjson: ~5x json's speed)."""
    return orjson.dumps(value, default=str)


_SETUP_CACHE: dict[tuple[str, str], FinkSetup] = {}


def _setup_for(survey: str, group_name: str, topics: set[str]) -> FinkSetup:
    """Bootstrap ids, cached per process; re-bootstrapped when a topic is new or the
    cached rows vanished (e.g. test database flushed)."""
    key = (survey, group_name)
    setup = _SETUP_CACHE.get(key)
    if setup is not None and topics <= setup.filter_ids.keys():
        with connection.cursor() as cursor:
            if bulk.count_filters(cursor, [setup.filter_ids[t] for t in topics]) == len(topics):
                return setup
    setup = bootstrap(survey, sorted(topics), group_name)
    _SETUP_CACHE[key] = setup
    return setup


def ingest_batch(
    alerts: Sequence[ReceivedAlert],
    rejected: Sequence[RejectedRecord] = (),
    *,
    survey: str,
    group_name: str = DEFAULT_GROUP,
) -> IngestReport:
    """Write a batch of alerts and rejections in ONE transaction; return after COMMIT.

    Fluxes are stored in µJy (AB, zero point 23.9), times as MJD (days), positions in
    ICRS degrees; see :mod:`brokers.fink.photometry` for the conventions.
    """
    report = IngestReport(read=len(alerts) + len(rejected))
    # One alert per alert id (a batch may carry a duplicate delivery).
    unique: dict[int, ReceivedAlert] = {}
    for received in alerts:
        unique.setdefault(received.alert.alert_id, received)
    batch = list(unique.values())
    with transaction.atomic():
        connection.ensure_connection()
        pg = connection.connection  # the psycopg 3 connection, inside Django's transaction
        with pg.cursor() as cursor:
            if rejected:
                report.quarantined = _quarantine(cursor, rejected, survey)
            if batch:
                setup = _setup_for(survey, group_name, {r.topic for r in batch})
                report.ingested = len(alerts)
                _write_alerts(cursor, batch, setup, report)
    return report


ARCHIVE_FIELDS = (
    "survey", "alert_id", "object_name", "topic", "partition", "offset", "payload", "received_at",
)  # fmt: skip
ARCHIVE_TYPES = ("text", "int8", "text", "text", "int4", "int8", "bytea", "timestamptz")

# The cutout store (sources.cutouts.CUTOUT_STORES) of each survey's raw-alert archive.
CUTOUT_STORE_NAMES = {"ztf": "fink-archive-ztf", "lsst": "fink-archive-lsst"}
STAMP_PROBE_BYTES = 32
STAMP_PROBE_TRIES = 8


def _offset_in(raw: bytes, data: bytes) -> int:
    """Where ``data`` (a cutout stamp) last occurs in ``raw`` (its alert), -1 if nowhere.

    ``raw.rfind(data)`` with a ~15-60 kB needle costs ~20-60 µs a stamp; a short probe
    from the middle of the stamp (noise: distinctive, unlike FITS padding or gzip
    headers) is found at memory speed, then the whole stamp is compared there.
    """
    middle = len(data) // 2
    probe = data[middle : middle + STAMP_PROBE_BYTES]
    if len(probe) < STAMP_PROBE_BYTES:
        return raw.rfind(data)
    at = raw.rfind(probe, middle, len(raw) - (len(data) - middle) + STAMP_PROBE_BYTES)
    for _ in range(STAMP_PROBE_TRIES):
        if at < 0:
            return -1
        if raw.startswith(data, at - middle):
            return at - middle
        at = raw.rfind(probe, middle, at + STAMP_PROBE_BYTES - 1)
    return raw.rfind(data)  # a probe found everywhere (a flat stamp): search the plain way


# A stored point is the row ``(target_id, *point)`` (sources.bulk.PHOTOMETRY_FIELDS).
PHOTOMETRY_COLUMNS = bulk.PHOTOMETRY_COLUMNS
assert ["target_id", *PhotometryPoint._fields] == PHOTOMETRY_COLUMNS
_BAND_TEXTS = [None if band is None else band.encode() for band in CHANNEL_BANDS]
_INSTRUMENT_TEXTS = [None if name is None else name.encode() for name in CHANNEL_INSTRUMENTS]
_ORIGIN_TEXTS = [origin.encode() for origin in ORIGINS]
# A concurrent consumer storing some of the same points makes a COPY fail; each retry
# re-reads what is stored. More than a few in a row means something else is wrong.
PHOTOMETRY_ATTEMPTS = 5


def _photometry_copy(targets: np.ndarray, points: PhotometryTable) -> bytes | bytearray:
    """The COPY stream of the rows ``(targets[i], *points[i])`` (:data:`PHOTOMETRY_COLUMNS`)."""
    channel = points.channel
    return encode_copy(
        [
            CopyColumn("int4", targets),
            CopyColumn("float8", points.mjd),
            CopyColumn("text", channel, texts=_BAND_TEXTS),
            CopyColumn("text", channel, texts=_INSTRUMENT_TEXTS),
            CopyColumn("float8", points.flux),
            CopyColumn("float8", points.fluxerr),
            CopyColumn("float8", points.mag),
            CopyColumn("float8", points.magerr),
            CopyColumn("float8", points.limiting_mag),
            CopyColumn("text", points.origin, texts=_ORIGIN_TEXTS),
            CopyColumn("int8", points.alert_id, nulls=points.alert_id_null),
            CopyColumn("int8", points.measurement_key),
            CopyColumn("int8", points.detection_id),
        ]
    )


def _write_photometry(
    cursor, targets: np.ndarray, points: PhotometryTable, new_target_ids: set[int]
) -> np.ndarray:
    """Store the points not stored yet (row i: ``(targets[i], *points[i])``, one per
    target, measurement key and detection id, sorted by them) straight into the table by
    binary COPY; upgrade stored history points that arrived as an alert's own measurement.
    Return a boolean mask of the rows inserted.

    Points of targets created by this transaction are new by construction; for the
    others, one index lookup per point finds what is stored. That costs no writes,
    where ``INSERT … ON CONFLICT`` writes every row speculatively.
    """
    keys, detection_ids = points.measurement_key, points.detection_id
    maybe_stored = ~np.isin(targets, np.fromiter(new_target_ids, np.int64, len(new_target_ids)))
    for _attempt in range(PHOTOMETRY_ATTEMPTS):
        stored = np.zeros(len(keys), dtype=bool)
        stored_as_alert = np.zeros(len(keys), dtype=bool)
        rows = np.flatnonzero(maybe_stored)
        if rows.size:
            for row, is_alert in bulk.stored_photometry(
                cursor,
                targets[rows].tolist(),
                keys[rows].tolist(),
                detection_ids[rows].tolist(),
                rows.tolist(),
            ):
                stored[row] = True
                stored_as_alert[row] = is_alert
        new = ~stored
        data = _photometry_copy(targets[new], points.take(new))
        write = partial(psycopg.Copy.write, buffer=data)
        if bulk.copy_photometry(cursor, write):
            break
        maybe_stored[:] = True  # after a collision, look every point up
    else:
        raise RuntimeError(
            f"photometry kept colliding with concurrent writers ({PHOTOMETRY_ATTEMPTS} tries)"
        )
    upgrades = np.flatnonzero(stored & ~stored_as_alert & (points.origin == ORIGIN_CODES["alert"]))
    if upgrades.size:
        bulk.upgrade_photometry_to_alert(
            cursor,
            targets[upgrades].tolist(),
            keys[upgrades].tolist(),
            detection_ids[upgrades].tolist(),
            points.alert_id[upgrades].tolist(),
        )
    return new


def _quarantine(cursor, rejected: Sequence[RejectedRecord], survey: str) -> int:
    q = QuarantinedAlert
    fields = ("raw", "reason", "detail", "survey", "topic", "partition", "offset", "created")
    cursor.execute(
        f"""
        INSERT INTO {table(q)} ({", ".join(columns(q, fields))})
        SELECT raw, reason, detail, %s, coalesce(topic, ''), partition, "offset", now()
        FROM unnest(%s::bytea[], %s::text[], %s::text[], %s::text[], %s::int[], %s::bigint[])
            AS r(raw, reason, detail, topic, partition, "offset")
        """,
        [
            survey,
            [bytes(r.raw or b"") for r in rejected],
            [r.reason[:200] for r in rejected],
            [r.detail for r in rejected],
            [r.topic for r in rejected],
            [r.partition for r in rejected],
            [r.offset for r in rejected],
        ],
    )
    return cursor.rowcount


def _write_alerts(cursor, batch: list[ReceivedAlert], setup: FinkSetup, report: IngestReport):
    # --- which alerts are new to the archive; their compression overlaps the writes below
    alert_ids = [r.alert.alert_id for r in batch]
    a = ArchivedAlert
    cursor.execute(
        f"SELECT {column(a, 'alert_id')} FROM {table(a)} "
        f"WHERE {column(a, 'survey')} = %s AND {column(a, 'alert_id')} = ANY(%s)",
        [setup.survey, alert_ids],
    )
    archived = {row[0] for row in cursor.fetchall()}
    fresh = [r for r in batch if r.alert.alert_id not in archived]
    payloads = _COMPRESSORS.map(compress_archive, [r.raw for r in fresh], chunksize=16)
    now = datetime.now(UTC)

    # --- targets (sorted by name: a stable lock order between concurrent consumers)
    first_by_name: dict[str, NormalizedAlert] = {}
    solar: dict[str, bool] = {}
    for received in batch:
        alert = received.alert
        first_by_name.setdefault(alert.object_name, alert)
        solar[alert.object_name] = solar.get(alert.object_name, False) or alert.is_solar_system
    names = sorted(first_by_name)
    ras = [first_by_name[n].ra for n in names]
    decs = [first_by_name[n].dec for n in names]
    new_target_ids = bulk.insert_targets(cursor, names, ras, decs)
    report.new_targets = len(new_target_ids)
    # No target of the batch can be deleted before this transaction ends.
    target_ids = bulk.lock_targets(cursor, names)
    ids_sorted = [target_ids[n] for n in names]

    # --- the stream's group may view every target it receives
    accounts_bulk.grant_view_to_group(cursor, setup.group_id, ids_sorted)

    # --- photometry: one row per (target, measurement_key, detection_id), the lowest
    # origin code (alert, then history, then forced) and, among equals, the first seen;
    # sorted.
    tables = [r.alert.photometry for r in batch]
    points = PhotometryTable.concatenate(tables)
    point_targets = np.repeat(
        np.array([target_ids[r.alert.object_name] for r in batch], dtype=np.int32),
        [len(table) for table in tables],
    )
    order = np.lexsort((points.origin, points.detection_id, points.measurement_key, point_targets))
    sorted_targets, sorted_keys = point_targets[order], points.measurement_key[order]
    sorted_ids = points.detection_id[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (
        (sorted_targets[1:] != sorted_targets[:-1])
        | (sorted_keys[1:] != sorted_keys[:-1])
        | (sorted_ids[1:] != sorted_ids[:-1])
    )
    best = order[first]
    points, point_targets = points.take(best), point_targets[best]
    inserted = _write_photometry(cursor, point_targets, points, new_target_ids)
    report.new_photometry = int(inserted.sum())

    # --- target summaries: position, detection span and count, from the new measured
    # (not forced) points; rows are sorted by target
    detected = inserted & ~np.isnan(points.flux) & (points.origin != ORIGIN_CODES["forced"])
    detections: dict[int, tuple[int, float, float]] = {}
    if detected.any():
        det_targets, det_mjd = point_targets[detected], points.mjd[detected]
        starts = np.flatnonzero(np.r_[True, det_targets[1:] != det_targets[:-1]])
        counts = np.diff(np.r_[starts, len(det_targets)])
        detections = dict(
            zip(
                det_targets[starts].tolist(),
                zip(
                    counts.tolist(),
                    np.minimum.reduceat(det_mjd, starts).tolist(),
                    np.maximum.reduceat(det_mjd, starts).tolist(),
                    strict=True,
                ),
                strict=True,
            )
        )
    empty = (0, None, None)
    spans = [detections.get(target_id, empty) for target_id in ids_sorted]
    bulk.upsert_summaries(
        cursor,
        ids_sorted,
        healpix_index_order29(ras, decs).tolist(),
        [solar[n] for n in names],
        [span[0] for span in spans],
        [span[1] for span in spans],
        [span[2] for span in spans],
    )

    # --- classifications by the stream, visible to the stream's group
    classified = [r.alert for r in batch if r.alert.classification is not None]
    if classified:
        bulk.insert_stream_classifications(
            cursor,
            taxonomy_id=setup.taxonomy_id,
            author_name=setup.stream_name,
            group_id=setup.group_id,
            target_ids=[target_ids[a.object_name] for a in classified],
            labels=[a.classification[0] for a in classified],
            probabilities=[a.classification[1] for a in classified],
            alert_ids=[a.alert_id for a in classified],
        )

    # --- cutouts (bytes as the alert carried them: gzipped FITS for ZTF, FITS for LSST).
    # The raw alert archived below carries them: rows of alerts archived by this batch
    # point there (offset and length in the raw bytes), so the stamps are written once.
    with_cutouts = [r for r in batch if r.alert.cutouts]
    if with_cutouts:
        stored_cutouts = bulk.alerts_with_cutouts(
            cursor, sorted(r.alert.alert_id for r in with_cutouts)
        )
        archived_now = {r.alert.alert_id for r in fresh}
        store = CUTOUT_STORE_NAMES[setup.survey]
        rows = []
        for received in with_cutouts:
            alert = received.alert
            if alert.alert_id in stored_cutouts:
                continue
            key = (target_ids[alert.object_name], alert.alert_id)
            for kind in alert.cutouts:
                data = alert.cutouts.stored(kind)
                offset = _offset_in(received.raw, data) if alert.alert_id in archived_now else -1
                if offset >= 0:
                    rows.append((*key, kind, None, store, offset, len(data), now))
                else:
                    rows.append((*key, kind, data, "", None, None, now))
        bulk.insert_cutouts(cursor, rows)

    # --- raw alerts archived, compressed (only those not archived yet)
    if fresh:
        insert_new_rows(
            cursor,
            ArchivedAlert,
            ARCHIVE_FIELDS,
            ARCHIVE_TYPES,
            [
                (setup.survey, r.alert.alert_id, r.alert.object_name, r.topic, r.partition,
                 r.offset, payload, now)
                for r, payload in zip(fresh, payloads, strict=True)
            ],
            ("survey", "alert_id"),
        )  # fmt: skip

    # --- candidates last, so ingested_at is as close to the commit as a statement gets;
    # sorted by (filter, alert id): concurrent consumers insert keys in the same order
    ordered = sorted(batch, key=lambda r: (setup.filter_ids[r.topic], r.alert.alert_id))
    keys = [(setup.filter_ids[r.topic], r.alert.alert_id) for r in ordered]
    stored = bulk.stored_candidates(cursor, keys)
    ingested_at = datetime.now(UTC)
    bulk.insert_candidates(
        cursor,
        [
            (target_ids[r.alert.object_name], *key, mjd_to_datetime(r.alert.mjd),
             r.kafka_timestamp, ingested_at, Jsonb(r.alert.annotations, _json))
            for key, r in zip(keys, ordered, strict=True)
            if key not in stored
        ],
    )  # fmt: skip
