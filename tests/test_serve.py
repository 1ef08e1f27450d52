"""`watchdog serve`, the real command, on the newsroom's sample database, read through Datasette's JSON API over
HTTP: the questions' answers, the metadata, search, and that nothing a visitor sends can write."""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import newsroom
import pytest
from newsroom import free_port

from watchdog.database import db
from watchdog.database.models import Base
from watchdog.database.schema_doc import SCHEMA_DOC
from watchdog.database.views import VIEWS
from watchdog.web.questions import QUESTIONS

SERCO_NOTICE = "https://www.contractsfinder.service.gov.uk/Notice/serco-test-and-trace"


class Server:
    """`watchdog serve` running in a subprocess on a free loopback port; what it says goes to files."""

    def __init__(self, database: Path, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stdout, self.stderr = folder / f"serve-{self.port}.out", folder / f"serve-{self.port}.err"
        command = [sys.executable, "-m", "watchdog", "--db", f"sqlite:///{database}", "serve", "--port", str(self.port)]
        with self.stdout.open("w") as stdout, self.stderr.open("w") as stderr:
            self.process = subprocess.Popen(command, stdout=stdout, stderr=stderr)
        self.wait_until_up()

    def wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/-/versions.json", timeout=5).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"watchdog serve did not start: {self.stderr.read_text()}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)

    def get(self, path: str, **params: str) -> tuple[int, dict]:
        """The status and the JSON body of a GET."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        try:
            with urllib.request.urlopen(f"{self.url}{path}{query}", timeout=30) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def rows(self, path: str, **params: str) -> list[dict]:
        status, body = self.get(f"{path}.json", _shape="array", **params)
        assert status == 200, body
        return body


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory) -> Path:
    return newsroom.sample_file(tmp_path_factory.mktemp("newsroom"))


@pytest.fixture(scope="module")
def server(sample_file, tmp_path_factory):
    running = Server(sample_file, tmp_path_factory.mktemp("serve"))
    yield running
    running.stop()


def picked(rows: list[dict], *columns: str) -> list[tuple]:
    return [tuple(row[column] for column in columns) for row in rows]


def counts(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT (SELECT COUNT(*) FROM buyers), (SELECT COUNT(*) FROM contracts)").fetchone()


def test_it_says_where_it_serves_read_only(server, sample_file):
    assert (
        server.stdout.read_text().splitlines()[0]
        == f"Serving {sample_file} read-only at {server.url}/ (Ctrl-C to stop)"
    )


def test_every_question_has_a_title_a_description_and_a_name_no_table_or_view_has():
    assert not set(QUESTIONS) & (set(VIEWS) | set(Base.metadata.tables))
    assert all(question["title"] and len(question["description"]) > 60 for question in QUESTIONS.values())


def test_a_supplier_or_group_record_newest_first_with_sources(server):
    rows = server.rows("/watchdog/everything_about", name="serco", since="", until="")
    assert {row["group_name"] for row in rows} == {"Serco Group plc"}
    assert picked(rows[:2], "event_date", "event_type", "supplier_name", "basis", "amount") == [
        ("2020-05-01", "contract", "SERCO LIMITED", "official", 108000000),
        ("2020-05-01", "contract", "Serco Group plc", "reported", 108000000),
    ]
    assert rows[0]["source_url"] == SERCO_NOTICE
    dates = [row["event_date"] for row in rows]
    assert dates == sorted(dates, reverse=True) and dates[-1] == "2013-12-01"
    sfo = [
        row for row in rows if row["buyer_or_authority"] == "Serious Fraud Office" and row["event_date"] == "2019-07-04"
    ]
    assert picked(sfo, "supplier_name", "amount_kind", "amount") == [
        ("Serco Geografix Ltd", "costs", 3700000),
        ("Serco Geografix Ltd", "dpa_penalty", 19200000),
    ]
    in_2019 = server.rows("/watchdog/everything_about", name="SERCO GEO", since="2019-01-01", until="2019-12-31")
    assert sorted(picked(in_2019, "event_date", "amount_kind", "amount")) == [
        ("2019-07-04", "costs", 3700000),
        ("2019-07-04", "dpa_penalty", 19200000),
    ]


def test_contracts_contracts_after_trouble(server):
    rows = server.rows("/watchdog/contracts_after_trouble", name="Serco Group", since="2020-01-01", until="")
    assert picked(rows, "what_went_wrong", "went_wrong_on", "contract", "awarded_on", "months_after") == [
        ("dpa_penalty", "2019-07-04", "COVID-19 contact tracing service", "2020-05-01", 10),
        ("service_credit", "2016-01-01", "COVID-19 contact tracing service", "2020-05-01", 52),
        ("repayment", "2013-12-01", "COVID-19 contact tracing service", "2020-05-01", 77),
    ]
    assert server.rows("/watchdog/contracts_after_trouble", name="Serco", since="2021-01-01", until="") == []


def test_top_suppliers_in_a_period_with_their_group_record(server):
    rows = server.rows("/watchdog/top_suppliers", since="2020-01-01", until="2025-12-31")
    assert picked(rows[:4], "supplier_name", "contracts", "won_alone_gbp") == [
        ("SERCO LIMITED", 1, 108000000),
        ("Solirius Ltd", 1, 60000000),
        ("Northrup Grumman", 1, 39200000),
        ("Hays Specialist Recruitment Limited", 1, 25755000),
    ]
    assert picked(rows[:1], "group_name", "enforcement_count", "penalties_value_gbp", "incidents_count") == [
        ("Serco Group plc", 3, 92400000, 1)
    ]
    before_2020 = server.rows("/watchdog/top_suppliers", since="", until="2019-12-31")
    assert "SERCO LIMITED" not in [row["supplier_name"] for row in before_2020]


def test_contracts_whose_value_changed(server):
    rows = server.rows("/watchdog/value_changes", name="", since="2025-01-01", until="")
    assert picked(rows, "change_kind", "buyer_name", "title", "first_value", "latest_value", "value_change") == [
        ("corrected", "Southampton City Council", "Business Case for LGR", 10932000, 109320, -10822680)
    ]
    assert server.rows("/watchdog/value_changes", name="Serco", since="", until="") == []


def test_buyers_that_kept_awarding_after_trouble(server):
    rows = server.rows("/watchdog/buyers_after_trouble", name="serco", since="", until="")
    assert picked(rows, "buyer_name", "group_name", "awards_after", "first_trouble", "latest_award") == [
        ("Department of Health and Social Care", "Serco Group plc", 1, "2013-12-01", "2020-05-01")
    ]
    assert server.rows("/watchdog/buyers_after_trouble", name="serco", since="2021-01-01", until="") == []


def test_what_the_latest_run_found(server):
    rows = server.rows("/watchdog/latest_run")
    assert sorted(row["supplier_name"] for row in rows) == ["BiP Solutions Ltd", "Chess ICT", "SWITCH UP C.I.C."]
    assert {row["event_type"] for row in rows} == {"contract"}


def test_what_is_new_since_the_last_crawl(server):
    """No `crawl --all` round yet: every crawl's and ingest's findings; the Serco example, written without a
    run, is none of them."""
    rows = server.rows("/watchdog/new_since_last_crawl", _size="max")
    found = {(row["event_type"], row["crawl_run_id"]) for row in rows}
    assert found == {("enforcement", 1), ("enforcement", 2), ("incident", 3), ("contract", 3), ("contract", 4),
                     ("contract", 5)}  # fmt: skip
    fines = [row for row in rows if row["crawl_run_id"] == 1 and row["amount_kind"] == "fine"]
    assert sorted(picked(fines, "supplier_name", "amount")) == [
        ("Brackenmoor Recycling Limited", 22500),
        ("Ostlea Joinery Ltd", 8000),
        ("Quillfern Groundworks Limited", 48000),
        ("Tarrowby Facilities Management Ltd", 160000),
    ]
    assert SERCO_NOTICE not in [row["source_url"] for row in rows]


def test_search_finds_titles_descriptions_and_evidence(server):
    legionella = server.rows("/watchdog/search", words="Legionella hospital")
    assert picked(legionella, "event_type", "supplier_name", "buyer_or_authority") == [
        ("enforcement", "Tarrowby Facilities Management Ltd", "Health and Safety Executive")
    ]
    assert "[legionella]" in legionella[0]["excerpt"] and "[hospital]" in legionella[0]["excerpt"]
    tracers = server.rows("/watchdog/search", words="exposed tracers' email")  # punctuation is no FTS syntax
    assert picked(tracers, "event_type", "event_kind", "supplier_name") == [
        ("incident", "data_breach", "Serco Group plc")
    ]
    assert server.rows("/watchdog/search", words="") == []
    contracts = server.rows("/watchdog/contracts", _search="contact tracing", _col="title")
    assert sorted(row["title"] for row in contracts) == [
        "COVID-19 contact tracing service",
        "Serco's record: the contracts, the deductions and the data breach",
    ]
    fined = server.rows("/watchdog/enforcement_actions", _search="deferred prosecution", _col="authority")
    assert [row["authority"] for row in fined] == ["Serious Fraud Office"] * 2


def test_views_sort_newest_first_and_offer_facets(server):
    status, events = server.get("/watchdog/supplier_events.json", _facet="event_type")
    assert status == 200
    dates = [row[events["columns"].index("event_date")] for row in events["rows"]]
    assert dates[0] == "2026-10-06" and dates == sorted(dates, reverse=True)
    facet = {item["value"]: item["count"] for item in events["facet_results"]["event_type"]["results"]}
    assert facet == {"contract": 78, "enforcement": 14, "incident": 1}
    status, table = server.get("/watchdog/supplier_events.json", _size="0")
    facets = ["amount_kind", "basis", "buyer_or_authority", "event_date", "event_kind", "event_type"]
    assert sorted(table["facet_results"]) == facets
    years = table["facet_results"]["event_date"]
    assert years["type"] == "year"
    newest = [(year["value"], year["count"]) for year in years["results"][:3]]
    assert newest == [("2026", 3), ("2025", 26), ("2024", 42)]
    assert years["results"][0]["toggle_url"].endswith("event_date__startswith=2026")
    status, in_2020 = server.get("/watchdog/supplier_events.json", event_date__startswith="2020", _size="0")
    assert in_2020["filtered_table_rows_count"] == 5
    assert [(year["value"], year["selected"]) for year in in_2020["facet_results"]["event_date"]["results"]] == [
        ("2020", True)
    ]


def dictionary() -> dict[str, dict[str, str]]:
    """Each table's and view's column meanings as docs/schema.md gives them."""
    meanings: dict[str, dict[str, str]] = {}
    for section in SCHEMA_DOC.read_text(encoding="utf-8").split("\n### `")[1:]:
        name = section.split("`", 1)[0]
        rows = re.findall(r"^\| `([a-z_0-9]+)` \|(.*)\|$", section, re.MULTILINE)
        meanings[name] = {column: cells.split(" | ")[-1].strip() for column, cells in rows}
    return meanings


def test_metadata_describes_every_column_as_the_data_dictionary_does(server):
    _, metadata = server.get("/-/metadata.json")
    assert metadata["title"] == "Contract watchdog" and "Open Government Licence" in metadata["license"]
    tables = metadata["databases"]["watchdog"]["tables"]
    _, database = server.get("/watchdog.json")
    served = {table["name"]: table["columns"] for table in database["tables"] if not table["hidden"]}
    for view in (view["name"] for view in database["views"]):
        served[view] = server.get(f"/watchdog/{view}.json", _size="0")[1]["columns"]
    assert set(VIEWS) <= set(served) and "supplier_events" in served and "contracts" in served
    undescribed = [f"{name}.{column}" for name, columns in served.items() for column in columns
                   if not tables.get(name, {}).get("columns", {}).get(column)]  # fmt: skip
    assert undescribed == []
    assert not [name for name in served if not tables[name].get("description")]
    documented = dictionary()
    assert {name: tables[name]["columns"] for name in served} == {name: documented[name] for name in served}
    assert tables["supplier_events"]["columns"]["source_url"].startswith("Where to read it")


def test_money_in_pounds_and_sources_as_links_on_the_html_pages(server):
    with urllib.request.urlopen(f"{server.url}/watchdog/supplier_record?supplier_name=SERCO+LIMITED") as page:
        html = page.read().decode()
    assert "£108,000,000.00" in html
    with urllib.request.urlopen(f"{server.url}/watchdog/awards?contract_id=1") as page:
        html = page.read().decode()
    assert f'<a href="{SERCO_NOTICE}">{SERCO_NOTICE}</a>' in html


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO buyers (name, name_key, first_seen_at, last_seen_at) VALUES ('x', 'x', '2026-01-01', '2026')",
        "UPDATE contracts SET title = 'changed'",
        "DROP TABLE buyers",
        "WITH doomed AS (SELECT 1) DELETE FROM contracts",
        "PRAGMA journal_mode = DELETE",
    ],
)
def test_sql_that_writes_is_refused(server, sample_file, sql):
    before = counts(sample_file)
    status, body = server.get("/watchdog.json", sql=sql)
    assert body["ok"] is False
    assert (status, body["error"]) in {
        (400, "Statement must be a SELECT"),
        (400, "attempt to write a readonly database"),
    }
    assert counts(sample_file) == before


def test_a_post_writes_nothing(server, sample_file):
    before = counts(sample_file)
    request = urllib.request.Request(f"{server.url}/watchdog/buyers", data=b"name=x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code >= 400
    assert counts(sample_file) == before


def test_without_a_search_index_it_serves_and_says_how_to_build_it(tmp_path):
    path = tmp_path / "watchdog.db"
    db.upgrade(db.make_engine(f"sqlite:///{path}"))
    running = Server(path, tmp_path)
    try:
        status, _ = running.get("/watchdog/search.json", words="serco")
        assert status == 404
        assert running.rows("/watchdog/everything_about", name="", since="", until="") == []
    finally:
        running.stop()
    errors = running.stderr.read_text()
    assert "no search index in watchdog.db yet" in errors
    assert f"watchdog --db sqlite:///{path} db search-index" in errors


def test_a_postgresql_database_is_to_be_snapshotted_first():
    command = [sys.executable, "-m", "watchdog", "--db", "postgresql://someone@dbhost/watchdog", "serve"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: watchdog serve serves a SQLite file: copy PostgreSQL's public views into")
    assert "`watchdog snapshot watchdog-snapshot.db`" in result.stderr


def test_a_port_taken_is_said_before_anything_starts(sample_file):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "watchdog", "--db", f"sqlite:///{sample_file}", "serve", "--port", str(port)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == (
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in use; give another --port or --host\n"
    )
