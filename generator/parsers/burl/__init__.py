"""BURL (Bollettino Ufficiale della Regione Lombardia): the tables no spec can read.

The parse stage splits the bulletin into its acts (``generator/extract/acts.py``, for every
document of kind ``bollettino``) and its regular tables are table specs (``data/specs/``:
Fondo 0-6 Allegato A, protezione civile annexes, associazioni piscatorie, UTR Brescia
annexes). This family reads the rest, in its ``complete`` step, after the specs: the
protezione civile commitments (:mod:`.protezione_civile`), the transfers to hunting
districts and the Val Padana lists (:mod:`.fauna`, :mod:`.val_padana`), cross-checked
against the specs' tables; the small prospetti they read are in :mod:`.prospetti`.
"""

from __future__ import annotations

from ...extract import ParseResult, Recorder
from ..base import Parser
from . import fauna, protezione_civile


class BurlParser(Parser):
    family = "burl"
    version = "3"

    def parse(self, doc, ctx) -> ParseResult:
        return ParseResult()  # acts: the parse stage; tables: specs and complete()

    def complete(self, doc, ctx, result: ParseResult) -> None:
        rec = Recorder(doc)
        protezione_civile.complete(doc, result, rec)
        fauna.complete(doc, ctx, result, rec)
        rec.finish(result)
