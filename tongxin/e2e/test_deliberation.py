"""Deliberation in Chromium: a resident raises a topic at phone width, neighbours discuss it, the
dispatcher escalates it to the community council and opens a vote, residents vote, the dispatcher
resolves it into a project, and the public page shows the outcome without personal data."""

import re

import pytest

from .conftest import DESKTOP, PHONE, submit

pytestmark = [pytest.mark.e2e]

PHONE_NO = "13912340000"


def fits(page, viewport) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], (page.url, width)


def clean_console(page) -> None:
    assert [e for e in page.console_errors if "status of 400" not in e] == [], page.console_errors


def test_topic_from_phone_to_project_and_public_page(demo, open_page):
    from tongxin.accounts.models import User
    from tongxin.deliberation.models import BallotParticipation, Stage, Topic
    from tongxin.lists.models import Project

    resident_name = User.objects.get(username="resident").person.name

    # 1. The resident raises a topic from a phone; an empty title is refused in Chinese first.
    res = open_page(PHONE, "resident")
    res.goto(f"{res.base}/topics/")
    fits(res, PHONE)
    res.click("[data-testid=raise-link]")
    res.wait_for_url(re.compile(r"/topics/new/"))
    fits(res, PHONE)
    res.fill("#id_description", "院里自行车棚漏雨，车子都生锈了，想商量一下修还是拆。")
    submit(res, "[data-testid=raise-submit]")
    assert "请填写议题标题" in res.locator("[data-testid=raise-form]").inner_text()
    res.fill("#id_title", "自行车棚漏雨，修还是拆？")
    res.fill("#id_compound", "宁化府11号院")
    res.fill("#id_building", "2号楼")
    submit(res, "[data-testid=raise-submit]")
    res.wait_for_url(re.compile(r"/topics/\d+/$"))
    topic = Topic.objects.get(title="自行车棚漏雨，修还是拆？")
    assert topic.stage == Stage.ONLINE and topic.raised_by.username == "resident"
    fits(res, PHONE)

    # 2. Discussion: the resident and a party member post opinions (htmx, no reload).
    res.fill("[data-testid=opinion-form] textarea", f"建议修，换成透明顶棚。有事打我电话{PHONE_NO}")
    res.click("[data-testid=opinion-submit]")
    res.wait_for_selector("[data-testid=opinion]:has-text('透明顶棚')")
    mem = open_page(PHONE, "member")
    mem.goto(f"{mem.base}/topics/{topic.pk}/")
    mem.fill("[data-testid=opinion-form] textarea", "同意修，党员可以出义务工。")
    mem.click("[data-testid=opinion-submit]")
    mem.wait_for_selector("[data-testid=opinion]:has-text('义务工')")
    assert resident_name not in mem.locator("[data-testid=discussion]").inner_text()  # names are masked for neighbours

    # 3. The dispatcher escalates straight to the community council and opens a vote.
    disp = open_page(DESKTOP, "dispatcher")
    disp.goto(f"{disp.base}/topics/{topic.pk}/")
    disp.select_option("[data-testid=escalate-form] select[name=to]", "community")
    disp.fill("[data-testid=escalate-form] input[name=reason]", "涉及公共设施改造，需社区党群议事会研究")
    disp.click("[data-testid=escalate]")
    disp.wait_for_load_state("networkidle")
    topic.refresh_from_db()
    assert topic.stage == Stage.COMMUNITY
    assert "社区党群议事" in disp.locator("[data-testid=timeline]").inner_text()
    disp.click("[data-testid=new-ballot]")
    disp.fill("#id_question", "自行车棚是否翻修？")
    disp.select_option("#id_eligibility", "community")
    disp.click("[data-testid=ballot-submit]")
    disp.wait_for_url(re.compile(rf"/topics/{topic.pk}/$"))
    ballot = topic.ballots.get()

    # 4. Residents vote on their phones; a second vote is impossible.
    for page in (res, mem):
        page.goto(f"{page.base}/topics/{topic.pk}/")
        page.locator("[data-testid=vote-form] label", has_text="同意").first.click()
        page.click("[data-testid=vote-submit]")
        page.wait_for_selector("[data-testid=voted]")
        fits(page, PHONE)
    assert BallotParticipation.objects.filter(ballot=ballot).count() == 2
    assert res.locator("[data-testid=vote-form]").count() == 0
    res.reload()
    from tongxin.deliberation.selectors import results

    figures = results(ballot)
    turnout = res.locator("[data-testid=turnout]").inner_text()
    assert figures["total"] == 2 and figures["turnout"] == round(200 / figures["eligible"], 1)
    assert "已投 2 人" in turnout and f"应投票 {figures['eligible']} 人" in turnout and f"{figures['turnout']}%" in turnout, turnout

    # 5. The dispatcher resolves it into a project led by a member unit.
    disp.goto(f"{disp.base}/topics/{topic.pk}/")
    disp.click("[data-testid=resolve-link]")
    disp.fill("#id_decision", "翻修自行车棚：山西饭店牵头，社区出资料，党员志愿者出义务工。")
    disp.check("#kind-project")
    disp.fill("#id_project_title", "宁化府11号院自行车棚翻修")
    disp.select_option("#id_lead_unit", label="山西饭店")
    disp.click("[data-testid=resolve-submit]")
    disp.wait_for_url(re.compile(rf"/topics/{topic.pk}/$"))
    assert "宁化府11号院自行车棚翻修" in disp.locator("[data-testid=resolution]").inner_text()
    topic.refresh_from_db()
    assert topic.stage == Stage.RESOLVED
    project = Project.objects.get(title="宁化府11号院自行车棚翻修")
    assert project.origin_id == str(topic.pk)

    # 6. The public page (no login) shows the stages, the vote and the outcome, without names or phones.
    public = open_page(PHONE)
    public.goto(f"{public.base}/topics/p/{topic.pk}/")
    body = public.locator("main").inner_text()
    assert "宁化府11号院自行车棚翻修" in body and "翻修自行车棚" in body
    assert "社区党群议事" in public.locator("[data-testid=ladder]").inner_text()
    assert public.locator("[data-testid=public-ballot]").count() == 1
    assert resident_name not in public.content() and PHONE_NO not in public.content()
    assert User.objects.get(username="member").person.name not in public.content()
    fits(public, PHONE)
    for page in (res, mem, disp, public):
        clean_console(page)
