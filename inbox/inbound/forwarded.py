"""Finding the forwarded message inside a forward's plain text, whatever the mail client.

Clients write a separator line, then a block of "Label: value" lines, then the original body:
- Gmail:        "---------- Forwarded message ---------" (localized), From/Date/Subject/To
- Outlook:      "-----Original Message-----" or a line of underscores, From/Sent/To/Subject,
                "From: Name [mailto:addr]", labels translated (Von/Gesendet/Betreff, De/Envoyé/Objet...)
- Apple Mail:   "Begin forwarded message:" (localized), often quoted with "> "
- Thunderbird:  "-------- Forwarded Message --------" / "-------- Original Message --------"
Some clients (web.de, Outlook HTML) omit the separator: a block with a From label and a
Subject or Sent label on adjacent lines is then the forwarded header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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

_SEPARATOR = re.compile(
    r"^\s*(?P<dashes>-*)\s*(?P<words>forwarded message|original message|forwarded e-?mail|"
    r"original e-?mail message|weitergeleitete nachricht|ursprüngliche nachricht|"
    r"message transf[ée]r[ée]|message d'origine|message original|mensaje reenviado|"
    r"mensaje original|mensagem encaminhada|mensagem original|messaggio inoltrato|"
    r"messaggio originale|doorgestuurd bericht|oorspronkelijk bericht|"
    r"wiadomość przekazana dalej|oryginalna wiadomość|videresendt melding|vidarebefordrat meddelande|"
    r"videresendt meddelelse|oprindelig meddelelse|ursprungligt meddelande|välitetty viesti|"
    r"alkuperäinen viesti|továbbított üzenet|eredeti üzenet|iletilen ileti|özgün ileti|"
    r"přeposlaná zpráva|původní zpráva|пересылаемое сообщение|исходное сообщение|"
    r"転送されたメッセージ|元のメッセージ|转发的邮件|原始邮件|轉寄的郵件|原始郵件|전달된 메시지|원본 메시지|"
    r"전달된 메일|wiadomość oryginalna|opprinnelig melding|yönlendirilen ileti|"
    r"προωθημένο μήνυμα|αρχικό μήνυμα|הודעה שהועברה|הודעה מקורית|الرسالة المعاد توجيهها|"
    r"الرسالة الأصلية|mesaj redirecționat|mesaj original|пересланий лист|"
    r"оригінальне повідомлення|thư đã chuyển tiếp|thư gốc|pesan yang diteruskan|pesan asli)"
    r"\s*-*\s*[:\uff1a]?\s*$",
    re.IGNORECASE,
)
_APPLE = re.compile(
    r"^\s*(begin forwarded message|anfang der weitergeleiteten nachricht|"
    r"début du message réexpédié|début du message transféré|inicio del mensaje reenviado|"
    r"comienzo del mensaje reenviado|início da mensagem reencaminhada|"
    r"início da mensagem encaminhada|inizio messaggio inoltrato|begin doorgestuurd bericht|"
    r"początek przekazywanej wiadomości|vidarebefordrat mejl|videresendt besked|"
    r"начало переадресованного сообщения|転送されたメッセージ|以下是转发的邮件|转发的邮件)\s*[:\uff1a]\s*$",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_LABEL_LINE = re.compile(
    r"^[\s*_]*(?P<label>[^\W\d_][\w'.-]*(?: [\w'.-]+)?)[\s*_]*[:\uff1a][\s*_]*(?P<value>.*)$"
)
_OTHER_HEADER = re.compile(r"^[A-Za-z][A-Za-z-]{1,30}:\s")
_QUOTE = re.compile(r"^(?:\s?>)+ ?")
_MAILTO = re.compile(r"mailto:([^\s\]>\"')]+@[^\s\]>\"')]+)", re.IGNORECASE)
_ANGLE = re.compile(r"<\s*([^<>\s]+@[^<>\s]+?)\s*>")
_BARE = re.compile(r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+")
_FORWARD_WORDS = ("forward", "weitergeleitet", "transf", "reenviado", "encaminhad", "inoltrat",
                  "doorgestuurd", "przekazan", "réexpédié", "videresendt", "vidarebefordrat",
                  "välitetty", "továbbított", "letilen", "přeposlan", "пересыла", "転送", "转发",
                  "轉寄", "전달", "yönlendir", "προωθ", "הועבר", "توجيه", "redirecționat",
                  "переслан", "chuyển tiếp", "diteruskan")  # fmt: skip


@dataclass(frozen=True)
class ForwardedBlock:
    from_email: str
    from_name: str
    subject: str
    body: str
    note: str  # what the forwarder wrote above the block
    via: str
    is_forward_marker: bool  # the separator says "forwarded" (not just "original message")


def find_forwarded_block(text: str) -> ForwardedBlock | None:
    """The first forwarded header block in `text`, or None."""
    if not text:
        return None
    lines = text[:1_000_000].replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for index, line in enumerate(lines):
        unquoted = _QUOTE.sub("", line)
        via, is_marker = _separator_kind(unquoted)
        if via:
            block = _block_after(lines, index + 1, quoted=unquoted != line)
            if block is not None:
                return _make(lines, index, block, via, is_marker)
            continue
        if _label(unquoted)[0]:
            block = _block_after(lines, index, quoted=unquoted != line, strict=True)
            if block is not None:
                return _make(lines, index, block, "outlook_forward", False)
    return None


def _separator_kind(line: str) -> tuple[str, bool]:
    if _APPLE.match(line):
        return "apple_forward", True
    if _UNDERSCORES.match(line):
        return "outlook_forward", False
    match = _SEPARATOR.match(line)
    if not match:
        return "", False
    words = match.group("words").lower()
    is_forward = any(word in words for word in _FORWARD_WORDS)
    dashes = len(match.group("dashes"))
    if dashes >= 9:
        return "gmail_forward", is_forward
    if dashes == 8:
        return "thunderbird_forward", is_forward
    return "outlook_forward", is_forward


def _label(line: str) -> tuple[str, str]:
    match = _LABEL_LINE.match(line)
    if not match:
        return "", ""
    label = match.group("label").strip().lower()
    return (label, match.group("value").strip()) if label in ALL_LABELS else ("", "")


@dataclass(frozen=True)
class _Header:
    fields: dict[str, str]
    end: int  # index of the first body line
    quoted: bool


def _block_after(
    lines: list[str], start: int, *, quoted: bool, strict: bool = False
) -> _Header | None:
    """The "Label: value" lines starting at `start` (blank lines before them skipped)."""
    index = start
    while (
        not strict
        and index < len(lines)
        and index < start + 3
        and not _unquote(lines[index], quoted).strip()
    ):
        index += 1
    fields: dict[str, str] = {}
    last = ""
    while index < len(lines) and len(fields) < 12:
        line = _unquote(lines[index], quoted)
        label, value = _label(line)
        if label:
            kind = _kind(label)
            fields.setdefault(kind, value)
            last = kind
        elif last == "from" and line.strip() and "@" in line and "@" not in fields["from"]:
            fields["from"] += " " + line.strip()  # "From: Long Name\n <addr>" wrapped by the client
        elif fields and _OTHER_HEADER.match(line):
            pass  # Message-ID:, Reply-To:, Importance: ... inside the block
        else:
            break
        index += 1
    if "from" not in fields:
        return None
    if strict and not ("subject" in fields and ("date" in fields or "to" in fields)):
        return None
    return _Header(fields, index, quoted)


def _kind(label: str) -> str:
    if label in FROM_LABELS:
        return "from"
    if label in DATE_LABELS:
        return "date"
    if label in SUBJECT_LABELS:
        return "subject"
    return "to"


def _unquote(line: str, quoted: bool) -> str:
    return _QUOTE.sub("", line) if quoted else line


def _make(
    lines: list[str], index: int, header: _Header, via: str, marker: bool
) -> ForwardedBlock | None:
    name, email = sender_of(header.fields["from"])
    if not email:
        return None
    body_lines = [_unquote(line, header.quoted) for line in lines[header.end :]]
    return ForwardedBlock(
        from_email=email,
        from_name=name,
        subject=header.fields.get("subject", "")[:998],
        body="\n".join(body_lines).strip("\n"),
        note="\n".join(lines[:index]).strip(),
        via=via,
        is_forward_marker=marker,
    )


def sender_of(value: str) -> tuple[str, str]:
    """(name, address) from a forwarded From value: "Name <a@b>", "Name [mailto:a@b]", "a@b".

    A mailto wins over the display text: Outlook writes the shown name first, and that text can
    itself look like an address (another mailbox's), while the mailto is the real sender.
    """
    value = value.replace("*", "").strip()
    for pattern in (_MAILTO, _ANGLE, _BARE):
        match = pattern.search(value)
        if match:
            address = (match.group(1) if match.groups() else match.group(0)).strip(".").lower()
            name = (value[: match.start()]).strip(" \"'<[(").strip()
            if name.lower().startswith("mailto"):
                name = ""
            return name[:255], address
    return "", ""
