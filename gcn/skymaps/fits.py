"""Sky maps from FITS bytes: multi-order (NUNIQ) and flat HEALPix maps, gzip or not."""

from __future__ import annotations

import gzip
import io
import math

import numpy as np

from gcn.skymaps.core import _FLAT_LOSSY_LEVEL, Localization, from_uniq

# --------------------------------------------------------------------------
# From FITS sky maps
# --------------------------------------------------------------------------


def _open_fits(data: bytes):
    from astropy.io import fits

    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return fits.open(io.BytesIO(data), memmap=False)


def _col(table, *names):
    cols = {c.upper(): c for c in table.columns.names}
    for n in names:
        if n in cols:
            return np.asarray(table[cols[n]], dtype=np.float64).ravel()
    return None


def from_fits_bytes(data: bytes, name: str = "", with_contours: bool = True) -> Localization:
    """Build a :class:`Localization` from a multi-order (NUNIQ) or flat HEALPix FITS file."""
    with _open_fits(data) as hdul:
        hdu = next(h for h in hdul[1:] if getattr(h, "columns", None) is not None)
        header = hdu.header
        ordering = str(header.get("ORDERING", "")).strip().upper()
        dmean = header.get("DISTMEAN")
        dstd = header.get("DISTSTD")
        table = hdu.data
        if ordering == "NUNIQ" or "UNIQ" in [c.upper() for c in table.columns.names]:
            uniq = np.asarray(table["UNIQ"], dtype=np.int64)
            pd = _col(table, "PROBDENSITY")
            if pd is None:
                raise ValueError("multi-order map without PROBDENSITY")
            return from_uniq(
                uniq,
                pd,
                _col(table, "DISTMU"),
                _col(table, "DISTSIGMA"),
                _col(table, "DISTNORM"),
                distance_mean=float(dmean) if dmean is not None else None,
                distance_std=float(dstd) if dstd is not None else None,
                name=name,
                with_contours=with_contours,
            )
        prob = _col(table, "PROB", "PROBABILITY", "PROBDENSITY")
        if prob is None:
            prob = np.asarray(table.field(0), dtype=np.float64).ravel()
        per_sr = (
            "PROBDENSITY" in [c.upper() for c in table.columns.names]
            and _col(table, "PROB", "PROBABILITY") is None
        )
        dist = [_col(table, n) for n in ("DISTMU", "DISTSIGMA", "DISTNORM")]
    return from_flat(
        prob,
        nest=ordering != "RING",
        per_steradian=per_sr,
        distmu=dist[0],
        distsigma=dist[1],
        distnorm=dist[2],
        distance_mean=float(dmean) if dmean is not None else None,
        distance_std=float(dstd) if dstd is not None else None,
        name=name,
        with_contours=with_contours,
    )


def from_flat(
    values: np.ndarray,
    *,
    nest: bool = True,
    per_steradian: bool = False,
    distmu: np.ndarray | None = None,
    distsigma: np.ndarray | None = None,
    distnorm: np.ndarray | None = None,
    distance_mean: float | None = None,
    distance_std: float | None = None,
    name: str = "",
    with_contours: bool = True,
) -> Localization:
    """Build a :class:`Localization` from a single-resolution HEALPix map.

    ``values`` is probability per pixel (or per steradian if ``per_steradian``),
    RING or NESTED. Sibling pixels are merged into their parent when all their
    values are identical (lossless: maps made by ligo.skymap are adaptive
    underneath) or when all four lie beyond the 99.9 % credible level (their
    densities are all lower than any density inside it, so the 50/90/99 %
    regions are unchanged). Merged tiles get the mean density and the distance
    parameters of their densest child.
    """
    import healpy as hp

    values = np.asarray(values, dtype=np.float64).ravel()
    npix = values.size
    nside = hp.npix2nside(npix)
    order = round(math.log2(nside))
    layers = [values] + [a for a in (distmu, distsigma, distnorm) if a is not None]
    if not nest:
        layers = [hp.reorder(np.asarray(a, dtype=np.float64).ravel(), r2n=True) for a in layers]
    vals = np.stack([np.asarray(a, dtype=np.float64).ravel() for a in layers], axis=1)
    vals[:, 0] = np.where(np.isfinite(vals[:, 0]) & (vals[:, 0] > 0), vals[:, 0], 0.0)
    pixarea = 4 * math.pi / npix
    dens = vals[:, 0] if per_steradian else vals[:, 0] / pixarea
    vals[:, 0] = dens
    srt = np.sort(dens)[::-1]
    cum = np.cumsum(srt) * pixarea
    cut = np.searchsorted(cum, _FLAT_LOSSY_LEVEL * cum[-1])
    dens_star = srt[min(cut, npix - 1)]

    out_uniq: list[np.ndarray] = []
    out_vals: list[np.ndarray] = []
    ipix = np.arange(npix, dtype=np.int64)
    cur = vals
    while order > 0 and ipix.size:
        parent = ipix >> 2
        first = np.concatenate(([True], parent[1:] != parent[:-1]))
        starts = np.nonzero(first)[0]
        counts = np.diff(np.concatenate((starts, [ipix.size])))
        full = starts[counts == 4]
        kids = full[:, None] + np.arange(4)
        group = cur[kids]  # (n, 4, ncol)
        equal = np.all(group == group[:, :1, :], axis=(1, 2))
        faint = np.all(group[:, :, 0] < dens_star, axis=1)
        merge = equal | faint
        keep_mask = np.ones(ipix.size, dtype=bool)
        keep_mask[kids[merge].ravel()] = False
        out_uniq.append((np.int64(4) << (2 * order)) + ipix[keep_mask])
        out_vals.append(cur[keep_mask])
        g = group[merge]
        densest = np.argmax(g[:, :, 0], axis=1)
        merged = g[np.arange(g.shape[0]), densest].copy()
        merged[:, 0] = g[:, :, 0].mean(axis=1)
        ipix, cur = parent[full[merge]], merged
        order -= 1
    if ipix.size:
        out_uniq.append((np.int64(4) << (2 * order)) + ipix)
        out_vals.append(cur)
    uniq = np.concatenate(out_uniq)
    v = np.concatenate(out_vals)
    has_d = v.shape[1] == 4
    return from_uniq(
        uniq,
        v[:, 0],
        v[:, 1] if has_d else None,
        v[:, 2] if has_d else None,
        v[:, 3] if has_d else None,
        distance_mean=distance_mean,
        distance_std=distance_std,
        name=name,
        with_contours=with_contours,
    )
