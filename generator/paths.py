"""Where things live. Everything is relative to the project root (or $COMUNI_APERTI_ROOT)."""

import os
from pathlib import Path

ROOT = Path(os.environ.get("COMUNI_APERTI_ROOT", Path(__file__).resolve().parent.parent))
DATA = ROOT / "data"
SOURCES = DATA / "sources"
MANIFEST = SOURCES / "sources.yaml"
KNOWN_DEFECTS = DATA / "known-defects"
SPECS = DATA / "specs"
TEMPLATES = ROOT / "templates"
CONTENT = ROOT / "content"
STATIC = ROOT / "static"
SITE = ROOT / "site"
CACHE = ROOT / ".cache"
