"""Which role may do what, in one table. Scope comes from where the role is held."""

from .models import Role

VIEW_ORGS = "orgs.view"
MANAGE_ORGS = "orgs.manage"
MANAGE_ALLIANCE = "orgs.manage_alliance"
VIEW_PEOPLE = "people.view"
MANAGE_PEOPLE = "people.manage"
REVEAL_PEOPLE = "people.reveal"
VIEW_GRIDS = "grids.view"
MANAGE_GRIDS = "grids.manage"
IMPORT_DATA = "dataio.import"
EXPORT_DATA = "dataio.export"
VIEW_AUDIT = "audit.view"
MANAGE_TOKENS = "accounts.tokens"
# Service loop (orders app): see tongxin/orders/permissions.py for what each one allows.
VIEW_ORDERS = "orders.view"
DISPATCH_ORDERS = "orders.dispatch"
HANDLE_ORDERS = "orders.handle"
ENTER_ORDERS = "orders.enter"
CLAIM_WISHES = "orders.claim"
MANAGE_CATEGORIES = "orders.categories"
VIEW_ORDER_FIGURES = "orders.figures"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ALLIANCE_ADMIN: frozenset({
        VIEW_ORGS, MANAGE_ORGS, MANAGE_ALLIANCE, VIEW_PEOPLE, MANAGE_PEOPLE, REVEAL_PEOPLE,
        VIEW_GRIDS, MANAGE_GRIDS, IMPORT_DATA, EXPORT_DATA, VIEW_AUDIT, MANAGE_TOKENS,
        VIEW_ORDERS, DISPATCH_ORDERS, ENTER_ORDERS, CLAIM_WISHES, MANAGE_CATEGORIES, VIEW_ORDER_FIGURES,
    }),
    Role.DISPATCHER: frozenset({
        VIEW_ORGS, MANAGE_ORGS, VIEW_PEOPLE, MANAGE_PEOPLE, REVEAL_PEOPLE, VIEW_GRIDS, MANAGE_GRIDS,
        IMPORT_DATA, EXPORT_DATA, VIEW_AUDIT, MANAGE_TOKENS,
        VIEW_ORDERS, DISPATCH_ORDERS, ENTER_ORDERS, CLAIM_WISHES, VIEW_ORDER_FIGURES,
    }),
    Role.LIAISON: frozenset({
        VIEW_ORGS, VIEW_PEOPLE, MANAGE_PEOPLE, VIEW_GRIDS, EXPORT_DATA, MANAGE_TOKENS,
        HANDLE_ORDERS, CLAIM_WISHES, VIEW_ORDER_FIGURES,
    }),
    Role.GRID_WORKER: frozenset({VIEW_ORGS, VIEW_PEOPLE, VIEW_GRIDS, VIEW_ORDERS, ENTER_ORDERS}),
    Role.PARTY_MEMBER: frozenset({VIEW_ORGS, VIEW_GRIDS, CLAIM_WISHES}),
    Role.RESIDENT: frozenset({VIEW_GRIDS}),
}
