"""The four tiers of the shipped tiers.toml (the guide's, on Render's current plans), as the editor
and corpus tests use them: what `tier apply --tier NAME` writes with the file a user starts from."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from tier_cli.config.catalogue import load_catalogue
from tier_cli.config.settings import TierTarget
from tier_cli.config.tiers import load_config

CAT = load_catalogue()  # what the editor is given to compare plan names

SHIPPED = Path(__file__).resolve().parents[1] / "tiers.toml"
_CONFIG = load_config(SHIPPED, CAT)

TIERS: dict[str, TierTarget] = {name: _CONFIG.target(name) for name in _CONFIG.names}

FREE_START = TIERS["free"].start_template
STARTER_START = TIERS["starter"].start_template
PRO_START = TIERS["pro"].start_template


def start(tier: str, app: str = "main:app") -> str:
    """The startCommand a tier writes for `app`."""
    return TIERS[tier].start_template.replace("{app}", app)


# The scale-out example of tiers.toml: pro+redis on 2 to 6 instances. With it, `scaling` is a
# managed field: every tier of SCALED writes it (scale-out) or removes it (the others).
SCALING = MappingProxyType({"minInstances": 2, "maxInstances": 6, "targetCPUPercent": 70})
_MANAGED = ("scaling",)
SCALED: dict[str, TierTarget] = {
    **{name: target._replace(managed=_MANAGED) for name, target in TIERS.items()},
    "scale-out": TIERS["pro+redis"]._replace(
        tier="scale-out", web=MappingProxyType({"scaling": SCALING}), managed=_MANAGED
    ),
}


SHIPPED_TOML = (Path(__file__).resolve().parents[1] / "tiers.toml").read_text("utf-8")


def with_scale_out(text: str = SHIPPED_TOML) -> str:
    """tiers.toml text with its commented scale-out example turned on (a fifth tier)."""
    lines = text.split("\n")
    start = lines.index("# [[tier]]")
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("# ---"))
    lines[start:end] = [line.removeprefix("#").removeprefix(" ") for line in lines[start:end]]
    return "\n".join(lines)
