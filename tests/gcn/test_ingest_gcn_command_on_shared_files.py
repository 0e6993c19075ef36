"""ingest_gcn on every shared notice and map: expected events, tags, properties; idempotent."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from gcn import notices, skymaps
from gcn.models import GcnEvent, GcnNotice, GcnQuarantine, Localization, LocalizationTile

NOTICE_DIRS = ("gcn/json", "gcn/voevent", "lvk")

EXPECTED_EVENTS = {
    "MS181101ab": dict(
        source="LVK",
        tags={"GW", "LVK", "BNS", "significant", "HasNS", "HasRemnant", "MDC", "retracted"},
        props={"FAR": 9.11069936486e-14, "BNS": 0.95, "HasRemnant": 0.91, "distmean": 39.77},
        retracted=True,
        notices=5,  # JSON, Avro, VOEvent, retraction, bare multi-order FITS
    ),
    "S190425z": dict(
        source="LVK",
        tags={"GW", "LVK", "BNS", "significant", "HasNS", "HasRemnant"},
        props={"FAR": 4.53764787126e-13, "BNS": 0.999402567114},
        retracted=False,
        notices=1,
    ),
    "bn180116026": dict(
        source="Fermi",
        tags={"Fermi", "GBM", "GRB", "< 1000 deg²"},
        props={"Burst_Signif": 8.6},
        retracted=False,
        notices=1,
    ),
    "Swift#1125809": dict(
        source="Swift",
        tags={"Swift", "BAT", "GRB", "< 100 deg²", "< 1000 deg²"},
        props={"Rate_Signif": 41.2},
        retracted=False,
        notices=1,
    ),
    "EP#01708973486": dict(source="EP", tags={"EP", "WXT"}, props={}, retracted=False, notices=1),
    "bn240812094": dict(
        source="Fermi",
        tags={"Fermi", "GBM", "GRB", "Long"},
        props={"rate_snr": 16.6},
        retracted=False,
        notices=1,
    ),
    "S230914ak": dict(
        source="IceCube",
        tags={"IceCube", "Neutrino", "GW"},
        props={"pval_generic": 0.0191},
        retracted=False,
        notices=1,
    ),
    "Swift#694215995": dict(
        source="Swift",
        tags={"Swift", "BAT-GUANO", "GRB"},
        props={"FAR": 1e-05},
        retracted=False,
        notices=1,
    ),
}


def run_ingest(*paths):
    out, err = StringIO(), StringIO()
    try:
        call_command("ingest_gcn", *map(str, paths), "--no-crossmatch", stdout=out, stderr=err)
    except CommandError as error:  # exit status 1 when a file was quarantined
        assert "quarantined" in str(error)
    return json.loads(out.getvalue().strip().splitlines()[-1]), err.getvalue()


def db_counts():
    return (
        GcnEvent.objects.count(),
        GcnNotice.objects.count(),
        Localization.objects.count(),
        LocalizationTile.objects.count(),
        GcnQuarantine.objects.count(),
    )


@pytest.mark.django_db
def test_it_ingests_every_shared_notice_into_the_expected_events(shared_data):
    counts, _ = run_ingest(*(shared_data / d for d in NOTICE_DIRS))
    n_files = sum(1 for d in NOTICE_DIRS for f in (shared_data / d).iterdir() if f.is_file())
    assert counts["read"] == n_files
    # The BAT-GUANO "loc_map" example carries a placeholder, not base64: quarantined.
    assert counts["quarantined"] == 1
    assert GcnQuarantine.objects.get().reason == "bad_base64"
    assert counts["ingested"] == n_files - 1
    assert counts["events"] == len(EXPECTED_EVENTS) == GcnEvent.objects.count()
    assert counts["localizations"] == Localization.objects.count()

    for name, exp in EXPECTED_EVENTS.items():
        event = GcnEvent.objects.lookup(name)
        assert event is not None, name
        assert event.name == name
        assert event.source == exp["source"]
        assert exp["tags"] <= set(event.tags), (name, event.tags)
        for key, value in exp["props"].items():
            assert event.properties[key] == pytest.approx(value, rel=1e-3), (name, key)
        assert event.retracted is exp["retracted"]
        assert event.notices.count() == exp["notices"], name


@pytest.mark.django_db
def test_it_stores_the_lvk_map_tiles_and_areas_of_the_notice(shared_data, read_shared):
    run_ingest(shared_data / "lvk")
    event = GcnEvent.objects.lookup("MS181101ab")
    ready = event.localizations.filter(status="ready")
    # JSON, Avro and the bare FITS file each carry the map; the VOEvent's URL is pending.
    assert ready.count() == 3
    assert event.localizations.filter(status="pending").count() == 1
    reference = skymaps.from_fits_bytes(read_shared("lvk/bayestar.multiorder.fits"))
    for loc in ready:
        assert loc.n_tiles == len(reference) == loc.tiles.count()
        assert loc.area_90 == pytest.approx(reference.area_90, rel=1e-9)
        assert loc.distance_mean == pytest.approx(39.77, rel=1e-3)
        assert {f["properties"]["credible_level"] for f in loc.contours["features"]} == {0.5, 0.9}
    assert event.properties["area_90"] == pytest.approx(reference.area_90)
    assert "< 100 deg²" in event.tags
    # Tiles round-trip exactly: same ranges, densities and credible levels.
    loc = ready.first()
    rows = list(loc.tiles.order_by("lower").values_list("lower", "upper", "cumprob", "healpix"))
    order = reference.lower.argsort()
    assert [r[0] for r in rows] == reference.lower[order].tolist()
    assert [r[1] for r in rows] == reference.upper[order].tolist()
    assert [r[2] for r in rows] == reference.cumprob[order].tolist()
    assert all(r[3].lower == r[0] and r[3].upper == r[1] for r in rows[:100])


@pytest.mark.django_db
def test_it_changes_nothing_when_the_same_files_are_ingested_again(shared_data):
    paths = [shared_data / d for d in NOTICE_DIRS]
    first, _ = run_ingest(*paths)
    before = db_counts()
    again, _ = run_ingest(*paths)
    assert db_counts() == before
    assert again == {
        "read": first["read"],
        "ingested": 0,
        "quarantined": first["quarantined"],
        "events": 0,
        "localizations": 0,
    }


@pytest.mark.django_db
def test_it_marks_the_event_retracted_when_the_retraction_arrives_last(read_shared):
    from gcn import services

    services.ingest_bytes(read_shared("lvk/MS181101ab-preliminary.json"))
    event = GcnEvent.objects.get()
    assert not event.retracted
    result = services.ingest_bytes(read_shared("lvk/MS181101ab-retraction.json"))
    assert result.status == "ingested" and result.event == event
    event.refresh_from_db()
    assert event.retracted and "retracted" in event.tags
    assert event.notices.filter(is_retraction=True).count() == 1


@pytest.mark.django_db
def test_it_merges_the_json_and_voevent_of_one_lvk_alert_by_alias(read_shared):
    from gcn import services

    a = services.ingest_bytes(read_shared("lvk/MS181101ab-preliminary.json"))
    b = services.ingest_bytes(read_shared("lvk/MS181101ab-2-Preliminary.xml"))
    assert a.event == b.event and b.event_created is False
    # The two formats disagree on the trigger time by < 1 ms; the event keeps the first.
    assert (
        abs(a.event.trigger_time - notices.parse_notice(b.notice.raw).trigger_time).total_seconds()
        < 1e-3
    )


@pytest.mark.django_db
def test_it_ingests_a_bare_flat_sky_map_file_as_an_event_at_its_date_obs(shared_data):
    counts, _ = run_ingest(shared_data / "skymaps" / "LALInference.v1.fits.gz")
    assert counts == {"read": 1, "ingested": 1, "quarantined": 0, "events": 1, "localizations": 1}
    event = GcnEvent.objects.get()
    assert event.trigger_time.isoformat().startswith("2019-08-14T21:10:38.995869")
    loc = event.current_localization()
    assert loc.kind == "FlatHealpixMap"
    assert loc.area_90 == pytest.approx(23.08, rel=0.01)
    assert event.properties["distmean"] == pytest.approx(267.40, rel=1e-3)
