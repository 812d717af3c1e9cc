"""The change summary of a build (generator/summary.py): what CI shows as the job summary and
comments on a pull request."""

from __future__ import annotations

import json

from generator import summary


def _digest(**over) -> dict:
    base = {
        "documents": {"a": "1", "b": "2"},
        "tables": {"p/t": 10, "documenti/documenti": 2},
        "facts": {"019035": 3, "016024": 1},
        "failed_checks": ["a:x"],
        "warnings": [],
        "unread": [],
    }
    return {**base, **over}


def test_a_new_document_without_a_spec_is_named_with_what_happens_to_it():
    prev = _digest()
    cur = _digest(
        documents={"a": "1", "b": "2", "c": "3"},
        tables={"p/t": 10, "documenti/documenti": 3},
        unread=["c"],
    )
    md = summary.markdown(prev, cur, [])
    assert "- **Documenti**: 3 (aggiunti: `c`)" in md
    assert "**Documenti senza parser né spec**: 1 (`c`)" in md and "comuni-aperti inspect" in md
    assert "`documenti/documenti` 2 → 3 righe (+1)" in md
    assert "- **Pagine dei comuni con dati cambiati**: 0" in md
    assert "`build --strict`: nessun problema bloccante." in md


def test_its_spec_adds_tables_rows_and_comune_pages():
    prev = _digest(unread=["c"])
    cur = _digest(
        tables={"p/t": 10, "documenti/documenti": 2, "s/comuni": 29},
        facts={"019035": 3, "016024": 1, "063049": 1},
    )
    md = summary.markdown(prev, cur, [])
    assert "`s/comuni` nuova (29 righe)" in md and "41 righe in 3 tabelle" in md
    assert "- **Pagine dei comuni con dati cambiati**: 1 (es. `063049`)" in md
    assert "senza parser" not in md


def test_new_failed_checks_warnings_and_blocking_problems_are_listed():
    prev = _digest()
    cur = _digest(failed_checks=["b:y"], warnings=["data/sources/b.txt:4: [w] nuovo"])
    md = summary.markdown(prev, cur, ["data/sources/b.txt:4: [w] nuovo\n  -> document it"])
    assert "- **Verifiche non superate**: 1, nuove: `b:y`, risolte: 1" in md
    assert "- **Avvisi nuovi**: 1" in md and "`data/sources/b.txt:4: [w] nuovo`" in md
    assert "**`build --strict` fallisce: 1 problemi bloccanti**" in md and "document it" in md


def test_the_first_build_says_so_and_an_old_digest_without_newer_keys_is_read():
    md = summary.markdown(None, _digest(), [])
    assert "Prima build di questa cartella" in md and "nuove:" not in md
    old = {k: v for k, v in _digest().items() if k != "unread"}  # a digest of an older build
    assert "Documenti" in summary.markdown(old, _digest(unread=["b"]), [])


def test_a_failed_build_keeps_the_previous_digest_for_the_next_comparison(tmp_path):
    site = tmp_path / "site"
    summary.write(tmp_path, _digest(), [], site)
    box = summary.folder(tmp_path, site)
    first = json.loads((box / "digest.json").read_text(encoding="utf-8"))
    summary.write(tmp_path, _digest(documents={"a": "9", "b": "2"}), ["x: [e] broken"], site)
    assert json.loads((box / "digest.json").read_text(encoding="utf-8")) == first
    assert "modificati: `a`" in (box / "summary.md").read_text(encoding="utf-8")
    summary.write(tmp_path, _digest(documents={"a": "9", "b": "2"}), [], site)
    assert json.loads((box / "digest.json").read_text(encoding="utf-8"))["documents"]["a"] == "9"


def test_each_output_folder_is_compared_with_its_own_previous_build(tmp_path):
    """A build into another folder (the tests' site, a preview) is not the previous build of
    site/: in CI, `make test` builds before `make site`, whose summary must still compare
    with the last build of main."""
    site, other = tmp_path / "site", tmp_path / "elsewhere"
    summary.write(tmp_path, _digest(), [], site)
    summary.write(tmp_path, _digest(documents={"a": "1", "b": "2", "c": "3"}), [], other)
    summary.write(tmp_path, _digest(documents={"a": "1", "b": "2", "c": "3"}), [], site)
    md = (summary.folder(tmp_path, site) / "summary.md").read_text(encoding="utf-8")
    assert "aggiunti: `c`" in md
    assert summary.folder(tmp_path, site) != summary.folder(tmp_path, other)


def test_the_built_site_wrote_its_summary(built_site):
    from generator import paths

    site, _ = built_site
    md = (summary.folder(paths.CACHE, site) / "summary.md").read_text(encoding="utf-8")
    assert md.startswith("## Comuni aperti: che cosa cambia") and "`build --strict`" in md
    assert "righe in" in md and "**Documenti**" in md


def test_the_digest_of_an_earlier_version_is_read_once_for_site(tmp_path, monkeypatch):
    """Before one digest per output folder there was one .cache/digest.json (site/'s): the
    first summary after the upgrade compares with it, then it is gone."""
    from generator import paths

    monkeypatch.setattr(paths, "ROOT", tmp_path)
    (tmp_path / "digest.json").write_text(json.dumps(_digest()), encoding="utf-8")
    (tmp_path / "summary.md").write_text("old", encoding="utf-8")
    out = summary.write(
        tmp_path, _digest(documents={"a": "1", "b": "2", "c": "3"}), [], tmp_path / "site"
    )
    assert "aggiunti: `c`" in out.read_text(encoding="utf-8")
    assert not (tmp_path / "digest.json").exists() and not (tmp_path / "summary.md").exists()
    other = summary.write(tmp_path, _digest(), [], tmp_path / "elsewhere")
    assert "Prima build" in other.read_text(encoding="utf-8")
    assert sorted(p.name for p in summary.folder(tmp_path, tmp_path / "site").iterdir()) == [
        "digest.json",
        "summary.md",
    ]
