"""Real threads against the real database (SQLite and PostgreSQL): exactly one of fifty claims
wins, concurrent accept/decline never both succeed, and a submission retried in parallel makes
one request."""

import pytest

from tongxin.core.errors import DomainError
from tongxin.core.testing import run_in_threads
from tongxin.orders import services
from tongxin.orders.models import Kind, RequestEvent, ServiceRequest, Status

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_claims_exactly_one_wins(ow):
    from tongxin.accounts.models import Role

    wish = services.submit_request(by=ow.resident_a, kind=Kind.WISH, text="希望有人帮忙修理轮椅")
    services.post_wish(req=wish, by=ow.dispatcher_a)
    claimers = [ow.user(f"t-claim-{i}", Role.PARTY_MEMBER, ow.branch_a) for i in range(50)]

    def claim(i):
        req = ServiceRequest.objects.get(pk=wish.pk)
        return services.claim_wish(req=req, by=claimers[i])

    results = run_in_threads(50, claim)
    wins = [r for r in results if isinstance(r, ServiceRequest)]
    losses = [r for r in results if isinstance(r, DomainError)]
    assert len(wins) == 1, results
    assert len(losses) == 49, {repr(e) for e in results if not isinstance(e, DomainError)}
    assert all("该心愿已被认领" in e.message for e in losses), {str(e) for e in losses}
    wish.refresh_from_db()
    assert wish.status == Status.ACCEPTED and wish.claimed_by == wins[0].claimed_by
    assert RequestEvent.objects.filter(request=wish, verb="claim").count() == 1


def test_concurrent_accept_and_decline_never_both_succeed(ow, dispatched):
    req = dispatched()

    def act(i):
        fresh = ServiceRequest.objects.get(pk=req.pk)
        if i % 2:
            return services.accept(req=fresh, by=ow.liaison_a)
        return services.decline(req=fresh, by=ow.liaison_a, reason="人手不足")

    results = run_in_threads(10, act)
    wins = [r for r in results if isinstance(r, ServiceRequest)]
    assert len(wins) == 1, results
    assert all(isinstance(r, (ServiceRequest, DomainError)) for r in results), results
    req.refresh_from_db()
    assert req.status in (Status.ACCEPTED, Status.DECLINED)
    assert RequestEvent.objects.filter(request=req, verb__in=["accept", "decline"]).count() == 1


def test_parallel_retries_with_one_idempotency_key_make_one_request(ow):
    def submit(i):
        return services.submit_request(by=ow.resident_a, text="下水道堵了，污水外溢", idempotency_key="flaky-phone-42")

    results = run_in_threads(12, submit)
    assert all(isinstance(r, ServiceRequest) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert ServiceRequest.objects.count() == 1
