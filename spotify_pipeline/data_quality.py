"""What the dbt tests with `severity: warn` found, told as a person reads it at the end of a run.

Tests of values Spotify controls (its vocabularies and ranges, fields it may omit) warn instead of failing the
build, so a run with an unexpected value still exits 0. A warning only helps if someone sees it: dbt's on-run-end
hook (`dbt_project/macros/data_quality_warnings.sql`) writes each one to `spotify.data_quality_warnings` for the
dashboard and logs it as a line `data_quality_warning {json}`; `WarningCollector` picks those lines up from the
in-process dbt runner's events, so the summary needs no second trip to the warehouse (DuckDB or BigQuery alike).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

PREFIX = "data_quality_warning "
# What one row of a model is, for "Spotify sent 2 tracks ..." instead of "2 rows of tracks".
NOUNS = {
    "tracks": "tracks", "artists": "artists", "playlists": "playlists", "users": "accounts",
    "recently_played": "plays", "listening_history": "plays", "track_audio_features": "tracks' audio features",
}  # fmt: skip


@dataclass(frozen=True)
class DataQualityWarning:
    """One warned test: a row of `spotify.data_quality_warnings`."""

    test_name: str
    test_type: str
    model_name: str
    column_name: str
    failing_rows: int
    expected: str
    example_values: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, text: str) -> DataQualityWarning:
        data = json.loads(text)
        return cls(
            test_name=str(data.get("test_name") or ""),
            test_type=str(data.get("test_type") or ""),
            model_name=str(data.get("model_name") or ""),
            column_name=str(data.get("column_name") or ""),
            failing_rows=int(data.get("failing_rows") or 0),
            expected=str(data.get("expected") or ""),
            example_values=tuple(str(value) for value in data.get("example_values") or ()),
        )

    def sentence(self) -> str:
        """E.g. "Spotify sent 6 plays with context_type not one of playlist, album: mix (6 rows)"."""
        rows = f"{self.failing_rows} {NOUNS.get(self.model_name, f'rows of {self.model_name}')}"
        examples = ", ".join(self.example_values)
        if self.test_type == "not_null":
            what = f"Spotify sent {rows} without {self.column_name}"
            return f"{what} (e.g. {examples})" if examples else what
        if self.test_type in ("accepted_values", "accepted_range"):
            what = f"Spotify sent {rows} with {self.column_name} not {self.expected}"
            return f"{what}: {examples}" if examples else what
        return f"{rows} failed the check {self.test_type} on {self.model_name}.{self.column_name}"


def _event_text(event: Any) -> str | None:
    """The message of a dbt log event from a macro's `log()`, or None for any other event."""
    info = getattr(event, "info", None)
    if getattr(info, "name", "") not in ("JinjaLogDebug", "JinjaLogInfo"):
        return None
    return getattr(getattr(event, "data", None), "msg", None)


@dataclass
class WarningCollector:
    """A dbtRunner callback that keeps the warnings the on-run-end hook logs."""

    warnings: list[DataQualityWarning] = field(default_factory=list)

    def __call__(self, event: Any) -> None:
        text = _event_text(event)
        if text and text.startswith(PREFIX):
            # A malformed line is the hook's bug, not a reason to fail the run; the table still holds the warning.
            with contextlib.suppress(ValueError, TypeError):
                self.warnings.append(DataQualityWarning.from_json(text[len(PREFIX) :]))


def summary_lines(warnings: list[DataQualityWarning], succeeded: bool = True) -> list[str]:
    """What the run prints after dbt: one line per warned test, or nothing when no test warned."""
    outcome = "the rows are kept, dbt build still succeeded" if succeeded else "the rows are kept"
    lines = [f"Warning: {warning.sentence()} (test {warning.test_name}; {outcome})" for warning in warnings]
    if lines:
        lines.append(
            "  Spotify sent values the warehouse's tests did not expect; the Data health page lists them "
            "(table spotify.data_quality_warnings)."
        )
    return lines
