"""Localizations: area_90 agrees with ligo.skymap, ``contains`` with brute-force HEALPix checks."""

import time

import healpy as hp
import numpy as np
import pytest
from mocpy import MOC

from gcn import skymaps
from gcn.notices import parse_notice

MAPS = ["lvk/bayestar.multiorder.fits", "skymaps/LALInference.v1.fits.gz"]


@pytest.fixture(scope="module")
def built(read_shared):
    cache = {}

    def get(rel):
        if rel not in cache:
            cache[rel] = skymaps.from_fits_bytes(read_shared(rel), name=rel)
        return cache[rel]

    return get


def ligo_areas(path):
    pytest.importorskip("ligo.skymap", reason="ligo.skymap is the reference for areas")
    from ligo.skymap.io import read_sky_map
    from ligo.skymap.postprocess import crossmatch

    return crossmatch(read_sky_map(str(path), moc=True), contours=(0.5, 0.9)).contour_areas


@pytest.mark.parametrize("rel", MAPS)
def test_it_matches_ligo_skymap_area_90_within_one_percent(shared_data, built, rel):
    loc = built(rel)
    a50, a90 = ligo_areas(shared_data / rel)
    assert loc.area_90 == pytest.approx(a90, rel=0.01)
    assert loc.area_50 == pytest.approx(a50, rel=0.01)
    # The discrete region (cumprob <= 0.9) is short of area_90 by less than one tile.
    assert 0 <= loc.area_90 - loc.region_area(0.9) < loc.pixarea.max() * (180 / np.pi) ** 2


def test_it_builds_the_embedded_lvk_map_in_well_under_a_second(read_shared):
    spec = parse_notice(read_shared("lvk/MS181101ab-preliminary.json")).localization
    skymaps.from_spec(spec)  # warm imports
    t0 = time.perf_counter()
    loc = skymaps.from_spec(spec, with_contours=False)
    t_tiles = time.perf_counter() - t0
    t0 = time.perf_counter()
    loc = skymaps.from_spec(spec)
    t_all = time.perf_counter() - t0
    print(
        f"\nLVK multi-order map: {len(loc)} tiles in {t_tiles * 1e3:.1f} ms, "
        f"with contours {t_all * 1e3:.1f} ms"
    )
    assert len(loc) == 19200
    assert t_tiles < 0.5
    assert loc.distance_mean == pytest.approx(39.76999609489013)
    assert loc.distance_std == pytest.approx(8.308435058808886)
    assert loc.distmu is not None and loc.distmu.shape == (19200,)


@pytest.mark.parametrize("rel", MAPS)
def test_it_stores_a_consistent_tiling(built, rel):
    loc = built(rel)
    by_lower = np.argsort(loc.lower)
    lo, hi = loc.lower[by_lower], loc.upper[by_lower]
    assert np.all(hi > lo)
    assert np.all(lo[1:] >= hi[:-1]), "tiles overlap"
    assert lo[0] == 0 and hi[-1] == 12 * 4**29, "a full-sky map must cover the sphere"
    assert np.all(hi[:-1] == lo[1:])
    assert loc.prob.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.diff(loc.probdensity) <= 0), "rows are sorted densest first"
    assert np.all(np.diff(loc.cumprob) >= 0)
    assert loc.cumprob[-1] == pytest.approx(1.0)
    # Each tile is a HEALPix cell: aligned range of length 4**(29 - order).
    span = loc.upper - loc.lower
    assert np.all(span == 4 ** (29 - loc.order))
    assert np.all(loc.lower % span == 0)


def random_points(rng, n, loc):
    """Uniform points plus points crowded around the densest tiles (near the borders)."""
    z = rng.uniform(-1, 1, n)
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(z))
    top = loc.lower[: max(1, len(loc) // 4)]
    ipix = rng.choice(top, n) + rng.integers(0, 4**29 // 4**10, n)
    ra2, dec2 = hp.pix2ang(2**29, ipix, nest=True, lonlat=True)
    ra2 += rng.normal(0, 0.5, n)
    dec2 = np.clip(dec2 + rng.normal(0, 0.5, n), -90, 90)
    return np.concatenate([ra, np.mod(ra2, 360)]), np.concatenate([dec, dec2])


def bruteforce_healpy(loc, ra, dec, level):
    sel = loc.cumprob <= level
    orders = loc.order[sel]
    ipix = loc.lower[sel] >> (2 * (29 - orders))
    inside = np.zeros(ra.size, bool)
    for o in np.unique(orders):
        pix = hp.ang2pix(2 ** int(o), ra, dec, nest=True, lonlat=True)
        inside |= np.isin(pix, ipix[orders == o])
    return inside


def bruteforce_mocpy(loc, ra, dec, level):
    import astropy.units as u

    sel = loc.cumprob <= level
    orders = loc.order[sel]
    ipix = loc.lower[sel] >> (2 * (29 - orders))
    moc = MOC.from_healpix_cells(ipix, orders.astype(np.uint8), max_depth=int(orders.max()))
    return moc.contains_lonlat(ra * u.deg, dec * u.deg)


def gaussian_cases():
    return {
        "point": skymaps.from_point(64.7373, 13.3517, 0.05, 0.9),
        "gbm": skymaps.from_point(214.74, 28.14, 11.19, 0.68),
        "polar": skymaps.from_point(10.0, 89.5, 2.0, 0.9),
        "ellipse": skymaps.from_ellipse(359.5, -20.0, 3.0, 1.0, 40.0, 0.9),
        "polygon": skymaps.from_polygon([(350, -5), (10, -5), (10, 5), (350, 5)], 0.9),
    }


@pytest.mark.parametrize("level", [0.5, 0.9])
@pytest.mark.parametrize("rel", MAPS)
def test_it_contains_exactly_what_bruteforce_healpy_and_mocpy_find_on_maps(built, rel, level):
    loc = built(rel)
    ra, dec = random_points(np.random.default_rng(42), 20000, loc)
    got = skymaps.contains(loc, ra, dec, cumprob=level)
    assert got.any() and not got.all()
    np.testing.assert_array_equal(got, bruteforce_healpy(loc, ra, dec, level))
    np.testing.assert_array_equal(got, bruteforce_mocpy(loc, ra, dec, level))


@pytest.mark.parametrize("case", sorted(gaussian_cases()))
def test_it_contains_exactly_what_bruteforce_finds_on_built_localizations(case):
    loc = gaussian_cases()[case]
    ra, dec = random_points(np.random.default_rng(7), 20000, loc)
    got = skymaps.contains(loc, ra, dec, cumprob=0.9)
    assert got.any()
    np.testing.assert_array_equal(got, bruteforce_healpy(loc, ra, dec, 0.9))
    np.testing.assert_array_equal(got, bruteforce_mocpy(loc, ra, dec, 0.9))


def test_it_finds_a_point_inside_its_own_tile_and_outside_elsewhere(built):
    loc = built("lvk/bayestar.multiorder.fits")
    # Centre of the densest tile is inside every region; the antipode of it is not.
    o = int(loc.order[0])
    ra, dec = hp.pix2ang(2**o, int(loc.lower[0] >> (2 * (29 - o))), nest=True, lonlat=True)
    assert skymaps.contains(loc, [ra], [dec], cumprob=0.5)[0]
    assert not skymaps.contains(loc, [ra + 180], [-dec], cumprob=0.9)[0]
    assert not skymaps.contains(loc, [ra], [dec], cumprob=0.0)[0]
