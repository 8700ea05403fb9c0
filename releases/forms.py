from django import forms

from releases.models import Service


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = ["slug", "name", "repository", "cosign_public_key"]
