"""The scale-out tier through the commands: tiers.toml with its example turned on (a fifth tier),
`tier tiers`, `tier apply --tier scale-out` / `--tier pro`, `tier check`, on real files."""

from __future__ import annotations

import json
from pathlib import Path

import cli_project
import pytest
from dates import RECENT
from tier_targets import with_scale_out

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = cli_project.EXAMPLE
SCALING = (
    b"    scaling:\n      minInstances: 2\n      maxInstances: 6\n      targetCPUPercent: 70\n"
)


@pytest.fixture
def project(project: Path) -> Path:
    """The shared project, its tiers.toml with the scale-out example on."""
    (project / "tiers.toml").write_text(with_scale_out(), "utf-8")
    return project


def run(*args: str) -> tuple[int, str, str]:
    return cli_project.run(*args, env={"COLUMNS": "200"})


def test_the_shipped_file_has_four_tiers_and_the_example_off(tmp_path: Path) -> None:
    shutil_free = (ROOT / "tiers.toml").read_text("utf-8")
    assert "# [tier.web.scaling]" in shutil_free
    (tmp_path / "tiers.toml").write_text(shutil_free, "utf-8")
    code, out, _ = run("tiers", "--json", "--tiers", str(tmp_path / "tiers.toml"))
    assert code == 0
    assert [t["name"] for t in json.loads(out)["tiers"]] == ["free", "starter", "pro", "pro+redis"]


def test_tiers_shows_the_fifth_tier(project: Path) -> None:
    code, out, _ = run("tiers", "--json")
    assert code == 0
    tiers = json.loads(out)["tiers"]
    assert [t["name"] for t in tiers] == ["free", "starter", "pro", "pro+redis", "scale-out"]
    assert tiers[4]["web"] == {
        "scaling": {"minInstances": 2, "maxInstances": 6, "targetCPUPercent": 70}
    }
    assert tiers[2]["web"] == {}
    assert (tiers[3]["catalogue_usd"], tiers[4]["catalogue_usd"]) == (180, 265)  # 2 instances
    code, out, _ = run("tiers")
    assert code == 0
    (row,) = [line for line in out.splitlines() if line.startswith("| scale-out ")]
    assert "| concurrent_users >= 300 " in row and "| pro + scaling |" in row


def test_apply_scale_out_then_pro_writes_and_removes_the_block(project: Path) -> None:
    path = project / "render.yaml"
    assert run("apply", "--tier", "pro")[0] == 0
    on_pro = path.read_bytes()
    assert b"scaling" not in on_pro

    code, out, err = run("apply", "--tier", "scale-out")
    assert (code, out) == (0, "")
    scaled = path.read_bytes()
    assert scaled.count(SCALING) == 1
    plan_line = b"    plan: pro  # free -> starter -> pro, as the app grows\n"
    assert plan_line + SCALING in scaled
    block = "{minInstances: 2, maxInstances: 6, targetCPUPercent: 70}"
    assert f"api scaling (not set) -> {block}" in err
    assert "cache keyvalue service added" in err
    assert "6 instances" in err and "[connection-budget]" in err  # maxInstances counted
    code, out, again = run("apply", "--tier", "scale-out")  # idempotent: only the budget again
    assert (code, out, path.read_bytes()) == (0, "", scaled)
    assert again.count("\n") == 1 and "[connection-budget]" in again
    assert path.read_bytes() == scaled

    code, _, err = run("apply", "--tier", "pro")
    assert code == 0 and "api scaling removed" in err
    unscaled = path.read_bytes()
    assert unscaled == scaled.replace(SCALING, b"")
    assert b"scaling" not in unscaled
    code, _, err = run("apply", "--tier", "pro")  # idempotent (the leftover Key Value note only)
    assert code == 0 and "scaling" not in err
    assert path.read_bytes() == unscaled


def test_apply_dry_run_shows_the_block(project: Path) -> None:
    code, out, _ = run("apply", "--tier", "scale-out", "--dry-run")
    assert code == 0
    assert "+    scaling:\n+      minInstances: 2\n+      maxInstances: 6\n" in out
    assert (project / "render.yaml").read_bytes() == EXAMPLE


def test_check_compares_the_managed_fields(project: Path) -> None:
    load = {"collected_at": RECENT, "metrics": {"concurrent_users": 400}}
    (project / "m.json").write_text(json.dumps(load), "utf-8")
    assert run("apply", "--tier", "scale-out")[0] == 0
    code, out, _ = run("check", "--metrics", "m.json")
    assert (code, out.splitlines()[0]) == (0, "render.yaml: on tier scale-out, in sync")
    assert "[price-differs]" not in out  # the shipped scale-out example states no price of its own
    text = (project / "render.yaml").read_bytes()
    (project / "render.yaml").write_bytes(text.replace(b"maxInstances: 6", b"maxInstances: 3"))
    code, out, _ = run("check", "--metrics", "m.json")
    assert code == 1
    assert "render.yaml:12: api scaling.maxInstances 3 -> 6" in out
    assert out.rstrip().endswith("Fix: tier apply --tier scale-out")
    (project / "render.yaml").write_bytes(text.replace(SCALING, b""))
    code, out, _ = run("check", "--metrics", "m.json", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["current"] == "pro+redis" and data["target"] == "scale-out"
    assert [d["text"] for d in data["differences"]] == [
        "api scaling (not set) -> {minInstances: 2, maxInstances: 6, targetCPUPercent: 70}"
    ]


def test_scale_out_on_a_service_with_a_disk_exits_3_untouched(project: Path) -> None:
    disk = EXAMPLE.replace(
        b"    healthCheckPath: /health\n",
        b"    healthCheckPath: /health\n    disk:\n      name: data\n      mountPath: /data\n",
    )
    (project / "render.yaml").write_bytes(disk)
    code, out, err = run("apply", "--tier", "scale-out")
    assert (code, out) == (3, "")
    assert err.startswith("tier: error: render.yaml:14:5: tier `scale-out` sets scaling, but")
    assert "Render does not autoscale a service with a disk" in err and err.count("\n") == 1
    assert (project / "render.yaml").read_bytes() == disk


def test_a_bad_web_field_is_a_config_error(project: Path) -> None:
    text = (project / "tiers.toml").read_text("utf-8")
    (project / "tiers.toml").write_text(text + '\n[tier.web]\nstartCommand = "x"\n', "utf-8")
    code, _, err = run("apply", "--tier", "pro")
    assert code == 2
    assert "tier[scale-out].web.startCommand: is not a field a tier may set" in err
    assert (project / "render.yaml").read_bytes() == EXAMPLE
