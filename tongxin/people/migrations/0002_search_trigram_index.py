"""Indexes for the people search (kept out of the model state: one is PostgreSQL-only).

On PostgreSQL a pg_trgm GIN index serves `search_text LIKE '%term%'` (name search); SQLite has
no such index and scans. A partial index on current role tags serves the tag filter on both.
"""

from django.db import migrations


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS people_person_search_trgm ON people_person USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS people_person_search_trgm")


# Database-only: the list filter "has this current role tag" reads (tag, person) of current roles.
CURRENT_ROLE_INDEX = (
    "CREATE INDEX IF NOT EXISTS people_personrole_current_tag ON people_personrole (tag, person_id) WHERE until IS NULL"
)


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]

    operations = [
        migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False),
        migrations.RunSQL(CURRENT_ROLE_INDEX, "DROP INDEX IF EXISTS people_personrole_current_tag", elidable=False),
    ]
