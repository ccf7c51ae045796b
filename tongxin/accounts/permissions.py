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

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ALLIANCE_ADMIN: frozenset({
        VIEW_ORGS, MANAGE_ORGS, MANAGE_ALLIANCE, VIEW_PEOPLE, MANAGE_PEOPLE, REVEAL_PEOPLE,
        VIEW_GRIDS, MANAGE_GRIDS, IMPORT_DATA, EXPORT_DATA, VIEW_AUDIT, MANAGE_TOKENS,
    }),
    Role.DISPATCHER: frozenset({
        VIEW_ORGS, MANAGE_ORGS, VIEW_PEOPLE, MANAGE_PEOPLE, REVEAL_PEOPLE, VIEW_GRIDS, MANAGE_GRIDS,
        IMPORT_DATA, EXPORT_DATA, VIEW_AUDIT, MANAGE_TOKENS,
    }),
    Role.LIAISON: frozenset({VIEW_ORGS, VIEW_PEOPLE, MANAGE_PEOPLE, VIEW_GRIDS, EXPORT_DATA, MANAGE_TOKENS}),
    Role.GRID_WORKER: frozenset({VIEW_ORGS, VIEW_PEOPLE, VIEW_GRIDS}),
    Role.PARTY_MEMBER: frozenset({VIEW_ORGS, VIEW_GRIDS}),
    Role.RESIDENT: frozenset({VIEW_GRIDS}),
}
