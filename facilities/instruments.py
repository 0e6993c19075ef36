"""Telescopes, instruments and field grids from a YAML description (``load_instrument``).

The YAML (see ``config/instruments/``) has three parts::

    telescope: {name, nickname, latitude, longitude, elevation, aperture, robotic,
                fixed_location, source}
    instrument: {name, kind, filters, footprint, readout, overhead_per_exposure,
                 filter_change_time, slew_rate, source}
    fields: {file: fields/ZTF_Fields.csv, id_column: ID, ra_column: RA, dec_column: Dec}
          | {grid: {dec_min, dec_max, overlap, max_fields}}
          | none

A field file is named relative to the shared data folder (``ICARE_SHARED_DATA``) or given
as a path; without one a grid is generated from the footprint. Loading is idempotent:
telescope by nickname, instrument by name, fields by field id; the footprint tiles of the
fields are rewritten only when the footprint or the centres change (``fields_digest``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from django.db import connection, transaction

from facilities import footprint
from facilities.models import Instrument, InstrumentField, InstrumentFieldTile, Telescope
from sources import bands

MAX_CONFIG_BYTES = 1_000_000
MAX_FIELDS = 50_000
DEFAULT_GRID_MAX_FIELDS = 20_000

TELESCOPE_KEYS = (
    "name",
    "nickname",
    "latitude",
    "longitude",
    "elevation",
    "aperture",
    "robotic",
    "fixed_location",
    "source",
)
INSTRUMENT_KEYS = (
    "name",
    "kind",
    "filters",
    "footprint",
    "readout",
    "overhead_per_exposure",
    "filter_change_time",
    "slew_rate",
    "source",
)


class ConfigError(ValueError):
    """An instrument description that cannot be loaded (the message says why)."""


@dataclass(frozen=True)
class LoadResult:
    telescope: str
    instrument: str
    fields: int
    tiles_written: bool

    def summary(self) -> dict[str, Any]:
        return {"telescope": self.telescope, "instrument": self.instrument, "fields": self.fields}


def shared_data_dir() -> Path:
    return Path(
        os.environ.get("ICARE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
    )


def read_config(path: Path) -> dict[str, Any]:
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes")
    with path.open() as fh:
        config = yaml.safe_load(fh)
    if not isinstance(config, dict) or "telescope" not in config or "instrument" not in config:
        raise ConfigError(f"{path}: needs 'telescope' and 'instrument' sections")
    return config


def _validated(section: dict[str, Any], keys: tuple[str, ...], what: str) -> dict[str, Any]:
    if not isinstance(section, dict):
        raise ConfigError(f"{what} must be a mapping")
    unknown = set(section) - set(keys)
    if unknown:
        raise ConfigError(f"{what}: unknown keys {sorted(unknown)}")
    return dict(section)


def _check_telescope(values: dict[str, Any]) -> dict[str, Any]:
    for key in ("name", "nickname", "aperture"):
        if not values.get(key):
            raise ConfigError(f"telescope.{key} is required")
    if values.get("fixed_location", True):
        lat, lon = values.get("latitude"), values.get("longitude")
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 360):
            raise ConfigError("telescope latitude/longitude missing or out of range")
    return values


def _check_instrument(values: dict[str, Any]) -> dict[str, Any]:
    if not values.get("name"):
        raise ConfigError("instrument.name is required")
    filters = values.get("filters") or []
    unknown = bands.unknown_bands(filters)
    if unknown:
        raise ConfigError(f"instrument filters are not sncosmo band names: {unknown}")
    try:
        footprint.shapes_of(values.get("footprint") or {})
    except footprint.FootprintError as exc:
        raise ConfigError(f"instrument footprint: {exc}") from None
    return values


def field_centres(
    spec: Any, instrument_footprint: dict[str, Any], base: Path | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(field ids, ra, dec in degrees) from a ``fields`` section (see module doc)."""
    if spec in (None, "none", False):
        return np.empty(0, np.int64), np.empty(0), np.empty(0)
    if not isinstance(spec, dict):
        raise ConfigError("fields must be a mapping or 'none'")
    if "file" in spec:
        path = Path(spec["file"])
        if not path.is_absolute():
            candidates = [base / path] if base else []
            candidates.append(shared_data_dir() / path)
            path = next((p for p in candidates if p.exists()), candidates[-1])
        if not path.exists():
            raise ConfigError(
                f"field file {spec['file']} not found (set ICARE_SHARED_DATA or --fields-file)"
            )
        id_col, ra_col, dec_col = (
            spec.get("id_column", "ID"),
            spec.get("ra_column", "RA"),
            spec.get("dec_column", "Dec"),
        )
        ids, ras, decs = [], [], []
        with path.open(newline="") as fh:
            for lineno, row in enumerate(csv.DictReader(fh), start=2):
                try:
                    fid, ra, dec = int(float(row[id_col])), float(row[ra_col]), float(row[dec_col])
                except (KeyError, TypeError, ValueError):
                    raise ConfigError(f"{path}: line {lineno} has no usable id/RA/Dec") from None
                if not (0 <= ra <= 360 and -90 <= dec <= 90):
                    raise ConfigError(f"{path}: line {lineno} RA/Dec out of range")
                ids.append(fid)
                ras.append(ra % 360.0)
                decs.append(dec)
                if len(ids) > MAX_FIELDS:
                    raise ConfigError(f"{path}: more than {MAX_FIELDS} fields")
        if len(set(ids)) != len(ids):
            raise ConfigError(f"{path}: duplicate field ids")
        return np.array(ids, np.int64), np.array(ras), np.array(decs)
    grid = spec.get("grid")
    if isinstance(grid, dict):
        ra, dec = footprint.grid_centres(
            instrument_footprint,
            dec_min=float(grid.get("dec_min", -90.0)),
            dec_max=float(grid.get("dec_max", 90.0)),
            overlap=float(grid.get("overlap", 0.0)),
        )
        limit = int(grid.get("max_fields", DEFAULT_GRID_MAX_FIELDS))
        if ra.size > min(limit, MAX_FIELDS):
            raise ConfigError(
                f"a grid of this footprint has {ra.size} fields (> {limit}); narrow dec_min/"
                "dec_max or give no fields (galaxy-targeted or single pointings only)"
            )
        return np.arange(1, ra.size + 1, dtype=np.int64), ra, dec
    raise ConfigError("fields needs 'file', 'grid' or 'none'")


def _digest(instrument_footprint: dict, ids: np.ndarray, ra: np.ndarray, dec: np.ndarray) -> str:
    h = hashlib.sha256(json.dumps(instrument_footprint, sort_keys=True).encode())
    h.update(np.ascontiguousarray(ids).tobytes())
    h.update(np.round(ra, 9).tobytes())
    h.update(np.round(dec, 9).tobytes())
    return h.hexdigest()


def _copy_rows(model, columns: list[str], rows) -> None:
    """COPY rows into ``model``'s table; columns named by model field."""
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


@transaction.atomic
def store_fields(instrument: Instrument, ids: np.ndarray, ra: np.ndarray, dec: np.ndarray) -> bool:
    """Make the instrument's fields exactly (ids, ra, dec) and their tiles its footprint at
    each centre. Returns whether tiles were rewritten (False: nothing changed)."""
    digest = _digest(instrument.footprint, ids, ra, dec)
    if digest == instrument.fields_digest:
        return False
    InstrumentField.objects.filter(instrument=instrument).exclude(
        field_id__in=ids.tolist()
    ).delete()
    existing = dict(
        InstrumentField.objects.filter(instrument=instrument).values_list("field_id", "id")
    )
    to_update, to_create = [], []
    for fid, r, d in zip(ids.tolist(), ra.tolist(), dec.tolist(), strict=True):
        if fid in existing:
            to_update.append(
                InstrumentField(id=existing[fid], instrument=instrument, field_id=fid, ra=r, dec=d)
            )
        else:
            to_create.append(InstrumentField(instrument=instrument, field_id=fid, ra=r, dec=d))
    InstrumentField.objects.bulk_update(to_update, ["ra", "dec"], batch_size=2000)
    InstrumentField.objects.bulk_create(to_create, batch_size=2000)
    InstrumentFieldTile.objects.filter(field__instrument=instrument).delete()
    _write_tiles(instrument, ids, ra, dec)
    instrument.fields_digest = digest
    instrument.save(update_fields=["fields_digest"])
    return True


@transaction.atomic
def add_fields(instrument: Instrument, ids: np.ndarray, ra: np.ndarray, dec: np.ndarray) -> int:
    """Add the fields among (ids, ra, dec) the instrument does not hold yet, with their
    footprint tiles; the others, and the grid digest, are left alone. Returns how many were
    added."""
    held = set(
        InstrumentField.objects.filter(
            instrument=instrument, field_id__in=ids.tolist()
        ).values_list("field_id", flat=True)
    )
    new = np.array([fid not in held for fid in ids.tolist()], dtype=bool)
    if not new.any():
        return 0
    ids, ra, dec = ids[new], ra[new], dec[new]
    InstrumentField.objects.bulk_create(
        [
            InstrumentField(instrument=instrument, field_id=fid, ra=r, dec=d)
            for fid, r, d in zip(ids.tolist(), ra.tolist(), dec.tolist(), strict=True)
        ],
        batch_size=2000,
    )
    _write_tiles(instrument, ids, ra, dec)
    return int(ids.size)


def _write_tiles(instrument: Instrument, ids: np.ndarray, ra: np.ndarray, dec: np.ndarray) -> None:
    """The footprint tiles (order-29 ranges) of the stored fields ``ids`` centred at (ra, dec)."""
    if not ids.size:
        return
    pk_of = dict(
        InstrumentField.objects.filter(
            instrument=instrument, field_id__in=ids.tolist()
        ).values_list("field_id", "id")
    )
    ranges = footprint.field_ranges(instrument.footprint, ra, dec)

    def rows():
        for fid, (lower, upper) in zip(ids.tolist(), ranges, strict=True):
            field_pk = pk_of[fid]
            for lo, hi in zip(lower.tolist(), upper.tolist(), strict=True):
                yield (field_pk, lo, hi)

    _copy_rows(InstrumentFieldTile, ["field", "lower", "upper"], rows())
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(InstrumentFieldTile._meta.db_table)}")


@transaction.atomic
def load_config(
    config: dict[str, Any], base: Path | None = None, fields_file: Path | None = None
) -> LoadResult:
    """Create or update the telescope, instrument and fields described by ``config``."""
    tel = _check_telescope(_validated(config["telescope"], TELESCOPE_KEYS, "telescope"))
    ins = _check_instrument(_validated(config["instrument"], INSTRUMENT_KEYS, "instrument"))
    fields_spec = config.get("fields")
    if fields_file is not None:
        fields_spec = {
            **(fields_spec if isinstance(fields_spec, dict) else {}),
            "file": str(fields_file),
        }
        fields_spec.pop("grid", None)
    telescope, _ = Telescope.objects.update_or_create(nickname=tel.pop("nickname"), defaults=tel)
    instrument, _ = Instrument.objects.update_or_create(
        name=ins.pop("name"), defaults={**ins, "telescope": telescope}
    )
    ids, ra, dec = field_centres(fields_spec, instrument.footprint, base)
    written = store_fields(instrument, ids, ra, dec)
    return LoadResult(telescope.nickname, instrument.name, int(ids.size), written)


def load_instrument_file(path: Path, fields_file: Path | None = None) -> LoadResult:
    return load_config(read_config(path), base=path.parent, fields_file=fields_file)


def field_area_deg2(lower: np.ndarray, upper: np.ndarray) -> float:
    """Solid angle (deg²) of order-29 ranges."""
    return float(np.sum(upper - lower)) * (4 * math.pi / (12 * 4.0**29)) * (180 / math.pi) ** 2
