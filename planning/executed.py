"""Executed observations (uploaded as JSON or CSV, or reported by a queue robot) and the
localization coverage they give, in SQL over tiles.

An observation names its field by the grid's field id, or by RA/Dec (degrees): the field
whose centre is nearest, within the footprint's half-diagonal. Times are UTC; exposure
time in seconds; limiting magnitude AB.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
from django.db import transaction
from django.utils.dateparse import parse_datetime

from accounts import access, acl
from facilities.models import Allocation, InstrumentField
from gcn.models import Localization
from planning import coverage
from planning.models import ExecutedObservation

MAX_ROWS = 10_000
MAX_CSV_BYTES = 5_000_000
_MJD_UNIX = 40587.0


class ExecutedInputError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in list(errors.items())[:5]))
        self.errors = errors


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        out = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return out if abs(out) < 2**62 else None


def _finite(value) -> float | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def parse_time(value) -> datetime | None:
    """ISO 8601 (UTC when naive) or an MJD number."""
    mjd = _finite(value)
    if mjd is not None:
        if not 40000 < mjd < 80000:
            return None
        return datetime.fromtimestamp((mjd - _MJD_UNIX) * 86400.0, tz=UTC)
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _allocation(user, data: dict) -> Allocation:
    qs = Allocation.objects.select_related("instrument")
    if not access.is_super_admin(user):
        qs = qs.filter(group_id__in=access.user_group_ids(user))
    alloc_id, inst_id = _int(data.get("allocation_id")), _int(data.get("instrument_id"))
    if alloc_id is not None:
        found = qs.filter(pk=alloc_id).first()
    elif inst_id is not None:
        group_id = _int(data.get("group_id"))
        if group_id is not None:
            qs = qs.filter(group_id=group_id)
        found = qs.filter(instrument_id=inst_id).order_by("-end").first()
    else:
        raise ExecutedInputError({"allocation_id": "give allocation_id or instrument_id"})
    if found is None:
        raise ExecutedInputError({"allocation_id": "no allocation of your groups matches"})
    return found


def _rows_from_csv(upload) -> list[dict]:
    if upload.size > MAX_CSV_BYTES:
        raise ExecutedInputError({"file": f"larger than {MAX_CSV_BYTES} bytes"})
    try:
        text = upload.read(MAX_CSV_BYTES + 1).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExecutedInputError({"file": "not UTF-8 text"}) from None
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for row in reader:
        rows.append({(k or "").strip(): (v or "").strip() for k, v in row.items() if k})
        if len(rows) > MAX_ROWS:
            raise ExecutedInputError({"file": f"more than {MAX_ROWS} rows"})
    return rows


def ingest_request(user, data: Any, upload=None) -> int:
    """Store the executed observations of a request (all or nothing); returns how many."""
    if not (access.is_approved(user) and access.has_acl(user, acl.UPLOAD_DATA)):
        raise PermissionError("uploading observations needs the Upload data ACL")
    if not hasattr(data, "get"):
        raise ExecutedInputError({"body": "must be a JSON object"})
    alloc = _allocation(user, data)
    if upload is not None:
        rows = _rows_from_csv(upload)
    else:
        rows = data.get("observations")
        if not isinstance(rows, list) or not rows:
            raise ExecutedInputError({"observations": "a non-empty list"})
        if len(rows) > MAX_ROWS:
            raise ExecutedInputError({"observations": f"at most {MAX_ROWS} rows"})
    return store(alloc, rows, uploaded_by=user)


def _nearest_fields(instrument, ra: np.ndarray, dec: np.ndarray) -> list[int | None]:
    from facilities import footprint

    fields = list(
        InstrumentField.objects.filter(instrument=instrument).values_list("pk", "ra", "dec")
    )
    if not fields:
        return [None] * len(ra)
    try:
        width, height = footprint.extent(instrument.footprint)
        limit = 0.5 * math.hypot(width, height)
    except Exception:
        limit = 1.0
    pk = np.array([f[0] for f in fields])
    fra, fdec = np.radians([f[1] for f in fields]), np.radians([f[2] for f in fields])
    out: list[int | None] = []
    for r, d in zip(np.radians(ra), np.radians(dec), strict=True):
        cos = np.sin(d) * np.sin(fdec) + np.cos(d) * np.cos(fdec) * np.cos(r - fra)
        i = int(np.argmax(cos))
        sep = math.degrees(math.acos(min(1.0, float(cos[i]))))
        out.append(int(pk[i]) if sep <= limit else None)
    return out


def store(alloc: Allocation, rows: list, uploaded_by=None, planned_ids=None) -> int:
    instrument = alloc.instrument
    errors: dict[str, str] = {}
    parsed = []
    by_grid_id = dict(
        InstrumentField.objects.filter(instrument=instrument).values_list("field_id", "pk")
    )
    need_position = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            errors[f"row {i}"] = "must be an object"
            continue
        when = parse_time(row.get("obstime", row.get("mjd")))
        filt = row.get("filter")
        exposure = _finite(row.get("exposure_time"))
        limmag = _finite(row.get("limiting_mag"))
        field_pk = None
        if row.get("field_id") not in (None, ""):
            field_pk = by_grid_id.get(_int(row.get("field_id")))
            if field_pk is None:
                errors[f"row {i}"] = (
                    f"{instrument.name} has no field {str(row.get('field_id'))[:20]}"
                )
                continue
        else:
            ra, dec = _finite(row.get("ra")), _finite(row.get("dec"))
            if ra is None or dec is None or not (0 <= ra < 360 and -90 <= dec <= 90):
                errors[f"row {i}"] = "give field_id or ra/dec in degrees"
                continue
            need_position.append((len(parsed), ra, dec, i))
        if when is None:
            errors[f"row {i}"] = "obstime must be ISO 8601 UTC or MJD"
            continue
        if not isinstance(filt, str) or filt not in (instrument.filters or []):
            errors[f"row {i}"] = f"filter must be one of {', '.join(instrument.filters or [])}"
            continue
        if exposure is None or not 0 < exposure <= 86400:
            errors[f"row {i}"] = "exposure_time must be in (0, 86400] s"
            continue
        if row.get("limiting_mag") not in (None, "") and (limmag is None or not -5 < limmag < 40):
            errors[f"row {i}"] = "limiting_mag must be a magnitude"
            continue
        parsed.append([field_pk, when, filt, exposure, limmag])
    if need_position and not errors:
        idx = [p[0] for p in need_position]
        found = _nearest_fields(
            instrument,
            np.array([p[1] for p in need_position]),
            np.array([p[2] for p in need_position]),
        )
        for k, pk, (_, _, _, rowno) in zip(idx, found, need_position, strict=True):
            if pk is None:
                errors[f"row {rowno}"] = "no field of the instrument at this position"
            else:
                parsed[k][0] = pk
    if errors:
        raise ExecutedInputError(errors)
    with transaction.atomic():
        ExecutedObservation.objects.bulk_create(
            [
                ExecutedObservation(
                    group_id=alloc.group_id,
                    instrument=instrument,
                    field_id=pk,
                    obstime=when,
                    filter=filt,
                    exposure_time=exposure,
                    limiting_mag=limmag,
                    uploaded_by=uploaded_by,
                    planned_id=(planned_ids or {}).get(n),
                )
                for n, (pk, when, filt, exposure, limmag) in enumerate(parsed)
            ]
        )
    return len(parsed)


def covered(user, loc: Localization, params) -> dict:
    """Coverage of ``loc`` by the user's groups' executed observations in [start, end]."""
    errors = {}
    start = end = None
    if params.get("start"):
        start = parse_time(params.get("start"))
        if start is None:
            errors["start"] = "ISO 8601 UTC"
    if params.get("end"):
        end = parse_time(params.get("end"))
        if end is None:
            errors["end"] = "ISO 8601 UTC"
    if errors:
        raise ExecutedInputError(errors)
    groups = (
        list(access.groups_of(user).values_list("id", flat=True))
        if access.is_super_admin(user)
        else access.user_group_ids(user)
    )
    table = ExecutedObservation._meta.db_table
    where = "group_id = ANY(%s)"
    args: list = [list(groups)]
    if start:
        where += " AND obstime >= %s"
        args.append(start)
    if end:
        where += " AND obstime <= %s"
        args.append(end)
    n = ExecutedObservation.objects.filter(group_id__in=groups)
    if start:
        n = n.filter(obstime__gte=start)
    if end:
        n = n.filter(obstime__lte=end)
    cov = coverage.coverage(
        loc.pk, f"SELECT '*' AS label, field_id FROM {table} WHERE {where}", args
    )
    iso = lambda t: t.isoformat() if t else None  # noqa: E731
    return {
        "start": iso(start),
        "end": iso(end),
        "n_observations": n.count(),
        "area": cov["*"]["area"],
        "probability": cov["*"]["probability"],
    }
