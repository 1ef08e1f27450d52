"""`watchdog schedule --scrapyd` and `watchdog status --scrapyd`, against fake Scrapyd nodes that record what they are
sent, and once against a real Scrapyd process running the project's spiders."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from urllib.request import urlopen

import pytest
from click.testing import CliRunner
from local_server import LocalServer
from sqlalchemy import select
from test_status import add_run

from watchdog.cli import main
from watchdog.cli.schedule import SCHEDULE_VARIABLE
from watchdog.cli.scrapyd import SCRAPYD_URLS_VARIABLE
from watchdog.console import EXIT_CANNOT_START, EXIT_WORK_FAILED
from watchdog.database import db
from watchdog.database.models import CrawlRun

REPOSITORY = Path(__file__).resolve().parent.parent
FOUR_SPIDERS = "[contracts_finder]\n[find_a_tender]\n[hse_convictions]\n[sfo_dpas]\n"


class FakeScrapyd(LocalServer):
    """Scrapyd's JSON API as far as the commands use it: a load, a list of jobs, and schedule.json, whose posts it
    keeps (`posts`: each form as (name, value) pairs in order) with the Authorization header of every request."""

    def __init__(self, running: int = 0, pending: int = 0, login: tuple[str, str] | None = None) -> None:
        self.load = {"running": running, "pending": pending}
        self.jobs: dict[str, list[dict]] = {"pending": [], "running": [], "finished": []}
        self.unknown_spiders: set[str] = set()
        self.login = login
        self.posts: list[list[tuple[str, str]]] = []
        self.authorizations: list[str | None] = []
        super().__init__()

    def allowed(self, headers) -> bool:
        self.authorizations.append(headers.get("Authorization"))
        if self.login is None:
            return True
        return headers.get("Authorization") == "Basic " + base64.b64encode(":".join(self.login).encode()).decode()

    def reply(self, answer: dict) -> tuple[int, dict[str, str], bytes]:
        body = answer | {"node_name": "fake"}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    def answer(self, path: str, headers) -> tuple[int, dict[str, str], bytes]:
        if not self.allowed(headers):
            return 401, {"WWW-Authenticate": 'Basic realm="Scrapyd"'}, b"Unauthorized"
        endpoint = urlsplit(path).path
        if endpoint == "/daemonstatus.json":
            return self.reply(self.load | {"finished": len(self.jobs["finished"]), "status": "ok"})
        if endpoint == "/listjobs.json":
            return self.reply(self.jobs | {"status": "ok"})
        return 404, {}, b"No Such Resource"

    def answer_post(self, path: str, headers, form: list[tuple[str, str]]) -> tuple[int, dict[str, str], bytes]:
        if not self.allowed(headers):
            return 401, {}, b"Unauthorized"
        spider = dict(form)["spider"]
        if spider in self.unknown_spiders:
            return self.reply({"status": "error", "message": f"spider '{spider}' not found"})
        self.posts.append(form)
        return self.reply({"jobid": f"{spider}-{self.server.server_address[1]}-{len(self.posts)}", "status": "ok"})

    def handler(self):
        server = self

        class Handler(super().handler()):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                status, headers, payload = server.answer_post(self.path, self.headers, parse_qsl(body))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    def posted_spiders(self) -> list[str]:
        return [dict(form)["spider"] for form in self.posts]


class NotFound(LocalServer):
    """A portal that answers 404 to everything, and keeps the paths asked."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        super().__init__()

    def answer(self, path: str, headers) -> tuple[int, dict[str, str], bytes]:
        self.paths.append(path)
        return 404, {"Content-Type": "text/plain"}, b"not found"


@pytest.fixture(autouse=True)
def no_nodes_from_the_environment(monkeypatch):
    monkeypatch.delenv(SCRAPYD_URLS_VARIABLE, raising=False)
    monkeypatch.delenv(SCHEDULE_VARIABLE, raising=False)


@pytest.fixture
def node_a():
    with FakeScrapyd(running=2) as node:
        yield node


@pytest.fixture
def node_b():
    with FakeScrapyd() as node:
        yield node


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def schedule_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schedule.toml"
    path.write_text(text, encoding="utf-8")
    return path


def schedule(urls: str, path: Path, *options: str):
    return CliRunner().invoke(main, ["schedule", "--scrapyd", urls, "--schedule", str(path), *options])


def output_line(output: str, spider: str) -> str:
    [line] = [line for line in output.splitlines() if f"  {spider}  " in line]
    return line


def test_each_crawl_goes_to_the_least_busy_node_counting_what_was_just_posted(tmp_path, node_a, node_b):
    result = schedule(f"{node_a.url},{node_b.url}", schedule_file(tmp_path, FOUR_SPIDERS))

    assert result.exit_code == 0, result.output
    # b has 0 jobs, a 2 running: b takes two, then the first given wins the tie at 2, then b again.
    assert node_b.posted_spiders() == ["contracts_finder", "find_a_tender", "sfo_dpas"]
    assert node_a.posted_spiders() == ["hse_convictions"]
    b_port, a_port = node_b.server.server_address[1], node_a.server.server_address[1]
    assert (
        output_line(result.output, "find_a_tender") == f"{node_b.url}  find_a_tender  find_a_tender-{b_port}-2  posted"
    )
    assert output_line(result.output, "hse_convictions") == (
        f"{node_a.url}  hse_convictions  hse_convictions-{a_port}-1  posted"
    )


def test_a_spider_pending_or_running_on_a_node_is_not_posted_again(tmp_path, node_a, node_b):
    node_b.jobs["running"] = [
        {
            "id": "5f0c1e2a9b",
            "project": "default",
            "spider": "contracts_finder",
            "pid": 4242,
            "start_time": "2026-11-29 03:51:41.873443",
        }  # fmt: skip
    ]
    node_a.jobs["pending"] = [{"id": "77aa01", "project": "default", "spider": "sfo_dpas", "args": {}, "settings": {}}]

    result = schedule(f"{node_a.url},{node_b.url}", schedule_file(tmp_path, FOUR_SPIDERS))

    assert result.exit_code == 0, result.output
    assert output_line(result.output, "contracts_finder") == (
        f"{node_b.url}  contracts_finder  5f0c1e2a9b  already running: not posted again"
    )
    assert (
        output_line(result.output, "sfo_dpas") == f"{node_a.url}  sfo_dpas  77aa01  already pending: not posted again"
    )
    assert sorted(node_a.posted_spiders() + node_b.posted_spiders()) == ["find_a_tender", "hse_convictions"]


def test_arguments_and_settings_arrive_as_scrapyd_takes_them(tmp_path, node_b):
    path = schedule_file(
        tmp_path,
        '[hse_convictions]\nmax_pages = 5\nbase_url = "http://127.0.0.1:9/register"\n'
        "[hse_convictions.settings]\nDOWNLOAD_DELAY = 2.5\nWATCHDOG_BACKOFF = 1\n"
        '[news]\nshard = "2/4"\nfeeds = ["https://a.example/rss", "https://b.example/rss"]\n',
    )

    result = schedule(node_b.url, path, "--project", "watchdog")

    assert result.exit_code == 0, result.output
    *news_form, (field, job_id) = node_b.posts[1]
    assert (field, job_id.partition(".")[0]) == ("jobid", "news_shard_2_of_4")  # a shard's job id names it
    assert [node_b.posts[0], news_form] == [
        [
            ("project", "watchdog"),
            ("spider", "hse_convictions"),
            ("max_pages", "5"),
            ("base_url", "http://127.0.0.1:9/register"),
            ("setting", "DOWNLOAD_DELAY=2.5"),
            ("setting", "WATCHDOG_BACKOFF=1"),
        ],
        [
            ("project", "watchdog"),
            ("spider", "news"),
            ("shard", "2/4"),
            ("feeds", "https://a.example/rss,https://b.example/rss"),
        ],
    ]


def test_the_news_goes_out_in_shards_spread_over_the_nodes_and_a_queued_shard_is_not_posted_again(
    tmp_path, node_a, node_b
):
    node_a.load["running"] = 0
    node_a.jobs["running"] = [
        {"id": "news_shard_2_of_3.5f0c1e2a9b", "project": "default", "spider": "news", "pid": 4242}
    ]

    result = schedule(
        f"{node_a.url},{node_b.url}", schedule_file(tmp_path, "[news]\n[sfo_dpas]\n"), "--news-shards", "3"
    )

    assert result.exit_code == 0, result.output
    assert output_line(result.output, "news_shard_2_of_3") == (
        f"{node_a.url}  news_shard_2_of_3  news_shard_2_of_3.5f0c1e2a9b  already running: not posted again"
    )
    posted = [dict(form) for form in node_a.posts + node_b.posts]
    assert sorted((form["spider"], form.get("shard")) for form in posted) == [
        ("news", "1/3"),
        ("news", "3/3"),
        ("sfo_dpas", None),
    ]
    # Both nodes idle: a (first given) takes shard 1, b shard 3, a sfo_dpas.
    assert (node_a.posted_spiders(), node_b.posted_spiders()) == (["news", "sfo_dpas"], ["news"])
    assert all(form["jobid"].startswith(f"news_shard_{form['shard'][0]}_of_3.") for form in posted if "shard" in form)


def test_a_shard_another_tool_posted_is_known_by_its_arguments(tmp_path, node_b):
    node_b.jobs["pending"] = [
        {"id": "0f3a9c", "project": "default", "spider": "news", "args": {"shard": "1/2"}, "settings": {}}
    ]

    result = schedule(node_b.url, schedule_file(tmp_path, "[news]\n"), "--news-shards", "2")

    assert result.exit_code == 0, result.output
    assert output_line(result.output, "news_shard_1_of_2") == (
        f"{node_b.url}  news_shard_1_of_2  0f3a9c  already pending: not posted again"
    )
    assert [dict(form).get("shard") for form in node_b.posts] == ["2/2"]


def test_an_argument_scrapyd_keeps_for_itself_is_refused_before_anything_is_posted(tmp_path, node_b):
    result = schedule(node_b.url, schedule_file(tmp_path, "[sfo_dpas]\npriority = 3\n"))

    assert result.exit_code == EXIT_CANNOT_START
    assert "[sfo_dpas]: Scrapyd keeps the field priority for itself" in result.output
    assert node_b.posts == []


def test_an_unreachable_node_is_named_and_the_others_are_used(tmp_path, node_b):
    port = closed_port()
    result = schedule(f"http://127.0.0.1:{port},{node_b.url}", schedule_file(tmp_path, FOUR_SPIDERS))

    assert result.exit_code == 0, result.output
    assert f"Warning: http://127.0.0.1:{port} cannot be reached: Connection refused; using the other nodes" in (
        result.stderr
    )
    assert node_b.posted_spiders() == ["contracts_finder", "find_a_tender", "hse_convictions", "sfo_dpas"]
    quiet = schedule(f"http://127.0.0.1:{port},{node_b.url}", schedule_file(tmp_path, "[news]\n"), "-q")
    assert quiet.exit_code == 0
    assert quiet.output.splitlines() == [
        f"Warning: http://127.0.0.1:{port} cannot be reached: Connection refused; using the other nodes"
    ]
    assert node_b.posted_spiders()[-1] == "news"


def test_a_node_that_refuses_a_spider_leaves_it_to_the_others_and_one_no_node_takes_fails(tmp_path, node_a, node_b):
    node_b.load["running"] = 1
    node_b.unknown_spiders = {"sfo_dpas", "find_a_tender"}
    node_a.unknown_spiders = {"find_a_tender"}

    result = schedule(f"{node_a.url},{node_b.url}", schedule_file(tmp_path, FOUR_SPIDERS))

    assert result.exit_code == EXIT_WORK_FAILED
    assert f"Warning: {node_b.url} refused schedule.json: spider 'sfo_dpas' not found" in result.stderr
    assert output_line(result.output, "find_a_tender") == "-  find_a_tender  -  not posted: no node took it"
    # b (1 job) takes contracts_finder; a wins the tie at 2 for hse_convictions; b is least busy for sfo_dpas but
    # refuses it, so a takes it.
    assert node_b.posted_spiders() == ["contracts_finder"]
    assert node_a.posted_spiders() == ["hse_convictions", "sfo_dpas"]


def test_no_node_reachable_exits_2_and_says_so(tmp_path):
    first, second = closed_port(), closed_port()
    result = schedule(f"http://127.0.0.1:{first},127.0.0.1:{second}", schedule_file(tmp_path, FOUR_SPIDERS))

    assert result.exit_code == EXIT_CANNOT_START
    assert result.stderr.splitlines()[-1] == (
        f"Error: no Scrapyd node could be used, nothing was posted: http://127.0.0.1:{first} cannot be reached: "
        f"Connection refused; http://127.0.0.1:{second} cannot be reached: Connection refused"
    )


def test_no_node_named_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["schedule", "--schedule", str(schedule_file(tmp_path, FOUR_SPIDERS))])

    assert result.exit_code == EXIT_CANNOT_START
    assert "name the Scrapyd nodes with --scrapyd URL[,URL...] or $WATCHDOG_SCRAPYD_URLS" in result.output


def test_the_login_in_the_url_is_sent_as_basic_auth_and_never_shown(tmp_path, monkeypatch):
    with FakeScrapyd(login=("watchdog", "s3cret:pw")) as node:
        host = node.url.removeprefix("http://")
        monkeypatch.setenv(SCRAPYD_URLS_VARIABLE, f"http://watchdog:s3cret%3Apw@{host}")
        path = schedule_file(tmp_path, "[sfo_dpas]\n")
        result = CliRunner().invoke(main, ["schedule", "--schedule", str(path)])
        wrong = schedule(f"http://watchdog:guess@{host}", path)

    assert result.exit_code == 0, result.output
    assert node.posted_spiders() == ["sfo_dpas"]
    assert set(node.authorizations[:3]) == {"Basic d2F0Y2hkb2c6czNjcmV0OnB3"}  # watchdog:s3cret:pw
    assert (
        output_line(result.output, "sfo_dpas")
        == f"{node.url}  sfo_dpas  sfo_dpas-{node.server.server_address[1]}-1  posted"
    )
    assert wrong.exit_code == EXIT_CANNOT_START
    assert f"{node.url} refused the login (HTTP 401): check the user and password in its URL" in wrong.stderr
    assert "s3cret" not in result.output + wrong.output and "guess" not in wrong.output


def finished_job(number: int) -> dict:
    return {
        "id": f"old{number}",
        "project": "default",
        "spider": "news",
        "start_time": f"2026-11-2{number} 02:00:00.000001",
        "end_time": f"2026-11-2{number} 02:{10 + number}:07.500000",
        "log_url": f"/logs/default/news/old{number}.log",
        "items_url": None,
    }


@pytest.fixture
def status_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'watchdog.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    add_run(engine, "contracts_finder", "finished", timedelta(hours=3, minutes=40), timedelta(hours=3))
    engine.dispose()
    return url


def status(database_url: str, *options: str):
    return CliRunner().invoke(main, ["--db", database_url, "status", *options])


def test_status_shows_each_nodes_jobs_after_the_crawl_runs(status_database, node_a, node_b):
    node_a.jobs = {
        "running": [
            {
                "id": "a1running",
                "project": "default",
                "spider": "contracts_finder",
                "pid": 31634,
                "start_time": "2026-11-29 03:51:41.873443",
            }
        ],  # fmt: skip
        "pending": [{"id": "a2pending", "project": "default", "spider": "ted", "args": {}, "settings": {}}],
        "finished": [finished_job(number) for number in range(1, 8)],
    }
    node_b.jobs["finished"] = [
        {
            "id": "b1done",
            "project": "default",
            "spider": "sfo_dpas",
            "start_time": "2026-11-29 01:00:00.5",
            "end_time": "2026-11-29 01:00:09.25",
        }  # fmt: skip
    ]

    result = status(status_database, "--scrapyd", f"{node_a.url},{node_b.url}")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines.index("Crawl runs (times in UTC, now " + lines[0].split("now ")[1]) == 0
    jobs_at = lines.index("Scrapyd jobs (times by each node's clock; each node's 5 newest finished jobs):")
    assert any(line.startswith("contracts_finder ") for line in lines[:jobs_at])
    rows = [line.split() for line in lines[jobs_at + 4 :]]
    assert rows == [
        [node_a.url, "contracts_finder", "a1running", "running", "2026-11-29", "03:51:41", "31634"],
        [node_a.url, "ted", "a2pending", "pending"],
        *[
            [node_a.url, "news", f"old{n}", "finished", f"2026-11-2{n}", "02:00:00", f"2026-11-2{n}", f"02:{10 + n}:07"]
            for n in (7, 6, 5, 4, 3)
        ],
        [node_b.url, "sfo_dpas", "b1done", "finished", "2026-11-29", "01:00:00", "2026-11-29", "01:00:09"],
    ]


def test_a_node_down_is_a_line_and_exit_status_1_and_the_rest_is_shown(status_database, node_b):
    node_b.jobs["running"] = [
        {"id": "b7", "project": "default", "spider": "news", "pid": 77, "start_time": "2026-11-29 03:00:00"}
    ]
    port = closed_port()
    urls = f"http://127.0.0.1:{port},{node_b.url}"

    result = status(status_database, "--scrapyd", urls)
    quiet = status(status_database, "-q", "--scrapyd", urls)
    as_json = status(status_database, "--json", "--scrapyd", urls)

    assert result.exit_code == quiet.exit_code == as_json.exit_code == EXIT_WORK_FAILED
    assert any(line.startswith("contracts_finder ") for line in result.output.splitlines())
    assert [node_b.url, "news", "b7", "running", "2026-11-29", "03:00:00", "77"] in [
        line.split() for line in result.output.splitlines()
    ]
    down = f"Scrapyd node unavailable: http://127.0.0.1:{port} cannot be reached: Connection refused"
    assert result.output.splitlines()[-1] == down
    assert quiet.output.splitlines() == [down]
    report = json.loads(as_json.output)
    assert report["scrapyd"] == {
        "jobs": [
            {
                "node": node_b.url,
                "spider": "news",
                "job": "b7",
                "state": "running",
                "started": "2026-11-29 03:00:00",
                "finished": "",
                "pid": 77,
            }  # fmt: skip
        ],
        "unavailable": [f"http://127.0.0.1:{port} cannot be reached: Connection refused"],
    }
    assert report["spiders"][0]["last_run"]["status"] == "finished"


def scrapyd_answer(url: str, endpoint: str) -> dict:
    with urlopen(f"{url}/{endpoint}", timeout=5) as response:
        return json.load(response)


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = condition()
        except OSError:
            found = None
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting {seconds} s for {what}")


def job_logs(folder: Path) -> str:
    """The node's own output and its jobs' logs, to show why a job did not do what was expected."""
    logs = [folder / "scrapyd.out", *sorted((folder / "logs").rglob("*.log"))]
    return "\n".join(log.read_text(encoding="utf-8")[-3000:] for log in logs)


@pytest.fixture
def scrapyd_node(tmp_path):
    """A real Scrapyd process in a folder holding the project's scrapy.cfg, over a migrated SQLite database."""
    folder = tmp_path / "node"
    folder.mkdir()
    shutil.copy(REPOSITORY / "scrapy.cfg", folder)
    port = closed_port()
    (folder / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\npoll_interval = 0.2\n"
        f"eggs_dir = {folder / 'eggs'}\nlogs_dir = {folder / 'logs'}\nitems_dir =\ndbs_dir = {folder / 'dbs'}\n",
        encoding="utf-8",
    )
    database_url = f"sqlite:///{tmp_path / 'watchdog.db'}"
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    environment = os.environ | {db.DATABASE_URL_VARIABLE: database_url}
    log = open(folder / "scrapyd.out", "w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "scrapyd"], cwd=folder, env=environment, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: scrapyd_answer(url, "daemonstatus.json"), 20, "Scrapyd to answer")
        yield url, engine, folder
    finally:
        process.terminate()
        process.wait(20)
        log.close()
        engine.dispose()


def test_a_real_scrapyd_node_lists_our_spiders_and_runs_the_schedule_posted(tmp_path, scrapyd_node):
    url, engine, folder = scrapyd_node
    with NotFound() as portal:
        path = schedule_file(
            tmp_path,
            f'[contracts_finder]\nbase_url = "{portal.url}"\nfrom_date = 2025-01-20\nuntil_date = 2025-01-21\n'
            "[contracts_finder.settings]\nDOWNLOAD_DELAY = 0\nWATCHDOG_WAIT_SCALE = 0.001\nWATCHDOG_BACKOFF = 1\n",
        )
        spiders = scrapyd_answer(url, "listspiders.json?project=default")["spiders"]
        posted = schedule(url, path)
        [job_id] = [line.split()[2] for line in posted.output.splitlines() if line.endswith("  posted")]
        wait_for(
            lambda: [job for job in scrapyd_answer(url, "listjobs.json")["finished"] if job["id"] == job_id],
            25,
            "the job to finish",
        )
    shown = status(str(engine.url), "--scrapyd", url)

    assert {"contracts_finder", "find_a_tender", "hse_convictions", "news", "sfo_dpas", "ted"} <= set(spiders)
    assert posted.exit_code == 0, posted.output
    assert posted.output.splitlines() == [f"{url}  contracts_finder  {job_id}  posted"]
    assert portal.paths and all(p.startswith("/Published/Notices/OCDS/Search?") for p in portal.paths)
    with engine.connect() as connection:
        runs = connection.execute(select(CrawlRun.spider, CrawlRun.status)).all()
    assert runs == [("contracts_finder", "failed")], job_logs(folder)
    [job_row] = [line.split() for line in shown.output.splitlines() if job_id in line]
    assert job_row[:4] == [url, "contracts_finder", job_id, "finished"]
    assert shown.exit_code == 0, shown.output
