"""A comune named by many documents (issue 13: 1,000 bulletins) keeps a page of bounded
size: past glance.PAGE_LIMITS the page shows the programmes with the most recent
documents in full and the others one line each; "In sintesi", the programmes of the area
that leave it out and the documents that name it are cut the same way, each with what
was left out and where it is (the JSON twin and the CSV keep every row)."""

from __future__ import annotations

import re
from types import SimpleNamespace

from generator import glance, render

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
    monkeypatch,
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
    assert seen == rest  # every one-line programme once, in the page's order
