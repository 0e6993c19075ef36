"""The SQL crossmatch over stored tiles selects exactly the points skymaps.contains selects."""

import numpy as np
import pytest

from gcn import crossmatch, galaxies, skymaps
from gcn.models import GalaxyCatalog
from gcn.notices import MultiOrderMap
from sources.models import TargetSummary


def random_points_near(loc: skymaps.Localization, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Half uniform on the sky, half scattered around the densest tiles (so both
    inside and outside points are plentiful near the region's edge)."""
    import healpy as hp

    ra = rng.uniform(0, 360, n // 2)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n // 2)))
    centers = loc.lower[rng.integers(0, min(len(loc), 3000), n - n // 2)]
    cra, cdec = hp.pix2ang(skymaps.NSIDE_MAX, centers, nest=True, lonlat=True)
    ra2 = np.mod(cra + rng.normal(0, 3, cra.size), 360)
    dec2 = np.clip(cdec + rng.normal(0, 3, cdec.size), -89.9, 89.9)
    return np.concatenate([ra, ra2]), np.concatenate([dec, dec2])


def store_summaries(ra, dec, first_mjd):
    """Bulk targets + summaries (no permissions needed for the raw crossmatch)."""
    from tom_targets.models import Target

    hpx = skymaps.healpix_index_order29(ra, dec)
    targets = Target.objects.bulk_create(
        [
            Target(name=f"xm-{i}", type="SIDEREAL", ra=float(r), dec=float(d))
            for i, (r, d) in enumerate(zip(ra, dec, strict=True))
        ]
    )
    TargetSummary.objects.bulk_create(
        [
            TargetSummary(target=t, healpix=int(h), first_detection_mjd=first_mjd, n_detections=1)
            for t, h in zip(targets, hpx, strict=True)
        ]
    )
    return np.array([t.pk for t in targets])


@pytest.mark.django_db
@pytest.mark.parametrize("level", [0.5, 0.9, 0.99])
def test_it_selects_exactly_the_sources_inside_the_lvk_region(read_shared, level):
    from gcn import services

    raw = read_shared("lvk/bayestar.multiorder.fits")
    result = services.ingest_bytes(raw, origin="bayestar.multiorder.fits")
    stored = result.localizations[0]
    reference = skymaps.from_spec(MultiOrderMap(data=raw), with_contours=False)
    rng = np.random.default_rng(7)
    ra, dec = random_points_near(reference, 4000, rng)
    ids = store_summaries(ra, dec, crossmatch.to_mjd(result.event.trigger_time))

    expected = set(ids[skymaps.contains(reference, ra, dec, level)].tolist())
    rows = crossmatch.matching_target_rows(stored, level, window=False)
    assert {r[0] for r in rows} == expected
    assert 50 < len(expected) < len(ids)
    # Each match carries the credible level and density of the tile holding it.
    by_id = dict(zip(ids.tolist(), range(len(ids)), strict=True))
    for target_id, cumprob, probdensity in rows[:200]:
        i = by_id[target_id]
        tile = reference.tile_index(skymaps.healpix_index_order29(ra[i], dec[i]))[0]
        assert cumprob == reference.cumprob[tile] and probdensity == reference.probdensity[tile]


@pytest.mark.django_db
def test_it_selects_exactly_the_galaxies_inside_a_point_localization(read_shared):
    from gcn import services

    result = services.ingest_bytes(read_shared("gcn/voevent/GRB180116A_Fermi_GBM_Gnd_Pos.xml"))
    stored = result.event.current_localization()
    reference = skymaps.from_spec(_spec(result), with_contours=False)
    rng = np.random.default_rng(11)
    ra, dec = random_points_near(reference, 5000, rng)
    catalog = GalaxyCatalog.objects.create(name="test")
    dist = rng.uniform(10, 400, ra.size)
    galaxies.copy_galaxies(
        catalog.pk,
        {"name": [f"G{i}" for i in range(ra.size)], "ra": ra, "dec": dec, "distance_mpc": dist},
    )
    found = crossmatch.matching_galaxies(stored, 0.9, limit=None)
    names = {g["name"] for g in found}
    inside = skymaps.contains(reference, ra, dec, 0.9)
    assert names == {f"G{i}" for i in np.flatnonzero(inside)}
    assert crossmatch.count_galaxies(stored, 0.9) == int(inside.sum())
    # No distance layer in a GRB position: ranked by probability density alone.
    assert all(g["score"] is None for g in found)
    densities = [g["probdensity"] for g in found]
    assert densities == sorted(densities, reverse=True)


def _spec(result):
    from gcn.notices import parse_notice

    return parse_notice(bytes(result.notice.raw)).localization


@pytest.mark.django_db
def test_it_ranks_galaxies_by_density_times_distance_agreement(read_shared):
    from gcn import services

    result = services.ingest_bytes(read_shared("lvk/bayestar.multiorder.fits"))
    loc = result.localizations[0]
    reference = skymaps.from_spec(MultiOrderMap(data=bytes(result.notice.raw)), with_contours=False)
    import healpy as hp

    densest = reference.lower[0]  # tiles are sorted densest first
    ra, dec = hp.pix2ang(skymaps.NSIDE_MAX, densest, nest=True, lonlat=True)
    catalog = GalaxyCatalog.objects.create(name="test")
    # Same position, three distances: at the map's distance, far beyond it, and unknown.
    galaxies.copy_galaxies(
        catalog.pk,
        {
            "name": ["near-mean", "far-away", "no-distance"],
            "ra": np.full(3, ra),
            "dec": np.full(3, dec),
            "distance_mpc": np.array([reference.distmu[0], 2000.0, np.nan]),
        },
    )
    ranked = crossmatch.matching_galaxies(loc, 0.9, catalog="test")
    assert [g["name"] for g in ranked] == ["near-mean", "far-away", "no-distance"]
    assert ranked[0]["score"] > ranked[1]["score"] >= 0 and ranked[2]["score"] is None
