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


def _text(value: str, limit: int | None = None) -> str:
    # PostgreSQL text cannot hold NUL bytes, which hostile reports do contain; columns with a max_length
    # are varchar(limit), and a hostile report must not abort the COPY. (Slicing to a length the value
    # does not reach returns the value itself: no copy in the common case.)
    return (value.replace("\x00", "") if "\x00" in value else value)[:limit]


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

    def finding(self, row: FindingRow) -> None:
        if self._table != "evidence_finding":
            self._begin("evidence_finding")
        self._write_row(
            (
                self.evidence_id, _text(row.category, 20), _text(row.severity, 10), _text(row.rule_id, 300),
                _text(row.title), _text(row.location), row.line, _text(row.package, 300),
                _text(row.installed_version, 200), _text(row.fixed_version, 300),
            ),
        )  # fmt: skip

    def component(self, row: ComponentRow) -> None:
        if self._table != "evidence_component":
            self._begin("evidence_component")
        self._write_row(
            (
                self.evidence_id, _text(row.name), _text(row.version, 300), _text(row.purl), _text(row.licenses),
                _text(row.component_type, 60),
            ),
        )  # fmt: skip

    def test_case(self, row: TestCaseRow) -> None:
        if self._table != "evidence_testcase":
            self._begin("evidence_testcase")
        self._write_row(
            (
                self.evidence_id, _text(row.suite), _text(row.name), _text(row.classname),
                row.status[:10], row.duration_s, row.attempts, _text(row.message),
            ),
        )  # fmt: skip

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
