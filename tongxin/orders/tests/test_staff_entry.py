"""Staff entering a request for a resident, and grid workers' own reports."""

from tongxin.orders import selectors, services
from tongxin.orders.models import Channel, ServiceRequest


def test_staff_entry_defaults_to_by_phone_and_goes_to_the_work_page(ow, client):
    client.force_login(ow.dispatcher_a)
    form = client.get("/orders/new/").content.decode()
    assert '<option value="phone" selected>' in form
    r = client.post("/orders/new/", {"text": "王大爷来电：楼道灯坏了", "community": ow.community_a.pk, "contact_name": "王大爷",
                                     "contact_phone": "13912345678", "idempotency_key": "staff-1"})
    req = ServiceRequest.objects.get()
    assert req.channel == Channel.PHONE and req.entered_by == ow.dispatcher_a and req.submitter is None
    assert r.status_code == 302 and r["Location"] == f"/orders/{req.pk}/"
    page = client.get(r["Location"]).content.decode()
    assert req.tracking_number in page and "电话受理" in page  # who entered it, on the timeline
    assert req.events.get(verb="submitted").actor_label.endswith("（电话受理）")


def test_a_grid_worker_finds_their_reports_under_mine(ow, client):
    report = services.submit_request(by=ow.grid_worker_a, kind="grid_report", text="井盖缺失，有安全隐患",
                                     community=ow.community_a, channel=Channel.PATROL)
    assert list(selectors.my_requests(ow.grid_worker_a)) == [report]
    client.force_login(ow.grid_worker_a)
    assert "井盖缺失" in client.get("/orders/mine/").content.decode()


def test_a_bad_point_on_the_form_is_a_chinese_error_not_a_500(ow, client):
    client.force_login(ow.dispatcher_a)
    for lng, lat in (("abc", "1"), ("200", "37"), ("112", "")):
        r = client.post("/orders/new/", {"text": "路灯坏了", "community": ow.community_a.pk, "contact_phone": "13912345678",
                                         "lng": lng, "lat": lat})
        assert r.status_code == 400, (lng, lat)
        assert "经度" in r.content.decode() or "纬度" in r.content.decode()
    assert not ServiceRequest.objects.exists()


def test_merge_and_cancel_tell_whoever_waits(ow, client, submit, dispatched):
    from tongxin.notify.models import Notification

    first = submit(text="3号楼门口垃圾没人清运", community=ow.community_a)
    duplicate = submit(text="3号楼垃圾好几天没清运了", community=ow.community_a)
    services.merge(req=duplicate, into=first, by=ow.dispatcher_a)
    note = Notification.objects.get(recipient=ow.resident_a, verb="order.merged")
    assert first.tracking_number in note.body and note.url == f"/orders/t/{duplicate.tracking_number}/"
    page = client.get(f"/orders/t/{duplicate.tracking_number}/").content.decode()
    assert 'data-testid="merged-into"' in page and f"/orders/t/{first.tracking_number}/" in page

    handled = dispatched(text="楼道灯不亮", community=ow.community_a)
    services.accept(req=handled, by=ow.liaison_a)
    services.cancel(req=handled, by=ow.dispatcher_a, reason="居民来电说已自行修好")
    assert Notification.objects.filter(recipient=ow.resident_a, verb="order.cancelled", body__contains="已自行修好").exists()
    assert Notification.objects.filter(recipient=ow.liaison_a, verb="order.cancelled").exists()
    own = submit(text="不需要了的诉求", community=ow.community_a)
    services.cancel(req=own, by=ow.resident_a, reason="已解决")
    assert Notification.objects.filter(recipient=ow.resident_a, verb="order.cancelled").count() == 1  # not told of their own


def test_the_grid_worker_hears_what_became_of_a_report(ow):
    from tongxin.notify.models import Notification

    report = services.submit_request(by=ow.grid_worker_a, kind="grid_report", text="井盖缺失，有安全隐患",
                                     community=ow.community_a, channel=Channel.PATROL)
    services.dispatch(req=report, by=ow.dispatcher_a, unit=ow.unit_a, category=ow.cat["municipal"])
    services.accept(req=report, by=ow.liaison_a)
    services.complete(req=report, by=ow.liaison_a, result="已补装井盖")
    urls = set(Notification.objects.filter(recipient=ow.grid_worker_a).values_list("verb", "url"))
    assert ("order.accepted", f"/orders/{report.pk}/") in urls and ("order.done", f"/orders/{report.pk}/") in urls


def test_a_practical_task_keeps_its_building_on_the_wall_and_a_chinese_title(ow):
    from tongxin.notify.models import Notification

    task = services.submit_request(by=ow.dispatcher_a, kind="practical", text="为6栋老人加装楼道扶手", community=ow.community_a,
                                   channel=Channel.VISIT)
    assert Notification.objects.filter(title="新办实事任务：为6栋老人加装楼道扶手").exists()
    services.dispatch(req=task, by=ow.dispatcher_a, unit=ow.unit_a, category=ow.cat["municipal"])
    services.accept(req=task, by=ow.liaison_a)
    services.complete(req=task, by=ow.liaison_a, result="6栋扶手已装好")
    assert services.public_summary(task) == "为6栋老人加装楼道扶手\n办理结果：6栋扶手已装好"
    resident = services.submit_request(by=ow.resident_a, text="我住6栋502，楼道灯坏了", community=ow.community_a)
    assert "6栋" not in services.public_summary(resident) and "502" not in services.public_summary(resident)


def test_the_practical_tasks_list_is_public_with_who_and_by_when(ow, client, submit):
    task = services.submit_request(by=ow.dispatcher_a, kind="practical", text="为6栋老人加装楼道扶手", community=ow.community_a,
                                   channel=Channel.VISIT, contact_name="王主任")
    services.dispatch(req=task, by=ow.dispatcher_a, unit=ow.unit_a, category=ow.cat["municipal"])
    submit(text="我家6栋502漏水", community=ow.community_a)  # a resident's request is not a task
    page = client.get("/orders/practical/").content.decode()  # no login
    assert page.count('data-testid="practical-row"') == 1 and "为6栋老人加装楼道扶手" in page and ow.unit_a.name in page
    assert "漏水" not in page and 'data-testid="add-practical"' not in page
    services.accept(req=task, by=ow.liaison_a)
    services.complete(req=task, by=ow.liaison_a, result="扶手已装好")
    assert client.get("/orders/practical/").content.decode().count('data-testid="practical-row"') == 0
    done = client.get("/orders/practical/", {"state": "done"}).content.decode()
    assert "扶手已装好" in done and done.count('data-testid="practical-row"') == 1
    client.force_login(ow.dispatcher_a)
    assert 'data-testid="add-practical"' in client.get("/orders/practical/").content.decode()


def test_escalated_requests_have_an_inbox_view_and_a_home_line(ow, client, dispatched):
    import datetime as dt

    from tongxin.notify import scheduler

    late = dispatched(text="路灯坏了一周", community=ow.community_a)
    in_time = dispatched(text="井盖松动", community=ow.community_a)
    services.accept(req=in_time, by=ow.liaison_a)
    scheduler.run_due(now=late.accept_due_at + dt.timedelta(minutes=1))
    client.force_login(ow.dispatcher_a)
    page = client.get("/orders/inbox/", {"status": "escalated"}).content.decode()
    assert page.count('data-testid="inbox-row"') == 1 and "路灯坏了一周" in page  # only the escalated one
    home = client.get("/").content.decode()
    assert "/orders/inbox/?status=escalated" in home
