from django import forms
from django.utils.translation import gettext_lazy as _

from .models import WebhookKind


class WebhookForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=None, empty_label=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=WebhookKind.choices)
    name = forms.CharField(label=_("Name"), max_length=80,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. Community work group")}))
    url = forms.CharField(label=_("Webhook URL"), max_length=500,
                          widget=forms.URLInput(attrs={"placeholder": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"}))
    secret = forms.CharField(label=_("Signing secret (DingTalk, optional)"), max_length=200, required=False,
                             widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select" if isinstance(field.widget, forms.Select) else "form-control")
