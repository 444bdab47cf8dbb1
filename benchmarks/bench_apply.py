"""Time apply_tier on a generated render.yaml with 500 services, on both YAML parsers.

Run: python benchmarks/bench_apply.py [--services N] [--repeat R] [--goal]
Prints, for services with and without env vars, the file size, then for each parser (the C
parser of ruamel.yaml.clib, which tier uses when it is installed, and ruamel.yaml's pure-Python
one) the min and median seconds per apply_tier for a tier that changes the web service's plan
and startCommand and the database plan and adds a Key Value service, and the fastest single
parse of the same text (apply_tier parses twice: once to find, once to check).

With --goal (run.py runs it): the goal of `tier apply` to pro+redis on big files, with the
garbage collector off as the `tier` process runs (launch.py) and, for comparison, on:

- time(5,000 services) / time(500 services) <= 11: apply_tier, paired runs (500, 5,000, 500,
  5,000, ...), the median of the ratios;
- apply_tier at 5,000 services <= 0.2 times a naive ruamel.yaml round trip of the same text
  (``YAML().load`` then ``YAML().dump``, what tier refuses to do: it re-indents and re-wraps),
  paired, the median of the ratios;

each run in a process of its own, as `tier apply` makes its one edit: the child imports, builds
the text, then times the one call (``--child``). Timed again and again in one process, each run
starts from the heap the earlier ones left (with the collector off, each apply leaves its two
parsers' C composers and some 150 other objects behind), and that ratio moved from run to run:
10.0 to 10.9 without collecting between runs, 11.5 with ``gc.collect()`` before each, against
10.2 for single edits in fresh processes the same hour.
- the whole `tier apply --tier pro+redis` process on the 5,000-service file: its time and its
  peak memory (the child's maximum resident set size), fast start and TIER_PLAIN_START=1.
"""

from __future__ import annotations

import argparse
import gc
import io
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
sys.path.insert(0, str(ROOT))

from tier_cli.blueprint import nodes as yamlnodes  # noqa: E402
from tier_cli.blueprint.editor import apply_tier  # noqa: E402
from tier_cli.config.catalogue import load_catalogue  # noqa: E402
from tier_cli.config.settings import Selection  # noqa: E402
from tier_cli.config.tiers import load_config  # noqa: E402

CATALOGUE = load_catalogue()

PRO_REDIS = load_config(ROOT / "tiers.toml", CATALOGUE).target("pro+redis")
"""The shipped tiers.toml's pro+redis, as `tier apply --tier pro+redis` writes it."""


def blueprint(services: int, *, env_vars: bool = True) -> str:
    """A Blueprint with one Python web service among `services`, comments and a database.

    Each service is 7 lines plus a comment and a blank line; `env_vars` adds a 5-line
    DATABASE_URL env var to each, as most real services have.
    """
    parts = ["# generated for the benchmark\n", "services:\n"]
    for i in range(services):
        kind = "web" if i == services // 2 else "worker"
        parts.append(
            f"  # service number {i}\n"
            f"  - type: {kind}\n"
            f"    name: svc-{i}\n"
            f"    runtime: {'python' if kind == 'web' else 'node'}\n"
            f"    plan: free  # the cheapest\n"
            f"    buildCommand: pip install -r requirements.txt\n"
            f"    startCommand: uvicorn app{i}.main:app --host 0.0.0.0 --port $PORT\n"
        )
        if env_vars:
            parts.append(
                "    envVars:\n"
                "      - key: DATABASE_URL\n"
                "        fromDatabase:\n"
                "          name: db\n"
                "          property: connectionString\n"
            )
        parts.append("\n")
    parts.append("databases:\n  - name: db\n    plan: free\n")
    return "".join(parts)


def measure(text: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = apply_tier(text, "render.yaml", PRO_REDIS, Selection(), CATALOGUE)
        times.append(time.perf_counter() - start)
        assert len(result.changes) == 5, result
    return times


def parse_floor(text: str, repeat: int) -> float:
    """The fastest single parse of the text into checked nodes, as apply_tier does twice."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        yamlnodes.compose(text, "render.yaml")
        best = min(best, time.perf_counter() - start)
    return best


LABELS: dict[yamlnodes.Parser, str] = {
    "c": "C parser (ruamel.yaml.clib)",
    "pure": "pure-Python parser",
}


SMALL, BIG = 500, 5_000
RATIO_GOAL, NAIVE_GOAL = 11.0, 0.2


def fresh(what: str, services: int, collector_on: bool) -> float:
    """Seconds of one `what` ("apply" or "round-trip") on `services` services, timed inside a new
    process (the import and the building of the text are not timed)."""
    argv = [sys.executable, __file__, "--child", what, "--services", str(services)]
    env = {k: v for k, v in os.environ.items() if k != "TIER_PLAIN_START"}
    if collector_on:
        argv.append("--collector")
    done = subprocess.run(argv, capture_output=True, text=True, check=True, env=env)
    return float(done.stdout)


def child(what: str, services: int, collector_on: bool) -> None:
    """The child of fresh(): one timed call, its seconds on stdout."""
    gc.enable() if collector_on else gc.disable()
    text = blueprint(services)
    action = _apply(text) if what == "apply" else (lambda: naive_round_trip(text))
    print(_once(action))


def _once(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def naive_round_trip(text: str) -> str:
    from ruamel.yaml import YAML

    yaml = YAML()
    out = io.StringIO()
    yaml.dump(yaml.load(text), out)
    return out.getvalue()


def _apply(text: str) -> Callable[[], object]:
    return lambda: apply_tier(text, "render.yaml", PRO_REDIS, Selection(), CATALOGUE)


def whole_process(text: str, plain: bool) -> tuple[float, float]:
    """`tier apply --tier pro+redis` on ``text``: (seconds, peak resident MiB) of the process."""
    with tempfile.TemporaryDirectory(prefix="tier-apply-") as folder:
        (Path(folder) / "render.yaml").write_text(text, "utf-8")
        shutil.copy(ROOT / "tiers.toml", Path(folder) / "tiers.toml")
        env = {k: v for k, v in os.environ.items() if k != "TIER_PLAIN_START"}
        env["PYTHONPATH"] = str(ROOT)
        if plain:
            env["TIER_PLAIN_START"] = "1"
        argv = [sys.executable, "-m", "tier_cli", "apply", "--tier", "pro+redis"]
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=folder, env=env, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        assert os.waitstatus_to_exitcode(status) == 0, proc.stderr.read() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        proc.returncode = 0
        assert (Path(folder) / "render.yaml").read_text("utf-8") != text
    return seconds, usage.ru_maxrss / 1024  # KiB on Linux


def goal(pairs: int, say: Callable[[str], None]) -> bool:
    """Goal 2 of the benchmarks: print the figures and PASS/FAIL; True when both pass."""
    small, big = blueprint(SMALL), blueprint(BIG)
    say(
        f"  {SMALL} services: {small.count(chr(10)):,} lines; {BIG:,} services: "
        f"{big.count(chr(10)):,} lines, {len(big.encode()):,} bytes; {pairs} pairs each"
    )
    passed = True
    for enabled in (False, True):
        label = "collector on (TIER_PLAIN_START=1)" if enabled else "collector off (as tier runs)"
        fresh("apply", SMALL, enabled), fresh("apply", BIG, enabled)  # warm-up: bytecode, caches
        ratios, smalls, bigs = [], [], []
        for _ in range(pairs):
            smalls.append(fresh("apply", SMALL, enabled))
            bigs.append(fresh("apply", BIG, enabled))
            ratios.append(bigs[-1] / smalls[-1])
        ratio = statistics.median(ratios)
        ok = ratio <= RATIO_GOAL
        say(
            f"  apply_tier, {label}: {SMALL} services {statistics.median(smalls):.3f} s, "
            f"{BIG:,} services {statistics.median(bigs):.3f} s; time ratio {ratio:.1f} "
            f"(goal <= {RATIO_GOAL:g}) {'' if enabled else ('PASS' if ok else 'FAIL')}"
        )
        passed = passed and (ok or enabled)
    ratios, naive = [], []
    for _ in range(max(3, pairs // 2)):
        took = fresh("apply", BIG, False)
        naive.append(fresh("round-trip", BIG, False))
        ratios.append(took / naive[-1])
    ratio = statistics.median(ratios)
    ok = ratio <= NAIVE_GOAL
    say(
        f"  naive ruamel.yaml round trip (load + dump) of {BIG:,} services: "
        f"{statistics.median(naive):.3f} s; apply_tier / round trip {ratio:.3f} "
        f"(goal <= {NAIVE_GOAL:g}) {'PASS' if ok else 'FAIL'}"
    )
    for plain in (False, True):
        runs = [whole_process(big, plain) for _ in range(3)]
        label = "TIER_PLAIN_START=1" if plain else "fast start"
        say(
            f"  whole `tier apply --tier pro+redis` on {BIG:,} services, {label}: "
            f"{statistics.median(r[0] for r in runs):.2f} s, peak memory "
            f"{max(r[1] for r in runs):.0f} MiB"
        )
    return passed and ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--goal", action="store_true", help="the 500 / 5,000 services goal")
    parser.add_argument("--child", choices=("apply", "round-trip"), help=argparse.SUPPRESS)
    parser.add_argument("--collector", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.services, args.collector)
        return
    if args.goal:
        print("## tier apply on big files")
        print(f"  goal 2: {'PASS' if goal(args.repeat, print) else 'FAIL'}")
        return
    parsers: list[yamlnodes.Parser] = ["c", "pure"]
    if not yamlnodes.c_parser_available():
        print("ruamel.yaml.clib is not installed: only the pure-Python parser is timed")
        parsers = ["pure"]
    for label, env_vars in (("with envVars", True), ("compact", False)):
        text = blueprint(args.services, env_vars=env_vars)
        lines = text.count("\n")
        print(f"{args.services} services, {label}: {lines} lines, {len(text.encode())} bytes")
        for name in parsers:
            before = yamlnodes.PARSES[name]
            with yamlnodes.use_parser(name):
                times = measure(text, args.repeat)
                floor = parse_floor(text, 3)
            assert yamlnodes.PARSES[name] > before, f"the {name} parser was not used"
            print(
                f"  {LABELS[name] + ':':29} apply_tier x{args.repeat}: "
                f"min {min(times):.3f} s, median {statistics.median(times):.3f} s; "
                f"one parse {floor:.3f} s"
            )


if __name__ == "__main__":
    main()
