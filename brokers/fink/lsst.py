"""Fink LSST alerts (lsst.v10 + Fink blocks): fields, solar-system names, annotations,
cutouts and batch photometry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from brokers.fink.alert import (
    Cutouts,
    check_coordinates,
    finite_or_none,
    flatten_into,
    json_safe,
    require,
)
from brokers.fink.errors import AlertRejected
from brokers.fink.photometry import (
    AB_ZERO_POINT_NJY,
    LSST_BANDS,
    MAG_ERR_PER_REL_FLUX,
    MEASUREMENT_CHANNELS,
    ORIGIN_CODES,
    OwnSource,
    PhotometryTable,
    finite_or_nan,
    lookup_codes,
    per_alert,
    point_table,
    stack_rows,
)
from brokers.fink.taxonomy import LSST_CATS_CLASSES, classification_from_topic

LSST_ANNOTATED_BLOCKS = ("clf", "xm", "pred", "misc")
LSST_TOP_ANNOTATIONS = (
    "observation_reason",
    "target_name",
    "tns_type_recomputed",
    "brokerIngestMjd",
    "lsst_schema_version",
    "fink_broker_version",
    "fink_science_version",
    "brokerStartProcessTimestamp",
    "brokerEndProcessTimestamp",
    "timestamp",
)
LSST_SOURCE_ANNOTATIONS = (
    "reliability",
    "snr",
    "extendedness",
    "isDipole",
    "isNegative",
    "visit",
    "detector",
)
LSST_CUTOUTS = (
    ("science", "cutoutScience"),
    ("template", "cutoutTemplate"),
    ("difference", "cutoutDifference"),
)
NULL_DESIGNATIONS = frozenset({"", "null", "None", "nan"})


_LSST_CHANNELS = {
    kind: {letter: MEASUREMENT_CHANNELS[band, kind] for letter, band in LSST_BANDS.items()}
    for kind in ("det", "fp")
}


def lsst_photometry(alerts: Sequence[OwnSource]) -> list[PhotometryTable]:
    """Per alert of a batch: its own source, ``prvDiaSources`` (history) and
    ``prvDiaForcedSources``, in that order, skipping entries without a finite
    ``psfFlux`` or time: flux and error nJy → µJy, zero and negative fluxes kept, AB
    magnitude (zero point 31.4 in nJy) where the flux is positive. Raises
    :class:`AlertRejected` for the first alert with a bad value."""
    columns, alert_of_row, origin = stack_rows(alerts, ("prvDiaSources", "prvDiaForcedSources"))
    own = origin == ORIGIN_CODES["alert"]
    forced = origin == ORIGIN_CODES["forced"]
    paths = ("diaSource", "prvDiaSources", "prvDiaForcedSources")

    def reason(row: int) -> str:
        return f"bad_value:{paths[origin[row]]}.band"

    mjd = columns.floats("midpointMjdTai")
    flux_njy = columns.floats("psfFlux")
    kept = np.isfinite(mjd) & np.isfinite(flux_njy)
    own_dropped = own & ~kept
    if own_dropped.any():
        row = int(np.argmax(own_dropped))
        if not np.isfinite(mjd[row]):
            raise AlertRejected("bad_value:diaSource.midpointMjdTai", repr(float(mjd[row])))
        raise AlertRejected("missing_field:diaSource.psfFlux")
    codes, distinct = columns.texts("band")
    channel = np.where(
        forced,
        lookup_codes(codes, distinct, _LSST_CHANNELS["fp"], kept & forced, reason),
        lookup_codes(codes, distinct, _LSST_CHANNELS["det"], kept & ~forced, reason),
    )
    kept = np.flatnonzero(kept)
    mjd, flux_njy, own = mjd[kept], flux_njy[kept], own[kept]
    err_njy = finite_or_nan(columns.floats("psfFluxErr")[kept])
    positive = flux_njy > 0.0
    nan = np.full(len(kept), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(positive, AB_ZERO_POINT_NJY - 2.5 * np.log10(flux_njy), nan)
        magerr = np.where(positive, MAG_ERR_PER_REL_FLUX * err_njy / flux_njy, nan)
    alert_of_row = alert_of_row[kept]
    own_ids = np.array([alert.alert_id for alert in alerts], dtype=np.int64)
    alert_ids = np.where(own, own_ids[alert_of_row], columns.ints("diaSourceId")[kept])
    alert_id_null = ~own & (columns.is_null("diaSourceId")[kept] | forced[kept])
    points = point_table(
        mjd=mjd, channel=channel[kept], flux=flux_njy / 1000.0, fluxerr=err_njy / 1000.0,
        mag=mag, magerr=magerr, limiting_mag=nan, origin=origin[kept], alert_id=alert_ids,
        alert_id_null=alert_id_null,
    )  # fmt: skip
    return per_alert(points, alert_of_row, len(alerts))


def _lsst_designation(record: dict[str, Any]) -> str | None:
    for block_name in ("mpc_orbits", "ssSource"):
        block = record.get(block_name)
        if isinstance(block, dict):
            designation = block.get("designation")
            if designation and str(designation).strip() not in NULL_DESIGNATIONS:
                return str(designation).strip()
    return None


def _lsst_is_solar_system(record: dict[str, Any], source: dict[str, Any]) -> bool:
    pred = record.get("pred")
    if isinstance(pred, dict) and pred.get("is_sso"):
        return True
    if source.get("ssObjectId"):
        return True
    ss_source = record.get("ssSource")
    return isinstance(ss_source, dict) and bool(ss_source.get("ssObjectId"))


def _lsst_classification(
    record: dict[str, Any], topic: str | None, is_solar_system: bool, designation: str | None
) -> tuple[str, float | None] | None:
    if is_solar_system:
        return ("Solar System MPC" if designation else "Solar System candidate"), None
    clf = record.get("clf") if isinstance(record.get("clf"), dict) else {}
    pred = record.get("pred") if isinstance(record.get("pred"), dict) else {}
    code = pred.get("main_label_classifier")
    if code is None:
        code = clf.get("cats_class")
    label = LSST_CATS_CLASSES.get(code)
    if label is not None:
        probability = finite_or_none(clf.get("cats_score"))
        if probability is not None and not 0.0 <= probability <= 1.0:
            probability = None
        return label, probability
    topic_label = classification_from_topic(topic)
    if topic_label is not None:
        return topic_label, None
    return "Unknown", None


def _lsst_annotations(record: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    annotations: dict[str, Any] = {}
    for block in LSST_ANNOTATED_BLOCKS:
        flatten_into(annotations, block, record.get(block))
    for key in LSST_TOP_ANNOTATIONS:
        if key in record:
            annotations[key] = json_safe(record[key])
    for key in LSST_SOURCE_ANNOTATIONS:
        if key in source:
            annotations[f"diaSource_{key}"] = json_safe(source[key])
    dia_object = record.get("diaObject")
    if isinstance(dia_object, dict) and dia_object.get("nDiaSources") is not None:
        annotations["diaObject_nDiaSources"] = dia_object["nDiaSources"]
    ss_source = record.get("ssSource")
    if isinstance(ss_source, dict) and ss_source.get("ssObjectId") is not None:
        annotations["ssSource_ssObjectId"] = ss_source["ssObjectId"]
        annotations["ssSource_designation"] = ss_source.get("designation")
    return annotations


def _lsst_cutouts(record: dict[str, Any]) -> Cutouts:
    stored: dict[str, bytes] = {}
    for kind, name in LSST_CUTOUTS:
        data = record.get(name)
        if isinstance(data, dict):
            data = data.get("stampData")
        if data:
            stored[kind] = data
    return Cutouts(stored)


def lsst_fields(record: Any, topic: str | None) -> tuple[dict[str, Any], OwnSource]:
    """A Fink LSST alert (lsst.v10 + Fink blocks) checked and normalized but for its
    photometry: the other :class:`NormalizedAlert` fields, and what
    :func:`lsst_photometry` reads.

    Raises :class:`AlertRejected` when the record is not usable.
    """
    if not isinstance(record, dict) or ("diaSource" not in record and "diaSourceId" not in record):
        raise AlertRejected("wrong_schema", "not an LSST alert (no diaSource/diaSourceId)")
    source = require(record, "diaSource", "diaSource")
    if not isinstance(source, dict):
        raise AlertRejected("wrong_schema", "diaSource is not a record")
    alert_id = record.get("diaSourceId")
    if alert_id is None:
        alert_id = require(source, "diaSourceId", "diaSource.diaSourceId")
    for name in ("midpointMjdTai", "ra", "dec", "band"):
        require(source, name, f"diaSource.{name}")
    ra, dec = check_coordinates(source["ra"], source["dec"])
    is_solar_system = _lsst_is_solar_system(record, source)
    designation = _lsst_designation(record)
    if is_solar_system and designation:
        object_name = designation
    else:
        dia_object_id = source.get("diaObjectId")
        if not dia_object_id:
            dia_object = record.get("diaObject")
            if isinstance(dia_object, dict):
                dia_object_id = dia_object.get("diaObjectId")
        if not dia_object_id:
            ss_object_id = source.get("ssObjectId")
            if not (is_solar_system and ss_object_id):
                raise AlertRejected("missing_field:diaSource.diaObjectId")
            # A solar-system source without a designation: Rubin's own SSO id.
            dia_object_id = f"ssObjectId:{ss_object_id}"
        object_name = str(dia_object_id)
    fields = {
        "survey": "lsst",
        "topic": topic,
        "alert_id": int(alert_id),
        "object_name": object_name,
        "ra": ra,
        "dec": dec,
        "mjd": float(source["midpointMjdTai"]),
        "is_solar_system": is_solar_system,
        "classification": _lsst_classification(record, topic, is_solar_system, designation),
        "annotations": _lsst_annotations(record, source),
        "cutouts": _lsst_cutouts(record),
        "raw": record,
    }
    return fields, OwnSource(record, source, int(alert_id))
