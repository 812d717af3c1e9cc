"""Comune mentions in running text (generator/mentions.py).

Real hard cases from the vendored documents (what must be linked, what must not),
crafted fragments for each rule, and the HTML of a linked line.
"""

from __future__ import annotations

import pytest
from markupsafe import Markup

from generator import mentions
from generator.mentions import Mention, find_candidates, find_mentions, link_line, resolved_lines

from support import _documents, parse_real

DOCS = [
    "smart-polizia-locale-2025",
    "burl-2018-so47",
    "aree-interne-2021-2027",
    "pd-lombardia-regolamento-2014",
    "gu-1983-sovrimposta-fabbricati",
]
NATIONAL = {"gu-1983-sovrimposta-fabbricati"}


@pytest.fixture(scope="module")
def lombardia(reg):
    return {s for s, p in reg.provinces.items() if p["region"] == "Lombardia"}


@pytest.fixture(scope="module")
def real(reg, lombardia):
    """doc id -> (lines, mentions) with the parsers' rows, as the site builds them."""
    out = {}
    for doc_id in DOCS:
        result, ctx, _ = parse_real(doc_id)
        lines = _documents()[doc_id].lines
        hint = None if doc_id in NATIONAL else lombardia
        out[doc_id] = (lines, find_mentions(lines, reg, hint, resolved_lines(result.datasets, ctx)))
    return out


def on_line(found, line: int) -> dict[str, str]:
    """text -> istat of the mentions on ``line``."""
    return {m.text: m.istat for m in found if m.line == line}


def linked(reg, text: str, hint=None, resolved=None) -> dict[str, tuple[str, str]]:
    """text -> (istat, rule) for a crafted fragment."""
    return {m.text: (m.istat, m.rule) for m in find_mentions(text.split("\n"), reg, hint, resolved)}


# -- the real documents ------------------------------------------------------------------------
def test_every_mention_is_the_text_it_points_at(real):
    for doc_id, (lines, found) in real.items():
        for m in found:
            assert lines[m.line - 1][m.start : m.end] == m.text, (doc_id, m)
            assert len(m.istat) == 6 and m.istat.isdigit()
            assert m.rule


def test_gu_avvertenza_lists_of_comuni(real, reg):
    lines, found = real["gu-1983-sovrimposta-fabbricati"]
    l83 = on_line(found, 83)  # "i comuni di Berzo Demo, ..., Temù in provincia di Brescia;"
    assert l83["Berzo Demo"] == "017016" and l83["Temù"] == "017184" and l83["Ponte di Legno"]
    assert "Brescia" not in l83  # "in provincia di Brescia" is the province
    assert on_line(found, 81) == {}  # "tutti i comuni della provincia di Sondrio"
    assert on_line(found, 57) == {"Roma": "058091"}  # "Roma, addì 24 ottobre 1983"
    l87 = on_line(found, 87)  # the list goes on past "Pejo", not a 2023 name
    assert {"Caldes", "Ossana", "Pellizzano", "Vermiglio"} <= set(l87) and "Trento" not in l87
    # Paternò has a homonym (Paterno, PZ): the list's "in provincia di Catania" decides
    assert on_line(found, 89)["Paternò"] == "087033"


def test_gu_table_rows_follow_the_parser(real):
    lines, found = real["gu-1983-sovrimposta-fabbricati"]
    assert on_line(found, 1021) == {"Fuipiano Valle Imagna": "016106", "Ponte Nossia": "016168"}
    assert on_line(found, 1493) == {"Sciano del Lago": "017180"}  # Soiano del Lago, not Lago (CS)
    assert on_line(found, 3023) == {"Torriglia": "010062"}  # PROVINCIA DI GENOVA is a heading
    assert on_line(found, 93) == {}  # index of provinces


def test_burl_running_text(real):
    lines, found = real["burl-2018-so47"]
    assert on_line(found, 5088) == {"Predore": "016174"}  # "con sede in Predore - BG"
    assert on_line(found, 5097) == {"Erbusco": "017069"}  # "Erbusco -BS"
    # a name hyphenated over two lines: one mention per line, same comune
    assert on_line(found, 8238) == {"Spinade": "019100"} and on_line(found, 8239) == {
        "sco": "019100"
    }
    assert on_line(found, 5340) == {"BRE": "017028"} and on_line(found, 5341) == {"NO": "017028"}
    assert on_line(found, 5349)["SALE MARASI"] == "017169"  # not Sale (AL)
    assert on_line(found, 3212) == {"Milano": "015146"}  # "20124" / "Milano"
    assert on_line(found, 8245) == {"Casalbuttano": "019016"}  # curated alias with its sigla


@pytest.mark.parametrize(
    "line",
    [
        82,  # "Unione Pesca Sportiva Provincia di Sondrio"
        1385,  # "sviluppo di Poli innovativi"
        3168,  # "Prima che Lei ci fornisca"
        3221,  # "Registro delle Imprese di Roma"
        4574,  # "Norma EN ISO 707"
        5063,  # "Presidente della Provincia di Brescia"
        5205,  # "Ufficio Territoriale Regionale di Brescia"
        5347,  # "VIA ROMA"
        5888,  # "Azienda Agricola Bianchi Fabrizio"
        5987,  # "Ghiringhelli Maria Rosa"
        7986,  # "Colonna Mobile Regionale"
        8017,  # "Province Autonome di Trento e di Bolzano"
    ],
)
def test_burl_words_that_are_not_comuni(real, line):
    assert on_line(real["burl-2018-so47"][1], line) == {}


def test_smart_capitals_headings_and_short_forms(real):
    lines, found = real["smart-polizia-locale-2025"]
    assert on_line(found, 1) == {}  # "BERGAMO": province heading
    l8 = on_line(found, 8)  # "5 PROVINCIA DI BERGAMO Grassobbio, ..."
    assert "BERGAMO" not in l8 and l8["Grassobbio"] == "016117"
    assert l8["Brembate Sopra"] == "016038"  # as the parser read it; not Brembate
    assert on_line(found, 37) == {
        "FENEGRO'": "013100",
        "Lurago Marinone": "013137",
        "Limido Comasco": "013128",
    }  # the apostrophe is the accent
    assert on_line(found, 6)["Castione della Presolana"] == "016064"  # not a prefix


def test_pd_collegi(real):
    lines, found = real["pd-lombardia-regolamento-2014"]
    assert on_line(found, 143) == {}  # "COLLEGIO SENATORIALE MATTARELLUM DI BERGAMO"
    assert on_line(found, 150) == {}  # "PROVINCIA DI COMO"
    assert on_line(found, 213) == {}  # "TUTTI I COMUNI DELLA PROVINCIA DI COMO"
    assert on_line(found, 179)["BERGAMO"] == "016024"
    assert on_line(found, 181)["TREVIOLLO"] == "016220"
    assert on_line(found, 153) == {"SAN COLOMBANO AL LAMBRO": "015191"}


def test_aree_interne_names_areas_not_comuni(real):
    # "Alto Lago di Como", "Valtellina di Morbegno", "Politecnico di Milano"
    assert real["aree-interne-2021-2027"][1] == []


# -- crafted fragments ---------------------------------------------------------------------------
def test_homonyms_need_a_province(reg):
    assert linked(reg, "Il sindaco di Castro ha scritto.") == {}
    assert [(m.istat, m.rule) for m in find_mentions(["Castro (LE) e Castro (BG)."], reg)] == [
        ("075096", "sigla"),
        ("016065", "sigla"),
    ]
    assert linked(reg, "Il sindaco di Castro ha scritto.", hint={"BG"}) == {
        "Castro": ("016065", "name")
    }
    assert linked(reg, "i comuni di Lovere, Castro e Pisogne", hint=None)["Castro"][0] == "016065"
    assert linked(reg, "Arrivano da Paternò.") == {
        "Paternò": ("087033", "name")
    }  # the accent decides
    assert linked(reg, "Arrivano da Paterno.") == {}


def test_longest_name_wins(reg):
    assert linked(reg, "a Castione della Presolana e a Castione Andevenno") == {
        "Castione della Presolana": ("016064", "name"),
        "Castione Andevenno": ("014015", "name"),
    }
    assert linked(reg, "a Castione, la sera") == {}  # no comune is called Castione
    assert linked(reg, "a Bonate Sopra")["Bonate Sopra"][0] == "016030"


def test_provinces_streets_and_capoluoghi(reg):
    assert linked(reg, "la Provincia di Bergamo e la provincia di Pavia") == {}
    assert linked(reg, "le province di Bergamo, Brescia e Cremona") == {}
    assert linked(reg, "Città metropolitana di Milano") == {}
    assert linked(reg, "Provincia di Monza e della Brianza; Monza e Brianza") == {}
    assert linked(reg, "in Via Roma 3 e in piazza Milano") == {}
    assert linked(reg, "a Bergamo") == {}  # city, province or diocese?
    assert linked(reg, "il Comune di Bergamo") == {"Bergamo": ("016024", "comune-di")}
    assert linked(reg, "con sede in Milano") == {"Milano": ("015146", "sede")}
    assert linked(reg, "Piazza Città di Lombardia 1 - 20124 Milano") == {
        "Milano": ("015146", "cap")
    }
    assert linked(reg, "Milano, 15 novembre 2018") == {"Milano": ("015146", "dateline")}
    assert linked(reg, "a Milano, 15 novembre 2018") == {}


def test_common_words(reg):
    assert linked(reg, "Ora si vota. Sale il prezzo. Nave, Opera e Calcio.") == {}
    assert linked(reg, "il comune di Sale")["Sale"] == ("006151", "comune-di")
    assert linked(reg, "Sale (AL)")["Sale"] == ("006151", "sigla")
    assert linked(reg, "a Salò") == {"Salò": ("017170", "name")}  # written with its accent
    assert linked(reg, "a Salo") == {}
    assert linked(reg, "si va a Tirano") == {"Tirano": ("014066", "name")}
    # the same text using the word in lower case: not a safe proper name any more
    assert linked(reg, "i soci tirano le somme; si va a Tirano") == {}
    # an enumeration next to a linked comune
    assert linked(reg, "Locate di Triulzi, Cerro al Lambro, Opera")["Opera"] == ("015159", "list")


def test_part_of_a_longer_name(reg):
    assert linked(reg, "Azienda Agricola Bianchi Fabrizio, Rio Marina, Maria Rosa") == {}
    assert linked(reg, "la Colonna Mobile Regionale e la Costa di Ome") == {}
    assert linked(reg, "COLLEGIO SENATORIALE DI ALBINO") == {}


def test_capitals_and_accents_as_written(reg):
    found = find_mentions(["1\tFENEGRO'\tLurago Marinone"], reg)
    assert [(m.text, m.istat, m.rule) for m in found] == [
        ("FENEGRO'", "013100", "caps"),
        ("Lurago Marinone", "013137", "name"),
    ]
    assert linked(reg, "a fenegrò") == {}  # running text capitalises names


def test_names_over_line_breaks(reg):
    found = find_mentions(["i comuni di Ponte San", "Pietro e di Spinade-", "sco (CR)"], reg)
    assert [(m.line, m.text, m.istat) for m in found] == [
        (1, "Ponte San", "016170"),
        (2, "Pietro", "016170"),
        (2, "Spinade", "019100"),
        (3, "sco", "019100"),
    ]


def test_table_lines_belong_to_the_parser(reg):
    lines = ["CAPOFILA BERGAMO con Dalmine", "Unione Bassa Bergamasca Brembate Sopra"]
    resolved = {1: {"016024": set()}, 2: {"016038": {"Brembate Sopra"}}}
    got = linked(reg, "\n".join(lines), resolved=resolved)
    assert got == {
        "BERGAMO": ("016024", "table-row"),
        "Brembate Sopra": ("016038", "table-written"),
    }
    # Dalmine is on a table line the parser did not resolve it on: not linked
    reasons = {c.key: c.reason for c in find_candidates(lines, reg, None, resolved) if not c.istat}
    assert reasons["dalmine"] == "table-line"


def test_resolved_lines_from_a_parse(reg):
    result, ctx, _ = parse_real("smart-polizia-locale-2025")
    table = resolved_lines(result.datasets, ctx)
    assert "Brembate Sopra" in table[8]["016038"]
    assert set(table[4]) >= {"016024", "016091"}  # Bergamo, Dalmine


# -- HTML ---------------------------------------------------------------------------------------
def test_link_line_escapes_everything(reg):
    text = '<script>alert("x")</script> & il Comune di Bergamo <b onclick="y">'
    found = find_mentions([text], reg)
    html = link_line(text, found)
    assert isinstance(html, Markup)
    assert html == (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; il Comune di "
        '<a href="/comuni/016024/" class="mention">Bergamo</a> &lt;b onclick=&#34;y&#34;&gt;'
    )


def test_link_line_refuses_bad_mentions():
    text = "a <b>Bergamo</b> e Dalmine"
    bad = [
        Mention(1, 2, 10, text[2:10], "016024", "name"),  # the link text itself is escaped
        Mention(1, 5, 12, text[5:12], "016024", "name"),  # overlaps the first: dropped
        Mention(1, 19, 26, "Dalmine", '0"><x', "name"),  # not an ISTAT code: dropped
        Mention(1, 19, 99, "Dalmine", "016091", "name"),
    ]  # past the end: dropped
    assert link_line(text, bad) == (
        'a <a href="/comuni/016024/" class="mention">&lt;b&gt;Berga</a>mo&lt;/b&gt; e Dalmine'
    )
    assert link_line("", []) == ""


def test_stopwords_file_is_curated():
    words = mentions.load_stopwords()
    assert {"Sale", "Nave", "Opera", "Calcio", "Lei", "Ora", "Re", "Ne"} <= set(words)
    assert "Tirano" not in words and "Crema" not in words  # exempted: see the file
