"""What a service's build installs: the Python distributions its declared dependencies name.

Render builds in the repository's root folder, or in `rootDir` when the service sets one; its
buildCommand then runs there. Where to look comes from the service (pure: buildcmd.py):
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
import tomllib
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from tier_cli.blueprint.buildcmd import ALL, Source, Steps, clean, join, local_project
from tier_cli.blueprint.requirement import (
    Env,
    Req,
    environment,
    marker_holds,
    name_of,
    normalise,
    requirement,
)

# Render's default Python for services created on or after 2026-02-11 (render.com/docs/
# python-version, "History of default Python versions"); PYTHON_VERSION, then a
# .python-version file at the root of the repository, set another.
DEFAULT_PYTHON = "3.14.3"
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


def python_version(env_value: str | None, root_dir: str | None, read: Reader) -> str:
    """The Python the service builds with: PYTHON_VERSION, else `.python-version` (in rootDir,
    then at the root of the repository), else Render's default."""
    if env_value and re.fullmatch(r"\d+\.\d+(?:\.\d+)?", env_value.strip()):
        return env_value.strip()
    for folder in dict.fromkeys([clean(root_dir or ""), ""]):
        text = read(join(folder, ".python-version"))
        line = (text or "").strip().splitlines()[0:1]
        if line and re.fullmatch(r"\d+\.\d+(?:\.\d+)?", line[0].strip()):
            return line[0].strip()
    return DEFAULT_PYTHON


def read_declared(steps: Steps, read: Reader, python: str = DEFAULT_PYTHON) -> Declared:
    """The distributions the places of `steps` declare, read through `read` (bounded by it),
    with markers evaluated for Render's Linux x86_64 and `python`."""
    env = environment(python)
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
# Reading the files

Names = set[str]
Result = tuple[Names, list[Source], list[str], str | None] | str  # str: why nothing was read
class _Unreadable(ValueError):
    """A file tier cannot parse; args[0] names it (with its line when known)."""


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
                includes.append(Source(join(folder, rest), "requirements"))
            continue
        if line.startswith(("-e ", "--editable")):
            line = re.sub(r"^(?:-e|--editable)\s*=?\s*", "", line)
        elif line.startswith("-"):
            continue  # -c, --index-url, --hash lines: no package
        line = re.split(r"\s+--?[a-z]", line, maxsplit=1)[0]  # per-line options: --hash=...
        local = local_project(line)
        if local is not None:
            includes.append(Source(join(folder, local[0]), "pyproject", local[1]))
            continue
        req = requirement(line, env)
        if req is None and requirement(line) is None:
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
    path = join(source.path, "pyproject.toml")
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
        req = requirement(spec, env)
        if req is None:
            continue
        if own and req[0] == own:
            out += _project_reqs(data, tuple(req[1]), env) if req[1] else []
            continue
        out.append(req)
    return out


def _uv(source: Source, read: Reader, env: Env) -> Result:
    path = join(source.path, "pyproject.toml")
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
    return _locked(reqs, source, join(source.path, "uv.lock"), read, env, [path])


def _chosen(groups: dict[str, Any], source: Source, defaults: set[str]) -> list[str]:
    if source.only is not None:
        return [g for g in groups if g in source.only]
    chosen = set(defaults) if source.defaults else set()
    chosen |= set(groups) if ALL in source.groups else set(source.groups)
    return [g for g in groups if g in chosen and g not in source.without]


def _poetry(source: Source, read: Reader, env: Env) -> Result:
    path = join(source.path, "pyproject.toml")
    text = read(path)
    if text is None:
        return f"{path} could not be read"
    data = _toml(path, text)
    reqs = _poetry_reqs(data, source, env)
    return _locked(reqs, source, join(source.path, "poetry.lock"), read, env, [path])


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
            names |= {normalise(name_of(str(p))) for p in packages}
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
                if not marker_holds(one.get("markers"), env):
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
                found = [requirement(re.sub(r"\s*\(.*?\)", "", str(i)), env) for i in items]
                optional[normalise(extra)] = [r for r in found if r is not None]
        graph[name] = (deps, optional)
    return graph


def _uv_deps(items: list[Any], env: Env) -> list[Req]:
    out: list[Req] = []
    for item in items:
        if isinstance(item, dict) and marker_holds(item.get("marker"), env):
            extras = frozenset(str(e).lower() for e in item.get("extra") or [])
            out.append((normalise(str(item.get("name", ""))), extras))
    return out


def _pipenv(source: Source, read: Reader, env: Env) -> Result:
    lock_path = join(source.path, "Pipfile.lock")
    text = read(lock_path)
    sections = ("default", "develop") if source.groups else ("default",)
    if text is not None:
        data = json.loads(text)
        names: set[str] = set()
        for section in sections:
            for name, spec in (data.get(section) or {}).items():
                marker = spec.get("markers") if isinstance(spec, dict) else None
                if marker_holds(marker, env):
                    names.add(normalise(name))
        return names, [], [lock_path], None
    path = join(source.path, "Pipfile")
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


