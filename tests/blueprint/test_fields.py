"""[tier.web] fields in render.yaml: whole files written, replaced, removed, refused, reversed.

SCALE is the scale-out tier without Key Value (so that the files show the field alone); PRO is
pro with `scaling` managed, so it removes what SCALE writes.
"""

from __future__ import annotations

from types import MappingProxyType

import pytest
from tier_targets import CAT, PRO_START, SCALING, TIERS, start
from yaml_parsers import yaml_parser  # noqa: F401 - the fixture, used through pytestmark

from tier_cli.blueprint.editor import ApplyResult, apply_file_bytes, apply_tier, rules
from tier_cli.config.settings import Selection, TierTarget
from tier_cli.errors import ConfigError, RefusedError

pytestmark = pytest.mark.usefixtures("yaml_parser")  # every test on the C and the pure parser

MANAGED = ("scaling",)
SCALE = TierTarget(
    "scale-out", "pro", "pro", PRO_START, None, MappingProxyType({"scaling": SCALING}), MANAGED
)
PRO = TIERS["pro"]._replace(managed=MANAGED)
TARGETS = {"scale": SCALE, "pro": PRO, "pro-unmanaged": TIERS["pro"]}
PRO_CMD = start("pro")
NO = Selection()


def run(text: str, target: str) -> ApplyResult:
    result = apply_tier(text, "render.yaml", TARGETS[target], NO, CAT)
    again = apply_tier(result.text, "render.yaml", TARGETS[target], NO, CAT)
    assert again.text == result.text, "a second run changed the file again"
    assert again.changes == ()
    return result


def test_the_rules_table_has_a_row_per_field() -> None:
    assert [(r.entry, r.key) for r in rules(TIERS["pro"])] == [
        ("web", "plan"),
        ("web", "startCommand"),
        ("database", "plan"),
        ("web", "services"),
    ]
    assert [(r.entry, r.key, r.after) for r in rules(PRO)][3:] == [
        ("web", "scaling", ("plan",)),
        ("web", "services", ()),
    ]


# (input, target, expected whole file)
WRITES = [
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro  # the web plan
    # the command
    startCommand: {PRO_CMD}
""",
        "scale",
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro  # the web plan
    scaling:
      minInstances: 2
      maxInstances: 6
      targetCPUPercent: 70
    # the command
    startCommand: {PRO_CMD}
""",
        id="block-after-plan",
    ),
    pytest.param(
        f"""\
services:
- type: web
  startCommand: {PRO_CMD}
  name: api
  plan: pro
  runtime: python
  envVars:
  - key: A
    value: b
""",
        "scale",
        f"""\
services:
- type: web
  startCommand: {PRO_CMD}
  name: api
  plan: pro
  scaling:
    minInstances: 2
    maxInstances: 6
    targetCPUPercent: 70
  runtime: python
  envVars:
  - key: A
    value: b
""",
        id="block-unindented-list-after-plan-wherever-it-is",
    ),
    pytest.param(
        f"""\
services:
    -   type: web
        name: api
        runtime: python
        plan: pro
        startCommand: {PRO_CMD}
        envVars:
            -   key: X
                value: "1"
""",
        "scale",
        f"""\
services:
    -   type: web
        name: api
        runtime: python
        plan: pro
        scaling:
            minInstances: 2
            maxInstances: 6
            targetCPUPercent: 70
        startCommand: {PRO_CMD}
        envVars:
            -   key: X
                value: "1"
""",
        id="four-space-indentation",
    ),
    pytest.param(
        f"""\
services:
  - {{type: web, name: api, runtime: python, plan: pro, startCommand: "{PRO_CMD}"}}
""",
        "scale",
        f"""\
services:
  - {{type: web, name: api, runtime: python, plan: pro, scaling: {{minInstances: 2, \
maxInstances: 6, targetCPUPercent: 70}}, startCommand: "{PRO_CMD}"}}
""",
        id="flow-service",
    ),
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO_CMD}
    envVars:
      - key: DATABASE_URL
        fromDatabase: {{name: db, property: connectionString}}
""",
        "scale",
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    scaling: {{minInstances: 2, maxInstances: 6, targetCPUPercent: 70}}
    startCommand: {PRO_CMD}
    envVars:
      - key: DATABASE_URL
        fromDatabase: {{name: db, property: connectionString}}
""",
        id="flow-like-the-services-nested-mappings",
    ),
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    startCommand: {PRO_CMD}
""",
        "scale",
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    scaling:
      minInstances: 2
      maxInstances: 6
      targetCPUPercent: 70
    startCommand: {PRO_CMD}
""",
        id="no-plan-key-both-go-where-plan-goes",
    ),
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    scaling:  # autoscaling
      minInstances: 1
      # keep a spare
      maxInstances: "3"  # quoted
      targetMemoryPercent: 80
    startCommand: {PRO_CMD}
""",
        "scale",
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    scaling:  # autoscaling
      minInstances: 2
      # keep a spare
      maxInstances: 6  # quoted
      targetCPUPercent: 70
    startCommand: {PRO_CMD}
""",
        id="existing-block-replaced-in-place-key-by-key",
    ),
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    scaling: {{maxInstances: 3, minInstances: 1, targetCPUPercent: 50}}  # c
    startCommand: {PRO_CMD}
""",
        "scale",
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    scaling: {{maxInstances: 6, minInstances: 2, targetCPUPercent: 70}}  # c
    startCommand: {PRO_CMD}
""",
        id="existing-flow-replaced-in-place",
    ),
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    scaling:
    startCommand: {PRO_CMD}
""",
        "scale",
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    scaling:
      minInstances: 2
      maxInstances: 6
      targetCPUPercent: 70
    startCommand: {PRO_CMD}
""",
        id="existing-empty-value-rewritten",
    ),
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    scaling:
      targetMemoryPercent: 60
    startCommand: {PRO_CMD}
""",
        "scale",
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    scaling:
      minInstances: 2
      maxInstances: 6
      targetCPUPercent: 70
    startCommand: {PRO_CMD}
""",
        id="no-key-in-common-rewritten-whole",
    ),
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    scaling:
      minInstances: >-
        1
      maxInstances: !!int 6
      targetCPUPercent: '70'
    startCommand: {PRO_CMD}
""",
        "scale",
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    scaling:
      minInstances: 2
      maxInstances: !!int 6
      targetCPUPercent: 70
    startCommand: {PRO_CMD}
""",
        id="a-block-scalar-number-rewritten-a-quoted-one-unquoted-a-tagged-one-kept",
    ),
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO_CMD}
""",
        "pro",
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO_CMD}
""",
        id="pro-has-nothing-to-remove",
    ),
]

REMOVES = [
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    # Render autoscaling (a comment above the key stays)
    scaling:  # on the key's line: goes with it
      minInstances: 2
      # between its lines: goes with it
      maxInstances: 6
      targetCPUPercent: 70  # on its last line: goes with it
    # after the value: stays
    startCommand: {PRO_CMD}
""",
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    # Render autoscaling (a comment above the key stays)
    # after the value: stays
    startCommand: {PRO_CMD}
""",
        id="block-with-comments",
    ),
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    scaling: {{minInstances: 2, maxInstances: 6, targetCPUPercent: 70}}
    startCommand: {PRO_CMD}
""",
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO_CMD}
""",
        id="flow-value",
    ),
    pytest.param(
        f"""\
services:
  - {{type: web, name: api, runtime: python, plan: pro, scaling: {{minInstances: 2}}, \
startCommand: "{PRO_CMD}"}}
""",
        f"""\
services:
  - {{type: web, name: api, runtime: python, plan: pro, startCommand: "{PRO_CMD}"}}
""",
        id="flow-service",
    ),
    pytest.param(
        f"""\
services:
  - scaling:
      minInstances: 2
      maxInstances: 6
    type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO_CMD}
""",
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO_CMD}
""",
        id="first-key-of-the-item-next-key-moves-up",
    ),
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO_CMD}
    scaling:
      minInstances: 2
      maxInstances: 6""",
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO_CMD}""",
        id="last-line-without-final-newline",
    ),
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    scaling:
    startCommand: {PRO_CMD}
""",
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO_CMD}
""",
        id="empty-value",
    ),
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO_CMD}

    scaling:
      minInstances: 2""",
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO_CMD}""",
        id="blank-lines-before-it-at-the-end-without-final-newline",
    ),
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: |
      {PRO_CMD}
    scaling:
      minInstances: 2""",
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: |
      {PRO_CMD}
""",
        id="after-a-block-scalar-at-the-end-without-final-newline-keeps-its-break",
    ),
]


@pytest.mark.parametrize(("text", "target", "expected"), WRITES)
def test_writes_whole_file(text: str, target: str, expected: str) -> None:
    assert run(text, target).text == expected


@pytest.mark.parametrize(("text", "expected"), REMOVES)
def test_removes_whole_file(text: str, expected: str) -> None:
    result = run(text, "pro")
    assert result.text == expected
    assert [c.describe() for c in result.changes] == ["api scaling removed"]


@pytest.mark.parametrize(("text", "expected"), REMOVES)
def test_a_tier_that_manages_nothing_leaves_the_field_alone(text: str, expected: str) -> None:
    assert run(text, "pro-unmanaged").text == text


def test_crlf_file_in_and_out() -> None:
    base = (
        "services:\r\n  - type: web\r\n    name: api\r\n    runtime: python\r\n"
        f"    plan: pro  # c\r\n    startCommand: {PRO_CMD}\r\n"
    )
    scaled, result = apply_file_bytes(base.encode(), "render.yaml", SCALE, NO, CAT)
    assert scaled.decode() == base.replace(
        "# c\r\n",
        "# c\r\n    scaling:\r\n      minInstances: 2\r\n      maxInstances: 6\r\n"
        "      targetCPUPercent: 70\r\n",
    )
    assert [(c.field, c.line) for c in result.changes] == [("scaling", 6)]
    back, _ = apply_file_bytes(scaled, "render.yaml", PRO, NO, CAT)
    assert back == base.encode()


def test_changes_describe_what_changed() -> None:
    text = (
        "services:\n  - type: web\n    name: api\n    runtime: python\n    plan: pro\n"
        f"    scaling:\n      minInstances: 1\n      maxInstances: 3\n      extra: 1\n"
        f"    startCommand: {PRO_CMD}\n"
    )
    result = run(text, "scale")
    assert [(c.describe(), c.line) for c in result.changes] == [
        ("api scaling.minInstances 1 -> 2", 7),
        ("api scaling.maxInstances 3 -> 6", 8),
        ("api scaling.targetCPUPercent (not set) -> 70", 9),
        ("api scaling.extra removed", 10),
    ]
    unscaled = text.replace("    scaling:\n      minInstances: 1\n", "    x:\n      y: 1\n")
    fresh = run(unscaled, "scale")
    assert [c.describe() for c in fresh.changes] == [
        "api scaling (not set) -> {minInstances: 2, maxInstances: 6, targetCPUPercent: 70}"
    ]


OTHER_FIELDS = TierTarget(
    "custom",
    "pro",
    "pro",
    PRO_START,
    web=MappingProxyType(
        {
            "healthCheckPath": "/health: ok",
            "autoDeploy": False,
            "maxShutdownDelaySeconds": 30,
            "domains": ("a.example", "b.example"),
            "buildFilter": MappingProxyType({"paths": ("src/**",), "ignoredPaths": ()}),
        }
    ),
    managed=("healthCheckPath", "autoDeploy", "maxShutdownDelaySeconds", "domains", "buildFilter"),
)


def test_scalars_lists_and_nested_mappings_of_any_field() -> None:
    text = (
        "services:\n  - type: web\n    name: api\n    runtime: python\n    plan: pro\n"
        "    autoDeploy: 'yes'\n"
        "    domains:\n      - old.example\n"
        f"    startCommand: {PRO_CMD}\n"
    )
    out = apply_tier(text, "render.yaml", OTHER_FIELDS, NO, CAT)
    assert out.text == (
        "services:\n  - type: web\n    name: api\n    runtime: python\n    plan: pro\n"
        '    healthCheckPath: "/health: ok"\n'
        "    maxShutdownDelaySeconds: 30\n"
        "    buildFilter:\n      paths:\n        - src/**\n      ignoredPaths: []\n"
        "    autoDeploy: false\n"
        "    domains:\n      - a.example\n      - b.example\n"
        f"    startCommand: {PRO_CMD}\n"
    )
    again = apply_tier(out.text, "render.yaml", OTHER_FIELDS, NO, CAT)
    assert again.text == out.text and again.changes == ()
    back = apply_tier(out.text, "render.yaml", PRO._replace(managed=OTHER_FIELDS.managed), NO, CAT)
    unset = "    autoDeploy: 'yes'\n    domains:\n      - old.example\n"
    assert back.text == text.replace(unset, "")


# (input, target, where, what)
REFUSED = [
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO_CMD}
    disk:
      name: data
      mountPath: /data
""",
        "scale",
        "render.yaml:7:5",
        "Render does not autoscale a service with a disk",
        id="scaling-with-a-disk",
    ),
    pytest.param(
        f"""\
x-base: &base
  scaling: {{minInstances: 2, maxInstances: 6, targetCPUPercent: 70}}
services:
  - <<: *base
    type: web
    name: api
    runtime: python
    plan: pro
    startCommand: {PRO_CMD}
""",
        "pro",
        "render.yaml:4:5",
        "comes from the merge key",
        id="removal-through-a-merge-key",
    ),
    pytest.param(
        f"""\
services:
  - type: web
    name: api
    runtime: python
    plan: pro
    scaling: &s {{minInstances: 1, maxInstances: 3, targetCPUPercent: 50}}
    startCommand: {PRO_CMD}
  - type: worker
    name: jobs
    runtime: python
    scaling: *s
""",
        "scale",
        "render.yaml:6:14",
        "another entry reuses",
        id="shared-through-an-anchor",
    ),
]


@pytest.mark.parametrize(("text", "target", "where", "what"), REFUSED)
def test_refuses(text: str, target: str, where: str, what: str) -> None:
    with pytest.raises(RefusedError) as info:
        apply_tier(text, "render.yaml", TARGETS[target], NO, CAT)
    assert str(info.value).startswith(where + ":"), str(info.value)
    assert what in str(info.value)
    assert "Tip:" in str(info.value)


def test_scaling_on_a_free_plan_is_a_config_error() -> None:
    free = SCALE._replace(web_plan="free")
    with pytest.raises(ConfigError, match=r"sets scaling on the free web plan.*Tip: give"):
        apply_tier(
            "services:\n  - type: web\n    name: api\n    runtime: python\n", "r", free, NO, CAT
        )


def test_num_instances_beside_scaling_is_a_note() -> None:
    text = (
        "services:\n  - type: web\n    name: api\n    runtime: python\n    plan: pro\n"
        f"    numInstances: 2\n    startCommand: {PRO_CMD}\n"
    )
    result = run(text, "scale")
    assert "    numInstances: 2\n" in result.text
    (note,) = [n for n in result.notes if n.code == "field-overridden"]
    assert note.message.startswith(
        "api has numInstances (line 6) beside scaling: Render's autoscaling overrides "
        "numInstances, which it then ignores. Tip: remove numInstances from render.yaml"
    )
    assert (note.severity, note.line) == ("warning", 6)
    managed = SCALE._replace(managed=("scaling", "numInstances"))
    removed = apply_tier(text, "render.yaml", managed, NO, CAT)
    assert "numInstances" not in removed.text
    assert not [n for n in removed.notes if n.code == "field-overridden"]


def test_free_starter_pro_free_gives_back_the_file_with_its_comments() -> None:
    text = (
        "services:\n  - type: web\n    name: api\n    runtime: python\n"
        "    plan: free  # c\n"
        f"    startCommand: {start('free')}    # four spaces\n"
        "databases:\n  - name: db\n    plan: free # one space\n"
    )
    current = text
    for tier in ("starter", "pro", "free"):
        current = apply_tier(current, "render.yaml", TIERS[tier], NO, CAT).text
        assert "plan: " + TIERS[tier].web_plan + "  # c\n" in current
        assert "    # four spaces\n" in current
        db = "pro-4gb" if tier == "free" else TIERS[tier].database_plan  # paid: never to free
        assert f"plan: {db} # one space\n" in current
    assert current == text.replace("plan: free # one space", "plan: pro-4gb # one space")


def test_removal_and_key_value_lines_added_after_the_same_last_key() -> None:
    text = (
        "services:\n  - type: web\n    name: api\n    runtime: python\n    plan: pro\n"
        f"    startCommand: {PRO_CMD}\n    scaling: {{minInstances: 2}}  # c\n"
    )
    redis = TIERS["pro+redis"]._replace(managed=MANAGED)
    result = apply_tier(text, "render.yaml", redis, NO, CAT)
    assert result.text == (
        "services:\n  - type: web\n    name: api\n    runtime: python\n    plan: pro\n"
        f"    startCommand: {PRO_CMD}\n"
        "    envVars:\n      - key: REDIS_URL\n        fromService:\n          type: keyvalue\n"
        "          name: cache\n          property: connectionString\n"
        "  - type: keyvalue\n    name: cache\n    plan: starter\n    ipAllowList: []\n"
    )
    assert [(c.describe(), c.line) for c in result.changes] == [
        ("api scaling removed", 7),
        ("api envVars REDIS_URL added", 7),
        ("cache keyvalue service added", 13),
    ]
