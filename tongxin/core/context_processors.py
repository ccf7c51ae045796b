from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm, roles_of


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    items = [(_("Home"), reverse("home"), "home")]
    # The service loop first: it is the daily work of every role.
    if has_perm(user, P.DISPATCH_ORDERS):
        items.append((_("Dispatch"), reverse("orders:inbox"), "orders"))
    elif has_perm(user, P.HANDLE_ORDERS):
        items.append((_("Our orders"), reverse("orders:unit_inbox"), "orders"))
    elif has_perm(user, P.ENTER_ORDERS):
        items.append((_("Report a problem"), reverse("orders:new"), "orders"))
    else:
        items += [(_("Place a request"), reverse("orders:new"), "orders"), (_("My requests"), reverse("orders:mine"), "mine")]
    items.append((_("Wish wall"), reverse("orders:wishes"), "wishes"))
    if has_perm(user, P.VIEW_ORGS):
        items += [(_("Alliances"), reverse("orgs:alliances"), "alliances"), (_("Organisations"), reverse("orgs:list"), "orgs")]
    if has_perm(user, P.VIEW_PEOPLE):
        items.append((_("People"), reverse("people:list"), "people"))
    if has_perm(user, P.VIEW_GRIDS):
        items.append((_("Grids"), reverse("grids:map"), "grids"))
    # Alliance work beyond the service loop: the three lists, agreements, meetings, deliberation, review.
    for perm, label, name, key in (
        (P.VIEW_LISTS, _("Lists & projects"), "lists:index", "lists"),
        (P.VIEW_AGREEMENTS, _("Agreements"), "governance:index", "agreements"),
        (P.VIEW_MEETINGS, _("Meetings"), "meetings:index", "meetings"),
        (P.RAISE_TOPICS, _("Deliberation"), "deliberation:index", "topics"),
        (P.VIEW_REVIEW, _("Quarterly review"), "rhythm:index", "rhythm"),
    ):
        if has_perm(user, perm):
            url = _reverse_or_none(name)
            if url:
                items.append((label, url, key))
    if has_perm(user, P.IMPORT_DATA) or has_perm(user, P.EXPORT_DATA):
        items.append((_("Import / export"), reverse("dataio:index"), "data"))
    if has_perm(user, P.MANAGE_ORGS):
        items.append((_("Accounts"), reverse("accounts:users"), "accounts"))
    items.append((_("Results wall"), reverse("orders:wall"), "wall"))
    return {"nav_items": items, "my_roles": roles_of(user)}


def _reverse_or_none(name: str) -> str | None:
    # Apps add their index page as they grow; a missing one leaves the menu without it.
    try:
        return reverse(name)
    except NoReverseMatch:
        return None
