"""`make bench [BENCH=name]`: speed and memory of Gatehouse against a physical baseline measured in the same run.

Each measure prints one line: ``BENCH <name> key=value ...``. Ratios compare Gatehouse's end-to-end work
with the least any implementation must do on the same machine at the same moment, so they do not drift
with the machine's speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import psycopg
from lxml import etree

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench import generate  # noqa: E402
from config import dataservices  # noqa: E402

DATA = BASE_DIR / "bench-data"


def bench_database_url() -> str:
    """A database of its own on the configured (or embedded) server, migrated."""
    server_url = dataservices.database_url()
    with psycopg.connect(server_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'gatehouse_bench'").fetchone():
            conn.execute("CREATE DATABASE gatehouse_bench")
    url = urlsplit(server_url)._replace(path="/gatehouse_bench").geturl()
    os.environ["DATABASE_URL"] = url
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, check=True)
    return url


# name: (file name, generator, rows, decode, baseline rows, COPY table columns)
def _trivy_rows(doc) -> list[tuple]:
    return [
        (1, "vulnerability", v["Severity"].lower(), v["VulnerabilityID"], v["Title"], r["Target"], None,
         v["PkgName"], v["InstalledVersion"], v.get("FixedVersion", ""))
        for r in doc["Results"] for v in r["Vulnerabilities"]
    ]  # fmt: skip


def _cdx_rows(doc) -> list[tuple]:
    return [
        (1, c["name"], c["version"], c["purl"], c["licenses"][0]["license"]["id"], c["type"]) for c in doc["components"]
    ]


def _junit_rows(tree) -> list[tuple]:
    rows = []
    for suite in tree.getroot():
        for case in suite:
            status = "failed" if len(case) and case[0].tag == "failure" else "skipped" if len(case) else "passed"
            rows.append((1, suite.get("name"), case.get("name"), case.get("classname"), status,
                         float(case.get("time")), 1, ""))  # fmt: skip
    return rows


FINDING_COLUMNS = "evidence_id int, category text, severity text, rule_id text, title text, location text, " \
    "line int, package text, installed_version text, fixed_version text"  # fmt: skip
COMPONENT_COLUMNS = "evidence_id int, name text, version text, purl text, licenses text, component_type text"
TESTCASE_COLUMNS = "evidence_id int, suite text, name text, classname text, status text, duration_s float8, " \
    "attempts int, message text"  # fmt: skip

CASES: dict[str, tuple[str, Callable[[Path, int], int], int, Callable, Callable, str]] = {
    "ingest-trivy": ("trivy-50k.json", generate.trivy, 50_000, orjson.loads, _trivy_rows, FINDING_COLUMNS),
    "ingest-cyclonedx": ("cyclonedx-100k.json", generate.cyclonedx, 100_000, orjson.loads, _cdx_rows,
                         COMPONENT_COLUMNS),
    "ingest-junit": ("junit-200k.xml", generate.junit, 200_000, None, _junit_rows, TESTCASE_COLUMNS),
    # The memory target: a ~500 MB report (run alone: `make bench BENCH=ingest-junit-500mb`).
    "ingest-junit-500mb": ("junit-4m.xml", generate.junit, 4_400_000, None, _junit_rows, TESTCASE_COLUMNS),
}  # fmt: skip
DEFAULT = ["ingest-trivy", "ingest-cyclonedx", "ingest-junit"]


def baseline_seconds(path: Path, decode, to_rows, columns: str, db_url: str) -> float:
    """Decode the same bytes and COPY the same rows into an unindexed table: the physical floor."""
    started = time.perf_counter()
    data = path.read_bytes()
    doc = etree.parse(str(path)) if decode is None else decode(data)
    rows = to_rows(doc)
    with psycopg.connect(db_url) as conn:
        conn.execute(f"CREATE TEMP TABLE baseline ({columns})")
        with conn.cursor().copy("COPY baseline FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.rollback()
    return time.perf_counter() - started


def run_ingest(name: str, db_url: str) -> None:
    file_name, generator, rows, decode, to_rows, columns = CASES[name]
    DATA.mkdir(exist_ok=True)
    path = DATA / file_name
    if not path.exists():
        generator(path, rows)
    size_mb = path.stat().st_size / 1e6
    # The 500 MB case is above the default upload limit; the benchmark measures the pipeline, not the limit.
    env = {**os.environ, "GATEHOUSE_MAX_UPLOAD_BYTES": str(2**31)}
    child = subprocess.run([sys.executable, "-m", "bench.ingest_one", str(path)], cwd=BASE_DIR, env=env,
                           capture_output=True, text=True)  # fmt: skip
    if child.returncode:
        print(f"BENCH {name} error={child.stderr.strip().splitlines()[-1]!r}", flush=True)
        return
    result = json.loads(child.stdout.strip().splitlines()[-1])
    floor = None if name.endswith("500mb") else baseline_seconds(path, decode, to_rows, columns, db_url)
    ratio = f"{result['seconds'] / floor:.2f}" if floor else "n/a"
    floor_text = f"{floor:.2f}" if floor else "n/a"
    print(
        f"BENCH {name} ratio={ratio} mb_s={size_mb / result['seconds']:.1f} rss_mb={result['rss_mb']:.0f} "
        f"size_mb={size_mb:.0f} rows={rows} seconds={result['seconds']:.2f} baseline_s={floor_text}",
        flush=True,
    )


def main(argv: list[str]) -> int:
    names = argv or DEFAULT
    unknown = [name for name in names if name not in CASES]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(CASES)}", file=sys.stderr)
        return 2
    db_url = bench_database_url()
    for name in names:
        run_ingest(name, db_url)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
