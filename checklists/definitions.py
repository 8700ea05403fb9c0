"""Checklist files: ``release-vN.md`` = YAML front matter (version, title, items) + Markdown prose.

Built-in definitions live in ``checklists/definitions/``; a service may keep its own
``checklists/release-vN.md`` in its repository (read at the release's commit through GitHub).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from access.roles import ALL_ROLES
from checklists.gates import GateError, gate_compile, gate_fields

BUILTIN_DIR = Path(__file__).resolve().parent / "definitions"
NAME_RE = re.compile(r"^release-v(\d+)$")
ITEM_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
LONG_CHECKLIST = 10


class ChecklistError(Exception):
    """A checklist file that cannot be used; ``problems`` lists every error found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    title: str
    gate: str = ""
    owner: str = ""  # the role that signs off a manual item
    evidence_link: bool = False
    soc2: tuple[str, ...] = ()

    @property
    def is_manual(self) -> bool:
        return not self.gate


@dataclass(frozen=True)
class Checklist:
    name: str  # release-vN
    version: int
    title: str
    items: tuple[ChecklistItem, ...]
    prose: str = ""
    source: str = "builtin"
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _split(text: str) -> tuple[str, str]:
    if not text.startswith("---"):
        raise ChecklistError(["the file must start with YAML front matter between --- lines"])
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise ChecklistError(["the YAML front matter is not closed by a --- line"])
    front = parts[0][3:]
    prose = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    return front, prose


def checklist_parse(text: str, *, name: str = "", source: str = "builtin") -> Checklist:
    """Parse and validate a checklist file; raises ChecklistError naming every problem (item and position)."""
    front, prose = _split(text)
    try:
        data = yaml.safe_load(front) or {}
    except yaml.YAMLError as exc:
        raise ChecklistError([f"front matter is not valid YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise ChecklistError(["front matter must be a mapping with version, title and items"])
    problems: list[str] = []
    version = data.get("version")
    if not isinstance(version, int) or version < 1:
        problems.append("version must be a positive integer")
        version = 0
    if name and NAME_RE.match(name) and version and int(NAME_RE.match(name)[1]) != version:
        problems.append(f"file {name} declares version {version}")
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        problems.append("items must be a non-empty list")
        raw_items = []
    items: list[ChecklistItem] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_items, start=1):
        where = f"item {index}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        item_id = str(raw.get("id", ""))
        where = f"item {index} ({item_id or 'no id'})"
        if not ITEM_ID_RE.match(item_id):
            problems.append(f"{where}: id must be lowercase letters, digits and dashes")
        elif item_id in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(item_id)
        title = str(raw.get("title", "")).strip()
        if not title:
            problems.append(f"{where}: title is required")
        gate, manual = raw.get("gate"), raw.get("manual")
        if bool(gate) == bool(manual):
            problems.append(f"{where}: needs exactly one of gate (a CEL expression) or manual (owner, evidence_link)")
            continue
        soc2 = raw.get("soc2") or []
        if not isinstance(soc2, list) or not all(isinstance(c, str) for c in soc2):
            problems.append(f"{where}: soc2 must be a list of criteria like CC8.1")
            soc2 = []
        if gate:
            try:
                gate_compile(str(gate))
                unknown = gate_fields(str(gate)).unknown
            except GateError as exc:
                problems.append(f"{where}: {exc}")
                continue
            for path, position in unknown:
                problems.append(f"{where}: unknown evidence field {path} at column {position + 1}")
            items.append(ChecklistItem(id=item_id, title=title, gate=str(gate), soc2=tuple(soc2)))
        else:
            if not isinstance(manual, dict) or manual.get("owner") not in ALL_ROLES:
                problems.append(f"{where}: manual.owner must be one of {', '.join(ALL_ROLES)}")
                continue
            items.append(ChecklistItem(id=item_id, title=title, owner=manual["owner"],
                                       evidence_link=bool(manual.get("evidence_link")), soc2=tuple(soc2)))  # fmt: skip
    if problems:
        raise ChecklistError(problems)
    warnings = []
    if len(items) > LONG_CHECKLIST:
        warnings.append(f"{len(items)} items: long checklists are a smell; add gates, not homework")
    return Checklist(name=name or f"release-v{version}", version=version, title=str(data.get("title") or name),
                     items=tuple(items), prose=prose.strip(), source=source, warnings=tuple(warnings))  # fmt: skip


def builtin_checklist(name: str) -> Checklist | None:
    path = BUILTIN_DIR / f"{name}.md"
    if not NAME_RE.match(name) or not path.is_file():
        return None
    return checklist_parse(path.read_text(), name=name, source="builtin")


def builtin_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("release-v*.md"))


def pr_template_snippet(checklist: Checklist) -> str:
    lines = [f"### Release checklist (link: checklists/{checklist.name}.md)"]
    for item in checklist.items:
        suffix = " (CI gate)" if item.gate and "(CI gate)" not in item.title else ""
        lines.append(f"- [ ] {item.title}{suffix}")
    return "\n".join(lines)
