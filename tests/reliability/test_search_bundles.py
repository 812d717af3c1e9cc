"""The search index in bundles (generator/search.py), with the real Pagefind.

The pages are indexed in bundles (comune pages by groups of regions, the rest in
``main``) that are reused while their pages do not change, and merged into one index.
What must hold: the bundles partition the searched pages; the merged index is the one a
single Pagefind run over the same pages writes; the number of Pagefind processes changes
no byte; a change confined to one region indexes that region's bundle (and main) only,
and the result is the site a cold build of the same inputs publishes.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from corpus import GU_FRAGMENT, GU_ID, Source, encode, write_corpus
from minibuild import Mini, make_project

from generator import search


def _decompressed(files: dict[str, bytes]) -> dict[str, bytes]:
    """The index with every gzip file unpacked (Pagefind's gzip and Python's differ in
    bytes, not in what they hold)."""
    return {
        rel: gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        for rel, data in files.items()
    }


def _urls(files: dict[str, bytes]) -> list[str]:
    """The URL of every page of an index, in its page order."""
    entry = json.loads(files["pagefind-entry.json"])
    urls = []
    for lang in entry["languages"].values():
        for h, _count in search._unpack(files[f"pagefind.{lang['hash']}.pf_meta"])[1]:
            frag = gzip.decompress(files[f"fragment/{h}.pf_fragment"])
            urls.append(json.loads(frag[len(search._META_MAGIC) :])["url"])
    return urls


def test_only_pages_marked_for_search_are_indexed(tmp_path):
    """Pagefind indexes every page of an index in which no page has data-pagefind-body;
    pages are sent only with it, so a bundle of unmarked pages is an empty index, not
    an index of whole pages."""
    body = '<!doctype html><html lang="it"><body><main{}><h1>Pagina {}</h1></main></body></html>'
    for i, mark in enumerate(["", " data-pagefind-body", ""]):
        (tmp_path / f"p{i}.html").write_text(body.format(mark, i), encoding="utf-8")
    assert search.searched((tmp_path / "p1.html").read_bytes())
    assert not search.searched((tmp_path / "p0.html").read_bytes())
    files = search.pagefind_files(tmp_path, ["p0.html", "p1.html", "p2.html"])
    assert _urls(files) == ["/p1.html"]
    none = search.pagefind_files(tmp_path, ["p0.html", "p2.html"])
    assert json.loads(none["pagefind-entry.json"])["languages"] == {}
    search.check_index(none, 0)


# -- the bundles ------------------------------------------------------------------------
def test_every_comune_page_has_a_region_bundle(reg):
    """Every region of the registry is in exactly one bundle, and every comune page,
    current or historical, goes to a region bundle (none falls back to main)."""
    codes = [c for _name, group in search.REGION_BUNDLES for c in group]
    assert len(codes) == len(set(codes))
    assert {c.region_code for c in reg.current.values()} <= set(codes)
    regions = search.comune_regions(reg)
    pages = [f"comuni/{code}/index.html" for code in [*reg.current, *reg.historical]]
    bundles = search.assign(pages, regions)
    assert bundles[search.MAIN] == []
    lombardia = [n for n, group in search.REGION_BUNDLES if "03" in group]
    assert lombardia == ["regioni-03"] and set(search.REGION_BUNDLES[1][1]) == {"03"}
    # a historical comune goes with its successor
    for c in reg.historical.values():
        succ = reg.current.get(c.successor)
        if succ:
            assert regions[c.istat] == succ.region_code


def test_the_bundles_partition_the_searched_pages(built_site, reg):
    site, _ = built_site
    pages = sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if not p.relative_to(site).as_posix().startswith(("pagefind/", "confronta/"))
    )
    bundles = search.assign(pages, search.comune_regions(reg))
    flat = [p for ps in bundles.values() for p in ps]
    assert sorted(flat) == pages and len(flat) == len(set(flat))  # none lost, none twice
    assert list(bundles)[-1] == search.MAIN  # main's pages come last in the index
    for name, ps in bundles.items():
        if name != search.MAIN:
            assert ps and all(search._COMUNE_PAGE.fullmatch(p) for p in ps), name
    assert not any(search._COMUNE_PAGE.fullmatch(p) for p in bundles[search.MAIN])
    # the published index holds each searched page of the site once
    searched = sum(search.searched((site / p).read_bytes()) for p in pages)
    assert search.check_written(site) == f"{searched:,} pages"


# -- the merge --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample(built_site, reg):
    """Real pages of three bundles (the comuni of Asti and of Lecce, the programmes,
    documents and provinces), whose bundle order is also their path order: so the merged
    index must be, file for file, the one a single Pagefind run writes."""
    site, _ = built_site
    pages = sorted(
        p.relative_to(site).as_posix()
        for pattern in ("comuni/005*/index.html", "comuni/075*/index.html")
        for p in site.glob(pattern)
    )
    pages += sorted(
        p.relative_to(site).as_posix()
        for folder in ("programmi", "documenti", "province")
        for p in (site / folder).rglob("index.html")
    )
    bundles = search.assign(pages, search.comune_regions(reg))
    assert list(bundles) == ["regioni-01-02", "regioni-13-16", search.MAIN]
    assert [p for ps in bundles.values() for p in ps] == sorted(pages)
    return site, pages, bundles


def test_merged_bundles_are_one_pagefind_run(sample):
    site, pages, bundles = sample
    one = search.pagefind_files(site, pages)
    built = search.build_bundles(site, bundles, workers=2)
    merged = search.merge([(built[n][0], built[n][2]) for n in bundles])
    search.check_index(merged, sum(built[n][1] for n in bundles))
    assert sorted(merged) == sorted(one)  # the same files, named alike ...
    a, b = _decompressed(merged), _decompressed(one)
    assert [rel for rel in sorted(a) if a[rel] != b[rel]] == []  # ... holding the same
    # the main bundle numbers its metadata fields otherwise than the comune bundles: the
    # merge renumbered them
    fields = {n: built[n][2]["it"]["fields"] for n in bundles}
    assert fields[search.MAIN] != fields["regioni-01-02"]


def test_the_number_of_pagefind_processes_changes_no_byte(sample):
    site, _pages, bundles = sample
    one = search.build_bundles(site, bundles, workers=1)
    two = search.build_bundles(site, bundles, workers=2)
    assert {n: v[:2] for n, v in one.items()} == {n: v[:2] for n, v in two.items()}
    assert search.merge([(one[n][0], one[n][2]) for n in bundles]) == search.merge(
        [(two[n][0], two[n][2]) for n in bundles]
    )


def test_pages_of_two_bundles_with_the_same_short_hash(sample):
    """Pagefind names a page's fragment after 7 hex digits of its hash and lengthens the
    name when two pages of one run collide; pages of two bundles can collide too (about
    one build in eight at 8,000 pages): the merge lengthens the later page's name."""
    site, _pages, bundles = sample
    built = search.build_bundles(site, bundles, workers=2)
    first, second = "regioni-01-02", "regioni-13-16"
    taken = built[first][2]["it"]["pages"][0][0]
    files, prepared = dict(built[second][0]), dict(built[second][2])
    prepared["it"] = dict(prepared["it"])
    pages = [list(p) for p in prepared["it"]["pages"]]
    own = pages[0][0]
    data = files.pop(f"fragment/{own}.pf_fragment")
    files[f"fragment/{taken}.pf_fragment"] = data  # the second bundle's page, renamed
    pages[0][0] = taken
    prepared["it"]["pages"] = pages
    parts = [
        (built[first][0], built[first][2]),
        (files, prepared),
        (built[search.MAIN][0], built[search.MAIN][2]),
    ]
    merged = search.merge(parts)
    search.check_index(merged, sum(v[1] for v in built.values()))
    meta = next(rel for rel in merged if rel.endswith(".pf_meta"))
    names = [h for h, _ in search._unpack(merged[meta])[1]]
    full = search._pagefind_hash(gzip.decompress(data)[len(search._META_MAGIC) :])
    assert len(set(names)) == len(names) and taken in names
    assert f"it_{full[:8]}" in names  # one digit more of the page's own hash
    assert merged[f"fragment/it_{full[:8]}.pf_fragment"] == data
    whole = search.merge([(built[n][0], built[n][2]) for n in bundles])
    assert _urls(merged) == _urls(whole)


# -- reuse, through the real build --------------------------------------------------------
REGION_CHANGE = [
    line.replace("2.\tAlbugnano\t16", "2.\tAlbugnano\t18") for line in GU_FRAGMENT
]  # Albugnano is in the province of Asti (Piemonte): one region bundle changes


def _write_document(root: Path, lines: list[str]) -> None:
    write_corpus(
        root / "data" / "sources",
        [
            Source(
                GU_ID,
                encode(lines),
                "gu_sovrimposta",
                meta={"date": "1983-10-24", "title": "Aliquote della sovrimposta (prova)"},
            )
        ],
    )


def _summary(stderr: str) -> str:
    return next(line for line in stderr.splitlines() if "search bundles:" in line)


def test_a_change_in_one_region_indexes_its_bundle_only(tmp_path):
    mini = Mini(make_project(tmp_path / "incremental"))
    first = _summary(mini.build_ok())
    assert "3 indexed" in first and "0 from the cache" in first
    entries = {p.name: p.read_bytes() for p in (mini.root / ".cache" / "search").iterdir()}
    lecce = next(k for k in entries if k.startswith("regioni-13-16-"))
    before = mini.digest()

    _write_document(mini.root, REGION_CHANGE)
    second = _summary(mini.build_ok())
    assert "2 indexed (regioni-01-02 " in second and ", main " in second, second
    assert "1 from the cache" in second, second
    after = mini.digest()
    changed = sorted(f for f in after if before.get(f) != after[f])
    comuni = [f for f in changed if search._COMUNE_PAGE.fullmatch(f)]
    assert comuni == ["comuni/005002/index.html"]  # Albugnano, and no comune of Lecce
    assert any(f.startswith("pagefind/") for f in changed)
    # the Lecce bundle was taken from the cache as it was
    assert (mini.root / ".cache" / "search" / lecce).read_bytes() == entries[lecce]

    # a cold build of the same inputs publishes the same site, search index included
    cold = Mini(make_project(tmp_path / "cold"))
    _write_document(cold.root, REGION_CHANGE)
    assert "0 from the cache" in _summary(cold.build_ok())
    assert cold.digest() == after

    # no page changed: the index is kept as it is, nothing indexed or merged
    assert "search index kept" in mini.build_ok("--verify")
    assert mini.digest() == after


def test_a_damaged_cached_bundle_is_indexed_again(tmp_path):
    mini = Mini(make_project(tmp_path / "project"))
    mini.build_ok()
    published = mini.digest()
    entry = next((mini.root / ".cache" / "search").glob("regioni-13-16-*"))
    entry.write_bytes(entry.read_bytes()[:-10])
    shutil.rmtree(mini.site / "pagefind")  # the published index is gone: it is made again
    out = _summary(mini.build_ok())
    assert "1 indexed (regioni-13-16 " in out and "2 from the cache" in out, out
    assert mini.digest() == published


def test_check_finds_a_searched_page_the_index_lacks(tmp_path):
    mini = Mini(make_project(tmp_path / "project"))
    mini.build_ok()
    site = tmp_path / "copy"
    shutil.copytree(mini.site, site)
    assert search.check_written(site).endswith(" pages")
    extra = site / "documenti" / "nuovo" / "index.html"
    extra.parent.mkdir(parents=True)
    extra.write_text(
        '<!doctype html><html lang="it"><body><main data-pagefind-body><h1>Nuovo</h1>'
        "</main></body></html>",
        encoding="utf-8",
    )
    with pytest.raises(search.SearchIndexError) as e:
        search.check_written(site)
    assert "1 searchable pages not in the index (e.g. /documenti/nuovo/)" in str(e.value)
