"""The package's folders are the stages a fact goes through, and they import one another in one direction only:
a folder may import the shared ground and the folders below it, never one above it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "watchdog"
# Bottom to top. The shared ground (items, console, normalise, the package's own constants) imports no folder;
# settings.py (Scrapy's project settings, named by scrapy.cfg) and __main__ stand at the top with the commands.
STAGES = ["database", "identity", "storage", "news", "sources", "web", "cli"]
SHARED_GROUND = {"items", "console", "normalise", "__init__"}
TOP = {"settings", "__main__"}


def part_of(module: str) -> str:
    """The folder (or shared module) a `watchdog.X...` module belongs to."""
    return module.split(".")[1] if "." in module else "__init__"


def rank(part: str) -> int:
    if part in SHARED_GROUND:
        return -1
    if part in TOP:
        return len(STAGES)
    return STAGES.index(part)


def package_member(name: str) -> str:
    is_module = (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()
    return f"watchdog.{name}" if is_module else "watchdog"


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every watchdog module the file imports, relative imports resolved."""
    package = module_name(path).split(".")[: -1 if path.name != "__init__.py" else None]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            if module == "watchdog":  # a module or folder of the package, else one of its own constants
                found += [(node.lineno, package_member(alias.name)) for alias in node.names]
            elif module.split(".")[0] == "watchdog":
                found.append((node.lineno, module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "watchdog"]
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(("watchdog", *(parts[:-1] if parts[-1] == "__init__" else parts)))


def test_every_module_is_in_a_stage_or_the_shared_ground():
    parts = {part_of(module_name(path)) for path in PACKAGE.rglob("*.py")}
    assert parts == set(STAGES) | SHARED_GROUND | TOP


def test_no_folder_imports_one_above_it():
    upward = [
        f"{path.relative_to(PACKAGE.parent)}:{line} ({part_of(module_name(path))}) imports {module} ({part_of(module)})"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, module in imports_of(path)
        if rank(part_of(module)) > rank(part_of(module_name(path)))
    ]
    assert upward == []


def test_the_rule_sees_an_upward_import(tmp_path, monkeypatch):
    """The check itself, on a storage module that imports a spider three ways."""
    folder = tmp_path / "watchdog" / "storage"
    folder.mkdir(parents=True)
    written = folder / "upward.py"
    written.write_text(
        "from watchdog.sources.spiders.base import WatchdogSpider\n"
        "from ..sources import ocds\n"
        "from . import store\n"
        "from watchdog import DATA_DIR\n"
    )
    monkeypatch.setattr(__import__(__name__), "PACKAGE", tmp_path / "watchdog")
    found = [(line, part_of(module)) for line, module in imports_of(written)]
    assert found == [(1, "sources"), (2, "sources"), (3, "storage"), (4, "__init__")]
    assert [line for line, part in found if rank(part) > rank("storage")] == [1, 2]
