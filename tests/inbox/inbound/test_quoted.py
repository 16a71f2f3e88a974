"""What a reply says that is new, and the quoted history and signature folded under it (pure)."""

from __future__ import annotations

import pytest

from inbox.inbound.quoted import Split, balanced, split_html, split_text

NEW = "Thanks, it works now."
QUOTE = "> Did you restart it?\n>\n> Ann"

TEXT_SPLITS = {
    "gmail_attribution_wrapped": (
        f"{NEW}\n\nOn Wed, Oct 27, 2021 at 9:31 AM Ann Lee <ann@acme.example>\nwrote:\n\n{QUOTE}",
        "On Wed, Oct 27, 2021",
    ),
    "german_attribution": (
        f"{NEW}\n\nAm 28.10.2021 um 12:46 schrieb Ann Lee <ann@acme.example>:\n{QUOTE}",
        "Am 28.10.2021",
    ),
    "japanese_attribution": (
        f"{NEW}\n\n2021年10月28日(木) 12:46 Ann Lee <ann@acme.example>:\n{QUOTE}",
        "2021年10月28日",
    ),
    "attribution_in_words_nobody_listed": (
        f"{NEW}\n\nXyzzy 28/10/2021 Plugh Qwerty <ann@acme.example> zorkmid frobozz:\n{QUOTE}",
        "Xyzzy 28/10/2021",
    ),
    "outlook_2019_indented_quote": (
        f"{NEW}\n\nLe 28/10/2021 12:46, « Ann Lee » <ann@acme.example> a écrit :\n\n"
        "    Did you restart it?\n\n    Ann",
        "Le 28/10/2021",
    ),
    "outlook_original_message_block": (
        f"{NEW}\n\n-----Original Message-----\nFrom: Ann Lee <ann@acme.example>\n"
        "Sent: Monday, November 2, 2026 10:00 AM\nTo: support@acme.example\nSubject: Printer\n\n"
        "Did you restart it?",
        "-----Original Message-----",
    ),
    "outlook_block_with_unknown_labels_and_underscores": (
        f"{NEW}\n\n________________________________\nXqzt: Ann Lee <ann@acme.example>\n"
        "Plorv: 2 Nov 2026 10:00\nWemba: support@acme.example\nTrosk: Printer\n\nDid you?",
        "________________________________",
    ),
    "quote_without_attribution": (f"{NEW}\n\n{QUOTE}", "> Did you restart it?"),
    "signature_then_quote": (
        f"{NEW}\n-- \nBob Builder\nACME Ltd\n\nOn 28/10/2021 12:46, Ann <ann@acme.example> "
        f"wrote:\n{QUOTE}",
        "-- ",
    ),
    "quote_then_signature_below_it": (
        f"{NEW}\n\nOn 28/10/2021 12:46, Ann <ann@acme.example> wrote:\n{QUOTE}\n\n-- \nBob",
        "On 28/10/2021",
    ),
    "signature_only": (f"{NEW}\n-- \nBob Builder\nACME Ltd", "-- "),
}


@pytest.mark.parametrize("case", sorted(TEXT_SPLITS))
def test_reply_shows_what_is_new_and_folds_the_history(case):
    text, folded_start = TEXT_SPLITS[case]
    split = split_text(text)
    assert split.new == NEW, case
    assert split.folded.startswith(folded_start), case
    # Folding hides, it never drops: every line is in one part or the other, in order.
    assert f"{split.new}\n{split.folded}".split() == text.split()


NOTHING_TO_FOLD = {
    "no_quote": f"{NEW}\nSee you.",
    "all_quote": QUOTE,
    "attribution_and_quote_only": f"On 28/10/2021 12:46, Ann <ann@acme.example> wrote:\n{QUOTE}",
    "inline_answers_between_quotes": "> Did you restart it?\nYes.\n> And the cable?\nAlso.",
    # The answer is under the quote (bottom-posting): show it all.
    "bottom_posted_answer": f"On 28/10/2021, Ann <ann@acme.example> wrote:\n{QUOTE}\n\n{NEW}",
    "long_text_after_a_dash_line": NEW + "\n-- \n" + "\n".join(f"line {n}" for n in range(30)),
    "quote_shape_inside_a_sentence": f"{NEW} Ann wrote: see the manual, page 12.",
}


@pytest.mark.parametrize("case", sorted(NOTHING_TO_FOLD))
def test_nothing_is_folded_without_a_quote_and_never_everything(case):
    text = NOTHING_TO_FOLD[case]
    assert split_text(text) == Split(text, ""), case


GMAIL = (
    f'<div dir="ltr">{NEW}</div><br><div class="gmail_quote"><div dir="ltr" '
    'class="gmail_attr">On Wed, Oct 27, 2021 at 9:31 AM Ann Lee &lt;<a href="mailto:ann@acme.'
    'example">ann@acme.example</a>&gt; wrote:<br></div><blockquote class="gmail_quote" '
    'style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204)">Did you restart '
    "it?</blockquote></div>"
)
HTML_SPLITS = {
    "gmail": (GMAIL, '<div class="gmail_quote">'),
    "gmail_sanitized_classes_gone": (
        GMAIL.replace(' class="gmail_quote"', "").replace(' class="gmail_attr"', ""),
        '<div dir="ltr">On Wed',
    ),
    "outlook_web": (
        f'<div>{NEW}</div><hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" '
        'dir="ltr"><b>From:</b> Ann Lee &lt;ann@acme.example&gt;<br><b>Sent:</b> Monday, 2 '
        "November 2026 10:00<br><b>To:</b> support@acme.example<br><b>Subject:</b> Printer"
        "</div><div>Did you restart it?</div>",
        "<hr",
    ),
    "outlook_desktop_bordered_div": (
        f'<p class="MsoNormal">{NEW}</p><div style="border:none;border-top:solid #E1E1E1 1.0pt;'
        'padding:3.0pt 0cm 0cm 0cm"><p class="MsoNormal"><b>Von:</b> Ann Lee &lt;ann@acme.'
        "example&gt;<br><b>Gesendet:</b> Montag, 2. November 2026 10:00<br><b>An:</b> support@"
        "acme.example<br><b>Betreff:</b> Drucker</p></div><p>Haben Sie neu gestartet?</p>",
        '<div style="border:none',
    ),
    "apple_blockquote_cite": (
        f'<div>{NEW}</div><div><br><blockquote type="cite"><div>On 27 Oct 2021, at 09:31, Ann '
        "Lee &lt;ann@acme.example&gt; wrote:</div><div>Did you restart it?</div></blockquote>"
        "</div>",
        '<blockquote type="cite">',
    ),
    "thunderbird_cite_prefix": (
        f'<p>{NEW}</p><div class="moz-cite-prefix">On 27.10.21 09:31, Ann Lee wrote:<br></div>'
        '<blockquote type="cite" cite="mid:x@acme.example">Did you restart it?</blockquote>',
        '<blockquote type="cite"',
    ),
    "signature_div": (
        f"<p>{NEW}</p><div>-- <br>Bob Builder<br>ACME Ltd</div>",
        "<div>-- ",
    ),
}


@pytest.mark.parametrize("case", sorted(HTML_SPLITS))
def test_html_reply_folds_the_clients_quote_containers(case):
    html, folded_start = HTML_SPLITS[case]
    split = split_html(html)
    assert NEW in split.new and "restart" not in split.new, case
    assert split.folded.startswith(folded_start), case


@pytest.mark.parametrize(
    "html",
    [
        f"<p>{NEW}</p>",
        "<blockquote>Did you restart it?</blockquote>",
        f"<blockquote>Question?</blockquote><p>{NEW}</p><blockquote>More?</blockquote><p>Ok</p>",
    ],
)
def test_html_without_a_trailing_quote_or_all_quote_shows_whole(html):
    assert split_html(html) == Split(html, "")


def test_each_half_of_the_html_closes_what_it_opened():
    split = split_html(GMAIL)
    assert split.new.count("<div") == split.new.count("</div>")
    assert split.folded.count("<div") == split.folded.count("</div>")


@pytest.mark.parametrize(
    ("fragment", "whole"),
    [
        ("<div>a<b>b", "<div>a<b>b</b></div>"),
        ("a</p></div><p>b</p>", "a<p>b</p>"),
        ("<p>a<br>b<img src='x'></p>", "<p>a<br>b<img src='x'></p>"),
    ],
)
def test_balanced_closes_open_elements_and_drops_stray_closers(fragment, whole):
    assert balanced(fragment) == whole
