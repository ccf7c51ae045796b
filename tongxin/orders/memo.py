"""A short-lived, per-process memo of the few rarely changing rows every submission reads: the
alliance of a community, the alliance's active categories (for the suggestion) and the
dispatchers of a community (to notify). It saves four queries per submission.

Any save or delete of the rows behind them (categories, alliances and memberships,
organisations, role assignments, users) clears the memo of the process that made it; other
processes see the change within TTL seconds. Nothing that decides a permission is memoised:
scope checks always read the database.
"""

import threading
import time

from django.db.models.signals import post_delete, post_save

TTL = 30.0
_store: dict = {}
_lock = threading.Lock()


def get(key, loader, ttl: float = TTL):
    now = time.monotonic()
    hit = _store.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = loader()
    with _lock:
        _store[key] = (now + ttl, value)
    return value


def clear(*_args, **_kwargs) -> None:
    with _lock:
        _store.clear()


def connect() -> None:
    from tongxin.accounts.models import RoleAssignment, User
    from tongxin.orgs.models import Alliance, AllianceMembership, Organization

    from .models import Category

    for model in (Category, Alliance, AllianceMembership, Organization, RoleAssignment, User):
        post_save.connect(clear, sender=model, dispatch_uid=f"orders-memo-save-{model.__name__}")
        post_delete.connect(clear, sender=model, dispatch_uid=f"orders-memo-delete-{model.__name__}")
