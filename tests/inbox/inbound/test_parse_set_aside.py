"""Long runs of base64 lines are set aside while the email package parses (inbox.inbound.parse,
`read_message`): the parser sees a few lines instead of thousands, and the tree it builds is the
one it builds from the whole message."""

from __future__ import annotations

import base64
import random
import re
from email.feedparser import BytesFeedParser
from email.message import Message
from pathlib import Path

import pytest

from inbox.inbound import parse as parse_module
from inbox.inbound.parse import parse, read_message

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"


def shape(message: Message) -> list[object]:
    """Everything the pipeline can read from a parsed tree: each part's header fields, defects,
    preamble, epilogue and payload text."""
    found: list[object] = []
    stack = [message]
    while stack:
        part = stack.pop()
        found.append(
            (
                [(name, str(value)) for name, value in part.items()],
                [type(defect).__name__ for defect in part.defects],
                part.preamble,
                part.epilogue,
            )
        )
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend(child for child in payload if isinstance(child, Message))
        else:
            found.append(payload)
    return found


def whole(raw: bytes) -> Message:
    parser = BytesFeedParser()
    parser.feed(raw)
    return parser.close()


def base64_lines(rng: random.Random, size: int, newline: bytes) -> bytes:
    return base64.encodebytes(rng.randbytes(size)).replace(b"\n", newline)


SCRIPTS = (
    "abcdefghijklmnopqrstuvwxyzéèüöçñß",  # Latin with accents
    "абвгдежзиклмнопрстуфхцчшщыэюя",  # Cyrillic
    "αβγδεζηθικλμνξοπρστυφχψω",  # Greek
    "的一是不了人我在有他这为之大来以个中上们",  # CJK
    "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",  # Arabic
)


def random_mime(rng: random.Random) -> bytes:
    """A message of random shape: nested multiparts with random boundaries, line breaks, base64
    parts, runs of base64-looking lines in text parts, preambles and epilogues, a forwarded
    message, base64 with mixed line breaks glued to the next boundary, 8-bit HTML-only parts in
    other scripts, a close delimiter that is sometimes missing."""
    newline = rng.choice([b"\r\n", b"\n"])

    def leaf(depth: int) -> bytes:
        kind = rng.random()
        if kind < 0.4:
            body = base64_lines(rng, rng.randint(2_000, 60_000), newline)
            name = f"f{rng.randint(1, 999)}.bin".encode()
            return (
                b"Content-Type: application/octet-stream" + newline
                + b'Content-Disposition: attachment; filename="' + name + b'"' + newline
                + b"Content-Transfer-Encoding: base64" + newline + newline + body
            )  # fmt: skip
        if kind < 0.6:
            # Text whose lines look like base64 (a key, a hash list): set aside just the same.
            lines = newline.join(
                "".join(rng.choices("ABCdef0123456789+/", k=rng.randint(16, 90))).encode()
                for _ in range(rng.randint(10, 120))
            )
            return b"Content-Type: text/plain" + newline + newline + lines + newline
        if kind < 0.7 and depth < 3:
            inner = (
                b"From: inner@example.org" + newline + b"Subject: inner" + newline
                + multipart(depth + 1)
            )  # fmt: skip
            return b"Content-Type: message/rfc822" + newline + newline + inner
        if kind < 0.75:
            # A part whose base64 follows its header fields with no blank line (a defect).
            return (
                b"Content-Transfer-Encoding: base64"
                + newline
                + base64_lines(rng, rng.randint(3_000, 9_000), newline)
            )
        if kind < 0.82:
            # Base64 whose lines end now in CRLF, now in LF, and whose last line runs into the
            # next boundary with no line break (glued).
            lines = base64_lines(rng, rng.randint(3_000, 9_000), b"\n").split(b"\n")
            body = b"".join(line + rng.choice([b"\r\n", b"\n"]) for line in lines[:-2])
            return (
                b"Content-Type: image/png" + newline + b"Content-Transfer-Encoding: base64"
                + newline + newline + body + lines[-2]
            )  # fmt: skip
        if kind < 0.9:
            # HTML only, 8-bit, in another script, with a long glued line.
            letters = rng.choice(SCRIPTS)
            text = " ".join("".join(rng.choices(letters, k=rng.randint(2, 9))) for _ in range(300))
            return (
                b"Content-Type: text/html; charset=utf-8" + newline
                + b"Content-Transfer-Encoding: 8bit" + newline + newline
                + f"<div><p>{text}</p></div>".encode() + newline
            )  # fmt: skip
        return b"Content-Type: text/plain" + newline + newline + b"Hello there." + newline

    def multipart(depth: int) -> bytes:
        boundary = "".join(rng.choices("abcXYZ0189'()+_,./:=?", k=rng.randint(1, 40))).encode()
        parts = [
            multipart(depth + 1) if depth < 3 and rng.random() < 0.25 else leaf(depth)
            for _ in range(rng.randint(1, 4))
        ]
        preamble = base64_lines(rng, 3_000, newline) if rng.random() < 0.2 else b""
        out = b'Content-Type: multipart/mixed; boundary="' + boundary + b'"' + newline + newline
        out += preamble
        for part in parts:
            padding = rng.choice([b"", b" ", b"\t "])
            out += b"--" + boundary + padding + newline + part
            if not part.endswith(newline):
                out += newline
        if rng.random() < 0.9:
            out += b"--" + boundary + b"--" + newline
            if rng.random() < 0.3:
                out += base64_lines(rng, 4_000, newline)  # an epilogue
        return out

    head = b"From: a@example.org" + newline + b"Subject: random" + newline
    return head + (multipart(0) if rng.random() < 0.85 else leaf(0))


@pytest.fixture
def set_aside_from_any_size(monkeypatch):
    monkeypatch.setattr(parse_module, "SKELETON_MIN_BYTES", 0)


def test_random_shapes_parse_to_the_tree_of_the_whole_message(set_aside_from_any_size):
    rng = random.Random(20261204)
    set_aside = 0
    for _ in range(300):
        raw = random_mime(rng)
        set_aside += bool(parse_module._BASE64_RUN.search(raw))
        assert shape(read_message(raw)) == shape(whole(raw))
    assert set_aside > 200  # the shapes did exercise the set-aside path


def test_every_corpus_message_parses_to_the_tree_of_the_whole_message(set_aside_from_any_size):
    messages = sorted(CORPUS.rglob("*.eml"))
    assert len(messages) > 300
    for path in messages:
        raw = path.read_bytes()
        assert shape(read_message(raw)) == shape(whole(raw)), path.name


def feeds(monkeypatch) -> list[int]:
    """Sizes of what the email package's parser is given."""
    fed: list[int] = []
    original = BytesFeedParser.feed

    def feed(self, data):
        fed.append(len(data))
        return original(self, data)

    monkeypatch.setattr(BytesFeedParser, "feed", feed)
    return fed


def attachment_mail(payload: bytes, *, text: str = "See attached.") -> bytes:
    encoded = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    return (
        b'From: a@example.org\r\nSubject: report\r\nContent-Type: multipart/mixed; boundary="b"'
        b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n" + text.encode() + b"\r\n--b\r\n"
        b'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="r.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded + b"--b--\r\n"
    )


def test_a_large_attachment_is_not_given_to_the_email_parser(monkeypatch):
    payload = random.Random(1).randbytes(500_000)
    raw = attachment_mail(payload)
    fed = feeds(monkeypatch)
    parsed = parse(raw)
    assert sum(fed) < 1_000, fed  # 684 KB of MIME; the parser saw the headers and one marker
    assert parsed.text.strip() == "See attached."
    assert [a.filename for a in parsed.attachments] == ["r.pdf"]
    assert parsed.attachments[0].payload == payload


def test_a_small_message_is_parsed_whole(monkeypatch):
    raw = attachment_mail(b"x" * 2_000)
    fed = feeds(monkeypatch)
    parse(raw)
    assert sum(fed) == len(raw)


def test_a_sender_cannot_forge_the_marker(set_aside_from_any_size):
    payload = random.Random(2).randbytes(10_000)
    forged = "_HelpdeskSetAside0_ and _HelpdeskSetAsideX0_"
    parsed = parse(attachment_mail(payload, text=forged))
    assert parsed.text.strip() == forged
    assert parsed.attachments[0].payload == payload


def test_a_marker_found_anywhere_else_parses_the_whole_message(
    set_aside_from_any_size, monkeypatch
):
    # A run found in a header field's value (never, for real: a run starts a line and has no
    # ":"): the set-aside tree is refused and the whole message is parsed.
    monkeypatch.setattr(parse_module, "_BASE64_RUN", re.compile(rb"(?<=Subject: )[a-z]+\r\n"))
    raw = attachment_mail(random.Random(3).randbytes(5_000))
    fed = feeds(monkeypatch)
    parsed = parse(raw)
    assert parsed.subject == "report"
    assert sum(fed) > len(raw)  # parsed twice: set aside, then whole
