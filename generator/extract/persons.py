"""Natural persons and legal entities in tables of beneficiaries.

Rule (:func:`subject_kind`): a beneficiary whose codice fiscale / CUAA is a 16-character
personal code is a natural person (sole proprietorships, "Azienda Agricola <name>",
included); one whose codice fiscale is an 11-digit number is a legal entity (società,
associazione, ente). Only when no codice fiscale is printed do legal-form tokens in the
name decide (S.S., S.R.L., SOCIETA', ASSOCIAZIONE, COMUNE...), else the table's default
applies. Natural persons are published as "Persona fisica n. k" (:class:`Pseudonyms`)
without name, codice fiscale, partita IVA or aid-registry code; their amounts stay.
"""

from __future__ import annotations

import re

from ..privacy import CF_PERSONAL

PERSONA_FISICA = "persona fisica"
PERSONA_GIURIDICA = "persona giuridica"
CF_NUMERIC = re.compile(r"^\d{11}$")
LEGAL_FORM = re.compile(
    r"(?<![A-Za-z])(S\.\s?S\.?|SS|S\.\s?R\.\s?L\.?|SRL|S\.\s?P\.\s?A\.?|SPA|S\.\s?N\.\s?C\.?|SNC|"
    r"S\.\s?A\.\s?S\.?|SAS|SOC\.|SOCIET[AÀ]'?|COOPERATIVA|COOP\.?|CONSORZIO|ASSOCIAZIONE|"
    r"FONDAZIONE|ONLUS|COMUNE|COMUNIT[AÀ]'?|UNIONE|ENTE)(?![A-Za-z])",
    re.IGNORECASE,
)


def is_personal_code(code: str | None) -> bool:
    return bool(code) and bool(CF_PERSONAL.fullmatch(code.strip().upper()))


def subject_kind(name: str, codice_fiscale: str | None, default: str = PERSONA_FISICA) -> str:
    """Natural person or legal entity, from the evidence the row carries (module docstring)."""
    cf = (codice_fiscale or "").strip().upper()
    if CF_PERSONAL.fullmatch(cf):
        return PERSONA_FISICA
    if CF_NUMERIC.match(cf):
        return PERSONA_GIURIDICA
    if LEGAL_FORM.search(name or ""):
        return PERSONA_GIURIDICA
    return default


class Pseudonyms:
    """Neutral labels for natural persons, stable within one table: same code, same label."""

    def __init__(self):
        self.seen: dict[str, str] = {}

    def label(self, key: str) -> str:
        if key not in self.seen:
            self.seen[key] = f"Persona fisica n. {len(self.seen) + 1}"
        return self.seen[key]
