"""Persisting parser detail rows in batches with PostgreSQL COPY (never row by row)."""

from __future__ import annotations

from django.db import connection

from evidence.models import Evidence
from evidence.parsers.base import ComponentRow, FindingRow, TestCaseRow

BATCH = 5000

_COLUMNS = {
    "evidence_finding": (
        "evidence_id", "category", "severity", "rule_id", "title", "location", "line", "package",
        "installed_version", "fixed_version",
    ),
    "evidence_component": ("evidence_id", "name", "version", "purl", "licenses", "component_type"),
    "evidence_testcase": (
        "evidence_id", "suite", "name", "classname", "status", "duration_s", "attempts", "message",
    ),
}  # fmt: skip


def _clip(text: str, limit: int) -> str:
    # Columns with a max_length are varchar(n); a hostile report must not abort the COPY.
    return text[:limit] if len(text) > limit else text


def _text(value: str) -> str:
    # PostgreSQL text cannot hold NUL bytes, which hostile reports do contain.
    return value.replace("\x00", "") if "\x00" in value else value


class CopySink:
    """A RowSink that buffers rows per table and COPYs each batch into PostgreSQL."""

    def __init__(self, evidence: Evidence):
        self.evidence_id = evidence.pk
        self.buffers: dict[str, list[tuple]] = {table: [] for table in _COLUMNS}
        self.counts: dict[str, int] = dict.fromkeys(_COLUMNS, 0)

    def finding(self, row: FindingRow) -> None:
        self._add(
            "evidence_finding",
            (
                self.evidence_id, _clip(_text(row.category), 20), _clip(_text(row.severity), 10),
                _clip(_text(row.rule_id), 300), _text(row.title), _text(row.location), row.line,
                _clip(_text(row.package), 300), _clip(_text(row.installed_version), 200),
                _clip(_text(row.fixed_version), 300),
            ),
        )  # fmt: skip

    def component(self, row: ComponentRow) -> None:
        self._add(
            "evidence_component",
            (
                self.evidence_id, _text(row.name), _clip(_text(row.version), 300), _text(row.purl),
                _text(row.licenses), _clip(_text(row.component_type), 60),
            ),
        )  # fmt: skip

    def test_case(self, row: TestCaseRow) -> None:
        self._add(
            "evidence_testcase",
            (
                self.evidence_id, _text(row.suite), _text(row.name), _text(row.classname),
                _clip(row.status, 10), row.duration_s, row.attempts, _text(row.message),
            ),
        )  # fmt: skip

    def _add(self, table: str, values: tuple) -> None:
        buffer = self.buffers[table]
        buffer.append(values)
        if len(buffer) >= BATCH:
            self._flush_table(table)

    def _flush_table(self, table: str) -> None:
        rows = self.buffers[table]
        if not rows:
            return
        sql = f"COPY {table} ({', '.join(_COLUMNS[table])}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for values in rows:
                copy.write_row(values)
        self.counts[table] += len(rows)
        self.buffers[table] = []

    def flush(self) -> None:
        for table in _COLUMNS:
            self._flush_table(table)
