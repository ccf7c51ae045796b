"""Word search in the dispatcher's and the unit's inboxes: exact matches on both databases, pages
without a count, and the unit inbox's own search and pager."""

from tongxin.orders import selectors, services


def _texts(qs):
    return sorted(r.text for r in qs)


def test_inbox_search_finds_words_in_any_script_and_only_whole_words(ow, submit):
    submit(text="小区东门路灯坏了，晚上很黑", community=ow.community_a)
    submit(text="楼道里堆满杂物，有消防隐患", community=ow.community_a)
    submit(text="路边的灯杆被车撞歪了", community=ow.community_a)  # 路 and 灯, but not 路灯
    submit(text="東門路燈又壞了", community=ow.community_a)
    submit(text="另一个社区的路灯也坏了", community=ow.community_b)  # outside the dispatcher's scope
    find = lambda q: _texts(selectors.dispatcher_inbox(ow.dispatcher_a, status=[], q=q))  # noqa: E731
    assert find("路灯") == ["小区东门路灯坏了，晚上很黑", "東門路燈又壞了"]
    assert find("路燈 东门") == ["小区东门路灯坏了，晚上很黑", "東門路燈又壞了"]  # traditional folds to simplified
    assert find("消防隐患") == ["楼道里堆满杂物，有消防隐患"]
    assert find("隐患消防") == []  # the pieces are there, the word is not
    assert find("灯") == ["小区东门路灯坏了，晚上很黑", "東門路燈又壞了", "路边的灯杆被车撞歪了"]
    assert find("不存在") == []


def test_inbox_search_by_tracking_number(ow, submit):
    req = submit(text="垃圾桶满了", community=ow.community_a)
    submit(text="垃圾桶坏了", community=ow.community_a)
    found = selectors.dispatcher_inbox(ow.dispatcher_a, status=[], q=req.tracking_number.lower())
    assert [r.pk for r in found] == [req.pk]


def test_search_pages_show_a_next_page_without_counting(ow, client, monkeypatch):
    from tongxin.orders import views

    monkeypatch.setattr(views, "PER_PAGE", 2)
    for n in range(5):
        services.submit_request(by=ow.resident_a, text=f"楼道灯坏了第{n}处", community=ow.community_a)
    services.submit_request(by=ow.resident_a, text="井盖松动", community=ow.community_a)
    client.force_login(ow.dispatcher_a)
    first = client.get("/orders/inbox/?q=楼道灯").content.decode()
    assert first.count('data-testid="inbox-row"') == 2 and "1 / 2+" in first
    third = client.get("/orders/inbox/?q=楼道灯&page=3").content.decode()
    assert third.count('data-testid="inbox-row"') == 1 and ">3 / 3</span>" in third  # the last page: no "+"
    assert "下一页" not in third and "上一页" in third
    beyond = client.get("/orders/inbox/?q=楼道灯&page=9").content.decode()  # past the end: the first page
    assert beyond.count('data-testid="inbox-row"') == 2 and "1 / 2+" in beyond
    assert client.get("/orders/inbox/?q=楼道灯&page=x").content.decode().count('data-testid="inbox-row"') == 2


def test_lookahead_paginator_reads_one_row_more_than_it_shows(ow, submit):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tongxin.orders.models import ServiceRequest
    from tongxin.orders.views import LookaheadPaginator

    for n in range(5):
        submit(text=f"第{n}件事", community=ow.community_a)
    qs = ServiceRequest.objects.order_by("pk")
    with CaptureQueriesContext(connection) as queries:
        page = LookaheadPaginator(qs, 2).get_page(2)
        assert [r.text for r in page.object_list] == ["第2件事", "第3件事"]
        assert page.has_next() and page.has_previous() and page.paginator.capped
    assert len(queries) == 1 and "COUNT(" not in queries[0]["sql"].upper() and "LIMIT 3" in queries[0]["sql"]
    last = LookaheadPaginator(qs, 2).get_page(3)
    assert [r.text for r in last.object_list] == ["第4件事"] and not last.has_next() and not last.paginator.capped
    empty = LookaheadPaginator(qs.none(), 2).get_page(1)
    assert list(empty.object_list) == [] and not empty.has_next() and empty.paginator.num_pages == 1


def test_unit_inbox_has_a_search_and_a_pager(ow, client, dispatched, monkeypatch):
    from tongxin.orders import views

    monkeypatch.setattr(views, "PER_PAGE", 2)
    for n in range(3):
        dispatched(text=f"路灯不亮第{n}处", community=ow.community_a)
    dispatched(text="井盖松动，有人差点摔倒", community=ow.community_a)
    client.force_login(ow.liaison_a)
    first = client.get("/orders/unit/").content.decode()
    assert 'data-testid="unit-search"' in first and first.count('data-testid="unit-row"') == 2
    assert 'data-testid="pager"' in first and "1 / 2" in first
    assert client.get("/orders/unit/?page=2").content.decode().count('data-testid="unit-row"') == 2
    found = client.get("/orders/unit/?q=井盖").content.decode()
    assert found.count('data-testid="unit-row"') == 1 and "井盖松动" in found and 'value="井盖"' in found


def test_a_superuser_sees_every_request(ow, submit, client):
    """visible_q ORs the user's own requests with the scope; the superuser's scope is everything."""
    a = submit(text="甲社区的井盖松动", community=ow.community_a)
    b = submit(text="乙社区的路灯坏了", community=ow.community_b)
    assert {r.pk for r in selectors.visible_requests(ow.system)} == {a.pk, b.pk}
    assert selectors.get_request(ow.system, b.pk) == b
    client.force_login(ow.system)
    assert client.get(f"/orders/{b.pk}/").status_code == 200
