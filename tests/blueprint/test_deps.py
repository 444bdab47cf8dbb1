"""deps: what a buildCommand installs, what the files it names declare, and the bounded reader."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tier_cli.blueprint.deps import Declared, Source, install_steps, normalise, read_declared
from tier_cli.textio import read_project_file

REQ = "requirements"
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
                 [Source("pyproject.toml", "pyproject")], set(), False,
                 "add {} to [project] dependencies in pyproject.toml", id="pip-install-dot"),
    pytest.param(None, "pip install uv && uv sync --frozen --no-dev",
                 [Source("uv.lock", "uv.lock", "pyproject.toml")], {"uv"}, False,
                 "uv add {}", id="uv-sync"),
    pytest.param(None, "uv sync --frozen --no-dev && uv pip install -e .",
                 [Source("uv.lock", "uv.lock", "pyproject.toml"),
                  Source("pyproject.toml", "pyproject")], set(), False,
                 "uv add {}", id="uv-sync-then-uv-pip"),
    pytest.param(None, "pip install poetry && poetry install --only main",
                 [Source("poetry.lock", "poetry.lock", "pyproject.toml")], {"poetry"}, False,
                 "poetry add {}", id="poetry"),
    pytest.param(None, "pip install gunicorn uvicorn", [], {"gunicorn", "uvicorn"}, False,
                 "add {} to the pip install line of buildCommand", id="names-only"),
    pytest.param(None, "pipenv install --deploy",
                 [Source("Pipfile.lock", "Pipfile.lock", "Pipfile")], set(), False,
                 "pipenv install {}", id="pipenv"),
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
    pytest.param("pip install -r requirements.txt", {}, set(), True, id="missing-file"),
    pytest.param("uv sync", {"uv.lock": 'version = 1\n[[package]]\nname = "gunicorn"\n'},
                 {"gunicorn"}, False, id="uv-lock"),
    pytest.param("uv sync", {"pyproject.toml": '[project]\ndependencies = ["uvicorn>=0.30"]\n'},
                 {"uvicorn"}, False, id="uv-without-lock-reads-pyproject"),
    pytest.param("poetry install",
                 {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\n'
                                    'fastapi = {version = "*", extras = ["standard"]}\n'},
                 {"fastapi", "fastapi-cli", "uvicorn"}, False, id="poetry-pyproject-extras"),
    pytest.param("poetry install", {"poetry.lock": '[[package]]\nname = "Gunicorn"\n'},
                 {"gunicorn"}, False, id="poetry-lock"),
    pytest.param("pipenv install", {"Pipfile": '[packages]\nuvicorn = "*"\n'},
                 {"uvicorn"}, False, id="pipfile"),
    pytest.param("pipenv install", {"Pipfile.lock": '{"default": {"gunicorn": {}}}'},
                 {"gunicorn"}, False, id="pipfile-lock"),
    pytest.param("uv sync", {"uv.lock": "not = [toml"}, set(), True, id="unparseable"),
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
