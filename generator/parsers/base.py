"""The one small interface every parser has.

    class MyParser(Parser):
        family = "my_family"        # the `parser:` value in sources.yaml
        version = "1"               # bump when output changes (parse cache key)
        def parse(self, doc, ctx) -> ParseResult: ...

A parser reads one :class:`~generator.sources.Document` and returns a
:class:`ParseResult`: one or more :class:`Dataset` (each becomes one Frictionless
data package), the :class:`~generator.quality.Check` results proving the parse
against what the document declares, and the :class:`~generator.quality.Reject`
list of input lines it could not publish. Nothing is lost: every candidate input
line of a table is either in a published row (``line_start..line_end``) or rejected.

Every row carries provenance in four fields (see :data:`PROVENANCE_FIELDS`):
``source_id``, ``act_id`` (empty where the document has no acts), ``line_start``,
``line_end`` (1-based lines of the vendored text).

Comune names are resolved only through ``ctx.resolve(name, line, province=...)``, which
records every resolution for the data-quality page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..quality import Check, Log, Reject, ResolutionRecord
from ..registry import Registry, Resolution

PROVENANCE_FIELDS = [
    {"name": "source_id", "type": "string", "title": "Documento",
     "description": "Id del documento sorgente (data/sources/sources.yaml)",
     "constraints": {"required": True}},
    {"name": "act_id", "type": "string", "title": "Atto",
     "description": "Id dell'atto nel documento (vuoto se il documento non ha atti)"},
    {"name": "line_start", "type": "integer", "title": "Riga iniziale",
     "description": "Prima riga del testo vendorizzato da cui viene il dato",
     "constraints": {"required": True, "minimum": 1}},
    {"name": "line_end", "type": "integer", "title": "Riga finale",
     "description": "Ultima riga del testo vendorizzato da cui viene il dato",
     "constraints": {"required": True, "minimum": 1}},
]

# Fields a row naming a comune should have (istat may be empty when unresolved).
RESOLUTION_FIELDS = [
    {"name": "istat", "type": "string", "title": "Codice ISTAT",
     "description": "Codice ISTAT del comune (6 cifre), vuoto se non risolto",
     "constraints": {"pattern": "[0-9]{6}"}},
    {"name": "resolution_method", "type": "string", "title": "Metodo di risoluzione",
     "description": "exact, normalised, folded, alias, historical, fuzzy, ambiguous, unresolved"},
    {"name": "resolution_score", "type": "number", "title": "Punteggio",
     "description": "100 per corrispondenze certe; punteggio rapidfuzz per le fuzzy"},
]


@dataclass
class Table:
    """One CSV resource of a data package."""
    name: str                 # resource name: lowercase, digits, '-', '_' (e.g. "gruppi")
    title: str
    description: str
    fields: list[dict]        # Frictionless Table Schema fields (provenance fields appended for you)
    rows: list[dict]
    primary_key: list[str] | None = None
    foreign_keys: list[dict] = field(default_factory=list)  # Table Schema foreignKeys
    lines_in: int | None = None   # candidate input lines considered (accounting)

    def schema(self) -> dict:
        names = {f["name"] for f in self.fields}
        fields = list(self.fields) + [f for f in PROVENANCE_FIELDS if f["name"] not in names]
        s: dict[str, Any] = {"fields": fields, "missingValues": [""]}
        if self.primary_key:
            s["primaryKey"] = self.primary_key
        if self.foreign_keys:
            s["foreignKeys"] = self.foreign_keys
        return s


@dataclass
class Dataset:
    """One data package (``/data/<name>/``), usually backing one programme."""
    name: str                 # package name, e.g. "smart-polizia-locale-2025"
    title: str
    description: str
    tables: list[Table]
    programme: str | None = None   # slug of content/programmi/<slug>.md
    keywords: list[str] = field(default_factory=list)


@dataclass
class Act:
    """An act inside a document (bulletins): D.g.r., D.d.s., D.d.u.o. ..."""
    id: str                   # stable slug within the document, e.g. "dgr-xi-827"
    type: str                 # "D.g.r.", "D.d.s.", ...
    date: str | None          # ISO
    number: str | None
    title: str
    office: str | None
    line_start: int
    line_end: int


@dataclass
class ParseResult:
    datasets: list[Dataset] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    acts: list[Act] = field(default_factory=list)
    facts: list[dict] = field(default_factory=list)   # programme-level facts (label, value, unit, lines)
    # line ranges (start, end) of rows describing a natural person: withheld from the
    # published document text (see generator/privacy.py)
    private: list[tuple[int, int]] = field(default_factory=list)


class ParseContext:
    """What a parser may use besides the document: the registry and the log."""

    def __init__(self, registry: Registry, log: Log, doc_id: str = "", file: str = ""):
        self.registry = registry
        self.log = log
        self.doc_id = doc_id
        self.file = file
        self.resolutions: list[ResolutionRecord] = []

    def resolve(self, name: str, line: int | None, province=None, fuzzy: bool = True) -> Resolution:
        r = self.registry.resolve(name, province=province, fuzzy=fuzzy)
        self.resolutions.append(ResolutionRecord(
            self.doc_id, line, name, r.status, r.istat, r.name, r.method, r.score, r.note,
            list(r.candidates)))
        return r

    def warn(self, code: str, message: str, line: int | None = None):
        self.log.warning(code, message, self.file, line)

    def error(self, code: str, message: str, line: int | None = None):
        self.log.error(code, message, self.file, line)


def resolution_fields(r: Resolution) -> dict:
    """The RESOLUTION_FIELDS values for a row."""
    return {"istat": r.istat if r.ok else None,
            "resolution_method": r.method if r.ok else r.status,
            "resolution_score": r.score}


class Parser:
    family: str = ""
    version: str = "1"

    def parse(self, doc, ctx: ParseContext) -> ParseResult:  # pragma: no cover - interface
        raise NotImplementedError


# -- shared helpers for Italian number formats ------------------------------------------
_NUM_RE = re.compile(r"^-?\d{1,3}(\.\d{3})*(,\d+)?$|^-?\d+(,\d+)?$", re.ASCII)


def parse_it_number(s: str) -> Decimal | None:
    """``'1.234,56'`` -> Decimal('1234.56'); ``'€ 3.000'`` -> 3000; ``'-'`` / ``''`` -> None.

    Raises ValueError for anything else (callers reject the row with the message).
    """
    t = s.strip().replace("€", "").replace("\u00a0", " ").strip()
    t = t.replace(" ", "")
    if t in ("", "-", "—", "–"):
        return None
    if not _NUM_RE.match(t):
        raise ValueError(f"not an Italian-format number: {s!r}")
    try:
        return Decimal(t.replace(".", "").replace(",", "."))
    except InvalidOperation as e:  # pragma: no cover - regex guards it
        raise ValueError(f"not a number: {s!r}") from e


def provenance(doc_id: str, line_start: int, line_end: int | None = None, act_id: str = "") -> dict:
    return {"source_id": doc_id, "act_id": act_id, "line_start": line_start,
            "line_end": line_end or line_start}


# Foreign key from a row's ``istat`` to the ``comuni`` package (current and historical comuni).
# Rows whose istat is empty (unresolved names) are allowed by Table Schema semantics.
COMUNE_FK = {"fields": "istat",
             "reference": {"package": "comuni", "resource": "comuni", "fields": "istat"}}
