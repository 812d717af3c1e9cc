"""Stage 4: the site model, built in memory from the published packages.

Comuni, programmes, documents and facts, with every cross-link resolved here, so
templates only display. Every page's context is a plain dict that is also written
as the page's JSON twin (``index.json``), as Datasette does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import formatting, glance, mentions, privacy, views
from .content import Page
from .packages import PackageInfo, json_value
from .extract.result import Act, Dataset, ParseResult
from .quality import Check, Reject, ResolutionRecord
from .registry import Comune, Registry
from .sources import Document

HIDDEN_FIELDS = {
    "source_id",
    "act_id",
    "line_start",
    "line_end",
    "istat",
    "resolution_method",
    "resolution_score",
}


def line_url(doc_id: str, line: int | None) -> str:
    return f"/documenti/{doc_id}/" + (f"#L{line}" if line else "")


def comune_url(istat: str) -> str:
    return f"/comuni/{istat}/"


@dataclass
class Programme:
    slug: str
    title: str
    page: Page | None
    datasets: list[Dataset]
    packages: list[PackageInfo]
    checks: list[Check]
    sources: list[str]
    comuni: set[str] = field(default_factory=set)

    @property
    def summary(self) -> str:
        if self.page and self.page.meta.get("summary"):
            return str(self.page.meta["summary"])
        return self.datasets[0].description if self.datasets else ""


@dataclass
class DocumentView:
    doc: Document
    acts: list[Act]
    datasets: list[str]
    checks: list[Check]
    rejects: list[Reject]
    parsed: bool
    lines: list[str] = field(default_factory=list)  # as published (privacy.redact)
    withheld: int = 0  # lines changed for privacy
    mentions: dict[str, list[int]] = field(default_factory=dict)  # istat -> lines
    line_mentions: dict[int, list] = field(default_factory=dict)  # line -> [Mention]
    # candidate tables of a document no parser or spec reads yet (specs/inspect.py)
    candidates: list[dict] = field(default_factory=list)

    def act_at(self, line: int) -> Act | None:
        for a in self.acts:
            if a.line_start <= line <= a.line_end:
                return a
        return None


@dataclass
class SiteModel:
    registry: Registry
    comuni: dict[str, Comune]  # current + historical, by ISTAT code
    facts: Facts  # istat -> fact dicts (made on demand)
    programmes: dict[str, Programme]
    documents: dict[str, DocumentView]
    packages: dict[str, PackageInfo]
    pages: dict[str, Page]
    checks: list[Check]
    rejects: list[Reject]
    resolutions: list[ResolutionRecord]
    predecessors: dict[str, list[str]]  # successor istat -> historical istat codes
    created: str
    changelog: list[dict] = field(default_factory=list)  # data/changelog.yaml
    database: dict | None = None  # the analysts' export (build: stage "database")
    glance: object = None  # glance.Glance: summaries, gaps, neighbours
    # istat -> ids of the documents whose text names it, in document order (one pass over
    # the documents at build time: a page asks for its own, not every document's)
    mentioned_in: dict[str, list[str]] = field(default_factory=dict)
    # document id -> act id -> slugs of the programmes with rows from that act
    act_programmes: dict[str, dict[str, set[str]]] = field(default_factory=dict)

    # -- page contexts (also the JSON twins) -------------------------------------------
    def comune_context(self, istat: str) -> dict:
        c = self.comuni[istat]
        facts = list(self.facts.get(istat, []))
        for h in self.predecessors.get(istat, []):  # facts of the comuni merged into it
            hc = self.comuni[h]
            facts += [
                {**f, "via": {"istat": h, "name": hc.name, "url": comune_url(h)}}
                for f in self.facts.get(h, [])
            ]
        by_prog: dict[str, list[dict]] = defaultdict(list)
        for f in facts:
            by_prog[f["programme"]].append(f)
        programmes = []
        for slug in sorted(
            by_prog, key=lambda s: self.programmes[s].title if s in self.programmes else s
        ):
            p = self.programmes.get(slug)
            programmes.append(
                {
                    "slug": slug,
                    "title": p.title if p else slug,
                    "url": f"/programmi/{slug}/" if p else None,
                    "facts": by_prog[slug],
                }
            )
        preds = []
        for h in self.predecessors.get(istat, []):
            summary = self.comune_summary(h)
            summary["facts"] = self.facts.count(h)
            preds.append(summary)
        ctx = {
            "istat": c.istat,
            "name": c.name,
            "cadastral_code": c.cadastral_code or None,
            "province": {
                "name": c.province,
                "sigla": c.province_sigla,
                "url": f"/province/{c.province_sigla}/" if not c.historical else None,
            },
            "region": c.region,
            "population": c.population,
            "population_0_6": c.population_0_6,
            "historical": c.historical,
            "suppressed": c.suppressed,
            "event": c.event,
            "evidence": c.evidence,
            "successor": self.comune_summary(c.successor) if c.successor else None,
            "predecessors": preds,
            "mentions": self.mentions_of(istat),
            "programmes": programmes,
            "sources": sorted({f["source"]["document"] for f in facts}),
            "urls": {
                "html": comune_url(istat),
                "json": comune_url(istat) + "index.json",
                "csv": comune_url(istat) + "index.csv",
                "feed": comune_url(istat) + "feed.xml",
                "rss": comune_url(istat) + "rss.xml",
            },
        }
        if self.glance is not None:
            ctx.update(glance.context(self, istat))
        return ctx

    def cited_documents(self, istat: str) -> set[str]:
        """The documents a comune's page cites: those of its facts (and of the comuni
        merged into it) and those whose text names it."""
        out = {
            d
            for code in [istat, *self.predecessors.get(istat, [])]
            for d in self.facts.documents(code)
        }
        return out | set(self.mentioned_in.get(istat, ()))

    def mentions_of(self, istat: str) -> list[dict]:
        """Documents (and acts) whose text names the comune, with the lines."""
        out = []
        for doc_id in self.mentioned_in.get(istat, ()):
            dv = self.documents[doc_id]
            lines = dv.mentions[istat]
            by_act: dict[str | None, list[int]] = {}
            for n in sorted(lines):
                a = dv.act_at(n)
                by_act.setdefault(a.id if a else None, []).append(n)
            for act_id, ls in by_act.items():
                a = next((x for x in dv.acts if x.id == act_id), None)
                out.append(
                    {
                        "document": doc_id,
                        "title": dv.doc.title,
                        "act": {
                            "id": a.id,
                            "label": f"{a.type} {a.number or ''}".strip(),
                            "title": a.title,
                            "url": f"/documenti/{doc_id}/atti/{a.id}/",
                        }
                        if a
                        else None,
                        "lines": ls[:20],
                        "more": max(0, len(ls) - 20),
                        "url": line_url(doc_id, ls[0]),
                    }
                )
        return out

    def comune_summary(self, istat: str | None) -> dict | None:
        c = self.comuni.get(istat or "")
        if not c:
            return None
        return {
            "istat": c.istat,
            "name": c.name,
            "province": c.province_sigla,
            "url": comune_url(c.istat),
            "historical": c.historical,
        }


class _TableView:
    """How one table's rows become facts: its field tuples, worked out once."""

    __slots__ = ("ds", "table", "shown", "tech", "published", "extra")

    def __init__(self, ds: Dataset, t, fields: list[dict], extra: dict):
        technical = set((ds.views.get("technical") or {}).get(t.name) or [])
        # (name, title, type) of the fields shown, and of those shown collapsed
        self.shown = [
            (f["name"], f.get("title", f["name"]), f.get("type", "string"))
            for f in fields
            if f["name"] not in HIDDEN_FIELDS | technical
        ]
        self.tech = [
            (f["name"], f.get("title", f["name"]), f.get("type", "string"))
            for f in fields
            if f["name"] in technical
        ]
        self.published = [f["name"] for f in fields if f["name"] not in HIDDEN_FIELDS]
        self.ds, self.table, self.extra = ds, t, extra

    def fact(self, r: dict) -> dict:
        ds, t, show = self.ds, self.table, formatting.value
        istat = r.get("istat")
        return {
            "programme": ds.programme or ds.name,
            "dataset": ds.name,
            "table": t.name,
            "table_title": t.title,
            "values": {n: json_value(r.get(n)) for n in self.published},
            "display": [
                [title, show(v, ftype)]
                for n, title, ftype in self.shown
                if (v := r.get(n)) not in (None, "")
            ],
            # fields for the curious (how the row was read), shown collapsed
            "technical": [
                [title, show(v, ftype)]
                for n, title, ftype in self.tech
                if (v := r.get(n)) not in (None, "")
            ],
            "via": None,
            "extra": self.extra.get(istat, {}).get((t.name, r.get("line_start")), []),
            "resolution": {
                "method": r.get("resolution_method"),
                "score": json_value(r.get("resolution_score")),
            },
            "source": {
                "document": r.get("source_id"),
                "act": r.get("act_id") or None,
                "line_start": r.get("line_start"),
                "line_end": r.get("line_end"),
                "url": line_url(r.get("source_id"), r.get("line_start")),
            },
        }


class Facts(Mapping):
    """istat -> the comune's facts: every row naming it, with its provenance (plus the
    programme's view: ranks, group members, footnotes; see views.py), sorted by
    programme, table and line. A fact dict is made when a page asks for it, not kept:
    the rows are in the datasets already, and the dicts (about 2 kB each) were most of
    the model's memory on a large corpus. Only (table view, row) references are kept."""

    def __init__(self, registry: Registry | None = None):
        self.registry = registry
        self._refs: dict[str, list[tuple[_TableView, dict]]] = defaultdict(list)

    def add(self, ds: Dataset) -> set[str]:
        """The facts of ``ds``'s rows; returns the comuni they are about."""
        extra = views.extras(ds, self.registry)
        codes = set()
        for t in ds.tables:
            fields = t.schema()["fields"]
            if not any(f["name"] == "istat" for f in fields):
                continue
            tv = _TableView(ds, t, fields, extra)
            for r in t.rows:
                istat = r.get("istat")
                if istat:
                    self._refs[istat].append((tv, r))
                    codes.add(istat)
        return codes

    def sort(self) -> None:
        for refs in self._refs.values():
            refs.sort(
                key=lambda x: (
                    x[0].ds.programme or x[0].ds.name,
                    x[0].table.name,
                    x[1].get("line_start") or 0,
                )
            )

    def __getitem__(self, istat: str) -> list[dict]:
        if istat not in self._refs:
            raise KeyError(istat)
        return [tv.fact(r) for tv, r in self._refs[istat]]

    def __iter__(self):
        return iter(self._refs)

    def __len__(self) -> int:
        return len(self._refs)

    def count(self, istat: str) -> int:
        return len(self._refs.get(istat, ()))

    def documents(self, istat: str) -> set[str]:
        """The documents of the comune's facts, without making them."""
        return {r.get("source_id") for _, r in self._refs.get(istat, ())}

    def programmes(self, istat: str) -> set[str]:
        """The programmes of the comune's facts, without making them."""
        return {tv.ds.programme or tv.ds.name for tv, _ in self._refs.get(istat, ())}


def facts_from_dataset(ds: Dataset, registry: Registry | None = None) -> dict[str, list[dict]]:
    """Every row of ``ds`` naming a comune as one fact about it (:class:`Facts`), in
    row order."""
    out: dict[str, list[dict]] = defaultdict(list)
    f = Facts(registry)
    f.add(ds)
    for istat, refs in f._refs.items():
        out[istat] = [tv.fact(r) for tv, r in refs]
    return out


def candidate_tables(doc: Document, registry: Registry) -> list[dict]:
    """What in a document with no dataset could become one (``comuni-aperti inspect``)."""
    from .specs.inspect import candidates

    return [
        {
            "start": c.start,
            "end": c.end,
            "summary": c.summary,
            "kind": c.kind,
            "url": line_url(doc.id, c.start),
        }
        for c in candidates(doc, registry)
    ]


def _hint(registry: Registry, doc: Document) -> set[str] | None:
    """Province sigle a document is about (manifest ``region:``), for mentions."""
    region = doc.meta.get("region")
    if not region:
        return None
    return {s for s, p in registry.provinces.items() if p["region"] == region} or None


def document_mentions(
    registry: Registry,
    doc: Document,
    result: ParseResult | None,
    resolutions: list[ResolutionRecord],
) -> list[mentions.Mention]:
    """The comuni named in a document's published (redacted) text. The costly part of
    the model (about 1.6 s for the five documents), so ``build`` can be handed it
    computed elsewhere, e.g. in a background process while packages are written."""
    lines, _ = published_lines(doc, result)
    return mentions.find_mentions(
        lines,
        registry,
        _hint(registry, doc),
        mentions.resolved_lines(result.datasets, [x for x in resolutions if x.doc_id == doc.id])
        if result
        else None,
    )


def published_lines(doc: Document, result: ParseResult | None) -> tuple[list[str], int]:
    """The document's lines as the site shows them (privacy.redact), and how many differ:
    from the parse result when it has them (made and cached with the parse)."""
    if result is not None and result.redacted is not None:
        changed, n = result.redacted
        return privacy.published(doc.lines, changed), n
    return privacy.redact(doc.lines, result.private if result else [])


def build(
    registry: Registry,
    docs: list[Document],
    results: dict[str, ParseResult],
    resolutions: list[ResolutionRecord],
    packages: dict[str, PackageInfo],
    datasets: list[Dataset],
    pages: dict[str, Page],
    programme_pages: dict[str, Page],
    created: str,
    found_mentions: dict[str, list] | None = None,
) -> SiteModel:
    """``found_mentions``: document id -> :func:`document_mentions` (computed here when
    missing)."""
    comuni: dict[str, Comune] = {**registry.current, **registry.historical}
    facts = Facts(registry)
    programmes: dict[str, Programme] = {}
    act_programmes: dict[str, dict[str, set[str]]] = defaultdict(dict)
    checks = [c for r in results.values() for c in r.checks]
    rejects = [x for r in results.values() for x in r.rejects]
    for ds in datasets:
        if ds.programme is None:  # registry and document catalogue: not programmes
            continue
        slug = ds.programme or ds.name
        page = programme_pages.get(slug)
        prog = programmes.get(slug)
        if prog is None:
            title = str(page.meta.get("title")) if page and page.meta.get("title") else ds.title
            prog = programmes[slug] = Programme(slug, title, page, [], [], [], [])
        prog.datasets.append(ds)
        if ds.name in packages:
            prog.packages.append(packages[ds.name])
        prog.comuni |= facts.add(ds)
        srcs = set()
        for t in ds.tables:
            for r in t.rows:
                if r.get("source_id"):
                    srcs.add(r["source_id"])
                    if r.get("act_id"):
                        act_programmes[r["source_id"]].setdefault(r["act_id"], set()).add(slug)
        prog.sources = sorted(set(prog.sources) | srcs)
    # by document (a corpus of hundreds of documents: no scan of every check per document)
    checks_of: dict[str, list] = defaultdict(list)
    for c in checks:
        checks_of[c.doc_id].append(c)
    rejects_of: dict[str, list] = defaultdict(list)
    for x in rejects:
        rejects_of[x.doc_id].append(x)
    order = {id(c): i for i, c in enumerate(checks)}
    for prog in programmes.values():  # its documents' checks, in the order of all checks
        prog.checks = sorted(
            (c for d in prog.sources for c in checks_of.get(d, ())), key=lambda c: order[id(c)]
        )
    documents = {}
    for d in docs:
        r = results.get(d.id)
        lines, withheld = published_lines(d, r)
        found = (found_mentions or {}).get(d.id)
        if found is None:
            found = document_mentions(registry, d, r, resolutions)
        documents[d.id] = dv = DocumentView(
            d,
            r.acts if r else [],
            # the datasets read from this document (one it shares with another document,
            # rows merged, included; the registry and the document list are not read from it)
            sorted({ds.name for ds in r.datasets} if r else []),
            list(checks_of.get(d.id, [])),
            list(rejects_of.get(d.id, [])),
            r is not None,
            lines,
            withheld,
        )
        if not dv.datasets:
            dv.candidates = candidate_tables(d, registry)
        for m in found:
            dv.line_mentions.setdefault(m.line, []).append(m)
            dv.mentions.setdefault(m.istat, [])
            if m.line not in dv.mentions[m.istat]:
                dv.mentions[m.istat].append(m.line)
    predecessors: dict[str, list[str]] = defaultdict(list)
    for h in registry.historical.values():
        if h.successor:
            predecessors[h.successor].append(h.istat)
    facts.sort()
    model = SiteModel(
        registry,
        comuni,
        facts,
        programmes,
        documents,
        packages,
        pages,
        checks,
        rejects,
        resolutions,
        dict(predecessors),
        created,
        load_changelog(),
        act_programmes=dict(act_programmes),
    )
    for doc_id, dv in documents.items():
        for istat, lines in dv.mentions.items():
            if lines:
                model.mentioned_in.setdefault(istat, []).append(doc_id)
    model.glance = glance.build(registry, datasets, programmes, documents, resolutions)
    return model


def load_changelog() -> list[dict]:
    """Changes to the published data users must know (``data/changelog.yaml``), newest first."""
    from . import paths

    path = paths.DATA / "changelog.yaml"
    if not path.is_file():
        return []
    return list((paths.load_yaml(path.read_text(encoding="utf-8")) or {}).get("changes") or [])
