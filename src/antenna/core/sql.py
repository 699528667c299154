"""Rows inserted by `INSERT ... SELECT` inside one SQL statement (PostgreSQL): several writes
that depend on each other in one round trip, e.g. a job, its budget's ledger entry and its
audit event (`jobs.services.job_submit`)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin, Field


@functools.cache
def _columns(model: type[models.Model],
             vendor: str) -> tuple[tuple[Field[Any, Any], str, str], ...]:
    """A model's inserted columns (no auto id): field, quoted column name, SQL type. Built
    once per model and database vendor (a submit does not ask each field again)."""
    qn = connection.ops.quote_name
    return tuple((field, qn(field.column), str(field.db_type(connection)))
                 for field in model._meta.concrete_fields
                 if not isinstance(field, AutoFieldMixin))


def _table(model: type[models.Model]) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def insert_select(obj: models.Model, *, source: str,
                  computed: dict[str, str] | None = None) -> tuple[str, list[Any]]:
    """`INSERT INTO <obj's table> (<columns>) SELECT <values> FROM <source>` for the unsaved
    `obj`, with the values Django would store (defaults, `auto_now_add`, JSON), each cast to
    its column's type; `computed` gives an SQL expression instead for some fields (by
    attname), e.g. one that reads the row `source` returns. Returns the SQL and its params."""
    return insert_rows_select([obj], source=source, computed=computed, unnest=False)


def insert_rows_select(objs: Sequence[models.Model], *, source: str,
                       computed: dict[str, str] | None = None,
                       unnest: bool = True) -> tuple[str, list[Any]]:
    """`INSERT INTO <table> (<columns>) SELECT ... FROM unnest(...) AS u(...), <source>` for
    the unsaved `objs` (one model), in their order: a value the objects share is one
    parameter, the others one array parameter each (PostgreSQL `unnest`); `computed` as in
    `insert_select`. Rows are inserted in the objects' order (ORDER BY their index), so the
    ids the statement assigns are ascending in that order. Returns the SQL and its params.
    `unnest=False` (one object): `INSERT ... SELECT <values> FROM <source>`."""
    computed = computed or {}
    model = type(objs[0])
    columns: list[str] = []
    values: list[str] = []
    params: list[Any] = []
    arrays: list[tuple[str, str, list[Any]]] = [("n", "integer", list(range(len(objs))))]
    for field, column, db_type in _columns(model, connection.vendor):
        columns.append(column)
        if field.attname in computed:
            values.append(computed[field.attname])
            continue
        raw = [field.pre_save(obj, add=True) for obj in objs]
        if not unnest or all(value == raw[0] for value in raw):
            values.append(f"CAST(%s AS {db_type})")
            params.append(field.get_db_prep_save(raw[0], connection))
            continue
        name = f"c{len(arrays)}"
        arrays.append((name, db_type, [field.get_db_prep_save(v, connection) for v in raw]))
        values.append(f"u.{name}")
    # Names from the model, SQL given by the caller's code; every value is a parameter.
    head = (f"INSERT INTO {_table(model)} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)}")
    if not unnest:
        if len(objs) != 1:
            raise ValueError("unnest=False inserts one object")
        return f"{head} FROM {source}", params
    unnested = ", ".join(f"CAST(%s AS {db_type}[])" for _name, db_type, _values in arrays)
    names = ", ".join(name for name, _db_type, _values in arrays)
    sql = f"{head} FROM unnest({unnested}) AS u({names}), {source} ORDER BY u.n"
    return sql, [*params, *[values for _name, _db_type, values in arrays]]


def update_rows(objs: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Store `fields` of saved objects (one model) in one UPDATE per 500, what Django's
    `bulk_update` does without its CASE per field and row (slow to build for many rows):
    `UPDATE <table> SET <column> = v.<column> ... FROM (VALUES (...), ...) AS v WHERE
    <table>.id = v.id`; a value every object shares is one parameter. PostgreSQL and
    SQLite (3.33 or later). Returns the rows updated."""
    if not objs:
        return 0
    model = type(objs[0])
    table = _table(model)
    qn = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    postgres = connection.vendor == "postgresql"

    def typed(sql: str, field: Field[Any, Any]) -> str:
        # SQLite's CAST to a declared type such as "datetime" would change the value.
        return f"CAST({sql} AS {field.db_type(connection)})" if postgres else sql

    concrete = [model._meta.get_field(name) for name in fields]
    updated = 0
    for start in range(0, len(objs), 500):
        chunk = objs[start:start + 500]
        shared: list[tuple[Field[Any, Any], Any]] = []
        varying: list[Field[Any, Any]] = []
        for field in concrete:
            assert isinstance(field, Field)
            values = [getattr(obj, field.attname) for obj in chunk]
            if all(value == values[0] for value in values):
                shared.append((field, field.get_db_prep_save(values[0], connection)))
            else:
                varying.append(field)
        sets = [f"{qn(field.column)} = {typed('%s', field)}" for field, _v in shared]
        sets += [f"{qn(field.column)} = v.c{n}" for n, field in enumerate(varying)]
        # VALUES names its columns column1, column2... (PostgreSQL and SQLite alike).
        names = ", ".join(["column1 AS id",
                           *(f"column{n + 2} AS c{n}" for n in range(len(varying)))])
        row = "(" + ", ".join([typed("%s", pk), *(typed("%s", f) for f in varying)]) + ")"
        params: list[Any] = [value for _field, value in shared]  # SET comes first
        for obj in chunk:
            params.append(obj.pk)
            params += [field.get_db_prep_save(getattr(obj, field.attname), connection)
                       for field in varying]
        # Names from the model; every value is a parameter.
        rows = ", ".join([row] * len(chunk))
        sql = (f"UPDATE {table} SET {', '.join(sets)} "  # noqa: S608
               f"FROM (SELECT {names} FROM (VALUES {rows}) AS r) AS v "
               f"WHERE {table}.{qn(pk.column)} = v.id")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            updated += cursor.rowcount
    return updated
