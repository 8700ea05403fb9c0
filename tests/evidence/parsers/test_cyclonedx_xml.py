import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.parsers.base import ComponentRow, ParseError, SbomSummary
from evidence.parsers.cyclonedx_xml import CycloneDxXmlParser
from tests.corpus import SKIP_REASON, corpus_file, corpus_glob
from tests.evidence.parsers.helpers import (
    DATA,
    CountingSink,
    GeneratedStream,
    detected_formats,
    parse_bytes,
    parse_path,
)

# file: (components, spec_version, name), counted with plain xml.etree: <component> elements under the top
# <components> (nested included; none of these files nests), not metadata/component, not the grype
# vulnerability extension elements inside components
CORPUS = {
    "sbom-cyclonedx/cdx-1.2-xml-with-vulns-dd.xml": (308, "1.2", "defectdojo/defectdojo-django:1.15.0"),
    "sbom-cyclonedx/cyclonedx-php-composer-1.3-laravel.xml": (62, "1.3", "cyclonedx-php-composer-demo"),
}  # fmt: skip


def test_corpus_expectations_cover_every_cyclonedx_xml_file():
    files = corpus_glob("sbom-cyclonedx", "*.xml")
    if not files:
        pytest.skip(SKIP_REASON)
    assert sorted(CORPUS) == files


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS))
def test_cyclonedx_xml_corpus_counts(relative):
    path = corpus_file(relative)
    components, spec_version, name = CORPUS[relative]
    summary, sink = parse_path(CycloneDxXmlParser(), path)
    assert summary.as_dict() == {
        "kind": "sbom",
        "components": components,
        "spec": "cyclonedx",
        "spec_version": spec_version,
        "name": name,
    }
    assert len(sink.components) == components
    assert detected_formats(path) == ["cyclonedx-xml"]


@pytest.mark.corpus
def test_corpus_rows():
    _, grype_sink = parse_path(CycloneDxXmlParser(), corpus_file("sbom-cyclonedx/cdx-1.2-xml-with-vulns-dd.xml"))
    assert grype_sink.components[0] == ComponentRow(
        name="Deprecated", version="1.2.12", licenses="MIT", component_type="library")  # fmt: skip
    _, php_sink = parse_path(CycloneDxXmlParser(), corpus_file("sbom-cyclonedx/cyclonedx-php-composer-1.3-laravel.xml"))
    assert php_sink.components[0] == ComponentRow(
        name="stack-cors", version="1.3.0", purl="pkg:composer/asm89/stack-cors@1.3.0", licenses="MIT",
        component_type="library")  # fmt: skip


def test_empty_components():
    path = DATA / "cyclonedx_xml" / "empty.xml"
    summary, sink = parse_path(CycloneDxXmlParser(), path)
    assert (summary.components, summary.spec_version, summary.name) == (0, "1.5", "empty-service")
    assert sink.components == []
    assert detected_formats(path) == ["cyclonedx-xml"]


def test_one_component():
    path = DATA / "cyclonedx_xml" / "one.xml"
    summary, sink = parse_path(CycloneDxXmlParser(), path)
    assert (summary.components, summary.spec_version, summary.name) == (1, "1.6", "")
    assert sink.components == [
        ComponentRow(name="lodash", version="4.17.21", purl="pkg:npm/lodash@4.17.21", licenses="MIT",
                     component_type="library")
    ]  # fmt: skip
    assert detected_formats(path) == ["cyclonedx-xml"]


def test_nested_components_count_and_the_subject_does_not():
    path = DATA / "cyclonedx_xml" / "nested.xml"
    summary, sink = parse_path(CycloneDxXmlParser(), path)
    # metadata/component (payments) and what it nests are the subject; pedigree ancestors, extension
    # elements (x:components, v:vulnerabilities) and services are not components. Rows in document order.
    assert (summary.components, summary.spec_version, summary.name) == (6, "1.4", "payments")
    assert [(row.name, row.component_type, row.licenses) for row in sink.components] == [
        ("spring-boot", "framework", "Apache-2.0"),
        ("spring-core", "library", ""),
        ("spring-jcl", "library", ""),
        ("snakeyaml", "library", "Apache License, Version 2.0"),
        ("jackson-databind", "library", "Apache-2.0 OR MIT"),
        ("debian", "operating-system", ""),
    ]
    assert sink.components[1].purl == "pkg:maven/org.springframework/spring-core@6.1.5?type=jar"
    assert detected_formats(path) == ["cyclonedx-xml"]


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7"])
def test_supported_spec_versions(version):
    doc = f'<bom xmlns="http://cyclonedx.org/schema/bom/{version}"><components><component type="library">'
    doc += "<name>a</name><version>1</version></component></components></bom>"
    summary, _sink = parse_bytes(CycloneDxXmlParser(), doc.encode())
    assert (summary.spec_version, summary.components) == (version, 1)


def _sample(name: str) -> bytes:
    return (DATA / "cyclonedx_xml" / name).read_bytes()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"  \n", "empty file"),
        (_sample("truncated.xml"), r"truncated CycloneDX XML \(unclosed token\) \(at line 6"),
        (_sample("billion-laughs.xml"), "refused unsafe CycloneDX XML: it declares the entity 'lol'"),
        (_sample("xxe-passwd.xml"), "entity 'xxe' pointing at file:///etc/passwd"),
        (b'<bom xmlns="http://cyclonedx.org/schema/bom/2.0"/>', "namespace .*/bom/2.0 is not supported"),
        (b'<bom xmlns="http://cyclonedx.org/schema/bom/0.9"/>', "namespace .*/bom/0.9 is not supported"),
        (b'<bom version="1"><components/></bom>', "<bom> has no namespace, expected http://cyclonedx.org"),
        (b'<bom xmlns="urn:example:bom"/>', "<bom> has namespace urn:example:bom"),
        (b'<testsuites xmlns="http://cyclonedx.org/schema/bom/1.4"/>', "root element <testsuites> is not CycloneDX"),
        (
            b'{"bomFormat": "CycloneDX", "specVersion": "1.5"}',
            r"cannot read CycloneDX XML: not well-formed \(invalid token\) \(at line 1 column 0\)",
        ),
        (b'<bom xmlns="http://cyclonedx.org/schema/bom/1.4"/><bom/>', "junk after document element"),
        (b'<?xml version="1.0" encoding="shift_jis"?><bom/>', "encoding that cannot be read"),
    ],
)
def test_bad_input_raises_parse_error(data, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(CycloneDxXmlParser(), data)


def _generated_bom(components: int) -> Iterator[bytes]:
    yield b'<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components>'
    for index in range(components):
        yield b'<component type="library"><name>pkg-%d</name><version>1.0.%d</version>' % (index, index)
        yield b"<licenses><license><id>MIT</id></license></licenses>"
        yield b"<description>%s</description></component>" % (b"d" * 50)
    yield b"</components></bom>"


def test_memory_stays_bounded_on_a_large_bom():
    components = 50_000  # about 8 MB of XML
    tracemalloc.start()
    try:
        sink = CountingSink()
        summary = CycloneDxXmlParser().parse(GeneratedStream(_generated_bom(components)), sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.components == sink.count == components
    assert peak < 2 * 1024 * 1024


_OPENING = b'<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component type="library"><name>'


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(lambda tail: _OPENING + tail)))
def test_arbitrary_bytes_give_a_summary_or_parse_error(data):
    try:
        summary, _sink = parse_bytes(CycloneDxXmlParser(), data)
    except ParseError:
        return
    assert isinstance(summary, SbomSummary)
