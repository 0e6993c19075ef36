"""Galaxy catalogs: streaming bulk load (binary COPY) of GLADE+-style CSV files.

CSV columns (header row, case-insensitive; first matching alias wins):
name (``name``, ``GLADE_no``, ``GLADE``, ``id``), ``ra`` and ``dec`` (ICRS
degrees), distance (``distance``, ``d_L``, ``dist``, ``distance_mpc``; Mpc),
its error (``distance_err``, ``d_L_err``, ``dist_err``; Mpc), magnitudes
``B``/``mag_b``, ``K``/``mag_k``, ``W1``/``mag_w1``. Empty cells are NULL.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from gcn import skymaps
from gcn.models import Galaxy, GalaxyCatalog

COLUMN_ALIASES = {
    "name": ("name", "glade_no", "glade", "id", "objname"),
    "ra": ("ra", "raj2000", "ra_deg"),
    "dec": ("dec", "dej2000", "dec_deg"),
    "distance_mpc": ("distance", "distance_mpc", "d_l", "dist", "dl"),
    "distance_err_mpc": ("distance_err", "distance_err_mpc", "d_l_err", "dist_err", "dl_err"),
    "mag_b": ("mag_b", "b", "bmag"),
    "mag_k": ("mag_k", "k", "kmag"),
    "mag_w1": ("mag_w1", "w1", "w1mag"),
}
COPY_COLUMNS = (
    "catalog_id",
    "name",
    "ra",
    "dec",
    "healpix",
    "distance_mpc",
    "distance_err_mpc",
    "mag_b",
    "mag_k",
    "mag_w1",
)
_COPY_TYPES = ["int8", "text", "float8", "float8", "int8", *(["float8"] * 5)]


class CatalogFormatError(ValueError):
    """The file lacks a required column or has unreadable coordinates."""


def _resolve_columns(header: list[str]) -> dict[str, str]:
    lower = {h.strip().lower(): h for h in header}
    found = {}
    for field, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in lower:
                found[field] = lower[alias]
                break
    missing = [f for f in ("ra", "dec") if f not in found]
    if missing:
        raise CatalogFormatError(f"missing column(s) {', '.join(missing)} in {header}")
    return found


def read_csv_chunks(path: Path, chunk_rows: int = 500_000) -> Iterator[dict[str, np.ndarray]]:
    """Yield column arrays of ``chunk_rows`` rows at a time (constant memory)."""
    import pandas as pd

    header = list(pd.read_csv(path, nrows=0).columns)
    cols = _resolve_columns(header)
    reader = pd.read_csv(
        path, usecols=list(cols.values()), chunksize=chunk_rows, dtype={cols.get("name"): str}
    )
    for offset, chunk in enumerate(reader):
        out = {}
        for field, col in cols.items():
            if field == "name":
                out[field] = chunk[col].fillna("").astype(str).to_numpy()
            else:
                out[field] = pd.to_numeric(chunk[col], errors="coerce").to_numpy(np.float64)
        if "name" not in out:
            start = offset * chunk_rows
            out["name"] = np.char.add("row", np.arange(start, start + len(chunk)).astype(str))
        yield out


def copy_galaxies(catalog_id: int, columns: dict[str, np.ndarray]) -> int:
    """Binary-COPY one chunk of galaxies; computes the order-29 HEALPix index of (ra, dec).

    Rows with missing or out-of-range coordinates are an error (a catalog must be clean).
    """
    ra = np.asarray(columns["ra"], np.float64)
    dec = np.asarray(columns["dec"], np.float64)
    bad = ~(np.isfinite(ra) & np.isfinite(dec) & (np.abs(dec) <= 90))
    if bad.any():
        raise CatalogFormatError(f"{int(bad.sum())} rows with missing or invalid ra/dec")
    n = ra.size
    healpix = skymaps.healpix_index_order29(np.mod(ra, 360.0), dec).tolist()
    lists = [[catalog_id] * n, list(columns["name"]), ra.tolist(), dec.tolist(), healpix]
    for field in COPY_COLUMNS[5:]:
        arr = columns.get(field)
        if arr is None:
            lists.append([None] * n)
        else:
            arr = np.asarray(arr, np.float64)
            lists.append([v if math.isfinite(v) else None for v in arr.tolist()])
    with (
        connection.cursor() as cur,
        cur.cursor.copy(
            f"COPY {Galaxy._meta.db_table} ({', '.join(COPY_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
        ) as copy,
    ):
        copy.set_types(_COPY_TYPES)
        for row in zip(*lists, strict=True):
            copy.write_row(row)
    return n


def load_catalog(name: str, path: Path, *, replace: bool = False, progress=None) -> int:
    """Load a CSV into catalog ``name`` (created if new; ``replace`` empties it first).

    Runs in one transaction (a failed load leaves the catalog as it was), then
    ANALYZE so the planner sees the new rows. Returns the number of galaxies loaded.
    """
    total = 0
    with transaction.atomic():
        catalog, _ = GalaxyCatalog.objects.get_or_create(name=name)
        if replace:
            with connection.cursor() as cur:
                cur.execute(
                    f"DELETE FROM {Galaxy._meta.db_table} WHERE catalog_id = %s", [catalog.pk]
                )
        for chunk in read_csv_chunks(Path(path)):
            total += copy_galaxies(catalog.pk, chunk)
            if progress:
                progress(total)
        catalog.n_galaxies = Galaxy.objects.filter(catalog=catalog).count()
        catalog.loaded_at = timezone.now()
        catalog.save()
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {Galaxy._meta.db_table}")
    return total
