"""insert_linked: one statement on PostgreSQL, row by row on SQLite; the same objects either way."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext

from tongxin.audit import events
from tongxin.audit.models import Event
from tongxin.core.db import insert_linked
from tongxin.orders.models import RequestEvent, ServiceRequest


def _rows(w, number="TX000000TEST1"):
    req = ServiceRequest(tracking_number=number, access_key="k" * 22, community=w.community_a, text="路灯坏了",
                         suggestion={"reasons": ["关键词“路灯”"]}, search_text="路灯坏了")
    ev = RequestEvent(actor=w.system, actor_label="系统", verb="submitted", to_status="submitted", payload={"channel": "web"})
    audit = events.build(actor=w.system, verb="order.submitted", target=req, organization=w.community_a,
                         payload={"tracking_number": number})
    return req, ev, audit


def test_rows_come_out_as_if_saved_by_the_orm(world):
    req, ev, audit = _rows(world)
    seen = []

    def on_save(sender, instance, created, **kwargs):
        seen.append((sender.__name__, created, instance.pk is not None))

    def before(sender, instance, **kwargs):
        seen.append((sender.__name__, "pre", instance.pk))

    for model in (ServiceRequest, RequestEvent, Event):
        post_save.connect(on_save, sender=model, dispatch_uid=f"t-{model.__name__}")
        pre_save.connect(before, sender=model, dispatch_uid=f"tp-{model.__name__}")
    try:
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            insert_linked(req, (ev, "request"), (audit, "target_id"))
    finally:
        for model in (ServiceRequest, RequestEvent, Event):
            post_save.disconnect(sender=model, dispatch_uid=f"t-{model.__name__}")
            pre_save.disconnect(sender=model, dispatch_uid=f"tp-{model.__name__}")

    inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len(inserts) == (1 if connection.vendor == "postgresql" else 3)
    assert req.pk and ev.pk and audit.pk
    assert not req._state.adding and not ev._state.adding and not audit._state.adding
    assert ev.request_id == req.pk and audit.target_id == str(req.pk)
    stored = RequestEvent.objects.select_related("request").get(pk=ev.pk)
    assert stored.request.tracking_number == "TX000000TEST1" and stored.payload == {"channel": "web"}
    assert stored.request.suggestion == {"reasons": ["关键词“路灯”"]}
    assert stored.request.created_at is not None and stored.created_at is not None  # auto_now_add ran
    assert Event.objects.get(pk=audit.pk).target_id == str(req.pk)
    assert seen.count(("ServiceRequest", True, True)) == 1 and seen.count(("RequestEvent", True, True)) == 1
    assert ("Event", "pre", None) in seen  # pre_save before the insert, post_save after


def test_a_failing_row_leaves_nothing(world):
    first = _rows(world)
    with transaction.atomic():
        insert_linked(first[0], (first[1], "request"), (first[2], "target_id"))
    before = (ServiceRequest.objects.count(), RequestEvent.objects.count(), Event.objects.count())
    again = _rows(world)  # the same tracking number: the unique index refuses the request row
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_linked(again[0], (again[1], "request"), (again[2], "target_id"))
    assert (ServiceRequest.objects.count(), RequestEvent.objects.count(), Event.objects.count()) == before


def test_models_it_cannot_write_are_refused(world):
    from django.contrib.sessions.models import Session

    with pytest.raises(TypeError, match="auto primary key"):
        insert_linked(Session(session_key="x", session_data="", expire_date="2030-01-01T00:00:00Z"))


@pytest.mark.parametrize("prepared", [True, False])
def test_the_statement_is_prepared_on_postgresql_unless_switched_off(world, settings, prepared):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    settings.DB_PREPARED_STATEMENTS = prepared

    def executions():  # of our statement as a prepared statement on this connection
        with connection.cursor() as cur:
            cur.execute("SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements"
                        " WHERE statement LIKE 'WITH parent AS%%'")
            return cur.fetchone()[0]

    before = executions()
    for i in range(2):
        req, ev, audit = _rows(world, number=f"TX00000PREP{i}")
        with transaction.atomic():
            insert_linked(req, (ev, "request"), (audit, "target_id"))
    assert (executions() - before >= 2) if prepared else (executions() == before)
    assert RequestEvent.objects.filter(request__tracking_number__startswith="TX00000PREP").count() == 2


def test_values_are_prepared_exactly_as_the_orm_prepares_them(world):
    from tongxin.core.db import _insert_fields, _params, _shortcut
    from tongxin.orders.models import Kind

    req = ServiceRequest(tracking_number="TX00000PARAM", access_key="k" * 22, community=world.community_a, kind=Kind.WISH,
                         text="路灯坏了", title=12345, lng=120.1, lat=None, reopen_count=2, published=True,
                         suggestion={"reasons": []}, search_text="路灯")
    _, ev, audit = _rows(world)
    ev.request = req
    for obj in (req, ev, audit):
        fields = _insert_fields(type(obj))
        assert any(_shortcut(f) for f in fields)  # the shortcut is taken for some fields
        orm = [f.get_db_prep_save(f.pre_save(obj, add=True), connection=connection) for f in fields]
        ours = _params(connection, obj, fields)
        for field, a, b in zip(fields, orm, ours, strict=True):
            if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):  # now(), taken twice
                assert type(a) is type(b), field.name
                continue
            assert (type(a), repr(a)) == (type(b), repr(b)), field.name
    fields = _insert_fields(ServiceRequest)
    ours = _params(connection, req, fields)
    assert ours[[f.name for f in fields].index("title")] == "12345"  # a wrong type still goes through the ORM


def test_the_converted_statement_is_reused_with_new_values(world):
    if connection.vendor != "postgresql":
        pytest.skip("the conversion cache belongs to the PostgreSQL cursor")
    from tongxin.core import db

    db._CONVERTED.clear()
    for i in range(3):
        req, ev, audit = _rows(world, number=f"TX00000CONV{i}")
        req.text = f"路灯坏了 {i}"
        with transaction.atomic():
            insert_linked(req, (ev, "request"), (audit, "target_id"))
    assert len([k for k in db._CONVERTED if k[0].startswith("WITH parent AS")]) == 1
    texts = set(ServiceRequest.objects.filter(tracking_number__startswith="TX00000CONV").values_list("text", flat=True))
    assert texts == {"路灯坏了 0", "路灯坏了 1", "路灯坏了 2"}
