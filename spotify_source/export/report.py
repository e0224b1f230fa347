"""The import's summary for people: what was read per kind and how many rows the warehouse gained.

"New" is measured in the warehouse (rows of `export_streams` per kind before and after the load), so it is the
truth after the merge: a re-import shows 0 new, an overlapping newer export only what it added.
"""

from __future__ import annotations

from typing import Any

from spotify_source.export import ImportReport


def rows_by_kind(pipeline: Any) -> dict[str, int]:
    """Rows of spotify_raw.export_streams per export_kind; empty before the first import."""
    try:
        with pipeline.sql_client() as client:
            if not client.has_dataset():
                return {}
            table = client.make_qualified_table_name("export_streams")  # BigQuery emulators need it qualified
            return dict(client.execute_sql(f"select export_kind, count(*) from {table} group by export_kind"))
    except Exception:  # no pipeline state, dataset or table yet: nothing imported so far
        return {}


def summary_lines(report: ImportReport, before: dict[str, int], after: dict[str, int]) -> list[str]:
    lines = [f"Read {report.files} file(s), {report.rows:,} plays from {report.source_name}:"]
    for kind, read in sorted(report.kinds.items()):
        first = f"{read.first_ended_at:%Y-%m-%d}" if read.first_ended_at else "-"
        last = f"{read.last_ended_at:%Y-%m-%d}" if read.last_ended_at else "-"
        new = after.get(kind, 0) - before.get(kind, 0)
        lines.append(
            f"  {kind:9} {read.files:>4} file(s) {read.rows:>10,} plays  {first} .. {last}  new rows: {new:,}"
        )
    total_before, total_after = sum(before.values()), sum(after.values())
    lines.append(f"Rows in spotify_raw.export_streams: {total_after:,} (+{total_after - total_before:,})")
    return lines
