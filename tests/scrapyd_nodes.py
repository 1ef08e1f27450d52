"""Real Scrapyd processes, each in a folder of its own on a loopback port, running the project's spiders against one
database: the nodes of the tests and of bench/nodes_benchmark.py.

A node's folder holds a copy of the repository's scrapy.cfg (so Scrapyd lists and runs the project, as "default",
from the installed package) and a scrapyd.conf; its jobs take the database from $WATCHDOG_DATABASE_URL, which
Scrapyd's job processes inherit. Items go to the database only: no items_dir, so no feed of them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from postgres_server import free_port

REPOSITORY = Path(__file__).resolve().parent.parent
PROJECT = "default"  # the name Scrapyd gives the project of scrapy.cfg's [settings] default


class ScrapydNode:
    """One Scrapyd process in `folder` (created), at most `max_proc` jobs at a time, polling its queue every
    `poll_interval` seconds. A context manager: started on entry; on exit its jobs are cancelled and it stops."""

    def __init__(self, folder: Path, database_url: str, max_proc: int = 2, poll_interval: float = 0.5) -> None:
        self.folder, self.database_url = folder, database_url
        self.max_proc, self.poll_interval = max_proc, poll_interval
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def logs_dir(self) -> Path:
        return self.folder / "logs"

    def write_configuration(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPOSITORY / "scrapy.cfg", self.folder / "scrapy.cfg")
        (self.folder / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            "bind_address = 127.0.0.1\n"
            f"http_port = {self.port}\n"
            f"max_proc = {self.max_proc}\n"
            f"poll_interval = {self.poll_interval}\n"
            f"eggs_dir = {self.folder / 'eggs'}\n"
            f"logs_dir = {self.logs_dir}\n"
            "items_dir =\n"
            f"dbs_dir = {self.folder / 'dbs'}\n"
            "jobs_to_keep = 100\n",
            encoding="utf-8",
        )

    def start(self, timeout: float = 60) -> None:
        self.write_configuration()
        environment = os.environ | {"WATCHDOG_DATABASE_URL": self.database_url}
        with open(self.folder / "scrapyd.out", "wb") as output:
            # A session of its own: stopping the node can end its job processes with it, by the node's process group.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scrapyd"],
                cwd=self.folder,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_until_ready(timeout)

    def wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"Scrapyd exited ({self.process.returncode}):\n{self.output()}")
            try:
                if self.call("daemonstatus.json")["status"] == "ok":
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"Scrapyd did not answer at {self.url} in {timeout} s:\n{self.output()}")
            time.sleep(0.1)

    def output(self) -> str:
        """What the Scrapyd process itself printed (its job processes' own logs are in logs_dir)."""
        path = self.folder / "scrapyd.out"
        return path.read_text(encoding="utf-8", errors="replace")[-5000:] if path.exists() else ""

    def call(self, service: str, query: dict[str, str] | None = None, **form: str | list[str]) -> dict:
        """A JSON API call: a GET with the query, or a POST of the form; an answer not "ok" raises RuntimeError."""
        address = f"{self.url}/{service}" + (f"?{urlencode(query)}" if query else "")
        data = urlencode(form, doseq=True).encode() if form else None
        with urllib.request.urlopen(address, data=data, timeout=30) as response:
            answer = json.loads(response.read())
        if answer.get("status") != "ok":
            raise RuntimeError(f"{service} at {self.url}: {answer}")
        return answer

    def schedule(self, spider: str, arguments: dict[str, str], settings: dict[str, str]) -> Job:
        """Post a job: the spider with its arguments (-a) and settings (-s)."""
        setting = [f"{name}={value}" for name, value in settings.items()]
        answer = self.call("schedule.json", project=PROJECT, spider=spider, setting=setting, **arguments)
        return Job(self, spider, answer["jobid"])

    def spiders(self) -> list[str]:
        """The project's spiders: Scrapyd runs `scrapy list` the first time, and remembers them."""
        return self.call("listspiders.json", {"project": PROJECT})["spiders"]

    def jobs(self) -> dict[str, list[dict]]:
        """Scrapyd's pending, running and finished jobs."""
        answer = self.call("listjobs.json")
        return {state: answer[state] for state in ("pending", "running", "finished")}

    def cancel_jobs(self, timeout: float) -> None:
        """Take the pending jobs off the queue and stop the running ones (SIGTERM: a crawl closes its record)."""
        jobs = self.jobs()
        for job in jobs["pending"] + jobs["running"]:
            self.call("cancel.json", project=PROJECT, job=job["id"], signal="TERM")
        deadline = time.monotonic() + timeout
        while self.jobs()["running"] and time.monotonic() < deadline:
            time.sleep(0.2)

    def stop(self, timeout: float = 30) -> None:
        """Cancel the jobs, stop Scrapyd, and end whatever is left of its process group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                self.cancel_jobs(timeout)
            except OSError:  # Scrapyd no longer answers: its process group is ended below all the same
                pass
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def __enter__(self) -> ScrapydNode:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass(frozen=True)
class Job:
    node: ScrapydNode
    spider: str
    id: str

    def log(self) -> str:
        """The job's Scrapy log, as Scrapyd keeps it in the node's logs_dir."""
        path = self.node.logs_dir / PROJECT / self.spider / f"{self.id}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else f"(no log at {path})"


def wait_for_jobs(jobs: list[Job], timeout: float) -> list[dict]:
    """Wait until every job is among its node's finished jobs; their listjobs entries, in order. TimeoutError, with
    the end of the unfinished jobs' logs, when they take longer."""
    nodes = {job.node.url: job.node for job in jobs}
    deadline = time.monotonic() + timeout
    while True:
        finished = {(url, entry["id"]): entry for url, node in nodes.items() for entry in node.jobs()["finished"]}
        if all((job.node.url, job.id) in finished for job in jobs):
            return [finished[(job.node.url, job.id)] for job in jobs]
        if time.monotonic() > deadline:
            unfinished = [job for job in jobs if (job.node.url, job.id) not in finished]
            raise TimeoutError("jobs not finished in time:\n" + logs_of(unfinished))
        time.sleep(0.5)


def logs_of(jobs: list[Job], tail: int = 4000) -> str:
    """The end of each job's log, to show why a test failed."""
    return "\n".join(f"--- {job.node.url} job {job.id} ({job.spider}) ---\n{job.log()[-tail:]}" for job in jobs)
