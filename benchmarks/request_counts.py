"""Requests: how many `/v1` requests the pipeline makes, against the fewest the library allows.

For each library and tier: a first run against the minimum (pages at maximum size, full batches, only entries
within the configured limits), a second run with nothing changed against the cheapest checks, and a run after one
playlist edit, 10 new plays, 2 un-likes and an unfollowed playlist against its own minimum; all bounds come from
the emulator's ground truth (`tests.expectations`), never from the pipeline. Then the naive client (the
old design) on the same library, first and second run, as the baseline. Counted by the emulator, per endpoint.

(Not named `requests.py`: a module of that name beside run.py would shadow the `requests` library.)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.naive_client import NaiveClient
from benchmarks.pipeline_run import configured_limits, run_pipeline
from benchmarks.rows import Row
from spotify_emulator import EmulatorServer
from tests.expectations import Expected, expected, incremental_minimum, minimum_requests

SEED = 1
NAIVE_NOTE = "baseline: every playlist and page, all artists and audio features, every run"


def api_requests(server: EmulatorServer) -> dict[str, int]:
    """Requests to `/v1` by endpoint template since the last stats reset, all statuses."""
    stats = server.control("GET", "stats")["by_endpoint"]
    return {name: sum(by.values()) for name, by in stats.items() if " /v1/" in name}


def difference(measured: dict[str, int], bound: dict[str, int]) -> str:
    """`GET /v1/me/top/{kind} +6` for every endpoint where the run and the bound differ."""
    parts = []
    for name in sorted(set(measured) | set(bound)):
        delta = measured.get(name, 0) - bound.get(name, 0)
        if delta:
            parts.append(f"{name.removeprefix('GET /v1')} {delta:+d}")
    return "; ".join(parts)


def _row(label: str, metric: str, measured: dict[str, int], bound: dict[str, int], bound_label: str) -> Row:
    return Row("requests", f"{label}: {metric}", sum(measured.values()), sum(bound.values()),
               target_op="=", target_value=1, bound_label=bound_label, note=difference(measured, bound))  # fmt: skip


def scenario(profile: str, mode: str) -> list[Row]:
    """First, unchanged and changed runs of the pipeline, then two naive runs, on one emulator."""
    development = mode == "development"
    limits = configured_limits()
    label = f"{profile}, {mode}"
    rows: list[Row] = []
    with EmulatorServer(profile=profile, mode=mode, seed=SEED) as server, tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        refresh_token = server.login()["refresh_token"]

        def measured_run() -> dict[str, int]:
            server.control("POST", "stats/reset")
            run_pipeline(server, workdir, refresh_token)
            return api_requests(server)

        before = expected(server.control("GET", "ground-truth"), development, limits)
        first = measured_run()
        rows.append(_row(label, "first run", first, minimum_requests(before, development, limits), "minimum"))
        owed = max(0, len(before.missing_artist_ids) - limits["artist_request_budget"]) if development else 0

        second = measured_run()
        bound = incremental_minimum(before, before, development, limits, owed)
        checks = "cheapest checks" + (" + owed artists" if owed else "")
        rows.append(_row(label, "second run, nothing changed", second, bound, checks))
        owed -= bound.get("GET /v1/artists/{id}", 0)

        after = _change_library(server, before, development, limits)
        third = measured_run()
        bound = incremental_minimum(before, after, development, limits, owed)
        rows.append(_row(label, "after 1 playlist edit + 10 plays + 2 un-likes + 1 unfollow", third, bound, "minimum"))

        naive = NaiveClient(server.api_url, server.login()["access_token"])
        for run_name, source_total in (("first run", sum(first.values())), ("second run", sum(second.values()))):
            server.control("POST", "stats/reset")
            naive.run()
            naive_total = sum(api_requests(server).values())
            rows.append(Row("requests", f"{label}: {run_name} vs naive client", source_total, naive_total,
                            bound_label="naive client", note=NAIVE_NOTE))  # fmt: skip
    return rows


def _change_library(server: EmulatorServer, before: Expected, development: bool, limits: dict[str, int]) -> Expected:
    """10 new plays, one edit (3 added, 2 removed) of the first own playlist the pipeline reads, 2 songs un-liked
    and one followed playlist unfollowed: the un-likes cost one read of the whole list, the rest nothing extra."""
    owner = server.control("GET", "ground-truth")["user"]["id"]
    own = next(p for p in before.readable if p["owner_id"] == owner)
    server.control("POST", "plays", {"count": 10})
    server.control("POST", "playlists/edit", {"playlist_id": own["id"], "add": 3, "remove": 2})
    server.control("POST", "saved-tracks/remove", {"count": 2})
    followed = next((p for p in before.playlists if p["owner_id"] != owner and not p["collaborative"]), None)
    if followed is not None:
        server.control("POST", "playlists/remove", {"playlist_id": followed["id"]})
    return expected(server.control("GET", "ground-truth"), development, limits)


def run(quick: bool) -> list[Row]:
    profiles = ("small",) if quick else ("reference", "large")
    rows: list[Row] = []
    for profile in profiles:
        for mode in ("extended", "development"):
            rows.extend(scenario(profile, mode))
    return rows
