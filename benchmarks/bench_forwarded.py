"""Forward detection on the shared corpus: how many manual forwards are attributed, whether any
quoted reply is, and how long detection takes per message. No database, no services.

    .venv/bin/python benchmarks/bench_forwarded.py [--json] [--list]

Every sender is treated as one of the workspace's people (the worst case: their forwards are
believed), so a quoted reply read as a forward shows up. Two ways of deciding are measured:
- `attribute()`: the attribution stage as it is wired today;
- `find_forward()`: forwarded.py's whole detector (text, HTML, the subject's prefixes, the
  "wrote:" line, and In-Reply-To as `replying`), the way attribute.py can call it, attachments
  (message/rfc822) first as there.
Figures per way: manual forwards (INDEX.tsv forwarded-manual with an original_sender) attributed
to that sender; quoted replies (a reply prefix, or INDEX.tsv's reply-with-quoted-history note)
whose contact came from the body (not from an attached message); other non-forwards whose
contact came from the body (bounces quoting our own mail's headers, which the pipeline never
attributes: for information only).
Time: `find_forward()` per message (median, p99, max; best of 3), parsing not timed.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("SHARED_DIR", REPO.parent / "shared"))

from inbox.inbound.attribute import ChannelRules, attribute, is_forward  # noqa: E402
from inbox.inbound.forwarded import (  # noqa: E402
    find_forward,
    find_forwarded_block,
    subject_prefixes,
)
from inbox.inbound.parse import ParsedEmail, parse  # noqa: E402

NOT_FORWARDS = frozenset({"forwarded-manual", "auto-forwarded", "group", "webhook-payload"})


def corpus() -> list[tuple[dict[str, str], ParsedEmail]]:
    with open(SHARED / "corpus" / "INDEX.tsv", encoding="utf-8") as index:
        rows = list(csv.DictReader(index, delimiter="\t"))
    pairs = [
        (row, parse((SHARED / "corpus" / row["path"]).read_bytes()))
        for row in rows
        if row["category"] != "webhook-payload"
    ]
    return [(row, parsed) for row, parsed in pairs if not parsed.malformed]


def by_attribute(parsed: ParsedEmail) -> str:
    rules = ChannelRules(trusted_forwarders=frozenset({parsed.from_email}))
    return attribute(parsed, rules).from_email


def by_find_forward(parsed: ParsedEmail) -> str:
    if parsed.embedded and (is_forward(parsed) or len(parsed.text.strip()) < 2000):
        return parsed.embedded[0].from_email
    block = find_forward(
        text=parsed.text,
        html=parsed.html,
        subject=parsed.subject,
        replying=bool(parsed.in_reply_to),
    )
    # A forward of one's own forward names oneself: the writer is in the block inside it.
    for _ in range(10):
        if block is None or block.from_email != parsed.from_email:
            break
        block = find_forwarded_block(block.body) or block
        if block.from_email == parsed.from_email:
            break
    return block.from_email if block is not None and block.from_email else parsed.from_email


def figures(pairs: list[tuple[dict[str, str], ParsedEmail]], decide: Callable[..., str]) -> dict:
    forwards, attributed = 0, 0
    missed, replies, others = [], [], []
    for row, parsed in pairs:
        sender = decide(parsed)
        if row["category"] == "forwarded-manual" and row["original_sender"]:
            forwards += 1
            if sender == row["original_sender"].lower():
                attributed += 1
            else:
                missed.append(f"{row['path']}: {sender}")
        elif row["category"] in NOT_FORWARDS or sender == parsed.from_email:
            continue
        elif any(sender == inner.from_email for inner in parsed.embedded):
            continue  # an attached message, not the body
        elif (
            subject_prefixes(parsed.subject)[:1] == ["reply"] or "reply-with-quoted" in row["notes"]
        ):
            replies.append(f"{row['path']} ({parsed.subject[:40]!r}): {sender}")
        else:
            others.append(f"{row['path']}: {sender}")
    return {
        "forwards": f"{attributed}/{forwards}",
        "quoted_replies_from_body": len(replies),
        "other_from_body": len(others),
        "missed": missed,
        "replies": replies,
    }


def timing(pairs: list[tuple[dict[str, str], ParsedEmail]]) -> dict[str, float]:
    seconds = []
    for _, parsed in pairs:
        best = float("inf")
        for _ in range(3):  # best of three: the machine is shared
            start = time.perf_counter()
            find_forward(text=parsed.text, html=parsed.html, subject=parsed.subject)
            best = min(best, time.perf_counter() - start)
        seconds.append(best)
    seconds.sort()
    return {
        "messages": len(seconds),
        "median_ms": round(statistics.median(seconds) * 1000, 3),
        "p99_ms": round(seconds[max(int(len(seconds) * 0.99) - 1, 0)] * 1000, 3),
        "max_ms": round(seconds[-1] * 1000, 3),
    }


def main() -> None:
    pairs = corpus()
    result = {
        "attribute": figures(pairs, by_attribute),
        "find_forward": figures(pairs, by_find_forward),
        "find_forward_time": timing(pairs),
    }
    if "--json" in sys.argv:
        print(json.dumps(result))
        return
    for way in ("attribute", "find_forward"):
        numbers = result[way]
        print(
            f"{way}(): forwards attributed {numbers['forwards']}, quoted replies from the body "
            f"{numbers['quoted_replies_from_body']}, other non-forwards from the body "
            f"{numbers['other_from_body']}"
        )
        if "--list" in sys.argv:
            for line in numbers["missed"] + numbers["replies"]:
                print(f"  {line}")
    spent = result["find_forward_time"]
    print(
        f"find_forward() per message over {spent['messages']} messages: median "
        f"{spent['median_ms']} ms, p99 {spent['p99_ms']} ms, max {spent['max_ms']} ms"
    )


if __name__ == "__main__":
    main()
