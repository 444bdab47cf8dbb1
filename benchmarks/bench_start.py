"""Whole-process start-up: `tier check --metrics FILE` against `python -c "import typer"`.

Run: python benchmarks/bench_start.py [--venv DIR] [--runs N]

Goal: `tier check --metrics FILE`, in sync and out of sync, within 1.5 times
`python -c "import typer"`, whole process, tier installed normally (not editable, compiled
modules), the same interpreter. The measurement:

- a virtualenv of its own with `pip install .` (``--venv DIR`` reuses or creates one there; by
  default a temporary one is created and removed: about 30 s);
- PYTHONDONTWRITEBYTECODE unset and PYTHONPYCACHEPREFIX set to a folder of the run, so that every
  module, the standard library's included, runs from compiled bytecode after a warm-up run;
- paired runs: typer, then tier, then typer, then tier..., N pairs; the figure is the median of
  the N ratios tier / typer (the machine's load drifts: a ratio of neighbours cancels most of it);
- the time of each run is time.perf_counter() around subprocess.run of the installed `tier`
  script, which is what a pre-commit hook runs.

Also printed: the same ratios with ``TIER_PLAIN_START=1`` (the garbage collector on and every
command built, as before the fast start), and the medians in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL = 1.5
IN_SYNC = {"users": 10, "active_users": 10, "concurrent_users": 1, "db_size_mb": 5}
OUT_OF_SYNC = {"users": 2400, "active_users": 812, "concurrent_users": 31, "db_size_mb": 120}


def install(venv: Path, say: Callable[[str], None]) -> Path:
    """A virtualenv at ``venv`` with tier installed from this tree (not editable); its python."""
    python = venv / "bin" / "python"
    if not python.exists():
        say(f"  creating {venv} and installing tier (not editable) ...")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(ROOT)],
        check=True,
        capture_output=True,
    )
    subprocess.run(  # typer, ruamel.yaml: from the same index as the development install
        [str(python), "-m", "pip", "install", "-q", str(ROOT)], check=True, capture_output=True
    )
    return python


def project(folder: Path) -> Path:
    """A project folder: the example render.yaml (free tier), tiers.toml and two snapshots."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "examples" / "render.yaml", folder / "render.yaml")
    shutil.copy(ROOT / "tiers.toml", folder / "tiers.toml")
    for name, metrics in (("in-sync.json", IN_SYNC), ("out-of-sync.json", OUT_OF_SYNC)):
        snapshot = {"collected_at": "2026-11-24T09:00:00+00:00", "metrics": metrics}
        (folder / name).write_text(json.dumps(snapshot), "utf-8")
    return folder


def environment(cache: Path, plain: bool) -> dict[str, str]:
    drop = ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "DATABASE_URL", "TIER_PLAIN_START")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PG")}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    if plain:
        env["TIER_PLAIN_START"] = "1"
    return env


def timed(argv: list[str], cwd: Path, env: dict[str, str], code: int) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    seconds = time.perf_counter() - started
    assert done.returncode == code, (argv, done.returncode, done.stderr[-300:])
    return seconds


def paired(
    python: Path, folder: Path, cache: Path, runs: int
) -> dict[str, tuple[float, float, float]]:
    """For each case: (median ratio tier / typer, median tier ms, median typer ms)."""
    tier = str(python.parent / "tier")
    typer_argv = [str(python), "-c", "import typer"]
    cases = {
        "tier check --metrics FILE, in sync": ([tier, "check", "--metrics", "in-sync.json"], 0),
        "tier check --metrics FILE, out of sync": (
            [tier, "check", "--metrics", "out-of-sync.json"],
            1,
        ),
    }
    results = {}
    for plain in (False, True):
        env = environment(cache, plain)
        for name, (argv, code) in cases.items():
            for _ in range(2):  # warm-up: writes the bytecode cache, fills the OS cache
                timed(typer_argv, folder, env, 0)
                timed(argv, folder, env, code)
            ratios, tiers, typers = [], [], []
            for _ in range(runs):
                base = timed(typer_argv, folder, env, 0)
                took = timed(argv, folder, env, code)
                ratios.append(took / base)
                tiers.append(took)
                typers.append(base)
            label = name + (" (TIER_PLAIN_START=1)" if plain else "")
            results[label] = (
                statistics.median(ratios),
                statistics.median(tiers) * 1000,
                statistics.median(typers) * 1000,
            )
    return results


def report(results: dict[str, tuple[float, float, float]], runs: int) -> bool:
    print(f"  {runs} pairs each; median of the ratios (goal <= {GOAL}x for the fast start)")
    passed = True
    for name, (ratio, tier_ms, typer_ms) in results.items():
        plain = "PLAIN" in name
        verdict = "" if plain else ("PASS" if ratio <= GOAL else "FAIL")
        passed = passed and (plain or ratio <= GOAL)
        print(
            f"  {name:<58} {ratio:>5.2f}x  ({tier_ms:5.1f} ms / typer {typer_ms:5.1f} ms) {verdict}"
        )
    return passed


def measure(venv: Path | None, runs: int, say: Callable[[str], None]) -> bool:
    with tempfile.TemporaryDirectory(prefix="tier-start-") as scratch:
        work = Path(scratch)
        python = install(venv or work / "venv", say)
        version = subprocess.run(
            [
                str(python),
                "-c",
                "import sys, typer; print(sys.version.split()[0], typer.__version__)",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        say(f"  Python {version[0]}, typer {version[1]}, tier installed in {python.parent.parent}")
        return report(paired(python, project(work / "project"), work / "pycache", runs), runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, help="reuse (or create) this virtualenv")
    parser.add_argument("--runs", type=int, default=30, help="pairs of runs for each case")
    args = parser.parse_args()
    print("## Start-up: tier check --metrics FILE against python -c 'import typer'")
    ok = measure(args.venv, args.runs, print)
    print(f"  goal 1: {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
