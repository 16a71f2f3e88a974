"""Threads closed or assigned before thread events were recorded (0034) get the event their
current state implies, so that the reports' backlog does not count them open and unassigned
forever, and their resolution is counted. The time is the best the rows know: the last
message for a close, the creation for an assignment; `data.backfilled` says so."""

from django.db import migrations

BACKFILLED = '{"backfilled": true}'

CLOSES_SQL = """
INSERT INTO inbox_threadevent (thread_id, workspace_id, kind, actor_id, at, data)
SELECT t.id, t.workspace_id, CASE WHEN t.is_spam THEN 'spam' ELSE 'closed' END, NULL,
       t.last_message_at, %s
FROM inbox_thread t
WHERE t.status = 'closed' AND NOT EXISTS (
  SELECT 1 FROM inbox_threadevent e
  WHERE e.thread_id = t.id AND e.kind IN ('closed', 'reopened', 'spam', 'not_spam')
)
"""

ASSIGNMENTS_SQL = """
INSERT INTO inbox_threadevent (thread_id, workspace_id, kind, actor_id, at, data)
SELECT t.id, t.workspace_id, 'assigned', NULL, t.created_at,
       {json}('assignee_id', t.assignee_id, 'team_id', t.assigned_team_id,
              'from_assignee_id', NULL, 'from_team_id', NULL, 'backfilled', {true})
FROM inbox_thread t
WHERE (t.assignee_id IS NOT NULL OR t.assigned_team_id IS NOT NULL) AND NOT EXISTS (
  SELECT 1 FROM inbox_threadevent e WHERE e.thread_id = t.id AND e.kind = 'assigned'
)
"""


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        assignments = ASSIGNMENTS_SQL.format(json="jsonb_build_object", true="true")
    else:
        assignments = ASSIGNMENTS_SQL.format(json="json_object", true="json('true')")
    with connection.cursor() as cursor:
        cursor.execute(CLOSES_SQL, [BACKFILLED])
        cursor.execute(assignments)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0044_undo_send_merge")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
