"""What a service's build installs: the Python distributions its declared dependencies name.

Render builds in the repository's root folder, or in `rootDir` when the service sets one; its
buildCommand then runs there. Where to look comes from the service (pure, `install_steps`):
`rootDir`, then what its `buildCommand` installs, command by command (`cd DIR &&` moves along):

- `pip install -r FILE` (`--requirement`, also `uv pip install`, `python -m pip install`,
  `uv pip sync FILE`): FILE, and the files it includes with `-r`; `pip install .`, `.[extra]`,
  `-e DIR`: DIR's pyproject.toml, with the extras named; package names on the line count too;
- `uv sync`: pyproject.toml's dependencies, the extras and groups the options ask for (uv's
  default group `dev` unless `--no-dev`), then uv.lock for what those bring;
- `poetry install`: `[tool.poetry]` (or `[project]`) dependencies, every non-optional group
  unless `--only` / `--without` say otherwise, the `--extras` asked for, then poetry.lock;
- `pipenv install` / `pipenv sync`: Pipfile.lock's `default` (and `develop` with `--dev`), else
  the Pipfile.

Requirement lines are read with `packaging`: environment markers are evaluated for Render's
build machine (Linux, x86_64, CPython at the version the service runs: `python_version`), so
`gunicorn; sys_platform == "win32"` is not installed there; `name @ url` and `url#egg=name`
give their name, extras their package's optional dependencies.

The files are read by `read_declared` through a reader given by the caller (the CLI gives a
bounded one that stays in the build context: see textio.read_project_file). A build script,
a file that cannot be read or a buildCommand that installs nothing tier knows leaves the
answer incomplete (`Declared.unknown` says why): tier then writes no server that may be missing.
"""

import json
import posixpath
import re
import shlex
import tomllib
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from tier_cli.blueprint.startcmd import last_command_start

# Render's default Python for services created on or after 2026-02-11 (render.com/docs/
# python-version, "History of default Python versions"); PYTHON_VERSION, then a
# .python-version file at the root of the repository, set another.
DEFAULT_PYTHON = "3.14.3"
_NAME = r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?"  # compiled on first use
# Distributions that bring others with them (the ones a server needs), for when no lock file
# says what a package depends on.
_BRINGS: dict[str, frozenset[str]] = {
    "uvicorn-worker": frozenset({"gunicorn", "uvicorn"}),
    "fastapi-cli": frozenset({"uvicorn"}),
}
_EXTRAS_BRING: dict[tuple[str, str], frozenset[str]] = {
    ("fastapi", "standard"): frozenset({"fastapi-cli", "uvicorn"}),
    ("fastapi", "standard-no-fastapi-cloud-cli"): frozenset({"fastapi-cli", "uvicorn"}),
    ("fastapi", "all"): frozenset({"uvicorn"}),
}
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


class Declared(NamedTuple):
    """The distributions a service's build installs, as far as tier can tell."""

    packages: frozenset[str]
    read: tuple[str, ...] = ()  # the files read, from the build context
    unknown: str | None = None  # None: complete; else why it may miss something
    fix: str = "add {} to your dependencies"
    guessed: str | None = None  # why the build context is a guess (no git repository found)

    def fix_for(self, names: list[str]) -> str:
        return " and ".join(self.fix.format(n) for n in names)


Reader = Callable[[str], str | None]  # path from the build context -> text, None if absent


def normalise(name: str) -> str:
    """PEP 503: `Uvicorn_Worker` and `uvicorn.worker` are `uvicorn-worker`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def python_version(env_value: str | None, root_dir: str | None, read: Reader) -> str:
    """The Python the service builds with: PYTHON_VERSION, else `.python-version` (in rootDir,
    then at the root of the repository), else Render's default."""
    if env_value and re.fullmatch(r"\d+\.\d+(?:\.\d+)?", env_value.strip()):
        return env_value.strip()
    for folder in dict.fromkeys([_clean(root_dir or ""), ""]):
        text = read(_join(folder, ".python-version"))
        line = (text or "").strip().splitlines()[0:1]
        if line and re.fullmatch(r"\d+\.\d+(?:\.\d+)?", line[0].strip()):
            return line[0].strip()
    return DEFAULT_PYTHON


def install_steps(root_dir: str | None, build_command: str | None) -> Steps:
    """Where a service's declared dependencies are, from rootDir and buildCommand (pure)."""
    base = _clean(root_dir or "")
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
            here = _join(here, words[1])
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


def read_declared(steps: Steps, read: Reader, python: str = DEFAULT_PYTHON) -> Declared:
    """The distributions the places of `steps` declare, read through `read` (bounded by it),
    with markers evaluated for Render's Linux x86_64 and `python`."""
    env = _environment(python)
    found = set(steps.named)
    read_paths: list[str] = []
    unknown = steps.unknown
    pending = list(steps.sources)
    seen: set[Source] = set()
    while pending:
        source = pending.pop(0)
        if source in seen or len(seen) >= 20:
            continue
        seen.add(source)
        try:
            result = _READERS[source.kind](source, read, env)
        except (ValueError, TypeError, AttributeError, tomllib.TOMLDecodeError) as exc:
            where = exc.args[0] if isinstance(exc, _Unreadable) else source.path or "."
            unknown = unknown or f"{where} could not be parsed"
            continue
        if isinstance(result, str):
            unknown = unknown or result
            continue
        names, includes, paths, gap = result
        read_paths += paths
        unknown = unknown or gap
        found |= names
        pending += includes
    return Declared(_with_brought(found), tuple(read_paths), unknown, steps.fix)


# ------------------------------------------------------------------------------------------
# Reading the buildCommand


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
        return [Source(_join(here, f), "requirements") for f in files], set(), "uv add {}"
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
        extra = {normalise(_name(a)) for a in rest if not a.startswith("-") and _name(a)}
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
    where = _join(here, folder[-1]) if folder else here
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
    where = _join(here, folder[-1]) if folder else here
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
            path = _join(here, value)
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
        local = _local(word)
        if local is not None:
            folder, extras = local
            path = _join(_join(here, folder), "pyproject.toml")
            sources.append(Source(_join(here, folder), "pyproject", extras))
            fix = fix or f"add {{}} to [project] dependencies in {path}"
        else:
            requirement = _requirement(word)
            if requirement is not None:
                named.add(requirement[0])
    return sources, named, fix  # "": only names on the line; a file's fix is the better one


def _local(word: str) -> tuple[str, tuple[str, ...]] | None:
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


def _name(spec: str) -> str:
    match = re.match(_NAME, spec)
    return match.group(1) if match else ""


# ------------------------------------------------------------------------------------------
# Reading the files

Names = set[str]
Result = tuple[Names, list[Source], list[str], str | None] | str  # str: why nothing was read
Env = dict[str, str]
Req = tuple[str, frozenset[str]]  # (normalised name, extras)


class _Unreadable(ValueError):
    """A file tier cannot parse; args[0] names it (with its line when known)."""


def _environment(python: str) -> Env:
    """Marker values for Render's build machine: Linux, x86_64, CPython `python`."""
    parts = [*python.split("."), "0", "0"][:3]
    full = ".".join(parts)
    return {
        "os_name": "posix",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "platform_release": "",
        "platform_version": "",
        "python_version": ".".join(parts[:2]),
        "python_full_version": full,
        "implementation_name": "cpython",
        "implementation_version": full,
        "platform_python_implementation": "CPython",
        "extra": "",
    }


def _marker_holds(marker: str | None, env: Env) -> bool:
    if not marker or not marker.strip():
        return True
    from packaging.markers import InvalidMarker, Marker

    try:
        return bool(Marker(marker).evaluate(dict(env)))
    except (InvalidMarker, ValueError, TypeError, KeyError):
        return True  # a marker tier cannot read: count the package, as pip might install it


# A requirement with no marker, URL or unusual version: a PEP 508 name, extras, and versions of
# digits and dots after ==, !=, >=, <=, < or >. Most requirements files hold nothing else, and
# importing packaging is the largest cost of reading them (benchmarks/README.md); any other line
# goes to packaging. Compiled on first use (re's cache).
_NAME_508 = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_VERSION = r"(?:==|!=|>=|<=|<|>)\s*[0-9]+(?:\.[0-9]+)*"
_PLAIN_REQUIREMENT = (
    rf"({_NAME_508})\s*(?:\[\s*({_NAME_508}(?:\s*,\s*{_NAME_508})*)?\s*\])?"
    rf"\s*(?:{_VERSION}(?:\s*,\s*{_VERSION})*)?"
)


def _requirement(spec: str, env: Env | None = None) -> Req | None:
    """(name, extras) of a PEP 508 requirement, `url#egg=name` or a wheel URL; None when its
    marker does not hold on Render, or it names nothing tier can read."""
    spec = spec.strip()
    if spec.startswith(("git+", "hg+", "svn+", "bzr+", "http://", "https://", "file:")):
        egg = re.search(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[([^\]]*)\])?", spec)
        if egg:
            extras = frozenset(e.strip().lower() for e in (egg.group(2) or "").split(",") if e)
            return normalise(egg.group(1)), extras
        wheel = re.search(r"/([A-Za-z0-9][A-Za-z0-9._]*?)-\d[^/]*\.(?:whl|tar\.gz|zip)$", spec)
        return (normalise(wheel.group(1)), frozenset()) if wheel else None
    plain = re.fullmatch(_PLAIN_REQUIREMENT, spec)
    if plain:  # what packaging would make of it, without importing packaging
        extras = frozenset(e.strip().lower() for e in (plain.group(2) or "").split(",") if e)
        return normalise(plain.group(1)), extras
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(spec)
    except InvalidRequirement:
        return None
    if req.marker is not None and env is not None and not _marker_holds(str(req.marker), env):
        return None
    return normalise(req.name), frozenset(e.lower() for e in req.extras)


def _requirements(source: Source, read: Reader, env: Env) -> Result:
    text = read(source.path)
    if text is None:
        return f"{source.path} could not be read"
    reqs: list[Req] = []
    includes: list[Source] = []
    gap: str | None = None
    folder = posixpath.dirname(source.path)
    for number, line in _logical_lines(text):
        if line.startswith(("-r", "--requirement")):
            rest = re.sub(r"^(?:-r|--requirement)\s*=?\s*", "", line)
            if rest:
                includes.append(Source(_join(folder, rest), "requirements"))
            continue
        if line.startswith(("-e ", "--editable")):
            line = re.sub(r"^(?:-e|--editable)\s*=?\s*", "", line)
        elif line.startswith("-"):
            continue  # -c, --index-url, --hash lines: no package
        line = re.split(r"\s+--?[a-z]", line, maxsplit=1)[0]  # per-line options: --hash=...
        local = _local(line)
        if local is not None:
            includes.append(Source(_join(folder, local[0]), "pyproject", local[1]))
            continue
        req = _requirement(line, env)
        if req is None and _requirement(line) is None:
            gap = gap or f"{source.path}:{number} (`{line}`) could not be read"
        elif req is not None:
            reqs.append(req)
    return _names(reqs), includes, [source.path], gap


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """(line number, line) without comments and blank lines, continuations joined."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            yield start, line


def _pyproject(source: Source, read: Reader, env: Env) -> Result:
    """`pip install DIR[extras]`: [project] dependencies (a Poetry project builds its main
    dependencies), and the optional dependencies of the extras named."""
    path = _join(source.path, "pyproject.toml")
    text = read(path)
    if text is None:
        return f"{path} could not be read"
    data = _toml(path, text)
    project = data.get("project")
    if (isinstance(project, dict) and "dependencies" in project) or "tool" not in data:
        reqs = _project_reqs(data, source.extras, env)
    else:
        reqs = _poetry_reqs(data, Source(source.path, "poetry", source.extras, only=("main",)), env)
    return _names(reqs), [], [path], None


def _project_reqs(data: dict[str, Any], extras: tuple[str, ...], env: Env) -> list[Req]:
    project = data.get("project") or {}
    specs = [str(s) for s in project.get("dependencies") or []]
    optional = project.get("optional-dependencies") or {}
    for extra, items in optional.items():
        if ALL in extras or normalise(extra) in {normalise(e) for e in extras}:
            specs += [str(s) for s in items]
    return _reqs(specs, env, data)


def _reqs(specs: list[str], env: Env, data: dict[str, Any]) -> list[Req]:
    """Requirements of a pyproject, with `project[extra]` self-references expanded."""
    own = normalise(str((data.get("project") or {}).get("name", "")))
    out: list[Req] = []
    for spec in specs:
        req = _requirement(spec, env)
        if req is None:
            continue
        if own and req[0] == own:
            out += _project_reqs(data, tuple(req[1]), env) if req[1] else []
            continue
        out.append(req)
    return out


def _uv(source: Source, read: Reader, env: Env) -> Result:
    path = _join(source.path, "pyproject.toml")
    text = read(path)
    if text is None:
        return f"{path} could not be read"
    data = _toml(path, text)
    reqs = _project_reqs(data, source.extras, env)
    tool = (data.get("tool") or {}).get("uv") or {}
    groups: dict[str, list[Any]] = dict(data.get("dependency-groups") or {})
    if tool.get("dev-dependencies"):
        groups.setdefault("dev", [])
        groups["dev"] = [*groups["dev"], *tool["dev-dependencies"]]
    default = tool.get("default-groups", ["dev"])
    chosen = _chosen(groups, source, set(default if isinstance(default, list) else groups))
    if source.only is not None:
        reqs = []
    for group in chosen:
        specs = [s for s in groups.get(group, []) if isinstance(s, str)]
        includes = [i["include-group"] for i in groups.get(group, []) if isinstance(i, dict)]
        specs += [s for g in includes for s in groups.get(g, []) if isinstance(s, str)]
        reqs += _reqs(specs, env, data)
    return _locked(reqs, source, _join(source.path, "uv.lock"), read, env, [path])


def _chosen(groups: dict[str, Any], source: Source, defaults: set[str]) -> list[str]:
    if source.only is not None:
        return [g for g in groups if g in source.only]
    chosen = set(defaults) if source.defaults else set()
    chosen |= set(groups) if ALL in source.groups else set(source.groups)
    return [g for g in groups if g in chosen and g not in source.without]


def _poetry(source: Source, read: Reader, env: Env) -> Result:
    path = _join(source.path, "pyproject.toml")
    text = read(path)
    if text is None:
        return f"{path} could not be read"
    data = _toml(path, text)
    reqs = _poetry_reqs(data, source, env)
    return _locked(reqs, source, _join(source.path, "poetry.lock"), read, env, [path])


def _poetry_reqs(data: dict[str, Any], source: Source, env: Env) -> list[Req]:
    """The requirements `poetry install` installs: the main dependencies (`[project]` or
    `[tool.poetry.dependencies]`, optional ones only through the extras asked for), then the
    groups: every non-optional one by default, `--with` adds, `--without` / `--only` choose."""
    poetry = (data.get("tool") or {}).get("poetry") or {}
    groups: dict[str, dict[str, Any]] = {}
    for name, group in (poetry.get("group") or {}).items():
        if isinstance(group, dict):
            groups[name] = group
    if poetry.get("dev-dependencies"):
        groups.setdefault("dev", {"dependencies": poetry["dev-dependencies"]})
    only = source.only
    main = only is None or "main" in only
    reqs: list[Req] = []
    if main:
        reqs += _project_reqs(data, source.extras, env) if "project" in data else []
        extras_named = _poetry_extra_names(poetry, source.extras)
        reqs += _poetry_table(poetry.get("dependencies") or {}, env, extras_named)
    for name, group in groups.items():
        optional = bool(group.get("optional"))
        wanted = (
            name in only
            if only is not None
            else (not optional or name in source.groups or ALL in source.groups)
        )
        if wanted and name not in source.without:
            reqs += _poetry_table(group.get("dependencies") or {}, env, None)
    return reqs


def _poetry_extra_names(poetry: dict[str, Any], extras: tuple[str, ...]) -> set[str]:
    table = poetry.get("extras") or {}
    names: set[str] = set()
    for extra, packages in table.items():
        if ALL in extras or extra in extras:
            names |= {normalise(_name(str(p))) for p in packages}
    return names


def _poetry_table(table: dict[str, Any], env: Env, extras_named: set[str] | None) -> list[Req]:
    out: list[Req] = []
    for name, spec in table.items():
        if name.lower() == "python":
            continue
        specs = spec if isinstance(spec, list) else [spec]
        for one in specs:
            if isinstance(one, dict):
                if one.get("optional") and normalise(name) not in (extras_named or set()):
                    continue
                if not _marker_holds(one.get("markers"), env):
                    continue
                platform = one.get("platform")
                if platform and not re.search(r"\blinux\b", str(platform)):
                    continue
                extras = frozenset(str(e).lower() for e in one.get("extras") or [])
            else:
                extras = frozenset()
            out.append((normalise(name), extras))
            break
    return out


def _locked(
    reqs: list[Req], source: Source, lock_path: str, read: Reader, env: Env, paths: list[str]
) -> Result:
    """What `reqs` install with what they depend on, from the lock file; the direct ones alone
    (and what _BRINGS knows) when there is no lock."""
    includes: list[Source] = []
    lock_text = read(lock_path)
    if lock_text is None:
        return _names(reqs), includes, paths, None
    lock = _toml(lock_path, lock_text)
    graph = _lock_graph(lock, env)
    found: set[str] = set()
    pending = list(reqs)
    while pending:
        name, extras = pending.pop()
        key = (name, extras)
        if name in found and not extras:
            continue
        found.add(name)
        deps, optional = graph.get(name, ([], {}))
        more = list(deps)
        for extra in extras:
            more += optional.get(normalise(extra), [])
        for dep in more:
            if (dep[0] not in found or dep[1]) and dep != key:
                pending.append(dep)
        if len(found) > 5000:
            break
    return found, includes, [*paths, lock_path], None


Graph = dict[str, tuple[list[Req], dict[str, list[Req]]]]


def _lock_graph(lock: dict[str, Any], env: Env) -> Graph:
    """name -> (dependencies, extra -> optional dependencies), from uv.lock or poetry.lock."""
    graph: Graph = {}
    for package in lock.get("package") or []:
        if not isinstance(package, dict):
            continue
        name = normalise(str(package.get("name", "")))
        raw = package.get("dependencies") or []
        optional: dict[str, list[Req]] = {}
        if isinstance(raw, list):  # uv.lock
            deps = _uv_deps(raw, env)
            for extra, items in (package.get("optional-dependencies") or {}).items():
                optional[normalise(extra)] = _uv_deps(items, env)
        else:  # poetry.lock: {name: spec}; optional ones come through [package.extras]
            deps = _poetry_table(
                {k: v for k, v in raw.items() if not (isinstance(v, dict) and v.get("optional"))},
                env,
                None,
            )
            for extra, items in (package.get("extras") or {}).items():
                found = [_requirement(re.sub(r"\s*\(.*?\)", "", str(i)), env) for i in items]
                optional[normalise(extra)] = [r for r in found if r is not None]
        graph[name] = (deps, optional)
    return graph


def _uv_deps(items: list[Any], env: Env) -> list[Req]:
    out: list[Req] = []
    for item in items:
        if isinstance(item, dict) and _marker_holds(item.get("marker"), env):
            extras = frozenset(str(e).lower() for e in item.get("extra") or [])
            out.append((normalise(str(item.get("name", ""))), extras))
    return out


def _pipenv(source: Source, read: Reader, env: Env) -> Result:
    lock_path = _join(source.path, "Pipfile.lock")
    text = read(lock_path)
    sections = ("default", "develop") if source.groups else ("default",)
    if text is not None:
        data = json.loads(text)
        names: set[str] = set()
        for section in sections:
            for name, spec in (data.get(section) or {}).items():
                marker = spec.get("markers") if isinstance(spec, dict) else None
                if _marker_holds(marker, env):
                    names.add(normalise(name))
        return names, [], [lock_path], None
    path = _join(source.path, "Pipfile")
    text = read(path)
    if text is None:
        return f"{lock_path} could not be read"
    data = _toml(path, text)
    keys = ("packages", "dev-packages") if source.groups else ("packages",)
    table = {k: v for key in keys for k, v in (data.get(key) or {}).items()}
    return _names(_poetry_table(table, env, None)), [], [path], None


_READERS: dict[str, Callable[[Source, Reader, Env], Result]] = {
    "requirements": _requirements,
    "pyproject": _pyproject,
    "uv": _uv,
    "poetry": _poetry,
    "pipenv": _pipenv,
}


def _toml(path: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _Unreadable(path) from exc


def _names(reqs: list[Req]) -> set[str]:
    """Names, with what a known extra brings (`fastapi[standard]`)."""
    out: set[str] = set()
    for name, extras in reqs:
        out.add(name)
        for extra in extras:
            out |= _EXTRAS_BRING.get((name, extra), frozenset())
    return out


def _with_brought(names: set[str]) -> frozenset[str]:
    out = set(names)
    for name in names:
        out |= _BRINGS.get(name, frozenset())
    return frozenset(out)


def _clean(path: str) -> str:
    cleaned = posixpath.normpath(path.strip()) if path.strip() else ""
    return "" if cleaned == "." else cleaned


def _join(folder: str, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(folder, path) if folder else path)
    return "" if joined == "." else joined
