"""A loopback GitHub serving recorded responses, and the repositories the sync tests read from it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from releases.github.client import github_client
from releases.services import service_create
from tests.corpus import corpus_file
from tests.releases.github.fakegithub import FakeGitHub

DATA = Path(__file__).resolve().parents[2] / "data" / "github"
NO_CHECK_RUNS = {"total_count": 0, "check_runs": []}
# Fields GET /pulls/{n} has and a listing (GET /pulls) does not: reading them makes PyGithub fetch the PR.
_DETAIL_ONLY = {"merged", "mergeable", "rebaseable", "mergeable_state", "merged_by", "comments", "review_comments",
                "maintainer_can_modify", "commits", "additions", "deletions", "changed_files"}  # fmt: skip

PR31_HEAD = "8a4f306d4b223682dd19410d4a9150636ebe4206"
PR31_MERGE = "28ae6dd10ebccd5eaf8db8dacb5b699ee7f4a663"
PR538_HEAD = "10a7135a04f71e6101f8b013aded8a662d08fd1f"
PR538_MERGE = "1292bf0e22c796e91cc3d6e24b544aece8c21f2a"
PR21_MERGE = "40abf8b68f4c86d0001cc9a03f19cf8f1bd018e1"


def data(name: str):
    return json.loads((DATA / name).read_text())


def corpus_json(name: str):
    return json.loads(corpus_file(f"github-api/{name}").read_text())


def listed(pr: dict) -> dict:
    """A pull request as GET /repos/{o}/{r}/pulls lists it."""
    return {key: value for key, value in pr.items() if key not in _DETAIL_ONLY}


@pytest.fixture
def fake_github(settings):
    with FakeGitHub() as fake:
        settings.GITHUB_API_URL = fake.base_url
        settings.GITHUB_TOKEN = "test-token"
        settings.GITHUB_APP_ID = ""
        settings.GITHUB_SECONDS_BETWEEN_REQUESTS = 0
        settings.GITHUB_SECONDS_BETWEEN_WRITES = 0
        github_client.cache_clear()
        yield fake
    github_client.cache_clear()


@pytest.fixture
def pygithub_repo(fake_github, db):
    """PyGithub/PyGithub: PR #31 (recorded), #538 (recorded reviews and check runs) and an unmerged PR."""
    for replay in ("PullRequest.setUp", "PullRequestReview.testAttributes", "CheckRun.testGetCheckRunsForRef"):
        fake_github.add_replay(corpus_file(f"github-api/pygithub-replay-{replay}.txt"))
    repo = "/repos/PyGithub/PyGithub"
    pr31 = corpus_json("rest-pulls-31-merged.json")
    pr538 = data("pulls-538.json")
    unmerged = copy.deepcopy(pr31) | {"number": 30, "merged_at": None, "merged": False,
                                      "updated_at": "2018-01-01T00:00:00Z",
                                      "url": "https://api.github.com/repos/PyGithub/PyGithub/pulls/30"}  # fmt: skip
    fake_github.add(f"{repo}/pulls", [listed(pr31), listed(pr538), listed(unmerged)])  # newest update first
    fake_github.add(f"{repo}/pulls/538", pr538)
    fake_github.add(f"{repo}/pulls/538/commits", data("pulls-538-commits.json"))
    fake_github.add(f"{repo}/pulls/31/commits", data("pulls-31-commits.json"))
    fake_github.add(f"{repo}/pulls/31/reviews", [])
    fake_github.add(f"{repo}/commits/{PR538_MERGE}", corpus_json("rest-commit-1292bf0.json"))
    fake_github.add(f"{repo}/commits/{PR538_MERGE}/check-runs", NO_CHECK_RUNS)
    # PR #31's merge and head commits and their check runs are not recorded: GitHub answers 404.
    return service_create(slug="pygithub", name="PyGithub", repository="PyGithub/PyGithub")


@pytest.fixture
def austinsasko_repo(fake_github, db):
    """austinsasko/PyGithub: one merged revert PR (#21, recorded)."""
    fake_github.add_replay(corpus_file("github-api/pygithub-replay-PullRequest.setUp.txt"))
    repo = "/repos/austinsasko/PyGithub"
    fake_github.add(f"{repo}/pulls", [listed(corpus_json("rest-pulls-austinsasko-21-merged.json"))])
    fake_github.add(f"{repo}/pulls/21/commits", data("pulls-21-commits.json"))
    fake_github.add(f"{repo}/pulls/21/reviews", [])
    return service_create(slug="austin", name="Austin", repository="austinsasko/PyGithub")
