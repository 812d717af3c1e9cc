"""BURL (Bollettino Ufficiale della Regione Lombardia): acts, and the tables no spec can read.

The bulletin's regular tables are table specs (``data/specs/``: Fondo 0-6 Allegato A,
protezione civile annexes, associazioni piscatorie, UTR Brescia annexes). This family reads
the rest, in two steps around them:

* ``parse`` -- every act's metadata (:mod:`.acts`), which the specs use for provenance
  (``act_id``) and to bound their tables;
* ``complete`` -- after the specs: the protezione civile commitments
  (:mod:`.protezione_civile`), the transfers to hunting districts and the Val Padana lists
  (:mod:`.fauna`, :mod:`.val_padana`), cross-checked against the specs' tables; the small
  prospetti they read are in :mod:`.prospetti`.
"""
from __future__ import annotations

from ...extract import ParseResult, Recorder
from ..base import Parser
from . import acts, fauna, protezione_civile


class BurlParser(Parser):
    family = "burl"
    version = "2"

    def parse(self, doc, ctx) -> ParseResult:
        result = ParseResult()
        result.acts = acts.parse_acts(doc, ctx)
        result.checks += acts.act_checks(doc, result.acts)
        return result

    def complete(self, doc, ctx, result: ParseResult) -> None:
        rec = Recorder(doc)
        protezione_civile.complete(doc, result, rec)
        fauna.complete(doc, ctx, result, rec)
        rec.finish(result)
