"""Gazzetta Ufficiale, 24 October 1983: the 1983 *sovrimposta comunale sul reddito dei fabbricati*.

The D.M. 24 ottobre 1983 publishes, province by province, every comune of Italy with
the rate of the sovrimposta it deliberated (art. 19, second paragraph, d.l. 28 febbraio
1983, n. 55: 8, 12, 16 or 20 per cent of the taxable income), ``non istituita`` where it
was not introduced, or ``(*)`` where the comune is deferred to a later supplementary list
(the *Avvertenza* names those comuni). Footnote markers such as ``(A)``, ``(Y)``, ``(1)``
refer to the footnotes printed at the bottom of the same page.

How the text is laid out, and how this parser reads it:

* Every printed column starts with a column header (``Numero d'ordine  COMUNI  Aliquota
  deliberata %``). A page whose two columns were extracted side by side gives lines of six
  tab-separated cells (left column, right column); other pages give one column per header.
  Reading order is restored per run of two-column lines: the whole left column, then the
  whole right column (:func:`reading_order`, on :mod:`generator.extract.columns`). One-column
  lines printed after a run go to the foot of the left column when the order numbers say
  so (:func:`generator.extract.columns.numbers_continue`). A left and a right column can
  belong to different provinces; in reading order every entry follows its own heading.
* Province headings come as ``## PROVINCIA DI X``, ``**PROVINCIA DI X**``, ``<b>...</b>``
  or plain capitals (:func:`generator.extract.blocks.heading_text`). A heading can be
  missing: a restart of the order numbers (a lower number *and* an alphabetically earlier
  name) without a heading opens a headless segment, whose province is inferred from the
  index (the provinces listed between its neighbours) and from the provinces of the
  comuni it names (:func:`infer_province`); the evidence is published.
* Order numbers run 1..N per province, in alphabetical order of the names: they prove
  completeness (gaps, duplicates and out-of-order numbers are reported as checks). A
  number that lost its leading digit(s) in print is read from its neighbour
  (:func:`generator.extract.numbering.read_number`) and reported.

Every parse is checked against what the document declares: the index of provinces, the
order numbers, the alphabetical order, each page's footnotes, the Avvertenza's list of
deferred comuni (read as prose, :class:`generator.extract.text.Prose`) and the rate domain
set by the law. Line accounting: the candidate lines of ``aliquote`` are every line of the
list that is not a column header, a province heading or a footnote; those of ``note`` are
its footnotes; ``province`` summarises the other two and its candidates are the headings.
What is published (dataset, tables, columns, views) is declared in
``data/specs/sovrimposta-fabbricati-1983.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field

from .. import specs
from ..extract import ParseResult, Recorder, Table, columns, provenance, resolution_fields
from ..extract.blocks import between, heading_text, province_votes, unclosed_markup
from ..extract.cells import integer
from ..extract.columns import Item, split_cells
from ..extract.comuni import Named, resolve_list
from ..extract.footnotes import Footnote, note_for, page_groups
from ..extract.numbering import alpha_key, audit, read_number, restarts
from ..extract.recorder import only_in, ranges
from ..extract.text import Prose, strip_leaders
from ..registry import Resolution, normalise
from .base import Parser

# the dataset, its tables and columns, and its views (what is published; the rows are read here)
SPEC = "sovrimposta-fabbricati-1983"

# The 95 provinces of 1983: "<name as in the document's index> <sigla in 1983>", and after
# ">" the sigle of today's provinces its comuni belong to when they are more than its own.
# Provinces created since 1983 took comuni from these: Biella (1992, from Vercelli),
# Verbano-Cusio-Ossola (1992, Novara), Lecco (1992, Como and Bergamo), Lodi (1992, Milano),
# Crotone and Vibo Valentia (1992, Catanzaro), Prato (1992, Firenze), Rimini (1992, Forlì;
# 2009 and 2021 comuni of Pesaro e Urbino), Monza e Brianza, Fermo and Barletta-Andria-Trani
# (2004/2009, from Milano, Ascoli Piceno, Bari and Foggia), and the Sardinian
# reorganisations (2005, 2016: today's Sud Sardegna, and Nuoro/Sassari absorbing Ogliastra
# and Olbia-Tempio).
_PROVINCES_1983 = """
    Agrigento AG; Alessandria AL; Ancona AN; Aosta AO; Arezzo AR; Ascoli Piceno AP > AP FM;
    Asti AT; Avellino AV; Bari BA > BA BT; Belluno BL > BL UD; Benevento BN; Bergamo BG > BG LC;
    Bologna BO; Bolzano/Bozen BZ; Brescia BS; Brindisi BR; Cagliari CA > CA SU OR NU;
    Caltanissetta CL; Campobasso CB; Caserta CE; Catania CT; Catanzaro CZ > CZ KR VV; Chieti CH;
    Como CO > CO LC; Cosenza CS; Cremona CR; Cuneo CN; Enna EN; Ferrara FE; Firenze FI > FI PO;
    Foggia FG > FG BT; Forlì FO > FC RN; Frosinone FR; Genova GE; Gorizia GO; Grosseto GR;
    Imperia IM; Isernia IS; L'Aquila AQ; La Spezia SP; Latina LT; Lecce LE; Livorno LI;
    Lucca LU; Macerata MC; Mantova MN; Massa Carrara MS; Matera MT; Messina ME;
    Milano MI > MI MB LO; Modena MO; Napoli NA; Novara NO > NO VB; Nuoro NU > NU OR SS SU;
    Oristano OR > OR SU NU; Padova PD; Palermo PA; Parma PR; Pavia PV; Perugia PG;
    Pesaro PS > PU RN; Pescara PE; Piacenza PC; Pisa PI; Pistoia PT; Pordenone PN; Potenza PZ;
    Ragusa RG; Ravenna RA; Reggio Calabria RC; Reggio Emilia RE; Rieti RI; Roma RM; Rovigo RO;
    Salerno SA; Sassari SS; Savona SV; Siena SI; Siracusa SR; Sondrio SO; Taranto TA; Teramo TE;
    Terni TR; Torino TO; Trapani TP; Trento TN; Treviso TV; Trieste TS; Udine UD; Varese VA;
    Venezia VE; Vercelli VC > VC BI; Verona VR; Vicenza VI; Viterbo VT"""
# name -> (sigla in 1983, sigle of today's provinces holding its comuni)
PROVINCES_1983: dict[str, tuple[str, tuple[str, ...]]] = {
    m["name"]: (m["sigla"], tuple((m["today"] or m["sigla"]).split()))
    for m in re.finditer(
        r"\s*(?P<name>[^;]+?) (?P<sigla>[A-Z]{2})"
        r"(?: > (?P<today>[A-Z ]+))?(?:;|$)",
        _PROVINCES_1983,
    )
}
# Lookup by normalised name; "Bolzano" (as the Avvertenza writes it) too.
_PROVINCE_KEYS = {normalise(n): n for n in PROVINCES_1983}
_PROVINCE_KEYS.update({normalise(n.split("/")[0]): n for n in PROVINCES_1983 if "/" in n})

# A printed page holds two columns of about 65 lines: a footnote more than this many lines
# below a marked row is not on the row's page.
PAGE_SPAN = 140
RATE_DOMAIN = {8, 12, 16, 20}  # art. 19, 2nd par., d.l. 55/1983: "8 o 12 o 16 o 20 per cento"
UNIT_DECLARED = "%"

STATUS_SET = "istituita"
STATUS_NOT_SET = "non istituita"
STATUS_DEFERRED = "elenco integrativo"

_HEADER_RE = re.compile(r"^Numero\b")
_HEADING_RE = re.compile(r"^PROVINCIA DI\s+(?P<name>[A-ZÀ-Ý' /]+?)\s*\.?$")
_FOOTNOTE_RE = re.compile(r"^\((?P<mark>\\?\*|[A-Z0-9]{1,2})\)\s+(?P<text>\S.*)$")
_NUMBER_RE = re.compile(r"^(\d{1,3})\.$")
_RATE_RE = re.compile(
    r"^(?:(?P<num>\d{1,3})|(?P<non>non\s+istituita))?\s*"
    r"(?:\((?P<mark>\\?\*|[A-Z0-9]{1,2})\))?$"
)
_TRAILER_RE = re.compile(r"^\(\d{3,}\)$")  # the insertion code closing the act, "(5447)"
# The Avvertenza, one clause per deferred group ("tutti i comuni della provincia di
# Sondrio;", "i comuni di Berzo Demo, ..., Temù in provincia di Brescia;").
_DEFERRED = (
    r"(?:^|(?<=[:;.] ))(?:tutti i comuni della provincia di (?P<all>[^;.#]+?)"
    r"|i comuni di (?P<names>[^;#]+?) in provincia di (?P<of>[^;.#]+?))\s*(?=[;.#]|$)"
)


# -- reading the layout ---------------------------------------------------------------
def reading_order(lines: list[tuple[int, str]]) -> list[Item]:
    """Cell triples of the table region in reading order (see the module docstring):
    lines of four or more cells hold two columns side by side; blank lines do not break
    a run; footnotes go to the end of their block (the foot of the page)."""
    return columns.reading_order(
        lines,
        3,
        lambda c: bool(_HEADER_RE.match(c[0])),
        lambda c: bool(_FOOTNOTE_RE.match(c[0])),
        columns.numbers_continue(_number, heading_of),
    )


def _number(cell: str) -> int | None:
    m = _NUMBER_RE.match(cell.strip())
    return int(m.group(1)) if m else None


def heading_of(cell: str) -> tuple[str, str] | None:
    """``('CREMONA', 'markdown-h2')`` when the cell is a province heading."""
    text, markup = heading_text(cell)
    m = _HEADING_RE.match(text)
    return (m.group("name").strip(), markup) if m else None


def province_name(printed: str) -> str | None:
    """The index name of a 1983 province from its name as printed, or None."""
    return _PROVINCE_KEYS.get(normalise(printed))


def official_name(printed: str) -> str:
    """The name to resolve: the Italian part of a bilingual ``Italiano - Deutsch`` name."""
    return printed.split(" - ", 1)[0].strip() if " - " in printed else printed


def _part(it: Item) -> str:
    """The cells of one column of a two-column line: the part of the line a reject is
    about (the other column may be published); '' for a one-column line."""
    return "\t".join(c for c in it.cells if c) if it.column in ("left", "right") else ""


# -- parsed structure -----------------------------------------------------------------
@dataclass
class Entry:
    line: int
    number: int  # order number as read (see :func:`read_number`)
    printed_number: str  # order number cell as printed, e.g. "01."
    name: str
    rate_cell: str
    rate: int | None
    status: str
    marker: str | None
    pos: int  # position in reading order
    footnote: Footnote | None = None
    footnote_problem: str = ""  # why a marker has no footnote (none on the page, ambiguous)
    istat: str | None = None  # set when the row is resolved


@dataclass
class Segment:
    """The entries between two headings (or a heading and a restart of the numbering)."""

    province: str | None  # index name of the 1983 province, None if unknown
    printed: str | None  # heading as printed (None: no heading)
    markup: str | None
    heading_line: int | None
    entries: list[Entry] = dc_field(default_factory=list)
    evidence: str = ""  # how a headless segment's province was inferred
    break_line: int | None = None  # headless: line where the numbering restarted
    ended_by: str = "heading"  # heading | restart | end


@dataclass
class Province:
    """A province of the list: its segments (one, or more when a heading is missing) and
    what their numbering says (:func:`generator.extract.numbering.audit`)."""

    name: str | None
    segs: list[Segment]

    def __post_init__(self):
        self.entries = [e for s in self.segs for e in s.entries]
        self.numbering = audit(self.entries, lambda e: e.number)
        self.printed = next((s for s in self.segs if s.printed), None)


def parse_avvertenza(lines: list[str], end: int) -> dict[str, dict]:
    """The comuni deferred to the supplementary list, as the Avvertenza (lines 1..end)
    states them: ``{province: {names, all, line}}``."""
    out: dict[str, dict] = {}
    for d in Prose(lines, 1, end).find_all(_DEFERRED, re.I):
        province = d.group("all") or d.group("of")
        names = [x.strip() for x in (d.group("names") or "").split(",") if x.strip()]
        out[province_name(province) or province] = {
            "all": bool(d.group("all")),
            "names": names,
            "line": d.line,
        }
    return out


def infer_province(
    seg: Segment, before: str | None, after: str | None, index_names: list[str], registry
) -> tuple[str | None, str]:
    """Province of a headless segment from two independent lines of evidence.

    1. the index: the provinces listed between the province before the segment and the
       next printed heading after it (:func:`generator.extract.blocks.between`);
    2. the comuni: exact/normalised resolution (no fuzzy) of the segment's names, voted by
       today's province and mapped back to the 1983 provinces
       (:func:`generator.extract.blocks.province_votes`).
    Accepted only when the index leaves exactly one candidate and every resolved comune
    belongs to it.
    """
    candidates = between(index_names, before, after)
    votes, resolved = province_votes(
        [e.name for e in seg.entries],
        registry,
        lambda s: [n for n, (_, t) in PROVINCES_1983.items() if s in t],
    )
    first, last = seg.entries[0], seg.entries[-1]
    evidence = (
        f"numerazione che riparte senza intestazione (riga {seg.break_line}: "
        f"n. {first.number} {first.name}, dopo {before or 'inizio'}); "
        f"indice tra {before or 'inizio'} e {after or 'fine'}: "
        f"{', '.join(candidates) or 'nessuna provincia'}; "
        f"comuni risolti senza fuzzy: {resolved}/{len(seg.entries)}, per provincia "
        f"{', '.join(f'{k} {v}' for k, v in votes.most_common(3)) or '-'}; "
        f"righe {first.line}-{last.line}"
    )
    if len(candidates) == 1 and resolved and votes.get(candidates[0], 0) == resolved:
        return candidates[0], evidence
    return None, evidence


# -- the parser -----------------------------------------------------------------------
class GuSovrimpostaParser(Parser):
    family = "gu_sovrimposta"
    version = "2"

    def parse(self, doc, ctx) -> ParseResult:
        return _Parse(doc, ctx).run()


class _Parse:
    def __init__(self, doc, ctx):
        self.doc, self.ctx = doc, ctx
        self.rec = Recorder(doc)
        self.spec = specs.load(SPEC)
        self.lines = list(doc.numbered())
        self.units: list[tuple[int, str]] = []
        self.entries: list[Entry] = []
        self.footnotes: list[Footnote] = []
        self.segments: list[Segment] = []
        self.duplicates: dict[str, list[Entry]] = {}
        self.provinces: dict[str | None, Province] = {}

    def sigla(self, province: str | None) -> str | None:
        return PROVINCES_1983[province][0] if province else None

    def run(self) -> ParseResult:
        result = ParseResult()
        start = next((n for n, t in self.lines if _HEADER_RE.match(t) and "COMUNI" in t), None)
        if start is None:
            self.ctx.error("gu-no-table", "no column header 'Numero d'ordine ... COMUNI' found")
            return result
        self.index = self._front_matter_index(start)
        self.avvertenza = parse_avvertenza(self.doc.lines, start)
        # The list ends at the insertion code "(5447)"; what follows is the Gazzetta's
        # colophon (its editors' names), which is not part of the act.
        end = next(
            (n for n, t in self.lines[start:] if any(_TRAILER_RE.match(c) for c in split_cells(t))),
            len(self.lines),
        )
        self.rec.candidate("aliquote", [])  # read from the document, even when empty
        self._walk(reading_order(self.lines[start - 1 : end]))
        self._infer_headless()
        self._link_footnotes()
        by_name: dict[str | None, list[Segment]] = {}
        for seg in self.segments:
            by_name.setdefault(seg.province, []).append(seg)
        self.provinces = {name: Province(name, segs) for name, segs in by_name.items()}
        ds = specs.declared_dataset(self.spec, self.doc, result)
        ds.tables += [self._aliquote_table(), self._note_table(), self._province_table()]
        self._check_document()
        return self.rec.finish(result)

    def _front_matter_index(self, start: int) -> list[tuple[str, int | None, int]]:
        at = next((n for n, t in self.lines[:start] if "INDICE ALFABETICO" in t.upper()), None)
        if at is None:
            return []
        return columns.index_entries([(n, t) for n, t in self.lines[at : start - 1] if t.strip()])

    # -- reading the items
    def _walk(self, items: list[Item]) -> None:
        """Classify every cell triple; cut the stream into segments at headings and restarts."""
        seg: Segment | None = None
        for pos, it in enumerate(items):
            first = it.cells[0] if it.cells else ""
            fm = _FOOTNOTE_RE.match(first)
            if it.column == "header":
                self.units += [
                    (it.line, c.split("deliberata", 1)[1].strip())
                    for c in it.cells
                    if c.startswith("Aliquota") and "deliberata" in c
                ]
            elif heading_of(first):
                seg = self._heading(it, first, seg)
            elif fm and len(fm.group("text")) > 10:
                self.footnotes.append(
                    Footnote(
                        it.line, fm.group("mark").replace("\\", ""), fm.group("text").strip(), pos
                    )
                )
            else:
                seg = self._row(it, pos, seg)
        if seg:
            seg.ended_by = "end"

    def _heading(self, it: Item, first: str, seg: Segment | None) -> Segment:
        if unclosed_markup(first):
            self.ctx.warn(
                "heading-markup",
                f"intestazione di provincia con markup non chiuso: {first.strip()!r}",
                it.line,
            )
        if seg:
            seg.ended_by = "heading"
        printed, markup = heading_of(first)
        name = province_name(printed)
        if name is None:
            self.rec.reject(
                "province",
                it.line,
                "intestazione di provincia non riconosciuta "
                "(nome non presente tra le province del 1983)",
                _part(it),
            )
        seg = Segment(name, printed, markup, it.line)
        self.segments.append(seg)
        return seg

    def _row(self, it: Item, pos: int, seg: Segment | None) -> Segment | None:
        self.rec.candidate("aliquote", [it.line])
        if _TRAILER_RE.match(it.cells[0]) and not any(it.cells[1:]):
            self._reject(
                it, "codice dell'inserzione che chiude l'atto (non è una riga dell'elenco)"
            )
            return seg
        entry = self._entry(it, pos)
        if entry is None:
            return seg
        last = seg.entries[-1] if seg is not None and seg.entries else None
        if last:
            entry.number = read_number(entry.printed_number, last.number)
        if seg is None or (last and restarts(entry.number, entry.name, last.number, last.name)):
            if seg is not None:
                seg.ended_by = "restart"
            seg = Segment(None, None, None, None, break_line=entry.line)
            self.segments.append(seg)
        seg.entries.append(entry)
        self.entries.append(entry)
        return seg

    def _reject(self, it: Item, reason: str) -> None:
        self.rec.reject("aliquote", it.line, reason, _part(it))

    def _entry(self, it: Item, pos: int) -> Entry | None:
        cells = list(it.cells) + [""] * (3 - len(it.cells))
        m = _NUMBER_RE.match(cells[0])
        if not m:
            return self._reject(it, "riga non riconosciuta (manca il numero d'ordine)")
        name = strip_leaders(cells[1])
        if not name:
            return self._reject(it, "numero d'ordine senza nome del comune")
        r = _RATE_RE.match(cells[2])
        if not cells[2] or not r or not (r.group("num") or r.group("non") or r.group("mark")):
            return self._reject(it, f"aliquota non leggibile: {cells[2]!r}")
        mark = r.group("mark").replace("\\", "") if r.group("mark") else None
        if r.group("num"):
            rate, status = integer(r.group("num")), STATUS_SET
        elif r.group("non"):
            rate, status = None, STATUS_NOT_SET
        elif mark == "*":
            rate, status = None, STATUS_DEFERRED
        else:
            return self._reject(it, f"nota senza aliquota: {cells[2]!r}")
        return Entry(it.line, int(m.group(1)), cells[0], name, cells[2], rate, status, mark, pos)

    def _infer_headless(self) -> None:
        names = [n for n, _, _ in self.index]
        printed_before: str | None = None
        for i, seg in enumerate(self.segments):
            if seg.printed is None:
                after = next((s.province for s in self.segments[i + 1 :] if s.printed), None)
                seg.province, seg.evidence = infer_province(
                    seg, printed_before, after, names, self.ctx.registry
                )
            if seg.province:
                printed_before = seg.province

    def _link_footnotes(self) -> None:
        """Each marker to its note at the foot of the page, at most :data:`PAGE_SPAN` lines
        below (:mod:`generator.extract.footnotes`: reprints, ambiguous markers)."""
        groups = page_groups(self.footnotes)
        for e in (e for e in self.entries if e.marker):
            e.footnote, e.footnote_problem = note_for(groups, e.marker, e.pos, e.line, PAGE_SPAN)
            if e.footnote:
                e.footnote.users.append(e)

    # -- resolution
    def _resolve_all(self) -> list[Resolution]:
        """Resolve every entry (by the Italian part of a bilingual ``Italiano - Deutsch``
        name) among today's provinces of its 1983 province, then drop the matches the list
        contradicts (:func:`generator.extract.comuni.resolve_list`): "Camino" in the
        Viterbo list is Canino, not Camino in Alessandria; "Castellano" in Ancona is not
        Castelplanio, which has its own row; "20. Gualdo", "21. Gualdo": one is misprinted
        and neither keeps the code (:attr:`duplicates`, for the ``istat-unique`` check)."""
        rows = [
            Named(
                official_name(e.name),
                e.line,
                seg.province,
                PROVINCES_1983[seg.province][1] if seg.province else None,
                f"{e.number} {e.name}",
            )
            for seg in self.segments
            for e in seg.entries
        ]
        resolved, duplicates = resolve_list(self.ctx, rows)
        self.duplicates = {k: [self.entries[i] for i in v] for k, v in duplicates.items()}
        return resolved

    # -- output
    def _table(self, name: str, rows: list[dict]) -> Table:
        """Table ``name`` of the spec (``parser: true``) with the rows read here."""
        return specs.parser_table(self.spec, name, self.doc, self.ctx, [], self.rec, rows)

    def _note_table(self) -> Table:
        self.rec.candidate("note", [f.line for f in self.footnotes])
        return self._table(
            "note",
            [
                {
                    "id": f.id,
                    "richiamo": f.marker,
                    "testo": f.text,
                    "righe": str(f.line),
                    "righe_che_richiamano": len(f.users),
                    "ristampa_di": f.reprint_of,
                    **provenance(self.doc.id, f.line),
                }
                for f in self.footnotes
            ],
        )

    def _aliquote_table(self) -> Table:
        rows = []
        resolved = iter(self._resolve_all())
        for seg in self.segments:
            for e in seg.entries:
                res = next(resolved)
                e.istat = res.istat if res.ok else None
                rows.append(
                    {
                        "riga": len(rows) + 1,
                        "provincia": seg.printed or seg.province,
                        "sigla_provincia_1983": self.sigla(seg.province),
                        "n": e.number,
                        "n_stampato": e.printed_number,
                        "comune": e.name,
                        **resolution_fields(res),
                        "aliquota": e.rate,
                        "aliquota_stampata": e.rate_cell,
                        "stato": e.status,
                        "richiamo_nota": e.marker,
                        "nota": e.footnote.id if e.footnote else None,
                        **provenance(self.doc.id, e.line),
                    }
                )
        return self._table("aliquote", rows)

    def _province_table(self) -> Table:
        rows = []
        index_page = {n: p for n, p, _ in self.index}
        for name, p in self.provinces.items():
            printed, segs, numbering = p.printed, p.segs, p.numbering
            # an unknown province's headings are rejected: its row spans its entries
            lines = [s.heading_line for s in segs if s.heading_line and (name or not p.entries)]
            lines += [e.line for e in p.entries]
            rows.append(
                {
                    "provincia": printed.printed if printed else name,
                    "nome_provincia": name,
                    "sigla_provincia_1983": self.sigla(name),
                    "sigle_oggi": " ".join(PROVINCES_1983[name][1]) if name else None,
                    "intestazione": "stampata" if printed else "dedotta",
                    "formato_intestazione": printed.markup if printed else None,
                    "riga_intestazione": printed.heading_line if printed else None,
                    "prove_deduzione": "; ".join(s.evidence for s in segs if s.evidence) or None,
                    "pagina_indice": index_page.get(name),
                    "comuni_da_numerazione": numbering.top,
                    "comuni_letti": len(p.entries),
                    "n_massimo": numbering.top,
                    "numeri_mancanti": ranges(numbering.missing) or None,
                    "numeri_duplicati": " ".join(map(str, numbering.repeated)) or None,
                    "fuori_sequenza": len(numbering.disorder),
                    "completa": numbering.ok and segs[-1].ended_by != "restart",
                    **provenance(self.doc.id, min(lines), max(lines)),
                }
            )
        self.rec.summary("province", [s.heading_line for s in self.segments if s.heading_line])
        return self._table("province", rows)

    # -- checks
    def _check_document(self) -> None:
        rec = self.rec
        index_names = [n for n, _, _ in self.index]
        found = [n for n in self.provinces if n]
        idx_lines = [ln for _, _, ln in self.index] or [None]
        rec.check(
            "index:provinces",
            "Le province dell'elenco sono quelle dell'indice alfabetico",
            len(index_names),
            len(found),
            set(index_names) == set(found),
            (min(idx_lines), max(idx_lines)),
            only_in("indice", index_names, "elenco", found),
        )
        seen_order = [n for n in dict.fromkeys(s.province for s in self.segments) if n]
        expected = [n for n in index_names if n in seen_order]
        rec.check(
            "index:order",
            "Le province compaiono nell'ordine dell'indice",
            " ".join(self.sigla(n) for n in expected),
            " ".join(self.sigla(n) for n in seen_order),
            expected == seen_order,
            explanation="ordine diverso dall'indice",
        )
        for name, p in self.provinces.items():
            if name is not None:
                self._check_province(p)
        if None in self.provinces:
            p = self.provinces[None]
            rec.check(
                "province:unknown",
                "Ogni segmento dell'elenco ha una provincia",
                0,
                len(p.entries),
                False,
                (p.entries[0].line, p.entries[-1].line)
                if p.entries
                else (p.segs[0].heading_line, None),
                "; ".join(s.evidence for s in p.segs),
            )
        rec.absent(
            "istat-unique",
            "Nessun comune è nominato da due righe dell'elenco (le righe "
            "in conflitto restano senza codice)",
            [
                f"{k}: " + ", ".join(f"{e.name} (riga {e.line})" for e in v)
                for k, v in sorted(self.duplicates.items())
            ],
            str,
        )
        self._check_footnotes()
        self._check_avvertenza()
        self._check_rates()

    def _check_province(self, p: Province) -> None:
        rec, name, sg, entries, printed = self.rec, p.name, self.sigla(p.name), p.entries, p.printed
        lines = [e.line for e in entries]  # not in line order on two-column pages
        l0, l1 = (min(lines), max(lines)) if lines else (None, None)
        rec.check(
            f"heading:{sg}",
            f"Intestazione «PROVINCIA DI {name.upper()}» stampata",
            f"PROVINCIA DI {name.upper()}",
            printed.printed if printed else "mancante (dedotta)",
            printed is not None,
            (printed.heading_line, None) if printed else (l0, l1),
            "; ".join(s.evidence for s in p.segs if s.evidence),
        )
        lost = [e for e in entries if e.printed_number.rstrip(".") != str(e.number)]
        rec.absent(
            f"number-printed:{sg}",
            f"Numeri d'ordine stampati per intero ({name})",
            lost,
            lambda e: f"'{e.printed_number}' letto {e.number} ({e.name}, riga {e.line})",
            (lost[0].line, lost[-1].line) if lost else (l0, l1),
            ": la stampa ha perso la cifra iniziale; il numero segue il precedente e "
            "l'ordine alfabetico continua",
        )
        rec.sequence(
            f"numbering:{sg}",
            f"Numeri d'ordine 1..N continui ({name})",
            p.numbering.numbers,
            (l0, l1),
            p.numbering.explain(lambda e: f"{e.number} {e.name} (riga {e.line})"),
            declared_last=p.numbering.top,
        )
        ended_by = p.segs[-1].ended_by
        rec.check(
            f"tail:{sg}",
            f"L'elenco di {name} è chiuso dall'intestazione della "
            "provincia seguente o dalla fine del documento",
            "intestazione o fine",
            ended_by,
            ended_by != "restart",
            (l1, None),
            f"dopo il n. {entries[-1].number if entries else '?'} la numerazione riparte "
            "senza intestazione: la fine della lista può mancare e il conteggio derivato "
            "è un minimo",
        )
        inversions = [
            f"{a.number} {a.name} > {b.number} {b.name} (riga {b.line})"
            for a, b in zip(entries, entries[1:])
            if b.number == a.number + 1 and alpha_key(b.name) < alpha_key(a.name)
        ]
        rec.absent(
            f"alphabetical:{sg}", f"Comuni in ordine alfabetico ({name})", inversions, str, (l0, l1)
        )

    def _check_footnotes(self) -> None:
        for name, p in self.provinces.items():
            marked = [e for e in p.entries if e.marker]
            if not marked or name is None:
                continue
            linked = [e for e in marked if e.footnote]
            self.rec.equal(
                f"markers:{self.sigla(name)}",
                f"Ogni richiamo di nota ha la sua nota in calce alla pagina ({name})",
                len(marked),
                len(linked),
                (marked[0].line, marked[-1].line),
                "; ".join(
                    f"({e.marker}) {e.name} riga {e.line}: {e.footnote_problem}"
                    for e in marked
                    if not e.footnote
                ),
            )
        by_id = {f.id: f for f in self.footnotes}
        for f in self.footnotes:
            users = by_id[f.reprint_of].users if f.reprint_of else f.users
            self.rec.check(
                f"footnote-used:{f.line}",
                f"La nota ({f.marker}) è richiamata da almeno un comune della pagina",
                ">=1",
                len(users),
                bool(users),
                (f.line, None),
                "nessun comune della pagina è collegato a questa "
                f"nota ({f.marker}): richiamo perso nel testo o reso ambiguo",
                note=f"ristampa della nota {f.reprint_of}" if f.reprint_of and users else "",
            )

    def _check_avvertenza(self) -> None:
        deferred: dict[str | None, list[Entry]] = {}
        for name, p in self.provinces.items():
            for e in p.entries:
                if e.status == STATUS_DEFERRED:
                    deferred.setdefault(name, []).append(e)
        for name, decl in self.avvertenza.items():
            sg = self.sigla(name) if name in PROVINCES_1983 else normalise(name)
            got = deferred.get(name, [])
            if decl["all"]:
                entries = self.provinces[name].entries if name in self.provinces else []
                want, declared = (
                    {alpha_key(e.name) for e in entries},
                    f"tutti i comuni ({len(entries)})",
                )
            else:
                want, declared = {alpha_key(n) for n in decl["names"]}, len(decl["names"])
            have = {alpha_key(official_name(e.name)): e for e in got}
            only_decl, only_list = sorted(want - set(have)), sorted(set(have) - want)
            by_code = (
                []
                if decl["all"]
                else self._same_comune(name, decl["names"], have, only_decl, only_list)
            )
            explanation = "; ".join(
                filter(
                    None,
                    [
                        only_in("Avvertenza", only_decl, "elenco", only_list),
                        "stesso comune con grafia diversa: " + ", ".join(by_code)
                        if by_code
                        else "",
                    ],
                )
            )
            passed = not only_decl and not only_list  # a passing one says how
            self.rec.check(
                f"avvertenza:{sg}",
                f"I comuni con (*) sono quelli elencati nell'Avvertenza ({name})",
                declared,
                len(got),
                passed,
                (decl["line"], None),
                explanation,
                note=explanation if passed else "",
            )
        extra = [e for n, es in deferred.items() if n not in self.avvertenza for e in es]
        self.rec.absent(
            "avvertenza:others",
            "Nessun comune fuori dall'Avvertenza porta (*)",
            extra,
            lambda e: f"{e.name} riga {e.line}",
            (extra[0].line, None) if extra else None,
        )

    def _same_comune(self, name, names, have, only_decl, only_list) -> list[str]:
        """Names only in the Avvertenza and only in the list that resolve to the same code:
        the same comune spelled differently (removed from both lists, returned as pairs)."""
        if not (only_decl and only_list):
            return []
        hint = PROVINCES_1983[name][1] if name in PROVINCES_1983 else None
        codes = {}
        for n in names:
            r = self.ctx.registry.resolve(n, province=hint)
            if alpha_key(n) in only_decl and r.ok:
                codes[r.istat] = n
        pairs = []
        for k in list(only_list):
            e = have[k]
            if e.istat and e.istat in codes:
                pairs.append(f"{codes[e.istat]} = {e.name} ({e.istat})")
                only_decl.remove(alpha_key(codes.pop(e.istat)))
                only_list.remove(k)
        return pairs

    def _check_rates(self) -> None:
        odd = [e for e in self.entries if e.rate is not None and e.rate not in RATE_DOMAIN]
        self.rec.check(
            "rate-domain",
            "Ogni aliquota è 8, 12, 16 o 20 per cento (art. 19 d.l. 55/1983)",
            "8 12 16 20",
            " ".join(str(r) for r in sorted({e.rate for e in self.entries if e.rate is not None})),
            not odd,
            (odd[0].line, None) if odd else None,
            "; ".join(f"{e.name} {e.rate_cell} riga {e.line}" for e in odd),
        )
        units = sorted({u for _, u in self.units})
        odd_units = [(n, u) for n, u in self.units if u != UNIT_DECLARED]
        self.rec.check(
            "column-unit",
            "Ogni intestazione di colonna dichiara l'aliquota in per cento",
            UNIT_DECLARED,
            " ".join(repr(u) for u in units),
            not odd_units,
            (odd_units[0][0], odd_units[-1][0]) if odd_units else None,
            "; ".join(f"riga {n}: {u or 'unità mancante'}" for n, u in odd_units),
        )
