import io

import pytest

from evidence.parsers import xmlstream
from evidence.parsers.base import ParseError


class _Recorder:
    def __init__(self):
        self.seen: list[tuple] = []

    def start(self, tag, attributes):
        self.seen.append(("start", xmlstream.local_name(tag), attributes))

    def end(self, tag):
        self.seen.append(("end", xmlstream.local_name(tag)))

    def data(self, text):
        if text.strip():
            self.seen.append(("data", text))


def _read(data: bytes, handler) -> None:
    xmlstream.read(io.BytesIO(data), handler, what="test XML", documents="tests")


def test_read_calls_the_handler_for_every_element_and_text():
    recorder = _Recorder()
    _read(b'<a xmlns="urn:x"><b k="v">text</b></a>', recorder)
    assert recorder.seen == [("start", "a", {}), ("start", "b", {"k": "v"}), ("data", "text"), ("end", "b"),
                             ("end", "a")]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file: expected a test XML document"),
        (b"<a><b>", r"truncated test XML \(no element found\) \(at line 1 column 6\)"),
        (b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', "refused unsafe test XML: it declares the entity 'e'"),
        (b'<?xml version="1.0" encoding="shift_jis"?><a/>', "test XML in an encoding that cannot be read"),
    ],
)
def test_read_refuses_with_the_same_messages_as_events(data, message):
    with pytest.raises(ParseError, match=message):
        _read(data, _Recorder())
    with pytest.raises(ParseError, match=message):
        list(xmlstream.events(io.BytesIO(data), what="test XML", documents="tests"))


def test_a_handler_bug_is_not_reported_as_an_encoding_problem():
    class Broken(_Recorder):
        def end(self, tag):
            raise ValueError("bug")

    with pytest.raises(ValueError, match="bug"):
        _read(b"<a/>", Broken())
