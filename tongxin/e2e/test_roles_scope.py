"""Each demo role logs in at phone and desktop width and sees exactly its scope."""

import pytest

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.e2e]

# Which sections each role's navigation offers (top-level links and menu entries).
COMMON = {"/orders/wishes/", "/orders/wall/", "/topics/"}
COBUILDING = {"/lists/", "/agreements/", "/meetings/"}
NAV = {
    "admin": {"/orgs/alliances/", "/orgs/", "/people/", "/grids/", "/data/", "/accounts/users/", "/orders/inbox/",
              "/rhythm/", "/routing/"} | COBUILDING | COMMON,
    "dispatcher": {"/orgs/alliances/", "/orgs/", "/people/", "/grids/", "/data/", "/accounts/users/", "/orders/inbox/",
                   "/rhythm/"} | COBUILDING | COMMON,
    "liaison": {"/orgs/alliances/", "/orgs/", "/people/", "/grids/", "/data/", "/orders/unit/"} | COBUILDING | COMMON,
    "gridworker": {"/orgs/alliances/", "/orgs/", "/people/", "/grids/", "/orders/new/", "/lists/"} | COMMON,
    "member": {"/orgs/alliances/", "/orgs/", "/grids/", "/orders/new/", "/orders/mine/"} | COMMON,
    "resident": {"/grids/", "/orders/new/", "/orders/mine/"} | COMMON,
}
SECTIONS = set().union(*NAV.values())


def nav_links(page) -> set[str]:
    hrefs = page.eval_on_selector_all("nav a[data-nav=section]", "els => els.map(e => e.getAttribute('href'))")
    return {h for h in hrefs if h in SECTIONS}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_each_role_sees_its_own_sections_without_errors(demo, open_page, viewport):
    for username, expected in NAV.items():
        page = open_page(viewport, username)
        assert nav_links(page) == expected, username
        for section in sorted(expected):
            resp = page.goto(page.base + section)
            page.wait_for_load_state("networkidle")
            assert resp.status == 200, (username, section, resp.status)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], (username, section, width)
        assert page.console_errors == [], (username, page.console_errors)
        page.context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_dispatcher_finds_no_person_of_another_community(demo, open_page, viewport):
    from tongxin.people.models import Person

    other = Person.objects.filter(community__name="柳巷社区党委", organization__name="柳巷社区党委").order_by("pk").first()
    own = Person.objects.filter(community__name="宁化府社区党委", organization__name="宁化府社区党委").order_by("pk").first()

    page = open_page(viewport, "dispatcher")
    page.goto(f"{page.base}/people/?q={own.name}")
    assert page.locator(f"text={own.name}").count() >= 1
    page.goto(f"{page.base}/people/?q={other.name}")
    assert page.locator("main").inner_text().count(other.name) == 0
    resp = page.goto(f"{page.base}/people/{other.pk}/")
    assert resp.status == 404
    resp = page.goto(f"{page.base}/history/person/{other.pk}/")
    assert resp.status == 404

    admin = open_page(viewport, "admin")
    admin.goto(f"{admin.base}/people/?q={other.name}")
    assert admin.locator(f"main >> text={other.name}").count() >= 1
    resp = admin.goto(f"{admin.base}/people/{other.pk}/")
    assert resp.status == 200
    # Lists show masked phone numbers only.
    assert other.phone_masked in admin.locator("main").inner_text()


def test_resident_sees_only_their_own_record(demo, open_page):
    from tongxin.accounts.models import User
    from tongxin.people.models import Person

    me = User.objects.get(username="resident").person
    neighbour = Person.objects.filter(community=me.community).exclude(pk=me.pk).first()
    page = open_page(PHONE, "resident")
    assert page.goto(f"{page.base}/people/{me.pk}/").status == 200
    assert me.name in page.locator("main").inner_text()
    assert page.goto(f"{page.base}/people/{neighbour.pk}/").status == 404
