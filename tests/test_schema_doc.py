"""The data dictionary is complete and matches the code."""

from watchdog.database.models import Base
from watchdog.database.schema_doc import SCHEMA_DOC, render


def test_every_table_and_column_has_a_comment():
    missing = [
        f"{table.name}.{column.name if column is not None else ''}"
        for table in Base.metadata.tables.values()
        for column in [None, *table.columns]
        if not (table.comment if column is None else column.comment)
    ]
    assert missing == []


def test_docs_schema_md_is_up_to_date():
    assert SCHEMA_DOC.read_text(encoding="utf-8") == render(), "run: python -m watchdog.database.schema_doc"
