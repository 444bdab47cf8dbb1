"""editor: whole-file tables of what apply_tier writes, leaves alone, refuses and says.

The whole-file cases are files: tests/blueprint/cases/<kind>/<id>/ (tests/editor_cases.py).
"""

from __future__ import annotations

import pytest
from editor_cases import cases
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


@pytest.mark.parametrize(
    ("text", "expected", "tier", "selection"), cases("rewrites", "after", "tier", "selection")
)
def test_rewrites_whole_file(
    text: str, expected: str, tier: str, selection: dict[str, str] | None
) -> None:
    result = run(text, tier, Selection(**(selection or {})))
    assert result.text == expected
    assert result.changes


@pytest.mark.parametrize(("text", "tier"), cases("unchanged", "tier"))
def test_leaves_alone(text: str, tier: str) -> None:
    result = run(text, tier)
    assert result.text == text
    assert result.changes == ()


@pytest.mark.parametrize(
    ("text", "tier", "where", "what"), cases("refusals", "tier", "where", "what")
)
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


@pytest.mark.parametrize(("text", "tier", "expected"), cases("edge", "tier", "after"))
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


@pytest.mark.parametrize(("text", "tier", "expected"), cases("layouts", "tier", "after"))
def test_layouts_with_keyvalue(text: str, tier: str, expected: str) -> None:
    assert run(text, tier).text == expected


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
