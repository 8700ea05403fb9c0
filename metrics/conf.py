"""Metric settings, read when used so tests and deployments can change them.

``METRICS_ATTRIBUTION_MAX_GAP_H`` (default 24): the longest gap between a deployment and an incident
that the time-window rule still links, and how long after an incident opened a rollback, revert or
hotfix still counts as its fix when the incident is unresolved.
``METRICS_REWORK_WINDOW_H`` (default 24): a deployment this soon after a failed one is rework.
``METRICS_SMALL_SAMPLE_N`` (default 20): fewer values than this raise the small-sample warning.
Each may also be given as an environment variable of the same name.
"""

from __future__ import annotations

import os
from datetime import timedelta

from django.conf import settings


def _number(name: str, default: float) -> float:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name) or default
    return float(value)


def attribution_max_gap() -> timedelta:
    return timedelta(hours=_number("METRICS_ATTRIBUTION_MAX_GAP_H", 24))


def rework_window() -> timedelta:
    return timedelta(hours=_number("METRICS_REWORK_WINDOW_H", 24))


def small_sample_n() -> int:
    return int(_number("METRICS_SMALL_SAMPLE_N", 20))
