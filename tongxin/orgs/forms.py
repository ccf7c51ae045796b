"""Forms only parse and present input; services validate and write (their refusals land on the fields)."""

from urllib.parse import urlencode

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tongxin.core.forms import BootstrapForm as CoreBootstrapForm
from tongxin.people.models import Person

from . import selectors
from .models import MembershipRole, Organization, OrgKind

PICKER_LIMIT = 50


class OrgChoiceField(forms.ModelChoiceField):
    """Organisations indented by their depth in the tree."""

    def label_from_instance(self, obj):
        return "\u3000" * obj.depth + obj.name


class PersonChoiceField(forms.ModelChoiceField):
    """A person picker: validates against every person the user may see, but offers only a few
    (the people of one organisation, or the first matches of a name search), so it stays usable
    with hundreds of people. `picker_url` feeds the search box next to the select."""

    picker_url = ""

    def label_from_instance(self, obj):
        org = getattr(obj, "organization", None)
        return f"{obj.name}（{org.name}）" if org else obj.name


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _reason(required=False, label=None):
    return forms.CharField(
        label=label or (_("Reason") if required else _("Reason for the change")), max_length=200, required=required,
        help_text=_("Kept in the history."),
    )


class BootstrapForm(CoreBootstrapForm):
    """The shared form behaviour plus a person picker limited to the people the user may see."""

    def setup_person(self, name: str, user, *, organization: Organization | None = None, current: Person | None = None):
        """Validate against the user's visible people; offer the people of `organization` (and the current one)."""
        from tongxin.people.selectors import visible_people

        field = self.fields[name]
        qs = visible_people(user)
        if current is not None:
            qs = Person.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk=current.pk))
        field.queryset = qs.select_related("organization")
        offered = list(selectors.person_choices(user, organization=organization, limit=PICKER_LIMIT))
        if current is not None and current.pk not in {p.pk for p in offered}:
            offered.insert(0, current)
        field.widget.choices = [("", "—")] + [(p.pk, field.label_from_instance(p)) for p in offered]
        params = {"organization": organization.pk} if organization is not None else {}
        field.picker_url = reverse("orgs:person_options") + ("?" + urlencode(params) if params else "")


class OrganizationForm(BootstrapForm):
    parent = OrgChoiceField(label=_("Parent organisation"), queryset=Organization.objects.none())
    name = forms.CharField(label=_("Name"), max_length=120)
    short_name = forms.CharField(label=_("Short name"), max_length=40, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *OrgKind.choices])
    code = forms.CharField(label=_("Code"), max_length=40, required=False,
                           help_text=_("Unified social credit code or party organisation code"))
    original_affiliation = forms.CharField(
        label=_("Original party affiliation"), max_length=200, required=False,
        help_text=_("Where the unit's own party organisation reports. Joining an alliance or a joint committee never changes it."),
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("Contact"), max_length=40, required=False)
    party_instructor = PersonChoiceField(label=_("Party instructor"), queryset=Person.objects.none(), required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = _reason()

    DATA_FIELDS = ("name", "short_name", "kind", "code", "original_affiliation", "address", "contact_name", "description",
                   "party_instructor")

    def __init__(self, *args, user, org: Organization | None = None, parent: Organization | None = None, **kwargs):
        self.user, self.org = user, org
        if org is not None:
            kwargs.setdefault("initial", {f: getattr(org, f) for f in self.DATA_FIELDS})
        elif parent is not None:
            kwargs.setdefault("initial", {"parent": parent.pk})
        super().__init__(*args, **kwargs)
        if org is not None:
            del self.fields["parent"]
            self.setup_person("party_instructor", user, organization=org, current=org.party_instructor)
        else:
            del self.fields["party_instructor"]
            self.fields["parent"].queryset = selectors.parent_choices(user)
            self.fields["parent"].required = not user.is_superuser

    def service_data(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.DATA_FIELDS if f in self.cleaned_data}


class MoveForm(BootstrapForm):
    parent = OrgChoiceField(label=_("New parent organisation"), queryset=Organization.objects.none())
    reason = _reason()

    def __init__(self, *args, user, org: Organization, **kwargs):
        kwargs.setdefault("initial", {"parent": org.parent_id})
        super().__init__(*args, **kwargs)
        # Every organisation the user manages is offered; the service refuses a move into the own subtree.
        self.fields["parent"].queryset = selectors.parent_choices(user)


class ReasonForm(BootstrapForm):
    reason = _reason()

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if reason_required:
            self.fields["reason"] = _reason(required=True)
            self.fields["reason"].widget.attrs["class"] = "form-control"


class AllianceForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    structure_label = forms.CharField(label=_("Structure"), max_length=40, required=False,
                                      help_text=_('e.g. "1+9+N": one core, nine communities, N member units'))
    core_organization = OrgChoiceField(label=_("Core organisation"), queryset=Organization.objects.none())
    founded_on = forms.DateField(label=_("Founded on"), required=False, widget=DateInput())
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = _reason()

    def __init__(self, *args, user, alliance=None, **kwargs):
        if alliance is not None:
            kwargs.setdefault("initial", {
                "name": alliance.name, "structure_label": alliance.structure_label, "founded_on": alliance.founded_on,
                "description": alliance.description,
            })
        super().__init__(*args, **kwargs)
        if alliance is not None:
            del self.fields["core_organization"]
        else:
            self.fields["core_organization"].queryset = selectors.alliance_core_choices(user)


class MemberAddForm(BootstrapForm):
    organization = OrgChoiceField(label=_("Member unit"), queryset=Organization.objects.none())
    role = forms.ChoiceField(label=_("Role in the alliance"), choices=MembershipRole.choices, initial=MembershipRole.MEMBER_UNIT)
    joined_on = forms.DateField(label=_("Joined on"), widget=DateInput())
    liaison = PersonChoiceField(label=_("Liaison"), queryset=Person.objects.none(), required=False)
    committee_member = PersonChoiceField(label=_("Part-time committee member"), queryset=Person.objects.none(), required=False)
    committee_post = forms.CharField(label=_("Committee post"), max_length=60, required=False)
    reason = _reason()

    def __init__(self, *args, user, alliance, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = selectors.alliance_member_choices(user, alliance)
        self.fields["role"].choices = [c for c in MembershipRole.choices if c[0] != MembershipRole.CORE]
        for name in ("liaison", "committee_member"):
            self.setup_person(name, user)


class MembershipForm(BootstrapForm):
    role = forms.ChoiceField(label=_("Role in the alliance"), choices=MembershipRole.choices)
    liaison = PersonChoiceField(label=_("Liaison"), queryset=Person.objects.none(), required=False)
    committee_member = PersonChoiceField(label=_("Part-time committee member"), queryset=Person.objects.none(), required=False)
    committee_post = forms.CharField(label=_("Committee post"), max_length=60, required=False)
    reason = _reason()

    def __init__(self, *args, user, membership, **kwargs):
        kwargs.setdefault("initial", {
            "role": membership.role, "liaison": membership.liaison_id, "committee_member": membership.committee_member_id,
            "committee_post": membership.committee_post,
        })
        super().__init__(*args, **kwargs)
        if membership.role == MembershipRole.CORE:
            del self.fields["role"]
        else:
            self.fields["role"].choices = [c for c in MembershipRole.choices if c[0] != MembershipRole.CORE]
        org = membership.organization
        self.setup_person("liaison", user, organization=org, current=membership.liaison)
        self.setup_person("committee_member", user, organization=org, current=membership.committee_member)


class MembershipEndForm(BootstrapForm):
    left_on = forms.DateField(label=_("Left on"), widget=DateInput())
    reason = _reason(required=True)


class DutyChairForm(BootstrapForm):
    organization = OrgChoiceField(label=_("Duty chair unit"), queryset=Organization.objects.none())
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    reason = _reason()

    def __init__(self, *args, alliance, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = selectors.active_member_organizations(alliance)


class DepartmentForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    head = PersonChoiceField(label=_("Head"), queryset=Person.objects.none(), required=False)
    responsibilities = forms.CharField(label=_("Responsibilities"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = _reason()

    def __init__(self, *args, user, alliance, department=None, **kwargs):
        if department is not None:
            kwargs.setdefault("initial", {"name": department.name, "head": department.head_id,
                                          "responsibilities": department.responsibilities})
        super().__init__(*args, **kwargs)
        self.setup_person("head", user, current=department.head if department else None)
