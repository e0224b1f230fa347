"""The `cli` fixture of the export tests: `pipeline.main` in-process with its own warehouse and dlt folder.

These warehouses hold no account loaded from the API, so every import names its owner (`--user-id`), as a user
importing before the first run must; `test_import_command` checks the refusal without it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import pipeline

ROOT = Path(pipeline.__file__).resolve().parent
EXPORT_OWNER = "export-test-user"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Any]:
    """Runs `pipeline.main([...])` with its own warehouse and dlt folder; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("SPOTIFY_DUCKDB", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("SPOTIFY_PIPELINES_DIR", str(tmp_path / "dlt"))
    monkeypatch.setenv("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    monkeypatch.delenv("SPOTIFY_DESTINATION", raising=False)
    monkeypatch.chdir(ROOT)  # main() moves there; this puts the test's cwd back afterwards

    def run(*args: str) -> tuple[int, str, str]:
        arguments = list(args)
        if arguments[:1] == ["import-export"] and "--user-id" not in arguments:
            arguments += ["--user-id", EXPORT_OWNER]
        code = pipeline.main(arguments)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
