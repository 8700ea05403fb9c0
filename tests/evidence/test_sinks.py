import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from evidence import models, sinks
from evidence.models import Artifact, Component, Evidence, Finding
from evidence.parsers import base
from evidence.parsers.base import ComponentRow, FindingRow, ParseError
from evidence.sinks import CopySink
from releases.services import commit_get_or_create

# TestCase and TestCaseRow are reached through their modules: pytest would take the names for test classes.
SHA = "f" * 40


@pytest.fixture
def evidence(service):
    commit = commit_get_or_create(service=service, sha=SHA)
    artifact = Artifact.objects.create(sha256="0" * 64, size=1, kind="tests", format="junit-xml", service=service,
                                       commit=commit, uploader="test")  # fmt: skip
    return Evidence.objects.create(artifact=artifact, service=service, commit=commit, kind="tests", format="junit-xml",
                                   summary={})  # fmt: skip


@pytest.mark.django_db
def test_rows_of_every_kind_are_copied_even_when_kinds_alternate(evidence):
    with CopySink(evidence) as sink:
        sink.test_case(base.TestCaseRow(suite="s", name="first\x00", status="failed", message="boom"))  # NUL dropped
        sink.finding(FindingRow(category="vulnerability", severity="high", rule_id="CVE-1", package="p" * 400))
        sink.test_case(base.TestCaseRow(suite="s", name="second", duration_s=1.5, attempts=2))
        sink.component(ComponentRow(name="left-pad", version="1.3.0"))
    cases = models.TestCase.objects.filter(evidence=evidence).order_by("pk")
    assert list(cases.values_list("name", "status", "attempts")) == [("first", "failed", 1), ("second", "passed", 2)]
    finding = Finding.objects.get(evidence=evidence)
    assert (finding.rule_id, len(finding.package)) == ("CVE-1", 300)  # clipped to the column
    assert Component.objects.get(evidence=evidence).name == "left-pad"


@pytest.mark.django_db
def test_an_error_while_copying_cancels_the_copy_and_the_savepoint_rolls_back(evidence):
    with pytest.raises(ParseError), transaction.atomic(), CopySink(evidence) as sink:  # the savepoint outermost
        for index in range(10_000):
            sink.test_case(base.TestCaseRow(suite="s", name=f"test_{index}"))
        raise ParseError("truncated")
    assert not models.TestCase.objects.filter(evidence=evidence).exists()
    with connection.cursor() as cursor:  # the connection is usable again
        cursor.execute("SELECT 1")


@pytest.mark.django_db
def test_a_report_failing_after_many_rows_leaves_none_behind(service, tmp_path):
    # Larger than the detection head, so the streaming parse (and its open COPY) meets the damage.
    cases = "".join(f'<testcase classname="c" name="test_{index}" time="0.1"/>' for index in range(5000))
    path = tmp_path / "cut.xml"
    path.write_text(f'<testsuites><testsuite name="s">{cases}</testsuite><testsuite name="cut"><testcase name="')
    with pytest.raises(CommandError, match="truncated JUnit XML"):
        call_command("ingest", str(path), service="payments", commit=SHA)
    assert Artifact.objects.get().status == "failed"
    assert not Evidence.objects.exists() and not models.TestCase.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("table", sorted(sinks._COLUMNS))
def test_the_copy_types_are_the_columns_types(table):
    # psycopg dumps each value by the declared type: a migration changing a column must change it here too.
    declared = {"bigint": "int8", "integer": "int4", "double precision": "float8", "text": "text",
                "character varying": "text"}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s", [table])
        columns = {name: declared[data_type] for name, data_type in cursor.fetchall() if name != "id"}
    assert sinks._COLUMNS[table] == columns
