"""``check``: re-validate a built site: packages (frictionless), internal links, quality."""

from __future__ import annotations

import json
import os
import posixpath
import re
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urldefrag

from . import paths
from .packages import validate_package


_ATTR = re.compile(r'\s(id|href|src)="([^"]*)"')


def _scan(html: str) -> tuple[list[str], set[str]]:
    """Internal links and element ids of a page (our own HTML: attributes always double-quoted)."""
    links, ids = [], set()
    for attr, value in _ATTR.findall(html):
        value = unescape(value)
        if attr == "id":
            ids.add(value)
        elif value and not re.match(r"^[a-z][a-z0-9+.-]*:", value) and not value.startswith("//"):
            links.append(value)
    return links, ids


def _target(page_rel: str, url: str, files: set[str]) -> str | None:
    """Site-relative file a link points to (``a/b/index.html``), or None if missing."""
    path = unquote(urldefrag(url)[0].split("?", 1)[0])  # a query string is for scripts
    if path == "":
        return page_rel
    if path.startswith("/"):
        t = path.lstrip("/")
    else:
        t = posixpath.join(posixpath.dirname(page_rel), path)
    t = posixpath.normpath(t) if t else ""
    if t in (".", ""):
        t = ""
    for cand in (t, posixpath.join(t, "index.html") if t else "index.html"):
        if cand in files:
            return cand
    return None


def broken_links(site: Path) -> list[str]:
    """Every internal link and anchor of every HTML page that does not resolve."""
    site = Path(site)
    files: set[str] = set()
    for dirpath, _, names in os.walk(site):
        rel = os.path.relpath(dirpath, site)
        for n in names:
            files.add(n if rel == "." else f"{rel}/{n}")
    ids_cache: dict[str, set[str]] = {}

    def ids_of(rel: str) -> set[str]:
        if rel not in ids_cache:
            ids_cache[rel] = _scan((site / rel).read_text(encoding="utf-8"))[1]
        return ids_cache[rel]

    broken = []
    for rel in sorted(f for f in files if f.endswith(".html") and not f.startswith("pagefind/")):
        links, ids_cache[rel] = _scan((site / rel).read_text(encoding="utf-8"))
        for url in links:
            t = _target(rel, url, files)
            if t is None:
                broken.append(f"{rel}: {url}")
                continue
            frag = urldefrag(url)[1]
            if frag and t.endswith(".html") and unquote(frag) not in ids_of(t):
                broken.append(f"{rel}: {url} (anchor)")
    return broken


def main_check(site: str | None = None) -> int:
    site_dir = Path(site or paths.SITE)
    bad = 0
    for dp in sorted((site_dir / "data").glob("*/datapackage.json")):
        rep = validate_package(dp)
        print(f"{dp.parent.name}: {'valid' if rep['valid'] else 'INVALID'}")
        bad += not rep["valid"]
    from . import output, search

    m = output.load_manifest(paths.CACHE, site_dir, verify=True)
    if m.files or m.dropped:
        for rel in m.dropped[:20]:
            print(f"changed since the build: {rel}")
        print(
            f"{len(m.dropped)} files differ from the build manifest, "
            f"{len(m.extra)} files the build did not write"
        )
        bad += bool(m.dropped or m.extra)
    if (site_dir / search.OUT).exists():
        try:
            print(f"search index: complete ({search.check_written(site_dir)})")
        except search.SearchIndexError as e:
            print(f"search index: BROKEN ({e})")
            bad += 1
    links = broken_links(site_dir)
    for b in links[:100]:
        print("broken link:", b)
    print(f"{len(links)} broken internal links")
    q = json.loads((site_dir / "dati/qualita/quality.json").read_text(encoding="utf-8"))
    print("quality:", json.dumps(q["summary"]))
    return 1 if bad or links else 0
