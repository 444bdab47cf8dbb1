"""Understand a Render startCommand well enough to find the ASGI app it serves.

What is understood, and nothing else (anything else gives None, and tier leaves it alone):

1. An optional *prefix*, kept word for word in the rewritten command, made of, in order:
   - any number of `cd DIR && ` or `cd DIR` + line break (a `|` block scalar);
   - any number of environment assignments `NAME=value ` (unquoted values only);
   - at most one runner: `uv run `, `poetry run ` or `pipenv run ` (optionally with a path,
     as in `/opt/render/.local/bin/uv run `), with no options of its own.
2. The server, as a bare name or as `python -m NAME` (`python3`, `python3.12`, ...):
   - `uvicorn APP [options]` - APP must be `module:attribute`; with `--factory` the app is
     returned as `module:attribute()`, the form gunicorn uses for factories;
   - `hypercorn APP [options]`;
   - `gunicorn [options] APP [options]` only with an ASGI worker: `-k X`, `-kX`,
     `--worker-class X` or `--worker-class=X` where X is `uvicorn.workers.UvicornWorker`,
     `uvicorn.workers.UvicornH11Worker`, `uvicorn_worker.UvicornWorker` or
     `uvicorn_worker.UvicornH11Worker`. A bare module (`main`) means gunicorn's default
     attribute, so `main:application` is returned. Plain gunicorn is WSGI: None.
3. Options are words starting with `-`; known flags take no value, `--opt=value` carries its
   own, any other option takes the next word. Exactly one positional word must be left: the
   app, `module.sub:attr` or `module:factory(...)`.

Refused (None): shell operators after the prefix (`&&`, `;`, `|`, redirections, `$(...)`,
backticks), several command lines, options that change where the app is imported from
(`--chdir`, `--app-dir`, `--pythonpath`, `--root-path` is fine) or that load a config file
(`-c`, `--config`), path-qualified servers (`.venv/bin/uvicorn`), scripts (`./start.sh`,
`bash run.sh`), `python main.py`, `streamlit run ...`, and an empty command.
"""

from __future__ import annotations

import re
import shlex
from typing import NamedTuple

_PREFIX = re.compile(
    r"""
    (?:[ \t]*cd[ \t]+(?:'[^'\n]*'|"[^"\n]*"|[^\s;&|'"]+)[ \t]*(?:&&[ \t]*|\r?\n\s*))*
    (?:[A-Za-z_][A-Za-z0-9_]*=[^\s;&|'"`$()]*[ \t]+)*
    (?:(?:[^\s;&|'"]*/)?(?:uv|poetry|pipenv)[ \t]+run[ \t]+)?
    """,
    re.VERBOSE,
)
_APP = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?:\([^()]*\))?")
_MODULE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_PYTHON = re.compile(r"python(?:3(?:\.\d+)?)?")
_SERVERS = ("uvicorn", "gunicorn", "hypercorn")
_ASGI_WORKERS = frozenset(
    f"{module}.{cls}"
    for module in ("uvicorn.workers", "uvicorn_worker")
    for cls in ("UvicornWorker", "UvicornH11Worker")
)
_FLAGS = frozenset(
    {
        # uvicorn
        "--reload", "--factory", "--proxy-headers", "--no-proxy-headers", "--use-colors",
        "--no-use-colors", "--access-log", "--no-access-log", "--server-header",
        "--no-server-header", "--date-header", "--no-date-header", "--reset-contextvars",
        # gunicorn
        "--preload", "-D", "--daemon", "-R", "--enable-stdio-inheritance", "--capture-output",
        "--reuse-port", "--no-sendfile", "--check-config", "--print-config", "--spew",
        "--strip-header-spaces", "--suppress-ragged-eofs", "--do-handshake-on-connect",
        "--disable-redirect-access-to-syslog", "--reload-extra-file-ignore",
        # hypercorn
        "--debug", "--verbose",
    }
)  # fmt: skip
_REFUSED_OPTIONS = frozenset({"--chdir", "--app-dir", "--pythonpath", "-c", "--config"})


class AppCommand(NamedTuple):
    """A startCommand that serves an ASGI app: the app, and the prefix to keep."""

    app: str  # "main:app", "app.api:application", "src.main:create_app()"
    prefix: str  # "", "cd backend && ", "cd backend\n", "uv run "
    server: str  # "uvicorn", "gunicorn" or "hypercorn"
    options: tuple[str, ...] = ()  # option names as written: ("--host", "--port", "-w")


def parse_start(command: str | None) -> AppCommand | None:
    """The ASGI app a startCommand serves, with its prefix; None if it is not understood."""
    if not command or not command.strip():
        return None
    prefix = find_prefix(command)
    rest = command[len(prefix) :].replace("\\\r\n", " ").replace("\\\n", " ").strip()
    if not rest or "\n" in rest or "\r" in rest or "`" in rest or "$(" in rest:
        return None
    try:
        lexer = shlex.shlex(rest, posix=True, punctuation_chars=";&|<>()")
        lexer.whitespace_split = True
        words = list(lexer)
    except ValueError:  # unbalanced quotes
        return None
    if any(w and set(w) <= set(";&|<>()") for w in words):
        return None
    if len(words) >= 3 and _PYTHON.fullmatch(words[0]) and words[1] == "-m":
        words = words[2:]
    if not words or words[0] not in _SERVERS:
        return None
    app = _app(words[0], words[1:])
    if app is None:
        return None
    return AppCommand(app=app, prefix=prefix, server=words[0], options=option_names(words[1:]))


def option_names(words: list[str]) -> tuple[str, ...]:
    """The option names among command words: `--bind=x` gives `--bind`, `-w4` gives `-w`."""
    names = []
    for word in words:
        if word.startswith("--"):
            names.append(word.partition("=")[0])
        elif word.startswith("-") and word != "-":
            names.append(word[:2])
    return tuple(names)


def find_app(command: str | None) -> str | None:
    """The ASGI app (`module:attr`) a startCommand serves, or None if not understood."""
    parsed = parse_start(command)
    return None if parsed is None else parsed.app


def find_prefix(command: str | None) -> str:
    """The leading `cd DIR && ` / env assignments / runner part of a command ('' if none).

    Found even when the rest is not understood, so that `--app`/`app =` can reuse it.
    """
    if not command:
        return ""
    match = _PREFIX.match(command)
    return match.group(0) if match else ""


def render_command(template: str, app: str, prefix: str = "") -> str:
    """`prefix` followed by `template` with every `{app}` replaced by `app`.

    Only `{app}` is special: other braces (`${PORT}`) are kept as they are. A factory app
    (`src.main:create_app()`) is shell-quoted for gunicorn and hypercorn, and written as
    `src.main:create_app --factory` when the template runs uvicorn, which has no `()` form.
    """
    words = template.split()
    if words[2:3] and _PYTHON.fullmatch(words[0]) and words[1] == "-m":
        words = words[2:]
    if words[:1] == ["uvicorn"] and app.endswith("()"):
        filled = app[:-2] + " --factory"
    else:
        filled = shlex.quote(app)
    return prefix + template.replace("{app}", filled)


def is_app(text: str) -> bool:
    """True for `module:attr`, `pkg.module:attr` and `module:factory()` spellings."""
    return _APP.fullmatch(text) is not None


def _app(server: str, args: list[str]) -> str | None:
    positional: list[str] = []
    worker: str | None = None
    factory = False
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if not word.startswith("-") or word == "-":
            positional.append(word)
            continue
        name, has_value, value = word.partition("=")
        if not word.startswith("--") and len(word) > 2:  # -w4, -kuvicorn.workers.UvicornWorker
            name, has_value, value = word[:2], "=", word[2:]
        if name in _REFUSED_OPTIONS:
            return None
        if name == "--factory":
            factory = True
        if not has_value and name not in _FLAGS:
            if i >= len(args):
                return None
            value = args[i]
            i += 1
        if name in ("-k", "--worker-class"):
            worker = value
    if len(positional) != 1:
        return None
    app = positional[0]
    if server == "gunicorn":
        if worker not in _ASGI_WORKERS:
            return None
        if _MODULE.fullmatch(app):
            app += ":application"
    elif factory:
        app += "()" if "(" not in app else ""
    return app if is_app(app) else None
