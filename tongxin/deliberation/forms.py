"""Forms only parse and present input; the services validate and write."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongxin.core.forms import BootstrapForm

from .models import Eligibility, ResolutionKind, Stage


class RaiseForm(BootstrapForm):
    title = forms.CharField(label=pgettext_lazy("topic", "Title"), max_length=80, required=False,
                            widget=forms.TextInput(attrs={"placeholder": _("e.g. Parking in courtyard 11")}))
    description = forms.CharField(label=_("What should be discussed"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, required=False)
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=None, required=False, empty_label=_("— not sure —"))
    compound = forms.CharField(label=_("Compound or courtyard"), max_length=80, required=False)
    building = forms.CharField(label=_("Building"), max_length=40, required=False)
    area = forms.ModelChoiceField(label=_("Co-building area"), queryset=None, required=False, empty_label=_("— none —"))
    category = forms.ModelChoiceField(label=_("Category"), queryset=None, required=False, empty_label=_("— none —"))

    def __init__(self, *args, communities, grids, areas, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["grid"].queryset = grids
        self.fields["area"].queryset = areas
        self.fields["category"].queryset = categories
        self.fields["community"].empty_label = None if communities.count() == 1 else _("— choose —")


class EscalateForm(BootstrapForm):
    to = forms.ChoiceField(label=_("To"), required=False, choices=[(Stage.PROPERTY, Stage.PROPERTY.label), (Stage.COMMUNITY, Stage.COMMUNITY.label)])
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


class BallotForm(BootstrapForm):
    question = forms.CharField(label=_("Question"), max_length=200, required=False)
    options = forms.CharField(label=_("Options (one per line)"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              initial="同意\n不同意\n弃权")
    opens_at = forms.DateTimeField(label=_("Opens at (empty: now)"), required=False,
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    closes_at = forms.DateTimeField(label=_("Closes at"), required=False,
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    eligibility = forms.ChoiceField(label=_("Who may vote"), choices=Eligibility.choices, required=False)
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=None, required=False)
    building = forms.CharField(label=_("Building"), max_length=40, required=False)
    secret = forms.BooleanField(label=_("Secret ballot (nobody can see who chose what)"), required=False, initial=True)

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids


class ConsultationForm(BootstrapForm):
    title = forms.CharField(label=pgettext_lazy("topic", "Title"), max_length=120, required=False)
    held_at = forms.DateTimeField(label=_("Held at"), required=False,
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    place = forms.CharField(label=_("Place"), max_length=120, required=False)
    residents = forms.ModelMultipleChoiceField(label=_("Residents"), queryset=None, required=False,
                                               widget=forms.SelectMultiple(attrs={"size": 6}))
    members = forms.ModelMultipleChoiceField(label=_("In-service party members"), queryset=None, required=False,
                                             widget=forms.SelectMultiple(attrs={"size": 4}))
    property_companies = forms.ModelMultipleChoiceField(label=_("Property company"), queryset=None, required=False,
                                                        widget=forms.SelectMultiple(attrs={"size": 3}))
    units = forms.ModelMultipleChoiceField(label=_("Member units"), queryset=None, required=False,
                                           widget=forms.SelectMultiple(attrs={"size": 6}))
    shops = forms.CharField(label=_("Shops (one per line)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, residents, members, property_companies, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["residents"].queryset = residents
        self.fields["members"].queryset = members
        self.fields["property_companies"].queryset = property_companies
        self.fields["units"].queryset = units


class ResolveForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("Resolved into"), choices=ResolutionKind.choices, widget=forms.RadioSelect, required=False)
    decision = forms.CharField(label=pgettext_lazy("topic", "Decision"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    project_title = forms.CharField(label=_("Project title"), max_length=100, required=False)
    lead_unit = forms.ModelChoiceField(label=_("Lead unit"), queryset=None, required=False)
    project_area = forms.ModelChoiceField(label=_("Co-building area"), queryset=None, required=False)
    request_title = forms.CharField(label=_("Request title"), max_length=80, required=False)
    request_category = forms.ModelChoiceField(label=_("Category"), queryset=None, required=False)

    ACTION_ROWS = 3

    def __init__(self, *args, units, areas, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = units
        self.fields["project_area"].queryset = areas
        self.fields["request_category"].queryset = categories
        for i in range(self.ACTION_ROWS):
            self.fields[f"item{i}_title"] = forms.CharField(label=_("Action item"), max_length=200, required=False)
            self.fields[f"item{i}_owner"] = forms.ModelChoiceField(label=_("Owner"), queryset=units, required=False)
            self.fields[f"item{i}_due"] = forms.DateField(label=pgettext_lazy("topic", "Due on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
        for name in self.fields:
            if name.startswith("item"):
                w = self.fields[name].widget
                w.attrs["class"] = (w.attrs.get("class", "") + (" form-select" if isinstance(w, forms.Select) else " form-control")).strip()

    def action_rows(self):
        return [(self[f"item{i}_title"], self[f"item{i}_owner"], self[f"item{i}_due"]) for i in range(self.ACTION_ROWS)]

    def action_items(self) -> list[dict]:
        d = self.cleaned_data
        return [{"title": d.get(f"item{i}_title") or "", "owner": d.get(f"item{i}_owner"), "due_on": d.get(f"item{i}_due")}
                for i in range(self.ACTION_ROWS) if (d.get(f"item{i}_title") or "").strip()]


class SettingsForm(BootstrapForm):
    online_days = forms.IntegerField(label=_("Online discussion: working days before escalation"), min_value=1, max_value=365)
    property_days = forms.IntegerField(label=_("Property council: working days before escalation"), min_value=1, max_value=365)
    community_days = forms.IntegerField(label=_("Community council: working days before a reminder"), min_value=1, max_value=365)
    auto_escalate = forms.BooleanField(label=_("Escalate automatically"), required=False)
    reason = forms.CharField(label=_("Reason for the change"), required=False, max_length=200)
