import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from checklists.definitions import ChecklistError, builtin_checklist, builtin_names, checklist_parse

GOOD = """---
version: 3
title: Payments release checklist
items:
  - id: coverage
    title: Coverage >= 80%
    gate: coverage.line_pct >= 80
    soc2: [CC8.1]
  - id: dba
    title: DBA signed off
    manual: {owner: release-managers, evidence_link: true}
---
# Prose

Rendered on the page.
"""


def test_builtin_release_v1_reproduces_the_pipeline_checklist():
    checklist = builtin_checklist("release-v1")
    assert checklist.version == 1 and builtin_names() == ["release-v1"]
    ids = [item.id for item in checklist.items]
    assert ids == ["coverage", "sast", "image-scan", "sbom-attested", "policy", "contract", "canary-plan",
                   "rollback-validated", "dba-expand"]  # fmt: skip
    assert [item.is_manual for item in checklist.items].count(True) == 3
    assert all(item.soc2 for item in checklist.items)
    assert "If it's in a wiki" in checklist.prose


def test_parse_a_good_file():
    checklist = checklist_parse(GOOD, name="release-v3")
    assert checklist.title == "Payments release checklist"
    assert checklist.items[1].owner == "release-managers" and checklist.items[1].evidence_link
    assert checklist.prose.startswith("# Prose") and checklist.warnings == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no front matter", "must start with YAML front matter"),
        ("---\nversion: 1\n", "not closed"),
        ("---\n[unclosed\n---\n", "not valid YAML"),
        ("---\nversion: 1\nitems: []\n---\n", "non-empty list"),
        ("---\nversion: 1\nitems:\n  - id: a\n    title: A\n    gate: coverage.line_pct >=\n---\n", "CEL syntax error"),
        ("---\nversion: 1\nitems:\n  - id: a\n    title: A\n    gate: covrage.line_pct > 1\n---\n",
         "item 1 (a): unknown evidence field covrage.line_pct at column 1"),
        ("---\nversion: 1\nitems:\n  - id: a\n    title: A\n"
         "    gate: tests.failures == 0 && sast.by_severity.urgent == 0\n---\n",
         "unknown evidence field sast.by_severity.urgent at column 24"),
        ("---\nversion: 1\nitems:\n  - id: a\n    title: A\n---\n", "exactly one of gate"),
        ("---\nversion: 1\nitems:\n  - id: a\n    title: A\n    manual: {owner: interns}\n---\n", "manual.owner"),
        ("---\nversion: 1\nitems:\n  - {id: a, title: A, gate: tests.tests > 0}\n"
         "  - {id: a, title: B, gate: tests.tests > 0}\n---\n", "duplicate id"),
        ("---\nversion: 2\nitems:\n  - {id: a, title: A, gate: tests.tests > 0}\n---\n", "declares version 2"),
    ],
)  # fmt: skip
def test_problems_name_the_item_and_position(text, problem):
    with pytest.raises(ChecklistError) as excinfo:
        checklist_parse(text, name="release-v1")
    assert any(problem in p for p in excinfo.value.problems), excinfo.value.problems


def test_lint_command_ok_prints_pr_snippet(tmp_path, capsys):
    path = tmp_path / "release-v3.md"
    path.write_text(GOOD)
    call_command("checklist_lint", str(path))
    out = capsys.readouterr().out
    assert "OK: release-v3 v3, 2 items (1 gates)" in out
    assert "### Release checklist (link: checklists/release-v3.md)" in out
    assert "- [ ] Coverage >= 80% (CI gate)" in out and "- [ ] DBA signed off\n" in out + "\n"


def test_lint_command_errors_and_long_checklist_warning(tmp_path, capsys):
    bad = tmp_path / "release-v1.md"
    bad.write_text("---\nversion: 1\nitems:\n  - {id: a, title: A, gate: nope.x > 1}\n---\n")
    with pytest.raises(CommandError, match="1 error"):
        call_command("checklist_lint", str(bad))
    assert "unknown evidence field nope.x" in capsys.readouterr().err
    items = "\n".join(f"  - {{id: g{i}, title: G{i}, gate: tests.tests > 0}}" for i in range(11))
    long = tmp_path / "release-v2.md"
    long.write_text(f"---\nversion: 2\nitems:\n{items}\n---\n")
    call_command("checklist_lint", str(long))
    assert "long checklists are a smell" in capsys.readouterr().err
    with pytest.raises(CommandError, match="no such file"):
        call_command("checklist_lint", str(tmp_path / "missing.md"))
