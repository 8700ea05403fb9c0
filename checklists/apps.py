from django.apps import AppConfig


class ChecklistsConfig(AppConfig):
    name = "checklists"

    def ready(self) -> None:
        from checklists import receivers  # noqa: F401 - connects the evidence_parsed receiver
