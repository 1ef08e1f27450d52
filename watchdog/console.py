"""What the `watchdog` command says: how much it logs, and one line instead of a traceback when something fails."""

from __future__ import annotations

import logging
import re
import sys
import traceback
from dataclasses import dataclass

import click
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, ProgrammingError

QUIET, NORMAL, VERBOSE = logging.WARNING, logging.INFO, logging.DEBUG
EXIT_OK, EXIT_WORK_FAILED, EXIT_CANNOT_START, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
# Loggers that tell a developer, not an operator, what happened: shown with -v only.
CHATTY_LOGGERS = (
    "alembic",
    "scrapy.middleware",
    "scrapy.crawler",
    "scrapy.utils.log",
    "scrapy.addons",
    "scrapy.extensions.telnet",
    "scrapy.statscollectors",
    "trafilatura",
    "htmldate",
)


@dataclass
class Verbosity:
    level: int = NORMAL

    @property
    def verbose(self) -> bool:
        return self.level <= VERBOSE

    @property
    def quiet(self) -> bool:
        return self.level >= QUIET


verbosity = Verbosity()


def counted(number: int, thing: str) -> str:
    """A count and its noun, plural unless one: "1 error", "1,200 items"."""
    return f"{number:,} {thing}{'' if number == 1 else 's'}"


CELL_WIDTH = 60  # characters of a table cell on a terminal


def table_cell_width(wanted: int | None = None) -> int:
    """How wide a table's cells may be: as wanted, else CELL_WIDTH on a terminal, else whole (0)."""
    if wanted is not None:
        return wanted
    return CELL_WIDTH if sys.stdout.isatty() else 0


class CannotStart(Exception):
    """Nothing was done, and what to do about it: a database to make or upgrade, a setting to fix (exit status 2)."""


def quiet_chatty_loggers(level: int) -> None:
    """Developers' loggers at WARNING unless -v asked for everything."""
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if level <= VERBOSE else logging.WARNING)


class StandardErrorHandler(logging.StreamHandler):
    """Log lines to whatever sys.stderr is when they are written (a test's capture, a progress bar's redirect)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _stream) -> None:
        """The stream is always the current sys.stderr."""


def configure_logging() -> None:
    """Log lines to standard error at the chosen level, with time and level; developers' chatter only with -v."""
    root = logging.getLogger()
    if not any(isinstance(handler, StandardErrorHandler) for handler in root.handlers):
        root.addHandler(StandardErrorHandler())
    root.setLevel(verbosity.level)
    quiet_chatty_loggers(verbosity.level)


def hand_logging_to_scrapy() -> None:
    """Take our handler off: a crawl's log lines go through the handler Scrapy installs, at scrapy_log_settings()."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, StandardErrorHandler)]:
        root.removeHandler(handler)


def scrapy_log_settings() -> dict[str, object]:
    """The Scrapy settings that log as the command was asked to: INFO by default, items and stats only with -v."""
    return {
        "LOG_LEVEL": logging.getLevelName(verbosity.level),
        "LOG_FORMAT": "%(asctime)s %(levelname)s %(message)s",
        "LOG_DATEFORMAT": "%Y-%m-%d %H:%M:%S",
        "STATS_DUMP": verbosity.verbose,
        "WATCHDOG_PROGRESS_DISPLAY": not verbosity.quiet,
        **({} if verbosity.verbose else {"LOG_VERSIONS": []}),
    }


def verbosity_flags() -> list[str]:
    """-q or -v as this command was given them, for a command it runs in turn."""
    return ["-q"] if verbosity.quiet else ["-v"] if verbosity.verbose else []


def set_verbosity(level: int):
    def callback(context: click.Context, _parameter: click.Parameter, wanted: bool) -> None:
        if wanted:
            verbosity.level = level
            configure_logging()

    return callback


def verbosity_option(flags: list[str], level: int, help_text: str) -> click.Option:
    return click.Option(
        flags, is_flag=True, expose_value=False, is_eager=True, callback=set_verbosity(level), help=help_text
    )


def verbosity_options() -> list[click.Option]:
    """-q/--quiet and -v/--verbose, for every command."""
    return [
        verbosity_option(["-q", "--quiet"], QUIET, "Say only what went wrong: warnings, errors and the summary."),
        verbosity_option(
            ["-v", "--verbose"], VERBOSE, "Say everything: debug lines, each item, library chatter, and tracebacks."
        ),
    ]


def first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def database_message(error: DBAPIError) -> tuple[str, int]:
    """What a database error means to the person who typed the command, and the exit status."""
    reason = first_line(error)
    lowered = reason.lower()
    if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
        return (
            f"the database has no watchdog tables, or older ones ({reason}): run `watchdog db upgrade`",
            EXIT_CANNOT_START,
        )
    missing = re.search(r'database "([^"]+)" does not exist', reason)
    if missing:
        name = missing.group(1)
        return (
            f'the database "{name}" does not exist: create it (`createdb {name}`), then run `watchdog db upgrade`',
            EXIT_CANNOT_START,
        )
    if "unable to open database file" in lowered:
        return (
            "cannot open the SQLite file: its folder does not exist or cannot be written; check --db",
            EXIT_CANNOT_START,
        )
    if "password authentication failed" in lowered or ("role" in lowered and "does not exist" in lowered):
        return f"the database refused the login ({reason}): check the user and password in --db", EXIT_CANNOT_START
    if "connection refused" in lowered or "could not connect" in lowered or "connection failed" in lowered:
        return (
            f"cannot connect to the database ({reason}): is the server running, and is --db right?",
            EXIT_CANNOT_START,
        )
    if "database is locked" in lowered:
        return (
            "the SQLite file is locked by another program's write: close its transaction and try again",
            EXIT_WORK_FAILED,
        )
    if isinstance(error, ProgrammingError):
        return f"the database refused: {reason}", EXIT_WORK_FAILED
    return f"database error: {reason}", EXIT_WORK_FAILED


def explain(error: BaseException) -> tuple[str, int]:
    """One line saying what is wrong and what to do, and the exit status, for an error no command caught."""
    if isinstance(error, CannotStart):
        return str(error), EXIT_CANNOT_START
    if isinstance(getattr(error, "exit_status", None), int):  # a query stopped by its time limit or a signal
        return str(error), error.exit_status
    if isinstance(error, NoSuchModuleError | ImportError) and "psycopg" in str(error):
        return "PostgreSQL needs its driver: pip install 'contract-watchdog[postgres]'", EXIT_CANNOT_START
    if isinstance(error, ArgumentError):
        return f"the database URL cannot be read ({first_line(error)}): e.g. sqlite:///watchdog.db", EXIT_CANNOT_START
    if isinstance(error, DBAPIError):
        return database_message(error)
    if isinstance(error, OSError):
        return f"{error.strerror or first_line(error)}: {error.filename or ''}".rstrip(": "), EXIT_WORK_FAILED
    return f"unexpected {type(error).__name__}: {first_line(error)} (run again with -v to see where)", EXIT_WORK_FAILED


def has_verbosity_options(command: click.Command) -> bool:
    return any("--quiet" in parameter.opts for parameter in command.params)


class WatchdogGroup(click.Group):
    """A command group whose commands take -q and -v and end with one line, not a traceback, on any error (the
    traceback with -v); its subgroups are of its kind."""

    group_class = type

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(verbosity_options())

    def main(self, *args, **kwargs):
        verbosity.level = NORMAL
        return super().main(*args, **kwargs)

    def add_command(self, command: click.Command, name: str | None = None) -> None:
        if not has_verbosity_options(command):
            command.params.extend(verbosity_options())
        super().add_command(command, name)

    def invoke(self, context: click.Context):
        try:
            return super().invoke(context)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as error:
            if verbosity.verbose:
                traceback.print_exc()
            message, status = explain(error)
            click.echo(f"Error: {message}", err=True)
            sys.exit(status)
