"""A GIN index over the bigrams of a request's search text, on PostgreSQL (tongxin.core.search).

Not declared in the model's Meta: SQLite has neither the function nor GIN, and there the search
reads the rows in scope (small deployments).
"""

from django.db import migrations

from tongxin.core.search import CREATE_FUNCTION_SQL, create_index_sql

INDEX = "orders_search_bigrams_idx"  # orders.selectors.SEARCH_INDEX


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION_SQL)
    schema_editor.execute(create_index_sql("orders_servicerequest", INDEX))


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0005_lean_write_indexes"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
