"""insert_linked: a row and the rows that point at it, in one statement on PostgreSQL.

The hot write of the service loop (a resident's submission) is a request, its timeline row and
its audit event. Through the ORM that is three INSERT round trips, each with the ORM's save
machinery around it; as one data-modifying CTE it is one round trip, and the submission costs
about 0.5 ms less Python (decisions #15). SQLite has no data-modifying CTEs, so there the rows are saved one by one; callers run
inside their own transaction either way.

The objects come out as if saved by the ORM: primary keys set, `_state` updated, pre_save and
post_save sent (receivers such as the routing trigger and django-simple-history see them).
Only plain concrete fields are written; a model whose insert returns more than its auto primary
key (db_default, generated fields) is refused.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.db import connections, models, router
from django.db.models import signals

Link = tuple[models.Model, str]  # (child object, name of its field that receives the parent's pk)


def insert_linked(parent: models.Model, *children: Link, using: str | None = None) -> None:
    """INSERT `parent`, then each child with its link field set to the parent's primary key."""
    alias = using or router.db_for_write(type(parent), instance=parent)
    connection = connections[alias]
    objects = (parent, *(c for c, _ in children))
    for obj in objects:
        _check(obj)
    if connection.vendor != "postgresql":
        parent.save(force_insert=True, using=alias)
        for child, link in children:
            _set_link(child, link, parent)
            child.save(force_insert=True, using=alias)
        return
    for obj in objects:
        signals.pre_save.send(sender=type(obj), instance=obj, raw=False, using=alias, update_fields=None)
    _insert_with_cte(connection, parent, children)
    for child, link in children:
        _set_link(child, link, parent)
    for obj in objects:
        obj._state.adding, obj._state.db = False, alias
        signals.post_save.send(sender=type(obj), instance=obj, created=True, update_fields=None, raw=False, using=alias)


@functools.cache
def _insert_fields(model) -> tuple:
    """The fields an INSERT of `model` writes (as the ORM's: every local concrete field but the auto pk)."""
    meta = model._meta
    if meta.parents or not isinstance(meta.pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
        raise TypeError(f"insert_linked writes plain models with an auto primary key, not {meta.label}")
    if any((f.db_returning and not f.primary_key) or getattr(f, "generated", False) for f in meta.concrete_fields):
        raise TypeError(f"{meta.label} returns fields from its insert; save it through the ORM")
    if any(hasattr(f, "get_placeholder") for f in meta.local_concrete_fields):
        raise TypeError(f"{meta.label} has a field with its own placeholder SQL; save it through the ORM")
    return tuple(f for f in meta.local_concrete_fields if not f.primary_key)


def _check(obj: models.Model) -> None:
    _insert_fields(type(obj))


def _set_link(child: models.Model, link: str, parent: models.Model) -> None:
    field = child._meta.get_field(link)
    if field.is_relation:
        setattr(child, field.name, parent)
    else:
        setattr(child, field.attname, field.to_python(parent.pk))


_ROW_SQL: dict = {}


def _row_sql(connection, model, link: str | None) -> tuple[str, str, tuple]:
    """Column list, placeholders and the fields that take parameters, for one row of `model`.

    The row's link column reads the parent's key from the CTE instead of a parameter."""
    key = (model, link)
    if key not in _ROW_SQL:
        qn = connection.ops.quote_name
        link_field = model._meta.get_field(link) if link else None
        names, placeholders, valued = [], [], []
        for field in _insert_fields(model):
            names.append(qn(field.column))
            if field is link_field:
                placeholders.append("parent._pk" if field.is_relation else f"parent._pk::{field.db_type(connection)}")
            else:
                placeholders.append("%s")
                valued.append(field)
        _ROW_SQL[key] = (", ".join(names), ", ".join(placeholders), tuple(valued))
    return _ROW_SQL[key]


def _params(connection, obj: models.Model, fields: tuple) -> list:
    """The values of one row as the ORM's insert compiler prepares them (pre_save runs: auto_now_add)."""
    params = []
    for field in fields:
        value = field.pre_save(obj, add=True)
        if hasattr(value, "resolve_expression"):
            raise TypeError(f"insert_linked takes plain values, not an expression for {field}")
        params.append(field.get_db_prep_save(value, connection=connection))
    return params


def _insert_with_cte(connection, parent: models.Model, children: tuple[Link, ...]) -> None:
    qn = connection.ops.quote_name
    names, placeholders, fields = _row_sql(connection, type(parent), None)
    params = _params(connection, parent, fields)
    parts = [f"parent AS (INSERT INTO {qn(parent._meta.db_table)} ({names}) VALUES ({placeholders}) "
             f"RETURNING {qn(parent._meta.pk.column)} AS _pk)"]
    for i, (child, link) in enumerate(children):
        names, placeholders, fields = _row_sql(connection, type(child), link)
        params.extend(_params(connection, child, fields))
        parts.append(f"c{i} AS (INSERT INTO {qn(child._meta.db_table)} ({names}) "
                     f"SELECT {placeholders} FROM parent RETURNING {qn(child._meta.pk.column)} AS _pk)")
    selects = ", ".join(["(SELECT _pk FROM parent)", *(f"(SELECT _pk FROM c{i})" for i in range(len(children)))])
    # Server-side binding for this statement: psycopg sends the ~60 values as parameters instead
    # of quoting each into the SQL text (Django's default client-side cursor), which cost more
    # Python than the rest of the insert; and, unless settings.DB_PREPARED_STATEMENTS is off (a
    # pooler in transaction mode without prepared-statement support), a prepared statement, so
    # PostgreSQL does not parse and plan the CTE for every submission (about 0.5 ms of its CPU).
    # Not while queries are logged (DEBUG, tests capturing them): a prepared execution leaves
    # psycopg without the query text that Django's log shows.
    prepared = settings.DB_PREPARED_STATEMENTS and not connection.queries_logged
    connection.ensure_connection()
    if prepared and connection.connection.prepare_threshold is None:
        # Django turns psycopg's automatic preparing off; a threshold nobody reaches keeps it off
        # for every other statement while execute(prepare=True) below may prepare this one.
        connection.connection.prepare_threshold = 2**31
    with connection._prepare_cursor(_cursor_class(prepared)(connection.connection)) as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT {selects}", params)
        pks = cursor.fetchone()
    parent.pk = pks[0]
    for (child, _), pk in zip(children, pks[1:], strict=True):
        child.pk = pk


@functools.cache
def _cursor_class(prepared: bool):
    from django.db.backends.postgresql.base import ServerBindingCursor

    if not prepared:
        return ServerBindingCursor

    class PreparedCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparedCursor
