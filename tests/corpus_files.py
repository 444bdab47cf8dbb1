"""The shared corpus of real render.yaml files (../shared/corpus/render, or TIER_CORPUS_DIR)."""

from __future__ import annotations

import os
from pathlib import Path

CORPUS = Path(
    os.environ.get("TIER_CORPUS_DIR")
    or Path(__file__).resolve().parents[2] / "shared" / "corpus" / "render"
)
FILES = sorted(CORPUS.glob("*.y*ml")) if CORPUS.is_dir() else []
