"""The extraction toolkit: what every parser and every table spec is built from.

=================  ======================================================================
``cells``          typed cells: Italian numbers, amounts in euro, percentages, dates,
                   ISTAT codes, siglas, fiscal codes, numbers in words (reader + regex)
``text``           wrapped lines re-joined, page headers, figures declared in prose
``rows``           rows over several lines, names printed above their values, comma lists,
                   a list in one cell split outside its parentheses
``blocks``         blocks under headings, province headings, evidence for a missing one
``columns``        two-column pages printed side by side, back in reading order; indexes
``numbering``      order numbers 1..N: lost leading digits, restarts, gaps and repeats
``footnotes``      notes at the foot of a page and the markers that refer to them
``comuni``         a list's comuni resolved, dropping the matches the list contradicts;
                   the " e " between two comuni told from the one inside a name
``asof``           the registry at a document's date (mergers, new comuni since)
``persons``        natural persons vs legal entities, pseudonyms
``recorder``       one recorder: named checks, privacy-safe rejects, facts, line
                   accounting (enforced by the build)
``fields``         the naming convention of published columns, common fields, provenance
``result``         Table, Dataset, Act, ParseResult, ParseContext
=================  ======================================================================

Table specs (``generator/specs``) drive these pieces from a YAML file; Python parsers
(``generator/parsers``) use them directly for the layouts no spec can describe.
"""

from .fields import (
    COMUNE_FK,
    NO_RESOLUTION,
    PROVENANCE_FIELDS,
    RESOLUTION_FIELDS,
    euro,
    field,
    provenance,
    resolution_fields,
)
from .recorder import Recorder, accounting_errors, total
from .result import Act, Dataset, ParseContext, ParseResult, Table, act_at

__all__ = [
    "COMUNE_FK",
    "NO_RESOLUTION",
    "PROVENANCE_FIELDS",
    "RESOLUTION_FIELDS",
    "euro",
    "field",
    "provenance",
    "resolution_fields",
    "Recorder",
    "accounting_errors",
    "total",
    "Act",
    "Dataset",
    "ParseContext",
    "ParseResult",
    "Table",
    "act_at",
]
