"""Resolving an id sent by a client through a scoped queryset: out of scope reads as "not found"."""

from tongxin.core.errors import DomainError


def scoped_ref(qs, pk, field: str, label: str):
    """The object `pk` from `qs` (already scoped to the user), None for no id, or a Chinese refusal."""
    if pk is None:
        return None
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise DomainError(f"所选{label}不存在或不在您的权限范围内", field=field)
    return obj
