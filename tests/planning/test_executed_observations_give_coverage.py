"""Executed observations uploaded as JSON or CSV (by field id or RA/Dec) give the area and
probability of the localization actually covered, for the uploader's groups and the chosen
time window; a bad row refuses the whole upload with its reason."""

from __future__ import annotations

import io

import pytest

from facilities.models import InstrumentField
from planning.models import ExecutedObservation
from tests.planning.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_it_records_executed_observations_and_their_coverage(
    alice, bob, victor, lvk_event, ztf, ztf_allocation
):
    field = InstrumentField.objects.get(instrument=ztf, field_id=321)  # in the 90 % region
    body = {
        "allocation_id": ztf_allocation.pk,
        "observations": [
            {"field_id": 321, "obstime": "2019-04-08T06:00:00Z", "filter": "ztfg",
             "exposure_time": 30, "limiting_mag": 20.5},
            {"ra": field.ra + 0.1, "dec": field.dec - 0.1, "obstime": 58581.3, "filter": "ztfr",
             "exposure_time": 30},
        ],
    }  # fmt: skip
    done = logged_in(alice).post("/api/observations", body, format="json")
    assert done.status_code == 201, done.content
    assert done.json() == {"ingested": 2}
    assert set(ExecutedObservation.objects.values_list("field_id", flat=True)) == {field.pk}

    bad = {**body, "observations": [*body["observations"], {"field_id": 999999, "filter": "x"}]}
    refused = logged_in(alice).post("/api/observations", bad, format="json")
    assert refused.status_code == 400 and "row 3" in refused.json()
    assert ExecutedObservation.objects.count() == 2
    assert logged_in(victor).post("/api/observations", body, format="json").status_code == 403
    assert logged_in(bob).post("/api/observations", body, format="json").status_code == 400

    csv_text = "field_id,obstime,filter,exposure_time\n321,2019-04-09T06:00:00Z,ztfi,60\n"
    upload = io.BytesIO(csv_text.encode())
    upload.name = "observed.csv"
    done = logged_in(alice).post(
        "/api/observations", {"allocation_id": ztf_allocation.pk, "file": upload},
        format="multipart",
    )  # fmt: skip
    assert done.status_code == 201, done.content

    url = f"/api/gcn_events/{lvk_event.name}/coverage"
    whole = logged_in(alice).get(url).json()
    assert whole["n_observations"] == 3
    assert 40 < whole["area"] < 70 and 0.1 < whole["probability"] < 1
    night = logged_in(alice).get(
        url, {"start": "2019-04-08T00:00:00Z", "end": "2019-04-08T23:00:00Z"}
    )
    assert night.json()["n_observations"] == 2
    assert night.json()["probability"] == pytest.approx(whole["probability"])
    assert logged_in(bob).get(url).json()["n_observations"] == 0
    assert logged_in(alice).get(url, {"start": "soon"}).status_code == 400

    page = logged_in(alice).get(f"/gcn/events/{lvk_event.pk}/")
    assert b"executed exposures cover" in page.content
