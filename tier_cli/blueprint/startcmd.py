"""Understand a Render startCommand: the server it runs, the app, its options, what comes before.

What is understood, and nothing else (anything else gives None, and tier leaves it alone):

1. A *prefix*, kept byte for byte in the rewritten command: every command before the last one
   (`python init_db.py && `, `alembic upgrade head; `, `cd backend && `, a line of a `|` block
   scalar), then, before the server itself, environment assignments `NAME=value `, `exec `, one
   runner (`uv run `, `poetry run `, `pipenv run `, with an optional path, no options of its
   own) and `python -m ` (`python3`, `python3.12`, ...). The last command must run after the
   others whatever they return: a `||` or `|` before it gives None.
2. The server, as a bare name: `uvicorn`, `gunicorn`, `hypercorn`, or `fastapi run` (the FastAPI
   CLI). Its options are words starting with `-`; known flags take no value, `--opt=value` and
   `-w4` carry their own, any other option takes the next word.
3. The app, when it can be moved to another server (`Command.app`, else None):
   - uvicorn and hypercorn: exactly one positional word, `module:attribute` (with uvicorn's
     `--factory`, returned as `module:attribute()`, the form gunicorn uses for factories);
   - gunicorn with an ASGI worker (`-k`/`--worker-class` `uvicorn.workers.UvicornWorker`,
     `uvicorn_worker.UvicornWorker` or their H11 variants); a bare module means `:application`;
   - never for plain (WSGI) gunicorn, `fastapi run` (it finds the app from a path), nor with an
     option that changes where the app is imported from or that loads a config file (`--chdir`,
     `--app-dir`, `--pythonpath`, `-c`, `--config`): such commands keep their server, and tier
     sets only their own worker count (see `set_workers`).

Refused (None): shell operators in the server's own command (`&&` after it, `|`, redirections,
`$(...)`, backticks), path-qualified servers (`.venv/bin/uvicorn`), scripts (`./start.sh`),
`python main.py`, `fastapi dev`, and an empty command.
"""

import re
import shlex
from typing import NamedTuple

from tier_cli.config.settings import APP_PLACEHOLDER

_PEEL = (  # compiled on first use (_peeled): most commands start with their server
    r"""
    (?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^'\n]*'|"[^"\n]*"|[^\s;&|'"`$()])*[ \t]+)*
    (?:exec[ \t]+)?
    (?:(?:[^\s;&|'"]*/)?(?:uv|poetry|pipenv)[ \t]+run[ \t]+)?
    (?:python(?:3(?:\.\d+)?)?[ \t]+-m[ \t]+)?
    """
)
_RUNNERS = ("uv", "poetry", "pipenv")
_APP = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?:\([^()]*\))?")
_MODULE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_PYTHON = r"python(?:3(?:\.\d+)?)?"  # compiled on first use: few templates run python -m
SERVERS = ("uvicorn", "gunicorn", "hypercorn", "fastapi")
ASGI_WORKERS = frozenset(
    f"{module}.{cls}"
    for module in ("uvicorn.workers", "uvicorn_worker")
    for cls in ("UvicornWorker", "UvicornH11Worker")
)
_FLAGS = frozenset(
    {
        # uvicorn (and fastapi run)
        "--reload", "--factory", "--proxy-headers", "--no-proxy-headers", "--use-colors",
        "--no-use-colors", "--access-log", "--no-access-log", "--server-header",
        "--no-server-header", "--date-header", "--no-date-header", "--reset-contextvars",
        "--verbose", "-v", "--no-reload",
        # gunicorn
        "--preload", "-D", "--daemon", "-R", "--enable-stdio-inheritance", "--capture-output",
        "--reuse-port", "--no-sendfile", "--check-config", "--print-config", "--spew",
        "--strip-header-spaces", "--suppress-ragged-eofs", "--do-handshake-on-connect",
        "--disable-redirect-access-to-syslog", "--reload-extra-file-ignore",
        # hypercorn
        "--debug",
    }
)  # fmt: skip
IMPORT_OPTIONS = frozenset({"--chdir", "--app-dir", "--pythonpath", "-c", "--config"})
# Another spelling of the same option, per server: the long name is the one compared.
_ALIASES = {
    "gunicorn": {"-w": "--workers", "-k": "--worker-class", "-b": "--bind", "-t": "--timeout"},
    "hypercorn": {"-w": "--workers", "-k": "--worker-class", "-b": "--bind"},
    "fastapi": {"-e": "--entrypoint", "-v": "--verbose"},
}


class Option(NamedTuple):
    """One option as written: its name, its value (None for a flag) and where its words are."""

    name: str  # as written: "-w", "--log-level"
    value: str | None  # unquoted; None for a flag
    start: int  # offset of its first word in Command.body
    end: int  # end of its last word in Command.body


class Command(NamedTuple):
    """A startCommand that runs a Python web server."""

    prefix: str  # kept byte for byte: "", "cd backend && ", "python init_db.py && ", "uv run "
    server: str  # "uvicorn", "gunicorn", "hypercorn" or "fastapi"
    app: str | None  # "main:app", "src.main:create_app()"; None: the app cannot be moved
    options: tuple[Option, ...] = ()
    body: str = ""  # the server's own command, from the server's name to the last word
    worker_class: str | None = None  # gunicorn's -k / --worker-class
    suffix: str = ""  # after the last word: a `# comment`, kept by set_workers

    @property
    def option_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.options)

    def long(self, name: str) -> str:
        """The long spelling of an option of this server (`-w` -> `--workers`)."""
        return _ALIASES.get(self.server, {}).get(name, name)

    def find(self, name: str) -> Option | None:
        """The last option with this (long) name: the one the server uses."""
        found = [o for o in self.options if self.long(o.name) == name]
        return found[-1] if found else None

    @property
    def workers(self) -> str | None:
        option = self.find("--workers")
        return None if option is None else option.value


def worker_count(command: str) -> int | None:
    """The worker count a start command (or a tiers.toml template) writes for its server:
    `--workers N`, `-w N`; None when it writes none, or a variable, or is no server command
    tier reads. Only the server's own options count: in `python seed.py -w 9 && uvicorn
    main:app` the 9 is seed.py's."""
    cmd = parse_start(command)
    value = None if cmd is None else cmd.workers
    return int(value) if value is not None and value.isdigit() else None


def parse_start(command: str | None) -> Command | None:
    """The server command a startCommand runs, with its prefix; None if it is not understood."""
    if not command or not command.strip():
        return None
    start = last_command_start(command)
    if start is None:
        return None
    prefix_end = _peeled(command, start)
    prefix = command[:prefix_end]
    rest = command[prefix_end:].rstrip()
    spans = _word_spans(rest)
    if spans is None or not spans:
        return None
    body, suffix = rest[: spans[-1][1]], rest[spans[-1][1] :]
    words: list[str] = []
    for a, b in spans:
        raw = body[a:b]
        if any(ch in raw for ch in "`") or "$(" in raw:
            return None
        if set(raw) <= set(";&|<>()") or re.search(r"(?<!\\)[;&|<>()]", _unquoted(raw)):
            return None
        if not any(ch in raw for ch in "'\"\\"):
            words.append(raw)  # what shlex gives for a word without quotes or escapes
            continue
        try:
            split = shlex.split(raw, comments=False, posix=True)
        except ValueError:
            return None
        words.append(split[0] if split else "")
    server = words[0]
    if server not in SERVERS:
        return None
    first = 1
    if server == "fastapi":
        if words[1:2] != ["run"]:
            return None
        first = 2
    parsed = _options(words, spans, first)
    if parsed is None:
        return None
    options, positional = parsed
    configured = any(o.name in ("-c", "--config") for o in options)
    if server != "fastapi" and not positional and not configured:
        return None  # no app: not a command that serves anything
    cmd = Command(prefix, server, None, tuple(options), body, suffix=suffix)
    worker = cmd.find("--worker-class")
    cmd = cmd._replace(worker_class=None if worker is None else worker.value)
    return cmd._replace(app=_app(cmd, positional))


def find_app(command: str | None) -> str | None:
    """The ASGI app (`module:attr`) a startCommand serves, or None if not understood."""
    parsed = parse_start(command)
    return None if parsed is None else parsed.app


def find_prefix(command: str | None) -> str:
    """What is kept before the server: earlier commands, assignments, a runner ('' if none).

    Found even when the server is not understood, so that `app =` can reuse it.
    """
    if not command:
        return ""
    start = last_command_start(command)
    if start is None:
        return ""
    return command[: _peeled(command, start)]


_SHELL_SPECIAL = frozenset("\\'\"`$)#|&;\n")
"""The characters last_command_start looks at; it steps over any other."""


def _peeled(command: str, start: int) -> int:
    """Where the server's word is, after the prefix _PEEL takes from `start` (assignments,
    `exec`, a runner's `run`, `python -m`). Each part of _PEEL begins with a first word that has
    an `=`, is `exec`, ends in a runner's name or starts with `python`: without one, the prefix
    is empty and the expression is not needed."""
    words = command[start:].split(None, 1)
    first = words[0] if words else ""
    if not (
        "=" in first
        or first == "exec"
        or first.rsplit("/", 1)[-1] in _RUNNERS
        or first.startswith("python")
    ):
        return start
    peel = re.compile(_PEEL, re.VERBOSE).match(command, start)
    return peel.end() if peel else start


def last_command_start(command: str) -> int | None:
    """Offset where the last shell command starts (after `&&`, `;`, `&` or a line break and
    the blanks that follow); None when it runs only if another fails or reads a pipe (`||`,
    `|`), or the quotes do not close."""
    i, start, quote, depth = 0, 0, "", 0
    text = command.rstrip()
    n = len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = ""
            i += 1
            continue
        if ch not in _SHELL_SPECIAL:  # most of a command: nothing below applies
            i += 1
            continue
        if ch == "\\":
            i += 2
            continue
        if ch in "'\"`":
            quote = ch
            i += 1
            continue
        if text.startswith("$(", i):
            depth += 1
            i += 2
            continue
        if ch == ")" and depth:
            depth -= 1
            i += 1
            continue
        if depth:
            i += 1
            continue
        if ch == "#" and (i == 0 or text[i - 1] in " \t\n"):
            while i < n and text[i] != "\n":
                i += 1
            continue
        if text.startswith("||", i) or (ch == "|" and not text.startswith("|&", i)):
            end = i + (2 if text.startswith("||", i) else 1)
            if text[end:].strip() and _separator_after(text, end) is None:
                return None  # the last command is behind || or |
            i = end
            continue
        if text.startswith("&&", i) or ch in ";\n" or (ch == "&" and _lone_ampersand(text, i)):
            i += 2 if text.startswith("&&", i) else 1
            while i < n and text[i] in " \t\r\n":
                i += 1
            start = i
            continue
        i += 1
    if quote or depth:
        return None
    return start


def _separator_after(text: str, i: int) -> int | None:
    """Whether a `&&`, `;` or line break follows position i (outside quotes)."""
    tail = text[i:]
    for sep in ("&&", ";", "\n"):
        if sep in tail:
            return i + tail.index(sep)
    return None


def _lone_ampersand(text: str, i: int) -> bool:
    """A `&` that puts a command in the background (not `&&`, `>&`, `&>`, `|&`)."""
    before = text[i - 1] if i else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    return before not in ">&|<" and after not in ">&"


def _unquoted(word: str) -> str:
    """The word with quoted parts blanked, to look for shell operators outside quotes."""
    return re.sub(r"'[^']*'|\"(?:\\.|[^\"\\])*\"|\\.", "_", word)


def _word_spans(body: str) -> list[tuple[int, int]] | None:
    """(start, end) of each shell word of one command; a line continuation is a blank.
    None: an unbalanced quote, a second command line, or a comment that is not at the end."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(body)
    while i < n:
        if body[i] in " \t":
            i += 1
            continue
        if body.startswith("\\\n", i) or body.startswith("\\\r\n", i):
            i += 2 if body[i + 1] == "\n" else 3
            continue
        if body[i] in "\r\n":
            return None
        if body[i] == "#":
            return spans if "\n" not in body[i:] else None
        start, quote = i, ""
        while i < n:
            ch = body[i]
            if quote:
                if ch == "\\" and quote == '"':
                    i += 2
                    continue
                if ch == quote:
                    quote = ""
            elif ch in "'\"":
                quote = ch
            elif ch == "\\":
                if body.startswith("\\\n", i) or body.startswith("\\\r\n", i):
                    break
                i += 2
                continue
            elif ch in " \t\r\n":
                break
            i += 1
        if quote:
            return None
        spans.append((start, min(i, n)))
    return spans


def _options(
    words: list[str], spans: list[tuple[int, int]], first: int
) -> tuple[list[Option], list[str]] | None:
    options: list[Option] = []
    positional: list[str] = []
    i = first
    while i < len(words):
        word, (start, end) = words[i], spans[i]
        i += 1
        if not word.startswith("-") or word == "-":
            positional.append(word)
            continue
        name, has_value, value = word.partition("=")
        if not word.startswith("--") and len(word) > 2:  # -w4, -kuvicorn.workers.UvicornWorker
            name, has_value, value = word[:2], "=", word[2:]
        if has_value:
            options.append(Option(name, value, start, end))
        elif name in _FLAGS:
            options.append(Option(name, None, start, end))
        else:
            if i >= len(words):
                return None
            options.append(Option(name, words[i], start, spans[i][1]))
            i += 1
    return options, positional


def _app(cmd: Command, positional: list[str]) -> str | None:
    if cmd.server == "fastapi" or len(positional) != 1:
        return None
    if any(o.name in IMPORT_OPTIONS for o in cmd.options):
        return None
    app = positional[0]
    if cmd.server == "gunicorn":
        if cmd.worker_class not in ASGI_WORKERS:
            return None
        if _MODULE.fullmatch(app):
            app += ":application"
    elif cmd.find("--factory") is not None:
        app += "()" if "(" not in app else ""
    return app if is_app(app) else None


def option_names(words: list[str]) -> tuple[str, ...]:
    """The option names among command words: `--bind=x` gives `--bind`, `-w4` gives `-w`."""
    names = []
    for word in words:
        if word.startswith("--"):
            names.append(word.partition("=")[0])
        elif word.startswith("-") and word != "-":
            names.append(word[:2])
    return tuple(names)


def render_command(template: str, app: str, prefix: str = "") -> str:
    """`prefix` followed by `template` with every `{app}` replaced by `app`.

    Only `{app}` is special: other braces (`${PORT}`) are kept as they are. A factory app
    (`src.main:create_app()`) is shell-quoted for gunicorn and hypercorn, and written as
    `src.main:create_app --factory` when the template runs uvicorn, which has no `()` form.
    """
    words = template.split()
    if words[1:2] == ["-m"] and words[2:] and re.fullmatch(_PYTHON, words[0]):
        words = words[2:]
    if words[:1] == ["uvicorn"] and app.endswith("()"):
        filled = app[:-2] + " --factory"
    else:
        filled = shlex.quote(app)
    return prefix + template.replace(APP_PLACEHOLDER, filled)


def parse_template(template: str) -> Command | None:
    """The tier's template as a Command (its `{app}` stands for `main:app`)."""
    return parse_start(template.replace(APP_PLACEHOLDER, "main:app"))


def set_workers(cmd: Command, workers: str | None) -> str:
    """The server's own command (prefix included) with its worker count set to `workers`.

    The worker option is edited where it is (`-w 2` -> `-w 8`, `--workers=2` -> `--workers=8`),
    or added at the end as ` --workers N` (gunicorn, uvicorn and fastapi all read that spelling).
    `workers` None is the server's default ($WEB_CONCURRENCY, 1 on Render's small plans): the
    option is removed when it is written exactly as tier adds it, and set to 1 otherwise, so
    that any trip through the tiers and back gives back the bytes. Every other byte stays.
    """
    body, end = cmd.body, cmd.suffix
    option = cmd.find("--workers")
    if option is None:
        if workers is None:
            return cmd.prefix + body + end
        return f"{cmd.prefix}{body} --workers {workers}{end}"
    raw = body[option.start : option.end]
    if workers is None:
        added = f" {raw}" == body[option.start - 1 : option.end] and option.end == len(body)
        if added and re.fullmatch(r"--workers \d+", raw):
            return cmd.prefix + body[: option.start - 1] + end
        workers = "1"
    if raw.startswith("--") and "=" in raw:
        new = f"{raw.partition('=')[0]}={workers}"
    elif not raw.startswith("--") and len(raw.split()[0]) > 2:  # -w4
        new = f"{raw[:2]}{workers}"
    else:
        new = f"{option.name} {workers}"
    return cmd.prefix + body[: option.start] + new + body[option.end :] + end


def is_app(text: str) -> bool:
    """True for `module:attr`, `pkg.module:attr` and `module:factory()` spellings."""
    return _APP.fullmatch(text) is not None
