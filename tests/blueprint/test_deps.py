"""deps: what a buildCommand installs, what the files it names declare, and the bounded reader."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tier_cli.blueprint import requirement
from tier_cli.blueprint.buildcmd import Source, install_steps
from tier_cli.blueprint.deps import DEFAULT_PYTHON, Declared, python_version, read_declared
from tier_cli.blueprint.requirement import normalise
from tier_cli.textio import read_project_file

REQ = "requirements"
UV_ONLY_LOCK = 'version = 1\n[[package]]\nname = "gunicorn"\n'
STEPS = [
    # (rootDir, buildCommand, sources, names on the line, incomplete?, fix)
    pytest.param(None, "pip install -r requirements.txt",
                 [Source("requirements.txt", REQ)], set(), False,
                 "add {} to requirements.txt", id="pip-r"),
    pytest.param("backend", "pip install --no-cache-dir -r requirements/prod.txt",
                 [Source("backend/requirements/prod.txt", REQ)], set(), False,
                 "add {} to backend/requirements/prod.txt", id="root-dir-and-options"),
    pytest.param(None, "cd services/api && pip install -r requirements.txt",
                 [Source("services/api/requirements.txt", REQ)], set(), False,
                 "add {} to services/api/requirements.txt", id="cd-moves-along"),
    pytest.param("web", "pip install -r ../requirements.txt",
                 [Source("requirements.txt", REQ)], set(), False,
                 "add {} to requirements.txt", id="parent-of-root-dir"),
    pytest.param(None, "pip install --requirement=req.txt gunicorn 'uvicorn[standard]>=0.30'",
                 [Source("req.txt", REQ)], {"gunicorn", "uvicorn"}, False,
                 "add {} to req.txt", id="names-on-the-line"),
    pytest.param(None, "python -m pip install -e .",
                 [Source("", "pyproject")], set(), False,
                 "add {} to [project] dependencies in pyproject.toml", id="pip-install-dot"),
    pytest.param(None, "pip install '.[server]'",
                 [Source("", "pyproject", ("server",))], set(), False,
                 "add {} to [project] dependencies in pyproject.toml", id="pip-install-dot-extra"),
    pytest.param("api", "pip install -e ./pkg[server,db]",
                 [Source("api/pkg", "pyproject", ("server", "db"))], set(), False,
                 "add {} to [project] dependencies in api/pkg/pyproject.toml",
                 id="pip-install-dir-extras"),
    pytest.param(None, "pip install uv && uv sync --frozen --no-dev",
                 [Source("", "uv", defaults=False)], {"uv"}, False,
                 "uv add {}", id="uv-sync-no-dev"),
    pytest.param(None, "uv sync --extra server --group prod --all-extras",
                 [Source("", "uv", ("*",), ("prod",))], set(), False,
                 "uv add {}", id="uv-sync-extras-groups"),
    pytest.param(None, "uv sync --frozen --no-dev && uv pip install -e .",
                 [Source("", "uv", defaults=False), Source("", "pyproject")], set(), False,
                 "uv add {}", id="uv-sync-then-uv-pip"),
    pytest.param(None, "uv pip install -r pyproject.toml",
                 [Source("", "pyproject")], set(), False,
                 "add {} to [project] dependencies in pyproject.toml", id="uv-pip-r-pyproject"),
    pytest.param(None, "pip install poetry && poetry install --only main",
                 [Source("", "poetry", only=("main",))], {"poetry"}, False,
                 "poetry add {}", id="poetry"),
    pytest.param(None, "poetry install --with server --without dev -E 'a b'",
                 [Source("", "poetry", ("a", "b"), ("server",), without=("dev",))], set(), False,
                 "poetry add {}", id="poetry-groups-extras"),
    pytest.param(None, "cd backend && poetry install",
                 [Source("backend", "poetry")], set(), False,
                 "poetry add {} (in backend)", id="poetry-after-cd"),
    pytest.param(None, "pip install gunicorn uvicorn", [], {"gunicorn", "uvicorn"}, False,
                 "add {} to the pip install line of buildCommand", id="names-only"),
    pytest.param(None, "pipenv install --deploy",
                 [Source("", "pipenv")], set(), False, "pipenv install {}", id="pipenv"),
    pytest.param(None, "pipenv sync --dev",
                 [Source("", "pipenv", groups=("develop",))], set(), False,
                 "pipenv install {}", id="pipenv-sync-dev"),
    pytest.param(None, "./build.sh", [], set(), True, "add {} to its build", id="script"),
    pytest.param(None, "pip install -r requirements.txt && ./bin/render-build.sh",
                 [Source("requirements.txt", REQ)], set(), True,
                 "add {} to requirements.txt", id="file-and-script"),
    pytest.param(None, "npm ci && npm run build", [], set(), True, "add {} to its build",
                 id="installs-nothing-python"),
    pytest.param(None, "", [], set(), True, "add {} to its build", id="empty"),
    pytest.param(None, None, [], set(), True, "add {} to its build", id="missing"),
    pytest.param(None, "pip install 'unclosed", [], set(), True, "add {} to its build",
                 id="unbalanced-quote"),
]  # fmt: skip


@pytest.mark.parametrize(("root", "build", "sources", "named", "incomplete", "fix"), STEPS)
def test_install_steps(
    root: str | None,
    build: str | None,
    sources: list[Source],
    named: set[str],
    incomplete: bool,
    fix: str,
) -> None:
    steps = install_steps(root, build)
    assert list(steps.sources) == sources
    assert steps.named == named
    assert (steps.unknown is not None) is incomplete
    assert steps.fix == fix


PROJECT = """\
[project]
name = "parts"
dependencies = ["fastapi", "gunicorn; sys_platform == 'win32'"]
[project.optional-dependencies]
server = ["gunicorn>=22", "uvicorn-worker"]
all = ["parts[server]"]
[dependency-groups]
dev = ["pytest"]
prod = ["uvicorn-worker"]
"""
POETRY = """\
[tool.poetry]
name = "parts"
[tool.poetry.dependencies]
python = "^3.11"
fastapi = "^0.115"
uvicorn = {version = "*", optional = true}
gunicorn = {version = "*", markers = "sys_platform == 'win32'"}
[tool.poetry.extras]
server = ["uvicorn"]
[tool.poetry.group.dev.dependencies]
pytest = "*"
[tool.poetry.group.deploy]
optional = true
[tool.poetry.group.deploy.dependencies]
uvicorn-worker = "*"
"""
POETRY_LOCK = """\
[[package]]
name = "fastapi"
[package.dependencies]
starlette = "*"
uvicorn = {version = "*", optional = true, extras = ["standard"]}
[package.extras]
standard = ["uvicorn[standard] (>=0.12.0)"]
[[package]]
name = "starlette"
[[package]]
name = "pytest"
[[package]]
name = "uvicorn-worker"
[package.dependencies]
gunicorn = "*"
uvicorn = "*"
"""
UV_LOCK = """\
version = 1
[[package]]
name = "fastapi"
dependencies = [{ name = "starlette" }, { name = "colorama", marker = "sys_platform == 'win32'" }]
[package.optional-dependencies]
standard = [{ name = "fastapi-cli" }, { name = "uvicorn", extra = ["standard"] }]
[[package]]
name = "starlette"
[[package]]
name = "pytest"
[[package]]
name = "gunicorn"
[[package]]
name = "uvicorn-worker"
dependencies = [{ name = "gunicorn" }, { name = "uvicorn" }]
"""
UV_PROJECT = """\
[project]
name = "parts"
dependencies = ["fastapi[standard]"]
[dependency-groups]
dev = ["pytest"]
deploy = ["uvicorn-worker"]
"""
FILES = [
    # (build, files, installed, incomplete?)
    pytest.param("pip install -r requirements.txt",
                 {"requirements.txt": "# web\nFastAPI==0.115  # the app\nUvicorn_Worker\n"
                                      "-r base.txt\n--extra-index-url https://x\n",
                  "base.txt": "gunicorn>=22 ; python_version >= '3.8'\n"},
                 {"fastapi", "uvicorn-worker", "gunicorn", "uvicorn"}, False,
                 id="requirements-include-and-normalise"),
    pytest.param("pip install -r requirements.txt", {"requirements.txt": "fastapi[standard]\n"},
                 {"fastapi", "fastapi-cli", "uvicorn"}, False, id="fastapi-standard-brings"),
    pytest.param("pip install -r requirements.txt",
                 {"requirements.txt": 'uvicorn\ngunicorn; sys_platform == "win32"\n'},
                 {"uvicorn"}, False, id="marker-for-windows-is-not-render"),
    pytest.param("pip install -r requirements.txt",
                 {"requirements.txt": 'uvicorn\ngunicorn; python_version < "3.12"\n'},
                 {"uvicorn"}, False, id="marker-python-version-render-default"),
    pytest.param("pip install -r requirements.txt",
                 {"requirements.txt": "git+https://github.com/benoitc/gunicorn.git#egg=gunicorn\n"
                                      "uvicorn-worker @ https://x.org/uvicorn_worker-0.3.0.whl\n"
                                      "https://x.org/wheels/fastapi_cli-0.0.7-py3-none-any.whl\n"},
                 {"gunicorn", "uvicorn-worker", "uvicorn", "fastapi-cli"}, False,
                 id="urls-egg-at-and-wheel"),
    pytest.param("pip install -r requirements.txt",
                 {"requirements.txt": "gunicorn==23.0 \\\n    --hash=sha256:abc\n-e .[server]\n",
                  "pyproject.toml": PROJECT},
                 {"gunicorn", "fastapi", "uvicorn-worker", "uvicorn"}, False,
                 id="hash-continuation-and-editable-extra"),
    pytest.param("pip install -r requirements.txt", {"requirements.txt": "gunicorn (\n"},
                 set(), True, id="unreadable-line"),
    pytest.param("pip install -r requirements.txt", {}, set(), True, id="missing-file"),
    pytest.param("pip install .", {"pyproject.toml": PROJECT}, {"fastapi"}, False,
                 id="pip-install-dot-no-extra"),
    pytest.param("pip install '.[server]'", {"pyproject.toml": PROJECT},
                 {"fastapi", "gunicorn", "uvicorn-worker", "uvicorn"}, False,
                 id="pip-install-dot-extra"),
    pytest.param("pip install '.[all]'", {"pyproject.toml": PROJECT},
                 {"fastapi", "gunicorn", "uvicorn-worker", "uvicorn"}, False,
                 id="self-referencing-extra"),
    pytest.param("pip install .", {"pyproject.toml": POETRY}, {"fastapi"}, False,
                 id="pip-install-poetry-project-main-only"),
    pytest.param("uv sync", {"pyproject.toml": PROJECT}, {"fastapi", "pytest"}, False,
                 id="uv-default-group-dev"),
    pytest.param("uv sync --no-dev --group prod", {"pyproject.toml": PROJECT},
                 {"fastapi", "uvicorn-worker", "gunicorn", "uvicorn"}, False, id="uv-group"),
    pytest.param("uv sync --no-dev", {"pyproject.toml": UV_PROJECT, "uv.lock": UV_LOCK},
                 {"fastapi", "starlette", "fastapi-cli", "uvicorn"}, False,
                 id="uv-lock-closure-extra-no-dev"),
    pytest.param("uv sync --group deploy", {"pyproject.toml": UV_PROJECT, "uv.lock": UV_LOCK},
                 {"fastapi", "starlette", "fastapi-cli", "uvicorn", "pytest", "uvicorn-worker",
                  "gunicorn"}, False, id="uv-lock-closure-group"),
    pytest.param("uv sync", {"uv.lock": UV_ONLY_LOCK}, set(), True, id="uv-without-pyproject"),
    pytest.param("uv sync", {"pyproject.toml": '[project]\ndependencies = ["uvicorn>=0.30"]\n'},
                 {"uvicorn"}, False, id="uv-without-lock-reads-pyproject"),
    pytest.param("poetry install",
                 {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\n'
                                    'fastapi = {version = "*", extras = ["standard"]}\n'},
                 {"fastapi", "fastapi-cli", "uvicorn"}, False, id="poetry-pyproject-extras"),
    pytest.param("poetry install", {"pyproject.toml": POETRY}, {"fastapi", "pytest"}, False,
                 id="poetry-optional-marker-and-optional-group-left-out"),
    pytest.param("poetry install --only main -E server --with deploy",
                 {"pyproject.toml": POETRY}, {"fastapi", "uvicorn"}, False,
                 id="poetry-only-main"),
    pytest.param("poetry install --without dev --with deploy", {"pyproject.toml": POETRY,
                 "poetry.lock": POETRY_LOCK},
                 {"fastapi", "starlette", "uvicorn-worker", "gunicorn", "uvicorn"}, False,
                 id="poetry-lock-closure-optional-group"),
    pytest.param("poetry install", {"poetry.lock": '[[package]]\nname = "Gunicorn"\n'},
                 set(), True, id="poetry-lock-without-pyproject"),
    pytest.param("pipenv install", {"Pipfile": '[packages]\nuvicorn = "*"\n'},
                 {"uvicorn"}, False, id="pipfile"),
    pytest.param("pipenv install", {"Pipfile.lock": '{"default": {"gunicorn": {}}, '
                                                    '"develop": {"pytest": {}}}'},
                 {"gunicorn"}, False, id="pipfile-lock"),
    pytest.param("pipenv install --dev",
                 {"Pipfile.lock": '{"default": {"gunicorn": {"markers": "sys_platform == \'win32\'"'
                                  '}}, "develop": {"pytest": {}}}'},
                 {"pytest"}, False, id="pipfile-lock-dev-and-marker"),
    pytest.param("uv sync", {"pyproject.toml": "not = [toml"}, set(), True, id="unparseable"),
    pytest.param("pip install -r a.txt", {"a.txt": "-r a.txt\nuvicorn\n"}, {"uvicorn"}, False,
                 id="include-cycle"),
]  # fmt: skip


@pytest.mark.parametrize(("build", "files", "installed", "incomplete"), FILES)
def test_read_declared(
    build: str, files: dict[str, str], installed: set[str], incomplete: bool
) -> None:
    declared = read_declared(install_steps(None, build), files.get)
    assert declared.packages == installed
    assert (declared.unknown is not None) is incomplete


@pytest.mark.parametrize(
    ("env", "files", "version"),
    [
        pytest.param("3.11.9", {".python-version": "3.12\n"}, "3.11.9", id="env-var-first"),
        pytest.param(None, {"api/.python-version": "3.12\n", ".python-version": "3.13"}, "3.12",
                     id="root-dir-file"),
        pytest.param(None, {".python-version": "3.13\n"}, "3.13", id="repo-file"),
        pytest.param(None, {}, DEFAULT_PYTHON, id="render-default"),
        pytest.param("latest", {}, DEFAULT_PYTHON, id="not-a-version"),
    ],
)  # fmt: skip
def test_python_version(env: str | None, files: dict[str, str], version: str) -> None:
    assert python_version(env, "api", files.get) == version


def test_python_version_decides_markers() -> None:
    files = {"requirements.txt": 'gunicorn; python_version < "3.12"\n'}
    steps = install_steps(None, "pip install -r requirements.txt")
    assert read_declared(steps, files.get, "3.11.9").packages == {"gunicorn"}
    assert read_declared(steps, files.get, "3.13").packages == frozenset()


def test_fix_names_every_package() -> None:
    declared = Declared(frozenset(), fix="uv add {}")
    assert (
        declared.fix_for(["gunicorn", "uvicorn-worker"])
        == "uv add gunicorn and uv add uvicorn-worker"
    )


@pytest.mark.parametrize(
    ("name", "normal"),
    [("Uvicorn_Worker", "uvicorn-worker"), ("uvicorn.worker", "uvicorn-worker"), ("a--b", "a-b")],
)
def test_normalise(name: str, normal: str) -> None:
    assert normalise(name) == normal


# --- the bounded reader -----------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "requirements.txt").write_text("uvicorn\n", "utf-8")
    (project / "sub" / "req.txt").write_text("gunicorn\n", "utf-8")
    (tmp_path / "secret.txt").write_text("outside\n", "utf-8")
    return project


def test_reads_a_file_inside(folder: Path) -> None:
    assert read_project_file(folder, "requirements.txt") == "uvicorn\n"
    assert read_project_file(folder, "sub/../sub/req.txt") == "gunicorn\n"


def test_a_symlink_inside_is_followed(folder: Path) -> None:
    (folder / "link.txt").symlink_to(folder / "sub" / "req.txt")
    assert read_project_file(folder, "link.txt") == "gunicorn\n"


@pytest.mark.parametrize(
    "relative", ["../secret.txt", "sub/../../secret.txt", "", "missing.txt", "sub"]
)
def test_never_outside_nor_a_folder(folder: Path, relative: str) -> None:
    assert read_project_file(folder, relative) is None


def test_absolute_path_is_not_read(folder: Path) -> None:
    assert read_project_file(folder, str(folder / "requirements.txt")) is None


def test_a_symlink_leading_out_is_not_read(folder: Path) -> None:
    (folder / "out.txt").symlink_to(folder.parent / "secret.txt")
    (folder / "outdir").symlink_to(folder.parent)
    assert read_project_file(folder, "out.txt") is None
    assert read_project_file(folder, "outdir/secret.txt") is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_not_read_and_does_not_block(folder: Path) -> None:
    os.mkfifo(folder / "fifo.txt")
    assert read_project_file(folder, "fifo.txt") is None


def test_size_limit(folder: Path) -> None:
    (folder / "big.txt").write_text("x" * 101, "utf-8")
    assert read_project_file(folder, "big.txt", limit=100) is None
    assert read_project_file(folder, "big.txt", limit=101) == "x" * 101


def test_not_utf8_is_not_read(folder: Path) -> None:
    (folder / "latin.txt").write_bytes(b"caf\xe9\n")
    assert read_project_file(folder, "latin.txt") is None


# A plain requirement is read without packaging; what it gives is packaging's answer.
PLAIN_REQUIREMENTS = [
    "fastapi",
    "uvicorn[standard]",
    "uvicorn[ standard , foo ]",
    "FastAPI==0.110.0",
    "psycopg[binary]>=3.1,<4",
    "a.b_c-d",
    "x >= 1",
    "gunicorn!=21.0",
    "foo[]",
    "Foo_Bar[Baz]==1.2.3",
]
NOT_PLAIN = ["x~=1.2", "x==1.*", "x;python_version<'3'", "x @ https://a/b.whl", "foo-", "x>="]


@pytest.mark.parametrize("spec", PLAIN_REQUIREMENTS + NOT_PLAIN)
def test_plain_requirements_read_as_packaging_reads_them(spec: str) -> None:
    from packaging.requirements import InvalidRequirement, Requirement

    plain = re.fullmatch(requirement.PLAIN_REQUIREMENT, spec)
    assert (plain is not None) == (spec in PLAIN_REQUIREMENTS)
    try:
        req = Requirement(spec)
    except InvalidRequirement:
        assert requirement.requirement(spec) is None
        return
    if req.marker is None and req.url is None:
        assert requirement.requirement(spec) == (
            requirement.normalise(req.name),
            frozenset(e.lower() for e in req.extras),
        )


def test_a_plain_requirements_file_does_not_import_packaging() -> None:
    probe = (
        "import sys; from tier_cli.blueprint.deps import read_declared; "
        "from tier_cli.blueprint.requirement import requirement; "
        "assert requirement('uvicorn[standard]>=0.30') == ('uvicorn', frozenset({'standard'})); "
        "print('packaging' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
