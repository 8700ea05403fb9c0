"""Every parser and the upload path against the hostile corpus (tests/data/hostile/generate.py).

Each file must end in a summary or the parser's one error type (ParseError), quickly and in bounded
memory; through the API it must get a 2xx or 4xx, never a 5xx, with the raw bytes kept.
"""

from __future__ import annotations

import resource
import signal
import time
from pathlib import Path

import pytest
from django.core.files.storage import storages

from evidence.models import Artifact
from evidence.parsers.base import ListSink, ParseError, Summary
from evidence.parsers.head import read_head
from evidence.parsers.registry import PARSERS, detect
from evidence.storage import open_payload, raw_path
from tests.evidence.parsers.helpers import DATA

HOSTILE = sorted(p for p in (DATA / "hostile").iterdir() if p.name != "generate.py" and p.is_file())
SECONDS_PER_PARSE = 20
RSS_GROWTH_LIMIT_MB = 300


class Timeout(Exception):
    pass


def _alarm(_signum, _frame):
    raise Timeout


def _parse(parser_cls, path: Path):
    with path.open("rb") as raw:
        return parser_cls().parse(open_payload(raw), ListSink())


def test_the_hostile_corpus_exists():
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.name)
def test_every_parser_survives(path):
    previous = signal.signal(signal.SIGALRM, _alarm)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        for format_id, parser_cls in PARSERS.items():
            signal.alarm(SECONDS_PER_PARSE)
            started = time.monotonic()
            try:
                result = _parse(parser_cls, path)
            except ParseError as exc:
                assert str(exc), f"{format_id}: empty message"
            except Timeout:
                pytest.fail(f"{format_id} hung on {path.name}")
            except Exception as exc:
                pytest.fail(f"{format_id} raised {exc.__class__.__name__} on {path.name}: {exc}")
            else:
                assert isinstance(result, Summary)
            finally:
                signal.alarm(0)
            assert time.monotonic() - started < SECONDS_PER_PARSE
    finally:
        signal.signal(signal.SIGALRM, previous)
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss_before
    assert growth < RSS_GROWTH_LIMIT_MB, f"peak memory grew {growth:.0f} MB on {path.name}"


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.name)
def test_detection_survives(path):
    with path.open("rb") as raw:
        try:
            head = read_head(open_payload(raw))
        except ParseError:
            return  # a damaged gzip or UTF-16 stream: the loader answers 422 (see the upload test)
    detect(head)


@pytest.mark.django_db
@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.name)
def test_upload_never_500s_and_keeps_the_bytes(path, api, run_jobs, django_capture_on_commit_callbacks, settings):
    settings.GATEHOUSE_MAX_INFLATED_BYTES = 32 * 1024 * 1024  # makes the gzip bomb trip the cap
    data = path.read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/artifacts?service=payments&commit={'d' * 40}", data=data, content_type="application/octet-stream"
        )
    assert response.status_code < 500
    body = response.json()
    if response.status_code >= 400:
        assert body["detail"]
        if not data:
            return
        artifact = Artifact.objects.get(pk=body["artifact"]["id"])
        assert artifact.status == "failed" and artifact.error
    else:
        run_jobs()
        artifact = Artifact.objects.get(pk=body["id"])
        assert artifact.status in ("parsed", "failed")
        if artifact.status == "failed":
            assert artifact.error
    with storages["artifacts"].open(raw_path(artifact.sha256)) as stored:
        assert stored.read() == data


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "kind"), [("utf16-bom.json", "vulnerabilities"), ("utf16-bom.xml", "tests")])
def test_utf16_reports_are_read(name, kind, api, run_jobs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/artifacts?service=payments&commit={'e' * 40}",
            data=(DATA / "hostile" / name).read_bytes(),
            content_type="application/octet-stream",
        )
    assert response.status_code == 202, response.content
    run_jobs()
    artifact = Artifact.objects.get()
    assert artifact.kind == kind and artifact.status == "parsed", artifact.error
