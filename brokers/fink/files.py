"""Ingest of Avro container files (one or many alerts each) through the stream's path:
parse each batch of records, quarantine what cannot be parsed, write batches with
:func:`brokers.fink.ingest.ingest_batch`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from brokers.fink.bootstrap import DEFAULT_GROUP
from brokers.fink.ingest import IngestReport, ReceivedAlert, RejectedRecord, ingest_batch
from brokers.fink.parsing import AlertRejected, parse_alerts, read_avro_file_with_bytes

DEFAULT_BATCH_SIZE = 500


def default_topic(survey: str) -> str:
    """Topic name given to alerts read from files when none is given."""
    return f"fink_{survey}_files"


def ingest_files(
    paths: Iterable[str | Path],
    *,
    survey: str,
    topic: str | None = None,
    group_name: str = DEFAULT_GROUP,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> tuple[IngestReport, list[str]]:
    """Ingest Avro files; return the summed report and the paths that could not be opened.

    A damaged file is ingested up to the damage; the damage itself (truncated, not Avro)
    becomes a quarantined record holding the file's bytes from where reading stopped
    (or the whole file when nothing could be read).
    """
    topic = topic or default_topic(survey)
    report = IngestReport()
    unreadable: list[str] = []
    rejected: list[RejectedRecord] = []
    # Decoded records of the batch being gathered: (record, raw, index, path).
    records: list[tuple[dict, bytes, int, str]] = []

    def flush() -> None:
        parsed = parse_alerts([r[0] for r in records], survey, [topic] * len(records))
        alerts = []
        for (_, raw, index, path), alert in zip(records, parsed, strict=True):
            if isinstance(alert, AlertRejected):
                rejected.append(
                    RejectedRecord(
                        raw=raw,
                        reason=alert.reason,
                        detail=f"{path} record {index}: {alert.detail}",
                        topic=topic,
                        offset=index,
                    )
                )
            else:
                alerts.append(ReceivedAlert(alert=alert, raw=raw, topic=topic, offset=index))
        if alerts or rejected:
            report.merge(ingest_batch(alerts, rejected, survey=survey, group_name=group_name))
        records.clear()
        rejected.clear()

    for path in paths:
        try:
            with open(path, "rb") as stream:
                file_bytes = stream.read()
        except OSError:
            unreadable.append(str(path))
            continue
        consumed = 0
        for index, item in enumerate(read_avro_file_with_bytes(Path(path), complete=False)):
            if isinstance(item, AlertRejected):
                rejected.append(
                    RejectedRecord(
                        raw=file_bytes if consumed == 0 else b"",
                        reason=item.reason,
                        detail=f"{path} (after record {index}): {item.detail}",
                        topic=topic,
                        offset=index,
                    )
                )
            else:
                consumed += 1
                records.append((*item, index, str(path)))
            if len(records) + len(rejected) >= batch_size:
                flush()
    flush()
    return report, unreadable
