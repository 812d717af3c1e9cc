"""Helpers shared by the tests (importable as ``support``; fixtures live in conftest.py)."""
from __future__ import annotations

import io
from functools import lru_cache

from generator import paths, registry, sources
from generator.parsers import get
from generator.extract.result import ParseContext
from generator.quality import Log


@lru_cache(maxsize=1)
def _registry():
    return registry.load()


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


def covered(table) -> set[int]:
    """Lines inside the ranges of a table's published rows."""
    return {n for r in table.rows for n in range(r["line_start"], r["line_end"] + 1)}
