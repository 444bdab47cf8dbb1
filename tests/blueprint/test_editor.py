"""editor: whole-file tables of what apply_tier writes, leaves alone, refuses and says."""

from __future__ import annotations

import pytest
from tier_targets import CAT, TIERS, start
from yaml_parsers import yaml_parser  # noqa: F401 - the fixture, used through pytestmark

from tier_cli.blueprint.editor import ApplyResult, Change, apply_file_bytes, apply_tier
from tier_cli.config.settings import KeyValueTarget, Selection, TierTarget
from tier_cli.errors import ConfigError, LegacyPlanRefused, RefusedError, RenderFileError

pytestmark = pytest.mark.usefixtures("yaml_parser")  # every test on the C and the pure parser

FREE, STARTER, PRO = start("free"), start("starter"), start("pro")
REDIS = "{key: REDIS_URL, fromService: {type: keyvalue, name: cache, property: connectionString}}"
NO = Selection()


def run(text: str, tier: str, selection: Selection = NO) -> ApplyResult:
    result = apply_tier(text, "render.yaml", TIERS[tier], selection, CAT)
    again = apply_tier(result.text, "render.yaml", TIERS[tier], selection, CAT)
    assert again.text == result.text, "a second run changed the file again"
    assert again.changes == ()
    return result


BASE = f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: {FREE}
databases:
  - name: db
    plan: free
"""

# (input, tier, selection, expected whole file)
CASES = [
    pytest.param(BASE, "pro", NO, f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO}
databases:
  - name: db
    plan: pro-4gb
""", id="two-space-indented-sequence"),
    pytest.param("""\
services:
- type: web
  name: api
  runtime: python
  plan: starter
  startCommand: uvicorn main:app
databases:
- name: db
  plan: starter
""", "free", NO, f"""\
services:
- type: web
  name: api
  runtime: python
  plan: free
  startCommand: {FREE}
databases:
- name: db
  plan: free
""", id="sequence-not-indented"),
    pytest.param("""\
services:
    - type: web
      name: api
      runtime: python
      plan: free
      startCommand: uvicorn main:app --port $PORT
      envVars:
          - key: DATABASE_URL
            fromDatabase:
                name: db
                property: connectionString
""", "pro+redis", NO, f"""\
services:
    - type: web
      name: api
      runtime: python
      plan: pro
      startCommand: {PRO}
      envVars:
          - key: DATABASE_URL
            fromDatabase:
                name: db
                property: connectionString
          - key: REDIS_URL
            fromService:
                type: keyvalue
                name: cache
                property: connectionString
    - type: keyvalue
      name: cache
      plan: starter
      ipAllowList: []
""", id="four-space-indentation"),
    pytest.param("""\
services:
-   type: web
    name: api
    runtime: python
    plan: free
    startCommand: uvicorn main:app
    envVars:
    -   key: SECRET
        generateValue: true
""", "pro+redis", NO, f"""\
services:
-   type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO}
    envVars:
    -   key: SECRET
        generateValue: true
    -   key: REDIS_URL
        fromService:
            type: keyvalue
            name: cache
            property: connectionString
-   type: keyvalue
    name: cache
    plan: starter
    ipAllowList: []
""", id="four-space-dash-gap"),
    pytest.param("""\
# Blueprint for the shop
services:
  # the API
  - type: web
    name: api

    # Python!
    runtime: python
    plan: free   # cheapest; spins down
    # how it starts
    startCommand: "uvicorn main:app --port $PORT"  # keep in sync with Procfile

  # the worker
  - type: worker
    name: jobs
    runtime: python
    plan: starter # a comment

# the database
databases:
  - name: db  # the only one
    plan: free
# end
""", "starter", NO, f"""\
# Blueprint for the shop
services:
  # the API
  - type: web
    name: api

    # Python!
    runtime: python
    plan: starter   # cheapest; spins down
    # how it starts
    startCommand: "{STARTER}"  # keep in sync with Procfile

  # the worker
  - type: worker
    name: jobs
    runtime: python
    plan: starter # a comment

# the database
databases:
  - name: db  # the only one
    plan: basic-256mb
# end
""", id="comments-and-blank-lines"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: starter  # the gap before the comment is kept
    startCommand: uvicorn main:app
""", "pro", NO, f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro  # the gap before the comment is kept
    startCommand: {PRO}
""", id="eol-comment-keeps-its-gap-when-shorter"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: free    # a wide gap, kept as it is
    startCommand: uvicorn main:app
""", "pro", NO, f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro    # a wide gap, kept as it is
    startCommand: {PRO}
""", id="eol-comment-keeps-its-gap-when-longer"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: 'free'
    startCommand: 'uvicorn main:app'
""", "pro", NO, f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: 'pro'
    startCommand: '{PRO}'
""", id="single-quoted"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: "free"
    startCommand: "uvicorn main:app"
""", "starter", NO, f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: "starter"
    startCommand: "{STARTER}"
""", id="double-quoted"),
    pytest.param("""\
services:
  - {type: web, name: api, runtime: python, plan: free, startCommand: uvicorn main:app}
databases: [{name: db, plan: free}]
""", "pro+redis", NO, f"""\
services:
  - {{type: web, name: api, runtime: python, plan: pro, startCommand: {PRO}, envVars: [{REDIS}]}}
  - {{type: keyvalue, name: cache, plan: starter, ipAllowList: []}}
databases: [{{name: db, plan: pro-4gb}}]
""", id="flow-mappings"),
    pytest.param("""\
services: [{type: web, name: api, runtime: python, startCommand: "uvicorn main:app"}]
""", "free", NO, f"""\
services: [{{type: web, name: api, runtime: python, plan: free, startCommand: "{FREE}"}}]
""", id="flow-sequence-missing-plan"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: |
      cd backend
      uvicorn main:app --host 0.0.0.0 --port $PORT
    envVars: []
""", "pro", NO, f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: |
      cd backend
      {PRO}
    envVars: []
""", id="literal-block-with-cd"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    startCommand: |-
        uvicorn main:app --host 0.0.0.0 --port $PORT

    plan: free
""", "starter", NO, f"""\
services:
  - type: web
    name: api
    runtime: python
    startCommand: |-
        {STARTER}

    plan: starter
""", id="literal-strip-block-deeper-indent"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    startCommand: >
      uvicorn main:app
      --host 0.0.0.0 --port $PORT
    plan: free
""", "pro", NO, f"""\
services:
  - type: web
    name: api
    runtime: python
    startCommand: >
      {PRO}
    plan: pro
""", id="folded-block"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    startCommand: >-  # folded
      cd app && uvicorn main:app
""", "free", NO, f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: >-  # folded
      cd app && {FREE}
""", id="folded-strip-block-with-comment"),
    pytest.param("""\
services:
  - type: web
    runtime: python
    name: api
    buildCommand: pip install -r requirements.txt
    startCommand: uvicorn main:app
databases:
  - databaseName: app
    name: db
    user: app
""", "pro", NO, f"""\
services:
  - type: web
    runtime: python
    name: api
    plan: pro
    buildCommand: pip install -r requirements.txt
    startCommand: {PRO}
databases:
  - databaseName: app
    name: db
    plan: pro-4gb
    user: app
""", id="missing-plan-keys"),
    pytest.param("""\
%YAML 1.2
---
services:
- type: web
  name: api
  runtime: python
  plan: free
  startCommand: uvicorn main:app
...
""", "pro", NO, f"""\
%YAML 1.2
---
services:
- type: web
  name: api
  runtime: python
  plan: pro
  startCommand: {PRO}
...
""", id="directive-and-document-markers"),
    pytest.param(
        "services:\n  - type: web\n    name: api\n    runtime: python\n"
        "    startCommand: uvicorn main:app\n    plan: free",
        "pro", NO,
        "services:\n  - type: web\n    name: api\n    runtime: python\n"
        f"    startCommand: {PRO}\n    plan: pro",
        id="no-final-newline"),
    pytest.param(
        "services:\n  - type: web\n    name: api\n    runtime: python\n"
        "    startCommand: uvicorn main:app",
        "pro+redis", NO,
        "services:\n  - type: web\n    name: api\n    runtime: python\n    plan: pro\n"
        f"    startCommand: {PRO}\n    envVars:\n      - key: REDIS_URL\n        fromService:\n"
        "          type: keyvalue\n          name: cache\n          property: connectionString\n"
        "  - type: keyvalue\n    name: cache\n    plan: starter\n    ipAllowList: []",
        id="no-final-newline-lines-added"),
    pytest.param("""\
# Café: configuración 中文 — ünïcödé ✓
services:
  - type: web
    name: api  # 名前
    runtime: python
    plan: free  # 無料 plan
    startCommand: uvicorn main:app
""", "starter", NO, f"""\
# Café: configuración 中文 — ünïcödé ✓
services:
  - type: web
    name: api  # 名前
    runtime: python
    plan: starter  # 無料 plan
    startCommand: {STARTER}
""", id="non-ascii-comments"),
    pytest.param("""\
projects:
  - name: shop
    environments:
      - name: production
        services:
          - type: web
            name: api
            runtime: python
            plan: free
            startCommand: uv run uvicorn app.main:app --port $PORT
            envVars:
              - key: DATABASE_URL
                fromDatabase:
                  name: db
                  property: connectionString
        databases:
          - name: db
            plan: basic-256mb
""", "pro+redis", NO, f"""\
projects:
  - name: shop
    environments:
      - name: production
        services:
          - type: web
            name: api
            runtime: python
            plan: pro
            startCommand: uv run {start("pro", "app.main:app")}
            envVars:
              - key: DATABASE_URL
                fromDatabase:
                  name: db
                  property: connectionString
              - key: REDIS_URL
                fromService:
                  type: keyvalue
                  name: cache
                  property: connectionString
          - type: keyvalue
            name: cache
            plan: starter
            ipAllowList: []
        databases:
          - name: db
            plan: pro-4gb
""", id="projects-environments"),
    pytest.param("""\
services:
  - type: web
    name: api
    env: python
    plan: free
    startCommand: gunicorn main:app -k uvicorn.workers.UvicornWorker
""", "free", NO, f"""\
services:
  - type: web
    name: api
    env: python
    plan: free
    startCommand: {FREE}
""", id="legacy-env-python"),
    pytest.param("""\
services:
  - type: web
    name: api
    env: python
    plan: free
    startCommand: uvicorn main:app
    envVars:
      - key: CELERY_BROKER_URL
        fromService: {type: redis, name: queue, property: connectionString}
  - type: redis
    name: queue
    ipAllowList: []
""", "pro+redis", NO, f"""\
services:
  - type: web
    name: api
    env: python
    plan: pro
    startCommand: {PRO}
    envVars:
      - key: CELERY_BROKER_URL
        fromService: {{type: redis, name: queue, property: connectionString}}
      - key: REDIS_URL
        fromService: {{type: redis, name: queue, property: connectionString}}
  - type: redis
    name: queue
    ipAllowList: []
""", id="legacy-redis-counts-as-keyvalue"),
    pytest.param("""\
services:
  - name: api
    type: web
    runtime: python
    plan: pro
    startCommand: uvicorn main:app
    envVars:
    - key: A
      value: b

  - name: jobs
    type: worker
    runtime: python

# databases follow
databases: []
""", "pro+redis", NO, f"""\
services:
  - name: api
    type: web
    runtime: python
    plan: pro
    startCommand: {PRO}
    envVars:
    - key: A
      value: b
    - key: REDIS_URL
      fromService:
        type: keyvalue
        name: cache
        property: connectionString

  - name: jobs
    type: worker
    runtime: python

  - name: cache
    type: keyvalue
    plan: starter
    ipAllowList: []

# databases follow
databases: []
""", id="keyvalue-after-last-service-name-first-blank-lines"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: uvicorn main:app
    envVars: [{key: A, value: b}]
""", "pro+redis", NO, f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO}
    envVars: [{{key: A, value: b}}, {REDIS}]
  - type: keyvalue
    name: cache
    plan: starter
    ipAllowList: []
""", id="flow-env-vars"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: uvicorn main:app
    envVars:   # none yet
  - type: keyvalue
    name: sessions
    plan: standard
    ipAllowList: []
""", "pro+redis", NO, f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO}
    envVars:   # none yet
      - key: REDIS_URL
        fromService:
          type: keyvalue
          name: sessions
          property: connectionString
  - type: keyvalue
    name: sessions
    plan: standard
    ipAllowList: []
""", id="empty-env-vars-existing-keyvalue"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: ./start.sh
""", "starter", Selection(app="app.main:app"), f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: starter
    startCommand: {start("starter", "app.main:app")}
""", id="app-override-replaces-script"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: cd backend && python main.py
""", "free", Selection(app="main:app"), f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: cd backend && {FREE}
""", id="app-override-keeps-cd-prefix"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: uvicorn old:app
""", "free", Selection(app="new.main:app"), f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: {start("free", "new.main:app")}
""", id="app-override-wins"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: ""
""", "free", Selection(app="main:app"), f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: "{FREE}"
""", id="app-override-fills-empty-command"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: free
""", "free", Selection(app="main:app"), f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: {FREE}
""", id="app-override-inserts-missing-command"),
    pytest.param("""\
services:
  - type: web
    name: site
    runtime: python
    plan: free
    startCommand: uvicorn site:app
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: uvicorn api:app
databases:
  - name: a
    plan: free
  - name: b
    plan: free
""", "starter", Selection(service="api", database="b"), f"""\
services:
  - type: web
    name: site
    runtime: python
    plan: free
    startCommand: uvicorn site:app
  - type: web
    name: api
    runtime: python
    plan: starter
    startCommand: {start("starter", "api:app")}
databases:
  - name: a
    plan: free
  - name: b
    plan: basic-256mb
""", id="named-service-and-database"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: 2c-4g
    startCommand: uvicorn main:app
databases:
  - name: db
    plan: 1C-4G
""", "pro", NO, f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: 2c-4g
    startCommand: {PRO}
databases:
  - name: db
    plan: 1C-4G
""", id="same-plan-other-spelling-kept"),
    pytest.param("""\
defaults: &defaults
  runtime: python
  region: oregon
services:
  - <<: *defaults
    type: web
    name: api
    plan: free
    startCommand: uvicorn main:app
  - <<: *defaults
    type: worker
    name: jobs
""", "pro", NO, f"""\
defaults: &defaults
  runtime: python
  region: oregon
services:
  - <<: *defaults
    type: web
    name: api
    plan: pro
    startCommand: {PRO}
  - <<: *defaults
    type: worker
    name: jobs
""", id="merge-key-for-other-fields-is-fine"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: &plan free
    startCommand: uvicorn main:app
""", "starter", NO, f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: &plan starter
    startCommand: {STARTER}
""", id="unused-anchor-kept"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: gunicorn 'src.main:create_app()' -k uvicorn.workers.UvicornWorker
""", "free", NO, """\
services:
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: uvicorn src.main:create_app --factory --host 0.0.0.0 --port $PORT
""", id="factory-app"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "tier", "selection", "expected"), CASES)
def test_rewrites_whole_file(text: str, tier: str, selection: Selection, expected: str) -> None:
    result = run(text, tier, selection)
    assert result.text == expected
    assert result.changes


UNCHANGED = [
    pytest.param(BASE, "free", id="already-free"),
    pytest.param(f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro  # comment
    startCommand: {PRO}
    envVars:
      - key: REDIS_URL
        fromService:
          type: keyvalue
          name: cache
          property: connectionString
  - type: keyvalue
    name: cache
    plan: starter
    ipAllowList: []
""", "pro+redis", id="already-pro-redis"),
    pytest.param(f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO}
    envVars:
      - key: REDIS_URL
        fromService: {{type: keyvalue, name: cache, property: connectionString}}
  - {{type: keyvalue, name: cache, plan: starter, ipAllowList: []}}
""", "pro", id="down-from-pro-redis-keeps-keyvalue"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: ./start.sh
""", "free", id="unknown-command-same-plans"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: uvicorn main:app
    envVars:
      - key: REDIS_URL
        value: redis://elsewhere:6379
  - type: keyvalue
    name: cache
    ipAllowList: []
""".replace("uvicorn main:app", PRO), "pro+redis", id="existing-redis-url-left-alone"),
    pytest.param(f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: 2c-4g
    startCommand: "{PRO}"
databases:
  - name: db
    plan: pro_4gb
""", "pro", id="alias-spelling"),
    pytest.param(
        "services:\r\n  - type: web\r\n    name: api\r\n    runtime: python\r\n"
        f"    plan: free\r\n    startCommand: {FREE}\r\n",
        "free", id="crlf"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "tier"), UNCHANGED)
def test_leaves_alone(text: str, tier: str) -> None:
    result = run(text, tier)
    assert result.text == text
    assert result.changes == ()


REFUSALS = [
    pytest.param("""\
common:
  plan: &plan free
services:
  - type: web
    name: api
    runtime: python
    plan: *plan
    startCommand: uvicorn main:app
""", "pro", "render.yaml:2:9:", "plan of `api` is inside an anchored node (&plan)",
        id="plan-is-a-shared-anchor"),
    pytest.param("""\
services:
  - &api
    type: web
    name: api
    runtime: python
    plan: free
    startCommand: uvicorn main:app
  - <<: *api
    name: api-copy
    type: worker
""", "pro", "render.yaml:2:5:", "inside an anchored node (&api)",
        id="service-reused-by-merge"),
    pytest.param("""\
base: &base
  runtime: python
  plan: free
services:
  - <<: *base
    type: web
    name: api
    startCommand: uvicorn main:app
""", "pro", "render.yaml:5:5:", "plan of `api` comes from the merge key `<<`",
        id="plan-from-merge-key"),
    pytest.param("""\
base: &base
  startCommand: uvicorn main:app
services:
  - <<: *base
    type: web
    name: api
    runtime: python
    plan: pro
""", "pro", "render.yaml:4:5:", "startCommand of `api` comes from the merge key",
        id="start-command-from-merge-key"),
    pytest.param("""\
env: &env
  - key: A
    value: b
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: uvicorn main:app
    envVars: *env
""", "pro+redis", "render.yaml:1:6:", "envVars of `api` is inside an anchored node (&env)",
        id="env-vars-shared"),
    pytest.param("""\
databases:
  - &db
    name: db
    plan: free
  - *db
services:
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: uvicorn main:app
    envVars:
      - key: DATABASE_URL
        fromDatabase: {name: db, property: connectionString}
""", "pro", "render.yaml:2:5:", "plan of `db` is inside an anchored node (&db)",
        id="database-listed-twice"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: uvicorn main:app
  - type: worker
    name: cache
""", "pro+redis", "render.yaml:7:5:", "a `worker` service already has that name",
        id="keyvalue-name-taken"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: uvicorn main:app
    envVars: {A: b}
""", "pro+redis", "render.yaml:7:14:", "envVars of `api` is not a list",
        id="env-vars-mapping"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: [pro]
""", "free", "render.yaml:5:11:", "plan of `api` is not a single value",
        id="plan-is-a-list"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    ? plan
    :
    startCommand: uvicorn main:app
""", "pro", "render.yaml:5:7:", "cannot locate the text of plan of `api` safely",
        id="empty-plan-with-explicit-key"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "tier", "where", "what"), REFUSALS)
def test_refuses(text: str, tier: str, where: str, what: str) -> None:
    with pytest.raises(RefusedError) as info:
        apply_tier(text, "render.yaml", TIERS[tier], NO, CAT)
    message = str(info.value)
    assert message.startswith(where), message
    assert what in message
    assert ". Tip: " in message
    assert "\n" not in message


ERRORS = [
    pytest.param("services:\n  - type: web\n    type: web\n", NO, RenderFileError,
                 r"^render\.yaml:3:5: duplicate key `type`", id="duplicate-keys"),
    pytest.param("services:\n  - type: web\n   name: x\n", NO, RenderFileError,
                 r"^render\.yaml:3:4: invalid YAML", id="invalid-yaml"),
    pytest.param("", NO, RenderFileError, "declares no services", id="empty-file"),
    pytest.param("services:\n  - type: web\n    runtime: node\n", NO, ConfigError,
                 "no Python web service", id="no-python-web"),
    pytest.param(BASE, Selection(service="nope"), ConfigError, "no service named `nope`",
                 id="unknown-service"),
    pytest.param(BASE, Selection(database="nope"), ConfigError, "no database named `nope`",
                 id="unknown-database"),
    pytest.param(BASE, Selection(app="main"), ConfigError, "not a `module:attribute`",
                 id="bad-app"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "selection", "error", "match"), ERRORS)
def test_errors(text: str, selection: Selection, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        apply_tier(text, "render.yaml", TIERS["pro"], selection, CAT)


KEPT_OPTIONS = BASE.replace(FREE, "uvicorn main:app --host 0.0.0.0 --port $PORT --root-path /api")

NOTES = [
    pytest.param(BASE.replace(FREE, "./start.sh"), "pro", NO, [
        "api startCommand `./start.sh` does not run a server tier knows (uvicorn, gunicorn, "
        "hypercorn, fastapi run) as its last command; left as is. "
        "Tip: end it with the server itself (`... && uvicorn main:app ...`; what comes before is "
        "kept as written), and tier will set the tier's worker count."],
        id="unknown-command"),
    pytest.param(BASE.replace(f"    startCommand: {FREE}\n", ""), "pro", NO, [
        'api has no startCommand; left as is. Tip: set app = "main:app" under [render] in '
        "tiers.toml to let tier write one."], id="missing-command"),
    pytest.param(BASE.replace(FREE, "hypercorn main:app --bind 0.0.0.0:$PORT"), "free", NO, [
        "api ran hypercorn; the tier's template runs another server: check that it is in your "
        "requirements."], id="hypercorn-to-another-server"),
    pytest.param(KEPT_OPTIONS, "pro", NO, [
        "api startCommand keeps uvicorn and its options, with the tier's worker count, because "
        "--root-path cannot be carried to gunicorn."], id="unmanaged-options-kept"),
    pytest.param(f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO}
    envVars:
      - key: REDIS_URL
        fromService: {{type: keyvalue, name: cache, property: connectionString}}
  - {{type: keyvalue, name: cache, plan: starter, ipAllowList: []}}
  - {{type: keyvalue, name: other, plan: starter, ipAllowList: []}}
""", "pro", NO, [
        "render.yaml declares no database; no database plan was written.",
        "Key Value service `cache` is no longer needed by this tier; tier never deletes it, and "
        "it stays in the monthly cost: remove it by hand if you no longer use it."],
        id="keyvalue-no-longer-needed"),
    pytest.param(BASE + "  - name: db2\n", "pro", NO, [
        "several databases (`db`, `db2`) and api has no DATABASE_URL naming one; no database "
        'plan was changed. Tip: set database = "NAME" under [render] in tiers.toml.'],
        id="several-databases"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    envVars:
      - key: DATABASE_URL
        fromDatabase: {name: external, property: connectionString}
databases:
  - name: other
""", "free", Selection(app="main:app"), [
        "api's DATABASE_URL names database `external`, which render.yaml does not declare; "
        "no database plan was changed."], id="database-not-declared"),
    pytest.param("""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: uvicorn main:app
  - type: redis
    name: queue
    plan: free
""", "pro+redis", NO, [
        "render.yaml declares no database; no database plan was written.",
        "Key Value service `queue` is on plan free; this tier suggests starter. tier does not "
        "change an existing Key Value plan; change it by hand if you want to."],
        id="existing-keyvalue-other-plan"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "tier", "selection", "notes"), NOTES)
def test_notes(text: str, tier: str, selection: Selection, notes: list[str]) -> None:
    assert [n.message for n in run(text, tier, selection).notes] == notes


def test_changes_describe_and_lines() -> None:
    text = """\
services:
  - type: web
    name: api
    runtime: python
    startCommand: uvicorn main:app
    envVars:
      - key: DATABASE_URL
        fromDatabase:
          name: db
          property: connectionString
databases:
  - name: db
    plan: free
"""
    result = run(text, "pro+redis")
    assert [(c.describe(), c.line) for c in result.changes] == [
        ("api plan (not set) -> pro", 5),
        (f"api startCommand -> {PRO}", 6),
        ("db plan free -> pro-4gb", 23),
        ("api envVars REDIS_URL added", 12),
        ("cache keyvalue service added", 17),
    ]
    lines = result.text.splitlines()
    assert lines[4] == "    plan: pro"
    assert lines[11] == "      - key: REDIS_URL"
    assert lines[16] == "  - type: keyvalue"
    assert lines[22] == "    plan: pro-4gb"
    assert result.changes[0] == Change("plan", None, "pro", 5, "api")


def test_block_command_change_is_described_on_one_line() -> None:
    change = Change("startCommand", None, "cd app\ngunicorn main:app", 3, "api")
    assert change.describe() == "api startCommand -> cd app\\ngunicorn main:app"


FILE_BYTES = [
    pytest.param(b"\xef\xbb\xbf" + BASE.encode(), b"\xef\xbb\xbf", "\n", id="bom"),
    pytest.param(BASE.replace("\n", "\r\n").encode(), b"", "\r\n", id="crlf"),
    pytest.param(b"\xef\xbb\xbf" + BASE.replace("\n", "\r\n").encode(), b"\xef\xbb\xbf", "\r\n",
                 id="bom-crlf"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "bom", "newline"), FILE_BYTES)
def test_file_bytes_keep_bom_and_line_endings(data: bytes, bom: bytes, newline: str) -> None:
    out, result = apply_file_bytes(data, "render.yaml", TIERS["pro+redis"], NO, CAT)
    assert out.startswith(bom) and not out[len(bom) :].startswith(b"\xef\xbb\xbf")
    body = out[len(bom) :].decode()
    assert body.count("\n") == body.count(newline)
    assert len(result.changes) == 5
    expected = run(BASE, "pro+redis").text.replace("\n", newline)
    assert body == expected


def test_mixed_line_endings_keep_each_line_ending() -> None:
    text = (
        "services:\r\n  - type: web\n    name: api\r\n    runtime: python\n"
        "    plan: free\r\n    startCommand: uvicorn main:app\n"
    )
    out, _ = apply_file_bytes(text.encode(), "render.yaml", TIERS["pro+redis"], NO, CAT)
    assert out.decode() == (
        "services:\r\n  - type: web\n    name: api\r\n    runtime: python\n"
        f"    plan: pro\r\n    startCommand: {PRO}\n"
        "    envVars:\n      - key: REDIS_URL\n        fromService:\n"
        "          type: keyvalue\n          name: cache\n          property: connectionString\n"
        "  - type: keyvalue\n    name: cache\n    plan: starter\n    ipAllowList: []\n"
    )


def test_inserted_lines_copy_the_ending_of_the_line_they_follow() -> None:
    text = "services:\n  - type: web\n    name: api\n    runtime: python\r\n    startCommand: x\n"
    out, _ = apply_file_bytes(text.encode(), "render.yaml", TIERS["free"], NO, CAT)
    assert out.decode() == (
        "services:\n  - type: web\n    name: api\n    runtime: python\r\n"
        "    plan: free\r\n    startCommand: x\n"
    )


def test_file_bytes_not_utf8() -> None:
    with pytest.raises(RenderFileError, match=r"^render\.yaml: not UTF-8 .* byte offset 12"):
        apply_file_bytes(b"services: []\xff\n", "render.yaml", TIERS["pro"], NO, CAT)


def test_keyvalue_target_name_and_plan_are_used() -> None:
    target = TierTarget("x", "pro", "pro-4gb", "uvicorn {app}", KeyValueTarget("sessions", "1g"))
    result = apply_tier(BASE, "render.yaml", target, NO, CAT)
    assert "  - type: keyvalue\n    name: sessions\n    plan: 1g\n    ipAllowList: []\n" in (
        result.text
    )
    assert "          name: sessions\n" in result.text


EDGE_CASES = [
    pytest.param(
        "services:\n- type: web\n  name: api\n  runtime: python\n  startCommand: |\n"
        "    uvicorn main:app --port $PORT",
        "pro+redis",
        "services:\n- type: web\n  name: api\n  runtime: python\n  plan: pro\n  startCommand: |\n"
        f"    {PRO}\n  envVars:\n  - key: REDIS_URL\n    fromService:\n      type: keyvalue\n"
        "      name: cache\n      property: connectionString\n- type: keyvalue\n  name: cache\n"
        "  plan: starter\n  ipAllowList: []",
        id="block-scalar-at-end-of-file-gains-its-line-break",
    ),
    pytest.param(
        "services:\n- type: web\n  name: api\n  runtime: python\n  plan: free\n"
        "  startCommand: |\n    uvicorn main:app\n\n\n# trailing comment\n",
        "starter",
        "services:\n- type: web\n  name: api\n  runtime: python\n  plan: starter\n"
        f"  startCommand: |\n    {STARTER}\n\n\n# trailing comment\n",
        id="block-scalar-trailing-blank-lines-kept",
    ),
    pytest.param(
        "services:\n- type: web\n  name: api\n  runtime: python\n  plan: free\n"
        "  startCommand: uvicorn main:app\n    --port $PORT\n",
        "free",
        f"services:\n- type: web\n  name: api\n  runtime: python\n  plan: free\n"
        f"  startCommand: {FREE}\n",
        id="multi-line-plain-scalar",
    ),
    pytest.param(
        "services:\n- type: web\n  name: api\n  runtime: python\n  plan: !!str free\n"
        '  startCommand: "uvicorn \\\n    main:app"\n',
        "pro",
        f"services:\n- type: web\n  name: api\n  runtime: python\n  plan: !!str pro\n"
        f'  startCommand: "{PRO}"\n',
        id="tagged-plan-and-escaped-line-break",
    ),
]


@pytest.mark.parametrize(("text", "tier", "expected"), EDGE_CASES)
def test_edge_cases(text: str, tier: str, expected: str) -> None:
    assert run(text, tier).text == expected


def test_keep_block_scalar_is_refused() -> None:
    text = "services:\n- type: web\n  name: api\n  runtime: python\n"
    text += "  startCommand: |+\n    uvicorn m:a\n"
    with pytest.raises(RefusedError, match=r"^render\.yaml:5:17: cannot locate .* keep"):
        apply_tier(text, "render.yaml", TIERS["free"], NO, CAT)


def test_check_catches_an_edit_that_changes_meaning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "tier_cli.blueprint.splice.render_scalar", lambda value, span, flow: value + "s"
    )
    with pytest.raises(RefusedError, match=r"`services\[0\]\.plan` would not be what tier"):
        apply_tier(BASE, "render.yaml", TIERS["pro"], NO, CAT)


def test_check_catches_an_edit_that_breaks_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "tier_cli.blueprint.splice.render_scalar", lambda value, span, flow: '"' + value
    )
    with pytest.raises(RefusedError, match=r"^render\.yaml: the edit would not re-parse"):
        apply_tier(BASE, "render.yaml", TIERS["pro"], NO, CAT)


def test_check_catches_an_edit_that_is_not_idempotent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tier_cli.blueprint.editor.same_plan", lambda *args: False)
    with pytest.raises(RefusedError, match="a second run would change the file again"):
        apply_tier(BASE, "render.yaml", TIERS["pro"], NO, CAT)


def test_unended_block_scalar_at_end_of_file_is_refused_for_added_lines() -> None:
    text = (
        "services:\n- type: web\n  name: api\n  runtime: python\n  plan: pro\n"
        f"  startCommand: {PRO}\n  buildCommand: |\n    pip install -r requirements.txt"
    )
    with pytest.raises(RefusedError, match=r"^render\.yaml: cannot add envVars to `api` safely"):
        apply_tier(text, "render.yaml", TIERS["pro+redis"], NO, CAT)
    with_break = run(text + "\n", "pro+redis")
    assert with_break.text.startswith(text + "\n  envVars:\n  - key: REDIS_URL\n")


LAYOUT_CASES = [
    pytest.param(f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO}
    envVars: []
    healthCheckPath :
""", f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO}
    envVars: [{REDIS}]
    healthCheckPath :
  - type: keyvalue
    name: cache
    plan: starter
    ipAllowList: []
""", id="empty-flow-env-vars-and-empty-last-value"),
    pytest.param(f"""\
services:
  -
    type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO}
""", f"""\
services:
  -
    type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO}
    envVars:
      - key: REDIS_URL
        fromService:
          type: keyvalue
          name: cache
          property: connectionString
  - type: keyvalue
    name: cache
    plan: starter
    ipAllowList: []
""", id="dash-on-its-own-line"),
    pytest.param(f"""\
services:
  - {{type: web, name: api, runtime: python, plan: pro, startCommand: {PRO}, envVars: }}
""", f"""\
services:
  - {{type: web, name: api, runtime: python, plan: pro, startCommand: {PRO}, envVars: [{REDIS}] }}
  - {{type: keyvalue, name: cache, plan: starter, ipAllowList: []}}
""", id="empty-env-vars-in-flow-mapping"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), LAYOUT_CASES)
def test_layouts_with_keyvalue(text: str, expected: str) -> None:
    assert run(text, "pro+redis").text == expected


def _db(plan: str | None) -> str:
    """BASE with the database on `plan` (no `plan:` key for None)."""
    head, db = BASE.split("databases:\n")
    return (
        head
        + "databases:\n"
        + db.replace("    plan: free\n", "" if plan is None else f"    plan: {plan}\n")
    )


def _guide(db_plan: str) -> TierTarget:
    """A tier as the guide wrote it: web plan pro, and a database plan that may be legacy."""
    return TierTarget("guide", "pro", db_plan, PRO.replace("main:app", "{app}"))


LEGACY_MOVES = [
    pytest.param(_db("free"), "pro", "render.yaml:9:11:", "is on plan `free`", "pro-4gb",
                 id="free-to-legacy-pro"),
    pytest.param(_db("basic-256mb"), "starter", "render.yaml:9:11:", "is on plan `basic-256mb`",
                 "basic-256mb", id="current-to-legacy-starter"),
    pytest.param(_db("0.5c-1g"), "standard", "render.yaml:9:11:", "is on plan `0.5c-1g`",
                 "basic-1gb", id="spec-id-to-legacy-standard"),
    pytest.param(_db(None), "pro plus", "render.yaml:8:5:",
                 "has no `plan:` (a new database gets basic-256mb)", "pro-8gb",
                 id="no-plan-key-to-legacy"),
    pytest.param(_db("pro-64gb"), "pro", "render.yaml:9:11:", "is on plan `pro-64gb`", "pro-4gb",
                 id="unpriced-current-to-legacy"),
    pytest.param(_db("standard"), "starter", "render.yaml:9:11:", "is on legacy plan `standard`",
                 "basic-256mb", id="legacy-to-another-legacy"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "legacy", "where", "on", "successor"), LEGACY_MOVES)
def test_never_writes_a_legacy_postgres_plan(
    text: str, legacy: str, where: str, on: str, successor: str
) -> None:
    with pytest.raises(LegacyPlanRefused) as info:
        apply_tier(text, "render.yaml", _guide(legacy), NO, CAT)
    message = str(info.value)
    assert isinstance(info.value, RefusedError)  # exit 3 for `tier apply`
    assert message.startswith(where), message
    assert f"database db {on}; tier guide would write the legacy Postgres plan `{legacy}`" in (
        message
    )
    assert f'Tip: set database_plan = "{successor}" for tier guide in tiers.toml' in message
    assert "\n" not in message


STAYS_ON_LEGACY = [
    pytest.param("pro", "pro", id="legacy-pro-stays"),
    pytest.param("Starter", "starter", id="legacy-starter-other-case-stays"),
    pytest.param("pro_plus", "pro plus", id="legacy-pro-plus-api-spelling-stays"),
]


@pytest.mark.parametrize(("written", "tier_plan"), STAYS_ON_LEGACY)
def test_a_database_already_on_the_legacy_plan_stays(written: str, tier_plan: str) -> None:
    text = run(_db(written), "pro").text.replace("plan: pro-4gb", f"plan: {written}")
    result = apply_tier(text, "render.yaml", _guide(tier_plan), NO, CAT)
    assert result.text == text and result.changes == ()


def test_legacy_moves_to_its_current_successor() -> None:
    result = apply_tier(_db("pro"), "render.yaml", TIERS["pro"], NO, CAT)
    assert ("db plan pro -> pro-4gb", 9) in [(c.describe(), c.line) for c in result.changes]
