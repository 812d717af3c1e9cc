"""The words the search index holds are the words the pages show.

Pagefind reads a page's text element by element and puts a space (or a full stop) after
the elements it knows as blocks (paragraphs, cells, list items, headings, captions), not
after a header cell, a term or its description: ``<th>Comune</th><th>Codice</th>`` is
indexed as one word "ComuneCodice", and ``<dt>Emittente</dt><dd>Ministero</dd>`` as
"EmittenteMinistero", so a search for "codice" or "ministero" does not find the page by
those words. The templates therefore put a space between such elements. Checked with the
real Pagefind (the rule itself, so a Pagefind that changes it is noticed) and on the
real site (its HTML and the text of its published index).
"""

from __future__ import annotations

import gzip
import html as html_mod
import json
import re

from generator import search

# Elements after which Pagefind puts no space (measured below): two of them side by side
# without whitespace run their words together.
_JOINED = ("th", "dt", "dd")
_ADJACENT = re.compile(rf"</({'|'.join(_JOINED)})><({'|'.join(_JOINED)})\b")
_CELL = re.compile(r"<(th|dt|dd)\b[^>]*>(.*?)</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")


def _page(body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="it"><head><meta charset="utf-8"><title>t</title></head>'
        f"<body><main data-pagefind-body>{body}</main></body></html>"
    )


def _contents(files: dict[str, bytes]) -> dict[str, str]:
    """``{url: text}`` of the pages of an index, as Pagefind extracted it."""
    out = {}
    for rel, data in files.items():
        if rel.startswith("fragment/"):
            frag = json.loads(gzip.decompress(data)[len(search._META_MAGIC) :])
            out[frag["url"]] = frag["content"]
    return out


def test_pagefind_runs_together_the_words_of_adjacent_header_cells_and_terms(tmp_path):
    cases = {
        "th.html": "<table><tr><th>Comune</th><th>Codice</th></tr></table>",
        "th-space.html": "<table><tr><th>Comune</th> <th>Codice</th></tr></table>",
        "dl.html": "<dl><dt>Emittente</dt><dd>Ministero</dd></dl>",
        "dl-space.html": "<dl><dt>Emittente</dt> <dd>Ministero</dd></dl>",
        "td.html": "<table><tr><td>Comune</td><td>Codice</td></tr></table>",
    }
    for name, body in cases.items():
        (tmp_path / name).write_text(_page(body), encoding="utf-8")
    text = _contents(search.pagefind_files(tmp_path, sorted(cases)))
    assert "ComuneCodice" in text["/th.html"]
    assert "EmittenteMinistero" in text["/dl.html"]
    assert text["/th-space.html"].split() == ["Comune", "Codice"]
    assert text["/dl-space.html"].split() == ["Emittente", "Ministero"]
    assert "ComuneCodice" not in text["/td.html"]  # a data cell ends with a full stop


def test_no_searched_page_puts_header_cells_or_terms_side_by_side(built_site):
    site, _ = built_site
    bad = {}
    for page in sorted(site.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        if not search.searched(html.encode()):
            continue
        found = _ADJACENT.findall(html)
        if found:
            bad[str(page.relative_to(site))] = found[:3]
    assert not bad, f"{len(bad)} pages, for instance {sorted(bad.items())[:5]}"


def test_the_index_keeps_apart_the_words_of_neighbouring_cells_and_terms(built_site):
    """End to end: for every two header cells, terms or descriptions that follow each other
    on a searched page, the last word of the first and the first word of the second are
    not one word in the text Pagefind indexed."""
    site, _ = built_site
    files = {
        str(p.relative_to(site / "pagefind")): p.read_bytes()
        for p in (site / "pagefind" / "fragment").iterdir()
    }
    text = {url: set(content.split()) for url, content in _contents(files).items()}
    assert len(text) > 8000  # every comune page, the provinces, documents, programmes
    joined, pairs = {}, 0
    for page in sorted(site.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        if not search.searched(html.encode()):
            continue
        url = "/" + str(page.relative_to(site)).removesuffix("index.html")
        words = text[url]
        cells = list(_CELL.finditer(html))
        for ma, mb in zip(cells, cells[1:]):
            a, b = _words(ma.group(2)), _words(mb.group(2))
            if not a or not b or html[ma.end() : mb.start()].strip():
                continue  # not neighbours (something in between), or an empty cell
            pairs += 1
            if a[-1] + b[0] in words:
                joined.setdefault(url, []).append(a[-1] + b[0])
    assert pairs > 10000
    assert not joined, f"{len(joined)} pages, for instance {sorted(joined.items())[:8]}"
    # the labels of a province page's table, each a word of its own
    assert {"Comune", "Codice", "ISTAT", "Popolazione", "Programmi"} <= text["/province/MI/"]


def _words(fragment: str) -> list[str]:
    return html_mod.unescape(_TAG.sub("", fragment)).split()


# -- what Pagefind is sent of a page (search.for_pagefind) -------------------------------
def test_pagefind_is_sent_the_searched_element_only_and_indexes_the_same(built_site, monkeypatch):
    """Pagefind is sent a page's ``<html>`` tag, title and ``data-pagefind-body`` element
    only, and the index of those is the index of the whole pages, byte for byte (the
    filters as the build writes them): on pages of every kind the real site searches, with
    their filters, metadata, anchors and ignored parts. (The list of a comune's other
    programmes, searched too, exists only past 20 programmes: see test_page_limits.)"""
    site, _ = built_site
    kinds = {
        "comune": r"comuni/\d{6}/index\.html",
        "province": r"province/[A-Z]{2}/index\.html",
        "programme": r"programmi/[^/]+/index\.html",
        "document": r"documenti/[^/]+/index\.html",
        "act": r"documenti/[^/]+/atti/[^/]+/index\.html",
    }
    pages: dict[str, list[str]] = {k: [] for k in kinds}
    for page in sorted(site.rglob("*.html")):
        rel = str(page.relative_to(site))
        for kind, pattern in kinds.items():
            if re.fullmatch(pattern, rel) and len(pages[kind]) < 4:
                if search.searched(page.read_bytes()):
                    pages[kind].append(rel)
    sample = sorted(rel for rels in pages.values() for rel in rels)
    assert all(pages.values()), {k: v for k, v in pages.items() if not v}
    whole_pages = []  # every searched page is cut (none sent whole: a template changed?)
    for page in site.rglob("*.html"):
        raw = page.read_bytes()
        if search.searched(raw):
            sent = search.for_pagefind(raw)
            if len(sent) >= len(raw) or b"application/ld+json" in sent:
                whole_pages.append(str(page.relative_to(site)))
    assert whole_pages == []
    reduced = search.pagefind_files(site, sample)
    monkeypatch.setattr(search, "for_pagefind", lambda raw: raw)
    whole = search.pagefind_files(site, sample)
    assert reduced == whole


def test_a_page_is_sent_whole_when_something_outside_its_searched_element_counts():
    head = '<!DOCTYPE html><html lang="it"><head><title>t</title>'
    body = "<article data-pagefind-body><h1>Agliè</h1></article>"
    plain = f'{head}<script type="application/ld+json">{{}}</script></head><body><nav>menu</nav>{body}<footer>piè</footer></body></html>'
    sent = search.for_pagefind(plain.encode()).decode()
    assert sent == (
        '<!DOCTYPE html>\n<html lang="it"><head><meta charset="utf-8"><title>t</title></head>'
        f"<body>{body}</body></html>\n"
    )
    for page in (
        plain.replace("<nav>", '<nav data-pagefind-filter="tipo">'),  # a filter outside
        plain.replace("<footer>", '<footer><meta data-pagefind-meta="x:y">'),
        plain.replace("<nav>menu</nav>", "<article>altro</article>"),  # the tag twice
        plain.replace(body, "<article><h1>Agliè</h1></article>"),  # nothing searched
        plain.replace("</article>", ""),  # not closed
    ):
        assert search.for_pagefind(page.encode()) == page.encode()


def test_the_elements_pagefind_leaves_out_are_sent_empty_unless_it_takes_something_from_them():
    def sent(body: str) -> str:
        page = (
            '<!DOCTYPE html><html lang="it"><head><title>t</title></head><body>'
            f"<article data-pagefind-body><h1>Agliè</h1>{body}</article></body></html>"
        )
        out = search.for_pagefind(page.encode()).decode()
        return out[out.index("</h1>") + 5 : out.rindex("</article>")]

    nested = "<div data-pagefind-ignore><div>a<div>b</div></div>c</div><p>dopo</p>"
    assert sent(nested) == "<div data-pagefind-ignore></div><p>dopo</p>"
    assert sent('<section class="x" data-pagefind-ignore><ul><li>1</li></ul></section>') == (
        '<section class="x" data-pagefind-ignore></section>'
    )
    for kept in (
        '<div data-pagefind-ignore><span data-pagefind-filter="tipo">Comune</span></div>',
        '<div data-pagefind-ignore><img src="/a.svg" alt=""></div>',
        "<div data-pagefind-ignore><h1>Titolo</h1></div>",
        "<div data-pagefind-ignore><div>not closed</div>",  # its end not found
        '<img data-pagefind-ignore src="/a.svg" alt="">',  # not a kind emptied
        '<a data-pagefind-ignore href="/x/">x</a>',
    ):
        assert sent(kept) == kept
    # an element kept whole (a filter inside) still has its own ignored parts emptied
    assert sent(
        '<div data-pagefind-ignore><p data-pagefind-ignore>testo</p><b data-pagefind-meta="m">'
        "v</b></div>"
    ) == (
        '<div data-pagefind-ignore><p data-pagefind-ignore></p><b data-pagefind-meta="m">v</b></div>'
    )
