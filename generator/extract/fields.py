"""Published columns: the naming convention and the fields every package shares.

The convention (``docs/columns.md`` is its reader's version):

1. A column name is lowercase ASCII ``snake_case`` (``[a-z][a-z0-9_]*``), Italian, in the
   words of the document where it has them: ``contributo_assegnato``, ``capofila``,
   ``seggi``. Amounts in euro carry ``importo`` or the document's own noun
   (``contributo_*``, ``quota_*``, ``riparto_*``); the unit is in the field description.
2. ``n`` is the order number printed by the document (``N.``, ``Progr.``, ``PROG``,
   ``Numero d'ordine``); ``comune`` is a comune's name as printed; ``provincia`` a
   province sigla; ``nome`` any other name; ``nota`` a note.
3. The common columns below have one meaning in every package and keep their names
   (they are the join keys and the provenance that the JSON API, the SQLite database and
   every foreign key rely on): ``istat``, ``resolution_method``, ``resolution_score``
   (:data:`RESOLUTION_FIELDS`), ``source_id``, ``act_id``, ``line_start``, ``line_end``
   (:data:`PROVENANCE_FIELDS`) and ``id`` for a table's own key. No other column uses
   these names.

:func:`check_name` enforces 1 and 3 for every published table (``packages.py``).
"""

from __future__ import annotations

import re
from typing import Any

PROVENANCE_FIELDS = [
    {
        "name": "source_id",
        "type": "string",
        "title": "Documento",
        "description": "Id del documento sorgente (data/sources/sources.yaml)",
        "constraints": {"required": True},
    },
    {
        "name": "act_id",
        "type": "string",
        "title": "Atto",
        "description": "Id dell'atto nel documento (vuoto se il documento non ha atti)",
    },
    {
        "name": "line_start",
        "type": "integer",
        "title": "Riga iniziale",
        "description": "Prima riga del testo vendorizzato da cui viene il dato",
        "constraints": {"required": True, "minimum": 1},
    },
    {
        "name": "line_end",
        "type": "integer",
        "title": "Riga finale",
        "description": "Ultima riga del testo vendorizzato da cui viene il dato",
        "constraints": {"required": True, "minimum": 1},
    },
]

# Fields a row naming a comune has (istat is empty when the name is not resolved).
RESOLUTION_FIELDS = [
    {
        "name": "istat",
        "type": "string",
        "title": "Codice ISTAT",
        "description": "Codice ISTAT del comune (6 cifre), vuoto se non risolto",
        "constraints": {"pattern": "[0-9]{6}"},
    },
    {
        "name": "resolution_method",
        "type": "string",
        "title": "Metodo di risoluzione",
        "description": "exact, normalised, folded, alias, historical, fuzzy, ambiguous, unresolved",
    },
    {
        "name": "resolution_score",
        "type": "number",
        "title": "Punteggio",
        "description": "100 per corrispondenze certe; punteggio rapidfuzz per le fuzzy",
    },
]
COMMON_NAMES = {f["name"] for f in PROVENANCE_FIELDS + RESOLUTION_FIELDS} | {"id"}
NO_RESOLUTION = {"istat": None, "resolution_method": None, "resolution_score": None}

# Foreign key from a row's ``istat`` to the ``comuni`` package (current and historical
# comuni). Rows whose istat is empty (unresolved names) are allowed by Table Schema.
COMUNE_FK = {
    "fields": "istat",
    "reference": {"package": "comuni", "resource": "comuni", "fields": "istat"},
}

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def field(name: str, type_: str, title: str, description: str = "", **constraints) -> dict:
    """A Table Schema field: ``field("n", "integer", "N.", "Ordine", required=True)``."""
    d: dict[str, Any] = {"name": name, "type": type_, "title": title}
    if description:
        d["description"] = description
    if constraints:
        d["constraints"] = constraints
    return d


def euro(name: str, title: str, description: str = "") -> dict:
    """A number field in euro."""
    return field(name, "number", title, description or f"{title}, in euro")


def provenance(doc_id: str, line_start: int, line_end: int | None = None, act_id: str = "") -> dict:
    """The provenance columns of one row."""
    return {
        "source_id": doc_id,
        "act_id": act_id,
        "line_start": line_start,
        "line_end": line_end or line_start,
    }


def resolution_fields(r) -> dict:
    """The :data:`RESOLUTION_FIELDS` values of a row, from a registry Resolution."""
    return {
        "istat": r.istat if r.ok else None,
        "resolution_method": r.method if r.ok else r.status,
        "resolution_score": r.score,
    }


def check_name(name: str, common_ok: bool = False) -> str | None:
    """Why ``name`` breaks the naming convention, or None. ``common_ok``: the field is
    one of the common fields, used with its common meaning."""
    if not _NAME.match(name):
        return f"column {name!r} is not lowercase snake_case ASCII"
    if name in COMMON_NAMES and not common_ok:
        return (
            f"column {name!r} is a common column name (istat, source_id, ...) reserved "
            "for its common meaning"
        )
    return None
