from django.contrib import admin, messages

from . import services
from .models import Category, IntegrationClient, ServiceRequest


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "alliance", "accept_hours", "finish_days", "default_unit", "active")
    list_filter = ("alliance", "active")
    search_fields = ("name", "code", "keywords")


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ("tracking_number", "kind", "status", "community", "assigned_unit", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("tracking_number",)
    exclude = ("contact_phone_enc",)
    readonly_fields = [f.name for f in ServiceRequest._meta.fields if f.name not in ("contact_phone_enc",)]

    def has_add_permission(self, request):
        return False  # requests come in through the forms, the API and Open311


@admin.register(IntegrationClient)
class IntegrationClientAdmin(admin.ModelAdmin):
    """Creating a client here creates its API key and shows it once."""

    list_display = ("name", "organization", "created_at")
    fields = ("name", "organization")

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        client, key = services.create_integration(name=obj.name, organization=obj.organization, by=request.user)
        obj.pk = client.pk
        obj.user = client.user
        messages.warning(request, f"接口密钥（只显示这一次）：{key}")
