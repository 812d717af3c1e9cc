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
