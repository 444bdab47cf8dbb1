"""Every real render.yaml in the shared corpus, through every tier, on both YAML parsers.

Files with one Python web service must come out re-parseable, idempotent, with every line
outside the edited values byte-identical and every other service's data unchanged; the others
must fail with the expected clean error, never with another exception. The C parser and the
pure one must give the same bytes, changes and notes, or the same error message. With the
scale-out tier (`scaling` managed), every trip from one tier to another and back gives back the
bytes, and scale-out adds the scaling lines after `plan:` and nothing else.
"""

from __future__ import annotations

import difflib
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from corpus_files import CORPUS, FILES
from edit_checks import check_data, check_lines, load
from tier_targets import CAT, SCALED, SCALING, TIERS
from yaml_parsers import on_both

from tier_cli.blueprint.editor import apply_file_bytes
from tier_cli.blueprint.view import choose_database, choose_web_service, read_blueprint
from tier_cli.config.settings import Selection
from tier_cli.errors import ConfigError, RefusedError, RenderFileError, TierError
from tier_cli.textio import decode

# What the corpus is known to hold; a change in these numbers means the corpus changed.
EXPECTED_ERRORS = {
    "026-camier-searxng-convivial-instance.yaml": RenderFileError,  # `services:` twice
    "060-001veli-muhendis-portal.yaml": RenderFileError,  # `env:` twice in one service
    "095-pyhub-kr-cookiecutter-django-render.yaml": RenderFileError,  # Jinja placeholders
    "057-12yhorel-umsa-transporte.yaml": RenderFileError,  # no services: not a Blueprint
    "061-004charles-sistema-de-gestao-sckj.yaml": RenderFileError,  # no services
    "080-jasurbekkarimov-new-drf3.yaml": RenderFileError,  # no services
    "096-hamza1610-ashandy-agent.yaml": RenderFileError,  # comments only
}


def test_corpus_present() -> None:
    if not FILES:
        message = f"corpus not found at {CORPUS} (set TIER_CORPUS_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    assert len(FILES) >= 100


@cache  # each file is read once for its four tiers
def _outcome(data: bytes, name: str) -> tuple[str, str | None] | type[TierError]:
    """(web service, database) tier acts on, or the error type reading it gives."""
    try:
        view = on_both(lambda: read_blueprint(decode(data, name).text, name))
        web = choose_web_service(view, None, name)
    except TierError as exc:
        return type(exc)
    assert web.name is not None
    database = choose_database(view, web, None)
    return web.name, database.name if database else None


@pytest.mark.parametrize("tier", list(TIERS))
@pytest.mark.parametrize("path", FILES, ids=[p.name[:48] for p in FILES])
def test_corpus_file(path: Path, tier: str) -> None:
    data = path.read_bytes()
    outcome = _outcome(data, "render.yaml")
    if isinstance(outcome, type):
        assert issubclass(outcome, (RenderFileError, ConfigError))
        assert outcome is EXPECTED_ERRORS.get(path.name, ConfigError)
        with pytest.raises(outcome):
            on_both(lambda: apply_file_bytes(data, "render.yaml", TIERS[tier], Selection(), CAT))
        return
    assert path.name not in EXPECTED_ERRORS
    web, database = outcome
    out, result = on_both(
        lambda: apply_file_bytes(data, "render.yaml", TIERS[tier], Selection(), CAT)
    )
    again, second = on_both(
        lambda: apply_file_bytes(out, "render.yaml", TIERS[tier], Selection(), CAT)
    )
    assert again == out and second.changes == ()
    old, new = data.decode("utf-8-sig"), out.decode("utf-8-sig")
    assert out.startswith(b"\xef\xbb\xbf") == data.startswith(b"\xef\xbb\xbf")
    assert new.endswith("\n") == old.endswith("\n")
    assert load(new) is not None
    check_lines(old, new, web, database)
    keyvalue = TIERS[tier].keyvalue
    check_data(old, new, web, database, keyvalue.name if keyvalue else None)
    if result.changes:
        assert out != data
    else:
        assert out == data


def test_corpus_covers_the_hard_cases() -> None:
    """The corpus exercises what the editor must handle; fail loudly if it stops doing so."""
    if not FILES:
        pytest.skip("no corpus")
    editable = [p for p in FILES if not isinstance(_outcome(p.read_bytes(), "r"), type)]
    assert len(editable) >= 40
    texts = {p.name: p.read_text("utf-8") for p in editable}
    assert any("startCommand: |" in t for t in texts.values())
    assert any("projects:" in t for t in texts.values())
    assert any("env: python" in t for t in texts.values())
    assert any(not t.endswith("\n") for t in texts.values())


# Every trip from a start tier to another tier and back, with scale-out (its `scaling` managed
# by every tier). A trip through a Key Value tier from one without comes back with the Key
# Value service (tier never deletes one), so those trips start from a Key Value tier only.
def _trips() -> list[tuple[str, str]]:
    return [
        (start, away)
        for start in SCALED
        for away in SCALED
        if away != start and (SCALED[away].keyvalue is None or SCALED[start].keyvalue)
    ]


@pytest.mark.parametrize("path", FILES, ids=[p.name[:48] for p in FILES])
def test_corpus_round_trips(path: Path) -> None:
    data = path.read_bytes()
    outcome = _outcome(data, "render.yaml")
    if isinstance(outcome, type):
        return  # not a file tier edits: test_corpus_file checks its error
    on: dict[str, bytes] = {}
    for tier, target in SCALED.items():
        try:
            on[tier], _ = apply_file_bytes(data, "render.yaml", target, Selection(), CAT)
        except RefusedError as exc:
            assert tier == "scale-out" and "Render does not autoscale a service with a disk" in str(
                exc
            )
    if "scale-out" in on:
        _check_only_scaling_added(on["pro+redis"], on["scale-out"], outcome[0])
    trips = 0
    for start, away in _trips():
        if start not in on or away not in on:
            continue
        there, _ = apply_file_bytes(on[start], "render.yaml", SCALED[away], Selection(), CAT)
        back, result = apply_file_bytes(there, "render.yaml", SCALED[start], Selection(), CAT)
        expected = on[start]
        if any(n.code == "database-plan-kept" for n in result.notes):
            # Render turns no paid database into a free one: the way back keeps away's database
            # plan, and every other byte is the start tier's
            kept = SCALED[start]._replace(database_plan=SCALED[away].database_plan)
            expected, _ = apply_file_bytes(data, "render.yaml", kept, Selection(), CAT)
        assert back == expected, f"{start} -> {away} -> {start}"
        trips += 1
    assert trips >= 7


def _check_only_scaling_added(without: bytes, with_: bytes, web: str) -> None:
    """scale-out's file is pro+redis's with the scaling lines added after plan, nothing else."""
    old, new = without.decode("utf-8-sig").splitlines(), with_.decode("utf-8-sig").splitlines()
    ops = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    added = [(i, j1, j2) for tag, i, _, j1, j2 in ops if tag != "equal"]
    assert [tag for tag, *_ in ops if tag != "equal"] == ["insert"]
    ((at, j1, j2),) = added
    assert old[at - 1].strip().startswith("plan:")
    assert new[j1].strip().startswith("scaling:")
    assert all(line.startswith(new[j1][: new[j1].index("s")] + " ") for line in new[j1 + 1 : j2])
    services = [s for scope in _scopes(load(with_.decode("utf-8-sig"))) for s in scope]
    (service,) = [s for s in services if s.get("name") == web]
    assert service["scaling"] == dict(SCALING)


def _scopes(data: Any) -> list[list[Any]]:
    scopes = [data.get("services") or []]
    for project in data.get("projects") or []:
        scopes.extend(env.get("services") or [] for env in project.get("environments") or [])
    return scopes


def test_corpus_has_a_web_service_with_a_disk() -> None:
    """scale-out is refused on it (Render does not autoscale a service with a disk)."""
    if not FILES:
        pytest.skip("no corpus")
    refused = 0
    for path in FILES:
        data = path.read_bytes()
        if b"disk:" not in data or isinstance(_outcome(data, "render.yaml"), type):
            continue
        try:
            apply_file_bytes(data, "render.yaml", SCALED["scale-out"], Selection(), CAT)
        except RefusedError:
            refused += 1
    assert refused >= 1
