"""Real threads against the real database: the same due date recorded twice at once is settled once;
activate and terminate racing never both succeed."""

import pytest

from tongxin.core.errors import DomainError
from tongxin.core.testing import run_in_threads
from tongxin.governance import services
from tongxin.governance.models import Agreement, Fulfilment, ObligationDue

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_due_date_is_fulfilled_once(gw, make_agreement):
    ag = make_agreement()
    ob = services.add_obligation(agreement=ag, by=gw.admin, title="捐赠图书 200 册", debtor=gw.unit_a, due_on=gw.today)
    due = ob.dues.get()
    recorders = [gw.liaison_a, gw.admin, gw.liaison_a, gw.admin]

    def record(i):
        return services.record_fulfilment(obligation=ob, by=recorders[i], note=f"第 {i} 次登记", due=ObligationDue.objects.get(pk=due.pk))

    results = run_in_threads(4, record)
    wins = [r for r in results if isinstance(r, Fulfilment)]
    losses = [r for r in results if isinstance(r, DomainError)]
    assert len(wins) == 1 and len(losses) == 3, results
    assert Fulfilment.objects.filter(obligation=ob).count() == 1  # the losers' rows were rolled back
    assert ag.events.filter(verb="fulfilled").count() == 1


def test_activate_and_terminate_race(gw, make_agreement):
    ag = make_agreement(activate=False)

    def act(i):
        fresh = Agreement.objects.get(pk=ag.pk)
        if i % 2:
            return services.terminate(agreement=fresh, by=gw.admin, reason="并发终止")
        return services.activate(agreement=fresh, by=gw.admin)

    results = run_in_threads(2, act)
    ag.refresh_from_db()
    assert sum(isinstance(r, Agreement) for r in results) >= 1
    # Either order is fine, but the end state follows the table: terminated, or in force then terminated.
    assert ag.status in ("terminated", "in_force")
    verbs = list(ag.events.values_list("verb", flat=True))
    assert verbs.count("activated") <= 1 and verbs.count("terminated") <= 1
    if ag.status == "in_force":
        assert "terminated" not in verbs
