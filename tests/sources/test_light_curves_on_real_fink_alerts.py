"""Light curves of the real Fink samples: axis ranges come from the informative points,
LSST forced photometry below the S/N limit is a limit, and the source page's header, plot
and table share one first detection."""

from __future__ import annotations

import json
import math
import re

import pytest
from django.test import Client
from tom_targets.models import Target

from brokers.fink.files import ingest_files
from sources.lightcurves import (
    MAX_MAG_ERROR,
    axis_range,
    detection_span,
    light_curves,
    marks,
    plotly_traces,
    sparkline_svg,
)

pytestmark = pytest.mark.django_db

GROUP = "GRANDMA-A"


@pytest.fixture
def ingested(shared_data, db):
    files = {
        "ztf": shared_data / "fink" / "ztf" / "part-3-305711.avro",
        "lsst": shared_data / "fink" / "lsst" / "part-2-918301.avro",
    }
    for survey, path in files.items():
        if not path.exists():
            pytest.skip(f"real Fink {survey} sample {path} is absent")
        ingest_files([path], survey=survey, topic=f"fink_{survey}", group_name=GROUP)
    return {t.id: t for t in Target.objects.all()}


@pytest.fixture
def curves(ingested):
    return light_curves(list(ingested))


def test_it_draws_faint_lsst_forced_photometry_as_limits(curves, settings):
    forced = [p for points in curves.values() for p in points if p.origin == "forced"]
    assert forced, "the LSST sample carries forced photometry"
    faint = [p for p in forced if p.flux is not None and p.flux / p.fluxerr < 3]
    bright = [p for p in forced if p.flux is not None and p.flux / p.fluxerr >= 3]
    assert faint and bright
    drawn = {(m.mjd, m.band, m.origin, m.flux): m for pts in curves.values() for m in marks(pts)}
    for p in faint:
        mark = drawn[p.mjd, p.band, "forced", p.flux]
        assert mark.kind == "lim" and mark.mag is None
        assert mark.limit == pytest.approx(23.9 - 2.5 * math.log10(3 * p.fluxerr))
    for p in bright:
        assert drawn[p.mjd, p.band, "forced", p.flux].kind == "det"
    # The plot's magnitude series hold no faint forced point; the flux series keep them all.
    for points in curves.values():
        for band in plotly_traces(points)["bands"]:
            det = band["det"]
            for mjd, mag, flux in zip(
                det.get("mjd", []), det.get("mag", []), det.get("flux", []), strict=True
            ):
                if any(p.mjd == mjd and p.flux == flux for p in faint):
                    assert mag is None
    # The limit is a setting.
    settings.ICARE_FORCED_SNR_LIMIT = 1.0
    n_limits = sum(
        m.kind == "lim" and m.origin == "forced" for p in curves.values() for m in marks(p)
    )
    assert n_limits == sum(p.flux / p.fluxerr < 1 for p in forced if p.flux is not None)
    assert n_limits < len(faint)


def test_it_ranges_axes_from_the_informative_points(curves):
    noisy = 0
    for points in curves.values():
        drawn = marks(points)
        detections = [m for m in drawn if m.kind == "det"]
        if not detections:
            continue
        low, high = axis_range(drawn, "mag")
        # A plausible magnitude range, holding every well-measured detection with its error.
        assert 10 < low < high < 32
        for m in detections:
            if m.magerr is not None and m.magerr <= MAX_MAG_ERROR:
                assert low <= m.mag - m.magerr and m.mag + m.magerr <= high
            else:
                noisy += 1
        flux_low, flux_high = axis_range(drawn, "flux")
        assert flux_low <= 0 <= flux_high
        # The card's sparkline labels its axis with that same range.
        svg = sparkline_svg(points, "mag")
        labels = [float(v) for v in re.findall(r'class="lc-axis">(-?[\d.]+)</text>', svg)]
        assert labels == [pytest.approx(low, abs=0.05), pytest.approx(high, abs=0.05)]
    assert noisy, "the samples hold detections whose error is too large to set a range"


def test_it_shares_one_first_detection_between_header_plot_and_table(ingested, curves):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    alice = get_user_model().objects.create_user("alice", password="pw-alice-12345")
    alice.groups.add(Group.objects.get(name=GROUP))
    client = Client()
    client.force_login(alice)
    # LSST objects: their forced photometry starts before the first detection.
    checked = 0
    for target_id, points in curves.items():
        if not any(p.origin == "forced" for p in points):
            continue
        span = detection_span(marks(points))
        html = client.get(f"/sources/{ingested[target_id].name}/").content.decode()
        header = re.search(r'id="first-detection">([^<]+)<', html).group(1)
        plot = json.loads(
            html.split('id="photometry-data" type="application/json">')[1].split("</script>")[0]
        )
        first_row = re.search(r'class="kind-det first-detection"><td class="mono">([^<]+)<', html)
        assert plot["first_detection_mjd"] == pytest.approx(span.first_mjd)
        assert float(header) == pytest.approx(span.first_mjd, abs=1e-4)
        assert float(first_row.group(1)) == pytest.approx(span.first_mjd, abs=1e-5)
        # Nothing the plot draws as a magnitude comes before it, and each detection counted
        # in the header is drawn in magnitude mode.
        mags = [
            (mjd, mag)
            for band in plot["bands"]
            for mjd, mag in zip(band["det"].get("mjd", []), band["det"].get("mag", []), strict=True)
            if mag is not None
        ]
        assert min(mjd for mjd, _ in mags) == pytest.approx(span.first_mjd)
        assert f"{span.count} detection" in html and len(mags) == span.count
        checked += 1
    assert checked
