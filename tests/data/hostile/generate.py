"""Writes the hostile corpus beside this file: `python tests/data/hostile/generate.py`.

Each file is a way real uploads go wrong or attack a parser. The files are committed so the tests
do not depend on this script; re-run it after changing it.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

TRIVY = {
    "SchemaVersion": 2,
    "ArtifactName": "img",
    "Results": [{"Target": "t", "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "PkgName": "p",
                                                      "InstalledVersion": "1", "Severity": "HIGH"}]}],
}  # fmt: skip
JUNIT = (
    b'<?xml version="1.0"?><testsuites><testsuite name="s"><testcase name="a" time="0.1"/>'
    b'<testcase name="b"><failure message="boom"/></testcase></testsuite></testsuites>'
)


def files() -> dict[str, bytes]:
    trivy = json.dumps(TRIVY).encode()
    out = {
        "empty.bin": b"",
        "whitespace.json": b" \n\t \n",
        "truncated-json-early.json": trivy[:10],
        "truncated-json-middle.json": trivy[: len(trivy) // 2],
        "truncated-json-late.json": trivy[:-2],
        "truncated-xml-early.xml": JUNIT[:30],
        "truncated-xml-middle.xml": JUNIT[: len(JUNIT) // 2],
        "truncated-xml-late.xml": JUNIT[:-5],
        "billion-laughs.xml": (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + b"".join(
                f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
                for i in range(1, 10)
            )
            + b']><testsuites><testsuite name="&lol9;"/></testsuites>'
        ),
        "quadratic-blowup.xml": (
            b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "'
            + b"x" * 50_000
            + b'">]><testsuites><testsuite name="'
            + b"&a;" * 20_000
            + b'"/></testsuites>'
        ),
        "xxe-local-file.xml": (
            b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<testsuites><testsuite name="&xxe;"><testcase name="x"/></testsuite></testsuites>'
        ),
        "xxe-parameter-entity.xml": (
            b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><coverage/>'
        ),
        "deeply-nested-array.json": b"[" * 100_000 + b"]" * 100_000,
        "deeply-nested-object.json": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        "deeply-nested-trivy.json": b'{"SchemaVersion": 2, "ArtifactName": "x", "Results": ' + b"[" * 100_000,
        "deeply-nested.xml": b"<testsuites>" + b"<testsuite>" * 50_000 + b"</testsuite>" * 50_000 + b"</testsuites>",
        "invalid-utf8.json": trivy.replace(b'"img"', b'"\xff\xfe\xfd"'),
        "invalid-utf8.xml": JUNIT.replace(b'name="a"', b'name="\xc3\x28"'),
        "invalid-utf8-lcov.info": b"TN:\nSF:/src/\xff\xfe.c\nDA:1,1\nend_of_record\n",
        "utf16-bom.json": json.dumps(TRIVY).encode("utf-16"),
        "utf16-bom.xml": JUNIT.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>')
        .decode()
        .encode("utf-16"),
        "utf16-broken.json": b"\xff\xfe" + json.dumps(TRIVY).encode("utf-16-le")[:-1],
        "nan-infinity.json": trivy.replace(b'"SchemaVersion": 2', b'"SchemaVersion": NaN, "x": Infinity'),
        "huge-integer.json": trivy.replace(b'"SchemaVersion": 2', b'"SchemaVersion": ' + b"9" * 5000),
        "huge-integer-line.json": trivy.replace(b'"HIGH"', b'"HIGH", "StartLine": ' + b"9" * 400),
        "duplicate-keys.json": trivy.replace(b'"SchemaVersion": 2', b'"SchemaVersion": 2, "SchemaVersion": 2'),
        "wrong-schema-version.json": trivy.replace(b'"SchemaVersion": 2', b'"SchemaVersion": 99'),
        "wrong-types.json": json.dumps({"SchemaVersion": 2, "ArtifactName": [], "Results": {"a": 1}}).encode(),
        "results-wrong-type.json": json.dumps({"SchemaVersion": 2, "Results": [["x"], 1, None]}).encode(),
        "nul-bytes.json": trivy.replace(b'"CVE-1"', b'"CVE\\u0000-1"'),
        "binary-garbage.bin": bytes(range(256)) * 64,
        "gzip-bomb.json.gz": gzip.compress(b'{"SchemaVersion": 2, "Results": [' + b" " * (64 * 1024 * 1024) + b"]}"),
        "gzip-truncated.json.gz": gzip.compress(trivy)[:20],
        "json-lines-garbage.json": b'{"a": 1}\n{"b": 2}\n',
        "xml-not-junit.xml": b'<?xml version="1.0"?><project><name>x</name></project>',
        "html-error-page.html": b"<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>",
        "valid-looking-wrong-version.sarif": json.dumps({"version": "1.0.0", "runs": []}).encode(),
        "sbom-future-version.json": json.dumps({"spdxVersion": "SPDX-9.9", "packages": []}).encode(),
        "cyclonedx-bad-spec.json": json.dumps({"bomFormat": "CycloneDX", "specVersion": "0.1"}).encode(),
    }
    return out


def main() -> None:
    for name, data in files().items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
