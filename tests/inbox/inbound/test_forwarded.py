"""Forwarded blocks of each client and language (pure)."""

from __future__ import annotations

import pytest

from inbox.inbound.forwarded import find_forwarded_block, may_hold_forward, sender_of
from inbox.inbound.parse import parse

OUTLOOK = {
    "en": ("From", "Sent", "To", "Subject"),
    "de": ("Von", "Gesendet", "An", "Betreff"),
    "fr": ("De", "Envoyé", "À", "Objet"),
    "es": ("De", "Enviado", "Para", "Asunto"),
    "pt": ("De", "Enviada", "Para", "Assunto"),
    "it": ("Da", "Inviato", "A", "Oggetto"),
    "nl": ("Van", "Verzonden", "Aan", "Onderwerp"),
    "pl": ("Od", "Wysłano", "Do", "Temat"),
    "sv": ("Från", "Skickat", "Till", "Ämne"),
    "da": ("Fra", "Sendt", "Til", "Emne"),
    "fi": ("Lähettäjä", "Lähetetty", "Vastaanottaja", "Aihe"),
    "cs": ("Od", "Odesláno", "Komu", "Předmět"),
    "hu": ("Feladó", "Elküldve", "Címzett", "Tárgy"),
    "tr": ("Kimden", "Gönderildi", "Kime", "Konu"),
    "ru": ("От", "Отправлено", "Кому", "Тема"),
    "ja": ("差出人", "送信日時", "宛先", "件名"),
    "zh": ("发件人", "发送时间", "收件人", "主题"),
    "ko": ("보낸 사람", "보낸 날짜", "받는 사람", "제목"),
    "uk": ("Від", "Надіслано", "Кому", "Тема"),
    "el": ("Από", "Στάλθηκε", "Προς", "Θέμα"),
    "he": ("מאת", "נשלח", "אל", "נושא"),
    "ar": ("من", "تاريخ الإرسال", "إلى", "الموضوع"),
    "ro": ("De la", "Trimis", "Către", "Subiect"),
    "es-outlook-web": ("De", "Enviado el", "Para", "Asunto"),
    "id": ("Dari", "Dikirim", "Kepada", "Perihal"),
    "vi": ("Từ", "Đã gửi", "Đến", "Chủ đề"),
}


@pytest.mark.parametrize("language", sorted(OUTLOOK))
def test_outlook_block_in_each_language(language):
    sender, sent, to, subject = OUTLOOK[language]
    text = (
        "Note from the agent\n\n________________________________\n"
        f"{sender}: Kim Kunde [mailto:kim@kunde.example]\n{sent}: 2 11 2026 09:00\n"
        f"{to}: agent@acme.example\n{subject}: Bestellung\n\nOriginal body\n"
    )
    block = find_forwarded_block(text)
    assert block is not None
    assert (block.from_email, block.subject, block.via) == (
        "kim@kunde.example",
        "Bestellung",
        "outlook_forward",
    )
    assert block.note == "Note from the agent" and block.body.strip() == "Original body"


@pytest.mark.parametrize(
    "separator",
    [
        "---------- Forwarded message ---------",
        "---------- Weitergeleitete Nachricht ---------",
        "---------- Message transféré ---------",
        "---------- Mensaje reenviado ---------",
        "---------- Mensagem encaminhada ---------",
        "---------- Messaggio inoltrato ---------",
        "---------- Doorgestuurd bericht ---------",
        "---------- Wiadomość przekazana dalej ---------",
        "---------- Přeposlaná zpráva ---------",
        "---------- Пересылаемое сообщение ---------",
        "---------- 転送されたメッセージ ---------",
        "---------- 转发的邮件 ---------",
        "---------- İletilen ileti ---------",
        "---------- Yönlendirilen ileti ---------",
        "---------- Προωθημένο μήνυμα ---------",
        "---------- הודעה שהועברה ----------",
        "---------- Mesaj redirecționat ---------",
        "---------- Пересланий лист ---------",
        "---------- Thư đã chuyển tiếp ---------",
        "---------- Pesan yang diteruskan ---------",
        "---------- 전달된 메일 ---------",
    ],
)
def test_gmail_separator_in_each_language(separator):
    text = f"{separator}\nFrom: Kim <kim@kunde.example>\nDate: today\nSubject: Hi\n\nBody"
    block = find_forwarded_block(text)
    assert block is not None and block.via == "gmail_forward" and block.is_forward_marker
    assert block.from_email == "kim@kunde.example"


@pytest.mark.parametrize(
    "marker",
    [
        "Begin forwarded message:",
        "Anfang der weitergeleiteten Nachricht:",
        "Début du message réexpédié :",
        "Inicio del mensaje reenviado:",
        "Início da mensagem reencaminhada:",
        "Inizio messaggio inoltrato:",
        "Begin doorgestuurd bericht:",
        "Początek przekazywanej wiadomości:",
    ],
)
def test_apple_mail_marker_in_each_language_quoted_or_not(marker):
    for prefix in ("", "> "):
        text = "\n".join(
            prefix + line
            for line in (marker, "", "From: Kim <kim@kunde.example>", "Subject: Hi", "", "Body")
        )
        block = find_forwarded_block(text)
        assert block is not None and block.via == "apple_forward"
        assert block.from_email == "kim@kunde.example" and block.body.strip() == "Body"


def test_thunderbird_separator():
    text = "-------- Forwarded Message --------\nSubject: Hi\nFrom: Kim <kim@kunde.example>\n\nBody"
    block = find_forwarded_block(text)
    assert block is not None and block.via == "thunderbird_forward"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Kim Kunde <kim@kunde.example>", ("Kim Kunde", "kim@kunde.example")),
        ('"Kunde, Kim" <KIM@kunde.example>', ("Kunde, Kim", "kim@kunde.example")),
        ("Kim [mailto:kim@kunde.example]", ("Kim", "kim@kunde.example")),
        ("kim@kunde.example", ("", "kim@kunde.example")),
        ("*Kim* <kim@kunde.example>", ("Kim", "kim@kunde.example")),
        ("no address here", ("", "")),
    ],
)
def test_sender_of_forwarded_from_values(value, expected):
    assert sender_of(value) == expected


def test_text_without_a_block_has_none():
    assert find_forwarded_block("Hello\nFrom: the desk of Kim\nThanks") is None


def test_outlook_block_with_full_width_colons():
    # Chinese and Japanese Outlook write a full-width colon (U+FF1A) after their labels.
    text = (
        "请处理\n\n发件人\uff1a 王小明 <wang@kunde.example>\n发送时间\uff1a 2026年11月2日 9:00\n"
        "收件人\uff1a agent@acme.example\n主题\uff1a 订单问题\n\n原始内容\n"
    )
    block = find_forwarded_block(text)
    assert block is not None
    assert (block.from_email, block.from_name, block.subject) == (
        "wang@kunde.example",
        "王小明",
        "订单问题",
    )
    assert block.body.strip() == "原始内容"


@pytest.mark.parametrize(
    "separator",
    [
        "-----Wiadomość oryginalna-----",
        "-----Opprinnelig melding-----",
        "-----Αρχικό μήνυμα-----",
        "-----Mesaj original-----",
        "-----Оригінальне повідомлення-----",
    ],
)
def test_outlook_original_message_separator_in_more_languages(separator):
    text = (
        f"See below\n\n{separator}\nFrom: Kim <kim@kunde.example>\nSent: today\nSubject: Hi\n\nBody"
    )
    block = find_forwarded_block(text)
    assert block is not None and block.via == "outlook_forward"
    assert (block.from_email, block.body.strip()) == ("kim@kunde.example", "Body")


@pytest.mark.parametrize(
    ("raw", "may"),
    [
        (b"From: a@b.example\n\nPlease see below.\n", False),
        (b"From: a@b.example\n\n---------- Forwarded message ---------\nFrom: c@d.example\n", True),
        (b"From: a@b.example\n\n-----Urspr\xc3\xbcngliche Nachricht-----\n", True),
        (b"From: a@b.example\n\nVon: Hans [mailto:hans@kunde.example]\n", True),
        (b"From: a@b.example\n\nText\n" + b"_" * 32 + b"\nDe: x\n", True),
        (
            b"From: a@b.example\nContent-Type: text/html\n\n<p>-----Message original-----</p>",
            True,
        ),
        # The shape decides, not words: these words with no separator, address or header line.
        (b"From: a@b.example\nContent-Type: text/html\n\n<p>Message original</p>", False),
    ],
)
def test_may_hold_forward_looks_at_the_body_only(raw, may):
    assert may_hold_forward(parse(raw)) is may
