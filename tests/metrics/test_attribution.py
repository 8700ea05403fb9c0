"""Failure attribution (explicit, rollback, revert, hotfix, time window) and change failure rate.

Times are hours after T0. Each deployment starts 10 minutes before it finishes.
"""

import pytest

from metrics.models import Incident
from tests.metrics.conftest import (
    assert_full_recompute_agrees,
    at,
    deploy,
    figures,
    incident,
    pull_request,
    reload,
)

pytestmark = pytest.mark.django_db


def attribution(ext: str) -> tuple[str | None, str]:
    row = Incident.objects.select_related("attributed_deployment").get(external_id=ext)
    return (row.attributed_deployment.external_id if row.attributed_deployment else None, row.attribution_rule)


@pytest.fixture
def two_deployments(service):
    return deploy(service, "D1", "a1", at(0)), deploy(service, "D2", "b2", at(10))


def test_incident_without_caused_by_goes_to_the_live_deployment_within_the_gap(service, two_deployments):
    incident(service, "I1", at(12))  # 12 - 10 = 2 h after D2 finished, inside the default 24 h gap
    assert attribution("I1") == ("D2", "time-window")
    assert reload(two_deployments[1]).failure_rule == "incident"
    cfr = figures(service, at(-1), at(24))["change_failure_rate"]
    assert cfr == {"failed": 1, "total": 2, "rate": 0.5}  # D2 of D1, D2


def test_the_time_window_has_a_configurable_maximum_gap(service, two_deployments, settings):
    settings.METRICS_ATTRIBUTION_MAX_GAP_H = 1
    incident(service, "I1", at(12))  # 2 h > 1 h: nothing is blamed
    assert attribution("I1") == (None, "")
    data = figures(service, at(-1), at(24))
    assert data["change_failure_rate"]["failed"] == 0
    assert data["data_coverage"]["incidents_attributed"] == {"attributed": 0, "total": 1, "rate": 0.0}


def test_an_incident_during_a_rollout_goes_to_the_deployment_in_flight(service, two_deployments):
    # D3 started at 19:50 and finished at 20:00; the incident opened at 19:55, mid-rollout.
    deploy(service, "D3", "c3", at(20))
    incident(service, "I1", at(19, minutes=55))
    assert attribution("I1") == ("D3", "time-window")


def test_explicit_caused_by_deployment_outranks_every_rule(service, two_deployments):
    incident(service, "I1", at(12), caused_by_deployment="D1")
    assert attribution("I1") == ("D1", "explicit")
    assert reload(two_deployments[0]).is_failed and not reload(two_deployments[1]).is_failed


def test_explicit_caused_by_commit_blames_the_first_deployment_that_shipped_it(service, two_deployments):
    deploy(service, "D3", "c3", at(20), commits=[("c3", at(19)), ("a0", at(18))])
    incident(service, "I1", at(21), caused_by_commit="b2")  # D2 deployed b2
    incident(service, "I2", at(21), caused_by_commit="a0")  # D3 listed a0
    assert attribution("I1") == ("D2", "explicit")
    assert attribution("I2") == ("D3", "explicit")
    incident(service, "I3", at(21), caused_by_commit="dead")  # never deployed: the next rules decide
    assert attribution("I3") == ("D3", "time-window")


def test_caused_by_a_deployment_that_arrives_later(service, two_deployments):
    incident(service, "I1", at(12), caused_by_deployment="D9")  # D9 is not known yet
    assert attribution("I1") == ("D2", "time-window")
    deploy(service, "D9", "99", at(11))  # arrives late: the explicit link now resolves and wins
    assert attribution("I1") == ("D9", "explicit")
    assert not reload(two_deployments[1]).is_failed  # D2 is no longer blamed
    assert_full_recompute_agrees()


def test_rollback_detection(service, two_deployments):
    incident(service, "I1", at(11), resolved=at(13))
    d3 = deploy(service, "D3", "a1", at(12))  # redeploys a1 (first live h0) over b2 (first live h10)
    d2 = reload(two_deployments[1])
    assert reload(d3).rollback_of_id == d2.pk and reload(d3).rework_rule == "rollback"
    assert d2.is_failed and d2.failure_rule == "rollback"
    assert attribution("I1") == ("D2", "rollback")
    # D2 recovers at the earlier of the next success (D3, h12) and the incident's resolution (h13): 2 h.
    assert (d2.recovery_s, d2.recovery_rule) == (7200.0, "next-success")
    data = figures(service, at(-1), at(24))
    assert data["change_failure_rate"] == {"failed": 1, "total": 3, "rate": pytest.approx(1 / 3)}
    assert data["rework_rate"] == {"rework": 1, "total": 3, "rate": pytest.approx(1 / 3)}
    assert_full_recompute_agrees()


def test_rollback_needs_no_time_window(service, two_deployments, settings):
    settings.METRICS_ATTRIBUTION_MAX_GAP_H = 1
    incident(service, "I1", at(14), resolved=at(16))  # 4 h after D2: beyond the 1 h gap
    assert attribution("I1") == (None, "")
    deploy(service, "D3", "a1", at(15))  # the rollback, within the incident, names the culprit
    assert attribution("I1") == ("D2", "rollback")


def test_rolling_forward_again_is_not_a_rollback(service, two_deployments):
    deploy(service, "D3", "a1", at(12))  # rollback to a1
    d4 = deploy(service, "D4", "b2", at(20))  # b2 again, fixed elsewhere: b2 went live after a1
    assert reload(d4).rollback_of_id is None
    assert not reload(d4).is_failed


def test_a_reported_rollback_is_blamed_for_an_incident_opened_while_it_rolled_out(service, two_deployments):
    deploy(service, "D3", "c3", at(20), status="rolled_back", started=at(19))
    incident(service, "I1", at(19.5))  # D2 is the live successful deployment, but D3 was rolling out
    assert attribution("I1") == ("D3", "rollback")


@pytest.fixture
def reverted_change(service):
    """PR 10 shipped by D2, PR 12 by D2b; the incident opens at h11 and PR 11 reverts PR 10."""
    pull_request(service, 9, merged=at(0.5), merge_sha="a9", commits=[("c9", at(0))])
    pull_request(service, 10, merged=at(5), merge_sha="a10", title="Add cache", commits=[("c10", at(4))])
    pull_request(service, 12, merged=at(10.2), merge_sha="a12", commits=[("c12", at(10.1))])
    pull_request(
        service,
        11,
        merged=at(12),
        merge_sha="a11",
        title='Revert "Add cache"',
        revert=True,
        commits=[("c11", at(11.5))],
    )
    deploy(service, "D1", "a9", at(1))
    deploy(service, "D2", "a10", at(10))
    deploy(service, "D2b", "a12", at(10.5))


def test_revert_pr_blames_the_deployment_that_shipped_the_reverted_change(service, reverted_change):
    incident(service, "I1", at(11), resolved=at(14))
    d3 = deploy(service, "D3", "a11", at(13))
    # the time window would blame D2b (live at h11); the revert rule ranks first and finds D2 (PR 10).
    assert attribution("I1") == ("D2", "revert")
    [change] = d3.changes.select_related("pr", "reverts_pr")
    assert change.is_revert and change.reverts_pr.number == 10
    assert reload(d3).rework_rule == "revert"
    # D2's recovery: the next successful deployment after it is D2b at h10.5 (the contract's definition),
    # earlier than the incident's resolution (h14): 0.5 h.
    assert reload(service.deployments.get(external_id="D2")).recovery_s == 1800.0
    assert_full_recompute_agrees()


def test_revert_found_from_the_commit_message_without_pr_data(service):
    from releases.models import Commit

    deploy(service, "D1", "a1", at(0))
    deploy(service, "D2", "b2", at(10), commits=[("b2", at(9))])
    deploy(service, "D2b", "c3", at(10.5), commits=[("c3", at(10.2))])
    Commit.objects.create(
        service=service,
        sha="d4" + "0" * 38,
        authored_at=at(11.5),
        message=f'Revert "b2"\n\nThis reverts commit {"b2" + "0" * 38}.',
    )
    incident(service, "I1", at(11))
    deploy(service, "D3", "d4", at(12), commits=[("d4", at(11.5))])
    assert attribution("I1") == ("D2", "revert")


def test_hotfix_pr_blames_the_live_deployment_beyond_the_gap(service):
    pull_request(service, 1, merged=at(0), merge_sha="a1")
    pull_request(service, 2, merged=at(9), merge_sha="a2", commits=[("c2", at(8))])
    pull_request(service, 3, merged=at(40.5), merge_sha="a3", hotfix=True, commits=[("c3", at(40.2))])
    deploy(service, "D1", "a1", at(1))
    deploy(service, "D2", "a2", at(10))
    incident(service, "I1", at(40))  # 30 h after D2: outside the 24 h gap
    assert attribution("I1") == (None, "")
    d3 = deploy(service, "D3", "a3", at(41))
    assert attribution("I1") == ("D2", "hotfix")
    assert reload(d3).rework_rule == "hotfix"
    assert_full_recompute_agrees()


def test_overlapping_incidents_fail_one_deployment_once(service, two_deployments):
    incident(service, "I1", at(11), resolved=at(14))
    incident(service, "I2", at(12), resolved=at(13))
    assert attribution("I1") == attribution("I2") == ("D2", "time-window")
    data = figures(service, at(-1), at(24))
    assert data["change_failure_rate"] == {"failed": 1, "total": 2, "rate": 0.5}  # distinct deployments
    # time to restore: I1 3 h, I2 1 h -> p50 2 h = 7200; p75 1 + 0.75 * 2 = 2.5 h = 9000; p90 2.8 h = 10080
    assert data["time_to_restore_s"] == {"p50": 7200.0, "p75": 9000.0, "p90": 10080.0, "n": 2}
    # D2 has no next success: it recovers when its last incident is resolved, h14 -> 4 h.
    d2 = reload(two_deployments[1])
    assert (d2.recovery_s, d2.recovery_rule) == (14400.0, "incident-resolved")


def test_an_open_incident_leaves_its_deployment_unrecovered(service, two_deployments):
    incident(service, "I1", at(11), resolved=at(14))
    incident(service, "I2", at(12))  # still open
    d2 = reload(two_deployments[1])
    assert d2.is_failed and d2.recovered_at is None
    data = figures(service, at(-1), at(24))
    assert data["recovery_time_s"] == {"p50": None, "p75": None, "p90": None, "n": 0}
    assert data["data_coverage"]["failed_deployments_unrecovered"] == 1
    assert data["data_coverage"]["incidents_unresolved"] == 1
    incident(service, "I2", at(12), resolved=at(15))  # re-posted resolved
    assert reload(two_deployments[1]).recovery_s == 5 * 3600  # 15 - 10


def test_change_failure_rate_never_exceeds_one(service):
    d1 = deploy(service, "D1", "a1", at(0), status="failed")
    for n in range(3):
        incident(service, f"I{n}", at(1 + n), caused_by_deployment="D1")
    deploy(service, "D2", "a1", at(20), status="rolled_back")
    cfr = figures(service, at(-1), at(24))["change_failure_rate"]
    assert cfr == {"failed": 2, "total": 2, "rate": 1.0}  # 3 incidents on D1 count once
    assert reload(d1).failure_rule == "status"


def test_environments_are_kept_apart(service, two_deployments):
    deploy(service, "S1", "c3", at(10, minutes=50), env="staging")
    incident(service, "I1", at(11))  # production: staging's later deployment is not a candidate
    assert attribution("I1") == ("D2", "time-window")
    incident(service, "I2", at(11), env="staging")
    assert attribution("I2") == ("S1", "time-window")
    assert figures(service, at(-1), at(24), env="staging")["change_failure_rate"]["failed"] == 1
    assert figures(service, at(-1), at(24))["change_failure_rate"]["failed"] == 1


def test_editing_an_incident_moves_the_blame(service, two_deployments):
    incident(service, "I1", at(12))
    assert attribution("I1") == ("D2", "time-window")
    incident(service, "I1", at(5))  # corrected: it opened at h5, while D1 was live
    assert attribution("I1") == ("D1", "time-window")
    assert not reload(two_deployments[1]).is_failed and reload(two_deployments[0]).is_failed
    assert_full_recompute_agrees()
