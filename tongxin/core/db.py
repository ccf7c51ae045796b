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


# Field classes whose value, when of this type (or None), the ORM's preparation passes through
# unchanged except for the backend's integer adaptation (psycopg's Int2/Int4/Int8 on PostgreSQL);
# and whose pre_save() is a plain attribute read. Their values skip the ORM's chain of four calls
# per field (a request has about fifty fields). Exact classes only: a subclass may prepare.
_UNCHANGED: dict = {
    models.CharField: str, models.TextField: str, models.SlugField: str, models.EmailField: str,
    models.IntegerField: int, models.SmallIntegerField: int, models.BigIntegerField: int,
    models.PositiveIntegerField: int, models.PositiveSmallIntegerField: int, models.PositiveBigIntegerField: int,
    models.BooleanField: bool,
}
_AUTO_KEYS = (models.AutoField, models.BigAutoField, models.SmallAutoField)


@functools.cache
def _shortcut(field) -> tuple[type, str] | None:
    """(value type, internal type of the integer column or "") when `field` can skip the ORM's chain."""
    kind = type(field)
    if kind is models.ForeignKey:
        target = field.target_field
        if isinstance(target, _AUTO_KEYS):  # an auto key is not adapted (AutoFieldMixin.get_db_prep_value)
            return int, ""
        return (int, target.get_internal_type()) if _UNCHANGED.get(type(target)) is int else None
    plain = _UNCHANGED.get(kind)
    if plain is None:
        return None
    return plain, field.get_internal_type() if plain is int else ""


def _params(connection, obj: models.Model, fields: tuple) -> list:
    """The values of one row as the ORM's insert compiler prepares them (pre_save runs: auto_now_add)."""
    params = []
    adapt_integer = connection.ops.adapt_integerfield_value
    for field in fields:
        shortcut = _shortcut(field)
        if shortcut is not None:
            value = getattr(obj, field.attname)
            if value is None:
                params.append(None)
                continue
            plain, integer = shortcut
            if type(value) is plain or (plain is str and isinstance(value, str)):  # str: also Choices members
                params.append(adapt_integer(value, integer) if integer else value)
                continue
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


# Converted statements, by (text, encoding): see _cursor_class.
_CONVERTED: dict = {}


@functools.cache
def _cursor_class(prepared: bool):
    from django.db.backends.postgresql.base import ServerBindingCursor

    class LinkedInsertCursor(ServerBindingCursor):
        """Keeps psycopg's conversion of the statement (placeholders to $n, the parameter formats).

        psycopg caches that conversion only for statements under 4,096 bytes and 50 parameters;
        the CTE is longer, and converting it again for every submission (a regex pass over the
        SQL) cost more Python than binding its values. There is one statement text per
        combination of models, so they are all kept. This reaches into psycopg's PostgresQuery
        (pinned in requirements.lock); core/tests/test_db.py fails if that changes.
        """

        def _convert_query(self, query, params=None):
            key = (query, self._tx.encoding)
            parsed = _CONVERTED.get(key)
            if parsed is None:
                pgq = super()._convert_query(query, params)
                _CONVERTED[key] = (pgq.query, pgq._want_formats, pgq._order, pgq._parts)
                return pgq
            pgq = self._query_cls(self._tx)
            pgq.query, pgq._want_formats, pgq._order, pgq._parts = parsed
            pgq.dump(params)
            return pgq

        if prepared:
            def execute(self, query, params=None, *, prepare=None, binary=None):
                return super().execute(query, params, prepare=True, binary=binary)

    return LinkedInsertCursor
