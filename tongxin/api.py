"""The REST API at /api/v1/: token auth for integrations, session auth for the browser.

Every handler reads through the same selectors as the pages, so scoping is identical.
"""

from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import APIKeyHeader, HttpBearer, django_auth

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
    auth=[TokenAuth(), TokenHeaderAuth(), django_auth],
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


@api.exception_handler(ValidationError)
def invalid_request(request, exc: ValidationError):
    fields = [".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "form", "data")) for e in exc.errors]
    fields = [f for f in fields if f]
    detail = "请求数据格式有误" + (f"：请检查 {'、'.join(dict.fromkeys(fields))}" if fields else "")
    return api.create_response(request, {"detail": detail, "code": "invalid", "errors": exc.errors}, status=422)


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
