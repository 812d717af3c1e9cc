"""PD Lombardia, regolamento 2014: the collegi of Allegato A and the comuni of each collegio.

The document (a party regulation, not a public act) has three parts this parser reads:

* art. 6 declares the size of the Assemblea regionale (``composta da 316 componenti``);
* ``ALLEGATO A: COLLEGI`` is a tab-separated table ``number, name, seats`` closed by a
  line holding only the total of the seats;
* ``Associazione Comuni/Collegi:`` gives, under a ``Collegio N`` heading, the comuni of
  each collegio, either as **explicit lists** (comma-separated names, possibly wrapped
  over several lines with blank lines in between, each list closed by its printed count
  ``(N)``; a collegio can have several lists) or as **rules**: ``TUTTI I COMUNI DELLA
  PROVINCIA DI X`` (optionally ``ESCLUSI ...``), several of them joined by ``E``, a rule
  followed by extra comune names after a comma, and Milan city zones
  (``MILANO CITTA': ZONE 1 E 9``).

Rules are expanded against the registry **as of the document's date** (``date`` in the
manifest): a comune created by a merger after that date is replaced by the comuni it was
made of, taken from the curated historical crosswalk (``data/registry/historical``),
whose ``event`` starts with the kind of change: ``fusione`` (the successor is a new
comune with a new ISTAT code), ``incorporazione`` (the successor already existed, same
code) or ``cambio-provincia`` (same comune, new code in another province).

Names in a list are resolved with the provinces of the list's other members (found by exact
lookup) as the hint, so that a misspelt name is matched only among its neighbours.

Tables (one data package): ``collegi``, ``comuni_collegi`` (one row per comune named in
a list or produced by a rule), ``regole``. Checks: seats against the printed total and
art. 6, the numbering of the collegi, one association block per collegio, every list
against its printed count, Milan zones, and the coverage of the region at the
document's date (every comune in exactly one collegio).

Line accounting: the candidate lines of ``collegi`` are the non-blank lines of the
Allegato A table except its total line (which feeds a check); those of
``comuni_collegi`` are the non-blank lines of the association section except the
``Collegio N`` headings; those of ``regole`` are the rule lines.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..quality import Check, Reject
from ..registry import Comune
from .base import (COMUNE_FK, RESOLUTION_FIELDS, Dataset, ParseResult, Parser, Table,
                   provenance, resolution_fields)

REGION = "Lombardia"

_ALLEGATO_RE = re.compile(r"^\s*ALLEGATO\s+A\b", re.I)
_ASSOC_RE = re.compile(r"^\s*Associazione\s+Comuni\s*/\s*Collegi\s*:?\s*$", re.I)
_HEADING_RE = re.compile(r"^\s*Collegio\s+(\d+)\s*$", re.I)
_CELL_SPLIT = re.compile(r"\t+|\s{2,}")
_ASSEMBLY_RE = re.compile(r"composta\W+da\s+(\d+)\s+componenti", re.I)
_COUNT_RE = re.compile(r"\(\s*(\d+)\s*\)\s*$")
_RULE_START = re.compile(r"^\s*(TUTTI\s+I\s+COMUNI\b|[A-Z' ]+\s+CITT[AÀ]'?\s*:)", re.I)
_RULE_SPLIT = re.compile(r"\s+E\s+(?=TUTTI\s+I\s+COMUNI\b)", re.I)
_EXCEPT = r"(?:ESCLUSI|ESCLUSO|TRANNE|ECCETTO|AD\s+ESCLUSIONE\s+DI|AD\s+ECCEZIONE\s+DI)"
_PROVINCE_RULE = re.compile(
    r"^TUTTI\s+I\s+COMUNI\s+DELLA\s+PROVINCIA\s+DI\s+(?P<prov>.+?)"
    r"(?:\s*[,:]?\s+" + _EXCEPT + r"\s*:?\s*(?P<exc>.+))?$", re.I)
_ZONE_RULE = re.compile(
    r"^(?P<city>.+?)\s+CITT[AÀ]'?\s*:\s*(?P<word>ZON[AE]|MUNICIPI|MUNICIPIO)\s+(?P<nums>\d+(?:\s*(?:,|\bE\b)\s*\d+)*)$",
    re.I)
_EVENT_KINDS = ("fusione", "incorporazione", "cambio-provincia")
_EVENT_KIND_RE = re.compile(r"\s*(fusione|incorpora\w*|cambio[- ]provincia)\b", re.I)


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
    kind: str                      # "list" | "rule"
    line_start: int
    line_end: int
    text: str = ""                 # the rule as written (rules only)
    names: list[tuple[str, int, int]] = field(default_factory=list)  # name, line_start, line_end
    declared: int | None = None    # printed count of a list


def _strip_markup(s: str) -> str:
    return s.replace("**", "").replace("__", "")


class PdCollegiParser(Parser):
    family = "pd_collegi"
    version = "1"

    def parse(self, doc, ctx) -> ParseResult:
        return _Run(doc, ctx).parse()


class _Run:
    """State of one parse (the parser object itself stays stateless)."""

    def __init__(self, doc, ctx):
        self.doc, self.ctx, self.reg = doc, ctx, ctx.registry
        self.date = str(doc.meta.get("date") or "") or None
        self.result = ParseResult()
        self.region_sigle = sorted(s for s, p in self.reg.provinces.items() if p["region"] == REGION)
        self.kinds = self._event_kinds()
        # current comuni that did not exist (with their code) at the document's date
        self.new_since = {h.successor for h in self.reg.historical.values()
                          if h.successor and self.date and (h.suppressed or "") > self.date
                          and self.kinds[h.istat] != "incorporazione"}

    # -- small helpers --------------------------------------------------------------------
    def check(self, id, description, declared, parsed, line_start=None, line_end=None, explanation=""):
        passed = declared == parsed
        self.result.checks.append(Check(id, description, declared, parsed, passed, self.doc.id,
                                        line_start, line_end or line_start,
                                        "" if passed else explanation))

    def fact(self, label, value, unit, line_start, line_end) -> dict:
        return {"label": label, "value": value, "unit": unit, "source_id": self.doc.id,
                "line_start": line_start, "line_end": line_end}

    def reject(self, line, reason, table):
        self.result.rejects.append(Reject(self.doc.id, line, self.doc.line(line), reason, table))

    def _event_kinds(self) -> dict[str, str]:
        """Kind of change (fusione | incorporazione | cambio-provincia) of each historical comune,
        read from the start of its ``event`` text."""
        out = {}
        for h in self.reg.historical.values():
            m = _EVENT_KIND_RE.match(h.event or "")
            if m:
                word = m.group(1).lower()
                kind = ("incorporazione" if word.startswith("incorpora")
                        else "cambio-provincia" if word.startswith("cambio") else "fusione")
            else:
                if h.province_sigla in self.region_sigle and self.date and (h.suppressed or "") > self.date:
                    self.ctx.warn("historical-event",
                                  f"{h.name} ({h.istat}): event {h.event!r} does not start with one of "
                                  f"{', '.join(_EVENT_KINDS)}; treated as 'fusione'")
                kind = "fusione"
            out[h.istat] = kind
        return out

    def existed(self, c: Comune) -> bool:
        """Did this registry comune exist (with this code) at the document's date?"""
        if not self.date:
            return not c.historical
        if c.historical:
            return bool(c.suppressed) and c.suppressed > self.date
        return c.istat not in self.new_since

    def comuni_as_of(self, sigla: str) -> list[Comune]:
        """The comuni of a province at the document's date (current ones that existed + suppressed since)."""
        out = [c for c in self.reg.comuni_of_province(sigla) if self.existed(c)]
        out += [h for h in self.reg.historical.values() if h.province_sigla == sigla and self.existed(h)]
        return sorted(out, key=lambda c: c.istat)

    def today(self, istat: str | None) -> Comune | None:
        """Follow successors from a (possibly historical) code to the comune of the registry today."""
        seen = set()
        c = self.reg.get(istat) if istat else None
        while c is not None and c.historical and c.istat not in seen:
            seen.add(c.istat)
            c = self.reg.get(c.successor) if c.successor else None
        return c if c is not None and not c.historical else None

    def change_note(self, c: Comune) -> str:
        """What happened to a comune between the document's date and the registry."""
        if c.historical:
            return c.event[:1].upper() + c.event[1:] if c.event else f"Soppresso dal {c.suppressed}"
        merged = sorted(h.name for h in self.reg.historical.values()
                        if h.successor == c.istat and self.existed(h)
                        and self.kinds[h.istat] == "incorporazione")
        if merged:
            return f"Dopo la data del documento vi è stato incorporato: {', '.join(merged)}"
        return ""

    # -- the parse ------------------------------------------------------------------------
    def parse(self) -> ParseResult:
        lines = [(n, _strip_markup(t)) for n, t in self.doc.numbered()]
        allegato = next((n for n, t in lines if _ALLEGATO_RE.match(t)), None)
        assoc = next((n for n, t in lines if _ASSOC_RE.match(t)), None)
        if allegato is None or assoc is None or assoc < allegato:
            self.ctx.error("structure", "ALLEGATO A table or 'Associazione Comuni/Collegi' section not found")
            return self.result
        collegi, total, collegi_lines_in = self.parse_allegato(lines[allegato:assoc - 1])
        self.check_seats(lines[:allegato - 1], collegi, total)
        blocks, headings, comuni_lines_in = self.split_blocks(lines[assoc:])
        last = max((n for n, t in lines[assoc:] if t.strip()), default=assoc)
        self.span = (assoc, last)            # line range of the association section, for region checks
        self.check_association(collegi, headings, assoc)
        groups, rule_lines = [], 0
        for number, block in blocks.items():
            g, r = self.parse_block(number, block)
            groups += g
            rule_lines += r
        rows, regole = self.build_rows(groups)
        self.check_lists(groups, rows)
        self.check_zones(rows)
        self.check_coverage(rows)
        self.package(collegi, rows, regole, groups, collegi_lines_in, comuni_lines_in, rule_lines)
        return self.result

    # Allegato A --------------------------------------------------------------------------
    def parse_allegato(self, lines):
        collegi: list[_Collegio] = []
        total, lines_in = None, 0
        for n, t in lines:
            if not t.strip():
                continue
            cells = [c.strip() for c in _CELL_SPLIT.split(t.strip()) if c.strip()]
            if len(cells) == 1 and cells[0].isdigit() and collegi:
                total = (int(cells[0]), n)
                continue
            lines_in += 1
            if len(cells) >= 3 and cells[0].isdigit() and cells[-1].isdigit():
                collegi.append(_Collegio(int(cells[0]), " ".join(cells[1:-1]), int(cells[-1]), n))
            else:
                self.reject(n, "riga della tabella collegi non riconosciuta (attesi numero, nome, seggi)",
                            "collegi")
        return collegi, total, lines_in

    def check_seats(self, before, collegi, total):
        seats = sum(c.seats for c in collegi)
        first = collegi[0].line if collegi else None
        if total is not None:
            self.check("seats-total", "Somma dei seggi dei collegi = totale stampato in fondo all'Allegato A",
                       total[0], seats, first, total[1],
                       "La somma dei seggi dei collegi non coincide con il totale stampato.")
        else:
            self.ctx.warn("no-total", "Allegato A has no printed total of seats")
        m = next(((n, _ASSEMBLY_RE.search(t)) for n, t in before if _ASSEMBLY_RE.search(t)), None)
        if m:
            self.check("seats-art6", "Somma dei seggi dei collegi = componenti dell'Assemblea regionale (art. 6)",
                       int(m[1].group(1)), seats, m[0], m[0],
                       "L'art. 6 dichiara un numero di componenti diverso dalla somma dei seggi.")
        numbers = [c.number for c in collegi]
        self.check("collegi-numbering", "Numerazione dei collegi dell'Allegato A: 1..N senza salti né doppioni",
                   list(range(1, len(numbers) + 1)), numbers, first, collegi[-1].line if collegi else None,
                   "I numeri d'ordine dei collegi non sono consecutivi.")
        for n, c in Counter(numbers).items():
            if c > 1:
                self.ctx.warn("duplicate-collegio", f"collegio {n} appears {c} times in Allegato A")

    # association section -------------------------------------------------------------------
    def split_blocks(self, lines):
        """``{collegio: [(line, text), ...]}`` of non-blank lines, headings, candidate line count."""
        blocks: dict[int, list] = {}
        headings: dict[int, int] = {}
        current, lines_in = None, 0
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
            lines_in += 1
            if current is None:
                self.reject(n, "testo prima del primo titolo 'Collegio N'", "comuni_collegi")
            else:
                blocks[current].append((n, t))
        return blocks, headings, lines_in

    def check_association(self, collegi, headings, assoc_line):
        declared = sorted(c.number for c in collegi)
        parsed = sorted(headings)
        self.check("collegi-associated",
                   "Ogni collegio dell'Allegato A ha il suo blocco 'Collegio N' nell'associazione comuni/collegi",
                   declared, parsed, assoc_line, max(headings.values(), default=assoc_line),
                   f"Senza blocco: {sorted(set(declared) - set(parsed))}; "
                   f"blocchi senza collegio: {sorted(set(parsed) - set(declared))}.")

    def parse_block(self, number: int, block) -> tuple[list[_Group], int]:
        """Split a collegio's lines into explicit lists (closed by their count) and rules."""
        groups: list[_Group] = []
        pending: list[tuple[int, str]] = []
        n_lists = n_rules = rule_lines = 0

        def close_list(declared):
            nonlocal n_lists, pending
            n_lists += 1
            g = _Group(f"C{number:02d}-L{n_lists}", number, "list", pending[0][0], pending[-1][0],
                       declared=declared)
            g.names = self.split_names(pending)
            if declared is None:
                self.ctx.warn("list-without-count",
                              f"collegio {number}: list ending at line {g.line_end} has no printed count",
                              g.line_end)
            groups.append(g)
            pending = []

        for n, t in block:
            if _RULE_START.match(t):
                if pending:
                    close_list(None)
                rule_lines += 1
                for clause in _RULE_SPLIT.split(t.strip()):
                    head, *extra = ([clause] if _ZONE_RULE.match(clause) or re.search(_EXCEPT, clause, re.I)
                                    else clause.split(","))
                    n_rules += 1
                    groups.append(_Group(f"C{number:02d}-R{n_rules}", number, "rule", n, n, head.strip()))
                    extra = [e for e in extra if e.strip()]
                    if extra:                                     # "..., SAN COLOMBANO AL LAMBRO"
                        n_lists += 1
                        g = _Group(f"C{number:02d}-L{n_lists}", number, "list", n, n)
                        g.names = [(e.strip(), n, n) for e in extra]
                        groups.append(g)
                continue
            pending.append((n, t))
            m = _COUNT_RE.search(t)
            if m:
                close_list(int(m.group(1)))
        if pending:
            close_list(None)
        return groups, rule_lines

    def split_names(self, pending) -> list[tuple[str, int, int]]:
        """Comma-separated names over wrapped lines, each with the lines it spans."""
        names, buf, start = [], [], None
        for i, (n, t) in enumerate(pending):
            text = _COUNT_RE.sub("", t) if i == len(pending) - 1 else t
            parts = text.split(",")
            for j, part in enumerate(parts):
                if part.strip():
                    if start is None:
                        start = n
                    buf.append(part.strip())
                if j < len(parts) - 1:                           # a comma closes the name
                    if buf:
                        names.append((" ".join(buf), start, n))
                    else:
                        self.reject(n, "nome vuoto tra due virgole", "comuni_collegi")
                    buf, start = [], None
        if buf:
            names.append((" ".join(buf), start, pending[-1][0]))
        return names

    # rows ------------------------------------------------------------------------------
    def build_rows(self, groups: list[_Group]):
        rows, regole = [], []
        for g in groups:
            if g.kind == "list":
                hint = self.list_provinces(g) or self.region_sigle
                for pos, (name, a, b) in enumerate(g.names, 1):
                    r = self.ctx.resolve(name, a, province=hint)
                    c = self.reg.get(r.istat) if r.ok else None
                    rows.append(self.row(g, pos, name, c, resolution_fields(r), a, b, "list"))
                continue
            regola = self.expand_rule(g, rows)
            if regola:
                regole.append(regola)
        return rows, regole

    def list_provinces(self, g: _Group) -> list[str]:
        """Provinces of a list's members found by exact (non-fuzzy) lookup: the hint that keeps the
        fuzzy matching of a misspelt name among its neighbours (DESANO stays in Varese)."""
        provs = set()
        for name, _, _ in g.names:
            r = self.reg.resolve(name, province=self.region_sigle, fuzzy=False)
            c = self.reg.get(r.istat) if r.ok else None
            if c is not None and c.province_sigla in self.region_sigle:
                provs.add(c.province_sigla)
        return sorted(provs)

    def row(self, g: _Group, pos, name, c: Comune | None, res: dict, a, b, kind, rule_id=None,
            part=None, note=""):
        now = self.today(c.istat) if c else None
        if c is not None and not note:
            note = self.change_note(c)
        return {"collegio": g.collegio, "group_id": g.id, "position": pos, "comune": name, **res,
                "province": c.province_sigla if c else None,
                "istat_today": now.istat if now else None, "comune_today": now.name if now else None,
                "source_kind": kind, "rule_id": rule_id, "part": part, "note": note or None,
                **provenance(self.doc.id, a, b)}

    def expand_rule(self, g: _Group, rows: list[dict]) -> dict | None:
        text = g.text
        m = _PROVINCE_RULE.match(text)
        if m:
            return self.expand_province(g, m, rows)
        m = _ZONE_RULE.match(text)
        if m:
            return self.expand_zones(g, m, rows)
        self.reject(g.line_start, f"regola non riconosciuta: {text!r}", "regole")
        return None

    def expand_province(self, g: _Group, m, rows) -> dict | None:
        prov_name = m.group("prov").strip()
        sigla = self.reg.province_sigla(prov_name)
        if sigla is None:
            self.reject(g.line_start, f"provincia sconosciuta nella regola: {prov_name!r}", "regole")
            return None
        excluded_ids, excluded_names = set(), []
        if m.group("exc"):
            for name in re.split(r",|\s+E\s+", m.group("exc")):
                if not name.strip():
                    continue
                r = self.ctx.resolve(name.strip(), g.line_start, province=sigla)
                excluded_names.append(name.strip())
                if r.ok:
                    excluded_ids.add(r.istat)
        members = self.comuni_as_of(sigla)
        ids = {c.istat for c in members}
        if m.group("exc"):
            self.check(f"rule-exceptions:{g.id}",
                       f"Le eccezioni della regola {g.id} sono comuni della provincia {sigla} alla data",
                       len(excluded_names), len(excluded_ids & ids), g.line_start, g.line_start,
                       "Alcune eccezioni non sono comuni della provincia alla data del documento "
                       "(o non sono state risolte).")
        members = [c for c in members if c.istat not in excluded_ids]
        for pos, c in enumerate(members, 1):
            res = {"istat": c.istat, "resolution_method": "rule", "resolution_score": None}
            rows.append(self.row(g, pos, c.name, c, res, g.line_start, g.line_end, "rule", g.id))
        registry_now = self.reg.comuni_of_province(sigla)
        new_since = sorted(c.name for c in registry_now if not self.existed(c))
        merged_since = sorted(c.name for c in members if c.historical)
        return {"rule_id": g.id, "collegio": g.collegio, "text": g.text,
                "kind": "provincia-eccetto" if m.group("exc") else "provincia",
                "province": sigla, "city_istat": None, "zones": None,
                "excluded": ", ".join(excluded_names) or None, "comuni": len(members),
                "comuni_registry": len(registry_now),
                "new_since": ", ".join(new_since) or None, "merged_since": ", ".join(merged_since) or None,
                **provenance(self.doc.id, g.line_start, g.line_end)}

    def expand_zones(self, g: _Group, m, rows) -> dict | None:
        city = m.group("city").strip()
        zones = sorted(int(z) for z in re.findall(r"\d+", m.group("nums")))
        r = self.ctx.resolve(city, g.line_start, province=self.region_sigle)
        c = self.reg.get(r.istat) if r.ok else None
        word = "zona" if len(zones) == 1 else "zone"
        part = f"{word} {', '.join(map(str, zones))}"
        rows.append(self.row(g, 1, city, c, resolution_fields(r), g.line_start, g.line_end, "rule", g.id,
                             part=part))
        return {"rule_id": g.id, "collegio": g.collegio, "text": g.text, "kind": "zone",
                "province": c.province_sigla if c else None, "city_istat": c.istat if c else None,
                "zones": ", ".join(map(str, zones)), "excluded": None, "comuni": 1,
                "comuni_registry": None, "new_since": None, "merged_since": None,
                **provenance(self.doc.id, g.line_start, g.line_end)}

    # checks on the lists and the region ------------------------------------------------------
    def check_lists(self, groups, rows):
        for g in groups:
            if g.kind == "list" and g.declared is not None:
                self.check(f"list-count:{g.id}",
                           f"Collegio {g.collegio}, elenco {g.id}: numero di comuni = conteggio stampato",
                           g.declared, len(g.names), g.line_start, g.line_end,
                           "Il conteggio stampato in fondo all'elenco non coincide con i nomi elencati.")
        named = [r for r in rows if r["source_kind"] == "list" or r["part"]]
        stale = [r for r in named if r["istat"] and not self.existed(self.reg.get(r["istat"]))]
        outside = [r for r in named if r["province"] and r["province"] not in self.region_sigle]
        self.check("as-of-date", "Comuni nominati che non esistevano alla data del documento",
                   0, len(stale), *self.span,
                   "; ".join(f"{r['comune']} (riga {r['line_start']}) -> {r['istat']}" for r in stale))
        self.check("outside-region", f"Comuni nominati fuori dalla regione {REGION}", 0, len(outside),
                   *self.span,
                   "; ".join(f"{r['comune']} (riga {r['line_start']}) -> {r['province']}" for r in outside))

    def check_zones(self, rows):
        by_city: dict[str, list[tuple[int, dict]]] = defaultdict(list)
        for r in rows:
            if r["part"] and r["istat"]:
                for z in re.findall(r"\d+", r["part"]):
                    by_city[r["istat"]].append((int(z), r))
        for istat, zs in sorted(by_city.items()):
            numbers = sorted(z for z, _ in zs)
            name = self.reg.get(istat).name
            lines = [r["line_start"] for _, r in zs]
            self.check(f"zones:{istat}",
                       f"Zone di {name}: ciascuna zona da 1 a {max(numbers)} assegnata a un solo collegio",
                       list(range(1, max(numbers) + 1)), numbers, min(lines), max(lines),
                       "Zone mancanti o assegnate a più collegi.")

    def check_coverage(self, rows):
        """Every comune of the region at the document's date in exactly one collegio."""
        assigned: dict[str, set[int]] = defaultdict(set)
        for r in rows:
            if r["istat"]:
                assigned[r["istat"]].add(r["collegio"])
        zone_cities = {r["istat"] for r in rows if r["part"]}
        full = defaultdict(set)
        for r in rows:
            if r["istat"] and not r["part"]:
                full[r["istat"]].add(r["collegio"])
        all_missing, all_double = [], []
        for sigla in self.region_sigle:
            universe = self.comuni_as_of(sigla)
            missing = [c for c in universe if c.istat not in assigned]
            double = [c for c in universe
                      if len(full[c.istat]) > 1 or (full[c.istat] and c.istat in zone_cities)]
            all_missing += missing
            all_double += double
            covered = sum(1 for c in universe if c.istat in assigned)
            self.check(f"coverage:{sigla}",
                       f"Comuni della provincia {sigla} alla data del documento (registro ISTAT 2023 riportato alla "
                       f"data con il crosswalk storico) assegnati a un collegio",
                       len(universe), covered, *self.span,
                       "Non assegnati: " + ", ".join(f"{c.name} ({c.istat})" for c in missing))
        self.check("double-assignment", "Comuni assegnati a più di un collegio", 0, len(all_double),
                   *self.span,
                   "; ".join(f"{c.name} ({c.istat}): collegi {sorted(assigned[c.istat])}" for c in all_double))
        universe_ids = {c.istat for s in self.region_sigle for c in self.comuni_as_of(s)}
        self.result.facts += [
            self.fact(f"Comuni della {REGION} alla data del documento", len(universe_ids), "comuni",
                      *self.span),
            self.fact("Comuni assegnati a un collegio", len(universe_ids & set(assigned)), "comuni",
                      *self.span)]

    # package ---------------------------------------------------------------------------
    def package(self, collegi, rows, regole, groups, collegi_lines_in, comuni_lines_in, rule_lines):
        provinces = defaultdict(set)
        comuni = defaultdict(set)
        for r in rows:
            if r["province"]:
                provinces[r["collegio"]].add(r["province"])
            comuni[r["collegio"]].add(r["istat"] or f"?{r['comune']}")
        declared = defaultdict(lambda: None)
        n_rules = Counter(g.collegio for g in groups if g.kind == "rule")
        for g in groups:
            if g.kind == "list" and g.declared is not None and not n_rules[g.collegio]:
                declared[g.collegio] = (declared[g.collegio] or 0) + g.declared
        collegi_rows = [{"number": c.number, "name": c.name, "seats": c.seats,
                         "provinces": ", ".join(sorted(provinces[c.number])) or None,
                         "declared_comuni": declared[c.number], "comuni": len(comuni[c.number]),
                         "rules": n_rules[c.number], **provenance(self.doc.id, c.line)} for c in collegi]
        seats = sum(c.seats for c in collegi)
        if collegi:
            span = (collegi[0].line, collegi[-1].line)
            self.result.facts[:0] = [self.fact("Collegi", len(collegi), "collegi", *span),
                                     self.fact("Seggi dell'Assemblea regionale eletti nei collegi", seats,
                                               "seggi", *span)]
        collegio_fk = {"fields": "collegio", "reference": {"resource": "collegi", "fields": "number"}}
        resolution = [dict(f) for f in RESOLUTION_FIELDS]
        resolution[1]["description"] = ("exact, normalised, folded, alias, historical, fuzzy, ambiguous, "
                                        "unresolved; 'rule' per i comuni ottenuti espandendo una regola")
        tables = [
            Table("collegi", "Collegi (Allegato A)",
                  "I collegi per l'elezione dell'Assemblea regionale del PD Lombardia con i seggi assegnati.",
                  [{"name": "number", "type": "integer", "title": "Collegio",
                    "description": "Numero d'ordine del collegio nell'Allegato A",
                    "constraints": {"required": True, "minimum": 1}},
                   {"name": "name", "type": "string", "title": "Denominazione",
                    "description": "Denominazione del collegio come scritta nel documento",
                    "constraints": {"required": True}},
                   {"name": "seats", "type": "integer", "title": "Seggi",
                    "description": "Componenti dell'Assemblea regionale eletti nel collegio",
                    "constraints": {"required": True, "minimum": 0}},
                   {"name": "provinces", "type": "string", "title": "Province",
                    "description": "Sigle delle province (alla data del documento) dei comuni del collegio"},
                   {"name": "declared_comuni", "type": "integer", "title": "Comuni dichiarati",
                    "description": "Somma dei conteggi stampati in fondo agli elenchi (vuoto se il collegio "
                                   "è definito anche da regole)"},
                   {"name": "comuni", "type": "integer", "title": "Comuni",
                    "description": "Comuni assegnati al collegio (elenchi e regole espanse alla data)"},
                   {"name": "rules", "type": "integer", "title": "Regole",
                    "description": "Numero di regole (province intere, zone di Milano) del collegio"}],
                  collegi_rows, primary_key=["number"], lines_in=collegi_lines_in),
            Table("comuni_collegi", "Comuni dei collegi",
                  "Un comune per riga: nominato in un elenco del documento o ottenuto espandendo una regola "
                  "alla data del documento (17 gennaio 2014).",
                  [{"name": "collegio", "type": "integer", "title": "Collegio",
                    "constraints": {"required": True}},
                   {"name": "group_id", "type": "string", "title": "Elenco o regola",
                    "description": "Id dell'elenco (Cnn-Lk) o della regola (Cnn-Rk) da cui viene il comune",
                    "constraints": {"required": True}},
                   {"name": "position", "type": "integer", "title": "Posizione",
                    "description": "Posizione nell'elenco (o nell'espansione della regola)",
                    "constraints": {"required": True, "minimum": 1}},
                   {"name": "comune", "type": "string", "title": "Comune",
                    "description": "Nome come scritto nel documento (elenchi, zone) o dal registro (regole)",
                    "constraints": {"required": True}},
                   *resolution,
                   {"name": "province", "type": "string", "title": "Provincia",
                    "description": "Sigla della provincia del comune alla data del documento"},
                   {"name": "istat_today", "type": "string", "title": "Codice ISTAT attuale",
                    "description": "Codice ISTAT del comune che oggi comprende il territorio (registro 2023)",
                    "constraints": {"pattern": "[0-9]{6}"}},
                   {"name": "comune_today", "type": "string", "title": "Comune attuale"},
                   {"name": "source_kind", "type": "string", "title": "Origine",
                    "description": "list = nominato in un elenco; rule = da una regola",
                    "constraints": {"required": True, "enum": ["list", "rule"]}},
                   {"name": "rule_id", "type": "string", "title": "Regola",
                    "description": "Id della regola (tabella regole) se source_kind = rule"},
                   {"name": "part", "type": "string", "title": "Parte del comune",
                    "description": "Zone del comune assegnate al collegio (solo per i comuni divisi)"},
                   {"name": "note", "type": "string", "title": "Nota",
                    "description": "Variazioni del comune dopo la data del documento"}],
                  rows, primary_key=["group_id", "position"],
                  foreign_keys=[COMUNE_FK, collegio_fk,
                                {"fields": "rule_id", "reference": {"resource": "regole", "fields": "rule_id"}}],
                  lines_in=comuni_lines_in),
            Table("regole", "Regole di composizione dei collegi",
                  "Le regole del documento (tutti i comuni di una provincia, zone di Milano) e la loro "
                  "espansione alla data del documento, con le differenze rispetto al registro 2023.",
                  [{"name": "rule_id", "type": "string", "title": "Regola",
                    "constraints": {"required": True}},
                   {"name": "collegio", "type": "integer", "title": "Collegio",
                    "constraints": {"required": True}},
                   {"name": "text", "type": "string", "title": "Testo",
                    "description": "Testo della regola come scritto nel documento",
                    "constraints": {"required": True}},
                   {"name": "kind", "type": "string", "title": "Tipo",
                    "constraints": {"required": True, "enum": ["provincia", "provincia-eccetto", "zone"]}},
                   {"name": "province", "type": "string", "title": "Provincia"},
                   {"name": "city_istat", "type": "string", "title": "Codice ISTAT del comune diviso in zone",
                    "constraints": {"pattern": "[0-9]{6}"}},
                   {"name": "zones", "type": "string", "title": "Zone"},
                   {"name": "excluded", "type": "string", "title": "Comuni esclusi"},
                   {"name": "comuni", "type": "integer", "title": "Comuni alla data",
                    "description": "Comuni ottenuti espandendo la regola alla data del documento"},
                   {"name": "comuni_registry", "type": "integer", "title": "Comuni nel registro 2023",
                    "description": "Comuni della provincia nel registro ISTAT 2023"},
                   {"name": "new_since", "type": "string", "title": "Comuni istituiti dopo la data",
                    "description": "Comuni del registro 2023 che non esistevano alla data del documento"},
                   {"name": "merged_since", "type": "string", "title": "Comuni soppressi dopo la data",
                    "description": "Comuni esistenti alla data del documento e in seguito soppressi (fusione, "
                                   "incorporazione) o passati ad altra provincia"}],
                  regole, primary_key=["rule_id"], foreign_keys=[collegio_fk], lines_in=rule_lines),
        ]
        self.result.datasets.append(Dataset(
            "collegi-pd-lombardia-2014", "Collegi PD Lombardia 2014",
            "Collegi per l'elezione dell'Assemblea regionale del Partito Democratico della Lombardia "
            "(16 febbraio 2014): seggi e comuni di ciascun collegio. Documento di partito, non atto pubblico.",
            tables, programme="collegi-pd-lombardia-2014",
            keywords=["Partito Democratico", "Lombardia", "collegi", "elezioni primarie", "2014"]))
