from django import forms

from checklists.definitions import builtin_names
from releases.models import Service


class ReleaseForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.all(), to_field_name="slug")
    version = forms.CharField(max_length=100)
    commit = forms.RegexField(regex=r"^[0-9a-fA-F]{40}$", error_messages={"invalid": "a full 40-hex commit SHA"})
    checklist = forms.ChoiceField(choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checklist"].choices = [(name, name) for name in builtin_names()]


class SignOffForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    evidence_url = forms.URLField(required=False, assume_scheme="https")


class WaiverForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    expires_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
