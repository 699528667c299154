"""Rows inserted by `INSERT ... SELECT` inside one SQL statement (PostgreSQL): several writes
that depend on each other in one round trip, e.g. a job, its budget's ledger entry and its
audit event (`jobs.services.job_submit`)."""

from __future__ import annotations

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
