"""Warnings as values: codes in every output, `[warnings] ignore`, `--quiet`, and the registry."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_project import run, snapshot

from tier_cli.notices import CODES, Notice, notice, unique

ROOT = Path(__file__).resolve().parents[1]
# The shipped example (free tier) and a snapshot that calls for starter: the size warning of a
# belief added to the starter tier (the guide's 2 GB against Render's 512 MB) shows in every
# format; `apply`, which makes no recommendation, shows its own notes (no database in the
# file: `no-database`).
LOAD = {"users": 2400, "active_users": 812, "concurrent_users": 31, "db_size_mb": 120}


@pytest.fixture
def project(project: Path) -> Path:
    """The shared project, with a snapshot (m.json), a render.yaml without databases, and a
    belief (the guide's web_ram_gb) in tiers.toml, since the shipped tiers state none."""
    shipped = (project / "tiers.toml").read_text("utf-8")
    belief = "storage_gb = 10\nweb_ram_gb = 2  # the guide's starter: 2 GB (Render: 512 MB)\n"
    (project / "tiers.toml").write_text(shipped.replace("storage_gb = 10\n", belief), "utf-8")
    snapshot(project / "m.json", **LOAD)
    text = (project / "render.yaml").read_text("utf-8")
    (project / "nodb.yaml").write_text(text[: text.index("\ndatabases:")] + "\n", "utf-8")
    return project


def _codes_in(text: str) -> set[str]:
    return set(re.findall(r"\[([a-z0-9-]+)\]", text)) & set(CODES)


def ignore(project: Path, *codes: str) -> None:
    path = project / "tiers.toml"
    listed = ", ".join(f'"{c}"' for c in codes)
    path.write_text(f"[warnings]\nignore = [{listed}]\n\n" + path.read_text("utf-8"), "utf-8")


SIZE = "size-differs"
COMMANDS = [
    pytest.param(("recommend", "--metrics", "m.json"), "stdout", SIZE, id="recommend-text"),
    pytest.param(("recommend", "--metrics", "m.json", "--json"), "json", SIZE, id="recommend-json"),
    pytest.param(("check", "--metrics", "m.json"), "stdout", SIZE, id="check-text"),
    pytest.param(
        ("check", "--metrics", "m.json", "--format", "json"), "json", SIZE, id="check-json"
    ),
    pytest.param(
        ("check", "--metrics", "m.json", "--format", "github"), "stdout", SIZE, id="github"
    ),
    pytest.param(
        ("check", "--metrics", "m.json", "--summary", "s.md"), "summary", SIZE, id="summary"
    ),
    pytest.param(
        ("apply", "--tier", "starter", "--dry-run", "--render", "nodb.yaml"),
        "stderr",
        "no-database",
        id="apply",
    ),
    pytest.param(("tiers",), "stdout", SIZE, id="tiers-text"),
    pytest.param(("tiers", "--json"), "tiers-json", SIZE, id="tiers-json"),
]


def _codes(project: Path, args: tuple[str, ...], where: str) -> set[str]:
    code, out, err = run(*args)
    assert code in (0, 1), err
    if where == "json":
        return {w["code"] for w in json.loads(out)["warnings"]}
    if where == "tiers-json":
        return {w["code"] for t in json.loads(out)["tiers"] for w in t["warnings"]}
    if where == "summary":
        return _codes_in((project / "s.md").read_text("utf-8"))
    return _codes_in(out if where == "stdout" else err)


@pytest.mark.parametrize(("args", "where", "shown"), COMMANDS)
def test_every_output_shows_codes_and_ignore_removes_them(
    project: Path, args: tuple[str, ...], where: str, shown: str
) -> None:
    before = _codes(project, args, where)
    assert shown in before
    (project / "s.md").unlink(missing_ok=True)
    ignore(project, shown)
    after = _codes(project, args, where)
    assert shown not in after
    assert after == before - {shown}


def test_json_warnings_are_objects_with_code_severity_message_line(project: Path) -> None:
    code, out, _ = run("recommend", "--metrics", "m.json", "--json")
    assert code == 0
    warnings = json.loads(out)["warnings"]
    assert warnings and all(
        set(w) == {"code", "severity", "message", "file", "line"} for w in warnings
    )
    assert all(w["severity"] == CODES[w["code"]][0] for w in warnings)
    size = next(w for w in warnings if w["code"] == "size-differs")
    assert size["file"] == "tiers.toml" and "web_ram_gb = 2" in size["message"]


def test_github_annotations_use_the_severity(project: Path) -> None:
    path = project / "tiers.toml"
    path.write_text(
        path.read_text("utf-8").replace("\n[decision]\n", '\n[decision]\npin = "free"\n'), "utf-8"
    )
    code, out, _ = run("check", "--metrics", "m.json", "--format", "github")
    assert code == 0
    assert "::notice file=tiers.toml,title=tier [tier-pinned]::pinned to free" in out
    assert "::notice file=tiers.toml,title=tier [price-differs]::tiers.toml: tier free" not in out
    assert "::notice file=tiers.toml,title=tier [free-postgres-expires]::tiers.toml: tier free" in (
        out
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(("recommend", "--metrics", "m.json", "--quiet"), "starter\n", id="recommend"),
        pytest.param(
            ("check", "--metrics", "m.json", "--quiet"),
            "render.yaml: not on tier starter (now: free; recommended: starter)\n",
            id="check",
        ),
    ],
)
def test_quiet_prints_only_the_result_line(
    project: Path, args: tuple[str, ...], expected: str
) -> None:
    code, out, err = run(*args)
    assert (code, out, err) == (0 if args[0] == "recommend" else 1, expected, "")


def test_quiet_apply_prints_only_the_changes(project: Path) -> None:
    code, out, err = run("apply", "--tier", "starter", "--quiet")
    assert code == 0 and out == ""
    assert err.count("\n") == 1 and err.startswith("render.yaml: api plan free -> starter")


def test_unique_keeps_order_drops_repeats_and_ignored() -> None:
    a = notice("price-differs", "a")
    b = notice("size-differs", "b")
    again = Notice("price-differs", "a", "notice", "tiers.toml", 3)  # same code and message
    assert unique([a, b, again, a]) == (a, b)
    assert unique([a, b], ignore=["size-differs"]) == (a,)


def test_an_unregistered_code_is_a_bug() -> None:
    with pytest.raises(KeyError):
        notice("no-such-code", "x")


def test_the_warnings_reference_lists_every_code_once() -> None:
    reference = (ROOT / "docs" / "warnings.md").read_text("utf-8")
    for code in CODES:
        assert reference.count(f"`{code}`") == 1, code


def test_every_registered_code_is_raised_somewhere() -> None:
    sources = "\n".join(p.read_text("utf-8") for p in (ROOT / "tier_cli").rglob("*.py"))
    unused = [c for c in CODES if sources.count(f'"{c}"') < 2]  # the registry row + a use
    assert unused == []
