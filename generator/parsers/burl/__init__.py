"""BURL (Bollettino Ufficiale della Regione Lombardia): acts and the tables they carry.

One parser for the family; the bulletin's parts live in sibling modules:

* ``acts``               every act's metadata (type, date, number, title, office, lines)
* ``protezione_civile``  contributi protezione civile (enti locali, associazioni)
* ``other_tables``       every other table of beneficiaries and amounts

Each part is a function ``parse(doc, ctx, acts) -> ParseResult``; this module merges them.
"""
from __future__ import annotations

from ..base import Act, ParseResult, Parser


def act_for_line(acts: list[Act], line: int) -> Act | None:
    """The act whose line range contains ``line`` (None outside any act)."""
    for a in acts:
        if a.line_start <= line <= a.line_end:
            return a
    return None


class BurlParser(Parser):
    family = "burl"
    version = "1"

    def parse(self, doc, ctx) -> ParseResult:
        from . import acts as acts_mod
        from . import other_tables, protezione_civile

        result = ParseResult()
        result.acts = acts_mod.parse_acts(doc, ctx)
        result.checks += acts_mod.act_checks(doc, result.acts)
        for part in (protezione_civile, other_tables):
            r = part.parse(doc, ctx, result.acts)
            result.datasets += r.datasets
            result.checks += r.checks
            result.rejects += r.rejects
            result.facts += r.facts
            result.private += r.private
        return result
