"""Set-based writers of the shared object graph, for bulk ingest (a broker's batch):
targets, summaries, photometry, classifications, cutouts and candidates.

Each writer is one or two statements over arrays (``unnest``) or a binary ``COPY``;
tables, columns and the values of columns a writer does not set come from the models'
metadata (:mod:`icare_tom.bulk`), so a TOM upgrade or a renamed column reaches these
paths. The caller owns the transaction and the order of the calls; every writer keys
on a unique constraint, so a replayed batch changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import psycopg
from tom_targets.models import Target

from icare_tom.bulk import (
    column,
    columns,
    copy_unless_present,
    insert_new_rows,
    table,
    unset_columns,
)
from sources.models import Candidate, Classification, Cutout, Filter, Photometry, TargetSummary

# Equinox of the ICRS positions the brokers give (degrees).
ICRS_EPOCH = 2000.0

# The photometry fields a bulk COPY writes, in its order (``created`` is the server's).
PHOTOMETRY_FIELDS = (
    "target", "mjd", "band", "instrument", "flux", "fluxerr", "mag", "magerr",
    "limiting_mag", "origin", "alert_id", "measurement_key", "detection_id",
)  # fmt: skip
PHOTOMETRY_COLUMNS = [Photometry._meta.get_field(f).column for f in PHOTOMETRY_FIELDS]
CUTOUT_FIELDS = (
    "target", "alert_id", "kind", "fits", "store", "store_offset", "store_length", "created",
)  # fmt: skip
CUTOUT_TYPES = ("int4", "int8", "text", "bytea", "text", "int8", "int4", "timestamptz")
CANDIDATE_FIELDS = (
    "target", "filter", "alert_id", "passed_at", "kafka_timestamp", "ingested_at", "annotations",
)  # fmt: skip
CANDIDATE_TYPES = ("int4", "int8", "int8", "timestamptz", "timestamptz", "timestamptz", "jsonb")


# --------------------------------------------------------------------------- targets


@cache
def _insert_targets_sql() -> tuple[str, list]:
    given = ["name", "type", "ra", "dec", "epoch"]
    names, exprs, params = unset_columns(Target, given)
    sql = f"""
        INSERT INTO {table(Target)} ({", ".join([*columns(Target, given), *names])})
        SELECT name, %s, ra, dec, %s, {", ".join(exprs)}
        FROM unnest(%s::text[], %s::float8[], %s::float8[]) AS t(name, ra, dec)
        ON CONFLICT ({column(Target, "name")}) DO NOTHING
        RETURNING {column(Target, "id")}
    """
    return sql, params


def insert_targets(cursor, names: list[str], ras: list[float], decs: list[float]) -> set[int]:
    """Create the sidereal targets not there yet (``name`` unique; ICRS degrees, epoch
    2000); return the ids of those created."""
    sql, defaults = _insert_targets_sql()
    cursor.execute(sql, [Target.SIDEREAL, ICRS_EPOCH, *defaults, names, ras, decs])
    return {row[0] for row in cursor.fetchall()}


def lock_targets(cursor, names: list[str]) -> dict[str, int]:
    """``name → id`` of the targets, each locked ``FOR KEY SHARE`` (in name order) until
    the transaction ends: none can be deleted meanwhile. It is the lock a foreign-key
    trigger would take per row; photometry has none (see ``Photometry``)."""
    cursor.execute(
        f"SELECT {column(Target, 'name')}, {column(Target, 'id')} FROM {table(Target)} "
        f"WHERE {column(Target, 'name')} = ANY(%s::text[]) "
        f"ORDER BY {column(Target, 'name')} FOR KEY SHARE",
        [names],
    )
    return dict(cursor.fetchall())


# --------------------------------------------------------------------------- summaries


@cache
def _summaries_sql() -> str:
    s = {f: column(TargetSummary, f) for f in (
        "target", "healpix", "first_detection_mjd", "last_detection_mjd", "n_detections",
        "is_solar_system",
    )}  # fmt: skip
    return f"""
        INSERT INTO {table(TargetSummary)} AS s
            ({s["target"]}, {s["healpix"]}, {s["first_detection_mjd"]},
             {s["last_detection_mjd"]}, {s["n_detections"]}, {s["is_solar_system"]})
        SELECT id, healpix, first_mjd, last_mjd, n_det, sso
        FROM unnest(%s::int[], %s::bigint[], %s::bool[], %s::int[], %s::float8[], %s::float8[])
            AS t(id, healpix, sso, n_det, first_mjd, last_mjd)
        ORDER BY id
        ON CONFLICT ({s["target"]}) DO UPDATE SET
            {s["first_detection_mjd"]} = LEAST(s.{s["first_detection_mjd"]},
                                               EXCLUDED.{s["first_detection_mjd"]}),
            {s["last_detection_mjd"]} = GREATEST(s.{s["last_detection_mjd"]},
                                                 EXCLUDED.{s["last_detection_mjd"]}),
            {s["n_detections"]} = s.{s["n_detections"]} + EXCLUDED.{s["n_detections"]},
            {s["is_solar_system"]} = s.{s["is_solar_system"]} OR EXCLUDED.{s["is_solar_system"]}
    """


def upsert_summaries(
    cursor,
    target_ids: list[int],
    healpix: list[int],
    solar_system: list[bool],
    n_detections: list[int],
    first_mjd: list[float | None],
    last_mjd: list[float | None],
) -> None:
    """Create or widen the targets' summaries (rows sorted by target): detection span
    (MJD, days) and count grow by the new detections; ``healpix`` is the order-29
    nested index of the position; solar-system once, solar-system for good."""
    cursor.execute(
        _summaries_sql(),
        [target_ids, healpix, solar_system, n_detections, first_mjd, last_mjd],
    )


# --------------------------------------------------------------------------- photometry


@cache
def _photometry_sql() -> tuple[str, str]:
    p = {f: column(Photometry, f) for f in (
        "target", "measurement_key", "detection_id", "origin", "alert_id",
    )}  # fmt: skip
    lookup = f"""
        SELECT k.row, p.{p["origin"]} = 'alert'
        FROM unnest(%s::int[], %s::bigint[], %s::bigint[], %s::int[])
            AS k(target_id, measurement_key, detection_id, row)
        JOIN {table(Photometry)} p ON p.{p["target"]} = k.target_id
            AND p.{p["measurement_key"]} = k.measurement_key
            AND p.{p["detection_id"]} = k.detection_id
    """
    upgrade = f"""
        UPDATE {table(Photometry)} p SET {p["origin"]} = 'alert', {p["alert_id"]} = u.alert_id
        FROM unnest(%s::int[], %s::bigint[], %s::bigint[], %s::bigint[])
            AS u(target_id, measurement_key, detection_id, alert_id)
        WHERE p.{p["target"]} = u.target_id AND p.{p["measurement_key"]} = u.measurement_key
          AND p.{p["detection_id"]} = u.detection_id AND p.{p["origin"]} <> 'alert'
    """
    return lookup, upgrade


def stored_photometry(
    cursor,
    target_ids: list[int],
    measurement_keys: list[int],
    detection_ids: list[int],
    rows: list[int],
) -> list[tuple[int, bool]]:
    """``(row, stored as the alert's own point)`` for each given point already stored
    (identified by target, measurement key and detection id; ``rows`` label them)."""
    cursor.execute(_photometry_sql()[0], [target_ids, measurement_keys, detection_ids, rows])
    return cursor.fetchall()


def copy_photometry(cursor, write: Callable[[psycopg.Copy], None]) -> bool:
    """Binary-COPY the points ``write`` writes (columns :data:`PHOTOMETRY_FIELDS`, in that
    order) straight into the table; False, with nothing written, when one is already
    stored (a concurrent writer: look up again and retry)."""
    return copy_unless_present(cursor, Photometry, PHOTOMETRY_FIELDS, write)


def upgrade_photometry_to_alert(
    cursor,
    target_ids: list[int],
    measurement_keys: list[int],
    detection_ids: list[int],
    alert_ids: list[int],
) -> None:
    """Stored history points that arrived as an alert's own measurement become
    ``origin='alert'`` with that alert's id."""
    cursor.execute(_photometry_sql()[1], [target_ids, measurement_keys, detection_ids, alert_ids])


# --------------------------------------------------------------------------- classifications


@cache
def _classifications_sql() -> tuple[str, list]:
    given = ["target", "taxonomy", "label", "probability", "author_name", "alert_id"]
    names, exprs, params = unset_columns(Classification, given)
    c = {f: column(Classification, f) for f in ("target", "author_name", "alert_id", "label")}
    through = Classification.groups.through
    sql = f"""
        WITH labels AS (
            INSERT INTO {table(Classification)} ({", ".join([*columns(Classification, given), *names])})
            SELECT target_id, %s, label, probability, %s, alert_id, {", ".join(exprs)}
            FROM unnest(%s::int[], %s::text[], %s::float8[], %s::bigint[])
                AS c(target_id, label, probability, alert_id)
            ON CONFLICT ({c["target"]}, {c["author_name"]}, {c["alert_id"]}, {c["label"]})
                WHERE {c["alert_id"]} IS NOT NULL DO NOTHING
            RETURNING {column(Classification, "id")}
        )
        INSERT INTO {table(through)}
            ({column(through, "classification")}, {column(through, "group")})
        SELECT id, %s FROM labels
    """  # noqa: E501
    return sql, params


def insert_stream_classifications(
    cursor,
    *,
    taxonomy_id: int,
    author_name: str,
    group_id: int,
    target_ids: list[int],
    labels: list[str],
    probabilities: list[float | None],
    alert_ids: list[int],
) -> None:
    """A stream's labels (one per alert, probability in [0, 1] or NULL), visible to the
    stream's group; a label already given for that alert is kept as it is."""
    sql, defaults = _classifications_sql()
    cursor.execute(
        sql,
        [taxonomy_id, author_name, *defaults, target_ids, labels, probabilities, alert_ids,
         group_id],
    )  # fmt: skip


# --------------------------------------------------------------------------- cutouts, candidates


def alerts_with_cutouts(cursor, alert_ids: list[int]) -> set[int]:
    """The alert ids among ``alert_ids`` that have cutouts stored."""
    cursor.execute(
        f"SELECT DISTINCT {column(Cutout, 'alert_id')} FROM {table(Cutout)} "
        f"WHERE {column(Cutout, 'alert_id')} = ANY(%s)",
        [alert_ids],
    )
    return {row[0] for row in cursor.fetchall()}


def insert_cutouts(cursor, rows: list[tuple]) -> None:
    """New cutout rows (:data:`CUTOUT_FIELDS`); one already stored is kept."""
    insert_new_rows(cursor, Cutout, CUTOUT_FIELDS, CUTOUT_TYPES, rows, ("alert_id", "kind"))


def stored_candidates(cursor, keys: Sequence[tuple[int, int]]) -> set[tuple[int, int]]:
    """The ``(filter id, alert id)`` pairs among ``keys`` already stored as candidates."""
    f, a = column(Candidate, "filter"), column(Candidate, "alert_id")
    cursor.execute(
        f"SELECT {f}, {a} FROM {table(Candidate)} "
        f"WHERE ({f}, {a}) IN (SELECT * FROM unnest(%s::bigint[], %s::bigint[]))",
        [[k[0] for k in keys], [k[1] for k in keys]],
    )
    return set(cursor.fetchall())


def insert_candidates(cursor, rows: list[tuple]) -> None:
    """New candidate rows (:data:`CANDIDATE_FIELDS`); one already stored is kept."""
    insert_new_rows(
        cursor, Candidate, CANDIDATE_FIELDS, CANDIDATE_TYPES, rows, ("filter", "alert_id")
    )


def count_filters(cursor, filter_ids: list[int]) -> int:
    """How many of ``filter_ids`` exist."""
    cursor.execute(
        f"SELECT count(*) FROM {table(Filter)} WHERE {column(Filter, 'id')} = ANY(%s)",
        [filter_ids],
    )
    return cursor.fetchone()[0]
