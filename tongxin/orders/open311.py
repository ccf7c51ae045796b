"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/.

    GET  services.{json|xml}                  the active categories of the jurisdiction
    GET  services/{service_code}.{fmt}         service definition (no extra attributes)
    POST requests.{fmt}                        create a request (api_key required)
    GET  requests.{fmt}                        list (service_request_id, service_code, start_date, end_date, status)
    GET  requests/{service_request_id}.{fmt}   one request
    GET  tokens/{token}.{fmt}                  the request id for a token
    GET  discovery.{fmt}

jurisdiction_id is the alliance id; it may be left out when there is one alliance. Requests are
created at once, so the POST answers with the service_request_id (our tracking number) and the
same value as token. Reads are public and carry no personal data: the description is redacted,
contact name and phone are never returned. Errors are the standard list of {code, description},
also for another method (405), another format than json or xml (400) and an unknown address (404).
Without lat/long, the community is the key's own (a community key) or the one community below the
key's organisation that address_string names.
"""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree as ET

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from tongxin.accounts.services import user_for_key
from tongxin.core.errors import DomainError
from tongxin.orgs.models import Alliance, Organization, OrgKind

from . import services
from .models import Category, Channel, IntegrationClient, Kind, ServiceRequest, Status

OPEN = {Status.SUBMITTED, Status.INQUIRY, Status.OPEN, Status.DISPATCHED, Status.DECLINED, Status.ACCEPTED,
        Status.IN_PROGRESS, Status.REOPENED}


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


# --- rendering -------------------------------------------------------------------------------------

def _xml(root: str, item: str, rows: list[dict]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        el = ET.SubElement(top, item)
        for key, value in row.items():
            child = ET.SubElement(el, key)
            if isinstance(value, list):
                for v in value:
                    ET.SubElement(child, "value").text = str(v)
            elif value is not None:
                child.text = str(value).lower() if isinstance(value, bool) else str(value)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def render(fmt: str, rows, *, root: str, item: str, status: int = 200):
    if fmt == "xml":
        return HttpResponse(_xml(root, item, rows), content_type="text/xml; charset=utf-8", status=status)
    return JsonResponse(rows, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def error(fmt: str, status: int, description: str):
    return render(fmt, [{"code": status, "description": description}], root="errors", item="error", status=status)


def endpoint(*methods: str):
    """An Open311 view: the format is checked (json or xml), other methods than `methods` (GET by
    default; HEAD goes with GET) get 405, and refusals become the standard error list."""
    allowed = tuple(methods or ("GET",))
    if "GET" in allowed:
        allowed += ("HEAD",)

    def decorate(func):
        def wrapper(request, *args, fmt="json", **kwargs):
            if fmt not in ("json", "xml"):
                return error("json", 400, f"不支持的格式“{fmt[:20]}”：格式只能是 json 或 xml，例如 services.json")
            if request.method not in allowed:
                response = error(fmt, 405, f"不支持 {request.method[:20]} 方法，此地址只接受 {'、'.join(m for m in allowed if m != 'HEAD')}")
                response["Allow"] = ", ".join(allowed)
                return response
            try:
                return func(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return error(fmt, exc.status, exc.description)
            except DomainError as exc:
                return error(fmt, exc.status_code, exc.message)

        return csrf_exempt(wrapper)

    return decorate


@csrf_exempt
def not_found(request, rest=""):
    """Any other address under /open311/v2/: the standard error body instead of Django's 404 page."""
    fmt = "xml" if rest.endswith(".xml") else "json"
    return error(fmt, 404, "没有这个接口：可用的地址见 discovery.json（services、requests、tokens，以 .json 或 .xml 结尾）")


# --- helpers -----------------------------------------------------------------------------------------

def _jurisdiction(request, client: IntegrationClient | None = None) -> Alliance:
    jid = (request.POST.get("jurisdiction_id") if request.method == "POST" else None) or request.GET.get("jurisdiction_id", "")
    if client is not None and not jid:
        alliance = services.alliance_for(client.organization)
        if alliance is not None:
            return alliance
    if not jid:
        alliances = list(Alliance.objects.all()[:2])
        if len(alliances) == 1:
            return alliances[0]
        raise Open311Error(400, "请提供 jurisdiction_id（联盟编号）")
    alliance = Alliance.objects.filter(pk=int(jid)).first() if str(jid).isdigit() else None
    if alliance is None:
        raise Open311Error(404, f"jurisdiction_id “{jid}” 不存在")
    return alliance


def _service(cat: Category) -> dict:
    return {"service_code": cat.code, "service_name": cat.name, "description": cat.description or cat.name,
            "metadata": False, "type": "realtime", "keywords": ",".join(cat.keyword_list), "group": ""}


def contact_name(first: str, last: str) -> str:
    """Family and given name as people write them: 张三 for Chinese, "John Smith" otherwise."""
    first, last = (first or "").strip(), (last or "").strip()
    if services.is_chinese_name(first + last):
        return last + first
    return " ".join(x for x in (first, last) if x)


def _iso(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _public(req: ServiceRequest, request) -> dict:
    proof = next((p for p in req.photos.all() if p.stage == "proof"), None)
    names = [req.contact_name]
    notes = {Status.DECLINED: "已退回社区重新派单", Status.CANCELLED: f"已撤销：{services.redact(req.last_reason, names=names)}",
             Status.MERGED: "与其他工单重复，已合并"}.get(req.status, str(req.get_status_display()))
    return {
        "service_request_id": req.tracking_number,
        "status": "open" if req.status in OPEN else "closed",
        "status_notes": notes,
        "service_name": getattr(req.category or req.suggested_category, "name", ""),
        "service_code": getattr(req.category or req.suggested_category, "code", ""),
        "description": services.redact(req.text, names=names),
        "agency_responsible": getattr(req.assigned_unit, "name", "") or req.community.name,
        "service_notice": "",
        "requested_datetime": _iso(req.created_at),
        "updated_datetime": _iso(req.updated_at),
        "expected_datetime": _iso(req.finish_due_at),
        "address": services.redact(req.address, names=names) if req.address else "",
        "address_id": "",
        "zipcode": "",
        "lat": req.lat,
        "long": req.lng,
        "media_url": request.build_absolute_uri(proof.image.url) if proof else "",
    }


# A community's name without what names the committee: 宁化府社区党委 → 宁化府社区 → 宁化府.
_COMMITTEE_SUFFIXES = ("社区居民委员会", "社区居委会", "社区党总支", "社区党委", "居民委员会", "居委会", "党总支", "党委", "社区")
NO_COMMUNITY = "无法确定所在社区：请提供 lat 和 long 坐标，或在 address_string 中写明社区名称"


def _place_names(name: str) -> set[str]:
    names, stack = set(), [(name or "").strip()]
    while stack:
        current = stack.pop()
        if len(current) >= 2 and current not in names:  # one character would match nearly any address
            names.add(current)
            stack.extend(current[: -len(sfx)] for sfx in _COMMITTEE_SUFFIXES if current.endswith(sfx))
    return names


def _community_from_address(address: str, root: Organization) -> Organization | None:
    """The one community below `root` (the key's organisation) named in the address, by its name
    (also without 社区党委, 社区居委会, 社区 …) or by the name of one of its grids. Several
    communities named (a shorter name inside a longer matched one does not count) is an Open311Error."""
    from tongxin.grids.models import Grid

    address = (address or "").strip()
    if not address:
        return None
    communities = {c.pk: c for c in Organization.objects.filter(
        path__startswith=root.path, kind=OrgKind.COMMUNITY_COMMITTEE, archived_at__isnull=True)}
    if not communities:
        return None
    labels = [(n, pk) for pk, c in communities.items() for n in _place_names(c.name)]
    labels += [(n.strip(), pk) for n, pk in Grid.objects.filter(organization_id__in=list(communities))
               .values_list("name", "organization_id") if len(n.strip()) >= 2]
    hits = [(n, pk) for n, pk in labels if n in address]
    # 新宁化府 in the address also contains 宁化府: the shorter name of another community is not a hit.
    hits = [(n, pk) for n, pk in hits if not any(pk2 != pk and n != n2 and n in n2 for n2, pk2 in hits)]
    found = sorted({pk for _n, pk in hits})
    if len(found) > 1:
        named = "、".join(communities[pk].name for pk in found[:5])
        raise Open311Error(400, f"无法确定所在社区：address_string 中提到了多个社区（{named}），"
                                "请提供 lat 和 long 坐标，或在 address_string 中只写明一个社区名称")
    return communities[found[0]] if found else None


def _requests_qs(alliance: Alliance):
    return (ServiceRequest.objects.filter(alliance=alliance).exclude(kind=Kind.WISH)
            .select_related("category", "suggested_category", "assigned_unit", "community").prefetch_related("photos"))


# --- views ---------------------------------------------------------------------------------------------

@endpoint()
def discovery(request, fmt):
    base = request.build_absolute_uri("/open311/v2/")
    rows = [{"changeset": "2026-01-01T00:00:00+08:00", "contact": "", "key_service": "python manage.py create_api_key",
             "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base, "type": "production",
                            "formats": ["application/json", "text/xml"]}]}]
    if fmt == "xml":
        return render(fmt, [{"changeset": rows[0]["changeset"], "key_service": rows[0]["key_service"], "url": base}],
                      root="discovery", item="endpoint")
    return JsonResponse(rows[0], json_dumps_params={"ensure_ascii": False})


@endpoint()
def service_list(request, fmt):
    alliance = _jurisdiction(request)
    services.ensure_categories(alliance)
    cats = Category.objects.filter(alliance=alliance, active=True).order_by("sort", "id")
    return render(fmt, [_service(c) for c in cats], root="services", item="service")


@endpoint()
def service_definition(request, code, fmt):
    alliance = _jurisdiction(request)
    cat = Category.objects.filter(alliance=alliance, code=code, active=True).first()
    if cat is None:
        raise Open311Error(404, f"service_code “{code}” 不存在")
    if fmt == "xml":
        top = ET.Element("service_definition")
        ET.SubElement(top, "service_code").text = cat.code
        ET.SubElement(top, "attributes")
        return HttpResponse(b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8"),
                            content_type="text/xml; charset=utf-8")
    return JsonResponse({"service_code": cat.code, "attributes": []})


@endpoint("GET", "POST")
def requests_view(request, fmt):
    if request.method == "POST":
        return _create(request, fmt)
    alliance = _jurisdiction(request)
    qs = _requests_qs(alliance)
    ids = [s.strip().upper() for s in request.GET.get("service_request_id", "").split(",") if s.strip()]
    if ids:
        qs = qs.filter(tracking_number__in=ids[:100])
    else:
        if request.GET.get("service_code"):
            codes = request.GET["service_code"].split(",")
            qs = qs.filter(category__code__in=codes)
        status = request.GET.get("status", "")
        if status == "open":
            qs = qs.filter(status__in=list(OPEN))
        elif status == "closed":
            qs = qs.exclude(status__in=list(OPEN))
        elif status:
            raise Open311Error(400, "status 只能是 open 或 closed")
        start, end = _date(request, "start_date"), _date(request, "end_date")
        if start is None and end is None:
            start = timezone.now() - dt.timedelta(days=90)  # the spec's default window
        if start:
            qs = qs.filter(created_at__gte=start)
        if end:
            qs = qs.filter(created_at__lte=end)
    rows = [_public(r, request) for r in qs.order_by("-created_at")[:1000]]
    return render(fmt, rows, root="service_requests", item="request")


def _date(request, name):
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    value = parse_datetime(raw.replace(" ", "+"))
    if value is None:
        raise Open311Error(400, f"{name} 应为 W3C 格式的时间，例如 2026-01-01T00:00:00+08:00")
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _create(request, fmt):
    p = request.POST
    user = user_for_key(p.get("api_key", "") or request.GET.get("api_key", ""))
    if user is None:
        raise Open311Error(403, "api_key 无效或缺失")
    client = IntegrationClient.objects.filter(user=user).select_related("organization").first()
    alliance = _jurisdiction(request, client)
    if client is not None and services.alliance_for(client.organization) != alliance:
        raise Open311Error(403, "该 api_key 不能向此 jurisdiction_id 提交")
    code = p.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "请提供 service_code")
    cat = Category.objects.filter(alliance=alliance, code=code, active=True).first()
    if cat is None:
        raise Open311Error(404, f"service_code “{code}” 不存在")
    description = p.get("description", "").strip()
    lat, lng = p.get("lat", "").strip(), p.get("long", "").strip()
    address = p.get("address_string", "").strip()
    # The key's organisation scopes the communities an address may name (the alliance's core
    # organisation for a key without an integration client).
    root = client.organization if client is not None else alliance.core_organization
    community = None
    if not (lat and lng):
        if not (address or p.get("address_id")):
            raise Open311Error(400, "请提供位置：lat 和 long，或 address_string")
        if root.kind == OrgKind.COMMUNITY_COMMITTEE:
            community = root
        else:
            community = _community_from_address(address, root)
            if community is None:
                raise Open311Error(400, NO_COMMUNITY)

    def submit(community):
        return services.submit_request(
            by=user, text=description or cat.name, category=cat, lng=lng or None, lat=lat or None, community=community,
            address=address, contact_name=contact_name(p.get("first_name", ""), p.get("last_name", "")),
            contact_phone=p.get("phone", ""), channel=Channel.OPEN311,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )

    try:
        req = submit(community)
    except DomainError as exc:
        if exc.field != "community" or community is not None:
            raise
        # lat/long outside every grid: the community named in address_string, else say what to send.
        # The refusal came before anything was written, so the second call starts afresh.
        community = _community_from_address(address, root) if root.kind != OrgKind.COMMUNITY_COMMITTEE else root
        if community is None:
            raise Open311Error(400, "无法确定所在社区：lat 和 long 不在本辖区的网格内，"
                                    "请核对坐标，或在 address_string 中写明社区名称") from None
        req = submit(community)
    row = {"service_request_id": req.tracking_number, "token": req.tracking_number,
           "service_notice": f"请在 {cat.accept_hours} 个工作小时内等待接单", "account_id": ""}
    return render(fmt, [row], root="service_requests", item="request", status=201)


@endpoint()
def request_detail(request, request_id, fmt):
    alliance = _jurisdiction(request)
    req = _requests_qs(alliance).filter(tracking_number=request_id.upper()).first()
    if req is None:
        raise Open311Error(404, f"service_request_id “{request_id}” 不存在")
    return render(fmt, [_public(req, request)], root="service_requests", item="request")


@endpoint()
def token_detail(request, token, fmt):
    alliance = _jurisdiction(request)
    req = _requests_qs(alliance).filter(tracking_number=token.upper()).first()
    if req is None:
        raise Open311Error(404, f"token “{token}” 不存在")
    return render(fmt, [{"service_request_id": req.tracking_number, "token": token}], root="service_requests", item="request")
