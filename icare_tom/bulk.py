"""Building blocks of the set-based writers each app keeps for its own tables
(``sources.bulk``, ``accounts.bulk``): table and column names, and the values of the
columns a writer does not set, all read from the models' metadata, never spelled out.

A writer states which fields it fills; :func:`unset_columns` supplies the rest the way
Django would (``default``, ``auto_now``/``auto_now_add``) so that a renamed column or a
new default in a model (ours or TOM Toolkit's) reaches the bulk paths too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial

import psycopg
from django.db import connection, models


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: type[models.Model]) -> str:
    """The model's table name, quoted."""
    return quote(model._meta.db_table)


def column(model: type[models.Model], field: str) -> str:
    """The column of ``field`` (a field name, ``target`` → ``"target_id"``), quoted."""
    return quote(model._meta.get_field(field).column)


def columns(model: type[models.Model], fields: Iterable[str]) -> list[str]:
    return [column(model, f) for f in fields]


def unset_columns(
    model: type[models.Model], given: Iterable[str]
) -> tuple[list[str], list[str], list]:
    """``(columns, SQL expressions, params)`` for the concrete fields not in ``given``
    that need a value: ``now()`` for ``auto_now``/``auto_now_add``, the field's default
    otherwise (as a parameter). Fields the database fills (serial keys, ``db_default``)
    and nullable fields without a default are left out. Raises ``ValueError`` for a
    required field with no default (the writer must give it)."""
    given = set(given)
    names, exprs, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.name in given or field.attname in given:
            continue
        if field.primary_key and isinstance(field, models.AutoField):
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            names.append(quote(field.column))
            exprs.append("now()")
        elif field.has_default():
            names.append(quote(field.column))
            exprs.append("%s")
            params.append(field.get_db_prep_value(field.get_default(), connection))
        elif field.has_db_default() or field.null:
            continue
        else:
            raise ValueError(f"{model.__name__}.{field.name} has no default: give it")
    return names, exprs, params


def write_rows(types: Sequence[str], rows: Iterable[tuple], copy: psycopg.Copy) -> None:
    """Write ``rows`` (Python tuples of the binary ``types``) into an open COPY."""
    copy.set_types(list(types))
    write_row = copy.write_row
    for row in rows:
        write_row(row)


def copy_unless_present(
    cursor, model: type[models.Model], fields: Sequence[str], write: Callable[[psycopg.Copy], None]
) -> bool:
    """Binary-COPY into the model's table what ``write`` writes (the ``fields`` in that
    order), under a savepoint. False, with nothing written, when a row is already there
    (a unique violation: typically a concurrent writer stored it meanwhile)."""
    cursor.execute("SAVEPOINT bulk_direct_copy")
    names = ", ".join(columns(model, fields))
    try:
        with cursor.copy(f"COPY {table(model)} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            write(copy)
    except psycopg.errors.UniqueViolation:
        cursor.execute("ROLLBACK TO SAVEPOINT bulk_direct_copy")
        return False
    cursor.execute("RELEASE SAVEPOINT bulk_direct_copy")
    return True


def insert_new_rows(
    cursor,
    model: type[models.Model],
    fields: Sequence[str],
    types: Sequence[str],
    rows: list[tuple],
    conflict: Sequence[str],
) -> None:
    """Insert rows believed new straight into the model's table by binary COPY; if a
    concurrent writer stored one meanwhile (unique violation), redo it through a temp
    table with ``ON CONFLICT (conflict fields) DO NOTHING``.

    Straight COPY writes each row once instead of twice (temp table, then table).
    ``types`` are PostgreSQL's binary COPY type names (int4, int8, text, bytea, …).
    """
    if not rows:
        return
    if copy_unless_present(cursor, model, fields, partial(write_rows, types, rows)):
        return
    names = columns(model, fields)
    temp = quote(f"bulk_{model._meta.db_table}")
    definition = ", ".join(f"{n} {t}" for n, t in zip(names, types, strict=True))
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {temp} ({definition}) ON COMMIT DELETE ROWS")
    # Emptied explicitly too: under an outer transaction (tests) no commit separates batches.
    cursor.execute(f"TRUNCATE {temp}")
    listed = ", ".join(names)
    with cursor.copy(f"COPY {temp} ({listed}) FROM STDIN (FORMAT BINARY)") as copy:
        write_rows(types, rows, copy)
    cursor.execute(
        f"INSERT INTO {table(model)} ({listed}) SELECT {listed} FROM {temp} "
        f"ON CONFLICT ({', '.join(columns(model, conflict))}) DO NOTHING"
    )
