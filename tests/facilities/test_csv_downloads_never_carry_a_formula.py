"""Downloaded CSV files open safely in a spreadsheet: text that starts like a formula (a
facility's message, an instrument name) gets a leading apostrophe, while numbers (a negative
declination) stay exact."""

from __future__ import annotations

import csv
import io

from django.test import Client

from facilities import services
from facilities.models import FollowupRequest
from icare_tom.csv_download import spreadsheet_safe
from sources.models import Photometry
from tests.facilities.conftest import valid_parameters

FORMULA = '=HYPERLINK("https://phish.example","open")'


def _rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_it_neutralises_formulas_in_the_followup_and_photometry_csv(alice, target_a, allocation_a):
    target_a.dec = -21.4
    target_a.save()
    followup = services.submit_request(alice, target_a, allocation_a.pk, valid_parameters())
    FollowupRequest.objects.filter(pk=followup.pk).update(message=FORMULA)
    Photometry.objects.create(
        target=target_a, mjd=61000.5, band="sdssr", instrument="@SUM(A1:A9)", mag=19.2,
        magerr=0.05, origin="followup", measurement_key=1,
    )  # fmt: skip
    client = Client()
    client.force_login(alice)

    (row,) = _rows(client.get("/followup/?format=csv"))
    assert row["message"] == "'" + FORMULA
    assert row["dec_deg"] == "-21.4" and row["target"] == target_a.name

    (point,) = _rows(client.get(f"/sources/{target_a.name}/photometry.csv"))
    assert point["instrument"] == "'@SUM(A1:A9)" and point["mag_ab"] == "19.2"


def test_it_keeps_numbers_and_plain_text_as_they_are():
    assert spreadsheet_safe(-21.4) == -21.4
    assert spreadsheet_safe("-21.4") == "-21.4"
    assert spreadsheet_safe("+3e-5") == "+3e-5"
    assert spreadsheet_safe("-2+3") == "'-2+3"
    assert spreadsheet_safe("ZTF21abbzjeq") == "ZTF21abbzjeq"
    assert spreadsheet_safe(None) is None
