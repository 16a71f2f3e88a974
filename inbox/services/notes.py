"""Internal notes on a thread and the agents and teams they mention: the one place they are
written. A note is never sent: nothing here touches mail, and outbound code never reads notes.

Mentions arrive as ids (the hidden inputs the composer adds when a suggestion is chosen), are
checked against the thread's workspace and stored as rows; the text is never parsed for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from helpdesk.models import Agent, Team
from helpdesk.refusals import Refused
from inbox.models import Mention, Note, NoteAttachment, Notification, Thread
from inbox.selectors.threads import max_attachment_bytes
from inbox.services.notifications import notify

# How long the author may still correct a note; after that it is part of the record.
EDIT_WINDOW = timedelta(minutes=15)
MAX_BODY_CHARS = 20_000


def is_editable(note: Note, *, user_id: int, now: datetime) -> bool:
    """Only its author edits a note, and only within EDIT_WINDOW of writing it."""
    return note.author_id == user_id and now - note.created_at <= EDIT_WINDOW


def is_deletable(note: Note, *, agent: Agent) -> bool:
    """Its author or a workspace admin may delete a note, at any time."""
    return note.author_id == agent.user_id or agent.is_admin


def _clean_body(body: str, *, has_files: bool) -> str:
    body = body.replace("\r\n", "\n").strip()
    if not body and not has_files:
        raise Refused("Write the note first.", field="body")
    if len(body) > MAX_BODY_CHARS:
        raise Refused(f"A note may be at most {MAX_BODY_CHARS:,} characters long.", field="body")
    return body


def _mentioned(
    *, workspace_id: int, user_ids: Iterable[int], team_ids: Iterable[int]
) -> tuple[list[Agent], list[Team]]:
    """The agents and teams of the workspace behind the submitted ids; any other id is refused."""
    wanted_users, wanted_teams = set(user_ids), set(team_ids)
    agents = list(
        Agent.objects.filter(workspace_id=workspace_id, user_id__in=wanted_users).select_related(
            "user"
        )
    )
    teams = list(Team.objects.filter(workspace_id=workspace_id, pk__in=wanted_teams))
    if len(agents) != len(wanted_users) or len(teams) != len(wanted_teams):
        raise Refused("You can only mention agents and teams of this workspace.", field="body")
    return agents, teams


def _store_mentions(note: Note, agents: Sequence[Agent], teams: Sequence[Team]) -> list[Mention]:
    rows = [Mention(note=note, user_id=agent.user_id, label=agent.full_name) for agent in agents]
    rows += [Mention(note=note, team_id=team.pk, label=team.name) for team in teams]
    return Mention.objects.bulk_create(rows)


def _notify_mentioned(note: Note, agents: Sequence[Agent], teams: Sequence[Team]) -> None:
    """Each mentioned agent, and each member of a mentioned team, is told (never the author:
    `notify` skips the actor and anyone not an agent of the workspace)."""
    recipients = {agent.user_id for agent in agents}
    if teams:
        recipients |= set(
            Team.members.through.objects.filter(
                team_id__in=[team.pk for team in teams]
            ).values_list("user_id", flat=True)
        )
    if not recipients:
        return
    notify(
        workspace_id=note.workspace_id,
        recipient_ids=recipients,
        kind=Notification.Kind.MENTIONED,
        thread_id=note.thread_id,
        actor_id=note.author_id,
        data={"note_id": note.pk},
    )


def _check_files(files: Sequence[UploadedFile]) -> None:
    if sum(upload.size or 0 for upload in files) > max_attachment_bytes():
        limit_mb = max_attachment_bytes() / (1024 * 1024)
        raise Refused(f"Attachments may total at most {limit_mb:.0f} MB.", field="attachments")


def note_create(
    *,
    thread: Thread,
    author: Agent,
    body: str,
    mention_user_ids: Iterable[int] = (),
    mention_team_ids: Iterable[int] = (),
    files: Sequence[UploadedFile] = (),
    now: datetime | None = None,
) -> Note:
    """Add an internal note to the thread, store its mentions and notify those mentioned."""
    if author.workspace_id != thread.workspace_id:
        raise Refused("That thread is not in your workspace.")
    body = _clean_body(body, has_files=bool(files))
    _check_files(files)
    agents, teams = _mentioned(
        workspace_id=thread.workspace_id, user_ids=mention_user_ids, team_ids=mention_team_ids
    )
    with transaction.atomic():
        note = Note.objects.create(
            workspace_id=thread.workspace_id,
            thread=thread,
            author_id=author.user_id,
            body=body,
            created_at=now or timezone.now(),
        )
        for upload in files:
            NoteAttachment.objects.create(
                note=note,
                filename=(upload.name or "attachment")[:255],
                content_type=upload.content_type or "application/octet-stream",
                size=upload.size or 0,
                file=upload,
            )
        _store_mentions(note, agents, teams)
        _notify_mentioned(note, agents, teams)
    return note


def note_edit(
    *,
    note: Note,
    by: Agent,
    body: str,
    mention_user_ids: Iterable[int] = (),
    mention_team_ids: Iterable[int] = (),
    now: datetime | None = None,
) -> Note:
    """Correct a note (its author, within EDIT_WINDOW); only newly mentioned people are told."""
    now = now or timezone.now()
    if not is_editable(note, user_id=by.user_id, now=now):
        raise Refused("Only its author can edit a note, and only for 15 minutes.")
    body = _clean_body(body, has_files=note.attachments.exists())
    agents, teams = _mentioned(
        workspace_id=note.workspace_id, user_ids=mention_user_ids, team_ids=mention_team_ids
    )
    with transaction.atomic():
        before = list(Mention.objects.filter(note=note).values_list("user_id", "team_id"))
        had_users = {user_id for user_id, _ in before if user_id}
        had_teams = {team_id for _, team_id in before if team_id}
        note.body = body
        note.edited_at = now
        note.save(update_fields=["body", "edited_at"])
        Mention.objects.filter(note=note).delete()
        _store_mentions(note, agents, teams)
        _notify_mentioned(
            note,
            [agent for agent in agents if agent.user_id not in had_users],
            [team for team in teams if team.pk not in had_teams],
        )
    return note


def note_delete(*, note: Note, by: Agent) -> None:
    """Remove a note with its mentions and files (its author or an admin)."""
    if not is_deletable(note, agent=by):
        raise Refused("Only its author or an admin can delete a note.")
    files = [attachment.file for attachment in note.attachments.all()]
    with transaction.atomic():
        note.delete()
        # The stored files go once the rows are surely gone.
        transaction.on_commit(lambda: _delete_files(files))


def _delete_files(files: Sequence[FieldFile]) -> None:
    for file in files:
        file.delete(save=False)
