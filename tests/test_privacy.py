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
