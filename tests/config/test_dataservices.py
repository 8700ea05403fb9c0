"""The zero-setup path: real embedded servers started in a data folder when no URL is given."""

import psycopg
import pytest
import redis

from config import dataservices


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEHOUSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    yield tmp_path
    dataservices.stop_embedded_redis()
    dataservices.stop_embedded_postgres()


def test_embedded_postgres_and_redis_start_and_answer(scratch):
    url = dataservices.database_url()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT 41 + 1").fetchone() == (42,)
    assert dataservices.database_url() == url  # reused, not started twice

    redis_url = dataservices.redis_url()
    client = redis.Redis.from_url(redis_url)
    assert client.ping()
    client.close()
    assert (scratch / "pg" / "PG_VERSION").exists()


def test_given_urls_are_used_untouched(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://example/db")
    monkeypatch.setenv("REDIS_URL", "redis://example:6379/1")
    assert dataservices.database_url() == "postgresql://example/db"
    assert dataservices.redis_url() == "redis://example:6379/1"
