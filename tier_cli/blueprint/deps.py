"""What a service's build installs: the Python distributions its declared dependencies name.

Where to look comes from the service (pure, `install_steps`): `rootDir`, then what its
`buildCommand` installs, command by command (`cd DIR &&` moves along):

- `pip install -r FILE` (`--requirement`, also `uv pip install`, `python -m pip install`):
  FILE, and the files it includes with `-r`; `pip install .` / `-e DIR`: DIR's pyproject.toml;
  package names on the line itself (`pip install gunicorn`) count too;
- `uv sync`: uv.lock (every locked package), else pyproject.toml;
- `poetry install`: poetry.lock, else pyproject.toml;
- `pipenv install`: Pipfile.lock, else Pipfile.

The files are read by `read_declared` through a reader given by the caller (the CLI gives a
bounded one that stays in the project folder: see textio.read_project_file). A build script,
a file that cannot be read or a buildCommand that installs nothing tier knows leaves the
answer incomplete (`Declared.unknown` says why): tier then warns instead of deciding.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
import tomllib
from collections.abc import Callable

from tier_cli.blueprint.startcmd import last_command_start
from tier_cli.record import Record

_NAME = r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?"  # compiled on first use
# Distributions that bring others with them (the ones a server needs).
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


class Source(Record):
    """One file to read: its path from the project folder, its kind, and the fix to name."""

    path: str  # "backend/requirements.txt"
    kind: str  # "requirements", "pyproject", "uv.lock", "poetry.lock", "Pipfile", "Pipfile.lock"
    fallback: str | None = None  # read this one (a pyproject.toml) when `path` is missing


class Steps(Record):
    """What a buildCommand installs: files to read, names on the command line, and gaps."""

    sources: tuple[Source, ...]
    named: frozenset[str]
    unknown: str | None  # why the list may miss something (a script, no install step)
    fix: str  # how to add a package, with `{}` for its name


class Declared(Record):
    """The distributions a service's build installs, as far as tier can tell."""

    packages: frozenset[str]
    read: tuple[str, ...] = ()  # the files read, from the project folder
    unknown: str | None = None  # None: complete; else why it may miss something
    fix: str = "add {} to your dependencies"

    def fix_for(self, names: list[str]) -> str:
        return " and ".join(self.fix.format(n) for n in names)


Reader = Callable[[str], str | None]  # path from the project folder -> text, None if absent


def normalise(name: str) -> str:
    """PEP 503: `Uvicorn_Worker` and `uvicorn.worker` are `uvicorn-worker`."""
    return re.sub(r"[-_.]+", "-", name).lower()


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


def read_declared(steps: Steps, read: Reader) -> Declared:
    """The distributions the files of `steps` declare, read through `read` (bounded by it)."""
    found = set(steps.named)
    read_paths: list[str] = []
    unknown = steps.unknown
    pending = list(steps.sources)
    seen: set[str] = set()
    while pending:
        source = pending.pop(0)
        if source.path in seen or len(seen) >= 20:
            continue
        seen.add(source.path)
        text = read(source.path)
        if text is None and source.fallback is not None:
            kind = "Pipfile" if source.fallback.endswith("Pipfile") else "pyproject"
            source = Source(source.fallback, kind)
            text = read(source.path)
        if text is None:
            unknown = unknown or f"{source.path} could not be read"
            continue
        read_paths.append(source.path)
        try:
            names, includes = _parse(source, text)
        except (ValueError, tomllib.TOMLDecodeError):
            unknown = unknown or f"{source.path} could not be parsed"
            continue
        found |= names
        pending += includes
    return Declared(_with_brought(found), tuple(read_paths), unknown, steps.fix)


# ------------------------------------------------------------------------------------------


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
    """What one command installs: (files, package names, the fix), or None."""
    args = words
    while args and re.fullmatch(r"[A-Za-z_]\w*=.*", args[0]):
        args = args[1:]
    if args[:2] in (["python", "-m"], ["python3", "-m"]):
        args = args[2:]
    if args[:2] == ["uv", "pip"]:
        args = args[1:]
    if args[:1] in (["pip"], ["pip3"]) and args[1:2] == ["install"]:
        return _pip(args[2:], here)
    if args[:2] == ["uv", "sync"]:
        lock = _join(here, "uv.lock")
        return [Source(lock, "uv.lock", _join(here, "pyproject.toml"))], set(), "uv add {}"
    if args[:2] == ["poetry", "install"]:
        lock = _join(here, "poetry.lock")
        return [Source(lock, "poetry.lock", _join(here, "pyproject.toml"))], set(), "poetry add {}"
    if args[:2] == ["pipenv", "install"]:
        extra = {normalise(_name(a)) for a in args[2:] if not a.startswith("-") and _name(a)}
        lock = _join(here, "Pipfile.lock")
        return [Source(lock, "Pipfile.lock", _join(here, "Pipfile"))], extra, "pipenv install {}"
    return None


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
        if word.startswith((".", "/")) or word.endswith("/"):
            path = _join(_join(here, word), "pyproject.toml")
            sources.append(Source(path, "pyproject"))
            fix = fix or f"add {{}} to [project] dependencies in {path}"
        elif _name(word):
            named.add(normalise(_name(word)))
    return sources, named, fix  # "": only names on the line; a file's fix is the better one


def _is_script(words: list[str]) -> bool:
    first = words[0]
    if first in ("bash", "sh", "source", ".", "make", "just", "tox", "nox"):
        return True
    return "/" in first or first.endswith(".sh")


def _name(spec: str) -> str:
    match = re.match(_NAME, spec)
    return match.group(1) if match else ""


def _parse(source: Source, text: str) -> tuple[set[str], list[Source]]:
    """(distribution names, files included) of one dependency file."""
    if source.kind == "requirements":
        return _requirements(source.path, text)
    if source.kind == "Pipfile.lock":
        data = json.loads(text)
        default = data.get("default", {}) if isinstance(data, dict) else {}
        return {normalise(k) for k in default}, []
    data = tomllib.loads(text)
    if source.kind in ("uv.lock", "poetry.lock"):
        items = data.get("package", [])
        return {normalise(str(p.get("name", ""))) for p in items if isinstance(p, dict)}, []
    if source.kind == "Pipfile":
        return _specs([str(k) for k in data.get("packages", {})]), []
    project = data.get("project", {})
    specs = [str(s) for s in project.get("dependencies", [])]
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
    specs += [str(k) for k in poetry if str(k).lower() != "python"]
    for name, spec in poetry.items():
        if isinstance(spec, dict):
            specs.append(f"{name}[{','.join(map(str, spec.get('extras', [])))}]")
    return _specs(specs), []


def _requirements(path: str, text: str) -> tuple[set[str], list[Source]]:
    names: list[str] = []
    includes: list[Source] = []
    folder = posixpath.dirname(path)
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        for flag in ("-r", "--requirement", "-c", "--constraint"):
            if line.startswith(flag):
                rest = line[len(flag) :].lstrip(" =")
                if flag in ("-r", "--requirement") and rest:
                    includes.append(Source(_join(folder, rest), "requirements"))
                break
        else:
            if line.startswith("-e "):
                line = line[3:].strip()
                if line.startswith((".", "/")):
                    project = _join(_join(folder, line), "pyproject.toml")
                    includes.append(Source(project, "pyproject"))
                    continue
            if not line.startswith("-"):
                names.append(line)
    return _specs(names), includes


def _specs(specs: list[str]) -> set[str]:
    """Names from PEP 508 specs, with what a known extra brings (`fastapi[standard]`)."""
    out: set[str] = set()
    for spec in specs:
        match = re.match(_NAME, spec)
        if not match:
            continue
        name = normalise(match.group(1))
        out.add(name)
        for extra in (match.group(2) or "").split(","):
            out |= _EXTRAS_BRING.get((name, extra.strip().lower()), frozenset())
    return out


def _with_brought(names: set[str]) -> frozenset[str]:
    out = set(names)
    for name in names:
        out |= _BRINGS.get(name, frozenset())
    return frozenset(out)


def _clean(path: str) -> str:
    return posixpath.normpath(path.strip()) if path.strip() else ""


def _join(folder: str, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(folder, path) if folder else path)
    return "" if joined == "." else joined
