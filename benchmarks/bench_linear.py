"""Linear on the largest files: tier on the biggest file each limit allows, made of what made
an expression slow (one long alphanumeric run where a URL is looked for), and the masking of
URLs alone against the expression it replaced (issue 17).

    python benchmarks/bench_linear.py

Prints CPU seconds (the machine is shared: CPU time is the figure that travels). The old
expression is timed on small inputs only: it is quadratic (hours at 4 MB).
"""

from __future__ import annotations

import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
OLD_URL = r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://|\bpostgres(?:ql)?:/)(?P<cred>[^\n]*)@"


def cpu_of(args: list[str], cwd: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "tier_cli", *args], cwd=cwd, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def project() -> Path:
    repo = Path(tempfile.mkdtemp(prefix="tier-linear-"))
    (repo / ".git").mkdir()
    shutil.copy(ROOT / "examples" / "render.yaml", repo / "render.yaml")
    shutil.copy(ROOT / "tiers.toml", repo / "tiers.toml")
    snap = {"collected_at": datetime.now(UTC).isoformat(), "metrics": {"active_users": 10}}
    (repo / "m.json").write_text(json.dumps(snap))
    return repo


def main() -> None:
    from tier_cli.errors import mask
    from tier_cli.textio import RENDER_LIMIT

    repo = project()
    args = ["check", "--metrics", "m.json"]
    print(f"tier check, example files (start-up and all):   {cpu_of(args, repo):6.2f} s CPU")
    run_of = "A" * (RENDER_LIMIT - 200)
    (repo / "render.yaml").write_text(
        f"services:\n  - type: web\n    name: {run_of}\n    runtime: python\n"
    )
    print(f"render.yaml 1 MB, one service name of 1 MB:     {cpu_of(args, repo):6.2f} s CPU")
    (repo / "render.yaml").write_text("x: " + "| #" * (RENDER_LIMIT // 3 - 10) + "\n")
    print(f"render.yaml 1 MB, one line of '| #':             {cpu_of(args, repo):6.2f} s CPU")
    shutil.copy(ROOT / "examples" / "render.yaml", repo / "render.yaml")
    data = json.loads((repo / "m.json").read_text())
    data["source"] = "postgresql://" + "A" * (MB - 300)
    (repo / "m.json").write_text(json.dumps(data))
    print(f"snapshot 1 MB, a source of 1 MB:                {cpu_of(args, repo):6.2f} s CPU")
    shutil.rmtree(repo)
    for text, what in (
        ("A" * 4 * MB, "4 MB alphanumeric run"),
        ("x://" * MB, "4 MB of 'x://'"),
        ("x://@\n" * (4 * MB // 6), "4 MB of 'x://@' lines"),
    ):
        started = time.process_time()
        mask(text)
        print(f"mask(), {what}: {time.process_time() - started:6.2f} s CPU")
    for n in (5_000, 10_000, 20_000):
        started = time.process_time()
        re.sub(OLD_URL, "", "A" * n)
        print(
            f"the old expression, {n:,}-character run: {time.process_time() - started:6.2f} s CPU"
        )


if __name__ == "__main__":
    main()
