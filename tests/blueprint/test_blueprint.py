"""blueprint: views of services and databases, clean errors, and choosing what to edit."""

from __future__ import annotations

import re

import pytest
from yaml_parsers import yaml_parser  # noqa: F401 - the fixture, used through pytestmark

from tier_cli.blueprint.view import (
    BlueprintView,
    DatabaseView,
    ServiceView,
    choose_database,
    choose_web_service,
    read_blueprint,
)
from tier_cli.errors import ConfigError, RenderFileError

pytestmark = pytest.mark.usefixtures("yaml_parser")  # every test on the C and the pure parser

FULL = """\
# a comment
services:
  - type: web
    name: api
    runtime: python
    plan: free
    startCommand: uvicorn main:app
    envVars:
      - key: DATABASE_URL
        fromDatabase:
          name: db
          property: connectionString
  - type: worker
    name: jobs
    env: python
databases:
  - name: db
    plan: basic-256mb
"""


def test_full_view() -> None:
    view = read_blueprint(FULL, "render.yaml")
    api, jobs = view.services
    assert view == BlueprintView(
        services=(
            ServiceView(
                "api", "web", "python", "free", "uvicorn main:app", "db", "services[0]", 3,
                fields=api.fields,
            ),
            ServiceView(
                "jobs", "worker", "python", None, None, None, "services[1]", 13,
                fields=jobs.fields,
            ),
        ),
        databases=(DatabaseView("db", "basic-256mb", "databases[0]", 17),),
    )  # fmt: skip
    str_ = "tag:yaml.org,2002:str"
    assert dict(api.fields) == {  # every key but envVars, as data
        "type": (str_, "web"),
        "name": (str_, "api"),
        "runtime": (str_, "python"),
        "plan": (str_, "free"),
        "startCommand": (str_, "uvicorn main:app"),
    }
    assert dict(jobs.fields) == {
        "type": (str_, "worker"),
        "name": (str_, "jobs"),
        "env": (str_, "python"),
    }


def test_fields_come_through_merge_keys() -> None:
    text = (
        "x: &base\n  scaling: {minInstances: 2}\n  plan: pro\n"
        "services:\n  - <<: *base\n    type: web\n    name: api\n    plan: starter\n"
    )
    (api,) = read_blueprint(text, "render.yaml").services
    assert list(api.fields) == ["scaling", "plan", "type", "name"]  # in file order
    assert api.fields["plan"] == ("tag:yaml.org,2002:str", "starter")
    assert api.fields["scaling"] == {
        ("tag:yaml.org,2002:str", "minInstances"): ("tag:yaml.org,2002:int", "2")
    }


PROJECTS = """\
projects:
  - name: shop
    environments:
      - name: staging
        services:
          - type: web
            name: api-staging
            runtime: python
        databases:
          - name: db-staging
      - name: production
        services:
        - {type: web, name: api, env: python, plan: pro}
services:
  - type: web
    name: docs
    runtime: static
"""


def test_projects_layout() -> None:
    view = read_blueprint(PROJECTS, "render.yaml")
    assert [(s.name, s.path, s.line) for s in view.services] == [
        ("docs", "services[0]", 15),
        ("api-staging", "projects[0].environments[0].services[0]", 6),
        ("api", "projects[0].environments[1].services[0]", 13),
    ]
    assert [(d.name, d.path) for d in view.databases] == [
        ("db-staging", "projects[0].environments[0].databases[0]")
    ]
    assert view.services[2].runtime == "python"
    assert view.services[2].plan == "pro"


MERGED = """\
defaults: &defaults
  runtime: python
  plan: starter
services:
  - <<: *defaults
    type: web
    name: api
    plan: pro
  - <<: *defaults
    type: worker
    name: jobs
"""


def test_values_through_merge_keys() -> None:
    view = read_blueprint(MERGED, "render.yaml")
    assert [(s.name, s.runtime, s.plan) for s in view.services] == [
        ("api", "python", "pro"),
        ("jobs", "python", "starter"),
    ]


VALUES = [
    pytest.param("services:\n- type: web\n  runtime: python\n  env: node\n", "runtime", "python",
                 id="runtime-wins-over-env"),
    pytest.param("services:\n- type: web\n  env: python\n", "runtime", "python", id="legacy-env"),
    pytest.param("services:\n- type: web\n  env: {A: b}\n", "runtime", None, id="env-mapping"),
    pytest.param("services:\n- type: web\n  plan:\n", "plan", None, id="null-plan"),
    pytest.param("services:\n- type: web\n  plan: 'Pro'\n", "plan", "Pro", id="quoted-plan"),
    pytest.param("services:\n- type: web\n  startCommand: ''\n", "start_command", "",
                 id="empty-start"),
    pytest.param("services:\n- type: web\n  startCommand: |\n    cd a\n    uvicorn m:a\n",
                 "start_command", "cd a\nuvicorn m:a\n", id="block-start"),
    pytest.param("services:\n- name: x\n", "type", None, id="no-type"),
    pytest.param("services:\n- type: web\n  envVars:\n  - key: DATABASE_URL\n    value: x\n",
                 "database_ref", None, id="database-url-literal"),
    pytest.param("services:\n- type: web\n  envVars:\n  - key: DB\n    fromDatabase: {name: d}\n",
                 "database_ref", None, id="other-key-from-database"),
    pytest.param("services:\n- envVars: [{key: DATABASE_URL, fromDatabase: {name: d}}]\n",
                 "database_ref", "d", id="flow-database-ref"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "attribute", "expected"), VALUES)
def test_service_values(text: str, attribute: str, expected: str | None) -> None:
    (service,) = read_blueprint(text, "render.yaml").services
    assert getattr(service, attribute) == expected


EMPTY = [
    pytest.param("", id="empty"),
    pytest.param("# only a comment\n\n# another\n", id="comments-only"),
    pytest.param("---\n...\n", id="markers-only"),
    pytest.param("services:\n", id="null-services"),
    pytest.param("services: []\ndatabases: []\n", id="empty-lists"),
    pytest.param("version: '1'\npreviews:\n  generation: automatic\n", id="no-services-key"),
    pytest.param("\ufeff# bom kept in text\n", id="bom-in-text"),
]


@pytest.mark.parametrize("text", EMPTY)
def test_no_services(text: str) -> None:
    assert read_blueprint(text, "render.yaml") == BlueprintView((), ())


ERRORS = [
    pytest.param("services:\n  - type: web\n   name: api\n", 3, 4, "invalid YAML",
                 id="bad-indentation"),
    pytest.param("services: [\n  {type: web\n", 3, 1, "invalid YAML", id="unclosed-flow"),
    pytest.param("a: 'x\n", 2, 1, "invalid YAML", id="unclosed-quote"),
    pytest.param("services:\n  - type: web\n    type: worker\n", 3, 5, "duplicate key `type`",
                 id="duplicate-key"),
    pytest.param("services: []\nservices: []\n", 2, 1, "duplicate key `services`",
                 id="duplicate-top-level-key"),
    pytest.param("- type: web\n", 1, 1, "top level is a list", id="top-level-list"),
    pytest.param("just text\n", 1, 1, "top level is the value `just text`", id="top-level-scalar"),
    pytest.param("services:\n  type: web\n", 2, 3, "`services` is a mapping, not a list",
                 id="services-mapping"),
    pytest.param("services: web\n", 1, 11, "`services` is the value `web`", id="services-scalar"),
    pytest.param("services:\n  - web\n", 2, 5, "`services[0]` is the value `web`",
                 id="service-scalar"),
    pytest.param("databases: {name: db}\n", 1, 12, "`databases` is a mapping",
                 id="databases-mapping"),
    pytest.param("projects:\n  - environments: x\n", 2, 19, "`environments` is the value `x`",
                 id="environments-scalar"),
    pytest.param("a: 1\n---\nb: 2\n", 2, 1, "several YAML documents", id="two-documents"),
    pytest.param("a: &x [*x]\n", 1, 4, "recursive alias", id="recursive-alias"),
    pytest.param("a: b\x07\n", 1, 5, "U+0007 is not allowed", id="control-character"),
    pytest.param("a: *nowhere\n", 1, 4, "invalid YAML", id="unknown-alias"),
    pytest.param("services:\n- name: x\n  plan: {{ cookiecutter.plan }}: 1\n", 3, 32,
                 "invalid YAML", id="template-placeholder"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "col", "what"), ERRORS)
def test_errors(text: str, line: int, col: int, what: str) -> None:
    with pytest.raises(RenderFileError) as info:
        read_blueprint(text, "render.yaml")
    message = str(info.value)
    assert message.startswith(f"render.yaml:{line}:{col}: "), message
    assert what in message
    assert re.search(r"\. Tip: .+", message), message
    assert "\n" not in message


def test_error_names_the_given_file() -> None:
    with pytest.raises(RenderFileError, match=r"^infra/render\.yml:1:1: "):
        read_blueprint("- a\n", "infra/render.yml")


def _svc(name: str, type_: str = "web", runtime: str | None = "python", db: str | None = None,
         line: int = 1) -> ServiceView:  # fmt: skip
    return ServiceView(name, type_, runtime, None, None, db, f"services[{line}]", line)


def _view(*services: ServiceView, databases: tuple[str, ...] = ()) -> BlueprintView:
    dbs = tuple(DatabaseView(n, None, f"databases[{i}]", i) for i, n in enumerate(databases))
    return BlueprintView(services, dbs)


WEB_CHOICES = [
    pytest.param(_view(_svc("api")), None, "api", id="only-python-web"),
    pytest.param(_view(_svc("ui", runtime="node"), _svc("api")), None, "api", id="skip-node"),
    pytest.param(_view(_svc("w", "worker"), _svc("api", runtime="Python")), None, "api",
                 id="skip-worker-case-insensitive-runtime"),
    pytest.param(_view(_svc("api", runtime="python3.12")), None, "api", id="python-version"),
    pytest.param(_view(_svc("a"), _svc("b")), "b", "b", id="named-among-several"),
    pytest.param(_view(_svc("jobs", "worker")), "jobs", "jobs", id="named-non-web"),
]  # fmt: skip


@pytest.mark.parametrize(("view", "name", "expected"), WEB_CHOICES)
def test_choose_web_service(view: BlueprintView, name: str | None, expected: str) -> None:
    assert choose_web_service(view, name, "render.yaml").name == expected


WEB_ERRORS = [
    pytest.param(_view(_svc("ui", runtime="node"), _svc("w", "worker")), None,
                 ["no Python web service", "`ui` (web, node)", "`w` (worker, python)",
                  "--service NAME", "`service = \"NAME\"` under [render] in tiers.toml"],
                 id="none-python"),
    pytest.param(_view(_svc("a", line=2), _svc("b", line=9)), None,
                 ["several Python web services: a (line 2), b (line 9)", "--service NAME"],
                 id="several"),
    pytest.param(_view(_svc("a")), "zzz", ["no service named `zzz`", "`a` (web, python)"],
                 id="unknown-name"),
    pytest.param(_view(_svc("a", line=2), _svc("a", line=5)), "a",
                 ["several services are named `a` (lines 2, 5)"], id="duplicate-name"),
]  # fmt: skip


@pytest.mark.parametrize(("view", "name", "fragments"), WEB_ERRORS)
def test_choose_web_service_errors(
    view: BlueprintView, name: str | None, fragments: list[str]
) -> None:
    with pytest.raises(ConfigError) as info:
        choose_web_service(view, name, "render.yaml")
    message = str(info.value)
    assert message.startswith("render.yaml: ")
    for fragment in fragments:
        assert fragment in message


def test_a_blueprint_without_services_is_a_file_error() -> None:
    """Nothing to pick with --service: the file itself is not a Blueprint tier can edit (exit 3)."""
    with pytest.raises(RenderFileError, match=r"^render\.yaml: declares no services"):
        choose_web_service(_view(), None, "render.yaml")


DB_CHOICES = [
    pytest.param(_view(_svc("api", db="b"), databases=("a", "b")), None, "b", id="referenced"),
    pytest.param(_view(_svc("api"), databases=("only",)), None, "only", id="only-one"),
    pytest.param(_view(_svc("api"), databases=("a", "b")), None, None, id="several-unreferenced"),
    pytest.param(_view(_svc("api")), None, None, id="none"),
    pytest.param(_view(_svc("api", db="gone"), databases=("other",)), None, None,
                 id="reference-not-declared"),
    pytest.param(_view(_svc("api", db="a"), databases=("a", "b")), "b", "b",
                 id="explicit-wins-over-reference"),
]  # fmt: skip


@pytest.mark.parametrize(("view", "name", "expected"), DB_CHOICES)
def test_choose_database(view: BlueprintView, name: str | None, expected: str | None) -> None:
    chosen = choose_database(view, view.services[0], name)
    assert (chosen.name if chosen else None) == expected


def test_choose_database_unknown_name() -> None:
    view = _view(_svc("api"), databases=("a", "b"))
    with pytest.raises(ConfigError, match=r"no database named `c`; the databases are: `a`, `b`"):
        choose_database(view, view.services[0], "c")
