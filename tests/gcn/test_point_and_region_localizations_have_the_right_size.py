"""Gaussian, ellipse and polygon localizations have the analytic sizes and tie rules."""

import math

import healpy as hp
import numpy as np
import pytest

from gcn import skymaps
from gcn.notices import Ellipse, MapURL, PointError, Polygon


@pytest.mark.parametrize(
    "ra,dec,r90", [(10.0, 20.0, 1.0), (64.7373, 13.3517, 0.05), (0.0, 89.9, 2.0), (359.9, -45, 0.2)]
)
def test_it_makes_a_90_percent_circle_of_the_stated_radius(ra, dec, r90):
    loc = skymaps.from_spec(PointError(ra, dec, r90, 0.9))
    assert loc.area_90 == pytest.approx(math.pi * r90**2, rel=0.02)
    # 50 % radius of the same Gaussian: r90 * sqrt(ln 2 / ln 10).
    r50 = r90 * math.sqrt(math.log(2) / math.log(10))
    assert loc.area_50 == pytest.approx(math.pi * r50**2, rel=0.03)
    assert skymaps.contains(loc, [ra], [dec], 0.5)[0]


def test_it_reads_68_percent_radii_as_68_percent_containment():
    loc = skymaps.from_point(214.74, 28.14, 11.19, 0.68)
    # 90 % radius = r68 * sqrt(ln 10 / -ln 0.32); spherical cap area in deg².
    r90 = math.radians(11.19 * math.sqrt(math.log(10) / -math.log(0.32)))
    cap = 2 * math.pi * (1 - math.cos(r90)) * (180 / math.pi) ** 2
    assert loc.area_90 == pytest.approx(cap, rel=0.05)


def test_it_makes_an_ellipse_of_the_stated_area():
    loc = skymaps.from_spec(Ellipse(100.0, -30.0, 2.0, 0.5, 30.0, 0.9))
    assert loc.area_90 == pytest.approx(math.pi * 2.0 * 0.5, rel=0.02)
    # Along the major axis (PA 30 deg east of north) 1.5 deg is inside, across it is not.
    d = math.radians(1.5)
    pa = math.radians(30.0)
    dra = math.degrees(d * math.sin(pa) / math.cos(math.radians(-30.0)))
    ddec = math.degrees(d * math.cos(pa))
    assert skymaps.contains(loc, [100 + dra], [-30 + ddec], 0.9)[0]
    assert not skymaps.contains(loc, [100 + ddec / math.cos(math.radians(30))], [-30 - dra], 0.9)[0]


def test_it_makes_the_polygon_exactly_its_containment_region():
    verts = ((10.0, 10.0), (20.0, 10.0), (20.0, 20.0), (10.0, 20.0))
    loc = skymaps.from_spec(Polygon(verts, 0.9))
    assert loc.region_area(0.9) == pytest.approx(loc.area_90, rel=1e-9)
    # Spherical area of the box with great-circle edges is close to the flat estimate.
    assert loc.area_90 == pytest.approx(10 * 10 * math.cos(math.radians(15)), rel=0.05)
    assert loc.region_area(0.5) == 0.0  # a uniform box has no 50 % region
    assert np.all(skymaps.contains(loc, [15, 12], [15, 18], 0.9))
    assert not np.any(skymaps.contains(loc, [25, 15], [15, 25], 0.9))
    assert loc.contours[0.9] and not loc.contours[0.5]


def test_it_refuses_to_build_a_pending_map():
    with pytest.raises(skymaps.PendingMap):
        skymaps.from_spec(MapURL("https://example.org/x.fits", "x.fits"))


def test_it_indexes_targets_at_order_29_nested():
    ra = np.array([0.0, 123.456, 359.999, 10.0])
    dec = np.array([0.0, -45.0, 89.999, -89.999])
    ipix = skymaps.healpix_index_order29(ra, dec)
    assert ipix.dtype == np.int64
    assert np.all((ipix >= 0) & (ipix < 12 * 4**29))
    # Degrading to order 10 gives healpy's order-10 nested index.
    np.testing.assert_array_equal(
        ipix >> (2 * 19), hp.ang2pix(2**10, ra, dec, nest=True, lonlat=True)
    )


def test_it_converts_uniq_exactly_up_to_order_29():
    orders = np.array([0, 1, 11, 28, 29, 29])
    ipix = np.array([0, 47, 12 * 4**11 - 1, 5, 0, 12 * 4**29 - 1], dtype=np.int64)
    uniq = (np.int64(4) << (2 * orders)) + ipix
    o, p = skymaps.uniq_to_order_ipix(uniq)
    np.testing.assert_array_equal(o, orders)
    np.testing.assert_array_equal(p, ipix)


def test_it_gives_equal_density_tiles_the_same_cumprob():
    # Whole sky uniform at order 1: one tie group, every tile at cumprob 1.
    loc = skymaps.from_uniq(np.arange(16, 64), np.ones(48), with_contours=False)
    assert np.all(loc.cumprob == 1.0)
    assert not skymaps.contains(loc, [10.0], [10.0], 0.9)[0]
    assert loc.area_90 == pytest.approx(0.9 * 4 * 180**2 / math.pi)


def test_it_rejects_overlapping_tiles():
    with pytest.raises(ValueError, match="overlap"):
        skymaps.from_uniq(np.array([4, 16]), np.array([1.0, 1.0]), with_contours=False)


def test_it_tags_small_areas():
    assert skymaps.area_tags(31.0) == ("< 1000 deg²", "< 100 deg²")
    assert skymaps.area_tags(500.0) == ("< 1000 deg²",)
    assert skymaps.area_tags(5000.0) == ()


def test_it_draws_contours_in_degrees_around_the_localization():
    loc = skymaps.from_point(120.0, 40.0, 1.0, 0.9)
    (ring,) = loc.contours[0.9]
    assert ring.shape[1] == 2
    sep = hp.rotator.angdist([120.0, 40.0], ring.T, lonlat=True)
    assert np.degrees(sep) == pytest.approx(1.0, rel=1e-6)
    geo = loc.contour_geojson()
    assert [f["properties"]["credible_level"] for f in geo["features"]] == [0.5, 0.9]


def test_it_emits_db_rows_with_ranges_and_cumprob():
    loc = skymaps.from_point(120.0, 40.0, 1.0, 0.9, with_contours=False)
    rows = list(loc.rows())
    assert len(rows) == len(loc)
    lo, hi, pd, cp, mu, sg, nm = rows[0]
    assert isinstance(lo, int) and hi > lo and pd > 0 and 0 < cp <= 1
    assert mu is sg is nm is None
