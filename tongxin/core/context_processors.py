from django.urls import reverse
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
    if has_perm(user, P.IMPORT_DATA) or has_perm(user, P.EXPORT_DATA):
        items.append((_("Import / export"), reverse("dataio:index"), "data"))
    if has_perm(user, P.MANAGE_ORGS):
        items.append((_("Accounts"), reverse("accounts:users"), "accounts"))
    items.append((_("Results wall"), reverse("orders:wall"), "wall"))
    return {"nav_items": items, "my_roles": roles_of(user)}
