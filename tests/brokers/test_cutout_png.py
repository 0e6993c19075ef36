"""Cutouts render as PNG for the groups that see the target (cached), 404 for others."""

import io

from django.core.cache import cache
from django.test import Client
from PIL import Image

from sources.models import Cutout


def login(user):
    client = Client()
    client.force_login(user)
    return client


def test_it_renders_each_kind_as_png_for_alice(alice, ingested_ztf, ingested_lsst):
    for survey_alert in (
        Cutout.objects.filter(target__name__startswith="ZTF").first().alert_id,
        Cutout.objects.exclude(target__name__startswith="ZTF").first().alert_id,
    ):
        for kind in ("science", "template", "difference"):
            response = login(alice).get(f"/cutouts/{survey_alert}/{kind}.png")
            assert response.status_code == 200, (survey_alert, kind)
            assert response["Content-Type"] == "image/png"
            image = Image.open(io.BytesIO(response.content))
            assert image.format == "PNG" and min(image.size) >= 10
            # Not a flat image: the stretch keeps structure.
            assert len(set(image.get_flattened_data())) > 10
            assert cache.get(f"cutout-png:{survey_alert}:{kind}") == response.content


def test_it_answers_404_to_bob_and_for_unknown_cutouts(alice, bob, ingested_ztf):
    alert_id = Cutout.objects.first().alert_id
    assert login(bob).get(f"/cutouts/{alert_id}/science.png").status_code == 404
    assert cache.get(f"cutout-png:{alert_id}:science") is None
    assert login(alice).get(f"/cutouts/{alert_id}/nonsense.png").status_code == 404
    assert login(alice).get("/cutouts/1/science.png").status_code == 404
    anonymous = Client().get(f"/cutouts/{alert_id}/science.png")
    assert anonymous.status_code in (302, 403, 404)  # sent to log in, never the image
    assert anonymous.get("Content-Type") != "image/png"
