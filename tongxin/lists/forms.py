"""Forms only parse and present; services validate and write (their DomainError shows on the field)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm
from tongxin.core.forms import BootstrapForm
from tongxin.orgs.models import Organization, OrgKind

from . import matching, services
from .models import ProjectSource, ResourceKind, Urgency

WINDOWS_HELP = _("One per line, e.g. “周六 09:00-12:00” or “3 14:00-17:00” (1 = Monday)")


def unit_choices(user, alliance):
    return [(o.pk, o.name) for o in services.alliance_orgs(alliance)[1:]
            if o.archived_at is None and has_perm(user, P.MANAGE_RESOURCES, o)]


def community_choices(user, alliance):
    qs = Organization.objects.filter(kind=OrgKind.COMMUNITY_COMMITTEE, archived_at__isnull=True,
                                     path__startswith=alliance.core_organization.path).order_by("path")
    return [(o.pk, o.name) for o in qs if has_perm(user, P.MANAGE_NEEDS, o)]


def lead_unit_choices(alliance):
    orgs = [o for o in services.alliance_orgs(alliance) if o.archived_at is None]
    return [(o.pk, o.name) for o in orgs]


def _areas(alliance):
    from tongxin.orgs.services import ensure_cobuilding_areas

    return [("", "—")] + [(a.pk, a.name) for a in ensure_cobuilding_areas(alliance)]


def _campaign_choices(alliance):
    return [(c.pk, c.name) for c in alliance.campaigns.filter(active=True).order_by("name")]


def windows_text(windows) -> str:
    return "\n".join(f"{matching.WEEKDAYS_ZH[w['weekday']]} {w['start']}-{w['end']}" for w in windows or [])


class ResourceForm(BootstrapForm):
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    kind = forms.ChoiceField(label=_("Kind"), choices=ResourceKind.choices)
    title = forms.CharField(label=_("Title"), max_length=80, required=False)
    description = forms.CharField(label=pgettext_lazy("lists", "Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    capacity = forms.CharField(label=_("Quantity or capacity"), required=False, initial=1)
    availability = forms.CharField(label=_("Available when"), widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text=WINDOWS_HELP)
    area = forms.ChoiceField(label=_("Co-building area"), required=False)
    address = forms.CharField(label=_("Where"), max_length=200, required=False)
    lng = forms.CharField(label=_("Longitude"), required=False)
    lat = forms.CharField(label=_("Latitude"), required=False)
    conditions = forms.CharField(label=_("Conditions"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    contact_name = forms.CharField(label=_("Contact"), max_length=40, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    campaigns = forms.TypedMultipleChoiceField(label=_("Campaigns"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, alliance, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices(user, alliance)
        self.fields["area"].choices = _areas(alliance)
        self.fields["campaigns"].choices = _campaign_choices(alliance)


class NeedForm(BootstrapForm):
    community = forms.TypedChoiceField(label=_("Community"), coerce=int)
    title = forms.CharField(label=_("Title"), max_length=80, required=False)
    description = forms.CharField(label=pgettext_lazy("lists", "Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    beneficiaries = forms.CharField(label=_("Beneficiaries"), max_length=120, required=False)
    quantity = forms.CharField(label=_("Quantity"), required=False, initial=1)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    area = forms.ChoiceField(label=_("Co-building area"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    address = forms.CharField(label=_("Place"), max_length=200, required=False)
    lng = forms.CharField(label=_("Longitude"), required=False)
    lat = forms.CharField(label=_("Latitude"), required=False)
    wanted_windows = forms.CharField(label=_("Wanted time (optional)"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                     help_text=WINDOWS_HELP)
    campaigns = forms.TypedMultipleChoiceField(label=_("Campaigns"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, alliance, **kwargs):
        from tongxin.orders.models import Category

        super().__init__(*args, **kwargs)
        self.fields["community"].choices = community_choices(user, alliance)
        self.fields["area"].choices = _areas(alliance)
        self.fields["category"].choices = [("", "—")] + [(c.pk, c.name) for c in Category.objects.filter(alliance=alliance, active=True)]
        self.fields["campaigns"].choices = _campaign_choices(alliance)


class ProjectForm(BootstrapForm):
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    description = forms.CharField(label=pgettext_lazy("lists", "Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    lead_unit = forms.TypedChoiceField(label=_("Lead unit"), coerce=int)
    source = forms.ChoiceField(label=_("Source"), choices=ProjectSource.choices, initial=ProjectSource.COMMUNITY)
    area = forms.ChoiceField(label=_("Co-building area"), required=False)
    budget = forms.CharField(label=_("Budget (yuan)"), required=False)
    participants = forms.TypedMultipleChoiceField(label=_("Participating units"), coerce=int, required=False,
                                                  widget=forms.SelectMultiple(attrs={"size": 5}))
    campaigns = forms.TypedMultipleChoiceField(label=_("Campaigns"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    brand = forms.BooleanField(label=_("Brand project"), required=False)

    def __init__(self, *args, user, alliance, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].choices = lead_unit_choices(alliance)
        self.fields["participants"].choices = lead_unit_choices(alliance)
        self.fields["area"].choices = _areas(alliance)
        self.fields["campaigns"].choices = _campaign_choices(alliance)
        if not has_perm(user, P.APPROVE_PROJECTS, alliance.core_organization):
            del self.fields["brand"]


class CampaignForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=60, required=False, help_text=_("e.g. 区域化党建+红色物业"))
    description = forms.CharField(label=pgettext_lazy("lists", "Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    starts_on = forms.DateField(label=_("Starts on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
