"""Grid forms only parse and present input; services validate and write (their errors land on the fields)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongxin.core.errors import DomainError
from tongxin.core.forms import BootstrapForm

from . import selectors
from .models import Grid, GridLevel

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "\u3000" * obj.depth + obj.name


class GridChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{'　' * (obj.level - 1)}{obj.name}（{obj.code}）"


class GridForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=80)
    code = forms.CharField(label=pgettext_lazy("grid", "Code"), max_length=40, help_text=_("Letters, digits, '-', '_' or '.'; unique."))
    level = forms.TypedChoiceField(label=_("Level"), choices=GridLevel.choices, coerce=int)
    parent = GridChoiceField(label=_("Parent grid"), queryset=Grid.objects.none(), required=False,
                             help_text=_("A community's parent is a street, a grid's a community, a micro-grid's a grid."))
    organization = OrgChoiceField(label=_("Responsible organisation"), queryset=None)
    geometry = forms.CharField(
        label=_("Boundary (GeoJSON text)"), required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "font-monospace small",
                                     "placeholder": '{"type": "Polygon", "coordinates": [[[112.55, 37.86], …]]}'}),
        help_text=_("A Polygon or MultiPolygon in longitude/latitude (WGS 84), or a Feature holding one."),
    )
    geometry_file = forms.FileField(
        label=_("…or upload a .geojson / .json file"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json,application/json"}),
    )
    reason = forms.CharField(label=_("Reason for the change"), max_length=200, required=False, help_text=_("Kept in the history."))

    def __init__(self, *args, user, grid: Grid | None = None, **kwargs):
        self.user, self.grid = user, grid
        if grid is not None:
            import json

            kwargs.setdefault("initial", {
                "name": grid.name, "code": grid.code, "level": grid.level, "parent": grid.parent_id,
                "organization": grid.organization_id,
                "geometry": json.dumps(grid.geometry, ensure_ascii=False) if grid.geometry else "",
            })
        super().__init__(*args, **kwargs)
        parents = selectors.parent_choices(user)
        orgs = selectors.organization_choices(user)
        if grid is not None:
            # The values already recorded stay selectable even where they lie outside the user's choices.
            if grid.parent_id:
                parents = Grid.objects.filter(pk__in=[*parents.values_list("pk", flat=True), grid.parent_id]).order_by("level", "code")
            parents = parents.exclude(pk=grid.pk)
            orgs = orgs.model.objects.filter(pk__in=[*orgs.values_list("pk", flat=True), grid.organization_id]).order_by("path")
        self.fields["parent"].queryset = parents
        self.fields["organization"].queryset = orgs

    def clean_geometry_file(self):
        f = self.cleaned_data.get("geometry_file")
        if not f:
            return None
        name = (f.name or "").lower()
        if not name.endswith((".geojson", ".json")):
            raise forms.ValidationError(_("Upload a .geojson or .json file."))
        if f.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        data = f.read()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None

    def service_data(self) -> dict:
        cd = self.cleaned_data
        geometry = cd.get("geometry_file") or cd.get("geometry") or None
        data = {k: cd.get(k) for k in ("name", "code", "level", "parent", "organization")}
        data["geometry"] = geometry
        data["reason"] = cd.get("reason") or ""
        return data

    def add_domain_error(self, exc: DomainError, aliases: dict | None = None) -> None:
        if exc.field == "geometry" and self.cleaned_data.get("geometry_file"):
            aliases = {"geometry": "geometry_file", **(aliases or {})}
        super().add_domain_error(exc, aliases)


class AssignForm(BootstrapForm):
    person = forms.TypedChoiceField(label=_("Person"), coerce=int, choices=())
    tag = forms.ChoiceField(label=pgettext_lazy("grid", "Role"), choices=())
    since = forms.DateField(label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, user, grid: Grid, **kwargs):
        from tongxin.people.models import RoleTag

        super().__init__(*args, **kwargs)
        self.user, self.grid = user, grid
        self.fields["tag"].choices = [(t.value, t.label) for t in (
            RoleTag.GRID_WORKER, RoleTag.GRID_HEAD, RoleTag.ROAD_HEAD, RoleTag.LANE_HEAD, RoleTag.BUILDING_HEAD, RoleTag.SHOP_HEAD)]
        people = list(selectors.people_for_assignment(user, grid, limit=200))
        choices = [(p.pk, f"{p.name}（{p.phone_masked or '—'}）") for p in people]
        if self.is_bound and str(self.data.get("person", "")).isdigit():
            pk = int(self.data["person"])
            if pk not in {p.pk for p in people}:
                hit = selectors.people_for_assignment(user, grid, limit=None).filter(pk=pk).first()
                if hit is not None:
                    choices.append((hit.pk, f"{hit.name}（{hit.phone_masked or '—'}）"))
        self.fields["person"].choices = [("", "—")] + choices

    def clean_person(self):
        pk = self.cleaned_data["person"]
        try:
            return selectors.get_person_for_assignment(self.user, self.grid, pk)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
