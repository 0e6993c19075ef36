"""Each target's summary holds its order-29 HEALPix index and detection span/count,
equal to what the stored photometry says."""

import healpy
from django.db.models import Count, Max, Min, Q

from sources.models import Photometry, TargetSummary


def test_it_summarises_every_target_from_its_photometry(ingested_ztf, ingested_lsst):
    detections = Q(flux__isnull=False) & ~Q(origin="forced")
    expected = {
        row["target_id"]: row
        for row in Photometry.objects.filter(detections)
        .values("target_id")
        .annotate(n=Count("measurement_key"), first=Min("mjd"), last=Max("mjd"))
    }
    summaries = TargetSummary.objects.select_related("target")
    assert summaries.count() == 38
    for summary in summaries:
        target = summary.target
        nest = healpy.ang2pix(2**29, target.ra, target.dec, nest=True, lonlat=True)
        assert summary.healpix == nest
        row = expected[target.id]
        assert summary.n_detections == row["n"]
        assert summary.first_detection_mjd == row["first"]
        assert summary.last_detection_mjd == row["last"]
    solar = set(
        TargetSummary.objects.filter(is_solar_system=True).values_list("target__name", flat=True)
    )
    assert solar == {"2004 JQ12", "2020 SJ88"}
