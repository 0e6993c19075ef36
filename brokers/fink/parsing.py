"""Normalization of Fink ZTF and LSST alerts into one survey-independent form.

This module is the entry point of the Django-free core of the Fink pipeline: it turns decoded Avro
records (``dict``), a batch at a time (:func:`parse_alerts`), into the
:class:`NormalizedAlert` objects that the ingest service writes in bulk. It must stay
cheap (the ingest budget is >= 1,000 ZTF and >= 250 LSST alerts/s on two cores), so it
imports nothing heavy, builds only slotted dataclasses and computes the photometry of
a whole batch with one numpy pass.

The pieces: :mod:`~brokers.fink.photometry` (units, measurement key, batch arrays),
:mod:`~brokers.fink.alert` (:class:`NormalizedAlert`, cutouts),
:mod:`~brokers.fink.ztf` and :mod:`~brokers.fink.lsst` (one parser per survey),
:mod:`~brokers.fink.taxonomy`, :mod:`~brokers.fink.errors`; decoding Avro is
:mod:`~brokers.fink.avrodecode`, reading Avro files :mod:`~brokers.fink.files`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from brokers.fink.alert import NormalizedAlert, Survey, detect_survey
from brokers.fink.errors import PARSER_ERRORS, AlertRejected, as_rejection
from brokers.fink.lsst import lsst_fields, lsst_photometry
from brokers.fink.photometry import OwnSource, PhotometryTable
from brokers.fink.ztf import ztf_fields, ztf_photometry

__all__ = ["detect_survey", "parse_alert", "parse_alerts"]

_PARSERS: dict[Survey, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "ztf": (ztf_fields, ztf_photometry),
    "lsst": (lsst_fields, lsst_photometry),
}


def _photometry_each(
    photometry: Callable[[Sequence[OwnSource]], list[PhotometryTable]],
    alerts: Sequence[OwnSource],
) -> list[PhotometryTable | AlertRejected]:
    """``photometry`` of each alert, computed for the whole batch at once; where that
    fails, for each half in turn, down to the alert that fails (its rejection)."""
    try:
        return photometry(alerts)
    except (AlertRejected, *PARSER_ERRORS) as exc:
        if len(alerts) == 1:
            return [as_rejection(exc)]
    half = len(alerts) // 2
    return _photometry_each(photometry, alerts[:half]) + _photometry_each(photometry, alerts[half:])


def parse_alerts(
    records: Sequence[Any], survey: Survey | None, topics: Sequence[str | None]
) -> list[NormalizedAlert | AlertRejected]:
    """Normalize decoded Fink alerts of ``survey`` (each guessed from its shape if
    ``None``), ``topics[i]`` being the topic of ``records[i]``: for each record, its
    :class:`NormalizedAlert` or the :class:`AlertRejected` saying why it is not one.

    The photometry of the whole batch is computed at once (numpy's cost per call would
    otherwise exceed the arithmetic). A record of the other survey, or of neither, is
    rejected as ``wrong_schema``; an unexpected error inside the parser is reported as
    ``bad_value:<exception>``, so that one strange record is quarantined rather than
    stopping a stream.
    """
    results: list[NormalizedAlert | AlertRejected | None] = [None] * len(records)
    pending: dict[Survey, list[tuple[int, dict[str, Any], OwnSource]]] = {}
    for index, (record, topic) in enumerate(zip(records, topics, strict=True)):
        record_survey = survey or detect_survey(record)
        if record_survey not in _PARSERS:
            results[index] = AlertRejected(
                "wrong_schema", f"unrecognized alert (survey={record_survey!r})"
            )
            continue
        try:
            fields, own_source = _PARSERS[record_survey][0](record, topic)
        except (AlertRejected, *PARSER_ERRORS) as exc:
            results[index] = as_rejection(exc)
        else:
            pending.setdefault(record_survey, []).append((index, fields, own_source))
    for record_survey, parsed in pending.items():
        photometry = _photometry_each(_PARSERS[record_survey][1], [p[2] for p in parsed])
        for (index, fields, _), table in zip(parsed, photometry, strict=True):
            if isinstance(table, AlertRejected):
                results[index] = table
            else:
                results[index] = NormalizedAlert(**fields, photometry=table)
    return results  # type: ignore[return-value]


def parse_alert(
    record: dict[str, Any], survey: Survey | None = None, topic: str | None = None
) -> NormalizedAlert:
    """Normalize one decoded Fink alert (see :func:`parse_alerts`); raises
    :class:`AlertRejected` when the record is not usable."""
    (result,) = parse_alerts([record], survey, [topic])
    if isinstance(result, AlertRejected):
        raise result
    return result
