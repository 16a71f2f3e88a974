"""Forwarded mail found by the shape of its header block, in each client's layout (pure).

Every body is written here, after the layouts the clients produce; nothing is read from files.
"""

from __future__ import annotations

import pytest

from inbox.inbound.body_lines import unglue
from inbox.inbound.forwarded import (
    find_forward,
    find_forwarded_block,
    may_hold_forward,
    subject_prefixes,
)
from inbox.inbound.parse import ParsedEmail

JOHN = "john.doe@acme.example"
BODY = "Aenean quis diam urna.\n\nPraesent ac ligula orci."
NOTE = "Can someone take this one?\n\n"
CC = "Walter Sheltan <walter@acme.example>, Nicholas <nicholas@globex.example>"


def quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def indented(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.split("\n"))


TEXT_FORWARDS = {
    "gmail": (
        "Fwd: Order",
        f"{NOTE}---------- Forwarded message ---------\nFrom: John Doe <{JOHN}>\n"
        f"Date: Wed, Oct 27, 2021 at 9:31 AM\nSubject: Order\nTo: <bessie@acme.example>\n"
        f"Cc: {CC}\n\n{BODY}",
    ),
    "gmail_estonian_from_label_unknown": (
        "Fwd: Order",
        f"---------- Forwarded message ---------\nSaatja: John Doe <{JOHN}>\n"
        f"Date: K, 27. oktoober 2021 kell 09:31\nSubject: Order\nTo: <bessie@acme.example>\n\n{BODY}",
    ),
    "outlook_desktop": (
        "FW: Order",
        f"{NOTE}-----Original Message-----\nFrom: John Doe <{JOHN}>\n"
        f"Sent: Monday, November 2, 2026 10:00 AM\nTo: agent@acme.example\nSubject: Order\n\n{BODY}",
    ),
    "outlook_french_spaced_colons": (
        "TR: Commande",
        f"{NOTE}De : John Doe <{JOHN}>\nEnvoyé : lundi 2 novembre 2026 10:00\n"
        f"À : agent@acme.example\nCc : {CC}\nObjet : Commande\n\n{BODY}",
    ),
    "outlook_web_underscores": (
        "Fw: Order",
        f"{NOTE}________________________________\nFrom: John Doe <{JOHN}>\n"
        f"Sent: Wednesday, October 27, 2021 15:14\nTo: bessie@acme.example <bessie@acme.example>"
        f"\nCc: Walter <walter@acme.example>; Nicholas <nicholas@globex.example>\n"
        f"Subject: Order\n\n{BODY}",
    ),
    "outlook_2013_mailto": (
        "FW: Order",
        f"From: John Doe [mailto:{JOHN}]\nSent: 25 October 2021 11:17\nTo: agent@acme.example\n"
        f"Cc: Walter [mailto:walter@acme.example]\nSubject: Order\n\n\n{BODY}",
    ),
    "new_outlook_hungarian_standalone": (
        "FW: Order",
        f"Feladó: John Doe <{JOHN}>\nDátum: csütörtök, 2021. október 28. 12:46\n"
        f"Címzett: bessie@acme.example <bessie@acme.example>\nMásolatot kap: {CC}\n"
        f"Tárgy: Order\n{BODY}",
    ),
    "outlook_2019_wrote_english": (
        "FW: Order",
        f'On 28/10/2021 12:46, "John Doe" <{JOHN}> wrote:\n\n{indented(BODY)}',
    ),
    "outlook_2019_wrote_french_with_note": (
        "TR: Commande",
        f"{NOTE}Le 28/10/2021 12:46, « John Doe » <{JOHN}> a écrit :\n\n{indented(BODY)}",
    ),
    "outlook_2019_wrote_russian": (
        "FW: Заказ",
        f'28/10/2021, 12:46 пользователь "John Doe" <{JOHN}> написал:\n\n{indented(BODY)}',
    ),
    "outlook_2019_wrote_turkish_name_first": (
        "İLT: Sipariş",
        f'"John Doe" <{JOHN}>, 28/10/2021 12:46 tarihinde şunu yazd\u0131:\n\n{indented(BODY)}',
    ),
    "outlook_2019_wrote_hungarian_parenthesised": (
        "VB: x",
        f"28/10/2021 12:46 időpontban John Doe ({JOHN}) ezt írta:\n\n{indented(BODY)}",
    ),
    "gmail_wrote_wrapped_under_forward_subject": (
        "Fwd: x",
        f"On Wed, Oct 27, 2021 at 9:31 AM John Doe <{JOHN}>\nwrote:\n\n{quoted(BODY)}",
    ),
    "apple_mail_russian_quoted": (
        "Fwd: Заказ",
        quoted(
            "\n".join(
                [
                    "Начало переадресованного сообщения:",
                    "",
                    f"Отправитель: John Doe <{JOHN}>",
                    "Тема: Заказ",
                    "Дата: 26 октября 2021 года в 14:25:08 GMT+3",
                    "Кому: bessie@acme.example",
                    f"Копия: {CC}",
                    "",
                    BODY,
                ]
            )
        ),
    ),
    "apple_mail_intro_unquoted_block_quoted": (
        "Fwd: x",
        f"{NOTE}Début du message transféré :\n\n"
        + quoted(
            f"De: John Doe <{JOHN}>\nDate: 17 août 2022 à 09:06:24 UTC+2\n"
            f"À: <bessie@acme.example>\nObjet: Commande\n\n{BODY}"
        ),
    ),
    "thunderbird_subject_and_date_first": (
        "Fwd: Order",
        f"-------- Forwarded Message --------\nSubject: \tOrder\n"
        f"Date: \tWed, 3 Nov 2021 15:51:30 +0100\nFrom: \tJohn Doe <{JOHN}>\n"
        f"To: \tbessie@acme.example\n\n\n\n{BODY}",
    ),
    "thunderbird_croatian_labels_unknown": (
        "Fwd: Order",
        f"-------- Proslijeđena poruka --------\nNaslov: \tOrder\n"
        f"Datum: \tWed, 3 Nov 2021 15:51:30 +0100\nŠalje: \tJohn Doe <{JOHN}>\n"
        f"Prima: \tbessie@acme.example\nCC: \t{CC}\n\n\n\n{BODY}",
    ),
    "yahoo_glued": (
        "Fw: Order",
        f"   ----- Forwarded Message ----- From: John Doe <{JOHN}>To: "
        f'"bessie@acme.example" <bessie@acme.example>Cc: Walter <walter@acme.example>; '
        f"Nicholas <nicholas@globex.example>Sent: Tuesday, November 2, 2021, 09:26:50 AM GMT+1"
        f"Subject: Order\n {BODY}",
    ),
    "yahoo_glued_hungarian_letters_run_together": (
        "Fw: Order",
        f"   ----- Továbbított üzenet ----- Feladó: John Doe <{JOHN}>Címzett: "
        f'"bessie@acme.example" <bessie@acme.example>Másolat: Walter <walter@acme.example>'
        f"Elküldve: 2021. november 2., kedd 09:26:50 CETTárgy: Order\n {BODY}",
    ),
    "yahoo_glued_french_spaced": (
        "Fw: Order",
        f"   ----- Message transmis ----- De : John Doe <{JOHN}>À : "
        f'"bessie@acme.example" <bessie@acme.example>Envoyé : mardi 2 novembre 2021, '
        f"09:26:50 UTC+1Objet : Commande\n {BODY}",
    ),
    "starred_labels": (
        "Fwd: Order",
        f"---------- Forwarded message ---------\n*From:* John Doe <{JOHN}>\n"
        f"*Date:* Wed, Oct 27, 2021 at 9:31 AM\n*Subject:* Order\n*To:* <bessie@acme.example>"
        f"\n\n{BODY}",
    ),
    "bold_markdown_labels": (
        "Fwd: Order",
        f"---------- Forwarded message ---------\n**From:** John Doe <{JOHN}>\n"
        f"**Date:** 27 October 2021 09:31\n**Subject:** Order\n\n{BODY}",
    ),
    "quoted_original_message_block": (
        "Fwd: Order",
        quoted(
            f"---------- Original Message ----------\nFrom: John Doe <{JOHN}>\n"
            f'To: "bessie@acme.example" <bessie@acme.example>\nDate: 02/10/2023 4:52 PM EST\n'
            f"Subject: Order\n \n{BODY}"
        ),
    ),
    "full_width_colons": (
        "Fwd: ご注文",
        f"---------- メッセージを転送 ---------\n送信元\uff1aJohn Doe <{JOHN}>\n"
        "日付\uff1a2022年9月19日月曜日 17:55:44 -0400\n件名\uff1aご注文\n"
        f"送信先\uff1abessie@acme.example\n\n{BODY}",
    ),
    "mailmate_intro_then_quoted_block": (
        "Fwd: Order",
        f"Forwarded message:\n\n> From: John Doe <{JOHN}>\n> To: bessie@acme.example\n"
        f"> Subject: Order\n> Date: Wed, 27 Oct 2021 09:31:00 +0000\n>\n> {BODY}",
    ),
    "wrapped_from_value": (
        "Fwd: Order",
        f"---------- Forwarded message ---------\nFrom: Johnathan Alexander Doe-Smythe\n"
        f" <{JOHN}>\nDate: Wed, Oct 27, 2021 at 9:31 AM\nSubject: Order\n\n{BODY}",
    ),
    "greek_labels_and_separator_unknown": (
        "Fwd: Παραγγελία",
        "\n".join(
            [
                "---------- Προωθημένο μήνυμα ---------",
                f"Αποστολέας: John Doe <{JOHN}>",
                "Ημερομηνία αποστολής: Τετ, 27 Οκτ 2021 στις 9:31 π.μ.",
                "Θέμα: Παραγγελία",
                "Παραλήπτης: <bessie@acme.example>",
                "",
                BODY,
            ]
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(TEXT_FORWARDS))
def test_manual_forward_in_each_layout_is_attributed_to_the_original_sender(case):
    subject, text = TEXT_FORWARDS[case]
    block = find_forward(text=text, subject=subject)
    assert block is not None, case
    assert block.from_email == JOHN, case
    assert "Praesent ac ligula orci." in block.body
    assert block.rule


@pytest.mark.parametrize("case", sorted(TEXT_FORWARDS))
def test_every_forward_shape_passes_the_cheap_pre_check(case):
    subject, text = TEXT_FORWARDS[case]
    assert may_hold_forward(ParsedEmail(headers={}, subject=subject, text=text))


def test_the_forwarders_note_and_the_original_subject_are_kept():
    block = find_forward(text=TEXT_FORWARDS["gmail"][1], subject="Fwd: Order")
    assert block is not None
    assert (block.note, block.subject, block.from_name) == (NOTE.strip(), "Order", "John Doe")
    assert block.body == BODY and block.via == "gmail_forward" and block.is_forward_marker


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        ("gmail", "From label"),
        ("gmail_estonian_from_label_unknown", "first line of the block"),
        ("thunderbird_croatian_labels_unknown", "the address after the subject and date"),
        ("outlook_2019_wrote_english", "'wrote:' line under a forward's subject"),
    ],
)
def test_the_rule_that_chose_the_sender_is_named(case, rule):
    subject, text = TEXT_FORWARDS[case]
    block = find_forward(text=text, subject=subject)
    assert block is not None and block.rule == rule


def test_glued_yahoo_block_is_read_as_separate_header_lines():
    subject, text = TEXT_FORWARDS["yahoo_glued"]
    block = find_forward(text=text, subject=subject)
    assert block is not None
    assert (block.via, block.subject, block.body.strip()) == ("yahoo_forward", "Order", BODY)


@pytest.mark.parametrize(
    ("line", "parts"),
    [
        (
            '----- Fwd ----- From: A <a@x.example>To: "b@y.example" <b@y.example>Cc: c@z.example'
            "Sent: Tuesday, 2 Nov 2021, 09:26 GMT+1Subject: Hi",
            [
                "----- Fwd -----",
                "From: A <a@x.example>",
                'To: "b@y.example" <b@y.example>',
                "Cc: c@z.example",
                "Sent: Tuesday, 2 Nov 2021, 09:26 GMT+1",
                "Subject: Hi",
            ],
        ),
        (
            "Od: A <a@x.example>Do: b@y.example>Wysłano: 2 listopada 2021, 09:26 CETTemat: Hi",
            [
                "Od: A <a@x.example>",
                "Do: b@y.example>",
                "Wysłano: 2 listopada 2021, 09:26 CET",
                "Temat: Hi",
            ],
        ),
        (
            "Call me at 10:30: my address is a@x.example",
            ["Call me at 10:30: my address is a@x.example"],
        ),
        ("From: A <a@x.example> Sent: Monday", ["From: A <a@x.example> Sent: Monday"]),
        (  # the separator's closing dashes run straight into the first label
            "----- Forwarded Message -----From: A <a@x.example>To: b@y.example"
            "Sent: Monday, 3 March 2025, 10:00 GMT+1Subject: Hi",
            [
                "----- Forwarded Message -----",
                "From: A <a@x.example>",
                "To: b@y.example",
                "Sent: Monday, 3 March 2025, 10:00 GMT+1",
                "Subject: Hi",
            ],
        ),
    ],
)
def test_unglue_splits_at_labels_run_on_after_a_value(line, parts):
    assert unglue(line) == parts


def _html_forward(header_html: str, subject: str = "Fwd: Order") -> str | None:
    block = find_forward(text="", html=f"<div>Please handle</div>{header_html}", subject=subject)
    return block.from_email if block is not None else None


HTML_FORWARDS = {
    "gmail": (
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Forwarded message'
        ' ---------<br>From: <strong class="gmail_sendername" dir="auto">John Doe</strong> '
        f'<span dir="auto">&lt;<a href="mailto:{JOHN}">{JOHN}</a>&gt;</span><br>Date: Wed, Oct'
        " 27, 2021 at 9:31 AM<br>Subject: Order<br>To: &lt;bessie@acme.example&gt;<br></div>"
        f'<br><br><div dir="ltr">{BODY}</div></div>'
    ),
    "outlook_web_divRplyFwdMsg": (
        '<hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" '
        'dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">'
        f"<b>Von:</b> John Doe &lt;{JOHN}&gt;<br><b>Gesendet:</b> Mittwoch, 27. Oktober 2021 "
        "15:14<br><b>An:</b> bessie@acme.example &lt;bessie@acme.example&gt;<br><b>Betreff:</b>"
        f" Bestellung</font><div>&nbsp;</div></div><div>{BODY}</div>"
    ),
    "outlook_desktop_bordered_div_french": (
        '<div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        '<p class="MsoNormal"><b><span lang="FR">De&nbsp;:</span></b><span lang="FR"> John Doe '
        f"&lt;{JOHN}&gt; <br><b>Envoyé&nbsp;:</b> lundi 2 novembre 2026 10:00<br><b>À&nbsp;:</b>"
        " agent@acme.example<br><b>Objet&nbsp;:</b> Commande<o:p></o:p></span></p></div></div>"
        f'<p class="MsoNormal">{BODY}</p>'
    ),
    "thunderbird_moz_forward_container_table": (
        '<div class="moz-forward-container"><br><br>-------- Forwarded Message --------<table '
        'class="moz-email-headers-table" border="0" cellspacing="0" cellpadding="0"><tbody><tr>'
        '<th valign="BASELINE" nowrap="nowrap" align="RIGHT">Subject: </th><td>Re: Question</td>'
        '</tr><tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">Date: </th><td>Wed, 3 Nov '
        '2021 15:51:30 +0100</td></tr><tr><th valign="BASELINE" nowrap="nowrap" '
        'align="RIGHT">From: </th><td>John Doe <a class="moz-txt-link-rfc2396E" '
        f'href="mailto:{JOHN}">&lt;{JOHN}&gt;</a></td></tr><tr><th valign="BASELINE" '
        'nowrap="nowrap" align="RIGHT">To: </th><td>bessie@acme.example</td></tr></tbody>'
        f"</table><br><br><p>{BODY}</p></div>"
    ),
    "apple_blockquote_cite_unknown_language": (
        '<div><br><blockquote type="cite"><div>Початок листа, що пересилається:</div><br '
        'class="Apple-interchange-newline"><div style="margin-top: 0px;"><span><b>Від кого: </b>'
        f'</span><span>John Doe &lt;<a href="mailto:{JOHN}">{JOHN}</a>&gt;<br></span></div>'
        "<div><span><b>Тема: </b></span><span><b>Замовлення</b><br></span></div><div><span><b>"
        "Дата: </b></span><span>26 жовтня 2021 року 14:25:08 GMT+3<br></span></div><div><span>"
        "<b>Кому: </b></span><span>bessie@acme.example<br></span></div><br><div><div>"
        f"{BODY}</div></div></blockquote></div>"
    ),
    "yahoo_quoted": (
        '<div class="yahoo_quoted"><div style="font-family: Helvetica;">----- Forwarded Message'
        f" ----- <div><b>From:</b> John Doe &lt;{JOHN}&gt;</div><div><b>To:</b> "
        '"bessie@acme.example" &lt;bessie@acme.example&gt;</div><div><b>Sent:</b> Tuesday, '
        "November 2, 2021, 09:26:50 AM GMT+1</div><div><b>Subject:</b> Order</div><div><br>"
        f"</div>{BODY}</div></div>"
    ),
    "mail_ru": (
        "<div>&nbsp;</div><div>-------- Пересылаемое сообщение --------<br>От кого: John Doe "
        f"&lt;{JOHN}&gt;<br>Кому: agent@acme.example<br>Дата: Вторник, 2 ноября 2021, 9:26 "
        '+03:00<br>Тема: Заказ<br>&nbsp;<blockquote style="border-left:1px solid #0857A6; '
        f'margin:10px; padding:0 0 0 10px;"><div>{BODY}</div></blockquote></div>'
    ),
    "outlook_2019_wrote_html": (
        '<div><p>Please handle</p><div><div style="border:none;border-top:solid #B5C4DF '
        '1.0pt;padding:3.0pt 0cm 0cm 0cm"><p>On 28/10/2021 12:46, "John Doe" '
        f'&lt;<a href="mailto:{JOHN}">{JOHN}</a>&gt; wrote:</p></div></div><p>&nbsp;</p>'
        f"<p>{BODY}</p></div>"
    ),
}


@pytest.mark.parametrize("case", sorted(HTML_FORWARDS))
def test_html_only_forward_of_each_client_is_attributed(case):
    assert _html_forward(HTML_FORWARDS[case]) == JOHN


@pytest.mark.parametrize("case", sorted(HTML_FORWARDS))
def test_html_only_forwards_pass_the_cheap_pre_check(case):
    assert may_hold_forward(ParsedEmail(headers={}, html=HTML_FORWARDS[case]))


def test_html_is_read_when_the_text_part_holds_no_block():
    block = find_forward(
        text="Please handle (see the HTML part)",
        html=HTML_FORWARDS["outlook_web_divRplyFwdMsg"],
        subject="WG: Bestellung",
    )
    assert block is not None and (block.from_email, block.subject) == (JOHN, "Bestellung")


def test_a_client_container_marker_introduces_a_block_with_unknown_labels():
    html = (
        '<p>Note</p><div id="divRplyFwdMsg"><b>Xqzt:</b> John Doe &lt;'
        f"{JOHN}&gt;<br><b>Plorv:</b> Qwerty<br></div><p>{BODY}</p>"
    )
    block = find_forward(html=html, text="", subject="Fwd: x")
    assert block is not None and (block.from_email, block.via) == (JOHN, "outlook_forward")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "---------- Forwarded message ---------\nFrom: John Doe\nDate: Wed, 22 Feb 2023 at"
            " 11:27\nTo: Suzanne <suzanne@globex.example>\nSubject: RE: Order\n\nBody",
            "John Doe",
        ),
        (
            "Note\n\n-----Original Message-----\nVon: Hans Kunde\nGesendet: Montag, 2. November"
            " 2026 10:00\nAn: Agent Smith\nBetreff: Lieferung\n\nWo bleibt sie?",
            "Hans Kunde",
        ),
        (  # unknown labels, Outlook's order (From first, subject last): no guessing at the To
            "________________________________\nXqzt: Hans Kunde\nPlorv: 2 Nov 2026 10:00\n"
            "Wemba: agent@acme.example\nTrosk: Lieferung\n\nBody",
            "Hans Kunde",
        ),
    ],
)
def test_a_from_with_a_name_but_no_address_is_not_guessed(text, name):
    block = find_forward(text=text, subject="Fwd: x")
    assert block is not None
    assert (block.from_email, block.no_address_name) == ("", name)
    assert block.rule.endswith("no address")
    assert find_forwarded_block(text) is None  # the caller that needs an address gets none


NOT_FORWARDS = {
    "gmail_reply": (
        "Re: Order",
        f"I'm fine.\n\nOn Wed, Oct 27, 2021 at 9:31 AM John Doe <{JOHN}>\nwrote:\n\n> hello\n>",
    ),
    "outlook_2019_reply": (
        "Re: Order",
        f'Fine, thanks.\n\nOn 28/10/2021 12:46, "John Doe" <{JOHN}> wrote:\n\n    hello\n',
    ),
    "wrote_line_without_a_subject_prefix": (
        "Order",
        f'On 28/10/2021 12:46, "John Doe" <{JOHN}> wrote:\n\n    hello\n',
    ),
    "reply_quoting_an_original_message_block": (
        "RE: Order",
        f"Thanks.\n\n-----Original Message-----\nFrom: John Doe <{JOHN}>\nSent: Monday 10:00\n"
        "To: agent@acme.example\nSubject: Order\n\nWhere is it?",
    ),
    "reply_to_a_forward": (
        "Re: Fwd: Order",
        f"Done.\n\nOn 28/10/2021 12:46, John Doe <{JOHN}> wrote:\n> ok",
    ),
    "prose_with_colons": (
        "Fwd: Notes",
        "Agenda: budget\nTime: 10:30 tomorrow\nPlace: room 4\nContact: Ann at ann@acme.example",
    ),
    "signature_with_labels": (
        "Fwd: Hello",
        "Hello,\nsee the attachment.\n\nJane Roe\nPhone: +49 2021 5550\n"
        "Email: jane@acme.example\nWeb: www.acme.example\n",
    ),
    "out_of_office_contact_block": (
        "Automatic reply: Order",
        "I am away until July.\n\nClient Service (Day to Day Needs: accounts, transfers)\n"
        "Phone: +0.000.000.0000\nsupport@acme.example<mailto:support@acme.example>\n"
        "Hours: 5am - 5:30pm Pacific Standard Time\n",
    ),
    "no_block_at_all": ("Fwd: x", "Hello\nFrom: the desk of Kim\nThanks"),
}


@pytest.mark.parametrize("case", sorted(NOT_FORWARDS))
def test_replies_and_lookalikes_are_never_attributed(case):
    subject, text = NOT_FORWARDS[case]
    block = find_forward(text=text, subject=subject)
    assert block is None or not block.from_email, case


def test_a_block_under_a_reply_subject_counts_when_its_separator_says_forwarded():
    text = f"See below\n\n---------- Forwarded message ---------\nFrom: John <{JOHN}>\nDate: 27 Oct 2021 09:31\nSubject: x\n\nBody"
    block = find_forward(text=text, subject="Re: x")
    assert block is not None and block.from_email == JOHN


def test_a_mail_answering_another_keeps_an_unlabelled_block_as_history():
    text = f"Thanks\n\n-----Original Message-----\nFrom: John <{JOHN}>\nSent: 27 Oct 2021 09:31\nSubject: x\n\nBody"
    assert find_forward(text=text, subject="x", replying=True) is None
    assert find_forward(text=text, subject="x") is not None


@pytest.mark.parametrize(
    ("subject", "prefixes"),
    [
        ("Fwd: x", ["forward"]),
        ("FW: RE: x", ["forward", "reply"]),
        ("Re: Fwd: x", ["reply", "forward"]),
        ("[EXTERNAL] WG: x", ["forward"]),
        ("[Fwd: Netscape Enterprise vs. Apache Secure]", ["forward"]),
        ("İLT: x", ["forward"]),
        ("Redir.: x", ["forward"]),
        ("转发\uff1a订单", ["forward"]),
        ("RE[2]: x", ["reply"]),
        ("Doorst: x", ["forward"]),
        ("enc: x", ["forward"]),
        ("Meeting: tomorrow", []),
        ("Order 12:30", []),
    ],
)
def test_subject_prefixes_stack_in_any_case(subject, prefixes):
    assert subject_prefixes(subject) == prefixes


def test_plain_prose_does_not_pass_the_cheap_pre_check():
    text = "Hello, my printer is on fire.\nCall me: 555 1234.\n"
    assert not may_hold_forward(ParsedEmail(headers={}, text=text))
