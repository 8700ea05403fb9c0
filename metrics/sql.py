"""SQL building blocks for the metric selectors: continuous percentiles and interval seconds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db.models import Aggregate, FloatField, Func

PERCENTILES = (0.5, 0.75, 0.9)


class PercentileCont(Aggregate):
    """PostgreSQL ``percentile_cont(ARRAY[...]) WITHIN GROUP (ORDER BY expr)``: linear interpolation, one sort.

    Returns a list with one value per fraction (or None when no row qualifies). Honours ``filter=Q(...)``.
    """

    function = "percentile_cont"
    template = "%(function)s(ARRAY[%(fractions)s]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def __init__(self, expression: Any, fractions: Sequence[float] = PERCENTILES, **extra: Any):
        if not fractions or not all(isinstance(f, int | float) and 0 <= f <= 1 for f in fractions):
            raise ValueError("fractions must be numbers between 0 and 1")
        # Numbers only, formatted by us: safe to place in the SQL text.
        fractions_sql = ", ".join(repr(float(f)) for f in fractions)
        super().__init__(expression, output_field=ArrayField(FloatField()), fractions=fractions_sql, **extra)


class EpochSeconds(Func):
    """``EXTRACT(EPOCH FROM <interval>)`` as float seconds."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)::float8"
    output_field = FloatField()


def distribution(values: list[float] | None, n: int) -> dict[str, float | int | None]:
    """``{p50, p75, p90, n}`` from a PercentileCont result; nulls with ``n: 0`` when there is no data."""
    if not n or values is None:
        return {"p50": None, "p75": None, "p90": None, "n": 0}
    p50, p75, p90 = (float(v) for v in values)
    return {"p50": p50, "p75": p75, "p90": p90, "n": n}


def rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None
