"""Lead time for changes: squash and rebase merges, the first deployment, failed attempts, two environments.

Times are hours after T0; lead times are seconds. Every expected value is worked out in the comments.
"""

import pytest

from metrics.models import DeploymentCommit
from releases.models import Commit
from tests.metrics.conftest import (
    assert_full_recompute_agrees,
    at,
    deploy,
    figures,
    incident,
    pull_request,
    reload,
    sha,
)

pytestmark = pytest.mark.django_db
H = 3600


@pytest.fixture
def squash_history(service):
    """PR 1 deployed first (the baseline); PRs 2 and 3 squash-merged and shipped together by d2."""
    pull_request(service, 1, merged=at(9), merge_sha="a1", commits=[("c1a", at(1)), ("c1b", at(3))])
    pull_request(service, 2, merged=at(20), merge_sha="a2", commits=[("c2a", at(12)), ("c2b", at(14))])
    pull_request(service, 3, merged=at(22), merge_sha="a3", commits=[("c3a", at(21))])
    d1 = deploy(service, "d1", "a1", at(10))
    d2 = deploy(service, "d2", "a3", at(24))
    return d1, d2


def test_squash_merge_uses_the_first_original_commit_of_each_pr(service, squash_history):
    d1, d2 = squash_history
    # d1 is the baseline: no previous successful deployment, nothing listed -> no changes, no lead time.
    assert not d1.changes.exists() and reload(d1).is_baseline
    # d2 ships the PRs merged after d1's commit (PR 1, merged h9) up to its own (PR 3, merged h22): 2 and 3.
    changes = {c.pr.number: c for c in d2.changes.select_related("pr")}
    assert sorted(changes) == [2, 3]
    # PR 2 starts at its first original commit (h12, not the squash commit): 24 - 12 = 12 h.
    assert changes[2].lead_time_s == 12 * H and changes[2].sha == sha("a2") and changes[2].origin == "pr"
    assert changes[3].lead_time_s == 3 * H  # 24 - 21
    lead = figures(service, at(0), at(48))["lead_time_s"]
    # values 10800 and 43200: p50 = (10800 + 43200) / 2 = 27000; p75 = 10800 + 0.75 * 32400 = 35100;
    # p90 = 10800 + 0.9 * 32400 = 39960.
    assert lead == {"p50": 27000.0, "p75": 35100.0, "p90": 39960.0, "n": 2}
    assert_full_recompute_agrees()


def test_rebase_merge_counts_the_pr_once_from_its_original_author_time(service, squash_history):
    # A rebase merge writes new commits on main; GitHub's merge_commit_sha is the last of them (r4b).
    # The original commits (o4a h30, o4b h31) are what the PR recorded.
    pull_request(service, 4, merged=at(35), merge_sha="r4b", commits=[("04a", at(30)), ("04b", at(31))])
    # The deployer also lists the rebased commits it ships, with their (preserved) author times.
    d3 = deploy(service, "d3", "r4b", at(40), commits=[("r4b", at(31))])
    [change] = d3.changes.all()
    # r4b is PR 4's merge sha: folded into one change starting at min(h30 original, h31 listed) = h30.
    assert change.pr.number == 4 and change.origin == "listed"
    assert change.lead_time_s == 10 * H  # 40 - 30
    assert figures(service, at(39), at(41))["lead_time_s"]["n"] == 1
    assert_full_recompute_agrees()


def test_the_first_deployment_is_a_baseline_charged_only_with_what_it_lists(service):
    # Years of history merged before the first deployment are not changes of it.
    pull_request(service, 1, merged=at(-9000), merge_sha="01d", commits=[("c01d", at(-9001))])
    pull_request(service, 2, merged=at(5), merge_sha="a2", commits=[("c2", at(4))])
    d1 = deploy(service, "d1", "a2", at(10))
    assert reload(d1).is_baseline and not d1.changes.exists()
    # The same first deployment listing its commits explicitly is charged with those: 10 - 8 = 2 h.
    d1 = deploy(service, "d1", "a2", at(10), commits=[("b7", at(8))])
    [change] = d1.changes.all()
    assert (change.sha, change.origin, change.lead_time_s) == (sha("b7"), "listed", 2 * H)
    assert figures(service, at(0), at(24))["data_coverage"]["deployments_linked_to_commits"]["rate"] == 1.0


def test_without_pr_data_each_listed_commit_is_one_change(service):
    deploy(service, "d1", "e1", at(1))
    d2 = deploy(service, "d2", "e4", at(10), commits=[("e2", at(2)), ("e3", at(4)), ("e4", at(7))])
    # three changes: 10-2 = 8 h, 10-4 = 6 h, 10-7 = 3 h -> p50 = 6 h; p75 = 6 + 0.5 * 2 = 7 h; p90 = 6 + 0.8 * 2 = 7.6 h
    assert sorted(c.lead_time_s for c in d2.changes.all()) == [3 * H, 6 * H, 8 * H]
    lead = figures(service, at(0), at(24))["lead_time_s"]
    assert lead == {"p50": 6 * H, "p75": 7 * H, "p90": 7.6 * H, "n": 3}


def test_a_listed_commit_shipped_again_counts_only_at_its_first_successful_deployment(service):
    deploy(service, "d1", "e1", at(1))
    d2 = deploy(service, "d2", "e2", at(5), commits=[("e2", at(2))])
    d3 = deploy(service, "d3", "e3", at(9), commits=[("e2", at(2)), ("e3", at(8))])
    assert [c.lead_time_s for c in d2.changes.all()] == [3 * H]  # 5 - 2
    lead_times = dict(d3.changes.values_list("sha", "lead_time_s"))
    assert lead_times == {sha("e2"): None, sha("e3"): 1 * H}  # e2 already counted at d2; e3: 9 - 8


def test_lead_time_runs_to_the_first_successful_deployment_whatever_happens_later(service, squash_history):
    # d2 failed at h23 (never counts); d2b succeeded at h26 -- and an incident is later attributed to it.
    _d1, d2 = squash_history
    deploy(service, "d2", "a3", at(23), status="failed")
    d2b = deploy(service, "d2b", "a3", at(26))
    incident(service, "i1", at(27), caused_by_deployment="d2b", resolved=at(28))
    assert all(c.lead_time_s is None for c in reload(d2).changes.all())
    # d2b ships PRs 2 and 3 (its previous successful deployment is still d1): 26-12 = 14 h, 26-21 = 5 h.
    assert sorted(c.lead_time_s for c in d2b.changes.all()) == [5 * H, 14 * H]
    assert reload(d2b).is_failed and reload(d2b).failure_rule == "incident"
    assert_full_recompute_agrees()


def test_head_commit_is_the_change_when_nothing_else_is_known(service):
    # No PR data, no list: the deployed commit itself, when its author time is known (push webhooks).
    Commit.objects.create(service=service, sha=sha("f1"), authored_at=at(0), committed_at=at(0))
    Commit.objects.create(service=service, sha=sha("f2"), authored_at=at(2), committed_at=at(3))
    deploy(service, "d1", "f1", at(1))
    d2 = deploy(service, "d2", "f2", at(6))
    [change] = d2.changes.all()
    assert (change.origin, change.lead_time_s) == ("head", 4 * H)  # 6 - 2
    d3 = deploy(service, "d3", "f2", at(8))  # a redeploy of the same commit ships nothing new
    assert not d3.changes.exists()


def test_a_deployment_arriving_late_rederives_the_ones_after_it(service):
    pull_request(service, 1, merged=at(1), merge_sha="a1", commits=[("c1", at(0))])
    pull_request(service, 2, merged=at(5), merge_sha="a2", commits=[("c2", at(4))])
    d2 = deploy(service, "d2", "a2", at(6))
    assert reload(d2).is_baseline and not d2.changes.exists()  # first to arrive: a baseline for now
    d1 = deploy(service, "d1", "a1", at(2))  # the earlier deployment arrives late
    assert reload(d1).is_baseline and not reload(d2).is_baseline
    assert [c.lead_time_s for c in d2.changes.all()] == [2 * H]  # PR 2: 6 - 4
    assert_full_recompute_agrees()


def test_environments_are_kept_apart(service, squash_history):
    # staging shipped the same PRs earlier; production's lead times run to production's deployments.
    deploy(service, "s1", "a1", at(9.5), env="staging")
    s2 = deploy(service, "s2", "a3", at(23), env="staging")
    assert sorted(c.lead_time_s for c in s2.changes.all()) == [2 * H, 11 * H]  # 23-21, 23-12
    assert figures(service, at(0), at(48))["lead_time_s"]["p50"] == 27000.0  # production as before
    staging = figures(service, at(0), at(48), env="staging")
    assert staging["deployments"] == 2 and staging["lead_time_s"]["p50"] == 6.5 * H  # (2 + 11) / 2
    assert DeploymentCommit.objects.count() == 4
    assert_full_recompute_agrees()


def test_lead_time_breakdown_splits_a_pr_change(service):
    from metrics.dora import lead_time_breakdown
    from releases.models import Environment, Review

    pull_request(service, 1, merged=at(1), merge_sha="a1")
    pr = pull_request(service, 2, merged=at(8), merge_sha="a2", created=at(3), commits=[("c2", at(2))])
    Review.objects.create(pull_request=pr, external_id=1, reviewer="carol", state="APPROVED", submitted_at=at(5))
    deploy(service, "d1", "a1", at(1.5))
    deploy(service, "d2", "a2", at(10))
    parts = lead_time_breakdown(
        service=service, environment=Environment.objects.get(name="production"), start=at(0), end=at(24)
    )
    # coding 2->3 = 1 h, pickup 3->5 = 2 h, review 5->8 = 3 h, deploy 8->10 = 2 h (sum 8 h = the lead time)
    assert {name: part["p50"] for name, part in parts.items()} == {
        "coding": 1 * H,
        "pickup": 2 * H,
        "review": 3 * H,
        "deploy": 2 * H,
    }
