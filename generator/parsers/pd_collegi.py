"""PD Lombardia, regolamento 2014: the collegi of Allegato A and the comuni of each collegio.

The document (a party regulation, not a public act) has three parts this parser reads:

* art. 6 declares the size of the Assemblea regionale (``composta da 316 componenti``),
  a figure in prose (:class:`generator.extract.text.Prose`);
* ``ALLEGATO A: COLLEGI`` is a tab-separated table ``number, name, seats`` closed by a
  line holding only the total of the seats;
* ``Associazione Comuni/Collegi:`` gives, under a ``Collegio N`` heading, the comuni of
  each collegio, either as **explicit lists** (comma-separated names, possibly wrapped
  over several lines with blank lines in between, each list closed by its printed count
  ``(N)``; a collegio can have several lists) or as **rules**: ``TUTTI I COMUNI DELLA
  PROVINCIA DI X`` (optionally ``ESCLUSI ...``), several of them joined by ``E``, a rule
  followed by extra comune names after a comma, and Milan city zones
  (``MILANO CITTA': ZONE 1 E 9``). Bold and underline markup (``**``, ``__``) is ignored.

Rules are expanded against the registry **as of the document's date** (``date`` in the
manifest; :class:`generator.extract.asof.AsOf`): a comune created by a merger after that
date is replaced by the comuni it was made of, taken from the curated historical
crosswalk (``data/registry/historical``, whose ``event`` says the kind of change:
``fusione``, ``incorporazione`` or ``cambio-provincia``).

Names in a list are resolved with the provinces of the list's other members (found by exact
lookup, :func:`generator.extract.blocks.province_votes`) as the hint, so that a misspelt
name is matched only among its neighbours.

Tables (one data package): ``collegi``, ``comuni_collegi`` (one row per comune named in
a list or produced by a rule), ``regole``. Checks: seats against the printed total and
art. 6, the numbering of the collegi, one association block per collegio, every list
against its printed count, Milan zones, and the coverage of the region at the
document's date (every comune in exactly one collegio).

Line accounting: the candidate lines of ``collegi`` are the non-blank lines of the
Allegato A table except its total line (which feeds a check); those of ``regole`` are the
rule lines; those of ``comuni_collegi`` are the other non-blank lines of the association
section except the ``Collegio N`` headings, and the rule lines through the comuni the
rules expand to (a rule that cannot be read is rejected in ``regole``). What is published
(dataset, tables, columns, views) is declared in ``data/specs/collegi-pd-lombardia-2014.yaml``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from dataclasses import field as dc_field

from .. import specs
from ..extract import ParseResult, Recorder, provenance, resolution_fields
from ..extract.asof import AsOf
from ..extract.blocks import province_votes
from ..extract.rows import comma_list
from ..extract.text import Prose
from ..registry import Comune
from .base import Parser

REGION = "Lombardia"
# the dataset, its tables and columns, and its views (what is published; the rows are read here)
SPEC = "collegi-pd-lombardia-2014"

_ALLEGATO_RE = re.compile(r"^\s*ALLEGATO\s+A\b", re.I)
_ASSOC_RE = re.compile(r"^\s*Associazione\s+Comuni\s*/\s*Collegi\s*:?\s*$", re.I)
_HEADING_RE = re.compile(r"^\s*Collegio\s+(\d+)\s*$", re.I)
_CELL_SPLIT = re.compile(r"\t+|\s{2,}")
_ASSEMBLY = r"composta\W+da\s+(\d+)\s+componenti"
_COUNT_RE = re.compile(r"\(\s*(\d+)\s*\)\s*$")
_RULE_START = re.compile(r"^\s*(TUTTI\s+I\s+COMUNI\b|[A-Z' ]+\s+CITT[AÀ]'?\s*:)", re.I)
_RULE_SPLIT = re.compile(r"\s+E\s+(?=TUTTI\s+I\s+COMUNI\b)", re.I)
_EXCEPT = r"(?:ESCLUSI|ESCLUSO|TRANNE|ECCETTO|AD\s+ESCLUSIONE\s+DI|AD\s+ECCEZIONE\s+DI)"
_PROVINCE_RULE = re.compile(
    r"^TUTTI\s+I\s+COMUNI\s+DELLA\s+PROVINCIA\s+DI\s+(?P<prov>.+?)"
    r"(?:\s*[,:]?\s+" + _EXCEPT + r"\s*:?\s*(?P<exc>.+))?$",
    re.I,
)
_ZONE_RULE = re.compile(
    r"^(?P<city>.+?)\s+CITT[AÀ]'?\s*:\s*(?P<word>ZON[AE]|MUNICIPI|MUNICIPIO)\s+"
    r"(?P<nums>\d+(?:\s*(?:,|\bE\b)\s*\d+)*)$",
    re.I,
)


@dataclass
class _Collegio:
    number: int
    name: str
    seats: int
    line: int


@dataclass
class _Group:
    """One explicit list or one rule inside a collegio's association block."""

    id: str
    collegio: int
    kind: str  # "list" | "rule"
    line_start: int
    line_end: int
    text: str = ""  # the rule as written (rules only)
    names: list[tuple[str, int, int]] = dc_field(default_factory=list)  # name, lines
    declared: int | None = None  # printed count of a list


def _strip_markup(s: str) -> str:
    return s.replace("**", "").replace("__", "")


class PdCollegiParser(Parser):
    family = "pd_collegi"
    version = "2"

    def parse(self, doc, ctx) -> ParseResult:
        return _Run(doc, ctx).parse()


class _Run:
    """State of one parse (the parser object itself stays stateless)."""

    def __init__(self, doc, ctx):
        self.doc, self.ctx, self.reg = doc, ctx, ctx.registry
        self.rec = Recorder(doc)
        self.region_sigle = sorted(
            s for s, p in self.reg.provinces.items() if p["region"] == REGION
        )
        self.asof = AsOf(
            self.reg, str(doc.meta.get("date") or "") or None, ctx.warn, self.region_sigle
        )

    def parse(self) -> ParseResult:
        result = ParseResult()
        lines = [(n, _strip_markup(t)) for n, t in self.doc.numbered()]
        allegato = next((n for n, t in lines if _ALLEGATO_RE.match(t)), None)
        assoc = next((n for n, t in lines if _ASSOC_RE.match(t)), None)
        if allegato is None or assoc is None or assoc < allegato:
            self.ctx.error(
                "structure", "ALLEGATO A table or 'Associazione Comuni/Collegi' section not found"
            )
            return result
        for table in ("collegi", "comuni_collegi", "regole"):
            self.rec.candidate(table, [])  # read from the document, even when empty
        collegi, total = self.parse_allegato(lines[allegato : assoc - 1])
        self.check_seats([t for _, t in lines], allegato, collegi, total)
        blocks, headings = self.split_blocks(lines[assoc:])
        last = max((n for n, t in lines[assoc:] if t.strip()), default=assoc)
        self.span = (assoc, last)  # the association section, for the region checks
        self.check_association(collegi, headings, assoc)
        groups = [g for number, block in blocks.items() for g in self.parse_block(number, block)]
        rows, regole = self.build_rows(groups)
        self.check_lists(groups, rows)
        self.check_zones(rows)
        self.check_coverage(rows)
        spec = specs.load(SPEC)
        ds = specs.declared_dataset(spec, self.doc, result)
        for name, table_rows in (
            ("collegi", self.collegi_rows(collegi, rows, groups)),
            ("comuni_collegi", rows),
            ("regole", regole),
        ):
            ds.tables.append(
                specs.parser_table(
                    spec, name, self.doc, self.ctx, result.acts, self.rec, table_rows
                )
            )
        return self.rec.finish(result)

    # Allegato A and art. 6 ------------------------------------------------------------------
    def parse_allegato(self, lines) -> tuple[list[_Collegio], tuple[int, int] | None]:
        collegi: list[_Collegio] = []
        total = None
        for n, t in lines:
            if not t.strip():
                continue
            cells = [c.strip() for c in _CELL_SPLIT.split(t.strip()) if c.strip()]
            if len(cells) == 1 and cells[0].isdigit() and collegi:
                total = (int(cells[0]), n)
                continue
            self.rec.candidate("collegi", [n])
            if len(cells) >= 3 and cells[0].isdigit() and cells[-1].isdigit():
                collegi.append(_Collegio(int(cells[0]), " ".join(cells[1:-1]), int(cells[-1]), n))
            else:
                self.rec.reject(
                    "collegi",
                    n,
                    "riga della tabella collegi non riconosciuta (attesi numero, nome, seggi)",
                )
        if collegi:
            span = (collegi[0].line, collegi[-1].line)
            self.rec.fact("Collegi", len(collegi), "collegi", span)
            self.rec.fact(
                "Seggi dell'Assemblea regionale eletti nei collegi",
                sum(c.seats for c in collegi),
                "seggi",
                span,
            )
        return collegi, total

    def check_seats(self, text: list[str], allegato: int, collegi, total) -> None:
        rec, seats = self.rec, sum(c.seats for c in collegi)
        first = collegi[0].line if collegi else None
        if total is not None:
            rec.equal(
                "seats-total",
                "Somma dei seggi dei collegi = totale stampato in fondo all'Allegato A",
                total[0],
                seats,
                (first, total[1]),
                "La somma dei seggi dei collegi non coincide con il totale stampato.",
            )
        else:
            self.ctx.warn("no-total", "Allegato A has no printed total of seats")
        art6 = Prose(text, 1, allegato - 1).find(_ASSEMBLY, re.I)
        if art6:
            rec.equal(
                "seats-art6",
                "Somma dei seggi dei collegi = componenti dell'Assemblea regionale (art. 6)",
                int(art6.group(1)),
                seats,
                (art6.line, art6.line_end),
                "L'art. 6 dichiara un numero di componenti diverso dalla somma dei seggi.",
            )
        numbers = [c.number for c in collegi]
        rec.check(
            "collegi-numbering",
            "Numerazione dei collegi dell'Allegato A: 1..N senza salti né doppioni",
            list(range(1, len(numbers) + 1)),
            numbers,
            lines=(first, collegi[-1].line if collegi else None),
            explanation="I numeri d'ordine dei collegi non sono consecutivi.",
        )
        for n, c in Counter(numbers).items():
            if c > 1:
                self.ctx.warn("duplicate-collegio", f"collegio {n} appears {c} times in Allegato A")

    # association section ---------------------------------------------------------------------
    def split_blocks(self, lines) -> tuple[dict[int, list], dict[int, int]]:
        """``{collegio: [(line, text), ...]}`` of non-blank lines, and the heading lines."""
        blocks: dict[int, list] = {}
        headings: dict[int, int] = {}
        current = None
        for n, t in lines:
            if not t.strip():
                continue
            m = _HEADING_RE.match(t)
            if m:
                current = int(m.group(1))
                if current in blocks:
                    self.ctx.warn("duplicate-heading", f"'Collegio {current}' appears twice", n)
                headings.setdefault(current, n)
                blocks.setdefault(current, [])
                continue
            if current is None:
                self.rec.reject("comuni_collegi", n, "testo prima del primo titolo 'Collegio N'")
            else:
                blocks[current].append((n, t))
        return blocks, headings

    def check_association(self, collegi, headings, assoc_line) -> None:
        declared, parsed = sorted(c.number for c in collegi), sorted(headings)
        self.rec.check(
            "collegi-associated",
            "Ogni collegio dell'Allegato A ha il suo blocco "
            "'Collegio N' nell'associazione comuni/collegi",
            declared,
            parsed,
            lines=(assoc_line, max(headings.values(), default=assoc_line)),
            explanation=f"Senza blocco: {sorted(set(declared) - set(parsed))}; "
            f"blocchi senza collegio: {sorted(set(parsed) - set(declared))}.",
        )

    def parse_block(self, number: int, block) -> list[_Group]:
        """Split a collegio's lines into explicit lists (closed by their count) and rules."""
        groups: list[_Group] = []
        pending: list[tuple[int, str]] = []
        count = Counter()

        def new(kind: str, a: int, b: int, **kw) -> _Group:
            count[kind] += 1
            g = _Group(f"C{number:02d}-{kind[0].upper()}{count[kind]}", number, kind, a, b, **kw)
            groups.append(g)
            return g

        def close_list(declared):
            g = new("list", pending[0][0], pending[-1][0], declared=declared)
            last = pending[-1][0], _COUNT_RE.sub("", pending[-1][1])
            g.names = comma_list(
                pending[:-1] + [last],
                lambda n: self.rec.reject("comuni_collegi", n, "nome vuoto tra due virgole"),
            )
            if declared is None:
                self.ctx.warn(
                    "list-without-count",
                    f"collegio {number}: list ending at line {g.line_end} has no printed count",
                    g.line_end,
                )
            pending.clear()

        for n, t in block:
            if _RULE_START.match(t):
                if pending:
                    close_list(None)
                self.rec.candidate("regole", [n])
                for clause in _RULE_SPLIT.split(t.strip()):
                    head, *extra = (
                        [clause]
                        if _ZONE_RULE.match(clause) or re.search(_EXCEPT, clause, re.I)
                        else clause.split(",")
                    )
                    new("rule", n, n, text=head.strip())
                    extra = [e.strip() for e in extra if e.strip()]
                    if extra:  # "..., SAN COLOMBANO AL LAMBRO"
                        new("list", n, n).names = [(e, n, n) for e in extra]
                continue
            self.rec.candidate("comuni_collegi", [n])
            pending.append((n, t))
            m = _COUNT_RE.search(t)
            if m:
                close_list(int(m.group(1)))
        if pending:
            close_list(None)
        return groups

    # rows ------------------------------------------------------------------------------------
    def build_rows(self, groups: list[_Group]) -> tuple[list[dict], list[dict]]:
        rows, regole = [], []
        for g in groups:
            if g.kind == "list":
                votes, _ = province_votes(
                    [name for name, _, _ in g.names], self.reg, province=self.region_sigle
                )
                hint = sorted(s for s in votes if s in self.region_sigle) or self.region_sigle
                for pos, (name, a, b) in enumerate(g.names, 1):
                    r = self.ctx.resolve(name, a, province=hint)
                    c = self.reg.get(r.istat) if r.ok else None
                    rows.append(self.row(g, pos, name, c, resolution_fields(r), a, b, "list"))
                continue
            m = _PROVINCE_RULE.match(g.text)
            z = None if m else _ZONE_RULE.match(g.text)
            regola = (
                self.expand_province(g, m, rows)
                if m
                else self.expand_zones(g, z, rows)
                if z
                else None
            )
            if not (m or z):
                self.rec.reject("regole", g.line_start, f"regola non riconosciuta: {g.text!r}")
            if regola:
                regole.append(regola)
        return rows, regole

    def row(
        self, g: _Group, pos, name, c: Comune | None, res: dict, a, b, kind, rule_id=None, part=None
    ) -> dict:
        now = self.asof.today(c.istat) if c else None
        return {
            "collegio": g.collegio,
            "elenco": g.id,
            "posizione": pos,
            "comune": name,
            **res,
            "provincia": c.province_sigla if c else None,
            "istat_oggi": now.istat if now else None,
            "comune_oggi": now.name if now else None,
            "origine": kind,
            "regola": rule_id,
            "parte": part,
            "nota": (self.asof.change_note(c) if c else "") or None,
            **provenance(self.doc.id, a, b),
        }

    def regola(self, g: _Group, kind: str, **values) -> dict:
        return {
            "id": g.id,
            "collegio": g.collegio,
            "testo": g.text,
            "tipo": kind,
            "provincia": None,
            "istat_citta": None,
            "zone": None,
            "esclusi": None,
            "comuni": 1,
            "comuni_registro": None,
            "istituiti_dopo": None,
            "soppressi_dopo": None,
            **values,
            **provenance(self.doc.id, g.line_start, g.line_end),
        }

    def expand_province(self, g: _Group, m, rows) -> dict | None:
        prov_name = m.group("prov").strip()
        sigla = self.reg.province_sigla(prov_name)
        if sigla is None:
            self.rec.reject(
                "regole", g.line_start, f"provincia sconosciuta nella regola: {prov_name!r}"
            )
            return None
        excluded_ids, excluded_names = set(), []
        for name in re.split(r",|\s+E\s+", m.group("exc") or ""):
            if name.strip():
                r = self.ctx.resolve(name.strip(), g.line_start, province=sigla)
                excluded_names.append(name.strip())
                if r.ok:
                    excluded_ids.add(r.istat)
        members = self.asof.comuni_of_province(sigla)
        if m.group("exc"):
            self.rec.equal(
                f"rule-exceptions:{g.id}",
                f"Le eccezioni della regola {g.id} sono comuni della provincia {sigla} alla data",
                len(excluded_names),
                len(excluded_ids & {c.istat for c in members}),
                (g.line_start, g.line_start),
                "Alcune eccezioni non sono comuni "
                "della provincia alla data del documento (o non sono state risolte).",
            )
        members = [c for c in members if c.istat not in excluded_ids]
        for pos, c in enumerate(members, 1):
            res = {"istat": c.istat, "resolution_method": "rule", "resolution_score": None}
            rows.append(self.row(g, pos, c.name, c, res, g.line_start, g.line_end, "rule", g.id))
        registry_now = self.reg.comuni_of_province(sigla)
        return self.regola(
            g,
            "provincia-eccetto" if m.group("exc") else "provincia",
            provincia=sigla,
            esclusi=", ".join(excluded_names) or None,
            comuni=len(members),
            comuni_registro=len(registry_now),
            istituiti_dopo=", ".join(
                sorted(c.name for c in registry_now if not self.asof.existed(c))
            )
            or None,
            soppressi_dopo=", ".join(sorted(c.name for c in members if c.historical)) or None,
        )

    def expand_zones(self, g: _Group, m, rows) -> dict:
        city = m.group("city").strip()
        zones = sorted(int(z) for z in re.findall(r"\d+", m.group("nums")))
        r = self.ctx.resolve(city, g.line_start, province=self.region_sigle)
        c = self.reg.get(r.istat) if r.ok else None
        part = f"{'zona' if len(zones) == 1 else 'zone'} {', '.join(map(str, zones))}"
        rows.append(
            self.row(
                g,
                1,
                city,
                c,
                resolution_fields(r),
                g.line_start,
                g.line_end,
                "rule",
                g.id,
                part=part,
            )
        )
        return self.regola(
            g,
            "zone",
            provincia=c.province_sigla if c else None,
            istat_citta=c.istat if c else None,
            zone=", ".join(map(str, zones)),
        )

    # checks on the lists and the region ------------------------------------------------------
    def check_lists(self, groups, rows) -> None:
        for g in groups:
            if g.kind == "list" and g.declared is not None:
                self.rec.declared_count(
                    f"list-count:{g.id}",
                    f"Collegio {g.collegio}, elenco {g.id}: numero di comuni = conteggio stampato",
                    g.declared,
                    len(g.names),
                    (g.line_start, g.line_end),
                    "Il conteggio stampato in fondo all'elenco non coincide con i nomi elencati.",
                )
        named = [r for r in rows if r["origine"] == "list" or r["parte"]]
        stale = [r for r in named if r["istat"] and not self.asof.existed(self.reg.get(r["istat"]))]
        outside = [r for r in named if r["provincia"] and r["provincia"] not in self.region_sigle]
        self.rec.absent(
            "as-of-date",
            "Comuni nominati che non esistevano alla data del documento",
            stale,
            lambda r: f"{r['comune']} (riga {r['line_start']}) -> {r['istat']}",
            self.span,
        )
        self.rec.absent(
            "outside-region",
            f"Comuni nominati fuori dalla regione {REGION}",
            outside,
            lambda r: f"{r['comune']} (riga {r['line_start']}) -> {r['provincia']}",
            self.span,
        )

    def check_zones(self, rows) -> None:
        by_city: dict[str, list[tuple[int, dict]]] = defaultdict(list)
        for r in rows:
            if r["parte"] and r["istat"]:
                by_city[r["istat"]] += [(int(z), r) for z in re.findall(r"\d+", r["parte"])]
        for istat, zs in sorted(by_city.items()):
            numbers = sorted(z for z, _ in zs)
            lines = [r["line_start"] for _, r in zs]
            self.rec.check(
                f"zones:{istat}",
                f"Zone di {self.reg.get(istat).name}: ciascuna zona "
                f"da 1 a {max(numbers)} assegnata a un solo collegio",
                list(range(1, max(numbers) + 1)),
                numbers,
                lines=(min(lines), max(lines)),
                explanation="Zone mancanti o assegnate a più collegi.",
            )

    def check_coverage(self, rows) -> None:
        """Every comune of the region at the document's date in exactly one collegio."""
        assigned: dict[str, set[int]] = defaultdict(set)
        full: dict[str, set[int]] = defaultdict(set)
        for r in rows:
            if r["istat"]:
                assigned[r["istat"]].add(r["collegio"])
                if not r["parte"]:
                    full[r["istat"]].add(r["collegio"])
        zone_cities = {r["istat"] for r in rows if r["parte"]}
        double, universe_ids = [], set()
        for sigla in self.region_sigle:
            universe = self.asof.comuni_of_province(sigla)
            universe_ids |= {c.istat for c in universe}
            double += [
                c
                for c in universe
                if len(full[c.istat]) > 1 or (full[c.istat] and c.istat in zone_cities)
            ]
            self.rec.equal(
                f"coverage:{sigla}",
                f"Comuni della provincia {sigla} alla data del "
                "documento (registro ISTAT 2023 riportato alla data con il crosswalk "
                "storico) assegnati a un collegio",
                len(universe),
                sum(1 for c in universe if c.istat in assigned),
                self.span,
                "Non assegnati: "
                + ", ".join(f"{c.name} ({c.istat})" for c in universe if c.istat not in assigned),
            )
        self.rec.absent(
            "double-assignment",
            "Comuni assegnati a più di un collegio",
            double,
            lambda c: f"{c.name} ({c.istat}): collegi {sorted(assigned[c.istat])}",
            self.span,
        )
        self.rec.fact(
            f"Comuni della {REGION} alla data del documento", len(universe_ids), "comuni", self.span
        )
        self.rec.fact(
            "Comuni assegnati a un collegio", len(universe_ids & set(assigned)), "comuni", self.span
        )

    # the package -----------------------------------------------------------------------------
    def collegi_rows(self, collegi, rows, groups) -> list[dict]:
        """The collegi of Allegato A with what their association blocks give them."""
        provinces, comuni = defaultdict(set), defaultdict(set)
        for r in rows:
            if r["provincia"]:
                provinces[r["collegio"]].add(r["provincia"])
            comuni[r["collegio"]].add(r["istat"] or f"?{r['comune']}")
        n_rules = Counter(g.collegio for g in groups if g.kind == "rule")
        declared: dict[int, int] = {}
        for g in groups:
            if g.kind == "list" and g.declared is not None and not n_rules[g.collegio]:
                declared[g.collegio] = declared.get(g.collegio, 0) + g.declared
        return [
            {
                "n": c.number,
                "nome": c.name,
                "seggi": c.seats,
                "province": ", ".join(sorted(provinces[c.number])) or None,
                "comuni_dichiarati": declared.get(c.number),
                "comuni": len(comuni[c.number]),
                "regole": n_rules[c.number],
                **provenance(self.doc.id, c.line),
            }
            for c in collegi
        ]
