"""``check``: re-validate a built site: packages (frictionless), internal links, quality."""
from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag

from . import paths
from .packages import validate_package


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a and a["id"]:
            self.ids.add(a["id"])
        for k in ("href", "src"):
            v = a.get(k)
            if v and not re.match(r"^[a-z][a-z0-9+.-]*:", v) and not v.startswith("//"):
                self.links.append(v)


def _target(site: Path, page: Path, url: str) -> Path | None:
    path, _ = urldefrag(url)
    path = unquote(path)
    if path == "":
        return page
    base = site if path.startswith("/") else page.parent
    t = (base / path.lstrip("/")).resolve()
    if t.is_dir() or path.endswith("/"):
        t = t / "index.html"
    return t


def broken_links(site: Path) -> list[str]:
    """Every internal link and anchor of every HTML page that does not resolve."""
    site = site.resolve()
    ids_cache: dict[Path, set[str]] = {}

    def ids_of(p: Path) -> set[str]:
        if p not in ids_cache:
            parser = _Links()
            parser.feed(p.read_text(encoding="utf-8"))
            ids_cache[p] = parser.ids
        return ids_cache[p]

    broken = []
    for page in sorted(site.rglob("*.html")):
        if "pagefind" in page.parts:
            continue
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        ids_cache[page] = parser.ids
        for url in parser.links:
            t = _target(site, page, url)
            if t is None or not t.exists():
                broken.append(f"{page.relative_to(site)}: {url}")
                continue
            frag = urldefrag(url)[1]
            if frag and t.suffix == ".html" and frag not in ids_of(t):
                broken.append(f"{page.relative_to(site)}: {url} (anchor)")
    return broken


def main_check(site: str | None = None) -> int:
    site_dir = Path(site or paths.SITE)
    bad = 0
    for dp in sorted((site_dir / "data").glob("*/datapackage.json")):
        rep = validate_package(dp)
        print(f"{dp.parent.name}: {'valid' if rep['valid'] else 'INVALID'}")
        bad += not rep["valid"]
    links = broken_links(site_dir)
    for b in links[:100]:
        print("broken link:", b)
    print(f"{len(links)} broken internal links")
    q = json.loads((site_dir / "dati/qualita/quality.json").read_text(encoding="utf-8"))
    print("quality:", json.dumps(q["summary"]))
    return 1 if bad or links else 0
