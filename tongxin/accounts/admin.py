from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import ApiToken, RoleAssignment, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    raw_id_fields = ["organization"]


@admin.register(User)
class TongxinUserAdmin(UserAdmin):
    inlines = [RoleInline]
    fieldsets = UserAdmin.fieldsets + (("Tongxin", {"fields": ("person",)}),)
    raw_id_fields = ["person"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
