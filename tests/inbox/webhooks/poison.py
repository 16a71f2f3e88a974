"""Messages that break Python's email package or anymail (docs/reliability.md, "Bad input")."""

from __future__ import annotations


def deep_nesting(levels: int = 1000) -> bytes:
    head = [b"From: Nested <nested@example.org>", b"Subject: Deep", b"MIME-Version: 1.0"]
    lines = [*head, b'Content-Type: multipart/mixed; boundary="b0"', b""]
    for level in range(levels):
        lines += [
            f"--b{level}".encode(),
            f'Content-Type: multipart/mixed; boundary="b{level + 1}"'.encode(),
            b"",
        ]
    lines += [
        f"--b{levels}".encode(),
        b"Content-Type: text/plain",
        b"",
        b"core",
        f"--b{levels}--".encode(),
    ]
    for level in reversed(range(levels)):
        lines.append(f"--b{level}--".encode())
    return b"\r\n".join(lines) + b"\r\n"


CRLF_IN_DISPLAY_NAME = (
    b"From: =?utf-8?q?Evil=0D=0ABcc=3A_victim=40example=2Eorg?= <evil@example.org>\r\n"
    b"Subject: injected\r\n\r\nbody\r\n"
)
SEVERAL_FROM = (
    b"From: First <first@example.org>, Second <second@example.org>\r\n"
    b"Subject: two authors\r\n\r\nbody\r\n"
)
UNKNOWN_CHARSET = (
    b"From: Someone <someone@example.org>\r\nSubject: =?x-no-such-charset?q?hi?=\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\n\xff\xfe odd\r\n"
)
BAD_BASE64 = (
    b"From: Someone <someone@example.org>\r\nSubject: bad base64\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8gd29y=bGQ*\r\n"
)
UNTERMINATED_MULTIPART = (
    b"From: Someone <someone@example.org>\r\nSubject: unterminated\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n--never-closed\r\n'
    b"Content-Type: text/plain\r\n\r\npart one\r\n"
)
NOT_MIME_AT_ALL = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4
MANY_HEADERS = (
    b"From: Someone <someone@example.org>\r\n" + b"X-Filler: x\r\n" * 5000 + b"\r\nbody\r\n"
)

POISON = {
    "deep_mime_nesting": deep_nesting(),
    "crlf_in_display_name": CRLF_IN_DISPLAY_NAME,
    "several_from_addresses": SEVERAL_FROM,
    "unknown_charset": UNKNOWN_CHARSET,
    "bad_base64": BAD_BASE64,
    "unterminated_multipart": UNTERMINATED_MULTIPART,
    "binary_not_mime": NOT_MIME_AT_ALL,
    "many_headers": MANY_HEADERS,
}
