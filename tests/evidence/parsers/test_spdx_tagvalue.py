import io
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ComponentRow, ListSink, ParseError, SbomSummary
from evidence.parsers.spdx_tagvalue import SpdxTagValueParser
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (components, spec_version, name), counted with a plain line scan: PackageName lines minus the
# SPDXIDs that "Relationship: SPDXRef-DOCUMENT DESCRIBES" names (the image); the same 2 as the JSON golden
CORPUS = {
    "sbom-spdx/syft-golden-spdx-2.3-image.spdx": (2, "2.3", "user-image-input"),
}


def test_corpus_expectations_cover_every_tag_value_file():
    files = corpus_glob("sbom-spdx", "*.spdx")
    if not files:
        pytest.skip(SKIP_REASON)
    assert sorted(CORPUS) == files


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_spdx_tag_value_corpus_counts(relative):
    path = corpus_file(relative)
    components, spec_version, name = CORPUS[relative]
    summary, sink = parse_path(SpdxTagValueParser(), path)
    assert summary.as_dict() == {
        "kind": "sbom",
        "components": components,
        "spec": "spdx",
        "spec_version": spec_version,
        "name": name,
    }
    assert len(sink.components) == components
    assert detected_formats(path) == ["spdx-tag-value"]


@pytest.mark.corpus
def test_corpus_rows():
    _, sink = parse_path(SpdxTagValueParser(), corpus_file("sbom-spdx/syft-golden-spdx-2.3-image.spdx"))
    assert sink.components == [
        ComponentRow(name="package-2", version="2.0.1", purl="pkg:deb/debian/package-2@2.0.1"),
        ComponentRow(name="package-1", version="1.0.1", purl="a-purl-1", licenses="MIT"),
    ]


def test_only_the_described_package():
    path = DATA / "spdx_tagvalue" / "empty.spdx"
    summary, sink = parse_path(SpdxTagValueParser(), path)
    assert (summary.components, summary.spec_version, summary.name) == (0, "2.3", "empty-dir")
    assert sink.components == []
    assert detected_formats(path) == ["spdx-tag-value"]


def test_one_package():
    path = DATA / "spdx_tagvalue" / "one.spdx"
    summary, sink = parse_path(SpdxTagValueParser(), path)
    assert (summary.components, summary.spec_version, summary.name) == (1, "2.2", "payments-1.4.2")
    # NOASSERTION says nothing, so the declared license stands in; PACKAGE_MANAGER is the older spelling.
    assert sink.components == [
        ComponentRow(name="requests", version="2.31.0", purl="pkg:pypi/requests@2.31.0", licenses="Apache-2.0")
    ]
    assert detected_formats(path) == ["spdx-tag-value"]


def test_many_packages_subjects_text_blocks_and_files():
    path = DATA / "spdx_tagvalue" / "many.spdx"
    summary, sink = parse_path(SpdxTagValueParser(), path)
    # 5 packages: the image (DESCRIBES) and the source (DESCRIBED_BY) are the subject; a DESCRIBES between
    # two packages does not make debian a subject. PackageName/SPDXID lines inside <text> blocks are text,
    # the file is not a component, and the SPDXID inside the extracted license text does not rename flask.
    assert (summary.components, summary.spec_version, summary.name) == (3, "2.3", "ghcr.io/acme/payments:1.4.2")
    assert sink.components == [
        ComponentRow(name="debian", version="12.5", component_type="operating-system"),
        ComponentRow(name="openssl", version="3.0.11-1~deb12u2",
                     purl="pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
                     licenses="Apache-2.0", component_type="library"),
        ComponentRow(name="flask", version="3.0.3", purl="pkg:pypi/flask@3.0.3", licenses="BSD-3-Clause"),
    ]  # fmt: skip
    assert detected_formats(path) == ["spdx-tag-value"]


def test_lines_after_a_file_do_not_belong_to_the_package():
    doc = (
        b"SPDXVersion: SPDX-2.3\nDocumentName: d\nPackageName: a\nSPDXID: SPDXRef-a\nPackageVersion: 1\n"
        b"FileName: ./a.txt\nSPDXID: SPDXRef-file\nPackageVersion: 2\n"
    )
    summary, sink = parse_bytes(SpdxTagValueParser(), doc)
    assert summary.components == 1
    assert sink.components == [ComponentRow(name="a", version="1")]


def test_windows_line_ends_byte_order_mark_and_relationships_first():
    doc = (
        b"\xef\xbb\xbfSPDXVersion: SPDX-2.2\r\nDocumentName: crlf\r\n"
        b"Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-root\r\n"
        b"PackageName: root\r\nSPDXID: SPDXRef-root\r\n\r\nPackageName: lib\r\nSPDXID: SPDXRef-lib\r\n"
        b"PackageVersion: <text>2.0</text>\r\n"
    )
    summary, sink = parse_bytes(SpdxTagValueParser(), doc)
    assert (summary.components, summary.name) == (1, "crlf")
    assert sink.components == [ComponentRow(name="lib", version="2.0")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b" \n\n", "empty file"),
        (b"SPDXVersion: SPDX-2.3\nPackageName: a\nPackageComment: <text>cut here", r"truncated SPDX tag-value: the "
         r"<text> value of PackageComment opened at line 3 never ends"),
        (b"SPDXVersion: SPDX-2.1\nDocumentName: old\n", "SPDX version 'SPDX-2.1' is not supported"),
        (b"SPDXVersion: SPDX-3.0\n", "SPDX version 'SPDX-3.0' is not supported"),
        (b"DocumentName: x\nPackageName: a\n", "no SPDXVersion line"),
        (b"# only a comment\n", "no SPDXVersion line"),
        (b"SPDXVersion: SPDX-2.3\nthis line has no tag\n", "line 2 is not a 'Tag: value' line: 'this line has no tag'"),
        (b'{"spdxVersion": "SPDX-2.3", "packages": []}', "line 1 is not a 'Tag: value' line"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "line 1 is not a 'Tag: value' line"),
        (b"SPDXVersion: SPDX-2.3\nPackageComment: " + b"x" * (1024 * 1024 + 10), "line 2 is longer than"),
    ],
)  # fmt: skip
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(SpdxTagValueParser(), data)


@pytest.mark.parametrize(
    "data",
    [
        b"# SPDXVersion: SPDX-2.3\nsomething else\n",
        b'{"note": "SPDXVersion: SPDX-2.3"}',
        b"<doc>\nSPDXVersion: SPDX-2.3\n</doc>",
    ],
)
def test_not_detected(tmp_path, data):
    path = tmp_path / "upload"
    path.write_bytes(data)
    assert "spdx-tag-value" not in detected_formats(path)


def test_unused_text_blocks_are_read_past_not_kept():
    # 20 MB of extracted license text: only the tags whose values are used keep their <text> blocks.
    text = b"Permission is hereby granted, free of charge, to any person.\n" * 330_000
    stream = io.BytesIO(b"SPDXVersion: SPDX-2.3\nLicenseID: LicenseRef-x\nExtractedText: <text>" + text + b"</text>\n")
    tracemalloc.start()
    try:
        summary = SpdxTagValueParser().parse(stream, ListSink())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.components == 0
    assert peak < 1024 * 1024


_OPENING = b"SPDXVersion: SPDX-2.3\nDocumentName: fuzz\nPackageName: a\nSPDXID: SPDXRef-a\nPackageVersion: "


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(lambda tail: _OPENING + tail)))
def test_arbitrary_bytes_give_a_summary_or_parse_error(data):
    try:
        summary, _sink = parse_bytes(SpdxTagValueParser(), data)
    except ParseError:
        return
    assert isinstance(summary, SbomSummary)
