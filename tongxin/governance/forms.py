"""Forms of the agreement pages: they parse and present input; the services validate and write."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongxin.core.forms import BootstrapForm

from .models import AgreementKind, Recurrence


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class OrgMultipleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class AgreementForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("Type"), choices=AgreementKind.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    number = forms.CharField(label=_("Document number"), max_length=40, required=False)
    organization = OrgChoiceField(label=_("Kept by"), queryset=None, empty_label=None)
    parties = OrgMultipleField(label=_("Parties"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
                               help_text=_("At least two. A covenant with none ticked is signed by every member of the alliance."))
    starts_on = forms.DateField(label=_("Term starts"), widget=DateInput())
    ends_on = forms.DateField(label=_("Term ends"), widget=DateInput())
    signed_on = forms.DateField(label=_("Signed on"), widget=DateInput(), required=False)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    scan = forms.FileField(label=_("Signed scan (PDF or image)"), required=False)
    reason = forms.CharField(label=_("Note for the record"), max_length=200, required=False)

    def __init__(self, *args, keepers=None, members=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = keepers
        self.fields["parties"].queryset = members
        if editing:
            for name in ("kind", "organization", "parties", "scan"):
                del self.fields[name]


class PartyForm(BootstrapForm):
    organization = OrgChoiceField(label=_("Organisation"), queryset=None)
    role = forms.CharField(label=pgettext_lazy("party", "Role"), max_length=30, required=False)
    signatory = forms.CharField(label=_("Signatory"), max_length=40, required=False)

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = members


class ObligationForm(BootstrapForm):
    title = forms.CharField(label=_("What"), max_length=120)
    debtor = OrgChoiceField(label=_("Owed by"), queryset=None)
    area = forms.ModelChoiceField(label=_("Co-building area"), queryset=None, required=False)
    recurrence = forms.ChoiceField(label=pgettext_lazy("obligation", "When"), choices=Recurrence.choices)
    due_on = forms.DateField(label=_("Due on (one-off)"), widget=DateInput(), required=False)
    description = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, debtors=None, areas=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["debtor"].queryset = debtors
        self.fields["area"].queryset = areas


class FulfilmentForm(BootstrapForm):
    due = forms.ModelChoiceField(label=_("For the due date"), queryset=None, empty_label=None)
    done_on = forms.DateField(label=_("Done on"), widget=DateInput())
    note = forms.CharField(label=pgettext_lazy("fulfilment", "What was done"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    attachment = forms.FileField(label=_("Attachment (PDF or image)"), required=False)

    def __init__(self, *args, dues=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due"].queryset = dues
        self.fields["due"].label_from_instance = lambda d: d.due_on.isoformat()


class TerminateForm(BootstrapForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)
    terminated_on = forms.DateField(label=_("Terminated on"), widget=DateInput(), required=False)


class AreaForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    code = forms.SlugField(label=_("Code"), max_length=40, required=False)
    reason = forms.CharField(label=_("Note for the record"), max_length=200, required=False)


class SegmentForm(BootstrapForm):
    unit = OrgChoiceField(label=_("Adopting unit"), queryset=None)
    name = forms.CharField(label=_("Segment name"), max_length=80, help_text=_("e.g. the road in front of the main gate"))
    buffer_m = forms.IntegerField(label=_("Buffer (metres)"), initial=30, min_value=1, max_value=1000,
                                  help_text=_("A report within this distance of the line counts as on the segment."))
    geometry = forms.CharField(label=_("Geometry (GeoJSON)"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("Filled in by drawing on the map; you may also paste GeoJSON."))
    geometry_file = forms.FileField(label=_("Or import a GeoJSON file"), required=False,
                                    help_text=_("Every line or polygon in the file becomes a segment."))

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
