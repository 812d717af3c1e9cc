"""A document's text as HTML is made only when its page is rendered; the page's unit key
holds a digest of the lines and of the mentions on them instead, so it changes exactly
when the HTML would."""

from __future__ import annotations

from types import SimpleNamespace

from generator.mentions import Mention
from generator.render import Lazy, html_lines, lazy_lines, unit_key


def _doc(lines, mentions):
    by_line: dict[int, list] = {}
    for m in mentions:
        by_line.setdefault(m.line, []).append(m)
    return SimpleNamespace(lines=lines, line_mentions=by_line)


LINES = ["Comune di Asti e di Alba", "Comune di Bra", "fine"]
ASTI = Mention(1, 10, 14, "Asti", "005005", "exact")
BRA = Mention(2, 10, 13, "Bra", "004029", "exact")


def test_the_key_follows_what_the_html_is_made_of():
    base = lazy_lines(_doc(LINES, [ASTI, BRA]))
    assert isinstance(base, Lazy)
    assert base.make() == html_lines(_doc(LINES, [ASTI, BRA]))
    same = lazy_lines(_doc(list(LINES), [BRA, ASTI]))
    assert unit_key("p", {"text": base}) == unit_key("p", {"text": same})
    changed = [
        lazy_lines(_doc(LINES, [ASTI])),  # a mention less
        lazy_lines(_doc(LINES, [ASTI, Mention(2, 10, 13, "Bra", "004030", "exact")])),
        lazy_lines(_doc(["Comune di Asti e di Alba", "Comune di Brà", "fine"], [ASTI, BRA])),
        lazy_lines(_doc(LINES, [ASTI, BRA]), 2),  # another range
    ]
    keys = {unit_key("p", {"text": x}) for x in [base, *changed]}
    assert len(keys) == 5


def test_a_range_keys_only_its_own_lines():
    a = lazy_lines(_doc(LINES, [ASTI, BRA]), 2, 3)
    b = lazy_lines(_doc(["altro testo", *LINES[1:]], [BRA]), 2, 3)  # line 1 differs
    assert a.key == b.key
    assert a.make() == html_lines(_doc(LINES, [ASTI, BRA]), 2, 3)
