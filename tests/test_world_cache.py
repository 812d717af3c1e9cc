"""The registry and its places are read back from the build's cache (cache.load_world)
while their inputs are unchanged: the same registry and gazetteer, what registry.load()
and coverage.gazetteer() return from then on; a corrupt entry is made again; a changed
registry file is another key."""

from __future__ import annotations

import shutil

import pytest

from generator import cache, coverage, paths, registry


@pytest.fixture
def fresh():
    registry.load.cache_clear()
    coverage.gazetteer.cache_clear()
    yield
    registry.load.cache_clear()
    coverage.gazetteer.cache_clear()


def _entries(cache_dir):
    return sorted((cache_dir / "world").glob("*.pickle"))


def test_the_registry_and_its_places_come_back_from_the_cache(tmp_path, fresh):
    inputs = cache.read_inputs()
    made = cache.load_world(tmp_path, inputs)
    (entry,) = _entries(tmp_path)
    places = coverage.gazetteer()
    registry.load.cache_clear()
    coverage.gazetteer.cache_clear()
    back = cache.load_world(tmp_path, inputs)
    assert back is not made and registry.load() is back  # read back, and seeded
    assert sorted(back.current) == sorted(made.current)
    assert sorted(back.historical) == sorted(made.historical)
    assert back.resolve("Dalmine", "BG").istat == made.resolve("Dalmine", "BG").istat
    assert coverage.gazetteer() is not places
    assert coverage.gazetteer().comuni["016091"] == places.comuni["016091"]
    assert _entries(tmp_path) == [entry]
    # cache_clear reads the files again, as before
    registry.load.cache_clear()
    assert registry.load() is not back


def test_a_corrupt_entry_is_made_again(tmp_path, fresh):
    inputs = cache.read_inputs()
    cache.load_world(tmp_path, inputs)
    (entry,) = _entries(tmp_path)
    entry.write_bytes(entry.read_bytes()[:-10])
    registry.load.cache_clear()
    reg = cache.load_world(tmp_path, inputs)
    assert "016091" in reg.current and _entries(tmp_path) == [entry]
    assert cache.get(entry) is not None  # stored again, whole


def test_a_changed_registry_file_is_another_entry(tmp_path, fresh, monkeypatch):
    before = cache._world_file(tmp_path, cache.read_inputs())
    data = tmp_path / "data"
    shutil.copytree(paths.DATA / "registry", data / "registry")
    monkeypatch.setattr(paths, "DATA", data)
    (aliases,) = [p for p in (data / "registry").rglob("*.csv")][:1]
    aliases.write_text(aliases.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert cache._world_file(tmp_path, cache.read_inputs()) != before


def test_a_miss_reads_the_files_not_what_the_process_read_before(tmp_path, fresh, monkeypatch):
    """Under ``serve`` the process lives across builds: an edited registry file must not
    be stored under its new key with the registry read before the edit."""
    stale = registry.load()
    data = tmp_path / "data"
    shutil.copytree(paths.DATA / "registry", data / "registry")
    monkeypatch.setattr(paths, "DATA", data)
    (new,) = list((data / "registry").rglob("comuni-nuovi.csv"))
    with new.open("a", encoding="utf-8") as f:
        f.write("999998,Comune Di Prova,MI,Z999,2023-01-01,prova\n")
    reg = cache.load_world(tmp_path, cache.read_inputs())
    assert reg is not stale and "999998" in reg.current
    registry.load.cache_clear()
    assert "999998" in cache.load_world(tmp_path, cache.read_inputs()).current  # stored so
