"""Avro container files of Fink alerts: reading them (records with their own bytes, damage
reported as a rejection) and ingesting them through the stream's path: parse each batch
of records, quarantine what cannot be parsed, write batches with
:func:`brokers.fink.ingest.ingest_batch`."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

import fastavro
from django.conf import settings

from brokers.fink.avrodecode import AlertDecoder
from brokers.fink.bootstrap import DEFAULT_GROUP
from brokers.fink.errors import AlertRejected
from brokers.fink.ingest import IngestReport, ReceivedAlert, RejectedRecord, ingest_batch
from brokers.fink.parsing import parse_alerts
from icare_tom.streams import QUARANTINE_PREFIX_BYTES

DEFAULT_BATCH_SIZE = 500
# Files above settings.ICARE_MAX_ALERT_FILE_BYTES are refused before they are read; the
# quarantine keeps the first QUARANTINE_PREFIX_BYTES of a refused or damaged file.


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
    max_file_bytes: int | None = None,
    on_problem: Callable[[str, str, str], None] | None = None,
) -> tuple[IngestReport, list[str]]:
    """Ingest Avro files; return the summed report and the paths that could not be opened.

    A damaged file is ingested up to the damage; the damage itself (truncated, not Avro)
    becomes a quarantined record holding the file's bytes from where reading stopped
    (or the whole file when nothing could be read).

    A file larger than ``max_file_bytes`` (default ``settings.ICARE_MAX_ALERT_FILE_BYTES``)
    is refused before it is read ("too_large"); the
    quarantine keeps the first ``QUARANTINE_PREFIX_BYTES`` of a refused or damaged file and
    its SHA-256 in the detail. ``on_problem(path, reason, detail)`` is told of each.
    """
    topic = topic or default_topic(survey)
    if max_file_bytes is None:
        max_file_bytes = settings.ICARE_MAX_ALERT_FILE_BYTES
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

    def problem(path, reason: str, detail: str) -> None:
        if on_problem is not None:
            on_problem(str(path), reason, detail)

    for path in paths:
        try:
            size = os.stat(path).st_size
            prefix, digest = _prefix_and_digest(path)
        except OSError as exc:
            unreadable.append(str(path))
            problem(path, "unreadable", str(exc))
            continue
        if size > max_file_bytes:
            detail = f"{path}: {size} bytes > {max_file_bytes}; sha256 {digest}"
            rejected.append(RejectedRecord(raw=prefix, reason="too_large", detail=detail))
            problem(path, "too_large", detail)
            flush()
            continue
        consumed = 0
        for index, item in enumerate(read_avro_file_with_bytes(Path(path), complete=False)):
            if isinstance(item, AlertRejected):
                detail = f"{path} (after record {index}): {item.detail}; sha256 {digest}"
                problem(path, item.reason, detail)
                rejected.append(
                    RejectedRecord(
                        raw=prefix if consumed == 0 else b"",
                        reason=item.reason,
                        detail=detail,
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


def _prefix_and_digest(path) -> tuple[bytes, str]:
    """The first bytes of a file and the SHA-256 of all of it, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        prefix = stream.read(QUARANTINE_PREFIX_BYTES)
        digest.update(prefix)
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return prefix, digest.hexdigest()


AVRO_MAGIC = b"Obj\x01"


def _at_end(stream: IO[bytes]) -> bool:
    try:
        return stream.read(1) == b""
    except (OSError, ValueError):
        return True


def read_avro_file(path_or_fileobj: str | Path | IO[bytes]) -> Iterator[dict | AlertRejected]:
    """Yield the records of an Avro container file (every field), then a rejection if it
    is damaged; see :func:`read_avro_file_with_bytes`."""
    for item in read_avro_file_with_bytes(path_or_fileobj, complete=True):
        yield item if isinstance(item, AlertRejected) else item[0]


def read_avro_file_with_bytes(
    path_or_fileobj: str | Path | IO[bytes], *, complete: bool = True
) -> Iterator[tuple[dict, bytes] | AlertRejected]:
    """Yield ``(record, raw)`` for each record of an Avro container file, where ``raw``
    is the record's own schemaless Avro encoding (what Fink sends as a Kafka message
    value), sliced from the container block without re-encoding: the ingest archives it.

    ``complete=False`` decodes history entries to the fields the ingest reads only
    (:class:`brokers.fink.avrodecode.AlertDecoder`). Records decoded before any damage
    are yielded; a truncated file ends with ``AlertRejected('truncated')``, bytes that
    are not Avro with ``AlertRejected('undecodable')``. Never raises for bad content
    (an unreadable path still raises ``OSError``).
    """
    if isinstance(path_or_fileobj, (str, Path)):
        with open(path_or_fileobj, "rb") as stream:
            yield from read_avro_file_with_bytes(stream, complete=complete)
        return
    stream = path_or_fileobj
    magic = stream.read(len(AVRO_MAGIC))
    if len(magic) < len(AVRO_MAGIC):
        yield AlertRejected("truncated" if magic else "undecodable", "file shorter than a header")
        return
    if magic != AVRO_MAGIC:
        yield AlertRejected("undecodable", "not an Avro container (bad magic)")
        return
    if stream.seekable():
        stream.seek(stream.tell() - len(AVRO_MAGIC))
    else:  # sockets, pipes: fastavro needs the magic again
        stream = io.BytesIO(magic + stream.read())
    try:
        blocks = fastavro.block_reader(stream)
        decoder = AlertDecoder(blocks.writer_schema)
    except Exception as exc:  # fastavro raises many types on bad headers
        yield AlertRejected("truncated" if _at_end(stream) else "undecodable", str(exc))
        return
    block_iter = iter(blocks)
    while True:
        try:
            block = next(block_iter)
            data = block.bytes_.getvalue()
            decoded, start = [], 0
            for _ in range(block.num_records):
                record, end = decoder.decode_at(data, start, complete=complete)
                decoded.append((record, data[start:end]))
                start = end
        except StopIteration:
            return
        except EOFError as exc:
            yield AlertRejected("truncated", str(exc))
            return
        except AlertRejected as exc:
            truncated = exc.reason == "truncated" or _at_end(stream)
            yield AlertRejected("truncated" if truncated else exc.reason, exc.detail)
            return
        except Exception as exc:  # corrupted blocks raise arbitrary errors
            yield AlertRejected("truncated" if _at_end(stream) else "undecodable", str(exc))
            return
        yield from decoded
