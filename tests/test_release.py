"""Release-ready: the distribution's metadata, LICENSE, the sdist and wheel it builds, the
version from a git tag (and without one), and the release workflow."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from repo_files import ROOT, copy_of_this_repo
from ruamel.yaml import YAML
from test_workflows import actionlint

from tier_cli import DISTRIBUTION

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
PROJECT = PYPROJECT["project"]
RELEASE = ROOT / ".github" / "workflows" / "release.yml"


def test_the_distribution_name_is_the_one_tier_names() -> None:
    assert PROJECT["name"] == DISTRIBUTION == "render-tier"
    assert PROJECT["scripts"] == {"tier": "tier_cli.launch:main"}  # the command stays `tier`


def test_the_build_can_write_the_license_metadata() -> None:
    """`license = "MIT"` (PEP 639) needs setuptools 77 or later to build."""
    requires = PYPROJECT["build-system"]["requires"]
    assert "setuptools>=77" in requires and any(r.startswith("setuptools-scm") for r in requires)
    assert PROJECT["license"] == "MIT" and PROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text("utf-8").startswith("MIT License\n")


def test_metadata_has_urls_classifiers_and_a_dynamic_version() -> None:
    assert PROJECT["dynamic"] == ["version"] and "version" not in PROJECT
    assert set(PROJECT["urls"]) >= {"Homepage", "Source", "Issues", "Changelog"}
    versions = {c.rsplit(" ", 1)[-1] for c in PROJECT["classifiers"] if "Python :: 3." in c}
    assert versions == {"3.11", "3.12", "3.13"}
    assert PROJECT["requires-python"] == ">=3.11"
    assert PYPROJECT["tool"]["setuptools_scm"]["fallback_version"]


def test_the_changelog_has_an_unreleased_section() -> None:
    text = (ROOT / "CHANGELOG.md").read_text("utf-8")
    assert text.startswith("# Changelog\n") and "\n## Unreleased\n" in text


def test_the_release_workflow_builds_on_a_tag_and_publishes_with_trusted_publishing() -> None:
    data = YAML(typ="safe").load(RELEASE.read_text("utf-8"))
    assert data["on"] == {"push": {"tags": ["v*"]}}
    assert data["permissions"] == {"contents": "read"}
    build, publish = data["jobs"]["build"], data["jobs"]["publish"]
    assert build["steps"][0]["with"]["fetch-depth"] == 0  # the tags, for setuptools-scm
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"id-token": "write"}  # OIDC: no stored token
    assert publish["environment"]["name"] == "pypi"
    assert publish["steps"][-1]["uses"] == "pypa/gh-action-pypi-publish@release/v1"
    assert "password" not in str(publish)


def test_the_release_workflow_passes_actionlint() -> None:
    proc = actionlint(str(RELEASE))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _build(source: Path, out: Path, pip: dict[str, str], *what: str) -> list[Path]:
    """`python -m build` of `source` (`what`: --sdist, --wheel; none: both, the wheel from the
    sdist, as the release workflow builds them), its build requirements from `pip`'s wheels."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SETUPTOOLS_SCM")}
    env.update(pip)
    proc = subprocess.run(
        [sys.executable, "-m", "build", *what, "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return sorted(out.iterdir())


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


@pytest.mark.slow
def test_a_tagged_checkout_builds_that_version_with_the_license_and_without_tests(
    tmp_path: Path, offline_pip: dict[str, str]
) -> None:
    checkout = copy_of_this_repo(tmp_path / "tier")
    _git(checkout, "init", "-q")
    _git(checkout, "add", "-A")
    _git(checkout, "commit", "-q", "-m", "release")
    _git(checkout, "tag", "v9.8.7")
    wheel, sdist = _build(checkout, tmp_path / "dist", offline_pip)
    assert sdist.name == "render_tier-9.8.7.tar.gz"
    assert wheel.name == "render_tier-9.8.7-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        metadata = z.read("render_tier-9.8.7.dist-info/METADATA").decode()
    assert "render_tier-9.8.7.dist-info/licenses/LICENSE" in names
    assert "tier_cli/data/schemas/tiers.schema.json" in names
    assert "License-Expression: MIT" in metadata
    assert re.search(r"^Project-URL: Source, https://", metadata, re.M)
    with tarfile.open(sdist) as t:
        members = [m.split("/", 1)[1] for m in t.getnames() if "/" in m]
    assert "LICENSE" in members and "CHANGELOG.md" in members
    assert not [m for m in members if m.startswith(("tests/", "benchmarks/", ".github/"))]


@pytest.mark.slow
def test_a_copy_without_git_builds_the_fallback_version(
    tmp_path: Path, offline_pip: dict[str, str]
) -> None:
    """`pip install .` from an archive (no .git, no tag) still works."""
    checkout = copy_of_this_repo(tmp_path / "tier")
    shutil.rmtree(checkout / ".git", ignore_errors=True)
    fallback = PYPROJECT["tool"]["setuptools_scm"]["fallback_version"]
    (wheel,) = _build(checkout, tmp_path / "dist", offline_pip, "--wheel")
    assert wheel.name == f"render_tier-{fallback}-py3-none-any.whl"
