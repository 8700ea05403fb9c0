"""Failed-deployment recovery time, kill switches, time to restore, rework, percentiles and empty windows."""

import pytest

from tests.metrics.conftest import (
    assert_full_recompute_agrees,
    at,
    deploy,
    figures,
    hand_percentile,
    incident,
    kill_switch,
    reload,
)

pytestmark = pytest.mark.django_db
H = 3600.0


def test_a_failed_deployment_recovers_at_the_next_successful_one(service):
    deploy(service, "D1", "a1", at(0))
    d2 = deploy(service, "D2", "b2", at(10), status="failed")
    deploy(service, "D2x", "b2", at(11), status="failed")  # another failed attempt does not restore
    d3 = deploy(service, "D3", "b3", at(12))
    assert (reload(d2).recovery_s, reload(d2).recovery_rule) == (2 * H, "next-success")  # 12 - 10
    # D2x recovers at D3 too (1 h); D2x and D3 are rework: each follows a failed deployment within 24 h.
    assert reload(d3).rework_rule == "after-failure"
    data = figures(service, at(-1), at(24))
    assert data["recovery_time_s"] == {"p50": 1.5 * H, "p75": 1.75 * H, "p90": 1.9 * H, "n": 2}
    assert data["rework_rate"] == {"rework": 2, "total": 4, "rate": 0.5}
    assert data["change_failure_rate"] == {"failed": 2, "total": 4, "rate": 0.5}


def test_rework_needs_the_failure_to_be_recent(service, settings):
    settings.METRICS_REWORK_WINDOW_H = 1
    deploy(service, "D1", "a1", at(0))
    deploy(service, "D2", "b2", at(10), status="failed")
    d3 = deploy(service, "D3", "b3", at(12))  # 2 h later: outside a 1 h rework window
    assert reload(d3).rework_rule == ""


def test_a_kill_switch_ends_recovery_when_it_comes_first(service):
    deploy(service, "D1", "a1", at(0))
    d2 = deploy(service, "D2", "b2", at(10))
    incident(service, "I1", at(11), resolved=at(15))  # attributed to D2 (time window)
    kill_switch(service, "F0", at(11.5), kill=False)  # an ordinary flip: not a kill switch
    kill_switch(service, "F1", at(12), env="staging")  # another environment's kill switch
    assert (reload(d2).recovery_s, reload(d2).recovery_rule) == (5 * H, "incident-resolved")  # 15 - 10
    kill_switch(service, "F2", at(12))
    assert (reload(d2).recovery_s, reload(d2).recovery_rule) == (2 * H, "kill-switch")  # 12 - 10
    data = figures(service, at(-1), at(24))
    assert data["time_to_restore_s"]["p50"] == 4 * H  # the incident itself still took 11 -> 15
    deploy(service, "D3", "b3", at(11.75))  # a successful deployment before the kill switch wins
    assert (reload(d2).recovery_s, reload(d2).recovery_rule) == (1.75 * H, "next-success")
    assert_full_recompute_agrees()


def test_time_to_restore_and_detect_use_detected_and_opened(service):
    deploy(service, "D1", "a1", at(0))
    incident(service, "I1", at(1), detected=at(1.5), resolved=at(3.5))
    incident(service, "I2", at(2))  # unresolved: not in time to restore, detected at opened_at
    data = figures(service, at(0), at(24))
    assert data["time_to_restore_s"] == {"p50": 2 * H, "p75": 2 * H, "p90": 2 * H, "n": 1}  # 3.5 - 1.5
    # time to detect: 0.5 h and 0 h -> p50 0.25 h; p75 0.375 h; p90 0.45 h
    assert data["time_to_detect_s"] == {"p50": 900.0, "p75": 1350.0, "p90": 1620.0, "n": 2}


def test_percentiles_are_continuous(service):
    """Recovery times 1, 2, 3, 4 and 10 h: percentile_cont interpolates between ranks, never averages."""
    deploy(service, "S0", "a0", at(0))
    for n, (failed, recovered) in enumerate([(1, 2), (10, 12), (20, 23), (30, 34), (40, 50)], start=1):
        deploy(service, f"F{n}", f"f{n}", at(failed), status="failed")
        deploy(service, f"S{n}", f"5{n}", at(recovered))
    values = [1 * H, 2 * H, 3 * H, 4 * H, 10 * H]
    recovery = figures(service, at(-1), at(60))["recovery_time_s"]
    # by hand: p50 = rank 2 -> 3 h; p75 = rank 3 -> 4 h; p90 = rank 3.6 -> 4 + 0.6 * (10 - 4) = 7.6 h
    assert recovery == {"p50": 3 * H, "p75": 4 * H, "p90": 7.6 * H, "n": 5}
    assert recovery["p90"] == pytest.approx(hand_percentile(values, 0.9))
    assert recovery["p50"] != sum(values) / len(values)  # the mean (4 h) is not the median


def test_an_empty_window_has_nulls_with_n_zero(service):
    deploy(service, "D1", "a1", at(0))
    data = figures(service, at(100), at(124))
    empty = {"p50": None, "p75": None, "p90": None, "n": 0}
    assert data["deployments"] == 0 and data["deployment_frequency_per_day"] == 0.0
    for name in ("lead_time_s", "recovery_time_s", "time_to_restore_s", "time_to_detect_s"):
        assert data[name] == empty
    assert data["change_failure_rate"] == {"failed": 0, "total": 0, "rate": None}
    assert data["rework_rate"] == {"rework": 0, "total": 0, "rate": None}
    assert data["data_coverage"]["deployments_linked_to_commits"]["rate"] is None
    assert data["small_sample"] is True


def test_deployment_frequency_and_the_window_bounds(service):
    for n in range(6):
        deploy(service, f"D{n}", f"{n}a", at(days=n))  # one a day, at midnight
    # [day 0, day 3): days 0, 1 and 2 (the end is exclusive) -> 3 in 3 days
    data = figures(service, at(days=0), at(days=3))
    assert data["deployments"] == 3 and data["deployment_frequency_per_day"] == 1.0


def test_small_sample_flag(service, settings):
    settings.METRICS_SMALL_SAMPLE_N = 3
    for n in range(3):
        deploy(service, f"D{n}", f"{n}a", at(n))
    assert figures(service, at(-1), at(24))["small_sample"] is False  # 3 deployments, no distributions
    deploy(service, "D9", "9a", at(5), commits=[("9a", at(4))])  # one lead time: n = 1 < 3
    assert figures(service, at(-1), at(24))["small_sample"] is True
