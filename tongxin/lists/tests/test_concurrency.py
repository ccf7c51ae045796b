"""Two people act at once: compare-and-set lets exactly one win, the other gets a Chinese refusal."""

import threading

import pytest
from django.db import connection

from tongxin.core.errors import DomainError
from tongxin.lists import services
from tongxin.lists.models import Pair, Project

from .conftest import make_need, make_resource


def _race(fn, n=2):
    barrier = threading.Barrier(n)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(("ok", fn()))
        except DomainError as exc:
            results.append(("refused", exc.message))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_one_pair_accepted_once(lw):
    make_resource(lw)
    make_need(lw)
    session = services.run_pairing_session(by=lw.admin, alliance=lw.alliance)
    pair_id = session.pairs.get().pk
    results = _race(lambda: services.accept_pair(by=lw.admin, pair=Pair.objects.select_related("need", "resource").get(pk=pair_id)))
    assert sorted(r[0] for r in results) == ["ok", "refused"]
    assert Project.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_approval_wins(lw):
    p = services.create_project(by=lw.admin, alliance=lw.alliance, title="共建助老食堂", lead_unit=lw.unit_a)
    results = _race(lambda: services.transition(by=lw.admin, project=Project.objects.get(pk=p.pk), action="approve"))
    assert sorted(r[0] for r in results) == ["ok", "refused"]
    assert Project.objects.get(pk=p.pk).status == "approved"
