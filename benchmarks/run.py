"""Run every benchmark, print one Markdown table, and write it with the machine and date to benchmarks/RESULTS.md.

    python benchmarks/run.py                      # full sizes, a few minutes on 2 cores
    python benchmarks/run.py --quick --out /tmp/benchmarks.md   # small sizes (what CI runs)

Each benchmark is a module of this folder with `run(quick: bool) -> list[Row]` (or dicts with Row's keys); each runs
in a fresh Python process, so one's imports and memory never colour another's figures. A module listed as optional
that is not there yet is skipped and named. Targets are reported, not asserted: this exits non-zero only when a
benchmark fails to run. The hand-written analysis of missed targets in the output file (everything from the
ANALYSIS heading on) is kept when the file is regenerated.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)  # import benchmarks.<name>; this folder itself must not shadow installed packages
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.pipeline_run import SCRATCH_ENV  # noqa: E402
from benchmarks.rows import Row, missed, render_table  # noqa: E402

BENCHMARKS: tuple[tuple[str, bool], ...] = (
    ("request_counts", True),
    ("latency", True),
    ("growth", True),
    ("load_format", True),
    ("big_library", True),
    ("export_import", False),
    ("dbt_build", False),
    ("dashboard_render", False),
)
"""(module in benchmarks/, required): optional ones are run when their module exists."""
ANALYSIS = "## Missed targets: why, and what would close them"
BOUNDS = """How the bounds are made (all measured or derived in the same run, none written by hand):

- *minimum* (requests): from the emulator's ground truth (`tests/expectations.py`): pages of 50, id
  batches of 50 artists / 100 audio features, only what the configured limits of `.dlt/config.toml` let a run read
  (20 playlists, 100 entries each, top lists of 20), only playlists the tier may read, and in the development tier
  at most `artist_request_budget` single artist calls per run (the rest are *owed* to the next runs).
- *cheapest checks*: what a run must ask to learn that nothing changed: `/me`, the playlist list (its
  `snapshot_id`s), one page of plays after the cursor, one page of liked songs, and the six top lists (they have
  no change marker and are kept as a daily snapshot).
- *naive client*: `benchmarks/naive_client.py`, the old design (every playlist and page, all artists and audio
  features, every run), against the same emulator.
- *requests × latency*: what a sequential client waits; *growth*: each cost's factor ÷ the factor of rows landed.
- Every pipeline run is a fresh process (`benchmarks/pipeline_run.py`); its peak memory is its `ru_maxrss`."""
PACKAGES = ("dlt", "duckdb", "dbt-core", "dbt-duckdb", "streamlit", "pyarrow")


def machine() -> dict[str, str]:
    """What the figures were measured on; the load average says how busy the shared machine was."""
    model = "unknown"
    memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
                break
    except OSError:
        pass
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} not installed")
    return {
        "CPUs": str(os.cpu_count()),
        "CPU model": model,
        "RAM": memory,
        "Python": platform.python_version(),
        "packages": ", ".join(versions),
        "load average (1, 5, 15 min) at start": ", ".join(f"{v:.2f}" for v in os.getloadavg()),
    }


def available(name: str) -> bool:
    return importlib.util.find_spec(f"benchmarks.{name}") is not None


def run_child(name: str, quick: bool, rows_out: Path) -> None:
    """In the child process: run one benchmark and write its rows as JSON."""
    module = importlib.import_module(f"benchmarks.{name}")
    rows = [Row.from_any(row).as_dict() for row in module.run(quick)]
    rows_out.write_text(json.dumps(rows))


def run_benchmark(name: str, quick: bool) -> tuple[list[Row], str | None, float]:
    """Run one benchmark in a fresh process: its rows, the error if it failed, and its seconds."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="benchmark-") as scratch:
        rows_out = Path(scratch) / "rows.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--rows-out", str(rows_out)]
        completed = subprocess.run([*command, *(["--quick"] if quick else [])], cwd=ROOT, capture_output=True,
                                   text=True, check=False)  # fmt: skip
        seconds = time.perf_counter() - started
        if completed.returncode != 0 or not rows_out.exists():
            return [], (completed.stderr.strip() or completed.stdout.strip() or "no output"), seconds
        return [Row.from_any(row) for row in json.loads(rows_out.read_text())], None, seconds


def render_report(rows: list[Row], info: dict[str, str], notes: list[str], quick: bool, analysis: str) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python benchmarks/run.py{' --quick' if quick else ''}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; figures, not assertions. Each ratio is measured ÷ bound (or "
        "baseline), both measured in the same run; *met?* compares the ratio with the target.",
        "",
        *(f"- {key}: {value}" for key, value in info.items()),
        "",
        render_table(rows),
        "",
        BOUNDS,
        "",
    ]
    if notes:
        lines += ["Not run:", "", *(f"- {note}" for note in notes), ""]
    failed = missed(rows)
    lines += ["Targets missed in this run: " + ("none" if not failed else "; ".join(r.metric for r in failed)), ""]
    if analysis:
        lines += [analysis.rstrip(), ""]
    return "\n".join(lines)


def kept_analysis(path: Path) -> str:
    """The hand-written analysis section of an earlier report at `path`, if any."""
    if not path.exists():
        return ""
    text = path.read_text()
    start = text.find(ANALYSIS)
    return text[start:] if start >= 0 else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI (about a minute)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md", help="report to write")
    parser.add_argument("--only", action="append", help="run only this benchmark (repeatable)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--rows-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_child(args.child, args.quick, args.rows_out)
        return 0

    info = machine()
    with tempfile.TemporaryDirectory(prefix="benchmarks-shared-") as shared:
        os.environ[SCRATCH_ENV] = shared
        rows, notes, errors = run_all(args.quick, args.only)
    info["load average (1, 5, 15 min) at the end"] = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(render_table(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_report(rows, info, notes, args.quick, kept_analysis(args.out)))
    print(f"\nwritten to {args.out}", file=sys.stderr)
    return 1 if errors else 0


def run_all(quick: bool, only: list[str] | None) -> tuple[list[Row], list[str], int]:
    """Every benchmark (or those in `only`) in order: the rows, notes on those not run, and how many failed."""
    rows: list[Row] = []
    notes: list[str] = []
    errors = 0
    for name, required in BENCHMARKS:
        if only and name not in only:
            continue
        if not available(name):
            if required:
                raise SystemExit(f"benchmarks/{name}.py is missing")
            notes.append(f"`benchmarks/{name}.py` is not there yet")
            continue
        print(f"running {name} ...", end="", flush=True, file=sys.stderr)
        found, error, seconds = run_benchmark(name, quick)
        print(f" {seconds:.0f} s", file=sys.stderr)
        if error is not None:
            errors += 1
            last = error.strip().splitlines()[-1]
            rows.append(Row(name, "the benchmark failed", None, note=last))
            print(f"{name} failed:\n{error}", file=sys.stderr)
        rows.extend(found)
    return rows, notes, errors


if __name__ == "__main__":
    sys.exit(main())
