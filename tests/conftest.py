"""Shared fixtures: the registry and real documents parsed once per session."""
from __future__ import annotations

import io
from functools import lru_cache

import pytest

from generator import paths, registry, sources
from generator.parsers import get
from generator.parsers.base import ParseContext
from generator.quality import Log


@lru_cache(maxsize=1)
def _registry():
    return registry.load()


@pytest.fixture(scope="session")
def reg():
    return _registry()


@lru_cache(maxsize=None)
def _documents():
    log = Log(stream=io.StringIO(), quiet=True)
    return {d.id: d for d in sources.discover(log)}


@lru_cache(maxsize=None)
def parse_real(doc_id: str):
    """Parse a vendored document with its manifest parser: (result, ctx, log)."""
    doc = _documents()[doc_id]
    log = Log(stream=io.StringIO(), quiet=True)
    ctx = ParseContext(_registry(), log, doc.id, f"data/sources/{doc.path.name}")
    return get(doc.parser).parse(doc, ctx), ctx, log


def parse_text(family: str, text: str, doc_id: str = "fixture", meta: dict | None = None):
    """Parse a crafted fragment as if it were a vendored document of ``family``."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    doc = sources.Document(id=doc_id, path=paths.SOURCES / f"{doc_id}.txt",
                           meta={"id": doc_id, "parser": family, **(meta or {})},
                           text=text, sha256="", lines=lines)
    log = Log(stream=io.StringIO(), quiet=True)
    ctx = ParseContext(_registry(), log, doc_id, f"data/sources/{doc_id}.txt")
    return get(family).parse(doc, ctx), ctx, log


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The real site, built once per test run (shared by xdist workers through a lock).

    Returns ``(site_dir, report_summary)``; the build is strict-free so the tests can
    inspect what it reports.
    """
    import fcntl
    import json

    from generator.build import build

    root = tmp_path_factory.getbasetemp()
    if root.name.startswith("popen-gw"):
        root = root.parent
    site = root / "shared-site"
    done = root / "shared-site.json"
    with open(root / "shared-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            log = Log(stream=io.StringIO(), quiet=True)
            rep = build(site, strict=False, log=log, search=True)
            done.write_text(json.dumps({"pages": rep.pages, "files": rep.files,
                                        "blocking": rep.blocking,
                                        "problems": [str(p) for p in log.problems]}))
        fcntl.flock(lock, fcntl.LOCK_UN)
    return site, json.loads(done.read_text())
