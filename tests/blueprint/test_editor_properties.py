"""Properties of apply_tier on generated Blueprints (hypothesis).

Generated files vary indentation (2 or 4), sequence style (indented under the key or not),
key order, quoting (plain, single, double, literal and folded blocks), comments (full-line and
end-of-line), blank lines, CRLF, a BOM and the final newline. For every tier:
- only the target values change: every other line is still there, byte for byte, in order;
- the output re-parses, and means the same except at the targets;
- a second run is a no-op;
- the C and the pure YAML parser give the same bytes, changes and notes, or the same error.
"""

from __future__ import annotations

from dataclasses import dataclass

from edit_checks import check_data, check_lines, load
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tier_targets import CAT, SCALED, SCALING, TIERS
from yaml_parsers import on_both

from tier_cli.blueprint.editor import apply_file_bytes
from tier_cli.blueprint.startcmd import find_app, parse_start, parse_template
from tier_cli.config.catalogue import database_move, load_catalogue, same_plan
from tier_cli.config.settings import Selection, TierTarget
from tier_cli.errors import RefusedError

# The guide's four tiers (managing no web field), and the same with scale-out (managing scaling).
EVERY = {**TIERS, **{f"{name} (scaling managed)": t for name, t in SCALED.items()}}

COMMANDS = [
    "uvicorn main:app --host 0.0.0.0 --port $PORT",
    "uvicorn app.main:app",
    "gunicorn main:app -k uvicorn.workers.UvicornWorker --bind 0.0.0.0:$PORT",
    "cd backend && uvicorn api.main:app --port $PORT",
    "python -m uvicorn main:app",
    "uv run uvicorn app.main:app --port $PORT",
    "./start.sh",
    "python main.py",
    "gunicorn config.wsgi:application",
]
WEB_PLANS = ["free", "starter", "standard", "pro", "2c-4g", "Pro", "0.5c-512mb"]
DB_PLANS = ["free", "basic-256mb", "basic-1gb", "pro-4gb", "starter", "pro"]
STYLES = ["plain", "single", "double", "literal", "literal-strip", "folded-strip"]
COMMENTS = ["# note", "# café ✓ 中文", "#", "# plan: free"]


@dataclass(frozen=True)
class Layout:
    indent: int
    seq_indented: bool
    newline: str
    final_newline: bool
    bom: bool


def _scalar(value: str, style: str, pad: str) -> str:
    if style == "single":
        return "'" + value.replace("'", "''") + "'"
    if style == "double":
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if style.startswith(("literal", "folded")):
        head = {"literal": "|", "literal-strip": "|-", "folded-strip": ">-"}[style]
        return head + "\n" + pad + value
    return value


@st.composite
def blueprints(
    draw: st.DrawFn,
    web_plans: list[str] = WEB_PLANS,
    db_plans: list[str] = DB_PLANS,
    scaling: bool = True,
) -> tuple[bytes, Layout]:
    layout = Layout(
        indent=draw(st.sampled_from([2, 4])),
        seq_indented=draw(st.booleans()),
        newline=draw(st.sampled_from(["\n", "\r\n"])),
        final_newline=draw(st.booleans()),
        bom=draw(st.booleans()),
    )
    ind = " " * layout.indent
    dash = ind if layout.seq_indented else ""
    key_pad = dash + "-" + " " * (layout.indent - 1)
    body_pad = " " * len(key_pad)
    lines: list[str] = []

    def comment() -> None:
        if draw(st.integers(0, 4)) == 0:
            lines.append(draw(st.sampled_from(["", dash + draw(st.sampled_from(COMMENTS))])))

    def eol() -> str:
        return "  " + draw(st.sampled_from(COMMENTS)) if draw(st.integers(0, 3)) == 0 else ""

    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(COMMENTS)))
    lines.append("services:")
    others = draw(st.lists(st.sampled_from(["worker", "node-web", "redis"]), max_size=3))
    position = draw(st.integers(0, len(others)))
    kinds = [*others[:position], "web", *others[position:]]
    with_db = draw(st.booleans())
    for number, kind in enumerate(kinds):
        comment()
        fields: list[tuple[str, str]] = [
            ("type", {"worker": "worker", "node-web": "web", "redis": "redis"}.get(kind, "web")),
            ("name", f"svc{number}" if kind != "web" else "api"),
        ]
        if kind in ("web", "worker"):
            fields.append((draw(st.sampled_from(["runtime", "env"])), "python"))
        elif kind == "node-web":
            fields.append(("runtime", "node"))
        if draw(st.booleans()):
            fields.append(("plan", draw(st.sampled_from(web_plans))))
        if kind == "web":
            fields.append(("startCommand", draw(st.sampled_from(COMMANDS))))
        if kind == "redis":
            fields.append(("ipAllowList", "[]"))
        if kind in ("web", "worker") and scaling and draw(st.integers(0, 2)) == 0:
            fields.append(("scaling", draw(st.sampled_from(["block", "flow"]))))
        order = draw(st.permutations(range(1, len(fields))))
        fields = [fields[0], *(fields[i] for i in order)]
        for index, (key, value) in enumerate(fields):
            head = key_pad if index == 0 else body_pad
            if key == "startCommand":
                style = draw(st.sampled_from(STYLES))
                text = _scalar(value, style, body_pad + ind)
                tail = "" if style.startswith(("literal", "folded")) else eol()
                lines.extend(f"{head}{key}: {text}{tail}".split("\n"))
            elif key == "scaling" and value == "block":
                lines.append(f"{head}{key}:{eol()}")
                lines.append(f"{body_pad}{ind}minInstances: 1{eol()}")
                comment()
                lines.append(f"{body_pad}{ind}maxInstances: 3")
            elif key == "scaling":
                lines.append(f"{head}{key}: {{minInstances: 1, maxInstances: 3}}{eol()}")
            elif key == "plan":
                style = draw(st.sampled_from(["plain", "single", "double"]))
                lines.append(f"{head}{key}: {_scalar(value, style, '')}{eol()}")
            else:
                lines.append(f"{head}{key}: {value}")
            comment()
        if kind == "web" and with_db and draw(st.booleans()):
            lines.append(f"{body_pad}envVars:")
            item = body_pad + dash + "-" + " " * (layout.indent - 1)
            lines.append(f"{item}key: DATABASE_URL")
            lines.append(f"{' ' * len(item)}fromDatabase:")
            lines.append(f"{' ' * (len(item) + layout.indent)}name: db")
            lines.append(f"{' ' * (len(item) + layout.indent)}property: connectionString")
    if with_db:
        comment()
        lines.append("databases:")
        lines.append(f"{key_pad}name: db")
        if draw(st.booleans()):
            lines.append(f"{body_pad}plan: {draw(st.sampled_from(db_plans))}{eol()}")
    text = layout.newline.join(lines) + (layout.newline if layout.final_newline else "")
    data = text.encode()
    return (b"\xef\xbb\xbf" + data if layout.bom else data), layout


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blueprints(), st.sampled_from(list(EVERY)))
def test_only_targets_change_and_second_run_is_a_no_op(
    generated: tuple[bytes, Layout], tier: str
) -> None:
    data, layout = generated
    target = EVERY[tier]
    try:
        out, _ = on_both(lambda: apply_file_bytes(data, "render.yaml", target, Selection(), CAT))
    except RefusedError as exc:  # the one refusal generated files can meet
        assert "ends inside the block scalar" in str(exc)
        assert not data.endswith(b"\n")
        return
    again, second = on_both(lambda: apply_file_bytes(out, "render.yaml", target, Selection(), CAT))
    assert again == out and second.changes == ()
    assert out.startswith(b"\xef\xbb\xbf") == layout.bom
    old, new = data.decode("utf-8-sig"), out.decode("utf-8-sig")
    if new.endswith(layout.newline) != old.endswith(layout.newline):
        # lines removed at the unended end of a file keep the break ending a block scalar
        assert not old.endswith(layout.newline)
        assert "scaling" in target.managed and "scaling" not in target.web
    if layout.newline == "\r\n":
        assert new.count("\n") == new.count("\r\n")
    else:
        assert "\r" not in new
    assert load(new)["services"]
    database = "db" if "databases:" in old else None
    check_lines(old, new, "api", database, target.managed)
    keyvalue = target.keyvalue
    check_data(old, new, "api", database, keyvalue.name if keyvalue else None, target.managed)
    _check_targets(new, target, old)


def _check_targets(new: str, target: TierTarget, old: str) -> None:
    """The targets hold what the tier says (a command tier cannot read is left alone)."""
    catalogue = load_catalogue()
    data = load(new)
    (web,) = [s for s in data["services"] if s["name"] == "api"]
    assert same_plan(catalogue, "web", web["plan"], target.web_plan)
    (old_web,) = [s for s in load(old)["services"] if s["name"] == "api"]
    app = find_app(old_web["startCommand"])
    tier_cmd = parse_template(target.start_template)
    new_cmd = parse_start(web["startCommand"])
    if parse_start(old_web["startCommand"]) is None:
        assert web["startCommand"] == old_web["startCommand"]
    elif app is not None and target.start_template.replace("{app}", app) in web["startCommand"]:
        pass  # the tier's command, with what it carried
    else:  # the command's own server, with the tier's worker count
        assert new_cmd is not None and tier_cmd is not None
        assert new_cmd.workers == tier_cmd.workers
    old_databases = {d["name"]: d for d in load(old).get("databases") or []}
    for database in data.get("databases") or []:
        before = old_databases[database["name"]]
        move = database_move(
            catalogue, before.get("plan"), before.get("diskSizeGB"), target.database_plan
        )
        if move.kept:  # a paid database is never moved to free: its plan stays as written
            assert database.get("plan") == before.get("plan")
        else:
            assert same_plan(catalogue, "postgres", database["plan"], target.database_plan)
    if "scaling" in target.web:
        assert web["scaling"] == dict(SCALING)
    elif "scaling" in target.managed:
        assert "scaling" not in web
    else:
        assert web.get("scaling") == old_web.get("scaling")
    kinds = [s["type"] for s in data["services"]]
    if target.keyvalue is not None:
        assert kinds.count("keyvalue") + kinds.count("redis") >= 1
        assert [e for e in web["envVars"] if e["key"] == "REDIS_URL"]


# Round trips: plans spelled as the tiers spell them (`2c-4g` is left as written when the tier
# says `pro`, so a trip away and back writes `pro`: not the same bytes, on purpose).
ROUND_WEB_PLANS = ["free", "starter", "standard", "pro"]
ROUND_DB_PLANS = ["free", "basic-256mb", "starter", "pro"]
# Tiers, and the scale-out tier without Key Value: tier never deletes a Key Value service, so a
# trip through a Key Value tier gives back the bytes only when the start tier has one too.
ROUND = {**SCALED, "scale-out-solo": SCALED["scale-out"]._replace(keyvalue=None)}


def reachable(start: str) -> list[str]:
    """The tiers a trip from `start` may pass through and still come back byte for byte: not
    through a Key Value tier unless `start` has one, and not through a paid database when
    `start`'s is free (a paid database is never moved back to free)."""
    free_db = ROUND[start].database_plan == "free"
    return [
        name
        for name, target in ROUND.items()
        if (ROUND[start].keyvalue is not None or target.keyvalue is None)
        and (not free_db or target.database_plan == "free")
    ]


@st.composite
def trips(draw: st.DrawFn) -> tuple[str, list[str]]:
    start = draw(st.sampled_from(list(ROUND)))
    path = draw(st.lists(st.sampled_from(reachable(start)), min_size=1, max_size=5))
    return start, path


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blueprints(ROUND_WEB_PLANS, ROUND_DB_PLANS, scaling=False), trips())
def test_any_trip_back_to_the_start_tier_gives_back_the_bytes(
    generated: tuple[bytes, Layout], trip: tuple[str, list[str]]
) -> None:
    data, _ = generated
    start, path = trip
    try:
        on_start, _ = apply_file_bytes(data, "render.yaml", ROUND[start], Selection(), CAT)
        current = on_start
        for tier in [*path, start]:
            current, _ = apply_file_bytes(current, "render.yaml", ROUND[tier], Selection(), CAT)
    except RefusedError as exc:  # the one refusal generated files can meet
        assert "ends inside the block scalar" in str(exc)
        assert not data.endswith(b"\n")
        return
    assert current == on_start, f"{start} -> {' -> '.join(path)} -> {start}"
