"""The one lazily built client (token, GitHub App, anonymous) and the sync jobs."""

from __future__ import annotations

import django_rq
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

from releases import jobs
from releases.github.client import github_client, github_configured
from releases.github.sync import github_sync
from releases.models import PullRequest
from releases.services import service_create


def test_the_client_is_built_once_from_settings(fake_github):
    client = github_client()
    assert github_client() is client
    assert client.requester.base_url == fake_github.base_url
    assert fake_github.seen == []  # building it calls nothing
    github_client.cache_clear()
    assert github_client() is not client


def test_github_app_installation_auth(fake_github, pygithub_repo, settings):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    settings.GITHUB_TOKEN = ""
    settings.GITHUB_APP_ID = "12345"
    settings.GITHUB_APP_PRIVATE_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings.GITHUB_APP_INSTALLATION_ID = "42"
    fake_github.add("/app/installations/42/access_tokens", {"token": "ghs_installation",
                    "expires_at": "2099-01-01T00:00:00Z"}, status=201, method="POST")  # fmt: skip
    github_client.cache_clear()

    github_sync(repo="PyGithub/PyGithub")

    exchange, *calls = fake_github.seen
    assert (exchange.method, exchange.path) == ("POST", "/api/v3/app/installations/42/access_tokens")
    scheme, token = exchange.headers["Authorization"].split()
    assert scheme == "Bearer"
    assert jwt.decode(token, key.public_key(), algorithms=["RS256"])["iss"] == "12345"
    assert {call.headers["Authorization"] for call in calls} == {"token ghs_installation"}
    assert PullRequest.objects.count() == 2


def test_an_incomplete_github_app_configuration_is_refused(fake_github, settings):
    settings.GITHUB_APP_ID = "12345"
    settings.GITHUB_APP_PRIVATE_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="GITHUB_APP_INSTALLATION_ID"):
        github_client()


def test_anonymous_access_when_nothing_is_configured(fake_github, pygithub_repo, settings, caplog):
    settings.GITHUB_TOKEN = ""
    github_client.cache_clear()
    assert not github_configured()
    github_sync(repo="PyGithub/PyGithub")
    assert "called anonymously" in caplog.text
    assert all("Authorization" not in seen.headers for seen in fake_github.seen)


def test_sync_job_ids_are_valid_and_distinct():
    first, second = jobs.sync_job_id("acme/api.v2"), jobs.sync_job_id("acme/api_v2")
    assert first != second and first.startswith("github-sync-acme_api_v2-")
    assert jobs.sync_job_id("ACME/Api.v2") == first


def test_the_periodic_sync_queues_each_repository_once(fake_github, pygithub_repo, austinsasko_repo):
    service_create(slug="no-repo")
    queue = django_rq.get_queue("default")
    assert jobs.sync_all_repositories() == 2
    assert jobs.sync_all_repositories() == 0  # already waiting
    queued = sorted((job.func_name, job.args) for job in queue.get_jobs())
    assert queued == [("releases.jobs.sync_repository", ("PyGithub/PyGithub",)),
                      ("releases.jobs.sync_repository", ("austinsasko/PyGithub",))]  # fmt: skip


def test_no_periodic_sync_without_github_credentials(fake_github, pygithub_repo, settings):
    settings.GITHUB_TOKEN = ""
    assert jobs.sync_all_repositories() == 0
    assert django_rq.get_queue("default").count == 0


def test_the_sync_job_returns_the_report(fake_github, pygithub_repo):
    assert jobs.sync_repository("PyGithub/PyGithub").startswith("PyGithub/PyGithub: 2 of 2 merged pull requests")
