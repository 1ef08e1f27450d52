"""contract-watchdog: what public bodies paid a supplier, and what went wrong when it delivered."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"  # the files the package ships: feeds, groups, the schedule, exchange rates
