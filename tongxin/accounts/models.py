from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A login. The human behind it is a Person (one record per human)."""

    person = models.OneToOneField("people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="user")

    def __str__(self):
        return self.person.name if self.person_id else self.username


class Role(models.TextChoices):
    ALLIANCE_ADMIN = "alliance_admin", _("Alliance admin")
    DISPATCHER = "dispatcher", _("Community dispatcher")
    LIAISON = "liaison", _("Unit liaison")
    GRID_WORKER = "grid_worker", _("Grid worker")
    PARTY_MEMBER = "party_member", _("Party member")
    RESIDENT = "resident", _("Resident")


class RoleAssignment(models.Model):
    """A role held at an organisation; it reaches that organisation and everything below."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("organisation"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role", "organization"], name="unique_role_assignment")]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} @ {self.organization}"


class ApiToken(models.Model):
    """Token for integrations. Only a hash is stored; the key is shown once on creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
