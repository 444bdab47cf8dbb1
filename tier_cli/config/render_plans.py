"""Render's plans, as tier knows them: for costs, plan-name aliases and warnings.

Sources: Render's documentation and Render-written Blueprints as stored in late 2026, a
third-party copy of Render's pricing page dated 2026-09-27, a Render pricing-page copy dated
between 2026-04-23 and 2026-10-01 (the larger Postgres prices), and Render's blog of 2026-10-01
on Key Value prices (../shared/render/FACTS.md, "Added 2026-12-07"). Prices change: any price here
can be overridden in tiers.toml ([prices.web], [prices.postgres], [prices.keyvalue]).
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

AS_OF = "2026-10-01"  # the newest source: the Key Value price cut

DEFAULTS: dict[str, Any] = {
    # The plan Render gives a *new* resource whose Blueprint entry has no `plan:` key.
    "service": "starter",  # web, pserv, worker, cron: NOT free
    "postgres": "basic-256mb",
    "keyvalue": "starter",
}
# What Render sets WEB_CONCURRENCY to on a web plan (gunicorn, uvicorn and `fastapi run` read it
# for their default worker count): for services created after 2025-12-08 a CPU-based default,
# 1 on Starter and 2 on Pro; older services have none (render.com/docs/environment-variables,
# copy of 2026-03; FACTS.md "Added 2026-12-07"). Plans no source names are not listed.
WEB_CONCURRENCY: dict[str, int] = {"starter": 1, "pro": 2}
WEB_CONCURRENCY_SINCE = "2025-12-08"
# The workspace plan autoscaling needs: "Pro" ($25 flat a month) since 2026-04-23, when Render
# renamed its workspace plans Hobby, Pro, Scale and Enterprise ("Professional" before).
AUTOSCALING_WORKSPACE = "Pro"
WORKSPACES_RENAMED = "2026-04-23"
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
        "usd": 200,  # the pricing copy of 2026-04/10 confirms the earlier unconfirmed $200
    },
    # Larger Pro and Accelerated plans: names and sizes from Render's blueprint spec copy; prices
    # from the pricing-page copy dated between 2026-04-23 and 2026-10-01.
    {
        "name": "pro-32gb",
        "aliases": ["8c-32g"],
        "ram_mb": 32768,
        "cpu": 8,
        "disk_gb": 100,
        "connections": 500,
        "usd": 400,
    },
    {
        "name": "pro-64gb",
        "aliases": ["16c-64g"],
        "ram_mb": 65536,
        "cpu": 16,
        "disk_gb": 100,
        "connections": 500,
        "usd": 800,
    },
    {
        "name": "pro-128gb",
        "aliases": ["32c-128g"],
        "ram_mb": 131072,
        "cpu": 32,
        "disk_gb": 100,
        "connections": 500,
        "usd": 1700,
    },
    {
        "name": "pro-192gb",
        "aliases": ["48c-192g"],
        "ram_mb": 196608,
        "cpu": 48,
        "disk_gb": 100,
        "connections": 500,
        "usd": 2500,
    },
    {
        "name": "pro-256gb",
        "aliases": ["64c-256g"],
        "ram_mb": 262144,
        "cpu": 64,
        "disk_gb": 100,
        "connections": 500,
        "usd": 3000,
    },
    {
        "name": "pro-384gb",
        "aliases": ["96c-384g"],
        "ram_mb": 393216,
        "cpu": 96,
        "disk_gb": 100,
        "connections": 500,
        "usd": 4600,
    },
    {
        "name": "pro-512gb",
        "aliases": ["128c-512g"],
        "ram_mb": 524288,
        "cpu": 128,
        "disk_gb": 100,
        "connections": 500,
        "usd": 6200,
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
        "usd": 350,
    },
    {
        "name": "accelerated-64gb",
        "aliases": ["8c-64g"],
        "ram_mb": 65536,
        "cpu": 8,
        "disk_gb": 250,
        "connections": 500,
        "usd": 750,
    },
    {
        "name": "accelerated-128gb",
        "aliases": ["16c-128g"],
        "ram_mb": 131072,
        "cpu": 16,
        "disk_gb": 250,
        "connections": 500,
        "usd": 1500,
    },
    {
        "name": "accelerated-256gb",
        "aliases": ["32c-256g"],
        "ram_mb": 262144,
        "cpu": 32,
        "disk_gb": 250,
        "connections": 500,
        "usd": 2500,
    },
    {
        "name": "accelerated-384gb",
        "aliases": ["48c-384g"],
        "ram_mb": 393216,
        "cpu": 48,
        "disk_gb": 250,
        "connections": 500,
        "usd": 4500,
    },
    {
        "name": "accelerated-512gb",
        "aliases": ["64c-512g"],
        "ram_mb": 524288,
        "cpu": 64,
        "disk_gb": 250,
        "connections": 500,
        "usd": 6000,
    },
    {
        "name": "accelerated-768gb",
        "aliases": ["96c-768g"],
        "ram_mb": 786432,
        "cpu": 96,
        "disk_gb": 250,
        "connections": 500,
        "usd": 9000,
    },
    {
        "name": "accelerated-1024gb",
        "aliases": ["128c-1024g"],
        "ram_mb": 1048576,
        "cpu": 128,
        "disk_gb": 250,
        "connections": 500,
        "usd": 11000,
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
# `40g` from Render's blueprint spec copy of 2026-09-05. On 2026-10-01 Render cut the prices of
# the plans of 1 GB and up by 20-45% and added 3 GB and 50 GB plans (Render's blog, 2026-10-01);
# no source tier has gives every new price: a plan whose new price no source gives has no `usd`
# (its cost shows as unknown, never as the old price), with the old one in its comment.
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
        # Under 1 GB: not in the 2026-10-01 cut.
        "name": "starter",
        "aliases": ["256mb"],
        "ram_mb": 256,
        "connections": 250,
        "usd": 10,
    },
    {
        # $20 in the pricing copy of 2026-10 (after the cut: 37.5% off $32, inside the blog's
        # 20-45%); $32 before it. One source for the new price: unconfirmed.
        "name": "standard",
        "aliases": ["1g"],
        "ram_mb": 1024,
        "connections": 1000,
        "usd": 20,
        "confirmed": False,
    },
    {
        # New on 2026-10-01 (blog); its ID and price in no source tier has.
        "name": "3g",
        "aliases": [],
        "ram_mb": 3072,
        "confirmed": False,
    },
    {
        # `pro` in Render's earlier price list: $135 before the cut; the new price in no source.
        "name": "pro",
        "aliases": ["5g"],
        "ram_mb": 5120,
        "connections": 5000,
        "confirmed": False,
    },
    {
        # FACTS.md: 10 GB, 10,000 connections, $250 before the cut; the new price in no source.
        "name": "pro plus",
        "aliases": ["10g"],
        "ram_mb": 10240,
        "connections": 10000,
        "confirmed": False,
    },
    {
        # `pro max`: 20 GB, 20,000 connections, $550 before the cut (FACTS.md).
        "name": "pro max",
        "aliases": ["20g"],
        "ram_mb": 20480,
        "connections": 20000,
        "confirmed": False,
    },
    {
        # `pro ultra`: 40 GB, $1,100 before the cut (FACTS.md).
        "name": "pro ultra",
        "aliases": ["40g"],
        "ram_mb": 40960,
        "confirmed": False,
    },
    {
        # New on 2026-10-01 (blog); its ID and price in no source tier has.
        "name": "50g",
        "aliases": [],
        "ram_mb": 51200,
        "confirmed": False,
    },
]
