"""Ingesting the real Fink files creates exactly the targets and photometry points the
Avro records hold, counted here independently of the parser."""

import math

from tom_targets.models import Target

from sources.models import Candidate, Photometry
from tests.brokers.conftest import avro_records


def ztf_expected(records):
    targets, points = set(), set()
    for record in records:
        name = record["objectId"]
        targets.add(name)
        candidate = record["candidate"]
        # Detections are identified by their candid, upper limits by time and band.
        points.add((name, "det", candidate["fid"], round(candidate["jd"], 6), record["candid"]))
        for entry in record["prv_candidates"] or []:
            if entry.get("magpsf") is not None:
                if math.isfinite(entry["magpsf"]):
                    identity = (name, "det", entry["fid"], round(entry["jd"], 6), entry["candid"])
                    points.add(identity)
            elif entry.get("diffmaglim") is not None and math.isfinite(entry["diffmaglim"]):
                points.add((name, "lim", entry["fid"], round(entry["jd"], 6)))
    return targets, points


def lsst_name(record):
    for block in ("mpc_orbits", "ssSource"):
        if (record.get(block) or {}).get("designation"):
            return record[block]["designation"]
    return str(record["diaSource"]["diaObjectId"])


def lsst_expected(records):
    targets, points = set(), set()
    for record in records:
        name = lsst_name(record)
        targets.add(name)
        sources = [record["diaSource"], *(record.get("prvDiaSources") or [])]
        for source in sources:
            if source.get("psfFlux") is not None and math.isfinite(source["psfFlux"]):
                # Detections by diaSourceId: the file has two in one visit.
                time = round(source["midpointMjdTai"], 6)
                points.add((name, "det", source["band"], time, source["diaSourceId"]))
        for source in record.get("prvDiaForcedSources") or []:
            if source.get("psfFlux") is not None and math.isfinite(source["psfFlux"]):
                points.add((name, "fp", source["band"], round(source["midpointMjdTai"], 6)))
    return targets, points


def test_it_creates_every_ztf_target_and_point_once(ztf_file, ingested_ztf):
    targets, points = ztf_expected(avro_records(ztf_file))
    assert set(Target.objects.values_list("name", flat=True)) == targets
    assert Photometry.objects.count() == len(points)
    assert Photometry.objects.filter(limiting_mag__isnull=False).count() == sum(
        1 for p in points if p[1] == "lim"
    )
    assert ingested_ztf.new_targets == len(targets)
    assert ingested_ztf.new_photometry == len(points)
    assert ingested_ztf.ingested == Candidate.objects.count() == 31


def test_it_creates_every_lsst_target_and_point_once(lsst_file, ingested_lsst):
    records = avro_records(lsst_file)
    targets, points = lsst_expected(records)
    assert set(Target.objects.values_list("name", flat=True)) == targets
    assert Photometry.objects.count() == len(points)
    assert Photometry.objects.filter(origin="forced").count() == sum(
        1 for p in points if p[1] == "fp"
    )
    assert ingested_lsst.new_photometry == len(points)
    assert Candidate.objects.count() == len(records)
