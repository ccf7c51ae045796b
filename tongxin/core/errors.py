"""Domain errors carry a message in Chinese that can be shown to the user as is."""


class DomainError(Exception):
    """A refused operation. `field` names the input at fault, when there is one."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class PermissionDenied(DomainError):
    status_code = 403

    def __init__(self, message: str = "您没有权限执行此操作", **kwargs):
        super().__init__(message, code="forbidden", **kwargs)


class NotFound(DomainError):
    status_code = 404

    def __init__(self, message: str = "对象不存在或不在您的权限范围内", **kwargs):
        super().__init__(message, code="not_found", **kwargs)
