"""Read render.yaml into read-only views of its services and databases, and pick the ones to edit.

Services and databases are collected from the top-level `services:`/`databases:` lists and from
`projects: [{environments: [{services, databases}]}]`, in file order. Values come through merge
keys (`<<: *base`) as YAML defines them; `runtime` falls back to the older `env:` key.
"""

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tier_cli.blueprint.nodes import (
    MERGE,
    STR,
    Data,
    compose_shared,
    lookup,
    tag_of,
    text_of,
    to_data,
    where,
)
from tier_cli.errors import ConfigError, RenderFileError
from tier_cli.textio import decode

KEYVALUE_TYPES = ("keyvalue", "redis")  # `redis` is the deprecated name of `keyvalue`


class ServiceView(NamedTuple):
    name: str | None
    type: str | None
    runtime: str | None  # `runtime:`, else the older `env:`
    plan: str | None  # None when the key is missing
    start_command: str | None
    database_ref: str | None  # fromDatabase.name of the DATABASE_URL env var
    path: str  # "services[2]", "projects[0].environments[1].services[0]"
    line: int  # 1-based line of the entry
    num_instances: int | None = None  # `numInstances`; None when missing or not a whole number
    scaling: tuple[int | None, int | None] | None = None  # (minInstances, maxInstances)
    root_dir: str | None = None
    build_command: str | None = None
    region: str | None = None
    fields: Mapping[str, Data] = MappingProxyType({})  # every key but envVars: its data picture

    @property
    def is_python_web(self) -> bool:
        """`type: web` with a Python runtime (`python`, or a spelling starting with python)."""
        runtime = (self.runtime or "").strip().lower()
        return self.type == "web" and runtime.startswith("python")

    @property
    def label(self) -> str:
        return self.name if self.name is not None else self.path


class DatabaseView(NamedTuple):
    name: str | None
    plan: str | None
    path: str
    line: int
    disk_size_gb: float | None = None  # `diskSizeGB`; None when missing or not a number
    disk_grows: bool = False  # `storageAutoscalingEnabled: true`

    @property
    def label(self) -> str:
        return self.name if self.name is not None else self.path


class BlueprintView(NamedTuple):
    services: tuple[ServiceView, ...]
    databases: tuple[DatabaseView, ...]


class Entry(NamedTuple):
    """Where a service or database sits in the node tree (for the editor)."""

    node: MappingNode
    seq: SequenceNode  # the list it is an item of
    keys: tuple[str | int, ...]  # data path from the root: ("services", 2)
    trail: tuple[Node, ...]  # nodes from the root down to `node`, for sharing checks


class Parsed(NamedTuple):
    """A parsed Blueprint: the views, and the node tree behind them."""

    text: str
    filename: str
    root: Node | None
    view: BlueprintView
    services: tuple[Entry, ...]  # same order as view.services
    databases: tuple[Entry, ...]  # same order as view.databases
    shared: frozenset[int]  # ids of nodes reached through more than one path


def read_blueprint(text: str, filename: str) -> BlueprintView:
    """The services and databases of a Blueprint; RenderFileError if it is not one."""
    return parse_blueprint(text, filename).view


def parse_file(data: bytes, filename: str) -> Parsed:
    """render.yaml's bytes parsed as the editor parses them (RenderFileError if not)."""
    return parse_blueprint(decode(data, filename).text, filename)


def parse_blueprint(text: str, filename: str) -> Parsed:
    root, shared = compose_shared(text, filename)
    if isinstance(root, ScalarNode) and text_of(root) is None:
        root = None  # an empty document: `---` alone, or only a null
    services: list[tuple[ServiceView, Entry]] = []
    databases: list[tuple[DatabaseView, Entry]] = []
    if root is not None:
        if not isinstance(root, MappingNode):
            raise RenderFileError(
                f"{where(root, filename)}: the top level is {_kind(root)}, not a mapping. "
                "Tip: a Blueprint starts with `services:` at the left margin."
            )
        for keys, trail, scope in _scopes(root, filename):
            for entry in _entries(scope, "services", keys, trail, filename):
                services.append((_service(entry), entry))
            for entry in _entries(scope, "databases", keys, trail, filename):
                databases.append((_database(entry), entry))
    view = BlueprintView(tuple(s for s, _ in services), tuple(d for d, _ in databases))
    return Parsed(
        text=text,
        filename=filename,
        root=root,
        view=view,
        services=tuple(e for _, e in services),
        databases=tuple(e for _, e in databases),
        shared=shared if root is not None else frozenset(),
    )


Scope = tuple[tuple[str | int, ...], tuple[Node, ...], MappingNode]


def _scopes(root: MappingNode, filename: str) -> list[Scope]:
    """The top level, then each `projects[i].environments[j]` mapping."""
    scopes: list[Scope] = [((), (root,), root)]
    for p, project in _items(root, "projects", filename):
        for e, env in _items(project.node, "environments", filename):
            keys = ("projects", p, "environments", e)
            scopes.append((keys, (root, *project.trail, *env.trail), env.node))
    return scopes


class _Item(NamedTuple):
    node: MappingNode
    seq: SequenceNode
    trail: tuple[Node, ...]  # the list node, then the item


def _items(parent: MappingNode, key: str, filename: str) -> list[tuple[int, _Item]]:
    found = lookup(parent, key)
    if found is None or (text_of(found.value) is None and isinstance(found.value, ScalarNode)):
        return []  # missing, or `key:` with nothing after it
    seq = found.value
    if not isinstance(seq, SequenceNode):
        raise RenderFileError(
            f"{where(seq, filename)}: `{key}` is {_kind(seq)}, not a list. "
            f"Tip: write each entry of `{key}` as a list item starting with `- `."
        )
    items = []
    for i, item in enumerate(seq.value):
        if not isinstance(item, MappingNode):
            raise RenderFileError(
                f"{where(item, filename)}: `{key}[{i}]` is {_kind(item)}, not a mapping. "
                "Tip: each entry needs keys such as `name:` and `type:`."
            )
        items.append((i, _Item(item, seq, (seq, item))))
    return items


def _entries(
    scope: MappingNode,
    key: str,
    keys: tuple[str | int, ...],
    trail: tuple[Node, ...],
    filename: str,
) -> list[Entry]:
    return [
        Entry(item.node, item.seq, (*keys, key, i), (*trail, *item.trail))
        for i, item in _items(scope, key, filename)
    ]


def _path(keys: tuple[str | int, ...]) -> str:
    out = ""
    for k in keys:
        out += f"[{k}]" if isinstance(k, int) else f".{k}"
    return out.lstrip(".")


def _get(node: MappingNode, key: str) -> str | None:
    found = lookup(node, key)
    return None if found is None else text_of(found.value)


def _service(entry: Entry) -> ServiceView:
    node = entry.node
    runtime = _get(node, "runtime")
    return ServiceView(
        name=_get(node, "name"),
        type=_get(node, "type"),
        runtime=runtime if runtime is not None else _get(node, "env"),
        plan=_get(node, "plan"),
        start_command=_get(node, "startCommand"),
        database_ref=_database_ref(node),
        path=_path(entry.keys),
        line=node.start_mark.line + 1,
        num_instances=_whole(_get(node, "numInstances")),
        scaling=_scaling(node),
        root_dir=_get(node, "rootDir"),
        build_command=_get(node, "buildCommand"),
        region=_get(node, "region"),
        fields=_fields(node),
    )


def _fields(node: MappingNode) -> Mapping[str, Data]:
    """The service's keys (merged ones too) and what they mean, envVars left out (the biggest,
    and no tier sets it): placement compares the fields tiers set with them."""
    names: list[str] = []
    for key, value in node.value:
        if isinstance(key, ScalarNode) and tag_of(key) == STR:
            names.append(str(key.value))
        elif isinstance(key, ScalarNode) and tag_of(key) == MERGE:
            for source in value.value if isinstance(value, SequenceNode) else [value]:
                if isinstance(source, MappingNode):
                    names.extend(_fields(source))
    out: dict[str, Data] = {}
    for name in dict.fromkeys(names):
        found = lookup(node, name) if name != "envVars" else None
        if found is not None:
            out[name] = to_data(found.value)
    return MappingProxyType(out)


def _database(entry: Entry) -> DatabaseView:
    disk = _get(entry.node, "diskSizeGB")
    return DatabaseView(
        name=_get(entry.node, "name"),
        plan=_get(entry.node, "plan"),
        path=_path(entry.keys),
        line=entry.node.start_mark.line + 1,
        disk_size_gb=None if _whole(disk) is None else float(disk or 0),
        disk_grows=(_get(entry.node, "storageAutoscalingEnabled") or "").lower() == "true",
    )


def _whole(text: str | None) -> int | None:
    """A count written in render.yaml (`2`, `"2"`); None for anything else."""
    if text is None or not (text.strip().isascii() and text.strip().isdigit()):
        return None
    return int(text)


def _scaling(service: MappingNode) -> tuple[int | None, int | None] | None:
    found = lookup(service, "scaling")
    if found is None or not isinstance(found.value, MappingNode):
        return None
    return _whole(_get(found.value, "minInstances")), _whole(_get(found.value, "maxInstances"))


def env_var(service: MappingNode, key: str) -> MappingNode | None:
    """The envVars item whose `key:` is `key`, if any."""
    found = lookup(service, "envVars")
    if found is None or not isinstance(found.value, SequenceNode):
        return None
    for item in found.value.value:
        if isinstance(item, MappingNode) and _get(item, "key") == key:
            return item
    return None


def _database_ref(service: MappingNode) -> str | None:
    item = env_var(service, "DATABASE_URL")
    source = None if item is None else lookup(item, "fromDatabase")
    if source is None or not isinstance(source.value, MappingNode):
        return None
    return _get(source.value, "name")


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    value = text_of(node)
    return "empty" if value is None else f"the value `{value}`"


# ------------------------------------------------------------------------------------------
# Choosing what to edit


def choose_web_service(view: BlueprintView, name: str | None, filename: str) -> ServiceView:
    """The service called `name`; without a name, the only Python web service.

    Raises ConfigError when the name is unknown or when there is not exactly one candidate.
    """
    if name is not None:
        named = [s for s in view.services if s.name == name]
        if len(named) == 1:
            return named[0]
        if named:
            lines = ", ".join(str(s.line) for s in named)
            raise ConfigError(
                f"{filename}: several services are named `{name}` (lines {lines}). "
                "Tip: give each service a unique name."
            )
        raise ConfigError(
            f"{filename}: no service named `{name}`; the services are: "
            f"{_names(view.services)}. Tip: use one of those names with --service "
            "or `service =` under [render] in tiers.toml."
        )
    if not view.services:
        raise RenderFileError(
            f"{filename}: declares no services, so it is not a Render Blueprint tier can edit. "
            "Tip: a Blueprint lists its services under `services:` (or projects -> environments)"
        )
    candidates = [s for s in view.services if s.is_python_web]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ConfigError(
            f"{filename}: no Python web service (`type: web` with `runtime: python`) found; "
            f"the services are: {_names(view.services)}. Tip: pick one with --service NAME "
            'or `service = "NAME"` under [render] in tiers.toml.'
        )
    listed = ", ".join(f"{s.label} (line {s.line})" for s in candidates)
    raise ConfigError(
        f"{filename}: several Python web services: {listed}. Tip: pick one with "
        '--service NAME or `service = "NAME"` under [render] in tiers.toml.'
    )


def choose_database(view: BlueprintView, web: ServiceView, name: str | None) -> DatabaseView | None:
    """The database whose plan follows the tier.

    An explicit `name` wins (ConfigError if no database has it); otherwise the one the web
    service's DATABASE_URL names (None if that name is not declared in this file); otherwise
    the only database; otherwise None.
    """
    if name is not None:
        for database in view.databases:
            if database.name == name:
                return database
        names = ", ".join(f"`{d.label}`" for d in view.databases) or "none"
        raise ConfigError(
            f"no database named `{name}`; the databases are: {names}. "
            "Tip: fix `database =` under [render] in tiers.toml."
        )
    if web.database_ref is not None:
        for database in view.databases:
            if database.name == web.database_ref:
                return database
        return None
    if len(view.databases) == 1:
        return view.databases[0]
    return None


def _names(services: tuple[ServiceView, ...]) -> str:
    if not services:
        return "none"
    return ", ".join(
        f"`{s.label}` ({', '.join(x for x in (s.type, s.runtime) if x) or 'no type'})"
        for s in services
    )


def read_render(path: Path) -> bytes:
    from tier_cli.textio import RENDER_LIMIT, NotRegularFile, OutsideProject, read_file

    try:
        return read_file(path, RENDER_LIMIT)
    except (NotRegularFile, OutsideProject) as exc:
        raise RenderFileError(f"{path}: {exc}. Tip: pass --render PATH of a render.yaml") from None
    except FileNotFoundError:
        raise RenderFileError(f"{path}: not found. Tip: pass --render PATH") from None
    except IsADirectoryError:
        raise RenderFileError(f"{path}: is a folder. Tip: pass --render PATH/render.yaml") from None
    except OSError as exc:
        raise RenderFileError(f"{path}: cannot be read ({exc.strerror})") from None
