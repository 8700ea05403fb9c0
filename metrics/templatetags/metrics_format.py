"""Formatting for metric figures: durations in a readable unit, rates as percentages (raw values stay in CSV)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """``5400`` -> ``1.5 h``; no data stays visibly empty (the n beside it says why)."""
    if seconds is None:
        return "—"
    seconds = float(seconds)
    if abs(seconds) < 120:
        return f"{seconds:.0f} s"
    if abs(seconds) < 7200:
        return f"{seconds / 60:.0f} min"
    if abs(seconds) < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


@register.filter
def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.1f}%"


@register.filter
def num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{float(value):.{digits}f}"


@register.filter
def get_item(row: dict, key: str):
    return row.get(key)
