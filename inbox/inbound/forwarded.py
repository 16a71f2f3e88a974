"""Finding the forwarded message inside a mail by the shape of its header block, whatever the
client and its language.

A forward carries the original's header block: a run of "label: value" lines (a label is one to
four words in any script; the colon ASCII, full width or French-spaced; labels may be bold or
starred; the lines may be quoted with ">"), where one value names an address and the others look
like a date or a subject. The block follows a separator line ("---- any words ----", a line of
underscores), an intro line ending in a colon ("Begin forwarded message:"), an HTML quote
container, or stands alone. Known labels and separator words are only hints: they say which line
is the From and whether the separator says "forwarded". With unknown words, position and content
decide, and `ForwardedBlock.rule` says which rule did. Also understood: header lines run together
on one line (Yahoo), "<date>, <name> <address> wrote:" under a forward's subject (Outlook 2019),
and HTML-only mail, read as text with its line structure and the clients' quote containers kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

from inbox.inbound.body_lines import (
    MARK,
    MAX_SCAN,
    Line,
    addresses_in,
    attribution_at,
    dedented,
    html_text,
    is_date_like,
    label_and_value,
    line_offset,
    normalized,
    sender_of,
    separator_words,
    split_lines,
    unquoted,
    without_marks,
)
from inbox.inbound.parse import ParsedEmail

FROM_LABELS = frozenset(
    {
        "from", "von", "de", "da", "van", "od", "fra", "från", "lähettäjä", "feladó", "от",
        "kimden", "odesílatel", "差出人", "发件人", "寄件者", "寄件人", "보낸 사람", "від",
        "από", "מאת", "من", "de la", "dari", "từ",
    }
)  # fmt: skip
DATE_LABELS = frozenset(
    {
        "sent", "date", "gesendet", "datum", "envoyé", "envoye", "enviado", "enviada", "fecha",
        "data", "inviato", "verzonden", "wysłano", "wysłane", "dato", "skickat", "päivämäärä",
        "sendt", "lähetetty", "elküldve", "dátum", "gönderildi", "tarih", "odesláno",
        "отправлено", "дата", "送信日時", "日付", "发送时间", "日期", "傳送時間", "寄件日期",
        "보낸 날짜", "날짜", "надіслано", "στάλθηκε", "ημερομηνία", "נשלח", "תאריך",
        "تاريخ الإرسال", "التاريخ", "trimis", "enviado el", "dikirim", "tanggal", "đã gửi",
        "ngày",
    }
)  # fmt: skip
TO_LABELS = frozenset(
    {
        "to", "an", "à", "a", "para", "aan", "do", "til", "till", "cc", "kopie", "kime", "komu",
        "кому", "宛先", "收件人", "收件者", "받는 사람", "vastaanottaja", "címzett", "προς",
        "אל", "إلى", "către", "kepada", "đến",
    }
)  # fmt: skip
SUBJECT_LABELS = frozenset(
    {
        "subject", "betreff", "objet", "asunto", "assunto", "oggetto", "onderwerp", "temat",
        "emne", "ämne", "aihe", "sujet", "tárgy", "konu", "předmět", "тема", "件名", "主题",
        "主旨", "제목", "θέμα", "נושא", "الموضوع", "subiect", "perihal", "chủ đề",
    }
)  # fmt: skip
ALL_LABELS = FROM_LABELS | DATE_LABELS | TO_LABELS | SUBJECT_LABELS | {"reply-to", "cc", "bcc"}
# Separator and intro words that say "forwarded" (rather than "original message"): a hint that
# the block is a forward even under a reply's subject.
_FORWARD_WORDS = ("forward", "weitergeleitet", "transf", "reenviado", "encaminhad", "inoltrat",
                  "doorgestuurd", "przekazan", "réexpédié", "videresendt", "vidarebefordrat",
                  "välitetty", "továbbított", "letilen", "přeposlan", "пересыла", "転送", "转发",
                  "轉寄", "전달", "yönlendir", "προωθ", "הועבר", "توجيه", "redirecționat",
                  "переслан", "chuyển tiếp", "diteruskan")  # fmt: skip
# Subject prefixes, compared case-folded without dots: a forward's, and a reply's ("VS" is a
# Danish and Norwegian forward but a Finnish reply; forwards are the commoner reading).
FORWARD_PREFIXES = frozenset(
    {
        "fwd", "fw", "fwrd", "wg", "tr", "trs", "rv", "i", "vs", "vb", "vl", "doorst", "pd",
        "enc", "ilt", "redir", "videresend", "weiterleitung", "tov", "přep", "pr", "πρθ",
        "пересл", "fs", "転送", "转发", "轉寄", "전달",
    }
)  # fmt: skip
REPLY_PREFIXES = frozenset(
    {
        "re", "aw", "sv", "antw", "odp", "r", "rif", "res", "vá", "ynt", "απ", "σχετ", "atb",
        "ref", "réf", "rép", "svar", "ответ", "отв", "回复", "答复", "回覆", "返信", "답장",
    }
)  # fmt: skip

MAX_HTML_LOOK = 1_000_000  # HTML source the pre-check looks at (styles and images come first)
MAX_CANDIDATES = 16  # label-line runs (or attribution lines) examined, however long the text
_SUBJECT_PREFIX = re.compile(
    r"\s*(?:\[[^\]\n]{0,40}\]\s*)*\[?\s*(?P<word>[^\W\d_][^\s:\uff1a\[\]()]{0,14}?)\s*"
    r"(?:\[\d+\]|\(\d+\))?\s*[:\uff1a]"
)


@dataclass(frozen=True)
class ForwardedBlock:
    from_email: str  # "" when the From gave a name only (see no_address_name)
    from_name: str
    subject: str
    body: str
    note: str  # what the forwarder wrote above the block
    via: str
    is_forward_marker: bool  # the separator says "forwarded" (not just "original message")
    rule: str = ""  # which rule chose the sender, for the attribution note
    no_address_name: str = ""  # the From named someone without an address: keep the forwarder


def find_forwarded_block(text: str) -> ForwardedBlock | None:
    """The first forwarded header block in `text` that names a sender's address, or None."""
    text = normalized(text)
    found = _header_block(split_lines(text), text)
    return found[1] if found is not None and found[1].from_email else None


def find_forward(
    *, text: str, html: str = "", subject: str = "", replying: bool = False
) -> ForwardedBlock | None:
    """The forwarded message of a mail: a header block in its text, else in its HTML, else an
    "On <date> <name> <address> wrote:" line when the subject says forward.

    A header block under a reply's subject (or, with `replying`, a mail answering another) is
    quoted history unless its separator says "forwarded". A result with an empty `from_email`
    named its sender without an address: the forwarder keeps the mail.
    """
    prefixes = subject_prefixes(subject)
    for is_html, source in ((False, text), (True, html)):
        source = normalized(html_text(source) if is_html else source)
        if not source.strip():
            continue
        lines = split_lines(source)
        found = _header_block(lines, source)
        quoted = _attribution(lines, source) if prefixes[:1] == ["forward"] else None
        if quoted is not None and (found is None or quoted[0] < found[0]):
            return quoted[1]
        if found is not None:
            # A block the subject does not believe is quoted history; the HTML holds the same.
            return found[1] if _believed(found[1], prefixes, replying) else None
    return None


def subject_prefixes(subject: str) -> list[str]:
    """The stacked prefixes of a subject as "forward" or "reply", outermost first, up to the
    first word that is neither ("Fwd: RE: Order: 12" -> ["forward", "reply"])."""
    kinds: list[str] = []
    rest = subject[:300]
    while len(kinds) < 6:
        match = _SUBJECT_PREFIX.match(rest)
        if match is None:
            break
        word = match.group("word").casefold().replace("\u0307", "").rstrip(".")
        kind = "forward" if word in FORWARD_PREFIXES else "reply" if word in REPLY_PREFIXES else ""
        if not kind:
            break
        kinds.append(kind)
        rest = rest[match.end() :]
    return kinds


def _believed(block: ForwardedBlock, prefixes: list[str], replying: bool) -> bool:
    if block.is_forward_marker or "forward" in prefixes:
        return True
    return not prefixes and not replying


def _hint(label: str) -> str:
    """What a known label names: "from", "date", "to", "subject", or "" when unknown."""
    label = label.lower().strip("()").split(" (")[0]
    for kind, labels in (("from", FROM_LABELS), ("date", DATE_LABELS), ("subject", SUBJECT_LABELS)):
        if label in labels:
            return kind
    return "to" if label in ALL_LABELS else ""


def _kind(value: str) -> str:
    if "@" in value and addresses_in(value):
        return "address"
    if is_date_like(value):
        return "date"
    return "text" if value else "empty"


@dataclass(frozen=True)
class _Field:
    label: str
    value: str
    hint: str  # what a known label names ("from", "date", "to", "subject"), else ""
    kind: str  # what the value looks like: "address", "date", "text" or "empty"


def _field(label: str, value: str) -> _Field:
    return _Field(label, value, _hint(label), _kind(value))


@dataclass(frozen=True)
class _Run:
    start: int  # index in the lines of its first field
    end: int  # index after its last line
    depth: int
    fields: tuple[_Field, ...]


def history_start(lines: list[Line], source: str) -> int | None:
    """Index in `lines` where the first header block's history starts (its separator, intro or
    container line, else its first line), or None without one. `source` is the text `lines`
    were split from."""
    found = _header_block(lines, source)
    return found[0] if found is not None else None


def _header_block(lines: list[Line], source: str) -> tuple[int, ForwardedBlock] | None:
    """(index of the line it starts at, block) of the first run of "label: value" lines shaped
    like a header block; the block starts at the separator or intro line above it, if any."""
    tries, index = 0, 0
    while index < len(lines) and tries < MAX_CANDIDATES:
        text = lines[index].text
        if (":" not in text and "\uff1a" not in text) or label_and_value(text) is None:
            index += 1
            continue
        tries += 1
        run = _run_at(lines, index)
        block = _block_from(run, lines, source)
        if block is not None:
            return block
        index = max(run.end, index + 1)
    return None


def _run_at(lines: list[Line], start: int) -> _Run:
    depth, fields, index = lines[start].depth, list[_Field](), start
    while index < len(lines) and len(fields) < 16:
        line = lines[index]
        if line.depth != depth or not line.text.strip() or line.text.startswith(MARK):
            break
        pair = label_and_value(line.text)
        if pair is None:
            if not (fields and _continues(fields[-1], line.text)):
                break
            fields[-1] = _field(fields[-1].label, f"{fields[-1].value} {line.text.strip()}")
        else:
            label, value = pair
            if not value and _value_follows(lines, index, depth):
                index += 1  # a table's header cell and value cell, one line each
                value = lines[index].text.strip()
            fields.append(_field(label, value))
        index += 1
    return _Run(start, index, depth, tuple(fields))


def _continues(field: _Field, text: str) -> bool:
    """A line wrapped out of the field before it: "From: A Long Name\\n <a@x>" (indented or
    starting with the address's bracket), a recipient list running on after a comma."""
    if len(text) > 300 or not addresses_in(text):
        return False
    if field.value.endswith((",", ";")):
        return True
    wrapped = text[:1].isspace() or text.lstrip().startswith(("<", "[", "(", "mailto:"))
    return wrapped and field.kind != "address"


def _value_follows(lines: list[Line], index: int, depth: int) -> bool:
    if index + 1 >= len(lines):
        return False
    following = lines[index + 1]
    text = following.text.strip()
    if following.depth != depth or not text or text.startswith(MARK):
        return False
    if separator_words(text) is not None:
        return False
    pair = label_and_value(text)
    if pair is None:
        return True
    # A value that reads like a label ("Re: Question") in a column of label and value lines.
    after = lines[index + 2].text if index + 2 < len(lines) else ""
    return bool(pair[1]) and (label_and_value(after) or ("", "x"))[1] == ""


@dataclass(frozen=True)
class _Context:
    kind: str  # "separator", "intro", "marker", or "" (standalone)
    index: int  # line index the forwarder's note ends before
    words: str = ""
    via: str = "outlook_forward"


def _block_from(run: _Run, lines: list[Line], source: str) -> tuple[int, ForwardedBlock] | None:
    fields, start = run.fields, run.start
    context = None
    if len(fields) > 2 and fields[0].kind == "empty":  # "Please see below:" right above
        context = _Context("intro", start, fields[0].label)
        fields, start = fields[1:], start + 1
    if len(fields) < 2:
        return None
    context = context or _context_above(lines, start)
    sender = _sender(fields)
    if sender is None or not _shaped(fields, loose=bool(context.kind)):
        return None
    index, rule = sender
    if not context.kind and index and fields[index].hint != "from":
        return None  # a block standing alone is Outlook's, whose From comes first
    if lines[start].raw == lines[run.end - 1].raw and len(fields) > 2:
        context = _Context(context.kind, context.index, context.words, "yahoo_forward")
    return context.index, _block(fields[index], fields, rule, context, lines, run, source)


def _context_above(lines: list[Line], start: int) -> _Context:
    """What introduces the block: the nearest non-blank line above, within three lines."""
    for index in range(start - 1, max(start - 4, -1), -1):
        text = lines[index].text.strip()
        if not text:
            continue
        if text.startswith(MARK):
            return _Context("marker", index, via=text[1:] or "outlook_forward")
        separator = separator_words(text)
        if separator is not None:
            return _Context("separator", index, separator, _separator_via(text))
        if text.endswith((":", "\uff1a")) and "@" not in text and len(text.split()) <= 10:
            return _Context("intro", index, text, "apple_forward")
        return _Context("", start)
    return _Context("", start)


def _separator_via(text: str) -> str:
    dashes = len(text) - len(text.lstrip("-"))
    if dashes >= 9:
        return "gmail_forward"
    return "thunderbird_forward" if dashes == 8 else "outlook_forward"


def _sender(fields: tuple[_Field, ...]) -> tuple[int, str] | None:
    """(index, rule) of the From field: its known label, else by position and content."""
    for index, field in enumerate(fields):
        if field.hint == "from":
            return index, "From label"
    unknown = [index for index, field in enumerate(fields) if not field.hint]
    addressed = [index for index in unknown if fields[index].kind == "address"]
    first = fields[0]
    if first.kind == "address" and not first.hint:
        return 0, "first line of the block"
    if not first.hint and first.kind == "text" and fields[-1].kind == "text":
        return 0, "first line of the block"  # "From: Name" ... "Subject: ...", no address
    if not addressed:
        return None
    single = [index for index in addressed if len(addresses_in(fields[index].value)) == 1]
    if len(addresses_in(fields[addressed[0]].value)) > 1 and single:
        return single[0], "the one address outside the recipient lists"
    return addressed[0], "the address after the subject and date"


def _shaped(fields: tuple[_Field, ...], *, loose: bool) -> bool:
    """Whether the fields look like a header block: an address, with a date or a subject."""
    kinds = [field.kind for field in fields]
    hints = {field.hint for field in fields}
    dated = "date" in kinds or "date" in hints
    if "address" not in kinds:
        return loose and dated and ("from" in hints or len(fields) >= 3)
    if loose:
        return "date" in kinds or "text" in kinds
    known = {"from", "subject"} <= hints and bool({"date", "to"} & hints)
    return known or (len(fields) >= 3 and "date" in kinds and "text" in kinds)


def _block(
    sender: _Field,
    fields: tuple[_Field, ...],
    rule: str,
    context: _Context,
    lines: list[Line],
    run: _Run,
    source: str,
) -> ForwardedBlock:
    name, email = sender_of(sender.value)
    subject = next((field.value for field in fields if field.hint == "subject"), "") or next(
        (field.value for field in reversed(fields) if field.kind == "text" and field is not sender),
        "",
    )
    words = context.words.lower()
    return ForwardedBlock(
        from_email=email,
        from_name=name or ("" if email else sender.value[:255]),
        subject=subject[:998],
        body=unquoted(source[line_offset(source, lines[run.end - 1].raw + 1) :], run.depth),
        note=without_marks(source[: line_offset(source, lines[context.index].raw)]).strip(),
        via=context.via,
        is_forward_marker=any(word in words for word in _FORWARD_WORDS),
        rule=rule if email else f"{rule}, no address",
        no_address_name="" if email else sender.value[:255],
    )


def _attribution(lines: list[Line], source: str) -> tuple[int, ForwardedBlock] | None:
    """The first attribution line and what it quotes, read as the forwarded message."""
    tries = 0
    for index, line in enumerate(lines):
        if "@" not in line.text and (index + 1 >= len(lines) or "@" not in lines[index + 1].text):
            continue
        tries += 1
        if tries > MAX_CANDIDATES:
            return None
        found = attribution_at(lines, index)
        if found is None:
            continue
        end, name, address = found
        body = dedented(source[line_offset(source, lines[end - 1].raw + 1) :], line.depth)
        if not body.strip():
            return None
        return index, ForwardedBlock(
            from_email=address,
            from_name=name,
            subject="",
            body=body,
            note=without_marks(source[: line_offset(source, line.raw)]).strip(),
            via="quoted_forward",
            is_forward_marker=False,
            rule="'wrote:' line under a forward's subject",
        )
    return None


_ADDRESS_LINE = re.compile(r"^[^\n@]*+@[^\n]*+", re.MULTILINE)
# A separator line's dashes at its start or end, in text or in HTML source (after a tag).
_SEPARATOR_RUN = re.compile(
    r"^[ \t>]*+[-_=*]{3}|>[ \t]*+[-_=*]{3}|(?<![-_=])[-_=]{5,}+[ \t]*+(?:$|<)", re.MULTILINE
)


def may_hold_forward(parsed: ParsedEmail) -> bool:
    """Whether the mail may carry a forwarded message, so that the list of trusted forwarders is
    worth loading: an attached message, or a body with the shape's cheapest parts (an address
    with a colon beside it, or a separator line)."""
    return bool(parsed.embedded) or any(
        _may_hold_block(body[:limit])
        for body, limit in ((parsed.text, MAX_SCAN), (parsed.html, MAX_HTML_LOOK))
    )


def _may_hold_block(body: str) -> bool:
    runs = ("---", "___", "===", "***")
    if any(run in body for run in runs) and _SEPARATOR_RUN.search(body):
        return True
    body = body.replace("&#64;", "@")
    if "@" not in body:
        return False
    for match in islice(_ADDRESS_LINE.finditer(body), 200):
        around = body[max(match.start() - 300, 0) : match.end() + 300]
        if ":" in around or "\uff1a" in around:
            return True
    return False
