"""Properties of the small functions everything else relies on (hypothesis).

* ``parse_it_number`` reads every Italian-formatted amount back exactly and refuses
  anything else with ValueError;
* ``formatting.num`` writes numbers that ``parse_it_number`` reads back;
* ``registry.normalise`` / ``folded`` ignore case, accents, apostrophes and
  abbreviations, and are idempotent;
* ``gu_sovrimposta.reading_order`` reads two columns printed side by side as the whole
  left column, then the whole right one, losing and duplicating nothing;
* ``output.compact_json`` (orjson) writes the bytes the standard library's json writes;
* ``packages._rows_json`` writes the bytes of ``json.dumps(rows, ensure_ascii=False,
  indent=1)``;
* ``compare._order`` ranks comuni as the key ``(-value, code)`` does;
* ``extract.text.Prose`` joins lines and maps positions back to lines as the plain
  line-by-line construction below does (:func:`naive_prose`);
* ``search.searched`` finds the pages its pattern matches, and ``search._answers`` reads
  Pagefind's answers however its output is cut in pieces.
"""

from __future__ import annotations

import json
import re
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from generator.extract.text import Prose, clean
from generator.formatting import num
from generator.packages import _rows_json
from generator.output import compact_json
from generator.extract.cells import number as parse_it_number
from generator.parsers.gu_sovrimposta import reading_order
from generator.registry import folded, normalise

# For every property below (not a global profile: other test files keep theirs).
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- Italian numbers ------------------------------------------------------------------------
def it_format(d: Decimal, thousands: bool = True) -> str:
    """An independent Italian formatter: ``-1234.5`` -> ``'-1.234,5'``."""
    sign, digits, exp = d.as_tuple()
    text = format(abs(d), "f")
    whole, _, frac = text.partition(".")
    if thousands:
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = ".".join([whole] + groups)
    return ("-" if sign and d != 0 else "") + whole + ("," + frac if frac else "")


amounts = st.decimals(
    min_value=Decimal("-1e12"),
    max_value=Decimal("1e12"),
    allow_nan=False,
    allow_infinity=False,
    places=2,
)
# Up to 25 significant digits: within Decimal's default context (28), as every amount of
# every document is (num() computes abs(), which rounds to the context precision).
decimals_any = st.integers(min_value=0, max_value=10).flatmap(
    lambda places: st.decimals(
        allow_nan=False,
        allow_infinity=False,
        places=places,
        min_value=Decimal("-1e15"),
        max_value=Decimal("1e15"),
    )
)


@PROPERTY
@given(amounts, st.booleans(), st.sampled_from(["{}", "€ {}", "€{}", "{} €", " {} ", "{}\u00a0€"]))
@example(Decimal("1234.56"), True, "{}")
@example(Decimal("3000"), True, "€ {}")
def test_parse_it_number_reads_italian_amounts_exactly(d, thousands, template):
    assert parse_it_number(template.format(it_format(d, thousands))) == d


@pytest.mark.parametrize("blank", ["-", "", "  ", "—", "–", "€ -"])
def test_parse_it_number_dash_and_blank_are_none(blank):
    assert parse_it_number(blank) is None


NUMBER_CHARS = set("0123456789.,-€ \u00a0—–")


def _foreign(c: str) -> bool:
    """Not part of an Italian number, not blank, not a digit of another script (those
    have their own xfail test below)."""
    return c not in NUMBER_CHARS and not c.isspace() and unicodedata.category(c) != "Nd"


@PROPERTY
@given(
    st.text(min_size=1, max_size=20).filter(lambda s: any(_foreign(c) for c in s)),
    st.sampled_from(["", "1", "1.234", "12,5"]),
)
@example("O", "5.58")  # OCR: letter O for zero, as in the corpus ("5.58O,42")
@example("e", "1")
def test_parse_it_number_refuses_text(garbage, number):
    with pytest.raises(ValueError):
        parse_it_number(number + garbage)


@PROPERTY
@given(st.integers(min_value=1, max_value=999), st.sampled_from(["1", "12", "1234", "12345"]))
def test_parse_it_number_refuses_misplaced_thousands_separators(head, group):
    with pytest.raises(ValueError):
        parse_it_number(f"{head}.{group}")


@pytest.mark.parametrize("text", ["１２３", "١٢٣", "1.２34,56"])
def test_parse_it_number_refuses_non_ascii_digits(text):
    with pytest.raises(ValueError):
        parse_it_number(text)


# -- formatting.num is read back by parse_it_number ------------------------------------------
@PROPERTY
@given(decimals_any)
@example(Decimal("-0"))
@example(Decimal("1E+3"))
@example(Decimal("0.000001"))
def test_num_writes_what_parse_it_number_reads(d):
    assert parse_it_number(num(d)) == d


@PROPERTY
@given(decimals_any, st.integers(min_value=0, max_value=4))
def test_num_with_decimals_rounds_then_reads_back(d, places):
    assume(abs(d) < Decimal("1e14"))
    q = Decimal(1).scaleb(-places)
    assert parse_it_number(num(d, places)) == d.quantize(q, rounding="ROUND_HALF_EVEN")


@PROPERTY
@given(
    st.integers(min_value=-(10**15), max_value=10**15)
    | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15)
)
def test_num_of_ints_and_floats_reads_back(x):
    assert parse_it_number(num(x)) == Decimal(str(x))


# -- names: normalise and folded ---------------------------------------------------------------
def strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


# The characters of Italian comune names (ISTAT, incl. French, German and Ladin names),
# without ß (see the xfail below), and the apostrophes and separators documents use.
NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZàâçèéêìòôöùüÀÈÉÌÒÙ '’`-./"
names = st.text(alphabet=NAME_CHARS, min_size=1, max_size=40)


@PROPERTY
@given(st.text(max_size=60))
def test_normalise_and_folded_are_idempotent_and_plain(x):
    n = normalise(x)
    assert normalise(n) == n and folded(folded(x)) == folded(x)
    assert set(n) <= set("abcdefghijklmnopqrstuvwxyz0123456789 ")
    assert n == " ".join(n.split())


@PROPERTY
@given(names)
@example("SANT'ANGELO LODIGIANO")
@example("FENEGRO'")
def test_normalise_ignores_case(x):
    assert normalise(x.upper()) == normalise(x) == normalise(x.lower())
    assert folded(x.upper()) == folded(x)


@PROPERTY
@given(names)
@example("Fenegrò")
@example("Cantù")
def test_normalise_ignores_accents(x):
    assert normalise(strip_accents(x)) == normalise(x)


@PROPERTY
@given(names, st.sampled_from(["'", "’", "`", " "]))
def test_normalise_ignores_the_kind_of_apostrophe(x, apostrophe):
    assert normalise(x.replace("'", apostrophe)) == normalise(x)


@PROPERTY
@given(
    st.text(alphabet="abcdefghilmnopqrstuvz", min_size=1, max_size=12), st.sampled_from("àèéìòù")
)
def test_accent_written_as_apostrophe_is_the_accent(stem, vowel):
    """Typewriter Italian: ``FENEGRO'`` is ``Fenegrò``."""
    assert normalise(f"{stem}{strip_accents(vowel)}'".upper()) == normalise(stem + vowel)


@PROPERTY
@given(st.text(alphabet="abcdefghilmnopqrstuvz", min_size=2, max_size=12))
def test_folded_reads_saint_abbreviations_alike(tail):
    tail = tail.capitalize()
    forms = [f"S.{tail}", f"S. {tail}", f"San {tail}", f"SANTA {tail.upper()}", f"Sant'{tail}"]
    assert len({folded(f) for f in forms}) == 1


@pytest.mark.parametrize(
    "name", ["Funes/Villnöß", "Appiano sulla strada del vino/Eppan an der Weinstraße"]
)
def test_normalise_ignores_case_for_sharp_s(name):
    assert normalise(name.upper()) == normalise(name)


# -- GU: two columns printed side by side ---------------------------------------------------------
H3 = "Numero d'ordine\tCOMUNI\tAliquota deliberata %"
comune_names = (
    st.text(alphabet="abcdefghilmnoprstuvz' ", min_size=2, max_size=18)
    .map(lambda s: s.strip().capitalize())
    .filter(lambda s: len(s) >= 2 and not s.startswith("Numero"))
)
rates = st.sampled_from(["20", "16", "12", "8", "non istituita", "20 (A)", "(*)"])


def entries(first: int, n: int):
    return st.lists(st.tuples(comune_names, rates), min_size=n, max_size=n).map(
        lambda xs: [(f"{first + i}.", name, rate) for i, (name, rate) in enumerate(xs)]
    )


@st.composite
def two_columns(draw):
    n_left = draw(st.integers(min_value=1, max_value=12))
    n_right = draw(st.integers(min_value=0, max_value=12))
    left = draw(entries(1, n_left))
    right = draw(entries(n_left + 1, n_right))
    lines = []
    for i in range(max(n_left, n_right)):
        cells = list(left[i]) if i < n_left else ["", "", ""]
        cells += list(right[i]) if i < n_right else ["", "", ""]
        lines.append("\t".join(cells))
        if draw(st.integers(0, 4)) == 0:
            lines.append("")  # blank lines do not break a run
    return left, right, lines


@PROPERTY
@given(two_columns())
def test_reading_order_reads_the_left_column_then_the_right(case):
    left, right, lines = case
    numbered = list(enumerate([H3 + "\t" + H3] + lines, start=1))
    items = [it for it in reading_order(numbered) if it.column != "header"]
    assert [it.cells for it in items] == [tuple(c) for c in left + right]
    assert [it.column for it in items] == ["left"] * len(left) + ["right"] * len(right)
    by_cells = {it.cells: it.line for it in items}
    for n, text in numbered[1:]:  # each cell triple keeps its line
        cells = text.split("\t")
        for triple in (tuple(cells[0:3]), tuple(cells[3:6])):
            if any(triple):
                assert by_cells[triple] == n


@PROPERTY
@given(st.integers(1, 8), st.integers(1, 6), st.integers(1, 8), st.booleans(), st.data())
def test_a_tail_goes_where_the_order_numbers_continue(n_left, n_tail, n_right, tail_between, data):
    """One-column lines after a run belong to the foot of the left column when the numbers
    say so (left 1..a, tail a+1..b, right b+1..c), else they follow the right column."""
    left = data.draw(entries(1, n_left))
    if tail_between:
        tail = data.draw(entries(n_left + 1, n_tail))
        right = data.draw(entries(n_left + n_tail + 1, n_right))
        expected = left + tail + right
    else:
        right = data.draw(entries(n_left + 1, n_right))
        tail = data.draw(entries(n_left + n_right + 1, n_tail))
        expected = left + right + tail
    run = [
        "\t".join(
            (list(left[i]) if i < n_left else [""] * 3)
            + (list(right[i]) if i < n_right else [""] * 3)
        )
        for i in range(max(n_left, n_right))
    ]
    lines = [H3 + "\t" + H3] + run + ["\t".join(t) for t in tail]
    items = [it for it in reading_order(list(enumerate(lines, start=1))) if it.column != "header"]
    assert [it.cells for it in items] == [tuple(c) for c in expected]


# -- the site's JSON: orjson, the standard library's bytes ----------------------------------
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e-05, 1e-07, 9.99e-05, 0.0001, 1e16, 1e22, -0.0, 5e-324, 0.1])
    | st.decimals(allow_nan=False, allow_infinity=False, places=2)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text() | st.integers(min_value=0, max_value=9), inner, max_size=5)
    ),
    max_leaves=30,
)


def _default(o):
    if isinstance(o, Decimal):
        return float(o)
    raise TypeError(type(o).__name__)


@PROPERTY
@given(_JSON)
@example({"a": [1, 2.5, None, True, "città <b> & \u2028"], "1e-05": 1e-05})
def test_compact_json_is_what_json_writes(value):
    import json

    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)
    assert compact_json(value, _default) == expected.encode()


# -- package JSON -----------------------------------------------------------------------------
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
)


@PROPERTY
@given(
    st.lists(st.text(min_size=1, max_size=5), max_size=5, unique=True).flatmap(
        lambda names: st.tuples(
            st.just(names),
            st.lists(st.fixed_dictionaries({n: SCALARS for n in names}), max_size=4),
        )
    )
)
def test_rows_json_is_json_dumps(case):
    names, rows = case
    assert _rows_json(rows, names) == json.dumps(rows, ensure_ascii=False, indent=1)


def test_rows_json_other_values_fall_back():
    rows = [{"a": 1, "b": "x"}, {"a": [1, 2], "b": {"c": None}}]
    assert _rows_json(rows, ["a", "b"]) == json.dumps(rows, ensure_ascii=False, indent=1)


# -- prose ----------------------------------------------------------------------------------
def naive_prose(lines, start, end, joiner):
    """The text and the (offset, line) marks, built one line at a time on a string."""
    end = len(lines) if end is None else min(end, len(lines))
    text, marks = "", []
    for n in range(start, end + 1):
        t = clean(lines[n - 1]) if joiner == " " else lines[n - 1]
        if joiner == " " and not t:
            continue
        if marks:
            if joiner == " " and re.search(r"[a-zà-ÿ]-$", text) and re.match(r"[a-zà-ÿ]", t):
                text = text[:-1]
            else:
                text += joiner
        marks.append((len(text), n))
        text += t
    return text, marks


LINE = st.lists(st.sampled_from(["a", "b-", "-", "", " ", "à-", "Z-", "1-", "\xa0", "x y", "\n"]))


@PROPERTY
@given(
    st.lists(LINE.map("".join), max_size=8),
    st.integers(1, 4),
    st.one_of(st.none(), st.integers(0, 10)),
    st.sampled_from([" ", "\n"]),
)
def test_prose_is_the_naive_join(lines, start, end, joiner):
    p = Prose(lines, start, end, joiner)
    text, marks = naive_prose(lines, start, end, joiner)
    assert (p.text, p._marks) == (text, marks)
    for pos in range(-1, len(text) + 2):
        line = start
        for off, n in marks:
            if off > pos:
                break
            line = n
        assert p.line_of(pos) == line


# -- comparisons ------------------------------------------------------------------------------
@PROPERTY
@given(
    st.dictionaries(
        st.text("0123456789", min_size=6, max_size=6),
        st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False),
        max_size=30,
    ),
    st.randoms(),
)
def test_comparison_order_is_by_value_then_code(values, rnd):
    from generator.compare import _order

    codes = list(values)
    rnd.shuffle(codes)
    for c in codes[: len(codes) // 3]:  # ties, as many comuni get the same amount
        values[c] = values[codes[-1]]
    assert _order(codes, values) == sorted(codes, key=lambda c: (-values[c], c))


# -- the search index's reading of pages and of Pagefind ----------------------------------------
_BODY = re.compile(rb"<[a-zA-Z][^<>]*?\sdata-pagefind-body[\s=/>]")
_HTML_TOKENS = [
    b"<", b">", b"div", b"p", b"1", b" ", b"\t", b"\n", b"\x0c", b"=", b"/", b'"',
    b"data-pagefind-body", b"data-pagefind-bodyx", b"-", b"\xc3\xa0",
]  # fmt: skip


@PROPERTY
@given(st.lists(st.sampled_from(_HTML_TOKENS), max_size=40))
@example([b"<", b"div", b" ", b"data-pagefind-body", b">"])
@example([b"<", b"div", b"data-pagefind-body", b">"])
@example([b"<", b"1", b" ", b"data-pagefind-body", b">"])
@example([b"<", b"div", b">", b" ", b"data-pagefind-body", b">"])
@example([b" ", b"data-pagefind-body", b" ", b"<", b"p", b" ", b"data-pagefind-body", b"/"])
def test_searched_is_the_pattern(tokens):
    from generator.search import searched

    html = b"".join(tokens)
    assert searched(html) == (_BODY.search(html) is not None)


class _Pieces:
    """A stream whose ``read1`` gives back the given pieces, one per call."""

    def __init__(self, pieces):
        self.pieces = list(pieces)

    def read1(self, _n):
        return self.pieces.pop(0) if self.pieces else b""


@PROPERTY
@given(
    st.lists(st.recursive(st.none() | st.integers() | st.text(), st.lists, max_leaves=5)),
    st.lists(st.integers(min_value=0, max_value=10_000)),
)
def test_pagefind_answers_are_read_whatever_the_pieces(answers, cuts):
    import base64

    from generator.search import _answers

    out = b"".join(base64.b64encode(json.dumps(a).encode()) + b"," for a in answers)
    bounds = sorted({0, len(out), *(c % (len(out) + 1) for c in cuts)})
    pieces = [out[a:b] for a, b in zip(bounds, bounds[1:])]
    assert list(_answers(_Pieces(pieces))) == answers
