"""Incremental builds: adding a document renders what it changes, and the result is the
same, byte for byte, as a cold build of the same inputs.

The small project (minibuild: two provinces, Asti and Lecce) starts with the GU fragment
(1983); then the real 1992 communiqué for Piemonte (read by its spec, listing comuni of
Asti among others) is added, with a newer date, and the site is built again over the
first build (its ``.cache`` and ``site/``). A cold build of the same inputs (no cache, a
new output folder) must give the same files, and the incremental build must have taken
over the render units the new document does not touch.
"""

from __future__ import annotations

import json
import re
import shutil

from corpus import GU_FRAGMENT, GU_ID, REAL_SOURCES, Source, encode, real_entries, tree_digest
from corpus import write_corpus
from minibuild import Mini, make_project

NEW_ID = "gu-1992-eccezionalita-calamita-piemonte"
OLDER_ID = "gu-1990-eccezionalita-calamita-lombardia"  # older than NEW_ID: the date stays


def _real(doc_id: str) -> Source:
    e = real_entries()[doc_id]
    meta = {k: v for k, v in e.items() if k not in ("id", "file", "sha256", "parser")}
    return Source(doc_id, (REAL_SOURCES / e["file"]).read_bytes(), None, e["file"], meta=meta)


def _sources(*extra: str) -> list[Source]:
    docs = [Source(GU_ID, encode(GU_FRAGMENT), "gu_sovrimposta", meta={"date": "1983-10-24"})]
    return docs + [_real(d) for d in extra]


def _new_first() -> list[Source]:
    """The corpus with the new document's entry first in the manifest: every other entry
    moves down, which must not change their pages' input keys."""
    return [_real(NEW_ID), *_sources()]


def _units(stderr: str, what: str = "render units") -> tuple[int, int]:
    m = re.search(rf"(\d+) of (\d+) {what} unchanged", stderr)
    assert m, stderr[-2000:]
    return int(m.group(1)), int(m.group(2))


def _same_as_cold(m: Mini) -> None:
    """A cold build of the project's inputs (no cache, a new folder) gives ``site/``."""
    shutil.rmtree(m.root / ".cache")
    cold = m.root / "cold"
    shutil.rmtree(cold, ignore_errors=True)
    r = m.run("none", "--site", str(cold))
    assert r.returncode == 0, r.stderr[-3000:]
    assert _units(r.stderr)[0] == 0
    site, cold_digest = m.digest(), tree_digest(cold)
    differ = sorted(f for f in set(site) | set(cold_digest) if site.get(f) != cold_digest.get(f))
    assert not differ, f"{len(differ)} files differ from a cold build, e.g. {differ[:5]}"


def test_adding_a_document_is_incremental_and_identical_to_a_cold_build(tmp_path):
    m = Mini(make_project(tmp_path / "project"))
    sources = m.root / "data" / "sources"
    shutil.rmtree(sources)
    write_corpus(sources, _sources())
    first = m.build_ok()
    assert _units(first)[0] == 0  # nothing to take over: a cold build
    before = m.digest()

    shutil.rmtree(sources)
    write_corpus(sources, _new_first())
    # every render task taken over by its key is rendered anyway, and the build fails
    # if one of its units differs from the last build's (a key that misses an input)
    r = m.run("none", env={"COMUNI_APERTI_CHECK_TASK_KEYS": "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    # the 1983 document's and programme's tasks: rendered again, and the same as before
    assert _units(r.stderr, "document and programme tasks") == (2, 4), r.stderr[-2000:]
    assert _units(r.stderr, "comuni")[0] > 0, r.stderr[-2000:]
    shutil.rmtree(m.root / ".cache")  # the same step again, as a normal build
    shutil.rmtree(m.site)
    write_corpus(sources, _sources())
    m.build_ok()

    def compiled() -> dict:
        cached = (m.root / ".cache" / "templates").rglob("*")
        return {f: f.stat().st_mtime_ns for f in cached if f.is_file()}

    first_compiled = compiled()
    assert len(first_compiled) > 10  # the first build's compiled templates (TemplateCache)
    shutil.rmtree(sources)
    write_corpus(sources, _new_first())
    log = m.build_ok()
    reused, total = _units(log)
    # ...which the next build loaded: Jinja writes an entry only after compiling it
    assert first_compiled.items() <= compiled().items()
    after = m.digest()
    # the 1983 document's task (its page) and its programme's were taken over without
    # making their contexts: the new document is not in their inputs; so were the comuni
    # it does not concern (Lecce's) and their comparison pages
    assert _units(log, "document and programme tasks") == (2, 4), log[-2000:]
    comuni_kept, comuni_keyed = _units(log, "comuni")
    pairs_kept, pairs_keyed = _units(log, "comparison pages")
    assert 0 < comuni_kept < comuni_keyed and 0 < pairs_kept < pairs_keyed, log[-2000:]

    # each package is dated by the newest document its rows come from (the registry's
    # date for comuni): the newer document rewrites its own package and the document
    # list, and the other packages are taken over as they were
    def created(name: str) -> str:
        return json.loads((m.site / "data" / name / "datapackage.json").read_text())["created"]

    assert created("comuni") == "2023-01-01T00:00:00Z"
    assert created("sovrimposta-fabbricati-1983") == "1983-10-24T00:00:00Z"
    assert created("calamita-agricole-eccezionalita") == "1992-05-08T00:00:00Z"
    assert created("documenti") == "1992-05-08T00:00:00Z"
    taken, packages = _units(log, "data packages")
    assert taken == packages - 2, log[-2000:]
    for name in ("comuni", "sovrimposta-fabbricati-1983"):
        assert before[f"data/{name}/datapackage.json"] == after[f"data/{name}/datapackage.json"]

    # the new document changed pages (its own, the comuni it lists) and left others alone
    changed = {f for f in after if before.get(f) != after[f]}
    assert f"documenti/{NEW_ID}/index.html" in changed
    # a document's and a programme's pages are dated by their own documents, not by the
    # site's newest: the 1983 pages stay as they were
    assert f"documenti/{GU_ID}/index.html" not in changed
    assert "programmi/sovrimposta-fabbricati-1983/index.html" not in changed
    comuni_changed = {f for f in changed if re.fullmatch(r"comuni/\d{6}/index\.html", f)}
    comuni_all = {f for f in after if re.fullmatch(r"comuni/\d{6}/index\.html", f)}
    assert comuni_changed and comuni_changed != comuni_all
    # a province page is dated by its own comuni's documents, like a comune page: the
    # 1992 list names comuni of Asti, not of Lecce (whose page and search bundle stay)
    assert "province/AT/index.html" in changed
    assert "province/LE/index.html" not in changed
    # ...and the build took over every unit it did not change (most of them)
    assert 0 < reused < total
    assert reused >= len(comuni_all) - len(comuni_changed)
    # ...and exactly those comuni were taken over by their inputs, without their contexts
    assert comuni_kept == len(comuni_all) - len(comuni_changed), log[-2000:]
    _same_as_cold(m)


def test_an_older_document_leaves_the_other_packages_as_they_were(tmp_path):
    """A document older than the newest, in a package of its own or shared with the
    newest: the packages of the other documents are taken over, not written again."""
    m = Mini(make_project(tmp_path / "project"))
    sources = m.root / "data" / "sources"
    shutil.rmtree(sources)
    write_corpus(sources, _sources(NEW_ID))
    m.build_ok()
    shutil.rmtree(sources)
    write_corpus(sources, _sources(NEW_ID, OLDER_ID))
    log = m.build_ok()
    taken, total = _units(log, "data packages")
    assert 0 < taken < total, log[-2000:]
    _same_as_cold(m)
