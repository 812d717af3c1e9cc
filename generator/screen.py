"""Text a document gives the site, screened before anything is published.

Invisible and bidirectional control characters (a U+202E in a title reverses how it
reads, a zero-width space makes two names look equal) are removed from act titles and
from every text cell, and reported with their line; a text cell that a spreadsheet
would run as a formula is reported (every CSV writes it with a leading apostrophe, see
``packages.safe_text``).
"""

from __future__ import annotations

from .extract import ParseResult
from .quality import Log
from .sources import INVISIBLE

FORMULA_START = ("=", "+", "@")


def screen_text(res: ParseResult, log: Log, file: str) -> None:
    """Remove invisible and bidirectional control characters from what a document gives
    the site (act titles and offices, every text cell), and report them; report text
    cells that read as a spreadsheet formula (no official name starts with ``=``, ``+``
    or ``@``; the CSV files publish them with a leading apostrophe)."""

    def clean(v, line):
        if isinstance(v, str) and v.translate(INVISIBLE) != v:
            found.append(line)
            return v.translate(INVISIBLE)
        return v

    found: list[int | None] = []
    formulas: list[tuple[int | None, str]] = []
    for a in res.acts:
        for attr in ("title", "office", "number"):
            if isinstance(getattr(a, attr, None), str):
                setattr(a, attr, clean(getattr(a, attr), a.line_start))
    for ds in res.datasets:
        for t in ds.tables:
            for r in t.rows:
                for k, v in r.items():
                    if isinstance(v, str):
                        v = r[k] = clean(v, r.get("line_start"))
                        if v.startswith(FORMULA_START) and k not in ("source_id", "act_id"):
                            formulas.append((r.get("line_start"), v))
    if found:
        log.warning(
            "invisible-chars",
            f"{len(found)} texts held invisible or bidirectional control characters (removed)",
            file,
            found[0],
        )
    for line, v in formulas:
        log.warning(
            "formula-like",
            f"text cell {v[:40]!r} reads as a spreadsheet formula "
            "(published with a leading apostrophe in the CSV files)",
            file,
            line,
        )
