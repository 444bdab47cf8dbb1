"""tiers.toml: the shipped file loads as the guide says; every broken file fails with one line."""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from tier_targets import with_scale_out

from tier_cli.config.catalogue import load_catalogue
from tier_cli.config.tiers import Tier, load_config
from tier_cli.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "tiers.toml").read_text("utf-8")
CAT = load_catalogue()


def test_shipped_tiers_follow_the_guide() -> None:
    config = load_config(ROOT / "tiers.toml", CAT)
    assert config.names == ("free", "starter", "pro", "pro+redis")
    got = {
        t.name: (t.web_plan, t.database_plan, dict(t.thresholds), t.keyvalue_plan, t.price_usd)
        for t in config.tiers
    }
    assert got == {
        "free": ("free", "free", {}, None, None),  # the guide's prices: comments only
        "starter": (
            "starter",
            "basic-256mb",  # the guide: "starter", a legacy plan; basic-256mb is its successor
            {"active_users": 500, "concurrent_users": 25},
            None,
            None,
        ),
        "pro": ("pro", "pro-4gb", {"active_users": 5000, "concurrent_users": 100}, None, None),
        "pro+redis": ("pro", "pro-4gb", {"active_users": 10000}, "starter", None),
    }
    assert config.tier("free").start_command == "uvicorn {app} --host 0.0.0.0 --port $PORT"
    assert config.tier("starter").start_command == (
        "gunicorn {app} --workers 2 --worker-class uvicorn_worker.UvicornWorker "
        "--bind 0.0.0.0:$PORT --timeout 120"
    )
    assert config.tier("pro").start_command.startswith(
        "gunicorn {app} --workers 5 --worker-class uvicorn_worker.UvicornWorker "
    )
    assert config.tier("pro").start_command.endswith("--max-requests 1000 --max-requests-jitter 50")
    assert config.tier("pro").start_command == config.tier("pro+redis").start_command
    assert [t.storage_gb for t in config.tiers] == [1, 10, 256, 256]
    assert config.policy.dead_band == 0.2 and config.policy.storage_share == 0.8
    assert config.policy.connections_share == 0.8 and config.database.pool_per_worker == 15
    assert config.database.active_days == 30 and config.database.statement_timeout_ms == 5000


def test_packaged_copy_is_the_shipped_file() -> None:
    assert (ROOT / "tier_cli" / "data" / "tiers.toml").read_text("utf-8") == SHIPPED


def _edit(old: str, new: str, count: int = 1) -> str:
    assert old in SHIPPED, old
    return SHIPPED.replace(old, new, count)


SCALE_OUT = with_scale_out()


def _web(table: str, where: str = "# targetCPUPercent = 70\n") -> str:
    """The scale-out file with `table` (TOML text) after its [tier.web.scaling] table."""
    return with_scale_out(_edit(where, where + table))


ACTIVITY = '[database.activity]\ntable = "activity"\nuser_column = "user_id"\ntime_column = "at"\n'

# (id, tiers.toml text, pattern the one-line message must match)
BROKEN = [
    ("toml-syntax", SHIPPED + "\n[decision\n", r"invalid TOML: .*line \d+"),
    ("unknown-top-key", SHIPPED + "\n[extras]\nx = 1\n", r": extras: unknown key"),
    (
        "unknown-tier-key",
        _edit("storage_gb = 10\n", "storage_gb = 10\nprce = 3\n"),
        r"tier\[starter\]\.prce: unknown key",
    ),
    (
        "wrong-type-threshold",
        _edit("active_users = 500 ", 'active_users = "500" '),
        r"tier\[starter\]\.thresholds\.active_users: must be a number.*Tip: write a bare number",
    ),
    (
        "bool-threshold",
        _edit("active_users = 500 ", "active_users = true "),
        r"active_users: must be a number",
    ),
    ("negative-threshold", _edit("active_users = 500 ", "active_users = -5 "), r"must be above 0"),
    (
        "unknown-metric",
        _edit("active_users = 500 ", "actve_users = 500 "),
        r"tier\[starter\]\.thresholds\.actve_users: unknown metric.*active_users",
    ),
    (
        "no-threshold-on-connections",
        _edit("active_users = 500 ", "db_connections = 80 "),
        r"tier\[starter\]\.thresholds\.db_connections: takes no threshold: it is checked against "
        r"the database plan's limit .*Tip: use one of users, active_users, concurrent_users, "
        r"db_size_mb, slow_query_ms$",
    ),
    (
        "connections-share-out-of-range",
        _edit("connections_share = 0.80", "connections_share = 1.5"),
        r"decision\.connections_share: 1\.5 is not a share",
    ),
    (
        "pool-per-worker-not-whole",
        _edit("pool_per_worker = 15", "pool_per_worker = 2.5"),
        r"database\.pool_per_worker: 2\.5 is not a whole number above 0",
    ),
    (
        "not-rising",
        _edit("active_users = 5000 ", "active_users = 400 "),
        r"tier\[pro\]\.thresholds\.active_users: 400 is not above tier starter's 500",
    ),
    (
        "equal-not-rising",
        _edit("concurrent_users = 100 ", "concurrent_users = 25 "),
        r"tier\[pro\]\.thresholds\.concurrent_users: 25 is not above",
    ),
    (
        "unknown-web-plan",
        _edit('web_plan = "pro"', 'web_plan = "professional"'),
        r"tier\[pro\]\.web_plan: 'professional' is not a Render web plan.*Tip: use one of free",
    ),
    (
        "unknown-db-plan",
        _edit('database_plan = "free"', 'database_plan = "gratis"'),
        r"tier\[free\]\.database_plan: 'gratis' is not a Render postgres plan",
    ),
    (
        "unknown-kv-plan",
        _edit('keyvalue_plan = "starter"', 'keyvalue_plan = "huge"'),
        r"tier\[pro\+redis\]\.keyvalue_plan: 'huge' is not a Render keyvalue plan",
    ),
    (
        "no-app-placeholder",
        _edit('"uvicorn {app} --host', '"uvicorn main:app --host'),
        r"tier\[free\]\.start_command: has no \{app\} placeholder",
    ),
    (
        "other-placeholder",
        _edit('"uvicorn {app} --host', '"uvicorn {app} {module} --host'),
        r"start_command: has a placeholder other than \{app\}",
    ),
    (
        "bad-tier-name",
        _edit('name = "pro+redis"', 'name = "Pro Redis"'),
        r"tier\[3\]\.name: 'Pro Redis' is not a tier name\. Tip: use lowercase letters",
    ),
    (
        "unknown-warning-code",
        _edit("[[tier]]", '[warnings]\nignore = ["no-such-code"]\n\n[[tier]]'),
        r"warnings\.ignore: unknown warning code 'no-such-code'.*legacy-postgres-plan",
    ),
    (
        "warning-codes-not-a-list",
        _edit("[[tier]]", '[warnings]\nignore = "price-differs"\n\n[[tier]]'),
        r"warnings\.ignore: must be a list of warning codes",
    ),
    (
        "duplicate-tier",
        _edit('name = "pro+redis"', 'name = "pro"'),
        r"tier\[pro\]: is declared twice",
    ),
    (
        "no-tiers",
        "tier = []\n",
        r"tier: must be an array of tables",
    ),
    (
        "floor-with-thresholds",
        _edit("storage_gb = 1 ", "storage_gb = 1\nthresholds = {users = 1}\n#"),
        r"tier\[free\]\.thresholds: the first tier is the floor",
    ),
    (
        "missing-web-plan",
        _edit('web_plan = "starter"\n', ""),
        r"tier\[starter\]\.web_plan: is missing",
    ),
    ("no-tiers", "[decision]\nstill_slow_ms = 1\n", r"tier: no tiers declared"),
    (
        "dead-band-not-share",
        _edit("downgrade_dead_band = 0.20", "downgrade_dead_band = 20"),
        r"decision\.downgrade_dead_band: 20 is not a share",
    ),
    (
        "zero-storage-share",
        _edit("storage_share = 0.80", "storage_share = 0"),
        r"decision\.storage_share: 0 is not a share",
    ),
    (
        "zero-storage",
        _edit("storage_gb = 10\n", "storage_gb = 0\n"),
        r"tier\[starter\]\.storage_gb: 0 must be above 0",
    ),
    (
        "window-longer-than-lookback",
        _edit(
            "[database.queries]\n",
            ACTIVITY + "lookback_days = 1\nwindow_minutes = 2000\n\n[database.queries]\n",
        ),
        r"database\.activity\.window_minutes: 2000 minutes is longer than lookback_days",
    ),
    (
        "activity-table-three-parts",
        _edit(
            "[database.queries]\n",
            ACTIVITY.replace('"activity"', '"a.b.c"') + "\n[database.queries]\n",
        ),
        r"database\.activity\.table: 'a\.b\.c' has more than schema\.table",
    ),
    (
        "activity-missing-column",
        _edit(
            "[database.queries]\n",
            '[database.activity]\ntable = "activity"\n\n[database.queries]\n',
        ),
        r"database\.activity\.user_column: is missing",
    ),
    (
        "unknown-query-metric",
        _edit("[database.queries]\n", '[database.queries]\nsessions = "SELECT 1"\n'),
        r"database\.queries\.sessions: unknown metric",
    ),
    (
        "empty-query",
        _edit("[database.queries]\n", '[database.queries]\nusers = ""\n'),
        r"database\.queries\.users: must be a SQL string",
    ),
    (
        "timeout-not-whole",
        _edit("statement_timeout_ms = 5000", "statement_timeout_ms = 0.5"),
        r"database\.statement_timeout_ms: 0\.5 is not a whole number",
    ),
    (
        "app-without-colon",
        _edit('# app = "main:app"', 'app = "main"'),
        r"render\.app: 'main' is not module:attribute",
    ),
    (
        "unknown-price-plan",
        _edit("[prices.web]\n", "[prices.web]\nturbo = 9\n"),
        r"prices\.web\.turbo: unknown web plan",
    ),
    (
        "web-plan-field",
        _web("[tier.web.plan]\nx = 1\n"),
        r"tier\[scale-out\]\.web\.plan: is not a field a tier may set.*Tip: set web_plan",
    ),
    (
        "web-start-command",
        _web('[tier.web]\nstartCommand = "x"\n'),
        r"web\.startCommand: is not a field a tier may set.*Tip: set start_command",
    ),
    (
        "web-unknown-field",
        _web("[tier.web.autoscaling]\nmin = 1\n"),
        r"tier\[scale-out\]\.web\.autoscaling: is not a Render web service field.*scaling",
    ),
    (
        "web-date",
        _web("[tier.web.previews]\nexpireAfter = 2026-11-30\n"),
        r"web\.previews\.expireAfter: is a date or time.*Tip: write it in quotes",
    ),
    (
        "web-empty-table",
        _web("[tier.web.buildFilter]\n"),
        r"web\.buildFilter: is an empty table",
    ),
    (
        "web-infinite",
        _web("[tier.web.disk]\nsizeGB = inf\n"),
        r"web\.disk\.sizeGB: inf is not a number Render accepts",
    ),
    (
        "scaling-on-free",
        _edit(
            "# guide: $0 a month.\n",
            "# guide: $0 a month.\n[tier.web.scaling]\nminInstances = 1\nmaxInstances = 2\n"
            "targetCPUPercent = 50\n",
        ),
        r"tier\[free\]\.web\.scaling: Render offers no scaling on the free web plan",
    ),
    (
        "scaling-unknown-key",
        with_scale_out(_edit("# targetCPUPercent = 70", "# targetCPUPercent = 70\n# cpu = 3")),
        r"web\.scaling\.cpu: unknown scaling key",
    ),
    (
        "scaling-min-above-max",
        with_scale_out(_edit("# minInstances = 2", "# minInstances = 9")),
        r"web\.scaling\.maxInstances: 6 is below minInstances 9",
    ),
    (
        "scaling-no-max",
        with_scale_out(_edit("# maxInstances = 6", "# ")),
        r"web\.scaling\.maxInstances: is missing",
    ),
    (
        "scaling-no-target",
        with_scale_out(_edit("# targetCPUPercent = 70", "# ")),
        r"tier\[scale-out\]\.web\.scaling: has no target",
    ),
    (
        "scaling-target-above-90",
        with_scale_out(_edit("# targetCPUPercent = 70", "# targetCPUPercent = 95")),
        r"web\.scaling\.targetCPUPercent: must be a whole number from 1 to 90, got 95",
    ),
    (
        "scaling-quoted-number",
        with_scale_out(_edit("# minInstances = 2", '# minInstances = "2"')),
        r"web\.scaling\.minInstances: must be a whole number of 1 or more, got '2'",
    ),
    (
        "scaling-with-num-instances",
        _web("[tier.web]\nnumInstances = 3\n"),
        r"tier\[scale-out\]\.web\.numInstances: Render's autoscaling overrides numInstances",
    ),
    (
        "scaling-with-disk",
        _web('[tier.web.disk]\nname = "data"\nmountPath = "/data"\n'),
        r"web\.disk: Render does not autoscale a service with a disk",
    ),
    (
        "storage-shrinks",
        _edit("storage_gb = 256\n# guide: $57", "storage_gb = 2\n# guide: $57"),
        r"tier\[pro\+redis\]\.storage_gb: 2 is below tier pro's 256",
    ),
]


@pytest.mark.parametrize(("text", "pattern"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_broken_tiers_toml_fails_with_one_line(tmp_path: Path, text: str, pattern: str) -> None:
    path = tmp_path / "tiers.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, CAT)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert re.search(pattern, message), message
    assert "Tip:" in message or "invalid TOML" in message


def test_scale_out_example_loads_as_a_fifth_tier(tmp_path: Path) -> None:
    path = tmp_path / "tiers.toml"
    path.write_text(SCALE_OUT, "utf-8")
    config = load_config(path, CAT)
    assert config.names == ("free", "starter", "pro", "pro+redis", "scale-out")
    scale_out = config.tier("scale-out")
    assert dict(scale_out.web["scaling"]) == {  # type: ignore[arg-type]
        "minInstances": 2,
        "maxInstances": 6,
        "targetCPUPercent": 70,
    }
    assert config.managed == ("scaling",)
    assert config.target("scale-out").web == scale_out.web
    assert config.target("scale-out").managed == ("scaling",)
    assert config.target("pro").web == {} and config.target("pro").managed == ("scaling",)
    assert config.tier("pro").web == {}
    assert (scale_out.web_instances, scale_out.max_web_instances) == (2, 6)
    assert (config.tier("pro").web_instances, config.tier("pro").max_web_instances) == (1, 1)


def test_web_field_values_keep_their_toml_types(tmp_path: Path) -> None:
    extra = (
        '[tier.web]\nhealthCheckPath = "/healthz"\nautoDeploy = false\n'
        'domains = ["a.example", "b.example"]\n\n'
        '[tier.web.buildFilter]\npaths = ["src/**"]\n'
    )
    path = tmp_path / "tiers.toml"
    path.write_text(_web(extra), "utf-8")
    web = load_config(path, CAT).tier("scale-out").web
    assert list(web) == ["scaling", "healthCheckPath", "autoDeploy", "domains", "buildFilter"]
    assert web["autoDeploy"] is False
    assert web["domains"] == ("a.example", "b.example")
    assert dict(web["buildFilter"]) == {"paths": ("src/**",)}  # type: ignore[arg-type]


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not found\. Tip: pass --tiers PATH"):
        load_config(tmp_path / "absent.toml", CAT)
    bad = tmp_path / "latin1.toml"
    bad.write_bytes("# caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"not UTF-8"):
        load_config(bad, CAT)


def test_overrides_are_read(tmp_path: Path) -> None:
    text = _edit("[prices.web]\n", "[prices.web]\npro = 80\n")
    text = text.replace('# users = "SELECT', 'users = "SELECT')
    path = tmp_path / "tiers.toml"
    path.write_text(text, "utf-8")
    config = load_config(path, CAT)
    assert config.prices["web"] == {"pro": 80}
    assert config.database.queries["users"].startswith("SELECT count(*) FROM accounts")
    assert config.database.config_path == str(path)


FIFTH_TIER = """
[[tier]]
name = "scale-out"
web_plan = "pro plus"
database_plan = "pro-8gb"
start_command = "gunicorn {app} --workers 8 --bind 0.0.0.0:$PORT"
thresholds = { active_users = 50000 }
"""


def test_tiers_are_data_any_number_and_names_in_file_order(tmp_path: Path) -> None:
    path = tmp_path / "tiers.toml"
    path.write_text((ROOT / "tiers.toml").read_text("utf-8") + FIFTH_TIER, "utf-8")
    config = load_config(path, CAT)
    assert config.names == ("free", "starter", "pro", "pro+redis", "scale-out")
    assert config.rank("scale-out") == 4
    renamed = path.read_text("utf-8").replace('name = "starter"', 'name = "small.2"')
    path.write_text(renamed, "utf-8")
    assert load_config(path, CAT).names[1] == "small.2"


def test_warnings_ignore_is_read(tmp_path: Path) -> None:
    path = tmp_path / "tiers.toml"
    text = (ROOT / "tiers.toml").read_text("utf-8")
    path.write_text('[warnings]\nignore = ["price-differs", "size-differs"]\n\n' + text, "utf-8")
    assert load_config(path, CAT).ignore_warnings == {"price-differs", "size-differs"}


@pytest.mark.parametrize(
    ("web", "least", "most"),
    [
        ({}, 1, 1),
        ({"numInstances": 3}, 3, 3),
        ({"scaling": MappingProxyType({"minInstances": 2, "maxInstances": 6})}, 2, 6),
    ],
    ids=["one", "num-instances", "scaling"],
)
def test_web_instances(web: dict[str, Any], least: int, most: int) -> None:
    tier = Tier("t", "pro", "pro", "uvicorn {app}", {}, web=MappingProxyType(web))
    assert (tier.web_instances, tier.max_web_instances) == (least, most)
