"""Render's plans, as tier knows them: for costs, plan-name aliases and warnings.

Sources: Render's documentation and Render-written Blueprints as stored in late 2026, and a
third-party copy of Render's pricing page dated 2026-09-27. Prices change: any price here can be
overridden in tiers.toml ([prices.web], [prices.postgres], [prices.keyvalue]).
`"confirmed": False` marks a figure no source confirmed, or one the sources disagree on. A plan
with no `usd` has no price in any source: its cost shows as unknown ("$?"), never as free.
Where ../shared/render/FACTS.md (the guide's notes) and Render's own documentation differ,
Render's documentation wins; the entry's comment names the source it follows.
Spellings: Render's API writes plan names with underscores (`basic_256mb`); `tier` treats
`-`, `_` and spaces alike and ignores case, so every row also answers to those spellings.

Plain data, read by config/catalogue.py. A Python module rather than a TOML file: it loads from
compiled bytecode instead of being parsed at every start of `tier check` (the cost it saved is
in benchmarks/README.md).
"""

from __future__ import annotations

from typing import Any

AS_OF = "2026-09-27"

DEFAULTS: dict[str, Any] = {
    # The plan Render gives a *new* resource whose Blueprint entry has no `plan:` key.
    "service": "starter",  # web, pserv, worker, cron: NOT free
    "postgres": "basic-256mb",
    "keyvalue": "starter",
}
STORAGE: dict[str, Any] = {
    # Render bills the disk of a current ("flexible") Postgres plan apart, per GB and month
    # (pricing page copies of 2026-09 and 2026-10). `diskSizeGB` in render.yaml sets the size;
    # without it a database has its plan's `disk_gb` below. Free and legacy plans include their
    # storage.
    "postgres_usd_per_gb": 0.3,
    # A service's persistent disk (`disk: {sizeGB}` on a web service, private service or
    # worker), per GB and month: Render's pricing page ("Persistent disks: $0.25 per GB per
    # month"); no 2026 copy among the sources confirms it.
    "disk_usd_per_gb": 0.25,
    "disk_confirmed": False,
}

# -------------------------------------------------------------------------------------------------
# Compute plans (web, pserv, worker, cron). Render renamed them in 2026 to spec-style IDs; the old
# names stay valid in Blueprints.
WEB: list[dict[str, Any]] = [
    {
        "name": "free",
        "aliases": [],
        "cpu": 0.1,
        "ram_mb": 512,
        "usd": 0,
        "note": (
            "web only; spins down after 15 minutes idle; 750 free instance-hours a month per"
            " workspace"
        ),
    },
    {
        "name": "starter",
        "aliases": ["0.5c-512mb"],
        "cpu": 0.5,
        "ram_mb": 512,
        "usd": 7,
    },
    {
        "name": "standard",
        "aliases": ["1c-2g"],
        "cpu": 1,
        "ram_mb": 2048,
        "usd": 25,
    },
    {
        "name": "pro",
        "aliases": ["2c-4g"],
        "cpu": 2,
        "ram_mb": 4096,
        "usd": 85,
    },
    {
        "name": "pro plus",
        "aliases": ["4c-8g"],
        "cpu": 4,
        "ram_mb": 8192,
        "usd": 175,
    },
    {
        "name": "pro max",
        "aliases": ["4c-16g"],
        "cpu": 4,
        "ram_mb": 16384,
        "usd": 225,
    },
    {
        "name": "pro ultra",
        "aliases": ["8c-32g"],
        "cpu": 8,
        "ram_mb": 32768,
        "usd": 450,
    },
    # Spec IDs without a legacy name (Render's pricing page copies 2026-09/10, render-oss CLI
    # tables).
    {
        "name": "2c-8g",
        "aliases": [],
        "cpu": 2,
        "ram_mb": 8192,
        "usd": 135,
    },
    {
        "name": "2c-16g",
        "aliases": [],
        "cpu": 2,
        "ram_mb": 16384,
        "usd": 200,
    },
    {
        "name": "4c-32g",
        "aliases": [],
        "cpu": 4,
        "ram_mb": 32768,
        "usd": 350,
    },
    {
        "name": "8c-16g",
        "aliases": [],
        "cpu": 8,
        "ram_mb": 16384,
        "usd": 300,
    },
    {
        "name": "8c-64g",
        "aliases": [],
        "cpu": 8,
        "ram_mb": 65536,
        "usd": 1000,
    },
    {
        "name": "12c-24g",
        "aliases": [],
        "cpu": 12,
        "ram_mb": 24576,
        "usd": 450,
    },
    {
        "name": "12c-48g",
        "aliases": [],
        "cpu": 12,
        "ram_mb": 49152,
        "usd": 800,
    },
    {
        "name": "12c-96g",
        "aliases": [],
        "cpu": 12,
        "ram_mb": 98304,
        "usd": 1500,
    },
]

# -------------------------------------------------------------------------------------------------
# Postgres plans. Storage is billed apart (STORAGE above) on the current plans; `disk_gb` is the
# disk a database gets when render.yaml sets no `diskSizeGB` (Basic 15 GB, Pro 100 GB, Accelerated
# 250 GB: Render's blueprint spec copy of 2026-09-05).
# Legacy names can no longer create databases; a database moves from legacy to current, never
# back (`render blueprints validate`: "Legacy Postgres plans ... are no longer supported for new
# databases"). The spec-style aliases (`1c-4g` = pro-4gb, ...) follow each plan's CPU and RAM;
# only `0.1c-256mb` and `0.5c-1g` are named as aliases by a source, the others are matched on
# size.
POSTGRES: list[dict[str, Any]] = [
    {
        "name": "free",
        "aliases": [],
        "ram_mb": 256,
        "cpu": 0.1,
        "storage_gb": 1,
        "connections": 100,
        "usd": 0,
        "note": "expires 30 days after creation (14-day grace); no backups",
    },
    {
        "name": "basic-256mb",
        "aliases": ["0.1c-256mb"],
        "ram_mb": 256,
        "cpu": 0.1,
        "disk_gb": 15,
        "connections": 100,
        "usd": 6,
    },
    {
        "name": "basic-1gb",
        "aliases": ["0.5c-1g"],
        "ram_mb": 1024,
        "cpu": 0.5,
        "disk_gb": 15,
        "connections": 100,
        "usd": 19,
    },
    {
        # $40 in the pricing copies; no plan name goes with it in any source.
        "name": "1c-2g",
        "aliases": [],
        "ram_mb": 2048,
        "cpu": 1,
        "disk_gb": 15,
        "connections": 100,
        "usd": 40,
        "confirmed": False,
    },
    {
        "name": "basic-4gb",
        "aliases": ["2c-4g"],
        "ram_mb": 4096,
        "cpu": 2,
        "disk_gb": 15,
        "connections": 100,
        "usd": 75,
    },
    {
        "name": "pro-4gb",
        "aliases": ["1c-4g"],
        "ram_mb": 4096,
        "cpu": 1,
        "disk_gb": 100,
        "connections": 100,
        "usd": 55,
    },
    {
        "name": "pro-8gb",
        "aliases": ["2c-8g"],
        "ram_mb": 8192,
        "cpu": 2,
        "disk_gb": 100,
        "connections": 200,
        "usd": 100,
    },
    {
        "name": "pro-16gb",
        "aliases": ["4c-16g"],
        "ram_mb": 16384,
        "cpu": 4,
        "disk_gb": 100,
        "connections": 400,
        "usd": 200,
        "confirmed": False,
    },
    # Larger Pro plans: names and sizes from Render's blueprint spec copy; no source gives a price
    # (no `usd`: the cost shows as unknown).
    {
        "name": "pro-32gb",
        "aliases": ["8c-32g"],
        "ram_mb": 32768,
        "cpu": 8,
        "disk_gb": 100,
        "connections": 500,
    },
    {
        "name": "pro-64gb",
        "aliases": ["16c-64g"],
        "ram_mb": 65536,
        "cpu": 16,
        "disk_gb": 100,
        "connections": 500,
    },
    {
        "name": "pro-128gb",
        "aliases": ["32c-128g"],
        "ram_mb": 131072,
        "cpu": 32,
        "disk_gb": 100,
        "connections": 500,
    },
    {
        "name": "pro-192gb",
        "aliases": ["48c-192g"],
        "ram_mb": 196608,
        "cpu": 48,
        "disk_gb": 100,
        "connections": 500,
    },
    {
        "name": "pro-256gb",
        "aliases": ["64c-256g"],
        "ram_mb": 262144,
        "cpu": 64,
        "disk_gb": 100,
        "connections": 500,
    },
    {
        "name": "pro-384gb",
        "aliases": ["96c-384g"],
        "ram_mb": 393216,
        "cpu": 96,
        "disk_gb": 100,
        "connections": 500,
    },
    {
        "name": "pro-512gb",
        "aliases": ["128c-512g"],
        "ram_mb": 524288,
        "cpu": 128,
        "disk_gb": 100,
        "connections": 500,
    },
    {
        "name": "accelerated-16gb",
        "aliases": ["2c-16g"],
        "ram_mb": 16384,
        "cpu": 2,
        "disk_gb": 250,
        "connections": 400,
        "usd": 160,
    },
    {
        "name": "accelerated-32gb",
        "aliases": ["4c-32g"],
        "ram_mb": 32768,
        "cpu": 4,
        "disk_gb": 250,
        "connections": 500,
    },
    {
        "name": "accelerated-64gb",
        "aliases": ["8c-64g"],
        "ram_mb": 65536,
        "cpu": 8,
        "disk_gb": 250,
        "connections": 500,
    },
    {
        "name": "accelerated-128gb",
        "aliases": ["16c-128g"],
        "ram_mb": 131072,
        "cpu": 16,
        "disk_gb": 250,
        "connections": 500,
    },
    {
        "name": "accelerated-256gb",
        "aliases": ["32c-256g"],
        "ram_mb": 262144,
        "cpu": 32,
        "disk_gb": 250,
        "connections": 500,
    },
    {
        "name": "accelerated-384gb",
        "aliases": ["48c-384g"],
        "ram_mb": 393216,
        "cpu": 48,
        "disk_gb": 250,
        "connections": 500,
    },
    {
        "name": "accelerated-512gb",
        "aliases": ["64c-512g"],
        "ram_mb": 524288,
        "cpu": 64,
        "disk_gb": 250,
        "connections": 500,
    },
    {
        "name": "accelerated-768gb",
        "aliases": ["96c-768g"],
        "ram_mb": 786432,
        "cpu": 96,
        "disk_gb": 250,
        "connections": 500,
    },
    {
        "name": "accelerated-1024gb",
        "aliases": ["128c-1024g"],
        "ram_mb": 1048576,
        "cpu": 128,
        "disk_gb": 250,
        "connections": 500,
    },
    # Legacy plans: storage included in the price; prices from no current source (unconfirmed).
    {
        "name": "starter",
        "aliases": [],
        "legacy": True,
        "ram_mb": 256,
        "connections": 97,
        "usd": 7,
        "confirmed": False,
        "successor": "basic-256mb",
    },
    {
        "name": "standard",
        "aliases": [],
        "legacy": True,
        "ram_mb": 1024,
        "connections": 97,
        "usd": 20,
        "confirmed": False,
        "successor": "basic-1gb",
    },
    {
        "name": "pro",
        "aliases": [],
        "legacy": True,
        "ram_mb": 4096,
        "connections": 97,
        "usd": 95,
        "confirmed": False,
        "successor": "pro-4gb",
    },
    {
        "name": "pro plus",
        "aliases": [],
        "legacy": True,
        "ram_mb": 8192,
        "connections": 197,
        "usd": 185,
        "confirmed": False,
        "successor": "pro-8gb",
    },
]

# -------------------------------------------------------------------------------------------------
# Key Value (Redis-compatible). Plans can go up, not down. IDs `256mb`, `1g`, `5g`, `10g`, `20g`,
# `40g` from Render's blueprint spec copy of 2026-09-05.
KEYVALUE: list[dict[str, Any]] = [
    {
        "name": "free",
        "aliases": [],
        "ram_mb": 25,
        "connections": 50,
        "usd": 0,
        "note": "no persistence",
    },
    {
        "name": "starter",
        "aliases": ["256mb"],
        "ram_mb": 256,
        "connections": 250,
        "usd": 10,
    },
    {
        # $32 in the pricing copy of 2026-09-27, $20 in the copy of 2026-10: the sources disagree.
        "name": "standard",
        "aliases": ["1g"],
        "ram_mb": 1024,
        "connections": 1000,
        "usd": 32,
        "confirmed": False,
    },
    {
        # The 5 GB plan (`pro` in Render's earlier price list, $135): in no 2026 source,
        # unconfirmed.
        "name": "pro",
        "aliases": ["5g"],
        "ram_mb": 5120,
        "connections": 5000,
        "usd": 135,
        "confirmed": False,
    },
    {
        # FACTS.md: 10 GB, 10,000 connections, $250; no source ties it to the `10g` ID but its size.
        "name": "pro plus",
        "aliases": ["10g"],
        "ram_mb": 10240,
        "connections": 10000,
        "usd": 250,
        "confirmed": False,
    },
    {
        # Sizes without a name or a price in any source.
        "name": "20g",
        "aliases": [],
        "ram_mb": 20480,
    },
    {
        "name": "40g",
        "aliases": [],
        "ram_mb": 40960,
    },
]
