"""Admin views of people for superusers: masked values only, never the encrypted columns.

Writes belong to the services (validation, encryption, events), so these pages are read-only;
the history view (django-simple-history) shows each change with its reason.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import PartyMemberProfile, Person, PersonRole

HIDDEN = {"phone_enc", "phone_hash", "id_number_enc", "id_number_hash", "address_enc", "search_text"}


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PersonRoleInline(admin.TabularInline):
    model = PersonRole
    extra = 0
    fields = ["tag", "organization", "grid", "since", "until"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ["name", "organization", "community", "phone_masked", "id_number_masked", "archived_at"]
    list_filter = ["archived_at", "sex"]
    search_fields = ["name"]
    list_select_related = ["organization", "community"]
    fields = [
        "name", "sex", "ethnicity", "birth_date", "education", "phone_masked", "id_number_masked", "address_masked",
        "organization", "community", "grid", "note", "archived_at", "created_at", "updated_at",
    ]
    readonly_fields = fields
    inlines = [PersonRoleInline]
    # The history pages must not show the encrypted columns either.
    history_list_display = ["phone_masked", "id_number_masked"]

    def get_exclude(self, request, obj=None):
        return sorted(HIDDEN)


@admin.register(PersonRole)
class PersonRoleAdmin(ReadOnlyAdmin):
    list_display = ["person", "tag", "organization", "grid", "since", "until"]
    list_filter = ["tag"]
    search_fields = ["person__name"]
    list_select_related = ["person", "organization", "grid"]
    raw_id_fields = ["person", "organization", "grid"]


@admin.register(PartyMemberProfile)
class PartyMemberProfileAdmin(ReadOnlyAdmin):
    list_display = ["person", "branch", "status", "joined_on", "full_member_on", "in_service", "is_central_household"]
    list_filter = ["status", "in_service", "is_central_household"]
    search_fields = ["person__name"]
    list_select_related = ["person", "branch"]
    raw_id_fields = ["person", "branch", "work_unit", "home_community"]
