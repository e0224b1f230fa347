"""The benchmark table's logic on synthetic rows: ratios, targets, rendering, and the report run.py writes.

No timings here: the benchmarks measure, they assert nothing; what must be right is how a row is judged and shown.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import run as run_module
from benchmarks.rows import Row, format_number, missed, render_table


def test_ratio_and_targets() -> None:
    assert Row("requests", "first run", 70, 70, target_op="=", target_value=1).met is True
    assert Row("requests", "second run", 11, 10, target_op="=", target_value=1).met is False
    latency = Row("latency", "extract", 2.0, 6.4, unit="s", target_op="<=", target_value=0.35)
    assert latency.ratio == pytest.approx(0.3125)
    assert latency.met is True
    assert Row("latency", "extract", 2.3, 6.4, target_op="<=", target_value=0.35).met is False
    assert Row("x", "at least", 3, 2, target_op=">=", target_value=1.5).met is True
    assert Row("growth", "time", 1.2, unit="s").met is None, "a figure without a bound has no target to meet"
    assert Row("x", "none needed", 0, 0, target_op="=", target_value=1).met is True
    assert Row("x", "failed", None, 10, target_op="=", target_value=1).met is False
    with pytest.raises(ValueError, match="unknown target operator"):
        _ = Row("x", "y", 1, 1, target_op="<", target_value=1).met


def test_rows_from_dicts_are_checked() -> None:
    row = Row.from_any({"benchmark": "import", "metric": "rows/s", "measured": 5.0, "bound": 10.0})
    assert row.ratio == 0.5
    with pytest.raises(ValueError, match="unknown keys"):
        Row.from_any({"benchmark": "import", "metric": "m", "measured": 1, "bound_value": 2})


def test_numbers_are_formatted_for_reading() -> None:
    assert format_number(1105) == "1,105"
    assert format_number(4.5812, "s") == "4.58 s"
    assert format_number(0.3125) == "0.312"
    assert format_number(2536.4, "MB") == "2,536 MB"
    assert format_number(None) == "—"


def test_table_marks_missed_targets() -> None:
    rows = [
        Row("requests", "first run", 70, 70, target_op="=", target_value=1, bound_label="minimum"),
        Row("latency", "extract | step", 4.58, 6.4, unit="s", target_op="<=", target_value=0.35, note="4 | 4"),
        Row("growth", "time", 1.5, unit="s"),
    ]
    lines = render_table(rows).splitlines()
    assert lines[0] == "| benchmark | metric | measured | bound / baseline | ratio | target | met? | note |"
    assert lines[2] == "| requests | first run | 70 | 70 (minimum) | 1 | = 1 | yes |  |"
    assert lines[3] == "| latency | extract \\| step | 4.58 s | 6.4 s | 0.716 | ≤ 0.35 | **no** | 4 \\| 4 |"
    assert lines[4] == "| growth | time | 1.5 s | — | — | — | — |  |"
    assert [r.metric for r in missed(rows)] == ["extract | step"]


def test_report_keeps_the_hand_written_analysis(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    out.write_text(f"# old table\n\n{run_module.ANALYSIS}\n\n- latency: resources run one after another.\n")
    rows = [Row("latency", "extract", 4.58, 6.4, unit="s", target_op="<=", target_value=0.35)]
    report = run_module.render_report(rows, {"CPUs": "2"}, ["`benchmarks/x.py` is not there yet"], False,
                                      run_module.kept_analysis(out))  # fmt: skip
    assert "# old table" not in report
    assert report.count(run_module.ANALYSIS) == 1
    assert report.rstrip().endswith("- latency: resources run one after another.")
    assert "Targets missed in this run: extract" in report
    assert "- CPUs: 2" in report and "`benchmarks/x.py` is not there yet" in report
