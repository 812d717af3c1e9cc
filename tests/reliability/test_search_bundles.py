"""The search index in bundles (generator/search.py), with the real Pagefind.

The pages are indexed in bundles (comune and province pages by ISTAT province, each
document with its acts, each programme with its table pages, each dataset page, the rest
in ``main``) that are reused while their pages do not change, and merged into one index.
What must hold: the bundles partition the searched pages, under names safe as file names;
the merged index is the one a single Pagefind run over the same pages writes; neither the
number of Pagefind processes nor the bundles a process indexed before changes a byte; a
change confined to one province indexes that province's bundle only, adding a document
indexes its own bundles and those of the pages it changes, and the result is the site a
cold build of the same inputs publishes; the cache keeps a bounded number of entries per
bundle and none of the bundles the site no longer has.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from corpus import GU_FRAGMENT, GU_ID, Source, encode, real_entries, real_lines, write_corpus
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
def test_every_comune_and_province_page_has_its_province_bundle(reg):
    """Every comune page, current or historical, and every province page goes to the
    bundle of its ISTAT province (none falls back to main): one bundle per province, with
    its province page, in the index region by region; a historical comune goes with its
    successor."""
    provinces = search.page_provinces(reg)
    pages = [f"comuni/{code}/index.html" for code in [*reg.current, *reg.historical]]
    pages += [f"province/{sigla}/index.html" for sigla in reg.provinces]
    bundles = search.assign(pages, provinces)
    assert bundles[search.MAIN] == []
    regional = [n for n in bundles if n.startswith(search.PROVINCE + "-")]
    assert len(regional) == len(reg.provinces) == 107
    assert list(bundles)[: len(regional)] == regional == sorted(regional)
    for sigla, p in reg.provinces.items():
        name = f"provincia-{p['region_code']}-{p['code']}"
        assert f"province/{sigla}/index.html" in bundles[name]
        assert all(
            f"comuni/{code}/index.html" in bundles[name]
            for code in p["comuni"]
            if code in reg.current
        ), name
    assert "comuni/020054/index.html" in bundles["provincia-03-020"]  # Sabbioneta (MN)
    assert "province/AT/index.html" in bundles["provincia-01-005"]
    regions = [n.split("-")[1] for n in regional]
    assert regions == sorted(regions)
    for c in reg.historical.values():
        succ = reg.current.get(c.successor)
        if succ:
            assert provinces[c.istat] == provinces[succ.istat]


def test_bundle_names():
    """A document's pages (with its acts), a programme's (with its table pages) and a
    dataset page are a bundle each, named after the folder and the slug; a name that is
    not a plain slug gets a hash instead (the same in every build, safe in a file name,
    never a slug's name); lists, content pages and pages of unknown province are main's.
    The index takes the bundles in a fixed order."""
    provinces = {"005002": "01-005", "AT": "01-005", "012001": "03-012"}
    odd = ["Strano nome è", "x--y", "a" * 101, "-x"]
    pages = [
        "comuni/012001/index.html",
        "comuni/012001/programmi/index.html",  # its other programmes (glance.rest_pages)
        "comuni/012001/programmi/2/index.html",
        "comuni/005002/index.html",
        "province/AT/index.html",
        "comuni/999999/index.html",  # unknown: main
        "province/ZZ/index.html",
        "documenti/gu-1/index.html",
        "documenti/gu-1/atti/dgr-1/index.html",
        "documenti/gu-1-bis/index.html",
        "documenti/index.html",
        "programmi/fondo/index.html",
        "programmi/fondo/tabelle/fondo-riparto/index.html",
        "programmi/index.html",
        "dati/fondo/index.html",
        "dati/index.html",
        "index.html",
        "cerca/index.html",
        *[f"documenti/{k}/index.html" for k in odd],
    ]
    bundles = search.assign(pages, provinces)
    assert bundles["provincia-01-005"] == ["comuni/005002/index.html", "province/AT/index.html"]
    assert bundles["provincia-03-012"] == [
        "comuni/012001/index.html",
        "comuni/012001/programmi/2/index.html",
        "comuni/012001/programmi/index.html",
    ]
    assert bundles["documenti-gu-1"] == [
        "documenti/gu-1/atti/dgr-1/index.html",
        "documenti/gu-1/index.html",
    ]
    assert bundles["programmi-fondo"] == [
        "programmi/fondo/index.html",
        "programmi/fondo/tabelle/fondo-riparto/index.html",
    ]
    assert bundles["dati-fondo"] == ["dati/fondo/index.html"]
    assert bundles[search.MAIN] == [
        "cerca/index.html",
        "comuni/999999/index.html",
        "dati/index.html",
        "documenti/index.html",
        "index.html",
        "programmi/index.html",
        "province/ZZ/index.html",
    ]
    hashed = [search.bundle_of(f"documenti/{k}/index.html", provinces) for k in odd]
    assert len(set(hashed)) == len(odd)
    for name in hashed:
        assert re.fullmatch(r"documenti--[0-9a-f]{16}", name), name
    assert hashed == [search.bundle_of(f"documenti/{k}/x.html", provinces) for k in odd]
    for name in bundles:
        assert re.fullmatch(r"[a-z0-9-]{1,120}", name), name
    order = list(bundles)
    assert order[:2] == ["provincia-01-005", "provincia-03-012"] and order[-1] == search.MAIN
    kinds = [n.split("-")[0] for n in order[2:-1]]
    assert kinds == sorted(kinds, key=search.FOLDERS.index)
    # within a folder, in the order of their pages (a slug that extends another comes
    # first: "-" sorts before "/")
    docs = [n for n in order if n.startswith("documenti-")]
    assert [bundles[n][0] for n in docs] == sorted(bundles[n][0] for n in docs)
    assert docs.index("documenti-gu-1-bis") < docs.index("documenti-gu-1")


def test_the_bundles_partition_the_searched_pages(built_site, reg):
    site, _ = built_site
    pages = sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if not p.relative_to(site).as_posix().startswith(("pagefind/", "confronta/"))
    )
    bundles = search.assign(pages, search.page_provinces(reg))
    flat = [p for ps in bundles.values() for p in ps]
    assert sorted(flat) == pages and len(flat) == len(set(flat))  # none lost, none twice
    assert list(bundles)[-1] == search.MAIN  # main's pages come last in the index
    for name, ps in bundles.items():
        if name.startswith(search.PROVINCE + "-"):
            assert ps and all(
                search._COMUNE_PAGE.fullmatch(p) or search._PROVINCE_PAGE.fullmatch(p) for p in ps
            ), name
        elif name != search.MAIN:
            folder, key = name.split("-", 1)
            assert ps and all(p.startswith(f"{folder}/{key}/") for p in ps), name
    # main holds the lists and content pages only: nothing that grows with the documents
    assert not [p for p in bundles[search.MAIN] if p.count("/") > 1], bundles[search.MAIN]
    assert {f"documenti-{d}" for d in os.listdir(site / "documenti") if "." not in d} <= set(
        bundles
    )
    # the published index holds each searched page of the site once
    searched = sum(search.searched((site / p).read_bytes()) for p in pages)
    assert search.check_written(site) == f"{searched:,} pages"


# -- the merge --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample(built_site, reg):
    """Real pages of many bundles (the comuni of Asti and of Lecce, every document with
    its acts, every programme with its table pages), whose bundle order is also their
    path order: so the merged index must be, file for file, the one a single Pagefind run
    writes."""
    site, _ = built_site
    pages = sorted(
        p.relative_to(site).as_posix()
        for pattern in ("comuni/005*/index.html", "comuni/075*/index.html")
        for p in site.glob(pattern)
    )
    pages += sorted(
        p.relative_to(site).as_posix()
        for folder in ("documenti", "programmi")
        for p in (site / folder).glob("*/**/index.html")
    )
    bundles = search.assign(pages, search.page_provinces(reg))
    assert list(bundles)[:2] == ["provincia-01-005", "provincia-16-075"]
    assert bundles.pop(search.MAIN) == []
    assert len(bundles) > 10
    assert [p for ps in bundles.values() for p in ps] == sorted(pages)
    return site, pages, bundles


def _parts(built: dict, names) -> list:
    return [(built[n][0], built[n][2]) for n in names]


def test_merged_bundles_are_one_pagefind_run(sample):
    site, pages, bundles = sample
    one = search.pagefind_files(site, pages)
    built = search.build_bundles(site, bundles, workers=2)
    merged = search.merge(_parts(built, bundles))
    search.check_index(merged, sum(built[n][1] for n in bundles))
    assert sorted(merged) == sorted(one)  # the same files, named alike ...
    a, b = _decompressed(merged), _decompressed(one)
    assert [rel for rel in sorted(a) if a[rel] != b[rel]] == []  # ... holding the same
    # a document numbers its metadata fields otherwise than the comune bundles: the merge
    # renumbered them
    doc = next(n for n in bundles if n.startswith("documenti-"))
    assert built[doc][2]["it"]["fields"] != built["provincia-01-005"][2]["it"]["fields"]


def test_the_number_of_pagefind_processes_changes_no_byte(sample):
    site, _pages, bundles = sample
    one = search.build_bundles(site, bundles, workers=1)
    two = search.build_bundles(site, bundles, workers=2)
    assert {n: v[:2] for n, v in one.items()} == {n: v[:2] for n, v in two.items()}
    assert search.merge(_parts(one, bundles)) == search.merge(_parts(two, bundles))
    # one process indexes the bundles one after the other: each is what a process of
    # its own writes (nothing of the bundles before it is left in the process)
    some = list(bundles)[:2] + list(bundles)[-3:]
    assert {n: one[n][0] for n in some} == {
        n: search.pagefind_files(site, bundles[n]) for n in some
    }


def _small_bundles(root: Path, n: int) -> dict[str, list[str]]:
    """``n`` bundles of one or two small pages each (every third without a searched page)."""
    page = '<!doctype html><html lang="it"><body><main{}><h1>{}</h1><p>{}</p></main></body></html>'
    bundles = {}
    for i in range(n):
        mark = "" if i % 3 == 2 else " data-pagefind-body"
        names = [f"p{i:02d}-{j}.html" for j in range(1 + i % 2)]
        for j, rel in enumerate(names):
            (root / rel).write_text(
                page.format(mark, f"pagina {i} {j}", f"parola{i} comune{j}"), encoding="utf-8"
            )
        bundles[f"b{i:02d}"] = names
    return bundles


def test_each_bundle_reaches_done_once_however_slow_it_is(tmp_path):
    """The processes hand each bundle to one thread that decodes it and calls ``done``;
    a slow ``done`` fills that hand-off (as many places as processes): every bundle still
    arrives once, with what the processes would return without ``done``."""
    import threading
    import time

    bundles = _small_bundles(tmp_path, 13)
    returned = search.build_bundles(tmp_path, bundles, workers=2)
    got, threads = [], set()

    def done(name, result):
        time.sleep(0.05)  # slower than Pagefind indexing a page
        threads.add(threading.current_thread().name)
        got.append((name, result))

    assert search.build_bundles(tmp_path, bundles, workers=2, done=done) == {}
    assert sorted(n for n, _r in got) == sorted(bundles)  # each once
    assert dict(got) == returned
    assert len(threads) == 1  # one thread does every bundle's Python work
    assert [n for n in bundles if returned[n][0]] == [n for n in bundles if int(n[1:]) % 3 != 2]


def _pagefind_children() -> list[int]:
    """This process's child processes running Pagefind."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :]
        if int(rest.split()[1]) == os.getpid() and "pagefind" in comm:
            out.append(int(stat.parent.name))
    return out


def test_a_failure_after_indexing_stops_every_process(tmp_path):
    """An error in the Python work on a bundle (``done`` here; :func:`prepare` refusing
    Pagefind's answer likewise) ends the stage with that error: the processes indexing
    the other bundles are killed, not waited for, and none is left running."""
    bundles = _small_bundles(tmp_path, 9)
    calls = []

    def done(name, result):
        calls.append(_pagefind_children())  # the processes, as this check sees them
        raise RuntimeError(f"refused {name}")

    with pytest.raises(RuntimeError, match="refused"):
        search.build_bundles(tmp_path, bundles, workers=2, done=done)
    assert len(calls) == 1 and len(calls[0]) == 2  # nothing after the failure
    assert _pagefind_children() == []


def test_a_bundle_without_searched_pages_is_not_sent(tmp_path):
    """Pages without data-pagefind-body (the /dati/ pages, the lists) make a bundle with
    no index: Pagefind is not asked, the merge leaves it out."""
    page = '<!doctype html><html lang="it"><body><main{}><h1>{}</h1></main></body></html>'
    for name, mark in (("a", ""), ("b", " data-pagefind-body"), ("c", "")):
        (tmp_path / f"{name}.html").write_text(page.format(mark, name), encoding="utf-8")
    built = search.build_bundles(tmp_path, {"x": ["a.html", "c.html"], "y": ["b.html"]}, 2)
    assert built["x"] == ({}, 0, None) and built["y"][1] == 1
    merged = search.merge(_parts(built, ["x", "y"]))
    assert _urls(merged) == ["/b.html"]


def test_pages_of_two_bundles_with_the_same_short_hash(sample):
    """Pagefind names a page's fragment after 7 hex digits of its hash and lengthens the
    name when two pages of one run collide; pages of two bundles can collide too (about
    one build in eight at 8,000 pages): the merge lengthens the later page's name."""
    site, _pages, bundles = sample
    built = search.build_bundles(site, bundles, workers=2)
    first, second = "provincia-01-005", "provincia-16-075"
    taken = built[first][2]["it"]["pages"][0][0]
    files, prepared = dict(built[second][0]), dict(built[second][2])
    prepared["it"] = dict(prepared["it"])
    pages = [list(p) for p in prepared["it"]["pages"]]
    own = pages[0][0]
    data = files.pop(f"fragment/{own}.pf_fragment")
    files[f"fragment/{taken}.pf_fragment"] = data  # the second bundle's page, renamed
    pages[0][0] = taken
    prepared["it"]["pages"] = pages
    rest = [n for n in bundles if n not in (first, second)]
    parts = [(built[first][0], built[first][2]), (files, prepared), *_parts(built, rest)]
    merged = search.merge(parts)
    search.check_index(merged, sum(v[1] for v in built.values()))
    meta = next(rel for rel in merged if rel.endswith(".pf_meta"))
    names = [h for h, _ in search._unpack(merged[meta])[1]]
    full = search._pagefind_hash(gzip.decompress(data)[len(search._META_MAGIC) :])
    assert len(set(names)) == len(names) and taken in names
    assert f"it_{full[:8]}" in names  # one digit more of the page's own hash
    assert merged[f"fragment/it_{full[:8]}.pf_fragment"] == data
    whole = search.merge(_parts(built, bundles))
    assert _urls(merged) == _urls(whole)


def test_merge_groups_give_the_index_of_all_bundles(sample):
    """The index is merged from the province bundles and the merge groups (each the merge
    of its bundles, kept in the cache): the same bytes as merging every bundle in that
    order."""
    site, _pages, bundles = sample
    built = search.build_bundles(site, bundles, workers=2)
    parts = search.units({**bundles, search.MAIN: []}, dict.fromkeys([*bundles, "main"], "x"))
    groups = [u for u in parts if u.startswith(search.GROUP)]
    assert len(groups) > 2 and all(len(parts[g][0]) >= 1 for g in groups)
    assert list(parts)[:2] == ["provincia-01-005", "provincia-16-075"] and list(parts)[-1] == "main"
    two_level = []
    for unit, (names, _dig) in parts.items():
        if unit in groups:
            two_level.append(search.merge_group(_parts(built, names)))
        elif unit in built:
            two_level.append((built[unit][0], built[unit][2]))
    flat = [n for names, _dig in parts.values() for n in names if n in built]
    assert search.merge(two_level) == search.merge(_parts(built, flat))
    # the group of a bundle depends on its name and the number of groups only; that
    # number grows like the square root of the number of bundles
    assert search.group_of("documenti-gu-1", 16) == search.group_of("documenti-gu-1", 16)
    assert re.fullmatch(r"gruppo-documenti-\d\d\d", search.group_of("documenti-gu-1", 16))
    assert search.group_of("provincia-03-012", 16) is None and search.group_of("main", 16) is None
    counts = {n: search.group_count(n) for n in (1, 2, 4, 5, 16, 17, 100, 1000, 4500)}
    assert counts == {1: 1, 2: 2, 4: 2, 5: 4, 16: 4, 17: 8, 100: 16, 1000: 32, 4500: 128}


# -- reuse, through the real build --------------------------------------------------------
REGION_CHANGE = [
    line.replace("2.\tAlbugnano\t16", "2.\tAlbugnano\t18") for line in GU_FRAGMENT
]  # Albugnano is in the province of Asti (Piemonte): one province bundle changes
# A second, real document about comuni of Asti (among others): a programme of its own.
ADDED = "gu-1992-eccezionalita-calamita-piemonte"


def _gu(lines: list[str], date: str = "1983-10-24") -> Source:
    return Source(
        GU_ID,
        encode(lines),
        "gu_sovrimposta",
        meta={"date": date, "title": "Aliquote della sovrimposta (prova)"},
    )


def _added() -> Source:
    e = real_entries()[ADDED]
    meta = {k: v for k, v in e.items() if k not in ("id", "file", "sha256")}
    return Source(ADDED, encode(real_lines(e["file"])), None, file=e["file"], meta=meta)


def _write_document(root: Path, lines: list[str]) -> None:
    write_corpus(root / "data" / "sources", [_gu(lines)])


def _summary(stderr: str) -> str:
    return next(line for line in stderr.splitlines() if "search bundles:" in line)


def _indexed(summary: str) -> list[str]:
    """The bundles a build's summary line names as indexed."""
    inside = re.search(r"indexed \((.*?)\) in ", summary).group(1)
    return [] if inside == "none" else [part.rsplit(" ", 1)[0] for part in inside.split(", ")]


def _entries(mini: Mini) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (mini.root / ".cache" / "search").iterdir()}


def test_a_change_in_one_province_indexes_its_bundle_only(tmp_path):
    mini = Mini(make_project(tmp_path / "incremental"))
    first = _summary(mini.build_ok())
    assert _indexed(first) == [
        "provincia-01-005",
        "provincia-16-075",
        f"documenti-{GU_ID}",
        "programmi-sovrimposta-fabbricati-1983",
    ], first
    assert "0 from the cache" in first
    entries = _entries(mini)
    lecce = next(k for k in entries if k.startswith("provincia-16-075-"))
    before = mini.digest()

    _write_document(mini.root, REGION_CHANGE)
    second = _summary(mini.build_ok())
    # the region of Albugnano, and the document and programme that print its rate
    assert _indexed(second) == [
        "provincia-01-005",
        f"documenti-{GU_ID}",
        "programmi-sovrimposta-fabbricati-1983",
    ], second
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


def test_adding_a_document_indexes_its_bundles_only(tmp_path):
    """A document added to a built site is indexed in bundles of its own (its page, its
    programme): the other document's and programme's bundles come from the cache, and of
    the province bundles only the one whose pages it changes is indexed again. The site is
    the one a cold build publishes; removing the document again indexes nothing and
    drops its bundles from the cache."""
    sources = tmp_path / "incremental" / "data" / "sources"
    mini = Mini(make_project(tmp_path / "incremental"))
    gu = _gu(GU_FRAGMENT, date="1995-01-01")  # the newest: the site's date does not move
    write_corpus(sources, [gu])
    mini.build_ok()
    without = mini.digest()
    entries = _entries(mini)

    write_corpus(sources, [gu, _added()])
    added = _summary(mini.build_ok())
    assert _indexed(added) == [
        "provincia-01-005",  # the comuni of Asti it names, and the province page
        f"documenti-{ADDED}",
        "programmi-calamita-agricole-eccezionalita",
    ], added
    after = _entries(mini)
    for name in ("provincia-16-075", f"documenti-{GU_ID}", "programmi-sovrimposta-fabbricati-1983"):
        entry = next(k for k in entries if k.startswith(name + "-"))
        assert after[entry] == entries[entry], name  # taken from the cache as it was
    with_it = mini.digest()
    assert f"documenti/{ADDED}/index.html" in with_it

    cold = Mini(make_project(tmp_path / "cold"))
    write_corpus(cold.root / "data" / "sources", [gu, _added()])
    assert "0 from the cache" in _summary(cold.build_ok())
    assert cold.digest() == with_it

    # removed again: every bundle from the cache (provincia-01-005's entry before last), the
    # same site as before, and the document's bundles gone from the cache
    (sources / _added().filename).unlink()
    write_corpus(sources, [gu])
    removed = _summary(mini.build_ok())
    assert _indexed(removed) == [], removed
    assert "cache entries removed" in removed, removed
    assert mini.digest() == without
    names = {k.rsplit("-", 1)[0] for k in _entries(mini)}
    assert f"documenti-{ADDED}" not in names
    assert "programmi-calamita-agricole-eccezionalita" not in names


def test_the_cache_keeps_few_entries_per_bundle(tmp_path):
    """Of each bundle of the site the current entry and the one before are kept, of a
    bundle the site no longer has none; other files are left alone."""
    from generator import cache

    folder = tmp_path / search.CACHE
    folder.mkdir()
    made = {}
    for name in ("main", "documenti-a", "documenti-a-b", "documenti-gone"):
        for i in range(4):
            dig = f"{name}{i}".encode().hex().ljust(64, "0")
            path = search._cache_file(tmp_path, name, dig)
            cache.put(path, b"x")
            os.utime(path, ns=(i * 10**9, i * 10**9))  # entry 3 is the newest
            made[name, i] = (path, dig)
    (folder / "other.txt").write_text("not an entry", encoding="utf-8")
    current = {
        "main": made["main", 1][1],  # an older entry is the current one: it is kept
        "documenti-a": made["documenti-a", 3][1],
        "documenti-a-b": made["documenti-a-b", 0][1],
    }
    assert search.prune(tmp_path, current) == 2 + 2 + 2 + 4
    left = sorted(p.name for p in folder.iterdir())
    expect = [made[k][0].name for k in (("main", 1), ("main", 3), ("documenti-a", 3))]
    expect += [made[k][0].name for k in (("documenti-a", 2), ("documenti-a-b", 0))]
    expect += [made["documenti-a-b", 3][0].name, "other.txt"]
    assert left == sorted(expect)
    assert search.prune(tmp_path, current) == 0


def test_a_damaged_cached_bundle_is_indexed_again(tmp_path):
    mini = Mini(make_project(tmp_path / "project"))
    mini.build_ok()
    published = mini.digest()
    entry = next((mini.root / ".cache" / "search").glob("provincia-16-075-*"))
    entry.write_bytes(entry.read_bytes()[:-10])
    shutil.rmtree(mini.site / "pagefind")  # the published index is gone: it is made again
    out = _summary(mini.build_ok())
    assert _indexed(out) == ["provincia-16-075"] and "9 from the cache" in out, out
    assert mini.digest() == published
    # a damaged merge group is made again from its bundles' entries: nothing indexed
    group = search.group_of(f"documenti-{GU_ID}", 1)  # the only document: one group
    entry = next((mini.root / ".cache" / "search").glob(f"{group}-*"))
    entry.write_bytes(entry.read_bytes()[:-10])
    shutil.rmtree(mini.site / "pagefind")
    out = _summary(mini.build_ok())
    assert _indexed(out) == [] and re.search(r"; 1 of \d+ merge groups made again", out), out
    assert mini.digest() == published


def test_every_bundle_from_the_cache(tmp_path):
    """The published index lost, every bundle in the cache (which does not keep Pagefind's
    scripts and WASM: they come from Pagefind, for a page of each language): nothing is
    indexed, and the site is the same."""
    mini = Mini(make_project(tmp_path / "project"))
    mini.build_ok()
    published = mini.digest()
    shutil.rmtree(mini.site / "pagefind")
    out = _summary(mini.build_ok())
    assert _indexed(out) == [] and "10 from the cache" in out, out
    assert re.search(r"; 0 of \d+ merge groups made again", out), out
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
