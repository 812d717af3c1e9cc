"""Bad input, one kind at a time: reported with file and line, fatal for ``--strict``,
harmless to everything else.

Each kind of bad input (see ``corpus.KINDS``) is written into a corpus of its own beside
its clean twin, and both go through the build's sources and parse stages
(``sources.discover`` + ``build.parse_all``). ``--strict`` fails exactly when
``log.blocking(checks)`` is not empty after those stages, so "fails --strict" is tested
as: the hazard adds a blocking line about itself. ``test_corpus_build.py`` runs the real
build, strict and not, on all the kinds side by side.
"""

from __future__ import annotations

import pytest

from corpus import (
    AREE_ID,
    BASELINE_ID,
    GU_ID,
    KIND_NAMES,
    Expect,
    accounting_errors,
    file_names,
    gather,
    kind,
    write_corpus,
)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    """``get(kind name, hazard)`` -> the gathered corpus (each written and read once)."""
    cache = {}

    def get(name: str, hazard: bool = True):
        key = (name, hazard)
        if key not in cache:
            folder = tmp_path_factory.mktemp(f"{name}-{'bad' if hazard else 'clean'}")
            write_corpus(folder, kind(name).sources(hazard))
            cache[key] = gather(folder)
        return cache[key]

    return get


def _where(g, e: Expect) -> str:
    line = g.line_of(e)
    return f"{e.doc}" + (f":{line}" if line else "")


@pytest.mark.parametrize("name", KIND_NAMES)
def test_bad_input_is_reported_with_file_and_line(corpora, name):
    bad, clean = corpora(name), corpora(name, hazard=False)
    for e in kind(name).expect:
        if e.marker is not None:
            assert bad.line_of(e) is not None, f"{e.marker!r} is not in {e.doc}"
        found = bad.reports(e)
        assert found, f"{name}: nothing reports {e.what} {e.code!r} at {_where(bad, e)}"
        assert not clean.reports(e), f"{name}: the clean twin reports it too: {found}"


@pytest.mark.parametrize("name", KIND_NAMES)
def test_bad_input_fails_strict(corpora, name):
    bad, clean = corpora(name), corpora(name, hazard=False)
    assert clean.blocking == [], f"the clean twin of {name} already fails --strict"
    new = bad.blocking
    about = []
    for e in kind(name).expect:
        line = bad.line_of(e)
        names = file_names(e)
        if e.what in ("problem", "check"):
            about += [b for b in new if f"[{e.code}]" in b and any(n in b for n in names)]
        else:
            about += [
                b for b in new if any(n in b for n in names) and (line is None or f":{line}:" in b)
            ]
    assert about, f"{name}: --strict would not fail on it (new blocking lines: {new[:5]})"


@pytest.mark.parametrize("name", KIND_NAMES)
def test_everything_else_is_read_as_before(corpora, name):
    """The untouched document is loaded and parsed exactly as without the hazard, and no
    problem is filed against it."""
    bad, clean = corpora(name), corpora(name, hazard=False)
    assert BASELINE_ID in bad.results
    tables = {(d.name, t.name): t.rows for d in bad.results[BASELINE_ID].datasets for t in d.tables}
    expected = {
        (d.name, t.name): t.rows for d in clean.results[BASELINE_ID].datasets for t in d.tables
    }
    assert tables == expected and tables
    baseline_file = bad.docs[BASELINE_ID].path.name
    assert [str(p) for p in bad.log.problems if (p.file or "").endswith(baseline_file)] == []


@pytest.mark.parametrize("name", KIND_NAMES)
def test_nothing_is_lost_on_bad_input(corpora, name):
    """Line accounting (lines_in = lines in rows + rejected lines) holds on damaged text."""
    bad = corpora(name)
    errors = [
        e for doc_id, r in bad.results.items() for e in accounting_errors(bad.docs[doc_id], r)
    ]
    assert errors == []


@pytest.mark.parametrize("name, doc_id", [("crlf", AREE_ID), ("bom", GU_ID)])
def test_normalised_text_parses_like_the_clean_text(corpora, name, doc_id):
    bad, clean = corpora(name), corpora(name, hazard=False)
    assert bad.docs[doc_id].lines == clean.docs[doc_id].lines

    def rows(g):
        return {(d.name, t.name): t.rows for d in g.results[doc_id].datasets for t in d.tables}

    assert rows(bad) == rows(clean) and rows(bad)
    assert [(c.id, c.passed) for c in bad.results[doc_id].checks] == [
        (c.id, c.passed) for c in clean.results[doc_id].checks
    ]


def test_changed_file_is_still_published_with_the_error(corpora):
    bad = corpora("hash-mismatch")
    assert "prova-modificato" in bad.docs
    assert bad.docs["prova-modificato"].lines == ["Testo cambiato dopo la revisione"]


def test_oversized_line_is_cut_for_display_only(corpora):
    doc = corpora("oversized-line").docs["prova-riga-lunga"]
    assert len(doc.lines[1]) == 20_000 and doc.lines[2] == "ultima riga"
    assert len(doc.text.split("\n")[1]) == 25_010  # the text itself keeps it whole


@pytest.mark.parametrize(
    "manifest, code, line",
    [
        (b"documents:\n  - id: caff\xe8\n", "manifest-encoding", 2),
        (b"documents:\n  - id: [unclosed\n", "manifest-syntax", 3),
        (b"- id: a-list\n", "manifest-syntax", 1),
        (b"documents:\n  id: not-a-list\n", "manifest-syntax", 1),
    ],
)
def test_unreadable_manifest_is_reported_not_raised(tmp_path, manifest, code, line):
    (tmp_path / "sources.yaml").write_bytes(manifest)
    g = gather(tmp_path)
    assert g.docs == {}
    (p,) = [p for p in g.log.problems if p.code == code]
    assert p.file.endswith("sources.yaml") and p.line == line and p.level == "error"
    assert any(f"[{code}]" in b for b in g.blocking)
