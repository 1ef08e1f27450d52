"""Full-text search: built by every crawl and ingest on SQLite, over titles, descriptions and evidence sentences,
rebuilt whole each time; nothing on PostgreSQL, whose users search a snapshot."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import serco
from click.testing import CliRunner
from crawling import crawl
from fake_portal import REALDATA
from newsroom import LATEST_FILE, NEWS_FEED, recorded_site
from sqlalchemy import inspect, text
from static_site import StaticSite

from watchdog.cli import main
from watchdog.cli.crawl import project_settings
from watchdog.database import search
from watchdog.normalise.dates import utcnow
from watchdog.sources.ingest import Ingest
from watchdog.storage.store import Store
from watchdog.web.plugin import search_terms

SEARCHES = {
    "contract": "SELECT rowid FROM contracts_fts WHERE contracts_fts MATCH :words ORDER BY rowid",
    "enforcement": "SELECT rowid FROM enforcement_actions_fts WHERE enforcement_actions_fts MATCH :words",
    "incident": "SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH :words",
}


def found(engine, kind: str, words: str) -> list[int]:
    with engine.connect() as connection:
        return list(connection.execute(text(SEARCHES[kind]), {"words": search_terms(words)}).scalars())


def titles(engine, ids: list[int]) -> list[str]:
    with engine.connect() as connection:
        query = text("SELECT title FROM contracts WHERE id IN (SELECT value FROM json_each(:ids)) ORDER BY title")
        return list(connection.execute(query, {"ids": str(ids)}).scalars())


def index_tables(engine) -> list[str]:
    return sorted(name for name in inspect(engine).get_table_names() if name.endswith("_fts"))


def test_each_ingest_brings_the_index_up_to_date(database_url, engine):
    settings = project_settings(database_url, {})
    Ingest(database_url, settings).run(sorted(p for p in REALDATA.glob("*.json") if p.name != LATEST_FILE))
    if engine.dialect.name == "postgresql":
        assert index_tables(engine) == [] and search.refresh(engine) == {}
        return
    assert index_tables(engine) == ["contracts_fts", "enforcement_actions_fts", "incidents_fts"]
    with engine.connect() as connection:
        contracts = connection.scalar(text("SELECT COUNT(*) FROM contracts"))
        indexed = connection.scalar(text("SELECT COUNT(*) FROM contracts_fts"))
    assert indexed == contracts == 102  # 100 releases of the two portals, and a Scottish and a Welsh tender
    assert titles(engine, found(engine, "contract", "LGR business case")) == ["Business Case for LGR"]
    assert found(engine, "contract", "Chess ICT") == []
    Ingest(database_url, settings).run([REALDATA / LATEST_FILE])
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT COUNT(*) FROM contracts_fts")) == contracts + 4


def test_a_crawl_indexes_the_evidence_sentences_it_read(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'watchdog.db'}"
    result = CliRunner().invoke(main, ["--db", database_url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    with StaticSite() as site:
        recorded_site(site)
        crawl(database_url, "news", f"feeds={site.url}{NEWS_FEED}")
    from watchdog.database import db

    engine = db.make_engine(database_url)
    breach = found(engine, "incident", "blind-copying")  # only the evidence sentence says so
    with engine.connect() as connection:
        kinds = connection.execute(text("SELECT kind FROM incidents WHERE id = :id"), {"id": breach[0]}).scalars()
        assert list(kinds) == ["data_breach"] and len(breach) == 1
        evidence = connection.scalar(text("SELECT evidence FROM incidents_fts WHERE rowid = :id"), {"id": breach[0]})
    assert evidence.startswith("Weeks after the contract began, in May 2020, Serco exposed the email addresses")
    assert len(found(engine, "enforcement", "deductions withheld")) >= 1
    engine.dispose()


def test_a_rebuild_finds_a_changed_title_by_its_new_words_only(tmp_path):
    from watchdog.database import db

    engine = db.make_engine(f"sqlite:///{tmp_path / 'watchdog.db'}")
    db.upgrade(engine)
    Store(engine).write(serco.ALL_ITEMS)
    assert search.refresh(engine) == {"contracts_fts": 1, "enforcement_actions_fts": 3, "incidents_fts": 1}
    assert found(engine, "contract", "contact tracing") == [1]
    with engine.begin() as connection:
        connection.execute(text("UPDATE contracts SET title = 'NHS Test and Trace call handling' WHERE id = 1"))
    search.refresh(engine)
    assert found(engine, "contract", "contact tracing") == []
    assert found(engine, "contract", "call handling") == [1]
    assert found(engine, "enforcement", "Glasgow asylum") == [found(engine, "enforcement", "glasgow")[0]]
    engine.dispose()


def test_after_a_run_only_the_facts_it_wrote_are_indexed_again(tmp_path):
    """A new title for a contract, and a second source with its own sentence for a known penalty: those two facts
    are indexed again, nothing else, and the old title is no longer found."""
    from watchdog.database import db

    engine = db.make_engine(f"sqlite:///{tmp_path / 'watchdog.db'}")
    db.upgrade(engine)
    Store(engine).write(serco.ALL_ITEMS)
    search.refresh(engine)
    started_at = utcnow()
    renamed = replace(serco.CONTACT_TRACING, title="NHS Test and Trace call handling")
    told_again = replace(
        serco.GEOGRAFIX_DPA,
        basis="reported",
        evidence="Serco Geografix admitted three counts of fraud and false accounting.",
        source=serco.news("serco-dpa", "Serco subsidiary settles", serco.datetime(2019, 7, 4, tzinfo=serco.UTC)),
    )
    Store(engine).write([renamed, told_again])
    assert search.refresh(engine, since=started_at) == {
        "contracts_fts": 1,
        "enforcement_actions_fts": 1,
        "incidents_fts": 0,
    }
    assert found(engine, "contract", "contact tracing") == []
    assert found(engine, "contract", "call handling") == [1]
    assert found(engine, "enforcement", "false accounting") == found(engine, "enforcement", "deferred prosecution")
    assert found(engine, "incident", "contact tracers") == [1]
    engine.dispose()


def test_a_build_in_small_chunks_indexes_the_same_rows(tmp_path):
    from watchdog.database import db

    engine = db.make_engine(f"sqlite:///{tmp_path / 'watchdog.db'}")
    db.upgrade(engine)
    Ingest(f"sqlite:///{tmp_path / 'watchdog.db'}", project_settings("", {})).run(sorted(REALDATA.glob("*.json")))
    read = "SELECT rowid, title, description, evidence FROM contracts_fts ORDER BY rowid"
    with engine.connect() as connection:
        whole = connection.execute(text(read)).all()
        connection.rollback()
        assert search.build_indexes(connection, chunk=7)["contracts_fts"] == len(whole) == 106
        assert connection.execute(text(read)).all() == whole
        leftovers = connection.execute(text("SELECT name FROM sqlite_master WHERE name LIKE '%building%'")).all()
    assert leftovers == []
    engine.dispose()


def test_search_words_are_quoted_so_no_word_is_fts_syntax():
    assert (
        search_terms('data "breach" OR NEAR(tracers, 5) -costs') == '"data" "breach" "OR" "NEAR" "tracers" "5" "costs"'
    )
    assert search_terms("Serco's") == '"Serco" "s"'
    assert search_terms("  ") == '""' and search_terms(None) == '""'


def test_the_db_search_index_command_builds_it(database_url, engine):
    Store(engine).write(serco.ALL_ITEMS)
    result = CliRunner().invoke(main, ["--db", database_url, "db", "search-index"])
    assert result.exit_code == 0, result.output
    if engine.dialect.name == "postgresql":
        assert result.output.startswith("Nothing to do: search is built in snapshots (`watchdog snapshot`)")
    else:
        assert result.output == (
            "search index built: 1 row in contracts_fts, 3 rows in enforcement_actions_fts, 1 row in incidents_fts\n"
        )


def test_a_run_killed_before_its_refresh_is_caught_up_by_the_next_run_of_its_spider(tmp_path, monkeypatch):
    """A run killed after writing, before its after-work: the next run of its spider, finding it abandoned, indexes
    (and reviews) from the killed run's start, not only from its own."""
    from watchdog.database import db

    database_url = f"sqlite:///{tmp_path / 'watchdog.db'}"
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    settings = project_settings(database_url, {})
    Ingest(database_url, settings).run([REALDATA / "cf_release_homes_england_deloitte_award.json"])
    killed_at = utcnow() - timedelta(hours=2)
    with monkeypatch.context() as killed:
        killed.setattr(search, "refresh", lambda *_arguments, **_options: {})  # it died before this
        Ingest(database_url, settings).run([REALDATA / "cf_release_mod_kpmg_award.json"])
    with engine.begin() as connection:  # as kill -9 leaves it: running, silent for two hours
        killed_run = connection.scalar(text("SELECT MAX(id) FROM crawl_runs"))
        connection.execute(
            text(
                "UPDATE crawl_runs SET status = 'running', finished_at = NULL, started_at = :at, last_progress_at = :at"
            ),
            {"at": killed_at},
        )
        connection.execute(
            text("UPDATE contracts SET last_seen_at = :at WHERE title LIKE '%Fresh Eyes%'"), {"at": killed_at}
        )
    assert found(engine, "contract", "Fresh Eyes Review") == []

    Ingest(database_url, settings).run([REALDATA / "cf_release_guinness_hays_recruitment_award.json"])

    assert titles(engine, found(engine, "contract", "Fresh Eyes Review")) == [
        "CCS RM6187 Direct Award - LD Fresh Eyes Review"
    ]
    with engine.connect() as connection:
        assert (
            connection.scalar(text("SELECT status FROM crawl_runs WHERE id = :id"), {"id": killed_run}) == "abandoned"
        )
    engine.dispose()
