"""The test suite's Redis is its own database: clearing the cache or the queues never touches a running Gatehouse."""

import django_rq
from django.conf import settings
from django.core.cache import cache

from tests.conftest import TEST_REDIS_DB, _with_db


def test_the_cache_and_the_queues_use_the_test_redis_database():
    test_url = _with_db(settings.REDIS_URL, TEST_REDIS_DB)
    assert cache._servers == [test_url]
    assert all(queue["URL"] == test_url for queue in settings.RQ_QUEUES.values())
    assert django_rq.get_connection("ingest").connection_pool.connection_kwargs.get("db") == TEST_REDIS_DB
