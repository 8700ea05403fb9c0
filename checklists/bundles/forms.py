from django import forms

from checklists.models import Release
from releases.models import Service


class ReleaseBundleForm(forms.Form):
    release = forms.ModelChoiceField(queryset=Release.objects.select_related("service").order_by("-created_at"))


class PeriodBundleForm(forms.Form):
    services = forms.ModelMultipleChoiceField(queryset=Service.objects.order_by("slug"), to_field_name="slug")
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))
    seed = forms.IntegerField(required=False, min_value=0, help_text="empty: chosen for you and recorded")
    size = forms.IntegerField(initial=25, min_value=1, max_value=1000, label="Sample size")

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("the period must start before it ends")
        return data
