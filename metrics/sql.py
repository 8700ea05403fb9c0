"""SQL building blocks for the metric selectors: continuous percentiles and interval seconds."""

from __future__ import annotations

from django.db.models import FloatField, Func

PERCENTILES = (0.5, 0.75, 0.9)
# The same fractions as an SQL array literal for hand-written queries (numbers formatted by us, never input).
PERCENTILES_SQL = f"ARRAY[{', '.join(repr(float(f)) for f in PERCENTILES)}]::float8[]"


class EpochSeconds(Func):
    """``EXTRACT(EPOCH FROM <interval>)`` as float seconds."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)::float8"
    output_field = FloatField()


def distribution(values: list[float] | None, n: int) -> dict[str, float | int | None]:
    """``{p50, p75, p90, n}`` from a ``percentile_cont`` array result; nulls with ``n: 0`` when there is no data."""
    if not n or values is None:
        return {"p50": None, "p75": None, "p90": None, "n": 0}
    p50, p75, p90 = (float(v) for v in values)
    return {"p50": p50, "p75": p75, "p90": p90, "n": n}


def rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None
