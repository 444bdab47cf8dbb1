"""The documentation holds together: a short README, links that lead somewhere, and the README
sections that tier's own messages and files send the reader to."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from repo_files import ROOT

PAGES = [
    ROOT / "README.md",
    ROOT / "CONTRIBUTING.md",
    ROOT / "benchmarks" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text("utf-8"), flags=re.M | re.S)
    return {slug(h) for h in re.findall(r"^#+ (.*)$", text, flags=re.M)}


def links(page: Path) -> list[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text("utf-8"), flags=re.M | re.S)
    return [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if "://" not in t]


def test_the_readme_is_at_most_350_lines() -> None:
    assert len((ROOT / "README.md").read_text("utf-8").splitlines()) <= 350


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_leads_to_a_file_and_heading(page: Path) -> None:
    broken = []
    for target in links(page):
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists() or (anchor and anchor not in anchors(dest)):
            broken.append(target)
    assert broken == []


# Sections named by tier's messages (metrics/postgres/guard.py, metrics/initfile.py,
# decide/recommendation.py) and by the comments of the tiers.toml it ships and writes.
CITED = [
    "Your schema",
    "What Render will accept",
    "Running tier in CI safely",
    "Tier fields",
    "Metrics",
]


@pytest.mark.parametrize("title", CITED)
def test_the_readme_has_the_sections_tier_points_to(title: str) -> None:
    headings = re.findall(r"^#+ (.*)$", (ROOT / "README.md").read_text("utf-8"), flags=re.M)
    assert title in headings
