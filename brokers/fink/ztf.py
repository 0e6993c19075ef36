"""Fink ZTF alerts (schema 4.x): fields, annotations, cutouts and batch photometry."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from brokers.fink.alert import (
    Cutouts,
    check_coordinates,
    finite_or_none,
    flatten_into,
    is_finite,
    json_safe,
    require,
)
from brokers.fink.errors import AlertRejected
from brokers.fink.photometry import (
    AB_ZERO_POINT_UJY,
    MEASUREMENT_CHANNELS,
    NEGATIVE_ISDIFFPOS,
    ORIGIN_CODES,
    POSITIVE_ISDIFFPOS,
    REL_FLUX_PER_MAG_ERR,
    ZTF_BANDS,
    OwnSource,
    PhotometryTable,
    finite_or_nan,
    lookup_codes,
    lookup_small_ints,
    per_alert,
    point_table,
    stack_rows,
)
from brokers.fink.taxonomy import ZTF_CLASS_PROBABILITY_FIELD, classification_from_topic
from icare_tom.times import jd_to_mjd

ZTF_CORE_FIELDS = frozenset(
    {
        "candid",
        "objectId",
        "candidate",
        "prv_candidates",
        "cutoutScience",
        "cutoutTemplate",
        "cutoutDifference",
        "schemavsn",
        "publisher",
        "year",
        "month",
        "day",
    }
)
# Large per-band feature vectors: stay in the raw record, not in annotations.
ZTF_SKIPPED_ANNOTATIONS = frozenset({"lc_features_g", "lc_features_r"})
# Candidate fields a scanner looks at (real/bogus, host, history depth).
ZTF_CANDIDATE_ANNOTATIONS = (
    "drb",
    "rb",
    "classtar",
    "ndethist",
    "ncovhist",
    "jdstarthist",
    "magnr",
    "distnr",
    "sgscore1",
    "distpsnr1",
    "ssnamenr",
    "ssdistnr",
    "isdiffpos",
    "programid",
    "field",
)
ZTF_CUTOUTS = (
    ("science", "cutoutScience"),
    ("template", "cutoutTemplate"),
    ("difference", "cutoutDifference"),
)


# fid → measurement channel of a detection / an upper limit (-1: not a ZTF band).
_ZTF_CHANNELS = {
    kind: np.array(
        [MEASUREMENT_CHANNELS[ZTF_BANDS[fid], kind] if fid in ZTF_BANDS else -1 for fid in range(4)]
    )
    for kind in ("det", "lim")
}
_ISDIFFPOS_IS_POSITIVE = {
    **dict.fromkeys(POSITIVE_ISDIFFPOS, 1),
    **dict.fromkeys(NEGATIVE_ISDIFFPOS, 0),
}


def ztf_photometry(alerts: Sequence[OwnSource]) -> list[PhotometryTable]:
    """Per alert of a batch: its own detection, then ``prv_candidates`` in the alert's
    order. Entries with ``magpsf`` are detections (flux in µJy from ``magpsf`` and the
    sign of ``isdiffpos``), entries without are upper limits (``limiting_mag =
    diffmaglim``, kept when they have a time and a depth); a NaN ``magpsf`` is neither
    and is dropped. Raises :class:`AlertRejected` for the first alert with a bad value.

    The caller has checked the candidates' own fields.
    """
    columns, alert_of_row, origin = stack_rows(alerts, ("prv_candidates",))
    jd = columns.floats("jd")
    magpsf = columns.floats("magpsf")
    magpsf_null = columns.is_null("magpsf")
    diffmaglim = columns.floats("diffmaglim")
    detection = ~magpsf_null & np.isfinite(magpsf)
    if (detection & columns.is_null("jd")).any():
        raise AlertRejected("missing_field:prv_candidates.jd")
    if (detection & ~np.isfinite(jd)).any():
        raise AlertRejected("bad_value:prv_candidates.jd")
    limit = magpsf_null & np.isfinite(jd) & np.isfinite(diffmaglim)
    kept = np.flatnonzero(detection | limit)  # every own row: candidates are detections
    detection, own = detection[kept], origin[kept] == ORIGIN_CODES["alert"]

    def reason(field: str) -> Callable[[int], str]:  # of a row of the kept ones
        return lambda row: f"bad_value:{'candidate' if own[row] else 'prv_candidates'}.{field}"

    fid, fid_null = columns.ints("fid")[kept], columns.is_null("fid")[kept]
    channel = np.where(
        detection,
        lookup_small_ints(fid, fid_null, _ZTF_CHANNELS["det"], detection, reason("fid")),
        lookup_small_ints(fid, fid_null, _ZTF_CHANNELS["lim"], ~detection, reason("fid")),
    )
    codes, distinct = columns.texts("isdiffpos")
    is_positive = lookup_codes(
        codes[kept], distinct, _ISDIFFPOS_IS_POSITIVE, detection, reason("isdiffpos")
    )
    positive = detection & (is_positive == 1)
    magpsf = magpsf[kept]
    sigmapsf = finite_or_nan(columns.floats("sigmapsf")[kept])
    amplitude = 10.0 ** (-0.4 * (magpsf - AB_ZERO_POINT_UJY))  # NaN for upper limits
    nan = np.full(len(kept), np.nan)
    alert_of_row = alert_of_row[kept]
    own_ids = np.array([alert.alert_id for alert in alerts], dtype=np.int64)
    alert_id_null = ~own & (~detection | columns.is_null("candid")[kept])
    alert_id = np.where(own, own_ids[alert_of_row], columns.ints("candid")[kept])
    points = point_table(
        mjd=jd_to_mjd(jd[kept]),
        channel=channel,
        flux=np.where(positive, amplitude, -amplitude),
        fluxerr=amplitude * REL_FLUX_PER_MAG_ERR * sigmapsf,
        mag=np.where(positive, magpsf, nan),
        magerr=np.where(positive, sigmapsf, nan),
        limiting_mag=np.where(detection, nan, diffmaglim[kept]),
        origin=origin[kept],
        alert_id=np.where(alert_id_null, 0, alert_id),
        alert_id_null=alert_id_null,
    )
    return per_alert(points, alert_of_row, len(alerts))


def _ztf_cutouts(record: dict[str, Any]) -> Cutouts:
    stored: dict[str, bytes] = {}
    for kind, name in ZTF_CUTOUTS:
        block = record.get(name)
        data = block.get("stampData") if isinstance(block, dict) else block
        if data:
            stored[kind] = data
    return Cutouts(stored)


def _ztf_annotations(record: dict[str, Any], candidate: dict[str, Any]) -> dict[str, Any]:
    annotations: dict[str, Any] = {}
    for key, value in record.items():
        if key in ZTF_CORE_FIELDS or key in ZTF_SKIPPED_ANNOTATIONS:
            continue
        if isinstance(value, dict):
            flatten_into(annotations, key, value)
        elif not isinstance(value, (list, bytes)):
            annotations[key] = json_safe(value)
    for key in ZTF_CANDIDATE_ANNOTATIONS:
        if key in candidate:
            annotations[f"candidate_{key}"] = json_safe(candidate[key])
    return annotations


def _ztf_classification(
    record: dict[str, Any], topic: str | None
) -> tuple[str, float | None] | None:
    label = record.get("finkclass") or classification_from_topic(topic)
    if not label:
        return None
    topic_label = classification_from_topic(topic)
    score_field = ZTF_CLASS_PROBABILITY_FIELD.get(label)
    if topic_label == "Kilonova candidate" and label in ("Kilonova candidate", "Unknown"):
        # Kilonova topics are the reason we carry rf_kn_vs_nonkn at all.
        score_field = "rf_kn_vs_nonkn"
    probability = finite_or_none(record.get(score_field)) if score_field else None
    if probability is not None and not 0.0 <= probability <= 1.0:
        probability = None
    return label, probability


def ztf_fields(record: Any, topic: str | None) -> tuple[dict[str, Any], OwnSource]:
    """A Fink ZTF alert (schema 4.x) checked and normalized but for its photometry: the
    other :class:`NormalizedAlert` fields, and what :func:`ztf_photometry` reads.

    Raises :class:`AlertRejected` when the record is not usable.
    """
    if not isinstance(record, dict) or ("candidate" not in record and "objectId" not in record):
        raise AlertRejected("wrong_schema", "not a ZTF alert (no candidate/objectId)")
    object_id = require(record, "objectId", "objectId")
    candidate = require(record, "candidate", "candidate")
    if not isinstance(candidate, dict):
        raise AlertRejected("wrong_schema", "candidate is not a record")
    candid = record.get("candid")
    if candid is None:
        candid = require(candidate, "candid", "candidate.candid")
    for name in ("jd", "fid", "ra", "dec", "magpsf", "isdiffpos"):
        require(candidate, name, f"candidate.{name}")
    ra, dec = check_coordinates(candidate["ra"], candidate["dec"])
    if not is_finite(candidate["magpsf"]):
        raise AlertRejected("bad_value:candidate.magpsf", repr(candidate["magpsf"]))
    roid = record.get("roid")
    fields = {
        "survey": "ztf",
        "topic": topic,
        "alert_id": int(candid),
        "object_name": str(object_id),
        "ra": ra,
        "dec": dec,
        "mjd": jd_to_mjd(candidate["jd"]),
        # roid: 2 = Fink solar-system candidate, 3 = known MPC object (ssnamenr).
        "is_solar_system": roid in (2, 3),
        "classification": _ztf_classification(record, topic),
        "annotations": _ztf_annotations(record, candidate),
        "cutouts": _ztf_cutouts(record),
        "raw": record,
    }
    return fields, OwnSource(record, candidate, int(candid))
