from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"

    def ready(self) -> None:
        # releases sits below metrics: it offers a registry instead of importing us.
        from metrics.intake import on_deployment_status, on_workflow_run
        from releases.github.webhooks import register_handler

        register_handler("deployment_status", on_deployment_status)
        register_handler("workflow_run", on_workflow_run)
