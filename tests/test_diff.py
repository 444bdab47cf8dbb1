"""`tier diff --base REF`: the monthly cost of render.yaml at a git ref and now, per resource.

One table of edits a person makes to a committed render.yaml, each with the change of the total
and of the resource it touches; every JSON output validated against `tier schema diff`.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest
from cli_project import run
from contract import valid

from tier_cli.config.catalogue import load_catalogue

BASE = """\
services:
  - type: web
    name: api
    runtime: python
    plan: starter
    startCommand: uvicorn main:app
  - type: worker
    name: jobs
    runtime: python
    plan: starter
    disk:
      name: data
      mountPath: /data
      sizeGB: 10
databases:
  - name: db
    plan: basic-256mb
    diskSizeGB: 15
"""
# web 7 + worker 7 + disk 10 x 0.25 + postgres 6 + 15 x 0.3
BASE_USD = 7 + 7 + 10 * 0.25 + 6 + 15 * 0.3


def git(folder: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(folder)}
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "render.yaml").write_text(BASE, "utf-8")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "render.yaml")
    git(tmp_path, "commit", "-q", "-m", "base")
    monkeypatch.chdir(tmp_path)
    return tmp_path


class Edit(NamedTuple):
    id: str
    old: str
    new: str
    delta: float  # the total's change, $/month
    resource: str  # the row that changes
    change: str  # added, removed, changed


ADD = "databases:\n"
EDITS = [
    Edit("web plan up", "plan: starter\n    startCommand", "plan: pro\n    startCommand", 78, "api", "changed"),  # noqa: E501
    Edit("web instances", "startCommand: uvicorn main:app\n", "startCommand: uvicorn main:app\n    numInstances: 3\n", 14, "api", "changed"),  # noqa: E501
    Edit("web scaling range", "startCommand: uvicorn main:app\n", "startCommand: uvicorn main:app\n    scaling:\n      minInstances: 2\n      maxInstances: 5\n      targetCPUPercent: 70\n", 7, "api", "changed"),  # noqa: E501
    Edit("worker disk grows", "sizeGB: 10", "sizeGB: 30", 5, "jobs", "changed"),
    Edit("worker removed", "  - type: worker\n    name: jobs\n    runtime: python\n    plan: starter\n    disk:\n      name: data\n      mountPath: /data\n      sizeGB: 10\n", "", -9.5, "jobs", "removed"),  # noqa: E501
    Edit("private service, default plan", ADD, "  - type: pserv\n    name: internal\n    runtime: python\n" + ADD, 7, "internal", "added"),  # noqa: E501
    Edit("worker on standard", ADD, "  - type: worker\n    name: w2\n    runtime: docker\n    plan: standard\n" + ADD, 25, "w2", "added"),  # noqa: E501
    Edit("cron job: price unknown", ADD, "  - type: cron\n    name: nightly\n    runtime: python\n    plan: starter\n    schedule: '0 0 * * *'\n" + ADD, 0, "nightly", "added"),  # noqa: E501
    Edit("static site", ADD, "  - type: web\n    name: site\n    runtime: static\n" + ADD, 0, "site", "added"),  # noqa: E501
    Edit("key value", ADD, "  - type: keyvalue\n    name: cache\n    plan: starter\n    ipAllowList: []\n" + ADD, 10, "cache", "added"),  # noqa: E501
    Edit("key value, legacy redis type", ADD, "  - type: redis\n    name: cache\n    ipAllowList: []\n" + ADD, 10, "cache", "added"),  # noqa: E501
    Edit("database plan and disk", "plan: basic-256mb\n    diskSizeGB: 15", "plan: pro-4gb\n    diskSizeGB: 100", 55 + 30 - 6 - 4.5, "db", "changed"),  # noqa: E501
    Edit("database default disk", "    diskSizeGB: 15\n", "    diskSizeGB: 20\n", 1.5, "db", "changed"),  # noqa: E501
    Edit("second database", "    diskSizeGB: 15\n", "    diskSizeGB: 15\n  - name: analytics\n    plan: basic-1gb\n", 19 + 4.5, "analytics", "added"),  # noqa: E501
]  # fmt: skip


@pytest.mark.parametrize("edit", EDITS, ids=[e.id for e in EDITS])
def test_each_billed_change_has_its_cost(repo: Path, edit: Edit) -> None:
    assert edit.old in BASE
    (repo / "render.yaml").write_text(BASE.replace(edit.old, edit.new, 1), "utf-8")
    code, out, err = run("diff", "--base", "main", "--json")
    assert (code, err) == (0, "")
    data = valid("diff", out)
    assert data["monthly_usd"]["before"] == BASE_USD
    assert data["monthly_usd"]["delta"] == pytest.approx(edit.delta)
    assert data["monthly_usd"]["after"] == pytest.approx(BASE_USD + edit.delta)
    changed = {s["name"]: s["change"] for s in data["services"] if s["change"] != "same"}
    assert changed == {edit.resource: edit.change}


def test_no_change_is_no_billed_change(repo: Path) -> None:
    code, out, _ = run("diff", "--base", "main")
    assert code == 0
    assert out == (
        "monthly cost of render.yaml: $27 at main -> $27 now ($0/month)\n  no billed change\n"
    )
    code, out, _ = run("diff", "--base", "main", "--format", "markdown")
    assert "No billed change" in out


def test_a_scaling_range_gives_the_highest_figure_too(repo: Path) -> None:
    new = "startCommand: uvicorn main:app\n    scaling:\n      minInstances: 2\n      maxInstances: 5\n      targetCPUPercent: 70\n"  # noqa: E501
    (repo / "render.yaml").write_text(BASE.replace("startCommand: uvicorn main:app\n", new))
    data = valid("diff", run("diff", "--base", "main", "--json")[1])
    assert data["max_monthly_usd"] == {"before": BASE_USD, "after": BASE_USD + 28, "delta": 28}
    api = next(s for s in data["services"] if s["name"] == "api")
    assert api["after"]["instances"] == [2, 5]


def test_a_cron_job_makes_the_total_a_floor_and_says_why(repo: Path) -> None:
    cron = "  - type: cron\n    name: nightly\n    runtime: python\n    schedule: '@daily'\n"
    (repo / "render.yaml").write_text(BASE.replace(ADD, cron + ADD))
    code, out, _ = run("diff", "--base", "main")
    assert code == 0
    assert out.splitlines()[0] == (
        "monthly cost of render.yaml: $27 at main -> at least $27 now ($0/month)"
    )
    assert out.splitlines()[-1] == (
        "not counted, no known price: nightly (cron starter) (a cron job is billed by the time "
        "it runs)"
    )


def test_a_new_render_yaml_cost_nothing_before(repo: Path) -> None:
    (repo / "sub").mkdir()
    (repo / "sub" / "render.yaml").write_text(BASE, "utf-8")
    data = valid("diff", run("diff", "--base", "main", "--render", "sub/render.yaml", "--json")[1])
    assert data["monthly_usd"] == {"before": 0, "after": BASE_USD, "delta": BASE_USD}
    assert {s["change"] for s in data["services"]} == {"added"}


def test_the_base_is_read_at_the_ref_not_from_the_working_tree(repo: Path) -> None:
    """Two commits: --base HEAD~1 reads the first, whatever the working tree holds."""
    (repo / "render.yaml").write_text(BASE.replace("plan: basic-256mb", "plan: basic-1gb"))
    git(repo, "commit", "-q", "-am", "db up")
    _, out, _ = run("diff", "--base", "HEAD~1", "--json")
    assert valid("diff", out)["monthly_usd"]["delta"] == 13
    assert valid("diff", run("diff", "--base", "HEAD", "--json")[1])["monthly_usd"]["delta"] == 0


@pytest.mark.parametrize(("limit", "code"), [("77.99", 1), ("78", 0), ("100", 0)])
def test_max_increase_is_a_policy(repo: Path, limit: str, code: int) -> None:
    (repo / "render.yaml").write_text(
        BASE.replace("plan: starter\n    startCommand", "plan: pro\n    startCommand")
    )
    got, out, err = run("diff", "--base", "main", "--max-increase", limit, "--quiet")
    assert got == code
    assert out == "monthly cost of render.yaml: $27 at main -> $105 now (+$78/month)\n"
    assert err == (
        ""
        if code == 0
        else f"tier: the monthly cost rises by $78.00, more than --max-increase {float(limit):g}\n"
    )


def test_tiers_toml_prices_override_the_catalogue(repo: Path) -> None:
    shipped = (Path(__file__).resolve().parents[1] / "tiers.toml").read_text()
    (repo / "tiers.toml").write_text(shipped.replace("[prices.web]\n", "[prices.web]\npro = 100\n"))
    (repo / "render.yaml").write_text(
        BASE.replace("plan: starter\n    startCommand", "plan: pro\n    startCommand")
    )
    assert valid("diff", run("diff", "--base", "main", "--json")[1])["monthly_usd"]["delta"] == 93


BAD = [
    (
        ["--base", "nope"],
        "tier: error: cannot find --base nope (no such commit here). Tip: fetch it first (git fetch origin nope), or name a branch, tag or commit\n",  # noqa: E501
    ),
    (
        ["--base", "--upload-pack=x"],
        "tier: error: --base '--upload-pack=x': not a git ref. Tip: a branch, tag or commit (main)\n",  # noqa: E501
    ),
    (
        ["--base", "main", "--format", "html"],
        "tier: error: --format html: unknown format. Tip: use one of text, json, markdown\n",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=["unknown ref", "option as ref", "format"])
def test_bad_input_is_one_line_and_exit_2(repo: Path, args: list[str], message: str) -> None:
    code, out, err = run("diff", *args)
    assert (code, out, err) == (2, "", message)


def test_a_render_yaml_outside_the_repository_is_refused(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "render.yaml"
    outside.write_text(BASE)
    link = repo / "linked.yaml"
    link.symlink_to(outside)
    code, out, err = run("diff", "--base", "main", "--render", str(link))
    # Issue 17: a render.yaml that leads out of the project through a link is refused before
    # it is read, as every command refuses it (exit 3, the code of render.yaml's problems).
    assert (code, out) == (3, "")
    assert "outside the project" in err


def test_markdown_is_inert(repo: Path) -> None:
    evil = (
        '  - type: keyvalue\n    name: "@team [x](https://e.example) <b>|"\n    ipAllowList: []\n'
    )
    (repo / "render.yaml").write_text(BASE.replace(ADD, evil + ADD))
    code, out, _ = run("diff", "--base", "main", "--format", "markdown")
    assert code == 0
    assert out.startswith("### tier: monthly cost of `render.yaml`: $27 -> **$37** (+$10/month)")
    assert re.search(r"(?<!\\)<b>", out) is None and "](https" not in out
    assert "\\<b>\\|" in out  # escaped where render.yaml's text goes (escape.markdown)
    assert f"tier's Render catalogue of {load_catalogue().as_of}" in out


def test_outside_any_repository_git_is_not_asked_to_read(tmp_path: Path) -> None:
    from tier_cli.errors import ConfigError
    from tier_cli.gitref import read_at_ref

    (tmp_path / "render.yaml").write_text(BASE)
    env_ceiling = os.environ.get("GIT_CEILING_DIRECTORIES")
    os.environ["GIT_CEILING_DIRECTORIES"] = str(tmp_path.parent)  # no repository above it
    try:
        with pytest.raises(ConfigError) as caught:
            read_at_ref(tmp_path / "render.yaml", "main", 1_000_000)
    finally:
        if env_ceiling is None:
            del os.environ["GIT_CEILING_DIRECTORIES"]
        else:
            os.environ["GIT_CEILING_DIRECTORIES"] = env_ceiling
    assert str(caught.value).startswith("cannot find the repository (fatal: not a git repository")
