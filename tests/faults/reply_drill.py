"""The "replies with Redis down" drill: an agent replies through gunicorn while Redis is down.

Redis is the broker and the cache. Each reply must answer normally (its thread page after the
redirect included), and once Redis is back the outbound sweeper on the stack's beat queues it;
the worker's file email backend then holds each reply's Message-ID exactly once. Its line has
the keys of the other drills: `ledger_rows` counts the replies stored, `messages` the mails
written, `duplicates` the extra copies of a Message-ID, `lost` the replies posted but never
mailed.
"""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone

from channels_cfg.models import EmailChannel
from helpdesk.models import Agent, Workspace
from inbox.models import Contact, Message, Thread
from tests.faults.stack import Stack

REPLIES = 5
RECOVERY_TIMEOUT = 60.0
# The stack's sweeper requeues after 3 s and runs every 2 s: after the last reply is sent, a
# task it queued a moment before may still be on its way to the claim (and must skip).
SETTLE_SECONDS = 5.0


class AgentBrowser:
    """An agent logged in to the stack's gunicorn, posting forms as a browser without JS does."""

    def __init__(self, stack: Stack, *, username: str, password: str) -> None:
        self.base = f"http://127.0.0.1:{stack.web_port}"
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.opener.open(f"{self.base}/login/", timeout=30).close()
        status = self.post("/login/", {"username": username, "password": password})
        if status != 200 or not self._cookie("sessionid"):
            names = sorted(cookie.name for cookie in self.cookies)
            raise RuntimeError(f"the drill agent could not log in ({status}, cookies {names})")

    def _cookie(self, name: str) -> str:
        return next((cookie.value or "" for cookie in self.cookies if cookie.name == name), "")

    def post(self, path: str, fields: dict[str, str]) -> int:
        """The status of the page the POST ends on (redirects followed); 0 when nothing answered."""
        token = self._cookie("csrftoken")
        request = urllib.request.Request(
            self.base + path,
            data=urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode(),
            headers={"X-CSRFToken": token, "Referer": self.base + path},
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except OSError:
            return 0


def new_thread(stack: Stack, label: str) -> tuple[Thread, str, str]:
    """A workspace of its own with an agent (username, password) and a conversation to answer."""
    tag = f"{label}-{uuid.uuid4().hex[:6]}"
    using = stack.using
    now = timezone.now()
    workspace = Workspace.objects.using(using).create(
        name=tag, company_name=tag, subdomain=tag, plan=Workspace.Plan.PAID
    )
    password = uuid.uuid4().hex
    user = get_user_model()(username=tag, first_name="Drill", last_name="Agent")
    # Hashed as gunicorn checks it: a test process hashes with MD5, which production refuses.
    user.password = PBKDF2PasswordHasher().encode(password, uuid.uuid4().hex, iterations=1000)
    user.save(using=using)
    Agent.objects.using(using).create(user=user, workspace=workspace, role=Agent.Role.AGENT)
    channel = EmailChannel.objects.using(using).create(
        workspace=workspace,
        name="Support",
        company_name=tag,
        status=EmailChannel.Status.CONNECTED,
        connected_at=now,
    )
    contact = Contact.objects.using(using).create(
        workspace=workspace, email=f"customer@{tag}.example"
    )
    thread = Thread.objects.using(using).create(
        workspace=workspace, channel=channel, contact=contact, subject=tag, last_message_at=now
    )
    return thread, tag, password


def mails_written(outbox: Path) -> Counter[str]:
    """How many times each Message-ID was written by the file email backend."""
    text = "".join(path.read_text(errors="replace") for path in sorted(outbox.glob("*.log")))
    return Counter(re.findall(r"^Message-ID: (<[^>]+>)$", text, flags=re.MULTILINE))


def replies_redis_down(stack: Stack) -> dict[str, Any]:
    """Replies posted while Redis is down answer 200 and are each sent once when it is back."""
    thread, username, password = new_thread(stack, "replies-down")
    agent = AgentBrowser(stack, username=username, password=password)
    stack.redis.stop()
    try:
        answers = [
            agent.post(f"/inbox/threads/{thread.pk}/reply/", {"body": f"Reply {number}"})
            for number in range(REPLIES)
        ]
    finally:
        stack.redis.start()
    replies = Message.objects.using(stack.using).filter(
        thread_id=thread.pk, direction=Message.Direction.OUT
    )
    deadline = time.monotonic() + RECOVERY_TIMEOUT
    while time.monotonic() < deadline:
        if not replies.exclude(delivery_status=Message.DeliveryStatus.SENT).exists():
            break
        time.sleep(0.2)
    time.sleep(SETTLE_SECONDS)
    written = mails_written(Path(stack.env()["EMAIL_FILE_PATH"]))
    copies = [written[message_id] for message_id in replies.values_list("message_id", flat=True)]
    return {
        "drill": "replies_redis_down",
        "posted": len(answers),
        "answered_200": sum(1 for status in answers if status == 200),
        "answered_5xx": sum(1 for status in answers if 500 <= status < 600),
        "ledger_rows": len(copies),
        "messages": sum(copies),
        "duplicates": sum(count - 1 for count in copies if count > 1),
        "lost": len(answers) - sum(1 for count in copies if count),
        "sent": replies.filter(delivery_status=Message.DeliveryStatus.SENT).count(),
    }
