"""FITS sky maps: completeness checks (astropy headers) and bare map files as notices.

:func:`inspect_fits` checks embedded maps (LVK alerts, unified notices) before
they are stored; :func:`parse_skymap_file` turns a map downloaded on its own
(e.g. from GraceDB) into a notice.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import warnings
import zlib
from typing import Any

from gcn.notices.base import (
    MAX_NOTICE_BYTES,
    FlatHealpixMap,
    LocalizationSpec,
    MultiOrderMap,
    NoticeRejected,
    ParsedNotice,
)
from gcn.notices.values import parse_time, to_float

FITS_BLOCK = 2880
_FITS_START = b"SIMPLE  ="
# Header keywords that are not key = value cards.
_COMMENTARY = ("", "COMMENT", "HISTORY")


def is_fits(raw: bytes) -> bool:
    """FITS (possibly gzip-compressed) rather than a notice."""
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.open(io.BytesIO(raw)) as fh:
                return fh.read(9) == _FITS_START
        except (OSError, EOFError):
            return False
    return raw[:9] == _FITS_START


def gunzip_limited(data: bytes) -> bytes:
    """Decompress gzip with a size cap, so a gzip bomb is 'too_large', not an OOM."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, MAX_NOTICE_BYTES + 1)
    except zlib.error as exc:
        raise NoticeRejected("truncated_fits", f"bad gzip stream: {exc}") from exc
    if len(out) > MAX_NOTICE_BYTES:
        raise NoticeRejected("too_large", "decompressed sky map exceeds the limit")
    if not d.eof:
        raise NoticeRejected("truncated_fits", "gzip stream ends early")
    return out


def inspect_fits(data: bytes) -> dict[str, Any]:
    """Check that FITS bytes are complete and return the first table header's cards.

    astropy reads every HDU header; each data unit (``BITPIX``, ``NAXISn``,
    ``PCOUNT``, ``GCOUNT`` give its size) must lie within the bytes, and no
    unreadable extension header may follow the last HDU (trailing zero padding
    is allowed). Gzip-compressed FITS is accepted. Raises
    ``NoticeRejected('truncated_fits')`` otherwise.
    Returns ``{'ordering': 'NUNIQ'|'NESTED'|'RING'|None, 'header': {...}}`` where
    header holds the cards of the first extension (values as strings/numbers).
    """
    from astropy.io import fits

    if data[:2] == b"\x1f\x8b":
        data = gunzip_limited(data)
    if not data.startswith(_FITS_START):
        raise NoticeRejected("truncated_fits", "does not start with a FITS primary header")
    headers: list[dict[str, Any]] = []
    try:
        with warnings.catch_warnings():
            # astropy warns (and stops) at an unreadable header: we check the bytes below.
            warnings.simplefilter("ignore")
            with fits.open(io.BytesIO(data), memmap=False, lazy_load_hdus=False) as hdul:
                end = 0
                for n, hdu in enumerate(hdul):
                    start = hdu.fileinfo()["datLoc"]
                    if start + hdu.size > len(data):
                        left = len(data) - start
                        raise NoticeRejected(
                            "truncated_fits", f"HDU {n} needs {hdu.size} bytes, {left} left"
                        )
                    end = start + -(-hdu.size // FITS_BLOCK) * FITS_BLOCK
                    headers.append({k: v for k, v in hdu.header.items() if k not in _COMMENTARY})
    except NoticeRejected:
        raise
    except Exception as exc:  # astropy raises OSError/ValueError/... on a broken header
        raise NoticeRejected("truncated_fits", f"{type(exc).__name__}: {exc}") from exc
    if not headers:
        raise NoticeRejected("truncated_fits", "no readable header")
    if data[end:].startswith(b"XTENSION="):
        raise NoticeRejected("truncated_fits", f"header {len(headers)} has no END card")
    ext = headers[1] if len(headers) > 1 else headers[0]
    ordering = ext.get("ORDERING")
    return {"ordering": str(ordering).strip().upper() if ordering else None, "header": ext}


def map_spec(data: bytes, name: str) -> tuple[LocalizationSpec, dict[str, Any]]:
    """Validate embedded FITS bytes and wrap them as a multi-order or flat map spec.

    The second value holds ``distmean``/``diststd`` (Mpc) when the header has them.
    """
    info = inspect_fits(data)
    extra: dict[str, Any] = {}
    for key, prop in (("DISTMEAN", "distmean"), ("DISTSTD", "diststd")):
        v = to_float(info["header"].get(key))
        if v is not None:
            extra[prop] = v
    if info["ordering"] == "NUNIQ":
        return MultiOrderMap(data=data, name=name), extra
    return FlatHealpixMap(data=data, name=name), extra


def parse_skymap_file(raw: bytes, name: str = "skymap.fits") -> ParsedNotice:
    """A bare HEALPix sky-map file (as downloaded from GraceDB) as a notice of its own.

    The event is ``OBJECT`` (when present) at ``DATE-OBS``; ``DISTMEAN``/``DISTSTD``
    (Mpc) become properties. Raises ``NoticeRejected('truncated_fits')`` when the
    header cannot be read or lacks ``DATE-OBS``.
    """
    from astropy.io import fits

    if len(raw) > MAX_NOTICE_BYTES:
        raise NoticeRejected("too_large", f"{len(raw)} bytes")
    stream = io.BytesIO(raw)
    try:
        if raw[:2] == b"\x1f\x8b":
            stream = gzip.GzipFile(fileobj=stream)  # read lazily: flat maps inflate to 100s of MB
        with fits.open(stream, memmap=False, lazy_load_hdus=True) as hdul:
            header = dict(hdul[1].header)
    except Exception as exc:
        raise NoticeRejected("truncated_fits", f"{type(exc).__name__}: {exc}") from exc
    trigger_time = parse_time(header.get("DATE-OBS"))
    if trigger_time is None:
        raise NoticeRejected("truncated_fits", "sky map has no DATE-OBS")
    ordering = str(header.get("ORDERING", "")).strip().upper()
    spec_type = MultiOrderMap if ordering == "NUNIQ" else FlatHealpixMap
    origin = str(header.get("ORIGIN", "")).strip()
    is_lvk = "LIGO" in origin.upper() or "VIRGO" in origin.upper()
    obj = str(header.get("OBJECT", "")).strip()
    props = {
        k: float(header[h])
        for k, h in (("distmean", "DISTMEAN"), ("diststd", "DISTSTD"))
        if isinstance(header.get(h), (int, float))
    }
    if header.get("INSTRUME"):
        props["instruments"] = str(header["INSTRUME"])
    digest = hashlib.sha256(raw).hexdigest()
    return ParsedNotice(
        source="LVK" if is_lvk else (origin or "unknown"),
        notice_type="SkyMap",
        trigger_time=trigger_time,
        aliases=(obj,) if obj else (),
        ivorn=None,
        content_hash=digest,
        format="fits",
        properties=props,
        tags=("GW", "LVK") if is_lvk else (),
        localizations=(spec_type(data=raw, name=name),),
        raw=raw,
    )
