from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from access import views as access_views
from checklists import views as checklist_views
from checklists.bundles import views as bundle_views
from config import views
from config.api import api
from evidence import views as evidence_views
from metrics import flaky_views as metrics_flaky_views
from metrics import views as metrics_views
from metrics.prometheus import metrics_scrape
from releases import views as release_views
from releases.github.views import github_webhook


def _login_not_required(patterns):
    """Machines authenticate per request (bearer tokens, webhook signatures), not with a session."""
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            _login_not_required(pattern.url_patterns)
        else:
            pattern.callback.login_required = False
    return patterns


api_patterns, api_app, api_namespace = api.urls
_login_not_required(api_patterns)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("hooks/github", github_webhook, name="github-webhook"),
    path("login/", access_views.ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tokens/", access_views.token_index, name="token-list"),
    path("tokens/<str:prefix>/revoke", access_views.token_revoke, name="token-revoke"),
    path("services/", release_views.service_index, name="service-list"),
    path("services/new/", release_views.service_new, name="service-new"),
    path("services/<slug:slug>/", release_views.service_detail, name="service-detail"),
    path("artifacts/<int:pk>/", evidence_views.artifact_detail, name="artifact-detail"),
    path("artifacts/<int:pk>/raw", evidence_views.artifact_raw, name="artifact-raw"),
    path("releases/", checklist_views.release_index, name="release-list"),
    path("releases/new/", checklist_views.release_new, name="release-new"),
    path("releases/<int:pk>/", checklist_views.release_detail, name="release-detail"),
    path("releases/<int:pk>/approve", checklist_views.release_approval, name="release-approve"),
    path("releases/<int:pk>/items/<slug:item_id>/signoff", checklist_views.item_signoff, name="item-signoff"),
    path("releases/<int:pk>/items/<slug:item_id>/waiver", checklist_views.item_waiver, name="item-waiver"),
    path("releases/<int:pk>/waivers/<int:waiver_pk>/approve", checklist_views.waiver_approval, name="waiver-approve"),
    path("bundles/", bundle_views.bundle_index, name="bundle-list"),
    path("bundles/new", bundle_views.bundle_new, name="bundle-new"),
    path("bundles/<int:pk>/", bundle_views.bundle_status, name="bundle-status"),
    path("bundles/<int:pk>/download", bundle_views.bundle_download, name="bundle-download"),
    path("metrics/", metrics_views.dashboard, name="metrics-dashboard"),
    path("metrics/rows/<slug:metric>/", metrics_views.drilldown, name="metrics-rows"),
    path("metrics/flaky/", metrics_flaky_views.flaky_board, name="metrics-flaky"),
    path("metrics/flaky/quarantine", metrics_flaky_views.quarantine_new, name="metrics-quarantine-new"),
    path("metrics/flaky/quarantine/<int:pk>/lift", metrics_flaky_views.quarantine_lift, name="metrics-quarantine-lift"),
    path("metrics", metrics_scrape, name="metrics-prometheus"),
    path("api/v1/", (api_patterns, api_app, api_namespace)),
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
]
