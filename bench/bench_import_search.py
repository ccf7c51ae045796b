#!/usr/bin/env python
"""Benchmark: Excel import of organisations and people, then a scoped person search.

Run by hand from the repository root (pytest does not collect it):

    .venv/bin/python bench/bench_import_search.py                       # SQLite, full size
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tx_bench .venv/bin/python bench/bench_import_search.py
    .venv/bin/python bench/bench_import_search.py --people 5000 --orgs 500 --runs 1   # quick

Each run builds a FRESH database (SQLite: a temp file; PostgreSQL: the database named in
DATABASE_URL is dropped and re-created, so never point it at a database you care about),
generates the xlsx files, and times the import through the same code path as the pages and
the API (services.create_job → dry run → services.confirm → import; tasks run in-process
with the immediate backend). Then it times people searches by a community dispatcher
(tongxin.people.selectors.search_people, first page as the people list evaluates it: count +
page + prefetches). Figures are medians over the runs; ratios compare with baselines measured
in the same run: reading the same xlsx with bare openpyxl, and the same searches unscoped.
"""

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强永红海燕玉兰晓东雪梅春梅国华红梅文华"
         "金凤德明子涵浩然欣怡梓萱宇轩思远雨桐博文嘉怡天佑佳琪俊杰晨曦诗涵一诺")
SHOW = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--people", type=int, default=100_000)
    p.add_argument("--orgs", type=int, default=5_000)
    p.add_argument("--runs", type=int, default=3, help="fresh-database runs; figures are medians")
    p.add_argument("--searches", type=int, default=300, help="timed searches per kind of query per run")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--out", default=str(ROOT / "bench" / "out"), help="where the xlsx files and the JSON result go")
    p.add_argument("--keep", action="store_true", help="keep the (last) SQLite database file for inspection")
    return p.parse_args()


# --- database ---------------------------------------------------------------------------------

def fresh_database(run: int) -> str:
    """A new empty database for this run; returns its DATABASE_URL."""
    url = os.environ.get("BENCH_BASE_URL") or os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        parts = urlparse(url)
        name = parts.path.lstrip("/") or "tx_bench"
        if name in ("postgres", "template0", "template1"):
            raise SystemExit("refusing to drop a system database: name a scratch database such as tx_bench in DATABASE_URL")
        admin = urlunparse(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return url
    path = Path(tempfile.gettempdir()) / f"tx_bench_{os.getpid()}_{run}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def setup_django(url: str, media: str):
    os.environ["BENCH_BASE_URL"] = os.environ.get("BENCH_BASE_URL") or os.environ.get("DATABASE_URL", "")
    os.environ["DATABASE_URL"] = url
    os.environ["TASK_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    os.environ["MEDIA_ROOT"] = media
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongxin.settings")
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()


def switch_database(url: str):
    """Point the already set-up Django at another fresh database (runs after the first)."""
    import dj_database_url
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    new = dj_database_url.parse(url)
    old = settings.DATABASES["default"]
    for key in ("NAME", "HOST", "PORT", "USER", "PASSWORD"):
        old[key] = new.get(key, old.get(key))
    connections["default"].settings_dict.update({k: old[k] for k in ("NAME", "HOST", "PORT", "USER", "PASSWORD")})
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


# --- data -------------------------------------------------------------------------------------

def id_number(i: int) -> str:
    from tongxin.core.validators import id_check_digit

    born = dt.date(1950, 1, 1) + dt.timedelta(days=(i // 800) % 20000)
    first17 = f"330702{born:%Y%m%d}{100 + i % 800:03d}"
    return first17 + id_check_digit(first17)


def org_plan(n_orgs: int, street_name: str):
    """Rows of the organisation file: communities, each with a general branch, branches and member units."""
    n_comm = max(1, n_orgs // 100)
    per = max(1, n_orgs // n_comm - 1)
    rows, communities = [], []
    unit_kinds = ["机关", "事业单位", "国有企业", "非公企业", "学校", "医院", "社会组织", "个体工商户", "物业公司", "业主委员会", "社团"]
    for c in range(n_comm):
        cname = f"第{c + 1:03d}社区党委"
        communities.append({"name": cname, "branches": [], "units": []})
        rows.append([cname, f"{c + 1}社区", "社区党委", street_name, f"P{c + 1:04d}", "", f"同心街道{c + 1}号", "", ""])
        general = f"{cname}物业党总支"
        rows.append([general, "", "党总支", cname, "", "", "", "", ""])
        for k in range(per - 1):
            if k % 2 == 0:
                name = f"{cname}第{k // 2 + 1}党支部"
                parent = general if k % 4 == 0 else cname
                rows.append([name, "", "党支部", parent, "", "", "", "", ""])
                communities[-1]["branches"].append(name)
            else:
                name = f"{cname}共建单位{k // 2 + 1}"
                rows.append([name, "", unit_kinds[k % len(unit_kinds)], cname, f"9133{c:04d}{k:06d}X", "区直机关工委", "", "", ""])
                communities[-1]["units"].append(name)
            if len(rows) >= n_orgs:
                break
        if len(rows) >= n_orgs:
            break
    return rows[:n_orgs], communities


def people_rows(n: int, communities: list[dict], rnd: random.Random):
    today = dt.date.today()
    for i in range(n):
        comm = communities[i % len(communities)]
        name = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))
        org = comm["name"] if (i % 10 < 7 or not comm["units"]) else rnd.choice(comm["units"])
        tags = rnd.choice(["居民", "居民、志愿者", "志愿者", "", "居民"])
        branch = joined = full = status = ""
        if i % 10 < 3 and comm["branches"]:
            branch = rnd.choice(comm["branches"])
            joined_d = today - dt.timedelta(days=rnd.randint(400, 15000))
            joined = joined_d.isoformat()
            if i % 30 == 0:
                status = "预备党员"
            else:
                status = "正式党员"
                full = (joined_d + dt.timedelta(days=365)).isoformat()
        yield [
            name, "", f"139{i:08d}", id_number(i) if i % 2 == 0 else "", org, comm["name"], tags, "", branch, joined, full, status,
            "", f"同心街道幸福路{i % 500}号{i % 30}幢", "汉族", "", "",
        ]


def write_xlsx(path: Path, title: str, headers: list[str], rows) -> float:
    from openpyxl import Workbook

    t = time.perf_counter()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append(headers)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return time.perf_counter() - t


def raw_read_seconds(path: Path) -> float:
    from openpyxl import load_workbook

    t = time.perf_counter()
    wb = load_workbook(path, read_only=True)
    n = sum(1 for _ in wb.active.iter_rows(values_only=True))
    wb.close()
    assert n > 0
    return time.perf_counter() - t


# --- one run ----------------------------------------------------------------------------------

def timed_import(user, kind: str, path: Path) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tongxin.dataio import services

    data = path.read_bytes()
    c0 = time.process_time()
    t0 = time.perf_counter()
    job = services.create_job(by=user, kind=kind, upload=SimpleUploadedFile(path.name, data))  # dry run runs on commit
    t1 = time.perf_counter()
    job.refresh_from_db()
    if job.status != "validated":
        raise SystemExit(f"{kind}: dry run found problems: {job.message} {job.errors[:5]}")
    services.confirm(job=job, by=user)  # the import runs on commit
    t2 = time.perf_counter()
    job.refresh_from_db()
    if job.status != "done":
        raise SystemExit(f"{kind}: import failed: {job.message}")
    return {"rows": job.imported_count, "validate_s": t1 - t0, "import_s": t2 - t1, "total_s": t2 - t0,
            "cpu_s": time.process_time() - c0}


def our_read_seconds(path: Path, kind: str) -> float:
    """The importer's own xlsx reader on the same file (no validation)."""
    from tongxin.dataio import workbook

    t = time.perf_counter()
    upload = workbook.open_upload(path, kind)
    n = sum(1 for _ in upload.rows())
    upload.close()
    assert n > 0
    return time.perf_counter() - t


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def time_searches(user, queries: list[str]) -> list[float]:
    from django.core.paginator import Paginator

    from tongxin.people.selectors import list_page_queryset, search_people

    out = []
    for q in queries:
        t = time.perf_counter()
        qs = list_page_queryset(search_people(user, q=q)).order_by("name", "id")
        page = Paginator(qs, 50).get_page(1)
        list(page.object_list)
        out.append((time.perf_counter() - t) * 1000)
    return out


def one_run(run: int, args, files: dict, communities: list[dict], street_name: str) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from tongxin.accounts.models import Role, User
    from tongxin.accounts.services import assign_role
    from tongxin.orgs import services as orgs
    from tongxin.orgs.models import Organization, OrgKind
    from tongxin.people.models import Person

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - t
    root = User.objects.create(username="bench-root", is_superuser=True)
    street = orgs.create_organization(by=root, parent=None, name=street_name, kind=OrgKind.STREET_COMMITTEE)
    admin = User.objects.create_user(username="bench-admin", password="x" * 12)
    assign_role(user=admin, role=Role.ALLIANCE_ADMIN, organization=street, by=None)

    result = {"run": run, "migrate_s": migrate_s}
    result["orgs"] = timed_import(admin, "organizations", files["orgs"])
    result["people"] = timed_import(admin, "people", files["people"])
    result["raw_read_people_s"] = raw_read_seconds(files["people"])
    result["raw_read_orgs_s"] = raw_read_seconds(files["orgs"])
    result["our_read_people_s"] = our_read_seconds(files["people"], "people")
    assert Person.objects.count() == args.people

    # Search: the dispatcher of one community; queries about people of that community (and a few of others).
    community = Organization.objects.get(name=communities[len(communities) // 2]["name"])
    dispatcher = User.objects.create_user(username="bench-dispatcher", password="x" * 12)
    assign_role(user=dispatcher, role=Role.DISPATCHER, organization=community, by=None)
    rnd = random.Random(args.seed + run)
    mine = list(Person.objects.filter(community=community).values_list("name", "phone_masked", "pk")[:5000])
    from tongxin.core.crypto import decrypt

    phones = [decrypt(p.phone_enc) for p in Person.objects.filter(pk__in=[m[2] for m in rnd.sample(mine, min(200, len(mine)))])]
    others = [decrypt(p.phone_enc) for p in Person.objects.exclude(community=community).order_by("?")[:50]]
    name_q = [rnd.choice(mine)[0] for _ in range(args.searches)]
    frag_q = [n[1:] if len(n) > 2 else n for n in (rnd.choice(mine)[0] for _ in range(args.searches))]
    phone_q = [rnd.choice(phones + others[:10]) for _ in range(args.searches)]
    dispatcher = User.objects.get(pk=dispatcher.pk)
    root = User.objects.get(pk=root.pk)
    time_searches(dispatcher, name_q[:30] + phone_q[:30])  # warm-up
    time_searches(root, name_q[:30])
    result["search_ms"] = {}
    for label, queries in (("full name", name_q), ("name fragment", frag_q), ("full phone", phone_q)):
        scoped = time_searches(dispatcher, queries)
        unscoped = time_searches(root, queries)
        result["search_ms"][label] = {
            "p50": percentile(scoped, 0.5), "p95": percentile(scoped, 0.95),
            "unscoped_p50": percentile(unscoped, 0.5), "unscoped_p95": percentile(unscoped, 0.95),
        }
    result["vendor"] = connection.vendor
    return result


def main():
    args = parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    media = tempfile.mkdtemp(prefix="tx_bench_media_")
    setup_django(fresh_database(0), media)

    from tongxin.dataio.columns import ORG_COLUMNS, PEOPLE_COLUMNS

    street_name = "同心街道党工委"
    rnd = random.Random(args.seed)
    org_rows, communities = org_plan(args.orgs, street_name)
    files = {"orgs": out / f"orgs_{args.orgs}_{args.seed}.xlsx", "people": out / f"people_{args.people}_{args.orgs}_{args.seed}.xlsx"}
    gen_orgs = gen_people = 0.0  # generated once per size and seed, then reused (deterministic)
    if not files["orgs"].exists():
        gen_orgs = write_xlsx(files["orgs"], "组织", [c.header for c in ORG_COLUMNS], org_rows)
    if not files["people"].exists():
        gen_people = write_xlsx(files["people"], "人员", [c.header for c in PEOPLE_COLUMNS], people_rows(args.people, communities, rnd))
    print(f"generated {len(org_rows):,} organisations ({gen_orgs:.1f} s) and {args.people:,} people ({gen_people:.1f} s); "
          f"people file {files['people'].stat().st_size / 1e6:.1f} MB")

    runs = []
    for run in range(args.runs):
        if run:
            switch_database(fresh_database(run))
        r = one_run(run, args, files, communities, street_name)
        runs.append(r)
        s = r["search_ms"]
        print(f"run {run + 1}: orgs {r['orgs']['total_s']:.1f} s, people {r['people']['total_s']:.1f} s "
              f"(dry run {r['people']['validate_s']:.1f} + import {r['people']['import_s']:.1f}); "
              + ", ".join(f"{k} p95 {v['p95']:.1f} ms" for k, v in s.items()))

    def med(fn):
        return statistics.median(fn(r) for r in runs)

    vendor = SHOW.get(runs[0]["vendor"], runs[0]["vendor"])
    total = med(lambda r: r["orgs"]["total_s"] + r["people"]["total_s"])
    print()
    print(f"== {vendor}: {args.orgs:,} organisations + {args.people:,} people, median of {args.runs} run(s) ==")
    print(f"import organisations   {med(lambda r: r['orgs']['total_s']):7.1f} s   (dry run {med(lambda r: r['orgs']['validate_s']):.1f} s"
          f" + import {med(lambda r: r['orgs']['import_s']):.1f} s)")
    print(f"import people          {med(lambda r: r['people']['total_s']):7.1f} s   (dry run {med(lambda r: r['people']['validate_s']):.1f} s"
          f" + import {med(lambda r: r['people']['import_s']):.1f} s)")
    raw = med(lambda r: r["raw_read_people_s"] + r["raw_read_orgs_s"])
    print(f"import total           {total:7.1f} s   target < 60 s: {'PASS' if total < 60 else 'FAIL'}")
    print(f"baseline: bare openpyxl read of the same files {raw:.1f} s → import/read ratio {total / raw:.1f}×; "
          f"the importer's own reader on the people file {med(lambda r: r['our_read_people_s']):.1f} s")
    cpu = med(lambda r: r["orgs"]["cpu_s"] + r["people"]["cpu_s"])
    print(f"import CPU time of this process {cpu:.1f} s (wall time above; on a busy machine CPU time is the steadier figure"
          f"{'; PostgreSQL server time not included' if runs[0]['vendor'] == 'postgresql' else ''})")
    worst = 0.0
    for label in runs[0]["search_ms"]:
        p50 = med(lambda r, label=label: r["search_ms"][label]["p50"])
        p95 = med(lambda r, label=label: r["search_ms"][label]["p95"])
        u95 = med(lambda r, label=label: r["search_ms"][label]["unscoped_p95"])
        worst = max(worst, p95)
        print(f"search {label:<14}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms   (unscoped p95 {u95:6.1f} ms, ratio {p95 / u95:.2f}×)")
    print(f"scoped search p95 (worst kind) {worst:.1f} ms   target < 50 ms: {'PASS' if worst < 50 else 'FAIL'}")
    summary = {"vendor": vendor, "people": args.people, "orgs": args.orgs, "runs": runs, "import_total_median_s": total,
               "search_p95_worst_ms": worst, "raw_read_s": raw}
    (out / f"result_{runs[0]['vendor']}.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    shutil.rmtree(media, ignore_errors=True)
    from django.conf import settings
    if not os.environ.get("BENCH_BASE_URL", "").startswith("postgres"):
        if args.keep:
            print(f"kept {settings.DATABASES['default']['NAME']}")
        for run in range(args.runs - 1 if args.keep else args.runs):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{tempfile.gettempdir()}/tx_bench_{os.getpid()}_{run}.sqlite3{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
