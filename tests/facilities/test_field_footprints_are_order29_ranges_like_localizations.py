"""Instrument fields are stored as order-29 ranges through the same helper as GCN tiles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from mocpy import MOC

from facilities import footprint
from gcn import skymaps
from sources import sky


def test_it_uses_the_one_range_helper_that_localizations_use():
    assert skymaps.uniq_to_order_ipix is sky.uniq_to_order_ipix
    uniq = np.array([4 * 4**3 + 17, 4 * 4**8 + 123456, 4 * 4**29 + 5], dtype=np.int64)
    lower, upper = sky.uniq_to_ranges(uniq)
    loc = skymaps.from_uniq(uniq, np.ones(3), with_contours=False)
    assert sorted(zip(lower.tolist(), upper.tolist(), strict=True)) == sorted(
        zip(loc.lower.tolist(), loc.upper.tolist(), strict=True)
    )


def test_it_merges_adjacent_and_overlapping_ranges():
    lower, upper = sky.merge_ranges([10, 0, 5, 30, 12], [20, 5, 8, 40, 25])
    assert lower.tolist() == [0, 10, 30] and upper.tolist() == [8, 25, 40]


@pytest.mark.parametrize(
    "fp, expected_area",
    [
        ({"type": "rectangle", "width": 7.5, "height": 7.3}, 7.5 * 7.3),
        ({"type": "circle", "radius": 1.75}, math.pi * 1.75**2),
        ({"type": "region", "region": "box(0,0,1.86,1.86,0)"}, 1.86**2),
    ],
)
def test_a_field_covers_its_centre_and_about_its_area(fp, expected_area):
    ra, dec = np.array([10.0, 200.0]), np.array([-30.0, 60.0])
    for (lower, upper), r, d in zip(footprint.field_ranges(fp, ra, dec), ra, dec, strict=True):
        area = float(np.sum(upper - lower)) * (4 * math.pi / (12 * 4.0**29)) * (180 / math.pi) ** 2
        # the tiles are the cells touching the footprint: a superset, a little larger
        assert expected_area <= area < 1.3 * expected_area
        inside = sky.healpix_index_order29(r, d)[0]
        assert np.any((lower <= inside) & (inside < upper))
        far = sky.healpix_index_order29(r, d + 10 if d < 0 else d - 10)[0]
        assert not np.any((lower <= far) & (far < upper))


def test_it_agrees_with_mocpy_for_a_cone():
    import astropy.units as u

    ((lower, upper),) = footprint.field_ranges(
        {"type": "circle", "radius": 1.0}, [45.0], [20.0], depth=9
    )
    moc = MOC.from_cone(lon=45 * u.deg, lat=20 * u.deg, radius=1 * u.deg, max_depth=9)
    expected = np.asarray(moc.to_depth29_ranges, dtype=np.int64)
    assert lower.tolist() == expected[:, 0].tolist() and upper.tolist() == expected[:, 1].tolist()


@pytest.mark.parametrize(
    "text, message",
    [
        ("ellipse(0,0,1,2,0)", "not a polygon"),
        ("polygon(0,0,1,1)", "wrong number"),
        ("circle(0,0,nan)", "finite"),
        ("# only a comment", "no shape"),
        ("box(0,0,1," + "1" * 30000 + ")", "longer than"),
    ],
)
def test_it_refuses_regions_it_cannot_read(text, message):
    with pytest.raises(footprint.FootprintError, match=message):
        footprint.shapes_of({"type": "region", "region": text})


def test_it_reads_ds9_units_and_unions():
    shapes = footprint.shapes_of(
        {
            "type": "region",
            "region": "fk5\ncircle(0,0,30')\nbox(1d,0,3600\",0.5,0); polygon(0,0,1,0,1,1)",
        }
    )
    assert [s.kind for s in shapes] == ["circle", "polygon", "polygon"]
    assert shapes[0].params[2] == pytest.approx(0.5)
