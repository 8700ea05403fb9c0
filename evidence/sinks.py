"""Persisting parser detail rows with PostgreSQL COPY (never row by row)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

from django.db import connection

from evidence.models import Evidence
from evidence.parsers.base import ComponentRow, FindingRow, TestCaseRow

# Each table's columns in COPY order, with their types: given the types, psycopg picks each column's
# dumper once per COPY instead of once per value, a third of the client's cost of writing a row.
_COLUMNS = {
    "evidence_finding": {
        "evidence_id": "int8", "category": "text", "severity": "text", "rule_id": "text", "title": "text",
        "location": "text", "line": "int4", "package": "text", "installed_version": "text", "fixed_version": "text",
    },
    "evidence_component": {
        "evidence_id": "int8", "name": "text", "version": "text", "purl": "text", "licenses": "text",
        "component_type": "text",
    },
    "evidence_testcase": {
        "evidence_id": "int8", "suite": "text", "name": "text", "classname": "text", "status": "text",
        "duration_s": "float8", "attempts": "int4", "message": "text",
    },
}  # fmt: skip


def _without_nul(*values: str) -> tuple[str, ...]:
    # PostgreSQL text cannot hold NUL bytes, which hostile reports do contain. One search over the row's
    # text (in C) instead of one call per field: real reports never have them.
    if "\x00" in "".join(values):
        return tuple(value.replace("\x00", "") for value in values)
    return values


class CopySink:
    """A RowSink that streams rows into PostgreSQL through one COPY kept open while the parser reads.

    One COPY for the whole report, rather than one per batch, lets the server insert rows on its own core
    while this process parses the next ones; a COPY per batch waits for the server every batch. Use it as
    a context manager: a normal exit completes the COPY, an exception cancels it so that the caller's
    savepoint can roll back (the connection can run nothing else while a COPY is open).
    """

    def __init__(self, evidence: Evidence):
        self.evidence_id = evidence.pk
        self._table = ""  # the table of the open COPY, "" when none is open
        self._open = ExitStack()  # the cursor and COPY of that table
        self._write_row: Callable[[tuple], None] | None = None  # the open COPY's write_row

    def __enter__(self) -> CopySink:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self._table, self._write_row = "", None
        # With an exception, psycopg ends the COPY with an error message instead of completing it.
        self._open.__exit__(exc_type, exc, traceback)

    # Columns with a max_length are varchar(limit): longer hostile values are clipped rather than abort
    # the COPY (slicing a string shorter than the limit returns it without a copy).

    def finding(self, row: FindingRow) -> None:
        if self._table != "evidence_finding":
            self._begin("evidence_finding")
        category, severity, rule_id, title, location, package, installed, fixed = _without_nul(
            row.category, row.severity, row.rule_id, row.title, row.location, row.package, row.installed_version,
            row.fixed_version,
        )  # fmt: skip
        self._write_row(
            (self.evidence_id, category[:20], severity[:10], rule_id[:300], title, location, row.line, package[:300],
             installed[:200], fixed[:300]),
        )  # fmt: skip

    def component(self, row: ComponentRow) -> None:
        if self._table != "evidence_component":
            self._begin("evidence_component")
        name, version, purl, licenses, component_type = _without_nul(
            row.name, row.version, row.purl, row.licenses, row.component_type
        )
        self._write_row((self.evidence_id, name, version[:300], purl, licenses, component_type[:60]))

    def test_case(self, row: TestCaseRow) -> None:
        if self._table != "evidence_testcase":
            self._begin("evidence_testcase")
        suite, name, classname, message = _without_nul(row.suite, row.name, row.classname, row.message)
        self._write_row(
            (self.evidence_id, suite, name, classname, row.status[:10], row.duration_s, row.attempts, message),
        )

    def _begin(self, table: str) -> None:
        # Parsers write one kind of row, so this runs once per report; a parser mixing kinds would
        # still be correct, with one COPY per switch.
        self.flush()
        cursor = self._open.enter_context(connection.cursor())
        columns = _COLUMNS[table]
        copy = self._open.enter_context(cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN"))
        copy.set_types(list(columns.values()))
        self._table, self._write_row = table, copy.write_row

    def flush(self) -> None:
        """Complete the open COPY: every row written so far is in its table."""
        self.__exit__(None, None, None)
