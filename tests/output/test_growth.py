"""The picture of growth: sparklines, Mermaid xychart-beta blocks against the thresholds, and
the trend in check's report; from the command line as well as from the functions."""

from __future__ import annotations

import io
import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tier_cli.cli import app
from tier_cli.config.catalogue import load_catalogue
from tier_cli.config.tiers import load_config
from tier_cli.decide.recommendation import Recommendation
from tier_cli.decide.trend import trend
from tier_cli.metrics.measured import Metrics
from tier_cli.metrics.snapshot import append_history
from tier_cli.output.growth import growth_markdown, sparkline, sparklines

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(ROOT / "tiers.toml", load_catalogue())
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=21)

SPARKS = [
    ([1, 2, 3, 4, 5, 6, 7, 8], "▁▂▃▄▅▆▇█"),
    ([5, 5, 5], "▁▁▁"),
    ([0, None, 10], "▁ █"),
    ([None, None], ""),
    ([], ""),
]


@pytest.mark.parametrize(("values", "expected"), SPARKS, ids=[str(s[0]) for s in SPARKS])
def test_sparkline(values: list[float | None], expected: str) -> None:
    assert sparkline(values) == expected


def weeks(*active: float) -> list[Metrics]:
    return [
        Metrics(
            {"active_users": a, "concurrent_users": a / 25},
            "t",
            START + timedelta(days=7 * i),
        )
        for i, a in enumerate(active)
    ]


def grown(*active: float) -> str:
    history = weeks(*active)
    return growth_markdown(trend(history, history[-1], CONFIG.tiers[2]), CONFIG.tiers)


def test_no_picture_with_less_than_three_snapshots() -> None:
    assert grown(100, 300) == ""


def test_each_threshold_metric_is_drawn_against_reached_and_next_thresholds() -> None:
    text = grown(30, 240, 450, 660)
    blocks = re.findall(r"```mermaid\n(.*?)```", text, re.S)
    assert len(blocks) == 2  # active_users and concurrent_users
    labels = ", ".join(f'"{(START + timedelta(days=7 * i)):%m-%d}"' for i in range(4))
    assert blocks[0] == (
        "xychart-beta\n"
        '    title "active_users"\n'
        f"    x-axis [{labels}]\n"
        '    y-axis "users" 0 --> 5500\n'
        "    line [30, 240, 450, 660]\n"
        "    line [500, 500, 500, 500]\n"
        "    line [5000, 5000, 5000, 5000]\n"
    )
    assert "the flat ones are starter at 500 (reached); pro at 5,000." in text
    assert "10000" not in blocks[0]  # only the next threshold above: the scale stays readable
    for block in blocks:  # the grammar of xychart-beta's lines, each one
        for line in block.splitlines()[1:]:
            assert re.fullmatch(
                r'    (title "[a-z_]+"|x-axis \[("\d\d-\d\d"(, )?)+\]|'
                r'y-axis "[a-z]+" 0 --> \d+|line \[(\d+(\.\d+)?(, )?)+\])',
                line,
            ), line


def test_the_picture_carries_the_trend() -> None:
    text = grown(30, 240, 450, 660)
    assert re.search(r"Growth over 21 days \(4 snapshots\): .*pro in \\~\d+ weeks", text)


def test_recommend_shows_a_sparkline_on_a_terminal_only() -> None:
    from tier_cli.output.report import print_recommendation

    history = weeks(30, 240, 450, 660)
    growth = trend(history, history[-1], CONFIG.tiers[2])
    assert sparklines(growth) == [
        "active_users ▁▃▆█ 30 -> 660 (4 snapshots)",
        "concurrent_users ▁▃▆█ 1.2 -> 26.4 (4 snapshots)",
    ]

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    rec = _recommendation()
    shown, piped = Terminal(), io.StringIO()
    print_recommendation(rec, CONFIG, shown, growth)
    print_recommendation(rec, CONFIG, piped, growth)
    assert "active_users ▁▃▆█ 30 -> 660" in shown.getvalue()
    assert "▁" not in piped.getvalue()


def _recommendation() -> Recommendation:
    from tier_cli.decide.recommendation import recommend

    metrics = Metrics({"active_users": 660.0, "concurrent_users": 26.4}, "t", START)
    return recommend(metrics, CONFIG, load_catalogue(), None)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(ROOT / "examples" / "render.yaml", tmp_path / "render.yaml")
    shutil.copy(ROOT / "tiers.toml", tmp_path / "tiers.toml")
    (tmp_path / "requirements.txt").write_text("fastapi\nuvicorn\ngunicorn\nuvicorn-worker\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("snapshots", [2, 7])
def test_check_carries_the_trend_and_the_picture(project: Path, snapshots: int) -> None:
    for m in weeks(*[30 + 100 * i for i in range(snapshots)]):
        append_history(project / ".tier" / "history.jsonl", m)
    now = datetime.now(UTC).isoformat()
    snap = {"collected_at": now, "metrics": {"active_users": 812, "concurrent_users": 31}}
    (project / "m.json").write_text(json.dumps(snap))
    result = CliRunner().invoke(
        app,
        ["check", "--metrics", "m.json", "--format", "json", "--summary", "s.md"],
        env={"GITHUB_STEP_SUMMARY": ""},
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["trend"]["snapshots"] == snapshots
    summary = (project / "s.md").read_text("utf-8")
    assert ("```mermaid\nxychart-beta" in summary) is (snapshots >= 3)
    assert ("Growth over" in summary) is (snapshots >= 3)
    assert "| active_users | 812 | **500** ✓ | 5,000 | 10,000 |" in summary
