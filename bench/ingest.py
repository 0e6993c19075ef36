"""Ingest throughput: Avro bytes → committed rows (histories included), against the budgets
(>= 1,000 ZTF alerts/s, >= 250 LSST alerts/s) and against the per-point ``get_or_create``
path TOM data services use (>= 30x), on the same alerts in the same run.

Alerts: the real Fink sample files (``../shared/data/fink``, 31 ZTF and 7 LSST alerts)
replicated with fresh object and alert ids until there is enough volume, and simulator
alerts; each is encoded as Fink's Kafka message value (schemaless Avro), which is what
the consumer hands to the decoder.

Pipelines timed (wall clock, from bytes to COMMIT):

* ``serial``: what ``fink_stream`` does: decode and normalize a batch (the compiled
  projecting decoder of ``brokers.fink.avrodecode``, then ``parse_alerts``), then store
  it with ``ingest_batch``, in turn; batches of 500 ZTF or 200 LSST alerts;
* ``overlapped``, for the record: this thread decodes batch k+1 while one writer thread
  stores batch k (no faster on two cores: the threads contend for the GIL);
* ``fastavro``: one process decoding with plain fastavro (the decoder the parser author
  measured), for the record;
* ``get_or_create``: fastavro decode, then ``Target.objects.get_or_create`` and one
  ``Photometry.objects.get_or_create`` per point (autocommit), on a subset.

Runs on a scratch database ``<DATABASE NAME>_bench_ingest`` (created and migrated on
first use, emptied at start).

    .venv/bin/python bench/ingest.py            # 5,000 ZTF + 1,000 LSST alerts per pipeline
    .venv/bin/python bench/ingest.py --short    # 1,500 ZTF + 600 LSST
"""

from __future__ import annotations

import argparse
import copy
import io
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icare_tom.settings")
from bench.benchdb import scratch_test_database, setup_django  # noqa: E402

SHARED_DATA = Path(os.environ.get("ICARE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
REAL_FILES = {
    "ztf": SHARED_DATA / "fink" / "ztf" / "part-3-305711.avro",
    "lsst": SHARED_DATA / "fink" / "lsst" / "part-2-918301.avro",
}
BUDGET = {"ztf": 1000.0, "lsst": 250.0}
RATIO_BUDGET = 30.0
BATCH = {"ztf": 500, "lsst": 200}  # as config/fink_{ztf,lsst}.yaml
TOPIC = {"ztf": "fink_bench_ztf", "lsst": "fink_bench_lsst"}

# --------------------------------------------------------------------------- alerts


def _replicate_ztf(record: dict, copy_index: int, alert_id: int) -> dict:
    out = copy.copy(record)
    out["objectId"] = f"{record['objectId']}_b{alert_id}"
    out["candid"] = alert_id
    out["candidate"] = {**record["candidate"], "candid": alert_id}
    return out


def _replicate_lsst(record: dict, copy_index: int, alert_id: int) -> dict:
    out = copy.copy(record)
    if "diaSourceId" in out:  # Fink copies the alert id to the top level
        out["diaSourceId"] = alert_id
    source = dict(record["diaSource"])
    source["diaSourceId"] = alert_id
    if source.get("diaObjectId"):
        source["diaObjectId"] = alert_id  # one fresh object per replicated alert
    out["diaSource"] = source
    if isinstance(out.get("diaObject"), dict) and out["diaObject"].get("diaObjectId"):
        out["diaObject"] = {**out["diaObject"], "diaObjectId": source["diaObjectId"]}
    for block in ("ssSource", "mpc_orbits"):
        if isinstance(out.get(block), dict) and out[block].get("designation"):
            out[block] = {**out[block], "designation": f"{out[block]['designation']} b{alert_id}"}
    return out


def real_values(survey: str, n: int, first_alert_id: int) -> tuple[dict, list[bytes]]:
    """``n`` Kafka values made from the real file's alerts with fresh ids; and the schema."""
    import fastavro

    with open(REAL_FILES[survey], "rb") as stream:
        reader = fastavro.reader(stream)
        schema = reader.writer_schema
        records = list(reader)
    parsed = fastavro.parse_schema(schema)
    replicate = _replicate_ztf if survey == "ztf" else _replicate_lsst
    values = []
    for i in range(n):
        record = replicate(records[i % len(records)], i // len(records), first_alert_id + i)
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed, record)
        values.append(buffer.getvalue())
    return schema, values


def simulated_values(survey: str, n: int, seed: int) -> tuple[dict, list[bytes]]:
    from brokers.fink.simulator import encode_alert, generate_alerts, load_schema

    values = [encode_alert(r, survey)[1] for r in generate_alerts(survey, n, seed=seed)]
    return load_schema(survey), values


# --------------------------------------------------------------------------- decoding

_decoding: dict = {}


def _worker_init(schema: dict, survey: str, plain_fastavro: bool) -> None:
    from brokers.fink.wire import SchemaCache

    _decoding.update(cache=SchemaCache(default=schema), survey=survey, complete=plain_fastavro)


def _decode_chunk(chunk: list[bytes]):
    """Decode and normalize as ``fink_stream`` does (its ``poll_batch``)."""
    from brokers.fink.errors import AlertRejected
    from brokers.fink.ingest import ReceivedAlert, RejectedRecord
    from brokers.fink.parsing import parse_alerts
    from brokers.fink.wire import decode_message

    cache, survey, complete = _decoding["cache"], _decoding["survey"], _decoding["complete"]
    topic = TOPIC[survey]
    alerts, rejected = [], []
    records = [decode_message(v, None, schema_cache=cache, complete=complete) for v in chunk]
    parsed = parse_alerts(records, survey, [topic] * len(records))
    for value, alert in zip(chunk, parsed, strict=True):
        if isinstance(alert, AlertRejected):
            rejected.append(RejectedRecord(value, alert.reason, alert.detail, topic))
        else:
            alerts.append(ReceivedAlert(alert, value, topic))
    return alerts, rejected


def _chunks(values: list[bytes], size: int) -> Iterator[list[bytes]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def run_pipeline(survey: str, schema: dict, values: list[bytes], mode: str) -> tuple[float, dict]:
    """Alerts/s from bytes to committed rows, and the summed ingest report."""
    from django import db

    from brokers.fink.ingest import IngestReport, ingest_batch

    def store(chunk_alerts: tuple[list, list]) -> IngestReport:
        return ingest_batch(*chunk_alerts, survey=survey, group_name="Bench")

    report = IngestReport()
    _worker_init(schema, survey, plain_fastavro=mode == "fastavro")
    started = time.perf_counter()
    if mode == "overlapped":
        # As fink_stream does: one writer thread stores chunk k while this thread decodes
        # chunk k+1.
        with ThreadPoolExecutor(1) as writer:
            in_flight = None
            for chunk in _chunks(values, BATCH[survey]):
                decoded = _decode_chunk(chunk)
                if in_flight is not None:
                    report.merge(in_flight.result())
                in_flight = writer.submit(store, decoded)
            if in_flight is not None:
                report.merge(in_flight.result())
            writer.submit(db.connections.close_all).result()
    else:
        for chunk in _chunks(values, BATCH[survey]):
            report.merge(store(_decode_chunk(chunk)))
    elapsed = time.perf_counter() - started
    assert report.quarantined == 0, report
    return len(values) / elapsed, report.as_dict()


def run_get_or_create(survey: str, schema: dict, values: list[bytes]) -> tuple[float, int]:
    """The per-point path: fastavro decode, Target get_or_create, Photometry get_or_create."""
    from tom_targets.models import Target

    from sources.models import Photometry

    _worker_init(schema, survey, plain_fastavro=True)
    started = time.perf_counter()
    points = 0
    for value in values:
        alerts, _ = _decode_chunk([value])
        alert = alerts[0].alert
        target, _ = Target.objects.get_or_create(
            name=alert.object_name,
            defaults={"ra": alert.ra, "dec": alert.dec, "type": "SIDEREAL", "epoch": 2000.0},
        )
        for p in alert.photometry:
            Photometry.objects.get_or_create(
                target=target,
                measurement_key=p.measurement_key,
                detection_id=p.detection_id,
                defaults={
                    "mjd": p.mjd, "band": p.band, "instrument": p.instrument, "flux": p.flux,
                    "fluxerr": p.fluxerr, "mag": p.mag, "magerr": p.magerr,
                    "limiting_mag": p.limiting_mag, "origin": p.origin, "alert_id": p.alert_id,
                },
            )  # fmt: skip
            points += 1
    return len(values) / (time.perf_counter() - started), points


# --------------------------------------------------------------------------- database


def scratch_database() -> None:
    """Point Django at ``<NAME>_bench_ingest`` (migrated on first use) and empty it."""
    from django.db import connection

    scratch_test_database("bench_ingest")
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE tom_targets_basetarget, sources_photometry, sources_candidate, "
            "sources_classification, sources_cutout, sources_targetsummary, "
            "accounts_targetgroupobjectpermission, brokers_archivedalert, "
            "brokers_quarantinedalert CASCADE"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="fewer alerts")
    parser.add_argument("--survey", choices=["ztf", "lsst"], action="append", help="default both")
    args = parser.parse_args()
    n_alerts = {"ztf": 1500, "lsst": 600} if args.short else {"ztf": 5000, "lsst": 1000}
    n_baseline = {"ztf": 100, "lsst": 10} if args.short else {"ztf": 300, "lsst": 30}

    setup_django()
    from brokers.fink.avrodecode import compiled_decoder_available

    scratch_database()
    from brokers.fink.ingest import tune_garbage_collector

    tune_garbage_collector()  # as fink_stream does
    compiled = compiled_decoder_available()
    print(f"compiled projecting decoder: {'yes' if compiled else 'NO (fastavro fallback)'}")
    print(f"cores: {os.cpu_count()}, batch sizes {BATCH}")
    failures = []
    next_id = 10**15
    for survey in args.survey or ("ztf", "lsst"):
        if not REAL_FILES[survey].exists():
            print(f"{survey}: real sample {REAL_FILES[survey]} absent, skipped")
            continue
        n = n_alerts[survey]
        # Untimed: one batch loads the compiled helpers and warms both processes' caches,
        # so that no pipeline pays for being timed first.
        schema, values = real_values(survey, BATCH[survey], next_id)
        next_id += BATCH[survey]
        run_pipeline(survey, schema, values, "serial")
        results = {}
        for mode in ("serial", "overlapped", "fastavro"):
            count = n if mode != "fastavro" else max(n // 10, 20)
            schema, values = real_values(survey, count, next_id)
            next_id += count
            rate, report = run_pipeline(survey, schema, values, mode)
            results[mode] = rate
            print(
                f"{survey} real x{count:>5} {mode:>9}: {rate:8.1f} alerts/s  "
                f"({report['new_targets']} new targets, "
                f"{report['new_photometry'] / count:.0f} new points/alert)"
            )
        schema, values = real_values(survey, n_baseline[survey], next_id)
        next_id += n_baseline[survey]
        baseline, points = run_get_or_create(survey, schema, values)
        print(
            f"{survey} real x{len(values):>5} get_or_create: {baseline:8.1f} alerts/s "
            f"({points} points, one round trip each)"
        )
        rate = results["serial"]
        ratio = rate / baseline
        print(
            f"{survey}: fink_stream's path {rate:.1f} alerts/s vs budget {BUDGET[survey]:.0f} "
            f"({rate / BUDGET[survey]:.2f}x) - {'MET' if rate >= BUDGET[survey] else 'MISSED'}; "
            f"vs get_or_create {ratio:.1f}x (budget {RATIO_BUDGET:.0f}x) - "
            f"{'MET' if ratio >= RATIO_BUDGET else 'MISSED'}; "
            f"vs fastavro serial {rate / results['fastavro']:.1f}x"
        )
        if rate < BUDGET[survey]:
            failures.append(f"{survey} throughput")
        if ratio < RATIO_BUDGET:
            failures.append(f"{survey} ratio")
        schema, values = simulated_values(survey, n // 2, seed=next_id % 1000)
        rate, report = run_pipeline(survey, schema, values, "serial")
        print(
            f"{survey} simulated x{len(values):>5}    serial: {rate:8.1f} alerts/s "
            f"({report['new_photometry'] / len(values):.0f} new points/alert; simulator "
            "objects recur, so histories overlap)"
        )
    print("budgets:", "all met" if not failures else "missed: " + ", ".join(failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
