"""The simulator makes schema-valid, realistic, deterministic alerts that our pipeline reads."""

import io
import json
from collections import Counter

import fastavro
import pytest
from astropy.io import fits

from brokers.fink.files import read_avro_file
from brokers.fink.parsing import parse_alert
from brokers.fink.simulator import encode_alert, generate_alerts, load_schema, write_avro_file
from brokers.fink.taxonomy import TAXONOMY_LABELS
from brokers.fink.wire import SchemaCache, decode_message


@pytest.fixture(scope="module", params=["ztf", "lsst"])
def simulated(request):
    survey = request.param
    return survey, list(generate_alerts(survey, 300, seed=11))


def test_it_generates_records_valid_against_our_own_schemas(simulated):
    survey, records = simulated
    parsed_schema = fastavro.parse_schema(load_schema(survey))
    for record in records[:60]:
        assert fastavro.validation.validate(record, parsed_schema, raise_errors=True)


def test_it_ships_schemas_that_keep_fink_field_names():
    ztf = {field["name"] for field in load_schema("ztf")["fields"]}
    lsst = {field["name"] for field in load_schema("lsst")["fields"]}
    assert {"objectId", "candid", "candidate", "prv_candidates", "finkclass"} <= ztf
    assert {"rf_kn_vs_nonkn", "cutoutScience", "cdsxmatch", "roid"} <= ztf
    assert {"diaSource", "prvDiaSources", "prvDiaForcedSources", "clf", "pred"} <= lsst


def test_it_parses_every_simulated_alert_through_the_wire(simulated):
    survey, records = simulated
    cache = SchemaCache()
    for record in records:
        key, value, headers = encode_alert(record, survey)
        alert = parse_alert(decode_message(value, key, headers, cache), survey)
        assert alert.classification[0] in TAXONOMY_LABELS
        assert alert.photometry[0].origin == "alert"


def test_it_is_deterministic_for_a_seed():
    first = list(generate_alerts("ztf", 40, seed=5, cutouts=False))
    again = list(generate_alerts("ztf", 40, seed=5, cutouts=False))
    other = list(generate_alerts("ztf", 40, seed=6, cutouts=False))
    assert first == again
    assert first != other


def test_it_repeats_objects_with_overlapping_histories(simulated):
    survey, records = simulated
    alerts = [parse_alert(record, survey) for record in records]
    per_object = Counter(alert.object_name for alert in alerts)
    assert max(per_object.values()) >= 5
    name = per_object.most_common(1)[0][0]
    mine = [alert for alert in alerts if alert.object_name == name]
    earlier, later = mine[0], mine[1]  # consecutive: within ZTF's 30-day history
    later_points = {p.measurement_key: p for p in later.photometry}
    # The earlier alert's own measurement reappears in the later alert's history, same key.
    own = earlier.photometry[0]
    assert own.measurement_key in later_points
    assert later_points[own.measurement_key].origin == "history"
    assert later_points[own.measurement_key].flux == pytest.approx(own.flux)


def test_it_simulates_the_variety_a_shifter_sees(simulated):
    survey, records = simulated
    alerts = [parse_alert(record, survey) for record in records]
    points = [p for alert in alerts for p in alert.photometry]
    labels = Counter(alert.classification[0] for alert in alerts)
    assert any(p.flux is not None and p.flux < 0 for p in points)
    if survey == "ztf":
        assert any(p.limiting_mag is not None for p in points)
        assert labels["Kilonova candidate"] > 0 and labels["SN candidate"] > 0
        kilonova = next(a for a in alerts if a.classification[0] == "Kilonova candidate")
        assert kilonova.classification[1] > 0.5
        assert kilonova.annotations["rf_kn_vs_nonkn"] == kilonova.classification[1]
    else:
        assert any(p.origin == "forced" for p in points)
        assert labels["SN-like"] > 0 and labels["Periodic"] > 0
    assert {"ZTF"} == {p.instrument for p in points} or {"LSSTCam"} == {
        p.instrument for p in points
    }


def test_it_makes_fits_cutouts(simulated):
    survey, records = simulated
    cutouts = parse_alert(records[0], survey).cutouts
    for kind in ("science", "template", "difference"):
        with fits.open(io.BytesIO(cutouts[kind])) as hdus:
            assert hdus[0].data.shape in ((63, 63), (30, 30))
            assert hdus[0].header["OBJECT"]


def test_it_simulates_named_asteroids_and_fast_transients_for_lsst():
    alerts = [parse_alert(r, "lsst") for r in generate_alerts("lsst", 600, 2, cutouts=False)]
    assert any(a.classification[0] == "Fast" for a in alerts)
    asteroids = [a for a in alerts if a.is_solar_system]
    assert asteroids
    assert all(a.classification[0] == "Solar System MPC" for a in asteroids)
    assert all(not a.object_name.isdigit() for a in asteroids)


def test_it_writes_container_files_that_read_back(tmp_path):
    records = list(generate_alerts("lsst", 12, seed=3, cutouts=False))
    path = tmp_path / "sim.avro"
    write_avro_file(path, records, "lsst")
    back = list(read_avro_file(path))
    assert len(back) == 12 and all(isinstance(r, dict) for r in back)
    assert json.dumps(parse_alert(back[0], "lsst").annotations)
