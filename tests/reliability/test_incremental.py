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

import re
import shutil

from corpus import GU_FRAGMENT, GU_ID, REAL_SOURCES, Source, encode, real_entries, tree_digest
from corpus import write_corpus
from minibuild import Mini, make_project

NEW_ID = "gu-1992-eccezionalita-calamita-piemonte"


def _sources(with_new: bool) -> list[Source]:
    docs = [Source(GU_ID, encode(GU_FRAGMENT), "gu_sovrimposta", meta={"date": "1983-10-24"})]
    if with_new:
        e = real_entries()[NEW_ID]
        meta = {k: v for k, v in e.items() if k not in ("id", "file", "sha256", "parser")}
        docs.append(
            Source(NEW_ID, (REAL_SOURCES / e["file"]).read_bytes(), None, e["file"], meta=meta)
        )
    return docs


def _units(stderr: str) -> tuple[int, int]:
    m = re.search(r"(\d+) of (\d+) render units unchanged", stderr)
    assert m, stderr[-2000:]
    return int(m.group(1)), int(m.group(2))


def test_adding_a_document_is_incremental_and_identical_to_a_cold_build(tmp_path):
    m = Mini(make_project(tmp_path / "project"))
    sources = m.root / "data" / "sources"
    shutil.rmtree(sources)
    write_corpus(sources, _sources(with_new=False))
    first = m.build_ok()
    assert _units(first)[0] == 0  # nothing to take over: a cold build
    before = m.digest()

    shutil.rmtree(sources)
    write_corpus(sources, _sources(with_new=True))
    reused, total = _units(m.build_ok())
    after = m.digest()

    # the new document changed pages (its own, the comuni it lists) and left others alone
    changed = {f for f in after if before.get(f) != after[f]}
    assert f"documenti/{NEW_ID}/index.html" in changed
    comuni_changed = {f for f in changed if re.fullmatch(r"comuni/\d{6}/index\.html", f)}
    comuni_all = {f for f in after if re.fullmatch(r"comuni/\d{6}/index\.html", f)}
    assert comuni_changed and comuni_changed != comuni_all
    # ...and the build took over every unit it did not change (most of them)
    assert 0 < reused < total
    assert reused >= len(comuni_all) - len(comuni_changed)

    # a cold build of the same inputs: the same bytes
    shutil.rmtree(m.root / ".cache")
    cold = m.root / "cold"
    r = m.run("none", "--site", str(cold))
    assert r.returncode == 0, r.stderr[-3000:]
    assert _units(r.stderr)[0] == 0
    cold_digest = tree_digest(cold)
    differ = sorted(f for f in set(after) | set(cold_digest) if after.get(f) != cold_digest.get(f))
    assert not differ, f"{len(differ)} files differ from a cold build, e.g. {differ[:5]}"
