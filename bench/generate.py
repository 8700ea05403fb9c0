"""Large, realistic reports for the benchmark, written in a streaming fashion (never held in memory)."""

from __future__ import annotations

import random
from pathlib import Path

import orjson

SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]


def trivy(path: Path, vulnerabilities: int, *, seed: int = 7) -> int:
    """A Trivy image report with ``vulnerabilities`` entries spread over 20 targets; returns row count."""
    rng = random.Random(seed)
    per_target = max(1, vulnerabilities // 20)
    written = 0
    with path.open("wb") as out:
        out.write(b'{"SchemaVersion": 2, "ArtifactName": "ghcr.io/acme/bench:1.0", "ArtifactType": "container_image",')
        out.write(b'"Metadata": {"OS": {"Family": "debian", "Name": "12.5"}}, "Results": [')
        target = 0
        while written < vulnerabilities:
            if target:
                out.write(b",")
            out.write(b'{"Target": "layer-%d", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [' % target)
            count = min(per_target, vulnerabilities - written)
            for i in range(count):
                if i:
                    out.write(b",")
                pkg = f"lib{rng.randrange(5000)}"
                out.write(orjson.dumps({
                    "VulnerabilityID": f"CVE-20{rng.randrange(10, 26)}-{rng.randrange(100000)}",
                    "PkgID": f"{pkg}@1.{rng.randrange(40)}", "PkgName": pkg,
                    "InstalledVersion": f"1.{rng.randrange(40)}.{rng.randrange(9)}",
                    "FixedVersion": f"1.{rng.randrange(40, 60)}.0", "Status": "fixed",
                    "Severity": rng.choice(SEVERITIES), "SeveritySource": "nvd",
                    "PrimaryURL": "https://avd.aquasec.com/nvd/cve",
                    "Title": "A flaw was found in the parsing code that allows a remote attacker to crash",
                    "Description": "Long description " * rng.randrange(5, 30),
                    "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "V3Score": 7.5}},
                    "References": [f"https://example.org/ref/{j}" for j in range(rng.randrange(1, 8))],
                }))  # fmt: skip
            out.write(b"]}")
            written += count
            target += 1
        out.write(b"]}")
    return written


def cyclonedx(path: Path, components: int, *, seed: int = 7) -> int:
    rng = random.Random(seed)
    with path.open("wb") as out:
        out.write(b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,')
        out.write(b'"metadata": {"component": {"type": "application", "name": "bench-app"}}, "components": [')
        for i in range(components):
            if i:
                out.write(b",")
            name = f"package-{i}"
            version = f"{rng.randrange(10)}.{rng.randrange(50)}.{rng.randrange(20)}"
            out.write(orjson.dumps({
                "bom-ref": f"pkg:npm/{name}@{version}", "type": "library", "name": name, "version": version,
                "purl": f"pkg:npm/{name}@{version}",
                "licenses": [{"license": {"id": rng.choice(["MIT", "Apache-2.0", "BSD-3-Clause", "ISC"])}}],
                "hashes": [{"alg": "SHA-256", "content": f"{rng.getrandbits(256):064x}"}],
                "properties": [{"name": "syft:package:foundBy", "value": "javascript-lock-cataloger"}],
            }))  # fmt: skip
        out.write(b"]}")
    return components


def junit(path: Path, cases: int, *, seed: int = 7) -> int:
    rng = random.Random(seed)
    per_suite = 500
    with path.open("wb") as out:
        out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench">\n')
        for start in range(0, cases, per_suite):
            out.write(f'<testsuite name="suite.module{start // per_suite}" tests="{per_suite}">\n'.encode())
            for i in range(start, min(cases, start + per_suite)):
                roll = rng.random()
                name = f"test_behaviour_{i}_does_the_right_thing"
                classname = f"pkg.module{start // per_suite}.TestThing"
                line = f'  <testcase classname="{classname}" name="{name}" time="{rng.random():.3f}"'
                if roll < 0.02:
                    trace = f'Traceback (most recent call last): File "x.py", line {i}'
                    out.write(f'{line}><failure message="assert 1 == 2" type="AssertionError">{trace}</failure>'
                              "</testcase>\n".encode())  # fmt: skip
                elif roll < 0.05:
                    out.write(f'{line}><skipped message="not on this platform"/></testcase>\n'.encode())
                else:
                    out.write(f"{line}/>\n".encode())
            out.write(b"</testsuite>\n")
        out.write(b"</testsuites>\n")
    return cases
