"""`helpdesk_require_row`: a statement that must change exactly one row checks it in the database
(helpdesk.db.update_row_or_raise), so that a COMMIT can be sent with it without reading its
answer first. PostgreSQL only; elsewhere the check is made by the client."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION helpdesk_require_row(changed bigint, token text) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
  IF changed IS DISTINCT FROM 1 THEN
    -- helpdesk.db.ROW_REQUIRED_SQLSTATE; the message names the caller's error.
    RAISE EXCEPTION USING ERRCODE = 'HD409', MESSAGE = token;
  END IF;
  RETURN changed;
END $$;
"""
BACKWARD = "DROP FUNCTION IF EXISTS helpdesk_require_row(bigint, text);"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0004_workspace_business_hours")]

    operations: list = [migrations.RunPython(forward, backward)]
