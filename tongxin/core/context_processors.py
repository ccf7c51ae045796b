from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm, roles_of


def _link(label, url, key):
    return {"label": label, "url": url, "key": key}


def _group(label, key, links):
    """A menu of links; a menu with one link is shown as that link."""
    if len(links) == 1:
        return links[0]
    return {"label": label, "key": key, "children": links, "keys": {link["key"] for link in links}}


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    items = [_link(_("Home"), reverse("home"), "home")]
    # The service loop first: it is the daily work of every role.
    if has_perm(user, P.DISPATCH_ORDERS):
        items.append(_link(_("Dispatch"), reverse("orders:inbox"), "orders"))
    elif has_perm(user, P.HANDLE_ORDERS):
        items.append(_link(_("Our orders"), reverse("orders:unit_inbox"), "orders"))
    elif has_perm(user, P.ENTER_ORDERS):
        items.append(_link(_("Report a problem"), reverse("orders:new"), "orders"))
    else:
        items += [_link(_("Place a request"), reverse("orders:new"), "orders"), _link(_("My requests"), reverse("orders:mine"), "mine")]

    # Alliance work beyond the service loop: the three lists, agreements, meetings, deliberation, review.
    cobuilding = []
    for perm, label, name, key in (
        (P.VIEW_LISTS, _("Lists & projects"), "lists:index", "lists"),
        (P.VIEW_AGREEMENTS, _("Agreements"), "governance:index", "agreements"),
        (P.VIEW_MEETINGS, _("Meetings"), "meetings:index", "meetings"),
        (P.RAISE_TOPICS, _("Deliberation"), "deliberation:index", "topics"),
        (P.VIEW_REVIEW, _("Quarterly review"), "rhythm:index", "rhythm"),
        (P.MANAGE_ROUTING, pgettext("menu", "Routing model"), "routing:index", "routing"),
    ):
        if has_perm(user, perm):
            url = _reverse_or_none(name)
            if url:
                cobuilding.append(_link(label, url, key))
    if cobuilding:
        items.append(_group(pgettext("menu", "Co-building"), "cobuilding", cobuilding))

    alliance = []
    if has_perm(user, P.VIEW_ORGS):
        alliance += [_link(_("Alliances"), reverse("orgs:alliances"), "alliances"), _link(_("Organisations"), reverse("orgs:list"), "orgs")]
    if has_perm(user, P.VIEW_PEOPLE):
        alliance.append(_link(_("People"), reverse("people:list"), "people"))
    if has_perm(user, P.VIEW_GRIDS):
        alliance.append(_link(_("Grids"), reverse("grids:map"), "grids"))
    if has_perm(user, P.IMPORT_DATA) or has_perm(user, P.EXPORT_DATA):
        alliance.append(_link(_("Import / export"), reverse("dataio:index"), "data"))
    if has_perm(user, P.MANAGE_ORGS):
        alliance.append(_link(_("Accounts"), reverse("accounts:users"), "accounts"))
    if alliance:
        items.append(_group(pgettext("menu", "Alliance"), "alliance", alliance))

    items.append(_group(pgettext("menu", "Walls"), "walls", [_link(_("Wish wall"), reverse("orders:wishes"), "wishes"),
                                              _link(_("Results wall"), reverse("orders:wall"), "wall"),
                                              _link(_("Practical tasks for the masses"), reverse("orders:practical"), "practical")]))
    return {"nav_items": items, "my_roles": roles_of(user)}


def _reverse_or_none(name: str) -> str | None:
    # Apps add their index page as they grow; a missing one leaves the menu without it.
    try:
        return reverse(name)
    except NoReverseMatch:
        return None
