import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ComponentRow, ParseError, SbomSummary
from evidence.parsers.spdx_json import SpdxJsonParser
from tests.corpus import corpus_file
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (components, spec_version, name), counted with the plain json module: packages minus the
# elements SPDXRef-DOCUMENT DESCRIBES (none in the syft 0.57.0 file, one image or directory in the others)
CORPUS = {
    "sbom-spdx/syft-0.57.0-spdx-2.2-alpine.json": (14, "2.2", "alpine-latest"),
    "sbom-spdx/syft-0.90.0-spdx-2.3-kubectl-large.json": (
        88, "2.3", "k8supstream.azurecr.io/public/oss/kubernetes/kubectl"),
    "sbom-spdx/syft-golden-spdx-2.3-image.json": (2, "2.3", "user-image-input"),
    "sbom-spdx/trivy-spdx-2.3-julia.json": (4, "2.3", "testdata/fixtures/repo/julia"),
}  # fmt: skip


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_spdx_corpus_counts(relative):
    path = corpus_file(relative)
    components, spec_version, name = CORPUS[relative]
    summary, sink = parse_path(SpdxJsonParser(), path)
    assert summary.as_dict() == {
        "kind": "sbom",
        "components": components,
        "spec": "spdx",
        "spec_version": spec_version,
        "name": name,
    }
    assert len(sink.components) == components
    assert detected_formats(path) == ["spdx-json"]


def test_empty_document():
    summary, sink = parse_path(SpdxJsonParser(), DATA / "spdx" / "empty.json")
    assert (summary.components, summary.spec_version, summary.name) == (0, "2.3", "empty-dir")
    assert sink.components == []


def test_one_package():
    summary, sink = parse_path(SpdxJsonParser(), DATA / "spdx" / "one.json")
    assert (summary.components, summary.spec_version, summary.name) == (1, "2.2", "payments-1.4.2")
    # NOASSERTION says nothing, so the declared license stands in for the concluded one.
    assert sink.components == [
        ComponentRow(name="requests", version="2.31.0", purl="pkg:pypi/requests@2.31.0", licenses="Apache-2.0")
    ]


def test_described_packages_are_not_components():
    summary, sink = parse_path(SpdxJsonParser(), DATA / "spdx" / "many-with-subjects.json")
    # 5 packages: the image (documentDescribes and DESCRIBES) and the source (DESCRIBED_BY) are the subject;
    # a DESCRIBES between two packages does not make the debian package a subject; files are not counted.
    assert summary.components == 3
    assert sink.components == [
        ComponentRow(name="debian", version="12.5", component_type="operating-system"),
        ComponentRow(name="openssl", version="3.0.11-1", purl="pkg:deb/debian/openssl@3.0.11-1",
                     licenses="Apache-2.0", component_type="library"),
        ComponentRow(name="flask", version="3.0.3", purl="pkg:pypi/flask@3.0.3", licenses="BSD-3-Clause"),
    ]  # fmt: skip


def test_relationships_before_packages():
    doc = (
        b'{"relationships": [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",'
        b' "relatedSpdxElement": "SPDXRef-root"}], "packages": [{"SPDXID": "SPDXRef-root", "name": "root"},'
        b' {"SPDXID": "SPDXRef-a", "name": "a"}], "name": "doc", "spdxVersion": "SPDX-2.3"}'
    )
    summary, sink = parse_bytes(SpdxJsonParser(), doc)
    assert summary.components == 1 and [row.name for row in sink.components] == ["a"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b'{"spdxVersion": "SPDX-2.3", "packages": [{"SPDXID": "SPDXRef-a", "na', "truncated or malformed"),
        (b'{"spdxVersion": "SPDX-1.2", "packages": []}', "SPDX version 'SPDX-1.2' is not supported"),
        (b'{"spdxVersion": 2.3, "packages": []}', "SPDX version 2.3 is not supported"),
        (b'{"spdxVersion": "SPDX-2.3", "packages": ["oops"]}', "expected an object in packages"),
        (b'{"spdxVersion": "SPDX-2.3", "relationships": [1]}', "expected an object in relationships"),
        (b'{"name": "x", "packages": []}', "no spdxVersion"),
        (b'{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}', "no spdxVersion"),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(SpdxJsonParser(), data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_summary_or_parse_error(data):
    try:
        summary, _sink = parse_bytes(SpdxJsonParser(), data)
    except ParseError:
        return
    assert isinstance(summary, SbomSummary)
