"""A comune named by many documents (issue 13: 1,000 bulletins) keeps a page of bounded
size: past glance.PAGE_LIMITS the page shows the programmes with the most recent
documents in full and the others one line each; "In sintesi", the programmes of the area
that leave it out and the documents that name it are cut the same way, each with what
was left out and where it is (the JSON twin and the CSV keep every row)."""

from __future__ import annotations

import re
from types import SimpleNamespace

from generator import glance, render, search

N = 15  # programmes, each from its own document; document i is dated 2000+i


def _model():
    docs = {
        f"doc-{i:02d}": SimpleNamespace(doc=SimpleNamespace(meta={"date": f"{2000 + i}-01-01"}))
        for i in range(N + 10)
    }
    return SimpleNamespace(documents=docs)


def _ctx():
    programmes = [
        {
            "slug": f"prog-{i:02d}",
            "title": f"Programma {i:02d}",
            "url": f"/programmi/prog-{i:02d}/",
            "facts": [{"source": {"document": f"doc-{i:02d}"}}],
        }
        for i in range(N)
    ]
    return {
        "istat": "019035",
        "name": "Crema",
        "historical": False,
        "province": {"name": "Cremona", "sigla": "CR", "url": "/province/CR/"},
        "region": "Lombardia",
        "population": 33786,
        "programmes": programmes,
        "summary": [
            {"programme": p["slug"], "title": p["title"], "sentence": [{"text": "Frase."}]}
            for p in programmes
        ],
        "gaps": [
            {"url": f"/programmi/z-{i}/", "title": f"Zona {i}", "text": "Non compare."}
            for i in range(12)
        ],
        "mentions": [
            {
                "document": f"doc-{i:02d}",
                "title": f"Documento {i}",
                "act": None,
                "lines": [1],
                "more": 0,
                "url": f"/documenti/doc-{i:02d}/#L1",
            }
            for i in range(N + 10)
        ],
        "neighbours": [],
        "compare": [],
        "sources": [f"doc-{i:02d}" for i in range(N)],
        "urls": {
            "html": "/comuni/019035/",
            "json": "/comuni/019035/index.json",
            "csv": "/comuni/019035/index.csv",
            "feed": "/comuni/019035/feed.xml",
            "rss": "/comuni/019035/rss.xml",
        },
    }


def _render(ctx, selection) -> str:
    return (
        render.environment()
        .get_template("comune.html")
        .render(
            page_url="/comuni/019035/",
            data=ctx,
            locator="",
            jsonld="",
            selection=selection,
            groups={s: [] for s in selection["full"]},
            nav=[],
            created="2025-01-01",
            labels={},
        )
    )


def test_few_programmes_are_all_shown_in_full():
    ctx = _ctx()
    ctx["programmes"] = ctx["programmes"][:5]
    sel = glance.page_selection(_model(), ctx)
    assert sel == {"full": [p["slug"] for p in ctx["programmes"]], "rest": []}


def test_past_the_limit_the_newest_programmes_in_full_the_others_one_line_each():
    ctx, limit = _ctx(), glance.PAGE_LIMITS["programmes"]
    sel = glance.page_selection(_model(), ctx)
    newest = [f"prog-{i:02d}" for i in range(N - limit, N)]  # documents dated 2005..2014
    assert sel["full"] == newest  # in the page's order (by title)
    assert [r["slug"] for r in sel["rest"]] == [f"prog-{i:02d}" for i in range(N - limit)]
    assert sel["rest"][0] == {
        "slug": "prog-00",
        "title": "Programma 00",
        "url": "/programmi/prog-00/",
        "rows": 1,
        "date": "2000-01-01",
        "documents": ["doc-00"],
    }
    html = _render(ctx, sel)
    sections = re.findall(r'<section class="programme-section" aria-labelledby="([^"]+)"', html)
    assert sections == [f"p-{s}" for s in newest] + ["altri-programmi"]
    rest = html[html.index('id="altri-programmi"') :]
    assert f"Altri {N - limit} programmi" in rest
    assert all(f'href="/programmi/prog-{i:02d}/"' in rest for i in range(N - limit))
    assert 'href="/comuni/019035/index.csv"' in rest  # where every row is
    # "In sintesi": the sentences of the programmes shown, and a line for the others
    glance_part = html[html.index('id="in-sintesi"') : html.index('id="programmi"')]
    assert glance_part.count("Frase.") == limit
    assert f"E altri {N - limit} programmi" in glance_part
    # the area's programmes that leave it out, and the documents that name it
    assert glance_part.count("Non compare.") == glance.PAGE_LIMITS["gaps"]
    assert "E altri 2 programmi della zona" in glance_part
    cited = html[html.index('id="citato"') :]
    assert cited.count('<li><a href="/documenti/doc-') == glance.PAGE_LIMITS["mentions"]
    assert f"E altri {N + 10 - glance.PAGE_LIMITS['mentions']} documenti" in cited
    # "Fonte": the documents of the programmes in full, and how many others are on the lines
    source = html[html.index('id="come-citare"') :]
    source = source[source.index("<dt>Fonte</dt>") : source.index("<dt>Licenza</dt>")]
    assert re.findall(r'href="/documenti/(doc-\d+)/"', source) == [
        f"doc-{i:02d}" for i in range(N - limit, N)
    ]
    assert f"e altri {N - limit} documenti" in source


def _filters(html: str) -> list[str]:
    return re.findall(r'data-pagefind-filter="programma">([^<]+)<', html)


def test_past_the_one_line_limit_the_page_links_every_programme_on_pages_of_their_own(
    monkeypatch, tmp_path
):
    """More one-line programmes than PAGE_LIMITS["rest"]: the page lists the newest of them
    and links /comuni/<istat>/programmi/ (pages of PAGE_LIMITS["rest_page"] lines), where
    every other programme is, once, with its search filter."""
    monkeypatch.setitem(glance.PAGE_LIMITS, "rest", 3)
    monkeypatch.setitem(glance.PAGE_LIMITS, "rest_page", 2)
    ctx, limit = _ctx(), glance.PAGE_LIMITS["programmes"]
    sel = glance.page_selection(_model(), ctx)
    rest = [f"prog-{i:02d}" for i in range(N - limit)]  # prog-00 .. prog-04
    assert [r["slug"] for r in sel["rest"]] == rest
    assert [r["slug"] for r in sel["shown"]] == ["prog-02", "prog-03", "prog-04"]  # newest
    base = "/comuni/019035/programmi/"
    assert sel["pages"] == [
        {"url": base, "number": 1, "count": 2},
        {"url": f"{base}2/", "number": 2, "count": 2},
        {"url": f"{base}3/", "number": 3, "count": 1},
    ]
    html = _render(ctx, sel)
    part = html[html.index('id="altri-programmi"') :]
    assert re.findall(r'<th scope="row" id="p-(prog-\d+)"', part) == [
        "prog-02",
        "prog-03",
        "prog-04",
    ]
    assert f'href="{base}"' in part and "Tutti gli altri 5 programmi" in part
    # the page's search filters: the programmes it shows, not those only on the list pages
    newest = [f"prog-{i:02d}" for i in range(N - limit, N)]
    assert sorted(_filters(html)) == sorted(newest + ["prog-02", "prog-03", "prog-04"])

    env, seen = render.environment(), []
    for page in glance.rest_pages("019035", sel["rest"]):
        out = env.get_template("comune-programmes.html").render(
            page_url=page["url"],
            data=render.comune_programmes_context(ctx, sel, page),
            nav=[],
            created="2025-01-01",
            labels={},
        )
        rows = re.findall(r'<th scope="row" id="p-(prog-\d+)"', out)
        assert _filters(out) == rows  # each list page is found by its programmes' filters
        seen += rows
        assert f'aria-current="page">{page["number"]}<' in out
        others = [p["url"] for p in sel["pages"] if p["url"] != page["url"]]
        assert all(f'href="{u}"' in out for u in others)
        assert 'href="/comuni/019035/"' in out and 'href="/comuni/019035/index.csv"' in out
        # Pagefind is sent the searched element only (search.for_pagefind)
        assert len(search.for_pagefind(out.encode())) < len(out.encode())
        rel = page["url"].lstrip("/") + "index.html"
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(out, encoding="utf-8")
    assert seen == rest  # every one-line programme once, in the page's order
    # and it indexes them as it indexes the whole pages
    pages = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.html"))
    reduced = search.pagefind_files(tmp_path, pages)
    monkeypatch.setattr(search, "for_pagefind", lambda raw: raw)
    assert search.pagefind_files(tmp_path, pages) == reduced


# -- the page's size (glance.PAGE_BUDGET) -------------------------------------------------


def _heavy_ctx(n: int = 8) -> dict:
    """``n`` programmes (document i dated 2000+i), each with one fact of 40 fields: about
    2 kB of HTML per programme section."""
    ctx = _ctx()
    ctx["programmes"] = [
        {
            "slug": f"prog-{i:02d}",
            "title": f"Programma {i:02d}",
            "url": f"/programmi/prog-{i:02d}/",
            "facts": [
                {
                    "table": "t",
                    "table_title": f"Tabella {i:02d}",
                    "display": [(f"Campo {k}", f"{i * 1000 + k:,}") for k in range(40)],
                    "extra": [],
                    "technical": [],
                    "resolution": {"method": "exact"},
                    "source": {
                        "document": f"doc-{i:02d}",
                        "url": f"/documenti/doc-{i:02d}/#L{i + 1}",
                        "line_start": i + 1,
                        "line_end": i + 1,
                    },
                }
            ],
        }
        for i in range(n)
    ]
    ctx["summary"] = ctx["summary"][:n]
    ctx["sources"] = [f"doc-{i:02d}" for i in range(n)]
    return ctx


def _page(ctx, budget, monkeypatch) -> tuple[str, dict]:
    monkeypatch.setattr(glance, "PAGE_BUDGET", budget)
    model = _model()
    calls = []

    def reselect(limit):
        calls.append(limit)
        return glance.page_selection(model, ctx, limit), {}

    inputs = {"selection": glance.page_selection(model, ctx), "jsonld": {}, "locator": ""}
    common = {"nav": [], "created": "2025-01-01", "labels": {}}
    html, sel = render.comune_html(render.environment(), ctx, common, inputs, reselect)
    return html, sel, calls


def _full(html: str) -> list[str]:
    return re.findall(r'<section class="programme-section" aria-labelledby="p-([^"]+)"', html)


def test_a_page_within_its_budget_is_rendered_once(monkeypatch):
    ctx = _heavy_ctx()
    html, sel, calls = _page(ctx, 10**9, monkeypatch)
    assert calls == [] and len(_full(html)) == 8 and "altri-programmi" not in html


def test_past_its_budget_the_page_shows_fewer_programmes_in_full_the_oldest_first(monkeypatch):
    ctx = _heavy_ctx()
    whole, _, _ = _page(ctx, 10**9, monkeypatch)
    size = len(whole.encode())
    # room for about five of the eight sections: the three oldest become one line each
    section = (size - len(_page(_heavy_ctx(0), 10**9, monkeypatch)[0].encode())) // 8
    budget = size - int(2.5 * section)
    html, sel, calls = _page(ctx, budget, monkeypatch)
    assert len(html.encode()) <= budget < size
    full = _full(html)
    assert 3 <= len(full) <= 6 and calls  # a page of fewer sections, re-rendered
    assert full == [f"prog-{i:02d}" for i in range(8 - len(full), 8)]  # the newest, in order
    assert sel["full"] == full
    assert [r["slug"] for r in sel["rest"]] == [f"prog-{i:02d}" for i in range(8 - len(full))]
    rest = html[html.index('id="altri-programmi"') :]
    assert f"Altri {8 - len(full)} programmi" in rest
    assert f"Qui sopra i {len(full)} programmi con i documenti più recenti" in rest
    assert all(f'href="/programmi/prog-{i:02d}/"' in rest for i in range(8 - len(full)))
    # every row is still in the twin and the CSV, which the page links
    assert 'href="/comuni/019035/index.csv"' in rest and 'href="/comuni/019035/index.json"' in rest
    # the largest budget that drops a section: one fewer (the oldest), no more
    html, sel, calls = _page(ctx, size - 1, monkeypatch)
    assert _full(html) == [f"prog-{i:02d}" for i in range(1, 8)]
    assert len(html.encode()) < size


def test_a_page_that_cannot_fit_any_programme_in_full_lists_them_all_one_line_each(
    monkeypatch,
):
    ctx = _heavy_ctx()
    html, sel, calls = _page(ctx, 1_000, monkeypatch)
    assert sel["full"] == [] and _full(html) == [] and calls[-1] == 0
    assert [r["slug"] for r in sel["rest"]] == [f"prog-{i:02d}" for i in range(8)]
    part = html[html.index('id="altri-programmi"') :]
    assert "8 programmi, una riga ciascuno" in part
    assert "I programmi sono troppi per mostrarne le righe in questa pagina" in part
    assert "Qui sopra" not in part
    glance_part = html[html.index('id="in-sintesi"') : html.index('id="programmi"')]
    assert "Frase." not in glance_part and "8 programmi:" in glance_part
    # "Fonte": no document list of its own, the documents are on the programmes' lines
    source = html[html.index("<dt>Fonte</dt>") : html.index("<dt>Licenza</dt>")]
    assert "8 documenti, indicati accanto a ciascuno dei" in source
    assert "Registro dei comuni" not in source


def test_a_document_naming_the_comune_in_many_acts_lists_the_first_ones(monkeypatch):
    ctx = _ctx()
    ctx["mentions"] = [
        {
            "document": "doc-00",
            "title": "Documento 0",
            "act": {"label": f"D.d.s. {k}", "title": f"Atto {k}", "url": f"/a/{k}/"},
            "lines": [k + 1],
            "more": 0,
            "url": f"/documenti/doc-00/#L{k + 1}",
        }
        for k in range(14)
    ]
    html = _render(ctx, glance.page_selection(_model(), ctx))
    cited = html[html.index('id="citato"') :]
    assert cited.count('href="/a/') == glance.PAGE_LIMITS["mention_acts"]
    assert f"E altri {14 - glance.PAGE_LIMITS['mention_acts']} atti" in cited
