"""Every malformed input of the corpus (bad_inputs.py) is refused clearly and loads nothing.

Driven through `pipeline.main([...])` in-process, as a user's command line would be. For each input: the exit code
(2 for bad exports and settings, 1 for an answer Spotify should not have sent), an error naming the input (the
file, the setting, the endpoint and field) and no partial load: every table of `spotify_raw` (dlt's state and
version tables included) keeps its row count and checksum, dlt's local state is unchanged and no load package is
left pending to ride along with the next run. Nothing is excluded from the comparison: a refused run changes no row.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

import pipeline
from spotify_emulator import EmulatorServer
from tests import cli_harness
from tests.export.rows import ACCOUNT, EXTENDED, extended_row, write_folder
from tests.reliability.bad_inputs import API_CASES, CONFIG_CASES, EXPORT_CASES, ApiCase, ExportCase
from tests.reliability.warehouse_state import fingerprint

pytestmark = pytest.mark.reliability
ROOT = Path(pipeline.__file__).resolve().parent


def local_state(pipelines: Path, name: str) -> tuple[dict[str, Any], bool]:
    """dlt's local pipeline state (without its `_local` run bookkeeping) and whether packages are pending."""
    state = json.loads((pipelines / name / "state.json").read_text())
    state.pop("_local", None)
    pending = dlt.pipeline(pipeline_name=name, pipelines_dir=str(pipelines)).has_pending_data
    return state, pending


class Workspace:
    """A warehouse and a dlt folder of its own, with the env `pipeline.main` reads; cloned from a baseline."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
        self.root = root
        self.monkeypatch = monkeypatch
        monkeypatch.setenv("SPOTIFY_DUCKDB", str(root / "warehouse.duckdb"))
        monkeypatch.setenv("SPOTIFY_PIPELINES_DIR", str(root / "dlt"))
        monkeypatch.setenv("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
        monkeypatch.delenv("SPOTIFY_DESTINATION", raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(ROOT)

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    def clone(self, target: Path) -> None:
        shutil.copytree(self.root, target)


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = pipeline.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- exports ---

IMPORT_OPTIONS = ("--no-transform", "--user-id", "export-owner")


@pytest.fixture(scope="module")
def export_baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse holding one good import: what every bad import must leave exactly as it is."""
    root = tmp_path_factory.mktemp("export-baseline")
    first = {f"{EXTENDED}/Streaming_History_Audio_2010.json": [extended_row("2024", "2010-01-01T00:00:00Z")],
             f"{ACCOUNT}/StreamingHistory_music_0.json": [
                 {"endTime": "2011-01-01 00:00", "artistName": "A", "trackName": "T", "msPlayed": 5}]}  # fmt: skip
    with pytest.MonkeyPatch.context() as monkeypatch:
        Workspace(root / "ws", monkeypatch, {})
        assert pipeline.main(["import-export", str(write_folder(root / "first", first)), *IMPORT_OPTIONS]) == 0
    return root / "ws"


@pytest.mark.parametrize("case", EXPORT_CASES, ids=lambda c: c.name)
def test_bad_export_is_refused_naming_the_file_and_loads_nothing(
    case: ExportCase, export_baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    shutil.copytree(export_baseline, tmp_path / "ws")
    workspace = Workspace(tmp_path / "ws", monkeypatch, {})
    before, state_before = fingerprint(workspace.warehouse), local_state(tmp_path / "ws" / "dlt", "spotify_export")
    (tmp_path / "input").mkdir()
    path = case.build(tmp_path / "input")

    code, _, err = run_main(capsys, "import-export", str(path), *IMPORT_OPTIONS)

    assert code == 2, err
    assert case.named in err and case.reason in err, err
    assert "nothing of this export was loaded" in err and "Traceback" not in err
    assert fingerprint(workspace.warehouse) == before
    assert local_state(tmp_path / "ws" / "dlt", "spotify_export") == state_before


# --- settings ---


def test_bad_settings_are_refused_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, start_emulator: Callable[..., EmulatorServer]
) -> None:
    """Each bad setting, alone, on top of good ones: exit 2, the setting named, the emulator never asked."""
    server = start_emulator(seed=3)
    tokens = server.login()
    good = emulator_env(server, tokens["refresh_token"], tmp_path / "cache.json")
    failures = []
    for case in CONFIG_CASES:
        with monkeypatch.context() as patch:
            Workspace(tmp_path / case.name.replace(" ", "-"), patch, {**good, **case.env})
            code, _, err = run_main(capsys, "run", "--no-transform")
        if not (code == 2 and case.key in err and case.reason in err and "Traceback" not in err):
            failures.append((case.name, code, err))
    assert not failures, failures
    assert _api_requests(server) == 0
    for case in CONFIG_CASES:  # the pipeline may open (create) the DuckDB file; nothing lands in it
        path = tmp_path / case.name.replace(" ", "-") / "warehouse.duckdb"
        assert not path.exists() or fingerprint(path) == {}, case.name


# --- corrupted answers ---


def emulator_env(server: EmulatorServer, refresh_token: str, cache: Path) -> dict[str, str]:
    """The user's settings for the emulator, with 429 waits cut short (a refused answer is what is tested)."""
    return cli_harness.emulator_env(server, refresh_token, cache, SOURCES__SPOTIFY__MAX_RETRY_AFTER_SECONDS="5")


ENRICHMENT_ENDPOINTS = {"GET /v1/artists", "GET /v1/audio-features"}
"""Asked in the run's second load stage (spotify_source.load_stages), after the facts are loaded."""
ENRICHMENT_TABLES = ("audio_features", "extraction_runs", "tracks_without_audio_features")
"""What only the second stage writes (`artists` gets rows from top artists in the first stage too)."""


def _api_requests(server: EmulatorServer) -> int:
    stats = server.control("GET", "stats")["by_endpoint"]
    return sum(n for endpoint, by in stats.items() if " /v1/" in endpoint for n in by.values())


# A first run that reads little, so the disturbed run (default limits) has new playlists, tracks, artists and
# features to fetch before and after the corrupted endpoint: there is something it could wrongly half-load.
SMALL_FIRST_RUN = {"SOURCES__SPOTIFY__MAX_PLAYLISTS": "1", "SOURCES__SPOTIFY__MAX_TRACKS_PER_PLAYLIST": "5",
                   "SOURCES__SPOTIFY__TOP_LIMIT": "2"}  # fmt: skip


@pytest.fixture(scope="module")
def api_baseline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmulatorServer, Path, dict[str, str]]]:
    """An emulator whose refresh tokens do not rotate (every clone reuses the cache) and a warehouse after a run."""
    root = tmp_path_factory.mktemp("api-baseline")
    with EmulatorServer(profile="small", seed=11) as server:
        server.control("POST", "settings", {"refresh_rotation": "never"})
        env = emulator_env(server, server.login()["refresh_token"], root / "ws" / "cache.json")
        with pytest.MonkeyPatch.context() as monkeypatch:
            Workspace(root / "ws", monkeypatch, {**env, **SMALL_FIRST_RUN})
            assert pipeline.main(["run", "--no-transform"]) == 0
        yield server, root / "ws", env


@pytest.mark.parametrize("case", API_CASES, ids=lambda c: c.name)
def test_corrupt_answer_is_refused_naming_the_endpoint_and_loads_nothing_of_its_stage(
    case: ApiCase, api_baseline: tuple[EmulatorServer, Path, dict[str, str]], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: Any,
) -> None:  # fmt: skip
    server, baseline, env = api_baseline
    shutil.copytree(baseline, tmp_path / "ws")
    extra = {f"SOURCES__SPOTIFY__{k.upper()}": str(v) for k, v in case.extra.items()}
    workspace = Workspace(tmp_path / "ws", monkeypatch, {**env, **extra,
                          "SOURCES__SPOTIFY__TOKEN_CACHE_PATH": str(tmp_path / "ws" / "cache.json")})  # fmt: skip
    before, state_before = fingerprint(workspace.warehouse), local_state(tmp_path / "ws" / "dlt", "spotify")
    server.control("POST", "stats/reset")
    server.control("POST", "plays", {"count": 3})  # new plays, so a corrupted play page has plays to corrupt
    server.control("POST", "faults", {"corrupt_rate": 1.0, "corrupt_kind": case.kind, "corrupt_field": case.path,
                                      "corrupt_endpoints": [case.endpoint], "seed": 5})  # fmt: skip
    try:
        code, _, err = run_main(capsys, "run", "--no-transform")
    finally:
        server.control("POST", "faults", {"corrupt_rate": 0.0, "corrupt_endpoints": [], "corrupt_field": None})

    stats = server.control("GET", "stats")["by_endpoint"]
    assert case.endpoint in stats, f"the run never asked {case.endpoint}: the case tests nothing ({stats})"
    assert code == 1, err
    assert case.named in err and case.reason in err, err
    assert "Traceback" not in err
    after = fingerprint(workspace.warehouse)
    if case.endpoint in ENRICHMENT_ENDPOINTS:
        # The second load stage failed: the facts' load stays (and says so); nothing of the enrichment landed.
        assert "library and plays of this run were loaded" in err and "next run asks for them again" in err, err
        assert {t: after.get(t) for t in ENRICHMENT_TABLES} == {t: before.get(t) for t in ENRICHMENT_TABLES}
        assert after["recently_played"] != before["recently_played"], "the facts' stage was loaded"
    else:
        assert "Nothing of this run was loaded" in err, err
        assert after == before
        assert local_state(tmp_path / "ws" / "dlt", "spotify") == state_before


def test_after_a_corrupt_answer_the_next_run_loads_everything(
    api_baseline: tuple[EmulatorServer, Path, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:  # fmt: skip
    """A run refused at the last endpoint, then a clean run: it lands what a run never disturbed lands."""
    server, baseline, env = api_baseline
    results = {}
    for name, corrupt in (("disturbed", True), ("clean", False)):
        shutil.copytree(baseline, tmp_path / name)
        with monkeypatch.context() as patch:
            cache = {"SOURCES__SPOTIFY__TOKEN_CACHE_PATH": str(tmp_path / name / "cache.json")}
            workspace = Workspace(tmp_path / name, patch, {**env, **cache})
            if corrupt:
                server.control("POST", "faults", {"corrupt_rate": 1.0, "corrupt_kind": "html_200",
                                                  "corrupt_endpoints": ["GET /v1/audio-features"]})  # fmt: skip
                try:
                    assert run_main(capsys, "run", "--no-transform")[0] == 1
                finally:
                    server.control("POST", "faults", {"corrupt_rate": 0.0, "corrupt_endpoints": []})
            assert run_main(capsys, "run", "--no-transform")[0] == 0
            results[name] = _content(workspace.warehouse)
    assert results["disturbed"] == results["clean"]


def _content(warehouse: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every raw table's rows without the columns that differ between runs (extracted_at, dlt's load, row, parent
    and root ids, extraction_runs' run times and counters: a run after one stopped in its enrichment stage fetches
    fewer facts, as the stopped run loaded them) and without dlt's own tables."""
    skip = {"extracted_at", "_dlt_load_id", "_dlt_id", "_dlt_parent_id", "_dlt_root_id", "run_started_at",
            "run_finished_at",
            "count_api_requests"}  # fmt: skip
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = [t for (t,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'spotify_raw' "
            "and table_name not like '_dlt%' order by 1").fetchall()]  # fmt: skip
        content = {}
        for table in tables:
            columns = [c for (c,) in connection.execute(
                "select column_name from information_schema.columns where table_schema = 'spotify_raw' "
                "and table_name = ? order by ordinal_position", [table]).fetchall()
                if c not in skip and not (table == "extraction_runs" and c.startswith("count_"))]  # fmt: skip
            names = ", ".join(f'"{c}"' for c in columns)
            content[table] = connection.execute(f'select {names} from spotify_raw."{table}" order by all').fetchall()
        return content
