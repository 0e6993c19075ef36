"""Item 2: bob cannot create targets owned by group A (TOM's API, CSV import) nor upload
data to A's target (TOM's data upload, whose ``referrer`` redirected anywhere)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from tom_dataproducts.models import DataProduct, ReducedDatum
from tom_targets.models import Target

from accounts.models import TargetGroupObjectPermission
from tests.accounts.attack import client_for


def _a_rows(group_a):
    return (
        Target.objects.count(),
        TargetGroupObjectPermission.objects.filter(group=group_a).count(),
        DataProduct.objects.count(),
        ReducedDatum.objects.count(),
    )


@pytest.mark.django_db
def test_it_gives_bob_no_way_to_write_into_group_a(bob, group_a, target_a):
    before = _a_rows(group_a)
    client = client_for(bob)
    api = client.post(
        "/api/targets/",
        {
            "name": "bobs-plant",
            "type": "SIDEREAL",
            "ra": 1,
            "dec": 1,
            "groups": [{"id": group_a.pk}],
        },
        content_type="application/json",
    )
    assert api.status_code == 405
    csv = SimpleUploadedFile("t.csv", b"name,type,ra,dec,groups\nbobs-csv,SIDEREAL,1,1,GRANDMA-A\n")
    assert client.post("/targets/import/", {"target_csv": csv}).status_code == 404
    photometry = io.BytesIO(b"time,filter,magnitude,error\n2459000.5,r,18.1,0.1\n")
    photometry.name = "phot.csv"
    upload = client.post(
        "/dataproducts/data/upload/",
        {
            "target": target_a.pk,
            "files": photometry,
            "data_product_type": "photometry",
            "referrer": "https://evil.example/",
        },
    )
    assert upload.status_code == 404
    assert "evil.example" not in upload.headers.get("Location", "")
    assert _a_rows(group_a) == before
