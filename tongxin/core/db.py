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

from django.db import connections, models, router
from django.db.models import signals
from django.db.models.sql.compiler import SQLInsertCompiler
from django.db.models.sql.subqueries import InsertQuery

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
    return tuple(f for f in meta.local_concrete_fields if not f.primary_key)


def _check(obj: models.Model) -> None:
    _insert_fields(type(obj))


def _set_link(child: models.Model, link: str, parent: models.Model) -> None:
    field = child._meta.get_field(link)
    if field.is_relation:
        setattr(child, field.name, parent)
    else:
        setattr(child, field.attname, field.to_python(parent.pk))


def _columns(connection, obj: models.Model, link: str | None = None) -> tuple[list[str], list[str], list]:
    """Column names, placeholders and parameters of one row, as the ORM's insert compiler makes them."""
    meta = obj._meta
    query = InsertQuery(type(obj))
    query.raw = False  # what insert_values() sets: pre_save() runs (auto_now_add)
    compiler = SQLInsertCompiler(query, connection, connection.alias)
    link_field = meta.get_field(link) if link else None
    names, placeholders, params = [], [], []
    for field in _insert_fields(type(obj)):
        names.append(connection.ops.quote_name(field.column))
        if field is link_field:
            cast = "" if field.is_relation else f"::{field.db_type(connection)}"
            placeholders.append(f"parent._pk{cast}")
            continue
        value = compiler.prepare_value(field, compiler.pre_save_val(field, obj))
        sql, field_params = compiler.field_as_sql(field, getattr(field, "get_placeholder", None), value)
        placeholders.append(sql)
        params.extend(field_params)
    return names, placeholders, params


def _insert_with_cte(connection, parent: models.Model, children: tuple[Link, ...]) -> None:
    qn = connection.ops.quote_name
    names, placeholders, params = _columns(connection, parent)
    parts = [f"parent AS (INSERT INTO {qn(parent._meta.db_table)} ({', '.join(names)}) VALUES ({', '.join(placeholders)}) "
             f"RETURNING {qn(parent._meta.pk.column)} AS _pk)"]
    for i, (child, link) in enumerate(children):
        names, placeholders, child_params = _columns(connection, child, link)
        parts.append(f"c{i} AS (INSERT INTO {qn(child._meta.db_table)} ({', '.join(names)}) "
                     f"SELECT {', '.join(placeholders)} FROM parent RETURNING {qn(child._meta.pk.column)} AS _pk)")
        params.extend(child_params)
    selects = ", ".join(["(SELECT _pk FROM parent)", *(f"(SELECT _pk FROM c{i})" for i in range(len(children)))])
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT {selects}", params)
        pks = cursor.fetchone()
    parent.pk = pks[0]
    for (child, _), pk in zip(children, pks[1:], strict=True):
        child.pk = pk
