"""Time apply_tier on a generated render.yaml with 500 services, on both YAML parsers.

Run: python benchmarks/bench_apply.py [--services N] [--repeat R]
Prints, for services with and without env vars, the file size, then for each parser (the C
parser of ruamel.yaml.clib, which tier uses when it is installed, and ruamel.yaml's pure-Python
one) the min and median seconds per apply_tier for a tier that changes the web service's plan
and startCommand and the database plan and adds a Key Value service, and the fastest single
parse of the same text (apply_tier parses twice: once to find, once to check).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tier_cli.blueprint import nodes as yamlnodes
from tier_cli.blueprint.editor import apply_tier
from tier_cli.config.catalogue import load_catalogue
from tier_cli.models import KeyValueTarget, Selection, TierTarget

CATALOGUE = load_catalogue()

PRO_REDIS = TierTarget(
    tier="pro+redis",
    web_plan="pro",
    database_plan="pro",
    start_template=(
        "gunicorn {app} --workers 8 --worker-class uvicorn.workers.UvicornWorker "
        "--bind 0.0.0.0:$PORT --timeout 120 --max-requests 1000 --max-requests-jitter 50"
    ),
    keyvalue=KeyValueTarget(name="cache", plan="starter"),
)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
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
