"""privacy.redact: the rows of natural persons withheld, their names withheld wherever
else the text repeats them (any case, across a line break, after an apostrophe), personal
codici fiscali masked, and nothing else touched."""

from generator.privacy import WITHHELD_CF, WITHHELD_NAME, WITHHELD_ROW, redact

LINES = [
    "Elenco dei beneficiari",  # 1
    "Donina Diego RSSMRA80A01F205X 1.200,00",  # 2: a person's row
    "D'Angelo Maria 12345678 300,00",  # 3: a person's row (apostrophe in the name)
    "Il contributo a DONINA DIEGO è liquidato.",  # 4: upper case in prose
    "come richiesto dal sig. Donina",  # 5: the name broken across the line
    "Diego con nota del 3 marzo.",  # 6
    "Comune di Dello, pratica dell'D'Angelo Maria chiusa.",  # 7: after an apostrophe
    "Diego Donina non è il nome (ordine inverso): resta.",  # 8
    "Altro codice VRDGPP70B02L219K nel testo.",  # 9: a personal code anywhere
    "Ditta ABC S.r.l. 01234567890 500,00",  # 10: a legal entity: untouched
]


def test_redact_withholds_rows_names_and_codes_only():
    out, changed = redact(LINES, [(2, 2), (3, 3)])
    assert out[1] == WITHHELD_ROW and out[2] == WITHHELD_ROW
    assert out[3] == f"Il contributo a {WITHHELD_NAME} è liquidato."
    assert out[4] == f"come richiesto dal sig. {WITHHELD_NAME}"
    assert out[6] == f"Comune di Dello, pratica dell'{WITHHELD_NAME} chiusa."
    assert out[7] == LINES[7]
    assert out[8] == f"Altro codice {WITHHELD_CF} nel testo."
    assert [out[0], out[9]] == [LINES[0], LINES[9]]
    assert changed == 6  # rows 2, 3 and lines 4, 5, 7, 9


def test_redact_without_private_rows_masks_codes_only():
    out, changed = redact(LINES, [])
    assert out[1] == f"Donina Diego {WITHHELD_CF} 1.200,00"
    assert out[3] == LINES[3] and changed == 2


def test_the_changes_made_with_the_parse_give_the_same_published_text():
    """privacy.changes (cached with the parse result) and privacy.published make what
    redact makes, sharing the unchanged lines with the document."""
    from generator.privacy import changes, published

    for private in ([(2, 2), (3, 3)], []):
        want, n = redact(LINES, private)
        changed, m = changes(LINES, private)
        assert (published(LINES, changed), m) == (want, n)
        assert set(changed) == {i + 1 for i, (a, b) in enumerate(zip(LINES, want)) if a != b}
        assert published(LINES, changed)[0] is LINES[0]


def test_a_parse_result_carries_the_published_text_of_its_document(built_site):
    """The build takes a document's published lines from its parse result: the real
    bulletin with natural persons' rows (BURL SO 47/2018) shows every one withheld."""
    import io

    from generator import parse, registry, sources
    from generator.quality import Log

    log = Log(stream=io.StringIO(), quiet=True)
    doc = next(d for d in sources.discover(log) if d.id == "burl-2018-so47")
    res, _ = parse.parse_document(doc, registry.load(), log)
    assert res.redacted is None  # made by the build's parse step (parse_all), not here
    want = redact(doc.lines, res.private)[0].count(WITHHELD_ROW)
    site, _ = built_site
    html = (site / "documenti" / "burl-2018-so47" / "index.html").read_text(encoding="utf-8")
    assert html.count(WITHHELD_ROW) == want > 200
