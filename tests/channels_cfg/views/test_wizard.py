"""The connect wizard's steps and a connected channel's edit pages: each step and each of its
actions a URL saving onto the channel, htmx partial or full page."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channels_cfg.models import EmailChannel, ForwardingConfirmation, SendingDomain
from channels_cfg.services.channels import ChannelNotReady, channel_connect
from channels_cfg.services.wizard import channel_draft_start, forwarding_address_customize
from helpdesk.refusals import Refused
from tests.channels_cfg.conftest import HTMX, from_data
from tests.factories import (
    AdminFactory,
    AgentFactory,
    EmailChannelFactory,
    ForwardingAddressFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def assignment_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "assign_mode": "users_and_teams",
        "create_tickets": "on",
        "ticket_pipeline": "support",
        "ticket_status": "new",
        "ticket_priority": "medium",
        "ticket_category": "",
    }
    data.update(overrides)
    return data


# --- entry and permissions ------------------------------------------------------------------


def test_start_creates_a_draft_with_a_hosted_forwarding_address(
    admin_client: Client, workspace
) -> None:
    page = admin_client.get(reverse("channels_cfg:connect"))
    assert page.status_code == 200
    assert b"Other email account" in page.content

    response = admin_client.post(reverse("channels_cfg:connect"))

    channel = EmailChannel.objects.get(workspace=workspace)
    assert channel.status == EmailChannel.Status.DRAFT
    assert response.url == reverse("channels_cfg:connect_from", args=[channel.pk])
    address = channel.forwarding_address.address
    assert address.endswith(f"@{workspace.subdomain}.inbox.localhost")
    assert channel.forwarding_address.locked_at is None
    # The default from address is <username>@<subdomain>.<hosted domain>.
    assert channel.default_from_address == address


def test_free_workspace_gets_the_free_hosted_domain(client: Client) -> None:
    admin = AdminFactory(workspace__plan="free")
    client.force_login(admin.user)
    client.post(reverse("channels_cfg:connect"))
    channel = EmailChannel.objects.get(workspace=admin.workspace)
    assert channel.default_from_address.endswith(
        f"@{admin.workspace.subdomain}.free.inbox.localhost"
    )


@pytest.mark.parametrize(
    "name", ["connect_from", "connect_assignment", "connect_address", "connect_provider"]
)
def test_agents_get_403_and_strangers_the_login_page(client: Client, draft, name: str) -> None:
    url = reverse(f"channels_cfg:{name}", args=[draft.pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("login"))

    agent = AgentFactory(workspace=draft.workspace)
    client.force_login(agent.user)
    assert client.get(url).status_code == 403
    assert client.post(url, from_data()).status_code == 403


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("post", "connect_from_verify"),
        ("post", "connect_from_send_verification"),
        ("post", "connect_preview"),
        ("post", "connect_assignment_back"),
        ("post", "connect_assignment_ticket"),
        ("post", "connect_assignment_ticket_save"),
        ("post", "connect_address_customize"),
        ("get", "connect_confirmation"),
        ("post", "connect_finish"),
        ("get", "edit"),
        ("post", "edit_verify"),
        ("post", "edit_send_verification"),
        ("get", "edit_assignment"),
        ("post", "edit_assignment_ticket"),
        ("post", "edit_assignment_ticket_save"),
        ("post", "disconnect"),
        ("post", "reconnect"),
        ("post", "test_email"),
        ("get", "test_email_status"),
    ],
)
def test_every_channel_endpoint_is_for_admins_of_the_workspace(
    client: Client, draft, method: str, name: str
) -> None:
    url = reverse(f"channels_cfg:{name}", args=[draft.pk])
    send = getattr(client, method)
    assert send(url).url.startswith(reverse("login"))
    client.force_login(AgentFactory(workspace=draft.workspace).user)
    assert send(url).status_code == 403
    client.force_login(AdminFactory().user)
    assert send(url).status_code == 404
    draft.refresh_from_db()
    assert draft.status == EmailChannel.Status.DRAFT
    assert mail.outbox == []


@pytest.mark.parametrize(
    "name",
    ["connect_from", "connect_assignment", "connect_address", "connect_provider", "edit"],
)
def test_another_workspaces_admin_gets_404(client: Client, draft, name: str) -> None:
    stranger = AdminFactory()
    client.force_login(stranger.user)
    assert client.get(reverse(f"channels_cfg:{name}", args=[draft.pk])).status_code == 404
    assert client.post(reverse("channels_cfg:connect_finish", args=[draft.pk])).status_code == 404
    draft.refresh_from_db()
    assert draft.status == EmailChannel.Status.DRAFT


def test_posts_without_a_csrf_token_are_refused(admin_agent, draft) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_agent.user)
    response = client.post(reverse("channels_cfg:connect_from", args=[draft.pk]), from_data())
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.company_name == draft.workspace.company_name


# --- step 1 -----------------------------------------------------------------------------------


def test_step_one_saves_onto_the_draft_and_moves_on(admin_client: Client, draft) -> None:
    url = reverse("channels_cfg:connect_from", args=[draft.pk])
    response = admin_client.post(
        url,
        from_data(
            company_name="Acme Support",
            from_name_mode="company",
            signature_html='<b>{{full_name}}</b><script>alert(1)</script><a href="javascript:x">x</a>',
        ),
    )
    assert response.status_code == 302
    assert response.url == reverse("channels_cfg:connect_assignment", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.company_name == "Acme Support"
    assert draft.from_name_mode == "company"
    assert draft.signature_html.startswith("<b>{{full_name}}</b>")
    assert "script" not in draft.signature_html
    assert "javascript" not in draft.signature_html
    # A reload (or a second tab) shows what was saved.
    page = admin_client.get(url)
    assert b'value="Acme Support"' in page.content


def test_htmx_gets_the_step_partial_and_a_plain_request_the_whole_page(
    admin_client: Client, draft
) -> None:
    url = reverse("channels_cfg:connect_from", args=[draft.pk])
    full = admin_client.get(url)
    partial = admin_client.get(url, **HTMX)
    assert b"<html" in full.content and b'id="wizard"' in full.content
    assert b"<html" not in partial.content and b'id="wizard"' in partial.content

    moved = admin_client.post(url, from_data(), **HTMX)
    assert moved.status_code == 200
    assert reverse("channels_cfg:connect_assignment", args=[draft.pk]) in moved["HX-Location"]


def test_an_htmx_history_restore_gets_the_whole_page(admin_client: Client, draft) -> None:
    url = reverse("channels_cfg:connect_assignment", args=[draft.pk])
    response = admin_client.get(url, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert b"<html" in response.content


def test_from_name_must_be_unique_among_hosted_channels(admin_client: Client, draft) -> None:
    EmailChannelFactory(workspace=draft.workspace, company_name="Acme")
    response = admin_client.post(
        reverse("channels_cfg:connect_from", args=[draft.pk]),
        from_data(company_name="ACME"),
        **HTMX,
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "already uses the from name" in content
    assert 'aria-invalid="true"' in content
    assert 'id="id_company_name-error"' in content
    draft.refresh_from_db()
    assert draft.company_name != "ACME"


def test_a_name_used_only_by_another_workspace_or_a_draft_is_free(
    admin_client: Client, draft
) -> None:
    EmailChannelFactory(company_name="Acme")  # another workspace
    EmailChannelFactory(workspace=draft.workspace, company_name="Acme", status="draft")
    response = admin_client.post(
        reverse("channels_cfg:connect_from", args=[draft.pk]), from_data(company_name="Acme")
    )
    assert response.status_code == 302


def test_custom_mode_needs_an_address(admin_client: Client, draft) -> None:
    response = admin_client.post(
        reverse("channels_cfg:connect_from", args=[draft.pk]),
        from_data(from_address_mode="custom"),
    )
    assert response.status_code == 200
    assert b"Enter the address replies should come from." in response.content

    bad = admin_client.post(
        reverse("channels_cfg:connect_from", args=[draft.pk]),
        from_data(from_address_mode="custom", custom_from_address="not-an-address"),
    )
    assert b"Enter a valid email address." in bad.content


def test_preview_shows_the_from_line_and_signature_with_the_current_users_names(
    admin_client: Client, admin_agent, draft
) -> None:
    admin_agent.user.first_name = "Dana"
    admin_agent.user.last_name = "O'Neil <3"
    admin_agent.user.save()
    response = admin_client.post(
        reverse("channels_cfg:connect_preview", args=[draft.pk]),
        from_data(
            company_name="Acme",
            signature_html="<p>Cheers, {{first_name}} ({{ full_name }})</p><img src=x onerror=alert(1)>",
        ),
        **HTMX,
    )
    content = response.content.decode()
    assert "<html" not in content
    assert "Dana O&#x27;Neil &lt;3 at Acme" in content
    assert "Cheers, Dana (Dana O&#x27;Neil &lt;3)" in content
    assert "onerror" not in content
    assert draft.default_from_address in content
    # Nothing is saved by the preview.
    draft.refresh_from_db()
    assert draft.signature_html == ""


def test_preview_of_company_mode_and_custom_address(admin_client: Client, draft) -> None:
    response = admin_client.post(
        reverse("channels_cfg:connect_preview", args=[draft.pk]),
        from_data(
            from_name_mode="company",
            company_name="Acme Help",
            from_address_mode="custom",
            custom_from_address="help@acme.example",
        ),
    )
    content = response.content.decode()
    assert ">Acme Help<" in content
    assert "help@acme.example" in content


def test_a_verified_sending_domain_of_a_paid_workspace_is_accepted_outright(
    admin_client: Client, draft
) -> None:
    SendingDomain.objects.create(workspace=draft.workspace, domain="acme.example", verified=True)
    admin_client.post(
        reverse("channels_cfg:connect_from", args=[draft.pk]),
        from_data(from_address_mode="custom", custom_from_address="help@ACME.example"),
    )
    page = admin_client.get(reverse("channels_cfg:connect_from", args=[draft.pk]))
    assert b"Verified domain" in page.content
    draft.refresh_from_db()
    finished = channel_connect(channel=draft, now=timezone.now())
    assert finished.status == EmailChannel.Status.CONNECTED


def test_a_free_workspace_must_verify_even_on_a_verified_domain(client: Client) -> None:
    admin = AdminFactory(workspace__plan="free")
    channel = channel_draft_start(workspace=admin.workspace, created_by=admin.user)
    SendingDomain.objects.create(workspace=admin.workspace, domain="acme.example", verified=True)
    client.force_login(admin.user)
    client.post(
        reverse("channels_cfg:connect_from", args=[channel.pk]),
        from_data(from_address_mode="custom", custom_from_address="help@acme.example"),
    )
    channel.refresh_from_db()
    with pytest.raises(ChannelNotReady):
        channel_connect(channel=channel, now=timezone.now())


# --- step 2 -----------------------------------------------------------------------------------


def test_assignment_defaults_off_and_tickets_on(admin_client: Client, draft) -> None:
    page = admin_client.get(reverse("channels_cfg:connect_assignment", args=[draft.pk]))
    content = page.content.decode()
    assert 'name="auto_assign" role="switch" id="id_auto_assign">' in content
    assert 'name="create_tickets" role="switch" id="id_create_tickets" checked>' in content


def test_assignment_saves_users_teams_and_ticket_properties(
    admin_client: Client, admin_agent, draft
) -> None:
    agent = AgentFactory(workspace=draft.workspace)
    team = TeamFactory(workspace=draft.workspace)
    response = admin_client.post(
        reverse("channels_cfg:connect_assignment", args=[draft.pk]),
        assignment_data(
            auto_assign="on",
            assign_users=[agent.user.pk, admin_agent.user.pk],
            assign_teams=[team.pk],
            ticket_priority="high",
            ticket_category="billing",
        ),
    )
    assert response.status_code == 302
    assert response.url == reverse("channels_cfg:connect_address", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.auto_assign is True
    assert set(draft.assign_users.all()) == {agent.user, admin_agent.user}
    assert list(draft.assign_teams.all()) == [team]
    assert (draft.ticket_priority, draft.ticket_category) == ("high", "billing")


def test_auto_assign_to_users_and_teams_needs_someone(admin_client: Client, draft) -> None:
    response = admin_client.post(
        reverse("channels_cfg:connect_assignment", args=[draft.pk]),
        assignment_data(auto_assign="on"),
    )
    assert response.status_code == 200
    assert b"Choose at least one user or team" in response.content
    draft.refresh_from_db()
    assert draft.auto_assign is False


def test_contact_owner_mode_needs_no_selection_and_explains_itself(
    admin_client: Client, draft
) -> None:
    url = reverse("channels_cfg:connect_assignment", args=[draft.pk])
    page = admin_client.get(url).content.decode()
    assert "An owner must be set on the contact" in page
    assert "When the owner is away, they are emailed the conversation" in page
    response = admin_client.post(
        url, assignment_data(auto_assign="on", assign_mode="contact_owner", create_tickets="")
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.assign_mode, draft.create_tickets) == ("contact_owner", False)


def test_users_and_teams_of_other_workspaces_cannot_be_chosen(admin_client: Client, draft) -> None:
    outsider = AgentFactory()
    foreign_team = TeamFactory()
    response = admin_client.post(
        reverse("channels_cfg:connect_assignment", args=[draft.pk]),
        assignment_data(
            auto_assign="on", assign_users=[outsider.user.pk], assign_teams=[foreign_team.pk]
        ),
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert draft.assign_users.count() == 0
    page = admin_client.get(reverse("channels_cfg:connect_assignment", args=[draft.pk]))
    assert outsider.user.username.encode() not in page.content


def test_edit_ticket_panel_saves_and_stays(admin_client: Client, draft) -> None:
    opened = admin_client.post(
        reverse("channels_cfg:connect_assignment_ticket", args=[draft.pk]), assignment_data()
    )
    assert b'id="ticket-panel"' in opened.content and b"data-modal open" in opened.content
    saved = admin_client.post(
        reverse("channels_cfg:connect_assignment_ticket_save", args=[draft.pk]),
        assignment_data(ticket_status="waiting_on_us"),
        **HTMX,
    )
    assert saved.status_code == 200
    assert b"Ticket properties saved." in saved.content
    draft.refresh_from_db()
    assert draft.ticket_status == "waiting_on_us"


def test_back_saves_step_two_and_returns_to_step_one(admin_client: Client, draft) -> None:
    page = admin_client.get(reverse("channels_cfg:connect_assignment", args=[draft.pk]))
    back = reverse("channels_cfg:connect_assignment_back", args=[draft.pk])
    assert f'formaction="{back}"' in page.content.decode()
    response = admin_client.post(back, assignment_data(create_tickets=""))
    assert response.url == reverse("channels_cfg:connect_from", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.create_tickets is False


# --- step 3 -----------------------------------------------------------------------------------


def test_address_step_shows_copy_button_warning_and_customize(admin_client: Client, draft) -> None:
    page = admin_client.get(
        reverse("channels_cfg:connect_address", args=[draft.pk])
    ).content.decode()
    address = draft.forwarding_address.address
    assert f'data-copy="{address}"' in page
    assert "cannot be edited after you click Connect &amp; finish" in page
    assert "Customize address" in page


@pytest.mark.parametrize(
    ("local_part", "error"),
    [
        ("ab", "Use at least 3 characters."),
        ("bad name!", "Use only lower-case letters"),
        ("postmaster", "is reserved"),
        ("x" * 41, "Use at most 40 characters."),
    ],
)
def test_customize_address_rejects_bad_local_parts(
    admin_client: Client, draft, local_part: str, error: str
) -> None:
    before = draft.forwarding_address.address
    response = admin_client.post(
        reverse("channels_cfg:connect_address_customize", args=[draft.pk]),
        {"local_part": local_part},
        **HTMX,
    )
    content = response.content.decode()
    assert error in content
    assert "data-modal open" in content  # the dialog stays open with its error
    draft.forwarding_address.refresh_from_db()
    assert draft.forwarding_address.address == before


def test_customize_address_must_be_unique(admin_client: Client, draft) -> None:
    other = ForwardingAddressFactory(
        channel__workspace=draft.workspace,
        address=f"taken-name@{draft.workspace.hosted_domain}",
    )
    response = admin_client.post(
        reverse("channels_cfg:connect_address_customize", args=[draft.pk]),
        {"local_part": "Taken-Name"},
    )
    assert f"{other.address} is already taken" in response.content.decode()


def test_customize_address_saves_lower_case_and_updates_the_default_from(
    admin_client: Client, draft
) -> None:
    admin_client.post(
        reverse("channels_cfg:connect_address_customize", args=[draft.pk]),
        {"local_part": "  Acme.Help "},
    )
    draft.refresh_from_db()
    assert draft.forwarding_address.address == f"acme.help@{draft.workspace.hosted_domain}"
    assert draft.default_from_address == draft.forwarding_address.address


def test_the_address_is_locked_after_connect_and_finish(admin_client: Client, draft) -> None:
    admin_client.post(reverse("channels_cfg:connect_from", args=[draft.pk]), from_data())
    response = admin_client.post(reverse("channels_cfg:connect_finish", args=[draft.pk]))
    assert response.url == reverse("channels_cfg:channel_list")
    draft.refresh_from_db()
    assert draft.forwarding_address.locked_at is not None
    before = draft.forwarding_address.address

    page = admin_client.post(
        reverse("channels_cfg:connect_address_customize", args=[draft.pk]),
        {"local_part": "something-else"},
    )
    assert page.status_code == 302
    with pytest.raises(Refused, match="locked"):
        forwarding_address_customize(channel=draft, local_part="something-else")
    draft.forwarding_address.refresh_from_db()
    assert draft.forwarding_address.address == before


# --- step 4 -----------------------------------------------------------------------------------


def test_provider_step_shows_instructions_with_the_address_filled_in(
    admin_client: Client, draft
) -> None:
    url = reverse("channels_cfg:connect_provider", args=[draft.pk])
    page = admin_client.get(url).content.decode()
    assert "Forwarding and POP/IMAP" in page  # Gmail by default
    assert f"Enter {draft.forwarding_address.address}, click Next" in page
    assert "it appears here and in the inbox under" in page
    assert 'href="/inbox/?view=confirmations">Forwarding confirmations</a>' in page

    response = admin_client.post(
        url, {"provider": "microsoft365", "team_address": "help@acme.example"}, **HTMX
    )
    content = response.content.decode()
    assert "Manage email forwarding" in content
    assert "select help@acme.example" in content
    draft.refresh_from_db()
    assert (draft.provider, draft.team_address) == ("microsoft365", "help@acme.example")


def test_confirmation_fragment_polls_until_the_code_arrives(admin_client: Client, draft) -> None:
    url = reverse("channels_cfg:connect_confirmation", args=[draft.pk])
    waiting = admin_client.get(url, **HTMX).content.decode()
    assert 'hx-trigger="every 3s"' in waiting
    assert "Waiting for a confirmation" in waiting

    ForwardingConfirmation.objects.create(
        channel=draft,
        provider="gmail",
        requested_by="help@acme.example",
        code="317635984",
        confirm_url="https://mail-settings.google.com/mail/vf-abc",
        received_at=timezone.now(),
    )
    arrived = admin_client.get(url, **HTMX).content.decode()
    assert "317635984" in arrived
    assert 'href="https://mail-settings.google.com/mail/vf-abc"' in arrived
    assert "every 3s" not in arrived
    page = admin_client.get(reverse("channels_cfg:connect_provider", args=[draft.pk]))
    assert b"317635984" in page.content


def test_a_confirmation_from_an_unrecognised_provider_names_where_its_link_goes(
    admin_client: Client, draft
) -> None:
    ForwardingConfirmation.objects.create(
        channel=draft,
        provider="other",
        code="",
        confirm_url="https://mail.company.example/forwarding/verify?t=1",
        received_at=timezone.now(),
    )
    url = reverse("channels_cfg:connect_confirmation", args=[draft.pk])
    arrived = admin_client.get(url, **HTMX).content.decode()
    assert "Confirmation from your provider arrived" in arrived
    assert "(mail.company.example)" in arrived


def test_finish_is_refused_with_an_unverified_custom_address(admin_client: Client, draft) -> None:
    admin_client.post(
        reverse("channels_cfg:connect_from", args=[draft.pk]),
        from_data(from_address_mode="custom", custom_from_address="me@acme.example"),
    )
    response = admin_client.post(reverse("channels_cfg:connect_finish", args=[draft.pk]))
    assert response.status_code == 422
    assert b"Verify the custom from address" in response.content
    draft.refresh_from_db()
    assert draft.status == EmailChannel.Status.DRAFT
    assert draft.forwarding_address.locked_at is None


def test_finish_is_refused_when_the_name_was_taken_meanwhile(admin_client: Client, draft) -> None:
    admin_client.post(reverse("channels_cfg:connect_from", args=[draft.pk]), from_data())
    EmailChannelFactory(workspace=draft.workspace, company_name="acme")  # the second tab won
    response = admin_client.post(reverse("channels_cfg:connect_finish", args=[draft.pk]), **HTMX)
    assert response.status_code == 200
    assert b"already uses the from name" in response.content
    draft.refresh_from_db()
    assert draft.status == EmailChannel.Status.DRAFT


def test_finish_with_htmx_redirects_to_the_channel_list(admin_client: Client, draft) -> None:
    admin_client.post(reverse("channels_cfg:connect_from", args=[draft.pk]), from_data())
    response = admin_client.post(reverse("channels_cfg:connect_finish", args=[draft.pk]), **HTMX)
    assert response["HX-Redirect"] == reverse("channels_cfg:channel_list")
    draft.refresh_from_db()
    assert draft.status == EmailChannel.Status.CONNECTED
    assert draft.name == "Acme"
    assert draft.connected_at is not None


def test_the_whole_wizard_works_as_plain_forms_without_javascript(
    admin_client: Client, workspace
) -> None:
    start = admin_client.post(reverse("channels_cfg:connect"))
    step1 = admin_client.post(start.url, from_data(company_name="Plain Co"))
    step2 = admin_client.post(step1.url, assignment_data())
    page3 = admin_client.get(step2.url)
    assert page3.status_code == 200
    channel = EmailChannel.objects.get(workspace=workspace)
    customize = reverse("channels_cfg:connect_address_customize", args=[channel.pk])
    assert f'action="{customize}"' in page3.content.decode()
    admin_client.post(customize, {"local_part": "plain-co"})
    step3 = admin_client.post(step2.url)
    page4 = admin_client.get(step3.url)
    assert b"plain-co@" in page4.content
    finish = admin_client.post(
        reverse("channels_cfg:connect_finish", args=[channel.pk]), follow=True
    )
    assert finish.redirect_chain[-1][0] == reverse("channels_cfg:channel_list")
    content = finish.content.decode()
    assert "Plain Co is connected" in content
    assert f"plain-co@{workspace.hosted_domain}" in content


def test_drafts_can_be_resumed_from_the_connect_page(admin_client: Client, draft) -> None:
    page = admin_client.get(reverse("channels_cfg:connect")).content.decode()
    assert reverse("channels_cfg:connect_from", args=[draft.pk]) in page
    assert "Continue where you left off" in page


def test_connected_channels_steps_redirect_to_their_edit_pages(
    admin_client: Client, workspace
) -> None:
    channel = ForwardingAddressFactory(channel__workspace=workspace).channel
    response = admin_client.get(reverse("channels_cfg:connect_from", args=[channel.pk]))
    assert response.url == reverse("channels_cfg:edit", args=[channel.pk])
    response = admin_client.get(reverse("channels_cfg:connect_assignment", args=[channel.pk]))
    assert response.url == reverse("channels_cfg:edit_assignment", args=[channel.pk])


# --- a connected channel's edit pages ------------------------------------------------------


def test_edit_changes_step_one_and_two_settings_but_not_the_address(
    admin_client: Client, channel
) -> None:
    url = reverse("channels_cfg:edit", args=[channel.pk])
    page = admin_client.get(url).content.decode()
    assert "Edit Acme support" in page
    # Editing shows steps 1 and 2 only: the address and provider steps belong to the draft.
    assert "Assignment and tickets" in page
    assert "Forward from your provider" not in page
    response = admin_client.post(
        url,
        {
            "from_name_mode": "company",
            "company_name": "Acme Help",
            "from_address_mode": "default",
            "signature_html": "<i>{{first_name}}</i>",
        },
    )
    assert response.url == reverse("channels_cfg:channel_list")
    channel.refresh_from_db()
    assert (channel.company_name, channel.signature_html) == ("Acme Help", "<i>{{first_name}}</i>")

    assignment = admin_client.post(
        reverse("channels_cfg:edit_assignment", args=[channel.pk]),
        {
            "assign_mode": "contact_owner",
            "auto_assign": "on",
            "ticket_pipeline": "support",
            "ticket_status": "new",
            "ticket_priority": "urgent",
        },
    )
    assert assignment.url == reverse("channels_cfg:channel_list")
    channel.refresh_from_db()
    assert (channel.auto_assign, channel.ticket_priority, channel.create_tickets) == (
        True,
        "urgent",
        False,
    )
    # The forwarding address has no edit page once connected.
    assert admin_client.get(reverse("channels_cfg:connect_address", args=[channel.pk])).url == (
        reverse("channels_cfg:channel_list")
    )


def test_edit_refuses_a_from_name_another_channel_uses(admin_client: Client, channel) -> None:
    EmailChannelFactory(workspace=channel.workspace, company_name="Taken")
    response = admin_client.post(
        reverse("channels_cfg:edit", args=[channel.pk]),
        {"from_name_mode": "company", "company_name": "taken", "from_address_mode": "default"},
        **HTMX,
    )
    assert b"already uses the from name" in response.content
    channel.refresh_from_db()
    assert channel.company_name == "Acme"


def test_a_channel_named_after_its_company_follows_a_rename(
    admin_client: Client, workspace
) -> None:
    channel = ForwardingAddressFactory(
        channel__workspace=workspace, channel__company_name="Old", channel__name="Old"
    ).channel
    admin_client.post(
        reverse("channels_cfg:edit", args=[channel.pk]),
        {"from_name_mode": "company", "company_name": "New", "from_address_mode": "default"},
    )
    channel.refresh_from_db()
    assert (channel.name, channel.company_name) == ("New", "New")


def test_edit_shows_the_locked_address_and_sets_the_team_mailbox(
    admin_client: Client, channel
) -> None:
    url = reverse("channels_cfg:edit", args=[channel.pk])
    page = admin_client.get(url).content.decode()
    assert channel.forwarding_address.address in page and "Locked" in page
    assert 'name="local_part"' not in page
    admin_client.post(
        url,
        {
            "from_name_mode": "company",
            "company_name": "Acme",
            "from_address_mode": "default",
            "team_address": "support@acme.example",
        },
    )
    channel.refresh_from_db()
    assert channel.team_address == "support@acme.example"


def test_step_one_of_a_draft_leaves_the_team_mailbox_alone(admin_client: Client, draft) -> None:
    draft.team_address = "help@acme.example"
    draft.save()
    page = admin_client.get(reverse("channels_cfg:connect_from", args=[draft.pk])).content.decode()
    assert 'name="team_address"' not in page
    admin_client.post(
        reverse("channels_cfg:connect_from", args=[draft.pk]),
        {"from_name_mode": "company", "company_name": "Acme", "from_address_mode": "default"},
    )
    draft.refresh_from_db()
    assert draft.team_address == "help@acme.example"


def test_the_edit_pages_ticket_panel_saves_and_stays_an_edit_page(
    admin_client: Client, channel
) -> None:
    page = admin_client.get(reverse("channels_cfg:edit_assignment", args=[channel.pk]))
    save = reverse("channels_cfg:edit_assignment_ticket_save", args=[channel.pk])
    assert f'formaction="{save}"' in page.content.decode()
    assert "/assignment/back/" not in page.content.decode()  # Cancel instead of Back
    response = admin_client.post(save, assignment_data(ticket_priority="urgent"), **HTMX)
    content = response.content.decode()
    assert "Ticket properties saved." in content
    assert "Edit Acme support" in content
    channel.refresh_from_db()
    assert channel.ticket_priority == "urgent"
