"""Cutout stamps rendered as PNG on demand, cached.

Alerts carry FITS stamps (ZTF: gzipped FITS; LSST: plain FITS); we store them as
received and render an 8-bit PNG when a page asks: science and template with a
z-scale interval and an asinh stretch (faint host structure and a bright core both
visible), the difference image with a z-scale interval and a linear stretch
(symmetric around zero, so negative residuals stay visible). PNGs are cached (Redis)
by alert id and kind; permission is checked before the cache is consulted.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable

import numpy as np
from astropy.io import fits
from astropy.visualization import AsinhStretch, ImageNormalize, LinearStretch, ZScaleInterval
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET
from PIL import Image

from accounts import access
from sources.models import Cutout

# Store name → stamp_bytes(alert_id, offset, length): where an app keeps stamps that
# cutout rows point into instead of holding them (see Cutout). Apps register in ready().
CUTOUT_STORES: dict[str, Callable[[int, int, int], bytes]] = {}

CACHE_SECONDS = 7 * 24 * 3600
KINDS = ("science", "template", "difference")
GZIP_MAGIC = b"\x1f\x8b"


def fits_bytes(stored: bytes) -> bytes:
    """Plain FITS bytes of a stored stamp (inflated if it was kept gzipped)."""
    stored = bytes(stored)
    return gzip.decompress(stored) if stored[:2] == GZIP_MAGIC else stored


def stored_stamp(cutout: Cutout) -> bytes:
    """The stamp's bytes as the alert carried them, wherever they are kept."""
    if not cutout.store:
        return bytes(cutout.fits)
    return CUTOUT_STORES[cutout.store](cutout.alert_id, cutout.store_offset, cutout.store_length)


def stamp_array(stored: bytes) -> np.ndarray:
    """The first image HDU of a stamp as a float array (NaN where undefined)."""
    with fits.open(io.BytesIO(fits_bytes(stored)), memmap=False) as hdus:
        for hdu in hdus:
            if hdu.data is not None and getattr(hdu.data, "ndim", 0) >= 2:
                data = np.asarray(hdu.data, dtype=float)
                return data.reshape(data.shape[-2:])
    raise ValueError("no image in the FITS stamp")


def render_png(stored: bytes, kind: str) -> bytes:
    """PNG (8-bit grey, north up as stored) of a FITS stamp; see the module doc for stretches."""
    data = stamp_array(stored)
    finite = np.isfinite(data)
    if not finite.any():
        scaled = np.zeros(data.shape, dtype=np.uint8)
    else:
        filled = np.where(finite, data, np.nanmedian(data))
        stretch = LinearStretch() if kind == "difference" else AsinhStretch(a=0.1)
        norm = ImageNormalize(filled, interval=ZScaleInterval(), stretch=stretch, clip=True)
        scaled = (np.nan_to_num(norm(filled).filled(0.0)) * 255).astype(np.uint8)
    # FITS rows run bottom to top; images top to bottom.
    image = Image.fromarray(scaled[::-1], mode="L")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def cutout_png(user, alert_id: int, kind: str) -> bytes:
    """The PNG of a cutout the user may see; raises ``Http404`` otherwise."""
    if kind not in KINDS:
        raise Http404("unknown cutout kind")
    visible = access.visible_to(user, Cutout.objects.filter(alert_id=alert_id, kind=kind))
    if not visible.exists():
        raise Http404("no such cutout")
    key = f"cutout-png:{alert_id}:{kind}"
    png = cache.get(key)
    if png is None:
        png = render_png(stored_stamp(visible.first()), kind)
        cache.set(key, png, CACHE_SECONDS)
    return png


@require_GET
def cutout_view(request, alert_id: int, kind: str) -> HttpResponse:
    response = HttpResponse(cutout_png(request.user, alert_id, kind), content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"
    return response
