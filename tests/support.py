"""Helpers shared by the tests (importable as ``support``; fixtures live in conftest.py)."""

from __future__ import annotations

import io
from functools import lru_cache

from generator import parse, paths, registry, sources
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
    """Parse a vendored document as the build does (its parser, then its specs):
    ``(result, resolutions, log)``."""
    return _parse(_documents()[doc_id])


def parse_text(
    family: str | None,
    text: str,
    doc_id: str = "fixture",
    meta: dict | None = None,
    specs: list[str] | None = None,
):
    """Parse a crafted fragment as if it were a vendored document of ``family`` (a parser
    family, or None) with the table ``specs`` (default: those of the family's vendored
    document): ``(result, resolutions, log)``."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    real = next((d for d in _documents().values() if family and d.parser == family), None)
    if specs is None:  # as the family's real document: the same specs and kind
        specs = real.meta.get("specs") or [] if real else []
    doc = sources.Document(
        id=doc_id,
        path=paths.SOURCES / f"{doc_id}.txt",
        meta={
            "id": doc_id,
            "parser": family,
            "specs": specs,
            "kind": real.meta.get("kind") if real else None,
            **(meta or {}),
        },
        text=text,
        sha256="",
        lines=lines,
    )
    return _parse(doc)


def _parse(doc):
    log = Log(stream=io.StringIO(), quiet=True)
    out = parse.parse_document(doc, _registry(), log)
    result, resolutions = out if out else (None, [])
    return result, resolutions, log


def covered(table) -> set[int]:
    """Lines inside the ranges of a table's published rows."""
    return {n for r in table.rows for n in range(r["line_start"], r["line_end"] + 1)}
