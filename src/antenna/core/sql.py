"""Rows inserted by `INSERT ... SELECT` inside one SQL statement (PostgreSQL): several writes
that depend on each other in one round trip, e.g. a job, its budget's ledger entry and its
audit event (`jobs.services.job_submit`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin


def insert_select(obj: models.Model, *, source: str,
                  computed: dict[str, str] | None = None) -> tuple[str, list[Any]]:
    """`INSERT INTO <obj's table> (<columns>) SELECT <values> FROM <source>` for the unsaved
    `obj`, with the values Django would store (defaults, `auto_now_add`, JSON), each cast to
    its column's type; `computed` gives an SQL expression instead for some fields (by
    attname), e.g. one that reads the row `source` returns. Returns the SQL and its params."""
    qn = connection.ops.quote_name
    computed = computed or {}
    columns: list[str] = []
    values: list[str] = []
    params: list[Any] = []
    for field in obj._meta.concrete_fields:
        if isinstance(field, AutoFieldMixin):
            continue
        columns.append(qn(field.column))
        if field.attname in computed:
            values.append(computed[field.attname])
            continue
        value = field.pre_save(obj, add=True)
        values.append(f"CAST(%s AS {field.db_type(connection)})")
        params.append(field.get_db_prep_save(value, connection))
    # Names from the model, SQL given by the caller's code; every value is a parameter.
    sql = (f"INSERT INTO {qn(obj._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
           f"SELECT {', '.join(values)} FROM {source}")
    return sql, params


def insert_rows_select(objs: Sequence[models.Model], *, source: str,
                       computed: dict[str, str] | None = None) -> tuple[str, list[Any]]:
    """`INSERT INTO <table> (<columns>) SELECT ... FROM unnest(...) AS u(...), <source>` for
    the unsaved `objs` (one model), in their order: a value the objects share is one
    parameter, the others one array parameter each (PostgreSQL `unnest`); `computed` as in
    `insert_select`. Rows are inserted in the objects' order (ORDER BY their index), so the
    ids the statement assigns are ascending in that order. Returns the SQL and its params."""
    qn = connection.ops.quote_name
    computed = computed or {}
    meta = objs[0]._meta
    columns: list[str] = []
    values: list[str] = []
    params: list[Any] = []
    arrays: list[tuple[str, str, list[Any]]] = [("n", "integer", list(range(len(objs))))]
    for field in meta.concrete_fields:
        if isinstance(field, AutoFieldMixin):
            continue
        columns.append(qn(field.column))
        if field.attname in computed:
            values.append(computed[field.attname])
            continue
        raw = [field.pre_save(obj, add=True) for obj in objs]
        db_type = str(field.db_type(connection))
        if all(value == raw[0] for value in raw):
            values.append(f"CAST(%s AS {db_type})")
            params.append(field.get_db_prep_save(raw[0], connection))
            continue
        name = f"c{len(arrays)}"
        arrays.append((name, db_type, [field.get_db_prep_save(v, connection) for v in raw]))
        values.append(f"u.{name}")
    unnest = ", ".join(f"CAST(%s AS {db_type}[])" for _name, db_type, _values in arrays)
    names = ", ".join(name for name, _db_type, _values in arrays)
    # Names from the model, SQL given by the caller's code; every value is a parameter.
    sql = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
           f"SELECT {', '.join(values)} FROM unnest({unnest}) AS u({names}), {source} "
           f"ORDER BY u.n")
    return sql, [*params, *[values for _name, _db_type, values in arrays]]
