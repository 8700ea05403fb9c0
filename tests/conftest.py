"""Shared fixtures. Tests talk to real PostgreSQL and real Redis; nothing reaches the internet."""

from __future__ import annotations

import os
import socket

import django_rq
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.test import Client, override_settings
from rq import SimpleWorker

from access.roles import AUDITORS, ENGINEERS, RELEASE_MANAGERS, roles_sync
from access.services import api_token_create
from releases.services import service_create

# Tests use their own Redis database so a running `make run` worker never sees their jobs.
TEST_REDIS_DB = int(os.environ.get("GATEHOUSE_TEST_REDIS_DB", "15"))
PASSWORD = "correct-horse-battery"


def _with_db(url: str, db: int) -> str:
    if url.startswith("unix://"):
        return url.split("?", 1)[0] + f"?db={db}"
    base = url.rsplit("/", 1)[0] if url.count("/") > 2 else url
    return f"{base}/{db}"


@pytest.fixture(scope="session", autouse=True)
def _isolated_redis():
    url = _with_db(settings.REDIS_URL, TEST_REDIS_DB)
    # django_rq copied RQ_QUEUES at import, so its queue dicts are changed in place.
    for queue in settings.RQ_QUEUES.values():
        queue["URL"] = url
    # The cache backend may exist already: override_settings rebuilds it, so cache.clear() below can only
    # ever flush the test database, never the one a running `make run` uses.
    with override_settings(CACHES={"default": {**settings.CACHES["default"], "LOCATION": url}}):
        django_rq.get_connection("ingest").flushdb()
        yield


@pytest.fixture(autouse=True)
def _clean_queues():
    for name in settings.RQ_QUEUES:
        django_rq.get_queue(name).empty()
    cache.clear()
    yield


_real_connect = socket.socket.connect


def _guarded_connect(sock, address):
    # Loopback and Unix sockets only: a test that silently calls the internet is a bug.
    if sock.family == socket.AF_UNIX:
        return _real_connect(sock, address)
    host = address[0]
    if host in ("localhost", "::1") or str(host).startswith("127."):
        return _real_connect(sock, address)
    raise RuntimeError(f"test tried to reach {address}: only loopback is allowed")


@pytest.fixture(autouse=True)
def _block_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture
def run_jobs():
    """Run every queued job now, in this process, against the real Redis queues."""

    def run() -> None:
        queues = [django_rq.get_queue(name) for name in settings.RQ_QUEUES]
        SimpleWorker(queues, connection=queues[0].connection).work(burst=True)

    return run


@pytest.fixture
def service(db):
    return service_create(slug="payments", name="Payments", repository="acme/payments")


@pytest.fixture
def token(service):
    _token, plaintext = api_token_create(name="ci", services=[service])
    return plaintext


@pytest.fixture
def api(token):
    return Client(headers={"Authorization": f"Bearer {token}"})


def make_user(username: str, role: str | None = None, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    if role:
        if not Group.objects.filter(name=role).exists():
            roles_sync()  # a transactional test flushed the groups the migrations created
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def release_manager(db):
    return make_user("alice", RELEASE_MANAGERS)


@pytest.fixture
def engineer(db):
    return make_user("bob", ENGINEERS)


@pytest.fixture
def auditor(db):
    return make_user("carol", AUDITORS)


@pytest.fixture
def browser_client(client, engineer):
    client.force_login(engineer)
    return client
