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


def load_yaml(text: str):
    """What ``yaml.safe_load`` reads from ``text``, parsed by libyaml where PyYAML was
    built with it (the same safe constructors; ten times faster: the changelog, the known
    defects and the pages' front matter are read in every build)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
