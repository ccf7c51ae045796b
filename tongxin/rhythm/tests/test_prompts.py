"""The monthly prompt: one message per member unit and month listing what is theirs, never twice."""

import pytest

from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.notify.models import Notification
from tongxin.rhythm import selectors, services
from tongxin.rhythm.models import Prompt

PERIOD = "2026-11"


def test_one_prompt_lists_waiting_requests_and_is_delivered_once(rw, waiting):
    r1 = waiting(text="楼道灯坏了")
    r2 = waiting(text="下水道堵塞", accept=True)
    stats = services.generate_prompts(alliance=rw.alliance, period=PERIOD, by=rw.admin)
    assert stats["created"] == 1 and stats["empty"] == 1 and stats["units"] == 2  # unit B has nothing open
    prompt = Prompt.objects.get(unit=rw.unit_a, period=PERIOD)
    keys = [s["key"] for s in prompt.items["sections"]]
    assert keys == ["to_accept", "in_progress"]
    assert r1.tracking_number in prompt.content and r2.tracking_number in prompt.content
    assert prompt.item_count == 2 and "2 项待办" in prompt.title
    inbox = Notification.objects.filter(recipient=rw.liaison_a, dedupe_key=f"prompt:{rw.unit_a.pk}:{PERIOD}")
    assert inbox.count() == 1 and inbox.get().channel == "inbox" and inbox.get().status == "sent"
    assert f"/rhythm/prompts/{prompt.pk}/" == inbox.get().url
    # running again (a second scheduler, a retry, a click) sends nothing more
    again = services.generate_prompts(alliance=rw.alliance, period=PERIOD, by=rw.admin)
    assert again["created"] == 0 and again["already"] == 1
    assert Prompt.objects.count() == 1
    assert Notification.objects.filter(verb="rhythm.prompt").count() == 1
    assert not Prompt.objects.filter(unit=rw.unit_b).exists()


def test_membership_liaison_person_and_channels(rw, waiting, settings):
    from tongxin.accounts.models import User
    from tongxin.orgs import services as orgs

    person_user = User.objects.create_user(username="t-person-liaison", password="x-12345", person=rw.person_b, email="")
    orgs.update_membership(membership=rw.membership_a, by=rw.system, liaison=rw.person_b)
    services.save_settings(alliance=rw.alliance, by=rw.admin, channels=["inbox", "email"], extra_recipients=[rw.dispatcher_a.pk])
    waiting()
    services.generate_prompts(alliance=rw.alliance, period=PERIOD)
    rows = Notification.objects.filter(dedupe_key=f"prompt:{rw.unit_a.pk}:{PERIOD}")
    assert {(n.recipient.username, n.channel) for n in rows} == {
        ("t-liaison-a", "inbox"), ("t-liaison-a", "email"), ("t-person-liaison", "inbox"), ("t-person-liaison", "email")}
    # the e-mail row of a recipient without an address is recorded as failed, with the reason
    assert rows.get(recipient=person_user, channel="email").status == "failed"
    summary = Notification.objects.filter(recipient=rw.dispatcher_a, verb="rhythm.prompt_summary", channel="inbox")
    assert summary.count() == 1 and "1 家成员单位" in summary.get().title


def test_no_prompt_when_nothing_open(rw):
    stats = services.generate_prompts(alliance=rw.alliance, period=PERIOD)
    assert stats == {**stats, "created": 0, "empty": 2}
    assert not Prompt.objects.exists() and not Notification.objects.filter(verb="rhythm.prompt").exists()


def test_refusals(rw, waiting):
    with pytest.raises(PermissionDenied):
        services.generate_prompts(alliance=rw.alliance, period=PERIOD, by=rw.dispatcher_a)
    with pytest.raises(PermissionDenied):
        services.generate_prompts(alliance=rw.alliance, period=PERIOD, by=rw.liaison_a)
    for bad in ("2026-13", "2026/11", "", "明年"):
        with pytest.raises(DomainError) as exc:
            services.generate_prompts(alliance=rw.alliance, period=bad, by=rw.admin)
        assert exc.value.field == "period" and "月份格式" in exc.value.message
    assert not Prompt.objects.exists()


def test_scope_of_prompts_and_preview(rw, waiting):
    waiting()
    waiting(unit=rw.unit_b)
    services.generate_prompts(alliance=rw.alliance, period=PERIOD)
    a = Prompt.objects.get(unit=rw.unit_a)
    b = Prompt.objects.get(unit=rw.unit_b)
    assert list(selectors.visible_prompts(rw.liaison_a)) == [a]
    assert list(selectors.visible_prompts(rw.liaison_b)) == [b]
    assert set(selectors.visible_prompts(rw.admin)) == {a, b}
    assert list(selectors.visible_prompts(rw.dispatcher_b)) == [b]
    assert not selectors.visible_prompts(rw.resident_a).exists()
    preview = services.preview_prompt(unit=rw.unit_a, period=PERIOD, by=rw.liaison_a)
    assert preview["sent"] and preview["item_count"] == 1
    with pytest.raises(PermissionDenied):
        services.preview_prompt(unit=rw.unit_a, period=PERIOD, by=rw.liaison_b)
    with pytest.raises(PermissionDenied):
        services.preview_prompt(unit=rw.unit_a, period=PERIOD, by=rw.dispatcher_b)


def test_long_lists_are_cut_with_a_count(rw, waiting):
    for i in range(12):
        waiting(text=f"第{i}个诉求：路面坑洼需要修补")
    services.generate_prompts(alliance=rw.alliance, period=PERIOD)
    prompt = Prompt.objects.get(unit=rw.unit_a)
    assert "另有 2 项" in prompt.content and prompt.item_count == 12


def test_prompt_lists_open_action_items_obligations_and_meetings(rw):
    import datetime as dt

    from django.utils import timezone

    from tongxin.meetings import services as meetings

    today = timezone.localdate()
    period = f"{today:%Y-%m}"
    item = meetings.create_action_item(by=rw.admin, alliance=rw.alliance, title="整治背街小巷环境", owner=rw.unit_a,
                                       due_on=today + dt.timedelta(days=3))
    stats = services.generate_prompts(alliance=rw.alliance, period=period, by=rw.admin)
    assert stats["created"] == 1
    prompt = Prompt.objects.get(unit=rw.unit_a, period=period)
    assert prompt.items["sections"][0]["key"] == "action_items"
    assert item.title in prompt.content
    note = Notification.objects.get(recipient=rw.liaison_a, verb="rhythm.prompt")
    assert item.title in note.body
    assert prompt.items["sections"][0]["items"][0]["url"] == f"/meetings/actions/{item.pk}/"


def test_prompt_lists_obligations_due_and_overdue(rw):
    import datetime as dt

    from django.utils import timezone

    from tongxin.governance import services as governance

    today = timezone.localdate()
    period = f"{today:%Y-%m}"
    ag = governance.create_agreement(by=rw.admin, alliance=rw.alliance, kind="cobuilding", title="甲社区与甲医院共驻共建协议书",
                                     starts_on=today - dt.timedelta(days=90), ends_on=today + dt.timedelta(days=275),
                                     signed_on=today - dt.timedelta(days=90), parties=[rw.community_a, rw.unit_a])
    governance.add_obligation(agreement=ag, by=rw.admin, title="义诊进社区", debtor=rw.unit_a, due_on=today)
    governance.activate(agreement=ag, by=rw.admin)
    services.generate_prompts(alliance=rw.alliance, period=period)
    prompt = Prompt.objects.get(unit=rw.unit_a, period=period)
    section = [s for s in prompt.items["sections"] if s["key"] == "obligations"][0]
    assert "义诊进社区" in section["items"][0]["label"] and section["items"][0]["due"] == today.isoformat()
    assert "本月到期或已逾期的责任事项" in prompt.content


def test_settings_refusals_and_schedule(rw):
    from tongxin.notify.models import ScheduledJob

    with pytest.raises(PermissionDenied):
        services.save_settings(alliance=rw.alliance, by=rw.dispatcher_a, prompt_day=3)
    for field, value, text in (("prompt_day", 31, "1 到 28"), ("prompt_day", "x", "整数"), ("channels", ["fax"], "未知的通知渠道"),
                               ("channels", [], "至少选择一个"), ("prompt_time", "25:99", "时间格式"),
                               ("extra_recipients", [999999], "找不到账号")):
        with pytest.raises(DomainError) as exc:
            services.save_settings(alliance=rw.alliance, by=rw.admin, **{field: value})
        assert exc.value.field == field and text in exc.value.message
    services.save_settings(alliance=rw.alliance, by=rw.admin, prompt_day=3, review_day=7, review_recipients=[rw.admin.pk])
    jobs = {j.kind: j for j in ScheduledJob.objects.filter(status="pending", payload__alliance=rw.alliance.pk)}
    assert set(jobs) == {services.PROMPT_KIND, services.REVIEW_KIND}
    assert jobs[services.PROMPT_KIND].due_at.astimezone(periods_tz()).day == 3
    assert jobs[services.REVIEW_KIND].due_at.astimezone(periods_tz()).day == 7
    # moving the day moves the pending job; no second one
    services.save_settings(alliance=rw.alliance, by=rw.admin, prompt_day=5)
    pending = ScheduledJob.objects.filter(status="pending", kind=services.PROMPT_KIND)
    assert pending.count() == 1 and pending.get().due_at.astimezone(periods_tz()).day == 5
    services.save_settings(alliance=rw.alliance, by=rw.admin, prompts_enabled=False)
    assert not ScheduledJob.objects.filter(status="pending", kind=services.PROMPT_KIND).exists()


def periods_tz():
    from tongxin.core.workcalendar import TZ

    return TZ
