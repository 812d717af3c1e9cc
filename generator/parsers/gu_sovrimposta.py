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
  whole right column (:func:`reading_order`). A left and a right column can belong to
  different provinces; in reading order every entry follows its own heading.
* Province headings come as ``## PROVINCIA DI X``, ``**PROVINCIA DI X**``, ``<b>...</b>``
  or plain capitals. A heading can be missing: a restart of the order numbers (a lower
  number *and* an alphabetically earlier name) without a heading opens a headless segment,
  whose province is inferred from the index (the provinces listed between its neighbours)
  and from the provinces of the comuni it names (:func:`infer_province`).
* Order numbers run 1..N per province, in alphabetical order of the names: they prove
  completeness (gaps, duplicates and out-of-order numbers are reported as checks).

Every parse is checked against what the document declares: the index of provinces, the
order numbers, the alphabetical order, each page's footnotes, the Avvertenza's list of
deferred comuni and the rate domain set by the law.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..quality import Check, Reject
from ..registry import Resolution, normalise
from .base import (COMUNE_FK, RESOLUTION_FIELDS, Dataset, ParseResult, Parser, Table,
                   parse_it_number, provenance, resolution_fields)

DATASET = "sovrimposta-fabbricati-1983"

# The 95 provinces of 1983: name as in the document's index -> (sigla in 1983, the sigle
# of today's provinces its comuni belong to). Provinces created since 1983 took comuni
# from these: Biella (1992, from Vercelli), Verbano-Cusio-Ossola (1992, Novara), Lecco
# (1992, Como and Bergamo), Lodi (1992, Milano), Crotone and Vibo Valentia (1992,
# Catanzaro), Prato (1992, Firenze), Rimini (1992, Forlì; 2009 and 2021 comuni of Pesaro
# e Urbino), Monza e Brianza, Fermo and Barletta-Andria-Trani (2004/2009, from Milano,
# Ascoli Piceno, Bari and Foggia), and the Sardinian reorganisations (2005, 2016: today's
# Sud Sardegna, and Nuoro/Sassari absorbing Ogliastra and Olbia-Tempio).
PROVINCES_1983: dict[str, tuple[str, tuple[str, ...]]] = {
    "Agrigento": ("AG", ("AG",)), "Alessandria": ("AL", ("AL",)),
    "Ancona": ("AN", ("AN",)), "Aosta": ("AO", ("AO",)), "Arezzo": ("AR", ("AR",)),
    "Ascoli Piceno": ("AP", ("AP", "FM")), "Asti": ("AT", ("AT",)),
    "Avellino": ("AV", ("AV",)), "Bari": ("BA", ("BA", "BT")), "Belluno": ("BL", ("BL", "UD")),
    "Benevento": ("BN", ("BN",)), "Bergamo": ("BG", ("BG", "LC")), "Bologna": ("BO", ("BO",)),
    "Bolzano/Bozen": ("BZ", ("BZ",)), "Brescia": ("BS", ("BS",)), "Brindisi": ("BR", ("BR",)),
    "Cagliari": ("CA", ("CA", "SU", "OR", "NU")), "Caltanissetta": ("CL", ("CL",)),
    "Campobasso": ("CB", ("CB",)), "Caserta": ("CE", ("CE",)), "Catania": ("CT", ("CT",)),
    "Catanzaro": ("CZ", ("CZ", "KR", "VV")), "Chieti": ("CH", ("CH",)),
    "Como": ("CO", ("CO", "LC")), "Cosenza": ("CS", ("CS",)), "Cremona": ("CR", ("CR",)),
    "Cuneo": ("CN", ("CN",)), "Enna": ("EN", ("EN",)), "Ferrara": ("FE", ("FE",)),
    "Firenze": ("FI", ("FI", "PO")), "Foggia": ("FG", ("FG", "BT")),
    "Forlì": ("FO", ("FC", "RN")), "Frosinone": ("FR", ("FR",)), "Genova": ("GE", ("GE",)),
    "Gorizia": ("GO", ("GO",)), "Grosseto": ("GR", ("GR",)), "Imperia": ("IM", ("IM",)),
    "Isernia": ("IS", ("IS",)), "L'Aquila": ("AQ", ("AQ",)), "La Spezia": ("SP", ("SP",)),
    "Latina": ("LT", ("LT",)), "Lecce": ("LE", ("LE",)), "Livorno": ("LI", ("LI",)),
    "Lucca": ("LU", ("LU",)), "Macerata": ("MC", ("MC",)), "Mantova": ("MN", ("MN",)),
    "Massa Carrara": ("MS", ("MS",)), "Matera": ("MT", ("MT",)),
    "Messina": ("ME", ("ME",)), "Milano": ("MI", ("MI", "MB", "LO")),
    "Modena": ("MO", ("MO",)), "Napoli": ("NA", ("NA",)), "Novara": ("NO", ("NO", "VB")),
    "Nuoro": ("NU", ("NU", "OR", "SS", "SU")), "Oristano": ("OR", ("OR", "SU", "NU")),
    "Padova": ("PD", ("PD",)), "Palermo": ("PA", ("PA",)), "Parma": ("PR", ("PR",)),
    "Pavia": ("PV", ("PV",)), "Perugia": ("PG", ("PG",)), "Pesaro": ("PS", ("PU", "RN")),
    "Pescara": ("PE", ("PE",)), "Piacenza": ("PC", ("PC",)), "Pisa": ("PI", ("PI",)),
    "Pistoia": ("PT", ("PT",)), "Pordenone": ("PN", ("PN",)), "Potenza": ("PZ", ("PZ",)),
    "Ragusa": ("RG", ("RG",)), "Ravenna": ("RA", ("RA",)),
    "Reggio Calabria": ("RC", ("RC",)), "Reggio Emilia": ("RE", ("RE",)),
    "Rieti": ("RI", ("RI",)), "Roma": ("RM", ("RM",)), "Rovigo": ("RO", ("RO",)),
    "Salerno": ("SA", ("SA",)), "Sassari": ("SS", ("SS",)), "Savona": ("SV", ("SV",)),
    "Siena": ("SI", ("SI",)), "Siracusa": ("SR", ("SR",)), "Sondrio": ("SO", ("SO",)),
    "Taranto": ("TA", ("TA",)), "Teramo": ("TE", ("TE",)), "Terni": ("TR", ("TR",)),
    "Torino": ("TO", ("TO",)), "Trapani": ("TP", ("TP",)), "Trento": ("TN", ("TN",)),
    "Treviso": ("TV", ("TV",)), "Trieste": ("TS", ("TS",)), "Udine": ("UD", ("UD",)),
    "Varese": ("VA", ("VA",)), "Venezia": ("VE", ("VE",)), "Vercelli": ("VC", ("VC", "BI")),
    "Verona": ("VR", ("VR",)), "Vicenza": ("VI", ("VI",)), "Viterbo": ("VT", ("VT",)),
}
# Lookup by normalised name; "Bolzano" (as the Avvertenza writes it) too.
_PROVINCE_KEYS = {normalise(n): n for n in PROVINCES_1983}
_PROVINCE_KEYS.update({normalise(n.split("/")[0]): n for n in PROVINCES_1983 if "/" in n})

# A printed page holds two columns of about 65 lines: a footnote more than this many lines
# below a marked row is not on the row's page.
PAGE_SPAN = 140
RATE_DOMAIN = {8, 12, 16, 20}   # art. 19, 2nd par., d.l. 55/1983: "8 o 12 o 16 o 20 per cento"
UNIT_DECLARED = "%"

STATUS_SET = "istituita"
STATUS_NOT_SET = "non istituita"
STATUS_DEFERRED = "elenco integrativo"

_HEADER_RE = re.compile(r"^Numero\b")
_HEADING_RE = re.compile(r"^PROVINCIA DI\s+(?P<name>[A-ZÀ-Ý' /]+?)\s*\.?$")
_MARKUP_RE = re.compile(r"^(#+)\s*|^\*\*|\*\*$|</?b>", re.I)
_FOOTNOTE_RE = re.compile(r"^\((?P<mark>\\?\*|[A-Z0-9]{1,2})\)\s+(?P<text>\S.*)$")
_NUMBER_RE = re.compile(r"^(\d{1,3})\.$")
_RATE_RE = re.compile(r"^(?:(?P<num>\d{1,3})|(?P<non>non\s+istituita))?\s*"
                      r"(?:\((?P<mark>\\?\*|[A-Z0-9]{1,2})\))?$")
_TRAILER_RE = re.compile(r"^\(\d{3,}\)$")      # the insertion code closing the act, "(5447)"
_LEADERS_RE = re.compile(r"(?:\s*\.){3,}\s*$")  # dot leaders "Agrigento . . . . ."


# -- reading the layout ---------------------------------------------------------------
@dataclass
class Item:
    """One column cell-triple in reading order."""
    line: int
    column: str          # "left", "right", "single" or "header"
    cells: tuple[str, ...]


def split_cells(text: str) -> list[str]:
    return [c.strip() for c in text.split("\t")]


def reading_order(lines: list[tuple[int, str]]) -> list[Item]:
    """Cell triples of the table region in reading order.

    Lines of four or more cells hold two columns side by side; a run of such lines is
    read as its whole left column, then its whole right column. Blank lines do not break
    a run. One-column lines that follow a run inside the same printed block (a *tail*)
    sit at the foot of one of the two columns: the order numbers say which (see
    :func:`_place_tail`). Footnotes go to the end of their block (the foot of the page).
    """
    items: list[Item] = []
    pieces: list = []          # ("run", left, right) | ("single", item), current block
    notes: list[Item] = []     # one-column footnote lines of the current block
    run: list[tuple[int, list[str]]] = []

    def close_run():
        if run:
            left = [Item(n, "left", tuple(c[0:3])) for n, c in run if any(c[0:3])]
            right = [Item(n, "right", tuple(c[3:6])) for n, c in run if any(c[3:6])]
            pieces.append(("run", left, right))
            run.clear()

    def close_block():
        close_run()
        i = 0
        while i < len(pieces):
            if pieces[i][0] == "run":
                j = i + 1
                while j < len(pieces) and pieces[j][0] == "single":
                    j += 1
                tail = [p[1] for p in pieces[i + 1:j]]
                items.extend(_place_tail(pieces[i][1], pieces[i][2], tail))
                i = j
            else:
                items.append(pieces[i][1])
                i += 1
        items.extend(notes)
        pieces.clear()
        notes.clear()

    for n, text in lines:
        cells = split_cells(text)
        if not any(cells):
            continue
        if _HEADER_RE.match(cells[0]):
            close_block()
            items.append(Item(n, "header", tuple(cells)))
        elif len(cells) >= 4:
            run.append((n, cells + [""] * (6 - len(cells))))
        else:
            close_run()
            item = Item(n, "single", tuple(cells))
            if _FOOTNOTE_RE.match(cells[0]):
                notes.append(item)
            else:
                pieces.append(("single", item))
    close_block()
    return items


def _place_tail(left: list[Item], right: list[Item], tail: list[Item]) -> list[Item]:
    """Order a two-column run and the one-column lines printed after it.

    The tail belongs to the foot of the left column (``left, tail, right``) when that
    makes the order numbers continue where they would otherwise break: e.g. a left
    column ending at 157, a tail "PROVINCIA DI CHIETI, 1..13" and a right column
    starting at 14. Otherwise the text order stands (``left, right, tail``).
    """
    if not tail or not right:
        return left + right + tail

    def joins(a: list[Item], b: list[Item]) -> int:
        """1 when ``b`` continues ``a``: it opens with a heading, or with number last+1."""
        first = next((it for it in b if it.cells and it.cells[0]), None)
        if first is None or heading_of(first.cells[0]):
            return 1
        nb = _number(first.cells[0])
        na = next((_number(it.cells[0]) for it in reversed(a)
                   if _number(it.cells[0]) is not None), None)
        return int(nb is not None and na is not None and nb == na + 1)

    as_printed = joins(left, right) + joins(right, tail)
    tail_left = joins(left, tail) + joins(tail, right)
    return left + tail + right if tail_left > as_printed else left + right + tail


def _number(cell: str) -> int | None:
    m = _NUMBER_RE.match(cell.strip())
    return int(m.group(1)) if m else None


def clean_name(cell: str) -> str:
    return _LEADERS_RE.sub("", cell).strip()


def heading_of(cell: str) -> tuple[str, str] | None:
    """``('CREMONA', 'markdown-h2')`` when the cell is a province heading."""
    s = cell.strip()
    markup = "plain"
    if s.startswith("#"):
        markup = f"markdown-h{len(s) - len(s.lstrip('#'))}"
    elif s.startswith("**"):
        markup = "bold"
    elif s.lower().startswith("<b>"):
        markup = "html-bold"
    s = _MARKUP_RE.sub("", s).strip()
    s = _MARKUP_RE.sub("", s).strip()
    m = _HEADING_RE.match(s)
    return (m.group("name").strip(), markup) if m else None


def province_name(printed: str) -> str | None:
    """The index name of a 1983 province from its name as printed, or None."""
    return _PROVINCE_KEYS.get(normalise(printed))


def official_name(printed: str) -> str:
    """The name to resolve: the Italian part of a bilingual ``Italiano - Deutsch`` name."""
    return printed.split(" - ", 1)[0].strip() if " - " in printed else printed


def alpha_key(name: str) -> str:
    """Sort key of the list: case, accents, spaces and apostrophes ignored."""
    return normalise(name).replace(" ", "")


# -- parsed structure -----------------------------------------------------------------
@dataclass
class Entry:
    line: int
    number: int                    # order number as read (see :func:`_read_number`)
    printed_number: str            # order number cell as printed, e.g. "01."
    name: str
    rate_cell: str
    rate: int | None
    status: str
    marker: str | None
    pos: int                       # position in reading order
    footnote: "Footnote | None" = None
    footnote_problem: str = ""     # why a marker has no footnote (none on the page, ambiguous)
    istat: str | None = None       # set when the row is resolved


@dataclass
class Footnote:
    line: int
    marker: str
    text: str
    pos: int
    users: list[Entry] = field(default_factory=list)
    reprint_of: str | None = None   # id of the same note printed earlier on the same page

    @property
    def id(self) -> str:
        return f"n{self.line}"


@dataclass
class Segment:
    """The entries between two headings (or a heading and a restart of the numbering)."""
    province: str | None            # index name of the 1983 province, None if unknown
    printed: str | None             # heading as printed (None: no heading)
    markup: str | None
    heading_line: int | None
    entries: list[Entry] = field(default_factory=list)
    evidence: str = ""              # how a headless segment's province was inferred
    break_line: int | None = None   # headless: line where the numbering restarted
    ended_by: str = "heading"       # heading | restart | end


def parse_index(lines: list[tuple[int, str]]) -> list[tuple[str, int | None, int]]:
    """The ``INDICE ALFABETICO PER PROVINCIA``: ``[(name, page, line)]`` in reading order."""
    left, right = [], []
    for n, text in lines:
        cells = split_cells(text)
        for side, lo in ((left, 0), (right, 2)):
            if len(cells) > lo and cells[lo]:
                page = re.search(r"\d+", cells[lo + 1]) if len(cells) > lo + 1 else None
                side.append((clean_name(cells[lo]), int(page.group()) if page else None, n))
    return left + right


def parse_avvertenza(lines: list[tuple[int, str]]) -> dict[str, dict]:
    """The comuni deferred to the supplementary list: ``{province: {names, all, line}}``."""
    out: dict[str, dict] = {}
    for n, text in lines:
        t = text.strip().rstrip(";.").strip()
        m = re.match(r"^tutti i comuni della provincia di (.+)$", t, re.I)
        if m:
            out[province_name(m.group(1)) or m.group(1)] = {"all": True, "names": [], "line": n}
            continue
        m = re.match(r"^i comuni di (.+) in provincia di (.+)$", t, re.I)
        if m:
            names = [x.strip() for x in m.group(1).split(",") if x.strip()]
            out[province_name(m.group(2)) or m.group(2)] = {"all": False, "names": names,
                                                             "line": n}
    return out


def infer_province(seg: Segment, before: str | None, after: str | None,
                   index_names: list[str], registry) -> tuple[str | None, str]:
    """Province of a headless segment from two independent lines of evidence.

    1. the index: the provinces listed between the province before the segment and the
       next printed heading after it;
    2. the comuni: exact/normalised resolution (no fuzzy) of the segment's names, voted by
       today's province and mapped back to the 1983 provinces.
    Accepted only when the index leaves exactly one candidate and every resolved comune
    belongs to it.
    """
    order = {n: i for i, n in enumerate(index_names)}
    lo = order.get(before, -1) if before else -1
    hi = order.get(after, len(index_names)) if after else len(index_names)
    between = index_names[lo + 1:hi]
    votes: Counter = Counter()
    resolved = 0
    for e in seg.entries:
        r = registry.resolve(e.name, fuzzy=False)
        if r.ok:
            resolved += 1
            sigla = registry.get(r.istat).province_sigla
            for name, (_, today) in PROVINCES_1983.items():
                if sigla in today:
                    votes[name] += 1
    first, last = seg.entries[0], seg.entries[-1]
    evidence = (f"numerazione che riparte senza intestazione (riga {seg.break_line}: "
                f"n. {first.number} {first.name}, dopo {before or 'inizio'}); "
                f"indice tra {before or 'inizio'} e {after or 'fine'}: "
                f"{', '.join(between) or 'nessuna provincia'}; "
                f"comuni risolti senza fuzzy: {resolved}/{len(seg.entries)}, per provincia "
                f"{', '.join(f'{k} {v}' for k, v in votes.most_common(3)) or '-'}; "
                f"righe {first.line}-{last.line}")
    if len(between) == 1 and resolved and votes.get(between[0], 0) == resolved:
        return between[0], evidence
    return None, evidence


# -- the parser -----------------------------------------------------------------------
class GuSovrimpostaParser(Parser):
    family = "gu_sovrimposta"
    version = "1"

    def parse(self, doc, ctx) -> ParseResult:
        return _Parse(doc, ctx).run()


class _Parse:
    def __init__(self, doc, ctx):
        self.doc, self.ctx = doc, ctx
        self.result = ParseResult()
        self.lines = list(doc.numbered())

    # -- helpers
    def check(self, id, description, declared, parsed, passed, line_start=None, line_end=None,
              explanation=""):
        self.result.checks.append(Check(id, description, declared, parsed, bool(passed),
                                        self.doc.id, line_start, line_end or line_start,
                                        explanation))

    def reject(self, line, text, reason, table="aliquote"):
        self.result.rejects.append(Reject(self.doc.id, line, text, reason, table))

    def sigla(self, province: str | None) -> str | None:
        return PROVINCES_1983[province][0] if province else None

    # -- stages
    def run(self) -> ParseResult:
        start = next((n for n, t in self.lines if _HEADER_RE.match(t) and "COMUNI" in t), None)
        if start is None:
            self.ctx.error("gu-no-table", "no column header 'Numero d'ordine ... COMUNI' found")
            return self.result
        self.index = self._front_matter_index(start)
        self.avvertenza = parse_avvertenza(self.lines[:start])
        # The list ends at the insertion code "(5447)"; what follows is the Gazzetta's
        # colophon (its editors' names), which is not part of the act.
        end = next((n for n, t in self.lines[start:]
                    if any(_TRAILER_RE.match(c) for c in split_cells(t))), len(self.lines))
        items = reading_order(self.lines[start - 1:end])
        self.units: list[tuple[int, str]] = []
        self.entries: list[Entry] = []
        self.footnotes: list[Footnote] = []
        self.segments: list[Segment] = []
        self.candidate_lines: set[int] = set()
        self.duplicates: dict[str, list[Entry]] = {}
        self._walk(items)
        self._infer_headless()
        self._link_footnotes()
        self.result.datasets.append(self._dataset())
        self._check_document()
        return self.result

    def _front_matter_index(self, start: int) -> list[tuple[str, int | None, int]]:
        at = next((n for n, t in self.lines[:start] if "INDICE ALFABETICO" in t.upper()), None)
        if at is None:
            return []
        rows = [(n, t) for n, t in self.lines[at:start - 1] if t.strip()]
        return parse_index(rows)

    def _walk(self, items: list[Item]) -> None:
        """Classify every cell triple; cut the stream into segments at headings and restarts."""
        seg: Segment | None = None
        for pos, it in enumerate(items):
            first = it.cells[0] if it.cells else ""
            if it.column == "header":
                self.units += [(it.line, c.split("deliberata", 1)[1].strip())
                               for c in it.cells if c.startswith("Aliquota")
                               and "deliberata" in c]
                continue
            head = heading_of(first)
            if head:
                raw = first.strip()
                if (raw.startswith("**") and not raw.endswith("**")) or \
                        (raw.lower().startswith("<b>") and "</b>" not in raw.lower()):
                    self.ctx.warn("heading-markup", f"intestazione di provincia con markup non "
                                  f"chiuso: {raw!r}", it.line)
                if seg:
                    seg.ended_by = "heading"
                name = province_name(head[0])
                if name is None:
                    self.reject(it.line, first, "intestazione di provincia non riconosciuta "
                                                "(nome non presente tra le province del 1983)",
                                "province")
                seg = Segment(name, head[0], head[1], it.line)
                self.segments.append(seg)
                continue
            fm = _FOOTNOTE_RE.match(first)
            if fm and len(fm.group("text")) > 10:
                self.footnotes.append(Footnote(it.line, _marker(fm.group("mark")),
                                               fm.group("text").strip(), pos))
                continue
            self.candidate_lines.add(it.line)
            if _TRAILER_RE.match(first) and not any(it.cells[1:]):
                self.reject(it.line, first, "codice dell'inserzione che chiude l'atto "
                                            "(non è una riga dell'elenco)")
                continue
            entry = self._entry(it, pos)
            if entry is None:
                continue
            if seg is not None and seg.entries:
                entry.number = _read_number(entry.printed_number, seg.entries[-1].number)
            if seg is None or (seg.entries and entry.number < seg.entries[-1].number
                               and alpha_key(entry.name) < alpha_key(seg.entries[-1].name)):
                if seg is not None:
                    seg.ended_by = "restart"
                seg = Segment(None, None, None, None, break_line=entry.line)
                self.segments.append(seg)
            seg.entries.append(entry)
            self.entries.append(entry)
        if seg:
            seg.ended_by = "end"

    def _entry(self, it: Item, pos: int) -> Entry | None:
        cells = list(it.cells) + [""] * (3 - len(it.cells))
        raw = "\t".join(c for c in it.cells if c)
        m = _NUMBER_RE.match(cells[0])
        if not m:
            self.reject(it.line, raw, "riga non riconosciuta (manca il numero d'ordine)")
            return None
        name = clean_name(cells[1])
        if not name:
            self.reject(it.line, raw, "numero d'ordine senza nome del comune")
            return None
        r = _RATE_RE.match(cells[2])
        if not cells[2] or not r or not (r.group("num") or r.group("non") or r.group("mark")):
            self.reject(it.line, raw, f"aliquota non leggibile: {cells[2]!r}")
            return None
        mark = _marker(r.group("mark")) if r.group("mark") else None
        if r.group("num"):
            rate, status = int(parse_it_number(r.group("num"))), STATUS_SET
        elif r.group("non"):
            rate, status = None, STATUS_NOT_SET
        elif mark == "*":
            rate, status = None, STATUS_DEFERRED
        else:
            self.reject(it.line, raw, f"nota senza aliquota: {cells[2]!r}")
            return None
        return Entry(it.line, int(m.group(1)), cells[0], name, cells[2], rate, status,
                     mark, pos)

    def _infer_headless(self) -> None:
        names = [n for n, _, _ in self.index]
        printed_before: str | None = None
        for i, seg in enumerate(self.segments):
            if seg.printed is None:
                after = next((s.province for s in self.segments[i + 1:] if s.printed), None)
                seg.province, seg.evidence = infer_province(
                    seg, printed_before, after, names, self.ctx.registry)
            if seg.province:
                printed_before = seg.province

    def _link_footnotes(self) -> None:
        """A marker refers to the footnote with that marker in the first group of footnotes
        printed after it (the foot of its page), at most :data:`PAGE_SPAN` lines below.

        Two footnotes of a group with the same marker and the same text are one note
        printed twice (once per column): rows link to the first, the second records it
        in ``reprint_of``. With the same marker and different texts the marker is
        ambiguous and is left unlinked (reported).
        """
        groups: list[list[Footnote]] = []
        for f in self.footnotes:
            if groups and f.pos == groups[-1][-1].pos + 1:
                groups[-1].append(f)
            else:
                groups.append([f])
        for g in groups:
            for i, f in enumerate(g):
                f.reprint_of = next((x.id for x in g[:i] if x.marker == f.marker
                                     and normalise(x.text) == normalise(f.text)), None)
        for e in self.entries:
            if not e.marker:
                continue
            group = next((g for g in groups if g[0].pos > e.pos), None)
            if group is None or group[0].line - e.line > PAGE_SPAN:
                e.footnote_problem = f"nessuna nota ({e.marker}) in calce alla pagina"
                continue
            same = [f for f in group if f.marker == e.marker and f.reprint_of is None]
            if len(same) == 1:
                e.footnote = same[0]
                same[0].users.append(e)
            elif not same:
                e.footnote_problem = f"nessuna nota ({e.marker}) in calce alla pagina"
            else:
                e.footnote_problem = (f"richiamo ambiguo: la pagina stampa {len(same)} note "
                                      f"({e.marker}) con testi diversi "
                                      f"(righe {', '.join(str(f.line) for f in same)})")

    # -- output
    def _dataset(self) -> Dataset:
        by_province = self._by_province()
        aliquote = self._aliquote_table()
        note = Table(
            name="note", title="Note in calce",
            description="Le note a piè di pagina dell'elenco, una riga per nota stampata "
                        "(il testo può variare da pagina a pagina). Il richiamo nella colonna "
                        "dell'aliquota rinvia alla nota della stessa pagina.",
            fields=[
                {"name": "id", "type": "string", "title": "Id nota",
                 "description": "n + riga del testo in cui la nota è stampata",
                 "constraints": {"required": True, "unique": True}},
                {"name": "marker", "type": "string", "title": "Richiamo",
                 "description": "Il richiamo come stampato: A, Y, 1, 4, * ..."},
                {"name": "text", "type": "string", "title": "Testo della nota"},
                {"name": "lines", "type": "string", "title": "Righe",
                 "description": "Riga (o righe) del testo in cui la nota è stampata"},
                {"name": "rows_referring", "type": "integer", "title": "Comuni richiamati",
                 "description": "Quanti comuni della stessa pagina portano il richiamo"},
                {"name": "reprint_of", "type": "string", "title": "Ristampa di",
                 "description": "Id della stessa nota già stampata in calce alla stessa pagina"},
            ],
            rows=[{"id": f.id, "marker": f.marker, "text": f.text, "lines": str(f.line),
                   "rows_referring": len(f.users), "reprint_of": f.reprint_of,
                   **provenance(self.doc.id, f.line)}
                  for f in self.footnotes],
            primary_key=["id"], lines_in=len(self.footnotes))
        province = self._province_table(by_province)
        return Dataset(
            name=DATASET,
            title="Sovrimposta comunale sul reddito dei fabbricati 1983: aliquote deliberate",
            description="Elenco dei comuni, per provincia, con l'aliquota della sovrimposta "
                        "comunale sul reddito dei fabbricati deliberata per il 1983 "
                        "(D.M. 24 ottobre 1983, Gazzetta Ufficiale del 24 ottobre 1983).",
            tables=[aliquote, note, province], programme="sovrimposta-fabbricati-1983",
            keywords=["sovrimposta", "fabbricati", "fiscalità locale", "1983"])

    def _resolve_all(self) -> dict[int, Resolution]:
        """Resolve every entry, then drop the matches the document itself contradicts.

        * a match outside the 1983 province (its comuni are today in the provinces listed
          in :data:`PROVINCES_1983`): the registry resolves a name unique in Italy even in
          another province, but here the list puts it in this one ("Camino" in the Viterbo
          list is Canino, not Camino in Alessandria);
        * a fuzzy match to a comune that another row of the same province names exactly:
          each comune is listed once ("Castellano" in Ancona is not Castelplanio, which has
          its own row);
        * any other code given to two rows: one of them is misprinted ("20. Gualdo",
          "21. Gualdo") and nothing says which, so neither keeps the code (they are listed
          in :attr:`duplicates` for the ``istat-unique`` check).
        Dropped matches stay in the resolution log as unresolved, with the reason.
        """
        out: dict[int, tuple[Resolution, int]] = {}
        for seg in self.segments:
            today = PROVINCES_1983[seg.province][1] if seg.province else None
            for e in seg.entries:
                res = self.ctx.resolve(official_name(e.name), e.line, province=today)
                out[id(e)] = (res, len(self.ctx.resolutions) - 1)
                if res.ok and today:
                    c = self.ctx.registry.get(res.istat)
                    if c is not None and c.province_sigla not in today:
                        self._drop(out, e, f"scartato: {res.name} ({c.province_sigla}) è fuori "
                                           f"dalla provincia dell'elenco ({'/'.join(today)})")
        for segs in self._by_province().values():
            st = [e for seg in segs for e in seg.entries]
            certain: dict[str, Entry] = {}
            for e in st:
                res = out[id(e)][0]
                if res.ok and res.method != "fuzzy":
                    certain.setdefault(res.istat, e)
            for e in st:
                res = out[id(e)][0]
                if res.ok and res.method == "fuzzy" and res.istat in certain:
                    other = certain[res.istat]
                    self._drop(out, e, f"scartato: {res.name} ha già la sua riga "
                                       f"({other.number} {other.name}, riga {other.line})")
        groups: dict[str, list[Entry]] = {}
        for e in self.entries:
            if out[id(e)][0].ok:
                groups.setdefault(out[id(e)][0].istat, []).append(e)
        self.duplicates = {k: v for k, v in groups.items() if len(v) > 1}
        for istat, es in self.duplicates.items():
            for e in es:
                others = ", ".join(f"riga {o.line}" for o in es if o is not e)
                self._drop(out, e, f"scartato: {out[id(e)][0].name} è nominato anche alla "
                                   f"{others}; non si sa quale riga sia giusta")
        return {k: v[0] for k, v in out.items()}

    def _drop(self, out: dict, e: Entry, why: str) -> None:
        res, i = out[id(e)]
        rec = self.ctx.resolutions[i]
        rec.status, rec.istat, rec.name, rec.method, rec.note = ("unresolved", None, None,
                                                                 None, why)
        rec.candidates = [res.istat]
        out[id(e)] = (Resolution(res.query, "unresolved", score=res.score,
                                 candidates=[res.istat], note=why), i)

    def _aliquote_table(self) -> Table:
        rows = []
        resolved = self._resolve_all()
        for seg in self.segments:
            sigla = self.sigla(seg.province)
            for e in seg.entries:
                res = resolved[id(e)]
                e.istat = res.istat if res.ok else None
                rows.append({
                    "row": len(rows) + 1,
                    "province": seg.printed or seg.province,
                    "province_sigla_1983": sigla,
                    "order_number": e.number,
                    "order_number_printed": e.printed_number,
                    "comune": e.name,
                    **resolution_fields(res),
                    "rate_percent": e.rate,
                    "rate_as_printed": e.rate_cell,
                    "status": e.status,
                    "note_marker": e.marker,
                    "footnote_id": e.footnote.id if e.footnote else None,
                    **provenance(self.doc.id, e.line)})
        return Table(
            name="aliquote", title="Aliquote per comune",
            description="Un comune per riga, nell'ordine dell'elenco: aliquota deliberata "
                        "(per cento del reddito imponibile dei fabbricati), «non istituita», "
                        "o rinvio all'elenco integrativo (*).",
            fields=[
                {"name": "row", "type": "integer", "title": "Riga",
                 "description": "Posizione nell'elenco, in ordine di lettura",
                 "constraints": {"required": True, "unique": True, "minimum": 1}},
                {"name": "province", "type": "string", "title": "Provincia",
                 "description": "Provincia come intestata nell'elenco (o dedotta, se "
                                "l'intestazione manca: vedi la tabella province)"},
                {"name": "province_sigla_1983", "type": "string", "title": "Sigla 1983",
                 "description": "Sigla della provincia nel 1983 (vuota se non determinabile)",
                 "constraints": {"pattern": "[A-Z]{2}"}},
                {"name": "order_number", "type": "integer", "title": "Numero d'ordine",
                 "description": "Numero d'ordine nella provincia; differisce dallo stampato "
                                "solo quando la stampa ha perso la cifra iniziale ('01.' "
                                "dopo 100 si legge 101: vedi i controlli number-printed)",
                 "constraints": {"required": True, "minimum": 1}},
                {"name": "order_number_printed", "type": "string",
                 "title": "Numero d'ordine come stampato"},
                {"name": "comune", "type": "string", "title": "Comune (come stampato)",
                 "description": "Nome come stampato; per i nomi bilingui 'italiano - tedesco' "
                                "la risoluzione usa la parte italiana",
                 "constraints": {"required": True}},
                *RESOLUTION_FIELDS,
                {"name": "rate_percent", "type": "integer", "title": "Aliquota (%)",
                 "description": "Aliquota deliberata, in per cento del reddito imponibile "
                                "(art. 19 d.l. 55/1983: 8, 12, 16 o 20); vuota se non "
                                "istituita o rinviata",
                 "constraints": {"minimum": 0, "maximum": 100}},
                {"name": "rate_as_printed", "type": "string", "title": "Aliquota come stampata"},
                {"name": "status", "type": "string", "title": "Stato",
                 "constraints": {"required": True,
                                 "enum": [STATUS_SET, STATUS_NOT_SET, STATUS_DEFERRED]}},
                {"name": "note_marker", "type": "string", "title": "Richiamo di nota"},
                {"name": "footnote_id", "type": "string", "title": "Nota",
                 "description": "Id della nota in calce (tabella note) a cui rinvia il "
                                "richiamo; vuoto se la pagina non stampa la nota"},
            ],
            rows=rows, primary_key=["row"], foreign_keys=[COMUNE_FK, {
                "fields": "footnote_id", "reference": {"resource": "note", "fields": "id"}}],
            lines_in=len(self.candidate_lines))

    def _by_province(self) -> dict[str | None, list[Segment]]:
        out: dict[str | None, list[Segment]] = {}
        for seg in self.segments:
            out.setdefault(seg.province, []).append(seg)
        return out

    def _province_table(self, by_province) -> Table:
        rows = []
        index_page = {n: p for n, p, _ in self.index}
        self._province_stats = {}
        for name, segs in by_province.items():
            entries = [e for s in segs for e in s.entries]
            numbers = [e.number for e in entries]
            top = max(numbers, default=0)
            seen = Counter(numbers)
            missing = [k for k in range(1, top + 1) if k not in seen]
            dups = sorted(k for k, c in seen.items() if c > 1)
            disorder = [b for a, b in zip(entries, entries[1:]) if b.number <= a.number]
            printed = next((s for s in segs if s.printed), None)
            truncated = segs[-1].ended_by == "restart"
            stats = dict(entries=entries, top=top, missing=missing, dups=dups,
                         disorder=disorder, printed=printed, truncated=truncated, segs=segs)
            self._province_stats[name] = stats
            lines = [s.heading_line for s in segs if s.heading_line] + [e.line for e in entries]
            rows.append({
                "province": printed.printed if printed else name,
                "province_name": name,
                "province_sigla_1983": self.sigla(name),
                "sigle_today": " ".join(PROVINCES_1983[name][1]) if name else None,
                "heading": "stampata" if printed else "dedotta",
                "heading_markup": printed.markup if printed else None,
                "heading_line": printed.heading_line if printed else None,
                "inference_evidence": "; ".join(s.evidence for s in segs if s.evidence) or None,
                "index_page": index_page.get(name),
                "derived_count": top,
                "parsed_count": len(entries),
                "max_order_number": top,
                "missing_numbers": _ranges(missing) or None,
                "duplicate_numbers": " ".join(map(str, dups)) or None,
                "out_of_order": len(disorder),
                "complete": not (missing or dups or disorder or truncated),
                **provenance(self.doc.id, min(lines), max(lines))})
        return Table(
            name="province", title="Province",
            description="Una riga per provincia dell'elenco: intestazione (stampata o dedotta "
                        "e come), conteggio dei comuni derivato dai numeri d'ordine (l'elenco "
                        "non stampa totali) e confronto con le righe lette.",
            fields=[
                {"name": "province", "type": "string", "title": "Provincia (come stampata)"},
                {"name": "province_name", "type": "string", "title": "Provincia (indice)",
                 "description": "Nome della provincia come nell'indice alfabetico del documento"},
                {"name": "province_sigla_1983", "type": "string", "title": "Sigla 1983",
                 "constraints": {"pattern": "[A-Z]{2}", "unique": True}},
                {"name": "sigle_today", "type": "string", "title": "Sigle attuali",
                 "description": "Province di oggi in cui si trovano i comuni della provincia "
                                "del 1983 (separate da spazio)"},
                {"name": "heading", "type": "string", "title": "Intestazione",
                 "constraints": {"enum": ["stampata", "dedotta"]}},
                {"name": "heading_markup", "type": "string", "title": "Formato intestazione",
                 "description": "markdown-hN, bold, html-bold, plain"},
                {"name": "heading_line", "type": "integer", "title": "Riga intestazione"},
                {"name": "inference_evidence", "type": "string", "title": "Come è stata dedotta",
                 "description": "Per le intestazioni mancanti: le prove usate"},
                {"name": "index_page", "type": "integer", "title": "Pagina (indice)"},
                {"name": "derived_count", "type": "integer", "title": "Comuni (dai numeri d'ordine)",
                 "description": "Numero di comuni che la numerazione dichiara: il numero "
                                "d'ordine più alto (l'elenco non stampa totali)"},
                {"name": "parsed_count", "type": "integer", "title": "Comuni letti"},
                {"name": "max_order_number", "type": "integer", "title": "Numero d'ordine massimo"},
                {"name": "missing_numbers", "type": "string", "title": "Numeri mancanti"},
                {"name": "duplicate_numbers", "type": "string", "title": "Numeri duplicati"},
                {"name": "out_of_order", "type": "integer", "title": "Numeri fuori sequenza"},
                {"name": "complete", "type": "boolean", "title": "Completa",
                 "description": "Numerazione 1..N senza lacune, doppioni o salti, e lista "
                                "chiusa da un'intestazione o dalla fine dell'elenco"},
            ],
            rows=rows, primary_key=["province_name"],
            lines_in=sum(1 for s in self.segments if s.heading_line))

    # -- checks
    def _check_document(self) -> None:
        index_names = [n for n, _, _ in self.index]
        found = [n for n in self._province_stats if n]
        idx_lines = [ln for _, _, ln in self.index] or [None]
        self.check("index:provinces", "Le province dell'elenco sono quelle dell'indice alfabetico",
                   len(index_names), len(found), set(index_names) == set(found),
                   min(idx_lines), max(idx_lines),
                   _diff("indice", index_names, "elenco", found))
        seen_order = [n for n in dict.fromkeys(s.province for s in self.segments) if n]
        expected = [n for n in index_names if n in seen_order]
        self.check("index:order", "Le province compaiono nell'ordine dell'indice",
                   " ".join(self.sigla(n) for n in expected),
                   " ".join(self.sigla(n) for n in seen_order), expected == seen_order,
                   explanation="" if expected == seen_order else "ordine diverso dall'indice")
        for name, st in self._province_stats.items():
            self._check_province(name, st)
        if None in self._province_stats:
            st = self._province_stats[None]
            self.check("province:unknown", "Ogni segmento dell'elenco ha una provincia",
                       0, len(st["entries"]), False, st["entries"][0].line, st["entries"][-1].line,
                       "; ".join(s.evidence for s in st["segs"]))
        self._check_unique_codes()
        self._check_footnotes()
        self._check_avvertenza()
        self._check_rates()
        units = sorted({u for _, u in self.units})
        odd = [(n, u) for n, u in self.units if u != UNIT_DECLARED]
        self.check("column-unit", "Ogni intestazione di colonna dichiara l'aliquota in per cento",
                   UNIT_DECLARED, " ".join(repr(u) for u in units), not odd,
                   odd[0][0] if odd else None, odd[-1][0] if odd else None,
                   "; ".join(f"riga {n}: {u or 'unità mancante'}" for n, u in odd))

    def _check_province(self, name, st) -> None:
        if name is None:
            return
        sg = self.sigla(name)
        entries = st["entries"]
        lines = [e.line for e in entries]
        l0, l1 = (min(lines), max(lines)) if lines else (None, None)
        printed = st["printed"]
        self.check(f"heading:{sg}", f"Intestazione «PROVINCIA DI {name.upper()}» stampata",
                   f"PROVINCIA DI {name.upper()}",
                   printed.printed if printed else "mancante (dedotta)", printed is not None,
                   printed.heading_line if printed else l0, None if printed else l1,
                   "" if printed else "; ".join(s.evidence for s in st["segs"] if s.evidence))
        problems = []
        if st["missing"]:
            problems.append(f"mancano i numeri {_ranges(st['missing'])}")
        if st["dups"]:
            problems.append(f"numeri ripetuti {' '.join(map(str, st['dups']))}")
        if st["disorder"]:
            problems.append("fuori sequenza: " + ", ".join(
                f"{e.number} {e.name} (riga {e.line})" for e in st["disorder"][:10]))
        lost = [e for e in entries if e.printed_number.rstrip(".") != str(e.number)]
        self.check(f"number-printed:{sg}", f"Numeri d'ordine stampati per intero ({name})",
                   0, len(lost), not lost, lost[0].line if lost else l0,
                   lost[-1].line if lost else l1,
                   "; ".join(f"'{e.printed_number}' letto {e.number} ({e.name}, riga {e.line})"
                             for e in lost) + (": la stampa ha perso la cifra iniziale; il "
                                               "numero segue il precedente e l'ordine "
                                               "alfabetico continua" if lost else ""))
        self.check(f"numbering:{sg}", f"Numeri d'ordine 1..N continui ({name})",
                   st["top"], len(entries), not problems, l0, l1, "; ".join(problems))
        nxt = st["segs"][-1]
        self.check(f"tail:{sg}", f"L'elenco di {name} è chiuso dall'intestazione della "
                   "provincia seguente o dalla fine del documento",
                   "intestazione o fine", nxt.ended_by,
                   nxt.ended_by != "restart", l1, None,
                   "" if nxt.ended_by != "restart" else
                   f"dopo il n. {entries[-1].number} la numerazione riparte senza intestazione: "
                   "la fine della lista può mancare e il conteggio derivato è un minimo")
        inversions = [(a, b) for a, b in zip(entries, entries[1:])
                      if b.number == a.number + 1 and alpha_key(b.name) < alpha_key(a.name)]
        self.check(f"alphabetical:{sg}", f"Comuni in ordine alfabetico ({name})",
                   0, len(inversions), not inversions, l0, l1,
                   "; ".join(f"{a.number} {a.name} > {b.number} {b.name} (riga {b.line})"
                             for a, b in inversions))

    def _check_unique_codes(self) -> None:
        dups = self.duplicates
        self.check("istat-unique", "Nessun comune è nominato da due righe dell'elenco "
                   "(le righe in conflitto restano senza codice)",
                   0, len(dups), not dups,
                   explanation="; ".join(f"{k}: " + ", ".join(f"{e.name} (riga {e.line})"
                                                             for e in v)
                                         for k, v in sorted(dups.items())))

    def _check_footnotes(self) -> None:
        for name, st in self._province_stats.items():
            marked = [e for e in st["entries"] if e.marker]
            if not marked or name is None:
                continue
            linked = [e for e in marked if e.footnote]
            orphans = [e for e in marked if not e.footnote]
            self.check(f"markers:{self.sigla(name)}",
                       f"Ogni richiamo di nota ha la sua nota in calce alla pagina ({name})",
                       len(marked), len(linked), not orphans, marked[0].line, marked[-1].line,
                       "; ".join(f"({e.marker}) {e.name} riga {e.line}: {e.footnote_problem}"
                                 for e in orphans))
        by_id = {f.id: f for f in self.footnotes}
        for f in self.footnotes:
            users = by_id[f.reprint_of].users if f.reprint_of else f.users
            self.check(f"footnote-used:{f.line}", f"La nota ({f.marker}) è richiamata da "
                       "almeno un comune della pagina", ">=1", len(users), bool(users),
                       f.line, None,
                       (f"ristampa della nota {f.reprint_of}" if f.reprint_of and users else "")
                       or ("" if users else "nessun comune della pagina è collegato a questa "
                           f"nota ({f.marker}): richiamo perso nel testo o reso ambiguo"))

    def _check_avvertenza(self) -> None:
        deferred: dict[str | None, list[Entry]] = {}
        for name, st in self._province_stats.items():
            for e in st["entries"]:
                if e.status == STATUS_DEFERRED:
                    deferred.setdefault(name, []).append(e)
        for name, decl in self.avvertenza.items():
            sg = self.sigla(name) if name in PROVINCES_1983 else normalise(name)
            got = deferred.get(name, [])
            if decl["all"]:
                entries = self._province_stats.get(name, {}).get("entries", [])
                want = {alpha_key(e.name) for e in entries}
                declared = f"tutti i comuni ({len(entries)})"
            else:
                want = {alpha_key(n) for n in decl["names"]}
                declared = len(decl["names"])
            have = {alpha_key(official_name(e.name)): e for e in got}
            only_decl = sorted(want - set(have))
            only_list = sorted(set(have) - want)
            by_code = []
            if not decl["all"] and only_decl and only_list:
                # same comune, spelled differently: both names resolve to the same code
                hint = PROVINCES_1983[name][1] if name in PROVINCES_1983 else None
                codes = {}
                for n in decl["names"]:
                    r = self.ctx.registry.resolve(n, province=hint)
                    if alpha_key(n) in only_decl and r.ok:
                        codes[r.istat] = n
                for k in list(only_list):
                    e = have[k]
                    if e.istat and e.istat in codes:
                        by_code.append(f"{codes[e.istat]} = {e.name} ({e.istat})")
                        only_decl.remove(alpha_key(codes.pop(e.istat)))
                        only_list.remove(k)
            explanation = _diff("Avvertenza", only_decl, "elenco", only_list)
            if by_code:
                explanation = "; ".join(filter(None, [
                    explanation, "stesso comune con grafia diversa: " + ", ".join(by_code)]))
            self.check(f"avvertenza:{sg}", f"I comuni con (*) sono quelli elencati "
                       f"nell'Avvertenza ({name})", declared, len(got),
                       not only_decl and not only_list, decl["line"], None, explanation)
        extra = [e for n, es in deferred.items() if n not in self.avvertenza for e in es]
        self.check("avvertenza:others", "Nessun comune fuori dall'Avvertenza porta (*)",
                   0, len(extra), not extra, extra[0].line if extra else None, None,
                   "; ".join(f"{e.name} riga {e.line}" for e in extra))

    def _check_rates(self) -> None:
        odd = [e for e in self.entries if e.rate is not None and e.rate not in RATE_DOMAIN]
        self.check("rate-domain", "Ogni aliquota è 8, 12, 16 o 20 per cento "
                   "(art. 19 d.l. 55/1983)", "8 12 16 20",
                   " ".join(str(r) for r in sorted({e.rate for e in self.entries
                                                    if e.rate is not None})),
                   not odd, odd[0].line if odd else None, None,
                   "; ".join(f"{e.name} {e.rate_cell} riga {e.line}" for e in odd))


def _read_number(printed: str, previous: int) -> int:
    """The order number of a cell, given the previous entry's number in the same segment.

    A printed number lower than the previous one, whose digits are the trailing digits
    of previous + 1, has lost its leading digit(s) ("01." and "10." after 100 and 109 in
    the Roma list): the number is previous + 1. The caller has already ruled out a
    restart (a lower number with an alphabetically earlier name opens a new segment),
    and the ``number-printed`` check reports every such reading. Any other cell reads
    as printed.
    """
    digits = printed.strip().rstrip(".")
    value = int(digits)
    if value < previous and str(previous + 1).endswith(digits):
        return previous + 1
    return value


def _marker(m: str) -> str:
    return m.replace("\\", "")


def _ranges(nums: list[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``'1-3 7'``."""
    out, i = [], 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    return " ".join(out)


def _diff(a_label: str, a: list, b_label: str, b: list) -> str:
    only_a = [x for x in a if x not in set(b)]
    only_b = [x for x in b if x not in set(a)]
    parts = []
    if only_a:
        parts.append(f"solo in {a_label}: {', '.join(map(str, only_a))}")
    if only_b:
        parts.append(f"solo in {b_label}: {', '.join(map(str, only_b))}")
    return "; ".join(parts)
