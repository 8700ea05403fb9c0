import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ComponentRow, ParseError, SbomSummary
from evidence.parsers.cyclonedx_json import CycloneDxJsonParser
from tests.corpus import corpus_file
from tests.evidence.parsers.helpers import DATA, detected_formats, parse_bytes, parse_path

# file: (components, spec_version, name), counted with the plain json module: every entry of components,
# nested ones included (none of these files nests), never metadata.component
CORPUS = {
    "sbom-cyclonedx/cyclonedx-maven-plugin-2.7.1-quarkus.json": (94, "1.4", "getting-started"),
    "sbom-cyclonedx/syft-0.58.0-cdx-1.4-alpine.json": (15, "1.4", "docker.io/library/alpine:latest"),
    "sbom-cyclonedx/syft-0.58.0-cdx-1.4-mongo-large.json": (293, "1.4", "docker.io/library/mongo"),
    "sbom-cyclonedx/syft-golden-cdx-1.7-image.json": (3, "1.7", "user-image-input"),
    "sbom-cyclonedx/trivy-cdx-1.7-npm-with-vulns.json": (13, "1.7", "testdata/fixtures/repo/npm"),
}  # fmt: skip


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_cyclonedx_corpus_counts(relative):
    path = corpus_file(relative)
    components, spec_version, name = CORPUS[relative]
    summary, sink = parse_path(CycloneDxJsonParser(), path)
    assert summary.as_dict() == {
        "kind": "sbom",
        "components": components,
        "spec": "cyclonedx",
        "spec_version": spec_version,
        "name": name,
    }
    assert len(sink.components) == components
    assert detected_formats(path) == ["cyclonedx-json"]


def test_empty_components():
    summary, sink = parse_path(CycloneDxJsonParser(), DATA / "cyclonedx" / "empty.json")
    assert (summary.components, summary.spec_version, summary.name) == (0, "1.5", "empty-service")
    assert sink.components == []


def test_one_component():
    path = DATA / "cyclonedx" / "one.json"
    summary, sink = parse_path(CycloneDxJsonParser(), path)
    assert (summary.components, summary.spec_version, summary.name) == (1, "1.6", "")
    assert sink.components == [
        ComponentRow(name="lodash", version="4.17.21", purl="pkg:npm/lodash@4.17.21", licenses="MIT",
                     component_type="library")
    ]  # fmt: skip
    assert detected_formats(path) == ["cyclonedx-json"]


def test_nested_components_count_and_subject_does_not():
    summary, sink = parse_path(CycloneDxJsonParser(), DATA / "cyclonedx" / "nested.json")
    # metadata.component (payments) and what is nested in it are the subject; services are not components.
    assert (summary.components, summary.name) == (6, "payments")
    assert [(row.name, row.component_type, row.licenses) for row in sink.components] == [
        ("spring-boot", "framework", "Apache-2.0"),
        ("spring-core", "library", ""),
        ("spring-jcl", "library", ""),
        ("snakeyaml", "library", "Apache License, Version 2.0"),
        ("jackson-databind", "library", "Apache-2.0 OR MIT"),
        ("debian", "operating-system", ""),
    ]


@pytest.mark.parametrize("version", ["1.2", "1.3", "1.4", "1.5", "1.6", "1.7"])
def test_supported_spec_versions(version):
    doc = b'{"bomFormat": "CycloneDX", "specVersion": "%s", "components": [{"type": "library", "name": "a"}]}'
    summary, _sink = parse_bytes(CycloneDxJsonParser(), doc % version.encode())
    assert (summary.spec_version, summary.components) == (version, 1)


HEAD = b'{"bomFormat": "CycloneDX", "specVersion": "1.5", '


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (HEAD + b'"components": [{"name": "a"', "truncated or malformed"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "0.9"}', "specVersion '0.9' is not supported"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "2.0"}', "specVersion '2.0' is not supported"),
        (b'{"bomFormat": "SPDX", "specVersion": "1.5", "components": []}', "bomFormat is 'SPDX'"),
        (b'{"specVersion": "1.5", "components": []}', 'no bomFormat "CycloneDX"'),
        (b'{"bomFormat": "CycloneDX", "components": []}', "no specVersion"),
        (HEAD + b'"components": {"name": "a"}}', "expected a JSON array at components, found object"),
        (HEAD + b'"components": "a"}', "expected a JSON array at components, found string"),
        (HEAD + b'"components": ["a"]}', "expected an object in components"),
        (
            HEAD + b'"components": [{"name": "a", "components": 1}]}',
            "expected a JSON array at components of 'a'",
        ),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(CycloneDxJsonParser(), data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_summary_or_parse_error(data):
    try:
        summary, _sink = parse_bytes(CycloneDxJsonParser(), data)
    except ParseError:
        return
    assert isinstance(summary, SbomSummary)


def test_detected_when_bom_format_comes_after_a_long_components_array(tmp_path):
    # The head (64 KiB) ends inside components, so detection relies on $schema, specVersion and components.
    components = ",".join(f'{{"type": "library", "name": "pkg-{i}"}}' for i in range(3000))
    path = tmp_path / "late-bomformat.json"
    path.write_text(
        '{"$schema": "http://cyclonedx.org/schema/bom-1.5.schema.json", "specVersion": "1.5", '
        f'"components": [{components}], "bomFormat": "CycloneDX"}}'
    )
    assert detected_formats(path) == ["cyclonedx-json"]
    summary, _sink = parse_path(CycloneDxJsonParser(), path)
    assert summary.components == 3000
