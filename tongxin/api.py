"""The REST API at /api/v1/: token auth for integrations, session auth for the browser.

Every handler reads through the same selectors as the pages, so scoping is identical.
"""

from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth
from ninja.utils import check_csrf

from tongxin.accounts.services import user_for_key
from tongxin.core.errors import DomainError


class TokenAuth(HttpBearer):
    """`Authorization: Bearer tx_...`"""

    def authenticate(self, request, token):
        user = user_for_key(token)
        if user is not None:
            request.user = user
        return user


class TokenHeaderAuth(APIKeyHeader):
    """`X-Api-Key: tx_...` for clients that cannot set a bearer header."""

    param_name = "X-Api-Key"

    def authenticate(self, request, key):
        user = user_for_key(key)
        if user is not None:
            request.user = user
        return user


class BrowserSessionAuth(SessionAuth):
    """The browser's login session. The CSRF check matters only when there is a session to
    forge: a call with no session cookie (and no token) falls through to the Chinese 401 instead
    of Ninja's English "CSRF check Failed"."""

    def _get_key(self, request):
        key = request.COOKIES.get(self.param_name)
        if key and self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, "CSRF 校验失败：请刷新页面后重试（用浏览器会话调用接口时需带 X-CSRFToken 请求头）")
        return key


class TongxinAPI(NinjaAPI):
    """The schema is built once per process and language: routes do not change while it runs, and building it
    for every visit of the docs page took over half a second."""

    _schemas: dict = {}

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        from django.utils.translation import get_language

        key = (path_prefix, get_language())  # field titles may be translated
        if key not in self._schemas:
            self._schemas[key] = super().get_openapi_schema(path_prefix=path_prefix)
        return self._schemas[key]


api = TongxinAPI(
    title="Tongxin 同心 API",
    version="1.0.0",
    description="区域化党建联盟平台接口。认证：`Authorization: Bearer <令牌>`（在“接口令牌”页面创建），或浏览器登录会话。",
    auth=[TokenAuth(), TokenHeaderAuth(), BrowserSessionAuth()],
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, {"detail": exc.message, "field": exc.field, "code": exc.code}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(
        request, {"detail": "未登录或令牌无效：请登录，或在请求头中提供 Authorization: Bearer <令牌>", "code": "unauthenticated"}, status=401
    )


# Pydantic's error types in Chinese; its own messages are English.
_PROBLEMS = {
    "missing": "必填", "int_parsing": "应为整数", "int_type": "应为整数", "float_parsing": "应为数字", "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false", "bool_type": "应为 true 或 false", "string_type": "应为文字",
    "string_too_long": "太长", "string_too_short": "太短", "too_long": "项数太多", "too_short": "项数太少",
    "date_parsing": "日期格式有误（应为 YYYY-MM-DD）", "date_from_datetime_parsing": "日期格式有误（应为 YYYY-MM-DD）",
    "datetime_parsing": "时间格式有误（应为 ISO 8601，如 2026-01-31T09:00:00+08:00）",
    "datetime_from_date_parsing": "时间格式有误（应为 ISO 8601，如 2026-01-31T09:00:00+08:00）",
    "json_invalid": "JSON 格式有误", "list_type": "应为列表", "dict_type": "应为对象", "model_type": "应为对象",
    "enum": "不是可选的值", "literal_error": "不是可选的值", "greater_than_equal": "太小", "less_than_equal": "太大",
    "greater_than": "太小", "less_than": "太大", "uuid_parsing": "应为 UUID",
}
_WHERE = ("body", "query", "path", "form", "data", "file", "header", "cookie", "payload")


@api.exception_handler(ValidationError)
def invalid_request(request, exc: ValidationError):
    # Only plain values go back: a Pydantic error's "input" and "ctx" may hold objects JSON cannot carry.
    errors = []
    for e in exc.errors:
        field = ".".join(str(p) for p in e.get("loc", ()) if p not in _WHERE)
        kind = str(e.get("type", ""))
        errors.append({"field": field, "type": kind, "msg": _PROBLEMS.get(kind, "格式有误")})
    described = list(dict.fromkeys(f"{e['field']}（{e['msg']}）" if e["field"] else e["msg"] for e in errors))
    detail = "请求数据格式有误" + (f"：{'；'.join(described)}" if described else "")
    return api.create_response(request, {"detail": detail, "code": "invalid", "errors": errors}, status=422)


def _register():
    from tongxin.accounts.api import router as accounts_router
    from tongxin.audit.api import router as audit_router
    from tongxin.dataio.api import router as dataio_router
    from tongxin.deliberation.api import router as deliberation_router
    from tongxin.governance.api import router as governance_router
    from tongxin.grids.api import router as grids_router
    from tongxin.lists.api import router as lists_router
    from tongxin.meetings.api import router as meetings_router
    from tongxin.notify.api import router as notify_router
    from tongxin.orders.api import router as orders_router
    from tongxin.orgs.api import router as orgs_router
    from tongxin.people.api import router as people_router
    from tongxin.rhythm.api import router as rhythm_router
    from tongxin.routing.api import router as routing_router

    api.add_router("/", orgs_router)
    api.add_router("/accounts", accounts_router)
    api.add_router("/people", people_router)
    api.add_router("/grids", grids_router)
    api.add_router("/data", dataio_router)
    api.add_router("/history", audit_router)
    api.add_router("/orders", orders_router)
    api.add_router("/notifications", notify_router)
    api.add_router("/lists", lists_router)
    api.add_router("/routing", routing_router)
    api.add_router("/agreements", governance_router)
    api.add_router("/meetings", meetings_router)
    api.add_router("/topics", deliberation_router)
    api.add_router("/rhythm", rhythm_router)


_register()
