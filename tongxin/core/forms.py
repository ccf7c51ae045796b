"""Shared form behaviour: Bootstrap classes on widgets, `is-invalid` on fields with errors, and
a service refusal (DomainError) shown on the field it names. Forms only parse and present input;
services validate and write."""

from django import forms

from tongxin.core.errors import DomainError


class BootstrapForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                widget.attrs["class"] = "form-check-input"
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        self._mark_invalid()

    def add_error(self, field, error):
        super().add_error(field, error)
        self._mark_invalid()

    def _mark_invalid(self):
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def add_domain_error(self, exc: DomainError, aliases: dict | None = None) -> None:
        """Show a service refusal on the field it names (or on the form when it names none here)."""
        field = (aliases or {}).get(exc.field, exc.field)
        self.add_error(field if field in self.fields else None, exc.message)
