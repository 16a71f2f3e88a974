"""The database side of full-text search: SQL the migration 0040 runs, and the SQLite triggers
re-created after every migrate (SQLite rebuilds a table to alter it, dropping its triggers).

PostgreSQL: `inbox_message.search_vector` (a tsvector the model does not declare) filled by a
trigger from the subject (weight A), the sender, recipients and attachment file names (B) and
the body text (D), in the `inbox_search` configuration: `simple` (no stemming, so every language
works alike) behind `unaccent`, so "cafe" finds "Café". A GIN index serves `@@`. Attachments
are stored after their message, so their trigger touches the message's subject to recompute it.

Notes (agents' remarks on a thread) get the same: `inbox_note.search_vector` over the body.

SQLite (the embedded default): FTS5 tables `inbox_message_fts` and `inbox_note_fts`, kept by
triggers (rowid = the message's or note's id), `unicode61 remove_diacritics 2` doing what
unaccent does. Other databases: nothing.
Message bodies are capped (BODY_CHARS) so one huge mail cannot exceed a tsvector's 1 MB.
"""

# ruff: noqa: S608  (constant SQL: only module constants are interpolated, never input)
from __future__ import annotations

from typing import Any

from django.db import connections

BODY_CHARS = 100_000

POSTGRES_FORWARD = f"""
CREATE EXTENSION IF NOT EXISTS unaccent;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'inbox_search') THEN
    CREATE TEXT SEARCH CONFIGURATION inbox_search (COPY = simple);
    ALTER TEXT SEARCH CONFIGURATION inbox_search
      ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
      WITH unaccent, simple;
  END IF;
END $$;
ALTER TABLE inbox_message ADD COLUMN IF NOT EXISTS search_vector tsvector;
CREATE OR REPLACE FUNCTION inbox_message_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  files text := '';
  addresses text := left(coalesce(NEW.from_email, '') || ' ' || coalesce(NEW."to", ''), 20000);
BEGIN
  IF TG_OP = 'UPDATE' THEN
    SELECT coalesce(string_agg(filename, ' '), '') INTO files
      FROM inbox_attachment WHERE message_id = NEW.id;
  END IF;
  -- An address is one token ("ann@example.com"); its halves and words too, so "example.com"
  -- and "example" find it.
  -- A file name is one token too ("q3-ledger.pdf"): its parts are added ("q3 ledger pdf").
  files := files || ' ' || regexp_replace(files, '[-_.]+', ' ', 'g');
  NEW.search_vector :=
    setweight(to_tsvector('inbox_search', coalesce(NEW.subject, '')), 'A')
    || setweight(to_tsvector('inbox_search', coalesce(NEW.from_name, '') || ' ' || addresses
        || ' ' || replace(addresses, '@', ' ') || ' ' || translate(addresses, '@.', '  ')
        || ' ' || files), 'B')
    || to_tsvector('inbox_search', left(coalesce(NEW.text, ''), {BODY_CHARS}));
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS inbox_message_search ON inbox_message;
CREATE TRIGGER inbox_message_search
  BEFORE INSERT OR UPDATE OF subject, from_name, from_email, "to", text ON inbox_message
  FOR EACH ROW EXECUTE FUNCTION inbox_message_search_vector();
CREATE OR REPLACE FUNCTION inbox_attachment_search_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    UPDATE inbox_message SET subject = subject WHERE id = OLD.message_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    UPDATE inbox_message SET subject = subject WHERE id = NEW.message_id;
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS inbox_attachment_search ON inbox_attachment;
CREATE TRIGGER inbox_attachment_search
  AFTER INSERT OR DELETE OR UPDATE OF filename, message_id ON inbox_attachment
  FOR EACH ROW EXECUTE FUNCTION inbox_attachment_search_touch();
UPDATE inbox_message SET subject = subject;
CREATE INDEX IF NOT EXISTS inbox_message_search ON inbox_message USING gin (search_vector);
ALTER TABLE inbox_note ADD COLUMN IF NOT EXISTS search_vector tsvector;
CREATE OR REPLACE FUNCTION inbox_note_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector := to_tsvector('inbox_search', left(coalesce(NEW.body, ''), {BODY_CHARS}));
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS inbox_note_search ON inbox_note;
CREATE TRIGGER inbox_note_search BEFORE INSERT OR UPDATE OF body ON inbox_note
  FOR EACH ROW EXECUTE FUNCTION inbox_note_search_vector();
UPDATE inbox_note SET body = body;
CREATE INDEX IF NOT EXISTS inbox_note_search ON inbox_note USING gin (search_vector);
"""

POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS inbox_note_search ON inbox_note;
DROP FUNCTION IF EXISTS inbox_note_search_vector();
DROP INDEX IF EXISTS inbox_note_search;
ALTER TABLE inbox_note DROP COLUMN IF EXISTS search_vector;
DROP TRIGGER IF EXISTS inbox_attachment_search ON inbox_attachment;
DROP FUNCTION IF EXISTS inbox_attachment_search_touch();
DROP TRIGGER IF EXISTS inbox_message_search ON inbox_message;
DROP FUNCTION IF EXISTS inbox_message_search_vector();
DROP INDEX IF EXISTS inbox_message_search;
ALTER TABLE inbox_message DROP COLUMN IF EXISTS search_vector;
DROP TEXT SEARCH CONFIGURATION IF EXISTS inbox_search;
"""


# Migration 0046: a message inserted with its attachments' names already known (the inbound
# pipeline sets `inbox.new_message_files` for its transaction just before) is indexed with them
# at once, and the INSERT of those attachments then leaves it alone: one UPDATE of the message
# per attachment, each recomputing its whole vector, cost more than the rest of storing a mail
# with attachments (`make bench`, corpus set). Attachments added any other way still touch
# their message, as before.
def _function_0040(name: str, ends_before: str) -> str:
    """One trigger function as migration 0040 created it (POSTGRES_FORWARD)."""
    start = POSTGRES_FORWARD.index(f"CREATE OR REPLACE FUNCTION {name}()")
    return POSTGRES_FORWARD[start : POSTGRES_FORWARD.index(ends_before, start)]


_VECTOR_0040 = _function_0040(
    "inbox_message_search_vector", "DROP TRIGGER IF EXISTS inbox_message_search ON"
)
_TOUCH_0040 = _function_0040(
    "inbox_attachment_search_touch", "DROP TRIGGER IF EXISTS inbox_attachment_search ON"
)
_FILES_ON_UPDATE = "      FROM inbox_attachment WHERE message_id = NEW.id;\n  END IF;\n"
_FILES_ON_INSERT_TOO = """      FROM inbox_attachment WHERE message_id = NEW.id;
  ELSIF coalesce(current_setting('inbox.new_message_files', true), '') <> '' THEN
    files := current_setting('inbox.new_message_files', true);
    PERFORM set_config('inbox.new_message_files', '', true);
    PERFORM set_config('inbox.files_indexed_message', NEW.id::text, true);
  END IF;
"""
_TOUCH_BEGINS = "BEGIN\n  IF TG_OP <> 'INSERT' THEN\n"
_TOUCH_SKIPS_INDEXED = """BEGIN
  IF TG_OP = 'INSERT'
     AND NEW.message_id::text = coalesce(current_setting('inbox.files_indexed_message', true), '')
  THEN
    RETURN NULL;  -- its message was indexed with this name when it was inserted
  END IF;
  IF TG_OP <> 'INSERT' THEN
"""
assert _FILES_ON_UPDATE in _VECTOR_0040 and _TOUCH_BEGINS in _TOUCH_0040
POSTGRES_NAMES_AT_INSERT_FORWARD = _VECTOR_0040.replace(
    _FILES_ON_UPDATE, _FILES_ON_INSERT_TOO
) + _TOUCH_0040.replace(_TOUCH_BEGINS, _TOUCH_SKIPS_INDEXED)
POSTGRES_NAMES_AT_INSERT_BACKWARD = _VECTOR_0040 + _TOUCH_0040

_SQLITE_SENDER = "coalesce(new.from_name, '') || ' ' || coalesce(new.from_email, '') || ' ' || coalesce(new.\"to\", '')"
_SQLITE_FILES = "(SELECT coalesce(group_concat(filename, ' '), '') FROM inbox_attachment WHERE message_id = {id})"

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS inbox_message_fts USING fts5("
    "subject, sender, files, body, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS inbox_message_fts_insert AFTER INSERT ON inbox_message BEGIN "
    "INSERT INTO inbox_message_fts (rowid, subject, sender, files, body) VALUES "
    f"(new.id, new.subject, {_SQLITE_SENDER}, '', substr(new.text, 1, {BODY_CHARS})); END",
    "CREATE TRIGGER IF NOT EXISTS inbox_message_fts_update "
    'AFTER UPDATE OF subject, from_name, from_email, "to", text ON inbox_message BEGIN '
    f"UPDATE inbox_message_fts SET subject = new.subject, sender = {_SQLITE_SENDER}, "
    f"body = substr(new.text, 1, {BODY_CHARS}) WHERE rowid = new.id; END",
    "CREATE TRIGGER IF NOT EXISTS inbox_message_fts_delete AFTER DELETE ON inbox_message BEGIN "
    "DELETE FROM inbox_message_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER IF NOT EXISTS inbox_attachment_fts_insert AFTER INSERT ON inbox_attachment "
    f"BEGIN UPDATE inbox_message_fts SET files = {_SQLITE_FILES.format(id='new.message_id')} "
    "WHERE rowid = new.message_id; END",
    "CREATE TRIGGER IF NOT EXISTS inbox_attachment_fts_delete AFTER DELETE ON inbox_attachment "
    f"BEGIN UPDATE inbox_message_fts SET files = {_SQLITE_FILES.format(id='old.message_id')} "
    "WHERE rowid = old.message_id; END",
    "INSERT INTO inbox_message_fts (rowid, subject, sender, files, body) "
    f"SELECT id, subject, {_SQLITE_SENDER.replace('new.', '')}, "
    f"{_SQLITE_FILES.format(id='inbox_message.id')}, substr(text, 1, {BODY_CHARS}) "
    "FROM inbox_message",
    "CREATE VIRTUAL TABLE IF NOT EXISTS inbox_note_fts USING fts5("
    "body, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS inbox_note_fts_insert AFTER INSERT ON inbox_note BEGIN "
    f"INSERT INTO inbox_note_fts (rowid, body) VALUES (new.id, substr(new.body, 1, {BODY_CHARS})); "
    "END",
    "CREATE TRIGGER IF NOT EXISTS inbox_note_fts_update AFTER UPDATE OF body ON inbox_note BEGIN "
    f"UPDATE inbox_note_fts SET body = substr(new.body, 1, {BODY_CHARS}) WHERE rowid = new.id; END",
    "CREATE TRIGGER IF NOT EXISTS inbox_note_fts_delete AFTER DELETE ON inbox_note BEGIN "
    "DELETE FROM inbox_note_fts WHERE rowid = old.id; END",
    f"INSERT INTO inbox_note_fts (rowid, body) SELECT id, substr(body, 1, {BODY_CHARS}) FROM inbox_note",
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS inbox_note_fts_delete",
    "DROP TRIGGER IF EXISTS inbox_note_fts_update",
    "DROP TRIGGER IF EXISTS inbox_note_fts_insert",
    "DROP TABLE IF EXISTS inbox_note_fts",
    "DROP TRIGGER IF EXISTS inbox_attachment_fts_delete",
    "DROP TRIGGER IF EXISTS inbox_attachment_fts_insert",
    "DROP TRIGGER IF EXISTS inbox_message_fts_delete",
    "DROP TRIGGER IF EXISTS inbox_message_fts_update",
    "DROP TRIGGER IF EXISTS inbox_message_fts_insert",
    "DROP TABLE IF EXISTS inbox_message_fts",
]


def sqlite_triggers() -> list[str]:
    return [statement for statement in SQLITE_FORWARD if statement.startswith("CREATE TRIGGER")]


def ensure_sqlite_triggers(*, using: str = "default", **kwargs: Any) -> None:
    """post_migrate: put back the triggers a table rebuild dropped (idempotent)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inbox_message_fts'"
        )
        if cursor.fetchone() is None:
            return
        for statement in sqlite_triggers():
            cursor.execute(statement)
