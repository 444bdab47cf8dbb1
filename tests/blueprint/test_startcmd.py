"""startcmd: which start commands serve an ASGI app, and what is kept around it."""

from __future__ import annotations

import pytest

from tier_cli.blueprint.startcmd import (
    find_app,
    find_prefix,
    is_app,
    parse_start,
    render_command,
    set_workers,
)
from tier_cli.blueprint.startplan import plan_start

UNDERSTOOD = [
    pytest.param("uvicorn main:app", "main:app", "", id="uvicorn-bare"),
    pytest.param("uvicorn main:app --host 0.0.0.0 --port $PORT", "main:app", "", id="uvicorn-port"),
    pytest.param(
        "uvicorn --host 0.0.0.0 --port 10000 app.api:application",
        "app.api:application",
        "",
        id="uvicorn-options-first",
    ),
    pytest.param("uvicorn app:app --host=0.0.0.0 --port=$PORT", "app:app", "", id="uvicorn-equals"),
    pytest.param(
        "uvicorn src.main:create_app --factory --port $PORT",
        "src.main:create_app()",
        "",
        id="uvicorn-factory",
    ),
    pytest.param(
        "uvicorn --reload --proxy-headers main:app", "main:app", "", id="uvicorn-flags-first"
    ),
    pytest.param(
        "python -m uvicorn main:app --port $PORT", "main:app", "python -m ", id="python-m"
    ),
    pytest.param("python3.12 -m uvicorn main:app", "main:app", "python3.12 -m ", id="python3.12-m"),
    pytest.param(
        "gunicorn main:app -k uvicorn.workers.UvicornWorker", "main:app", "", id="gunicorn-k"
    ),
    pytest.param(
        "gunicorn -w 4 -k uvicorn_worker.UvicornWorker -b 0.0.0.0:$PORT app.main:app",
        "app.main:app",
        "",
        id="gunicorn-options-first-new-worker",
    ),
    pytest.param(
        "gunicorn app.main:app --worker-class=uvicorn.workers.UvicornWorker",
        "app.main:app",
        "",
        id="gunicorn-worker-class-equals",
    ),
    pytest.param(
        "gunicorn app.main:app --worker-class uvicorn.workers.UvicornH11Worker --timeout 120",
        "app.main:app",
        "",
        id="gunicorn-h11-worker",
    ),
    pytest.param(
        "gunicorn -w4 -kuvicorn.workers.UvicornWorker main:app",
        "main:app",
        "",
        id="gunicorn-attached-short-options",
    ),
    pytest.param(
        "gunicorn 'src.main:create_app()' -k uvicorn.workers.UvicornWorker",
        "src.main:create_app()",
        "",
        id="gunicorn-factory",
    ),
    pytest.param(
        "gunicorn main -k uvicorn.workers.UvicornWorker",
        "main:application",
        "",
        id="gunicorn-default-attribute",
    ),
    pytest.param(
        "python -m gunicorn mysite.asgi:application -k uvicorn.workers.UvicornWorker",
        "mysite.asgi:application",
        "python -m ",
        id="python-m-gunicorn",
    ),
    pytest.param("hypercorn main:app --bind 0.0.0.0:$PORT", "main:app", "", id="hypercorn"),
    pytest.param(
        "cd backend && uvicorn main:app --port $PORT",
        "main:app",
        "cd backend && ",
        id="cd-prefix",
    ),
    pytest.param(
        "cd services/api&&uvicorn main:app", "main:app", "cd services/api&&", id="cd-no-spaces"
    ),
    pytest.param(
        "cd backend\nuvicorn main:app --port $PORT\n",
        "main:app",
        "cd backend\n",
        id="cd-block-scalar",
    ),
    pytest.param("cd a && cd b && uvicorn main:app", "main:app", "cd a && cd b && ", id="two-cds"),
    pytest.param(
        "uv run uvicorn app.main:app --host 0.0.0.0 --port $PORT",
        "app.main:app",
        "uv run ",
        id="uv-run",
    ),
    pytest.param("poetry run uvicorn app.main:app", "app.main:app", "poetry run ", id="poetry-run"),
    pytest.param(
        "PYTHONPATH=src:. uv run uvicorn api.main:app --port $PORT",
        "api.main:app",
        "PYTHONPATH=src:. uv run ",
        id="env-assignment-and-runner",
    ),
    pytest.param(
        "/opt/render/.local/bin/uv run gunicorn a:b -k uvicorn.workers.UvicornWorker",
        "a:b",
        "/opt/render/.local/bin/uv run ",
        id="runner-with-path",
    ),
    pytest.param(
        "uvicorn main:app --port $PORT \\\n  --workers 2", "main:app", "", id="continuation"
    ),
    pytest.param("uvicorn main:app # serve it", "main:app", "", id="shell-comment"),
]


@pytest.mark.parametrize(("command", "app", "prefix"), UNDERSTOOD)
def test_understood(command: str, app: str, prefix: str) -> None:
    parsed = parse_start(command)
    assert parsed is not None
    assert (parsed.app, parsed.prefix) == (app, prefix)
    assert find_app(command) == app


NOT_UNDERSTOOD = [
    pytest.param(None, id="missing"),
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param("./start.sh", id="script"),
    pytest.param("bash run.sh", id="bash-script"),
    pytest.param("gunicorn config.wsgi:application", id="gunicorn-wsgi"),
    pytest.param(
        "gunicorn server.app:app --worker-class=gthread --threads 4", id="gunicorn-gthread"
    ),
    pytest.param("gunicorn wsgi --chdir ./src/", id="gunicorn-chdir"),
    pytest.param(
        "gunicorn -c gunicorn.conf.py main:app -k uvicorn.workers.UvicornWorker",
        id="gunicorn-config-file",
    ),
    pytest.param("uvicorn main:app --app-dir src", id="uvicorn-app-dir"),
    pytest.param("python main.py", id="python-script"),
    pytest.param("python -m app.server", id="python-module"),
    pytest.param("streamlit run app.py --server.port $PORT", id="streamlit"),
    pytest.param("uvicorn main", id="uvicorn-no-attribute"),
    pytest.param("uvicorn", id="uvicorn-no-app"),
    pytest.param("uvicorn main:app other:app", id="two-apps"),
    pytest.param("uvicorn main:app --port", id="option-without-value"),
    pytest.param("uvicorn main:app && echo done", id="command-after"),
    pytest.param("uvicorn main:app; echo done", id="semicolon"),
    pytest.param("uvicorn main:app | tee log", id="pipe"),
    pytest.param("uvicorn main:app > log 2>&1", id="redirect"),
    pytest.param("uvicorn $(cat app.txt)", id="command-substitution"),
    pytest.param("uvicorn `cat app.txt`", id="backticks"),
    pytest.param("uvicorn 'main:app", id="unbalanced-quote"),
    pytest.param("cd backend uvicorn main:app", id="folded-cd"),
    pytest.param(".venv/bin/uvicorn main:app", id="path-qualified-server"),
    pytest.param("uv run --frozen uvicorn main:app", id="runner-options"),
    pytest.param("npm start", id="node"),
    pytest.param("celery -A app worker", id="celery"),
]


# Servers tier knows, whose app it cannot move to another server: it sets their worker count.
APP_STAYS = {
    "gunicorn-wsgi", "gunicorn-gthread", "gunicorn-chdir", "gunicorn-config-file",
    "uvicorn-app-dir", "uvicorn-no-attribute", "two-apps",
}  # fmt: skip


@pytest.mark.parametrize("command", NOT_UNDERSTOOD)
def test_not_understood(command: str | None, request: pytest.FixtureRequest) -> None:
    assert find_app(command) is None
    parsed = parse_start(command)
    if request.node.callspec.id in APP_STAYS:
        assert parsed is not None and parsed.app is None
    else:
        assert parsed is None


PREFIXES = [
    pytest.param(None, "", id="none"),
    pytest.param("./start.sh", "", id="script"),
    pytest.param("cd backend && ./start.sh", "cd backend && ", id="cd-then-script"),
    pytest.param("uv run python -m bin.serve", "uv run python -m ", id="runner-then-other"),
    pytest.param("cd 'my app' && python main.py", "cd 'my app' && ", id="quoted-dir"),
]


@pytest.mark.parametrize(("command", "prefix"), PREFIXES)
def test_find_prefix(command: str | None, prefix: str) -> None:
    assert find_prefix(command) == prefix


RENDER = [
    pytest.param("uvicorn {app} --port $PORT", "main:app", "", "uvicorn main:app --port $PORT",
                 id="plain"),
    pytest.param("gunicorn {app} --bind 0.0.0.0:${PORT}", "a:b", "cd x && ",
                 "cd x && gunicorn a:b --bind 0.0.0.0:${PORT}", id="braces-kept"),
    pytest.param("hypercorn {app}", "a:b", "cd x\n", "cd x\nhypercorn a:b", id="block-prefix"),
    pytest.param("gunicorn {app} -w 2", "m:create()", "", "gunicorn 'm:create()' -w 2",
                 id="factory-quoted-for-gunicorn"),
    pytest.param("uvicorn {app} --port $PORT", "m:create()", "",
                 "uvicorn m:create --factory --port $PORT", id="factory-flag-for-uvicorn"),
    pytest.param("python -m uvicorn {app}", "m:create()", "",
                 "python -m uvicorn m:create --factory", id="factory-flag-for-python-m-uvicorn"),
]  # fmt: skip


@pytest.mark.parametrize(("template", "app", "prefix", "expected"), RENDER)
def test_render_command(template: str, app: str, prefix: str, expected: str) -> None:
    assert render_command(template, app, prefix) == expected


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("main:app", True),
        ("pkg.mod:app.api", True),
        ("src.main:create_app()", True),
        ("main", False),
        ("main:", False),
        ("1main:app", False),
        ("main:app; rm -rf /", False),
        ("", False),
    ],
)
def test_is_app(text: str, ok: bool) -> None:
    assert is_app(text) is ok


TEMPLATES = [
    pytest.param("gunicorn {app} --workers 2 --worker-class uvicorn.workers.UvicornWorker",
                 "gunicorn", id="gunicorn"),
    pytest.param("uvicorn {app} --host 0.0.0.0 --port $PORT", "uvicorn", id="uvicorn"),
    pytest.param("hypercorn {app} --bind 0.0.0.0:$PORT", "hypercorn", id="hypercorn"),
]  # fmt: skip


@pytest.mark.parametrize(("template", "server"), TEMPLATES)
@pytest.mark.parametrize("command", [p.values[0] for p in UNDERSTOOD])
def test_rendered_command_is_understood_again(template: str, server: str, command: str) -> None:
    parsed = parse_start(command)
    assert parsed is not None
    again = parse_start(render_command(template, parsed.app, parsed.prefix))
    assert again is not None
    assert (again.app, again.prefix, again.server) == (parsed.app, parsed.prefix, server)


OPTIONS = [
    pytest.param("uvicorn main:app --host 0.0.0.0 --port $PORT", ("--host", "--port"), id="plain"),
    pytest.param("gunicorn -w4 -kuvicorn_worker.UvicornWorker --bind=0.0.0.0:$PORT main:app",
                 ("-w", "-k", "--bind"), id="glued-and-equals"),
    pytest.param("uvicorn main:app --root-path /api --proxy-headers",
                 ("--root-path", "--proxy-headers"), id="unmanaged"),
]  # fmt: skip


@pytest.mark.parametrize(("command", "options"), OPTIONS)
def test_option_names_as_written(command: str, options: tuple[str, ...]) -> None:
    parsed = parse_start(command)
    assert parsed is not None and parsed.option_names == options


# --- prefixes: everything before the server is kept byte for byte --------------------------------

PREFIX_KEPT = [
    pytest.param("python init_db.py && uvicorn main:app", "python init_db.py && ", id="command"),
    pytest.param("alembic upgrade head; uvicorn main:app", "alembic upgrade head; ",
                 id="semicolon"),
    pytest.param("poetry run alembic upgrade head\npoetry run uvicorn app.main:app",
                 "poetry run alembic upgrade head\npoetry run ", id="two-lines"),
    pytest.param("python -c 'a && b' && uvicorn main:app", "python -c 'a && b' && ",
                 id="operator-in-quotes"),
    pytest.param("echo $(date && true) && uvicorn main:app", "echo $(date && true) && ",
                 id="operator-in-substitution"),
    pytest.param("make db || true && uvicorn main:app", "make db || true && ", id="or-before"),
    pytest.param("exec uvicorn main:app", "exec ", id="exec"),
    pytest.param("A='x y' B=2 uv run python3 -m uvicorn main:app", "A='x y' B=2 uv run python3 -m ",
                 id="assignments-runner-python-m"),
    pytest.param("worker & uvicorn main:app", "worker & ", id="background"),
    pytest.param("fastapi run", "", id="fastapi-run-bare"),
]  # fmt: skip


@pytest.mark.parametrize(("command", "prefix"), PREFIX_KEPT)
def test_prefix_kept(command: str, prefix: str) -> None:
    parsed = parse_start(command)
    assert parsed is not None and parsed.prefix == prefix
    assert find_prefix(command) == prefix
    assert parsed.prefix + parsed.body + parsed.suffix == command


SERVER_LAST_ONLY = [
    pytest.param("uvicorn main:app || echo failed", id="or-after"),
    pytest.param("setup || uvicorn main:app", id="only-if-setup-fails"),
    pytest.param("cat x | uvicorn main:app", id="reads-a-pipe"),
    pytest.param("uvicorn main:app 2>&1 | tee log", id="piped"),
    pytest.param("python init_db.py && 'uvicorn main:app", id="unbalanced"),
    pytest.param("fastapi dev main.py", id="fastapi-dev"),
    pytest.param("echo $(uvicorn main:app", id="open-substitution"),
]


@pytest.mark.parametrize("command", SERVER_LAST_ONLY)
def test_server_must_be_the_last_command_run_whatever_happens(command: str) -> None:
    assert parse_start(command) is None


# --- the worker count, set in place --------------------------------------------------------------

WORKERS = [
    pytest.param("uvicorn main:app --port $PORT", "4", "uvicorn main:app --port $PORT --workers 4",
                 id="uvicorn-added"),
    pytest.param("gunicorn a.wsgi", "4", "gunicorn a.wsgi --workers 4", id="gunicorn-added"),
    pytest.param("gunicorn -w 2 -b :$PORT a.wsgi", "8", "gunicorn -w 8 -b :$PORT a.wsgi",
                 id="short-in-place"),
    pytest.param("gunicorn -w2 a.wsgi", "8", "gunicorn -w8 a.wsgi", id="glued"),
    pytest.param("uvicorn m:a --workers=2 --port 1", "8", "uvicorn m:a --workers=8 --port 1",
                 id="equals"),
    pytest.param("cd x && fastapi run a.py --workers 2", "4",
                 "cd x && fastapi run a.py --workers 4", id="fastapi-prefix-kept"),
    # the default (None): removed when written as tier adds it, else set to 1, so trips reverse
    pytest.param("uvicorn m:a --port 1 --workers 2", None, "uvicorn m:a --port 1", id="removed"),
    pytest.param("uvicorn m:a --workers 2 --port 1", None, "uvicorn m:a --workers 1 --port 1",
                 id="set-to-one-in-the-middle"),
    pytest.param("gunicorn a.wsgi -w 4", None, "gunicorn a.wsgi -w 1", id="set-to-one-short"),
    pytest.param("gunicorn a.wsgi --workers=4", None, "gunicorn a.wsgi --workers=1",
                 id="set-to-one-equals"),
    pytest.param("uvicorn m:a --port 1", None, "uvicorn m:a --port 1", id="none-to-remove"),
    pytest.param("uvicorn m:a  # serve", "2", "uvicorn m:a --workers 2  # serve",
                 id="added-before-a-comment"),
    pytest.param("hypercorn m:a  -w 2  # two", "4", "hypercorn m:a  -w 4  # two",
                 id="comment-kept"),
    pytest.param("gunicorn a.wsgi --workers $WEB_CONCURRENCY", "{workers}",
                 "gunicorn a.wsgi --workers {workers}", id="any-spelling"),
]  # fmt: skip


@pytest.mark.parametrize(("command", "workers", "expected"), WORKERS)
def test_set_workers(command: str, workers: str | None, expected: str) -> None:
    parsed = parse_start(command)
    assert parsed is not None
    assert set_workers(parsed, workers) == expected
    again = parse_start(expected)
    assert again is not None
    # the default count is no option, or 1 where the user's own spelling stays
    assert again.workers == workers or (workers is None and again.workers == "1")
    assert set_workers(again, workers) == expected  # a second run changes nothing


# --- plan_start: the tier's command, or the current server with the tier's worker count -----------

UVW = "gunicorn {app} -w 4 -k uvicorn_worker.UvicornWorker -b 0.0.0.0:$PORT"
OLD = "gunicorn {app} --workers 2 --worker-class uvicorn.workers.UvicornWorker --timeout 120"
UVI = "uvicorn {app} --host 0.0.0.0 --port $PORT"
ALL = frozenset({"fastapi", "uvicorn", "gunicorn", "uvicorn-worker"})
PLANS = [
    # (current, template, installed, command written, kept because, dropped)
    pytest.param("uvicorn main:app --port 1", UVW, ALL,
                 "gunicorn main:app -w 4 -k uvicorn_worker.UvicornWorker -b 0.0.0.0:$PORT",
                 None, (), id="template"),
    pytest.param("uvicorn main:app --proxy-headers --loop auto --http auto", UVW, ALL,
                 "gunicorn main:app -w 4 -k uvicorn_worker.UvicornWorker -b 0.0.0.0:$PORT",
                 None, ("--proxy-headers", "--loop", "--http"), id="defaults-dropped"),
    pytest.param("uvicorn main:app --loop uvloop", UVW, ALL,
                 "uvicorn main:app --loop uvloop --workers 4",
                 "--loop cannot be carried to gunicorn", (), id="loop-choice-kept"),
    pytest.param("uvicorn main:app --backlog 64 --limit-max-requests 500", OLD, ALL,
                 "gunicorn main:app --workers 2 --worker-class uvicorn.workers.UvicornWorker "
                 "--timeout 120 --backlog 64", None, (), id="max-requests-is-the-tiers"),
    pytest.param("uvicorn main:app --no-proxy-headers", UVW, ALL,
                 "uvicorn main:app --no-proxy-headers --workers 4",
                 "--no-proxy-headers cannot be carried to gunicorn", (), id="not-carried"),
    pytest.param("uvicorn main:app", UVW, frozenset({"uvicorn", "gunicorn"}),
                 "uvicorn main:app --workers 4", "the build does not install uvicorn-worker", (),
                 id="worker-package-missing"),
    pytest.param("gunicorn main:app -k uvicorn.workers.UvicornWorker -w 2", UVW,
                 frozenset({"gunicorn", "uvicorn"}),
                 "gunicorn main:app -k uvicorn.workers.UvicornWorker -w 4",
                 "the build does not install uvicorn-worker", (),
                 id="deprecated-worker-kept-if-no-package"),
    pytest.param("uvicorn main:app", UVW, None,
                 "gunicorn main:app -w 4 -k uvicorn_worker.UvicornWorker -b 0.0.0.0:$PORT",
                 None, (), id="not-known-written"),
    pytest.param("gunicorn main:app -k uvicorn_worker.UvicornWorker --keep-alive 9 "
                 "--log-level info --preload", UVI, frozenset(),
                 "gunicorn main:app -k uvicorn_worker.UvicornWorker --keep-alive 9 "
                 "--log-level info --preload", "--preload cannot be carried to uvicorn", (),
                 id="gunicorn-only-option"),
    pytest.param("gunicorn main:app -k uvicorn_worker.UvicornWorker -w 3 --keep-alive 9",
                 UVI, frozenset(),
                 "uvicorn main:app --host 0.0.0.0 --port $PORT --timeout-keep-alive 9",
                 None, (), id="back-to-uvicorn-carries"),
    pytest.param("uvicorn main:app --root-path /api", UVI, frozenset(),
                 "uvicorn main:app --host 0.0.0.0 --port $PORT --root-path /api", None, (),
                 id="same-server-carries-everything"),
    pytest.param("python -m uvicorn main:app --port 1", OLD, ALL,
                 "python -m gunicorn main:app --workers 2 --worker-class "
                 "uvicorn.workers.UvicornWorker --timeout 120", None, (), id="python-m-kept"),
    pytest.param("./start.sh", UVW, ALL, None, None, (), id="script-left-alone"),
]  # fmt: skip


@pytest.mark.parametrize(("current", "template", "installed", "command", "why", "dropped"), PLANS)
def test_plan_start(
    current: str,
    template: str,
    installed: frozenset[str] | None,
    command: str | None,
    why: str | None,
    dropped: tuple[str, ...],
) -> None:
    plan = plan_start(current, template, None, installed)
    assert (plan.command, plan.own_workers, plan.dropped) == (command, why, dropped)
    if command is not None:  # a second run writes the same
        assert plan_start(command, template, None, installed).command == command


@pytest.mark.parametrize(
    ("current", "template", "refused"),
    [
        ("uvicorn main:app --reload --root-path /x", UVW, True),
        ("fastapi run --reload", UVW, True),
        ("uvicorn main:app --reload --root-path /x", UVI, False),
    ],
)
def test_reload_runs_one_process(current: str, template: str, refused: bool) -> None:
    plan = plan_start(current, template, None, ALL)
    assert (plan.refused is not None) is refused


# --- a server that may be missing is never written ------------------------------------------

ISSUE = (  # the command tier wrote on the issue's Poetry project, where neither package is
    "poetry run gunicorn main:app --workers 4 --worker-class uvicorn_worker.UvicornWorker "
    "--bind 0.0.0.0:$PORT --timeout 120"
)
TIER = "gunicorn {app} --workers 4 --worker-class uvicorn_worker.UvicornWorker " + (
    "--bind 0.0.0.0:$PORT --timeout 120"
)
OWN = "uvicorn main:app --host 0.0.0.0 --port $PORT --workers 4"
APP_ONLY = frozenset({"fastapi", "uvicorn"})
MISSING = [
    # (current, installed (None: cannot tell), app, command written, own-worker reason, unsure)
    pytest.param(ISSUE, APP_ONLY, None, "poetry run " + OWN,
                 "the build does not install gunicorn and uvicorn-worker", (),
                 id="issue-gunicorn-not-installed-moves-to-uvicorn"),
    pytest.param(ISSUE, None, None, "poetry run " + OWN,
                 "tier cannot tell whether the build installs gunicorn and uvicorn and "
                 "uvicorn-worker", ("uvicorn",), id="cannot-tell-moves-to-uvicorn"),
    pytest.param("uvicorn main:app --port $PORT", None, None,
                 "uvicorn main:app --port $PORT --workers 4",
                 "tier cannot tell whether the build installs gunicorn and uvicorn and "
                 "uvicorn-worker", ("uvicorn",), id="cannot-tell-keeps-uvicorn"),
    pytest.param("fastapi run app/main.py", APP_ONLY | {"fastapi-cli"}, None,
                 "fastapi run app/main.py --workers 4",
                 "fastapi run finds the app from a path, not an import string", (),
                 id="fastapi-run-own-workers"),
    pytest.param(None, APP_ONLY, "main:app", OWN,
                 "the build does not install gunicorn and uvicorn-worker", (),
                 id="no-command-own-form"),
    pytest.param(None, None, "main:app", OWN,
                 "tier cannot tell whether the build installs gunicorn and uvicorn and "
                 "uvicorn-worker", ("uvicorn",), id="no-command-cannot-tell"),
    pytest.param("uvicorn main:app", frozenset({"fastapi"}), None,
                 "uvicorn main:app --workers 4",
                 "the build does not install gunicorn and uvicorn and uvicorn-worker",
                 ("uvicorn",), id="even-uvicorn-missing-is-named"),
    pytest.param(ISSUE, APP_ONLY | {"gunicorn", "uvicorn-worker"}, None, ISSUE, None, (),
                 id="installed-kept"),
]  # fmt: skip


@pytest.mark.parametrize(("current", "installed", "app", "command", "why", "unsure"), MISSING)
def test_no_server_that_may_be_missing(
    current: str | None,
    installed: frozenset[str] | None,
    app: str | None,
    command: str,
    why: str | None,
    unsure: tuple[str, ...],
) -> None:
    plan = plan_start(current, TIER, app, installed, installed is None)
    assert (plan.command, plan.own_workers, plan.unsure) == (command, why, unsure)
    again = plan_start(command, TIER, app, installed, installed is None)
    assert again.command == command  # a second run writes the same
