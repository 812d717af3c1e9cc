"""The spec engine on crafted fragments, one hazard at a time, and the spec format's errors.

Each test writes a small spec and a small document, runs them through the build's parse
stage (``generator.parse.parse_document``) and looks at what a maintainer and a reader
would see: rows, rejects with reasons, checks, and the errors a broken spec produces.
"""

from __future__ import annotations

import textwrap

import pytest

from generator.specs import SpecError, load
from generator.specs.expr import ExprError, compile_expr, evaluate
from support import parse_text

HEAD = """\
spec: 1
dataset: {name: prova, title: Prova, description: Dataset di prova}
tables:
"""


def run(tmp_path, table_yaml: str, text: str, name="prova"):
    spec = tmp_path / f"{name}.yaml"
    spec.write_text(HEAD + textwrap.indent(textwrap.dedent(table_yaml), "  "), encoding="utf-8")
    result, resolutions, log = parse_text(None, textwrap.dedent(text), specs=[str(spec)])
    return result, log


def rows(result, table="righe"):
    return [t for ds in result.datasets for t in ds.tables if t.name == table][0].rows


def checks(result):
    return {c.id: c for c in result.checks}


AMOUNTS = """\
- name: righe
  title: Righe
  description: Importi per comune
  region: {start: '^ELENCO', within: document}
  skip: [page_header]
  headings: {province: true, column: provincia}
  row:
    cells:
      - n: integer
      - comune: text
      - importo: amount
  totals: {match: '^TOTALE', columns: [importo]}
  declared:
    quanti: {find: 'finanziati n\\. (\\d+) comuni', in: document, type: integer}
  columns:
    - {name: n, type: integer, title: N.}
    - {name: comune, title: Comune}
    - {name: provincia, title: Provincia}
    - resolution: {name: comune, province: provincia}
    - {name: importo, type: number, title: Importo}
  checks:
    - sequence: {column: n}
    - declared_count: {declared: quanti}
    - rows: {rule: "importo > 0", id: positivi}
    - complete: {}
"""
DOC = """\
Sono finanziati n. 4 comuni.
ELENCO
BERGAMO
1 Dalmine 1.000,00
2 Treviglio 2.500,50
– 49 – Bollettino Ufficiale
BRESCIA
3 Chiari 300,00 €
4 Rovato 10,00
TOTALE 3.810,50
"""


def test_rows_headings_page_headers_totals_and_declared_count(tmp_path):
    result, log = run(tmp_path, AMOUNTS, DOC)
    got = [
        (r["n"], r["comune"], r["provincia"], r["istat"], str(r["importo"])) for r in rows(result)
    ]
    assert got == [
        (1, "Dalmine", "BG", "016091", "1000.00"),
        (2, "Treviglio", "BG", "016219", "2500.50"),
        (3, "Chiari", "BS", "017052", "300.00"),
        (4, "Rovato", "BS", "017166", "10.00"),
    ]
    c = checks(result)
    assert all(x.passed for x in c.values()), {k: x.explanation for k, x in c.items()}
    assert c["righe:totale:importo"].declared == 3810.50
    assert "1 righe di intestazione di pagina" in c["righe:rows-published"].explanation
    assert rows(result)[0]["line_start"] == 4 and rows(result)[0]["source_id"] == "fixture"


def test_a_printed_total_or_count_that_disagrees_fails_its_check(tmp_path):
    text = DOC.replace("TOTALE 3.810,50", "TOTALE 3.900,00").replace("n. 4 comuni", "n. 5 comuni")
    result, _ = run(tmp_path, AMOUNTS, text)
    c = checks(result)
    assert not c["righe:totale:importo"].passed
    assert c["righe:totale:importo"].explanation == "differenza -89.50"  # parsed - printed
    assert not c["righe:numero:quanti"].passed
    assert (c["righe:numero:quanti"].declared, c["righe:numero:quanti"].parsed) == (5, 4)


def test_a_declared_figure_not_in_the_text_fails_unless_optional(tmp_path):
    text = DOC.replace("Sono finanziati n. 4 comuni.", "Premessa.")
    result, _ = run(tmp_path, AMOUNTS, text)
    c = checks(result)["righe:numero:quanti"]
    assert not c.passed and c.explanation == "valore dichiarato non trovato"
    optional = AMOUNTS.replace("type: integer}", "type: integer, optional: true}")
    result, _ = run(tmp_path, optional, text)
    assert "righe:numero:quanti" not in checks(result)


def test_a_broken_row_is_rejected_with_the_cell_that_does_not_match(tmp_path):
    text = DOC.replace("2 Treviglio 2.500,50", "2 Treviglio duemila")
    result, _ = run(tmp_path, AMOUNTS, text)
    (rej,) = result.rejects
    assert rej.line == 5 and rej.table == "righe"
    assert "«importo» (amount) non corrisponde" in rej.reason
    c = checks(result)
    assert not c["righe:rows-published"].passed and not c["righe:n"].passed


def test_unknown_province_sigla_and_missing_totals_line(tmp_path):
    spec = AMOUNTS.replace("- comune: text\n", "- comune: text\n      - sigla: sigla\n")
    spec = spec.replace(
        "- {name: provincia, title: Provincia}",
        "- {name: provincia, from: sigla, title: Provincia}",
    )
    text = "ELENCO\n1 Dalmine BG 1.000,00\n2 Chiari XX 300,00\n"
    result, _ = run(
        tmp_path, spec.replace("  headings: {province: true, column: provincia}\n", ""), text
    )
    assert [r["comune"] for r in rows(result)] == ["Dalmine"]
    assert "sigla di provincia sconosciuta: XX" in result.rejects[0].reason
    assert not checks(result)["righe:totale"].passed


WRAPPED = """\
- name: righe
  title: Righe
  description: Righe su più linee
  region: {start: '^ELENCO', within: document}
  row:
    start: '^\\d+ '
    pattern: '^(?P<n>\\d+) (?P<comune>.+?) (?P<importo>\\d+(?:\\.\\d{3})*,\\d{2})$'
  columns:
    - {name: n, type: integer, title: N.}
    - {name: comune, title: Comune}
    - {name: importo, type: number, title: Importo}
  checks: [{complete: {}}]
"""


def test_rows_wrapped_over_several_lines_and_a_row_never_completed(tmp_path):
    text = "ELENCO\n1 Castione della\nPresolana 12,00\n2 Dalmine\n13,50\n3 Treviglio\n"
    result, _ = run(tmp_path, WRAPPED, text)
    got = [(r["comune"], r["line_start"], r["line_end"]) for r in rows(result)]
    assert got == [("Castione della Presolana", 2, 3), ("Dalmine", 4, 5)]
    assert [(x.line, x.reason[:30]) for x in result.rejects] == [
        (6, "riga di tabella incompleta: co")
    ]


PERSONS = """\
- name: righe
  title: Beneficiari
  description: Beneficiari
  region: {start: '^ELENCO', within: document}
  row:
    cells: [{nome: text}, {cf: codice_fiscale}, {importo: amount}]
  columns:
    - {name: beneficiario, from: nome, title: Beneficiario}
    - {name: soggetto, title: Soggetto}
    - {name: codice_fiscale, from: cf, title: Codice fiscale}
    - {name: importo, type: number, title: Importo}
  privacy: {name: beneficiario, fiscal_code: codice_fiscale, kind_column: soggetto,
            clear: [codice_fiscale]}
"""


def test_natural_persons_are_masked_and_their_lines_withheld(tmp_path):
    text = (
        "ELENCO\nRossi Mario RSSMRA80A01H501U 100,00\nAgricola Verdi S.S. 01234567890 50,00\n"
        "Rossi Mario RSSMRA80A01H501U 20,00\nBianchi Anna BNCNNA70A41F205X dieci\n"
    )
    result, _ = run(tmp_path, PERSONS, text)
    got = [(r["beneficiario"], r["soggetto"], r["codice_fiscale"]) for r in rows(result)]
    assert got == [
        ("Persona fisica n. 1", "persona fisica", None),
        ("Agricola Verdi S.S.", "persona giuridica", "01234567890"),
        ("Persona fisica n. 1", "persona fisica", None),
    ]
    assert (2, 2) in result.private and (4, 4) in result.private
    (rej,) = result.rejects  # a person's broken row: text withheld
    assert rej.line == 5 and "BNCNNA" not in rej.text and "persona fisica" in rej.text


LIST = """\
- name: righe
  title: Comuni
  description: Comuni in un elenco nel testo
  region: {start: '^DECRETO', within: document}
  row:
    list:
      intro: '(?:^|[:;]\\s*)(?P<evento>[^:;]+?)\\s+nei\\s+comuni\\s+di\\b'
      context:
        provincia: {find: '(?:^|\\s)([A-Z][a-z]+):\\s', province: true}
  columns:
    - {name: provincia, title: Provincia}
    - {name: evento, title: Evento}
    - {name: comune, title: Comune}
    - resolution: {name: comune, province: provincia}
"""


def test_comuni_listed_in_running_text_with_province_context(tmp_path):
    text = (
        "DECRETO\nBergamo: grandinata del 2 maggio nei comuni di Dalmine, Treviglio\n"
        "e Zanica; Brescia: alluvione nei comuni di Chiari, Rova"
    )
    result, _ = run(tmp_path, LIST, text)
    got = [(r["provincia"], r["evento"], r["comune"], r["line_start"]) for r in rows(result)]
    assert got == [
        ("BG", "grandinata del 2 maggio", "Dalmine", 2),
        ("BG", "grandinata del 2 maggio", "Treviglio", 2),
        ("BG", "grandinata del 2 maggio", "Zanica", 3),
        ("BS", "alluvione", "Chiari", 3),
    ]
    (rej,) = result.rejects  # "Rova": the text ends inside the list
    assert rej.part == "Rova" and "troncata" in rej.reason


def test_copies_of_a_table_printed_twice_must_agree(tmp_path):
    spec = """\
    - name: righe
      title: Righe
      description: Stampata due volte
      region: {rows_only: true, occurrence: last}
      row:
        label_above: {cell: nome}
        pattern: '^Euro (?P<importo>\\d+,\\d{2})$'
      columns:
        - {name: nome, title: Nome}
        - {name: importo, type: number, title: Importo}
      checks: [{copies: {of: occurrences, key: [nome, importo]}}]
    """
    same = "Premessa:\nAlfa\n\nEuro 1,00\n\nBeta\nEuro 2,00\nTesto.\nDispositivo:\nAlfa\nEuro 1,00\n\nBeta\nEuro 2,00\n"
    result, _ = run(tmp_path, spec, same)
    assert [(r["nome"], r["line_start"]) for r in rows(result)] == [("Alfa", 10), ("Beta", 13)]
    assert checks(result)["righe:copia:1"].passed
    result, _ = run(
        tmp_path,
        spec,
        same.replace("Euro 1,00\n\nBeta\nEuro 2,00\nTesto", "Euro 1,00\n\nBeta\nEuro 3,00\nTesto"),
    )
    assert not checks(result)["righe:copia:1"].passed


def test_fixed_width_records_with_cells_wrapping_independently(tmp_path):
    spec = """\
    - name: righe
      title: Righe
      description: Colonne fisse
      region: {start: '^ N  COMUNE', first_row: '^\\s*\\d+\\s'}
      row:
        fixed_width:
          separator: '^-{10,}$'
          columns: {n: [0, 4], comune: [4, 20], oggetto: [20]}
      columns:
        - {name: n, type: integer, title: N.}
        - {name: comune, title: Comune}
        - {name: oggetto, title: Oggetto}
    """
    text = (
        " N  COMUNE          OGGETTO\n 1  CASTIONE DELLA  TASSA SUI\n    PRESOLANA       RIFIUTI\n"
        "----------\n 2  DALMINE         ICI\n"
    )
    result, _ = run(tmp_path, spec, text)
    assert [(r["n"], r["comune"], r["oggetto"]) for r in rows(result)] == [
        (1, "CASTIONE DELLA PRESOLANA", "TASSA SUI RIFIUTI")
    ]
    assert [x.line for x in result.rejects] == [5]  # the last record has no closing rule


# -- slides: rows continued on the next line, figures elsewhere in the text ----------------
SLIDES = """\
- name: righe
  id_prefix: ""
  title: Risorse
  description: Risorse per fondo
  region: {start: '^RISORSE', end: '^\\s*$', if_missing: empty}
  row:
    pattern: '^(?P<mln>\\d+(?:,\\d+)?) mln € (?P<fondo>.+?)$'
    continuation: '^\\((?P<nota>.+)\\)$|^(?P<fondo>[a-z].*)$'
  columns:
    - {name: fondo, title: Fondo}
    - {name: mln, type: number, title: Milioni di euro}
    - {name: importo, type: integer, value: "mln * 1000000", title: Importo}
    - {name: nota, title: Nota}
  declared:
    totale: {find: 'TOTALE\\s+(\\d+(?:,\\d+)?)\\s+MLN', in: document, type: number, scale: 1000000}
    fondi: {find: '(\\d+) fondi', in: document, type: integer}
  checks:
    - equal: {declared: totale, parsed: "sum(importo)", id: totale, type: integer, lines: all}
    - declared_count: {declared: fondi, id: fondi}
  facts:
    - {label: Totale, value: totale, unit: euro}
"""
SLIDE_TEXT = """\
RISORSE
10 mln € FESR
2,5 mln € FONDI
nazionali
(Legge di Stabilità)
1 mln € ALTRO

(nota a parte)
TOTALE
13,5 MLN € da 3 fondi
"""


def test_a_row_continued_on_the_lines_right_below(tmp_path):
    result, _ = run(tmp_path, SLIDES, SLIDE_TEXT)
    got = [
        (r["fondo"], r["importo"], r["nota"], r["line_start"], r["line_end"]) for r in rows(result)
    ]
    assert got == [
        ("FESR", 10_000_000, None, 2, 2),
        ("FONDI nazionali", 2_500_000, "Legge di Stabilità", 3, 5),
        ("ALTRO", 1_000_000, None, 6, 6),
    ]
    assert not result.rejects  # the region ends at the blank line: "(nota a parte)" is out
    text = SLIDE_TEXT.replace("1 mln € ALTRO\n", "1 mln € ALTRO\nFine.\n")
    result, _ = run(tmp_path, SLIDES, text)  # not a continuation: rejected
    assert [(x.line, x.reason[:25]) for x in result.rejects] == [(7, "riga non riconosciuta: no")]


def test_checks_without_prefix_spanning_rows_and_figure_as_whole_numbers(tmp_path):
    result, _ = run(tmp_path, SLIDES, SLIDE_TEXT)
    c = checks(result)
    assert set(c) == {"totale", "fondi"}  # id_prefix: "" -> the ids alone
    assert (c["totale"].declared, c["totale"].parsed, c["totale"].passed) == (
        13_500_000,
        13_500_000,
        True,
    )  # scale 1000000; int, not 13500000.0
    assert isinstance(c["totale"].declared, int) and isinstance(c["totale"].parsed, int)
    assert (c["totale"].line_start, c["totale"].line_end) == (2, 10)  # lines: all
    assert (c["fondi"].line_start, c["fondi"].line_end) == (10, 10)  # default: the figure
    (fact,) = result.facts
    assert (fact["value"], fact["line_start"], fact["line_end"]) == (13_500_000, 9, 10)


def test_a_whole_number_check_keeps_a_fraction_that_is_not_whole(tmp_path):
    text = SLIDE_TEXT.replace("10 mln € FESR", "10,25 mln € FESR").replace("13,5 MLN", "13 MLN")
    spec = SLIDES.replace("type: integer, value", "type: number, value")
    c = checks(run(tmp_path, spec, text)[0])["totale"]
    assert (c.declared, c.parsed, c.passed) == (13_000_000, 13_750_000.0, False)


def test_a_missing_table_is_published_empty_when_the_spec_says_so(tmp_path):
    text = "Altro testo\nTOTALE 5 MLN da 2 fondi\n"
    result, log = run(tmp_path, SLIDES, text)
    assert rows(result) == [] and not log.problems
    c = checks(result)
    assert (c["fondi"].declared, c["fondi"].parsed, c["fondi"].passed) == (2, 0, False)
    result, log = run(tmp_path, SLIDES.replace(", if_missing: empty", ""), text)
    assert not result.datasets and [p.code for p in log.problems] == ["spec-table-not-found"]


@pytest.mark.parametrize(
    "change, message",
    [
        ("if_missing: empty", "if_missing: skip"),
        ("lines: all}", "lines: some}"),
    ],
)
def test_new_keys_refuse_unknown_values(tmp_path, change, message):
    p = tmp_path / "valori.yaml"
    p.write_text(HEAD + textwrap.indent(SLIDES.replace(change, message), "  "), encoding="utf-8")
    with pytest.raises(SpecError):
        load(p)


# -- the spec format's errors: file, line and what to write ---------------------------------
@pytest.mark.parametrize(
    "body, message",
    [
        ("  - name: x\n    titel: X\n", "unknown key 'titel' in table"),
        (
            "  - name: x\n    title: X\n    description: X\n    region: {start: '('}\n    row: {pattern: x}\n    columns: []\n",
            "regular expression does not compile",
        ),
        (
            "  - name: x\n    title: X\n    description: X\n    region: {start: a}\n    row: {pattern: x}\n    columns: []\n"
            "    checks: [{rows: {rule: 'importo.__class__'}}]\n",
            "Attribute is not allowed",
        ),
        (
            "  - name: x\n    title: X\n    description: X\n    region: {start: a}\n    row: {cells: [{a: nonsense}]}\n"
            "    columns: []\n",
            "unknown type 'nonsense'",
        ),
        (
            "  - name: x\n    title: X\n    description: X\n    region: {}\n    row: {pattern: x}\n    columns: []\n",
            "region needs `start`, `header` or `rows_only: true`",
        ),
        ("  - name: x\n    title: X\n    like: y\n", "like: 'y' is not a table above this one"),
        (
            "  - name: x\n    title: X\n    description: X\n    columns: []\n",
            "table needs `region`",
        ),
        (
            "  - name: x\n    title: X\n    description: X\n    region: {start: a}\n    row: {pattern: x}\n"
            "    columns: [{resolution: {}}]\n",
            "resolution needs `name`",
        ),
        (
            "  - name: x\n    title: X\n    description: X\n    parser: parser\n    columns: []\n",
            "table.parser must be a bool",
        ),
        (
            "  - name: x\n    title: X\n    description: X\n    parser: true\n    columns: []\n"
            "    foreign_keys: [{fields: a, reference: {table: b}}]\n",
            "unknown key 'table' in foreign_keys.reference",
        ),
    ],
)
def test_spec_errors_name_the_line(tmp_path, body, message):
    p = tmp_path / "rotta.yaml"
    p.write_text(HEAD + body, encoding="utf-8")
    with pytest.raises(SpecError) as e:
        load(p)
    assert message in e.value.message
    file, _, line = e.value.where.rpartition(":")
    assert file.endswith("rotta.yaml") and line.isdigit()


def test_yaml_tricks_are_refused(tmp_path):
    p = tmp_path / "alias.yaml"
    p.write_text("spec: 1\ndataset: &d {name: a}\ntables: []\nx: *d\n", encoding="utf-8")
    with pytest.raises(SpecError, match="anchors and aliases are not allowed") as e:
        load(p)
    assert e.value.where.endswith("alias.yaml:4")  # the alias's line (libyaml's parser)
    # a star in a quoted regex is no alias
    p.write_text('spec: 1\ndataset: {name: a}\ntables: []\nx: "a*b"\n', encoding="utf-8")
    with pytest.raises(SpecError, match="unknown key 'x'"):
        load(p)
    p.write_text("spec: 1\nspec: 1\n", encoding="utf-8")
    with pytest.raises(SpecError, match="duplicate key 'spec'"):
        load(p)


def test_a_bare_on_key_is_refused_not_read_as_true(tmp_path):
    p = tmp_path / "on.yaml"  # YAML 1.1: a bare on/yes/no is a boolean
    p.write_text(
        "spec: 1\ndataset: {name: a, views: {map: {join: {table: t, on: {a: b}}}}}\n"
        "tables: [{name: t, title: T, description: T, parser: true, columns: []}]\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match="key 'on' is read as True: write it in quotes"):
        load(p)
    p.write_text(p.read_text(encoding="utf-8").replace(" on:", ' "on":'), encoding="utf-8")
    assert load(p).dataset["views"]["map"]["join"] == {"table": "t", "on": {"a": "b"}}


def _parser_context(text: str):
    """A document, parse context and recorder, as a parser has them."""
    import io

    from generator import paths
    from generator.extract import Recorder
    from generator.extract.result import ParseContext
    from generator.quality import Log
    from generator.sources import Document
    from support import _registry

    doc = Document(
        id="prova",
        path=paths.SOURCES / "prova.txt",
        meta={"id": "prova"},
        text=text,
        sha256="",
        lines=text.split("\n"),
    )
    ctx = ParseContext(_registry(), Log(stream=io.StringIO(), quiet=True), "prova", "x")
    return doc, ctx, Recorder(doc)


PARSER_TABLE = """\
- name: elenco
  parser: true
  title: Elenco
  description: >-
    Una riga per comune,
    letta dal parser.
  columns:
    - {name: n, type: integer, title: N., required: true, minimum: 1}
    - {name: sigla, title: Sigla, pattern: "[A-Z]{2}", unique: true}
    - resolution: {method_description: "exact, ...; 'regola' per i comuni di una regola"}
    - {name: aliquota, type: integer, title: Aliquota, minimum: 0, maximum: 100}
    - {name: nota, title: Nota}
  primary_key: [n]
  foreign_keys: [{fields: nota, reference: {resource: note, fields: id}}]
- name: righe
  title: Righe
  description: Righe lette dalla spec
  region: {start: '^ELENCO', within: document}
  row: {cells: [{n: integer}, {comune: text}]}
  columns:
    - {name: n, type: integer, title: N.}
    - {name: comune, title: Comune}
  foreign_keys: [{fields: n, reference: {resource: elenco, fields: n}}]
"""


def test_a_parser_table_takes_title_columns_and_keys_from_the_spec(tmp_path):
    from generator.extract import COMUNE_FK
    from generator.specs import parser_table

    spec = tmp_path / "dichiarata.yaml"
    spec.write_text(HEAD + textwrap.indent(PARSER_TABLE, "  "), encoding="utf-8")
    rows = [
        {
            "n": 1,
            "sigla": "BG",
            "istat": "016091",
            "resolution_method": "exact",
            "resolution_score": 1.0,
            "aliquota": 8,
            "nota": None,
            "line_start": 1,
            "line_end": 1,
        }
    ]
    doc, ctx, rec = _parser_context("ELENCO\n")
    t = parser_table(load(spec), "elenco", doc, ctx, [], rec, rows)
    assert (t.name, t.title, t.description, t.rows) == (
        "elenco",
        "Elenco",
        "Una riga per comune, letta dal parser.",
        rows,
    )
    fields = {f["name"]: f for f in t.fields}
    assert list(fields) == [
        "n",
        "sigla",
        "istat",
        "resolution_method",
        "resolution_score",
        "aliquota",
        "nota",
    ]
    assert list(fields["sigla"]["constraints"].items()) == [
        ("pattern", "[A-Z]{2}"),
        ("unique", True),
    ]  # as written
    assert fields["aliquota"]["constraints"] == {"minimum": 0, "maximum": 100}
    assert fields["resolution_method"]["description"].endswith("per i comuni di una regola")
    assert fields["istat"]["constraints"] == {"pattern": "[0-9]{6}"}
    assert t.primary_key == ["n"]
    assert t.foreign_keys == [
        COMUNE_FK,
        {"fields": "nota", "reference": {"resource": "note", "fields": "id"}},
    ]
    assert type(t.foreign_keys[1]["reference"]) is dict  # plain, not a YAML node
    assert not rec.checks  # the spec states no check on its rows
    with pytest.raises(SpecError, match="no table 'righe' with `parser: true`"):
        parser_table(load(spec), "righe", doc, ctx, [], rec, [])


def test_apply_leaves_parser_tables_to_the_parser_and_says_when_one_is_missing(tmp_path):
    result, log = run(tmp_path, PARSER_TABLE, "ELENCO\n1 Dalmine\n")
    (ds,) = result.datasets
    assert [t.name for t in ds.tables] == ["righe"]  # the spec's own table only
    assert ds.table("righe").foreign_keys == [
        {"fields": "n", "reference": {"resource": "elenco", "fields": "n"}}
    ]
    (warn,) = [p for p in log.problems if p.code == "spec-parser-table-missing"]
    assert (
        "table elenco (parser: true) is filled by a parser, and the document has none"
        in warn.message
    )


def test_a_broken_spec_is_an_error_of_the_build_naming_the_spec_line(tmp_path):
    spec = tmp_path / "guasta.yaml"
    spec.write_text(HEAD + "  - name: x\n    colums: []\n", encoding="utf-8")
    result, _, log = parse_text(None, "testo\n", specs=[str(spec)])
    (err,) = [p for p in log.problems if p.level == "error"]
    assert err.code == "spec-invalid" and "guasta.yaml:4" in err.message and "colums" in err.message


@pytest.mark.parametrize(
    "expr", ["__import__('os')", "a.b", "a[0]", "[x for x in a]", "lambda: 1", "open('f')"]
)
def test_expressions_cannot_run_code(expr):
    with pytest.raises(ExprError):
        compile_expr(expr)


def test_expressions_compute_exactly():
    from decimal import Decimal

    row = {"a": Decimal("0.1"), "b": Decimal("0.2"), "c": None}
    assert evaluate("a + b == 0.3", row.get) is True
    assert evaluate("coalesce(c, 0) + a", row.get) == Decimal("0.1")
    assert evaluate("a / 0", row.get) is None and evaluate("c < 1", row.get) is False
    rows = [{"x": Decimal(2)}, {"x": Decimal(3)}, {"x": None}]
    assert evaluate("sum(x) + count()", lambda k: None, rows) == Decimal(8)
    with pytest.raises(ExprError):
        evaluate("sum(x)", row.get)  # aggregates need a table


def test_a_table_that_reads_no_row_is_a_warning_naming_its_lines(tmp_path):
    """A region that holds no row (here the start line is taken as the table's title, on a
    one-line document) is a spec mistake: a warning, so the strict build fails on it."""
    spec = """\
    - name: righe
      title: Righe
      description: Comuni
      region: {start: 'comuni di', within: document}
      row:
        list: {intro: 'comuni\\s+di\\s*:', end: ';', separator: ',', cell: comune}
      columns:
        - {name: comune, title: Comune, required: true}
    """
    text = "provincia di Bergamo: comuni di: Dalmine, Treviglio;"
    _, log = run(tmp_path, spec, text)
    (p,) = [p for p in log.problems if p.code == "spec-table-empty"]
    assert p.level == "warning" and p.line == 2 and "start_inclusive" in p.message
    fixed = spec.replace("within: document}", "start_inclusive: true, within: document}")
    result, log = run(tmp_path, fixed, text)
    assert [r["comune"] for r in rows(result)] == ["Dalmine", "Treviglio"]
    assert not [p for p in log.problems if p.code == "spec-table-empty"]


# -- tables a parser fills (parser: true): the spec declares them, the parser reads the rows ---
PARSER_TABLES = """\
- name: letta
  title: Letta
  description: Letta dalla spec
  region: {start: '^ELENCO', within: document}
  row: {pattern: '^(?P<comune>\\w+) (?P<importo>\\d+,\\d{2})$'}
  columns:
    - {name: comune, title: Comune}
    - {name: importo, type: number, title: Importo}
- name: elenco_{sede}
  parser: true
  title: Elenco della sede di {sede_nome}
  description: "Elenco di {sede_nome} ({official_reference})."
  declared:
    totale: {find: 'per un totale di € (\\d+,\\d{2})', in: document}
  columns:
    - {name: n, type: integer, title: N., required: true}
    - {name: comune, title: Comune, description: Come stampato}
    - resolution: {name: comune}
    - {name: importo, type: number, title: Importo, description: "Importo, in euro"}
    - {name: nota, title: Nota}
  primary_key: [n]
  checks:
    - rows: {id: positivi, rule: "importo > 0", description: Importi positivi}
    - equal: {id: totale, declared: totale, parsed: "sum(importo)", description: Somma = totale}
"""


def test_a_parser_table_gets_the_spec_schema_and_checks(tmp_path):
    from decimal import Decimal

    from generator.specs import parser_table

    spec = tmp_path / "prova.yaml"
    spec.write_text(HEAD + textwrap.indent(PARSER_TABLES, "  "), encoding="utf-8")
    text = "Assegnati per un totale di € 30,00.\nELENCO\nDalmine 10,00\n"
    result, _ = run(tmp_path, PARSER_TABLES, text)  # apply() reads only `letta`
    assert [t.name for ds in result.datasets for t in ds.tables] == ["letta"]
    doc, ctx, rec = _parser_context(text)
    rows = [
        {"n": 1, "comune": "Dalmine", "importo": Decimal("10.00"), "line_start": 3, "line_end": 3},
        {"n": 2, "comune": "Zanica", "importo": Decimal("-5.00"), "line_start": 3, "line_end": 3},
    ]
    table = parser_table(
        str(spec), "elenco_{sede}", doc, ctx, [], rec, rows, (2, 3), sede="bg", sede_nome="Bergamo"
    )
    assert (table.name, table.title, table.primary_key) == (
        "elenco_bg",
        "Elenco della sede di Bergamo",
        ["n"],
    )
    assert table.description == "Elenco di Bergamo (prova)."
    assert [f["name"] for f in table.fields] == [
        "n",
        "comune",
        "istat",
        "resolution_method",
        "resolution_score",
        "importo",
        "nota",
    ]
    assert table.fields[0]["constraints"] == {"required": True} and table.foreign_keys
    assert rows[0]["nota"] is None and rows[0]["istat"] is None  # columns not read: empty
    got = {c.id: c for c in rec.checks}
    assert (
        not got["elenco_bg:positivi"].passed and "righe 3" in got["elenco_bg:positivi"].explanation
    )
    assert (got["elenco_bg:totale"].declared, got["elenco_bg:totale"].parsed) == (30.0, 5.0)
    assert table.declared["totale"] == (Decimal("30.00"), 1)
    with pytest.raises(SpecError, match="no table 'altra' with `parser: true`"):
        parser_table(str(spec), "altra", doc, ctx, [], rec, rows, (2, 3))


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "  - {name: x, title: X, description: X, parser: true, region: {start: a}, columns: []}\n",
            "filled by the parser (`parser: true`): it cannot have region",
        ),
        (
            "  - {name: x, title: X, description: X, parser: true, columns: [{name: a, from: b}]}\n",
            "it cannot have from",
        ),
        (
            "  - {name: x, title: X, description: X, region: {start: a}, columns: []}\n",
            "table needs `row`",
        ),
    ],
)
def test_a_parser_table_is_a_schema_and_a_read_table_needs_its_grammar(tmp_path, body, message):
    p = tmp_path / "rotta.yaml"
    p.write_text(HEAD + body, encoding="utf-8")
    with pytest.raises(SpecError) as e:
        load(p)
    assert message in e.value.message and e.value.where.endswith(":4")
