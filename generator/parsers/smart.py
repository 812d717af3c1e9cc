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
from dataclasses import dataclass
from dataclasses import field as dc_field

from ..extract import (
    COMUNE_FK,
    NO_RESOLUTION,
    RESOLUTION_FIELDS,
    Dataset,
    ParseResult,
    Recorder,
    Table,
    field,
    provenance,
    resolution_fields,
)
from ..extract.blocks import between, province_of_heading, province_votes
from ..extract.comuni import split_and
from ..extract.rows import split_outside_parens
from ..registry import normalise
from .base import Parser

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
_EMBEDDED_ENTE = re.compile(
    r"(?<=\S)\s+((?:UNIONE|CM|COMUNIT[AÀ]'? MONTANA|PROVINCIA)"
    r"(?:\s+[A-ZÀ-Ü'’]{2,})+)(?=\s+|$)"
)
_LABEL_MEMBERS = re.compile(r"\b(?:tra|fra)\s+i\s+comuni\s+di\s+(.+)$", re.I)
_CONVENTION = re.compile(r"^\s*(?:in\s+)?convenzione\s+con\s+(.+?)\s*$", re.I)
_SIGLA = re.compile(r"^\s*([A-Z]{2})\s*$")
_WITH_AGGREGATO = re.compile(r"^\s*con\s+aggregat[oi]\s+", re.I)
_DATA_ROW = re.compile(r"^\s*(\d{1,3})\t")
# Items of the aggregati cell: a comma, or a full stop followed by a space after a word of
# three letters or more ("Pogliano. San Vittore"; not "S. Stefano T.").
_SEPARATOR = r",|(?<=[^\W\d_]{3})\.(?= )"


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
    province: str | None  # sigla
    heading_line: int | None  # None when the heading is missing
    groups: list[RawGroup] = dc_field(default_factory=list)
    province_note: str = ""


def _is_header(cells: list[str]) -> bool:
    return bool(cells) and cells[0].strip().lower().startswith("progr")


def _read_layout(doc, ctx, rec: Recorder) -> list[Block]:
    """Blocks of groups; candidate lines and rejects go to the recorder (table ``gruppi``)."""
    blocks: list[Block] = []
    heading: tuple[str, int] | None = None
    header_open: tuple[int, str] | None = None  # (line, text of its last cell) if incomplete
    rec.candidate("gruppi", [])
    for n, text in doc.numbered():
        if not text.strip():
            header_open = None
            continue
        cells = text.split("\t")
        if _is_header(cells):
            last = cells[-1].strip()
            header_open = (n, last) if last != HEADER_COLUMNS[-1] else None
            prov, hline = heading if heading else (None, None)
            blocks.append(Block(n, prov, hline))
            if heading is None:
                ctx.warn(
                    "missing-heading",
                    "tabella senza intestazione di provincia (provincia "
                    f"dedotta dalle evidenze: controllo block-province:{n})",
                    n,
                )
            heading = None
            continue
        if header_open and _header_continues(ctx, header_open, cells, n):
            header_open = None
            continue
        header_open = None
        sigla = province_of_heading(text, ctx.registry)
        if sigla:
            if heading is not None:  # the previous heading never got its table
                ctx.warn(
                    "heading-without-table",
                    f"intestazione di provincia {heading[0]} "
                    f"(riga {heading[1]}) seguita da un'altra intestazione senza tabella",
                    heading[1],
                )
            heading = (sigla, n)
            continue
        group = _group_line(rec, n, text, cells, bool(blocks))
        if group:
            blocks[-1].groups.append(group)
    return blocks


def _header_continues(ctx, header_open: tuple[int, str], cells: list[str], n: int) -> bool:
    """A column header wrapped onto the next line ("Totale Comuni / coinvolti")."""
    line0, last = header_open
    rest = [c.strip() for c in cells if c.strip()]
    if rest and f"{last} {rest[-1]}" == HEADER_COLUMNS[-1]:
        junk = " ".join(rest[:-1])
        ctx.warn(
            "header-split",
            f"intestazione di colonna spezzata sulle righe {line0}-{n}"
            + (f"; scartato il frammento spurio {junk!r}" if junk else ""),
            n,
        )
        return True
    return False


def _group_line(rec: Recorder, n: int, text: str, cells: list[str], in_block: bool):
    """A group row (``progr, capofila, aggregati, totale``), or None after rejecting it."""
    rec.candidate("gruppi", [n])
    if not _DATA_ROW.match(text) or not in_block:
        rec.reject("gruppi", n, "riga non riconosciuta (né intestazione né riga di gruppo)")
        return None
    if len(cells) != 4:
        rec.reject("gruppi", n, f"attese 4 colonne separate da tabulazione, trovate {len(cells)}")
        return None
    total = cells[3].strip()
    if not total.isdigit():
        rec.reject("gruppi", n, f"totale comuni non numerico: {total!r}")
        return None
    return RawGroup(n, int(cells[0]), cells[1].strip(), cells[2].strip(), int(total))


# -- splitting the cells into entries -----------------------------------------------------
@dataclass
class Entry:
    """One participant before resolution."""

    name: str
    role: str  # capofila | aggregato | membro
    kind: str | None = None  # ente type from keywords; None = to be decided
    member_of: str = ""
    province: str | None = None  # explicit "(PV)" in the text
    notes: list[str] = dc_field(default_factory=list)


def _kind(name: str) -> str | None:
    for rx, kind in _KEYWORDS:
        if rx.match(name):
            return kind
    return None


def _entries_of_text(text: str, province: str | None, is_comune, notes: list[str]) -> list[Entry]:
    """Aggregati from one plain text piece: embedded capitalised enti and ``" e "`` lists."""
    text = _WITH_AGGREGATO.sub("", text).strip(" -–")
    if not text:
        return []
    m = _EMBEDDED_ENTE.search(text)
    if m:
        ente = m.group(1).strip()
        left, right = text[: m.start()].strip(), text[m.end() :].strip()
        note = f"«{ente}» inserita nell'elenco senza separatori"
        out = _entries_of_text(left, province, is_comune, notes + [note]) if left else []
        out.append(
            Entry(
                ente,
                "aggregato",
                _kind(ente),
                notes=list(notes)
                + [f"inserita nell'elenco senza separatori, tra «{left}» e «{right}»"],
            )
        )
        if right:
            out += _entries_of_text(right, province, is_comune, notes + [note])
        return out
    kind = _kind(text)
    if kind:
        return [Entry(text, "aggregato", kind, notes=list(notes))]
    return [
        Entry(n, "aggregato", notes=list(notes))
        for n in split_and(text, lambda x: is_comune(x, province))
    ]


def split_cell(text: str, capofila: str, province: str | None, is_comune) -> list[Entry]:
    """Entries of an aggregati cell (members of the capofila first, when given)."""
    out: list[Entry] = []
    for seg_i, (pieces, sep) in enumerate(split_outside_parens(text, _SEPARATOR)):
        notes = ["separatore '.' al posto della virgola"] if sep == "." else []
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
            elif owner is None and seg_i > 0:  # "..., (A, B)": no ente to belong to
                for e in split_cell(content, capofila, province, is_comune):
                    e.notes.append("elencato tra parentesi senza un ente che lo preceda")
                    out.append(e)
            else:  # members of the ente before, or of the capofila at cell start
                ente = owner.name if owner else capofila
                for member in split_cell(content, capofila, province, is_comune):
                    member.role, member.member_of = "membro", ente
                    if not closed:
                        member.notes.append(
                            f"parentesi aperta dopo «{ente}» e mai chiusa: appartenenza incerta"
                        )
                    out.append(member)
    return out


def capofila_label_members(label: str, province: str | None, is_comune) -> list[Entry]:
    """Comuni named in an ente's label: ``"UNIONE ... TRA I COMUNI DI A E B"``."""
    m = _LABEL_MEMBERS.search(label)
    if not m:
        return []
    out = []
    for part in m.group(1).split(","):
        for n in split_and(part.strip(), lambda x: is_comune(x, province)):
            out.append(
                Entry(n, "membro", None, label, None, ["nominato nella denominazione del capofila"])
            )
    return out


# -- province inference -------------------------------------------------------------------
def _infer_province(
    block: Block, blocks: list[Block], ctx, rec: Recorder, entries: list[Entry]
) -> None:
    """Province of a block whose heading is missing, from three pieces of evidence.

    1. the provinces of the block's names that resolve without a hint (a "Provincia di X"
       entry votes for X); 2. the provinces of the region that have no heading;
    3. the alphabetical place of the block between its neighbours (weak: the document
    is mostly, not strictly, alphabetical). If the progr numbers continue the previous
    block and the names agree with its province, the block is a continuation.
    """
    reg = ctx.registry
    votes, _ = province_votes([e.name for e in entries if e.kind is None], reg)
    for e in entries:
        if e.kind == PROVINCIA:
            sigla = reg.province_sigla(re.sub(r"^provincia\s+(di\s+)?", "", e.name, flags=re.I))
            if sigla:
                votes[sigla] += 1
    i = blocks.index(block)
    prev = next((b for b in reversed(blocks[:i]) if b.province), None)
    nxt = next((b for b in blocks[i + 1 :] if b.province), None)
    headed = {b.province for b in blocks if b.province}
    regions = {reg.provinces[s]["region"] for s in headed}
    unheaded = {s for s, p in reg.provinces.items() if p["region"] in regions} - headed
    order = sorted(unheaded | headed, key=lambda s: normalise(reg.provinces[s]["name"]))
    betw = set(between(order, prev.province if prev else None, nxt.province if nxt else None))
    total = sum(votes.values())
    winner, n_win = votes.most_common(1)[0] if votes else (None, 0)
    first = block.groups[0].progr if block.groups else None
    continues = bool(
        prev and prev.groups and first == prev.groups[-1].progr + 1 and prev is blocks[i - 1]
    )
    evidence = [
        f"{n_win} nomi su {total} risolti senza provincia sono in {winner}"
        if winner
        else "nessun nome risolto senza provincia"
    ]
    if continues:
        evidence.append(f"la numerazione prosegue quella del blocco {prev.province}")
        agree = winner == prev.province
    else:
        evidence += [
            f"la numerazione riparte da {first}: nuova provincia",
            "province della regione senza intestazione: "
            + (", ".join(sorted(unheaded)) or "nessuna"),
            f"ordine alfabetico tra {prev.province if prev else 'inizio'} e "
            f"{nxt.province if nxt else 'fine'}: " + ", ".join(sorted(betw)),
        ]
        agree = bool(winner) and winner in unheaded and winner in betw
    agree = agree and n_win * 2 > total
    block.province = winner if agree else None
    block.province_note = (
        "dedotta (intestazione mancante): "
        if agree
        else "non determinata (intestazione mancante): "
    ) + "; ".join(evidence)
    rec.check(
        f"block-province:{block.header_line}",
        "Provincia di un blocco senza intestazione, dedotta dai comuni elencati, dalle "
        "province senza intestazione e dall'ordine dei blocchi",
        "intestazione mancante",
        block.province,
        agree,
        (block.header_line, block.groups[-1].line if block.groups else None),
        note="; ".join(evidence),
    )


# -- checks on the declared totals ----------------------------------------------------------
def _explain_total(declared: int, comuni: int, capofila_kind: str, other_aggregati: int) -> str:
    """The most likely reading of a declared total that differs from the distinct comuni."""
    readings = []
    if capofila_kind not in (COMUNE, UNKNOWN):
        readings.append(
            (comuni + 1, f"il totale conta anche l'ente capofila ({capofila_kind}) come uno")
        )
    if capofila_kind == COMUNE:
        readings.append(
            (
                comuni - 1,
                "il totale coincide con i comuni aggregati: sembra escludere il comune capofila",
            )
        )
    if other_aggregati:
        readings.append(
            (
                comuni + other_aggregati,
                f"il totale conta anche {other_aggregati} ente/i non comunale/i aggregato/i",
            )
        )
    for value, why in readings:
        if value == declared:
            return why
    return (
        f"l'elenco nomina {comuni} comuni e nessuna lettura (ente capofila o aggregati "
        f"contati come uno, capofila escluso) dà {declared}: probabile nome omesso "
        "dall'elenco o errore nel totale"
    )


# -- the published tables -------------------------------------------------------------------
GRUPPI_FIELDS = [
    field(
        "gruppo",
        "string",
        "Gruppo",
        "Sigla della provincia e numero progressivo (es. BG-5)",
        required=True,
        unique=True,
    ),
    field("provincia", "string", "Provincia (sigla)"),
    field("nome_provincia", "string", "Provincia"),
    field(
        "fonte_provincia",
        "string",
        "Fonte della provincia",
        "intestazione (del blocco nel documento) o dedotta (intestazione mancante)",
        enum=["intestazione", "dedotta", "non determinata"],
    ),
    field("nota_provincia", "string", "Nota sulla provincia"),
    field("n", "integer", "Progr.", "Numero progressivo stampato", minimum=1),
    field("capofila", "string", "Capofila SMART", "Come scritto nel documento"),
    field("tipo_capofila", "string", "Tipo di capofila"),
    *RESOLUTION_FIELDS,
    field(
        "testo_aggregati",
        "string",
        "Comuni aggregati (testo)",
        "La cella «Comuni aggregati» come scritta nel documento",
    ),
    field("totale_dichiarato", "integer", "Totale comuni coinvolti (dichiarato)"),
    field(
        "comuni_contati",
        "integer",
        "Comuni contati",
        "Comuni distinti nominati nella riga: capofila se comune, aggregati, comuni membri di "
        "un ente nominato, comuni in convenzione",
    ),
    field(
        "altri_enti_contati",
        "integer",
        "Altri enti",
        "Partecipanti che non sono comuni (unioni, comunità montane, province...)",
    ),
    field("totale_coincide", "boolean", "Totale coincide"),
    field("spiegazione_totale", "string", "Spiegazione della differenza"),
]

PARTECIPANTI_FIELDS = [
    field("gruppo", "string", "Gruppo", required=True),
    field("posizione", "integer", "Posizione", "Ordine nella riga (1 = capofila)", minimum=1),
    field(
        "ruolo",
        "string",
        "Ruolo",
        "capofila; aggregato (elencato tra i comuni aggregati); membro (comune indicato come "
        "parte di un altro ente partecipante)",
        enum=["capofila", "aggregato", "membro"],
    ),
    field("nome", "string", "Nome nel documento"),
    field(
        "tipo_ente", "string", "Tipo di ente", enum=[COMUNE, UNIONE, CM, PROVINCIA, ALTRO, UNKNOWN]
    ),
    field(
        "parte_di", "string", "Parte di", "Ente di cui il documento indica il comune come membro"
    ),
    field("provincia_indizio", "string", "Provincia usata per la risoluzione"),
    *RESOLUTION_FIELDS,
    field("comune", "string", "Comune (ISTAT)"),
    field("provincia_comune", "string", "Provincia del comune"),
    field("nota", "string", "Nota"),
]


# how the site shows the dataset (generator/views.py)
VIEWS = {
    "map": {
        "table": "partecipanti",
        "value": "1",
        "title": "Comuni che partecipano a un gruppo SMART",
        "map_title": "Comuni nei gruppi SMART 2025",
        "legend": "partecipa",
        "classes": 1,
        "format": "yes",
    },
    "province_chart": {
        "table": "gruppi",
        "aggregate": "count",
        "title": "Gruppi per provincia",
        "head": ["Provincia", "Gruppi"],
    },
    "comune": [
        {
            "table": "partecipanti",
            "join": {"table": "gruppi", "on": {"gruppo": "gruppo"}},
            "fields": [{"label": "Capofila del gruppo", "value": "capofila"}],
        },
        {"table": "partecipanti", "members": "gruppo", "label": "Altri partecipanti"},
    ],
    "summary": {
        "title": "SMART polizia locale (2025)",
        "table": "partecipanti",
        "join": {"table": "gruppi", "on": {"gruppo": "gruppo"}},
        "coverage": "region",
        "sentence": [
            {
                "when": "ruolo == 'capofila' and comuni_contati == 1",
                "text": "{name} partecipa da solo ai progetti SMART di polizia locale "
                "(gruppo {gruppo}).",
            },
            {
                "when": "ruolo == 'capofila'",
                "text": "{name} è capofila di un gruppo SMART di polizia locale che riunisce "
                "{comuni_contati} comuni della provincia di {nome_provincia} (gruppo {gruppo}).",
            },
            {
                "text": "{name} fa parte del gruppo SMART di polizia locale {gruppo}, guidato da "
                "{capofila}, che riunisce {comuni_contati} comuni."
            },
        ],
        "absent": "{name} non partecipa a nessun gruppo SMART di polizia locale 2025.",
    },
    "technical": {
        "gruppi": [
            "fonte_provincia",
            "nota_provincia",
            "tipo_capofila",
            "testo_aggregati",
            "altri_enti_contati",
            "totale_coincide",
            "spiegazione_totale",
        ],
        "partecipanti": ["posizione", "nome", "tipo_ente", "provincia_indizio", "provincia_comune"],
    },
}


class SmartParser(Parser):
    family = "smart"
    version = "2"

    def parse(self, doc, ctx) -> ParseResult:
        rec = Recorder(doc)
        blocks = _read_layout(doc, ctx, rec)
        is_comune = ctx.is_comune  # exact names only, not recorded
        for b in blocks:
            if b.province is None and b.groups:
                entries = [
                    e
                    for g in b.groups
                    for e in [Entry(g.capofila, "capofila", _kind(g.capofila))]
                    + split_cell(g.aggregati, g.capofila, None, is_comune)
                ]
                _infer_province(b, blocks, ctx, rec, entries)
        gruppi, partecipanti = [], []
        for b in blocks:
            for g in b.groups:
                grow, prows = _group(doc, ctx, rec, b, g, is_comune)
                gruppi.append(grow)
                partecipanti += prows
        _check_sequences(rec, blocks)
        rec.candidate("partecipanti", [])  # from the published group lines only
        result = ParseResult(
            datasets=[
                Dataset(
                    name=SLUG,
                    title="SMART polizia locale 2025: gruppi capofila e partecipanti",
                    description=_description(gruppi, partecipanti),
                    programme=SLUG,
                    keywords=["polizia locale", "SMART", "sicurezza urbana", "Lombardia"],
                    views=VIEWS,
                    themes=["JUST", "GOVE"],
                    tables=[
                        Table(
                            "gruppi",
                            "Gruppi SMART (capofila)",
                            "Un gruppo per riga del documento: provincia, numero progressivo, ente "
                            "capofila, totale dichiarato di comuni coinvolti e comuni contati.",
                            GRUPPI_FIELDS,
                            gruppi,
                            primary_key=["gruppo"],
                            foreign_keys=[COMUNE_FK],
                        ),
                        Table(
                            "partecipanti",
                            "Partecipanti ai gruppi SMART",
                            "Ogni ente nominato in una riga: il capofila, ogni aggregato e i comuni "
                            "indicati come membri di un ente, con tipo e codice ISTAT.",
                            PARTECIPANTI_FIELDS,
                            partecipanti,
                            primary_key=["gruppo", "posizione"],
                            foreign_keys=[
                                COMUNE_FK,
                                {
                                    "fields": "gruppo",
                                    "reference": {"resource": "gruppi", "fields": "gruppo"},
                                },
                            ],
                        ),
                    ],
                )
            ]
        )
        _facts(rec, gruppi, partecipanti)
        return rec.finish(result)


def _check_sequences(rec: Recorder, blocks: list[Block]) -> None:
    """The progr numbers of each province run 1..N (a province may span several blocks)."""
    by_prov: dict[str, list[tuple[int, int]]] = {}
    for b in blocks:
        for g in b.groups:
            by_prov.setdefault(b.province or f"?{b.header_line}", []).append((g.progr, g.line))
    for prov, seq in by_prov.items():
        rec.sequence(
            f"progr-sequence:{prov}",
            f"Numeri progressivi dei gruppi della provincia {prov}",
            [p for p, _ in seq],
            (seq[0][1], seq[-1][1]),
            "numerazione non consecutiva: righe mancanti o ripetute",
        )


def _entries(g: RawGroup, prov: str | None, is_comune) -> list[Entry]:
    capo = Entry(g.capofila, "capofila", _kind(g.capofila))
    return (
        [capo]
        + split_cell(g.aggregati, g.capofila, prov, is_comune)
        + capofila_label_members(g.capofila, prov, is_comune)
    )


def _group(doc, ctx, rec: Recorder, block: Block, g: RawGroup, is_comune):
    """The ``gruppi`` row and the ``partecipanti`` rows of one group, and its total check."""
    prov = block.province
    prov_key = prov or f"?{block.header_line}"  # unique even with several unknown blocks
    gid = f"{prov_key}-{g.progr}"
    rows: list[dict] = []
    seen: dict[str, dict] = {}
    for e in _entries(g, prov, is_comune):
        row = _participant(doc, ctx, e, g, prov, gid, len(rows) + 1)
        key = row["istat"] or f"{row['tipo_ente']}|{normalise(e.name)}"
        if key in seen:  # same ente named twice in the row: one participant
            _merge(seen[key], e)
            continue
        seen[key] = row
        rows.append(row)
    comuni = sum(1 for r in rows if r["tipo_ente"] == COMUNE)
    capo = rows[0]
    ok = comuni == g.declared
    why = (
        ""
        if ok
        else _explain_total(
            g.declared,
            comuni,
            capo["tipo_ente"],
            sum(1 for r in rows[1:] if r["tipo_ente"] not in (COMUNE, UNKNOWN)),
        )
    )
    grow = {
        "gruppo": gid,
        "provincia": prov,
        "nome_provincia": ctx.registry.provinces[prov]["name"] if prov else None,
        "fonte_provincia": (
            "intestazione" if block.heading_line else "dedotta" if prov else "non determinata"
        ),
        "nota_provincia": block.province_note or None,
        "n": g.progr,
        "capofila": g.capofila,
        "tipo_capofila": capo["tipo_ente"],
        "istat": capo["istat"],
        "resolution_method": capo["resolution_method"],
        "resolution_score": capo["resolution_score"],
        "testo_aggregati": g.aggregati or None,
        "totale_dichiarato": g.declared,
        "comuni_contati": comuni,
        "altri_enti_contati": len(rows) - comuni,
        "totale_coincide": ok,
        "spiegazione_totale": why or None,
        **provenance(doc.id, g.line),
    }
    rec.check(
        f"group-total:{prov_key}:{g.progr}",
        f"Totale comuni coinvolti del gruppo {gid} ({g.capofila})",
        g.declared,
        comuni,
        ok,
        (g.line, g.line),
        note=why,
    )
    return grow, rows


def _participant(doc, ctx, e: Entry, g: RawGroup, prov, gid: str, position: int) -> dict:
    hint = e.province or prov
    res, kind = None, e.kind
    if kind is None:
        res = ctx.resolve(e.name, g.line, province=hint)
        if e.role == "capofila" and not res.ok:
            kind = UNKNOWN
            e.notes.append(
                "non è un comune del registro ISTAT 2023 e il nome non dice il tipo di ente"
            )
        else:
            kind = COMUNE
    comune = reg_comune = None
    if res is not None and res.ok:
        reg_comune = ctx.registry.get(res.istat)
        comune = reg_comune.name if reg_comune else res.name
        if res.method == "alias":
            e.notes.append("nome in forma non ufficiale: alias curato in data/registry/aliases")
        elif res.note:
            e.notes.append(res.note)
    return {
        "gruppo": gid,
        "posizione": position,
        "ruolo": e.role,
        "nome": e.name,
        "tipo_ente": kind,
        "parte_di": e.member_of or None,
        "provincia_indizio": hint if res is not None else None,
        **(resolution_fields(res) if res is not None else NO_RESOLUTION),
        "comune": comune,
        "provincia_comune": reg_comune.province_sigla if reg_comune else None,
        "nota": "; ".join(e.notes) or None,
        **provenance(doc.id, g.line),
    }


def _merge(row: dict, e: Entry) -> None:
    """A second mention of the same ente in a row: keep one participant, merge the notes."""
    if e.member_of and not row["parte_di"]:
        row["parte_di"] = e.member_of
    notes = row["nota"].split("; ") if row["nota"] else []
    notes += [n for n in e.notes or ["nominato più volte nella riga"] if n not in notes]
    row["nota"] = "; ".join(notes)


def _description(gruppi: list[dict], partecipanti: list[dict]) -> str:
    n_ok = sum(1 for g in gruppi if g["totale_coincide"])
    comuni = _distinct_comuni(partecipanti)
    examples = [
        f"{g['gruppo']} ({g['capofila']}): {g['totale_dichiarato']} comuni dichiarati, "
        f"{g['altri_enti_contati']} altri enti nominati e non contati"
        for g in gruppi
        if g["totale_coincide"] and g["altri_enti_contati"]
    ][:3]
    return (
        f"Elenco regionale dei gruppi SMART di polizia locale: {len(gruppi)} gruppi, ciascuno "
        f"guidato da un ente capofila, con {len(partecipanti)} partecipanti nominati "
        f"({len(comuni)} comuni distinti). I «comuni coinvolti» sono contati come comuni "
        "distinti nominati nella riga: il capofila se è un comune, i comuni aggregati, i comuni "
        "che il documento indica come membri di un'unione, comunità montana o corpo "
        "intercomunale (tra parentesi o nella denominazione) e quelli in convenzione; unioni, "
        "comunità montane, province e altri enti non sono contati. È la lettura che coincide "
        f"con il totale dichiarato nel maggior numero di gruppi ({n_ok} su {len(gruppi)}"
        + (", per esempio " + "; ".join(examples) if examples else "")
        + "). "
        "Dove il totale dichiarato differisce, la colonna «Spiegazione della differenza» dà la "
        "lettura più probabile."
    )


def _distinct_comuni(partecipanti: list[dict]) -> set[str]:
    return {r["istat"] or normalise(r["nome"]) for r in partecipanti if r["tipo_ente"] == COMUNE}


def _facts(rec: Recorder, gruppi: list[dict], partecipanti: list[dict]) -> None:
    if not gruppi:
        return
    span = (gruppi[0]["line_start"], gruppi[-1]["line_end"])
    comuni = _distinct_comuni(partecipanti)
    enti = comuni | {normalise(r["nome"]) for r in partecipanti if r["tipo_ente"] != COMUNE}
    for label, value, unit in (
        ("Gruppi SMART", len(gruppi), "gruppi"),
        ("Province", len({g["provincia"] for g in gruppi}), "province"),
        ("Comuni distinti partecipanti", len(comuni), "comuni"),
        ("Enti distinti partecipanti (comuni e altri enti)", len(enti), "enti"),
        (
            "Somma dei totali dichiarati «Totale Comuni coinvolti»",
            sum(g["totale_dichiarato"] for g in gruppi),
            "comuni",
        ),
        (
            "Gruppi il cui totale dichiarato coincide con i comuni contati",
            sum(1 for g in gruppi if g["totale_coincide"]),
            "gruppi",
        ),
    ):
        rec.fact(label, value, unit, span)
