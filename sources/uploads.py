"""Photometry and spectra that people and telescopes upload, and point validation.

Photometry units: flux and fluxerr in µJy (AB zero point 23.9), magnitudes AB, times MJD
(days). A point is one of ``{mjd, filter, flux, fluxerr}``, ``{mjd, filter, mag, magerr}``
or ``{mjd, filter, limiting_mag}``; ``filter`` is an sncosmo band name. Uploaded points are
seen only by the groups they are uploaded for (``PhotometryGroup``); rejected points
(``PhotometryValidation``) are kept and hidden from plots unless asked for.

An upload is atomic: one bad point or line refuses the whole upload (400 naming them).
"""

from __future__ import annotations

import csv
import functools
import io
import math
import zlib
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from tom_targets.models import Target

from accounts import access, acl
from icare_tom.plotly_text import plotly_text
from sources.bands import SNCOSMO_BANDS
from sources.models import Photometry, PhotometryGroup, PhotometryValidation, Spectrum

AB_ZERO_POINT_UJY = 23.9
MAG_ERR_PER_REL_FLUX = 2.5 / math.log(10.0)
MAX_POINTS = 100_000
MAX_SPECTRUM_BYTES = 20_000_000
MAX_SPECTRUM_PIXELS = 200_000
MAX_ERRORS_LISTED = 20
MJD_RANGE = (30_000.0, 100_000.0)
# measurement_key = round(mjd * 1e6) * 64 + channel; stream channels are < 56, uploads use
# 56..63 (from the instrument, band and kind), so an upload never collides with the stream
UPLOAD_CHANNEL_BASE = 56


class UploadError(ValueError):
    """A refused upload; ``status`` is the HTTP status (400 bad data, 403 not allowed,
    404 unseen target) and ``problems`` lists the bad rows/lines."""

    def __init__(self, message: str, problems: list[str] | None = None, status: int = 400):
        super().__init__(message)
        self.status = status
        self.problems = problems or []

    def detail(self) -> str:
        shown = self.problems[:MAX_ERRORS_LISTED]
        more = len(self.problems) - len(shown)
        tail = f"; … and {more} more" if more > 0 else ""
        return str(self) + (": " + "; ".join(shown) + tail if shown else "")


# --------------------------------------------------------------------------- visibility


def visible_photometry(user, queryset: QuerySet, include_rejected: bool = False) -> QuerySet:
    """Photometry rows the user may see: stream points, and uploaded points of one of the
    user's groups; rejected points only with ``include_rejected``."""
    same = {"target_id": OuterRef("target_id"), "measurement_key": OuterRef("measurement_key")}
    if not access.is_super_admin(user):
        restricted = Exists(PhotometryGroup.objects.filter(**same))
        mine = Exists(
            PhotometryGroup.objects.filter(**same, group_id__in=access.user_group_ids(user))
        )
        queryset = queryset.filter(~restricted | mine)
    if not include_rejected:
        queryset = queryset.exclude(
            Exists(PhotometryValidation.objects.filter(**same, status="rejected"))
        )
    return queryset


def visible_spectra(user, target: Target) -> QuerySet[Spectrum]:
    qs = Spectrum.objects.filter(target=target).order_by("observed_at", "id")
    if access.is_super_admin(user):
        return qs
    return qs.filter(groups__in=access.user_group_ids(user)).distinct()


def upload_groups(user, target: Target, group_ids) -> list[Group]:
    """The groups an upload is for: the given ones (all the user's own), or by default the
    user's groups that see the target."""
    mine = access.groups_of(user)
    if group_ids:
        try:
            wanted = {int(g) for g in group_ids}
        except (TypeError, ValueError):
            raise UploadError("group_ids must be integers") from None
        groups = list(mine.filter(pk__in=wanted))
        if len(groups) != len(wanted):
            raise UploadError("you may only upload for your own groups", status=403)
        return groups
    groups = list(mine.filter(pk__in=access.owning_groups(target).values("pk")))
    if not groups:
        raise UploadError("none of your groups sees this target", status=403)
    return groups


def check_may_upload(user, target: Target) -> None:
    if not access.can_view_target(user, target):
        raise UploadError("no such target", status=404)
    if not access.has_acl(user, acl.UPLOAD_DATA):
        raise UploadError("uploading needs the 'Upload data' ACL", status=403)


# --------------------------------------------------------------------------- photometry


@dataclass(slots=True)
class CleanPoint:
    mjd: float
    band: str
    flux: float | None
    fluxerr: float | None
    mag: float | None
    magerr: float | None
    limiting_mag: float | None


_VALUE_KEYS = ("flux", "fluxerr", "mag", "magerr", "limiting_mag")


def _number(value, name: str, problems: list[str], where) -> float | None:
    """``value`` as a finite float, None when absent; ``where()`` names the point on error."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append(f"{where()}: {name} is not a number")
        return None
    if not math.isfinite(number):
        problems.append(f"{where()}: {name} is not finite")
        return None
    return number


def clean_points(points, where_prefix: str = "point") -> list[CleanPoint]:
    """Check every point (see module doc); raise :class:`UploadError` naming the bad ones."""
    if not isinstance(points, list) or not points:
        raise UploadError("points must be a non-empty list")
    if len(points) > MAX_POINTS:
        raise UploadError(f"at most {MAX_POINTS} points per upload")
    problems: list[str] = []
    clean: list[CleanPoint] = []
    lo, hi = MJD_RANGE
    for i, point in enumerate(points, start=1):

        def where(i=i):
            return f"{where_prefix} {i}"

        if not isinstance(point, dict):
            problems.append(f"{where()}: not an object")
            continue
        n_before = len(problems)
        mjd = _number(point.get("mjd"), "mjd", problems, where)
        band = point.get("filter")
        if not isinstance(band, str) or band not in SNCOSMO_BANDS:
            problems.append(f"{where()}: filter {str(band)[:30]!r} is not an sncosmo band name")
        get = point.get
        flux, fluxerr, mag, magerr, limit = (
            _number(get(k), k, problems, where) for k in _VALUE_KEYS
        )
        if mjd is None and len(problems) == n_before:
            problems.append(f"{where()}: mjd is missing")
        elif mjd is not None and not lo <= mjd <= hi:
            problems.append(f"{where()}: mjd {mjd} is outside {lo:.0f}-{hi:.0f}")
        if len(problems) > n_before:
            continue
        if (flux is not None) + (mag is not None) + (limit is not None) != 1:
            problems.append(
                f"{where()}: give exactly one of flux+fluxerr, mag+magerr, limiting_mag"
            )
            continue
        if flux is not None:
            if fluxerr is None or fluxerr < 0:
                problems.append(f"{where()}: fluxerr must be given and ≥ 0")
                continue
            if flux > 0:
                mag = -2.5 * math.log10(flux) + AB_ZERO_POINT_UJY
                magerr = MAG_ERR_PER_REL_FLUX * fluxerr / flux
        elif mag is not None:
            if magerr is None or not 0 <= magerr < 10 or not -10 < mag < 40:
                problems.append(f"{where()}: mag must be in (-10, 40) with 0 ≤ magerr < 10")
                continue
            flux = 10 ** (-0.4 * (mag - AB_ZERO_POINT_UJY))
            fluxerr = flux * magerr / MAG_ERR_PER_REL_FLUX
        elif not -10 < limit < 40:
            problems.append(f"{where()}: limiting_mag must be in (-10, 40)")
            continue
        clean.append(CleanPoint(mjd, band, flux, fluxerr, mag, magerr, limit))
    if problems:
        raise UploadError("bad photometry, nothing stored", problems)
    return clean


@functools.lru_cache(maxsize=1024)
def _upload_channel(instrument: str, band: str, kind: str) -> int:
    return UPLOAD_CHANNEL_BASE + zlib.crc32(f"{instrument}|{band}|{kind}".encode()) % 8


def upload_key(mjd: float, instrument: str, band: str, is_limit: bool) -> int:
    """Measurement key of an uploaded point: time-ordered like stream keys, in channels the
    streams never use."""
    return round(mjd * 1e6) * 64 + _upload_channel(instrument, band, "lim" if is_limit else "det")


def _copy_into_temp(cursor, temp: str, columns: list[str], rows) -> None:
    with cursor.copy(f"COPY {temp} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def store_photometry(
    target: Target,
    points: list[CleanPoint],
    *,
    instrument: str,
    groups: list[Group],
    owner,
    origin: str,
) -> int:
    """Write the points (a repeated point replaces the earlier upload) and their groups, in
    one transaction, set-based; returns how many distinct points were stored."""
    if not instrument or len(instrument) > 40:
        raise UploadError("instrument must be 1-40 characters")
    meta = Photometry._meta
    q = connection.ops.quote_name
    fields = [
        "target",
        "measurement_key",
        "mjd",
        "band",
        "instrument",
        "flux",
        "fluxerr",
        "mag",
        "magerr",
        "limiting_mag",
        "origin",
        "owner",
    ]
    columns = [q(meta.get_field(f).column) for f in fields]
    rows = [
        (
            target.pk,
            upload_key(p.mjd, instrument, p.band, p.limiting_mag is not None),
            p.mjd,
            p.band,
            instrument,
            p.flux,
            p.fluxerr,
            p.mag,
            p.magerr,
            p.limiting_mag,
            origin,
            owner.pk if owner is not None else None,
        )
        for p in points
    ]
    unique = {row[1]: row for row in rows}  # the last of a repeated point wins
    group_meta = PhotometryGroup._meta
    group_columns = [
        q(group_meta.get_field(f).column) for f in ("target", "measurement_key", "group")
    ]
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns[2:])
    with transaction.atomic(), connection.cursor() as cursor:
        # dropped here too: inside an outer transaction ON COMMIT comes later
        cursor.execute("DROP TABLE IF EXISTS _upload_photometry")
        cursor.execute(
            f"CREATE TEMP TABLE _upload_photometry (LIKE {q(meta.db_table)} INCLUDING DEFAULTS)"
            " ON COMMIT DROP"
        )
        _copy_into_temp(cursor.cursor, "_upload_photometry", columns, unique.values())
        cursor.execute(
            f"INSERT INTO {q(meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(columns)} FROM _upload_photometry "
            # uploads have no survey id: detection_id keeps its default, 0
            f"ON CONFLICT ({columns[0]}, {columns[1]}, {q(meta.get_field('detection_id').column)})"
            f" DO UPDATE SET {updates}"
        )
        cursor.execute(
            f"INSERT INTO {q(group_meta.db_table)} ({', '.join(group_columns)}) "
            f"SELECT u.{columns[0]}, u.{columns[1]}, g FROM _upload_photometry u, "
            f"unnest(%s::bigint[]) AS g ON CONFLICT DO NOTHING",
            [[g.pk for g in groups]],
        )
        cursor.execute("DROP TABLE _upload_photometry")
    return len(unique)


def upload_photometry(
    user, target: Target, *, group_ids, instrument: str, points, origin: str = "upload"
) -> int:
    """``POST /api/photometry``: check access and every point, then store them all."""
    check_may_upload(user, target)
    groups = upload_groups(user, target, group_ids)
    clean = clean_points(points)
    return store_photometry(
        target, clean, instrument=instrument, groups=groups, owner=user, origin=origin
    )


def points_from_csv(text: str) -> list[dict]:
    """Points from CSV text with a header naming ``mjd, filter`` and ``flux, fluxerr`` and/or
    ``mag, magerr`` and/or ``limiting_mag`` (blank cells are absent values)."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"mjd", "filter"} <= {f.strip() for f in reader.fieldnames}:
        raise UploadError("the CSV needs a header with at least mjd and filter")
    points = []
    for row in reader:
        if len(points) >= MAX_POINTS:
            raise UploadError(f"at most {MAX_POINTS} points per upload")
        points.append({(k or "").strip(): (v or "").strip() for k, v in row.items() if k})
    return points


# --------------------------------------------------------------------------- validation


def validate_points(user, target: Target, keys, status: str, reason: str = "") -> int:
    """Mark points of ``target`` validated or rejected (or ``clear`` the mark). Needs Manage
    sources and a target the user sees; returns the number of points marked."""
    if not access.can_view_target(user, target):
        raise UploadError("no such target", status=404)
    if not access.has_acl(user, acl.MANAGE_SOURCES):
        raise UploadError("validating photometry needs the 'Manage sources' ACL", status=403)
    if status not in ("validated", "rejected", "clear"):
        raise UploadError("status must be validated, rejected or clear")
    if status == "rejected" and not (reason or "").strip():
        raise UploadError("a rejection needs a reason")
    try:
        keys = sorted({int(k) for k in keys})
    except (TypeError, ValueError):
        raise UploadError("measurement keys must be integers") from None
    if not keys or len(keys) > MAX_POINTS:
        raise UploadError("give between 1 and 100000 measurement keys")
    existing = set(
        visible_photometry(
            user,
            Photometry.objects.filter(target=target, measurement_key__in=keys),
            include_rejected=True,
        ).values_list("measurement_key", flat=True)
    )
    missing = [k for k in keys if k not in existing]
    if missing:
        raise UploadError("no such points", [str(k) for k in missing])
    with transaction.atomic():
        PhotometryValidation.objects.filter(target=target, measurement_key__in=keys).delete()
        if status != "clear":
            PhotometryValidation.objects.bulk_create(
                [
                    PhotometryValidation(
                        target=target,
                        measurement_key=k,
                        status=status,
                        reason=(reason or "")[:500],
                        by=user,
                    )
                    for k in keys
                ]
            )
    return len(keys)


def validations_of(target: Target) -> dict[int, PhotometryValidation]:
    return {v.measurement_key: v for v in PhotometryValidation.objects.filter(target=target)}


# --------------------------------------------------------------------------- spectra


@dataclass
class ParsedSpectrum:
    wavelengths: np.ndarray
    fluxes: np.ndarray
    errors: np.ndarray | None
    wave_units: str = "Angstrom"
    flux_units: str = "erg/s/cm2/Angstrom"


def _finish(wave, flux, err, problems: list[str], **units) -> ParsedSpectrum:
    if problems:
        raise UploadError("bad spectrum, nothing stored", problems)
    wave, flux = np.asarray(wave, float), np.asarray(flux, float)
    err = None if err is None else np.asarray(err, float)
    if wave.size < 2:
        raise UploadError("a spectrum needs at least 2 pixels")
    if wave.size > MAX_SPECTRUM_PIXELS:
        raise UploadError(f"at most {MAX_SPECTRUM_PIXELS} pixels")
    if not (np.all(np.isfinite(wave)) and np.all(wave > 0)):
        raise UploadError("wavelengths must be finite and positive")
    if not np.all(np.isfinite(flux)):
        raise UploadError("fluxes must be finite")
    if err is not None and not (np.all(np.isfinite(err)) and np.all(err >= 0)):
        raise UploadError("errors must be finite and ≥ 0")
    order = np.argsort(wave, kind="stable")
    return ParsedSpectrum(
        wave[order],
        flux[order],
        None if err is None else err[order],
        **{k: v for k, v in units.items() if v},
    )


def parse_spectrum_text(text: str) -> ParsedSpectrum:
    """ASCII or CSV: columns wavelength, flux[, error], separated by commas or blanks;
    ``#`` comments and one header line are skipped; every other line must be numeric."""
    wave, flux, err, problems = [], [], [], []
    n_columns = None
    header_seen = False
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        cells = [c for c in line.replace(",", " ").replace(";", " ").split() if c]
        try:
            values = [float(c) for c in cells]
        except ValueError:
            if not header_seen and not wave and not problems:
                header_seen = True
                continue
            problems.append(f"line {lineno}: not numbers")
            continue
        if len(values) not in (2, 3) or (n_columns and len(values) != n_columns):
            problems.append(f"line {lineno}: expected {n_columns or '2 or 3'} columns")
            continue
        n_columns = len(values)
        wave.append(values[0])
        flux.append(values[1])
        if n_columns == 3:
            err.append(values[2])
        if len(wave) > MAX_SPECTRUM_PIXELS:
            raise UploadError(f"at most {MAX_SPECTRUM_PIXELS} pixels")
    return _finish(wave, flux, err if n_columns == 3 else None, problems)


def parse_spectrum_fits(data: bytes) -> ParsedSpectrum:
    """FITS 1-D: a primary (or first image) HDU with a linear wavelength solution
    (CRVAL1, CDELT1 or CD1_1, CRPIX1), or a table with wavelength and flux columns."""
    from astropy.io import fits

    try:
        hdul = fits.open(io.BytesIO(data), memmap=False)
    except Exception as exc:
        raise UploadError(f"not a readable FITS file: {exc}") from None
    with hdul:
        for hdu in hdul:
            if hdu.data is None:
                continue
            header = hdu.header
            if isinstance(hdu, fits.BinTableHDU | fits.TableHDU):
                names = {n.lower(): n for n in hdu.columns.names}
                w = next(
                    (names[n] for n in ("wavelength", "wave", "lambda", "loglam") if n in names),
                    None,
                )
                f = next((names[n] for n in ("flux", "fluxes", "f_lambda") if n in names), None)
                e = next(
                    (names[n] for n in ("error", "err", "sigma", "flux_err") if n in names), None
                )
                if w is None or f is None:
                    continue
                wave = np.asarray(hdu.data[w], float).ravel()
                if w.lower() == "loglam":
                    wave = 10**wave
                flux = np.asarray(hdu.data[f], float).ravel()
                err = np.asarray(hdu.data[e], float).ravel() if e else None
                return _finish(wave, flux, err, [], flux_units=str(header.get("TUNIT2", "") or ""))
            array = np.asarray(hdu.data, float)
            if array.ndim > 1:
                array = array.reshape(-1, array.shape[-1])[0] if array.shape[0] <= 4 else None
            if array is None or array.ndim != 1:
                raise UploadError("the FITS image is not a 1-D spectrum")
            step = header.get("CDELT1", header.get("CD1_1"))
            if header.get("CRVAL1") is None or step is None:
                raise UploadError("the FITS spectrum has no CRVAL1/CDELT1 wavelength solution")
            pixels = np.arange(array.size) + 1 - float(header.get("CRPIX1", 1))
            wave = float(header["CRVAL1"]) + pixels * float(step)
            if str(header.get("CTYPE1", "")).upper().startswith("LOG"):
                wave = 10**wave
            units = str(header.get("CUNIT1", "") or "")
            return _finish(
                wave,
                array,
                None,
                [],
                wave_units=units,
                flux_units=str(header.get("BUNIT", "") or ""),
            )
    raise UploadError("no spectrum found in the FITS file")


def parse_spectrum_file(data: bytes, filename: str = "") -> ParsedSpectrum:
    if len(data) > MAX_SPECTRUM_BYTES:
        raise UploadError(f"a spectrum file is at most {MAX_SPECTRUM_BYTES} bytes")
    if data[:9] == b"SIMPLE  =" or filename.lower().endswith((".fits", ".fit", ".fts")):
        return parse_spectrum_fits(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UploadError("not UTF-8 text, nor FITS") from None
    return parse_spectrum_text(text)


def store_spectrum(
    target: Target,
    spectrum: ParsedSpectrum,
    *,
    instrument: str,
    observed_at: datetime,
    groups: list[Group],
    owner,
    origin: str = "upload",
    label: str = "",
) -> Spectrum:
    if not instrument or len(instrument) > 120:
        raise UploadError("instrument must be 1-120 characters")
    with transaction.atomic():
        row = Spectrum.objects.create(
            target=target,
            wavelengths=spectrum.wavelengths.tolist(),
            fluxes=spectrum.fluxes.tolist(),
            errors=None if spectrum.errors is None else spectrum.errors.tolist(),
            wave_units=spectrum.wave_units[:20],
            flux_units=spectrum.flux_units[:40],
            instrument=instrument,
            observed_at=observed_at,
            origin=origin,
            label=label[:200],
            owner=owner,
        )
        row.groups.set(groups)
    return row


def spectrum_arrays(payload: dict) -> ParsedSpectrum:
    """A spectrum given as JSON arrays (``wavelengths``, ``fluxes``, optional ``errors``)."""
    problems: list[str] = []
    arrays = {}
    for name in ("wavelengths", "fluxes", "errors"):
        value = payload.get(name)
        if value is None and name == "errors":
            arrays[name] = None
            continue
        if not isinstance(value, list) or len(value) > MAX_SPECTRUM_PIXELS:
            problems.append(f"{name} must be a list of at most {MAX_SPECTRUM_PIXELS} numbers")
            continue
        try:
            arrays[name] = [float(v) for v in value]
        except (TypeError, ValueError):
            problems.append(f"{name} must hold numbers only")
    if not problems and len(arrays["wavelengths"]) != len(arrays["fluxes"]):
        problems.append("wavelengths and fluxes differ in length")
    if (
        not problems
        and arrays["errors"] is not None
        and len(arrays["errors"]) != len(arrays["fluxes"])
    ):
        problems.append("errors and fluxes differ in length")
    if problems:
        raise UploadError("bad spectrum, nothing stored", problems)
    return _finish(
        arrays["wavelengths"],
        arrays["fluxes"],
        arrays["errors"],
        [],
        wave_units=str(payload.get("wave_units") or "")[:20],
        flux_units=str(payload.get("flux_units") or "")[:40],
    )


def spectra_plot_data(spectra) -> list[dict]:
    """JSON-ready series for the source page's Plotly spectrum plot."""
    return [
        {
            "id": s.pk,
            "label": plotly_text(f"{s.instrument} {s.observed_at:%Y-%m-%d %H:%M} UTC"),
            "wavelengths": s.wavelengths,
            "fluxes": s.fluxes,
            "errors": s.errors,
            "wave_units": plotly_text(s.wave_units),
            "flux_units": plotly_text(s.flux_units),
        }
        for s in spectra
    ]
