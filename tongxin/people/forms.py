"""Forms only parse and present input; services validate and write (their errors land on the fields)."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongxin.core.forms import BootstrapForm
from tongxin.grids.models import Grid
from tongxin.orgs.models import Organization

from . import selectors
from .models import GRID_TAGS, MemberStatus, RoleTag, Sex

EDUCATION_CHOICES = ["小学", "初中", "高中", "中专", "大专", "本科", "硕士", "博士"]


def _with_current(qs, obj):
    """A choice queryset that also offers the value already recorded (which may lie outside it)."""
    if obj is None:
        return qs
    return qs.model.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk=obj.pk)).order_by(*qs.query.order_by)


class OrgChoiceField(forms.ModelChoiceField):
    """Organisations indented by their depth in the tree."""

    def label_from_instance(self, obj):
        return "\u3000" * obj.depth + obj.name


class GridChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.code}）"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PersonForm(BootstrapForm):
    organization = OrgChoiceField(
        label=_("Organisation keeping the record"), queryset=Organization.objects.none(),
        help_text=_("The community for residents, the unit for its staff."),
    )
    name = forms.CharField(label=_("Full name"), max_length=40)
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—"), *Sex.choices], required=False)
    ethnicity = forms.CharField(label=_("Ethnicity"), max_length=20, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput(),
                                 help_text=_("Taken from the ID number when left blank."))
    education = forms.CharField(label=_("Education"), max_length=20, required=False,
                                widget=forms.TextInput(attrs={"list": "education-options"}))
    phone = forms.CharField(label=_("Mobile phone"), max_length=24, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    clear_phone = forms.BooleanField(label=_("Remove the phone number"), required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=24, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    clear_id_number = forms.BooleanField(label=_("Remove the ID number"), required=False)
    address = forms.CharField(label=_("Home address"), max_length=200, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    clear_address = forms.BooleanField(label=_("Remove the address"), required=False)
    community = OrgChoiceField(label=_("Home community"), queryset=Organization.objects.none(), required=False)
    grid = GridChoiceField(label=_("Grid"), queryset=Grid.objects.none(), required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    tags = forms.MultipleChoiceField(label=_("Roles"), choices=RoleTag.choices, required=False, widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label=_("Reason for the change"), max_length=200, required=False,
                             help_text=_("Kept in the history."))

    SENSITIVE = ("phone", "id_number", "address")

    def __init__(self, *args, user, person=None, **kwargs):
        self.user, self.person = user, person
        if person is not None:
            kwargs.setdefault("initial", {
                "organization": person.organization_id, "name": person.name, "sex": person.sex, "ethnicity": person.ethnicity,
                "birth_date": person.birth_date, "education": person.education, "community": person.community_id,
                "grid": person.grid_id, "note": person.note,
            })
        super().__init__(*args, **kwargs)
        current = person.organization if person else None
        self.fields["organization"].queryset = _with_current(selectors.organizations_for_people(user), current)
        self.fields["community"].queryset = _with_current(selectors.community_choices(user), person.community if person else None)
        self.fields["grid"].queryset = _with_current(selectors.grid_choices(user), person.grid if person else None)
        if person is None:
            first = self.fields["organization"].queryset.first()
            if first is not None and not self.is_bound:
                self.initial.setdefault("organization", first.pk)
                if first.kind == "community_committee":
                    self.initial.setdefault("community", first.pk)
            for key in self.SENSITIVE:
                del self.fields[f"clear_{key}"]
            self.fields["tags"].choices = [(v, label) for v, label in RoleTag.choices if v not in (RoleTag.TEAM_LEAD,)]
            self.fields["tags"].help_text = _("Grid workers and the five heads are assigned to the grid chosen above.")
        else:
            del self.fields["tags"]
            for key in self.SENSITIVE:
                masked = getattr(person, f"{key}_masked")
                self.fields[key].widget.attrs["placeholder"] = masked or ""
                self.fields[key].help_text = (
                    _("Recorded: %(masked)s. Leave blank to keep it.") % {"masked": masked} if masked else _("Not recorded.")
                )
                if not masked:
                    del self.fields[f"clear_{key}"]

    def service_data(self) -> dict:
        """Keyword arguments for create_person / update_person.

        On edit, a blank personal field keeps the value on file (nobody has to re-type a secret);
        the "remove" box clears it.
        """
        cd = self.cleaned_data
        data = {k: cd.get(k) for k in ("name", "sex", "ethnicity", "birth_date", "education", "community", "grid", "note")}
        data["organization"] = cd["organization"]
        for key in self.SENSITIVE:
            value = (cd.get(key) or "").strip()
            if self.person is None:
                if value:
                    data[key] = value
            elif cd.get(f"clear_{key}"):
                data[key] = ""
            elif value:
                data[key] = value
        if self.person is None:
            data["tags"] = tuple(cd.get("tags") or ())
        data["reason"] = cd.get("reason") or ""
        return data


class RoleForm(BootstrapForm):
    tag = forms.ChoiceField(label=_("Role tag"), choices=RoleTag.choices)
    organization = OrgChoiceField(label=_("Team or organisation"), queryset=Organization.objects.none(), required=False)
    grid = GridChoiceField(label=_("Grid"), queryset=Grid.objects.none(), required=False,
                                  help_text=_("Required for grid workers and the five heads."))
    since = forms.DateField(label=_("Since"), required=False, widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = selectors.org_choices(user)
        self.fields["grid"].queryset = selectors.grid_choices(user)

    def clean(self):
        cd = super().clean()
        if cd.get("tag") in GRID_TAGS and not cd.get("grid"):
            self.add_error("grid", _("Grid workers and the five heads need a grid."))
        return cd


class PartyProfileForm(BootstrapForm):
    branch = OrgChoiceField(label=_("Party branch"), queryset=Organization.objects.none())
    status = forms.ChoiceField(label=pgettext_lazy("member", "Status"), choices=MemberStatus.choices)
    joined_on = forms.DateField(label=_("Date joined the Party"), required=False, widget=DateInput())
    full_member_on = forms.DateField(label=_("Date made full member"), required=False, widget=DateInput(),
                                     help_text=_("Leave blank for a probationary member."))
    lost_contact_since = forms.DateField(label=_("Lost contact since"), required=False, widget=DateInput())
    in_service = forms.BooleanField(label=_("In-service member (reports to the home community)"), required=False)
    work_unit = OrgChoiceField(label=_("Work unit"), queryset=Organization.objects.none(), required=False,
                                       help_text=_("Required for in-service members."))
    home_community = OrgChoiceField(label=_("Home community (reports to)"), queryset=Organization.objects.none(), required=False)
    is_central_household = forms.BooleanField(label=_("Central household (党员中心户)"), required=False)
    reason = forms.CharField(label=_("Reason for the change"), max_length=200, required=False)

    FIELDS = ("branch", "status", "joined_on", "full_member_on", "lost_contact_since", "in_service", "work_unit", "home_community",
              "is_central_household")

    def __init__(self, *args, user, profile=None, person=None, **kwargs):
        if profile is not None:
            kwargs.setdefault("initial", {k: getattr(profile, k) for k in self.FIELDS})
        elif person is not None:
            kwargs.setdefault("initial", {"home_community": person.community_id, "status": MemberStatus.FULL})
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = _with_current(selectors.branch_choices(user), profile.branch if profile else None)
        self.fields["work_unit"].queryset = _with_current(selectors.org_choices(user), profile.work_unit if profile else None)
        self.fields["home_community"].queryset = _with_current(
            selectors.community_choices(user), profile.home_community if profile else None
        )

    def service_data(self) -> dict:
        data = {k: self.cleaned_data.get(k) for k in self.FIELDS}
        data["reason"] = self.cleaned_data.get("reason") or ""
        return data


class ArchiveForm(BootstrapForm):
    reason = forms.CharField(label=_("Reason for archiving"), max_length=200,
                             widget=forms.TextInput(attrs={"placeholder": _("e.g. moved away, duplicate record")}))
