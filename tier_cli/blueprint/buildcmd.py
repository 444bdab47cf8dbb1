"""What a service's buildCommand installs, read from its words (pure): the places to read
(requirements files, project folders with their extras and groups), the package names on the
command line, and what tier cannot tell. blueprint/deps.py reads those places.

Render runs the buildCommand in the repository's root folder, or in `rootDir` when the service
sets one; `cd DIR &&` moves along, command by command (the commands each installer takes:
deps.py's docstring).
"""

import posixpath
import re
import shlex
from collections.abc import Iterable
from typing import NamedTuple

from tier_cli.blueprint.requirement import name_of, normalise, requirement
from tier_cli.blueprint.startcmd import last_command_start

_PIP_VALUE_OPTIONS = frozenset(
    {"-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-f", "--find-links",
     "-t", "--target", "--prefix", "--root", "--python", "--platform", "--python-version",
     "--only-binary", "--no-binary", "--src", "--upgrade-strategy", "--progress-bar",
     "--log", "--cache-dir", "--implementation", "--abi", "-p"}
)  # fmt: skip
ALL = "*"  # every extra, every group


class Source(NamedTuple):
    """One place to read: a file or a project folder, its kind, and what the command selects.

    kind: "requirements" (path: the file), "pyproject" (`pip install DIR`: path is DIR), "uv",
    "poetry" or "pipenv" (path: the project folder, "" for the build context itself)."""

    path: str
    kind: str
    extras: tuple[str, ...] = ()  # ("*",): every extra
    groups: tuple[str, ...] = ()  # groups added to the installer's defaults; ("*",): all
    defaults: bool = True  # the installer's default groups (uv: dev; poetry: non-optional)
    only: tuple[str, ...] | None = None  # only these groups ("main": the project's own)
    without: tuple[str, ...] = ()


class Steps(NamedTuple):
    """What a buildCommand installs: places to read, names on the command line, and gaps."""

    sources: tuple[Source, ...]
    named: frozenset[str]
    unknown: str | None  # why the list may miss something (a script, no install step)
    fix: str  # how to add a package, with `{}` for its name


def install_steps(root_dir: str | None, build_command: str | None) -> Steps:
    """Where a service's declared dependencies are, from rootDir and buildCommand (pure)."""
    base = clean(root_dir or "")
    if not build_command or not build_command.strip():
        return Steps((), frozenset(), "the service has no buildCommand", "add {} to its build")
    sources: list[Source] = []
    named: set[str] = set()
    unknown: str | None = None
    fix = ""
    here = base
    for words in _commands(build_command):
        if words is None:
            unknown = unknown or "buildCommand could not be split into shell words"
            continue
        if not words:
            continue
        if words[0] == "cd" and len(words) == 2:
            here = join(here, words[1])
            continue
        found = _install(words, here)
        if found is None:
            if _is_script(words):
                ran = " ".join(words)
                unknown = unknown or f"buildCommand runs `{ran}`, which tier does not read"
            continue
        new_sources, new_named, new_fix = found
        sources += new_sources
        named |= new_named
        fix = fix or new_fix
    if not sources and not named and unknown is None:
        unknown = "buildCommand installs nothing tier recognises"
    if not fix:
        fix = "add {} to the pip install line of buildCommand" if named else "add {} to its build"
    return Steps(tuple(sources), frozenset(named), unknown, fix)


def _commands(build: str) -> list[list[str] | None]:
    """The simple commands of a buildCommand, as words (None: one that shlex cannot split)."""
    out: list[list[str] | None] = []
    rest = build
    while rest.strip():
        start = last_command_start(rest)
        if start is None:
            return [*out, None]
        head, last = rest[:start], rest[start:]
        try:
            out.insert(0, shlex.split(last, comments=True))
        except ValueError:
            out.insert(0, None)
        rest = _without_separators(head)
        if rest == head and head.strip():  # no separator: cannot happen, but never loop
            out.insert(0, None)
            break
    return out


def _without_separators(text: str) -> str:
    """``text`` without the spaces, ``;`` and ``&`` at its end (a loop, not the expression
    ``[\\s;&]*$``, which is tried again from every character of a long run of spaces)."""
    end = len(text)
    while end and (text[end - 1].isspace() or text[end - 1] in ";&"):
        end -= 1
    return text[:end]


def _install(words: list[str], here: str) -> tuple[list[Source], set[str], str] | None:
    """What one command installs: (places, package names, the fix), or None."""
    args = words
    while args and re.fullmatch(r"[A-Za-z_]\w*=.*", args[0]):
        args = args[1:]
    if args[:2] in (["python", "-m"], ["python3", "-m"]):
        args = args[2:]
    if args[:3] == ["uv", "pip", "sync"]:
        files = [a for a in args[3:] if not a.startswith("-")]
        return [Source(join(here, f), "requirements") for f in files], set(), "uv add {}"
    if args[:2] == ["uv", "pip"]:
        args = args[1:]
    if args[:1] in (["pip"], ["pip3"]) and args[1:2] == ["install"]:
        return _pip(args[2:], here)
    if args[:2] == ["uv", "sync"]:
        return [_uv_sync(args[2:], here)], set(), _in(here, "uv add {}")
    if args[:2] == ["poetry", "install"]:
        return [_poetry_install(args[2:], here)], set(), _in(here, "poetry add {}")
    if args[:1] == ["pipenv"] and args[1:2] in (["install"], ["sync"]):
        rest = args[2:]
        extra = {normalise(name_of(a)) for a in rest if not a.startswith("-") and name_of(a)}
        dev = any(a in ("--dev", "-d") for a in rest)
        source = Source(here, "pipenv", groups=("develop",) if dev else ())
        return [source], extra, _in(here, "pipenv install {}")
    return None


def _in(folder: str, fix: str) -> str:
    return f"{fix} (in {folder})" if folder else fix


def _values(args: list[str], names: Iterable[str]) -> tuple[list[str], list[str]]:
    """(the values of the options `names`, comma- or space-separated; the other words)."""
    wanted = set(names)
    values: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        name, eq, value = word.partition("=")
        if name in wanted:
            if not eq and i < len(args):
                value, i = args[i], i + 1
            values += [v for v in re.split(r"[,\s]+", value) if v]
        else:
            rest.append(word)
    return values, rest


def _uv_sync(args: list[str], here: str) -> Source:
    folder, args = _values(args, ("--directory", "--project"))
    where = join(here, folder[-1]) if folder else here
    extras, args = _values(args, ("--extra",))
    groups, args = _values(args, ("--group",))
    only, args = _values(args, ("--only-group",))
    without, args = _values(args, ("--no-group",))
    if "--all-extras" in args:
        extras = [ALL]
    if "--all-groups" in args:
        groups = [ALL]
    if "--only-dev" in args:
        only = ["dev"]
    defaults = "--no-dev" not in args and "--no-default-groups" not in args
    return Source(
        where, "uv", tuple(extras), tuple(groups), defaults, tuple(only) or None, tuple(without)
    )


def _poetry_install(args: list[str], here: str) -> Source:
    folder, args = _values(args, ("--directory", "-C", "--project", "-P"))
    where = join(here, folder[-1]) if folder else here
    extras, args = _values(args, ("--extras", "-E"))
    groups, args = _values(args, ("--with",))
    only, args = _values(args, ("--only",))
    without, args = _values(args, ("--without",))
    if "--all-extras" in args:
        extras = [ALL]
    if "--all-groups" in args:
        groups = [ALL]
    if "--no-dev" in args:
        without.append("dev")
    if "--only-root" in args:
        only = ["<root>"]
    return Source(where, "poetry", tuple(extras), tuple(groups), True, tuple(only) or None,
                  tuple(without))  # fmt: skip


def _pip(args: list[str], here: str) -> tuple[list[Source], set[str], str]:
    sources: list[Source] = []
    named: set[str] = set()
    fix = ""
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        value: str | None = None
        if word in ("-r", "--requirement") and i < len(args):
            value, i = args[i], i + 1
        elif word.startswith("--requirement="):
            value = word.partition("=")[2]
        elif word.startswith("-r") and len(word) > 2:
            value = word[2:]
        if value is not None:
            path = join(here, value)
            if posixpath.basename(path) == "pyproject.toml":  # uv pip install -r pyproject.toml
                sources.append(Source(posixpath.dirname(path), "pyproject"))
                fix = fix or f"add {{}} to [project] dependencies in {path}"
            else:
                sources.append(Source(path, "requirements"))
                fix = fix or f"add {{}} to {path}"
            continue
        if word in ("-e", "--editable") and i < len(args):
            word, i = args[i], i + 1
        elif word in _PIP_VALUE_OPTIONS:
            i += 1
            continue
        elif word.startswith("-"):
            continue
        local = local_project(word)
        if local is not None:
            folder, extras = local
            path = join(join(here, folder), "pyproject.toml")
            sources.append(Source(join(here, folder), "pyproject", extras))
            fix = fix or f"add {{}} to [project] dependencies in {path}"
        else:
            found = requirement(word)
            if found is not None:
                named.add(found[0])
    return sources, named, fix  # "": only names on the line; a file's fix is the better one


def local_project(word: str) -> tuple[str, tuple[str, ...]] | None:
    """A local project (`.`, `./api[server]`, `/src`), as (folder, extras); None otherwise."""
    if not word.startswith((".", "/")):  # most lines: a name, and no expression compiled for it
        return None
    match = re.fullmatch(r"((?:\.{1,2}|/|\.{1,2}/)[^\[\]]*?)/?(?:\[([^\]]*)\])?", word)
    if match is None:
        return None
    extras = tuple(e.strip().lower() for e in (match.group(2) or "").split(",") if e.strip())
    return match.group(1) or ".", extras


def _is_script(words: list[str]) -> bool:
    first = words[0]
    if first in ("bash", "sh", "source", ".", "make", "just", "tox", "nox"):
        return True
    return "/" in first or first.endswith(".sh")


def clean(path: str) -> str:
    """A relative folder or file path, normalised (\"\" for the build context itself)."""
    cleaned = posixpath.normpath(path.strip()) if path.strip() else ""
    return "" if cleaned == "." else cleaned


def join(folder: str, path: str) -> str:
    """`path` from `folder`, normalised (\"\" for the build context itself)."""
    joined = posixpath.normpath(posixpath.join(folder, path) if folder else path)
    return "" if joined == "." else joined
