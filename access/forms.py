from django import forms

from access.models import ALL_SCOPES
from releases.models import Service


class TokenForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="what the token is for, e.g. 'payments GitHub Actions'")
    services = forms.ModelMultipleChoiceField(queryset=Service.objects.all(), to_field_name="slug")
    scopes = forms.MultipleChoiceField(choices=[(s, s) for s in ALL_SCOPES], initial=ALL_SCOPES,
                                       widget=forms.CheckboxSelectMultiple)  # fmt: skip
