"""One requirement as pip reads it (PEP 508, `url#egg=name`, a wheel URL): the distribution it
names, with its extras, and whether its environment marker holds on Render's build machine.
"""

import re

NAME = r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?"  # compiled on first use
Env = dict[str, str]  # environment marker values
Req = tuple[str, frozenset[str]]  # (normalised name, extras)


def normalise(name: str) -> str:
    """PEP 503: `Uvicorn_Worker` and `uvicorn.worker` are `uvicorn-worker`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def name_of(spec: str) -> str:
    """The distribution name a requirement starts with ("" if none)."""
    match = re.match(NAME, spec)
    return match.group(1) if match else ""


def environment(python: str) -> Env:
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


def marker_holds(marker: str | None, env: Env) -> bool:
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
NAME_508 = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_VERSION = r"(?:==|!=|>=|<=|<|>)\s*[0-9]+(?:\.[0-9]+)*"
PLAIN_REQUIREMENT = (
    rf"({NAME_508})\s*(?:\[\s*({NAME_508}(?:\s*,\s*{NAME_508})*)?\s*\])?"
    rf"\s*(?:{_VERSION}(?:\s*,\s*{_VERSION})*)?"
)


def requirement(spec: str, env: Env | None = None) -> Req | None:
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
    plain = re.fullmatch(PLAIN_REQUIREMENT, spec)
    if plain:  # what packaging would make of it, without importing packaging
        extras = frozenset(e.strip().lower() for e in (plain.group(2) or "").split(",") if e)
        return normalise(plain.group(1)), extras
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(spec)
    except InvalidRequirement:
        return None
    if req.marker is not None and env is not None and not marker_holds(str(req.marker), env):
        return None
    return normalise(req.name), frozenset(e.lower() for e in req.extras)
