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
    # The memory target: ~500 MB reports (peak RSS under 200 MB), one per streaming parser family.
    "ingest-junit-500mb": ("junit-4m.xml", generate.junit, 4_400_000, None, _junit_rows, TESTCASE_COLUMNS),
    "ingest-trivy-500mb": ("trivy-600k.json", generate.trivy, 600_000, None, _trivy_rows, FINDING_COLUMNS),
    "ingest-cyclonedx-500mb": ("cyclonedx-1350k.json", generate.cyclonedx, 1_350_000, None, _cdx_rows,
                               COMPONENT_COLUMNS),
}  # fmt: skip


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


BUNDLE_PARTS, BUNDLE_PART_BYTES = 8, 128 * 1024 * 1024  # 1 GiB of raw artifacts


def _bundle_part(path: Path, number: int) -> None:
    """A 128 MiB JUnit-like text file, different in every part (so every part is its own artifact)."""
    with open(path, "w") as handle:
        for block in range(BUNDLE_PART_BYTES // (1024 * 1024)):
            lines, size = [f"<!-- part {number} block {block} -->\n"], 0
            while size < 1024 * 1024 - 200:
                line = f'<testcase classname="bench.p{number}.b{block}" name="test_{size}" time="0.{size % 997}"/>\n'
                lines.append(line)
                size += len(line)
            handle.write("".join(lines)[: 1024 * 1024].ljust(1024 * 1024, "\n"))


def _bundle_release() -> tuple[int, int]:
    """An approved-looking release whose commit holds 1 GiB of artifacts, created once in the bench database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import hashlib

    from django.core.files import File

    from checklists.models import Release
    from checklists.services import release_create
    from evidence.models import Artifact
    from evidence.storage import raw_path, raw_storage
    from releases.services import service_create

    service = service_create(slug="bench-bundle", actor="bench")
    release = Release.objects.filter(service=service, version="1.0.0").first()
    if release is None:
        release, _ = release_create(service=service, version="1.0.0", commit_sha="b" * 40,
                                    checklist_name="release-v1", actor="bench")  # fmt: skip
    for number in range(BUNDLE_PARTS):
        name = f"junit-part-{number}.xml"
        if Artifact.objects.filter(commit=release.commit, original_name=name).exists():
            continue
        path = DATA / f"bundle-{name}"
        if not path.exists() or path.stat().st_size != BUNDLE_PART_BYTES:
            _bundle_part(path, number)
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
        sha = digest.hexdigest()
        if not raw_storage().exists(raw_path(sha)):
            with open(path, "rb") as handle:
                raw_storage().save(raw_path(sha), File(handle))
        Artifact.objects.create(sha256=sha, size=BUNDLE_PART_BYTES, original_name=name, kind="tests",
                                format="junit-xml", service=service, commit=release.commit, uploader="bench",
                                status=Artifact.Status.PARSED)  # fmt: skip
    total = sum(Artifact.objects.filter(commit=release.commit).values_list("size", flat=True))
    return release.pk, total


def run_bundle_1gb(name: str, db_url: str) -> None:
    """`manage.py bundle_export` of a release holding 1 GiB of artifacts; its peak RSS is the figure (< 150 MB)."""
    DATA.mkdir(exist_ok=True)
    release_id, artifact_bytes = _bundle_release()
    out = DATA / "bundle-1gb.zip"
    log = DATA / "bundle-1gb.log"
    started = time.perf_counter()
    with open(log, "w") as output:
        command = ["bundle_export", "--release", str(release_id), "--out", str(out)]
        child = subprocess.run([sys.executable, "-m", "bench.command_rss", *command], cwd=BASE_DIR, stdout=output,
                               stderr=output)  # fmt: skip
    seconds = time.perf_counter() - started
    last_line = log.read_text().strip().splitlines()[-1]
    if child.returncode:
        print(f"BENCH {name} error={last_line!r}", flush=True)
        return
    rss_mb = json.loads(last_line)["rss_mb"]  # the export's own peak, not the benchmark's
    print(
        f"BENCH {name} rss_mb={rss_mb:.0f} artifacts_mb={artifact_bytes / 1e6:.0f} "
        f"size_mb={out.stat().st_size / 1e6:.0f} seconds={seconds:.2f} mb_s={artifact_bytes / 1e6 / seconds:.1f}",
        flush=True,
    )


# Measures that are not an ingest: name -> function(name, db_url).
def run_dashboard(name: str, db_url: str) -> None:
    """The delivery dashboard at 1M deployments / 200k incidents / 5M gate runs (see metrics/benchmark.py)."""
    from metrics.benchmark import run_dashboard as measure

    measure(name, db_url)


OTHER_CASES: dict[str, Callable[[str, str], None]] = {"bundle-1gb": run_bundle_1gb, "dashboard": run_dashboard}
# `make bench` runs every measure (the first run generates ~2 GB of files and seeds the dashboard's rows).
DEFAULT = [*CASES, *OTHER_CASES]


def main(argv: list[str]) -> int:
    names = argv or DEFAULT
    unknown = [name for name in names if name not in CASES and name not in OTHER_CASES]
    if unknown:
        print(
            f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join([*CASES, *OTHER_CASES])}",
            file=sys.stderr,
        )
        return 2
    db_url = bench_database_url()
    for name in names:
        if name in OTHER_CASES:
            OTHER_CASES[name](name, db_url)
        else:
            run_ingest(name, db_url)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
