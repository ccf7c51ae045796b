#!/usr/bin/env python
"""Benchmark of the rhythm (一月一提示，一季一调度): the monthly prompts for 2,000 member units and
the quarterly review of an alliance with 1,000,000 requests and 10,000 action items.

Run by hand from the repository root (pytest does not collect it):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tx_bench_rhythm .venv/bin/python bench/bench_rhythm.py
    .venv/bin/python bench/bench_rhythm.py                       # SQLite, /tmp/tx_bench_rhythm.sqlite3
    .venv/bin/python bench/bench_rhythm.py --requests 100000 --runs 1   # quick

The database (tx_bench_rhythm on the PostgreSQL server, or the SQLite file) is DROPPED and
re-created. Data, inserted in bulk (PostgreSQL COPY, SQLite executemany in one transaction):
one street, 10 communities, --units member units (each with a liaison account), the default
categories, --requests requests dispatched to the member units over the last --quarters quarters
(default 8, two years, ending with the reviewed one, the previous quarter; --quarters 1 puts them
all in it), statuses spread like real use (8 % still waiting for the unit), --actions action
items owned by the units (half open, a third overdue), and ANALYZE.

Measured, median of --runs runs (each run starts from no prompt and no review):
1. prompts: services.generate_prompts() for this month: per unit, the open action items,
   obligations and meetings through the other apps' contract selectors, the waiting requests in
   one query for all units, one Prompt row and one inbox notification per liaison.
   Baseline: the bare GROUP BY assigned_unit count of the same waiting requests.
2. review: selectors.review_figures() for the previous quarter: one GROUP BY assigned_unit query
   over the quarter's requests (seven filtered counts), one GROUP BY owner over the action items,
   the obligations per unit, the projects. Baseline: a bare COUNT(*) GROUP BY assigned_unit of the
   same rows. Also the PDF of that review (WeasyPrint, 2,000 unit rows), timed once.
Peak memory: tracemalloc peak of Python allocations during one extra, untimed run of each; and
the process's peak RSS (resource.getrusage) at the end.

Results, 25 Nov 2026 17:50, after the obligations of all units became one query
(governance.selectors.obligations_due_by_debtor), PostgreSQL 15 on the same 2 vCPUs, with the CI
test suite running beside it (load average 3.0), --no-pdf:

    postgresql: 2,000 member units, 1,000,000 requests over 8 quarters, 10,000 action items; median of 3 runs
      prompts     7.25 s  runs 7.25, 7.33, 6.50  baseline 0.132 s  ratio 55x  peak Python memory 51 MiB  (target < 30 s)
                 1,500 prompts, 1,500 deliveries, 500 units with nothing open
      review      0.46 s  runs 0.48, 0.38, 0.46  baseline 0.148 s  ratio 3.1x  peak Python memory 8 MiB  (target < 10 s)
                 102,931 requests in 2026-Q3
      process peak RSS 271 MiB

Before that change (one obligations_due_for call per unit, 2.8 ms each), same machine:
    postgresql, load 2.8: prompts 13.31 s, review 8.93 s (5.6 s of it the per-unit obligations)
    sqlite, load 3.1: prompts 6.83 s, review 3.50 s
    postgresql under load average 8: prompts 33.91 s, review 12.38 s; review PDF (2,000 unit rows) 126.8 s, 1209 KiB
    sqlite, --quarters 1 (all 1,000,000 requests in the reviewed quarter), load average 6:
      prompts 45.40 s (baseline 0.560 s); review 61.50 s (baseline 17.866 s, ratio 3.4x); PDF 123.0 s
The PDF of a 2,000-unit review is rendered by a background task (over 150 units).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEXTS = ["小区东门路灯坏了，晚上很黑", "楼道里堆满纸箱杂物，有消防隐患", "独居老人希望有人帮忙买菜", "路边流动摊贩占道经营",
         "树枝压到电线需要修剪", "装修噪音太大", "下水道堵塞污水外溢", "共享单车乱停乱放堵住通道"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--units", type=int, default=2000)
    p.add_argument("--requests", type=int, default=1_000_000)
    p.add_argument("--actions", type=int, default=10_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--quarters", type=int, default=8,
                   help="the requests are spread over this many quarters ending with the reviewed one (1: all in it)")
    p.add_argument("--sqlite", default="/tmp/tx_bench_rhythm.sqlite3", help="SQLite file when DATABASE_URL is not PostgreSQL")
    p.add_argument("--no-pdf", action="store_true")
    return p.parse_args()


def setup_database(args) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        u = urlparse(url)
        name = u.path.lstrip("/") or "tx_bench_rhythm"
        if name in ("postgres", "template0", "template1"):
            name = "tx_bench_rhythm"
        with psycopg.connect(urlunparse(u._replace(path="/postgres")), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = urlunparse(u._replace(path=f"/{name}"))
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(args.sqlite + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{args.sqlite}"
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "tongxin.settings"
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


# --- data ------------------------------------------------------------------------------------------

def build(args) -> dict:
    from django.db import connection, transaction

    from tongxin.accounts.models import Role, RoleAssignment, User
    from tongxin.accounts.services import assign_role
    from tongxin.meetings.models import ActionItem
    from tongxin.orders.models import Category, ServiceRequest
    from tongxin.orders.services import seed_categories
    from tongxin.orgs import services as orgs
    from tongxin.orgs.models import AllianceMembership, Organization, OrgKind
    from tongxin.rhythm import periods

    t0 = time.perf_counter()
    system = User.objects.create(username="bench-system", is_superuser=True)
    street = orgs.create_organization(by=system, parent=None, name="基准街道党工委", kind=OrgKind.STREET_COMMITTEE)
    communities = [orgs.create_organization(by=system, parent=street, name=f"基准第{i}社区党委", kind=OrgKind.COMMUNITY_COMMITTEE)
                   for i in range(10)]
    alliance = orgs.create_alliance(by=system, core_organization=street, name="基准党建联盟", founded_on=dt.date(2024, 1, 1))
    admin = User.objects.create_user(username="bench-admin", password="x")
    assign_role(user=admin, role=Role.ALLIANCE_ADMIN, organization=street, by=None)
    seed_categories(alliance=alliance)
    kinds = [OrgKind.HOSPITAL, OrgKind.SCHOOL, OrgKind.STATE_ENTERPRISE, OrgKind.PRIVATE_ENTERPRISE, OrgKind.AGENCY]
    with transaction.atomic():
        units = Organization.objects.bulk_create([
            Organization(name=f"基准成员单位{i:05d}", kind=kinds[i % len(kinds)], parent=communities[i % 10], depth=2)
            for i in range(args.units)], batch_size=1000)
        for u in units:
            u.path = f"{u.parent.path}{u.pk}/"
        Organization.objects.bulk_update(units, ["path"], batch_size=1000)
        AllianceMembership.objects.bulk_create([AllianceMembership(alliance=alliance, organization=u, joined_on=dt.date(2024, 1, 1))
                                                for u in units], batch_size=1000)
        liaisons = User.objects.bulk_create([User(username=f"bench-liaison-{i:05d}", password="!") for i in range(args.units)],
                                            batch_size=1000)
        RoleAssignment.objects.bulk_create([RoleAssignment(user=liaisons[i], role=Role.LIAISON, organization=u)
                                            for i, u in enumerate(units)], batch_size=1000)
    print(f"  {args.units:,} units with liaisons in {time.perf_counter() - t0:.1f} s", flush=True)

    quarter = periods.previous_quarter(periods.today())
    q_start, q_end = periods.quarter_bounds(quarter)
    first = q_start
    for _ in range(args.quarters - 1):
        first = periods.quarter_bounds(periods.previous_quarter(first))[0]
    span = (periods.local_end(q_end) - periods.local_start(first)).total_seconds() - 14 * 86400
    base = periods.local_start(first)
    a_base = periods.local_start(q_start)
    cats = list(Category.objects.filter(alliance=alliance).values_list("pk", flat=True))
    unit_ids = [u.pk for u in units]
    com_of = {u.pk: u.parent_id for u in units}
    t0 = time.perf_counter()
    insert_requests(args.requests, alliance.pk, unit_ids, com_of, cats, base, span)
    print(f"  {args.requests:,} requests in {time.perf_counter() - t0:.1f} s", flush=True)

    t0 = time.perf_counter()
    rnd = random.Random(7)
    today = periods.today()
    items = []
    for i in range(args.actions):
        due = q_start + dt.timedelta(days=rnd.randrange(0, 150))
        closed = i % 2 == 0
        items.append(ActionItem(alliance=alliance, title=f"会议决定事项 {i}", owner_id=unit_ids[i % len(unit_ids)], due_on=due,
                                status="done" if closed else "open",
                                closed_at=periods.local_start(min(due, today)) if closed else None))
    with transaction.atomic():
        ActionItem.objects.bulk_create(items, batch_size=2000)
        # created during the quarter (auto_now_add set "now" on insert)
        for k in range(10):
            ActionItem.objects.filter(alliance=alliance, id__gte=items[0].pk, id__lte=items[-1].pk, id__in=[
                it.pk for it in items[k::10]]).update(created_at=a_base + dt.timedelta(days=k * 8))
    print(f"  {args.actions:,} action items in {time.perf_counter() - t0:.1f} s", flush=True)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"alliance": alliance, "admin": admin, "quarter": quarter, "requests": ServiceRequest.objects.count()}


def insert_requests(n, alliance_id, unit_ids, com_of, cats, base, span):
    from django.db import connection

    from tongxin.orders.models import ServiceRequest

    fields = [f for f in ServiceRequest._meta.concrete_fields if not f.primary_key]
    cols = [f.column for f in fields]
    defaults = {}
    for f in fields:
        d = f.get_default() if f.has_default() else (None if f.null else "")
        if isinstance(d, (dict, list)):
            d = "{}" if isinstance(d, dict) else "[]"
        defaults[f.column] = d
    sqlite = connection.vendor == "sqlite"
    utc = dt.UTC

    def ts(value):
        if value is None:
            return None
        return value.astimezone(utc).replace(tzinfo=None).isoformat(" ") if sqlite else value

    rnd = random.Random(2026)
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)

    def rows(start, stop):
        for i in range(start, stop):
            r = (i * 7919) % 100
            unit = unit_ids[(i // 7) % len(unit_ids)]
            at = base + dt.timedelta(seconds=rnd.random() * span)
            status = ("dispatched" if r < 3 else "accepted" if r < 5 else "in_progress" if r < 8 else "done" if r < 20
                      else "rated" if r < 45 else "published" if r < 95 else "cancelled")
            accepted = at + hour * (2 if r % 4 else 30) if r >= 3 else None
            done = at + day * (3 if r % 5 else 9) if r >= 8 and status != "cancelled" else None
            rated = status in ("rated", "published")
            row = dict(defaults)
            row.update(kind="service", tracking_number=f"BR{i:011d}", access_key=f"k{i}", alliance_id=alliance_id,
                       category_id=cats[i % len(cats)], text=TEXTS[i % len(TEXTS)], channel="web", community_id=com_of[unit],
                       assigned_unit_id=unit, status=status, created_at=ts(at - hour), updated_at=ts(at), dispatched_at=ts(at),
                       accepted_at=ts(accepted), done_at=ts(done), rated_at=ts(done + day) if rated and done else None,
                       accept_due_at=ts(at + 24 * hour), finish_due_at=ts(at + 7 * day), rating=(2 + i % 4) if rated else None,
                       published=status == "published", suggestion="{}", search_text="")
            yield tuple(row[c] for c in cols)

    batch = 100_000
    if sqlite:
        sql = f'INSERT INTO orders_servicerequest ({", ".join(cols)}) VALUES ({", ".join(["%s"] * len(cols))})'
        from django.db import transaction

        for start in range(0, n, batch):
            with transaction.atomic(), connection.cursor() as cur:
                cur.executemany(sql, list(rows(start, min(n, start + batch))))
            print(f"    {min(n, start + batch):,}", flush=True)
    else:
        connection.ensure_connection()
        raw = connection.connection
        with raw.cursor() as cur:
            for start in range(0, n, batch):
                with cur.copy(f'COPY orders_servicerequest ({", ".join(cols)}) FROM STDIN') as copy:
                    for row in rows(start, min(n, start + batch)):
                        copy.write_row(row)
                raw.commit()
                print(f"    {min(n, start + batch):,}", flush=True)


# --- measurements ------------------------------------------------------------------------------------

def reset_prompts(alliance):
    from tongxin.notify.models import Notification
    from tongxin.rhythm.models import Prompt

    Notification.objects.filter(verb__in=["rhythm.prompt", "rhythm.prompt_summary"]).delete()
    Prompt.objects.filter(alliance=alliance).delete()


def timed(fn, runs, before=None):
    times = []
    for _ in range(runs):
        if before:
            before()
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times, result


def peak(fn, before=None):
    if before:
        before()
    tracemalloc.start()
    fn()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top / 2 ** 20


def main():
    args = parse_args()
    url = setup_database(args)
    from django.db import connection
    from django.db.models import Count

    from tongxin.orders.models import ServiceRequest
    from tongxin.orders.selectors import UNIT_STATUSES
    from tongxin.rhythm import periods, selectors, services

    print(f"database: {connection.vendor} ({url})", flush=True)
    ctx = build(args)
    alliance, quarter = ctx["alliance"], ctx["quarter"]
    period = periods.month_of(periods.today())
    q_start, q_end = periods.quarter_bounds(quarter)

    def prompts():
        return services.generate_prompts(alliance=alliance, period=period, by=None)

    def prompts_baseline():
        return list(ServiceRequest.objects.filter(assigned_unit__isnull=False, status__in=UNIT_STATUSES)
                    .values("assigned_unit_id").annotate(n=Count("id")).order_by())

    def review():
        return selectors.review_figures(alliance, quarter=quarter)

    def review_baseline():
        return list(ServiceRequest.objects.filter(alliance=alliance, dispatched_at__gte=periods.local_start(q_start),
                                                  dispatched_at__lt=periods.local_end(q_end))
                    .values("assigned_unit_id").annotate(n=Count("id")).order_by())

    def reset():
        reset_prompts(alliance)

    p_med, p_all, stats = timed(prompts, args.runs, before=reset)
    pb_med, _, _ = timed(prompts_baseline, args.runs)
    r_med, r_all, figures = timed(review, args.runs)
    rb_med, _, _ = timed(review_baseline, args.runs)
    p_mem = peak(prompts, before=reset)
    r_mem = peak(review)
    pdf_s = pdf_bytes = None
    if not args.no_pdf:
        from django.core.files.base import ContentFile

        from tongxin.rhythm.models import Review
        from tongxin.rhythm.pdf import render_review_pdf

        rv = Review.objects.create(alliance=alliance, quarter=quarter, starts_on=q_start, ends_on=q_end, figures=figures)
        t = time.perf_counter()
        data = render_review_pdf(rv)
        pdf_s, pdf_bytes = time.perf_counter() - t, len(data)
        rv.pdf.save("bench.pdf", ContentFile(data))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = figures["totals"]["orders"]
    print()
    print(f"{connection.vendor}: {args.units:,} member units, {ctx['requests']:,} requests over {args.quarters} quarters, "
          f"{args.actions:,} action items; "
          f"median of {args.runs} runs; load average {os.getloadavg()[0]:.1f}")
    print(f"  prompts  {p_med:7.2f} s  runs {', '.join(f'{x:.2f}' for x in p_all)}  baseline {pb_med:.3f} s  "
          f"ratio {p_med / pb_med:.0f}x  peak Python memory {p_mem:.0f} MiB  (target < 30 s)")
    print(f"           {stats['created']:,} prompts, {stats['recipients']:,} deliveries, {stats['empty']} units with nothing open")
    print(f"  review   {r_med:7.2f} s  runs {', '.join(f'{x:.2f}' for x in r_all)}  baseline {rb_med:.3f} s  "
          f"ratio {r_med / rb_med:.1f}x  peak Python memory {r_mem:.0f} MiB  (target < 10 s)")
    print(f"           {total['dispatched']:,} requests in {quarter}; response {total['response_rate']}, "
          f"resolution {total['resolution_rate']}, satisfaction {total['satisfaction_rate']}, on time {total['on_time_rate']}; "
          f"action items {figures['totals']['actions']}")
    if pdf_s is not None:
        print(f"  review PDF {pdf_s:.1f} s, {pdf_bytes / 1024:.0f} KiB ({len(figures['units']):,} unit rows)")
    print(f"  process peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
