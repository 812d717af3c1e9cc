"""Nothing is lost: on the real documents, every candidate line of every table is either in a
published row or rejected with a reason. The invariant is the toolkit's
(``generator.extract.recorder.accounting_errors``) and the build enforces it on every
document (an ``unaccounted-lines`` error fails ``--strict``); these tests prove it holds on
the vendored documents and that it catches what it must.
"""

from __future__ import annotations

import copy

import pytest

from corpus import real_entries
from generator.extract.recorder import accounting_errors
from generator.parsers import families
from generator.quality import Reject
from support import _documents, parse_real

DOC_IDS = sorted(real_entries())


def test_every_parser_has_a_real_document_to_prove_it():
    assert set(families()) <= {e.get("parser") for e in real_entries().values()}


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_every_table_accounts_for_every_candidate_line(doc_id):
    doc = _documents()[doc_id]
    result, _, _ = parse_real(doc_id)
    if result is None:  # a document with no parser or spec yet: no table
        return
    assert [t for ds in result.datasets for t in ds.tables], f"{doc_id}: no table"
    for ds in result.datasets:
        for t in ds.tables:
            assert t.candidates is not None, f"{ds.name}/{t.name}: no candidate lines"
    assert accounting_errors(doc, result) == []


def test_the_invariant_catches_a_lost_line_a_double_count_and_a_missing_record():
    doc = _documents()["smart-polizia-locale-2025"]
    result, _, _ = parse_real(doc.id)
    broken = copy.deepcopy(result)
    gruppi = broken.datasets[0].tables[0]
    lost = gruppi.rows.pop()  # a row silently dropped
    errors = accounting_errors(doc, broken)
    assert any(
        f"gruppi: 1 candidate lines neither published nor rejected: [{lost['line_start']}]" in e
        for e in errors
    ), errors

    broken = copy.deepcopy(result)
    broken.rejects.append(Reject(doc.id, lost["line_start"], "", "prova", "gruppi"))
    assert any("both published and rejected" in e for e in accounting_errors(doc, broken))

    broken.datasets[0].tables[1].candidates = None
    assert any(
        "partecipanti: no candidate lines recorded" in e for e in accounting_errors(doc, broken)
    )

    broken.rejects.append(Reject(doc.id, 1, "", "prova", "tabella-inesistente"))
    assert any("which is not published" in e for e in accounting_errors(doc, broken))
