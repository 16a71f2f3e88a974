"""The search box parser (inbox.search_query): a table of what agents type and what it means."""

from __future__ import annotations

from datetime import date

import pytest

from inbox.search_query import MAX_TERMS, SearchQuery, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SearchQuery()),
        ("   ", SearchQuery()),
        ("refund", SearchQuery(words=("refund",))),
        ("Refund  late", SearchQuery(words=("Refund", "late"))),
        ('"late delivery"', SearchQuery(phrases=("late delivery",))),
        ('"late   delivery" box', SearchQuery(words=("box",), phrases=("late delivery",))),
        ('"single"', SearchQuery(words=("single",))),
        ('"unclosed phrase', SearchQuery(phrases=("unclosed phrase",))),
        ("from:Anna@Example.com", SearchQuery(from_=("anna@example.com",))),
        ("FROM:anna", SearchQuery(from_=("anna",))),
        ("to:billing@acme.example", SearchQuery(to=("billing@acme.example",))),
        ("is:open", SearchQuery(status="open")),
        ("is:CLOSED", SearchQuery(status="closed")),
        ("is:open is:closed", SearchQuery(status="closed")),
        ("assignee:me", SearchQuery(assignee="me")),
        ("assignee:none", SearchQuery(assignee="none")),
        ("has:attachment", SearchQuery(has_attachment=True)),
        ("tag:billing", SearchQuery(tags=("billing",))),
        ('tag:"vip customers"', SearchQuery(tags=("vip customers",))),
        ('channel:"Support desk"', SearchQuery(channels=("Support desk",))),
        ("after:2026-01-01", SearchQuery(after=date(2026, 1, 1))),
        ("before:2026-02-01", SearchQuery(before=date(2026, 2, 1))),
        # Unknown keys are words: a pasted "Re: invoice" or a URL still finds its words.
        ("Re: invoice", SearchQuery(words=("Re:", "invoice"))),
        ("https://shop.example/x", SearchQuery(words=("https://shop.example/x",))),
        ("foo:bar", SearchQuery(words=("foo:bar",))),
        (
            'refund "not arrived" from:anna@example.com is:closed tag:vip after:2026-01-01',
            SearchQuery(
                words=("refund",),
                phrases=("not arrived",),
                from_=("anna@example.com",),
                status="closed",
                tags=("vip",),
                after=date(2026, 1, 1),
            ),
        ),
    ],
)
def test_parse(text: str, expected: SearchQuery) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "before:2026-13-01",
            'before: needs a date written as YYYY-MM-DD, such as before:2026-01-31 (not "2026-13-01").',
        ),
        (
            "after:yesterday",
            'after: needs a date written as YYYY-MM-DD, such as after:2026-01-31 (not "yesterday").',
        ),
        ("is:maybe", "is:maybe is not a filter we know; use is:open or is:closed."),
        ("assignee:bob", "assignee:bob is not a filter we know; use assignee:me or assignee:none."),
        ("has:pdf", "has:pdf is not a filter we know; use has:attachment."),
        ("from:", "from: needs a value, such as from:anna@example.com."),
        ('tag:""', "tag: needs a value, such as tag:billing."),
        (
            "after:2026-02-01 before:2026-01-01",
            "after:2026-02-01 is not earlier than before:2026-01-01: nothing can match.",
        ),
    ],
)
def test_bad_filters_are_explained(text: str, error: str) -> None:
    query = parse(f"refund {text}")
    assert query.errors == (error,)
    assert query.words == ("refund",)  # the rest of the search still runs


def test_a_bad_date_is_dropped_and_a_good_one_kept() -> None:
    query = parse("before:2026-01-31 before:someday")
    assert query.before == date(2026, 1, 31)
    assert len(query.errors) == 1


def test_too_many_terms_are_cut_with_a_message() -> None:
    query = parse(" ".join(f"word{n}" for n in range(MAX_TERMS + 5)))
    assert len(query.words) == MAX_TERMS
    assert query.errors == (f"Only the first {MAX_TERMS} words and filters are searched.",)


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("refund", '"refund"'),
        (
            'refund "late delivery" from:Anna@example.com',
            '"refund" "late delivery" from:anna@example.com',
        ),
        (
            'is:open assignee:me has:attachment tag:"vip customers"',
            'is:open assignee:me has:attachment tag:"vip customers"',
        ),
        ("before:2026-02-01 after:2026-01-01", "after:2026-01-01 before:2026-02-01"),
    ],
)
def test_describe_says_what_was_searched(text: str, described: str) -> None:
    assert parse(text).describe() == described


def test_has_text_only_with_words_or_phrases() -> None:
    assert parse("is:open from:anna").has_text is False
    assert parse("is:open refund").has_text is True
    assert parse('"a b"').has_text is True
