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
- the time of each run is time.perf_counter() around the run of the installed `tier` script
  (what a pre-commit hook runs), and its CPU time (user + system, from wait4, as /usr/bin/time
  gives it). PASS/FAIL is on the wall time; the CPU ratio is printed beside it because on a busy
  machine the wall time also counts the time a process waits for a core.

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
    """A project folder: the example render.yaml (free tier) and requirements.txt, tiers.toml and
    two snapshots."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "examples" / "render.yaml", folder / "render.yaml")
    shutil.copy(ROOT / "examples" / "requirements.txt", folder / "requirements.txt")
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


def timed(argv: list[str], cwd: Path, env: dict[str, str], code: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one run, as /usr/bin/time reports them."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == code, (argv, proc.returncode)
    return seconds, usage.ru_utime + usage.ru_stime


Figures = dict[str, float]


def paired(python: Path, folder: Path, cache: Path, runs: int) -> dict[str, Figures]:
    """For each case: the median ratios tier / typer (wall and CPU) and the median times."""
    tier = str(python.parent / "tier")
    typer_argv = [str(python), "-c", "import typer"]
    cases = {
        "in sync": ([tier, "check", "--metrics", "in-sync.json"], 0),
        "out of sync": ([tier, "check", "--metrics", "out-of-sync.json"], 1),
    }
    results = {}
    for plain in (False, True):
        env = environment(cache, plain)
        for name, (argv, code) in cases.items():
            for _ in range(2):  # warm-up: writes the bytecode cache, fills the OS cache
                timed(typer_argv, folder, env, 0)
                timed(argv, folder, env, code)
            pairs = []
            for _ in range(runs):
                base = timed(typer_argv, folder, env, 0)
                took = timed(argv, folder, env, code)
                pairs.append((took[0] / base[0], took[1] / base[1], took[0], base[0]))
            label = name + (", TIER_PLAIN_START=1" if plain else "")
            results[label] = {
                key: statistics.median(p[k] for p in pairs)
                for k, key in enumerate(("wall", "cpu", "tier_ms", "typer_ms"))
            }
    return results


def report(results: dict[str, Figures], runs: int) -> bool:
    """PASS/FAIL on the wall-time ratio (the goal's measure); the CPU ratio beside it."""
    print(
        f"  {runs} pairs each, median of the ratios tier / typer: wall time (goal <= {GOAL}x), "
        "and CPU time (user + system: less sensitive to waiting for a core)"
    )
    passed = True
    for name, f in results.items():
        plain = "PLAIN" in name
        ok = f["wall"] <= GOAL
        passed = passed and (plain or ok)
        print(
            f"  tier check --metrics FILE, {name:<30} wall {f['wall']:.2f}x  CPU {f['cpu']:.2f}x"
            f"  ({f['tier_ms'] * 1000:.0f} ms / typer {f['typer_ms'] * 1000:.0f} ms) "
            + ("" if plain else ("PASS" if ok else "FAIL"))
        )
    return passed


CHECK_PATH = (
    "tier_cli.cli, tier_cli.app, tier_cli.blueprint.editor, tier_cli.blueprint.view, "
    "tier_cli.output.check, tier_cli.decide.recommendation, tier_cli.decide.placement, "
    "tier_cli.metrics.sources, tier_cli.metrics.snapshot, tier_cli.config.tiers, "
    "tier_cli.config.catalogue, shlex"
)


def breakdown(python: Path, folder: Path, cache: Path, runs: int) -> None:
    """Where `tier check` spends its CPU beyond `import typer`: each step adds to the one
    before (the collector off and no interpreter teardown at exit, as tier runs: launch.py);
    the median CPU time of ``runs`` rounds, relative to `python -c "import typer"`. The last
    line is the teardown tier skips: the same imports ended the usual way."""
    env = environment(cache, False)
    head = "import gc; gc.disable(); import os, typer, json, tomllib"
    end = "; os._exit(0)"
    steps = {
        "python -c 'import typer' (the collector on)": [str(python), "-c", "import typer"],
        "+ collector off, json, tomllib": [str(python), "-c", head + end],
        "+ ruamel.yaml": [str(python), "-c", f"{head}, ruamel.yaml{end}"],
        "+ tier's modules on the check path": [
            str(python),
            "-c",
            f"{head}, ruamel.yaml, {CHECK_PATH}{end}",
        ],
        "tier check --metrics FILE (out of sync)": [
            str(python.parent / "tier"),
            "check",
            "--metrics",
            "out-of-sync.json",
        ],
        "(the same imports with the interpreter's teardown)": [
            str(python),
            "-c",
            f"{head}, ruamel.yaml, {CHECK_PATH}",
        ],
    }
    codes = dict.fromkeys(steps, 0) | {"tier check --metrics FILE (out of sync)": 1}
    cpu: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(runs):
        for name, argv in steps.items():
            cpu[name].append(timed(argv, folder, env, codes[name])[1])
    base = statistics.median(cpu["python -c 'import typer' (the collector on)"])
    print(f"  CPU time by step, median of {runs} rounds, relative to import typer:")
    for name, times in cpu.items():
        print(f"    {name:<48} {statistics.median(times) / base:5.2f}x")


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
        folder, cache = project(work / "project"), work / "pycache"
        passed = report(paired(python, folder, cache, runs), runs)
        breakdown(python, folder, cache, max(5, runs // 2))
        return passed


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
