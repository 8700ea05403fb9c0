"""Plotly figures for the delivery dashboard and the flaky board, built from plain rows (no ORM here).

Each function takes the rows a selector returned (lists of dicts) and returns a figure as a JSON-ready
dict (``{"data": [...], "layout": {...}}``); the page hands them to ``static/metrics/charts.js`` in a
``<script type="application/json">`` block, which calls ``Plotly.newPlot``.

The dicts are written directly in plotly.js's JSON schema rather than through ``plotly.graph_objects``:
its property validation and template expansion cost ~100 ms a page, five times the page's SQL. The
tests validate every figure against plotly's schema instead (``plotly.graph_objects.Figure(figure)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

HOUR = 3600.0
COLOURS = {"pass": "#1f8a4c", "fail": "#c0392b", "accent": "#2f5bd3", "muted": "#6b7385", "warn": "#b7791f"}


def _layout(title: str, y_title: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 14}},
        "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
        "height": 260,
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.2},
        **extra,
    }


def _figure(traces: list[dict[str, Any]], layout: dict[str, Any]) -> dict[str, Any]:
    return {"data": traces, "layout": layout}


def _bar(colour: str, **properties: Any) -> dict[str, Any]:
    return {"type": "bar", "marker": {"color": colour}, **properties}


def _line(colour: str, **properties: Any) -> dict[str, Any]:
    return {"type": "scatter", "mode": "lines+markers", "line": {"color": colour}, **properties}


def _iso(value: datetime | str) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _hours(value: float | None) -> float | None:
    return None if value is None else value / HOUR


def _median_trend(rows: Sequence[Mapping[str, Any]], key: str, colour: str, title: str, name: str) -> dict[str, Any]:
    """A per-bucket median in hours (``<key>_p50_s``) with its n (``<key>_n``) in the hover."""
    line = _line(
        colour,
        x=[_iso(row["bucket"]) for row in rows],
        y=[_hours(row[f"{key}_p50_s"]) for row in rows],
        customdata=[row[f"{key}_n"] for row in rows],
        hovertemplate="median %{y:.1f} h (n=%{customdata})<extra></extra>",
        name=name,
    )
    return _figure([line], _layout(f"{title}, median per bucket", "hours"))


def trend_figures(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """One figure per DORA trend (``dora_trend`` rows): frequency, CFR, lead time, recovery; n in the hover."""
    x = [_iso(row["bucket"]) for row in rows]
    deployments = _figure(
        [
            _bar(COLOURS["pass"], x=x, y=[r["deployments"] - r["failed"] for r in rows], name="ok"),
            _bar(COLOURS["fail"], x=x, y=[r["failed"] for r in rows], name="failed"),
        ],
        _layout("Deployments per bucket", "deployments", barmode="stack"),
    )
    cfr = _figure(
        [
            _line(
                COLOURS["fail"],
                x=x,
                y=[None if r["change_failure_rate"] is None else 100 * r["change_failure_rate"] for r in rows],
                customdata=[[r["failed"], r["deployments"]] for r in rows],
                hovertemplate="%{y:.1f}% (%{customdata[0]}/%{customdata[1]} failed)<extra></extra>",
                name="change failure rate",
            )
        ],
        _layout("Change failure rate (failed / deployments)", "%"),
    )
    lead = _median_trend(rows, "lead_time", COLOURS["accent"], "Lead time for changes", "lead time median")
    recovery = _median_trend(rows, "recovery", COLOURS["warn"], "Failed-deployment recovery time", "recovery median")
    return {"trend-deployments": deployments, "trend-cfr": cfr, "trend-lead-time": lead, "trend-recovery": recovery}


def percentile_figure(title: str, figures: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Median, p75 and p90 (hours) of several distributions side by side, each labelled with its n."""
    names = list(figures)
    traces = []
    for key, colour in (("p50", COLOURS["accent"]), ("p75", COLOURS["warn"]), ("p90", COLOURS["fail"])):
        traces.append(
            _bar(
                colour,
                x=[f"{name} (n={figures[name]['n']})" for name in names],
                y=[_hours(figures[name][key]) for name in names],
                name="median" if key == "p50" else key,
            )
        )
    return _figure(traces, _layout(title, "hours", barmode="group"))


def lead_time_histogram(bins: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Distribution of per-change lead times: ``[{lo_s, hi_s, n}]`` bins counted in SQL, drawn in hours."""
    n = sum(b["n"] for b in bins)
    bars = _bar(
        COLOURS["accent"],
        x=[(b["lo_s"] + b["hi_s"]) / 2 / HOUR for b in bins],
        y=[b["n"] for b in bins],
        width=[(b["hi_s"] - b["lo_s"]) / HOUR for b in bins],
        customdata=[[b["lo_s"] / HOUR, b["hi_s"] / HOUR] for b in bins],
        hovertemplate="%{customdata[0]:.1f}-%{customdata[1]:.1f} h: %{y} changes<extra></extra>",
        name="changes",
    )
    return _figure([bars], _layout(f"Lead time distribution (n={n})", "changes", xaxis={"title": {"text": "hours"}}))


def gate_stack(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Gate pass/fail counts (``gate_counts`` rows) stacked per bucket, summed over gates."""
    passed: dict[str, int] = {}
    failed: dict[str, int] = {}
    for row in rows:
        key = _iso(row["bucket"])
        passed[key] = passed.get(key, 0) + row["passed"]
        failed[key] = failed.get(key, 0) + row["failed"]
    x = sorted(passed)
    return _figure(
        [
            _bar(COLOURS["pass"], x=x, y=[passed[k] for k in x], name="pass"),
            _bar(COLOURS["fail"], x=x, y=[failed[k] for k in x], name="fail"),
        ],
        _layout("Gate runs: pass / fail", "runs", barmode="stack"),
    )


def flakiness_figure(rows: Sequence[Mapping[str, Any]], *, label: str = "gate", limit: int = 15) -> dict[str, Any]:
    """Flaky rate and pass-on-retry rate per gate (``gate_flakiness`` rows), flakiest first."""
    rows = [r for r in rows if r["state"] in ("flaky", "broken", "failing")][:limit]
    names = [r.get(label) or f"{r.get('classname', '')}.{r.get('name', '')}" for r in rows]
    layout = _layout("Flakiness", "", barmode="group", height=max(260, 40 + 36 * len(rows)))
    layout["yaxis"] |= {"autorange": "reversed", "rangemode": "normal"}
    return _figure(
        [
            _bar(
                COLOURS["warn"],
                y=names,
                x=[100 * (r["flaky_rate"] or 0) for r in rows],
                orientation="h",
                name="flaky commits %",
                customdata=[[r["flaky_commits"], r["commits"]] for r in rows],
                hovertemplate="%{x:.1f}% (%{customdata[0]}/%{customdata[1]} commits)<extra></extra>",
            ),
            _bar(
                COLOURS["muted"],
                y=names,
                x=[100 * (r["flip_rate"] or 0) for r in rows],
                orientation="h",
                name="flip rate %",
            ),
        ],
        layout,
    )
