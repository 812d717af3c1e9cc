"""SMART polizia locale: capofila groups and their participants, per province.

The document is a sequence of province blocks::

    BERGAMO                                                   <- province heading
    Progr.  CAPOFILA SMART  Comuni aggregati  Totale Comuni coinvolti   <- column header
    1       BERGAMO         Dalmine, Azzano San Paolo, Comun Nuovo     4

(tab-separated cells). What the parser relies on, and the hazards it handles:

* **Blocks.** A column header opens a block; the province is the heading above it. A
  heading may repeat (a province continued on the next page: the progr numbers go on)
  or be missing: the province is then inferred from evidence (see
  :func:`_infer_province`) and the inference is published as a check and in the
  ``gruppi`` rows.
* **Aggregati cell.** Items are separated by commas (sometimes without a space), by
  ``" e "`` before the last item, and once by a full stop (``"Pogliano. San Vittore"``).
  ``" e "`` is a separator only when the whole name is not a comune and both sides
  are (``"Santa Cristina e Bissone"`` stays one comune, ``"Covo e Mapello"`` is two);
  a full stop only after a word of three letters or more (``"S. Stefano T."`` is one).
* **Parentheses.** ``"(PV)"`` is a province hint; ``"(convenzione con X)"`` names a
  comune taking part through a convention; any other list in parentheses names the
  member comuni of the ente before it (``"Unione Colli Mantovani (Monzambano e Volta
  Mantovana)"``; at the start of the cell, of the capofila: ``"CM di SCALVE (Azzone,
  ...)"``). An unclosed parenthesis runs to the end of the cell (and is noted).
* **Enti.** An item is typed by its leading words (Unione, CM / Comunità montana,
  Provincia, Corpo intercomunale...). An ente in capitals embedded mid-item without
  separators (``"Berzo Inferiore UNIONE VALSAVIORE Berzo Demo"``) is split out. A
  union's label naming its comuni (``"UNIONE ... TRA I COMUNI DI PONTEVICO E ROBECCO
  D'OGLIO"``) gives member comuni. Other items of the "Comuni aggregati" column are
  comuni (the column says so), resolved or not; a capofila without keyword is a comune
  only if it resolves.

Every group is checked against its declared ``Totale Comuni coinvolti`` (counted as
distinct comuni, see :func:`_explain_total`) and the progr numbers of each province
against the sequence 1..N.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..quality import Check, Reject
from ..registry import normalise
from .base import (COMUNE_FK, RESOLUTION_FIELDS, Dataset, ParseResult, Parser, Table,
                   provenance, resolution_fields)

SLUG = "smart-polizia-locale-2025"

HEADER_COLUMNS = ("Progr.", "CAPOFILA SMART", "Comuni aggregati", "Totale Comuni coinvolti")

COMUNE = "comune"
UNIONE = "unione di comuni"
CM = "comunità montana"
PROVINCIA = "provincia"
ALTRO = "altro ente"
UNKNOWN = "non determinato"

# Leading words that say an item is an ente other than a comune.
_KEYWORDS = [
    (re.compile(r"^unione\b", re.I), UNIONE),
    (re.compile(r"^(c\.?\s?m\.?|comunit[aà]'?\s+montana)(\s|$)", re.I), CM),
    (re.compile(r"^provincia\b", re.I), PROVINCIA),
    (re.compile(r"^(corpo|consorzio|associazione|convenzione)\b", re.I), ALTRO),
]
# The same keywords written in capitals in the middle of an item ("... UNIONE VALSAVIORE ...").
_EMBEDDED_ENTE = re.compile(r"(?<=\S)\s+((?:UNIONE|CM|COMUNIT[AÀ]'? MONTANA|PROVINCIA)"
                            r"(?:\s+[A-ZÀ-Ü'’]{2,})+)(?=\s+|$)")
_LABEL_MEMBERS = re.compile(r"\b(?:tra|fra)\s+i\s+comuni\s+di\s+(.+)$", re.I)
_CONVENTION = re.compile(r"^\s*(?:in\s+)?convenzione\s+con\s+(.+?)\s*$", re.I)
_SIGLA = re.compile(r"^\s*([A-Z]{2})\s*$")
_WITH_AGGREGATO = re.compile(r"^\s*con\s+aggregat[oi]\s+", re.I)
_DATA_ROW = re.compile(r"^\s*(\d{1,3})\t")


# -- reading the layout ---------------------------------------------------------------------
@dataclass
class RawGroup:
    line: int
    progr: int
    capofila: str
    aggregati: str
    declared: int


@dataclass
class Block:
    header_line: int
    province: str | None          # sigla
    heading_line: int | None      # None when the heading is missing
    groups: list[RawGroup] = field(default_factory=list)
    province_note: str = ""


def _province_of_heading(text: str, registry) -> str | None:
    """``'BERGAMO'`` -> ``'BG'``; ``'MONZA BRIANZA'`` -> ``'MB'`` (all its words in one name)."""
    t = text.strip()
    if not t or not t.isupper() or "\t" in t:
        return None
    sigla = registry.province_sigla(t)
    if sigla:
        return sigla
    words = set(normalise(t).split())
    hits = [s for s, p in registry.provinces.items() if words <= set(normalise(p["name"]).split())]
    return hits[0] if len(hits) == 1 else None


def _is_header(cells: list[str]) -> bool:
    return bool(cells) and cells[0].strip().lower().startswith("progr")


def _read_layout(doc, ctx) -> tuple[list[Block], list[Reject], list[int]]:
    """Blocks of groups, rejected lines, and the candidate data lines (for accounting)."""
    blocks: list[Block] = []
    rejects: list[Reject] = []
    candidates: list[int] = []
    heading: tuple[str, int] | None = None
    header_open: tuple[int, str] | None = None   # (line, text of its last cell) if incomplete
    for n, text in doc.numbered():
        if not text.strip():
            header_open = None
            continue
        cells = text.split("\t")
        if _is_header(cells):
            last = cells[-1].strip()
            header_open = (n, last) if last != HEADER_COLUMNS[-1] else None
            prov, hline = (heading if heading else (None, None))
            blocks.append(Block(n, prov, hline))
            if heading is None:
                ctx.warn("missing-heading", "tabella senza intestazione di provincia (provincia "
                         f"dedotta dalle evidenze: controllo block-province:{n})", n)
            heading = None
            continue
        if header_open:
            line0, last = header_open
            header_open = None
            rest = [c.strip() for c in cells if c.strip()]
            if rest and f"{last} {rest[-1]}" == HEADER_COLUMNS[-1]:
                junk = " ".join(rest[:-1])
                ctx.warn("header-split", f"intestazione di colonna spezzata sulle righe "
                         f"{line0}-{n}" + (f"; scartato il frammento spurio {junk!r}" if junk
                                           else ""), n)
                continue
        sigla = _province_of_heading(text, ctx.registry)
        if sigla:
            if heading is not None:     # the previous heading never got its table
                ctx.warn("heading-without-table", f"intestazione di provincia {heading[0]} "
                         f"(riga {heading[1]}) seguita da un'altra intestazione senza tabella",
                         heading[1])
            heading = (sigla, n)
            continue
        candidates.append(n)
        m = _DATA_ROW.match(text)
        if not m or not blocks:
            rejects.append(Reject(doc.id, n, text, "riga non riconosciuta (né intestazione né "
                                  "riga di gruppo)", "gruppi"))
            continue
        if len(cells) != 4:
            rejects.append(Reject(doc.id, n, text, f"attese 4 colonne separate da tabulazione, "
                                  f"trovate {len(cells)}", "gruppi"))
            continue
        total = cells[3].strip()
        if not total.isdigit():
            rejects.append(Reject(doc.id, n, text, f"totale comuni non numerico: {total!r}",
                                  "gruppi"))
            continue
        blocks[-1].groups.append(RawGroup(n, int(cells[0]), cells[1].strip(), cells[2].strip(),
                                          int(total)))
    return blocks, rejects, candidates


# -- splitting the cells into entries -----------------------------------------------------
@dataclass
class Entry:
    """One participant before resolution."""
    name: str
    role: str                      # capofila | aggregato | membro
    kind: str | None = None        # ente type from keywords; None = to be decided
    member_of: str = ""
    province: str | None = None    # explicit "(PV)" in the text
    notes: list[str] = field(default_factory=list)


def _kind(name: str) -> str | None:
    for rx, kind in _KEYWORDS:
        if rx.match(name):
            return kind
    return None


def _top_level(text: str) -> list[tuple[list[tuple[str, str, bool]], str]]:
    """Split ``text`` at top-level separators into segments.

    Each segment is ``(pieces, separator_note)``; a piece is ``("text", s, True)`` or
    ``("paren", content, closed)``. A full stop followed by a space separates only
    after a word of three letters or more (abbreviations like ``"S. Stefano"`` do not).
    """
    segments: list[tuple[list[tuple[str, str, bool]], str]] = []
    pieces: list[tuple[str, str, bool]] = []
    buf, depth, paren, note = "", 0, "", ""

    def flush_text():
        nonlocal buf
        if buf.strip():
            pieces.append(("text", buf, True))
        buf = ""

    i = 0
    while i < len(text):
        ch = text[i]
        if depth:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    pieces.append(("paren", paren, True))
                    paren = ""
                    i += 1
                    continue
            paren += ch
        elif ch == "(":
            flush_text()
            depth = 1
        elif ch == "," or (ch == "." and text[i + 1:i + 2] == " "
                           and re.search(r"[^\W\d_]{3,}$", buf)):
            flush_text()
            segments.append((pieces, note))
            pieces, note = [], ("separatore '.' al posto della virgola" if ch == "." else "")
        else:
            buf += ch
        i += 1
    flush_text()
    if depth:
        pieces.append(("paren", paren, False))
    segments.append((pieces, note))
    return [(p, n) for p, n in segments if p]


def _split_and(name: str, province: str | None, is_comune) -> list[str]:
    """``"Covo e Mapello"`` -> two names; ``"Santa Cristina e Bissone"`` stays one comune.

    Splits at ``" e "`` only when the whole is not a comune and every part is.
    """
    if is_comune(name, province):
        return [name]
    parts = re.split(r"\s+e\s+", name, flags=re.I)
    for cut in range(1, len(parts)):
        left = " e ".join(parts[:cut])
        if is_comune(left, province):
            right = _split_and(" e ".join(parts[cut:]), province, is_comune)
            if all(is_comune(r, province) for r in right):
                return [left] + right
    return [name]


def _entries_of_text(text: str, province: str | None, is_comune,
                     notes: list[str]) -> list[Entry]:
    """Aggregati from one plain text piece: embedded capitalised enti and ``" e "`` lists."""
    text = _WITH_AGGREGATO.sub("", text).strip(" -–")
    if not text:
        return []
    m = _EMBEDDED_ENTE.search(text)
    if m:
        ente = m.group(1).strip()
        left, right = text[:m.start()].strip(), text[m.end():].strip()
        note = f"«{ente}» inserita nell'elenco senza separatori"
        out = _entries_of_text(left, province, is_comune, notes + [note]) if left else []
        out.append(Entry(ente, "aggregato", _kind(ente), notes=list(notes) + [
            f"inserita nell'elenco senza separatori, tra «{left}» e «{right}»"]))
        if right:
            out += _entries_of_text(right, province, is_comune, notes + [note])
        return out
    kind = _kind(text)
    if kind:
        return [Entry(text, "aggregato", kind, notes=list(notes))]
    return [Entry(n, "aggregato", notes=list(notes))
            for n in _split_and(text, province, is_comune)]


def split_cell(text: str, capofila: str, province: str | None, is_comune) -> list[Entry]:
    """Entries of an aggregati cell (members of the capofila first, when given)."""
    out: list[Entry] = []
    for seg_i, (pieces, sep_note) in enumerate(_top_level(text)):
        notes = [sep_note] if sep_note else []
        current: list[Entry] = []
        for kind, content, closed in pieces:
            if kind == "text":
                current = _entries_of_text(content, province, is_comune, notes)
                out += current
                continue
            owner = current[-1] if current else None
            sig = _SIGLA.match(content)
            conv = _CONVENTION.match(content)
            if sig and owner:
                owner.province = sig.group(1)
                owner.notes.append(f"provincia indicata nel testo: ({sig.group(1)})")
            elif conv and owner:
                owner.notes.append(f"in convenzione con {conv.group(1)} (tra parentesi)")
                for partner in split_cell(conv.group(1), capofila, province, is_comune):
                    partner.notes.append(f"in convenzione con {owner.name} (tra parentesi)")
                    out.append(partner)
            elif owner is None and seg_i > 0:   # "..., (A, B)": no ente to belong to
                for e in split_cell(content, capofila, province, is_comune):
                    e.notes.append("elencato tra parentesi senza un ente che lo preceda")
                    out.append(e)
            else:           # members of the ente before, or of the capofila at cell start
                ente = owner.name if owner else capofila
                for member in split_cell(content, capofila, province, is_comune):
                    member.role, member.member_of = "membro", ente
                    if not closed:
                        member.notes.append(f"parentesi aperta dopo «{ente}» e mai chiusa: "
                                            "appartenenza incerta")
                    out.append(member)
    return out


def capofila_label_members(label: str, province: str | None, is_comune) -> list[Entry]:
    """Comuni named in an ente's label: ``"UNIONE ... TRA I COMUNI DI A E B"``."""
    m = _LABEL_MEMBERS.search(label)
    if not m:
        return []
    out = []
    for part in m.group(1).split(","):
        for n in _split_and(part.strip(), province, is_comune):
            out.append(Entry(n, "membro", None, label, None,
                             ["nominato nella denominazione del capofila"]))
    return out


# -- province inference -------------------------------------------------------------------
def _infer_province(block: Block, blocks: list[Block], ctx, entries: list[Entry]) -> Check:
    """Province of a block whose heading is missing, from three pieces of evidence.

    1. the provinces of the block's names that resolve without a hint (a "Provincia di X"
       entry votes for X); 2. the provinces of the region that have no heading;
    3. the alphabetical place of the block between its neighbours (weak: the document
    is mostly, not strictly, alphabetical). If the progr numbers continue the previous
    block and the names agree with its province, the block is a continuation.
    """
    reg = ctx.registry
    votes: Counter = Counter()
    for e in entries:
        kind = e.kind
        if kind == PROVINCIA:
            s = reg.province_sigla(re.sub(r"^provincia\s+(di\s+)?", "", e.name, flags=re.I))
            if s:
                votes[s] += 1
        elif kind is None:
            r = reg.resolve(e.name, fuzzy=False)
            if r.ok:
                votes[reg.get(r.istat).province_sigla] += 1
    i = blocks.index(block)
    prev = next((b for b in reversed(blocks[:i]) if b.province), None)
    nxt = next((b for b in blocks[i + 1:] if b.province), None)
    headed = {b.province for b in blocks if b.province}
    regions = {reg.provinces[s]["region"] for s in headed}
    unheaded = {s for s, p in reg.provinces.items() if p["region"] in regions} - headed

    def name(sigla: str) -> str:
        return normalise(reg.provinces[sigla]["name"])

    between = {s for s in unheaded | headed
               if (not prev or name(prev.province) < name(s))
               and (not nxt or name(s) < name(nxt.province))}
    total = sum(votes.values())
    winner, n_win = votes.most_common(1)[0] if votes else (None, 0)
    first = block.groups[0].progr if block.groups else None
    continues = bool(prev and prev.groups and first == prev.groups[-1].progr + 1
                     and prev is blocks[i - 1])
    evidence = [f"{n_win} nomi su {total} risolti senza provincia sono in {winner}"
                if winner else "nessun nome risolto senza provincia"]
    if continues:
        evidence.append(f"la numerazione prosegue quella del blocco {prev.province}")
        agree = winner == prev.province
    else:
        evidence.append(f"la numerazione riparte da {first}: nuova provincia")
        evidence.append("province della regione senza intestazione: "
                        + (", ".join(sorted(unheaded)) or "nessuna"))
        evidence.append(f"ordine alfabetico tra {prev.province if prev else 'inizio'} e "
                        f"{nxt.province if nxt else 'fine'}: " + ", ".join(sorted(between)))
        agree = bool(winner) and winner in unheaded and winner in between
    agree = agree and n_win * 2 > total
    block.province = winner if agree else None
    block.province_note = ("dedotta (intestazione mancante): " + "; ".join(evidence)) if agree \
        else "non determinata (intestazione mancante): " + "; ".join(evidence)
    return Check(f"block-province:{block.header_line}",
                 "Provincia di un blocco senza intestazione, dedotta dai comuni elencati, dalle "
                 "province senza intestazione e dall'ordine dei blocchi",
                 None, block.province, agree, doc_id=ctx.doc_id, line_start=block.header_line,
                 line_end=block.groups[-1].line if block.groups else block.header_line,
                 explanation="; ".join(evidence))


# -- checks on the declared totals ----------------------------------------------------------
def _explain_total(declared: int, comuni: int, capofila_kind: str,
                   other_aggregati: int) -> str:
    """The most likely reading of a declared total that differs from the distinct comuni."""
    readings = []
    if capofila_kind not in (COMUNE, UNKNOWN):
        readings.append((comuni + 1, f"il totale conta anche l'ente capofila ({capofila_kind}) "
                                     "come uno"))
    if capofila_kind == COMUNE:
        readings.append((comuni - 1, "il totale coincide con i comuni aggregati: sembra "
                                     "escludere il comune capofila"))
    if other_aggregati:
        readings.append((comuni + other_aggregati, f"il totale conta anche {other_aggregati} "
                                                   "ente/i non comunale/i aggregato/i"))
    for value, why in readings:
        if value == declared:
            return why
    return (f"l'elenco nomina {comuni} comuni e nessuna lettura (ente capofila o aggregati "
            f"contati come uno, capofila escluso) dà {declared}: probabile nome omesso "
            "dall'elenco o errore nel totale")


# -- the parser -----------------------------------------------------------------------------
GRUPPI_FIELDS = [
    {"name": "group_id", "type": "string", "title": "Gruppo",
     "description": "Sigla della provincia e numero progressivo (es. BG-5)",
     "constraints": {"required": True, "unique": True}},
    {"name": "province", "type": "string", "title": "Provincia (sigla)"},
    {"name": "province_name", "type": "string", "title": "Provincia"},
    {"name": "province_source", "type": "string", "title": "Fonte della provincia",
     "description": "intestazione (del blocco nel documento) o dedotta (intestazione mancante)",
     "constraints": {"enum": ["intestazione", "dedotta", "non determinata"]}},
    {"name": "province_note", "type": "string", "title": "Nota sulla provincia"},
    {"name": "progr", "type": "integer", "title": "Progr.", "constraints": {"minimum": 1}},
    {"name": "capofila", "type": "string", "title": "Capofila SMART",
     "description": "Come scritto nel documento"},
    {"name": "capofila_type", "type": "string", "title": "Tipo di capofila"},
    *RESOLUTION_FIELDS,
    {"name": "aggregati_text", "type": "string", "title": "Comuni aggregati (testo)",
     "description": "La cella «Comuni aggregati» come scritta nel documento"},
    {"name": "declared_total", "type": "integer", "title": "Totale comuni coinvolti (dichiarato)"},
    {"name": "counted_comuni", "type": "integer", "title": "Comuni contati",
     "description": "Comuni distinti nominati nella riga: capofila se comune, aggregati, comuni "
                    "membri di un ente nominato, comuni in convenzione"},
    {"name": "counted_other_enti", "type": "integer", "title": "Altri enti",
     "description": "Partecipanti che non sono comuni (unioni, comunità montane, province...)"},
    {"name": "total_matches", "type": "boolean", "title": "Totale coincide"},
    {"name": "total_explanation", "type": "string", "title": "Spiegazione della differenza"},
]

PARTECIPANTI_FIELDS = [
    {"name": "group_id", "type": "string", "title": "Gruppo", "constraints": {"required": True}},
    {"name": "position", "type": "integer", "title": "Posizione",
     "description": "Ordine nella riga (1 = capofila)", "constraints": {"minimum": 1}},
    {"name": "role", "type": "string", "title": "Ruolo",
     "description": "capofila; aggregato (elencato tra i comuni aggregati); membro (comune "
                    "indicato come parte di un altro ente partecipante)",
     "constraints": {"enum": ["capofila", "aggregato", "membro"]}},
    {"name": "name", "type": "string", "title": "Nome nel documento"},
    {"name": "ente_type", "type": "string", "title": "Tipo di ente",
     "constraints": {"enum": [COMUNE, UNIONE, CM, PROVINCIA, ALTRO, UNKNOWN]}},
    {"name": "member_of", "type": "string", "title": "Parte di",
     "description": "Ente di cui il documento indica il comune come membro"},
    {"name": "province_hint", "type": "string", "title": "Provincia usata per la risoluzione"},
    *RESOLUTION_FIELDS,
    {"name": "comune", "type": "string", "title": "Comune (ISTAT)"},
    {"name": "comune_province", "type": "string", "title": "Provincia del comune"},
    {"name": "note", "type": "string", "title": "Nota"},
]

_NO_RESOLUTION = {"istat": None, "resolution_method": None, "resolution_score": None}


class SmartParser(Parser):
    family = "smart"
    version = "1"

    def parse(self, doc, ctx) -> ParseResult:
        result = ParseResult()
        blocks, rejects, candidates = _read_layout(doc, ctx)
        result.rejects = rejects
        reg = ctx.registry

        def is_comune(name: str, province: str | None) -> bool:
            return reg.resolve(name, province=province, fuzzy=False).ok

        for b in blocks:
            if b.province is None and b.groups:
                entries = [e for g in b.groups for e in
                           [Entry(g.capofila, "capofila", _kind(g.capofila))]
                           + split_cell(g.aggregati, g.capofila, None, is_comune)]
                result.checks.append(_infer_province(b, blocks, ctx, entries))

        gruppi, partecipanti = [], []
        progr_by_prov: dict[str, list[tuple[int, int]]] = {}
        for b in blocks:
            for g in b.groups:
                grow, prows, check = self._group(doc, ctx, b, g, is_comune)
                gruppi.append(grow)
                partecipanti += prows
                result.checks.append(check)
                progr_by_prov.setdefault(b.province or f"?{b.header_line}", []).append(
                    (g.progr, g.line))
        for prov, seq in progr_by_prov.items():
            nums = [p for p, _ in seq]
            ok = nums == list(range(1, len(nums) + 1))
            result.checks.append(Check(
                f"progr-sequence:{prov}", f"Numeri progressivi dei gruppi della provincia {prov}",
                f"1..{len(nums)}", nums, ok, ctx.doc_id, seq[0][1], seq[-1][1],
                "" if ok else "numerazione non consecutiva: righe mancanti o ripetute"))

        data_lines = len(candidates)
        result.datasets.append(Dataset(
            name=SLUG, title="SMART polizia locale 2025: gruppi capofila e partecipanti",
            description=_description(gruppi, partecipanti),
            programme=SLUG, keywords=["polizia locale", "SMART", "sicurezza urbana", "Lombardia"],
            tables=[
                Table("gruppi", "Gruppi SMART (capofila)",
                      "Un gruppo per riga del documento: provincia, numero progressivo, ente "
                      "capofila, totale dichiarato di comuni coinvolti e comuni contati.",
                      GRUPPI_FIELDS, gruppi, primary_key=["group_id"],
                      foreign_keys=[COMUNE_FK], lines_in=data_lines),
                Table("partecipanti", "Partecipanti ai gruppi SMART",
                      "Ogni ente nominato in una riga: il capofila, ogni aggregato e i comuni "
                      "indicati come membri di un ente, con tipo e codice ISTAT.",
                      PARTECIPANTI_FIELDS, partecipanti, primary_key=["group_id", "position"],
                      foreign_keys=[COMUNE_FK, {"fields": "group_id", "reference": {
                          "resource": "gruppi", "fields": "group_id"}}],
                      # participants come only from published group lines (a rejected
                      # line is accounted once, in `gruppi`)
                      lines_in=len({g["line_start"] for g in gruppi})),
            ]))
        result.facts = _facts(doc.id, gruppi, partecipanti)
        return result

    def _group(self, doc, ctx, block: Block, g: RawGroup, is_comune):
        """The ``gruppi`` row, the ``partecipanti`` rows and the total check of one group."""
        prov = block.province
        prov_key = prov or f"?{block.header_line}"   # unique even with several unknown blocks
        gid = f"{prov_key}-{g.progr}"
        prov_fields = provenance(doc.id, g.line)
        capo = Entry(g.capofila, "capofila", _kind(g.capofila))
        entries = [capo] + split_cell(g.aggregati, g.capofila, prov, is_comune) \
            + capofila_label_members(g.capofila, prov, is_comune)

        rows: list[dict] = []
        seen: dict[str, dict] = {}
        for e in entries:
            hint = e.province or prov
            res = None
            kind = e.kind
            if kind is None:
                res = ctx.resolve(e.name, g.line, province=hint)
                if e.role == "capofila" and not res.ok:
                    kind = UNKNOWN
                    e.notes.append("non è un comune del registro ISTAT 2023 e il nome non dice "
                                   "il tipo di ente")
                else:
                    kind = COMUNE
            comune = reg_comune = None
            if res is not None and res.ok:
                reg_comune = ctx.registry.get(res.istat)
                comune = reg_comune.name if reg_comune else res.name
            if res is not None and res.ok and res.method == "alias":
                e.notes.append("nome in forma non ufficiale: alias curato in data/registry/aliases")
            elif res is not None and res.ok and res.note:
                e.notes.append(res.note)
            key = res.istat if res is not None and res.ok else f"{kind}|{normalise(e.name)}"
            if key in seen:            # same ente named twice in the row: one participant
                row = seen[key]
                if e.member_of and not row["member_of"]:
                    row["member_of"] = e.member_of
                notes = (row["note"] or "").split("; ") if row["note"] else []
                notes += [n for n in e.notes or ["nominato più volte nella riga"]
                          if n not in notes]
                row["note"] = "; ".join(notes)
                continue
            row = {"group_id": gid, "position": len(rows) + 1, "role": e.role, "name": e.name,
                   "ente_type": kind, "member_of": e.member_of or None,
                   "province_hint": hint if res is not None else None,
                   **(resolution_fields(res) if res is not None else _NO_RESOLUTION),
                   "comune": comune,
                   "comune_province": reg_comune.province_sigla if reg_comune else None,
                   "note": "; ".join(e.notes) or None, **prov_fields}
            seen[key] = row
            rows.append(row)

        comuni = sum(1 for r in rows if r["ente_type"] == COMUNE)
        others = len(rows) - comuni
        capo_row = rows[0]
        ok = comuni == g.declared
        why = "" if ok else _explain_total(
            g.declared, comuni, capo_row["ente_type"],
            sum(1 for r in rows[1:] if r["ente_type"] not in (COMUNE, UNKNOWN)))
        grow = {"group_id": gid, "province": prov,
                "province_name": ctx.registry.provinces[prov]["name"] if prov else None,
                "province_source": ("intestazione" if block.heading_line else
                                    "dedotta" if prov else "non determinata"),
                "province_note": block.province_note or None,
                "progr": g.progr, "capofila": g.capofila, "capofila_type": capo_row["ente_type"],
                "istat": capo_row["istat"], "resolution_method": capo_row["resolution_method"],
                "resolution_score": capo_row["resolution_score"],
                "aggregati_text": g.aggregati or None, "declared_total": g.declared,
                "counted_comuni": comuni, "counted_other_enti": others, "total_matches": ok,
                "total_explanation": why or None, **prov_fields}
        check = Check(f"group-total:{prov_key}:{g.progr}",
                      f"Totale comuni coinvolti del gruppo {gid} ({g.capofila})",
                      g.declared, comuni, ok, ctx.doc_id, g.line, g.line, why)
        return grow, rows, check


def _description(gruppi: list[dict], partecipanti: list[dict]) -> str:
    n_ok = sum(1 for g in gruppi if g["total_matches"])
    comuni = {r["istat"] or normalise(r["name"]) for r in partecipanti
              if r["ente_type"] == COMUNE}
    examples = [f"{g['group_id']} ({g['capofila']}): {g['declared_total']} comuni dichiarati, "
                f"{g['counted_other_enti']} altri enti nominati e non contati"
                for g in gruppi if g["total_matches"] and g["counted_other_enti"]][:3]
    return (
        f"Elenco regionale dei gruppi SMART di polizia locale: {len(gruppi)} gruppi, ciascuno "
        f"guidato da un ente capofila, con {len(partecipanti)} partecipanti nominati "
        f"({len(comuni)} comuni distinti). I «comuni coinvolti» sono contati come comuni "
        "distinti nominati nella riga: il capofila se è un comune, i comuni aggregati, i comuni "
        "che il documento indica come membri di un'unione, comunità montana o corpo "
        "intercomunale (tra parentesi o nella denominazione) e quelli in convenzione; unioni, "
        "comunità montane, province e altri enti non sono contati. È la lettura che coincide "
        f"con il totale dichiarato nel maggior numero di gruppi ({n_ok} su {len(gruppi)}"
        + (", per esempio " + "; ".join(examples) if examples else "") + "). "
        "Dove il totale dichiarato differisce, la colonna «Spiegazione della differenza» dà la "
        "lettura più probabile.")


def _facts(doc_id: str, gruppi: list[dict], partecipanti: list[dict]) -> list[dict]:
    first, last = gruppi[0]["line_start"], gruppi[-1]["line_end"]
    comuni = {r["istat"] or normalise(r["name"]) for r in partecipanti
              if r["ente_type"] == COMUNE}
    enti = comuni | {normalise(r["name"]) for r in partecipanti if r["ente_type"] != COMUNE}

    def fact(label, value, unit):
        return {"label": label, "value": value, "unit": unit, "source_id": doc_id,
                "line_start": first, "line_end": last}

    return [
        fact("Gruppi SMART", len(gruppi), "gruppi"),
        fact("Province", len({g["province"] for g in gruppi}), "province"),
        fact("Comuni distinti partecipanti", len(comuni), "comuni"),
        fact("Enti distinti partecipanti (comuni e altri enti)", len(enti), "enti"),
        fact("Somma dei totali dichiarati «Totale Comuni coinvolti»",
             sum(g["declared_total"] for g in gruppi), "comuni"),
        fact("Gruppi il cui totale dichiarato coincide con i comuni contati",
             sum(1 for g in gruppi if g["total_matches"]), "gruppi"),
    ]
