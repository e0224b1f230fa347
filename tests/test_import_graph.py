"""The project's shape, read from its own source: imports run downhill from the command line, without cycles, and
no module grows past what a person reads in one go (DESIGN.md, Boundaries; issue 16).

    pipeline.py ─▶ spotify_pipeline ─▶ spotify_source
                        └─ demo ─▶ spotify_emulator        dashboard: none of them
    (two listed exceptions: pipeline.py's `wrapped` command, and Data health's cost report)

Read with `ast`, imports inside functions included (they run too, only later), so nothing is imported to check it.
"""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("pipeline", "spotify_pipeline", "spotify_source", "spotify_emulator", "dashboard")

ALLOWED = {
    "pipeline": {"spotify_pipeline", "spotify_source"},
    "spotify_pipeline": {"spotify_source", "spotify_emulator"},
    "spotify_source": set(),
    "spotify_emulator": set(),  # the ground truth shares no code with what it checks
    "dashboard": set(),
}
"""Which parts each part may import: downhill only."""

EMULATOR_USERS = {"spotify_pipeline.demo"}
"""The only module of spotify_pipeline that may start the emulator (`demo`); runs against Spotify never need it."""

DASHBOARD_ALLOWED = {("dashboard", "spotify_pipeline.costs")}
"""The one import the dashboard makes of the pipeline's package: Data health's "Storage and cost" shows the same
report as `python pipeline.py costs` (sizes from the warehouse's metadata, all three datasets: the bill covers raw
and staging too). It reads no rows outside the marts. Listed so the check is exact: any other import fails it."""

COMMAND_LINE_DASHBOARD = {("pipeline", "dashboard.wrapped_command")}
"""The one import the command line makes of the dashboard: `python pipeline.py wrapped` prints the Wrapped page's
recap (dashboard/recap.py over the page's statements), so the command and the page cannot disagree."""

MAX_LINES = 500
MAX_LINES_COMMAND_LINE = 250
def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_files() -> list[Path]:
    files = [ROOT / "pipeline.py"]
    for package in PARTS[1:]:
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def imported_modules(path: Path, known: set[str]) -> Iterator[str]:
    """The project's modules `path` imports, at any depth of its code. As import-linter counts them: `from package
    import module` imports the module, `from module import name` the module (not the packages above it)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base


def graph() -> dict[str, set[str]]:
    """Module → the project's modules it imports."""
    modules = {module_name(path): path for path in project_files()}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = imported_modules(path, set(modules))
        edges[name] = {target for target in found if target in modules and target != name}
    return edges


def part(module: str) -> str:
    return module.split(".")[0]


def test_the_graph_reads_the_project() -> None:
    """Guards the checks below against reading nothing: the known downhill edges are found."""
    edges = graph()
    assert "spotify_pipeline.settings" in edges["pipeline"]
    assert "spotify_source.errors" in edges["spotify_pipeline.loading"]
    assert "spotify_emulator" in edges["spotify_pipeline.demo"]


def test_parts_import_only_downhill() -> None:
    uphill = sorted(
        (module, target)
        for module, targets in graph().items()
        for target in targets
        if part(target) != part(module)
        and part(target) not in ALLOWED[part(module)]
        and (part(module), target) not in DASHBOARD_ALLOWED | COMMAND_LINE_DASHBOARD
    )
    assert not uphill, uphill


def test_only_the_demo_uses_the_emulator() -> None:
    users = {
        module
        for module, targets in graph().items()
        if part(module) == "spotify_pipeline" and any(part(target) == "spotify_emulator" for target in targets)
    }
    assert users == EMULATOR_USERS


def test_the_import_graph_has_no_cycles() -> None:
    """Also within a part: a cycle means neither module can be read, or changed, without the other."""
    edges = graph()
    cycles: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(edges[module]):
            if state.get(target) == "open":
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert not cycles, [" → ".join(cycle) for cycle in cycles]


def source_files() -> list[Path]:
    """Every Python file of the project outside tests/ (benchmarks included) that git tracks: installed venvs, the
    BigQuery emulator's among them, are not the project's."""
    listed = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    return sorted(ROOT / name for name in listed.stdout.split() if not name.startswith("tests/"))


def test_the_command_line_is_thin() -> None:
    lines = len((ROOT / "pipeline.py").read_text().splitlines())
    assert lines <= MAX_LINES_COMMAND_LINE, f"pipeline.py has {lines} lines"


def test_no_other_module_is_oversized() -> None:
    oversized = {
        str(path.relative_to(ROOT)): lines
        for path in source_files()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not oversized, oversized
