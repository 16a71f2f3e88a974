"""The agents' inbox pages and actions, through the test client against the database."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk.models import Agent
from inbox.models import BlockedSender, Contact, Message, Thread, ThreadReadState, Ticket
from inbox.selectors.threads import PAGE_SIZE
from tests.factories import AgentFactory, MessageFactory, TeamFactory, ThreadFactory
from tests.inbox.conftest import inbound

pytestmark = pytest.mark.django_db


def row_ids(response) -> list[int]:
    return [
        int(value) for value in re.findall(r'data-thread-id="(\d+)"', response.content.decode())
    ]


def view_count(response, slug: str) -> int:
    match = re.search(rf'data-view-count="{slug}">(\d+)<', response.content.decode())
    assert match, f"no count for {slug}"
    return int(match[1])


def test_views_list_the_right_threads_with_counts(agent_client, agent, workspace):
    mine = ThreadFactory(workspace=workspace, assignee=agent.user)
    unassigned = ThreadFactory(workspace=workspace)
    closed = ThreadFactory(workspace=workspace, status=Thread.Status.CLOSED)
    ThreadFactory(workspace=workspace, is_spam=True)
    confirmation = ThreadFactory(workspace=workspace, kind=Thread.Kind.FORWARDING_CONFIRMATION)

    expected = {
        "unassigned": [unassigned.pk],
        "mine": [mine.pk],
        "open": sorted([mine.pk, unassigned.pk]),
        "closed": [closed.pk],
    }
    for slug, ids in expected.items():
        response = agent_client.get("/inbox/", {"view": slug})
        assert sorted(row_ids(response)) == sorted(ids), slug
        assert view_count(response, slug) == len(ids)
    # Forwarding confirmations are an admin view; an agent falls back to "All open".
    response = agent_client.get("/inbox/", {"view": "confirmations"})
    assert confirmation.pk not in row_ids(response)
    assert 'data-view-count="confirmations"' not in response.content.decode()


def test_admins_see_forwarding_confirmations(admin_client, workspace):
    confirmation = ThreadFactory(workspace=workspace, kind=Thread.Kind.FORWARDING_CONFIRMATION)
    response = admin_client.get("/inbox/", {"view": "confirmations"})
    assert row_ids(response) == [confirmation.pk]
    assert view_count(response, "confirmations") == 1


def test_list_row_shows_contact_subject_snippet_assignee_and_ticket_status(
    agent_client, conversation
):
    html = agent_client.get("/inbox/").content.decode()
    for text in ("Jane Doe", "jane@customer.example", "Printer on fire", "It started smoking"):
        assert text in html
    assert "Unassigned" in html and "New" in html


def test_unread_marker_clears_when_the_agent_opens_the_thread(agent_client, conversation):
    assert "thread-row--unread" in agent_client.get("/inbox/").content.decode()
    agent_client.get(f"/inbox/threads/{conversation.pk}/")
    assert "thread-row--unread" not in agent_client.get("/inbox/").content.decode()
    inbound(conversation, text="Still burning")
    assert "thread-row--unread" in agent_client.get("/inbox/").content.decode()


def test_read_state_is_per_agent(agent_client, workspace, conversation):
    other = AgentFactory(workspace=workspace)
    agent_client.get(f"/inbox/threads/{conversation.pk}/")
    assert not ThreadReadState.objects.filter(user=other.user).exists()


def test_keyset_pagination_walks_every_thread_once(agent_client, workspace):
    now = timezone.now()
    same_moment = now - timedelta(minutes=5)
    threads = [
        ThreadFactory(
            workspace=workspace,
            last_message_at=same_moment if i % 3 else now - timedelta(minutes=i),
        )
        for i in range(PAGE_SIZE * 2 + 7)
    ]
    seen: list[int] = []
    params: dict[str, str] = {"view": "open"}
    for _ in range(5):
        html = agent_client.get("/inbox/", params).content.decode()
        seen += row_ids_from_html(html)
        cursor = re.search(r'href="/inbox/\?[^"]*cursor=([^"&]+)', html)
        if not cursor:
            break
        params = {"view": "open", "cursor": cursor[1]}
    assert sorted(seen) == sorted(thread.pk for thread in threads)
    assert len(seen) == len(set(seen))


def row_ids_from_html(html: str) -> list[int]:
    return [int(value) for value in re.findall(r'data-thread-id="(\d+)"', html)]


def test_a_garbled_cursor_shows_the_first_page(agent_client, conversation):
    response = agent_client.get("/inbox/", {"cursor": "!!not-a-cursor"})
    assert response.status_code == 200
    assert row_ids(response) == [conversation.pk]


@pytest.mark.parametrize("query", ["printer", "JANE", "customer.example", "Doe"])
def test_search_by_subject_contact_name_or_address(agent_client, workspace, conversation, query):
    ThreadFactory(workspace=workspace, subject="Unrelated")
    assert row_ids(agent_client.get("/inbox/", {"q": query})) == [conversation.pk]


def test_search_with_no_match_says_what_to_do(agent_client, conversation):
    html = agent_client.get("/inbox/", {"q": "zebra"}).content.decode()
    assert "No conversations match" in html and "Clear them" in html


def test_filters_by_channel_and_assignee(agent_client, agent, workspace, conversation):
    other = ThreadFactory(workspace=workspace, assignee=agent.user)
    assert row_ids(agent_client.get("/inbox/", {"channel": conversation.channel_id})) == [
        conversation.pk
    ]
    assert row_ids(agent_client.get("/inbox/", {"assignee": str(agent.user_id)})) == [other.pk]
    assert row_ids(agent_client.get("/inbox/", {"assignee": "none"})) == [conversation.pk]


@pytest.mark.parametrize(
    ("view", "text"),
    [
        ("open", "No conversations yet"),
        ("unassigned", "Nothing waiting for an owner"),
        ("mine", "Nothing assigned to you"),
        ("closed", "No closed conversations"),
    ],
)
def test_empty_states_say_what_to_do(agent_client, view, text):
    assert text in agent_client.get("/inbox/", {"view": view}).content.decode()


def test_thread_page_shows_attribution_change_contact_and_sandboxed_html(
    agent_client, conversation
):
    html = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert "forwarded by boss@customer.example, attributed via the forwarded message block" in html
    assert "Change contact" in html
    iframe = re.search(r"<iframe[^>]*>", html)[0]
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in iframe
    assert "allow-scripts" not in iframe and "allow-same-origin" not in iframe
    assert "default-src &amp;#x27;none&amp;#x27;" in iframe
    assert "Show images" in html
    assert "report.html" in html and "text/html" in html and "27" in html


def test_show_images_allows_remote_images_for_that_message_only(agent_client, conversation):
    message = conversation.messages.get()
    response = agent_client.get(f"/inbox/threads/{conversation.pk}/messages/{message.pk}/?images=1")
    html = response.content.decode()
    assert "img-src data: http://testserver;" in html
    assert "http://testserver/image-proxy/?src=" in html
    assert "Show images" not in html


def test_plain_text_message_is_shown_without_an_iframe(agent_client, conversation):
    inbound(conversation, text="Line one\nLine <two>", html="")
    html = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert "Line one<br>Line &lt;two&gt;" in html


def test_auto_replies_and_bounces_are_labelled_and_bounces_sit_on_their_reply(
    agent_client, conversation, agent
):
    reply = MessageFactory(
        thread=conversation,
        direction=Message.Direction.OUT,
        delivery_status=Message.DeliveryStatus.SENT,
        from_email="support@x.example",
        text="We are on it",
    )
    inbound(conversation, is_auto_reply=True, text="I am out of office")
    inbound(conversation, is_bounce=True, bounce_of=reply, subject="Undeliverable", text="550")
    html = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert 'badge--auto_reply">Auto-reply' in html
    assert 'badge--bounce">Bounce' in html
    reply_html = re.search(rf'<article id="message-{reply.pk}".*?</article>', html, re.S)[0]
    assert "Not delivered" in reply_html and "bounce report" in reply_html


def test_assign_to_me_then_to_a_team(agent_client, agent, workspace, conversation):
    response = agent_client.post(f"/inbox/threads/{conversation.pk}/assign/", {"assignee": "me"})
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.assignee == agent.user
    team = TeamFactory(workspace=workspace)
    agent_client.post(
        f"/inbox/threads/{conversation.pk}/assign/", {"assignee": "none", "team": team.pk}
    )
    conversation.refresh_from_db()
    assert conversation.assignee is None and conversation.assigned_team == team


def test_assign_over_htmx_returns_the_refreshed_header_and_panels(
    agent_client, agent, conversation
):
    response = agent_client.post(
        f"/inbox/threads/{conversation.pk}/assign/", {"assignee": "me"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'id="thread-actions" class="thread-header" hx-swap-oob="true"' in html
    assert 'id="side-panels"' in html
    assert agent.full_name in html


def test_close_and_reopen_carry_the_ticket(agent_client, conversation):
    agent_client.post(f"/inbox/threads/{conversation.pk}/status/", {"status": "closed"})
    conversation.refresh_from_db()
    assert conversation.status == "closed" and conversation.ticket.status == "closed"
    agent_client.post(f"/inbox/threads/{conversation.pk}/status/", {"status": "open"})
    conversation.refresh_from_db()
    assert conversation.status == "open" and conversation.ticket.status == "waiting_on_us"


def test_mark_as_spam_blocks_the_sender_and_leaves_the_inbox(agent_client, workspace, conversation):
    response = agent_client.post(f"/inbox/threads/{conversation.pk}/spam/")
    assert response.status_code == 302
    assert BlockedSender.objects.filter(workspace=workspace, value="jane@customer.example").exists()
    for view in ("open", "closed", "unassigned"):
        assert conversation.pk not in row_ids(agent_client.get("/inbox/", {"view": view}))


def test_block_sender_is_for_admins_only(agent_client, admin_client, workspace, conversation):
    assert agent_client.post(f"/inbox/threads/{conversation.pk}/block/").status_code == 403
    assert not BlockedSender.objects.exists()
    assert admin_client.post(f"/inbox/threads/{conversation.pk}/block/").status_code == 302
    assert BlockedSender.objects.get(workspace=workspace).value == "jane@customer.example"
    # A second block is idempotent.
    assert admin_client.post(f"/inbox/threads/{conversation.pk}/block/").status_code == 302
    assert BlockedSender.objects.count() == 1


def test_change_contact_reattributes_the_thread(agent_client, workspace, conversation):
    agent_client.post(
        f"/inbox/threads/{conversation.pk}/contact/",
        {"email": "Boss@Customer.example", "name": "The Boss"},
    )
    conversation.refresh_from_db()
    assert conversation.contact.email == "Boss@Customer.example"
    assert conversation.contact.name == "The Boss"
    # Existing contacts are reused case-insensitively.
    agent_client.post(
        f"/inbox/threads/{conversation.pk}/contact/", {"email": "JANE@customer.example"}
    )
    conversation.refresh_from_db()
    assert conversation.contact.name == "Jane Doe"
    assert Contact.objects.filter(workspace=workspace).count() == 2


def test_change_contact_refuses_a_bad_address(agent_client, conversation):
    contact = conversation.contact
    agent_client.post(f"/inbox/threads/{conversation.pk}/contact/", {"email": "nobody"})
    conversation.refresh_from_db()
    assert conversation.contact == contact


def test_contact_owner_and_ticket_properties_are_editable(agent_client, agent, conversation):
    contact = conversation.contact
    agent_client.post(
        f"/inbox/threads/{conversation.pk}/contacts/{contact.pk}/owner/", {"owner": agent.user_id}
    )
    contact.refresh_from_db()
    assert contact.owner == agent.user
    agent_client.post(
        f"/inbox/threads/{conversation.pk}/ticket/",
        {
            "pipeline": "support",
            "status": "waiting_on_contact",
            "priority": "urgent",
            "category": "billing",
            "owner": agent.user_id,
        },
    )
    ticket = Ticket.objects.get(thread=conversation)
    assert (ticket.status, ticket.priority, ticket.category, ticket.owner) == (
        "waiting_on_contact",
        "urgent",
        "billing",
        agent.user,
    )


def test_ticket_refuses_unknown_values(agent_client, conversation):
    agent_client.post(f"/inbox/threads/{conversation.pk}/ticket/", {"priority": "apocalyptic"})
    assert Ticket.objects.get(thread=conversation).priority == "medium"


def test_ticket_edit_creates_a_missing_ticket(agent_client, workspace):
    thread = ThreadFactory(workspace=workspace, subject="No ticket yet")
    agent_client.post(f"/inbox/threads/{thread.pk}/ticket/", {"priority": "high"})
    assert Ticket.objects.get(thread=thread).name == "No ticket yet"


def test_availability_toggle(agent_client, agent):
    assert 'value="away"' in agent_client.get("/inbox/").content.decode()
    agent_client.post("/inbox/availability/", {"availability": "away", "next": "/inbox/"})
    agent.refresh_from_db()
    assert agent.availability == Agent.Availability.AWAY
    agent_client.post("/inbox/availability/", {"availability": "sleeping"})
    agent.refresh_from_db()
    assert agent.availability == Agent.Availability.AWAY


def test_availability_redirect_stays_on_our_site(agent_client):
    response = agent_client.post(
        "/inbox/availability/", {"availability": "away", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/inbox/"


def test_list_poll_is_empty_until_mail_arrives(agent_client, conversation):
    html = agent_client.get("/inbox/").content.decode()
    stamp = re.search(r"/inbox/poll/\?[^\"]*stamp=(\d+)", html)[1]
    assert agent_client.get("/inbox/poll/", {"view": "open", "stamp": stamp}).status_code == 204
    newcomer = ThreadFactory(workspace=conversation.workspace, subject="Brand new question")
    MessageFactory(thread=newcomer)
    response = agent_client.get("/inbox/poll/", {"view": "open", "stamp": stamp})
    assert response.status_code == 200
    assert "Brand new question" in response.content.decode()
    assert 'id="view-nav" class="view-list" hx-swap-oob="true"' in response.content.decode()


def test_thread_poll_returns_only_new_messages(agent_client, conversation):
    first = conversation.messages.get()
    url = f"/inbox/threads/{conversation.pk}/poll/"
    assert agent_client.get(url, {"after": first.pk}).status_code == 204
    newer = inbound(conversation, text="Now it is smoking more")
    html = agent_client.get(url, {"after": first.pk}).content.decode()
    assert f'id="message-{newer.pk}"' in html and f'id="message-{first.pk}"' not in html
    assert f"after={newer.pk}" in html  # the poller moves on


def test_pages_need_a_login(client, conversation):
    response = client.get(f"/inbox/threads/{conversation.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_address_in_the_display_name_is_flagged_and_the_real_address_shown(
    agent_client, conversation
):
    """docs/reliability.md, "Display names that look like addresses"."""
    inbound(conversation, from_name="support@bank.example", from_email="x@evil.example")
    html = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert "&lt;x@evil.example&gt;" in html
    assert "The sender&#x27;s name looks like an address" in html


def test_pipeline_sender_warnings_are_shown(agent_client, conversation):
    inbound(conversation, sender_warnings=["DMARC failed: the sender is not verified"])
    html = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert "DMARC failed: the sender is not verified" in html


def test_a_refused_htmx_action_shows_why(agent_client, conversation):
    response = agent_client.post(
        f"/inbox/threads/{conversation.pk}/contact/", {"email": "nobody"}, HTTP_HX_REQUEST="true"
    )
    assert "Enter a valid email address." in response.content.decode()


def test_a_refused_htmx_reply_is_shown_beside_the_composer_once(agent_client, conversation):
    url = f"/inbox/threads/{conversation.pk}/reply/"
    response = agent_client.post(url, {"body": ""}, HTTP_HX_REQUEST="true")
    assert 'id="composer-error"' in response.content.decode()
    assert "Write a reply before sending." in response.content.decode()
    page = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert "Write a reply before sending." not in page


def test_a_refused_plain_reply_is_flashed_on_the_thread(agent_client, conversation):
    url = f"/inbox/threads/{conversation.pk}/reply/"
    response = agent_client.post(url, {"body": ""}, follow=True)
    assert response.redirect_chain == [(f"/inbox/threads/{conversation.pk}/", 302)]
    html = response.content.decode()
    assert html.count("Write a reply before sending.") == 1
    assert '<p id="composer-error" class="composer__error" role="alert"></p>' in html


def test_a_new_bounce_rerenders_the_reply_it_reports_on(agent_client, conversation):
    reply = MessageFactory(
        thread=conversation,
        direction=Message.Direction.OUT,
        delivery_status=Message.DeliveryStatus.SENT,
        text="We are on it",
    )
    bounce = inbound(conversation, is_bounce=True, bounce_of=reply, subject="Undeliverable")
    html = agent_client.get(
        f"/inbox/threads/{conversation.pk}/poll/", {"after": reply.pk}
    ).content.decode()
    assert f'id="message-{bounce.pk}"' in html
    replaced = re.search(
        rf'<article id="message-{reply.pk}" hx-swap-oob="true".*?</article>', html, re.S
    )
    assert replaced and "Not delivered" in replaced[0]


def test_forwarding_confirmation_threads_are_for_admins(agent_client, admin_client, workspace):
    confirmation = ThreadFactory(workspace=workspace, kind=Thread.Kind.FORWARDING_CONFIRMATION)
    MessageFactory(thread=confirmation, text="Confirmation code: 123456")
    assert agent_client.get(f"/inbox/threads/{confirmation.pk}/").status_code == 404
    assert "123456" in admin_client.get(f"/inbox/threads/{confirmation.pk}/").content.decode()


def test_one_click_change_contact_to_the_forwarder(agent_client, conversation):
    html = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert "Change contact to boss@customer.example" in html
    agent_client.post(
        f"/inbox/threads/{conversation.pk}/contact/", {"email": "boss@customer.example"}
    )
    conversation.refresh_from_db()
    assert conversation.contact.email == "boss@customer.example"
    html = agent_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert "Change contact to boss@customer.example" not in html


def test_htmx_partials_for_load_more_and_the_list_beside_a_thread(
    agent_client, workspace, conversation
):
    newest = [ThreadFactory(workspace=workspace) for _ in range(PAGE_SIZE + 1)][-1]
    html = agent_client.get("/inbox/").content.decode()
    cursor = re.search(r'hx-get="/inbox/\?[^"]*cursor=([^"&]+)"', html)[1]
    rows = agent_client.get("/inbox/", {"cursor": cursor}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in rows and rows.count("data-thread-id=") == 2
    side = agent_client.get(
        "/inbox/",
        {"current": newest.pk},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="thread-list",
    ).content.decode()
    assert side.lstrip().startswith('<div id="thread-list"')
    assert "thread-row--current" in side and f"current={newest.pk}" in side


def test_admin_can_block_the_senders_whole_domain(admin_client, workspace, conversation):
    html = admin_client.get(f"/inbox/threads/{conversation.pk}/").content.decode()
    assert "Block customer.example" in html
    admin_client.post(f"/inbox/threads/{conversation.pk}/block/", {"value": "customer.example"})
    blocked = BlockedSender.objects.get(workspace=workspace)
    assert blocked.value == "customer.example" and blocked.is_domain


def test_huge_views_show_a_capped_count(agent_client, workspace, settings, monkeypatch):
    from inbox.selectors import threads as selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    for _ in range(5):
        ThreadFactory(workspace=workspace, status=Thread.Status.CLOSED)
    ThreadFactory(workspace=workspace)
    html = agent_client.get("/inbox/").content.decode()
    assert 'data-view-count="closed">3+<' in html
    assert 'data-view-count="open">1<' in html


def test_shown_images_use_https_behind_a_trusted_tls_proxy(agent_client, conversation, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    message = conversation.messages.get()
    html = agent_client.get(
        f"/inbox/threads/{conversation.pk}/messages/{message.pk}/?images=1",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_HOST="testserver",  # a browser always sends it
    ).content.decode()
    assert "img-src data: https://testserver;" in html
    assert "https://testserver/image-proxy/?src=" in html
