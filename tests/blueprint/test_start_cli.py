"""startCommand and Key Value through the CLI, on whole files: `tier apply --tier T`, then
`tier check` on the result says in sync, and a second apply changes nothing.

Each case is a project folder (render.yaml, tiers.toml, the dependency files its buildCommand
installs); the whole render.yaml after apply is compared, and the one-line notes on stderr.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import cli_project
import pytest
from dates import RECENT

GUNICORN = "gunicorn {app} --workers {n} --worker-class uvicorn_worker.UvicornWorker"
PORT = "--bind 0.0.0.0:$PORT --timeout 120"
TIERS_TOML = f"""\
[[tier]]
name = "free"
web_plan = "free"
database_plan = "free"
start_command = "uvicorn {{app}} --host 0.0.0.0 --port $PORT"

[[tier]]
name = "starter"
web_plan = "standard"
database_plan = "basic-256mb"
start_command = "{GUNICORN.format(app="{app}", n=2)} {PORT}"
[tier.thresholds]
active_users = 500

[[tier]]
name = "pro"
web_plan = "pro"
database_plan = "basic-1gb"
start_command = "{GUNICORN.format(app="{app}", n=4)} {PORT}"
[tier.thresholds]
active_users = 5000

[[tier]]
name = "pro+redis"
web_plan = "pro"
database_plan = "basic-1gb"
start_command = "{GUNICORN.format(app="{app}", n=4)} {PORT}"
keyvalue_plan = "starter"
[tier.thresholds]
active_users = 10000
"""
LOAD = {"free": 10, "starter": 800, "pro": 6000, "pro+redis": 12000}
PLANS = {
    "free": ("free", "free"),
    "starter": ("standard", "basic-256mb"),
    "pro": ("pro", "basic-1gb"),
    "pro+redis": ("pro", "basic-1gb"),
}
SERVERS = "fastapi\nuvicorn\ngunicorn\nuvicorn-worker\n"


def blueprint(start: str, build: str = "pip install -r requirements.txt", extra: str = "") -> str:
    return (
        "services:\n"
        "  - type: web\n"
        "    name: api\n"
        "    runtime: python\n"
        "    plan: free\n"
        f"{extra}"
        f"    buildCommand: {build}\n"
        f"    startCommand: {start}\n"
        "    envVars:\n"
        "      - key: DATABASE_URL\n"
        "        fromDatabase: {name: db, property: connectionString}\n"
        "databases:\n"
        "  - name: db\n"
        "    plan: free\n"
    )


def on_tier(text: str, tier: str, start: str) -> str:
    """The blueprint on `tier`'s plans, with startCommand `start` (the comment kept)."""
    web, database = PLANS[tier]
    out = []
    for line in text.splitlines(keepends=True):
        if line.startswith("    startCommand: "):
            line = f"    startCommand: {start}\n"
        out.append(line)
    body = "".join(out).replace("    plan: free\n", f"    plan: {web}\n", 1)
    return body[: body.rindex("plan: free")] + f"plan: {database}\n"


def pro(app_: str) -> str:
    return f"{GUNICORN.format(app=app_, n=4)} {PORT}"


UV_LOCK = '[[package]]\nname = "fastapi"\n\n[[package]]\nname = "uvicorn"\n'
UV_PROJECT = '[project]\nname = "app"\ndependencies = ["fastapi", "uvicorn"]\n'
POETRY = '[tool.poetry.dependencies]\npython = "^3.11"\nfastapi = "*"\nuvicorn = "*"\n'

# (render.yaml, dependency files, tier, startCommand after, notes on stderr (substrings))
CASES = [
    pytest.param(
        blueprint("python init_db.py && uvicorn web_demo.app:app --host 0.0.0.0 --port $PORT"),
        {"requirements.txt": SERVERS}, "pro",
        "python init_db.py && " + pro("web_demo.app:app"), [], id="prefix-command-kept",
    ),
    pytest.param(
        blueprint("alembic upgrade head && uvicorn app.main:app --host 0.0.0.0 --port $PORT",
                  "uv sync --frozen"),
        {"uv.lock": UV_LOCK, "pyproject.toml": UV_PROJECT}, "pro",
        "alembic upgrade head && uvicorn app.main:app --host 0.0.0.0 --port $PORT --workers 4",
        ["api startCommand runs uvicorn's own workers with the tier's worker count, because "
         "the build does not install gunicorn and uvicorn-worker. Tip: uv add gunicorn and uv "
         "add uvicorn-worker to let tier write the tier's command. [server-not-installed]"],
        id="uv-project-without-gunicorn-keeps-uvicorn",
    ),
    pytest.param(
        blueprint("uvicorn app.main:app --host 0.0.0.0 --port $PORT --proxy-headers"),
        {"requirements.txt": SERVERS}, "pro", pro("app.main:app"),
        ["api startCommand: --proxy-headers is not written: the tier's server does so by "
         "default."], id="proxy-headers-is-the-default",
    ),
    pytest.param(
        blueprint("uvicorn app.main:app --host 0.0.0.0 --port $PORT --root-path /api"),
        {"requirements.txt": SERVERS}, "pro",
        "uvicorn app.main:app --host 0.0.0.0 --port $PORT --root-path /api --workers 4",
        ["because --root-path cannot be carried to gunicorn."], id="root-path-own-workers",
    ),
    pytest.param(
        blueprint("uvicorn main:app --port $PORT --forwarded-allow-ips='*' --log-level debug "
                  "--timeout-keep-alive 30"),
        {"requirements.txt": SERVERS}, "starter",
        f"{GUNICORN.format(app='main:app', n=2)} {PORT} --forwarded-allow-ips '*' "
        "--log-level debug --keep-alive 30", [], id="options-carried-to-gunicorn",
    ),
    pytest.param(
        blueprint("uvicorn main:app --port $PORT --log-level trace"),
        {"requirements.txt": SERVERS}, "starter",
        "uvicorn main:app --port $PORT --log-level trace --workers 2",
        ["because --log-level cannot be carried to gunicorn."], id="trace-has-no-gunicorn-level",
    ),
    pytest.param(
        blueprint("fastapi run app/main.py"), {"requirements.txt": "fastapi[standard]\n"}, "pro",
        "fastapi run app/main.py --workers 4",
        ["because fastapi run finds the app from a path, not an import string."],
        id="fastapi-run-path",
    ),
    pytest.param(
        blueprint("cd backend && fastapi run --app api --workers 2"),
        {"requirements.txt": "fastapi[standard]\n"}, "pro",
        "cd backend && fastapi run --app api --workers 4", ["fastapi run"],
        id="fastapi-run-app-option",
    ),
    pytest.param(
        blueprint("gunicorn mysite.wsgi:application --bind 0.0.0.0:$PORT -w 2"),
        {"requirements.txt": "django\ngunicorn\n"}, "pro",
        "gunicorn mysite.wsgi:application --bind 0.0.0.0:$PORT -w 4",
        ["because gunicorn runs it without an ASGI worker class."], id="wsgi-gunicorn-workers",
    ),
    pytest.param(
        blueprint("uvicorn main:app --host 0.0.0.0 --port $PORT"),
        {"requirements.txt": "fastapi\nuvicorn\n"}, "starter",
        "uvicorn main:app --host 0.0.0.0 --port $PORT --workers 2",
        ["Tip: add gunicorn to requirements.txt and add uvicorn-worker to requirements.txt"],
        id="requirements-without-gunicorn",
    ),
    pytest.param(
        blueprint("poetry run uvicorn main:app --host 0.0.0.0 --port $PORT", "poetry install"),
        {"pyproject.toml": POETRY}, "pro",
        "poetry run uvicorn main:app --host 0.0.0.0 --port $PORT --workers 4",
        ["Tip: poetry add gunicorn and poetry add uvicorn-worker"],
        id="poetry-without-gunicorn",
    ),
    pytest.param(
        blueprint("uvicorn main:app --port $PORT", "./build.sh"), {}, "pro",
        "uvicorn main:app --port $PORT --workers 4",
        ["api startCommand runs uvicorn: tier could not tell whether the build installs it "
         "(buildCommand runs `./build.sh`, which tier does not read).",
         "It runs uvicorn's own workers, not gunicorn and uvicorn-worker, which may be missing "
         "too. [dependencies-unknown]"],
        id="build-script-warns-and-writes-own-workers",
    ),
    pytest.param(
        blueprint("uvicorn main:app --port $PORT", extra="    rootDir: backend\n"),
        {"backend/requirements.txt": "-r base.txt\n", "backend/base.txt": SERVERS}, "pro",
        pro("main:app"), [], id="root-dir-and-included-requirements",
    ),
    pytest.param(
        blueprint(pro("main:app")), {"requirements.txt": SERVERS}, "free",
        "uvicorn main:app --host 0.0.0.0 --port $PORT", [], id="down-to-free",
    ),
]  # fmt: skip


def _project(tmp_path: Path, render: str, files: dict[str, str]) -> Path:
    (tmp_path / ".git").mkdir()  # Render builds at the repository's root: this folder
    (tmp_path / "render.yaml").write_text(render, "utf-8")
    (tmp_path / "tiers.toml").write_text(TIERS_TOML, "utf-8")
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, "utf-8")
    return tmp_path


def run(folder: Path, *args: str) -> tuple[int, str, str]:
    with contextlib.chdir(folder):
        return cli_project.run(*args)


def _check_in_sync(folder: Path, tier: str, server_unsure: bool = False) -> None:
    """`tier check` says in sync, or (server_unsure) refuses to: the server may be missing."""
    metrics = {"collected_at": RECENT, "metrics": {"users": LOAD[tier]}}
    metrics["metrics"]["active_users"] = LOAD[tier]
    (folder / "m.json").write_text(json.dumps(metrics), "utf-8")
    code, out, err = run(folder, "check", "--metrics", "m.json")
    if server_unsure:
        assert (code, out) == (3, "")
        assert "the startCommand's server may be missing on Render" in err
        assert "[dependencies-unknown]" in err
        return
    assert (code, out.splitlines()[0]) == (0, f"render.yaml: on tier {tier}, in sync")


@pytest.mark.parametrize(("render", "files", "tier", "start", "notes"), CASES)
def test_apply_then_check(
    tmp_path: Path, render: str, files: dict[str, str], tier: str, start: str, notes: list[str]
) -> None:
    folder = _project(tmp_path, render, files)
    code, out, err = run(folder, "apply", "--tier", tier)
    assert (code, out) == (0, "")
    assert (folder / "render.yaml").read_text("utf-8") == on_tier(render, tier, start)
    for note in notes:
        assert note in err
    assert all(line.startswith("render.yaml: ") for line in err.splitlines())
    if not notes:
        assert err.count("\n") == 1  # only the line of changes
    after = (folder / "render.yaml").read_bytes()
    assert run(folder, "apply", "--tier", tier)[0] == 0
    assert (folder / "render.yaml").read_bytes() == after
    _check_in_sync(folder, tier, any("[dependencies-unknown]" in n for n in notes))


def test_reload_cannot_reach_the_workers_so_nothing_is_written(tmp_path: Path) -> None:
    render = blueprint("uvicorn main:app --port $PORT --reload --root-path /x")
    folder = _project(tmp_path, render, {"requirements.txt": SERVERS})
    code, out, err = run(folder, "apply", "--tier", "pro")
    assert (code, out) == (3, "")
    assert err.startswith("tier: error: render.yaml:7:19: startCommand of `api` cannot reach")
    assert "uvicorn --reload runs a single process, whatever --workers says" in err
    assert len(err.splitlines()) == 1
    assert (folder / "render.yaml").read_text("utf-8") == render


KEYVALUE = """\
services:
  - type: web
    name: api
    runtime: python
    region: {region}
    plan: free
    buildCommand: pip install -r requirements.txt
    startCommand: {start}
"""


@pytest.mark.parametrize("region", ["frankfurt", "singapore"])
def test_key_value_lands_in_the_web_service_region(tmp_path: Path, region: str) -> None:
    render = KEYVALUE.format(region=region, start=pro("main:app"))
    folder = _project(tmp_path, render, {"requirements.txt": SERVERS})
    assert run(folder, "apply", "--tier", "pro+redis")[0] == 0
    assert (folder / "render.yaml").read_text("utf-8") == (
        render.replace("plan: free", "plan: pro")
        + "    envVars:\n"
        + "      - key: REDIS_URL\n"
        + "        fromService:\n"
        + "          type: keyvalue\n"
        + "          name: cache\n"
        + "          property: connectionString\n"
        + "  - type: keyvalue\n"
        + "    name: cache\n"
        + f"    region: {region}\n"
        + "    plan: starter\n"
        + "    ipAllowList: []\n"
    )
    _check_in_sync(folder, "pro+redis")


def test_key_value_without_a_region_gets_none(tmp_path: Path) -> None:
    render = KEYVALUE.replace("    region: {region}\n", "").format(start=pro("main:app"))
    folder = _project(tmp_path, render, {"requirements.txt": SERVERS})
    assert run(folder, "apply", "--tier", "pro+redis")[0] == 0
    assert "region" not in (folder / "render.yaml").read_text("utf-8")


def test_an_existing_key_value_in_another_region_is_named(tmp_path: Path) -> None:
    render = KEYVALUE.format(region="frankfurt", start=pro("main:app")) + (
        "  - type: keyvalue\n    name: cache\n    plan: starter\n    ipAllowList: []\n"
    )
    folder = _project(tmp_path, render, {"requirements.txt": SERVERS})
    code, _, err = run(folder, "apply", "--tier", "pro+redis")
    assert code == 0
    assert "Key Value service `cache` is in region oregon (default) and api in frankfurt" in err


def test_dependency_files_outside_the_project_are_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "requirements.txt").write_text("fastapi\nuvicorn\n", "utf-8")
    folder = tmp_path / "project"
    folder.mkdir()
    render = blueprint("uvicorn main:app --port $PORT")
    _project(folder, render, {})
    (folder / "requirements.txt").symlink_to(outside / "requirements.txt")
    code, _, err = run(folder, "apply", "--tier", "pro")
    assert code == 0
    assert "requirements.txt could not be read" in err  # the symlink leads out: not read
    own = "uvicorn main:app --port $PORT --workers 4"  # no server that may be missing
    assert (folder / "render.yaml").read_text("utf-8") == on_tier(render, "pro", own)


@pytest.mark.parametrize(
    ("entry", "how"),
    [("        sync: false\n", "set in the Render Dashboard (`sync: false`)"),
     ("        value: redis://example.invalid:6379\n", "a literal `value:`")],
    ids=["sync-false", "literal"],
)  # fmt: skip
def test_hand_set_redis_url_meets_pro_redis_with_a_warning(
    tmp_path: Path, entry: str, how: str
) -> None:
    render = (
        KEYVALUE.format(region="oregon", start=pro("main:app"))
        + "    envVars:\n      - key: REDIS_URL\n"
        + entry
    )
    folder = _project(tmp_path, render, {"requirements.txt": SERVERS})
    code, _, err = run(folder, "apply", "--tier", "pro+redis")
    assert code == 0
    after = (folder / "render.yaml").read_text("utf-8")
    assert "      - key: REDIS_URL\n" + entry in after  # kept as it is
    assert after.count("REDIS_URL") == 1 and "  - type: keyvalue\n    name: cache\n" in after
    assert (
        f"api's REDIS_URL is {how}; tier keeps it, so the tier's Key Value service `cache` " in err
    )
    assert "fromService: {type: keyvalue, name: cache, property: connectionString}" in err
    assert "[redis-url-hand-set]" in err
