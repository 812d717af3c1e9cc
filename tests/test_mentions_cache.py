"""Document mentions (the comuni a document's text names) are cached per document by
its parse key, region and code: a hit gives what the computation gives, a corrupt entry
is computed again, and a document's old entries go (not those of another document whose
id starts the same)."""

from __future__ import annotations

import io

import pytest

from generator import build, cache, parse, registry, sources
from generator import model as site_model
from generator.quality import Log

DOC = "smart-polizia-locale-2025"


@pytest.fixture
def background(tmp_path, monkeypatch):
    log = Log(stream=io.StringIO(), quiet=True)
    docs = {d.id: d for d in sources.discover(log)}
    reg = registry.load()
    results, resolutions = parse.parse_all([docs[DOC]], reg, log)
    monkeypatch.setattr(
        build,
        "_BACKGROUND",
        dict(reg=reg, docs=docs, results=results, resolutions=resolutions, cache_dir=tmp_path),
    )
    inputs = cache.read_inputs()
    keys = dict((d.id, k) for d, k in build._mention_keys([docs[DOC]], inputs, tmp_path))
    return tmp_path, keys[DOC]


def test_a_cached_mention_list_is_the_computed_one(background, monkeypatch):
    cache_dir, key = background
    first = build._document_mentions(DOC, key)
    assert first  # SMART names 337 comuni
    (entry,) = (cache_dir / "mentions").iterdir()
    computed = site_model.document_mentions

    def fail(*a):
        raise AssertionError("computed again")

    monkeypatch.setattr(site_model, "document_mentions", fail)
    assert build._document_mentions(DOC, key) == first  # from the cache
    entry.write_bytes(entry.read_bytes()[:-10])  # truncated: computed again
    monkeypatch.setattr(site_model, "document_mentions", computed)
    assert build._document_mentions(DOC, key) == first
    assert cache.get(entry) is not None  # and stored again, whole


def test_a_new_key_replaces_only_the_documents_own_entries(background):
    cache_dir, key = background
    folder = cache_dir / "mentions"
    folder.mkdir()
    other = folder / f"{DOC}-bis-{'0' * 24}.pickle"  # another document, same prefix
    old = folder / f"{DOC}-{'f' * 24}.pickle"  # this document, an older key
    other.write_bytes(b"x")
    old.write_bytes(b"x")
    build._document_mentions(DOC, key)
    assert not old.exists() and other.exists()
