"""The pages listing a comune's other programmes (glance.rest_pages) through the real
build: with the page limits lowered so that the real corpus passes them, every comune page
that cuts its list links pages that list each of its other programmes once, with their
JSON twins, in the sitemap, and with no broken link; and the comparison charts are drawn
(an SVG file, named in the twin) for the programmes a page shows in full only."""

from __future__ import annotations

import hashlib
import io
import json
import re

from generator import build, glance, paths
from generator.quality import Log


def _target(site, href: str):
    path = href.split("#")[0]
    f = site / path.lstrip("/")
    return f / "index.html" if path.endswith("/") else f


def _tree(site) -> dict:
    return {
        p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in site.rglob("*")
        if p.is_file()
    }


def test_the_lists_of_a_comunes_other_programmes_in_a_real_build(tmp_path, monkeypatch):
    for k, v in {"programmes": 1, "rest": 1, "rest_page": 2}.items():
        monkeypatch.setitem(glance.PAGE_LIMITS, k, v)
    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")
    site = tmp_path / "site"
    rep = build.build(site, log=Log(stream=io.StringIO()), search=False, validate=False, workers=1)
    assert not rep.blocking
    lists = sorted(site.glob("comuni/*/programmi/**/index.html"))
    assert len(lists) > 100  # the Lombardy comuni of the Fondo, SMART, protezione civile, ...
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    comuni = sorted({p.relative_to(site).parts[1] for p in lists})
    for istat in comuni:
        twin = json.loads((site / "comuni" / istat / "index.json").read_text(encoding="utf-8"))
        page = (site / "comuni" / istat / "index.html").read_text(encoding="utf-8")
        assert f'href="/comuni/{istat}/programmi/"' in page
        listed = []
        for f in sorted(
            (site / "comuni" / istat / "programmi").glob("**/index.html"),
            key=lambda f: len(f.parts),
        ):
            html = f.read_text(encoding="utf-8")
            url = "/" + str(f.parent.relative_to(site)) + "/"
            assert f"{url}</loc>" in sitemap
            assert json.loads((f.parent / "index.json").read_text(encoding="utf-8"))["rows"]
            rows = re.findall(r'<th scope="row" id="p-([^"]+)"', html)
            assert 1 <= len(rows) <= 2
            listed += rows
            for href in re.findall(r'href="(/[^"]*)"', html):
                assert _target(site, href).is_file(), (url, href)
        # every programme of the comune is in full on its page or on one list line, once
        full = re.findall(r'<section class="programme-section" aria-labelledby="p-([^"]+)"', page)
        assert sorted(full + listed) == sorted(p["slug"] for p in twin["programmes"])
        assert len(set(listed)) == len(listed)
    # the charts: a file for each programme the page shows in full (render._drawn_only)
    undrawn = drawn_total = 0
    for t in sorted(site.glob("comuni/*/index.json")):
        twin = json.loads(t.read_text(encoding="utf-8"))
        page = (t.parent / "index.html").read_text(encoding="utf-8")
        full = set(
            re.findall(r'<section class="programme-section" aria-labelledby="p-([^"]+)"', page)
        )
        files = {"/" + p.relative_to(site).as_posix() for p in t.parent.glob("confronto-*.svg")}
        shown = set(re.findall(r'<img src="(/comuni/\d+/confronto-[^"]+\.svg)"', page))
        named = {c["svg"] for c in twin["compare"] if c["svg"]}
        assert files == shown == named, t
        drawn_total += len(files)
        for c in twin["compare"]:
            assert c["rows"] and c["head"]  # the numbers, drawn or not
            if c["programme"] in full:
                assert (c["svg"] is None) == ("same" in c), (t, c["key"])
            else:
                assert all(c[k] is None for k in ("svg", "alt", "width", "height", "embed"))
                undrawn += "same" not in c
    assert drawn_total > 500 and undrawn > 100, (drawn_total, undrawn)
    # built again, every group rendered and compared with the last build's units
    # (COMUNI_APERTI_CHECK_TASK_KEYS): each comune unit is taken over by its key, and draws
    # the charts the last build drew; the same bytes
    before = _tree(site)
    monkeypatch.setenv("COMUNI_APERTI_CHECK_TASK_KEYS", "1")
    log = io.StringIO()
    rep = build.build(
        site, log=Log(stream=log), search=False, validate=False, workers=1, force=True
    )
    assert not rep.blocking
    m = re.search(r"(\d+) of (\d+) render units unchanged", log.getvalue())
    assert m and m.group(1) == m.group(2), log.getvalue()[-2000:]
    assert _tree(site) == before
