"""What an extraction returns: datasets of tables with provenance, acts, checks, rejects.

A parser or a table spec reads one :class:`~generator.sources.Document` and fills a
:class:`ParseResult`: one or more :class:`Dataset` (each becomes one Frictionless data
package), the :class:`~generator.quality.Check` results proving the parse against what
the document declares, and the :class:`~generator.quality.Reject` list of input lines it
could not publish.

Nothing is lost: every candidate line of a table (``Table.candidates``) is either inside
a published row's ``line_start..line_end`` or rejected; the build enforces it
(:func:`generator.extract.recorder.accounting_errors`).

Comune names are resolved only through ``ctx.resolve(name, line, province=...)``, which
records every resolution for the data-quality page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..quality import Check, Log, Reject, ResolutionRecord
from ..registry import Registry, Resolution
from .fields import PROVENANCE_FIELDS


@dataclass
class Table:
    """One CSV resource of a data package."""

    name: str  # resource name: lowercase, digits, '-', '_' (e.g. "gruppi")
    title: str
    description: str
    fields: list[dict]  # Table Schema fields (provenance fields appended for you)
    rows: list[dict]
    primary_key: list[str] | None = None
    foreign_keys: list[dict] = field(default_factory=list)  # Table Schema foreignKeys
    # the candidate input lines of the table (accounting): each is in a row's range or
    # rejected. None only for tables not read from a document (registry, catalogue).
    candidates: set[int] | None = None
    # figures the document declares about the table (printed totals, counts in the text):
    # {name: (value, line)}; not published, for cross-checks between tables
    declared: dict = field(default_factory=dict)

    @property
    def lines_in(self) -> int | None:
        return None if self.candidates is None else len(self.candidates)

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

    name: str  # package name, e.g. "smart-polizia-locale-2025"
    title: str
    description: str
    tables: list[Table]
    programme: str | None = None  # slug of the programme page (content/programmi/<slug>.md)
    keywords: list[str] = field(default_factory=list)
    # how the site shows the dataset (maps, charts, comune-page extras): declared with the
    # dataset, by its spec or its parser family; see generator/views.py
    views: dict = field(default_factory=dict)
    # DCAT themes (EU data-theme vocabulary codes: EDUC, GOVE, AGRI ...), chosen per dataset
    themes: list[str] = field(default_factory=list)

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


@dataclass
class Act:
    """An act inside a document (bulletins): D.g.r., D.d.s., D.d.u.o. ..."""

    id: str  # stable slug within the document, e.g. "dgr-xi-827"
    type: str  # "D.g.r.", "D.d.s.", ...
    date: str | None  # ISO
    number: str | None
    title: str
    office: str | None
    line_start: int
    line_end: int


def act_at(acts: list[Act], line: int) -> Act | None:
    """The act whose line range contains ``line`` (None outside any act)."""
    for a in acts:
        if a.line_start <= line <= a.line_end:
            return a
    return None


@dataclass
class ParseResult:
    datasets: list[Dataset] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    acts: list[Act] = field(default_factory=list)
    facts: list[dict] = field(
        default_factory=list
    )  # programme-level facts (label, value, unit, lines)
    # line ranges (start, end) of rows describing a natural person: withheld from the
    # published document text (see generator/privacy.py)
    private: list[tuple[int, int]] = field(default_factory=list)
    # what generator/privacy.py changes in the document's text (privacy.changes), made with
    # the parse and cached with it; None until then
    redacted: tuple[dict[int, str], int] | None = None

    def dataset(self, name: str) -> Dataset | None:
        return next((d for d in self.datasets if d.name == name), None)


class ParseContext:
    """What an extraction may use besides the document: the registry and the log."""

    def __init__(self, registry: Registry, log: Log, doc_id: str = "", file: str = ""):
        self.registry = registry
        self.log = log
        self.doc_id = doc_id
        self.file = file
        self.resolutions: list[ResolutionRecord] = []

    def resolve(self, name: str, line: int | None, province=None, fuzzy: bool = True) -> Resolution:
        r = self.registry.resolve(name, province=province, fuzzy=fuzzy)
        self.resolutions.append(
            ResolutionRecord(
                self.doc_id,
                line,
                name,
                r.status,
                r.istat,
                r.name,
                r.method,
                r.score,
                r.note,
                list(r.candidates),
            )
        )
        return r

    def is_comune(self, name: str, province=None) -> bool:
        """Does ``name`` name a comune exactly (no fuzzy match, not recorded)?"""
        return self.registry.resolve(name, province=province, fuzzy=False).ok

    def warn(self, code: str, message: str, line: int | None = None):
        self.log.warning(code, message, self.file, line)

    def error(self, code: str, message: str, line: int | None = None):
        self.log.error(code, message, self.file, line)
