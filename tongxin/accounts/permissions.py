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
# Three lists and matching (lists app); the routing model (routing app).
VIEW_LISTS = "lists.view"
MANAGE_RESOURCES = "lists.resources"      # a unit's own resource list (liaison), or any in scope
MANAGE_NEEDS = "lists.needs"
MANAGE_PROJECTS = "lists.projects"        # edit projects led by an organisation in scope
APPROVE_PROJECTS = "lists.approve"
RUN_MATCHING = "lists.match"
MANAGE_ROUTING = "routing.manage"
# Agreements, meetings, deliberation, the monthly prompt and quarterly review.
VIEW_AGREEMENTS = "governance.view"
MANAGE_AGREEMENTS = "governance.manage"
RECORD_FULFILMENT = "governance.fulfil"   # record that an obligation owed by an organisation in scope was met
VIEW_MEETINGS = "meetings.view"
MANAGE_MEETINGS = "meetings.manage"
PROPOSE_AGENDA = "meetings.propose"       # propose agenda items, RSVP, report on own action items
RAISE_TOPICS = "deliberation.raise"       # raise a topic, give an opinion, vote where eligible
MODERATE_TOPICS = "deliberation.moderate"
VIEW_REVIEW = "rhythm.review"
MANAGE_RHYTHM = "rhythm.manage"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ALLIANCE_ADMIN: frozenset({
        VIEW_ORGS, MANAGE_ORGS, MANAGE_ALLIANCE, VIEW_PEOPLE, MANAGE_PEOPLE, REVEAL_PEOPLE,
        VIEW_GRIDS, MANAGE_GRIDS, IMPORT_DATA, EXPORT_DATA, VIEW_AUDIT, MANAGE_TOKENS,
        VIEW_ORDERS, DISPATCH_ORDERS, ENTER_ORDERS, CLAIM_WISHES, MANAGE_CATEGORIES, VIEW_ORDER_FIGURES,
        VIEW_LISTS, MANAGE_RESOURCES, MANAGE_NEEDS, MANAGE_PROJECTS, APPROVE_PROJECTS, RUN_MATCHING, MANAGE_ROUTING,
        VIEW_AGREEMENTS, MANAGE_AGREEMENTS, RECORD_FULFILMENT, VIEW_MEETINGS, MANAGE_MEETINGS, PROPOSE_AGENDA,
        RAISE_TOPICS, MODERATE_TOPICS, VIEW_REVIEW, MANAGE_RHYTHM,
    }),
    Role.DISPATCHER: frozenset({
        VIEW_ORGS, MANAGE_ORGS, VIEW_PEOPLE, MANAGE_PEOPLE, REVEAL_PEOPLE, VIEW_GRIDS, MANAGE_GRIDS,
        IMPORT_DATA, EXPORT_DATA, VIEW_AUDIT, MANAGE_TOKENS,
        VIEW_ORDERS, DISPATCH_ORDERS, ENTER_ORDERS, CLAIM_WISHES, VIEW_ORDER_FIGURES,
        VIEW_LISTS, MANAGE_RESOURCES, MANAGE_NEEDS, MANAGE_PROJECTS, RUN_MATCHING,
        VIEW_AGREEMENTS, MANAGE_AGREEMENTS, RECORD_FULFILMENT, VIEW_MEETINGS, MANAGE_MEETINGS, PROPOSE_AGENDA,
        RAISE_TOPICS, MODERATE_TOPICS, VIEW_REVIEW,
    }),
    Role.LIAISON: frozenset({
        VIEW_ORGS, VIEW_PEOPLE, MANAGE_PEOPLE, VIEW_GRIDS, EXPORT_DATA, MANAGE_TOKENS,
        HANDLE_ORDERS, CLAIM_WISHES, VIEW_ORDER_FIGURES,
        VIEW_LISTS, MANAGE_RESOURCES, MANAGE_PROJECTS, VIEW_AGREEMENTS, RECORD_FULFILMENT, VIEW_MEETINGS, PROPOSE_AGENDA,
        RAISE_TOPICS,
    }),
    Role.GRID_WORKER: frozenset({VIEW_ORGS, VIEW_PEOPLE, VIEW_GRIDS, VIEW_ORDERS, ENTER_ORDERS, VIEW_LISTS, RAISE_TOPICS}),
    Role.PARTY_MEMBER: frozenset({VIEW_ORGS, VIEW_GRIDS, CLAIM_WISHES, RAISE_TOPICS}),
    Role.RESIDENT: frozenset({VIEW_GRIDS, RAISE_TOPICS}),
}
