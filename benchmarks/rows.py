"""One figure of a benchmark, as a row of the results table: measured, against a bound or a baseline, with a target.

Every benchmark module has `run(quick: bool) -> list[Row]` (plain dicts with the same keys are accepted too, so a
benchmark need not import this module). `run.py` renders the rows as one Markdown table. A row says whether its
target was met only from its own numbers: `ratio = measured / bound`, compared with `target_value` by `target_op`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

OPERATORS = {"=": "=", "<=": "≤", ">=": "≥"}
TOLERANCE = 1e-9
COLUMNS = ("benchmark", "metric", "measured", "bound / baseline", "ratio", "target", "met?", "note")


@dataclass
class Row:
    benchmark: str
    """The section: `requests`, `latency`, `growth`, `import`, `dbt`, `dashboard`."""
    metric: str
    measured: float | None
    bound: float | None = None
    """The bound (the least possible) or the baseline (what another way costs) measured in the same run."""
    unit: str = ""
    target_op: str | None = None
    """`=`, `<=` or `>=`: how `ratio` must compare with `target_value`; None for a figure without a target."""
    target_value: float | None = None
    bound_label: str = ""
    """What the bound is, e.g. `minimum` or `naive client`; shown beside its value."""
    note: str = ""

    @classmethod
    def from_any(cls, row: Row | dict[str, Any]) -> Row:
        if isinstance(row, Row):
            return row
        known = {f.name for f in fields(cls)}
        unknown = set(row) - known
        if unknown:
            raise ValueError(f"a benchmark row has unknown keys {sorted(unknown)}; known: {sorted(known)}")
        return cls(**row)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def ratio(self) -> float | None:
        if self.measured is None or self.bound is None:
            return None
        if self.bound == 0:
            return 1.0 if self.measured == 0 else math.inf
        return self.measured / self.bound

    @property
    def met(self) -> bool | None:
        """True or False against the target; None when the row has no target or could not be measured."""
        if self.target_op is None or self.target_value is None:
            return None
        ratio = self.ratio
        if ratio is None:
            return False if self.measured is None else None
        if self.target_op == "=":
            return abs(ratio - self.target_value) <= TOLERANCE
        if self.target_op == "<=":
            return ratio <= self.target_value + TOLERANCE
        if self.target_op == ">=":
            return ratio >= self.target_value - TOLERANCE
        raise ValueError(f"unknown target operator {self.target_op!r}; use one of {', '.join(OPERATORS)}")


def format_number(value: float | None, unit: str = "") -> str:
    """Whole numbers as such (with thousands separators), others to three significant digits."""
    if value is None:
        return "—"
    if math.isinf(value):
        return "∞"
    if float(value).is_integer() and abs(value) >= 1:
        text = f"{int(value):,}"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def render_cells(row: Row) -> list[str]:
    bound = format_number(row.bound, row.unit)
    if row.bound is not None and row.bound_label:
        bound = f"{bound} ({row.bound_label})"
    ratio = "—" if row.ratio is None else format_number(row.ratio)
    target = "—"
    if row.target_op is not None and row.target_value is not None:
        target = f"{OPERATORS.get(row.target_op, row.target_op)} {format_number(row.target_value)}"
    met = {True: "yes", False: "**no**", None: "—"}[row.met]
    measured = "not measured" if row.measured is None else format_number(row.measured, row.unit)
    return [row.benchmark, row.metric, measured, bound, ratio, target, met, row.note]


def render_table(rows: list[Row]) -> str:
    """The rows as one Markdown table (pipes inside cells escaped)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = [cell.replace("|", "\\|").replace("\n", " ") for cell in render_cells(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def missed(rows: list[Row]) -> list[Row]:
    return [row for row in rows if row.met is False]
