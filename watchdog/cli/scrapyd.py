"""Scrapyd nodes through their JSON API: the schedule's crawls posted to the least busy node, and the nodes' jobs.

Nodes are named by their URLs (http://user:password@host:6800 when Scrapyd asks for a login); a URL is shown
without its password. Every request gives up after REQUEST_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import base64
import json
import sys
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit
from urllib.request import Request, urlopen

import click
from tabulate import tabulate

from watchdog.cli.schedule import (
    ScheduledCrawl,
    ScheduleError,
    load_schedule,
    schedule_option,
    schedule_path,
)
from watchdog.console import EXIT_OK, EXIT_WORK_FAILED, CannotStart, verbosity
from watchdog.sources.spiders.news import parse_shard, shard_lock_name

SCRAPYD_URLS_VARIABLE = "WATCHDOG_SCRAPYD_URLS"
# What Scrapyd calls a project it finds in the scrapy.cfg of the folder it was started in ([settings] default = ...).
DEFAULT_PROJECT = "default"
REQUEST_TIMEOUT_SECONDS = 5
FINISHED_JOBS_SHOWN = 5  # per node, newest first
# Form fields schedule.json keeps for itself: a spider argument of one of these names would never reach the spider.
SCRAPYD_FIELDS = ("project", "spider", "setting", "jobid", "priority", "_version")
QUEUED_STATES = ("running", "pending")
JOB_HEADERS = ["node", "spider", "job", "state", "started", "finished", "pid"]


class NodeError(Exception):
    """A node that could not be reached (`answered` false), or that answered with an error; the message says which
    and why."""

    def __init__(self, message: str, answered: bool) -> None:
        super().__init__(message)
        self.answered = answered


@dataclass
class Node:
    """A Scrapyd node as given: its address (without the login) and its login, if any."""

    url: str
    login: tuple[str, str] | None = None
    load: int = 0  # pending and running jobs, counting those this command posted

    @classmethod
    def parse(cls, given: str) -> Node:
        parts = urlsplit(given if "://" in given else f"http://{given}")
        address = parts.netloc.rpartition("@")[2]
        login = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
        return cls(urlunsplit((parts.scheme, address, parts.path.rstrip("/"), "", "")), login)

    def call(self, endpoint: str, query: dict[str, str] | None = None, form: list[tuple[str, str]] | None = None):
        """The JSON answer of one endpoint (GET, or POST of `form`); NodeError if there is none or it is an error."""
        address = f"{self.url}/{endpoint}" + (f"?{urlencode(query)}" if query else "")
        request = Request(address, data=urlencode(form).encode() if form is not None else None)
        if self.login:
            token = base64.b64encode(":".join(self.login).encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                body = response.read()
        except HTTPError as error:
            if error.code == 401:
                message = f"{self.url} refused the login (HTTP 401): check the user and password in its URL"
            else:
                message = f"{self.url} answered {endpoint} with HTTP {error.code} {error.reason}"
            raise NodeError(message, answered=True) from error
        except URLError as error:
            raise NodeError(self.unreachable(error.reason), answered=False) from error
        except OSError as error:
            raise NodeError(self.unreachable(error), answered=False) from error
        try:
            answer = json.loads(body)
        except ValueError as error:
            message = f"{self.url} answered {endpoint} with something other than JSON: is it Scrapyd?"
            raise NodeError(message, answered=True) from error
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            reason = answer.get("message", "no reason given") if isinstance(answer, dict) else "not a JSON object"
            raise NodeError(f"{self.url} refused {endpoint}: {reason}", answered=True)
        return answer

    def unreachable(self, reason: object) -> str:
        if isinstance(reason, TimeoutError):
            return f"{self.url} did not answer within {REQUEST_TIMEOUT_SECONDS} s"
        return f"{self.url} cannot be reached: {getattr(reason, 'strerror', None) or reason}"


def nodes_from(urls: str | None) -> list[Node]:
    """The nodes a comma-separated list of URLs names; CannotStart if it names none."""
    given = [url.strip() for url in (urls or "").split(",") if url.strip()]
    if not given:
        raise CannotStart(f"name the Scrapyd nodes with --scrapyd URL[,URL...] or ${SCRAPYD_URLS_VARIABLE}")
    return [Node.parse(url) for url in given]


SCRAPYD_OPTION = click.option(
    "--scrapyd",
    "scrapyd_urls",
    envvar=SCRAPYD_URLS_VARIABLE,
    metavar="URL[,URL...]",
    help="Scrapyd nodes, e.g. http://node1:6800,http://user:password@node2:6800 "
    f"(also read from ${SCRAPYD_URLS_VARIABLE}).",
)


@dataclass
class Job:
    """A job as a node's listjobs.json shows it."""

    node: str
    spider: str
    id: str
    state: str
    started: datetime | None = None
    finished: datetime | None = None
    pid: int | None = None
    arguments: dict[str, str] = field(default_factory=dict)  # Scrapyd lists a pending job's

    def row(self) -> list[object]:
        return [self.node, self.spider, self.id, self.state, shown(self.started), shown(self.finished), self.pid or ""]


def node_time(value: str | None) -> datetime | None:
    """A time as Scrapyd writes it (its machine's local time, "2026-11-29 03:51:41.873443")."""
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def shown(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}" if moment else ""


def listed_job(node: Node, state: str, job: dict) -> Job:
    started, finished = node_time(job.get("start_time")), node_time(job.get("end_time"))
    arguments = {name: str(value) for name, value in (job.get("args") or {}).items()}
    return Job(node.url, job["spider"], job["id"], state, started, finished, job.get("pid"), arguments)


def node_jobs(node: Node, project: str | None = None) -> list[Job]:
    """The node's running and pending jobs, then its finished ones newest first (of `project`, else of all)."""
    answer = node.call("listjobs.json", {"project": project} if project else None)
    queued = [listed_job(node, state, job) for state in QUEUED_STATES for job in answer.get(state, [])]
    finished = [listed_job(node, "finished", job) for job in answer.get("finished", [])]
    finished.sort(key=lambda job: job.finished or datetime.min, reverse=True)
    return queued + finished


def crawl_key(crawl: ScheduledCrawl) -> str:
    """What one job of the crawl stands for: its spider, or for a share of the news its shard's lock name."""
    if crawl.spider == "news" and crawl.arguments.get("shard"):
        return shard_lock_name(*parse_shard(crawl.arguments["shard"]))
    return crawl.spider


def job_key(job: Job) -> str:
    """A listed job's crawl_key: from its arguments where Scrapyd lists them (a pending job's), else from its id,
    which names the shard of a job this command posted (news_shard_2_of_4.<hex>)."""
    if job.arguments.get("shard"):
        with suppress(ValueError):  # another tool's job with a shard the spider would refuse
            return crawl_key(ScheduledCrawl(job.spider, job.arguments))
    return job.id.partition(".")[0] if job.id.startswith(f"{job.spider}_shard_") else job.spider


def news_in_shards(crawls: list[ScheduledCrawl], shards: int) -> list[ScheduledCrawl]:
    """The schedule's crawls, its news crawl as `shards` crawls of a share of the feeds each (shard=K/N)."""
    if shards <= 1:
        return crawls
    shared_out = []
    for crawl in crawls:
        if crawl.spider != "news":
            shared_out.append(crawl)
            continue
        shared_out += [
            ScheduledCrawl(crawl.spider, {**crawl.arguments, "shard": f"{share}/{shards}"}, crawl.settings)
            for share in range(1, shards + 1)
        ]
    return shared_out


@dataclass
class Round:
    """One `watchdog schedule`: the nodes that answered, the jobs queued on them, and what each crawl became."""

    project: str
    nodes: list[Node]
    queued: dict[str, Job] = field(default_factory=dict)  # crawl_key -> its running or pending job
    not_posted: list[str] = field(default_factory=list)

    def least_busy(self, refused: list[Node]) -> Node | None:
        """The reachable node with the fewest pending and running jobs (the first given, between equals)."""
        candidates = [node for node in self.nodes if node not in refused]
        return min(candidates, key=lambda node: node.load) if candidates else None

    def post(self, crawl: ScheduledCrawl) -> None:
        """Post the crawl to the least busy node that takes it, and say where; a node that cannot be reached is
        left out from now on, one that refuses this crawl is left out for it only."""
        key = crawl_key(crawl)
        if key in self.queued:
            job = self.queued[key]
            say(f"{job.node}  {key}  {job.id}  already {job.state}: not posted again")
            return
        refused: list[Node] = []
        while (node := self.least_busy(refused)) is not None:
            try:
                answer = node.call("schedule.json", form=schedule_form(self.project, crawl, key))
            except NodeError as error:
                click.echo(f"Warning: {error}", err=True)
                refused.append(node)
                if not error.answered:
                    self.nodes.remove(node)
                continue
            node.load += 1
            self.queued[key] = Job(node.url, crawl.spider, answer["jobid"], "pending")
            say(f"{node.url}  {key}  {answer['jobid']}  posted")
            return
        click.echo(f"-  {key}  -  not posted: no node took it")
        self.not_posted.append(key)


def say(line: str) -> None:
    """A line of what went as it should: left out with -q."""
    if not verbosity.quiet:
        click.echo(line)


def schedule_form(project: str, crawl: ScheduledCrawl, key: str) -> list[tuple[str, str]]:
    """schedule.json's form: the project and spider, the spider's arguments as fields, a `setting` per setting;
    a shard's job is given an id that names its shard, so the next round knows it is queued."""
    form = [("project", project), ("spider", crawl.spider), *crawl.arguments.items()]
    form += [("setting", f"{name}={value}") for name, value in crawl.settings.items()]
    return form + ([("jobid", f"{key}.{uuid.uuid4().hex}")] if key != crawl.spider else [])


def checked_crawls(schedule_file: Path | None) -> list[ScheduledCrawl]:
    """The schedule's crawls; CannotStart if it cannot be read or an argument would not reach its spider."""
    path = schedule_path(schedule_file)
    try:
        crawls = load_schedule(path)
    except ScheduleError as error:
        raise CannotStart(str(error)) from error
    for crawl in crawls:
        taken = sorted(set(crawl.arguments) & set(SCRAPYD_FIELDS))
        if taken:
            raise CannotStart(
                f"the schedule {path} [{crawl.spider}]: Scrapyd keeps the field {taken[0]} for itself, so an "
                "argument of that name cannot be passed to a spider"
            )
    return crawls


def open_round(urls: str | None, project: str) -> Round:
    """Ask every node how busy it is and what it runs; CannotStart if none answers."""
    reachable, failures = [], []
    queued: dict[str, Job] = {}
    for node in nodes_from(urls):
        try:
            status = node.call("daemonstatus.json")
            jobs = node_jobs(node, project)
        except NodeError as error:
            click.echo(f"Warning: {error}; using the other nodes", err=True)
            failures.append(str(error))
            continue
        node.load = int(status.get("pending", 0)) + int(status.get("running", 0))
        reachable.append(node)
        for job in jobs:
            if job.state in QUEUED_STATES:
                queued.setdefault(job_key(job), job)
    if not reachable:
        raise CannotStart("no Scrapyd node could be used, nothing was posted: " + "; ".join(failures))
    return Round(project, reachable, queued)


def schedule_on_nodes(urls: str | None, project: str, schedule_file: Path | None, news_shards: int = 1) -> int:
    """Post each crawl of the schedule (the news in `news_shards` shares) that is not already queued on a node; the
    exit status."""
    crawls = news_in_shards(checked_crawls(schedule_file), news_shards)
    round_ = open_round(urls, project)
    for crawl in crawls:
        round_.post(crawl)
    return EXIT_WORK_FAILED if round_.not_posted else EXIT_OK


@dataclass
class NodesReport:
    """What the nodes run, have queued and finished lately, and why a node did not answer."""

    jobs: list[Job]
    failures: list[str]

    def lines(self) -> list[str]:
        rows = [job.row() for job in self.jobs]
        heading = f"Scrapyd jobs (times by each node's clock; each node's {FINISHED_JOBS_SHOWN} newest finished jobs):"
        table = tabulate(rows, headers=JOB_HEADERS, disable_numparse=True) if rows else "No jobs on the nodes."
        return [heading, "", table, *([""] if self.failures else []), *self.failure_lines()]

    def failure_lines(self) -> list[str]:
        return [f"Scrapyd node unavailable: {failure}" for failure in self.failures]

    def as_json(self) -> dict[str, object]:
        jobs = [dict(zip(JOB_HEADERS, job.row(), strict=True)) | {"pid": job.pid} for job in self.jobs]
        return {"jobs": jobs, "unavailable": self.failures}


def read_nodes(urls: str | None) -> NodesReport:
    """Every node's running and pending jobs and its newest finished ones, of every project it holds."""
    jobs, failures = [], []
    for node in nodes_from(urls):
        try:
            listed = node_jobs(node)
        except NodeError as error:
            failures.append(str(error))
            continue
        finished = [job for job in listed if job.state == "finished"]
        jobs += [job for job in listed if job.state != "finished"] + finished[:FINISHED_JOBS_SHOWN]
    return NodesReport(jobs, failures)


@click.command("schedule")
@SCRAPYD_OPTION
@click.option(
    "--project",
    default=DEFAULT_PROJECT,
    show_default=True,
    help="The Scrapyd project: default for a node started in a folder holding the project's scrapy.cfg, else the "
    "name the egg was deployed under.",
)
@schedule_option("The schedule file, as for `crawl --all`.")
@click.option(
    "--news-shards",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Post the news crawl as this many jobs, each reading a share of the feeds (-a shard=K/N).",
)
def schedule_command(scrapyd_urls: str | None, project: str, schedule_file: Path | None, news_shards: int) -> None:
    """Post each crawl of the schedule to the least busy Scrapyd node, and print its job id.

    \b
    A spider (or news shard) with a job already pending or running on a node is not posted again (its lock would
    refuse it).
    A node that cannot be reached or refuses a job is named, and the other nodes are used.
    Exit status: 0 every crawl posted or already queued; 1 a crawl no node took; 2 no node could be used.
    """
    sys.exit(schedule_on_nodes(scrapyd_urls, project, schedule_file, news_shards))
