"""Real threads against the real database: two overlapping edits of one series never both apply,
and two simultaneous check-ins of one invitee record one."""

import datetime as dt

import pytest
from django.utils import timezone

from tongxin.core.errors import DomainError
from tongxin.core.testing import run_in_threads
from tongxin.meetings import services
from tongxin.meetings.models import MeetingSeries

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_overlapping_series_edits_one_wins(mw):
    s = services.create_series(by=mw.admin, alliance=mw.alliance, kind="monthly", title="月度例会", rrule="FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3",
                               starts_on=timezone.localdate() + dt.timedelta(days=1), start_time=dt.time(9, 0))
    version = s.version

    def edit(i):
        series = MeetingSeries.objects.get(pk=s.pk)
        return services.update_series(by=mw.admin, series=series, expected_version=version, kind="monthly", title="月度例会",
                                      rrule="FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3", starts_on=series.starts_on,
                                      start_time=dt.time(9, 0), location=f"地点{i}")

    results = run_in_threads(2, edit)
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], services.Conflict), results
    s.refresh_from_db()
    assert s.version == version + 1
    assert {m.location for m in s.meetings.all()} == {s.location}


def test_two_check_ins_record_one(mw):
    now = timezone.localtime()
    start = max(now, now.replace(hour=23, minute=58, second=0, microsecond=0))
    m = services.schedule_meeting(by=mw.admin, alliance=mw.alliance, kind="special", title="专题会", starts_at=start, agenda_days=0)
    inv = m.invitations.get(user=mw.liaison_a)

    def check(i):
        if i == 0:
            return services.self_check_in(by=mw.liaison_a, meeting=m, token=m.checkin_token)
        return services.check_in(by=mw.admin, invitation=inv)

    results = run_in_threads(2, check)
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], DomainError) and "重复签到" in errors[0].message, results
