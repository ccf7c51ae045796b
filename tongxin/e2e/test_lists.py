"""The three lists in Chromium: a unit liaison adds a resource, a community registers a need, the
matching page ranks that resource first with its explanation, a pairing session turns the pair into
a co-building project, and the completed project with its outcomes shows on the results wall."""

import io
import re

import pytest

from .conftest import DESKTOP, PHONE, submit

pytestmark = [pytest.mark.e2e]


def fits(page, viewport) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], (page.url, width)


def clean_console(page) -> None:
    assert [e for e in page.console_errors if "status of 400" not in e and "status of 403" not in e] == [], page.console_errors


def _png(tmp_path):
    from PIL import Image

    path = tmp_path / "outcome.png"
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 20, 20)).save(buf, format="PNG")
    path.write_bytes(buf.getvalue())
    return str(path)


def test_resource_need_match_pair_project_wall(demo, open_page, tmp_path):
    from tongxin.lists.models import Need, Pair, Project, Resource

    # 1. The unit liaison adds a resource from a phone; no availability is refused in Chinese, nothing saved.
    unit = open_page(PHONE, "liaison")
    unit.goto(f"{unit.base}/lists/")
    fits(unit, PHONE)
    unit.click("[data-testid=add-resource]")
    unit.select_option("#id_kind", "volunteer")
    unit.fill("#id_title", "老人上门理发志愿服务")
    unit.fill("#id_description", "党员志愿者每周为行动不便的老人上门理发")
    unit.fill("#id_capacity", "12")
    unit.fill("#id_contact_phone", "13803519999")
    submit(unit, "[data-testid=save]")
    assert "没有可用时间的资源不能登记" in unit.locator("[data-testid=resource-form]").inner_text()
    assert not Resource.objects.filter(title="老人上门理发志愿服务").exists()
    fits(unit, PHONE)
    unit.fill("#id_availability", "周三 09:00-11:00\n周六 09:00-11:00")
    submit(unit, "[data-testid=save]")
    unit.wait_for_url(re.compile(r"/lists/resources/\d+/$"))
    assert "周三、周六 09:00–11:00" in unit.locator("[data-testid=windows]").inner_text()
    assert unit.locator("[data-testid=phone]").inner_text().strip() == "138****9999"
    resource = Resource.objects.get(title="老人上门理发志愿服务")
    fits(unit, PHONE)

    # 2. The community dispatcher registers a need; zero quantity is refused first.
    disp = open_page(PHONE, "dispatcher")
    disp.goto(f"{disp.base}/lists/needs/new/")
    disp.fill("#id_title", "行动不便老人理发难")
    disp.fill("#id_description", "社区有十几位行动不便的老人，需要志愿者上门理发")
    disp.fill("#id_quantity", "0")
    submit(disp, "[data-testid=save]")
    assert "需求数量不能小于 1" in disp.locator("[data-testid=need-form]").inner_text()
    assert not Need.objects.filter(title="行动不便老人理发难").exists()
    disp.fill("#id_quantity", "10")
    disp.fill("#id_wanted_windows", "周六 09:00-10:00")
    disp.click("[data-testid=save]")
    disp.wait_for_url(re.compile(r"/lists/needs/\d+/$"))
    need = Need.objects.get(title="行动不便老人理发难")

    # 3. The matching page ranks the liaison's resource first and says why.
    disp.click("[data-testid=match-link]")
    disp.wait_for_url(re.compile(r"/match/$"))
    first = disp.locator("[data-testid=candidate]").first
    assert first.locator("[data-testid=candidate-title]").inner_text().strip() == "老人上门理发志愿服务"
    why = first.locator("[data-testid=explanation]").inner_text()
    assert "共同词语" in why and "理发" in why and "容量 12" in why and "时间吻合 100%" in why
    fits(disp, PHONE)

    # 4. A pairing session proposes the pair; the dispatcher accepts it as a co-building project.
    disp.goto(f"{disp.base}/lists/pairing/")
    disp.click("[data-testid=run-session]")
    disp.wait_for_url(re.compile(r"/lists/pairing/\d+/$"))
    pair = Pair.objects.get(need=need)
    assert pair.resource == resource and pair.units == 10
    card = disp.locator(f"#pair-{pair.pk}")
    assert "理发" in card.inner_text()
    fits(disp, PHONE)
    card.locator("[data-testid=accept-project]").click()
    disp.locator(f"#pair-{pair.pk} [data-testid=pair-outcome]").wait_for()
    project = Project.objects.get(origin_id=str(pair.pk))
    assert project.lead_unit == resource.unit and list(project.needs.all()) == [need] and list(project.resources.all()) == [resource]
    disp.locator(f"#pair-{pair.pk} [data-testid=pair-outcome]").click()
    disp.wait_for_url(re.compile(rf"/lists/projects/{project.pk}/$"))
    assert "已提出" in disp.locator("[data-testid=project-status]").inner_text()

    # 5. The street approves (desktop); the unit starts and completes it with outcomes and a photo (phone).
    admin = open_page(DESKTOP, "admin")
    admin.goto(f"{admin.base}/lists/projects/{project.pk}/")
    admin.click("[data-testid=act-approve]")
    admin.wait_for_load_state("networkidle")
    assert "已批准" in admin.locator("[data-testid=project-status]").inner_text()
    unit.goto(f"{unit.base}/lists/projects/{project.pk}/")
    unit.click("[data-testid=act-start]")
    unit.wait_for_load_state("networkidle")
    unit.click("[data-testid=act-complete]")  # no outcome yet: refused, still in progress
    unit.wait_for_load_state("networkidle")
    assert "请填写项目成效" in unit.locator("[data-testid=action-error]").inner_text()
    form = unit.locator("[data-testid=complete-form]")
    form.locator("textarea[name=outcome]").fill("志愿者上门理发 3 次，服务行动不便老人 10 位")
    form.locator("input[name=beneficiaries]").fill("10")
    form.locator("textarea[name=figures]").fill("理发人次：30")
    form.locator("input[name=photos]").set_input_files(_png(tmp_path))
    form.locator("[data-testid=act-complete]").click()
    unit.wait_for_load_state("networkidle")
    assert "已完成" in unit.locator("[data-testid=project-status]").inner_text()
    assert "理发人次 30" in unit.locator("[data-testid=outcomes]").inner_text()
    fits(unit, PHONE)
    project.refresh_from_db()
    assert project.status == "completed" and project.beneficiaries == 10 and project.photos.count() == 1

    # 6. The results wall (public, no login) shows the completed project with its outcome.
    public = open_page(PHONE)
    public.goto(f"{public.base}/orders/wall/")
    card = public.locator("[data-testid=wall-project]", has_text="行动不便老人理发难")
    assert "志愿者上门理发" in card.inner_text() and "10" in card.inner_text()
    fits(public, PHONE)
    for page in (unit, disp, admin, public):
        clean_console(page)
