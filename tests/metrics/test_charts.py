"""Every chart is valid plotly.js JSON: the figures are written by hand, so plotly's own schema checks them here."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import plotly.graph_objects as go
import pytest

from metrics import charts

DAY1, DAY2 = datetime(2025, 3, 3, tzinfo=UTC), datetime(2025, 3, 4, tzinfo=UTC)
TREND = [
    {"bucket": DAY1, "deployments": 4, "failed": 1, "change_failure_rate": 0.25, "lead_time_p50_s": 7200.0,
     "lead_time_n": 3, "recovery_p50_s": 1800.0, "recovery_n": 1},
    {"bucket": DAY2, "deployments": 0, "failed": 0, "change_failure_rate": None, "lead_time_p50_s": None,
     "lead_time_n": 0, "recovery_p50_s": None, "recovery_n": 0},
]  # fmt: skip
FLAKY = [
    {"gate": "unit", "state": "flaky", "flaky_rate": 0.5, "flaky_commits": 2, "commits": 4, "flip_rate": 0.25},
    {"gate": "lint", "state": "stable", "flaky_rate": 0.0, "flaky_commits": 0, "commits": 4, "flip_rate": 0.0},
    {"classname": "t.A", "name": "b", "state": "broken", "flaky_rate": None, "flaky_commits": 0, "commits": 2,
     "flip_rate": None},
]  # fmt: skip


def every_figure() -> dict[str, dict]:
    distribution = {"p50": 3600.0, "p75": 7200.0, "p90": 9000.0, "n": 12}
    empty = {"p50": None, "p75": None, "p90": None, "n": 0}
    return {
        **charts.trend_figures(TREND),
        "trend-empty": charts.trend_figures([])["trend-cfr"],
        "percentiles": charts.percentile_figure("Median, p75, p90", {"lead time": distribution, "restore": empty}),
        "histogram": charts.lead_time_histogram(
            [{"lo_s": 0.0, "hi_s": 3600.0, "n": 4}, {"lo_s": 3600.0, "hi_s": 7200.0, "n": 1}]
        ),
        "histogram-empty": charts.lead_time_histogram([]),
        "gates": charts.gate_stack([{"bucket": DAY1, "gate": "unit", "passed": 3, "failed": 1},
                                    {"bucket": DAY1, "gate": "lint", "passed": 2, "failed": 0},
                                    {"bucket": DAY2, "gate": "unit", "passed": 1, "failed": 1}]),
        "flakiness": charts.flakiness_figure(FLAKY),
        "tests": charts.flakiness_figure(FLAKY, label="test"),
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(every_figure()))
def test_figure_passes_plotly_validation_and_is_json(name):
    figure = every_figure()[name]
    go.Figure(figure)  # raises ValueError naming any property plotly.js does not know
    assert json.loads(json.dumps(figure)) == figure


def test_figures_carry_the_numbers_they_are_built_from():
    figures = every_figure()
    assert figures["trend-deployments"]["data"][0]["y"] == [3, 0] and figures["trend-deployments"]["data"][1]["y"] == [
        1,
        0,
    ]
    assert figures["trend-cfr"]["data"][0]["y"] == [25.0, None]
    assert figures["trend-lead-time"]["data"][0]["y"] == [2.0, None]
    assert figures["trend-deployments"]["data"][0]["x"] == [DAY1.isoformat(), DAY2.isoformat()]
    assert figures["gates"]["data"][0]["y"] == [5, 1] and figures["gates"]["data"][1]["y"] == [1, 1]
    assert figures["histogram"]["layout"]["title"]["text"] == "Lead time distribution (n=5)"
    assert figures["percentiles"]["data"][0]["x"] == ["lead time (n=12)", "restore (n=0)"]
    flaky = figures["flakiness"]
    assert flaky["data"][0]["y"] == ["unit", "t.A.b"] and flaky["layout"]["yaxis"]["autorange"] == "reversed"
