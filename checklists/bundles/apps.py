from django.apps import AppConfig


class BundlesConfig(AppConfig):
    """SOC 2 evidence bundles: signed zips an auditor verifies offline with the verify.py inside."""

    name = "checklists.bundles"
    label = "bundles"
    verbose_name = "Evidence bundles"
