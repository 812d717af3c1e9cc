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
