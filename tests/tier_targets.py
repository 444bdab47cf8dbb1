"""The four tiers of the user's guide, as the editor tests use them."""

from __future__ import annotations

from tier_cli.config.catalogue import load_catalogue
from tier_cli.models import KeyValueTarget, TierTarget

CAT = load_catalogue()  # what the editor is given to compare plan names

FREE_START = "uvicorn {app} --host 0.0.0.0 --port $PORT"
STARTER_START = (
    "gunicorn {app} --workers 2 --worker-class uvicorn.workers.UvicornWorker "
    "--bind 0.0.0.0:$PORT --timeout 120"
)
PRO_START = (
    "gunicorn {app} --workers 8 --worker-class uvicorn.workers.UvicornWorker "
    "--bind 0.0.0.0:$PORT --timeout 120 --max-requests 1000 --max-requests-jitter 50"
)

TIERS: dict[str, TierTarget] = {
    "free": TierTarget("free", "free", "free", FREE_START),
    "starter": TierTarget("starter", "starter", "starter", STARTER_START),
    "pro": TierTarget("pro", "pro", "pro", PRO_START),
    "pro+redis": TierTarget(
        "pro+redis", "pro", "pro", PRO_START, KeyValueTarget(name="cache", plan="starter")
    ),
}


def start(tier: str, app: str = "main:app") -> str:
    """The startCommand a tier writes for `app`."""
    return TIERS[tier].start_template.replace("{app}", app)
