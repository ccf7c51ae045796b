"""A quarterly joint meeting in Chromium: the admin schedules it, the liaison proposes an agenda
item from a phone, the admin accepts it, records attendance and minutes and assigns an action
item to the liaison's unit, and the liaison later closes it from "our action items"."""

import re

import pytest
from django.utils import timezone

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.e2e]


def fits(page, viewport) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], (page.url, width)


def clean_console(page) -> None:
    assert [e for e in page.console_errors if "status of 400" not in e] == [], page.console_errors


def test_quarterly_meeting_from_agenda_to_closed_action_item(demo, open_page):
    from tongxin.meetings.models import ActionItem, ActionStatus, AgendaItem, Meeting, MeetingStatus

    today = timezone.localdate().isoformat()

    # 1. The admin schedules a quarterly joint meeting for this evening; proposals close at its start.
    admin = open_page(DESKTOP, "admin")
    admin.goto(f"{admin.base}/meetings/")
    assert "联席会议" in admin.locator("h1").inner_text()
    admin.click("[data-testid=new-meeting]")
    admin.select_option("#kind", "quarterly")
    admin.fill("#date", today)
    admin.fill("#time", "23:59")
    admin.fill("#agenda_days", "0")
    admin.click("[data-testid=save]")  # no title: refused in Chinese, nothing created
    admin.wait_for_load_state("networkidle")
    assert "会议名称不能为空" in admin.locator("[data-testid=meeting-form]").inner_text()
    admin.fill("#title", "第四季度党建联盟联席会议")
    admin.fill("#location", "街道党群服务中心报告厅")
    admin.click("[data-testid=save]")
    admin.wait_for_url(re.compile(r"/meetings/\d+/$"))
    meeting = Meeting.objects.get(title="第四季度党建联盟联席会议")
    assert meeting.kind == "quarterly" and meeting.invitations.filter(user__username="liaison").exists()
    assert admin.locator("[data-testid=qr] svg").count() == 1
    clean_console(admin)

    # 2. The liaison proposes an agenda item from a phone and says they will come.
    liaison = open_page(PHONE, "liaison")
    liaison.goto(f"{liaison.base}/meetings/")
    liaison.locator("[data-testid=meeting-list] a", has_text="第四季度党建联盟联席会议").click()
    liaison.wait_for_url(re.compile(rf"/meetings/{meeting.pk}/$"))
    fits(liaison, PHONE)
    form = liaison.locator("[data-testid=propose-form]")
    form.locator("input[name=title]").fill("开放单位停车场供居民夜间错时停车")
    form.locator("textarea[name=description]").fill("晚七点至早七点开放，约四十个车位。")
    form.locator("button[type=submit]").click()
    liaison.wait_for_load_state("networkidle")
    assert "开放单位停车场" in liaison.locator("[data-testid=agenda]").inner_text()
    item = AgendaItem.objects.get(meeting=meeting, title__startswith="开放单位停车场")
    assert item.status == "proposed" and item.proposer.name == "山西饭店"
    liaison.locator("label[for=rsvp-yes]").click()
    liaison.locator("[data-testid=rsvp-form] button[type=submit]").click()
    liaison.wait_for_load_state("networkidle")
    assert meeting.invitations.get(user__username="liaison").rsvp == "yes"
    fits(liaison, PHONE)
    clean_console(liaison)

    # 3. The admin accepts it, records attendance, minutes and a decision, and assigns an action item.
    admin.goto(f"{admin.base}/meetings/{meeting.pk}/")
    admin.click(f"[data-testid=accept-{item.pk}]")
    admin.wait_for_load_state("networkidle")
    item.refresh_from_db()
    assert item.status == "accepted"
    admin.click("[data-testid=checkin-liaison]")
    admin.wait_for_load_state("networkidle")
    assert admin.locator("[data-testid=present]").count() == 1 and meeting.invitations.get(user__username="liaison").attendance == "present"
    absent_form = admin.locator("form", has=admin.locator("[data-testid=absent-dispatcher2]"))
    absent_form.locator("input[name=reason]").fill("参加区委培训")
    absent_form.locator("button").click()
    admin.wait_for_load_state("networkidle")
    assert meeting.invitations.get(user__username="dispatcher2").absence_reason == "参加区委培训"
    admin.locator("[data-testid=minutes-form] textarea").fill("会议听取了各成员单位季度工作汇报，讨论了错时停车议题。")
    admin.locator("[data-testid=minutes-form] button[type=submit]").click()
    admin.wait_for_load_state("networkidle")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD and "错时停车" in admin.locator("[data-testid=minutes]").inner_text()
    admin.locator("[data-testid=decision-form] input[name=text]").fill("同意山西饭店夜间开放停车场，社区做好居民登记")
    admin.locator("[data-testid=decision-form] button").click()
    admin.wait_for_load_state("networkidle")
    admin.locator("details", has=admin.locator("[data-testid=assign-form-1]")).locator("summary").click()
    assign = admin.locator("[data-testid=assign-form-1]")
    assign.locator("input[name=title]").fill("制定停车场夜间开放管理办法")
    assign.locator("select[name=owner]").select_option(label="山西饭店")
    assign.locator("input[name=due_on]").fill(today)
    assign.locator("button[type=submit]").click()
    admin.wait_for_load_state("networkidle")
    action = ActionItem.objects.get(title="制定停车场夜间开放管理办法")
    assert action.owner.name == "山西饭店" and action.meeting == meeting and action.status == ActionStatus.OPEN
    assert "制定停车场夜间开放管理办法" in admin.locator("main").inner_text()
    # the held meeting can no longer be edited
    assert admin.locator("[data-testid=edit]").count() == 0
    clean_console(admin)

    # 4. Later the liaison reports and closes the action item from "our action items".
    liaison.goto(f"{liaison.base}/meetings/")
    liaison.click("[data-testid=our-actions]")
    liaison.locator("[data-testid=action-list] a", has_text="制定停车场夜间开放管理办法").click()
    liaison.wait_for_url(re.compile(rf"/meetings/actions/{action.pk}/$"))
    fits(liaison, PHONE)
    liaison.click("[data-testid=close]")  # no completion note: refused in Chinese
    liaison.wait_for_load_state("networkidle")
    assert "完成情况说明不能为空" in liaison.locator("[data-testid=error-done]").inner_text()
    liaison.locator("[data-testid=progress-form] textarea").fill("办法已起草，征求了社区意见")
    liaison.locator("[data-testid=progress-form] button").click()
    liaison.wait_for_load_state("networkidle")
    liaison.locator("[data-testid=done-form] input[name=reason]").fill("管理办法已印发，停车场已开放")
    liaison.click("[data-testid=close]")
    liaison.wait_for_load_state("networkidle")
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.closed_by.username == "liaison"
    assert "管理办法已印发" in liaison.locator("[data-testid=closed]").inner_text()
    fits(liaison, PHONE)
    clean_console(liaison)
