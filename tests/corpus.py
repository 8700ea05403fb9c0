"""Access to ../shared/corpus: real artifacts from real tools. Tests using it skip visibly without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS_DIR = Path(os.environ.get("GATEHOUSE_CORPUS_DIR", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
SKIP_REASON = f"shared corpus not found at {CORPUS_DIR} (present in CI; a plain clone has no ../shared)"


def corpus_file(relative: str) -> Path:
    """Path of one corpus file; skips the test with a visible reason when the corpus is absent."""
    path = CORPUS_DIR / relative
    if not CORPUS_DIR.is_dir():
        pytest.skip(SKIP_REASON)
    assert path.is_file(), f"corpus file {relative} missing: SOURCES.md lists it"
    return path


def corpus_glob(folder: str, pattern: str = "*") -> list[str]:
    """Relative paths of corpus files (for parametrize); empty when the corpus is absent."""
    base = CORPUS_DIR / folder
    if not base.is_dir():
        return []
    return sorted(f"{folder}/{p.name}" for p in base.glob(pattern) if p.is_file())
