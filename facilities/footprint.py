"""Instrument footprints: one pointing's shape, placed on the sky as order-29 ranges.

A footprint is one of (angles in degrees, offsets from the pointing centre, x towards
east, y towards north, on the tangent plane)::

    {"type": "circle", "radius": 1.75}
    {"type": "rectangle", "width": 6.9, "height": 6.9}
    {"type": "region", "region": "polygon(-0.5,-0.5,0.5,-0.5,0.5,0.5,-0.5,0.5)"}

The ``region`` type reads the ds9 shapes ``polygon``, ``box`` and ``circle`` (several
shapes are a union), with coordinates as plain degrees or suffixed ``d``, ``'`` or ``"``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from sources.sky import merge_ranges, uniq_to_ranges

MAX_REGION_CHARS = 20_000
_SHAPE = re.compile(r"^\s*(polygon|box|circle)\s*\(([^)]*)\)", re.IGNORECASE)
_SKIP = re.compile(r"^\s*(#.*|global.*|image|physical|fk5|icrs|j2000|linear|wcs\w*)?\s*$", re.I)


class FootprintError(ValueError):
    """A footprint that cannot be understood (the message says why)."""


@dataclass(frozen=True)
class Shape:
    kind: str  # "circle" | "polygon"
    params: tuple  # circle: (x, y, r); polygon: ((x, y), ...)


def _angle(text: str) -> float:
    text = text.strip()
    scale = 1.0
    if text.endswith('"'):
        text, scale = text[:-1], 1 / 3600
    elif text.endswith("'"):
        text, scale = text[:-1], 1 / 60
    elif text.endswith("d"):
        text = text[:-1]
    value = float(text) * scale
    if not math.isfinite(value):
        raise FootprintError(f"not a finite angle: {text!r}")
    return value


def _box(x: float, y: float, w: float, h: float, angle: float = 0.0) -> Shape:
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    corners = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    return Shape("polygon", tuple((x + c * u - s * v, y + s * u + c * v) for u, v in corners))


def parse_region(text: str) -> list[Shape]:
    """ds9 region text (offsets in degrees from the pointing centre) → shapes."""
    if len(text) > MAX_REGION_CHARS:
        raise FootprintError(f"region longer than {MAX_REGION_CHARS} characters")
    shapes: list[Shape] = []
    for lineno, raw in enumerate(re.split(r"[\n;]", text), start=1):
        line = raw.split("#", 1)[0]
        if _SKIP.match(line):
            continue
        match = _SHAPE.match(line)
        if not match:
            raise FootprintError(f"region line {lineno}: not a polygon, box or circle")
        kind = match.group(1).lower()
        try:
            values = [_angle(v) for v in match.group(2).split(",") if v.strip()]
        except ValueError as exc:
            raise FootprintError(f"region line {lineno}: {exc}") from None
        if kind == "circle" and len(values) == 3 and values[2] > 0:
            shapes.append(Shape("circle", tuple(values)))
        elif kind == "box" and len(values) in (4, 5) and values[2] > 0 and values[3] > 0:
            shapes.append(_box(*values))
        elif kind == "polygon" and len(values) >= 6 and len(values) % 2 == 0:
            shapes.append(Shape("polygon", tuple(zip(values[::2], values[1::2], strict=True))))
        else:
            raise FootprintError(f"region line {lineno}: wrong number of values for {kind}")
    if not shapes:
        raise FootprintError("region has no shape")
    return shapes


def shapes_of(footprint: dict[str, Any]) -> list[Shape]:
    """The shapes of a footprint description (see module doc)."""
    if not isinstance(footprint, dict):
        raise FootprintError("footprint must be a mapping")
    kind = footprint.get("type")
    try:
        if kind == "circle":
            radius = float(footprint["radius"])
            if not 0 < radius < 90:
                raise FootprintError("circle radius must be in (0, 90) degrees")
            return [Shape("circle", (0.0, 0.0, radius))]
        if kind == "rectangle":
            width, height = float(footprint["width"]), float(footprint["height"])
            if not (0 < width < 90 and 0 < height < 90):
                raise FootprintError("rectangle sides must be in (0, 90) degrees")
            return [_box(0.0, 0.0, width, height)]
        if kind == "region":
            return parse_region(str(footprint["region"]))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, FootprintError):
            raise
        raise FootprintError(f"{kind} footprint: {exc}") from None
    raise FootprintError("footprint type must be circle, rectangle or region")


def extent(footprint: dict[str, Any]) -> tuple[float, float]:
    """Width (east-west) and height (north-south) spanned by the footprint, degrees."""
    xs: list[float] = []
    ys: list[float] = []
    for shape in shapes_of(footprint):
        if shape.kind == "circle":
            x, y, r = shape.params
            xs += [x - r, x + r]
            ys += [y - r, y + r]
        else:
            xs += [p[0] for p in shape.params]
            ys += [p[1] for p in shape.params]
    return max(xs) - min(xs), max(ys) - min(ys)


def area(footprint: dict[str, Any]) -> float:
    """Approximate solid angle of one pointing (deg², flat-sky, union not deduplicated)."""
    total = 0.0
    for shape in shapes_of(footprint):
        if shape.kind == "circle":
            total += math.pi * shape.params[2] ** 2
        else:
            pts = np.asarray(shape.params)
            x, y = pts[:, 0], pts[:, 1]
            total += 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
    return total


def depth_for(footprint: dict[str, Any]) -> int:
    """HEALPix order whose cells are at most 1/16 of the footprint's smallest side."""
    size = max(min(extent(footprint)), 1e-4)
    cell = size / 16
    return int(min(16, max(6, math.ceil(math.log2(58.6 / cell)))))


def offsets_to_sky(ra0: float, dec0: float, x: np.ndarray, y: np.ndarray):
    """Gnomonic (tangent-plane) offsets ``x`` east, ``y`` north (degrees) around (ra0, dec0)
    → (ra, dec) in degrees."""
    xi, eta = np.radians(x), np.radians(y)
    a0, d0 = math.radians(ra0), math.radians(dec0)
    denom = math.cos(d0) - eta * math.sin(d0)
    ra = a0 + np.arctan2(xi, denom)
    dec = np.arctan2(math.sin(d0) + eta * math.cos(d0), np.hypot(xi, denom))
    return np.mod(np.degrees(ra), 360.0), np.degrees(dec)


def _shape_mocs(shape: Shape, ra: np.ndarray, dec: np.ndarray, depth: int) -> list:
    import astropy.units as u
    from mocpy import MOC

    if shape.kind == "circle":
        x, y, r = shape.params
        cra, cdec = (ra, dec) if (x, y) == (0.0, 0.0) else _offset_centres(ra, dec, x, y)
        return list(
            MOC.from_cones(
                lon=cra * u.deg,
                lat=cdec * u.deg,
                radius=r * u.deg,
                max_depth=depth,
                n_threads=1,
            )
        )
    pts = np.asarray(shape.params, dtype=np.float64)
    vertices = []
    for ra0, dec0 in zip(ra.tolist(), dec.tolist(), strict=True):
        vra, vdec = offsets_to_sky(ra0, dec0, pts[:, 0], pts[:, 1])
        vertices.append(np.column_stack([vra, vdec]) * u.deg)
    lon_lat = [(v[:, 0], v[:, 1]) for v in vertices]
    return [MOC.from_polygon(lon=lon, lat=lat, max_depth=depth) for lon, lat in lon_lat]


def _offset_centres(ra: np.ndarray, dec: np.ndarray, x: float, y: float):
    out = [offsets_to_sky(a, d, np.array([x]), np.array([y])) for a, d in zip(ra, dec, strict=True)]
    return np.array([o[0][0] for o in out]), np.array([o[1][0] for o in out])


def field_ranges(
    footprint: dict[str, Any], ra_deg: Any, dec_deg: Any, depth: int | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each pointing centre (degrees), the merged order-29 ranges ``(lower, upper)``
    its footprint covers (cells of order ``depth`` that the shape touches)."""
    ra = np.atleast_1d(np.asarray(ra_deg, dtype=np.float64))
    dec = np.atleast_1d(np.asarray(dec_deg, dtype=np.float64))
    depth = depth or depth_for(footprint)
    per_shape = [_shape_mocs(shape, ra, dec, depth) for shape in shapes_of(footprint)]
    out = []
    for i in range(ra.size):
        parts = [uniq_to_ranges(np.asarray(mocs[i].uniq_hpx, dtype=np.int64)) for mocs in per_shape]
        lower = np.concatenate([p[0] for p in parts])
        upper = np.concatenate([p[1] for p in parts])
        out.append(merge_ranges(lower, upper))
    return out


def _grid_cell(footprint: dict[str, Any]) -> tuple[float, float]:
    """Width and height (degrees) of the cell one pointing tiles without gaps."""
    width, height = extent(footprint)
    if footprint.get("type") == "circle":
        # the inscribed square of a circle tiles the sky without gaps
        width = height = width / math.sqrt(2)
    return width, height


def _row_size(dec: float, width: float, height: float, overlap: float) -> int:
    """Pointings in the grid row at ``dec`` (deg): its widest point is its edge nearest the
    equator."""
    edge = max(0.0, abs(dec) - height / 2)
    return max(1, math.ceil(360.0 * math.cos(math.radians(edge)) / (width * (1 - overlap))))


def grid_centres(
    footprint: dict[str, Any], dec_min: float = -90.0, dec_max: float = 90.0, overlap: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """A sky grid of pointing centres (degrees) tiling declinations [dec_min, dec_max]:
    rows of constant declination spaced by the footprint's height, pointings along each
    row spaced by its width over cos(dec); ``overlap`` is the fraction shared by neighbours."""
    width, height = _grid_cell(footprint)
    step_dec = height * (1 - overlap)
    decs = np.arange(max(dec_min, -90.0) + step_dec / 2, min(dec_max, 90.0), step_dec)
    ras: list[np.ndarray] = []
    out_decs: list[np.ndarray] = []
    for d in decs:
        n = _row_size(d, width, height, overlap)
        ras.append(np.arange(n) * 360.0 / n)
        out_decs.append(np.full(n, d))
    if not ras:
        return np.empty(0), np.empty(0)
    return np.concatenate(ras), np.concatenate(out_decs)


def whole_sky_grid_size(footprint: dict[str, Any]) -> int:
    """How many pointings the footprint's whole-sky grid (no overlap) holds."""
    width, height = _grid_cell(footprint)
    return sum(
        _row_size(d, width, height, 0.0) for d in np.arange(-90.0 + height / 2, 90.0, height)
    )


def whole_sky_grid_band(
    footprint: dict[str, Any], dec_min: float, dec_max: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, ra, dec) of the pointings of the footprint's whole-sky grid (rows from the south
    pole, no overlap) whose rows reach declinations [dec_min, dec_max] (degrees). ``ids`` are
    positions in the whole grid (row by row from the south pole, eastwards from RA 0), so a
    pointing keeps its id whatever band is asked for."""
    width, height = _grid_cell(footprint)
    row_decs = np.arange(-90.0 + height / 2, 90.0, height)
    sizes = np.array([_row_size(d, width, height, 0.0) for d in row_decs], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rows = np.flatnonzero((row_decs + height / 2 >= dec_min) & (row_decs - height / 2 <= dec_max))
    if rows.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0), np.empty(0)
    ids = np.concatenate([offsets[k] + np.arange(sizes[k]) for k in rows])
    ra = np.concatenate([np.arange(sizes[k]) * 360.0 / sizes[k] for k in rows])
    dec = np.concatenate([np.full(sizes[k], row_decs[k]) for k in rows])
    return ids, ra, dec
