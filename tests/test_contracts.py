"""Contracts every document, parser and spec of the project meets, whatever the manifest holds.

Nothing here names a document: a new document (with a parser, a spec, or neither) is
covered as soon as it is in ``data/sources/sources.yaml``, a new spec as soon as it is in
``data/specs/``. Per document: the parse is deterministic, every published row carries
provenance inside the document, every candidate line is accounted for, check ids are
unique, resolutions name lines of the document. Per spec: it loads, and a document uses it.
Per package of the built site: it validates, and its sources are documents of the manifest.
"""

from __future__ import annotations

import io
import json

import pytest
import yaml

from generator import parse, paths, specs
from generator.extract.recorder import accounting_errors
from generator.quality import Log
from support import _documents, _registry, parse_real

DOC_IDS = sorted(_documents())
SPEC_NAMES = sorted(p.stem for p in paths.SPECS.glob("*.yaml"))


def fresh_parse(doc_id):
    log = Log(stream=io.StringIO(), quiet=True)
    return parse.parse_document(_documents()[doc_id], _registry(), log)


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_document_contract(doc_id):
    doc = _documents()[doc_id]
    result, resolutions, log = parse_real(doc_id)
    assert [str(p) for p in log.problems if p.level == "error"] == []
    if result is None:  # nothing reads it yet: a normal state
        assert not doc.parser and not doc.meta.get("specs")
        return
    assert accounting_errors(doc, result) == []
    for ds in result.datasets:
        for t in ds.tables:
            assert t.candidates is not None, f"{ds.name}/{t.name}"
            names = [f["name"] for f in t.schema()["fields"]]
            assert len(names) == len(set(names)), f"{ds.name}/{t.name}: duplicate columns"
            for r in t.rows:
                assert r["source_id"] == doc_id or r["source_id"] in _documents()
                if r["source_id"] == doc_id:
                    assert 1 <= r["line_start"] <= r["line_end"] <= len(doc.lines), (t.name, r)
    ids = [c.id for c in result.checks]
    # unique within the document (a per-block check names its block): the quality page and
    # the comune pages link each check by its id
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []
    for x in result.rejects:
        assert 1 <= x.line <= len(doc.lines) and x.reason
    for r in resolutions:
        assert r.line is None or 1 <= r.line <= len(doc.lines)


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_parse_is_deterministic(doc_id):
    a, b = fresh_parse(doc_id), fresh_parse(doc_id)
    if a is None:
        assert b is None
        return
    rows = lambda res: [(ds.name, t.name, t.rows) for ds in res[0].datasets for t in ds.tables]  # noqa: E731
    assert rows(a) == rows(b)
    assert [(c.id, c.passed, c.declared, c.parsed) for c in a[0].checks] == [
        (c.id, c.passed, c.declared, c.parsed) for c in b[0].checks
    ]


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_every_spec_loads_and_is_used(name):
    spec = specs.load(name)
    assert spec.tables
    used = [d for d in _documents().values() if name in (d.meta.get("specs") or [])]
    assert used, f"data/specs/{name}.yaml is not named by any document of the manifest"


def test_every_spec_a_document_names_exists():
    for d in _documents().values():
        for name in d.meta.get("specs") or []:
            assert (paths.SPECS / f"{name}.yaml").is_file(), (d.id, name)


def test_every_published_package_validates_and_cites_manifest_documents(built_site):
    site, _ = built_site
    manifest = {e["id"] for e in yaml.safe_load(paths.MANIFEST.read_text("utf-8"))["documents"]}
    for dp in sorted((site / "data").glob("*/datapackage.json")):
        pkg = json.loads(dp.read_text(encoding="utf-8"))
        report = json.loads((dp.parent / "validation.json").read_text(encoding="utf-8"))
        assert report["valid"], dp.parent.name
        for s in pkg.get("sources", []):
            path = s.get("path", "")
            if path.startswith("/documenti/"):
                assert path.split("/")[2] in manifest
