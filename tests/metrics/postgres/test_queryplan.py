"""plans: Seq Scans found in EXPLAIN (FORMAT JSON, VERBOSE) output, and the advice text."""

from __future__ import annotations

import json

import pytest

from tier_cli.metrics.postgres.plans import SEQ_SCAN_ADVICE_ROWS, TableInfo, advice, seq_scans


def _node(
    kind: str, table: str = "", schema: str = "public", *children: object
) -> dict[str, object]:
    node: dict[str, object] = {"Node Type": kind}
    if table:
        node |= {"Relation Name": table, "Schema": schema, "Alias": table}
    if children:
        node["Plans"] = list(children)
    return node


@pytest.mark.parametrize(
    ("explained", "expected"),
    [
        pytest.param([{"Plan": _node("Result")}], set(), id="no-table"),
        pytest.param(
            [{"Plan": _node("Aggregate", "", "", _node("Seq Scan", "users"))}],
            {("public", "users")},
            id="seq-scan-under-aggregate",
        ),
        pytest.param(
            [{"Plan": _node("Aggregate", "", "", _node("Index Only Scan", "users"))}],
            set(),
            id="index-only-scan",
        ),
        pytest.param(
            [
                {
                    "Plan": _node(
                        "Limit",
                        "",
                        "",
                        _node(
                            "Nested Loop",
                            "",
                            "",
                            _node("Function Scan"),
                            _node("Aggregate", "", "", _node("Seq Scan", "events", "app")),
                        ),
                    )
                }
            ],
            {("app", "events")},
            id="deep-in-a-nested-loop",
        ),
        pytest.param(
            [
                {
                    "Plan": _node(
                        "Gather", "", "", _node("Seq Scan", "users") | {"Parallel Aware": True}
                    )
                }
            ],
            {("public", "users")},
            id="parallel-seq-scan",
        ),
        pytest.param(
            json.dumps([{"Plan": _node("Seq Scan", "activity")}]),
            {("public", "activity")},
            id="as-text",
        ),
        pytest.param(None, set(), id="nothing"),
    ],
)
def test_seq_scans(explained: object, expected: set[tuple[str, str]]) -> None:
    assert seq_scans(explained) == expected


USERS = TableInfo("users", "last_seen_at", "public", "users", 1_000_000.0, indexed=False)
EVENTS = TableInfo('app."Events"', '"At", user_id', "app", "Events", 20_000_000.0, indexed=False)
TIP = "VACUUM ANALYZE users, or raise slow_query_warn_ms under [database] in tiers.toml"


@pytest.mark.parametrize(
    ("table", "scanned", "elapsed_ms", "expected"),
    [
        pytest.param(
            USERS,
            True,
            812.4,
            "metric 'm' scans users sequentially (1,000,000 rows; 812 ms). "
            "Tip: CREATE INDEX CONCURRENTLY ON users (last_seen_at)",
            id="scan",
        ),
        pytest.param(
            EVENTS,
            True,
            3.0,
            "metric 'm' scans app.\"Events\" sequentially (20,000,000 rows; 3 ms). "
            'Tip: CREATE INDEX CONCURRENTLY ON app."Events" ("At", user_id)',
            id="scan-even-when-fast",
        ),
        pytest.param(
            USERS._replace(rows=SEQ_SCAN_ADVICE_ROWS - 1.0),
            True,
            3.0,
            None,
            id="scan-of-a-small-table",
        ),
        pytest.param(
            USERS._replace(rows=float(SEQ_SCAN_ADVICE_ROWS)),
            True,
            3.0,
            "metric 'm' scans users sequentially (100,000 rows; 3 ms). "
            "Tip: CREATE INDEX CONCURRENTLY ON users (last_seen_at)",
            id="scan-at-the-limit",
        ),
        pytest.param(USERS._replace(rows=-1.0), True, 3.0, None, id="never-analyzed"),
        pytest.param(USERS, False, 499.9, None, id="fast"),
        pytest.param(
            USERS,
            False,
            500.0,
            "metric 'm' took 500 ms (slow_query_warn_ms: 500). "
            "Tip: CREATE INDEX CONCURRENTLY ON users (last_seen_at)",
            id="slow-without-index",
        ),
        pytest.param(
            USERS._replace(indexed=True),
            True,
            1_234.0,
            "metric 'm' took 1,234 ms (slow_query_warn_ms: 500) although an index on users "
            f"(last_seen_at) exists. Tip: {TIP}",
            id="slow-with-index-scanned-anyway",
        ),
        pytest.param(
            TableInfo("users", "", "public", "users", 5e6, indexed=True),
            True,
            700.0,
            f"metric 'm' took 700 ms (slow_query_warn_ms: 500). Tip: {TIP}",
            id="slow-needs-no-index",
        ),
    ],
)
def test_advice(table: TableInfo, scanned: bool, elapsed_ms: float, expected: str | None) -> None:
    found = advice("m", table, scanned=scanned, elapsed_ms=elapsed_ms, warn_ms=500, slow_tip=TIP)
    assert found == expected
